#!/bin/sh
# /usr/lib/acme/hook - acme as the backend of OpenWrt's acme-common 1.5.3
# (the ACME page of LuCI and /etc/config/acme), installed by the package
# contrib/openwrt/Makefile. ISC licence, like acme.
#
# acme-common's /etc/init.d/acme runs `hook get` as one procd instance per
# enabled `cert` section on `/etc/init.d/acme renew`: from its cron line
# (0 0 * * *, which `/etc/init.d/acme start` installs) and whenever the
# acme config changes. The section's settings are in the environment:
# main_domain domains key_type validation_method listen_port account_email
# acme_server staging days cert_profile dns dns_wait calias dalias
# state_dir CHALLENGE_DIR CERT_DIR debug, and each `list credentials`
# entry as a variable of its own. acme-common wants the certificate in
# CERT_DIR as MAIN.crt .key .fullchain.crt .chain.crt .combined.crt, and
# /usr/lib/acme/notify told prepare, issued, renewed, issue-failed or
# renew-failed. `/etc/init.d/acme abort` stops this with SIGTERM.
#
# What this does: the first run (or one after domains, key_type or the
# server changed) runs `acme issue`; later runs `acme renew`, which asks
# the CA and renews only when due, by the CA's clock, not the router's.
# acme's state is in state_dir (default /etc/acme); CERT_DIR gets copies
# of live/MAIN/, regular files replaced one by one through a rename after
# each new set (keys 0600). The firewall is opened for standalone and alpn
# validation with acme-common's add_nft_rule and closed again, also on
# failure and on SIGTERM. POSIX sh for busybox ash; busybox applets only.

set -u
set -f		# names such as *.example.com are never file patterns
ACME=/usr/bin/acme
NOTIFY=/usr/lib/acme/notify
# shellcheck disable=SC2034 # used by log() of functions.sh
LOG_TAG=acme-static
DNS_HOOKS=/etc/acme/hooks

# shellcheck source=/dev/null
. /usr/lib/acme/functions.sh

main=${main_domain:-}
dir=${state_dir:-/etc/acme}
pid=
event=

# A name as acme takes it, and safe in a path: letters, digits, . - _ and
# a leading "*." (the first name may be a wildcard), nothing else.
name_ok() {
	case $1 in
	'' | .* | *. | *..* | *[!A-Za-z0-9.*_-]* | ?*\** | \* | \*[!.]*)
		return 1
		;;
	esac
	[ ${#1} -le 253 ]
}

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

# webroot: acme-common's uci-defaults links /www/.well-known/acme-challenge
# to CHALLENGE_DIR's; when the challenge folder of CHALLENGE_DIR is such a
# link (the deprecated `webroot` option naming /www), acme is handed the
# real folder it points to, where acme walks without following links.
webroot() {
	link=$CHALLENGE_DIR/.well-known/acme-challenge
	root=$CHALLENGE_DIR
	if [ -L "$link" ]; then
		to=$(readlink "$link")
		case $to in
		/*/.well-known/acme-challenge)
			root=${to%/.well-known/acme-challenge}
			log debug "$main: $link links to $to: webroot $root"
			;;
		esac
	fi
	mkdir -p "$root" || return 1
	printf '%s\n' --webroot "$root"
}

# dns: `dns` names an acme.sh DNS API (dns_cf...: --dns-api, as LuCI
# writes it), or a hook with uacme's contract (an absolute path, or a file
# in /etc/acme/hooks/). acme gives either the credentials in this
# environment; nothing holding them is written.
dns() {
	case ${dns:-} in
	'')
		log err "$main: validation_method dns needs option dns"
		return 1
		;;
	/*) hook=$dns ;;
	*[!A-Za-z0-9_]*)
		log err "$main: dns $dns: not a DNS API name nor a hook"
		return 1
		;;
	*) [ -x "$DNS_HOOKS/$dns" ] && hook=$DNS_HOOKS/$dns || hook= ;;
	esac
	if [ -n "$hook" ]; then
		printf '%s\n' --challenge dns-01 --hook "$hook"
	else
		printf '%s\n' --dns-api "$dns"
		if [ -n "${dalias:-}" ]; then
			[ -n "${calias:-}" ] &&
			    log warn "$main: dalias wins over calias"
			printf '%s\n' --domain-alias "$dalias"
		elif [ -n "${calias:-}" ]; then
			printf '%s\n' --challenge-alias "$calias"
		fi
	fi
	case ${dns_wait:-} in
	'') ;;
	*[!0-9]*) log warn "$main: dns_wait $dns_wait is not seconds" ;;
	*) printf '%s\n' --dns-wait "$dns_wait" ;;
	esac
}

# The port validation_method listens on; empty: none of ours.
port() {
	case ${validation_method:-webroot} in
	standalone) echo "${listen_port:-80}" ;;
	alpn) echo "${listen_port:-443}" ;;
	webroot) echo "${listen_port:-}" ;;
	esac
}

# challenge_args: the options for validation_method, one per line.
challenge_args() {
	case ${validation_method:-webroot} in
	webroot) webroot ;;
	standalone) printf '%s\n' --standalone --http-port "$(port)" ;;
	alpn)
		printf '%s\n' --standalone --challenge tls-alpn-01 \
		    --tls-port "$(port)"
		;;
	dns) dns ;;
	dns-persist) printf '%s\n' --challenge dns-persist-01 ;;
	*)
		log err "$main: unknown validation_method $validation_method"
		return 1
		;;
	esac
}

# run ARGS...: acme with ARGS, in the background so that a signal is
# handled at once (stop()); its exit status.
run() {
	"$ACME" --dir "$dir" "$@" &
	pid=$!
	wait "$pid"
	set -- $?
	pid=
	return "$1"
}

# SIGTERM (`/etc/init.d/acme abort`, procd) or SIGINT: stop acme (its
# hooks and responder end with it), close the firewall, say it failed.
stop() {
	trap '' INT TERM
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid"
	fi
	del_nft_rule
	log err "$main: stopped"
	[ -n "$event" ] && "$NOTIFY" "$event"
	exit 1
}

# install_certs: CERT_DIR's copies of live/MAIN, each replaced through a
# rename (a reader sees the old file or the new one), keys 0600.
install_certs() {
	live=$dir/live/$main
	(
		umask 077
		mkdir -p "$CERT_DIR" || exit 1
		for f in crt:cert.pem chain.crt:chain.pem \
		    fullchain.crt:fullchain.pem key:privkey.pem; do
			cp "$live/${f#*:}" "$CERT_DIR/$main.${f%%:*}.new" ||
			    exit 1
		done
		cat "$live/fullchain.pem" "$live/privkey.pem" \
		    >"$CERT_DIR/$main.combined.crt.new" &&
		chmod 644 "$CERT_DIR/$main.crt.new" \
		    "$CERT_DIR/$main.chain.crt.new" \
		    "$CERT_DIR/$main.fullchain.crt.new" || exit 1
		for f in crt chain.crt fullchain.crt key combined.crt; do
			mv -f "$CERT_DIR/$main.$f.new" "$CERT_DIR/$main.$f" ||
			    exit 1
		done
	)
}

# Is CERT_DIR's copy the set in live/MAIN?
installed() {
	cmp -s "$dir/live/$main/cert.pem" "$CERT_DIR/$main.crt" 2>/dev/null &&
	    [ -f "$CERT_DIR/$main.key" ] && [ ! -L "$CERT_DIR/$main.key" ]
}

# The settings a renewal cannot change: a change means a new issue.
settings() {
	printf '%s\n' "domains=${domains:-}" "key_type=${key_type:-ec256}" \
	    "server=$(server)"
}

cmd_get() {
	if ! name_ok "$main"; then
		log err "bad main_domain '$main'"
		return 1
	fi
	for d in ${domains:-}; do
		name_ok "$d" || { log err "$main: bad domain '$d'"; return 1; }
	done
	record=$dir/openwrt/$main.settings
	args=$(challenge_args) || return 1
	# open the firewall where acme-common's own backends open it (a
	# failure is logged by add_nft_rule; a LAN validation may still pass)
	trap stop INT TERM
	port=$(port)
	[ -z "$port" ] || add_nft_rule "$main" "$port" >/dev/null
	# one option or value per line: no word splitting of paths
	old_ifs=$IFS
	IFS='
'
	# shellcheck disable=SC2086
	set -- $args
	IFS=$old_ifs
	[ "${debug:-0}" = 1 ] && set -- "$@" -v
	[ -n "${days:-}" ] && set -- "$@" --days "$days"
	[ -n "${cert_profile:-}" ] && set -- "$@" --profile "$cert_profile"
	if [ -f "$dir/live/$main/cert.pem" ] &&
	    [ "$(settings)" = "$(cat "$record" 2>/dev/null)" ]; then
		renew "$@"
	else
		issue "$@"
	fi
	set -- $?
	del_nft_rule
	return "$1"
}

# renew: acme renews only when due, and exits 0 when nothing was due
# (even when the CA cannot be reached), non-zero when a due certificate
# could not be renewed: only then renew-failed.
renew() {
	log info "$main: acme renew"
	event=renew-failed
	if run "$@" renew "$main"; then
		event=
		installed && return 0
		install_certs || return 1
		log info "$main: renewed"
		"$NOTIFY" renewed
		return 0
	fi
	event=
	log err "$main: renewal failed"
	"$NOTIFY" renew-failed
	return 1
}

issue() {
	set -- "$@" --server "$(server)" --key-type "${key_type:-ec256}" \
	    --agree-tos
	[ -n "${account_email:-}" ] && set -- "$@" --email "$account_email"
	log info "$main: acme issue ${domains:-}"
	"$NOTIFY" prepare
	event=issue-failed
	[ "${validation_method:-}" = dns-persist ] && persist_record
	# shellcheck disable=SC2086 # domains: names, set -f
	if run "$@" issue "$main" ${domains:-} && install_certs; then
		event=
		{ [ -d "$dir/openwrt" ] || mkdir -m 700 "$dir/openwrt"; } &&
		    settings >"$record"
		"$NOTIFY" issued
		return 0
	fi
	event=
	log err "$main: issue failed"
	"$NOTIFY" issue-failed
	return 1
}

# dns-persist: the TXT record to publish once (acme account persist-record),
# for a wildcard its base name's with policy=wildcard.
persist_record() {
	plain=
	wild=
	for d in ${domains:-}; do
		case $d in
		\*.*) wild="$wild ${d#\*.}" ;;
		*) plain="$plain $d" ;;
		esac
	done
	set -- --server "$(server)" --agree-tos
	[ -n "${account_email:-}" ] && set -- "$@" --email "$account_email"
	# shellcheck disable=SC2086 # names, set -f
	out=$(
		[ -z "$plain" ] || run "$@" account persist-record $plain
		[ -z "$wild" ] ||
		    run "$@" --wildcard account persist-record $wild
	)
	printf '%s\n' "$out" | while read -r line; do
		[ -n "$line" ] && log warn "$main: publish once: $line"
	done
}

case ${1:-} in
get) cmd_get ;;
*)
	echo "usage: $0 get (run by /etc/init.d/acme of acme-common)" >&2
	exit 2
	;;
esac
