/*
 * t_renew.c - unit tests of sections 11 (Trusted time), 12 (File formats) and 20 (Renew):
 * conf/NAME.conf reading, conf/NAME.state, the ARI certID, the DIR/time
 * floor, the TLS validation time, the renewal point without ARI, the deploy
 * hook.
 */

static void
t_renew_conf(void)
{
	static const char text[] =
	    "# acme: how x is issued and renewed\n"
	    "name = x\n"
	    "identifiers = a.example.com b.example.com\n"
	    "server = https://ca.example/dir\n"
	    "  key-type =  ec384  \n"
	    "webroot = /srv/www\n"
	    "http-port = 8080\n"
	    "days = 20\n"
	    "deploy-hook = /usr/local/bin/reload nginx\n"
	    "future-key = whatever\n"
	    "ca-file = \n";
	struct acme_options cli;
	struct conf c;
	int saved = log_verbosity;

	log_verbosity = -1;		/* the unknown-key warning */
	memset(&cli, 0, sizeof(cli));
	cli.standalone = 1;		/* the CLI's challenge wins */
	cli.days = 5;
	memset(&c, 0, sizeof(c));
	CHECK_INT(buf_append(&c.text, text, sizeof(text)), 0);
	CHECK_INT(file_conf_parse(&c, &cli), 0);
	CHECK_INT(c.nidents, 2);
	CHECK_STR(c.idents[1], "b.example.com");
	CHECK_STR(c.o.server, "https://ca.example/dir");
	CHECK_STR(c.o.key_type, "ec384");
	CHECK(c.o.webroot == NULL);
	CHECK_INT(c.o.http_port, 0);
	CHECK_INT(c.o.standalone, 1);
	CHECK_INT(c.o.days, 5);
	CHECK_STR(c.o.deploy_hook, "/usr/local/bin/reload nginx");
	CHECK(c.o.ca_file == NULL);
	buf_free(&c.text);

	memset(&c, 0, sizeof(c));
	memset(&cli, 0, sizeof(cli));
	buf_append(&c.text, "identifiers = a\ndays = -1\n", 27);
	CHECK_INT(file_conf_parse(&c, &cli), ACME_ERR_USAGE);
	buf_free(&c.text);
	err_clear();
	memset(&c, 0, sizeof(c));
	buf_append(&c.text, "name = a\n", 10);
	CHECK_INT(file_conf_parse(&c, &cli), ACME_ERR_USAGE);
	buf_free(&c.text);
	err_clear();
	memset(&c, 0, sizeof(c));
	buf_append(&c.text, "identifiers a\n", 15);
	CHECK_INT(file_conf_parse(&c, &cli), ACME_ERR_USAGE);
	buf_free(&c.text);
	err_clear();
	log_verbosity = saved;
}

static void
t_renew_state(void)
{
	struct renew_state st, old, back;
	struct stat s1, s2;
	int fd = core_tmpdir();

	CHECK(fd >= 0);
	memset(&old, 0, sizeof(old));
	CHECK_INT(file_state_read(fd, "x", &st), 0);	/* absent: empty */
	CHECK(memcmp(&st, &old, sizeof(st)) == 0);
	snprintf(st.serial, sizeof(st.serial), "00ab");
	st.ari_start = 1795341600;
	st.ari_end = 1795345200;
	st.ari_time = 1795342000;
	st.ari_next = 1795363200;
	st.retry_until = 1795400000;
	CHECK_INT(file_state_write(fd, "x", &old, &st), 0);
	CHECK_INT(file_state_read(fd, "x", &back), 0);
	CHECK(memcmp(&st, &back, sizeof(st)) == 0);
	CHECK_STR(back.serial, "00ab");
	CHECK_INT(back.retry_until, 1795400000);
	/* unchanged: not rewritten */
	CHECK_INT(fstatat(fd, "x.state", &s1, 0), 0);
	CHECK_INT(file_state_write(fd, "x", &back, &st), 0);
	CHECK_INT(fstatat(fd, "x.state", &s2, 0), 0);
	CHECK_INT(s1.st_ino, s2.st_ino);
	/* empty: removed */
	memset(&st, 0, sizeof(st));
	CHECK_INT(file_state_write(fd, "x", &back, &st), 0);
	CHECK(!store_exists(fd, "x.state"));
	/* unreadable: an error, not an empty state (a rate limit kept) */
	CHECK_INT(mkdirat(fd, "x.state", 0700), 0);
	CHECK(file_state_read(fd, "x", &st) < 0);
	CHECK(err_msg[0] != '\0');
	err_clear();
	CHECK_INT(unlinkat(fd, "x.state", AT_REMOVEDIR), 0);
	core_rmtmp(fd);
}

/* RFC 9773 4.1's example: keyIdentifier 69:88:5B:...:C8:D4, serial
 * 00:87:65:43:21 give aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE */
static void
t_ari_certid(void)
{
	static const unsigned char aki[] = {
		0x69, 0x88, 0x5b, 0x6b, 0x87, 0x46, 0x40, 0x41, 0xe1, 0xb3,
		0x7b, 0x84, 0x7b, 0xa0, 0xae, 0x2c, 0xde, 0x01, 0xc8, 0xd4,
	};
	static const unsigned char serial[] = { 0x00, 0x87, 0x65, 0x43, 0x21 };
	struct x509_info *xi = calloc(1, sizeof(*xi));
	char id[sizeof(((struct issue *)0)->replaces)];

	CHECK(xi != NULL);
	if (xi == NULL)
		return;
	memcpy(xi->aki, aki, sizeof(aki));
	xi->aki_len = sizeof(aki);
	memcpy(xi->serial, serial, sizeof(serial));
	xi->serial_len = sizeof(serial);
	CHECK_INT(ari_certid(xi, id, sizeof(id)), 0);
	CHECK_STR(id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
	CHECK_INT(ari_certid(xi, id, 10), NONE);
	xi->aki_len = 0;
	CHECK_INT(ari_certid(xi, id, sizeof(id)), NONE);
	free(xi);
}

/* DIR/time: absent is 0; raised only a day past the floor; never back. */
static void
t_clock_floor(void)
{
	struct stat s1, s2;
	int fd = core_tmpdir();

	CHECK(fd >= 0);
	CHECK_INT(file_time_read(core_tmp), 0);
	CHECK_INT(file_time_raise(fd, 0, 1795341600), 0);
	CHECK_INT(file_time_read(core_tmp), 1795341600);
	CHECK_INT(fstatat(fd, "time", &s1, 0), 0);
	CHECK_INT(s1.st_size, 21);
	CHECK_INT(file_time_raise(fd, 1795341600, 1795341600 + 86399), 0);
	CHECK_INT(file_time_raise(fd, 1795341600, 1000), 0);
	CHECK_INT(fstatat(fd, "time", &s2, 0), 0);
	CHECK_INT(s1.st_ino, s2.st_ino);
	CHECK_INT(file_time_read(core_tmp), 1795341600);
	CHECK_INT(file_time_raise(fd, 1795341600, 1795341600 + 86400), 0);
	CHECK_INT(file_time_read(core_tmp), 1795341600 + 86400);
	CHECK_INT(store_write(fd, "time", "garbage\n", 8, 0644), 0);
	CHECK_INT(file_time_read(core_tmp), 0);
	core_rmtmp(fd);
}

/*
 * A chain on the lower bound V: accepted when one time t >= V has every
 * certificate valid. A notBefore after V alone never refuses; a notAfter
 * before V does, and so do dates that never overlap.
 */
static void
t_chain_valid(void)
{
	int64_t v = 1795341600;

	CHECK_INT(http_chain_valid(v, v - 86400, v + 86400), 1);
	CHECK_INT(http_chain_valid(v, v + 86400, v + 2 * 86400), 1);
	CHECK_INT(http_chain_valid(v, v, v), 1);
	CHECK_INT(http_chain_valid(v, v - 86400, v - 1), 0);
	CHECK_INT(http_chain_valid(v, v + 2 * 86400, v + 86400), 0);
	CHECK_INT(http_chain_valid(v, INT64_MIN, INT64_MAX), 1);
}

/* The TLS time is the latest of device clock, floor and build date. */
static void
t_clock_tls_time(void)
{
	const char *saved = getenv("ACME_TEST_NOW");
	char *keep = saved ? strdup(saved) : NULL;

	setenv("ACME_TEST_NOW", "0", 1);
	CHECK_INT(clock_tls_time(1795341600), 1795341600);
	CHECK_INT(clock_tls_time(0), (int64_t)ACME_BUILD_TIME);
	setenv("ACME_TEST_NOW", "4102444800", 1);
	CHECK_INT(clock_tls_time(1795341600), 4102444800LL);
	setenv("ACME_TEST_NOW", "-5", 1);
	CHECK(clock_tls_time(0) >= 0);
	if (keep != NULL)
		setenv("ACME_TEST_NOW", keep, 1);
	else
		unsetenv("ACME_TEST_NOW");
	free(keep);
}

/* Without ARI: a third of the lifetime before notAfter, or --days. */
static void
t_renew_point(void)
{
	struct acme *a = calloc(1, sizeof(*a));
	struct x509_info *xi = calloc(1, sizeof(*xi));
	struct api_run run;
	struct renew_state st;
	struct acme_options o;

	CHECK(a != NULL && xi != NULL);
	if (a == NULL || xi == NULL)
		goto out;
	memset(&run, 0, sizeof(run));
	memset(&st, 0, sizeof(st));
	memset(&o, 0, sizeof(o));
	run.a = a;
	xi->not_before = 1000000;
	xi->not_after = 1000000 + 90 * 86400;
	CHECK_INT(renew_point(&run, &o, xi, "", &st),
	    1000000 + 60 * 86400);
	o.days = 30;
	CHECK_INT(renew_point(&run, &o, xi, "id", &st), 1000000 + 60 * 86400);
	o.days = 10;
	CHECK_INT(renew_point(&run, &o, xi, "id", &st), 1000000 + 80 * 86400);
	/* ARI kept in the state while its Retry-After runs: no request */
	o.days = 0;
	snprintf(a->dir.renewal_info, sizeof(a->dir.renewal_info),
	    "https://localhost:1/ri");
	xi->serial[0] = 0x0a;
	xi->serial_len = 1;
	snprintf(st.serial, sizeof(st.serial), "0a");
	st.ari_time = 1000000 + 70 * 86400;
	st.ari_next = 1000000 + 86400;
	run.ca_time = 1000000;
	CHECK_INT(renew_point(&run, &o, xi, "id", &st), 1000000 + 70 * 86400);
out:
	free(a);
	free(xi);
}

static void
t_hook_deploy(void)
{
	static const struct ident ids[2] = {
		{ .type = IDENT_DNS, .value = "a.example.com" },
		{ .type = IDENT_DNS, .value = "b.example.com" },
	};
	char script[64], out[64], cmd[256];
	struct buf b = { 0 };
	int fd = core_tmpdir();

	CHECK(fd >= 0);
	snprintf(script, sizeof(script), "%s/hook", core_tmp);
	snprintf(out, sizeof(out), "%s/env", core_tmp);
	snprintf(cmd, sizeof(cmd), "#!/bin/sh\nenv > %s\nexit 0\n", out);
	CHECK_INT(store_write(fd, "hook", cmd, strlen(cmd), 0755), 0);
	CHECK_INT(hook_deploy(script, "x", "/d/live/x", ids, 2), 0);
	CHECK_INT(store_read(fd, "env", &b, 4096), 0);
	CHECK_INT(buf_append(&b, "", 0), 0);
	CHECK(b.data && strstr((char *)b.data, "ACME_NAME=x\n"));
	CHECK(b.data && strstr((char *)b.data,
	    "RENEWED_DOMAINS=a.example.com b.example.com\n"));
	CHECK(b.data && strstr((char *)b.data, "RENEWED_LINEAGE=/d/live/x\n"));
	buf_free(&b);
	snprintf(cmd, sizeof(cmd), "#!/bin/sh\nexit 4\n");
	CHECK_INT(store_write(fd, "hook", cmd, strlen(cmd), 0755), 0);
	CHECK_INT(hook_deploy(script, "x", "/d/live/x", ids, 2), ACME_ERR_HOOK);
	CHECK(strstr(err_msg, "exit status 4") != NULL);
	err_clear();
	core_rmtmp(fd);
}

/*
 * certbot's renewal/NAME.conf: "key  =  value  " trims every space (one
 * of two was left), and an http01_port that is no port number is refused
 * rather than written to a conf renew cannot load (found by
 * test/fuzz_certbot.c).
 */
/* An import run reading the tree at fd (core_tmp) from src. */
static void
imp_t_run(struct imp_run *r, int fd, const struct imp_src *src)
{
	memset(r, 0, sizeof(*r));
	r->srcfd = fd;
	r->run.storefd = -1;
	r->src = src;
	snprintf(r->srcabs, sizeof(r->srcabs), "%s", core_tmp);
}

static void
t_imp_conf(void)
{
	static const char good[] = "[renewalparams]\n"
	    "server  =  https://ca.example/dir  \t \n"
	    "authenticator   = standalone\n"
	    "http01_port = 8080\n";
	static const char bad[] = "[renewalparams]\nhttp01_port = 80nn\n";
	struct imp_conf c;
	struct imp_run r;
	int fd = core_tmpdir(), ren;

	CHECK(fd >= 0);
	imp_t_run(&r, fd, &imp_certbot);
	CHECK_INT(mkdirat(fd, "renewal", 0700), 0);
	ren = openat(fd, "renewal", O_RDONLY | O_DIRECTORY);
	CHECK_INT(store_write(ren, "g.conf", good, strlen(good), 0600), 0);
	CHECK_INT(store_write(ren, "b.conf", bad, strlen(bad), 0600), 0);
	close(ren);
	imp_conf_init(&c, "g");
	CHECK_INT(imp_cb_conf(&r, "g", &c), 0);
	CHECK_STR(c.server, "https://ca.example/dir");
	CHECK_STR(c.authenticator, "standalone");
	CHECK_STR(c.http_port, "8080");
	imp_port(&c, "http01_port", c.http_port);
	CHECK_STR(c.http_port, "8080");
	CHECK(c.report.len == 0);
	imp_conf_free(&c);
	/* a port that is no number is reported and dropped, never saved */
	imp_conf_init(&c, "b");
	CHECK_INT(imp_cb_conf(&r, "b", &c), 0);
	imp_port(&c, "http01_port", c.http_port);
	CHECK_STR(c.http_port, "");
	CHECK(c.report.data != NULL && strstr((const char *)c.report.data,
	    "http01_port '80nn': not a port number") != NULL);
	imp_conf_free(&c);
	core_rmtmp(fd);
}

/*
 * conf/NAME.conf as file_conf_text() writes it, word for word: the head,
 * the saved options in table order (the responder's ports and the hook's
 * timeout resolved, EAB and one-run options left out, ca-file always),
 * then server-alias.
 */
static void
t_conf_text(void)
{
	static const struct ident ids[2] = {
		{ .type = IDENT_DNS, .value = "x.example" },
		{ .type = IDENT_DNS, .value = "www.x.example" },
	};
	static const char want[] =
	    "# acme: how x is issued and renewed\n"
	    "name = x\n"
	    "identifiers = x.example www.x.example\n"
	    "server = https://ca.test/dir\n"
	    "ca-file = \n"
	    "email = a@x.example\n"
	    "standalone = yes\n"
	    "http-port = 80\n"
	    "tls-port = 443\n"
	    "bind = 127.0.0.1\n"
	    "hook = /bin/hook\n"
	    "hook-timeout = 300\n"
	    "key-type = ec256\n"
	    "reuse-key = yes\n"
	    "csr = /x.csr\n"
	    "preferred-chain = ISRG Root X1\n"
	    "profile = shortlived\n"
	    "backdate = 3600\n"
	    "days = 30\n"
	    "deploy-hook = /bin/deploy\n"
	    "server-alias = google\n";
	struct conf_file f = { .why = "how x is issued and renewed",
	    .name = "x", .ids = ids, .nids = 2, .alias = "google" };
	struct buf b = { .max = CONF_MAX };

	f.o.server = "https://ca.test/dir";
	f.o.email = "a@x.example";
	f.o.standalone = f.o.reuse_key = f.o.force = f.o.wait = 1;
	f.o.webroot_symlinks = 1;	/* no webroot: not saved */
	f.o.bind = "127.0.0.1";
	f.o.hook = "/bin/hook";
	f.o.key_type = "ec256";
	f.o.csr_file = "/x.csr";
	f.o.preferred_chain = "ISRG Root X1";
	f.o.profile = "shortlived";
	f.o.backdate = "3600";
	f.o.days = 30;
	f.o.random_delay = 60;
	f.o.deploy_hook = "/bin/deploy";
	f.o.eab_kid = "kid";
	f.o.eab_hmac = "c2VjcmV0";
	f.o.reason = "superseded";
	CHECK_INT(file_conf_text(&b, &f), 0);
	CHECK_INT(buf_append(&b, "", 0), 0);
	CHECK_STR((const char *)b.data, want);
	buf_free(&b);
	/* nothing set: the head and ca-file only */
	memset(&f.o, 0, sizeof(f.o));
	f.alias = NULL;
	f.nids = 1;
	CHECK_INT(file_conf_text(&b, &f), 0);
	CHECK_INT(buf_append(&b, "", 0), 0);
	CHECK_STR((const char *)b.data, "# acme: how x is issued and renewed\n"
	    "name = x\nidentifiers = x.example\nca-file = \n");
	buf_free(&b);
}

/* "\nKEY = " lines of text. */
static int
conf_count_key(const char *text, const char *key)
{
	char pat[64];
	const char *p;
	int n = 0;

	snprintf(pat, sizeof(pat), "\n%s = ", key);
	for (p = text; (p = strstr(p, pat)) != NULL; p++)
		n++;
	return n;
}

/*
 * Every option of the table through conf/NAME.conf and back: set to a
 * value of its own (a string its name, a number its highest), written
 * (file_conf_text) and read (file_conf_parse), each saved option comes back
 * the same from its one line, and each other stays unset and unwritten.
 */
static void
t_conf_round_trip(void)
{
	static const struct ident id = { .type = IDENT_DNS, .value = "x" };
	struct conf_file f = { .why = "test", .name = "x", .ids = &id,
	    .nids = 1 };
	struct acme_options cli;
	const struct opt *r;
	struct buf b = { .max = CONF_MAX };
	struct conf c;
	size_t i, saved = 0;

	for (i = 0; i < OPT_N; i++) {
		r = &opt_table[i];
		if (r->kind == OPT_STR)
			*opt_str(&f.o, r) = r->name;
		else if (r->kind == OPT_FLAG || OPT_IS_NUMBER(r->kind))
			*opt_int(&f.o, r) = r->hi;
	}
	CHECK_INT(file_conf_text(&b, &f), 0);
	CHECK_INT(buf_append(&b, "", 0), 0);
	for (i = 0; i < OPT_N; i++)
		if (opt_table[i].kind == OPT_STR ||
		    opt_table[i].kind == OPT_FLAG ||
		    OPT_IS_NUMBER(opt_table[i].kind))
			CHECK_INT(conf_count_key((const char *)b.data,
			    opt_table[i].name), opt_table[i].conf != OPT_CONF_NO);
	memset(&c, 0, sizeof(c));
	memset(&cli, 0, sizeof(cli));
	c.text = b;
	CHECK_INT(file_conf_parse(&c, &cli), 0);
	CHECK_INT(api_limits(&c.o, ""), 0);
	CHECK_INT(c.nidents, 1);
	for (i = 0; i < OPT_N; i++) {
		r = &opt_table[i];
		if (r->kind != OPT_STR && r->kind != OPT_FLAG &&
		    !OPT_IS_NUMBER(r->kind))
			continue;
		if (r->kind == OPT_STR)
			CHECK_STR(opt_str_get(&c.o, r) ? opt_str_get(&c.o, r) :
			    "(unset)", r->conf != OPT_CONF_NO ? r->name :
			    "(unset)");
		else
			CHECK_INT(opt_int_get(&c.o, r), r->conf != OPT_CONF_NO ?
			    r->hi : 0);
		saved += r->conf != OPT_CONF_NO;
	}
	CHECK(saved >= 20);
	buf_free(&c.text);
}

static const struct unit_test tests_renew[] = {
	{ "renew_conf", t_renew_conf },
	{ "conf_text", t_conf_text },
	{ "conf_round_trip", t_conf_round_trip },
	{ "renew_state", t_renew_state },
	{ "ari_certid", t_ari_certid },
	{ "clock_floor", t_clock_floor },
	{ "clock_tls_time", t_clock_tls_time },
	{ "chain_valid", t_chain_valid },
	{ "renew_point", t_renew_point },
	{ "hook_deploy", t_hook_deploy },
	{ "imp_conf", t_imp_conf },
	{ NULL, NULL },
};
