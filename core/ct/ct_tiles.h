/*
** ct_tiles.h: the static-ct-api read path, minus the network.
**
** Tile paths ("tile/data/x001/x234/067.p/13"), which tile to fetch next
** and how wide it is, gzip bodies (logs may compress without being
** asked, and libwebsockets 4.1 on Debian does not inflate), and the
** on-disk cache of issuer certificates addressed by SHA-256.
*/
#ifndef CERTMON_CT_TILES_H
#define CERTMON_CT_TILES_H

#include <stddef.h>
#include <stdint.h>

#define CT_TILE_DATA (-1)           /* level argument for data tiles */

/* Writes the path element of tile index n: 3-digit groups, all but the
** last prefixed 'x' (1234067 -> "x001/x234/067"). Returns 0, -1 if buf is
** too small. */
int ct_tile_index_path(uint64_t n, char *buf, size_t len);

/* "tile/<level>/<N>" or "tile/data/<N>", with ".p/<width>" when width is
** below 256. Relative to the monitoring prefix (which ends in '/'). */
int ct_tile_path(char *buf, size_t len, int level, uint64_t n,
                 unsigned width);

/* Entries of data tile n that exist in a tree of tree_size entries: 256
** for a full tile, 1..255 for the partial last one, 0 if none. */
unsigned ct_tile_width(uint64_t n, uint64_t tree_size);

/* 1 if the body starts like a gzip stream (1f 8b). */
int ct_is_gzip(const uint8_t *p, size_t n);

/* Inflates a whole gzip body into a new buffer (free it), refusing output
** over max_out bytes (a decompression bomb) and truncated or corrupt
** streams. Returns 0 or -1 with err set. */
int ct_gunzip(const uint8_t *in, size_t n, size_t max_out, uint8_t **out,
              size_t *out_len, char *err, size_t errlen);

/* Lower-case hex of a 32-byte fingerprint into out[65]: the name under
** "<monitoring prefix>issuer/" and in the cache. */
void ct_fp_hex(const uint8_t fp[32], char out[65]);

/* Loads a cached issuer certificate. Returns 1 with *der (free it) when
** cached and its SHA-256 matches fp, 0 when not cached, -1 on a read
** error or a mismatch (the bad file is removed, err says so). */
int ct_issuer_load(const char *dir, const uint8_t fp[32], uint8_t **der,
                   size_t *len, char *err, size_t errlen);

/* Stores an issuer certificate fetched from a log after checking that its
** SHA-256 is fp (a log serving the wrong bytes is refused). Written via a
** temp file and rename. */
int ct_issuer_store(const char *dir, const uint8_t fp[32],
                    const uint8_t *der, size_t len, char *err,
                    size_t errlen);

#endif
