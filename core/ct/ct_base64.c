/*
** ct_base64.c: standard base64 both ways.
*/
#include "ct/ct_base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The value of each byte as a base64 digit, X for every other byte
** (with its high bit set, so one OR of four tells a bad quad). */
#define X 0xFF
static const uint8_t digit[256] = {
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X, 62,  X,  X,  X, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61,  X,  X,  X,  X,  X,  X,
     X,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,  X,  X,  X,  X,  X,
     X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51,  X,  X,  X,  X,  X,
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
};
#undef X

long ct_b64_decode(const char *s, size_t n, uint8_t *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i, o = 0;
    uint32_t v[4], w;
    int k, pad = 0;

    if (n % 4 != 0)
        return -1;
    if (n == 0)
        return 0;
    /* every quad but the last: no padding allowed, one check per quad */
    for (i = 0; i + 4 < n; i += 4) {
        v[0] = digit[p[i]];
        v[1] = digit[p[i + 1]];
        v[2] = digit[p[i + 2]];
        v[3] = digit[p[i + 3]];
        if ((v[0] | v[1] | v[2] | v[3]) & 0x80)
            return -1;
        w = v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3];
        out[o] = (uint8_t)(w >> 16);
        out[o + 1] = (uint8_t)(w >> 8);
        out[o + 2] = (uint8_t)w;
        o += 3;
    }
    /* the last: '=' may end it, once or twice */
    for (k = 0; k < 4; k++) {
        unsigned char c = p[i + k];
        if (c == '=' && k >= 2) {
            v[k] = 0;
            pad++;
            continue;
        }
        if (pad || (v[k] = digit[c]) & 0x80)
            return -1;         /* '=' before a letter, or a stray byte */
    }
    w = v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3];
    if ((pad == 1 && (w & 0xFF)) || (pad == 2 && (w & 0xFFFF)))
        return -1;             /* non-canonical: unused bits set */
    out[o++] = (uint8_t)(w >> 16);
    if (pad < 2)
        out[o++] = (uint8_t)(w >> 8);
    if (pad < 1)
        out[o++] = (uint8_t)w;
    return (long)o;
}

void ct_b64_encode(const uint8_t *in, size_t n, char *out)
{
    size_t i;

    for (i = 0; i + 2 < n; i += 3) {
        uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
                     in[i + 2];
        *out++ = alphabet[w >> 18];
        *out++ = alphabet[(w >> 12) & 63];
        *out++ = alphabet[(w >> 6) & 63];
        *out++ = alphabet[w & 63];
    }
    if (i < n) {
        uint32_t w = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            w |= (uint32_t)in[i + 1] << 8;
        *out++ = alphabet[w >> 18];
        *out++ = alphabet[(w >> 12) & 63];
        *out++ = i + 1 < n ? alphabet[(w >> 6) & 63] : '=';
        *out++ = '=';
    }
}
