# What a new user sees first: the start line says which rules run and what
# certmon reads; the demo feed alerts with the shipped rules.
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
wait_for "grep -q 'reconnecting' '$T/ws.err'" 20
kill -TERM "$pid"; wait "$pid"
check "start line: the URL tried first and the failover count" \
    grep -q "info: 1 rule file (quiet), 1 worker; connecting to ws://127.0.0.1:1/ (then 1 more for failover)" \
    "$T/ws.err"
