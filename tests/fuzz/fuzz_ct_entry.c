/*
** fuzz_ct_entry.c: CT log entries as a log sends them (core/ct/ct_entry.c).
**
** Byte 0 picks the form:
**   0: a get-entries response body (JSON with base64 leaf_input and
**      extra_data), as ct_entries_parse reads it; a body the in-place
**      scanner takes must give the JSON path's entries;
**   1: a decoded MerkleTreeLeaf and extra_data: u16 length of the leaf,
**      the leaf, the rest extra_data (ct_entry_parse_rfc6962);
**   2: a data tile: byte 1 its width - 1, byte 2 its index, the rest the
**      tile (ct_tile_parse; gzip is fuzzed in fuzz_ct_tiles).
** Every view of an entry that parses must lie inside the bytes it was
** parsed from (or the copy it owns), precerts carry an issuer key hash and
** a TBS, and the leaf hash can be computed. Each entry is then turned
** into its CertStream message (core/ct/ct_message.c, the glue into
** x509_message): an error appends nothing, anything else is one strict
** JSON object.
*/
#include "ct/ct_entries_scan.h"
#include "ct/ct_entry.h"
#include "ct/ct_message.h"
#include "fuzz_util.h"
#include "json_parse.h"

/* ct_message_build on e, as a log of api would; checks its output. */
static void message(const struct ct_entry *e, enum ct_log_api api)
{
    static const struct ct_bytes none[1];
    struct ct_message_log log = { "Fuzz 'log'", "https://ct.example/log/",
                                  api };
    struct json_buf b;
    char err[256] = "";
    enum x509_msg_result r;

    jb_init(&b);
    /* tiles: no issuer resolved (the chain is fetched separately) */
    r = ct_message_build(e, 7, &log, none, 0, 1700000000000, 1, &b, err,
                         sizeof err);
    FUZZ_ASSERT(!jb_failed(&b));
    if (r == X509_MSG_ERROR) {
        FUZZ_ASSERT(b.len == 0 && err[0] != '\0');
    } else {
        struct json_value *doc = json_parse(b.data, b.len, err, sizeof err);
        if (!doc) {
            fprintf(stderr, "not JSON: %s\n%.*s\n", err, (int)b.len, b.data);
            abort();
        }
        FUZZ_ASSERT(doc->type == JSON_OBJECT);
        json_free(doc);
    }
    jb_free(&b);
}

static const uint8_t *lo, *hi;     /* where the views must point */

static void inside(const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    FUZZ_ASSERT(p != NULL && p >= lo && n <= (size_t)(hi - p));
}

static void check_entry(const struct ct_entry *e)
{
    uint8_t hash[CT_HASH_LEN];

    inside(e->cert.p, e->cert.len);
    inside(e->timestamped_entry.p, e->timestamped_entry.len);
    inside(e->extensions.p, e->extensions.len);
    FUZZ_ASSERT(e->cert.len > 0);
    if (e->type == CT_ENTRY_PRECERT) {
        FUZZ_ASSERT(e->issuer_key_hash != NULL);
        inside(e->issuer_key_hash, CT_HASH_LEN);
        inside(e->tbs.p, e->tbs.len);
    } else {
        FUZZ_ASSERT(e->type == CT_ENTRY_X509);
    }
    for (size_t i = 0; i < e->n_chain; i++)
        inside(e->chain[i].p, e->chain[i].len);
    if (e->n_chain_fps)
        inside(e->chain_fps, e->n_chain_fps * CT_HASH_LEN);
    FUZZ_ASSERT(ct_entry_leaf_hash(e, hash) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    unsigned form = fuzz_byte(&in) % 3;
    char err[256] = "";

    if (form == 0) {
        struct ct_entry_list l;
        size_t len;
        char *body = (char *)fuzz_take(&in, in.left, &len);
        struct ct_entry_list s, j;
        char jerr[256];

        if (ct_entries_scan(body, len, &s)) {
            FUZZ_ASSERT(ct_entries_parse_json(body, len, &j, jerr,
                                              sizeof jerr) == 0);
            FUZZ_ASSERT(s.n == j.n);
            for (size_t i = 0; i < s.n; i++) {
                const struct ct_entry *a = &s.entries[i], *b = &j.entries[i];
                FUZZ_ASSERT(a->type == b->type &&
                            a->timestamp_ms == b->timestamp_ms &&
                            a->cert.len == b->cert.len &&
                            !memcmp(a->cert.p, b->cert.p, a->cert.len) &&
                            a->n_chain == b->n_chain);
            }
            ct_entry_list_free(&j);
        }
        FUZZ_ASSERT(s.n == 0 || s.entries != NULL);
        ct_entry_list_free(&s);
        if (ct_entries_parse(body, len, &l, err, sizeof err) == 0) {
            for (size_t i = 0; i < l.n; i++) {
                /* the entries own copies: their views point there */
                lo = l.entries[i].owned;
                hi = (const uint8_t *)-1;
                FUZZ_ASSERT(lo != NULL);
                check_entry(&l.entries[i]);
                message(&l.entries[i], CT_API_RFC6962);
            }
            ct_entry_list_free(&l);
        } else {
            FUZZ_ASSERT(err[0] != '\0');
        }
        free(body);
    } else if (form == 1) {
        struct ct_entry e;
        size_t leaf_len, extra_len;
        uint8_t *leaf = fuzz_take(&in, fuzz_u16(&in), &leaf_len);
        uint8_t *extra = fuzz_take(&in, in.left, &extra_len);

        if (ct_entry_parse_rfc6962(leaf, leaf_len, extra, extra_len, &e, err,
                                   sizeof err) == 0) {
            /* views into leaf or extra, which the caller keeps */
            lo = leaf, hi = leaf + leaf_len;
            inside(e.timestamped_entry.p, e.timestamped_entry.len);
            lo = e.type == CT_ENTRY_PRECERT ? extra : leaf;
            hi = lo == extra ? extra + extra_len : leaf + leaf_len;
            inside(e.cert.p, e.cert.len);
            lo = leaf < extra ? leaf : extra;
            hi = (const uint8_t *)-1;
            check_entry(&e);
            message(&e, CT_API_RFC6962);
            FUZZ_ASSERT(e.owned == NULL);
            ct_entry_free(&e);
        } else {
            FUZZ_ASSERT(err[0] != '\0');
        }
        free(leaf);
        free(extra);
    } else {
        struct ct_tile t;
        unsigned width = fuzz_byte(&in) + 1, index = fuzz_byte(&in);
        size_t len;
        uint8_t *tile = fuzz_take(&in, in.left, &len);

        if (ct_tile_parse(tile, len, index, width, &t, err,
                          sizeof err) == 0) {
            FUZZ_ASSERT(t.n == width);
            lo = t.data, hi = t.data + len;
            for (size_t i = 0; i < t.n; i++) {
                check_entry(&t.entries[i]);
                message(&t.entries[i], CT_API_STATIC);
                FUZZ_ASSERT(t.entries[i].has_leaf_index &&
                            t.entries[i].leaf_index ==
                                (uint64_t)index * CT_TILE_WIDTH + i);
            }
            ct_tile_free(&t);
        } else {
            FUZZ_ASSERT(err[0] != '\0');
        }
        free(tile);
    }
    return 0;
}
