/*
** x509_message.h: a certificate from a CT log -> the CertStream
** certificate_update message, as JSON text.
**
** The field set and key order are certstream-server-go's, so rules written
** against a CertStream feed run unchanged; its known bugs are not copied:
**  - subject/issuer "ST" is the state or province (Go fills it from the
**    street address);
**  - "email_address" holds the emailAddress attribute (Go: always null),
**    and "aggregated" ends with "/emailAddress=..." when there is one;
**  - "CN" is null when the name has no common name (Go: ""), and then
**    "aggregated" has no "/CN=" part;
**  - precertificates are described from the full precertificate DER, so
**    fingerprint, sha1, sha256 and as_der are over the same bytes for both
**    log APIs (Go's tiled path hashes empty input);
**  - several values of one attribute are joined with "," (Go keeps only
**    the last CN), and every CN not already among the SAN DNS names is
**    appended to all_domains;
**  - a negative serial is "-" and the even-length hex of its magnitude.
** all_domains: SAN DNS names in certificate order, then the CN(s) when not
** among them, except for CA certificates (as Go does).
*/
#ifndef CERTMON_X509_MESSAGE_H
#define CERTMON_X509_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "ct/ct_entry.h"
#include "json_buf.h"

struct x509_msg_input {
    const uint8_t *der;              /* certificate or full precertificate */
    size_t der_len;
    int is_precert;                  /* PrecertLogEntry; ctlPoisonByte */
    const struct ct_bytes *chain;    /* DER certificates, issuer first */
    size_t n_chain;
    uint64_t cert_index;
    const char *cert_link;           /* "" when there is none */
    int64_t seen_ms;                 /* when certmon read the entry */
    int64_t timestamp_ms;            /* the log's timestamp for the entry */
    const char *source_name;         /* log description */
    const char *source_url;          /* log URL, no trailing '/' */
    const char *source_type;         /* "rfc6962" or "tiled" */
    int full;                        /* add chain and as_der (--full) */
};

enum x509_msg_result {
    X509_MSG_OK = 0,
    X509_MSG_CHAIN_SKIPPED = 1,      /* written, but a chain certificate did
                                        not parse and was left out (err) */
    X509_MSG_ERROR = -1,             /* nothing written (err) */
};

/* Appends one message (a JSON object, no newline) to out. On
** X509_MSG_ERROR nothing was appended, unless out ran out of memory
** (jb_failed(out) is then set). */
enum x509_msg_result x509_message_build(const struct x509_msg_input *in,
                                        struct json_buf *out, char *err,
                                        size_t errlen);

/* "<url>/ct/v1/get-entries?start=i&end=i", certstream-server-go's
** cert_link for RFC 6962 logs, into buf. Returns buf. */
const char *x509_message_rfc6962_link(char *buf, size_t len,
                                      const char *url, uint64_t index);

#endif
