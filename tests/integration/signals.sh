# SIGTERM and SIGINT mid-stream: finish what is queued, write the alerts,
# print the summary, exit 0.
. "$(dirname "$0")/../lib.sh"

ALL=$FIX/certstream/all.jsonl
cat >"$T/count.lua" <<'LUA'
local certmon = require "certmon"
return { on_message = function(msg) certmon.alert{ t = msg.message_type } end }
LUA

for sig in TERM INT; do
    mkfifo "$T/fifo$sig"
    $CERTMON -w 2 -r "$T/fifo$sig" "$T/count.lua" >"$T/out$sig" 2>"$T/err$sig" &
    pid=$!
    exec 3>"$T/fifo$sig"
    cat "$ALL" "$ALL" >&3            # 22 messages sent, input still open
    wait_for "test \$(wc -l <'$T/out$sig') -ge 22" 10
    kill -$sig $pid
    check "SIG$sig: exits" wait_for "! kill -0 $pid 2>/dev/null" 10
    wait $pid
    expect_eq "SIG$sig: exit status 0" "$?" 0
    exec 3>&-
    expect_eq "SIG$sig: all sent messages processed" "$(summary_field "$T/err$sig" messages)" 22
    expect_eq "SIG$sig: all alerts written" "$(wc -l <"$T/out$sig")" 22
    check "SIG$sig: summary printed" grep -q "^certmon: certs=18 " "$T/err$sig"
done

# SIGTERM while the workers are busy: what was queued is still processed
cat >"$T/slow.lua" <<'LUA'
local certmon = require "certmon"
return { on_message = function(msg)
  local t = os.clock() + 0.01 while os.clock() < t do end
  certmon.alert{ t = msg.message_type }
end }
LUA
for i in $(seq 1 20); do cat "$ALL"; done >"$T/many"
$CERTMON -w 1 --queue 16 -r "$T/many" "$T/slow.lua" >"$T/out3" 2>"$T/err3" &
pid=$!
wait_for "test -s '$T/out3'" 10
kill -TERM $pid
wait $pid
expect_eq "busy SIGTERM: exit 0" "$?" 0
m=$(summary_field "$T/err3" messages)
a=$(wc -l <"$T/out3")
expect_eq "busy SIGTERM: alerts = messages processed" "$a" "$m"
check "busy SIGTERM: stopped early ($m of 220)" test "$m" -lt 220

# The first signal says what is left to finish; a second stops at once
# after the calls in progress: the rest of the queue is not processed,
# counted as abandoned=, and the run still ends with its summary.
cat >"$T/slower.lua" <<'LUA'
local certmon = require "certmon"
return { on_message = function(msg)
  for i = 1, 2e7 do end
  certmon.alert{ t = msg.message_type }
end }
LUA
for i in $(seq 1 20); do cat "$ALL"; done >"$T/many2"
$CERTMON -w 1 --queue 1000 -r "$T/many2" "$T/slower.lua" >"$T/out4" \
    2>"$T/err4" &
pid=$!
wait_for "test -s '$T/out4'" 60
kill -INT $pid
check "first SIGINT: says how many queued messages it finishes" \
    wait_for "grep -q 'finishing [0-9]* queued messages; press Ctrl-C again' '$T/err4'" 30
kill -INT $pid
check "second SIGINT: stops soon" wait_for "! kill -0 $pid 2>/dev/null" 60
wait $pid
expect_eq "second SIGINT: exit status 0" "$?" 0
ab=$(summary_field "$T/err4" abandoned)
check "second SIGINT: the rest is abandoned, and counted" test "${ab:-0}" -gt 0
check "second SIGINT: said once" \
    test "$(grep -c "stopped at once: $ab queued messages were not processed" "$T/err4")" -eq 1
check "second SIGINT: processed and abandoned add up to no more than was sent" \
    test $(( $(summary_field "$T/err4" messages) + ab )) -le 220
