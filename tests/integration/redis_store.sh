# redis_store.sh: --store redis://, certmon.store.seen shared through a
# real redis-server on 127.0.0.1 (a free port, a temporary folder): two
# certmon processes replaying the same file alert once per domain in
# total; keys carry the TTL; Redis stopped mid-run (alerts still flow from
# the local store, the calls are counted) and started again (seen is
# shared again); down at start, hung (SIGSTOP) or refusing SET (OOM); a
# refused password and a bad URL exit 1.
# Every wait is a poll with a generous limit; nothing asserts on speed.

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../redis_lib.sh"
redis_skip_unless_installed
HOME=$T/home; export HOME; unset XDG_STATE_HOME
ALL=$FIX/certstream/all.jsonl
RULE=$FIX/rules/once_per_domain.lua

rcli() { redis-cli -p "$PORT" "$@"; }
# domains FILE: the alerted domains, one a line, sorted (repeats kept)
domains() { sed -n 's/.*"domain":"\([^"]*\)".*/\1/p' "$1" | sort; }

PORT=$(free_port)
redis_start r "$PORT"
URL="redis://127.0.0.1:$PORT"

# ---- the reference: without --store each process alerts on its own ----
"$CERTMON" -w 2 -r "$ALL" "$RULE" >"$T/l1.out" 2>"$T/l1.err" &
l1=$!
"$CERTMON" -w 2 -r "$ALL" "$RULE" >"$T/l2.out" 2>"$T/l2.err"
wait "$l1"
domains "$T/l1.out" >"$T/want"
N=$(wc -l <"$T/want")
check "local: the fixture alerts on several domains ($N), each once" \
    sh -c "[ $N -gt 5 ] && [ \$(sort -u '$T/want' | wc -l) -eq $N ]"
domains "$T/l2.out" >"$T/l2.d"
check "local: without --store the second process alerts on each too" \
    cmp -s "$T/l2.d" "$T/want"
expect_eq "local: nothing written to Redis" "$(rcli DBSIZE)" 0

# ---- two processes, one Redis: each domain alerts once in total -------
"$CERTMON" -w 2 --store "$URL" -r "$ALL" "$RULE" >"$T/s1.out" \
    2>"$T/s1.err" &
s1=$!
"$CERTMON" -w 2 --store "$URL" -r "$ALL" "$RULE" >"$T/s2.out" 2>"$T/s2.err"
expect_eq "shared: second process exit 0" "$?" 0
wait "$s1"
expect_eq "shared: first process exit 0" "$?" 0
cat "$T/s1.out" "$T/s2.out" >"$T/s.out"
domains "$T/s.out" >"$T/s.d"
check "shared: each domain alerted exactly once across both ($(wc -l <"$T/s.out") alerts)" \
    cmp -s "$T/s.d" "$T/want"
expect_eq "shared: one key per domain" "$(rcli DBSIZE)" "$N"
check "shared: the start line names the server" \
    grep -q "certmon.store.seen shared through redis 127.0.0.1:$PORT" \
    "$T/s1.err"
expect_eq "shared: no Redis error counted" \
    "$(summary_field "$T/s1.err" store_redis_errors)" 0
d1=$(head -n 1 "$T/want")
k1="certmon:seen:once_per_domain:$d1"
expect_eq "shared: key is prefix, rule, domain" "$(rcli EXISTS "$k1")" 1
ttl=$(rcli TTL "$k1")
check "shared: the key has the rule's TTL, one day ($ttl s)" \
    sh -c "[ '$ttl' -gt 86000 ] && [ '$ttl' -le 86400 ]"

# a third run a little later: everything was seen, no alert
"$CERTMON" -w 1 --store "$URL" -r "$ALL" "$RULE" >"$T/s3.out" 2>/dev/null
expect_eq "shared: a later run alerts on nothing" "$(wc -l <"$T/s3.out")" 0

# ?prefix= and /db: keys elsewhere, so the same domains alert again
"$CERTMON" -w 1 --store "$URL/2?prefix=team%3Ab:" -r "$ALL" "$RULE" \
    >"$T/p.out" 2>/dev/null
expect_eq "prefix: alerts again under a new prefix" "$(wc -l <"$T/p.out")" "$N"
expect_eq "prefix: key in db 2 under it" \
    "$(rcli -n 2 EXISTS "team:b:once_per_domain:$d1")" 1

# seen(key) without a TTL: no expiry, as in the local store
cat >"$T/forever.lua" <<'EOF'
local certmon = require "certmon"
return {
  name = "for:ever",
  on_cert = function(msg)
    for _, d in ipairs(msg.data.leaf_cert.all_domains or {}) do
      if not certmon.store.seen(d:lower()) then certmon.alert{ domain = d } end
    end
  end,
}
EOF
"$CERTMON" -w 1 --store "$URL" -r "$ALL" "$T/forever.lua" >"$T/f.out" \
    2>"$T/f.err"
expect_eq "no TTL: alerts" "$(wc -l <"$T/f.out")" "$N"
expect_eq "no TTL: key never expires (':' of the rule name escaped)" \
    "$(rcli TTL "certmon:seen:for%3Aever:$d1")" -1

# ---- Redis stopped mid-run, then started again ------------------------
# The replay reads a FIFO, so the file is fed in steps around the stop.
mkfifo "$T/feed"
"$CERTMON" -w 1 --store "$URL?prefix=mid:" --stats-interval 0 -r - "$RULE" \
    --listen 127.0.0.1:0 <"$T/feed" >"$T/m.out" 2>"$T/m.err" &
cm=$!
echo $cm >>"$T/pids"
exec 3>"$T/feed"
cat "$ALL" >&3
wait_for "[ \$(wc -l <'$T/m.out') -ge $N ]" 60
expect_eq "mid-run: alerts while Redis is up" "$(wc -l <"$T/m.out")" "$N"
kill "$r_pid"; wait "$r_pid" 2>/dev/null
cat "$ALL" >&3
wait_for "[ \$(wc -l <'$T/m.out') -ge $((2 * N)) ]" 60
# the local store had seen none of them: every domain alerts once more
expect_eq "mid-run: Redis down, alerts still flow (from the local store)" \
    "$(wc -l <"$T/m.out")" "$((2 * N))"
wait_for "grep -q 'answers from the local store' '$T/m.err'" 30
check "mid-run: the fallback is logged" \
    grep -q "answers from the local store" "$T/m.err"
expect_eq "mid-run: the fallback is logged once per window" \
    "$(grep -c 'answers from the local store' "$T/m.err")" 1
MPORT=$(sed -n 's|.*serving /metrics and /healthz on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$T/m.err" | head -n 1)
errs=$(/usr/bin/python3 "$TOP/tests/tools/prom_scrape.py" \
       "http://127.0.0.1:${MPORT:-0}/metrics" 2>/dev/null |
       sed -n 's/^certmon_errors_total{kind="store_redis"} //p')
check "mid-run: /metrics counts the local answers (${errs:-none})" \
    sh -c "[ '${errs:-0}' != 0 ] && [ '${errs%.*}' -ge $N ]"
redis_start r "$PORT"
# fed again until a mark reaches Redis: the worker reconnects after its
# backoff (those domains alert once more: the new Redis is empty)
i=0
while [ "$(rcli DBSIZE)" -eq 0 ] && [ $i -lt 300 ]; do
    cat "$ALL" >&3; sleep 0.1; i=$((i + 1))
done
check "restarted: seen goes to Redis again" [ "$(rcli DBSIZE)" -gt 0 ]
check "restarted: the reconnection is logged" \
    grep -q "redis store 127.0.0.1:$PORT: connected again" "$T/m.err"
exec 3>&-
wait "$cm"
expect_eq "mid-run: exit 0" "$?" 0
errs=$(summary_field "$T/m.err" store_redis_errors)
check "mid-run: the calls answered locally are counted ($errs)" \
    [ "${errs:-0}" -ge "$N" ]
expect_eq "mid-run: no rule error" "$(summary_field "$T/m.err" rule_errors)" 0

# ---- Redis down at start: a warning, local answers, then shared -----
DPORT=$(free_port)
mkfifo "$T/feed2"
"$CERTMON" -w 2 --store "redis://127.0.0.1:$DPORT" --stats-interval 0 \
    -r - "$RULE" <"$T/feed2" >"$T/d.out" 2>"$T/d.err" &
cm=$!
echo $cm >>"$T/pids"
exec 3>"$T/feed2"
cat "$ALL" >&3
wait_for "[ \$(wc -l <'$T/d.out') -ge $N ]" 60
check "down at start: a warning" \
    grep -q "warning: --store: redis 127.0.0.1:$DPORT: Connection refused" \
    "$T/d.err"
expect_eq "down at start: every domain alerts (local store)" \
    "$(wc -l <"$T/d.out")" "$N"
redis_start d "$DPORT"
i=0
while [ "$(redis-cli -p "$DPORT" DBSIZE)" -eq 0 ] && [ $i -lt 300 ]; do
    cat "$ALL" >&3; sleep 0.1; i=$((i + 1))
done
check "down at start: seen goes to Redis once it is up" \
    [ "$(redis-cli -p "$DPORT" DBSIZE)" -gt 0 ]
exec 3>&-
wait "$cm"
expect_eq "down at start: exit 0" "$?" 0
errs=$(summary_field "$T/d.err" store_redis_errors)
check "down at start: counted ($errs)" [ "${errs:-0}" -ge "$N" ]
kill "$d_pid"; wait "$d_pid" 2>/dev/null

# ---- a hung Redis (SIGSTOP): the reply timeout, then local answers ---
HPORT=$(free_port)
redis_start h "$HPORT"
kill -STOP "$h_pid"
timeout 120 "$CERTMON" -w 2 --store "redis://127.0.0.1:$HPORT" -r "$ALL" \
    "$RULE" >"$T/h.out" 2>"$T/h.err"
expect_eq "hung Redis: exit 0 (no worker waits on it for good)" "$?" 0
expect_eq "hung Redis: every domain alerts (local store)" \
    "$(wc -l <"$T/h.out")" "$N"
errs=$(summary_field "$T/h.err" store_redis_errors)
check "hung Redis: counted ($errs)" [ "${errs:-0}" -ge "$N" ]
kill -CONT "$h_pid"; kill "$h_pid"; wait "$h_pid" 2>/dev/null

# ---- an error reply (OOM under maxmemory): local answers, counted ---
OPORT=$(free_port)
redis_start o "$OPORT" --maxmemory 1 --maxmemory-policy noeviction
"$CERTMON" -w 1 --store "redis://127.0.0.1:$OPORT" -r "$ALL" "$RULE" \
    >"$T/o.out" 2>"$T/o.err"
expect_eq "OOM reply: exit 0" "$?" 0
expect_eq "OOM reply: every domain alerts (local store)" \
    "$(wc -l <"$T/o.out")" "$N"
check "OOM reply: the server's reason is logged" \
    grep -q "SET refused: OOM" "$T/o.err"
errs=$(summary_field "$T/o.err" store_redis_errors)
check "OOM reply: counted ($errs)" [ "${errs:-0}" -ge "$N" ]
kill "$o_pid"; wait "$o_pid" 2>/dev/null

# ---- fatal at start: wrong password, no password, bad URL -> exit 1 ---
PPORT=$(free_port)
redis_start pw "$PPORT" --requirepass right-one
"$CERTMON" --store "redis://:wrong-one@127.0.0.1:$PPORT" -r "$ALL" "$RULE" \
    >"$T/pw.out" 2>"$T/pw.err"
expect_eq "wrong password: exit 1" "$?" 1
check "wrong password: the error says AUTH was refused" \
    grep -q "error: --store: redis 127.0.0.1:$PPORT: AUTH refused" "$T/pw.err"
check "wrong password: the password is not in the error" \
    sh -c "! grep -q wrong-one '$T/pw.err'"
check "wrong password: no alert" test ! -s "$T/pw.out"
"$CERTMON" --store "redis://127.0.0.1:$PPORT" -r "$ALL" "$RULE" \
    >/dev/null 2>"$T/pw2.err"
expect_eq "no password for a server that wants one: exit 1" "$?" 1
"$CERTMON" --store "redis://default:right-one@127.0.0.1:$PPORT" -r "$ALL" \
    "$RULE" >"$T/pw3.out" 2>/dev/null
expect_eq "right password: alerts" "$(wc -l <"$T/pw3.out")" "$N"
expect_eq "right password: marks in Redis" \
    "$(redis-cli -p "$PPORT" -a right-one --no-auth-warning DBSIZE)" "$N"
"$CERTMON" --store "redis://127.0.0.1:$PPORT?stream=x" -r "$ALL" "$RULE" \
    >/dev/null 2>"$T/url.err"
expect_eq "bad URL: exit 1" "$?" 1
check "bad URL: says which parameter" \
    grep -q "error: --store: redis URL: unknown parameter 'stream'" \
    "$T/url.err"
"$CERTMON" --store "http://127.0.0.1:$PORT" -r "$ALL" "$RULE" \
    >/dev/null 2>"$T/url2.err"
expect_eq "not a redis:// URL: exit 1" "$?" 1
