/*
** test_msg_table.c: decoding and normalising messages, checked from Lua.
*/
#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>

#include "check.h"
#include "rules/msg_table.h"

static lua_State *L;

/* Decodes json into the global `msg` (or `err` on failure), then runs the
** Lua expression expr, which must be true. */
static int decoded_and(const char *json, const char *expr)
{
    char code[1024];
    int ok;

    if (msg_table_push(L, json, strlen(json)) == 0) {
        lua_setglobal(L, "msg");
        lua_pushnil(L);
        lua_setglobal(L, "err");
    } else {
        lua_setglobal(L, "err");
        lua_pushnil(L);
        lua_setglobal(L, "msg");
    }
    snprintf(code, sizeof(code), "return %s", expr);
    if (luaL_dostring(L, code) != LUA_OK) {
        printf("#   lua: %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
        return 0;
    }
    ok = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return ok;
}

#define CHECK_DECODE(json, expr) do { \
    int top_ = lua_gettop(L); \
    if (!check_report(decoded_and(json, expr), __FILE__, __LINE__, expr)) \
        printf("#   json: %s\n", json); \
    CHECK(lua_gettop(L) == top_); \
} while (0)

int main(void)
{
    char err[256];
    char *fixture;

    L = luaL_newstate();
    luaL_openlibs(L);
    CHECK(msg_table_init(L, err, sizeof(err)) == 0);

    /* null becomes nil: the key is absent */
    CHECK_DECODE("{\"a\":null,\"b\":1}", "msg.a == nil and msg.b == 1");
    CHECK_DECODE("{\"s\":{\"CN\":null,\"O\":\"x\"}}",
                 "msg.s.CN == nil and msg.s.O == 'x'");
    CHECK_DECODE("{\"a\":null}", "next(msg) == nil");
    /* whole numbers become integers, also written as floats */
    CHECK_DECODE("{\"i\":712420366}", "math.type(msg.i) == 'integer'");
    CHECK_DECODE("{\"t\":1508123861.0}",
                 "math.type(msg.t) == 'integer' and msg.t == 1508123861");
    CHECK_DECODE("{\"t\":1e3}", "math.type(msg.t) == 'integer' and msg.t == 1000");
    CHECK_DECODE("{\"n\":-5}", "math.type(msg.n) == 'integer' and msg.n == -5");
    CHECK_DECODE("{\"f\":1509613330.63217}",
                 "math.type(msg.f) == 'float' and msg.f == 1509613330.63217");
    CHECK_DECODE("{\"f\":0.5}", "math.type(msg.f) == 'float'");
    /* arrays, nested, with nulls and numbers inside */
    CHECK_DECODE("{\"a\":[1,2.0,\"x\",[3.0]]}",
                 "#msg.a == 4 and math.type(msg.a[2]) == 'integer' and "
                 "math.type(msg.a[4][1]) == 'integer' and msg.a[3] == 'x'");
    CHECK_DECODE("{\"a\":[1,null,3]}", "msg.a[2] == nil and msg.a[3] == 3");
    CHECK_DECODE("{\"a\":[]}", "type(msg.a) == 'table' and next(msg.a) == nil");
    /* strings byte for byte, including escapes and UTF-8 */
    CHECK_DECODE("{\"s\":\"a\\u00e9\\n\\\"\"}", "msg.s == 'a\\xc3\\xa9\\n\"'");
    CHECK_DECODE("{\"s\":\"\xd0\xb0\xd1\x80\"}", "msg.s == '\\xd0\\xb0\\xd1\\x80'");
    CHECK_DECODE("{\"b\":true,\"c\":false}", "msg.b == true and msg.c == false");
    /* certstream-server-go ends messages with a newline */
    CHECK_DECODE("{\"message_type\":\"heartbeat\"}\n",
                 "msg.message_type == 'heartbeat'");
    /* what is not a JSON object is an error, with a message */
    CHECK_DECODE("{\"a\":", "msg == nil and type(err) == 'string'");
    CHECK_DECODE("not json", "msg == nil and type(err) == 'string'");
    CHECK_DECODE("[1,2]", "msg == nil and err:find('not a JSON object')");
    CHECK_DECODE("42", "msg == nil and err:find('not a JSON object')");
    CHECK_DECODE("{\"a\":NaN}", "msg == nil");
    CHECK_DECODE("{\"a\":Infinity}", "msg == nil");
    /* deep nesting is refused, not a stack overflow */
    {
        char deep[400];
        memset(deep, '[', 200);
        memcpy(deep + 200, "1", 2);
        char json[420];
        snprintf(json, sizeof(json), "{\"a\":%s}", deep);
        CHECK_DECODE(json, "msg == nil and type(err) == 'string'");
    }
    /* a real message: the fields rules use, with the right types */
    fixture = check_slurp("tests/fixtures/certstream/"
                          "certstream-server-go_README_lite_precert_2022.json",
                          NULL);
    CHECK(fixture != NULL);
    if (fixture) {
        CHECK_DECODE(fixture,
            "msg.message_type == 'certificate_update' and "
            "math.type(msg.data.cert_index) == 'integer' and "
            "msg.data.cert_index == 712420366 and "
            "math.type(msg.data.seen) == 'float' and "
            "math.type(msg.data.leaf_cert.not_before) == 'integer' and "
            "msg.data.leaf_cert.all_domains[1] == 'cmslieferhit.e06.k-k.de' "
            "and msg.data.leaf_cert.subject.C == nil and "
            "msg.data.update_type == 'PrecertLogEntry'");
        free(fixture);
    }
    lua_close(L);
    return check_done();
}
