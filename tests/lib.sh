# Shell helpers for integration tests: sourced by tests/integration/*.sh.
#
# ok NAME / not_ok NAME print the line protocol tests/run.sh counts;
# check NAME CMD... runs CMD and reports; expect_eq NAME GOT WANT compares.
# $T is a fresh temporary folder removed at exit; $CERTMON the binary.

set -u
CERTMON=${CERTMON_BIN:?CERTMON_BIN not set: run through make test}
TOP=${CERTMON_TOP:?}
TOOLS=${CERTMON_TOOLS:?}
FIX=$TOP/tests/fixtures
T=$(mktemp -d "${TMPDIR:-/tmp}/certmon-it.XXXXXX")
# At exit: close descriptors 3 and 4 (pipes some scripts read servers'
# events from), kill the servers named in $T/pids (one pid a line, for
# those a script starts itself) and every child, remove $T -- or keep it,
# and say where, with TEST_KEEP=1 (to look at what a failing case left).
test_cleanup() {
    exec 3>&- 4>&- 2>/dev/null
    kill $(cat "$T/pids" 2>/dev/null) $(jobs -p) 2>/dev/null
    pkill -P $$ 2>/dev/null
    if [ -n "${TEST_KEEP:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap test_cleanup EXIT
# the state folder (CT positions, the certmon.store snapshot) of this test
# only, never the user's: a test run must not change the next one
XDG_STATE_HOME=$T/state; export XDG_STATE_HOME

ok()     { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; }

check() {
    name=$1; shift
    if "$@"; then ok "$name"; else not_ok "$name"; fi
}

expect_eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else
        not_ok "$1"; echo "#   got:  $2"; echo "#   want: $3"; fi
}

# summary_field FILE KEY: the value of KEY= on the "certmon: certs=" line.
summary_field() {
    grep '^certmon: certs=' "$1" | tail -n 1 | tr ' ' '\n' |
        sed -n "s/^$2=//p"
}

# strip_time: alerts without their "time" field, for exact comparisons.
strip_time() {
    sed 's/"time":[0-9.e+-]*,\{0,1\}//'
}

# wait_for COND_CMD [TIMEOUT_S]: poll until COND_CMD succeeds.
wait_for() {
    cond=$1; limit=${2:-10}; i=0
    while ! eval "$cond"; do
        i=$((i + 1)); [ $i -gt $((limit * 20)) ] && return 1
        sleep 0.05
    done
}
