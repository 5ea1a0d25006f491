/*
** test_ws_url.c: parsing the URLs given with --url (core/ws/ws_url.c).
*/
#include <stdio.h>

#include "check.h"
#include "ws/ws_url.h"

static const struct {
    const char *text, *host, *path, *host_header;
    int port, tls;
} good[] = {
    { "ws://127.0.0.1:8080/", "127.0.0.1", "/", "127.0.0.1:8080", 8080, 0 },
    { "wss://certstream.calidog.io/", "certstream.calidog.io", "/",
      "certstream.calidog.io", 443, 1 },
    { "wss://certstream.calidog.io", "certstream.calidog.io", "/",
      "certstream.calidog.io", 443, 1 },
    { "ws://h/full-stream", "h", "/full-stream", "h", 80, 0 },
    { "ws://h:80/domains-only", "h", "/domains-only", "h", 80, 0 },
    { "wss://h:8443/domains-only?x=1", "h", "/domains-only?x=1", "h:8443",
      8443, 1 },
    { "ws://h?x", "h", "/?x", "h", 80, 0 },
    { "ws://[::1]:4000/", "::1", "/", "[::1]:4000", 4000, 0 },
    { "wss://[2001:db8::1]/", "2001:db8::1", "/", "[2001:db8::1]", 443, 1 },
};

static const struct {
    const char *text, *why;
} bad[] = {
    { "http://h/", "not a ws:// or wss:// URL" },
    { "h:80", "not a ws:// or wss:// URL" },
    { "ws://", "no host" },
    { "ws:///path", "no host" },
    { "ws://:80/", "no host" },
    { "ws://h:0/", "bad port" },
    { "ws://h:65536/", "bad port" },
    { "ws://h:80x/", "bad port" },
    { "ws://h:/", "bad port" },
    { "ws://[::1/", "unclosed '['" },
    { "ws://[::1]x/", "unexpected 'x'" },
    { "ws://h#frag", "unexpected '#'" },
    /* fuzz_ws_url findings: these went verbatim into the upgrade request */
    { "wss://\r\n\r\nstream.calidog.io/", "space or control byte at offset 6" },
    { "ws://h/\r\nX-Injected: 1", "space or control byte" },
    { "ws://exa mple.org/", "space or control byte" },
    { "ws://h/\x7f", "space or control byte" },
    { "ws://[a/b]:80/", "not an IPv6 address" },
    { "ws://[host]/", "not an IPv6 address" },
    /* regressions, since the one splitter (core/url.c): "u@h" was taken
    ** for the host, "/a#b" went into the request line with its fragment,
    ** "+80" was read by strtol as 80, "[g::1]" was no IPv6 address */
    { "ws://u@h/", "user:password@ in the URL is not supported" },
    { "ws://h/a#b", "unexpected '#'" },
    { "ws://h:+80/", "bad port" },
    { "ws://[g::1]/", "not an IPv6 address" },
};

int main(void)
{
    char err[256], hh[300];
    size_t i;

    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct ws_url u;
        int rc = ws_url_parse(&u, good[i].text, err, sizeof err);
        if (!CHECK(rc == 0)) {
            printf("#   %s: %s\n", good[i].text, err);
            ws_url_free(&u);
            continue;
        }
        CHECK_STR(u.text, good[i].text);
        CHECK_STR(u.host, good[i].host);
        CHECK_STR(u.path, good[i].path);
        CHECK(u.port == good[i].port);
        CHECK(u.tls == good[i].tls);
        ws_url_host_header(&u, hh, sizeof hh);
        CHECK_STR(hh, good[i].host_header);
        ws_url_free(&u);
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ws_url u;
        int rc = ws_url_parse(&u, bad[i].text, err, sizeof err);
        if (!CHECK(rc == -1))
            printf("#   %s was accepted\n", bad[i].text);
        else if (!CHECK(strstr(err, bad[i].why) != NULL))
            printf("#   %s: got '%s', want '%s'\n", bad[i].text, err,
                   bad[i].why);
        ws_url_free(&u);
    }
    return check_done();
}
