# Makefile - acme: one small static ACME client (acme.c + acme.h).
#
#   make                 vendor libraries (musl), then ./acme (the release)
#   make test            ./acme-test (test build) and test/unit, then
#                        sh test/run.sh; ./acme too, to check it ignores
#                        the test switches
#   make asan            ./acme-asan and test/unit-asan (gcc, glibc, ASan+UBSan)
#   make test-asan       test/run.sh with the sanitizer builds
#   make demo            sh test/demo.sh (a certificate from a local Pebble)
#   make bench           sh test/bench.sh (figures beside uacme and lego)
#   make fuzz            fuzz/fuzz_* (clang libFuzzer + ASan + UBSan, glibc
#                        libraries; one binary, fuzz/fuzzers, under each
#                        fuzzer's name), each run FUZZ_SECONDS (60) on its
#                        corpus
#   make deps            Debian packages for building and testing, deb-src
#                        (vendor/deps.sh: as root, or through sudo)
#   make cross-deps      the same plus the cross compilers and qemu-user
#   make acme-TARGET     a static binary for a device (TARGET: aarch64 armv7
#                        armv6 mipsel-sf mips-sf; README.md)
#   make test-qemu TARGET=T  the whole suite with T's binaries under qemu-user
#   make release         every target and x86_64 in release/, SHA256SUMS
#   make install         $(DESTDIR)$(PREFIX)/bin/acme and man1/acme.1
#   make uninstall | clean | distclean (clean + vendor/out)
#
# Overridable: CC CFLAGS CPPFLAGS LDFLAGS STATIC PREFIX DESTDIR, and
# ASAN_CC ASAN_CFLAGS for the sanitizer builds. The warning flags, include
# path and libraries are added whatever CFLAGS says. CC, the native gcc, is
# also the compiler vendor/ builds musl, BearSSL and libcurl with (see
# vendor/README.md); it links against that musl through the specs file
# vendor/out/musl/musl.specs, not against the system's C library.
# Never -march=native: the binary must run on any CPU of its architecture.
# The device targets add their own flags (vendor/targets.mk) and use the
# cross compilers, whatever CC says.

CC		= gcc
# -Oz for acme.c only: LTO keeps the -Os of BearSSL and libcurl (their
# functions come out byte for byte the same), so no crypto gets slower.
# -fno-pie: the static binary is not position-independent anyway, so tables
# of pointers need no relocation and addresses fit in instructions.
CFLAGS		= -Oz -ffunction-sections -fdata-sections \
		  -fno-asynchronous-unwind-tables -fno-unwind-tables -flto=auto \
		  -fno-pie
CPPFLAGS	=
# noseparate-code and no build id: 4 KB of page padding and a note less.
# norelro: musl never write-protects the RELRO part of a static binary, so
# the segment only cost page padding (measured: /proc/PID/maps keeps it rw).
# One LTO partition: the whole program optimised as one unit, 1.4 KB
# smaller than the parallel partitions (a link takes some seconds more).
# common-page-size=64: the data segment starts in the file right after the
# code, at the same offset within its page, instead of on a page boundary of
# its own (ld pads the file to save the process one page of address space):
# up to a page less (1,152 B on x86_64); the last code page is mapped twice.
LDFLAGS		= -Wl,--gc-sections -flto=auto -flto-partition=one -s \
		  -Wl,-z,noseparate-code -Wl,--build-id=none -no-pie \
		  -Wl,-z,norelro -Wl,-z,common-page-size=64
STATIC		= -static
PREFIX		= /usr/local
DESTDIR		=
BINDIR		= $(PREFIX)/bin
MANDIR		= $(PREFIX)/share/man

ASAN_CC		= gcc
ASAN_CFLAGS	= -O1 -g -fno-omit-frame-pointer \
		  -fsanitize=address,undefined -fno-sanitize-recover=all

# Fuzzers: clang's libFuzzer against the glibc variant of vendor/ (built by
# gcc without sanitizers: the libraries are not instrumented, acme.c is).
FUZZ_CC		= clang
FUZZ_CFLAGS	= -O1 -g -fno-omit-frame-pointer \
		  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		  -Wno-format-nonliteral
FUZZ_SECONDS	= 60
FUZZERS		= $(patsubst test/%.c,fuzz/%,$(wildcard test/fuzz_*.c))

WARNINGS	= -Wall -Wextra -Wmissing-prototypes -Wstrict-prototypes \
		  -Wshadow -Wpointer-arith -Wcast-qual -Wwrite-strings \
		  -Wformat=2 -Wundef
MUSL		= vendor/out/musl
MUSL_GCC	= $(CC) -specs=$(MUSL)/musl.specs
GLIBC		= vendor/out/glibc
LIBS		= -lcurl -lbearssl

# The build date is a lower bound of the true time for checking the CA's
# TLS certificate on a device whose clock reads 1970 (acme(1), TIME).
# Reproducible builds set SOURCE_DATE_EPOCH.
BUILD_TIME	= $(or $(SOURCE_DATE_EPOCH),$(shell date +%s))
BUILD_DEFS	= -DACME_BUILD_TIME=$(BUILD_TIME)
# Test builds read the ACME_TEST_* switches (acme(1), ENVIRONMENT); the
# release ./acme is built without them and ignores that environment.
TEST_DEFS	= -DACME_TEST

SRCS		= acme.c acme.h
TEST_SRCS	= $(wildcard test/*.c test/*.h)

include vendor/targets.mk

QEMU_DIR	= test/qemu
RELEASE_DIR	= release
# The targets whose cross compiler and qemu are installed (make cross-deps):
# `make test` builds them, and test/e2e/60-devices.sh runs each under qemu.
CROSS_READY	= $(foreach t,$(TARGETS),$(if $(shell command -v \
		  $($(t)_CROSS)gcc >/dev/null && command -v $($(t)_QEMU)),$(t)))
CROSS_TESTED	= $(foreach t,$(CROSS_READY),acme-$(t) $(QEMU_DIR)/$(t)/acme)

all: acme

# vendor/ decides itself whether anything is out of date; a stamp only
# changes (and so relinks us) when a library was rebuilt. Sources are
# unpacked first, once, so that `make -j test test-asan` builds both library
# variants side by side without racing on the shared source trees.
vendor-sources:
	@$(MAKE) --no-print-directory -C vendor sources

$(MUSL)/.done: vendor-sources
	@$(MAKE) --no-print-directory -C vendor musl MUSL_CC='$(CC)'

$(GLIBC)/.done: vendor-sources
	@$(MAKE) --no-print-directory -C vendor glibc GLIBC_CC='$(ASAN_CC)'

vendor: $(MUSL)/.done

acme: $(SRCS) $(MUSL)/.done
	$(MUSL_GCC) $(WARNINGS) $(CFLAGS) $(CPPFLAGS) $(BUILD_DEFS) \
	    -isystem $(MUSL)/include \
	    $(STATIC) $(LDFLAGS) -o $@ acme.c -L$(MUSL)/lib $(LIBS)

# The same static binary with the test switches, for the end-to-end tests.
acme-test: $(SRCS) $(MUSL)/.done
	$(MUSL_GCC) $(WARNINGS) $(CFLAGS) $(CPPFLAGS) $(BUILD_DEFS) $(TEST_DEFS) \
	    -isystem $(MUSL)/include \
	    $(STATIC) $(LDFLAGS) -o $@ acme.c -L$(MUSL)/lib $(LIBS)

# Unit tests: test/unit.c defines ACME_NO_MAIN and includes ../acme.c; same
# flags as the test build, plus debug information, not stripped.
test/unit: $(TEST_SRCS) $(SRCS) $(MUSL)/.done
	$(MUSL_GCC) $(WARNINGS) $(CFLAGS) -g $(CPPFLAGS) $(TEST_DEFS) \
	    -isystem $(MUSL)/include \
	    $(STATIC) $(filter-out -s,$(LDFLAGS)) -o $@ test/unit.c \
	    -L$(MUSL)/lib $(LIBS)

acme-asan: $(SRCS) $(GLIBC)/.done
	$(ASAN_CC) $(WARNINGS) $(ASAN_CFLAGS) $(CPPFLAGS) $(BUILD_DEFS) \
	    $(TEST_DEFS) -isystem $(GLIBC)/include -o $@ acme.c \
	    -L$(GLIBC)/lib $(LIBS)

test/unit-asan: $(TEST_SRCS) $(SRCS) $(GLIBC)/.done
	$(ASAN_CC) $(WARNINGS) $(ASAN_CFLAGS) $(CPPFLAGS) $(TEST_DEFS) \
	    -isystem $(GLIBC)/include -o $@ test/unit.c \
	    -L$(GLIBC)/lib $(LIBS)

asan: acme-asan test/unit-asan

# Each fuzzer includes acme.c (ACME_NO_MAIN, through test/fuzz.h) to reach
# the parser it names. All of them are compiled as one translation unit,
# fuzz/fuzzers.c, into one binary (acme.c compiled once, not once per
# fuzzer: 7 times less compiling); fuzz/fuzz_NAME is a hard link to it, and
# the name it runs under picks the fuzzer (test/fuzzers.h).
FUZZ_NAMES	= $(patsubst fuzz/fuzz_%,%,$(FUZZERS))

fuzz/fuzzers.c: Makefile $(wildcard test/fuzz_*.c)
	@mkdir -p fuzz
	@{ echo '/* generated by the Makefile from test/fuzz_*.c */'; \
	  echo '#include "../test/fuzz.h"'; \
	  for n in $(FUZZ_NAMES); do \
	    echo "int fuzz_one_$$n(const uint8_t *data, size_t size);"; \
	    echo "#define LLVMFuzzerTestOneInput fuzz_one_$$n"; \
	    echo "#include \"../test/fuzz_$$n.c\""; \
	    echo '#undef LLVMFuzzerTestOneInput'; \
	  done; \
	  printf '#define FUZZ_TABLE'; \
	  for n in $(FUZZ_NAMES); do printf ' { "%s", fuzz_one_%s },' $$n $$n; \
	  done; echo; \
	  echo '#include "../test/fuzzers.h"'; } > $@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

fuzz/fuzzers: fuzz/fuzzers.c test/fuzzers.h test/fuzz.h \
    $(wildcard test/fuzz_*.c) $(SRCS) $(GLIBC)/.done
	$(FUZZ_CC) $(WARNINGS) $(FUZZ_CFLAGS) $(CPPFLAGS) \
	    -isystem $(GLIBC)/include -o $@ fuzz/fuzzers.c -L$(GLIBC)/lib $(LIBS)

$(FUZZERS): fuzz/fuzzers
	ln -f $< $@

fuzzers: $(FUZZERS)

# test/fuzz.sh runs each for FUZZ_SECONDS on a scratch copy of its corpus
# test/fuzz/NAME/ and prints the executions; a finding stops it (exit 1).
fuzz: fuzzers
	sh test/fuzz.sh $(FUZZ_SECONDS) $(FUZZERS)

# test/run.sh runs the unit binary and the end-to-end tests and prints the
# final `N passed, N failed` line; it gets absolute paths to the binaries:
# ACME the test build under test, ACME_RELEASE the release binary.
# What only some end-to-end tests need (the device targets, the fuzzers with
# the glibc variant of vendor/, step-ca: test-builds) is built meanwhile:
# test/run.sh starts TEST_BUILD in the background, niced, runs the tests
# that need none of it (most of their time is spent waiting, on Pebble, on
# timeouts), then waits for it and runs the others ("built" in test/e2e/).
# A failed device build fails the suite (the `build` test); the fuzzers and
# step-ca are built again by their tests, which report why they cannot be
# (skipped without clang or golang, as before).
# (TEST_MAKE, not $(MAKE) in the recipe: `make -n test` only prints it.)
TEST_JOBS	= $(shell nproc 2>/dev/null || echo 2)
TEST_MAKE	= $(MAKE)
test: acme acme-test test/unit
	ACME='$(CURDIR)/acme-test' ACME_RELEASE='$(CURDIR)/acme' \
	    UNIT='$(CURDIR)/test/unit' \
	    TEST_BUILD='nice -n 10 $(TEST_MAKE) --no-print-directory \
	    -j$(TEST_JOBS) test-builds' sh test/run.sh

test-builds: $(CROSS_TESTED) test-stepca test-fuzzers
test-stepca:
	-bash test/stepca.sh
test-fuzzers:
	-@$(MAKE) --no-print-directory fuzzers

test-asan: acme acme-asan test/unit-asan
	ACME='$(CURDIR)/acme-asan' ACME_RELEASE='$(CURDIR)/acme' \
	    UNIT='$(CURDIR)/test/unit-asan' \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 sh test/run.sh

demo: acme
	ACME='$(CURDIR)/acme' sh test/demo.sh

bench: acme
	ACME='$(CURDIR)/acme' sh test/bench.sh

deps:
	bash vendor/deps.sh

install: acme acme.1
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 acme $(DESTDIR)$(BINDIR)/acme
	install -m 644 acme.1 $(DESTDIR)$(MANDIR)/man1/acme.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/acme $(DESTDIR)$(MANDIR)/man1/acme.1

clean:
	rm -f acme acme-test acme-asan test/unit test/unit-asan *.o test/*.o \
	    $(TARGETS:%=acme-%)
	rm -rf fuzz $(QEMU_DIR) $(RELEASE_DIR)
	if [ -f demo/.made-by-make-demo ]; then rm -rf demo; fi

distclean: clean
	$(MAKE) -C vendor distclean

# ---- device targets ---------------------------------------------------
# acme-TARGET: the release binary, linked like ./acme but by the target's
# cross gcc with vendor/out/TARGET/musl.specs (musl, libraries and runtime
# of that target). test/qemu/TARGET/ holds the test build (acme.bin, with
# TEST_DEFS), the unit tests (unit.bin) and two wrappers, acme and unit,
# that run them under qemu-user with the CPU pinned (binfmt is not needed).

# After vendor-sources: both fetch into vendor/out/src/.
vendor-cross-sources: vendor-sources
	@$(MAKE) --no-print-directory -C vendor cross-sources

$(TARGETS:%=vendor/out/%/.done): vendor-sources vendor-cross-sources
	@$(MAKE) --no-print-directory -C vendor $(@:vendor/out/%/.done=%)

# $(call cross_cc,TARGET): the target's compiler with its specs and flags.
cross_cc	= $($(1)_CROSS)gcc -specs=vendor/out/$(1)/musl.specs $($(1)_FLAGS)

$(TARGETS:%=acme-%): acme-%: $(SRCS) vendor/out/%/.done
	$(call cross_cc,$*) $(WARNINGS) $(CFLAGS) $(CPPFLAGS) $(BUILD_DEFS) \
	    $(STATIC) $(LDFLAGS) $($*_LDFLAGS) -o $@ acme.c \
	    -Lvendor/out/$*/lib $(LIBS)

$(TARGETS:%=$(QEMU_DIR)/%/acme.bin): $(QEMU_DIR)/%/acme.bin: $(SRCS) \
    vendor/out/%/.done
	@mkdir -p $(@D)
	$(call cross_cc,$*) $(WARNINGS) $(CFLAGS) $(CPPFLAGS) $(BUILD_DEFS) \
	    $(TEST_DEFS) $(STATIC) $(LDFLAGS) $($*_LDFLAGS) -o $@ acme.c \
	    -Lvendor/out/$*/lib $(LIBS)

$(TARGETS:%=$(QEMU_DIR)/%/unit.bin): $(QEMU_DIR)/%/unit.bin: $(TEST_SRCS) \
    $(SRCS) vendor/out/%/.done
	@mkdir -p $(@D)
	$(call cross_cc,$*) $(WARNINGS) $(CFLAGS) -g $(CPPFLAGS) $(STATIC) \
	    $(filter-out -s,$(LDFLAGS)) $($*_LDFLAGS) -o $@ test/unit.c \
	    -Lvendor/out/$*/lib $(LIBS)

# The wrappers: what test/run.sh gets as ACME and UNIT.
$(TARGETS:%=$(QEMU_DIR)/%/acme): $(QEMU_DIR)/%/acme: $(QEMU_DIR)/%/acme.bin
	printf '#!/bin/sh\nexec %s -cpu %s %s "$$@"\n' '$($*_QEMU)' \
	    '$($*_CPU)' '$(CURDIR)/$<' > $@.new && chmod 755 $@.new && mv $@.new $@

$(TARGETS:%=$(QEMU_DIR)/%/unit): $(QEMU_DIR)/%/unit: $(QEMU_DIR)/%/unit.bin
	printf '#!/bin/sh\nexec %s -cpu %s %s "$$@"\n' '$($*_QEMU)' \
	    '$($*_CPU)' '$(CURDIR)/$<' > $@.new && chmod 755 $@.new && mv $@.new $@

# Emulated, an RSA-4096 key takes minutes (armv6: ARMv5TE Thumb code), so
# one acme run may take up to 15 minutes here.
TARGET		=
test-qemu:
	@case ' $(TARGETS) ' in *' $(TARGET) '*) ;; *) \
	    echo "usage: make test-qemu TARGET=T, T one of: $(TARGETS)" >&2; \
	    exit 2 ;; esac
	$(MAKE) $(QEMU_DIR)/$(TARGET)/acme $(QEMU_DIR)/$(TARGET)/unit
	ACME='$(CURDIR)/$(QEMU_DIR)/$(TARGET)/acme' \
	    UNIT='$(CURDIR)/$(QEMU_DIR)/$(TARGET)/unit' \
	    ACME_TIMEOUT=$${ACME_TIMEOUT:-900} sh test/run.sh

# Every target plus x86_64 (./acme), the man page and SHA256SUMS.
release: acme $(TARGETS:%=acme-%) acme.1
	rm -rf $(RELEASE_DIR) && mkdir -p $(RELEASE_DIR)
	cp acme $(RELEASE_DIR)/acme-x86_64
	cp $(TARGETS:%=acme-%) acme.1 $(RELEASE_DIR)/
	cd $(RELEASE_DIR) && sha256sum acme-* acme.1 > SHA256SUMS

cross-deps:
	bash vendor/deps.sh --cross

.PHONY: all vendor vendor-sources vendor-cross-sources asan test test-asan \
	test-builds test-stepca test-fuzzers \
	test-qemu release demo bench deps cross-deps install uninstall clean \
	distclean fuzz fuzzers
