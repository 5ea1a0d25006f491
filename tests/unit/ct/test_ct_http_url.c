/*
** test_ct_http_url.c: ct_http_split_url (core/ct/ct_http.c), a CT log's
** normalised URL cut into host, port, TLS and base path by the one URL
** splitter (core/url.c).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ct/ct_source_int.h"

/* Splits url; 0 or -1 with the reason in err. */
static int split(struct log_run *lr, const char *url, char *err,
                 size_t errlen)
{
    memset(lr, 0, sizeof *lr);
    lr->url = (char *)url;
    return ct_http_split_url(lr, err, errlen);
}

static int refused(const char *url, const char *why)
{
    struct log_run lr;
    char err[512] = "";

    if (split(&lr, url, err, sizeof err) == 0) {
        printf("#   %s was accepted\n", url);
        return 0;
    }
    if (!strstr(err, why)) {
        printf("#   %s: '%s' lacks '%s'\n", url, err, why);
        return 0;
    }
    return 1;
}

int main(void)
{
    struct log_run lr;
    char err[512], *long_url;
    size_t n;

    CHECK(split(&lr, "https://ct.googleapis.com/logs/us1/argon2026h2/", err,
                sizeof err) == 0);
    CHECK_STR(lr.host, "ct.googleapis.com");
    CHECK(lr.port == 443 && lr.tls == 1);
    CHECK_STR(lr.base_path, "/logs/us1/argon2026h2/");
    CHECK_STR(lr.host_header, "ct.googleapis.com");
    CHECK(split(&lr, "http://127.0.0.1:8123/", err, sizeof err) == 0);
    CHECK_STR(lr.host, "127.0.0.1");
    /* regression: a log on another port was asked with "Host: 127.0.0.1" */
    CHECK_STR(lr.host_header, "127.0.0.1:8123");
    CHECK(lr.port == 8123 && lr.tls == 0);
    CHECK_STR(lr.base_path, "/");

    CHECK(refused("http://:80/", "no host"));
    CHECK(refused("http://h:0/", "bad port"));
    CHECK(refused("http://[::1]:80/", "unsupported host"));
    /* regressions, since the one splitter: strtol read "443x" as 443,
    ** "u@h" was taken for the host, and a path over 1023 bytes was cut
    ** short without a word */
    CHECK(refused("https://h:443x/", "bad port '443x'"));
    CHECK(refused("https://u@h/", "not supported"));
    long_url = malloc(2048);
    if (CHECK(long_url != NULL)) {
        n = (size_t)snprintf(long_url, 2048, "https://h/");
        memset(long_url + n, 'p', 1100);
        strcpy(long_url + n + 1100, "/");
        CHECK(refused(long_url, "path over 1023 bytes"));
        free(long_url);
    }
    return check_done();
}
