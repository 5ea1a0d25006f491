-- The benchmark's alert-sink rule: the trivial rule's work, plus one
-- alert every 1,000 certificates per worker (the issue's "alerts are
-- rare" case for comparing a run with a webhook sink to one without).
local certmon = require "certmon"
local hits, n = 0, 0

return {
  name = "bench-rare-alert",
  on_cert = function(msg)
    for _, d in ipairs(msg.data.leaf_cert.all_domains) do
      if d:find("paypal", 1, true) then
        hits = hits + 1
      end
    end
    n = n + 1
    if n % 1000 == 0 then
      certmon.alert{ n = n, hits = hits,
                     domain = msg.data.leaf_cert.all_domains[1] }
    end
  end,
}
