-- certmon.lookalike: each finding class, own domains and allowlist silent.
local T = require "tap"
local lookalike = require "certmon.lookalike"
local watchlist = require "certmon.watchlist"

local det = lookalike.new{
  brands = { "paypal.com", "paypal.de", "apple.com", "microsoft.com",
             "google.com", "wellsfargo.com", "ebay.com", "dhl.com", "gmail.com" },
  allow = watchlist.new{ "paypalobjects.com", ".partner.example" },
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

-- weak findings: reported, but with a score under the rule's threshold
local w = det:check("email.com")
T.ok(w ~= nil and w.score < 60, "weak: first letter changed on a short brand (email/gmail)")

T.ok(not pcall(lookalike.new, { brands = { "co.uk" } }), "a public suffix is not a brand")
T.eq(det:untwist("pyapal.com").technique, "transposition", "untwist is check")
