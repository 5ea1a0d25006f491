-- bench.lua: time of certmon.lookalike per name with ~400 brands loaded
-- (the shipped brands plus synthetic ones), over the evaluation names.
-- Run by `make bench-detect`; never part of make test.
local lists = require "certmon.lists"
local lookalike = require "certmon.lookalike"
local watchlist = require "certmon.watchlist"
local domain = require "certmon.domain"
local top = CERTMON_TOP or "."
local brands = lists.load(top .. "/scripts/brands.txt")
-- 400 brands: the shipped ones plus synthetic extra brand names
for i = 1, 320 do brands[#brands + 1] = ("brandname%03dx.com"):format(i) end
local det = lookalike.new{ brands = brands, allow = watchlist.load(top .. "/scripts/allow.txt") }
local names = {}
for _, f in ipairs{ "benign.txt", "benign_heldout.txt" } do
  for _, n in ipairs(lists.load(top .. "/tests/eval/" .. f)) do names[#names + 1] = n end
end
for _, l in ipairs(lists.load(top .. "/tests/eval/lookalikes_generated.txt")) do
  names[#names + 1] = l:match("^(%S+)")
end
local t0 = os.clock()
local n = 0
for rep = 1, 5 do
  for _, name in ipairs(names) do det:check(domain.parse(name)); n = n + 1 end
end
local dt = os.clock() - t0
print(("%d brands, %d names in %.2f s: %.1f us/name"):format(#brands, n, dt, dt / n * 1e6))
