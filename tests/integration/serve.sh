# serve.sh: certmon --serve, the real binary, as a CertStream server, with
# independent clients (tests/tools/serve_client.py on websocket-client)
# and certmon --url as clients, all on 127.0.0.1.
#
# Producers start reading their source only once the clients are
# connected (--serve-wait-clients), so every client must get every
# message; every wait is a poll with a generous limit.

. "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
CLIENT=$TOP/tests/tools/serve_client.py
ALL=$FIX/certstream/all.jsonl
HOME=$T/home; export HOME; unset XDG_STATE_HOME

cat >"$T/each.lua" <<'LUA'
local certmon = require "certmon"
return {
  name = "each",
  on_cert = function(msg)
    local d, leaf = msg.data, msg.data.leaf_cert
    certmon.alert{ index = d.cert_index, url = d.source and d.source.url,
      domains = leaf.all_domains, chain = d.chain ~= nil,
      der = leaf.as_der ~= nil }
  end,
}
LUA
printf 'return { on_cert = function(msg) end }\n' >"$T/none.lua"

# producer NAME ARGS...: certmon --serve on a free port in the background;
# sets NAME_pid and NAME_port (stderr in $T/NAME.err).
producer() {
    name=$1; shift
    rm -f "$T/$name.port"
    "$CERTMON" --serve 127.0.0.1:0 --serve-port-file "$T/$name.port" \
        --stats-interval 0 "$@" 2>"$T/$name.err" 3>&- 4>&- &
    eval "${name}_pid=$!"
    echo $! >>"$T/pids"
    if ! wait_for "[ -s '$T/$name.port' ]" 30; then
        echo "# producer $name did not start:"; sed 's/^/#   /' "$T/$name.err"
    fi
    eval "${name}_port=\$(cat '$T/$name.port' 2>/dev/null)"
}
# client OUT URL [ARGS]: serve_client.py in the background
client() {
    out=$1 url=$2; shift 2
    $PY "$CLIENT" "$url" "$T/$out" "$@" 2>"$T/$out.err" 3>&- 4>&- &
    echo $! >>"$T/pids"
}
# expected lines for the messages of a JSON-lines file, per shape
want() {   # want FILE lite|full|dns
    $PY - "$1" "$2" <<'PYEOF'
import json, sys
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    m = json.loads(line)
    if m.get("message_type") != "certificate_update":
        continue
    d = m["data"]; leaf = d["leaf_cert"]
    doms = ",".join(leaf.get("all_domains") or [])
    if sys.argv[2] == "dns":
        print("dns " + doms)
    else:
        full = sys.argv[2] == "full"
        print("cert %s %s chain=%d der=%d %s" % (d.get("cert_index"),
              d.get("source", {}).get("url"),
              1 if full and "chain" in d else 0,
              1 if full and "as_der" in leaf else 0, doms))
PYEOF
}
# same_lines NAME GOT WANT: the files are equal (shows a diff if not)
same_lines() {
    if cmp -s "$2" "$3"; then ok "$1"; else
        not_ok "$1"; diff "$3" "$2" | head -n 8 | sed 's/^/#   /'; fi
}
msgs() { grep -v '^close \|^eof$\|^error \|^heartbeat$' "$1" 2>/dev/null; }
last() { tail -n 1 "$1" 2>/dev/null; }

# ---- the three shapes, from a replay --------------------------------
producer a --serve-wait-clients 3 -r "$ALL" "$T/none.lua"
client a_lite "ws://127.0.0.1:$a_port/"
client a_full "ws://127.0.0.1:$a_port/full-stream"
client a_dns "ws://127.0.0.1:$a_port/domains-only" --origin https://example.test
wait "$a_pid"; expect_eq "replay producer: exits 0 at the end of the file" "$?" 0
wait_for "[ \"\$(last '$T/a_lite')\" = 'close 1000' ] &&
          [ \"\$(last '$T/a_full')\" = 'close 1000' ] &&
          [ \"\$(last '$T/a_dns')\" = 'close 1000' ]" 30
want "$ALL" lite >"$T/want.lite"; want "$ALL" full >"$T/want.full"
want "$ALL" dns >"$T/want.dns"
msgs "$T/a_lite" >"$T/got.lite"; msgs "$T/a_full" >"$T/got.full"
msgs "$T/a_dns" >"$T/got.dns"
expect_eq "the fixture has 9 certificates" "$(wc -l <"$T/want.lite" | tr -d ' ')" 9
same_lines "/: every certificate in order, lite (no chain, no as_der)" \
    "$T/got.lite" "$T/want.lite"
same_lines "/full-stream: every certificate in order, chain and as_der as sent" \
    "$T/got.full" "$T/want.full"
same_lines "/domains-only: dns_entries with all_domains, in order" \
    "$T/got.dns" "$T/want.dns"
expect_eq "/: closed with 1000 at the end" "$(last "$T/a_lite")" "close 1000"
expect_eq "/full-stream: closed with 1000 at the end" "$(last "$T/a_full")" "close 1000"
expect_eq "/domains-only: closed with 1000 at the end" "$(last "$T/a_dns")" "close 1000"
check "a client's IP and Origin are logged at connect" \
    grep -q "client 127.0.0.1 connected to /domains-only (Origin: https://example.test)" "$T/a.err"

# ---- 50 clients at once -----------------------------------------------
producer b --serve-wait-clients 50 -r "$ALL" "$T/none.lua"
client b "ws://127.0.0.1:$b_port/" --count 50
wait "$b_pid"
wait_for "[ \$(cat '$T'/b.[0-9]* | grep -c '^close 1000') -eq 50 ]" 60
n_ok=0
for i in $(seq 0 49); do
    msgs "$T/b.$i" | cmp -s - "$T/want.lite" &&
        [ "$(last "$T/b.$i")" = "close 1000" ] && n_ok=$((n_ok + 1))
done
expect_eq "50 clients: each gets every certificate in order, then 1000" "$n_ok" 50

# ---- a slow client is closed with 1008, the fast one gets everything ---
# The feed comes in 20 chunks through a FIFO, the next once the fast
# client has the previous one: it is never more than a chunk (0.8 MB)
# behind, the slow one (reads nothing) soon is more than 1 MB.
for i in $(seq 400); do cat "$ALL"; done >"$T/big.jsonl"
want "$T/big.jsonl" full >"$T/want.big"
mkfifo "$T/bigfeed"
exec 4<>"$T/bigfeed"
producer c --serve-wait-clients 2 --serve-client-buffer 1m \
    -r "$T/bigfeed" "$T/none.lua"
client c_fast "ws://127.0.0.1:$c_port/full-stream"
client c_slow "ws://127.0.0.1:$c_port/full-stream" --rcvbuf 4096 \
    --slow-until "$T/c.go"
for k in $(seq 0 19); do
    sed -n "$((k * 220 + 1)),$((k * 220 + 220))p" "$T/big.jsonl" >&4
    wait_for "[ \$(msgs '$T/c_fast' | wc -l) -ge $((k * 180 + 180)) ]" 60 ||
        break
done
wait_for "grep -q 'closed with 1008' '$T/c.err'" 60
touch "$T/c.go"
exec 4>&-
wait "$c_pid"; expect_eq "slow client: the producer still exits 0" "$?" 0
wait_for "[ \"\$(last '$T/c_fast')\" = 'close 1000' ] &&
          grep -q '^close \\|^eof\$\\|^error ' '$T/c_slow'" 60
msgs "$T/c_fast" >"$T/got.big"
expect_eq "the big file has 3600 certificates" "$(wc -l <"$T/want.big" | tr -d ' ')" 3600
same_lines "slow client: the fast one gets every certificate in order" \
    "$T/got.big" "$T/want.big"
expect_eq "... and its close 1000" "$(last "$T/c_fast")" "close 1000"
expect_eq "slow client: closed with 1008 once it reads again" \
    "$(last "$T/c_slow")" "close 1008"
check "slow client: counted in the summary" \
    grep -q "1 closed as too slow (1008)" "$T/c.err"

# ---- pings, heartbeats, max clients: a producer fed through a FIFO -----
mkfifo "$T/feed"
exec 3<>"$T/feed"
producer d --serve-ping 2 --serve-heartbeat 1 --serve-max-clients 2 \
    -r "$T/feed" "$T/none.lua"
client d_live "ws://127.0.0.1:$d_port/"
client d_mute "ws://127.0.0.1:$d_port/domains-only" --slow-until "$T/never"
wait_for "[ -s '$T/d_live.up' ] && [ -s '$T/d_mute.up' ]" 30
client d_third "ws://127.0.0.1:$d_port/"
wait_for "[ -s '$T/d_third' ]" 30
expect_eq "--serve-max-clients 2: a third client is refused" \
    "$(last "$T/d_third")" "error WebSocketBadStatusException"
check "... and that is logged" grep -q "refused: 2 clients already" "$T/d.err"
wait_for "grep -q 'client 127.0.0.1 on /domains-only disconnected' '$T/d.err'" 60
check "a client that answers no ping is hung up" \
    grep -q "client 127.0.0.1 on /domains-only disconnected" "$T/d.err"
check "heartbeat messages every --serve-heartbeat seconds" \
    grep -q '^heartbeat$' "$T/d_live"
head -n 3 "$ALL" >&3
wait_for "[ \$(msgs '$T/d_live' | wc -l) -ge 3 ]" 30
check "a client that answers pings stays and gets what comes later" \
    sh -c "! grep -q 'on / disconnected' '$T/d.err'"
exec 3>&-
wait "$d_pid"
wait_for "[ \"\$(last '$T/d_live')\" = 'close 1000' ]" 30
expect_eq "end of the feed: the live client gets 1000" "$(last "$T/d_live")" "close 1000"

# ---- /alerts -----------------------------------------------------------
producer e --serve-alerts --serve-wait-clients 1 -w 1 -r "$ALL" -o "$T/e.out" \
    "$T/each.lua"
client e_alerts "ws://127.0.0.1:$e_port/alerts"
wait "$e_pid"
wait_for "[ \"\$(last '$T/e_alerts')\" = 'close 1000' ]" 30
sed -n 's/.*"index":\([0-9]*\).*/alert each \1/p' "$T/e.out" >"$T/want.alerts"
msgs "$T/e_alerts" >"$T/got.alerts"
expect_eq "the rule wrote 9 alerts" "$(wc -l <"$T/want.alerts" | tr -d ' ')" 9
same_lines "--serve-alerts: /alerts streams every alert" "$T/got.alerts" \
    "$T/want.alerts"

# ---- TLS ----------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" \
    -out "$T/cert.pem" -subj /CN=127.0.0.1 -days 2 2>/dev/null
producer f --serve-cert "$T/cert.pem" --serve-key "$T/key.pem" \
    --serve-wait-clients 1 -r "$ALL" "$T/none.lua"
client f "wss://127.0.0.1:$f_port/" --insecure
wait "$f_pid"
wait_for "[ \"\$(last '$T/f')\" = 'close 1000' ]" 30
msgs "$T/f" >"$T/got.tls"
same_lines "--serve-cert/--serve-key: wss:// with the same messages" \
    "$T/got.tls" "$T/want.lite"

# ---- refused setups ------------------------------------------------------
"$CERTMON" --serve 0.0.0.0:0 -r "$ALL" "$T/none.lua" 2>"$T/g.err"
expect_eq "--serve on a public address without --listen-public: exit 1" "$?" 1
check "... saying why" grep -q "not a loopback address: add --listen-public" "$T/g.err"
"$CERTMON" --serve-max-clients 3 -r "$ALL" "$T/none.lua" 2>"$T/h.err"
expect_eq "--serve-* without --serve: usage error" "$?" 2

# ---- --ct against the fake log, served to three Python clients and to
# ---- certmon --url -------------------------------------------------------
CTF=$FIX/ct/rfc6962
"$TOOLS/fake_ctlog" --port-file "$T/log.port" --loglist "$T/log.ll" \
    --repeat 5 "$CTF/ctgo-scanner-FourEntries.get-entries.json" \
    "$CTF/ctgo-logclient-TestGetEntries.get-entries.json" \
    "$CTF/calidog-certstream-server-standard_entry.get-entries.json" \
    >/dev/null 2>"$T/log.err" 3>&- 4>&- &
echo $! >>"$T/pids"
wait_for "[ -s '$T/log.port' ]" 30
N_CT=70                 # 7 entries x 5 in each of the two logs
producer p --ct --log-list "$T/log.ll" --ct-start oldest --state-dir "$T/st" \
    --ct-rate 200 --ct-poll 1 --ct-partial-tile-age 0 -w 1 \
    --serve-wait-clients 4 -o "$T/p.alerts" "$T/each.lua"
client p_lite "ws://127.0.0.1:$p_port/"
client p_full "ws://127.0.0.1:$p_port/full-stream"
client p_dns "ws://127.0.0.1:$p_port/domains-only"
"$CERTMON" -u "ws://127.0.0.1:$p_port/full-stream" --stats-interval 0 -w 1 \
    -o "$T/p_cm.alerts" "$T/each.lua" 2>"$T/p_cm.err" 3>&- 4>&- &
cm_client=$!
echo $cm_client >>"$T/pids"
wait_for "[ \$(wc -l <'$T/p.alerts' 2>/dev/null || echo 0) -ge $N_CT ] &&
          [ \$(msgs '$T/p_lite' | wc -l) -ge $N_CT ] &&
          [ \$(msgs '$T/p_full' | wc -l) -ge $N_CT ] &&
          [ \$(msgs '$T/p_dns' | wc -l) -ge $N_CT ] &&
          [ \$(wc -l <'$T/p_cm.alerts' 2>/dev/null || echo 0) -ge $N_CT ]" 120
# what the producer's own rule saw, in the order it saw it (-w 1), in the
# client's line format
$PY - "$T/p.alerts" >"$T/want.ct.full" <<'PYEOF'
import json, sys
for line in open(sys.argv[1]):
    a = json.loads(line)
    print("cert %s %s chain=%d der=%d %s" % (a["index"], a["url"],
          a["chain"], a["der"], ",".join(a["domains"])))
PYEOF
sed 's/ chain=[01] der=[01] / chain=0 der=0 /' "$T/want.ct.full" >"$T/want.ct.lite"
sed 's/^cert [^ ]* [^ ]* chain=[01] der=[01] /dns /' "$T/want.ct.full" >"$T/want.ct.dns"
msgs "$T/p_lite" >"$T/got.ct.lite"; msgs "$T/p_full" >"$T/got.ct.full"
msgs "$T/p_dns" >"$T/got.ct.dns"
expect_eq "--ct producer: every entry of both fake logs" \
    "$(wc -l <"$T/want.ct.full" | tr -d ' ')" $N_CT
check "--ct producer: --serve gives the rules full messages (chain, as_der)" \
    grep -q "chain=1 der=1" "$T/want.ct.full"
same_lines "--ct producer, /: every entry in order, lite" "$T/got.ct.lite" "$T/want.ct.lite"
same_lines "--ct producer, /full-stream: every entry in order, full" \
    "$T/got.ct.full" "$T/want.ct.full"
same_lines "--ct producer, /domains-only: every entry in order" \
    "$T/got.ct.dns" "$T/want.ct.dns"
strip_time <"$T/p.alerts" >"$T/p.alerts.nt"
strip_time <"$T/p_cm.alerts" >"$T/p_cm.alerts.nt"
same_lines "certmon --url on /full-stream: the same alerts as the producer" \
    "$T/p_cm.alerts.nt" "$T/p.alerts.nt"
$PY - "http://127.0.0.1:$p_port" >"$T/examples" <<'PYEOF'
import json, sys, urllib.request
for path in ("/example.json", "/full-stream/example.json",
             "/domains-only/example.json"):
    m = json.loads(urllib.request.urlopen(sys.argv[1] + path, timeout=30).read())
    d = m.get("data")
    if m["message_type"] == "dns_entries":
        print(path, "dns", len(d) > 0)
    else:
        print(path, m["message_type"], "chain" in d, "as_der" in d["leaf_cert"])
PYEOF
expect_eq "GET */example.json: the latest message in each shape" \
    "$(tr '\n' ';' <"$T/examples")" \
    "/example.json certificate_update False False;/full-stream/example.json certificate_update True True;/domains-only/example.json dns True;"
kill "$cm_client"; wait "$cm_client" 2>/dev/null
kill -TERM "$p_pid"; wait "$p_pid"
expect_eq "--ct producer: SIGTERM, exit 0" "$?" 0
wait_for "[ \"\$(last '$T/p_lite')\" = 'close 1000' ] &&
          [ \"\$(last '$T/p_full')\" = 'close 1000' ] &&
          [ \"\$(last '$T/p_dns')\" = 'close 1000' ]" 30
expect_eq "--ct producer stopped: close 1000 to every client" \
    "$(last "$T/p_lite") $(last "$T/p_full") $(last "$T/p_dns")" \
    "close 1000 close 1000 close 1000"
