/*
 * fuzz.h - what the libFuzzer entry points test/fuzz_*.c include first:
 * ../acme.c (without its main) and helpers they share. Each fuzzer stays a
 * thin wrapper around the parser it names, so that it can follow that
 * parser when acme.c moves.
 *
 * The Makefile compiles every test/fuzz_*.c into one translation unit
 * (fuzz/fuzzers.c, see test/fuzzers.h), so that acme.c is compiled once
 * for all of them: fuzz.h is read once (the guard), and the file-scope
 * names of the fuzzers (their static functions and macros) must differ
 * from one fuzzer to the next.
 */
#ifndef FUZZ_H
#define FUZZ_H

#define ACME_NO_MAIN
#include "../acme.c"

#include <stdlib.h>

#define FUZZ_UNUSED	__attribute__((unused))	/* not every fuzzer needs each */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One parser of a fuzzer that feeds several: the input less its first
 * byte. */
typedef void (*fuzz_target)(const uint8_t *p, size_t n);

/*
 * The entry point of a fuzzer with n targets: the first byte of the input
 * picks one (its value modulo n, so the stored corpora keep their
 * meaning), the rest is that target's input. Errors start and end clear.
 */
static FUZZ_UNUSED int
fuzz_pick(const uint8_t *data, size_t size, const fuzz_target *t, size_t n)
{
	if (size < 1)
		return 0;
	err_clear();
	t[data[0] % n](data + 1, size - 1);
	err_clear();
	return 0;
}

/* s is one line (no newline) of printable ASCII, else abort(). */
static FUZZ_UNUSED void
fuzz_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			abort();
}

/* s is lines of printable ASCII, each ended by a newline, else abort(). */
static FUZZ_UNUSED void
fuzz_printable_lines(const char *s)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\n') ||
		    (unsigned char)*s >= 0x7f)
			abort();
}

/* s holds no newline (one error line), else abort(). */
static FUZZ_UNUSED void
fuzz_one_line(const char *s)
{
	if (strchr(s, '\n') != NULL)
		abort();
}

static int fuzz_dir_fd = -1;
static char fuzz_tmp[64];
static const char *fuzz_names[4];	/* files made in fuzz_tmp */
static const char *fuzz_subdirs[4];	/* then these, in this order */

static FUZZ_UNUSED void
fuzz_rmdir(void)
{
	size_t i;

	for (i = 0; i < 4 && fuzz_names[i] != NULL; i++)
		unlinkat(fuzz_dir_fd, fuzz_names[i], 0);
	for (i = 0; i < 4 && fuzz_subdirs[i] != NULL; i++)
		unlinkat(fuzz_dir_fd, fuzz_subdirs[i], AT_REMOVEDIR);
	rmdir(fuzz_tmp);
}

/*
 * A directory fd for parsers that read a file by name below a directory
 * (store_read): one private temporary directory per process (TMPDIR,
 * else /dev/shm, else /tmp), removed at exit with the files fuzz_file()
 * made and the subdirectories in fuzz_subdirs (made by the caller).
 */
static FUZZ_UNUSED int
fuzz_dir(void)
{
	const char *t = getenv("TMPDIR");

	if (fuzz_dir_fd >= 0)
		return fuzz_dir_fd;
	if (t == NULL || strlen(t) >= 40)	/* tmpfs: fsync is cheap */
		t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(fuzz_tmp, sizeof(fuzz_tmp), "%s/acme-fuzz.XXXXXX", t);
	if (mkdtemp(fuzz_tmp) == NULL || (fuzz_dir_fd = open(fuzz_tmp,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		abort();
	atexit(fuzz_rmdir);
	return fuzz_dir_fd;
}

/* dir/name (a string literal) holds exactly data[0..size). */
static FUZZ_UNUSED void
fuzz_file(const char *name, const uint8_t *data, size_t size)
{
	int fd = openat(fuzz_dir(), name, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600);
	size_t i;

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	for (i = 0; i < 4 && fuzz_names[i] != NULL; i++)
		if (strcmp(fuzz_names[i], name) == 0)
			return;
	if (i == 4)
		abort();
	fuzz_names[i] = name;
}

#endif /* FUZZ_H */
