/*
** lua_api.c: the C side of the `certmon` module.
**
**   certmon.alert(t)        write one alert: t's fields plus rule and time
**   certmon.read_lines(p)   a text list file as an array: one entry a line,
**                           blanks and # comments skipped, spaces trimmed
**   certmon.version         the certmon version string
**   certmon.store.*         the shared store (see store_* below); keys are
**                           per rule: two rules never see each other's
*/
#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lua_api.h"
#include "stats.h"
#include "store.h"
#include "version.h"

void lua_api_set_ctx(lua_State *L, struct certmon_ctx *ctx)
{
    *(struct certmon_ctx **)lua_getextraspace(L) = ctx;
}

struct certmon_ctx *lua_api_get_ctx(lua_State *L)
{
    return *(struct certmon_ctx **)lua_getextraspace(L);
}

/* certmon.alert(t) [-0, +0, e] */
static int api_alert(lua_State *L)
{
    struct certmon_ctx *ctx = lua_api_get_ctx(L);
    struct timespec ts;
    char err[256];

    luaL_checktype(L, 1, LUA_TTABLE);
    if (!ctx || !ctx->alerts || !ctx->rule)
        return luaL_error(L, "certmon.alert may only be called from a "
                          "rule handler");
    clock_gettime(CLOCK_REALTIME, &ts);
    if (alert_encode(L, 1, ctx->rule, ts.tv_sec + ts.tv_nsec / 1e9,
                     ctx->alerts, err, sizeof(err)) < 0)
        return luaL_error(L, "certmon.alert: %s", err);
    ctx->alerts_made++;
    return 0;
}

/* certmon.read_lines(path) -> array of strings [-0, +1, e] */
static int api_read_lines(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char line[4096];
    lua_Integer n = 0;
    FILE *f = fopen(path, "r");

    if (!f)
        return luaL_error(L, "cannot read %s: %s", path, strerror(errno));
    lua_newtable(L);
    while (fgets(line, sizeof(line), f)) {
        char *s = line, *e;
        while (*s == ' ' || *s == '\t')
            s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' ||
                         e[-1] == '\t'))
            e--;
        if (e == s || *s == '#')
            continue;
        lua_pushlstring(L, s, (size_t)(e - s));
        lua_rawseti(L, -2, ++n);
    }
    fclose(f);
    return 1;
}

/* ===== certmon.store ===== */

/* Pushes the namespaced key: rule name, NUL, the caller's key (arg 1).
** [-0, +1, e] */
static void push_store_key(lua_State *L)
{
    struct certmon_ctx *ctx = lua_api_get_ctx(L);
    const char *rule = ctx && ctx->rule ? ctx->rule : "";
    size_t klen;
    const char *key = luaL_checklstring(L, 1, &klen);
    luaL_Buffer b;

    luaL_buffinit(L, &b);
    luaL_addstring(&b, rule);
    luaL_addchar(&b, '\0');
    luaL_addlstring(&b, key, klen);
    luaL_pushresult(&b);
}

/* Raises the error for store result rc (< 0) of function fn. Does not
** return. */
static int store_fail(lua_State *L, const char *fn, int rc)
{
    switch (rc) {
    case STORE_ERR_TYPE:
        return luaL_error(L, "certmon.store.%s: '%s' is not a counter", fn,
                          lua_tostring(L, 1));
    case STORE_ERR_TOO_BIG:
        return luaL_error(L, "certmon.store.%s: entry larger than the "
                          "store's whole cap (--store-max)", fn);
    case STORE_ERR_OVERFLOW:
        return luaL_error(L, "certmon.store.%s: '%s' would overflow a "
                          "64-bit integer", fn, lua_tostring(L, 1));
    default:
        return luaL_error(L, "certmon.store.%s: out of memory", fn);
    }
}

/* store.seen(key [, ttl_s]) -> boolean [-(1|2), +1, e] */
static int store_l_seen(lua_State *L)
{
    double ttl = luaL_optnumber(L, 2, 0);
    size_t klen;
    const char *k;
    int rc;

    push_store_key(L);
    k = lua_tolstring(L, -1, &klen);
    rc = store_seen(k, klen, ttl);
    if (rc < 0)
        return store_fail(L, "seen", rc);
    lua_pushboolean(L, rc);
    return 1;
}

/* store.incr(key [, ttl_s [, by]]) -> integer [-(1..3), +1, e] */
static int store_l_incr(lua_State *L)
{
    double ttl = luaL_optnumber(L, 2, 0);
    lua_Integer by = luaL_optinteger(L, 3, 1);
    int64_t v;
    size_t klen;
    const char *k;
    int rc;

    push_store_key(L);
    k = lua_tolstring(L, -1, &klen);
    rc = store_incr(k, klen, by, ttl, &v);
    if (rc < 0)
        return store_fail(L, "incr", rc);
    lua_pushinteger(L, v);
    return 1;
}

/* store.set(key, value [, ttl_s]): value a string, number or true; nil
** or false deletes. [-(2|3), +0, e] */
static int store_l_set(lua_State *L)
{
    struct store_value v = { .type = STORE_NONE };
    double ttl = luaL_optnumber(L, 3, 0);
    size_t klen;
    const char *k;
    int rc;

    switch (lua_type(L, 2)) {
    case LUA_TNIL:
        break;
    case LUA_TBOOLEAN:
        v.type = lua_toboolean(L, 2) ? STORE_MARK : STORE_NONE;
        break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, 2)) {
            v.type = STORE_INT;
            v.i = lua_tointeger(L, 2);
        } else {
            v.type = STORE_NUM;
            v.n = lua_tonumber(L, 2);
        }
        break;
    case LUA_TSTRING:
        v.type = STORE_STR;
        v.s = lua_tolstring(L, 2, &v.len);
        break;
    default:
        return luaL_argerror(L, 2, "string, number, boolean or nil expected");
    }
    push_store_key(L);
    k = lua_tolstring(L, -1, &klen);
    rc = store_set(k, klen, &v, ttl);
    if (rc < 0)
        return store_fail(L, "set", rc);
    return 0;
}

/* store.get(key) -> value or nil [-1, +1, e] */
static int store_l_get(lua_State *L)
{
    struct store_value v;
    char small[256];
    size_t klen;
    const char *k;

    push_store_key(L);
    k = lua_tolstring(L, -1, &klen);
    store_get(k, klen, &v, small, sizeof(small));
    switch (v.type) {
    case STORE_NONE:
        lua_pushnil(L);
        break;
    case STORE_MARK:
        lua_pushboolean(L, 1);
        break;
    case STORE_INT:
        lua_pushinteger(L, v.i);
        break;
    case STORE_NUM:
        lua_pushnumber(L, v.n);
        break;
    case STORE_STR:
        /* Long values: fetch again into a buffer of the right size; the
        ** value may change in between, so loop until it fits. */
        while (v.type == STORE_STR && v.len > sizeof(small)) {
            char *big = lua_newuserdatauv(L, v.len, 0);
            size_t want = v.len;
            store_get(k, klen, &v, big, want);
            if (v.type == STORE_STR && v.len <= want) {
                lua_pushlstring(L, big, v.len);
                return 1;
            }
            lua_pop(L, 1);
        }
        if (v.type == STORE_STR)
            lua_pushlstring(L, v.s, v.len);
        else
            lua_pushnil(L);     /* it went away meanwhile */
        break;
    }
    return 1;
}

static const luaL_Reg store_funcs[] = {
    { "seen", store_l_seen },
    { "incr", store_l_incr },
    { "set", store_l_set },
    { "get", store_l_get },
    { NULL, NULL }
};

static const luaL_Reg api_funcs[] = {
    { "alert", api_alert },
    { "read_lines", api_read_lines },
    { NULL, NULL }
};

int luaopen_certmon(lua_State *L)
{
    luaL_newlib(L, api_funcs);
    lua_pushliteral(L, CERTMON_VERSION);
    lua_setfield(L, -2, "version");
    luaL_newlib(L, store_funcs);
    lua_setfield(L, -2, "store");
    return 1;
}
