/*
 * t_imports.c - unit tests of section 19 (List, restore and imports) and
 * the hook environment (section 14): certbot's configobj values, acme.sh's
 * quoted and base64 values, private JWKs (RFC 7515 A.3's P-256 key; an RSA
 * key round trip), the environment a hook gets, how a tree is read (no
 * link followed, no file of another user's), an account's server, and
 * the copies --copy-key writes.
 */

static void
t_imp_cb_value(void)
{
	static const struct {
		const char	*in, *out;
		int		 n;
	} v[] = {
		{ "\"echo a, b\"", "echo a, b", 1 },
		{ "'echo \"x\" # y'", "echo \"x\" # y", 1 },
		{ "'''echo 'q' \"d\"'''", "echo 'q' \"d\"", 1 },
		{ "/var/www/x,", "/var/www/x", 1 },
		{ "/var/www/x, /v y", "/var/www/x", 2 },
		{ "\"  lead\"", "  lead", 1 },
		{ "\"\"", "", 1 },
		{ "a=b", "a=b", 1 },
		{ "value   # comment", "value", 1 },
		{ "", "", 0 },
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", v[i].in);
		CHECK_INT(imp_cb_value(buf), v[i].n);
		CHECK_STR(buf, v[i].out);
	}
	snprintf(buf, sizeof(buf), "'unterminated");
	CHECK_INT(imp_cb_value(buf), NONE);
	snprintf(buf, sizeof(buf), "'''open");
	CHECK_INT(imp_cb_value(buf), NONE);
}

static void
t_imp_sh_value(void)
{
	static const struct {
		const char	*in, *out;
	} v[] = {
		{ "'a b'", "a b" },
		{ "\"x\\\"y\\$z\"", "x\"y$z" },
		{ "2048", "2048" },
		{ "''", "" },
		{ "'it'\\''s'", "it's" },	/* acme.sh's quote in a value */
		{ "'__ACME_BASE64__START_c2VydmljZSBuZ2lueCByZWxvYWQ="
		    "__ACME_BASE64__END_'", "service nginx reload" },
	};
	char buf[128];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", v[i].in);
		CHECK_INT(imp_sh_value(buf), 0);
		CHECK_STR(buf, v[i].out);
	}
	snprintf(buf, sizeof(buf), "'__ACME_BASE64__START_!!__ACME_BASE64__END_'");
	CHECK_INT(imp_sh_value(buf), NONE);
	snprintf(buf, sizeof(buf), "\"open");
	CHECK_INT(imp_sh_value(buf), NONE);
	CHECK_STR(err_msg, "");
}

/* A JWK from text into k; its thumbprint into tp. */
static int
imp_t_jwk(const char *json, struct key *k, char *tp)
{
	struct buf b = { 0 };
	int rc;

	if ((rc = buf_puts(&b, json)) == 0 &&
	    (rc = imp_jwk_key(&b, k)) == 0)
		rc = jwk_thumbprint(k, tp, THUMBPRINT_LEN + 1);
	buf_free(&b);
	return rc;
}

static void
t_imp_jwk_ec(void)
{
	char json[512], tp[THUMBPRINT_LEN + 1], want[THUMBPRINT_LEN + 1];
	unsigned char h[32];
	struct key k;
	const char *x = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
	const char *y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

	memset(&k, 0, sizeof(k));
	snprintf(json, sizeof(json), "{\"kty\":\"EC\",\"crv\":\"P-256\","
	    "\"d\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}", tc_a3_d, x, y);
	CHECK_INT(imp_t_jwk(json, &k, tp), 0);
	CHECK_INT(k.type, KEY_EC256);
	/* RFC 7638: SHA-256 of the public JWK, members sorted */
	key_sha256(tc_a3_jwk, strlen(tc_a3_jwk), h);
	b64u_encode(want, h, sizeof(h));
	CHECK_STR(tp, want);
	key_free(&k);
	/* another y: not d's public key */
	snprintf(json, sizeof(json), "{\"kty\":\"EC\",\"crv\":\"P-256\","
	    "\"d\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}", tc_a3_d, x, x);
	CHECK(imp_t_jwk(json, &k, tp) < 0);
	CHECK(strstr(err_msg, "not the public key") != NULL);
	err_clear();
	CHECK_INT(k.set, 0);
	snprintf(json, sizeof(json), "{\"kty\":\"EC\",\"crv\":\"P-521\","
	    "\"d\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}", tc_a3_d, x, y);
	CHECK(imp_t_jwk(json, &k, tp) < 0);
	CHECK(strstr(err_msg, "P-521") != NULL);
	err_clear();
	CHECK(imp_t_jwk("{\"kty\":\"oct\",\"k\":\"AAAA\"}", &k, tp) < 0);
	err_clear();
	CHECK(imp_t_jwk("{\"kty\":\"EC\",\"crv\":\"P-256\"}", &k, tp) < 0);
	CHECK(strstr(err_msg, "\"d\"") != NULL);
	err_clear();
}

/* "name":"base64url(v)", into b. */
static void
imp_t_member(struct buf *b, const char *name, const void *v, size_t len)
{
	char *s = b64u_encode_alloc(v, len);

	buf_printf(b, "%s\"%s\":\"", b->len > 1 ? "," : "", name);
	buf_puts(b, s ? s : "");
	buf_puts(b, "\"");
	free(s);
}

/* The private JWK of an RSA key, as certbot writes one; bad: n spoilt. */
static void
imp_t_rsa_jwk(const struct key *k, struct buf *b, int bad)
{
	const struct key_rsa *r = &k->u.rsa;
	unsigned char n[RSA_BITS_MAX / 8];

	memcpy(n, r->pk.n, r->pk.nlen);
	n[r->pk.nlen - 1] ^= (unsigned char)bad * 2;
	buf_puts(b, "{");
	imp_t_member(b, "n", n, r->pk.nlen);
	imp_t_member(b, "e", r->pk.e, r->pk.elen);
	imp_t_member(b, "d", r->d, r->dlen);
	imp_t_member(b, "p", r->sk.p, r->sk.plen);
	imp_t_member(b, "q", r->sk.q, r->sk.qlen);
	imp_t_member(b, "dp", r->sk.dp, r->sk.dplen);
	imp_t_member(b, "dq", r->sk.dq, r->sk.dqlen);
	imp_t_member(b, "qi", r->sk.iq, r->sk.iqlen);
	buf_puts(b, ",\"kty\":\"RSA\"}");
}

static void
t_imp_jwk_rsa(void)
{
	char a[THUMBPRINT_LEN + 1], b[THUMBPRINT_LEN + 1];
	struct buf j = { .max = 16384 };
	struct key k, got;

	memset(&k, 0, sizeof(k));
	memset(&got, 0, sizeof(got));
	CHECK_INT(key_generate(&k, KEY_RSA2048), 0);
	imp_t_rsa_jwk(&k, &j, 0);
	CHECK_INT(imp_t_jwk((const char *)j.data, &got, b), 0);
	CHECK_INT(got.type, KEY_RSA2048);
	CHECK_INT(jwk_thumbprint(&k, a, sizeof(a)), 0);
	CHECK_STR(a, b);
	buf_free(&j);
	key_free(&got);
	j.max = 16384;
	imp_t_rsa_jwk(&k, &j, 1);
	CHECK(imp_t_jwk((const char *)j.data, &got, b) < 0);
	CHECK(strstr(err_msg, "p * q") != NULL);
	err_clear();
	CHECK_INT(got.set, 0);
	buf_free(&j);
	key_free(&k);
}

/* Is entry in the NULL-terminated env exactly once (and not v2)? */
static int
imp_t_env_has(const char **env, const char *entry)
{
	int n = 0;

	for (; *env != NULL; env++)
		n += strcmp(*env, entry) == 0;
	return n;
}

static void
t_hook_env(void)
{
	static const char *const ours[] = { "ACME_NAME=x", NULL };
	const char **env;
	char *path = getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;

	setenv("IMP_T_CALLER", "from cron", 1);
	setenv("ACME_NAME", "spoof", 1);
	setenv("ACME_EAB_HMAC", "c2VjcmV0", 1);
	env = hook_env(ours);
	CHECK(env != NULL);
	CHECK_INT(imp_t_env_has(env, "IMP_T_CALLER=from cron"), 1);
	CHECK_INT(imp_t_env_has(env, "ACME_EAB_HMAC=c2VjcmV0"), 0);
	CHECK_INT(imp_t_env_has(env, "ACME_NAME=x"), 1);
	CHECK_INT(imp_t_env_has(env, "ACME_NAME=spoof"), 0);
	if (path != NULL) {
		CHECK(strlen(path) < 4000);
		free(env);
		unsetenv("PATH");
		env = hook_env(ours);
		CHECK_INT(imp_t_env_has(env, HOOK_PATH), 1);
		setenv("PATH", path, 1);
	}
	free(env);
	free(path);
	unsetenv("IMP_T_CALLER");
	unsetenv("ACME_NAME");
	unsetenv("ACME_EAB_HMAC");
}

/* A file name of core_tmp with data and mode. */
static void
imp_t_file(int fd, const char *name, mode_t mode)
{
	CHECK_INT(store_write(fd, name, "x\n", 2, mode), 0);
	CHECK_INT(fchmodat(fd, name, mode, 0), 0);
}

/* imp_open of path below r's tree: rc, and whether it refused it. */
static void
imp_t_open(struct imp_run *r, const char *path, int want, int refused,
    const char *msg)
{
	int fd;

	r->refused = 0;
	fd = imp_open(r, path, 0);
	if (fd >= 0)
		close(fd);
	CHECK_INT(fd >= 0 ? 0 : fd, want);
	CHECK_INT(r->refused, refused);
	CHECK(msg == NULL || strstr(err_msg, msg) != NULL);
	err_clear();
}

/* The tree is read without a link, from root or the user running acme,
 * writable by no one else; nothing outside it. */
static void
t_imp_open(void)
{
	struct imp_run r;
	struct buf b = { 0 };
	int fd = core_tmpdir(), d;

	CHECK(fd >= 0);
	imp_t_run(&r, fd, &imp_acmesh);
	CHECK_INT(mkdirat(fd, "d", 0700), 0);
	d = openat(fd, "d", O_RDONLY | O_DIRECTORY);
	imp_t_file(d, "f", 0600);
	close(d);
	imp_t_file(fd, "g", 0620);
	imp_t_file(fd, "u", 0600);
	CHECK_INT(symlinkat("/etc/passwd", fd, "link"), 0);
	CHECK_INT(symlinkat("d", fd, "dl"), 0);
	CHECK_INT(imp_read(&r, "d/f", &b, 64), 0);
	CHECK_INT((int)b.len, 2);
	buf_free(&b);
	imp_t_open(&r, "d/f", 0, 0, NULL);
	imp_t_open(&r, "link", ACME_ERR_USAGE, 1, "/link is a symbolic link");
	imp_t_open(&r, "dl/f", ACME_ERR_USAGE, 1, "/dl is a symbolic link");
	imp_t_open(&r, "d/../d/f", ACME_ERR_USAGE, 0, "no file of the tree");
	imp_t_open(&r, "none/f", STORE_ABSENT, 0, NULL);
	imp_t_open(&r, "g", ACME_ERR_USAGE, 1, "/g is writable by group or "
	    "others: chmod go-w ");
	imp_t_open(&r, "d", ACME_ERR_IO, 0, "not a regular file");
	if (geteuid() == 0) {
		CHECK_INT(fchownat(fd, "u", 1000, 0, 0), 0);
		imp_t_open(&r, "u", ACME_ERR_USAGE, 1, "/u belongs to uid "
		    "1000, neither root nor the user running acme: chown 0 ");
	}
	core_rmtmp(fd);
}

/* An account URL is on its server's scheme, host and port. */
static void
t_imp_acct_url(void)
{
	static const struct {
		const char	*server, *url;
		int		 rc;
	} v[] = {
		{ "https://ca.example/dir", "https://ca.example/acct/1", 0 },
		{ "https://ca.example/dir", "https://CA.example:443/a", 0 },
		{ "https://ca.example:14000/d", "https://ca.example:14000/a", 0 },
		{ "https://ca.example/dir", "", 0 },
		{ "https://ca.example:14000/d", "https://ca.example/a",
		    ACME_ERR_USAGE },
		{ "https://ca.example/dir", "https://evil.example/a",
		    ACME_ERR_USAGE },
		{ "https://ca.example/dir", "http://ca.example/a",
		    ACME_ERR_USAGE },
		{ "https://ca.example/dir", "https://ca.example@evil/a",
		    ACME_ERR_USAGE },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CHECK_INT(imp_acct_url_ok(v[i].server, v[i].url), v[i].rc);
		err_clear();
	}
}

/* --copy-key: written by rename beside its target, whose mode it keeps;
 * never through a link, nor into a directory others can write. */
static void
t_store_copy(void)
{
	struct store_copy c;
	struct buf b = { 0 };
	struct stat st;
	char path[128], link[128];
	int fd = core_tmpdir();

	CHECK(fd >= 0);
	buf_puts(&b, "new\n");
	snprintf(path, sizeof(path), "%s/key.pem", core_tmp);
	snprintf(link, sizeof(link), "%s/link.pem", core_tmp);
	CHECK_INT(store_copy_stage(&c, path, &b, 1), 0);
	CHECK_INT(store_copy_commit(&c), 0);
	CHECK_INT(fstatat(fd, "key.pem", &st, 0), 0);
	CHECK_INT((int)(st.st_mode & 0777), 0600);
	CHECK_INT(fchmodat(fd, "key.pem", 0640, 0), 0);
	CHECK_INT(store_copy_stage(&c, path, &b, 1), 0);
	CHECK_INT(store_copy_commit(&c), 0);
	CHECK_INT(fstatat(fd, "key.pem", &st, 0), 0);
	CHECK_INT((int)(st.st_mode & 0777), 0640);
	CHECK_INT(symlinkat("/etc/passwd", fd, "link.pem"), 0);
	CHECK_INT(store_copy_check(link), ACME_ERR_USAGE);
	CHECK(strstr(err_msg, "link.pem is no regular file") != NULL);
	err_clear();
	CHECK_INT(store_copy_check("key.pem"), ACME_ERR_USAGE);
	err_clear();
	CHECK_INT(fchmod(fd, 0730), 0);
	CHECK_INT(store_copy_check(path), ACME_ERR_USAGE);
	CHECK(strstr(err_msg, "writable by group or others") != NULL);
	err_clear();
	/* nothing staged is left behind */
	CHECK_INT(fchmod(fd, 0700), 0);
	CHECK_INT(core_count(fd, "."), 2);
	buf_free(&b);
	core_rmtmp(fd);
}

static const struct unit_test tests_import[] = {
	{ "imp_cb_value", t_imp_cb_value },
	{ "imp_sh_value", t_imp_sh_value },
	{ "imp_jwk_ec", t_imp_jwk_ec },
	{ "imp_jwk_rsa", t_imp_jwk_rsa },
	{ "hook_env", t_hook_env },
	{ "imp_open", t_imp_open },
	{ "imp_acct_url", t_imp_acct_url },
	{ "store_copy", t_store_copy },
	{ NULL, NULL },
};
