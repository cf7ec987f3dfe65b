# test/e2e/01-source.sh - acme.c as a reader meets it: the table of
# contents, the section banners, each section's "May call:" and
# "Prefixes:" lines and the types its structs hold agree, no function
# returns a bare -1, every err_hush() is lifted (test/toc.py), and the
# checker itself catches each kind of drift.

# toc_broken WHAT SED [SAYS]: a copy of acme.c changed by SED must fail
# the check (with a line holding SAYS).
toc_broken()
{
	sed "$2" "$LIB_REPO/acme.c" >"$T/acme.c"
	cmp -s "$T/acme.c" "$LIB_REPO/acme.c" && fail "$1: the edit changed nothing"
	"$PYTHON" "$LIB_REPO/test/toc.py" "$T/acme.c" >"$T/toc.out" &&
	    fail "$1: test/toc.py found nothing wrong"
	[ "$(wc -l <"$T/toc.out")" -ge 1 ] || fail "$1: no line says why"
	[ -z "${3:-}" ] || grep -qF "$3" "$T/toc.out" ||
	    fail "$1: not said: $(head -n 1 "$T/toc.out")"
}

e2e source_toc noacme
t_source_toc()
{
	"$PYTHON" "$LIB_REPO/test/toc.py" "$LIB_REPO/acme.c" >"$T/toc.out" ||
	    fail "$(head -n 3 "$T/toc.out" | paste -sd ' ')"
	toc_broken "a subsection renamed" \
	    '0,/^\/\* ---- hooks ---- \*\//s//\/* ---- hook runner ---- *\//'
	toc_broken "a section renamed in the contents" \
	    '0,/^ \*  3\. Utilities$/s// *  3. Helpers/'
	toc_broken "a May call line that lies" \
	    '0,/^ \* May call: 2-3\.$/s// * May call: 2-3, 5./'
	toc_broken "a banner without an introduction" \
	    '/^\/\* ==== 4\. Encodings ==== \*\//{n;n;s/^\/\*$/int toc_x;/}'
	toc_broken "a function without its section's prefix" \
	    's/^pem_banner(/banner_pem(/' "section 4: banner_pem has none"
	toc_broken "a prefix named by two sections" \
	    's/^ \* Prefixes: json_, jw_\.$/ * Prefixes: json_, jw_, pem_./' \
	    "section 5: prefix pem_ is section 4's"
	toc_broken "acme_ outside acme.h's API" \
	    's/^xstrdup(/acme_xstrdup(/' "acme_xstrdup is no function of acme.h"
	toc_broken "a section without its Prefixes line" \
	    '/^ \* Prefixes: x509_\.$/d' "section 9: its introduction has no"
	toc_broken "a bare return -1" \
	    '0,/^\treturn NONE;$/s//\treturn -1;/' "a bare -1 returned"
	toc_broken "a hush never lifted" \
	    '/^\t\t\tprintf(" %s", xi->san\[i\]\.value);$/{n;d}' \
	    "list_idents: an err_hush() without its err_unhush()"
	toc_broken "a return while errors are hushed" \
	    's/^\tlen = hook_api_value(v);$/\tif ((len = hook_api_value(v)) < 0)\n\t\treturn NONE;/' \
	    "imp_sh_value returns while errors are hushed"
	toc_broken "a May call line without a type's section" \
	    '/^\/\* ==== 10\./i static struct pem_obj *toc_x;' \
	    "section 9: says"
	toc_broken "a later section's struct" \
	    '/^\/\* ==== 4\./i static struct renew_run *toc_x;' \
	    "section 3 names struct renew_run, which section"
	toc_broken "a later section's enum constant" \
	    '/^\/\* ==== 4\./i static int toc_x = ST_SETUP;' \
	    "section 3 names ST_SETUP, which section"
	toc_broken "a later section's typedef" \
	    '/^\/\* ==== 4\./i static toc_t toc_y;
	    /^\/\* ==== 5\./i typedef int toc_t;' \
	    "section 3 names toc_t, which section 4 defines"
	toc_broken "a member of a later section's type" \
	    '/^struct api_run {$/a\	struct renew_item *toc_x;' \
	    "struct api_run member toc_x names struct renew_item"
	toc_broken "a field only a later section uses" \
	    's/\/\* section [0-9]*.s: the account$/\/* the account/' \
	    "struct acme field again is used only by section"
	toc_broken "a field given to the wrong section" \
	    's/\/\* section [0-9]*\(.s: the account\)$/\/* section 3\1/' \
	    "struct acme field again says section 3's, used by section"
	toc_broken "a kept file opened outside File formats" \
	    's/r |= file_conf_exists(storefd, name);/r |= store_exists(storefd, "%s.conf");/' \
	    'names "%s.conf", a file of section "File formats"'
	toc_broken "the lock taken outside File formats" \
	    's/^\(\t*\)if ((rc = file_lock(fd, dir, o->wait)) < 0 ||/\1if (flock(fd, LOCK_EX) < 0 ||/' \
	    'names flock('
	toc_broken "meta.txt read outside File formats and Storage" \
	    's/rc = file_meta_read(fd, &meta);/rc = store_read(fd, "meta.txt", \&meta, META_MAX);/' \
	    'names "meta.txt"'
	toc_broken "no File formats section" \
	    's/^\(\/\* ==== 12\. \)File formats/\1Formats/; s/^ \* 12\. File formats$/ * 12. Formats/' \
	    'no "File formats" section'
}
