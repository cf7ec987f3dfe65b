# vendor/targets.mk - the device targets, included by Makefile and
# vendor/Makefile. One block per target, plain variables named TARGET_WHAT:
#
#   _CROSS  prefix of the Debian cross compiler (make cross-deps installs it)
#   _FLAGS  added to every compile of the target: musl, the soft-float
#           runtime, BearSSL, libcurl and acme itself
#   _LDFLAGS added when acme is linked
#   _MUSL_FLAGS added when musl is built
#   _RT     the runtime for the compiler's helper calls: gcc (the cross
#           compiler's own libgcc.a) or compiler-rt (built here soft-float,
#           because Debian's MIPS libgcc.a is hard-float)
#   _QEMU _CPU  qemu-user binary and the CPU model the tests pin
#
# musl is built for every target from Debian's musl source package (the same
# 1.2.3 as musl-tools). -fno-pie: the binaries are static, not static-pie, so
# position-independent code would only cost bytes. See vendor/README.md, Device targets.

TARGETS		= aarch64 armv7 armv6 mipsel-sf mips-sf

# Raspberry Pi 3/4/5 (64-bit OS), OpenWrt aarch64_cortex-a53 (filogic,
# mediatek, bcm27xx). LOAD segments aligned to 16 KiB, so the binary runs on
# 4K- and 16K-page kernels (the Pi 5's default) without 64 KiB of padding.
aarch64_CROSS	= aarch64-linux-gnu-
aarch64_FLAGS	= -fno-pie -march=armv8-a -mtune=cortex-a53
aarch64_LDFLAGS	= -Wl,-z,max-page-size=16384
aarch64_RT	= gcc
aarch64_MUSL_FLAGS =
aarch64_QEMU	= qemu-aarch64-static
aarch64_CPU	= cortex-a53

# Raspberry Pi 2/3/4 (32-bit OS), OpenWrt arm_cortex-a7_neon-vfpv4
# (ipq40xx), arm_cortex-a9_vfpv3-d16 (mvebu): ARMv7-A, Thumb-2, hard-float
# with the VFPv3-D16 every ARMv7 FPU has.
armv7_CROSS	= arm-linux-gnueabihf-
armv7_FLAGS	= -fno-pie -march=armv7-a+fp -mfpu=vfpv3-d16 -mfloat-abi=hard \
		  -mthumb -mtune=cortex-a7
armv7_LDFLAGS	=
armv7_RT	= gcc
armv7_MUSL_FLAGS =
armv7_QEMU	= qemu-arm-static
armv7_CPU	= cortex-a7

# Raspberry Pi 1/Zero (ARM1176JZF-S), OpenWrt arm_arm1176jzf-s_vfp (bcm2708)
# and the ARMv5TE routers: Debian's armel code, ARMv5TE soft-float EABI,
# which runs on every ARMv6 and later (no ARMv7 instruction anywhere, also
# not in armel's libgcc.a). Thumb (Thumb-1 on ARMv5TE) for size.
armv6_CROSS	= arm-linux-gnueabi-
armv6_FLAGS	= -fno-pie -march=armv5te -mfloat-abi=soft -mthumb \
		  -mtune=arm1176jzf-s
armv6_LDFLAGS	=
armv6_RT	= gcc
armv6_MUSL_FLAGS =
armv6_QEMU	= qemu-arm-static
armv6_CPU	= arm1176

# OpenWrt mipsel_24kc (ramips mt76x8, mt7621's 1004Kc runs it too) and
# mips_24kc (ath79: 24Kc/74Kc): MIPS32r2, soft-float, since these routers
# have no FPU and their kernels often no FPU emulator. -mplt: non-PIC code
# that calls with jal and addresses data with %hi/%lo instead of $gp, t9 and
# the GOT in every function, about 48 KB smaller. musl's MIPS assembly
# (sigsetjmp, pipe) is PIC and needs t9 set by its caller: -Wa,-KPIC marks
# musl's objects PIC, so the linker puts a stub that sets t9 before each jal
# into them (without it, sigsetjmp crashes). Not -mno-abicalls: that
# assembly also changes $gp.
mipsel-sf_CROSS	= mipsel-linux-gnu-
mipsel-sf_FLAGS	= -fno-pie -mplt -march=mips32r2 -mtune=24kc \
		  -msoft-float
mipsel-sf_LDFLAGS =
mipsel-sf_RT	= compiler-rt
mipsel-sf_MUSL_FLAGS = -Wa,-KPIC
mipsel-sf_QEMU	= qemu-mipsel-static
mipsel-sf_CPU	= 24Kc

mips-sf_CROSS	= mips-linux-gnu-
mips-sf_FLAGS	= -fno-pie -mplt -march=mips32r2 -mtune=24kc \
		  -msoft-float
mips-sf_LDFLAGS	=
mips-sf_RT	= compiler-rt
mips-sf_MUSL_FLAGS = -Wa,-KPIC
mips-sf_QEMU	= qemu-mips-static
mips-sf_CPU	= 24Kc
