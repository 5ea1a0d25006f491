# make bench: throughput, CPU, memory and latency of certmon against
# baselines measured in the same run (tests/bench/README.md). Never part
# of make test; tests/integration/bench_smoke.sh runs the bench code on a
# few hundred messages.

BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)

.PHONY: bench bench-bins

$(BUILD)/bench/%: tests/bench/%.c tests/bench/bench_clock.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

bench-bins: $(BIN) $(BENCH_BIN) $(BUILD)/tools/fake_ctlog

# BENCH_ARGS: e.g. "--runs 5" or "--quick"; see tests/bench/bench.sh
bench: deps
	@$(MAKE) --no-print-directory bench-bins
	@CERTMON_BIN=$(BIN) BENCH_TOOLS=$(BUILD)/bench \
	  sh tests/bench/bench.sh $(BENCH_ARGS)

# make bench-serve: the fan-out cost of --serve (tests/bench/serve_bench.sh)
.PHONY: bench-serve
bench-serve: deps
	@$(MAKE) --no-print-directory bench-bins
	@CERTMON_BIN=$(BIN) BENCH_TOOLS=$(BUILD)/bench \
	  sh tests/bench/serve_bench.sh $(BENCH_ARGS)
