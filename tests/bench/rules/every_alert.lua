-- The benchmark's alert-burst rule: one alert per certificate, to time
-- how fast a sink delivers a burst (keep-alive against a new connection
-- per alert).
local certmon = require "certmon"
local n = 0

return {
  name = "bench-every-alert",
  on_cert = function(msg)
    n = n + 1
    certmon.alert{ n = n, domain = msg.data.leaf_cert.all_domains[1] }
  end,
}
