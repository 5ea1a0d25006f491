/*
** x509_view.c: the decoded certificate both readers fill, and the
** formatting they share.
*/
#include <arpa/inet.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ct/x509_view.h"

const char *const x509_name_keys[X509_NAME_FIELDS] = {
    "C", "CN", "L", "O", "OU", "ST", "emailAddress",
};

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

/* The view's strings besides the names, by name and place: what
** x509_view_free releases and x509_view_diff compares. */
static const struct {
    const char *name;
    size_t offset;
} sb_fields[] = {
    { "cns", offsetof(struct x509_view, cns) },
    { "dns", offsetof(struct x509_view, dns) },
    { "serial", offsetof(struct x509_view, serial) },
    { "aia", offsetof(struct x509_view, aia) },
    { "aki", offsetof(struct x509_view, aki) },
    { "bc", offsetof(struct x509_view, bc) },
    { "policies", offsetof(struct x509_view, policies) },
    { "ku", offsetof(struct x509_view, ku) },
    { "san", offsetof(struct x509_view, san) },
    { "ski", offsetof(struct x509_view, ski) },
};
#define N_SB_FIELDS (sizeof sb_fields / sizeof sb_fields[0])

static struct x509_sbuf *sb_field(struct x509_view *v, size_t i)
{
    return (struct x509_sbuf *)((char *)v + sb_fields[i].offset);
}

static const struct x509_sbuf *sb_field_c(const struct x509_view *v,
                                          size_t i)
{
    return (const struct x509_sbuf *)((const char *)v + sb_fields[i].offset);
}

static void name_view_free(struct x509_name_view *nv)
{
    for (size_t i = 0; i < X509_NAME_FIELDS; i++)
        x509_sb_free(&nv->val[i]);
}

void x509_view_free(struct x509_view *v)
{
    name_view_free(&v->subject);
    name_view_free(&v->issuer);
    for (size_t i = 0; i < N_SB_FIELDS; i++)
        x509_sb_free(sb_field(v, i));
    memset(v, 0, sizeof *v);
}

void x509_view_name_add(struct x509_name_view *nv, struct x509_sbuf *cns,
                        int f, const void *p, size_t n)
{
    if (nv->val[f].present)
        x509_sb_add(&nv->val[f], ",", 1);
    x509_sb_add(&nv->val[f], p, n);
    if (cns && f == X509_NAME_CN)
        x509_view_list_add(cns, p, n);
}

void x509_view_alt_name(struct x509_view *v, enum x509_alt_kind kind,
                        const uint8_t *p, size_t n)
{
    if (kind == X509_ALT_IP) {
        x509_view_ip(&v->san, p, n);
        return;
    }
    x509_sb_item(&v->san, kind == X509_ALT_DNS ? "DNS:" : "email:", p, n);
    if (kind == X509_ALT_DNS)
        x509_view_list_add(&v->dns, p, n);
}

void x509_view_policy(struct x509_view *v, const char *oid, size_t n)
{
    x509_sb_cstr(&v->policies, "Policy: ");
    x509_sb_add(&v->policies, oid, n);
    x509_sb_add(&v->policies, "\n", 1);
}

void x509_view_basic_constraints(struct x509_view *v, int is_ca)
{
    v->is_ca = is_ca;
    x509_sb_cstr(&v->bc, is_ca ? "CA:TRUE" : "CA:FALSE");
}

void x509_view_list_add(struct x509_sbuf *list, const void *p, size_t n)
{
    x509_sb_add(list, &n, sizeof n);
    x509_sb_add(list, p, n);
}

int x509_view_list_next(const struct x509_sbuf *list, size_t *pos,
                        const char **p, size_t *n)
{
    if (list->failed || !list->p || *pos + sizeof *n > list->len)
        return 0;
    memcpy(n, list->p + *pos, sizeof *n);
    *p = list->p + *pos + sizeof *n;
    *pos += sizeof *n + *n;
    return 1;
}

void x509_view_keyid(struct x509_sbuf *s, const uint8_t *id, size_t n)
{
    static const char lower[] = "0123456789abcdef";
    char hex[3] = { ':' };
    size_t i;

    x509_sb_cstr(s, "keyid:");
    for (i = 0; i < n; i++) {
        hex[1] = lower[id[i] >> 4];
        hex[2] = lower[id[i] & 15];
        x509_sb_add(s, i ? hex : hex + 1, i ? 3 : 2);
    }
}

/* IPv4 dotted, IPv4-mapped IPv6 too, other IPv6 in RFC 5952 form (what
** inet_ntop writes). */
void x509_view_ip(struct x509_sbuf *s, const uint8_t *ip, size_t n)
{
    static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                          0xFF, 0xFF };
    char txt[INET6_ADDRSTRLEN];

    if (n == 16 && memcmp(ip, v4mapped, 12) == 0) {
        ip += 12;
        n = 4;
    }
    if ((n == 4 && inet_ntop(AF_INET, ip, txt, sizeof txt)) ||
        (n == 16 && inet_ntop(AF_INET6, ip, txt, sizeof txt)))
        x509_sb_item(s, "IP Address:", txt, strlen(txt));
    else
        x509_sb_item(s, "IP Address:", "?", 1);   /* Go: "?" + hex; rare */
}

void x509_view_key_usage(struct x509_sbuf *s, const uint8_t *bits, size_t n)
{
    static const char *const words[] = {
        "Digital Signature", "Content Commitment", "Key Encipherment",
        "Data Encipherment", "Key Agreement", "Certificate Signing",
        "CRL Signing", "Encipher Only", "Decipher Only",
    };
    size_t i;

    x509_sb_add(s, "", 0);
    for (i = 0; i < sizeof words / sizeof words[0]; i++)
        if (i / 8 < n && (bits[i / 8] & (0x80 >> (i % 8))))
            x509_sb_item(s, "", words[i], strlen(words[i]));
}

void x509_view_serial(struct x509_sbuf *s, int negative, const uint8_t *mag,
                      size_t n)
{
    static const char hex_upper[] = "0123456789ABCDEF";
    char hex[2];

    while (n > 0 && mag[0] == 0)
        mag++, n--;
    if (negative && n > 0)
        x509_sb_add(s, "-", 1);
    if (n == 0)
        x509_sb_add(s, "00", 2);
    for (; n > 0; mag++, n--) {
        hex[0] = hex_upper[*mag >> 4];
        hex[1] = hex_upper[*mag & 15];
        x509_sb_add(s, hex, 2);
    }
}

/* The OIDs of Go's x509.SignatureAlgorithm values that have a name by
** their OID alone, as DER content bytes. */
static const struct {
    uint8_t len;
    uint8_t oid[9];
    const char *name;
} signature_names[] = {
    { 9, { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B }, "sha256, rsa" },
    { 8, { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02 }, "ecdsa, sha256" },
    { 8, { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03 }, "ecdsa, sha384" },
    { 9, { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0C }, "sha384, rsa" },
    { 9, { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0D }, "sha512, rsa" },
    { 9, { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x05 }, "sha1, rsa" },
    { 9, { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x04 }, "md5, rsa" },
    { 9, { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x02 }, "md2, rsa" },
    { 7, { 0x2A, 0x86, 0x48, 0xCE, 0x38, 0x04, 0x03 }, "dsa, sha1" },
    { 9, { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x02 }, "dsa, sha256" },
    { 7, { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x01 }, "ecdsa, sha1" },
    { 8, { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x04 }, "ecdsa, sha512" },
    { 3, { 0x2B, 0x65, 0x70 }, "ed25519" },
};

const char *x509_view_signature_name(const uint8_t *oid, size_t n)
{
    size_t i;

    for (i = 0; i < sizeof signature_names / sizeof signature_names[0]; i++)
        if (signature_names[i].len == n &&
            memcmp(signature_names[i].oid, oid, n) == 0)
            return signature_names[i].name;
    return NULL;
}

static int sb_equal(const struct x509_sbuf *a, const struct x509_sbuf *b)
{
    return a->present == b->present && a->failed == b->failed &&
           a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

const char *x509_view_diff(const struct x509_view *a,
                           const struct x509_view *b)
{
    size_t i;

    for (i = 0; i < X509_NAME_FIELDS; i++) {
        if (!sb_equal(&a->subject.val[i], &b->subject.val[i]))
            return "subject";
        if (!sb_equal(&a->issuer.val[i], &b->issuer.val[i]))
            return "issuer";
    }
    for (i = 0; i < N_SB_FIELDS; i++)
        if (!sb_equal(sb_field_c(a, i), sb_field_c(b, i)))
            return sb_fields[i].name;
    if (!a->signature != !b->signature ||
        (a->signature && strcmp(a->signature, b->signature) != 0))
        return "signature";
    if (a->not_before != b->not_before)
        return "not_before";
    if (a->not_after != b->not_after)
        return "not_after";
    if (a->is_ca != b->is_ca)
        return "is_ca";
    if (a->poison != b->poison)
        return "poison";
    return NULL;
}
