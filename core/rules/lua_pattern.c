/*
** lua_pattern.c: Lua 5.4's pattern matcher with a step budget.
**
** The matcher below follows lstrlib.c of Lua 5.4 function for function
** (match, max_expand, min_expand, captures, the find/match/gmatch/gsub
** front ends), so rules see exactly the standard semantics. What differs:
** every entry into match() and every character scanned by a repetition
** or %b counts as a step, and each lim->charge_steps steps the charge
** function hears of them and may stop the call; the plain find uses
** memmem (linear) instead of a quadratic memchr/memcmp loop.
**
** The matcher is derived from Lua, under this licence:
**
** Copyright (C) 1994-2022 Lua.org, PUC-Rio.
**
** Permission is hereby granted, free of charge, to any person obtaining
** a copy of this software and associated documentation files (the
** "Software"), to deal in the Software without restriction, including
** without limitation the rights to use, copy, modify, merge, publish,
** distribute, sublicense, and/or sell copies of the Software, and to
** permit persons to whom the Software is furnished to do so, subject to
** the following conditions:
**
** The above copyright notice and this permission notice shall be
** included in all copies or substantial portions of the Software.
**
** THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND,
** EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
** MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT.
** IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY
** CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT,
** TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE
** SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
*/
#include <ctype.h>
#include <lauxlib.h>
#include <stddef.h>
#include <string.h>

#include "rules/lua_pattern.h"

#define PAT_MAXCAPTURES 32      /* LUA_MAXCAPTURES */
#define PAT_MAXCCALLS 200       /* recursion depth: "pattern too complex" */
#define CAP_UNFINISHED (-1)
#define CAP_POSITION (-2)
#define L_ESC '%'
#define SPECIALS "^$*+?.([%-"

#define uchar(c) ((unsigned char)(c))

struct match_state {
    const char *src_init;       /* subject */
    const char *src_end;
    const char *p_end;          /* end of the pattern */
    lua_State *L;
    int matchdepth;             /* recursion left */
    unsigned char level;        /* captures, finished or not */
    uint64_t steps;             /* not yet charged */
    const struct lua_pattern_limits *lim;
    struct {
        const char *init;
        ptrdiff_t len;
    } capture[PAT_MAXCAPTURES];
};

/* Hands the piled-up steps to the charge function (may raise). */
static void __attribute__((noinline)) charge_steps(struct match_state *ms)
{
    uint64_t steps = ms->steps;

    ms->steps = 0;
    ms->lim->charge(ms->L, steps);
}

/* Counts n steps; charges them once enough piled up. */
static inline void step(struct match_state *ms, uint64_t n)
{
    ms->steps += n;
    if (__builtin_expect(ms->steps >= ms->lim->charge_steps, 0))
        charge_steps(ms);
}

static const char *match(struct match_state *ms, const char *s,
                         const char *p);

static int check_capture(struct match_state *ms, int l)
{
    l -= '1';
    if (l < 0 || l >= ms->level || ms->capture[l].len == CAP_UNFINISHED)
        return luaL_error(ms->L, "invalid capture index %%%d", l + 1);
    return l;
}

static int capture_to_close(struct match_state *ms)
{
    int level = ms->level;

    for (level--; level >= 0; level--)
        if (ms->capture[level].len == CAP_UNFINISHED)
            return level;
    return luaL_error(ms->L, "invalid pattern capture");
}

static const char *class_end(struct match_state *ms, const char *p)
{
    switch (*p++) {
    case L_ESC:
        if (p == ms->p_end)
            luaL_error(ms->L, "malformed pattern (ends with '%%')");
        return p + 1;
    case '[':
        if (*p == '^')
            p++;
        do {    /* look for a ']' */
            if (p == ms->p_end)
                luaL_error(ms->L, "malformed pattern (missing ']')");
            if (*(p++) == L_ESC && p < ms->p_end)
                p++;    /* skip escapes (e.g. '%]') */
        } while (*p != ']');
        return p + 1;
    default:
        return p;
    }
}

static int match_class(int c, int cl)
{
    int res;

    switch (tolower(cl)) {
    case 'a': res = isalpha(c); break;
    case 'c': res = iscntrl(c); break;
    case 'd': res = isdigit(c); break;
    case 'g': res = isgraph(c); break;
    case 'l': res = islower(c); break;
    case 'p': res = ispunct(c); break;
    case 's': res = isspace(c); break;
    case 'u': res = isupper(c); break;
    case 'w': res = isalnum(c); break;
    case 'x': res = isxdigit(c); break;
    case 'z': res = (c == 0); break;    /* deprecated, still in 5.4 */
    default: return cl == c;
    }
    if (isupper(cl))
        res = !res;
    return res;
}

static int match_bracket_class(int c, const char *p, const char *ec)
{
    int sig = 1;

    if (*(p + 1) == '^') {
        sig = 0;
        p++;    /* skip the '^' */
    }
    while (++p < ec) {
        if (*p == L_ESC) {
            p++;
            if (match_class(c, uchar(*p)))
                return sig;
        } else if (*(p + 1) == '-' && p + 2 < ec) {
            p += 2;
            if (uchar(*(p - 2)) <= c && c <= uchar(*p))
                return sig;
        } else if (uchar(*p) == c) {
            return sig;
        }
    }
    return !sig;
}

static int single_match(struct match_state *ms, const char *s,
                        const char *p, const char *ep)
{
    int c;

    if (s >= ms->src_end)
        return 0;
    c = uchar(*s);
    switch (*p) {
    case '.': return 1;     /* matches any char */
    case L_ESC: return match_class(c, uchar(*(p + 1)));
    case '[': return match_bracket_class(c, p, ep - 1);
    default: return uchar(*p) == c;
    }
}

static const char *match_balance(struct match_state *ms, const char *s,
                                 const char *p)
{
    const char *s0 = s;
    int b, e, cont = 1;

    if (p >= ms->p_end - 1)
        luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
    if (*s != *p)
        return NULL;
    b = *p;
    e = *(p + 1);
    while (++s < ms->src_end) {
        if (*s == e) {
            if (--cont == 0) {
                step(ms, (uint64_t)(s - s0));
                return s + 1;
            }
        } else if (*s == b) {
            cont++;
        }
    }
    step(ms, (uint64_t)(s - s0));
    return NULL;    /* string ends out of balance */
}

static const char *max_expand(struct match_state *ms, const char *s,
                              const char *p, const char *ep)
{
    ptrdiff_t i = 0;    /* counts maximum expand for item */

    while (single_match(ms, s + i, p, ep))
        i++;
    step(ms, (uint64_t)i);
    /* keeps trying to match with the maximum repetitions */
    while (i >= 0) {
        const char *res = match(ms, s + i, ep + 1);
        if (res)
            return res;
        i--;    /* else didn't match; reduce 1 repetition to try again */
    }
    return NULL;
}

static const char *min_expand(struct match_state *ms, const char *s,
                              const char *p, const char *ep)
{
    for (;;) {
        const char *res = match(ms, s, ep + 1);
        if (res != NULL)
            return res;
        else if (single_match(ms, s, p, ep))
            s++;    /* try with one more repetition */
        else
            return NULL;
    }
}

static const char *start_capture(struct match_state *ms, const char *s,
                                 const char *p, int what)
{
    const char *res;
    int level = ms->level;

    if (level >= PAT_MAXCAPTURES)
        luaL_error(ms->L, "too many captures");
    ms->capture[level].init = s;
    ms->capture[level].len = what;
    ms->level = (unsigned char)(level + 1);
    if ((res = match(ms, s, p)) == NULL)    /* match failed? */
        ms->level--;    /* undo capture */
    return res;
}

static const char *end_capture(struct match_state *ms, const char *s,
                               const char *p)
{
    int l = capture_to_close(ms);
    const char *res;

    ms->capture[l].len = s - ms->capture[l].init;   /* close capture */
    if ((res = match(ms, s, p)) == NULL)    /* match failed? */
        ms->capture[l].len = CAP_UNFINISHED;    /* undo capture */
    return res;
}

static const char *match_capture(struct match_state *ms, const char *s,
                                 int l)
{
    size_t len;

    l = check_capture(ms, l);
    len = (size_t)ms->capture[l].len;
    if ((size_t)(ms->src_end - s) >= len &&
        memcmp(ms->capture[l].init, s, len) == 0)
        return s + len;
    return NULL;
}

/* The backtracking matcher: the end of the match of p at s, or NULL. */
static const char *match(struct match_state *ms, const char *s,
                         const char *p)
{
    if (ms->matchdepth-- == 0)
        luaL_error(ms->L, "pattern too complex");
init:   /* using goto to optimize tail recursion */
    step(ms, 1);
    if (p != ms->p_end) {   /* end of pattern? */
        switch (*p) {
        case '(':   /* start capture */
            if (*(p + 1) == ')')    /* position capture? */
                s = start_capture(ms, s, p + 2, CAP_POSITION);
            else
                s = start_capture(ms, s, p + 1, CAP_UNFINISHED);
            break;
        case ')':   /* end capture */
            s = end_capture(ms, s, p + 1);
            break;
        case '$':
            if (p + 1 != ms->p_end)     /* is the '$' the last char? */
                goto dflt;
            s = (s == ms->src_end) ? s : NULL;  /* check end of string */
            break;
        case L_ESC:     /* escaped sequences not in the format class[*+?-]? */
            switch (*(p + 1)) {
            case 'b':   /* balanced string? */
                s = match_balance(ms, s, p + 2);
                if (s != NULL) {
                    p += 4;
                    goto init;
                }
                break;
            case 'f': {     /* frontier? */
                const char *ep;
                char previous;
                p += 2;
                if (*p != '[')
                    luaL_error(ms->L, "missing '[' after '%%f' in pattern");
                ep = class_end(ms, p);  /* points to what is next */
                previous = (s == ms->src_init) ? '\0' : *(s - 1);
                if (!match_bracket_class(uchar(previous), p, ep - 1) &&
                    match_bracket_class(uchar(*s), p, ep - 1)) {
                    p = ep;
                    goto init;
                }
                s = NULL;   /* match failed */
                break;
            }
            case '0': case '1': case '2': case '3': case '4':
            case '5': case '6': case '7': case '8': case '9':
                s = match_capture(ms, s, uchar(*(p + 1)));
                if (s != NULL) {
                    p += 2;
                    goto init;
                }
                break;
            default:
                goto dflt;
            }
            break;
        default: dflt: {    /* pattern class plus optional suffix */
            const char *ep = class_end(ms, p);  /* the optional suffix */
            if (!single_match(ms, s, p, ep)) {
                if (*ep == '*' || *ep == '?' || *ep == '-') {
                    p = ep + 1;     /* accept empty */
                    goto init;
                }
                s = NULL;   /* '+' or no suffix: fail */
            } else {    /* matched once */
                switch (*ep) {
                case '?': {     /* optional */
                    const char *res = match(ms, s + 1, ep + 1);
                    if (res != NULL) {
                        s = res;
                    } else {
                        p = ep + 1;
                        goto init;
                    }
                    break;
                }
                case '+':   /* 1 or more repetitions */
                    s++;    /* 1 match already done */
                    /* fall through */
                case '*':   /* 0 or more repetitions */
                    s = max_expand(ms, s, p, ep);
                    break;
                case '-':   /* 0 or more repetitions (minimum) */
                    s = min_expand(ms, s, p, ep);
                    break;
                default:    /* no suffix */
                    s++;
                    p = ep;
                    goto init;
                }
            }
            break;
        }
        }
    }
    ms->matchdepth++;
    return s;
}

/* ===== front ends ===== */

/* Pushes capture i (or the whole match s..e when there are none) unless
** it is a position, which get_onecapture pushes itself. */
static size_t get_onecapture(struct match_state *ms, int i, const char *s,
                             const char *e, const char **cap)
{
    if (i >= ms->level) {
        if (i != 0)
            luaL_error(ms->L, "invalid capture index %%%d", i + 1);
        *cap = s;
        return (size_t)(e - s);
    } else {
        ptrdiff_t capl = ms->capture[i].len;
        *cap = ms->capture[i].init;
        if (capl == CAP_UNFINISHED)
            luaL_error(ms->L, "unfinished capture");
        else if (capl == CAP_POSITION)
            lua_pushinteger(ms->L, (ms->capture[i].init - ms->src_init) + 1);
        return (size_t)capl;
    }
}

static void push_onecapture(struct match_state *ms, int i, const char *s,
                            const char *e)
{
    const char *cap;
    ptrdiff_t l = (ptrdiff_t)get_onecapture(ms, i, s, e, &cap);

    if (l != CAP_POSITION)
        lua_pushlstring(ms->L, cap, (size_t)l);
}

static int push_captures(struct match_state *ms, const char *s,
                         const char *e)
{
    int nlevels = (ms->level == 0 && s) ? 1 : ms->level;

    luaL_checkstack(ms->L, nlevels, "too many captures");
    for (int i = 0; i < nlevels; i++)
        push_onecapture(ms, i, s, e);
    return nlevels;
}

/* Does the pattern (which may hold NULs) have no special characters? */
static int no_specials(const char *p, size_t l)
{
    size_t upto = 0;

    do {
        if (strpbrk(p + upto, SPECIALS) != NULL)
            return 0;
        upto += strlen(p + upto) + 1;   /* may have more after \0 */
    } while (upto <= l);
    return 1;
}

static void prep_state(struct match_state *ms, lua_State *L, const char *s,
                       size_t ls, const char *p, size_t lp,
                       const struct lua_pattern_limits *lim)
{
    ms->L = L;
    ms->matchdepth = PAT_MAXCCALLS;
    ms->src_init = s;
    ms->src_end = s + ls;
    ms->p_end = p + lp;
    ms->steps = 0;
    ms->lim = lim;
}

/* Before each match attempt. Also restores the depth, which a charge
** raising from deep inside the matcher leaves spent (gmatch keeps its
** state across calls). */
static void reprep_state(struct match_state *ms)
{
    ms->level = 0;
    ms->matchdepth = PAT_MAXCCALLS;
}

/* Relative string position (lstrlib's posrelatI): 1-based, clipped. */
static size_t posrelat(lua_Integer pos, size_t len)
{
    if (pos > 0)
        return (size_t)pos;
    else if (pos == 0)
        return 1;
    else if (pos < -(lua_Integer)len)
        return 1;
    return len + (size_t)pos + 1;
}

static const struct lua_pattern_limits *get_lim(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* string.find and string.match. upvalue 1: the limits. */
static int str_find_aux(lua_State *L, int find)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = posrelat(luaL_optinteger(L, 3, 1), ls) - 1;

    if (init > ls) {    /* start after string's end? */
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || no_specials(p, lp))) {
        const char *s2 = lp == 0 ? s + init
                                 : memmem(s + init, ls - init, p, lp);
        if (s2) {
            lua_pushinteger(L, (s2 - s) + 1);
            lua_pushinteger(L, (lua_Integer)((size_t)(s2 - s) + lp));
            return 2;
        }
    } else {
        struct match_state ms;
        const char *s1 = s + init;
        int anchor = (*p == '^');
        if (anchor) {
            p++;
            lp--;
        }
        prep_state(&ms, L, s, ls, p, lp, get_lim(L));
        do {
            const char *res;
            reprep_state(&ms);
            if ((res = match(&ms, s1, p)) != NULL) {
                if (find) {
                    lua_pushinteger(L, (s1 - s) + 1);   /* start */
                    lua_pushinteger(L, res - s);        /* end */
                    return push_captures(&ms, NULL, 0) + 2;
                }
                return push_captures(&ms, s1, res);
            }
        } while (s1++ < ms.src_end && !anchor);
    }
    luaL_pushfail(L);
    return 1;
}

static int str_find(lua_State *L)
{
    return str_find_aux(L, 1);
}

static int str_match(lua_State *L)
{
    return str_find_aux(L, 0);
}

struct gmatch_state {
    const char *src;            /* current position */
    const char *p;              /* pattern */
    const char *lastmatch;      /* end of last match */
    struct match_state ms;
};

/* upvalues: subject, pattern, state. */
static int gmatch_aux(lua_State *L)
{
    struct gmatch_state *gm = lua_touserdata(L, lua_upvalueindex(3));

    gm->ms.L = L;
    for (const char *src = gm->src; src <= gm->ms.src_end; src++) {
        const char *e;
        reprep_state(&gm->ms);
        if ((e = match(&gm->ms, src, gm->p)) != NULL && e != gm->lastmatch) {
            gm->src = gm->lastmatch = e;
            return push_captures(&gm->ms, src, e);
        }
    }
    return 0;   /* not found */
}

/* string.gmatch. upvalue 1: the limits. */
static int str_gmatch(lua_State *L)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = posrelat(luaL_optinteger(L, 3, 1), ls) - 1;
    const struct lua_pattern_limits *lim = get_lim(L);
    struct gmatch_state *gm;

    lua_settop(L, 2);   /* keep the strings alive in the closure */
    gm = lua_newuserdatauv(L, sizeof(*gm), 0);
    if (init > ls)
        init = ls + 1;  /* avoid overflows in 's + init' */
    prep_state(&gm->ms, L, s, ls, p, lp, lim);
    gm->src = s + init;
    gm->p = p;
    gm->lastmatch = NULL;
    lua_pushcclosure(L, gmatch_aux, 3);
    return 1;
}

static void add_s(struct match_state *ms, luaL_Buffer *b, const char *s,
                  const char *e)
{
    size_t l;
    lua_State *L = ms->L;
    const char *news = lua_tolstring(L, 3, &l);
    const char *p;

    while ((p = memchr(news, L_ESC, l)) != NULL) {
        luaL_addlstring(b, news, (size_t)(p - news));
        p++;    /* skip ESC */
        if (*p == L_ESC) {
            luaL_addchar(b, *p);
        } else if (*p == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (isdigit(uchar(*p))) {
            const char *cap;
            ptrdiff_t resl = (ptrdiff_t)get_onecapture(ms, *p - '1', s, e,
                                                       &cap);
            if (resl == CAP_POSITION)
                luaL_addvalue(b);
            else
                luaL_addlstring(b, cap, (size_t)resl);
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string",
                       L_ESC);
        }
        l -= (size_t)(p + 1 - news);
        news = p + 1;
    }
    luaL_addlstring(b, news, l);
}

/* Adds the replacement of the match s..e; returns whether it changed
** anything. */
static int add_value(struct match_state *ms, luaL_Buffer *b, const char *s,
                     const char *e, int tr)
{
    lua_State *L = ms->L;

    switch (tr) {
    case LUA_TFUNCTION: {
        int n;
        lua_pushvalue(L, 3);
        n = push_captures(ms, s, e);
        lua_call(L, n, 1);
        break;
    }
    case LUA_TTABLE:
        push_onecapture(ms, 0, s, e);
        lua_gettable(L, 3);
        break;
    default:    /* LUA_TNUMBER or LUA_TSTRING */
        add_s(ms, b, s, e);
        return 1;
    }
    if (!lua_toboolean(L, -1)) {    /* nil or false: keep the original */
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    } else if (!lua_isstring(L, -1)) {
        return luaL_error(L, "invalid replacement value (a %s)",
                          luaL_typename(L, -1));
    }
    luaL_addvalue(b);
    return 1;
}

/* string.gsub. upvalue 1: the limits. */
static int str_gsub(lua_State *L)
{
    size_t srcl, lp;
    const char *src = luaL_checklstring(L, 1, &srcl);
    const char *p = luaL_checklstring(L, 2, &lp);
    const char *lastmatch = NULL;
    int tr = lua_type(L, 3);
    lua_Integer max_s = luaL_optinteger(L, 4, (lua_Integer)srcl + 1);
    int anchor = (*p == '^');
    lua_Integer n = 0;
    int changed = 0;
    struct match_state ms;
    luaL_Buffer b;

    luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING ||
                     tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                     "string/function/table");
    luaL_buffinit(L, &b);
    if (anchor) {
        p++;
        lp--;
    }
    prep_state(&ms, L, src, srcl, p, lp, get_lim(L));
    while (n < max_s) {
        const char *e;
        reprep_state(&ms);
        if ((e = match(&ms, src, p)) != NULL && e != lastmatch) {
            n++;
            changed = add_value(&ms, &b, src, e, tr) | changed;
            src = lastmatch = e;
        } else if (src < ms.src_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchor)
            break;
    }
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
}

void lua_pattern_install(lua_State *L, int idx,
                         const struct lua_pattern_limits *lim)
{
    static const luaL_Reg funcs[] = {
        { "find", str_find },
        { "match", str_match },
        { "gmatch", str_gmatch },
        { "gsub", str_gsub },
        { NULL, NULL }
    };

    idx = lua_absindex(L, idx);
    for (const luaL_Reg *f = funcs; f->name; f++) {
        lua_pushlightuserdata(L, (void *)lim);
        lua_pushcclosure(L, f->func, 1);
        lua_setfield(L, idx, f->name);
    }
}
