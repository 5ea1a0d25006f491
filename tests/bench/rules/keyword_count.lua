-- The benchmark's trivial rule: counts the names that contain a keyword,
-- as the issue's client comparison does. Alerts nothing.
local hits = 0

return {
  name = "bench-keyword-count",
  on_cert = function(msg)
    for _, d in ipairs(msg.data.leaf_cert.all_domains) do
      if d:find("paypal", 1, true) then
        hits = hits + 1
      end
    end
  end,
}
