-- eval.lua: scores lookalike detection on the labelled evaluation set.
--
-- Run by `make eval` (tests/eval/eval.mk) through the Lua runner:
--   build/rel/tests/test_domain_lua tests/eval/eval.lua [-v]
-- Uses the shipped scripts/brands.txt, allow.txt and lookalike_guard.txt,
-- exactly what lookalike.lua loads, and the rule's own per-certificate
-- decision (lookalike check_cert with its per (brand, registered domain)
-- deduplication), so what is scored is what the rule alerts.
--
-- Lookalike files: domain<TAB>brand<TAB>technique, one certificate a line
-- (several names and several brands comma-separated), read in order as
-- one stream: a lookalike counts as caught when the stream produced an
-- alert for it with the expected brand. Benign files: one domain a line,
-- each its own certificate; any alert is a false alarm, counted under the
-- technique that fired. Tuning sets and held-out sets (written before a
-- round of tuning and never tuned on) are reported apart.
local lists = require "certmon.lists"
local lookalike = require "certmon.lookalike"
local watchlist = require "certmon.watchlist"
local domain = require "certmon.domain"

local top = CERTMON_TOP or "."
local min_score = 60       -- the default threshold of scripts/lookalike.lua
local verbose = arg[1] == "-v"
local brands = lists.load(top .. "/scripts/brands.txt")
local det = lookalike.new{ brands = brands,
                           allow = watchlist.load(top .. "/scripts/allow.txt"),
                           guard = lists.load(top .. "/scripts/lookalike_guard.txt") }

local own = {}
for _, b in ipairs(brands) do own[b] = true end

local function split(s)
  local t = {}
  for x in s:gmatch("[^,]+") do t[#t + 1] = x end
  return t
end

local function brand_label(b) return domain.parse(b).label end

-- The findings of the rule for one certificate, and which of them it
-- alerts now: `seen` is its dedup store, key -> the brands alerted under
-- that key. A finding counts as reported when its brand was alerted under
-- its key, now or earlier in the stream (the second certificate for a
-- name already reported is silent by design).
local function alerts(names, seen)
  local now, reported = {}, {}
  for _, f in ipairs(det:check_cert(names, min_score)) do
    local b = brand_label(f.brand)
    if not seen[f.key] then
      seen[f.key] = { [b] = true }
      now[#now + 1] = f
    end
    if seen[f.key][b] then reported[#reported + 1] = f end
  end
  return now, reported
end

local function pct(a, n) return n > 0 and 100 * a / n or 0 end

-- score_lookalikes(files) -> totals; prints the per-technique table.
local function score_lookalikes(title, files)
  local per, tp, fn, skipped, other = {}, 0, 0, 0, 0
  local misses = {}
  for _, file in ipairs(files) do
    local seen = {}
    for _, line in ipairs(lists.load(top .. "/tests/eval/" .. file)) do
      local names, want, tech = line:match("^(%S+)\t(%S+)\t(%S+)$")
      assert(names, "bad line in " .. file .. ": " .. line)
      names, want = split(names), split(want)
      local d = domain.parse(names[1])
      if #names == 1 and own[d.registrable or ""] then
        skipped = skipped + 1     -- a permutation that is really owned
      else
        local got = {}
        for _, a in ipairs(select(2, alerts(names, seen))) do got[brand_label(a.brand)] = a end
        for _, b in ipairs(want) do
          local p = per[tech] or { n = 0, hit = 0 }
          per[tech] = p
          p.n = p.n + 1
          if got[brand_label(b)] then
            tp, p.hit = tp + 1, p.hit + 1
          else
            fn = fn + 1
            local alt = next(got) and select(2, next(got))
            if alt then other = other + 1 end
            misses[#misses + 1] = ("%s (%s, %s)%s"):format(table.concat(names, ","),
              b, tech, alt and (" -> " .. alt.brand) or "")
          end
        end
      end
    end
  end
  local techs = {}
  for t in pairs(per) do techs[#techs + 1] = t end
  table.sort(techs)
  print(("%s: lookalikes by technique   caught/total"):format(title))
  for _, t in ipairs(techs) do
    print(("  %-22s %4d/%-4d %5.1f%%"):format(t, per[t].hit, per[t].n,
          pct(per[t].hit, per[t].n)))
  end
  print(("  all                    %4d/%-4d %5.1f%%   (skipped %d owned; "
         .. "%d missed ones alerted for another brand)"):format(tp, tp + fn,
         pct(tp, tp + fn), skipped, other))
  if verbose then
    for _, m in ipairs(misses) do print("# missed: " .. m) end
  end
  return tp, fn
end

local done = {}
local function score_benign(title, files)
  local n, fp, per, alarms = 0, 0, {}, {}
  for _, file in ipairs(files) do
    for _, name in ipairs(lists.load(top .. "/tests/eval/" .. file)) do
      if not done[name] then
        done[name] = true
        n = n + 1
        local a = alerts({ name }, {})[1]
        if a then
          fp = fp + 1
          per[a.technique] = (per[a.technique] or 0) + 1
          alarms[#alarms + 1] = ("%s -> %s %s %d"):format(name, a.brand,
                                a.technique, a.score)
        end
      end
    end
  end
  local techs = {}
  for t in pairs(per) do techs[#techs + 1] = t end
  table.sort(techs)
  local by = {}
  for _, t in ipairs(techs) do by[#by + 1] = ("%s %d"):format(t, per[t]) end
  print(("%s: %d benign, %d false alarms (%.2f%%)%s"):format(title, n, fp,
        pct(fp, n), #by > 0 and ("; by technique: " .. table.concat(by, ", ")) or ""))
  if verbose then
    for _, a in ipairs(alarms) do print("# false alarm: " .. a) end
  end
  return fp, n
end

local tp1, fn1 = score_lookalikes("tuning set",
  { "lookalikes.txt", "lookalikes_generated.txt" })
local tp2, fn2 = score_lookalikes("held-out set",
  { "lookalikes_heldout.txt" })
local fp1, n1 = score_benign("tuning set", { "benign.txt" })
local fp2, n2 = score_benign("held-out set (round 1, near-brand names)",
  { "benign_heldout.txt" })
local fp3, n3 = score_benign("held-out set (round 2, first-letter neighbours)",
  { "benign_heldout2.txt" })
local tp, fn, fp = tp1 + tp2, fn1 + fn2, fp1 + fp2 + fp3
print(("all: recall %.4f, false alarms %.2f%% of %d benign, precision %.4f"):format(
  tp / (tp + fn), pct(fp, n1 + n2 + n3), n1 + n2 + n3, tp / (tp + fp)))
