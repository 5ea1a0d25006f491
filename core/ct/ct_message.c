/*
** ct_message.c: one CT log entry -> its CertStream message.
*/
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ct/ct_message.h"
#include "log.h"

#define URL_MAX 2048

enum x509_msg_result ct_message_build(const struct ct_entry *e,
                                      uint64_t index,
                                      const struct ct_message_log *log,
                                      const struct ct_bytes *chain,
                                      size_t n_chain, int64_t seen_ms,
                                      int full, struct json_buf *out,
                                      char *err, size_t errlen)
{
    char url[URL_MAX], link[URL_MAX + 80];
    int tiled = log->api == CT_API_STATIC;
    struct x509_msg_input in = {
        .der = e->cert.p,
        .der_len = e->cert.len,
        .is_precert = e->type == CT_ENTRY_PRECERT,
        .chain = tiled ? chain : e->chain,
        .n_chain = tiled ? n_chain : e->n_chain,
        .cert_index = index,
        .seen_ms = seen_ms,
        .timestamp_ms = (int64_t)e->timestamp_ms,
        .source_name = log->name,
        .source_type = tiled ? "tiled" : "rfc6962",
        .full = full,
    };

    enum x509_msg_result r;

    ct_url_display(log->url, url, sizeof url);
    in.source_url = url;
    in.cert_link = tiled ? "" : x509_message_rfc6962_link(link, sizeof link,
                                                          url, index);
    r = x509_message_build(&in, out, err, errlen);
    if (r == X509_MSG_OK && full && e->n_chain_dropped) {
        err_set(err, errlen, "entry %" PRIu64 ": a chain of %zu certificates "
                "cut to the first %d", index,
                (tiled ? e->n_chain_fps : e->n_chain) + e->n_chain_dropped,
                CT_CHAIN_MAX);
        return X509_MSG_CHAIN_SKIPPED;
    }
    return r;
}
