# test/e2e/65-openwrt.sh - contrib/openwrt/hook.sh as OpenWrt's acme-common
# runs it (sourced by test/run.sh).
#
# A chroot holds a static busybox with only the applets OpenWrt's default
# busybox has (so a bash-ism or a GNU option fails here), our stand-ins for
# acme-common's /usr/lib/acme/functions.sh and /usr/lib/acme/notify, the
# hook as /usr/lib/acme/hook, the static ./acme as /usr/bin/acme, and
# Pebble's TLS CA as /etc/ssl/certs/ca-certificates.crt. The hook runs as
# `sh /usr/lib/acme/hook get` with exactly the environment acme-common's
# /etc/init.d/acme exports for a `cert` section (webroot validation, the
# default), against Pebble; a python web server serves CHALLENGE_DIR.
# Under `make test-qemu TARGET=...` /usr/bin/acme is that target's binary,
# run by a static qemu-user copied into the chroot.

# What OpenWrt's default busybox config builds (a subset of Debian's
# busybox-static), enough for the hook and the stand-ins.
OPENWRT_APPLETS='sh ash cat chmod cp date echo env grep head ln logger ls
mkdir mktemp mv printf readlink rm sed sleep sort tail test [ touch tr true
false wc'

# openwrt_acme ROOT: $ACME as ROOT/usr/bin/acme: a static binary of this
# machine, or (test-qemu's wrapper `exec QEMU -cpu CPU BIN "$@"`) BIN run
# by QEMU. Fails when $ACME is neither.
openwrt_acme()
{
	local r=$1 q cpu bin
	case $(file -b "$ACME") in
	*"statically linked"*)
		cp "$ACME" "$r/usr/bin/acme"
		return
		;;
	esac
	read -r q cpu bin <<<"$(sed -n 's/^exec \([^ ]*\) -cpu \([^ ]*\) \([^ ]*\) .*/\1 \2 \3/p' "$ACME" 2>/dev/null)"
	[ -n "$bin" ] && command -v "$q" >/dev/null || return 1
	case $(file -b "$(command -v "$q")") in
	*"statically linked"* | *"static-pie linked"*) ;;
	*) return 1 ;;
	esac
	cp "$(command -v "$q")" "$r/usr/bin/$q" && cp "$bin" "$r/usr/bin/acme.bin" &&
	printf '#!/bin/sh\nexec /usr/bin/%s -cpu %s /usr/bin/acme.bin "$@"\n' \
	    "$q" "$cpu" >"$r/usr/bin/acme" && chmod 755 "$r/usr/bin/acme"
}

# openwrt_root DIR: build the chroot.
openwrt_root()
{
	local r=$1 a
	mkdir -p "$r/bin" "$r/usr/bin" "$r/usr/lib/acme" "$r/etc/ssl/certs" \
	    "$r/etc/acme" "$r/etc/ssl/acme" "$r/var/run" "$r/var/log" \
	    "$r/tmp" "$r/dev" || return 1
	cp "$(command -v busybox)" "$r/bin/busybox" || return 1
	for a in $OPENWRT_APPLETS; do
		ln -s busybox "$r/bin/$a" || return 1
	done
	mknod -m 666 "$r/dev/null" c 1 3 || return 1
	cp "$LIB_REPO/contrib/openwrt/hook.sh" "$r/usr/lib/acme/hook" &&
	chmod 755 "$r/usr/lib/acme/hook" &&
	cp "$PB_CA" "$r/etc/ssl/certs/ca-certificates.crt" &&
	echo '127.0.0.1 localhost' >"$r/etc/hosts" || return 1
	# acme-common's functions.sh logs with logger; ours keeps a file.
	cat >"$r/usr/lib/acme/functions.sh" <<'EOF'
log() {
	prio=$1
	shift
	echo "$LOG_TAG.$prio: $*" >>/var/log/acme.log
}
EOF
	# acme-common's notify calls hotplug and ubus; ours records the event.
	cat >"$r/usr/lib/acme/notify" <<'EOF'
#!/bin/sh
echo "$1" >>/var/log/notify
EOF
	chmod 755 "$r/usr/lib/acme/notify"
}

# openwrt_get ROOT [VAR=VALUE...]: run `hook get` in the chroot with
# acme-common's environment for a cert section of openwrt.example.com
# (webroot), VAR=VALUE overriding; the output goes to $T/hook.out.
openwrt_get()
{
	local r=$1
	shift
	printf '+ hook get %s\n' "$*"
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    CHALLENGE_DIR=/var/run/acme/challenge CERT_DIR=/etc/ssl/acme \
	    account_email=test@example.com state_dir=/etc/acme debug=0 \
	    staging=0 calias= dalias= \
	    domains='openwrt.example.com www.openwrt.example.com' \
	    main_domain=openwrt.example.com key_type=ec256 dns= \
	    acme_server="$PB_URL" days= dns_wait= validation_method=webroot \
	    "$@" timeout -k 5 "$ACME_TIMEOUT" \
	    chroot "$r" /bin/sh /usr/lib/acme/hook get >"$T/hook.out" 2>&1
	RC=$?
	sed 's/^/  hook: /' "$T/hook.out"
	sed 's/^/  log: /' "$r/var/log/acme.log" 2>/dev/null
	: >"$r/var/log/acme.log"
}

e2e openwrt_hook pebble
t_openwrt_hook()
{
	local r=$T/root f link events s1
	[ "$(id -u)" = 0 ] || skip "needs root for chroot"
	command -v busybox >/dev/null || skip "busybox not installed (make deps)"
	case $(file -b "$(command -v busybox)") in
	*"statically linked"*) ;;
	*) skip "busybox is not static (Debian package busybox-static)" ;;
	esac
	openwrt_root "$r" || fail "cannot build the chroot"
	openwrt_acme "$r" ||
	    skip "$ACME is neither a static binary nor a static qemu's wrapper"
	mkdir -p "$r/var/run/acme/challenge"
	webroot_start "$r/var/run/acme/challenge" || fail "web server did not start"

	openwrt_get "$r"
	[ "$RC" = 0 ] || fail "first hook get: exit $RC: $(tail -n 1 "$T/hook.out")"
	events=$(cat "$r/var/log/notify")
	[ "$events" = "$(printf 'prepare\nissued')" ] ||
	    fail "notify saw [$(echo $events)], expected [prepare issued]"
	for f in crt key fullchain.crt chain.crt combined.crt; do
		[ -e "$r/etc/ssl/acme/openwrt.example.com.$f" ] ||
		    [ -L "$r/etc/ssl/acme/openwrt.example.com.$f" ] ||
		    fail "CERT_DIR has no openwrt.example.com.$f"
	done
	[ "$(ls "$r/etc/ssl/acme" | wc -l)" = 5 ] ||
	    fail "CERT_DIR holds [$(ls "$r/etc/ssl/acme" | tr '\n' ' ')], expected five files"
	# The links point into acme's live/ set (paths inside the chroot).
	for f in crt:cert.pem key:privkey.pem fullchain.crt:fullchain.pem \
	    chain.crt:chain.pem; do
		link=$(readlink "$r/etc/ssl/acme/openwrt.example.com.${f%%:*}")
		[ "$link" = "/etc/acme/live/openwrt.example.com/${f#*:}" ] ||
		    fail "openwrt.example.com.${f%%:*} links to '$link'"
	done
	check_live "$r/etc/acme" openwrt.example.com DNS:openwrt.example.com \
	    DNS:www.openwrt.example.com
	cat "$r/etc/acme/live/openwrt.example.com/fullchain.pem" \
	    "$r/etc/acme/live/openwrt.example.com/privkey.pem" |
	    cmp -s - "$r/etc/ssl/acme/openwrt.example.com.combined.crt" ||
	    fail "combined.crt is not fullchain.pem followed by privkey.pem"
	[ "$(mode "$r/etc/ssl/acme/openwrt.example.com.combined.crt")" = 600 ] ||
	    fail "combined.crt mode $(mode "$r/etc/ssl/acme/openwrt.example.com.combined.crt"), expected 600"
	s1=$(serial "$r/etc/acme/live/openwrt.example.com/cert.pem")

	# The daily run: not due, so no event and the same certificate.
	: >"$r/var/log/notify"
	openwrt_get "$r"
	[ "$RC" = 0 ] || fail "second hook get: exit $RC: $(tail -n 1 "$T/hook.out")"
	[ ! -s "$r/var/log/notify" ] ||
	    fail "notify saw [$(cat "$r/var/log/notify" | tr '\n' ' ')] on a run where nothing was due"
	[ "$(serial "$r/etc/acme/live/openwrt.example.com/cert.pem")" = "$s1" ] ||
	    fail "the certificate changed on a run where nothing was due"

	# days 100 makes the 90-day certificate due: renewed.
	openwrt_get "$r" days=100
	[ "$RC" = 0 ] || fail "third hook get: exit $RC: $(tail -n 1 "$T/hook.out")"
	[ "$(cat "$r/var/log/notify")" = renewed ] ||
	    fail "notify saw [$(cat "$r/var/log/notify" | tr '\n' ' ')], expected [renewed]"
	[ "$(serial "$r/etc/acme/live/openwrt.example.com/cert.pem")" != "$s1" ] ||
	    fail "renewed, but live/ holds the same certificate"
	cat "$r/etc/acme/live/openwrt.example.com/fullchain.pem" \
	    "$r/etc/acme/live/openwrt.example.com/privkey.pem" |
	    cmp -s - "$r/etc/ssl/acme/openwrt.example.com.combined.crt" ||
	    fail "combined.crt was not rewritten after the renewal"

	# A new domain list is a new issue, not a renewal.
	: >"$r/var/log/notify"
	openwrt_get "$r" domains=openwrt.example.com
	[ "$RC" = 0 ] || fail "fourth hook get: exit $RC: $(tail -n 1 "$T/hook.out")"
	[ "$(cat "$r/var/log/notify" | tr '\n' ' ')" = "prepare issued " ] ||
	    fail "after a domain change notify saw [$(cat "$r/var/log/notify" | tr '\n' ' ')], expected [prepare issued]"
	check_live "$r/etc/acme" openwrt.example.com DNS:openwrt.example.com
}

# A failed issue says issue-failed and leaves CERT_DIR empty.
e2e openwrt_hook_fail pebble
t_openwrt_hook_fail()
{
	local r=$T/root
	[ "$(id -u)" = 0 ] || skip "needs root for chroot"
	case $(file -b "$(command -v busybox 2>/dev/null || echo /nonexistent)") in
	*"statically linked"*) ;;
	*) skip "no static busybox (Debian package busybox-static)" ;;
	esac
	openwrt_root "$r" || fail "cannot build the chroot"
	openwrt_acme "$r" ||
	    skip "$ACME is neither a static binary nor a static qemu's wrapper"
	# nothing serves CHALLENGE_DIR: the http-01 challenge fails
	openwrt_get "$r"
	[ "$RC" = 1 ] || fail "hook get exit $RC, expected 1"
	[ "$(cat "$r/var/log/notify" | tr '\n' ' ')" = "prepare issue-failed " ] ||
	    fail "notify saw [$(cat "$r/var/log/notify" | tr '\n' ' ')], expected [prepare issue-failed]"
	[ -z "$(ls "$r/etc/ssl/acme")" ] || fail "CERT_DIR is not empty after a failure"
	openwrt_get "$r" validation_method=carrier-pigeon
	[ "$RC" = 1 ] || fail "unknown validation_method: exit $RC, expected 1"
}

# The CA cannot be reached (its Pebble stopped): the daily run of a
# certificate that is not due stays quiet (exit 0, no event); when it is
# due (days 100 of a 90-day certificate) the run fails and notify hears
# renew-failed.
e2e openwrt_hook_ca_down
t_openwrt_hook_ca_down()
{
	local r=$T/root
	[ "$(id -u)" = 0 ] || skip "needs root for chroot"
	case $(file -b "$(command -v busybox 2>/dev/null || echo /nonexistent)") in
	*"statically linked"*) ;;
	*) skip "no static busybox (Debian package busybox-static)" ;;
	esac
	pebble_start pebble-down || fail "pebble did not start"
	openwrt_root "$r" || fail "cannot build the chroot"
	openwrt_acme "$r" ||
	    skip "$ACME is neither a static binary nor a static qemu's wrapper"
	mkdir -p "$r/var/run/acme/challenge"
	webroot_start "$r/var/run/acme/challenge" || fail "web server did not start"
	openwrt_get "$r"
	[ "$RC" = 0 ] || fail "first hook get: exit $RC: $(tail -n 1 "$T/hook.out")"
	pebble_stop
	: >"$r/var/log/notify"
	openwrt_get "$r"
	[ "$RC" = 0 ] || fail "not due, CA down: exit $RC: $(tail -n 1 "$T/hook.out")"
	[ ! -s "$r/var/log/notify" ] ||
	    fail "notify saw [$(tr '\n' ' ' <"$r/var/log/notify")] for a certificate that is not due"
	openwrt_get "$r" days=100
	[ "$RC" = 1 ] || fail "due, CA down: exit $RC, expected 1"
	[ "$(cat "$r/var/log/notify")" = renew-failed ] ||
	    fail "notify saw [$(tr '\n' ' ' <"$r/var/log/notify")], expected [renew-failed]"
}

# The same with the router's binary: acme-mipsel-sf's test build under
# qemu's 24Kc in the chroot, which also has no /dev/urandom (BearSSL's
# own seeder needs it on MIPS; acme seeds the TLS engine itself).
e2e openwrt_hook_mipsel pebble
t_openwrt_hook_mipsel()
{
	[ -x "$LIB_REPO/test/qemu/mipsel-sf/acme" ] ||
	    skip "test/qemu/mipsel-sf/acme not built (sudo make cross-deps, then make test)"
	ACME=$LIB_REPO/test/qemu/mipsel-sf/acme
	t_openwrt_hook
}
