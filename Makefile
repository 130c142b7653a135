# unwedge: see README.md. `make` builds build/libunwedge.so and build/unwedge.
CC ?= cc
CFLAGS ?= -O2 -g
WARN := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
BASE := $(WARN) -D_GNU_SOURCE -fPIC -fvisibility=hidden -fno-strict-aliasing
# make SANITIZE=address,undefined (or thread) builds an instrumented preload in
# its own directory; `make check` runs the suite against both after the production build.
SANITIZE ?=
comma := ,
ifeq ($(SANITIZE),)
BUILD := build
else
BUILD := build-$(subst $(comma),-,$(SANITIZE))
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
VERSION := $(shell cat VERSION)

SRC := $(wildcard src/*.c)
PRELOAD := $(wildcard preload/*.c)
SRC_OBJ := $(SRC:%.c=$(BUILD)/obj/%.o)
PRELOAD_OBJ := $(PRELOAD:%.c=$(BUILD)/obj/%.o)
# The backtrace helper: its own object, the only one that links libunwind.
BT_SRC := $(wildcard src/backtrace/*.c)
BT_OBJ := $(BT_SRC:%.c=$(BUILD)/obj/%.o)
# What the launcher shares with the preload: the one parser of settings.
CONFIG_OBJ := $(BUILD)/obj/src/config.o $(BUILD)/obj/src/duration.o $(BUILD)/obj/src/rules.o

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRC := $(filter-out tests/helpers/lib%.c,$(wildcard tests/helpers/*.c))
HELPER_LIB := $(patsubst tests/helpers/%.c,$(BUILD)/tests/%.so,$(wildcard tests/helpers/lib*.c))
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/%) $(BUILD)/tests/hello-static \
	$(BUILD)/tests/wstdio-fortify $(BUILD)/tests/wsyslog-fortify $(HELPER_LIB) \
	$(BUILD)/tests/wbacktrace-O2 $(BUILD)/tests/wbacktrace-stripped $(BUILD)/tests/wbacktrace-count
DEMO_BIN := $(BUILD)/demo/legacy-daemon $(BUILD)/demo/backend

BENCH_BIN := $(BUILD)/bench/percall $(BUILD)/bench/startup $(BUILD)/bench/scale $(BUILD)/bench/fdmem
BENCH_LIB := $(BUILD)/bench/libempty.so $(BUILD)/bench/liblayer_sndtimeo.so $(BUILD)/bench/liblayer_uto.so

.PHONY: all check sanitized demo bench fuzz clean format format-check install uninstall
all: $(BUILD)/libunwedge.so $(BUILD)/libunwedge-backtrace.so $(BUILD)/unwedge

$(BUILD)/obj/%.o: %.c $(wildcard src/*.h src/backtrace/*.h preload/*.h) VERSION
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(BASE) $(CFLAGS) -DUNWEDGE_VERSION='"$(VERSION)"' -c $< -o $@

# Only libc: no libssl, no libunwind. -z now binds our own PLT at load, so no
# lazy symbol resolution ever runs inside a wrapper (or a signal handler).
$(BUILD)/libunwedge.so: $(SRC_OBJ) $(PRELOAD_OBJ)
	@echo "  LD      $@"
	@$(CC) -shared -Wl,-z,now -Wl,-z,relro -Wl,--no-undefined $(CFLAGS) -o $@ $^

# Opened by libunwedge.so at start-up only under UNWEDGE_BACKTRACE=1, from its own
# directory. libunwind's generic (remote-capable) library: see src/backtrace/unwind_helper.c.
$(BUILD)/libunwedge-backtrace.so: $(BT_OBJ)
	@echo "  LD      $@"
	@$(CC) -shared -Wl,-z,now -Wl,-z,relro -Wl,--no-undefined $(CFLAGS) -o $@ $^ -lunwind-generic -lunwind

# The cgroup layer: a BPF program (clang -target bpf, needs libbpf's headers) carried inside the
# launcher, and its loader. libbpf itself is opened with dlopen only when the layer is used, so the
# launcher links only libc. -g gives the program BTF; its DWARF is stripped.
MULTIARCH := $(shell $(CC) -dumpmachine 2>/dev/null)
BPF_CFLAGS := -target bpf -O2 -g -Wall -Wextra -Werror -I/usr/include/$(MULTIARCH)
CG_SRC := $(filter-out %.bpf.c,$(wildcard tools/cgroup/*.c))
CG_HDR := $(wildcard tools/cgroup/*.h)
CG_OBJ := $(CG_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/tools/cgroup/sockops_obj.o

$(BUILD)/obj/sockops.bpf.o: tools/cgroup/sockops.bpf.c tools/cgroup/cgroup_settings.h
	@mkdir -p $(dir $@)
	@echo "  BPF     $<"
	@clang $(BPF_CFLAGS) -c $< -o $@.tmp
	@llvm-strip -g $@.tmp -o $@
	@rm -f $@.tmp

$(BUILD)/obj/tools/cgroup/sockops_obj.o: tools/cgroup/sockops_obj.S $(BUILD)/obj/sockops.bpf.o
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) -c -DSOCKOPS_OBJ='"$(BUILD)/obj/sockops.bpf.o"' $< -o $@

$(BUILD)/obj/tools/cgroup/%.o: tools/cgroup/%.c $(CG_HDR) src/duration.h src/config.h src/rules.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(WARN) -D_GNU_SOURCE $(CFLAGS) -c $< -o $@

# The launcher's commands: `check` (tools/check/: reading ELF files and /proc), `config` and `stat`.
TOOL_SRC := tools/unwedge.c tools/binary_check.c tools/config_cmd.c tools/stat.c $(wildcard tools/check/*.c)
TOOL_HDR := tools/binary_check.h tools/config_cmd.h tools/stat.h src/stats_file.h $(wildcard tools/check/*.h)
# `rescue` and `watch` (tools/live/): reaching processes that are already running.
TOOL_SRC += $(wildcard tools/live/*.c)
TOOL_HDR += $(wildcard tools/live/*.h)

$(BUILD)/unwedge: $(TOOL_SRC) $(TOOL_HDR) $(CONFIG_OBJ) $(CG_OBJ) src/config.h src/duration.h VERSION
	@echo "  CC      $@"
	@$(CC) $(WARN) -D_GNU_SOURCE $(CFLAGS) -DUNWEDGE_VERSION='"$(VERSION)"' -Wl,-z,noexecstack -o $@ $(TOOL_SRC) \
		$(CONFIG_OBJ) $(CG_OBJ)

# The incident test's Go program: standard library only, never the network.
$(BUILD)/tests/h2wedge: $(wildcard tests/go/h2wedge/*.go) tests/go/go.mod
	@mkdir -p $(dir $@)
	@echo "  GO      $@"
	@cd tests/go && GOPROXY=off GOFLAGS=-mod=mod go build -p 1 -o $(abspath $@) ./h2wedge

# The rescue tests' Go writer (issue 12): standard library only.
$(BUILD)/tests/gowriter: $(wildcard tests/go/gowriter/*.go) tests/go/go.mod
	@mkdir -p $(dir $@)
	@echo "  GO      $@"
	@cd tests/go && GOPROXY=off GOFLAGS=-mod=mod go build -p 1 -o $(abspath $@) ./gowriter

$(BUILD)/tests/test_%: tests/unit/test_%.c tests/unit/check.h $(SRC_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) -D_GNU_SOURCE $(CFLAGS) -o $@ $< $(SRC_OBJ) -lpthread

$(BUILD)/tests/%: tests/helpers/%.c tests/helpers/common.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) -D_GNU_SOURCE $(CFLAGS) -o $@ $< -lpthread

# Shared objects for the bootstrap tests (preloaded, or dlopen()ed late).
$(BUILD)/tests/lib%.so: tests/helpers/lib%.c tests/helpers/common.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) -D_GNU_SOURCE $(CFLAGS) -shared -fPIC -o $@ $<

# The TLS helpers are real OpenSSL programs; the preload itself never links libssl.
$(BUILD)/tests/tls%: tests/helpers/tls%.c tests/helpers/common.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) -D_GNU_SOURCE $(CFLAGS) -o $@ $< -lssl -lcrypto -lpthread

# stdio two ways: plain calls (-O0), and what -O2 -D_FORTIFY_SOURCE=2 makes of
# them (__fprintf_chk, inline putc_unlocked calling __overflow).
$(BUILD)/tests/wstdio: tests/helpers/wstdio.c tests/helpers/common.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) -D_GNU_SOURCE -O0 -g -o $@ $<

$(BUILD)/tests/wstdio-fortify: tests/helpers/wstdio.c tests/helpers/common.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) -D_GNU_SOURCE -O2 -D_FORTIFY_SOURCE=2 -g -o $@ $<

$(BUILD)/tests/wsyslog: tests/helpers/wsyslog.c tests/helpers/common.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) -D_GNU_SOURCE -O0 -g -o $@ $<

$(BUILD)/tests/wsyslog-fortify: tests/helpers/wsyslog.c tests/helpers/common.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) -D_GNU_SOURCE -O2 -D_FORTIFY_SOURCE=2 -g -o $@ $<

# Backtraces from a known call chain: -O0 with frame pointers, -O2 without, and
# the -O2 binary stripped (module+offset only); -count counts malloc and
# dl_iterate_phdr calls during the wedged write.
$(BUILD)/tests/wbacktrace: tests/helpers/wbacktrace.c tests/helpers/common.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) -D_GNU_SOURCE -O0 -g -fno-omit-frame-pointer -o $@ $< -lpthread

$(BUILD)/tests/wbacktrace-O2: tests/helpers/wbacktrace.c tests/helpers/common.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) -D_GNU_SOURCE -O2 -g -fomit-frame-pointer -o $@ $< -lpthread

$(BUILD)/tests/wbacktrace-stripped: $(BUILD)/tests/wbacktrace-O2
	@echo "  STRIP   $@"
	@strip -o $@ $<

$(BUILD)/tests/wbacktrace-count: tests/helpers/wbacktrace.c tests/helpers/common.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) -D_GNU_SOURCE -DCOUNT_CALLS -O2 -g -rdynamic -o $@ $< -lpthread -ldl

$(BUILD)/tests/hello-static: tests/helpers/hello.c tests/helpers/common.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) -D_GNU_SOURCE $(CFLAGS) -static -o $@ $<

$(BUILD)/demo/%: tools/demo/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) -D_GNU_SOURCE $(CFLAGS) -o $@ $< -lpthread

$(BUILD)/bench/percall: bench/percall.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) -D_GNU_SOURCE $(CFLAGS) -o $@ $< -lssl -lcrypto -lpthread

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) -D_GNU_SOURCE $(CFLAGS) -o $@ $< -lpthread

$(BUILD)/bench/libempty.so: bench/empty.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) -D_GNU_SOURCE $(CFLAGS) -shared -fPIC -o $@ $<

$(BUILD)/bench/liblayer_sndtimeo.so: bench/layer.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) -D_GNU_SOURCE $(CFLAGS) -shared -fPIC -o $@ $<

$(BUILD)/bench/liblayer_uto.so: bench/layer.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) -D_GNU_SOURCE -DLAYER_UTO $(CFLAGS) -shared -fPIC -o $@ $<

bench: all $(HELPER_BIN) $(BENCH_BIN) $(BENCH_LIB)
	python3 bench/run.py

demo: all $(DEMO_BIN)
	tools/demo/run-demo

check: all $(UNIT_BIN) $(HELPER_BIN) $(BUILD)/tests/h2wedge $(DEMO_BIN) $(BUILD)/bench/percall $(BUILD)/bench/liblayer_uto.so sanitized \
	$(BUILD)/fuzz/fuzz_config
	python3 tests/run.py --with-sanitizers

# The preload built with ASan+UBSan and with TSan, for the suite's second and third passes.
sanitized:
	@$(MAKE) -s SANITIZE=address,undefined build-address-undefined/libunwedge.so \
		build-address-undefined/libunwedge-backtrace.so
	@$(MAKE) -s SANITIZE=thread build-thread/libunwedge.so build-thread/libunwedge-backtrace.so

FORMATTED := $(wildcard src/*.[ch] src/backtrace/*.[ch] preload/*.[ch] tools/*.[ch] tools/check/*.[ch] tools/live/*.[ch] tools/cgroup/*.[ch] tools/demo/*.c tests/unit/*.[ch] tests/helpers/*.[ch] tests/fuzz/*.c bench/*.c)
# libFuzzer on the settings parser: a short run in `make check`, longer here.
$(BUILD)/fuzz/fuzz_config: tests/fuzz/fuzz_config.c src/config.c src/duration.c src/rules.c src/config.h src/duration.h src/rules.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -o $@ tests/fuzz/fuzz_config.c src/config.c src/duration.c src/rules.c

fuzz: $(BUILD)/fuzz/fuzz_config
	mkdir -p $(BUILD)/fuzz/corpus
	$< -max_total_time=$${FUZZ_SECONDS:-300} $(BUILD)/fuzz/corpus tests/fuzz/corpus

format:
	clang-format -i $(FORMATTED)

format-check:
	clang-format --dry-run --Werror $(FORMATTED)

# make install [PREFIX=/usr/local] [DESTDIR=staging]: the launcher in bin/, the preload
# in lib/unwedge/ (where the launcher looks: ../lib/unwedge/ from its own directory),
# the man pages, the README and the guarantees. Optional objects (the backtrace helper)
# are installed when the build made them.
PREFIX ?= /usr/local
BINDIR := $(PREFIX)/bin
LIBDIR := $(PREFIX)/lib/unwedge
MANDIR := $(PREFIX)/share/man
DOCDIR := $(PREFIX)/share/doc/unwedge
OPTIONAL_LIBS := libunwedge-backtrace.so
DOCS := README.md docs/guarantees.md

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(DOCDIR)
	install -m 0755 $(BUILD)/unwedge $(DESTDIR)$(BINDIR)/unwedge
	install -m 0644 $(BUILD)/libunwedge.so $(DESTDIR)$(LIBDIR)/libunwedge.so
	@for l in $(OPTIONAL_LIBS); do \
		if [ -f $(BUILD)/$$l ]; then \
			echo "install -m 0644 $(BUILD)/$$l $(DESTDIR)$(LIBDIR)/$$l"; \
			install -m 0644 $(BUILD)/$$l $(DESTDIR)$(LIBDIR)/$$l || exit 1; \
		fi; \
	done
	install -m 0644 man/unwedge.1 $(DESTDIR)$(MANDIR)/man1/unwedge.1
	install -m 0644 man/unwedge.7 $(DESTDIR)$(MANDIR)/man7/unwedge.7
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/unwedge $(DESTDIR)$(LIBDIR)/libunwedge.so \
		$(addprefix $(DESTDIR)$(LIBDIR)/,$(OPTIONAL_LIBS)) \
		$(DESTDIR)$(MANDIR)/man1/unwedge.1 $(DESTDIR)$(MANDIR)/man7/unwedge.7 \
		$(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOCS)))
	rmdir $(DESTDIR)$(LIBDIR) $(DESTDIR)$(DOCDIR) 2>/dev/null || true

clean:
	rm -rf build build-*
