/*
 * unit.h - a tiny test framework for acme's unit tests.
 *
 * A test is a function `static void t_name(void)` listed in a table of
 * struct unit_test. CHECK* macros print `file:line: expr` with both values
 * on failure and mark the running test failed; they never abort.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <string.h>

struct unit_test {
	const char	*name;
	void		(*fn)(void);
};

static int unit_failed;		/* the running test failed */

static void
unit_hex(const char *what, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	fprintf(stderr, "    %s (%zu bytes): ", what, n);
	for (i = 0; i < n && i < 128; i++)
		fprintf(stderr, "%02x", b[i]);
	fprintf(stderr, "%s\n", n > 128 ? "..." : "");
}

#define CHECK(expr) do {						\
	if (!(expr)) {							\
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n",		\
		    __FILE__, __LINE__, #expr);				\
		unit_failed = 1;					\
	}								\
} while (0)

#define CHECK_INT(a, b) do {						\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	if (a_ != b_) {							\
		fprintf(stderr, "%s:%d: %s == %s: %lld != %lld\n",	\
		    __FILE__, __LINE__, #a, #b, a_, b_);		\
		unit_failed = 1;					\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *a_ = (a), *b_ = (b);				\
	if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {		\
		fprintf(stderr, "%s:%d: %s == %s: \"%s\" != \"%s\"\n",	\
		    __FILE__, __LINE__, #a, #b,				\
		    a_ ? a_ : "(null)", b_ ? b_ : "(null)");		\
		unit_failed = 1;					\
	}								\
} while (0)

#define CHECK_MEM(a, alen, b, blen) do {				\
	const void *a_ = (a), *b_ = (b);				\
	size_t al_ = (alen), bl_ = (blen);				\
	if (al_ != bl_ || memcmp(a_, b_, al_) != 0) {			\
		fprintf(stderr, "%s:%d: %s == %s: bytes differ\n",	\
		    __FILE__, __LINE__, #a, #b);			\
		unit_hex(#a, a_, al_);					\
		unit_hex(#b, b_, bl_);					\
		unit_failed = 1;					\
	}								\
} while (0)

#endif
