/*
** x509_ext.c: certificate extensions -> certstream-server-go's texts.
*/
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>

#include "ct/x509_ext.h"

void x509_sb_add(struct x509_sbuf *s, const void *data, size_t n)
{
    s->present = 1;
    if (s->failed)
        return;
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 64;
        char *p;
        while (cap < s->len + n + 1)
            cap *= 2;
        if (!(p = realloc(s->p, cap))) {
            s->failed = 1;
            return;
        }
        s->p = p;
        s->cap = cap;
    }
    if (n)
        memcpy(s->p + s->len, data, n);
    s->len += n;
    s->p[s->len] = '\0';
}

void x509_sb_cstr(struct x509_sbuf *s, const char *str)
{
    x509_sb_add(s, str, strlen(str));
}

/* Appends ", " first unless s is empty: the separator Go's commaAppend
** puts between extension items. */
void x509_sb_item(struct x509_sbuf *s, const char *prefix,
                  const void *data, size_t n)
{
    if (s->len)
        x509_sb_add(s, ", ", 2);
    x509_sb_cstr(s, prefix);
    x509_sb_add(s, data, n);
}

void x509_sb_free(struct x509_sbuf *s)
{
    free(s->p);
    memset(s, 0, sizeof *s);
}

/* Lower-case "keyid:aa:bb:..." as certstream-server-go prints key ids. */
static void sb_keyid(struct x509_sbuf *s, const ASN1_OCTET_STRING *id)
{
    const unsigned char *p = id ? ASN1_STRING_get0_data(id) : NULL;
    int i, n = id ? ASN1_STRING_length(id) : 0;
    static const char lower[] = "0123456789abcdef";
    char hex[3] = { ':' };

    x509_sb_cstr(s, "keyid:");
    for (i = 0; i < n; i++) {
        hex[1] = lower[p[i] >> 4];
        hex[2] = lower[p[i] & 15];
        x509_sb_add(s, i ? hex : hex + 1, i ? 3 : 2);
    }
}

/* An IP address as Go's net.IP.String(): IPv4 dotted, IPv4-mapped IPv6
** too, other IPv6 in RFC 5952 form. */
static void sb_ip(struct x509_sbuf *s, const ASN1_OCTET_STRING *ip)
{
    static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                          0xFF, 0xFF };
    const unsigned char *p = ASN1_STRING_get0_data(ip);
    int n = ASN1_STRING_length(ip);
    char txt[INET6_ADDRSTRLEN];

    if (n == 16 && memcmp(p, v4mapped, 12) == 0) {
        p += 12;
        n = 4;
    }
    if ((n == 4 && inet_ntop(AF_INET, p, txt, sizeof txt)) ||
        (n == 16 && inet_ntop(AF_INET6, p, txt, sizeof txt))) {
        x509_sb_item(s, "IP Address:", txt, strlen(txt));
    } else {
        x509_sb_item(s, "IP Address:", "?", 1);   /* Go: "?" + hex; rare */
    }
}

void x509_ext_gather(X509 *x, int is_precert, struct x509_ext_fields *c)
{
    static const char *ku_words[] = {
        "Digital Signature", "Content Commitment", "Key Encipherment",
        "Data Encipherment", "Key Agreement", "Certificate Signing",
        "CRL Signing", "Encipher Only", "Decipher Only",
    };
    int crit, i;
    BASIC_CONSTRAINTS *bc;
    AUTHORITY_KEYID *aki;
    ASN1_OCTET_STRING *ski;
    AUTHORITY_INFO_ACCESS *aia;
    CERTIFICATEPOLICIES *pol;
    ASN1_BIT_STRING *ku;

    bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
    if (bc) {
        c->is_ca = bc->ca != 0;
        BASIC_CONSTRAINTS_free(bc);
    }
    if (crit >= 0)
        x509_sb_cstr(&c->bc, c->is_ca ? "CA:TRUE" : "CA:FALSE");

    aki = X509_get_ext_d2i(x, NID_authority_key_identifier, &crit, NULL);
    if (crit >= 0)
        sb_keyid(&c->aki, aki ? aki->keyid : NULL);
    AUTHORITY_KEYID_free(aki);

    ski = X509_get_ext_d2i(x, NID_subject_key_identifier, &crit, NULL);
    if (crit >= 0)
        sb_keyid(&c->ski, ski);
    ASN1_OCTET_STRING_free(ski);

    aia = X509_get_ext_d2i(x, NID_info_access, &crit, NULL);
    if (crit >= 0)
        x509_sb_add(&c->aia, "", 0);
    for (int pass = 0; aia && pass < 2; pass++) {
        /* CA issuers first, then OCSP, as Go groups them */
        int want = pass == 0 ? NID_ad_ca_issuers : NID_ad_OCSP;
        for (i = 0; i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
            ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
            if (OBJ_obj2nid(ad->method) != want ||
                ad->location->type != GEN_URI)
                continue;
            x509_sb_item(&c->aia, "URI:",
                    ASN1_STRING_get0_data(ad->location->d.uniformResourceIdentifier),
                    (size_t)ASN1_STRING_length(ad->location->d.uniformResourceIdentifier));
        }
    }
    AUTHORITY_INFO_ACCESS_free(aia);

    pol = X509_get_ext_d2i(x, NID_certificate_policies, &crit, NULL);
    if (crit >= 0)
        x509_sb_add(&c->policies, "", 0);
    for (i = 0; pol && i < sk_POLICYINFO_num(pol); i++) {
        char oid[128];
        POLICYINFO *pi = sk_POLICYINFO_value(pol, i);
        if (OBJ_obj2txt(oid, sizeof oid, pi->policyid, 1) <= 0)
            continue;
        x509_sb_cstr(&c->policies, "Policy: ");
        x509_sb_cstr(&c->policies, oid);
        x509_sb_add(&c->policies, "\n", 1);
    }
    CERTIFICATEPOLICIES_free(pol);

    ku = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);
    if (crit >= 0)
        x509_sb_add(&c->ku, "", 0);
    for (i = 0; ku && i < 9; i++)
        if (ASN1_BIT_STRING_get_bit(ku, i))
            x509_sb_item(&c->ku, "", ku_words[i], strlen(ku_words[i]));
    ASN1_BIT_STRING_free(ku);

    c->gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
    if (crit >= 0)
        x509_sb_add(&c->san, "", 0);
    for (int pass = 0; c->gens && pass < 3; pass++) {
        /* DNS names, then e-mail addresses, then IPs, as Go groups them */
        static const int types[] = { GEN_DNS, GEN_EMAIL, GEN_IPADD };
        static const char *prefix[] = { "DNS:", "email:", "" };
        for (i = 0; i < sk_GENERAL_NAME_num(c->gens); i++) {
            GENERAL_NAME *g = sk_GENERAL_NAME_value(c->gens, i);
            if (g->type != types[pass])
                continue;
            if (g->type == GEN_IPADD)
                sb_ip(&c->san, g->d.iPAddress);
            else
                x509_sb_item(&c->san, prefix[pass],
                        ASN1_STRING_get0_data(g->d.ia5),
                        (size_t)ASN1_STRING_length(g->d.ia5));
        }
    }
    c->poison = is_precert ||
                X509_get_ext_by_NID(x, NID_ct_precert_poison, -1) >= 0;
}

void x509_ext_free(struct x509_ext_fields *c)
{
    x509_sb_free(&c->aia);
    x509_sb_free(&c->aki);
    x509_sb_free(&c->bc);
    x509_sb_free(&c->policies);
    x509_sb_free(&c->ku);
    x509_sb_free(&c->san);
    x509_sb_free(&c->ski);
    GENERAL_NAMES_free(c->gens);
}

static void write_opt(struct json_buf *b, const char *key,
                      const struct x509_sbuf *s)
{
    if (s->present && !s->failed) {
        jb_key(b, key);
        jb_str(b, s->p ? s->p : "", s->len);
    }
}

void x509_ext_write(struct json_buf *b, const struct x509_ext_fields *c)
{
    jb_key(b, "extensions");
    jb_obj_begin(b);
    write_opt(b, "authorityInfoAccess", &c->aia);
    write_opt(b, "authorityKeyIdentifier", &c->aki);
    write_opt(b, "basicConstraints", &c->bc);
    write_opt(b, "certificatePolicies", &c->policies);
    write_opt(b, "keyUsage", &c->ku);
    write_opt(b, "subjectAltName", &c->san);
    write_opt(b, "subjectKeyIdentifier", &c->ski);
    if (c->poison) {
        jb_key(b, "ctlPoisonByte");
        jb_bool(b, 1);
    }
    jb_obj_end(b);
}
