# loglist_refresh.sh: certmon --ct refreshing its log list while it runs
# (--log-list-refresh), the real binary against two fake CT logs and a
# local HTTP server (tests/tools/list_server.py) serving lists signed with
# a key made here (--log-list-key).
#
# certmon starts with a list naming log A only and refreshes every second.
# The served list then adds log B: B is added while running, from its
# current tree size, and its entries reach the rules. A tampered list is
# refused, said once, and both logs go on. A list without A retires A:
# what was read from it (entries still queued for slow rules included) is
# committed and nothing more is read from it. Then a run whose list gives
# A a temporal_interval ending a few seconds later: A is retired when it
# ends. Last, the same refresh over HTTPS. Both fake logs grow at each of
# their tree heads, so followed logs keep getting new entries.

. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
HOME=$T/home; export HOME; unset XDG_STATE_HOME
CTF=$FIX/ct/rfc6962

# fake NAME: a fake log growing from 20 entries by 5 at each tree head;
# its list (both its APIs) in $T/NAME.ll
fake() {
    "$TOOLS/fake_ctlog" --port-file "$T/$1.port" --loglist "$T/$1.ll" \
        --repeat 100 --initial 20 --grow 5 \
        "$CTF/ctgo-scanner-FourEntries.get-entries.json" \
        "$CTF/ctgo-logclient-TestGetEntries.get-entries.json" \
        "$CTF/calidog-certstream-server-standard_entry.get-entries.json" \
        >/dev/null 2>"$T/$1.err" &
    echo $! >>"$T/pids"
    wait_for "[ -s '$T/$1.port' ] && [ -s '$T/$1.ll' ]" 30
}
fake a
fake b

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/test.key" 2>/dev/null
openssl pkey -in "$T/test.key" -pubout -out "$T/test.pub" 2>/dev/null

# the lists: v1 = A's RFC 6962 log; v2 = A and B (B renamed); v3 = B only;
# tampered = v3's content with v2's signature
$PY - "$T" <<'EOF'
import json, sys
t = sys.argv[1]
a = json.load(open(t + "/a.ll"))
b = json.load(open(t + "/b.ll"))
log_a = a["operators"][0]["logs"][0]
log_b = b["operators"][0]["logs"][0]
log_b["description"] = "second fake log"
def write(name, logs):
    doc = dict(a)
    op = dict(a["operators"][0])
    op["logs"] = logs
    op["tiled_logs"] = []
    doc["operators"] = [op]
    with open("%s/%s.json" % (t, name), "w") as f:
        json.dump(doc, f, indent=1)
write("v1", [log_a])
write("v2", [log_a, log_b])
write("v3", [log_b])
EOF
W=$T/www
for v in v1 v2 v3; do
    mkdir -p "$W/$v"
    cp "$T/$v.json" "$W/$v/log_list.json"
    openssl dgst -sha256 -sign "$T/test.key" -out "$W/$v/log_list.sig" \
        "$W/$v/log_list.json"
done
mkdir -p "$W/tampered"
cp "$T/v3.json" "$W/tampered/log_list.json"
cp "$W/v2/log_list.sig" "$W/tampered/log_list.sig"
# serve VERSION: what /cur/ serves from now on (a symlink, swapped at once)
serve() { ln -sfn "$1" "$W/cur.new" && mv -T "$W/cur.new" "$W/cur"; }
serve v1
$PY "$TOP/tests/tools/list_server.py" "$W" "$T/www.port" >"$T/www.log" 2>&1 &
echo $! >>"$T/pids"
wait_for "[ -s '$T/www.port' ]" 30
URL=http://127.0.0.1:$(cat "$T/www.port")/cur/log_list.json

# entries of log A take half a second each: with 5 new ones a second and
# two workers they queue up, so A is retired with entries still in flight
cat >"$T/each.lua" <<'EOF'
local certmon = require "certmon"
return {
  on_cert = function(msg)
    if msg.data.source.name == "fake rfc6962 log" then
      local t0 = os.clock(); while os.clock() - t0 < 0.5 do end
    end
    certmon.alert{ index = msg.data.cert_index, log = msg.data.source.name }
  end,
}
EOF
# idx LOG: the entry indexes of LOG's alerts, sorted, unique
idx() {
    grep -F "\"log\":\"$1\"" "$T/out" 2>/dev/null |
        sed -n 's/.*"index":\([0-9]*\).*/\1/p' | sort -nu
}
count() { idx "$1" | wc -l | tr -d ' '; }
# list_gets: how many times the list was asked for
list_gets() { grep -c "GET /cur/log_list.json" "$T/www.log"; }
A="fake rfc6962 log"
B="second fake log"

"$CERTMON" --ct --log-list-url "$URL" --log-list-key "$T/test.pub" \
    --state-dir "$T/state" --log-list-refresh 1 --ct-poll 1 --ct-rate 200 \
    --stats-interval 0 -w 2 --rule-budget 100000000000 "$T/each.lua" \
    --listen 127.0.0.1:0 -o "$T/out" 2>"$T/err" &
cm=$!
echo $cm >>"$T/pids"
wait_for "[ \$(count '$A') -ge 5 ]" 60
expect_eq "list v1: log A is read, log B is not" "$(count "$B")" 0
check "... from the list fetched at start" \
    grep -q "reading 1 log from $T/state/log_list.json" "$T/err"

serve v2
wait_for "[ \$(count '$B') -ge 10 ]" 60
check "list v2 while running: log B added" \
    grep -q "$B: new in the log list: reading it from its current tree size" \
    "$T/err"
check "... its entries reach the rules" test "$(count "$B")" -ge 10
check "... from its tree size at that time, not from entry 0" \
    test "$(idx "$B" | head -n 1)" -ge 20
check "... and the verified list is cached" \
    cmp -s "$T/state/log_list.json" "$W/v2/log_list.json"
check "... log A goes on" sh -c "! grep -q '$A: .*retir' '$T/err'"

# a tampered list (it would retire A): refused at each refresh, said once
mark=$(wc -l <"$T/err")
serve tampered
g0=$(list_gets)
wait_for "[ \$(list_gets) -ge $((g0 + 4)) ]" 60
a0=$(count "$A") b0=$(count "$B")
wait_for "[ \$(count '$A') -gt $a0 ] && [ \$(count '$B') -gt $b0 ]" 60
tail -n +"$((mark + 1))" "$T/err" >"$T/err.tampered"
expect_eq "a tampered list on refresh: refused, said once over $(($(list_gets) - g0)) refreshes" \
    "$(grep -c 'log list refresh: cannot use .* (the signature does not verify' "$T/err.tampered")" 1
check "... the logs being read are kept" \
    grep -q "the 2 logs being read are kept" "$T/err.tampered"
check "... and go on: new entries of both after it" \
    sh -c "[ $(count "$A") -gt $a0 ] && [ $(count "$B") -gt $b0 ] &&
           ! grep -q 'retir' '$T/err.tampered'"
check "... the cache keeps the last verified list" \
    cmp -s "$T/state/log_list.json" "$W/v2/log_list.json"

# a signed list without A: A is retired once what was read is committed
serve v3
wait_for "grep -q '$A: no longer in the log list; retiring it' '$T/err'" 60
at_retire=$(count "$A")
wait_for "grep -q '$A: retired' '$T/err'" 60
check "list v3: log A retired, saying why" \
    grep -q "$A: no longer in the log list; retiring it" "$T/err"
check "... the refresh that works again is said" \
    grep -q "log list refresh: $URL fetched and verified again" "$T/err"
pos=$(sed -n "s/.*$A: retired (no longer in the log list) at position \([0-9]*\).*/\1/p" "$T/err")
first=$(idx "$A" | head -n 1)
expect_eq "... every entry of A up to its last position went through the rules" \
    "$(idx "$A" | tr '\n' ' ')" "$(seq "$first" $((pos - 1)) | tr '\n' ' ')"
check "... and that position is saved" \
    grep -rqs "\"next_index\": *$pos\b" "$T/state"
check "... including the entries still queued when it was retired" \
    test "$(count "$A")" -gt "$at_retire"
a1=$(count "$A") b1=$(count "$B")
wait_for "[ \$(count '$B') -ge $((b1 + 10)) ]" 60
expect_eq "... nothing more is read from A while B goes on" "$(count "$A")" "$a1"
# /metrics says so (regression: a retired log was shown as "done")
MURL=http://127.0.0.1:$(sed -n 's|.*metrics: serving /metrics and /healthz on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$T/err" | head -n 1)
$PY "$TOP/tests/tools/prom_scrape.py" "$MURL/metrics" >"$T/m1" 2>"$T/m1.err"
state() {
    awk -v s="certmon_ct_log_state{log=\"$1\",state=\"$2\"}" \
        '{ v = $NF; sub(/ [^ ]*$/, ""); if ($0 == s) print v }' "$T/m1"
}
expect_eq "... /metrics: A's state is retired" "$(state "$A" retired)" 1
expect_eq "... not done" "$(state "$A" done)" 0
expect_eq "... B is reading" "$(state "$B" reading)" 1
kill -TERM $cm; wait $cm
expect_eq "stops cleanly" "$?" 0

# a shard whose temporal_interval ends while it is read is retired at the
# next refresh: the list is the same, the clock moved (10 s: long enough
# for A to start first, even under a sanitizer)
end=$(date -u -d '+10 seconds' +%Y-%m-%dT%H:%M:%SZ)
$PY - "$T" "$end" <<'EOF'
import json, sys
t, end = sys.argv[1], sys.argv[2]
doc = json.load(open(t + "/v2.json"))
doc["operators"][0]["logs"][0]["temporal_interval"] = {
    "start_inclusive": "2020-01-01T00:00:00Z", "end_exclusive": end}
with open(t + "/v4.json", "w") as f:
    json.dump(doc, f, indent=1)
EOF
mkdir -p "$W/v4"
cp "$T/v4.json" "$W/v4/log_list.json"
openssl dgst -sha256 -sign "$T/test.key" -out "$W/v4/log_list.sig" \
    "$W/v4/log_list.json"
serve v4
: >"$T/out"
"$CERTMON" --ct --log-list-url "$URL" --log-list-key "$T/test.pub" \
    --state-dir "$T/state4" --log-list-refresh 1 --ct-poll 1 --ct-rate 200 \
    --stats-interval 0 -w 2 "$T/each.lua" -o "$T/out" 2>"$T/err4" &
cm=$!
echo $cm >>"$T/pids"
wait_for "grep -q '$A: retired' '$T/err4'" 60
check "a shard whose temporal_interval ended while running: retired" \
    grep -q "$A: its temporal_interval ended; retiring it" "$T/err4"
check "... after it was read" grep -q "$A: reading from entry" "$T/err4"
b1=$(count "$B")
wait_for "[ \$(count '$B') -gt $b1 ]" 60
check "... the other log goes on" test "$(count "$B")" -gt "$b1"
kill -TERM $cm; wait $cm

# over HTTPS: the refresh has an HTTP client of its own, trusting
# --ca-file like the rest
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tls.key" \
    -out "$T/tls.crt" -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 2>/dev/null
serve v1
$PY "$TOP/tests/tools/list_server.py" "$W" "$T/tls.port" "$T/tls.crt" \
    "$T/tls.key" >"$T/tls.log" 2>&1 &
echo $! >>"$T/pids"
wait_for "[ -s '$T/tls.port' ]" 30
TLS_URL=https://127.0.0.1:$(cat "$T/tls.port")/cur/log_list.json
: >"$T/out"
"$CERTMON" --ct --log-list-url "$TLS_URL" --log-list-key "$T/test.pub" \
    --ca-file "$T/tls.crt" --state-dir "$T/state5" --log-list-refresh 1 \
    --ct-poll 1 --ct-rate 200 --stats-interval 0 -w 2 "$T/each.lua" \
    -o "$T/out" 2>"$T/err5" &
cm=$!
echo $cm >>"$T/pids"
wait_for "grep -q '$A: reading from entry' '$T/err5'" 60
serve v2
wait_for "grep -q '$B: new in the log list' '$T/err5'" 60
check "over HTTPS: the refreshed list adds log B" \
    grep -q "$B: new in the log list" "$T/err5"
check "... and no refresh failed" \
    sh -c "! grep -q 'log list refresh: cannot use' '$T/err5'"
kill -TERM $cm; wait $cm

# options: the refresh is for the fetched list only
"$CERTMON" --ct --log-list "$T/v1.json" --log-list-refresh 5 \
    "$T/each.lua" 2>"$T/o1.err"
expect_eq "--log-list-refresh with --log-list: usage error" "$?" 2
"$CERTMON" --ct --ct-log http://127.0.0.1:1/ --log-list-refresh 5 \
    "$T/each.lua" 2>"$T/o2.err"
expect_eq "--log-list-refresh with --ct-log: usage error" "$?" 2
"$CERTMON" --ct --from 0 --to 3 --log-list-refresh 5 "$T/each.lua" \
    2>"$T/o3.err"
expect_eq "--log-list-refresh with a backtest: usage error" "$?" 2
