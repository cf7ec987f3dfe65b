#!/bin/sh
# test/hooks/challtestsrv-hook.sh - a challenge hook with uacme's contract
#
#   challtestsrv-hook.sh begin|done|failed TYPE IDENT TOKEN AUTH
#
# dns-01: puts AUTH into _acme-challenge.IDENT TXT through
# pebble-challtestsrv's management API; http-01: writes AUTH to
# $HOOK_WEBROOT/.well-known/acme-challenge/TOKEN. Any other type is
# declined (exit 1), as uacme's own example hooks do.
#
# The tests wrap this script in a generated one that sets (only
# CHALLTESTSRV is required):
#   CHALLTESTSRV   management URL, http://127.0.0.1:PORT
#   HOOK_LOG       file: one line per call, "$# $*" and the env size
#   HOOK_WEBROOT   directory for http-01
#   HOOK_DECLINE   types to decline on begin ("dns-01 http-01")
#   HOOK_SLEEP     seconds to sleep on begin (timeout tests); HOOK_PIDS
#                  gets this shell's and the sleep's pid
#   HOOK_LIE       1: say yes to begin and do nothing
# and HOOK_ENV0, a file for the hook's environment (env -0), may come
# from acme's caller: hooks see their caller's environment.

METHOD=$1 TYPE=$2 IDENT=$3 TOKEN=$4 AUTH=$5

[ -n "${HOOK_ENV0:-}" ] && env -0 >"$HOOK_ENV0"
if [ -n "${HOOK_LOG:-}" ]; then
	# the wrapper's own exports (HOOK_*, CHALLTESTSRV) are not acme's
	n=$(env | grep -v -e '^HOOK_' -e '^CHALLTESTSRV=' -e '^PWD=' \
	    -e '^SHLVL=' -e '^_=' -e '^OLDPWD=' | sort | tr '\n' ' ')
	printf '%s %s | env: %s\n' "$#" "$*" "$n" >>"$HOOK_LOG"
fi
[ $# -eq 5 ] || { echo "usage: $0 method type ident token auth" >&2; exit 85; }

txt() # PATH JSON
{
	curl -fsS --max-time 5 -o /dev/null -X POST -d "$2" "$CHALLTESTSRV$1"
}

case $METHOD in
begin)
	case " ${HOOK_DECLINE:-} " in *" $TYPE "*) exit 1 ;; esac
	[ "${HOOK_LIE:-}" = 1 ] && exit 0
	if [ -n "${HOOK_SLEEP:-}" ]; then
		sleep "$HOOK_SLEEP" &
		echo "$$ $!" >"${HOOK_PIDS:-/dev/null}"
		wait
	fi
	case $TYPE in
	dns-01)
		txt /set-txt "{\"host\":\"_acme-challenge.$IDENT.\",\"value\":\"$AUTH\"}"
		;;
	http-01)
		mkdir -p "$HOOK_WEBROOT/.well-known/acme-challenge" &&
		printf '%s' "$AUTH" >"$HOOK_WEBROOT/.well-known/acme-challenge/$TOKEN"
		;;
	*)
		exit 1
		;;
	esac
	;;
"done" | "failed")
	case $TYPE in
	dns-01) txt /clear-txt "{\"host\":\"_acme-challenge.$IDENT.\"}" ;;
	http-01) rm -f "$HOOK_WEBROOT/.well-known/acme-challenge/$TOKEN" ;;
	*) exit 1 ;;
	esac
	;;
*)
	echo "$0: invalid method $METHOD" >&2
	exit 1
	;;
esac
