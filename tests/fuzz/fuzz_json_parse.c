/*
** fuzz_json_parse.c: the strict JSON reader (core/json_parse.c), which
** reads log lists, get-sth and get-entries bodies.
**
** Checks beyond "no crash, no leak": a document that parses has a tree
** whose every string is NUL-terminated at its len, whose objects have a
** key for every member, and whose depth stays within JSON_MAX_DEPTH; an
** integer's int64/uint64 and double agree; the lookup helpers answer for
** every member; a parse failure always says why.
**
** And differentially: json_parse is the stricter reader, so it must never
** accept what lua-cjson (configured as certmon's decoder reference:
** depth 64, no NaN/Infinity/hex) refuses - with one documented
** exception, a lone UTF-16 surrogate escape, which json_parse turns into
** U+FFFD and cjson refuses. (The other way round is expected: cjson takes
** "1." and raw control bytes in strings, RFC 8259 does not.) Inputs with
** a NUL byte are not compared: cjson stops reading there.
*/
#include <lauxlib.h>
#include <lua-cjson.h>
#include <lualib.h>

#include "fuzz_util.h"
#include "json_parse.h"

static lua_State *L;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    L = luaL_newstate();
    FUZZ_ASSERT(L != NULL);
    luaL_openlibs(L);
    luaopen_cjson(L);
    lua_getfield(L, -1, "decode_max_depth");
    lua_pushinteger(L, JSON_MAX_DEPTH);
    lua_call(L, 1, 0);
    lua_getfield(L, -1, "decode_invalid_numbers");
    lua_pushboolean(L, 0);
    lua_call(L, 1, 0);
    lua_getfield(L, -1, "decode");
    lua_setglobal(L, "cjson_decode");
    lua_settop(L, 0);
    return 0;
}

/* 1 if data holds an escape of a UTF-16 surrogate (\uD800-\uDFFF). */
static int has_surrogate_escape(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i + 3 < size; i++)
        if (data[i] == '\\' && data[i + 1] == 'u' &&
            (data[i + 2] | 0x20) == 'd' &&
            ((data[i + 3] >= '8' && data[i + 3] <= '9') ||
             ((data[i + 3] | 0x20) >= 'a' && (data[i + 3] | 0x20) <= 'f')))
            return 1;
    return 0;
}

/* Aborts if cjson refuses data for another reason than a lone surrogate
** escape; called when json_parse accepted it. */
static void cjson_accepts_too(const uint8_t *data, size_t size)
{
    const char *why;

    if (memchr(data, '\0', size))
        return;
    lua_getglobal(L, "cjson_decode");
    lua_pushlstring(L, (const char *)data, size);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        why = lua_tostring(L, -1);
        if (!why || !strstr(why, "invalid unicode escape") ||
            !has_surrogate_escape(data, size)) {
            fprintf(stderr, "json_parse accepts, lua-cjson refuses: %s\n",
                    why ? why : "?");
            abort();
        }
    }
    lua_settop(L, 0);
    /* free this input's tables now: libFuzzer counts mallocs against
    ** frees per input and runs a slow leak scan otherwise */
    lua_gc(L, LUA_GCCOLLECT);
}

/* Walks v, checking the invariants above; returns the depth. */
static int walk(const struct json_value *v, int depth)
{
    int max = depth;

    FUZZ_ASSERT(depth <= JSON_MAX_DEPTH);
    switch (v->type) {
    case JSON_STRING:
        FUZZ_ASSERT(v->u.str.s != NULL && v->u.str.s[v->u.str.len] == '\0');
        FUZZ_ASSERT(json_str(v, NULL) == v->u.str.s);
        break;
    case JSON_NUMBER:
        /* both are the exact value rounded to nearest */
        if (v->u.num.is_int)
            FUZZ_ASSERT((double)v->u.num.i == v->u.num.d);
        if (v->u.num.is_uint)
            FUZZ_ASSERT((double)v->u.num.u == v->u.num.d);
        break;
    case JSON_ARRAY:
    case JSON_OBJECT:
        FUZZ_ASSERT(json_count(v) == v->u.c.n);
        for (size_t i = 0; i < v->u.c.n; i++) {
            int d;
            FUZZ_ASSERT(json_at(v, i) == &v->u.c.items[i]);
            if (v->type == JSON_OBJECT) {
                const char *k = json_key_at(v, i);
                FUZZ_ASSERT(k != NULL && k[v->u.c.key_lens[i]] == '\0');
                /* the first member with a key is what json_get finds */
                if (strlen(k) == v->u.c.key_lens[i])
                    FUZZ_ASSERT(json_get(v, k) != NULL);
            }
            d = walk(&v->u.c.items[i], depth + 1);
            if (d > max)
                max = d;
        }
        break;
    default:
        break;
    }
    return max;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256] = "";
    struct json_value *v = json_parse((const char *)data, size, err,
                                      sizeof err);

    if (!v) {
        FUZZ_ASSERT(err[0] != '\0');
        return 0;
    }
    walk(v, 1);
    json_free(v);
    cjson_accepts_too(data, size);
    return 0;
}
