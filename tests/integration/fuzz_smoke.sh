#!/bin/sh
# The fuzz targets of tests/fuzz/ as part of make test: builds them with
# clang (build/fuzz/, ASan + UBSan + libFuzzer, the same in a normal and
# a SANITIZE=1 run, so the timed part below runs only in the normal one
# unless FUZZ_SMOKE_S is set), replays every input of tests/fuzz/regressions/ (each
# was a finding once), then runs every target for FUZZ_SMOKE_S seconds
# (default 10), two at a time, on a scratch copy of its seed corpus. Any
# crash, sanitizer report, leak, timeout or broken assertion of a target is
# a "not ok" line with the report and the input; the input is kept in
# build/fuzz/findings/TARGET/ to become a regression. make fuzz runs the
# same targets for longer.
. "$CERTMON_TOP/tests/lib.sh"

secs=${FUZZ_SMOKE_S:-10}
if ! command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1; then
    not_ok "fuzz: clang is installed (make deps installs it)"; exit 0
fi
# MAKEFLAGS of the outer make (jobserver) must not leak into this one
if (cd "$TOP" && env -u MAKEFLAGS -u MFLAGS make -s -j2 --no-print-directory \
        fuzz-bins >"$T/build.log" 2>&1); then
    ok "fuzz: targets build"
else
    not_ok "fuzz: targets build"; tail -n 30 "$T/build.log" | sed 's/^/#   /'
    exit 0
fi
targets=$(cd "$TOP/tests/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
n=$(echo $targets | wc -w)
check "fuzz: a target for each parser ($n)" test "$n" -ge 11
for t in $targets; do
    check "fuzz: $t has a seed corpus" test -n "$(ls "$TOP/tests/fuzz/corpus/$t" 2>/dev/null)"
done
# the targets are the same binaries in both passes of CI: the timed run
# happens once, in the normal pass (the SANITIZE=1 one checks the build)
[ "${SANITIZE:-}" = 1 ] && [ -z "${FUZZ_SMOKE_S:-}" ] && exit 0
sh "$TOP/tests/fuzz/run.sh" -j 2 -w "$T/fuzz" -f "$TOP/build/fuzz/findings" \
    "$secs" $targets
