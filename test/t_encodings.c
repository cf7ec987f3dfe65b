/*
 * t_encodings.c - unit tests of sections 4 (encodings) and 5 (JSON).
 * #included by test/unit.c after ../acme.c (ACME_NO_MAIN); exports
 * tests_enc.
 */
#include "unit.h"

/* RFC 4648 10 test vectors, in the url alphabet without padding. */
static const struct {
	const char	*raw;
	const char	*enc;
} b64u_vectors[] = {
	{ "", "" },
	{ "f", "Zg" },
	{ "fo", "Zm8" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg" },
	{ "fooba", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy" },
};

/*
 * 1 when token t is a primitive (number, true, false, null) whose text is
 * exactly want: what json_get found, and what json_parse let through.
 */
static int
tc_prim_is(const struct json *j, int t, const char *want)
{
	const jsmntok_t *tk = json_tok(j, t, JSMN_PRIMITIVE);

	return tk != NULL && (size_t)(tk->end - tk->start) == strlen(want) &&
	    memcmp(j->js + tk->start, want, strlen(want)) == 0;
}

static void
t_b64u_rfc4648(void)
{
	char enc[16];
	unsigned char dec[16];
	size_t i, n;

	for (i = 0; i < sizeof(b64u_vectors) / sizeof(b64u_vectors[0]); i++) {
		const char *raw = b64u_vectors[i].raw;
		const char *want = b64u_vectors[i].enc;

		n = strlen(raw);
		CHECK_INT(b64u_encode(NULL, raw, n), strlen(want));
		CHECK_INT(b64u_encode(enc, raw, n), strlen(want));
		CHECK_STR(enc, want);
		CHECK_INT(b64u_decode(dec, sizeof(dec), want, strlen(want)), n);
		CHECK_MEM(dec, n, raw, n);
		CHECK_INT(b64u_decode(NULL, 0, want, strlen(want)), n);
	}
}

static void
t_b64u_url_alphabet(void)
{
	static const unsigned char fbff[] = { 0xfb, 0xff };
	static const unsigned char all[] = { 0x00, 0x10, 0x83, 0x10, 0x51,
	    0x87, 0x20, 0x92, 0x8b, 0x30, 0xd3, 0x8f, 0x41, 0x14, 0x93, 0x51,
	    0x55, 0x97, 0x61, 0x96, 0x9b, 0x71, 0xd7, 0x9f, 0x82, 0x18, 0xa3,
	    0x92, 0x59, 0xa7, 0xa2, 0x9a, 0xab, 0xb2, 0xdb, 0xaf, 0xc3, 0x1c,
	    0xb3, 0xd3, 0x5d, 0xb7, 0xe3, 0x9e, 0xbb, 0xf3, 0xdf, 0xbf };
	unsigned char dec[64];
	char enc[80], *s;

	CHECK_INT(b64u_encode(enc, fbff, 2), 3);
	CHECK_STR(enc, "-_8");
	CHECK_INT(b64u_decode(dec, sizeof(dec), "-_8", 3), 2);
	CHECK_MEM(dec, 2, fbff, 2);
	/* Every character of the alphabet, in order. */
	b64u_encode(enc, all, sizeof(all));
	CHECK_STR(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_");
	s = b64u_encode_alloc(fbff, 2);
	CHECK_STR(s, "-_8");
	free(s);
	s = b64u_encode_alloc("", 0);
	CHECK_STR(s, "");
	free(s);
}

static void
t_b64u_roundtrip(void)
{
	unsigned char raw[100], dec[100];
	char enc[140];
	size_t i, n;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 37 + 11);
	for (n = 0; n <= sizeof(raw); n++) {
		CHECK_INT(b64u_encode(enc, raw, n), (n * 4 + 2) / 3);
		CHECK_INT(b64u_decode(dec, n, enc, strlen(enc)), n);
		CHECK_MEM(dec, n, raw, n);
	}
}

static void
t_b64u_decode_reject(void)
{
	unsigned char dec[16];

	CHECK_INT(b64u_decode(dec, sizeof(dec), "Zg==", 4), ACME_ERR_PROTO);
	CHECK_INT(b64u_decode(dec, sizeof(dec), "Zm8=", 4), ACME_ERR_PROTO);
	CHECK_INT(b64u_decode(dec, sizeof(dec), "Zm9v!", 5), ACME_ERR_PROTO);
	CHECK_INT(b64u_decode(dec, sizeof(dec), "Zm8", 3), 2);
	CHECK_INT(b64u_decode(dec, sizeof(dec), "Z", 1), ACME_ERR_PROTO);
	CHECK_INT(b64u_decode(dec, sizeof(dec), "Zm9vY", 5), ACME_ERR_PROTO);
	/* The standard alphabet, whitespace and a NUL are not base64url. */
	CHECK_INT(b64u_decode(dec, sizeof(dec), "+_8", 3), ACME_ERR_PROTO);
	CHECK_INT(b64u_decode(dec, sizeof(dec), "-/8", 3), ACME_ERR_PROTO);
	CHECK_INT(b64u_decode(dec, sizeof(dec), "Zm9v Zg", 7), ACME_ERR_PROTO);
	CHECK_INT(b64u_decode(dec, sizeof(dec), "Zm\0v", 4), ACME_ERR_PROTO);
	CHECK_INT(b64u_decode(dec, sizeof(dec), "Zm9v\xc3\xa9", 6),
	    ACME_ERR_PROTO);
	/* "Zh" sets unused bits: only "Zg" encodes "f". */
	CHECK_INT(b64u_decode(dec, sizeof(dec), "Zh", 2), ACME_ERR_PROTO);
	CHECK_INT(b64u_decode(dec, sizeof(dec), "Zm9", 3), ACME_ERR_PROTO);
	CHECK_INT(b64u_decode(dec, sizeof(dec), "Zm-", 3), ACME_ERR_PROTO);
	/* Too small a destination, and nothing partial left in it. */
	memset(dec, 0x55, sizeof(dec));
	CHECK_INT(b64u_decode(dec, 5, "Zm9vYmFy", 8), ACME_ERR_LIMIT);
	CHECK_INT(dec[0], 0x55);
	CHECK_INT(b64u_decode(dec, 6, "Zm9vYmFy", 8), 6);
	memset(dec, 0x55, sizeof(dec));
	CHECK_INT(b64u_decode(dec, sizeof(dec), "Zm9vYm!y", 8),
	    ACME_ERR_PROTO);
	CHECK_INT(dec[0], 0);
	CHECK_INT(dec[3], 0);
	CHECK_INT(dec[4], 0x55);
}

static void
t_b64u_token(void)
{
	char tok[TOKEN_MAX + 2];

	CHECK_INT(b64u_is_token("LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"),
	    1);
	CHECK_INT(b64u_is_token("a-_Z09"), 1);
	CHECK_INT(b64u_is_token(""), 0);
	CHECK_INT(b64u_is_token(NULL), 0);
	CHECK_INT(b64u_is_token("a b"), 0);
	CHECK_INT(b64u_is_token("abc="), 0);
	CHECK_INT(b64u_is_token("a/b"), 0);
	CHECK_INT(b64u_is_token("../x"), 0);
	CHECK_INT(b64u_is_token("a+b"), 0);
	CHECK_INT(b64u_is_token("ab\n"), 0);
	CHECK_INT(b64u_is_token("\xc3\xa9"), 0);
	memset(tok, 'A', sizeof(tok));
	tok[TOKEN_MAX] = '\0';
	CHECK_INT(b64u_is_token(tok), 1);
	tok[TOKEN_MAX] = 'A';
	tok[TOKEN_MAX + 1] = '\0';
	CHECK_INT(b64u_is_token(tok), 0);
}

static void
t_hex(void)
{
	static const unsigned char b[] = { 0x00, 0x01, 0x7f, 0xab, 0xff };
	char s[16];

	CHECK_INT(hex_encode(NULL, b, sizeof(b)), 10);
	CHECK_INT(hex_encode(s, b, sizeof(b)), 10);
	CHECK_STR(s, "00017fabff");
	CHECK_INT(hex_encode(s, b, 0), 0);
	CHECK_STR(s, "");
}

static void
t_pem_vector(void)
{
	struct buf b = { 0 };
	unsigned char raw[49];
	size_t i;

	CHECK_INT(pem_encode(&b, "TEST", "foobar", 6), 0);
	CHECK_STR((char *)b.data,
	    "-----BEGIN TEST-----\nZm9vYmFy\n-----END TEST-----\n");
	buf_free(&b);
	/* 48 bytes fill one 64-column line exactly; 49 start a second. */
	for (i = 0; i < sizeof(raw); i++)
		raw[i] = 0xff;
	CHECK_INT(pem_encode(&b, "X", raw, 48), 0);
	CHECK_STR((char *)b.data, "-----BEGIN X-----\n"
	    "////////////////////////////////////////////////////////////////\n"
	    "-----END X-----\n");
	buf_free(&b);
	CHECK_INT(pem_encode(&b, "EC PRIVATE KEY", raw, 49), 0);
	CHECK_STR((char *)b.data, "-----BEGIN EC PRIVATE KEY-----\n"
	    "////////////////////////////////////////////////////////////////\n"
	    "/w==\n-----END EC PRIVATE KEY-----\n");
	buf_free(&b);
	CHECK_INT(pem_encode(&b, "bad--label", raw, 4), ACME_ERR_USAGE);
	CHECK_INT(pem_encode(&b, "", raw, 4), ACME_ERR_USAGE);
	CHECK_INT(pem_encode(&b, "EMPTY", raw, 0), ACME_ERR_USAGE);
	CHECK_INT(b.len, 0);
	buf_free(&b);
}

static void
t_pem_roundtrip(void)
{
	struct pem_obj o[2];
	struct buf b = { 0 };
	unsigned char raw[300];
	size_t i, n, len;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 131 + 7);
	for (len = 1; len <= sizeof(raw); len += 7) {
		b.len = 0;
		CHECK_INT(pem_encode(&b, "CERTIFICATE", raw, len), 0);
		CHECK_INT(pem_decode((char *)b.data, b.len, o, 2, &n), 0);
		CHECK_INT(n, 1);
		if (n == 1) {
			CHECK_STR(o[0].label, "CERTIFICATE");
			CHECK_MEM(o[0].der, o[0].len, raw, len);
		}
		pem_objs_free(o, n);
	}
	buf_free(&b);
}

static void
t_pem_multi(void)
{
	static const char text[] =
	    "Bag Attributes: friendlyName: x\n"
	    "subject=/CN=example.org\r\n"
	    "-----BEGIN CERTIFICATE-----\r\n"
	    "Zm9v\r\n"
	    "-----END CERTIFICATE-----\r\n"
	    "\n garbage -----BEGIN NOT AT LINE START-----\n\n"
	    "-----BEGIN PRIVATE KEY-----  \n"
	    "  Zm9v YmFy\n"
	    "\tZg==\n"
	    "-----END PRIVATE KEY-----\n"
	    "more garbage\n"
	    "-----BEGIN X-----\nAQID\n-----END X-----";	/* no final NL */
	struct pem_obj o[4];
	size_t n;

	CHECK_INT(pem_decode(text, strlen(text), o, 4, &n), 0);
	CHECK_INT(n, 3);
	if (n != 3)
		return;
	CHECK_STR(o[0].label, "CERTIFICATE");
	CHECK_MEM(o[0].der, o[0].len, "foo", 3);
	CHECK_STR(o[1].label, "PRIVATE KEY");
	CHECK_MEM(o[1].der, o[1].len, "foobarf", 7);
	CHECK_STR(o[2].label, "X");
	CHECK_MEM(o[2].der, o[2].len, "\1\2\3", 3);
	pem_objs_free(o, n);
	CHECK(o[0].der == NULL && o[0].label == NULL);
	pem_objs_free(NULL, 3);
}

static int
pem_try(const char *text, size_t max)
{
	struct pem_obj o[4];
	size_t n = 99;
	int rc;

	memset(o, 0, sizeof(o));
	rc = pem_decode(text, strlen(text), o, max, &n);
	if (rc == 0 && strstr(text, "-----END") == NULL)
		CHECK_INT(n, 0);
	if (rc < 0) {
		CHECK_INT(n, 0);
		CHECK(o[0].der == NULL && o[0].label == NULL);
	}
	pem_objs_free(o, n);
	return rc;
}

static void
t_pem_reject(void)
{
	static const char two[] = "-----BEGIN A-----\nZm9v\n-----END A-----\n"
	    "-----BEGIN B-----\nZm9v\n-----END B-----\n";
	char *big;

	CHECK_INT(pem_try(two, 2), 0);
	CHECK_INT(pem_try(two, 1), ACME_ERR_LIMIT);
	CHECK_INT(pem_try(two, 0), ACME_ERR_LIMIT);
	CHECK_INT(pem_try("", 4), 0);
	CHECK_INT(pem_try("just text\n-----BEGIN", 4), 0);
	CHECK_INT(pem_try("-----BEGIN A-----\nZm9v\n", 4), ACME_ERR_PROTO);
	CHECK_INT(pem_try("-----BEGIN A-----\nZm9v\n-----END B-----\n", 4),
	    ACME_ERR_PROTO);
	CHECK_INT(pem_try("-----BEGIN A-----\nZm9v\n-----END A--\n", 4),
	    ACME_ERR_PROTO);
	CHECK_INT(pem_try("-----BEGIN A\nZm9v\n-----END A-----\n", 4),
	    ACME_ERR_PROTO);
	CHECK_INT(pem_try("-----BEGIN -----\nZm9v\n-----END -----\n", 4),
	    ACME_ERR_PROTO);
	CHECK_INT(pem_try("-----BEGIN A-----\n-----END A-----\n", 4),
	    ACME_ERR_PROTO);
	CHECK_INT(pem_try("-----BEGIN A-----\nZm9v!\n-----END A-----\n", 4),
	    ACME_ERR_PROTO);
	CHECK_INT(pem_try("-----BEGIN A-----\nZm9\n-----END A-----\n", 4),
	    ACME_ERR_PROTO);
	CHECK_INT(pem_try("-----BEGIN A-----\nZg==Zm9v\n-----END A-----\n", 4),
	    ACME_ERR_PROTO);
	CHECK_INT(pem_try("-----BEGIN A-----\nZm9v_-8\n-----END A-----\n", 4),
	    ACME_ERR_PROTO);
	CHECK_INT(pem_try("-----BEGIN RSA PRIVATE KEY-----\n"
	    "Proc-Type: 4,ENCRYPTED\n\nZm9v\n-----END RSA PRIVATE KEY-----\n",
	    4), ACME_ERR_PROTO);
	/* A second BEGIN before the first END. */
	CHECK_INT(pem_try("-----BEGIN A-----\nZm9v\n-----BEGIN A-----\nZm9v\n"
	    "-----END A-----\n", 4), ACME_ERR_PROTO);
	/* The second object is bad: the first does not survive. */
	CHECK_INT(pem_try("-----BEGIN A-----\nZm9v\n-----END A-----\n"
	    "-----BEGIN B-----\nZm9v\n", 4), ACME_ERR_PROTO);
	if ((big = malloc(PEM_MAX + 2)) == NULL)
		return;
	memset(big, '\n', PEM_MAX + 1);
	big[PEM_MAX + 1] = '\0';
	CHECK_INT(pem_try(big, 4), ACME_ERR_LIMIT);
	free(big);
}

/* Parse s, which must succeed. */
static int
json_ok(struct json *j, const char *s)
{
	int rc = json_parse(j, s, strlen(s));

	if (rc != 0)
		fprintf(stderr, "    json_parse(%s): %d\n", s, rc);
	return rc;
}

static void
t_json_nested(void)
{
	static const char doc[] =
	    " {\"status\": \"pending\",\n"
	    "  \"expires\": \"2016-01-05T14:09:07.99Z\",\n"
	    "  \"identifiers\": [ {\"type\": \"dns\",\n"
	    "     \"value\": \"a.example\"},\n"
	    "     {\"type\": \"ip\", \"value\": \"192.0.2.1\"} ],\n"
	    "  \"authorizations\": [\"https://x/a/1\", \"https://x/a/2\"],\n"
	    "  \"empty\": {}, \"none\": [], \"n\": null, \"f\": 1.5e-3 }\r\n";
	struct json j;
	char s[64];
	int ids, id, auth;

	CHECK_INT(json_ok(&j, doc), 0);
	CHECK_INT(json_get_str(&j, 0, "status", s, sizeof(s)), 7);
	CHECK_STR(s, "pending");
	ids = json_get(&j, 0, "identifiers");
	CHECK_INT(json_array_len(&j, ids), 2);
	id = json_array_at(&j, ids, 1);
	CHECK_INT(json_get_str(&j, id, "value", s, sizeof(s)), 9);
	CHECK_STR(s, "192.0.2.1");
	CHECK(json_eq(&j, json_get(&j, id, "type"), "ip"));
	CHECK_INT(json_array_at(&j, ids, 2), NONE);
	CHECK_INT(json_array_at(&j, ids, -1), NONE);
	auth = json_get(&j, 0, "authorizations");
	CHECK_INT(json_array_len(&j, auth), 2);
	CHECK_INT(json_str(&j, json_array_at(&j, auth, 1), s, sizeof(s)), 13);
	CHECK_STR(s, "https://x/a/2");
	CHECK_INT(json_array_len(&j, json_get(&j, 0, "none")), 0);
	CHECK_INT(json_array_at(&j, json_get(&j, 0, "none"), 0), NONE);
	CHECK(json_get(&j, 0, "empty") > 0);
	CHECK_INT(json_get(&j, json_get(&j, 0, "empty"), "x"), NONE);
	CHECK(json_get(&j, 0, "n") > 0);
	CHECK_INT(json_get(&j, 0, "missing"), NONE);
	CHECK_INT(json_get(&j, ids, "type"), NONE);	/* not an object */
	CHECK_INT(json_get(&j, 9999, "type"), NONE);
	CHECK_INT(json_get(&j, -1, "type"), NONE);
	CHECK_INT(json_array_len(&j, 0), NONE);
	CHECK_INT(json_get_str(&j, 0, "missing", s, sizeof(s)),
	    ACME_ERR_PROTO);
	CHECK_INT(json_get_str(&j, 0, "identifiers", s, sizeof(s)),
	    ACME_ERR_PROTO);
	CHECK_INT(json_get_str(&j, 0, "status", s, 4), ACME_ERR_LIMIT);
	CHECK_STR(s, "");
	/* Accessors record nothing: members are often optional. */
	CHECK_STR(err_msg, "");
}

static void
t_json_get_skips(void)
{
	static const char doc[] =
	    "{\"a\":{\"b\":1,\"c\":{\"b\":2,\"d\":[{\"b\":4}]}},"
	    "\"l\":[{\"b\":5},[\"b\",\"b\"]],\"b\":3,"
	    "\"\\u0062x\":6,\"e\":\"b\"}";
	struct json j;

	CHECK_INT(json_ok(&j, doc), 0);
	CHECK(tc_prim_is(&j, json_get(&j, 0, "b"), "3"));
	CHECK(tc_prim_is(&j, json_get(&j, 0, "bx"), "6"));
	CHECK(tc_prim_is(&j, json_get(&j, json_get(&j, 0, "a"), "b"), "1"));
	CHECK_INT(json_get(&j, 0, "d"), NONE);
	CHECK_INT(json_get(&j, 0, "c"), NONE);
	CHECK_INT(json_array_len(&j, json_array_at(&j, json_get(&j, 0, "l"),
	    1)), 2);
	CHECK(json_eq(&j, json_get(&j, 0, "e"), "b"));
	CHECK(!json_eq(&j, json_get(&j, 0, "e"), "bb"));
	CHECK(!json_eq(&j, json_get(&j, 0, "e"), ""));
	CHECK(!json_eq(&j, json_get(&j, 0, "b"), "3"));
}

static void
t_json_escapes(void)
{
	static const char doc[] = "{\"all\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\","
	    "\"e\":\"caf\\u00e9\",\"raw\":\"caf\xc3\xa9 \xe2\x82\xac\","
	    "\"euro\":\"\\u20AC\",\"smile\":\"\\ud83d\\ude00\","
	    "\"SMILE\":\"x\\uD83D\\uDE00y\",\"one\":\"\\u0001\\u007f\"}";
	struct json j;
	char s[32], *d;

	CHECK_INT(json_ok(&j, doc), 0);
	CHECK_INT(json_str(&j, json_get(&j, 0, "all"), s, sizeof(s)), 8);
	CHECK_STR(s, "\"\\/\b\f\n\r\t");
	CHECK_INT(json_str(&j, json_get(&j, 0, "e"), s, sizeof(s)), 5);
	CHECK_STR(s, "caf\xc3\xa9");
	CHECK(json_eq(&j, json_get(&j, 0, "e"), "caf\xc3\xa9"));
	CHECK_INT(json_str(&j, json_get(&j, 0, "raw"), s, sizeof(s)), 9);
	CHECK_STR(s, "caf\xc3\xa9 \xe2\x82\xac");
	CHECK_INT(json_str(&j, json_get(&j, 0, "euro"), s, sizeof(s)), 3);
	CHECK_STR(s, "\xe2\x82\xac");
	CHECK_INT(json_str(&j, json_get(&j, 0, "smile"), s, sizeof(s)), 4);
	CHECK_MEM(s, 5, "\xf0\x9f\x98\x80", 5);
	CHECK_INT(json_str(&j, json_get(&j, 0, "SMILE"), s, sizeof(s)), 6);
	CHECK_STR(s, "x\xf0\x9f\x98\x80y");
	CHECK_INT(json_str(&j, json_get(&j, 0, "one"), s, sizeof(s)), 2);
	CHECK_STR(s, "\x01\x7f");
	d = json_strdup(&j, json_get(&j, 0, "smile"));
	CHECK_STR(d, "\xf0\x9f\x98\x80");
	free(d);
	/* Exactly fitting, then one byte short. */
	CHECK_INT(json_str(&j, json_get(&j, 0, "smile"), s, 5), 4);
	CHECK_INT(json_str(&j, json_get(&j, 0, "smile"), s, 4),
	    ACME_ERR_LIMIT);
	CHECK_INT(json_str(&j, json_get(&j, 0, "smile"), s, 0),
	    ACME_ERR_LIMIT);
	CHECK_INT(json_str(&j, 0, s, sizeof(s)), ACME_ERR_PROTO);
	CHECK(json_strdup(&j, 0) == NULL);
}

/* A one-member document {"s":"<body>"}: the value's json_str result. */
static int
json_str_of(const char *body)
{
	struct json j;
	char doc[128], s[32];
	int rc;

	snprintf(doc, sizeof(doc), "{\"s\":\"%s\"}", body);
	if ((rc = json_parse(&j, doc, strlen(doc))) < 0)
		return rc;
	rc = json_str(&j, json_get(&j, 0, "s"), s, sizeof(s));
	CHECK(json_eq(&j, json_get(&j, 0, "s"), s) == (rc >= 0));
	return rc;
}

static void
t_json_string_reject(void)
{
	CHECK_INT(json_str_of("ok"), 2);
	CHECK_INT(json_str_of("\\ud83d"), ACME_ERR_PROTO);
	CHECK_INT(json_str_of("\\ud83dx"), ACME_ERR_PROTO);
	CHECK_INT(json_str_of("\\ud83d\\u0041"), ACME_ERR_PROTO);
	CHECK_INT(json_str_of("\\ud83d\\ud83d"), ACME_ERR_PROTO);
	CHECK_INT(json_str_of("\\ude00"), ACME_ERR_PROTO);
	CHECK_INT(json_str_of("\\ude00\\ud83d"), ACME_ERR_PROTO);
	CHECK_INT(json_str_of("a\\u0000b"), ACME_ERR_PROTO);
	CHECK_INT(json_str_of("\xff"), ACME_ERR_PROTO);
	CHECK_INT(json_str_of("\xc0\xaf"), ACME_ERR_PROTO);	/* overlong */
	CHECK_INT(json_str_of("\xed\xa0\x80"), ACME_ERR_PROTO); /* surrogate */
	CHECK_INT(json_str_of("\xf4\x90\x80\x80"), ACME_ERR_PROTO);
	CHECK_INT(json_str_of("\xe2\x82"), ACME_ERR_PROTO);	/* truncated */
	CHECK_INT(json_str_of("\xf4\x8f\xbf\xbf"), 4);		/* U+10FFFF */
	/* jsmn refuses these already. */
	CHECK_INT(json_str_of("\\x41"), ACME_ERR_PROTO);
	CHECK_INT(json_str_of("\\u12g4"), ACME_ERR_PROTO);
	CHECK_INT(json_str_of("a\nb"), ACME_ERR_PROTO);
	CHECK_INT(json_str_of("a\tb"), ACME_ERR_PROTO);
	CHECK_INT(json_str_of("\x01"), ACME_ERR_PROTO);
}

static void
t_json_values(void)
{
	static const char doc[] = "{\"t\":true,\"f\":false,\"n\":null,"
	    "\"max\":9223372036854775807,\"min\":-9223372036854775808,"
	    "\"over\":9223372036854775808,\"under\":-9223372036854775809,"
	    "\"z\":-0,\"frac\":1.5,\"exp\":1e3,\"s\":\"1\",\"o\":{}}";
	struct json j;

	CHECK_INT(json_ok(&j, doc), 0);
	CHECK_INT(json_bool(&j, json_get(&j, 0, "t")), 1);
	CHECK_INT(json_bool(&j, json_get(&j, 0, "f")), 0);
	CHECK_INT(json_bool(&j, json_get(&j, 0, "n")), NONE);
	CHECK_INT(json_bool(&j, json_get(&j, 0, "s")), NONE);
	CHECK_INT(json_bool(&j, json_get(&j, 0, "nope")), NONE);
	/* numbers pass json_parse as they are, whatever their size */
	CHECK(tc_prim_is(&j, json_get(&j, 0, "max"), "9223372036854775807"));
	CHECK(tc_prim_is(&j, json_get(&j, 0, "min"), "-9223372036854775808"));
	CHECK(tc_prim_is(&j, json_get(&j, 0, "z"), "-0"));
	CHECK(tc_prim_is(&j, json_get(&j, 0, "over"), "9223372036854775808"));
	CHECK(tc_prim_is(&j, json_get(&j, 0, "under"),
	    "-9223372036854775809"));
	CHECK(tc_prim_is(&j, json_get(&j, 0, "frac"), "1.5"));
	CHECK(tc_prim_is(&j, json_get(&j, 0, "exp"), "1e3"));
	CHECK(tc_prim_is(&j, json_get(&j, 0, "t"), "true"));
	CHECK(tc_prim_is(&j, json_get(&j, 0, "n"), "null"));
	/* a string, an object and no token at all are not primitives */
	CHECK(!tc_prim_is(&j, json_get(&j, 0, "s"), "1"));
	CHECK(!tc_prim_is(&j, json_get(&j, 0, "o"), "{}"));
	CHECK(!tc_prim_is(&j, -1, "1"));
}

static int
json_try(const char *s)
{
	struct json j;

	return json_parse(&j, s, strlen(s));
}

static void
t_json_malformed(void)
{
	static const char *const bad[] = {
	    "", " ", "{", "}", "{\"a\":1", "{\"a\":\"b", "{\"a\"", "{\"a\":",
	    "{\"a\":{}", "[1]", "[]", "\"x\"", "1", "true", "null",
	    "{\"a\":1,}", "{,\"a\":1}", "{\"a\":1,,\"b\":2}", "{\"a\" 1}",
	    "{\"a\":1 \"b\":2}", "{\"a\"::1}", "{\"a\":1:2}", "{\"a\"}",
	    "{\"a\":}", "{:1}", "{1:2}", "{\"a\":[1,]}", "{\"a\":[,1]}",
	    "{\"a\":[1 2]}", "{\"a\":[1:2]}", "{\"a\":[\"b\":1]}",
	    "{\"a\":\"b\":1}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":falsey}",
	    "{\"a\":True}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}",
	    "{\"a\":-}", "{\"a\":+1}", "{\"a\":1e}", "{\"a\":1e+}",
	    "{\"a\":0x10}", "{\"a\":1}}", "{\"a\":1}]", "{\"a\":[}",
	    "{}{}", "{} x", "{},", "x{}", "{\"a\":'b'}", "{a:1}",
	    "{\"a\":\"\\q\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"x\ny\"}",
	    "{\"a\":[1]]}", "{\"a\":{\"b\":1]}", "{\"\xc3\xa9\":\xc3\xa9}",
	    "\xef\xbb\xbf{}",
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = json_try(bad[i]);
		if (rc != ACME_ERR_PROTO) {
			fprintf(stderr, "    accepted or wrong error: %s\n",
			    bad[i]);
			CHECK_INT(rc, ACME_ERR_PROTO);
		}
	}
	/* A NUL jsmn would stop at. */
	{
		struct json j;

		CHECK_INT(json_parse(&j, "{\"a\":1}\0{", 9), ACME_ERR_PROTO);
		CHECK_INT(json_parse(&j, "{\"a\":\"\0\"}", 9), ACME_ERR_PROTO);
		CHECK_INT(j.ntok, 0);
		CHECK_INT(json_get(&j, 0, "a"), NONE);
	}
	CHECK_INT(json_try("{}"), 0);
	CHECK_INT(json_try(" \t\r\n{ \"a\" : [ 1 , -2.5E+3 , {} ] } \n"), 0);
	CHECK_INT(json_try("{\"a\":\"\\u0041\"}"), 0);
	CHECK_INT(json_try("{\"a\":\"\x7f\"}"), 0);
}

static void
t_json_token_limit(void)
{
	struct buf b = { 0 };
	struct json j;
	int i, rc;

	/* {"a":[0,0,...]} holds 3 + n tokens. */
	buf_puts(&b, "{\"a\":[0");
	for (i = 1; i < JSON_TOKENS_MAX - 3; i++)
		buf_puts(&b, ",0");
	buf_puts(&b, "]}");
	CHECK_INT(json_parse(&j, (char *)b.data, b.len), 0);
	CHECK_INT(j.ntok, JSON_TOKENS_MAX);
	CHECK_INT(json_array_len(&j, json_get(&j, 0, "a")),
	    JSON_TOKENS_MAX - 3);
	b.len -= 2;
	buf_puts(&b, ",0]}");
	err_clear();
	rc = json_parse(&j, (char *)b.data, b.len);
	CHECK_INT(rc, ACME_ERR_PROTO);
	CHECK_STR(err_msg, "JSON has more than 1024 tokens");
	CHECK_INT(j.ntok, 0);
	/* Far more tokens than that. */
	for (i = 0; i < 10 * JSON_TOKENS_MAX; i++)
		buf_puts(&b, "{\"a\":[1,2,3]}");
	CHECK_INT(json_parse(&j, (char *)b.data, b.len), ACME_ERR_PROTO);
	buf_free(&b);
	err_clear();
}

/* {"a":{"a":...}} with n objects in all. */
static int
json_nest(int n, int arrays)
{
	struct buf b = { 0 };
	struct json j;
	int i, rc;

	buf_puts(&b, "{");
	for (i = 1; i < n; i++)
		buf_puts(&b, arrays ? "\"a\":[[{" : "\"a\":{");
	for (i = 1; i < n; i++)
		buf_puts(&b, arrays ? "}]]" : "}");
	buf_puts(&b, "}");
	rc = json_parse(&j, (char *)b.data, b.len);
	buf_free(&b);
	return rc;
}

static void
t_json_depth(void)
{
	char deep[4096];
	int i;

	CHECK_INT(json_nest(JSON_DEPTH_MAX, 0), 0);
	CHECK_INT(json_nest(JSON_DEPTH_MAX + 1, 0), ACME_ERR_PROTO);
	CHECK_INT(json_nest(1 + (JSON_DEPTH_MAX - 1) / 3, 1), 0);
	CHECK_INT(json_nest(2 + (JSON_DEPTH_MAX - 1) / 3, 1), ACME_ERR_PROTO);
	/* Deeper than the token array: an error, not a crash. */
	memset(deep, '[', sizeof(deep) - 1);
	deep[0] = '{';
	deep[sizeof(deep) - 1] = '\0';
	CHECK_INT(json_try(deep), ACME_ERR_PROTO);
	for (i = 0; i < 2000; i++)
		memcpy(deep + 2 * i, "{[", 2);
	CHECK_INT(json_try(deep), ACME_ERR_PROTO);
}

static void
t_json_truncated(void)
{
	static const char doc[] = "{\"a\":[1,{\"b\":\"c\\u00e9\\n\"},true],"
	    "\"d\":-1.5e3,\"e\":null}";
	struct json j;
	size_t n;

	CHECK_INT(json_parse(&j, doc, strlen(doc)), 0);
	for (n = 0; n < strlen(doc); n++)
		if (json_parse(&j, doc, n) != ACME_ERR_PROTO) {
			fprintf(stderr, "    prefix %zu accepted\n", n);
			CHECK(0);
		}
}

static void
t_jw_basic(void)
{
	struct buf b = { 0 };
	struct jw w;

	jw_init(&w, &b);
	jw_obj_open(&w, NULL);
	jw_str(&w, "a", "x");
	jw_int(&w, "n", -5);
	jw_int(&w, "big", LLONG_MIN);
	jw_bool(&w, "t", 1);
	jw_bool(&w, "f", 0);
	jw_arr_open(&w, "arr");
	jw_int(&w, NULL, 1);
	jw_str(&w, NULL, "s");
	jw_obj_open(&w, NULL);
	jw_bool(&w, "k", 0);
	jw_obj_close(&w);
	jw_arr_open(&w, NULL);
	jw_arr_close(&w);
	jw_arr_close(&w);
	jw_obj_open(&w, "o");
	jw_obj_close(&w);
	jw_raw(&w, "raw", "{\"kty\":\"EC\"}");
	jw_strn(&w, "sn", "abcdef", 3);
	jw_obj_close(&w);
	CHECK_INT(jw_finish(&w), 0);
	CHECK_STR((char *)b.data, "{\"a\":\"x\",\"n\":-5,"
	    "\"big\":-9223372036854775808,\"t\":true,\"f\":false,"
	    "\"arr\":[1,\"s\",{\"k\":false},[]],\"o\":{},"
	    "\"raw\":{\"kty\":\"EC\"},\"sn\":\"abc\"}");
	buf_free(&b);
	jw_init(&w, &b);
	jw_obj_open(&w, NULL);
	jw_obj_close(&w);
	CHECK_INT(jw_finish(&w), 0);
	CHECK_STR((char *)b.data, "{}");
	buf_free(&b);
}

static void
t_jw_escape(void)
{
	static const char nasty[] = "q\"b\\s/n\nc\x01\x1f\x7f"
	    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	struct buf b = { 0 };
	struct json j;
	struct jw w;
	char s[64];
	char all[32];
	int i;

	jw_init(&w, &b);
	jw_obj_open(&w, NULL);
	jw_str(&w, "k\"ey", nasty);
	jw_strn(&w, "nul", "a\0b", 3);
	jw_obj_close(&w);
	CHECK_INT(jw_finish(&w), 0);
	CHECK_STR((char *)b.data, "{\"k\\\"ey\":\"q\\\"b\\\\s/n\\u000ac"
	    "\\u0001\\u001f\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\","
	    "\"nul\":\"a\\u0000b\"}");
	/* What the writer writes, the reader reads back. */
	CHECK_INT(json_parse(&j, (char *)b.data, b.len), 0);
	CHECK_INT(json_get_str(&j, 0, "k\"ey", s, sizeof(s)),
	    strlen(nasty));
	CHECK_STR(s, nasty);
	buf_free(&b);
	for (i = 0; i < 31; i++)
		all[i] = (char)(i + 1);
	all[31] = '\0';
	jw_init(&w, &b);
	jw_obj_open(&w, NULL);
	jw_str(&w, "c", all);
	jw_obj_close(&w);
	CHECK_INT(jw_finish(&w), 0);
	CHECK_INT(json_parse(&j, (char *)b.data, b.len), 0);
	CHECK_INT(json_get_str(&j, 0, "c", s, sizeof(s)), 31);
	CHECK_STR(s, all);
	buf_free(&b);
}

/* Run one misuse of the writer; returns jw_finish(). */
static int
jw_misuse(int which)
{
	struct buf b = { 0 };
	struct jw w;
	int i, rc;

	jw_init(&w, &b);
	switch (which) {
	case 0:		/* key at top level */
		jw_obj_open(&w, "k");
		break;
	case 1:		/* member without a key */
		jw_obj_open(&w, NULL);
		jw_str(&w, NULL, "v");
		break;
	case 2:		/* key inside an array */
		jw_arr_open(&w, NULL);
		jw_int(&w, "k", 1);
		break;
	case 3:		/* unclosed */
		jw_obj_open(&w, NULL);
		break;
	case 4:		/* close without open */
		jw_obj_close(&w);
		break;
	case 5:		/* mismatched close */
		jw_obj_open(&w, NULL);
		jw_arr_close(&w);
		break;
	case 6:		/* two top-level values */
		jw_obj_open(&w, NULL);
		jw_obj_close(&w);
		jw_obj_open(&w, NULL);
		jw_obj_close(&w);
		break;
	case 7:		/* invalid UTF-8 */
		jw_obj_open(&w, NULL);
		jw_str(&w, "k", "a\xc3(");
		jw_obj_close(&w);
		break;
	case 8:		/* too deep */
		jw_obj_open(&w, NULL);
		for (i = 0; i < JSON_DEPTH_MAX; i++)
			jw_arr_open(&w, i == 0 ? "a" : NULL);
		break;
	case 9:		/* nothing */
		break;
	case 10:	/* NULL string */
		jw_obj_open(&w, NULL);
		jw_str(&w, "k", NULL);
		jw_obj_close(&w);
		break;
	}
	rc = jw_finish(&w);
	buf_free(&b);
	return rc;
}

static void
t_jw_errors(void)
{
	struct buf b = { 0 };
	struct jw w;
	size_t len;
	int i;

	for (i = 0; i <= 10; i++)
		if (jw_misuse(i) != ACME_ERR_USAGE) {
			fprintf(stderr, "    misuse %d\n", i);
			CHECK_INT(jw_misuse(i), ACME_ERR_USAGE);
		}
	/* Exactly JSON_DEPTH_MAX containers are fine. */
	jw_init(&w, &b);
	for (i = 0; i < JSON_DEPTH_MAX; i++)
		jw_arr_open(&w, NULL);
	for (i = 0; i < JSON_DEPTH_MAX; i++)
		jw_arr_close(&w);
	CHECK_INT(jw_finish(&w), 0);
	buf_free(&b);
	/* Overflow is sticky: nothing more is written after it. */
	b.max = 24;
	jw_init(&w, &b);
	jw_obj_open(&w, NULL);
	jw_str(&w, "k", "0123456789");
	CHECK_INT(w.err, 0);
	jw_str(&w, "l", "0123456789");
	CHECK_INT(w.err, ACME_ERR_LIMIT);
	len = b.len;
	jw_obj_close(&w);
	jw_int(&w, "m", 1);
	CHECK_INT(b.len, len);
	CHECK_INT(jw_finish(&w), ACME_ERR_LIMIT);
	CHECK_INT(jw_finish(&w), ACME_ERR_LIMIT);
	buf_free(&b);
	err_clear();
}

static const struct unit_test tests_enc[] = {
	{ "b64u_rfc4648", t_b64u_rfc4648 },
	{ "b64u_url_alphabet", t_b64u_url_alphabet },
	{ "b64u_roundtrip", t_b64u_roundtrip },
	{ "b64u_decode_reject", t_b64u_decode_reject },
	{ "b64u_token", t_b64u_token },
	{ "hex", t_hex },
	{ "pem_vector", t_pem_vector },
	{ "pem_roundtrip", t_pem_roundtrip },
	{ "pem_multi", t_pem_multi },
	{ "pem_reject", t_pem_reject },
	{ "json_nested", t_json_nested },
	{ "json_get_skips", t_json_get_skips },
	{ "json_escapes", t_json_escapes },
	{ "json_string_reject", t_json_string_reject },
	{ "json_values", t_json_values },
	{ "json_malformed", t_json_malformed },
	{ "json_token_limit", t_json_token_limit },
	{ "json_depth", t_json_depth },
	{ "json_truncated", t_json_truncated },
	{ "jw_basic", t_jw_basic },
	{ "jw_escape", t_jw_escape },
	{ "jw_errors", t_jw_errors },
	{ NULL, NULL }
};
