-- item.lua: the "tiny in-process handler" item target of the benchmark.
-- Returns the same small JSON document as htdocs/s/item.json (bench.py
-- writes it to item.json next to this file; read once per Lua state).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local f = assert(io.open(dir .. "item.json", "rb"))
local BODY = f:read("*a")
f:close()

function handle(r)
    r.content_type = "application/json"
    r:puts(BODY)
    return apache2.OK
end
