/*
** lua_modules.h: the C modules rules may require.
**
** Rules never load C code from disk; the only C modules they reach are the
** ones compiled into certmon and listed in lua_modules.c.
*/
#ifndef CERTMON_LUA_MODULES_H
#define CERTMON_LUA_MODULES_H

#include <lua.h>

/* Registers every built-in C module in package.preload.
** [-0, +0, e] */
void lua_modules_preload(lua_State *L);

#endif
