# certmon.store across restarts: a rule that alerts once per domain per
# day (certmon.store.seen) stays quiet on a second run with the same
# --state-dir; a corrupt snapshot is named, set aside, and the run goes on;
# kill -9 loses at most what came after the last periodic snapshot.
. "$(dirname "$0")/../lib.sh"

ALL=$FIX/certstream/all.jsonl
RULE=$FIX/rules/once_per_domain.lua
ST=$T/st

# the first run: one alert per domain, and the snapshot written at exit
$CERTMON -w 2 --state-dir "$ST" -r "$ALL" "$RULE" >"$T/out1" 2>"$T/err1"
expect_eq "first run: exit 0" "$?" 0
N=$(wc -l <"$T/out1")
check "first run: alerts" [ "$N" -gt 5 ]
expect_eq "first run: one alert per domain" \
    "$(sort -u "$T/out1" | sed 's/"time":[0-9.e+-]*,//' | sort -u | wc -l)" "$N"
expect_eq "snapshot: versioned header" "$(head -n 1 "$ST/store.snap")" \
    "certmon-store 1"
expect_eq "snapshot: one record per domain" \
    "$(grep -c '^m ' "$ST/store.snap")" "$N"
expect_eq "snapshot: end line" "$(tail -n 1 "$ST/store.snap")" "end $N"
check "snapshot: mode 0600" [ "$(stat -c %a "$ST/store.snap")" = 600 ]

# the second run restores the marks: no domain alerts again
$CERTMON -w 2 --state-dir "$ST" -r "$ALL" "$RULE" >"$T/out2" 2>"$T/err2"
expect_eq "second run: exit 0" "$?" 0
expect_eq "second run: no alert" "$(wc -l <"$T/out2")" 0
check "second run: the load is logged" \
    grep -q "certmon.store: $N entries from $ST/store.snap" "$T/err2"

# --no-store-snapshot: an empty store, the file left alone
cp "$ST/store.snap" "$T/before"
$CERTMON -w 1 --no-store-snapshot --state-dir "$ST" -r "$ALL" "$RULE" \
    >"$T/out3" 2>/dev/null
expect_eq "--no-store-snapshot: every alert" "$(wc -l <"$T/out3")" "$N"
check "--no-store-snapshot: file untouched" cmp -s "$T/before" "$ST/store.snap"

# a replay without --state-dir neither loads nor saves (reproducible runs)
$CERTMON -w 1 -r "$ALL" "$RULE" >"$T/out4" 2>/dev/null
expect_eq "replay without --state-dir: every alert" "$(wc -l <"$T/out4")" "$N"
check "replay without --state-dir: no default snapshot" \
    [ ! -e "$XDG_STATE_HOME/certmon/store.snap" ]

# --check and --test never touch it
$CERTMON --check --state-dir "$ST" "$RULE" >/dev/null 2>&1
$CERTMON --test --state-dir "$ST" "$RULE" >/dev/null 2>&1
check "--check and --test: file untouched" cmp -s "$T/before" "$ST/store.snap"

# a corrupt snapshot: one warning naming it, set aside, the run goes on
head -c 60 "$T/before" >"$ST/store.snap"       # truncated mid-record
$CERTMON -w 1 --state-dir "$ST" -r "$ALL" "$RULE" >"$T/out5" 2>"$T/err5"
expect_eq "corrupt: exit 0" "$?" 0
expect_eq "corrupt: one warning naming the file" \
    "$(grep -c "warning: $ST/store.snap: corrupt store snapshot" "$T/err5")" 1
check "corrupt: the warning says it was set aside" \
    grep -q "set aside as $ST/store.snap.corrupt-[0-9]*" "$T/err5"
expect_eq "corrupt: file set aside" \
    "$(ls "$ST" | grep -c '^store.snap.corrupt-[0-9]*$')" 1
expect_eq "corrupt: an empty store, every alert" "$(wc -l <"$T/out5")" "$N"
expect_eq "corrupt: a good snapshot written at exit" \
    "$(tail -n 1 "$ST/store.snap")" "end $N"

# a wrong version is set aside as well
sed '1s/.*/certmon-store 99/' "$T/before" >"$ST/store.snap"
$CERTMON -w 1 --state-dir "$ST" -r "$ALL" "$RULE" >"$T/out6" 2>"$T/err6"
check "version 99: reported" grep -q "unsupported version" "$T/err6"
expect_eq "version 99: every alert" "$(wc -l <"$T/out6")" "$N"

# kill -9 mid-run: the periodic snapshot keeps what it had saved. The
# replay reads a FIFO this script holds open, so the run stays alive.
rm -rf "$ST"
mkfifo "$T/fifo"
$CERTMON -w 1 --state-dir "$ST" --store-snapshot-interval 1 \
    -r "$T/fifo" "$RULE" >"$T/out7" 2>"$T/err7" &
pid=$!
exec 3>"$T/fifo"
cat "$ALL" >&3
check "kill -9: all messages processed" \
    wait_for "[ \$(wc -l <'$T/out7') -eq $N ]" 30
check "kill -9: a periodic snapshot holds them" \
    wait_for "tail -n 1 '$ST/store.snap' 2>/dev/null | grep -qx 'end $N'" 30
kill -9 $pid
wait $pid 2>/dev/null
exec 3>&-
$CERTMON -w 1 --state-dir "$ST" -r "$ALL" "$RULE" >"$T/out8" 2>"$T/err8"
expect_eq "after kill -9: no alert for what was snapshotted" \
    "$(wc -l <"$T/out8")" 0
check "after kill -9: the snapshot loads cleanly" \
    sh -c "! grep -q corrupt '$T/err8'"
