#!/bin/sh
# Smoke test of the make bench code (a few hundred messages per
# configuration; measures nothing, asserts no speed): the load generator,
# both baselines and every certmon configuration run and report. Builds the
# bench tools itself.
. "$CERTMON_TOP/tests/lib.sh"

bench_build=$(dirname "$TOOLS")
if (cd "$TOP" && make -s --no-print-directory bench-bins \
        SANITIZE="${SANITIZE:-}" >"$T/build.log" 2>&1); then
    ok "bench: tools build"
else
    not_ok "bench: tools build"; sed 's/^/#   /' "$T/build.log"; exit 0
fi
CERTMON_BIN=$CERTMON BENCH_TOOLS=$bench_build/bench \
    sh "$TOP/tests/bench/bench.sh" --quick --out "$T/out" >"$T/report" 2>&1
check "bench: bench.sh --quick succeeds" test $? -eq 0
raw=$T/out/raw.txt
for label in decode_lite msgtable_lite count_lite countlat_lite \
        trivial_lite_w1 trivial_lite_w2 shipped_lite_w1 shipped_lite_w2 \
        trivlat_lite_w2 shiplat_full_w1 decode_full count_full \
        trivial_full_w2 shipped_full_w2 ct_tiled_lite_trivial_w1 \
        ct_tiled_full_trivial_w2 ct_tiled_lite_shipped_w2 \
        ct_rfc_lite_trivial_w2 ct_rfc_full_trivial_w2 ct_tiled_ceiling \
        ct_rfc_ceiling sink_none sink_webhook; do
    n=$(grep "^$label " "$raw" 2>/dev/null | tr ' ' '\n' \
        | sed -n 's/^msgs=//p' | head -1)
    check "bench: $label ran and counted messages" test "${n:-0}" -gt 0
done
# certmon counted exactly what -n asked for: nothing lost or repeated
n=$(grep "^trivial_full_w2 " "$raw" | tr ' ' '\n' | sed -n 's/^msgs=//p')
expect_eq "bench: certmon measured every message" "$n" 300
n=$(grep "^ct_rfc_lite_trivial_w2 " "$raw" | tr ' ' '\n' | sed -n 's/^msgs=//p')
expect_eq "bench: a CT backtest measured every entry of its range" "$n" 300
# the ceiling (CERTMON_CT_CEILING=1) counts every entry and still ends the
# backtest: each counted entry completes its index
for api in tiled rfc; do
    n=$(grep "^ct_${api}_ceiling " "$raw" | tr ' ' '\n' | sed -n 's/^msgs=//p')
    expect_eq "bench: the $api ceiling counted every entry of its range" "$n" 300
done
check "bench: report has the ceiling rows" \
    grep -q "^tiled ceiling .* 1\.00\$" "$T/report"
check "bench: report has both feeds" grep -q "== full feed" "$T/report"
check "bench: report has the CT section with ratios" \
    grep -q "^tiled lite_trivial_w2 .* [0-9]*\.[0-9][0-9]\$" "$T/report"
check "bench: ratios computed" grep -q "^trivial w=1 .*[0-9]\.[0-9][0-9]" \
    "$T/report"
if command -v redis-server >/dev/null 2>&1; then
    for label in redis_publish redis_replay redis_c1 redis_c2 redis_c4; do
        n=$(grep "^$label " "$raw" | tr ' ' '\n' | sed -n 's/^msgs=//p')
        expect_eq "bench: $label went through every message" "${n:-0}" 500
    done
    check "bench: report has the Redis rows with ratios" \
        grep -q "^--redis, 4 consumers .* [0-9]*\.[0-9][0-9]\$" "$T/report"
fi
