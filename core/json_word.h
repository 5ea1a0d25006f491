/*
** json_word.h: eight bytes of JSON string text tested at once, for the
** parser's and the writer's fast paths over long plain runs (base64
** certificates, names).
**
** Inline: these run on every byte of every message.
*/
#ifndef CERTMON_JSON_WORD_H
#define CERTMON_JSON_WORD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define JSON_WORD_ONES 0x0101010101010101ull
#define JSON_WORD_HIGHS 0x8080808080808080ull

/* Whether a byte of w is below 0x20, a '"' or a '\\': the bytes plain
** string text may not hold. Exact (the borrows of the subtractions only
** start at such a byte). */
static inline int json_word_special(uint64_t w)
{
    uint64_t quote = w ^ (JSON_WORD_ONES * '"');
    uint64_t bslash = w ^ (JSON_WORD_ONES * '\\');

    return ((((w - JSON_WORD_ONES * 0x20) & ~w) |
             ((quote - JSON_WORD_ONES) & ~quote) |
             ((bslash - JSON_WORD_ONES) & ~bslash)) & JSON_WORD_HIGHS) != 0;
}

/* The length of the run at the start of s[0..n) free of bytes below
** 0x20, '"' and '\\' (and, with ascii, of bytes above 0x7F): the text a
** string may carry as it is. A word at a time, then byte by byte. */
static inline size_t json_plain_len(const unsigned char *s, size_t n,
                                    int ascii)
{
    uint64_t w, high = ascii ? JSON_WORD_HIGHS : 0;
    size_t i = 0;

    while (n - i >= 8) {
        memcpy(&w, s + i, 8);
        if ((w & high) || json_word_special(w))
            break;
        i += 8;
    }
    while (i < n && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\' &&
           !(ascii && s[i] >= 0x80))
        i++;
    return i;
}

#endif
