/*
** msg_table.c: lua-cjson decode plus the message-table normalisations.
**
** lua-cjson (Debian 2.1.0) decodes every number with strtod, so in Lua 5.4
** "cert_index": 712420366 arrives as the float 712420366.0, and null
** arrives as cjson.null, a light userdata that is truthy. Rules expect
** integers and nil, so one pass over the fresh table fixes both; it
** replaces values of existing keys only, which lua_next allows.
*/
#include <lauxlib.h>
#include <lua-cjson.h>
#include <stdio.h>

#include "msg_table.h"

/* Deeper JSON than this is refused by the decoder; also bounds our C
** recursion in normalise. */
#define MSG_MAX_DEPTH 64

/* Registry key (its address) of the decode closure. */
static const char decode_key = 'd';

static void normalise(lua_State *L, int idx, int depth)
{
    if (depth > MSG_MAX_DEPTH || !lua_checkstack(L, 4))
        return;     /* cannot happen below the decoder's own depth cap */
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        switch (lua_type(L, -1)) {
        case LUA_TTABLE:
            normalise(L, lua_gettop(L), depth + 1);
            break;
        case LUA_TNUMBER:
            if (!lua_isinteger(L, -1)) {
                int exact;
                lua_Integer i = lua_tointegerx(L, -1, &exact);
                if (exact) {
                    lua_pushvalue(L, -2);
                    lua_pushinteger(L, i);
                    lua_rawset(L, idx);
                }
            }
            break;
        case LUA_TLIGHTUSERDATA:
            if (lua_touserdata(L, -1) == NULL) {     /* cjson.null */
                lua_pushvalue(L, -2);
                lua_pushnil(L);
                lua_rawset(L, idx);
            }
            break;
        default:
            break;
        }
        lua_pop(L, 1);
    }
}

void msg_table_normalise(lua_State *L, int idx)
{
    normalise(L, lua_absindex(L, idx), 0);
}

/* decode_message(ptr, len) -> table; raises on invalid input. Takes the
** bytes as a light userdata so that even the string copy happens inside
** the protected call. [-2, +1, e] upvalue 1: cjson.decode */
static int decode_message(lua_State *L)
{
    const char *data = lua_touserdata(L, 1);
    size_t len = (size_t)lua_tointeger(L, 2);

    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushlstring(L, data, len);
    lua_call(L, 1, 1);
    if (!lua_istable(L, -1))
        return luaL_error(L, "not a JSON object");
    normalise(L, lua_gettop(L), 0);
    return 1;
}

/* Calls cjson.NAME(arg) on the module table at the top. [-0, +0, e] */
static void cjson_set(lua_State *L, const char *name, int arg)
{
    lua_getfield(L, -1, name);
    lua_pushinteger(L, arg);
    lua_call(L, 1, 0);
}

/* [-0, +0, e] arg: none; leaves the decode closure in the registry. */
static int init_decoder(lua_State *L)
{
    luaopen_cjson(L);
    cjson_set(L, "decode_max_depth", MSG_MAX_DEPTH);
    lua_getfield(L, -1, "decode_invalid_numbers");
    lua_pushboolean(L, 0);
    lua_call(L, 1, 0);
    lua_getfield(L, -1, "decode");
    lua_pushcclosure(L, decode_message, 1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &decode_key);
    return 0;
}

int msg_table_init(lua_State *L, char *err, size_t errlen)
{
    lua_pushcfunction(L, init_decoder);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        snprintf(err, errlen, "lua-cjson: %s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return -1;
    }
    return 0;
}

int msg_table_push(lua_State *L, const char *data, size_t len)
{
    size_t i = 0;

    /* A JSON array decodes to a table too; only objects are messages. */
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' ||
                       data[i] == '\n'))
        i++;
    if (i == len || data[i] != '{') {
        lua_pushliteral(L, "not a JSON object");
        return -1;
    }
    lua_rawgetp(L, LUA_REGISTRYINDEX, &decode_key);
    lua_pushlightuserdata(L, (void *)data);
    lua_pushinteger(L, (lua_Integer)len);
    if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
        if (!lua_isstring(L, -1)) {
            lua_pop(L, 1);
            lua_pushliteral(L, "decode failed");
        }
        return -1;
    }
    return 0;
}
