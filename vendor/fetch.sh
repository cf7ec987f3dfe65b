#!/bin/sh
# fetch.sh SRCDIR SUMS BEARSSL_VERSION CURL_VERSION JSMN_VERSION
#
# Puts the pinned Debian source packages of BearSSL and curl, and jsmn.h from
# the installed libjsmn-dev, into SRCDIR, then checks every file against SUMS
# (vendor/SHA256SUMS). Nothing is downloaded when SRCDIR already holds files
# that match. Exits non-zero, with one message saying what to do, when deb-src
# is not enabled, a pinned version is gone from the archive, libjsmn-dev is
# missing or has another version, or a checksum does not match.
set -eu

src=$1 sums=$2 bearssl_v=$3 curl_v=$4 jsmn_v=$5

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
have=$(dpkg-query -W -f='${Version}' libjsmn-dev 2>/dev/null || true)
[ "$have" = "$jsmn_v" ] ||
	die "need libjsmn-dev $jsmn_v (found '${have:-none}'):" \
	    "apt-get install libjsmn-dev=$jsmn_v"
cp /usr/include/jsmn.h "$src/jsmn.h"

# BearSSL and curl: Debian source packages, pinned .dsc versions.
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
for pv in "bearssl=$bearssl_v" "curl=$curl_v"; do
	p=${pv%%=*} v=${pv#*=}
	apt-cache showsrc "$p" | grep -qx "Version: $v" ||
		die "source package $p $v is no longer in the archive" \
		    "(it has: $(apt-cache showsrc "$p" |
		    sed -n 's/^Version: //p' | tr '\n' ' '));" \
		    "update the version in vendor/Makefile and the checksums" \
		    "in vendor/SHA256SUMS"
done
(cd "$src" && apt-get -q source --download-only \
    "bearssl=$bearssl_v" "curl=$curl_v")

# Verify before anything is unpacked.
(cd "$src" && sha256sum --strict -c "$sums") ||
	die "checksum mismatch in $src: refusing to use these files" \
	    "(remove them to download again)"
