/*
** url.c: the one URL splitter (see url.h).
*/
#include "url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    int port, tls;
} known_schemes[] = {
    { "http", 80, 0 }, { "https", 443, 1 }, { "ws", 80, 0 },
    { "wss", 443, 1 }, { "redis", 6379, 0 },
};

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hex_value(int c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return c - 'A' + 10;
}

/* A byte of a host name: RFC 3986 unreserved and sub-delims (no '%'). */
static int is_host_byte(int c)
{
    return is_alpha(c) || is_digit(c) || (c && strchr("-._~!$&'()*+,;=", c));
}

/* Writes "not a ws:// or wss:// URL" for the list into err. */
static void scheme_error(const char *const *schemes, char *err,
                         size_t errlen)
{
    size_t n = 0, k, o;

    while (schemes[n])
        n++;
    /* "an http://" as said aloud, "a redis://" */
    o = (size_t)snprintf(err, errlen, "not %s ",
                         n && strchr("aeiouh", schemes[0][0]) ? "an" : "a");
    for (k = 0; k < n && o < errlen; k++)
        o += (size_t)snprintf(err + o, errlen - o, "%s%s://",
                              k == 0 ? "" : k + 1 == n ? " or " : ", ",
                              schemes[k]);
    if (o < errlen)
        snprintf(err + o, errlen - o, " URL");
}

/* Describes byte c for an error: "'x'" or "byte 0xNN". */
static void byte_name(int c, char *out, size_t outlen)
{
    if (c > ' ' && c < 0x7f)
        snprintf(out, outlen, "'%c'", c);
    else
        snprintf(out, outlen, "byte 0x%02x", (unsigned)c);
}

/* Checks the inside of "[...]" (s, len): hex digits, ':' and '.' with at
** least one ':', then optionally '%' and a non-empty zone of unreserved
** bytes and escapes. 0 or -1. */
static int check_ipv6(const char *s, size_t len)
{
    size_t i;
    int colons = 0;

    for (i = 0; i < len && s[i] != '%'; i++) {
        if (s[i] == ':')
            colons++;
        else if (!is_hex((unsigned char)s[i]) && s[i] != '.')
            return -1;
    }
    if (!colons)
        return -1;
    if (i == len)
        return 0;
    if (++i == len)
        return -1;                      /* '%' and no zone */
    for (; i < len; i++) {
        int c = (unsigned char)s[i];
        if (!is_alpha(c) && !is_digit(c) && !strchr("-._~%", c))
            return -1;
    }
    return 0;
}

/* Checks the scheme at the start of text against the caller's list; sets
** u->scheme, u->tls and the default port. Returns the length of
** "scheme://", or -1. */
static int split_scheme(struct url *u, const char *text,
                        const char *const *schemes, char *err, size_t errlen)
{
    size_t i = 0, k;

    if (is_alpha((unsigned char)text[0]))
        while (i < sizeof u->scheme - 1 &&
               (is_alpha((unsigned char)text[i]) ||
                is_digit((unsigned char)text[i]) ||
                (text[i] && strchr("+-.", text[i])))) {
            int c = (unsigned char)text[i];
            u->scheme[i++] = (char)(is_alpha(c) ? c | 0x20 : c);
        }
    u->scheme[i] = '\0';
    for (k = 0; schemes[k]; k++)
        if (i > 0 && !strcmp(u->scheme, schemes[k]))
            break;
    if (i == 0 || strncmp(text + i, "://", 3) != 0 || !schemes[k]) {
        u->scheme[0] = '\0';
        scheme_error(schemes, err, errlen);
        return -1;
    }
    for (k = 0; k < sizeof known_schemes / sizeof known_schemes[0]; k++)
        if (!strcmp(u->scheme, known_schemes[k].name)) {
            u->port = known_schemes[k].port;
            u->tls = known_schemes[k].tls;
        }
    return (int)i + 3;
}

/* Splits the authority starting at p (the text ends at end, the
** authority at the first of delims): userinfo, host, port. Returns the
** end of the authority, or NULL. */
static const char *split_authority(struct url *u, const char *p,
                                   const char *end, const char *delims,
                                   unsigned flags, char *err, size_t errlen)
{
    const char *ae = p + strcspn(p, delims), *h = p, *q, *at = NULL;
    char what[16];

    for (q = p; q < ae; q++)
        if (*q == '@')
            at = q;
    if (at) {
        u->userinfo.p = p;
        u->userinfo.len = (size_t)(at - p);
        if (flags & URL_NO_USERINFO) {
            snprintf(err, errlen, "user:password@ in the URL is not "
                     "supported");
            return NULL;
        }
        h = at + 1;
    }
    if (*h == '[') {
        const char *close = memchr(h + 1, ']', (size_t)(end - h - 1));
        if (!close) {
            snprintf(err, errlen, "unclosed '[' in the host");
            return NULL;
        }
        if (check_ipv6(h + 1, (size_t)(close - h - 1)) < 0) {
            snprintf(err, errlen, "not an IPv6 address in '[...]'");
            return NULL;
        }
        u->host.p = h + 1;
        u->host.len = (size_t)(close - h - 1);
        u->ipv6 = 1;
        q = close + 1;
        ae = q + strcspn(q, delims);
        if (q < ae && *q != ':') {
            byte_name((unsigned char)*q, what, sizeof what);
            snprintf(err, errlen, "unexpected %s after the host", what);
            return NULL;
        }
    } else {
        for (q = h; q < ae && *q != ':'; q++)
            if (!is_host_byte((unsigned char)*q)) {
                byte_name((unsigned char)*q, what, sizeof what);
                snprintf(err, errlen, "unexpected %s in the host", what);
                return NULL;
            }
        u->host.p = h;
        u->host.len = (size_t)(q - h);
    }
    if (u->host.len == 0) {
        snprintf(err, errlen, "no host");
        return NULL;
    }
    if (u->host.len > URL_HOST_MAX) {
        snprintf(err, errlen, "host longer than %d bytes", URL_HOST_MAX);
        return NULL;
    }
    u->hostport.p = h;
    u->hostport.len = (size_t)(ae - h);
    if (q < ae) {                       /* *q == ':' */
        long port = 0;
        const char *d;
        u->port_text.p = q + 1;
        u->port_text.len = (size_t)(ae - q - 1);
        for (d = q + 1; d < ae && is_digit((unsigned char)*d) &&
                        port <= 65535; d++)
            port = port * 10 + (*d - '0');
        if (d == q + 1 || d < ae || port < 1 || port > 65535) {
            snprintf(err, errlen, "bad port '%.*s'",
                     (int)(u->port_text.len > 16 ? 16 : u->port_text.len),
                     u->port_text.p);
            return NULL;
        }
        u->port = (int)port;
    }
    return ae;
}

int url_split(struct url *u, const char *text, const char *const *schemes,
              unsigned flags, char *err, size_t errlen)
{
    const char *delims = flags & URL_HASH_IS_DATA ? "/?" : "/?#";
    const char *p, *end;
    size_t n, i;
    int k;

    memset(u, 0, sizeof *u);
    if ((k = split_scheme(u, text, schemes, err, errlen)) < 0)
        return -1;
    n = strnlen(text, URL_TEXT_MAX + 1);
    if (n > URL_TEXT_MAX) {
        snprintf(err, errlen, "URL longer than %d bytes", URL_TEXT_MAX);
        return -1;
    }
    for (i = 0; i < n; i++)
        if ((unsigned char)text[i] <= ' ' || text[i] == 0x7f) {
            snprintf(err, errlen, "URL has a space or control byte at "
                     "offset %zu", i);
            return -1;
        }
    end = text + n;
    if (!(p = split_authority(u, text + k, end, delims, flags, err, errlen)))
        return -1;
    if (*p == '/') {
        u->path.p = p;
        u->path.len = strcspn(p, delims + 1);
        p += u->path.len;
    }
    if (*p == '?') {
        u->query.p = p + 1;
        u->query.len = flags & URL_HASH_IS_DATA ? strlen(p + 1)
                                                : strcspn(p + 1, "#");
        p += 1 + u->query.len;
    }
    if (*p == '#') {
        u->fragment.p = p + 1;
        u->fragment.len = (size_t)(end - p - 1);
    }
    return 0;
}

int url_decode(struct url_part part, char *out, size_t outlen)
{
    size_t o = 0;

    if (outlen == 0)
        return -1;
    for (size_t i = 0; i < part.len; i++) {
        int c = (unsigned char)part.p[i];
        if (c == '%') {
            if (i + 2 >= part.len || !is_hex((unsigned char)part.p[i + 1]) ||
                !is_hex((unsigned char)part.p[i + 2]))
                goto bad;
            c = hex_value((unsigned char)part.p[i + 1]) * 16 +
                hex_value((unsigned char)part.p[i + 2]);
            if (c == 0)
                goto bad;
            i += 2;
        }
        if (o + 1 >= outlen)
            goto bad;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
bad:
    out[0] = '\0';
    return -1;
}

int url_copy(struct url_part part, char *out, size_t outlen)
{
    if (outlen == 0)
        return -1;
    if (part.len >= outlen) {
        out[0] = '\0';
        return -1;
    }
    if (part.len)
        memcpy(out, part.p, part.len);
    out[part.len] = '\0';
    return 0;
}

char *url_request_target(const struct url *u)
{
    const char *t, *t_end;
    char *out;
    size_t n;

    t = u->path.p ? u->path.p : u->query.p ? u->query.p - 1 : "/";
    t_end = u->query.p ? u->query.p + u->query.len
          : u->path.p ? u->path.p + u->path.len : t + 1;
    n = (size_t)(t_end - t);
    if ((out = malloc(n + 2)))
        snprintf(out, n + 2, "%s%.*s", *t == '/' ? "" : "/", (int)n, t);
    return out;
}
