/*
 * fuzz_certbot.c - libFuzzer entry point for a certbot renewal
 * configuration (renewal/NAME.conf, an INI file import-certbot reads):
 * imp_cb_conf() with the checks an import applies (imp_server_ok,
 * imp_cb_key_type, imp_check_chal), and when it accepts the file, the
 * round trip acme relies on: the conf/NAME.conf that imp_write_conf()
 * makes from it must load again (renew_conf) with the same server, webroot
 * and port, so an imported certificate can always be renewed.
 *
 * Invariants (abort): the report of what was not carried over is
 * printable, the
 * written conf loads and says what the renewal file said.
 *
 *   make fuzz FUZZ_SECONDS=60      (builds fuzz/fuzz_certbot and runs it)
 */
#include "fuzz.h"

#define FUZZ_NAME	"fz.example.com"

/* The import run reading (and writing) fuzz_dir(). */
static struct imp_run *
fuzz_run(void)
{
	static struct imp_run r;

	if (r.src == NULL) {
		r.src = &imp_certbot;
		r.srcfd = r.run.storefd = fuzz_dir();
		snprintf(r.srcabs, sizeof(r.srcabs), "%s", fuzz_tmp);
	}
	return &r;
}

/* conf/FUZZ_NAME.conf as written from c: loads, and agrees with c. */
static void
fuzz_round_trip(const struct imp_conf *c)
{
	static struct imp_set s;
	static struct conf back;
	static const struct acme_options cli;
	int conffd;

	s.xi[0].nsan = 1;
	s.xi[0].san[0].type = IDENT_DNS;
	snprintf(s.xi[0].san[0].value, sizeof(s.xi[0].san[0].value),
	    FUZZ_NAME);
	s.kt = "ec256";
	if (imp_write_conf(fuzz_run(), FUZZ_NAME, &s, c) < 0)
		abort();
	if ((conffd = openat(fuzz_dir(), "conf", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		abort();
	if (renew_conf(conffd, "DIR", FUZZ_NAME, &cli, &back) < 0)
		abort();
	close(conffd);
	if (back.o.server == NULL || strcmp(back.o.server, c->server) != 0)
		abort();
	if (strcmp(c->authenticator, "webroot") == 0 && c->webroot[0] != '\0' &&
	    (back.o.webroot == NULL || strcmp(back.o.webroot, c->webroot) != 0))
		abort();
	if (strcmp(c->authenticator, "standalone") == 0 && (!back.o.standalone ||
	    back.o.http_port != (c->http_port[0] ? atoi(c->http_port) : 80)))
		abort();
	buf_free(&back.text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct imp_conf c;

	log_verbosity = -1;
	if (fuzz_subdirs[0] == NULL) {
		if (mkdirat(fuzz_dir(), "renewal", 0700) < 0 ||
		    mkdirat(fuzz_dir(), "conf", 0700) < 0)
			abort();
		fuzz_names[0] = "renewal/" FUZZ_NAME ".conf";
		fuzz_names[1] = "conf/" FUZZ_NAME ".conf";
		fuzz_subdirs[0] = "renewal";
		fuzz_subdirs[1] = "conf";
	}
	fuzz_file("renewal/" FUZZ_NAME ".conf", data, size);
	imp_conf_free(&c);
	imp_conf_init(&c, FUZZ_NAME);
	err_clear();
	if (imp_cb_conf(fuzz_run(), FUZZ_NAME, &c) == 0 &&
	    imp_server_ok(&c) == 0) {
		imp_cb_key_type(&c);
		imp_check_chal(&c);
		if (c.report.data != NULL)
			fuzz_printable_lines((const char *)c.report.data);
		fuzz_round_trip(&c);
	} else
		fuzz_one_line(err_msg);
	err_clear();
	return 0;
}
