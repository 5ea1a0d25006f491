-- eval.lua: scores lookalike detection on the labelled evaluation set.
--
-- Run by `make eval` (tests/eval/eval.mk) through the Lua runner:
--   build/rel/tests/test_domain_lua tests/eval/eval.lua [-v]
-- Uses the shipped scripts/brands.txt and scripts/allow.txt, exactly what
-- lookalike.lua loads. Lookalike files: domain<TAB>brand<TAB>technique;
-- benign file: one domain a line. Prints recall per technique, the false
-- alarm rate on benign names, precision and recall, and (with -v) every
-- miss and false alarm.
local lists = require "certmon.lists"
local lookalike = require "certmon.lookalike"
local watchlist = require "certmon.watchlist"
local domain = require "certmon.domain"

local top = CERTMON_TOP or "."
local min_score = 60       -- the default threshold of scripts/lookalike.lua
local verbose = arg[1] == "-v"
local brands = lists.load(top .. "/scripts/brands.txt")
local det = lookalike.new{ brands = brands,
                           allow = watchlist.load(top .. "/scripts/allow.txt") }

local own = {}
for _, b in ipairs(brands) do own[b] = true end

local tp, fn, fp, tn, skipped, wrong_brand = 0, 0, 0, 0, 0, 0
local per = {}
local misses, alarms = {}, {}

local function brand_label(b) return domain.parse(b).label end

for _, file in ipairs{ "lookalikes.txt", "lookalikes_generated.txt" } do
  for _, line in ipairs(lists.load(top .. "/tests/eval/" .. file)) do
    local name, brand, tech = line:match("^(%S+)\t(%S+)\t(%S+)$")
    assert(name, "bad line in " .. file .. ": " .. line)
    local d = domain.parse(name)
    if own[d.registrable or ""] then
      skipped = skipped + 1         -- a permutation that is really owned
    else
      local p = per[tech] or { n = 0, hit = 0 }
      per[tech] = p
      p.n = p.n + 1
      local r = det:check(d)
      if r and r.score < min_score then r = nil end
      if r then
        tp = tp + 1
        p.hit = p.hit + 1
        if brand_label(r.brand) ~= brand_label(brand) then
          wrong_brand = wrong_brand + 1
          if verbose then
            print(("# other brand: %s -> %s (want %s)"):format(name, r.brand, brand))
          end
        end
      else
        fn = fn + 1
        misses[#misses + 1] = ("%s (%s, %s)"):format(name, brand, tech)
      end
    end
  end
end

-- benign.txt was used while tuning; benign_heldout.txt was not. Both
-- count, and the held-out figures are printed on their own.
local seen = {}
local held = { fp = 0, n = 0 }
for _, file in ipairs{ "benign.txt", "benign_heldout.txt" } do
  for _, name in ipairs(lists.load(top .. "/tests/eval/" .. file)) do
    if not seen[name] then
      seen[name] = true
      local r = det:check(name)
      if r and r.score < min_score then r = nil end
      if file == "benign_heldout.txt" then held.n = held.n + 1 end
      if r then
        fp = fp + 1
        if file == "benign_heldout.txt" then held.fp = held.fp + 1 end
        alarms[#alarms + 1] = ("%s -> %s %s %d [%s]"):format(name, r.brand,
                              r.technique, r.score, file)
      else
        tn = tn + 1
      end
    end
  end
end

local techs = {}
for t in pairs(per) do techs[#techs + 1] = t end
table.sort(techs)
print("technique            caught/total")
for _, t in ipairs(techs) do
  print(("  %-18s %4d/%-4d %5.1f%%"):format(t, per[t].hit, per[t].n,
        100 * per[t].hit / per[t].n))
end
if verbose then
  for _, m in ipairs(misses) do print("# missed: " .. m) end
  for _, a in ipairs(alarms) do print("# false alarm: " .. a) end
end
local precision = tp + fp > 0 and tp / (tp + fp) or 0
local recall = tp + fn > 0 and tp / (tp + fn) or 0
print(("lookalikes: %d (skipped %d owned), benign: %d"):format(tp + fn,
      skipped, fp + tn))
print(("caught %d, missed %d, false alarms %d (%.2f%% of benign), "
       .. "attributed to another brand %d"):format(tp, fn, fp,
      100 * fp / (fp + tn), wrong_brand))
print(("held-out benign: %d, false alarms %d (%.2f%%)"):format(held.n,
      held.fp, held.n > 0 and 100 * held.fp / held.n or 0))
print(("precision %.4f recall %.4f"):format(precision, recall))
