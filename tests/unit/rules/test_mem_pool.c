/*
** test_mem_pool.c: the rule states' allocator. Contents survive every
** resize across classes and out of the pool, freed blocks are reused
** rather than carved again, a full range falls back to malloc (which the
** leak checker of the sanitizer build would catch if freed wrongly), and
** a real Lua state runs on it.
*/
#include <lauxlib.h>
#include <lualib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "rules/mem_pool.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

static uint32_t rng = 2463534242u;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 7);
}

static int intact(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed + i * 7))
            return 0;
    return 1;
}

/* A size with every class in reach: mostly small, some kilobytes, a few
** past the pool's largest block. */
static size_t random_size(void)
{
    uint32_t r = next_rand();

    switch (r % 8) {
    case 0: return 1 + next_rand() % 40000;
    case 1: case 2: return 1 + next_rand() % 5000;
    default: return 1 + next_rand() % 300;
    }
}

/* Random allocate, resize and free, every block holding a pattern that is
** checked before each resize and free. */
static void churn(struct mem_pool *mp, int rounds, const char *what)
{
    enum { SLOTS = 512 };
    unsigned char *block[SLOTS] = { 0 };
    size_t size[SLOTS] = { 0 };
    unsigned seed[SLOTS] = { 0 };
    int ok = 1;

    for (int i = 0; i < rounds && ok; i++) {
        int k = (int)(next_rand() % SLOTS);
        size_t n = random_size();
        if (!block[k]) {
            block[k] = mem_pool_realloc(mp, NULL, 0, n);
            ok = block[k] != NULL;
        } else if (next_rand() % 3 == 0) {
            ok = intact(block[k], size[k], seed[k]);
            mem_pool_realloc(mp, block[k], size[k], 0);
            block[k] = NULL;
            continue;
        } else {
            unsigned char *p = mem_pool_realloc(mp, block[k], size[k], n);
            ok = p && intact(p, size[k] < n ? size[k] : n, seed[k]);
            block[k] = p;
        }
        if (ok) {
            size[k] = n;
            seed[k] = next_rand();
            fill(block[k], n, seed[k]);
        }
    }
    for (int k = 0; k < SLOTS; k++)
        if (block[k]) {
            ok &= intact(block[k], size[k], seed[k]);
            mem_pool_realloc(mp, block[k], size[k], 0);
        }
    check_report(ok, __FILE__, __LINE__, what);
}

static void classes(void)
{
    struct mem_pool *mp = mem_pool_new((size_t)8 << 20);
    int ok = 1;

    /* every size up to past the largest class, written to its last byte */
    for (size_t n = 1; n <= 17000 && ok; n++) {
        unsigned char *p = mem_pool_realloc(mp, NULL, 0, n);
        ok = p != NULL && ((uintptr_t)p % 16 == 0 || n > 16384);
        if (ok) {
            fill(p, n, (unsigned)n);
            ok = intact(p, n, (unsigned)n);
        }
        mem_pool_realloc(mp, p, n, 0);
    }
    CHECK(ok);
    mem_pool_free(mp);
}

static void reuse(void)
{
    struct mem_pool *mp = mem_pool_new((size_t)1 << 20);
    void *a, *b;
    size_t carved = 0;

    a = mem_pool_realloc(mp, NULL, 0, 100);
    mem_pool_realloc(mp, a, 100, 0);
#if defined(__SANITIZE_ADDRESS__)
    CHECK(__asan_address_is_poisoned(a));
#endif
    b = mem_pool_realloc(mp, NULL, 0, 110);     /* same class: 112 */
    CHECK(a == b);
    /* a shrink within the class keeps the block */
    CHECK(mem_pool_realloc(mp, b, 110, 97) == b);
    mem_pool_realloc(mp, b, 97, 0);

    /* a steady alloc/free pattern carves nothing more after a warm-up */
    for (int i = 0; i < 100; i++) {
        void *p[64];
        for (int k = 0; k < 64; k++)
            p[k] = mem_pool_realloc(mp, NULL, 0, (size_t)(16 + k * 50));
        for (int k = 0; k < 64; k++)
            mem_pool_realloc(mp, p[k], (size_t)(16 + k * 50), 0);
        if (i == 0)
            carved = mem_pool_carved(mp);
    }
    CHECK(mem_pool_carved(mp) == carved);
    mem_pool_free(mp);
}

/* A range too small for the work: the rest comes from malloc, is told
** apart by address when resized or freed, and contents stay intact. */
static void exhaustion(void)
{
    struct mem_pool *mp = mem_pool_new(64 * 1024);

    CHECK(mp != NULL);
    churn(mp, 20000, "churn in a 64 KiB range, mostly from malloc");
    CHECK(mem_pool_carved(mp) <= 64 * 1024);
    mem_pool_free(mp);
}

/* Under ulimit -v the pool takes what address space there is, or none,
** and still serves every request (from malloc). In a child, since the
** limit cannot be raised again; not under AddressSanitizer, whose shadow
** memory needs an unlimited address space. */
#if !defined(__SANITIZE_ADDRESS__)
/* Current address space of this process, from /proc/self/statm. */
static size_t vm_size_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;

    if (f) {
        if (fscanf(f, "%lu", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}
#endif

static void limited_address_space(void)
{
#if defined(__SANITIZE_ADDRESS__)
    printf("ok - # SKIP address-space limit under AddressSanitizer\n");
#else
    static const struct {
        size_t room;            /* address space left above the current */
        int churn;              /* enough room for the full churn */
        const char *what;
    } cases[] = {
        { (size_t)24 << 20, 1, "ulimit -v: a smaller range, then malloc" },
        { 0, 0, "ulimit -v: no range at all, every block from malloc" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        pid_t pid = fork();
        int status = -1;
        if (pid == 0) {
            struct rlimit rl;
            struct mem_pool *mp;
            void *p[100];
            rl.rlim_cur = rl.rlim_max = vm_size_bytes() + cases[i].room;
            if (setrlimit(RLIMIT_AS, &rl) != 0)
                _exit(3);
            mp = mem_pool_new((size_t)64 << 20);
            if (!mp)
                _exit(4);
            for (int k = 0; k < 100; k++)
                if (!(p[k] = mem_pool_realloc(mp, NULL, 0, 64)))
                    _exit(5);
            for (int k = 0; k < 100; k++)
                mem_pool_realloc(mp, p[k], 64, 0);
            if (cases[i].churn)
                churn(mp, 20000, "churn with the address space limited");
            mem_pool_free(mp);
            _exit(check_done());
        }
        waitpid(pid, &status, 0);
        check_report(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                     __FILE__, __LINE__, cases[i].what);
    }
#endif
}

static void lua_on_pool(void)
{
    struct mem_pool *mp = mem_pool_new((size_t)16 << 20);
    lua_State *L = lua_newstate(mem_pool_lua_alloc, mp);
    const char *script =
        "local t = {}\n"
        "for i = 1, 200000 do t[i] = ('x'):rep(i % 300) .. i end\n"
        "local n = 0\n"
        "for i = 1, #t, 7 do n = n + #t[i] end\n"
        "t = nil; collectgarbage()\n"
        "local s = {}\n"
        "for i = 1, 1000 do s[#s + 1] = {name = 'k' .. i, v = {i, i * 2}} end\n"
        "return n + #s";

    CHECK(L != NULL);
    luaL_openlibs(L);
    CHECK(luaL_dostring(L, script) == LUA_OK);
    CHECK(lua_tointeger(L, -1) > 1000);
    lua_close(L);
    mem_pool_free(mp);
}

int main(void)
{
    struct mem_pool *mp = mem_pool_new((size_t)32 << 20);

    classes();
    reuse();
    churn(mp, 200000, "200000 random allocations, resizes and frees");
    mem_pool_free(mp);
    exhaustion();
    limited_address_space();
    lua_on_pool();
    mem_pool_free(NULL);
    return check_done();
}
