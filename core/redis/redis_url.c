/*
** redis_url.c: parsing redis:// URLs (see redis_url.h).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis/redis_url.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Copies s[0..len) into out (size outlen), decoding %XX. Returns 0, or -1
** on a bad escape, an escaped NUL, or no room. */
static int copy_decoded(const char *s, size_t len, char *out, size_t outlen)
{
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= len)
                return -1;
            hi = hex_value(s[i + 1]);
            lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -1;
            c = hi * 16 + lo;
            i += 2;
        }
        if (o + 1 >= outlen)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

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
    if (!eq || vlen == 0 || copy_decoded(v, vlen, out, outlen) < 0) {
        snprintf(err, errlen, "redis URL: bad or empty value for '%.*s'",
                 (int)klen, s);
        return -1;
    }
    return 0;
}

/* Parses text into u: a stream URL, or a server URL if server is set. */
static int parse_url(const char *text, int server, struct redis_url *u,
                     char *err, size_t errlen)
{
    const char *p, *auth_end, *host, *host_end, *path, *query, *end;
    long n;

    memset(u, 0, sizeof(*u));
    u->port = 6379;
    if (strncmp(text, "redis://", 8) != 0) {
        snprintf(err, errlen, "redis URL must start with redis:// (rediss:// "
                 "is not supported)");
        return -1;
    }
    p = text + 8;
    end = p + strlen(p);
    query = strchr(p, '?');
    if (!query)
        query = end;
    path = memchr(p, '/', (size_t)(query - p));
    if (!path)
        path = query;
    /* the last '@' before the path: a password may not hold a raw '/' */
    auth_end = NULL;
    for (const char *q = p; q < path; q++)
        if (*q == '@')
            auth_end = q;
    host = p;
    if (auth_end) {
        const char *colon = memchr(p, ':', (size_t)(auth_end - p));
        const char *pass = colon ? colon + 1 : p;
        size_t ulen = colon ? (size_t)(colon - p) : 0;
        if (copy_decoded(p, ulen, u->user, sizeof(u->user)) < 0 ||
            copy_decoded(pass, (size_t)(auth_end - pass), u->pass,
                         sizeof(u->pass)) < 0) {
            snprintf(err, errlen, "redis URL: bad user or password");
            return -1;
        }
        host = auth_end + 1;
    }
    host_end = memchr(host, ':', (size_t)(path - host));
    if (host_end) {
        n = parse_number(host_end + 1, (size_t)(path - host_end - 1), 1,
                         65535);
        if (n < 0) {
            snprintf(err, errlen, "redis URL: bad port '%.*s'",
                     (int)(path - host_end - 1), host_end + 1);
            return -1;
        }
        u->port = (int)n;
    } else {
        host_end = path;
    }
    if (host_end == host || (size_t)(host_end - host) >= sizeof(u->host)) {
        snprintf(err, errlen, "redis URL: missing or too long host");
        return -1;
    }
    memcpy(u->host, host, (size_t)(host_end - host));
    if (path < query && query - path > 1) {
        n = parse_number(path + 1, (size_t)(query - path - 1), 0, 1 << 20);
        if (n < 0) {
            snprintf(err, errlen, "redis URL: bad database number '%.*s'",
                     (int)(query - path - 1), path + 1);
            return -1;
        }
        u->db = (int)n;
    }
    for (p = query < end ? query + 1 : end; p < end;) {
        const char *amp = strchr(p, '&');
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
