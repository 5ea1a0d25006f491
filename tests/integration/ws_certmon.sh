# ws_certmon.sh: certmon --url against the fake CertStream server, end to
# end through the queue, the Lua workers and the alert writer.
#
# The rule writes one alert per message with its "test_seq" number, so the
# alerts show what arrived, in which order. The same rule over --replay of
# the same file gives the expected alerts. Every wait is a poll with a
# generous limit; nothing asserts on speed.

. "$(dirname "$0")/../lib.sh"

FAKE=$TOOLS/fake_certstream

if ! "$CERTMON" --help 2>&1 | grep -q -- "--url"; then
    not_ok "certmon has no --url option: the WebSocket source is not wired"
    exit 1
fi
FAST="--reconnect-min-ms 50 --reconnect-max-ms 200 --stats-interval 0 -w 1"

i=0
while [ $i -lt 20 ]; do cat "$FIX/certstream/all.jsonl"; i=$((i + 1)); done |
    awk '{ sub(/^\{/, "{\"test_seq\":" NR ","); print }' >"$T/m220.jsonl"
i=0
while [ $i -lt 100 ]; do cat "$FIX/certstream/all.jsonl"; i=$((i + 1)); done |
    awk '{ sub(/^\{/, "{\"test_seq\":" NR ","); print }' >"$T/m1100.jsonl"

cat >"$T/seq.lua" <<'EOF'
local certmon = require "certmon"
return {
  name = "seq",
  on_message = function(msg)
    certmon.alert{ seq = msg.test_seq, type = msg.message_type }
  end,
}
EOF
cat >"$T/slow.lua" <<'EOF'
local certmon = require "certmon"
return {
  name = "slow",
  on_message = function(msg)
    local t = os.clock()
    while os.clock() - t < 0.002 do end
    certmon.alert{ seq = msg.test_seq }
  end,
}
EOF

fake() {
    name=$1; shift
    rm -f "$T/$name.port"
    "$FAKE" --port-file "$T/$name.port" "$@" >"$T/$name.ev" 2>"$T/$name.err" &
    eval "${name}_pid=$!"
    if ! wait_for "[ -s '$T/$name.port' ]" 20; then
        echo "# fake $name did not start:"; sed 's/^/#   /' "$T/$name.err"
    fi
    eval "${name}_port=\$(cat '$T/$name.port' 2>/dev/null)"
}
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
seqs() { sed -n 's/.*"seq":\([0-9]*\).*/\1/p' "$1"; }
in_order() { seqs "$1" | awk 'NR > 1 && $1 <= prev { bad = 1 } { prev = $1 }
                              END { exit bad }'; }
show() { echo "# --- $1"; tail -n 15 "$1" | sed 's/^/#   /'; }

# the expected alerts: the same rule over the same file, replayed
"$CERTMON" -w 1 -r "$T/m220.jsonl" -o "$T/want220" "$T/seq.lua" 2>"$T/rep.err"
expect_eq "replay of the test file gives one alert per message" \
    "$(lines "$T/want220")" 220
strip_time <"$T/want220" >"$T/w1"

# --- stream with fragments: alerts equal the replay's; SIGTERM ----------
fake a --messages "$T/m220.jsonl" --act "send 50; frag 100; frag 3; send"
"$CERTMON" -u "ws://127.0.0.1:$a_port/" $FAST -o "$T/out1" "$T/seq.lua" \
    2>"$T/err1" &
cm=$!
wait_for "[ \$(lines '$T/out1') -ge 220 ]" 60
kill -TERM "$cm"; wait "$cm"; rc=$?
if strip_time <"$T/out1" | cmp -s - "$T/w1"; then
    ok "live alerts equal the replay's, in order"
else
    not_ok "live alerts equal the replay's, in order"; show "$T/err1"
fi
expect_eq "SIGTERM: exit status 0" "$rc" 0
check "SIGTERM: summary line printed" grep -q "^certmon: certs=" "$T/err1"
expect_eq "SIGTERM: summary counts no drop" "$(summary_field "$T/err1" dropped)" 0
wait_for "grep -q '^closed 1' '$T/a.ev'" 10
check "SIGTERM: close frame with code 1000" grep -q "^client-close 1 1000" "$T/a.ev"
stop "$a_pid"

# --- -n: stops by itself after N certificates ---------------------------
# Each copy of the fixture file is 9 certificates and 2 heartbeats, so the
# 50th certificate is message 60. The fake sends exactly that and pauses:
# when certmon's close frame arrives the fake has no output left, which
# lws needs to report the close (a server with unsent bytes closes on a
# client's close frame without a word). The rest follows after the pause,
# so a certmon that failed to stop at 50 would still be caught.
fake a --messages "$T/m220.jsonl" --act "send 60; sleep 20000; send"
timeout 60 "$CERTMON" -u "ws://127.0.0.1:$a_port/" $FAST -n 50 \
    -o "$T/out1n" "$T/seq.lua" 2>"$T/err1n"
expect_eq "-n 50: exits 0 by itself" "$?" 0
expect_eq "-n 50: 50 certificates in the summary" \
    "$(summary_field "$T/err1n" certs)" 50
wait_for "grep -q '^closed 1' '$T/a.ev'" 10
check "-n 50: close frame with code 1000" grep -q "^client-close 1 1000" "$T/a.ev"
stop "$a_pid"

# --- close frame, reset and stall: reconnects each time -----------------
fake a --messages "$T/m220.jsonl" --act "send 40; close 1011 overloaded" \
    --act "send 40; sleep 200; reset" --act "send 40; stall" --act "send"
"$CERTMON" -u "ws://127.0.0.1:$a_port/" $FAST --ping-interval 1 \
    --idle-timeout 2 -o "$T/out2" "$T/seq.lua" 2>"$T/err2" &
cm=$!
wait_for "grep -q '^done 4' '$T/a.ev' && [ \"\$(seqs '$T/out2' | tail -n 1)\" = 220 ]" 90
kill -TERM "$cm"; wait "$cm"
expect_eq "faults: three reconnects in the summary" \
    "$(summary_field "$T/err2" reconnects)" 3
check "faults: close code and reason logged" \
    grep -q 'code 1011 "overloaded"' "$T/err2"
check "faults: abrupt close logged as 1006" grep -q "(1006)" "$T/err2"
check "faults: idle timeout logged" grep -q "idle timeout" "$T/err2"
check "faults: the last message arrived" [ "$(seqs "$T/out2" | tail -n 1)" = 220 ]
check "faults: alerts in order" in_order "$T/out2"
check "faults: at most the messages in flight at the reset lost" \
    [ "$(lines "$T/out2")" -ge 180 ]
stop "$a_pid"

# --- failover to the second URL when the first answers 503 -------------
fake a --messages "$T/m220.jsonl" --act "refuse"
fake b --messages "$T/m220.jsonl"
"$CERTMON" -u "ws://127.0.0.1:$a_port/" -u "ws://127.0.0.1:$b_port/" $FAST \
    -o "$T/out3" "$T/seq.lua" 2>"$T/err3" &
cm=$!
wait_for "[ \$(lines '$T/out3') -ge 220 ]" 60
kill -TERM "$cm"; wait "$cm"
if strip_time <"$T/out3" | cmp -s - "$T/w1"; then
    ok "failover: every message from the second URL"
else not_ok "failover: every message from the second URL"; show "$T/err3"; fi
check "failover: HTTP 503 logged" grep -q "HTTP 503" "$T/err3"
check "failover: reconnect counted" [ "$(summary_field "$T/err3" reconnects)" -ge 1 ]
stop "$a_pid"; stop "$b_pid"

# --- backpressure with a slow rule: drop counts, block loses nothing ----
fake a --messages "$T/m1100.jsonl"
"$CERTMON" -u "ws://127.0.0.1:$a_port/" $FAST --queue 4 -o "$T/out4" \
    "$T/slow.lua" 2>"$T/err4" &
cm=$!
wait_for "grep -q '^sent 1100' '$T/a.ev'" 60
sleep 2
kill -TERM "$cm"; wait "$cm"
drp=$(summary_field "$T/err4" dropped)
check "drop (default for --url): messages dropped with a slow rule" \
    [ "${drp:-0}" -gt 0 ]
expect_eq "drop: alerts + dropped = sent" "$(($(lines "$T/out4") + ${drp:-0}))" 1100
check "drop: alerts in order" in_order "$T/out4"
expect_eq "drop: no reconnect" "$(summary_field "$T/err4" reconnects)" 0
stop "$a_pid"

fake a --messages "$T/m1100.jsonl"
"$CERTMON" -u "ws://127.0.0.1:$a_port/" $FAST --queue 4 --on-full block \
    --ping-interval 1 --idle-timeout 2 -o "$T/out5" "$T/slow.lua" \
    2>"$T/err5" &
cm=$!
wait_for "[ \$(lines '$T/out5') -ge 1100 ]" 120
kill -TERM "$cm"; wait "$cm"
expect_eq "block: every message processed" "$(lines "$T/out5")" 1100
check "block: alerts in order" in_order "$T/out5"
expect_eq "block: nothing dropped" "$(summary_field "$T/err5" dropped)" 0
expect_eq "block: no reconnect while paused" \
    "$(summary_field "$T/err5" reconnects)" 0
stop "$a_pid"

# --- status line -------------------------------------------------------
fake a --messages "$T/m220.jsonl"
"$CERTMON" -u "ws://127.0.0.1:$a_port/" --stats-interval 1 -w 1 \
    -o "$T/out6" "$T/seq.lua" 2>"$T/err6" &
cm=$!
wait_for "grep -q 'status: url=ws://127.0.0.1:$a_port/ up=' '$T/err6'" 30
kill -TERM "$cm"; wait "$cm"
check "status line: URL, uptime, rate, drops, reconnects, last message age" \
    grep -Eq "status: url=ws://127.0.0.1:$a_port/ up=[0-9]+s rate=[0-9.]+/s received=[0-9]+ dropped=0 reconnects=0 last_message_age=" "$T/err6"
stop "$a_pid"

# --- TLS ------------------------------------------------------------------
if openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1; then
    fake a --messages "$T/m220.jsonl" --tls "$T/cert.pem" "$T/key.pem"
    "$CERTMON" -u "wss://127.0.0.1:$a_port/" $FAST -o "$T/out7" \
        "$T/seq.lua" 2>"$T/err7" &
    cm=$!
    wait_for "grep -q 'certificate rejected' '$T/err7'" 30
    kill -TERM "$cm"; wait "$cm"
    check "TLS: self-signed certificate rejected" \
        grep -q "TLS failure: server certificate rejected" "$T/err7"
    expect_eq "TLS: no alert from an unverified server" "$(lines "$T/out7")" 0

    "$CERTMON" -u "wss://127.0.0.1:$a_port/" --ca-file "$T/cert.pem" $FAST \
        -o "$T/out8" "$T/seq.lua" 2>"$T/err8" &
    cm=$!
    wait_for "[ \$(lines '$T/out8') -ge 220 ]" 60
    kill -TERM "$cm"; wait "$cm"
    if strip_time <"$T/out8" | cmp -s - "$T/w1"; then
        ok "TLS: --ca-file verifies and every message arrives"
    else not_ok "TLS: --ca-file verifies and every message arrives"
        show "$T/err8"; fi
    stop "$a_pid"
else
    not_ok "TLS: openssl could not make a test certificate"
fi

# --- usage errors ----------------------------------------------------------
# a malformed --url is bad usage (exit 2), caught before anything starts
"$CERTMON" -u "http://127.0.0.1/" "$T/seq.lua" >/dev/null 2>"$T/err9"
expect_eq "a non-WebSocket URL is refused as bad usage" "$?" 2
check "... with the reason" grep -q "not a ws:// or wss:// URL" "$T/err9"
