/*
** json_parse.c: a small strict JSON parser into a tree.
*/
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_parse.h"
#include "json_word.h"

struct parser {
    const char *p;
    const char *end;
    const char *start;
    char *err;
    size_t errlen;
    int failed;
};

static void fail(struct parser *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(struct parser *ps, const char *fmt, ...)
{
    char what[160];
    va_list ap;

    if (ps->failed)
        return;
    ps->failed = 1;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (ps->err && ps->errlen)
        snprintf(ps->err, ps->errlen, "JSON: %s at byte %zu", what,
                 (size_t)(ps->p - ps->start));
}

static void skip_ws(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
                               *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

/* Frees what v owns, not v itself. */
static void free_inner(struct json_value *v)
{
    size_t i;

    if (v->type == JSON_STRING) {
        free(v->u.str.s);
    } else if (v->type == JSON_ARRAY || v->type == JSON_OBJECT) {
        for (i = 0; i < v->u.c.n; i++) {
            free_inner(&v->u.c.items[i]);
            if (v->u.c.keys)
                free(v->u.c.keys[i]);
        }
        free(v->u.c.items);
        free(v->u.c.keys);
        free(v->u.c.key_lens);
    }
    v->type = JSON_NULL;
}

void json_free(struct json_value *v)
{
    if (!v)
        return;
    free_inner(v);
    free(v);
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Parses the string whose opening quote is at ps->p into a new heap
** string. Decoded text is never longer than the source, so one allocation
** of the source length is enough. A lone surrogate escape becomes U+FFFD. */
static char *parse_string(struct parser *ps, size_t *len_out)
{
    const char *s = ps->p + 1, *q = s;
    char *out, *o;

    /* base64 certificates and names are long runs with no escape */
    q += json_plain_len((const unsigned char *)s, (size_t)(ps->end - s), 0);
    if (q < ps->end && *q == '"') {     /* no escape, no control byte */
        if (!(out = malloc((size_t)(q - s) + 1))) {
            fail(ps, "out of memory");
            return NULL;
        }
        memcpy(out, s, (size_t)(q - s));
        out[q - s] = '\0';
        *len_out = (size_t)(q - s);
        ps->p = q + 1;
        return out;
    }
    while (q < ps->end && *q != '"') {
        q += (*q == '\\' && q + 1 < ps->end) ? 2 : 1;
    }
    if (q >= ps->end) {
        fail(ps, "unterminated string");
        return NULL;
    }
    out = malloc((size_t)(q - s) + 1);
    if (!out) {
        fail(ps, "out of memory");
        return NULL;
    }
    o = out;
    while (s < q) {
        unsigned char c = (unsigned char)*s;
        unsigned cp, lo;

        if (c < 0x20) {
            ps->p = s;
            fail(ps, "control character in string");
            goto bad;
        }
        if (c != '\\') {
            *o++ = (char)c;
            s++;
            continue;
        }
        s++;
        switch (*s) {
        case '"':  *o++ = '"'; s++; break;
        case '\\': *o++ = '\\'; s++; break;
        case '/':  *o++ = '/'; s++; break;
        case 'b':  *o++ = '\b'; s++; break;
        case 'f':  *o++ = '\f'; s++; break;
        case 'n':  *o++ = '\n'; s++; break;
        case 'r':  *o++ = '\r'; s++; break;
        case 't':  *o++ = '\t'; s++; break;
        case 'u':
            if (q - s < 5 || hex4(s + 1, &cp) < 0) {
                ps->p = s;
                fail(ps, "bad \\u escape");
                goto bad;
            }
            s += 5;
            if (cp >= 0xD800 && cp <= 0xDBFF && q - s >= 6 && s[0] == '\\'
                && s[1] == 'u' && hex4(s + 2, &lo) == 0
                && lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                s += 6;
            } else if (cp >= 0xD800 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            o += put_utf8(o, cp);
            break;
        default:
            ps->p = s;
            fail(ps, "bad escape");
            goto bad;
        }
    }
    *o = '\0';
    *len_out = (size_t)(o - out);
    ps->p = q + 1;
    return out;
bad:
    free(out);
    return NULL;
}

static int parse_number(struct parser *ps, struct json_value *v)
{
    const char *s = ps->p, *q = s;
    char tmp[64], *copy = tmp, *endp;
    size_t n;
    int integral = 1;

    if (q < ps->end && *q == '-')
        q++;
    if (q < ps->end && *q == '0') {
        q++;
    } else if (q < ps->end && *q >= '1' && *q <= '9') {
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    } else {
        fail(ps, "bad number");
        return -1;
    }
    if (q < ps->end && *q == '.') {
        integral = 0;
        q++;
        if (q >= ps->end || *q < '0' || *q > '9') {
            fail(ps, "bad number");
            return -1;
        }
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < ps->end && (*q == 'e' || *q == 'E')) {
        integral = 0;
        q++;
        if (q < ps->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= ps->end || *q < '0' || *q > '9') {
            fail(ps, "bad number");
            return -1;
        }
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    }
    /* strtod/strtoll need a terminated copy; the text is not */
    n = (size_t)(q - s);
    if (n >= sizeof tmp && !(copy = malloc(n + 1))) {
        fail(ps, "out of memory");
        return -1;
    }
    memcpy(copy, s, n);
    copy[n] = '\0';
    v->type = JSON_NUMBER;
    v->u.num.d = strtod(copy, &endp);
    v->u.num.is_int = 0;
    v->u.num.is_uint = 0;
    if (integral) {
        errno = 0;
        v->u.num.i = strtoll(copy, &endp, 10);
        v->u.num.is_int = errno == 0;
        if (copy[0] != '-') {
            errno = 0;
            v->u.num.u = strtoull(copy, &endp, 10);
            v->u.num.is_uint = errno == 0;
        }
    }
    if (copy != tmp)
        free(copy);
    ps->p = q;
    return 0;
}

static int parse_value(struct parser *ps, struct json_value *v, int depth);

/* Appends a zeroed slot to a container; returns it or NULL on OOM. */
static struct json_value *grow(struct parser *ps, struct json_value *v,
                               size_t *cap, int with_keys)
{
    if (v->u.c.n == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        struct json_value *items = realloc(v->u.c.items,
                                           nc * sizeof *items);
        if (!items)
            goto oom;
        v->u.c.items = items;
        if (with_keys) {
            char **keys = realloc(v->u.c.keys, nc * sizeof *keys);
            size_t *lens;
            if (!keys)
                goto oom;
            v->u.c.keys = keys;
            lens = realloc(v->u.c.key_lens, nc * sizeof *lens);
            if (!lens)
                goto oom;
            v->u.c.key_lens = lens;
        }
        *cap = nc;
    }
    memset(&v->u.c.items[v->u.c.n], 0, sizeof v->u.c.items[0]);
    if (with_keys)
        v->u.c.keys[v->u.c.n] = NULL;
    return &v->u.c.items[v->u.c.n++];
oom:
    fail(ps, "out of memory");
    return NULL;
}

static int parse_container(struct parser *ps, struct json_value *v,
                           int depth, int is_obj)
{
    char close_c = is_obj ? '}' : ']';
    size_t cap = 0;

    v->type = is_obj ? JSON_OBJECT : JSON_ARRAY;
    memset(&v->u.c, 0, sizeof v->u.c);
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close_c) {
        ps->p++;
        return 0;
    }
    for (;;) {
        struct json_value *item;
        char *key = NULL;
        size_t key_len = 0;

        skip_ws(ps);
        if (is_obj) {
            if (ps->p >= ps->end || *ps->p != '"') {
                fail(ps, "expected a member name");
                return -1;
            }
            if (!(key = parse_string(ps, &key_len)))
                return -1;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                free(key);
                fail(ps, "expected ':'");
                return -1;
            }
            ps->p++;
        }
        if (!(item = grow(ps, v, &cap, is_obj))) {
            free(key);
            return -1;
        }
        if (is_obj) {
            v->u.c.keys[v->u.c.n - 1] = key;
            v->u.c.key_lens[v->u.c.n - 1] = key_len;
        }
        if (parse_value(ps, item, depth + 1) < 0)
            return -1;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close_c) {
            ps->p++;
            return 0;
        }
        fail(ps, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
        return -1;
    }
}

static int literal(struct parser *ps, const char *word, size_t n)
{
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
        fail(ps, "unexpected character");
        return -1;
    }
    ps->p += n;
    return 0;
}

static int parse_value(struct parser *ps, struct json_value *v, int depth)
{
    if (depth > JSON_MAX_DEPTH) {
        fail(ps, "nesting deeper than %d", JSON_MAX_DEPTH);
        return -1;
    }
    skip_ws(ps);
    if (ps->p >= ps->end) {
        fail(ps, "unexpected end of input");
        return -1;
    }
    switch (*ps->p) {
    case '{':
        return parse_container(ps, v, depth, 1);
    case '[':
        return parse_container(ps, v, depth, 0);
    case '"':
        v->u.str.s = parse_string(ps, &v->u.str.len);
        if (!v->u.str.s)
            return -1;
        v->type = JSON_STRING;
        return 0;
    case 't':
        v->type = JSON_TRUE;
        return literal(ps, "true", 4);
    case 'f':
        v->type = JSON_FALSE;
        return literal(ps, "false", 5);
    case 'n':
        v->type = JSON_NULL;
        return literal(ps, "null", 4);
    default:
        return parse_number(ps, v);
    }
}

struct json_value *json_parse(const char *text, size_t len,
                              char *err, size_t errlen)
{
    struct parser ps = { text, text + len, text, err, errlen, 0 };
    struct json_value *root = calloc(1, sizeof *root);

    if (!root) {
        if (err && errlen)
            snprintf(err, errlen, "JSON: out of memory");
        return NULL;
    }
    if (parse_value(&ps, root, 1) == 0) {
        skip_ws(&ps);
        if (ps.p != ps.end)
            fail(&ps, "trailing data");
    }
    if (ps.failed) {
        json_free(root);
        return NULL;
    }
    return root;
}

const struct json_value *json_get(const struct json_value *obj,
                                  const char *key)
{
    size_t i, n;

    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    n = strlen(key);
    for (i = 0; i < obj->u.c.n; i++)
        if (obj->u.c.key_lens[i] == n && memcmp(obj->u.c.keys[i], key, n) == 0)
            return &obj->u.c.items[i];
    return NULL;
}

const struct json_value *json_at(const struct json_value *v, size_t i)
{
    if (!v || (v->type != JSON_ARRAY && v->type != JSON_OBJECT) ||
        i >= v->u.c.n)
        return NULL;
    return &v->u.c.items[i];
}

size_t json_count(const struct json_value *v)
{
    if (!v || (v->type != JSON_ARRAY && v->type != JSON_OBJECT))
        return 0;
    return v->u.c.n;
}

const char *json_key_at(const struct json_value *obj, size_t i)
{
    if (!obj || obj->type != JSON_OBJECT || i >= obj->u.c.n)
        return NULL;
    return obj->u.c.keys[i];
}

const char *json_str(const struct json_value *v, size_t *len)
{
    if (!v || v->type != JSON_STRING)
        return NULL;
    if (len)
        *len = v->u.str.len;
    return v->u.str.s;
}

int json_int(const struct json_value *v, int64_t *out)
{
    if (!v || v->type != JSON_NUMBER || !v->u.num.is_int)
        return 0;
    *out = v->u.num.i;
    return 1;
}

int json_uint(const struct json_value *v, uint64_t *out)
{
    if (!v || v->type != JSON_NUMBER || !v->u.num.is_uint)
        return 0;
    *out = v->u.num.u;
    return 1;
}

int json_bool(const struct json_value *v, int *out)
{
    if (!v || (v->type != JSON_TRUE && v->type != JSON_FALSE))
        return 0;
    *out = v->type == JSON_TRUE;
    return 1;
}
