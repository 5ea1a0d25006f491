-- tap.lua: the line protocol for Lua tests ("ok - name" / "not ok - name").
local T = { failed = 0 }

local function show(v)
  if type(v) == "table" then
    local parts = {}
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do
      parts[#parts + 1] = (math.type(k) == "integer" and "" or tostring(k) .. "=") .. show(v[k])
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return tostring(v)
end
T.show = show

function T.ok(cond, name)
  print((cond and "ok - " or "not ok - ") .. name)
  if not cond then T.failed = T.failed + 1 end
  return cond
end

function T.eq(got, want, name)
  local g, w = show(got), show(want)
  if not T.ok(g == w, name) then
    print("#   got:  " .. g)
    print("#   want: " .. w)
  end
end

return T
