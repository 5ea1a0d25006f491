# install.sh: make install with PREFIX and DESTDIR, then the installed
# binary run with its installed rules from anywhere; a copied binary that
# finds its files through CERTMON_HOME (and says where it looked when it
# cannot); --version; the man page and the README name every option of
# --help; the systemd unit is hardened and passes systemd-analyze verify.

. "$(dirname "$0")/../lib.sh"

HOME=$T/home; export HOME; unset XDG_STATE_HOME CERTMON_HOME CERTMON_LUA_DIR
MSGS=$FIX/certstream/all.jsonl
N=$(wc -l <"$MSGS" | tr -d ' ')
show() { echo "# --- $1"; tail -n 15 "$1" | sed 's/^/#   /'; }
inst() {    # inst LOG MAKE-ARGS...: make install of this build
    make -s -C "$TOP" --no-print-directory install SANITIZE="${SANITIZE:-}" \
        "$@" >"$1" 2>&1
}

# ---- make install DESTDIR=... -------------------------------------------
# The prefix the binary was built with (the default one): another PREFIX
# would rebuild the binary under test, with its prefix compiled in.
PREFIX=$(cat "$TOP/${CERTMON_BUILD:-build/rel}/paths-prefix" 2>/dev/null ||
         echo /usr/local)
D=$T/dest
inst "$T/inst.log" DESTDIR="$D" PREFIX="$PREFIX"
rc=$?
expect_eq "make install DESTDIR=... PREFIX=$PREFIX: exit 0" "$rc" 0
[ "$rc" -eq 0 ] || show "$T/inst.log"
P=$D$PREFIX
check "installed: the binary" test -x "$P/bin/certmon"
check "installed: lua/ under share/certmon" \
    test -f "$P/share/certmon/lua/certmon/domain.lua"
check "installed: the shipped rules and lists under share/certmon/scripts" \
    sh -c "ls '$P/share/certmon/scripts/'*.lua >/dev/null &&
           test -f '$P/share/certmon/scripts/ct/log_list.json'"
check "installed: the man page" test -f "$P/share/man/man1/certmon.1"
check "installed: the systemd unit, ExecStart at the installed binary" \
    grep -q "^ExecStart=$PREFIX/bin/certmon " "$P/lib/systemd/system/certmon.service"
check "the binary was not rebuilt by make install" \
    cmp -s "$CERTMON" "$P/bin/certmon"

# the installed binary, run from elsewhere, with the installed rules
(cd / && "$P/bin/certmon" -v -w 1 -r "$MSGS" >"$T/i.out" 2>"$T/i.err")
rc=$?
expect_eq "installed binary with the installed rules: exit 0" "$rc" 0
expect_eq "... every message through the rules" \
    "$(summary_field "$T/i.err" messages)" "$N"
check "... found its home under share/certmon" \
    grep -q "home: $P/share/certmon\$" "$T/i.err"
check "... no module or folder problems" \
    sh -c "! grep -Eq 'not found|does not exist|cannot watch' '$T/i.err'"
[ "$rc" -eq 0 ] || show "$T/i.err"
(cd / && "$P/bin/certmon" --check >"$T/c.out" 2>&1)
expect_eq "installed binary: --check of the installed rules passes" "$?" 0
# a rule that requires a module nobody has: the one-line error says where
# it looked (it used to end at the colon: the list was on later lines)
mkdir -p "$T/rq"
printf 'local x = require "certmon.nope"\nreturn { name = "x", on_cert = function() end }\n' \
    >"$T/rq/x.lua"
"$P/bin/certmon" --check "$T/rq/x.lua" >"$T/rq.out" 2>&1
check "a missing module: --check names every path it looked for, on one line" \
    grep -q "^$T/rq/x.lua:1: module 'certmon.nope' not found: looked for '$P/share/certmon/lua/certmon/nope.lua', '$P/share/certmon/lua/certmon/nope/init.lua', '$T/rq/certmon/nope.lua'\$" "$T/rq.out"
[ -s "$T/rq.out" ] && grep -q "looked for" "$T/rq.out" || show "$T/rq.out"
expect_eq "--version: the version" "$("$P/bin/certmon" --version)" \
    "certmon $(sed -n 's/.*CERTMON_VERSION "\(.*\)".*/\1/p' "$TOP/core/version.h")"

# ---- a copied binary ---------------------------------------------------
mkdir -p "$T/copy"
cp "$P/bin/certmon" "$T/copy/certmon"
(cd / && "$T/copy/certmon" -v -r "$MSGS" >/dev/null 2>"$T/cp0.err")
rc=$?
if [ "$rc" -eq 0 ] && grep -q "home: " "$T/cp0.err"; then
    # the install prefix compiled in holds a certmon: it was found there
    ok "# SKIP copied binary without CERTMON_HOME: $(sed -n 's/.*home: //p' "$T/cp0.err") has an installed certmon"
else
    expect_eq "copied binary, no CERTMON_HOME: exit 1" "$rc" 1
    check "... says where it looked, in order, and what to set" \
        grep -q "cannot find certmon's files (a folder with lua/certmon/ and scripts/); looked in: $T/copy, .*\$CERTMON_HOME (not set), .*/share/certmon. Set CERTMON_HOME" "$T/cp0.err"
    check "... and no empty 'module not found:'" \
        sh -c "! grep -q 'not found:\$' '$T/cp0.err'"
fi
(cd / && CERTMON_HOME=$P/share/certmon "$T/copy/certmon" -v -w 1 -r "$MSGS" \
    >/dev/null 2>"$T/cp1.err")
rc=$?
expect_eq "copied binary with CERTMON_HOME: exit 0" "$rc" 0
expect_eq "... every message through the installed rules" \
    "$(summary_field "$T/cp1.err" messages)" "$N"
check "... home from CERTMON_HOME" \
    grep -q "home: $P/share/certmon\$" "$T/cp1.err"
(CERTMON_HOME=$T/nowhere "$T/copy/certmon" -r "$MSGS" >/dev/null 2>"$T/cp2.err")
if ! grep -q "looked in" "$T/cp2.err"; then
    ok "# SKIP CERTMON_HOME without lua/: an installed certmon was found"
else
    check "CERTMON_HOME without lua/: named among the places looked" \
        grep -q "looked in: .*$T/nowhere" "$T/cp2.err"
fi

# ---- the man page and README against --help ---------------------------
"$CERTMON" --help >"$T/help"
grep -oE -- '--[a-z][a-z0-9-]*' "$T/help" | sort -u >"$T/opts"
MAN=$TOP/scripts/doc/certmon.1
missing_man="" missing_readme=""
while read -r opt; do
    name=${opt#--}
    esc=$(printf '%s' "$name" | sed 's/-/\\\\-/g')
    grep -Eq -- "\\\\-\\\\-$esc([^a-z0-9\\\\]|\\\\[^-]|\$)" "$MAN" ||
        missing_man="$missing_man $opt"
    grep -Eq -- "$opt([^a-z0-9-]|\$)" "$TOP/README.md" ||
        missing_readme="$missing_readme $opt"
done <"$T/opts"
expect_eq "every option of --help is in the man page" "$missing_man" ""
expect_eq "every option of --help is in the README" "$missing_readme" ""
check "the check can fail: a made-up option is not in the man page" \
    sh -c "! grep -q -- '\\\\-\\\\-no\\\\-such\\\\-option' '$MAN'"
check "the man page names the version --version prints" \
    grep -q "^\\.TH CERTMON 1 .*\"$("$CERTMON" --version)\"" "$MAN"
if command -v groff >/dev/null 2>&1; then
    groff -man -ww -z "$MAN" >"$T/groff.err" 2>&1
    check "the man page renders without groff warnings" \
        sh -c "[ ! -s '$T/groff.err' ]"
    [ -s "$T/groff.err" ] && show "$T/groff.err"
else
    ok "# SKIP man page rendering: groff is not installed"
fi

# ---- the systemd unit --------------------------------------------------
U=$TOP/scripts/systemd/certmon.service
for want in DynamicUser=yes StateDirectory=certmon ProtectSystem=strict \
    NoNewPrivileges=yes ProtectHome=yes PrivateTmp=yes 'MemoryMax=' \
    'CapabilityBoundingSet=$' 'ExecReload=/bin/kill -HUP $MAINPID'; do
    check "unit: $want" grep -q "^$want" "$U"
done
if command -v systemd-analyze >/dev/null 2>&1; then
    # the installed unit, its ExecStart pointed into DESTDIR so that the
    # binary it names exists
    mkdir -p "$T/units"
    IU=$T/units/certmon.service
    sed "s|^ExecStart=$PREFIX/bin/certmon|ExecStart=$P/bin/certmon|" \
        "$P/lib/systemd/system/certmon.service" >"$IU"
    systemd-analyze verify --man=no "$IU" >"$T/verify" 2>&1
    rc=$?
    expect_eq "systemd-analyze verify on the installed unit" "$rc" 0
    [ "$rc" -eq 0 ] || show "$T/verify"
    sed 's/^NoNewPrivileges=yes/NoNewPrivileges=perhaps/' "$IU" \
        >"$T/units/broken.service"
    systemd-analyze verify --man=no "$T/units/broken.service" \
        >"$T/verify2" 2>&1
    check "... and verify does catch a bad value here" \
        grep -q "broken.service:[0-9]*: Failed to parse boolean value" "$T/verify2"
else
    ok "# SKIP systemd-analyze verify: systemd-analyze is not installed"
fi

# ---- make uninstall ----------------------------------------------------
make -s -C "$TOP" --no-print-directory uninstall DESTDIR="$D" PREFIX="$PREFIX" \
    >/dev/null 2>&1
check "make uninstall removes what install put there" \
    sh -c "[ ! -e '$P/bin/certmon' ] && [ ! -e '$P/share/certmon' ] &&
           [ ! -e '$P/share/man/man1/certmon.1' ] &&
           [ ! -e '$P/lib/systemd/system/certmon.service' ]"
