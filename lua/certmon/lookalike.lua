-- certmon.lookalike: which brand does a domain imitate, how, how surely.
--
--   local lookalike = require "certmon.lookalike"
--   local det = lookalike.new{ brands = {"paypal.com", "paypal.de"},
--                              allow = watchlist_or_nil }
--   det:check("paypal-login.com")
--   --> { domain = "paypal-login.com", brand = "paypal.com",
--   --    technique = "combosquat", score = 80, reasons = {...} }
--
-- brands: registered domains, one per brand domain; lines sharing a label
-- (paypal.com, paypal.de) are one brand with several own domains. A
-- brand's own domains and their subdomains are never reported, nor
-- anything the allowlist matches. Findings, strongest first:
--   homoglyph      the label's skeleton equals the brand's (incl. IDN)
--   tld-swap       the brand's label under another suffix
--   typo classes   one edit away (dnstwist names: omission, insertion, ...)
--   subdomain      the brand label split by a dot (pay.pal.com)
--   combosquat     the brand inside a longer label (paypal-login.com)
--   brand-in-subdomain  the brand as a label/token left of a foreign
--                  registrable domain (paypal.com.secure-id.xyz)
local domain = require "certmon.domain"
local twist = require "certmon.twist"

local M = {}
local Det = {}
Det.__index = Det

-- Words that make a combosquat or brand-in-subdomain more likely to be
-- phishing; matched as tokens.
M.lure_words = { "login", "logon", "signin", "sign-in", "account",
  "accounts", "verify", "verification", "secure", "security", "update",
  "support", "help", "service", "billing", "payment", "pay", "wallet",
  "recovery", "unlock", "locked", "confirm", "auth", "password", "reset",
  "id", "online", "web", "app", "portal", "customer", "client", "invoice",
  "refund", "alert", "notice", "bonus", "gift", "promo", "claim", "free",
  "prize", "check", "validate", "session", "mail", "my", "access",
  "tracking", "track", "parcel", "delivery", "shipping", "package", "tax",
  "bank", "banking", "wallet", "airdrop", "kyc", "sso", "2fa", "mfa",
  "team", "official", "center", "centre", "desk", "renew", "renewal",
  "cancel", "order", "hold", "suspended", "limited", "restore" }

-- TLDs (ICANN suffixes) often used for throwaway phishing domains.
M.risky_suffixes = { "xyz", "top", "icu", "tk", "ml", "ga", "cf", "gq",
  "pw", "cc", "club", "online", "site", "live", "vip", "buzz", "rest",
  "shop", "store", "support", "work", "click", "link", "monster", "cyou",
  "sbs", "cfd", "quest", "bar", "fit", "info", "biz", "ru", "su" }

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

-- Shortest brand label the fuzzy and substring checks use: shorter
-- labels (hp, bt) sit one edit away from thousands of real words.
M.min_fuzzy_len = 5
M.min_token_len = 3
-- Score of a weak finding: reported by check(), but under the default
-- alert threshold of the shipped rule (lookalike.lua: 60).
M.weak_score = 50

-- 4-letter labels only count for edits that keep every letter visible.
local short_ok = { transposition = true, repetition = true,
                   hyphenation = true, homoglyph = true }

-- new{ brands = {...}, allow = watchlist|nil, lure_words = {...}? }
function M.new(opts)
  local self = setmetatable({ brands = {}, own = {}, by_skel = {},
                              by_len = {}, by_len_labels = {},
                              allow = opts.allow }, Det)
  local labels = {}
  for _, raw in ipairs(opts.brands or {}) do
    local d = domain.parse(raw)
    if not d.registrable or d.problem then
      error("lookalike: brand '" .. raw .. "' is not a registrable domain", 0)
    end
    self.own[d.registrable] = true
    local lab = d.label_unicode
    local b = self.brands[lab]
    if not b then
      b = { label = lab, domain = d.registrable, domains = {},
            skel = domain.skeleton(lab, "loose"), len = utf8.len(lab) }
      self.brands[lab] = b
      labels[#labels + 1] = lab
      self.by_skel[b.skel] = self.by_skel[b.skel] or b
      self.by_len[b.len] = self.by_len[b.len] or {}
      table.insert(self.by_len[b.len], b)
    end
    b.domains[#b.domains + 1] = d.registrable
  end
  -- The labels of each length bucket, in its order, for dlev_near.
  for len, bucket in pairs(self.by_len) do
    local labs = {}
    for i, b in ipairs(bucket) do labs[i] = b.label end
    self.by_len_labels[len] = labs
  end
  table.sort(labels)
  self.labels = labels
  -- One automaton over the brands' loose skeletons: label skeletons are
  -- searched for them, so "paypa1-login" still contains "paypal".
  local skels, owners = {}, {}
  for _, lab in ipairs(labels) do
    local b = self.brands[lab]
    if b.len >= M.min_token_len then
      skels[#skels + 1] = b.skel
      owners[#skels] = b
    end
  end
  self.kw = domain.keywords(skels, "substring")
  self.kw_owner = owners
  self.lure = domain.keywords(opts.lure_words or M.lure_words, "token")
  -- The same words as skeletons, for the skeleton-space checks.
  local lsk = {}
  for _, w in ipairs(opts.lure_words or M.lure_words) do
    lsk[#lsk + 1] = domain.skeleton(w, "loose")
  end
  self.lure_set = set_of(lsk)
  self.risky = set_of(opts.risky_suffixes or M.risky_suffixes)
  return self
end

-- Is the name one of the brands' own domains, or allowed?
function Det:is_own(d)
  return (d.registrable and self.own[d.registrable]) or
         (d.registrable_icann and self.own[d.registrable_icann]) or false
end

local base_score = {
  homoglyph = 95, ["tld-swap"] = 85, subdomain = 85, transposition = 85,
  omission = 85, repetition = 85, bitsquatting = 80, replacement = 80,
  insertion = 80, addition = 80, hyphenation = 85, ["vowel-swap"] = 80,
  plural = 80, ["edit-distance"] = 70, combosquat = 75,
  ["brand-in-subdomain"] = 70,
}

-- Fuzzy match of one label against brands of similar length.
local function fuzzy(self, lab, sk, add)
  local n = utf8.len(lab) or #lab
  for len = n - 2, n + 2 do
    -- the brands of this length within two edits, found in one C call
    local near, dists = nil, nil
    if self.by_len[len] then
      near, dists = domain.dlev_near(lab, self.by_len_labels[len], 2)
    end
    for j = 1, near and #near or 0 do
      local b, dist = self.by_len[len][near[j]], dists[j]
      if b.len >= 4 and b.label ~= lab and b.skel ~= sk then
        local k = b.len >= 9 and 2 or 1
        local tech = twist.classify(lab, b.label)
        -- Two edits only for long labels, or when they are one technique
        -- (paypales: plural "es"; rnicrosoft: homoglyph).
        if dist == 2 and k == 1 and tech ~= "plural" and tech ~= "homoglyph" then
          tech, dist = nil, 3
        end
        -- Short labels: dropping the first letter mostly leaves another
        -- word (mail for gmail, cloud for icloud), and 4-letter labels
        -- only count for edits that keep all their letters.
        if b.len < M.min_fuzzy_len then
          if not short_ok[tech] then tech, dist = nil, 3 end
        end
        if dist <= 2 and tech then
          -- A different first letter on a short label mostly makes
          -- another word (mail, email for gmail; cooking for booking):
          -- kept, but weak (below the default alert threshold).
          local weak = lab:byte(1) ~= b.label:byte(1) and
            ((b.len <= 7 and (tech == "replacement" or
                              tech == "bitsquatting" or
                              tech == "vowel-swap")) or
             (b.len <= 6 and tech == "omission"))
          add(b, tech, ("%s is %s of %s (distance %d%s)"):format(lab, tech,
              b.label, dist, weak and ", first letter" or ""), 0, weak)
        elseif dist <= 2 then
          add(b, "edit-distance", ("%s is %d edits from %s"):format(lab,
              dist, b.label))
        end
      end
    end
  end
end

-- Brand skeletons inside a string; calls fn(brand, first, last, skel).
local function contains(self, s, fn)
  local sk = domain.skeleton(s, "loose")
  for _, h in ipairs(self.kw:match(sk)) do
    fn(self.kw_owner[h.index], h.first, h.last, sk)
  end
end

-- Is the brand at s[first..last] a token of its own (paypal-login,
-- login-paypal, paypal2)?
local function token_at(s, first, last)
  local before = first > 1 and s:sub(first - 1, first - 1) or ""
  local after = s:sub(last + 1, last + 1)
  local function sep(c) return c == "" or c == "-" or c == "." or c:find("%d") end
  return sep(before) and sep(after)
end

-- Is w a lure word, or (for 4+ letters) a word starting or ending with one?
local function lure_part(self, w, exact)
  if self.lure_set[w] then return true end
  if exact then return false end
  for lw in pairs(self.lure_set) do
    if #lw >= 4 and (w:sub(1, #lw) == lw or w:sub(-#lw) == lw) then
      return true
    end
  end
  return false
end

-- A brand glued to letters inside a token: paypalverify (at the token's
-- edge, glued to a lure word, or with a lure word elsewhere in the name:
-- googledrive-login) counts; applebees and deLIVEry do not.
-- Returns "strong", "weak" or nil.
local function glued(self, br, s, first, last, lure_elsewhere)
  local ts, te = first, last          -- the token around the hit
  while ts > 1 and s:sub(ts - 1, ts - 1):find("[^%-%.%d]") do ts = ts - 1 end
  while te < #s and s:sub(te + 1, te + 1):find("[^%-%.%d]") do te = te + 1 end
  local before, after = s:sub(ts, first - 1), s:sub(last + 1, te)
  local edge = before == "" or after == ""
  if edge then
    local rest = before .. after
    if lure_part(self, rest, br.len <= 4) then return "strong" end
    if br.len >= 5 and lure_elsewhere then return "strong" end
  end
  if br.len >= 7 then return "weak" end
  return nil
end

-- check(name) -> finding or nil. name: as found in a certificate, or a
-- table from domain.parse. The finding with the highest score wins; its
-- reasons list every finding.
function Det:check(name)
  local d = type(name) == "table" and name or domain.parse(name)
  if not d.registrable or not d.label then return nil end
  if self:is_own(d) then return nil end
  if self.allow and self.allow:first(d.ascii) then return nil end
  local best, reasons = nil, {}
  local function add(b, tech, why, bonus, weak)
    local score = (weak and M.weak_score or base_score[tech] or 70) +
                  (bonus or 0)
    if score > 100 then score = 100 end
    reasons[#reasons + 1] = why
    if not best or score > best.score or (score == best.score and
        utf8.len(b.label) > utf8.len(self.brands[best.label].label)) then
      best = { domain = d.ascii, brand = b.domain, technique = tech,
               score = score, label = b.label }
    end
  end
  local lab = d.label_unicode
  local lure_bonus = self.lure:first(d.ascii) and 10 or 0
  local risky = self.risky[d.suffix_icann or ""] and 5 or 0
  if d.on_private_suffix then risky = 5 end
  -- 1. the same label elsewhere, or a label that looks the same
  local b = self.brands[lab]
  if b then
    add(b, "tld-swap", ("%s under .%s instead of %s"):format(lab, d.suffix,
        b.domain), risky)
  end
  local sk = domain.skeleton(lab, "loose")
  local bs = self.by_skel[sk]
  if bs and bs.label ~= lab then
    add(bs, "homoglyph", ("%s looks like %s%s"):format(d.label_unicode,
        bs.label, d.is_idn and " (IDN)" or ""))
  end
  -- 2. one or two edits away
  fuzzy(self, lab, sk, add)
  -- 3. the brand split by a dot: pay.pal.com, www.pay.pal.com
  local sub = d.sub_unicode or ""
  if sub ~= "" then
    local last = sub:match("([^.]+)$")
    local joined = last .. lab
    local jb = self.brands[joined] or self.by_skel[domain.skeleton(joined, "loose")]
    if jb then
      add(jb, "subdomain", ("%s.%s is %s split by a dot"):format(last, lab,
          jb.label))
    end
  end
  -- 4. the brand inside a longer label
  do
    contains(self, lab, function(br, first, last, s)
      if br.skel == s then return end
      -- A token; or a long, distinctive brand (microsoft, netflix) glued
      -- to anything; or a short one glued to a lure word. Brands of three
      -- letters (dhl, ups) need a token and a lure word.
      local tok = token_at(s, first, last)
      local ok
      local weak = false
      if br.len <= 3 then
        ok = tok and lure_bonus > 0
      elseif tok then
        ok = true
      else
        local g = glued(self, br, s, first, last, lure_bonus > 0)
        ok, weak = g ~= nil, g == "weak"
      end
      if ok then
        add(br, "combosquat", ("%s contains %s%s"):format(lab, br.label,
            weak and " (no lure word)" or ""), lure_bonus + risky, weak)
      end
    end)
  end
  -- 5. the brand left of a foreign registrable domain
  if sub ~= "" then
    contains(self, sub, function(br, first, last, s)
      local tok = token_at(s, first, last)
      if tok and (br.len > 3 or lure_bonus > 0) then
        local full = s:find(br.skel .. ".", first, true) == first and
                     s:find("^com?%f[^%w]", last + 2) and 15 or 0
        add(br, "brand-in-subdomain", ("%s in subdomain %s of %s"):format(
            br.label, sub, d.registrable), full + lure_bonus + risky)
      end
    end)
  end
  if not best then return nil end
  best.reasons = reasons
  best.label = nil
  return best
end

-- check_cert(names, min_score) -> array of findings for one certificate,
-- in the order of the names: the best finding per registered domain of
-- the certificate scoring at least min_score, each with `registrable`,
-- `names` (the certificate's names on it), `parsed` (domain.parse of the
-- name that matched) and `key` (what a rule deduplicates on).
function Det:check_cert(names, min_score)
  local best, order, on = {}, {}, {}
  for _, name in ipairs(names) do
    local d = domain.parse(name)
    local r = d.registrable and self:check(d)
    if r and r.score >= (min_score or 0) then
      local key = d.registrable
      if not best[key] then
        order[#order + 1] = key
        on[key] = {}
      end
      table.insert(on[key], d.ascii)
      if not best[key] or r.score > best[key].score then
        r.parsed = d
        best[key] = r
      end
    end
  end
  local out = {}
  for i, key in ipairs(order) do
    local r = best[key]
    r.registrable, r.names, r.key = key, on[key], key
    out[i] = r
  end
  return out
end

-- untwist(name): the dnstwist reverse lookup under its usual name: which
-- brand a seen domain imitates and by which technique (same as check).
Det.untwist = Det.check

return M
