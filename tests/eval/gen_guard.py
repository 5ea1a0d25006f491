#!/usr/bin/env python3
"""Generates the dictionary part of scripts/lookalike_guard.txt.

The guard list names labels that are one edit from a watched brand but
are ordinary English words (phase for chase, finance for binance), so
lookalike.lua does not alert on a typo finding that is really a word.
Source: SCOWL (Spell Checker Oriented Word Lists) by Kevin Atkinson, as
Debian's wamerican package ships it in /usr/share/dict/american-english
(apt-get install wamerican); its permissive licence is quoted in the
output. Deterministic; rerun when scripts/brands.txt changes:

    python3 tests/eval/gen_guard.py > /tmp/words.txt

and paste the output over the generated section of the guard list.
Only lowercase words of four or more letters without apostrophes count;
an edit is any one insertion, deletion, substitution or transposition,
or a plural (s, es). Words that start with the whole brand (apples,
chased, bookings) are left out: they carry the brand itself, as
combosquats do.
"""
import string
import sys

DICT = "/usr/share/dict/american-english"
ALPHA = string.ascii_lowercase + string.digits + "-"


def labels(path):
    out = set()
    for line in open(path):
        line = line.split("#", 1)[0].strip().lower()
        if line:
            out.add(line.split(".", 1)[0])
    return sorted(out)


def edits(w):
    out = set()
    for i in range(len(w) + 1):
        for c in ALPHA:
            out.add(w[:i] + c + w[i:])
            if i < len(w):
                out.add(w[:i] + c + w[i + 1:])
        if i < len(w):
            out.add(w[:i] + w[i + 1:])
        if i < len(w) - 1:
            out.add(w[:i] + w[i + 1] + w[i] + w[i + 2:])
    out.update((w + "s", w + "es"))
    out.discard(w)
    return out


def main():
    brands = labels(sys.argv[1] if len(sys.argv) > 1 else "scripts/brands.txt")
    words = set()
    for line in open(DICT, encoding="utf-8"):
        w = line.strip()
        if len(w) >= 4 and w.isascii() and w.isalpha() and w.islower():
            words.add(w)
    found = {}
    for b in brands:
        if len(b) < 4:
            continue
        for e in edits(b) & words:
            if e.startswith(b):
                continue
            found.setdefault(e, set()).add(b)
    for w in sorted(found):
        print("%-14s # %s" % (w, ", ".join(sorted(found[w]))))


if __name__ == "__main__":
    main()
