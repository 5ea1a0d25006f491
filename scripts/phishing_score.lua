--[[
phishing_score.lua: score every certificate name for phishing traits and
alert above a threshold, in the spirit of phishing_catcher, with the
fixes it lacks: brands' own domains and an allowlist are never scored,
keywords match as tokens (so "live" does not fire inside "delivery"),
typos are found with Damerau distance (transpositions too), IDN labels
are decoded wherever they are, and the suffix is found with the public
suffix list.

Score of a name (sum):
  keyword weights   each listed keyword found as a token, or at the start
                    or end of a token (paypalverify: verify), once each;
                    keywords of 3 letters or less only as whole tokens
  suffix weight     the name's ICANN public suffix in the TLD list
  lookalike         0.85 x the score of certmon.lookalike (brand typo,
                    homoglyph, combosquat, brand in subdomain)
  IDN               +10 for an xn-- label, +30 more if a label mixes
                    scripts (pаypal with a Cyrillic a)
  shape             +5 a hyphen from the 3rd on, +5 a label from the 5th
                    on (each capped at 20), +10 for a long random-looking
                    registrable label (>= 12 chars, no hyphen, entropy
                    >= 3.3 bits, under 20 % vowels or 3+ digits)
  hosting           +10 on a shared hosting suffix (github.io, web.app)
  issuer            +5 when issued by a free ACME CA

Levels: potential >= CERTMON_PHISH_POTENTIAL (60), likely >=
CERTMON_PHISH_LIKELY (80), suspicious >= CERTMON_PHISH_SUSPICIOUS (100).
Alerts for names at or above CERTMON_PHISH_MIN (default 80).
Lists: CERTMON_PHISH_KEYWORDS (phishing_keywords.txt), CERTMON_PHISH_TLDS
(phishing_tlds.txt), CERTMON_BRANDS (brands.txt), CERTMON_LOOKALIKE_GUARD
(lookalike_guard.txt: words a brand typo is weak on), CERTMON_ALLOW
(allow.txt); the defaults sit next to this rule.

Alerts: one per registered domain per day (a precertificate and its
certificate count once): domain, score, level, reasons, registrable,
brand and technique (when a lookalike), issuer, fingerprint, update_type.
]]

local certmon = require "certmon"
local domain = require "certmon.domain"
local lists = require "certmon.lists"
local lookalike = require "certmon.lookalike"
local watchlist = require "certmon.watchlist"

local who = select(2, ...) or "phishing_score.lua"
local here = who:match("^(.*)/") or "."

local function num_env(name, default)
  return lists.env_number(name, default, nil, nil, who)
end

local levels = {
  { "suspicious", num_env("CERTMON_PHISH_SUSPICIOUS", 100) },
  { "likely", num_env("CERTMON_PHISH_LIKELY", 80) },
  { "potential", num_env("CERTMON_PHISH_POTENTIAL", 60) },
}
local min_score = num_env("CERTMON_PHISH_MIN", 80)

-- "word weight" lines -> words, weights
local function weighted(var, default)
  local words, weight = {}, {}
  local lines, path = lists.from_env(var, default, who)
  for _, line in ipairs(lines) do
    local w, n = line:match("^(%S+)%s+(%d+)$")
    if not w then error("phishing_score: bad line in " .. path .. ": " .. line, 0) end
    w = w:lower()
    if not weight[w] then words[#words + 1] = w end
    weight[w] = tonumber(n)
  end
  return words, weight
end

local kw_words, kw_weight = weighted("CERTMON_PHISH_KEYWORDS",
                                     here .. "/phishing_keywords.txt")
local _, tld_weight = weighted("CERTMON_PHISH_TLDS", here .. "/phishing_tlds.txt")
local keywords = domain.keywords(kw_words, "substring")
local allow = watchlist.new(lists.from_env("CERTMON_ALLOW", here .. "/allow.txt", who))
local det = lookalike.new{
  brands = lists.from_env("CERTMON_BRANDS", here .. "/brands.txt", who),
  guard = lists.from_env("CERTMON_LOOKALIKE_GUARD", here .. "/lookalike_guard.txt", who),
}

local free_ca = { ["Let's Encrypt"] = true, ["ZeroSSL"] = true,
                  ["Google Trust Services"] = true,
                  ["Google Trust Services LLC"] = true,
                  ["Buypass AS-983163327"] = true, ["SSL Corporation"] = true }

local function is_alnum(c) return c ~= "" and c:find("^[%w\128-\255]$") ~= nil end

-- score(d, issuer_o) -> score, reasons, finding
local function score(d, issuer_o)
  local total, reasons = 0, {}
  local function add(n, why)
    if n ~= 0 then
      total = total + n
      reasons[#reasons + 1] = ("%+d %s"):format(n, why)
    end
  end
  local body = d.suffix and d.ascii:sub(1, #d.ascii - #d.suffix - 1) or d.ascii
  local uni = d.suffix and d.unicode:sub(1, #d.unicode - #d.suffix - 1) or d.unicode
  local text = domain.skeleton(uni, "strict")
  local counted = {}
  for _, h in ipairs(keywords:match(text)) do
    local before = text:sub(h.first - 1, h.first - 1)
    local after = text:sub(h.last + 1, h.last + 1)
    local left, right = not is_alnum(before), not is_alnum(after)
    local ok = (left and right) or (#h.word >= 4 and (left or right))
    if ok and not counted[h.word] then
      counted[h.word] = true
      add(kw_weight[h.word], "keyword " .. h.word)
    end
  end
  add(tld_weight[d.suffix_icann or ""] or 0, "suffix ." .. tostring(d.suffix_icann))
  local f = det:check(d)
  if f then
    add(math.floor(f.score * 0.85 + 0.5), ("%s of %s"):format(f.technique, f.brand))
  end
  if d.is_idn then add(10, "IDN label") end
  if d.mixed_script then add(30, "label mixes scripts") end
  -- without a hyphen there is neither an xn-- to drop nor one to count
  local hyphens = 0
  if body:find("-", 1, true) then
    hyphens = select(2, body:gsub("xn%-%-", ""):gsub("%-", ""))
  end
  if hyphens >= 3 then add(math.min(20, 5 * (hyphens - 2)), hyphens .. " hyphens") end
  if d.depth >= 5 then add(math.min(20, 5 * (d.depth - 4)), d.depth .. " labels") end
  local lab = d.label or ""
  if #lab >= 12 and not lab:find("-", 1, true) and domain.entropy(lab) >= 3.3 then
    local _, vowels = lab:gsub("[aeiou]", "")
    local _, digits = lab:gsub("%d", "")
    if vowels / #lab < 0.2 or (digits >= 3 and digits < #lab) then
      add(10, "random-looking label")
    end
  end
  if d.on_private_suffix then add(10, "shared hosting ." .. d.suffix) end
  if issuer_o and free_ca[issuer_o] then add(5, "free CA " .. issuer_o) end
  return total, reasons, f
end

local function level_of(s)
  for _, l in ipairs(levels) do
    if s >= l[2] then return l[1] end
  end
  return nil
end

local DAY_S = 24 * 3600

return {
  name = "phishing_score",
  score = score,              -- exposed for tests and other rules
  on_cert = function(msg)
    local data = msg.data
    local leaf = data and data.leaf_cert
    if not leaf or not leaf.all_domains then return end
    local issuer_o = leaf.issuer and leaf.issuer.O
    local best, order = {}, {}
    for _, name in ipairs(leaf.all_domains) do
      local d = domain.parse(name)
      if d.registrable and not det:is_own(d) and not allow:first(d.ascii) then
        local s, reasons, f = score(d, issuer_o)
        if s >= min_score then
          local key = d.registrable
          if not best[key] then order[#order + 1] = key end
          if not best[key] or s > best[key].s then
            best[key] = { s = s, reasons = reasons, f = f, d = d }
          end
        end
      end
    end
    for _, key in ipairs(order) do
      local b = best[key]
      if not lists.seen("phishing_score|" .. key, DAY_S) then
        certmon.alert{
          domain = b.d.ascii,
          score = b.s,
          level = level_of(b.s) or "below",
          reasons = b.reasons,
          registrable = key,
          brand = b.f and b.f.brand,
          technique = b.f and b.f.technique,
          issuer = issuer_o,
          fingerprint = leaf.fingerprint,
          update_type = data.update_type,
        }
      end
    end
  end,
}
