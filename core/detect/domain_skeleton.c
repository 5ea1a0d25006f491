/*
** domain_skeleton.c: confusable skeletons and script detection for names.
**
** Scope of the table below (written for domains, not a copy of Unicode's
** confusables.txt): the lower-case letters that IDNA2008 allows and that
** imitate a Latin letter a-z or a digit in common fonts:
**   - Cyrillic (incl. palochka, Komi and Abkhaz letters), Greek with tonos,
**     Armenian, Latin IPA/small capitals, dotless i, long s;
**   - compatibility forms UTS 46 would map anyway but that a raw string may
**     hold: fullwidth ASCII, small Roman numerals, mathematical letters;
**   - in loose mode also Latin letters with diacritics (Latin-1, Extended-A,
**     Extended Additional) and combining marks, which are dropped.
** Upper-case forms are absent on purpose: IDNA maps them to lower case.
** Strict mode maps only characters of other scripts and compatibility forms
** (a TR39-style skeleton, ASCII unchanged). Loose mode adds the domain fold
** TR39 lacks: diacritics off, 0->o, 1/i/l/|->l, then rn->m, vv->w, cl->d.
*/
#include <string.h>

#include "detect/domain.h"

struct glyph {
    uint32_t lo, hi;        /* inclusive code point range */
    const char *proto;      /* the ASCII it imitates */
    int loose_only;         /* diacritic or weak look-alike */
};

/* Sorted by lo; looked up by binary search. */
static const struct glyph glyphs[] = {
    { 0x00DF, 0x00DF, "ss", 1 },
    { 0x00E0, 0x00E5, "a", 1 }, { 0x00E6, 0x00E6, "ae", 1 },
    { 0x00E7, 0x00E7, "c", 1 }, { 0x00E8, 0x00EB, "e", 1 },
    { 0x00EC, 0x00EF, "i", 1 }, { 0x00F0, 0x00F0, "d", 1 },
    { 0x00F1, 0x00F1, "n", 1 }, { 0x00F2, 0x00F6, "o", 1 },
    { 0x00F8, 0x00F8, "o", 1 }, { 0x00F9, 0x00FC, "u", 1 },
    { 0x00FD, 0x00FD, "y", 1 }, { 0x00FE, 0x00FE, "p", 1 },
    { 0x00FF, 0x00FF, "y", 1 },
    { 0x0100, 0x0105, "a", 1 }, { 0x0106, 0x010D, "c", 1 },
    { 0x010E, 0x0111, "d", 1 }, { 0x0112, 0x011B, "e", 1 },
    { 0x011C, 0x0123, "g", 1 }, { 0x0124, 0x0127, "h", 1 },
    { 0x0128, 0x0130, "i", 1 }, { 0x0131, 0x0131, "i", 0 },
    { 0x0132, 0x0133, "ij", 1 }, { 0x0134, 0x0135, "j", 1 },
    { 0x0136, 0x0138, "k", 1 }, { 0x0139, 0x0142, "l", 1 },
    { 0x0143, 0x014B, "n", 1 }, { 0x014C, 0x0151, "o", 1 },
    { 0x0152, 0x0153, "oe", 1 }, { 0x0154, 0x0159, "r", 1 },
    { 0x015A, 0x0161, "s", 1 }, { 0x0162, 0x0167, "t", 1 },
    { 0x0168, 0x0173, "u", 1 }, { 0x0174, 0x0175, "w", 1 },
    { 0x0176, 0x0178, "y", 1 }, { 0x0179, 0x017E, "z", 1 },
    { 0x017F, 0x017F, "f", 0 },
    { 0x0180, 0x0180, "b", 1 }, { 0x0188, 0x0188, "c", 1 },
    { 0x018C, 0x018C, "d", 1 }, { 0x0192, 0x0192, "f", 1 },
    { 0x0199, 0x0199, "k", 1 }, { 0x019A, 0x019A, "l", 1 },
    { 0x01A1, 0x01A1, "o", 1 }, { 0x01B0, 0x01B0, "u", 1 },
    { 0x01C0, 0x01C0, "l", 0 }, { 0x01CE, 0x01CE, "a", 1 },
    { 0x01D0, 0x01D0, "i", 1 }, { 0x01D2, 0x01D2, "o", 1 },
    { 0x01D4, 0x01DC, "u", 1 }, { 0x01E7, 0x01E7, "g", 1 },
    { 0x01E9, 0x01E9, "k", 1 }, { 0x01EB, 0x01ED, "o", 1 },
    { 0x01F0, 0x01F0, "j", 1 }, { 0x01F5, 0x01F5, "g", 1 },
    { 0x01F9, 0x01F9, "n", 1 }, { 0x0201, 0x0203, "a", 1 },
    { 0x0205, 0x0207, "e", 1 }, { 0x0209, 0x020B, "i", 1 },
    { 0x020D, 0x020F, "o", 1 }, { 0x0211, 0x0213, "r", 1 },
    { 0x0215, 0x0217, "u", 1 }, { 0x0219, 0x0219, "s", 1 },
    { 0x021B, 0x021B, "t", 1 }, { 0x0227, 0x0227, "a", 1 },
    { 0x0229, 0x0229, "e", 1 }, { 0x022F, 0x0231, "o", 1 },
    { 0x0237, 0x0237, "j", 0 },
    { 0x0251, 0x0251, "a", 0 }, { 0x0253, 0x0253, "b", 1 },
    { 0x0256, 0x0257, "d", 1 }, { 0x0261, 0x0261, "g", 0 },
    { 0x0262, 0x0262, "g", 1 }, { 0x0266, 0x0266, "h", 1 },
    { 0x0269, 0x0269, "i", 0 }, { 0x026A, 0x026A, "i", 0 },
    { 0x026B, 0x026D, "l", 1 }, { 0x0271, 0x0271, "m", 1 },
    { 0x0272, 0x0273, "n", 1 }, { 0x0274, 0x0274, "n", 1 },
    { 0x027C, 0x027E, "r", 1 }, { 0x0282, 0x0282, "s", 1 },
    { 0x0288, 0x0288, "t", 1 }, { 0x028B, 0x028B, "u", 1 },
    { 0x028F, 0x028F, "y", 1 }, { 0x0290, 0x0291, "z", 1 },
    { 0x0300, 0x036F, "", 1 },              /* combining marks: dropped */
    { 0x03AC, 0x03AC, "a", 1 }, { 0x03AD, 0x03AD, "e", 1 },
    { 0x03AE, 0x03AE, "n", 1 }, { 0x03AF, 0x03AF, "i", 1 },
    { 0x03B1, 0x03B1, "a", 0 }, { 0x03B2, 0x03B2, "b", 1 },
    { 0x03B3, 0x03B3, "y", 0 }, { 0x03B5, 0x03B5, "e", 1 },
    { 0x03B7, 0x03B7, "n", 0 }, { 0x03B9, 0x03B9, "i", 0 },
    { 0x03BA, 0x03BA, "k", 0 }, { 0x03BC, 0x03BC, "u", 1 },
    { 0x03BD, 0x03BD, "v", 0 }, { 0x03BF, 0x03BF, "o", 0 },
    { 0x03C0, 0x03C0, "n", 1 }, { 0x03C1, 0x03C1, "p", 0 },
    { 0x03C2, 0x03C2, "c", 1 }, { 0x03C3, 0x03C3, "o", 0 },
    { 0x03C4, 0x03C4, "t", 0 }, { 0x03C5, 0x03C5, "u", 0 },
    { 0x03C7, 0x03C7, "x", 0 }, { 0x03C9, 0x03C9, "w", 0 },
    { 0x03CA, 0x03CA, "i", 1 }, { 0x03CB, 0x03CB, "u", 1 },
    { 0x03CC, 0x03CC, "o", 1 }, { 0x03CD, 0x03CD, "u", 1 },
    { 0x03CE, 0x03CE, "w", 1 }, { 0x03F1, 0x03F1, "p", 0 },
    { 0x03F2, 0x03F2, "c", 0 }, { 0x03F3, 0x03F3, "j", 0 },
    { 0x0430, 0x0430, "a", 0 }, { 0x0431, 0x0431, "6", 0 },
    { 0x0432, 0x0432, "b", 1 }, { 0x0433, 0x0433, "r", 0 },
    { 0x0435, 0x0435, "e", 0 }, { 0x0437, 0x0437, "3", 0 },
    { 0x0438, 0x0438, "u", 1 }, { 0x0439, 0x0439, "u", 1 },
    { 0x043A, 0x043A, "k", 0 }, { 0x043C, 0x043C, "m", 1 },
    { 0x043D, 0x043D, "h", 1 }, { 0x043E, 0x043E, "o", 0 },
    { 0x043F, 0x043F, "n", 0 }, { 0x0440, 0x0440, "p", 0 },
    { 0x0441, 0x0441, "c", 0 }, { 0x0442, 0x0442, "t", 1 },
    { 0x0443, 0x0443, "y", 0 }, { 0x0445, 0x0445, "x", 0 },
    { 0x0448, 0x0448, "w", 1 }, { 0x044C, 0x044C, "b", 0 },
    { 0x0450, 0x0451, "e", 1 }, { 0x0453, 0x0453, "r", 1 },
    { 0x0454, 0x0454, "e", 1 }, { 0x0455, 0x0455, "s", 0 },
    { 0x0456, 0x0456, "i", 0 }, { 0x0457, 0x0457, "i", 1 },
    { 0x0458, 0x0458, "j", 0 }, { 0x045B, 0x045B, "h", 1 },
    { 0x045C, 0x045C, "k", 1 }, { 0x045D, 0x045D, "u", 1 },
    { 0x045E, 0x045E, "y", 1 }, { 0x04AB, 0x04AB, "c", 1 },
    { 0x04AF, 0x04AF, "y", 0 }, { 0x04B1, 0x04B1, "y", 1 },
    { 0x04B3, 0x04B3, "x", 1 }, { 0x04BB, 0x04BB, "h", 0 },
    { 0x04BD, 0x04BD, "e", 1 }, { 0x04C0, 0x04C0, "l", 0 },
    { 0x04CF, 0x04CF, "l", 0 }, { 0x04D1, 0x04D1, "a", 1 },
    { 0x04D3, 0x04D3, "a", 1 }, { 0x04D9, 0x04D9, "e", 1 },
    { 0x04E7, 0x04E7, "o", 1 }, { 0x04E9, 0x04E9, "o", 1 },
    { 0x04F1, 0x04F1, "y", 1 }, { 0x0501, 0x0501, "d", 0 },
    { 0x050D, 0x050D, "g", 1 }, { 0x051B, 0x051B, "q", 0 },
    { 0x051D, 0x051D, "w", 0 },
    { 0x0561, 0x0561, "w", 1 }, { 0x0563, 0x0563, "q", 1 },
    { 0x0566, 0x0566, "q", 0 }, { 0x056B, 0x056B, "h", 1 },
    { 0x056C, 0x056C, "l", 1 }, { 0x0570, 0x0570, "h", 0 },
    { 0x0575, 0x0575, "j", 1 }, { 0x0578, 0x0578, "n", 0 },
    { 0x057C, 0x057C, "n", 1 }, { 0x057D, 0x057D, "u", 0 },
    { 0x0581, 0x0581, "g", 0 }, { 0x0582, 0x0582, "i", 1 },
    { 0x0584, 0x0584, "p", 0 }, { 0x0585, 0x0585, "o", 0 },
    { 0x1D00, 0x1D00, "a", 0 }, { 0x1D04, 0x1D04, "c", 0 },
    { 0x1D05, 0x1D05, "d", 1 }, { 0x1D07, 0x1D07, "e", 1 },
    { 0x1D0A, 0x1D0A, "j", 1 }, { 0x1D0B, 0x1D0B, "k", 1 },
    { 0x1D0D, 0x1D0D, "m", 1 }, { 0x1D0F, 0x1D0F, "o", 0 },
    { 0x1D18, 0x1D18, "p", 1 }, { 0x1D1B, 0x1D1B, "t", 1 },
    { 0x1D1C, 0x1D1C, "u", 0 }, { 0x1D20, 0x1D20, "v", 0 },
    { 0x1D21, 0x1D21, "w", 0 }, { 0x1D22, 0x1D22, "z", 0 },
    { 0x1E00, 0x1E01, "a", 1 }, { 0x1E02, 0x1E07, "b", 1 },
    { 0x1E08, 0x1E09, "c", 1 }, { 0x1E0A, 0x1E13, "d", 1 },
    { 0x1E14, 0x1E1D, "e", 1 }, { 0x1E1E, 0x1E1F, "f", 1 },
    { 0x1E20, 0x1E21, "g", 1 }, { 0x1E22, 0x1E2B, "h", 1 },
    { 0x1E2C, 0x1E2F, "i", 1 }, { 0x1E30, 0x1E35, "k", 1 },
    { 0x1E36, 0x1E3D, "l", 1 }, { 0x1E3E, 0x1E43, "m", 1 },
    { 0x1E44, 0x1E4B, "n", 1 }, { 0x1E4C, 0x1E53, "o", 1 },
    { 0x1E54, 0x1E57, "p", 1 }, { 0x1E58, 0x1E5F, "r", 1 },
    { 0x1E60, 0x1E69, "s", 1 }, { 0x1E6A, 0x1E71, "t", 1 },
    { 0x1E72, 0x1E7B, "u", 1 }, { 0x1E7C, 0x1E7F, "v", 1 },
    { 0x1E80, 0x1E89, "w", 1 }, { 0x1E8A, 0x1E8D, "x", 1 },
    { 0x1E8E, 0x1E8F, "y", 1 }, { 0x1E90, 0x1E95, "z", 1 },
    { 0x1EA0, 0x1EB7, "a", 1 }, { 0x1EB8, 0x1EC7, "e", 1 },
    { 0x1EC8, 0x1ECB, "i", 1 }, { 0x1ECC, 0x1EE3, "o", 1 },
    { 0x1EE4, 0x1EF1, "u", 1 }, { 0x1EF2, 0x1EF9, "y", 1 },
    { 0x2113, 0x2113, "l", 0 },
    { 0x2170, 0x2170, "i", 0 }, { 0x2174, 0x2174, "v", 0 },
    { 0x2179, 0x2179, "x", 0 }, { 0x217C, 0x217C, "l", 0 },
    { 0x217D, 0x217D, "c", 0 }, { 0x217E, 0x217E, "d", 0 },
    { 0x217F, 0x217F, "m", 0 },
};

static const struct glyph *glyph_find(uint32_t cp)
{
    size_t lo = 0, hi = sizeof glyphs / sizeof glyphs[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < glyphs[mid].lo)
            hi = mid;
        else if (cp > glyphs[mid].hi)
            lo = mid + 1;
        else
            return &glyphs[mid];
    }
    return NULL;
}

/* Compatibility letters computed rather than listed: fullwidth ASCII and
** the mathematical alphanumeric block. Writes one byte or returns 0. */
static char compat_letter(uint32_t cp)
{
    if (cp >= 0xFF41 && cp <= 0xFF5A)
        return (char)('a' + (cp - 0xFF41));
    if (cp >= 0xFF21 && cp <= 0xFF3A)
        return (char)('a' + (cp - 0xFF21));
    if (cp >= 0xFF10 && cp <= 0xFF19)
        return (char)('0' + (cp - 0xFF10));
    if (cp == 0xFF0D)
        return '-';
    if (cp >= 0x1D400 && cp <= 0x1D6A3)      /* 52 letters per style */
        return (char)('a' + (cp - 0x1D400) % 52 % 26);
    if (cp >= 0x1D7CE && cp <= 0x1D7FF)
        return (char)('0' + (cp - 0x1D7CE) % 10);
    return 0;
}

/* The ASCII fold of loose mode, applied after the glyph map. */
static size_t loose_fold(char *s, size_t n)
{
    size_t w = 0;
    for (size_t r = 0; r < n; r++) {
        char c = s[r];
        if (c == '0')
            c = 'o';
        else if (c == '1' || c == 'i' || c == '|' || c == '!')
            c = 'l';
        s[w++] = c;
    }
    n = w;
    w = 0;
    for (size_t r = 0; r < n; r++) {
        char c = s[r], d = r + 1 < n ? s[r + 1] : 0;
        if (c == 'r' && d == 'n') {
            s[w++] = 'm';
            r++;
        } else if (c == 'v' && d == 'v') {
            s[w++] = 'w';
            r++;
        } else if (c == 'c' && d == 'l') {
            s[w++] = 'd';
            r++;
        } else {
            s[w++] = c;
        }
    }
    return w;
}

int domain_skeleton(const char *s, char *out, size_t outlen,
                    enum domain_skeleton_mode mode)
{
    size_t len = strlen(s), w = 0;
    for (size_t i = 0; i < len; ) {
        int n;
        const unsigned char *p = (const unsigned char *)s + i;
        uint32_t cp = domain_utf8_next(p, len - i, &n);
        const char *rep = NULL;
        size_t rlen;
        char one[2] = { 0, 0 };
        if (cp < 0x80) {
            one[0] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
            rep = one;
        } else if ((one[0] = compat_letter(cp)) != 0) {
            rep = one;
        } else {
            const struct glyph *g = glyph_find(cp);
            if (g && (mode == DOMAIN_SKEL_LOOSE || !g->loose_only))
                rep = g->proto;
        }
        if (rep) {
            rlen = strlen(rep);
        } else {
            rep = (const char *)p;      /* kept as it is */
            rlen = (size_t)n;
        }
        if (w + rlen + 1 > outlen)
            return -1;
        memcpy(out + w, rep, rlen);
        w += rlen;
        i += (size_t)n;
    }
    if (mode == DOMAIN_SKEL_LOOSE)
        w = loose_fold(out, w);
    if (outlen)
        out[w] = '\0';
    return (int)w;
}

/* ---- scripts ---------------------------------------------------------- */

static int script_of(uint32_t cp)
{
    if (cp < 0x80) {
        if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'))
            return DOMAIN_SCRIPT_LATIN;
        return -1;                              /* digits, '-', '.', ... */
    }
    if (cp >= 0x0300 && cp <= 0x036F)
        return -1;                              /* combining: inherited */
    if ((cp >= 0x00C0 && cp <= 0x02AF && cp != 0x00D7 && cp != 0x00F7) ||
        (cp >= 0x1D00 && cp <= 0x1D7F) || (cp >= 0x1E00 && cp <= 0x1EFF) ||
        (cp >= 0xFF21 && cp <= 0xFF5A) || (cp >= 0x2170 && cp <= 0x217F))
        return DOMAIN_SCRIPT_LATIN;
    if ((cp >= 0x0370 && cp <= 0x03FF) || (cp >= 0x1F00 && cp <= 0x1FFF))
        return DOMAIN_SCRIPT_GREEK;
    if (cp >= 0x0400 && cp <= 0x052F)
        return DOMAIN_SCRIPT_CYRILLIC;
    if (cp >= 0x0530 && cp <= 0x058F)
        return DOMAIN_SCRIPT_ARMENIAN;
    if (cp >= 0x0590 && cp <= 0x05FF)
        return DOMAIN_SCRIPT_HEBREW;
    if ((cp >= 0x0600 && cp <= 0x06FF) || (cp >= 0x0750 && cp <= 0x077F))
        return DOMAIN_SCRIPT_ARABIC;
    if (cp >= 0x0900 && cp <= 0x0DFF)
        return DOMAIN_SCRIPT_INDIC;
    if (cp >= 0x0E00 && cp <= 0x0E7F)
        return DOMAIN_SCRIPT_THAI;
    if (cp >= 0x10A0 && cp <= 0x10FF)
        return DOMAIN_SCRIPT_GEORGIAN;
    if ((cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0x3130 && cp <= 0x318F) ||
        (cp >= 0xAC00 && cp <= 0xD7AF))
        return DOMAIN_SCRIPT_HANGUL;
    if ((cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0x20000 && cp <= 0x3FFFF))
        return DOMAIN_SCRIPT_CJK;
    return DOMAIN_SCRIPT_OTHER;
}

unsigned domain_scripts(const char *s, size_t len)
{
    unsigned set = 0;
    for (size_t i = 0; i < len; ) {
        int n;
        int sc = script_of(domain_utf8_next((const unsigned char *)s + i,
                                            len - i, &n));
        if (sc >= 0)
            set |= 1u << sc;
        i += (size_t)n;
    }
    return set;
}

static const char *const script_names[DOMAIN_SCRIPT_COUNT] = {
    "Latin", "Greek", "Cyrillic", "Armenian", "Hebrew", "Arabic", "CJK",
    "Hangul", "Thai", "Indic", "Georgian", "Other"
};

const char *domain_script_name(enum domain_script s)
{
    return (unsigned)s < DOMAIN_SCRIPT_COUNT ? script_names[s] : "?";
}

int domain_mixed_script(const char *name)
{
    /* East Asian writing mixes Latin, Han, kana and Hangul legitimately
    ** (the "highly restrictive" combinations of UTS 39). */
    const unsigned east_asian = (1u << DOMAIN_SCRIPT_LATIN) |
                                (1u << DOMAIN_SCRIPT_CJK) |
                                (1u << DOMAIN_SCRIPT_HANGUL);
    for (const char *p = name; *p; ) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        unsigned set = domain_scripts(p, n);
        if ((set & (set - 1)) && (set & ~east_asian))
            return 1;
        if (!dot)
            break;
        p = dot + 1;
    }
    return 0;
}
