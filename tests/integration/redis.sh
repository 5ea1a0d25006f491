# redis.sh: certmon --publish against a real redis-server on 127.0.0.1
# (a free port, a temporary folder), end to end: replay and direct CT
# logs (tests/tools/fake_ctlog.c) into a stream, Redis down at start, a
# refused password, and a producer killed with kill -9 that resumes with
# no gap. The stream is read back with redis-cli. Every wait is a poll
# with a generous limit; nothing asserts on speed.

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../redis_lib.sh"
redis_skip_unless_installed
HOME=$T/home; export HOME; unset XDG_STATE_HOME
FIXLINES=$FIX/certstream/all.jsonl
NFIX=$(wc -l <"$FIXLINES" | tr -d ' ')

rcli() { redis-cli -p "$PORT" "$@"; }
# fields STREAM FIELD: the value of FIELD of every entry, in stream order
fields() {
    rcli --raw XRANGE "$1" - + | awk -v f="$2" 'prev == f { print }
                                               { prev = $0 }'
}

PORT=$(free_port)
redis_start r "$PORT"

# ---- replay into a stream ---------------------------------------------
"$CERTMON" --publish "redis://127.0.0.1:$PORT?stream=s1" -r "$FIXLINES" \
    --stats-interval 0 >"$T/p1.out" 2>"$T/p1.err"
expect_eq "publish replay: exit 0" "$?" 0
expect_eq "publish replay: one entry per line" "$(rcli XLEN s1)" "$NFIX"
expect_eq "publish replay: summary counts them" \
    "$(summary_field "$T/p1.err" messages)" "$NFIX"
rcli --raw XRANGE s1 - + | awk 'prev == "msg" { print } { prev = $0 }' \
    >"$T/p1.msgs"
check "publish replay: field msg is each line as it was, in order" \
    cmp -s "$T/p1.msgs" "$FIXLINES"
fields s1 type | sort -u >"$T/p1.types"
check "publish replay: field type is the message_type" \
    grep -qx certificate_update "$T/p1.types"
first_idx=$(sed -n 's/.*"cert_index": *\([0-9]*\).*/\1/p' "$FIXLINES" |
            head -n 1)
check "publish replay: field index is data.cert_index" \
    sh -c "rcli() { redis-cli -p $PORT \"\$@\"; };
           rcli --raw XRANGE s1 - + | grep -qx '$first_idx'"
check "publish replay: no rule ran, nothing written to stdout" \
    test ! -s "$T/p1.out"

# ---- a line that is not a message: counted, not published -------------
{ head -n 2 "$FIXLINES"; echo 'not json'; tail -n 1 "$FIXLINES"; } \
    >"$T/bad.jsonl"
"$CERTMON" --publish "redis://127.0.0.1:$PORT/0?stream=s2" -r "$T/bad.jsonl" \
    --stats-interval 0 2>"$T/p2.err"
expect_eq "invalid line: exit 0" "$?" 0
expect_eq "invalid line: the other three published" "$(rcli XLEN s2)" 3
expect_eq "invalid line: counted as a parse error" \
    "$(summary_field "$T/p2.err" parse_errors)" 1

# ---- MAXLEN ~ N trims the stream --------------------------------------
for _ in $(seq 60); do cat "$FIXLINES"; done >"$T/many.jsonl"
"$CERTMON" --publish "redis://127.0.0.1:$PORT?stream=s3" \
    --publish-maxlen 100 -r "$T/many.jsonl" --stats-interval 0 \
    2>"$T/p3.err"
n3=$(rcli XLEN s3)
check "--publish-maxlen 100: $((NFIX * 60)) published, about 100 kept ($n3)" \
    [ "$n3" -ge 100 ] && [ "$n3" -lt $((NFIX * 60)) ]

# ---- refused password: a clear error, exit 1 --------------------------
PPORT=$(free_port)
redis_start pw "$PPORT" --requirepass right-one
"$CERTMON" --publish "redis://:wrong-one@127.0.0.1:$PPORT?stream=s" \
    -r "$FIXLINES" --stats-interval 0 2>"$T/pw.err"
expect_eq "wrong password: exit 1" "$?" 1
check "wrong password: the error says AUTH was refused" \
    grep -q "AUTH refused" "$T/pw.err"
check "wrong password: the password is not in the error" \
    sh -c "! grep -q wrong-one '$T/pw.err'"
"$CERTMON" --publish "redis://127.0.0.1:$PPORT?stream=s" \
    -r "$FIXLINES" --stats-interval 0 2>"$T/pw2.err"
expect_eq "no password for a server that wants one: exit 1" "$?" 1
"$CERTMON" --publish "redis://default:right-one@127.0.0.1:$PPORT?stream=s" \
    -r "$FIXLINES" --stats-interval 0 2>"$T/pw3.err"
expect_eq "right password (user default): exit 0" "$?" 0
expect_eq "right password: published" \
    "$(redis-cli -p "$PPORT" -a right-one --no-auth-warning XLEN s)" "$NFIX"
kill "$pw_pid"; wait "$pw_pid" 2>/dev/null

# ---- Redis down at start: waits, then publishes everything ------------
DPORT=$(free_port)
"$CERTMON" --publish "redis://127.0.0.1:$DPORT?stream=late" -r "$FIXLINES" \
    --stats-interval 0 2>"$T/down.err" &
cm=$!
wait_for "grep -q 'publishing once it is up' '$T/down.err' 2>/dev/null" 30
check "Redis down at start: says so" grep -q "publishing once it is up" \
    "$T/down.err"
redis_start d "$DPORT"
wait "$cm"
expect_eq "Redis down at start: exit 0 once it came up" "$?" 0
expect_eq "Redis down at start: nothing lost" \
    "$(redis-cli -p "$DPORT" XLEN late)" "$NFIX"
kill "$d_pid"; wait "$d_pid" 2>/dev/null

# ---- direct CT logs; kill -9 of the producer, restart, no gap ----------
CTF=$FIX/ct/rfc6962
ENTRIES="$CTF/ctgo-scanner-FourEntries.get-entries.json
$CTF/ctgo-logclient-TestGetEntries.get-entries.json
$CTF/calidog-certstream-server-standard_entry.get-entries.json"
N=700                                       # 7 entries, repeated 100 times
# shellcheck disable=SC2086
"$TOOLS/fake_ctlog" --port-file "$T/ct.port" --loglist "$T/ct.ll" \
    --batch-cap 8 --repeat 100 $ENTRIES >/dev/null 2>"$T/ct.err" &
echo $! >>"$T/pids"
wait_for "[ -s '$T/ct.port' ]" 30
CTPORT=$(cat "$T/ct.port")
RFCURL="http://127.0.0.1:$CTPORT/rfc/"
producer() {    # producer ERRFILE: certmon --ct --publish in the background
    "$CERTMON" --ct --log-list "$T/ct.ll" --state-dir "$T/st" \
        --ct-start oldest --ct-rate 15 --ct-parallel 1 --ct-poll 1 \
        --ct-partial-tile-age 0 --stats-interval 0 \
        --publish "redis://127.0.0.1:$PORT?stream=ct" 2>"$1" &
    cm=$!
}
# rfc_indexes: the indexes the stream holds for the RFC 6962 log
rfc_indexes() {
    rcli --raw XRANGE ct - + | awk '
        prev == "log" { cur = $0 } prev == "index" && cur ~ /\/rfc\/?$/ {
        print } { prev = $0 }'
}
committed() {   # the RFC log's committed position, 0 if none yet
    for f in "$T"/st/*.json; do
        [ -f "$f" ] && grep -qF "\"url\":\"$RFCURL\"" "$f" &&
            { sed -n 's/.*"next_index":\([0-9]*\).*/\1/p' "$f"; return; }
    done
    echo 0
}
producer "$T/k1.err"
wait_for "[ \$(committed) -ge 100 ]" 120
kill -KILL "$cm"; wait "$cm" 2>/dev/null
pos=$(committed)
rfc_indexes | sort -n >"$T/k1.idx"
check "kill -9: the producer had not read the whole log ($(wc -l <"$T/k1.idx") of $N)" \
    [ "$(sort -nu "$T/k1.idx" | wc -l)" -lt $N ]
awk -v p="$pos" '$1 < p' "$T/k1.idx" | sort -nu >"$T/k1.pre"
check "kill -9: every entry below the committed position ($pos) is in the stream" \
    sh -c "seq 0 $((pos - 1)) | cmp -s - '$T/k1.pre'"
producer "$T/k2.err"
wait_for "[ \$(rfc_indexes | sort -nu | wc -l) -ge $N ]" 240
kill -TERM "$cm"; wait "$cm"
expect_eq "restart: SIGTERM exit 0" "$?" 0
rfc_indexes | sort -n >"$T/k2.idx"
sort -nu "$T/k2.idx" >"$T/k2.u"
check "restart after kill -9: every entry of the log is in the stream" \
    sh -c "seq 0 $((N - 1)) | cmp -s - '$T/k2.u'"
uniq -d "$T/k2.idx" >"$T/k2.dup"
check "restart after kill -9: entries twice only at or past the committed position ($(wc -l <"$T/k2.dup") twice)" \
    sh -c "! awk -v p=$pos '\$1 < p' '$T/k2.dup' | grep -q ."
