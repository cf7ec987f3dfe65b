#!/bin/sh
# /usr/lib/acme/hook - acme as the backend of OpenWrt's acme-common (the
# ACME page of LuCI and /etc/config/acme), installed by the package
# contrib/openwrt/Makefile.
#
# acme-common's /etc/init.d/acme runs `hook get` for each enabled `cert`
# section, daily from cron and at boot, with the section's settings in the
# environment: main_domain domains key_type validation_method account_email
# acme_server staging days dns dns_wait listen_port calias dalias state_dir
# CHALLENGE_DIR CERT_DIR debug, and each `list credentials` entry exported.
# It wants the certificate in CERT_DIR as MAIN.crt MAIN.key
# MAIN.fullchain.crt MAIN.chain.crt MAIN.combined.crt, and
# /usr/lib/acme/notify told prepare, issued, renewed, issue-failed or
# renew-failed.
#
# What this does: the first run (or one after domains, key_type or the
# server changed) runs `acme issue`; later runs `acme renew`, which asks the
# CA and renews only when due, by the CA's clock, not the router's. acme's
# state is in state_dir (default /etc/acme): live/MAIN/ holds the set, and
# the CERT_DIR names are links to it (combined.crt is a file, rewritten after
# each new certificate). POSIX sh for busybox ash; busybox applets only.

set -u
ACME=/usr/bin/acme
NOTIFY=/usr/lib/acme/notify
# shellcheck disable=SC2034 # used by log() of functions.sh
LOG_TAG=acme-static
RUN_DIR=/var/run/acme
DNS_HOOKS=/etc/acme/hooks

# shellcheck source=/dev/null
. /usr/lib/acme/functions.sh

main=${main_domain:-}
dir=${state_dir:-/etc/acme}

# The ACME server: acme's aliases, and acme.sh's names where they differ.
server() {
	case ${acme_server:-} in
	'')
		if [ "${staging:-0}" = 1 ]; then
			echo letsencrypt-staging
		else
			echo letsencrypt
		fi
		;;
	letsencrypt_test) echo letsencrypt-staging ;;
	*) echo "$acme_server" ;;
	esac
}

# dns-01: the `dns` option names a hook with uacme's contract (an absolute
# path, or a file in /etc/acme/hooks/). acme runs hooks with PATH alone, so a
# private wrapper carries this environment (the credentials) to it.
dns_wrapper() {
	case ${dns:-} in
	'')
		log err "$main: validation_method dns needs option dns"
		return 1
		;;
	*"'"*)
		log err "$main: dns hook name with a quote: $dns"
		return 1
		;;
	/*) prog=$dns ;;
	*) prog=$DNS_HOOKS/$dns ;;
	esac
	if [ ! -x "$prog" ]; then
		log err "$main: dns hook $prog is not an executable file" \
		    "(acme.sh dnsapi names need a uacme-style hook there)"
		return 1
	fi
	wrapper=$RUN_DIR/dns-hook.$main
	(
		umask 077
		mkdir -p "$RUN_DIR" &&
		{
			echo '#!/bin/sh'
			export -p
			printf 'exec %s "$@"\n' "'$prog'"
		} >"$wrapper.new" && chmod 700 "$wrapper.new" &&
		mv -f "$wrapper.new" "$wrapper"
	) || return 1
	echo "$wrapper"
}

# challenge_args: the options for validation_method, one per line.
challenge_args() {
	case ${validation_method:-webroot} in
	webroot)
		mkdir -p "$CHALLENGE_DIR" || return 1
		printf '%s\n' --webroot "$CHALLENGE_DIR"
		;;
	standalone)
		printf '%s\n' --standalone --http-port "${listen_port:-80}"
		;;
	alpn)
		printf '%s\n' --standalone --challenge tls-alpn-01 \
		    --tls-port "${listen_port:-443}"
		;;
	dns)
		hook=$(dns_wrapper) || return 1
		printf '%s\n' --challenge dns-01 --hook "$hook"
		case ${dns_wait:-} in
		'') ;;
		*[!0-9]*) log warn "$main: dns_wait $dns_wait is not seconds" ;;
		*) printf '%s\n' --dns-wait "$dns_wait" ;;
		esac
		;;
	*)
		log err "$main: unsupported validation_method $validation_method"
		return 1
		;;
	esac
}

# link_certs [new]: the five CERT_DIR names for live/MAIN; combined.crt is
# written when the certificate is new or the file is missing.
link_certs() {
	live=$dir/live/$main
	mkdir -p "$CERT_DIR" || return 1
	for pair in crt:cert.pem key:privkey.pem fullchain.crt:fullchain.pem \
	    chain.crt:chain.pem; do
		ln -sf "$live/${pair#*:}" "$CERT_DIR/$main.${pair%%:*}.new" &&
		    mv -f "$CERT_DIR/$main.${pair%%:*}.new" \
		    "$CERT_DIR/$main.${pair%%:*}" || return 1
	done
	[ "${1:-}" = new ] || [ ! -f "$CERT_DIR/$main.combined.crt" ] ||
		return 0
	(
		umask 077
		cat "$live/fullchain.pem" "$live/privkey.pem" \
		    >"$CERT_DIR/$main.combined.crt.new" &&
		mv -f "$CERT_DIR/$main.combined.crt.new" \
		    "$CERT_DIR/$main.combined.crt"
	)
}

# The settings a renewal cannot change: a change means a new issue.
settings() {
	printf '%s\n' "domains=${domains:-}" "key_type=${key_type:-ec256}" \
	    "server=$(server)"
}

cmd_get() {
	if [ -z "$main" ]; then
		log err "no domains set"
		return 1
	fi
	record=$dir/openwrt/$main.settings
	args=$(challenge_args) || return 1
	# one option or value per line: no word splitting of paths
	old_ifs=$IFS
	IFS='
'
	# shellcheck disable=SC2086
	set -- $args
	IFS=$old_ifs
	[ "${debug:-0}" = 1 ] && set -- "$@" -v
	[ -n "${days:-}" ] && set -- "$@" --days "$days"
	if [ -f "$dir/live/$main/cert.pem" ] &&
	    [ "$(settings)" = "$(cat "$record" 2>/dev/null)" ]; then
		renew "$@"
	else
		issue "$@"
	fi
}

renew() {
	log info "$main: acme renew"
	if out=$("$ACME" --dir "$dir" --syslog "$@" renew "$main"); then
		case $out in
		*": renewed"*)
			log info "$out"
			link_certs new
			"$NOTIFY" renewed
			;;
		*)
			link_certs
			log debug "$out"
			;;
		esac
		return 0
	fi
	log err "$main: renewal failed"
	"$NOTIFY" renew-failed
	return 1
}

issue() {
	first=
	others=
	for d in ${domains:-}; do
		if [ -z "$first" ]; then
			first=$d
		else
			others="$others $d"
		fi
	done
	set -- "$@" --server "$(server)" --key-type "${key_type:-ec256}" \
	    --agree-tos
	[ -n "${account_email:-}" ] && set -- "$@" --email "$account_email"
	log info "$main: acme issue$others"
	"$NOTIFY" prepare
	# shellcheck disable=SC2086
	if "$ACME" --dir "$dir" --syslog "$@" issue "$main" $others; then
		{ [ -d "$dir/openwrt" ] || mkdir -m 700 "$dir/openwrt"; } &&
		    settings >"$record"
		link_certs new
		"$NOTIFY" issued
		return 0
	fi
	log err "$main: issue failed"
	"$NOTIFY" issue-failed
	return 1
}

case ${1:-} in
get) cmd_get ;;
*)
	echo "usage: $0 get (run by /etc/init.d/acme of acme-common)" >&2
	exit 2
	;;
esac
