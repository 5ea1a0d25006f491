# Broken rules: a runtime error is counted and logged once with file:line
# and a traceback while the other rules go on; load errors name the file
# and line; --check lists every problem.
. "$(dirname "$0")/../lib.sh"

ALL=$FIX/certstream/all.jsonl
mkdir -p "$T/rules"
cat >"$T/rules/a_raises.lua" <<'LUA'
local certmon = require "certmon"
local function deeper(msg)
  return msg.data.no_such_field.x   -- line 3: raises on every certificate
end
return {
  on_cert = function(msg) deeper(msg) end,
}
LUA
cat >"$T/rules/b_counts.lua" <<'LUA'
local certmon = require "certmon"
return {
  on_cert = function(msg) certmon.alert{ i = msg.data.cert_index } end,
}
LUA
$CERTMON -w 2 -r "$ALL" "$T/rules" >"$T/out" 2>"$T/err"
expect_eq "raising rule: exit 0" "$?" 0
expect_eq "raising rule: 9 errors counted" "$(summary_field "$T/err" rule_errors)" 9
expect_eq "raising rule: other rule still alerts 9 times" "$(wc -l <"$T/out")" 9
expect_eq "raising rule: logged once" "$(grep -c "rule 'a_raises' runtime error" "$T/err")" 1
check "raising rule: log has file:line" grep -q "a_raises.lua:3:" "$T/err"
check "raising rule: log has a traceback" grep -q "stack traceback" "$T/err"
check "raising rule: summary per file" grep -q "a_raises.lua: 9 of 9 calls failed" "$T/err"

# alert with something that cannot be encoded: a rule error, not a crash
cat >"$T/bad_alert.lua" <<'LUA'
local certmon = require "certmon"
return { on_cert = function(msg) certmon.alert{ f = print } end }
LUA
$CERTMON -w 1 -r "$ALL" "$T/bad_alert.lua" >"$T/out2" 2>"$T/err2"
expect_eq "unencodable alert: counted" "$(summary_field "$T/err2" rule_errors)" 9
check "unencodable alert: explained" grep -q "alert field 'f': cannot encode a function value" "$T/err2"

# load errors: syntax error, no table, no handler, wrong handler type
mkdir -p "$T/broken"
printf 'return {\n  on_cert = function(msg)\n    if then end\n  end,\n}\n' >"$T/broken/syntax.lua"
printf -- '-- returns nothing\nlocal x = 1\n' >"$T/broken/notable.lua"
printf 'return {\n  name = "nohandler",\n}\n' >"$T/broken/nohandler.lua"
printf 'local t = {}\nreturn { on_cert = "yes" }\n' >"$T/broken/wrongtype.lua"
printf 'error("refusing to load")\n' >"$T/broken/raises.lua"
cp "$T/rules/b_counts.lua" "$T/broken/ok.lua"
$CERTMON --check "$T/broken" >"$T/out3" 2>"$T/err3"
expect_eq "--check: exit 1 on problems" "$?" 1
check "--check: syntax error with file:line" grep -q "^$T/broken/syntax.lua:3: .*near 'then'" "$T/err3"
check "--check: no table named" grep -q "^$T/broken/notable.lua:2: a rule must return a table" "$T/err3"
check "--check: no handler named" grep -q "^$T/broken/nohandler.lua:1: a rule must return a table with on_cert or on_message" "$T/err3"
check "--check: wrong type named" grep -q "^$T/broken/wrongtype.lua:2: rule field 'on_cert' must be a function" "$T/err3"
check "--check: runtime error at load" grep -q "^$T/broken/raises.lua:1: refusing to load" "$T/err3"
check "--check: counts" grep -q "5 of 6 rule files have problems" "$T/err3"
check "--check: nothing on stdout" test ! -s "$T/out3"

$CERTMON --check --sample none "$T/rules" 2>"$T/err4"
expect_eq "--check: exit 0 when all load" "$?" 0
check "--check: says OK" grep -q "2 rule files OK" "$T/err4"
# --check reads no source: no -r needed, and a given one is not read
$CERTMON --check --sample none -r /nonexistent "$T/rules" 2>/dev/null
expect_eq "--check: does not read the source" "$?" 0

# starting with a broken rule refuses to run and says why
$CERTMON -r "$ALL" "$T/broken/syntax.lua" >/dev/null 2>"$T/err5"
expect_eq "broken rule at start: exit 1" "$?" 1
check "broken rule at start: file:line" grep -q "syntax.lua:3:" "$T/err5"

# --check --sample runs every handler on real messages: a misspelled field
# or API call, which loading cannot see, fails with file:line
$CERTMON --check --sample "$ALL" "$T/rules" >"$T/out4s" 2>"$T/err4s"
expect_eq "--check --sample: a handler that raises fails the check" "$?" 1
check "--check --sample: file:line, the nil field, handler and message" \
    grep -q "^$T/rules/a_raises.lua:3: attempt to index a nil value (field 'no_such_field') (on_cert on $ALL line 1)\$" \
    "$T/err4s"
check "--check --sample: reported once per file" \
    test "$(grep -c a_raises "$T/err4s")" -eq 1
check "--check --sample: the count" \
    grep -q "^certmon: 1 of 2 rule files has problems" "$T/err4s"
mkdir -p "$T/typos"
cat >"$T/typos/alrt.lua" <<'LUA'
local certmon = require "certmon"
return { on_message = function(msg)
  if msg.message_type == "heartbeat" then certmon.alrt{ t = 1 } end
end }
LUA
$CERTMON --check --sample "$ALL" "$T/typos" 2>"$T/err4t"
expect_eq "--check --sample: a misspelled API call fails" "$?" 1
check "--check --sample: the call is named, on the message that reached it" \
    grep -q "alrt.lua:3: attempt to call a nil value (field 'alrt') (on_message on $ALL line 10)" \
    "$T/err4t"
$CERTMON --check --sample "$ALL" "$T/broken/ok.lua" 2>"$T/err4o"
expect_eq "--check --sample: handlers that cope pass" "$?" 0
check "--check --sample: says the handlers ran" \
    grep -q "1 rule file OK; every handler ran on $ALL" "$T/err4o"
$CERTMON --check --sample "$T/nope.jsonl" "$T/rules" 2>"$T/err4n"
expect_eq "--check --sample: a missing sample is an error" "$?" 1
check "--check --sample: named" grep -q "sample $T/nope.jsonl: No such file" \
    "$T/err4n"

# duplicate names are refused
printf 'return { name = "b_counts", on_cert = function() end }\n' >"$T/rules/c_dup.lua"
$CERTMON --check --sample none "$T/rules" 2>"$T/err6"
check "duplicate rule name refused" grep -q "duplicate rule name 'b_counts'" "$T/err6"
rm "$T/rules/c_dup.lua"

# Regression: one file named twice (its folder and itself, or through a
# link) was refused as a duplicate of itself; it is loaded once.
ln -s "$T/rules" "$T/rules_link"
$CERTMON --check --sample none "$T/rules/" "$T/rules/b_counts.lua" "$T/rules_link" \
    "$T/rules//a_raises.lua" 2>"$T/err6b"
expect_eq "the same file named twice: accepted" "$?" 0
check "the same file named twice: loaded once" \
    grep -q "^certmon: .*2 rule files OK" "$T/err6b"

# require finds modules next to the rule and in lua/
mkdir -p "$T/withmod"
printf 'return { twice = function(x) return 2 * x end }\n' >"$T/withmod/helper.lua"
cat >"$T/withmod/uses.lua" <<'LUA'
local certmon = require "certmon"
local helper = require "helper"
return { on_cert = function(msg) certmon.alert{ v = helper.twice(1) } end }
LUA
$CERTMON -w 1 -n 1 -r "$ALL" "$T/withmod/uses.lua" 2>/dev/null | strip_time >"$T/out7"
expect_eq "require next to the rule" "$(cat "$T/out7")" '{"rule":"uses","v":2}'

# rule folder with no rules
mkdir -p "$T/none"
$CERTMON -r "$ALL" "$T/none" 2>"$T/err8"
expect_eq "empty rule folder: exit 1" "$?" 1
check "empty rule folder: said" grep -q "no rule files" "$T/err8"

# print goes to stderr, never into the alert stream
printf 'return { on_cert = function(m) print("hello", 1) end }\n' >"$T/printer.lua"
$CERTMON -w 1 -n 1 -r "$ALL" "$T/printer.lua" >"$T/out9" 2>"$T/err9"
check "print: not on stdout" test ! -s "$T/out9"
check "print: on stderr" grep -q "print: hello	1" "$T/err9"

# regression: a rule's failures were logged once per run, so a daemon
# whose rule broke again hours later never said so. The allowance is
# renewed every status interval, and the renewal says how many were not
# logged.
mkfifo "$T/in3"
$CERTMON --stats-interval 1 -w 1 -r - "$T/rules/a_raises.lua" \
    <"$T/in3" >/dev/null 2>"$T/err3" &
pid3=$!
exec 3>"$T/in3"
head -n 3 "$ALL" >&3
wait_for '[ "$(grep -c "rule '"'"'a_raises'"'"' runtime error" "$T/err3")" -ge 1 ]' 30
sleep 1.5          # at least one status interval has passed
head -n 3 "$ALL" >&3
wait_for '[ "$(grep -c "rule '"'"'a_raises'"'"' runtime error" "$T/err3")" -ge 2 ]' 30
exec 3>&-
wait $pid3
expect_eq "rule errors: exit 0 after stdin closes" "$?" 0
expect_eq "rule errors: logged again in a later interval" \
    "$(grep -c "rule 'a_raises' runtime error" "$T/err3")" 2
check "rule errors: the renewal says how many were not logged" \
    grep -q "further runtime errors of .*a_raises.lua were not logged" "$T/err3"
