# revgate build. `make` builds ./revgate; `make test` runs every suite;
# `make demo` runs the main job on the example project.
# `make SANITIZE=address,undefined test` builds and tests under sanitizers
# in build/san/; `make valgrind` runs the suites under valgrind.

CC ?= cc
SANITIZE ?=
PKGS := libgit2 libpq libpcre2-8 inih libcrypto zlib
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter -Wvla -Wformat=2
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Isrc $(PKG_CFLAGS) -MMD -MP
LIBS = $(PKG_LIBS) -lpg_query -lpthread -lm
TEST_CFLAGS = $(shell pkg-config --cflags json-c 2>/dev/null)
TEST_LIBS = $(shell pkg-config --libs json-c 2>/dev/null)

ifeq ($(SANITIZE),)
BUILD := build/rel
BIN := revgate
else
BUILD := build/san
BIN := $(BUILD)/revgate
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

SRCS := $(shell find src -name '*.c' | LC_ALL=C sort)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
# rules/<id>.md pages and docs/findings/<id>.md (findings that are not lint
# rules), embedded for `revgate explain`
RULE_DOCS := $(sort $(wildcard rules/*.md))
FINDING_DOCS := $(sort $(wildcard docs/findings/*.md))
LIB_OBJS += $(BUILD)/gen/rule_docs.o
UNIT_SRCS := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | LC_ALL=C sort)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

.PHONY: all deps test unit e2e demo valgrind clean docs check fuzz bench
all: $(BIN)

# scripts/deps.sh installs what the goals need before anything compiles:
# every object waits for it (order-only), so `make demo` or `make -j2 test`
# works as the first command on a fresh machine. One run, for the widest
# purpose among the goals, so two apt-get never race for the dpkg lock.
DEPS_FOR := build
ifneq ($(filter demo,$(MAKECMDGOALS)),)
DEPS_FOR := demo
endif
ifneq ($(filter test unit valgrind,$(MAKECMDGOALS)),)
DEPS_FOR := test
endif
deps:
	@scripts/deps.sh $(DEPS_FOR)

$(BUILD)/src/main.o $(LIB_OBJS) $(BUILD)/gen/rule_docs.c $(UNIT_BINS): | deps

$(BUILD)/librevgate.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/src/main.o $(BUILD)/librevgate.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(ALL_CFLAGS) -DREVGATE_VERSION='"$(VERSION)"' -c -o $@ $<

$(BUILD)/gen/rule_docs.c: $(RULE_DOCS) $(FINDING_DOCS) scripts/rule_docs.sh
	@mkdir -p $(dir $@)
	@scripts/rule_docs.sh $(RULE_DOCS) -- $(FINDING_DOCS) >$@

$(BUILD)/gen/rule_docs.o: $(BUILD)/gen/rule_docs.c
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/librevgate.a
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/librevgate.a $(LIBS) -lcmocka $(TEST_LIBS)

test: deps $(BIN) $(UNIT_BINS)
	@LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	 REVGATE=$(abspath $(BIN)) UNIT_DIR=$(abspath $(BUILD)/tests) tests/run.sh

unit: deps $(BIN) $(UNIT_BINS)
	@LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0 \
	 REVGATE=$(abspath $(BIN)) UNIT_DIR=$(abspath $(BUILD)/tests) tests/run.sh --unit-only

valgrind: deps $(BIN) $(UNIT_BINS)
	@REVGATE=$(abspath $(BIN)) UNIT_DIR=$(abspath $(BUILD)/tests) \
	 REVGATE_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --suppressions=$(abspath tests/valgrind.supp)" \
	 tests/run.sh

demo: deps $(BIN)
	@scripts/demo.sh $(abspath $(BIN))

# libFuzzer targets under ASan and UBSan (clang), each run FUZZ_SECONDS from
# a seed corpus built from the tests and migrations/; see tests/fuzz/run.sh.
FUZZ_SECONDS ?= 30
fuzz:
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

# cppcheck and clang-tidy (.clang-tidy) on src/; fails on any warning.
check:
	@scripts/deps.sh check
	@scripts/check.sh

clean:
	rm -rf build revgate

-include $(shell find build -name '*.d' 2>/dev/null)
