/*
** mem_pool.c: size-class free lists over one reserved address range.
**
** Sizes up to POOL_MAX_BLOCK are rounded up to a class: 16-byte steps to
** 256, then four classes per doubling (at most 25% waste). A block is
** carved from the range once, at its class size, and from then on moves
** between the program and its class's free list; the free list link is
** kept in the free block itself. Nothing is returned to the system
** before mem_pool_free: a worker's heap settles at the shape of its
** messages and stays there, which is the point.
**
** Under AddressSanitizer free blocks, unused tails of blocks and the
** uncarved range are poisoned, so use after free and overflow inside the
** pool are still reported.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rules/mem_pool.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define POOL_MAX_BLOCK 16384
#define POOL_SMALL_MAX 256                      /* 16-byte steps up to here */
#define POOL_CLASSES (POOL_SMALL_MAX / 16 + 4 * 6)   /* 256 < n <= 16384 */

struct mem_pool {
    char *base, *bump, *limit;
    void *free_list[POOL_CLASSES];
};

/* The class of a size in 1..POOL_MAX_BLOCK. */
static int class_of(size_t n)
{
    int b;

    if (n <= POOL_SMALL_MAX)
        return (int)((n + 15) / 16) - 1;
    b = 63 - __builtin_clzll((unsigned long long)(n - 1));  /* 2^b < n */
    return POOL_SMALL_MAX / 16 + (b - 8) * 4 +
           (int)((n - 1 - ((size_t)1 << b)) >> (b - 2));
}

static size_t class_size(int c)
{
    int b, step;

    if (c < POOL_SMALL_MAX / 16)
        return (size_t)(c + 1) * 16;
    c -= POOL_SMALL_MAX / 16;
    b = 8 + c / 4;
    step = c % 4 + 1;
    return ((size_t)1 << b) + ((size_t)step << (b - 2));
}

static int owns(const struct mem_pool *mp, const void *p)
{
    return (const char *)p >= mp->base && (const char *)p < mp->limit;
}

/* Where address space is limited (ulimit -v) a smaller range is taken,
** down to none at all: then every block comes from malloc. */
struct mem_pool *mem_pool_new(size_t reserve_bytes)
{
    struct mem_pool *mp = calloc(1, sizeof(*mp));
    void *range = MAP_FAILED;

    if (!mp)
        return NULL;
    for (reserve_bytes &= ~(size_t)4095; reserve_bytes >= 65536;
         reserve_bytes /= 2) {
        range = mmap(NULL, reserve_bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (range != MAP_FAILED)
            break;
    }
    if (range == MAP_FAILED)
        return mp;                  /* an empty range: all from malloc */
    mp->base = mp->bump = range;
    mp->limit = mp->base + reserve_bytes;
    POISON(mp->base, reserve_bytes);
    return mp;
}

void mem_pool_free(struct mem_pool *mp)
{
    if (!mp)
        return;
    if (mp->base) {
        UNPOISON(mp->base, (size_t)(mp->limit - mp->base));
        munmap(mp->base, (size_t)(mp->limit - mp->base));
    }
    free(mp);
}

size_t mem_pool_carved(const struct mem_pool *mp)
{
    return (size_t)(mp->bump - mp->base);
}

/* A block for n bytes (1..POOL_MAX_BLOCK): from the free list, freshly
** carved, or from malloc once the range is used up. */
static void *get(struct mem_pool *mp, size_t n)
{
    int c = class_of(n);
    void *p = mp->free_list[c];

    if (p) {
        UNPOISON(p, sizeof(void *));
        memcpy(&mp->free_list[c], p, sizeof(void *));
    } else if ((size_t)(mp->limit - mp->bump) >= class_size(c)) {
        p = mp->bump;
        mp->bump += class_size(c);
    } else {
        return malloc(n);
    }
    UNPOISON(p, n);
    return p;
}

/* Puts back a pool block last sized n. */
static void put(struct mem_pool *mp, void *p, size_t n)
{
    int c = class_of(n);

    UNPOISON(p, sizeof(void *));    /* a block of n < 8 has a poisoned tail */
    memcpy(p, &mp->free_list[c], sizeof(void *));
    mp->free_list[c] = p;
    POISON(p, class_size(c));
}

void *mem_pool_realloc(struct mem_pool *mp, void *ptr, size_t osize,
                       size_t nsize)
{
    void *p;

    if (!ptr) {
        if (nsize == 0)
            return NULL;
        return nsize <= POOL_MAX_BLOCK ? get(mp, nsize) : malloc(nsize);
    }
    if (!owns(mp, ptr)) {
        if (nsize == 0) {
            free(ptr);
            return NULL;
        }
        p = realloc(ptr, nsize);
        return p ? p : nsize <= osize ? ptr : NULL;
    }
    if (nsize == 0) {
        put(mp, ptr, osize);
        return NULL;
    }
    if (nsize <= POOL_MAX_BLOCK && class_of(nsize) == class_of(osize)) {
        /* same block; only the poisoned tail moves */
        POISON((char *)ptr + nsize, class_size(class_of(osize)) - nsize);
        UNPOISON(ptr, nsize);
        return ptr;
    }
    p = nsize <= POOL_MAX_BLOCK ? get(mp, nsize) : malloc(nsize);
    if (!p)     /* a shrink keeps its larger block, which stays valid */
        return nsize <= osize ? ptr : NULL;
    memcpy(p, ptr, osize < nsize ? osize : nsize);
    put(mp, ptr, osize);
    return p;
}

void *mem_pool_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    /* with ptr NULL, Lua's osize is an object type, which the pool ignores */
    return mem_pool_realloc(ud, ptr, osize, nsize);
}
