/*
** x509_ext.h: the extension texts of a certificate as certstream-server-go
** renders them (authorityInfoAccess ... subjectKeyIdentifier,
** ctlPoisonByte), and the string builder they are assembled in, shared
** with x509_message.c.
*/
#ifndef CERTMON_X509_EXT_H
#define CERTMON_X509_EXT_H

#include <stddef.h>

#include <openssl/x509v3.h>

#include "json_buf.h"

/* A growable byte string for values assembled piecewise (joined names,
** extension texts). Errors make it "failed"; the caller writes null. */
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

/* Everything one certificate contributes, gathered before writing. */
struct x509_ext_fields {
    int is_ca;
    struct x509_sbuf aia, aki, bc, policies, ku, san, ski;
    int poison;
    GENERAL_NAMES *gens;
};

/* Fills c (zeroed by the caller) from x's extensions; c->gens keeps the
** SAN names for all_domains. Release with x509_ext_free. */
void x509_ext_gather(X509 *x, int is_precert, struct x509_ext_fields *c);

/* Writes "extensions": {...}, the texts present in c, Go's key order. */
void x509_ext_write(struct json_buf *b, const struct x509_ext_fields *c);

void x509_ext_free(struct x509_ext_fields *c);

#endif
