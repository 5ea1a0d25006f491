/*
** lua_api.h: the `certmon` module rules get from require "certmon".
**
** Each state carries a pointer to a certmon_ctx in its extra space: the
** worker points it at the rule being called so that certmon.alert knows
** whose alert it is and where it goes.
*/
#ifndef CERTMON_LUA_API_H
#define CERTMON_LUA_API_H

#include <lua.h>
#include <stddef.h>

#include "alert.h"

struct certmon_ctx {
    const char *rule;           /* name of the rule running now, or NULL */
    struct json_buf *alerts;    /* alerts go here; NULL = not allowed now */
    unsigned long alerts_made;  /* alerts encoded into alerts so far */
};

/* Points the state's context at ctx (which must outlive its use). */
void lua_api_set_ctx(lua_State *L, struct certmon_ctx *ctx);
struct certmon_ctx *lua_api_get_ctx(lua_State *L);

/* Fixes where certmon.read_lines may read, before any rule state is
** built (not thread-safe; read-only afterwards): lua_dir, the rule
** folders, every command-line argument (or --opt=VALUE's value) and every
** CERTMON_* environment value that names an existing file or folder.
** confined 0 (--unsafe) lifts the restriction. Until this is called
** read_lines reads nothing. */
void lua_api_confine_reads(int confined, const char *lua_dir,
                           const char *const *rule_dirs, size_t n_rule_dirs,
                           int argc, char **argv);

/* Forgets the allowed places (exit; tests): read_lines reads nothing. */
void lua_api_confine_reset(void);

/* The module loader for package.preload["certmon"]. [-0, +1, e] */
int luaopen_certmon(lua_State *L);

#endif
