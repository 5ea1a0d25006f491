/*
** fuzz_msg_table.c: the message decoder (core/rules/msg_table.c) that turns
** every CertStream message into the table rules see, differentially
** against lua-cjson.
**
** The reference is what the decoder promises to equal: lua-cjson's
** decode (decode_max_depth 64, decode_invalid_numbers off, as certmon
** configured it before the one-pass decoder) followed by
** msg_table_normalise, and only for a JSON object. On every input:
**   - one accepts exactly when the other does;
**   - when both accept, the tables are equal as a rule can observe them:
**     the same set of keys, at every level; for each key a value of the
**     same type, numbers with the same math.type (integer or float) and
**     value (NaN equal to NaN), strings byte for byte (Lua string
**     equality), booleans equal; and for every table the same '#' and
**     the same rawlen. The order pairs() visits keys in is not compared
**     (Lua seeds its string hash per state: no rule can rely on it);
**   - the decoder leaves the stack one higher, with a string on failure.
*/
#include <lauxlib.h>
#include <lua-cjson.h>
#include <lualib.h>

#include "fuzz_util.h"
#include "rules/msg_table.h"

static lua_State *L;

static const char same_lua[] =
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

static int traceback(lua_State *l)
{
    luaL_traceback(l, l, lua_tostring(l, 1), 1);
    return 1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[256];

    L = luaL_newstate();
    FUZZ_ASSERT(L != NULL);
    luaL_openlibs(L);
    FUZZ_ASSERT(msg_table_init(L, err, sizeof err) == 0);
    FUZZ_ASSERT(luaL_dostring(L, same_lua) == LUA_OK);
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
    lua_settop(L, 0);
    lua_pushcfunction(L, traceback);        /* stays at index 1 */
    return 0;
}

/* Pushes the reference result for data: a table, or nil on failure. */
static void reference(const char *data, size_t len)
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
    if (lua_pcall(L, 1, 1, 1) != LUA_OK || !lua_istable(L, -1)) {
        lua_pop(L, 1);
        lua_pushnil(L);
        return;
    }
    msg_table_normalise(L, -1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int top = lua_gettop(L), mine, theirs;

    reference((const char *)data, size);
    theirs = !lua_isnil(L, -1);
    mine = msg_table_push(L, (const char *)data, size) == 0;
    FUZZ_ASSERT(lua_gettop(L) == top + 2);
    FUZZ_ASSERT(mine ? lua_istable(L, -1) : lua_type(L, -1) == LUA_TSTRING);
    if (mine != theirs) {
        fprintf(stderr, "reference %s, decoder %s (%s)\n",
                theirs ? "accepts" : "refuses", mine ? "accepts" : "refuses",
                mine ? "" : lua_tostring(L, -1));
        abort();
    }
    if (mine) {
        lua_getglobal(L, "same");
        lua_pushvalue(L, -3);
        lua_pushvalue(L, -3);
        lua_pushliteral(L, "msg");
        FUZZ_ASSERT(lua_pcall(L, 3, 2, 1) == LUA_OK);
        if (!lua_toboolean(L, -2)) {
            fprintf(stderr, "tables differ at %s\n", lua_tostring(L, -1));
            abort();
        }
    }
    lua_settop(L, top);
    /* what this input allocated is freed now: libFuzzer counts mallocs
    ** against frees per input and runs a (slow) leak scan otherwise */
    lua_gc(L, LUA_GCCOLLECT);
    return 0;
}
