/*
 * fuzz_x509.c - libFuzzer entry point for the X.509 reader (section 9):
 * x509_parse() and x509_key_matches() on untrusted DER.
 *
 * A crash, a sanitizer report or a failed invariant (abort) is a bug.
 *
 *   make fuzz FUZZ_SECONDS=60      (builds fuzz/fuzz_x509 and runs it on
 *                                   test/fuzz/x509/, see test/fuzz.sh)
 */
#include "fuzz.h"


/* What x509_parse() promises about a successful result. */
static void
fuzz_check(const struct x509_info *xi)
{
	size_t i;

	if (xi->serial_len == 0 || xi->serial_len > sizeof(xi->serial) ||
	    xi->aki_len > sizeof(xi->aki) || xi->nsan > IDENT_MAX ||
	    memchr(xi->issuer_cn, '\0', sizeof(xi->issuer_cn)) == NULL ||
	    memchr(xi->subject_cn, '\0', sizeof(xi->subject_cn)) == NULL)
		abort();
	for (i = 0; i < xi->nsan; i++)
		if (memchr(xi->san[i].value, '\0', sizeof(xi->san[i].value)) ==
		    NULL || (xi->san[i].type == IDENT_IP &&
		    xi->san[i].iplen != 4 && xi->san[i].iplen != 16))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct x509_info xi;
	static struct key k;
	int rc;

	if (!k.set && (rng_init() < 0 || key_generate(&k, KEY_EC256) < 0))
		abort();
	rc = x509_parse(data, size, &xi);
	if (rc == 0)
		fuzz_check(&xi);
	else if (rc != ACME_ERR_PROTO && rc != ACME_ERR_LIMIT)
		abort();
	rc = x509_key_matches(data, size, &k);
	if (rc != 0 && rc != 1 && rc != ACME_ERR_PROTO)
		abort();
	err_clear();
	return 0;
}
