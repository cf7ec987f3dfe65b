/*
 * t_challenges.c - unit tests of section 14 (Challenges): wildcard
 * identifiers, the choice of challenge, the challenge hook runner, the tls-
 * alpn-01 certificate, real handshakes with the tls-alpn-01 responder, the
 * http-01 responder serving clients at once, what its child gives up; the
 * dns-api's saved settings, script lookup and callback checks.
 */

static char chal_tmp[] = "/tmp/acme-unit-chal.XXXXXX";

/* Remove the temp directory and the files the tests put there. */
static void
chal_rmtmp(void)
{
	static const char *const files[] = { "hook", "out", "slow", "pids" };
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", chal_tmp, files[i]);
		unlink(path);
	}
	rmdir(chal_tmp);
}

/* A fresh temp directory per run, removed at exit; its path, or NULL. */
static const char *
chal_tmpdir(void)
{
	static int made;

	if (!made && mkdtemp(chal_tmp) == NULL)
		return NULL;
	if (!made)
		atexit(chal_rmtmp);
	made = 1;
	return chal_tmp;
}

/* Write an executable script path with body (after "#!/bin/sh\n"). */
static void
chal_script(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f == NULL)
		return;
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	CHECK(chmod(path, 0755) == 0);
}

static void
t_ident_wildcard(void)
{
	struct ident id;

	CHECK_INT(ident_parse("*.Example.COM", &id), 0);
	CHECK_STR(id.value, "*.example.com");
	CHECK(ident_is_wildcard(&id));
	CHECK_INT(ident_parse("example.com", &id), 0);
	CHECK(!ident_is_wildcard(&id));
	CHECK_INT(ident_parse("*.com", &id), ACME_ERR_USAGE);
	CHECK_INT(ident_parse("*", &id), ACME_ERR_USAGE);
	CHECK_INT(ident_parse("*.", &id), ACME_ERR_USAGE);
	CHECK_INT(ident_parse("**.example.com", &id), ACME_ERR_USAGE);
	CHECK_INT(ident_parse("*.*.example.com", &id), ACME_ERR_USAGE);
	CHECK_INT(ident_parse("a.*.example.com", &id), ACME_ERR_USAGE);
	CHECK_INT(ident_parse("*a.example.com", &id), ACME_ERR_USAGE);
	CHECK_INT(ident_parse("*.1.2.3.4", &id), ACME_ERR_USAGE);
	err_clear();
}

static void
t_chal_reverse(void)
{
	char out[CHAL_REVERSE_MAX];
	struct ident id;

	CHECK_INT(ident_parse("192.0.2.10", &id), 0);
	chal_reverse_name(&id, out, sizeof(out));
	CHECK_STR(out, "10.2.0.192.in-addr.arpa");
	/* RFC 3596 2.5's example address */
	CHECK_INT(ident_parse("4321:0:1:2:3:4:567:89ab", &id), 0);
	chal_reverse_name(&id, out, sizeof(out));
	CHECK_STR(out, "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0."
	    "0.0.1.2.3.4.ip6.arpa");
}

/* The ways tried, as text: "http-01/0 dns-01/2" (type/how). */
static const char *
chal_ways(const struct chal_ctx *c)
{
	static char out[128];
	struct chal_cand w[CHAL_CANDS_MAX];
	size_t n = chal_candidates(c, w), i;

	out[0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out),
		    "%s%s/%d", i ? " " : "", chal_type_names[w[i].type],
		    (int)w[i].how);
	return out;
}

static void
t_chal_candidates(void)
{
	struct chal_ctx *c = calloc(1, sizeof(*c));
	struct ident dns, ip;

	CHECK(c != NULL);
	if (c == NULL)
		return;
	chal_init(c);
	c->standalone = 1;
	CHECK_STR(chal_ways(c), "http-01/1");
	c->want = CHAL_TLSALPN01;
	CHECK_STR(chal_ways(c), "tls-alpn-01/1");
	strcpy(c->hook, "/bin/true");
	CHECK_STR(chal_ways(c), "tls-alpn-01/1 tls-alpn-01/2");
	c->want = -1;
	CHECK_STR(chal_ways(c), "http-01/1 dns-01/2 http-01/2 tls-alpn-01/2");
	c->want = CHAL_DNS01;
	CHECK_STR(chal_ways(c), "dns-01/2");
	c->standalone = 0;
	c->webroot = "/var/www";
	CHECK_STR(chal_ways(c), "dns-01/2");
	c->want = CHAL_HTTP01;
	CHECK_STR(chal_ways(c), "http-01/0 http-01/2");
	CHECK_INT(ident_parse("example.com", &dns), 0);
	CHECK_INT(ident_parse("::1", &ip), 0);
	CHECK(chal_fits(CHAL_DNS01, &dns, 0) && chal_fits(CHAL_DNS01, &dns, 1));
	CHECK(!chal_fits(CHAL_HTTP01, &dns, 1));
	CHECK(!chal_fits(CHAL_TLSALPN01, &dns, 1));
	CHECK(!chal_fits(CHAL_DNS01, &ip, 0));
	CHECK(chal_fits(CHAL_HTTP01, &ip, 0));
	CHECK(chal_fits(CHAL_TLSALPN01, &ip, 0));
	CHECK_INT(chal_type_parse("tls-alpn-01"), CHAL_TLSALPN01);
	CHECK_INT(chal_type_parse("dns"), NONE);
	/* dns-persist-01: the one way when asked for, never otherwise;
	 * DNS names and wildcards, no IP addresses */
	c->want = CHAL_DNSPERSIST01;
	CHECK_STR(chal_ways(c), "dns-persist-01/3");
	c->want = -1;
	CHECK(strstr(chal_ways(c), "persist") == NULL);
	CHECK_INT(chal_type_parse("dns-persist-01"), CHAL_DNSPERSIST01);
	CHECK(chal_fits(CHAL_DNSPERSIST01, &dns, 0));
	CHECK(chal_fits(CHAL_DNSPERSIST01, &dns, 1));
	CHECK(!chal_fits(CHAL_DNSPERSIST01, &ip, 0));
	free(c);
}

/* Issuer domain names as a dns-persist-01 record names them (draft 3.1):
 * lowercase, no trailing dot, RFC 8659 issuer-domain-name syntax. */
static void
t_persist_issuer(void)
{
	static const char *const bad[] = {
		"", ".", "ca..example", ".ca.example", "ca.example..",
		"-ca.example", "ca-.example", "ca.-example", "ca_x.example",
		"ca example", "b\xc3\xbc" "cher.example", "ca.example;",
	};
	char out[IDENT_LEN_MAX + 1], big[300];
	size_t i;

	CHECK_INT(chal_persist_issuer("CA.Example.COM.", out, sizeof(out)),
	    0);
	CHECK_STR(out, "ca.example.com");
	CHECK_INT(chal_persist_issuer("Pebble.LetsEncrypt.ORG", out,
	    sizeof(out)), 0);
	CHECK_STR(out, "pebble.letsencrypt.org");
	CHECK_INT(chal_persist_issuer("XN--BCHER-KVA.example.", out,
	    sizeof(out)), 0);
	CHECK_STR(out, "xn--bcher-kva.example");
	CHECK_INT(chal_persist_issuer("localhost.", out, sizeof(out)), NONE);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (chal_persist_issuer(bad[i], out, sizeof(out)) != NONE) {
			fprintf(stderr, "    accepted '%s'\n", bad[i]);
			CHECK(0);
		}
	/* a 63-byte label passes, 64 not; 253 bytes pass, 254 not */
	memset(big, 'a', 63);
	strcpy(big + 63, ".example");
	CHECK_INT(chal_persist_issuer(big, out, sizeof(out)), 0);
	memset(big, 'a', 64);
	strcpy(big + 64, ".example");
	CHECK_INT(chal_persist_issuer(big, out, sizeof(out)), NONE);
	for (i = 0; i < 253; i++)
		big[i] = i % 2 ? '.' : 'a';
	big[253] = '\0';
	CHECK_INT(chal_persist_issuer(big, out, sizeof(out)), 0);
	big[253] = '.';			/* the trailing dot does not count */
	big[254] = '\0';
	CHECK_INT(chal_persist_issuer(big, out, sizeof(out)), 0);
	big[254] = 'a';
	big[255] = '\0';
	CHECK_INT(chal_persist_issuer(big, out, sizeof(out)), NONE);
	CHECK_INT(chal_persist_issuer("ca.example", out, 5), NONE);
}

/* The record line of persist-record: the draft's syntax to the byte. */
static void
t_persist_record(void)
{
	static const struct {
		const char	*name, *issuer;
		int		 wildcard;
		int64_t		 until;
		const char	*want;
	} ok[] = {
		{ "example.com", "authority.example", 0, 0,
		    "_validation-persist.example.com. IN TXT \"authority."
		    "example; accounturi=https://ca.example/acct/123\"" },
		{ "example.com", "authority.example", 1, 0,
		    "_validation-persist.example.com. IN TXT \"authority."
		    "example; accounturi=https://ca.example/acct/123; "
		    "policy=wildcard\"" },
		{ "example.com", "authority.example", 0, 1721952000,
		    "_validation-persist.example.com. IN TXT \"authority."
		    "example; accounturi=https://ca.example/acct/123; "
		    "persistUntil=1721952000\"" },
		{ "sub.example.org", "ca1.example", 1, 1767225600,
		    "_validation-persist.sub.example.org. IN TXT \"ca1.example; "
		    "accounturi=https://ca.example/acct/123; policy=wildcard; "
		    "persistUntil=1767225600\"" },
	};
	/* no space, ';' or control character in an RFC 8659 value */
	static const char *const bad[] = {
		"https://ca.example/a;b", "https://ca.example/a b",
		"https://ca.example/a\tb", "",
	};
	struct buf b = { .max = 64 * 1024 };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		b.len = 0;
		CHECK_INT(chal_persist_record(&b, ok[i].name, ok[i].issuer,
		    "https://ca.example/acct/123", ok[i].wildcard, ok[i].until),
		    0);
		CHECK_STR((char *)b.data, ok[i].want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear();
		CHECK_INT(chal_persist_record(&b, "example.com", "ca.example",
		    bad[i], 0, 0), ACME_ERR_PROTO);
	}
	err_clear();
	buf_free(&b);
}

/* Undo RFC 1035 5.1 quoting: the concatenated character-strings. */
static int
persist_unquote(const char *p, char *out, size_t cap, size_t *nstrings)
{
	size_t n = 0, run = 0;

	*nstrings = 0;
	while (*p == ' ')
		p++;
	while (*p == '"') {
		(*nstrings)++;
		for (p++, run = 0; *p != '"'; p++, run++) {
			if (*p == '\0' || n + 1 >= cap)
				return -1;
			if (*p == '\\' && isdigit((unsigned char)p[1])) {
				out[n++] = (char)((p[1] - '0') * 100 +
				    (p[2] - '0') * 10 + (p[3] - '0'));
				p += 3;
			} else if (*p == '\\')
				out[n++] = *++p;
			else
				out[n++] = *p;
		}
		if (run > 255)
			return -1;
		for (p++; *p == ' '; p++)
			;
	}
	out[n] = '\0';
	return *p == '\0' ? 0 : -1;
}

/* TXT escaping and the 255-byte character-strings (draft 9.1). */
static void
t_persist_txt(void)
{
	struct buf b = { .max = 64 * 1024 };
	char url[600], back[2048], want[2048];
	size_t n;

	/* '"' and the backslash are printable, allowed in a value: escaped */
	CHECK_INT(chal_persist_record(&b, "example.com", "ca.example",
	    "https://ca.example/a\"b\\c", 0, 0), 0);
	CHECK_STR((char *)b.data, "_validation-persist.example.com. IN TXT "
	    "\"ca.example; accounturi=https://ca.example/a\\\"b\\\\c\"");
	b.len = 0;
	CHECK_INT(chal_txt_quote(&b, "a\tb\x7f", 4), 0);
	CHECK_STR((char *)b.data, "\"a\\009b\\127\"");
	b.len = 0;
	CHECK_INT(chal_txt_quote(&b, "", 0), 0);
	CHECK_STR((char *)b.data, "\"\"");
	/* a long account URL: strings of 255 bytes, concatenating back */
	memcpy(url, "https://ca.example/", 19);
	memset(url + 19, 'x', sizeof(url) - 20);
	url[sizeof(url) - 1] = '\0';
	url[300] = '"';
	b.len = 0;
	CHECK_INT(chal_persist_record(&b, "example.com", "ca.example", url,
	    1, 0), 0);
	snprintf(want, sizeof(want), "ca.example; accounturi=%s; "
	    "policy=wildcard", url);
	CHECK(strncmp((char *)b.data, "_validation-persist.example.com. IN "
	    "TXT \"", 41) == 0);
	CHECK_INT(persist_unquote((char *)b.data + 40, back, sizeof(back),
	    &n), 0);
	CHECK_STR(back, want);
	CHECK_INT(n, (strlen(want) + 254) / 255);
	CHECK(strstr((char *)b.data, "\" \"") != NULL);
	/* the name itself must fit: 253 bytes with the label */
	memset(url, 'a', 240);
	strcpy(url + 240, ".example");
	b.len = 0;
	CHECK_INT(chal_persist_record(&b, url, "ca.example",
	    "https://ca.example/1", 0, 0), ACME_ERR_USAGE);
	err_clear();
	buf_free(&b);
}

/* The issuer domain names of a challenge object and of a directory. */
static void
t_persist_issuers(void)
{
	static const char ok[] = "{\"type\": \"dns-persist-01\", "
	    "\"issuer-domain-names\": [\"CA1.Example.\", \"ca2.example\"]}";
	static const char *const bad[] = {
		"{\"type\": \"dns-persist-01\"}",
		"{\"issuer-domain-names\": []}",
		"{\"issuer-domain-names\": \"ca.example\"}",
		"{\"issuer-domain-names\": [\"ca.example\", 7]}",
		"{\"issuer-domain-names\": [\"ca_1.example\"]}",
		"{\"issuer-domain-names\": [\"a.x\",\"b.x\",\"c.x\",\"d.x\","
		    "\"e.x\",\"f.x\",\"g.x\",\"h.x\",\"i.x\",\"j.x\",\"k.x\"]}",
		/* draft -02's member name: not the draft we speak */
		"{\"issuerDomainNames\": [\"ca.example\"]}",
	};
	static const char dir[] = "{\"caaIdentities\": [\"LetsEncrypt.ORG.\", "
	    "\"not a name\", 3, \"second.example\"]}";
	char names[PERSIST_ISSUERS_MAX][IDENT_LEN_MAX + 1];
	struct acme_dir *d = calloc(1, sizeof(*d));
	struct json *j = malloc(sizeof(*j));
	size_t i;

	CHECK(j != NULL && d != NULL);
	if (j == NULL || d == NULL)
		goto out;
	CHECK_INT(json_parse(j, ok, strlen(ok)), 0);
	CHECK_INT(chal_persist_issuers(j, 0, names), 2);
	CHECK_STR(names[0], "ca1.example");
	CHECK_STR(names[1], "ca2.example");
	CHECK_INT(chal_persist_check(j, 0), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear();
		CHECK_INT(json_parse(j, bad[i], strlen(bad[i])), 0);
		CHECK_INT(chal_persist_issuers(j, 0, names), ACME_ERR_PROTO);
		CHECK(strstr(err_msg, "dns-persist-01") != NULL);
	}
	err_clear();
	CHECK_INT(json_parse(j, dir, strlen(dir)), 0);
	req_caa_identities(d, j, json_get(j, 0, "caaIdentities"));
	CHECK_INT(d->ncaa, 2);
	CHECK_STR(d->caa[0], "letsencrypt.org");
	CHECK_STR(d->caa[1], "second.example");
	req_caa_identities(d, j, json_get(j, 0, "absent"));
	CHECK_INT(d->ncaa, 0);
out:
	free(j);
	free(d);
}

static void
t_hook_run(void)
{
	static const char *const env[] = { "PATH=/usr/bin:/bin", "X=1", NULL };
	char prog[256], out[256], line[1024];
	const char *argv[7];
	const char *dir = chal_tmpdir();
	FILE *f;

	CHECK(dir != NULL);
	if (dir == NULL)
		return;
	snprintf(prog, sizeof(prog), "%s/hook", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(line, sizeof(line), "printf '%%s|' \"$#\" \"$@\" >%s\n"
	    "env | grep -v -e '^PWD=' -e '^SHLVL=' -e '^_=' | sort | "
	    "tr '\\n' ' ' >>%s\nread x && echo stdin >>%s\nexit 3\n", out,
	    out, out);
	chal_script(prog, line);
	argv[0] = prog;
	argv[1] = "begin";
	argv[2] = "dns-01";
	argv[3] = "a b";	/* no shell between us and the hook */
	argv[4] = "tok";
	argv[5] = "$AUTH;";
	argv[6] = NULL;
	CHECK_INT(hook_run(argv, env, 10), 3);
	line[0] = '\0';
	if ((f = fopen(out, "r")) != NULL) {
		if (fgets(line, sizeof(line), f) == NULL)
			line[0] = '\0';
		fclose(f);
	}
	CHECK_STR(line,
	    "5|begin|dns-01|a b|tok|$AUTH;|PATH=/usr/bin:/bin X=1 ");
	/* not executable, missing */
	chmod(prog, 0644);
	CHECK_INT(hook_run(argv, env, 10), ACME_ERR_CHALLENGE);
	CHECK(strstr(err_msg, "cannot execute") != NULL);
	err_clear();
	argv[0] = "/nonexistent/hook";
	CHECK_INT(hook_run(argv, env, 10), ACME_ERR_CHALLENGE);
	err_clear();
}

/* Is process pid running (not gone, not a zombie)? */
static int
chal_alive(long pid)
{
	char path[64], line[128];
	int alive = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "State:", 6) == 0)
			alive = strchr(line, 'Z') == NULL;
	fclose(f);
	return alive;
}

/*
 * pid is dead (or a zombie) within ten seconds: SIGKILL to a process group
 * is delivered to each member when the kernel next schedules it, so an
 * orphan may still show as sleeping right after hook_run() returned, the
 * longer the busier the machine; the orphan itself would sleep 30 s.
 */
static int
chal_gone(long pid)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i;

	for (i = 0; i < 500 && chal_alive(pid); i++)
		nanosleep(&ts, NULL);
	return !chal_alive(pid);
}

static void
t_hook_timeout(void)
{
	static const char *const env[] = { "PATH=/usr/bin:/bin", NULL };
	char prog[256], pids[256], body[512];
	const char *argv[2];
	const char *dir = chal_tmpdir();
	struct timespec t0, t1;
	long p1 = 0, p2 = 0;
	FILE *f;

	CHECK(dir != NULL);
	if (dir == NULL)
		return;
	snprintf(prog, sizeof(prog), "%s/slow", dir);
	snprintf(pids, sizeof(pids), "%s/pids", dir);
	/* the shell ignores SIGTERM: the group's SIGKILL must end it */
	snprintf(body, sizeof(body), "trap '' TERM\nsleep 30 &\n"
	    "echo $$ $! >%s\nwait\nwait\n", pids);
	chal_script(prog, body);
	argv[0] = prog;
	argv[1] = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(hook_run(argv, env, 1), ACME_ERR_CHALLENGE);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(strstr(err_msg, "did not finish within 1 s") != NULL);
	err_clear();
	/* not kept waiting by the orphan's 30 s (any load: a wide margin) */
	CHECK(t1.tv_sec - t0.tv_sec < 1 + HOOK_KILL_GRACE + 15);
	if ((f = fopen(pids, "r")) != NULL) {
		CHECK(fscanf(f, "%ld %ld", &p1, &p2) == 2);
		fclose(f);
	}
	CHECK(p1 > 0 && p2 > 0);
	CHECK(p1 <= 0 || chal_gone(p1));
	CHECK(p2 <= 0 || chal_gone(p2));	/* an orphan: init reaps */
	/* a signal is reported as such */
	chal_script(prog, "kill -9 $$\n");
	CHECK_INT(hook_run(argv, env, 5), ACME_ERR_CHALLENGE);
	CHECK(strstr(err_msg, "signal 9") != NULL);
	err_clear();
}

/* Is der's content (anywhere) equal to the bytes b? */
static int
chal_has(const struct buf *der, const void *b, size_t n)
{
	size_t i;

	for (i = 0; i + n <= der->len; i++)
		if (memcmp(der->data + i, b, n) == 0)
			return 1;
	return 0;
}

/* openssl reads the certificate as a validator would, and its
 * self-signature verifies. */
static void
chal_openssl_check(const struct buf *der)
{
	struct buf pem = { .max = 64 * 1024 };
	char cmd[512], out[8192];

	if (!tc_have_openssl() || tc_mkdir() < 0)
		return;
	CHECK_INT(pem_encode(&pem, "CERTIFICATE", der->data, der->len), 0);
	CHECK_INT(tc_write(tc_path(0, "c.pem"), pem.data, pem.len), 0);
	snprintf(cmd, sizeof(cmd), "openssl x509 -in %s -noout -text",
	    tc_path(0, "c.pem"));
	CHECK_INT(tc_run(cmd, out, sizeof(out)), 0);
	CHECK(strstr(out, "1.3.6.1.5.5.7.1.31: critical") != NULL);
	CHECK(strstr(out, "DNS:probe.example.com") != NULL);
	CHECK(strstr(out, "Not After : Dec 31 23:59:59 9999 GMT") != NULL);
	snprintf(cmd, sizeof(cmd), "openssl verify -ignore_critical "
	    "-CAfile %s %s", tc_path(0, "c.pem"), tc_path(1, "c.pem"));
	CHECK_INT(tc_run(cmd, out, sizeof(out)), 0);
	if (unit_failed)
		fprintf(stderr, "    %s\n", out);
	buf_free(&pem);
	tc_rmdir();
}

static void
t_alpn_cert(void)
{
	static const unsigned char crit[] = { 0x01, 0x01, 0xff, 0x04, 0x22,
	    0x04, 0x20 };
	struct buf der = { .max = 16 * 1024 };
	unsigned char digest[32], ext[sizeof(der_oid_acme_id) + sizeof(crit) +
	    32];
	struct x509_info *xi = calloc(1, sizeof(*xi));
	struct key k;
	struct ident id;

	memset(&k, 0, sizeof(k));
	CHECK(xi != NULL);
	if (xi == NULL)
		return;
	memset(digest, 0xa5, sizeof(digest));
	memcpy(ext, der_oid_acme_id, sizeof(der_oid_acme_id));
	memcpy(ext + sizeof(der_oid_acme_id), crit, sizeof(crit));
	memcpy(ext + sizeof(der_oid_acme_id) + sizeof(crit), digest, 32);
	CHECK_INT(key_generate(&k, KEY_EC256), 0);
	CHECK_INT(ident_parse("probe.example.com", &id), 0);
	CHECK_INT(der_alpn_cert(&der, &k, &id, digest), 0);
	CHECK_INT(x509_parse(der.data, der.len, xi), 0);
	CHECK_INT(xi->nsan, 1);
	CHECK_STR(xi->san[0].value, "probe.example.com");
	CHECK_INT(x509_key_matches(der.data, der.len, &k), 1);
	CHECK(chal_has(&der, ext, sizeof(ext)));	/* critical, digest */
	chal_openssl_check(&der);
	buf_free(&der);
	der.max = 16 * 1024;
	CHECK_INT(ident_parse("::1", &id), 0);
	CHECK_INT(der_alpn_cert(&der, &k, &id, digest), 0);
	CHECK_INT(x509_parse(der.data, der.len, xi), 0);
	CHECK_INT(xi->nsan, 1);
	CHECK_INT(xi->san[0].type, IDENT_IP);
	CHECK_STR(xi->san[0].value, "::1");
	buf_free(&der);
	CHECK_INT(ident_parse("*.example.com", &id), 0);
	CHECK(der_alpn_cert(&der, &k, &id, digest) < 0);
	err_clear();
	key_free(&k);
	free(xi);
}

static int
chal_t_read(void *ctx, unsigned char *buf, size_t len)
{
	ssize_t n = recv(*(int *)ctx, buf, len, 0);

	return n <= 0 ? -1 : (int)n;
}

static int
chal_t_write(void *ctx, const unsigned char *buf, size_t len)
{
	ssize_t n = send(*(int *)ctx, buf, len, MSG_NOSIGNAL);

	return n <= 0 ? -1 : (int)n;
}

/* A responder child (chal_serve) for c on a new 127.0.0.1 listener;
 * returns its port, *pid and *ctl stop it (chal_t_stop). */
static int
chal_t_serve(struct chal_ctx *c, int tls, pid_t *pid, int *ctl)
{
	static struct chal_ctx *cs[1];
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	struct chal_lsock ls;
	struct chal_srv srv;
	int pfd[2];

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls.tls = tls;
	ls.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (ls.fd < 0 || bind(ls.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(ls.fd, 16) < 0 || getsockname(ls.fd, (struct sockaddr *)&sa,
	    &len) < 0 || pipe(pfd) < 0)
		return -1;
	cs[0] = c;
	srv.cs = cs;
	srv.n = 1;
	fflush(NULL);
	if ((*pid = fork()) == 0) {
		close(pfd[1]);
		chal_serve(&srv, &ls, 1, pfd[0]);
		_exit(0);
	}
	close(ls.fd);
	close(pfd[0]);
	*ctl = pfd[1];
	return ntohs(sa.sin_port);
}

static void
chal_t_stop(pid_t pid, int ctl)
{
	int st;

	close(ctl);
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* A TCP connection to 127.0.0.1:port, or -1. */
static int
chal_t_connect(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * Handshake with the responder on port as a validator would: SNI sni,
 * ALPN alpn (NULL: no ALPN extension), the responder's key pinned. 1
 * when it completed with acme-tls/1 selected, 2 when it completed
 * without ALPN (the responder served its certificate), else 0.
 */
static int
chal_t_handshake(const struct chal_ctx *c, int port, const char *sni,
    const char *alpn)
{
	static br_ssl_client_context cc;
	static br_x509_minimal_context xm;
	static unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
	br_x509_knownkey_context xk;
	const char *protos[1];
	br_sslio_context io;
	unsigned char seed[32];
	const char *sel;
	int fd, ok = 0;

	if ((fd = chal_t_connect(port)) < 0)
		return -1;
	protos[0] = alpn;
	br_ssl_client_init_full(&cc, &xm, NULL, 0);
	br_x509_knownkey_init_ec(&xk, &c->tls_key.u.ec.pk,
	    BR_KEYTYPE_EC | BR_KEYTYPE_SIGN);
	br_ssl_engine_set_x509(&cc.eng, &xk.vtable);
	br_ssl_engine_set_protocol_names(&cc.eng, protos, alpn != NULL);
	CHECK_INT(rng_sys(seed, sizeof(seed)), 0);
	br_ssl_engine_inject_entropy(&cc.eng, seed, sizeof(seed));
	br_ssl_engine_set_buffer(&cc.eng, iobuf, sizeof(iobuf), 1);
	br_ssl_client_reset(&cc, sni, 0);
	br_sslio_init(&io, &cc.eng, chal_t_read, &fd, chal_t_write, &fd);
	if (br_sslio_write_all(&io, "x", 1) == 0 && br_sslio_flush(&io) == 0) {
		sel = br_ssl_engine_get_selected_protocol(&cc.eng);
		ok = sel == NULL ? 2 : strcmp(sel, "acme-tls/1") == 0;
	}
	close(fd);
	return ok;
}

static void
t_tlsalpn_responder(void)
{
	struct chal_ctx *c = calloc(1, sizeof(*c));
	pid_t pid;
	int port, ctl;

	CHECK(c != NULL);
	if (c == NULL)
		return;
	chal_init(c);
	c->standalone = 1;
	c->want = CHAL_TLSALPN01;
	CHECK_INT(ident_parse("probe.example.com", &c->answers[0].id), 0);
	CHECK_INT(ident_parse("127.0.0.1", &c->answers[1].id), 0);
	c->answers[0].type = c->answers[1].type = CHAL_TLSALPN01;
	c->answers[0].how = c->answers[1].how = CHAL_BY_STANDALONE;
	c->nanswers = 2;
	CHECK_INT(chal_tls_certs(c), 0);
	CHECK_INT(chal_tls_match(c, "PROBE.example.com."), 0);
	CHECK_INT(chal_tls_match(c, "1.0.0.127.in-addr.arpa"), 1);
	CHECK_INT(chal_tls_match(c, "127.0.0.1"), NONE);
	CHECK_INT(chal_tls_match(c, ""), NONE);
	CHECK((port = chal_t_serve(c, 1, &pid, &ctl)) > 0);
	if (port > 0) {
		CHECK_INT(chal_t_handshake(c, port, "probe.example.com",
		    "acme-tls/1"), 1);
		CHECK_INT(chal_t_handshake(c, port, "1.0.0.127.in-addr.arpa",
		    "acme-tls/1"), 1);
		CHECK_INT(chal_t_handshake(c, port, "other.example.com",
		    "acme-tls/1"), 0);
		CHECK_INT(chal_t_handshake(c, port, "probe.example.com",
		    "http/1.1"), 0);
		/* RFC 8737 3: no ALPN, no validation certificate */
		CHECK_INT(chal_t_handshake(c, port, "probe.example.com",
		    NULL), 0);
		chal_t_stop(pid, ctl);
	}
	chal_cleanup(c);
	free(c);
}

/* Send req on fd, read the whole answer into out (NUL-terminated). */
static void
chal_t_get(int fd, const char *req, char *out, size_t cap)
{
	size_t n = 0;
	ssize_t k;

	CHECK(send(fd, req, strlen(req), 0) == (ssize_t)strlen(req));
	while (n + 1 < cap && (k = recv(fd, out + n, cap - 1 - n, 0)) > 0)
		n += (size_t)k;
	out[n] = '\0';
}

/*
 * The http-01 responder serves clients at once: a client that sent
 * half a request line and waits does not hold up the next one, which
 * gets the key authorization of its token (or a 404).
 */
static void
t_http_responder(void)
{
	struct chal_ctx *c = calloc(1, sizeof(*c));
	char out[1024];
	pid_t pid;
	int port, ctl, slow, fd;

	CHECK(c != NULL);
	if (c == NULL)
		return;
	chal_init(c);
	snprintf(c->answers[0].token, sizeof(c->answers[0].token), "tok_1");
	snprintf(c->answers[0].keyauth, sizeof(c->answers[0].keyauth),
	    "tok_1.thumb");
	c->answers[0].how = CHAL_BY_STANDALONE;
	c->nanswers = 1;
	CHECK((port = chal_t_serve(c, 0, &pid, &ctl)) > 0);
	if (port <= 0) {
		free(c);
		return;
	}
	CHECK((slow = chal_t_connect(port)) >= 0);
	CHECK(send(slow, "GET /.well-kn", 13, 0) == 13);
	CHECK((fd = chal_t_connect(port)) >= 0);
	chal_t_get(fd, "GET /.well-known/acme-challenge/tok_1 HTTP/1.1\r\n"
	    "Host: a\r\n\r\n", out, sizeof(out));
	CHECK(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CHECK(strstr(out, "\r\n\r\ntok_1.thumb") != NULL);
	close(fd);
	CHECK((fd = chal_t_connect(port)) >= 0);
	chal_t_get(fd, "GET /.well-known/acme-challenge/tok_2 HTTP/1.1\r\n"
	    "\r\n", out, sizeof(out));
	CHECK(strncmp(out, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
	close(fd);
	close(slow);
	chal_t_stop(pid, ctl);
	free(c);
}

/*
 * The responder child forgets the keys it is given and every descriptor
 * but its own, and, run as root, is nobody afterwards.
 */
static void
t_responder_child(void)
{
	struct key k, *keys[1] = { &k };
	struct chal_lsock ls = { -1, 0 };
	static const struct key zero;
	int st, fd = open("/dev/null", O_RDONLY);
	pid_t pid;

	CHECK(fd >= 3);
	memset(&k, 0, sizeof(k));
	CHECK_INT(key_generate(&k, KEY_EC256), 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		chal_child_init(&ls, 0, -1, keys, 1);
		_exit((memcmp(&k, &zero, sizeof(k)) != 0) |
		    (fcntl(fd, F_GETFD) != -1) << 1 |
		    (getuid() == 0 || geteuid() == 0) << 2);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st));
	CHECK_INT(WEXITSTATUS(st) & 3, 0);	/* key wiped, fd closed */
	if (geteuid() == 0)
		CHECK_INT(WEXITSTATUS(st) & 4, 0);	/* not root */
	CHECK(k.set);				/* ours is untouched */
	key_free(&k);
	close(fd);
}

/* hook_api_edit on text: set key to v (NULL: remove), drop drop. */
static void
dnsapi_edit(const char *text, const char *key, const char *v, int b64,
    const char *drop, const char *want)
{
	struct buf out = { 0 }, in = { 0 };

	if (v != NULL)
		CHECK_INT(buf_puts(&in, v), 0);
	hook_api_edit(text, key, v != NULL ? &in : NULL, b64, drop, &out);
	CHECK_INT(buf_append(&out, "", 0), 0);
	CHECK_STR((const char *)out.data, want);
	buf_free(&out);
	buf_free(&in);
}

/* DIR/dns-api/account.conf and conf/NAME.dns-api as acme.sh writes and
 * reads them: a key set in place or appended, its old line and a dropped
 * one removed, a quote in a value, a newline base64-wrapped. */
static void
t_dnsapi_edit(void)
{
	dnsapi_edit("", "K", "v", 0, "", "K='v'\n");
	dnsapi_edit("A='1'\nB='2'\nC='3'\n", "B", "it's", 0, "",
	    "A='1'\nB='it'\\''s'\nC='3'\n");
	dnsapi_edit("A='1'\nB='2'\n", "C", "3", 0, "A", "B='2'\nC='3'\n");
	dnsapi_edit("B='1'\nA='2'\nB='3'", "B", "x", 0, "",
	    "B='x'\nA='2'\n");
	dnsapi_edit("A='1'\nB='2'\n", "B", NULL, 0, "A", "");
	dnsapi_edit("AB='1'\n", "A", NULL, 0, "", "AB='1'\n");
	dnsapi_edit("", "K", "a\nb", 0, "",
	    "K='__ACME_BASE64__START_YQpi__ACME_BASE64__END_'\n");
	dnsapi_edit("", "K", "ab", 1, "",
	    "K='__ACME_BASE64__START_YWI=__ACME_BASE64__END_'\n");
}

/* A value read back: the shell's quoting undone, base64 unwrapped. */
static void
dnsapi_value(const char *raw, int want_len, const char *want)
{
	char v[256];
	int n;

	snprintf(v, sizeof(v), "%s", raw);
	n = hook_api_value(v);
	err_clear();
	CHECK_INT(n, want_len);
	if (n >= 0)
		CHECK_MEM(v, (size_t)n, want, strlen(want));
}

static void
t_dnsapi_value(void)
{
	dnsapi_value("'it'\\''s'", 4, "it's");
	dnsapi_value("\"a\\\"b\\$c\"", 5, "a\"b$c");
	dnsapi_value("bare\\ word", 9, "bare word");
	dnsapi_value("'__ACME_BASE64__START_YQpi__ACME_BASE64__END_'", 3,
	    "a\nb");
	dnsapi_value("'open", -1, "");
	dnsapi_value("'__ACME_BASE64__START_!!__ACME_BASE64__END_'",
	    ACME_ERR_PROTO, "");
}

/* hook_api_find: a name, where it is, who may write it; hook_api_call
 * refuses what is not one of its operations. */
static void
t_dnsapi_find(void)
{
	char path[PATH_LEN_MAX], script[160], get[] = "get", nosuch[] =
	    "nosuch", a[] = "a", k[] = "K";
	const char *d = chal_tmpdir();
	char *argv[3] = { get, a, k };
	int fd;

	CHECK(d != NULL);
	if (d == NULL)
		return;
	snprintf(script, sizeof(script), "%s/dns_unit.sh", d);
	CHECK((fd = open(script, O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0);
	close(fd);
	CHECK_INT(chmod(script, 0644), 0);
	CHECK_INT(hook_api_find("dns_unit", d, path), 0);
	CHECK_STR(path, script);
	CHECK_INT(chmod(script, 0664), 0);
	CHECK_INT(hook_api_find("dns_unit", d, path), ACME_ERR_USAGE);
	err_clear();
	CHECK_INT(hook_api_find("dns_none", d, path), ACME_ERR_USAGE);
	err_clear();
	CHECK_INT(hook_api_find("../dns_unit", d, path), ACME_ERR_USAGE);
	err_clear();
	unlink(script);
	CHECK_INT(hook_api_call(0, argv), ACME_ERR_USAGE);
	err_clear();
	argv[0] = nosuch;
	CHECK_INT(hook_api_call(3, argv), ACME_ERR_USAGE);
	err_clear();
	argv[0] = get;
	unsetenv("ACME_DIR");
	CHECK_INT(hook_api_call(3, argv), ACME_ERR_USAGE);	/* no DIR */
	err_clear();
	CHECK_INT(hook_api_call(2, argv), ACME_ERR_USAGE);	/* no KEY */
	err_clear();
}

static const struct unit_test tests_chal[] = {
	{ "dnsapi_edit", t_dnsapi_edit },
	{ "dnsapi_value", t_dnsapi_value },
	{ "dnsapi_find", t_dnsapi_find },
	{ "ident_wildcard", t_ident_wildcard },
	{ "chal_reverse", t_chal_reverse },
	{ "chal_candidates", t_chal_candidates },
	{ "persist_issuer", t_persist_issuer },
	{ "persist_record", t_persist_record },
	{ "persist_txt", t_persist_txt },
	{ "persist_issuers", t_persist_issuers },
	{ "hook_run", t_hook_run },
	{ "hook_timeout", t_hook_timeout },
	{ "alpn_cert", t_alpn_cert },
	{ "tlsalpn_responder", t_tlsalpn_responder },
	{ "http_responder", t_http_responder },
	{ "responder_child", t_responder_child },
	{ NULL, NULL },
};
