# redis_consume.sh: certmon --redis, consumers of a stream group filled
# by certmon --publish, against a real redis-server on 127.0.0.1: three
# consumers share a stream and process each entry exactly once; a
# consumer killed with kill -9 mid-stream has its entries taken over by
# another; a restart under the same name resumes its own pending entries;
# entries that are not messages, or delivered too often, go to the dead
# letters; Redis stopped mid-run and restarted from its AOF loses
# nothing; Redis down at start; a refused password. Every wait is a poll
# with a generous limit; nothing asserts on speed.

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../redis_lib.sh"
redis_skip_unless_installed

PORT=$(free_port)
redis_start r "$PORT"
rcli() { redis-cli -p "$PORT" "$@"; }
# group_field STREAM FIELD: a field of the stream's (only) group
group_field() {
    rcli XINFO GROUPS "$1" 2>/dev/null |
        awk -v f="$2" 'prev == f { print; exit } { prev = $0 }'
}
# indexes FILE...: the cert_index of each alert, one a line
indexes() { cat "$@" 2>/dev/null | sed -n 's/.*"i":\([0-9]*\).*/\1/p'; }
lines() { cat "$@" 2>/dev/null | wc -l | tr -d ' '; }

# N distinct certificate messages (cert_index 0..N-1), in a file
make_messages() {   # make_messages N FILE
    python3 - "$FIX/certstream/all.jsonl" "$1" "$2" <<'PY'
import json, sys
src, n, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
base = next(json.loads(l) for l in open(src)
            if json.loads(l).get("message_type") == "certificate_update")
base["data"].pop("chain", None)
with open(dst, "w") as out:
    for i in range(n):
        base["data"]["cert_index"] = i
        out.write(json.dumps(base, separators=(",", ":")) + "\n")
PY
}
publish() {         # publish FILE STREAM [PORT]
    "$CERTMON" --publish "redis://127.0.0.1:${3:-$PORT}?stream=$2" -r "$1" \
        --publish-maxlen 0 --stats-interval 0 2>>"$T/publish.err"
}

cat >"$T/every.lua" <<'LUA'
local certmon = require "certmon"
return { on_cert = function(msg)
  certmon.alert{ i = msg.data.cert_index }
end }
LUA
cat >"$T/slow.lua" <<'LUA'
local certmon = require "certmon"
return { on_cert = function(msg)
  local x = 0
  for k = 1, 400000 do x = x + k end
  certmon.alert{ i = msg.data.cert_index }
end }
LUA
consumer() {        # consumer NAME STREAM RULE [ARGS]: in the background
    name=$1 stream=$2 rule=$3; shift 3
    "$CERTMON" --redis "redis://127.0.0.1:$PORT?stream=$stream&group=g&consumer=$name" \
        --redis-start 0 -w 1 --stats-interval 0 -o "$T/$name.out" \
        "$@" "$T/$rule" 2>"$T/$name.err" &
    eval "${name}_pid=$!"
    echo $! >>"$T/pids"
}
stop() {            # stop NAME...: SIGTERM, wait, exit status in NAME_rc
    for n in "$@"; do eval "kill -TERM \$${n}_pid"; done
    for n in "$@"; do eval "wait \$${n}_pid; ${n}_rc=\$?"; done
}
drained() {         # drained STREAM N OUTS...: N alerts, nothing pending
    s=$1 n=$2; shift 2
    [ "$(lines "$@")" -ge "$n" ] && [ "$(group_field "$s" pending)" = 0 ]
}

# ---- three consumers share a stream: each entry exactly once -----------
N=3000
make_messages $N "$T/m.jsonl"
consumer c1 s1 every.lua
consumer c2 s1 every.lua
consumer c3 s1 every.lua
wait_for "[ -n \"\$(group_field s1 name)\" ]" 30
publish "$T/m.jsonl" s1
wait_for "drained s1 $N '$T/c1.out' '$T/c2.out' '$T/c3.out'" 120
stop c1 c2 c3
expect_eq "3 consumers: each exits 0 on SIGTERM" "$c1_rc$c2_rc$c3_rc" 000
expect_eq "3 consumers: $N alerts in all" \
    "$(lines "$T/c1.out" "$T/c2.out" "$T/c3.out")" $N
expect_eq "3 consumers: every entry processed once" \
    "$(indexes "$T/c1.out" "$T/c2.out" "$T/c3.out" | sort -un | wc -l |
       tr -d ' ')" $N
total=0
for n in c1 c2 c3; do
    total=$((total + $(summary_field "$T/$n.err" messages)))
done
expect_eq "3 consumers: the summaries add up to $N messages" "$total" $N
expect_eq "3 consumers: nothing left pending" "$(group_field s1 pending)" 0
check "3 consumers: the exit line counts what was read and acknowledged" \
    grep -q "entries read from stream s1, group g, as c1; [0-9]* acknowledged" \
    "$T/c1.err"

# ---- a consumer killed with kill -9: another takes over its entries ----
consumer k1 s2 slow.lua
wait_for "[ -n \"\$(group_field s2 name)\" ]" 30
publish "$T/m.jsonl" s2
wait_for "[ \$(lines '$T/k1.out') -ge 20 ]" 120
kill -KILL "$k1_pid"; wait "$k1_pid" 2>/dev/null
held=$(group_field s2 pending)
check "kill -9: the killed consumer left entries pending ($held)" \
    [ "${held:-0}" -gt 0 ]
consumer k2 s2 every.lua --redis-claim-idle 1
wait_for "drained s2 $N '$T/k1.out' '$T/k2.out'" 120
stop k2
expect_eq "kill -9: the other consumer exits 0" "$k2_rc" 0
expect_eq "kill -9: every entry processed" \
    "$(indexes "$T/k1.out" "$T/k2.out" | sort -un | wc -l | tr -d ' ')" $N
dups=$(( $(lines "$T/k1.out" "$T/k2.out") - N ))
check "kill -9: duplicates ($dups) only from what was in flight ($held)" \
    [ "$dups" -ge 0 ] && [ "$dups" -le "$held" ]
check "kill -9: the survivor took the entries over (XAUTOCLAIM)" \
    sh -c "grep -q '[1-9][0-9]* taken over from other consumers' '$T/k2.err'"
redelivered=$(sed -n 's/.* \([0-9]*\) delivered before.*/\1/p' "$T/k2.err")
check "kill -9: the possible repeats are counted ($redelivered >= $dups)" \
    [ "${redelivered:-0}" -ge "$dups" ] && [ "${redelivered:-0}" -le "$held" ]
expect_eq "kill -9: nothing left pending" "$(group_field s2 pending)" 0

# ---- a restart under the same name resumes its own pending entries -----
consumer r1 s3 slow.lua
wait_for "[ -n \"\$(group_field s3 name)\" ]" 30
publish "$T/m.jsonl" s3
wait_for "[ \$(lines '$T/r1.out') -ge 20 ]" 120
kill -KILL "$r1_pid"; wait "$r1_pid" 2>/dev/null
mv "$T/r1.out" "$T/r1.first"
consumer r1 s3 every.lua --redis-claim-idle 0
wait_for "drained s3 $N '$T/r1.first' '$T/r1.out'" 120
stop r1
expect_eq "restart, same name: every entry processed" \
    "$(indexes "$T/r1.first" "$T/r1.out" | sort -un | wc -l | tr -d ' ')" $N
check "restart, same name: no claim was needed" \
    grep -q " 0 taken over from other consumers" "$T/r1.err"
check "3 consumers: no entry was delivered twice" \
    grep -q " 0 delivered before" "$T/c1.err"

# ---- what is not a message goes to the dead letters --------------------
head -n 2 "$T/m.jsonl" >"$T/two.jsonl"
publish "$T/two.jsonl" s4
rcli XADD s4 '*' msg 'not json' >/dev/null
rcli XADD s4 '*' type x >/dev/null
rcli XADD s4 '*' msg '{"broken": ' >/dev/null
publish "$T/two.jsonl" s4
consumer d1 s4 every.lua
wait_for "[ \"\$(rcli XLEN s4:dead)\" = 3 ] && drained s4 4 '$T/d1.out'" 60
stop d1
expect_eq "dead letters: exit 0" "$d1_rc" 0
expect_eq "dead letters: three entries in s4:dead" "$(rcli XLEN s4:dead)" 3
expect_eq "dead letters: the four messages ran" "$(lines "$T/d1.out")" 4
expect_eq "dead letters: counted as parse errors" \
    "$(summary_field "$T/d1.err" parse_errors)" 3
rcli --raw XRANGE s4:dead - + >"$T/dead.txt"
check "dead letters: each says why" sh -c "grep -q 'no field msg' '$T/dead.txt' &&
    grep -q 'not a JSON object' '$T/dead.txt' &&
    grep -q 'not a valid JSON message' '$T/dead.txt'"
check "dead letters: the undecodable text is kept" \
    grep -qF '{"broken": ' "$T/dead.txt"
expect_eq "dead letters: acknowledged, nothing pending" \
    "$(group_field s4 pending)" 0

# ---- delivered too often: dead letter, not retried forever -------------
publish "$T/two.jsonl" s5
rcli XGROUP CREATE s5 g 0 >/dev/null
id=$(rcli --raw XREADGROUP GROUP g ghost COUNT 1 STREAMS s5 '>' |
     sed -n 2p)
for _ in 1 2 3; do rcli XCLAIM s5 g ghost 0 "$id" >/dev/null; done
consumer x1 s5 every.lua --redis-max-deliveries 2 --redis-claim-idle 0.1
wait_for "[ \"\$(rcli XLEN s5:dead)\" = 1 ] && drained s5 1 '$T/x1.out'" 60
stop x1
expect_eq "max deliveries: the entry delivered 5 times is a dead letter" \
    "$(rcli XLEN s5:dead)" 1
check "max deliveries: the dead letter says so" \
    sh -c "redis-cli -p $PORT --raw XRANGE s5:dead - + | grep -q 'delivered 5 times'"
expect_eq "max deliveries: the other entry ran" "$(lines "$T/x1.out")" 1

# ---- Redis stopped mid-run, restarted from its AOF: nothing lost -------
APORT=$(free_port)
redis_start a "$APORT" --appendonly yes
PORT_SAVE=$PORT; PORT=$APORT
consumer f1 s6 slow.lua --stats-interval 1 --reconnect-min-ms 100 \
    --reconnect-max-ms 500
wait_for "[ -n \"\$(group_field s6 name)\" ]" 30
head -n 400 "$T/m.jsonl" >"$T/first.jsonl"
sed -n '401,800p' "$T/m.jsonl" >"$T/second.jsonl"
publish "$T/first.jsonl" s6
wait_for "[ \$(lines '$T/f1.out') -ge 20 ]" 120
kill -TERM "$a_pid"; wait "$a_pid" 2>/dev/null
wait_for "grep -q 'connection lost' '$T/f1.err'" 60
check "Redis down mid-run: the consumer says so" \
    grep -q "connection lost" "$T/f1.err"
wait_for "grep -q 'down=' '$T/f1.err'" 30
check "Redis down mid-run: the status line says it is down" \
    grep -q "status: redis=.* down=" "$T/f1.err"
redis_start a "$APORT" --appendonly yes
publish "$T/second.jsonl" s6
wait_for "drained s6 800 '$T/f1.out'" 180
stop f1
expect_eq "AOF restart: exit 0" "$f1_rc" 0
expect_eq "AOF restart: every entry processed" \
    "$(indexes "$T/f1.out" | sort -un | wc -l | tr -d ' ')" 800
check "AOF restart: the reconnection is counted" \
    [ "$(summary_field "$T/f1.err" reconnects)" -ge 1 ]
expect_eq "AOF restart: nothing left pending" "$(group_field s6 pending)" 0
PORT=$PORT_SAVE

# ---- Redis down at start: waits, then reads ----------------------------
LPORT=$(free_port)
PORT_SAVE=$PORT; PORT=$LPORT
consumer l1 late every.lua
wait_for "grep -q 'reading once it is up' '$T/l1.err'" 30
check "Redis down at start: says so" grep -q "reading once it is up" \
    "$T/l1.err"
redis_start l "$LPORT"
wait_for "[ -n \"\$(group_field late name)\" ]" 60
publish "$T/two.jsonl" late
wait_for "drained late 2 '$T/l1.out'" 60
stop l1
expect_eq "Redis down at start: exit 0, both messages ran" \
    "$l1_rc $(lines "$T/l1.out")" "0 2"
PORT=$PORT_SAVE

# ---- refused password and bad URLs: clear errors -----------------------
PPORT=$(free_port)
redis_start pw "$PPORT" --requirepass right-one
"$CERTMON" --redis "redis://:wrong-one@127.0.0.1:$PPORT?stream=s&group=g" \
    --stats-interval 0 "$T/every.lua" 2>"$T/pw.err"
expect_eq "wrong password: exit 1" "$?" 1
check "wrong password: the error says AUTH was refused" \
    grep -q "AUTH refused" "$T/pw.err"
check "wrong password: the password is not in the error" \
    sh -c "! grep -q wrong-one '$T/pw.err'"
"$CERTMON" --redis "redis://127.0.0.1:$PORT?stream=s" --stats-interval 0 \
    "$T/every.lua" 2>"$T/ng.err"
expect_eq "no group in the URL: exit 1" "$?" 1
check "no group in the URL: says how to name one" grep -q "group=NAME" \
    "$T/ng.err"
"$CERTMON" --redis "redis://127.0.0.1:$PORT?stream=s&group=g" \
    --redis-start 7 "$T/every.lua" 2>"$T/rs.err"
expect_eq "--redis-start 7: bad usage, exit 2" "$?" 2
"$CERTMON" -r "$T/two.jsonl" --redis-claim-idle 5 "$T/every.lua" \
    2>"$T/ri.err"
expect_eq "--redis-claim-idle without --redis: exit 2" "$?" 2
check "--redis-claim-idle without --redis: says it goes with --redis" \
    grep -q "goes with --redis" "$T/ri.err"
