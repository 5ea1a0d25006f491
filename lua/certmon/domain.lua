-- certmon.domain: domain helpers for rules (C core in certmon.domain_c).
--
--   local domain = require "certmon.domain"
--   local d = domain.parse("*.Login.XN--PYPAL-4VE.com.")
--   d.ascii        "login.xn--pypal-4ve.com"    (lower case, no dot, no *.)
--   d.unicode      "login.pаypal.com"           (each xn-- label decoded)
--   d.wildcard     true
--   d.registrable  "xn--pypal-4ve.com"  (eTLD+1, private suffixes count)
--   d.registrable_icann, d.suffix, d.suffix_icann, d.on_private_suffix
--   d.label        "xn--pypal-4ve"      (registrable minus suffix)
--   d.label_unicode "pаypal", d.sub "login", d.labels {...}, d.depth 3
--   d.is_idn, d.bad_punycode, d.mixed_script, d.scripts {"Cyrillic","Latin"}
--   d.problem      nil, or why the name is not a valid host name
--
-- Also: normalise, to_unicode, to_ascii, registrable(name [, "icann"]),
-- suffix(name [, "icann"]), lev/dlev(a, b [, max]),
-- skeleton(s [, "strict"|"loose"]), confusable(a, b), scripts(s),
-- mixed_script(name), entropy(s), features(name), keywords(list [, mode]).
local C = require "certmon.domain_c"

local M = {}
for k, v in pairs(C) do M[k] = v end

local function split(s, sep)
  local t = {}
  for part in s:gmatch("[^" .. sep .. "]+") do t[#t + 1] = part end
  return t
end
M.split = split

-- parse(name) -> table (see above). Never raises on bad input: a name that
-- is not a host name comes back with `problem` set and fewer fields.
function M.parse(name)
  local ascii, wildcard, problem = C.normalise(name)
  local d = { input = name, ascii = ascii, wildcard = wildcard,
              problem = problem }
  if ascii == "" then return d end
  if ascii:find("[\128-\255]") then           -- Unicode given: encode it
    local a, err = C.to_ascii(ascii)
    if not a then
      d.problem = d.problem or err
      return d
    end
    ascii = a
    d.ascii = a
  end
  local uni, bad = C.to_unicode(ascii)
  d.unicode, d.bad_punycode = uni, bad
  d.is_idn = ascii:find("xn--", 1, true) ~= nil
  d.labels = split(ascii, ".")
  d.depth = #d.labels
  d.suffix, d.suffix_icann, d.registrable, d.registrable_icann =
    C.psl_parts(ascii)
  d.on_private_suffix = d.suffix ~= nil and d.suffix ~= d.suffix_icann
  if d.registrable and d.suffix then
    d.label = d.registrable:sub(1, #d.registrable - #d.suffix - 1)
    d.label_unicode = C.to_unicode(d.label)
    d.sub = #ascii > #d.registrable and
            ascii:sub(1, #ascii - #d.registrable - 1) or ""
    d.sub_unicode = C.to_unicode(d.sub)
  end
  d.mixed_script = C.mixed_script(uni)
  d.scripts = C.scripts(uni)
  return d
end

-- confusable(a, b [, mode]) -> true when the two look alike (equal
-- skeletons, loose mode unless told).
function M.confusable(a, b, mode)
  mode = mode or "loose"
  return C.skeleton(a, mode) == C.skeleton(b, mode)
end

-- features(name) -> { entropy, labels, hyphens, digits, length }
function M.features(name)
  local _, hyphens = name:gsub("%-", "")
  local _, digits = name:gsub("%d", "")
  local _, dots = name:gsub("%.", "")
  return { entropy = C.entropy(name), labels = dots + 1, hyphens = hyphens,
           digits = digits, length = #name }
end

return M
