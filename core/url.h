/*
** url.h: the one URL splitter (RFC 3986 generic syntax, strict).
**
**   scheme://[userinfo@]host[:port][/path][?query][#fragment]
**
** Every module that takes a URL apart calls url_split: --url and the log
** list (ws/ws_url.c), the CT logs (ct/ct_http.c), --alert-webhook
** (sinks/alert_sink_webhook.c) and the redis:// URLs (redis/redis_url.c).
** The splitter only cuts; what a part may mean (a database number in the
** path, stream= in the query, whether user:password@ is allowed) is the
** caller's. The parts point into the text given, which must outlive them;
** nothing is copied, allocated, decoded or truncated.
**
** Refused, with a reason naming the problem, in this order: a scheme not
** in the caller's list (the scheme is case-insensitive); a space, control byte or
** DEL anywhere (they would split or forge request and log lines); a URL
** longer than URL_TEXT_MAX bytes; no host, or a host name longer than
** URL_HOST_MAX bytes or with a byte RFC 3986 does not allow there (ASCII
** only, no '%'); a '[' without ']' or a bracketed host that is not an
** IPv6 address (zone "%25eth0" as in RFC 6874); a port that is empty, not
** all digits, or outside 1..65535; anything but ':' after the host. The
** reason never repeats the userinfo, so it may be logged.
*/
#ifndef CERTMON_URL_H
#define CERTMON_URL_H

#include <stddef.h>

#define URL_TEXT_MAX 4096       /* bytes, without the NUL */
#define URL_HOST_MAX 255        /* bytes of a host, as DNS allows */

/* A part of the text: p NULL when the part is absent, len 0 when it is
** there but empty ("http://h?" has an empty query). */
struct url_part {
    const char *p;
    size_t len;
};

struct url {
    char scheme[16];            /* lower-cased: "https" */
    int tls;                    /* https, wss */
    struct url_part userinfo;   /* before the '@', not decoded */
    struct url_part host;       /* without the brackets of an IPv6 host */
    int ipv6;                   /* the host was "[...]" */
    struct url_part hostport;   /* host[:port] exactly as written */
    struct url_part port_text;  /* the digits after ':' */
    int port;                   /* given, or the scheme's default (0: none) */
    struct url_part path;       /* from the '/' on; p NULL if none */
    struct url_part query;      /* after the '?' */
    struct url_part fragment;   /* after the '#' */
};

/* url_split flags */
#define URL_HASH_IS_DATA 0x1u   /* '#' is an ordinary byte: no fragment
                                ** (redis:// passwords and stream names) */
#define URL_NO_USERINFO  0x2u   /* refuse user:password@ */

/* Splits text into u. schemes is a NULL-terminated list of the schemes
** the caller accepts, in lower case ({ "ws", "wss", NULL }). Returns 0,
** or -1 with the reason in err; after a failure u holds the parts found
** before the problem. */
int url_split(struct url *u, const char *text, const char *const *schemes,
              unsigned flags, char *err, size_t errlen);

/* Copies part into out (size outlen) decoding %XX escapes. Returns 0, or
** -1 on a bad escape, an escaped NUL, or no room (out is then ""). */
int url_decode(struct url_part part, char *out, size_t outlen);

/* Copies part as it is into out. Returns 0, or -1 if it does not fit
** with its NUL (out is then ""). */
int url_copy(struct url_part part, char *out, size_t outlen);

/* The HTTP request-target of u, malloc'd: the path with its query, the
** fragment left out; "/" when there is neither, "/?q" for "http://h?q".
** NULL when out of memory. */
char *url_request_target(const struct url *u);

#endif
