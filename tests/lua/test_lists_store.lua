-- certmon.lists.seen uses certmon.store.seen when the core provides it.
local T = require "tap"
local calls = {}
package.preload["certmon"] = function()
  return { store = { seen = function(k, ttl)
    calls[#calls + 1] = k .. "/" .. ttl
    return #calls > 1
  end } }
end
package.loaded["certmon.lists"] = nil
local lists = require "certmon.lists"
T.eq(lists.seen("a", 86400), false, "store path: first answer from the store")
T.eq(lists.seen("a", 86400), true, "store path: second answer from the store")
T.eq(calls, { "a/86400", "a/86400" }, "store path: key and ttl passed through")
