# test/e2e/45-flows.sh - as fast as the protocol allows, and no faster
# (sourced by test/run.sh): the requests an issuance makes, a lost answer
# costing a retry and not the order, an order picked up by the next run,
# many names renewed at once, a rate limit stopping new orders, and the
# responders serving a slow client and the validator side by side.

# px_requests: check the proxy log of one issuance: no authorization or
# order is asked for again once an answer said it was valid or invalid
# (nor an order once its finalize answer said so); print the requests,
# the polls among them and the others, not counting the server's
# badNonce refusals (which acme must retry).
px_requests()
{
	"$PYTHON" - "$PX_LOG" <<'EOF'
import json, sys
seen, done, polls, other, total = set(), {}, 0, 0, 0
for e in (json.loads(l) for l in open(sys.argv[1])):
    total += 1
    if e["answer"] == "badNonce":
        continue
    kind, path = e["kind"], e["path"]
    key = path.rsplit("/", 1)[-1]
    if kind in ("authz", "order") and done.get((kind, key)):
        sys.exit("%s asked again after it was %s" % (path, done[(kind, key)]))
    if kind == "order" or (kind == "authz" and path in seen):
        polls += 1
    else:
        other += 1
    seen.add(path)
    if e["answer"] in ("valid", "invalid"):
        done[("order" if kind == "finalize" else kind, key)] = e["answer"]
print(total, polls, other)
EOF
}

# speed_summary: "N P" from acme's -v line "acme: N requests (P polls)".
speed_summary() { sed -n 's/^acme: \([0-9]*\) requests (\([0-9]*\) polls)$/\1 \2/p' "$T/stderr"; }

# expect_requests OTHER: the proxy saw OTHER requests besides polls and
# badNonce retries, and acme's summary agrees with the proxy.
expect_requests()
{
	local out total polls other
	out=$(px_requests) || fail "$out"
	read -r total polls other <<<"$out"
	[ "$other" = "$1" ] ||
	    fail "$other requests besides $polls polls, expected $1: $(cut -c 1-120 "$PX_LOG" | tr '\n' ' ')"
	[ "$(speed_summary)" = "$total $polls" ] ||
	    fail "acme counted [$(speed_summary)], the proxy saw $total requests, $polls polls"
	echo "requests: $total, of which $polls polls"
}

# New account: directory, nonce, account, order, authorization,
# challenge, finalize, certificate, and the polls; stored account: one
# fewer. Nothing is polled after it was seen settled.
e2e speed_requests pebble
t_speed_requests()
{
	local d
	caproxy_start || fail "caproxy did not start"
	d=$(newdir)
	run_acme -v "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue rq1.example.com
	expect_rc 0
	expect_requests 8
	px_reset
	run_acme -v "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue rq2.example.com
	expect_rc 0
	expect_requests 7
	check_live "$d" rq2.example.com DNS:rq2.example.com
}

# speed_issue_through NAME CAPROXY-OPTION...: the proxy with those
# faults, a fresh DIR D, one issuance of NAME at -v, which must succeed.
speed_issue_through()
{
	local n=$1
	shift
	caproxy_start "$@" || fail "caproxy did not start"
	D=$(newdir)
	run_acme -v "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$D" issue "$n"
	expect_rc 0
	check_live "$D" "$n" "DNS:$n"
}

# The first order poll gets no answer at all: after its shorter timeout
# the poll is made again on a new connection, and the order goes on.
e2e speed_stuck_poll pebble
t_speed_stuck_poll()
{
	speed_issue_through stuck.example.com --swallow order:1
	grep -q '"injected": "swallow"' "$PX_LOG" || fail "no order poll was swallowed"
	grep -q 'timed out after 10 s; trying again on a new connection' \
	    "$T/stderr" || fail "no retry: $(grep -v '^acme: [0-9]' "$T/stderr" | tail -n 1)"
	[ "$(px_count finalize)" = 1 ] || fail "$(px_count finalize) finalize requests"
	[ ! -e "$D/conf/stuck.example.com.order" ] || fail "order record left behind"
}

# The finalize answer is lost after the CA acted on it: acme asks the
# order instead of finalizing again, and gets the certificate.
e2e speed_lost_finalize pebble
t_speed_lost_finalize()
{
	speed_issue_through lost.example.com --drop finalize:1
	grep -q '"injected": "drop"' "$PX_LOG" || fail "no finalize answer was dropped"
	[ "$(px_count finalize)" = 1 ] || fail "$(px_count finalize) finalize requests, expected 1"
	grep -q 'asking the order' "$T/stderr" || fail "stderr: $(first_err)"
}

# A run that loses every answer after finalize fails but leaves its
# order recorded; the next run finishes that order (no new order, no
# second finalize) with the recorded key. A record of an order the CA no
# longer knows gives way to a new order.
e2e speed_order_pickup pebble
t_speed_order_pickup()
{
	local d rec n=pick.example.com
	caproxy_start --drop finalize:1 --drop order || fail "caproxy did not start"
	d=$(newdir)
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
	expect_rc 1
	expect_one_error_line
	rec=$d/conf/$n.order
	[ -f "$rec" ] || fail "no conf/$n.order after the lost answers"
	[ "$(mode "$rec")" = 600 ] || fail "conf/$n.order mode $(mode "$rec")"
	grep -q "^order: ${PX_URL%/dir}/my-order/" "$rec" || fail "record: $(head -c 300 "$rec")"
	[ ! -e "$d/live/$n" ] || fail "live/$n exists after a failed run"
	cp "$rec" "$T/record"
	caproxy_set
	px_reset
	run_acme -v "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
	expect_rc 0
	check_live "$d" $n DNS:$n
	grep -q 'going on with the order an earlier run left' "$T/stderr" ||
	    fail "the record was not used: $(first_err)"
	[ "$(px_count newOrder)" = 0 ] || fail "a new order was made"
	[ "$(px_count finalize)" = 0 ] || fail "finalized again"
	[ "$(openssl pkey -in "$T/record" -pubout 2>/dev/null)" = \
	    "$(openssl pkey -in "$d/live/$n/privkey.pem" -pubout 2>/dev/null)" ] ||
	    fail "the live key is not the recorded one"
	[ ! -e "$rec" ] || fail "conf/$n.order left after the install"
	# a record of an order that is gone: a new order, the record removed
	sed "s#^order: .*#order: ${PX_URL%/dir}/my-order/gone#" "$T/record" >"$rec"
	chmod 600 "$rec"
	px_reset
	run_acme -v "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
	expect_rc 0
	[ "$(px_count newOrder)" = 1 ] || fail "$(px_count newOrder) new orders, expected 1"
	grep -q 'starting a new order' "$T/stderr" || fail "stderr: $(first_err)"
	[ ! -e "$rec" ] || fail "the stale record was kept"
}

# speed_set_a NAME ADDR: challtestsrv answers NAME with ADDR from now on.
speed_set_a() { curl -fsS -o /dev/null -d "{\"host\":\"$1.\",\"addresses\":[\"$2\"]}" "$PB_CMGMT/add-a"; }

# Five due certificates renewed in one run (a Pebble of its own that
# reuses almost no authorization): every order opened before any
# authorization is fetched, every challenge answered before any poll,
# one line per name, and the one that fails (it now also names one that
# resolves to an address nothing listens on) stops no other.
e2e speed_many
t_speed_many()
{
	local d i
	pebble_start many PEBBLE_AUTHZREUSE=0 || fail "pebble did not start"
	caproxy_start || fail "caproxy did not start"
	d=$(newdir)
	for i in 1 2 3 4 sfail; do
		run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue "many$i.example.com"
		expect_rc 0
	done
	speed_set_a sfail2.example.com 127.0.0.2 || fail "challtestsrv add-a"
	sed -i 's/^identifiers = .*/& sfail2.example.com/' \
	    "$d/conf/manysfail.example.com.conf"
	px_reset
	run_acme --dir "$d" --force renew
	expect_rc 1
	[ "$(grep -c ': renewed, valid until' "$T/stdout")" = 4 ] ||
	    fail "renewed: $(grep -c ': renewed' "$T/stdout") of 4"
	expect_one_error_line
	grep -q '^acme: manysfail.example.com: failed: sfail2.example.com: challenge failed' \
	    "$T/stderr" || fail "stderr: $(first_err)"
	"$PYTHON" - "$PX_LOG" <<'EOF' || fail "requests out of order: $(cut -c 1-100 "$PX_LOG" | tr '\n' ' ')"
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
at = lambda k: [i for i, e in enumerate(log) if e["kind"] == k]
seen, polls = set(), []
for i, e in enumerate(log):
    if e["answer"] == "badNonce":
        continue
    if e["kind"] == "authz" and e["path"] in seen:
        polls.append(i)
    seen.add(e["path"])
assert len(at("newOrder")) >= 5 and len(at("directory")) == 1
assert max(at("newOrder")) < min(at("authz")), "an authorization before every order"
assert max(at("challenge")) < min(polls), "a poll before every challenge"
EOF
}

# A rateLimited answer to one newOrder: no other order is sent in that
# run; only the refused NAME keeps the CA's time.
e2e speed_rate_limited pebble
t_speed_rate_limited()
{
	local d i
	caproxy_start || fail "caproxy did not start"
	d=$(newdir)
	for i in 1 2 3; do
		run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue "rl$i.example.com"
		expect_rc 0
	done
	caproxy_set --fail newOrder:ratelimited:1 --retry-after 3600
	px_reset
	run_acme --dir "$d" --force renew
	expect_rc 1
	[ "$(px_count newOrder)" = 1 ] || fail "$(px_count newOrder) newOrder requests, expected 1"
	[ "$(wc -l <"$T/stderr")" = 3 ] || fail "$(wc -l <"$T/stderr") error lines, expected 3"
	[ "$(grep -c 'rate limited until 20' "$T/stderr")" = 1 ] || fail "stderr: $(cat "$T/stderr")"
	[ "$(grep -c 'not ordered: the CA answered rateLimited' "$T/stderr")" = 2 ] ||
	    fail "stderr: $(cat "$T/stderr")"
	[ "$(ls "$d/conf" | grep -c '\.state$')" = 1 ] || fail "conf/: $(ls "$d/conf" | tr '\n' ' ')"
}

# speed_dribble PORT LOG: keep three connections to 127.0.0.1:PORT open, each
# sending one byte a second ('G', then more of a request line), opening
# another whenever one is closed; log each connection and how it ended.
speed_dribble()
{
	[ -s "$T/speed_dribble.py" ] || cat >"$T/speed_dribble.py" <<'EOF'
import socket, sys, threading, time
port = int(sys.argv[1])
def one():
    while True:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=1)
        except OSError:
            time.sleep(0.01)
            continue
        print("connected", flush=True)
        t0 = time.time()
        try:
            for b in b"GET /.well-known/acme-challenge/" * 20:
                s.send(bytes([b]))
                time.sleep(1)
            print("never closed", flush=True)
        except OSError:
            print("closed by the responder after %.0f s" % (time.time() - t0), flush=True)
        s.close()
for i in range(3):
    threading.Thread(target=one, daemon=True).start()
time.sleep(100)
EOF
	lib_spawn "$2" "$PYTHON" -u "$T/speed_dribble.py" "$1"
}

# Clients dribbling a byte a second at the http-01 and then the
# tls-alpn-01 responder while Pebble takes its time (it waits up to 2 s
# before validating; the proxy holds each challenge request a second, so
# the slow clients are in before validation starts): each issuance
# succeeds.
e2e responder_slow_client
t_responder_slow_client()
{
	local d
	pebble_start slowva PEBBLE_VA_NOSLEEP=0 PEBBLE_VA_SLEEPTIME=3 ||
	    fail "pebble did not start"
	caproxy_start --delay challenge:1000 || fail "caproxy did not start"
	d=$(newdir)
	speed_dribble "$PB_HTTP_PORT" "$T/http.log"
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue slow.example.com
	expect_rc 0
	check_live "$d" slow.example.com DNS:slow.example.com
	grep -q connected "$T/http.log" || fail "the slow client never got in"
	speed_dribble "$PB_TLS_PORT" "$T/tls.log"
	run_acme "${ACME_PX[@]}" --standalone --challenge tls-alpn-01 \
	    --tls-port "$PB_TLS_PORT" --bind 127.0.0.1 --dir "$d" issue slowtls.example.com
	expect_rc 0
	check_live "$d" slowtls.example.com DNS:slowtls.example.com
	grep -q connected "$T/tls.log" || fail "the slow client never got in"
}
