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
