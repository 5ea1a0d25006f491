/*
** ws_url.h: the WebSocket URLs certmon accepts, taken apart for lws.
**
** "ws://host[:port][/path]" or "wss://...", host a name, an IPv4 address
** or "[IPv6]". The path keeps its query ("/full-stream?x=1") and defaults
** to "/"; the port defaults to 80 (ws) or 443 (wss). The URL is cut by
** url_split (url.h) and refused as it refuses; a user:password@ or a
** '#' fragment is refused too.
*/
#ifndef CERTMON_WS_URL_H
#define CERTMON_WS_URL_H

#include <stddef.h>

struct ws_url {
    char *text;                   /* as given, for logs */
    char *host;                   /* without brackets */
    char *path;                   /* starts with '/' */
    int port;
    int tls;                      /* wss:// */
};

/* Parses text into u, which then owns copies (free with ws_url_free, also
** after a failure). 0, or -1 with the reason in err. */
int ws_url_parse(struct ws_url *u, const char *text, char *err,
                 size_t errlen);
/* The same for "http://" (as ws://) and "https://" (as wss://): the
** log list's GET (ct/ct_loglist_fetch.c). */
int ws_url_parse_http(struct ws_url *u, const char *text, char *err,
                      size_t errlen);
void ws_url_free(struct ws_url *u);

/* The HTTP Host header for u: "host", "host:port" or "[v6]:port", the
** port left out when it is the scheme's default. */
void ws_url_host_header(const struct ws_url *u, char *out, size_t outlen);

#endif
