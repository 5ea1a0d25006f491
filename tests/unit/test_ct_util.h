/*
** test_ct_util.h: fixture loading shared by the CT unit tests.
*/
#ifndef TEST_CT_UTIL_H
#define TEST_CT_UTIL_H

#include <stdio.h>
#include <stdlib.h>

/* Reads tests/fixtures/ct/REL (under $CERTMON_TOP when set) into a new
** buffer with a NUL after the len bytes; NULL (and a diagnostic) if it
** cannot. */
static inline char *ct_fixture(const char *rel, size_t *len)
{
    const char *top = getenv("CERTMON_TOP");
    char path[1024];
    FILE *f;
    char *buf = NULL;
    long n;

    snprintf(path, sizeof path, "%s/tests/fixtures/ct/%s",
             top ? top : ".", rel);
    f = fopen(path, "rb");
    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)n + 1)) ||
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
        printf("# cannot read fixture %s\n", path);
        free(buf);
        buf = NULL;
    } else {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    if (f)
        fclose(f);
    return buf;
}

#endif
