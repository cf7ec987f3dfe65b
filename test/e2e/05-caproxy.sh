# test/e2e/05-caproxy.sh - test/caproxy.py, the fault-injecting proxy in
# front of Pebble, does what the ARI, profile and rate-limit tests rely on.

# px_get PATH: GET through the proxy; body in $T/body, status printed.
px_get()
{
	curl -sS --cacert "$PB_CA" -o "$T/body" -D "$T/headers" \
	    -w '%{http_code}' "${PX_URL%/dir}$1"
}

e2e caproxy pebble noacme
t_caproxy()
{
	local code n payload
	caproxy_start || fail "caproxy did not start"
	code=$(px_get /dir)
	[ "$code" = 200 ] || fail "plain directory: HTTP $code"
	grep -q renewalInfo "$T/body" && fail "renewalInfo without --ari"
	grep -q "\"${PX_URL%/dir}/nonce-plz\"" "$T/body" ||
	    fail "directory URLs not rewritten to the proxy: $(head -c 200 "$T/body")"
	caproxy_set --ari --profiles --ari-window 2030-01-01T00:00:00Z,+60 \
	    --ari-retry-after 1234 --fail newNonce:429:1 --retry-after 77
	code=$(px_get /dir)
	[ "$code" = 200 ] || fail "directory with --ari: HTTP $code"
	"$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1]));
assert d["renewalInfo"].endswith("/renewal-info")
assert sorted(d["meta"]["profiles"]) == ["classic", "shortlived"]' \
	    "$T/body" || fail "directory lacks renewalInfo or profiles"
	code=$(px_get /renewal-info/AAAA.BBBB)
	[ "$code" = 200 ] || fail "renewalInfo: HTTP $code"
	grep -q '"start": "2030-01-01T00:00:00Z"' "$T/body" ||
	    fail "renewalInfo window: $(cat "$T/body")"
	grep -qi '^retry-after: 1234' "$T/headers" ||
	    fail "renewalInfo without Retry-After 1234"
	code=$(px_get /nonce-plz)
	[ "$code" = 429 ] || fail "injected newNonce: HTTP $code, expected 429"
	grep -qi '^retry-after: 77' "$T/headers" || fail "429 without Retry-After"
	grep -q 'rateLimited' "$T/body" || fail "429 without rateLimited problem"
	code=$(px_get /nonce-plz)
	[ "$code" = 204 ] || [ "$code" = 200 ] ||
	    fail "second newNonce: HTTP $code, expected Pebble's answer"
	grep -qi '^replay-nonce:' "$T/headers" || fail "no nonce from Pebble"
	# a JWS body is logged decoded
	payload=$(printf '{"identifiers":[],"replaces":"AAAA.BBBB"}' |
	    base64 -w0 | tr '+/' '-_' | tr -d '=')
	curl -sS --cacert "$PB_CA" -o /dev/null -H 'Content-Type: application/jose+json' \
	    --data "{\"protected\":\"e30\",\"payload\":\"$payload\",\"signature\":\"AA\"}" \
	    "${PX_URL%/dir}/order-plz"
	[ "$(px_count newOrder replaces)" = 1 ] ||
	    fail "newOrder with replaces not logged: $(tail -n 1 "$PX_LOG")"
	[ "$(px_count newOrder profile)" = 0 ] || fail "px_count sees a profile"
	n=$(px_count any)
	[ "$n" = 6 ] || fail "logged $n requests, expected 6"
	n=$(px_conns)
	[ "$n" = 6 ] || fail "6 curl runs counted as $n connections"
	caproxy_set --fail 'any:503'
	code=$(px_get /dir)
	[ "$code" = 503 ] || fail "any:503 answered $code"
}
