# metrics.sh: --listen: /metrics scraped and parsed by the Prometheus
# text-format parser (python3-prometheus-client) with its numbers checked
# against the exit summary; /healthz flipping to 503 when the feed stalls;
# the HTTP server's limits; loopback only; per-log CT figures; the
# backtest progress lines, plain and on a terminal.
#
# Every wait is a poll with a generous bound; nothing asserts on speed.

. "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
SCRAPE="$TOP/tests/tools/prom_scrape.py"
if ! $PY -c 'import prometheus_client.parser' 2>/dev/null; then
    not_ok "python3-prometheus-client is missing (make deps installs it)"
    exit 1
fi
HOME=$T/home; export HOME; unset XDG_STATE_HOME
FAKE=$TOOLS/fake_certstream
FAST="--reconnect-min-ms 50 --reconnect-max-ms 200 --stats-interval 0"

# certmon_port ERRFILE: the port certmon says it listens on
certmon_port() {
    sed -n 's|.*metrics: serving /metrics and /healthz on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$1" | head -n 1
}
# metric FILE SAMPLE: the value of one sample line in a scrape
# (label values may hold spaces: the value is the last field)
metric() {
    awk -v s="$2" '{ v = $NF; sub(/ [^ ]*$/, ""); if ($0 == s) print v }' "$1"
}
show() { echo "# --- $1"; tail -n 15 "$1" | sed 's/^/#   /'; }
fake() {
    name=$1; shift
    rm -f "$T/$name.port"
    "$FAKE" --port-file "$T/$name.port" "$@" >"$T/$name.ev" 2>"$T/$name.err" &
    eval "${name}_pid=$!"
    wait_for "[ -s '$T/$name.port' ]" 20
    eval "${name}_port=\$(cat '$T/$name.port' 2>/dev/null)"
}

# ---- only loopback unless asked -------------------------------------
"$CERTMON" --listen 0.0.0.0:0 -r "$FIX/certstream/all.jsonl" \
    >/dev/null 2>"$T/pub.err"
rc=$?
expect_eq "--listen on a non-loopback address: refused, exit 1" "$rc" 1
check "... saying why and what allows it" \
    grep -q "is not a loopback address.*--listen-public" "$T/pub.err"
"$CERTMON" --listen-public -r "$FIX/certstream/all.jsonl" >/dev/null \
    2>"$T/pub2.err"
expect_eq "--listen-public alone is bad usage (exit 2)" "$?" 2
"$CERTMON" --health-max-age 5 -r "$FIX/certstream/all.jsonl" >/dev/null \
    2>"$T/hma.err"
rc=$?
check "--health-max-age without --listen is bad usage (exit 2), said so" \
    sh -c "[ $rc -eq 2 ] && grep -q 'goes with --listen' '$T/hma.err'"
"$CERTMON" --progress 1 -r "$FIX/certstream/all.jsonl" >/dev/null \
    2>"$T/prog.err"
rc=$?
check "--progress outside a --ct backtest is bad usage (exit 2), said so" \
    sh -c "[ $rc -eq 2 ] && grep -q 'goes with a --ct backtest' '$T/prog.err'"
"$CERTMON" --listen 127.0.0.1 -r "$FIX/certstream/all.jsonl" >/dev/null \
    2>"$T/noport.err"
rc=$?
check "--listen without a port: exit 1 naming the form expected" \
    sh -c "[ $rc -eq 1 ] && grep -q 'expected HOST:PORT' '$T/noport.err'"

# ---- /metrics against the summary ----------------------------------------
# 11 fixture messages x 10, one alert per certificate, and a rule that
# fails on every third call, so alerts and errors are not zero
i=0
while [ $i -lt 10 ]; do cat "$FIX/certstream/all.jsonl"; i=$((i + 1)); done \
    >"$T/m110.jsonl"
N=$(wc -l <"$T/m110.jsonl" | tr -d ' ')
mkdir -p "$T/rules"
cat >"$T/rules/each.lua" <<'EOF2'
local certmon = require "certmon"
return {
  name = "each",
  on_cert = function(msg) certmon.alert{ n = 1 } end,
}
EOF2
cat >"$T/rules/flaky.lua" <<'EOF2'
local n = 0
return {
  name = "flaky",
  on_message = function(msg)
    n = n + 1
    if n % 3 == 0 then error("every third call fails") end
  end,
}
EOF2
fake a --messages "$T/m110.jsonl" --act "send"
"$CERTMON" -u "ws://127.0.0.1:$a_port/" $FAST -w 2 --listen 127.0.0.1:0 \
    --rule-fail-limit 0 -o "$T/out" "$T/rules" 2>"$T/cm.err" &
cm=$!
wait_for "[ -n \"\$(certmon_port '$T/cm.err')\" ]" 30
port=$(certmon_port "$T/cm.err")
URL="http://127.0.0.1:$port"
wait_for "$PY '$SCRAPE' $URL/metrics >'$T/s1' 2>'$T/s1.err' &&
          [ \"\$(metric '$T/s1' certmon_messages_total)\" = $N ]" 60
expect_eq "/metrics parses and counts every message" \
    "$(metric "$T/s1" certmon_messages_total)" "$N"
[ -s "$T/s1.err" ] && sed 's/^/#   /' "$T/s1.err"
check "/healthz: 200 while messages arrive (max age 120 s)" \
    sh -c "$PY '$SCRAPE' $URL --get /healthz | head -n 1 | grep -qx 200"
# a reload: the generation goes up, the per-rule counters go on
calls_before=$(metric "$T/s1" "certmon_rule_calls_total{rule=\"$T/rules/each.lua\"}")
printf '\n-- edited\n' >>"$T/rules/each.lua"
wait_for "$PY '$SCRAPE' $URL/metrics >'$T/s2' 2>/dev/null &&
          [ \"\$(metric '$T/s2' certmon_reload_generation)\" = 2 ]" 60
expect_eq "a reload shows as generation 2" \
    "$(metric "$T/s2" certmon_reload_generation)" 2
expect_eq "... and the rule's call count outlives it" \
    "$(metric "$T/s2" "certmon_rule_calls_total{rule=\"$T/rules/each.lua\"}")" \
    "$calls_before"
$PY "$SCRAPE" "$URL/metrics" >"$T/s3"
kill -TERM "$cm"; wait "$cm"; rc=$?
expect_eq "SIGTERM with --listen: exit 0" "$rc" 0
S=$T/cm.err
for pair in certs:certmon_certs_total messages:certmon_messages_total \
    alerts:certmon_alerts_total dropped:certmon_dropped_total \
    reconnects:certmon_reconnects_total reloads:certmon_reloads_total \
    bytes:certmon_received_bytes_total ct_entries:certmon_ct_entries_total \
    'parse_errors:certmon_errors_total{kind="parse"}' \
    'budget_errors:certmon_errors_total{kind="rule_budget"}' \
    'memory_errors:certmon_errors_total{kind="rule_memory"}'; do
    key=${pair%%:*} name=${pair#*:}
    got=$(metric "$T/s3" "$name")
    [ "$key" = ct_entries ] && [ -z "$got" ] && got=0  # no CT family
    expect_eq "/metrics $name equals the summary's $key=" "$got" \
        "$(summary_field "$S" "$key")"
done
sum_errors=$(awk '/^certmon_errors_total\{kind="(parse|rule_[a-z]*)"\}/ { s += $2 }
                  END { print s + 0 }' "$T/s3")
expect_eq "/metrics parse + rule errors equal the summary's errors=" \
    "$sum_errors" "$(summary_field "$S" errors)"
rule_alerts=$(awk '/^certmon_rule_alerts_total/ { s += $2 } END { print s + 0 }' "$T/s3")
expect_eq "per-rule alerts add up to the alerts" "$rule_alerts" \
    "$(summary_field "$S" alerts)"
rule_errors=$(awk '/^certmon_rule_errors_total/ { s += $2 } END { print s + 0 }' "$T/s3")
expect_eq "per-rule errors add up to the summary's rule_errors=" \
    "$rule_errors" "$(summary_field "$S" rule_errors)"
check "the failing rule's errors are its own" \
    sh -c "[ \"\$(awk -v s='certmon_rule_errors_total{rule=\"$T/rules/flaky.lua\"}' '\$1 == s { print \$2 }' '$T/s3')\" -gt 0 ]"
f=$T/rules/each.lua
expect_eq "histogram: the +Inf bucket equals _count" \
    "$(metric "$T/s3" "certmon_rule_call_seconds_bucket{le=\"+Inf\",rule=\"$f\"}")" \
    "$(metric "$T/s3" "certmon_rule_call_seconds_count{rule=\"$f\"}")"
expect_eq "histogram: _count equals the rule's calls" \
    "$(metric "$T/s3" "certmon_rule_call_seconds_count{rule=\"$f\"}")" \
    "$(metric "$T/s3" "certmon_rule_calls_total{rule=\"$f\"}")"
check "histogram: buckets never decrease" sh -c "
    grep '^certmon_rule_call_seconds_bucket{.*rule=\"$f\"}' '$T/s3' |
    awk '\$2 < prev { bad = 1 } { prev = \$2 } END { exit bad }'"
expect_eq "queue depth 0 once everything is processed" \
    "$(metric "$T/s3" certmon_queue_depth)" 0
stop "$a_pid" 2>/dev/null; kill "$a_pid" 2>/dev/null; wait "$a_pid" 2>/dev/null

# ---- /healthz flips to 503 when the feed stalls --------------------------
fake b --messages "$FIX/certstream/all.jsonl" --act "send; stall"
"$CERTMON" -u "ws://127.0.0.1:$b_port/" $FAST -w 1 --listen 127.0.0.1:0 \
    --health-max-age 1 -o /dev/null "$T/rules/each.lua" 2>"$T/h.err" &
cm=$!
wait_for "[ -n \"\$(certmon_port '$T/h.err')\" ]" 30
URL="http://127.0.0.1:$(certmon_port "$T/h.err")"
# 200 is seen only while the last message is under a second old, which a
# loaded machine may miss: the promise tested is the 503 with its reason
wait_for "$PY '$SCRAPE' $URL --get /healthz >'$T/h1' 2>/dev/null &&
          grep -q 'no message from websocket for' '$T/h1'" 60
expect_eq "/healthz: 503 once the feed stalls past --health-max-age" \
    "$(head -n 1 "$T/h1")" 503
check "... with the reason" \
    grep -q "unhealthy: no message from websocket for [0-9.]* s (--health-max-age 1 s)" "$T/h1"
$PY "$SCRAPE" "$URL/metrics" >"$T/h2"
check "last message age in /metrics is past the max age" \
    awk '$1 == "certmon_last_message_age_seconds" { exit !($2 >= 1) }' "$T/h2"

# ---- the HTTP server's limits ------------------------------------------
expect_eq "unknown path: 404" "$($PY "$SCRAPE" "$URL" --get /nope | head -n 1)" 404
expect_eq "POST: 405" \
    "$($PY "$SCRAPE" "$URL" --raw 'POST /metrics HTTP/1.0\r\n\r\n')" \
    "HTTP/1.0 405 Method Not Allowed"
expect_eq "HEAD /healthz: the status without a body" \
    "$($PY "$SCRAPE" "$URL" --raw 'HEAD /healthz HTTP/1.0\r\n\r\n')" \
    "HTTP/1.0 503 Service Unavailable"
big=$(awk 'BEGIN { while (i++ < 10000) printf "x" }')
expect_eq "a request over 8 KiB: 431" \
    "$($PY "$SCRAPE" "$URL" --raw "GET /metrics HTTP/1.0\\r\\nX-Pad: $big\\r\\n\\r\\n")" \
    "HTTP/1.0 431 Request Header Fields Too Large"
expect_eq "not HTTP: 400" \
    "$($PY "$SCRAPE" "$URL" --raw 'hello\r\n\r\n')" "HTTP/1.0 400 Bad Request"
# a client that sends half a request and waits: answered 408 after the
# request timeout, and meanwhile others are served
$PY "$SCRAPE" "$URL" --raw 'GET /metr' >"$T/slow.out" &
slow=$!
check "a slow client does not block the others" \
    sh -c "$PY '$SCRAPE' $URL --get /healthz | head -n 1 | grep -qx 503"
wait "$slow"
expect_eq "... and is answered 408 after the request timeout" \
    "$(cat "$T/slow.out")" "HTTP/1.0 408 Request Timeout"
kill -TERM "$cm"; wait "$cm"
expect_eq "stalled feed, SIGTERM: exit 0" "$?" 0
kill "$b_pid" 2>/dev/null; wait "$b_pid" 2>/dev/null

# ---- CT: per-log figures and backtest progress ------------------------
CTF=$FIX/ct/rfc6962
"$TOOLS/fake_ctlog" --port-file "$T/ct.port" --loglist "$T/ct.ll" --repeat 100 \
    "$CTF/ctgo-scanner-FourEntries.get-entries.json" \
    "$CTF/ctgo-logclient-TestGetEntries.get-entries.json" \
    "$CTF/calidog-certstream-server-standard_entry.get-entries.json" \
    >/dev/null 2>"$T/ct.err" &
ct_pid=$!
wait_for "[ -s '$T/ct.port' ]" 30
CTFAST="--ct-rate 200 --stats-interval 0 --ct-poll 1 --ct-partial-tile-age 0"
RFC="fake rfc6962 log"
"$CERTMON" --ct --log-list "$T/ct.ll" --ct-start oldest --state-dir "$T/st" \
    $CTFAST -w 2 --listen 127.0.0.1:0 -o /dev/null "$T/rules/each.lua" \
    2>"$T/ctf.err" &
cm=$!
wait_for "[ -n \"\$(certmon_port '$T/ctf.err')\" ]" 30
URL="http://127.0.0.1:$(certmon_port "$T/ctf.err")"
P="certmon_ct_log_position{log=\"$RFC\"}"
wait_for "$PY '$SCRAPE' $URL/metrics >'$T/c1' 2>/dev/null &&
          [ \"\$(metric '$T/c1' '$P')\" = 700 ]" 90
expect_eq "CT: a followed log's position reaches its tree size" \
    "$(metric "$T/c1" "$P")" 700
expect_eq "CT: its tree size" \
    "$(metric "$T/c1" "certmon_ct_log_tree_size{log=\"$RFC\"}")" 700
expect_eq "CT: no lag" "$(metric "$T/c1" "certmon_ct_log_lag{log=\"$RFC\"}")" 0
expect_eq "CT: state reading" \
    "$(metric "$T/c1" "certmon_ct_log_state{log=\"$RFC\",state=\"reading\"}")" 1
$PY "$SCRAPE" "$URL/metrics" >"$T/c2"
kill -TERM "$cm"; wait "$cm"
expect_eq "CT: entries in /metrics equal the summary's ct_entries=" \
    "$(metric "$T/c2" certmon_ct_entries_total)" \
    "$(summary_field "$T/ctf.err" ct_entries)"

# a backtest, stderr not a terminal: plain progress lines, the last at 100 %
"$CERTMON" --ct --log-list "$T/ct.ll" --from 0 --to 599 $CTFAST -w 2 \
    --progress 1 -o /dev/null "$T/rules/each.lua" 2>"$T/bt.err"
expect_eq "backtest with --progress: exit 0" "$?" 0
check "backtest progress: plain lines, total of both logs, rate and ETA" \
    grep -Eq '^certmon: ([0-9T:.Z-]+ )?info: progress: [0-9]+/1200 entries \([0-9.]+%\) [0-9]+/s ETA [0-9a-z?]+, logs [0-2]/2 read$' "$T/bt.err"
check "... the last one at 1200/1200" \
    sh -c "grep 'progress: [0-9]*/1200 entries' '$T/bt.err' | tail -n 1 |
           grep -q 'progress: 1200/1200 entries (100.0%)'"
check "... and one per log" \
    grep -q "progress: log=\"$RFC\" 600/600 entries (100.0%) read" "$T/bt.err"
check "... no terminal escapes when stderr is a file" \
    sh -c "! grep -q \"\$(printf '\\033')\" '$T/bt.err'"
"$CERTMON" --ct --log-list "$T/ct.ll" --from 0 --to 99 $CTFAST --progress 0 \
    -o /dev/null "$T/rules/each.lua" 2>"$T/bt0.err"
check "--progress 0: no progress lines" sh -c "! grep -q progress: '$T/bt0.err'"
"$CERTMON" --ct --log-list "$T/ct.ll" --ct-start oldest --state-dir "$T/st2" \
    -n 50 $CTFAST -o /dev/null "$T/rules/each.lua" 2>"$T/nobt.err"
check "no progress lines when following logs (not a backtest)" \
    sh -c "! grep -q progress: '$T/nobt.err'"
# on a terminal: one line redrawn in place (script(1) gives a pty). The
# line is redrawn every 0.5 s: --ct-rate 2 makes the backtest last longer
# than that whatever the machine's speed (its requests are spaced 0.5 s).
if command -v script >/dev/null 2>&1; then
    script -qec "'$CERTMON' --ct --log-list '$T/ct.ll' --from 0 --to 599 \
        $CTFAST --ct-rate 2 -w 2 -o /dev/null '$T/rules/each.lua'" /dev/null \
        >"$T/tty.out" 2>&1 </dev/null
    check "backtest on a terminal: a line redrawn in place (\\r, erase line)" \
        sh -c "tr '\\r' '\\n' <'$T/tty.out' | grep -q \"^\$(printf '\\033')\\[Kbacktest: [0-9]*/1200 entries\""
    check "... and a plain last line" \
        grep -aq 'progress: 1200/1200 entries (100.0%)' "$T/tty.out"
else
    ok "# SKIP backtest on a terminal: script(1) is not installed"
fi
kill "$ct_pid" 2>/dev/null; wait "$ct_pid" 2>/dev/null
