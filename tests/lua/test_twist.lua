-- certmon.twist: every fuzzer class generated, and untwist (classify) of each.
local T = require "tap"
local twist = require "certmon.twist"
local domain = require "certmon.domain"

local perms = twist.permutations("paypal.com")
local by_tech, where = {}, {}
for _, p in ipairs(perms) do
  by_tech[p.technique] = (by_tech[p.technique] or 0) + 1
  where[p.domain] = p
end
for _, t in ipairs{ "addition", "bitsquatting", "homoglyph", "hyphenation",
                    "insertion", "omission", "repetition", "replacement",
                    "subdomain", "transposition", "vowel-swap", "tld-swap",
                    "plural" } do
  T.ok((by_tech[t] or 0) > 0, "permutations: technique " .. t .. " present")
end
T.ok(where["paypal.com"] == nil, "permutations: the original is not listed")
T.ok(where["pyapal.com"] and where["pyapal.com"].technique == "transposition", "permutations: pyapal transposition")
T.ok(where["paypa.com"] and where["paypal.com"] == nil, "permutations: omission")
T.ok(where["paypal.xyz"] and where["paypal.xyz"].technique == "tld-swap", "permutations: tld-swap")
T.ok(where["pay.pal.com"] and where["pay.pal.com"].technique == "subdomain", "permutations: subdomain")
T.ok(where["xn--pypal-4ve.com"] ~= nil, "permutations: IDN homoglyph as A-label")
T.ok(where["xn--80aa0cbo65f.com"] ~= nil, "permutations: whole-script Cyrillic homoglyph")
T.ok(where["paypall.com"] and #where["paypall.com"].techniques >= 2,
     "permutations: a domain made by two techniques lists both")
local valid = true
for _, p in ipairs(perms) do
  local d = domain.parse(p.domain)
  if d.problem then valid = false print("# invalid: " .. p.domain) end
end
T.ok(valid, "permutations: every permutation is a valid host name")

-- untwist: every permutation (except tld-swap and subdomain, which change
-- the label structure) is classified as one of the techniques that made it.
for _, brand in ipairs{ "paypal.com", "microsoft.com", "google.co.uk" } do
  local bad, n = {}, 0
  local blabel = domain.parse(brand).label_unicode
  for _, p in ipairs(twist.permutations(brand)) do
    if p.technique ~= "tld-swap" and p.technique ~= "subdomain" then
      n = n + 1
      local got = twist.classify(domain.parse(p.domain).label_unicode, blabel)
      local okk = false
      for _, t in ipairs(p.techniques) do if t == got then okk = true end end
      if not okk then bad[#bad + 1] = p.domain .. ":" .. tostring(got) .. "/" .. table.concat(p.techniques, ",") end
    end
  end
  T.ok(#bad == 0, ("classify: all %d permutations of %s recognised"):format(n, brand))
  for i = 1, math.min(#bad, 5) do print("#   " .. bad[i]) end
end

T.eq(twist.classify("pyapal", "paypal"), "transposition", "classify transposition")
T.eq(twist.classify("paypa", "paypal"), "omission", "classify omission")
T.eq(twist.classify("paypals", "paypal"), "plural", "classify plural s")
T.eq(twist.classify("paypales", "paypal"), "plural", "classify plural es")
T.eq(twist.classify("paypal1", "paypal"), "addition", "classify addition")
T.eq(twist.classify("paypall", "paypal"), "repetition", "classify repetition")
T.eq(twist.classify("pay-pal", "paypal"), "hyphenation", "classify hyphenation")
T.eq(twist.classify("paupal", "paypal"), "replacement", "classify replacement (keyboard)")
T.eq(twist.classify("qaypal", "paypal"), "bitsquatting", "classify bitsquatting (p^q one bit)")
T.eq(twist.classify("peypal", "paypal"), "vowel-swap", "classify vowel-swap")
T.eq(twist.classify("paypkal", "paypal"), "insertion", "classify insertion")
T.eq(twist.classify("rnicrosoft", "microsoft"), "homoglyph", "classify homoglyph rn/m")
T.eq(twist.classify("pаypal", "paypal"), "homoglyph", "classify IDN homoglyph")
T.eq(twist.classify("paypal", "paypal"), nil, "classify: same label is no twist")
T.eq(twist.classify("netflix", "paypal"), nil, "classify: unrelated")
