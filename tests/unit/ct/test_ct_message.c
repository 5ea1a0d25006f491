/*
** test_ct_message.c: entries of both APIs -> messages, with the metadata
** certstream-server-go gives the same entries (cert_link, source.url,
** source.type), chains from extra_data or resolved issuers, and the
** precertificate as leaf_cert for both APIs.
*/
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "check.h"
#include "ct/ct_message.h"
#include "json_parse.h"
#include "test_ct_util.h"

static struct json_value *build(const struct ct_entry *e, uint64_t index,
                                const struct ct_message_log *log,
                                const struct ct_bytes *chain, size_t n,
                                int full)
{
    struct json_buf b;
    struct json_value *v = NULL;
    char err[256];

    jb_init(&b);
    if (ct_message_build(e, index, log, chain, n, 1700000000000, full, &b,
                         err, sizeof err) != X509_MSG_ERROR)
        v = json_parse(b.data, b.len, NULL, 0);
    else
        printf("#   %s\n", err);
    jb_free(&b);
    return v;
}

static const char *str_at(const struct json_value *m, const char *a,
                          const char *b)
{
    const struct json_value *d = json_get(m, "data");
    return json_str(b ? json_get(json_get(d, a), b) : json_get(d, a), NULL);
}

/* RFC 6962: cert_link and source.url exactly as certstream-server-go
** printed them for the same entries and log URL. */
static void test_rfc6962(void)
{
    static const char *files[][2] = {
        { "rfc6962/ctgo-scanner-FourEntries.get-entries.json",
          "expected/certstream-server-go/ctgo-scanner-FourEntries.jsonl" },
        { "rfc6962/ctgo-logclient-TestGetEntries.get-entries.json",
          "expected/certstream-server-go/ctgo-logclient-TestGetEntries.jsonl" },
        { "rfc6962/calidog-certstream-server-standard_entry.get-entries.json",
          "expected/certstream-server-go/calidog-standard_entry.jsonl" },
    };
    size_t f, total = 0, agree = 0;

    for (f = 0; f < 3; f++) {
        size_t len = 0, elen = 0, i = 0;
        char *body = ct_fixture(files[f][0], &len);
        char *exp = ct_fixture(files[f][1], &elen);
        char *line, *save = NULL, err[256], url[512];
        struct ct_entry_list l;

        if (!CHECK(body && exp && ct_entries_parse_json(body, len, &l, err, sizeof err) == 0))
            continue;
        for (line = strtok_r(exp, "\n", &save); line && i < l.n;
             line = strtok_r(NULL, "\n", &save), i++) {
            struct json_value *go = json_parse(line, strlen(line), NULL, 0);
            struct ct_message_log log;
            struct json_value *m;
            uint64_t idx = 0;

            json_uint(json_get(json_get(go, "data"), "cert_index"), &idx);
            /* the URL as a log list has it, with the trailing '/' */
            snprintf(url, sizeof url, "%s/", str_at(go, "source", "url"));
            log = (struct ct_message_log){ str_at(go, "source", "name"), url,
                                           CT_API_RFC6962 };
            m = build(&l.entries[i], idx, &log, NULL, 0, 1);
            total++;
            if (m && !strcmp(str_at(m, "cert_link", NULL), str_at(go, "cert_link", NULL)) &&
                !strcmp(str_at(m, "source", "url"), str_at(go, "source", "url")) &&
                !strcmp(str_at(m, "source", "type"), "rfc6962") &&
                !strcmp(str_at(m, "update_type", NULL), str_at(go, "update_type", NULL)) &&
                json_count(json_get(json_get(m, "data"), "chain")) ==
                    json_count(json_get(json_get(go, "data"), "chain")) &&
                !strcmp(json_str(json_get(json_get(json_get(m, "data"), "leaf_cert"), "as_der"), NULL),
                        json_str(json_get(json_get(json_get(go, "data"), "leaf_cert"), "as_der"), NULL)))
                agree++;
            json_free(m);
            json_free(go);
        }
        CHECK(i == l.n);
        ct_entry_list_free(&l);
        free(body);
        free(exp);
    }
    CHECK(total == 7 && agree == 7);
}

/* Static CT: the precertificate from the tile is the leaf_cert (hashes
** over its DER), cert_link is empty, and the chain is what the caller
** resolved. */
static void test_tiled(void)
{
    size_t len = 0, clen = 0;
    char *data = ct_fixture("static-ct/navigli2025h2/tile/data/000", &len);
    char *calidog = ct_fixture("rfc6962/calidog-certstream-server-standard_entry.get-entries.json", &clen);
    struct ct_tile t;
    struct ct_entry_list l;
    struct ct_message_log log = { "navigli2025h2 (test)",
                                  "https://navigli2025h2.skylight.geomys.org/",
                                  CT_API_STATIC };
    struct json_value *m;
    uint8_t d[32];
    unsigned dl, k;
    char fp[100];

    if (!CHECK(data && calidog &&
               ct_tile_parse((uint8_t *)data, len, 0, 256, &t, NULL, 0) == 0 &&
               ct_entries_parse_json(calidog, clen, &l, NULL, 0) == 0))
        goto out;
    m = build(&t.entries[5], 5, &log, NULL, 0, 0);
    CHECK_STR(str_at(m, "cert_link", NULL), "");
    CHECK_STR(str_at(m, "source", "url"), "https://navigli2025h2.skylight.geomys.org");
    CHECK_STR(str_at(m, "source", "type"), "tiled");
    CHECK_STR(str_at(m, "update_type", NULL), "PrecertLogEntry");
    EVP_Digest(t.entries[5].cert.p, t.entries[5].cert.len, d, &dl, EVP_sha256(), NULL);
    for (k = 0; k < dl; k++)
        sprintf(fp + 3 * k, "%02X%s", d[k], k + 1 < dl ? ":" : "");
    CHECK_STR(json_str(json_get(json_get(json_get(m, "data"), "leaf_cert"), "sha256"), NULL), fp);
    CHECK(json_get(json_get(m, "data"), "chain") == NULL);   /* lite */
    json_free(m);
    /* full, with two resolved issuer certificates */
    m = build(&t.entries[5], 5, &log, l.entries[0].chain, 2, 1);
    CHECK(json_count(json_get(json_get(m, "data"), "chain")) == 2);
    json_free(m);
    /* an RFC 6962 entry ignores a chain passed in: it has its own */
    log.api = CT_API_RFC6962;
    m = build(&l.entries[0], 0, &log, NULL, 0, 1);
    CHECK(json_count(json_get(json_get(m, "data"), "chain")) == 2);
    CHECK_STR(str_at(m, "cert_link", NULL),
              "https://navigli2025h2.skylight.geomys.org/ct/v1/get-entries?start=0&end=0");
    json_free(m);
    ct_entry_list_free(&l);
    ct_tile_free(&t);
out:
    free(data);
    free(calidog);
}

int main(void)
{
    test_rfc6962();
    test_tiled();
    return check_done();
}
