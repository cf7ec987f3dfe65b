#!/bin/sh
# fetch.sh SRCDIR SUMS PACKAGE=VERSION...
#
# Puts the pinned Debian source packages named (bearssl=0.6+dfsg.1-3, say)
# into SRCDIR, and for jsmn=VERSION the jsmn.h of the installed libjsmn-dev,
# then checks every file against SUMS (vendor/SHA256SUMS for the native
# build, vendor/SHA256SUMS-cross for the device targets). Nothing is
# downloaded when SRCDIR already holds files that match. Exits non-zero, with
# one message saying what to do, when deb-src is not enabled, a pinned
# version is gone from the archive, libjsmn-dev is missing or has another
# version, or a checksum does not match.
set -eu

src=$1 sums=$2
shift 2

die() {
	printf 'vendor/fetch.sh: %s\n' "$*" >&2
	exit 1
}

# Already fetched and intact: no network.
if [ -d "$src" ] && (cd "$src" && sha256sum --quiet --strict -c "$sums") \
    >/dev/null 2>&1; then
	exit 0
fi
mkdir -p "$src"

# jsmn 1.1.0: one header, taken from Debian's libjsmn-dev.
pins=
for pv in "$@"; do
	case $pv in
	jsmn=*)
		jsmn_v=${pv#jsmn=}
		have=$(dpkg-query -W -f='${Version}' libjsmn-dev 2>/dev/null ||
		    true)
		[ "$have" = "$jsmn_v" ] ||
			die "need libjsmn-dev $jsmn_v (found '${have:-none}'):" \
			    "apt-get install libjsmn-dev=$jsmn_v"
		cp /usr/include/jsmn.h "$src/jsmn.h"
		;;
	*) pins="$pins $pv" ;;
	esac
done

# The source packages, pinned .dsc versions.
if ! apt-cache showsrc bearssl 2>/dev/null | grep -q '^Version:'; then
	cat >&2 <<'EOF'
vendor/fetch.sh: cannot download Debian source packages: deb-src is not
enabled (or `apt-get update` has not run since). As root, add a deb-src
stanza beside the deb one and update, for example:

  sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
      > /etc/apt/sources.list.d/debian-src.sources
  apt-get update

which writes, for bookworm:

  Types: deb-src
  URIs: http://deb.debian.org/debian
  Suites: bookworm bookworm-updates
  Components: main
  Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

  Types: deb-src
  URIs: http://deb.debian.org/debian-security
  Suites: bookworm-security
  Components: main
  Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

(With a one-line /etc/apt/sources.list instead, copy each `deb ` line as
`deb-src `.) Then run make again.
EOF
	exit 1
fi
for pv in $pins; do
	p=${pv%%=*} v=${pv#*=}
	apt-cache showsrc "$p" | grep -qx "Version: $v" ||
		die "source package $p $v is no longer in the archive" \
		    "(it has: $(apt-cache showsrc "$p" |
		    sed -n 's/^Version: //p' | tr '\n' ' '));" \
		    "update the version in vendor/Makefile and the checksums" \
		    "in $sums"
done
# shellcheck disable=SC2086
(cd "$src" && apt-get -q source --download-only $pins)

# Verify before anything is unpacked.
(cd "$src" && sha256sum --strict -c "$sums") ||
	die "checksum mismatch in $src: refusing to use these files" \
	    "(remove them to download again)"
