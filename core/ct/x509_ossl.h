/*
** x509_ossl.h: the certificate reader that goes through OpenSSL's
** d2i_X509, for every certificate the DER reader (x509_der.h) does not
** take: unusual string types, odd extensions, BER encodings, a serial
** number not in minimal form.
*/
#ifndef CERTMON_X509_OSSL_H
#define CERTMON_X509_OSSL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "ct/x509_view.h"

/* The certificate in der[0..len), which must be consumed exactly; when
** d2i_X509 refuses it for a serial number in non-minimal form only, the
** parse of a copy with the serial corrected, and *lenient is set (it is
** left alone otherwise). NULL if it does not parse. Free with X509_free. */
X509 *x509_ossl_parse(const uint8_t *der, size_t len, int *lenient);

/* Fills v (zeroed by the caller) from x. is_precert: the entry is a
** PrecertLogEntry (v->poison). Release v with x509_view_free. */
void x509_ossl_view(X509 *x, int is_precert, struct x509_view *v);

#endif
