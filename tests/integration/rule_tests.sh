# certmon --test: passes, failures with their differences, every input
# form, sibling NAME_test.lua files, and the exit status.
. "$(dirname "$0")/../lib.sh"

mkdir -p "$T/r"
cat >"$T/r/tagger.lua" <<'LUA'
local certmon = require "certmon"
return {
  on_cert = function(msg)
    for _, d in ipairs(msg.data.leaf_cert.all_domains) do
      if d:find("shop", 1, true) then
        certmon.alert{ domain = d, tags = { "shop", #d },
                       index = msg.data.cert_index }
      end
      if d == "boom.example" then error("boom on " .. d) end
    end
  end,
  tests = {
    { name = "domains shorthand", domains = { "myshop.example" },
      expect = { { domain = "myshop.example", tags = { "shop", 14 } } } },
    { name = "no alert", domains = { "example.org" }, expect = {} },
    { name = "json input",
      json = '{"message_type":"certificate_update","data":{"cert_index":7.0,'
          .. '"leaf_cert":{"all_domains":["a.shop"]}}}',
      expect = { { domain = "a.shop", index = 7 } } },
    { name = "wrong field on purpose", domains = { "shop.example" },
      expect = { { domain = "shop.example", tags = { "shop", 99 } } } },
    { name = "wrong count on purpose", domains = { "shop1.x", "shop2.x" },
      expect = { { domain = "shop1.x" } } },
    { name = "raises", domains = { "boom.example" }, expect = {} },
    { name = "expected error", domains = { "boom.example" },
      expect_error = "boom on", expect = {} },
    { name = "expect_error alone", domains = { "boom.example" },
      expect_error = "boom on" },
    { name = "another error on purpose", domains = { "boom.example" },
      expect_error = "no such text" },
  },
}
LUA
cat >"$T/r/tagger_test.lua" <<'LUA'
-- cases beside the rule, with a fixture of real messages
return {
  { name = "real messages", fixture = "msgs.jsonl",
    expect = { { domain = "e-zigarette-liquid-shop.de" },
               { domain = "www.e-zigarette-liquid-shop.de" } } },
  { name = "two inputs at once", domains = { "x" }, json = "{}", expect = {} },
}
LUA
cp "$FIX/certstream/all.jsonl" "$T/r/msgs.jsonl"

$CERTMON --test "$T/r/tagger.lua" >"$T/out" 2>"$T/err"
expect_eq "failures: exit 1" "$?" 1
for c in "domains shorthand" "no alert" "json input" "expected error" \
         "expect_error alone" "real messages"; do
    check "passes: $c" grep -q "^PASS tagger: $c\$" "$T/out"
done
for c in "wrong field on purpose" "wrong count on purpose" "raises" \
         "another error on purpose" "two inputs at once"; do
    check "fails: $c" grep -q "^FAIL tagger: $c\$" "$T/out"
done
check "field difference shown" grep -q "alert 1.tags.2: expected 99, got 12" "$T/out"
check "count difference shown" grep -q "expected 1 alert(s), got 2" "$T/out"
check "the alerts written are listed" grep -q '^      {"rule":"tagger","time":.*"domain":"shop2.x"' "$T/out"
check "raised error shown with its line" grep -q "the rule raised: .*tagger.lua:9: boom on boom.example" "$T/out"
check "bad case explained" grep -q "needs exactly one of message, messages, json, fixture, domains" "$T/out"
# Regression: a case with expect_error alone was refused for lacking
# expect, and an unexpected error was shown escaped, harness frames and
# all. Now the rule's own traceback lines are shown as they are.
check "an unexpected error: shown unescaped" \
    grep -q "^    expected an error containing \"no such text\", got: .*tagger.lua:9: boom on boom.example\$" "$T/out"
check "an error's traceback: the rule's lines are shown" \
    grep -q "^    	.*tagger.lua:9: in function <.*tagger.lua:3>" "$T/out"
check "an error's traceback: no harness frames" \
    sh -c "! grep -q 'test-harness\|in field .call.' '$T/out'"
check "summary" grep -q "^certmon --test: 6 cases passed, 5 failed (1 rule)\$" "$T/out"

# all passing: exit 0
cat >"$T/ok.lua" <<'LUA'
local certmon = require "certmon"
return {
  on_message = function(msg) certmon.alert{ t = msg.message_type } end,
  tests = { { message = { message_type = "heartbeat" },
              expect = { { t = "heartbeat", rule = "ok" } } } },
}
LUA
$CERTMON --test "$T/ok.lua" >"$T/out2"
expect_eq "all pass: exit 0" "$?" 0

# no cases at all: exit 1 and say how to add them
printf 'return { on_cert = function() end }\n' >"$T/none.lua"
$CERTMON --test "$T/none.lua" >"$T/out3"
expect_eq "no cases: exit 1" "$?" 1
check "no cases: explained" grep -q "no test cases found" "$T/out3"

# a rule that does not load fails the run
printf 'return {\n on_cert = function(m) if then end end }\n' >"$T/broken.lua"
$CERTMON --test "$T/broken.lua" "$T/ok.lua" >"$T/out4"
expect_eq "broken rule: exit 1" "$?" 1
check "broken rule: named" grep -q "^FAIL .*broken.lua:2:" "$T/out4"

# the shipped rules' own cases pass
$CERTMON --test "$TOP/scripts" >"$T/out5"
expect_eq "shipped rules: their cases pass" "$?" 0
