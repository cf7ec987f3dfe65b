/*
 * fuzz_json.c - libFuzzer entry point for the readers of untrusted text
 * in sections 4 and 5: json_parse() and every accessor on every token,
 * a writer/reader round trip of every string that unescapes, and
 * pem_decode() on the same bytes. A broken invariant calls abort().
 *
 * A crash, a sanitizer report or a failed invariant (abort) is a bug.
 *
 *   make fuzz FUZZ_SECONDS=60      (builds fuzz/fuzz_json and runs it on
 *                                   test/fuzz/json/, see test/fuzz.sh)
 */
#include "fuzz.h"


static char fuzz_s[JSON_STR_MAX + 1];
static struct json fuzz_back;

/* Every reading of string t agrees, and the writer round-trips it. */
static void
fuzz_string(const struct json *j, int t)
{
	struct buf b = { .max = 8 * JSON_STR_MAX };
	struct jw w;
	char *d;
	int n;

	n = json_str(j, t, fuzz_s, sizeof(fuzz_s));
	d = json_strdup(j, t);
	if ((n >= 0) != (d != NULL))
		abort();
	if (n < 0)
		return;
	if ((size_t)n != strlen(fuzz_s) || strcmp(d, fuzz_s) != 0 ||
	    !json_eq(j, t, fuzz_s))
		abort();
	free(d);
	jw_init(&w, &b);
	jw_obj_open(&w, NULL);
	jw_strn(&w, "k", fuzz_s, (size_t)n);
	jw_obj_close(&w);
	if (jw_finish(&w) != 0)
		abort();
	if (b.len <= BODY_MAX && (json_parse(&fuzz_back, (char *)b.data,
	    b.len) != 0 || !json_eq(&fuzz_back, json_get(&fuzz_back, 0, "k"),
	    fuzz_s)))
		abort();
	buf_free(&b);
}

static void
fuzz_token(const struct json *j, int t)
{
	int n;

	switch (j->tok[t].type) {
	case JSMN_STRING:
		fuzz_string(j, t);
		break;
	case JSMN_OBJECT:
		if (json_get(j, t, "status") >= j->ntok ||
		    json_get(j, t, "") >= j->ntok)
			abort();
		break;
	case JSMN_ARRAY:
		n = json_array_len(j, t);
		if (json_array_at(j, t, n) != NONE ||
		    (n > 0 && json_array_at(j, t, n - 1) < 0))
			abort();
		break;
	default:
		if (json_bool(j, t) != NONE && (json_bool(j, t) < 0 ||
		    json_bool(j, t) > 1))
			abort();
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json j;
	struct pem_obj objs[8];
	size_t n = 0;
	int t;

	if (json_parse(&j, (const char *)data, size) == 0)
		for (t = 0; t < j.ntok; t++)
			fuzz_token(&j, t);
	if (pem_decode((const char *)data, size, objs, 8, &n) == 0)
		pem_objs_free(objs, n);
	else if (n != 0)
		abort();
	err_clear();
	return 0;
}
