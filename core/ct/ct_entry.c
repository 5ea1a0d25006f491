/*
** ct_entry.c: Certificate Transparency log entries from raw bytes.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ct/ct_base64.h"
#include "log.h"
#include "ct/ct_entry.h"
#include "ct/ct_entries_scan.h"
#include "json_parse.h"

/* static-ct-api: extension type 0 = leaf_index, a uint40. */
#define CT_EXT_LEAF_INDEX 0
#define CT_LEAF_INDEX_LEN 5

/* A bounds-checked reader over a byte range. */
struct rd {
    const uint8_t *p;
    size_t left;
};

/* Reads an unsigned big-endian integer of n (1..8) bytes. */
static int rd_uint(struct rd *r, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (r->left < n)
        return -1;
    for (i = 0; i < n; i++)
        v = v << 8 | r->p[i];
    r->p += n;
    r->left -= n;
    *out = v;
    return 0;
}

static int rd_bytes(struct rd *r, size_t n, struct ct_bytes *out)
{
    if (r->left < n)
        return -1;
    out->p = r->p;
    out->len = n;
    r->p += n;
    r->left -= n;
    return 0;
}

/* Reads a vector with an n-byte length prefix. */
static int rd_vec(struct rd *r, size_t n, struct ct_bytes *out)
{
    uint64_t len;

    if (rd_uint(r, n, &len) < 0)
        return -1;
    return rd_bytes(r, (size_t)len, out);
}

/* Finds the leaf_index extension in CtExtensions (a sequence of u8 type,
** u16-length data). Unknown extension types are skipped. */
static int parse_extensions(struct ct_entry *e, char *err, size_t errlen)
{
    struct rd r = { e->extensions.p, e->extensions.len };

    while (r.left > 0) {
        uint64_t type, v;
        struct ct_bytes data;
        struct rd d;

        if (rd_uint(&r, 1, &type) < 0 || rd_vec(&r, 2, &data) < 0) {
            err_set(err, errlen, "truncated CT extension");
            return -1;
        }
        if (type != CT_EXT_LEAF_INDEX)
            continue;
        d = (struct rd){ data.p, data.len };
        if (e->has_leaf_index || data.len != CT_LEAF_INDEX_LEN ||
            rd_uint(&d, CT_LEAF_INDEX_LEN, &v) < 0) {
            err_set(err, errlen, "bad or repeated leaf_index extension");
            return -1;
        }
        e->has_leaf_index = 1;
        e->leaf_index = v;
    }
    return 0;
}

/* Reads a TimestampedEntry (RFC 6962 §3.4; static-ct-api TileLeaf starts
** with the same). */
static int parse_timestamped_entry(struct rd *r, struct ct_entry *e,
                                   char *err, size_t errlen)
{
    const uint8_t *start = r->p;
    uint64_t type;
    struct ct_bytes ikh;

    if (rd_uint(r, 8, &e->timestamp_ms) < 0 || rd_uint(r, 2, &type) < 0)
        goto truncated;
    if (type == CT_ENTRY_X509) {
        e->type = CT_ENTRY_X509;
        if (rd_vec(r, 3, &e->cert) < 0)
            goto truncated;
        if (e->cert.len == 0) {
            err_set(err, errlen, "empty certificate in leaf");
            return -1;
        }
    } else if (type == CT_ENTRY_PRECERT) {
        e->type = CT_ENTRY_PRECERT;
        if (rd_bytes(r, CT_HASH_LEN, &ikh) < 0 || rd_vec(r, 3, &e->tbs) < 0)
            goto truncated;
        e->issuer_key_hash = ikh.p;
        if (e->tbs.len == 0) {
            err_set(err, errlen, "empty TBSCertificate in leaf");
            return -1;
        }
    } else {
        err_set(err, errlen, "unknown entry type %u", (unsigned)type);
        return -1;
    }
    if (rd_vec(r, 2, &e->extensions) < 0)
        goto truncated;
    e->timestamped_entry.p = start;
    e->timestamped_entry.len = (size_t)(r->p - start);
    return parse_extensions(e, err, errlen);
truncated:
    err_set(err, errlen, "truncated TimestampedEntry");
    return -1;
}

/* Reads an ASN.1Cert chain: u24 total length, then u24-length
** certificates filling it exactly. */
static int parse_chain(struct rd *r, struct ct_entry *e, char *err,
                       size_t errlen)
{
    struct ct_bytes all, cert;
    struct rd c;
    size_t n = 0;

    if (rd_vec(r, 3, &all) < 0) {
        err_set(err, errlen, "truncated certificate chain");
        return -1;
    }
    /* count first, so one allocation holds the views */
    c = (struct rd){ all.p, all.len };
    while (c.left > 0) {
        if (rd_vec(&c, 3, &cert) < 0 || cert.len == 0) {
            err_set(err, errlen, "bad certificate %zu in chain", n);
            return -1;
        }
        n++;
    }
    if (n == 0)
        return 0;
    if (n > CT_CHAIN_MAX) {
        e->n_chain_dropped = n - CT_CHAIN_MAX;
        n = CT_CHAIN_MAX;
    }
    e->chain = calloc(n, sizeof *e->chain);
    if (!e->chain) {
        err_set(err, errlen, "out of memory");
        return -1;
    }
    c = (struct rd){ all.p, all.len };
    while (e->n_chain < n)
        rd_vec(&c, 3, &e->chain[e->n_chain++]);
    return 0;
}

int ct_entry_parse_rfc6962(const uint8_t *leaf, size_t leaf_len,
                           const uint8_t *extra, size_t extra_len,
                           struct ct_entry *e, char *err, size_t errlen)
{
    struct rd r = { leaf, leaf_len };
    struct rd x = { extra, extra_len };
    uint64_t version, leaf_type;

    memset(e, 0, sizeof *e);
    if (rd_uint(&r, 1, &version) < 0 || rd_uint(&r, 1, &leaf_type) < 0) {
        err_set(err, errlen, "truncated MerkleTreeLeaf");
        goto fail;
    }
    if (version != 0 || leaf_type != 0) {
        err_set(err, errlen, "unsupported leaf version %u type %u",
                (unsigned)version, (unsigned)leaf_type);
        goto fail;
    }
    if (parse_timestamped_entry(&r, e, err, errlen) < 0)
        goto fail;
    if (r.left != 0) {
        err_set(err, errlen, "%zu trailing bytes after MerkleTreeLeaf",
                r.left);
        goto fail;
    }
    if (e->type == CT_ENTRY_PRECERT) {
        /* PrecertChainEntry: the full precertificate, then its chain */
        if (rd_vec(&x, 3, &e->cert) < 0 || e->cert.len == 0) {
            err_set(err, errlen, "missing precertificate in extra_data");
            goto fail;
        }
    }
    if (parse_chain(&x, e, err, errlen) < 0)
        goto fail;
    if (x.left != 0) {
        err_set(err, errlen, "%zu trailing bytes after extra_data", x.left);
        goto fail;
    }
    return 0;
fail:
    ct_entry_free(e);
    return -1;
}

int ct_entry_from_b64(const char *leaf_b64, size_t leaf_len,
                      const char *extra_b64, size_t extra_len,
                      struct ct_entry *e, char *err, size_t errlen)
{
    size_t cap = ct_b64_decoded_max(leaf_len) + ct_b64_decoded_max(extra_len);
    uint8_t *buf = malloc(cap ? cap : 1);
    long nl, nx;

    memset(e, 0, sizeof *e);
    if (!buf) {
        err_set(err, errlen, "out of memory");
        return -1;
    }
    nl = ct_b64_decode(leaf_b64, leaf_len, buf);
    nx = nl < 0 ? -1 : ct_b64_decode(extra_b64, extra_len, buf + nl);
    if (nl < 0 || nx < 0) {
        err_set(err, errlen, "%s is not valid base64",
                nl < 0 ? "leaf_input" : "extra_data");
        free(buf);
        return -1;
    }
    if (ct_entry_parse_rfc6962(buf, (size_t)nl, buf + nl, (size_t)nx, e,
                               err, errlen) < 0) {
        free(buf);
        return -1;
    }
    e->owned = buf;
    return 0;
}

void ct_entry_free(struct ct_entry *e)
{
    free(e->chain);
    free(e->owned);
    memset(e, 0, sizeof *e);
}

int ct_entry_leaf_hash(const struct ct_entry *e, uint8_t out[CT_HASH_LEN])
{
    static const uint8_t prefix[3] = { 0x00, 0x00, 0x00 };  /* leaf, v1, TE */
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;
    int ok;

    if (!ctx)
        return -1;
    ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
         EVP_DigestUpdate(ctx, prefix, sizeof prefix) &&
         EVP_DigestUpdate(ctx, e->timestamped_entry.p,
                          e->timestamped_entry.len) &&
         EVP_DigestFinal_ex(ctx, out, &n) && n == CT_HASH_LEN;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

int ct_entries_parse_json(const char *body, size_t len,
                          struct ct_entry_list *out, char *err,
                          size_t errlen)
{
    char jerr[128], eerr[128];
    struct json_value *root;
    const struct json_value *entries;
    size_t i, n;

    memset(out, 0, sizeof *out);
    root = json_parse(body, len, jerr, sizeof jerr);
    if (!root) {
        err_set(err, errlen, "get-entries: %s", jerr);
        return -1;
    }
    entries = json_get(root, "entries");
    if (!entries || entries->type != JSON_ARRAY) {
        err_set(err, errlen, "get-entries: no \"entries\" array");
        goto fail;
    }
    n = json_count(entries);
    if (n > 0 && !(out->entries = calloc(n, sizeof *out->entries))) {
        err_set(err, errlen, "out of memory");
        goto fail;
    }
    for (i = 0; i < n; i++) {
        const struct json_value *item = json_at(entries, i);
        size_t ll, xl;
        const char *leaf = json_str(json_get(item, "leaf_input"), &ll);
        const char *extra = json_str(json_get(item, "extra_data"), &xl);

        if (!leaf || !extra) {
            err_set(err, errlen, "get-entries: entry %zu lacks leaf_input "
                    "or extra_data", i);
            goto fail;
        }
        if (ct_entry_from_b64(leaf, ll, extra, xl, &out->entries[i],
                              eerr, sizeof eerr) < 0) {
            err_set(err, errlen, "get-entries: entry %zu: %s", i, eerr);
            goto fail;
        }
        out->n++;
    }
    json_free(root);
    return 0;
fail:
    json_free(root);
    ct_entry_list_free(out);
    return -1;
}

int ct_entries_parse(const char *body, size_t len,
                     struct ct_entry_list *out, char *err, size_t errlen)
{
    if (ct_entries_scan(body, len, out))
        return 0;
    return ct_entries_parse_json(body, len, out, err, errlen);
}

void ct_entry_list_free(struct ct_entry_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        ct_entry_free(&l->entries[i]);
    free(l->entries);
    memset(l, 0, sizeof *l);
}

/* Reads one TileLeaf (static-ct-api "Log Entries"): TimestampedEntry,
** then for precerts the u24 precertificate, then the u16 list of chain
** fingerprints. */
static int parse_tile_leaf(struct rd *r, struct ct_entry *e, char *err,
                           size_t errlen)
{
    struct ct_bytes fps;

    if (parse_timestamped_entry(r, e, err, errlen) < 0)
        return -1;
    if (e->type == CT_ENTRY_PRECERT &&
        (rd_vec(r, 3, &e->cert) < 0 || e->cert.len == 0)) {
        err_set(err, errlen, "missing precertificate");
        return -1;
    }
    if (rd_vec(r, 2, &fps) < 0 || fps.len % CT_HASH_LEN != 0) {
        err_set(err, errlen, "bad chain fingerprint list");
        return -1;
    }
    e->chain_fps = fps.len ? fps.p : NULL;
    e->n_chain_fps = fps.len / CT_HASH_LEN;
    if (e->n_chain_fps > CT_CHAIN_MAX) {
        e->n_chain_dropped = e->n_chain_fps - CT_CHAIN_MAX;
        e->n_chain_fps = CT_CHAIN_MAX;
    }
    return 0;
}

int ct_tile_parse(const uint8_t *data, size_t len, uint64_t tile_index,
                  unsigned width, struct ct_tile *out, char *err,
                  size_t errlen)
{
    char eerr[128];
    struct rd r;
    uint64_t first = tile_index * CT_TILE_WIDTH;

    memset(out, 0, sizeof *out);
    if (width == 0 || width > CT_TILE_WIDTH ||
        tile_index > UINT64_MAX / CT_TILE_WIDTH) {
        err_set(err, errlen, "bad tile width %u or index", width);
        return -1;
    }
    out->data = malloc(len ? len : 1);
    out->entries = calloc(width, sizeof *out->entries);
    if (!out->data || !out->entries) {
        err_set(err, errlen, "out of memory");
        goto fail;
    }
    if (len)
        memcpy(out->data, data, len);
    r = (struct rd){ out->data, len };
    while (r.left > 0) {
        struct ct_entry *e;

        if (out->n == width) {
            err_set(err, errlen, "tile %llu holds more than %u entries",
                    (unsigned long long)tile_index, width);
            goto fail;
        }
        e = &out->entries[out->n];
        if (parse_tile_leaf(&r, e, eerr, sizeof eerr) < 0) {
            err_set(err, errlen, "tile %llu entry %zu: %s",
                    (unsigned long long)tile_index, out->n, eerr);
            goto fail;
        }
        out->n++;
        if (!e->has_leaf_index || e->leaf_index != first + out->n - 1) {
            err_set(err, errlen, "tile %llu entry %zu: leaf_index %s%llu, "
                    "expected %llu", (unsigned long long)tile_index,
                    out->n - 1, e->has_leaf_index ? "" : "missing, ",
                    (unsigned long long)e->leaf_index,
                    (unsigned long long)(first + out->n - 1));
            goto fail;
        }
    }
    if (out->n != width) {
        err_set(err, errlen, "tile %llu holds %zu entries, expected %u",
                (unsigned long long)tile_index, out->n, width);
        goto fail;
    }
    return 0;
fail:
    ct_tile_free(out);
    return -1;
}

void ct_tile_free(struct ct_tile *t)
{
    free(t->entries);    /* tile entries own nothing: views into data */
    free(t->data);
    memset(t, 0, sizeof *t);
}
