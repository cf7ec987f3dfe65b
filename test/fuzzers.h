/*
 * fuzzers.h - the entry point of fuzz/fuzzers, the one binary that every
 * libFuzzer fuzzer test/fuzz_NAME.c is built into, so that acme.c (most of
 * the compile: clang with ASan, UBSan and coverage) is compiled once, not
 * once per fuzzer. The Makefile generates fuzz/fuzzers.c: test/fuzz.h,
 * then each fuzzer with its LLVMFuzzerTestOneInput renamed fuzz_one_NAME,
 * then FUZZ_TABLE ({ "NAME", fuzz_one_NAME }, ...) and this file; and it
 * links fuzz/fuzz_NAME to fuzz/fuzzers.
 *
 * The name the binary runs under picks the fuzzer: fuzz/fuzz_json runs
 * only fuzz_json.c's entry point, as a binary built from fuzz_json.c alone
 * would (the other fuzzers' code is there but never reached).
 */

struct fuzz_entry {
	const char *name;
	int (*one)(const uint8_t *data, size_t size);
};

static const struct fuzz_entry fuzz_entries[] = { FUZZ_TABLE };
static int (*fuzz_one)(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* libFuzzer calls this first, with main's arguments: fuzz_NAME picks NAME. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *b = strrchr((*argv)[0], '/');
	size_t i;

	(void)argc;
	b = b != NULL ? b + 1 : (*argv)[0];
	if (strncmp(b, "fuzz_", 5) == 0)
		b += 5;
	for (i = 0; i < sizeof(fuzz_entries) / sizeof(fuzz_entries[0]); i++)
		if (strcmp(b, fuzz_entries[i].name) == 0) {
			fuzz_one = fuzz_entries[i].one;
			return 0;
		}
	fprintf(stderr, "%s: run me as fuzz_NAME, NAME one of:", (*argv)[0]);
	for (i = 0; i < sizeof(fuzz_entries) / sizeof(fuzz_entries[0]); i++)
		fprintf(stderr, " %s", fuzz_entries[i].name);
	fprintf(stderr, "\n");
	exit(2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_one(data, size);
}
