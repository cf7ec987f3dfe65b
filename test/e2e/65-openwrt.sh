# test/e2e/65-openwrt.sh - contrib/openwrt/hook.sh as OpenWrt's acme-common
# 1.5.3 runs it (sourced by test/run.sh), and the package that installs it.
#
# A chroot is the router: a static busybox as /bin/sh with only the
# applets OpenWrt's default busybox has (BB_APPLETS: a bash-ism, a GNU
# option, wget or curl fail here), the hook as /usr/lib/acme/hook, the
# static ./acme as /usr/bin/acme, Pebble's TLS CA as the system CA bundle,
# and acme-common 1.5.3's parts as their contract goes (net/acme-common
# of openwrt/packages; our own code, theirs is GPL):
#   functions.sh   log (logger, debug only with debug=1), add_nft_rule
#                  MAIN PORT (nft -a -e insert ... comment "ACME MAIN",
#                  the handle kept in NFT_HANDLE), del_nft_rule
#   nft            a stub that records each insert and delete
#   logger         a stub that keeps the lines in /var/log/messages
#   notify         records each event in /var/log/notify
#   /www           with uci-defaults' link .well-known/acme-challenge ->
#                  /var/run/acme/challenge/.well-known/acme-challenge,
#                  served (busybox httpd in the chroot, as uhttpd would:
#                  links resolve in the router) on Pebble's http-01 port
# The hook runs as `hook get` with procd's instance environment as
# acme.init builds it for a cert section (openwrt_get), cwd /.
# Under `make test-qemu TARGET=...`, and in openwrt_hook_mipsel,
# /usr/bin/acme is a device's binary run by a static qemu-user copied into
# the chroot.

# openwrt_acme ROOT: $ACME as ROOT/usr/bin/acme: a static binary of this
# machine, or (test-qemu's wrapper `exec QEMU -cpu CPU BIN "$@"`) BIN run
# by QEMU; then OPENWRT_EXE says so to the dnsapi callbacks. Fails when
# $ACME is neither.
openwrt_acme()
{
	local r=$1 q cpu bin
	OPENWRT_EXE=
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
	    "$q" "$cpu" >"$r/usr/bin/acme" && chmod 755 "$r/usr/bin/acme" &&
	OPENWRT_EXE=ACME_TEST_EXE=/usr/bin/acme
}

# openwrt_root DIR: build the chroot (needs root and a static busybox).
openwrt_root()
{
	local r=$1 a bb
	[ "$(id -u)" = 0 ] || skip "needs root for chroot"
	bb=$(command -v busybox) || skip "busybox not installed (make deps)"
	case $(file -b "$bb") in
	*"statically linked"*) ;;
	*) skip "busybox is not static (Debian package busybox-static)" ;;
	esac
	mkdir -p "$r/bin" "$r/usr/bin" "$r/usr/sbin" "$r/usr/lib/acme/client" \
	    "$r/etc/ssl/certs" "$r/etc/acme" "$r/etc/ssl/acme" \
	    "$r/var/run" "$r/var/log" "$r/dev" "$r/www/.well-known" &&
	    mkdir -m 1777 "$r/tmp" || fail "cannot build the chroot"
	cp "$bb" "$r/bin/busybox" || fail "cannot copy busybox"
	for a in $BB_APPLETS; do
		[ "$a" = logger ] || ln -s busybox "$r/bin/$a" || fail "ln $a"
	done
	mknod -m 666 "$r/dev/null" c 1 3 || fail "mknod /dev/null"
	cp "$LIB_REPO/contrib/openwrt/hook.sh" "$r/usr/lib/acme/hook" &&
	chmod 755 "$r/usr/lib/acme/hook" &&
	cp "$PB_CA" "$r/etc/ssl/certs/ca-certificates.crt" &&
	echo '127.0.0.1 localhost' >"$r/etc/hosts" &&
	ln -s /var/run/acme/challenge/.well-known/acme-challenge \
	    "$r/www/.well-known/acme-challenge" || fail "cannot fill the chroot"
	cat >"$r/usr/lib/acme/functions.sh" <<'EOF'
# acme-common 1.5.3's functions.sh, as its contract goes
log() {
	prio=$1
	shift
	[ "$prio" != debug ] || [ "${debug:-0}" = 1 ] || return 0
	logger -t "$LOG_TAG" -p "daemon.$prio" -- "$@"
}

NFT_HANDLE=

# add_nft_rule MAIN PORT: accept PORT in fw4's input chain; the rule's
# "handle N" in NFT_HANDLE and on stdout. No PORT: nothing (status 1).
add_nft_rule() {
	[ -n "$2" ] || return
	case $2 in
	[0-9]*) ;;
	*) log err "Invalid listen port $2 for $1"; return 1 ;;
	esac
	if ! NFT_HANDLE=$(nft -a -e insert rule inet fw4 input tcp dport "$2" \
	    counter accept comment "\"ACME $1\"" | grep -o 'handle [0-9]*'); then
		log err "Failed to add nftables rule for port $2"
		return 1
	fi
	log debug "Added nftables rule for port $2 with $NFT_HANDLE"
	echo "$NFT_HANDLE"
}

del_nft_rule() {
	[ -n "$NFT_HANDLE" ] || return 0
	# "handle N": two words
	nft delete rule inet fw4 input $NFT_HANDLE ||
	    log err "Failed to delete nftables rule $NFT_HANDLE"
	NFT_HANDLE=
}
EOF
	cat >"$r/usr/sbin/nft" <<'EOF'
#!/bin/sh
# nft: records what is asked of fw4; a rule's handle is its line number
echo "$*" >>/var/log/nft.cmd
case $* in
"-a -e insert rule inet fw4 input tcp dport "*)
	n=$(($(cat /var/log/nft 2>/dev/null | wc -l) + 1))
	echo "insert ${10} handle $n" >>/var/log/nft
	echo "insert rule inet fw4 input tcp dport ${10} counter packets 0 bytes 0 accept comment \"...\" # handle $n"
	;;
"delete rule inet fw4 input handle "*)
	echo "delete $7" >>/var/log/nft
	;;
*) echo "nft: unexpected: $*" >&2; exit 1 ;;
esac
EOF
	cat >"$r/usr/bin/logger" <<'EOF'
#!/bin/sh
t= p=
while [ $# -gt 0 ]; do
	case $1 in
	-t) t=$2; shift 2 ;;
	-p) p=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
echo "$t.$p: $*" >>/var/log/messages
EOF
	cat >"$r/usr/lib/acme/notify" <<'EOF'
#!/bin/sh
echo "$1" >>/var/log/notify
EOF
	chmod 755 "$r/usr/sbin/nft" "$r/usr/bin/logger" \
	    "$r/usr/lib/acme/notify" || fail "chmod"
	openwrt_acme "$r" ||
	    skip "$ACME is neither a static binary nor a static qemu's wrapper"
}

# www_start ROOT / www_stop: the router's web server on /www.
www_start()
{
	local st
	# a pids file of its own (found by lib_cleanup, like every "pids")
	mkdir -p "$T/www" && WWW_PIDS=$T/www/pids
	LIB_PIDFILE=$WWW_PIDS lib_spawn "$T/www.log" chroot "$1" \
	    /bin/busybox httpd -f -p "127.0.0.1:$PB_HTTP_PORT" -h /www
	st=$(lib_starttime "$LIB_PID")
	wait_for "$LIB_PID" "$st" httpd \
	    lib_http_up "http://127.0.0.1:$PB_HTTP_PORT/" ||
	    fail "httpd did not start: $(tail -n 1 "$T/www.log")"
}

www_stop() { lib_stop_pids "$WWW_PIDS"; }

# openwrt_env [VAR=VALUE...]: the environment procd gives `hook get` for
# a cert section as acme.init 1.5.3 builds it (webroot validation of
# openwrt.example.com and www.openwrt.example.com), VAR=VALUE overriding;
# main_domain follows domains; credentials are variables of their own.
# Into the array OPENWRT_ENV.
openwrt_env()
{
	local v main=
	OPENWRT_ENV=(PATH=/usr/sbin:/usr/bin:/sbin:/bin
	    CHALLENGE_DIR=/var/run/acme/challenge CERT_DIR=/etc/ssl/acme
	    account_email=test@example.com state_dir=/etc/acme debug=0 dns=
	    validation_method=webroot listen_port= staging=0 calias= dalias=
	    domains='openwrt.example.com www.openwrt.example.com'
	    main_domain=openwrt.example.com key_type=ec256
	    acme_server="$PB_URL" days= cert_profile= dns_wait=
	    ${OPENWRT_EXE:+"$OPENWRT_EXE"})
	for v in "$@"; do
		case $v in
		domains=*) main=${v#domains=}; main=${main%% *} ;;
		esac
	done
	[ -n "$main" ] && OPENWRT_ENV+=("main_domain=$main")
	OPENWRT_ENV+=("$@")
}

# openwrt_get ROOT [VAR=VALUE...]: run `hook get` in the chroot with
# openwrt_env's environment; output in $T/hook.out, status in RC; the log
# lines shown and emptied (/var/log/messages).
openwrt_get()
{
	local r=$1
	shift
	openwrt_env "$@"
	printf '+ hook get %s\n' "$*"
	mkdir -p "$r/var/run/acme/challenge"	# acme.init does, for webroot
	timeout -k 5 "$ACME_TIMEOUT" env -i "${OPENWRT_ENV[@]}" \
	    chroot "$r" /bin/sh /usr/lib/acme/hook get >"$T/hook.out" 2>&1
	RC=$?
	sed 's/^/  hook: /' "$T/hook.out"
	sed 's/^/  log: /' "$r/var/log/messages" 2>/dev/null
	cat "$r/var/log/messages" >>"$r/var/log/messages.all" 2>/dev/null
	: >"$r/var/log/messages"
}

# events ROOT: the notify events so far, on one line; then forgotten.
events()
{
	tr '\n' ' ' <"$1/var/log/notify" 2>/dev/null | sed 's/ $//'
	: >"$1/var/log/notify"
}

# certdir ROOT MAIN: CERT_DIR holds MAIN's five files, regular files that
# are the live set (combined: fullchain then key), keys 0600.
certdir()
{
	local r=$1 m=$2 c=$1/etc/ssl/acme l=$1/etc/acme/live/$2 f
	for f in crt:cert.pem key:privkey.pem fullchain.crt:fullchain.pem \
	    chain.crt:chain.pem; do
		[ -f "$c/$m.${f%%:*}" ] && [ ! -L "$c/$m.${f%%:*}" ] ||
		    fail "CERT_DIR/$m.${f%%:*} is not a regular file"
		cmp -s "$c/$m.${f%%:*}" "$l/${f#*:}" ||
		    fail "CERT_DIR/$m.${f%%:*} is not live/$m/${f#*:}"
	done
	cat "$l/fullchain.pem" "$l/privkey.pem" | cmp -s - "$c/$m.combined.crt" ||
	    fail "$m.combined.crt is not fullchain.pem followed by privkey.pem"
	[ "$(mode "$c/$m.key")" = 600 ] && [ "$(mode "$c/$m.combined.crt")" = 600 ] ||
	    fail "key $(mode "$c/$m.key"), combined $(mode "$c/$m.combined.crt"), expected 600"
	[ "$(mode "$c/$m.crt")" = 644 ] || fail "$m.crt mode $(mode "$c/$m.crt")"
}

# The default webroot setup (the web server on /www, uci-defaults' link),
# the daily run (nothing due: no event, nothing written), renewal, a new
# domain list; the deprecated `webroot /www`; standalone with the firewall
# opened and closed.
e2e openwrt_hook pebble
t_openwrt_hook()
{
	local r=$T/root s1 inode
	openwrt_root "$r"
	www_start "$r"

	openwrt_get "$r"
	[ "$RC" = 0 ] || fail "first hook get: exit $RC: $(tail -n 1 "$T/hook.out")"
	[ "$(events "$r")" = "prepare issued" ] || fail "events, expected [prepare issued]"
	[ "$(ls "$r/etc/ssl/acme" | wc -l)" = 5 ] ||
	    fail "CERT_DIR holds [$(ls "$r/etc/ssl/acme" | tr '\n' ' ')], expected five files"
	certdir "$r" openwrt.example.com
	check_live "$r/etc/acme" openwrt.example.com DNS:openwrt.example.com \
	    DNS:www.openwrt.example.com
	[ ! -s "$r/var/log/nft" ] || fail "webroot touched the firewall"
	s1=$(serial "$r/etc/acme/live/openwrt.example.com/cert.pem")
	inode=$(stat -c %i "$r/etc/ssl/acme/openwrt.example.com.key")

	# The daily run: not due, so no event, nothing rewritten.
	openwrt_get "$r"
	[ "$RC" = 0 ] || fail "second hook get: exit $RC: $(tail -n 1 "$T/hook.out")"
	[ -z "$(events "$r")" ] || fail "an event on a run where nothing was due"
	[ "$(serial "$r/etc/acme/live/openwrt.example.com/cert.pem")" = "$s1" ] ||
	    fail "the certificate changed on a run where nothing was due"
	[ "$(stat -c %i "$r/etc/ssl/acme/openwrt.example.com.key")" = "$inode" ] ||
	    fail "CERT_DIR was rewritten on a run where nothing was due"

	# days 100 makes the 90-day certificate due: renewed.
	openwrt_get "$r" days=100
	[ "$RC" = 0 ] || fail "third hook get: exit $RC: $(tail -n 1 "$T/hook.out")"
	[ "$(events "$r")" = renewed ] || fail "events, expected [renewed]"
	[ "$(serial "$r/etc/acme/live/openwrt.example.com/cert.pem")" != "$s1" ] ||
	    fail "renewed, but live/ holds the same certificate"
	certdir "$r" openwrt.example.com

	# A new domain list is a new issue, not a renewal.
	openwrt_get "$r" domains=openwrt.example.com
	[ "$RC" = 0 ] || fail "fourth hook get: exit $RC: $(tail -n 1 "$T/hook.out")"
	[ "$(events "$r")" = "prepare issued" ] ||
	    fail "after a domain change: events, expected [prepare issued]"
	check_live "$r/etc/acme" openwrt.example.com DNS:openwrt.example.com
	certdir "$r" openwrt.example.com

	# The deprecated `webroot /www` (LuCI's "Webroot directory"): its
	# acme-challenge is uci-defaults' link; acme gets the real folder.
	openwrt_get "$r" CHALLENGE_DIR=/www domains=wr.openwrt.example.com
	[ "$RC" = 0 ] || fail "CHALLENGE_DIR=/www: exit $RC: $(tail -n 1 "$T/hook.out")"
	[ "$(events "$r")" = "prepare issued" ] || fail "CHALLENGE_DIR=/www: events"
	certdir "$r" wr.openwrt.example.com
	[ -L "$r/www/.well-known/acme-challenge" ] || fail "the link is gone"

	# standalone: the firewall opened for the port, closed after.
	www_stop
	openwrt_get "$r" validation_method=standalone listen_port="$PB_HTTP_PORT" \
	    domains=sa.openwrt.example.com
	[ "$RC" = 0 ] || fail "standalone: exit $RC: $(tail -n 1 "$T/hook.out")"
	[ "$(events "$r")" = "prepare issued" ] || fail "standalone: events"
	certdir "$r" sa.openwrt.example.com
	[ "$(cat "$r/var/log/nft")" = "insert $PB_HTTP_PORT handle 1
delete 1" ] || fail "nft saw [$(tr '\n' ';' <"$r/var/log/nft")], expected an insert of port $PB_HTTP_PORT and its delete"
	grep -q 'comment "ACME sa.openwrt.example.com"' "$r/var/log/nft.cmd" ||
	    fail "the rule has no ACME comment: $(head -n 1 "$r/var/log/nft.cmd")"
}

# LuCI's DNS validation: `dns` names an acme.sh DNS API, `credentials`
# are variables of their own (here for test/dnsmock.py's signed API),
# the script in /usr/lib/acme/client/dnsapi (acme-acmesh-dnsapi's place),
# run under busybox. A wildcard, with a file in the working directory
# its pattern would match; no file left holding the secret; calias;
# renewal with the credentials gone from the config.
e2e openwrt_hook_dns pebble
t_openwrt_hook_dns()
{
	local r=$T/root m st url secret=luci-secret-$RANDOM$RANDOM f
	openwrt_root "$r"
	mkdir -p "$r/usr/lib/acme/client/dnsapi" &&
	cp "$LIB_REPO/test/dnsapi/dns_testmac.sh" "$r/usr/lib/acme/client/dnsapi/" ||
	    fail "cannot install the dnsapi script"
	m=$(mktemp -d "$T/mock.XXXXXX")
	lib_spawn "$m/log" "$PYTHON" "$LIB_HERE/dnsmock.py" \
	    --cert "$LISTENER_CERT" --key "$LISTENER_KEY" --secret "$secret" \
	    --challtestsrv "$PB_CMGMT" --state "$m/state" --port-file "$m/port"
	st=$(lib_starttime "$LIB_PID")
	wait_for "$LIB_PID" "$st" dnsmock test -s "$m/port" ||
	    fail "dnsmock did not start: $(tail -n 1 "$m/log")"
	url=https://localhost:$(cat "$m/port")
	: >"$r/www.mac.example.com"	# what *.mac.example.com would match in /

	openwrt_get "$r" validation_method=dns dns=dns_testmac dns_wait=1 \
	    domains='mac.example.com *.mac.example.com' \
	    TMAC_Url="$url" TMAC_Secret="$secret"
	[ "$RC" = 0 ] || fail "dns: exit $RC: $(tail -n 1 "$T/hook.out")"
	[ "$(events "$r")" = "prepare issued" ] || fail "dns: events"
	check_live "$r/etc/acme" mac.example.com DNS:mac.example.com \
	    'DNS:*.mac.example.com'
	certdir "$r" mac.example.com
	"$PYTHON" -c 'import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(s["bad"] != 0 or s["records"] != [] or s["good"] < 6)' "$m/state" ||
	    fail "dnsmock: $(cat "$m/state")"
	# the secret is in acme's saved credentials (0600) and nowhere else
	f=$(grep -rlF -- "$secret" "$r" | sed "s|^$r||" | tr '\n' ' ')
	[ "$f" = "/etc/acme/dns-api/account.conf " ] ||
	    fail "files holding the secret: [$f]"
	[ "$(mode "$r/etc/acme/dns-api/account.conf")" = 600 ] || fail "account.conf mode"
	! grep -qF -- "$secret" "$T/hook.out" "$r/var/log/messages.all" ||
	    fail "the secret was logged"
	[ -z "$(ls -A "$r/var/run/acme" | grep -v challenge)" ] ||
	    fail "left in /var/run/acme: $(ls -A "$r/var/run/acme")"
	[ ! -s "$r/var/log/nft" ] || fail "dns touched the firewall"

	# the credentials gone from the config: renew from the saved ones
	openwrt_get "$r" validation_method=dns dns=dns_testmac dns_wait=1 \
	    domains='mac.example.com *.mac.example.com' days=100
	[ "$RC" = 0 ] || fail "dns renew: exit $RC: $(tail -n 1 "$T/hook.out")"
	[ "$(events "$r")" = renewed ] || fail "dns renew: events"
	certdir "$r" mac.example.com

	# calias: the record at _acme-challenge.ALIAS, which the name's
	# _acme-challenge is a CNAME of
	curl -fsS -X POST -d '{"host": "_acme-challenge.al.example.com.",
	    "target": "_acme-challenge.alias.example.net."}' \
	    "$PB_CMGMT/set-cname" || fail "set-cname"
	openwrt_get "$r" validation_method=dns dns=dns_testmac dns_wait=1 \
	    domains=al.example.com calias=alias.example.net debug=1
	[ "$RC" = 0 ] || fail "calias: exit $RC: $(tail -n 1 "$T/hook.out")"
	grep -q 'dns_testmac_add _acme-challenge.alias.example.net' \
	    "$T/hook.out" || fail "calias: the record was not set at the alias"
	certdir "$r" al.example.com
}

# `/etc/init.d/acme abort`: procd's SIGTERM while acme waits for a CA
# that never answers (standalone: the firewall was opened): acme stops,
# the rule is deleted, issue-failed is sent.
e2e openwrt_hook_abort
t_openwrt_hook_abort()
{
	local r=$T/root pid p i acme= ports port
	PB_URL=https://localhost:1/dir PB_CA=$LISTENER_CA
	openwrt_root "$r"
	fakeca_start hang || fail "fakeca did not start"
	ports=$(free_ports 1) || fail "no free port"
	port=${ports%% *}
	openwrt_env acme_server="$FAKE_URL" validation_method=standalone \
	    listen_port="$port" domains=abort.example.com
	env -i "${OPENWRT_ENV[@]}" chroot "$r" /bin/sh /usr/lib/acme/hook get \
	    >"$T/hook.out" 2>&1 &
	pid=$!
	# wait for acme (or the qemu running it) in the chroot
	for i in $(seq 300); do
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/root" 2>/dev/null)" = "$r" ] || continue
			case $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) in
			"/usr/bin/acme --dir "* | *" /usr/bin/acme.bin --dir "*)
				acme=${p#/proc/} ;;
			esac
		done
		[ -n "$acme" ] && break
		sleep 0.1
	done
	[ -n "$acme" ] || { kill "$pid"; fail "acme did not start: $(cat "$T/hook.out")"; }
	grep -q '^insert ' "$r/var/log/nft" || fail "no rule before acme ran"
	kill -TERM "$pid"
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	! kill -0 "$pid" 2>/dev/null || fail "the hook is still running 10 s after SIGTERM"
	wait "$pid"
	RC=$?
	sed 's/^/  hook: /' "$T/hook.out"
	sed 's/^/  log: /' "$r/var/log/messages"
	[ "$RC" = 1 ] || fail "hook exit $RC after SIGTERM, expected 1"
	! kill -0 "$acme" 2>/dev/null || fail "acme ($acme) still runs"
	[ "$(events "$r")" = "prepare issue-failed" ] ||
	    fail "events, expected [prepare issue-failed]"
	[ "$(cat "$r/var/log/nft")" = "insert $port handle 1
delete 1" ] || fail "nft saw [$(tr '\n' ';' <"$r/var/log/nft")]"
}

# Against a current Pebble (2.10, profiles, dns-persist-01): cert_profile
# goes to --profile; validation_method dns-persist logs the record to
# publish, fails until it is published, then issues.
e2e openwrt_hook_sid
t_openwrt_hook_sid()
{
	local r=$T/root rec
	PEBBLE_JSON_EXTRA='"profiles": {"default": {"description": "ninety days", "validityPeriod": 7776000}, "shortlived": {"description": "six days", "validityPeriod": 518400}}' \
	    pebble_sid_start "sid-${T##*/}" ||
	    skip "no Pebble 2.10 or newer from Debian sid"
	openwrt_root "$r"
	www_start "$r"
	openwrt_get "$r" domains=prof.example.com cert_profile=shortlived
	[ "$RC" = 0 ] || fail "cert_profile: exit $RC: $(tail -n 1 "$T/hook.out")"
	grep -qx 'profile = shortlived' "$r/etc/acme/conf/prof.example.com.conf" ||
	    fail "conf/prof.example.com.conf has no profile"
	[ $(($(date -d "$(openssl x509 -in "$r/etc/acme/live/prof.example.com/cert.pem" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s))) -lt 700000 ] ||
	    fail "not the six-day profile"
	events "$r" >/dev/null

	openwrt_get "$r" validation_method=dns-persist domains=per.example.com
	[ "$RC" = 1 ] || fail "dns-persist, unpublished: exit $RC, expected 1"
	[ "$(events "$r")" = "prepare issue-failed" ] || fail "dns-persist: events"
	rec=$(sed -n 's/.*publish once: \(_validation-persist\.per\.example\.com\. IN TXT .*\)/\1/p' \
	    "$r/var/log/messages.all" | head -n 1)
	[ -n "$rec" ] || fail "no record to publish was logged"
	"$PYTHON" - "$PB_CMGMT" "$rec" <<'EOF' || fail "cannot publish $rec"
import json, re, sys, urllib.request
m = re.fullmatch(r'(\S+) IN TXT "(.*)"', sys.argv[2])
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/set-txt",
    data=json.dumps({"host": m.group(1), "value": m.group(2)}).encode(),
    method="POST"), timeout=5).read()
EOF
	openwrt_get "$r" validation_method=dns-persist domains=per.example.com
	[ "$RC" = 0 ] || fail "dns-persist, published: exit $RC: $(tail -n 1 "$T/hook.out")"
	[ "$(events "$r")" = "prepare issued" ] || fail "dns-persist: events"
	certdir "$r" per.example.com
}

# A failed issue says issue-failed and leaves CERT_DIR empty; a bad
# main_domain or validation_method runs no acme.
e2e openwrt_hook_fail pebble
t_openwrt_hook_fail()
{
	local r=$T/root
	openwrt_root "$r"
	# nothing serves /www: the http-01 challenge fails
	openwrt_get "$r"
	[ "$RC" = 1 ] || fail "hook get exit $RC, expected 1"
	[ "$(events "$r")" = "prepare issue-failed" ] ||
	    fail "events, expected [prepare issue-failed]"
	[ -z "$(ls "$r/etc/ssl/acme")" ] || fail "CERT_DIR is not empty after a failure"
	openwrt_get "$r" validation_method=carrier-pigeon
	[ "$RC" = 1 ] || fail "unknown validation_method: exit $RC, expected 1"
	openwrt_get "$r" domains='../../etc/passwd x.example.com'
	[ "$RC" = 1 ] || fail "bad main_domain: exit $RC, expected 1"
	grep -q "bad main_domain" "$r/var/log/messages.all" ||
	    fail "bad main_domain: not logged"
	[ -z "$(events "$r")" ] || fail "an event for a bad main_domain"
	[ ! -e "$r/etc/acme/live" ] || fail "acme ran for a bad main_domain"
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
# own seeder needs it on MIPS; acme seeds the TLS engine itself); the
# DNS API's callbacks run it too.
e2e openwrt_hook_mipsel pebble built
t_openwrt_hook_mipsel()
{
	[ -x "$LIB_REPO/test/qemu/mipsel-sf/acme" ] ||
	    skip "test/qemu/mipsel-sf/acme not built (make cross-deps, then make test)"
	ACME=$LIB_REPO/test/qemu/mipsel-sf/acme
	t_openwrt_hook
	rm -rf "$T/root"
	t_openwrt_hook_dns
}

# The package: acme-common's backends provide @acme (luci-app-acme
# depends on +acme) and install /usr/lib/acme/hook, so this one
# conflicts with both of the others.
e2e openwrt_package noacme
t_openwrt_package()
{
	local mk=$LIB_REPO/contrib/openwrt/Makefile
	grep -qx '  PROVIDES:=@acme' "$mk" || fail "no PROVIDES:=@acme"
	grep -qx '  CONFLICTS:=acme-acmesh uacme' "$mk" ||
	    fail "not CONFLICTS:=acme-acmesh uacme"
	grep -q 'hook.sh $(1)/usr/lib/acme/hook$' "$mk" ||
	    fail "hook.sh is not installed as /usr/lib/acme/hook"
}
