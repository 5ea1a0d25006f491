/*
** test_x509_der.c: the DER reader against the OpenSSL reader.
**
** Every certificate here is read both ways. Whenever the DER reader
** takes one, OpenSSL must take it too (without correcting its serial)
** and both views must be equal in every field, so the messages written
** from them are byte-identical. The certificates: every one in the CT
** fixtures (tile entries, get-entries leaves and chains, the stated
** certificates), the system's CA bundle when there is one, certificates
** built here for the awkward cases, and damaged copies of all of them
** (bytes replaced at random, deterministically), which probe every
** boundary between "taken" and "declined".
*/
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/conf.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "ct/ct_entry.h"
#include "ct/x509_der.h"
#include "ct/x509_ossl.h"
#include "test_ct_util.h"

struct tally {
    int certs;          /* certificates read */
    int der;            /* taken by the DER reader */
    int ossl;           /* taken by OpenSSL */
    int mismatches;     /* DER took it, and the views differ */
};

/* Reads der both ways and holds the DER reader to the OpenSSL one.
** Returns whether the DER reader took it. */
static int both_ways(const uint8_t *der, size_t len, int is_precert,
                     struct tally *t, const char *what)
{
    struct x509_view a, b;
    int took, lenient = 0;
    X509 *x;
    const char *diff = NULL;

    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    t->certs++;
    took = x509_der_view(der, len, is_precert, &a) == 0;
    if ((x = x509_ossl_parse(der, len, &lenient))) {
        t->ossl++;
        x509_ossl_view(x, is_precert, &b);
        X509_free(x);
    }
    if (took) {
        t->der++;
        if (!x)
            diff = "OpenSSL refuses it";
        else if (lenient)
            diff = "OpenSSL corrected its serial";
        else
            diff = x509_view_diff(&a, &b);
        if (diff && t->mismatches++ < 10)
            printf("#   %s (%zu bytes): %s\n", what, len, diff);
    }
    x509_view_free(&a);
    x509_view_free(&b);
    return took;
}

/* ---- the certificates ---------------------------------------------- */

struct cert_set {
    struct {
        uint8_t *der;
        size_t len;
        int precert;
    } *c;
    size_t n, cap;
};

static void set_add(struct cert_set *s, const uint8_t *der, size_t len,
                    int precert)
{
    if (!der || len == 0)
        return;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->c = realloc(s->c, s->cap * sizeof *s->c);
        if (!s->c)
            abort();
    }
    if (!(s->c[s->n].der = malloc(len)))
        abort();
    memcpy(s->c[s->n].der, der, len);
    s->c[s->n].len = len;
    s->c[s->n].precert = precert;
    s->n++;
}

static void set_free(struct cert_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->c[i].der);
    free(s->c);
}

static void add_x509(struct cert_set *s, X509 *x)
{
    uint8_t *der = NULL;
    int n = x ? i2d_X509(x, &der) : -1;

    if (n > 0)
        set_add(s, der, (size_t)n, 0);
    OPENSSL_free(der);
}

/* Every certificate of a PEM text. */
static void add_pem(struct cert_set *s, const char *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509 *x;

    while (bio && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
        add_x509(s, x);
        X509_free(x);
    }
    BIO_free(bio);
}

static void fixture_certs(struct cert_set *s)
{
    static const char *const entries[] = {
        "rfc6962/ctgo-scanner-FourEntries.get-entries.json",
        "rfc6962/ctgo-logclient-TestGetEntries.get-entries.json",
        "rfc6962/calidog-certstream-server-standard_entry.get-entries.json",
    };
    static const char *const files[] = {
        "certs/easyssl/acaline.com.der",
        "certs/easyssl/acaline.com.crt",
        "certs/easyssl/email-test.crt",
        "certs/easyssl/github.com.crt",
        "certs/google-ct-python-testdata/google_cert.der",
        "certs/google-ct-precert-testdata/ca-cert.pem",
        "certs/google-ct-precert-testdata/ca-pre-cert.pem",
        "certs/google-ct-precert-testdata/test-cert.pem",
        "certs/google-ct-precert-testdata/test-embedded-cert.pem",
        "certs/google-ct-precert-testdata/test-embedded-pre-cert.pem",
        "certs/google-ct-precert-testdata/test-embedded-with-preca-cert.pem",
        "certs/google-ct-precert-testdata/test-embedded-with-preca-pre-cert.pem",
        "certs/negative-serial/negative_serial_ff_padded.der",
        "certs/negative-serial/pyca-negative_serial.pem",
    };
    char err[256], *body;
    size_t len, i, j, k;
    struct ct_entry_list l;
    struct ct_tile t;

    if ((body = ct_fixture("static-ct/navigli2025h2/tile/data/000", &len))) {
        if (CHECK(ct_tile_parse((uint8_t *)body, len, 0, 256, &t, err,
                                sizeof err) == 0)) {
            for (i = 0; i < t.n; i++)
                set_add(s, t.entries[i].cert.p, t.entries[i].cert.len,
                        t.entries[i].type == CT_ENTRY_PRECERT);
            ct_tile_free(&t);
        }
        free(body);
    }
    for (i = 0; i < sizeof entries / sizeof entries[0]; i++) {
        if (!(body = ct_fixture(entries[i], &len)))
            continue;
        if (CHECK(ct_entries_parse_json(body, len, &l, err, sizeof err) == 0)) {
            for (j = 0; j < l.n; j++) {
                set_add(s, l.entries[j].cert.p, l.entries[j].cert.len,
                        l.entries[j].type == CT_ENTRY_PRECERT);
                for (k = 0; k < l.entries[j].n_chain; k++)
                    set_add(s, l.entries[j].chain[k].p,
                            l.entries[j].chain[k].len, 0);
            }
            ct_entry_list_free(&l);
        }
        free(body);
    }
    for (i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (!(body = ct_fixture(files[i], &len)))
            continue;
        if (strstr(body, "-----BEGIN"))
            add_pem(s, body, len);
        else
            set_add(s, (uint8_t *)body, len, 0);
        free(body);
    }
}

/* The system's CA certificates, when the machine has them: many issuers,
** decades of encoding habits. */
static void system_certs(struct cert_set *s)
{
    static const char dir[] = "/etc/ssl/certs";
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[1024];

    while (d && (de = readdir(d))) {
        size_t n = strlen(de->d_name), len;
        char *pem;
        if (n < 5 || strcmp(de->d_name + n - 4, ".pem") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if ((pem = check_slurp(path, &len))) {
            add_pem(s, pem, len);
            free(pem);
        }
    }
    if (d)
        closedir(d);
}

/* ---- certificates built here ---------------------------------------- */

struct gen_name {
    int nid, type;
    const char *v;
    int len, set;               /* set: -1 new RDN, 0 same RDN as before */
};

struct gen_spec {
    long version;
    long serial;                /* 0: a 20-byte serial with the high bit */
    const char *not_after;      /* ASN1 time text or NULL */
    struct gen_name names[6];
    struct { int nid; const char *conf; } ext[6];
    int rsa;
};

static EVP_PKEY *key_ec, *key_rsa;

/* the sections certificatePolicies values name: a CPS URI and a user
** notice with both parts */
static CONF *gen_conf;
static const char gen_conf_text[] =
    "[pol1]\n"
    "policyIdentifier = 1.3.6.1.4.1.44947.1.1.1\n"
    "CPS.1 = \"http://cps.example/\"\n"
    "userNotice.1 = @notice\n"
    "[notice]\n"
    "explicitText = \"Explicit text\"\n"
    "organization = \"Org\"\n"
    "noticeNumbers = 1, 2, 3\n";

static X509 *gen_cert(const struct gen_spec *g)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    EVP_PKEY *key = g->rsa ? key_rsa : key_ec;
    X509V3_CTX ctx;
    int i;

    X509_set_version(x, g->version);
    if (g->serial) {
        ASN1_INTEGER_set(X509_get_serialNumber(x), g->serial);
    } else {
        BIGNUM *bn = BN_new();
        BN_set_bit(bn, 159);
        BN_add_word(bn, 0x1234);
        BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
        BN_free(bn);
    }
    for (i = 0; i < 6 && g->names[i].nid; i++)
        X509_NAME_add_entry_by_NID(name, g->names[i].nid, g->names[i].type,
                                   (const unsigned char *)g->names[i].v,
                                   g->names[i].len ? g->names[i].len : -1, -1,
                                   g->names[i].set);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, name);
    ASN1_TIME_set(X509_getm_notBefore(x), 946684800);   /* 2000: UTCTime */
    if (g->not_after)
        ASN1_TIME_set_string(X509_getm_notAfter(x), g->not_after);
    else
        ASN1_TIME_set(X509_getm_notAfter(x), 1800000000);
    X509_set_pubkey(x, key);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509V3_set_nconf(&ctx, gen_conf);
    for (i = 0; i < 6 && g->ext[i].nid; i++) {
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, g->ext[i].nid,
                                                g->ext[i].conf);
        if (!CHECK(e != NULL))
            printf("#   extension %d: %s\n", g->ext[i].nid, g->ext[i].conf);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    X509_sign(x, key, EVP_sha256());
    X509_NAME_free(name);
    return x;
}

static const struct gen_spec gen_specs[] = {
    { 2, 7, NULL, { { NID_commonName, MBSTRING_ASC, "a.example", 0, -1 } },
      { { NID_subject_alt_name, "DNS:a.example,DNS:b.example,IP:192.0.2.1,"
          "IP:2001:db8::1,IP:::ffff:192.0.2.7,email:x@a.example,"
          "URI:https://a.example/" },
        { NID_basic_constraints, "critical,CA:FALSE" },
        { NID_key_usage, "critical,digitalSignature,keyEncipherment" },
        { NID_subject_key_identifier, "hash" },
        { NID_authority_key_identifier, "keyid:always" },
        { NID_info_access, "OCSP;URI:http://ocsp.example/,"
          "caIssuers;URI:http://ca.example/ca.crt" } }, 0 },
    { 2, 0, "20510101000000Z", {
        { NID_countryName, MBSTRING_ASC, "DE", 0, -1 },
        { NID_organizationName, MBSTRING_UTF8, "M\xC3\xBCller \xE6\x97\xA5", 0, -1 },
        { NID_organizationalUnitName, V_ASN1_T61STRING, "unit", 0, -1 },
        { NID_commonName, MBSTRING_ASC, "CA", 0, -1 },
        { NID_pkcs9_emailAddress, MBSTRING_ASC, "ca@example.org", 0, -1 } },
      { { NID_basic_constraints, "critical,CA:TRUE,pathlen:3" },
        { NID_key_usage, "critical,keyCertSign,cRLSign,decipherOnly" },
        { NID_certificate_policies, "2.23.140.1.2.1,@pol1,2.999.72057594037927935" } }, 1 },
    /* a multi-valued RDN, several CNs, a BMPString, NUL bytes */
    { 2, 99, NULL, {
        { NID_commonName, MBSTRING_ASC, "x.example", 0, -1 },
        { NID_organizationName, MBSTRING_ASC, "Same RDN", 0, 0 },
        { NID_commonName, V_ASN1_UTF8STRING, "y\0.example", 10, -1 },
        { NID_localityName, V_ASN1_BMPSTRING, "\0B\0\xE9", 4, -1 } },
      { { NID_subject_alt_name, "DNS:x.example" } }, 0 },
    { 2, 5, NULL, { { NID_commonName, MBSTRING_ASC, "p.example", 0, -1 },
                    { NID_stateOrProvinceName, MBSTRING_ASC, "ST", 0, -1 } },
      { { NID_ct_precert_poison, "critical,NULL" },
        { NID_authority_key_identifier, "keyid,issuer:always" },
        { NID_subject_alt_name, "otherName:1.2.3.4;UTF8:hello,DNS:p.example" } },
      0 },
    /* v1: no extensions; a negative serial */
    { 0, -42, "19991231235959Z", { { NID_commonName, MBSTRING_ASC,
                                     "old.example", 0, -1 } }, { { 0, NULL } },
      1 },
    { 2, 1, NULL, { { NID_commonName, V_ASN1_IA5STRING, "ia5.example", 0, -1 },
                    { NID_localityName, V_ASN1_UTF8STRING, "", 0, -1 } },
      { { NID_subject_alt_name, "DNS:ia5.example,IP:10.0.0.1" },
        { NID_ext_key_usage, "serverAuth,clientAuth" },
        { NID_crl_distribution_points, "URI:http://crl.example/a.crl" } }, 0 },
};

static void generated_certs(struct cert_set *s)
{
    size_t i;

    BIO *bio = BIO_new_mem_buf(gen_conf_text, -1);

    gen_conf = NCONF_new(NULL);
    key_ec = EVP_EC_gen("P-256");
    key_rsa = EVP_RSA_gen(1024);
    if (!CHECK(bio && gen_conf && NCONF_load_bio(gen_conf, bio, NULL) > 0 &&
               key_ec && key_rsa)) {
        BIO_free(bio);
        return;
    }
    BIO_free(bio);
    for (i = 0; i < sizeof gen_specs / sizeof gen_specs[0]; i++) {
        X509 *x = gen_cert(&gen_specs[i]);
        add_x509(s, x);
        X509_free(x);
    }
}

/* Found in review: certificates the DER reader took although OpenSSL
** reads them otherwise. A policy OID of 128 characters or more (the
** OpenSSL path cut it at 127, mid-arc; it now prints it whole, and the
** DER reader declines it, as OpenSSL cannot print the longest ones); a
** Name past 64 KiB (d2i_X509 refuses one past 1 MiB, so the DER reader
** stops far below). Not in the damaged-copy set: they are big. */
static void review_regressions(void)
{
    char oid100[128] = "1.2", oid140[160] = "1.2", *cn = malloc(70000);
    struct x509_view a, b;
    struct gen_spec g = { 2, 3, NULL, { { 0 } }, { { 0, NULL } }, 0 };
    char conf[200];
    int lenient = 0;
    X509 *x, *back;
    uint8_t *der = NULL;
    int n;

    while (strlen(oid100) < 100)
        strcat(oid100, ".7");
    while (strlen(oid140) < 140)
        strcat(oid140, ".7");
    for (int k = 0; k < 3 && cn; k++) {
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        memset(&g.names, 0, sizeof g.names);
        memset(&g.ext, 0, sizeof g.ext);
        g.names[0].nid = NID_organizationName;
        g.names[0].type = MBSTRING_ASC;
        g.names[0].v = "review";
        g.names[0].set = -1;
        if (k < 2) {
            snprintf(conf, sizeof conf, "%s", k ? oid140 : oid100);
            g.ext[0].nid = NID_certificate_policies;
            g.ext[0].conf = conf;
        } else {
            memset(cn, 'a', 70000);
            g.names[1].nid = NID_commonName;
            g.names[1].type = V_ASN1_UTF8STRING;
            g.names[1].v = cn;
            g.names[1].len = 70000;
            g.names[1].set = -1;
        }
        x = gen_cert(&g);
        n = i2d_X509(x, &der);
        X509_free(x);
        if (!CHECK(n > 0))
            continue;
        back = x509_ossl_parse(der, (size_t)n, &lenient);
        CHECK(back != NULL);
        if (back)
            x509_ossl_view(back, 0, &b);
        X509_free(back);
        if (k == 0) {
            /* 100 characters: both take it, alike */
            CHECK(x509_der_view(der, (size_t)n, 0, &a) == 0);
            CHECK(x509_view_diff(&a, &b) == NULL);
        } else {
            CHECK(x509_der_view(der, (size_t)n, 0, &a) < 0);
        }
        if (k == 1)     /* the OpenSSL path prints it whole */
            CHECK(b.policies.p && strstr(b.policies.p, oid140) &&
                  strstr(b.policies.p, oid140)[strlen(oid140)] == '\n');
        x509_view_free(&a);
        x509_view_free(&b);
        OPENSSL_free(der);
        der = NULL;
    }
    free(cn);
}

/* ---- damaged copies ------------------------------------------------ */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rng(void)
{
    return check_rand(&rng_state);
}

/* copies of each certificate with one to three bytes replaced, mostly in
** the to-be-signed part (the first three quarters), by values that hit
** lengths and tags: 0x00, 0x7F, 0x80, 0x81, 0xFF, the old value +/- 1,
** or anything */
static void damaged(const struct cert_set *s, int per_cert, struct tally *t)
{
    static const uint8_t special[] = { 0x00, 0x7F, 0x80, 0x81, 0xFF, 0x30,
                                       0x02, 0x0C, 0x13, 0x16, 0x1E };
    char what[64];
    size_t i;
    int k, m;

    for (i = 0; i < s->n; i++) {
        size_t len = s->c[i].len, span = len * 3 / 4 + 1;
        uint8_t *copy = malloc(len);
        for (k = 0; copy && k < per_cert; k++) {
            int edits = 1 + (int)(rng() % 3);
            memcpy(copy, s->c[i].der, len);
            for (m = 0; m < edits; m++) {
                size_t pos = rng() % span;
                uint32_t r = rng();
                switch (r % 4) {
                case 0: copy[pos] = special[(r >> 8) % sizeof special]; break;
                case 1: copy[pos]++; break;
                case 2: copy[pos]--; break;
                default: copy[pos] = (uint8_t)(r >> 8); break;
                }
            }
            snprintf(what, sizeof what, "copy %d of certificate %zu", k, i);
            both_ways(copy, len, s->c[i].precert, t, what);
        }
        free(copy);
    }
}

/* ---- the checks ---------------------------------------------------- */

static void run_set(const struct cert_set *s, struct tally *t,
                    const char *label)
{
    char what[64];

    for (size_t i = 0; i < s->n; i++) {
        snprintf(what, sizeof what, "%s certificate %zu", label, i);
        both_ways(s->c[i].der, s->c[i].len, s->c[i].precert, t, what);
    }
    printf("# %s: %d certificates, %d taken by the DER reader, %d by "
           "OpenSSL, %d mismatches\n", label, t->certs, t->der, t->ossl,
           t->mismatches);
}

int main(void)
{
    struct cert_set fix = { 0 }, sys = { 0 }, gen = { 0 };
    struct tally tf = { 0 }, ts = { 0 }, tg = { 0 }, td = { 0 };
    const char *copies = getenv("X509_DER_COPIES");
    int per_cert = copies ? atoi(copies) : 100;

    fixture_certs(&fix);
    system_certs(&sys);
    generated_certs(&gen);

    run_set(&fix, &tf, "fixtures");
    CHECK(tf.certs > 290 && tf.mismatches == 0);
    /* the fast path is the usual one: every real CT certificate but the
    ** negative serial ones takes it */
    CHECK(tf.der + 4 >= tf.certs);

    run_set(&sys, &ts, "system CAs");
    CHECK(ts.mismatches == 0);
    CHECK(ts.der >= ts.certs * 9 / 10);

    run_set(&gen, &tg, "built here");
    CHECK(tg.certs == (int)(sizeof gen_specs / sizeof gen_specs[0]));
    CHECK(tg.mismatches == 0);
    /* declined: BMPString, otherName, negative serial */
    CHECK(tg.der == tg.certs - 3);

    review_regressions();

    damaged(&fix, per_cert, &td);
    damaged(&sys, per_cert / 10, &td);
    damaged(&gen, per_cert * 10, &td);
    printf("# damaged copies: %d, %d taken by the DER reader, %d by OpenSSL, "
           "%d mismatches\n", td.certs, td.der, td.ossl, td.mismatches);
    CHECK(td.mismatches == 0);
    /* not vacuous: many damaged copies were taken by both */
    CHECK(td.der > td.certs / 10);

    set_free(&fix);
    set_free(&sys);
    set_free(&gen);
    EVP_PKEY_free(key_ec);
    EVP_PKEY_free(key_rsa);
    NCONF_free(gen_conf);
    return check_done();
}
