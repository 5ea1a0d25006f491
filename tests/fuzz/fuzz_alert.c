/*
** fuzz_alert.c: the alert encoder (core/alert.c), fed Lua tables built
** from the fuzz input.
**
** The input is a little program that builds one value (see build): a
** table of up to 12 entries whose keys and values are strings (any
** bytes), integers, floats (any bit pattern: NaN, infinities, -0),
** booleans, nested tables, a table already built (shared or a cycle), or
** a function. The encoder promises that it never raises, leaves the
** stack as it was, and either appends exactly one line that is valid
** JSON - an object whose "rule" and "time" are the core's, once each -
** or fails with a reason and leaves the buffer unchanged. A top-level
** field whose key and value are plain (printable ASCII key, valid UTF-8
** string without control bytes, integer, finite float) must read back as
** the same value.
*/
#include <lauxlib.h>
#include <lualib.h>
#include <math.h>

#include "alert.h"
#include "fuzz_util.h"
#include "json_parse.h"

static lua_State *L;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    L = luaL_newstate();
    FUZZ_ASSERT(L != NULL);
    luaL_openlibs(L);
    return 0;
}

static int dummy(lua_State *l)
{
    return 0;
}

/* Pushes one value read from in; tables built so far are kept in the
** table at index `made` (a sequence) so that later values can refer to
** them. [-0, +1, m] */
static void build(struct fuzz_in *in, int made, int depth)
{
    unsigned op = fuzz_byte(in);

    /* each level holds a table, a key and a value: room for them, or
    ** nesting past LUA_MINSTACK writes beyond the stack */
    luaL_checkstack(L, 4, "fuzz input nesting");

    switch (op % 9) {
    case 0: {
        size_t n = fuzz_byte(in) % 40;
        if (n > in->left)
            n = in->left;
        lua_pushlstring(L, (const char *)in->p, n);
        in->p += n, in->left -= n;
        break;
    }
    case 1: {
        uint64_t v = 0;
        for (int i = 0; i < (int)(op >> 4) + 1 && i < 8; i++)
            v = v << 8 | fuzz_byte(in);
        /* negated in unsigned arithmetic: INT64_MIN is reachable */
        lua_pushinteger(L, (lua_Integer)(op & 0x10 ? 0 - v : v));
        break;
    }
    case 2: {
        uint64_t bits = 0;
        double d;
        for (int i = 0; i < 8; i++)
            bits = bits << 8 | fuzz_byte(in);
        memcpy(&d, &bits, sizeof d);
        lua_pushnumber(L, d);
        break;
    }
    case 3:
        lua_pushboolean(L, op & 0x10);
        break;
    case 4:
    case 5: {
        unsigned n = fuzz_byte(in) % 13;
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawseti(L, made, (lua_Integer)lua_rawlen(L, made) + 1);
        for (unsigned i = 0; i < n && in->left > 0; i++) {
            if (op % 9 == 5)
                lua_pushinteger(L, (lua_Integer)i + 1);   /* an array */
            else if (depth < 40)
                build(in, made, depth + 1);
            else
                lua_pushinteger(L, (lua_Integer)i);
            if (depth < 40)
                build(in, made, depth + 1);
            else
                lua_pushboolean(L, 1);
            if (lua_isnil(L, -2) ||
                (lua_type(L, -2) == LUA_TNUMBER && isnan(lua_tonumber(L, -2))))
                lua_pop(L, 2);      /* not a key Lua takes */
            else
                lua_rawset(L, -3);
        }
        break;
    }
    case 6: {
        lua_Integer n = (lua_Integer)lua_rawlen(L, made);
        if (n == 0)
            lua_pushliteral(L, "");
        else
            lua_rawgeti(L, made, 1 + (lua_Integer)fuzz_byte(in) % n);
        break;
    }
    case 7:
        lua_pushcfunction(L, dummy);
        break;
    default:
        lua_pushinteger(L, (lua_Integer)op);
        break;
    }
}

static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i], need, cp;
        if (c < 0x20 || c == 0x7f)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            need = 1, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            need = 2, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            need = 3, cp = c & 0x07;
        else
            return 0;
        if (i + need >= n)
            return 0;
        for (unsigned k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        i += need + 1;
    }
    return 1;
}

static int plain_key(const char *k, size_t n)
{
    if (n == 0 || !strcmp(k, "rule") || !strcmp(k, "time"))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (k[i] < 0x21 || k[i] > 0x7e || k[i] == '"' || k[i] == '\\')
            return 0;
    return 1;
}

/* The top-level plain fields of the table at idx read back from doc. */
static void check_fields(int idx, const struct json_value *doc)
{
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        size_t kn, vn;
        const char *k, *v;
        const struct json_value *got;

        if (lua_type(L, -2) != LUA_TSTRING) {
            lua_pop(L, 1);
            continue;
        }
        k = lua_tolstring(L, -2, &kn);
        if (!plain_key(k, kn) || strlen(k) != kn) {
            lua_pop(L, 1);
            continue;
        }
        got = json_get(doc, k);
        if (lua_type(L, -1) == LUA_TSTRING) {
            v = lua_tolstring(L, -1, &vn);
            if (valid_utf8((const unsigned char *)v, vn)) {
                size_t gn;
                const char *g = json_str(got, &gn);
                FUZZ_ASSERT(g && gn == vn && memcmp(g, v, vn) == 0);
            }
        } else if (lua_isinteger(L, -1)) {
            int64_t i;
            FUZZ_ASSERT(json_int(got, &i) && i == lua_tointeger(L, -1));
        } else if (lua_type(L, -1) == LUA_TNUMBER &&
                   isfinite(lua_tonumber(L, -1))) {
            FUZZ_ASSERT(got && got->type == JSON_NUMBER &&
                        got->u.num.d == lua_tonumber(L, -1));
        }
        lua_pop(L, 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    struct json_buf b = { 0 };
    char err[256] = "";
    int top = lua_gettop(L), rc, value;
    size_t before;

    if (size > 4096)
        return 0;
    /* an earlier alert in the buffer: a failure must leave it alone */
    lua_newtable(L);
    FUZZ_ASSERT(alert_encode(L, -1, "earlier", 1.0, &b, err, sizeof err) == 0);
    lua_pop(L, 1);
    before = b.len;
    lua_newtable(L);                       /* top + 1: tables made */
    build(&in, top + 1, 0);                /* top + 2: the value */
    value = top + 2;
    rc = alert_encode(L, value, "fuzz\xff\"rule", 12.5, &b, err, sizeof err);
    FUZZ_ASSERT(lua_gettop(L) == top + 2);
    if (rc != 0) {
        FUZZ_ASSERT(b.len == before && err[0] != '\0');
    } else {
        const char *line = b.data + before;
        size_t n = b.len - before;
        struct json_value *doc;
        size_t n_rule = 0, n_time = 0;

        FUZZ_ASSERT(n > 0 && line[n - 1] == '\n');
        FUZZ_ASSERT(memchr(line, '\n', n - 1) == NULL);
        doc = json_parse(line, n - 1, err, sizeof err);
        if (!doc) {
            fprintf(stderr, "not JSON: %s\n%.*s\n", err, (int)n, line);
            abort();
        }
        FUZZ_ASSERT(doc->type == JSON_OBJECT);
        for (size_t i = 0; i < json_count(doc); i++) {
            /* by length too: a key may hold a NUL ("rule\u0000x") */
            int four = doc->u.c.key_lens[i] == 4;
            n_rule += four && !strcmp(json_key_at(doc, i), "rule");
            n_time += four && !strcmp(json_key_at(doc, i), "time");
        }
        if (n_rule != 1 || n_time != 1)
            fprintf(stderr, "%.*s", (int)n, line);
        FUZZ_ASSERT(n_rule == 1 && n_time == 1);
        FUZZ_ASSERT(json_str(json_get(doc, "rule"), NULL) &&
                    !strcmp(json_str(json_get(doc, "rule"), NULL),
                            "fuzz\xef\xbf\xbd\"rule"));
        if (lua_istable(L, value))
            check_fields(value, doc);
        json_free(doc);
    }
    lua_settop(L, top);
    /* what this input allocated is freed now: libFuzzer counts mallocs
    ** against frees per input and runs a (slow) leak scan otherwise */
    lua_gc(L, LUA_GCCOLLECT);
    jb_free(&b);
    return 0;
}
