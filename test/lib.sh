# test/lib.sh - helpers for acme's end-to-end tests and demo (bash).
#
# Sourced by test/run.sh and test/demo.sh. Everything listens on 127.0.0.1
# only; the ACME directory URL uses the host name `localhost', which the
# listener certificate names (a CA reached by IP address needs that
# address in its certificate: test/e2e/55-stepca.sh).
#
#   lib_init                    temp dir, exit trap, listener certificate
#   listener_leaf NAME FROM TO  another leaf for localhost, same CA, with
#                               its own dates (openssl's YYYYMMDDHHMMSSZ)
#   pebble_start NAME [VAR=VAL...]  (PB_VALIDITY: certificate seconds;
#                               PB_CERT/PB_KEY: listener, see listener_leaf)
#                               pebble + pebble-challtestsrv, env VAR=VAL
#                               for pebble; sets the PB_* variables below
#                               PB_DNSSERVER: the DNS server Pebble's VA
#                               asks (default: its challtestsrv)
#   pebble_stop / pebble_restart  stop it (PB_URL refuses connections) /
#                               again at the same URL, having forgotten
#                               everything (a CA reset)
#   pebble_sid_start NAME [VAR=VAL...]  the same with Debian sid's Pebble
#                               (2.10 or newer: ARI replaces, profiles,
#                               Retry-After, dns-persist-01), fetched once
#                               by test/pebble-sid.sh
#   stepca_start NAME           smallstep's step-ca (built once by
#                               test/stepca.sh) and its challtestsrv; sets
#                               the SC_* variables (see there)
#   low_port PORT               127.0.0.1:PORT (80, 443) free to bind
#   fakeca_start MODE           test/fakeca.py; sets FAKE_URL
#   caproxy_start [OPTS...]     test/caproxy.py before Pebble; sets PX_URL,
#                               PX_LOG, ACME_PX (caproxy_set, px_count,
#                               px_conns); CAPROXY_CERT/CAPROXY_KEY: its
#                               listener
#   webroot_start DIR           python3 http.server on PB_HTTP_PORT
#                               (webroot_stop ends it)
#   pdns_start ZONE...          PowerDNS (gsqlite3 backend, HTTP API)
#                               authoritative for ZONE...; sets PDNS_DNS,
#                               PDNS_API, PDNS_KEY (see there)
#   busybox_path DIR            DIR/ holds links to busybox for the
#                               applets of OpenWrt's busybox (BB_APPLETS):
#                               a PATH with no wget, curl or openssl
#   free_ports N                N ports held for the test (test/ports.py)
#   run_acme ARGS...            run $ACME; sets RC, files $T/stdout $T/stderr
#   fail REASON / skip REASON   end the test (skip: cannot run here)
#   expect_rc / expect_one_error_line / expect_quiet / snapshot / expect_same
#   check_live DIR NAME SAN...  the whole live set (see below)
#   check_account DIR           exactly one account, modes
#
# Variables after pebble_start:
#   PB_URL        https://localhost:PORT/dir      (ACME directory)
#   PB_MGMT       https://localhost:PORT          (Pebble management API)
#   PB_HTTP_PORT  port Pebble's VA uses for http-01 (our responders bind it)
#   PB_TLS_PORT   port Pebble's VA uses for tls-alpn-01
#   PB_CA         PEM file to pass as --ca-file (CA of the listener cert)
#   PB_ROOT       Pebble's issuing root (/roots/0), to verify issued certs
#   PB_DNS        challtestsrv DNS address, PB_CMGMT its management URL
#   ACME_PB       array: --server URL --ca-file FILE --agree-tos --email ...
#   ACME_SA       array: --standalone --http-port PORT --bind 127.0.0.1
#
# Processes we start are recorded as "pid starttime" in a pids file; only
# those exact processes are ever signalled.

LIB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LIB_REPO=$(cd "$LIB_HERE/.." && pwd)
LIB_WAIT_STEPS=${LIB_WAIT_STEPS:-600}	# readiness polls, 0.1 s apart (a loaded machine)
ACME_TIMEOUT=${ACME_TIMEOUT:-120}	# seconds one acme run may take
# the interpreter itself, not a version manager's shim (saves ~0.2 s a call)
PYTHON=${PYTHON:-$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)}
PYTHON=${PYTHON:-python3}

lib_log() { printf '%s\n' "$*" >&2; }

# lib_init: create the run's temp dir and listener certificate, set the
# exit trap. Idempotent.
lib_init()
{
	[ -n "${LIB_TMP:-}" ] && return 0
	LIB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/acme-test.XXXXXX") || return 1
	LIB_PIDFILE=$LIB_TMP/pids
	: >"$LIB_PIDFILE"
	trap 'lib_cleanup' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	listener_cert "$LIB_TMP/tls"
}

lib_cleanup()
{
	local f
	[ -n "${LIB_TMP:-}" ] || return 0
	while IFS= read -r f; do
		lib_stop_pids "$f"
	done < <(find "$LIB_TMP" -name pids -type f 2>/dev/null)
	if [ -n "${KEEP_TMP:-}" ]; then
		lib_log "kept $LIB_TMP"
	else
		rm -rf "$LIB_TMP"
	fi
	LIB_TMP=
}

# ---- processes -------------------------------------------------------

lib_starttime() { awk '{ print $22 }' "/proc/$1/stat" 2>/dev/null; }

# lib_spawn LOG CMD...: start CMD in the background, output to LOG; sets
# LIB_PID and records it in $LIB_PIDFILE.
lib_spawn()
{
	local log=$1
	shift
	"$@" </dev/null >"$log" 2>&1 &
	LIB_PID=$!
	echo "$LIB_PID $(lib_starttime "$LIB_PID")" >>"$LIB_PIDFILE"
}

lib_alive()
{
	[ -n "$2" ] && [ "$(lib_starttime "$1")" = "$2" ] &&
	    ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# lib_stop_pids FILE: TERM each still-running process listed in FILE, wait
# up to 5 s, then KILL. Empties FILE.
lib_stop_pids()
{
	local pid st i left
	[ -s "$1" ] || return 0
	while read -r pid st; do
		lib_alive "$pid" "$st" && kill -TERM "$pid" 2>/dev/null
	done <"$1"
	for i in $(seq 50); do
		left=0
		while read -r pid st; do
			lib_alive "$pid" "$st" && left=1
		done <"$1"
		[ "$left" = 0 ] && break
		sleep 0.1
	done
	while read -r pid st; do
		lib_alive "$pid" "$st" && kill -KILL "$pid" 2>/dev/null
	done <"$1"
	# reap our own children so no zombie outlives the run
	while read -r pid st; do
		wait "$pid" 2>/dev/null
	done <"$1"
	: >"$1"
}

# free_ports N: print N distinct TCP ports on the loopback, reserved for
# the rest of the test (or of the run, outside a test) by a test/ports.py
# process that holds them: no other run can pick them, while our own
# servers (which all set SO_REUSEADDR) bind them at will, as often as
# they like. A held port that nothing listens on refuses connections.
free_ports()
{
	local f st
	f=$(mktemp "$LIB_TMP/ports.XXXXXX") && rm -f "$f" || return 1
	lib_spawn "$f.log" "$PYTHON" "$LIB_HERE/ports.py" "$1" "$f" --watch $$
	st=$(lib_starttime "$LIB_PID")
	wait_for "$LIB_PID" "$st" ports.py test -s "$f" >&2 || {
		lib_log "$(tail -n 3 "$f.log")"
		return 1
	}
	cat "$f"
}

# port_free PORT: true when PORT can be bound on 127.0.0.1 (SO_REUSEADDR,
# as any server would); else 2 when that needs root, 1 when it is taken.
port_free()
{
	"$PYTHON" - "$1" <<'EOF'
import errno, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError as e:
    sys.exit(2 if e.errno == errno.EACCES else 1)
EOF
}

# wait_for PID STARTTIME WHAT CMD...: poll CMD until it succeeds, giving up
# after LIB_WAIT_STEPS tries or as soon as the process died.
wait_for()
{
	local pid=$1 st=$2 what=$3 i
	shift 3
	for i in $(seq "$LIB_WAIT_STEPS"); do
		"$@" >/dev/null 2>&1 && return 0
		if ! lib_alive "$pid" "$st"; then
			lib_log "$what exited early"
			return 1
		fi
		sleep 0.1
	done
	lib_log "$what not ready after $LIB_WAIT_STEPS tries"
	return 1
}

# ---- certificates for our HTTPS listeners ----------------------------

# listener_cert DIR: DIR/ca.pem (trust anchor, for --ca-file and curl) and
# DIR/localhost.{pem,key} (leaf for DNS:localhost signed by ca.pem).
listener_cert()
{
	local d=$1 from=20000101000000Z to=21500101000000Z
	mkdir -p "$d/new" || return 1
	LISTENER_CA=$d/ca.pem
	LISTENER_CERT=$d/localhost.pem
	LISTENER_KEY=$d/localhost.key
	[ -s "$LISTENER_CERT" ] && return 0
	# Valid from 2000 to 2150, so that TLS to Pebble verifies whatever
	# time the tests make the device clock read (1970 means "the build
	# date", see acme(1) TIME) up to 2100; `openssl ca` because it can
	# set both dates. A clock after 2150 shows the expired case.
	: >"$d/index.txt"
	echo 01 >"$d/serial"
	printf '%s\n' "[ca]" "default_ca = ca" "[ca]" "dir = $d" \
	    "database = $d/index.txt" "new_certs_dir = $d/new" \
	    "serial = $d/serial" "default_md = sha256" "policy = pol" \
	    "unique_subject = no" "[pol]" "commonName = supplied" \
	    >"$d/ca.cnf"
	printf '%s\n' "basicConstraints=critical,CA:TRUE" \
	    "keyUsage=critical,keyCertSign,cRLSign" >"$d/ca-ext.cnf"
	printf '%s\n' "subjectAltName=DNS:localhost" \
	    "basicConstraints=critical,CA:FALSE" \
	    "keyUsage=critical,digitalSignature" \
	    "extendedKeyUsage=serverAuth" >"$d/ext.cnf"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/ca.key" -out "$d/ca.csr" \
	    -subj "/CN=acme test listener CA" >"$d/log" 2>&1 &&
	openssl ca -batch -notext -config "$d/ca.cnf" -selfsign \
	    -keyfile "$d/ca.key" -in "$d/ca.csr" -out "$d/ca.pem" \
	    -startdate $from -enddate $to -extfile "$d/ca-ext.cnf" \
	    >>"$d/log" 2>&1 &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/localhost.key" -out "$d/localhost.csr" \
	    -subj "/CN=localhost" >>"$d/log" 2>&1 &&
	openssl ca -batch -notext -config "$d/ca.cnf" -cert "$d/ca.pem" \
	    -keyfile "$d/ca.key" -in "$d/localhost.csr" \
	    -out "$d/localhost.pem" -startdate $from -enddate $to \
	    -extfile "$d/ext.cnf" >>"$d/log" 2>&1 || {
		lib_log "listener certificate: openssl failed: $(tail -n 1 "$d/log")"
		return 1
	}
}

# listener_leaf NAME FROM TO: $LIB_TMP/tls/NAME.{pem,key}, a leaf for
# DNS:localhost signed by the listener CA (so PB_CA trusts it), valid from
# FROM to TO (YYYYMMDDHHMMSSZ). Sets LEAF_CERT and LEAF_KEY.
listener_leaf()
{
	local d=$LIB_TMP/tls name=$1
	LEAF_CERT=$d/$name.pem
	LEAF_KEY=$d/$name.key
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$LEAF_KEY" -out "$d/$name.csr" -subj "/CN=localhost" \
	    >>"$d/log" 2>&1 &&
	openssl ca -batch -notext -config "$d/ca.cnf" -cert "$d/ca.pem" \
	    -keyfile "$d/ca.key" -in "$d/$name.csr" -out "$LEAF_CERT" \
	    -startdate "$2" -enddate "$3" -extfile "$d/ext.cnf" \
	    >>"$d/log" 2>&1 || {
		lib_log "listener_leaf $name: openssl failed: $(tail -n 1 "$d/log")"
		return 1
	}
}

# ---- Pebble ----------------------------------------------------------

# (-k only with a listener of our own dates, which need not be valid now)
lib_https_ok() { curl -fsS --max-time 2 --cacert "$LISTENER_CA" ${PB_CERT:+-k} -o /dev/null "$1"; }
lib_http_up() { curl -sS --max-time 2 -o /dev/null "$1"; }

# pebble_start NAME [VAR=VALUE...]: start pebble-challtestsrv and pebble
# (with the extra environment given) in $LIB_TMP/NAME; set PB_*.
# PB_VALIDITY: certificate lifetime in seconds (default 90 days).
#
# Pebble is deterministic here unless a test asks otherwise: by default it
# rejects 5% of good nonces and reuses a valid authorization half of the
# time, at random, which made request counts fail now and then (renew_ari:
# "newOrder without replaces" when Pebble's badNonce made acme send
# newOrder twice). Both are off here (PEBBLE_WFE_NONCEREJECT=0,
# PEBBLE_AUTHZREUSE=0); the tests of those paths turn them on.
#
# The six ports are held by test/ports.py for Pebble's lifetime (see
# free_ports). Should one be taken anyway (a foreign program binding with
# SO_REUSEADDR), the server that could not bind says "address already in
# use" and exits: the start is tried again on new ports.
# PB_BIN: directory of the pebble binaries (default: those on PATH).
pebble_start()
{
	local name=$1 try rc pb=pebble cts=pebble-challtestsrv
	shift
	lib_init || return 1
	if [ -n "${PB_BIN:-}" ]; then
		pb=$PB_BIN/pebble
		cts=$PB_BIN/pebble-challtestsrv
	fi
	command -v "$pb" >/dev/null && command -v "$cts" >/dev/null || {
		lib_log "pebble or pebble-challtestsrv not installed (Debian package pebble)"
		return 1
	}
	mkdir -p "$LIB_TMP/$name" || return 1
	for try in 1 2 3; do
		pebble_try "$LIB_TMP/$name" "$@"
		rc=$?
		[ "$rc" = 2 ] || return "$rc"
		lib_log "pebble_start: a port was taken, new ports (try $try)"
	done
	return 1
}

# pebble_try DIR [VAR=VALUE...]: one start, its processes recorded in
# DIR/try/pids until it succeeded; 0 up, 2 a port was taken, else 1.
pebble_try()
{
	local d=$1 outer=$LIB_PIDFILE LIB_PIDFILE=$1/try/pids rc
	shift
	mkdir -p "$d/try" && : >"$LIB_PIDFILE" || return 1
	pebble_spawn "$d" "$@"
	rc=$?
	if [ "$rc" = 0 ]; then
		cat "$LIB_PIDFILE" >>"$outer"
	else
		lib_stop_pids "$LIB_PIDFILE"
	fi
	rm -f "$LIB_PIDFILE"
	return "$rc"
}

pebble_spawn()
{
	local d=$1 ports p_acme p_mgmt p_http p_tls p_dns p_cmgmt st dns
	shift
	ports=$(free_ports 6) || return 1
	read -r p_acme p_mgmt p_http p_tls p_dns p_cmgmt <<<"$ports"
	pebble_config "$d" "$p_acme" "$p_mgmt" "$p_http" "$p_tls" || return 1
	# the challtestsrv of Pebble 2.10 names its DNS listener -dnsserver
	# and has a DoH listener too (off: it binds every address)
	dns=(-dns01 "127.0.0.1:$p_dns")
	"$cts" -h 2>&1 | grep -q -- -dnsserver &&
	    dns=(-dnsserver "127.0.0.1:$p_dns" -doh "")
	lib_spawn "$d/challtestsrv.log" "$cts" \
	    -defaultIPv4 127.0.0.1 -defaultIPv6 "" "${dns[@]}" \
	    -management "127.0.0.1:$p_cmgmt" \
	    -http01 "" -https01 "" -tlsalpn01 ""
	st=$(lib_starttime "$LIB_PID")
	wait_for "$LIB_PID" "$st" pebble-challtestsrv \
	    lib_http_up "http://127.0.0.1:$p_cmgmt/" ||
	    { pebble_failed "$d/challtestsrv.log"; return; }
	PB_RUN=(env PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0
	    PEBBLE_AUTHZREUSE=0 "$@" "$pb" -config "$d/pebble.json"
	    -dnsserver "${PB_DNSSERVER:-127.0.0.1:$p_dns}")
	pebble_run "$d" "$p_acme" "$p_mgmt" || return
	PB_DIR=$d
	PB_URL=https://localhost:$p_acme/dir
	PB_MGMT=https://localhost:$p_mgmt
	PB_HTTP_PORT=$p_http
	PB_TLS_PORT=$p_tls
	PB_CA=$LISTENER_CA
	PB_ROOT=$d/root.pem
	PB_DNS=127.0.0.1:$p_dns
	PB_CMGMT=http://127.0.0.1:$p_cmgmt
	ACME_PB=(--server "$PB_URL" --ca-file "$PB_CA" --agree-tos
	    --email test@example.com)
	ACME_SA=(--standalone --http-port "$PB_HTTP_PORT" --bind 127.0.0.1)
}

# pebble_run DIR ACME MGMT: start Pebble as PB_RUN says (its log in
# DIR/pebble.log), wait until it answers, fetch its root into
# DIR/root.pem; PB_PID is its process.
pebble_run()
{
	local st
	lib_spawn "$1/pebble.log" "${PB_RUN[@]}"
	PB_PID=$LIB_PID
	st=$(lib_starttime "$LIB_PID")
	wait_for "$LIB_PID" "$st" pebble \
	    lib_https_ok "https://localhost:$2/dir" ||
	    { pebble_failed "$1/pebble.log"; return; }
	curl -fsS --max-time 30 --cacert "$LISTENER_CA" ${PB_CERT:+-k} \
	    -o "$1/root.pem" "https://localhost:$3/roots/0" || {
		lib_log "pebble: cannot fetch /roots/0"
		return 1
	}
}

# pebble_stop: stop the Pebble of the last pebble_start (its ports stay
# held: a connection to PB_URL is refused). pebble_restart: start it again
# at the same URL, having forgotten every account, order and certificate
# (a CA reset); PB_ROOT is its new root.
pebble_stop()
{
	local st i
	st=$(lib_starttime "$PB_PID")
	kill -TERM "$PB_PID" 2>/dev/null
	for i in $(seq 50); do
		lib_alive "$PB_PID" "$st" || break
		sleep 0.1
	done
	lib_alive "$PB_PID" "$st" && kill -KILL "$PB_PID"
	wait "$PB_PID" 2>/dev/null
	return 0
}

pebble_restart()
{
	local port=${PB_URL#https://localhost:}
	pebble_stop
	pebble_run "$PB_DIR" "${port%%/*}" "${PB_MGMT#https://localhost:}"
}

# pebble_sid_start NAME [VAR=VALUE...]: pebble_start with the Pebble of
# Debian's unstable suite, fetched into vendor/out/pebble-sid/ the first
# time (test/pebble-sid.sh); PB_VERSION is its package version.
pebble_sid_start()
{
	local bin
	bin=$(bash "$LIB_HERE/pebble-sid.sh") || return 1
	PB_VERSION=$(cat "$bin/../../VERSION" 2>/dev/null)
	PB_BIN=$bin pebble_start "$@"
}

# pebble_failed LOG: 2 when LOG says a port was taken, else 1 (with the
# log's last lines).
pebble_failed()
{
	grep -q 'address already in use' "$1" && return 2
	lib_log "$(tail -n 3 "$1")"
	return 1
}

# pebble_config DIR ACME MGMT HTTP TLS: DIR/pebble.json.
pebble_config()
{
	cat >"$1/pebble.json" <<EOF
{
  "pebble": {
    "listenAddress": "127.0.0.1:$2",
    "managementListenAddress": "127.0.0.1:$3",
    "certificate": "${PB_CERT:-$LISTENER_CERT}",
    "privateKey": "${PB_KEY:-$LISTENER_KEY}",
    "httpPort": $4,
    "tlsPort": $5,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false,
    "certificateValidityPeriod": ${PB_VALIDITY:-7776000}
  }
}
EOF
	# PEBBLE_JSON_EXTRA: more members of "pebble" (EAB keys, say); they
	# follow externalAccountBindingRequired, so they may override it.
	[ -z "${PEBBLE_JSON_EXTRA:-}" ] && return 0
	awk -v x="$PEBBLE_JSON_EXTRA" '{ print }
	    /"externalAccountBindingRequired"/ { print "    " x "," }' \
	    "$1/pebble.json" >"$1/pebble.json.new" &&
	    mv "$1/pebble.json.new" "$1/pebble.json"
}

# ---- step-ca: a private CA ---------------------------------------------

# stepca_ca DIR: DIR/root.pem (EC P-256 root) and DIR/int.{pem,key} (the
# intermediate step-ca signs with), made with openssl.
stepca_ca()
{
	local d=$1
	printf '%s\n' "basicConstraints=critical,CA:TRUE" \
	    "keyUsage=critical,keyCertSign,cRLSign" \
	    "subjectKeyIdentifier=hash" >"$d/root.ext"
	printf '%s\n' "basicConstraints=critical,CA:TRUE,pathlen:0" \
	    "keyUsage=critical,keyCertSign,cRLSign" \
	    "subjectKeyIdentifier=hash" \
	    "authorityKeyIdentifier=keyid:always" >"$d/int.ext"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/root.key" -out "$d/root.pem" -days 3650 \
	    -subj "/CN=acme test step-ca root" -extensions v3 \
	    -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n[v3]\n'; cat "$d/root.ext") \
	    >"$d/openssl.log" 2>&1 &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/int.key" -out "$d/int.csr" \
	    -subj "/CN=acme test step-ca intermediate" >>"$d/openssl.log" 2>&1 &&
	openssl x509 -req -in "$d/int.csr" -CA "$d/root.pem" \
	    -CAkey "$d/root.key" -set_serial "0x$(openssl rand -hex 8)" \
	    -days 3650 -extfile "$d/int.ext" -out "$d/int.pem" \
	    >>"$d/openssl.log" 2>&1 || {
		lib_log "stepca_ca: openssl failed: $(tail -n 1 "$d/openssl.log")"
		return 1
	}
}

# stepca_start NAME: smallstep's step-ca 0.19 (built once by
# test/stepca.sh from Debian's packages) in $LIB_TMP/NAME, with a CA of
# stepca_ca, a bbolt database and one ACME provisioner "acme", its DNS
# resolver (--resolver) a pebble-challtestsrv that answers 127.0.0.1 for
# every name. step-ca serves TLS with a certificate of its own (24 hours,
# renewed by itself) for DNS:localhost and IP:127.0.0.1. It validates
# http-01 on port 80 and tls-alpn-01 on port 443 only: see low_port.
# Sets:
#   SC_URL     https://localhost:PORT/acme/acme/directory
#   SC_IPURL   the same at https://127.0.0.1:PORT
#   SC_ROOT    the root, PEM (--ca-file, and to verify issued certificates)
#   SC_CMGMT   challtestsrv management URL (add-a, set-txt, ...)
#   SC_LOG     step-ca's log
#   ACME_SC    array: --server SC_URL --ca-file SC_ROOT --agree-tos --email
stepca_start()
{
	local d=$LIB_TMP/$1 bin ports p_ca p_dns p_cmgmt st
	lib_init || return 1
	bin=$(bash "$LIB_HERE/stepca.sh") || return 1
	command -v pebble-challtestsrv >/dev/null || {
		lib_log "pebble-challtestsrv not installed (Debian package pebble)"
		return 1
	}
	mkdir -p "$d" && stepca_ca "$d" || return 1
	ports=$(free_ports 3) || return 1
	read -r p_ca p_dns p_cmgmt <<<"$ports"
	cat >"$d/ca.json" <<EOF
{
  "root": "$d/root.pem",
  "crt": "$d/int.pem",
  "key": "$d/int.key",
  "address": "127.0.0.1:$p_ca",
  "dnsNames": ["localhost", "127.0.0.1"],
  "logger": {"format": "text"},
  "db": {"type": "bbolt", "dataSource": "$d/db"},
  "authority": {"provisioners": [{"type": "ACME", "name": "acme"}]}
}
EOF
	lib_spawn "$d/challtestsrv.log" pebble-challtestsrv \
	    -defaultIPv4 127.0.0.1 -defaultIPv6 "" -dns01 "127.0.0.1:$p_dns" \
	    -management "127.0.0.1:$p_cmgmt" -http01 "" -https01 "" \
	    -tlsalpn01 ""
	st=$(lib_starttime "$LIB_PID")
	wait_for "$LIB_PID" "$st" pebble-challtestsrv \
	    lib_http_up "http://127.0.0.1:$p_cmgmt/" ||
	    { lib_log "$(tail -n 3 "$d/challtestsrv.log")"; return 1; }
	SC_URL=https://localhost:$p_ca/acme/acme/directory
	SC_IPURL=https://127.0.0.1:$p_ca/acme/acme/directory
	SC_LOG=$d/step-ca.log
	lib_spawn "$SC_LOG" env STEPPATH="$d/step" HOME="$d" "$bin" \
	    "$d/ca.json" --resolver "127.0.0.1:$p_dns"
	st=$(lib_starttime "$LIB_PID")
	wait_for "$LIB_PID" "$st" step-ca curl -fsS --max-time 2 \
	    --cacert "$d/root.pem" -o /dev/null "$SC_URL" ||
	    { lib_log "$(tail -n 3 "$SC_LOG")"; return 1; }
	SC_ROOT=$d/root.pem
	SC_CMGMT=http://127.0.0.1:$p_cmgmt
	ACME_SC=(--server "$SC_URL" --ca-file "$SC_ROOT" --agree-tos
	    --email test@example.com)
}

# low_port PORT: 127.0.0.1:PORT (80, 443) can be bound now. Else prints
# why and returns 1 (taken: another program listens there) or 2 (not
# root: binding a port below 1024 needs it).
low_port()
{
	local rc=0
	port_free "$1" || rc=$?
	case $rc in
	0) ;;
	2) echo "binding 127.0.0.1:$1 needs root" ;;
	*) echo "127.0.0.1:$1 is taken by another program" \
	    "(ss -ltnp 'sport = :$1'): step-ca validates there" ;;
	esac
	return "$rc"
}

# ---- misbehaving servers ---------------------------------------------

# fakeca_start MODE: start test/fakeca.py in MODE; sets FAKE_URL.
# FAKECA_CERT/FAKECA_KEY: another listener certificate; FAKECA_CIPHERS:
# only these TLS 1.2 suites (OpenSSL names).
fakeca_start()
{
	local d st
	lib_init || return 1
	d=$(mktemp -d "$LIB_TMP/fakeca.XXXXXX")
	lib_spawn "$d/log" "$PYTHON" "$LIB_HERE/fakeca.py" --mode "$1" \
	    --cert "${FAKECA_CERT:-$LISTENER_CERT}" \
	    --key "${FAKECA_KEY:-$LISTENER_KEY}" \
	    ${FAKECA_CIPHERS:+--ciphers "$FAKECA_CIPHERS"} \
	    --port-file "$d/port" --lifetime "${FAKECA_LIFETIME:-120}"
	st=$(lib_starttime "$LIB_PID")
	wait_for "$LIB_PID" "$st" fakeca test -s "$d/port" || {
		lib_log "$(tail -n 3 "$d/log")"
		return 1
	}
	FAKE_URL=https://localhost:$(cat "$d/port")/dir
}

# ---- caproxy: ARI, profiles, Retry-After, rate limits -----------------

# caproxy_start [BEHAVIOUR...]: start test/caproxy.py in front of the
# running Pebble (pebble_start first) with the behaviour options given
# (see caproxy.py: --ari, --ari-window, --profiles, --fail, ...). Sets
# PX_URL (directory URL through the proxy), PX_LOG (JSON lines, one per
# request), PX_CTL (control file read by caproxy_set) and ACME_PX (like
# ACME_PB, with --server PX_URL).
caproxy_start()
{
	local d st
	lib_init || return 1
	[ -n "${PB_URL:-}" ] || { lib_log "caproxy_start: no Pebble"; return 1; }
	d=$(mktemp -d "$LIB_TMP/caproxy.XXXXXX")
	PX_LOG=$d/requests.log
	PX_CTL=$d/control
	: >"$PX_LOG"
	lib_spawn "$d/log" "$PYTHON" "$LIB_HERE/caproxy.py" \
	    --upstream "$PB_URL" --upstream-ca "$PB_CA" \
	    --cert "${CAPROXY_CERT:-$LISTENER_CERT}" \
	    --key "${CAPROXY_KEY:-$LISTENER_KEY}" \
	    --port-file "$d/port" --log "$PX_LOG" --control "$PX_CTL" \
	    --lifetime "${CAPROXY_LIFETIME:-1800}" "$@"
	st=$(lib_starttime "$LIB_PID")
	wait_for "$LIB_PID" "$st" caproxy test -s "$d/port" || {
		lib_log "$(tail -n 3 "$d/log")"
		return 1
	}
	PX_DIR=$d
	PX_URL=https://localhost:$(cat "$d/port")/dir
	ACME_PX=(--server "$PX_URL" --ca-file "$PB_CA" --agree-tos
	    --email test@example.com)
}

# caproxy_set [BEHAVIOUR...]: replace the proxy's behaviour options from
# its next request on (the --fail counters start again).
caproxy_set()
{
	{ [ $# = 0 ] || printf '%q ' "$@"; printf '\n'; } >"$PX_CTL.tmp" &&
	    mv -f "$PX_CTL.tmp" "$PX_CTL"
}

# px_count KIND [KEY [STATUS]]: how many logged requests of KIND
# (caproxy.py's kinds; "any" for all) there were; only those whose JWS
# payload has the member KEY when KEY is given (not empty), only those
# answered with HTTP STATUS when given. Requests Pebble refused with
# badNonce (it may reject good nonces at random) are not counted: the
# client had to send them again. px_reset empties the log.
px_count()
{
	"$PYTHON" - "$PX_LOG" "$1" "${2:-}" "${3:-}" <<'EOF'
import json, sys
log, kind, key, status = sys.argv[1:5]
n = 0
for line in open(log):
    e = json.loads(line)
    if kind not in ("any", e["kind"]):
        continue
    if (e.get("problem") or "").endswith(":badNonce") and not e["injected"]:
        continue
    if key and not (isinstance(e["payload"], dict) and key in e["payload"]):
        continue
    if status and str(e["status"]) != status:
        continue
    n += 1
print(n)
EOF
}

px_reset() { : >"$PX_LOG"; }

# px_conns: how many client TCP connections the logged requests came over.
px_conns()
{
	"$PYTHON" -c 'import json, sys
print(len({json.loads(l).get("conn") for l in open(sys.argv[1])}))' "$PX_LOG"
}

# webroot_start DIR: serve DIR over plain HTTP on 127.0.0.1:PB_HTTP_PORT,
# the port Pebble validates http-01 on. Access log in WEBROOT_LOG.
webroot_start()
{
	local st
	WEBROOT_LOG=$(mktemp "$LIB_TMP/webroot.XXXXXX")
	lib_spawn "$WEBROOT_LOG" "$PYTHON" -u -m http.server "$PB_HTTP_PORT" \
	    --bind 127.0.0.1 --directory "$1"
	st=$(lib_starttime "$LIB_PID")
	WEBROOT_PID="$LIB_PID $st"
	wait_for "$LIB_PID" "$st" webroot-server \
	    lib_http_up "http://127.0.0.1:$PB_HTTP_PORT/"
}

# webroot_stop: stop webroot_start's server (PB_HTTP_PORT is free again).
webroot_stop()
{
	local f
	f=$(mktemp "$LIB_TMP/webroot-pid.XXXXXX") || return 1
	echo "$WEBROOT_PID" >"$f"
	lib_stop_pids "$f"
	rm -f "$f"
}

# ---- a real DNS provider: PowerDNS ----------------------------------

# pdns_start ZONE...: Debian's pdns-server with its sqlite3 backend in a
# directory of its own, listening on 127.0.0.1 only (DNS and the HTTP
# API on ports held by free_ports), authoritative for each ZONE. Sets
# PDNS_DNS (ADDR:PORT, for Pebble's -dnsserver), PDNS_API (the API's
# base URL: PDNS_API/api/v1/servers/localhost/zones) and PDNS_KEY (its
# X-API-Key).
pdns_start()
{
	local d ports p_dns p_api st z
	lib_init || return 1
	command -v pdns_server >/dev/null && command -v pdnsutil >/dev/null &&
	    [ -f /usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql ] ||
	    { lib_log "pdns-server or pdns-backend-sqlite3 not installed"; return 1; }
	d=$(mktemp -d "$LIB_TMP/pdns.XXXXXX") || return 1
	ports=$(free_ports 2) || return 1
	read -r p_dns p_api <<<"$ports"
	PDNS_KEY=pdns-test-key-$RANDOM
	"$PYTHON" -c 'import sqlite3, sys
sqlite3.connect(sys.argv[1]).executescript(open(sys.argv[2]).read())' \
	    "$d/db" /usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql ||
	    return 1
	printf '%s\n' launch=gsqlite3 "gsqlite3-database=$d/db" \
	    local-address=127.0.0.1 "local-port=$p_dns" api=yes \
	    "api-key=$PDNS_KEY" webserver=yes webserver-address=127.0.0.1 \
	    "webserver-port=$p_api" webserver-allow-from=127.0.0.0/8 \
	    "socket-dir=$d" guardian=no daemon=no disable-syslog=yes \
	    cache-ttl=0 negquery-cache-ttl=0 query-cache-ttl=0 \
	    >"$d/pdns.conf"
	for z in "$@"; do
		pdnsutil --config-dir="$d" create-zone "$z" "ns1.$z" \
		    >>"$d/pdnsutil.log" 2>&1 || {
			lib_log "pdnsutil create-zone $z: $(tail -n 1 "$d/pdnsutil.log")"
			return 1
		}
	done
	lib_spawn "$d/log" pdns_server --config-dir="$d"
	st=$(lib_starttime "$LIB_PID")
	PDNS_DNS=127.0.0.1:$p_dns
	PDNS_API=http://127.0.0.1:$p_api
	wait_for "$LIB_PID" "$st" pdns_server curl -fsS --max-time 2 \
	    -H "X-API-Key: $PDNS_KEY" \
	    "$PDNS_API/api/v1/servers/localhost/zones" || {
		lib_log "$(tail -n 3 "$d/log")"
		return 1
	}
}

# pdns_txt NAME: the TXT records PowerDNS holds for NAME (no trailing dot
# needed), one per line, as the API shows them ("\"value\"").
pdns_txt()
{
	local zone
	for zone in $(curl -fsS -H "X-API-Key: $PDNS_KEY" \
	    "$PDNS_API/api/v1/servers/localhost/zones" |
	    "$PYTHON" -c 'import json, sys
print(" ".join(z["name"] for z in json.load(sys.stdin)))'); do
		curl -fsS -H "X-API-Key: $PDNS_KEY" \
		    "$PDNS_API/api/v1/servers/localhost/zones/$zone" |
		    "$PYTHON" -c 'import json, sys
for r in json.load(sys.stdin)["rrsets"]:
    if r["type"] == "TXT" and r["name"] == sys.argv[1].rstrip(".") + ".":
        for x in r["records"]:
            print(x["content"])' "$1"
	done
}

# What OpenWrt's default busybox config builds (a subset of Debian's
# busybox-static): no wget, no base64, no od, no openssl or curl, of
# course. Enough for acme.sh's dnsapi scripts, the prelude and the hook.
BB_APPLETS='sh ash awk cat chmod cmp cp cut date echo egrep env expr false
grep head kill ln logger ls mkdir mktemp mv printf readlink rm sed sleep
sort tail tee test [ touch tr true uniq wc xargs'

# busybox_path DIR: DIR/APPLET -> a static busybox, for each BB_APPLETS.
busybox_path()
{
	local a bb
	bb=$(command -v busybox) || { lib_log "busybox not installed"; return 1; }
	mkdir -p "$1" || return 1
	for a in $BB_APPLETS; do
		ln -sf "$bb" "$1/$a" || return 1
	done
}

# ---- inside one test (run in a subshell by run.sh) --------------------
# T is the test's own directory; fail records the reason and ends the test.

fail()
{
	printf '%s\n' "$*" >"$T/reason"
	printf 'FAILED: %s\n' "$*"
	exit 1
}

# skip REASON: the test cannot run here (counted as failed under CI=true).
skip()
{
	printf '%s\n' "$*" >"$T/skip"
	printf 'SKIPPED: %s\n' "$*"
	exit 0
}

# newdir [NAME]: a fresh empty state directory (mode 0700) under $T.
newdir()
{
	local d=$T/${1:-state}
	mkdir -m 700 "$d" && printf '%s\n' "$d"
}

# run_acme ARGS...: run the binary under test with a time limit.
run_acme()
{
	printf '+ acme %s\n' "$*"
	timeout -k 5 "$ACME_TIMEOUT" "$ACME" "$@" >"$T/stdout" 2>"$T/stderr"
	RC=$?
	sed 's/^/  stdout: /' "$T/stdout"
	sed 's/^/  stderr: /' "$T/stderr"
	echo "  exit $RC"
	[ "$RC" = 124 ] && fail "acme did not finish within ${ACME_TIMEOUT}s"
	return 0
}

first_err() { head -n 1 "$T/stderr" | cut -c 1-200; }

expect_rc()
{
	[ "$RC" = "$1" ] ||
	    fail "exit status $RC, expected $1 (stderr: $(first_err))"
}

# expect_one_error_line: stderr is exactly one line starting "acme: ".
expect_one_error_line()
{
	local n
	n=$(wc -l <"$T/stderr")
	[ -s "$T/stderr" ] || fail "stderr is empty, expected one 'acme: ' line"
	[ "$n" = 1 ] && [ "$(tail -c 1 "$T/stderr" | od -An -c | tr -d ' ')" = '\n' ] ||
	    fail "stderr has $n newline(s), expected exactly one line: $(first_err)"
	case $(cat "$T/stderr") in
	"acme: "*) ;;
	*) fail "stderr does not start with 'acme: ': $(first_err)" ;;
	esac
}

expect_quiet()
{
	[ ! -s "$T/stdout" ] || fail "$1 printed on stdout: $(head -n 1 "$T/stdout")"
	[ ! -s "$T/stderr" ] || fail "$1 printed on stderr: $(first_err)"
}

# snapshot DIR: every path with type, mode, size, link target, and the
# sha256 of every regular file; "absent" when DIR does not exist.
snapshot()
{
	[ -e "$1" ] || { echo absent; return 0; }
	(cd "$1" && find . -printf '%p %y %m %s %l\n' | LC_ALL=C sort &&
	    find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
}

# expect_same BEFORE-FILE DIR: DIR's snapshot equals the one saved before.
expect_same()
{
	snapshot "$2" >"$1.after"
	cmp -s "$1" "$1.after" ||
	    fail "$2 changed: $(diff "$1" "$1.after" | grep '^[<>]' | head -n 3 | tr '\n' ' ')"
}

# expect_usage_errors N: each line of stdin is the rest of an acme
# command line (shell words, after --dir DIR --server URL --agree-tos with
# an unreachable URL): each exits 2 with one error line before any
# request, leaving its fresh DIR as it was; there must be N lines.
expect_usage_errors()
{
	local i=0 d line
	while IFS= read -r line; do
		i=$((i + 1))
		d=$(newdir "s$i")
		snapshot "$d" >"$T/before"
		eval "run_acme --dir \"\$d\" --server https://localhost:1/dir \
		    --agree-tos $line"
		expect_rc 2
		expect_one_error_line
		expect_same "$T/before" "$d"
	done
	[ "$i" = "$1" ] || fail "ran $i cases, expected $1"
}

# mode PATH: octal permission bits.
mode() { stat -c %a "$1"; }

# san_of CERT: the subjectAltName entries, one per line, sorted.
san_of()
{
	openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null |
	    sed 1d | tr ',' '\n' | sed 's/^ *//; /^$/d' | LC_ALL=C sort
}

# key_type KEYFILE: ec256 ec384 rsa2048 ... as acme names them.
key_type()
{
	local t
	t=$(openssl pkey -in "$1" -noout -text 2>/dev/null) || { echo unreadable; return; }
	case $t in
	*"NIST CURVE: P-256"* | *prime256v1*) echo ec256 ;;
	*"NIST CURVE: P-384"* | *secp384r1*) echo ec384 ;;
	*"Private-Key: ("[0-9]*" bit, 2 primes)"*)
		echo "rsa$(printf '%s\n' "$t" | sed -n '1s/.*(\([0-9]*\) bit.*/\1/p')" ;;
	*) echo unknown ;;
	esac
}

# pem_layout DIR: check the PEM files of a live set with one interpreter
# start: cert.pem one certificate, chain.pem at least one, fullchain.pem
# exactly cert.pem's then chain.pem's certificates (compared as DER).
# Prints what is wrong, nothing when all is well.
pem_layout()
{
	"$PYTHON" - "$1" <<'EOF'
import base64, os, re, sys
def certs(name):
    data = open(os.path.join(sys.argv[1], name), "rb").read().decode("ascii", "replace")
    return [base64.b64decode("".join(b.split())) for b in re.findall(
        r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", data, re.S)]
c, ch, full = certs("cert.pem"), certs("chain.pem"), certs("fullchain.pem")
if len(c) != 1:
    print("cert.pem holds %d certificates, expected 1" % len(c))
elif not ch:
    print("chain.pem holds no certificate")
elif full != c + ch:
    print("fullchain.pem is not cert.pem followed by chain.pem")
EOF
}

# check_live DIR NAME SAN...: live/NAME holds the four files (plus meta.txt,
# nothing else); privkey 0600; every directory under DIR 0700; cert.pem is
# one certificate that verifies against Pebble's root with chain.pem;
# fullchain.pem is cert.pem then chain.pem; the private key belongs to the
# certificate; the subjectAltName entries are exactly SAN... (in openssl's
# spelling: DNS:a.example.com, "IP Address:127.0.0.1"), in any order.
check_live()
{
	local dir=$1 name=$2 l f out want got
	shift 2
	l=$dir/live/$name
	[ -d "$l" ] || fail "live/$name is not a directory"
	[ ! -L "$l" ] || fail "live/$name is a symlink"
	for f in cert.pem chain.pem fullchain.pem privkey.pem; do
		[ -f "$l/$f" ] && [ ! -L "$l/$f" ] ||
		    fail "live/$name/$f missing or not a regular file"
	done
	for f in "$l"/* "$l"/.[!.]* "$l"/..?*; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		case ${f##*/} in
		cert.pem | chain.pem | fullchain.pem | privkey.pem | meta.txt) ;;
		*) fail "unexpected file live/$name/${f##*/}" ;;
		esac
	done
	[ "$(mode "$l/privkey.pem")" = 600 ] ||
	    fail "live/$name/privkey.pem mode $(mode "$l/privkey.pem"), expected 600"
	while IFS= read -r f; do
		[ "$(mode "$f")" = 700 ] || fail "directory ${f#"$dir"/} mode $(mode "$f"), expected 700"
	done < <(find "$dir" -mindepth 1 -type d)
	out=$(pem_layout "$l")
	[ -z "$out" ] || fail "live/$name: $out"
	out=$(openssl verify -CAfile "$PB_ROOT" -untrusted "$l/chain.pem" \
	    "$l/cert.pem" 2>&1) || fail "openssl verify: $(echo "$out" | tr '\n' ' ')"
	[ "$(openssl pkey -in "$l/privkey.pem" -pubout 2>/dev/null)" = \
	    "$(openssl x509 -in "$l/cert.pem" -noout -pubkey 2>/dev/null)" ] ||
	    fail "live/$name/privkey.pem does not match cert.pem"
	want=$(printf '%s\n' "$@" | LC_ALL=C sort)
	got=$(san_of "$l/cert.pem")
	[ "$want" = "$got" ] ||
	    fail "subjectAltName is [$(echo "$got" | paste -sd ' ')], expected [$(echo "$want" | paste -sd ' ')]"
	[ -s "$dir/conf/$name.conf" ] || fail "conf/$name.conf missing or empty"
}

# check_account DIR: exactly one accounts/HOST holding key.pem (0600) and a
# non-empty account.txt. Sets ACCOUNT to that directory.
check_account()
{
	local n
	n=$(find "$1/accounts" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	[ "$n" = 1 ] || fail "accounts/ holds $n entries, expected 1"
	ACCOUNT=$(find "$1/accounts" -mindepth 1 -maxdepth 1)
	[ -d "$ACCOUNT" ] || fail "${ACCOUNT#"$1"/} is not a directory"
	[ -f "$ACCOUNT/key.pem" ] || fail "${ACCOUNT#"$1"/}/key.pem missing"
	[ "$(mode "$ACCOUNT/key.pem")" = 600 ] ||
	    fail "account key.pem mode $(mode "$ACCOUNT/key.pem"), expected 600"
	openssl pkey -in "$ACCOUNT/key.pem" -noout 2>/dev/null ||
	    fail "account key.pem is not a private key openssl can read"
	[ -s "$ACCOUNT/account.txt" ] || fail "account.txt missing or empty"
}

# env_diff HOOK CALLER [NAME=VALUE | -NAME...]: the environment a hook saved
# with `env -0` to file HOOK is the caller's (file CALLER, the same) with
# each NAME=VALUE given on top and each -NAME left out, and nothing else;
# a shell between may set PWD,
# SHLVL, _ and OLDPWD, the test hooks' wrappers HOOK_* and CHALLTESTSRV,
# so those are left out. Prints the differences and fails when any.
env_diff()
{
	"$PYTHON" - "$@" <<'EOF'
import re, sys
def load(f):
    d = {}
    for e in open(f, "rb").read().split(b"\0"):
        if b"=" in e:
            k, v = e.split(b"=", 1)
            d[k.decode("ascii", "replace")] = v
    return d
hook, want = load(sys.argv[1]), load(sys.argv[2])
for a in sys.argv[3:]:
    if a.startswith("-"):
        want.pop(a[1:], None)
        continue
    k, v = a.split("=", 1)
    want[k] = v.encode()
name = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
shell = re.compile(r"^(PWD|SHLVL|_|OLDPWD|HOOK_.*|CHALLTESTSRV)$")
def clean(d):
    return {k: v for k, v in d.items() if name.match(k) and not shell.match(k)}
hook, want = clean(hook), clean(want)
out = ["extra %s" % k for k in sorted(hook) if k not in want]
out += ["missing %s" % k for k in sorted(want) if k not in hook]
out += ["%s differs" % k for k in sorted(want) if k in hook and hook[k] != want[k]]
print("; ".join(out))
sys.exit(1 if out else 0)
EOF
}

# serial CERT: the certificate's serial number (hex).
serial() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'; }
