/*
** convert_bench: the CT converter alone, for make bench. Converts real
** log entries (a static-ct data tile and RFC 6962 get-entries bodies)
** to CertStream messages over and over on one thread for a while and
** reports the CPU time per entry: the converter's own cost, with no
** fetching, queueing or Lua.
**
** Usage: convert_bench [--mode lite|full|d2i] [--seconds S] TILE [GET-ENTRIES...]
**   lite   x509_message_build, as certmon --ct does
**   full   the same with chains and as_der (--full)
**   d2i    the baseline: the OpenSSL reader's parse (d2i_X509 in the
**          converter's key-less library context) and X509_free of each
**          leaf alone, the floor of a converter built on OpenSSL objects
** Prints: "convert_bench: mode=M entries=N secs=S entries_per_s=R
**          cpu_us_per_entry=C"
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "ct/ct_entry.h"
#include "ct/x509_message.h"
#include "ct/x509_ossl.h"
#include "bench_clock.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
        fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
        *len = (size_t)n;
    } else {
        perror(path);
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    const char *mode = "lite", *paths[16];
    double seconds = 1.0, t0, c0, t;
    struct ct_tile tile;
    struct ct_entry_list lists[15];
    const struct ct_entry *all[4096];
    size_t n_paths = 0, n_lists = 0, n = 0, i, len;
    unsigned long long done = 0;
    struct json_buf out;
    char err[256], *body;
    int full, d2i;

    for (int a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--mode") && a + 1 < argc)
            mode = argv[++a];
        else if (!strcmp(argv[a], "--seconds") && a + 1 < argc)
            seconds = atof(argv[++a]);
        else if (n_paths < 16)
            paths[n_paths++] = argv[a];
    }
    full = !strcmp(mode, "full");
    d2i = !strcmp(mode, "d2i");
    if (n_paths == 0 || (!full && !d2i && strcmp(mode, "lite"))) {
        fprintf(stderr, "usage: convert_bench [--mode lite|full|d2i] "
                "[--seconds S] TILE [GET-ENTRIES...]\n");
        return 2;
    }
    if (!(body = slurp(paths[0], &len)) ||
        ct_tile_parse((uint8_t *)body, len, 0, 256, &tile, err,
                      sizeof err) < 0) {
        fprintf(stderr, "convert_bench: %s: %s\n", paths[0],
                body ? err : "unreadable");
        return 2;
    }
    free(body);
    for (i = 0; i < tile.n && n < 4096; i++)
        all[n++] = &tile.entries[i];
    for (size_t p = 1; p < n_paths; p++) {
        if (!(body = slurp(paths[p], &len)) ||
            ct_entries_parse_json(body, len, &lists[n_lists], err,
                                  sizeof err) < 0) {
            fprintf(stderr, "convert_bench: %s: %s\n", paths[p],
                    body ? err : "unreadable");
            return 2;
        }
        free(body);
        for (i = 0; i < lists[n_lists].n && n < 4096; i++)
            all[n++] = &lists[n_lists].entries[i];
        n_lists++;
    }
    jb_init(&out);
    t0 = bench_now_s();
    c0 = bench_cpu_s();
    do {
        for (int k = 0; k < 256; k++) {
            const struct ct_entry *e = all[done++ % n];
            if (d2i) {
                int lenient = 0;
                X509_free(x509_ossl_parse(e->cert.p, e->cert.len, &lenient));
            } else {
                struct x509_msg_input in = {
                    .der = e->cert.p, .der_len = e->cert.len,
                    .is_precert = e->type == CT_ENTRY_PRECERT,
                    .chain = e->chain, .n_chain = e->n_chain,
                    .cert_index = done, .cert_link = "",
                    .seen_ms = 1700000000000, .timestamp_ms =
                    (int64_t)e->timestamp_ms, .source_name = "bench",
                    .source_url = "http://127.0.0.1", .source_type = "tiled",
                    .full = full,
                };
                jb_rewind(&out, 0);
                if (x509_message_build(&in, &out, err, sizeof err) ==
                    X509_MSG_ERROR) {
                    fprintf(stderr, "convert_bench: %s\n", err);
                    return 1;
                }
            }
        }
        t = bench_now_s() - t0;
    } while (t < seconds);
    printf("convert_bench: mode=%s entries=%llu secs=%.3f entries_per_s=%.0f "
           "cpu_us_per_entry=%.3f\n", mode, done, t, done / t,
           (bench_cpu_s() - c0) * 1e6 / (double)done);
    jb_free(&out);
    ct_tile_free(&tile);
    for (i = 0; i < n_lists; i++)
        ct_entry_list_free(&lists[i]);
    return 0;
}
