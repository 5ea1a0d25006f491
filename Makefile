# certmon — build, dependencies, run, test.
#
#   make            build ./certmon
#   make deps       install missing Debian packages (apt-get, as root or via sudo)
#   make run        deps + build + run with the shipped rules
#   make test       deps + build + every test; last line "N passed, N failed"
#   make test SANITIZE=1   the same under AddressSanitizer + UBSan (build/san/)
#
# Every core/*.c and core/WING/*.c is part of certmon; every
# tests/unit/test_*.c and tests/unit/WING/test_*.c is a test program linked
# against the core; every tests/tools/*.c is a helper program (fake
# servers, generators) built for the tests. Adding a module, a wing or a
# test needs no edit here; header dependencies are tracked by the compiler
# (-MMD -MP, the .d files beside the objects).

PKGS     := lua5.4 lua5.4-cjson libwebsockets openssl libpsl libidn2 zlib \
            hiredis
DEB_PKGS := liblua5.4-dev lua-cjson-dev libwebsockets-dev libssl-dev \
            pkg-config libpsl-dev publicsuffix libidn2-dev zlib1g-dev \
            openssl procps python3 python3-prometheus-client clang \
            libclang-rt-14-dev python3-websocket libhiredis-dev redis-server \
            jq

CC       ?= cc
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
WARN     := -Wall -Wextra -Wshadow -Wno-unused-parameter \
            -Werror=implicit-function-declaration
# pkg-config name:Debian package, to name what is missing when a build
# cannot find a library (check-deps).
PC_DEBS  := lua5.4:liblua5.4-dev lua5.4-cjson:lua-cjson-dev \
            libwebsockets:libwebsockets-dev openssl:libssl-dev \
            libpsl:libpsl-dev libidn2:libidn2-dev zlib:zlib1g-dev \
            hiredis:libhiredis-dev

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Icore
LDLIBS     = $(PKG_LIBS) -lpthread -lm

ifeq ($(SANITIZE),1)
BUILD      := build/san
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=undefined
LDFLAGS    += -fsanitize=address,undefined
BIN        := $(BUILD)/certmon
else
BUILD      := build/rel
BIN        := certmon
endif

CORE_SRC  := $(wildcard core/*.c core/*/*.c)
CORE_OBJ  := $(CORE_SRC:core/%.c=$(BUILD)/core/%.o)
LIB_OBJ   := $(filter-out $(BUILD)/core/main.o,$(CORE_OBJ))
LIB       := $(BUILD)/libcertmon.a
# unit tests mirror the wings of core/; their programs all land in
# $(BUILD)/tests/ (names are unique), found through vpath
UNIT_SRC  := $(wildcard tests/unit/test_*.c tests/unit/*/test_*.c)
UNIT_BIN  := $(addprefix $(BUILD)/tests/,$(basename $(notdir $(UNIT_SRC))))
vpath test_%.c tests/unit $(sort $(dir $(wildcard tests/unit/*/test_*.c)))
DEP_FLAGS := -MMD -MP
TOOL_SRC  := $(wildcard tests/tools/*.c)
TOOL_BIN  := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)

.PHONY: all deps run test test-bins clean check-deps install uninstall
.DEFAULT_GOAL := all

all: $(BIN)

$(BIN): $(CORE_OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/core/%.o: core/%.c Makefile | check-deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(DEP_FLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tests/test_%: test_%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(DEP_FLAGS) -MF $@.d -Itests/unit $(LDFLAGS) -o $@ $< \
	  $(LIB) $(LDLIBS)

$(BUILD)/tools/%: tests/tools/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(DEP_FLAGS) -MF $@.d $(LDFLAGS) -o $@ $< \
	  $(LIB) $(LDLIBS)

test-bins: $(BIN) $(UNIT_BIN) $(TOOL_BIN)

# check-deps: before compiling, say which Debian package is missing
# instead of letting the compiler fail on a header.
check-deps:
	@command -v pkg-config >/dev/null 2>&1 || { \
	  echo "make: pkg-config is not installed: run 'make deps'" >&2; exit 1; }
	@missing=""; for m in $(PC_DEBS); do \
	  pkg-config --exists "$${m%%:*}" || missing="$$missing $${m#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make: missing development packages:$$missing" >&2; \
	  echo "make: run 'make deps' (or: apt-get install$$missing)" >&2; \
	  exit 1; fi

# deps: install what is missing, nothing if all is there. apt-get update
# runs only when something must be installed.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	    || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=""; \
	  elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; \
	  else echo "make deps: not root and no sudo; as root, run:" >&2; \
	    echo "  apt-get update && apt-get install -y$$missing" >&2; \
	    exit 1; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing \
	    >/dev/null || { echo "make deps: apt-get failed" >&2; exit 1; }; \
	fi

# make run: the CT logs themselves (no aggregator) with the shipped rules,
# positions kept in the user's state folder; RUN_ARGS replaces the source
# (e.g. RUN_ARGS="--replay scripts/demo/demo.jsonl", or --url URL), ARGS
# adds options.
RUN_ARGS ?= --ct

run: deps
	@$(MAKE) --no-print-directory all
	./certmon $(RUN_ARGS) $(ARGS)

test: deps
	@$(MAKE) --no-print-directory test-bins
	@CERTMON_BUILD=$(BUILD) CERTMON_BIN=$(BIN) SANITIZE=$(SANITIZE) \
	  sh tests/run.sh

clean:
	rm -rf build certmon

# make install [PREFIX=/usr/local] [DESTDIR=]: the binary, its lua/ and
# scripts/ under share/certmon (found at run time relative to the binary),
# the man page and the systemd unit (ExecStart pointed at BINDIR). With
# SANITIZE=1 the sanitized binary is installed (the tests do that).
PREFIX  ?= /usr/local
BINDIR  := $(PREFIX)/bin
DATADIR := $(PREFIX)/share/certmon
MANDIR  := $(PREFIX)/share/man/man1
UNITDIR ?= $(PREFIX)/lib/systemd/system
# the prefix is compiled into paths.o (the last place certmon looks for
# its files); the stamp changes, and paths.o is rebuilt, only when it does
$(BUILD)/core/paths.o: ALL_CFLAGS += -DPATHS_PREFIX='"$(PREFIX)"'
$(BUILD)/core/paths.o: $(BUILD)/paths-prefix
$(BUILD)/paths-prefix: FORCE
	@mkdir -p $(@D)
	@echo '$(PREFIX)' | cmp -s - $@ 2>/dev/null || echo '$(PREFIX)' >$@
.PHONY: FORCE

install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) \
	  $(DESTDIR)$(MANDIR) $(DESTDIR)$(UNITDIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/certmon
	rm -rf $(DESTDIR)$(DATADIR)/lua $(DESTDIR)$(DATADIR)/scripts
	cp -R lua scripts $(DESTDIR)$(DATADIR)/
	chmod -R u=rwX,go=rX $(DESTDIR)$(DATADIR)
	install -m 644 scripts/doc/certmon.1 $(DESTDIR)$(MANDIR)/certmon.1
	sed 's|/usr/local/bin/certmon|$(BINDIR)/certmon|' \
	  scripts/systemd/certmon.service >$(DESTDIR)$(UNITDIR)/certmon.service
	chmod 644 $(DESTDIR)$(UNITDIR)/certmon.service

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/certmon $(DESTDIR)$(MANDIR)/certmon.1 \
	  $(DESTDIR)$(UNITDIR)/certmon.service
	rm -rf $(DESTDIR)$(DATADIR)

-include $(CORE_OBJ:.o=.d) $(UNIT_BIN:=.d) $(TOOL_BIN:=.d)

# Extra targets kept beside what they build (make eval, make bench, ...).
-include $(wildcard tests/*.mk tests/*/*.mk)
