# A burst at loopback speed is absorbed whole by the default queue
# (--queue-bytes): 20,000 certificates arriving at once over a real
# WebSocket, a rule writing one alert per certificate, the default
# --on-full drop, and nothing is dropped. (Regression: with the old
# default of 1024 messages the same burst lost 11,960 of them.)
. "$(dirname "$0")/../lib.sh"

FAKE=$CERTMON_TOOLS/fake_certstream
python3 - "$FIX/certstream/all.jsonl" "$T/burst.jsonl" <<'PY'
import json, sys
src = [json.loads(l) for l in open(sys.argv[1]) if '"certificate_update"' in l]
with open(sys.argv[2], "w") as out:
    for i in range(20000):
        m = src[i % len(src)]
        m["data"]["cert_index"] = i
        m["data"].pop("chain", None)          # the lite shape
        m["data"]["leaf_cert"].pop("as_der", None)
        out.write(json.dumps(m, separators=(",", ":")) + "\n")
PY
cat >"$T/every.lua" <<'LUA'
local certmon = require "certmon"
return { on_cert = function(msg)
  certmon.alert{ i = msg.data.cert_index }
end }
LUA

"$FAKE" --port-file "$T/port" --messages "$T/burst.jsonl" >"$T/ev" 2>"$T/fake.err" &
fake_pid=$!
wait_for "[ -s '$T/port' ]" 20
timeout 300 "$CERTMON" -u "ws://127.0.0.1:$(cat "$T/port")/" --stats-interval 0 \
    -w 1 -n 20000 -o "$T/out" "$T/every.lua" 2>"$T/err"
expect_eq "burst: exits 0 after 20,000 certificates" "$?" 0
kill "$fake_pid" 2>/dev/null; wait "$fake_pid" 2>/dev/null
expect_eq "burst: nothing dropped" "$(summary_field "$T/err" dropped)" 0
expect_eq "burst: 20,000 certificates" "$(summary_field "$T/err" certs)" 20000
expect_eq "burst: one alert each" "$(wc -l <"$T/out" | tr -d ' ')" 20000
expect_eq "burst: every index once" \
    "$(sed 's/.*"i":\([0-9]*\).*/\1/' "$T/out" | sort -un | wc -l | tr -d ' ')" 20000

# the byte bound still bounds: with room for a few dozen messages and a
# rule taking a millisecond each, the same burst is partly dropped
# (counted), never waited for
cat >"$T/slow.lua" <<'LUA'
local certmon = require "certmon"
return { on_cert = function(msg)
  local t = os.clock()
  while os.clock() - t < 0.001 do end
end }
LUA
"$FAKE" --port-file "$T/port2" --messages "$T/burst.jsonl" >"$T/ev2" 2>"$T/fake2.err" &
fake_pid=$!
wait_for "[ -s '$T/port2' ]" 20
timeout -s TERM 5 "$CERTMON" -u "ws://127.0.0.1:$(cat "$T/port2")/" \
    --stats-interval 0 -w 1 --queue-bytes 64k "$T/slow.lua" 2>"$T/err2"
kill "$fake_pid" 2>/dev/null; wait "$fake_pid" 2>/dev/null
check "--queue-bytes 64k: a burst beyond it is dropped and counted" \
    test "$(summary_field "$T/err2" dropped)" -gt 0
"$CERTMON" --queue-bytes 1k -r /dev/null "$T/every.lua" 2>"$T/err3"
expect_eq "--queue-bytes below 64k is refused" "$?" 2
check "--queue-bytes: the error says the range" grep -q -- "--queue-bytes '1k'" "$T/err3"
