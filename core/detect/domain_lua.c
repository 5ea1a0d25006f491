/*
** domain_lua.c: Lua bindings for the domain helpers (certmon.domain_c).
**
** Every function takes and returns plain strings, numbers and tables; the
** keyword automaton is a full userdata freed by __gc. No function keeps a
** pointer into a Lua string after it returns.
**
** Rules reach this module (require "certmon.domain_c"), so it holds only
** functions of their arguments: nothing here changes process-wide state.
** Loading another public suffix list (domain_psl_load) was one; it swapped
** the list under every rule, leaked the old one each call and read any
** file, so it is not bound: a different list is the operator's choice,
** made once at start, never a rule's.
*/
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "detect/domain.h"
#include "detect/domain_lua.h"

#define KW_META "certmon.domain.keywords"

/* normalise(s) -> name, wildcard, problem|nil   [-1, +3, m] */
static int l_normalise(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    char err[96] = "";
    int flags;
    luaL_Buffer b;
    char *out = luaL_buffinitsize(L, &b, len + 1);
    int n = domain_normalise(s, len, out, len + 1, &flags, err, sizeof err);
    luaL_pushresultsize(&b, n < 0 ? 0 : (size_t)n);
    lua_pushboolean(L, flags & DOMAIN_WILDCARD);
    if (flags & DOMAIN_BAD)
        lua_pushstring(L, err);
    else
        lua_pushnil(L);
    return 3;
}

/* to_unicode(s) -> unicode, bad_punycode   [-1, +2, m] */
static int l_to_unicode(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    int bad;
    luaL_Buffer b;
    size_t cap = 4 * len + 8;
    char *out = luaL_buffinitsize(L, &b, cap);
    int n = domain_to_unicode(s, out, cap, &bad);
    if (n < 0)
        return luaL_error(L, "to_unicode: name too long");
    luaL_pushresultsize(&b, (size_t)n);
    lua_pushboolean(L, bad);
    return 2;
}

/* to_ascii(s) -> ascii | nil, err   [-1, +1|2, m] */
static int l_to_ascii(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    char err[128];
    luaL_Buffer b;
    size_t cap = 4 * len + 64;
    char *out = luaL_buffinitsize(L, &b, cap);
    int n = domain_to_ascii(s, out, cap, err, sizeof err);
    if (n < 0) {
        luaL_pushresultsize(&b, 0);
        lua_pop(L, 1);
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    luaL_pushresultsize(&b, (size_t)n);
    return 1;
}

static enum domain_psl_view check_view(lua_State *L, int arg)
{
    static const char *const views[] = { "all", "icann", NULL };
    return luaL_checkoption(L, arg, "all", views) == 1 ? DOMAIN_PSL_ICANN
                                                        : DOMAIN_PSL_ALL;
}

/* Pushes s, or nil for NULL (a name without a suffix or registrable
** part).   [-0, +1, m] */
static void push_part(lua_State *L, const char *s)
{
    if (s)
        lua_pushstring(L, s);
    else
        lua_pushnil(L);
}

/* registrable(name [, "all"|"icann"]) -> string|nil   [-2, +1, m] */
static int l_registrable(lua_State *L)
{
    const char *s = luaL_checkstring(L, 1);
    push_part(L, domain_registrable(s, check_view(L, 2)));
    return 1;
}

/* suffix(name [, "all"|"icann"]) -> string|nil   [-2, +1, m] */
static int l_suffix(lua_State *L)
{
    const char *s = luaL_checkstring(L, 1);
    push_part(L, domain_suffix(s, check_view(L, 2)));
    return 1;
}

/* psl_parts(name) -> suffix, suffix_icann, registrable, registrable_icann
** (each a string or nil): what suffix and registrable give in both views,
** in one walk.   [-1, +4, m] */
static int l_psl_parts(lua_State *L)
{
    struct domain_psl_parts pp;

    domain_psl_parts(luaL_checkstring(L, 1), &pp);
    push_part(L, pp.suffix);
    push_part(L, pp.suffix_icann);
    push_part(L, pp.registrable);
    push_part(L, pp.registrable_icann);
    return 4;
}

static int distance(lua_State *L, int (*fn)(const char *, const char *, int))
{
    const char *a = luaL_checkstring(L, 1);
    const char *b = luaL_checkstring(L, 2);
    int max = (int)luaL_optinteger(L, 3, -1);
    int d = fn(a, b, max);
    if (d < 0)
        return luaL_error(L, "distance: out of memory");
    lua_pushinteger(L, d);
    return 1;
}

/* dlev_near(a, list, max) -> indices, distances | nil
** The positions in the array list of the strings within max OSA Damerau
** edits of a, in list order, and their distances; nil when there are
** none (the usual answer, so it allocates nothing). One call instead of
** one per candidate: the lookalike check compares every name with every
** brand of similar length. Most candidates are far from a: a bound on
** their code point multisets, linear in the candidate, rules them out
** before the quadratic distance is computed.   [-3, +0|2, e] */
static int l_dlev_near(lua_State *L)
{
    const char *a = luaL_checkstring(L, 1);
    int max = (int)luaL_checkinteger(L, 3), hits = 0;
    lua_Integer n;
    struct domain_cpset set;

    luaL_checktype(L, 2, LUA_TTABLE);
    n = (lua_Integer)lua_rawlen(L, 2);
    domain_cpset_init(&set, a);
    for (lua_Integer i = 1; i <= n; i++) {
        const char *b;
        int d;
        lua_rawgeti(L, 2, i);
        b = lua_tostring(L, -1);
        if (!b || domain_damerau_floor(&set, b) > max) {
            lua_pop(L, 1);
            continue;
        }
        d = domain_damerau(a, b, max);
        lua_pop(L, 1);
        if (d < 0)
            return luaL_error(L, "dlev_near: out of memory");
        if (d > max)
            continue;
        if (!hits++) {
            lua_settop(L, 3);
            lua_newtable(L);                /* 4: indices */
            lua_newtable(L);                /* 5: distances */
        }
        lua_pushinteger(L, i);
        lua_rawseti(L, 4, hits);
        lua_pushinteger(L, d);
        lua_rawseti(L, 5, hits);
    }
    return hits ? 2 : 0;
}

/* lev(a, b [, max]) -> integer   [-3, +1, e] */
static int l_lev(lua_State *L)
{
    return distance(L, domain_levenshtein);
}

/* dlev(a, b [, max]) -> integer (OSA Damerau)   [-3, +1, e] */
static int l_dlev(lua_State *L)
{
    return distance(L, domain_damerau);
}

/* skeleton(s [, "strict"|"loose"]) -> string   [-2, +1, m] */
static int l_skeleton(lua_State *L)
{
    static const char *const modes[] = { "strict", "loose", NULL };
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    int loose = luaL_checkoption(L, 2, "strict", modes);
    luaL_Buffer b;
    size_t cap = 2 * len + 8;
    char *out = luaL_buffinitsize(L, &b, cap);
    int n = domain_skeleton(s, out, cap,
                            loose ? DOMAIN_SKEL_LOOSE : DOMAIN_SKEL_STRICT);
    if (n < 0)
        return luaL_error(L, "skeleton: buffer too small");
    luaL_pushresultsize(&b, (size_t)n);
    return 1;
}

/* scripts(s) -> { "Latin", "Cyrillic", ... }   [-1, +1, m] */
static int l_scripts(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    unsigned set = domain_scripts(s, len);
    int k = 0;
    lua_createtable(L, 2, 0);
    for (int i = 0; i < DOMAIN_SCRIPT_COUNT; i++) {
        if (set & (1u << i)) {
            lua_pushstring(L, domain_script_name((enum domain_script)i));
            lua_rawseti(L, -2, ++k);
        }
    }
    return 1;
}

/* mixed_script(name) -> boolean   [-1, +1, -] */
static int l_mixed_script(lua_State *L)
{
    lua_pushboolean(L, domain_mixed_script(luaL_checkstring(L, 1)));
    return 1;
}

/* entropy(s) -> number (bits per byte)   [-1, +1, -] */
static int l_entropy(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    lua_pushnumber(L, domain_entropy(s, len));
    return 1;
}

/* ---- keyword automaton ------------------------------------------------ */

struct kw_ud {
    struct domain_keywords *kw;
    int words_ref;              /* registry ref to the keyword list */
    enum domain_kw_mode mode;
};

static const char *const kw_modes[] = { "substring", "token", NULL };

/* keywords(list [, "substring"|"token"]) -> automaton   [-2, +1, e] */
static int l_keywords(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    int mode = luaL_checkoption(L, 2, "substring", kw_modes);
    lua_Integer n = luaL_len(L, 1);
    const char **words;
    char err[96];
    struct kw_ud *ud = lua_newuserdatauv(L, sizeof *ud, 1);
    ud->kw = NULL;
    ud->mode = (enum domain_kw_mode)mode;
    luaL_setmetatable(L, KW_META);
    /* A private copy of the list: the automaton indexes into it. */
    lua_createtable(L, (int)n, 0);
    words = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *words, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 1, i);
        if (lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L, "keywords: item %d is not a string", (int)i);
        words[i - 1] = lua_tostring(L, -1);
        lua_rawseti(L, -3, i);          /* kept alive by the copy */
    }
    ud->kw = domain_keywords_new(words, (size_t)n, err, sizeof err);
    lua_pop(L, 1);                      /* words array */
    if (!ud->kw)
        return luaL_error(L, "keywords: %s", err);
    lua_setiuservalue(L, -2, 1);        /* the list copy */
    return 1;
}

struct collect {
    lua_State *L;
    int list;                   /* stack index of the keyword list */
    int k;
};

static int collect_hit(const struct domain_kw_hit *h, void *arg)
{
    struct collect *c = arg;
    lua_State *L = c->L;
    lua_createtable(L, 0, 4);
    lua_geti(L, c->list, h->index + 1);
    lua_setfield(L, -2, "word");
    lua_pushinteger(L, h->index + 1);
    lua_setfield(L, -2, "index");
    lua_pushinteger(L, (lua_Integer)h->start + 1);
    lua_setfield(L, -2, "first");
    lua_pushinteger(L, (lua_Integer)h->end);
    lua_setfield(L, -2, "last");
    lua_rawseti(L, -2, ++c->k);
    return 0;
}

/* kw:match(s [, mode]) -> { {word=, index=, first=, last=}, ... }
** Hits in order of their last byte; positions are 1-based, inclusive.
** [-2, +1, m] */
static int l_kw_match(lua_State *L)
{
    struct kw_ud *ud = luaL_checkudata(L, 1, KW_META);
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);
    enum domain_kw_mode mode = ud->mode;
    if (!lua_isnoneornil(L, 3))
        mode = (enum domain_kw_mode)luaL_checkoption(L, 3, NULL, kw_modes);
    if (!ud->kw)
        return luaL_error(L, "keywords: automaton not built");
    lua_getiuservalue(L, 1, 1);
    struct collect c = { L, lua_gettop(L), 0 };
    lua_newtable(L);
    domain_keywords_scan(ud->kw, s, len, mode, collect_hit, &c);
    lua_remove(L, c.list);
    return 1;
}

static int stop_first(const struct domain_kw_hit *h, void *arg)
{
    *(struct domain_kw_hit *)arg = *h;
    return 1;
}

/* kw:first(s [, mode]) -> word, first, last | nil   [-2, +3|1, m] */
static int l_kw_first(lua_State *L)
{
    struct kw_ud *ud = luaL_checkudata(L, 1, KW_META);
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);
    enum domain_kw_mode mode = ud->mode;
    struct domain_kw_hit h;
    if (!lua_isnoneornil(L, 3))
        mode = (enum domain_kw_mode)luaL_checkoption(L, 3, NULL, kw_modes);
    if (!ud->kw)
        return luaL_error(L, "keywords: automaton not built");
    if (!domain_keywords_scan(ud->kw, s, len, mode, stop_first, &h)) {
        lua_pushnil(L);
        return 1;
    }
    lua_getiuservalue(L, 1, 1);
    lua_geti(L, -1, h.index + 1);
    lua_remove(L, -2);
    lua_pushinteger(L, (lua_Integer)h.start + 1);
    lua_pushinteger(L, (lua_Integer)h.end);
    return 3;
}

/* __gc   [-0, +0, -] */
static int l_kw_gc(lua_State *L)
{
    struct kw_ud *ud = luaL_checkudata(L, 1, KW_META);
    domain_keywords_free(ud->kw);
    ud->kw = NULL;
    return 0;
}

static const luaL_Reg kw_methods[] = {
    { "match", l_kw_match },
    { "first", l_kw_first },
    { NULL, NULL }
};

static const luaL_Reg functions[] = {
    { "normalise", l_normalise },
    { "to_unicode", l_to_unicode },
    { "to_ascii", l_to_ascii },
    { "registrable", l_registrable },
    { "suffix", l_suffix },
    { "psl_parts", l_psl_parts },
    { "dlev_near", l_dlev_near },
    { "lev", l_lev },
    { "dlev", l_dlev },
    { "skeleton", l_skeleton },
    { "scripts", l_scripts },
    { "mixed_script", l_mixed_script },
    { "entropy", l_entropy },
    { "keywords", l_keywords },
    { NULL, NULL }
};

int luaopen_certmon_domain_c(lua_State *L)
{
    if (luaL_newmetatable(L, KW_META)) {
        luaL_newlib(L, kw_methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_kw_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    luaL_newlib(L, functions);
    return 1;
}
