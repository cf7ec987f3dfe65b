/*
 * fuzz_standalone.c - libFuzzer entry point for the standalone http-01
 * responder's request parser: whatever connects to port 80 while acme
 * waits for the CA. The input is what the client sends (then it shuts
 * its side down); the responder's connection code (chal_conn_open,
 * chal_http_io, chal_conn_close: what chal_serve does for each client)
 * reads it from a socketpair and answers.
 *
 * Invariants (abort): the answer is a whole HTTP/1.1 response, 200 with
 * exactly the key authorization only when the request line asked for the
 * token's path, 404 otherwise; nothing else is served.
 *
 *   make fuzz FUZZ_SECONDS=60      (builds fuzz/fuzz_standalone and runs it)
 */
#include "fuzz.h"

#define FUZZ_TOKEN	"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define FUZZ_KEYAUTH	FUZZ_TOKEN ".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"

static struct chal_ctx *
fuzz_ctx(void)
{
	static struct chal_ctx *c;

	if (c == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL)
			abort();
		snprintf(c->answers[0].token, sizeof(c->answers[0].token),
		    "%s", FUZZ_TOKEN);
		snprintf(c->answers[0].keyauth, sizeof(c->answers[0].keyauth),
		    "%s", FUZZ_KEYAUTH);
		c->answers[0].type = CHAL_HTTP01;
		c->nanswers = 1;
	}
	return c;
}

/* Serve the one client on fd as the responder does, step by step, until
 * it is done; fd is closed then. */
static void
fuzz_serve(int fd)
{
	struct chal_ctx *c = fuzz_ctx();
	struct chal_srv srv = { &c, 1 };
	struct chal_conn k;
	int steps;

	memset(&k, 0, sizeof(k));
	chal_conn_open(&k, fd, 0);
	/* a blocking socket holding the whole input and its end: every
	 * step reads or sends at least a byte, or ends the connection */
	for (steps = 0; k.fd >= 0 && steps < 4 * STANDALONE_REQ_MAX; steps++)
		if (chal_http_io(&srv, &k))
			break;
	chal_conn_close(&k);
}

/* The request asked for the token: its request line is exactly that. */
static int
fuzz_asked(const uint8_t *p, size_t n)
{
	static const char want[] = "GET " CHAL_HTTP_PREFIX FUZZ_TOKEN " ";

	return n >= sizeof(want) - 1 && memcmp(p, want, sizeof(want) - 1) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[KEYAUTH_MAX + 512];
	int sv[2];
	ssize_t n;
	size_t len = 0;

	if (size > STANDALONE_REQ_MAX * 2 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	if (size > 0 && write(sv[0], data, size) != (ssize_t)size)
		abort();
	shutdown(sv[0], SHUT_WR);
	fuzz_serve(sv[1]);
	while (len < sizeof(out) - 1 &&
	    (n = read(sv[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(sv[0]);
	if (len == 0)
		return 0;		/* no whole request: no answer */
	if (strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0) {
		if (!fuzz_asked(data, size) || strstr(out, "\r\n\r\n"
		    FUZZ_KEYAUTH) == NULL)
			abort();
	} else if (strncmp(out, "HTTP/1.1 404 Not Found\r\n", 24) != 0)
		abort();
	return 0;
}
