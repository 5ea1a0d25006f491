-- certmon.lookalike: each finding class, own domains and allowlist silent.
local T = require "tap"
local lookalike = require "certmon.lookalike"
local watchlist = require "certmon.watchlist"

local det = lookalike.new{
  brands = { "paypal.com", "paypal.de", "apple.com", "microsoft.com",
             "google.com", "wellsfargo.com", "ebay.com", "dhl.com", "gmail.com" },
  allow = watchlist.new{ "paypalobjects.com", ".partner.example" },
  guard = { "email", "mail", "Hoogle", "paypad.com", "4pple", "g00gle" },
}

-- What the shipped rule would report (it drops findings under 60).
local function tech(name)
  local r = det:check(name)
  return r and r.score >= 60 and r.brand .. " " .. r.technique or "none"
end

-- silent on own domains, subdomains, allowlist
for _, n in ipairs{ "paypal.com", "www.paypal.com", "*.paypal.com", "paypal.de",
                    "api.paypal.de", "apple.com", "login.microsoft.com",
                    "www.paypalobjects.com", "paypal-login.partner.example",
                    "example.org", "delivery-online.com", "applebees.com",
                    "pineapple.com", "mail.ru", "googleblog.com" } do
  T.eq(tech(n), "none", "silent: " .. n)
end

local want = {
  ["paypal.xyz"] = "paypal.com tld-swap",
  ["paypal.github.io"] = "paypal.com tld-swap",
  ["pаypal.com"] = "paypal.com homoglyph",
  ["xn--80ak6aa92e.com"] = "apple.com homoglyph",
  ["g00gle.com"] = "google.com homoglyph",
  ["rnicrosoft.com"] = "microsoft.com homoglyph",
  ["vvellsfargo.com"] = "wellsfargo.com homoglyph",
  ["pyapal.com"] = "paypal.com transposition",
  ["paypa.com"] = "paypal.com omission",
  ["paypall.com"] = "paypal.com repetition",
  ["paypal1.com"] = "paypal.com addition",
  ["pay-pal.com"] = "paypal.com hyphenation",
  ["paypals.com"] = "paypal.com plural",
  ["peypal.com"] = "paypal.com vowel-swap",
  ["paypkal.com"] = "paypal.com insertion",
  ["paupal.com"] = "paypal.com replacement",
  ["paypah.com"] = "paypal.com bitsquatting",
  ["pay.pal.com"] = "paypal.com subdomain",
  ["paypal-login.com"] = "paypal.com combosquat",
  ["secure-paypal.com"] = "paypal.com combosquat",
  ["paypalverify.com"] = "paypal.com combosquat",
  ["paypa1-login.com"] = "paypal.com combosquat",
  ["microsoftsupport.net"] = "microsoft.com combosquat",
  ["dhl-parcel.com"] = "dhl.com combosquat",
  ["paypal.com.secure-id.xyz"] = "paypal.com brand-in-subdomain",
  ["login.paypal.secure-update.co.uk"] = "paypal.com brand-in-subdomain",
  ["ebya.com"] = "ebay.com transposition",
  ["e-bay.com"] = "ebay.com hyphenation",
}
local names = {}
for n in pairs(want) do names[#names + 1] = n end
table.sort(names)
for _, n in ipairs(names) do T.eq(tech(n), want[n], "finds: " .. n) end

-- 4-letter brands: only edits that keep every letter
T.eq(tech("eba.com"), "none", "short brand: omission ignored")
T.eq(tech("dhl-info.com"), "none", "3-letter brand: token without a lure word ignored")

local r = det:check("paypal.com.secure-login.xyz")
T.ok(r.score > 70 and r.score <= 100, "brand-in-subdomain with the brand's domain and a lure scores high")
T.ok(#r.reasons >= 1 and r.reasons[1]:find("paypal", 1, true) ~= nil, "reasons explain the finding")
T.eq(r.domain, "paypal.com.secure-login.xyz", "finding names the domain")

-- a changed first letter alerts like any other typo (it used to be weak)
T.eq(tech("qaypal.com"), "paypal.com bitsquatting", "first letter: qaypal")
T.eq(tech("aypal.com"), "paypal.com omission", "first letter: aypal")
T.eq(tech("upple.com"), "apple.com vowel-swap", "first letter: upple")

-- the guard list: a typo whose label is listed is reported, but weak
-- (under the rule's threshold); a label matches under any suffix, a
-- domain only itself; a digit for a letter and a homoglyph are never weak
local w = det:check("email.com")
T.ok(w ~= nil and w.score < 60, "guard: email (gmail) is weak")
T.ok(w.reasons[1]:find("listed word", 1, true) ~= nil, "guard: the reason says why it is weak")
T.eq(tech("hoogle.org"), "none", "guard: a listed label under any suffix, list case-insensitive")
T.eq(tech("paypad.com"), "none", "guard: a listed domain")
T.eq(tech("paypad.net"), "paypal.com bitsquatting", "guard: a listed domain guards only itself")
T.eq(tech("4pple.com"), "apple.com replacement", "guard: never a digit for a letter")
T.eq(tech("g00gle.com"), "google.com homoglyph", "guard: never a homoglyph")

-- check_all: every brand a name imitates; check_cert: one finding per
-- (brand, registered domain) of a certificate
local all = det:check_all("paypal-apple-login.com")
T.eq(#all, 2, "check_all: two brands in one name")
T.eq(all[1].brand .. " " .. all[2].brand, "paypal.com apple.com", "check_all: strongest first, then first found")
local c = det:check_cert({ "paypal.com.verify-account.xyz", "apple.verify-account.xyz",
                           "www.apple.verify-account.xyz", "example.org" }, 60)
T.eq(#c, 2, "check_cert: two brands on one registered domain, two findings")
T.eq(c[1].key, "paypal.com|verify-account.xyz", "check_cert: key is brand and registered domain")
T.eq(table.concat(c[2].names, " "), "apple.verify-account.xyz www.apple.verify-account.xyz",
     "check_cert: the names imitating that brand")
T.eq(#det:check_cert({ "email.com" }, 60), 0, "check_cert: under min_score left out")

T.ok(not pcall(lookalike.new, { brands = { "co.uk" } }), "a public suffix is not a brand")
T.eq(det:untwist("pyapal.com").technique, "transposition", "untwist is check")
