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
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CPPFLAGS) $(CFLAGS) -Isrc $(PKG_CFLAGS) -MMD -MP
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

.PHONY: all deps test unit e2e demo valgrind clean docs check fuzz bench man install uninstall \
	deb deb-check
all: $(BIN)

# scripts/deps.sh installs what the goals need before anything compiles:
# every object waits for it (order-only), so `make demo` or `make -j2 test`
# works as the first command on a fresh machine. One run, for the widest
# purpose among the goals, so two apt-get never race for the dpkg lock.
# NO_DEPS=1 skips it (a package build, whose build dependencies are there).
DEPS_FOR := build
ifneq ($(filter demo,$(MAKECMDGOALS)),)
DEPS_FOR := demo
endif
ifneq ($(filter test unit valgrind,$(MAKECMDGOALS)),)
DEPS_FOR := test
endif
ifneq ($(filter deb deb-check,$(MAKECMDGOALS)),)
DEPS_FOR += deb
endif
NO_DEPS ?=
deps:
ifeq ($(NO_DEPS),)
	@scripts/deps.sh $(DEPS_FOR)
endif

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
	 REVGATE=$(abspath $(BIN)) REVGATE_SANITIZE=$(SANITIZE) UNIT_DIR=$(abspath $(BUILD)/tests) \
	 tests/run.sh

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

# The manual pages, rendered by the binary from the tables that print
# --help and 'revgate help config' (revgate __man lists them).
MAN_DIR := $(BUILD)/man
man: $(MAN_DIR)/.stamp
$(MAN_DIR)/.stamp: $(BIN)
	@rm -rf $(MAN_DIR) && mkdir -p $(MAN_DIR)
	@for p in $$($(abspath $(BIN)) __man); do \
		$(abspath $(BIN)) __man "$$p" >$(MAN_DIR)/$$p || exit 1; \
	done
	@touch $@

# make install [PREFIX=/usr/local] [DESTDIR=...]: the binary, the hooks,
# the manual pages and the completions for bash, zsh and fish (which ask
# the installed binary, so they know its commands, options and rules).
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR ?= $(DATADIR)/zsh/site-functions
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d
INSTALL ?= install

install: $(BIN) man
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/revgate/hooks \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	$(INSTALL) -m 755 $(BIN) $(DESTDIR)$(BINDIR)/revgate
	$(INSTALL) -m 755 hooks/pre-commit hooks/post-merge $(DESTDIR)$(DATADIR)/revgate/hooks/
	$(INSTALL) -m 644 $(MAN_DIR)/*.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 644 $(MAN_DIR)/*.5 $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 644 completions/revgate.bash $(DESTDIR)$(BASHCOMPDIR)/revgate
	$(INSTALL) -m 644 completions/_revgate $(DESTDIR)$(ZSHCOMPDIR)/_revgate
	$(INSTALL) -m 644 completions/revgate.fish $(DESTDIR)$(FISHCOMPDIR)/revgate.fish

# every page revgate may have installed, also of commands since removed
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/revgate $(DESTDIR)$(MANDIR)/man1/revgate.1 \
		$(DESTDIR)$(MANDIR)/man1/revgate-*.1 $(DESTDIR)$(MANDIR)/man5/revgate.ini.5 \
		$(DESTDIR)$(BASHCOMPDIR)/revgate $(DESTDIR)$(ZSHCOMPDIR)/_revgate \
		$(DESTDIR)$(FISHCOMPDIR)/revgate.fish
	rm -rf $(DESTDIR)$(DATADIR)/revgate

# make deb: the Debian package, built by debhelper from a copy of the tree
# in build/deb/ (dh_shlibdeps names the libraries it needs); lintian must
# find no error. make deb-check: that package installed with apt-get as a
# machine that never built revgate would, used, and removed again (root).
deb: deps
	@scripts/deb.sh $(abspath build/deb)

deb-check: deb
	@scripts/deb-check.sh $(abspath build/deb)

clean:
	rm -rf build revgate

# the compiler's header dependencies of this build (files: build/deb holds
# directories named *.d)
-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
