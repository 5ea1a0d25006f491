# ws_source.sh: the WebSocket source (core/ws/ws_source.c) against the fake
# CertStream server, through ws_sink (the real source, a real queue, no
# Lua), so what arrives can be compared byte for byte.
#
# Messages are the real fixtures, each prefixed with a "test_seq" number so
# that order and loss can be checked. Timeouts are small for speed but
# every wait is a poll with a generous limit; nothing asserts on speed.

. "$(dirname "$0")/../lib.sh"

SINK=$TOOLS/ws_sink
FAKE=$TOOLS/fake_certstream
FAST="--reconnect-min-ms 50 --reconnect-max-ms 200"
RUN="timeout 120"

# numbered FILE COPIES: the fixture lines COPIES times, each numbered.
numbered() {
    i=0
    while [ $i -lt "$2" ]; do cat "$FIX/certstream/all.jsonl"; i=$((i + 1)); done |
        awk '{ sub(/^\{/, "{\"test_seq\":" NR ","); print }' >"$1"
}
numbered "$T/m220.jsonl" 20
numbered "$T/m1100.jsonl" 100
# two small real messages: dns_entries and heartbeat
cat "$FIX/certstream/certstream-match_domains-only_dns_entries.json" \
    "$FIX/certstream/certstream-server_frontend_heartbeat_2017.json" |
    tr -d '\n' | sed 's/}{/}\n{/g' >"$T/small.jsonl"
echo >>"$T/small.jsonl"

# fake NAME ARGS...: starts a fake server; sets NAME_port and NAME_pid;
# its events go to $T/NAME.ev.
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

# sink_field FILE KEY: KEY= from ws_sink's exit line.
sink_field() {
    grep '^ws_sink: received=' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# seqs FILE: the test_seq numbers in order, one a line.
seqs() { sed -n 's/^{"test_seq":\([0-9]*\),.*/\1/p' "$1"; }

# in_order FILE: the numbers strictly increase.
in_order() { seqs "$1" | awk 'NR > 1 && $1 <= prev { bad = 1 } { prev = $1 }
                              END { exit bad }'; }

show() { echo "# --- $1"; sed 's/^/#   /' "$1" | tail -n 15; }

# --- every message intact and in order, also when fragmented ----------
fake a --messages "$T/m220.jsonl" --act "send 50; frag 100; frag 3; send"
$RUN "$SINK" -u "ws://127.0.0.1:$a_port/" $FAST -n 220 >"$T/o1" 2>"$T/e1"
check "all 220 messages intact and in order (fragments reassembled)" \
    cmp -s "$T/o1" "$T/m220.jsonl"
expect_eq "no reconnect on a healthy stream" "$(sink_field "$T/e1" reconnects)" 0
check "sink closed with 1000 at the end" grep -q "^client-close 1 1000" "$T/a.ev"
stop "$a_pid"

# --- reconnect after a TCP reset ---------------------------------------
fake a --messages "$T/m220.jsonl" --act "send 30; sleep 200; reset" --act "send"
$RUN "$SINK" -u "ws://127.0.0.1:$a_port/" $FAST -n 220 >"$T/o2" 2>"$T/e2" &
sink=$!
wait_for "grep -q '^sent 220' '$T/a.ev'" 60
wait_for "[ \$(wc -l <'$T/o2') -ge 190 ] && [ \"\$(tail -n 1 '$T/o2')\" = \"\$(tail -n 1 '$T/m220.jsonl')\" ]" 60
stop "$sink"
check "reset: cause logged as a loss without close frame (1006)" \
    grep -q "connection lost without a close frame (1006)" "$T/e2"
check "reset: reconnected and got the rest, up to the last message" \
    [ "$(tail -n 1 "$T/o2")" = "$(tail -n 1 "$T/m220.jsonl")" ]
if grep -vxFf "$T/m220.jsonl" "$T/o2" >/dev/null; then
    not_ok "reset: what arrived is intact"
else ok "reset: what arrived is intact"; fi
if in_order "$T/o2"; then ok "reset: in order"; else not_ok "reset: in order"; fi
check "reset: at most the 30 messages before the reset lost" \
    [ "$(wc -l <"$T/o2")" -ge 190 ]
expect_eq "reset: one reconnect counted" "$(sink_field "$T/e2" reconnects)" 1
stop "$a_pid"

# --- reconnect after a close frame -------------------------------------
fake a --messages "$T/m220.jsonl" --act "send 40; close 1011 overloaded" \
    --act "send"
$RUN "$SINK" -u "ws://127.0.0.1:$a_port/" $FAST -n 220 >"$T/o3" 2>"$T/e3"
check "close 1011: all 220 messages, in order" cmp -s "$T/o3" "$T/m220.jsonl"
check "close 1011: code and reason logged" \
    grep -q 'server closed the connection with code 1011 "overloaded"' "$T/e3"
expect_eq "close 1011: one reconnect" "$(sink_field "$T/e3" reconnects)" 1
stop "$a_pid"

# --- reconnect after a stall (no data, pings unanswered) ---------------
fake a --messages "$T/m220.jsonl" --act "send 60; stall" --act "send"
$RUN "$SINK" -u "ws://127.0.0.1:$a_port/" $FAST --ping-interval 1 \
    --idle-timeout 2 -n 220 >"$T/o4" 2>"$T/e4"
check "stall: all 220 messages, in order" cmp -s "$T/o4" "$T/m220.jsonl"
check "stall: idle timeout logged" \
    grep -q "idle timeout: no frame or PONG for 2.0 s" "$T/e4"
check "stall: the fake saw a second connection" grep -q "^open 2" "$T/a.ev"
stop "$a_pid"

# --- PINGs keep a quiet connection up; SIGTERM closes with 1000 --------
fake a --messages "$T/small.jsonl" --act "send 1"
"$SINK" -u "ws://127.0.0.1:$a_port/" $FAST --ping-interval 1 \
    --idle-timeout 4 >"$T/o5" 2>"$T/e5" &
sink=$!
wait_for "grep -q '^done 1' '$T/a.ev'" 20
sleep 7                      # several idle periods with nothing but PONGs
kill -TERM "$sink"; wait "$sink"; rc=$?
expect_eq "quiet but answering server: no reconnect" \
    "$(sink_field "$T/e5" reconnects)" 0
check "quiet but answering server: no idle timeout" \
    sh -c "! grep -q 'idle timeout' '$T/e5'"
expect_eq "SIGTERM: exit status 0" "$rc" 0
wait_for "grep -q '^closed 1' '$T/a.ev'" 10
check "SIGTERM: close frame with code 1000" \
    grep -q "^client-close 1 1000" "$T/a.ev"
stop "$a_pid"

# --- failover: the first URL refuses with 503, the second serves -------
fake a --messages "$T/m220.jsonl" --act "refuse"
fake b --messages "$T/m220.jsonl"
$RUN "$SINK" -u "ws://127.0.0.1:$a_port/" -u "ws://127.0.0.1:$b_port/" \
    $FAST -n 220 >"$T/o6" 2>"$T/e6"
check "failover: all messages from the second URL" cmp -s "$T/o6" "$T/m220.jsonl"
check "failover: HTTP 503 logged" \
    grep -q "ws://127.0.0.1:$a_port/: server refused the upgrade: HTTP 503; reconnecting to ws://127.0.0.1:$b_port/" "$T/e6"
stop "$a_pid"; stop "$b_pid"

# --- failover: the first URL has nothing listening ---------------------
fake a --messages "$T/small.jsonl"
dead=$a_port
stop "$a_pid"
fake b --messages "$T/m220.jsonl"
$RUN "$SINK" -u "ws://127.0.0.1:$dead/" -u "ws://127.0.0.1:$b_port/" \
    $FAST -n 220 >"$T/o7" 2>"$T/e7"
check "refused port: all messages from the second URL" \
    cmp -s "$T/o7" "$T/m220.jsonl"
check "refused port: cause logged" \
    grep -q "ws://127.0.0.1:$dead/: connection refused or unreachable" "$T/e7"
stop "$b_pid"

# --- oversized, binary, invalid JSON, trailing newline -----------------
fake a --messages "$T/small.jsonl" \
    --act "send 1; big 20000; binary; junk; frag 10; send"
$RUN "$SINK" -u "ws://127.0.0.1:$a_port/" $FAST --max-message-size 4096 \
    -n 3 >"$T/o8" 2>"$T/e8"
{ head -n 1 "$T/small.jsonl"
  echo '{"message_type": "certificate_update", "data": {'
  tail -n 1 "$T/small.jsonl"; } >"$T/want8"
check "odd frames: the rest arrives as sent, without the trailing newline" \
    cmp -s "$T/o8" "$T/want8"
expect_eq "odd frames: oversized message counted" "$(sink_field "$T/e8" oversize)" 1
expect_eq "odd frames: binary message counted" "$(sink_field "$T/e8" binary)" 1
expect_eq "odd frames: connection kept" "$(sink_field "$T/e8" reconnects)" 0
check "odd frames: the oversize is logged with its real size" \
    grep -q "dropped a 20000-byte message over the 4096-byte limit" "$T/e8"
stop "$a_pid"

# --- backpressure: drop counts, block loses nothing --------------------
fake a --messages "$T/m1100.jsonl"
"$SINK" -u "ws://127.0.0.1:$a_port/" $FAST --queue 4 --on-full drop \
    --consume-delay-ms 2 >"$T/o9" 2>"$T/e9" &
sink=$!
wait_for "grep -q '^sent 1100' '$T/a.ev'" 60
sleep 2
kill -TERM "$sink"; wait "$sink"
rcv=$(sink_field "$T/e9" received); drp=$(sink_field "$T/e9" dropped)
check "drop: some messages dropped with a slow consumer" [ "${drp:-0}" -gt 0 ]
expect_eq "drop: received + dropped = sent" "$((${rcv:-0} + ${drp:-0}))" 1100
expect_eq "drop: every received message was consumed" \
    "$(wc -l <"$T/o9" | tr -d ' ')" "$rcv"
if in_order "$T/o9"; then ok "drop: what arrived is in order"
else not_ok "drop: what arrived is in order"; fi
expect_eq "drop: no reconnect (the socket never stalled)" \
    "$(sink_field "$T/e9" reconnects)" 0
stop "$a_pid"

fake a --messages "$T/m1100.jsonl"
$RUN "$SINK" -u "ws://127.0.0.1:$a_port/" $FAST --queue 4 --on-full block \
    --consume-delay-ms 1 --ping-interval 1 --idle-timeout 2 -n 1100 \
    >"$T/o10" 2>"$T/e10"
check "block: all 1100 messages, in order" cmp -s "$T/o10" "$T/m1100.jsonl"
expect_eq "block: nothing dropped" "$(sink_field "$T/e10" dropped)" 0
expect_eq "block: pausing is not an idle timeout" \
    "$(sink_field "$T/e10" reconnects)" 0
stop "$a_pid"

# --- TLS: verification against a self-signed certificate ---------------
if openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1; then
    fake a --messages "$T/m220.jsonl" --tls "$T/cert.pem" "$T/key.pem"
    "$SINK" -u "wss://127.0.0.1:$a_port/" $FAST >"$T/o11" 2>"$T/e11" &
    sink=$!
    wait_for "grep -q 'certificate rejected' '$T/e11'" 30
    stop "$sink"
    check "TLS: self-signed server rejected, with the reason" \
        grep -q "TLS failure: server certificate rejected (self-signed certificate)" "$T/e11"
    check "TLS: nothing delivered from an unverified server" [ ! -s "$T/o11" ]

    $RUN "$SINK" -u "wss://127.0.0.1:$a_port/" --ca-file "$T/cert.pem" \
        $FAST -n 220 >"$T/o12" 2>"$T/e12"
    check "TLS: --ca-file verifies and all messages arrive" \
        cmp -s "$T/o12" "$T/m220.jsonl"
    stop "$a_pid"

    fake a --messages "$T/m220.jsonl" --tls "$T/cert.pem" "$T/key.pem"
    $RUN "$SINK" -u "wss://127.0.0.1:$a_port/" --insecure $FAST -n 220 \
        >"$T/o13" 2>"$T/e13"
    check "TLS: --insecure connects without verification" \
        cmp -s "$T/o13" "$T/m220.jsonl"
    check "TLS: --insecure says so loudly" grep -q "NOT verified" "$T/e13"
    stop "$a_pid"

    printf 'not a certificate\n' >"$T/bad.pem"
    "$SINK" -u "wss://127.0.0.1:1/" --ca-file "$T/bad.pem" >/dev/null 2>"$T/e14"
    expect_eq "TLS: a --ca-file without a certificate is refused at start" \
        "$?" 2
    check "TLS: ... with a clear reason" grep -q "no PEM certificate" "$T/e14"
else
    not_ok "TLS: openssl could not make a test certificate"
fi

# --- bad URLs are refused at start --------------------------------------
for u in "http://127.0.0.1/" "ws://" "ws://h:99999/" "ws://[::1/"; do
    "$SINK" -u "$u" >/dev/null 2>"$T/e15"
    expect_eq "bad URL '$u' refused" "$?" 2
done
