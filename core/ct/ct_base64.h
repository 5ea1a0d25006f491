/*
** ct_base64.h: standard base64 (RFC 4648 §4, with padding) both ways.
**
** CT logs send leaf_input, extra_data and hashes in it; CertStream
** messages carry as_der in it.
*/
#ifndef CERTMON_CT_BASE64_H
#define CERTMON_CT_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Bytes needed to decode n characters (an upper bound). */
static inline size_t ct_b64_decoded_max(size_t n) { return n / 4 * 3 + 3; }

/* Decodes s[0..n) into out (room for ct_b64_decoded_max(n) bytes).
** Strict: length a multiple of 4, only the 64 letters, '=' only as the
** final one or two padding characters, and unused bits zero. Returns the
** decoded length or -1. */
long ct_b64_decode(const char *s, size_t n, uint8_t *out);

/* Characters ct_b64_encode writes for n bytes, without a NUL. */
static inline size_t ct_b64_encoded_len(size_t n) { return (n + 2) / 3 * 4; }

/* Writes ct_b64_encoded_len(n) characters to out (no NUL added). */
void ct_b64_encode(const uint8_t *in, size_t n, char *out);

#endif
