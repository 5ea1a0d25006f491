# The build and test commands a new user runs: a missing library names its
# Debian package, make deps without root or sudo prints the command to
# run, and a TESTS name that matches nothing fails instead of passing.
. "$(dirname "$0")/../lib.sh"

# Nothing is written to the work tree: check-deps compiles nothing.
PKG_CONFIG_LIBDIR=$T/none PKG_CONFIG_PATH= make -s -C "$TOP" check-deps \
    >"$T/deps.out" 2>&1
rc=$?
check "a missing library: make fails" test "$rc" -ne 0
check "a missing library: the Debian package is named, and make deps" \
    grep -q "missing development packages: liblua5.4-dev lua-cjson-dev .*zlib1g-dev" \
    "$T/deps.out"
check "a missing library: the command to run is given" \
    grep -q "run 'make deps' (or: apt-get install liblua5.4-dev" "$T/deps.out"
make -s -C "$TOP" check-deps >"$T/deps2.out" 2>&1
check "all libraries there: check-deps passes quietly" \
    sh -c "[ $? -eq 0 ] && [ ! -s '$T/deps2.out' ]"

# make deps as an ordinary user on a machine without sudo: the PATH below
# has the tools make needs and no sudo.
if command -v runuser >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    mkdir -p "$T/bin"
    for t in sh dpkg-query grep id; do
        ln -s "$(command -v $t)" "$T/bin/$t"
    done
    # a copy of the Makefile, since nobody may not be able to enter the
    # checkout (a clone in a private temporary folder)
    mkdir -p "$T/mk"
    cp "$TOP/Makefile" "$T/mk/Makefile"
    chmod 755 "$T" "$T/bin" "$T/mk"
    chmod 644 "$T/mk/Makefile"
    runuser -u nobody -- env PATH="$T/bin" "$(command -v make)" -s \
        -C "$T/mk" deps DEB_PKGS="certmon-no-such-package" >"$T/nosudo.out" 2>&1
    rc=$?
    check "make deps without root or sudo: fails" test "$rc" -ne 0
    check "make deps without root or sudo: prints the apt-get command" \
        grep -q "apt-get update && apt-get install -y certmon-no-such-package" \
        "$T/nosudo.out"
else
    ok "make deps without root or sudo # SKIP needs root and runuser"
    ok "make deps without root or sudo: the command # SKIP needs root and runuser"
fi

# TESTS with a name that matches no test
CERTMON_BUILD=${CERTMON_BUILD:-build/rel} TESTS="no_such_test" \
    sh "$TOP/tests/run.sh" >"$T/run.out" 2>&1
rc=$?
check "TESTS=typo: the run fails" test "$rc" -ne 0
check "TESTS=typo: says no such test" \
    grep -q "^FAIL no_such_test: no such test" "$T/run.out"
check "TESTS=typo: the count says 1 failed" \
    grep -q "^0 passed, 1 failed$" "$T/run.out"
