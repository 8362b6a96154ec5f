-- products.lua: the sample products API of mod_batch, a mod_lua handler.
-- Used by the test suite (tests/conf/httpd.conf.in) and by build/serve.sh,
-- so the README demo and the tests run the same code. Mapped with
--   LuaMapHandler "^/(v1\.0/)?products(/[^/]*)?$" /path/products.lua handle
-- and reached through mod_proxy as /api/products on the test server.
--
--   GET  /products?skip=N&limit=N  200 {"products":[...],"total":T,"skip":S,"limit":L}
--   GET  /products/{id}            200 the product, or 404 {"error":{"code":"NotFound",...}}
--   POST /products  (JSON object with a string "title", optional number "price")
--                                  201 the new product (id 11) with a Location header;
--                                  400 {"error":{"code":"BadRequest",...}} otherwise
--   other methods                  405 with Allow
--
-- Nothing is stored: every POST answers id 11 and the list never changes, so
-- tests can run in any order and repeat.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local json = dofile(dir .. "json.lua")

local names = {"Pen", "Pencil", "Notebook", "Eraser", "Ruler",
               "Stapler", "Scissors", "Glue", "Marker", "Folder"}
local prices = {1.5, 0.75, 3.2, 0.5, 1.25, 7.9, 4.5, 2.1, 1.8, 0.95}

local function product(i)
    return json.object({"id", i}, {"title", names[i]}, {"price", prices[i]})
end

local function send(r, status, body, extra)
    r.status = status
    r.content_type = "application/json"
    for k, v in pairs(extra or {}) do r.headers_out[k] = v end
    r:puts(json.encode(body))
    return apache2.OK
end

local function err(r, status, code, message, extra)
    return send(r, status, json.object({"error", json.object(
        {"code", code}, {"message", message})}), extra)
end

local function int_arg(args, name, default)
    local v = args[name]
    if type(v) == "table" then v = v[1] end
    if v == nil or v == "" then return default end
    if not tostring(v):match("^%d+$") then return nil end
    return math.tointeger(tonumber(v))
end

function handle(r)
    local rest = r.uri:match("/products(/?[^/]*)$") or ""
    local allow = (rest == "" or rest == "/") and "GET, HEAD, POST" or "GET, HEAD"
    if rest == "" or rest == "/" then
        if r.method == "GET" or r.method == "HEAD" then
            local args = r:parseargs()
            local skip = int_arg(args, "skip", 0)
            local limit = int_arg(args, "limit", 10)
            if skip == nil or limit == nil then
                return err(r, 400, "BadRequest", "skip and limit must be whole numbers")
            end
            local list = {}
            for i = skip + 1, math.min(#names, skip + limit) do
                list[#list + 1] = product(i)
            end
            return send(r, 200, json.object({"products", list}, {"total", #names},
                                            {"skip", skip}, {"limit", limit}))
        elseif r.method == "POST" then
            local body = r:requestbody() or ""
            local obj, msg = json.decode(body)
            if obj == nil then
                return err(r, 400, "BadRequest", "invalid JSON: " .. tostring(msg))
            end
            if type(obj) ~= "table" or not obj.__order then
                return err(r, 400, "BadRequest", "the product must be a JSON object")
            end
            if type(obj.title) ~= "string" or obj.title == "" then
                return err(r, 400, "BadRequest", "title must be a non-empty string")
            end
            local price = obj.price
            if price ~= nil and type(price) ~= "number" then
                return err(r, 400, "BadRequest", "price must be a number")
            end
            local id = #names + 1
            local base = r.uri:gsub("/$", "")
            return send(r, 201, json.object({"id", id}, {"title", obj.title},
                                            {"price", price or 0}),
                        {Location = base .. "/" .. id})
        end
        return err(r, 405, "MethodNotAllowed", r.method .. " is not allowed here",
                   {Allow = allow})
    end
    local id = rest:match("^/(%d+)$")
    if r.method ~= "GET" and r.method ~= "HEAD" then
        return err(r, 405, "MethodNotAllowed", r.method .. " is not allowed here",
                   {Allow = allow})
    end
    id = id and math.tointeger(tonumber(id))
    if id == nil or names[id] == nil then
        return err(r, 404, "NotFound", "product " .. rest:sub(2) .. " not found")
    end
    return send(r, 200, product(id))
end
