/*
** test_ct_fakelog.c: the CT parsing layers against fake_ctlog over real
** HTTP on 127.0.0.1: what the fake log serves through either API parses,
** verifies with the key its log list names, and converts to messages
** (for the tiled log, with the chain resolved through issuer/); and each
** fault looks the way the fetchers will have to handle it.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ct/ct_base64.h"
#include "ct/ct_entry.h"
#include "ct/ct_loglist.h"
#include "ct/ct_sth.h"
#include "ct/ct_tiles.h"
#include "json_parse.h"
#include "test_ct_util.h"
#include "ct/x509_message.h"

static char tmpdir[256];

struct reply {
    int status;
    char headers[4096];
    char *body;
    size_t len;
};

/* A blocking HTTP/1.0 GET to 127.0.0.1:port (the server closes after the
** answer, so the body is what comes until EOF). timeout_ms bounds the
** whole exchange; returns -1 on timeout or a socket error. */
static int http_get(int port, const char *path, struct reply *r, int timeout_ms)
{
    struct sockaddr_in a = { 0 };
    char req[1024], *raw = NULL, *sep;
    size_t len = 0, cap = 0;
    int fd, n;

    memset(r, 0, sizeof *r);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        goto fail;
    n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                 "Accept-Encoding: gzip, identity\r\n\r\n", path);
    if (write(fd, req, (size_t)n) != n)
        goto fail;
    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        ssize_t got;
        if (poll(&p, 1, timeout_ms) <= 0)
            goto fail;
        if (len + 65536 > cap) {
            cap = (cap + 65536) * 2;
            raw = realloc(raw, cap + 1);
        }
        got = read(fd, raw + len, cap - len);
        if (got < 0)
            goto fail;
        if (got == 0)
            break;
        len += (size_t)got;
    }
    close(fd);
    if (!raw)
        return -1;
    raw[len] = 0;
    sep = strstr(raw, "\r\n\r\n");
    if (!sep || sscanf(raw, "HTTP/1.%*d %d", &r->status) != 1) {
        free(raw);
        return -1;
    }
    snprintf(r->headers, sizeof r->headers, "%.*s", (int)(sep - raw), raw);
    r->len = len - (size_t)(sep + 4 - raw);
    r->body = malloc(r->len + 1);
    memcpy(r->body, sep + 4, r->len);
    r->body[r->len] = 0;
    free(raw);
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    free(raw);
    return -1;
}

/* Starts fake_ctlog with extra arguments (and the log list it writes,
** when loglist is set); returns its pid, *port. */
static pid_t start_log(const char *const *extra, int *port, const char *loglist)
{
    const char *opts[] = { "--loglist", loglist, NULL };

    return ct_start_fake_log(tmpdir, loglist ? opts : NULL, extra, port);
}

static void stop_log(pid_t pid)
{
    int status = ct_stop_fake_log(pid);

    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static const struct ct_log *find(const struct ct_loglist *l, const char *desc)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->logs[i].description, desc))
            return &l->logs[i];
    return NULL;
}

static long key_of(const struct ct_log *log, uint8_t *key, uint8_t id[32])
{
    ct_b64_decode(log->log_id, strlen(log->log_id), id);
    return ct_b64_decode(log->key, strlen(log->key), key);
}

/* Both APIs serve the same 7 entries; everything verifies and converts. */
static void test_both_apis(void)
{
    char llpath[512], err[256], path[256], origin[128];
    struct ct_loglist ll;
    const struct ct_log *rfc, *tiled;
    struct reply r;
    struct ct_sth sth, cp;
    struct ct_entry_list el;
    struct ct_tile t;
    uint8_t key[256], id[40];
    long kl;
    int port;
    pid_t pid;

    snprintf(llpath, sizeof llpath, "%s/loglist.json", tmpdir);
    pid = start_log(NULL, &port, llpath);
    if (!CHECK(pid > 0))
        return;
    CHECK(ct_loglist_load(llpath, &ll, err, sizeof err) == 0);
    rfc = find(&ll, "fake rfc6962 log");
    tiled = find(&ll, "fake tiled log");
    CHECK(rfc && tiled && ct_log_selected(rfc) && tiled->api == CT_API_STATIC);
    if (!rfc || !tiled)
        goto out;
    kl = key_of(rfc, key, id);

    /* RFC 6962: tree head verifies, entries parse, one message each */
    CHECK(http_get(port, "/rfc/ct/v1/get-sth", &r, 30000) == 0 && r.status == 200);
    CHECK(ct_sth_parse_json(r.body, r.len, &sth, err, sizeof err) == 0);
    CHECK(sth.tree_size == 7);
    CHECK(ct_sth_verify(&sth, key, (size_t)kl, err, sizeof err) == 0);
    free(r.body);
    CHECK(http_get(port, "/rfc/ct/v1/get-entries?start=0&end=6", &r, 30000) == 0);
    CHECK(ct_entries_parse_json(r.body, r.len, &el, err, sizeof err) == 0 && el.n == 7);
    free(r.body);

    /* static CT: the checkpoint (a different root: its leaves carry the
    ** leaf_index extension) verifies; the partial tile parses with the
    ** leaf_index check */
    CHECK(http_get(port, "/tiled/checkpoint", &r, 30000) == 0 && r.status == 200);
    snprintf(origin, sizeof origin, "127.0.0.1:%d/tiled", port);
    CHECK(ct_checkpoint_parse(r.body, r.len, origin, id, &cp, NULL, 0, err, sizeof err) == 0);
    CHECK(cp.tree_size == 7 && memcmp(cp.root_hash, sth.root_hash, 32) != 0);
    CHECK(ct_sth_verify(&cp, key, (size_t)kl, err, sizeof err) == 0);
    free(r.body);
    CHECK(ct_tile_width(0, cp.tree_size) == 7);
    CHECK(ct_tile_path(path, sizeof path, CT_TILE_DATA, 0, 7) == 0);
    {
        char url[300];
        snprintf(url, sizeof url, "/tiled/%s", path);
        CHECK(http_get(port, url, &r, 30000) == 0 && r.status == 200);
    }
    CHECK(ct_tile_parse((uint8_t *)r.body, r.len, 0, 7, &t, err, sizeof err) == 0);
    free(r.body);
    /* the full tile does not exist yet */
    CHECK(http_get(port, "/tiled/tile/data/000", &r, 30000) == 0 && r.status == 404);
    free(r.body);

    /* each tiled entry = the RFC 6962 entry, and its chain resolves */
    if (t.n == 7 && el.n == 7) {
        int same = 0, chains = 0;
        for (size_t i = 0; i < 7; i++) {
            const struct ct_entry *a = &el.entries[i], *b = &t.entries[i];
            struct ct_bytes chain[4];
            uint8_t *ders[4] = { 0 };
            size_t k, n = b->n_chain_fps < 4 ? b->n_chain_fps : 4;
            int ok = 1;
            uint8_t h1[32], h2[32];

            ct_entry_leaf_hash(a, h1);
            ct_entry_leaf_hash(b, h2);
            /* the leaf hashes differ only by the leaf_index extension */
            if (a->type == b->type && a->cert.len == b->cert.len &&
                memcmp(a->cert.p, b->cert.p, a->cert.len) == 0 &&
                a->timestamp_ms == b->timestamp_ms && memcmp(h1, h2, 32) != 0)
                same++;
            for (k = 0; k < n; k++) {
                char hex[65], url[200];
                struct reply ir;
                ct_fp_hex(b->chain_fps + 32 * k, hex);
                snprintf(url, sizeof url, "/tiled/issuer/%s", hex);
                if (http_get(port, url, &ir, 30000) < 0 || ir.status != 200 ||
                    ct_issuer_store(tmpdir, b->chain_fps + 32 * k,
                                    (uint8_t *)ir.body, ir.len, NULL, 0) < 0) {
                    ok = 0;
                } else {
                    size_t dl;
                    ok = ok && ct_issuer_load(tmpdir, b->chain_fps + 32 * k,
                                              &ders[k], &dl, NULL, 0) == 1;
                    chain[k] = (struct ct_bytes){ ders[k], dl };
                }
                free(ir.body);
            }
            if (ok && n == a->n_chain) {
                struct x509_msg_input in = {
                    .der = b->cert.p, .der_len = b->cert.len,
                    .is_precert = b->type == CT_ENTRY_PRECERT,
                    .chain = chain, .n_chain = n, .cert_index = i,
                    .cert_link = "", .timestamp_ms = (int64_t)b->timestamp_ms,
                    .source_name = "fake tiled log", .source_url = "u",
                    .source_type = "tiled", .full = 1,
                };
                struct json_buf jb;
                struct json_value *m;
                jb_init(&jb);
                if (x509_message_build(&in, &jb, NULL, 0) == X509_MSG_OK &&
                    (m = json_parse(jb.data, jb.len, NULL, 0))) {
                    if (json_count(json_get(json_get(m, "data"), "chain")) == a->n_chain)
                        chains++;
                    json_free(m);
                }
                jb_free(&jb);
            }
            for (k = 0; k < n; k++)
                free(ders[k]);
        }
        CHECK(same == 7);
        CHECK(chains == 7);     /* chains present for tiled logs */
    }
    ct_tile_free(&t);
    ct_entry_list_free(&el);

    /* the real navigli tiles, under a checkpoint of 256 */
    CHECK(http_get(port, "/navigli/checkpoint", &r, 30000) == 0);
    CHECK(ct_checkpoint_parse(r.body, r.len, NULL, id, &cp, NULL, 0, err, sizeof err) == 0
          && cp.tree_size == 256);
    CHECK(ct_sth_verify(&cp, key, (size_t)kl, err, sizeof err) == 0);
    free(r.body);
    CHECK(http_get(port, "/navigli/tile/data/000", &r, 30000) == 0 && r.status == 200);
    CHECK(ct_tile_parse((uint8_t *)r.body, r.len, 0, 256, &t, err, sizeof err) == 0);
    ct_tile_free(&t);
    free(r.body);
out:
    ct_loglist_free(&ll);
    stop_log(pid);
}

static void test_faults(void)
{
    static const char *const args[] = {
        "--batch-cap", "3", "--fail-429", "5:7", "--fail-html", "7",
        "--old-sth", "4", "--repeat", "2", "--gzip", NULL,
    };
    struct reply r;
    struct ct_entry_list el;
    struct ct_sth sth;
    char err[256];
    int port, i, n429 = 0, nhtml = 0, nold = 0, nshort = 0, ngz = 0;
    pid_t pid = start_log(args, &port, NULL);

    if (!CHECK(pid > 0))
        return;
    for (i = 1; i <= 40; i++) {
        const char *path = i % 3 == 0 ? "/rfc/ct/v1/get-sth"
                         : i % 3 == 1 ? "/rfc/ct/v1/get-entries?start=1&end=13"
                                      : "/tiled/tile/data/000.p/14";
        if (http_get(port, path, &r, 30000) < 0) {
            CHECK(0);
            continue;
        }
        if (i % 5 == 0) {
            /* 429 with Retry-After */
            if (r.status == 429 && strcasestr(r.headers, "retry-after: 7"))
                n429++;
        } else if (i % 7 == 0) {
            /* an HTML error page: not JSON, a retryable error */
            if (r.status == 500 && strstr(r.body, "<html>") &&
                ct_entries_parse_json(r.body, r.len, &el, err, sizeof err) < 0)
                nhtml++;
        } else if (i % 3 == 0) {
            if (ct_sth_parse_json(r.body, r.len, &sth, err, sizeof err) == 0 &&
                sth.tree_size == (i % 4 == 0 ? 7u : 14u))
                nold += i % 4 == 0;
        } else if (i % 3 == 1) {
            /* short answer: 3 entries from 1, whatever was asked */
            if (ct_entries_parse_json(r.body, r.len, &el, err, sizeof err) == 0) {
                nshort += el.n == 3;
                ct_entry_list_free(&el);
            }
        } else {
            uint8_t *out;
            size_t olen;
            struct ct_tile t;
            if (r.status == 200 && strcasestr(r.headers, "content-encoding: gzip") &&
                ct_is_gzip((uint8_t *)r.body, r.len) &&
                ct_gunzip((uint8_t *)r.body, r.len, 1 << 20, &out, &olen, err, sizeof err) == 0) {
                if (ct_tile_parse(out, olen, 0, 14, &t, err, sizeof err) == 0) {
                    ngz++;
                    ct_tile_free(&t);
                }
                free(out);
            }
        }
        free(r.body);
    }
    /* requests 1..40: every 5th is a 429, every 7th (not 35) an HTML
    ** 500, every 4th tree head (12, 24, 36) an old one of half the size;
    ** the other get-entries (9) are short, the other tiles (9) gzipped */
    CHECK(n429 == 8);
    CHECK(nhtml == 4);
    CHECK(nold == 3);
    CHECK(nshort == 9);
    CHECK(ngz == 9);
    stop_log(pid);
}

/* A growing log and a stalled request. */
static void test_growth_and_stall(void)
{
    static const char *const args[] = { "--initial", "2", "--grow", "2",
                                        "--stall", "4", NULL };
    struct reply r;
    struct ct_sth sth;
    char err[256];
    int port;
    uint64_t sizes[3] = { 0, 0, 0 };
    pid_t pid = start_log(args, &port, NULL);

    if (!CHECK(pid > 0))
        return;
    for (int i = 0; i < 3; i++) {
        if (http_get(port, "/rfc/ct/v1/get-sth", &r, 30000) == 0 &&
            ct_sth_parse_json(r.body, r.len, &sth, err, sizeof err) == 0)
            sizes[i] = sth.tree_size;
        free(r.body);
    }
    CHECK(sizes[0] == 2 && sizes[1] == 4 && sizes[2] == 6);
    /* request 4 stalls: nothing comes back (given up after a second) */
    CHECK(http_get(port, "/rfc/ct/v1/get-entries?start=0&end=0", &r, 1000) < 0);
    /* entries beyond the visible tree are refused */
    CHECK(http_get(port, "/rfc/ct/v1/get-entries?start=6&end=6", &r, 30000) == 0 &&
          r.status == 400);
    free(r.body);
    stop_log(pid);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");

    signal(SIGPIPE, SIG_IGN);
    snprintf(tmpdir, sizeof tmpdir, "%s/test_ct_fakelog.XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpdir)) {
        printf("not ok - mkdtemp\n");
        return 1;
    }
    test_both_apis();
    test_faults();
    test_growth_and_stall();
    {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            printf("# could not remove %s\n", tmpdir);
    }
    return check_done();
}
