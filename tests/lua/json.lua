-- json.lua: the tiny JSON encoder/decoder shared by the mod_lua handlers of
-- the mod_batch test suite and build/serve.sh (mod_lua ships no JSON library).
-- encode() handles nil/booleans/numbers/strings/arrays/objects; an object
-- keeps key order when it carries a "__order" list. decode() accepts any JSON
-- value (objects, arrays, strings with escapes, numbers, true/false/null) and
-- returns nil, message on invalid input. Lua 5.3.
local M = {}

M.null = setmetatable({}, {__tostring = function() return "null" end})

local escapes = {['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b',
                 ['\f'] = '\\f', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t'}

local function encode_string(s)
    return '"' .. s:gsub('[%c"\\]', function(c)
        return escapes[c] or string.format("\\u%04x", c:byte())
    end) .. '"'
end

local function is_array(t)
    if t.__order then return false end
    local n = 0
    for k in pairs(t) do
        if type(k) ~= "number" or k < 1 or math.type(k) ~= "integer" then
            return false
        end
        n = n + 1
    end
    for i = 1, n do
        if t[i] == nil then return false end
    end
    return true, n
end

function M.encode(v)
    local t = type(v)
    if v == nil or v == M.null then
        return "null"
    elseif t == "boolean" then
        return v and "true" or "false"
    elseif t == "number" then
        if math.type(v) == "integer" then return string.format("%d", v) end
        if v ~= v or v == math.huge or v == -math.huge then return "null" end
        local i = math.tointeger(v)
        if i then return string.format("%d", i) end
        return string.format("%.14g", v)
    elseif t == "string" then
        return encode_string(v)
    elseif t == "table" then
        local arr, n = is_array(v)
        local out = {}
        if arr then
            for i = 1, n do out[#out + 1] = M.encode(v[i]) end
            return "[" .. table.concat(out, ",") .. "]"
        end
        local keys = v.__order
        if not keys then
            keys = {}
            for k in pairs(v) do
                if k ~= "__order" then keys[#keys + 1] = tostring(k) end
            end
            table.sort(keys)
        end
        for _, k in ipairs(keys) do
            if v[k] ~= nil then
                out[#out + 1] = encode_string(k) .. ":" .. M.encode(v[k])
            end
        end
        return "{" .. table.concat(out, ",") .. "}"
    end
    error("cannot encode a " .. t)
end

-- An ordered object: M.object({"id", 1}, {"title", "Pen"}) keeps that order.
M.object_mt = {}
function M.object(...)
    local o = setmetatable({__order = {}}, M.object_mt)
    for _, kv in ipairs({...}) do
        o.__order[#o.__order + 1] = kv[1]
        o[kv[1]] = kv[2]
    end
    return o
end

-- Decoder -------------------------------------------------------------------

local function skip(s, i)
    return s:find("[^ \t\r\n]", i) or #s + 1
end

local decode_value

local function decode_string(s, i)
    -- s:sub(i, i) == '"'
    local out, j = {}, i + 1
    while true do
        local c = s:sub(j, j)
        if c == "" then return nil, "unterminated string" end
        if c == '"' then return table.concat(out), j + 1 end
        if c:byte() < 32 then return nil, "control character in string" end
        if c == "\\" then
            local e = s:sub(j + 1, j + 1)
            local map = {['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b',
                         f = '\f', n = '\n', r = '\r', t = '\t'}
            if map[e] then
                out[#out + 1] = map[e]; j = j + 2
            elseif e == "u" then
                local hex = s:sub(j + 2, j + 5)
                if not hex:match("^%x%x%x%x$") then return nil, "bad \\u escape" end
                local cp = tonumber(hex, 16)
                j = j + 6
                if cp >= 0xD800 and cp <= 0xDBFF and s:sub(j, j + 1) == "\\u" then
                    local lo = tonumber(s:sub(j + 2, j + 5), 16)
                    if lo and lo >= 0xDC00 and lo <= 0xDFFF then
                        cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
                        j = j + 6
                    end
                end
                out[#out + 1] = utf8.char(cp)
            else
                return nil, "bad escape"
            end
        else
            out[#out + 1] = c; j = j + 1
        end
    end
end

function decode_value(s, i, depth)
    if depth > 64 then return nil, "too deep" end
    i = skip(s, i)
    local c = s:sub(i, i)
    if c == "{" then
        local obj = M.object()
        i = skip(s, i + 1)
        if s:sub(i, i) == "}" then return obj, i + 1 end
        while true do
            if s:sub(i, i) ~= '"' then return nil, "expected a member name" end
            local k, v
            k, i = decode_string(s, i)
            if not k then return nil, i end
            i = skip(s, i)
            if s:sub(i, i) ~= ":" then return nil, "expected ':'" end
            v, i = decode_value(s, i + 1, depth + 1)
            if v == nil then return nil, i end
            if obj[k] == nil then obj.__order[#obj.__order + 1] = k end
            obj[k] = v
            i = skip(s, i)
            c = s:sub(i, i)
            if c == "}" then return obj, i + 1 end
            if c ~= "," then return nil, "expected ',' or '}'" end
            i = skip(s, i + 1)
        end
    elseif c == "[" then
        local arr = {}
        i = skip(s, i + 1)
        if s:sub(i, i) == "]" then return arr, i + 1 end
        while true do
            local v
            v, i = decode_value(s, i, depth + 1)
            if v == nil then return nil, i end
            arr[#arr + 1] = v
            i = skip(s, i)
            c = s:sub(i, i)
            if c == "]" then return arr, i + 1 end
            if c ~= "," then return nil, "expected ',' or ']'" end
            i = i + 1
        end
    elseif c == '"' then
        return decode_string(s, i)
    elseif s:sub(i, i + 3) == "true" then
        return true, i + 4
    elseif s:sub(i, i + 4) == "false" then
        return false, i + 5
    elseif s:sub(i, i + 3) == "null" then
        return M.null, i + 4
    else
        local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
        if num and num ~= "" and num ~= "-" then
            local v = math.tointeger(tonumber(num)) or tonumber(num)
            if v == nil then return nil, "bad number" end
            return v, i + #num
        end
        return nil, "unexpected character at " .. i
    end
end

function M.decode(s)
    if type(s) ~= "string" then return nil, "no input" end
    local v, i = decode_value(s, 1, 1)
    if v == nil then return nil, i end
    if skip(s, i) <= #s then return nil, "trailing data" end
    return v
end

return M
