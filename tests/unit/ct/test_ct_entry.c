/*
** test_ct_entry.c: RFC 6962 entries and static-ct data tiles, on the real
** fixtures in tests/fixtures/ct, plus every truncation and corruption we
** can think of (run under SANITIZE=1 to catch any out-of-bounds read).
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "check.h"
#include "ct/ct_base64.h"
#include "ct/ct_entry.h"
#include "json_parse.h"
#include "test_ct_util.h"

/* Upper-case colon hex of a digest, as CertStream prints fingerprints. */
static void fp_hex(const EVP_MD *md, const uint8_t *p, size_t n, char *out)
{
    uint8_t d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0, i;

    EVP_Digest(p, n, d, &dl, md, NULL);
    for (i = 0; i < dl; i++)
        sprintf(out + 3 * i, "%02X%s", d[i], i + 1 < dl ? ":" : "");
}

static void test_base64(void)
{
    static const char *bad[] = { "A", "AB", "ABC", "A===", "AB=A", "=AAA",
                                 "AB\nC", "AAB=", "AA=A", "AB==AAAA",
                                 "AAAA*AAA", "AAAAAAA\xFF", "AAAA\x80" "AAAAAAA",
                                 "AAA=AAAA", "AAAA=AAA" };
    uint8_t out[16], all[256];
    char enc[400];
    size_t i;
    long n;

    n = ct_b64_decode("AAECAw==", 8, out);
    CHECK(n == 4 && out[0] == 0 && out[3] == 3);
    CHECK(ct_b64_decode("", 0, out) == 0);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(ct_b64_decode(bad[i], strlen(bad[i]), out) == -1);
    for (i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    for (i = 0; i <= 256; i += 1) {     /* every length round-trips */
        uint8_t back[260];
        ct_b64_encode(all, i, enc);
        if (ct_b64_decode(enc, ct_b64_encoded_len(i), back) != (long)i ||
            memcmp(back, all, i) != 0)
            break;
    }
    CHECK(i == 257);
    ct_b64_encode((const uint8_t *)"ab", 2, enc);
    CHECK(memcmp(enc, "YWI=", 4) == 0);
}

/* Loads a get-entries fixture and the lines certstream-server-go produced
** for the same entries; checks the certificate bytes against its hashes. */
static void test_get_entries(const char *name, const char *expected,
                             size_t want_n, const int *want_precert)
{
    char path[256], err[256];
    size_t len, elen, i;
    char *body, *exp;
    struct ct_entry_list l;
    char *line, *save = NULL;

    snprintf(path, sizeof path, "rfc6962/%s", name);
    body = ct_fixture(path, &len);
    snprintf(path, sizeof path, "expected/certstream-server-go/%s", expected);
    exp = ct_fixture(path, &elen);
    if (!CHECK(body && exp))
        goto out;
    if (!CHECK(ct_entries_parse_json(body, len, &l, err, sizeof err) == 0)) {
        printf("#   %s\n", err);
        goto out;
    }
    CHECK(l.n == want_n);
    line = strtok_r(exp, "\n", &save);
    for (i = 0; i < l.n && line; i++, line = strtok_r(NULL, "\n", &save)) {
        const struct ct_entry *e = &l.entries[i];
        struct json_value *m = json_parse(line, strlen(line), NULL, 0);
        const struct json_value *d = json_get(m, "data");
        const struct json_value *chain = json_get(d, "chain");
        char fp[100], want_ts[40];
        size_t k;
        X509 *x;
        const uint8_t *p = e->cert.p;

        CHECK((e->type == CT_ENTRY_PRECERT) == want_precert[i]);
        CHECK(strcmp(json_str(json_get(d, "update_type"), NULL),
                     want_precert[i] ? "PrecertLogEntry" : "X509LogEntry") == 0);
        /* the certificate (or full precertificate) hashes as upstream's */
        fp_hex(EVP_sha1(), e->cert.p, e->cert.len, fp);
        CHECK_STR(fp, json_str(json_get(json_get(d, "leaf_cert"), "sha1"), NULL));
        fp_hex(EVP_sha256(), e->cert.p, e->cert.len, fp);
        CHECK_STR(fp, json_str(json_get(json_get(d, "leaf_cert"), "sha256"), NULL));
        /* leaf timestamp: upstream prints it as seconds */
        snprintf(want_ts, sizeof want_ts, "%.3f",
                 json_get(json_get(d, "source"), "timestamp")->u.num.d);
        snprintf(fp, sizeof fp, "%llu.%03llu",
                 (unsigned long long)(e->timestamp_ms / 1000),
                 (unsigned long long)(e->timestamp_ms % 1000));
        CHECK_STR(fp, want_ts);
        /* same chain, element by element */
        CHECK(e->n_chain == json_count(chain));
        for (k = 0; k < e->n_chain && k < json_count(chain); k++) {
            fp_hex(EVP_sha1(), e->chain[k].p, e->chain[k].len, fp);
            CHECK_STR(fp, json_str(json_get(json_at(chain, k), "sha1"), NULL));
        }
        /* the DER is a certificate OpenSSL reads, consumed exactly */
        x = d2i_X509(NULL, &p, (long)e->cert.len);
        CHECK(x && p == e->cert.p + e->cert.len);
        if (e->type == CT_ENTRY_PRECERT) {
            CHECK(x && X509_get_ext_by_NID(x, NID_ct_precert_poison, -1) >= 0);
            CHECK(e->issuer_key_hash != NULL && e->tbs.len > 0);
            CHECK(e->tbs.len < e->cert.len);
        } else {
            CHECK(e->tbs.len == 0 && e->issuer_key_hash == NULL);
        }
        CHECK(!e->has_leaf_index && e->extensions.len == 0);
        X509_free(x);
        json_free(m);
    }
    CHECK(i == want_n && line == NULL);
    ct_entry_list_free(&l);
    CHECK(l.entries == NULL && l.n == 0);
out:
    free(body);
    free(exp);
}

/* Decodes entry i of a get-entries fixture into exact-size buffers. */
static int load_raw(const char *name, size_t i, uint8_t **leaf,
                    size_t *leaf_len, uint8_t **extra, size_t *extra_len)
{
    size_t len, ll, xl;
    char *body = ct_fixture(name, &len);
    struct json_value *v = body ? json_parse(body, len, NULL, 0) : NULL;
    const struct json_value *it = json_at(json_get(v, "entries"), i);
    const char *l = json_str(json_get(it, "leaf_input"), &ll);
    const char *x = json_str(json_get(it, "extra_data"), &xl);
    uint8_t tmp1[1 << 16], tmp2[1 << 16];
    long n1 = l ? ct_b64_decode(l, ll, tmp1) : -1;
    long n2 = x ? ct_b64_decode(x, xl, tmp2) : -1;

    free(body);
    json_free(v);
    if (n1 < 0 || n2 < 0)
        return -1;
    *leaf = malloc((size_t)n1);
    *extra = malloc((size_t)n2);
    memcpy(*leaf, tmp1, (size_t)n1);
    memcpy(*extra, tmp2, (size_t)n2);
    *leaf_len = (size_t)n1;
    *extra_len = (size_t)n2;
    return 0;
}

/* Every proper prefix of leaf_input and of extra_data is refused, as is
** one extra byte; the exact input parses. Buffers are exact-size copies so
** ASan sees any read past the end. */
static void test_truncations(const char *name, size_t i)
{
    uint8_t *leaf, *extra, *cut;
    size_t ll, xl, n;
    struct ct_entry e;
    char err[128];
    int bad_leaf = 0, bad_extra = 0;

    if (!CHECK(load_raw(name, i, &leaf, &ll, &extra, &xl) == 0))
        return;
    CHECK(ct_entry_parse_rfc6962(leaf, ll, extra, xl, &e, err, sizeof err) == 0);
    CHECK(e.owned == NULL && e.cert.len > 0);
    ct_entry_free(&e);
    for (n = 0; n < ll; n++) {
        cut = malloc(n ? n : 1);
        memcpy(cut, leaf, n);
        if (ct_entry_parse_rfc6962(cut, n, extra, xl, &e, err, sizeof err) == 0)
            bad_leaf++;
        free(cut);
    }
    for (n = 0; n < xl; n++) {
        cut = malloc(n ? n : 1);
        memcpy(cut, extra, n);
        if (ct_entry_parse_rfc6962(leaf, ll, cut, n, &e, err, sizeof err) == 0)
            bad_extra++;
        free(cut);
    }
    CHECK(bad_leaf == 0);
    CHECK(bad_extra == 0);
    cut = malloc(ll + 1);
    memcpy(cut, leaf, ll);
    cut[ll] = 0;
    CHECK(ct_entry_parse_rfc6962(cut, ll + 1, extra, xl, &e, err, sizeof err) < 0);
    CHECK(strstr(err, "trailing") != NULL);
    free(cut);
    /* wrong version, leaf type and entry type */
    leaf[0] = 1;
    CHECK(ct_entry_parse_rfc6962(leaf, ll, extra, xl, &e, err, sizeof err) < 0);
    leaf[0] = 0;
    leaf[1] = 1;
    CHECK(ct_entry_parse_rfc6962(leaf, ll, extra, xl, &e, err, sizeof err) < 0);
    leaf[1] = 0;
    leaf[11] = 7;
    CHECK(ct_entry_parse_rfc6962(leaf, ll, extra, xl, &e, err, sizeof err) < 0);
    CHECK(strstr(err, "unknown entry type 7") != NULL);
    free(leaf);
    free(extra);
}

/* Flipping any byte of the length prefixes never reads out of bounds:
** either it still parses (a shorter chain, say) or it is refused. */
static void test_corruption(void)
{
    uint8_t *leaf, *extra;
    size_t ll, xl, k;
    struct ct_entry e;
    int bit;

    if (!CHECK(load_raw("rfc6962/ctgo-logclient-TestGetEntries.get-entries.json",
                        0, &leaf, &ll, &extra, &xl) == 0))
        return;
    for (k = 0; k < xl && k < 64; k++)
        for (bit = 0; bit < 8; bit++) {
            extra[k] ^= (uint8_t)(1u << bit);
            if (ct_entry_parse_rfc6962(leaf, ll, extra, xl, &e, NULL, 0) == 0)
                ct_entry_free(&e);
            extra[k] ^= (uint8_t)(1u << bit);
        }
    for (k = 0; k < ll && k < 64; k++)
        for (bit = 0; bit < 8; bit++) {
            leaf[k] ^= (uint8_t)(1u << bit);
            if (ct_entry_parse_rfc6962(leaf, ll, extra, xl, &e, NULL, 0) == 0)
                ct_entry_free(&e);
            leaf[k] ^= (uint8_t)(1u << bit);
        }
    CHECK(1);   /* reaching here without a sanitizer report is the test */
    free(leaf);
    free(extra);
}

static void test_bad_json(void)
{
    static const char *bad[] = {
        "", "[]", "{}", "{\"entries\":{}}", "<html>503</html>",
        "{\"entries\":[{\"leaf_input\":\"AAAA\"}]}",
        "{\"entries\":[{\"leaf_input\":\"AA\",\"extra_data\":\"\"}]}",
        "{\"entries\":[{\"leaf_input\":1,\"extra_data\":\"\"}]}",
        "{\"entries\":[{\"leaf_input\":\"AAAA\",\"extra_data\":\"\"}]}",
    };
    struct ct_entry_list l;
    char err[256];
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        CHECK(ct_entries_parse_json(bad[i], strlen(bad[i]), &l, err, sizeof err) < 0);
        CHECK(l.n == 0 && l.entries == NULL && strncmp(err, "get-entries", 11) == 0);
    }
    CHECK(ct_entries_parse_json("{\"entries\":[]}", 14, &l, err, sizeof err) == 0);
    CHECK(l.n == 0);
    ct_entry_list_free(&l);
}

static void test_tile(void)
{
    size_t len, hlen, i;
    char *data = ct_fixture("static-ct/navigli2025h2/tile/data/000", &len);
    char *hashes = ct_fixture("static-ct/navigli2025h2/tile/0/000", &hlen);
    struct ct_tile t;
    char err[256];
    int hash_ok = 0, idx_ok = 0, fp_ok = 0, cert_ok = 0, ts_ok = 0;
    uint8_t h[CT_HASH_LEN];

    if (!CHECK(data && hashes && hlen == CT_TILE_WIDTH * CT_HASH_LEN))
        goto out;
    if (!CHECK(ct_tile_parse((uint8_t *)data, len, 0, 256, &t, err, sizeof err) == 0)) {
        printf("#   %s\n", err);
        goto out;
    }
    CHECK(t.n == 256);
    for (i = 0; i < t.n; i++) {
        const struct ct_entry *e = &t.entries[i];
        const uint8_t *p = e->cert.p;
        X509 *x;

        if (e->has_leaf_index && e->leaf_index == i && e->type == CT_ENTRY_PRECERT)
            idx_ok++;
        if (ct_entry_leaf_hash(e, h) == 0 &&
            memcmp(h, hashes + i * CT_HASH_LEN, CT_HASH_LEN) == 0)
            hash_ok++;
        if (e->n_chain_fps == 2 && e->chain == NULL)
            fp_ok++;
        /* precert TBS in the leaf = precert's TBS minus the poison (21) */
        x = d2i_X509(NULL, &p, (long)e->cert.len);
        if (x && X509_get_ext_by_NID(x, NID_ct_precert_poison, -1) >= 0) {
            uint8_t *tbs = NULL;
            int n = i2d_re_X509_tbs(x, &tbs);
            if (n > 0 && (size_t)n == e->tbs.len + 21)
                cert_ok++;
            OPENSSL_free(tbs);
        }
        X509_free(x);
        if (e->timestamp_ms > 1740000000000ull && e->timestamp_ms < 1800000000000ull)
            ts_ok++;
    }
    CHECK(idx_ok == 256);
    CHECK(hash_ok == 256);      /* every leaf hash equals tile/0/000 */
    CHECK(fp_ok == 256);
    CHECK(cert_ok == 256);
    CHECK(ts_ok == 256);
    /* the first entry's timestamp as certstream-server-go printed it */
    CHECK(t.entries[0].timestamp_ms == 1746292399101ull);
    ct_tile_free(&t);
    CHECK(t.data == NULL && t.entries == NULL);

    /* the leaf_index check: the same bytes as tile 1 are refused */
    CHECK(ct_tile_parse((uint8_t *)data, len, 1, 256, &t, err, sizeof err) < 0);
    CHECK(strstr(err, "leaf_index 0, expected 256") != NULL);
    /* width must match exactly, both ways */
    CHECK(ct_tile_parse((uint8_t *)data, len, 0, 255, &t, err, sizeof err) < 0);
    CHECK(strstr(err, "more than 255") != NULL);
    CHECK(ct_tile_parse((uint8_t *)data, len - 1, 0, 256, &t, err, sizeof err) < 0);
    CHECK(ct_tile_parse((uint8_t *)data, len, 0, 0, &t, err, sizeof err) < 0);
    CHECK(ct_tile_parse((uint8_t *)data, len, 0, 257, &t, err, sizeof err) < 0);
    CHECK(ct_tile_parse((uint8_t *)data, 0, 0, 1, &t, err, sizeof err) < 0);
out:
    free(data);
    free(hashes);
}

/* Prefixes of a tile covering its first two entries: each one either is
** exactly one whole entry (a valid partial tile of width 1) or fails. */
static void test_tile_truncations(void)
{
    size_t len, n, one = 0, bad = 0;
    char *data = ct_fixture("static-ct/navigli2025h2/tile/data/000", &len);
    struct ct_tile t;
    size_t first_len, two_len, two = 0;

    if (!CHECK(data != NULL))
        return;
    /* end of entry 0 = start of entry 1; end of entry 1 = start of 2 */
    CHECK(ct_tile_parse((uint8_t *)data, len, 0, 256, &t, NULL, 0) == 0);
    first_len = (size_t)(t.entries[1].timestamped_entry.p - t.data);
    two_len = (size_t)(t.entries[2].timestamped_entry.p - t.data);
    ct_tile_free(&t);
    for (n = 0; n < two_len + 8; n++) {
        if (ct_tile_parse((uint8_t *)data, n, 0, 1, &t, NULL, 0) == 0) {
            one++;
            if (n != first_len)
                bad++;
            ct_tile_free(&t);
        }
        if (ct_tile_parse((uint8_t *)data, n, 0, 2, &t, NULL, 0) == 0) {
            two++;
            if (n != two_len || t.n != 2)
                bad++;
            ct_tile_free(&t);
        }
    }
    CHECK(two == 1);
    CHECK(one == 1);
    CHECK(bad == 0);
    free(data);
}

/* Regression (hostile-server issue, item 5): a log listing 10,000 chain
** certificates per entry (or thousands of fingerprints per tile leaf)
** cost seconds per entry on the network thread. Chains keep the first
** CT_CHAIN_MAX and count the rest. */
static void test_chain_cap(void)
{
    uint8_t leaf[64], extra[3 + 20 * 4], tl[64 + 2 + 20 * 32];
    size_t n = 0, i, m;
    struct ct_entry e;
    struct ct_tile t;
    char err[256];

    leaf[n++] = 0; leaf[n++] = 0;               /* v1, timestamped_entry */
    memset(leaf + n, 0, 8); n += 8;
    leaf[n++] = 0; leaf[n++] = 0;               /* x509_entry */
    leaf[n++] = 0; leaf[n++] = 0; leaf[n++] = 1; leaf[n++] = 0x30;
    leaf[n++] = 0; leaf[n++] = 0;               /* no extensions */
    extra[0] = 0; extra[1] = 0; extra[2] = 20 * 4;
    for (i = 0; i < 20; i++) {
        extra[3 + 4 * i] = 0; extra[4 + 4 * i] = 0; extra[5 + 4 * i] = 1;
        extra[6 + 4 * i] = (uint8_t)i;
    }
    CHECK(ct_entry_parse_rfc6962(leaf, n, extra, sizeof extra, &e, err,
                                 sizeof err) == 0);
    CHECK(e.n_chain == CT_CHAIN_MAX);
    CHECK(e.n_chain_dropped == 20 - CT_CHAIN_MAX);
    CHECK(e.chain[CT_CHAIN_MAX - 1].len == 1 &&
          e.chain[CT_CHAIN_MAX - 1].p[0] == CT_CHAIN_MAX - 1);
    ct_entry_free(&e);
    /* at the cap nothing is dropped */
    extra[2] = CT_CHAIN_MAX * 4;
    CHECK(ct_entry_parse_rfc6962(leaf, n, extra, 3 + CT_CHAIN_MAX * 4, &e,
                                 err, sizeof err) == 0);
    CHECK(e.n_chain == CT_CHAIN_MAX && e.n_chain_dropped == 0);
    ct_entry_free(&e);

    /* a tile leaf with 20 fingerprints */
    m = 0;
    memset(tl, 0, 8); m = 8;
    tl[m++] = 0; tl[m++] = 0;
    tl[m++] = 0; tl[m++] = 0; tl[m++] = 1; tl[m++] = 0x30;
    tl[m++] = 0; tl[m++] = 8;                   /* leaf_index 0 */
    memcpy(tl + m, "\0\0\5\0\0\0\0\0", 8); m += 8;
    tl[m++] = (uint8_t)((20 * 32) >> 8); tl[m++] = (uint8_t)(20 * 32);
    for (i = 0; i < 20; i++) {
        memset(tl + m, (int)i, 32);
        m += 32;
    }
    CHECK(ct_tile_parse(tl, m, 0, 1, &t, err, sizeof err) == 0);
    CHECK(t.n == 1 && t.entries[0].n_chain_fps == CT_CHAIN_MAX);
    CHECK(t.entries[0].n_chain_dropped == 20 - CT_CHAIN_MAX);
    ct_tile_free(&t);
}

/* Hand-built tile leaves for the extension rules. */
static size_t build_leaf(uint8_t *b, const uint8_t *ext, size_t ext_len,
                         int with_fps)
{
    size_t n = 0;

    memset(b, 0, 8);                 /* timestamp */
    b[7] = 1;
    n = 8;
    b[n++] = 0; b[n++] = 0;          /* x509_entry */
    b[n++] = 0; b[n++] = 0; b[n++] = 1; b[n++] = 0x30;   /* 1-byte "cert" */
    b[n++] = (uint8_t)(ext_len >> 8); b[n++] = (uint8_t)ext_len;
    if (ext_len)
        memcpy(b + n, ext, ext_len);
    n += ext_len;
    b[n++] = 0;
    b[n++] = with_fps ? 32 : 0;
    if (with_fps) {
        memset(b + n, 0xAB, 32);
        n += 32;
    }
    return n;
}

static void test_tile_extensions(void)
{
    static const uint8_t idx7[] = { 0, 0, 5, 0, 0, 0, 0, 7 };
    static const uint8_t idx7_unknown[] = { 9, 0, 1, 0xFF, 0, 0, 5, 0, 0, 0, 0, 7 };
    static const uint8_t idx7_twice[] = { 0, 0, 5, 0, 0, 0, 0, 7,
                                          0, 0, 5, 0, 0, 0, 0, 7 };
    static const uint8_t idx_short[] = { 0, 0, 4, 0, 0, 0, 7 };
    static const uint8_t ext_trunc[] = { 0, 0, 5, 0, 0 };
    uint8_t b[128];
    size_t n;
    struct ct_tile t;
    char err[256];

    n = build_leaf(b, idx7, sizeof idx7, 1);
    /* index 7 lives in tile 0 at position 7, so as entry 0 it is wrong */
    CHECK(ct_tile_parse(b, n, 0, 1, &t, err, sizeof err) < 0);
    CHECK(strstr(err, "leaf_index 7, expected 0") != NULL);
    n = build_leaf(b, (const uint8_t *)"\0\0\5\0\0\0\0\0", 8, 1);
    CHECK(ct_tile_parse(b, n, 0, 1, &t, err, sizeof err) == 0);
    CHECK(t.n == 1 && t.entries[0].n_chain_fps == 1 && t.entries[0].chain_fps[0] == 0xAB);
    CHECK(t.entries[0].type == CT_ENTRY_X509 && t.entries[0].cert.len == 1);
    ct_tile_free(&t);
    n = build_leaf(b, (const uint8_t *)"\0\0\5\0\0\0\0\0", 8, 0);
    CHECK(ct_tile_parse(b, n, 0, 1, &t, err, sizeof err) == 0);
    CHECK(t.entries[0].n_chain_fps == 0 && t.entries[0].chain_fps == NULL);
    ct_tile_free(&t);
    /* unknown extensions are skipped; the index is still found */
    n = build_leaf(b, idx7_unknown, sizeof idx7_unknown, 0);
    CHECK(ct_tile_parse(b, n, 0, 1, &t, err, sizeof err) < 0);
    CHECK(strstr(err, "leaf_index 7, expected 0") != NULL);
    n = build_leaf(b, idx7_twice, sizeof idx7_twice, 0);
    CHECK(ct_tile_parse(b, n, 0, 1, &t, err, sizeof err) < 0);
    CHECK(strstr(err, "repeated") != NULL);
    n = build_leaf(b, idx_short, sizeof idx_short, 0);
    CHECK(ct_tile_parse(b, n, 0, 1, &t, err, sizeof err) < 0);
    n = build_leaf(b, ext_trunc, sizeof ext_trunc, 0);
    CHECK(ct_tile_parse(b, n, 0, 1, &t, err, sizeof err) < 0);
    CHECK(strstr(err, "truncated CT extension") != NULL);
    n = build_leaf(b, NULL, 0, 0);
    CHECK(ct_tile_parse(b, n, 0, 1, &t, err, sizeof err) < 0);
    CHECK(strstr(err, "missing") != NULL);
    /* a fingerprint list that is not a multiple of 32 */
    n = build_leaf(b, (const uint8_t *)"\0\0\5\0\0\0\0\0", 8, 1);
    b[n - 33] = 31;
    CHECK(ct_tile_parse(b, n - 1, 0, 1, &t, err, sizeof err) < 0);
}

int main(void)
{
    test_chain_cap();
    static const int four[] = { 0, 0, 0, 0 }, logclient[] = { 1, 0 },
                     calidog[] = { 0 };

    test_base64();
    test_get_entries("ctgo-scanner-FourEntries.get-entries.json",
                     "ctgo-scanner-FourEntries.jsonl", 4, four);
    test_get_entries("ctgo-logclient-TestGetEntries.get-entries.json",
                     "ctgo-logclient-TestGetEntries.jsonl", 2, logclient);
    test_get_entries("calidog-certstream-server-standard_entry.get-entries.json",
                     "calidog-standard_entry.jsonl", 1, calidog);
    test_truncations("rfc6962/ctgo-logclient-TestGetEntries.get-entries.json", 0);
    test_truncations("rfc6962/ctgo-logclient-TestGetEntries.get-entries.json", 1);
    test_truncations("rfc6962/calidog-certstream-server-standard_entry.get-entries.json", 0);
    test_corruption();
    test_bad_json();
    test_tile();
    test_tile_truncations();
    test_tile_extensions();
    return check_done();
}
