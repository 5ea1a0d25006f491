/*
** fuzz_ws_url.c: the URL parsers, for --url (core/ws/ws_url.c) and for
** --ct-log and the log list's URLs (ct_url_normalize, core/ct/ct_loglist.c).
**
** A URL that parses must be usable as it is taken apart: host and path
** go into the upgrade request's request line and Host header, so neither
** may hold a space or a control byte (that would split or forge header
** lines); the port is in 1..65535; and the Host header with the path,
** parsed again, gives the same host, port and path. A normalised log URL
** is http:// or https://, ends in '/', has no space, control or
** non-ASCII byte, no query or fragment, and normalising it again changes
** nothing.
*/
#include "ct/ct_loglist.h"
#include "fuzz_util.h"
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
