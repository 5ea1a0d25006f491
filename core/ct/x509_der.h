/*
** x509_der.h: the fast certificate reader. It walks the DER itself, with
** no allocation but the view's strings, and takes a certificate only when
** it understands every part the message shows and the encoding is strict
** DER of the forms CT logs carry; anything else it declines, and the
** caller reads the certificate through OpenSSL (x509_ossl.h) instead.
** A certificate it takes gives the same view as OpenSSL would, byte for
** byte (test_x509_der checks this on every fixture certificate and on
** damaged copies of them), and it takes none that OpenSSL refuses.
*/
#ifndef CERTMON_X509_DER_H
#define CERTMON_X509_DER_H

#include <stddef.h>
#include <stdint.h>

#include "ct/x509_view.h"

/* Fills v (zeroed by the caller) from the certificate der[0..len).
** is_precert: the entry is a PrecertLogEntry (v->poison). Returns 0, or
** -1 when it declines the certificate: v is then zeroed again. */
int x509_der_view(const uint8_t *der, size_t len, int is_precert,
                  struct x509_view *v);

#endif
