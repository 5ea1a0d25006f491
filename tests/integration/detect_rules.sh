# The detection rules (scripts/lookalike.lua, phishing_score.lua,
# watch.lua) through the real binary: real fixture messages, and synthetic
# messages (a real message with its names, serial and type replaced),
# alerts compared exactly without their time.
. "$(dirname "$0")/../lib.sh"

# The rules require lua/certmon/*: point at the project's lua/ also when
# the binary under test lives elsewhere (build/san/certmon).
CERTMON_LUA_DIR=$TOP/lua
export CERTMON_LUA_DIR
ALL=$FIX/certstream/all.jsonl
S=$TOP/scripts

# synth DOMAINS SERIAL TYPE: one SYNTHETIC message built from the first
# real fixture (a certstream-server-go lite precertificate). DOMAINS is a
# JSON array body, e.g. '"a.com","www.a.com"'.
synth() {
    head -n 1 "$ALL" | sed \
        -e "s/\"all_domains\":\[[^]]*\]/\"all_domains\":[$1]/" \
        -e "s/\"serial_number\":\"[^\"]*\"/\"serial_number\":\"$2\"/" \
        -e "s/\"update_type\":\"[^\"]*\"/\"update_type\":\"$3\"/"
}

run() {   # run OUT RULE [args...]: one worker, alerts without time
    out=$1; shift
    $CERTMON -w 1 "$@" >"$T/$out.raw" 2>"$T/$out.err"
    echo $? >"$T/$out.rc"
    strip_time <"$T/$out.raw" >"$T/$out"
}

expect_file() {   # expect_file NAME GOT_FILE (expected text on stdin)
    cat >"$T/want"
    if cmp -s "$2" "$T/want"; then ok "$1"; else
        not_ok "$1"; diff "$2" "$T/want" | head -10 | sed 's/^/#   /'; fi
}

# --- real messages: none of the 11 fixtures imitates a brand ---------------
for r in lookalike phishing_score; do
    run real_$r -r "$ALL" "$S/$r.lua"
    expect_eq "$r: real fixtures exit 0" "$(cat "$T/real_$r.rc")" 0
    expect_eq "$r: real fixtures, no alert" "$(wc -c <"$T/real_$r")" 0
    expect_eq "$r: real fixtures, no rule error" \
        "$(summary_field "$T/real_$r.err" rule_errors)" 0
    expect_eq "$r: real fixtures, 9 certs" \
        "$(summary_field "$T/real_$r.err" certs)" 9
done

# --- lookalike.lua on synthetic messages -----------------------------------
{
    synth '"paypal-login.com","www.paypal-login.com"' 0A01 PrecertLogEntry
    synth '"paypal-login.com","www.paypal-login.com"' 0A01 X509LogEntry
    synth '"paypal.com","www.paypal.com","*.paypal.com"' 0A02 X509LogEntry
    synth '"xn--80ak6aa92e.com"' 0A03 PrecertLogEntry
    synth '"paypal.com.secure-id.xyz"' 0A04 PrecertLogEntry
    synth '"pyapal.com","shop.example.org"' 0A05 PrecertLogEntry
    synth '"paypal.xyz"' 0A06 PrecertLogEntry
    synth '"accounts.google.com","mail.google.com"' 0A07 PrecertLogEntry
    synth '"*.rnicrosoft.com"' 0A08 PrecertLogEntry
    synth '"delivery-online.com"' 0A09 PrecertLogEntry
} >"$T/synth.jsonl"

run look -r "$T/synth.jsonl" "$S/lookalike.lua"
expect_eq "lookalike: synthetic exit 0" "$(cat "$T/look.rc")" 0
expect_eq "lookalike: no rule error" "$(summary_field "$T/look.err" rule_errors)" 0
expect_file "lookalike: synthetic alerts exactly" "$T/look" <<'WANT'
{"rule":"lookalike","brand":"paypal.com","domain":"paypal-login.com","fingerprint":"27:58:3D:01:3D:71:B8:D3:A6:6E:2C:7A:86:3A:E9:1F:DB:F0:1B:5D","issuer":"Let's Encrypt","names":["paypal-login.com","www.paypal-login.com"],"not_after":1667028404,"not_before":1659252405,"reasons":["paypal-login contains paypal"],"registrable":"paypal-login.com","score":85,"technique":"combosquat","update_type":"PrecertLogEntry"}
{"rule":"lookalike","brand":"apple.com","domain":"xn--80ak6aa92e.com","fingerprint":"27:58:3D:01:3D:71:B8:D3:A6:6E:2C:7A:86:3A:E9:1F:DB:F0:1B:5D","issuer":"Let's Encrypt","names":["xn--80ak6aa92e.com"],"not_after":1667028404,"not_before":1659252405,"reasons":["аррӏе looks like apple (IDN)"],"registrable":"xn--80ak6aa92e.com","score":95,"technique":"homoglyph","unicode":"аррӏе.com","update_type":"PrecertLogEntry"}
{"rule":"lookalike","brand":"paypal.com","domain":"paypal.com.secure-id.xyz","fingerprint":"27:58:3D:01:3D:71:B8:D3:A6:6E:2C:7A:86:3A:E9:1F:DB:F0:1B:5D","issuer":"Let's Encrypt","names":["paypal.com.secure-id.xyz"],"not_after":1667028404,"not_before":1659252405,"reasons":["paypal in subdomain paypal.com of secure-id.xyz"],"registrable":"secure-id.xyz","score":100,"technique":"brand-in-subdomain","update_type":"PrecertLogEntry"}
{"rule":"lookalike","brand":"paypal.com","domain":"pyapal.com","fingerprint":"27:58:3D:01:3D:71:B8:D3:A6:6E:2C:7A:86:3A:E9:1F:DB:F0:1B:5D","issuer":"Let's Encrypt","names":["pyapal.com"],"not_after":1667028404,"not_before":1659252405,"reasons":["pyapal is transposition of paypal (distance 1)"],"registrable":"pyapal.com","score":85,"technique":"transposition","update_type":"PrecertLogEntry"}
{"rule":"lookalike","brand":"paypal.com","domain":"paypal.xyz","fingerprint":"27:58:3D:01:3D:71:B8:D3:A6:6E:2C:7A:86:3A:E9:1F:DB:F0:1B:5D","issuer":"Let's Encrypt","names":["paypal.xyz"],"not_after":1667028404,"not_before":1659252405,"reasons":["paypal under .xyz instead of paypal.com"],"registrable":"paypal.xyz","score":90,"technique":"tld-swap","update_type":"PrecertLogEntry"}
{"rule":"lookalike","brand":"microsoft.com","domain":"rnicrosoft.com","fingerprint":"27:58:3D:01:3D:71:B8:D3:A6:6E:2C:7A:86:3A:E9:1F:DB:F0:1B:5D","issuer":"Let's Encrypt","names":["rnicrosoft.com"],"not_after":1667028404,"not_before":1659252405,"reasons":["rnicrosoft looks like microsoft"],"registrable":"rnicrosoft.com","score":95,"technique":"homoglyph","update_type":"PrecertLogEntry"}
WANT

# two workers: the same alerts (dedup holds across workers via the store);
# which of a precertificate and its certificate comes first may differ,
# so update_type is left out of this comparison
no_type() { sed 's/,"update_type":"[A-Za-z0-9]*"//' | sort; }
$CERTMON -w 2 -r "$T/synth.jsonl" "$S/lookalike.lua" 2>/dev/null | strip_time | no_type >"$T/look2"
no_type <"$T/look" >"$T/look1s"
check "lookalike: two workers, same alerts" cmp -s "$T/look2" "$T/look1s"

# brands and allowlist from the environment
printf 'paypal.com\n' >"$T/brands"
printf '# ours\npaypal-login.com\n' >"$T/allow"
CERTMON_BRANDS=$T/brands CERTMON_ALLOW=$T/allow \
    run look_env -r "$T/synth.jsonl" "$S/lookalike.lua"
expect_eq "lookalike: CERTMON_ALLOW silences an allowed domain" \
    "$(grep -c '"domain":"paypal-login.com"' "$T/look_env")" 0
expect_eq "lookalike: CERTMON_BRANDS limits the brands" \
    "$(grep -o '"brand":"[^"]*"' "$T/look_env" | sort -u | tr '\n' ' ')" \
    '"brand":"paypal.com" '
CERTMON_BRANDS=$T/nonexistent run look_bad -r "$T/synth.jsonl" "$S/lookalike.lua"
check "lookalike: a missing brands file is an error naming it" \
    grep -q "$T/nonexistent" "$T/look_bad.err"

expect_eq "lookalike: a missing brands file exits 1" "$(cat "$T/look_bad.rc")" 1
check "lookalike: a missing brands file names the variable and the rule" \
    grep -q "lookalike.lua: CERTMON_BRANDS=$T/nonexistent: cannot read" "$T/look_bad.err"
CERTMON_LOOKALIKE_MIN_SCORE=abc run look_num -r "$T/synth.jsonl" "$S/lookalike.lua"
expect_eq "lookalike: a non-numeric CERTMON_LOOKALIKE_MIN_SCORE exits 1" "$(cat "$T/look_num.rc")" 1
check "lookalike: a non-numeric threshold names the variable" \
    grep -q "lookalike.lua: CERTMON_LOOKALIKE_MIN_SCORE=abc: must be a number from 0 to 100" "$T/look_num.err"
CERTMON_PHISH_MIN=8o $CERTMON --check "$S" >"$T/check_num.out" 2>&1
expect_eq "--check: a non-numeric CERTMON_PHISH_MIN fails" "$?" 1
check "--check: the error names the rule and the variable" \
    grep -q "phishing_score.lua: CERTMON_PHISH_MIN=8o: must be a number" "$T/check_num.out"

# one operator domain, three brands, a certificate each: three alerts; a
# certificate imitating two brands: two; its final certificate: none
{
    synth '"paypal.com.verify-account.xyz"' 0D01 PrecertLogEntry
    synth '"apple.verify-account.xyz"' 0D02 PrecertLogEntry
    synth '"google.verify-account.xyz"' 0D03 PrecertLogEntry
    synth '"netflix.renew-plan.vip","spotify.renew-plan.vip"' 0D04 PrecertLogEntry
    synth '"netflix.renew-plan.vip","spotify.renew-plan.vip"' 0D04 X509LogEntry
    synth '"raypal.com"' 0D05 PrecertLogEntry
    synth '"phase.com"' 0D06 PrecertLogEntry
} >"$T/multi.jsonl"
run multi -r "$T/multi.jsonl" "$S/lookalike.lua"
expect_eq "lookalike: one alert per brand and registered domain" \
    "$(grep -o '"brand":"[^"]*","domain":"[^"]*"' "$T/multi" | tr '\n' ' ')" \
    '"brand":"paypal.com","domain":"paypal.com.verify-account.xyz" "brand":"apple.com","domain":"apple.verify-account.xyz" "brand":"google.com","domain":"google.verify-account.xyz" "brand":"netflix.com","domain":"netflix.renew-plan.vip" "brand":"spotify.com","domain":"spotify.renew-plan.vip" "brand":"paypal.com","domain":"raypal.com" '
printf 'raypal\n' >"$T/guard"
CERTMON_LOOKALIKE_GUARD=$T/guard run multi_g -r "$T/multi.jsonl" "$S/lookalike.lua"
expect_eq "lookalike: CERTMON_LOOKALIKE_GUARD replaces the guard list" \
    "$(grep -o '"domain":"[a-z]*\.com"' "$T/multi_g" | tr '\n' ' ')" '"domain":"phase.com" '

# --- keyword_watch.lua: a message without data is skipped ---------------------
printf '%s\n' '{"message_type":"certificate_update"}' \
    '{"message_type":"certificate_update","data":{}}' >"$T/nodata.jsonl"
synth '"secure-login.example.net"' 0E01 X509LogEntry >>"$T/nodata.jsonl"
run kw -r "$T/nodata.jsonl" "$S/keyword_watch.lua"
expect_eq "keyword_watch: a message without data is no rule error" \
    "$(summary_field "$T/kw.err" rule_errors)" 0
expect_eq "keyword_watch: and the next message alerts" "$(grep -c '"keyword":"login"' "$T/kw")" 1

# --- phishing_score.lua ----------------------------------------------------
{
    synth '"login.xn--80ak6aa92e.com"' 0B01 PrecertLogEntry
    synth '"login.xn--80ak6aa92e.com"' 0B01 X509LogEntry
    synth '"www.paypal.com","accounts.google.com"' 0B02 X509LogEntry
    synth '"delivery-online.com"' 0B03 X509LogEntry
    synth '"secure-login-verify-account.xyz"' 0B04 X509LogEntry
} >"$T/phish.jsonl"
run phish -r "$T/phish.jsonl" "$S/phishing_score.lua"
expect_eq "phishing_score: no rule error" "$(summary_field "$T/phish.err" rule_errors)" 0
expect_file "phishing_score: synthetic alerts exactly" "$T/phish" <<'WANT'
{"rule":"phishing_score","brand":"apple.com","domain":"login.xn--80ak6aa92e.com","fingerprint":"27:58:3D:01:3D:71:B8:D3:A6:6E:2C:7A:86:3A:E9:1F:DB:F0:1B:5D","issuer":"Let's Encrypt","level":"suspicious","reasons":["+25 keyword login","+81 homoglyph of apple.com","+10 IDN label","+5 free CA Let's Encrypt"],"registrable":"xn--80ak6aa92e.com","score":121,"technique":"homoglyph","update_type":"PrecertLogEntry"}
{"rule":"phishing_score","domain":"secure-login-verify-account.xyz","fingerprint":"27:58:3D:01:3D:71:B8:D3:A6:6E:2C:7A:86:3A:E9:1F:DB:F0:1B:5D","issuer":"Let's Encrypt","level":"suspicious","reasons":["+15 keyword secure","+25 keyword login","+25 keyword verify","+20 keyword account","+20 suffix .xyz","+5 3 hyphens","+5 free CA Let's Encrypt"],"registrable":"secure-login-verify-account.xyz","score":115,"update_type":"X509LogEntry"}
WANT
CERTMON_PHISH_MIN=200 run phish_hi -r "$T/phish.jsonl" "$S/phishing_score.lua"
expect_eq "phishing_score: CERTMON_PHISH_MIN raises the bar" "$(wc -c <"$T/phish_hi")" 0

# --- watch.lua ---------------------------------------------------------------
printf '# mine\nsmm-cheap.com\n.k-k.de\nwww.example.com\n' >"$T/watch"
CERTMON_WATCH=$T/watch run watch_real -r "$ALL" "$S/watch.lua"
expect_file "watch: real fixtures, exact alerts" "$T/watch_real" <<'WANT'
{"rule":"watch","cert_index":712420366,"domains":["cmslieferhit.e06.k-k.de"],"fingerprint":"27:58:3D:01:3D:71:B8:D3:A6:6E:2C:7A:86:3A:E9:1F:DB:F0:1B:5D","issuer":"Let's Encrypt","issuer_cn":"R3","log":"DigiCert Yeti2022-2 Log","not_after":1667028404,"not_before":1659252405,"precert":true,"sans":["cmslieferhit.e06.k-k.de"],"serial_number":"0498BDF812FAF923FEBD5EF7B374899FC61A","update_type":"PrecertLogEntry","validity_days":90,"watch_items":[".k-k.de"]}
{"rule":"watch","cert_index":343999487,"domains":["access.smm-cheap.com","www.access.smm-cheap.com"],"fingerprint":"84:E0:18:01:52:93:08:E0:BC:1C:DA:C8:B4:48:64:76:8A:61:56:32","log":"Google 'Argon2020' log","not_after":1589513741,"not_before":1581737741,"precert":false,"sans":["access.smm-cheap.com","www.access.smm-cheap.com"],"serial_number":"37A3A72033B9AFF73A4BED5BB4F7CE6746E","update_type":"X509LogEntry","validity_days":90,"watch_items":["smm-cheap.com"]}
WANT
{
    synth '"*.example.com","example.com"' 0C01 PrecertLogEntry
    synth '"*.example.com","example.com"' 0C01 X509LogEntry
    synth '"other.example.net"' 0C02 X509LogEntry
} >"$T/watch.jsonl"
CERTMON_WATCH=$T/watch run watch_syn -r "$T/watch.jsonl" "$S/watch.lua"
expect_file "watch: synthetic wildcard certificate, precert and final alert once" "$T/watch_syn" <<'WANT'
{"rule":"watch","cert_index":712420366,"domains":["*.example.com"],"fingerprint":"27:58:3D:01:3D:71:B8:D3:A6:6E:2C:7A:86:3A:E9:1F:DB:F0:1B:5D","issuer":"Let's Encrypt","issuer_cn":"R3","log":"DigiCert Yeti2022-2 Log","not_after":1667028404,"not_before":1659252405,"precert":true,"sans":["*.example.com","example.com"],"serial_number":"0C01","update_type":"PrecertLogEntry","validity_days":90,"watch_items":["www.example.com"]}
WANT

# --- the demo feed (scripts/demo/): alerts with the shipped rules ------
DEMO=$TOP/scripts/demo/demo.jsonl
run demo -r "$DEMO" "$S"
expect_eq "demo feed: exit 0" "$(cat "$T/demo.rc")" 0
expect_eq "demo feed: alerts per rule" \
    "$(grep -o '"rule":"[a-z_]*"' "$T/demo" | sort | uniq -c | awk '{printf "%s %s ", $2, $1}')" \
    '"rule":"keyword_watch" 10 "rule":"lookalike" 7 "rule":"phishing_score" 5 '
expect_eq "demo feed: no alert on its 11 real messages" \
    "$(grep -c '"log":"SYNTHETIC\|"fingerprint":"00:00' "$T/demo")" 22
expect_eq "demo feed: phase.com is no lookalike" \
    "$(grep '"rule":"lookalike"' "$T/demo" | grep -c phase.com)" 0
# the README's summary line for the demo feed: every field it shows
# (but the elapsed time) is what the run printed
want=$(grep '^certmon: certs=18 ' "$TOP/README.md" | head -1)
check "README: a summary line for the demo feed" test -n "$want"
bad=
for kv in $want; do
    case $kv in certmon:|elapsed_s=*) continue ;; esac
    got=$(summary_field "$T/demo.err" "${kv%%=*}")
    [ "$got" = "${kv#*=}" ] || bad="$bad $kv(got $got)"
done
expect_eq "README: the demo summary line is true" "$bad" ""
# the README's first rule (paypal_watch.lua), copied from the README
sed -n '/^-- scripts\/paypal_watch.lua/,/^```/p' "$TOP/README.md" | sed '$d' \
    >"$T/paypal_watch.lua"
run pw -r "$DEMO" "$T/paypal_watch.lua"
expect_eq "README: paypal_watch.lua on the demo feed, three alerts" \
    "$(grep -o '"domain":"[^"]*"' "$T/pw" | tr '\n' ' ')" \
    '"domain":"paypal-login-verify.com" "domain":"www.paypal-login-verify.com" "domain":"paypal.com.verify-account.xyz" '

# the shipped folder loads with all three rules and no error
$CERTMON --check "$S" >"$T/check.out" 2>&1
expect_eq "scripts/: --check passes" "$?" 0
check "scripts/: --check ran every handler on the demo feed" \
    grep -q "rule files OK; every handler ran on .*scripts/demo/demo.jsonl" \
    "$T/check.out"
