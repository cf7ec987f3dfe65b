#!/usr/bin/env python3
"""test/toc.py - acme.c's table of contents agrees with its banners.

    python3 test/toc.py [acme.c]

The header comment lists every section ("/* ==== N. Title ==== */") and,
under it, every subsection ("/* ---- title ---- */") as " *     - title",
in file order. Every section banner is followed by its introduction: a
comment saying what the section owns, with a line " * May call: LIST."
naming exactly the sections whose functions or types it uses ("3-5, 9",
or "nothing above"); since a section only uses sections above it, a
number at or past its own is an error too. Its " * Prefixes: a_, b_."
line names the first word of every function defined in it: a prefix
belongs to one section, and acme_ only to the functions acme.h declares
(main aside).

Types follow calls. A section owns the struct, union and enum tags it
defines ("struct x {" at the start of a line), its typedef names and its
enum constants; naming one of another section counts that section in
its "May call:" set, and one of a later section is an error of its own.
A member of a section's struct that names a later section's type is an
error too. And a field of a section's struct that only later sections
use ("->f", ".f", offsetof and a one-line macro "#define M(f) offsetof(
struct x, f)") is one, unless its comment opens with
"section N's: " naming exactly the sections that use it (a deliberate
exception, said where the field is); the types of section "Types and
tables" are everyone's and not checked so. That last check is a
heuristic: it sees only field names that no other struct or union of
acme.c or acme.h has; it misses uses through a positional initializer,
a copy of the whole struct or any other macro, and it does not read the
tests.

The files acme keeps (DIR/time, meta.txt, the account record, conf/NAME.
conf, .state and .order, the lock) have one home, the "File formats"
section: no other section's code names one of them (FILES, as string
literals) or calls flock(); Storage alone may name meta.txt, which it
stores with the other files of a set and never reads.
No function returns a bare -1 (`return -1;`, `return c ? x : -1;`): it
reads as ACME_ERR_USAGE, so a "none" is NONE and a failure its code
(section 3's error convention). A function that hushes errors
(err_hush()) unhushes them as often, and returns nothing in between,
so no path leaves the whole run hushed.

Prints each disagreement on one line and exits 1; silent and 0 when all
agree.
"""
import os
import re
import sys

SEC = re.compile(r"^/\* ==== (\d+)\. (.+) ==== \*/$")
SUB = re.compile(r"^/\* ---- (.+) ---- \*/$")
TOC_SEC = re.compile(r"^ \* +(\d+)\. (.+)$")
TOC_SUB = re.compile(r"^ \*     - (.+)$")
GENERATED = re.compile(r"^(BEGIN|END) GENERATED")
MAY_CALL = re.compile(r"^ \* May call: (.+)\.$")
PREFIXES = re.compile(r"Prefixes: ([^.]*)\.")
API = re.compile(r"\b(acme_[a-z0-9_]+)\(")
FUNC = re.compile(r"^([a-z_][a-z0-9_]*)\(")
WORD = re.compile(r"(?<![.>\w])([a-z_][a-z0-9_]*)\b(?!\s*\[)")
TAG_DEF = re.compile(r"^(?:static )?(?:const )?(struct|union|enum) "
                     r"([a-z_][a-z0-9_]*) \{")
TAG_USE = re.compile(r"\b(struct|union|enum)\s+([a-z_][a-z0-9_]*)")
TYPEDEF = re.compile(r"^typedef\b([^;]*);", re.M)
BODY = re.compile(r"(?<![(\w])(struct|union)(?:\s+[a-z_][a-z0-9_]*)?\s*\{")
FIELD = re.compile(r"(?:->|\.)\s*([a-z_][a-z0-9_]*)|\boffsetof\s*\("
                   r"\s*(?:struct|union)\s+\w+\s*,\s*([a-z_][a-z0-9_]*)")
OFFSET_MACRO = re.compile(r"^#define\s+(\w+)\((\w+)\)\s+offsetof\s*\("
                          r"\s*(?:struct|union)\s+\w+\s*,\s*\2\s*\)", re.M)
THEIRS = re.compile(r"/\* section (\d+)'s: ")
SHARED = "Types and tables"
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
BARE = re.compile(r"\breturn\b(?:[^;{}]*[?:])?\s*\(?\s*-\s*1\s*\)?\s*;")


def code_only(text):
    """text with comments and string and character literals blanked out,
    line breaks kept (even in a literal that a broken file runs on), so
    that line numbers still match."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            j = text.index("*/", i + 2) + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text[i] in "\"'":
            q, j = text[i], i + 1
            while text[j] != q:
                j += 2 if text[j] == "\\" else 1
            out.append(q + "\n" * text.count("\n", i, j) + q)
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def ranges(nums):
    """[3, 4, 5, 9] as "3-5, 9"; [] as "nothing above"."""
    out, nums = [], sorted(nums)
    while nums:
        a = b = nums.pop(0)
        while nums and nums[0] == b + 1:
            b = nums.pop(0)
        out.append(str(a) if a == b else "%d-%d" % (a, b))
    return ", ".join(out) or "nothing above"


def spans_of(lines):
    """(first line, line past the end, number) of each section."""
    starts = [(i, int(SEC.match(l).group(1)))
              for i, l in enumerate(lines) if SEC.match(l)]
    return [(a, starts[k + 1][0] if k + 1 < len(starts) else len(lines),
             n) for k, (a, n) in enumerate(starts)]


def closing(text, i):
    """The index just past the brace that closes the one at text[i]."""
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j + 1
    return len(text)


def declarator(piece):
    """The name one declarator declares: "*name[N]", "(*name)(...)"."""
    m = re.search(r"\(\s*\*\s*([A-Za-z_]\w*)\s*\)", piece)
    if m is None:
        m = re.search(r"([A-Za-z_]\w*)\s*(?:\[[^]]*\]\s*)*"
                      r"(?::\s*\w+\s*)?$", piece)
    return m.group(1) if m else None


def members(body):
    """(names, declaration) of each member of a struct or union body
    (the text between its braces); a nested struct's members are its
    own, and the name after its closing brace one more."""
    out = []
    for decl in re.split(r"[;{}]", body):
        if re.fullmatch(r"\s*((struct|union|enum)(\s+\w+)?)?\s*", decl):
            continue
        pieces, depth, cur = [], 0, ""
        for c in decl:
            depth += (c in "([") - (c in ")]")
            if c == "," and depth == 0:
                pieces.append(cur)
                cur = ""
            else:
                cur += c
        pieces.append(cur)
        names = [declarator(p) for p in pieces]
        out.append(([x for x in names if x], decl))
    return out


def bodies(text):
    """The member names of every struct and union body in text, tagged
    or not, at file level or inside a function, with repeats."""
    out = []
    for m in BODY.finditer(text):
        a = text.index("{", m.start())
        for names, _ in members(text[a + 1:closing(text, a) - 1]):
            out.extend(names)
    return out


class Types:
    """The types each section owns: its struct, union and enum tags
    ("struct x"), typedef names and enum constants, and its structs'
    bodies."""

    def __init__(self, code, spans):
        self.tags, self.names, self.structs = {}, {}, []
        self.shared = set()
        text = "\n".join(code)
        offset = [0]
        for l in code:
            offset.append(offset[-1] + len(l) + 1)
        for a, b, n in spans:
            for i in range(a, min(b, len(code))):
                m = TAG_DEF.match(code[i])
                if m is None:
                    continue
                tag = "%s %s" % m.groups()
                self.tags[tag] = n
                j = text.index("{", offset[i])
                e = closing(text, j)
                body = text[j + 1:e - 1]
                if m.group(1) == "enum":
                    for c in IDENT.findall(re.sub(r"=[^,]*", "", body)):
                        self.names[c] = n
                else:
                    self.structs.append((n, tag, body,
                                         i, i + text.count("\n", j, e)))
            for m in TYPEDEF.finditer("\n".join(code[a:b])):
                d = declarator(m.group(1))
                if d:
                    self.names[d] = n

    def used(self, line):
        """The types a line of code names: tags and names."""
        out = ["%s %s" % m for m in TAG_USE.findall(line)
               if "%s %s" % m in self.tags]
        out += [w for w in IDENT.findall(line) if w in self.names]
        return out

    def owner(self, t):
        return self.tags.get(t, self.names.get(t))


def calls(lines, errors, header):
    """Check each section's "May call:" line against the functions and
    types of other sections its code names."""
    code = code_only("\n".join(lines)).split("\n")
    spans = spans_of(lines)
    owner = {}
    for a, b, n in spans:
        for l in code[a:b]:
            m = FUNC.match(l)
            if m:
                owner[m.group(1)] = n
    types = Types(code, spans)
    types.shared = set(int(SEC.match(l).group(1)) for l in lines
                       if SEC.match(l) and SEC.match(l).group(2) == SHARED)
    for a, b, n in spans:
        used, later = set(), {}
        for l in code[a:b]:
            used.update(owner[w] for w in WORD.findall(l)
                        if owner.get(w, n) != n)
            for t in types.used(l):
                if types.owner(t) != n:
                    used.add(types.owner(t))
                if types.owner(t) > n:
                    later[t] = types.owner(t)
        said = None
        for l in lines[a + 1:b]:
            m = MAY_CALL.match(l)
            if m:
                said = m.group(1)
                break
            if l.startswith(" */"):
                break
        if said is None:
            errors.append("section %d: its introduction has no "
                          "\"May call: %s.\" line" % (n, ranges(used)))
        elif said != ranges(used):
            errors.append("section %d: says \"May call: %s.\", calls %s"
                          % (n, said, ranges(used)))
        for t in sorted(later):
            errors.append("section %d names %s, which section %d defines"
                          % (n, t, later[t]))
        if any(u > n for u in used):
            errors.append("section %d calls a later section" % n)
    layout(lines, code, spans, types, header, errors)


def theirs(lines, code, first, last, name):
    """The section a field's comment gives it to ("section N's: "), or
    None: its declaration is the line of first..last naming it."""
    for k in range(first, last + 1):
        if re.search(r"\b%s\s*[\[;,):]" % name, code[k]):
            for l in lines[k:last + 1]:
                m = THEIRS.search(l)
                if m or "*/" in l:
                    return m and m.group(1)
            return None
    return None


def layout(lines, code, spans, types, header, errors):
    """No struct of a section holds a member of a later section's type,
    nor a field only later sections use (unless its comment says whose
    it is: "section N's: ")."""
    text = "\n".join(code)
    count = {}
    for name in bodies(text) + bodies(code_only(header)):
        count[name] = count.get(name, 0) + 1
    users = {}
    macros = "|".join(m.group(1) for m in OFFSET_MACRO.finditer(text))
    macro = re.compile(r"\b(?:%s)\(\s*([a-z_][a-z0-9_]*)\s*\)" %
                       (macros or "(?!)"))
    for a, b, n in spans:
        for l in code[a:b]:
            for f in FIELD.findall(l):
                users.setdefault(f[0] or f[1], set()).add(n)
            for f in macro.findall(l):
                users.setdefault(f, set()).add(n)
    for n, tag, body, first, last in types.structs:
        for names, decl in members(body):
            for t in sorted(set(types.used(decl))):
                if types.owner(t) > n:
                    errors.append("section %d: %s member %s names %s, "
                                  "which section %d defines" % (n, tag,
                                  ", ".join(names), t, types.owner(t)))
            for name in names:
                s = users.get(name, set())
                said = theirs(lines, code, first, last, name)
                if said is not None and said != ranges(s):
                    errors.append("section %d: %s field %s says section "
                                  "%s's, used by section %s" % (n, tag,
                                  name, said, ranges(s)))
                elif (said is None and count.get(name) == 1 and s and
                      min(s) > n and n not in types.shared):
                    errors.append("section %d: %s field %s is used only "
                                  "by section %s" % (n, tag, name,
                                  ranges(s)))


def bare(lines, errors):
    """No return statement gives a bare -1 (section 3's convention)."""
    code = code_only("\n".join(lines))
    for m in BARE.finditer(code):
        errors.append("line %d: a bare -1 returned: NONE for an answer, "
                      "an ACME_ERR_ code for a failure"
                      % (code.count("\n", 0, m.start()) + 1))


HUSH = re.compile(r"\b(err_hush|err_unhush)\s*\(\s*\)|\breturn\b")


def hushes(lines, errors):
    """err_hush() and err_unhush() pair up in each function, with no
    return between them."""
    code = code_only("\n".join(lines))
    for m in re.finditer(r"^([a-z_][a-z0-9_]*)\(", code, re.M):
        i = code.find("\n{", m.end())
        if i < 0 or m.group(1) in ("err_hush", "err_unhush"):
            continue
        body, depth = code[i + 1:closing(code, i + 1)], 0
        for h in HUSH.finditer(body):
            at = code.count("\n", 0, i + 1 + h.start()) + 1
            if h.group(1) == "err_hush":
                depth += 1
            elif h.group(1) == "err_unhush":
                depth -= 1
            if depth < 0 or (depth > 0 and h.group(1) is None):
                errors.append("line %d: %s %s while errors are hushed"
                              % (at, m.group(1), "unhushes more than it "
                                 "hushed" if depth < 0 else "returns"))
                break
        else:
            if depth != 0:
                errors.append("%s: an err_hush() without its "
                              "err_unhush()" % m.group(1))


FORMATS = "File formats"
FILES = ('"time"', '"meta.txt"', '"account.txt"', '"key.pem"',
         '"key-rollover.pem"', '"%s.conf"', '"%s.state"', '"%s.order"',
         "flock(")
FILES_ALSO = {"Storage": ('"meta.txt"',)}


def no_comments(text):
    """text with comments blanked out (string literals kept), line
    breaks kept."""
    return re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"),
                  text, flags=re.S)


def formats(lines, errors):
    """The kept files are named only in the File formats section."""
    code = no_comments("\n".join(lines)).split("\n")
    starts = [(i, SEC.match(l)) for i, l in enumerate(lines) if SEC.match(l)]
    if not any(m.group(2) == FORMATS for _, m in starts):
        errors.append("no \"%s\" section" % FORMATS)
        return
    for k, (a, m) in enumerate(starts):
        if m.group(2) == FORMATS:
            continue
        b = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        for i in range(a, b):
            for f in FILES:
                if f in code[i] and f not in FILES_ALSO.get(m.group(2), ()):
                    errors.append("line %d: section %s names %s, a file "
                                  "of section \"%s\"" % (i + 1, m.group(1),
                                                         f, FORMATS))


def intro(lines, a, b):
    """The introduction of the section whose banner is line a, as one
    line of text."""
    out = []
    for l in lines[a + 1:b]:
        if l.startswith(" */"):
            break
        out.append(l[3:] if l.startswith(" * ") else "")
    return " ".join(out)


def prefixes(lines, errors, api):
    """Every function carries a prefix its section's "Prefixes:" line
    names; no prefix is named twice; acme_ is the API's (api: the names
    acme.h declares)."""
    starts = [(i, int(SEC.match(l).group(1)))
              for i, l in enumerate(lines) if SEC.match(l)]
    owner = {}
    for k, (a, n) in enumerate(starts):
        b = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        m = PREFIXES.search(intro(lines, a, b))
        if m is None:
            errors.append("section %d: its introduction has no "
                          "\"Prefixes: a_, b_.\" line" % n)
            continue
        own = [p.strip() for p in m.group(1).split(",")
               if p.strip().endswith("_")]
        for p in own:
            if p == "acme_" or p in owner:
                errors.append("section %d: prefix %s is %s's" % (n, p,
                              "acme.h" if p == "acme_" else
                              "section %d" % owner[p]))
            owner.setdefault(p, n)
        for l in lines[a:b]:
            f = FUNC.match(l)
            if f is None or f.group(1) == "main":
                continue
            name = f.group(1)
            if name.startswith("acme_"):
                if name not in api:
                    errors.append("section %d: %s is no function of "
                                  "acme.h: acme_ is the API's" % (n, name))
            elif not any(name.startswith(p) or name + "_" == p
                         for p in own):
                errors.append("section %d: %s has none of its prefixes "
                              "(%s)" % (n, name, ", ".join(own) or "none"))


def contents(lines):
    """The entries the header comment lists, up to its closing line."""
    out = []
    for line in lines:
        if line.startswith(" */"):
            break
        m = TOC_SEC.match(line)
        if m:
            out.append(("section", int(m.group(1)), m.group(2)))
            continue
        m = TOC_SUB.match(line)
        if m:
            out.append(("sub", 0, m.group(1)))
    return out


def banners(lines, errors):
    """The banners in file order; a section without an introduction is
    an error."""
    out = []
    for i, line in enumerate(lines):
        m = SEC.match(line)
        if m:
            out.append(("section", int(m.group(1)), m.group(2)))
            rest = [l for l in lines[i + 1:i + 4] if l.strip()]
            if not rest or not rest[0].startswith("/*"):
                errors.append("line %d: section %s has no introduction"
                              % (i + 1, m.group(1)))
            continue
        m = SUB.match(line)
        if m and not GENERATED.match(m.group(1)):
            out.append(("sub", 0, m.group(1)))
    return out


def show(e):
    return ("%d. %s" % (e[1], e[2])) if e[0] == "section" else "- " + e[2]


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "acme.c"
    lines = open(path, encoding="utf-8").read().split("\n")
    errors = []
    toc = contents(lines)
    ban = banners(lines, errors)
    for n, e in enumerate(e for e in ban if e[0] == "section"):
        if e[1] != n + 1:
            errors.append("section %d is numbered %d" % (n + 1, e[1]))
    for i in range(max(len(toc), len(ban))):
        t = show(toc[i]) if i < len(toc) else "(nothing)"
        b = show(ban[i]) if i < len(ban) else "(nothing)"
        if t != b:
            errors.append("entry %d: contents say %r, banners say %r"
                          % (i + 1, t, b))
            break
    bare(lines, errors)
    hushes(lines, errors)
    here = os.path.dirname(os.path.abspath(path))
    header = os.path.join(here, "acme.h")
    if not os.path.exists(header):
        header = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              "..", "acme.h")
    header = open(header, encoding="utf-8").read()
    calls(lines, errors, header)
    formats(lines, errors)
    prefixes(lines, errors, set(API.findall(header)))
    if not any(e[0] == "section" for e in ban):
        errors.append("no section banners")
    for e in errors:
        print("%s: %s" % (path, e))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
