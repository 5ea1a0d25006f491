# ct_certmon.sh: certmon --ct, the real binary, against the fake CT log
# (tests/tools/fake_ctlog.c) on 127.0.0.1, end to end through the queue,
# the Lua workers, the alert writer and the state directory.
#
# The fake log serves the same entries (the rfc6962 fixtures, repeated)
# as an RFC 6962 log under /rfc/ and as a static-ct-api log under
# /tiled/; --loglist writes a log list naming both with the key that signs
# their tree heads. The rule writes one alert per certificate (index, log
# name and URL, names, entry type, fingerprint, whether chain and as_der
# came), so the alerts show exactly which entries were processed. Every
# wait is a poll with a generous limit; nothing asserts on speed.

. "$(dirname "$0")/../lib.sh"
# CT_KEEP=1 keeps the temporary folder (alerts, stderr, request logs)
[ -n "${CT_KEEP:-}" ] && trap 'kill $(jobs -p) 2>/dev/null; echo "# kept $T"' EXIT

FAKE=$TOOLS/fake_ctlog
CTF=$FIX/ct/rfc6962
ENTRIES="$CTF/ctgo-scanner-FourEntries.get-entries.json
$CTF/ctgo-logclient-TestGetEntries.get-entries.json
$CTF/calidog-certstream-server-standard_entry.get-entries.json"
PER_REPEAT=7                    # entries in those three files
# never the user's state folder
HOME=$T/home; export HOME; unset XDG_STATE_HOME
# issuers and tiles come quickly from 127.0.0.1: no need to be polite
FAST="--ct-rate 200 --stats-interval 0"

cat >"$T/each.lua" <<'EOF'
local certmon = require "certmon"
return {
  name = "each",
  on_cert = function(msg)
    local d, leaf = msg.data, msg.data.leaf_cert
    certmon.alert{ index = d.cert_index, log = d.source.name,
      url = d.source.url, domains = leaf.all_domains, type = d.update_type,
      fp = leaf.fingerprint, chain = d.chain and #d.chain or -1,
      der = leaf.as_der ~= nil }
  end,
}
EOF
# the same, slow enough that a run can be stopped in the middle
sed 's/on_cert = function(msg)/&\n    local t0 = os.clock(); while os.clock() - t0 < 0.002 do end/' \
    "$T/each.lua" >"$T/slow.lua"

# fake NAME ARGS...: starts a fake log; sets NAME_pid, NAME_port; its log
# list is $T/NAME.ll, its request log $T/NAME.req.
fake() {
    name=$1; shift
    rm -f "$T/$name.port"
    # shellcheck disable=SC2086
    "$FAKE" --port-file "$T/$name.port" --loglist "$T/$name.ll" \
        --log "$T/$name.req" "$@" $ENTRIES >/dev/null 2>"$T/$name.err" &
    eval "${name}_pid=$!"
    if ! wait_for "[ -s '$T/$name.port' ]" 30; then
        echo "# fake $name did not start:"; sed 's/^/#   /' "$T/$name.err"
    fi
    eval "${name}_port=\$(cat '$T/$name.port' 2>/dev/null)"
}
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
show() { echo "# --- $1"; tail -n 15 "$1" | sed 's/^/#   /'; }

# idx FILE LOG: the entry indexes of LOG's alerts in FILE, as they came.
idx() {
    [ -f "$1" ] || return 0
    grep -F "\"log\":\"$2\"" "$1" | sed -n 's/.*"index":\([0-9]*\).*/\1/p'
}
# count_unique LOG FILE...: distinct entries of LOG over the files.
count_unique() {
    log=$1; shift
    for f in "$@"; do idx "$f" "$log"; done | sort -nu | wc -l | tr -d ' '
}
# exactly FROM TO LOG FILE...: every entry FROM..TO of LOG exactly once
# over the files, nothing else.
exactly() {
    from=$1 to=$2 log=$3; shift 3
    for f in "$@"; do idx "$f" "$log"; done | sort -n >"$T/got.idx"
    seq "$from" "$to" >"$T/want.idx"
    if cmp -s "$T/got.idx" "$T/want.idx"; then return 0; fi
    echo "#   $log: $(wc -l <"$T/got.idx") alerts for $((to - from + 1))" \
         "entries; first differences:"
    diff "$T/want.idx" "$T/got.idx" | head -n 6 | sed 's/^/#     /'
    return 1
}
# next_index DIR URL: the committed position of the log at URL.
next_index() {
    for f in "$1"/*.json; do
        if grep -qF "\"url\":\"$2\"" "$f"; then
            sed -n 's/.*"next_index":\([0-9]*\).*/\1/p' "$f"; return; fi
    done
    echo 0
}
RFC="fake rfc6962 log"
TILED="fake tiled log"

# ---- backtesting ------------------------------------------------------
# 700 entries: tiles 000 and 001 are full, 002 is partial (188 entries)
fake a --repeat 100
RFCURL="http://127.0.0.1:$a_port/rfc/"
TILEDURL="http://127.0.0.1:$a_port/tiled/"

bt() {  # bt OUT URL FROM TO [ARGS]: a backtest; sets rc
    out=$1 url=$2 from=$3 to=$4; shift 4
    timeout 120 "$CERTMON" --ct --log-list "$T/a.ll" --ct-log "$url" \
        --from "$from" --to "$to" $FAST -w 2 -o "$T/$out" "$@" \
        "$T/each.lua" 2>"$T/$out.err"
    rc=$?
}
bt bt1 "$RFCURL" 5 400
expect_eq "backtest RFC 6962: exits 0 by itself" "$rc" 0
check "backtest RFC 6962: entries 5..400, each once" exactly 5 400 "$RFC" "$T/bt1"
check "backtest RFC 6962 lite: no chain, no as_der" \
    sh -c "! grep -v '\"chain\":-1,\"der\":false' '$T/bt1' | grep -q ."
expect_eq "backtest: the summary counts them" \
    "$(summary_field "$T/bt1.err" certs)" 396

bt bt2 "$RFCURL" 0 699 --full
expect_eq "backtest RFC 6962 --full: exits 0" "$rc" 0
check "backtest RFC 6962 --full: the whole log, each once" \
    exactly 0 699 "$RFC" "$T/bt2"
check "backtest RFC 6962 --full: as_der in every message" \
    sh -c "! grep -v '\"der\":true' '$T/bt2' | grep -q ."
check "backtest RFC 6962 --full: chains where the log has them" \
    grep -q '"chain":[1-9]' "$T/bt2"

bt bt3 "$TILEDURL" 250 690
expect_eq "backtest tiled: exits 0" "$rc" 0
check "backtest tiled: entries 250..690 across three tiles, the last partial" \
    exactly 250 690 "$TILED" "$T/bt3"
check "backtest tiled lite: no chain, no as_der" \
    sh -c "! grep -v '\"chain\":-1,\"der\":false' '$T/bt3' | grep -q ."
check "backtest tiled: the partial tile was read as one" \
    grep -q '^GET /tiled/tile/data/002.p/188 200' "$T/a.req"

bt bt4 "$TILEDURL" 0 255 --full
expect_eq "backtest tiled --full: exits 0" "$rc" 0
check "backtest tiled --full: one whole tile, each entry once" \
    exactly 0 255 "$TILED" "$T/bt4"
check "backtest tiled --full: every chain resolved through issuer/" \
    sh -c "! grep -v '\"chain\":[1-9][0-9]*,\"der\":true' '$T/bt4' | grep -q ."

# both APIs carry the same entries: the same names, types, fingerprints
same() {
    idx_fields() { grep -F "\"log\":\"$2\"" "$1" |
        sed 's/.*"domains":\(.*\),"fp":\("[^"]*"\),"index":\([0-9]*\),.*"type":\("[^"]*"\).*/\3 \1 \2 \4/' |
        sort -n | awk -v a="$3" -v b="$4" '$1 >= a && $1 <= b'; }
    idx_fields "$T/bt1" "$RFC" 250 400 >"$T/same.rfc"
    idx_fields "$T/bt3" "$TILED" 250 400 >"$T/same.tiled"
    [ "$(wc -l <"$T/same.rfc")" -eq 151 ] && cmp -s "$T/same.rfc" "$T/same.tiled"
}
check "RFC 6962 and tiled messages agree on names, type and fingerprint" same

# a --ct-log URL that no list names: the API is found by probing
timeout 120 "$CERTMON" --ct --ct-log "$TILEDURL" --from 3 --to 9 $FAST \
    -o "$T/bt5" "$T/each.lua" 2>"$T/bt5.err"
expect_eq "backtest of a log outside the list: exits 0" "$?" 0
check "... probed as static-ct-api and read" \
    exactly 3 9 "$TILEDURL" "$T/bt5"

# ---- live: stop, restart, nothing lost ----------------------------------
# 2100 entries in each log; the slow rule makes a run stoppable midway.
N=2100
fake b --repeat 300
live() {  # live OUT STATE [ARGS]: certmon in the background, pid in cm
    out=$1 st=$2; shift 2
    "$CERTMON" --ct --log-list "$T/b.ll" --state-dir "$T/$st" $FAST -w 2 \
        -o "$T/$out" "$@" "$T/slow.lua" 2>"$T/$out.err" &
    cm=$!
}
both_complete() {   # both logs fully read over the files
    [ "$(count_unique "$RFC" "$@")" -ge $N ] &&
    [ "$(count_unique "$TILED" "$@")" -ge $N ]
}
# committed_first OUT STATE: every entry below each log's committed
# position has its alert in OUT (the commit came after the alerts).
committed_first() {
    for pair in "$RFC|http://127.0.0.1:$b_port/rfc/" \
                "$TILED|http://127.0.0.1:$b_port/tiled/"; do
        log=${pair%%|*} url=${pair#*|}
        pos=$(next_index "$T/$2" "$url")
        idx "$T/$1" "$log" | sort -nu |
            awk -v p="$pos" '$1 < p { n++ } END { exit n != p }' || {
            echo "#   $log: position $pos but fewer alerts below it"; return 1; }
    done
}
# repeats_after OUT1 OUT2 STATE: entries in both runs are all at or after
# the position committed by the first (in flight when it stopped).
repeats_after() {
    for pair in "$RFC|http://127.0.0.1:$b_port/rfc/" \
                "$TILED|http://127.0.0.1:$b_port/tiled/"; do
        log=${pair%%|*} url=${pair#*|}
        pos=$(cat "$T/$3.$log.pos")
        idx "$T/$1" "$log" | sort -u >"$T/r1"
        idx "$T/$2" "$log" | sort -u >"$T/r2"
        rep=$(comm -12 "$T/r1" "$T/r2" | awk -v p="$pos" '$1 < p' | wc -l)
        echo "#   $log: position $pos, $(comm -12 "$T/r1" "$T/r2" |
              wc -l | tr -d ' ') entries repeated"
        [ "$rep" -eq 0 ] || return 1
    done
}
save_pos() {    # save_pos STATE: remember the positions committed now
    for pair in "$RFC|http://127.0.0.1:$b_port/rfc/" \
                "$TILED|http://127.0.0.1:$b_port/tiled/"; do
        next_index "$T/$1" "${pair#*|}" >"$T/$1.${pair%%|*}.pos"
    done
}
mid_run() { [ "$(count_unique "$RFC" "$T/$1")" -ge 300 ] &&
            [ "$(count_unique "$TILED" "$T/$1")" -ge 300 ]; }

live l1 stl --ct-start oldest
wait_for "mid_run l1" 120
kill -TERM "$cm"; wait "$cm"; rc=$?
expect_eq "SIGTERM mid-run: exit 0" "$rc" 0
save_pos stl
check "SIGTERM: the stopped run had not read everything yet" \
    sh -c "[ $(count_unique "$RFC" "$T/l1") -lt $N ] ||
           [ $(count_unique "$TILED" "$T/l1") -lt $N ]"
check "SIGTERM: positions committed, every entry below them alerted" \
    committed_first l1 stl
live l2 stl --ct-start oldest
wait_for "both_complete '$T/l1' '$T/l2'" 240
kill -TERM "$cm"; wait "$cm"
for log in "$RFC" "$TILED"; do
    for f in l1 l2; do idx "$T/$f" "$log"; done | sort -nu >"$T/u"
    check "restart after SIGTERM: $log has every entry" \
        sh -c "seq 0 $((N - 1)) | cmp -s - '$T/u'"
done
check "restart after SIGTERM: repeats only after the committed position" \
    repeats_after l1 l2 stl
for log in "$RFC" "$TILED"; do
    for f in l1 l2; do
        idx "$T/$f" "$log" | sort -n | uniq -d | grep -q . &&
            echo "#   $log: an entry twice within run $f"
    done
done >"$T/dup1"
check "no entry twice within one run" sh -c "! grep -q . '$T/dup1'"

# ---- kill -9 ------------------------------------------------------------
live k1 stk --ct-start oldest
wait_for "mid_run k1" 120
kill -KILL "$cm"; wait "$cm" 2>/dev/null
save_pos stk
check "kill -9: every entry below the committed positions was alerted" \
    committed_first k1 stk
check "kill -9: something was committed before the kill" \
    sh -c "[ \$(cat '$T/stk.$RFC.pos') -gt 0 ] &&
           [ \$(cat '$T/stk.$TILED.pos') -gt 0 ]"
live k2 stk --ct-start oldest
wait_for "both_complete '$T/k1' '$T/k2'" 240
kill -TERM "$cm"; wait "$cm"
for log in "$RFC" "$TILED"; do
    for f in k1 k2; do idx "$T/$f" "$log"; done | sort -nu >"$T/u"
    check "restart after kill -9: $log has every entry" \
        sh -c "seq 0 $((N - 1)) | cmp -s - '$T/u'"
done
check "restart after kill -9: repeats only after the committed position" \
    repeats_after k1 k2 stk
first=$(idx "$T/k2" "$RFC" | sort -n | head -n 1)
check "restart after kill -9: it continued, did not start over" \
    [ "${first:-0}" -ge "$(cat "$T/stk.$RFC.pos")" ]
stop "$b_pid"

# ---- faults of the log: every entry still arrives, once -----------------
# 280 entries: one full tile and a partial one. Each run reads both logs
# from the start and stops once both are complete.
M=280
fault_run() {   # fault_run NAME EVIDENCE FAKE-ARGS...: one fault
    fname=$1 evidence=$2; shift 2
    fake f --repeat 40 "$@"
    "$CERTMON" --ct --log-list "$T/f.ll" --state-dir "$T/st-$fname" \
        --ct-start oldest $FAST -w 2 -o "$T/f-$fname" "$T/each.lua" \
        2>"$T/f-$fname.err" &
    cm=$!
    wait_for "[ \$(count_unique '$RFC' '$T/f-$fname') -ge $M ] &&
              [ \$(count_unique '$TILED' '$T/f-$fname') -ge $M ]" 240
    kill -TERM "$cm"; wait "$cm"
    stop "$f_pid"
    if exactly 0 $((M - 1)) "$RFC" "$T/f-$fname" &&
       exactly 0 $((M - 1)) "$TILED" "$T/f-$fname"; then
        ok "fault $fname: both logs read completely, each entry once"
    else
        not_ok "fault $fname: both logs read completely, each entry once"
        show "$T/f-$fname.err"
    fi
    check "fault $fname: the fault happened" grep -q -- "$evidence" "$T/f.req"
    mv "$T/f.req" "$T/f-$fname.req"
}
fault_run short-answers '/rfc/ct/v1/get-entries 200' --batch-cap 7
check "fault short-answers: advanced by what came (>= 40 get-entries)" \
    [ "$(grep -c get-entries "$T/f-short-answers.req")" -ge 40 ]
fault_run 429 ' 429$' --fail-429 3:1
check "fault 429: its Retry-After was logged" \
    grep -q 'HTTP 429.*retry' "$T/f-429.err"
fault_run html-500 ' 500$' --fail-html 3
fault_run smaller-tree-head 'old-tree-head' --old-sth 2 --initial 100 --grow 100
fault_run stall ' 0$' --stall 15
fault_run growing-log 'tile/data/000.p/' --initial 60 --grow 100
fault_run gzip-tiles 'tile/data/000 200' --gzip
