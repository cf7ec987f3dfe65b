# vendor/variant.mk - build one variant of the libraries into out/V/.
# vendor/Makefile runs it, after unpacking the sources, as
#
#   make -f variant.mk O=OUTDIR V=NAME VCC=COMPILER VCFLAGS=FLAGS ...
#
# (`make -C vendor musl` shows the exact line with -n). Plain variables:
#   V        variant name: results in $(O)/$(V)/{include,lib}, build trees
#            in $(O)/build-$(V)/
#   VCC      the compiler BearSSL and libcurl are built with (glibc)
#   VCFLAGS  their flags
#   CURLFLAGS  more flags for libcurl only
#   BEARSSLFLAGS  more flags for BearSSL only
#   BEARSSL_VERSION CURL_VERSION CURL_CONFIG  as in vendor/Makefile
# and for a musl variant (the release and the device targets of
# vendor/targets.mk) instead of VCC:
#   TCC      the gcc that compiles for the variant's machine: the native
#            gcc for the release, the Debian cross gcc for a device target
#   CROSS    the prefix of its binutils (aarch64-linux-gnu-; empty: native)
#   TFLAGS   the target's flags, for every file compiled
#   MFLAGS   more flags for musl only
#   RT       gcc, or compiler-rt: build the compiler's helper routines
#            (soft-float arithmetic, 64-bit division...) here
#   MUSL_VERSION LLVM_VERSION  recorded, so that a new version rebuilds
# A musl variant first builds musl from source into $(O)/$(V) and writes
# $(O)/$(V)/musl.specs, which makes TCC use that musl (and the runtime)
# instead of Debian's glibc; VCC is then TCC with those specs.

OUT	= $(O)/$(V)
B	= $(O)/build-$(V)
TREE	= $(O)/tree
SRC	= $(O)/src
AR	= $(CROSS)gcc-ar

# -static also for configure's test programs: there is no shared musl.
ifneq ($(TCC),)
VCC	= $(TCC) -specs=$(OUT)/musl.specs $(TFLAGS) -static
LIBC	= $(OUT)/lib/libc.a $(OUT)/musl.specs
ifeq ($(RT),compiler-rt)
LIBC	+= $(OUT)/lib/libbuiltins.a
endif
endif

# The sub-makes (musl, BearSSL, curl) get only what their command lines say.
MAKEOVERRIDES =
unexport CC CFLAGS CPPFLAGS LDFLAGS LIBS

all: $(OUT)/.done

# The flags this variant was built with; rewritten only when they change.
$(OUT)/config.txt: FORCE
	@mkdir -p $(@D)
	@printf '%s\n' '$(VCC)' '$(VCFLAGS)' '$(CURLFLAGS)' '$(BEARSSLFLAGS)' \
	    '$(AR)' '$(CROSS)' \
	    '$(strip $(TFLAGS) $(MFLAGS) $(MUSL_OPT))' \
	    '$(RT)' '$(BEARSSL_VERSION)' '$(CURL_VERSION)' '$(MUSL_VERSION)' \
	    '$(LLVM_VERSION)' '$(CURL_CONFIG)' > $@.new
	@if cmp -s $@ $@.new; then rm $@.new; else mv $@.new $@; fi

# ---- musl variants: musl, the specs file, the runtime -----------------

# musl as Debian's musl package builds it, but with the target's flags
# (-msoft-float makes musl's soft-float "sf" subarch) and only what a static
# binary needs: the PIE start files Scrt1.o and rcrt1.o are left out (they
# must be PIC, and our binaries are not PIE). musl's libm, libpthread and
# friends are empty archives; libc.a has it all.
MUSL_GOALS = lib/libc.a lib/crt1.o lib/crti.o lib/crtn.o lib/libm.a \
	lib/libpthread.a lib/librt.a lib/libdl.a lib/libcrypt.a lib/libutil.a \
	lib/libresolv.a lib/libxnet.a

# musl at -Oz, not musl's usual -Os: 0.9 KB less on x86_64; its string
# functions that matter for speed are assembly on x86_64, ARM and aarch64.
MUSL_OPT = -Oz

$(OUT)/lib/libc.a: $(TREE)/musl/.unpacked $(OUT)/config.txt
	rm -rf $(B)/musl $(OUT)/include $(OUT)/lib
	mkdir -p $(B)/musl $(OUT)/lib
	cd $(B)/musl && $(TREE)/musl/configure --prefix=$(OUT) \
	    --target=$(CROSS:%-=%) --disable-shared --disable-wrapper \
	    CROSS_COMPILE=$(CROSS) CC='$(TCC)' CFLAGS='$(TFLAGS) $(MFLAGS) $(MUSL_OPT)' \
	    > configure.log
	$(MAKE) -s -C $(B)/musl $(MUSL_GOALS) install-headers
	cp $(MUSL_GOALS:%=$(B)/musl/%) $(OUT)/lib/

# What musl-gcc's specs do, for a static binary: musl's headers and crt
# files, no glibc directory searched, and the runtime RT.
$(OUT)/musl.specs: $(OUT)/config.txt
	@mkdir -p $(@D)
	@{ printf '%s\n' '%rename cpp_options old_cpp_options' '' \
	    '*cpp_options:' \
	    '-nostdinc -isystem $(OUT)/include -isystem include%s %(old_cpp_options)' \
	    '' '*cc1:' \
	    '%(cc1_cpu) -nostdinc -isystem $(OUT)/include -isystem include%s' \
	    '' '*link_libgcc:' '-L$(OUT)/lib -L .%s' '' \
	    '*startfile:' '$(OUT)/lib/crt1.o $(OUT)/lib/crti.o' '' \
	    '*endfile:' '$(OUT)/lib/crtn.o' '' \
	    '%rename link old_link' '' '*link:' '%(old_link) -nostdlib' ''; \
	  if [ '$(RT)' = compiler-rt ]; then \
	    printf '%s\n' '*libgcc:' '$(OUT)/lib/libbuiltins.a' ''; \
	  fi; } > $@

# compiler-rt's generic C builtins that gcc calls on a 32-bit soft-float
# target: float and double arithmetic, comparisons and conversions, and the
# 64-bit integer helpers. No LTO: the compiler emits these calls after it.
BUILTINS = adddf3 addsf3 subdf3 subsf3 muldf3 mulsf3 divdf3 divsf3 \
	negdf2 negsf2 comparedf2 comparesf2 extendsfdf2 truncdfsf2 \
	fixdfsi fixdfdi fixsfsi fixsfdi fixunsdfsi fixunsdfdi fixunssfsi \
	fixunssfdi floatsidf floatsisf floatdidf floatdisf floatunsidf \
	floatunsisf floatundidf floatundisf powidf2 powisf2 \
	ashldi3 ashrdi3 lshrdi3 divdi3 moddi3 udivdi3 umoddi3 udivmoddi4 \
	divmoddi4 muldi3 negdi2 cmpdi2 ucmpdi2 clzsi2 clzdi2 ctzsi2 ctzdi2 \
	ffssi2 ffsdi2 popcountsi2 popcountdi2 paritysi2 paritydi2 bswapsi2 \
	bswapdi2 mulodi4 mulosi4 fp_mode int_util
BUILTINS_O = $(BUILTINS:%=$(B)/builtins/%.o)

$(B)/builtins/%.o: $(TREE)/compiler-rt/lib/builtins/%.c \
    $(OUT)/lib/libc.a $(OUT)/musl.specs
	@mkdir -p $(@D)
	$(VCC) -Os -ffunction-sections -fdata-sections -fno-builtin \
	    -c -o $@ $<

$(OUT)/lib/libbuiltins.a: $(BUILTINS_O)
	rm -f $@
	$(AR) rcs $@ $(BUILTINS_O)

# ---- every variant: BearSSL, libcurl, jsmn.h ---------------------------

$(OUT)/lib/libbearssl.a: $(TREE)/bearssl/.unpacked $(OUT)/config.txt $(LIBC)
	rm -rf $(B)/bearssl
	mkdir -p $(B)/bearssl/obj $(OUT)/lib $(OUT)/include
	$(MAKE) -s -C $(TREE)/bearssl BUILD=$(B)/bearssl \
	    CC='$(VCC)' CFLAGS='$(VCFLAGS) $(BEARSSLFLAGS)' AR='$(AR)' lib
	cp $(TREE)/bearssl/inc/*.h $(OUT)/include/
	cp $(B)/bearssl/libbearssl.a $@

# curl's configure runs without the LTO flags: its ~280 test compiles and
# links do not depend on them (the same curl_config.h on every target),
# and each LTO link costs a quarter of a second of CPU more. The library
# itself is compiled with them (AM_CFLAGS, empty in this configuration).
LTO	= $(filter -flto%,$(VCFLAGS))

$(OUT)/lib/libcurl.a: $(TREE)/curl/.unpacked $(OUT)/lib/libbearssl.a
	rm -rf $(B)/curl $(OUT)/include/curl
	mkdir -p $(B)/curl
	cd $(B)/curl && $(TREE)/curl/configure -q \
	    --host=$$($(VCC) -dumpmachine) \
	    --prefix=$(OUT) --with-bearssl=$(OUT) $(CURL_CONFIG) \
	    CC='$(VCC)' CFLAGS='$(filter-out $(LTO),$(VCFLAGS)) $(CURLFLAGS)' \
	    AR='$(AR)' CPPFLAGS= LDFLAGS= LIBS=
	$(MAKE) -C $(B)/curl/lib libcurl.la AM_CFLAGS='$(LTO)'
	$(MAKE) -C $(B)/curl/include install
	cp $(B)/curl/lib/.libs/libcurl.a $@

$(OUT)/include/jsmn.h: $(SRC)/jsmn.h $(OUT)/lib/libbearssl.a
	mkdir -p $(@D)
	cp $(SRC)/jsmn.h $@

$(OUT)/.done: $(OUT)/lib/libcurl.a $(OUT)/lib/libbearssl.a \
    $(OUT)/include/jsmn.h
	touch $@

FORCE:
.PHONY: all FORCE
