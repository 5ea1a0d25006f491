--[[
lookalike.lua: alert on certificates for domains that imitate your brands.

What for: phishing sites get certificates before they go live. This rule
reads every name in every certificate and reports the ones that look like
a brand you watch, with the technique used:
  homoglyph           g00gle.com, rnicrosoft.com, Cyrillic аррӏе.com (IDN)
  tld-swap            paypal.xyz, netflix.top, paypal.github.io
  typos (dnstwist)    addition, bitsquatting, hyphenation, insertion,
                      omission, plural, repetition, replacement,
                      transposition, vowel-swap: paypall.com, pyapal.com
  subdomain           pay.pal.com
  combosquat          paypal-login.com, secure-paypal.com, paypalverify.com
  brand-in-subdomain  paypal.com.secure-id.xyz
The brands' own domains and their subdomains never alert, nor anything in
the allowlist.

Brands: one registered domain a line in the file named by CERTMON_BRANDS,
else brands.txt next to this rule. Lines with the same name part
(paypal.com, paypal.de) are one brand with several own domains.
Allowlist: CERTMON_ALLOW, else allow.txt next to this rule; certspotter
semantics (example.com = it and its subdomains, .example.com = only
subdomains).
Guard list: CERTMON_LOOKALIKE_GUARD, else lookalike_guard.txt next to this
rule: ordinary words and popular sites one edit from a brand (phase for
chase, finance for binance). A typo finding on a listed label is kept but
weak (score 50); a digit for a letter (4pple), homoglyphs, TLD swaps and
combosquats never are. A changed first letter (raypal, aypal) otherwise
counts like any typo.
Threshold: CERTMON_LOOKALIKE_MIN_SCORE (default 60, 0 to 100). A file that
cannot be read or a threshold that is not a number stops the rule from
loading, with the variable named.

Alerts: one per brand and lookalike registered domain per day, so every
brand a certificate imitates is reported, also when an operator puts
many under one domain (paypal.com.x.xyz, apple.x.xyz); a precertificate
and its certificate count once. Fields:
  domain (the name that matched), brand, technique, score (0-100),
  reasons (that brand's findings, in words), registrable, unicode (when
  IDN), names (the certificate's names on that registered domain
  imitating that brand), issuer, fingerprint, not_before, not_after,
  update_type.
Tests: certmon --test scripts/lookalike.lua (lookalike_test.lua).
]]

local certmon = require "certmon"
local lists = require "certmon.lists"
local lookalike = require "certmon.lookalike"
local watchlist = require "certmon.watchlist"

local who = select(2, ...) or "lookalike.lua"
local here = who:match("^(.*)/") or "."
local min_score = lists.env_number("CERTMON_LOOKALIKE_MIN_SCORE", 60, 0, 100, who)

local det = lookalike.new{
  brands = lists.from_env("CERTMON_BRANDS", here .. "/brands.txt", who),
  allow = watchlist.new(lists.from_env("CERTMON_ALLOW", here .. "/allow.txt", who)),
  guard = lists.from_env("CERTMON_LOOKALIKE_GUARD", here .. "/lookalike_guard.txt", who),
}

local DAY_S = 24 * 3600

return {
  name = "lookalike",
  on_cert = function(msg)
    local data = msg.data
    local leaf = data and data.leaf_cert
    if not leaf or not leaf.all_domains then return end
    for _, r in ipairs(det:check_cert(leaf.all_domains, min_score)) do
      if not lists.seen("lookalike|" .. r.key, DAY_S) then
        local d = r.parsed
        certmon.alert{
          domain = r.domain,
          brand = r.brand,
          technique = r.technique,
          score = r.score,
          reasons = r.reasons,
          registrable = r.registrable,
          unicode = d.is_idn and d.unicode or nil,
          names = r.names,
          issuer = leaf.issuer and leaf.issuer.O,
          fingerprint = leaf.fingerprint,
          not_before = leaf.not_before,
          not_after = leaf.not_after,
          update_type = data.update_type,
        }
      end
    end
  end,
}
