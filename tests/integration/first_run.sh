# What a new user sees first: the start line says which rules run and what
# certmon reads; the demo feed alerts with the shipped rules; offline, the
# failures name their cause and one hint says what works without a
# network.
. "$(dirname "$0")/../lib.sh"

DEMO=$TOP/scripts/demo/demo.jsonl
"$CERTMON" -r "$DEMO" -o "$T/alerts" 2>"$T/demo.err"
expect_eq "demo feed: exit 0" "$?" 0
check "start line: the shipped rules and the source" \
    grep -q "info: 4 rule files (keyword_watch, lookalike, phishing_score, watch), [0-9]* workers\{0,1\}; replaying $DEMO\$" \
    "$T/demo.err"
check "demo feed: the shipped rules alert" test -s "$T/alerts"

printf 'return { on_cert = function() end }\n' >"$T/quiet.lua"
timeout 20 "$CERTMON" -u ws://127.0.0.1:1/ -u ws://127.0.0.1:2/ -w 1 \
    -n 1 --reconnect-min-ms 50 --reconnect-max-ms 100 "$T/quiet.lua" \
    >/dev/null 2>"$T/ws.err" &
pid=$!
check "offline: after 3 failed attempts, one hint names the demo feed and --ct" \
    wait_for "grep -q 'no connection to the feed after 3 attempts.*--replay scripts/demo/demo.jsonl.*certmon --ct' '$T/ws.err'" 30
wait_for "[ \$(grep -c 'reconnecting' '$T/ws.err') -ge 6 ]" 30
kill -TERM "$pid"; wait "$pid"
check "offline: the hint is said once" \
    test "$(grep -c 'no connection to the feed' "$T/ws.err")" -eq 1
check "offline: each failure names its cause" \
    grep -q "ws://127.0.0.1:1/: connection refused or unreachable" "$T/ws.err"
check "start line: the URL tried first and the failover count" \
    grep -q "info: 1 rule file (quiet), 1 worker; connecting to ws://127.0.0.1:1/ (then 1 more for failover)" \
    "$T/ws.err"

# --ct with no log answering: one line says so and names the demo feed
timeout 30 "$CERTMON" --ct --ct-log http://127.0.0.1:1/ \
    --ct-log http://127.0.0.1:2/ --state-dir "$T/ctst" -w 1 "$T/quiet.lua" \
    >/dev/null 2>"$T/ct.err" &
pid=$!
check "--ct offline: one line says no log answered, and what works offline" \
    wait_for "grep -q 'none of the 2 CT logs answered (last: .*); certmon keeps trying.*--replay scripts/demo/demo.jsonl' '$T/ct.err'" 20
wait_for "[ \$(grep -c 'tree head' '$T/ct.err') -ge 6 ]" 30
kill -TERM "$pid"; wait "$pid"
check "--ct offline: said once" \
    test "$(grep -c 'CT logs answered' "$T/ct.err")" -eq 1
