/*
 * t_limits.c - unit tests of sections 1 and 2 (the limits and the option
 * table) and 3 (escaping), from the trust hardening: server text
 * escaped on every output path, numbers from servers and files clamped at
 * and beyond their limits, DIR and conf files private to their owner. Uses
 * core_tmpdir() and core_header() of t_storage.c.
 */

/* Every byte outside printable ASCII escaped; truncation never splits an
 * escape; escaped text passes through unchanged. */
static void
t_str_escape(void)
{
	static const char raw[] = "a\x1b[2J\n\r\tb\x7f\x80\xff\\c";
	char out[64], again[64], small[8];

	str_sanitize(out, sizeof(out), raw, sizeof(raw) - 1);
	CHECK_STR(out, "a\\x1b[2J\\n\\r\\tb\\x7f\\x80\\xff\\c");
	str_sanitize(again, sizeof(again), out, strlen(out));
	CHECK_STR(again, out);
	str_sanitize(small, sizeof(small), "ab\x1b" "cdef", 7);
	CHECK_STR(small, "ab\\x1bc");
	str_sanitize(small, sizeof(small), "abcd\x1b", 5);
	CHECK_STR(small, "abcd");	/* no half escape */
	str_sanitize(small, 1, "abc", 3);
	CHECK_STR(small, "");
}

/* err_set and err_wrap store one escaped line whatever they quote. */
static void
t_err_escaped(void)
{
	err_clear();
	err_set(ACME_ERR_SERVER, "detail: %s", "x\n\x1b]0;owned\x07y");
	CHECK_STR(err_msg, "detail: x\\n\\x1b]0;owned\\x07y");
	err_wrap(ACME_ERR_SERVER, "%s", "N\ra");
	CHECK_STR(err_msg, "N\\ra: detail: x\\n\\x1b]0;owned\\x07y");
	err_clear();
}

/* A hushed question records nothing and leaves an earlier line; only
 * err_insist gets through; a quiet buf's overflow is its own answer. */
static void
t_err_hushed(void)
{
	struct buf b = { .max = 4, .quiet = 1 };
	struct pem_obj obj;
	size_t n = 1;

	err_clear();
	err_hush();
	CHECK_INT(err_set(ACME_ERR_IO, "hushed"), ACME_ERR_IO);
	CHECK_INT(pem_decode("-----BEGIN X-----\n", 18, &obj, 1, &n),
	    ACME_ERR_PROTO);
	CHECK_INT(n, 0);
	CHECK_STR(err_msg, "");
	CHECK_INT(err_insist(ACME_ERR_USAGE, "refused"), ACME_ERR_USAGE);
	CHECK_INT(err_wrap(ACME_ERR_USAGE, "wrapped"), ACME_ERR_USAGE);
	err_unhush();
	CHECK_STR(err_msg, "refused");
	err_hush();
	CHECK_INT(err_set(ACME_ERR_IO, "later"), ACME_ERR_IO);
	err_unhush();
	CHECK_STR(err_msg, "refused");
	err_clear();
	CHECK_INT(buf_puts(&b, "12345"), ACME_ERR_LIMIT);
	CHECK_INT(buf_err(&b), ACME_ERR_LIMIT);
	CHECK_STR(err_msg, "");
	b.quiet = 0;
	buf_rewind(&b, 0);
	CHECK_INT(buf_puts(&b, "12345"), ACME_ERR_LIMIT);
	CHECK_STR(err_msg, "data exceeds 4 bytes");
	err_clear();
	buf_free(&b);
}

/* A test build fails a command that succeeds with a line left recorded. */
static void
t_err_left_recorded(void)
{
	struct api_run run;

	memset(&run, 0, sizeof(run));
	run.storefd = -1;
	err_clear();
	CHECK_INT(api_leave(&run, 0), 0);
	err_set(ACME_ERR_IO, "tolerated");
	CHECK_INT(api_leave(&run, 0), ACME_ERR_USAGE);
	CHECK_INT(api_leave(&run, ACME_ERR_NET), ACME_ERR_NET);
	err_clear();
}

/* Run fn with stdout and stderr going to one temp file; its text. */
static void
trust_capture(void (*fn)(void), char *out, size_t cap)
{
	char path[] = "/tmp/acme-unit-log-XXXXXX";
	int fd = mkstemp(path), o1 = dup(1), o2 = dup(2);
	ssize_t n;

	out[0] = '\0';
	if (fd < 0 || o1 < 0 || o2 < 0)
		return;
	fflush(stdout);
	fflush(stderr);
	dup2(fd, 1);
	dup2(fd, 2);
	fn();
	fflush(stdout);
	fflush(stderr);
	dup2(o1, 1);
	dup2(o2, 2);
	close(o1);
	close(o2);
	n = pread(fd, out, cap - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
}

static void
trust_log_lines(void)
{
	int v = log_verbosity;

	log_verbosity = LOG_LEVEL_INFO;
	log_msg(LOG_LEVEL_INFO, "status \"%s\"", "valid\nacme: x: renewed");
	log_result("%s: %s", "n", "\x1b[2Jcleared");
	log_verbosity = v;
}

/* The terminal gets the escaped text, never a forged second line. */
static void
t_log_escaped(void)
{
	char out[512];

	trust_capture(trust_log_lines, out, sizeof(out));
	CHECK_STR(out, "acme: status \"valid\\nacme: x: renewed\"\n"
	    "n: \\x1b[2Jcleared\n");
}

/* A problem document with ESC, CR LF, BEL in its type, detail and a
 * subproblem's identifier: one line, all of it escaped. */
static void
t_problem_escaped(void)
{
	static const char doc[] = "{\"type\":\"urn:ietf:params:acme:error:"
	    "malformed\\u001b[31m\",\"detail\":\"bad\\r\\nacme: ok\\u0007\","
	    "\"subproblems\":[{\"type\":\"urn:ietf:params:acme:error:dns\","
	    "\"detail\":\"\\u001b[2J\",\"identifier\":{\"type\":\"dns\","
	    "\"value\":\"a\\nb.test\"}}]}";
	struct json *j = malloc(sizeof(*j));
	const char *p;

	CHECK(j != NULL);
	if (j == NULL)
		return;
	CHECK_INT(json_parse(j, doc, strlen(doc)), 0);
	CHECK_INT(req_problem_json("https://ca.test/x", 400, j, 0, NULL, 0),
	    ACME_ERR_SERVER);
	CHECK_STR(err_msg, "https://ca.test/x: HTTP 400: malformed\\x1b[31m: "
	    "bad\\r\\nacme: ok\\x07; a\\nb.test: dns: \\x1b[2J");
	for (p = err_msg; *p != '\0'; p++)
		CHECK((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
	err_clear();
	free(j);
}

/* Retry-After: delay-seconds clamped to RETRY_AFTER_CLAMP, at the limit,
 * one beyond, far beyond (the overflow of the issue); junk ignored. */
static void
t_retry_after_limits(void)
{
	static const struct {
		const char	*v;
		long		 want;
	} cases[] = {
		{ "0", 0 }, { "60", 60 },
		{ "2592000", RETRY_AFTER_CLAMP },
		{ "2592001", RETRY_AFTER_CLAMP },
		{ "99999999999999999999", RETRY_AFTER_CLAMP },
		{ "9223372036854775807", RETRY_AFTER_CLAMP },
		{ "-1", -1 }, { "+5", -1 }, { "1.5", -1 }, { "5x", -1 },
		{ "", -1 },
		{ "999999999999999999999999999999999999", -1 },	/* too long */
	};
	struct http_resp r = { 0 };
	char line[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		http_resp_reset(&r);
		snprintf(line, sizeof(line), "Retry-After: %s\r\n", cases[i].v);
		core_header(&r, line);
		if (r.retry_after != cases[i].want)
			fprintf(stderr, "    Retry-After: %s\n", cases[i].v);
		CHECK_INT(r.retry_after, cases[i].want);
	}
	http_resp_reset(&r);
	core_header(&r, "Retry-After: Fri, 31 Dec 9999 23:59:59 GMT\r\n");
	CHECK_INT(r.retry_at, 253402300799LL);
	CHECK_INT(r.retry_after, -1);
	http_resp_free(&r);
}

/* The rate limit of a failed order (struct issue_fail) from header h. */
static void
trust_fail_from(struct issue *is, const char *h)
{
	struct http_resp r;

	memset(&r, 0, sizeof(r));
	http_resp_reset(&r);
	core_header(&r, h);
	is->fail.status = 429;
	is->fail.retry_after = r.retry_after;
	is->fail.retry_at = r.retry_at;
	snprintf(is->fail.problem, sizeof(is->fail.problem), "%s",
	    ACME_ERR_NS "rateLimited");
	http_resp_free(&r);
}

/* A rate limit's end: now plus Retry-After (or its date), never past
 * RATE_WAIT_MAX, computed without overflow (UBSan checks the sums). */
static void
t_rate_limit_limits(void)
{
	struct api_run run;
	struct issue *is = calloc(1, sizeof(*is));
	struct renew_state st;
	int64_t now;

	memset(&run, 0, sizeof(run));
	run.a = calloc(1, sizeof(*run.a));
	CHECK(is != NULL && run.a != NULL);
	if (is == NULL || run.a == NULL)
		goto out;
	run.ca_time = 4102444800LL;	/* 2100 */
	run.ca_mono = clock_mono();
	trust_fail_from(is, "Retry-After: 99999999999999999999\r\n");
	memset(&st, 0, sizeof(st));
	now = api_ca_now(&run);
	renew_rate_limit(&run, is, &st);
	CHECK(st.retry_until >= now + RATE_WAIT_MAX - 2 &&
	    st.retry_until <= now + RATE_WAIT_MAX + 2);
	trust_fail_from(is, "Retry-After: Fri, 31 Dec 9999 23:59:59 GMT\r\n");
	memset(&st, 0, sizeof(st));
	renew_rate_limit(&run, is, &st);
	CHECK(st.retry_until <= now + RATE_WAIT_MAX + 2);
	trust_fail_from(is, "Retry-After: 120\r\n");
	memset(&st, 0, sizeof(st));
	renew_rate_limit(&run, is, &st);
	CHECK(st.retry_until >= now + 120 && st.retry_until <= now + 122);
	err_clear();
out:
	free(is);
	free(run.a);
}

/* Numbers of conf/NAME.conf: at the limit, beyond it, beyond int. */
static void
t_conf_number_limits(void)
{
	static const struct {
		const char	*text;
		int		 rc;
	} cases[] = {
		{ "identifiers = a\ndays = 3650\n", 0 },
		{ "identifiers = a\ndays = 2147483647\n", 0 },	/* renew_conf */
		{ "identifiers = a\ndays = 2147483648\n", ACME_ERR_USAGE },
		{ "identifiers = a\ndays = 99999999999999999999\n",
		    ACME_ERR_USAGE },
		{ "identifiers = a\nhttp-port = -1\n", ACME_ERR_USAGE },
		{ "identifiers = a\nhook-timeout = 1e9\n", ACME_ERR_USAGE },
	};
	struct acme_options cli;
	struct conf c;
	size_t i;

	memset(&cli, 0, sizeof(cli));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&c, 0, sizeof(c));
		CHECK_INT(buf_append(&c.text, cases[i].text,
		    strlen(cases[i].text) + 1), 0);
		CHECK_INT(file_conf_parse(&c, &cli), cases[i].rc);
		buf_free(&c.text);
		err_clear();
	}
	/* the options' own limits, checked before any use (api_enter) */
	cli.days = DAYS_MAX + 1;
	CHECK_INT(api_limits(&cli, "--"), ACME_ERR_USAGE);
	CHECK_STR(err_msg, "--days: 0 to 3650");
	cli.days = DAYS_MAX;
	CHECK_INT(api_limits(&cli, "--"), 0);
	err_clear();
	cli.http_port = 65536;
	CHECK_INT(api_limits(&cli, "--"), ACME_ERR_USAGE);
	CHECK_STR(err_msg, "bad --http-port");
	cli.http_port = 0;
	err_clear();
	cli.hook_timeout = HOOK_TIMEOUT_MAX + 1;
	CHECK_INT(api_limits(&cli, "--"), ACME_ERR_USAGE);
	CHECK_STR(err_msg, "--hook-timeout: 1 to 3600 seconds");
	cli.hook_timeout = HOOK_TIMEOUT_MAX;
	err_clear();
	cli.dns_wait = DNS_WAIT_MAX + 1;
	CHECK_INT(api_limits(&cli, "--"), ACME_ERR_USAGE);
	CHECK_STR(err_msg, "--dns-wait: 0 to 3600 seconds");
	cli.dns_wait = DNS_WAIT_MAX;
	CHECK_INT(api_limits(&cli, "--"), 0);
	err_clear();
	cli.random_delay = -1;
	CHECK_INT(api_limits(&cli, "--"), ACME_ERR_USAGE);
	CHECK_STR(err_msg, "--random-delay: 0 to 86400 seconds");
	err_clear();
}

/* Days in a conf file beyond DAYS_MAX stop renew_conf before renew_point
 * multiplies them. */
static void
t_conf_days_limit(void)
{
	static const char ok[] = "identifiers = a.example\ndays = 3650\n";
	static const char big[] = "identifiers = a.example\ndays = 3651\n";
	struct acme_options cli;
	struct conf c;
	int fd = core_tmpdir();

	CHECK(fd >= 0);
	memset(&cli, 0, sizeof(cli));
	cli.dir = core_tmp;
	CHECK_INT(store_write(fd, "a.conf", ok, sizeof(ok) - 1, 0644), 0);
	CHECK_INT(store_write(fd, "b.conf", big, sizeof(big) - 1, 0644), 0);
	CHECK_INT(renew_conf(fd, core_tmp, "a", &cli, &c), 0);
	CHECK_INT(c.o.days, 3650);
	buf_free(&c.text);
	CHECK_INT(renew_conf(fd, core_tmp, "b", &cli, &c), ACME_ERR_USAGE);
	CHECK_STR(err_msg, "conf/b.conf: days: 0 to 3650");
	buf_free(&c.text);
	err_clear();
	core_rmtmp(fd);
}

/* certbot's archive/NAME/certK.pem: K within 1..IMP_VERSION_MAX only. */
static void
t_imp_version_limits(void)
{
	CHECK_INT(imp_version("cert1.pem"), 1);
	CHECK_INT(imp_version("cert01.pem"), 1);
	CHECK_INT(imp_version("cert1000000.pem"), 1000000);
	CHECK_INT(imp_version("cert1000001.pem"), 0);
	CHECK_INT(imp_version("cert2147483648.pem"), 0);
	CHECK_INT(imp_version("cert99999999999999999999.pem"), 0);
	CHECK_INT(imp_version("cert0.pem"), 0);
	CHECK_INT(imp_version("cert.pem"), 0);
	CHECK_INT(imp_version("cert-1.pem"), 0);
	CHECK_INT(imp_version("cert1.pem~"), 0);
	CHECK_INT(imp_version("chain1.pem"), 0);
	{
		static const char *const ok[] = { "", "1", "65535" };
		static const char *const bad[] = { "65536", "0",
		    "99999999999999999999", "80 " };
		struct imp_conf c;
		char p[32];
		size_t i;

		for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
			imp_conf_init(&c, "x");
			snprintf(p, sizeof(p), "%s", ok[i]);
			imp_port(&c, "http01_port", p);
			CHECK_STR(p, ok[i]);
			CHECK(c.report.len == 0);
			imp_conf_free(&c);
		}
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			imp_conf_init(&c, "x");
			snprintf(p, sizeof(p), "%s", bad[i]);
			imp_port(&c, "http01_port", p);
			CHECK_STR(p, "");
			CHECK(c.report.len > 0);
			imp_conf_free(&c);
		}
	}
	err_clear();
}

/* Times from servers and files: the largest years parse, beyond fail. */
static void
t_time_limits(void)
{
	int64_t t;

	CHECK_INT(clock_parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT", &t),
	    0);
	CHECK_INT(t, 253402300799LL);
	CHECK_INT(clock_parse_http_date("Sat, 01 Jan 10000 00:00:00 GMT",
	    &t), NONE);
	CHECK_INT(clock_parse_rfc3339("9999-12-31T23:59:59Z", &t), 0);
	CHECK_INT(t, 253402300799LL);
	CHECK_INT(clock_parse_rfc3339("9999-12-31T23:59:59-23:59", &t), 0);
	CHECK_INT(clock_parse_rfc3339("10000-01-01T00:00:00Z", &t), NONE);
	CHECK_INT(clock_parse_rfc3339("0000-01-01T00:00:00+23:59", &t), 0);
	CHECK(t < 0);
}

/* DIR, conf/ and conf files: the running user's, writable by no one
 * else; anything else is refused with the path and the fix. */
static void
t_private_files(void)
{
	char path[128];
	int fd = core_tmpdir(), f;

	CHECK(fd >= 0);
	CHECK_INT(store_private_ok(fd, core_tmp), 0);
	fchmod(fd, 0770);
	CHECK_INT(store_private_ok(fd, core_tmp), ACME_ERR_USAGE);
	snprintf(path, sizeof(path), "chmod go-w %s", core_tmp);
	CHECK(strstr(err_msg, path) != NULL);
	err_clear();
	fchmod(fd, 0702);
	CHECK_INT(store_private_ok(fd, core_tmp), ACME_ERR_USAGE);
	err_clear();
	fchmod(fd, 0755);
	CHECK_INT(store_write(fd, "n.conf", "identifiers = a\n", 16, 0644), 0);
	snprintf(path, sizeof(path), "%s/n.conf", core_tmp);
	CHECK_INT(chmod(path, 0646), 0);
	f = openat(fd, "n.conf", O_RDONLY);
	CHECK_INT(store_private_ok(f, path), ACME_ERR_USAGE);
	close(f);
	err_clear();
	if (geteuid() == 0) {	/* another owner: only root can make one */
		CHECK_INT(chmod(path, 0644), 0);
		CHECK_INT(chown(path, 65534, 65534), 0);
		f = openat(fd, "n.conf", O_RDONLY);
		CHECK_INT(store_private_ok(f, path), ACME_ERR_USAGE);
		CHECK(strstr(err_msg, "belongs to uid 65534") != NULL);
		CHECK(strstr(err_msg, "chown 0 ") != NULL);
		close(f);
		err_clear();
	}
	core_rmtmp(fd);
}

/*
 * The table itself (OPTIONS): names and letters unique, each group in
 * one run (--help prints a heading where the group changes), a help
 * text, a value name for each option that takes one, ranges that hold
 * values, and only settings (no CLI action) in conf/NAME.conf.
 */
static void
t_opt_table(void)
{
	const struct opt *r, *q;
	int seen[OPT_GROUP_MAX] = { 0 };
	size_t i, k;

	CHECK(OPT_N >= 40);
	for (i = 0; i < OPT_N; i++) {
		r = &opt_table[i];
		for (k = 0; k < i; k++) {
			q = &opt_table[k];
			CHECK(strcmp(r->name, q->name) != 0);
			CHECK(r->letter == 0 || r->letter != q->letter);
		}
		CHECK(r->group < OPT_GROUP_MAX && r->kind < OPT_KIND_MAX &&
		    r->conf < OPT_CONF_MAX);
		if (i == 0 || r->group != opt_table[i - 1].group)
			CHECK_INT(seen[r->group]++, 0);
		CHECK(r->help[0] != '\0' && r->help[strlen(r->help) - 1] != '\n');
		CHECK((r->arg[0] != '\0') ==
		    (r->kind == OPT_STR || OPT_IS_NUMBER(r->kind)));
		CHECK(r->kind != OPT_STR || (r->hi > 0 && r->hi <= PATH_LEN_MAX));
		CHECK(!OPT_IS_NUMBER(r->kind) || (r->lo >= 0 && r->lo < r->hi));
		CHECK(r->conf == OPT_CONF_NO || r->kind == OPT_STR ||
		    r->kind == OPT_FLAG || OPT_IS_NUMBER(r->kind));
	}
}

/* Every option's limit, at the edge: the longest string and the range's
 * ends pass, one byte or one more or less fails, naming the option. */
static void
t_opt_limits(void)
{
	static char s[PATH_LEN_MAX + 2];
	struct acme_options o;
	const struct opt *r;
	size_t i;

	for (i = 0; i < OPT_N; i++) {
		r = &opt_table[i];
		memset(&o, 0, sizeof(o));
		err_clear();
		if (r->kind == OPT_STR && r->hi > 0 && r->hi <= PATH_LEN_MAX) {
			memset(s, 'a', (size_t)r->hi + 1);
			s[r->hi] = '\0';
			*opt_str(&o, r) = s;
			CHECK_INT(api_limits(&o, "--"), 0);
			s[r->hi] = 'a';
			s[r->hi + 1] = '\0';
			CHECK_INT(api_limits(&o, "--"), ACME_ERR_USAGE);
			CHECK(strncmp(err_msg, "--", 2) == 0 &&
			    strstr(err_msg, r->name) != NULL);
		}
		if (!OPT_IS_NUMBER(r->kind))
			continue;
		*opt_int(&o, r) = r->hi;
		CHECK_INT(api_limits(&o, "--"), 0);
		*opt_int(&o, r) = r->lo > 0 ? r->lo : 1;
		CHECK_INT(api_limits(&o, "--"), 0);
		*opt_int(&o, r) = r->hi + 1;
		err_clear();
		CHECK_INT(api_limits(&o, ""), ACME_ERR_USAGE);
		CHECK(strstr(err_msg, r->name) != NULL &&
		    strstr(err_msg, "--") == NULL);
		*opt_int(&o, r) = -1;
		CHECK_INT(api_limits(&o, "--"), ACME_ERR_USAGE);
	}
	err_clear();
}

/* Every string conf/NAME.conf keeps is one line: a control character in
 * any of them fails naming it, for the CLI and the conf alike; a string
 * never saved (--dir, --eab-hmac...) is not checked. */
static void
t_opt_one_line(void)
{
	struct acme_options o;
	const struct opt *r;
	char want[64];
	size_t i, saved = 0;

	for (i = 0; i < OPT_N; i++) {
		r = &opt_table[i];
		if (r->kind != OPT_STR)
			continue;
		memset(&o, 0, sizeof(o));
		err_clear();
		*opt_str(&o, r) = "a\tb";
		if (r->conf == OPT_CONF_NO) {
			CHECK_INT(api_limits(&o, "--"), 0);
			continue;
		}
		saved++;
		CHECK_INT(api_limits(&o, "--"), ACME_ERR_USAGE);
		snprintf(want, sizeof(want), "--%s: control character", r->name);
		CHECK_STR(err_msg, want);
		*opt_str(&o, r) = "a\177";
		err_clear();
		CHECK_INT(api_limits(&o, ""), ACME_ERR_USAGE);
		CHECK_STR(err_msg, want + 2);
		*opt_str(&o, r) = "a b";
		CHECK_INT(api_limits(&o, "--"), 0);
	}
	CHECK(saved >= 12);
	err_clear();
}

static const struct unit_test tests_trust[] = {
	{ "str_escape", t_str_escape },
	{ "err_escaped", t_err_escaped },
	{ "err_hushed", t_err_hushed },
	{ "err_left_recorded", t_err_left_recorded },
	{ "log_escaped", t_log_escaped },
	{ "problem_escaped", t_problem_escaped },
	{ "retry_after_limits", t_retry_after_limits },
	{ "rate_limit_limits", t_rate_limit_limits },
	{ "conf_number_limits", t_conf_number_limits },
	{ "conf_days_limit", t_conf_days_limit },
	{ "opt_table", t_opt_table },
	{ "opt_limits", t_opt_limits },
	{ "opt_one_line", t_opt_one_line },
	{ "imp_version_limits", t_imp_version_limits },
	{ "time_limits", t_time_limits },
	{ "private_files", t_private_files },
	{ NULL, NULL },
};
