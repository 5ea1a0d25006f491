# loglist_fetch.sh: certmon --ct fetching its log list at start, the real
# binary against a local HTTP server (tests/tools/list_server.py) serving
# the fake CT log's list signed with a key made here (--log-list-key):
# a good list is verified and cached; a tampered list, a wrong signature,
# a 404 and a timeout are never used, and certmon falls back to the
# cached copy, then to the shipped snapshot, saying so once.
#
# Each run is a backtest of entries 0..3 of the fake logs (two logs, 8
# certificates): it reads the logs only if the list it chose names them.

. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
HOME=$T/home; export HOME; unset XDG_STATE_HOME
CTF=$FIX/ct/rfc6962

"$TOOLS/fake_ctlog" --port-file "$T/log.port" --loglist "$T/fake.ll" \
    --repeat 2 "$CTF/ctgo-scanner-FourEntries.get-entries.json" \
    "$CTF/ctgo-logclient-TestGetEntries.get-entries.json" \
    "$CTF/calidog-certstream-server-standard_entry.get-entries.json" \
    >/dev/null 2>"$T/log.err" &
echo $! >>"$T/pids"
wait_for "[ -s '$T/log.port' ] && [ -s '$T/fake.ll' ]" 30

# the list server's folder: a good pair, a tampered list, a wrong signature
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/test.key" 2>/dev/null
openssl pkey -in "$T/test.key" -pubout -out "$T/test.pub" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/other.key" 2>/dev/null
W=$T/www; mkdir -p "$W/good" "$W/tampered" "$W/wrongsig" "$W/nosig"
cp "$T/fake.ll" "$W/good/log_list.json"
openssl dgst -sha256 -sign "$T/test.key" -out "$W/good/log_list.sig" \
    "$W/good/log_list.json"
sed 's/fake rfc6962 log/fake rfc6962 lug/' "$T/fake.ll" >"$W/tampered/log_list.json"
cp "$W/good/log_list.sig" "$W/tampered/log_list.sig"
cp "$T/fake.ll" "$W/wrongsig/log_list.json"
openssl dgst -sha256 -sign "$T/other.key" -out "$W/wrongsig/log_list.sig" \
    "$W/wrongsig/log_list.json"
cp "$T/fake.ll" "$W/nosig/log_list.json"
$PY "$TOP/tests/tools/list_server.py" "$W" "$T/www.port" >"$T/www.log" 2>&1 &
echo $! >>"$T/pids"
wait_for "[ -s '$T/www.port' ]" 30
BASE=http://127.0.0.1:$(cat "$T/www.port")

# run NAME URL [ARGS]: a backtest with the list from URL; sets rc
run() {
    name=$1 url=$2; shift 2
    timeout ${LL_TIMEOUT:-120} "$CERTMON" --ct --log-list-url "$url" --log-list-key "$T/test.pub" \
        --state-dir "$T/state" --from 0 --to 3 --ct-rate 200 --stats-interval 0 \
        "$@" "$T/each.lua" -o "$T/$name.out" 2>"$T/$name.err"
    rc=$?
}
printf 'local certmon = require "certmon"\nreturn { on_cert = function(m) certmon.alert{ i = m.data.cert_index } end }\n' >"$T/each.lua"
certs() { summary_field "$T/$1.err" certs; }

run good "$BASE/good/log_list.json"
expect_eq "a signed list: fetched, verified, used (8 certificates)" "$rc $(certs good)" "0 8"
check "... and said so" grep -q "log list: fetched $BASE/good/log_list.json, signature verified" "$T/good.err"
check "... cached in the state folder with its signature" \
    sh -c "cmp -s '$T/state/log_list.json' '$W/good/log_list.json' &&
           cmp -s '$T/state/log_list.sig' '$W/good/log_list.sig'"

run tampered "$BASE/tampered/log_list.json"
expect_eq "a tampered list: not used, the cached copy is (8 certificates)" \
    "$rc $(certs tampered)" "0 8"
check "... saying why once" sh -c "[ \$(grep -c 'the signature does not verify' '$T/tampered.err') -eq 1 ] &&
    grep -q 'using the verified copy of an earlier fetch, $T/state/log_list.json' '$T/tampered.err'"
check "... and the cache is not overwritten" cmp -s "$T/state/log_list.json" "$W/good/log_list.json"
check "the tampered list never named a log" sh -c "! grep -q 'lug' '$T/tampered.err'"

run wrongsig "$BASE/wrongsig/log_list.json"
expect_eq "a signature by another key: the cached copy (8 certificates)" \
    "$rc $(certs wrongsig)" "0 8"
check "... saying why" grep -q "does not verify.*using the verified copy" "$T/wrongsig.err"

run nosig "$BASE/nosig/log_list.json"
expect_eq "no signature (404): the cached copy" "$rc $(certs nosig)" "0 8"
check "... saying why" grep -q "nosig/log_list.sig: HTTP 404" "$T/nosig.err"

run missing "$BASE/missing/log_list.json"
expect_eq "no list (404): the cached copy" "$rc $(certs missing)" "0 8"
check "... saying why" grep -q "missing/log_list.json: HTTP 404); using the verified copy" "$T/missing.err"

run stall "$BASE/stall/log_list.json" --log-list-timeout 2
expect_eq "a server that never answers: the cached copy after the timeout" \
    "$rc $(certs stall)" "0 8"
check "... saying why" grep -q "stall/log_list.json: no answer within 2 s" "$T/stall.err"

# a cached copy that was changed on disk is not used either: the shipped
# snapshot is. A copy of certmon whose shipped snapshot is the fake list
# (so that nothing but 127.0.0.1 is read).
mkdir -p "$T/inst/scripts/ct"
cp "$CERTMON" "$T/inst/certmon"; ln -s "$TOP/lua" "$T/inst/lua"
cp "$T/fake.ll" "$T/inst/scripts/ct/log_list.json"
echo '{}' >>"$T/state/log_list.json"
CERTMON_SAVED=$CERTMON; CERTMON=$T/inst/certmon
run shipped "$BASE/missing/log_list.json"
CERTMON=$CERTMON_SAVED
expect_eq "a changed cache: not used, the shipped snapshot is (8 certificates)" \
    "$rc $(certs shipped)" "0 8"
check "... saying so" sh -c "grep -q 'the cached $T/state/log_list.json is not used: the signature does not verify' '$T/shipped.err' &&
    grep -q 'using the snapshot shipped with certmon, $T/inst/scripts/ct/log_list.json' '$T/shipped.err'"

# --log-list FILE still wins: nothing is fetched
: >"$T/www.log"
timeout 120 "$CERTMON" --ct --log-list "$T/fake.ll" --state-dir "$T/state2" \
    --from 0 --to 3 --ct-rate 200 --stats-interval 0 "$T/each.lua" \
    -o "$T/ll.out" 2>"$T/ll.err"
expect_eq "--log-list FILE: used as given" "$? $(certs ll)" "0 8"
check "... nothing fetched" sh -c "! grep -q 'log list:' '$T/ll.err' && [ ! -e '$T/state2/log_list.json' ]"
"$CERTMON" --log-list-url "$BASE/good/log_list.json" -r /dev/null "$T/each.lua" 2>"$T/u.err"
expect_eq "--log-list-url without --ct: usage error" "$?" 2
