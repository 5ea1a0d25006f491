-- certmon.twist: dnstwist-style permutations of a brand and the reverse.
--
--   local twist = require "certmon.twist"
--   twist.permutations("paypal.com")   --> { {domain=, technique=}, ... }
--   twist.classify("pyapal", "paypal") --> "transposition"
--
-- Techniques: addition, bitsquatting, homoglyph, hyphenation, insertion,
-- omission, repetition, replacement, subdomain, transposition, vowel-swap,
-- tld-swap, plural. Permutations work on the registrable label and keep
-- the suffix (tld-swap changes it). Homoglyphs come out as A-labels.
-- classify() names the single edit that turns a brand label into a seen
-- label (one step; homoglyph also accepts any number of look-alike
-- substitutions), or returns nil.
local domain = require "certmon.domain"

local M = {}

-- Keyboard rows of three layouts; neighbours are the keys left, right,
-- and the two touching keys in the rows above and below (staggered rows).
local layouts = {
  { "1234567890-", "qwertyuiop", "asdfghjkl", "zxcvbnm" },
  { "1234567890", "qwertzuiop", "asdfghjkl", "yxcvbnm" },
  { "1234567890", "azertyuiop", "qsdfghjklm", "wxcvbn" },
}

local adjacent = {}       -- adjacent[c] = { [d] = true, ... }
for _, rows in ipairs(layouts) do
  for r, row in ipairs(rows) do
    for i = 1, #row do
      local c = row:sub(i, i)
      local set = adjacent[c] or {}
      adjacent[c] = set
      local function add(rr, j)
        local rw = rows[rr]
        if rw and j >= 1 and j <= #rw then set[rw:sub(j, j)] = true end
      end
      add(r, i - 1); add(r, i + 1)
      add(r - 1, i); add(r - 1, i + 1)
      add(r + 1, i - 1); add(r + 1, i)
    end
  end
end
M.adjacent = adjacent

-- Look-alikes used to generate homoglyphs: ASCII (incl. multi-letter) and
-- Unicode letters of other scripts that IDNA2008 allows.
local glyphs = {
  a = { "à", "á", "â", "ã", "ä", "å", "ɑ", "а", "ạ", "ą" },
  b = { "d", "lb", "ʙ", "ь", "ḃ" },
  c = { "e", "ç", "ć", "с", "ϲ" },
  d = { "b", "cl", "dl", "ԁ", "ď", "ḋ" },
  e = { "c", "é", "è", "ê", "ë", "е", "ė", "ę" },
  g = { "q", "ɡ", "ġ", "ğ", "ց" },
  h = { "lh", "һ", "հ" },
  i = { "1", "l", "í", "ì", "ï", "ı", "і", "ι" },
  j = { "ј", "ʝ" },
  k = { "lk", "ik", "lc", "κ", "к" },
  l = { "1", "i", "ӏ", "ł", "ĺ", "ⅼ" },
  m = { "n", "nn", "rn", "rr", "м" },
  n = { "m", "r", "ո", "ñ", "ń" },
  o = { "0", "о", "ο", "օ", "ö", "ó", "ò", "ø" },
  p = { "р", "ρ", "þ" },
  q = { "g", "ԛ", "զ" },
  r = { "ʀ", "г" },
  s = { "ѕ", "ś", "š" },
  t = { "τ", "ţ" },
  u = { "μ", "υ", "ս", "ü", "ú", "ù" },
  v = { "ν", "ѵ" },
  w = { "vv", "ԝ", "ѡ", "ω" },
  x = { "х", "χ" },
  y = { "у", "ү", "ý", "ÿ" },
  z = { "ʐ", "ż", "ž" },
  ["0"] = { "o" },
  ["1"] = { "l", "i" },
}
M.glyphs = glyphs

-- Latin letters with a whole-script Cyrillic twin (the "cyrillic" style
-- of homoglyph: every letter replaced).
local cyrillic = { a = "а", b = "ь", c = "с", d = "ԁ", e = "е", g = "ԍ",
  h = "һ", i = "і", j = "ј", k = "к", l = "ӏ", m = "м", o = "о", p = "р",
  q = "ԛ", s = "ѕ", t = "т", v = "ѵ", w = "ԝ", x = "х", y = "у" }

local vowels = { a = true, e = true, i = true, o = true, u = true }

-- A built-in list of TLDs for tld-swap: the largest gTLDs, popular
-- ccTLDs and TLDs often seen in abuse.
M.tlds = { "com", "net", "org", "info", "biz", "co", "io", "us", "uk",
  "co.uk", "de", "fr", "it", "es", "nl", "ru", "cn", "in", "br", "com.br",
  "au", "com.au", "ca", "jp", "co.jp", "eu", "me", "app", "dev", "online",
  "site", "store", "shop", "top", "xyz", "club", "live", "vip", "icu",
  "cc", "tk", "ml", "ga", "cf", "gq", "pw", "cloud", "support", "help",
  "services", "link", "click", "work", "page", "website", "tech", "ai" }

local function chars(s)
  local t = {}
  for _, c in utf8.codes(s) do t[#t + 1] = utf8.char(c) end
  return t
end

local valid_ascii = "^[a-z0-9][a-z0-9%-]*[a-z0-9]$"

-- permutations(name [, opts]) -> array of { domain, technique, techniques },
-- unique, without the original; technique is the first technique that
-- made the domain, techniques all of them (paypall: addition, repetition). opts.tlds replaces the tld-swap list.
function M.permutations(name, opts)
  opts = opts or {}
  local d = domain.parse(name)
  local label, suffix = d.label_unicode, d.suffix
  if not label then return {} end
  local out, seen = {}, { [d.registrable] = true }
  local function emit(lab, tech, suf)
    suf = suf or suffix
    local full = lab .. "." .. suf
    local a = full
    if full:find("[\128-\255]") then
      -- IDNA may map a character to another (long s to s, lunate sigma
      -- to sigma); keep only glyphs that survive the round trip.
      a = domain.to_ascii(full)
      if not a or domain.to_unicode(a) ~= full then return end
    else
      for part in lab:gmatch("[^.]+") do
        if not part:find(valid_ascii) and #part > 1 then return end
      end
      if lab:find("^%.") or lab:find("%.$") or lab:find("%.%.") then return end
    end
    local prev = seen[a]
    if prev then
      if type(prev) == "table" and not prev.by[tech] then
        prev.by[tech] = true
        prev.techniques[#prev.techniques + 1] = tech
      end
      return
    end
    local e = { domain = a, technique = tech, techniques = { tech },
                by = { [tech] = true } }
    seen[a] = e
    out[#out + 1] = e
  end
  local c = chars(label)
  local n = #c
  local function join(i, j) return table.concat(c, "", i, j) end
  local function around(i, mid) return join(1, i - 1) .. mid .. join(i + 1, n) end
  -- addition: one character at the end (and before each hyphenated part)
  for _, ch in ipairs(chars("abcdefghijklmnopqrstuvwxyz0123456789")) do
    emit(label .. ch, "addition")
  end
  -- bitsquatting: one bit flipped, result still a host name byte
  for i = 1, n do
    local b = c[i]:byte()
    if #c[i] == 1 then
      for bit = 0, 7 do
        local f = string.char(b ~ (1 << bit))
        if f:find("^[a-z0-9%-]$") then emit(around(i, f), "bitsquatting") end
      end
    end
  end
  -- homoglyph: one look-alike substitution; plus whole-label Cyrillic
  for i = 1, n do
    for _, g in ipairs(glyphs[c[i]] or {}) do emit(around(i, g), "homoglyph") end
  end
  local cy, all = {}, true
  for i = 1, n do
    cy[i] = cyrillic[c[i]]
    if not cy[i] then all = false break end
  end
  if all then emit(table.concat(cy), "homoglyph") end
  -- hyphenation
  for i = 1, n - 1 do emit(join(1, i) .. "-" .. join(i + 1, n), "hyphenation") end
  -- insertion: a keyboard neighbour before or after a character
  for i = 1, n do
    for k in pairs(adjacent[c[i]] or {}) do
      emit(join(1, i - 1) .. k .. join(i, n), "insertion")
      emit(join(1, i) .. k .. join(i + 1, n), "insertion")
    end
  end
  -- omission, repetition
  for i = 1, n do emit(around(i, ""), "omission") end
  for i = 1, n do emit(around(i, c[i] .. c[i]), "repetition") end
  -- replacement: a keyboard neighbour instead of a character
  for i = 1, n do
    for k in pairs(adjacent[c[i]] or {}) do emit(around(i, k), "replacement") end
  end
  -- subdomain: a dot inside the label
  for i = 1, n - 1 do
    if c[i] ~= "-" and c[i + 1] ~= "-" then
      emit(join(1, i) .. "." .. join(i + 1, n), "subdomain")
    end
  end
  -- transposition
  for i = 1, n - 1 do
    if c[i] ~= c[i + 1] then
      emit(join(1, i - 1) .. c[i + 1] .. c[i] .. join(i + 2, n), "transposition")
    end
  end
  -- vowel-swap
  for i = 1, n do
    if vowels[c[i]] then
      for v in pairs(vowels) do
        if v ~= c[i] then emit(around(i, v), "vowel-swap") end
      end
    end
  end
  -- plural: "s" or "es" at the end or inside (compound words)
  for i = 2, n do
    emit(join(1, i) .. "s" .. join(i + 1, n), "plural")
    emit(join(1, i) .. "es" .. join(i + 1, n), "plural")
  end
  -- tld-swap
  for _, t in ipairs(opts.tlds or M.tlds) do
    if t ~= suffix then emit(label, "tld-swap", t) end
  end
  return out
end

local function is_glyph(brand_ch, seen_str)
  for _, g in ipairs(glyphs[brand_ch] or {}) do
    if g == seen_str then return true end
  end
  return false
end

-- classify(seen, brand) -> technique or nil. Both are registrable labels
-- (Unicode allowed). Precedence follows how specific the edit is.
function M.classify(seen, brand)
  if seen == brand then return nil end
  local s, b = chars(seen), chars(brand)
  local ns, nb = #s, #b
  if domain.skeleton(seen, "loose") == domain.skeleton(brand, "loose") then
    return "homoglyph"
  end
  -- common prefix and suffix lengths
  local p = 0
  while p < ns and p < nb and s[p + 1] == b[p + 1] do p = p + 1 end
  local q = 0
  while q < ns - p and q < nb - p and s[ns - q] == b[nb - q] do q = q + 1 end
  local ds, db = ns - p - q, nb - p - q     -- lengths of the differing middle
  if ds == 1 and db == 0 then               -- one character inserted
    local x = s[p + 1]
    -- the inserted character may slide within a run; look at neighbours
    if (p >= 1 and s[p] == x) or s[p + 2] == x then return "repetition" end
    if x == "-" then return "hyphenation" end
    if x == "." then return "subdomain" end
    if x == "s" and (p >= 2 or p + 1 == ns) then return "plural" end
    if p + 1 == ns then return "addition" end
    return "insertion"
  end
  if ds == 2 and db == 0 then
    -- "es" inserted; the common prefix may have eaten its "e"
    for i = math.max(2, p - 1), p do
      if table.concat(b, "", 1, i) .. "es" .. table.concat(b, "", i + 1) == seen then
        return "plural"
      end
    end
  end
  if ds == 0 and db == 1 then return "omission" end
  if ds == 1 and db == 1 then
    local x, y = s[p + 1], b[p + 1]
    if is_glyph(y, x) then return "homoglyph" end
    if vowels[x] and vowels[y] then return "vowel-swap" end
    if #x == 1 and #y == 1 then
      local f = x:byte() ~ y:byte()
      if f & (f - 1) == 0 then return "bitsquatting" end
    end
    return "replacement"
  end
  if ds == 2 and db == 2 and s[p + 1] == b[p + 2] and s[p + 2] == b[p + 1] then
    return "transposition"
  end
  if db == 1 and ds >= 1 and ds <= 2 and is_glyph(b[p + 1], table.concat(s, "", p + 1, p + ds)) then
    return "homoglyph"
  end
  if ds == 1 and db == 2 and is_glyph(table.concat(b, "", p + 1, p + 2), s[p + 1]) then
    return "homoglyph"
  end
  return nil
end

return M
