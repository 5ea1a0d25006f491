/*
** domain.c: name normalisation, IDN per label (libidn2), public suffix
** views (libpsl) and cheap name features. See domain.h for contracts.
*/
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>
#include <libpsl.h>

#include "detect/domain.h"

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
}

static int is_label_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c >= 0x80;
}

/* Checks the labels of a lower-cased name; returns a reason or NULL. */
static const char *check_labels(const char *s, size_t len)
{
    if (len == 0)
        return "empty name";
    if (len > DOMAIN_MAX_LEN)
        return "name longer than 253 bytes";
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.') {
            if (!is_label_byte((unsigned char)s[i]))
                return "character not allowed in a host name";
            continue;
        }
        size_t n = i - start;
        if (n == 0)
            return "empty label";
        if (n > DOMAIN_MAX_LABEL)
            return "label longer than 63 bytes";
        if (s[start] == '-' || s[i - 1] == '-')
            return "label starts or ends with a hyphen";
        start = i + 1;
    }
    return NULL;
}

int domain_normalise(const char *in, size_t inlen, char *out, size_t outlen,
                     int *flags, char *err, size_t errlen)
{
    const char *reason = NULL;
    *flags = 0;
    const char *nul = memchr(in, '\0', inlen);
    if (nul) {
        /* A NUL-prefix name is judged by what a C client would see. */
        inlen = (size_t)(nul - in);
        reason = "NUL byte inside the name";
    }
    while (inlen > 0 && in[inlen - 1] == '.')
        inlen--;
    if (inlen >= 2 && in[0] == '*' && in[1] == '.') {
        *flags |= DOMAIN_WILDCARD;
        in += 2;
        inlen -= 2;
    }
    if (inlen + 1 > outlen) {
        set_err(err, errlen, "name too long for buffer");
        return -1;
    }
    for (size_t i = 0; i < inlen; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[inlen] = '\0';
    if (!reason)
        reason = check_labels(out, inlen);
    if (reason) {
        *flags |= DOMAIN_BAD;
        set_err(err, errlen, reason);
    }
    return (int)inlen;
}

/* Appends n bytes to out at *pos; returns -1 when it does not fit. */
static int put(char *out, size_t outlen, size_t *pos, const char *s,
               size_t n)
{
    if (*pos + n + 1 > outlen)
        return -1;
    memcpy(out + *pos, s, n);
    *pos += n;
    out[*pos] = '\0';
    return 0;
}

int domain_to_unicode(const char *ascii, char *out, size_t outlen,
                      int *bad_punycode)
{
    size_t pos = 0;
    char label[DOMAIN_MAX_LEN + 1];
    *bad_punycode = 0;
    if (outlen == 0)
        return -1;
    out[0] = '\0';
    for (const char *p = ascii;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        int done = 0;
        if (n >= 4 && n < sizeof label && strncasecmp(p, "xn--", 4) == 0) {
            char *u = NULL;
            memcpy(label, p, n);
            label[n] = '\0';
            if (idn2_to_unicode_8z8z(label, &u, 0) == IDN2_OK && u) {
                done = put(out, outlen, &pos, u, strlen(u)) == 0 ? 1 : -1;
            } else {
                *bad_punycode = 1;
            }
            idn2_free(u);
            if (done < 0)
                return -1;
        }
        if (!done && put(out, outlen, &pos, p, n) < 0)
            return -1;
        if (!dot)
            break;
        if (put(out, outlen, &pos, ".", 1) < 0)
            return -1;
        p = dot + 1;
    }
    return (int)pos;
}

int domain_to_ascii(const char *utf8, char *out, size_t outlen,
                    char *err, size_t errlen)
{
    size_t pos = 0;
    char label[4 * DOMAIN_MAX_LEN + 1];
    if (outlen == 0)
        return -1;
    out[0] = '\0';
    for (const char *p = utf8;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        int ascii = 1;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)p[i] >= 0x80)
                ascii = 0;
        if (ascii) {
            if (pos + n + 1 > outlen)
                goto too_long;
            for (size_t i = 0; i < n; i++)
                out[pos++] = (char)tolower((unsigned char)p[i]);
            out[pos] = '\0';
        } else {
            char *a = NULL;
            if (n >= sizeof label)
                goto too_long;
            memcpy(label, p, n);
            label[n] = '\0';
            int rc = idn2_to_ascii_8z(label, &a, IDN2_NONTRANSITIONAL);
            if (rc != IDN2_OK) {
                if (err && errlen)
                    snprintf(err, errlen, "IDNA: %s", idn2_strerror(rc));
                idn2_free(a);
                return -1;
            }
            rc = put(out, outlen, &pos, a, strlen(a));
            idn2_free(a);
            if (rc < 0)
                goto too_long;
        }
        if (!dot)
            break;
        if (put(out, outlen, &pos, ".", 1) < 0)
            goto too_long;
        p = dot + 1;
    }
    return (int)pos;
too_long:
    set_err(err, errlen, "name too long");
    return -1;
}

/* ---- public suffix list ----------------------------------------------- */

static _Atomic(psl_ctx_t *) psl_custom;
static psl_ctx_t *psl_default;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

static void psl_init(void)
{
    /* The newer of the built-in snapshot and Debian's publicsuffix file.
    ** psl_default lives for the whole process, like the data it holds. */
    psl_default = psl_latest(NULL);
}

static const psl_ctx_t *psl_ctx(void)
{
    psl_ctx_t *c = atomic_load(&psl_custom);
    if (c)
        return c;
    pthread_once(&psl_once, psl_init);
    return psl_default ? psl_default : psl_builtin();
}

int domain_psl_load(const char *path, char *err, size_t errlen)
{
    psl_ctx_t *c = psl_load_file(path);
    if (!c) {
        if (err && errlen)
            snprintf(err, errlen, "cannot load public suffix list %s", path);
        return -1;
    }
    /* The previous custom list may still be read by a lookup that raced
    ** this call against the contract, so it is deliberately kept. */
    atomic_store(&psl_custom, c);
    return 0;
}

static int is_suffix(const psl_ctx_t *ctx, const char *s,
                     enum domain_psl_view view)
{
    int type = view == DOMAIN_PSL_ICANN ? PSL_TYPE_ICANN : PSL_TYPE_ANY;
    return psl_is_public_suffix2(ctx, s, type);
}

/* Walks from the left: the first suffix of name that is a public suffix is
** the longest one. Sets *reg to the label before it (or NULL). */
static const char *find_suffix(const psl_ctx_t *ctx, const char *name,
                               enum domain_psl_view view, const char **reg)
{
    const char *prev = NULL;
    *reg = NULL;
    if (!ctx || !*name)
        return NULL;
    for (const char *p = name; p; ) {
        if (is_suffix(ctx, p, view)) {
            *reg = prev;
            return p;
        }
        prev = p;
        p = strchr(p, '.');
        if (p)
            p++;
    }
    return NULL;
}

const char *domain_registrable(const char *name, enum domain_psl_view view)
{
    const char *reg;
    if (view == DOMAIN_PSL_ALL) {
        const psl_ctx_t *ctx = psl_ctx();
        return ctx ? psl_registrable_domain(ctx, name) : NULL;
    }
    find_suffix(psl_ctx(), name, view, &reg);
    return reg;
}

const char *domain_suffix(const char *name, enum domain_psl_view view)
{
    const char *reg;
    return find_suffix(psl_ctx(), name, view, &reg);
}

/* The last answers of domain_psl_parts in this thread. Every rule that
** looks at names parses them (lookalike, then phishing_score, on the
** same certificate in the same worker), and one answer costs a libpsl
** lookup per label. An entry holds the whole name and the list that
** answered, so a hit is the answer the walk would give (lists are
** never freed, so a list's address is never another's); the parts are
** kept as offsets, to point into the caller's name. */
#define PSL_MEMO_N 16

struct psl_memo {
    const psl_ctx_t *ctx;           /* NULL: empty */
    size_t len;
    int off[4];                     /* suffix, suffix_icann, registrable,
                                       registrable_icann; -1 for NULL */
    char name[DOMAIN_MAX_LEN + 1];
};

static _Thread_local struct psl_memo psl_memo[PSL_MEMO_N];
static _Thread_local unsigned psl_memo_next;

static int part_off(const char *name, const char *part)
{
    return part ? (int)(part - name) : -1;
}

static const char *off_part(const char *name, int off)
{
    return off < 0 ? NULL : name + off;
}

/* The ICANN suffix is never left of the suffix with all rules (ICANN
** rules are among all rules), so the second walk starts where the first
** one stopped: one lookup per label, plus one. */
static void psl_walk(const psl_ctx_t *ctx, const char *name,
                     struct domain_psl_parts *out)
{
    memset(out, 0, sizeof(*out));
    out->suffix = find_suffix(ctx, name, DOMAIN_PSL_ALL, &out->registrable);
    if (!out->suffix)
        return;
    out->suffix_icann = find_suffix(ctx, out->suffix, DOMAIN_PSL_ICANN,
                                    &out->registrable_icann);
    if (out->suffix_icann == out->suffix)
        out->registrable_icann = out->registrable;
}

/* The walk's answer, from the memo when this thread was asked the same
** name of the same list lately; kept there otherwise (names longer than
** a host name are walked and not kept). */
void domain_psl_parts(const char *name, struct domain_psl_parts *out)
{
    const psl_ctx_t *ctx = psl_ctx();
    size_t len = strlen(name);
    struct psl_memo *m;

    if (!ctx || len > DOMAIN_MAX_LEN) {
        psl_walk(ctx, name, out);
        return;
    }
    for (int i = 0; i < PSL_MEMO_N; i++) {
        m = &psl_memo[i];
        if (m->ctx == ctx && m->len == len &&
            memcmp(m->name, name, len) == 0) {
            out->suffix = off_part(name, m->off[0]);
            out->suffix_icann = off_part(name, m->off[1]);
            out->registrable = off_part(name, m->off[2]);
            out->registrable_icann = off_part(name, m->off[3]);
            return;
        }
    }
    psl_walk(ctx, name, out);
    m = &psl_memo[psl_memo_next++ % PSL_MEMO_N];
    m->ctx = ctx;
    m->len = len;
    memcpy(m->name, name, len);
    m->off[0] = part_off(name, out->suffix);
    m->off[1] = part_off(name, out->suffix_icann);
    m->off[2] = part_off(name, out->registrable);
    m->off[3] = part_off(name, out->registrable_icann);
}

double domain_entropy(const char *s, size_t len)
{
    size_t count[256] = { 0 };
    double h = 0.0;
    if (len == 0)
        return 0.0;
    for (size_t i = 0; i < len; i++)
        count[(unsigned char)s[i]]++;
    for (int c = 0; c < 256; c++) {
        if (!count[c])
            continue;
        double p = (double)count[c] / (double)len;
        h -= p * log2(p);
    }
    return h;
}
