/*
** redis_url.c: parsing redis:// URLs (see redis_url.h).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis/redis_url.h"
#include "url.h"

/* A decimal number in s[0..len) within [lo, hi], or -1. */
static long parse_number(const char *s, size_t len, long lo, long hi)
{
    long v = 0;

    if (len == 0 || len > 9)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v < lo || v > hi ? -1 : v;
}

/* One key=value of the query: stream, group and consumer for a stream
** URL, prefix for a server URL (server set). */
static int query_item(struct redis_url *u, int server, const char *s,
                      size_t len, char *err, size_t errlen)
{
    const char *eq = memchr(s, '=', len);
    size_t klen = eq ? (size_t)(eq - s) : len;
    const char *v = eq ? eq + 1 : s + len;
    size_t vlen = (size_t)(s + len - v);
    char *out = NULL;
    size_t outlen = 0;

    if (server) {
        if (klen == 6 && memcmp(s, "prefix", 6) == 0)
            out = u->prefix, outlen = sizeof(u->prefix);
    } else if (klen == 6 && memcmp(s, "stream", 6) == 0)
        out = u->stream, outlen = sizeof(u->stream);
    else if (klen == 5 && memcmp(s, "group", 5) == 0)
        out = u->group, outlen = sizeof(u->group);
    else if (klen == 8 && memcmp(s, "consumer", 8) == 0)
        out = u->consumer, outlen = sizeof(u->consumer);
    if (!out) {
        snprintf(err, errlen, "redis URL: unknown parameter '%.*s' (%s)",
                 (int)(klen > 64 ? 64 : klen), s,
                 server ? "only prefix" : "stream, group, consumer");
        return -1;
    }
    if (!eq || vlen == 0 || url_decode((struct url_part){ v, vlen }, out, outlen) < 0) {
        snprintf(err, errlen, "redis URL: bad or empty value for '%.*s'",
                 (int)klen, s);
        return -1;
    }
    return 0;
}

/* Parses text into u: a stream URL, or a server URL if server is set.
** '#' is data here (a password or stream name may hold it), and the
** userinfo is "user:password", ":password" or "password". */
static int parse_url(const char *text, int server, struct redis_url *u,
                     char *err, size_t errlen)
{
    static const char *const schemes[] = { "redis", NULL };
    struct url s;
    const char *p, *end, *colon;
    char why[160];
    long n;

    memset(u, 0, sizeof(*u));
    if (url_split(&s, text, schemes, URL_HASH_IS_DATA, why,
                  sizeof why) < 0) {
        if (!s.scheme[0])
            snprintf(err, errlen, "redis URL must start with redis:// "
                     "(rediss:// is not supported)");
        else
            snprintf(err, errlen, "redis URL: %s", why);
        return -1;
    }
    if (s.ipv6) {
        snprintf(err, errlen, "redis URL: an IPv6 host is not supported");
        return -1;
    }
    u->port = s.port;
    if (s.userinfo.p) {
        struct url_part user = { s.userinfo.p, 0 }, pass = s.userinfo;
        if ((colon = memchr(s.userinfo.p, ':', s.userinfo.len))) {
            user.len = (size_t)(colon - s.userinfo.p);
            pass.p = colon + 1;
            pass.len = s.userinfo.len - user.len - 1;
        }
        if (url_decode(user, u->user, sizeof(u->user)) < 0 ||
            url_decode(pass, u->pass, sizeof(u->pass)) < 0) {
            snprintf(err, errlen, "redis URL: bad user or password");
            return -1;
        }
    }
    if (url_copy(s.host, u->host, sizeof(u->host)) < 0) {
        snprintf(err, errlen, "redis URL: missing or too long host");
        return -1;
    }
    if (s.path.p && s.path.len > 1) {
        n = parse_number(s.path.p + 1, s.path.len - 1, 0, 1 << 20);
        if (n < 0) {
            snprintf(err, errlen, "redis URL: bad database number '%.*s'",
                     (int)(s.path.len > 17 ? 16 : s.path.len - 1),
                     s.path.p + 1);
            return -1;
        }
        u->db = (int)n;
    }
    end = s.query.p ? s.query.p + s.query.len : NULL;
    for (p = s.query.p; p && p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *item_end = amp ? amp : end;
        if (query_item(u, server, p, (size_t)(item_end - p), err,
                       errlen) < 0)
            return -1;
        p = amp ? amp + 1 : end;
    }
    if (!server && !u->stream[0]) {
        snprintf(err, errlen, "redis URL: ?stream=NAME is required");
        return -1;
    }
    return 0;
}

int redis_url_parse(const char *text, struct redis_url *u, char *err,
                    size_t errlen)
{
    return parse_url(text, 0, u, err, errlen);
}

int redis_url_parse_server(const char *text, struct redis_url *u, char *err,
                           size_t errlen)
{
    return parse_url(text, 1, u, err, errlen);
}
