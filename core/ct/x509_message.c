/*
** x509_message.c: a certificate from a CT log -> CertStream JSON.
*/
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ct/ct_base64.h"
#include "ct/x509_der.h"
#include "ct/x509_ossl.h"
#include "ct/x509_view.h"
#include "log.h"
#include "ct/x509_message.h"

/* Writes s as a string value, or null if nothing was ever added. */
static void jb_sbuf(struct json_buf *b, const struct x509_sbuf *s)
{
    if (!s->present || s->failed)
        jb_null(b);
    else
        jb_str(b, s->p ? s->p : "", s->len);
}

/* Writes a subject or issuer object: each attribute's joined values
** (null when absent), "aggregated" ("/C=../CN=.." of those present, in
** this order) and "email_address". */
static void write_name(struct json_buf *b, const struct x509_name_view *nv)
{
    struct x509_sbuf agg = { 0 };
    size_t f;

    for (f = 0; f < X509_NAME_FIELDS; f++) {
        if (!nv->val[f].present)
            continue;
        x509_sb_add(&agg, "/", 1);
        x509_sb_cstr(&agg, x509_name_keys[f]);
        x509_sb_add(&agg, "=", 1);
        x509_sb_add(&agg, nv->val[f].p ? nv->val[f].p : "", nv->val[f].len);
    }
    if (!agg.present)
        x509_sb_add(&agg, "", 0);
    jb_obj_begin(b);
    for (f = 0; f < X509_NAME_EMAIL; f++) {
        jb_key(b, x509_name_keys[f]);
        jb_sbuf(b, &nv->val[f]);
    }
    jb_key(b, "aggregated");
    jb_sbuf(b, &agg);
    jb_key(b, "email_address");
    jb_sbuf(b, &nv->val[X509_NAME_EMAIL]);
    jb_obj_end(b);
    x509_sb_free(&agg);
}

static const char hex_upper[] = "0123456789ABCDEF";

/* SHA-1 and SHA-256 fetched once: EVP_sha1() in EVP_Digest fetches the
** implementation again on every call (a tenth of a conversion). */
static EVP_MD *md_sha1, *md_sha256;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_init(void)
{
    md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* Writes the n bytes d as upper-case colon-separated hex. */
static void write_hex_colons(struct json_buf *b, const uint8_t *d, size_t n)
{
    char hex[3 * EVP_MAX_MD_SIZE];
    size_t i;

    for (i = 0; i < n; i++) {
        hex[3 * i] = hex_upper[d[i] >> 4];
        hex[3 * i + 1] = hex_upper[d[i] & 15];
        hex[3 * i + 2] = ':';
    }
    jb_str(b, hex, n ? 3 * n - 1 : 0);
}

/* Writes "fingerprint", "sha1" and "sha256" of der (SHA-1 once for both
** of the first two); null for a digest that fails. */
static void write_digests(struct json_buf *b, const uint8_t *der,
                          size_t len)
{
    uint8_t d1[EVP_MAX_MD_SIZE], d2[EVP_MAX_MD_SIZE];
    unsigned int n1 = 0, n2 = 0;
    int ok1, ok2;

    pthread_once(&md_once, md_init);
    ok1 = EVP_Digest(der, len, d1, &n1, md_sha1 ? md_sha1 : EVP_sha1(),
                     NULL);
    ok2 = EVP_Digest(der, len, d2, &n2,
                     md_sha256 ? md_sha256 : EVP_sha256(), NULL);
    for (int k = 0; k < 2; k++) {
        jb_key(b, k ? "sha1" : "fingerprint");
        if (ok1)
            write_hex_colons(b, d1, n1);
        else
            jb_null(b);
    }
    jb_key(b, "sha256");
    if (ok2)
        write_hex_colons(b, d2, n2);
    else
        jb_null(b);
}

/* all_domains: SAN DNS names in certificate order, then each subject CN
** not among them unless the certificate is a CA. */
static void write_all_domains(struct json_buf *b, const struct x509_view *v)
{
    size_t pos = 0, n, dpos, dn;
    const char *p, *d;

    jb_arr_begin(b);
    while (x509_view_list_next(&v->dns, &pos, &p, &n))
        jb_str(b, p, n);
    for (pos = 0; !v->is_ca && x509_view_list_next(&v->cns, &pos, &p, &n);) {
        int dup = 0;
        for (dpos = 0; !dup && x509_view_list_next(&v->dns, &dpos, &d, &dn);)
            dup = dn == n && memcmp(d, p, n) == 0;
        if (!dup && n > 0)
            jb_str(b, p, n);
    }
    jb_arr_end(b);
}

static void write_opt(struct json_buf *b, const char *key,
                      const struct x509_sbuf *s)
{
    if (s->present && !s->failed) {
        jb_key(b, key);
        jb_str(b, s->p ? s->p : "", s->len);
    }
}

/* "extensions": {...}, the texts present, certstream-server-go's key
** order. */
static void write_extensions(struct json_buf *b, const struct x509_view *v)
{
    jb_key(b, "extensions");
    jb_obj_begin(b);
    write_opt(b, "authorityInfoAccess", &v->aia);
    write_opt(b, "authorityKeyIdentifier", &v->aki);
    write_opt(b, "basicConstraints", &v->bc);
    write_opt(b, "certificatePolicies", &v->policies);
    write_opt(b, "keyUsage", &v->ku);
    write_opt(b, "subjectAltName", &v->san);
    write_opt(b, "subjectKeyIdentifier", &v->ski);
    if (v->poison) {
        jb_key(b, "ctlPoisonByte");
        jb_bool(b, 1);
    }
    jb_obj_end(b);
}

/* Writes the leaf_cert object of v (also used for each chain element);
** der is the certificate v was read from. */
static void write_cert(struct json_buf *b, const struct x509_view *v,
                       const uint8_t *der, size_t der_len, int full)
{
    jb_obj_begin(b);
    jb_key(b, "all_domains");
    write_all_domains(b, v);
    if (full) {
        char *txt = malloc(ct_b64_encoded_len(der_len) + 1);
        jb_key(b, "as_der");
        if (txt) {
            ct_b64_encode(der, der_len, txt);
            jb_str(b, txt, ct_b64_encoded_len(der_len));
            free(txt);
        } else {
            b->failed = 1;
        }
    }
    write_extensions(b, v);
    write_digests(b, der, der_len);
    jb_key(b, "not_after");
    jb_int(b, v->not_after);
    jb_key(b, "not_before");
    jb_int(b, v->not_before);
    jb_key(b, "serial_number");
    jb_sbuf(b, &v->serial);
    jb_key(b, "signature_algorithm");
    jb_cstr(b, v->signature ? v->signature : "unknown");
    jb_key(b, "subject");
    write_name(b, &v->subject);
    jb_key(b, "issuer");
    write_name(b, &v->issuer);
    jb_key(b, "is_ca");
    jb_bool(b, v->is_ca);
    jb_obj_end(b);
}

/* Reads der into v (zeroed by the caller): by the DER reader when it
** takes the certificate, else through OpenSSL (which sets *lenient for a
** corrected serial). -1 when neither can read it. */
static int read_cert(const uint8_t *der, size_t len, int is_precert,
                     struct x509_view *v, int *lenient)
{
    X509 *x;

    if (x509_der_view(der, len, is_precert, v) == 0)
        return 0;
    if (!(x = x509_ossl_parse(der, len, lenient)))
        return -1;
    x509_ossl_view(x, is_precert, v);
    X509_free(x);
    return 0;
}

/* Rendered chain certificates, direct-mapped by a hash of the DER and
** verified by comparing the whole DER, so a colliding (or hostile) entry
** only costs a miss. Chains repeat constantly (a log has few issuers):
** a hit replaces a parse and a render by a copy. Bounded: CHAIN_MEMO_SLOTS
** entries, each replaced on a miss; shared by all threads under the lock;
** never freed (reachable to the end). */
#define CHAIN_MEMO_SLOTS 64
static struct chain_memo {
    uint8_t *der;
    size_t der_len;
    char *json;
    size_t json_len;
    int lenient;
} chain_memo[CHAIN_MEMO_SLOTS];
static pthread_mutex_t chain_memo_lock = PTHREAD_MUTEX_INITIALIZER;

/* FNV-1a of the length, the first and the last 64 bytes: the memcmp on a
** hit is the real check. */
static size_t chain_memo_slot(const uint8_t *der, size_t len)
{
    uint64_t h = 1469598103934665603ull ^ len;
    size_t i, n = len < 64 ? len : 64;

    for (i = 0; i < n; i++)
        h = (h ^ der[i]) * 1099511628211ull;
    for (i = len - n; i < len; i++)
        h = (h ^ der[i]) * 1099511628211ull;
    return (size_t)(h % CHAIN_MEMO_SLOTS);
}

/* Writes one chain element (the leaf_cert object of chain DER c) from the
** memo or by parsing it; sets *lenient as parse_der_lenient does. Returns
** -1 (nothing written) when c does not parse. */
static int write_chain_cert(struct json_buf *out, const struct ct_bytes *c,
                            int *lenient)
{
    struct chain_memo *m;
    struct json_buf one;
    struct x509_view v;
    int one_lenient = 0;

    if (!c->p || c->len == 0)
        return -1;
    m = &chain_memo[chain_memo_slot(c->p, c->len)];
    pthread_mutex_lock(&chain_memo_lock);
    if (m->der && m->der_len == c->len && memcmp(m->der, c->p, c->len) == 0) {
        jb_value_raw(out, m->json, m->json_len);
        *lenient |= m->lenient;
        pthread_mutex_unlock(&chain_memo_lock);
        return 0;
    }
    pthread_mutex_unlock(&chain_memo_lock);
    memset(&v, 0, sizeof v);
    if (read_cert(c->p, c->len, 0, &v, &one_lenient) < 0)
        return -1;
    jb_init(&one);
    write_cert(&one, &v, c->p, c->len, 1);
    x509_view_free(&v);
    if (jb_failed(&one)) {
        out->failed = 1;
        jb_free(&one);
        return 0;
    }
    jb_value_raw(out, one.data, one.len);
    *lenient |= one_lenient;
    pthread_mutex_lock(&chain_memo_lock);
    free(m->der);
    free(m->json);
    memset(m, 0, sizeof *m);
    m->der = malloc(c->len);
    if (m->der) {
        memcpy(m->der, c->p, c->len);
        m->der_len = c->len;
        m->json_len = one.len;
        m->json = jb_steal(&one, NULL);
        m->lenient = one_lenient;
    }
    if (!m->der || !m->json) {
        free(m->der);
        free(m->json);
        memset(m, 0, sizeof *m);
    }
    pthread_mutex_unlock(&chain_memo_lock);
    jb_free(&one);
    return 0;
}

enum x509_msg_result x509_message_build(const struct x509_msg_input *in,
                                        struct json_buf *out, char *err,
                                        size_t errlen)
{
    int leaf_lenient = 0, chain_lenient = 0;
    struct x509_view leaf;
    size_t i, skipped = 0;

    memset(&leaf, 0, sizeof leaf);
    if (read_cert(in->der, in->der_len, in->is_precert, &leaf,
                  &leaf_lenient) < 0) {
        err_set(err, errlen, "entry %" PRIu64 ": %s does not parse as "
                "X.509 DER", in->cert_index,
                in->is_precert ? "precertificate" : "certificate");
        return X509_MSG_ERROR;
    }

    jb_obj_begin(out);
    jb_key(out, "data");
    jb_obj_begin(out);
    jb_key(out, "cert_index");
    jb_uint(out, in->cert_index);
    jb_key(out, "cert_link");
    jb_cstr(out, in->cert_link ? in->cert_link : "");
    if (in->full) {
        jb_key(out, "chain");
        jb_arr_begin(out);
        for (i = 0; i < in->n_chain; i++)
            if (write_chain_cert(out, &in->chain[i], &chain_lenient) < 0)
                skipped++;
        jb_arr_end(out);
    }
    jb_key(out, "leaf_cert");
    write_cert(out, &leaf, in->der, in->der_len, in->full);
    if (leaf_lenient || chain_lenient) {
        /* fingerprints and as_der are over the logged bytes; the fields
        ** come from the corrected copy */
        jb_key(out, "parse_warnings");
        jb_arr_begin(out);
        if (leaf_lenient)
            jb_cstr(out, "leaf_cert: serial number not in minimal DER form");
        if (chain_lenient)
            jb_cstr(out, "chain: serial number not in minimal DER form");
        jb_arr_end(out);
    }
    jb_key(out, "seen");
    jb_ms_as_seconds(out, in->seen_ms);
    jb_key(out, "source");
    jb_obj_begin(out);
    jb_key(out, "name");
    jb_cstr(out, in->source_name ? in->source_name : "");
    jb_key(out, "url");
    jb_cstr(out, in->source_url ? in->source_url : "");
    jb_key(out, "timestamp");
    jb_ms_as_seconds(out, in->timestamp_ms);
    jb_key(out, "type");
    jb_cstr(out, in->source_type ? in->source_type : "");
    jb_obj_end(out);
    jb_key(out, "update_type");
    jb_cstr(out, in->is_precert ? "PrecertLogEntry" : "X509LogEntry");
    jb_obj_end(out);
    jb_key(out, "message_type");
    jb_cstr(out, "certificate_update");
    jb_obj_end(out);

    x509_view_free(&leaf);
    if (jb_failed(out)) {
        err_set(err, errlen, "out of memory writing entry %" PRIu64,
                in->cert_index);
        return X509_MSG_ERROR;
    }
    if (skipped) {
        err_set(err, errlen, "entry %" PRIu64 ": %zu chain certificate(s) "
                "did not parse and were left out", in->cert_index, skipped);
        return X509_MSG_CHAIN_SKIPPED;
    }
    return X509_MSG_OK;
}

const char *x509_message_rfc6962_link(char *buf, size_t len,
                                      const char *url, uint64_t index)
{
    snprintf(buf, len, "%s/ct/v1/get-entries?start=%" PRIu64 "&end=%" PRIu64,
             url, index, index);
    return buf;
}
