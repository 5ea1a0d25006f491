/*
** test_ct_sth.c: get-sth and checkpoint parsing, signature verification.
*/
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ct/ct_base64.h"
#include "ct/ct_sth.h"
#include "json_parse.h"
#include "test_ct_util.h"

static void test_get_sth(void)
{
    size_t len;
    char *a = ct_fixture("rfc6962/ctgo-logclient-TestGetSTH.get-sth.json", &len);
    char *b;
    struct ct_sth s;
    char err[256];
    static const char *bad[] = {
        "{}", "<html>busy</html>",
        "{\"tree_size\":-1,\"timestamp\":1,\"sha256_root_hash\":\"AAAA\",\"tree_head_signature\":\"BAMAAQE=\"}",
        "{\"tree_size\":4,\"timestamp\":1,\"sha256_root_hash\":\"AAAA\",\"tree_head_signature\":\"BAMAAQE=\"}",
        "{\"tree_size\":4,\"timestamp\":1,\"sha256_root_hash\":\"0JBu0CkZnKXc1niEndDaqqgCRHucCfVt1/WBAXs/5T8=\",\"tree_head_signature\":\"BAMAAg==\"}",
        "{\"tree_size\":4,\"timestamp\":\"1\",\"sha256_root_hash\":\"0JBu0CkZnKXc1niEndDaqqgCRHucCfVt1/WBAXs/5T8=\",\"tree_head_signature\":\"BAMAAQE=\"}",
    };
    size_t i;

    /* what TestGetSTH asserts: size, timestamp, a DigitallySigned */
    CHECK(a && ct_sth_parse_json(a, len, &s, err, sizeof err) == 0);
    CHECK(s.tree_size == 3721782 && s.timestamp_ms == 1396609800587ull);
    CHECK(s.sig_len == 4 + 70 && s.sig[0] == 4 && s.sig[1] == 3);
    CHECK(s.root_hash[0] == 0x4B);          /* "SxKO..." */
    free(a);
    /* "syntactically correct, but invalid" */
    b = ct_fixture("rfc6962/ctgo-scanner-FourEntrySTH.get-sth.json", &len);
    CHECK(b && ct_sth_parse_json(b, len, &s, err, sizeof err) == 0);
    CHECK(s.tree_size == 4 && s.sig_len == 13 && s.sig[0] == 0);
    CHECK(ct_sth_verify(&s, (const uint8_t *)"x", 1, err, sizeof err) < 0);
    free(b);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(ct_sth_parse_json(bad[i], strlen(bad[i]), &s, err, sizeof err) < 0);
        CHECK(s.tree_size == 0 && strncmp(err, "get-sth", 7) == 0);
    }
}

/* Sunlight's synthetic but correctly signed checkpoint and its metadata. */
static void test_checkpoint(void)
{
    size_t len, mlen, kl, il;
    char *cp = ct_fixture("static-ct/sunlight-skylight-synthetic/checkpoint", &len);
    char *meta = ct_fixture("static-ct/sunlight-skylight-synthetic/log.v3.json", &mlen);
    struct json_value *m = meta ? json_parse(meta, mlen, NULL, 0) : NULL;
    const char *key_b64 = json_str(json_get(m, "key"), &kl);
    const char *id_b64 = json_str(json_get(m, "log_id"), &il);
    const struct json_value *fth = json_get(m, "final_tree_head");
    uint8_t key[256], log_id[40], other_id[32], root[40];
    long keylen;
    uint64_t want_size = 0, want_ts = 0;
    struct ct_sth s, s2;
    char err[256], origin[128];
    char *mod;

    if (!CHECK(cp && m && key_b64 && id_b64))
        goto out;
    keylen = ct_b64_decode(key_b64, kl, key);
    CHECK(ct_b64_decode(id_b64, il, log_id) == 32);
    json_uint(json_get(fth, "tree_size"), &want_size);
    json_uint(json_get(fth, "timestamp"), &want_ts);
    CHECK(ct_b64_decode(json_str(json_get(fth, "sha256_root_hash"), NULL),
                        44, root) == 32);

    CHECK(ct_checkpoint_parse(cp, len, "rome2026h1.example.org", log_id, &s,
                              origin, sizeof origin, err, sizeof err) == 0);
    CHECK_STR(origin, "rome2026h1.example.org");
    /* what log.v3.json states about the final tree head */
    CHECK(s.tree_size == want_size && want_size == 300);
    CHECK(s.timestamp_ms == want_ts && want_ts == 1767139200000ull);
    CHECK(memcmp(s.root_hash, root, 32) == 0);
    CHECK(s.sig_len == 4 + 71 && s.sig[0] == 4 && s.sig[1] == 3);
    CHECK(ct_sth_verify(&s, key, (size_t)keylen, err, sizeof err) == 0);
    /* any change to what is signed breaks it */
    s2 = s;
    s2.tree_size++;
    CHECK(ct_sth_verify(&s2, key, (size_t)keylen, err, sizeof err) < 0);
    s2 = s;
    s2.timestamp_ms--;
    CHECK(ct_sth_verify(&s2, key, (size_t)keylen, err, sizeof err) < 0);
    s2 = s;
    s2.root_hash[31] ^= 1;
    CHECK(ct_sth_verify(&s2, key, (size_t)keylen, err, sizeof err) < 0);
    CHECK(ct_sth_verify(&s, key, (size_t)keylen - 1, err, sizeof err) < 0);

    /* without a log id: the origin's CT-shaped signature line is used */
    CHECK(ct_checkpoint_parse(cp, len, NULL, NULL, &s2, NULL, 0, err, sizeof err) == 0);
    CHECK(s2.timestamp_ms == want_ts && s2.sig_len == s.sig_len);
    /* a different log id: the key ID does not match, no signature */
    memset(other_id, 7, sizeof other_id);
    CHECK(ct_checkpoint_parse(cp, len, NULL, other_id, &s2, NULL, 0, err, sizeof err) == 0);
    CHECK(s2.tree_size == 300 && s2.sig_len == 0 && s2.timestamp_ms == 0);
    CHECK(ct_sth_verify(&s2, key, (size_t)keylen, err, sizeof err) < 0);
    /* wrong origin */
    CHECK(ct_checkpoint_parse(cp, len, "other.example", log_id, &s2, NULL, 0,
                              err, sizeof err) < 0);
    CHECK(strstr(err, "origin") != NULL);

    /* a witness cosignature and an extension line are ignored */
    mod = malloc(len + 200);
    {
        const char *blank = strstr(cp, "\n\n");
        size_t head = (size_t)(blank - cp) + 1;
        int n = snprintf(mod, len + 200, "%.*sext line\n\n"
                         "\xE2\x80\x94 witness.example AAAAAAAAAAAAAAAA\n%s",
                         (int)head, cp, blank + 2);
        CHECK(ct_checkpoint_parse(mod, (size_t)n, NULL, log_id, &s2, NULL, 0,
                                  err, sizeof err) == 0);
        CHECK(s2.sig_len == s.sig_len &&
              ct_sth_verify(&s2, key, (size_t)keylen, err, sizeof err) == 0);
    }
    free(mod);
    /* every truncation fails or yields no signature; none crashes */
    {
        size_t k;
        int bad = 0;
        for (k = 0; k < len; k++) {
            char *t = malloc(k ? k : 1);
            memcpy(t, cp, k);
            if (ct_checkpoint_parse(t, k, NULL, log_id, &s2, NULL, 0, NULL, 0) == 0 &&
                s2.sig_len != 0 && k < len - 1)
                bad++;
            free(t);
        }
        CHECK(bad == 0);
    }
    {
        static const char *bad[] = {
            "", "origin\n", "o\n01\nlCkHUpkmVBEms2r2T1K6Og69+wUuuN3MIEW1/ezu2v0=\n\n",
            "o\n300\nAAAA\n\n", "o\n99999999999999999999999\nlCkHUpkmVBEms2r2T1K6Og69+wUuuN3MIEW1/ezu2v0=\n\n",
            "o\n300\nlCkHUpkmVBEms2r2T1K6Og69+wUuuN3MIEW1/ezu2v0=\n",
        };
        size_t i;
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
            CHECK(ct_checkpoint_parse(bad[i], strlen(bad[i]), NULL, NULL, &s2,
                                      NULL, 0, err, sizeof err) < 0);
    }
out:
    json_free(m);
    free(cp);
    free(meta);
}

int main(void)
{
    test_get_sth();
    test_checkpoint();
    return check_done();
}
