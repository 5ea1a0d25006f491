/*
** ct_sth.h: a log's tree head, from either API, and its signature.
**
** RFC 6962 answers get-sth with JSON; a static-ct-api log publishes a
** checkpoint (a C2SP signed note) whose CT signature carries the same
** timestamp and TLS DigitallySigned TreeHeadSignature. Both become one
** struct ct_sth, verified the same way with the log's key from the log
** list.
*/
#ifndef CERTMON_CT_STH_H
#define CERTMON_CT_STH_H

#include <stddef.h>
#include <stdint.h>

#define CT_STH_MAX_SIG 512

struct ct_sth {
    uint64_t tree_size;
    uint64_t timestamp_ms;           /* 0 if no CT signature was found */
    uint8_t root_hash[32];
    /* TLS DigitallySigned: u8 hash, u8 signature algorithm, u16 length,
    ** signature bytes; sig_len 0 if none was found */
    uint8_t sig[CT_STH_MAX_SIG];
    size_t sig_len;
};

/* Parses a get-sth response body. */
int ct_sth_parse_json(const char *body, size_t len, struct ct_sth *out,
                      char *err, size_t errlen);

/* Parses a checkpoint. origin (NULL = any) must equal its first line; the
** CT signature is the line whose key name is the origin and whose key ID
** is SHA-256(origin || 0x0A || 0x05 || log_id)[:4] when log_id is given
** (32 bytes), else the first line with the origin's name and a CT-shaped
** signature. Other signature lines (witnesses) are ignored. Without a
** usable CT signature, timestamp_ms and sig_len are 0: the caller decides
** whether an unverified checkpoint is acceptable. The origin read is
** copied to origin_out when it is not NULL. */
int ct_checkpoint_parse(const char *text, size_t len, const char *origin,
                        const uint8_t *log_id, struct ct_sth *out,
                        char *origin_out, size_t origin_len, char *err,
                        size_t errlen);

/* Verifies the tree head signature with the log's public key (DER
** SubjectPublicKeyInfo, i.e. the decoded "key" of the log list): SHA-256
** with ECDSA or RSA over the RFC 6962 TreeHeadSignature. Returns 0 if it
** verifies, -1 otherwise. */
int ct_sth_verify(const struct ct_sth *sth, const uint8_t *spki,
                  size_t spki_len, char *err, size_t errlen);

#endif
