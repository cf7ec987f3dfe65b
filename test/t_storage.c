/*
 * t_storage.c - unit tests of sections 3 and 10 (Storage) to 16:
 * identifiers, names, the atomic write path, live set installs and
 * recovery, HTTP header parsing, problem documents, polling delays,
 * challenge lookup.
 */
#include <dirent.h>

static char core_tmp[] = "/tmp/acme-unit-XXXXXX";

/* A fresh empty directory for one test, as a descriptor. */
static int
core_tmpdir(void)
{
	char cmd[128];

	if (core_tmp[sizeof(core_tmp) - 2] != 'X') {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", core_tmp);
		if (system(cmd) != 0)
			return -1;
		memcpy(core_tmp + sizeof(core_tmp) - 7, "XXXXXX", 6);
	}
	if (mkdtemp(core_tmp) == NULL)
		return -1;
	return open(core_tmp, O_RDONLY | O_DIRECTORY);
}

static void
core_rmtmp(int fd)
{
	char cmd[128];

	close(fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", core_tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", core_tmp);
	memcpy(core_tmp + sizeof(core_tmp) - 7, "XXXXXX", 6);
}

/* Number of entries in a directory, "." and ".." excluded. */
static int
core_count(int dirfd, const char *name)
{
	DIR *d;
	struct dirent *e;
	int fd, n = 0;

	if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY)) < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
t_ident_parse(void)
{
	struct ident id;

	CHECK_INT(ident_parse("WWW.Example.COM", &id), 0);
	CHECK_INT(id.type, IDENT_DNS);
	CHECK_STR(id.value, "www.example.com");
	CHECK_INT(ident_parse("192.0.2.1", &id), 0);
	CHECK_INT(id.type, IDENT_IP);
	CHECK_INT(id.iplen, 4);
	CHECK_STR(id.value, "192.0.2.1");
	CHECK_INT(ident_parse("2001:DB8:0:0:0:0:0:1", &id), 0);
	CHECK_INT(id.iplen, 16);
	CHECK_STR(id.value, "2001:db8::1");
	CHECK_INT(ident_parse("a-b.c", &id), 0);
	CHECK_INT(ident_parse("exa mple.com", &id), ACME_ERR_USAGE);
	CHECK_INT(ident_parse("a..b", &id), ACME_ERR_USAGE);
	CHECK_INT(ident_parse("-a.b", &id), ACME_ERR_USAGE);
	CHECK_INT(ident_parse("a-.b", &id), ACME_ERR_USAGE);
	CHECK_INT(ident_parse("localhost", &id), ACME_ERR_USAGE);
	CHECK_INT(ident_parse("a.b.", &id), ACME_ERR_USAGE);
	CHECK_INT(ident_parse("256.1.1.1", &id), ACME_ERR_USAGE);
	CHECK_INT(ident_parse("127.0.0.256", &id), ACME_ERR_USAGE);
	CHECK_INT(ident_parse("1.2.3", &id), ACME_ERR_USAGE);
	CHECK_INT(ident_parse("a/b.c", &id), ACME_ERR_USAGE);
	CHECK_INT(ident_parse(
	    "a234567890123456789012345678901234567890123456789012345678901234"
	    ".com", &id), ACME_ERR_USAGE);	/* 64-byte label */
}

static void
t_store_name(void)
{
	char longname[NAME_LEN_MAX + 2];

	CHECK(store_name_ok("example.com"));
	CHECK(store_name_ok("mysite"));
	CHECK(store_name_ok("2001:db8::1"));
	CHECK(store_name_ok("*.example.com"));
	CHECK(!store_name_ok(""));
	CHECK(!store_name_ok("."));
	CHECK(!store_name_ok(".."));
	CHECK(!store_name_ok(".hidden"));
	CHECK(!store_name_ok("-rf"));
	CHECK(!store_name_ok("a/b"));
	CHECK(!store_name_ok("../etc"));
	CHECK(!store_name_ok("a b"));
	CHECK(!store_name_ok("a\nb"));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK(!store_name_ok(longname));
	longname[NAME_LEN_MAX] = '\0';
	CHECK(store_name_ok(longname));
}

static void
t_store_write(void)
{
	struct buf b = { 0 };
	struct stat st;
	char target[256];
	int d = core_tmpdir(), fd;

	CHECK(d >= 0);
	CHECK_INT(store_write(d, "f", "one", 3, 0600), 0);
	CHECK_INT(store_write(d, "f", "second", 6, 0600), 0);
	CHECK_INT(store_read(d, "f", &b, 100), 0);
	CHECK_MEM(b.data, b.len, "second", 6);
	CHECK(fstatat(d, "f", &st, 0) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_INT(core_count(d, "."), 1);	/* no temporary file left */
	/* A planted symlink is replaced, never written through. */
	snprintf(target, sizeof(target), "%s/target", core_tmp);
	fd = open(target, O_WRONLY | O_CREAT, 0644);
	close(fd);
	CHECK(symlinkat("target", d, "link") == 0);
	buf_free(&b);
	CHECK(store_read(d, "link", &b, 100) < 0);	/* O_NOFOLLOW */
	CHECK_INT(store_write(d, "link", "x", 1, 0600), 0);
	CHECK(stat(target, &st) == 0 && st.st_size == 0);
	CHECK(fstatat(d, "link", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode));
	/* Limits hold. */
	buf_free(&b);
	CHECK_INT(store_write(d, "big", "0123456789", 10, 0600), 0);
	CHECK_INT(store_read(d, "big", &b, 5), ACME_ERR_LIMIT);
	buf_free(&b);
	err_clear();
	/* Absence is its own result, and records nothing. */
	CHECK_INT(store_read(d, "none", &b, 100), STORE_ABSENT);
	CHECK_INT(store_subdir(d, "none", 0), STORE_ABSENT);
	CHECK_STR(err_msg, "");
	CHECK_INT(store_need(STORE_ABSENT), ACME_ERR_IO);
	/* A text whose fill failed is never written. */
	b.max = 4;
	CHECK_INT(buf_puts(&b, "too long"), ACME_ERR_LIMIT);
	CHECK_INT(store_write_buf(d, "f", &b, 0600), ACME_ERR_LIMIT);
	buf_free(&b);
	CHECK_INT(store_read(d, "f", &b, 100), 0);
	CHECK_MEM(b.data, b.len, "second", 6);
	buf_free(&b);
	/* store_remove: gone for good; absent is no step and no error */
	CHECK_INT(store_remove(d, "f"), 0);
	CHECK(!store_exists(d, "f"));
	CHECK_INT(store_remove(d, "f"), 0);
	err_clear();
	core_rmtmp(d);
}

/* The first failed append sticks: a chain is checked once, at its end;
 * buf_printf has no limit of its own but b->max. */
static void
t_buf_sticky(void)
{
	struct buf b = { .max = 8 };
	char big[3000];
	size_t n;

	CHECK_INT(buf_puts(&b, "abc"), 0);
	CHECK_INT(buf_err(&b), 0);
	CHECK_INT(buf_printf(&b, "%s", "123456"), ACME_ERR_LIMIT);
	CHECK_INT(buf_puts(&b, "d"), ACME_ERR_LIMIT);	/* even if it fits */
	CHECK_INT(buf_err(&b), ACME_ERR_LIMIT);
	CHECK_STR((char *)b.data, "abc");
	buf_rewind(&b, 3);		/* back to where it was good */
	CHECK_INT(buf_err(&b), 0);
	CHECK_INT(buf_puts(&b, "d"), 0);
	CHECK_STR((char *)b.data, "abcd");
	buf_free(&b);
	CHECK_INT(buf_err(&b), 0);
	err_clear();
	/* a line far longer than any stack buffer (a 4,096-byte --hook) */
	memset(big, 'h', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	b.max = 0;
	for (n = 0; n < 3; n++)
		CHECK_INT(buf_printf(&b, "hook = %s\n", big), 0);
	CHECK_INT(b.len, 3 * (sizeof(big) - 1 + 8));
	CHECK(b.data[b.len] == '\0');
	CHECK(memcmp(b.data + b.len - 4, "hhh\n", 4) == 0);
	buf_free(&b);
}

static void
core_set(struct cert_set *cs, const char *tag)
{
	memset(cs, 0, sizeof(*cs));
	buf_printf(&cs->cert, "cert %s\n", tag);
	buf_printf(&cs->chain, "chain %s\n", tag);
	buf_printf(&cs->fullchain, "full %s\n", tag);
	buf_printf(&cs->privkey, "key %s\n", tag);
}

static void
core_check_live(int live, const char *name, const char *tag)
{
	struct buf b = { 0 };
	struct stat st;
	char want[32];
	int fd = store_subdir(live, name, 0);

	CHECK(fd >= 0);
	snprintf(want, sizeof(want), "key %s\n", tag);
	CHECK_INT(store_read(fd, "privkey.pem", &b, 100), 0);
	CHECK_STR((char *)b.data, want);
	CHECK(fstatat(fd, "privkey.pem", &st, 0) == 0 &&
	    (st.st_mode & 0777) == 0600);
	buf_free(&b);
	snprintf(want, sizeof(want), "cert %s\n", tag);
	CHECK_INT(store_read(fd, "cert.pem", &b, 100), 0);
	CHECK_STR((char *)b.data, want);
	buf_free(&b);
	close(fd);
}

/* live/NAME of storefd d holds the set tagged tag. */
static void
core_check_name(int d, const char *name, const char *tag)
{
	int live = store_subdir(d, "live", 0);

	CHECK(live >= 0);
	core_check_live(live, name, tag);
	close(live);
}

/* backup/NAME/slot of storefd d holds the set tagged tag. */
static void
core_check_slot(int d, const char *name, const char *slot, const char *tag)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "backup/%s", name);
	fd = openat(d, path, O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	core_check_live(fd, slot, tag);
	close(fd);
}

static void
t_store_install(void)
{
	struct cert_set s[6];
	static const char *const tags[] = { "A", "B", "C", "D", "E", "F" };
	int d = core_tmpdir(), i;

	for (i = 0; i < 6; i++) {
		core_set(&s[i], tags[i]);
		CHECK_INT(store_install(d, "n.example", &s[i], -1), 0);
	}
	core_check_name(d, "n.example", "F");
	core_check_slot(d, "n.example", "1", "E");
	core_check_slot(d, "n.example", "2", "D");
	core_check_slot(d, "n.example", "3", "C");
	CHECK_INT(core_count(d, "live"), 1);		/* no staging left */
	CHECK_INT(core_count(d, "live/n.example"), 4);	/* no marker */
	CHECK_INT(core_count(d, "backup/n.example"), 3);
	/* restore 3: C live, F becomes 1, E and D move down */
	CHECK_INT(store_restore(d, "n.example", 3), 0);
	core_check_name(d, "n.example", "C");
	core_check_slot(d, "n.example", "1", "F");
	core_check_slot(d, "n.example", "2", "E");
	core_check_slot(d, "n.example", "3", "D");
	CHECK_INT(store_restore(d, "n.example", 1), 0);
	core_check_name(d, "n.example", "F");
	core_check_slot(d, "n.example", "1", "C");
	CHECK_INT(store_restore(d, "n.example", 3) == 0, 1);
	CHECK_INT(store_restore(d, "other", 1), ACME_ERR_USAGE);
	for (i = 0; i < 6; i++)
		store_cert_set_free(&s[i]);
	core_rmtmp(d);
}

/* The same without RENAME_EXCHANGE: the two-rename fallback. */
static void
t_store_install_fallback(void)
{
	setenv("ACME_TEST_NO_EXCHANGE", "1", 1);
	t_store_install();
	unsetenv("ACME_TEST_NO_EXCHANGE");
}

/* Each recovery state, named by what a crash left. */
static void
t_store_recover_states(void)
{
	struct cert_set a, b;
	int d, l;

	/* half-staged (no marker): removed, A stays */
	d = core_tmpdir();
	core_set(&a, "A");
	core_set(&b, "B");
	CHECK_INT(store_install(d, "n", &a, -1), 0);
	l = store_subdir(d, "live", 0);
	CHECK_INT(store_stage(l, ".n.new", &b, 0), 0);
	CHECK_INT(store_recover_all(d), 0);
	core_check_name(d, "n", "A");
	CHECK_INT(core_count(d, "live"), 1);
	/* staged complete, not swapped: rolled back too */
	CHECK_INT(store_stage(l, ".n.new", &b, 1), 0);
	CHECK_INT(store_recover_all(d), 0);
	core_check_name(d, "n", "A");
	CHECK_INT(core_count(d, "live"), 1);
	/* fallback: live moved aside, stage not yet in: rolled back */
	CHECK_INT(store_stage(l, ".n.new", &b, 1), 0);
	CHECK(renameat(l, "n", l, ".n.old") == 0);
	CHECK_INT(store_recover_all(d), 0);
	core_check_name(d, "n", "A");
	CHECK_INT(core_count(d, "live"), 1);
	/* exchanged, nothing after: finished, A becomes backup 1 */
	CHECK_INT(store_stage(l, ".n.new", &b, 1), 0);
	CHECK(syscall(SYS_renameat2, l, ".n.new", l, "n", RENAME_EXCHANGE) ==
	    0);
	CHECK_INT(store_recover_all(d), 0);
	core_check_name(d, "n", "B");
	core_check_slot(d, "n", "1", "A");
	CHECK_INT(core_count(d, "live"), 1);
	CHECK_INT(core_count(d, "live/n"), 4);
	/* a ring with a gap and a half-deleted set: closed, removed */
	CHECK(mkdirat(d, "backup/n/.del", 0700) == 0);
	CHECK(renameat(d, "backup/n/1", d, "backup/n/3") == 0);
	CHECK_INT(store_recover_all(d), 0);
	core_check_slot(d, "n", "1", "A");
	CHECK_INT(core_count(d, "backup/n"), 1);
	/* nothing to do: nothing written (the directory is read-only) */
	CHECK(fchmod(l, 0500) == 0);
	CHECK_INT(store_recover_all(d), 0);
	CHECK(fchmod(l, 0700) == 0);
	close(l);
	store_cert_set_free(&a);
	store_cert_set_free(&b);
	core_rmtmp(d);
}

/* issued_at: the later valid lower bound, never the system clock. */
static void
t_clock_issued_at(void)
{
	const char *src;

	int64_t na = 1795341600 + 90 * 86400;

	/* 2026-11-22T10:00:00Z = 1795341600 */
	CHECK_INT(clock_issued_at("Sun, 22 Nov 2026 10:00:00 GMT",
	    1795341600 - 7200, na, 3600, &src), 1795341600);
	CHECK_STR(src, "http-date");
	CHECK_INT(clock_issued_at("Sun, 22 Nov 2026 10:00:00 GMT",
	    1795341600, na, 3600, &src), 1795341600 + 3600);
	CHECK_STR(src, "notbefore+backdate");
	CHECK_INT(clock_issued_at("garbage", 1000, na, 0, &src), 1000);
	CHECK_STR(src, "notbefore+backdate");
	CHECK_INT(clock_issued_at(NULL, 1000, na, 5, &src), 1005);
	/* a Date that disagrees with the certificate is not used: after
	 * notAfter (9999), before notBefore - backdate, at both edges */
	CHECK_INT(clock_issued_at("Fri, 31 Dec 9999 23:59:59 GMT",
	    1795341600, na, 3600, &src), 1795341600 + 3600);
	CHECK_STR(src, "notbefore+backdate");
	CHECK_INT(clock_issued_at("Sun, 22 Nov 2026 10:00:00 GMT",
	    1795341600 - 7200, 1795341600 - 1, 0, &src), 1795341600 - 7200);
	CHECK_STR(src, "notbefore+backdate");
	CHECK_INT(clock_issued_at("Sun, 22 Nov 2026 10:00:00 GMT",
	    1795341600 - 7200, 1795341600, 0, &src), 1795341600);
	CHECK_STR(src, "http-date");
	CHECK_INT(clock_issued_at("Sun, 22 Nov 2026 10:00:00 GMT",
	    1795341600 + 3601, na, 3600, &src), 1795341600 + 7201);
	CHECK_STR(src, "notbefore+backdate");
	CHECK_INT(clock_issued_at("Sun, 22 Nov 2026 10:00:00 GMT",
	    1795341600 + 3600, na, 3600, &src), 1795341600 + 7200);
	CHECK_STR(src, "notbefore+backdate");
	CHECK_INT(clock_issued_at("Thu, 01 Jan 1970 00:00:00 GMT",
	    1795341600, na, 3600, &src), 1795341600 + 3600);
}

static void
t_store_entry_name(void)
{
	char n[NAME_LEN_MAX + 1];

	CHECK_INT(store_entry_name("a.example", n, sizeof(n)), 0);
	CHECK_STR(n, "a.example");
	CHECK_INT(store_entry_name(".a.example.new", n, sizeof(n)), 0);
	CHECK_STR(n, "a.example");
	CHECK_INT(store_entry_name(".a.old", n, sizeof(n)), 0);
	CHECK_STR(n, "a");
	CHECK_INT(store_entry_name(".new", n, sizeof(n)), NONE);
	CHECK_INT(store_entry_name("..new", n, sizeof(n)), NONE);
	CHECK_INT(store_entry_name(".x.tmp", n, sizeof(n)), NONE);
}

static void
t_file_get(void)
{
	struct buf b = { 0 };
	char v[64];

	buf_puts(&b, "format: 1\nname: x\nissued_at: 2026-11-22T10:00:00Z\n"
	    "not_after:2026\n");
	CHECK_INT(file_get(&b, "issued_at", v, sizeof(v)), 1);
	CHECK_STR(v, "2026-11-22T10:00:00Z");
	CHECK_INT(file_get(&b, "name", v, sizeof(v)), 1);
	CHECK_STR(v, "x");
	CHECK_INT(file_get(&b, "not_after", v, sizeof(v)), 0);
	CHECK_INT(file_get(&b, "issued", v, sizeof(v)), 0);
	CHECK_INT(file_get(&b, "format", v, 1), 0);
	buf_free(&b);
}

static void
core_header(struct http_resp *r, const char *line)
{
	char copy[HEADER_MAX];

	snprintf(copy, sizeof(copy), "%s", line);	/* curl hands char * */
	http_header_cb(copy, 1, strlen(copy), r);
}

static void
t_http_headers(void)
{
	struct http_resp r = { 0 };

	http_resp_reset(&r);
	core_header(&r, "HTTP/1.1 201 Created\r\n");
	core_header(&r, "Replay-Nonce: abc_DEF-123\r\n");
	core_header(&r, "location:  https://ca.test/order/1 \r\n");
	core_header(&r, "Retry-After: 7\r\n");
	core_header(&r, "Link: <https://ca.test/dir>;rel=\"index\"\r\n");
	core_header(&r, "Link: <https://ca.test/issuer>;rel=\"up\"\r\n");
	core_header(&r, "Date: Sun, 22 Nov 2026 10:00:00 GMT\r\n");
	CHECK_STR(r.nonce, "abc_DEF-123");
	CHECK_STR(r.location, "https://ca.test/order/1");
	CHECK_INT(r.retry_after, 7);
	CHECK_STR(r.link_up, "https://ca.test/issuer");
	CHECK_STR(r.date, "Sun, 22 Nov 2026 10:00:00 GMT");
	core_header(&r, "Retry-After: Sun, 22 Nov 2026 10:00:00 GMT\r\n");
	CHECK_INT(r.retry_after, 7);
	/* A new status line (after 100 Continue) starts afresh. */
	core_header(&r, "HTTP/1.1 200 OK\r\n");
	CHECK_STR(r.nonce, "");
	CHECK_INT(r.retry_after, -1);
	http_resp_free(&r);
}

/* A problem longer than one error line: its start, cut, not an error of
 * the line builder in its place. */
static void
problem_long(void)
{
	struct buf doc = { 0 };
	struct json *j = malloc(sizeof(*j));
	char type[128];
	int i;

	CHECK(j != NULL);
	CHECK_INT(buf_puts(&doc, "{\"type\":\"urn:ietf:params:acme:error:"
	    "caa\",\"detail\":\"long\",\"subproblems\":["), 0);
	for (i = 0; i < PROBLEM_SUB_MAX + 2; i++)
		CHECK_INT(buf_printf(&doc, "%s{\"type\":\"urn:x\",\"detail\":"
		    "\"%0500d\"}", i ? "," : "", i), 0);
	CHECK_INT(buf_puts(&doc, "]}"), 0);
	err_clear();
	CHECK_INT(json_parse(j, (char *)doc.data, doc.len), 0);
	CHECK_INT(req_problem_json("https://ca.test/x", 403, j, 0, type,
	    sizeof(type)), ACME_ERR_SERVER);
	CHECK(strncmp(err_msg, "https://ca.test/x: HTTP 403: caa: long;: urn:x: 0",
	    48) == 0);
	CHECK_INT(strlen(err_msg), ERR_MSG_MAX - 1);
	err_clear();
	buf_free(&doc);
	free(j);
}

static void
t_problem_line(void)
{
	static const char doc[] = "{\"type\":\"urn:ietf:params:acme:error:"
	    "rejectedIdentifier\",\"detail\":\"bad\\nnames\",\"subproblems\":"
	    "[{\"type\":\"urn:ietf:params:acme:error:caa\",\"detail\":\"CAA "
	    "forbids\",\"identifier\":{\"type\":\"dns\",\"value\":\"a.test\"}}]}";
	struct json *j = malloc(sizeof(*j));
	char type[128];

	CHECK(j != NULL);
	CHECK_INT(json_parse(j, doc, strlen(doc)), 0);
	CHECK_INT(req_problem_json("https://ca.test/new", 400, j, 0, type,
	    sizeof(type)), ACME_ERR_SERVER);
	CHECK_STR(type, "urn:ietf:params:acme:error:rejectedIdentifier");
	CHECK_STR(err_msg, "https://ca.test/new: HTTP 400: rejectedIdentifier: "
	    "bad\\nnames; a.test: caa: CAA forbids -- the CA will not issue for "
	    "a name: remove it from the identifiers");
	free(j);
	problem_long();
}

static void
t_problem_garbage(void)
{
	struct http_resp r = { 0 };

	http_resp_reset(&r);
	r.status = 500;
	buf_puts(&r.body, "<html>oops</html>");
	CHECK_INT(req_problem("https://ca.test/x", &r, NULL, 0),
	    ACME_ERR_SERVER);
	CHECK_STR(err_msg, "https://ca.test/x: HTTP 500 from the server, "
	    "without an ACME problem document");
	http_resp_free(&r);
}

static void
t_poll_delay(void)
{
	struct http_resp r;
	int64_t t;

	memset(&r, 0, sizeof(r));
	r.retry_after = -1;
	CHECK_INT(req_poll_delay(&r, 0), POLL_FIRST_MS);
	CHECK_INT(req_poll_delay(&r, 1), 2 * POLL_FIRST_MS);
	CHECK_INT(req_poll_delay(&r, 2), 4 * POLL_FIRST_MS);
	CHECK_INT(req_poll_delay(&r, 9), POLL_MAX_MS);
	CHECK_INT(req_poll_delay(&r, 1000), POLL_MAX_MS);
	r.retry_after = 0;
	CHECK_INT(req_poll_delay(&r, 5), POLL_FIRST_MS);
	r.retry_after = 5;
	CHECK_INT(req_poll_delay(&r, 0), 5000);
	r.retry_after = 86400;
	CHECK_INT(req_poll_delay(&r, 0), RETRY_AFTER_MAX * 1000);
	/* an HTTP-date counts from the answer's Date */
	r.retry_after = -1;
	snprintf(r.date, sizeof(r.date), "Mon, 30 Nov 2026 10:00:00 GMT");
	CHECK_INT(clock_parse_http_date(r.date, &t), 0);
	r.retry_at = t + 7;
	CHECK_INT(req_poll_delay(&r, 3), 7000);
	r.retry_at = t - 7;
	CHECK_INT(req_poll_delay(&r, 3), POLL_FIRST_MS);
	r.retry_at = t + 7 * 86400;
	CHECK_INT(req_poll_delay(&r, 3), RETRY_AFTER_MAX * 1000);
	/* Pebble 2.10 sends either form; no Date: the back-off */
	r.date[0] = '\0';
	CHECK_INT(req_poll_delay(&r, 2), 4 * POLL_FIRST_MS);
}

/* The poll schedule: the deadline ends it with one error line. */
static void
t_poll_schedule(void)
{
	struct http_resp r;
	struct req_poll p;
	int64_t now = clock_mono_ms();

	memset(&r, 0, sizeof(r));
	r.retry_after = -1;
	req_poll_begin(&p, &r, now + 1000);
	CHECK(p.next >= now + POLL_FIRST_MS && p.next < now + 1000);
	CHECK_INT(req_poll_again(&p, &r, "https://ca.test/a"), 0);
	CHECK_INT(p.round, 1);
	r.retry_after = 2;
	CHECK_INT(req_poll_again(&p, &r, "https://ca.test/a"), ACME_ERR_TIMEOUT);
	CHECK_STR(err_msg, "https://ca.test/a: still not done after 300 s");
	err_clear();
	/* an error of the CA with no progress: over after POLL_STUCK s */
	r.retry_after = -1;
	req_poll_begin(&p, &r, now + POLL_DEADLINE * 1000);
	CHECK_INT(p.stuck, 0);
	CHECK_INT(req_poll_stuck(&p, 1), 0);
	CHECK(p.stuck >= now);
	p.stuck -= POLL_STUCK * 1000 - 1000;	/* a second short */
	CHECK_INT(req_poll_stuck(&p, 1), 0);
	p.stuck -= 1000;
	CHECK_INT(req_poll_stuck(&p, 1), 1);
	CHECK_INT(req_poll_stuck(&p, 0), 0);	/* progress */
	CHECK_INT(p.stuck, 0);
	CHECK_INT(req_poll_stuck(&p, 1), 0);	/* a new error: a new clock */
}

static void
t_url_and_host(void)
{
	char host[256];

	CHECK(req_url_ok("https://localhost:14000/dir"));
	CHECK(!req_url_ok("http://localhost/dir"));
	CHECK(!req_url_ok("https://"));
	CHECK(!req_url_ok("https://a b/"));
	CHECK_INT(acct_host("https://localhost:14000/dir", host,
	    sizeof(host)), 0);
	CHECK_STR(host, "localhost:14000");
	CHECK_INT(acct_host("https://acme-v02.api.letsencrypt.org/directory",
	    host, sizeof(host)), 0);
	CHECK_STR(host, "acme-v02.api.letsencrypt.org");
	CHECK_INT(acct_host("https://u@evil/dir", host, sizeof(host)),
	    ACME_ERR_USAGE);
	CHECK_INT(acct_host("https://../dir", host, sizeof(host)),
	    ACME_ERR_USAGE);
	CHECK_STR(api_server_url("letsencrypt-staging"),
	    "https://acme-staging-v02.api.letsencrypt.org/directory");
	CHECK(api_server_url("http://x/dir") == NULL);
}

static void
t_chal_lookup(void)
{
	struct chal_ctx c;

	chal_init(&c);
	strcpy(c.answers[0].token, "tok_1");
	strcpy(c.answers[0].keyauth, "tok_1.thumb");
	c.nanswers = 1;
	CHECK_STR(chal_lookup(&c, "GET /.well-known/acme-challenge/tok_1 "
	    "HTTP/1.1\r\n"), "tok_1.thumb");
	CHECK(chal_lookup(&c, "GET /.well-known/acme-challenge/tok_ "
	    "HTTP/1.1\r\n") == NULL);
	CHECK(chal_lookup(&c, "GET /.well-known/acme-challenge/tok_12 "
	    "HTTP/1.1\r\n") == NULL);
	CHECK(chal_lookup(&c, "POST /.well-known/acme-challenge/tok_1 "
	    "HTTP/1.1\r\n") == NULL);
	CHECK(chal_lookup(&c, "GET /tok_1 HTTP/1.1\r\n") == NULL);
}

static void
t_api_idents(void)
{
	static struct ident ids[IDENT_MAX];
	const char *two[] = { "www.example.com", "EXAMPLE.com" };
	size_t n;

	CHECK_INT(api_idents("example.com", two, 2, ids, &n), 0);
	CHECK_INT(n, 2);
	CHECK_STR(ids[0].value, "example.com");
	CHECK_STR(ids[1].value, "www.example.com");
	CHECK_INT(api_idents("mysite", two, 1, ids, &n), 0);
	CHECK_INT(n, 1);
	CHECK_STR(ids[0].value, "www.example.com");
	err_clear();
	CHECK_INT(api_idents("mysite", two, 0, ids, &n), ACME_ERR_USAGE);
}

static void
t_clock_dates(void)
{
	int64_t t = 0;
	char buf[32];

	CHECK_INT(clock_days(1970, 1, 1), 0);
	CHECK_INT(clock_days(2000, 3, 1), 11017);
	CHECK_INT(clock_days(1969, 12, 31), -1);
	CHECK_INT(clock_parse_rfc3339("2026-11-22T10:00:00Z", &t), 0);
	CHECK_INT(t, 1795341600);
	CHECK_INT(clock_parse_rfc3339("2026-11-22T11:30:00.123+01:30", &t), 0);
	CHECK_INT(t, 1795341600);
	CHECK_INT(clock_parse_rfc3339("2024-02-29t00:00:00z", &t), 0);
	CHECK_INT(t, 1709164800);
	CHECK_INT(clock_parse_rfc3339("2023-02-29T00:00:00Z", &t), NONE);
	CHECK_INT(clock_parse_rfc3339("2026-11-22T10:00:00", &t), NONE);
	CHECK_INT(clock_parse_rfc3339("2026-11-22 10:00:00Z", &t), NONE);
	CHECK_INT(clock_parse_rfc3339("2026-13-01T00:00:00Z", &t), NONE);
	CHECK_INT(clock_parse_rfc3339("2026-11-22T10:00:00Zjunk", &t), NONE);
	CHECK_INT(clock_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &t),
	    0);
	CHECK_INT(t, 784111777);
	CHECK_INT(clock_parse_http_date("Sun, 22 Nov 2026 10:00:00 GMT", &t),
	    0);
	CHECK_INT(t, 1795341600);
	CHECK_INT(clock_parse_http_date("Sun, 06 Xyz 1994 08:49:37 GMT", &t),
	    NONE);
	CHECK_INT(clock_parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC", &t),
	    NONE);
	CHECK_INT(clock_parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", &t),
	    NONE);
	CHECK_INT(clock_parse_http_date("Sun, 31 Nov 1994 08:49:37 GMT", &t),
	    NONE);
	clock_format_rfc3339(1795341600, buf, sizeof(buf));
	CHECK_STR(buf, "2026-11-22T10:00:00Z");
	clock_format_rfc3339(0, buf, sizeof(buf));
	CHECK_STR(buf, "1970-01-01T00:00:00Z");
	clock_format_rfc3339(4102444800LL, buf, sizeof(buf));
	CHECK_STR(buf, "2100-01-01T00:00:00Z");
	clock_format_rfc3339(1770260645, buf, sizeof(buf));
	CHECK_STR(buf, "2026-02-05T03:04:05Z");
	clock_format_rfc3339(253402300799LL, buf, sizeof(buf));
	CHECK_STR(buf, "9999-12-31T23:59:59Z");
	clock_format_rfc3339(253402300800LL, buf, sizeof(buf));
	CHECK_STR(buf, "+10000-01-01T00:00:00Z");	/* musl's strftime */
	clock_format_rfc3339(0, buf, 8);		/* too small: @secs */
	CHECK_STR(buf, "@0");
}

/* import-certbot's archive names: exactly certK.pem, K > 0. */
static void
t_imp_version(void)
{
	CHECK_INT(imp_version("cert1.pem"), 1);
	CHECK_INT(imp_version("cert27.pem"), 27);
	CHECK_INT(imp_version("cert007.pem"), 7);
	CHECK_INT(imp_version("cert0.pem"), 0);
	CHECK_INT(imp_version("cert.pem"), 0);
	CHECK_INT(imp_version("cert3.pem~"), 0);
	CHECK_INT(imp_version("cert3.pe"), 0);
	CHECK_INT(imp_version("cert-3.pem"), 0);
	CHECK_INT(imp_version("chain3.pem"), 0);
	CHECK_INT(imp_version("privkey3.pem"), 0);
	CHECK_INT(imp_version("cert99999999999.pem"), 0);
	CHECK_INT(imp_version(""), 0);
}

/*
 * vendor/patches/musl-printf-no-float.patch: the musl builds (release,
 * device targets) format no floating-point number, so acme must not use
 * %e %f %g %a; glibc (the sanitizer build) does format them.
 */
static void
t_printf_no_float(void)
{
	/* called through a pointer: gcc would fold the results of a direct
	   call (-fprintf-return-value assumes a full printf) */
	int (*volatile fmt)(char *, size_t, const char *, ...) = snprintf;
	char b[16];

#ifdef __GLIBC__
	CHECK_INT(fmt(b, sizeof(b), "%.1f", 1.5), 3);
#else
	errno = 0;
	CHECK_INT(fmt(b, sizeof(b), "%.1f", 1.5), -1);
	CHECK_INT(errno, EINVAL);
#endif
	CHECK_INT(fmt(b, sizeof(b), "%d %s", 7, "ok"), 4);
	CHECK_STR(b, "7 ok");
}

static const struct unit_test tests_core[] = {
	{ "printf_no_float", t_printf_no_float },
	{ "clock_dates", t_clock_dates },
	{ "ident_parse", t_ident_parse },
	{ "store_name", t_store_name },
	{ "store_write", t_store_write },
	{ "buf_sticky", t_buf_sticky },
	{ "store_install", t_store_install },
	{ "store_install_fallback", t_store_install_fallback },
	{ "store_recover_states", t_store_recover_states },
	{ "clock_issued_at", t_clock_issued_at },
	{ "store_entry_name", t_store_entry_name },
	{ "file_get", t_file_get },
	{ "http_headers", t_http_headers },
	{ "problem_line", t_problem_line },
	{ "problem_garbage", t_problem_garbage },
	{ "poll_delay", t_poll_delay },
	{ "poll_schedule", t_poll_schedule },
	{ "url_and_host", t_url_and_host },
	{ "chal_lookup", t_chal_lookup },
	{ "api_idents", t_api_idents },
	{ "imp_version", t_imp_version },
	{ NULL, NULL },
};
