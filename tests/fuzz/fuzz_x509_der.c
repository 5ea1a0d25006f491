/*
** fuzz_x509_der.c: the DER reader (core/ct/x509_der.c) against the
** OpenSSL reader (core/ct/x509_ossl.c). The DER reader declines what it
** does not fully understand; what it takes must be taken by OpenSSL too,
** without a corrected serial, and read to the same view field by field,
** or a message would change with the reader that happened to take it.
**
** Input: byte 0 bit 0 = precertificate, then the certificate's DER.
*/
#include "fuzz_util.h"
#include "ct/x509_der.h"
#include "ct/x509_ossl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    int precert = fuzz_byte(&in) & 1, lenient = 0, took;
    size_t len;
    uint8_t *der = fuzz_take(&in, in.left, &len);
    struct x509_view a, b;
    const char *diff;
    X509 *x;

    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    took = x509_der_view(der, len, precert, &a) == 0;
    x = x509_ossl_parse(der, len, &lenient);
    if (took) {
        if (!x || lenient) {
            fprintf(stderr, "the DER reader took a certificate OpenSSL %s\n",
                    x ? "read only with its serial corrected" : "refuses");
            abort();
        }
        x509_ossl_view(x, precert, &b);
        if ((diff = x509_view_diff(&a, &b))) {
            fprintf(stderr, "the readers differ in %s\n", diff);
            abort();
        }
    }
    X509_free(x);
    x509_view_free(&a);
    x509_view_free(&b);
    free(der);
    return 0;
}
