/*
 * fuzz_http.c - libFuzzer entry point for a CA's answer as acme reads it:
 * the header lines through http_header_cb() (Replay-Nonce, Location,
 * Link rel="up" and rel="alternate", Date, Retry-After) and the values
 * taken from them (the Date as CA time and issuance time, the nonce and
 * URL checks), then the body as a problem document through req_problem()
 * (RFC 7807, RFC 8555 6.7: type, detail, subproblems, hints, the
 * rateLimited retry time from Date and Retry-After).
 *
 * Input: header lines separated by "\n" (each handed over with its
 * "\r\n", as libcurl does), an empty line, then the body. The first line
 * should be a status line: "HTTP/1.1 429" sets the status (any other
 * first line leaves 400).
 *
 * Invariants (abort): every copied header value is NUL-terminated inside
 * its field, at most LINK_ALT_MAX alternates, a Retry-After is -1 or not
 * negative, and the error line made from the server's text is one line of
 * printable ASCII (server text is escaped before it is printed).
 *
 *   make fuzz FUZZ_SECONDS=60      (builds fuzz/fuzz_http and runs it)
 */
#include "fuzz.h"

static void
fuzz_field(const char *f, size_t cap)
{
	if (memchr(f, '\0', cap) == NULL)
		abort();
}

/* Hand the header block (p, n) to the callback line by line. */
static void
fuzz_headers(struct http_resp *r, const char *p, size_t n)
{
	static char line[HEADER_MAX + 3];
	const char *nl;
	size_t len;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		len = nl != NULL ? (size_t)(nl - p) : n;
		if (len + 2 < sizeof(line)) {
			memcpy(line, p, len);
			memcpy(line + len, "\r\n", 2);
			http_header_cb(line, 1, len + 2, r);
		}
		if (nl == NULL)
			break;
		n -= len + 1;
		p = nl + 1;
	}
}

/* What the request layer takes from the headers. */
static void
fuzz_values(const struct http_resp *r)
{
	const char *source;
	int64_t t;
	size_t i;

	fuzz_field(r->nonce, sizeof(r->nonce));
	fuzz_field(r->location, sizeof(r->location));
	fuzz_field(r->content_type, sizeof(r->content_type));
	fuzz_field(r->link_up, sizeof(r->link_up));
	fuzz_field(r->date, sizeof(r->date));
	if (r->nlink_alt > LINK_ALT_MAX || r->retry_after < -1)
		abort();
	for (i = 0; i < r->nlink_alt; i++) {
		fuzz_field(r->link_alt[i], URL_MAX);
		(void)req_url_ok(r->link_alt[i]);
	}
	(void)b64u_is_token(r->nonce);
	(void)req_url_ok(r->location);
	(void)req_url_ok(r->link_up);
	if (clock_parse_http_date(r->date, &t) == 0)
		(void)clock_issued_at(r->date, t - 3600, t + 86400, 3600,
		    &source);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_resp r;
	const char *p = (const char *)data, *body;
	char type[128];
	size_t hlen;
	long st;

	body = memmem(p, size, "\n\n", 2);
	hlen = body != NULL ? (size_t)(body - p) + 1 : size;
	http_resp_reset(&r);
	fuzz_headers(&r, p, hlen);
	r.status = 400;
	if (size >= 12 && memcmp(p, "HTTP/1.1 ", 9) == 0 &&
	    isdigit((unsigned char)p[9]) && isdigit((unsigned char)p[10]) &&
	    isdigit((unsigned char)p[11]) && (st = strtol((char[4]){ p[9],
	    p[10], p[11], '\0' }, NULL, 10)) >= 100 && st <= 599)
		r.status = st;
	fuzz_values(&r);
	if (body != NULL && buf_append(&r.body, body + 2,
	    size - hlen - 1) == 0) {
		err_clear();
		if (req_problem("https://ca.example/acme/x", &r, type,
		    sizeof(type)) >= 0 || memchr(type, '\0', sizeof(type)) ==
		    NULL)
			abort();
		fuzz_printable(err_msg);
	}
	err_clear();
	http_resp_free(&r);
	return 0;
}
