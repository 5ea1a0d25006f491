/*
** test_domain_lua.c: runs the Lua side of the detection library in a real
** Lua state with the certmon.domain_c module preloaded, the way a worker
** will: package.path points at lua/ and scripts/, C modules come from
** lua_modules_preload().
**
**   test_domain_lua                 runs every tests/lua/test_*.lua
**   test_domain_lua FILE [ARG ...]  runs FILE with arg = {ARG ...}
**                                   (used by make eval)
** The project root is $CERTMON_TOP, else the current directory. Lua test
** scripts print the "ok - " / "not ok - " lines themselves.
*/
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "rules/lua_modules.h"

static int traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
    return 1;
}

/* Runs one file in a fresh state; returns 0 when it ran without error. */
static int run_file(const char *top, const char *file, int argc, char **argv)
{
    lua_State *L = luaL_newstate();
    int rc = 1;
    if (!L) {
        printf("not ok - %s: cannot create Lua state\n", file);
        return 1;
    }
    luaL_openlibs(L);
    lua_modules_preload(L);
    lua_getglobal(L, "package");
    lua_pushfstring(L, "%s/lua/?.lua;%s/scripts/?.lua;%s/tests/lua/?.lua",
                    top, top, top);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
    lua_createtable(L, argc, 0);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setglobal(L, "arg");
    lua_pushstring(L, top);
    lua_setglobal(L, "CERTMON_TOP");
    lua_pushcfunction(L, traceback);
    if (luaL_loadfile(L, file) != LUA_OK ||
        lua_pcall(L, 0, 0, -2) != LUA_OK) {
        printf("not ok - %s: %s\n", file, lua_tostring(L, -1));
        lua_pop(L, 1);
    } else {
        rc = 0;
    }
    lua_pop(L, 1);
    lua_close(L);
    return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_test(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return strncmp(e->d_name, "test_", 5) == 0 && n > 4 &&
           strcmp(e->d_name + n - 4, ".lua") == 0;
}

int main(int argc, char **argv)
{
    const char *top = getenv("CERTMON_TOP");
    char dir[2048], file[2048 + 260];
    struct dirent **list;
    int failed = 0;
    if (!top || !*top)
        top = ".";
    if (argc > 1)
        return run_file(top, argv[1], argc - 2, argv + 2);
    snprintf(dir, sizeof dir, "%s/tests/lua", top);
    int n = scandir(dir, &list, is_test, by_name);
    if (n <= 0) {
        printf("not ok - no Lua tests in %s\n", dir);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        snprintf(file, sizeof file, "%s/%s", dir, list[i]->d_name);
        failed |= run_file(top, file, 0, NULL);
        free(list[i]);
    }
    free(list);
    return failed;
}
