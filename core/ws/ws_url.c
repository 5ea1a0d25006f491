/*
** ws_url.c: parsing ws:// and wss:// URLs.
*/
#include "ws/ws_url.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ws_url_parse(struct ws_url *u, const char *text, char *err,
                 size_t errlen)
{
    const char *p, *host, *host_end, *path;
    long port = -1;

    memset(u, 0, sizeof *u);
    /* host and path go verbatim into the request line and Host header:
    ** a space or control byte there would split or forge header lines */
    for (p = text; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f) {
            snprintf(err, errlen, "URL has a space or control byte at "
                     "offset %zu", (size_t)(p - text));
            return -1;
        }
    if (!strncmp(text, "ws://", 5)) {
        p = text + 5;
    } else if (!strncmp(text, "wss://", 6)) {
        p = text + 6;
        u->tls = 1;
    } else {
        snprintf(err, errlen, "%s: not a ws:// or wss:// URL", text);
        return -1;
    }
    if (*p == '[') {
        host = p + 1;
        host_end = strchr(host, ']');
        if (!host_end) {
            snprintf(err, errlen, "%s: unclosed '[' in host", text);
            return -1;
        }
        /* an IPv6 literal (RFC 3986, zone as in RFC 6874): the Host
        ** header brackets it again because of its ':' */
        if (!memchr(host, ':', (size_t)(host_end - host)) ||
            strcspn(host, "/?#[@") < (size_t)(host_end - host)) {
            snprintf(err, errlen, "%s: not an IPv6 address in '[...]'", text);
            return -1;
        }
        p = host_end + 1;
    } else {
        host = p;
        p += strcspn(p, ":/?#");
        host_end = p;
    }
    if (host_end == host) {
        snprintf(err, errlen, "%s: no host", text);
        return -1;
    }
    if (*p == ':') {
        char *end;
        errno = 0;
        port = strtol(p + 1, &end, 10);
        if (end == p + 1 || errno || port < 1 || port > 65535 ||
            (*end && *end != '/' && *end != '?')) {
            snprintf(err, errlen, "%s: bad port", text);
            return -1;
        }
        p = end;
    } else if (*p && *p != '/' && *p != '?') {
        snprintf(err, errlen, "%s: unexpected '%c' after the host", text, *p);
        return -1;
    }
    path = *p ? p : "/";
    u->port = port > 0 ? (int)port : (u->tls ? 443 : 80);
    u->text = strdup(text);
    u->host = strndup(host, (size_t)(host_end - host));
    if (*path == '/')
        u->path = strdup(path);
    else if ((u->path = malloc(strlen(path) + 2)))
        sprintf(u->path, "/%s", path);
    if (!u->text || !u->host || !u->path) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
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
