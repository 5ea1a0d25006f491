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
-- anything the allowlist matches. guard: labels (finance) or registered
-- domains (finance.com) that are ordinary words or popular sites: a typo
-- finding whose label is guarded is kept but weak (below the rule's
-- threshold); a digit put for a letter (4pple) is never guarded.
-- Findings, strongest first:
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

-- Typo classes the guard list can weaken (edits that can make a word;
-- homoglyphs, TLD swaps and combosquats are not words by accident).
local guardable = { addition = true, bitsquatting = true, insertion = true,
  omission = true, replacement = true, repetition = true, plural = true,
  transposition = true, ["vowel-swap"] = true, hyphenation = true,
  ["edit-distance"] = true }

-- new{ brands = {...}, allow = watchlist|nil, guard = {...}|nil,
--      lure_words = {...}? }
function M.new(opts)
  local self = setmetatable({ brands = {}, own = {}, by_skel = {},
                              by_len = {}, near_labels = {},
                              near_brands = {},
                              allow = opts.allow, guard = {} }, Det)
  for _, g in ipairs(opts.guard or {}) do
    self.guard[g:lower()] = true
  end
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
  -- For a label of n code points, the brands of n - 2 .. n + 2 (those
  -- two edits can reach), shorter lengths first and each bucket in its
  -- order, and their labels: one dlev_near call per label, its hits in
  -- the order a call per length would give them.
  for len in pairs(self.by_len) do
    for n = len - 2, len + 2 do
      if not self.near_brands[n] then
        local brands, labs = {}, {}
        for l = n - 2, n + 2 do
          for _, b in ipairs(self.by_len[l] or {}) do
            brands[#brands + 1] = b
            labs[#labs + 1] = b.label
          end
        end
        self.near_brands[n], self.near_labels[n] = brands, labs
      end
    end
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
  -- the brands of similar length within two edits, found in one C call
  local near, dists = nil, nil
  local brands = self.near_brands[n]
  if brands then
    near, dists = domain.dlev_near(lab, self.near_labels[n], 2)
  end
  for j = 1, near and #near or 0 do
    local b, dist = brands[near[j]], dists[j]
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
        -- A changed first letter often makes another word (email for
        -- gmail, phase for chase): kept at full score, except where
        -- there is evidence the label is something else (the guard
        -- list, applied in check_all). A digit for a letter is never a word.
        local c1 = lab:sub(1, 1)
        local first = c1 ~= b.label:sub(1, 1)
        local digit = first and c1:find("%d") ~= nil and
                      not b.label:sub(1, 1):find("%d")
        add(b, tech, ("%s is %s of %s (distance %d%s)"):format(lab, tech,
            b.label, dist, digit and ", a digit for a letter" or
            first and ", first letter" or ""), 0, nil, digit)
      elseif dist <= 2 then
        add(b, "edit-distance", ("%s is %d edits from %s"):format(lab,
            dist, b.label))
      end
    end
  end
end

-- Brand skeletons inside a string; calls fn(brand, first, last, skel).
-- sk: the string's loose skeleton when the caller has it already.
local function contains(self, s, fn, sk)
  sk = sk or domain.skeleton(s, "loose")
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

-- check_all(name) -> array of findings, one per brand the name imitates,
-- strongest first, or nil. name: as found in a certificate, or a table
-- from domain.parse. Each finding: domain, brand (the brand's first
-- domain), technique and score of its strongest finding for that brand,
-- reasons (that brand's findings, in words). A brand whose label lies
-- inside the label of another brand found as strong (office in
-- office365) is left out.
function Det:check_all(name)
  local d = type(name) == "table" and name or domain.parse(name)
  if not d.registrable or not d.label then return nil end
  if self:is_own(d) then return nil end
  -- made on the first finding: most names have none
  local per, found, reasons, guarded
  local lab = d.label_unicode
  local function add(b, tech, why, bonus, weak, never_guard)
    if guarded == nil then          -- looked up on the first finding only
      guarded = self.guard[lab] or self.guard[d.registrable] or
                (d.registrable_icann and self.guard[d.registrable_icann]) or false
    end
    if guarded and guardable[tech] and not never_guard and not weak then
      weak = true
      why = why .. " (a listed word or site: weak)"
    end
    local score = (weak and M.weak_score or base_score[tech] or 70) +
                  (bonus or 0)
    if score > 100 then score = 100 end
    if not found then per, found, reasons = {}, {}, {} end
    reasons[#reasons + 1] = why
    local f = per[b.label]
    if not f then
      f = { domain = d.ascii, brand = b.domain, label = b.label,
            score = -1, reasons = {}, n = #found + 1 }
      per[b.label] = f
      found[#found + 1] = f
    end
    f.reasons[#f.reasons + 1] = why
    if score > f.score then f.score, f.technique = score, tech end
  end
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
    -- its last label: "([^.]+)$" would be tried from every position,
    -- through every label; anchored, the match takes one pass
    local last = sub
    if sub:find(".", 1, true) then last = sub:match("^.*%.([^.]+)$") end
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
    end, sk)
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
  if not found then return nil end
  -- the allowlist last: it only matters for the few names with a finding
  if self.allow and self.allow:first(d.ascii) then return nil end
  local out = {}
  for _, f in ipairs(found) do
    local inside = false
    for _, g in ipairs(found) do
      if g ~= f and g.score >= f.score and #g.label > #f.label and
         g.label:find(f.label, 1, true) then
        inside = true
        break
      end
    end
    if not inside then out[#out + 1] = f end
  end
  -- strongest first; on a tie the longer brand (microsoftonline over
  -- microsoft), then the first found
  table.sort(out, function(x, y)
    if x.score ~= y.score then return x.score > y.score end
    local lx, ly = utf8.len(x.label) or #x.label, utf8.len(y.label) or #y.label
    if lx ~= ly then return lx > ly end
    return x.n < y.n
  end)
  for _, f in ipairs(out) do f.label, f.n = nil, nil end
  out.reasons = reasons
  return out
end

-- check(name) -> the strongest finding (as check_all's) or nil; its
-- reasons list every finding, for every brand.
function Det:check(name)
  local all = self:check_all(name)
  if not all then return nil end
  local best = all[1]
  best.reasons = all.reasons
  return best
end

local none = {}            -- an empty list to iterate, never written

-- check_cert(names, min_score) -> array of findings for one certificate,
-- one per (brand, registered domain) scoring at least min_score, in the
-- order of the names: every brand the certificate imitates is reported,
-- also when several share one operator's domain (paypal.com.x.xyz,
-- apple.x.xyz). Each finding is check_all's strongest for that pair plus
-- `registrable`, `names` (the certificate's names on it imitating that
-- brand), `parsed` (domain.parse of the best name) and `key` (brand and
-- registered domain: what a rule deduplicates on; a precertificate and
-- its certificate have the same names, so the same keys).
function Det:check_cert(names, min_score)
  min_score = min_score or 0
  local best, order = {}, {}
  for _, name in ipairs(names) do
    local d = domain.parse(name)
    local all = d.registrable and self:check_all(d)
    for _, r in ipairs(all or none) do
      if r.score >= min_score then
        local key = r.brand .. "|" .. d.registrable
        local cur = best[key]
        if not cur then
          order[#order + 1] = key
          r.names = {}
          cur = r
        elseif r.score > cur.score then
          r.names = cur.names
          cur = r
        end
        if cur == r then
          r.parsed, r.registrable, r.key = d, d.registrable, key
          best[key] = r
        end
        table.insert(cur.names, d.ascii)
      end
    end
  end
  local out = {}
  for i, key in ipairs(order) do out[i] = best[key] end
  return out
end

-- untwist(name): the dnstwist reverse lookup under its usual name: which
-- brand a seen domain imitates and by which technique (same as check).
Det.untwist = Det.check

return M
