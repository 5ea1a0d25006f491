/*
** decode_bench: the decoding floor for make bench. Decodes the messages
** of a JSON-lines file over and over on one thread for a while and
** reports the rate.
**
** Usage: decode_bench [--mode cjson|certmon] [--seconds S] FILE
**   cjson    bare lua-cjson: cjson.decode(string) → table, in a plain
**            Lua 5.4 state with default GC (what any Lua client pays)
**   certmon  msg_table_push, i.e. what a certmon worker does before
**            the rules run (decode plus normalisation), on the worker's
**            allocator (mem_pool)
** Prints: "decode_bench: mode=M msgs=N secs=S msgs_per_s=R
**          cpu_ms_per_1k=C"
*/
#include <lauxlib.h>
#include <lua-cjson.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/mem_pool.h"
#include "rules/msg_table.h"
#include "bench_clock.h"

int main(int argc, char **argv)
{
    const char *mode = "cjson", *path = NULL;
    double seconds = 1.0, t0, c0, t;
    char **lines = NULL, *line = NULL, err[256];
    size_t *lens = NULL, n = 0, cap = 0, lcap = 0;
    unsigned long long done = 0;
    ssize_t got;
    struct mem_pool *pool;
    lua_State *L;
    FILE *f;
    int certmon;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mode") && i + 1 < argc)
            mode = argv[++i];
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else
            path = argv[i];
    }
    certmon = !strcmp(mode, "certmon");
    if (!path || (!certmon && strcmp(mode, "cjson"))) {
        fprintf(stderr, "usage: decode_bench [--mode cjson|certmon] "
                "[--seconds S] FILE\n");
        return 2;
    }
    if (!(f = fopen(path, "r"))) {
        perror(path);
        return 2;
    }
    while ((got = getline(&line, &lcap, f)) > 0) {
        while (got && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            got--;
        if (!got)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            lines = realloc(lines, cap * sizeof(*lines));
            lens = realloc(lens, cap * sizeof(*lens));
            if (!lines || !lens)
                return 2;
        }
        lines[n] = malloc((size_t)got + 1);
        if (!lines[n])
            return 2;
        memcpy(lines[n], line, (size_t)got);
        lines[n][got] = '\0';
        lens[n++] = (size_t)got;
    }
    free(line);
    fclose(f);
    if (!n) {
        fprintf(stderr, "decode_bench: %s: no messages\n", path);
        return 2;
    }
    pool = certmon ? mem_pool_new((size_t)64 << 20) : NULL;
    L = certmon ? lua_newstate(mem_pool_lua_alloc, pool) : luaL_newstate();
    if (!L)
        return 2;
    luaL_openlibs(L);
    if (certmon) {
        if (msg_table_init(L, err, sizeof(err)) < 0) {
            fprintf(stderr, "decode_bench: %s\n", err);
            return 1;
        }
    } else {
        luaopen_cjson(L);
        lua_getfield(L, -1, "decode");      /* stack: cjson, decode */
    }
    t0 = bench_now_s();
    c0 = bench_cpu_s();
    do {
        for (int k = 0; k < 256; k++) {
            size_t i = done++ % n;
            if (certmon) {
                if (msg_table_push(L, lines[i], lens[i]) < 0) {
                    fprintf(stderr, "decode_bench: %s\n",
                            lua_tostring(L, -1));
                    return 1;
                }
            } else {
                lua_pushvalue(L, -1);
                lua_pushlstring(L, lines[i], lens[i]);
                lua_call(L, 1, 1);
            }
            lua_pop(L, 1);
        }
        t = bench_now_s() - t0;
    } while (t < seconds);
    printf("decode_bench: mode=%s msgs=%llu secs=%.3f msgs_per_s=%.0f "
           "cpu_ms_per_1k=%.3f\n", mode, done, t, done / t,
           (bench_cpu_s() - c0) * 1e6 / (double)done);
    lua_close(L);
    mem_pool_free(pool);
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    free(lens);
    return 0;
}
