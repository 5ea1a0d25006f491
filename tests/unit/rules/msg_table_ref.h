/*
** msg_table_ref.h: the reference the one-pass message decoder must equal,
** shared by tests/unit/rules/test_msg_table_equiv.c and
** tests/fuzz/fuzz_msg_table.c: lua-cjson's decode (decode_max_depth 64,
** decode_invalid_numbers off, as certmon configured it before the
** one-pass decoder) followed by msg_table_normalise, only for a JSON
** object; and `same`, the comparison of two tables as a rule can observe
** them (keys, types, math.type, values with NaN equal to NaN, '#' and
** rawlen, recursively; not the order pairs() visits keys in, which Lua
** seeds per state).
*/
#ifndef CERTMON_MSG_TABLE_REF_H
#define CERTMON_MSG_TABLE_REF_H

#include <lauxlib.h>
#include <lua-cjson.h>
#include <lualib.h>

#include "rules/msg_table.h"

static const char msg_table_same_lua[] =
    "local function same(a, b, path)\n"
    "  if type(a) ~= type(b) then return false, path .. ': type' end\n"
    "  if type(a) == 'number' then\n"
    "    if math.type(a) ~= math.type(b) then\n"
    "      return false, path .. ': math.type' end\n"
    "    if a ~= b and not (a ~= a and b ~= b) then\n"
    "      return false, path .. ': value' end\n"
    "    return true\n"
    "  end\n"
    "  if type(a) ~= 'table' then\n"
    "    if a ~= b then return false, path .. ': value' end\n"
    "    return true\n"
    "  end\n"
    "  if #a ~= #b or rawlen(a) ~= rawlen(b) then\n"
    "    return false, path .. ': length' end\n"
    "  local na, nb = 0, 0\n"
    "  for k, v in pairs(a) do\n"
    "    na = na + 1\n"
    "    local ok, where = same(v, rawget(b, k), path .. '.' .. tostring(k))\n"
    "    if not ok then return false, where end\n"
    "  end\n"
    "  for _ in pairs(b) do nb = nb + 1 end\n"
    "  if na ~= nb then return false, path .. ': key count' end\n"
    "  return true\n"
    "end\n"
    "return same\n";

/* Sets the globals same(a, b, path) -> ok, where and cjson_decode in L.
** Returns 0, or -1 if the comparison did not load. Stack unchanged. */
static int msg_table_ref_open(lua_State *L)
{
    int top = lua_gettop(L);

    if (luaL_dostring(L, msg_table_same_lua) != LUA_OK) {
        lua_settop(L, top);
        return -1;
    }
    lua_setglobal(L, "same");
    luaopen_cjson(L);
    lua_getfield(L, -1, "decode_max_depth");
    lua_pushinteger(L, 64);
    lua_call(L, 1, 0);
    lua_getfield(L, -1, "decode_invalid_numbers");
    lua_pushboolean(L, 0);
    lua_call(L, 1, 0);
    lua_getfield(L, -1, "decode");
    lua_setglobal(L, "cjson_decode");
    lua_settop(L, top);
    return 0;
}

/* Pushes the reference result for data: a table, or nil where the
** reference refuses it. msgh is the pcall message handler's index (0 for
** none). [-0, +1] */
static void msg_table_ref_push(lua_State *L, const char *data, size_t len,
                               int msgh)
{
    size_t i = 0;

    while (i < len && (data[i] == ' ' || data[i] == '\t' ||
                       data[i] == '\r' || data[i] == '\n'))
        i++;
    if (i == len || data[i] != '{') {
        lua_pushnil(L);
        return;
    }
    lua_getglobal(L, "cjson_decode");
    lua_pushlstring(L, data, len);
    if (lua_pcall(L, 1, 1, msgh) != LUA_OK || !lua_istable(L, -1)) {
        lua_pop(L, 1);
        lua_pushnil(L);
        return;
    }
    msg_table_normalise(L, -1);
}

#endif
