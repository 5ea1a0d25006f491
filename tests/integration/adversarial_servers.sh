# adversarial_servers.sh: certmon against hostile servers (the hostile-
# server items of the hardening issue), one named regression test per mode.
#
# tests/tools/hostile_ws.py and hostile_ct.py play the server; each mode
# is a fault a server could commit on purpose. What is asserted is what
# the README promises: the fault is refused, counted (net_faults= in the
# summary) and logged, certmon reconnects or goes on, and SIGTERM stops it
# with status 0. Every wait is a poll with a generous limit; nothing
# asserts on speed.

. "$(dirname "$0")/../lib.sh"

PY=$(command -v python3)
if [ -z "$PY" ]; then
    not_ok "python3 is needed for the hostile test servers"
    exit 1
fi
HWS=$TOP/tests/tools/hostile_ws.py
HCT=$TOP/tests/tools/hostile_ct.py

cat >"$T/each.lua" <<'EOF'
local certmon = require "certmon"
return {
  name = "each",
  on_message = function(msg)
    local d = msg.data and msg.data.leaf_cert and msg.data.leaf_cert.all_domains
    certmon.alert{ type = msg.message_type,
                   index = msg.data and msg.data.cert_index,
                   log = msg.data and msg.data.source and msg.data.source.name,
                   chain = msg.data and msg.data.chain and #msg.data.chain or -1,
                   domain = d and d[1] or "" }
  end,
}
EOF

# hostile NAME SCRIPT MODE: starts a hostile server; sets NAME_port and
# NAME_pid; its output goes to $T/NAME.srv.
hostile() {
    name=$1 script=$2 mode=$3
    rm -f "$T/$name.port" "$T/$name.port.mode"
    "$PY" "$script" "$mode" "$T/$name.port" >"$T/$name.srv" 2>&1 &
    eval "${name}_pid=$!"
    if ! wait_for "[ -s '$T/$name.port' ]" 30; then
        echo "# hostile $name did not start:"; sed 's/^/#   /' "$T/$name.srv"
    fi
    eval "${name}_port=\$(cat '$T/$name.port' 2>/dev/null)"
}
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
show() { echo "# --- $1"; tail -n 15 "$1" | sed 's/^/#   /'; }
conns() { n=$(grep -c '] conn [0-9]*$' "$1" 2>/dev/null); echo ${n:-0}; }
alive() { kill -0 "$1" 2>/dev/null; }

# term NAME PID: SIGTERM, then the process must be gone within a generous
# bound with status 0 (SIGKILL after it, so the suite never hangs).
term() {
    kill -TERM "$2"
    if wait_for "! alive $2" 30; then
        wait "$2"; expect_eq "$1: stops on SIGTERM with status 0" "$?" 0
    else
        not_ok "$1: stops on SIGTERM with status 0"; kill -KILL "$2"
        wait "$2"
    fi
}

# faults FILE: net_faults= of the summary line.
faults() { summary_field "$1" net_faults; }

# ---- WebSocket --------------------------------------------------------
WSFAST="--idle-timeout 2 --ping-interval 1 --reconnect-min-ms 100
        --reconnect-max-ms 300 --stats-interval 0 --no-reload -w 1"

# ws_mode MODE CAUSE_REGEX: certmon against hostile_ws MODE; waits for it
# to reconnect twice, then checks the cause, the count and SIGTERM.
ws_mode() {
    mode=$1 cause=$2
    hostile w "$HWS" "$mode"
    "$CERTMON" -u "ws://127.0.0.1:$w_port/" $WSFAST -o "$T/$mode.out" \
        "$T/each.lua" 2>"$T/$mode.err" &
    cm=$!
    if wait_for "[ \$(conns '$T/w.srv') -ge 3 ]" 90; then
        ok "ws $mode: the connection is failed and certmon reconnects"
    else
        not_ok "ws $mode: the connection is failed and certmon reconnects"
        show "$T/$mode.err"
    fi
    term "ws $mode" "$cm"
    stop "$w_pid"
    check "ws $mode: the cause is logged" \
        grep -Eq "ws://127.0.0.1:$w_port/: ($cause); reconnecting" \
        "$T/$mode.err"
    got=$(faults "$T/$mode.err")
    if [ "${got:-0}" -ge 2 ]; then ok "ws $mode: counted as net_faults"
    else not_ok "ws $mode: counted as net_faults"; echo "#   got: $got"; fi
    check "ws $mode: the good message before the fault reached the rules" \
        grep -q '"type":"heartbeat"' "$T/$mode.out"
}

# regression: a frame trickled a byte a second kept the connection "alive"
# because any byte reset the idle timer
ws_mode slowloris "idle timeout: no frame or PONG for 2.0 s|a message did not complete within 2 s"
# regression: endless non-final fragments stalled the feed silently
ws_mode frag_forever "a message did not complete within 2 s \\([0-9]+ bytes so far\\)"
# regression: a 2^63-1 length with data poured after it, the same
ws_mode len_2_63_minus_1 "idle timeout: no frame or PONG for 2.0 s|a message did not complete within 2 s"
# regression: invalid UTF-8 in a text frame reached the rules
ws_mode bad_utf8 "protocol error: invalid UTF-8 in a text message"
check "ws bad_utf8: no message with invalid UTF-8 reached the rules" \
    sh -c "! grep -q 'certificate_update' '$T/bad_utf8.out'"
# regression: close codes 999 and 5000 were accepted, an explicit 1005
# logged as "without a code"
ws_mode close_999 "protocol error: close code 999 not allowed"
ws_mode close_5000 "protocol error: close code 5000 not allowed"
ws_mode close_1005 "protocol error: close code 1005 not allowed"
check "ws close_1005: not reported as a close without a code" \
    sh -c "! grep -q 'without a code' '$T/close_1005.err'"

# ---- CT logs ------------------------------------------------------------
CTFAST="--ct-poll 1 --ct-rate 50 --stats-interval 0 --no-reload -w 1"

# pos DIR: the next_index values of the position files in DIR.
pos() { cat "$1"/*.json 2>/dev/null | sed -n 's/.*"next_index":\([0-9]*\).*/\1/p'; }
max_pos() { pos "$1" | sort -n | tail -n 1; }

# ct_run NAME MODE STATE [ARGS]: certmon --ct against hostile_ct MODE
# (already started as server c), in the background; pid in cm.
ct_run() {
    name=$1 st=$2; shift 2
    "$CERTMON" --ct --ct-log "http://127.0.0.1:$c_port/log/" \
        --state-dir "$T/$st" $CTFAST -o "$T/$name.out" "$@" "$T/each.lua" \
        2>"$T/$name.err" &
    cm=$!
}

# regression: a get-sth with tree size 2^64-1 was believed with
# --ct-start now, and the position 2^64-1 saved for good
hostile c "$HCT" sth_shrink
ct_run shr1 st-shr --ct-start now
if wait_for "grep -qs 'reading from entry 4 ' '$T/shr1.err'" 60; then
    ok "ct sth_shrink: the 2^64-1 tree head is refused, the next one read"
else
    not_ok "ct sth_shrink: the 2^64-1 tree head is refused, the next one read"
    show "$T/shr1.err"
fi
term "ct sth_shrink" "$cm"
check "ct sth_shrink: the refusal is logged" \
    grep -q 'tree head tree size 18446744073709551615 not plausible' "$T/shr1.err"
expect_eq "ct sth_shrink: counted as net_faults" "$(faults "$T/shr1.err")" 1
n=$(max_pos "$T/st-shr")
if [ -z "$n" ] || [ "$n" -le 4 ]; then
    ok "ct sth_shrink: no position beyond the log is saved"
else
    not_ok "ct sth_shrink: no position beyond the log is saved"
    echo "#   got: $n"
fi
stop "$c_pid"

# regression: a plausible lie (10^9) with --ct-start now was saved as the
# position; after a restart against the honest answer certmon sat there
hostile c "$HCT" sth_lie
ct_run lie1 st-lie --ct-start now
wait_for "[ \$(grep -c 'GET /log/ct/v1/get-sth' '$T/c.srv') -ge 3 ]" 60
term "ct sth_lie first run" "$cm"
check "ct sth_lie: it began at the lie" \
    grep -q 'reading from entry 1000000000 ' "$T/lie1.err"
check "ct sth_lie: the start point nothing was read past is not saved" \
    sh -c "! grep -q '1000000000' '$T'/st-lie/*.json 2>/dev/null"
ct_run lie2 st-lie --ct-start now
if wait_for "grep -qs '\"index\":[0-9]' '$T/lie2.out'" 60; then
    ok "ct sth_lie: after a restart the honest log is read"
else
    not_ok "ct sth_lie: after a restart the honest log is read"
    show "$T/lie2.err"
fi
term "ct sth_lie second run" "$cm"
n=$(max_pos "$T/st-lie")
if [ "${n:-0}" -gt 4 ] && [ "$n" -le 1000 ]; then
    ok "ct sth_lie: the saved position is one that was read"
else
    not_ok "ct sth_lie: the saved position is one that was read"
    echo "#   got: $n"
fi
stop "$c_pid"

# a saved position beyond the log's tree: warned once, shown in the status
hostile c "$HCT" fixed
ct_run fix1 st-fix --ct-start 990
wait_for "[ \"\$(max_pos '$T/st-fix')\" = 1000 ]" 60
term "ct saved position of a 1000-entry log" "$cm"
expect_eq "ct: entries 990..999 read and saved" "$(max_pos "$T/st-fix")" 1000
echo sth_shrink >"$T/c.port.mode"
ct_run fix2 st-fix --stats-interval 1
wait_for "grep -qs 'ahead_of_log' '$T/fix2.err'" 60
term "ct log smaller than the saved position" "$cm"
check "ct log smaller than the saved position: warned" \
    grep -q 'the log has 4 entries, fewer than the saved position 1000; waiting for it to grow' "$T/fix2.err"
expect_eq "ct log smaller than the saved position: warned once" \
    "$(grep -c 'fewer than the saved position' "$T/fix2.err")" 1
check "ct log smaller than the saved position: the status says so" \
    grep -q 'position=1000 .*ahead_of_log' "$T/fix2.err"
expect_eq "ct log smaller than the saved position: the position is kept" \
    "$(max_pos "$T/st-fix")" 1000
stop "$c_pid"

# regression: a get-entries answer with more entries than asked was
# logged as "no entries for a non-empty range"
hostile c "$HCT" too_many
ct_run many st-many --ct-start 0
wait_for "grep -qs 'more entries than asked for' '$T/many.err'" 60
term "ct too_many" "$cm"
check "ct too_many: logged as more entries than asked for" \
    grep -q 'get-entries more entries than asked for' "$T/many.err"
check "ct too_many: not as no entries" \
    sh -c "! grep -q 'no entries for a non-empty range' '$T/many.err'"
got=$(faults "$T/many.err")
if [ "${got:-0}" -ge 1 ]; then ok "ct too_many: counted as net_faults"
else not_ok "ct too_many: counted as net_faults"; fi
stop "$c_pid"

# regression: a successful checkpoint poll reset the backoff of a data
# tile that kept failing, so a gzip bomb was inflated to the cap about
# once a second; the series is now per request kind
hostile c "$HCT" tile_gzip_bomb
wait_for "grep -qs 'bomb ready' '$T/c.srv'" 60
ct_run bomb st-bomb --ct-start 0
wait_for "[ \$(grep -sc 'data tile gzip: inflates to more than' '$T/bomb.err') -ge 3 ]" 90
term "ct tile_gzip_bomb" "$cm"
delays=$(sed -n 's/.*data tile gzip: inflates to more than [0-9]* bytes; retrying in \([0-9]*\) ms/\1/p' "$T/bomb.err" | head -n 3 | tr '\n' ' ')
set -- $delays
if [ $# -ge 3 ] && [ "$3" -ge 3200 ] && [ "$2" -ge 1600 ]; then
    ok "ct tile_gzip_bomb: the tile's retries back off although checkpoints answer"
else
    not_ok "ct tile_gzip_bomb: the tile's retries back off although checkpoints answer"
    echo "#   delays: $delays"; show "$T/bomb.err"
fi
stop "$c_pid"

# ---- hostile chains, beside an honest log ---------------------------------
CTF=$FIX/ct/rfc6962
"$TOOLS/fake_ctlog" --port-file "$T/h.port" --log "$T/h.req" --repeat 50 \
    "$CTF/ctgo-scanner-FourEntries.get-entries.json" \
    "$CTF/ctgo-logclient-TestGetEntries.get-entries.json" \
    "$CTF/calidog-certstream-server-standard_entry.get-entries.json" \
    >/dev/null 2>"$T/h.err" &
h_pid=$!
wait_for "[ -s '$T/h.port' ]" 30
HONEST="http://127.0.0.1:$(cat "$T/h.port")/rfc/"
# n_of FILE LOG: distinct entries of LOG in FILE
n_of() { grep -sF "\"log\":\"$2\"" "$1" | sed -n 's/.*"index":\([0-9]*\).*/\1/p' |
         sort -nu | wc -l | tr -d ' '; }

# regression: 10,000 chain certificates per entry cost seconds of CPU per
# entry on the network thread, stalling every log
hostile c "$HCT" chain_10000
HOSTILE="http://127.0.0.1:$c_port/log/"
ct_run chain st-chain --ct-start 0 --full --ct-log "$HONEST"
if wait_for "[ \$(n_of '$T/chain.out' '$HONEST') -ge 350 ] &&
             [ \$(n_of '$T/chain.out' '$HOSTILE') -ge 3 ]" 120; then
    ok "ct chain_10000: the honest log is read whole beside it"
else
    not_ok "ct chain_10000: the honest log is read whole beside it"
    echo "#   honest $(n_of "$T/chain.out" "$HONEST"), hostile $(n_of "$T/chain.out" "$HOSTILE")"
    show "$T/chain.err"
fi
term "ct chain_10000" "$cm"
check "ct chain_10000: the hostile entries arrive with the chain cut to 16" \
    sh -c "grep -F '\"log\":\"$HOSTILE\"' '$T/chain.out' | grep -q '\"chain\":16'"
check "ct chain_10000: no chain longer than 16 reached the rules" \
    sh -c "! grep -Eq '\"chain\":(1[7-9]|[2-9][0-9]|[0-9]{3,})' '$T/chain.out'"
check "ct chain_10000: logged" \
    grep -q 'a chain of 10000 certificates cut to the first 16' "$T/chain.err"
got=$(faults "$T/chain.err")
if [ "${got:-0}" -ge 1 ]; then ok "ct chain_10000: counted as net_faults"
else not_ok "ct chain_10000: counted as net_faults"; fi
stop "$c_pid"

# regression: 256 entries x 2,047 chain fingerprints made the issuer
# lookup quadratic on the network thread; no message came out
hostile c "$HCT" tile_many_fps
HOSTILE="http://127.0.0.1:$c_port/log/"
ct_run fps st-fps --ct-start 0 --full --ct-log "$HONEST"
if wait_for "[ \$(n_of '$T/fps.out' '$HONEST') -ge 350 ] &&
             [ \$(n_of '$T/fps.out' '$HOSTILE') -ge 256 ]" 120; then
    ok "ct tile_many_fps: the whole hostile tile and the honest log arrive"
else
    not_ok "ct tile_many_fps: the whole hostile tile and the honest log arrive"
    echo "#   honest $(n_of "$T/fps.out" "$HONEST"), hostile $(n_of "$T/fps.out" "$HOSTILE")"
    show "$T/fps.err"
fi
term "ct tile_many_fps" "$cm"
check "ct tile_many_fps: the issuer bound is logged" \
    grep -q 'tile names more issuers than one tile may add (128)' "$T/fps.err"
n=$(grep -c 'GET /log/issuer/' "$T/c.srv")
if [ "$n" -le 128 ]; then ok "ct tile_many_fps: at most 128 issuers asked for"
else not_ok "ct tile_many_fps: at most 128 issuers asked for"; echo "#   got: $n"; fi
stop "$c_pid"
stop "$h_pid"

exit 0
