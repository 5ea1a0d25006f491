/*
** ct_sth.c: tree heads from get-sth and checkpoints, and their signatures.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ct/ct_base64.h"
#include "log.h"
#include "ct/ct_sth.h"
#include "json_parse.h"

#define TLS_HASH_SHA256 4
#define TLS_SIG_RSA 1
#define TLS_SIG_ECDSA 3

/* 1 if p[0..n) is a well-formed DigitallySigned (length consumed
** exactly). */
static int digitally_signed_ok(const uint8_t *p, size_t n)
{
    return n >= 4 && (size_t)(p[2] << 8 | p[3]) == n - 4 && n - 4 > 0;
}

/* Decodes base64 s[0..n) into out, which must come out exactly want
** bytes (want 0 = up to max). Returns the length or -1. */
static long b64_into(const char *s, size_t n, uint8_t *out, size_t max,
                     size_t want)
{
    uint8_t *tmp;
    long got;

    if (n / 4 * 3 > max + 2 || !(tmp = malloc(ct_b64_decoded_max(n) + 1)))
        return -1;
    got = ct_b64_decode(s, n, tmp);
    if (got < 0 || (size_t)got > max || (want && (size_t)got != want)) {
        free(tmp);
        return -1;
    }
    memcpy(out, tmp, (size_t)got);
    free(tmp);
    return got;
}

int ct_sth_parse_json(const char *body, size_t len, struct ct_sth *out,
                      char *err, size_t errlen)
{
    char jerr[128];
    struct json_value *v = json_parse(body, len, jerr, sizeof jerr);
    const char *root, *sig;
    size_t rl, sl;
    long n;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (!v) {
        err_set(err, errlen, "get-sth: %s", jerr);
        return -1;
    }
    root = json_str(json_get(v, "sha256_root_hash"), &rl);
    sig = json_str(json_get(v, "tree_head_signature"), &sl);
    if (!json_uint(json_get(v, "tree_size"), &out->tree_size) ||
        !json_uint(json_get(v, "timestamp"), &out->timestamp_ms) ||
        !root || !sig) {
        err_set(err, errlen, "get-sth: missing or mistyped field");
    } else if (b64_into(root, rl, out->root_hash, 32, 32) < 0) {
        err_set(err, errlen, "get-sth: sha256_root_hash is not 32 bytes of "
                "base64");
    } else if ((n = b64_into(sig, sl, out->sig, sizeof out->sig, 0)) < 0 ||
               !digitally_signed_ok(out->sig, (size_t)n)) {
        err_set(err, errlen, "get-sth: tree_head_signature is not a "
                "DigitallySigned");
    } else {
        out->sig_len = (size_t)n;
        rc = 0;
    }
    if (rc < 0)
        memset(out, 0, sizeof *out);
    json_free(v);
    return rc;
}

/* Next line of text[*pos..len) without its '\n'; -1 if no '\n' ends it. */
static int next_line(const char *text, size_t len, size_t *pos,
                     const char **line, size_t *n)
{
    const char *nl;

    if (*pos >= len)
        return -1;
    nl = memchr(text + *pos, '\n', len - *pos);
    if (!nl)
        return -1;
    *line = text + *pos;
    *n = (size_t)(nl - *line);
    *pos += *n + 1;
    return 0;
}

static int parse_decimal(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
        return -1;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' ||
            v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static void key_id(const char *origin, size_t on, const uint8_t *log_id,
                   uint8_t out[4])
{
    uint8_t h[EVP_MAX_MD_SIZE];
    unsigned int hl = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    static const uint8_t sep[2] = { 0x0A, 0x05 };   /* newline, CT sig type */

    memset(out, 0, 4);
    if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
        EVP_DigestUpdate(c, origin, on) && EVP_DigestUpdate(c, sep, 2) &&
        EVP_DigestUpdate(c, log_id, 32) && EVP_DigestFinal_ex(c, h, &hl))
        memcpy(out, h, 4);
    EVP_MD_CTX_free(c);
}

int ct_checkpoint_parse(const char *text, size_t len, const char *origin,
                        const uint8_t *log_id, struct ct_sth *out,
                        char *origin_out, size_t origin_len, char *err,
                        size_t errlen)
{
    static const char dash[] = "\xE2\x80\x94 ";     /* EM DASH, space */
    const char *line, *org;
    size_t n, on, pos = 0;
    uint8_t want_id[4];
    uint8_t sigbuf[4 + 8 + CT_STH_MAX_SIG];

    memset(out, 0, sizeof *out);
    if (next_line(text, len, &pos, &org, &on) < 0 || on == 0 ||
        memchr(org, '\0', on)) {
        err_set(err, errlen, "checkpoint: no origin line");
        return -1;
    }
    if (origin && (strlen(origin) != on || memcmp(origin, org, on) != 0)) {
        err_set(err, errlen, "checkpoint: origin %.*s, expected %s",
                (int)(on > 200 ? 200 : on), org, origin);
        return -1;
    }
    if (next_line(text, len, &pos, &line, &n) < 0 ||
        parse_decimal(line, n, &out->tree_size) < 0) {
        err_set(err, errlen, "checkpoint: bad tree size line");
        return -1;
    }
    if (next_line(text, len, &pos, &line, &n) < 0 ||
        b64_into(line, n, out->root_hash, 32, 32) < 0) {
        err_set(err, errlen, "checkpoint: bad root hash line");
        memset(out, 0, sizeof *out);
        return -1;
    }
    /* extension lines, up to the blank line before the signatures */
    do {
        if (next_line(text, len, &pos, &line, &n) < 0) {
            err_set(err, errlen, "checkpoint: no signature block");
            memset(out, 0, sizeof *out);
            return -1;
        }
    } while (n != 0);
    if (log_id)
        key_id(org, on, log_id, want_id);
    while (next_line(text, len, &pos, &line, &n) == 0) {
        const char *name, *sp;
        long sl;

        if (n < sizeof dash - 1 || memcmp(line, dash, sizeof dash - 1) != 0)
            break;              /* not a signature line: the note ends */
        name = line + sizeof dash - 1;
        sp = memchr(name, ' ', n - (size_t)(name - line));
        if (!sp || (size_t)(sp - name) != on || memcmp(name, org, on) != 0)
            continue;           /* a witness or another key */
        sl = b64_into(sp + 1, n - (size_t)(sp + 1 - line), sigbuf,
                      sizeof sigbuf, 0);
        if (sl < 4 + 8 + 4)
            continue;
        if (log_id && memcmp(sigbuf, want_id, 4) != 0)
            continue;
        if (!digitally_signed_ok(sigbuf + 12, (size_t)sl - 12))
            continue;
        out->timestamp_ms = 0;
        for (int i = 0; i < 8; i++)
            out->timestamp_ms = out->timestamp_ms << 8 | sigbuf[4 + i];
        out->sig_len = (size_t)sl - 12;
        memcpy(out->sig, sigbuf + 12, out->sig_len);
        break;
    }
    if (origin_out)
        snprintf(origin_out, origin_len, "%.*s", (int)on, org);
    return 0;
}

int ct_sth_verify(const struct ct_sth *sth, const uint8_t *spki,
                  size_t spki_len, char *err, size_t errlen)
{
    uint8_t tbs[2 + 8 + 8 + 32];
    const unsigned char *p = spki;
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *ctx = NULL;
    int i, rc = -1;

    if (sth->sig_len < 4 || !digitally_signed_ok(sth->sig, sth->sig_len)) {
        err_set(err, errlen, "tree head has no signature");
        return -1;
    }
    if (sth->sig[0] != TLS_HASH_SHA256 ||
        (sth->sig[1] != TLS_SIG_ECDSA && sth->sig[1] != TLS_SIG_RSA)) {
        err_set(err, errlen, "unsupported signature algorithm %u/%u",
                sth->sig[0], sth->sig[1]);
        return -1;
    }
    tbs[0] = 0;        /* version v1 */
    tbs[1] = 1;        /* signature_type tree_hash */
    for (i = 0; i < 8; i++) {
        tbs[2 + i] = (uint8_t)(sth->timestamp_ms >> (56 - 8 * i));
        tbs[10 + i] = (uint8_t)(sth->tree_size >> (56 - 8 * i));
    }
    memcpy(tbs + 18, sth->root_hash, 32);
    key = d2i_PUBKEY(NULL, &p, (long)spki_len);
    ctx = EVP_MD_CTX_new();
    if (!key || !ctx) {
        err_set(err, errlen, "bad log public key");
        goto out;
    }
    if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
        EVP_DigestVerify(ctx, sth->sig + 4, sth->sig_len - 4, tbs,
                         sizeof tbs) == 1)
        rc = 0;
    else
        err_set(err, errlen, "tree head signature does not verify");
out:
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return rc;
}
