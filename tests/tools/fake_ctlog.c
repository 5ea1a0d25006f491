/*
** fake_ctlog: a Certificate Transparency log on 127.0.0.1 for the tests,
** serving the same entries through both read APIs, with faults on demand.
**
**   /rfc/ct/v1/get-sth, /rfc/ct/v1/get-entries?start=S&end=E   RFC 6962
**   /tiled/checkpoint, /tiled/tile/{data,0}/N[.p/W], /tiled/issuer/HEX
**                                                       static-ct-api
**   /navigli/...   the real navigli2025h2 data and hash tiles (256
**                  entries; its issuers are not available: 404)
**
** The entries are the leaf_input/extra_data of get-entries fixture files,
** repeated --repeat times. The tiled log holds the same entries as tile
** leaves (leaf_index extension, precertificate, chain fingerprints whose
** certificates /tiled/issuer serves). Tree heads are real: RFC 6962
** Merkle roots signed with a P-256 key made at start; --loglist writes a
** v3 log list naming both logs with that key.
**
** Faults (N = every Nth request, counted over all requests):
**   --batch-cap N      get-entries answers at most N entries
**   --fail-429 N:S     429 with Retry-After: S
**   --fail-html N      500 with an HTML body
**   --old-sth N        the tree head of half the current size
**   --stall N          never answer
**   --fail-after N     every request after the Nth: 500 with an HTML body
**   --initial N --grow K   the visible tree starts at N entries and grows
**                      by K at each tree-head request
**   --gzip             data tiles sent with Content-Encoding: gzip
**   --tls-cert F --tls-key F   serve HTTPS (the log list says https://)
**
** Log list (--loglist): --list-timestamp T sets log_list_timestamp
** (default 2026-01-01T00:00:00Z); --rfc-interval START,END and
** --tiled-interval START,END give a log a temporal_interval (RFC 3339).
**
** Prints "port P" on stdout (and to --port-file) once listening; each
** request is logged as "METHOD PATH STATUS" to --log (status 0: stalled;
** " old-tree-head" appended when --old-sth shrank it). Runs until SIGTERM.
*/
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>

#include "tool_server.h"
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <zlib.h>

#include "ct/ct_base64.h"
#include "ct/ct_entry.h"
#include "ct/ct_tiles.h"
#include "json_buf.h"
#include "json_parse.h"

struct leaf {
    char *leaf_b64, *extra_b64;         /* RFC 6962 form */
    uint8_t *tile_leaf;                  /* static-ct TileLeaf */
    size_t tile_leaf_len;
    uint8_t rfc_hash[32], tile_hash[32]; /* leaf hashes of each form */
};

struct issuer {
    uint8_t fp[32];
    uint8_t *der;
    size_t len;
};

struct tiled_log {                      /* a log served as tiles */
    uint8_t *data;                       /* concatenated TileLeaf records */
    size_t *offsets;                     /* n + 1 offsets into data */
    uint8_t (*hashes)[32];
    uint64_t n;
    const char *origin_prefix;           /* "/tiled" or "/navigli" */
};

static struct {
    struct leaf *leaves;
    uint64_t n;
    struct issuer *issuers;
    size_t n_issuers;
    struct tiled_log tiled, navigli;
    EVP_PKEY *key;
    uint8_t spki[256];
    size_t spki_len;
    int port;
    /* faults */
    unsigned batch_cap, fail_429, retry_after_s, fail_html, old_sth, stall;
    unsigned long fail_after;
    uint64_t visible, grow;
    int gzip;
    int tls;
    const char *list_timestamp;
    const char *interval[2][2];          /* rfc, tiled: start, end */
    unsigned long requests;
    int served_old;                      /* this request got --old-sth */
    FILE *log;
} g;


static void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "fake_ctlog: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static void sha256(const void *a, size_t an, const void *b, size_t bn,
                   const void *c, size_t cn, uint8_t out[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n;

    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(ctx, a, an);
    if (bn)
        EVP_DigestUpdate(ctx, b, bn);
    if (cn)
        EVP_DigestUpdate(ctx, c, cn);
    EVP_DigestFinal_ex(ctx, out, &n);
    EVP_MD_CTX_free(ctx);
}

/* RFC 6962 §2.1 Merkle tree hash over leaf hashes h[0..n). */
static void mth(const uint8_t (*h)[32], uint64_t n, uint8_t out[32])
{
    static const uint8_t one = 1;
    uint8_t l[32], r[32];
    uint64_t k = 1;

    if (n == 0) {
        sha256("", 0, NULL, 0, NULL, 0, out);
        return;
    }
    if (n == 1) {
        memcpy(out, h[0], 32);
        return;
    }
    while (k * 2 < n)
        k *= 2;
    mth(h, k, l);
    mth(h + k, n - k, r);
    {
        uint8_t lr[64];
        memcpy(lr, l, 32);
        memcpy(lr + 32, r, 32);
        sha256(&one, 1, lr, 64, NULL, 0, out);
    }
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* DigitallySigned over the TreeHeadSignature of (ts, size, root). */
static size_t sign_tree_head(uint64_t ts, uint64_t size, const uint8_t root[32],
                             uint8_t *out, size_t cap)
{
    uint8_t tbs[50];
    size_t siglen = cap - 4;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    tbs[0] = 0;
    tbs[1] = 1;
    put_be(tbs + 2, ts, 8);
    put_be(tbs + 10, size, 8);
    memcpy(tbs + 18, root, 32);
    if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, g.key) != 1 ||
        EVP_DigestSign(ctx, out + 4, &siglen, tbs, sizeof tbs) != 1)
        die("cannot sign");
    EVP_MD_CTX_free(ctx);
    out[0] = 4;     /* sha256 */
    out[1] = 3;     /* ecdsa */
    put_be(out + 2, siglen, 2);
    return siglen + 4;
}

static void add_issuer(const uint8_t *der, size_t len, uint8_t fp[32])
{
    size_t i;

    sha256(der, len, NULL, 0, NULL, 0, fp);
    for (i = 0; i < g.n_issuers; i++)
        if (memcmp(g.issuers[i].fp, fp, 32) == 0)
            return;
    g.issuers = realloc(g.issuers, (g.n_issuers + 1) * sizeof *g.issuers);
    memcpy(g.issuers[g.n_issuers].fp, fp, 32);
    g.issuers[g.n_issuers].der = malloc(len);
    memcpy(g.issuers[g.n_issuers].der, der, len);
    g.issuers[g.n_issuers].len = len;
    g.n_issuers++;
}

/* The TileLeaf for entry e at index: its TimestampedEntry with the
** leaf_index extension, the precertificate, the chain fingerprints. */
static void make_tile_leaf(const struct ct_entry *e, uint64_t index,
                           struct leaf *l)
{
    size_t te = e->timestamped_entry.len - 2;    /* without empty ext */
    size_t n = te + 2 + 8 + (e->type == CT_ENTRY_PRECERT ? 3 + e->cert.len : 0)
               + 2 + 32 * e->n_chain;
    uint8_t *p = malloc(n), *q = p;
    uint8_t mtl_prefix[2] = { 0, 0 };
    size_t i;

    memcpy(q, e->timestamped_entry.p, te);
    q += te;
    put_be(q, 8, 2);
    q += 2;
    q[0] = 0;               /* leaf_index */
    put_be(q + 1, 5, 2);
    put_be(q + 3, index, 5);
    q += 8;
    if (e->type == CT_ENTRY_PRECERT) {
        put_be(q, e->cert.len, 3);
        memcpy(q + 3, e->cert.p, e->cert.len);
        q += 3 + e->cert.len;
    }
    put_be(q, 32 * e->n_chain, 2);
    q += 2;
    for (i = 0; i < e->n_chain; i++, q += 32)
        add_issuer(e->chain[i].p, e->chain[i].len, q);
    l->tile_leaf = p;
    l->tile_leaf_len = n;
    /* leaf hash: 0x00 || MerkleTreeLeaf(v1, timestamped_entry, TE) */
    sha256("\0", 1, mtl_prefix, 2, p, te + 10, l->tile_hash);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
        die("cannot read %s", path);
    buf = malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n)
        die("cannot read %s", path);
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void load_entries(char **files, int n_files, unsigned repeat)
{
    struct ct_entry_list *lists = calloc((size_t)n_files, sizeof *lists);
    struct json_value **docs = calloc((size_t)n_files, sizeof *docs);
    uint64_t total = 0, idx = 0;
    char err[256];
    int f;

    for (f = 0; f < n_files; f++) {
        size_t len;
        char *text = read_all(files[f], &len);
        if (ct_entries_parse_json(text, len, &lists[f], err, sizeof err) < 0)
            die("%s: %s", files[f], err);
        docs[f] = json_parse(text, len, NULL, 0);
        total += lists[f].n;
        free(text);
    }
    g.n = total * repeat;
    g.leaves = calloc(g.n ? g.n : 1, sizeof *g.leaves);
    for (unsigned r = 0; r < repeat; r++)
        for (f = 0; f < n_files; f++)
            for (size_t i = 0; i < lists[f].n; i++, idx++) {
                const struct json_value *it =
                    json_at(json_get(docs[f], "entries"), i);
                struct leaf *l = &g.leaves[idx];
                const struct ct_entry *e = &lists[f].entries[i];
                uint8_t mtl[2] = { 0, 0 };

                l->leaf_b64 = strdup(json_str(json_get(it, "leaf_input"), NULL));
                l->extra_b64 = strdup(json_str(json_get(it, "extra_data"), NULL));
                sha256("\0", 1, mtl, 2, e->timestamped_entry.p,
                       e->timestamped_entry.len, l->rfc_hash);
                make_tile_leaf(e, idx, l);
            }
    for (f = 0; f < n_files; f++) {
        ct_entry_list_free(&lists[f]);
        json_free(docs[f]);
    }
    free(lists);
    free(docs);
    /* the tiled log: the same entries as tile leaves */
    g.tiled.n = g.n;
    g.tiled.offsets = calloc(g.n + 1, sizeof *g.tiled.offsets);
    g.tiled.hashes = calloc(g.n ? g.n : 1, 32);
    for (idx = 0; idx < g.n; idx++) {
        g.tiled.offsets[idx + 1] = g.tiled.offsets[idx] + g.leaves[idx].tile_leaf_len;
        memcpy(g.tiled.hashes[idx], g.leaves[idx].tile_hash, 32);
    }
    g.tiled.data = malloc(g.tiled.offsets[g.n] + 1);
    for (idx = 0; idx < g.n; idx++)
        memcpy(g.tiled.data + g.tiled.offsets[idx], g.leaves[idx].tile_leaf,
               g.leaves[idx].tile_leaf_len);
    g.tiled.origin_prefix = "/tiled";
}

static void load_navigli(const char *path)
{
    size_t len, i;
    char *data = read_all(path, &len), err[256];
    struct ct_tile t;

    if (ct_tile_parse((uint8_t *)data, len, 0, 256, &t, err, sizeof err) < 0)
        die("%s: %s", path, err);
    g.navigli.n = t.n;
    g.navigli.data = (uint8_t *)data;
    g.navigli.offsets = calloc(t.n + 1, sizeof *g.navigli.offsets);
    g.navigli.hashes = calloc(t.n, 32);
    for (i = 0; i < t.n; i++) {
        g.navigli.offsets[i] = (size_t)(t.entries[i].timestamped_entry.p - t.data);
        ct_entry_leaf_hash(&t.entries[i], g.navigli.hashes[i]);
    }
    g.navigli.offsets[t.n] = len;
    g.navigli.origin_prefix = "/navigli";
    ct_tile_free(&t);
}

/* ---- responses ---------------------------------------------------- */

struct pss {
    int status;
    const char *ctype;
    char extra[128];            /* an extra header line name:value */
    char extra_val[64];
    int gzip;
    uint8_t *body;
    size_t len, sent;
    int stalled;
};

static void respond(struct pss *s, int status, const char *ctype,
                    const void *body, size_t len)
{
    s->status = status;
    s->ctype = ctype;
    s->body = malloc(len ? len : 1);
    memcpy(s->body, body, len);
    s->len = len;
}

static void respond_text(struct pss *s, int status, const char *text)
{
    respond(s, status, "text/plain", text, strlen(text));
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The tree size a tree-head request reports, applying growth and the
** old-tree-head fault. */
static uint64_t tree_head_size(uint64_t total)
{
    uint64_t size;

    if (g.visible < total && g.grow) {
        /* grows at each request after the first */
        static int first = 1;
        if (!first)
            g.visible = g.visible + g.grow > total ? total : g.visible + g.grow;
        first = 0;
    }
    size = g.visible < total ? g.visible : total;
    if (g.old_sth && g.requests % g.old_sth == 0) {
        size /= 2;
        g.served_old = 1;
    }
    return size;
}

static void get_sth(struct pss *s)
{
    uint64_t size = tree_head_size(g.n), ts = now_ms();
    uint8_t root[32], sig[256];
    char b64[512];
    size_t sl;
    struct json_buf b;
    uint8_t (*h)[32] = calloc(size ? size : 1, 32);

    for (uint64_t i = 0; i < size; i++)
        memcpy(h[i], g.leaves[i].rfc_hash, 32);
    mth((const uint8_t (*)[32])h, size, root);
    free(h);
    sl = sign_tree_head(ts, size, root, sig, sizeof sig);
    jb_init(&b);
    jb_obj_begin(&b);
    jb_key(&b, "tree_size");
    jb_uint(&b, size);
    jb_key(&b, "timestamp");
    jb_uint(&b, ts);
    jb_key(&b, "sha256_root_hash");
    ct_b64_encode(root, 32, b64);
    jb_str(&b, b64, ct_b64_encoded_len(32));
    jb_key(&b, "tree_head_signature");
    ct_b64_encode(sig, sl, b64);
    jb_str(&b, b64, ct_b64_encoded_len(sl));
    jb_obj_end(&b);
    respond(s, 200, "application/json", b.data, b.len);
    jb_free(&b);
}

static void get_entries(struct lws *wsi, struct pss *s)
{
    char a[64], c[64];
    const char *sa = lws_get_urlarg_by_name(wsi, "start=", a, sizeof a);
    const char *ea = lws_get_urlarg_by_name(wsi, "end=", c, sizeof c);
    uint64_t start, end, size = g.visible < g.n ? g.visible : g.n;
    struct json_buf b;
    char *endp;

    if (!sa || !ea) {
        respond_text(s, 400, "start and end are required\n");
        return;
    }
    start = strtoull(sa, &endp, 10);
    end = strtoull(ea, &endp, 10);
    if (end < start || start >= size) {
        respond_text(s, 400, "bad range\n");
        return;
    }
    if (end >= size)
        end = size - 1;
    if (g.batch_cap && end - start + 1 > g.batch_cap)
        end = start + g.batch_cap - 1;
    jb_init(&b);
    jb_obj_begin(&b);
    jb_key(&b, "entries");
    jb_arr_begin(&b);
    for (uint64_t i = start; i <= end; i++) {
        jb_obj_begin(&b);
        jb_key(&b, "leaf_input");
        jb_cstr(&b, g.leaves[i].leaf_b64);
        jb_key(&b, "extra_data");
        jb_cstr(&b, g.leaves[i].extra_b64);
        jb_obj_end(&b);
    }
    jb_arr_end(&b);
    jb_obj_end(&b);
    respond(s, 200, "application/json", b.data, b.len);
    jb_free(&b);
}

static void checkpoint(struct pss *s, const struct tiled_log *t)
{
    uint64_t size = tree_head_size(t->n), ts = now_ms();
    uint8_t root[32], sig[300], keyid_in[128], kid[32], log_id[32];
    char origin[128], text[1024], b64r[64], b64s[512];
    size_t sl, on;
    int n;

    snprintf(origin, sizeof origin, "127.0.0.1:%d%s", g.port, t->origin_prefix);
    on = strlen(origin);
    mth((const uint8_t (*)[32])t->hashes, size, root);
    /* CT signature body: key ID, u64 timestamp, DigitallySigned */
    sha256(g.spki, g.spki_len, NULL, 0, NULL, 0, log_id);
    memcpy(keyid_in, origin, on);
    keyid_in[on] = 0x0A;
    keyid_in[on + 1] = 0x05;
    memcpy(keyid_in + on + 2, log_id, 32);
    sha256(keyid_in, on + 34, NULL, 0, NULL, 0, kid);
    memcpy(sig, kid, 4);
    put_be(sig + 4, ts, 8);
    sl = 12 + sign_tree_head(ts, size, root, sig + 12, sizeof sig - 12);
    ct_b64_encode(root, 32, b64r);
    b64r[ct_b64_encoded_len(32)] = 0;
    ct_b64_encode(sig, sl, b64s);
    b64s[ct_b64_encoded_len(sl)] = 0;
    n = snprintf(text, sizeof text, "%s\n%" PRIu64 "\n%s\n\n\xE2\x80\x94 %s %s\n",
                 origin, size, b64r, origin, b64s);
    respond(s, 200, "text/plain; charset=utf-8", text, (size_t)n);
}

/* Parses "x001/x234/067[.p/W]" into the tile index and width. */
static int parse_tile_path(const char *p, uint64_t *n, unsigned *width)
{
    uint64_t v = 0;
    const char *dotp;

    *width = 256;
    for (;;) {
        int x = *p == 'x';
        if (x)
            p++;
        if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' ||
            p[2] < '0' || p[2] > '9')
            return -1;
        v = v * 1000 + (uint64_t)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
        p += 3;
        if (x) {
            if (*p++ != '/')
                return -1;
            continue;
        }
        break;
    }
    dotp = p;
    if (*dotp == '\0') {
        *n = v;
        return 0;
    }
    if (strncmp(dotp, ".p/", 3) != 0)
        return -1;
    *width = (unsigned)strtoul(dotp + 3, NULL, 10);
    if (*width == 0 || *width >= 256)
        return -1;
    *n = v;
    return 0;
}

static void tile(struct pss *s, const struct tiled_log *t, int level,
                 const char *rest)
{
    uint64_t n, first, size = g.visible < t->n ? g.visible : t->n;
    unsigned width;

    if (parse_tile_path(rest, &n, &width) < 0 || n > UINT64_MAX / 256) {
        respond_text(s, 404, "no such tile\n");
        return;
    }
    first = n * 256;
    /* only tiles a tree head of the visible size committed to exist */
    if (first + width > size) {
        respond_text(s, 404, "no such tile\n");
        return;
    }
    if (level < 0) {
        const uint8_t *p = t->data + t->offsets[first];
        size_t len = t->offsets[first + width] - t->offsets[first];
        if (g.gzip) {
            z_stream z;
            uLong cap = compressBound((uLong)len) + 64;
            uint8_t *out = malloc(cap);
            memset(&z, 0, sizeof z);
            deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
            z.next_in = (Bytef *)p;
            z.avail_in = (uInt)len;
            z.next_out = out;
            z.avail_out = (uInt)cap;
            deflate(&z, Z_FINISH);
            respond(s, 200, "application/octet-stream", out, cap - z.avail_out);
            deflateEnd(&z);
            free(out);
            s->gzip = 1;
        } else {
            respond(s, 200, "application/octet-stream", p, len);
        }
    } else {
        respond(s, 200, "application/octet-stream", t->hashes[first],
                (size_t)width * 32);
    }
}

static void issuer(struct pss *s, const char *hex)
{
    char have[65];

    for (size_t i = 0; i < g.n_issuers; i++) {
        ct_fp_hex(g.issuers[i].fp, have);
        if (strcmp(have, hex) == 0) {
            respond(s, 200, "application/pkix-cert", g.issuers[i].der,
                    g.issuers[i].len);
            return;
        }
    }
    respond_text(s, 404, "no such issuer\n");
}

static void route(struct lws *wsi, struct pss *s, const char *uri)
{
    static const char html[] =
        "<html><head><title>502 Bad Gateway</title></head>"
        "<body>cloud error</body></html>";
    const struct tiled_log *t = NULL;
    const char *rest = NULL;

    g.requests++;
    g.served_old = 0;
    if (g.stall && g.requests % g.stall == 0) {
        s->stalled = 1;
        return;
    }
    if (g.fail_429 && g.requests % g.fail_429 == 0) {
        respond_text(s, 429, "slow down\n");
        strcpy(s->extra, "retry-after:");
        snprintf(s->extra_val, sizeof s->extra_val, "%u", g.retry_after_s);
        return;
    }
    if ((g.fail_html && g.requests % g.fail_html == 0) ||
        (g.fail_after && g.requests > g.fail_after)) {
        respond(s, 500, "text/html", html, sizeof html - 1);
        return;
    }
    if (!strcmp(uri, "/rfc/ct/v1/get-sth")) {
        get_sth(s);
        return;
    }
    if (!strcmp(uri, "/rfc/ct/v1/get-entries")) {
        get_entries(wsi, s);
        return;
    }
    if (!strncmp(uri, "/tiled/", 7)) {
        t = &g.tiled;
        rest = uri + 7;
    } else if (!strncmp(uri, "/navigli/", 9) && g.navigli.n) {
        t = &g.navigli;
        rest = uri + 9;
    }
    if (t && !strcmp(rest, "checkpoint"))
        checkpoint(s, t);
    else if (t && !strncmp(rest, "tile/data/", 10))
        tile(s, t, -1, rest + 10);
    else if (t && !strncmp(rest, "tile/0/", 7))
        tile(s, t, 0, rest + 7);
    else if (t == &g.tiled && !strncmp(rest, "issuer/", 7))
        issuer(s, rest + 7);
    else
        respond_text(s, 404, "not found\n");
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len)
{
    struct pss *s = user;
    uint8_t buf[LWS_PRE + 16384], *start = &buf[LWS_PRE], *p = start,
            *end = &buf[sizeof buf - 1];

    switch (reason) {
    case LWS_CALLBACK_HTTP:
        memset(s, 0, sizeof *s);
        route(wsi, s, (const char *)in);
        if (g.log) {
            fprintf(g.log, "GET %s %d%s\n", (const char *)in,
                    s->stalled ? 0 : s->status,
                    g.served_old ? " old-tree-head" : "");
            fflush(g.log);
        }
        if (s->stalled)
            return 0;
        if (lws_add_http_common_headers(wsi, (unsigned)s->status, s->ctype,
                                        s->len, &p, end))
            return 1;
        if (s->extra[0] &&
            lws_add_http_header_by_name(wsi, (const unsigned char *)s->extra,
                                        (const unsigned char *)s->extra_val,
                                        (int)strlen(s->extra_val), &p, end))
            return 1;
        if (s->gzip &&
            lws_add_http_header_by_name(wsi,
                                        (const unsigned char *)"content-encoding:",
                                        (const unsigned char *)"gzip", 4, &p, end))
            return 1;
        if (lws_finalize_write_http_header(wsi, start, &p, end))
            return 1;
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        size_t n;
        int final;

        if (!s || !s->body)
            break;
        n = s->len - s->sent;
        if (n > sizeof buf - LWS_PRE - 1)
            n = sizeof buf - LWS_PRE - 1;
        final = s->sent + n == s->len;
        memcpy(start, s->body + s->sent, n);
        if (lws_write(wsi, start, n, final ? LWS_WRITE_HTTP_FINAL
                                           : LWS_WRITE_HTTP) != (int)n)
            return 1;
        s->sent += n;
        if (!final) {
            lws_callback_on_writable(wsi);
            return 0;
        }
        free(s->body);
        s->body = NULL;
        if (lws_http_transaction_completed(wsi))
            return -1;
        return 0;
    }
    case LWS_CALLBACK_CLOSED_HTTP:
        if (s) {
            free(s->body);
            s->body = NULL;
        }
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    { "http", callback, sizeof(struct pss), 0, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void write_usable(struct json_buf *b)
{
    jb_obj_begin(b);
    jb_key(b, "usable");
    jb_obj_begin(b);
    jb_key(b, "timestamp");
    jb_cstr(b, "2026-01-01T00:00:00Z");
    jb_obj_end(b);
    jb_obj_end(b);
}

static void write_interval(struct json_buf *b, int k)
{
    if (!g.interval[k][0])
        return;
    jb_key(b, "temporal_interval");
    jb_obj_begin(b);
    jb_key(b, "start_inclusive");
    jb_cstr(b, g.interval[k][0]);
    jb_key(b, "end_exclusive");
    jb_cstr(b, g.interval[k][1]);
    jb_obj_end(b);
}

/* "START,END" into g.interval[k] (points into arg, which it cuts). */
static void parse_interval(char *arg, int k)
{
    char *comma = strchr(arg, ',');

    if (!comma)
        die("--rfc-interval/--tiled-interval START,END");
    *comma = '\0';
    g.interval[k][0] = arg;
    g.interval[k][1] = comma + 1;
}

static void write_loglist(const char *path)
{
    struct json_buf b;
    char key[400], id[64], url[128], url2[128];
    uint8_t log_id[32];
    FILE *f;

    sha256(g.spki, g.spki_len, NULL, 0, NULL, 0, log_id);
    ct_b64_encode(g.spki, g.spki_len, key);
    key[ct_b64_encoded_len(g.spki_len)] = 0;
    ct_b64_encode(log_id, 32, id);
    id[ct_b64_encoded_len(32)] = 0;
    jb_init(&b);
    jb_obj_begin(&b);
    jb_key(&b, "version");
    jb_cstr(&b, "1.0");
    jb_key(&b, "log_list_timestamp");
    jb_cstr(&b, g.list_timestamp ? g.list_timestamp : "2026-01-01T00:00:00Z");
    jb_key(&b, "operators");
    jb_arr_begin(&b);
    jb_obj_begin(&b);
    jb_key(&b, "name");
    jb_cstr(&b, "certmon tests");
    jb_key(&b, "logs");
    jb_arr_begin(&b);
    jb_obj_begin(&b);
    jb_key(&b, "description");
    jb_cstr(&b, "fake rfc6962 log");
    jb_key(&b, "log_id");
    jb_cstr(&b, id);
    jb_key(&b, "key");
    jb_cstr(&b, key);
    snprintf(url, sizeof url, "%s://127.0.0.1:%d/rfc/",
             g.tls ? "https" : "http", g.port);
    jb_key(&b, "url");
    jb_cstr(&b, url);
    jb_key(&b, "mmd");
    jb_int(&b, 60);
    jb_key(&b, "state");
    write_usable(&b);
    write_interval(&b, 0);
    jb_obj_end(&b);
    jb_arr_end(&b);
    jb_key(&b, "tiled_logs");
    jb_arr_begin(&b);
    for (int k = 0; k < (g.navigli.n ? 2 : 1); k++) {
        jb_obj_begin(&b);
        jb_key(&b, "description");
        jb_cstr(&b, k ? "navigli2025h2 (test)" : "fake tiled log");
        jb_key(&b, "log_id");
        jb_cstr(&b, id);
        jb_key(&b, "key");
        jb_cstr(&b, key);
        snprintf(url2, sizeof url2, "%s://127.0.0.1:%d/%s/",
                 g.tls ? "https" : "http", g.port, k ? "navigli" : "tiled");
        jb_key(&b, "submission_url");
        jb_cstr(&b, url2);
        jb_key(&b, "monitoring_url");
        jb_cstr(&b, url2);
        jb_key(&b, "mmd");
        jb_int(&b, 60);
        jb_key(&b, "state");
        write_usable(&b);
        if (k == 0)
            write_interval(&b, 1);
        jb_obj_end(&b);
    }
    jb_arr_end(&b);
    jb_obj_end(&b);
    jb_arr_end(&b);
    jb_obj_end(&b);
    f = fopen(path, "w");
    if (jb_failed(&b) || !f || fwrite(b.data, 1, b.len, f) != b.len ||
        fclose(f) != 0)
        die("cannot write %s", path);
    jb_free(&b);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "port", required_argument, NULL, 'p' },
        { "port-file", required_argument, NULL, 'P' },
        { "repeat", required_argument, NULL, 'r' },
        { "navigli", required_argument, NULL, 'N' },
        { "loglist", required_argument, NULL, 'L' },
        { "log", required_argument, NULL, 'l' },
        { "batch-cap", required_argument, NULL, 'b' },
        { "fail-429", required_argument, NULL, '4' },
        { "fail-html", required_argument, NULL, 'h' },
        { "old-sth", required_argument, NULL, 'o' },
        { "stall", required_argument, NULL, 's' },
        { "fail-after", required_argument, NULL, 'F' },
        { "initial", required_argument, NULL, 'i' },
        { "grow", required_argument, NULL, 'g' },
        { "gzip", no_argument, NULL, 'z' },
        { "tls-cert", required_argument, NULL, 'C' },
        { "tls-key", required_argument, NULL, 'K' },
        { "list-timestamp", required_argument, NULL, 'T' },
        { "rfc-interval", required_argument, NULL, 'R' },
        { "tiled-interval", required_argument, NULL, 'I' },
        { NULL, 0, NULL, 0 },
    };
    const char *port_file = NULL, *loglist = NULL, *navigli = NULL;
    const char *tls_cert = NULL, *tls_key = NULL;
    struct lws_context_creation_info info;
    unsigned repeat = 1;
    int c, port = 0, initial_given = 0;
    uint8_t *p;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'p': port = atoi(optarg); break;
        case 'P': port_file = optarg; break;
        case 'r': repeat = (unsigned)atoi(optarg); break;
        case 'N': navigli = optarg; break;
        case 'L': loglist = optarg; break;
        case 'l':
            if (!(g.log = fopen(optarg, "a")))
                die("cannot open %s", optarg);
            break;
        case 'b': g.batch_cap = (unsigned)atoi(optarg); break;
        case '4':
            if (sscanf(optarg, "%u:%u", &g.fail_429, &g.retry_after_s) != 2)
                die("--fail-429 N:SECONDS");
            break;
        case 'h': g.fail_html = (unsigned)atoi(optarg); break;
        case 'o': g.old_sth = (unsigned)atoi(optarg); break;
        case 's': g.stall = (unsigned)atoi(optarg); break;
        case 'F': g.fail_after = strtoul(optarg, NULL, 10); break;
        case 'i': g.visible = strtoull(optarg, NULL, 10); initial_given = 1; break;
        case 'g': g.grow = strtoull(optarg, NULL, 10); break;
        case 'z': g.gzip = 1; break;
        case 'C': tls_cert = optarg; break;
        case 'K': tls_key = optarg; break;
        case 'T': g.list_timestamp = optarg; break;
        case 'R': parse_interval(optarg, 0); break;
        case 'I': parse_interval(optarg, 1); break;
        default: die("usage: fake_ctlog [options] GET-ENTRIES.json...");
        }
    }
    if (optind >= argc || repeat == 0)
        die("usage: fake_ctlog [options] GET-ENTRIES.json...");
    g.key = EVP_EC_gen("P-256");
    p = g.spki;
    g.spki_len = (size_t)i2d_PUBKEY(g.key, &p);
    load_entries(argv + optind, argc - optind, repeat);
    if (navigli)
        load_navigli(navigli);
    if (!initial_given)
        g.visible = UINT64_MAX;

    memset(&info, 0, sizeof info);
    info.port = port;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    if (tls_cert && tls_key) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = tls_cert;
        info.ssl_private_key_filepath = tls_key;
        g.tls = 1;
    }
    g.port = tool_listen("fake_ctlog", &info);
    if (loglist)
        write_loglist(loglist);     /* before the port: tests read both */
    if (port_file)
        tool_publish_port("fake_ctlog", port_file, g.port);
    printf("port %d\n", g.port);
    fflush(stdout);
    tool_serve();
    for (uint64_t i = 0; i < g.n; i++) {
        free(g.leaves[i].leaf_b64);
        free(g.leaves[i].extra_b64);
        free(g.leaves[i].tile_leaf);
    }
    free(g.leaves);
    for (size_t i = 0; i < g.n_issuers; i++)
        free(g.issuers[i].der);
    free(g.issuers);
    free(g.tiled.data);
    free(g.tiled.offsets);
    free(g.tiled.hashes);
    free(g.navigli.data);
    free(g.navigli.offsets);
    free(g.navigli.hashes);
    EVP_PKEY_free(g.key);
    if (g.log)
        fclose(g.log);
    return 0;
}
