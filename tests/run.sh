#!/bin/sh
# Runs every test program and integration script, counts their results.
#
# Each test prints one line per case: "ok - NAME" or "not ok - NAME".
# A program that exits non-zero without printing a failure counts as one
# failed case of its own, so a crash is never silent. The last line is
# "N passed, N failed"; the exit status is non-zero when anything failed.
#
# Environment: CERTMON_BUILD (build dir), CERTMON_BIN (binary under test),
# TESTS (optional space-separated subset, e.g. "test_queue replay.sh").

top=$(cd "$(dirname "$0")/.." && pwd)
build=${CERTMON_BUILD:-build/rel}
CERTMON_BIN=$(cd "$top" && realpath "${CERTMON_BIN:-certmon}")
CERTMON_TOOLS="$top/$build/tools"
CERTMON_TOP="$top"
export CERTMON_BIN CERTMON_TOOLS CERTMON_TOP
passed=0
failed=0
failures=""
log=$(mktemp -d "${TMPDIR:-/tmp}/certmon-tests.XXXXXX")

selected() {
    [ -z "$TESTS" ] && return 0
    for t in $TESTS; do [ "$t" = "$1" ] && return 0; done
    return 1
}

ran=" "
run_one() {   # name, command...
    name=$1; shift
    selected "$name" || return 0
    ran="$ran$name "
    out="$log/$name.out"
    t0=$(date +%s)
    "$@" >"$out" 2>&1
    rc=$?
    secs=$(($(date +%s) - t0))
    p=$(grep -c '^ok ' "$out")
    f=$(grep -c '^not ok ' "$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "not ok - $name exited with status $rc" >>"$out"
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -ne 0 ]; then
        echo "FAIL $name ($p passed, $f failed, ${secs}s)"
        grep -v '^ok ' "$out" | tail -n 40 | sed 's/^/    /'
        failures="$failures $name"
    else
        echo "PASS $name ($p, ${secs}s)"
    fi
}

for t in "$top/$build"/tests/test_*; do
    [ -x "$t" ] || continue
    run_one "$(basename "$t")" "$t"
done
for t in "$top"/tests/integration/*.sh; do
    [ -f "$t" ] || continue
    run_one "$(basename "$t")" sh "$t"
done

rm -rf "$log"
# a name in TESTS that matches nothing is a mistake, not a pass
for t in $TESTS; do
    case "$ran" in
    *" $t "*) ;;
    *) echo "FAIL $t: no such test (names: test_<module> or <script>.sh)"
       failed=$((failed + 1)); failures="$failures $t" ;;
    esac
done
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
