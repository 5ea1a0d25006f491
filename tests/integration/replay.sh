# Replay: real messages through real rules, alerts compared exactly.
. "$(dirname "$0")/../lib.sh"

ALL=$FIX/certstream/all.jsonl
RULE=$FIX/rules/fields.lua
WANT=$FIX/expected/fields.jsonl

# one worker: the exact lines, in input order
$CERTMON -w 1 -r "$ALL" "$RULE" >"$T/out" 2>"$T/err"
expect_eq "exit status 0" "$?" 0
strip_time <"$T/out" >"$T/got"
check "alerts equal the expected file" cmp -s "$T/got" "$WANT"
[ -s "$T/got" ] && ! cmp -s "$T/got" "$WANT" && diff "$T/got" "$WANT" | head -5 | sed 's/^/#   /'
expect_eq "summary certs" "$(summary_field "$T/err" certs)" 9
expect_eq "summary messages" "$(summary_field "$T/err" messages)" 11
expect_eq "summary alerts" "$(summary_field "$T/err" alerts)" 11
expect_eq "summary parse_errors" "$(summary_field "$T/err" parse_errors)" 0
check "every alert has a numeric time" \
    sh -c "grep -c '^{\"rule\":\"fields\",\"time\":[0-9]*\.[0-9]*,' '$T/out' | grep -qx 11"

# two workers: the same set of lines
$CERTMON -w 2 -r "$ALL" "$RULE" 2>/dev/null | strip_time | sort >"$T/got2"
sort "$WANT" >"$T/want2"
check "two workers: same alerts" cmp -s "$T/got2" "$T/want2"

# stdin
$CERTMON -w 2 -r - "$RULE" <"$ALL" 2>"$T/err3" | strip_time | sort >"$T/got3"
check "stdin: same alerts" cmp -s "$T/got3" "$T/want2"
expect_eq "stdin: certs" "$(summary_field "$T/err3" certs)" 9

# a larger stream: every message processed exactly once with 2 workers
for i in $(seq 1 300); do cat "$ALL"; done >"$T/big"
$CERTMON -w 2 --queue 8 -r "$T/big" "$RULE" 2>"$T/err4" | strip_time | sort >"$T/got4"
expect_eq "3300 messages: all processed" "$(summary_field "$T/err4" messages)" 3300
expect_eq "3300 messages: one alert each" "$(wc -l <"$T/got4")" 3300
for i in $(seq 1 300); do cat "$WANT"; done | sort >"$T/want4"
check "3300 messages: alerts equal 300 x expected" cmp -s "$T/got4" "$T/want4"

# -n: exactly N certificates, also with 2 workers and a long input
$CERTMON -w 2 -n 5 -r "$T/big" "$RULE" >"$T/out5" 2>"$T/err5"
expect_eq "-n 5: exit 0" "$?" 0
expect_eq "-n 5: certs=5" "$(summary_field "$T/err5" certs)" 5
expect_eq "-n 5: 5 certificate alerts" "$(grep -c cert_index "$T/out5")" 5

# -n on an endless stdin stops too
( while :; do cat "$ALL"; sleep 0.05; done ) | $CERTMON -w 2 -n 20 -r - "$RULE" >/dev/null 2>"$T/err6" &
pid=$!
check "-n 20 on endless stdin: exits" wait_for "! kill -0 $pid 2>/dev/null" 20
expect_eq "-n 20 on endless stdin: certs=20" "$(summary_field "$T/err6" certs)" 20

# -o appends
$CERTMON -w 1 -r "$ALL" -o "$T/alerts" "$RULE" >"$T/stdout7" 2>/dev/null
$CERTMON -w 1 -r "$ALL" -o "$T/alerts" "$RULE" >>"$T/stdout7" 2>/dev/null
expect_eq "-o: two runs appended" "$(wc -l <"$T/alerts")" 22
expect_eq "-o: nothing on stdout" "$(wc -c <"$T/stdout7")" 0

# empty input
: >"$T/empty"
$CERTMON -r "$T/empty" "$RULE" >"$T/out8" 2>"$T/err8"
expect_eq "empty input: exit 0" "$?" 0
expect_eq "empty input: certs=0" "$(summary_field "$T/err8" certs)" 0
expect_eq "empty input: no alerts" "$(wc -c <"$T/out8")" 0

# shipped example rules run on real messages
$CERTMON -w 2 -r "$ALL" "$TOP/scripts" >"$T/out9" 2>"$T/err9"
expect_eq "scripts/: exit 0" "$?" 0
expect_eq "scripts/: no rule errors" "$(summary_field "$T/err9" rule_errors)" 0
$CERTMON -w 2 -r "$ALL" "$TOP/scripts/feeds/new_domains.lua" 2>/dev/null | strip_time | sort >"$T/out10"
expect_eq "new_domains: one alert per distinct domain" "$(wc -l <"$T/out10")" 12
check "new_domains: the duplicate message alerted once" \
    sh -c "grep -c '\"domain\":\"access.smm-cheap.com\"' '$T/out10' | grep -qx 1"

# --ordered: one worker, so two runs give the same alerts in the same
# order, and it says so when -w asks for more
DEMO=$TOP/scripts/demo/demo.jsonl
for run in 1 2; do
    $CERTMON --ordered -r "$DEMO" -o "$T/ord$run" 2>"$T/ord$run.err"
done
check "--ordered: two runs, the same alerts in the same order" \
    sh -c "[ -s '$T/ord1' ] && sed 's/\"time\":[0-9.e+-]*,\\{0,1\\}//' '$T/ord1' >'$T/ord1.s' &&
           sed 's/\"time\":[0-9.e+-]*,\\{0,1\\}//' '$T/ord2' >'$T/ord2.s' &&
           cmp -s '$T/ord1.s' '$T/ord2.s'"
check "--ordered: one worker" grep -q "1 worker; replaying" "$T/ord1.err"
$CERTMON --ordered -w 2 -r "$DEMO" -o /dev/null 2>"$T/ord3.err"
expect_eq "--ordered with -w 2: bad usage" "$?" 2
check "--ordered with -w 2: says why" grep -q -- "--ordered runs one worker" "$T/ord3.err"
