/*
 * unit.c - acme's unit tests. It includes acme.c itself (ACME_NO_MAIN) so
 * the tests reach its static functions.
 *
 *   test/unit            run every test
 *   test/unit NAME...    run the named tests (a trailing '*' matches a
 *                        prefix: test/unit 'json_*')
 *   test/unit --list     list the test names
 *
 * Prints `ok NAME` or `FAIL NAME` per test (failed checks go to stderr as
 * `file:line: expr` with both values) and ends with `N passed, N failed`.
 */
#define ACME_NO_MAIN
#include "../acme.c"
#include "unit.h"

#include "t_encodings.c"
#include "t_crypto.c"
#include "t_storage.c"
#include "t_challenges.c"
#include "t_renew.c"
#include "t_requests.c"
#include "t_limits.c"
#include "t_imports.c"

static const struct unit_test *const unit_tables[] = {
	tests_enc, tests_crypto, tests_core,
	tests_chal,
	tests_renew,
	tests_proto,
	tests_trust,
	tests_import,
};

static int
unit_selected(const char *name, int argc, char **argv)
{
	size_t n;
	int i;

	if (argc < 2)
		return 1;
	for (i = 1; i < argc; i++) {
		n = strlen(argv[i]);
		if (strcmp(argv[i], name) == 0 || (n > 0 &&
		    argv[i][n - 1] == '*' && strncmp(argv[i], name, n - 1) == 0))
			return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const struct unit_test *t;
	int passed = 0, failed = 0, list;
	size_t i;

	list = argc > 1 && strcmp(argv[1], "--list") == 0;
	if (!list && rng_init() < 0) {
		fprintf(stderr, "rng_init: %s\n", err_msg);
		return 1;
	}
	for (i = 0; i < sizeof(unit_tables) / sizeof(unit_tables[0]); i++)
		for (t = unit_tables[i]; t->name != NULL; t++) {
			if (list) {
				puts(t->name);
				continue;
			}
			if (!unit_selected(t->name, argc, argv))
				continue;
			unit_failed = 0;
			err_clear();
			t->fn();
			printf("%s %s\n", unit_failed ? "FAIL" : "ok", t->name);
			fflush(stdout);
			if (unit_failed)
				failed++;
			else
				passed++;
		}
	if (list)
		return 0;
	if (passed + failed == 0) {
		fprintf(stderr, "no test matches\n");
		failed = 1;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
