-- The nginx peer of the mod_batch benchmark (bench/nginx.conf.in): the
-- same batch format, items run as ngx.location.capture_multi subrequests
-- side by side, answered in request order. JSON item bodies are embedded
-- as they are (as mod_batch does), other bodies as JSON strings. Only
-- what the benchmark needs: GET items, no headers, no dependsOn, no
-- limits, no streaming (the answer is sent when the last item is done).
local cjson = require "cjson.safe"

ngx.req.read_body()
local req = cjson.decode(ngx.req.get_body_data() or "")
if type(req) ~= "table" or type(req.requests) ~= "table" then
    ngx.status = 400
    ngx.say('{"error":{"code":"BadRequest"}}')
    return
end

local caps, ids = {}, {}
for i, it in ipairs(req.requests) do
    caps[i] = { it.url }
    ids[i] = it.id
end
local res = { ngx.location.capture_multi(caps) }

local out = {}
for i, r in ipairs(res) do
    local ct = r.header["Content-Type"] or ""
    local body = r.body
    if not (ct:find("json", 1, true) and cjson.decode(body) ~= nil) then
        body = cjson.encode(body)
    end
    out[i] = '{"id":' .. cjson.encode(ids[i]) .. ',"status":' .. r.status
        .. ',"headers":{"Content-Type":' .. cjson.encode(ct) .. '},"body":'
        .. body .. '}'
end
ngx.header["Content-Type"] = "application/json"
ngx.header["Cache-Control"] = "no-store"
ngx.print('{"responses":[', table.concat(out, ","), ']}')
