-- certmon.watchlist: watch lists and allowlists of domains.
--
--   local watchlist = require "certmon.watchlist"
--   local wl = watchlist.new{ "example.com", ".corp.example", "bücher.de" }
--   wl:match("*.www.example.com")  --> { "example.com" }  (every item hit)
--
-- Item semantics (certspotter's, as the project defines them):
--   example.com    the domain itself and every subdomain
--   .example.com   subdomains only
--   .              everything
-- Items are lower-cased, trailing dots dropped and IDN items converted to
-- A-labels, so they compare with the ASCII names found in certificates.
-- Certificate names: a label "*" or "?" (wildcard or redacted) matches any
-- label in that position, as certspotter does, so a certificate for
-- *.example.com matches the item www.example.com. A partial-label wildcard
-- such as "w*.example.com" matches the items whose label fits the pattern.
local domain = require "certmon.domain"

local M = {}
local WL = {}
WL.__index = WL

local function labels_of(name)
  local t = {}
  for l in name:gmatch("[^.]+") do t[#t + 1] = l end
  return t
end

-- new(items) -> watch list; raises on an item that cannot be a name.
function M.new(items)
  local self = setmetatable({ exact = {}, subs = {}, everything = nil,
                              items = {}, count = 0 }, WL)
  for _, raw in ipairs(items) do self:add(raw) end
  return self
end

-- load(path) -> watch list read with certmon.lists.load.
function M.load(path)
  return M.new(require("certmon.lists").load(path))
end

function WL:add(raw)
  local item = raw:lower():gsub("%.+$", "")
  if raw == "." or item == "" then
    self.everything = raw
    self.count = self.count + 1
    return
  end
  local subs_only = item:sub(1, 1) == "."
  if subs_only then item = item:sub(2) end
  if item:find("[\128-\255]") then
    local a, err = domain.to_ascii(item)
    if not a then error("watchlist: bad item '" .. raw .. "': " .. err, 0) end
    item = a
  end
  if item == "" or item:find("%.%.") or item:find("[%s*?]") then
    error("watchlist: bad item '" .. raw .. "'", 0)
  end
  local key = subs_only and "." .. item or item
  if self.items[key] then return end
  self.items[key] = true
  self.count = self.count + 1
  local t = subs_only and self.subs or self.exact
  t[item] = key
end

-- Does a certificate name label (maybe "*", "?" or "w*") match label l?
local function label_fits(pat, l)
  if pat == "*" or pat == "?" or pat == l then return true end
  if pat:find("*", 1, true) then
    local lp = "^" .. pat:gsub("[%^%$%(%)%%%.%[%]%+%-]", "%%%0")
                         :gsub("%*", ".*") .. "$"
    return l:find(lp) ~= nil
  end
  return false
end

-- Two plain searches: cheaper than one class scanned at every position.
local function has_wild(name)
  return name:find("*", 1, true) ~= nil or name:find("?", 1, true) ~= nil
end

-- The slow path for names with wildcard labels: every item is compared
-- label by label from the right.
local function match_wild(self, name, out)
  local nl = labels_of(name)
  local function try(item, key, subs_only)
    local il = labels_of(item)
    if #nl < #il or (subs_only and #nl == #il) then return end
    for i = 0, #il - 1 do
      if not label_fits(nl[#nl - i], il[#il - i]) then return end
    end
    out[#out + 1] = key
  end
  for item, key in pairs(self.exact) do try(item, key, false) end
  for item, key in pairs(self.subs) do try(item, key, true) end
  table.sort(out)
end

-- match(name) -> array of the items that match (empty when none). The name
-- is normalised here (case, trailing dot), but its "*." is kept: it is a
-- wildcard label like any other.
function WL:match(name)
  local out = {}
  name = name:lower()
  -- without a final dot there is nothing for the pattern to remove
  if name:byte(-1) == 46 then name = name:gsub("%.+$", "") end
  if self.everything then out[1] = self.everything end
  if has_wild(name) then
    match_wild(self, name, out)
    return out
  end
  -- Every suffix of the name, longest first: the name itself can match a
  -- plain item; its proper parents match plain and subdomain-only items.
  local s, first = name, true
  while s do
    local k = self.exact[s]
    if k then out[#out + 1] = k end
    if not first then
      k = self.subs[s]
      if k then out[#out + 1] = k end
    end
    first = false
    -- what follows the first dot, if anything (a plain search, not the
    -- pattern "^[^.]*%.(.+)$" tried label by label)
    local dot = s:find(".", 1, true)
    s = dot and dot < #s and s:sub(dot + 1) or nil
  end
  return out
end

-- first(name) -> the first matching item or nil: match(name)[1], without
-- building the list (the allowlist test runs for every name seen).
function WL:first(name)
  if self.everything then return self.everything end
  -- names from domain.parse are already lower case without a final dot
  if name:find("[%u*?]") or name:byte(-1) == 46 then
    name = name:lower():gsub("%.+$", "")
    if has_wild(name) then return self:match(name)[1] end
  end
  local k = self.exact[name]
  if k then return k end
  local dot = name:find(".", 1, true)
  while dot do
    local s = name:sub(dot + 1)
    k = self.exact[s] or self.subs[s]
    if k then return k end
    dot = name:find(".", dot + 1, true)
  end
  return nil
end

return M
