-- echo.lua: a mod_lua handler that answers the request as it sees it, as JSON:
-- method, uri, args, protocol, is_subrequest (r.main ~= nil is not exposed:
-- is_initial_req is), headers (r:headers_in_table()), body (r:requestbody(),
-- POST/PUT only: a mod_lua limitation), item_id (BATCH_ITEM_ID from
-- r.subprocess_env) and user.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local json = dofile(dir .. "json.lua")

function handle(r)
    local headers = json.object()
    local ok, t = pcall(function() return r:headers_in_table() end)
    if ok and type(t) == "table" then
        local names = {}
        for k in pairs(t) do names[#names + 1] = k end
        table.sort(names)
        for _, k in ipairs(names) do
            headers.__order[#headers.__order + 1] = k
            headers[k] = t[k]
        end
    end
    local body = ""
    if r.method == "POST" or r.method == "PUT" then
        body = r:requestbody() or ""
    end
    local out = json.object(
        {"method", r.method}, {"uri", r.uri}, {"args", r.args or ""},
        {"protocol", r.protocol}, {"is_initial_req", r.is_initial_req},
        {"headers", headers}, {"body", body},
        {"content_type", r.headers_in["Content-Type"] or json.null},
        {"item_id", r.subprocess_env["BATCH_ITEM_ID"] or json.null},
        {"user", r.user or json.null})
    r.content_type = "application/json"
    r.headers_out["X-Echo"] = "lua"
    r:puts(json.encode(out))
    return apache2.OK
end
