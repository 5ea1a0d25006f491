/*
** sandbox.c: construction of rule states, their environment and limits.
**
** Layout of a state: the real global table holds nothing rules can reach.
** A template of allowed globals lives in the registry; each rule (and each
** module it requires) gets its own environment table filled from the
** template, with its own read-only proxies of the library tables, so one
** rule can neither see nor damage another's globals. The limits live in a
** struct sandbox that is also the allocator's user data.
*/
#include <ctype.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules/lua_api.h"
#include "rules/lua_modules.h"
#include "rules/lua_pattern.h"
#include "rules/mem_pool.h"
#include "rules/msg_table.h"
#include "rules/sandbox.h"

/* The count hook runs every this many instructions: often enough to stop
** a loop within microseconds of its budget, rarely enough to cost nothing
** measurable (HAProxy found 500..10000 the range that does not hurt). */
#define SB_HOOK_STEP 1000

/* Address space each state's allocator pool may carve (mem_pool.h); only
** what is used is backed by memory, and a heap larger than this goes on
** in malloc. */
#define SB_POOL_RESERVE_BYTES ((size_t)64 << 20)

/* Matching steps between two charges against the budget: the same
** granularity as the count hook. */
#define SB_PATTERN_STEP 1000

enum {
    TRIP_BUDGET = 1 << 0,
    TRIP_MEMORY = 1 << 1,
    TRIP_TIMEOUT = 1 << 2,
};

struct sandbox {
    struct mem_pool *pool;      /* where the state's blocks come from */
    size_t used;                /* bytes held by the state */
    size_t limit;               /* 0 = no cap */
    int enforce;                /* the cap applies now */
    uint64_t budget;            /* instructions per call; 0 = none */
    uint64_t instructions;      /* counted in this call, in SB_HOOK_STEPs */
    int tripped;                /* TRIP_* seen in this call */
    struct sandbox_interrupt *intr; /* NULL: no watchdog */
    uint_fast64_t call_no;      /* this call's number in intr */
    const struct sandbox_config *cfg;
};

/* Registry keys (their addresses). */
static const char template_key = 't';   /* allowed globals */
static const char proxymt_key = 'p';    /* lib name -> proxy metatable */

static struct sandbox *get_sb(lua_State *L)
{
    void *ud;

    lua_getallocf(L, &ud);
    return ud;
}

/* ===== memory ===== */

/* The lua_Alloc of every rule state. Refuses only growth past the cap,
** never a free or a shrink (Lua assumes those cannot fail). */
static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct sandbox *sb = ud;
    void *p;

    if (!ptr)
        osize = 0;      /* then osize encodes the object type */
    if (nsize == 0) {
        mem_pool_realloc(sb->pool, ptr, osize, 0);
        sb->used -= osize;
        return NULL;
    }
    if (nsize > osize && sb->enforce && sb->limit &&
        sb->used + (nsize - osize) > sb->limit) {
        sb->tripped |= TRIP_MEMORY;
        return NULL;
    }
    p = mem_pool_realloc(sb->pool, ptr, osize, nsize);
    if (!p)
        return NULL;            /* only growth fails (mem_pool.h) */
    sb->used += nsize - osize;
    return p;
}

void sandbox_enforce_memory(lua_State *L, int on)
{
    get_sb(L)->enforce = on;
}

size_t sandbox_memory_used(lua_State *L)
{
    return get_sb(L)->used;
}

/* ===== instruction budget ===== */

static void sb_hook(lua_State *L, lua_Debug *ar);

/* Raises the error of the limit that tripped. */
static int raise_tripped(lua_State *L, const struct sandbox *sb)
{
    if (sb->tripped & TRIP_TIMEOUT)
        return luaL_error(L, "call exceeded --rule-timeout");
    if (sb->tripped & TRIP_BUDGET)
        return luaL_error(L, "instruction budget exceeded");
    return luaL_error(L, "memory limit exceeded");
}

/* Counts n instructions (or matching steps) against the budget and looks
** for a stop request; raises if either says the call is over. */
static void charge(lua_State *L, struct sandbox *sb, uint64_t n,
                   const char *what)
{
    if (sb->tripped)
        raise_tripped(L, sb);
    if (sb->intr && sb->call_no &&
        atomic_load_explicit(&sb->intr->stop,
                             memory_order_relaxed) == sb->call_no) {
        sb->tripped |= TRIP_TIMEOUT;
        lua_sethook(L, sb_hook, LUA_MASKCOUNT, 1);
        luaL_error(L, "call exceeded --rule-timeout%s", what);
    }
    sb->instructions += n;
    if (sb->budget && sb->instructions > sb->budget) {
        sb->tripped |= TRIP_BUDGET;
        lua_sethook(L, sb_hook, LUA_MASKCOUNT, 1);
        luaL_error(L, "instruction budget exceeded (%I instructions)%s",
                   (lua_Integer)sb->budget, what);
    }
}

/* Count hook. Once a limit tripped it fires on every instruction and
** raises again, so a rule that catches the error with pcall gets nowhere;
** the pcall wrappers below rethrow as well. */
static void sb_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    charge(L, get_sb(L), SB_HOOK_STEP, "");
}

/* The charge function of the bounded matcher (lua_pattern.h). */
static void sb_pattern_charge(lua_State *L, uint64_t steps)
{
    charge(L, get_sb(L), steps, " in a pattern match");
}

static const struct lua_pattern_limits sb_pattern_limits = {
    .charge_steps = SB_PATTERN_STEP,
    .charge = sb_pattern_charge,
};

void sandbox_set_interrupt(lua_State *L, struct sandbox_interrupt *intr)
{
    get_sb(L)->intr = intr;
}

void sandbox_begin_call(lua_State *L)
{
    struct sandbox *sb = get_sb(L);

    sb->instructions = 0;
    sb->tripped = 0;
    sb->enforce = 1;
    if (sb->intr)
        sb->call_no = atomic_fetch_add(&sb->intr->call, 1) + 1;
}

enum sandbox_failure sandbox_end_call(lua_State *L, int status)
{
    struct sandbox *sb = get_sb(L);
    enum sandbox_failure kind = SANDBOX_OK;

    if (status != LUA_OK)
        kind = sb->tripped & TRIP_TIMEOUT ? SANDBOX_TIMEOUT
             : sb->tripped & TRIP_BUDGET ? SANDBOX_BUDGET
             : (sb->tripped & TRIP_MEMORY) || status == LUA_ERRMEM
                 ? SANDBOX_MEMORY : SANDBOX_RUNTIME;
    if (sb->tripped) {
        sb->tripped = 0;
        lua_sethook(L, sb_hook, LUA_MASKCOUNT, SB_HOOK_STEP);
    }
    return kind;
}

/* pcall(f, ...) for rules: as the standard one, but a tripped limit is
** rethrown instead of returned. [-(n), +(r), e] */
static int sb_pcall(lua_State *L)
{
    int status;

    luaL_checkany(L, 1);
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    status = lua_pcall(L, lua_gettop(L) - 2, LUA_MULTRET, 0);
    if (status != LUA_OK) {
        if (get_sb(L)->tripped)
            return lua_error(L);
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    return lua_gettop(L);
}

/* The message handler xpcall installs for rules: runs the rule's handler
** unless a limit tripped, in which case rule code must not run again (a
** handler that loops would be re-entered for every re-raised error).
** upvalue 1: the rule's handler. [-n, +1, e] */
static int guarded_msgh(lua_State *L)
{
    if (get_sb(L)->tripped) {
        lua_settop(L, 1);
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* xpcall(f, msgh, ...) for rules, with the same rethrow. */
static int sb_xpcall(lua_State *L)
{
    int n = lua_gettop(L), status;

    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, guarded_msgh, 1);
    lua_replace(L, 2);
    lua_pushboolean(L, 1);
    lua_pushvalue(L, 1);
    lua_rotate(L, 3, 2);
    status = lua_pcall(L, n - 2, LUA_MULTRET, 2);
    if (status != LUA_OK) {
        if (get_sb(L)->tripped)
            return lua_error(L);
        lua_pushboolean(L, 0);
        lua_pushvalue(L, -2);
        return 2;
    }
    return lua_gettop(L) - 2;
}

/* ===== error handling ===== */

int sandbox_traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);

    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") &&
            lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)",
                                  luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* Raises "<where>: what 'key'" pointing at the Lua line that did it. */
static int raise_named(lua_State *L, const char *what, int key_idx)
{
    luaL_where(L, 1);   /* level 1: the Lua code that touched it */
    lua_pushfstring(L, "%s '%s'", what, luaL_tolstring(L, key_idx, NULL));
    lua_remove(L, -2);
    lua_concat(L, 2);
    return lua_error(L);
}

/* __index of rule environments: an unknown global is a typo. */
static int strict_index(lua_State *L)
{
    return raise_named(L, "undefined global", 2);
}

/* __newindex of locked environments. */
static int strict_newindex(lua_State *L)
{
    return raise_named(L, "assignment to undeclared global", 2);
}

/* __newindex of library proxies. */
static int readonly_newindex(lua_State *L)
{
    return raise_named(L, "attempt to modify read-only field", 2);
}

/* ===== replaced functions ===== */

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

/* collectgarbage("count") only: rules may watch their memory, not stop
** the collector. [-(0|1), +1, e] */
static int rule_collectgarbage(lua_State *L)
{
    const char *opt = luaL_optstring(L, 1, "collect");

    if (strcmp(opt, "count") != 0)
        return luaL_error(L, "collectgarbage('%s') is not allowed in rules",
                          opt);
    lua_pushnumber(L, lua_gc(L, LUA_GCCOUNT, 0) +
                      lua_gc(L, LUA_GCCOUNTB, 0) / 1024.0);
    return 1;
}

/* setmetatable(t, mt) for rules: the standard one, except that a
** metatable with a __gc field is refused. Lua 5.4 runs finalizers with
** hooks off, at whatever moment the collector picks: inside another
** rule's call (with that rule's context), while the core decodes a
** message, or in lua_close at exit. No budget, timeout or context can
** hold there, so rules get no finalizers at all. Only the field at the
** time of the call matters: Lua marks an object for finalization only
** then, so adding __gc to the metatable later has no effect.
** [-2, +1, e] */
static int rule_setmetatable(lua_State *L)
{
    int t = lua_type(L, 2);

    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (t == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "setmetatable: __gc metamethods (finalizers)"
                              " are not allowed in rules");
        lua_pop(L, 1);
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* getmetatable(v) for rules: the standard one for tables and strings;
** nil for userdata, whose metatables belong to the C modules (writing a
** __gc or __index into one would run rule code where no limit holds).
** [-1, +1, -] */
static int rule_getmetatable(lua_State *L)
{
    luaL_checkany(L, 1);
    if (lua_type(L, 1) == LUA_TUSERDATA || !lua_getmetatable(L, 1)) {
        lua_pushnil(L);
        return 1;
    }
    luaL_getmetafield(L, 1, "__metatable");
    return 1;       /* the __metatable field if any, else the metatable */
}

/* load(s [, name [, mode [, env]]]) for rules: text chunks only, and the
** default environment is the caller's own, never the real globals.
** upvalue 1: the rule's environment. [-(1..4), +(1|2), e] */
static int rule_load(lua_State *L)
{
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    const char *name = luaL_optstring(L, 2, "=(load)");
    int has_env = lua_gettop(L) >= 4;

    if (!s)
        return luaL_error(L, "load: only text chunks (strings) are allowed "
                          "in rules");
    if (luaL_loadbufferx(L, s, len, name, "t") != LUA_OK) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;
    }
    if (has_env)
        lua_pushvalue(L, 4);
    else
        lua_pushvalue(L, lua_upvalueindex(1));
    if (!lua_setupvalue(L, -2, 1))
        lua_pop(L, 1);
    return 1;
}

/* ===== require ===== */

static void push_env(lua_State *L, int loaded_idx);

/* Is name a plausible module name (letters, digits, _ - and inner dots)?
** Keeps require inside its folders: no "/", no "..". */
static int valid_module_name(const char *name)
{
    if (!*name || *name == '.')
        return 0;
    for (const char *p = name; *p; p++) {
        if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-' ||
              *p == '.'))
            return 0;
        if (p[0] == '.' && (p[1] == '.' || p[1] == '\0'))
            return 0;
    }
    return 1;
}

/* Pushes the path of the first readable candidate for module name, or
** returns 0 with the list of tried paths pushed instead. [-0, +1, m] */
static int find_module(lua_State *L, const struct sandbox_config *cfg,
                       const char *name)
{
    luaL_Buffer tried;
    char rel[512], path[4096];
    size_t i;

    snprintf(rel, sizeof(rel), "%s", name);
    for (i = 0; rel[i]; i++)
        if (rel[i] == '.')
            rel[i] = '/';
    luaL_buffinit(L, &tried);
    for (i = 0; i < 2 + cfg->n_rule_dirs; i++) {
        if (i == 0)
            snprintf(path, sizeof(path), "%s/%s.lua", cfg->lua_dir, rel);
        else if (i == 1)
            snprintf(path, sizeof(path), "%s/%s/init.lua", cfg->lua_dir, rel);
        else
            snprintf(path, sizeof(path), "%s/%s.lua", cfg->rule_dirs[i - 2],
                     rel);
        if (access(path, R_OK) == 0) {
            luaL_pushresult(&tried);
            lua_pop(L, 1);
            lua_pushstring(L, path);
            return 1;
        }
        /* one line: error reports keep only the first line */
        luaL_addstring(&tried, i ? ", '" : " looked for '");
        luaL_addstring(&tried, path);
        luaL_addstring(&tried, "'");
    }
    luaL_pushresult(&tried);
    return 0;
}

/* require(name) for rules: the rule's own cache, then the C modules built
** into certmon, then Lua files (as text) from lua/ and the rule folders,
** each run in an environment of its own.
** upvalue 1: the per-rule table of loaded modules. [-1, +1, e] */
static int rule_require(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    struct sandbox *sb = get_sb(L);
    int loaded = lua_upvalueindex(1);

    lua_settop(L, 1);
    if (lua_getfield(L, loaded, name) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    if (!valid_module_name(name))
        return luaL_error(L, "module '%s' not found: invalid name", name);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    if (lua_getfield(L, -1, name) == LUA_TFUNCTION) {
        lua_pushvalue(L, 1);
        lua_call(L, 1, 1);
    } else {
        lua_pop(L, 2);
        if (!find_module(L, sb->cfg, name))
            return luaL_error(L, "module '%s' not found:%s", name,
                              lua_tostring(L, -1));
        if (luaL_loadfilex(L, lua_tostring(L, -1), "t") != LUA_OK)
            return lua_error(L);
        push_env(L, loaded);
        lua_pushvalue(L, -1);
        lua_insert(L, -3);      /* path env chunk env */
        lua_setupvalue(L, -2, 1);
        lua_pushvalue(L, 1);
        lua_pushvalue(L, 2);
        lua_call(L, 2, 1);      /* path env result */
        sandbox_lock_env(L, 3);
    }
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, loaded, name);
    return 1;
}

/* ===== environments ===== */

/* Pushes a new environment sharing the module cache at loaded_idx (a new
** cache if loaded_idx is 0). [-0, +1, m] */
static void push_env(lua_State *L, int loaded_idx)
{
    struct sandbox *sb = get_sb(L);
    int env;

    loaded_idx = loaded_idx ? lua_absindex(L, loaded_idx) : 0;
    lua_newtable(L);
    env = lua_gettop(L);
    if (sb->cfg->unsafe) {
        lua_createtable(L, 0, 1);
        lua_pushglobaltable(L);
        lua_setfield(L, -2, "__index");
        lua_setmetatable(L, env);
        return;
    }
    lua_rawgetp(L, LUA_REGISTRYINDEX, &template_key);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &proxymt_key);
    lua_pushnil(L);
    while (lua_next(L, -3)) {           /* env tmpl pmt k v */
        if (lua_istable(L, -1)) {       /* a library: give a proxy */
            lua_pop(L, 1);
            lua_newtable(L);
            lua_pushvalue(L, -2);
            lua_rawget(L, -4);          /* its proxy metatable */
            lua_setmetatable(L, -2);
        }
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, env);
    }
    lua_pop(L, 2);
    lua_pushvalue(L, env);
    lua_setfield(L, env, "_G");
    if (loaded_idx)
        lua_pushvalue(L, loaded_idx);
    else
        lua_newtable(L);
    lua_pushcclosure(L, rule_require, 1);
    lua_setfield(L, env, "require");
    lua_pushvalue(L, env);
    lua_pushcclosure(L, rule_load, 1);
    lua_setfield(L, env, "load");
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, strict_index);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, env);
}

void sandbox_push_rule_env(lua_State *L)
{
    push_env(L, 0);
}

void sandbox_lock_env(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (get_sb(L)->cfg->unsafe || !lua_istable(L, idx))
        return;
    /* __metatable hides the metatable from rules, not from C. */
    if (!lua_getmetatable(L, idx))
        return;
    lua_pushcfunction(L, strict_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pop(L, 1);
}

/* Copies names from the library table at idx into a new table. */
static void copy_fields(lua_State *L, int idx, const char *const *names)
{
    idx = lua_absindex(L, idx);
    lua_newtable(L);
    for (; *names; names++) {
        lua_getfield(L, idx, *names);
        lua_setfield(L, -2, *names);
    }
}

static const char *const base_names[] = {
    "assert", "error", "ipairs", "next", "pairs", "rawequal", "rawget",
    "rawlen", "rawset", "select", "tonumber", "tostring", "type",
    "_VERSION", NULL
};

static const char *const os_names[] = {
    "time", "date", "clock", "getenv", NULL
};

static const luaL_Reg replaced[] = {
    { "print", rule_print },
    { "pcall", sb_pcall },
    { "xpcall", sb_xpcall },
    { "collectgarbage", rule_collectgarbage },
    { "setmetatable", rule_setmetatable },
    { "getmetatable", rule_getmetatable },
    { NULL, NULL }
};

/* Builds the template of allowed globals and the library proxies.
** [-0, +0, e] */
static void build_template(lua_State *L)
{
    static const char *const libs[] = { "string", "table", "math", "utf8",
                                        NULL };
    int tmpl, pmt;

    lua_pushglobaltable(L);
    copy_fields(L, -1, base_names);
    tmpl = lua_gettop(L);
    luaL_setfuncs(L, replaced, 0);
    lua_newtable(L);
    pmt = lua_gettop(L);
    for (int i = 0; libs[i]; i++) {
        lua_getglobal(L, libs[i]);
        if (strcmp(libs[i], "string") == 0) {
            /* a copy without dump: bytecode has no place in rules */
            lua_pushnil(L);
            lua_setfield(L, -2, "dump");
        }
        lua_setfield(L, tmpl, libs[i]);
    }
    lua_getglobal(L, "os");
    copy_fields(L, -1, os_names);
    lua_setfield(L, tmpl, "os");
    lua_pop(L, 1);
    /* one proxy metatable per library, shared by every rule's proxy */
    lua_pushnil(L);
    while (lua_next(L, tmpl)) {
        if (lua_istable(L, -1)) {
            lua_createtable(L, 0, 3);
            lua_insert(L, -2);
            lua_setfield(L, -2, "__index");
            lua_pushcfunction(L, readonly_newindex);
            lua_setfield(L, -2, "__newindex");
            lua_pushboolean(L, 0);
            lua_setfield(L, -2, "__metatable");
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, pmt);
        } else {
            lua_pop(L, 1);
        }
    }
    lua_rawsetp(L, LUA_REGISTRYINDEX, &proxymt_key);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &template_key);
    /* getmetatable("") must not hand out the real string library */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 3);      /* metatable, "", real _G */
}

/* Sets package.path to the lua/ folder and the rule folders (used by the
** standard require in --unsafe mode). [-0, +0, m] */
static void set_unsafe_paths(lua_State *L, const struct sandbox_config *cfg)
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
    lua_pop(L, 1);
}

/* [-0, +0, e] */
static int setup_state(lua_State *L)
{
    struct sandbox *sb = get_sb(L);

    luaL_openlibs(L);
    /* bounded matchers in the string library itself, so that method
    ** calls (s:find) and modules get them too */
    lua_getglobal(L, "string");
    lua_pattern_install(L, -1, &sb_pattern_limits);
    lua_pop(L, 1);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_certmon);
    lua_setfield(L, -2, "certmon");
    lua_pop(L, 1);
    lua_modules_preload(L);
    if (sb->cfg->unsafe) {
        lua_pushcfunction(L, rule_print);
        lua_setglobal(L, "print");
        set_unsafe_paths(L, sb->cfg);
    } else {
        build_template(L);
    }
    /* Generational GC suits the message pattern: a large young table per
    ** message that dies at once, and long-lived rule state. */
    lua_gc(L, LUA_GCGEN, 0, 0);
    return 0;
}

lua_State *sandbox_new_state(const struct sandbox_config *cfg,
                             char *err, size_t errlen)
{
    struct sandbox *sb = calloc(1, sizeof(*sb));
    lua_State *L;

    if (!sb) {
        snprintf(err, errlen, "cannot create a Lua state: out of memory");
        return NULL;
    }
    sb->cfg = cfg;
    sb->limit = cfg->memory_bytes;
    sb->budget = cfg->budget_instructions;
    sb->pool = mem_pool_new(SB_POOL_RESERVE_BYTES);
    L = sb->pool ? lua_newstate(sb_alloc, sb) : NULL;
    if (!L) {
        mem_pool_free(sb->pool);
        free(sb);
        snprintf(err, errlen, "cannot create a Lua state: out of memory");
        return NULL;
    }
    lua_api_set_ctx(L, NULL);
    lua_pushcfunction(L, setup_state);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        snprintf(err, errlen, "setting up a Lua state: %s",
                 lua_tostring(L, -1));
        sandbox_close(L);
        return NULL;
    }
    if (msg_table_init(L, err, errlen) < 0) {
        sandbox_close(L);
        return NULL;
    }
    lua_sethook(L, sb_hook, LUA_MASKCOUNT, SB_HOOK_STEP);
    return L;
}

void sandbox_close(lua_State *L)
{
    struct sandbox *sb;

    if (!L)
        return;
    sb = get_sb(L);
    lua_close(L);
    mem_pool_free(sb->pool);
    free(sb);
}
