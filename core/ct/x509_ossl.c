/*
** x509_ossl.c: a certificate read through OpenSSL's d2i_X509 -> the view.
*/
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>

#include "ct/x509_ossl.h"

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

X509 *x509_ossl_parse(const uint8_t *der, size_t len, int *lenient)
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

static const int name_nids[X509_NAME_FIELDS] = {
    NID_countryName, NID_commonName, NID_localityName,
    NID_organizationName, NID_organizationalUnitName,
    NID_stateOrProvinceName, NID_pkcs9_emailAddress,
};

/* Each attribute's values joined with ",", in DER order; each CN also
** on its own into cns when cns is not NULL. */
static void view_name(const X509_NAME *name, struct x509_name_view *nv,
                      struct x509_sbuf *cns)
{
    int i, n = X509_NAME_entry_count(name);
    size_t f;

    for (i = 0; i < n; i++) {
        const X509_NAME_ENTRY *ne = X509_NAME_get_entry(name, i);
        int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(ne));
        struct x509_sbuf one = { 0 };

        for (f = 0; f < X509_NAME_FIELDS && name_nids[f] != nid; f++)
            ;
        if (f == X509_NAME_FIELDS)
            continue;
        sb_asn1_string(&one, X509_NAME_ENTRY_get_data(ne));
        x509_view_name_add(nv, cns, (int)f, one.p ? one.p : "", one.len);
        if (one.failed) {                       /* no memory: null */
            nv->val[f].failed = 1;
            if (cns && f == X509_NAME_CN)
                cns->failed = 1;
        }
        x509_sb_free(&one);
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

static void view_serial(X509 *x, struct x509_sbuf *s)
{
    const ASN1_INTEGER *ai = X509_get0_serialNumber(x);
    BIGNUM *bn = ai ? ASN1_INTEGER_to_BN(ai, NULL) : NULL;
    unsigned char *bin;
    int n;

    if (!bn)
        return;                 /* absent: null */
    n = BN_num_bytes(bn);
    if ((bin = malloc(n > 0 ? (size_t)n : 1))) {
        BN_bn2bin(bn, bin);
        x509_view_serial(s, BN_is_negative(bn), bin, (size_t)n);
    } else {
        s->present = s->failed = 1;
    }
    free(bin);
    BN_free(bn);
}

/* certstream-server-go's names, RSA-PSS by the hash of its parameters. */
static const char *signature_name(X509 *x)
{
    const X509_ALGOR *alg = NULL;
    const ASN1_OBJECT *obj = NULL;
    int mdnid = NID_undef, pknid = NID_undef;
    const char *name = NULL;

    X509_get0_signature(NULL, &alg, x);
    if (alg)
        X509_ALGOR_get0(&obj, NULL, NULL, alg);
    if (obj && OBJ_length(obj) > 0)
        name = x509_view_signature_name(OBJ_get0_data(obj),
                                        OBJ_length(obj));
    if (name)
        return name;
    if (X509_get_signature_nid(x) == NID_rsassaPss &&
        X509_get_signature_info(x, &mdnid, &pknid, NULL, NULL)) {
        if (mdnid == NID_sha256) return "sha256, rsa-pss";
        if (mdnid == NID_sha384) return "sha384, rsa-pss";
        if (mdnid == NID_sha512) return "sha512, rsa-pss";
    }
    return "unknown";
}

static void view_extensions(X509 *x, struct x509_view *v)
{
    int crit, i;
    BASIC_CONSTRAINTS *bc;
    AUTHORITY_KEYID *aki;
    ASN1_OCTET_STRING *ski;
    AUTHORITY_INFO_ACCESS *aia;
    CERTIFICATEPOLICIES *pol;
    ASN1_BIT_STRING *ku;
    GENERAL_NAMES *gens;

    bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
    if (crit >= 0)      /* present; CA:FALSE when it does not decode */
        x509_view_basic_constraints(v, bc && bc->ca != 0);
    BASIC_CONSTRAINTS_free(bc);

    aki = X509_get_ext_d2i(x, NID_authority_key_identifier, &crit, NULL);
    if (crit >= 0)
        x509_view_keyid(&v->aki, aki && aki->keyid ? aki->keyid->data : NULL,
                        aki && aki->keyid ? (size_t)aki->keyid->length : 0);
    AUTHORITY_KEYID_free(aki);

    ski = X509_get_ext_d2i(x, NID_subject_key_identifier, &crit, NULL);
    if (crit >= 0)
        x509_view_keyid(&v->ski, ski ? ski->data : NULL,
                        ski ? (size_t)ski->length : 0);
    ASN1_OCTET_STRING_free(ski);

    aia = X509_get_ext_d2i(x, NID_info_access, &crit, NULL);
    if (crit >= 0)
        x509_sb_add(&v->aia, "", 0);
    for (int pass = 0; aia && pass < 2; pass++) {
        /* CA issuers first, then OCSP, as Go groups them */
        int want = pass == 0 ? NID_ad_ca_issuers : NID_ad_OCSP;
        for (i = 0; i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
            ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
            const ASN1_IA5STRING *uri;
            if (OBJ_obj2nid(ad->method) != want ||
                ad->location->type != GEN_URI)
                continue;
            uri = ad->location->d.uniformResourceIdentifier;
            x509_sb_item(&v->aia, "URI:", ASN1_STRING_get0_data(uri),
                         (size_t)ASN1_STRING_length(uri));
        }
    }
    AUTHORITY_INFO_ACCESS_free(aia);

    pol = X509_get_ext_d2i(x, NID_certificate_policies, &crit, NULL);
    if (crit >= 0)
        x509_sb_add(&v->policies, "", 0);
    for (i = 0; pol && i < sk_POLICYINFO_num(pol); i++) {
        POLICYINFO *pi = sk_POLICYINFO_value(pol, i);
        /* sized to the text: a fixed buffer cut long OIDs mid-arc */
        int n = OBJ_obj2txt(NULL, 0, pi->policyid, 1);
        char *oid = n > 0 ? malloc((size_t)n + 1) : NULL;
        if (oid && OBJ_obj2txt(oid, n + 1, pi->policyid, 1) == n) {
            x509_view_policy(v, oid, (size_t)n);
        } else if (n > 0) {
            v->policies.failed = 1;         /* no memory */
        }
        free(oid);
    }
    CERTIFICATEPOLICIES_free(pol);

    ku = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);
    if (crit >= 0)
        x509_view_key_usage(&v->ku, ku ? ku->data : NULL,
                            ku ? (size_t)ku->length : 0);
    ASN1_BIT_STRING_free(ku);

    gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
    if (crit >= 0)
        x509_sb_add(&v->san, "", 0);
    for (int pass = 0; gens && pass < 3; pass++) {
        /* DNS names, then e-mail addresses, then IPs, as Go groups them */
        static const int types[] = { GEN_DNS, GEN_EMAIL, GEN_IPADD };
        static const enum x509_alt_kind kinds[] = { X509_ALT_DNS,
                                                    X509_ALT_EMAIL,
                                                    X509_ALT_IP };
        for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
            GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
            const ASN1_STRING *s = g->d.ia5;    /* every type used here */
            if (g->type == types[pass])
                x509_view_alt_name(v, kinds[pass], s->data,
                                   (size_t)s->length);
        }
    }
    GENERAL_NAMES_free(gens);
    v->poison = X509_get_ext_by_NID(x, NID_ct_precert_poison, -1) >= 0;
}

void x509_ossl_view(X509 *x, int is_precert, struct x509_view *v)
{
    view_name(X509_get_subject_name(x), &v->subject, &v->cns);
    view_name(X509_get_issuer_name(x), &v->issuer, NULL);
    view_serial(x, &v->serial);
    v->signature = signature_name(x);
    v->not_before = asn1_time_unix(X509_get0_notBefore(x));
    v->not_after = asn1_time_unix(X509_get0_notAfter(x));
    view_extensions(x, v);
    v->poison |= is_precert;
}
