#!/usr/bin/env python3
"""Generates the synthetic part of the evaluation set (lookalikes.txt).

Written independently of lua/certmon/twist.lua (own keyboard map, own
glyph list) so the evaluation does not grade the detector with its own
generator. Deterministic: a fixed seed; rerun and commit the output when
the brand list changes:

    python3 tests/eval/gen_lookalikes.py > tests/eval/lookalikes_generated.txt

Output lines: "domain<TAB>brand<TAB>technique".
"""
import random

BRANDS = """paypal.com apple.com google.com microsoft.com amazon.com facebook.com
instagram.com whatsapp.com netflix.com linkedin.com twitter.com github.com
dropbox.com adobe.com yahoo.com ebay.com chase.com wellsfargo.com
bankofamerica.com citibank.com hsbc.com barclays.co.uk santander.com
americanexpress.com mastercard.com visa.com coinbase.com binance.com
kraken.com blockchain.com metamask.io steampowered.com spotify.com
docusign.com fedex.com walmart.com alibaba.com aliexpress.com booking.com
airbnb.com cloudflare.com salesforce.com slack.com telegram.org discord.com
protonmail.com okta.com intuit.com icloud.com outlook.com office.com
gmail.com youtube.com""".split()

# Techniques safe to expect for 4-letter labels (others collide with words).
SHORT_OK = {"transposition", "repetition", "hyphenation", "homoglyph",
            "tld-swap", "idn-homoglyph"}

KEYS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
NEAR = {}
for r, row in enumerate(KEYS):
    for i, c in enumerate(row):
        n = set()
        for rr, jj in ((r, i - 1), (r, i + 1), (r - 1, i), (r - 1, i + 1),
                       (r + 1, i - 1), (r + 1, i)):
            if 0 <= rr < 3 and 0 <= jj < len(KEYS[rr]):
                n.add(KEYS[rr][jj])
        NEAR[c] = sorted(n)

ASCII_GLYPHS = {"o": ["0"], "l": ["1", "i"], "i": ["1", "l"], "m": ["rn"],
                "w": ["vv"], "d": ["cl"], "e": [], "a": []}
# Cyrillic/Greek/Armenian look-alikes: Latin letter -> code point.
UNI = {"a": "\u0430", "c": "\u0441", "e": "\u0435", "o": "\u043e",
       "p": "\u0440", "x": "\u0445", "y": "\u0443", "i": "\u0456",
       "s": "\u0455", "j": "\u0458", "h": "\u04bb", "l": "\u04cf",
       "d": "\u0501", "q": "\u051b", "w": "\u051d", "n": "\u0578",
       "u": "\u057d", "g": "\u0261", "k": "\u03ba", "v": "\u03bd",
       "t": "\u03c4"}
VOWELS = "aeiou"
TLDS = ["net", "org", "co", "io", "xyz", "top", "info", "online", "site",
        "shop", "app", "support", "us", "cc", "live"]


def puny(label):
    if all(ord(c) < 128 for c in label):
        return label
    return "xn--" + label.encode("punycode").decode()


def variants(label, rnd):
    n = len(label)
    out = {}
    pos = rnd.randrange(1, n - 1) if n > 2 else 0

    def pick(opts):
        opts = [o for o in opts if o != label and o]
        return rnd.choice(opts) if opts else None

    out["addition"] = label + rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789")
    bits = []
    for i, c in enumerate(label):
        for b in range(8):
            f = chr(ord(c) ^ (1 << b))
            if f.isascii() and (f.isalnum() and f.islower() or f.isdigit()):
                bits.append(label[:i] + f + label[i + 1:])
    out["bitsquatting"] = pick(bits)
    glyph = [label[:i] + g + label[i + 1:] for i, c in enumerate(label)
             for g in ASCII_GLYPHS.get(c, [])]
    out["homoglyph"] = pick(glyph)
    uni = [label[:i] + UNI[c] + label[i + 1:] for i, c in enumerate(label)
           if c in UNI]
    out["idn-homoglyph"] = pick(uni)
    out["hyphenation"] = label[:pos] + "-" + label[pos:] if pos else None
    ins = [label[:i] + k + label[i:] for i in range(1, n)
           for k in NEAR.get(label[i], [])]
    out["insertion"] = pick(ins)
    out["omission"] = pick([label[:i] + label[i + 1:] for i in range(n)])
    out["repetition"] = pick([label[:i] + label[i] + label[i:]
                              for i in range(n)])
    rep = [label[:i] + k + label[i + 1:] for i, c in enumerate(label)
           for k in NEAR.get(c, [])]
    out["replacement"] = pick(rep)
    out["subdomain"] = label[:pos] + "." + label[pos:] if pos else None
    tr = [label[:i] + label[i + 1] + label[i] + label[i + 2:]
          for i in range(n - 1) if label[i] != label[i + 1]]
    out["transposition"] = pick(tr)
    vs = [label[:i] + v + label[i + 1:] for i, c in enumerate(label)
          if c in VOWELS for v in VOWELS if v != c]
    out["vowel-swap"] = pick(vs)
    out["plural"] = label + rnd.choice(["s", "es"])
    return out


def main():
    rnd = random.Random(20261124)
    rows = []
    for brand in BRANDS:
        label, _, suffix = brand.partition(".")
        for tech, v in sorted(variants(label, rnd).items()):
            if not v or (len(label) < 5 and tech not in SHORT_OK):
                continue
            if "-" in (v[0], v[-1]) or ".." in v:
                continue
            labels = v.split(".")
            dom = ".".join(puny(x) for x in labels) + "." + suffix
            rows.append((dom, brand, tech))
        rows.append((label + "." + rnd.choice(TLDS), brand, "tld-swap"))
    for r in rows:
        print("\t".join(r))


if __name__ == "__main__":
    main()
