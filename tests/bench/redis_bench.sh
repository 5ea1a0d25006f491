# Redis Streams section of make bench, sourced by bench.sh (uses its
# record, median, ratio, RAW, T, QUICK and RUNS).
#
# A redis-server on 127.0.0.1 (a free port, a folder under $T, no
# persistence). Each run publishes REDIS_N lite messages with
# `certmon --publish -r` (the producer's XADD rate), then drains the
# stream with 1, 2 and 4 consumers of a new group (`certmon --redis`,
# one worker each, the trivial rule) and times the whole drain: from the
# consumers' start to the group holding nothing unread or pending. The
# baseline, in the same run, is one `certmon -r` of the same file with
# one worker and the same rule: what the rules cost without Redis.

if ! command -v redis-server >/dev/null 2>&1; then
    echo
    echo "redis streams: skipped (redis-server not installed; make deps)"
else
if [ "$QUICK" = 1 ]; then REDIS_N=500; else REDIS_N=40000; fi
REDIS_PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
mkdir -p "$T/redis"
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$T/redis" \
    --save "" --appendonly no > "$T/redis.log" 2>&1 &
LG_PIDS="$LG_PIDS $!"
i=0
until grep -q 'Ready to accept' "$T/redis.log" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 600 ] && { echo "bench.sh: redis-server did not start" >&2; exit 1; }
    sleep 0.05
done
awk -v n="$REDIS_N" '{ l[NR] = $0 } END {
    for (i = 0; i < n; i++) print l[i % NR + 1] }' "$T/lite.jsonl" \
    > "$T/redis_in.jsonl"
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
now_s() { date +%s.%N; }
# group_field GROUP FIELD: one field of XINFO GROUPS bench for GROUP
group_field() {
    rcli XINFO GROUPS bench | awk -v g="$1" -v f="$2" '
        prev == "name" { cur = $0 } cur == g && prev == f { print; exit }
        { prev = $0 }'
}

# run_consumers LABEL K: K consumers drain the stream in a new group
run_consumers() {
    label=$1 k=$2 g=g$1
    rcli XGROUP CREATE bench "$g" 0 > /dev/null
    t0=$(now_s)
    pids=
    c=1
    while [ $c -le "$k" ]; do
        "$CERTMON" --redis "redis://127.0.0.1:$REDIS_PORT?stream=bench&group=$g&consumer=c$c" \
            -w 1 --no-reload -q --stats-interval 0 -o /dev/null \
            "$TRIVIAL" 2> "$T/$label.c$c.err" &
        pids="$pids $!"
        c=$((c + 1))
    done
    while [ "$(group_field "$g" entries-read)" != "$REDIS_N" ] ||
          [ "$(group_field "$g" pending)" != 0 ]; do
        sleep 0.02
    done
    t1=$(now_s)
    kill -TERM $pids 2> /dev/null
    wait $pids 2> /dev/null
    rcli XGROUP DESTROY bench "$g" > /dev/null
    record "$label" "$(awk -v n="$REDIS_N" -v a="$t0" -v b="$t1" 'BEGIN {
        printf "msgs=%d span_s=%.3f msgs_per_s=%.0f", n, b - a, n / (b - a) }')"
}

r=1
while [ $r -le "$RUNS" ]; do
    rcli DEL bench > /dev/null
    t0=$(now_s)
    "$CERTMON" --publish "redis://127.0.0.1:$REDIS_PORT?stream=bench" \
        --publish-maxlen 0 -q --stats-interval 0 -r "$T/redis_in.jsonl" \
        2> "$T/redis_pub.err"
    t1=$(now_s)
    [ "$(rcli XLEN bench)" = "$REDIS_N" ] ||
        { echo "bench.sh: --publish left $(rcli XLEN bench) entries" >&2; exit 1; }
    record redis_publish "$(awk -v n="$REDIS_N" -v a="$t0" -v b="$t1" 'BEGIN {
        printf "msgs=%d msgs_per_s=%.0f", n, n / (b - a) }')"
    t0=$(now_s)
    "$CERTMON" -r "$T/redis_in.jsonl" -w 1 --no-reload -q --stats-interval 0 \
        -o /dev/null "$TRIVIAL" 2> /dev/null
    t1=$(now_s)
    record redis_replay "$(awk -v n="$REDIS_N" -v a="$t0" -v b="$t1" 'BEGIN {
        printf "msgs=%d msgs_per_s=%.0f", n, n / (b - a) }')"
    for k in 1 2 4; do
        run_consumers "redis_c$k" $k
    done
    r=$((r + 1))
done

rp=$(median redis_publish msgs_per_s)
rr=$(median redis_replay msgs_per_s)
echo
echo "== redis streams ($REDIS_N lite messages, trivial rule, one worker"
echo "per consumer; baseline: certmon -r of the same file, one worker)"
printf '%-22s %9s %9s\n' config "msg/s" "xreplay"
printf '%-22s %9s %9s\n' "--publish (XADD)" "$rp" "$(ratio "$rp" "$rr")"
printf '%-22s %9s %9s\n' "-r baseline" "$rr" "1.00"
for k in 1 2 4; do
    m=$(median "redis_c$k" msgs_per_s)
    printf '%-22s %9s %9s\n' "--redis, $k consumer$([ $k = 1 ] || echo s)" \
        "$m" "$(ratio "$m" "$rr")"
done
fi
