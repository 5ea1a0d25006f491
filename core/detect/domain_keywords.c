/*
** domain_keywords.c: many keywords in one pass (Aho-Corasick).
**
** The automaton is a full DFA over a compressed alphabet: only the bytes
** that occur in some keyword get a class of their own, all others share
** class 0, so a table of nodes x classes stays small for hundreds of
** keywords. Output sets are chained through dictionary-suffix links.
*/
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/domain.h"

struct domain_keywords {
    unsigned char cls[256];     /* byte -> alphabet class */
    int nclass;
    int nnode;
    int *next;                  /* nnode * nclass transitions */
    int *word;                  /* keyword ending at node, or -1 */
    int *dict;                  /* nearest suffix node with a word, or -1 */
    size_t *wlen;               /* keyword lengths */
    size_t nword;
};

void domain_keywords_free(struct domain_keywords *kw)
{
    if (!kw)
        return;
    free(kw->next);
    free(kw->word);
    free(kw->dict);
    free(kw->wlen);
    free(kw);
}

struct domain_keywords *domain_keywords_new(const char *const *words,
                                            size_t n, char *err,
                                            size_t errlen)
{
    struct domain_keywords *kw = calloc(1, sizeof *kw);
    int *fail = NULL, *queue = NULL;
    size_t total = 1;
    if (!kw)
        goto nomem;
    kw->nclass = 1;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(words[i]);
        if (len == 0) {
            if (err && errlen)
                snprintf(err, errlen, "keyword %zu is empty", i + 1);
            goto fail;
        }
        total += len;
        for (size_t j = 0; j < len; j++) {
            unsigned char c = (unsigned char)tolower((unsigned char)words[i][j]);
            if (!kw->cls[c])
                kw->cls[c] = (unsigned char)kw->nclass++;
        }
    }
    for (int c = 'A'; c <= 'Z'; c++)            /* match case-insensitively */
        kw->cls[c] = kw->cls[c + 32];
    if (kw->nclass > 255)
        goto nomem;                             /* cannot happen: <= 256 */
    kw->next = malloc(total * (size_t)kw->nclass * sizeof *kw->next);
    kw->word = malloc(total * sizeof *kw->word);
    kw->dict = malloc(total * sizeof *kw->dict);
    kw->wlen = malloc((n ? n : 1) * sizeof *kw->wlen);
    fail = malloc(total * sizeof *fail);
    queue = malloc(total * sizeof *queue);
    if (!kw->next || !kw->word || !kw->dict || !kw->wlen || !fail || !queue)
        goto nomem;
    memset(kw->next, -1, total * (size_t)kw->nclass * sizeof *kw->next);
    kw->nnode = 1;
    kw->word[0] = -1;
    kw->nword = n;
    /* The trie. A duplicate keyword keeps its first index. */
    for (size_t i = 0; i < n; i++) {
        int node = 0;
        kw->wlen[i] = strlen(words[i]);
        for (const char *p = words[i]; *p; p++) {
            int c = kw->cls[(unsigned char)*p];
            int *t = &kw->next[node * kw->nclass + c];
            if (*t < 0) {
                *t = kw->nnode;
                kw->word[kw->nnode] = -1;
                kw->nnode++;
            }
            node = *t;
        }
        if (kw->word[node] < 0)
            kw->word[node] = (int)i;
    }
    /* Breadth-first: failure links, dictionary links, DFA completion. */
    int head = 0, tail = 0;
    fail[0] = 0;
    kw->dict[0] = -1;
    for (int c = 0; c < kw->nclass; c++) {
        int *t = &kw->next[c];
        if (*t < 0) {
            *t = 0;
        } else {
            fail[*t] = 0;
            kw->dict[*t] = -1;
            queue[tail++] = *t;
        }
    }
    while (head < tail) {
        int u = queue[head++];
        for (int c = 0; c < kw->nclass; c++) {
            int *t = &kw->next[u * kw->nclass + c];
            int f = kw->next[fail[u] * kw->nclass + c];
            if (*t < 0) {
                *t = f;
                continue;
            }
            fail[*t] = f;
            kw->dict[*t] = kw->word[f] >= 0 ? f : kw->dict[f];
            queue[tail++] = *t;
        }
    }
    free(fail);
    free(queue);
    return kw;
nomem:
    if (err && errlen)
        snprintf(err, errlen, "out of memory");
fail:
    free(fail);
    free(queue);
    domain_keywords_free(kw);
    return NULL;
}

/* 0 = separator, 1 = letter (any non-ASCII byte counts as a letter),
** 2 = digit. A token boundary is a change of kind or a separator. */
static int kind(unsigned char c)
{
    if (isdigit(c))
        return 2;
    if (isalpha(c) || c >= 0x80)
        return 1;
    return 0;
}

static int at_boundary(const char *s, size_t len, size_t start, size_t end)
{
    const unsigned char *u = (const unsigned char *)s;
    if (start > 0) {
        int k = kind(u[start - 1]);
        if (k && k == kind(u[start]))
            return 0;
    }
    if (end < len) {
        int k = kind(u[end]);
        if (k && k == kind(u[end - 1]))
            return 0;
    }
    return 1;
}

size_t domain_keywords_scan(const struct domain_keywords *kw, const char *s,
                            size_t len, enum domain_kw_mode mode,
                            int (*fn)(const struct domain_kw_hit *, void *),
                            void *arg)
{
    size_t hits = 0;
    int node = 0;
    for (size_t i = 0; i < len; i++) {
        node = kw->next[node * kw->nclass + kw->cls[(unsigned char)s[i]]];
        for (int m = kw->word[node] >= 0 ? node : kw->dict[node]; m >= 0;
             m = kw->dict[m]) {
            struct domain_kw_hit h;
            h.index = kw->word[m];
            h.end = i + 1;
            h.start = h.end - kw->wlen[h.index];
            if (mode == DOMAIN_KW_TOKEN && !at_boundary(s, len, h.start, h.end))
                continue;
            hits++;
            if (fn && fn(&h, arg))
                return hits;
        }
    }
    return hits;
}
