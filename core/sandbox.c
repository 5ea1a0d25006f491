/*
** sandbox.c: construction of rule states.
*/
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lua_api.h"
#include "lua_modules.h"
#include "msg_table.h"
#include "sandbox.h"

int sandbox_traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);

    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)",
                                  luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* print(...) for rules: to stderr, because stdout carries the alerts.
** [-n, +0, e] */
static int rule_print(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_Buffer b;

    luaL_buffinit(L, &b);
    luaL_addstring(&b, "certmon: print: ");
    for (int i = 1; i <= n; i++) {
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
        if (i < n)
            luaL_addchar(&b, '\t');
    }
    luaL_addchar(&b, '\n');
    luaL_pushresult(&b);
    fputs(lua_tostring(L, -1), stderr);
    return 0;
}

/* Sets package.path to the lua/ folder and the rule folders; no C
** modules from disk. [-0, +0, m] */
static void set_paths(lua_State *L, const struct sandbox_config *cfg)
{
    luaL_Buffer b;

    lua_getglobal(L, "package");
    luaL_buffinit(L, &b);
    lua_pushfstring(L, "%s/?.lua;%s/?/init.lua", cfg->lua_dir, cfg->lua_dir);
    luaL_addvalue(&b);
    for (size_t i = 0; i < cfg->n_rule_dirs; i++) {
        lua_pushfstring(L, ";%s/?.lua", cfg->rule_dirs[i]);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    lua_setfield(L, -2, "path");
    lua_pushliteral(L, "");
    lua_setfield(L, -2, "cpath");
    lua_pop(L, 1);
}

/* [-1, +0, e] arg 1: light userdata config */
static int setup_state(lua_State *L)
{
    const struct sandbox_config *cfg = lua_touserdata(L, 1);

    luaL_openlibs(L);
    lua_pushcfunction(L, rule_print);
    lua_setglobal(L, "print");
    set_paths(L, cfg);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_certmon);
    lua_setfield(L, -2, "certmon");
    lua_pop(L, 1);
    lua_modules_preload(L);
    /* Generational GC suits the message pattern: a large young table per
    ** message that dies at once, and long-lived rule state. */
    lua_gc(L, LUA_GCGEN, 0, 0);
    return 0;
}

lua_State *sandbox_new_state(const struct sandbox_config *cfg,
                             char *err, size_t errlen)
{
    lua_State *L = luaL_newstate();

    if (!L) {
        snprintf(err, errlen, "cannot create a Lua state: out of memory");
        return NULL;
    }
    lua_api_set_ctx(L, NULL);
    lua_pushcfunction(L, setup_state);
    lua_pushlightuserdata(L, (void *)cfg);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        snprintf(err, errlen, "setting up a Lua state: %s",
                 lua_tostring(L, -1));
        lua_close(L);
        return NULL;
    }
    if (msg_table_init(L, err, errlen) < 0) {
        lua_close(L);
        return NULL;
    }
    return L;
}

void sandbox_push_rule_env(lua_State *L)
{
    lua_newtable(L);
    lua_newtable(L);
    lua_pushglobaltable(L);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
}
