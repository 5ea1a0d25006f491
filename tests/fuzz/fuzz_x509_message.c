/*
** fuzz_x509_message.c: a certificate from a CT log -> its CertStream
** message (core/ct/x509_message.c). The DER comes from anyone who can get a
** certificate logged, so nothing in it may crash the converter or break
** the JSON.
**
** Input: byte 0 flags (bit 0 precertificate, bit 1 --full), then the
** certificate as u16 length + DER, then up to 3 chain certificates, each
** u16 length + DER. The converter promises: X509_MSG_ERROR appends
** nothing; otherwise exactly one JSON object is appended, which parses
** (json_parse, strict) and has message_type "certificate_update" and
** data.leaf_cert.all_domains as an array of strings.
*/
#include "fuzz_util.h"
#include "json_parse.h"
#include "ct/x509_message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    unsigned flags = fuzz_byte(&in);
    size_t der_len, n_chain = 0;
    uint8_t *der = fuzz_take(&in, fuzz_u16(&in), &der_len), *parts[3];
    struct ct_bytes chain[3];
    struct json_buf b;
    char err[256] = "";
    enum x509_msg_result r;

    while (n_chain < 3 && in.left > 0) {
        parts[n_chain] = fuzz_take(&in, fuzz_u16(&in), &chain[n_chain].len);
        chain[n_chain].p = parts[n_chain];
        n_chain++;
    }
    {
        struct x509_msg_input msg = {
            .der = der, .der_len = der_len, .is_precert = flags & 1,
            .chain = chain, .n_chain = n_chain, .cert_index = 12345,
            .cert_link = "https://ct.example/ct/v1/get-entries?start=1&end=1",
            .seen_ms = 1700000000123, .timestamp_ms = 1699999999000,
            .source_name = "Fuzz 'log'", .source_url = "https://ct.example",
            .source_type = "rfc6962", .full = (flags >> 1) & 1,
        };
        jb_init(&b);
        r = x509_message_build(&msg, &b, err, sizeof err);
    }
    FUZZ_ASSERT(!jb_failed(&b));
    if (r == X509_MSG_ERROR) {
        FUZZ_ASSERT(b.len == 0 && err[0] != '\0');
    } else {
        struct json_value *doc = json_parse(b.data, b.len, err, sizeof err);
        const struct json_value *domains;

        if (!doc) {
            fprintf(stderr, "not JSON: %s\n%.*s\n", err, (int)b.len, b.data);
            abort();
        }
        FUZZ_ASSERT(doc->type == JSON_OBJECT);
        FUZZ_ASSERT(json_str(json_get(doc, "message_type"), NULL) &&
                    !strcmp(json_str(json_get(doc, "message_type"), NULL),
                            "certificate_update"));
        domains = json_get(json_get(json_get(doc, "data"), "leaf_cert"),
                           "all_domains");
        FUZZ_ASSERT(domains && domains->type == JSON_ARRAY);
        for (size_t i = 0; i < json_count(domains); i++)
            FUZZ_ASSERT(json_str(json_at(domains, i), NULL) != NULL);
        if (r == X509_MSG_CHAIN_SKIPPED)
            FUZZ_ASSERT(err[0] != '\0');
        json_free(doc);
    }
    jb_free(&b);
    for (size_t i = 0; i < n_chain; i++)
        free(parts[i]);
    free(der);
    return 0;
}
