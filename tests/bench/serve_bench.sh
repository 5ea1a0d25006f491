#!/bin/sh
# make bench-serve: the fan-out cost of --serve. One producer (certmon
# --replay of full messages, a rule that does nothing, -w 1) serves the
# lite path "/" to K clients (tests/bench/ws_count: certmon's WebSocket
# client, counting only), K = 1, 10, 100. The producer starts once all K
# are connected (--serve-wait-clients) and every client must get all N
# messages (the client buffer is set far above the feed).
#
#   delivered/s   K x N / the slowest client's span (first to last message)
#   cpu_ms/1k/cl  (producer CPU - the same replay without --serve)
#                 per 1,000 messages per client
#
#   sh tests/bench/serve_bench.sh [--quick]
# Environment: CERTMON_BIN (./certmon), BENCH_TOOLS (build/rel/bench).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CERTMON=${CERTMON_BIN:-./certmon}
case $CERTMON in /*) ;; *) CERTMON=$ROOT/$CERTMON ;; esac
TOOLS=${BENCH_TOOLS:-build/rel/bench}
case $TOOLS in /*) ;; *) TOOLS=$ROOT/$TOOLS ;; esac
N=8000        # under the server inbox (10,000), so that nothing is skipped
[ "${1:-}" = "--quick" ] && N=300
T=$(mktemp -d "${TMPDIR:-/tmp}/certmon-serve-bench.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT

# full messages with chain and DER (tests/fixtures/certstream/all.jsonl
# lines 4, 6, 7, 8), repeated to N
: >"$T/feed.jsonl"
awk 'NR == 4 || NR == 6 || NR == 7 || NR == 8' \
    "$ROOT/tests/fixtures/certstream/all.jsonl" >"$T/one.jsonl"
while [ "$(wc -l <"$T/feed.jsonl" 2>/dev/null || echo 0)" -lt "$N" ]; do
    cat "$T/one.jsonl" >>"$T/feed.jsonl"
done
head -n "$N" "$T/feed.jsonl" >"$T/f" && mv "$T/f" "$T/feed.jsonl"
printf 'return { on_cert = function(msg) end }\n' >"$T/none.lua"
COMMON="-w 1 --no-reload -q --stats-interval 0"

cpu() { awk '{ printf "%.3f", $2 + $3 }' "$1"; }   # user + system

/usr/bin/time -f "%e %U %S" -o "$T/base.time" \
    "$CERTMON" $COMMON -r "$T/feed.jsonl" "$T/none.lua" 2>/dev/null
base=$(cpu "$T/base.time")
echo "certmon serve bench: $N messages, lite path, $(nproc) CPUs," \
     "$(date -u +%Y-%m-%dT%H:%MZ); replay without --serve: cpu_s=$base"
printf '%8s %14s %14s %14s\n' clients delivered/s producer_cpu_s cpu_ms/1k/cl
for K in 1 10 100; do
    rm -f "$T/port" "$T"/c.* "$T/fifo"
    # the feed through a FIFO held open until every client has all N, so
    # that the producer's 10 s drain at the end never cuts a client short
    mkfifo "$T/fifo"
    exec 3<>"$T/fifo"
    /usr/bin/time -f "%e %U %S" -o "$T/serve.time" \
        "$CERTMON" $COMMON --serve 127.0.0.1:0 --serve-port-file "$T/port" \
        --serve-wait-clients "$K" --serve-client-buffer 16g \
        --serve-heartbeat 0 -r "$T/fifo" "$T/none.lua" 2>"$T/serve.err" 3>&- &
    prod=$!
    cat "$T/feed.jsonl" >&3 &
    i=0
    while [ ! -s "$T/port" ]; do
        i=$((i + 1)); [ $i -gt 200 ] && { echo "no producer" >&2; exit 1; }
        sleep 0.05
    done
    port=$(cat "$T/port")
    pids=
    for c in $(seq "$K"); do
        "$TOOLS/ws_count" -u "ws://127.0.0.1:$port/" -n "$N" >"$T/c.$c" 2>&1 3>&- &
        pids="$pids $!"
    done
    wait $pids
    exec 3>&-
    wait "$prod"
    got=$(cat "$T"/c.* | grep -c "msgs=$N ")
    span=$(cat "$T"/c.* | tr ' ' '\n' | sed -n 's/^span_s=//p' | sort -g | tail -n 1)
    scpu=$(cpu "$T/serve.time")
    awk -v k="$K" -v n="$N" -v s="$span" -v c="$scpu" -v b="$base" -v g="$got" 'BEGIN {
        printf "%8d %14.0f %14.3f %14.3f%s\n", k, (s > 0 ? k * n / s : 0), c,
               (c - b) * 1000 * 1000 / (n * k),
               (g == k ? "" : "  (" g " of " k " clients got everything)") }'
done
