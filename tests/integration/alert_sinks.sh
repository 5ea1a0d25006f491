# alert_sinks.sh: webhook and exec alert sinks against real parts: a
# Python http.server receiver on 127.0.0.1 (tests/tools/webhook_receiver.py)
# and real hook scripts.
#
# The receiver checks every request (method, Content-Type, Content-Length,
# JSON body, expected headers) and answers as scripted: 500, 429 with
# Retry-After, a dropped connection, 400, slow. Whatever it does, no alert
# is lost: every alert written to -o arrives at the receiver or sits in the
# spool, and spooled alerts arrive once the receiver is back. All waits are
# polls with generous limits.
. "$(dirname "$0")/../lib.sh"

ALL=$FIX/certstream/all.jsonl       # 11 messages
RECV=$TOP/tests/tools/webhook_receiver.py
if ! command -v python3 >/dev/null; then
    not_ok "python3 is needed for the webhook receiver"; exit 1
fi
cat >"$T/every.lua" <<'LUA'
local certmon = require "certmon"
return { name = "every", on_message = function(msg)
  certmon.alert{ t = msg.message_type, domain = "paypal-login.example",
                 brand = "paypal", technique = "keyword",
                 fingerprint = "AB:CD", issuer = "Test CA" }
end }
LUA
lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
show() { echo "# --- $1"; tail -n 15 "$1" 2>/dev/null | sed 's/^/#   /'; }

# recv NAME [ARGS]: a receiver in $T/NAME, port in $NAME_port
recv() {
    name=$1; shift
    rm -f "$T/$name.port"
    python3 "$RECV" serve --port-file "$T/$name.port" --dir "$T/$name" "$@" \
        2>"$T/$name.err" &
    eval "${name}_pid=$!"
    if ! wait_for "[ -s '$T/$name.port' ]" 30; then
        echo "# receiver $name did not start"; show "$T/$name.err"
    fi
    eval "${name}_port=\$(cat '$T/$name.port' 2>/dev/null)"
}
control() { python3 "$RECV" control "$@"; }
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; return 0; }
# all_arrived OUT DIR: every alert line of OUT is in DIR/accepted.jsonl
all_arrived() {
    [ -f "$2/accepted.jsonl" ] || return 1
    sort -u "$1" >"$T/want.s"; sort -u "$2/accepted.jsonl" >"$T/got.s"
    [ -z "$(comm -23 "$T/want.s" "$T/got.s")" ]
}
no_bad() { [ ! -s "$1/bad.txt" ] || { show "$1/bad.txt"; return 1; }; }

# --- delivered as sent, with a secret header that is never logged ---------
recv a --expect-header "Authorization: Bearer s3cret-token"
"$CERTMON" -w 2 -r "$ALL" -o "$T/a.out" \
    --alert-webhook "http://127.0.0.1:$a_port/hook?x=1" \
    --alert-header "Authorization: Bearer s3cret-token" "$T/every.lua" \
    2>"$T/a.log"
expect_eq "webhook: exit 0" "$?" 0
expect_eq "webhook: every alert posted once" "$(lines "$T/a/accepted.jsonl")" 11
check "webhook: the posted alerts are the alerts of -o" all_arrived "$T/a.out" "$T/a"
check "webhook: every request passed the receiver's checks" no_bad "$T/a"
check "webhook: the header value is never logged" \
    sh -c "! grep -q s3cret '$T/a.log'"
expect_eq "webhook: alerts_failed=0" "$(summary_field "$T/a.log" alerts_failed)" 0

# --- header file; a missing header is what the receiver sees --------------
printf '# tokens for the test receiver\n\nX-Token: from-file-42\n' >"$T/headers"
"$CERTMON" -w 1 -r "$ALL" -o /dev/null --alert-webhook "http://127.0.0.1:$a_port/" \
    --alert-header-file "$T/headers" "$T/every.lua" 2>"$T/hf.log"
check "header file: the receiver wanted Authorization and says so" \
    grep -q "header Authorization missing" "$T/a/bad.txt"
check "header file: the file's value is never logged" \
    sh -c "! grep -q from-file-42 '$T/hf.log'"
stop $a_pid
recv hf --expect-header "X-Token: from-file-42"
"$CERTMON" -w 1 -r "$ALL" -o /dev/null --alert-webhook "http://127.0.0.1:$hf_port/" \
    --alert-header-file "$T/headers" "$T/every.lua" 2>"$T/hf2.log"
expect_eq "header file: all delivered with its header" "$(lines "$T/hf/accepted.jsonl")" 11
check "header file: requests passed the checks" no_bad "$T/hf"
stop $hf_pid

# --- 500, 429 + Retry-After, dropped connection: retried, none lost ------
recv b
control "$b_port" "500,429:2,drop,500" ok
"$CERTMON" -w 1 -r "$ALL" -o "$T/b.out" --alert-webhook "http://127.0.0.1:$b_port/" \
    --alert-spool "$T/spool_b" "$T/every.lua" 2>"$T/b.log"
expect_eq "retries: exit 0" "$?" 0
check "retries: every alert arrived" all_arrived "$T/b.out" "$T/b"
expect_eq "retries: each alert accepted once" "$(lines "$T/b/accepted.jsonl")" 11
expect_eq "retries: alerts_failed=0" "$(summary_field "$T/b.log" alerts_failed)" 0
expect_eq "retries: alerts_spooled=0" "$(summary_field "$T/b.log" alerts_spooled)" 0
check "retries: 500 logged with its status" grep -q "HTTP 500 from" "$T/b.log"
check "retries: a dropped connection is named" \
    grep -q "closed the connection without an answer" "$T/b.log"
expect_eq "retries: the same failure is logged once" \
    "$(grep -c 'HTTP 500 from' "$T/b.log")" 1
# Retry-After: 2 -> the next request came at least 2 s after the 429
gap=$(awk '$2 == "429:2" { t = $1; next } t && !done { print int(($1 - t) * 10); done = 1 }' \
      "$T/b/requests.txt")
check "retries: Retry-After honoured (next try $gap/10 s after the 429)" \
    test "${gap:-0}" -ge 19
stop $b_pid

# --- 400: not retried, logged once with status and body, kept -------------
recv c
control "$c_port" "400" ok
"$CERTMON" -w 1 -r "$ALL" -o "$T/c.out" --alert-webhook "http://127.0.0.1:$c_port/" \
    --alert-spool "$T/spool_c" "$T/every.lua" 2>"$T/c.log"
expect_eq "400: exit 0 (nothing lost: the alert is kept)" "$?" 0
expect_eq "400: 11 requests, the rejected alert not retried" \
    "$(lines "$T/c/requests.txt")" 11
expect_eq "400: 10 accepted" "$(lines "$T/c/accepted.jsonl")" 10
expect_eq "400: logged once with status and the start of the body" \
    "$(grep -c 'HTTP 400 from .*not retried: bad alert: rejected by test' "$T/c.log")" 1
expect_eq "400: the rejected alert is in the rejected spool" \
    "$(lines "$T/spool_c/webhook-1.rejected.jsonl")" 1
expect_eq "400: alerts_failed=1" "$(summary_field "$T/c.log" alerts_failed)" 1
mkdir -p "$T/c_all"
cat "$T/c/accepted.jsonl" "$T/spool_c/webhook-1.rejected.jsonl" \
    >"$T/c_all/accepted.jsonl"
check "400: accepted + rejected = every alert" all_arrived "$T/c.out" "$T/c_all"
stop $c_pid

# --- keep-alive: one connection for a burst; a closed one is replaced -----
# opens DIR: connections the receiver accepted
opens() { if [ -f "$1/connections.txt" ]; then grep -c ' open ' "$1/connections.txt"; else echo 0; fi; }
recv ka1 --keep-alive
"$CERTMON" -w 2 -r "$ALL" -o "$T/ka1.out" --alert-webhook "http://127.0.0.1:$ka1_port/" \
    "$T/every.lua" 2>"$T/ka1.log"
expect_eq "keep-alive: exit 0" "$?" 0
expect_eq "keep-alive: every alert posted once" "$(lines "$T/ka1/requests.txt")" 11
check "keep-alive: the posted alerts are the alerts of -o" all_arrived "$T/ka1.out" "$T/ka1"
check "keep-alive: every request passed the receiver's checks" no_bad "$T/ka1"
expect_eq "keep-alive: 11 alerts over one connection" "$(opens "$T/ka1")" 1
stop $ka1_pid

# an answer with Connection: close ends the kept connection: the next
# alert opens a new one, with no failed attempt
recv ka5 --keep-alive
control "$ka5_port" "ok,okclose" ok
before=$(opens "$T/ka5")                # the control request's connection
"$CERTMON" -w 1 -r "$ALL" -o "$T/ka5.out" --alert-webhook "http://127.0.0.1:$ka5_port/" \
    "$T/every.lua" 2>"$T/ka5.log"
expect_eq "Connection: close: exit 0" "$?" 0
expect_eq "Connection: close: every alert posted once" "$(lines "$T/ka5/requests.txt")" 11
check "Connection: close: every alert arrived" all_arrived "$T/ka5.out" "$T/ka5"
expect_eq "Connection: close: a new connection after it, none before" \
    "$(( $(opens "$T/ka5") - before ))" 2
stop $ka5_pid

# a kept connection the receiver drops after reading the request: sent
# again at once on a new one; a 500 with a body leaves it usable
recv ka2 --keep-alive
control "$ka2_port" "ok,drop,500" ok
before=$(opens "$T/ka2")                  # the control request's connection
"$CERTMON" -w 1 -r "$ALL" -o "$T/ka2.out" --alert-webhook "http://127.0.0.1:$ka2_port/" \
    --alert-spool "$T/spool_ka2" "$T/every.lua" 2>"$T/ka2.log"
expect_eq "keep-alive, dropped: exit 0" "$?" 0
check "keep-alive, dropped: every alert arrived" all_arrived "$T/ka2.out" "$T/ka2"
expect_eq "keep-alive, dropped: 13 requests (11 ok, the drop, the 500)" \
    "$(lines "$T/ka2/requests.txt")" 13
expect_eq "keep-alive, dropped: a second connection after the drop only" \
    "$(( $(opens "$T/ka2") - before ))" 2
expect_eq "keep-alive, dropped: alerts_failed=0" "$(summary_field "$T/ka2.log" alerts_failed)" 0
check "keep-alive, dropped: the drop was no failed attempt" \
    sh -c "! grep -q 'closed the connection' '$T/ka2.log'"
check "keep-alive, dropped: the 500 logged with its body" \
    grep -q "HTTP 500 from .*receiver broken (test)" "$T/ka2.log"
check "keep-alive, dropped: every request passed the receiver's checks" no_bad "$T/ka2"
stop $ka2_pid

# regression: a chunked error answer on a connection the receiver keeps
# open was read on for the reason's snippet until the attempt's deadline
# (120 s here); the body's first bytes are all there is to wait for
recv ka4 --keep-alive
control "$ka4_port" "chunked500" ok
"$CERTMON" -w 1 -r "$ALL" -o "$T/ka4.out" --alert-webhook "http://127.0.0.1:$ka4_port/" \
    --alert-timeout 120 --alert-spool "$T/spool_ka4" "$T/every.lua" 2>"$T/ka4.log" &
cm=$!
check "chunked 500: every alert arrives, not held by the open connection" \
    wait_for "[ \$(lines '$T/ka4/accepted.jsonl') -ge 11 ]" 60
wait $cm
expect_eq "chunked 500: exit 0" "$?" 0
check "chunked 500: logged with the start of its body" \
    grep -q "HTTP 500 from .*receiver broken (chunked)" "$T/ka4.log"
check "chunked 500: every request passed the receiver's checks" no_bad "$T/ka4"
stop $ka4_pid

# a receiver that closes idle connections (as nginx and Node.js do): the
# next alert goes over a new connection, with no failed attempt
recv ka3 --keep-alive --idle-close 1
rm -f "$T/feed_ka3"; mkfifo "$T/feed_ka3"
"$CERTMON" -w 1 -r "$T/feed_ka3" -o "$T/ka3.out" --alert-webhook "http://127.0.0.1:$ka3_port/" \
    --alert-spool "$T/spool_ka3" "$T/every.lua" 2>"$T/ka3.log" &
cm=$!
exec 3>"$T/feed_ka3"
head -n 5 "$ALL" >&3
wait_for "[ \$(lines '$T/ka3/accepted.jsonl') -ge 5 ]" 60
check "idle close: the receiver closed the idle connection" \
    wait_for "grep -q ' closed ' '$T/ka3/connections.txt'" 60
tail -n +6 "$ALL" >&3
wait_for "[ \$(lines '$T/ka3/accepted.jsonl') -ge 11 ]" 60
exec 3>&-
wait $cm
expect_eq "idle close: exit 0" "$?" 0
check "idle close: every alert arrived" all_arrived "$T/ka3.out" "$T/ka3"
expect_eq "idle close: 11 requests, none failed" \
    "$(grep -c ' ok 200$' "$T/ka3/requests.txt")" 11
expect_eq "idle close: two connections" "$(opens "$T/ka3")" 2
check "idle close: no attempt failed" sh -c "! grep -q 'webhook-1.*closed the connection' '$T/ka3.log'"
stop $ka3_pid

# --- receiver down: spooled; replayed at the next start -------------------
recv d
down_port=$d_port
stop $d_pid                             # nothing listens there now
"$CERTMON" -w 1 -r "$ALL" -o "$T/d.out" --alert-webhook "http://127.0.0.1:$down_port/" \
    --alert-spool "$T/spool_d" --alert-retries 0 "$T/every.lua" 2>"$T/d.log"
expect_eq "down: exit 0 (spooled, not lost)" "$?" 0
expect_eq "down: every alert spooled" "$(lines "$T/spool_d/webhook-1.jsonl")" 11
expect_eq "down: alerts_spooled=11" "$(summary_field "$T/d.log" alerts_spooled)" 11
expect_eq "down: alerts_lost=0" "$(summary_field "$T/d.log" alerts_lost)" 0
check "down: the cause is named" grep -q "cannot connect to 127.0.0.1 port $down_port" "$T/d.log"
recv d --port "$down_port"
: >"$T/empty"
"$CERTMON" -w 1 -r "$T/empty" -o /dev/null --alert-webhook "http://127.0.0.1:$d_port/" \
    --alert-spool "$T/spool_d" "$T/every.lua" 2>"$T/d2.log"
check "down: the spool is replayed at start-up" all_arrived "$T/d.out" "$T/d"
check "down: the spool file is emptied" \
    test "$(lines "$T/spool_d/webhook-1.jsonl")" -eq 0
check "down: the replay is logged" grep -q "replayed 11 spooled alerts" "$T/d2.log"
check "down: requests passed the checks" no_bad "$T/d"
stop $d_pid

# --- receiver down, spool capped: past the cap alerts are lost, said once --
for i in $(seq 1 100); do cat "$ALL"; done >"$T/many.jsonl"   # 1,100
"$CERTMON" -w 1 -r "$T/many.jsonl" -o "$T/cap.out" \
    --alert-webhook "http://127.0.0.1:$down_port/" --alert-spool "$T/spool_cap" \
    --alert-spool-max 64k --alert-retries 0 "$T/every.lua" 2>"$T/cap.log"
expect_eq "spool cap: exit 1 (alerts lost)" "$?" 1
check "spool cap: the spool file stays within 64 KiB" \
    test "$(wc -c <"$T/spool_cap/webhook-1.jsonl")" -le 65536
check "... and is filled to within an alert of it" \
    test "$(wc -c <"$T/spool_cap/webhook-1.jsonl")" -gt 65000
check "... with whole lines" \
    sh -c "tail -c 1 '$T/spool_cap/webhook-1.jsonl' | od -An -c | grep -q '\\\\n'"
sp=$(summary_field "$T/cap.log" alerts_spooled)
lo=$(summary_field "$T/cap.log" alerts_lost)
expect_eq "... the spooled ones are counted" "$sp" "$(lines "$T/spool_cap/webhook-1.jsonl")"
expect_eq "... every alert is spooled or counted lost" "$((sp + lo))" \
    "$(lines "$T/cap.out")"
expect_eq "... the cap is named once" \
    "$(grep -c -- "--alert-spool-max cap" "$T/cap.log")" 1

# --- failing, then back within one run: replayed when it recovers ---------
recv e
control "$e_port" "" 500
rm -f "$T/feed"; mkfifo "$T/feed"
"$CERTMON" -w 1 -r "$T/feed" -o "$T/e.out" --alert-webhook "http://127.0.0.1:$e_port/" \
    --alert-spool "$T/spool_e" --alert-retries 0 "$T/every.lua" 2>"$T/e.log" &
cm=$!
exec 3>"$T/feed"
cat "$ALL" >&3
check "recovery: spooled while the receiver fails" \
    wait_for "[ \$(lines '$T/spool_e/webhook-1.jsonl') -ge 11 ]" 60
control "$e_port" "" ok
head -n 1 "$ALL" >&3                    # one more alert, delivered
check "recovery: the spool is replayed once the receiver is back" \
    wait_for "[ \$(lines '$T/e/accepted.jsonl') -ge 12 ]" 60
exec 3>&-
wait $cm
expect_eq "recovery: exit 0" "$?" 0
check "recovery: every alert arrived" all_arrived "$T/e.out" "$T/e"
check "recovery: replay logged" grep -q "replayed 11 spooled alerts" "$T/e.log"
stop $e_pid

# --- back with no new alert: the idle sink probes its spool ---------------
recv p
control "$p_port" "" 500
rm -f "$T/feed"; mkfifo "$T/feed"
"$CERTMON" -w 1 -r "$T/feed" -o "$T/p.out" --alert-webhook "http://127.0.0.1:$p_port/" \
    --alert-spool "$T/spool_p" --alert-retries 0 "$T/every.lua" 2>"$T/p.log" &
cm=$!
exec 3>"$T/feed"
cat "$ALL" >&3
wait_for "[ \$(lines '$T/spool_p/webhook-1.jsonl') -ge 11 ]" 60
control "$p_port" "" ok                 # no further alert is sent
check "probe: the spool reaches the receiver without a new alert" \
    wait_for "all_arrived '$T/p.out' '$T/p'" 90
exec 3>&-
wait $cm
expect_eq "probe: exit 0" "$?" 0
check "probe: the spool is empty" test "$(lines "$T/spool_p/webhook-1.jsonl")" -eq 0
stop $p_pid

# --- slow receiver, queue of 1: overflow is spooled and replayed ----------
recv f
control "$f_port" "slow:30" ok
rm -f "$T/feed"; mkfifo "$T/feed"
"$CERTMON" -w 1 -r "$T/feed" -o "$T/f.out" --alert-webhook "http://127.0.0.1:$f_port/" \
    --alert-spool "$T/spool_f" --alert-queue 1 --alert-timeout 2 \
    --alert-retries 0 "$T/every.lua" 2>"$T/f.log" &
cm=$!
exec 3>"$T/feed"
cat "$ALL" >&3
check "slow: all alerts arrive (timed out and overflowed ones via the spool)" \
    wait_for "all_arrived '$T/f.out' '$T/f'" 90
exec 3>&-
wait $cm
expect_eq "slow: exit 0" "$?" 0
check "slow: the timeout is logged" grep -q "timed out" "$T/f.log"
check "slow: something was spooled" test "$(summary_field "$T/f.log" alerts_spooled)" -ge 1
expect_eq "slow: alerts_lost=0" "$(summary_field "$T/f.log" alerts_lost)" 0
stop $f_pid

# --- a stuck sink blocks neither the rules, nor -o, nor another sink --------
recv k
control "$k_port" "" slow:120          # every answer takes 2 minutes
recv m
rm -f "$T/feed"; mkfifo "$T/feed"
"$CERTMON" -w 1 -r "$T/feed" -o "$T/km.out" --alert-timeout 60 --alert-retries 0 \
    --alert-webhook "http://127.0.0.1:$k_port/" \
    --alert-webhook "http://127.0.0.1:$m_port/" \
    --alert-spool "$T/spool_km" "$T/every.lua" 2>"$T/km.log" &
cm=$!
exec 3>"$T/feed"
cat "$ALL" >&3
check "stuck sink: -o has every alert meanwhile" \
    wait_for "[ \$(lines '$T/km.out') -ge 11 ]" 50
check "stuck sink: the other sink delivered every alert meanwhile" \
    wait_for "all_arrived '$T/km.out' '$T/m'" 50
expect_eq "stuck sink: ... while the stuck one has delivered nothing" \
    "$(lines "$T/k/accepted.jsonl")" 0
stop $k_pid                             # its attempt fails now: spooled
exec 3>&-
wait $cm
expect_eq "stuck sink: exit 0" "$?" 0
expect_eq "stuck sink: its alerts are in its spool" \
    "$(lines "$T/spool_km/webhook-1.jsonl")" 11
expect_eq "stuck sink: the other sink's spool is empty" \
    "$(lines "$T/spool_km/webhook-2.jsonl")" 0
stop $m_pid

# --- queue full without a spool: lost, counted, exit 1 ---------------------
recv g
control "$g_port" "slow:3" ok
"$CERTMON" -w 1 -r "$ALL" -o /dev/null --alert-webhook "http://127.0.0.1:$g_port/" \
    --alert-queue 1 --alert-timeout 10 "$T/every.lua" 2>"$T/g.log"
rc=$?
lost=$(summary_field "$T/g.log" alerts_lost)
got=$(lines "$T/g/accepted.jsonl")
expect_eq "no spool: delivered + lost = all alerts" "$((got + lost))" 11
if [ "$lost" -gt 0 ]; then
    expect_eq "no spool: alerts lost -> exit 1" "$rc" 1
    check "no spool: the loss is logged with the way out" \
        grep -q "give --alert-spool DIR" "$T/g.log"
else
    ok "no spool: nothing overflowed this time (a loaded machine)"
fi
stop $g_pid

# --- slack format ----------------------------------------------------------
recv s --format slack
"$CERTMON" -w 1 -r "$ALL" -o /dev/null --alert-webhook "http://127.0.0.1:$s_port/" \
    --alert-format slack "$T/every.lua" 2>"$T/s.log"
expect_eq "slack: every alert posted" "$(lines "$T/s/accepted.jsonl")" 11
check "slack: bodies are {\"text\": ...}" no_bad "$T/s"
check "slack: the text names rule, domain, brand, technique and issuer" \
    grep -q '"certmon every: paypal-login.example (brand paypal, technique keyword, issuer Test CA)"' \
    "$T/s/accepted.jsonl"
# a certificate's names are attacker text: no mention, no link in Slack
cat >"$T/evil.lua" <<'LUA'
local certmon = require "certmon"
return { name = "evil", on_message = function(msg)
  certmon.alert{ domain = "<!channel>", issuer = "<https://x.example|Bank> & Co" }
end }
LUA
rm -f "$T/s/accepted.jsonl"
"$CERTMON" -w 1 -r "$ALL" -o /dev/null --alert-webhook "http://127.0.0.1:$s_port/" \
    --alert-format slack "$T/evil.lua" 2>"$T/s2.log"
check "slack: <, > and & are escaped (no @channel, no disguised link)" \
    grep -q '"certmon evil: &lt;!channel&gt; (issuer &lt;https://x.example|Bank&gt; &amp; Co)"' \
    "$T/s/accepted.jsonl"
stop $s_pid

# --- HTTPS: verified with --ca-file; refused without -----------------------
if openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1; then
    recv t --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
    "$CERTMON" -w 1 -r "$ALL" -o "$T/t.out" --ca-file "$T/cert.pem" \
        --alert-webhook "https://127.0.0.1:$t_port/" "$T/every.lua" 2>"$T/t.log"
    expect_eq "https with --ca-file: exit 0" "$?" 0
    check "https with --ca-file: every alert arrived" all_arrived "$T/t.out" "$T/t"
    "$CERTMON" -w 1 -r "$ALL" -o /dev/null --alert-retries 0 \
        --alert-spool "$T/spool_t" \
        --alert-webhook "https://localhost:$t_port/" "$T/every.lua" 2>"$T/t2.log"
    check "https without --ca-file: the certificate is not trusted" \
        grep -q "certificate of localhost not trusted: self-signed certificate" "$T/t2.log"
    expect_eq "https without --ca-file: nothing accepted beyond the first run" \
        "$(lines "$T/t/accepted.jsonl")" 11
    expect_eq "https without --ca-file: spooled" "$(lines "$T/spool_t/webhook-1.jsonl")" 11
    stop $t_pid
    # keep-alive over TLS: one handshake for the burst
    recv tk --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" --keep-alive
    "$CERTMON" -w 1 -r "$ALL" -o "$T/tk.out" --ca-file "$T/cert.pem" \
        --alert-webhook "https://127.0.0.1:$tk_port/" "$T/every.lua" 2>"$T/tk.log"
    expect_eq "https keep-alive: exit 0" "$?" 0
    check "https keep-alive: every alert arrived" all_arrived "$T/tk.out" "$T/tk"
    expect_eq "https keep-alive: one connection" "$(opens "$T/tk")" 1
    stop $tk_pid
else
    ok "https: skipped, openssl cannot make a test certificate"
fi

# --- bad configuration is refused before anything runs ---------------------
"$CERTMON" -r "$ALL" --alert-webhook "ftp://127.0.0.1/" "$T/every.lua" \
    >/dev/null 2>"$T/bad1.log"
check "bad URL: refused" test $? -ne 0
check "bad URL: said why" grep -q "http:// or https://" "$T/bad1.log"
"$CERTMON" -r "$ALL" --alert-webhook "http://127.0.0.1:1/" \
    --alert-header "no colon secret" "$T/every.lua" >/dev/null 2>"$T/bad2.log"
check "bad header: refused" test $? -ne 0
check "bad header: the value is not echoed" sh -c "! grep -q secret '$T/bad2.log'"
"$CERTMON" -r "$ALL" --alert-webhook "http://127.0.0.1:1/" \
    --alert-spool /proc/nope "$T/every.lua" >/dev/null 2>"$T/bad3.log"
check "bad spool: refused" test $? -ne 0
rm -f "$T/feed"; mkfifo "$T/feed"
"$CERTMON" -r "$T/feed" -o /dev/null --alert-webhook "http://127.0.0.1:1/" \
    --alert-spool "$T/spool_lock" "$T/every.lua" 2>"$T/lock1.log" &
cm=$!
exec 3>"$T/feed"
wait_for "grep -q 'alerts also go to' '$T/lock1.log'" 30
"$CERTMON" -r "$ALL" --alert-webhook "http://127.0.0.1:1/" \
    --alert-spool "$T/spool_lock" "$T/every.lua" >/dev/null 2>"$T/lock2.log"
check "spool in use: a second certmon is refused" test $? -ne 0
check "spool in use: says so" grep -q "in use by another certmon" "$T/lock2.log"
exec 3>&-
wait $cm
"$CERTMON" -r "$ALL" --alert-header "X: y" "$T/every.lua" >/dev/null 2>"$T/bad4.log"
expect_eq "--alert-header without a webhook: bad usage" "$?" 2
"$CERTMON" -r "$ALL" --alert-spool "$T/sp" "$T/every.lua" >/dev/null 2>"$T/bad5.log"
expect_eq "--alert-spool without a sink: bad usage" "$?" 2

# ===== exec =================================================================
cat >"$T/hook.sh" <<'EOF'
#!/bin/sh
# checks what certmon promises a hook, records the alert in $1/hook.jsonl
in=$(cat)
[ "$in" = "$CERTMON_ALERT_JSON" ] || { echo "stdin is not CERTMON_ALERT_JSON" >&2; exit 3; }
[ "$CERTMON_RULE" = every ] || { echo "CERTMON_RULE=$CERTMON_RULE" >&2; exit 4; }
[ "$CERTMON_DOMAIN" = paypal-login.example ] || { echo "CERTMON_DOMAIN=$CERTMON_DOMAIN" >&2; exit 5; }
[ "$CERTMON_FINGERPRINT" = AB:CD ] || { echo "CERTMON_FINGERPRINT" >&2; exit 6; }
[ "$CERTMON_BRAND" = paypal ] || { echo "CERTMON_BRAND" >&2; exit 7; }
[ -n "$CERTMON_TIME" ] || { echo "CERTMON_TIME" >&2; exit 8; }
[ "$2" = second-arg ] || { echo "argument 2 is '$2'" >&2; exit 9; }
printf '%s\n' "$in" >>"$1/hook.jsonl"
EOF
cat >"$T/fail.sh" <<'EOF'
#!/bin/sh
cat >/dev/null
echo "boom: hook failed on purpose" >&2
echo "second line, not logged" >&2
exit 3
EOF
cat >"$T/hang.sh" <<'EOF'
#!/bin/sh
echo $$ >>"$1/hang.pids"
sleep 1000
EOF
chmod +x "$T/hook.sh" "$T/fail.sh" "$T/hang.sh"
mkdir -p "$T/x"

"$CERTMON" -w 2 -r "$ALL" -o "$T/x.out" --alert-exec "$T/hook.sh $T/x second-arg" \
    "$T/every.lua" 2>"$T/x.log"
expect_eq "exec: exit 0" "$?" 0
expect_eq "exec: the hook ran once per alert" "$(lines "$T/x/hook.jsonl")" 11
check "exec: environment and stdin as promised (hook checked them)" \
    sh -c "! grep -q 'exited with status' '$T/x.log'"
cp "$T/x/hook.jsonl" "$T/x/accepted.jsonl"
check "exec: the hook saw exactly the alerts of -o" all_arrived "$T/x.out" "$T/x"

"$CERTMON" -w 1 -r "$ALL" -o /dev/null --alert-exec "$T/fail.sh" \
    --alert-spool "$T/spool_x" --alert-retries 0 "$T/every.lua" 2>"$T/xf.log"
expect_eq "exec failing: exit 0 (spooled)" "$?" 0
expect_eq "exec failing: status and first stderr line logged once" \
    "$(grep -c 'exited with status 3: boom: hook failed on purpose' "$T/xf.log")" 1
check "exec failing: only the first stderr line" sh -c "! grep -q 'second line' '$T/xf.log'"
expect_eq "exec failing: alerts_failed=11" "$(summary_field "$T/xf.log" alerts_failed)" 11
expect_eq "exec failing: all spooled" "$(lines "$T/spool_x/exec-1.jsonl")" 11

# an alert too big for an environment variable: on stdin only
cat >"$T/big.lua" <<'LUA'
local certmon = require "certmon"
return { name = "big", on_message = function(msg)
  certmon.alert{ domain = "big.example", pad = ("x"):rep(200000) }
end }
LUA
cat >"$T/bighook.sh" <<'EOF'
#!/bin/sh
n=$(wc -c)
[ -z "${CERTMON_ALERT_JSON+set}" ] || { echo "CERTMON_ALERT_JSON set" >&2; exit 3; }
[ "$CERTMON_DOMAIN" = big.example ] || { echo "CERTMON_DOMAIN" >&2; exit 4; }
echo "$n" >>"$1/big.sizes"
EOF
chmod +x "$T/bighook.sh"
"$CERTMON" -w 1 -r "$ALL" -o /dev/null --alert-exec "$T/bighook.sh $T/x" \
    --alert-retries 0 "$T/big.lua" 2>"$T/big.log"
expect_eq "exec, 200 KB alert: delivered on stdin, not in the environment" \
    "$(lines "$T/x/big.sizes"):$(summary_field "$T/big.log" alerts_failed)" "11:0"
check "exec, 200 KB alert: the whole line on stdin" \
    test "$(head -n 1 "$T/x/big.sizes")" -gt 200000

# the concurrency limit: never more than --alert-exec-jobs hooks at once
cat >"$T/conc.sh" <<'EOF'
#!/bin/sh
cat >/dev/null
mkdir "$1/run.$$"
ls -d "$1"/run.* | wc -l >>"$1/concurrency"
sleep 0.2
rmdir "$1/run.$$"
EOF
chmod +x "$T/conc.sh"
mkdir -p "$T/cc"
"$CERTMON" -w 2 -r "$ALL" -o /dev/null --alert-exec "$T/conc.sh $T/cc" \
    --alert-exec-jobs 2 "$T/every.lua" 2>"$T/cc.log"
expect_eq "exec jobs: every hook ran" "$(lines "$T/cc/concurrency")" 11
expect_eq "exec jobs: at most 2 at once" \
    "$(sort -n "$T/cc/concurrency" | tail -n 1 | awk '{ print ($1 <= 2) }')" 1

"$CERTMON" -w 1 -r "$ALL" -o /dev/null --alert-exec "$T/hang.sh $T/x" \
    --alert-spool "$T/spool_h" --alert-retries 0 --alert-timeout 1 \
    --alert-exec-jobs 2 "$T/every.lua" 2>"$T/xh.log" &
cm=$!
check "exec hanging: certmon still exits" wait_for "! kill -0 $cm 2>/dev/null" 120
wait $cm
expect_eq "exec hanging: exit 0 (spooled)" "$?" 0
check "exec hanging: the timeout is logged" grep -q "timed out after 1000 ms (killed)" "$T/xh.log"
expect_eq "exec hanging: every alert spooled" "$(lines "$T/spool_h/exec-1.jsonl")" 11
alive=0
for p in $(cat "$T/x/hang.pids" 2>/dev/null); do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
expect_eq "exec hanging: no hook left running" "$alive" 0

# --- per-sink figures in /metrics -------------------------------------------
# A replay from a FIFO keeps certmon running while /metrics is read.
recv mt
mkfifo "$T/mt.fifo"
"$CERTMON" -w 1 -r "$T/mt.fifo" -o /dev/null --listen 127.0.0.1:0 \
    --alert-webhook "http://127.0.0.1:$mt_port/" "$T/every.lua" \
    2>"$T/mt.log" &
cm=$!
exec 3>"$T/mt.fifo"
cat "$ALL" >&3
wait_for "[ \$(lines '$T/mt/accepted.jsonl') -ge 11 ]" 60
mport=$(sed -n 's|.*serving /metrics and /healthz on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$T/mt.log" | head -n 1)
/usr/bin/python3 "$TOP/tests/tools/prom_scrape.py" \
    "http://127.0.0.1:$mport/metrics" >"$T/mt.scrape" 2>"$T/mt.scrape.err"
check "/metrics with a sink: the page parses" test -s "$T/mt.scrape"
check "/metrics: the sink's delivered alerts" \
    grep -qx 'certmon_sink_alerts_delivered_total{sink="webhook-1"} 11' "$T/mt.scrape"
check "/metrics: the sink's queue is empty once all arrived" \
    grep -qx 'certmon_sink_queue_alerts{sink="webhook-1"} 0' "$T/mt.scrape"
check "/metrics: nothing failed or lost" \
    sh -c "grep -qx 'certmon_sink_alerts_failed_total{sink=\"webhook-1\"} 0' '$T/mt.scrape' &&
           grep -qx 'certmon_sink_alerts_lost_total{sink=\"webhook-1\"} 0' '$T/mt.scrape'"
exec 3>&-
wait "$cm"
expect_eq "/metrics with a sink: exit 0" "$?" 0
stop $mt_pid
