#!/usr/bin/env bash
# test/demo.sh - `make demo`: get a real certificate from a local test CA.
#
# Starts Pebble and pebble-challtestsrv on 127.0.0.1 (see test/lib.sh), runs
# acme with its built-in HTTP responder, checks the result with openssl
# against Pebble's root, and stops Pebble again. Nothing leaves this machine.
#
# Environment: ACME (default ./acme), DEMO_DIR (default ./demo; replaced on
# every run, and only if an earlier demo made it), DEMO_NAME.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

ACME=${ACME:-$LIB_REPO/acme}
DEMO_DIR=${DEMO_DIR:-./demo}
DEMO_NAME=${DEMO_NAME:-demo.example.com}
MARK=.made-by-make-demo

die() { printf 'demo: %s\n' "$1" >&2; exit "${2:-1}"; }

[ -x "$ACME" ] || die "no $ACME: build it first with make" 2
if [ -e "$DEMO_DIR" ]; then
	[ -e "$DEMO_DIR/$MARK" ] ||
	    die "$DEMO_DIR exists and was not made by make demo: not touching it" 2
	rm -rf "$DEMO_DIR"
fi

printf 'Starting Pebble, a test ACME CA, on 127.0.0.1 ...\n'
pebble_start pebble || die "Pebble did not start (Debian package pebble)"
printf 'Pebble is at %s\n\n' "$PB_URL"

if ! mkdir -m 700 "$DEMO_DIR" || ! : >"$DEMO_DIR/$MARK"; then
	die "cannot create $DEMO_DIR"
fi
args=(--server "$PB_URL" --ca-file "$PB_CA" --agree-tos
    --email demo@example.com --standalone --http-port "$PB_HTTP_PORT"
    --bind 127.0.0.1 --dir "$DEMO_DIR" issue "$DEMO_NAME")
printf '$ %s %s\n' "$ACME" "${args[*]}"
"$ACME" "${args[@]}"
rc=$?
[ "$rc" = 0 ] || die "acme failed (exit $rc)" "$rc"

live=$DEMO_DIR/live/$DEMO_NAME
printf '\nYour certificate, key and chain are in %s/:\n' "$live"
printf '  %s\n' "$(cd "$live" && ls | paste -sd ' ')"
printf '\nopenssl verify against Pebble'\''s root:\n  '
openssl verify -CAfile "$PB_ROOT" -untrusted "$live/chain.pem" \
    "$live/cert.pem" 2>&1 || die "the certificate does not verify"
printf '  names: %s\n' "$(san_of "$live/cert.pem" | paste -sd ' ')"
printf '  expires: %s\n' "$(openssl x509 -in "$live/cert.pem" -noout -enddate | sed 's/^notAfter=//')"
lib_cleanup
printf '\nPebble stopped. Run make demo again to start over.\n'
