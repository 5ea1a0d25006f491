# redis_alerts.sh: --alert-redis against a real redis-server on 127.0.0.1
# (a free port, a temporary folder): the alerts of a replay arrive in the
# stream exactly as -o has them, with their rule and domain fields; two
# certmon processes write to one stream; Redis down at start and started
# later (alerts retried, or spooled and replayed: all arrive); Redis lost
# mid-run and restarted from its AOF (reconnected, all arrive); a refused
# password is exit 1 without the password in the message. The stream is
# read back with redis-cli. Every wait is a poll with a generous limit;
# nothing asserts on speed.

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../redis_lib.sh"
redis_skip_unless_installed
if ! command -v jq >/dev/null 2>&1; then
    echo "ok - # SKIP jq not installed (needed to read the alerts back)"
    exit 0
fi
HOME=$T/home; export HOME
ALL=$FIX/certstream/all.jsonl

# one alert per message; the domain is the certificate's first name, so
# the domain field differs from entry to entry
cat >"$T/every.lua" <<'LUA'
local certmon = require "certmon"
return { name = "every", on_message = function(msg)
  local leaf = msg.data and msg.data.leaf_cert
  local names = leaf and leaf.all_domains
  certmon.alert{ t = msg.message_type,
                 domain = (names and names[1]) or "none.example",
                 index = msg.data and msg.data.cert_index }
end }
LUA

lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
show() { echo "# --- $1"; tail -n 15 "$1" 2>/dev/null | sed 's/^/#   /'; }
# fields PORT STREAM FIELD: the value of FIELD of every entry, in order
fields() {
    redis-cli -p "$1" --raw XRANGE "$2" - + |
        awk -v f="$3" 'prev == f { print } { prev = $0 }'
}
xlen() { redis-cli -p "$1" XLEN "$2"; }
# same_alerts OUT PORT STREAM: the stream's alert fields are OUT's lines
same_alerts() {
    sort "$1" >"$T/want.s"
    fields "$2" "$3" alert | sort >"$T/got.s"
    cmp -s "$T/want.s" "$T/got.s" ||
        { diff "$T/want.s" "$T/got.s" | head -n 5 | sed 's/^/#   /'; return 1; }
}
# rule_domain_match PORT STREAM: each entry's rule and domain fields are
# the rule and domain of its own alert field
rule_domain_match() {
    fields "$1" "$2" alert | jq -r '[.rule, .domain] | @tsv' >"$T/rd.want"
    fields "$1" "$2" rule >"$T/rd.rule"
    fields "$1" "$2" domain >"$T/rd.domain"
    paste "$T/rd.rule" "$T/rd.domain" >"$T/rd.got"
    [ -s "$T/rd.want" ] && cmp -s "$T/rd.want" "$T/rd.got"
}

PORT=$(free_port)
redis_start r "$PORT"

# ---- a replay: every alert of -o in the stream, as written ------------
"$CERTMON" -w 1 -r "$ALL" -o "$T/a.out" --stats-interval 0 \
    --alert-redis "redis://127.0.0.1:$PORT?stream=alerts" "$T/every.lua" \
    2>"$T/a.err"
expect_eq "replay: exit 0" "$?" 0
n=$(lines "$T/a.out")
check "replay: the rule wrote alerts ($n)" [ "$n" -gt 0 ]
expect_eq "replay: one entry per alert" "$(xlen "$PORT" alerts)" "$n"
check "replay: field alert is each line of -o exactly" \
    same_alerts "$T/a.out" "$PORT" alerts
fields "$PORT" alerts alert >"$T/a.stream"
check "replay: one worker, so in the order of -o" cmp -s "$T/a.out" "$T/a.stream"
check "replay: fields rule and domain are the alert's" \
    rule_domain_match "$PORT" alerts
expect_eq "replay: rule field" "$(fields "$PORT" alerts rule | sort -u)" every
check "replay: domains differ from entry to entry" \
    [ "$(fields "$PORT" alerts domain | sort -u | wc -l)" -gt 1 ]
expect_eq "replay: alerts_lost=0" "$(summary_field "$T/a.err" alerts_lost)" 0
expect_eq "replay: alerts_failed=0" \
    "$(summary_field "$T/a.err" alerts_failed)" 0
check "replay: the sink is named redis-1" \
    grep -q "alerts also go to redis-1" "$T/a.err"

# ---- a database number, and a second sink beside it -------------------
"$CERTMON" -w 2 -r "$ALL" -o "$T/db.out" --stats-interval 0 \
    --alert-redis "redis://127.0.0.1:$PORT/3?stream=db3" \
    --alert-redis "redis://127.0.0.1:$PORT?stream=db0" "$T/every.lua" \
    2>"$T/db.err"
expect_eq "two sinks, /3: exit 0" "$?" 0
expect_eq "two sinks: redis-1 wrote to db 3" \
    "$(redis-cli -p "$PORT" -n 3 XLEN db3)" "$(lines "$T/db.out")"
expect_eq "two sinks: redis-2 wrote to db 0" \
    "$(xlen "$PORT" db0)" "$(lines "$T/db.out")"
expect_eq "two sinks: nothing of db 3 in db 0" "$(xlen "$PORT" db3)" 0

# ---- two certmon processes, one stream ----------------------------------
for _ in 1 2 3 4 5; do cat "$ALL"; done >"$T/five.jsonl"
"$CERTMON" -w 2 -r "$T/five.jsonl" -o "$T/p1.out" --stats-interval 0 \
    --alert-redis "redis://127.0.0.1:$PORT?stream=shared" "$T/every.lua" \
    2>"$T/p1.err" &
c1=$!
"$CERTMON" -w 2 -r "$T/five.jsonl" -o "$T/p2.out" --stats-interval 0 \
    --alert-redis "redis://127.0.0.1:$PORT?stream=shared" "$T/every.lua" \
    2>"$T/p2.err" &
c2=$!
wait "$c1"; rc1=$?
wait "$c2"; rc2=$?
expect_eq "two processes: both exit 0" "$rc1 $rc2" "0 0"
cat "$T/p1.out" "$T/p2.out" >"$T/p12.out"
expect_eq "two processes: the stream has the alerts of both" \
    "$(xlen "$PORT" shared)" "$(lines "$T/p12.out")"
check "two processes: every alert of both -o files, once each" \
    same_alerts "$T/p12.out" "$PORT" shared

# ---- Redis down at start, then started: retried, all arrive -----------
# A replay from a FIFO keeps certmon running while Redis comes up (what
# starts while the FIFO is open must not inherit it: redis_start closes it).
DPORT=$(free_port)
mkfifo "$T/d.fifo"
"$CERTMON" -w 1 -r "$T/d.fifo" -o "$T/d.out" --stats-interval 0 \
    --listen 127.0.0.1:0 --alert-retries 100 \
    --alert-redis "redis://127.0.0.1:$DPORT?stream=late" "$T/every.lua" \
    2>"$T/d.err" &
cm=$!
exec 3>"$T/d.fifo"
cat "$ALL" >&3
wait_for "grep -q 'redis-1: redis 127.0.0.1:$DPORT' '$T/d.err'" 60
check "down at start: certmon runs on and says Redis is not reachable" \
    grep -q "alert-redis: redis 127.0.0.1:$DPORT: .*retried" "$T/d.err"
check "down at start: the failed attempts are logged for redis-1" \
    grep -q "redis-1: redis 127.0.0.1:$DPORT" "$T/d.err"
redis_start d "$DPORT"
nd=$(lines "$ALL")
wait_for "[ \"\$(xlen $DPORT late)\" = $nd ]" 120
expect_eq "down at start: every alert arrived once Redis was up" \
    "$(xlen "$DPORT" late)" "$nd"
mport=$(sed -n 's|.*serving /metrics and /healthz on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$T/d.err" | head -n 1)
/usr/bin/python3 "$TOP/tests/tools/prom_scrape.py" \
    "http://127.0.0.1:$mport/metrics" >"$T/d.scrape" 2>"$T/d.scrape.err"
check "/metrics: redis-1 has its row of delivered alerts" \
    grep -qx "certmon_sink_alerts_delivered_total{sink=\"redis-1\"} $nd" \
    "$T/d.scrape"
check "/metrics: redis-1's queue is empty once all arrived" \
    grep -qx 'certmon_sink_queue_alerts{sink="redis-1"} 0' "$T/d.scrape"
exec 3>&-
wait "$cm"
expect_eq "down at start: exit 0" "$?" 0
check "down at start: the stream has the alerts of -o" \
    same_alerts "$T/d.out" "$DPORT" late
check "down at start: delivering again is logged" \
    grep -q "redis-1: delivering again" "$T/d.err"
expect_eq "down at start: alerts_lost=0" \
    "$(summary_field "$T/d.err" alerts_lost)" 0

# ---- Redis down: spooled after the retries, replayed once it is up ----
kill "$d_pid"; wait "$d_pid" 2>/dev/null
mkfifo "$T/s.fifo"
"$CERTMON" -w 1 -r "$T/s.fifo" -o "$T/s.out" --stats-interval 0 \
    --alert-retries 1 --alert-timeout 1 --alert-spool "$T/spool" \
    --alert-redis "redis://127.0.0.1:$DPORT?stream=spooled" "$T/every.lua" \
    2>"$T/s.err" &
cm=$!
exec 4>"$T/s.fifo"
cat "$ALL" >&4
wait_for "[ \$(lines '$T/spool/redis-1.jsonl') -ge 1 ]" 60
check "Redis down: undelivered alerts go to the spool" \
    [ "$(lines "$T/spool/redis-1.jsonl")" -ge 1 ]
redis_start d2 "$DPORT"
wait_for "[ \"\$(xlen $DPORT spooled)\" = $nd ]" 120
expect_eq "Redis back: every alert arrived (spooled ones replayed)" \
    "$(xlen "$DPORT" spooled)" "$nd"
exec 4>&-
wait "$cm"
expect_eq "spooled: exit 0" "$?" 0
check "spooled: the stream has the alerts of -o, once each" \
    same_alerts "$T/s.out" "$DPORT" spooled
check "spooled: counted in the summary" \
    [ "$(summary_field "$T/s.err" alerts_spooled)" -ge 1 ]
expect_eq "spooled: alerts_lost=0" "$(summary_field "$T/s.err" alerts_lost)" 0
check "spooled: the replay is logged" \
    grep -q "redis-1: replayed" "$T/s.err"
expect_eq "spooled: the spool is empty at the end" \
    "$(lines "$T/spool/redis-1.jsonl")" 0

# ---- Redis lost mid-run (restarted with AOF): reconnected, all arrive -
kill "$d2_pid"; wait "$d2_pid" 2>/dev/null
MPORT=$(free_port)
redis_start m "$MPORT" --appendonly yes
mkfifo "$T/m.fifo"
"$CERTMON" -w 1 -r "$T/m.fifo" -o "$T/m.out" --stats-interval 0 \
    --alert-retries 100 \
    --alert-redis "redis://127.0.0.1:$MPORT?stream=mid" "$T/every.lua" \
    2>"$T/m.err" &
cm=$!
exec 3>"$T/m.fifo"
cat "$ALL" >&3
wait_for "[ \"\$(xlen $MPORT mid)\" = $nd ]" 60
expect_eq "mid-run: the first alerts arrived" "$(xlen "$MPORT" mid)" "$nd"
kill "$m_pid"; wait "$m_pid" 2>/dev/null
cat "$ALL" >&3
wait_for "grep -q 'redis-1: redis 127.0.0.1:$MPORT' '$T/m.err'" 60
check "mid-run: the lost connection is logged" \
    grep -q "redis-1: redis 127.0.0.1:$MPORT" "$T/m.err"
redis_start m "$MPORT" --appendonly yes     # the same folder: its AOF
wait_for "[ \"\$(xlen $MPORT mid)\" = $((nd * 2)) ]" 120
exec 3>&-
wait "$cm"
expect_eq "mid-run: exit 0" "$?" 0
expect_eq "mid-run: every alert of both halves is in the stream" \
    "$(xlen "$MPORT" mid)" "$((nd * 2))"
check "mid-run: the stream has the alerts of -o, once each" \
    same_alerts "$T/m.out" "$MPORT" mid
expect_eq "mid-run: alerts_lost=0" "$(summary_field "$T/m.err" alerts_lost)" 0

# ---- refused password: a clear error, exit 1, before any alert --------
PPORT=$(free_port)
redis_start pw "$PPORT" --requirepass right-one
"$CERTMON" -r "$ALL" -o "$T/pw.out" --stats-interval 0 \
    --alert-redis "redis://:wrong-one@127.0.0.1:$PPORT?stream=s" \
    "$T/every.lua" 2>"$T/pw.err"
expect_eq "wrong password: exit 1" "$?" 1
check "wrong password: the error names the sink and says AUTH was refused" \
    grep -q "redis-1 (--alert-redis): redis 127.0.0.1:$PPORT: AUTH refused" \
    "$T/pw.err"
check "wrong password: the password is not in the error" \
    sh -c "! grep -q wrong-one '$T/pw.err'"
check "wrong password: nothing was read" test ! -s "$T/pw.out"
"$CERTMON" -r "$ALL" -o /dev/null --stats-interval 0 \
    --alert-redis "redis://127.0.0.1:$PPORT?stream=s" "$T/every.lua" \
    2>"$T/pw2.err"
expect_eq "no password for a server that wants one: exit 1" "$?" 1
"$CERTMON" -r "$ALL" -o "$T/pw3.out" --stats-interval 0 \
    --alert-redis "redis://default:right-one@127.0.0.1:$PPORT?stream=s" \
    "$T/every.lua" 2>"$T/pw3.err"
expect_eq "right password (user default): exit 0" "$?" 0
expect_eq "right password: delivered" \
    "$(redis-cli -p "$PPORT" -a right-one --no-auth-warning XLEN s)" \
    "$(lines "$T/pw3.out")"

# ---- bad URLs are bad input at start -----------------------------------
"$CERTMON" -r "$ALL" -o /dev/null --alert-redis "redis://127.0.0.1:$PORT" \
    "$T/every.lua" 2>"$T/u1.err"
expect_eq "no ?stream=: exit 1" "$?" 1
check "no ?stream=: said so" grep -q "redis-1 (--alert-redis)" "$T/u1.err"
"$CERTMON" -r "$ALL" -o /dev/null --alert-spool "$T/x" 2>"$T/u2.err"
expect_eq "--alert-spool without a sink is bad usage" "$?" 2
check "--alert-spool without a sink: --alert-redis is one of the sinks named" \
    grep -q "alert-redis" "$T/u2.err"

# ---- a key that is not a stream: rejected, kept, not retried ----------
redis-cli -p "$PORT" SET notastream 1 >/dev/null
"$CERTMON" -w 1 -r "$ALL" -o "$T/wt.out" --stats-interval 0 \
    --alert-spool "$T/spool_wt" \
    --alert-redis "redis://127.0.0.1:$PORT?stream=notastream" "$T/every.lua" \
    2>"$T/wt.err"
expect_eq "WRONGTYPE: exit 0 (every alert kept)" "$?" 0
expect_eq "WRONGTYPE: the alerts are in the rejected spool" \
    "$(lines "$T/spool_wt/redis-1.rejected.jsonl")" "$(lines "$T/wt.out")"
check "WRONGTYPE: the reason is logged" grep -q "WRONGTYPE" "$T/wt.err"
