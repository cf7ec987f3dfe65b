/*
 * fuzz_proto.c - libFuzzer entry point for the protocol parsers that read
 * untrusted bytes: x509_csr_parse() (a --csr file), the Link rel="alternate"
 * header reader (a CA's answer) and meta.profiles (a CA's directory).
 * The first input byte picks the parser; the rest is its input.
 *
 * A crash, a sanitizer report or a failed invariant (abort) is a bug.
 *
 *   make fuzz FUZZ_SECONDS=60      (builds fuzz/fuzz_proto and runs it on
 *                                   test/fuzz/proto/, see test/fuzz.sh)
 */
#include "fuzz.h"


static void
fuzz_csr(const uint8_t *p, size_t n)
{
	static struct x509_info xi;
	struct der_cur spki;

	if (x509_csr_parse(p, n, &xi, &spki) == 0 && (xi.nsan > IDENT_MAX ||
	    spki.p < p || spki.end > p + n || spki.end < spki.p))
		abort();
}

static void
fuzz_link(const uint8_t *p, size_t n)
{
	static struct http_resp r;
	size_t i;

	http_resp_reset(&r);
	http_hdr_link_alt(&r, (const char *)p, n);
	if (r.nlink_alt > LINK_ALT_MAX)
		abort();
	for (i = 0; i < r.nlink_alt; i++)
		if (memchr(r.link_alt[i], '\0', URL_MAX) == NULL)
			abort();
	http_resp_free(&r);
}

static void
fuzz_profiles(const uint8_t *p, size_t n)
{
	static struct json j;
	static struct acme_dir d;

	if (json_parse(&j, (const char *)p, n) < 0)
		return;
	req_profiles(&d, &j, 0);
	if (d.nprofiles > PROFILE_MAX)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const fuzz_target t[] = { fuzz_csr, fuzz_link, fuzz_profiles };

	return fuzz_pick(data, size, t, sizeof(t) / sizeof(t[0]));
}
