/*
** mem_pool.h: the allocator under each rule state's Lua heap.
**
** A worker builds and drops a table of some sixty small objects (and a
** few kilobyte-sized strings on the full feed) for every message; with
** glibc malloc those allocations and frees were a fifth of the decoding
** time. The pool keeps freed blocks on per-size free lists inside one
** address range reserved per state, so an allocation is a list pop and a
** free a push. Blocks too large for the pool, or allocated once the range
** is used up, come from malloc; which is which is told by address.
**
** One pool serves one lua_State and, like the state, is not thread-safe.
*/
#ifndef CERTMON_MEM_POOL_H
#define CERTMON_MEM_POOL_H

#include <stddef.h>

struct mem_pool;

/* A pool that may carve up to reserve_bytes of address space (pages are
** only backed when used; less, or none, where address space is limited);
** NULL when out of memory. */
struct mem_pool *mem_pool_new(size_t reserve_bytes);

/* Frees the pool, its range and nothing else: blocks that came from
** malloc must have been freed through mem_pool_realloc first (lua_close
** does that). NULL is ignored. */
void mem_pool_free(struct mem_pool *mp);

/* lua_Alloc semantics: ptr NULL allocates nsize bytes; nsize 0 frees ptr
** and returns NULL; otherwise resizes. When ptr is not NULL, osize must be
** the size it was last given with. Returns NULL only when growth or a
** new block cannot be had; a shrink never fails. */
void *mem_pool_realloc(struct mem_pool *mp, void *ptr, size_t osize,
                       size_t nsize);

/* The pool as a lua_Alloc, ud being the pool, for a state with no memory
** accounting (rule states go through the sandbox's allocator, which
** counts and caps, and calls mem_pool_realloc). */
void *mem_pool_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

/* Bytes of the range handed out so far (its high-water mark). */
size_t mem_pool_carved(const struct mem_pool *mp);

#endif
