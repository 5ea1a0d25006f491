/*
** test_msg_table_equiv.c: the one-pass decoder (msg_table_push) against
** its reference, lua-cjson's decode followed by msg_table_normalise, on
** every fixture message and on thousands of damaged variants of them.
**
** "Equal" is what a rule could observe: both refuse the input, or both
** give tables with the same keys, the same values with the same
** math.type, and the same '#' and rawlen for every table, recursively.
** The order pairs() visits string keys in is not compared: Lua 5.4 seeds
** its string hash per state, so no rule can rely on it even with cjson.
*/
#include <lauxlib.h>
#include <lualib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rules/msg_table_ref.h"

static lua_State *L;
static int n_compared, n_both_failed;

/* Compares both decoders on data; reports the first difference. */
static int equivalent(const char *data, size_t len, const char *what)
{
    int top = lua_gettop(L), ok = 1, mine;

    msg_table_ref_push(L, data, len, 0);
    mine = msg_table_push(L, data, len) == 0;
    if (lua_isnil(L, -2) || !mine) {
        if (lua_isnil(L, -2) != !mine) {
            printf("#   %s: reference %s, decoder %s (%s)\n", what,
                   lua_isnil(L, -2) ? "refuses" : "accepts",
                   mine ? "accepts" : "refuses",
                   mine ? "" : lua_tostring(L, -1));
            ok = 0;
        } else {
            n_both_failed++;
        }
    } else {
        lua_getglobal(L, "same");
        lua_pushvalue(L, -3);
        lua_pushvalue(L, -3);
        lua_pushliteral(L, "msg");
        lua_call(L, 3, 2);
        if (!lua_toboolean(L, -2)) {
            printf("#   %s: differs at %s\n", what, lua_tostring(L, -1));
            ok = 0;
        }
        n_compared++;
    }
    lua_settop(L, top);
    return ok;
}

static uint32_t rng = 12345;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* The message, every prefix of it, and random one-byte damage. */
static void damaged_variants(const char *msg, size_t len, const char *name)
{
    static const char bytes[] = "\"\\{}[],:09-+.eEnulltrue \t\n\x80\xff/xu";
    char *buf = malloc(len + 1), what[640];
    int all = 1;

    memcpy(buf, msg, len);
    buf[len] = '\0';
    for (size_t cut = 0; cut < len; cut++)
        if (!equivalent(buf, cut, name)) {
            all = 0;
            break;
        }
    snprintf(what, sizeof(what), "%s: every prefix", name);
    check_report(all, __FILE__, __LINE__, what);
    all = 1;
    for (int i = 0; i < 3000 && all; i++) {
        size_t at = next_rand() % len;
        char old = buf[at];
        buf[at] = bytes[next_rand() % (sizeof(bytes) - 1)];
        if (next_rand() % 8 == 0)
            buf[at] = '\0';
        all = equivalent(buf, len, name);
        buf[at] = old;
    }
    snprintf(what, sizeof(what), "%s: 3000 one-byte mutations", name);
    check_report(all, __FILE__, __LINE__, what);
    free(buf);
}

/* Every line of a JSON-lines file; damaged variants of the first few. */
static void lines_of(const char *path, int damage)
{
    size_t len, n = 0;
    char *text = check_slurp(path, &len), *p, *nl, what[512];

    CHECK(text != NULL);
    if (!text)
        return;
    for (p = text; p < text + len; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(text + len - p));
        if (!nl)
            nl = text + len;
        if (nl == p)
            continue;
        n++;
        snprintf(what, sizeof(what), "%s line %zu", path, n);
        check_report(equivalent(p, (size_t)(nl - p), what), __FILE__,
                     __LINE__, what);
        if (damage-- > 0)
            damaged_variants(p, (size_t)(nl - p), what);
    }
    free(text);
}

static void whole_file(const char *path)
{
    size_t len;
    char *text = check_slurp(path, &len);

    CHECK(text != NULL);
    if (text)
        check_report(equivalent(text, len, path), __FILE__, __LINE__, path);
    free(text);
}

static const char *const edge_cases[] = {
    "{}", " {} ", "{\"a\":null}", "{\"a\":1,\"a\":null}", "{\"a\":null,\"a\":2}",
    "{\"a\":[null]}", "{\"a\":[1,null,3]}", "{\"a\":[null,null,3,null]}",
    "{\"a\":[1,2,3,null,null,null,null,8]}", "{\"a\":{\"b\":null,\"c\":1}}",
    "{\"n\":-0}", "{\"n\":0}", "{\"n\":-0.0}", "{\"n\":1.}", "{\"n\":.5}",
    "{\"n\":-.5}", "{\"n\":01}", "{\"n\":0x10}", "{\"n\":-0x10}", "{\"n\":1e400}",
    "{\"n\":-1e400}", "{\"n\":1e-400}", "{\"n\":123456789012345}",
    "{\"n\":1234567890123456}", "{\"n\":12345678901234567}",
    "{\"n\":9007199254740993}", "{\"n\":-9007199254740993}",
    "{\"n\":1234567890123456789012345678901234567890123456789012345678901234567890}",
    "{\"n\":1.0000000000000000000000000000000000000000000000000000000000000000000001}",
    "{\"n\":1.00000000000000000000000000000000000000000000000000000000000000000000e}",
    "{\"n\":9223372036854775807}", "{\"n\":9223372036854775808}",
    "{\"n\":-9223372036854775808}", "{\"n\":1E3}", "{\"n\":1e+3}",
    "{\"n\":2.5e1}", "{\"n\":1508123861.0}", "{\"n\":+1}", "{\"n\":-}",
    "{\"n\":Infinity}", "{\"n\":-Infinity}", "{\"n\":NaN}", "{\"n\":-nan}",
    "{\"n\":inf}", "{\"n\":1.5.3}", "{\"n\":1e}", "{\"n\":1ee5}", "{\"n\":0e}",
    "{\"s\":\"\\u0000\"}", "{\"s\":\"\\ud83d\\ude00\"}", "{\"s\":\"\\ud83d\"}",
    "{\"s\":\"\\ude00\"}", "{\"s\":\"\\ud83dx\"}", "{\"s\":\"\\u12\"}",
    "{\"s\":\"\\uzzzz\"}", "{\"s\":\"\\q\"}", "{\"s\":\"\\/\\b\\f\\n\\r\\t\"}",
    "{\"s\":\"\x01\x1f\"}", "{\"s\":\"\xff\xfe\"}", "{\"s\":\"abc",
    "{\"\\u00e9\":1}", "{\"a\":true,\"b\":false}", "{\"a\":tru}",
    "{\"a\":nul}", "{\"a\":1,}", "{,}", "{\"a\" 1}", "{\"a\":1 \"b\":2}",
    "{\"a\":[1,]}", "{\"a\":[,1]}", "{\"a\":[1 2]}", "{\"a\":1}x",
    "{\"a\":1} {}", "{\"a\":1}\n", "{\"a\":1}\r\n", "{1:2}", "[1]", "1", "",
    "   ", "{\"a\":\"b\"}\v", "{\f}", "{\"a\":[[[[[[[[[[1]]]]]]]]]]}",
    "{\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":null,\"k7\":7}",
    /* keys around the decoder's key cache: empty, 31 and 32 bytes,
    ** escaped, with a control byte, the same key twice in a row */
    "{\"\":1,\"\":2}",
    "{\"abcdefghijklmnopqrstuvwxyz01234\":1,\"abcdefghijklmnopqrstuvwxyz012345\":2}",
    "{\"a\\nb\":1,\"a\\nb\":2,\"anb\":3}", "{\"a\x01\":1}",
    "{\"x\":{\"x\":{\"x\":1}},\"y\":[{\"x\":2},{\"x\":3}]}",
};

/* Appends printf output to the growing buffer *b (length *n). */
static void put(char **b, size_t *n, size_t *cap, const char *text)
{
    size_t len = strlen(text);

    if (*n + len + 1 > *cap) {
        *cap = (*n + len + 1) * 2;
        *b = realloc(*b, *cap);
    }
    memcpy(*b + *n, text, len + 1);
    *n += len;
}

/* Containers around the size where the decoder stops collecting members
** on the stack and builds the table as they come: arrays with and
** without nulls (holes near the end, where '#' looks for a border),
** objects with nulls and duplicate keys, a nest of large arrays, and one
** array larger than the Lua stack could hold as pending values. */
static void large_containers(void)
{
    static const int sizes[] = { 1000, 1023, 1024, 1025, 2047, 3000 };
    char *b = NULL, item[64], what[96];
    size_t n, cap = 0;

    for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
        for (int form = 0; form < 4; form++) {
            n = 0;
            put(&b, &n, &cap, form == 3 ? "{\"o\":{" : "{\"a\":[");
            for (int i = 1; i <= sizes[k]; i++) {
                int null = (form == 1 && (i % 7 == 0 || i > sizes[k] - 3)) ||
                           (form == 2 && i == sizes[k] - 1) ||
                           (form == 3 && i % 5 == 0);
                if (form == 3)
                    snprintf(item, sizeof(item), "%s\"k%d\":%s",
                             i > 1 ? "," : "", i % 1500,
                             null ? "null" : "1");
                else
                    snprintf(item, sizeof(item), "%s%s", i > 1 ? "," : "",
                             null ? "null" : "\"x\"");
                put(&b, &n, &cap, item);
            }
            put(&b, &n, &cap, form == 3 ? "}}" : "]}");
            snprintf(what, sizeof(what), "%d members, form %d", sizes[k],
                     form);
            check_report(equivalent(b, n, what), __FILE__, __LINE__, what);
        }
    }
    n = 0;
    put(&b, &n, &cap, "{\"a\":");
    for (int depth = 0; depth < 60; depth++) {
        put(&b, &n, &cap, "[");
        for (int i = 0; i < 1500; i++)
            put(&b, &n, &cap, "1,");
    }
    put(&b, &n, &cap, "2");
    for (int depth = 0; depth < 60; depth++)
        put(&b, &n, &cap, "]");
    put(&b, &n, &cap, "}");
    CHECK(equivalent(b, n, "60 nested arrays of 1500"));
    n = 0;
    put(&b, &n, &cap, "{\"a\":[");
    for (int i = 0; i < 1200000; i++)
        put(&b, &n, &cap, "7,");
    put(&b, &n, &cap, "8]}");
    CHECK(equivalent(b, n, "an array of 1.2 million numbers"));
    free(b);
}

int main(void)
{
    char deep[300];

    L = luaL_newstate();
    luaL_openlibs(L);
    CHECK(msg_table_init(L, deep, sizeof(deep)) == 0);
    CHECK(msg_table_ref_open(L) == 0);
    lua_settop(L, 0);

    for (size_t i = 0; i < sizeof(edge_cases) / sizeof(*edge_cases); i++)
        check_report(equivalent(edge_cases[i], strlen(edge_cases[i]),
                                edge_cases[i]), __FILE__, __LINE__,
                     edge_cases[i]);
    /* an embedded NUL: cjson stops reading there */
    CHECK(equivalent("{\"a\":1}\0{", 9, "NUL after the object"));
    CHECK(equivalent("{\"a\":\"x\0y\"}", 11, "NUL in a string"));
    /* nesting: 64 levels pass, 65 are refused, as with cjson */
    for (int depth = 62; depth <= 66; depth++) {
        size_t n = 0;
        deep[n++] = '{';
        deep[n++] = '"';
        deep[n++] = 'a';
        deep[n++] = '"';
        deep[n++] = ':';
        for (int i = 1; i < depth; i++)
            deep[n++] = '[';
        deep[n++] = '1';
        for (int i = 1; i < depth; i++)
            deep[n++] = ']';
        deep[n++] = '}';
        CHECK(equivalent(deep, n, "deep nesting"));
    }

    large_containers();
    lines_of("tests/fixtures/certstream/all.jsonl", 11);
    lines_of("tests/fixtures/ct/expected/certstream-server-go/"
             "calidog-standard_entry.jsonl", 1);
    lines_of("tests/fixtures/ct/expected/certstream-server-go/"
             "ctgo-logclient-TestGetEntries.jsonl", 0);
    lines_of("tests/fixtures/ct/expected/certstream-server-go/"
             "ctgo-scanner-FourEntries.jsonl", 0);
    lines_of("tests/fixtures/ct/expected/certstream-server-go/"
             "navigli2025h2-tile-data-000-first3.tiled.jsonl", 1);
    {
        static const char *const pretty[] = {
            "certstream-analytics_samples_0_full_2018.json",
            "certstream-analytics_samples_1_full_2018.json",
            "certstream-go_README_full_2017.json",
            "certstream-match_domains-only_dns_entries.json",
            "certstream-python_README_full_2017.json",
            "certstream-server-go_README_lite_precert_2022.json",
            "certstream-server_README_full_2017_der-placeholders.json",
            "certstream-server_frontend_example_full_2020.json",
            "certstream-server_frontend_example_lite-with-chain_2020.json",
            "certstream-server_frontend_heartbeat_2017.json",
            "internetnl-ctlssa_test_ingest_lite_precert_2024.json",
        };
        char path[512];
        for (size_t i = 0; i < sizeof(pretty) / sizeof(*pretty); i++) {
            snprintf(path, sizeof(path), "tests/fixtures/certstream/%s",
                     pretty[i]);
            whole_file(path);
        }
    }
    printf("# %d inputs decoded to equal tables, %d refused by both\n",
           n_compared, n_both_failed);
    CHECK(n_compared > 1000);
    CHECK(n_both_failed > 1000);
    CHECK(lua_gettop(L) == 0);
    lua_close(L);
    return check_done();
}
