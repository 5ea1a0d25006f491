/*
** test_json_buf.c: the JSON writer, checked by reading its output back
** with json_parse (a second, independent path through the bytes).
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json_buf.h"
#include "json_parse.h"

static int parses(const char *s, size_t n)
{
    char err[128];
    struct json_value *v = json_parse(s, n, err, sizeof err);
    int ok = v != NULL;

    if (!ok)
        printf("#   %s\n", err);
    json_free(v);
    return ok;
}

static int parse_quiet(const char *s, size_t n)
{
    struct json_value *v = json_parse(s, n, NULL, 0);
    int ok = v != NULL;

    json_free(v);
    return ok;
}

static void test_structure(void)
{
    struct json_buf b;

    jb_init(&b);
    jb_obj_begin(&b);
    jb_key(&b, "a");
    jb_int(&b, -5);
    jb_key(&b, "b");
    jb_arr_begin(&b);
    jb_uint(&b, 18446744073709551615u);
    jb_bool(&b, 1);
    jb_bool(&b, 0);
    jb_null(&b);
    jb_cstr(&b, NULL);
    jb_obj_begin(&b);
    jb_obj_end(&b);
    jb_arr_begin(&b);
    jb_arr_end(&b);
    jb_arr_end(&b);
    jb_key(&b, "c");
    jb_cstr(&b, "x");
    jb_obj_end(&b);
    CHECK(!jb_failed(&b));
    CHECK_STR(b.data, "{\"a\":-5,\"b\":[18446744073709551615,true,false,"
              "null,null,{},[]],\"c\":\"x\"}");
    jb_free(&b);
}

static void test_escaping(void)
{
    struct json_buf b;
    static const char ctl[] = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f";
    static const char nul[] = { 'a', '\0', 'b' };
    const struct json_value *s;
    struct json_value *v;
    size_t len;
    char err[128];

    jb_init(&b);
    jb_str(&b, ctl, sizeof ctl - 1);
    CHECK_STR(b.data, "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\"");
    jb_reset(&b);
    jb_str(&b, nul, sizeof nul);
    CHECK_STR(b.data, "\"a\\u0000b\"");
    v = json_parse(b.data, b.len, err, sizeof err);
    s = v;
    CHECK(json_str(s, &len) && len == 3 && memcmp(json_str(s, NULL), nul, 3) == 0);
    json_free(v);
    jb_free(&b);
}

/* Valid UTF-8 passes byte for byte; every invalid byte becomes U+FFFD and
** the result always parses. */
static void test_utf8(void)
{
    static const struct { const char *in, *want; } cases[] = {
        { "h\xC3\xA9llo", "\"h\xC3\xA9llo\"" },                  /* é */
        { "\xE2\x82\xAC", "\"\xE2\x82\xAC\"" },                  /* € */
        { "\xF0\x9F\x98\x80", "\"\xF0\x9F\x98\x80\"" },          /* emoji */
        { "a\xFFz", "\"a\xEF\xBF\xBDz\"" },                      /* bad byte */
        { "\xC0\xAF", "\"\xEF\xBF\xBD\xEF\xBF\xBD\"" },          /* overlong */
        { "\xED\xA0\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"" },
        { "\xF4\x90\x80\x80",                                     /* > 10FFFF */
          "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"" },
        { "x\xE2\x82", "\"x\xEF\xBF\xBD\xEF\xBF\xBD\"" },         /* truncated */
        { "latin1 \xE9t\xE9", "\"latin1 \xEF\xBF\xBDt\xEF\xBF\xBD\"" },
    };
    struct json_buf b;
    size_t i;

    jb_init(&b);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jb_reset(&b);
        jb_cstr(&b, cases[i].in);
        CHECK_STR(b.data, cases[i].want);
        CHECK(parses(b.data, b.len));
    }
    jb_free(&b);
}

/* Every byte value, alone and in pairs, still gives JSON that parses. */
static void test_all_bytes_parse(void)
{
    struct json_buf b;
    unsigned i, j;
    int bad = 0;
    char pair[2];

    jb_init(&b);
    for (i = 0; i < 256; i++)
        for (j = 0; j < 256; j++) {
            pair[0] = (char)i;
            pair[1] = (char)j;
            jb_reset(&b);
            jb_str(&b, pair, 2);
            if (jb_failed(&b) || !parse_quiet(b.data, b.len))
                bad++;
        }
    CHECK(bad == 0);
    jb_free(&b);
}

static void test_seconds(void)
{
    static const struct { int64_t ms; const char *want; } cases[] = {
        { 1746292399101, "1746292399.101" }, { 1000, "1" },
        { 1500, "1.5" }, { 1520, "1.52" }, { 0, "0" }, { 5, "0.005" },
        { -1500, "-1.5" },
    };
    struct json_buf b;
    size_t i;

    jb_init(&b);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jb_reset(&b);
        jb_ms_as_seconds(&b, cases[i].ms);
        CHECK_STR(b.data, cases[i].want);
    }
    jb_free(&b);
}

static void test_misuse_and_steal(void)
{
    struct json_buf b;
    char *s;
    size_t len;
    int i;

    jb_init(&b);
    jb_obj_end(&b);                 /* nothing open */
    CHECK(jb_failed(&b));
    CHECK(jb_steal(&b, &len) == NULL && len == 0);

    jb_obj_begin(&b);
    jb_key(&b, "k");
    jb_key(&b, "k2");               /* key without value */
    CHECK(jb_failed(&b));
    jb_free(&b);

    for (i = 0; i <= JB_MAX_DEPTH; i++)
        jb_arr_begin(&b);
    CHECK(jb_failed(&b));
    jb_free(&b);

    jb_arr_begin(&b);
    jb_cstr(&b, "v");
    jb_arr_end(&b);
    s = jb_steal(&b, &len);
    CHECK_STR(s, "[\"v\"]");
    CHECK(len == 5 && b.data == NULL);
    free(s);
}

/* A pre-built value goes where a value goes, commas included. */
static void test_value_raw(void)
{
    struct json_buf b;

    jb_init(&b);
    jb_arr_begin(&b);
    jb_value_raw(&b, "{\"a\":1}", 7);
    jb_value_raw(&b, "{}", 2);
    jb_arr_end(&b);
    jb_obj_begin(&b);
    jb_key(&b, "k");
    jb_value_raw(&b, "[2]", 3);
    jb_obj_end(&b);
    CHECK_STR(b.data, "[{\"a\":1},{}],{\"k\":[2]}");
    CHECK(!jb_failed(&b));
    jb_free(&b);
}

/* Keys of any bytes, NUL included, escaped as strings are. */
static void test_keyn(void)
{
    struct json_buf b;

    jb_init(&b);
    jb_obj_begin(&b);
    jb_keyn(&b, "a\0b", 3);
    jb_int(&b, 1);
    jb_keyn(&b, "\"\xff\n", 3);
    jb_int(&b, 2);
    jb_keyn(&b, "", 0);
    jb_null(&b);
    jb_obj_end(&b);
    CHECK(!jb_failed(&b));
    CHECK_STR(b.data, "{\"a\\u0000b\":1,\"\\\"\xEF\xBF\xBD\\n\":2,\"\":null}");
    CHECK(parses(b.data, b.len));
    jb_free(&b);
}

/* The shortest of %.15g and %.17g that reads back; NaN and infinity
** fail the buffer. */
static void test_double(void)
{
    static const struct { double d; const char *want; } cases[] = {
        { 0.0, "0" }, { -0.0, "-0" }, { 1.5, "1.5" }, { 0.1, "0.1" },
        { 1.0 / 3, "0.33333333333333331" }, { 1e300, "1e+300" },
        { 9007199254740993.0, "9007199254740992" },
        { 5e-324, "4.94065645841247e-324" },
    };
    struct json_buf b;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jb_init(&b);
        jb_double(&b, cases[i].d);
        CHECK(!jb_failed(&b));
        CHECK_STR(b.data, cases[i].want);
        CHECK(strtod(b.data, NULL) == cases[i].d);
        jb_free(&b);
    }
    jb_init(&b);
    jb_arr_begin(&b);
    jb_double(&b, 2.25);
    jb_double(&b, -7);
    jb_arr_end(&b);
    CHECK_STR(b.data, "[2.25,-7]");
    jb_free(&b);
    jb_init(&b);
    jb_double(&b, 0.0 / 0.0);
    CHECK(jb_failed(&b));
    jb_free(&b);
    jb_init(&b);
    jb_double(&b, -1.0 / 0.0);
    CHECK(jb_failed(&b));
    jb_free(&b);
}

/* Several top-level values in one buffer, the way alert lines are kept:
** rewind starts each afresh and undoes one that failed halfway; consume
** drops what was sent. */
static void test_rewind_consume(void)
{
    struct json_buf b;
    size_t mark;

    jb_init(&b);
    jb_rewind(&b, 0);                     /* nothing written yet */
    CHECK(b.len == 0 && !jb_failed(&b));
    jb_obj_begin(&b);
    jb_key(&b, "a");
    jb_int(&b, 1);
    jb_obj_end(&b);
    jb_raw(&b, "\n", 1);
    mark = b.len;
    jb_rewind(&b, mark);                  /* no comma before the next */
    jb_obj_begin(&b);
    jb_key(&b, "b");
    jb_arr_begin(&b);
    jb_int(&b, 2);
    jb_double(&b, 1.0 / 0.0);             /* fails halfway */
    CHECK(jb_failed(&b));
    jb_rewind(&b, mark);
    CHECK(!jb_failed(&b) && b.len == mark);
    CHECK_STR(b.data, "{\"a\":1}\n");
    jb_obj_begin(&b);
    jb_key(&b, "c");
    jb_int(&b, 3);
    jb_obj_end(&b);
    jb_raw(&b, "\n", 1);
    CHECK(!jb_failed(&b));
    CHECK_STR(b.data, "{\"a\":1}\n{\"c\":3}\n");

    jb_consume(&b, 0);
    CHECK(b.len == 16);
    jb_consume(&b, 3);                    /* part of a line was sent */
    CHECK_STR(b.data, "\":1}\n{\"c\":3}\n");
    CHECK(b.len == 13);
    jb_consume(&b, b.len);
    CHECK(b.len == 0 && b.data && b.data[0] == '\0');
    CHECK(!jb_failed(&b));

    jb_consume(&b, 1);                    /* more than there is */
    CHECK(jb_failed(&b));
    jb_rewind(&b, 0);
    CHECK(!jb_failed(&b));
    jb_rewind(&b, 5);                     /* past the end */
    CHECK(jb_failed(&b) && b.len == 0);
    jb_free(&b);
}

/* Integers are written without snprintf: the edges, against it. */
static void test_integers(void)
{
    static const int64_t ints[] = { 0, -1, 9, 10, -10, 99, 100,
                                    INT64_MAX, INT64_MIN, INT64_MIN + 1 };
    static const uint64_t uints[] = { 0, 9, 10, UINT64_MAX };
    char want[32];
    struct json_buf b;
    size_t i;

    jb_init(&b);
    for (i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        jb_reset(&b);
        jb_int(&b, ints[i]);
        snprintf(want, sizeof want, "%" PRId64, ints[i]);
        CHECK_STR(b.data, want);
    }
    for (i = 0; i < sizeof uints / sizeof uints[0]; i++) {
        jb_reset(&b);
        jb_uint(&b, uints[i]);
        snprintf(want, sizeof want, "%" PRIu64, uints[i]);
        CHECK_STR(b.data, want);
    }
    jb_free(&b);
}

/* Strings of every length up to 40 with one byte needing care at every
** position read back as written: the word-at-a-time scan of plain text
** must stop for each wherever it falls in a word. */
static void test_string_runs(void)
{
    static const char *const special[] = { "\"", "\\", "\n", "\x01",
                                           "\x7F", "\xC3\xA9",
                                           "\xF0\x9F\x98\x80" };
    char text[64];
    size_t k, n, pos, len, bad = 0;

    for (k = 0; k < sizeof special / sizeof special[0]; k++) {
        size_t sl = strlen(special[k]);
        for (n = 0; n <= 40; n++) {
            for (pos = 0; pos <= n; pos++) {
                struct json_buf b;
                struct json_value *v;
                const char *got;
                memset(text, 'a', pos);
                memcpy(text + pos, special[k], sl);
                memset(text + pos + sl, 'b', n - pos);
                jb_init(&b);
                jb_str(&b, text, n + sl);
                v = json_parse(b.data, b.len, NULL, 0);
                got = v ? json_str(v, &len) : NULL;
                if (!got || len != n + sl || memcmp(got, text, len) != 0)
                    bad++;
                json_free(v);
                jb_free(&b);
            }
        }
    }
    CHECK(bad == 0);
}

int main(void)
{
    test_structure();
    test_integers();
    test_string_runs();
    test_escaping();
    test_utf8();
    test_all_bytes_parse();
    test_seconds();
    test_misuse_and_steal();
    test_value_raw();
    test_keyn();
    test_double();
    test_rewind_consume();
    return check_done();
}
