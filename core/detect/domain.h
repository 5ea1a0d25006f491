/*
** domain.h: C helpers behind the detection library (certmon.domain).
**
** Names are handled as NUL-terminated UTF-8 strings. Functions that build a
** string write into a caller buffer and return its length, or -1 with a
** reason in err. Everything here is thread-safe: the public suffix list is
** loaded once per process and only read afterwards.
**
**   domain.c           normalise, IDN per label, public suffix views, features
**   domain_distance.c  Levenshtein and OSA Damerau over code points
**   domain_skeleton.c  confusable skeleton (TR39-style + domain fold), scripts
**   domain_keywords.c  Aho-Corasick keyword automaton, token/substring modes
**   domain_lua.c       the Lua module certmon.domain_c
*/
#ifndef CERTMON_DOMAIN_H
#define CERTMON_DOMAIN_H

#include <stddef.h>
#include <stdint.h>

#define DOMAIN_MAX_LEN 253      /* presentation form without trailing dot */
#define DOMAIN_MAX_LABEL 63

/* ---- domain.c ---------------------------------------------------------- */

/* Flags domain_normalise() reports about a name. */
enum {
    DOMAIN_WILDCARD = 1 << 0,   /* a leading "*." was split off */
    DOMAIN_BAD      = 1 << 1    /* some label is not a valid host label */
};

/* Lower-cases ASCII, drops trailing dots and splits off a leading "*.".
** Writes the name into out (outlen >= DOMAIN_MAX_LEN + 2 is always enough
** for valid names) and sets *flags. A name that cannot be a host name
** (empty, too long, NUL inside, empty label, label over 63 bytes) is still
** written when it fits, with DOMAIN_BAD set and the reason in err.
** Returns the length written, or -1 if out is too small. */
int domain_normalise(const char *in, size_t inlen, char *out, size_t outlen,
                     int *flags, char *err, size_t errlen);

/* Decodes every "xn--" label to Unicode (UTF-8). A label that fails to
** decode is kept as is and *bad_punycode is set. Returns the length, or -1
** if out is too small. */
int domain_to_unicode(const char *ascii, char *out, size_t outlen,
                      int *bad_punycode);

/* Encodes every non-ASCII label with IDNA2008 (libidn2, TR46
** non-transitional). Returns the length, or -1 with err set. */
int domain_to_ascii(const char *utf8, char *out, size_t outlen,
                    char *err, size_t errlen);

/* Which public suffix rules count. */
enum domain_psl_view {
    DOMAIN_PSL_ALL,     /* ICANN and private (github.io is a suffix) */
    DOMAIN_PSL_ICANN    /* ICANN only (io is the suffix of x.github.io) */
};

/* Loads a public suffix list (.dat or DAFSA) to use instead of the
** newest installed one. Call before any lookup; not thread-safe against
** concurrent lookups. Returns 0, or -1 with err set. */
int domain_psl_load(const char *path, char *err, size_t errlen);

/* The registrable domain (eTLD+1) of a lower-case name, pointing into
** name, or NULL when the name is itself a public suffix or has none. */
const char *domain_registrable(const char *name, enum domain_psl_view view);

/* The public suffix of a lower-case name, pointing into name, or NULL. */
const char *domain_suffix(const char *name, enum domain_psl_view view);

/* The four answers above for one name, found in one walk (each is a
** pointer into name, or NULL). */
struct domain_psl_parts {
    const char *suffix, *suffix_icann, *registrable, *registrable_icann;
};
void domain_psl_parts(const char *name, struct domain_psl_parts *out);

/* Shannon entropy in bits per byte of s[0..len). */
double domain_entropy(const char *s, size_t len);

/* ---- domain_distance.c ------------------------------------------------- */

/* Edit distances over Unicode code points (invalid UTF-8 bytes count as one
** code point each). With max >= 0 the work stops early and any distance
** above max is reported as max + 1. Returns -1 only on allocation failure. */
int domain_levenshtein(const char *a, const char *b, int max);
int domain_damerau(const char *a, const char *b, int max);  /* OSA */

/* The code points of one string as a multiset, folded into bins, for
** domain_damerau_floor: built once, compared with many strings. */
struct domain_cpset {
    int len;                    /* code points, as the distances count them */
    int bin[256];
};
void domain_cpset_init(struct domain_cpset *set, const char *s);

/* A lower bound of domain_damerau(s, b, -1), s the string of set, found
** in time linear in b: a bound above max proves the distance is too.
** set is left as it was. */
int domain_damerau_floor(struct domain_cpset *set, const char *b);

/* Decodes one code point at s (len bytes left); stores its byte length in
** *n (at least 1). Invalid sequences decode to 0xFFFD with *n = 1. */
uint32_t domain_utf8_next(const unsigned char *s, size_t len, int *n);

/* ---- domain_skeleton.c ------------------------------------------------- */

enum domain_skeleton_mode {
    DOMAIN_SKEL_STRICT,  /* lookalike letters to their Latin prototype */
    DOMAIN_SKEL_LOOSE    /* plus accents off and 0/o, 1/l/i, rn/m, vv/w, cl/d */
};

/* Writes the skeleton of s into out. Two names look alike when their
** skeletons are equal. Returns the length, or -1 if out is too small. */
int domain_skeleton(const char *s, char *out, size_t outlen,
                    enum domain_skeleton_mode mode);

/* Scripts (bit set of enum domain_script) used by the letters of s. */
enum domain_script {
    DOMAIN_SCRIPT_LATIN = 0, DOMAIN_SCRIPT_GREEK, DOMAIN_SCRIPT_CYRILLIC,
    DOMAIN_SCRIPT_ARMENIAN, DOMAIN_SCRIPT_HEBREW, DOMAIN_SCRIPT_ARABIC,
    DOMAIN_SCRIPT_CJK, DOMAIN_SCRIPT_HANGUL, DOMAIN_SCRIPT_THAI,
    DOMAIN_SCRIPT_INDIC, DOMAIN_SCRIPT_GEORGIAN, DOMAIN_SCRIPT_OTHER,
    DOMAIN_SCRIPT_COUNT
};
unsigned domain_scripts(const char *s, size_t len);
const char *domain_script_name(enum domain_script s);

/* True when one label of the dotted name mixes two scripts (Han, kana and
** Latin together count as one Japanese/Chinese mix and are not flagged). */
int domain_mixed_script(const char *name);

/* ---- domain_keywords.c ------------------------------------------------- */

struct domain_keywords;

enum domain_kw_mode {
    DOMAIN_KW_SUBSTRING,  /* anywhere */
    DOMAIN_KW_TOKEN       /* only between boundaries: start/end, non-alnum,
                             or a letter/digit change */
};

struct domain_kw_hit {
    int index;          /* keyword number, 0-based, in the order added */
    size_t start, end;  /* byte offsets, end exclusive */
};

/* Builds an automaton from n keywords (ASCII case-folded). Returns NULL
** with err set on failure (empty keyword, no memory). */
struct domain_keywords *domain_keywords_new(const char *const *words,
                                            size_t n, char *err,
                                            size_t errlen);
void domain_keywords_free(struct domain_keywords *kw);

/* Scans s once and calls fn for every hit allowed by mode, in order of
** end offset (longest first for equal ends). fn returns non-zero to stop
** early. Returns the number of hits reported. */
size_t domain_keywords_scan(const struct domain_keywords *kw, const char *s,
                            size_t len, enum domain_kw_mode mode,
                            int (*fn)(const struct domain_kw_hit *, void *),
                            void *arg);

#endif
