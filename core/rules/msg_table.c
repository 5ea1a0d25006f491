/*
** msg_table.c: JSON message → the normalised Lua table rules see.
**
** The table is what lua-cjson (Debian 2.1.0) decoding followed by one
** normalising pass gives: cjson decodes every number with strtod, so in
** Lua 5.4 "cert_index": 712420366 would arrive as the float 712420366.0,
** and null as cjson.null, a truthy light userdata; rules expect integers
** and nil. The decoder below builds that result in one pass (see "the
** decoder"); normalise() is the second pass itself, kept for callers that
** hold a cjson table and as the reference the tests compare against.
*/
#include <lauxlib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "rules/msg_table.h"

/* Deeper JSON than this is refused by the decoder; also bounds our C
** recursion in normalise. */
#define MSG_MAX_DEPTH 64

/* Registry key (its address) of the decode function. */
static const char decode_key = 'd';

static void normalise(lua_State *L, int idx, int depth)
{
    if (depth > MSG_MAX_DEPTH || !lua_checkstack(L, 4))
        return;     /* cannot happen below the decoder's own depth cap */
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        switch (lua_type(L, -1)) {
        case LUA_TTABLE:
            normalise(L, lua_gettop(L), depth + 1);
            break;
        case LUA_TNUMBER:
            if (!lua_isinteger(L, -1)) {
                int exact;
                lua_Integer i = lua_tointegerx(L, -1, &exact);
                if (exact) {
                    lua_pushvalue(L, -2);
                    lua_pushinteger(L, i);
                    lua_rawset(L, idx);
                }
            }
            break;
        case LUA_TLIGHTUSERDATA:
            if (lua_touserdata(L, -1) == NULL) {     /* cjson.null */
                lua_pushvalue(L, -2);
                lua_pushnil(L);
                lua_rawset(L, idx);
            }
            break;
        default:
            break;
        }
        lua_pop(L, 1);
    }
}

void msg_table_normalise(lua_State *L, int idx)
{
    normalise(L, lua_absindex(L, idx), 0);
}

/* ===== the decoder =====
**
** One pass from JSON text to the normalised table: what lua-cjson's decode
** followed by normalise() gives, to everything a rule can observe: the
** same keys and values, integers where normalise() makes them, nil for
** null, and the same border '#' finds in an array with holes (such arrays
** are built element by element, as cjson builds them; see push_array).
** Only the order pairs() visits an object's keys in may differ, which no
** rule can rely on: Lua 5.4 seeds its string hash per state. What it
** saves: cjson's copy of the whole message into a Lua string, its
** per-character token buffer, a second walk over every table, and the
** rehashing of tables that grow member by member. Acceptance also follows
** lua-cjson 2.1.0 with decode_max_depth 64 and decode_invalid_numbers off
** (tests/unit/test_msg_table_equiv.c compares the two on every fixture
** and on thousands of damaged variants).
*/

/* Object keys repeat in every message (some forty names in all), and
** pushing one with lua_pushlstring hashes it and looks it up in Lua's
** string table: with tables presized and the pool allocator, that was a
** quarter of decoding. The decoder remembers the keys it has pushed, in
** a small direct-mapped cache whose strings are held by a Lua table (an
** upvalue of the decoder), and pushes a remembered key from there. The
** string pushed is the same interned string either way. */
#define KEY_CACHE_SLOTS 256
#define KEY_CACHE_MAX_LEN 31

struct key_cache {
    struct {
        unsigned char len;              /* 0 = empty */
        char text[KEY_CACHE_MAX_LEN];
    } slot[KEY_CACHE_SLOTS];
};

struct dec {
    lua_State *L;
    const char *p, *end, *start;
    int depth;
    struct key_cache *keys;             /* upvalue 1; its strings: upvalue 2 */
};

static int dec_error(struct dec *d, const char *what)
{
    return luaL_error(d->L, "%s at character %d", what,
                      (int)(d->p - d->start) + 1);
}

/* The byte at p, or 0 at the end: cjson reads a NUL-terminated string
** and so stops at the first NUL byte, wherever it is. */
static int peek(const struct dec *d)
{
    return d->p < d->end ? (unsigned char)*d->p : 0;
}

static void skip_ws(struct dec *d)
{
    while (d->p < d->end &&
           (*d->p == ' ' || *d->p == '\t' || *d->p == '\n' || *d->p == '\r'))
        d->p++;
}

static int hex4(struct dec *d, const char *h)
{
    int v = 0;

    if (d->end - h < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        int c = (unsigned char)h[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            v |= (c | 0x20) - 'a' + 10;
        else
            return -1;
    }
    return v;
}

/* Appends the UTF-8 form of the \uXXXX escape at p (just past the 'u')
** and moves p past it, taking a following low surrogate along. */
static void unicode_escape(struct dec *d, luaL_Buffer *b)
{
    int cp = hex4(d, d->p), lo = 0;
    char u[4];
    int n;

    if (cp < 0)
        dec_error(d, "invalid unicode escape code");
    d->p += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        dec_error(d, "invalid unicode escape code");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (d->end - d->p < 6 || d->p[0] != '\\' || d->p[1] != 'u' ||
            (lo = hex4(d, d->p + 2)) < 0xDC00 || lo > 0xDFFF)
            dec_error(d, "invalid unicode escape code");
        d->p += 6;
        cp = (((cp & 0x3FF) << 10) | (lo & 0x3FF)) + 0x10000;
    }
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    luaL_addlstring(b, u, (size_t)n);
}

/* The first '"', '\\' or NUL byte in [p, end), or end. Sixteen bytes at
** a time with SSE2 (eight without): the strings worth the effort are long
** (as_der, chain DER), and a byte loop over them was the decoder's
** largest cost. */
static const char *string_stop(const char *p, const char *end)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                  nul = _mm_setzero_si128();

    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        int hit = _mm_movemask_epi8(_mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
            _mm_cmpeq_epi8(v, nul)));
        if (hit)
            return p + __builtin_ctz((unsigned)hit);
        p += 16;
    }
#else
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;

    while (end - p >= 8) {
        uint64_t v, q, b;
        memcpy(&v, p, 8);
        q = v ^ (ones * '"');
        b = v ^ (ones * '\\');
        if (((v - ones) & ~v & highs) | ((q - ones) & ~q & highs) |
            ((b - ones) & ~b & highs))
            break;
        p += 8;
    }
#endif
    while (p < end && *p != '"' && *p != '\\' && *p != '\0')
        p++;
    return p;
}

/* p is at the opening quote; pushes the string. Strings without escapes,
** nearly all of them, are pushed straight from the input. */
static void push_string(struct dec *d)
{
    const char *s = ++d->p, *q = s;
    luaL_Buffer b;

    q = string_stop(q, d->end);
    if (q < d->end && *q == '"') {
        lua_pushlstring(d->L, s, (size_t)(q - s));
        d->p = q + 1;
        return;
    }
    luaL_buffinit(d->L, &b);
    luaL_addlstring(&b, s, (size_t)(q - s));
    d->p = q;
    for (;;) {
        int c = peek(d);
        if (c == 0)
            dec_error(d, "unexpected end of string");
        if (c == '"')
            break;
        if (c != '\\') {
            q = string_stop(d->p, d->end);
            luaL_addlstring(&b, d->p, (size_t)(q - d->p));
            d->p = q;
            continue;
        }
        d->p++;
        switch (peek(d)) {
        case '"': luaL_addchar(&b, '"'); break;
        case '\\': luaL_addchar(&b, '\\'); break;
        case '/': luaL_addchar(&b, '/'); break;
        case 'b': luaL_addchar(&b, '\b'); break;
        case 'f': luaL_addchar(&b, '\f'); break;
        case 'n': luaL_addchar(&b, '\n'); break;
        case 'r': luaL_addchar(&b, '\r'); break;
        case 't': luaL_addchar(&b, '\t'); break;
        case 'u':
            d->p++;
            unicode_escape(d, &b);
            continue;
        default:
            dec_error(d, "invalid escape code");
        }
        d->p++;
    }
    d->p++;
    luaL_pushresult(&b);
}

/* p is at '-' or a digit. Pushes what cjson's strtod + normalise give:
** an integer for a whole number that fits, else a float. */
static void push_number(struct dec *d)
{
    const char *s = d->p, *q = s;
    char tok[64], *endp;
    size_t n = 0;
    lua_Integer iv = 0;
    double v;
    int exact, neg = *q == '-';

    q += neg;
    /* cjson refuses hex and leading zeros, and inf/nan; strtod the rest */
    if (q < d->end && *q == '0' && q + 1 < d->end &&
        ((q[1] | 0x20) == 'x' || (q[1] >= '0' && q[1] <= '9')))
        dec_error(d, "invalid number");
    if (q >= d->end || *q > '9') {
        if (d->end - q >= 3 && (strncasecmp(q, "inf", 3) == 0 ||
                                strncasecmp(q, "nan", 3) == 0))
            dec_error(d, "invalid number");
    }
    /* fast path: up to 15 digits are exact in a double, so the integer
    ** is the one strtod + normalise would give */
    while (q < d->end && *q >= '0' && *q <= '9' && q - s < 16 + neg)
        iv = iv * 10 + (*q++ - '0');
    if (q > s + neg && q - s - neg <= 15 &&
        (q == d->end || (*q != '.' && (*q | 0x20) != 'e' &&
                         (*q < '0' || *q > '9') && (*q | 0x20) != 'x' &&
                         (*q | 0x20) != 'p'))) {
        lua_pushinteger(d->L, neg ? -iv : iv);
        d->p = q;
        return;
    }
    /* what strtod may consume, copied so that it stops at the end (on
    ** the stack for a long one, which cjson would read too) */
    for (q = s; q < d->end && ((*q >= '0' && *q <= '9') || *q == '.' ||
                               *q == '-' || *q == '+' ||
                               ((*q | 0x20) >= 'a' && (*q | 0x20) <= 'f') ||
                               (*q | 0x20) == 'x' || (*q | 0x20) == 'p');
         q++)
        n++;
    if (n < sizeof(tok)) {
        memcpy(tok, s, n);
        tok[n] = '\0';
        v = strtod(tok, &endp);
        n = (size_t)(endp - tok);
    } else {
        const char *t = lua_pushlstring(d->L, s, n);
        v = strtod(t, &endp);
        n = (size_t)(endp - t);
        lua_pop(d->L, 1);
    }
    if (n == 0)
        dec_error(d, "invalid number");
    d->p = s + n;
    lua_pushnumber(d->L, v);
    iv = lua_tointegerx(d->L, -1, &exact);
    if (exact) {
        lua_pop(d->L, 1);
        lua_pushinteger(d->L, iv);
    }
}

/* The value of a JSON null while its table is being built (cjson.null). */
#define NULL_MARK() lua_pushlightuserdata(d->L, NULL)

/* Members a container collects on the Lua stack before its table is
** made. Beyond this the table is made and grows as members arrive, which
** keeps the stack bounded (depth cap times this) for any message size. */
#define MSG_PENDING_MAX 1024

static void push_value(struct dec *d);

/* Removes the null placeholders from the complete table at the top, as
** normalise does: value replaced by nil, key slot kept. */
static void drop_nulls(lua_State *L)
{
    int t = lua_gettop(L);

    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -1) == LUA_TLIGHTUSERDATA &&
            lua_touserdata(L, -1) == NULL) {
            lua_pushvalue(L, -2);
            lua_pushnil(L);
            lua_rawset(L, t);
        }
        lua_pop(L, 1);
    }
}

static void descend(struct dec *d)
{
    if (++d->depth > MSG_MAX_DEPTH || !lua_checkstack(d->L, 6))
        luaL_error(d->L, "Found too many nested data structures (%d) at "
                   "character %d", d->depth, (int)(d->p - d->start) + 1);
}

/* Room for one more member (key and value) collected on the stack. */
static void room_for_member(struct dec *d)
{
    if (!lua_checkstack(d->L, 8))
        luaL_error(d->L, "message too large at character %d",
                   (int)(d->p - d->start) + 1);
}

/* p is at the opening quote of an object key; pushes the key. A key
** without escapes that fits the cache comes from it when remembered, and
** is remembered when not. */
static void push_key(struct dec *d)
{
    const char *s = d->p + 1, *q = string_stop(s, d->end);
    size_t len = (size_t)(q - s);
    unsigned h;

    if (q >= d->end || *q != '"' || len == 0 || len > KEY_CACHE_MAX_LEN) {
        push_string(d);
        return;
    }
    h = ((unsigned)len * 31u + (unsigned char)s[0] * 7u +
         (unsigned char)s[len - 1] * 3u + (unsigned char)s[len / 2]) %
        KEY_CACHE_SLOTS;
    if (d->keys->slot[h].len == len && memcmp(d->keys->slot[h].text, s,
                                              len) == 0) {
        lua_rawgeti(d->L, lua_upvalueindex(2), (lua_Integer)h + 1);
    } else {
        lua_pushlstring(d->L, s, len);
        lua_pushvalue(d->L, -1);
        lua_rawseti(d->L, lua_upvalueindex(2), (lua_Integer)h + 1);
        d->keys->slot[h].len = (unsigned char)len;
        memcpy(d->keys->slot[h].text, s, len);
    }
    d->p = q + 1;
}

/* Makes the table for the n key/value pairs above stack slot base, sized
** for them, and leaves it alone at base + 1. A null value (nil here) is
** set too, so that it still removes an earlier duplicate key. */
static void make_object(lua_State *L, int base, int n, int n_nil)
{
    int t;

    lua_createtable(L, 0, n - n_nil);
    t = lua_gettop(L);
    for (int i = 0; i < n; i++) {
        lua_pushvalue(L, base + 1 + 2 * i);
        lua_pushvalue(L, base + 2 + 2 * i);
        lua_rawset(L, t);
    }
    lua_copy(L, t, base + 1);
    lua_settop(L, base + 1);
}

/* Steps into an object or array at d->p. Returns 1, with an empty table
** pushed and the container left, if it closes at once with close; 0 with
** d->p at its first member otherwise. */
static int open_container(struct dec *d, char close)
{
    descend(d);
    d->p++;
    skip_ws(d);
    if (peek(d) != close)
        return 0;
    lua_newtable(d->L);
    d->p++;
    d->depth--;
    return 1;
}

/* After a member: 1 at the container's close (d->p on it), 0 past a
** comma; anything else is the error what. */
static int member_end(struct dec *d, char close, const char *what)
{
    skip_ws(d);
    if (peek(d) == close)
        return 1;
    if (peek(d) != ',')
        dec_error(d, what);
    d->p++;
    return 0;
}

/* Objects: members are collected on the stack and the table is made once
** their number is known, so it never rehashes while it fills; building
** it member by member, as cjson does, resizes it log2(n) times. The
** order pairs() visits string keys in is not something a rule can rely
** on either way: Lua 5.4 seeds its string hash per state. */
static void push_object(struct dec *d)
{
    lua_State *L = d->L;
    int base, n = 0, n_nil = 0, made = 0;

    if (open_container(d, '}'))
        return;
    base = lua_gettop(L);
    for (;;) {
        skip_ws(d);
        if (peek(d) != '"')
            dec_error(d, "expected object key string");
        room_for_member(d);
        push_key(d);
        skip_ws(d);
        if (peek(d) != ':')
            dec_error(d, "expected colon");
        d->p++;
        skip_ws(d);
        push_value(d);
        if (lua_type(L, -1) == LUA_TLIGHTUSERDATA) {
            lua_pop(L, 1);
            lua_pushnil(L);
            n_nil++;
        }
        if (made) {
            lua_rawset(L, base + 1);
        } else if (++n == MSG_PENDING_MAX) {
            make_object(L, base, n, n_nil);
            made = 1;
        }
        if (member_end(d, '}', "expected comma or object end"))
            break;
    }
    d->p++;
    if (!made)
        make_object(L, base, n, n_nil);
    d->depth--;
}

/* Moves the n values above stack slot base, in order, into the table at
** the top, and leaves the table alone at base + 1. */
static void fill_array(lua_State *L, int base, int n)
{
    int t = lua_gettop(L);

    for (int i = 1; i <= n; i++) {
        lua_pushvalue(L, base + i);
        lua_rawseti(L, t, i);
    }
    lua_copy(L, t, base + 1);
    lua_settop(L, base + 1);
}

/* Arrays: collected on the stack like objects. One without nulls gets a
** table sized for it; with nulls, or past MSG_PENDING_MAX elements, the
** table is built element by element exactly as cjson builds it, because
** where '#' finds a border among the holes depends on how the table grew. */
static void push_array(struct dec *d)
{
    lua_State *L = d->L;
    int base, n = 0, nulls = 0, made = 0;

    if (open_container(d, ']'))
        return;
    base = lua_gettop(L);
    for (;;) {
        skip_ws(d);
        room_for_member(d);
        push_value(d);
        nulls += lua_type(L, -1) == LUA_TLIGHTUSERDATA;
        n++;
        if (made) {
            lua_rawseti(L, base + 1, n);
        } else if (n == MSG_PENDING_MAX) {
            lua_newtable(L);
            fill_array(L, base, n);
            made = 1;
        }
        if (member_end(d, ']', "expected comma or array end"))
            break;
    }
    d->p++;
    if (!made) {
        if (nulls)
            lua_newtable(L);
        else
            lua_createtable(L, n, 0);
        fill_array(L, base, n);
    }
    if (nulls)
        drop_nulls(L);
    d->depth--;
}

static int literal(struct dec *d, const char *word, size_t n)
{
    if ((size_t)(d->end - d->p) < n || memcmp(d->p, word, n) != 0)
        return 0;
    d->p += n;
    return 1;
}

/* Pushes the value at p (whitespace already skipped). */
static void push_value(struct dec *d)
{
    int c = peek(d);

    if (c == '{')
        push_object(d);
    else if (c == '[')
        push_array(d);
    else if (c == '"')
        push_string(d);
    else if (c == '-' || (c >= '0' && c <= '9'))
        push_number(d);
    else if (c == 't' && literal(d, "true", 4))
        lua_pushboolean(d->L, 1);
    else if (c == 'f' && literal(d, "false", 5))
        lua_pushboolean(d->L, 0);
    else if (c == 'n' && literal(d, "null", 4))
        NULL_MARK();
    else
        dec_error(d, "invalid token");
}

/* decode_message(ptr, len) -> table; raises on invalid input.
** [-2, +1, e] */
static int decode_message(lua_State *L)
{
    struct dec d;

    d.L = L;
    d.keys = lua_touserdata(L, lua_upvalueindex(1));
    d.start = d.p = lua_touserdata(L, 1);
    d.end = d.p + (size_t)lua_tointeger(L, 2);
    d.depth = 0;
    skip_ws(&d);
    if (peek(&d) != '{')
        return luaL_error(L, "not a JSON object");
    push_value(&d);
    skip_ws(&d);
    if (peek(&d) != 0)
        return dec_error(&d, "expected the end");
    return 1;
}

/* [-0, +0, e] arg: none; leaves the decoder, a closure over its key
** cache and the table holding the cached strings, in the registry. */
static int init_decoder(lua_State *L)
{
    struct key_cache *kc = lua_newuserdatauv(L, sizeof(*kc), 0);

    memset(kc, 0, sizeof(*kc));
    lua_createtable(L, KEY_CACHE_SLOTS, 0);
    for (int i = 1; i <= KEY_CACHE_SLOTS; i++) {     /* an array, not a hash */
        lua_pushboolean(L, 0);
        lua_rawseti(L, -2, i);
    }
    lua_pushcclosure(L, decode_message, 2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &decode_key);
    return 0;
}

int msg_table_init(lua_State *L, char *err, size_t errlen)
{
    lua_pushcfunction(L, init_decoder);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        snprintf(err, errlen, "lua-cjson: %s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return -1;
    }
    return 0;
}

int msg_table_push(lua_State *L, const char *data, size_t len)
{
    size_t i = 0;

    /* A JSON array decodes to a table too; only objects are messages. */
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' ||
                       data[i] == '\n'))
        i++;
    if (i == len || data[i] != '{') {
        lua_pushliteral(L, "not a JSON object");
        return -1;
    }
    lua_rawgetp(L, LUA_REGISTRYINDEX, &decode_key);
    lua_pushlightuserdata(L, (void *)data);
    lua_pushinteger(L, (lua_Integer)len);
    if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
        if (!lua_isstring(L, -1)) {
            lua_pop(L, 1);
            lua_pushliteral(L, "decode failed");
        }
        return -1;
    }
    return 0;
}
