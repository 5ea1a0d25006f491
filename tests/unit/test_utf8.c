/*
** test_utf8.c: utf8.h against counts that follow from RFC 3629 alone.
**
** Every 2- and 3-byte string is tried: exactly the encodings of U+0080 to
** U+07FF (1,920) and of U+0800 to U+FFFF without the surrogates (61,440)
** are sequences; every code point's own encoding is one of its length;
** utf8_valid agrees with utf8_seq_len, with ASCII around it at every
** alignment of the 8-byte fast path.
*/
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "utf8.h"

static size_t encode(uint32_t cp, unsigned char *o)
{
    if (cp < 0x80)
        return o[0] = (unsigned char)cp, 1;
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

int main(void)
{
    unsigned char b[4];
    unsigned long two = 0, three = 0, bad_cp = 0, disagree = 0;
    char what[96];

    for (unsigned x = 0; x < 1u << 16; x++) {
        b[0] = (unsigned char)(x >> 8), b[1] = (unsigned char)x;
        two += b[0] >= 0x80 && utf8_seq_len(b, 2) == 2;
    }
    for (unsigned x = 0; x < 1u << 24; x++) {
        b[0] = (unsigned char)(x >> 16), b[1] = (unsigned char)(x >> 8);
        b[2] = (unsigned char)x;
        if (b[0] >= 0xE0 && utf8_seq_len(b, 3) == 3)
            three++;
        if ((x & 0xFF) == 0) {      /* utf8_valid = a greedy parse */
            size_t i = 0, n = 1;
            while (i < 3 && (n = utf8_seq_len(b + i, 3 - i)) > 0)
                i += n;
            disagree += utf8_valid(b, 3) != (i == 3);
        }
    }
    snprintf(what, sizeof what, "2-byte sequences: %lu of 1920", two);
    check_report(two == 1920, __FILE__, __LINE__, what);
    snprintf(what, sizeof what, "3-byte sequences: %lu of 61440", three);
    check_report(three == 61440, __FILE__, __LINE__, what);
    CHECK(disagree == 0);
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        size_t n = encode(cp, b);
        int surrogate = cp >= 0xD800 && cp <= 0xDFFF;
        if ((utf8_seq_len(b, n) == n) == surrogate ||
            (!surrogate && n > 1 && utf8_seq_len(b, n - 1) != 0))
            bad_cp++;
    }
    CHECK(bad_cp == 0);
    b[0] = 0xF4, b[1] = 0x90, b[2] = 0x80, b[3] = 0x80;     /* U+110000 */
    CHECK(utf8_seq_len(b, 4) == 0);
    b[0] = 0xC0, b[1] = 0x80;                               /* overlong NUL */
    CHECK(utf8_seq_len(b, 2) == 0);
    /* the fast path: a bad byte at every position of a 40-byte string */
    for (size_t at = 0; at < 40; at++) {
        char s[41];
        memset(s, 'a', 40);
        s[40] = '\0';
        CHECK(utf8_valid(s, 40));
        s[at] = (char)0xFF;
        if (!CHECK(!utf8_valid(s, 40)))
            break;
        s[at] = (char)0xC3;                 /* é cut at the end or whole */
        if (at + 1 < 40) {
            s[at + 1] = (char)0xA9;
            CHECK(utf8_valid(s, 40));
        } else {
            CHECK(!utf8_valid(s, 40));
        }
    }
    return check_done();
}
