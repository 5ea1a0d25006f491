/*
** test_domain.c: the C domain helpers against known vectors (libidn2's
** documented conversions, public suffix cases, distance tables, skeleton
** pairs, keyword automaton hits).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "detect/domain.h"

static char buf[1024];

static const char *norm(const char *in, int *flags)
{
    char err[96];
    int n = domain_normalise(in, strlen(in), buf, sizeof buf, flags, err,
                             sizeof err);
    return n < 0 ? NULL : buf;
}

static const char *uni(const char *in, int *bad)
{
    return domain_to_unicode(in, buf, sizeof buf, bad) < 0 ? NULL : buf;
}

static const char *asc(const char *in)
{
    char err[128];
    return domain_to_ascii(in, buf, sizeof buf, err, sizeof err) < 0 ? NULL
                                                                     : buf;
}

static const char *reg(const char *in, enum domain_psl_view v)
{
    const char *r = domain_registrable(in, v);
    return r ? r : "(none)";
}

static const char *suf(const char *in, enum domain_psl_view v)
{
    const char *r = domain_suffix(in, v);
    return r ? r : "(none)";
}

static const char *skel(const char *in, enum domain_skeleton_mode m)
{
    return domain_skeleton(in, buf, sizeof buf, m) < 0 ? NULL : buf;
}

static void test_normalise(void)
{
    int f;
    char err[96];
    CHECK_STR(norm("WWW.Example.COM.", &f), "www.example.com");
    CHECK(f == 0);
    CHECK_STR(norm("*.Example.com", &f), "example.com");
    CHECK(f == DOMAIN_WILDCARD);
    CHECK_STR(norm("a..b", &f), "a..b");
    CHECK(f & DOMAIN_BAD);
    CHECK_STR(norm("-bad.example.com", &f), "-bad.example.com");
    CHECK(f & DOMAIN_BAD);
    CHECK_STR(norm("sp ace.com", &f), "sp ace.com");
    CHECK(f & DOMAIN_BAD);
    CHECK_STR(norm("_dmarc.example.com", &f), "_dmarc.example.com");
    CHECK(f == 0);
    /* NUL prefix attack: judged by what precedes the NUL, and flagged. */
    int n = domain_normalise("paypal.com\0.evil.com", 20, buf, sizeof buf,
                             &f, err, sizeof err);
    CHECK(n == 10);
    CHECK_STR(buf, "paypal.com");
    CHECK(f & DOMAIN_BAD);
    char longlabel[80];
    memset(longlabel, 'a', 64);
    strcpy(longlabel + 64, ".com");
    norm(longlabel, &f);
    CHECK(f & DOMAIN_BAD);
    CHECK(domain_normalise("example.com", 11, buf, 5, &f, err, sizeof err)
          == -1);
}

static void test_idn(void)
{
    int bad;
    /* The conversions libidn2 documents and DETECTION.md measured. */
    CHECK_STR(uni("www.xn--pypal-4ve.com", &bad), "www.p\xd0\xb0ypal.com");
    CHECK(!bad);
    CHECK_STR(uni("xn--80ak6aa92e.com", &bad),
              "\xd0\xb0\xd1\x80\xd1\x80\xd3\x8f\xd0\xb5.com");
    CHECK_STR(uni("xn--bcher-kva.example", &bad), "b\xc3\xbc" "cher.example");
    CHECK_STR(uni("xn--d1acpjx3f.xn--p1ai", &bad),
              "\xd1\x8f\xd0\xbd\xd0\xb4\xd0\xb5\xd0\xba\xd1\x81.\xd1\x80\xd1\x84");
    /* Any label may be xn--, including the TLD. */
    CHECK_STR(uni("shop.xn--p1ai", &bad), "shop.\xd1\x80\xd1\x84");
    CHECK(!bad);
    CHECK_STR(uni("xn--zz-zzz-.com", &bad), "xn--zz-zzz-.com");
    CHECK(bad);
    CHECK_STR(uni("plain.example.com", &bad), "plain.example.com");
    CHECK(!bad);
    CHECK_STR(asc("b\xc3\xbc" "cher.example"), "xn--bcher-kva.example");
    CHECK_STR(asc("\xd0\xb0\xd1\x80\xd1\x80\xd3\x8f\xd0\xb5.com"),
              "xn--80ak6aa92e.com");
    CHECK_STR(asc("WWW.Example.com"), "www.example.com");
    /* TR46 non-transitional: sharp s stays (IDNA2008), not "ss". */
    CHECK_STR(asc("fa\xc3\x9f.de"), "xn--fa-hia.de");
}

static void test_psl(void)
{
    CHECK_STR(reg("a.b.co.uk", DOMAIN_PSL_ALL), "b.co.uk");
    CHECK_STR(reg("a.b.co.uk", DOMAIN_PSL_ICANN), "b.co.uk");
    CHECK_STR(reg("x.github.io", DOMAIN_PSL_ALL), "x.github.io");
    CHECK_STR(reg("x.github.io", DOMAIN_PSL_ICANN), "github.io");
    CHECK_STR(reg("a.b.example.github.io", DOMAIN_PSL_ALL),
              "example.github.io");
    CHECK_STR(reg("login.paypal.com.secure-update.co.uk", DOMAIN_PSL_ALL),
              "secure-update.co.uk");
    CHECK_STR(reg("co.uk", DOMAIN_PSL_ALL), "(none)");
    CHECK_STR(reg("co.uk", DOMAIN_PSL_ICANN), "(none)");
    CHECK_STR(reg("www.example.com.br", DOMAIN_PSL_ICANN), "example.com.br");
    CHECK_STR(reg("shop.xn--p1ai", DOMAIN_PSL_ALL), "shop.xn--p1ai");
    CHECK_STR(suf("a.b.co.uk", DOMAIN_PSL_ALL), "co.uk");
    CHECK_STR(suf("x.github.io", DOMAIN_PSL_ALL), "github.io");
    CHECK_STR(suf("x.github.io", DOMAIN_PSL_ICANN), "io");
    CHECK_STR(suf("www.paypal.com", DOMAIN_PSL_ICANN), "com");
    CHECK_STR(suf("foo.s3.amazonaws.com", DOMAIN_PSL_ALL),
              "s3.amazonaws.com");
    CHECK_STR(reg("foo.s3.amazonaws.com", DOMAIN_PSL_ALL),
              "foo.s3.amazonaws.com");
}

static void test_distance(void)
{
    static const struct { const char *a, *b; int lev, dlev; } t[] = {
        { "", "", 0, 0 },
        { "", "abc", 3, 3 },
        { "kitten", "sitting", 3, 3 },
        { "flaw", "lawn", 2, 2 },
        { "paypal", "pyapal", 2, 1 },          /* transposition */
        { "paypal", "paypa", 1, 1 },           /* omission */
        { "paypal", "paypall", 1, 1 },         /* repetition */
        { "ca", "abc", 3, 3 },                 /* OSA, not full Damerau */
        { "google", "goolge", 2, 1 },
        /* Code points, not bytes: Cyrillic a for Latin a is one edit. */
        { "paypal", "p\xd0\xb0ypal", 1, 1 },
        { "\xd0\xb0\xd1\x80", "\xd1\x80\xd0\xb0", 2, 1 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int l = domain_levenshtein(t[i].a, t[i].b, -1);
        int d = domain_damerau(t[i].a, t[i].b, -1);
        if (!CHECK(l == t[i].lev && d == t[i].dlev))
            printf("#   %s / %s: lev %d dlev %d\n", t[i].a, t[i].b, l, d);
    }
    /* Early exit reports max + 1. */
    CHECK(domain_levenshtein("kitten", "sitting", 1) == 2);
    CHECK(domain_damerau("abcdefgh", "a", 2) == 3);
    CHECK(domain_damerau("pyapal", "paypal", 1) == 1);
    /* Long strings take the heap path. */
    char a[400], b[400];
    memset(a, 'x', 300);
    a[300] = '\0';
    memcpy(b, a, 301);
    b[150] = 'y';
    CHECK(domain_damerau(a, b, -1) == 1);
}

/* The multiset floor: exact values where it is tight, never above the
** distance, and the set unchanged by a comparison. */
static void test_damerau_floor(void)
{
    static const struct { const char *a, *b; int floor; } t[] = {
        { "", "", 0 },
        { "", "abc", 3 },
        { "abc", "", 3 },
        { "paypal", "paypal", 0 },
        { "paypal", "pyapal", 0 },             /* transposition: free */
        { "paypal", "paypall", 1 },
        { "aaa", "a", 2 },                     /* the length difference */
        { "abc", "xyz", 3 },                   /* three substitutions */
        { "paypal", "zzzzzz", 6 },
        { "kitten", "sitting", 3 },
        /* Code points, not bytes: one Cyrillic letter for a is one. */
        { "paypal", "p\xd0\xb0ypal", 1 },
        { "e", "\xc3\xa9", 1 },
        /* U+00E9 and U+0169 share a bin: the floor only weakens. */
        { "\xc3\xa9", "\xc5\xa9", 0 },
        /* Invalid bytes are one code point each, all U+FFFD. */
        { "\xff\xfe", "\xfe", 1 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct domain_cpset set, fresh;
        domain_cpset_init(&set, t[i].a);
        int f = domain_damerau_floor(&set, t[i].b);
        int d = domain_damerau(t[i].a, t[i].b, -1);
        domain_cpset_init(&fresh, t[i].a);
        if (!CHECK(f == t[i].floor && f <= d &&
                   memcmp(&set, &fresh, sizeof set) == 0))
            printf("#   %s / %s: floor %d distance %d\n", t[i].a, t[i].b,
                   f, d);
    }
    /* Past 64 code points the candidate is decoded twice: the set must
    ** still come back whole, with one- and two-byte code points. */
    char a[400], b[400];
    struct domain_cpset set, fresh;
    memset(a, 'x', 150);
    a[150] = '\0';
    memcpy(b, a, 151);
    b[70] = 'y';
    domain_cpset_init(&set, a);
    CHECK(domain_damerau_floor(&set, b) == 1);
    domain_cpset_init(&fresh, a);
    CHECK(memcmp(&set, &fresh, sizeof set) == 0);
    for (int i = 0; i < 80; i++)
        memcpy(a + 2 * i, "\xd0\xb0", 2);
    a[160] = '\0';
    memcpy(b, a, 161);
    b[158] = '\0';                     /* one Cyrillic a fewer */
    domain_cpset_init(&set, a);
    CHECK(domain_damerau_floor(&set, b) == 1);
    CHECK(domain_damerau_floor(&set, a) == 0);
    domain_cpset_init(&fresh, a);
    CHECK(memcmp(&set, &fresh, sizeof set) == 0);
}

static void test_skeleton(void)
{
    /* Cyrillic whole-script apple: TR39-style strict catches it. */
    CHECK_STR(skel("\xd0\xb0\xd1\x80\xd1\x80\xd3\x8f\xd0\xb5",
                   DOMAIN_SKEL_STRICT), "apple");
    CHECK_STR(skel("p\xd0\xb0ypal", DOMAIN_SKEL_STRICT), "paypal");
    /* ASCII stays in strict mode, folds in loose mode. */
    CHECK_STR(skel("g00gle", DOMAIN_SKEL_STRICT), "g00gle");
    static const struct { const char *a, *b; } same[] = {
        { "g00gle", "google" },
        { "rnicrosoft", "microsoft" },
        { "vvellsfargo", "wellsfargo" },
        { "paypa1", "paypal" },
        { "c1oudflare", "cloudflare" },
        { "c1oudf1are", "cloudflare" },
        { "amazon", "arnazon" },
        { "micr\xc3\xb8soft", "microsoft" },           /* o with stroke */
        { "\xc3\xa0pple", "apple" },                   /* a grave */
        { "\xef\xbd\x87oogle", "google" },             /* fullwidth g */
        { "g\xce\xbf\xce\xbfgle", "google" },          /* Greek omicron */
        { "\xd5\xb0\xd5\xb8\xd5\xb8", "hnn" },         /* Armenian */
        { "app\xc4\xbe" "e", "apple" },                /* l caron */
        { "linkedin", "l1nked1n" },
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        char sa[256], sb[256];
        domain_skeleton(same[i].a, sa, sizeof sa, DOMAIN_SKEL_LOOSE);
        domain_skeleton(same[i].b, sb, sizeof sb, DOMAIN_SKEL_LOOSE);
        if (!CHECK(strcmp(sa, sb) == 0))
            printf("#   %s -> %s, %s -> %s\n", same[i].a, sa, same[i].b, sb);
    }
    static const struct { const char *a, *b; } differ[] = {
        { "google", "goggle" }, { "paypal", "paypel" },
        { "apple", "apply" }, { "amazon", "amazin" },
    };
    for (size_t i = 0; i < sizeof differ / sizeof differ[0]; i++) {
        char sa[256], sb[256];
        domain_skeleton(differ[i].a, sa, sizeof sa, DOMAIN_SKEL_LOOSE);
        domain_skeleton(differ[i].b, sb, sizeof sb, DOMAIN_SKEL_LOOSE);
        CHECK(strcmp(sa, sb) != 0);
    }
    CHECK(domain_skeleton("google", buf, 3, DOMAIN_SKEL_LOOSE) == -1);
}

static void test_scripts(void)
{
    const char *cyr = "\xd0\xb0\xd1\x80\xd1\x80\xd3\x8f\xd0\xb5";
    CHECK(domain_scripts(cyr, strlen(cyr)) == 1u << DOMAIN_SCRIPT_CYRILLIC);
    CHECK(domain_scripts("paypal-1", 8) == 1u << DOMAIN_SCRIPT_LATIN);
    CHECK(!domain_mixed_script("\xd0\xb0\xd1\x80\xd1\x80\xd3\x8f\xd0\xb5.com"));
    CHECK(domain_mixed_script("www.p\xd0\xb0ypal.com"));
    CHECK(!domain_mixed_script("b\xc3\xbc" "cher.example"));
    /* Japanese: kanji + kana + Latin is normal. */
    CHECK(!domain_mixed_script("\xe6\x97\xa5\xe6\x9c\xac\xe3\x81\xae"
                               "abc.jp"));
    /* Greek omicron inside a Latin label. */
    CHECK(domain_mixed_script("g\xce\xbf" "ogle.com"));
    /* Labels are judged one by one: Cyrillic TLD after a Latin label. */
    CHECK(!domain_mixed_script("shop.\xd1\x80\xd1\x84"));
    CHECK_STR(domain_script_name(DOMAIN_SCRIPT_CYRILLIC), "Cyrillic");
}

struct hits {
    int n;
    char got[512];
};

static int record(const struct domain_kw_hit *h, void *arg)
{
    struct hits *r = arg;
    size_t len = strlen(r->got);
    snprintf(r->got + len, sizeof r->got - len, "%s%d@%zu-%zu",
             r->n++ ? " " : "", h->index, h->start, h->end);
    return 0;
}

static const char *scan(struct domain_keywords *kw, const char *s,
                        enum domain_kw_mode m, struct hits *r)
{
    memset(r, 0, sizeof *r);
    domain_keywords_scan(kw, s, strlen(s), m, record, r);
    return r->got;
}

static void test_keywords(void)
{
    static const char *const w[] = { "live", "login", "paypal", "pal",
                                     "secure", "he", "she", "hers", "his" };
    char err[96];
    struct hits r;
    struct domain_keywords *kw = domain_keywords_new(w, 9, err, sizeof err);
    CHECK(kw != NULL);
    if (!kw)
        return;
    /* The textbook Aho-Corasick example: overlapping outputs. */
    CHECK_STR(scan(kw, "ushers", DOMAIN_KW_SUBSTRING, &r),
              "6@1-4 5@2-4 7@2-6");
    /* Substring mode: 'live' inside 'delivery' is found ... */
    CHECK_STR(scan(kw, "delivery-online.com", DOMAIN_KW_SUBSTRING, &r),
              "0@2-6");
    /* ... token mode does not. */
    CHECK_STR(scan(kw, "delivery-online.com", DOMAIN_KW_TOKEN, &r), "");
    CHECK_STR(scan(kw, "PayPal-Login.secure1.com", DOMAIN_KW_TOKEN, &r),
              "2@0-6 1@7-12 4@13-19");
    CHECK_STR(scan(kw, "paypal-login.com", DOMAIN_KW_SUBSTRING, &r),
              "2@0-6 3@3-6 1@7-12");
    /* A digit/letter change is a token boundary. */
    CHECK_STR(scan(kw, "login123.com", DOMAIN_KW_TOKEN, &r), "1@0-5");
    CHECK(domain_keywords_scan(kw, "nothing here", 12, DOMAIN_KW_TOKEN,
                               NULL, NULL) == 0);
    domain_keywords_free(kw);
    static const char *const empty[] = { "ok", "" };
    CHECK(domain_keywords_new(empty, 2, err, sizeof err) == NULL);
    CHECK_STR(err, "keyword 2 is empty");
    kw = domain_keywords_new(NULL, 0, err, sizeof err);
    CHECK(kw && domain_keywords_scan(kw, "abc", 3, DOMAIN_KW_SUBSTRING,
                                     NULL, NULL) == 0);
    domain_keywords_free(kw);
}

static void test_entropy(void)
{
    CHECK(domain_entropy("aaaa", 4) == 0.0);
    CHECK(domain_entropy("abcd", 4) > 1.99 && domain_entropy("abcd", 4) < 2.01);
    CHECK(domain_entropy("", 0) == 0.0);
}

/* Last: it replaces the process-wide list (with the same data). */
static int same_part(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* psl_parts against the four separate answers, for tricky suffix rules
** (wildcards, exceptions, private suffixes on ICANN ones) and every name
** of the evaluation lists. */
static int psl_parts_agree(const char *name)
{
    struct domain_psl_parts pp;

    domain_psl_parts(name, &pp);
    if (same_part(pp.suffix, domain_suffix(name, DOMAIN_PSL_ALL)) &&
        same_part(pp.suffix_icann, domain_suffix(name, DOMAIN_PSL_ICANN)) &&
        same_part(pp.registrable,
                  domain_registrable(name, DOMAIN_PSL_ALL)) &&
        same_part(pp.registrable_icann,
                  domain_registrable(name, DOMAIN_PSL_ICANN)))
        return 1;
    printf("#   psl_parts differs for %s\n", name);
    return 0;
}

static void test_psl_parts(void)
{
    static const char *const names[] = {
        "a.b.co.uk", "co.uk", "uk", "x.github.io", "github.io", "io",
        "a.b.example.github.io", "foo.s3.amazonaws.com", "www.ck", "a.www.ck",
        "foo.ck", "a.foo.ck", "ck", "city.kawasaki.jp", "a.city.kawasaki.jp",
        "foo.kawasaki.jp", "a.foo.kawasaki.jp", "x.compute.amazonaws.com",
        "a.b.us-east-1.compute.amazonaws.com", "localhost", "a.b",
        "a.b.c.d.e.example.com", "shop.xn--p1ai", "xn--p1ai", "a.blogspot.co.uk",
        "example.invalid-tld-zz", "",
    };
    static const char *const lists[] = {
        "tests/eval/benign.txt", "tests/eval/benign_heldout.txt",
        "tests/eval/lookalikes.txt", "tests/eval/lookalikes_generated.txt",
    };
    char line[512], err[128], *end;
    int ok = 1, n = 0, flags;

    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++, n++)
        ok &= psl_parts_agree(names[i]);
    for (size_t i = 0; i < sizeof(lists) / sizeof(*lists); i++) {
        FILE *f = fopen(lists[i], "r");
        CHECK(f != NULL);
        while (f && fgets(line, sizeof line, f)) {
            if (line[0] == '#' || line[0] == '\n')
                continue;
            end = line + strcspn(line, "\t\r\n");
            *end = '\0';
            if (domain_normalise(line, strlen(line), buf, sizeof buf,
                                 &flags, err, sizeof err) < 0 || !buf[0])
                continue;
            ok &= psl_parts_agree(buf);
            n++;
        }
        if (f)
            fclose(f);
    }
    printf("# psl_parts compared on %d names\n", n);
    CHECK(ok);
    CHECK(n > 1000);
}

/* domain_psl_parts keeps its last answers: a repeated name, also in
** another buffer and after its entry was pushed out, must get the walk's
** answer, pointing into the name it was given. */
static void test_psl_parts_memo(void)
{
    static const char *const names[] = {
        "a.b.co.uk", "x.github.io", "foo.s3.amazonaws.com", "a.www.ck",
        "a.city.kawasaki.jp", "www.example.com", "example.invalid-tld-zz",
        "localhost", "",
    };
    char copy[DOMAIN_MAX_LEN + 1], other[64];
    int ok = 1;
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            struct domain_psl_parts pp;
            strcpy(copy, names[i]);
            domain_psl_parts(copy, &pp);
            ok &= psl_parts_agree(copy);
            ok &= !pp.suffix || (pp.suffix >= copy &&
                                 pp.suffix <= copy + strlen(copy));
            ok &= psl_parts_agree(names[i]);
            /* 20 other names: more than the memo holds */
            for (int k = 0; round == 1 && k < 20; k++) {
                snprintf(other, sizeof other, "n%d.example%d.org", k, k);
                ok &= psl_parts_agree(other);
            }
        }
    }
    CHECK(ok);
}

static void test_psl_load(void)
{
    char err[256];
    CHECK(domain_psl_load("/nonexistent/psl.dat", err, sizeof err) == -1);
    CHECK(strstr(err, "/nonexistent/psl.dat") != NULL);
    /* An answer kept from the old list is not given for the new one. */
    char path[] = "/tmp/certmon-psl-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    struct domain_psl_parts pp;
    CHECK(f != NULL);
    if (f) {
        fputs("certmontest\ny.certmontest\n", f);
        fclose(f);
    }
    domain_psl_parts("x.y.certmontest", &pp);
    CHECK_STR(pp.suffix, "certmontest");
    CHECK(domain_psl_load(path, err, sizeof err) == 0);
    domain_psl_parts("x.y.certmontest", &pp);
    CHECK_STR(pp.suffix, "y.certmontest");
    CHECK_STR(pp.registrable, "x.y.certmontest");
    unlink(path);
    CHECK(domain_psl_load("/usr/share/publicsuffix/public_suffix_list.dat",
                          err, sizeof err) == 0);
    CHECK_STR(reg("a.b.co.uk", DOMAIN_PSL_ALL), "b.co.uk");
    CHECK_STR(reg("x.github.io", DOMAIN_PSL_ICANN), "github.io");
}

int main(void)
{
    test_normalise();
    test_idn();
    test_psl();
    test_psl_parts();
    test_psl_parts_memo();
    test_distance();
    test_damerau_floor();
    test_skeleton();
    test_scripts();
    test_keywords();
    test_entropy();
    test_psl_load();
    return check_done();
}
