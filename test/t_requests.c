/*
 * t_requests.c - unit tests of sections 13 (HTTP), 15 (ACME requests) and
 * 16 (ACME flows): EAB MACs, problem hints, directory profiles, alternate-
 * chain links, revocation reasons, CSR parsing, built-in trust anchors and
 * the CA bundle choice.
 */

/* Hex of n bytes into a static string (for CHECK_STR). */
static const char *
tp_hex(const unsigned char *p, size_t n)
{
	static char s[2 * 64 + 1];

	hex_encode(s, p, n);
	return s;
}

/* RFC 4231 4.3 (test case 2): key "Jefe". */
static void
t_hmac_sha2(void)
{
	static const char data[] = "what do ya want for nothing?";
	unsigned char out[HMAC_OUT_MAX];

	hmac_sha2(&br_sha256_vtable, "Jefe", 4, data, strlen(data), out);
	CHECK_STR(tp_hex(out, 32), "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
	hmac_sha2(&br_sha384_vtable, "Jefe", 4, data, strlen(data), out);
	CHECK_STR(tp_hex(out, 48), "af45d2e376484031617f78d2b58a6b1b"
	    "9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649");
	hmac_sha2(&br_sha512_vtable, "Jefe", 4, data, strlen(data), out);
	CHECK_STR(tp_hex(out, 64), "164b7a7bfcf819e2e395fbe73b56e0a3"
	    "87bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fd"
	    "caeab1a34d4a6b4b636e070a38bce737");
	CHECK(hmac_alg_find("HS384") == &hmac_algs[1]);
	CHECK(hmac_alg_find(NULL) == &hmac_algs[0]);
	CHECK(hmac_alg_find("HS1") == NULL);
}

/* jws_eab_alg: the named alg in the header, a MAC of its length. */
static void
t_jws_eab_alg(void)
{
	static struct json j;
	struct key k = { 0 };
	struct buf out = { 0 };
	unsigned char mac[16] = "0123456789abcdef", sig[64], want[64];
	char p64[1024], pl64[1024], s64[128], hdr[256];
	struct buf sin = { 0 };
	int n;

	CHECK_INT(key_generate(&k, KEY_EC256), 0);
	CHECK_INT(jws_eab_alg(&out, &k, "HS512", "kid-9", mac, sizeof(mac),
	    "https://ca/na"), 0);
	CHECK_INT(json_parse(&j, (const char *)out.data, out.len), 0);
	CHECK(json_get_str(&j, 0, "protected", p64, sizeof(p64)) >= 0);
	CHECK(json_get_str(&j, 0, "payload", pl64, sizeof(pl64)) >= 0);
	CHECK(json_get_str(&j, 0, "signature", s64, sizeof(s64)) >= 0);
	n = b64u_decode(hdr, sizeof(hdr) - 1, p64, strlen(p64));
	CHECK(n > 0);
	hdr[n > 0 ? n : 0] = '\0';
	CHECK_STR(hdr, "{\"alg\":\"HS512\",\"kid\":\"kid-9\",\"url\":"
	    "\"https://ca/na\"}");
	CHECK_INT(b64u_decode(sig, sizeof(sig), s64, strlen(s64)), 64);
	buf_printf(&sin, "%s.%s", p64, pl64);
	hmac_sha2(&br_sha512_vtable, mac, sizeof(mac), sin.data, sin.len,
	    want);
	CHECK_MEM(sig, 64, want, 64);
	out.len = 0;
	CHECK_INT(jws_eab_alg(&out, &k, "HS1024", "k", mac, sizeof(mac),
	    "https://ca/na"), ACME_ERR_USAGE);
	CHECK_INT(out.len, 0);
	buf_free(&out);
	buf_free(&sin);
	key_free(&k);
}

/* Parse doc and return req_problem_json_r's line for response r. */
static const char *
tp_problem(const char *doc, const struct http_resp *r)
{
	static struct json j;

	err_clear();
	if (json_parse(&j, doc, strlen(doc)) < 0)
		return "(bad json)";
	if (req_problem_json_r("https://ca.test/x", 429, &j, 0, NULL, 0,
	    r) != ACME_ERR_SERVER)
		return "(not ACME_ERR_SERVER)";
	return err_msg;
}

static void
t_problem_hints(void)
{
	struct http_resp r = { 0 };

	http_resp_reset(&r);
	r.retry_after = 3600;
	snprintf(r.date, sizeof(r.date), "Sun, 22 Nov 2026 10:00:00 GMT");
	CHECK_STR(tp_problem("{\"type\":\"" ACME_ERR_NS "rateLimited\","
	    "\"detail\":\"too many\"}", &r), "https://ca.test/x: HTTP 429: "
	    "rateLimited: too many -- the CA limits how often you may ask: "
	    "try again later after 2026-11-22T11:00:00Z");
	r.date[0] = '\0';
	CHECK_STR(tp_problem("{\"type\":\"" ACME_ERR_NS "rateLimited\"}", &r),
	    "https://ca.test/x: HTTP 429: rateLimited -- the CA limits how "
	    "often you may ask: try again later in 3600 s");
	CHECK_STR(tp_problem("{\"type\":\"" ACME_ERR_NS "userActionRequired\","
	    "\"detail\":\"new terms\",\"instance\":\"https://ca.test/tos\"}",
	    NULL), "https://ca.test/x: HTTP 429: userActionRequired: new "
	    "terms -- the CA needs you to act first: visit the URL it gives, "
	    "then run the command again: https://ca.test/tos");
	CHECK_STR(tp_problem("{\"type\":\"urn:example:other\",\"detail\":"
	    "\"d\"}", NULL), "https://ca.test/x: HTTP 429: urn:example:other: "
	    "d");
	/* every RFC 8555 6.7 type has a hint */
	CHECK(req_hint(ACME_ERR_NS "caa") != NULL);
	CHECK(req_hint(ACME_ERR_NS "dns") != NULL);
	CHECK(req_hint(ACME_ERR_NS "connection") != NULL);
	CHECK(req_hint(ACME_ERR_NS "unauthorized") != NULL);
	CHECK(req_hint(ACME_ERR_NS "badRevocationReason") != NULL);
	CHECK(req_hint(ACME_ERR_NS "externalAccountRequired") != NULL);
	CHECK_INT(sizeof(req_hints) / sizeof(req_hints[0]), 24);
	CHECK(req_hint("caa") == NULL);
	http_resp_free(&r);
}

/* The failed-challenge line names the URL the CA tried. */
static void
t_authz_tried(void)
{
	static const char rec[] = "{\"type\":\"http-01\",\"token\":\"tok\","
	    "\"validationRecord\":[{\"url\":\"http://a.test/x\"}]}";
	static const char norec[] = "{\"type\":\"http-01\",\"token\":\"tok\"}";
	static struct json j;
	char what[URL_MAX + 64];

	CHECK_INT(json_parse(&j, rec, strlen(rec)), 0);
	snprintf(what, sizeof(what), "a.test: challenge failed");
	authz_tried(&j, 0, "a.test", what, sizeof(what));
	CHECK_STR(what, "a.test: challenge failed (the CA tried "
	    "http://a.test/x)");
	CHECK_INT(json_parse(&j, norec, strlen(norec)), 0);
	snprintf(what, sizeof(what), "b.test: challenge failed");
	authz_tried(&j, 0, "b.test", what, sizeof(what));
	CHECK_STR(what, "b.test: challenge failed (the CA tried "
	    "http://b.test/.well-known/acme-challenge/tok)");
}

/* meta.profiles: names kept, junk skipped; --profile checked. */
static void
t_dir_profiles(void)
{
	static const char doc[] = "{\"profiles\":{\"classic\":\"the usual\","
	    "\"shortlived\":{\"x\":[1,2]},\"bad name\":\"\",\"tlsserver\":"
	    "\"\"}}";
	static struct json j;
	static struct acme a;

	CHECK_INT(json_parse(&j, doc, strlen(doc)), 0);
	req_profiles(&a.dir, &j, json_get(&j, 0, "profiles"));
	CHECK_INT(a.dir.nprofiles, 3);
	CHECK_STR(a.dir.profiles[0], "classic");
	CHECK_STR(a.dir.profiles[1], "shortlived");
	CHECK_STR(a.dir.profiles[2], "tlsserver");
	snprintf(a.server, sizeof(a.server), "https://ca.test/dir");
	CHECK_INT(api_check_profile(&a, "shortlived"), 0);
	CHECK_INT(api_check_profile(&a, NULL), 0);
	CHECK_INT(api_check_profile(&a, "long"), ACME_ERR_USAGE);
	CHECK_STR(err_msg, "--profile long: https://ca.test/dir offers only "
	    "classic, shortlived, tlsserver");
	err_clear();
	a.dir.nprofiles = 0;
	CHECK_INT(api_check_profile(&a, "long"), ACME_ERR_USAGE);
	CHECK_STR(err_msg, "--profile long: https://ca.test/dir offers no "
	    "profiles");
	req_profiles(&a.dir, &j, 0);	/* the outer object: its names */
	CHECK_INT(a.dir.nprofiles, 1);
}

static void
t_link_alternate(void)
{
	static struct http_resp r;
	static const char h1[] = "Link: <https://ca/cert/1/alt/1>;rel=\"alternate\"\r\n";
	static const char h2[] = "Link: <https://ca/dir>;rel=\"index\", "
	    "<https://ca/cert/1/alt/2>; rel=\"alternate\", "
	    "<https://ca/cert/1/alt/3>;rel=\"alternate\"\r\n";
	static const char up[] = "link: <https://ca/issuer>;rel=\"up\"\r\n";
	int i;

	http_resp_reset(&r);
	http_header_cb((char *)(uintptr_t)h1, 1, strlen(h1), &r);
	http_header_cb((char *)(uintptr_t)h2, 1, strlen(h2), &r);
	http_header_cb((char *)(uintptr_t)up, 1, strlen(up), &r);
	CHECK_INT(r.nlink_alt, 3);
	CHECK_STR(r.link_alt[0], "https://ca/cert/1/alt/1");
	CHECK_STR(r.link_alt[1], "https://ca/cert/1/alt/2");
	CHECK_STR(r.link_alt[2], "https://ca/cert/1/alt/3");
	CHECK_STR(r.link_up, "https://ca/issuer");
	for (i = 0; i < 2 * LINK_ALT_MAX; i++)
		http_header_cb((char *)(uintptr_t)h1, 1, strlen(h1), &r);
	CHECK_INT(r.nlink_alt, LINK_ALT_MAX);
	http_resp_free(&r);
}

static void
t_revoke_reason(void)
{
	CHECK_INT(flow_revoke_reason("keyCompromise"), 1);
	CHECK_INT(flow_revoke_reason("KEYCOMPROMISE"), 1);
	CHECK_INT(flow_revoke_reason("superseded"), 4);
	CHECK_INT(flow_revoke_reason("0"), 0);
	CHECK_INT(flow_revoke_reason("10"), 10);
	CHECK_INT(flow_revoke_reason("7"), NONE);
	CHECK_INT(flow_revoke_reason("11"), NONE);
	CHECK_INT(flow_revoke_reason("-1"), NONE);
	CHECK_INT(flow_revoke_reason("4x"), NONE);
	CHECK_INT(flow_revoke_reason(""), NONE);
}

/* x509_csr_parse reads back what csr_build wrote: names and the key. */
static void
t_csr_parse(void)
{
	static struct x509_info xi;
	struct ident ids[3];
	struct buf der = { .max = 64 * 1024 };
	struct key k = { 0 };
	struct der_cur spki;
	unsigned char mine[1024];
	size_t n;

	CHECK_INT(ident_parse("a.test", &ids[0]), 0);
	CHECK_INT(ident_parse("www.a.test", &ids[1]), 0);
	CHECK_INT(ident_parse("192.0.2.1", &ids[2]), 0);
	CHECK_INT(key_generate(&k, KEY_EC384), 0);
	CHECK_INT(csr_build(&der, &k, ids, 3), 0);
	CHECK_INT(x509_csr_parse(der.data, der.len, &xi, &spki), 0);
	CHECK_INT(xi.nsan, 3);
	CHECK_STR(xi.san[0].value, "a.test");
	CHECK_STR(xi.san[1].value, "www.a.test");
	CHECK_STR(xi.san[2].value, "192.0.2.1");
	CHECK_INT(xi.san[2].type, IDENT_IP);
	n = der_spki(NULL, &k);
	CHECK(n <= sizeof(mine));
	der_spki(mine, &k);
	CHECK(asn1_eq(&spki, mine, n));
	CHECK_INT(x509_csr_parse(der.data, der.len - 1, &xi, &spki),
	    ACME_ERR_USAGE);
	CHECK_INT(xi.nsan, 0);
	buf_free(&der);
	key_free(&k);
}

/*
 * The built-in anchors (subject DN and key, made by vendor/gen-anchors.sh)
 * are what BearSSL's decoder takes from the certificates of Debian's
 * ca-certificates (vendor/deps.sh installs it): http_anchor on each
 * certificate gives the same bytes.
 */
static void
tp_anchor_eq(const br_x509_trust_anchor *a, const char *name)
{
	char path[200];
	struct buf raw = { 0 };
	struct pem_obj obj;
	br_x509_trust_anchor b;
	size_t n = 0;

	snprintf(path, sizeof(path), "/usr/share/ca-certificates/mozilla/"
	    "%s.crt", name);
	memset(&obj, 0, sizeof(obj));
	CHECK_INT(store_read(AT_FDCWD, path, &raw, BODY_MAX), 0);
	CHECK_INT(pem_decode((const char *)raw.data, raw.len, &obj, 1, &n), 0);
	CHECK_INT(n, 1);
	if (n == 1 && http_anchor(&b, obj.der, obj.len) == 0) {
		CHECK_MEM(a->dn.data, a->dn.len, b.dn.data, b.dn.len);
		CHECK_INT(a->flags, b.flags);
		CHECK_INT(a->pkey.key_type, b.pkey.key_type);
		if (b.pkey.key_type == BR_KEYTYPE_RSA) {
			CHECK_MEM(a->pkey.key.rsa.n, a->pkey.key.rsa.nlen,
			    b.pkey.key.rsa.n, b.pkey.key.rsa.nlen);
			CHECK_MEM(a->pkey.key.rsa.e, a->pkey.key.rsa.elen,
			    b.pkey.key.rsa.e, b.pkey.key.rsa.elen);
			free(b.pkey.key.rsa.n);
			free(b.pkey.key.rsa.e);
		} else {
			CHECK_INT(a->pkey.key.ec.curve, b.pkey.key.ec.curve);
			CHECK_MEM(a->pkey.key.ec.q, a->pkey.key.ec.qlen,
			    b.pkey.key.ec.q, b.pkey.key.ec.qlen);
			free(b.pkey.key.ec.q);
		}
		free(b.dn.data);
	} else
		CHECK(!"certificate decoded");
	pem_objs_free(&obj, n);
	buf_free(&raw);
}

static void
t_anchors(void)
{
	static const char *const names[] = { "ISRG_Root_X1",
	    "ISRG_Root_X2", "USERTrust_RSA_Certification_Authority",
	    "USERTrust_ECC_Certification_Authority",
	    "Buypass_Class_2_Root_CA", "GTS_Root_R1", "GTS_Root_R4" };
	size_t i;

	CHECK_INT(sizeof(anchors) / sizeof(anchors[0]), 7);
	for (i = 0; i < 7; i++) {
		CHECK_INT(anchors[i].flags, BR_X509_TA_CA);
		tp_anchor_eq(&anchors[i], names[i]);
	}
	CHECK(memmem(anchors[0].dn.data, anchors[0].dn.len, "ISRG Root X1",
	    12) != NULL);
	CHECK_INT(anchors[0].pkey.key.rsa.nlen, 512);
}

/* ACME_TEST_CA_BUNDLES replaces the system list; empty files are skipped. */
static void
t_pick_ca(void)
{
	char dir[] = "/tmp/acme-unit-ca.XXXXXX", empty[64], full[64];
	const char *p;
	char list[200];
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(empty, sizeof(empty), "%s/empty.pem", dir);
	snprintf(full, sizeof(full), "%s/full.pem", dir);
	fclose(fopen(empty, "w"));
	f = fopen(full, "w");
	fputs("x\n", f);
	fclose(f);
	CHECK_STR(http_pick_ca("/given"), "/given");
	setenv("ACME_TEST_CA_BUNDLES", "/nonexistent", 1);
	CHECK(http_pick_ca(NULL) == NULL);
	setenv("ACME_TEST_CA_BUNDLES", empty, 1);
	CHECK(http_pick_ca(NULL) == NULL);
	setenv("ACME_TEST_CA_BUNDLES", "", 1);
	CHECK(http_pick_ca(NULL) == NULL);
	snprintf(list, sizeof(list), "/nonexistent:%s:%s", empty, full);
	setenv("ACME_TEST_CA_BUNDLES", list, 1);
	p = http_pick_ca(NULL);
	CHECK_STR(p, full);
	unsetenv("ACME_TEST_CA_BUNDLES");
	unlink(empty);
	unlink(full);
	rmdir(dir);
}

/* The CA aliases. */
static void
t_aliases(void)
{
	CHECK_STR(api_server_url("zerossl"), "https://acme.zerossl.com/v2/DV90");
	CHECK_STR(api_server_url("buypass"),
	    "https://api.buypass.com/acme/directory");
	CHECK_STR(api_server_url("google"),
	    "https://dv.acme-v02.api.pki.goog/directory");
	CHECK_STR(api_server_url(NULL),
	    "https://acme-v02.api.letsencrypt.org/directory");
	CHECK(api_server_url("nosuchca") == NULL);
	err_clear();
}

static const struct unit_test tests_proto[] = {
	{ "hmac_sha2", t_hmac_sha2 },
	{ "jws_eab_alg", t_jws_eab_alg },
	{ "problem_hints", t_problem_hints },
	{ "authz_tried", t_authz_tried },
	{ "dir_profiles", t_dir_profiles },
	{ "link_alternate", t_link_alternate },
	{ "flow_revoke_reason", t_revoke_reason },
	{ "x509_csr_parse", t_csr_parse },
	{ "anchors", t_anchors },
	{ "pick_ca", t_pick_ca },
	{ "aliases", t_aliases },
	{ NULL, NULL },
};
