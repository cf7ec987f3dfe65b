# test/e2e/60-devices.sh - the device targets (vendor/targets.mk) under
# qemu-user, and the OpenWrt hook under busybox (sourced by test/run.sh).
#
# device_TARGET: the release binary acme-TARGET is static, for the right
# machine, within its size budget, with the target's ABI (16 KiB LOAD
# alignment, no ARMv7 instruction, soft float and no FPU instruction), and
# the test build test/qemu/TARGET/acme (run by its wrapper under qemu-user
# with the CPU pinned) issues a certificate from Pebble and renews it with
# the device clock at 1970. `make test` builds them when the target's cross
# compiler and qemu are installed (make cross-deps); without them the
# tests are skipped, and under CI=true they fail. `make test-qemu
# TARGET=...` runs the whole suite that way.

# device_check TARGET MACHINE BUDGET: the release binary's static checks.
device_check()
{
	local t=$1 bin=$LIB_REPO/acme-$1 desc size
	[ -f "$bin" ] || skip "acme-$t not built (make cross-deps, then make test)"
	desc=$(file -b "$bin")
	case $desc in
	*"statically linked"*) ;;
	*) fail "acme-$t is not statically linked: $desc" ;;
	esac
	case $desc in
	*"$2"*) ;;
	*) fail "acme-$t is not for $2: $desc" ;;
	esac
	size=$(stat -c %s "$bin")
	echo "acme-$t: $size bytes (budget $3)"
	[ "$size" -le "$3" ] || fail "acme-$t is $size bytes, over its budget of $3"
}

# device_run TARGET: issue, then renew at a 1970 clock, under qemu.
device_run()
{
	local w=$LIB_REPO/test/qemu/$1/acme d s1
	[ -x "$w" ] || skip "test/qemu/$1/acme not built (make cross-deps, then make test)"
	ACME=$w
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue "$1.example.com"
	expect_rc 0
	check_live "$d" "$1.example.com" "DNS:$1.example.com"
	s1=$(serial "$d/live/$1.example.com/cert.pem")
	# 1970 on the device: TLS to Pebble checks against the build date, and
	# the renewal is decided by Pebble's Date (due: 100 days before a
	# 90-day certificate's end).
	ACME_TEST_NOW=0 run_acme --dir "$d" --days 100 renew
	expect_rc 0
	grep -q "^$1.example.com: renewed" "$T/stdout" ||
	    fail "renew at 1970 did not say renewed: $(head -n 1 "$T/stdout")"
	check_live "$d" "$1.example.com" "DNS:$1.example.com"
	[ "$(serial "$d/live/$1.example.com/cert.pem")" != "$s1" ] ||
	    fail "renew at 1970 left the same certificate in live/"
}

# The x86_64 release binary within its budget (under 400 KB, counted as
# 400,000 bytes like the device budgets), static.
e2e release_size noacme
t_release_size()
{
	local size
	size=$(stat -c %s "$ACME_RELEASE")
	echo "acme: $size bytes (budget 400000)"
	[ "$size" -le 400000 ] || fail "acme is $size bytes, over its budget of 400000"
	file -b "$ACME_RELEASE" | grep -q 'statically linked' ||
	    fail "acme is not statically linked: $(file -b "$ACME_RELEASE")"
}

e2e device_aarch64 pebble built
t_device_aarch64()
{
	device_check aarch64 "ARM aarch64" 460000
	readelf -lW "$LIB_REPO/acme-aarch64" | awk '$1 == "LOAD" && $NF != "0x4000" { bad = 1 } END { exit bad }' ||
	    fail "a LOAD segment of acme-aarch64 is not aligned to 16 KiB: $(readelf -lW "$LIB_REPO/acme-aarch64" | grep LOAD | tr -s ' ' | tr '\n' ';')"
	device_run aarch64
}

e2e device_armv7 pebble built
t_device_armv7()
{
	device_check armv7 "ARM, EABI5" 350000
	readelf -A "$LIB_REPO/acme-armv7" | grep -q 'Tag_ABI_VFP_args: VFP registers' ||
	    fail "acme-armv7 is not hard-float"
	device_run armv7
}

# The linker records the highest architecture of every object it linked:
# v5TE means no ARMv6 or ARMv7 instruction anywhere, libgcc included.
e2e device_armv6 pebble built
t_device_armv6()
{
	device_check armv6 "ARM, EABI5" 350000
	readelf -A "$LIB_REPO/acme-armv6" | grep -q 'Tag_CPU_arch: v5TE' ||
	    fail "acme-armv6 is not ARMv5TE code: $(readelf -A "$LIB_REPO/acme-armv6" | grep Tag_CPU_arch: | head -n 1)"
	device_run armv6
}

# mips_fpu_free BIN OBJDUMP: soft-float ABI and not one coprocessor 1
# (FPU) instruction in the whole binary.
mips_fpu_free()
{
	local n
	readelf -A "$1" | grep -q 'FP ABI: Soft float' ||
	    fail "${1##*/} is not soft-float: $(readelf -A "$1" | grep 'FP ABI')"
	command -v "$2" >/dev/null || skip "$2 not installed (make cross-deps)"
	n=$("$2" -d "$1" | grep -cE '	(lwc1|swc1|ldc1|sdc1|lwxc1|swxc1|mtc1|mfc1|mthc1|mfhc1|cfc1|ctc1|bc1[ft]l?|[a-z]+\.[sd])[ 	]')
	[ "$n" = 0 ] || fail "${1##*/} has $n FPU instructions"
}

e2e device_mipsel-sf pebble built
t_device_mipsel-sf()
{
	device_check mipsel-sf "MIPS, MIPS32 rel2" 500000
	mips_fpu_free "$LIB_REPO/acme-mipsel-sf" mipsel-linux-gnu-objdump
	device_run mipsel-sf
}

e2e device_mips-sf pebble built
t_device_mips-sf()
{
	device_check mips-sf "MIPS, MIPS32 rel2" 500000
	mips_fpu_free "$LIB_REPO/acme-mips-sf" mips-linux-gnu-objdump
	device_run mips-sf
}
