# Hot reload while messages flow: the output switches, nothing is lost or
# seen twice, a broken version keeps the old one, a removed file is
# unloaded, the store survives, SIGHUP works, --no-reload does not reload,
# and a rule disabled for failing runs again once its file changes.
. "$(dirname "$0")/../lib.sh"

# feed FIFO: writes numbered heartbeats in small bursts until $T/stop
# exists, then closes; the count sent ends up in $T/sent.
feed() {
    ( n=0
      exec 3>"$1"
      while [ ! -e "$T/stop" ]; do
          i=0
          while [ $i -lt 20 ]; do
              n=$((n + 1)); i=$((i + 1))
              echo "{\"message_type\":\"heartbeat\",\"n\":$n}" >&3
          done
          sleep 0.02
      done
      echo $n >"$T/sent" ) &
}

# write_rule FILE VERSION: atomically (temp + rename, as editors do)
write_rule() {
    cat >"$1.tmp" <<LUA
local certmon = require "certmon"
return {
  name = "$(basename "$1" .lua)",
  on_message = function(msg)
    certmon.alert{ v = "$2", n = msg.n, c = certmon.store.incr("count") }
  end,
}
LUA
    mv "$1.tmp" "$1"
}

mkdir -p "$T/rules"
write_rule "$T/rules/flow.lua" v1
cat >"$T/rules/extra.lua" <<'LUA'
local certmon = require "certmon"
return { on_message = function(msg) certmon.alert{ extra = msg.n } end }
LUA
mkfifo "$T/fifo"
$CERTMON -w 2 -r "$T/fifo" "$T/rules" >"$T/out" 2>"$T/err" &
pid=$!
feed "$T/fifo"

wait_for "grep -q '\"v\":\"v1\"' '$T/out'" 20
write_rule "$T/rules/flow.lua" v2
check "edit: new version runs" wait_for "grep -q '\"v\":\"v2\"' '$T/out'" 20

# a broken version: the previous one keeps running
printf 'return {\n  on_message = function(msg)\n    if then\n  end,\n}\n' \
    >"$T/rules/flow.lua.tmp"
mv "$T/rules/flow.lua.tmp" "$T/rules/flow.lua"
check "broken: error names file and line" \
    wait_for "grep -q 'flow.lua:3: .*keeping its previous version' '$T/err'" 20
lines_before=$(grep -c '"v":"v2"' "$T/out")
check "broken: old version still alerting" \
    wait_for "test \$(grep -c '\"v\":\"v2\"' '$T/out') -gt $((lines_before + 40))" 20

# a removed file is unloaded
rm "$T/rules/extra.lua"
check "removed: reload says so" wait_for "grep -q '1 removed' '$T/err'" 20
sleep 0.5
extra1=$(grep -c '"extra"' "$T/out")
sleep 0.5
extra2=$(grep -c '"extra"' "$T/out")
expect_eq "removed: no more alerts from it" "$extra2" "$extra1"

# SIGHUP reloads too
reloads_logged=$(grep -c 'reload: generation' "$T/err")
kill -HUP $pid
check "SIGHUP: a reload" \
    wait_for "test \$(grep -c 'reload: generation' '$T/err') -gt $reloads_logged" 20

touch "$T/stop"
wait $pid
expect_eq "flow: exit 0" "$?" 0
sent=$(cat "$T/sent")
grep -o '"n":[0-9]*' "$T/out" | sort | uniq -d >"$T/dups"
distinct=$(grep -o '"n":[0-9]*' "$T/out" | sort -u | wc -l)
flow=$(grep -c '"v":' "$T/out")
check "flow: no message processed twice" test ! -s "$T/dups"
expect_eq "flow: no message lost" "$distinct" "$sent"
expect_eq "flow: every message processed exactly once by flow.lua" "$flow" "$sent"
expect_eq "flow: messages in the summary = sent" \
    "$(summary_field "$T/err" messages)" "$sent"
check "flow: sent a real stream ($sent messages)" test "$sent" -gt 200
# the store counter survived the reloads: it counts every flow alert
maxc=$(grep -o '"c":[0-9]*' "$T/out" | cut -d: -f2 | sort -n | tail -n 1)
expect_eq "store: counter survived reloads" "$maxc" "$sent"
check "one log line per reload" grep -q 'reload: generation [0-9]*: [0-9]* rules loaded, [0-9]* failed' "$T/err"

# --no-reload: a change is not picked up
rm -f "$T/stop"
write_rule "$T/rules/flow.lua" v1
mkfifo "$T/fifo2"
$CERTMON -w 1 --no-reload -r "$T/fifo2" "$T/rules" >"$T/out2" 2>"$T/err2" &
pid=$!
feed "$T/fifo2"
wait_for "grep -q '\"v\":\"v1\"' '$T/out2'" 20
write_rule "$T/rules/flow.lua" v2
kill -HUP $pid      # ignored with --no-reload
sleep 1
touch "$T/stop"
wait $pid
expect_eq "--no-reload: still running after SIGHUP, exit 0" "$?" 0
expect_eq "--no-reload: never switched" "$(grep -c '"v":"v2"' "$T/out2")" 0

# a rule failing K times in a row is disabled until its file changes
rm -f "$T/stop"
mkdir -p "$T/failing"
cat >"$T/failing/f.lua" <<'LUA'
return { on_message = function(msg) error("always") end }
LUA
mkfifo "$T/fifo3"
$CERTMON -w 1 --rule-fail-limit 5 -r "$T/fifo3" "$T/failing" >"$T/out3" 2>"$T/err3" &
pid=$!
feed "$T/fifo3"
check "disable: logged" wait_for "grep -q \"rule 'f' .*disabled after 5 failures in a row\" '$T/err3'" 20
write_rule "$T/failing/f.lua" fixed
check "disable: runs again after its file changed" \
    wait_for "grep -q '\"v\":\"fixed\"' '$T/out3'" 20
touch "$T/stop"
wait $pid
expect_eq "disable: exactly 5 failed calls" "$(summary_field "$T/err3" rule_errors)" 5
