#!/bin/sh
# make bench: certmon over loopback WebSocket against baselines measured
# in the same run. See tests/bench/README.md for what is measured and how.
#
#   sh tests/bench/bench.sh [--runs N] [--quick] [--out DIR]
#
#   --runs N   runs per measurement (default 3); figures are medians
#   --quick    a smoke run: one run of a few hundred messages per
#              configuration (checks the bench code, measures nothing)
#   --out DIR  keep the raw lines there (default: a temporary folder)
#   --only ws|ct|sinks|redis  only the WebSocket, the direct-CT, the
#              alert-sink or the Redis Streams section
#
# Environment: CERTMON_BIN (./certmon), BENCH_TOOLS (build/rel/bench).
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CERTMON=${CERTMON_BIN:-./certmon}
case $CERTMON in /*) ;; *) CERTMON=$ROOT/$CERTMON ;; esac
TOOLS=${BENCH_TOOLS:-build/rel/bench}
case $TOOLS in /*) ;; *) TOOLS=$ROOT/$TOOLS ;; esac
RUNS=3
QUICK=0
OUT=
ONLY=
while [ $# -gt 0 ]; do
    case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --quick) QUICK=1; RUNS=1; shift ;;
    --out) OUT=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
T=$(mktemp -d "${TMPDIR:-/tmp}/certmon-bench.XXXXXX")
[ -n "$OUT" ] || OUT=$T/out
mkdir -p "$OUT"
RAW=$OUT/raw.txt
: > "$RAW"
LG_PIDS=
cleanup() {
    for p in $LG_PIDS; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Feeds, from the real fixture messages (tests/fixtures/certstream/
# SOURCES.md, all.jsonl is compact, one message a line):
#   lite  lines 1, 9: certstream-server-go lite precertificates (~1.5 KB)
#   full  lines 4, 6, 7, 8: full messages with chain and DER (~4.3 KB)
FIX=$ROOT/tests/fixtures/certstream/all.jsonl
awk 'NR == 1 || NR == 9' "$FIX" > "$T/lite.jsonl"
awk 'NR == 4 || NR == 6 || NR == 7 || NR == 8' "$FIX" > "$T/full.jsonl"

TRIVIAL=$ROOT/tests/bench/rules/keyword_count.lua
RARE=$ROOT/tests/bench/rules/rare_alert.lua
EVERY=$ROOT/tests/bench/rules/every_alert.lua
SHIPPED=$ROOT/scripts
RATE=1000

# messages per throughput run: about 1-3 s each on a 2-core machine
if [ "$QUICK" = 1 ]; then
    N_TRIVIAL=300; N_SHIPPED=200; N_COUNT=300; N_LAT=200; DEC_S=0.1
    N_BURST=50
else
    N_TRIVIAL=120000; N_SHIPPED=20000; N_COUNT=200000; N_LAT=1500
    DEC_S=1; N_BURST=2000
fi

# wait_port_file FILE WHAT: waits (up to 60 s) for a helper started in
# the background to write its port to FILE
wait_port_file() {
    i=0
    while [ ! -s "$1" ]; do
        i=$((i + 1))
        [ $i -gt 1200 ] && { echo "bench.sh: $2 did not start" >&2; exit 1; }
        sleep 0.05
    done
}

# start_loadgen NAME FEED [ARGS...]: sets PORT_<NAME>
start_loadgen() {
    name=$1 feed=$2
    shift 2
    rm -f "$T/$name.port"
    "$TOOLS/loadgen" --messages "$T/$feed.jsonl" --port-file "$T/$name.port" \
        "$@" > "$T/$name.log" 2>&1 &
    LG_PIDS="$LG_PIDS $!"
    wait_port_file "$T/$name.port" loadgen
    eval "PORT_$name=\$(cat \"\$T/\$name.port\")"
}

# field LINE KEY: the value of KEY=... in LINE
field() {
    printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}

# record LABEL LINE: keeps a raw result line
record() {
    printf '%s %s\n' "$1" "$2" >> "$RAW"
}

# run_certmon LABEL PORT WORKERS N RULES: one certmon run
run_certmon() {
    out=$(CERTMON_BENCH=1 "$CERTMON" -u "ws://127.0.0.1:$2/" -w "$3" -n "$4" \
          --on-full block --no-reload -q -o /dev/null "$5" 2>&1 \
          | grep 'certmon: bench:')
    if [ -z "$out" ]; then
        echo "bench.sh: certmon run $1 gave no bench line" >&2
        exit 1
    fi
    record "$1" "$out"
}

# run_sink LABEL PORT N [ARGS...]: the rare-alert rule, w=2, with ARGS
# (the alert-sink comparison: no sink against a webhook sink)
run_sink() {
    label=$1 port=$2 n=$3
    shift 3
    out=$(CERTMON_BENCH=1 "$CERTMON" -u "ws://127.0.0.1:$port/" -w 2 -n "$n" \
          --on-full block --no-reload -q -o /dev/null "$@" "$RARE" 2>&1 \
          | grep 'certmon: bench:')
    [ -n "$out" ] || { echo "bench.sh: certmon run $label gave no bench line" >&2; exit 1; }
    record "$label" "$out"
}

# run_burst LABEL HOOK DIR: every certificate alerts, N_BURST of them, to
# the webhook HOOK; the process's wall time from start to exit includes
# delivering every alert (the queue holds them all; the exit drains it),
# and the receiver must have accepted all of them
run_burst() {
    before=$(cat "$3/accepted.jsonl" 2>/dev/null | wc -l)
    t0=$(date +%s.%N)
    "$CERTMON" -u "ws://127.0.0.1:$PORT_fast_lite/" -w 2 -n "$N_BURST" \
        --on-full block --no-reload -q -o /dev/null \
        --alert-queue $((N_BURST + 100)) --alert-timeout 120 \
        --alert-webhook "$2" "$EVERY" 2>"$T/burst.err" ||
        { echo "bench.sh: certmon run $1 failed" >&2; exit 1; }
    t1=$(date +%s.%N)
    got=$(($(wc -l <"$3/accepted.jsonl") - before))
    [ "$got" -eq "$N_BURST" ] ||
        { echo "bench.sh: $1: $got of $N_BURST alerts delivered" >&2; exit 1; }
    record "$1" "$(awk -v n="$N_BURST" -v a="$t0" -v b="$t1" \
        'BEGIN { printf "alerts=%d secs=%.3f alerts_per_s=%.0f", n, b - a, n / (b - a) }')"
}

run_count() {
    out=$("$TOOLS/ws_count" -u "ws://127.0.0.1:$2/" -n "$3" 2>&1 \
          | grep 'certmon: bench:')
    [ -n "$out" ] || { echo "bench.sh: ws_count gave nothing" >&2; exit 1; }
    record "$1" "$out"
}

# median LABEL KEY: median over the runs of LABEL of KEY
median() {
    grep "^$1 " "$RAW" | tr ' ' '\n' | sed -n "s/^$2=//p" | sort -g \
        | awk '{ v[NR] = $1 } END {
                 if (NR == 0) print "nan";
                 else if (NR % 2) print v[(NR + 1) / 2];
                 else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (b + 0 == 0 || a == "nan" || b == "nan") print "-";
        else printf "%.2f", a / b }'
}

echo "certmon bench: $RUNS run(s) each, medians; $(nproc) CPUs;" \
     "$(date -u +%Y-%m-%dT%H:%MZ)"
if [ "$ONLY" != ct ] && [ "$ONLY" != redis ]; then
for feed in lite full; do
    start_loadgen "fast_$feed" "$feed"
    start_loadgen "rate_$feed" "$feed" --rate "$RATE"
done
# local webhook receivers for the alert-sink comparison: one answering
# "Connection: close" (a connection per alert), one keeping connections
start_hook() {
    name=$1
    shift
    python3 "$ROOT/tests/tools/webhook_receiver.py" serve \
        --port-file "$T/$name.port" --dir "$T/$name" "$@" >/dev/null 2>&1 &
    LG_PIDS="$LG_PIDS $!"
    wait_port_file "$T/$name.port" "webhook receiver"
}
start_hook hook
start_hook hook_ka --keep-alive
HOOK="http://127.0.0.1:$(cat "$T/hook.port")/"
HOOK_KA="http://127.0.0.1:$(cat "$T/hook_ka.port")/"

r=1
while [ $r -le "$RUNS" ]; do
    for feed in lite full; do
        [ "$ONLY" = sinks ] && break
        eval "pf=\$PORT_fast_$feed; pr=\$PORT_rate_$feed"
        # baselines
        record "decode_$feed" "$("$TOOLS/decode_bench" --mode cjson \
            --seconds $DEC_S "$T/$feed.jsonl")"
        record "msgtable_$feed" "$("$TOOLS/decode_bench" --mode certmon \
            --seconds $DEC_S "$T/$feed.jsonl")"
        run_count "count_$feed" "$pf" "$N_COUNT"
        run_count "countlat_$feed" "$pr" "$N_LAT"
        for w in 1 2; do
            run_certmon "trivial_${feed}_w$w" "$pf" $w $N_TRIVIAL "$TRIVIAL"
            run_certmon "shipped_${feed}_w$w" "$pf" $w $N_SHIPPED "$SHIPPED"
            run_certmon "trivlat_${feed}_w$w" "$pr" $w $N_LAT "$TRIVIAL"
            run_certmon "shiplat_${feed}_w$w" "$pr" $w $N_LAT "$SHIPPED"
        done
    done
    run_sink sink_none "$PORT_fast_lite" $N_TRIVIAL
    run_sink sink_webhook "$PORT_fast_lite" $N_TRIVIAL --alert-webhook "$HOOK"
    run_burst burst_close "$HOOK" "$T/hook"
    run_burst burst_keepalive "$HOOK_KA" "$T/hook_ka"
    r=$((r + 1))
done

for feed in lite full; do
    [ "$ONLY" = sinks ] && break
    dec=$(median "decode_$feed" msgs_per_s)
    decc=$(median "decode_$feed" cpu_ms_per_1k)
    mt=$(median "msgtable_$feed" msgs_per_s)
    cnt=$(median "count_$feed" msgs_per_s)
    cntc=$(median "count_$feed" cpu_ms_per_1k)
    cntr=$(median "count_$feed" peak_rss_kb)
    cl50=$(median "countlat_$feed" lat_p50_us)
    cl99=$(median "countlat_$feed" lat_p99_us)
    echo
    echo "== $feed feed ($(awk '{ n++; b += length($0) + 1 } END {
        printf "%.0f", b / n }' "$T/$feed.jsonl") bytes a message)"
    echo "baselines: lua-cjson decode $dec msg/s on one core" \
         "($decc ms CPU/1k); certmon decode+normalise $mt msg/s;" \
         "frame count over the socket $cnt msg/s ($cntc ms CPU/1k," \
         "$cntr KB peak RSS, p50/p99 $cl50/$cl99 us at $RATE msg/s)"
    printf '%-16s %9s %7s %7s %9s %7s %8s %13s\n' config "msg/s" "xcjson" \
        "xcount" "ms CPU/1k" "xcjson" "RSS MB" "p50/p99 us"
    for rules in trivial shipped; do
        lat=trivlat
        [ $rules = shipped ] && lat=shiplat
        for w in 1 2; do
            l=${rules}_${feed}_w$w
            m=$(median "$l" msgs_per_s)
            c=$(median "$l" cpu_ms_per_1k)
            rss=$(median "$l" peak_rss_kb)
            p50=$(median "${lat}_${feed}_w$w" lat_p50_us)
            p99=$(median "${lat}_${feed}_w$w" lat_p99_us)
            printf '%-16s %9s %7s %7s %9s %7s %8s %13s\n' \
                "$rules w=$w" "$m" "$(ratio "$m" "$dec")" \
                "$(ratio "$m" "$cnt")" "$c" "$(ratio "$c" "$decc")" \
                "$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')" \
                "$p50/$p99"
        done
    done
done
sn=$(median sink_none msgs_per_s)
sw=$(median sink_webhook msgs_per_s)
echo
echo "alert sinks (lite feed, trivial rule + 1 alert per 1,000 certificates,"
echo "w=2): no sink $sn msg/s, --alert-webhook to a local receiver $sw msg/s" \
     "(x$(ratio "$sw" "$sn"))"
bc=$(median burst_close alerts_per_s)
bk=$(median burst_keepalive alerts_per_s)
echo "alert burst ($N_BURST alerts, one per certificate, start to exit):" \
     "a connection per alert $bc alerts/s, kept connection $bk alerts/s" \
     "(x$(ratio "$bk" "$bc"))"
echo
echo "xcjson: against bare lua-cjson decoding of the same messages on one"
echo "core; xcount: against the frame-counting client (network ceiling)."
fi

# Direct CT backtests against the fake log (tests/bench/ct_bench.sh)
if [ "$ONLY" != ws ] && [ "$ONLY" != sinks ] && [ "$ONLY" != redis ]; then
    . "$ROOT/tests/bench/ct_bench.sh"
fi
# Redis Streams: producer and 1, 2, 4 consumers (tests/bench/redis_bench.sh)
if [ -z "$ONLY" ] || [ "$ONLY" = redis ]; then
    . "$ROOT/tests/bench/redis_bench.sh"
fi
[ "$OUT" = "$T/out" ] || echo "raw lines: $RAW"
if [ "$OUT" = "$T/out" ]; then
    mkdir -p "$ROOT/build/bench"
    cp "$RAW" "$ROOT/build/bench/last-raw.txt"
    echo "(copied to build/bench/last-raw.txt)"
fi
