/*
** ct_tiles.c: tile paths, gzip and the issuer cache.
*/
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "ct/ct_entry.h"
#include "log.h"
#include "ct/ct_tiles.h"

#define ISSUER_MAX_BYTES (64u << 10)   /* a CA certificate is a few KiB */

int ct_tile_index_path(uint64_t n, char *buf, size_t len)
{
    unsigned groups[8];
    int k = 0, i;
    size_t o = 0;

    do {
        groups[k++] = (unsigned)(n % 1000);
        n /= 1000;
    } while (n > 0);
    for (i = k - 1; i >= 0; i--) {
        int w = snprintf(buf + o, len > o ? len - o : 0, "%s%03u%s",
                         i > 0 ? "x" : "", groups[i], i > 0 ? "/" : "");
        if (w < 0 || (size_t)w >= (len > o ? len - o : 0))
            return -1;
        o += (size_t)w;
    }
    return 0;
}

int ct_tile_path(char *buf, size_t len, int level, uint64_t n,
                 unsigned width)
{
    char idx[64], lvl[16];
    int w;

    if (width == 0 || width > CT_TILE_WIDTH || level < CT_TILE_DATA ||
        level > 63 || ct_tile_index_path(n, idx, sizeof idx) < 0)
        return -1;
    if (level == CT_TILE_DATA)
        snprintf(lvl, sizeof lvl, "data");
    else
        snprintf(lvl, sizeof lvl, "%d", level);
    if (width == CT_TILE_WIDTH)
        w = snprintf(buf, len, "tile/%s/%s", lvl, idx);
    else
        w = snprintf(buf, len, "tile/%s/%s.p/%u", lvl, idx, width);
    return w < 0 || (size_t)w >= len ? -1 : 0;
}

unsigned ct_tile_width(uint64_t n, uint64_t tree_size)
{
    uint64_t first;

    if (n > UINT64_MAX / CT_TILE_WIDTH)
        return 0;
    first = n * CT_TILE_WIDTH;
    if (first >= tree_size)
        return 0;
    return tree_size - first >= CT_TILE_WIDTH ? CT_TILE_WIDTH
                                              : (unsigned)(tree_size - first);
}

int ct_is_gzip(const uint8_t *p, size_t n)
{
    return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

int ct_gunzip(const uint8_t *in, size_t n, size_t max_out, uint8_t **out,
              size_t *out_len, char *err, size_t errlen)
{
    z_stream z;
    uint8_t *buf = NULL;
    size_t cap = n * 4 + 1024, used = 0;
    int zr = Z_OK;

    *out = NULL;
    *out_len = 0;
    memset(&z, 0, sizeof z);
    if (n > UINT_MAX || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        err_set(err, errlen, "gzip: cannot start inflating");
        return -1;
    }
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    if (cap > max_out + 1)
        cap = max_out + 1;
    while (zr != Z_STREAM_END) {
        if (used == cap) {
            size_t nc;
            uint8_t *p;
            if (cap > max_out) {
                err_set(err, errlen, "gzip: inflates to more than %zu "
                        "bytes", max_out);
                goto fail;
            }
            nc = cap * 2 > max_out + 1 ? max_out + 1 : cap * 2;
            if (!(p = realloc(buf, nc)))
                goto oom;
            buf = p;
            cap = nc;
        }
        if (!buf && !(buf = malloc(cap)))
            goto oom;
        z.next_out = buf + used;
        z.avail_out = (uInt)(cap - used > UINT_MAX ? UINT_MAX : cap - used);
        zr = inflate(&z, Z_NO_FLUSH);
        used = (size_t)(z.next_out - buf);
        if (zr == Z_BUF_ERROR && z.avail_in == 0) {
            err_set(err, errlen, "gzip: truncated stream");
            goto fail;
        }
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
            err_set(err, errlen, "gzip: %s", z.msg ? z.msg : "corrupt");
            goto fail;
        }
    }
    if (used > max_out) {
        err_set(err, errlen, "gzip: inflates to more than %zu bytes",
                max_out);
        goto fail;
    }
    if (z.avail_in != 0) {
        err_set(err, errlen, "gzip: %u bytes after the stream",
                (unsigned)z.avail_in);
        goto fail;
    }
    inflateEnd(&z);
    *out = buf;
    *out_len = used;
    return 0;
oom:
    err_set(err, errlen, "gzip: out of memory");
fail:
    inflateEnd(&z);
    free(buf);
    return -1;
}

void ct_fp_hex(const uint8_t fp[32], char out[65])
{
    static const char hex[] = "0123456789abcdef";
    int i;

    for (i = 0; i < 32; i++) {
        out[2 * i] = hex[fp[i] >> 4];
        out[2 * i + 1] = hex[fp[i] & 15];
    }
    out[64] = '\0';
}

static int sha256_is(const uint8_t *p, size_t n, const uint8_t fp[32])
{
    uint8_t h[EVP_MAX_MD_SIZE];
    unsigned int hl = 0;

    return EVP_Digest(p, n, h, &hl, EVP_sha256(), NULL) && hl == 32 &&
           memcmp(h, fp, 32) == 0;
}

static int issuer_path(const char *dir, const uint8_t fp[32], char *out,
                       size_t len)
{
    char hex[65];

    ct_fp_hex(fp, hex);
    return (size_t)snprintf(out, len, "%s/%s.der", dir, hex) < len ? 0 : -1;
}

int ct_issuer_load(const char *dir, const uint8_t fp[32], uint8_t **der,
                   size_t *len, char *err, size_t errlen)
{
    char path[4096];
    uint8_t *buf;
    ssize_t n;
    int fd;

    *der = NULL;
    *len = 0;
    if (issuer_path(dir, fp, path, sizeof path) < 0) {
        err_set(err, errlen, "issuer cache path too long");
        return -1;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        err_set(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    buf = malloc(ISSUER_MAX_BYTES + 1);
    n = buf ? read(fd, buf, ISSUER_MAX_BYTES + 1) : -1;
    close(fd);
    if (n <= 0 || n > (ssize_t)ISSUER_MAX_BYTES ||
        !sha256_is(buf, (size_t)n, fp)) {
        err_set(err, errlen, "%s: cached issuer does not match its "
                "SHA-256; removed", path);
        unlink(path);
        free(buf);
        return -1;
    }
    *der = buf;
    *len = (size_t)n;
    return 1;
}

int ct_issuer_store(const char *dir, const uint8_t fp[32],
                    const uint8_t *der, size_t len, char *err,
                    size_t errlen)
{
    char path[4096], tmp[4200];
    int fd;
    ssize_t w;

    if (len == 0 || len > ISSUER_MAX_BYTES || !sha256_is(der, len, fp)) {
        err_set(err, errlen, "issuer certificate does not match its "
                "fingerprint");
        return -1;
    }
    if (issuer_path(dir, fp, path, sizeof path) < 0 ||
        (size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path,
                         (long)getpid()) >= sizeof tmp) {
        err_set(err, errlen, "issuer cache path too long");
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        err_set(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    w = write(fd, der, len);
    if (close(fd) < 0)
        w = -1;
    if (w != (ssize_t)len || rename(tmp, path) < 0) {
        err_set(err, errlen, "%s: %s", path,
                w != (ssize_t)len ? "short write" : strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}
