--[[
keyword_watch.lua: alert when a certificate names a domain containing a
watched keyword.

What for: a cheap early warning for terms that matter to you (your
product names, "login", "wallet", ...) appearing in newly issued
certificates, before the sites go live.

Keywords: one a line in the file named by the environment variable
CERTMON_KEYWORDS, else keyword_watch.txt next to this rule; `#` starts a
comment. Matching is case-insensitive and by substring, so "login" also
matches "paypal-login.example".

Alerts: one per domain and keyword per day (the precertificate and the
certificate of the same name count once), with fields
  domain, keyword, issuer, fingerprint, not_before, not_after, log,
  update_type.
]]

local certmon = require "certmon"
local lists = require "certmon.lists"

local who = select(2, ...) or "keyword_watch.lua"
local here = who:match("^(.*)/") or "."

local keywords = {}
for _, k in ipairs(lists.from_env("CERTMON_KEYWORDS", here .. "/keyword_watch.txt", who)) do
  keywords[#keywords + 1] = k:lower()
end

local DAY_S = 24 * 3600

return {
  name = "keyword_watch",
  on_cert = function(msg)
    local data = msg.data
    local leaf = data and data.leaf_cert
    if not leaf or not leaf.all_domains then return end
    for _, domain in ipairs(leaf.all_domains) do
      local d = domain:lower()
      for _, k in ipairs(keywords) do
        if d:find(k, 1, true) and not certmon.store.seen(d .. " " .. k, DAY_S) then
          certmon.alert{
            domain = domain,
            keyword = k,
            issuer = leaf.issuer and leaf.issuer.O,
            fingerprint = leaf.fingerprint,
            not_before = leaf.not_before,
            not_after = leaf.not_after,
            log = data.source and data.source.name,
            update_type = data.update_type,
          }
        end
      end
    end
  end,

  -- certmon --test scripts/keyword_watch.lua
  tests = {
    { name = "keyword in a subdomain",
      domains = { "secure-login.example.net", "example.net" },
      expect = { { domain = "secure-login.example.net", keyword = "login",
                   issuer = "certmon Test CA" } } },
    { name = "case-insensitive, one alert per domain and keyword",
      domains = { "WALLET-Recovery.example", "wallet-recovery.example" },
      expect = { { domain = "WALLET-Recovery.example", keyword = "wallet" },
                 { domain = "WALLET-Recovery.example", keyword = "recovery" } } },
    { name = "precertificate and certificate alert once",
      messages = {
        { message_type = "certificate_update",
          data = { update_type = "PrecertLogEntry",
                   leaf_cert = { all_domains = { "verify.example" } } } },
        { message_type = "certificate_update",
          data = { update_type = "X509LogEntry",
                   leaf_cert = { all_domains = { "verify.example" } } } } },
      expect = { { domain = "verify.example", keyword = "verify",
                   update_type = "PrecertLogEntry" } } },
    { name = "a message without data or names is skipped",
      messages = { { message_type = "certificate_update" },
                   { message_type = "certificate_update", data = {} },
                   { message_type = "certificate_update",
                     data = { leaf_cert = {} } } },
      expect = {} },
    { name = "nothing on unrelated names",
      fixture = "../tests/fixtures/certstream/all.jsonl",
      expect = {} },
  },
}
