/*
** fuzz_ct_tiles.c: gzip bodies and tile paths (core/ct/ct_tiles.c).
**
** Byte 0 sets the output cap, 64 << (b % 13) bytes (64 B .. 256 KiB); the
** rest is a response body. ct_gunzip is checked against zlib driven
** directly into one buffer of cap + 1 bytes: the body must be accepted
** exactly when it is one complete gzip member inflating to at most cap
** bytes with nothing after it, and then the output must be the same
** bytes. A bomb can therefore not be accepted, and since the output
** buffer never grows past cap + 1 the run's -malloc_limit_mb catches one
** that is inflated rather than refused. Bytes 1..9 also drive the tile
** path and width helpers.
*/
#include <zlib.h>

#include "ct/ct_entry.h"
#include "ct/ct_tiles.h"
#include "fuzz_util.h"

/* What a correct gunzip gives: 1 and the output in buf, or 0. */
static int reference(const uint8_t *in, size_t n, uint8_t *buf, size_t cap,
                     size_t *out_len)
{
    z_stream z;
    int zr, ok;

    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        abort();
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = buf;
    z.avail_out = (uInt)(cap + 1);
    zr = inflate(&z, Z_FINISH);
    *out_len = z.total_out;
    ok = zr == Z_STREAM_END && z.avail_in == 0 && z.total_out <= cap;
    inflateEnd(&z);
    return ok;
}

static void paths(struct fuzz_in *in)
{
    uint64_t n = 0;
    unsigned width, level;
    char buf[128];

    for (int i = 0; i < 8; i++)
        n = n << 8 | fuzz_byte(in);
    level = fuzz_byte(in);
    width = ct_tile_width(n >> 8, n);
    FUZZ_ASSERT(width <= CT_TILE_WIDTH);
    if (ct_tile_path(buf, sizeof buf, (int)level % 66 - 1, n, width ? width
                     : CT_TILE_WIDTH) == 0)
        for (const char *p = buf; *p; p++)
            FUZZ_ASSERT((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z')
                        || *p == '/' || *p == '.');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    size_t cap = (size_t)64 << (fuzz_byte(&in) % 13), len, ref_len, out_len;
    struct fuzz_in steer = in;
    uint8_t *body = fuzz_take(&in, in.left, &len), *out, *ref;
    char err[256] = "";
    int ok, ref_ok;

    paths(&steer);
    ref = malloc(cap + 1);
    FUZZ_ASSERT(ref != NULL);
    ref_ok = reference(body, len, ref, cap, &ref_len);
    ok = ct_gunzip(body, len, cap, &out, &out_len, err, sizeof err) == 0;
    FUZZ_ASSERT(ok == ref_ok);
    if (ok) {
        FUZZ_ASSERT(ct_is_gzip(body, len));
        FUZZ_ASSERT(out_len == ref_len && out_len <= cap);
        FUZZ_ASSERT(out_len == 0 || memcmp(out, ref, out_len) == 0);
        free(out);
    } else {
        FUZZ_ASSERT(out == NULL && err[0] != '\0');
    }
    free(ref);
    free(body);
    return 0;
}
