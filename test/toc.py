#!/usr/bin/env python3
"""test/toc.py - acme.c's table of contents agrees with its banners.

    python3 test/toc.py [acme.c]

The header comment lists every section ("/* ==== N. Title ==== */") and,
under it, every subsection ("/* ---- title ---- */") as " *     - title",
in file order. Every section banner is followed by its introduction: a
comment saying what the section owns, with a line " * May call: LIST."
naming exactly the sections whose functions it calls ("3-5, 9", or
"nothing above"); since a section only calls sections above it, a number
at or past its own is an error too. Its " * Prefixes: a_, b_." line names
the first word of every function defined in it: a prefix belongs to one
section, and acme_ only to the functions acme.h declares (main aside).
The files acme keeps (DIR/time, meta.txt, the account record, conf/NAME.
conf, .state and .order, the lock) have one home, the "File formats"
section: no other section's code names one of them (FILES, as string
literals) or calls flock(); Storage alone may name meta.txt, which it
stores with the other files of a set and never reads.
No function returns a bare -1 (`return -1;`, `return c ? x : -1;`): it
reads as ACME_ERR_USAGE, so a "none" is NONE and a failure its code
(section 3's error convention).
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
BARE = re.compile(r"\breturn\b(?:[^;{}]*[?:])?\s*\(?\s*-\s*1\s*\)?\s*;")


def code_only(text):
    """text with comments and string and character literals blanked out,
    line breaks kept, so that line numbers still match."""
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
            out.append(q + q)
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


def calls(lines, errors):
    """Check each section's "May call:" line against the functions of
    other sections its code names."""
    code = code_only("\n".join(lines)).split("\n")
    starts = [(i, int(SEC.match(l).group(1)))
              for i, l in enumerate(lines) if SEC.match(l)]
    spans = [(a, starts[k + 1][0] if k + 1 < len(starts) else len(lines),
              n) for k, (a, n) in enumerate(starts)]
    owner = {}
    for a, b, n in spans:
        for l in code[a:b]:
            m = FUNC.match(l)
            if m:
                owner[m.group(1)] = n
    for a, b, n in spans:
        used = set()
        for l in code[a:b]:
            used.update(owner[w] for w in WORD.findall(l)
                        if owner.get(w, n) != n)
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
        if any(u > n for u in used):
            errors.append("section %d calls a later section" % n)


def bare(lines, errors):
    """No return statement gives a bare -1 (section 3's convention)."""
    code = code_only("\n".join(lines))
    for m in BARE.finditer(code):
        errors.append("line %d: a bare -1 returned: NONE for an answer, "
                      "an ACME_ERR_ code for a failure"
                      % (code.count("\n", 0, m.start()) + 1))


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
    calls(lines, errors)
    bare(lines, errors)
    formats(lines, errors)
    here = os.path.dirname(os.path.abspath(path))
    header = os.path.join(here, "acme.h")
    if not os.path.exists(header):
        header = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              "..", "acme.h")
    prefixes(lines, errors, set(API.findall(open(header).read())))
    if not any(e[0] == "section" for e in ban):
        errors.append("no section banners")
    for e in errors:
        print("%s: %s" % (path, e))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
