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
#include <lualib.h>

#include "../unit/rules/msg_table_ref.h"
#include "fuzz_util.h"

static lua_State *L;

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
    FUZZ_ASSERT(msg_table_ref_open(L) == 0);
    lua_settop(L, 0);
    lua_pushcfunction(L, traceback);        /* stays at index 1 */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int top = lua_gettop(L), mine, theirs;

    msg_table_ref_push(L, (const char *)data, size, 1);
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
