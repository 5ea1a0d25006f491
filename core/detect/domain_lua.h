/*
** domain_lua.h: the C half of the detection library, as the Lua module
** "certmon.domain_c" (lua/certmon/domain.lua wraps it).
*/
#ifndef CERTMON_DOMAIN_LUA_H
#define CERTMON_DOMAIN_LUA_H

#include <lua.h>

/* Opens the module table. [-0, +1, m] */
int luaopen_certmon_domain_c(lua_State *L);

#endif
