/*
** ws_url.c: ws:// and wss:// URLs (and http:// https:// for the log
** list's GET), cut by the one splitter (url.h) and copied for lws.
*/
#include "ws/ws_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

static const char *const ws_schemes[] = { "ws", "wss", NULL };
static const char *const http_schemes[] = { "http", "https", NULL };

/* Parses text, one of schemes, into u (see ws_url_parse). */
static int parse(struct ws_url *u, const char *text,
                 const char *const *schemes, char *err, size_t errlen)
{
    struct url s;
    char why[160];

    memset(u, 0, sizeof *u);
    if (url_split(&s, text, schemes, URL_NO_USERINFO, why, sizeof why) < 0) {
        snprintf(err, errlen, "%.200s: %s", text, why);
        return -1;
    }
    /* the path goes verbatim into the request line, where a '#' is not
    ** allowed: a fragment is refused, not sent */
    if (s.fragment.p) {
        snprintf(err, errlen, "%.200s: unexpected '#' (a fragment is not sent "
                 "to the server)", text);
        return -1;
    }
    /* the path keeps its query; "ws://h?x" asks for "/?x" */
    u->tls = s.tls;
    u->port = s.port;
    u->text = strdup(text);
    u->host = strndup(s.host.p, s.host.len);
    u->path = url_request_target(&s);
    if (!u->text || !u->host || !u->path) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int ws_url_parse(struct ws_url *u, const char *text, char *err,
                 size_t errlen)
{
    return parse(u, text, ws_schemes, err, errlen);
}

int ws_url_parse_http(struct ws_url *u, const char *text, char *err,
                      size_t errlen)
{
    return parse(u, text, http_schemes, err, errlen);
}

void ws_url_free(struct ws_url *u)
{
    free(u->text);
    free(u->host);
    free(u->path);
    memset(u, 0, sizeof *u);
}

void ws_url_host_header(const struct ws_url *u, char *out, size_t outlen)
{
    int v6 = strchr(u->host, ':') != NULL;

    if ((u->port == 80 && !u->tls) || (u->port == 443 && u->tls))
        snprintf(out, outlen, v6 ? "[%s]" : "%s", u->host);
    else
        snprintf(out, outlen, v6 ? "[%s]:%d" : "%s:%d", u->host, u->port);
}
