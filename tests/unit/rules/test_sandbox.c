/*
** test_sandbox.c: escapes that must fail, limits that must hold, and a
** state that stays usable after each of them.
*/
#include <lauxlib.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "rules/sandbox.h"

static const char *const rule_dirs[] = { "tests/fixtures/rules" };
static struct sandbox_config cfg = {
    .lua_dir = "lua",
    .rule_dirs = rule_dirs,
    .n_rule_dirs = 1,
    .budget_instructions = 2000000,
    .memory_bytes = 64u << 20,
};

static lua_State *L;
static char last_error[2048];

/* Runs code as a rule chunk would run: in a fresh rule environment, as
** text, under the limits; the environment is locked afterwards and left
** in the global `ENV` slot of the registry for later calls. */
static enum sandbox_failure run_in(int env_ref, const char *code)
{
    int base = lua_gettop(L), status;
    enum sandbox_failure kind;

    last_error[0] = '\0';
    lua_pushcfunction(L, sandbox_traceback);
    if (luaL_loadbufferx(L, code, strlen(code), "=test", "t") != LUA_OK) {
        snprintf(last_error, sizeof(last_error), "%s", lua_tostring(L, -1));
        lua_settop(L, base);
        return SANDBOX_RUNTIME;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, env_ref);
    lua_setupvalue(L, -2, 1);
    sandbox_begin_call(L);
    status = lua_pcall(L, 0, 0, base + 1);
    kind = sandbox_end_call(L, status);
    if (status != LUA_OK)
        snprintf(last_error, sizeof(last_error), "%s", lua_tostring(L, -1));
    lua_settop(L, base);
    return kind;
}

static int new_env(int locked)
{
    sandbox_push_rule_env(L);
    if (locked)
        sandbox_lock_env(L, -1);
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

#define FAILS(env, code, kind_, substr) do { \
    enum sandbox_failure k_ = run_in(env, code); \
    int ok_ = k_ == (kind_) && strstr(last_error, substr) != NULL; \
    if (!check_report(ok_, __FILE__, __LINE__, code)) \
        printf("#   kind %d, error: %.300s\n", k_, last_error); \
} while (0)

#define RUNS(env, code) do { \
    enum sandbox_failure k_ = run_in(env, code); \
    if (!check_report(k_ == SANDBOX_OK, __FILE__, __LINE__, code)) \
        printf("#   error: %.300s\n", last_error); \
} while (0)

static void test_escapes(void)
{
    int e = new_env(1);

    FAILS(e, "return io.open('/etc/passwd')", SANDBOX_RUNTIME,
          "undefined global 'io'");
    FAILS(e, "os.execute('true')", SANDBOX_RUNTIME, "execute");
    FAILS(e, "os.exit(1)", SANDBOX_RUNTIME, "exit");
    FAILS(e, "os.remove('/tmp/x')", SANDBOX_RUNTIME, "remove");
    FAILS(e, "debug.sethook()", SANDBOX_RUNTIME, "undefined global 'debug'");
    FAILS(e, "return dofile('/etc/passwd')", SANDBOX_RUNTIME,
          "undefined global 'dofile'");
    FAILS(e, "return loadfile('/etc/passwd')", SANDBOX_RUNTIME,
          "undefined global 'loadfile'");
    FAILS(e, "return package.loadlib('x', 'y')", SANDBOX_RUNTIME,
          "undefined global 'package'");
    /* bytecode: no string.dump, and load refuses binary chunks */
    FAILS(e, "return string.dump(print)", SANDBOX_RUNTIME, "dump");
    FAILS(e, "local f, err = load('\\27Lua\\84\\0') assert(f, err)",
          SANDBOX_RUNTIME, "binary chunk");
    /* require: no C modules from disk, no standard libraries back */
    FAILS(e, "require 'io'", SANDBOX_RUNTIME, "module 'io' not found");
    FAILS(e, "require 'os'", SANDBOX_RUNTIME, "module 'os' not found");
    FAILS(e, "require 'debug'", SANDBOX_RUNTIME, "module 'debug' not found");
    FAILS(e, "require 'cjson'", SANDBOX_RUNTIME, "module 'cjson' not found");
    FAILS(e, "require '../../etc/passwd'", SANDBOX_RUNTIME, "invalid name");
    /* metatable tricks */
    FAILS(e, "setmetatable(_G, {})", SANDBOX_RUNTIME, "protected metatable");
    FAILS(e, "local mt = getmetatable(_G) mt.__index = {}", SANDBOX_RUNTIME,
          "attempt to index");
    FAILS(e, "getmetatable('').__index.upper = nil", SANDBOX_RUNTIME,
          "attempt to index");
    FAILS(e, "string.upper = nil", SANDBOX_RUNTIME,
          "attempt to modify read-only field 'upper'");
    FAILS(e, "setmetatable(string, nil)", SANDBOX_RUNTIME,
          "protected metatable");
    FAILS(e, "collectgarbage('stop')", SANDBOX_RUNTIME, "not allowed");
    RUNS(e, "assert(collectgarbage('count') > 0)");
    RUNS(e, "assert(os.time() > 0 and os.date('%Y') and os.clock() >= 0)");
    RUNS(e, "assert(load('return 1 + 1')() == 2)");
    RUNS(e, "assert(('abc'):upper() == 'ABC' and utf8.char(1072))");
    RUNS(e, "assert(require('certmon').version)");
}

static void test_rules_isolated(void)
{
    int a = new_env(1), b = new_env(1);

    /* rawset on a rule's own proxy does not reach another rule */
    RUNS(a, "rawset(string, 'upper', function() return 'evil' end)");
    RUNS(b, "assert(string.upper('x') == 'X')");
    RUNS(b, "assert(('x'):upper() == 'X')");
    /* each rule has its own globals */
    RUNS(a, "rawset(_G, 'shared', 1)");
    FAILS(b, "return shared", SANDBOX_RUNTIME, "undefined global 'shared'");
}

static void test_strict_globals(void)
{
    int e = new_env(0);

    RUNS(e, "counter = 0  function bump() counter = counter + 1 end");
    sandbox_lock_env(L, 0 - 0 + lua_gettop(L) + 1);   /* no-op: not a table */
    lua_rawgeti(L, LUA_REGISTRYINDEX, e);
    sandbox_lock_env(L, -1);
    lua_pop(L, 1);
    RUNS(e, "bump() bump() assert(counter == 2)");
    FAILS(e, "countr = counter + 1", SANDBOX_RUNTIME,
          "assignment to undeclared global 'countr'");
    FAILS(e, "local x = cuonter", SANDBOX_RUNTIME,
          "test:1: undefined global 'cuonter'");
}

static void test_budget(void)
{
    int e = new_env(1);

    FAILS(e, "while true do end", SANDBOX_BUDGET, "instruction budget");
    /* a pcall inside the rule cannot swallow it */
    FAILS(e, "pcall(function() while true do end end) ok = true",
          SANDBOX_BUDGET, "instruction budget");
    FAILS(e, "while true do pcall(function() while true do end end) end",
          SANDBOX_BUDGET, "instruction budget");
    FAILS(e, "xpcall(function() while true do end end, function() "
             "while true do end end)", SANDBOX_BUDGET, "instruction budget");
    FAILS(e, "local ok = pcall(error, 'x') while true do end",
          SANDBOX_BUDGET, "instruction budget");
    /* the budget is per call: the next call runs normally */
    RUNS(e, "local n = 0 for i = 1, 1000 do n = n + i end assert(n == 500500)");
    /* ordinary pcall still works */
    RUNS(e, "local ok, err = pcall(error, 'boom') "
            "assert(not ok and err:find('boom'))");
}

static void test_memory(void)
{
    int e = new_env(1);

    FAILS(e, "local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(1000) .. i end",
          SANDBOX_MEMORY, "");
    CHECK(sandbox_memory_used(L) <= cfg.memory_bytes);
    lua_gc(L, LUA_GCCOLLECT, 0);
    CHECK(sandbox_memory_used(L) < cfg.memory_bytes / 2);
    FAILS(e, "pcall(function() local t = {} for i = 1, 1e9 do "
             "t[i] = ('y'):rep(1000) .. i end end) survived = true",
          SANDBOX_MEMORY, "");
    lua_gc(L, LUA_GCCOLLECT, 0);
    FAILS(e, "local s = ('x'):rep(1e9)", SANDBOX_MEMORY, "");
    RUNS(e, "local t = {} for i = 1, 1000 do t[i] = i end assert(#t == 1000)");
    FAILS(e, "local function f(n) return f(n + 1) + 1 end f(1)",
          SANDBOX_RUNTIME, "stack overflow");
    RUNS(e, "assert(true)");
}

static void test_error_objects(void)
{
    int e = new_env(1);

    FAILS(e, "error(setmetatable({}, {__tostring = function() "
             "return 'custom object' end}))", SANDBOX_RUNTIME,
          "custom object");
    FAILS(e, "error({})", SANDBOX_RUNTIME, "error object is a table value");
    FAILS(e, "error('with trace')", SANDBOX_RUNTIME, "stack traceback");
}

/* Backtracking inside one C call (issue 17 item 2): the matcher's steps
** count against the budget, which a pcall cannot swallow. */
static void test_patterns(void)
{
    int e = new_env(1);

    FAILS(e, "local r = ('a'):rep(40):find(('a*'):rep(12) .. 'b')",
          SANDBOX_BUDGET, "instruction budget exceeded");
    FAILS(e, "local s = ('a'):rep(30) "
             "pcall(string.match, s, ('a*'):rep(10) .. 'b') ok = true",
          SANDBOX_BUDGET, "in a pattern match");
    FAILS(e, "for w in (('a'):rep(30)):gmatch(('a*'):rep(10) .. 'b') do end",
          SANDBOX_BUDGET, "in a pattern match");
    FAILS(e, "string.gsub(('a'):rep(30), ('a*'):rep(10) .. 'b', '')",
          SANDBOX_BUDGET, "in a pattern match");
    /* the next call starts with a full budget */
    RUNS(e, "assert(('www.example.com'):match('^(.-)%.') == 'www' and "
            "select(2, ('a.b.c'):gsub('%.', '/')) == 2 and "
            "('x'):find('x', 1, true) == 1)");
}

/* Finalizers run with hooks off (issue 17 items 1 and 11): rules get
** none, and what __close does stays under the budget. */
static void test_finalizers(void)
{
    int e = new_env(1);

    FAILS(e, "setmetatable({}, {__gc = function() while true do end end})",
          SANDBOX_RUNTIME, "__gc metamethods (finalizers) are not allowed");
    FAILS(e, "setmetatable({}, {__gc = false})", SANDBOX_RUNTIME,
          "not allowed");
    FAILS(e, "pcall(setmetatable, {}, {__gc = print}) "
             "setmetatable({}, {__gc = print})", SANDBOX_RUNTIME,
          "not allowed");
    /* a __gc added to the metatable later does not mark the object */
    RUNS(e, "local mt = {} local keep = setmetatable({}, mt) "
            "mt.__gc = function() while true do end end keep = nil "
            "for i = 1, 20000 do local t = {i} end");
    lua_gc(L, LUA_GCCOLLECT, 0);        /* must return */
    CHECK(lua_gc(L, LUA_GCCOLLECT, 0) == 0);
    RUNS(e, "local mt = {__index = {x = 1}} "
            "assert(setmetatable({}, mt).x == 1 and "
            "getmetatable(setmetatable({}, mt)) == mt)");
    RUNS(e, "assert(getmetatable(setmetatable({}, {__metatable = 'no'})) "
            "== 'no')");
    /* __close runs with hooks on: a looping one trips the budget, also
    ** while an error unwinds */
    FAILS(e, "do local x <close> = setmetatable({}, {__close = function() "
             "while true do end end}) end", SANDBOX_BUDGET,
          "instruction budget");
    FAILS(e, "local x <close> = setmetatable({}, {__close = function() "
             "while true do end end}) error('first')", SANDBOX_BUDGET,
          "instruction budget");
    RUNS(e, "local closed do local x <close> = setmetatable({}, "
            "{__close = function() closed = true end}) end assert(closed)");
    /* userdata metatables belong to C: a rule cannot reach them */
    {
        int top = lua_gettop(L);
        lua_rawgeti(L, LUA_REGISTRYINDEX, e);
        lua_pushliteral(L, "some_ud");
        lua_newuserdatauv(L, 1, 0);
        lua_createtable(L, 0, 1);
        lua_pushcfunction(L, sandbox_traceback);
        lua_setfield(L, -2, "__gc");
        lua_setmetatable(L, -2);
        lua_rawset(L, -3);      /* the environment is locked */
        lua_settop(L, top);
    }
    RUNS(e, "assert(getmetatable(some_ud) == nil)");
    FAILS(e, "getmetatable(some_ud).__gc = function() end", SANDBOX_RUNTIME,
          "index a nil value");
    FAILS(e, "setmetatable(some_ud, {})", SANDBOX_RUNTIME, "table expected");
}

int main(void)
{
    char err[256];
    int top;

    alarm(120);     /* a hang regression fails instead of stalling */
    L = sandbox_new_state(&cfg, err, sizeof(err));
    CHECK(L != NULL);
    if (!L) {
        printf("# %s\n", err);
        return check_done();
    }
    top = lua_gettop(L);
    test_escapes();
    test_rules_isolated();
    test_strict_globals();
    test_budget();
    test_memory();
    test_error_objects();
    test_finalizers();
    test_patterns();
    CHECK(lua_gettop(L) == top);
    sandbox_close(L);
    return check_done();
}
