/*
** test_url.c: the one URL splitter (core/url.c).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "url.h"

static const char *const any[] = { "http", "https", "ws", "wss", "redis",
                                   "x-y.z+1", NULL };

/* part as a string, "(none)" when absent */
static const char *part(struct url_part p, char *buf, size_t len)
{
    if (!p.p)
        return "(none)";
    snprintf(buf, len, "%.*s", (int)p.len, p.p);
    return buf;
}

static const struct {
    const char *text, *scheme, *userinfo, *host, *hostport, *path, *query,
        *fragment;
    int port, ipv6, tls;
} good[] = {
    { "http://h", "http", "(none)", "h", "h", "(none)", "(none)", "(none)",
      80, 0, 0 },
    { "HTTPS://Ex.Org:8443/a/b?c=d#e", "https", "(none)", "Ex.Org",
      "Ex.Org:8443", "/a/b", "c=d", "e", 8443, 0, 1 },
    { "ws://h?x", "ws", "(none)", "h", "h", "(none)", "x", "(none)", 80, 0,
      0 },
    { "wss://h/", "wss", "(none)", "h", "h", "/", "(none)", "(none)", 443, 0,
      1 },
    { "redis://u:p%40ss@h:1/3?stream=s", "redis", "u:p%40ss", "h", "h:1",
      "/3", "stream=s", "(none)", 1, 0, 0 },
    { "redis://h", "redis", "(none)", "h", "h", "(none)", "(none)", "(none)",
      6379, 0, 0 },
    /* the last '@' ends the userinfo */
    { "http://a@b@h/", "http", "a@b", "h", "h", "/", "(none)", "(none)", 80,
      0, 0 },
    { "http://[::1]:9/", "http", "(none)", "::1", "[::1]:9", "/", "(none)",
      "(none)", 9, 1, 0 },
    { "ws://[fe80::1%25eth0]/", "ws", "(none)", "fe80::1%25eth0",
      "[fe80::1%25eth0]", "/", "(none)", "(none)", 80, 1, 0 },
    { "ws://[::ffff:1.2.3.4]", "ws", "(none)", "::ffff:1.2.3.4",
      "[::ffff:1.2.3.4]", "(none)", "(none)", "(none)", 80, 1, 0 },
    /* empty query and fragment are there, but empty */
    { "http://h?#", "http", "(none)", "h", "h", "(none)", "", "", 80, 0, 0 },
    /* a scheme without a default port */
    { "x-y.z+1://h", "x-y.z+1", "(none)", "h", "h", "(none)", "(none)",
      "(none)", 0, 0, 0 },
    { "http://h:00080", "http", "(none)", "h", "h:00080", "(none)", "(none)",
      "(none)", 80, 0, 0 },
};

static const struct {
    const char *text, *why;
} bad[] = {
    { "ftp://h/", "not an http://, https://, ws://, wss://, redis:// or "
                  "x-y.z+1:// URL" },
    { "h:80", "not a" },
    { "http:/h", "not a" },
    { "://h", "not a" },
    { "1http://h", "not a" },
    { "http://", "no host" },
    { "http:///p", "no host" },
    { "http://:80/", "no host" },
    { "http://u@/", "no host" },
    { "http://h:/", "bad port ''" },
    { "http://h:0/", "bad port '0'" },
    { "http://h:65536/", "bad port '65536'" },
    { "http://h:99999999999999999999/", "bad port '9999999999999999'" },
    { "http://h:+80/", "bad port '+80'" },
    { "http://h:80x/", "bad port '80x'" },
    { "http://h:1:2/", "bad port '1:2'" },
    { "http://[::1/", "unclosed '[' in the host" },
    { "http://[]/", "not an IPv6 address" },
    { "http://[host]/", "not an IPv6 address" },
    { "http://[a/b]:80/", "not an IPv6 address" },
    { "http://[fe80::1%]/", "not an IPv6 address" },
    { "http://[::1]x/", "unexpected 'x' after the host" },
    { "http://a\"b/", "unexpected '\"' in the host" },
    { "http://a%41/", "unexpected '%' in the host" },
    { "http://a[b]/", "unexpected '[' in the host" },
    { "http://caf\xc3\xa9.example/", "unexpected byte 0xc3 in the host" },
    { "http://h /", "space or control byte at offset 8" },
    { "http://h/\r\nX: 1", "space or control byte at offset 9" },
    { "http://h/\x7f", "space or control byte at offset 9" },
};

static void test_good(void)
{
    char b[6][300];

    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct url u;
        char err[200];
        if (!CHECK(url_split(&u, good[i].text, any, 0, err, sizeof err) == 0)) {
            printf("#   %s: %s\n", good[i].text, err);
            continue;
        }
        CHECK_STR(u.scheme, good[i].scheme);
        CHECK_STR(part(u.userinfo, b[0], sizeof b[0]), good[i].userinfo);
        CHECK_STR(part(u.host, b[1], sizeof b[1]), good[i].host);
        CHECK_STR(part(u.hostport, b[2], sizeof b[2]), good[i].hostport);
        CHECK_STR(part(u.path, b[3], sizeof b[3]), good[i].path);
        CHECK_STR(part(u.query, b[4], sizeof b[4]), good[i].query);
        CHECK_STR(part(u.fragment, b[5], sizeof b[5]), good[i].fragment);
        CHECK(u.port == good[i].port);
        CHECK(u.ipv6 == good[i].ipv6);
        CHECK(u.tls == good[i].tls);
    }
}

static void test_bad(void)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct url u;
        char err[200] = "";
        if (!CHECK(url_split(&u, bad[i].text, any, 0, err, sizeof err) < 0))
            printf("#   %s was accepted\n", bad[i].text);
        else if (!CHECK(strstr(err, bad[i].why) != NULL))
            printf("#   %s: got '%s', want '%s'\n", bad[i].text, err,
                   bad[i].why);
    }
}

/* flags, the caller's scheme list, and what a reason never holds */
static void test_flags(void)
{
    static const char *const redis[] = { "redis", NULL };
    struct url u;
    char err[200], b[64];

    CHECK(url_split(&u, "redis://:pa#ss@h?stream=a#b", redis,
                    URL_HASH_IS_DATA, err, sizeof err) == 0);
    CHECK_STR(part(u.userinfo, b, sizeof b), ":pa#ss");
    CHECK_STR(part(u.query, b, sizeof b), "stream=a#b");
    CHECK(u.fragment.p == NULL);
    /* without the flag the '#' starts the fragment, and the '@' after it
    ** is no longer in the authority */
    CHECK(url_split(&u, "redis://:pa#ss@h", redis, 0, err,
                    sizeof err) < 0);
    CHECK(url_split(&u, "http://h/", redis, 0, err, sizeof err) < 0);
    CHECK_STR(err, "not a redis:// URL");
    CHECK(u.scheme[0] == '\0');
    CHECK(url_split(&u, "http://u:hunter2@h/", any, URL_NO_USERINFO, err,
                    sizeof err) < 0);
    CHECK(strstr(err, "not supported") && !strstr(err, "hunter2"));
    CHECK(u.userinfo.p != NULL);
    CHECK(url_split(&u, "http://u:hunter2@h:0/", any, 0, err,
                    sizeof err) < 0);
    CHECK(!strstr(err, "hunter2"));
}

/* the bounds: host and whole text, one byte either side */
static void test_lengths(void)
{
    char *text = malloc(URL_TEXT_MAX + 2), err[200];
    struct url u;
    size_t n;

    if (!CHECK(text != NULL))
        return;
    n = (size_t)snprintf(text, URL_TEXT_MAX + 2, "http://");
    memset(text + n, 'a', URL_HOST_MAX);
    strcpy(text + n + URL_HOST_MAX, "/");
    CHECK(url_split(&u, text, any, 0, err, sizeof err) == 0);
    CHECK(u.host.len == URL_HOST_MAX);
    memset(text + n, 'a', URL_HOST_MAX + 1);
    strcpy(text + n + URL_HOST_MAX + 1, "/");
    CHECK(url_split(&u, text, any, 0, err, sizeof err) < 0);
    CHECK(strstr(err, "host longer than 255 bytes") != NULL);

    strcpy(text, "http://h/");
    n = strlen(text);
    memset(text + n, 'p', URL_TEXT_MAX - n);
    text[URL_TEXT_MAX] = '\0';
    CHECK(url_split(&u, text, any, 0, err, sizeof err) == 0);
    CHECK(u.path.len == URL_TEXT_MAX - n + 1);
    text[URL_TEXT_MAX] = 'p';
    text[URL_TEXT_MAX + 1] = '\0';
    CHECK(url_split(&u, text, any, 0, err, sizeof err) < 0);
    CHECK(strstr(err, "URL longer than 4096 bytes") != NULL);
    free(text);
}

static void test_decode_copy_target(void)
{
    char out[8], *t;
    struct url u;
    char err[200];
    struct url_part p;

    p = (struct url_part){ "a%20b%3A", 8 };
    CHECK(url_decode(p, out, sizeof out) == 0);
    CHECK_STR(out, "a b:");
    p = (struct url_part){ "%4", 2 };
    CHECK(url_decode(p, out, sizeof out) < 0 && out[0] == '\0');
    p = (struct url_part){ "%zz", 3 };
    CHECK(url_decode(p, out, sizeof out) < 0);
    p = (struct url_part){ "a%00", 4 };
    CHECK(url_decode(p, out, sizeof out) < 0);
    p = (struct url_part){ "1234567", 7 };      /* 7 bytes and the NUL fit */
    CHECK(url_decode(p, out, sizeof out) == 0);
    CHECK(url_copy(p, out, sizeof out) == 0);
    CHECK_STR(out, "1234567");
    p = (struct url_part){ "12345678", 8 };
    CHECK(url_decode(p, out, sizeof out) < 0);
    CHECK(url_copy(p, out, sizeof out) < 0 && out[0] == '\0');

    CHECK(url_split(&u, "http://h?q#f", any, 0, err, sizeof err) == 0);
    t = url_request_target(&u);
    CHECK(t && !strcmp(t, "/?q"));
    free(t);
    CHECK(url_split(&u, "http://h/p?q#f", any, 0, err, sizeof err) == 0);
    t = url_request_target(&u);
    CHECK(t && !strcmp(t, "/p?q"));
    free(t);
    CHECK(url_split(&u, "http://h#f", any, 0, err, sizeof err) == 0);
    t = url_request_target(&u);
    CHECK(t && !strcmp(t, "/"));
    free(t);
}

int main(void)
{
    test_good();
    test_bad();
    test_flags();
    test_lengths();
    test_decode_copy_target();
    return check_done();
}
