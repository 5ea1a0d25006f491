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

#include "alert.h"

struct certmon_ctx {
    const char *rule;           /* name of the rule running now, or NULL */
    struct alert_buf *alerts;   /* alerts go here; NULL = not allowed now */
    unsigned long alerts_made;  /* alerts encoded into alerts so far */
};

/* Points the state's context at ctx (which must outlive its use). */
void lua_api_set_ctx(lua_State *L, struct certmon_ctx *ctx);
struct certmon_ctx *lua_api_get_ctx(lua_State *L);

/* The module loader for package.preload["certmon"]. [-0, +1, e] */
int luaopen_certmon(lua_State *L);

#endif
