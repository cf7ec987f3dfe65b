# test/e2e/00-harness.sh - the test harness itself works (no acme needed).
# When this fails, the failures of the other e2e tests say nothing about acme.

# dns_a NAME: ask challtestsrv (PB_DNS) for NAME's A records.
dns_a()
{
	"$PYTHON" - "$PB_DNS" "$1" <<'EOF'
import socket, struct, sys
host, port = sys.argv[1].rsplit(":", 1)
q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in sys.argv[2].split(".")) + b"\0"
q += struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(q, (host, int(port)))
r = s.recv(512)
an = struct.unpack(">H", r[6:8])[0]
i = len(q)
for _ in range(an):
    i += 2 if r[i] & 0xC0 == 0xC0 else r.index(b"\0", i) + 1 - i
    t, _c, _ttl, n = struct.unpack(">HHIH", r[i:i + 10])
    i += 10
    if t == 1:
        print(socket.inet_ntoa(r[i:i + n]))
    i += n
EOF
}

e2e harness pebble noacme
t_harness()
{
	local code st i
	curl -fsS --cacert "$PB_CA" "$PB_URL" | grep -q '"newNonce"' ||
	    fail "Pebble's directory is not reachable with --cacert PB_CA"
	openssl x509 -in "$PB_ROOT" -noout -ext basicConstraints 2>/dev/null |
	    grep -q 'CA:TRUE' || fail "PB_ROOT is not a CA certificate"
	[ "$(dns_a anything.example.com)" = 127.0.0.1 ] ||
	    fail "challtestsrv does not answer A 127.0.0.1"
	port_free "$PB_HTTP_PORT" || fail "http-01 port $PB_HTTP_PORT is taken"
	for m in 500 garbage problem; do
		fakeca_start "$m" || fail "fakeca $m did not start"
		code=$(curl -sS --cacert "$LISTENER_CA" -o "$T/body" \
		    -w '%{http_code}' "$FAKE_URL")
		case $m:$code in
		500:500 | garbage:200 | problem:200) ;;
		*) fail "fakeca $m answered $code" ;;
		esac
	done
	grep -q '"newAccount"' "$T/body" || fail "fakeca problem: no directory"
	FAKECA_LIFETIME=1 fakeca_start hang || fail "fakeca hang did not start"
	st=$(lib_starttime "$LIB_PID")
	for i in $(seq 300); do
		lib_alive "$LIB_PID" "$st" || return 0
		sleep 0.1
	done
	fail "fakeca outlived its --lifetime of 1 s by 30 s"
}
