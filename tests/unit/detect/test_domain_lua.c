/*
** test_domain_lua.c: runs the Lua side of the detection library in a real
** Lua state with the certmon.domain_c module preloaded, the way a worker
** will: package.path points at lua/ and scripts/, C modules come from
** lua_modules_preload().
**
**   test_domain_lua                 runs every tests/lua/test_*.lua
**   test_domain_lua FILE [ARG ...]  runs FILE with arg = {ARG ...}
**                                   (used by make eval)
** Without arguments it also checks dlev_near against domain_damerau
** itself, over generated pairs (dlev_near_matches_damerau).
** The project root is $CERTMON_TOP, else the current directory. Lua test
** scripts print the "ok - " / "not ok - " lines themselves.
*/
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "detect/domain.h"
#include "rules/lua_modules.h"

static int traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
    return 1;
}

/* Runs one file in a fresh state; returns 0 when it ran without error. */
static int run_file(const char *top, const char *file, int argc, char **argv)
{
    lua_State *L = luaL_newstate();
    int rc = 1;
    if (!L) {
        printf("not ok - %s: cannot create Lua state\n", file);
        return 1;
    }
    luaL_openlibs(L);
    lua_modules_preload(L);
    lua_getglobal(L, "package");
    lua_pushfstring(L, "%s/lua/?.lua;%s/scripts/?.lua;%s/tests/lua/?.lua",
                    top, top, top);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
    lua_createtable(L, argc, 0);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setglobal(L, "arg");
    lua_pushstring(L, top);
    lua_setglobal(L, "CERTMON_TOP");
    lua_pushcfunction(L, traceback);
    if (luaL_loadfile(L, file) != LUA_OK ||
        lua_pcall(L, 0, 0, -2) != LUA_OK) {
        printf("not ok - %s: %s\n", file, lua_tostring(L, -1));
        lua_pop(L, 1);
    } else {
        rc = 0;
    }
    lua_pop(L, 1);
    lua_close(L);
    return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_test(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return strncmp(e->d_name, "test_", 5) == 0 && n > 4 &&
           strcmp(e->d_name + n - 4, ".lua") == 0;
}

/* ---- dlev_near against the distance it must agree with ----------------- */

static uint32_t rnd_state = 2463534242u;

/* xorshift32: the same pairs on every run, so a failure can be replayed. */
static uint32_t rnd(uint32_t n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state % n;
}

/* A small alphabet, so that distances near max are common: three ASCII
** letters, two code points that share a folded bin of the floor (U+00E9,
** U+0169), a Cyrillic letter, and a lone invalid byte (one code point). */
static const char *const alphabet[] = {
    "a", "b", "c", "\xc3\xa9", "\xc5\xa9", "\xd0\xb0", "\xff"
};

/* Appends to out (at least 5 * 21 bytes) a string of 0..20 code points. */
static void random_word(char *out)
{
    int n = (int)rnd(21), wide = rnd(3) == 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++)
        strcat(out, alphabet[rnd(wide ? 7 : 3)]);
}

/* Copies a into out with 0..4 random edits of single bytes (substitute,
** insert, delete, swap neighbours): mostly distances near max, sometimes
** a split UTF-8 sequence. out holds at least strlen(a) + 5 bytes. */
static void mutate(const char *a, char *out)
{
    size_t n = strlen(a);
    memcpy(out, a, n + 1);
    for (int e = (int)rnd(5); e > 0; e--) {
        size_t at = n ? rnd((uint32_t)n) : 0;
        char c = "abcd"[rnd(4)];
        switch (rnd(4)) {
        case 0:                         /* substitute */
            if (n)
                out[at] = c;
            break;
        case 1:                         /* insert */
            memmove(out + at + 1, out + at, n - at + 1);
            out[at] = c;
            n++;
            break;
        case 2:                         /* delete */
            if (n) {
                memmove(out + at, out + at + 1, n - at);
                n--;
            }
            break;
        default:                        /* swap neighbours */
            if (at + 1 < n) {
                char t = out[at];
                out[at] = out[at + 1];
                out[at + 1] = t;
            }
        }
    }
}

/* One dlev_near call over list against a loop of domain_damerau; prints
** the first disagreement. Counts pairs found exactly at max and just
** above it, to show the generator reaches the edge. */
static int near_agrees(lua_State *L, const char *a, const char *const *list,
                       int n, int max, int *at_max, int *above)
{
    int want_i[16], want_d[16], nw = 0, ok = 1;
    for (int i = 0; i < n; i++) {
        int d = domain_damerau(a, list[i], max);
        if (d <= max) {
            want_i[nw] = i + 1;
            want_d[nw++] = d;
        }
        *at_max += d == max;
        *above += d == max + 1;
    }
    lua_getfield(L, -1, "dlev_near");
    lua_pushstring(L, a);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushstring(L, list[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_pushinteger(L, max);
    lua_call(L, 3, 2);
    int got = lua_istable(L, -2) ? (int)lua_rawlen(L, -2) : 0;
    if (got != nw)
        ok = 0;
    for (int k = 0; ok && k < nw; k++) {
        lua_rawgeti(L, -2, k + 1);
        lua_rawgeti(L, -2, k + 1);
        ok = lua_tointeger(L, -2) == want_i[k] &&
             lua_tointeger(L, -1) == want_d[k];
        lua_pop(L, 2);
    }
    lua_pop(L, 2);
    if (!ok)
        printf("# dlev_near(\"%s\", ..., %d): %d hits, want %d\n", a, max,
               got, nw);
    return ok;
}

/* The multiset floor in dlev_near only skips work: its answers must be
** exactly those of domain_damerau on every candidate. Returns 0 when
** every case agreed. */
static int dlev_near_matches_damerau(void)
{
    static const char *const edge[][2] = {
        { "", "" }, { "", "abc" }, { "abc", "" }, { "paypal", "paypal" },
        { "paypal", "pyapal" }, { "ab", "ba" }, { "abcd", "badc" },
        { "ca", "abc" }, { "paypal", "p\xd0\xb0ypal" },
        { "\xd0\xb0\xd1\x80", "\xd1\x80\xd0\xb0" },
        { "\xc3\xa9", "\xc5\xa9" }, { "e", "\xc3\xa9" },
        { "\xff\xfe", "\xfe\xff" }, { "\xc3", "\xc3\xa9" },
        { "aaa", "a" }, { "aab", "abb" },
    };
    lua_State *L = luaL_newstate();
    int ok = 1, pairs = 0, at_max = 0, above = 0;
    char a[128], words[8][128];
    const char *list[8];
    luaL_openlibs(L);
    lua_modules_preload(L);
    lua_getglobal(L, "require");
    lua_pushstring(L, "certmon.domain_c");
    lua_call(L, 1, 1);
    for (size_t e = 0; e < sizeof edge / sizeof edge[0]; e++)
        for (int max = 0; max <= 3; max++) {
            ok &= near_agrees(L, edge[e][0], &edge[e][1], 1, max, &at_max,
                              &above);
            ok &= near_agrees(L, edge[e][1], &edge[e][0], 1, max, &at_max,
                              &above);
            pairs += 2;
        }
    for (int t = 0; t < 20000 && ok; t++) {
        int n = 1 + (int)rnd(8);
        random_word(a);
        for (int i = 0; i < n; i++) {
            if (rnd(4) == 0)
                random_word(words[i]);
            else
                mutate(a, words[i]);
            list[i] = words[i];
        }
        ok &= near_agrees(L, a, list, n, (int)rnd(4), &at_max, &above);
        pairs += n;
    }
    lua_close(L);
    printf("# dlev_near: %d pairs, %d at max, %d at max + 1\n", pairs,
           at_max, above);
    ok = ok && at_max > 1000 && above > 1000;
    printf("%s - dlev_near_matches_damerau\n", ok ? "ok" : "not ok");
    return !ok;
}

int main(int argc, char **argv)
{
    const char *top = getenv("CERTMON_TOP");
    char dir[2048], file[2048 + 260];
    struct dirent **list;
    int failed = 0;
    if (!top || !*top)
        top = ".";
    if (argc > 1)
        return run_file(top, argv[1], argc - 2, argv + 2);
    snprintf(dir, sizeof dir, "%s/tests/lua", top);
    int n = scandir(dir, &list, is_test, by_name);
    if (n <= 0) {
        printf("not ok - no Lua tests in %s\n", dir);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        snprintf(file, sizeof file, "%s/%s", dir, list[i]->d_name);
        failed |= run_file(top, file, 0, NULL);
        free(list[i]);
    }
    free(list);
    failed |= dlev_near_matches_damerau();
    return failed;
}
