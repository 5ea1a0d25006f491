/*
** x509_message.c: a certificate from a CT log -> CertStream JSON.
*/
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ct/ct_base64.h"
#include "ct/x509_ext.h"
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

/* The text of an ASN.1 string as UTF-8 (BMPString, UniversalString and
** the rest converted by OpenSSL); if it cannot be converted, the raw bytes
** (the JSON writer replaces invalid UTF-8). Appends to s. */
static void sb_asn1_string(struct x509_sbuf *s, const ASN1_STRING *as)
{
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, as);

    if (n >= 0) {
        x509_sb_add(s, utf8, (size_t)n);
        OPENSSL_free(utf8);
    } else {
        x509_sb_add(s, ASN1_STRING_get0_data(as), (size_t)ASN1_STRING_length(as));
    }
}

/* The attributes a CertStream subject/issuer object carries, in the
** order "aggregated" lists them. */
static const struct {
    int nid;
    const char *key;
} name_fields[] = {
    { NID_countryName, "C" },
    { NID_commonName, "CN" },
    { NID_localityName, "L" },
    { NID_organizationName, "O" },
    { NID_organizationalUnitName, "OU" },
    { NID_stateOrProvinceName, "ST" },
    { NID_pkcs9_emailAddress, "emailAddress" },
};
#define N_NAME_FIELDS (sizeof name_fields / sizeof name_fields[0])

/* Collects each attribute's values, joined with ",", in DER order. */
static void collect_name(const X509_NAME *name, struct x509_sbuf *vals)
{
    int i, n = X509_NAME_entry_count(name);
    size_t f;

    for (i = 0; i < n; i++) {
        const X509_NAME_ENTRY *ne = X509_NAME_get_entry(name, i);
        int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(ne));

        for (f = 0; f < N_NAME_FIELDS; f++) {
            if (name_fields[f].nid != nid)
                continue;
            if (vals[f].present)
                x509_sb_add(&vals[f], ",", 1);
            sb_asn1_string(&vals[f], X509_NAME_ENTRY_get_data(ne));
        }
    }
}

static void write_name(struct json_buf *b, const X509_NAME *name)
{
    struct x509_sbuf vals[N_NAME_FIELDS], agg = { 0 };
    size_t f;

    memset(vals, 0, sizeof vals);
    collect_name(name, vals);
    for (f = 0; f < N_NAME_FIELDS; f++) {
        if (!vals[f].present)
            continue;
        x509_sb_add(&agg, "/", 1);
        x509_sb_cstr(&agg, name_fields[f].key);
        x509_sb_add(&agg, "=", 1);
        x509_sb_add(&agg, vals[f].p ? vals[f].p : "", vals[f].len);
    }
    if (!agg.present)
        x509_sb_add(&agg, "", 0);
    jb_obj_begin(b);
    for (f = 0; f + 1 < N_NAME_FIELDS; f++) {
        jb_key(b, name_fields[f].key);
        jb_sbuf(b, &vals[f]);
    }
    jb_key(b, "aggregated");
    jb_sbuf(b, &agg);
    jb_key(b, "email_address");
    jb_sbuf(b, &vals[N_NAME_FIELDS - 1]);
    jb_obj_end(b);
    for (f = 0; f < N_NAME_FIELDS; f++)
        x509_sb_free(&vals[f]);
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

/* The serial as Go's "%X" of a big.Int padded to even length; negative
** serials as "-" plus the even-length hex of the magnitude. */
static void write_serial(struct json_buf *b, const X509 *x)
{
    const ASN1_INTEGER *ai = X509_get0_serialNumber(x);
    BIGNUM *bn = ai ? ASN1_INTEGER_to_BN(ai, NULL) : NULL;
    struct x509_sbuf s = { 0 };
    unsigned char *bin = NULL;
    int n, i;
    char hex[2];

    if (!bn) {
        jb_null(b);
        return;
    }
    n = BN_num_bytes(bn);
    if (BN_is_negative(bn))
        x509_sb_add(&s, "-", 1);
    if (n == 0) {
        x509_sb_add(&s, "00", 2);
    } else if ((bin = malloc((size_t)n))) {
        BN_bn2bin(bn, bin);
        for (i = 0; i < n; i++) {
            hex[0] = hex_upper[bin[i] >> 4];
            hex[1] = hex_upper[bin[i] & 15];
            x509_sb_add(&s, hex, 2);
        }
    } else {
        s.failed = 1;
    }
    jb_sbuf(b, &s);
    free(bin);
    x509_sb_free(&s);
    BN_free(bn);
}

/* "sha256, rsa" and friends: certstream-server-go's names for Go's
** x509.SignatureAlgorithm values. */
static const char *signature_name(const X509 *x)
{
    int mdnid = NID_undef, pknid = NID_undef;
    int nid = X509_get_signature_nid(x);

    switch (nid) {
    case NID_md2WithRSAEncryption: return "md2, rsa";
    case NID_md5WithRSAEncryption: return "md5, rsa";
    case NID_sha1WithRSAEncryption: return "sha1, rsa";
    case NID_sha256WithRSAEncryption: return "sha256, rsa";
    case NID_sha384WithRSAEncryption: return "sha384, rsa";
    case NID_sha512WithRSAEncryption: return "sha512, rsa";
    case NID_dsaWithSHA1: return "dsa, sha1";
    case NID_dsa_with_SHA256: return "dsa, sha256";
    case NID_ecdsa_with_SHA1: return "ecdsa, sha1";
    case NID_ecdsa_with_SHA256: return "ecdsa, sha256";
    case NID_ecdsa_with_SHA384: return "ecdsa, sha384";
    case NID_ecdsa_with_SHA512: return "ecdsa, sha512";
    case NID_ED25519: return "ed25519";
    case NID_rsassaPss:
        /* the hash lives in the parameters */
        if (X509_get_signature_info((X509 *)x, &mdnid, &pknid, NULL, NULL)) {
            if (mdnid == NID_sha256) return "sha256, rsa-pss";
            if (mdnid == NID_sha384) return "sha384, rsa-pss";
            if (mdnid == NID_sha512) return "sha512, rsa-pss";
        }
        return "unknown";
    default:
        return "unknown";
    }
}

/* Seconds since the epoch of an ASN.1 time; 0 if it does not parse. */
static int64_t asn1_time_unix(const ASN1_TIME *t)
{
    struct tm tm;

    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return 0;
    return (int64_t)timegm(&tm);
}

/* all_domains: SAN DNS names in certificate order, then each subject CN
** not among them unless the certificate is a CA. */
static void write_all_domains(struct json_buf *b, X509 *x,
                              const struct x509_ext_fields *c)
{
    const X509_NAME *subj = X509_get_subject_name(x);
    int i, j, k;

    jb_arr_begin(b);
    for (i = 0; c->gens && i < sk_GENERAL_NAME_num(c->gens); i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(c->gens, i);
        if (g->type == GEN_DNS)
            jb_str(b, (const char *)ASN1_STRING_get0_data(g->d.ia5),
                   (size_t)ASN1_STRING_length(g->d.ia5));
    }
    for (j = -1; !c->is_ca &&
         (j = X509_NAME_get_index_by_NID(subj, NID_commonName, j)) >= 0;) {
        struct x509_sbuf cn = { 0 };
        int dup = 0;

        sb_asn1_string(&cn, X509_NAME_ENTRY_get_data(
                                X509_NAME_get_entry(subj, j)));
        for (k = 0; c->gens && k < sk_GENERAL_NAME_num(c->gens); k++) {
            GENERAL_NAME *g = sk_GENERAL_NAME_value(c->gens, k);
            if (g->type == GEN_DNS &&
                (size_t)ASN1_STRING_length(g->d.ia5) == cn.len &&
                memcmp(ASN1_STRING_get0_data(g->d.ia5), cn.p, cn.len) == 0)
                dup = 1;
        }
        if (!dup && cn.len > 0 && !cn.failed)
            jb_str(b, cn.p, cn.len);
        x509_sb_free(&cn);
    }
    jb_arr_end(b);
}

/* Writes the leaf_cert object (also used for each chain element). */
static void write_cert(struct json_buf *b, X509 *x, const uint8_t *der,
                       size_t der_len, int is_precert, int full)
{
    struct x509_ext_fields c;

    memset(&c, 0, sizeof c);
    x509_ext_gather(x, is_precert, &c);
    jb_obj_begin(b);
    jb_key(b, "all_domains");
    write_all_domains(b, x, &c);
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
    x509_ext_write(b, &c);
    write_digests(b, der, der_len);
    jb_key(b, "not_after");
    jb_int(b, asn1_time_unix(X509_get0_notAfter(x)));
    jb_key(b, "not_before");
    jb_int(b, asn1_time_unix(X509_get0_notBefore(x)));
    jb_key(b, "serial_number");
    write_serial(b, x);
    jb_key(b, "signature_algorithm");
    jb_cstr(b, signature_name(x));
    jb_key(b, "subject");
    write_name(b, X509_get_subject_name(x));
    jb_key(b, "issuer");
    write_name(b, X509_get_issuer_name(x));
    jb_key(b, "is_ca");
    jb_bool(b, c.is_ca);
    jb_obj_end(b);
    x509_ext_free(&c);
}

/* The library context certificates are parsed in: only OpenSSL's "null"
** provider, so no key decoders. OpenSSL 3's d2i_X509 opportunistically
** decodes the public key through the provider decoder framework, which
** cost about two thirds of a conversion (make bench profile); messages
** never use the key, and in this context the attempt fails at once and
** the key stays as its DER. Created once, shared by every thread, never
** freed (reachable to the end). NULL if it could not be made: then the
** default context is used, slower but the same output. */
static OSSL_LIB_CTX *parse_ctx;
static pthread_once_t parse_ctx_once = PTHREAD_ONCE_INIT;

static void parse_ctx_init(void)
{
    OSSL_LIB_CTX *c = OSSL_LIB_CTX_new();

    if (c && !OSSL_PROVIDER_load(c, "null")) {
        OSSL_LIB_CTX_free(c);
        c = NULL;
    }
    parse_ctx = c;
}

/* d2i_X509 that also insists on consuming exactly len bytes. */
static X509 *parse_der(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    X509 *x;

    if (!der || len == 0 || len > LONG_MAX)
        return NULL;
    pthread_once(&parse_ctx_once, parse_ctx_init);
    x = (X509 *)ASN1_item_d2i_ex(NULL, &p, (long)len, ASN1_ITEM_rptr(X509),
                                 parse_ctx, NULL);
    if (x && p != der + len) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* A DER header at p (avail bytes): its size in *hl and the value's length
** in *vl. -1 when it is not a definite length that fits. */
static int der_header(const uint8_t *p, size_t avail, size_t *hl, size_t *vl)
{
    size_t n, i, v = 0;

    if (avail < 2)
        return -1;
    if (p[1] < 0x80) {
        *hl = 2;
        *vl = p[1];
    } else {
        n = p[1] & 0x7f;
        if (n == 0 || n > 4 || avail < 2 + n)
            return -1;
        for (i = 0; i < n; i++)
            v = v << 8 | p[2 + i];
        *hl = 2 + n;
        *vl = v;
    }
    return *vl <= avail - *hl ? 0 : -1;
}

/* Writes tag and the minimal DER length of len at o; returns the bytes. */
static size_t der_put_header(uint8_t *o, uint8_t tag, size_t len)
{
    size_t n = 0, k;

    o[0] = tag;
    if (len < 0x80) {
        o[1] = (uint8_t)len;
        return 2;
    }
    for (k = len; k; k >>= 8)
        n++;
    o[1] = (uint8_t)(0x80 | n);
    for (k = 0; k < n; k++)
        o[2 + k] = (uint8_t)(len >> (8 * (n - 1 - k)));
    return 2 + n;
}

/* A copy of the certificate der whose serial number is not in minimal
** form (redundant leading 0x00 or 0xFF octets, which d2i_X509 refuses as
** "illegal padding") with the serial shortened to its minimal form: the
** same value, and everything else byte for byte. NULL when der has no
** such serial (or no memory); *outlen is the copy's length. Logs hold
** such certificates (negative_serial.pem of the CT test data), and a
** monitor must not let sloppy encoding hide one. */
static uint8_t *der_fix_serial(const uint8_t *der, size_t len,
                               size_t *outlen)
{
    size_t oh, ov, th, tv, sh, sv, vh, vv, k = 0, pre, post, ns, ntv, n;
    const uint8_t *tbs, *q, *v;
    uint8_t *out, hdr[8];

    if (len < 2 || der[0] != 0x30 || der_header(der, len, &oh, &ov) ||
        oh + ov != len)
        return NULL;
    tbs = der + oh;
    if (ov < 2 || tbs[0] != 0x30 || der_header(tbs, ov, &th, &tv))
        return NULL;
    q = tbs + th;
    if (tv >= 2 && q[0] == 0xa0) {          /* [0] version */
        if (der_header(q, tv, &vh, &vv))
            return NULL;
        q += vh + vv;
    }
    if ((size_t)(q - tbs) + 2 > th + tv || q[0] != 0x02 ||
        der_header(q, th + tv - (size_t)(q - tbs), &sh, &sv))
        return NULL;
    v = q + sh;
    while (sv - k >= 2 && ((v[k] == 0xff && (v[k + 1] & 0x80)) ||
                           (v[k] == 0x00 && !(v[k + 1] & 0x80))))
        k++;
    if (k == 0)
        return NULL;
    pre = (size_t)(q - (tbs + th));         /* tbs bytes before the serial */
    post = tv - pre - sh - sv;              /* and after it */
    ns = der_put_header(hdr, 0x02, sv - k) + sv - k;
    ntv = pre + ns + post;
    if (!(out = malloc(len + 16)))
        return NULL;
    n = der_put_header(out, 0x30, der_put_header(hdr, 0x30, ntv) + ntv +
                                  (ov - th - tv));
    n += der_put_header(out + n, 0x30, ntv);
    memcpy(out + n, tbs + th, pre);
    n += pre;
    n += der_put_header(out + n, 0x02, sv - k);
    memcpy(out + n, v + k, sv - k);
    n += sv - k;
    memcpy(out + n, v + sv, post);
    n += post;
    memcpy(out + n, tbs + th + tv, ov - th - tv);   /* signature parts */
    n += ov - th - tv;
    *outlen = n;
    return out;
}

/* parse_der, and when that fails for a serial number in non-minimal form
** only, the parse of the corrected copy; *lenient is then set. */
static X509 *parse_der_lenient(const uint8_t *der, size_t len, int *lenient)
{
    X509 *x = parse_der(der, len);
    uint8_t *fixed;
    size_t flen;

    if (x || !(fixed = der_fix_serial(der, len, &flen)))
        return x;
    x = parse_der(fixed, flen);
    free(fixed);
    if (x)
        *lenient = 1;
    return x;
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
    int one_lenient = 0;
    X509 *x;

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
    if (!(x = parse_der_lenient(c->p, c->len, &one_lenient)))
        return -1;
    jb_init(&one);
    write_cert(&one, x, c->p, c->len, 0, 1);
    X509_free(x);
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
    X509 *leaf = parse_der_lenient(in->der, in->der_len, &leaf_lenient);
    size_t i, skipped = 0;

    if (!leaf) {
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
    write_cert(out, leaf, in->der, in->der_len, in->is_precert, in->full);
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

    X509_free(leaf);
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
