-- certmon.lists: reading list files and remembering what was alerted.
--
-- lists.load(path) -> array of entries: one a line, surrounding blanks
--   trimmed, '#' starts a comment, empty lines skipped. Uses
--   certmon.read_lines(path) when the core provides it (sandboxed rules
--   have no io), else io.lines. Raises "lists.load: PATH: reason" on error.
-- lists.env_path(var, default) -> os.getenv(var) or default.
-- lists.from_env(var, default, who) -> entries, path: load() of the file
--   $var names, else default; an error names who (the rule), the variable
--   and its value, or says the default file was used.
-- lists.env_number(var, default, lo, hi, who) -> $var as a number in
--   lo..hi, default when unset or empty; anything else raises, naming who
--   and the variable.
-- lists.seen(key, ttl_s) -> true when key was marked within ttl_s seconds
--   (and marks it now). Uses certmon.store.seen when the core has a shared
--   store; else a per-worker table bounded to max_keys entries.
local M = {}

local ok_core, certmon = pcall(require, "certmon")
if not ok_core or type(certmon) ~= "table" then certmon = nil end

local function raw_lines(path)
  if certmon and certmon.read_lines then
    local ok, res = pcall(certmon.read_lines, path)
    if not ok or type(res) ~= "table" then
      error("lists.load: " .. path .. ": " .. tostring(res), 0)
    end
    return res
  end
  if not io or not io.open then
    error("lists.load: " .. path .. ": no file access in this environment", 0)
  end
  local f, err = io.open(path, "r")
  if not f then error("lists.load: " .. tostring(err), 0) end
  local t = {}
  for line in f:lines() do t[#t + 1] = line end
  f:close()
  return t
end

function M.load(path)
  local out = {}
  for _, line in ipairs(raw_lines(path)) do
    line = line:gsub("#.*$", ""):match("^%s*(.-)%s*$")
    if line ~= "" then out[#out + 1] = line end
  end
  return out
end

function M.env_path(var, default)
  local v = os.getenv(var)
  if v and v ~= "" then return v end
  return default
end

local function prefix(who) return who and (who .. ": ") or "" end

function M.from_env(var, default, who)
  local v = os.getenv(var)
  local path, origin = default, default .. " (the default; set " .. var ..
                       " to read another file)"
  if v and v ~= "" then path, origin = v, var .. "=" .. v end
  local ok, res = pcall(M.load, path)
  if not ok then
    local why = tostring(res):gsub("^lists%.load: ", "")
    if why:sub(1, #path + 2) == path .. ": " then why = why:sub(#path + 3) end
    error(prefix(who) .. origin .. ": " .. why, 0)
  end
  return res, path
end

function M.env_number(var, default, lo, hi, who)
  local v = os.getenv(var)
  if v == nil or v == "" then return default end
  local n = tonumber(v)
  if not n or n ~= n or (lo and n < lo) or (hi and n > hi) then
    local range = lo and hi and (" from %s to %s"):format(lo, hi) or ""
    error(("%s%s=%s: must be a number%s (unset it for the default, %s)"):format(
          prefix(who), var, v, range, tostring(default)), 0)
  end
  return n
end

-- The fallback store: two generations of keys, so memory stays bounded
-- without scanning: when the young one is full it becomes the old one.
M.max_keys = 100000
local young, old, young_n = {}, {}, 0
local clock = os.time

-- For tests: replace the clock (a function returning seconds).
function M._set_clock(fn) clock = fn or os.time end
function M._reset() young, old, young_n = {}, {}, 0 end

function M.seen(key, ttl_s)
  local store = certmon and certmon.store
  if store and store.seen then return store.seen(key, ttl_s) end
  local now = clock()
  local t = young[key] or old[key]
  if t and now - t < ttl_s then return true end
  if young_n >= M.max_keys / 2 then
    old, young, young_n = young, {}, 0
  end
  if young[key] == nil then young_n = young_n + 1 end
  young[key] = now
  return false
end

-- cert_key(msg) -> a key shared by a precertificate and its final
-- certificate: both carry the same issuer and serial number.
function M.cert_key(msg)
  local leaf = msg and msg.data and msg.data.leaf_cert or {}
  local issuer = leaf.issuer or {}
  return (issuer.aggregated or issuer.CN or issuer.O or "?") .. "|" ..
         tostring(leaf.serial_number or leaf.fingerprint or "?")
end

return M
