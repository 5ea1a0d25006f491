/*
** fuzz_util.h: what the libFuzzer targets share.
**
** A target is one file, tests/fuzz/fuzz_NAME.c, defining
** LLVMFuzzerTestOneInput. It must never leak, never read outside what it
** was given and abort (FUZZ_ASSERT) on any broken promise of the code
** under test, so that libFuzzer reports it as a finding.
**
** Inputs that carry several parts are split with fuzz_take: the first
** bytes steer (flags, sizes), the rest is the payload. The seeds in
** tests/fuzz/corpus/ are written in the same layout by seeds.py.
*/
#ifndef CERTMON_FUZZ_UTIL_H
#define CERTMON_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Aborts with the failed condition: a finding, not a rejected input. */
#define FUZZ_ASSERT(c)                                                     \
    do {                                                                   \
        if (!(c)) {                                                        \
            fprintf(stderr, "%s:%d: fuzz assertion failed: %s\n",          \
                    __FILE__, __LINE__, #c);                               \
            abort();                                                       \
        }                                                                  \
    } while (0)

/* A cursor over the fuzz input. */
struct fuzz_in {
    const uint8_t *p;
    size_t left;
};

/* The next byte, 0 once the input is used up. */
static inline unsigned fuzz_byte(struct fuzz_in *in)
{
    if (in->left == 0)
        return 0;
    in->left--;
    return *in->p++;
}

/* A big-endian 16-bit number, missing bytes read as 0. */
static inline unsigned fuzz_u16(struct fuzz_in *in)
{
    unsigned hi = fuzz_byte(in);
    return hi << 8 | fuzz_byte(in);
}

/* The next n bytes (fewer when the input ends) as a fresh heap copy of
** exactly that size, so that ASan sees any read past it; *len gets the
** size. The caller frees. Never NULL (malloc(0) is avoided). */
static inline uint8_t *fuzz_take(struct fuzz_in *in, size_t n, size_t *len)
{
    uint8_t *copy;

    if (n > in->left)
        n = in->left;
    copy = malloc(n ? n : 1);
    if (!copy)
        abort();
    memcpy(copy, in->p, n);
    in->p += n;
    in->left -= n;
    *len = n;
    return copy;
}

/* The same as a NUL-terminated string (the NUL past len). */
static inline char *fuzz_take_str(struct fuzz_in *in, size_t n, size_t *len)
{
    char *s;

    if (n > in->left)
        n = in->left;
    s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, in->p, n);
    s[n] = '\0';
    in->p += n;
    in->left -= n;
    *len = n;
    return s;
}

#endif
