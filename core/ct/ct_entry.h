/*
** ct_entry.h: Certificate Transparency log entries from raw bytes.
**
** Two encodings of the same thing:
**  - RFC 6962 get-entries items: leaf_input (a MerkleTreeLeaf) and
**    extra_data (the chain; for precerts also the full precertificate),
**    both base64;
**  - static-ct-api data tiles: a concatenation of TileLeaf records
**    (TimestampedEntry, the precertificate if any, chain fingerprints).
**
** Everything is TLS presentation language, big-endian, length-prefixed:
** every length is checked against what is left, and every structure must
** be consumed exactly. The parse functions are pure: they read bytes and
** fill structs whose pointers point into a buffer the struct owns; one
** free call releases it all.
*/
#ifndef CERTMON_CT_ENTRY_H
#define CERTMON_CT_ENTRY_H

#include <stddef.h>
#include <stdint.h>

struct json_value;

/* A view of bytes owned by someone else (the entry or tile holding it). */
struct ct_bytes {
    const uint8_t *p;
    size_t len;
};

enum ct_entry_type {
    CT_ENTRY_X509 = 0,
    CT_ENTRY_PRECERT = 1,
};

#define CT_TILE_WIDTH 256        /* entries in a full data tile */
#define CT_HASH_LEN 32

/* Chain certificates (RFC 6962) or fingerprints (static CT) kept per entry:
** real chains have two to five; the rest are counted in n_chain_dropped. */
#define CT_CHAIN_MAX 16

struct ct_entry {
    uint64_t timestamp_ms;           /* from the TimestampedEntry */
    enum ct_entry_type type;
    /* X.509: the certificate. Precert: the full precertificate (poison
    ** extension and signature included), what a message describes. */
    struct ct_bytes cert;
    /* Precert only: the TBSCertificate from the leaf (poison removed) and
    ** the SHA-256 of the final issuer's key. */
    struct ct_bytes tbs;
    const uint8_t *issuer_key_hash;  /* CT_HASH_LEN bytes or NULL */
    struct ct_bytes extensions;      /* CtExtensions, raw */
    int has_leaf_index;              /* static CT: the leaf_index extension */
    uint64_t leaf_index;
    /* The TimestampedEntry bytes: the leaf hash is computed over them. */
    struct ct_bytes timestamped_entry;
    /* RFC 6962: the chain as DER certificates, issuer first. */
    struct ct_bytes *chain;
    size_t n_chain;
    /* Static CT: the chain as SHA-256 fingerprints (n × CT_HASH_LEN
    ** bytes), to be resolved through the log's issuer/ endpoint. */
    const uint8_t *chain_fps;
    size_t n_chain_fps;
    /* Either form: chain elements past CT_CHAIN_MAX, not kept (a log can
    ** list thousands; each kept one costs a parse or an issuer lookup). */
    size_t n_chain_dropped;
    void *owned;                     /* buffer the views above point into */
};

/* Parses one RFC 6962 entry from its base64 leaf_input and extra_data.
** On success e owns a copy of the decoded bytes (free with
** ct_entry_free); on failure returns -1, e holds nothing, err says why. */
int ct_entry_from_b64(const char *leaf_b64, size_t leaf_len,
                      const char *extra_b64, size_t extra_len,
                      struct ct_entry *e, char *err, size_t errlen);

/* The same from already decoded bytes; e points into leaf and extra, which
** must outlive it (e->owned stays NULL). */
int ct_entry_parse_rfc6962(const uint8_t *leaf, size_t leaf_len,
                           const uint8_t *extra, size_t extra_len,
                           struct ct_entry *e, char *err, size_t errlen);

/* Frees what e owns and zeroes it. Safe on a zeroed or freed entry. */
void ct_entry_free(struct ct_entry *e);

/* RFC 6962 leaf hash, SHA-256(0x00 || MerkleTreeLeaf) with the leaf
** rebuilt as version 0, timestamped_entry, then the TimestampedEntry. The
** same for both APIs. Returns 0, or -1 if hashing failed. */
int ct_entry_leaf_hash(const struct ct_entry *e, uint8_t out[CT_HASH_LEN]);

/* A parsed get-entries response. */
struct ct_entry_list {
    struct ct_entry *entries;
    size_t n;
};

/* Parses a get-entries response body ({"entries":[{leaf_input,
** extra_data},...]}). Fails as a whole if any entry is malformed (the
** log answered garbage; index i of the failure is named in err). An empty
** list parses fine: the caller decides whether that is an error. */
int ct_entries_parse_json(const char *body, size_t len,
                          struct ct_entry_list *out, char *err,
                          size_t errlen);
/* The same result, errors included, faster: the usual shape of a body
** is read in place (ct_entries_scan.h), anything else goes through
** ct_entries_parse_json. What the CT source uses. */
int ct_entries_parse(const char *body, size_t len,
                     struct ct_entry_list *out, char *err, size_t errlen);
void ct_entry_list_free(struct ct_entry_list *l);

/* A parsed data tile. */
struct ct_tile {
    struct ct_entry *entries;
    size_t n;
    uint8_t *data;                   /* copy of the tile the entries use */
};

/* Parses a data tile that must hold exactly width entries (256 for a full
** tile, less for a partial one), the first of which has index
** tile_index * 256. Each entry's leaf_index extension must equal its
** computed index. Copies data; free with ct_tile_free. */
int ct_tile_parse(const uint8_t *data, size_t len, uint64_t tile_index,
                  unsigned width, struct ct_tile *out, char *err,
                  size_t errlen);
void ct_tile_free(struct ct_tile *t);

#endif
