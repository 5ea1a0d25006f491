/*
** test_ct_loglist_fetch.c: the shipped log list, its signature and key
** (the real ones, as Google published them), and what the signature
** check refuses; a GET on a kept client that a flag cancels (what lets
** the refresh thread stop while a list server says nothing). The fetch
** itself runs against a local HTTP server in
** tests/integration/loglist_fetch.sh and loglist_refresh.sh.
*/
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ct/ct_loglist.h"
#include "ct/ct_loglist_fetch.h"

static atomic_int cancel_flag;

static void *cancel_soon(void *arg)
{
    struct timespec ts = { 0, 200 * 1000 * 1000 };

    (void)arg;
    nanosleep(&ts, NULL);
    atomic_store(&cancel_flag, 1);
    return NULL;
}

/* A server that takes the connection and never answers: a GET on a kept
** client with an hour's timeout ends when the flag is set, and the
** client can be used again (and freed) afterwards. */
static void test_cancel(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t alen = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct ct_http_client *c = ct_http_client_new(NULL);
    char url[64], err[256], *body = NULL;
    size_t len = 0;
    int status = 0;
    pthread_t t;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!CHECK(c && fd >= 0 && bind(fd, (struct sockaddr *)&a, alen) == 0 &&
               listen(fd, 4) == 0 &&
               getsockname(fd, (struct sockaddr *)&a, &alen) == 0))
        goto done;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/log_list.json",
             ntohs(a.sin_port));
    atomic_store(&cancel_flag, 0);
    if (!CHECK(pthread_create(&t, NULL, cancel_soon, NULL) == 0))
        goto done;
    CHECK(ct_http_get_cancel(c, url, NULL, 0, 3600 * 1000, 1 << 20,
                             &cancel_flag, &body, &len, &status, err,
                             sizeof err) < 0);
    pthread_join(t, NULL);
    CHECK(strstr(err, "cancelled") != NULL);
    CHECK(body == NULL);
    /* again on the same client: the flag still set, at once */
    CHECK(ct_http_get_cancel(c, url, NULL, 0, 3600 * 1000, 1 << 20,
                             &cancel_flag, &body, &len, &status, err,
                             sizeof err) < 0);
    CHECK(strstr(err, "cancelled") != NULL);
done:
    ct_http_client_free(c);
    if (fd >= 0)
        close(fd);
}

/* ct_http_get refuses a bad URL before connecting. Regression, since the
** one URL splitter (core/url.c): the URL was copied into a 2 KiB buffer
** as ws://..., so what lay past 2 KiB was cut off unseen; here a control
** byte there is refused, not dropped. */
static void test_get_url(void)
{
    char err[256], *body = NULL, *url = malloc(2200);
    size_t len = 0;
    int status = 0;

    CHECK(ct_http_get("ftp://h/", NULL, 0, 1000, 100, &body, &len, &status,
                      err, sizeof err) < 0);
    CHECK(strstr(err, "not an http:// or https:// URL") != NULL);
    CHECK(ct_http_get("http://h:0/", NULL, 0, 1000, 100, &body, &len,
                      &status, err, sizeof err) < 0);
    CHECK(strstr(err, "bad port") != NULL);
    if (!CHECK(url != NULL))
        return;
    strcpy(url, "http://127.0.0.1:1/");
    memset(url + strlen(url), 'p', 2100);
    strcpy(url + 2100, "\x01");
    CHECK(ct_http_get(url, NULL, 0, 1000, 100, &body, &len, &status, err,
                      sizeof err) < 0);
    CHECK(strstr(err, "control byte at offset 2100") != NULL);
    CHECK(body == NULL);
    free(url);
}

int main(void)
{
    const char *list_path = "scripts/ct/log_list.json";
    const char *key = "scripts/ct/log_list_pubkey.pem";
    char err[256];
    size_t list_len = 0, sig_len = 0;
    char *list = check_slurp(list_path, &list_len);
    char *sig = check_slurp("scripts/ct/log_list.sig", &sig_len);
    struct ct_loglist l;
    struct ct_log *logs;
    size_t expired = 0;
    long n;
    int64_t when;

    if (!CHECK(list && sig))
        return check_done();
    CHECK(ct_loglist_verify(list, list_len, (unsigned char *)sig, sig_len,
                            key, err, sizeof err) == 0);
    /* one byte changed in the list, or in the signature: refused */
    list[100] ^= 1;
    CHECK(ct_loglist_verify(list, list_len, (unsigned char *)sig, sig_len,
                            key, err, sizeof err) < 0);
    CHECK(strstr(err, "does not verify") != NULL);
    list[100] ^= 1;
    sig[10] ^= 1;
    CHECK(ct_loglist_verify(list, list_len, (unsigned char *)sig, sig_len,
                            key, err, sizeof err) < 0);
    sig[10] ^= 1;
    CHECK(ct_loglist_verify(list, list_len, (unsigned char *)sig, 100,
                            key, err, sizeof err) < 0);
    CHECK(ct_loglist_verify(list, list_len, (unsigned char *)sig, sig_len,
                            "no/such/key.pem", err, sizeof err) < 0);
    CHECK(ct_loglist_verify(list, list_len, (unsigned char *)sig, sig_len,
                            list_path, err, sizeof err) < 0);
    CHECK(strstr(err, "not a PEM public key") != NULL);

    /* the shipped snapshot is current: on 2026-12-02 it names logs for
    ** certificates expiring in the next six months */
    if (!CHECK(ct_loglist_load(list_path, &l, err, sizeof err) == 0)) {
        printf("#   %s\n", err);
        goto done;
    }
    CHECK_STR(l.version, "89.25");
    CHECK(ct_parse_time("2026-12-02T00:00:00Z", &when) == 0);
    logs = calloc(l.n ? l.n : 1, sizeof(*logs));
    n = logs ? ct_loglist_choose(&l, when, 1, logs, &expired) : -1;
    CHECK(n > 10);
    if (n > 0)
        CHECK(ct_logs_uncovered(logs, (size_t)n, when,
                                when + 180 * 86400LL) < 0);
    for (long i = 0; i < n; i++)
        ct_log_free(&logs[i]);
    free(logs);
    ct_loglist_free(&l);
done:
    free(list);
    free(sig);
    test_cancel();
    test_get_url();
    return check_done();
}
