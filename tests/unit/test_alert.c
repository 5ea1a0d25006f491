/*
** test_alert.c: the alert encoder (exact output, validity of every line)
** and the writer (whole lines from many threads).
*/
#include <fcntl.h>
#include <lauxlib.h>
#include <lualib.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "alert.h"
#include "check.h"
#include "rules/msg_table.h"

static lua_State *L;

/* Evaluates the Lua expression expr (a table) and encodes it as an alert
** of rule "r" at time 1.5. Returns the line without "\n", or the error. */
static const char *encode(const char *expr, int *ok)
{
    static char out[4096];
    struct json_buf b = { 0 };
    char code[1024], err[256];
    int top = lua_gettop(L);

    snprintf(code, sizeof(code), "return %s", expr);
    if (luaL_dostring(L, code) != LUA_OK) {
        snprintf(out, sizeof(out), "lua: %s", lua_tostring(L, -1));
        lua_settop(L, top);
        *ok = 0;
        return out;
    }
    *ok = alert_encode(L, -1, "r", 1.5, &b, err, sizeof(err)) == 0;
    if (*ok)
        snprintf(out, sizeof(out), "%.*s", (int)(b.len ? b.len - 1 : 0),
                 b.data);
    else
        snprintf(out, sizeof(out), "%s", err);
    if (!check_report(lua_gettop(L) == top + 1, __FILE__, __LINE__,
                      "stack balanced after alert_encode"))
        printf("#   for %s\n", expr);
    lua_settop(L, top);
    jb_free(&b);
    return out;
}

#define CHECK_ENC(expr, want) do { \
    int ok_; const char *got_ = encode(expr, &ok_); \
    CHECK(ok_); CHECK_STR(got_, want); } while (0)

#define CHECK_ENC_FAILS(expr, want_substr) do { \
    int ok_; const char *got_ = encode(expr, &ok_); \
    CHECK(!ok_); \
    if (!check_report(strstr(got_, want_substr) != NULL, __FILE__, __LINE__, \
                      "error mentions " want_substr)) \
        printf("#   got: %s\n", got_); } while (0)

/* Every encoded line must decode again as a JSON object. */
static int valid_json(const char *expr)
{
    int ok;
    const char *line = encode(expr, &ok);

    if (!ok)
        return 0;
    ok = msg_table_push(L, line, strlen(line)) == 0;
    lua_pop(L, 1);
    return ok;
}

struct writer_arg {
    int id;
};

static void *writer(void *arg)
{
    struct json_buf b = { 0 };
    int id = ((struct writer_arg *)arg)->id;
    char line[600];

    for (int i = 0; i < 2000; i++) {
        /* long lines so a torn write would show */
        int n = snprintf(line, sizeof(line), "{\"w\":%d,\"i\":%d,\"pad\":\"%0500d\"}\n",
                         id, i, 0);
        jb_reset(&b);
        jb_raw(&b, line, (size_t)n);
        alert_flush(&b);
    }
    jb_free(&b);
    return NULL;
}

static void test_writer_lines_whole(void)
{
    char path[] = "/tmp/certmon-alert-XXXXXX", err[256], buf[700];
    int fd = mkstemp(path), bad = 0, lines = 0;
    pthread_t t[4];
    struct writer_arg args[4];
    FILE *f;

    close(fd);
    CHECK(alert_output_open(path, err, sizeof(err)) == 0);
    for (int i = 0; i < 4; i++) {
        args[i].id = i;
        pthread_create(&t[i], NULL, writer, &args[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    alert_output_close();
    f = fopen(path, "r");
    while (fgets(buf, sizeof(buf), f)) {
        lines++;
        if (strncmp(buf, "{\"w\":", 5) != 0 || !strstr(buf, "\"}\n"))
            bad++;
    }
    fclose(f);
    unlink(path);
    CHECK(lines == 8000);
    CHECK(bad == 0);
}

/* An allocator that refuses growth past used + room once armed: the rule
** state's cap, to make each allocation inside the encoder fail in turn. */
struct cap_alloc {
    size_t used, limit;
    int armed;
};

static void *cap_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct cap_alloc *c = ud;

    if (!ptr)
        osize = 0;
    if (nsize == 0) {
        free(ptr);
        c->used -= osize;
        return NULL;
    }
    if (nsize > osize && c->armed && c->used + (nsize - osize) > c->limit)
        return NULL;
    ptr = realloc(ptr, nsize);
    if (ptr)
        c->used += nsize - osize;
    return ptr;
}

/* Regression (sandbox_alert_partial_line.lua): a memory error inside the
** encoder (number keys made strings, key arrays, stack) leaked the key
** array and left a half line in the buffer, so the next alert was glued
** on. Every room from 0 bytes up: either a whole valid line or nothing,
** the buffer as it was, the stack balanced (ASan reports any leak). */
static void test_memory_error_mid_encode(void)
{
    struct cap_alloc c = { 0 };
    lua_State *S = lua_newstate(cap_alloc, &c);
    struct json_buf b = { 0 };
    char err[256];
    int failed = 0, whole = 0, bad = 0;

    CHECK(luaL_dostring(S, "local inner = {} "
                        "for i = 1, 40 do inner[100000 + i * 2] = i end "
                        "return { a = 'first', b = { c = inner }, "
                        "[7] = 'seven', [8.5] = 'x' }") == LUA_OK);
    lua_gc(S, LUA_GCSTOP);
    for (size_t room = 0; room < 16384; room += 16) {
        int top = lua_gettop(S), rc;
        size_t len0;

        jb_reset(&b);
        jb_str(&b, "prev", 4);          /* a value before: no comma after */
        if (jb_failed(&b))
            break;
        len0 = b.len;
        lua_gc(S, LUA_GCCOLLECT);
        lua_gc(S, LUA_GCSTOP);
        c.limit = c.used + room;
        c.armed = 1;
        rc = alert_encode(S, -1, "r", 1.5, &b, err, sizeof(err));
        c.armed = 0;
        if (lua_gettop(S) != top)
            bad++;
        if (rc < 0) {
            failed++;
            if (b.len != len0 || !strstr(err, "memory")) {
                printf("#   room %zu: %s\n", room, err);
                bad++;
            }
        } else {
            whole++;
            if (b.len < len0 + 2 || memcmp(b.data + b.len - 2, "}\n", 2) ||
                b.data[len0] != '{')
                bad++;
        }
    }
    CHECK(failed > 0);
    CHECK(whole > 0);
    CHECK(bad == 0);
    jb_free(&b);
    lua_close(S);
}

int main(void)
{
    char err[256];

    L = luaL_newstate();
    luaL_openlibs(L);
    CHECK(msg_table_init(L, err, sizeof(err)) == 0);

    CHECK_ENC("{}", "{\"rule\":\"r\",\"time\":1.500}");
    CHECK_ENC("{domain='a.com'}",
              "{\"rule\":\"r\",\"time\":1.500,\"domain\":\"a.com\"}");
    /* keys sorted by bytes; core fields cannot be overridden */
    CHECK_ENC("{z=1, a=2, B=3, rule='mine', time=0}",
              "{\"rule\":\"r\",\"time\":1.500,\"B\":3,\"a\":2,\"z\":1}");
    /* arrays, empty tables, nested objects */
    CHECK_ENC("{l={'x','y'}, e={}, o={k=true, n=false}}",
              "{\"rule\":\"r\",\"time\":1.500,\"e\":[],\"l\":[\"x\",\"y\"],"
              "\"o\":{\"k\":true,\"n\":false}}");
    CHECK_ENC("{m={[1]='a',[3]='c'}}",
              "{\"rule\":\"r\",\"time\":1.500,\"m\":{\"1\":\"a\",\"3\":\"c\"}}");
    /* numbers: integers exact, floats shortest round-trip */
    CHECK_ENC("{i=9007199254740993, f=0.1, g=2.5, h=1e300}",
              "{\"rule\":\"r\",\"time\":1.500,\"f\":0.1,\"g\":2.5,"
              "\"h\":1e+300,\"i\":9007199254740993}");
    /* regression (alert_dup_keys.lua): NaN and infinity were written as
    ** null; they are errors naming the field */
    CHECK_ENC_FAILS("{n=0/0}", "'n': NaN or infinity");
    CHECK_ENC_FAILS("{p=1/0}", "'p': NaN or infinity");
    CHECK_ENC_FAILS("{l={1, -1/0}}", "'l': NaN or infinity");
    /* ... two keys with the same text gave {"1":"int","1":"str"} */
    CHECK_ENC_FAILS("{[1]='int', ['1']='str'}", "duplicate key");
    CHECK_ENC_FAILS("{o={[2]='int', ['2']='str'}}", "duplicate key");
    CHECK_ENC_FAILS("{[0.5]='f', ['0.5']='s'}", "duplicate key");
    /* ... and distinct invalid keys all became "\ufffd" */
    CHECK_ENC_FAILS("{['\\xff']=1, ['\\xfe']=2}", "not valid UTF-8");
    /* escapes */
    CHECK_ENC("{s='q\"b\\\\n\\n\\t\\1\\127'}",
              "{\"rule\":\"r\",\"time\":1.500,\"s\":\"q\\\"b\\\\n\\n\\t\\u0001\x7f\"}");
    /* UTF-8 kept; invalid bytes become U+FFFD */
    CHECK_ENC("{s='\\xd0\\xb0p\\xe2\\x82\\xac'}",
              "{\"rule\":\"r\",\"time\":1.500,\"s\":\"\xd0\xb0p\xe2\x82\xac\"}");
    CHECK_ENC("{s='a\\xffb\\xc0\\xafc\\xed\\xa0\\x80'}",
              "{\"rule\":\"r\",\"time\":1.500,\"s\":\"a\xef\xbf\xbd"
              "b\xef\xbf\xbd\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}");
    CHECK_ENC("{s='\\xe2\\x82'}",       /* truncated sequence at the end */
              "{\"rule\":\"r\",\"time\":1.500,\"s\":\"\xef\xbf\xbd\xef\xbf\xbd\"}");
    CHECK(valid_json("{s='\\xff\\xfe\\x00\\x1f', t={'\\x80'}}"));
    CHECK_ENC_FAILS("{['\\xff']=1}", "not valid UTF-8");
    CHECK_ENC("{['\\xd0\\xb0']=1}",          /* valid UTF-8 keys are fine */
              "{\"rule\":\"r\",\"time\":1.500,\"\xd0\xb0\":1}");
    /* what cannot be encoded is an error naming the field */
    CHECK_ENC_FAILS("{f=print}", "'f'");
    CHECK_ENC_FAILS("{f=print}", "function");
    CHECK_ENC_FAILS("(function() local t = {} t.self = t return {x=t} end)()",
                    "too deep");
    CHECK_ENC_FAILS("{[true]=1}", "keys");
    CHECK_ENC_FAILS("'not a table'", "needs a table");

    test_memory_error_mid_encode();
    test_writer_lines_whole();
    lua_close(L);
    return check_done();
}
