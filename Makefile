# unwedge: see README.md. `make` builds build/libunwedge.so and build/unwedge.
CC ?= cc
CFLAGS ?= -O2 -g
WARN := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CPPFLAGS = -D_GNU_SOURCE -Isrc -I$(BUILD)/gen
BASE = $(WARN) $(CPPFLAGS) $(DEPFLAGS) -fPIC -fvisibility=hidden -fno-strict-aliasing
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
# make LIBC=musl (what `make` does itself when musl-gcc is present) builds the preload and
# its musl test programs against musl in build/musl. musl-gcc's include path has no kernel
# headers (Alpine's linux-headers package provides them): the build links Debian's into
# one directory of its own.
LIBC ?=
# make CROSS=aarch64-linux-gnu- (Debian's gcc-aarch64-linux-gnu and libc6-dev-arm64-cross)
# builds the arm64 preload, launcher and test programs in build/aarch64; tests/run.py
# runs the portable tests on them under qemu-user. No backtrace helper there (no
# arm64 libunwind installed): UNWEDGE_BACKTRACE=1 says it cannot be loaded.
CROSS ?=
ifneq ($(CROSS),)
CC := $(CROSS)gcc
BUILD := build/$(firstword $(subst -, ,$(CROSS)))
endif
ifeq ($(LIBC),musl)
CC := musl-gcc
BUILD := build/musl
KERNEL_INCLUDE := $(BUILD)/kernel-include
CPPFLAGS += -isystem $(KERNEL_INCLUDE)
$(shell mkdir -p $(KERNEL_INCLUDE) && for d in linux asm-generic; do ln -sfn /usr/include/$$d $(KERNEL_INCLUDE)/$$d; done && \
	ln -sfn /usr/include/$$(gcc -dumpmachine)/asm $(KERNEL_INCLUDE)/asm)
endif
VERSION := $(shell cat VERSION)
# Every target compiled from C records the headers it read (in $(BUILD)/deps),
# so that touching a header rebuilds exactly what includes it.
DEPFLAGS = -MMD -MP -MF $(BUILD)/deps/$(subst /,_,$@).d
$(shell mkdir -p $(BUILD)/deps)

SRC := $(wildcard src/*.c)
PRELOAD := $(wildcard preload/*.c)
SRC_OBJ := $(SRC:%.c=$(BUILD)/obj/%.o)
PRELOAD_OBJ := $(PRELOAD:%.c=$(BUILD)/obj/%.o)
# The backtrace helper: its own object, the only one that links libunwind.
BT_SRC := $(wildcard src/backtrace/*.c)
BT_OBJ := $(BT_SRC:%.c=$(BUILD)/obj/%.o)
# What the launcher shares with the preload: the one parser of settings.
CONFIG_OBJ := $(BUILD)/obj/src/config.o $(BUILD)/obj/src/duration.o $(BUILD)/obj/src/rules.o \
	$(BUILD)/obj/src/config_env.o $(BUILD)/obj/src/log_target.o $(BUILD)/obj/src/libc.o $(BUILD)/obj/src/elf_next.o

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRC := $(filter-out tests/helpers/lib%.c,$(wildcard tests/helpers/*.c))
HELPER_LIB := $(patsubst tests/helpers/%.c,$(BUILD)/tests/%.so,$(wildcard tests/helpers/lib*.c))
# Variants of one helper source, built with other flags (see below).
HELPER_VARIANTS := $(BUILD)/tests/hello-static $(BUILD)/tests/wstdio-fortify $(BUILD)/tests/wsyslog-fortify \
	$(BUILD)/tests/wbacktrace-O2 $(BUILD)/tests/wbacktrace-count
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/%) $(HELPER_VARIANTS) $(HELPER_LIB) \
	$(BUILD)/tests/wbacktrace-stripped
DEMO_BIN := $(BUILD)/demo/legacy-daemon $(BUILD)/demo/backend
# libFuzzer targets and the sources each one links: the settings parser, and the event formatter.
FUZZ_config := src/config.c src/duration.c src/rules.c src/libc.c src/elf_next.c
FUZZ_event := src/event_format.c src/fmt.c src/errno_name.c src/libc.c src/elf_next.c
FUZZ_BIN := $(BUILD)/fuzz/fuzz_config $(BUILD)/fuzz/fuzz_event

BENCH_BIN := $(BUILD)/bench/percall $(BUILD)/bench/startup $(BUILD)/bench/scale $(BUILD)/bench/fdmem
BENCH_LIB := $(BUILD)/bench/libempty.so $(BUILD)/bench/liblayer_sndtimeo.so $(BUILD)/bench/liblayer_uto.so

.PHONY: all check test-programs sanitized demo bench fuzz clean format format-check install uninstall musl
ifneq ($(LIBC)$(CROSS),)
# No libunwind for musl or arm64 here: no backtrace helper (UNWEDGE_BACKTRACE=1 says so).
CPPFLAGS += -DUW_NO_BACKTRACE_HELPER
all: $(BUILD)/libunwedge.so $(BUILD)/unwedge
else
all: $(BUILD)/libunwedge.so $(BUILD)/libunwedge-backtrace.so $(BUILD)/unwedge
endif

# The musl build, made by `make` itself when musl-gcc is there (Debian's musl-tools),
# and the one-LD_PRELOAD-value layout of the build tree: build/$LIB/libunwedge.so is
# the musl build (musl's loader takes $LIB literally), build/<glibc's $LIB>/libunwedge.so
# the glibc one (glibc's loader expands $LIB: the directory of its libc.so.6 below /usr,
# lib/x86_64-linux-gnu on Debian). The launcher uses the layout when it finds it.
MUSL_GCC := $(shell command -v musl-gcc 2>/dev/null)
GLIBC_LIB := $(patsubst usr/%,%,$(patsubst /%,%,$(dir $(realpath $(shell $(CC) -print-file-name=libc.so.6)))))
GLIBC_LIB := $(GLIBC_LIB:%/=%)
GLIBC_LIB_UP := $(shell echo $(GLIBC_LIB) | sed 's|[^/][^/]*|..|g')
# The test programs the musl and arm64 passes run (tests/run.py: the portable tests).
TARGET_TEST_BIN := $(addprefix $(BUILD)/tests/,wclient wstdio wsyslog wspawn hello)
ARM64_CROSS := aarch64-linux-gnu-
ARM64_GCC := $(shell command -v $(ARM64_CROSS)gcc 2>/dev/null)
.PHONY: target-test-programs arm64
target-test-programs: $(TARGET_TEST_BIN)
ifeq ($(LIBC)$(SANITIZE)$(CROSS),)
ifneq ($(MUSL_GCC),)
all: musl
endif
ifneq ($(ARM64_GCC),)
test-programs: arm64
endif
endif
arm64:
	@$(MAKE) -s CROSS=$(ARM64_CROSS) all target-test-programs
musl:
	@$(MAKE) -s LIBC=musl all target-test-programs
	@mkdir -p 'build/$$LIB' build/$(GLIBC_LIB)
	@ln -sfn ../musl/libunwedge.so 'build/$$LIB/libunwedge.so'
	@for l in libunwedge.so libunwedge-backtrace.so; do ln -sfn $(GLIBC_LIB_UP)/$$l build/$(GLIBC_LIB)/$$l; done

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(BASE) $(CFLAGS) $(OBJ_FLAGS) -c $< -o $@

# The preload's private string functions must not be compiled into calls to themselves.
$(BUILD)/obj/preload/libc_local.o: OBJ_FLAGS = -fno-builtin -fno-tree-loop-distribute-patterns

# The errno names of this compiler's libc, one UW_ERRNO(NAME) per name defined
# as a number (src/errno_name.c); aliases defined as another name are left out.
$(BUILD)/gen/errno_names.h:
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@echo '#include <errno.h>' | $(CC) $(CPPFLAGS) -E -dM -x c - | \
		sed -n 's/^#define \(E[A-Z0-9]*\) [0-9][0-9]*$$/UW_ERRNO(\1)/p' | sort > $@.tmp
	@mv $@.tmp $@
$(BUILD)/obj/src/errno_name.o: $(BUILD)/gen/errno_names.h

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
MULTIARCH := $(shell cc -dumpmachine 2>/dev/null)
BPF_CFLAGS := -target bpf -O2 -g -Wall -Wextra -Werror -I/usr/include/$(MULTIARCH)

$(BUILD)/obj/sockops.bpf.o: tools/cgroup/sockops.bpf.c
	@mkdir -p $(dir $@)
	@echo "  BPF     $<"
	@clang $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@.tmp
	@llvm-strip -g $@.tmp -o $@
	@rm -f $@.tmp

$(BUILD)/obj/tools/cgroup/sockops_obj.o: tools/cgroup/sockops_obj.S $(BUILD)/obj/sockops.bpf.o
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) -c -DSOCKOPS_OBJ='"$(BUILD)/obj/sockops.bpf.o"' $< -o $@

# The launcher and its commands: every C file under tools/ (check/: reading ELF
# files and /proc; cgroup/: the BPF layer; demo/ are separate programs). The
# version is compiled into one object only.
TOOL_SRC := $(filter-out tools/cgroup/%.bpf.c tools/gen_docs.c,$(wildcard tools/*.c tools/check/*.c tools/cgroup/*.c \
	tools/live/*.c))
TOOL_OBJ := $(TOOL_SRC:%.c=$(BUILD)/tool-obj/%.o) $(BUILD)/obj/tools/cgroup/sockops_obj.o \
	$(BUILD)/tool-obj/version.o

$(BUILD)/tool-obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(WARN) $(CPPFLAGS) $(DEPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/tool-obj/version.o: VERSION
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@printf 'const char uw_version[] = "%s";\n' "$(VERSION)" | $(CC) -x c -c - -o $@

$(BUILD)/unwedge: $(TOOL_OBJ) $(CONFIG_OBJ)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -Wl,-z,noexecstack -o $@ $^

# The Go test programs: standard library only, never the network. h2wedge is the incident's
# program; gowriter the rescue tests' writer.
$(BUILD)/tests/gowriter: $(wildcard tests/go/gowriter/*.go) tests/go/go.mod
	@mkdir -p $(dir $@)
	@echo "  GO      $@"
	@cd tests/go && GOPROXY=off GOFLAGS=-mod=mod go build -p 1 -o $(abspath $@) ./gowriter

$(BUILD)/tests/h2wedge: $(wildcard tests/go/h2wedge/*.go) tests/go/go.mod
	@mkdir -p $(dir $@)
	@echo "  GO      $@"
	@cd tests/go && GOPROXY=off GOFLAGS=-mod=mod go build -p 1 -o $(abspath $@) ./h2wedge

$(BUILD)/tests/test_%: tests/unit/test_%.c $(SRC_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) $(CPPFLAGS) $(DEPFLAGS) $(CFLAGS) -o $@ $< $(SRC_OBJ) -lpthread

# Test helpers: one program per file, built with the flags below unless a
# target-specific value says otherwise; the variants share a source.
HELPER_CFLAGS = $(CFLAGS)
HELPER_LIBS = -lpthread
$(BUILD)/tests/tls%: HELPER_LIBS = -lssl -lcrypto -lpthread
# stdio two ways: plain calls (-O0), and what -O2 -D_FORTIFY_SOURCE=2 makes of
# them (__fprintf_chk, inline putc_unlocked calling __overflow). The same for syslog.
$(BUILD)/tests/wstdio $(BUILD)/tests/wsyslog: HELPER_CFLAGS = -O0 -g
$(BUILD)/tests/wstdio-fortify $(BUILD)/tests/wsyslog-fortify: HELPER_CFLAGS = -O2 -D_FORTIFY_SOURCE=2 -g
# Backtraces from a known call chain: -O0 with frame pointers, -O2 without, and
# the -O2 binary stripped (module+offset only); -count counts malloc and
# dl_iterate_phdr calls during the wedged write.
$(BUILD)/tests/wbacktrace: HELPER_CFLAGS = -O0 -g -fno-omit-frame-pointer
$(BUILD)/tests/wbacktrace-O2: HELPER_CFLAGS = -O2 -g -fomit-frame-pointer
$(BUILD)/tests/wbacktrace-count: HELPER_CFLAGS = -DCOUNT_CALLS -O2 -g -rdynamic
$(BUILD)/tests/wbacktrace-count: HELPER_LIBS = -lpthread -ldl
$(BUILD)/tests/hello-static: HELPER_CFLAGS = $(CFLAGS) -static

$(BUILD)/tests/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) $(CPPFLAGS) $(DEPFLAGS) $(HELPER_CFLAGS) -o $@ $< $(HELPER_LIBS)

$(BUILD)/tests/wstdio-fortify $(BUILD)/tests/wsyslog-fortify: $(BUILD)/tests/%-fortify: tests/helpers/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) $(CPPFLAGS) $(DEPFLAGS) $(HELPER_CFLAGS) -o $@ $< $(HELPER_LIBS)

$(BUILD)/tests/wbacktrace-O2 $(BUILD)/tests/wbacktrace-count: $(BUILD)/tests/wbacktrace-%: tests/helpers/wbacktrace.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) $(CPPFLAGS) $(DEPFLAGS) $(HELPER_CFLAGS) -o $@ $< $(HELPER_LIBS)

$(BUILD)/tests/hello-static: tests/helpers/hello.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) $(CPPFLAGS) $(DEPFLAGS) $(HELPER_CFLAGS) -o $@ $< $(HELPER_LIBS)

$(BUILD)/tests/wbacktrace-stripped: $(BUILD)/tests/wbacktrace-O2
	@echo "  STRIP   $@"
	@strip -o $@ $<

# Shared objects for the bootstrap tests (preloaded, or dlopen()ed late), and
# the benchmark's reference preloads.
$(BUILD)/tests/lib%.so: tests/helpers/lib%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) $(CPPFLAGS) $(DEPFLAGS) $(CFLAGS) -shared -fPIC -o $@ $<

$(BUILD)/demo/%: tools/demo/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) $(CPPFLAGS) $(DEPFLAGS) $(CFLAGS) -o $@ $< -lpthread

$(BUILD)/bench/percall: HELPER_LIBS = -lssl -lcrypto -lpthread
$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(WARN) $(CPPFLAGS) $(DEPFLAGS) $(CFLAGS) -o $@ $< $(HELPER_LIBS)

define SHARED_OBJECT
@mkdir -p $(dir $@)
@echo "  CC      $@"
@$(CC) $(WARN) $(CPPFLAGS) $(DEPFLAGS) $(LAYER_FLAGS) $(CFLAGS) -shared -fPIC -o $@ $<
endef
$(BUILD)/bench/liblayer_uto.so: LAYER_FLAGS = -DLAYER_UTO
$(BUILD)/bench/libempty.so: bench/empty.c
	$(SHARED_OBJECT)
$(BUILD)/bench/liblayer_%.so: bench/layer.c
	$(SHARED_OBJECT)

# The header dependencies the compiler recorded (none yet on a clean tree).
-include $(wildcard $(BUILD)/deps/*.d)

bench: all $(HELPER_BIN) $(BENCH_BIN) $(BENCH_LIB)
	python3 bench/run.py

demo: all $(DEMO_BIN)
	tools/demo/run-demo

# Everything the suite runs, built (make test-programs, then tests/run.py NAME... for a part).
test-programs: all $(UNIT_BIN) $(HELPER_BIN) $(BUILD)/tests/h2wedge $(BUILD)/tests/gowriter $(DEMO_BIN) $(BUILD)/bench/percall \
	$(BUILD)/bench/liblayer_uto.so $(BUILD)/bench/libempty.so $(FUZZ_BIN)

check: test-programs sanitized
	python3 tests/run.py --with-sanitizers

# The preload built with ASan+UBSan and with TSan, for the suite's second and third passes.
sanitized:
	@$(MAKE) -s SANITIZE=address,undefined build-address-undefined/libunwedge.so \
		build-address-undefined/libunwedge-backtrace.so
	@$(MAKE) -s SANITIZE=thread build-thread/libunwedge.so build-thread/libunwedge-backtrace.so

FORMATTED := $(wildcard tests/common/*.h src/*.[ch] src/backtrace/*.[ch] preload/*.[ch] tools/*.[ch] tools/check/*.[ch] tools/live/*.[ch] tools/cgroup/*.[ch] tools/demo/*.c tests/unit/*.[ch] tests/helpers/*.[ch] tests/fuzz/*.c bench/*.c)
# libFuzzer on the settings parser: a short run in `make check`, longer here.
$(BUILD)/fuzz/fuzz_config: $(FUZZ_config)
$(BUILD)/fuzz/fuzz_event: $(FUZZ_event) $(BUILD)/gen/errno_names.h
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@clang -g -O1 $(CPPFLAGS) $(DEPFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_$*)

fuzz: $(FUZZ_BIN)
	mkdir -p $(BUILD)/fuzz/corpus-config $(BUILD)/fuzz/corpus-event
	$(BUILD)/fuzz/fuzz_config -max_total_time=$${FUZZ_SECONDS:-300} $(BUILD)/fuzz/corpus-config tests/fuzz/corpus
	$(BUILD)/fuzz/fuzz_event -max_total_time=$${FUZZ_SECONDS:-300} $(BUILD)/fuzz/corpus-event

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
	@$(MAKE) -s --no-print-directory install-one-value
	install -m 0644 man/unwedge.1 $(DESTDIR)$(MANDIR)/man1/unwedge.1
	install -m 0644 man/unwedge.7 $(DESTDIR)$(MANDIR)/man7/unwedge.7
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/

# The one-LD_PRELOAD-value layout, when the musl build is there (see "musl:" above):
# LIBDIR/$LIB/libunwedge.so the musl build, LIBDIR/<glibc's $LIB>/ links to the glibc
# objects; the launcher then preloads LIBDIR/$LIB/libunwedge.so for every program.
.PHONY: install-one-value
install-one-value:
	@if [ "$(BUILD)" = build ] && [ -f build/musl/libunwedge.so ]; then \
		echo "install -m 0644 build/musl/libunwedge.so '$(DESTDIR)$(LIBDIR)/\$$LIB/libunwedge.so'"; \
		install -d '$(DESTDIR)$(LIBDIR)/$$LIB' $(DESTDIR)$(LIBDIR)/$(GLIBC_LIB) && \
		install -m 0644 build/musl/libunwedge.so '$(DESTDIR)$(LIBDIR)/$$LIB/libunwedge.so' && \
		for l in libunwedge.so $(OPTIONAL_LIBS); do \
			if [ -f $(BUILD)/$$l ]; then ln -sfn $(GLIBC_LIB_UP)/$$l $(DESTDIR)$(LIBDIR)/$(GLIBC_LIB)/$$l; fi; \
		done; \
	fi

# make dist: one tree per architecture, each in the one-LD_PRELOAD-value layout, for an
# init container to copy into a shared volume (or to mount as an image volume), and a
# tarball of it: build/dist/unwedge-VERSION/ARCH/lib/unwedge/ holds the glibc build,
# links to it at each name glibc's loader gives $LIB (Debian's multiarch directory,
# lib64, lib), the musl build under $LIB/ when there is one; ARCH/bin/ the
# launchers (unwedge: glibc, unwedge-musl). One value for every program of ARCH:
# LD_PRELOAD='DIR/lib/unwedge/$LIB/libunwedge.so'. Builds what the installed
# compilers can: amd64 glibc always, amd64 musl with musl-gcc, arm64 with the cross tools.
DIST := build/dist/unwedge-$(VERSION)
.PHONY: dist
dist: all $(if $(ARM64_GCC),arm64)
	@rm -rf $(DIST) && mkdir -p $(DIST)
	@tools/dist-tree $(DIST)/amd64 build x86_64-linux-gnu $(if $(MUSL_GCC),build/musl)
	@$(if $(ARM64_GCC),tools/dist-tree $(DIST)/arm64 build/aarch64 aarch64-linux-gnu)
	@tar -C build/dist -czf $(DIST).tar.gz unwedge-$(VERSION)
	@echo "  DIST    $(DIST) $(DIST).tar.gz"

uninstall:
	rm -f '$(DESTDIR)$(LIBDIR)/$$LIB/libunwedge.so' $(addprefix $(DESTDIR)$(LIBDIR)/$(GLIBC_LIB)/,libunwedge.so $(OPTIONAL_LIBS))
	rmdir '$(DESTDIR)$(LIBDIR)/$$LIB' $(DESTDIR)$(LIBDIR)/$(GLIBC_LIB) $(DESTDIR)$(LIBDIR)/$(dir $(GLIBC_LIB)) 2>/dev/null || true
	rm -f $(DESTDIR)$(BINDIR)/unwedge $(DESTDIR)$(LIBDIR)/libunwedge.so \
		$(addprefix $(DESTDIR)$(LIBDIR)/,$(OPTIONAL_LIBS)) \
		$(DESTDIR)$(MANDIR)/man1/unwedge.1 $(DESTDIR)$(MANDIR)/man7/unwedge.7 \
		$(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOCS)))
	rmdir $(DESTDIR)$(LIBDIR) $(DESTDIR)$(DOCDIR) 2>/dev/null || true

clean:
	rm -rf build build-*

# The option sections of the README and unwedge(1), generated from the settings table
# (src/config.c) and the launcher's options (tools/launch_options.c); tests/integration/
# test_docs_generated.py fails when they are out of date.
GEN_DOCS_FILES := README.md man/unwedge.1 man/unwedge.7 tools/unwedge.bash-completion
$(BUILD)/gen_docs: $(BUILD)/tool-obj/tools/gen_docs.o $(BUILD)/tool-obj/tools/launch_options.o $(CONFIG_OBJ)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^
all: $(BUILD)/gen_docs
.PHONY: docs
docs: $(BUILD)/gen_docs
	$(BUILD)/gen_docs --update $(GEN_DOCS_FILES)
