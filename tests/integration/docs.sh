# The documentation says what the binary does: every option of --help is
# in the README's options table.
. "$(dirname "$0")/../lib.sh"

"$CERTMON" --help >"$T/help"
expect_eq "--help exits 0" "$?" 0
sed -n 's/^ *\(-[a-z], \)\{0,1\}\(--[a-z0-9-]*\).*/\2/p' "$T/help" | sort -u \
    >"$T/opts"
check "--help lists options" test "$(wc -l <"$T/opts")" -ge 40
missing=""
while read -r opt; do
    grep '^|' "$TOP/README.md" | grep -q -- "$opt[\` ,]" ||
        missing="$missing $opt"
done <"$T/opts"
expect_eq "every option of --help is in the README" "$missing" ""
