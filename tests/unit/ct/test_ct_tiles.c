/*
** test_ct_tiles.c: tile paths and widths, gzip bodies, the issuer cache.
*/
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <openssl/evp.h>

#include "check.h"
#include "ct/ct_base64.h"
#include "ct/ct_entry.h"
#include "ct/ct_tiles.h"
#include "json_parse.h"
#include "test_ct_util.h"

/* certspotter's TestFormatTileIndex vectors plus the C2SP example. */
static void test_index_vectors(void)
{
    size_t len, i;
    char *text = ct_fixture("static-ct/tile-index-vectors.json", &len);
    struct json_value *v = text ? json_parse(text, len, NULL, 0) : NULL;
    const struct json_value *lists[2] = {
        json_get(v, "vectors"), json_get(v, "also_from_C2SP_static-ct-api.md")
    };
    char buf[64];
    int k, n = 0;

    for (k = 0; k < 2; k++)
        for (i = 0; i < json_count(lists[k]); i++) {
            const struct json_value *pair = json_at(lists[k], i);
            uint64_t idx;
            CHECK(json_uint(json_at(pair, 0), &idx));
            CHECK(ct_tile_index_path(idx, buf, sizeof buf) == 0);
            CHECK_STR(buf, json_str(json_at(pair, 1), NULL));
            n++;
        }
    CHECK(n == 11);
    CHECK(ct_tile_index_path(UINT64_MAX, buf, sizeof buf) == 0);
    CHECK_STR(buf, "x018/x446/x744/x073/x709/x551/615");
    CHECK(ct_tile_index_path(1234067, buf, 10) < 0);
    json_free(v);
    free(text);
}

static void test_paths_and_widths(void)
{
    char buf[128];

    CHECK(ct_tile_path(buf, sizeof buf, CT_TILE_DATA, 1234067, 256) == 0);
    CHECK_STR(buf, "tile/data/x001/x234/067");
    CHECK(ct_tile_path(buf, sizeof buf, CT_TILE_DATA, 0, 13) == 0);
    CHECK_STR(buf, "tile/data/000.p/13");
    CHECK(ct_tile_path(buf, sizeof buf, 0, 5, 256) == 0);
    CHECK_STR(buf, "tile/0/005");
    CHECK(ct_tile_path(buf, sizeof buf, 2, 1000, 1) == 0);
    CHECK_STR(buf, "tile/2/x001/000.p/1");
    CHECK(ct_tile_path(buf, sizeof buf, CT_TILE_DATA, 0, 0) < 0);
    CHECK(ct_tile_path(buf, sizeof buf, CT_TILE_DATA, 0, 257) < 0);
    CHECK(ct_tile_path(buf, sizeof buf, -2, 0, 1) < 0);
    CHECK(ct_tile_path(buf, 8, CT_TILE_DATA, 0, 1) < 0);

    CHECK(ct_tile_width(0, 0) == 0);
    CHECK(ct_tile_width(0, 1) == 1);
    CHECK(ct_tile_width(0, 256) == 256);
    CHECK(ct_tile_width(1, 256) == 0);
    CHECK(ct_tile_width(1, 300) == 44);
    CHECK(ct_tile_width(0, 300) == 256);
    CHECK(ct_tile_width(3, 1024) == 256);
    CHECK(ct_tile_width(UINT64_MAX, UINT64_MAX) == 0);
}

static uint8_t *gzip(const uint8_t *in, size_t n, size_t *out_len)
{
    z_stream z;
    size_t cap = compressBound((uLong)n) + 64;
    uint8_t *out = malloc(cap);

    memset(&z, 0, sizeof z);
    deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static void test_gzip(void)
{
    size_t len, glen, olen, k;
    char *tile = ct_fixture("static-ct/navigli2025h2/tile/data/000", &len);
    uint8_t *gz, *out, *zeros;
    char err[256];
    struct ct_tile t;
    int bad = 0;

    if (!CHECK(tile != NULL))
        return;
    gz = gzip((uint8_t *)tile, len, &glen);
    CHECK(ct_is_gzip(gz, glen) && !ct_is_gzip((uint8_t *)tile, len));
    CHECK(ct_gunzip(gz, glen, 1 << 20, &out, &olen, err, sizeof err) == 0);
    CHECK(olen == len && memcmp(out, tile, len) == 0);
    /* and the inflated tile parses as the original does */
    CHECK(ct_tile_parse(out, olen, 0, 256, &t, err, sizeof err) == 0 && t.n == 256);
    ct_tile_free(&t);
    free(out);
    /* the cap: one byte less than the tile is refused */
    CHECK(ct_gunzip(gz, glen, len - 1, &out, &olen, err, sizeof err) < 0);
    CHECK(out == NULL && strstr(err, "more than") != NULL);
    CHECK(ct_gunzip(gz, glen, len, &out, &olen, err, sizeof err) == 0);
    free(out);
    /* every truncation is refused */
    for (k = 0; k < glen; k += (k < 64 ? 1 : 97))
        if (ct_gunzip(gz, k, 1 << 20, &out, &olen, NULL, 0) == 0) {
            bad++;
            free(out);
        }
    CHECK(bad == 0);
    /* corrupt data, trailing garbage */
    gz[glen / 2] ^= 0x55;
    CHECK(ct_gunzip(gz, glen, 1 << 20, &out, &olen, err, sizeof err) < 0);
    free(gz);
    gz = gzip((const uint8_t *)"abc", 3, &glen);
    gz = realloc(gz, glen + 1);
    gz[glen] = 'x';
    CHECK(ct_gunzip(gz, glen + 1, 100, &out, &olen, err, sizeof err) < 0);
    CHECK(ct_gunzip(gz, glen, 100, &out, &olen, err, sizeof err) == 0 &&
          olen == 3 && memcmp(out, "abc", 3) == 0);
    free(out);
    free(gz);
    /* a bomb: 16 MiB of zeros compress to ~16 KiB and are refused at 1 MiB */
    zeros = calloc(16 << 20, 1);
    gz = gzip(zeros, 16 << 20, &glen);
    CHECK(glen < 100000);
    CHECK(ct_gunzip(gz, glen, 1 << 20, &out, &olen, err, sizeof err) < 0);
    free(gz);
    free(zeros);
    CHECK(ct_gunzip((const uint8_t *)"not gzip", 8, 100, &out, &olen, err, sizeof err) < 0);
    free(tile);
}

/* The issuer cache with a real CA certificate (Let's Encrypt Authority
** X3 from the calidog entry's chain). */
static void test_issuer_cache(void)
{
    size_t len;
    char *body = ct_fixture("rfc6962/calidog-certstream-server-standard_entry.get-entries.json", &len);
    struct ct_entry_list l;
    char dir[] = "/tmp/test_ct_tiles.XXXXXX", err[256], hex[65], path[512];
    uint8_t fp[32], *der;
    unsigned int hl;
    size_t dl;
    FILE *f;

    if (!CHECK(body && ct_entries_parse_json(body, len, &l, err, sizeof err) == 0 &&
               l.n == 1 && l.entries[0].n_chain == 2 && mkdtemp(dir)))
        goto out;
    EVP_Digest(l.entries[0].chain[0].p, l.entries[0].chain[0].len, fp, &hl,
               EVP_sha256(), NULL);
    ct_fp_hex(fp, hex);
    CHECK(strlen(hex) == 64 && hex[0] >= '0');
    CHECK(ct_issuer_load(dir, fp, &der, &dl, err, sizeof err) == 0);
    /* the wrong bytes for this fingerprint are refused */
    CHECK(ct_issuer_store(dir, fp, l.entries[0].chain[1].p,
                          l.entries[0].chain[1].len, err, sizeof err) < 0);
    CHECK(ct_issuer_store(dir, fp, l.entries[0].chain[0].p,
                          l.entries[0].chain[0].len, err, sizeof err) == 0);
    CHECK(ct_issuer_load(dir, fp, &der, &dl, err, sizeof err) == 1);
    CHECK(dl == l.entries[0].chain[0].len &&
          memcmp(der, l.entries[0].chain[0].p, dl) == 0);
    free(der);
    /* a damaged cache file is detected and removed */
    snprintf(path, sizeof path, "%s/%s.der", dir, hex);
    f = fopen(path, "r+b");
    if (f) {
        fputc('X', f);
        fclose(f);
    }
    CHECK(ct_issuer_load(dir, fp, &der, &dl, err, sizeof err) == -1);
    CHECK(strstr(err, "does not match") != NULL && access(path, F_OK) < 0);
    CHECK(ct_issuer_load(dir, fp, &der, &dl, err, sizeof err) == 0);
    rmdir(dir);
    ct_entry_list_free(&l);
out:
    free(body);
}

int main(void)
{
    test_index_vectors();
    test_paths_and_widths();
    test_gzip();
    test_issuer_cache();
    return check_done();
}
