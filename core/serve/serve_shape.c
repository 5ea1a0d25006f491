/*
** serve_shape.c: lite and domains-only cut out of the full message text.
**
** A small scanner walks the JSON text only as deep as it must: the top
** object, its "data" member and data's "leaf_cert". Every other value is
** skipped as a whole (strings with their escapes, nested containers up to
** SHAPE_MAX_DEPTH). The members to drop become byte ranges that are left
** out when the text is copied.
*/
#include <string.h>

#include "serve/serve_shape.h"

#define SHAPE_MAX_DEPTH 64
#define SHAPE_MAX_CUTS 4

struct span {
    const char *p, *end;
};

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p at '"': returns the byte after the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\') {
            if (++p == end)
                return NULL;
        } else if (*p == '"') {
            return p + 1;
        } else if ((unsigned char)*p < 0x20) {
            return NULL;
        }
    }
    return NULL;
}

/* Skips one value starting at p (no leading space); NULL if malformed. */
static const char *skip_value(const char *p, const char *end, int depth)
{
    if (p >= end || depth > SHAPE_MAX_DEPTH)
        return NULL;
    if (*p == '"')
        return skip_string(p, end);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        int first = 1;
        p = skip_ws(p + 1, end);
        if (p < end && *p == close)
            return p + 1;
        while (p < end) {
            if (!first) {
                if (*p == close)
                    return p + 1;
                if (*p != ',')
                    return NULL;
                p = skip_ws(p + 1, end);
            }
            first = 0;
            if (close == '}') {
                if (p >= end || *p != '"' || !(p = skip_string(p, end)))
                    return NULL;
                p = skip_ws(p, end);
                if (p >= end || *p != ':')
                    return NULL;
                p = skip_ws(p + 1, end);
            }
            if (!(p = skip_value(p, end, depth + 1)))
                return NULL;
            p = skip_ws(p, end);
        }
        return NULL;
    }
    if (*p == '-' || (*p >= '0' && *p <= '9')) {
        const char *q = p;
        while (q < end && (strchr("+-.eE", *q) || (*q >= '0' && *q <= '9')))
            q++;
        return q;
    }
    for (const char *const *w = (const char *const[]){ "true", "false",
                                                       "null", NULL };
         *w; w++) {
        size_t n = strlen(*w);
        if ((size_t)(end - p) >= n && memcmp(p, *w, n) == 0)
            return p + n;
    }
    return NULL;
}

/* One member of an object, as found by find_member. */
struct member {
    struct span value;        /* the value's text */
    struct span cut;          /* what to remove to drop the member */
    int found;
};

/* Looks in the object obj for key (compared with the raw key text, which
** is what every CertStream sender writes). Returns 0 if obj is a
** well-formed object (found or not), -1 if not. The cut of a member
** takes one neighbouring comma with it, so the rest stays valid JSON. */
static int find_member(struct span obj, const char *key, struct member *m)
{
    const char *p = skip_ws(obj.p, obj.end), *end = obj.end;
    const char *prev_end = NULL;      /* after the previous value */
    size_t klen = strlen(key);

    memset(m, 0, sizeof(*m));
    if (p >= end || *p != '{')
        return -1;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}')
        return 0;
    while (p < end) {
        const char *k = p, *ke, *v, *ve;
        if (*p != '"' || !(ke = skip_string(p, end)))
            return -1;
        p = skip_ws(ke, end);
        if (p >= end || *p != ':')
            return -1;
        v = skip_ws(p + 1, end);
        if (!(ve = skip_value(v, end, 1)))
            return -1;
        p = skip_ws(ve, end);
        if (!m->found && (size_t)(ke - k) == klen + 2 &&
            memcmp(k + 1, key, klen) == 0) {
            m->found = 1;
            m->value = (struct span){ v, ve };
            if (prev_end)
                m->cut = (struct span){ prev_end, ve };
            else if (p < end && *p == ',')
                m->cut = (struct span){ k, skip_ws(p + 1, end) };
            else
                m->cut = (struct span){ k, ve };
        }
        if (p < end && *p == '}')
            return 0;
        if (p >= end || *p != ',')
            return -1;
        prev_end = ve;
        p = skip_ws(p + 1, end);
    }
    return -1;
}

static int span_is(struct span s, const char *lit)
{
    size_t n = strlen(lit);

    return (size_t)(s.end - s.p) == n && memcmp(s.p, lit, n) == 0;
}

/* The message without trailing whitespace, if it is one object. */
static int whole_object(const char *msg, size_t len, struct span *out)
{
    const char *p = skip_ws(msg, msg + len), *e;

    if (p >= msg + len || *p != '{' || !(e = skip_value(p, msg + len, 0)))
        return -1;
    if (skip_ws(e, msg + len) != msg + len)
        return -1;
    *out = (struct span){ p, e };
    return 0;
}

int serve_shape_is_cert(const char *msg, size_t len)
{
    struct span top;
    struct member mt;

    if (whole_object(msg, len, &top) < 0 ||
        find_member(top, "message_type", &mt) < 0)
        return -1;
    return mt.found && span_is(mt.value, "\"certificate_update\"");
}

/* Copies s to out leaving out the cuts (sorted, not overlapping). */
static void copy_without(struct json_buf *out, struct span s,
                         struct span *cuts, size_t n)
{
    const char *p = s.p;

    for (size_t i = 0; i < n; i++) {
        jb_raw(out, p, (size_t)(cuts[i].p - p));
        p = cuts[i].end;
    }
    jb_raw(out, p, (size_t)(s.end - p));
}

int serve_shape_write(enum serve_shape shape, const char *msg, size_t len,
                      struct json_buf *out)
{
    static const char dns_head[] = "{\"message_type\":\"dns_entries\",\"data\":";
    struct span top, cuts[SHAPE_MAX_CUTS];
    struct member mt, data, leaf, m;
    size_t n = 0;

    if (whole_object(msg, len, &top) < 0 ||
        find_member(top, "message_type", &mt) < 0 || !mt.found ||
        !span_is(mt.value, "\"certificate_update\"") ||
        find_member(top, "data", &data) < 0 || !data.found ||
        find_member(data.value, "leaf_cert", &leaf) < 0 || !leaf.found)
        return -1;
    switch (shape) {
    case SERVE_FULL:
        jb_raw(out, top.p, (size_t)(top.end - top.p));
        jb_raw(out, "\n", 1);
        break;
    case SERVE_LITE:
        if (find_member(data.value, "chain", &m) < 0)
            return -1;
        if (m.found)
            cuts[n++] = m.cut;
        if (find_member(leaf.value, "as_der", &m) < 0)
            return -1;
        if (m.found)
            cuts[n++] = m.cut;
        if (n == 2 && cuts[1].p < cuts[0].p) {
            struct span t = cuts[0];
            cuts[0] = cuts[1];
            cuts[1] = t;
        }
        copy_without(out, top, cuts, n);
        jb_raw(out, "\n", 1);
        break;
    case SERVE_DOMAINS:
        if (find_member(leaf.value, "all_domains", &m) < 0)
            return -1;
        jb_raw(out, dns_head, sizeof(dns_head) - 1);
        if (m.found && m.value.p < m.value.end && *m.value.p == '[')
            jb_raw(out, m.value.p, (size_t)(m.value.end - m.value.p));
        else
            jb_raw(out, "[]", 2);
        jb_raw(out, "}", 1);
        break;
    default:
        return -1;
    }
    return jb_failed(out) ? -1 : 0;
}
