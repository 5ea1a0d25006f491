# Rules that loop forever or eat memory are stopped per call, counted by
# kind, and neither the other rules nor the process suffer.
. "$(dirname "$0")/../lib.sh"

ALL=$FIX/certstream/all.jsonl
mkdir -p "$T/rules"
cat >"$T/rules/a_loops.lua" <<'LUA'
return { on_cert = function(msg)
  pcall(function() while true do end end)   -- pcall must not save it
  while true do end
end }
LUA
cat >"$T/rules/b_bomb.lua" <<'LUA'
return { on_cert = function(msg)
  local t = {}
  for i = 1, 1e9 do t[i] = ("x"):rep(4096) .. i end
end }
LUA
cat >"$T/rules/c_fine.lua" <<'LUA'
local certmon = require "certmon"
return { on_cert = function(msg) certmon.alert{ i = msg.data.cert_index } end }
LUA

mkfifo "$T/fifo"
$CERTMON -w 2 --rule-budget 1000000 --rule-memory 32m -r "$T/fifo" \
    "$T/rules" >"$T/out" 2>"$T/err" &
pid=$!
exec 3>"$T/fifo"
cat "$ALL" "$ALL" "$ALL" >&3
wait_for "test \$(wc -l <'$T/out') -ge 27" 60
hwm_kb=$(sed -n 's/^VmHWM:[^0-9]*\([0-9]*\).*/\1/p' /proc/$pid/status)
exec 3>&-
wait $pid
expect_eq "exit 0" "$?" 0
expect_eq "the good rule alerted for every certificate" "$(wc -l <"$T/out")" 27
expect_eq "budget errors counted" "$(summary_field "$T/err" budget_errors)" 27
expect_eq "memory errors counted" "$(summary_field "$T/err" memory_errors)" 27
expect_eq "rule errors = both kinds" "$(summary_field "$T/err" rule_errors)" 54
check "loop logged once with its kind" \
    sh -c "grep -c \"rule 'a_loops' exceeded its instruction budget\" '$T/err' | grep -qx 1"
check "bomb logged once with its kind" \
    sh -c "grep -c \"rule 'b_bomb' exceeded its memory limit\" '$T/err' | grep -qx 1"
# two states capped at 32 MiB each plus the process itself; AddressSanitizer
# keeps freed memory in quarantine, so allow it more (an uncapped bomb
# would take many GiB)
limit_kb=250000
[ "${SANITIZE:-}" = 1 ] && limit_kb=1000000
check "peak memory stayed bounded (${hwm_kb} kB)" test "$hwm_kb" -lt "$limit_kb"

# a rule that loops while loading is refused with a clear reason
printf 'while true do end\nreturn {}\n' >"$T/loadloop.lua"
$CERTMON --check --rule-budget 100000 "$T/loadloop.lua" 2>"$T/err2"
expect_eq "loop at load: --check fails" "$?" 1
check "loop at load: explained" grep -q "loadloop.lua: loading exceeded the instruction budget" "$T/err2"
