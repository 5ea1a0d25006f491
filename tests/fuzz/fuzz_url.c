/*
** fuzz_url.c: the URL splitter (core/url.c) and the parsers built on it:
** --url (core/ws/ws_url.c), the redis:// URLs (core/redis/redis_url.c),
** and ct_url_normalize (core/ct/ct_loglist.c) for --ct-log and the log
** list's URLs. The whole input is the URL.
**
** url_split, with and without URL_HASH_IS_DATA: a URL that splits is
** exactly its parts put back together (scheme://, userinfo and '@',
** host[:port], path, '?' query, '#' fragment; the scheme compared
** without case), splits again to the same parts, has a host of 1..255
** bytes, no space or control byte, and a port in 1..65535 (or 0 when
** the scheme has no default and none is given); a refusal has a reason.
** A redis URL that parses has NUL-terminated
** fields.
**
** A ws URL that parses must be usable as it is taken apart: host and path
** go into the upgrade request's request line and Host header, so neither
** may hold a space or a control byte (that would split or forge header
** lines); the port is in 1..65535; and the Host header with the path,
** parsed again, gives the same host, port and path. A normalised log URL
** is http:// or https://, ends in '/', has no space, control or
** non-ASCII byte, no query or fragment, and normalising it again changes
** nothing.
*/
#include <string.h>
#include <strings.h>

#include "ct/ct_loglist.h"
#include "fuzz_util.h"
#include "redis/redis_url.h"
#include "url.h"
#include "ws/ws_frame.h"
#include "ws/ws_url.h"

static void log_url(const char *text)
{
    char out[256], again[256], err[256];
    size_t n;

    if (ct_url_normalize(text, out, sizeof out, err, sizeof err) != 0)
        return;
    n = strlen(out);
    FUZZ_ASSERT(n < sizeof out && n > 0 && out[n - 1] == '/');
    FUZZ_ASSERT(!strncmp(out, "http://", 7) || !strncmp(out, "https://", 8));
    for (size_t i = 0; i < n; i++)
        FUZZ_ASSERT((unsigned char)out[i] > ' ' &&
                    (unsigned char)out[i] < 0x7f && out[i] != '?' &&
                    out[i] != '#');
    FUZZ_ASSERT(ct_url_normalize(out, again, sizeof again, err,
                                 sizeof err) == 0);
    FUZZ_ASSERT(strcmp(out, again) == 0);
}

static const char *const schemes[] = { "http", "https", "ws", "wss",
                                       "redis", "ftp", NULL };

/* Appends part (with its lead-in when present) to out at *o. */
static void put(char *out, size_t *o, const char *lead, struct url_part p)
{
    if (!p.p)
        return;
    memcpy(out + *o, lead, strlen(lead));
    *o += strlen(lead);
    memcpy(out + *o, p.p, p.len);
    *o += p.len;
}

static int same_part(struct url_part a, struct url_part b)
{
    return (a.p == NULL) == (b.p == NULL) && a.len == b.len &&
           (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static void split(const char *text, size_t len, unsigned flags)
{
    struct url u, again;
    char err[256], *joined;
    size_t o, k;

    if (url_split(&u, text, schemes, flags, err, sizeof err) != 0) {
        FUZZ_ASSERT(err[0] != '\0');
        return;
    }
    FUZZ_ASSERT(len <= URL_TEXT_MAX);
    FUZZ_ASSERT(u.host.len >= 1 && u.host.len <= URL_HOST_MAX);
    FUZZ_ASSERT(u.port >= 0 && u.port <= 65535);
    FUZZ_ASSERT(u.port > 0 || (!u.port_text.p && !strcmp(u.scheme, "ftp")));
    FUZZ_ASSERT(!(flags & URL_HASH_IS_DATA) || !u.fragment.p);
    for (k = 0; k < len; k++)
        FUZZ_ASSERT((unsigned char)text[k] > ' ' && text[k] != 0x7f);
    joined = malloc(len + 1);
    FUZZ_ASSERT(joined != NULL);
    o = strlen(u.scheme);
    FUZZ_ASSERT(strncasecmp(text, u.scheme, o) == 0);
    memcpy(joined, text, o);
    memcpy(joined + o, "://", 3);
    o += 3;
    if (u.userinfo.p) {
        put(joined, &o, "", u.userinfo);
        joined[o++] = '@';
    }
    put(joined, &o, "", u.hostport);
    put(joined, &o, "", u.path);
    put(joined, &o, "?", u.query);
    put(joined, &o, "#", u.fragment);
    FUZZ_ASSERT(o == len && memcmp(joined, text, len) == 0);
    joined[o] = '\0';
    FUZZ_ASSERT(url_split(&again, joined, schemes, flags, err,
                          sizeof err) == 0);
    FUZZ_ASSERT(same_part(again.host, u.host) &&
                same_part(again.path, u.path) &&
                same_part(again.query, u.query) &&
                same_part(again.userinfo, u.userinfo) &&
                again.port == u.port && again.ipv6 == u.ipv6);
    free(joined);
}

static void redis(const char *text)
{
    struct redis_url r;
    char err[256];

    if (redis_url_parse(text, &r, err, sizeof err) == 0)
        FUZZ_ASSERT(r.host[0] && strlen(r.stream) < sizeof r.stream &&
                    r.port >= 1 && r.port <= 65535);
    if (redis_url_parse_server(text, &r, err, sizeof err) == 0)
        FUZZ_ASSERT(r.host[0] && strlen(r.prefix) < sizeof r.prefix);
}

static int clean(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    struct ws_url u, again;
    char err[256], hdr[600], *text, *url2 = NULL, req[2048];
    char key[WS_KEY_LEN + 1] = "dGhlIHNhbXBsZSBub25jZQ==";
    size_t len, n;

    if (size > 400)
        return 0;
    text = fuzz_take_str(&in, size, &len);
    log_url(text);
    split(text, strlen(text), 0);       /* up to a NUL of the input */
    split(text, strlen(text), URL_HASH_IS_DATA);
    redis(text);
    if (ws_url_parse(&u, text, err, sizeof err) != 0) {
        ws_url_free(&u);
        free(text);
        return 0;
    }
    FUZZ_ASSERT(u.port >= 1 && u.port <= 65535);
    FUZZ_ASSERT(u.path[0] == '/' && u.host[0] != '\0');
    FUZZ_ASSERT(clean(u.host) && clean(u.path));
    ws_url_host_header(&u, hdr, sizeof hdr);
    n = strlen(hdr) + strlen(u.path) + 16;
    url2 = malloc(n);
    FUZZ_ASSERT(url2 != NULL);
    snprintf(url2, n, "%s://%s%s", u.tls ? "wss" : "ws", hdr, u.path);
    FUZZ_ASSERT(ws_url_parse(&again, url2, err, sizeof err) == 0);
    FUZZ_ASSERT(strcmp(again.host, u.host) == 0);
    FUZZ_ASSERT(strcmp(again.path, u.path) == 0);
    FUZZ_ASSERT(again.port == u.port && again.tls == u.tls);
    ws_url_free(&again);
    if (ws_handshake_request(req, sizeof req, hdr, u.path, key) > 0)
        /* exactly the request line, Host and the fixed headers */
        FUZZ_ASSERT(strstr(req, "\r\n\r\n") == req + strlen(req) - 4);
    ws_url_free(&u);
    free(url2);
    free(text);
    return 0;
}
