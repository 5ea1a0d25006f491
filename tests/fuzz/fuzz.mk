# make fuzz: libFuzzer targets for every parser that reads bytes from the
# network or disk (tests/fuzz/README.md). The core is compiled a third
# time, with clang, coverage instrumentation, ASan and UBSan, into
# build/fuzz/ whatever SANITIZE says; each tests/fuzz/fuzz_NAME.c is one
# target linked against it.
#
#   make fuzz               every target for FUZZ_S seconds (default 300)
#   make fuzz FUZZ_S=60 FUZZ_TARGETS="json_parse ws_frame" FUZZ_JOBS=2
#   make fuzz-bins          only build them
#
# make test runs tests/integration/fuzz_smoke.sh, which builds the targets
# itself and runs each for a few seconds (FUZZ_SMOKE_S, default 10).

FUZZ_CC    ?= clang
FUZZ_S     ?= 300
FUZZ_JOBS  ?= 1
FUZZ_BUILD := build/fuzz
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
              -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -pthread $(WARN) -O1 -g $(FUZZ_SAN) \
              $(PKG_CFLAGS) -Icore
FUZZ_LIBS   = $(PKG_LIBS) -lpthread -lm
FUZZ_OBJ   := $(filter-out $(FUZZ_BUILD)/core/main.o, \
                $(CORE_SRC:core/%.c=$(FUZZ_BUILD)/core/%.o))
FUZZ_LIB   := $(FUZZ_BUILD)/libcertmon.a
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_ALL   := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_BIN   := $(FUZZ_ALL:%=$(FUZZ_BUILD)/fuzz_%)

.PHONY: fuzz fuzz-bins

$(FUZZ_BUILD)/core/%.o: core/%.c Makefile tests/fuzz/fuzz.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEP_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h $(FUZZ_LIB)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEP_FLAGS) -MF $@.d -Itests/fuzz -fsanitize=fuzzer \
	  -o $@ $< \
	  $(FUZZ_LIB) $(FUZZ_LIBS)

fuzz-bins: $(FUZZ_BIN)

-include $(FUZZ_OBJ:.o=.d) $(FUZZ_BIN:=.d)

# Each target for FUZZ_S seconds on a scratch copy of its corpus (the
# seeds in the tree stay small); a finding stops the run with its input
# saved in $(FUZZ_BUILD)/findings/<target>/.
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-bins
	@FUZZ_BUILD=$(FUZZ_BUILD) sh tests/fuzz/run.sh -j $(FUZZ_JOBS) \
	  -f $(FUZZ_BUILD)/findings $(FUZZ_S) $(FUZZ_TARGETS)
