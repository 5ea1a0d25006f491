/*
** lua_api.c: the C side of the `certmon` module.
**
**   certmon.alert(t)        write one alert: t's fields plus rule and time
**   certmon.read_lines(p)   a text list file as an array: one entry a line,
**                           blanks and # comments skipped, spaces trimmed
**   certmon.version         the certmon version string
*/
#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lua_api.h"
#include "stats.h"
#include "version.h"

void lua_api_set_ctx(lua_State *L, struct certmon_ctx *ctx)
{
    *(struct certmon_ctx **)lua_getextraspace(L) = ctx;
}

struct certmon_ctx *lua_api_get_ctx(lua_State *L)
{
    return *(struct certmon_ctx **)lua_getextraspace(L);
}

/* certmon.alert(t) [-0, +0, e] */
static int api_alert(lua_State *L)
{
    struct certmon_ctx *ctx = lua_api_get_ctx(L);
    struct timespec ts;
    char err[256];

    luaL_checktype(L, 1, LUA_TTABLE);
    if (!ctx || !ctx->alerts || !ctx->rule)
        return luaL_error(L, "certmon.alert may only be called from a "
                          "rule handler");
    clock_gettime(CLOCK_REALTIME, &ts);
    if (alert_encode(L, 1, ctx->rule, ts.tv_sec + ts.tv_nsec / 1e9,
                     ctx->alerts, err, sizeof(err)) < 0)
        return luaL_error(L, "certmon.alert: %s", err);
    ctx->alerts_made++;
    return 0;
}

/* certmon.read_lines(path) -> array of strings [-0, +1, e] */
static int api_read_lines(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char line[4096];
    lua_Integer n = 0;
    FILE *f = fopen(path, "r");

    if (!f)
        return luaL_error(L, "cannot read %s: %s", path, strerror(errno));
    lua_newtable(L);
    while (fgets(line, sizeof(line), f)) {
        char *s = line, *e;
        while (*s == ' ' || *s == '\t')
            s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' ||
                         e[-1] == '\t'))
            e--;
        if (e == s || *s == '#')
            continue;
        lua_pushlstring(L, s, (size_t)(e - s));
        lua_rawseti(L, -2, ++n);
    }
    fclose(f);
    return 1;
}

static const luaL_Reg api_funcs[] = {
    { "alert", api_alert },
    { "read_lines", api_read_lines },
    { NULL, NULL }
};

int luaopen_certmon(lua_State *L)
{
    luaL_newlib(L, api_funcs);
    lua_pushliteral(L, CERTMON_VERSION);
    lua_setfield(L, -2, "version");
    return 1;
}
