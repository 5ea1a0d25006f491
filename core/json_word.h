/*
** json_word.h: eight bytes of JSON string text tested at once, for the
** parser's and the writer's fast paths over long plain runs (base64
** certificates, names).
**
** Inline: these run on every byte of every message.
*/
#ifndef CERTMON_JSON_WORD_H
#define CERTMON_JSON_WORD_H

#include <stdint.h>

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

#endif
