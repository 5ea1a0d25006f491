/*
** ct_message.h: one CT log entry -> its CertStream message, the glue
** between ct_entry (what the log sent) and x509_message (the JSON).
**
** Decides what the two APIs differ in: which DER describes the entry (the
** certificate, or the full precertificate from extra_data or the tile),
** where the chain comes from (extra_data for RFC 6962; for tiles the
** certificates the caller resolved from the fingerprints through the
** issuer cache), cert_link (RFC 6962 only, as certstream-server-go), and
** source.url (the log URL without its trailing '/').
*/
#ifndef CERTMON_CT_MESSAGE_H
#define CERTMON_CT_MESSAGE_H

#include <stdint.h>

#include "ct/ct_entry.h"
#include "ct/ct_loglist.h"
#include "json_buf.h"
#include "ct/x509_message.h"

struct ct_message_log {
    const char *name;            /* log description */
    const char *url;             /* normalised, ending in '/' */
    enum ct_log_api api;
};

/* Appends the message for entry e at index. For static-ct entries,
** chain/n_chain are the issuer certificates resolved from
** e->chain_fps (n_chain may be less than e->n_chain_fps if some could not
** be fetched: the message then carries the ones it has); for RFC 6962
** they are ignored (the entry has its own). Result as x509_message_build. */
enum x509_msg_result ct_message_build(const struct ct_entry *e,
                                      uint64_t index,
                                      const struct ct_message_log *log,
                                      const struct ct_bytes *chain,
                                      size_t n_chain, int64_t seen_ms,
                                      int full, struct json_buf *out,
                                      char *err, size_t errlen);

#endif
