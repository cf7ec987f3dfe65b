#!/usr/bin/env bash
# test/pebble-sid.sh - a current Pebble for the tests of ARI `replaces`,
# profiles, Retry-After and dns-persist-01, which bookworm's Pebble 2.4
# lacks: Debian's `pebble` package (2.10 or newer) from the unstable suite,
# unpacked into the ignored build output vendor/out/pebble-sid/.
#
#   bash test/pebble-sid.sh      prints the directory holding pebble and
#                                pebble-challtestsrv (exit 1: none)
#
# Nothing is downloaded when that directory already holds a pebble. Else
# a private apt configuration does it, leaving the machine's apt setup as
# it was (it is only read, for the mirror and any proxy setting): its own
# sources.list naming the machine's own Debian mirror with suite sid, its
# own lists and cache directories under vendor/out/apt-sid/. The package
# is unpacked with dpkg-deb -x (nothing is installed; it is a static Go
# binary). Runs as any user; vendor/deps.sh runs it for CI. Concurrent runs
# wait for each other (flock).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
out=$here/vendor/out
dest=$out/pebble-sid
bin=$dest/usr/bin
min=2.10

[ -x "$bin/pebble" ] && [ -x "$bin/pebble-challtestsrv" ] && {
	echo "$bin"
	exit 0
}

say() { printf 'pebble-sid: %s\n' "$*" >&2; }

mkdir -p "$out"
exec 9>"$out/.pebble-sid.lock"
flock 9
if [ -x "$bin/pebble" ] && [ -x "$bin/pebble-challtestsrv" ]; then
	echo "$bin"		# another run fetched it meanwhile
	exit 0
fi

# The machine's own Debian mirror: the repository of its main suite (not
# -updates, -security or -backports), as apt itself resolves its sources.
mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' \
    'Identifier: Packages' 2>/dev/null |
    awk '$2 !~ /-/ { print $1; exit }')
if [ -z "$mirror" ]; then
	say "no Debian mirror found in apt's sources (apt-get indextargets)"
	exit 1
fi

apt=$out/apt-sid
rm -rf "$apt"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/empty" \
    "$apt/deb"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if [ -r "$keyring" ]; then
	echo "deb [signed-by=$keyring] $mirror sid main" >"$apt/sources.list"
else
	echo "deb $mirror sid main" >"$apt/sources.list"
fi
opts=(-o "Dir::Etc::SourceList=$apt/sources.list"
    -o "Dir::Etc::SourceParts=$apt/empty"
    -o "Dir::Etc::Preferences=$apt/empty/none"
    -o "Dir::Etc::PreferencesParts=$apt/empty"
    -o "Dir::State::Lists=$apt/lists"
    -o "Dir::Cache=$apt/cache"
    -o "Acquire::Languages=none"
    -o "APT::Get::List-Cleanup=false")
# apt drops root to _apt for downloads, which cannot write here
[ "$(id -u)" = 0 ] && opts+=(-o "APT::Sandbox::User=root")

say "fetching Debian's pebble from $mirror sid"
if ! apt-get "${opts[@]}" -q update >"$apt/log" 2>&1; then
	say "apt-get update failed: $(tail -n 1 "$apt/log")"
	exit 1
fi
if ! (cd "$apt/deb" && apt-get "${opts[@]}" -q download pebble) \
    >>"$apt/log" 2>&1; then
	say "apt-get download pebble failed: $(tail -n 1 "$apt/log")"
	exit 1
fi
deb=$(find "$apt/deb" -name 'pebble_*.deb' | head -n 1)
ver=$(dpkg-deb -f "$deb" Version)
if ! dpkg --compare-versions "$ver" ge "$min"; then
	say "sid has pebble $ver, older than $min"
	exit 1
fi
rm -rf "$dest.new"
dpkg-deb -x "$deb" "$dest.new"
[ -x "$dest.new/usr/bin/pebble" ] && [ -x "$dest.new/usr/bin/pebble-challtestsrv" ] || {
	say "$deb holds no usr/bin/pebble and pebble-challtestsrv"
	exit 1
}
echo "$ver" >"$dest.new/VERSION"
rm -rf "$dest"
mv "$dest.new" "$dest"
rm -rf "$apt"
say "pebble $ver in $bin"
echo "$bin"
