/*
** domain_distance.c: Levenshtein and optimal-string-alignment Damerau
** distances over Unicode code points, with an early exit at a bound so
** that matching one name against hundreds of brands stays cheap.
*/
#include <stdlib.h>
#include <string.h>

#include "detect/domain.h"

uint32_t domain_utf8_next(const unsigned char *s, size_t len, int *n)
{
    uint32_t c = s[0];
    int need;
    *n = 1;
    if (c < 0x80)
        return c;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        c &= 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        c &= 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        c &= 0x07;
    } else {
        return 0xFFFD;
    }
    if ((size_t)need >= len)
        return 0xFFFD;
    for (int i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0xFFFD;
        c = (c << 6) | (s[i] & 0x3F);
    }
    /* Overlong forms and surrogates are invalid, as is anything past U+10FFFF. */
    if ((need == 2 && c < 0x800) || (need == 3 && c < 0x10000) ||
        (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
        return 0xFFFD;
    *n = need + 1;
    return c;
}

/* Decodes s into a code point array; *cps is buf when it fits, else a
** malloc'd array the caller frees. Returns the count or -1. */
static int decode(const char *s, uint32_t *buf, size_t bufn, uint32_t **cps)
{
    size_t len = strlen(s), k = 0;
    uint32_t *a = buf;
    if (len > bufn) {
        a = malloc(len * sizeof *a);
        if (!a)
            return -1;
    }
    for (size_t i = 0; i < len; ) {
        int n;
        a[k++] = domain_utf8_next((const unsigned char *)s + i, len - i, &n);
        i += (size_t)n;
    }
    *cps = a;
    return (int)k;
}

static int min3(int a, int b, int c)
{
    int m = a < b ? a : b;
    return m < c ? m : c;
}

/* The shared dynamic programme; damerau adds adjacent transpositions. */
static int distance(const char *sa, const char *sb, int max, int damerau)
{
    uint32_t abuf[128], bbuf[128], *a = NULL, *b = NULL;
    int rbuf[3 * 130], *rows = rbuf, result = -1;
    int la = decode(sa, abuf, 128, &a);
    int lb = la < 0 ? -1 : decode(sb, bbuf, 128, &b);
    if (la < 0 || lb < 0)
        goto out;
    int diff = la > lb ? la - lb : lb - la;
    if (max >= 0 && diff > max) {
        result = max + 1;
        goto out;
    }
    if ((size_t)(lb + 1) * 3 > sizeof rbuf / sizeof rbuf[0]) {
        rows = malloc((size_t)(lb + 1) * 3 * sizeof *rows);
        if (!rows)
            goto out;
    }
    int *pp = rows, *prev = rows + lb + 1, *cur = rows + 2 * (lb + 1);
    for (int j = 0; j <= lb; j++)
        prev[j] = j;
    for (int i = 1; i <= la; i++) {
        int best;
        cur[0] = best = i;
        for (int j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int d = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (damerau && i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && pp[j - 2] + 1 < d)
                d = pp[j - 2] + 1;
            cur[j] = d;
            if (d < best)
                best = d;
        }
        if (max >= 0 && best > max) {
            result = max + 1;
            goto out;
        }
        int *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    result = prev[lb];
    if (max >= 0 && result > max)
        result = max + 1;
out:
    if (a != abuf)
        free(a);
    if (b != bbuf)
        free(b);
    if (rows != rbuf)
        free(rows);
    return result;
}

int domain_levenshtein(const char *a, const char *b, int max)
{
    return distance(a, b, max, 0);
}

int domain_damerau(const char *a, const char *b, int max)
{
    return distance(a, b, max, 1);
}

/* The bin of a code point: ASCII keeps its own, the rest share 128 bins.
** Sharing only weakens the floor (merged counts differ by no more than
** the sum of their differences), it never makes it wrong. */
static int cp_bin(uint32_t c)
{
    return c < 0x80 ? (int)c : 0x80 | (int)(c & 0x7F);
}

/* Steps over the code point at *s the way decode() does (same length,
** same 0xFFFD for invalid bytes), so the set counts what the distances
** count. ASCII, nearly every label, skips the decoder. */
static inline int next_bin(const unsigned char **s, size_t *left)
{
    int n;
    uint32_t c = **s;
    if (c < 0x80)
        n = 1;
    else
        c = domain_utf8_next(*s, *left, &n);
    *s += n;
    *left -= (size_t)n;
    return cp_bin(c);
}

void domain_cpset_init(struct domain_cpset *set, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s);
    memset(set, 0, sizeof *set);
    while (left > 0) {
        set->bin[next_bin(&p, &left)]++;
        set->len++;
    }
}

/* Why max(|a|, |b|) - |A & B| (A, B the binned multisets) is below the
** OSA distance: let P be the code points of a's prefix not matched in
** b's multiset and N those of b's prefix not matched in a's. Along any
** path of the dynamic programme each step raises max(P, N) by at most
** its cost: a deletion or insertion adds one code point to one side, a
** substitution one to each side (P and N each grow by at most one), a
** match or a transposition the same multiset to both sides (no change).
** At the end P = |a| - |A & B| and N = |b| - |A & B|. This also covers
** the length difference, ||a| - |b|| = |P - N|.
** The bins b took are remembered to give them back without decoding b
** again; a b longer than a DNS label is decoded twice. */
int domain_damerau_floor(struct domain_cpset *set, const char *b)
{
    unsigned char took[64];
    const unsigned char *p = (const unsigned char *)b;
    size_t len = strlen(b), left = len;
    int lb = 0, common = 0;
    while (left > 0) {
        int k = next_bin(&p, &left);
        if (set->bin[k]-- > 0)
            common++;
        if (lb < (int)sizeof took)
            took[lb] = (unsigned char)k;
        lb++;
    }
    if (lb <= (int)sizeof took) {
        for (int i = 0; i < lb; i++)
            set->bin[took[i]]++;
    } else {
        p = (const unsigned char *)b;
        left = len;
        while (left > 0)
            set->bin[next_bin(&p, &left)]++;
    }
    return (set->len > lb ? set->len : lb) - common;
}
