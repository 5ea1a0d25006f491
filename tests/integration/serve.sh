# serve.sh: certmon --serve, the real binary, as a CertStream server, with
# independent clients (tests/tools/serve_client.py on websocket-client)
# and certmon --url as clients, all on 127.0.0.1.
#
# Producers start reading their source only once the clients are
# connected (--serve-wait-clients), so every client must get every
# message; every wait is a poll with a generous limit.

. "$(dirname "$0")/../lib.sh"
cleanup() {
    kill $(cat "$T/pids" 2>/dev/null) $(jobs -p) 2>/dev/null
    if [ -n "${SERVE_KEEP:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

PY=/usr/bin/python3
CLIENT="$TOOLS/../../../tests/tools/serve_client.py"
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
        --stats-interval 0 "$@" 2>"$T/$name.err" &
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
    $PY "$CLIENT" "$url" "$T/$out" "$@" 2>"$T/$out.err" &
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
