-- Lua side of certmon.domain: parse() fields and the C functions as Lua sees them.
local T = require "tap"
local domain = require "certmon.domain"

local d = domain.parse("*.Login.XN--PYPAL-4VE.com.")
T.eq(d.ascii, "login.xn--pypal-4ve.com", "parse: lower case, no trailing dot, no *.")
T.eq(d.wildcard, true, "parse: wildcard flag")
T.eq(d.unicode, "login.pаypal.com", "parse: xn-- label decoded")
T.eq(d.registrable, "xn--pypal-4ve.com", "parse: registrable")
T.eq(d.label, "xn--pypal-4ve", "parse: label")
T.eq(d.label_unicode, "pаypal", "parse: label_unicode")
T.eq(d.sub, "login", "parse: sub")
T.eq(d.is_idn, true, "parse: is_idn")
T.eq(d.mixed_script, true, "parse: mixed script (Latin + Cyrillic a)")
T.eq(d.scripts, { "Latin", "Cyrillic" }, "parse: scripts")
T.eq(d.depth, 3, "parse: depth")

d = domain.parse("paypal.com")
T.eq(d.sub, "", "parse: no subdomain gives empty sub")
T.eq(d.problem, nil, "parse: valid name has no problem")

d = domain.parse("a.b.example.github.io")
T.eq({ d.registrable, d.registrable_icann, d.suffix, d.suffix_icann,
       d.on_private_suffix },
     { "example.github.io", "github.io", "github.io", "io", true },
     "parse: private and ICANN views")

d = domain.parse("a.b.co.uk")
T.eq({ d.registrable, d.label, d.sub }, { "b.co.uk", "b", "a" }, "parse: a.b.co.uk")

d = domain.parse("аррӏе.com")
T.eq(d.ascii, "xn--80ak6aa92e.com", "parse: Unicode input encoded with IDNA2008")
T.eq(d.mixed_script, false, "parse: whole-script Cyrillic is not mixed")

d = domain.parse("co.uk")
T.eq(d.registrable, nil, "parse: a public suffix has no registrable domain")

d = domain.parse("bad..name")
T.eq(d.problem, "empty label", "parse: bad label flagged, not dropped")
T.eq(d.ascii, "bad..name", "parse: bad name kept")

d = domain.parse("xn--zz-zzz-.com")
T.eq(d.bad_punycode, true, "parse: bad punycode flagged")
T.eq(d.unicode, "xn--zz-zzz-.com", "parse: bad punycode label kept raw")

T.eq(domain.parse("").problem, "empty name", "parse: empty name")

-- C functions through Lua
T.eq(domain.registrable("x.github.io", "icann"), "github.io", "registrable icann view")
T.eq(domain.suffix("x.github.io"), "github.io", "suffix all view")
T.eq({ domain.lev("pyapal", "paypal"), domain.dlev("pyapal", "paypal") }, { 2, 1 },
     "lev vs dlev on a transposition")
T.eq(domain.dlev("abcdef", "zzzzzz", 2), 3, "dlev early exit reports max+1")
T.eq({ domain.dlev_near("paypal", { "paypal", "zzzzzz", "pyapal", "paypall",
                                    "xxpaypalxx", "pаypal" }, 2) },
     { { 1, 3, 4, 6 }, { 0, 1, 1, 1 } }, "dlev_near: positions and distances in order")
T.eq(select("#", domain.dlev_near("paypal", { "zzzzzz", "qqqqqq" }, 2)), 0,
     "dlev_near: nothing within reach gives no values")
do -- dlev_near agrees with dlev over many pairs
  local words = { "google", "gooogle", "goggle", "amazon", "amaz0n", "micrsoft",
    "microsoft", "apple", "appel", "aple", "paypal", "paypa1", "netflix",
    "netfilx", "ebay", "ebya", "", "a", "ab", "ba", "bücher", "bucher" }
  local same = true
  for _, a in ipairs(words) do
    for max = 0, 3 do
      local want_i, want_d = {}, {}
      for i, b in ipairs(words) do
        local d = domain.dlev(a, b, max)
        if d <= max then want_i[#want_i + 1] = i; want_d[#want_d + 1] = d end
      end
      local got_i, got_d = domain.dlev_near(a, words, max)
      got_i, got_d = got_i or {}, got_d or {}
      if #got_i ~= #want_i then same = false end
      for k = 1, #want_i do
        if got_i[k] ~= want_i[k] or got_d[k] ~= want_d[k] then same = false end
      end
    end
  end
  T.ok(same, "dlev_near equals dlev on every pair and max 0..3")
end
T.eq(domain.skeleton("g00gle", "loose"), domain.skeleton("google", "loose"), "skeleton loose g00gle")
T.eq(domain.skeleton("аррӏе"), "apple", "skeleton strict Cyrillic apple")
T.eq(domain.confusable("rnicrosoft", "microsoft"), true, "confusable rn/m")
T.eq(domain.confusable("apply", "apple"), false, "apply is not apple")
T.eq(select(2, pcall(domain.skeleton, "x", "bogus")) ~= nil, true, "skeleton: bad mode raises")

local kw = domain.keywords({ "live", "login", "paypal" }, "token")
T.eq(kw:match("delivery-online.com"), {}, "keywords token: no live in delivery")
T.eq(kw:match("paypal-login.com"),
     { { first = 1, index = 3, last = 6, word = "paypal" },
       { first = 8, index = 2, last = 12, word = "login" } },
     "keywords token: two hits with positions")
T.eq(#kw:match("delivery-online.com", "substring"), 1, "keywords: mode per call")
T.eq({ kw:first("x.live.com") }, { "live", 3, 6 }, "keywords first")
T.eq(kw:first("nothing"), nil, "keywords first: no hit")
T.ok(not pcall(domain.keywords, { "ok", 5 }), "keywords: non-string item raises")
T.ok(not pcall(domain.keywords, { "ok", "" }), "keywords: empty keyword raises")

local f = domain.features("a-b-c.example1.com")
T.eq({ f.labels, f.hyphens, f.digits }, { 3, 2, 1 }, "features")
T.ok(domain.entropy("abcd") > 1.99 and domain.entropy("abcd") < 2.01, "entropy")

local big = {}
for i = 1, 500 do big[i] = "brand" .. i end
local kb = domain.keywords(big, "substring")
T.eq(#kb:match("x-brand499-y"), 3, "keywords: 500 words, overlapping hits (brand4, brand49, brand499)")
