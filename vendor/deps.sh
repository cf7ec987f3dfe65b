#!/usr/bin/env bash
# vendor/deps.sh [--cross] - install what building and testing acme needs
# on Debian (bookworm): `make deps` (or `bash vendor/deps.sh`, before make
# is installed); `make cross-deps` and .ci/run add --cross for the device
# targets. Run as root it uses no sudo; run by another user, it runs apt
# and the few root-owned writes through sudo.
#
# Enables deb-src when it is not (vendor/ fetches BearSSL and curl as Debian
# source packages): a copy of the deb entries of /etc/apt/sources.list.d/
# debian.sources (or of /etc/apt/sources.list) with type deb-src. Then
# installs: musl-tools, gcc, make, dpkg-dev (dpkg-source, patch, xz) and
# libjsmn-dev to build; pebble (with pebble-challtestsrv), openssl, python3,
# curl, file and time for the tests, the demo and the benchmark; clang and
# libclang-rt-14-dev (libFuzzer, the sanitizer runtimes) for the fuzzers,
# which the suite builds and runs briefly (test/e2e/90-fuzz.sh); certbot,
# uacme and lego, the real clients the migration tests import from (test/
# e2e/60-imports.sh; uacme runs in a mount namespace made with util-linux's
# unshare, which every Debian system has); uacme and lego are also what
# `make bench` compares acme with; busybox-static for the OpenWrt hook
# test; golang-go and golang-github-smallstep-certificates-dev, from which
# test/stepca.sh builds step-ca, the private CA of test/e2e/55-stepca.sh
# (with the package's source from deb-src); pdns-server and
# pdns-backend-sqlite3, the real DNS provider of the --dns-api tests
# (test/e2e/64-dnsapi.sh starts its own instance on 127.0.0.1: the system
# service is kept from starting and disabled). --cross adds the Debian
# cross compilers of vendor/targets.mk (musl
# is built from source for them, so no foreign dpkg architecture is needed)
# and qemu-user-static.
set -euo pipefail

cross=()
if [ "${1:-}" = --cross ]; then
	cross=(gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf
	    gcc-arm-linux-gnueabi gcc-mipsel-linux-gnu gcc-mips-linux-gnu
	    qemu-user-static)
fi
export DEBIAN_FRONTEND=noninteractive

as_root=()
if [ "$(id -u)" -ne 0 ]; then
	as_root=(sudo)
fi

has_deb_src() {
	apt-cache showsrc bearssl 2>/dev/null | grep -q '^Version:'
}

# apt's own idea of where sources live (/etc/apt/sources.list.d/ and
# /etc/apt/sources.list unless APT_CONFIG says otherwise).
enable_deb_src() {
	local d='' l=''
	eval "$(apt-config shell d Dir::Etc::sourceparts/d \
	    l Dir::Etc::sourcelist/f)"
	d=${d%/}
	if [ -f "$d/debian.sources" ]; then
		echo "deps: enabling deb-src in $d/debian-src.sources"
		sed 's/^Types:.*/Types: deb-src/' "$d/debian.sources" |
		    "${as_root[@]}" tee "$d/debian-src.sources" >/dev/null
	elif [ -f "$l" ] && grep -q '^deb[[:space:]]' "$l"; then
		echo "deps: enabling deb-src in $d/debian-src.list"
		sed -n 's/^deb\([[:space:]]\)/deb-src\1/p' "$l" |
		    "${as_root[@]}" tee "$d/debian-src.list" >/dev/null
	else
		echo "deps: found neither deb lines in $l nor" \
		    "$d/debian.sources; enable deb-src by hand" >&2
		exit 1
	fi
}

"${as_root[@]}" apt-get update -q
if ! has_deb_src; then
	enable_deb_src
	"${as_root[@]}" apt-get update -q
fi
"${as_root[@]}" apt-get install -y -q --no-install-recommends \
    musl-tools gcc libc6-dev make dpkg-dev patch xz-utils libjsmn-dev \
    ca-certificates pebble openssl python3 curl file time \
    clang libclang-rt-14-dev certbot uacme lego busybox-static \
    golang-go golang-github-smallstep-certificates-dev \
    "${cross[@]}"

# PowerDNS: its package would start the pdns service; a policy-rc.d that
# says no (exit 101, invoke-rc.d's "action forbidden") keeps it stopped
# during the install, unless the system has one of its own already.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
	"${as_root[@]}" chmod 755 "$policy"
	own_policy=1
fi
"${as_root[@]}" apt-get install -y -q --no-install-recommends \
    pdns-server pdns-backend-sqlite3 || rc=$?
[ "$own_policy" = 1 ] && "${as_root[@]}" rm -f "$policy"
[ "${rc:-0}" = 0 ] || exit "$rc"
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
	"${as_root[@]}" systemctl disable --now pdns.service >/dev/null 2>&1 ||
	    true
fi
