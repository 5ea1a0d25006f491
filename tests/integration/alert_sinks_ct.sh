# alert_sinks_ct.sh: in --ct mode a log position is never committed past
# an alert that is neither delivered nor spooled.
#
# certmon follows the fake CT log (tests/tools/fake_ctlog.c) on 127.0.0.1
# with a webhook sink, reads every entry (all alerts are on -o), is
# stopped with SIGTERM, and the committed position in the state folder is
# checked: a receiver that is down and no spool -> nothing committed past
# the first lost alert; down with a spool -> everything committed (the
# alerts are in the spool); up -> everything committed.
. "$(dirname "$0")/../lib.sh"
FAKE=$TOOLS/fake_ctlog
RECV=$TOP/tests/tools/webhook_receiver.py
CTF=$FIX/ct/rfc6962
ENTRIES="$CTF/ctgo-scanner-FourEntries.get-entries.json
$CTF/ctgo-logclient-TestGetEntries.get-entries.json
$CTF/calidog-certstream-server-standard_entry.get-entries.json"
N=70                                # 7 entries a repeat, 10 repeats
HOME=$T/home; export HOME; unset XDG_STATE_HOME
FAST="--ct-rate 200 --stats-interval 0 --ct-poll 1 --ct-partial-tile-age 0"
cat >"$T/each.lua" <<'EOF'
local certmon = require "certmon"
return { name = "each", on_cert = function(msg)
  certmon.alert{ index = msg.data.cert_index, domain = "x.example" }
end }
EOF
lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
next_index() {      # next_index STATE_DIR: the committed position
    for f in "$1"/*.json; do
        [ -f "$f" ] && sed -n 's/.*"next_index":\([0-9]*\).*/\1/p' "$f" && return
    done
    echo 0
}

rm -f "$T/ct.port"
# shellcheck disable=SC2086
"$FAKE" --port-file "$T/ct.port" --loglist "$T/ct.ll" --repeat 10 $ENTRIES \
    >/dev/null 2>"$T/ct.err" &
echo $! >>"$T/pids"
wait_for "[ -s '$T/ct.port' ]" 30
URL="http://127.0.0.1:$(cat "$T/ct.port")/rfc/"

python3 "$RECV" serve --port-file "$T/r.port" --dir "$T/r" 2>"$T/r.err" &
rpid=$!
echo $rpid >>"$T/pids"
wait_for "[ -s '$T/r.port' ]" 30
UP="http://127.0.0.1:$(cat "$T/r.port")/"
python3 "$RECV" serve --port-file "$T/d.port" --dir "$T/d" 2>"$T/d.err" &
dpid=$!
wait_for "[ -s '$T/d.port' ]" 30
DOWN="http://127.0.0.1:$(cat "$T/d.port")/"
kill $dpid; wait $dpid 2>/dev/null     # nothing listens on DOWN now

# run NAME ARGS: follow the log until all N alerts are out, then SIGTERM
run() {
    name=$1; shift
    "$CERTMON" --ct --log-list "$T/ct.ll" --ct-log "$URL" --ct-start oldest \
        --state-dir "$T/st-$name" $FAST -w 2 -o "$T/$name.out" "$@" \
        "$T/each.lua" 2>"$T/$name.err" &
    cm=$!
    wait_for "[ \$(lines '$T/$name.out') -ge $N ]" 120
    # at exit the sinks drain, then the source commits what was settled
    kill -TERM $cm; wait $cm
    rc=$?
}

run up --alert-webhook "$UP" --alert-spool "$T/sp-up"
expect_eq "receiver up: every alert delivered" "$(lines "$T/r/accepted.jsonl")" $N
expect_eq "receiver up: the whole log committed" "$(next_index "$T/st-up")" $N

run spool --alert-webhook "$DOWN" --alert-spool "$T/sp-spool" --alert-retries 0
expect_eq "down, spool: every alert spooled" "$(lines "$T/sp-spool/webhook-1.jsonl")" $N
expect_eq "down, spool: the whole log committed (spooled is safe)" \
    "$(next_index "$T/st-spool")" $N

run lost --alert-webhook "$DOWN" --alert-retries 0
expect_eq "down, no spool: alerts counted as lost" \
    "$(summary_field "$T/lost.err" alerts_lost)" $N
expect_eq "down, no spool: exit 1" "$rc" 1
expect_eq "down, no spool: nothing committed past the first lost alert" \
    "$(next_index "$T/st-lost")" 0
