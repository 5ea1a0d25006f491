/*
** lua_api.c: the C side of the `certmon` module.
**
**   certmon.alert(t)        write one alert: t's fields plus rule and time
**   certmon.read_lines(p)   a text list file as an array: one entry a line,
**                           blanks and # comments skipped, spaces trimmed;
**                           regular files in the allowed places only
**   certmon.version         the certmon version string
**   certmon.store.*         the shared store (see store_* below); keys are
**                           per rule: two rules never see each other's
*/
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "redis/redis_store.h"
#include "rules/lua_api.h"
#include "stats.h"
#include "store.h"
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

/* ===== certmon.read_lines ===== */

/*
** Rules have no io, but they need their lists. read_lines reads a regular
** file, whole, of at most read_limits.max_bytes, and only from where the
** user pointed certmon: the rule folders, lua/, and paths named on the
** command line or in CERTMON_* environment variables (a path named there
** that is a folder opens everything below it). Paths are compared after
** realpath, so neither ".." nor a symbolic link leads out. The set is
** fixed before the first rule loads and only read afterwards.
*/
static const struct {
    size_t max_bytes;           /* largest file read_lines reads */
    size_t max_roots;           /* places it may read from */
} read_limits = {
    .max_bytes = 64u << 20,
    .max_roots = 256,
};

struct read_root {
    char *path;                 /* realpath */
    size_t len;
    int is_dir;
};

static struct read_root *read_roots;
static size_t n_read_roots;
static int read_unconfined;     /* --unsafe: rules have io anyway */

/* Adds path (if it exists) to the places read_lines may read. */
static void allow_path(const char *path)
{
    struct stat st;
    char *real;

    if (!path || !*path || n_read_roots >= read_limits.max_roots)
        return;
    real = realpath(path, NULL);
    if (!real)
        return;
    if (stat(real, &st) < 0) {
        free(real);
        return;
    }
    if (!read_roots &&
        !(read_roots = calloc(read_limits.max_roots, sizeof(*read_roots)))) {
        free(real);
        return;
    }
    read_roots[n_read_roots].path = real;
    read_roots[n_read_roots].len = strlen(real);
    read_roots[n_read_roots].is_dir = S_ISDIR(st.st_mode);
    n_read_roots++;
}

void lua_api_confine_reads(int confined, const char *lua_dir,
                           const char *const *rule_dirs, size_t n_rule_dirs,
                           int argc, char **argv)
{
    extern char **environ;

    lua_api_confine_reset();
    read_unconfined = !confined;
    allow_path(lua_dir);
    for (size_t i = 0; i < n_rule_dirs; i++)
        allow_path(rule_dirs[i]);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '=');
        allow_path(a[0] == '-' && a[1] == '-' && eq ? eq + 1 : a);
    }
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (strncmp(*e, "CERTMON_", 8) == 0 && eq)
            allow_path(eq + 1);
    }
}

void lua_api_confine_reset(void)
{
    for (size_t i = 0; i < n_read_roots; i++)
        free(read_roots[i].path);
    free(read_roots);
    read_roots = NULL;
    n_read_roots = 0;
    read_unconfined = 0;
}

/* May read_lines open real (a realpath)? */
static int read_allowed(const char *real)
{
    if (read_unconfined)
        return 1;
    for (size_t i = 0; i < n_read_roots; i++) {
        const struct read_root *r = &read_roots[i];
        if (strcmp(real, r->path) == 0)
            return 1;
        if (r->is_dir && (r->len == 1 ||        /* "/" */
                          (strncmp(real, r->path, r->len) == 0 &&
                           real[r->len] == '/')))
            return 1;
    }
    return 0;
}

#define OUTSIDE_MSG "outside the places rules may read (rule folders, " \
    "lua/, paths named on the command line or in CERTMON_* variables)"

/* path does not resolve: does the folder it names resolve to an allowed
** place? Then "no such file" may be told. */
static int missing_inside_allowed(const char *path)
{
    char dir[PATH_MAX], *slash, *real;
    int ok;

    if (read_unconfined)
        return 1;
    if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
        return 0;
    slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    real = realpath(dir, NULL);
    if (!real)
        return 0;
    ok = read_allowed(real);
    free(real);
    return ok;
}

/* The descriptor read_lines holds, in a to-be-closed userdata: a memory
** error while the file is open unwinds through __close, so no error path
** leaks it. */
#define FD_META "certmon.read_lines.fd"

static int fd_close(lua_State *L)
{
    int *fd = luaL_checkudata(L, 1, FD_META);

    if (*fd >= 0)
        close(*fd);
    *fd = -1;
    return 0;
}

/* Pushes the lines of text[0..len) that are not blank or # comments,
** trimmed, as an array. [-0, +1, m] */
static void push_lines(lua_State *L, const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    lua_Integer n = 0;

    lua_newtable(L);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p, *e = nl ? nl : end;
        p = nl ? nl + 1 : end;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e == s || *s == '#')
            continue;
        lua_pushlstring(L, s, (size_t)(e - s));
        lua_rawseti(L, -2, ++n);
    }
}

/* certmon.read_lines(path) -> array of strings [-0, +1, e] */
static int api_read_lines(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char *real = NULL;
    int *fd;
    struct stat st;
    char *text;
    size_t got = 0;

    lua_settop(L, 1);
    fd = lua_newuserdatauv(L, sizeof(*fd), 0);     /* before the open */
    *fd = -1;
    luaL_setmetatable(L, FD_META);
    lua_toclose(L, 2);
    real = realpath(path, NULL);
    if (!real) {
        int e = errno;
        /* say why only inside the allowed places: outside them a rule
        ** must not learn which paths exist */
        if (!missing_inside_allowed(path))
            return luaL_error(L, "cannot read %s: %s", path, OUTSIDE_MSG);
        return luaL_error(L, "cannot read %s: %s", path, strerror(e));
    }
    if (!read_allowed(real)) {
        free(real);
        return luaL_error(L, "cannot read %s: %s", path, OUTSIDE_MSG);
    }
    /* O_NONBLOCK: opening a FIFO must not wait for a writer */
    *fd = open(real, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    free(real);
    if (*fd < 0)
        return luaL_error(L, "cannot read %s: %s", path, strerror(errno));
    if (fstat(*fd, &st) < 0)
        return luaL_error(L, "cannot read %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return luaL_error(L, "cannot read %s: not a regular file", path);
    if ((uintmax_t)st.st_size > read_limits.max_bytes)
        return luaL_error(L, "cannot read %s: larger than %zu bytes", path,
                          read_limits.max_bytes);
    /* the file is read as it was at fstat: what it grows by later is not */
    text = lua_newuserdatauv(L, (size_t)st.st_size + 1, 0);
    while (got < (size_t)st.st_size) {
        ssize_t r = read(*fd, text + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return luaL_error(L, "cannot read %s: %s", path,
                              strerror(errno));
        if (r == 0)
            break;
        got += (size_t)r;
    }
    lua_closeslot(L, 2);
    push_lines(L, text, got);
    return 1;
}

/* ===== certmon.store ===== */

/* Pushes the namespaced key: rule name, NUL, the caller's key (arg 1).
** [-0, +1, e] */
static void push_store_key(lua_State *L)
{
    struct certmon_ctx *ctx = lua_api_get_ctx(L);
    const char *rule = ctx && ctx->rule ? ctx->rule : "";
    size_t klen;
    const char *key = luaL_checklstring(L, 1, &klen);
    luaL_Buffer b;

    luaL_buffinit(L, &b);
    luaL_addstring(&b, rule);
    luaL_addchar(&b, '\0');
    luaL_addlstring(&b, key, klen);
    luaL_pushresult(&b);
}

/* Raises the error for store result rc (< 0) of function fn. Does not
** return. */
static int store_fail(lua_State *L, const char *fn, int rc)
{
    switch (rc) {
    case STORE_ERR_TYPE:
        return luaL_error(L, "certmon.store.%s: '%s' is not a counter", fn,
                          lua_tostring(L, 1));
    case STORE_ERR_TOO_BIG:
        return luaL_error(L, "certmon.store.%s: entry larger than the "
                          "store's whole cap (--store-max)", fn);
    case STORE_ERR_OVERFLOW:
        return luaL_error(L, "certmon.store.%s: '%s' would overflow a "
                          "64-bit integer", fn, lua_tostring(L, 1));
    default:
        return luaL_error(L, "certmon.store.%s: out of memory", fn);
    }
}

/* store.seen(key [, ttl_s]) -> boolean [-(1|2), +1, e] */
static int store_l_seen(lua_State *L)
{
    double ttl = luaL_optnumber(L, 2, 0);
    size_t klen;
    const char *k;
    int rc;

    push_store_key(L);
    k = lua_tolstring(L, -1, &klen);
    rc = redis_store_seen(k, klen, ttl);    /* store_seen unless --store */
    if (rc < 0)
        return store_fail(L, "seen", rc);
    lua_pushboolean(L, rc);
    return 1;
}

/* store.incr(key [, ttl_s [, by]]) -> integer [-(1..3), +1, e] */
static int store_l_incr(lua_State *L)
{
    double ttl = luaL_optnumber(L, 2, 0);
    lua_Integer by = luaL_optinteger(L, 3, 1);
    int64_t v;
    size_t klen;
    const char *k;
    int rc;

    push_store_key(L);
    k = lua_tolstring(L, -1, &klen);
    rc = store_incr(k, klen, by, ttl, &v);
    if (rc < 0)
        return store_fail(L, "incr", rc);
    lua_pushinteger(L, v);
    return 1;
}

/* store.set(key, value [, ttl_s]): value a string, number or true; nil
** or false deletes. [-(2|3), +0, e] */
static int store_l_set(lua_State *L)
{
    struct store_value v = { .type = STORE_NONE };
    double ttl = luaL_optnumber(L, 3, 0);
    size_t klen;
    const char *k;
    int rc;

    switch (lua_type(L, 2)) {
    case LUA_TNIL:
        break;
    case LUA_TBOOLEAN:
        v.type = lua_toboolean(L, 2) ? STORE_MARK : STORE_NONE;
        break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, 2)) {
            v.type = STORE_INT;
            v.i = lua_tointeger(L, 2);
        } else {
            v.type = STORE_NUM;
            v.n = lua_tonumber(L, 2);
        }
        break;
    case LUA_TSTRING:
        v.type = STORE_STR;
        v.s = lua_tolstring(L, 2, &v.len);
        break;
    default:
        return luaL_argerror(L, 2, "string, number, boolean or nil expected");
    }
    push_store_key(L);
    k = lua_tolstring(L, -1, &klen);
    rc = store_set(k, klen, &v, ttl);
    if (rc < 0)
        return store_fail(L, "set", rc);
    return 0;
}

/* store.get(key) -> value or nil [-1, +1, e] */
static int store_l_get(lua_State *L)
{
    struct store_value v;
    char small[256];
    size_t klen;
    const char *k;

    push_store_key(L);
    k = lua_tolstring(L, -1, &klen);
    store_get(k, klen, &v, small, sizeof(small));
    switch (v.type) {
    case STORE_NONE:
        lua_pushnil(L);
        break;
    case STORE_MARK:
        lua_pushboolean(L, 1);
        break;
    case STORE_INT:
        lua_pushinteger(L, v.i);
        break;
    case STORE_NUM:
        lua_pushnumber(L, v.n);
        break;
    case STORE_STR:
        /* Long values: fetch again into a buffer of the right size; the
        ** value may change in between, so loop until it fits. */
        while (v.type == STORE_STR && v.len > sizeof(small)) {
            char *big = lua_newuserdatauv(L, v.len, 0);
            size_t want = v.len;
            store_get(k, klen, &v, big, want);
            if (v.type == STORE_STR && v.len <= want) {
                lua_pushlstring(L, big, v.len);
                return 1;
            }
            lua_pop(L, 1);
        }
        if (v.type == STORE_STR)
            lua_pushlstring(L, v.s, v.len);
        else
            lua_pushnil(L);     /* it went away meanwhile */
        break;
    }
    return 1;
}

static const luaL_Reg store_funcs[] = {
    { "seen", store_l_seen },
    { "incr", store_l_incr },
    { "set", store_l_set },
    { "get", store_l_get },
    { NULL, NULL }
};

static const luaL_Reg api_funcs[] = {
    { "alert", api_alert },
    { "read_lines", api_read_lines },
    { NULL, NULL }
};

int luaopen_certmon(lua_State *L)
{
    if (luaL_newmetatable(L, FD_META)) {
        lua_pushcfunction(L, fd_close);
        lua_setfield(L, -2, "__close");
        lua_pushcfunction(L, fd_close);
        lua_setfield(L, -2, "__gc");
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
    }
    lua_pop(L, 1);
    luaL_newlib(L, api_funcs);
    lua_pushliteral(L, CERTMON_VERSION);
    lua_setfield(L, -2, "version");
    luaL_newlib(L, store_funcs);
    lua_setfield(L, -2, "store");
    return 1;
}
