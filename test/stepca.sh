#!/usr/bin/env bash
# test/stepca.sh - smallstep's step-ca, the private ACME CA of home labs,
# for the tests of test/e2e/55-stepca.sh: built from Debian bookworm's own
# packages (Debian ships its Go library, golang-github-smallstep-
# certificates-dev, but no step-ca binary) into the ignored build output
# vendor/out/stepca/.
#
#   bash test/stepca.sh          prints the path of the step-ca binary
#                                (exit 1: none, with the reason on stderr)
#
# Nothing is built when vendor/out/stepca/step-ca exists. Else, once
# (concurrent runs wait for each other, flock), as any user:
#   1. the orig tarball of the source package, pinned below, from the
#      machine's apt sources (deb-src, which vendor/deps.sh enables):
#      apt-get source --download-only, checked against its sha256;
#   2. cmd/step-ca/main.go from it, less its four imports of packages that
#      Debian's -dev package leaves out (kms/azurekms, kms/cloudkms,
#      cas/cloudcas, cas/vaultcas: cloud KMS and CAS plug-ins) and five
#      plug-ins the tests never configure (kms/awskms, kms/sshagentkms,
#      kms/pkcs11, kms/yubikey, cas/stepcas; their ca.json names no "kms"
#      or "cas", so step-ca uses softkms and softcas): 148 -> 136 s of CPU;
#   3. `go build` in GOPATH mode against /usr/share/gocode, where Debian's
#      golang-*-dev packages (installed by vendor/deps.sh) put the library
#      and every dependency; a private build cache, removed afterwards.
# The build takes 1 to 4 minutes of CPU (2 cores); the binary is ~30 MB.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
out=$here/vendor/out
dest=$out/stepca
bin=$dest/step-ca
pkg=golang-github-smallstep-certificates
ver=0.19.0-1
orig=${pkg}_0.19.0.orig.tar.gz
sha=6135a7bb49d7bd003e0344b69be98d080c0299f5437c5e6a9ecdf0b37f76e9bd
gocode=/usr/share/gocode

[ -x "$bin" ] && { echo "$bin"; exit 0; }

say() { printf 'stepca: %s\n' "$*" >&2; }

mkdir -p "$out"
exec 9>"$out/.stepca.lock"
flock 9
[ -x "$bin" ] && { echo "$bin"; exit 0; }	# another run built it meanwhile

have=$(dpkg-query -W -f '${Version}' "$pkg-dev" 2>/dev/null || true)
if ! command -v go >/dev/null || [ "$have" != "$ver" ] ||
    [ ! -d "$gocode/src/github.com/smallstep/certificates" ]; then
	say "needs golang-go and $pkg-dev $ver (installed: ${have:-none}): make deps"
	exit 1
fi

work=$out/stepca-build
rm -rf "$work" "$dest.new"
mkdir -p "$work/src" "$work/gopath/src/step-ca" "$dest.new"
opts=()
# apt drops root to _apt for downloads, which cannot write here
[ "$(id -u)" = 0 ] && opts=(-o APT::Sandbox::User=root)
say "building step-ca from Debian's $pkg $ver (once)"
if ! (cd "$work/src" && apt-get "${opts[@]}" -q source --download-only \
    "$pkg=$ver") >"$work/log" 2>&1; then
	say "apt-get source $pkg=$ver failed (deb-src enabled? make deps): $(tail -n 1 "$work/log")"
	exit 1
fi
if ! echo "$sha  $work/src/$orig" | sha256sum -c --status; then
	say "$orig does not match its pinned sha256"
	exit 1
fi
main=$work/gopath/src/step-ca/main.go
tar -xzOf "$work/src/$orig" --wildcards '*/cmd/step-ca/main.go' |
    grep -v -E '"github.com/smallstep/certificates/(kms/(azurekms|cloudkms|awskms|sshagentkms|pkcs11|yubikey)|cas/(cloudcas|vaultcas|stepcas))"' \
    >"$main"
n=$(tar -xzOf "$work/src/$orig" --wildcards '*/cmd/step-ca/main.go' | wc -l)
if [ "$((n - $(wc -l <"$main")))" != 9 ]; then
	say "cmd/step-ca/main.go: expected to drop 9 imports, dropped $((n - $(wc -l <"$main")))"
	exit 1
fi
if ! (cd "$work/gopath/src/step-ca" && env GOPATH="$work/gopath:$gocode" \
    GO111MODULE=off GOFLAGS= GOCACHE="$work/cache" GOTMPDIR= \
    go build -trimpath -ldflags "-s -w -X main.Version=${ver%-*}" \
    -o "$dest.new/step-ca" .) >>"$work/log" 2>&1; then
	say "go build failed: $(grep -v warning "$work/log" | tail -n 2 | tr '\n' ' ')"
	exit 1
fi
echo "$ver" >"$dest.new/VERSION"
rm -rf "$dest"
mv "$dest.new" "$dest"
rm -rf "$work"
say "step-ca ${ver%-*} in $bin"
echo "$bin"
