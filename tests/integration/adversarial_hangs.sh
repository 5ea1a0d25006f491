# Rules that used to hang certmon (issue #17 items 1, 2, 4, 11, 17; issue
# #16 item 2's signal faults): each must now be contained - certmon
# finishes, the failure is counted and logged once, other rules go on -
# and a stop must end the process even while a worker is stuck in C.
# Every run is under `timeout`, so a regression fails rather than hangs.
. "$(dirname "$0")/../lib.sh"

ALL=$FIX/certstream/all.jsonl      # 11 messages, 9 certificates
ADV=$FIX/adversarial/hang
BIG=100000000000000                 # --rule-budget that never trips
cat >"$T/ok.lua" <<'LUA'
local certmon = require "certmon"
return { name = "ok", on_cert = function(msg) certmon.alert{ ok = true } end }
LUA

# run NAME ARGS...: certmon on the replay, at most 120 s; out/err/rc files
run() {
    name=$1; shift
    timeout 120 $CERTMON --replay "$ALL" --no-reload -w 1 "$@" \
        >"$T/$name.out" 2>"$T/$name.err"
    echo $? >"$T/$name.rc"
}
rc() { cat "$T/$1.rc"; }
lines() { grep -c -- "$2" "$T/$1.err"; }

# --- item 1: a looping finalizer armed during a call
run gc_call "$ADV/sandbox_gc_finalizer_hang.lua" "$T/ok.lua"
expect_eq "gc finalizer in a call: replay finishes" "$(rc gc_call)" 0
expect_eq "gc finalizer in a call: the failed call is counted" \
    "$(summary_field "$T/gc_call.err" rule_errors)" 1
expect_eq "gc finalizer in a call: logged once" \
    "$(lines gc_call 'finalizers) are not allowed')" 1
expect_eq "gc finalizer in a call: the other rule ran on every cert" \
    "$(grep -c '"rule":"ok"' "$T/gc_call.out")" 9

# --- item 1: a finalizer reached only at exit; also in --check
run gc_exit "$ADV/sandbox_gc_exit_hang.lua" "$T/ok.lua"
expect_eq "gc finalizer at exit: refused at load, exit 1" "$(rc gc_exit)" 1
check "gc finalizer at exit: the reason names the file and line" \
    grep -q 'sandbox_gc_exit_hang.lua:3: setmetatable: __gc' "$T/gc_exit.err"
timeout 120 $CERTMON --check "$ADV/sandbox_gc_exit_hang.lua" \
    >/dev/null 2>"$T/gc_check.err"
expect_eq "gc finalizer in --check: exits 1" "$?" 1
check "gc finalizer in --check: reported" grep -q '__gc' "$T/gc_check.err"

# --- item 11: a finalizer cannot act as another rule. The reproducer
# arms at load (refused, so certmon does not start); this variant arms
# inside a call, so b_victim runs beside it.
run gc_cross "$ADV/gc_cross_rule"
expect_eq "gc cross-rule: a_gc refused at load" "$(rc gc_cross)" 1
check "gc cross-rule: a_gc named" grep -q 'a_gc.lua:5: setmetatable' "$T/gc_cross.err"
mkdir "$T/cross"
cp "$ADV/gc_cross_rule/b_victim.lua" "$T/cross/"
cat >"$T/cross/a_late.lua" <<'LUA'
local certmon = require "certmon"
local function arm()
  setmetatable({}, { __gc = function()
    pcall(certmon.alert, { written_by = "a_late's finalizer" })
    pcall(certmon.store.set, "planted", "by a_late")
    arm()
  end })
end
return { name = "a_late", on_cert = function(msg) arm() end }
LUA
run gc_cross_late "$T/cross"
expect_eq "gc cross-rule in calls: replay finishes" "$(rc gc_cross_late)" 0
expect_eq "gc cross-rule in calls: nothing written by a finalizer" \
    "$(grep -c 'written_by\|saw_in_own_namespace' "$T/gc_cross_late.out")" 0
expect_eq "gc cross-rule in calls: every arming call failed, counted" \
    "$(summary_field "$T/gc_cross_late.err" rule_errors)" 9
expect_eq "gc cross-rule in calls: logged once" \
    "$(lines gc_cross_late 'finalizers) are not allowed')" 1

run gc_cap "$FIX/adversarial/sandbox_gc_memory_cap_bypass.lua" --rule-memory 64m
expect_eq "gc memory-cap finalizer: refused at load" "$(rc gc_cap)" 1

# --- item 2: backtracking inside one string.find
run pattern "$ADV/sandbox_pattern_backtracking_hang.lua" "$T/ok.lua"
expect_eq "pattern backtracking: replay finishes" "$(rc pattern)" 0
expect_eq "pattern backtracking: each call counted as over budget" \
    "$(summary_field "$T/pattern.err" budget_errors)" 9
expect_eq "pattern backtracking: logged once" \
    "$(lines pattern 'exceeded its instruction budget')" 1
check "pattern backtracking: the log says where" \
    grep -q 'in a pattern match' "$T/pattern.err"
expect_eq "pattern backtracking: the other rule ran on every cert" \
    "$(grep -c '"rule":"ok"' "$T/pattern.out")" 9
timeout 120 $CERTMON --check "$ADV/sandbox_check_pattern_hang.lua" \
    >/dev/null 2>"$T/pattern_check.err"
expect_eq "pattern backtracking in --check: exits 1" "$?" 1
check "pattern backtracking in --check: reported as over budget" \
    grep -q 'loading exceeded the instruction budget.*in a pattern match' \
    "$T/pattern_check.err"

# --- --rule-timeout: with a budget that never trips, the watchdog stops
# the call, in Lua code and inside the matcher
cat >"$T/loop.lua" <<'LUA'
return { name = "loop", on_cert = function(msg) while true do end end }
LUA
run timeout_lua "$T/loop.lua" "$T/ok.lua" --rule-budget $BIG --rule-timeout 200
expect_eq "rule timeout, Lua loop: replay finishes" "$(rc timeout_lua)" 0
expect_eq "rule timeout, Lua loop: every call counted in timeout_errors" \
    "$(summary_field "$T/timeout_lua.err" timeout_errors)" 9
expect_eq "rule timeout, Lua loop: and in rule_errors" \
    "$(summary_field "$T/timeout_lua.err" rule_errors)" 9
expect_eq "rule timeout, Lua loop: logged once" \
    "$(lines timeout_lua 'exceeded --rule-timeout')" 1
expect_eq "rule timeout, Lua loop: the other rule ran on every cert" \
    "$(grep -c '"rule":"ok"' "$T/timeout_lua.out")" 9
run timeout_pattern "$ADV/sandbox_pattern_backtracking_hang.lua" \
    --rule-budget $BIG --rule-timeout 200
expect_eq "rule timeout, pattern: replay finishes" "$(rc timeout_pattern)" 0
expect_eq "rule timeout, pattern: every call counted" \
    "$(summary_field "$T/timeout_pattern.err" timeout_errors)" 9
check "rule timeout, pattern: stopped inside the matcher" \
    grep -q 'call exceeded --rule-timeout in a pattern match' \
    "$T/timeout_pattern.err"

# --- item 4/17: SIGTERM with a worker stuck in C (a blocking open of a
# FIFO nobody writes: only --unsafe rules can block like this now)
mkfifo "$T/never" "$T/input"
cat >"$T/stuck.lua" <<'LUA'
return { name = "stuck", on_cert = function(msg)
  io.stderr:write("stuck: entering\n")
  io.open(os.getenv("HANG_FIFO")):read("l")
end }
LUA
HANG_FIFO=$T/never timeout 120 $CERTMON --unsafe -w 1 --no-reload \
    --rule-timeout 200 --stop-grace 1000 -r "$T/input" "$T/stuck.lua" \
    >"$T/stuck.out" 2>"$T/stuck.err" &
pid=$!
exec 3>"$T/input"
cat "$ALL" >&3                      # input stays open: only a signal stops
check "stuck worker: the stuck call is logged" \
    wait_for "grep -q 'does not stop' '$T/stuck.err'" 60
kill -TERM $pid
check "stuck worker: SIGTERM ends the process" \
    wait_for "! kill -0 $pid 2>/dev/null" 60
wait $pid
expect_eq "stuck worker: exit status 1" "$?" 1
exec 3>&-
expect_eq "stuck worker: logged once" "$(lines stuck 'does not stop')" 1
check "stuck worker: the give-up names rule and handler" \
    grep -q "rule 'stuck' has run on_cert (.*line [0-9]*) for .* exiting without it" \
    "$T/stuck.err"
expect_eq "stuck worker: counted once" \
    "$(summary_field "$T/stuck.err" timeout_errors)" 1

# The same with the source blocked on a full queue (replay waits for
# room the stuck worker never makes): the watchdog sees the stop flag.
for i in 1 2 3 4 5 6; do cat "$ALL"; done >"$T/many"
HANG_FIFO=$T/never timeout 120 $CERTMON --unsafe -w 1 --no-reload --queue 1 \
    --rule-timeout 0 --stop-grace 500 -r "$T/many" "$T/stuck.lua" \
    >"$T/full.out" 2>"$T/full.err" &
pid=$!
wait_for "grep -q 'stuck: entering' '$T/full.err'" 60
kill -TERM $pid
check "stuck worker, full queue: SIGTERM ends the process" \
    wait_for "! kill -0 $pid 2>/dev/null" 60
wait $pid
expect_eq "stuck worker, full queue: exit status 1" "$?" 1
expect_eq "stuck worker, full queue: counted" \
    "$(summary_field "$T/full.err" timeout_errors)" 1

# A stop while the reload thread validates a rule that loops at load
# (possible only with a budget that never trips): joining it is bounded
# by the grace period too.
mkdir "$T/reload_hang"
cp "$T/ok.lua" "$T/reload_hang/"
mkfifo "$T/reload_in"
timeout 120 $CERTMON -w 1 --rule-budget $BIG --stop-grace 500 \
    -r "$T/reload_in" "$T/reload_hang" >"$T/rh.out" 2>"$T/rh.err" &
pid=$!
exec 3>"$T/reload_in"
cat "$ALL" >&3
wait_for "test -s '$T/rh.out'" 60
printf 'print("hang_load: loading") while true do end\n' >"$T/reload_hang/z.lua"
check "reload thread stuck in validation: it started" \
    wait_for "grep -q 'hang_load: loading' '$T/rh.err'" 60
kill -TERM $pid
check "reload thread stuck in validation: SIGTERM ends the process" \
    wait_for "! kill -0 $pid 2>/dev/null" 60
wait $pid
expect_eq "reload thread stuck in validation: exit status 1" "$?" 1
exec 3>&-
check "reload thread stuck in validation: logged" \
    grep -q 'shutdown: waiting for the rule reload thread' "$T/rh.err"

# --- issue 16: SIGHUP during shutdown must not reach the freed reloader
mkdir "$T/hup"
cat >"$T/hup/slow.lua" <<'LUA'
local certmon = require "certmon"
return { name = "slow", on_message = function(msg)
  local t = os.clock() + 0.005 while os.clock() < t do end
  certmon.alert{ t = msg.message_type }
end }
LUA
for i in $(seq 1 20); do cat "$ALL"; done >"$T/hup_in"
timeout 120 $CERTMON -w 2 -r "$T/hup_in" "$T/hup" >"$T/hup.out" 2>"$T/hup.err" &
pid=$!
wait_for "test -s '$T/hup.out'" 30
kill -TERM $pid 2>/dev/null
i=0
while kill -HUP $pid 2>/dev/null && [ $i -lt 2000 ]; do i=$((i + 1)); done
wait $pid
expect_eq "SIGHUP storm during shutdown: exit status 0" "$?" 0
check "SIGHUP storm during shutdown: summary printed" \
    grep -q '^certmon: certs=' "$T/hup.err"
