--[[
feeds/new_domains.lua: one alert per domain the first time it is seen in
a day: a deduplicated feed of every name being certified.

What for: archiving what CT reveals (new hosts of your organisation, new
registrations under a TLD) or feeding another tool. It is a firehose
(hundreds of alerts a second on the live feed), which is why it is not in
the default scripts/ folder; run it on its own:

    certmon scripts/feeds/new_domains.lua -o domains.jsonl

Set CERTMON_SUFFIX to keep only names under one suffix, e.g. ".de" or
".example.com".

Alerts: domain, wildcard (true for "*.x" names, reported as "x"),
issuer, log.
]]

local certmon = require "certmon"

local suffix = os.getenv("CERTMON_SUFFIX")
suffix = suffix and suffix:lower()
local DAY_S = 24 * 3600

local function wanted(d)
  return not suffix or d:sub(-#suffix) == suffix
end

return {
  name = "new_domains",
  on_cert = function(msg)
    local leaf = msg.data.leaf_cert
    for _, domain in ipairs(leaf.all_domains) do
      local d = domain:lower()
      local wildcard = d:sub(1, 2) == "*."
      if wildcard then d = d:sub(3) end
      if wanted(d) and not certmon.store.seen(d, DAY_S) then
        certmon.alert{
          domain = d,
          wildcard = wildcard,
          issuer = leaf.issuer and leaf.issuer.O,
          log = msg.data.source and msg.data.source.name,
        }
      end
    end
  end,
}
