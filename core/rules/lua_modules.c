/*
** lua_modules.c: the list of C modules compiled into certmon.
**
** Add a module by adding its luaopen_ function to c_modules[]; its Lua
** side, if any, lives in lua/ and requires it by this name.
*/
#include <lauxlib.h>

#include "detect/domain_lua.h"
#include "rules/lua_modules.h"

static const luaL_Reg c_modules[] = {
    { "certmon.domain_c", luaopen_certmon_domain_c },
    { NULL, NULL }
};

void lua_modules_preload(lua_State *L)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    for (const luaL_Reg *m = c_modules; m->name; m++) {
        lua_pushcfunction(L, m->func);
        lua_setfield(L, -2, m->name);
    }
    lua_pop(L, 1);
}
