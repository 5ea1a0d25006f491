#!/bin/sh
# Runs fuzz targets built by `make fuzz-bins` (tests/fuzz/fuzz.mk).
#
#   run.sh [-j N] [-w WORKDIR] [-f FINDINGS] SECONDS TARGET...
#
# For each target: first every input of tests/fuzz/regressions/TARGET/ is
# replayed (each was a finding once: it must stay fixed), then libFuzzer
# runs for SECONDS on a scratch copy of tests/fuzz/corpus/TARGET/ in
# WORKDIR (default build/fuzz/work, kept between runs so that make fuzz
# builds on what earlier runs found). Prints "ok - ..." / "not ok - ..."
# per step (the lines tests/run.sh counts) and, per target, the final
# coverage and exec/s. A finding is saved in FINDINGS/TARGET/ (default
# WORKDIR/findings), and its libFuzzer report and first bytes printed: copy
# it into tests/fuzz/regressions/TARGET/ under a name saying what it is.
# -j N runs N targets at a time. Exit status 1 when anything failed.

top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${FUZZ_BUILD:-$top/build/fuzz}
case $bin in /*) ;; *) bin=$top/$bin ;; esac
jobs=1
work=$bin/work
findings=
while [ $# -gt 0 ]; do
    case $1 in
    -j) jobs=$2; shift 2 ;;
    -w) work=$2; shift 2 ;;
    -f) findings=$2; shift 2 ;;
    *) break ;;
    esac
done
secs=${1:?usage: run.sh [-j N] [-w DIR] [-f DIR] SECONDS TARGET...}
findings=${findings:-$work/findings}
shift
[ $# -gt 0 ] || { echo "run.sh: no targets" >&2; exit 2; }

# Per target: the longest input (bytes), the dictionary, and the largest
# single allocation (MiB) allowed. ct_tiles caps its output at 256 KiB, so
# anything bigger means a body was inflated past the cap.
opts() {
    case $1 in
    json_parse|ct_loglist) echo "16384 json.dict 64" ;;
    msg_table)             echo "12000 json.dict 64" ;;
    ct_entry)              echo "20000 json.dict 64" ;;
    ct_sth)                echo "4096 json.dict 64" ;;
    ct_tiles)              echo "20000 - 1" ;;
    ws_frame)              echo "4096 http.dict 64" ;;
    url)                   echo "400 - 64" ;;
    x509_message)          echo "8192 - 64" ;;
    alert)                 echo "4096 - 64" ;;
    ct_policy)             echo "256 - 64" ;;
    *)                     echo "4096 - 64" ;;
    esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# one_target NAME: replays, fuzzes, reports; its output goes to stdout.
one_target() {
    t=$1
    exe=$bin/fuzz_$t
    set -- $(opts "$t")
    max_len=$1 dict=$2 malloc_mb=$3
    if [ ! -x "$exe" ]; then
        echo "not ok - fuzz $t: $exe not built (make fuzz-bins)"
        return 1
    fi
    flags="-max_len=$max_len -malloc_limit_mb=$malloc_mb -rss_limit_mb=1536 -timeout=60"
    [ "$dict" != - ] && flags="$flags -dict=$top/tests/fuzz/$dict"
    rc=0
    reg=$top/tests/fuzz/regressions/$t
    if [ -d "$reg" ] && [ -n "$(ls "$reg")" ]; then
        for f in "$reg"/*; do
            if "$exe" $flags -runs=1 "$f" >"$work/$t.replay.log" 2>&1; then
                echo "ok - fuzz $t regression $(basename "$f")"
            else
                echo "not ok - fuzz $t regression $(basename "$f")"
                grep -E 'ERROR|SUMMARY|assertion|differ|not JSON|#[0-9]+ 0x' \
                    "$work/$t.replay.log" | grep -Ev 'fuzzer::|libc|_start|in main ' |
                    head -n 20 | sed 's/^/#   /'
                rc=1
            fi
        done
    fi
    mkdir -p "$work/corpus/$t" "$findings/$t"
    cp "$top/tests/fuzz/corpus/$t"/* "$work/corpus/$t/" 2>/dev/null
    # -print_final_stats: the last lines say exec/s and coverage
    "$exe" $flags -max_total_time="$secs" -print_final_stats=1 \
        -artifact_prefix="$findings/$t/" "$work/corpus/$t" \
        >"$work/$t.log" 2>&1
    frc=$?
    stats=$(grep -E '^#[0-9]+' "$work/$t.log" | tail -n 1)
    cov=$(echo "$stats" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$stats" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$t.log")
    if [ "$frc" -eq 0 ]; then
        echo "ok - fuzz $t ${secs}s: $runs runs, $eps exec/s, cov $cov, ft $ft"
    else
        echo "not ok - fuzz $t ${secs}s: libFuzzer exited $frc"
        grep -E 'ERROR|SUMMARY|assertion|differ|not JSON|reference|Test unit written|#[0-9]+ 0x' \
            "$work/$t.log" | grep -Ev 'fuzzer::|libc|_start|in main ' |
            head -n 30 | sed 's/^/#   /'
        unit=$(sed -n 's/.*Test unit written to //p' "$work/$t.log" | tail -n 1)
        if [ -f "$unit" ]; then
            echo "#   the input, first 256 bytes:"
            od -An -c "$unit" | head -n 16 | sed 's/^/#   /'
        fi
        rc=1
    fi
    return $rc
}

mkdir -p "$work"
status=0
running=0
for t in "$@"; do
    ( one_target "$t" >"$work/$t.result" 2>&1; echo $? >"$work/$t.rc" ) &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait
        running=0
    fi
done
wait
for t in "$@"; do
    cat "$work/$t.result"
    [ "$(cat "$work/$t.rc")" = 0 ] || status=1
done
exit $status
