/*
** x509_view.h: what a CertStream message says about one certificate,
** decoded and formatted, before it is written as JSON.
**
** Two readers fill it: x509_der.c walks the DER itself (the fast path,
** for certificates whose every field it understands) and x509_ossl.c
** goes through OpenSSL's d2i_X509 (everything else). Both format through
** the helpers here, so a value reads the same whichever reader took the
** certificate; test_x509_der holds them to byte-identical messages.
*/
#ifndef CERTMON_X509_VIEW_H
#define CERTMON_X509_VIEW_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte string for values assembled piecewise (joined names,
** extension texts). Errors make it "failed"; the writer puts null. */
struct x509_sbuf {
    char *p;
    size_t len, cap;
    int failed;
    int present;          /* something was added, even an empty string */
};

/* Appends n bytes (and keeps a NUL after them); marks s present. */
void x509_sb_add(struct x509_sbuf *s, const void *data, size_t n);
void x509_sb_cstr(struct x509_sbuf *s, const char *str);
/* Appends ", " first unless s is empty: the separator Go's commaAppend
** puts between extension items. */
void x509_sb_item(struct x509_sbuf *s, const char *prefix,
                  const void *data, size_t n);
void x509_sb_free(struct x509_sbuf *s);

/* The name attributes a CertStream subject/issuer object carries, in the
** order "aggregated" lists them; emailAddress last. */
enum {
    X509_NAME_C, X509_NAME_CN, X509_NAME_L, X509_NAME_O, X509_NAME_OU,
    X509_NAME_ST, X509_NAME_EMAIL, X509_NAME_FIELDS
};
extern const char *const x509_name_keys[X509_NAME_FIELDS];

struct x509_name_view {
    struct x509_sbuf val[X509_NAME_FIELDS];   /* values joined with "," */
};

struct x509_view {
    struct x509_name_view subject, issuer;
    /* each subject CN on its own (it may hold "," or NUL): a run of
    ** (size_t length, bytes) records, for all_domains */
    struct x509_sbuf cns;
    /* the SAN DNS names in certificate order, same record format */
    struct x509_sbuf dns;
    struct x509_sbuf serial;                  /* hex as Go prints it */
    const char *signature;                    /* "sha256, rsa", ... */
    int64_t not_before, not_after;            /* Unix seconds, 0 if bad */
    int is_ca;
    /* extension texts, certstream-server-go's; absent unless present */
    struct x509_sbuf aia, aki, bc, policies, ku, san, ski;
    int poison;
};

/* Releases what v holds and zeroes it. */
void x509_view_free(struct x509_view *v);

/* Adds one value of name attribute f (X509_NAME_C ...) to nv, joined to
** the earlier ones with ",", and a CN also on its own to cns unless cns
** is NULL: how both readers build subject and issuer. */
void x509_view_name_add(struct x509_name_view *nv, struct x509_sbuf *cns,
                        int f, const void *p, size_t n);

/* The SAN kinds the message shows. */
enum x509_alt_kind { X509_ALT_DNS, X509_ALT_EMAIL, X509_ALT_IP };

/* Adds one SAN item to v->san ("DNS:...", "email:...", "IP Address:...");
** a DNS name also to v->dns, for all_domains. */
void x509_view_alt_name(struct x509_view *v, enum x509_alt_kind kind,
                        const uint8_t *p, size_t n);

/* Adds "Policy: <oid>\n" to v->policies, oid the dotted text. */
void x509_view_policy(struct x509_view *v, const char *oid, size_t n);

/* Sets is_ca and the basicConstraints text. */
void x509_view_basic_constraints(struct x509_view *v, int is_ca);

/* Appends one (length, bytes) record to a cns/dns list. */
void x509_view_list_add(struct x509_sbuf *list, const void *p, size_t n);

/* Steps through a record list: *pos starts at 0. Returns 1 and sets *p,
** *n for the next record, 0 at the end. */
int x509_view_list_next(const struct x509_sbuf *list, size_t *pos,
                        const char **p, size_t *n);

/* "keyid:aa:bb:..." (lower-case), certstream-server-go's key ids. */
void x509_view_keyid(struct x509_sbuf *s, const uint8_t *id, size_t n);

/* One SAN IP address item as Go's net.IP.String() prints it. */
void x509_view_ip(struct x509_sbuf *s, const uint8_t *ip, size_t n);

/* The keyUsage text of the named bits of a BIT STRING's bytes (unused
** bits already zero). */
void x509_view_key_usage(struct x509_sbuf *s, const uint8_t *bits,
                         size_t n);

/* The serial as Go's "%X" of a big.Int, padded to even length: "-" first
** when negative, then the n magnitude bytes (leading zeros skipped), "00"
** for zero. */
void x509_view_serial(struct x509_sbuf *s, int negative, const uint8_t *mag,
                      size_t n);

/* certstream-server-go's name for a signature algorithm given the DER
** content of its OID, or NULL when it has none here (RSA-PSS, whose name
** depends on the parameters, and unknown ones). */
const char *x509_view_signature_name(const uint8_t *oid, size_t n);

/* The first field in which a and b differ ("subject", "san", ...), or
** NULL when they would write the same message: how test_x509_der and
** fuzz_x509_der hold the two readers to each other. */
const char *x509_view_diff(const struct x509_view *a,
                           const struct x509_view *b);

#endif
