/*
** test_lua_pattern.c: the bounded matcher gives the standard library's
** results and errors, and its charge function stops a backtracking
** pattern that the standard one would run for hours.
*/
#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "rules/lua_pattern.h"

static unsigned long long charged, charge_limit;

/* Raises once more than charge_limit steps were charged (0 = never). */
static void test_charge(lua_State *L, uint64_t steps)
{
    charged += steps;
    if (charge_limit && charged > charge_limit)
        luaL_error(L, "test budget exceeded after %d steps", (int)charged);
}

static const struct lua_pattern_limits limits = {
    .charge_steps = 100,
    .charge = test_charge,
};

/* Every case runs through both the standard function (std) and the
** bounded one (bnd); the results, or the error messages, must be equal.
** Prints "ok"/"not ok" lines itself. */
static const char differential[] =
"local std, bnd = ...\n"
"local function pack(ok, ...) return { ok = ok, n = select('#', ...), ... } end\n"
"local function norm(e) return (tostring(e):gsub('^.-: ', ''):gsub(\"to '[^']*'\", 'to F')) end\n"
"local function same(a, b)\n"
"  if a.ok ~= b.ok or a.n ~= b.n then return false end\n"
"  for i = 1, a.n do\n"
"    local x, y = a[i], b[i]\n"
"    if not a.ok then x = norm(x); y = norm(y) end\n"
"    if x ~= y or math.type(x) ~= math.type(y) then return false end\n"
"  end\n"
"  return true\n"
"end\n"
"local function show(r) local t = {} for i = 1, r.n do t[i] = tostring(r[i]) end\n"
"  return (r.ok and 'ok ' or 'err ') .. table.concat(t, ',') end\n"
"local function gm(lib, s, p, init)\n"
"  local out = {} for a, b in lib.gmatch(s, p, init) do\n"
"    out[#out + 1] = tostring(a) .. '|' .. tostring(b) end\n"
"  return table.concat(out, ';')\n"
"end\n"
"local cases = {\n"
"  {'find', 'hello world', 'o w'}, {'find', 'hello', 'l+'},\n"
"  {'find', 'hello', 'l', 1, true}, {'find', 'a.b', '.', 1, true},\n"
"  {'find', 'abc', 'b', -1}, {'find', 'abc', 'b', -10}, {'find', 'abc', '', 10},\n"
"  {'find', 'abc', '', 4}, {'find', '', ''}, {'find', 'a\\0b', '\\0'},\n"
"  {'find', 'a\\0b', '%z'}, {'find', 'x=1, y=22', '(%w+)=(%d+)', 5},\n"
"  {'find', 'aaab', 'a-b'}, {'find', 'aaa', '^a?a?a?a$'}, {'find', 'abc', '^b'},\n"
"  {'match', 'key = value', '(%w+)%s*=%s*(%w+)'}, {'match', 'hello', '()ll()'},\n"
"  {'match', 'THE (quick) fox', '%((%a+)%)'}, {'match', 'f(a(b)c)d', '%b()'},\n"
"  {'match', 'THE (quick) fox', '%f[%a]%a+%f[%A]', 5}, {'match', 'abcabc', '(abc)%1'},\n"
"  {'match', '[x]', '[%]]'}, {'match', 'a-z', '[a%-z]+'}, {'match', 'Az9_', '[^%W_]+'},\n"
"  {'match', ' \\t\\n', '^%s*$'}, {'match', 'x.y', '[.]'}, {'match', 'aXb', '%u'},\n"
"  {'match', '0x1F', '^0[xX](%x+)$'}, {'match', 'a,b', '%p'}, {'match', '\\1', '%c'},\n"
"  {'match', 'www.example.com', '^(.-)%.(.*)$'}, {'match', 'abc', '.-$'},\n"
"  {'match', 'abc', '((a)(b))c'}, {'match', 'abc', 'a*?'}, {'match', 'abc', '[]'},\n"
"  {'match', 'abc', '[a'}, {'match', 'abc', '%'}, {'match', 'abc', '(()'},\n"
"  {'match', 'abc', 'a)'}, {'match', 'abc', '%1'}, {'match', 'abc', '%f'},\n"
"  {'match', 'abc', '%b'}, {'match', 'abc', ('(a)'):rep(33)},\n"
"  {'match', ('a'):rep(300), ('a?'):rep(300) .. ('a'):rep(300)},\n"
"  {'gsub', 'hello world', 'o', '0'}, {'gsub', 'hello world', '(o)', '[%1%1]', 1},\n"
"  {'gsub', 'abc', '%w', '%0%0'}, {'gsub', 'abc', '', '-'}, {'gsub', 'abc', '^', '>'},\n"
"  {'gsub', 'abc', 'b*', 'X'}, {'gsub', 'abc', '()', '%1'}, {'gsub', 'abc', 'b', '%2'},\n"
"  {'gsub', 'abc', 'b', '%x'}, {'gsub', 'abc', 'b', '%%'}, {'gsub', 'abc', 'b', 5},\n"
"  {'gsub', 'a b c', '%w', {a = 'A', b = false}}, {'gsub', 'a b', '%w', {a = {}}},\n"
"  {'gsub', 'a b c', '%w', string.upper}, {'gsub', 'abc', '.', function() end},\n"
"  {'gsub', 'abc', '.', true}, {'gsub', 'abc', '.', 'x', 0}, {'gsub', 'abc', '.', 'x', -1},\n"
"  {'gsub', 'x = 1', '(%w+) = (%w+)', '%2 = %1'}, {'gsub', 'a.b.c', '%.', '/'},\n"
"}\n"
"for i, c in ipairs(cases) do\n"
"  local f = c[1]\n"
"  local a = pack(pcall(std[f], table.unpack(c, 2, 6)))\n"
"  local b = pack(pcall(bnd[f], table.unpack(c, 2, 6)))\n"
"  print((same(a, b) and 'ok' or 'not ok') .. ' - case ' .. i .. ' ' .. f .. ' ' ..\n"
"        string.format('%q', tostring(c[3])):sub(1, 40) .. '  std ' .. show(a) .. '  bnd ' .. show(b))\n"
"end\n"
"local gcases = { {'hello world from Lua', '%a+'}, {'k=v, a=b', '(%w+)=(%w+)'},\n"
"  {'abc', ''}, {'abc', '()'}, {'a,b,,c', '([^,]*)'}, {'hello', 'l', 4},\n"
"  {'hello', '^h'}, {'abc', 'x*'}, {'abc', '.', -1}, {'abc', '.', 10} }\n"
"for i, c in ipairs(gcases) do\n"
"  local a, b = gm(std, table.unpack(c)), gm(bnd, table.unpack(c))\n"
"  print((a == b and 'ok' or 'not ok') .. ' - gmatch ' .. i .. ' std ' .. a .. ' bnd ' .. b)\n"
"end\n";

static int run(lua_State *L, const char *code, int nargs)
{
    int base = lua_gettop(L) - nargs;

    if (luaL_loadstring(L, code) != LUA_OK) {
        printf("# %s\n", lua_tostring(L, -1));
        lua_settop(L, base);
        return -1;
    }
    lua_insert(L, base + 1);
    if (lua_pcall(L, nargs, 0, 0) != LUA_OK) {
        printf("# %s\n", lua_tostring(L, -1));
        lua_settop(L, base);
        return -1;
    }
    return 0;
}

int main(void)
{
    lua_State *L = luaL_newstate();

    alarm(120);     /* a hang regression fails instead of stalling */
    luaL_openlibs(L);
    /* bnd: a copy of string with the bounded functions installed */
    lua_newtable(L);
    lua_getglobal(L, "string");
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_settable(L, -5);
    }
    lua_pop(L, 1);
    lua_pattern_install(L, -1, &limits);
    lua_setglobal(L, "bnd");

    lua_getglobal(L, "string");
    lua_getglobal(L, "bnd");
    CHECK(run(L, differential, 2) == 0);

    /* the issue 17 reproducer: stopped by the charge, not by waiting */
    charged = 0;
    charge_limit = 10000000;
    lua_getglobal(L, "bnd");
    CHECK(run(L, "local bnd = ... local ok, err = pcall(bnd.find, "
                 "('a'):rep(40), ('a*'):rep(12) .. 'b') "
                 "assert(not ok and err:find('test budget exceeded'), err)",
              1) == 0);
    CHECK(charged > charge_limit && charged < charge_limit + 1000);
    charged = 0;
    lua_getglobal(L, "bnd");
    CHECK(run(L, "local bnd = ... local s = ('a'):rep(30) "
                 "for _, f in ipairs{'match', 'gmatch', 'gsub'} do "
                 "  local ok, err = pcall(function() "
                 "    local r = bnd[f](s, ('a*'):rep(10) .. 'b', f == 'gsub' and '' or nil) "
                 "    if f == 'gmatch' then r() end end) "
                 "  assert(not ok and err:find('test budget'), f) end", 1) == 0);
    /* ordinary work is charged too, a little */
    charged = 0;
    charge_limit = 0;
    lua_getglobal(L, "bnd");
    CHECK(run(L, "local bnd = ... assert(bnd.find(('x'):rep(1000) .. 'y', "
                 "'x*y') == 1)", 1) == 0);
    CHECK(charged >= 1000 - limits.charge_steps);
    /* a plain find is linear: no charge, and a long needle is fast */
    charged = 0;
    lua_getglobal(L, "bnd");
    CHECK(run(L, "local bnd = ... local s = ('a'):rep(1000000) "
                 "assert(bnd.find(s, ('a'):rep(500000) .. 'b', 1, true) "
                 "== nil)", 1) == 0);
    CHECK(charged == 0);
    CHECK(lua_gettop(L) == 0);
    lua_close(L);
    return check_done();
}
