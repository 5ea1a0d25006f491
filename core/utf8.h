/*
** utf8.h: well-formed UTF-8 as RFC 3629 defines it (no overlong forms,
** no surrogates, nothing past U+10FFFF), for every place that checks it:
** WebSocket text frames and close reasons, the alert encoder, the JSON
** writer of CT messages.
**
** Inline: these run on every byte of every message.
*/
#ifndef CERTMON_UTF8_H
#define CERTMON_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Length (1 to 4) of the well-formed sequence at s, which has avail > 0
** bytes, or 0 if the bytes there are not one. */
static inline size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (avail < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* Whether data[0..len) is well-formed UTF-8. ASCII runs go 8 bytes a
** step. */
static inline int utf8_valid(const void *data, size_t len)
{
    const unsigned char *s = data;
    size_t i = 0, n;

    while (i < len) {
        if (s[i] < 0x80) {
            uint64_t w;
            while (i + 8 <= len) {
                memcpy(&w, s + i, 8);
                if (w & 0x8080808080808080ull)
                    break;
                i += 8;
            }
            while (i < len && s[i] < 0x80)
                i++;
            continue;
        }
        if ((n = utf8_seq_len(s + i, len - i)) == 0)
            return 0;
        i += n;
    }
    return 1;
}

#endif
