# Bad input is counted, reported with its line number (a few times, then
# only counted) and skipped; nothing else is lost.
. "$(dirname "$0")/../lib.sh"

ALL=$FIX/certstream/all.jsonl
RULE=$FIX/rules/fields.lua
HB='{"message_type":"heartbeat","timestamp":1509613330.63217}'

# line 1 good, 2 blank, 3 invalid JSON, 4 an array, 5 CRLF good, 6 spaces,
# 7 oversized, 8 truncated JSON, 9 a number, 10 good, 11 good without "\n"
{
    echo "$HB"
    echo ""
    echo "{not json"
    echo "[1,2,3]"
    printf '%s\r\n' "$HB"
    echo "   "
    printf '{"message_type":"heartbeat","pad":"%02000d"}\n' 0
    echo '{"message_type":"heartbeat",'
    echo "42"
    echo "$HB"
    printf '%s' "$HB"
} >"$T/mixed"
$CERTMON -w 2 --max-message-size 1k -r "$T/mixed" "$RULE" >"$T/out" 2>"$T/err"
expect_eq "mixed: exit 0" "$?" 0
expect_eq "mixed: 4 good messages processed" "$(summary_field "$T/err" messages)" 4
expect_eq "mixed: 4 alerts" "$(wc -l <"$T/out")" 4
expect_eq "mixed: 5 parse errors" "$(summary_field "$T/err" parse_errors)" 5
check "mixed: invalid JSON reported with its file and line" grep -q "$T/mixed line 3: invalid message" "$T/err"
check "mixed: array reported as not an object" grep -q "line 4: invalid message: not a JSON object" "$T/err"
check "mixed: oversized line reported with its line" grep -q "mixed:7: line longer than --max-message-size" "$T/err"
check "mixed: truncated JSON reported" grep -q "line 8: invalid message" "$T/err"

# many bad lines: the first few are logged, then one suppression line
for i in $(seq 1 200); do echo "garbage $i"; done >"$T/garbage"
cat "$ALL" >>"$T/garbage"
$CERTMON -w 2 -r "$T/garbage" "$RULE" >"$T/out2" 2>"$T/err2"
expect_eq "garbage: 200 parse errors counted" "$(summary_field "$T/err2" parse_errors)" 200
expect_eq "garbage: good messages after it all processed" "$(summary_field "$T/err2" messages)" 11
logged=$(grep -c "invalid message" "$T/err2")
check "garbage: logged a few times, not 200 ($logged)" test "$logged" -le 5
check "garbage: says the rest are only counted" grep -q "further parse errors are counted, not logged" "$T/err2"

# a huge line with no newline at all, then good lines: skipped in bounded memory
{ head -c 3000000 /dev/zero | tr '\0' 'x'; echo; cat "$ALL"; } >"$T/huge"
$CERTMON -w 1 -r "$T/huge" "$RULE" >"$T/out3" 2>"$T/err3"
expect_eq "huge line: counted" "$(summary_field "$T/err3" parse_errors)" 1
expect_eq "huge line: the rest processed" "$(summary_field "$T/err3" messages)" 11

# a missing replay file is a clear error
$CERTMON -r "$T/nope.jsonl" "$RULE" >/dev/null 2>"$T/err4"
expect_eq "missing file: exit 1" "$?" 1
check "missing file: named" grep -q "cannot open $T/nope.jsonl" "$T/err4"

# usage errors exit 2 and say what is wrong
$CERTMON --workers zero "$RULE" 2>"$T/err5"
expect_eq "bad -w value: exit 2" "$?" 2
check "bad -w value: named, with what is accepted" \
    grep -q -- "--workers 'zero': a whole number, from 1 to 256" "$T/err5"
$CERTMON --bogus 2>"$T/err6"
expect_eq "unknown option: exit 2" "$?" 2
$CERTMON --help >"$T/help"
expect_eq "--help: exit 0" "$?" 0
check "--help documents --replay" grep -q -- "--replay FILE" "$T/help"
