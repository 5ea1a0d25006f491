# Direct-CT section of make bench, sourced by bench.sh (uses its record,
# median, ratio, wait_port_file, RAW, T, TOOLS, QUICK and RUNS).
#
# certmon backtests (--ct --from 0 --to N-1) against tests/tools/fake_ctlog
# on 127.0.0.1, which serves the three RFC 6962 fixture files repeated
# (7 real entries a repeat, precertificates and certificates) through
# both APIs: static-ct tiles (gzip) and get-entries. Figures per
# configuration: entries/s over the span from the first entry queued to
# the last one's rules done, CPU per entry (the process's user+system
# time over that span: ms per 1,000 = µs per entry) and peak RSS, each the
# median of the runs; the ratio is against the WebSocket lite feed's
# trivial-rule rate with 2 workers measured in the same run, when that
# section ran.

CT_TOOLS=$(dirname "$TOOLS")/tools
if [ "$QUICK" = 1 ]; then CT_N=300; CT_REPEAT=50; else CT_N=20000; CT_REPEAT=3000; fi
CT_FIX=$ROOT/tests/fixtures/ct/rfc6962
rm -f "$T/ctlog.port"
"$CT_TOOLS/fake_ctlog" --port-file "$T/ctlog.port" --repeat "$CT_REPEAT" \
    --gzip "$CT_FIX/calidog-certstream-server-standard_entry.get-entries.json" \
    "$CT_FIX/ctgo-logclient-TestGetEntries.get-entries.json" \
    "$CT_FIX/ctgo-scanner-FourEntries.get-entries.json" \
    > "$T/ctlog.log" 2>&1 &
LG_PIDS="$LG_PIDS $!"
wait_port_file "$T/ctlog.port" fake_ctlog
CT_PORT=$(cat "$T/ctlog.port")

# run_ct LABEL API WORKERS RULES [ARGS...]: one backtest of CT_N entries
run_ct() {
    label=$1 api=$2 w=$3 rules=$4
    shift 4
    ceil=0
    case $label in *_ceiling) ceil=1 ;; esac
    out=$(CERTMON_BENCH=1 CERTMON_CT_CEILING=$ceil "$CERTMON" --ct \
          --ct-log "http://127.0.0.1:$CT_PORT/$api/" --from 0 \
          --to $((CT_N - 1)) --ct-rate 1000 --ct-parallel 4 \
          --state-dir "$T/ct-state" -w "$w" --no-reload -q -o /dev/null \
          "$@" "$rules" 2>&1 | grep 'certmon: bench:')
    if [ -z "$out" ]; then
        echo "bench.sh: certmon CT run $label gave no bench line" >&2
        exit 1
    fi
    record "$label" "$out"
}

# name, workers, rules, extra options; "ceiling" is the same fetching and
# tile decoding with no conversion and no Lua (CERTMON_CT_CEILING=1: each
# decoded entry is counted as done on the network thread)
CT_CONFIGS="ceiling:1:$TRIVIAL:
lite_trivial_w1:1:$TRIVIAL:
lite_trivial_w2:2:$TRIVIAL:
full_trivial_w2:2:$TRIVIAL:--full
lite_shipped_w2:2:$SHIPPED:"

# the converter alone on one thread over the fixture entries (the tile's
# 256 and the get-entries files' 7), against the OpenSSL parse alone
if [ "$QUICK" = 1 ]; then CONV_S=0.2; else CONV_S=2; fi
CONV_FILES="$ROOT/tests/fixtures/ct/static-ct/navigli2025h2/tile/data/000 $CT_FIX/calidog-certstream-server-standard_entry.get-entries.json $CT_FIX/ctgo-logclient-TestGetEntries.get-entries.json $CT_FIX/ctgo-scanner-FourEntries.get-entries.json"

r=1
while [ $r -le "$RUNS" ]; do
    for mode in d2i lite full; do
        # shellcheck disable=SC2086
        record "convert_$mode" "$("$TOOLS/convert_bench" --mode $mode \
            --seconds $CONV_S $CONV_FILES)"
    done
    for api in tiled rfc; do
        printf '%s\n' "$CT_CONFIGS" | while IFS=: read -r name w rules extra; do
            # shellcheck disable=SC2086
            run_ct "ct_${api}_$name" "$api" "$w" "$rules" $extra
        done || exit 1
    done
    r=$((r + 1))
done

ws=$(median trivial_lite_w2 msgs_per_s)
echo
echo "== direct CT backtests ($CT_N entries a run, fake log on 127.0.0.1," \
     "--ct-parallel 4)"
printf '%-22s %10s %10s %8s %9s %9s\n' config "entries/s" "us CPU/e" "RSS MB" \
    "x ws lite" "x ceiling"
for api in tiled rfc; do
    printf '%s\n' "$CT_CONFIGS" | while IFS=: read -r name w rules extra; do
        l=ct_${api}_$name
        m=$(median "$l" msgs_per_s)
        c=$(median "ct_${api}_ceiling" msgs_per_s)
        printf '%-22s %10s %10s %8s %9s %9s\n' "$api $name" "$m" \
            "$(median "$l" cpu_ms_per_1k)" \
            "$(awk -v k="$(median "$l" peak_rss_kb)" 'BEGIN { printf "%.1f", k / 1024 }')" \
            "$(ratio "$m" "$ws")" "$(ratio "$m" "$c")"
    done
done
d2i=$(median convert_d2i cpu_us_per_entry)
for mode in lite full; do
    c=$(median "convert_$mode" cpu_us_per_entry)
    printf '%-22s %10s %10s %8s %9s %9s\n' "converter $mode" \
        "$(median "convert_$mode" entries_per_s)" "$c" - - \
        "$(ratio "$c" "$d2i")"
done
printf '%-22s %10s %10s\n' "OpenSSL parse alone" \
    "$(median convert_d2i entries_per_s)" "$d2i"
echo "converter: x509_message_build alone on one thread over the fixture"
echo "entries (tests/bench/convert_bench.c); its last column is its CPU per"
echo "entry against the OpenSSL parse alone (d2i_X509 and X509_free) in this run."
echo "x ws lite: against the WebSocket lite feed, trivial rule, 2 workers,"
echo "in this run (- when that section did not run); x ceiling: against"
echo "the same API's ceiling row (fetching and decoding only) in this run."
