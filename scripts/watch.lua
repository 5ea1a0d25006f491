--[[
watch.lua: an alert for every new certificate for your own domains, in
the style of certspotter.

What for: spotting certificates you did not order (a compromised DNS or
web host, a forgotten team, a CA mistake) within seconds of their entry
in a CT log.

Watch list: one item a line in the file named by CERTMON_WATCH, else
watch.txt next to this rule:
  example.com    the domain and every subdomain
  .example.com   subdomains only
  .              every certificate
Wildcard certificates count: *.example.com matches the item
www.example.com. IDN items may be given in Unicode.

Alerts: one per certificate (a precertificate and its final certificate
share issuer and serial number and alert once; the key is kept a day),
with fields
  domains (the certificate names that matched), watch_items (every item
  that matched), sans (all names), issuer (organisation), issuer_cn,
  not_before, not_after (epoch seconds), validity_days, serial_number,
  fingerprint, precert (true for a precertificate), update_type,
  cert_index, log.
]]

local certmon = require "certmon"
local lists = require "certmon.lists"
local watchlist = require "certmon.watchlist"

local who = select(2, ...) or "watch.lua"
local here = who:match("^(.*)/") or "."
local wl = watchlist.new(lists.from_env("CERTMON_WATCH", here .. "/watch.txt", who))

local DAY_S = 24 * 3600

return {
  name = "watch",
  on_cert = function(msg)
    local data = msg.data
    local leaf = data and data.leaf_cert
    if not leaf or not leaf.all_domains then return end
    local matched, items, seen_item = {}, {}, {}
    for _, name in ipairs(leaf.all_domains) do
      local hits = wl:match(name)
      if #hits > 0 then
        matched[#matched + 1] = name
        for _, it in ipairs(hits) do
          if not seen_item[it] then
            seen_item[it] = true
            items[#items + 1] = it
          end
        end
      end
    end
    if #matched == 0 then return end
    if lists.seen("watch|" .. lists.cert_key(msg), DAY_S) then return end
    local issuer = leaf.issuer or {}
    local nb, na = leaf.not_before, leaf.not_after
    certmon.alert{
      domains = matched,
      watch_items = items,
      sans = leaf.all_domains,
      issuer = issuer.O,
      issuer_cn = issuer.CN,
      not_before = nb,
      not_after = na,
      validity_days = (nb and na) and math.floor((na - nb) / 86400 + 0.5) or nil,
      serial_number = leaf.serial_number,
      fingerprint = leaf.fingerprint,
      precert = data.update_type == "PrecertLogEntry",
      update_type = data.update_type,
      cert_index = data.cert_index,
      log = data.source and data.source.name,
    }
  end,
}
