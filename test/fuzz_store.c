/*
 * fuzz_store.c - libFuzzer entry point for the text files of the state
 * directory that acme reads back (a user may edit them; a crash or a bad
 * disk may leave anything in them):
 *   0  conf/NAME.conf: file_file_conf_parse(), then the checks renew runs on the
 *      result (api_limits, api_check, api_idents);
 *   1  conf/NAME.state: file_file_state_read() (ARI window, point, rate limit);
 *   2  meta.txt: file_get() of every key list/restore read, and the
 *      issued_at time.
 * The first input byte picks the file (modulo 3); the rest is its text.
 *
 * Invariants (abort): results inside their limits (identifiers, serial),
 * errors are one line.
 *
 *   make fuzz FUZZ_SECONDS=60      (builds fuzz/fuzz_store and runs it)
 */
#include "fuzz.h"

static void
fuzz_conf(const uint8_t *p, size_t n)
{
	static struct conf c;
	static struct ident ids[IDENT_MAX];
	static const struct acme_options cli;
	size_t nids;
	int kt;

	buf_free(&c.text);
	memset(&c, 0, sizeof(c));
	c.text.max = CONF_MAX;
	snprintf(c.file, sizeof(c.file), "fz.example.com.conf");
	if (buf_append(&c.text, p, n) < 0 || buf_append(&c.text, "", 0) < 0)
		return;
	if (file_conf_parse(&c, &cli) < 0) {
		fuzz_one_line(err_msg);
		return;
	}
	if (c.nidents == 0 || c.nidents > IDENT_MAX)
		abort();
	if (api_limits(&c.o, "") < 0 ||
	    api_check(&c.o, "fz.example.com", &kt) < 0 ||
	    api_idents("fz.example.com", c.idents, c.nidents, ids, &nids) < 0)
		fuzz_one_line(err_msg);
	else if (nids == 0 || nids > IDENT_MAX)
		abort();
}

static void
fuzz_state(const uint8_t *p, size_t n)
{
	struct renew_state st;

	fuzz_file("fz.example.com.state", p, n);
	if (file_state_read(fuzz_dir(), "fz.example.com", &st) < 0)
		fuzz_one_line(err_msg);	/* too large: an error, st empty */
	if (memchr(st.serial, '\0', sizeof(st.serial)) == NULL)
		abort();
}

static void
fuzz_meta(const uint8_t *p, size_t n)
{
	static const char *const keys[] = {
		"key_type", "issued_at", "not_after", "server", "name",
	};
	struct buf b = { .max = META_MAX };
	char v[64];
	int64_t t;
	size_t i;

	if (buf_append(&b, p, n) < 0 || buf_append(&b, "", 0) < 0)
		return;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (file_get(&b, keys[i], v, sizeof(v))) {
			if (strlen(v) >= sizeof(v))
				abort();
			(void)clock_parse_rfc3339(v, &t);
		}
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const fuzz_target t[] = { fuzz_conf, fuzz_state, fuzz_meta };

	return fuzz_pick(data, size, t, sizeof(t) / sizeof(t[0]));
}
