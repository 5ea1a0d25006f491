/*
** ct_entries_scan.c: get-entries bodies of the usual shape, read in place
** (see ct_entries_scan.h).
**
** Why it may skip the JSON parser: it takes a body only when every
** string it reads is accepted by the strict base64 decoder, so each is
** made of the 64 letters and '=' alone: valid JSON strings with no
** escape, which the parser would have returned byte for byte.
*/
#include <stdlib.h>
#include <string.h>

#include "ct/ct_entries_scan.h"

struct scan {
    const char *p, *end;
};

static void skip_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' ||
                             *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

/* Consumes optional whitespace, then lit. */
static int take(struct scan *s, const char *lit)
{
    size_t n = strlen(lit);

    skip_ws(s);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
        return 0;
    s->p += n;
    return 1;
}

/* A string with no backslash: its contents in *str, *n. */
static int take_string(struct scan *s, const char **str, size_t *n)
{
    const char *q;

    if (!take(s, "\""))
        return 0;
    q = memchr(s->p, '"', (size_t)(s->end - s->p));
    if (!q || memchr(s->p, '\\', (size_t)(q - s->p)))
        return 0;
    *str = s->p;
    *n = (size_t)(q - s->p);
    s->p = q + 1;
    return 1;
}

/* One {"leaf_input":"...","extra_data":"..."} decoded into e. */
static int take_entry(struct scan *s, struct ct_entry *e)
{
    const char *leaf, *extra;
    size_t nl, nx;
    char err[8];

    return take(s, "{") && take(s, "\"leaf_input\"") && take(s, ":") &&
           take_string(s, &leaf, &nl) && take(s, ",") &&
           take(s, "\"extra_data\"") && take(s, ":") &&
           take_string(s, &extra, &nx) && take(s, "}") &&
           ct_entry_from_b64(leaf, nl, extra, nx, e, err, sizeof err) == 0;
}

int ct_entries_scan(const char *body, size_t len, struct ct_entry_list *out)
{
    struct scan s = { body, body + len };
    size_t cap = 0;

    memset(out, 0, sizeof *out);
    if (!take(&s, "{") || !take(&s, "\"entries\"") || !take(&s, ":") ||
        !take(&s, "["))
        return 0;
    if (!take(&s, "]")) {
        do {
            if (out->n == cap) {
                size_t nc = cap ? 2 * cap : 256;
                struct ct_entry *p = realloc(out->entries, nc * sizeof *p);
                if (!p)
                    goto decline;
                out->entries = p;
                cap = nc;
            }
            if (!take_entry(&s, &out->entries[out->n]))
                goto decline;
            out->n++;
        } while (take(&s, ","));
        if (!take(&s, "]"))
            goto decline;
    }
    if (!take(&s, "}"))
        goto decline;
    skip_ws(&s);
    if (s.p == s.end)
        return 1;
decline:
    ct_entry_list_free(out);
    return 0;
}
