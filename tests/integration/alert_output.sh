# alert_output.sh: the -o/stdout writer never loses alerts silently, and
# reopens its file on SIGHUP for log rotation.
#
# Lost alerts: -o /dev/full and a stdout pipe whose reader has gone give
# alerts_lost=N, alerts= only what was written, one log line, exit 1.
# Rotation: rename the file, SIGHUP, later alerts go to a new file; none
# is lost across the switch.
. "$(dirname "$0")/../lib.sh"

ALL=$FIX/certstream/all.jsonl       # 11 messages
cat >"$T/every.lua" <<'LUA'
local certmon = require "certmon"
return { name = "every", on_message = function(msg)
  certmon.alert{ t = msg.message_type }
end }
LUA
lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }

# --- -o /dev/full (regression: exited 0 with alerts=13) ---------------------
"$CERTMON" -w 1 -r "$ALL" -o /dev/full "$T/every.lua" 2>"$T/full.err"
expect_eq "-o /dev/full: exit status 1" "$?" 1
expect_eq "-o /dev/full: alerts_lost=11" \
    "$(summary_field "$T/full.err" alerts_lost)" 11
expect_eq "-o /dev/full: alerts= counts only written alerts" \
    "$(summary_field "$T/full.err" alerts)" 0
expect_eq "-o /dev/full: the write error is logged once" \
    "$(grep -c 'alerts are being lost' "$T/full.err")" 1
check "-o /dev/full: the reason is named" \
    grep -q 'No space left on device' "$T/full.err"

# --- stdout to a pipe whose reader is gone (regression: | head -1) ----------
# The reader closes its end before any alert is written, so every write
# fails with EPIPE whatever the scheduling.
mkfifo "$T/in"
( "$CERTMON" -w 1 -r "$T/in" "$T/every.lua" 2>"$T/pipe.err"
  echo $? >"$T/pipe.rc" ) | { exec 0<&-; : >"$T/reader_gone"; sleep 30; } &
pipeline=$!
wait_for "[ -f '$T/reader_gone' ]" 20
cat "$ALL" >"$T/in"
wait_for "[ -s '$T/pipe.rc' ]" 30
kill $pipeline 2>/dev/null
expect_eq "closed pipe: exit status 1" "$(cat "$T/pipe.rc")" 1
expect_eq "closed pipe: alerts_lost=11" \
    "$(summary_field "$T/pipe.err" alerts_lost)" 11
check "closed pipe: broken pipe named" grep -q 'Broken pipe' "$T/pipe.err"

# --- a good run: alerts_lost=0, exit 0 ---------------------------------------
"$CERTMON" -w 2 -r "$ALL" -o "$T/good" "$T/every.lua" 2>"$T/good.err"
expect_eq "good run: exit 0" "$?" 0
expect_eq "good run: alerts_lost=0" \
    "$(summary_field "$T/good.err" alerts_lost)" 0
expect_eq "good run: alerts= the lines written" \
    "$(summary_field "$T/good.err" alerts)" "$(lines "$T/good")"

# --- logrotate-style rename + SIGHUP ----------------------------------------
# with and without --no-reload (SIGHUP then only reopens)
for mode in reload no-reload; do
    extra=""; [ $mode = no-reload ] && extra=--no-reload
    rm -f "$T/rot" "$T/rot.1" "$T/feed"
    mkfifo "$T/feed"
    "$CERTMON" -w 1 $extra -r "$T/feed" -o "$T/rot" "$T/every.lua" \
        2>"$T/rot.err" &
    cm=$!
    exec 3>"$T/feed"
    cat "$ALL" >&3
    wait_for "[ \$(lines '$T/rot') -ge 11 ]" 30
    mv "$T/rot" "$T/rot.1"
    kill -HUP $cm
    # feed one message at a time until the new file appears: the reopen
    # happens at the first write after the signal was handled
    sent=11; i=0
    while [ ! -s "$T/rot" ] && [ $i -lt 200 ]; do
        head -n 1 "$ALL" >&3; sent=$((sent + 1)); i=$((i + 1))
        wait_for "[ -s '$T/rot' ]" 1
    done
    cat "$ALL" >&3; sent=$((sent + 11))
    exec 3>&-
    wait $cm
    rc=$?
    expect_eq "rotation ($mode): exit 0" "$rc" 0
    check "rotation ($mode): a new file was created after SIGHUP" \
        test -s "$T/rot"
    check "rotation ($mode): the renamed file kept the earlier alerts" \
        test "$(lines "$T/rot.1")" -ge 11
    expect_eq "rotation ($mode): no alert lost across the switch" \
        "$(( $(lines "$T/rot.1") + $(lines "$T/rot") ))" "$sent"
    check "rotation ($mode): the reopen is logged" \
        grep -q "reopened $T/rot" "$T/rot.err"
    check "rotation ($mode): still running after SIGHUP" \
        grep -q '^certmon: certs=' "$T/rot.err"
done
