/*
** json_buf.c: writing JSON text into a growable buffer.
*/
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_buf.h"
#include "json_word.h"
#include "utf8.h"

void jb_init(struct json_buf *b)
{
    memset(b, 0, sizeof *b);
}

void jb_free(struct json_buf *b)
{
    free(b->data);
    jb_init(b);
}

void jb_reset(struct json_buf *b)
{
    char *data = b->data;
    size_t cap = b->cap;

    jb_init(b);
    b->data = data;
    b->cap = cap;
    if (data)
        data[0] = '\0';
}

char *jb_steal(struct json_buf *b, size_t *len_out)
{
    char *s = b->failed || b->len == 0 ? NULL : b->data;

    if (len_out)
        *len_out = s ? b->len : 0;
    if (!s)
        free(b->data);
    jb_init(b);
    return s;
}

void jb_rewind(struct json_buf *b, size_t len)
{
    char *data = b->data;
    size_t cap = b->cap;

    if (len > b->len) {
        b->failed = 1;
        return;
    }
    jb_init(b);
    b->data = data;
    b->cap = cap;
    b->len = len;
    if (data)
        data[len] = '\0';
}

void jb_consume(struct json_buf *b, size_t n)
{
    if (n > b->len) {
        b->failed = 1;
        return;
    }
    if (n == 0)
        return;
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

/* Makes room for n more bytes plus the terminating NUL. */
static int reserve(struct json_buf *b, size_t n)
{
    size_t need, cap;
    char *p;

    if (b->failed)
        return -1;
    if (n > SIZE_MAX / 2 - b->len - 1) {
        b->failed = 1;
        return -1;
    }
    need = b->len + n + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void jb_raw(struct json_buf *b, const char *s, size_t n)
{
    if (reserve(b, n) < 0)
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void put_char(struct json_buf *b, char c)
{
    if (b->failed || (b->len + 2 > b->cap && reserve(b, 1) < 0))
        return;
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

/* The plain ASCII prefix of s[0..n): written as it is. */
static size_t plain_prefix(const unsigned char *s, size_t n)
{
    return json_plain_len(s, n, 1);
}

/* Writes '"', s[0..n) as plain text and the n_tail bytes of tail, with one
** reservation: keys and most strings. */
static void put_quoted(struct json_buf *b, const char *s, size_t n,
                       const char *tail, size_t n_tail)
{
    if (reserve(b, n + 1 + n_tail) < 0)
        return;
    b->data[b->len] = '"';
    memcpy(b->data + b->len + 1, s, n);
    memcpy(b->data + b->len + 1 + n, tail, n_tail);
    b->len += n + 1 + n_tail;
    b->data[b->len] = '\0';
}

/* Writes the comma that separates this value from the previous one and
** marks the current level as non-empty. */
static void before_value(struct json_buf *b)
{
    if (b->after_key) {
        b->after_key = 0;
        return;
    }
    if (b->has_item[b->depth])
        put_char(b, ',');
    b->has_item[b->depth] = 1;
}

void jb_value_raw(struct json_buf *b, const char *s, size_t n)
{
    before_value(b);
    jb_raw(b, s, n);
}

static void open_level(struct json_buf *b, char c)
{
    before_value(b);
    if (b->depth >= JB_MAX_DEPTH) {
        b->failed = 1;
        return;
    }
    put_char(b, c);
    b->depth++;
    b->has_item[b->depth] = 0;
}

static void close_level(struct json_buf *b, char c)
{
    if (b->depth == 0 || b->after_key) {
        b->failed = 1;
        return;
    }
    b->depth--;
    put_char(b, c);
}

void jb_obj_begin(struct json_buf *b) { open_level(b, '{'); }
void jb_obj_end(struct json_buf *b)   { close_level(b, '}'); }
void jb_arr_begin(struct json_buf *b) { open_level(b, '['); }
void jb_arr_end(struct json_buf *b)   { close_level(b, ']'); }

void jb_key(struct json_buf *b, const char *key)
{
    jb_keyn(b, key, strlen(key));
}

void jb_keyn(struct json_buf *b, const char *key, size_t n)
{
    size_t k;

    if (b->after_key) {
        b->failed = 1;
        return;
    }
    before_value(b);
    k = plain_prefix((const unsigned char *)key, n);
    if (k == n) {
        put_quoted(b, key, n, "\":", 2);
    } else {
        put_quoted(b, key, k, "", 0);
        jb_escape(b, key + k, n - k);
        jb_raw(b, "\":", 2);
    }
    b->after_key = 1;
}

void jb_escape(struct json_buf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, run = 0;
    char esc[8];

    while (i < n) {
        unsigned c = s[i];
        size_t len;

        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            len = plain_prefix(s + i, n - i);
            run += len;
            i += len;
            continue;
        }
        if (c >= 0x80 && (len = utf8_seq_len(s + i, n - i)) > 0) {
            run += len;
            i += len;
            continue;
        }
        /* flush the plain run, then write this byte escaped */
        jb_raw(b, (const char *)s + i - run, run);
        run = 0;
        switch (c) {
        case '"':  jb_raw(b, "\\\"", 2); break;
        case '\\': jb_raw(b, "\\\\", 2); break;
        case '\b': jb_raw(b, "\\b", 2); break;
        case '\f': jb_raw(b, "\\f", 2); break;
        case '\n': jb_raw(b, "\\n", 2); break;
        case '\r': jb_raw(b, "\\r", 2); break;
        case '\t': jb_raw(b, "\\t", 2); break;
        default:
            if (c < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                jb_raw(b, esc, 6);
            } else {
                jb_raw(b, "\xEF\xBF\xBD", 3);   /* U+FFFD */
            }
        }
        i++;
    }
    jb_raw(b, (const char *)s + i - run, run);
}

/* A plain prefix found once: whole strings are copied, others escaped
** from the first byte that needs care. */
void jb_str(struct json_buf *b, const char *s, size_t n)
{
    size_t k;

    before_value(b);
    k = plain_prefix((const unsigned char *)s, n);
    if (k == n) {
        put_quoted(b, s, n, "\"", 1);
        return;
    }
    put_quoted(b, s, k, "", 0);
    jb_escape(b, s + k, n - k);
    put_char(b, '"');
}

void jb_cstr(struct json_buf *b, const char *s)
{
    if (s)
        jb_str(b, s, strlen(s));
    else
        jb_null(b);
}

/* Writes the decimal digits of v ending just before end; returns where
** they start. snprintf costs more than a whole small value's write. */
static char *put_digits(char *end, uint64_t v)
{
    do
        *--end = (char)('0' + v % 10);
    while (v /= 10);
    return end;
}

void jb_int(struct json_buf *b, int64_t v)
{
    char tmp[24], *p;

    p = put_digits(tmp + sizeof tmp,
                   v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
    if (v < 0)
        *--p = '-';
    before_value(b);
    jb_raw(b, p, (size_t)(tmp + sizeof tmp - p));
}

void jb_uint(struct json_buf *b, uint64_t v)
{
    char tmp[24], *p = put_digits(tmp + sizeof tmp, v);

    before_value(b);
    jb_raw(b, p, (size_t)(tmp + sizeof tmp - p));
}

void jb_double(struct json_buf *b, double d)
{
    char tmp[32];
    int n;

    if (!isfinite(d)) {
        b->failed = 1;
        return;
    }
    n = snprintf(tmp, sizeof tmp, "%.15g", d);
    if (strtod(tmp, NULL) != d)
        n = snprintf(tmp, sizeof tmp, "%.17g", d);
    before_value(b);
    jb_raw(b, tmp, (size_t)n);
}

void jb_bool(struct json_buf *b, int v)
{
    before_value(b);
    if (v)
        jb_raw(b, "true", 4);
    else
        jb_raw(b, "false", 5);
}

void jb_null(struct json_buf *b)
{
    before_value(b);
    jb_raw(b, "null", 4);
}

void jb_ms_as_seconds(struct json_buf *b, int64_t ms)
{
    char tmp[32];
    const char *sign = ms < 0 ? "-" : "";
    uint64_t mag = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    uint64_t frac = mag % 1000;
    int n;

    if (frac == 0)
        n = snprintf(tmp, sizeof tmp, "%s%" PRIu64, sign, mag / 1000);
    else if (frac % 100 == 0)
        n = snprintf(tmp, sizeof tmp, "%s%" PRIu64 ".%u", sign, mag / 1000,
                     (unsigned)(frac / 100));
    else if (frac % 10 == 0)
        n = snprintf(tmp, sizeof tmp, "%s%" PRIu64 ".%02u", sign,
                     mag / 1000, (unsigned)(frac / 10));
    else
        n = snprintf(tmp, sizeof tmp, "%s%" PRIu64 ".%03u", sign,
                     mag / 1000, (unsigned)frac);
    before_value(b);
    jb_raw(b, tmp, (size_t)n);
}
