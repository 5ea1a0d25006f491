/*
** test_json_parse.c: the strict JSON reader.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json_parse.h"

static struct json_value *parse(const char *s)
{
    return json_parse(s, strlen(s), NULL, 0);
}

static void test_values(void)
{
    struct json_value *v = parse(
        " {\"n\":null,\"t\":true,\"f\":false,\"i\":-42,\"big\":9223372036854775807,"
        "\"huge\":18446744073709551616,\"d\":1.5e3,\"z\":0,\"s\":\"a\\u00e9\\ud83d\\ude00\","
        "\"a\":[1,[2,{}]],\"dup\":1,\"dup\":2} ");
    int64_t i;
    uint64_t u;
    int b;
    size_t len;

    CHECK(v && v->type == JSON_OBJECT && json_count(v) == 12);
    CHECK(json_get(v, "n")->type == JSON_NULL);
    CHECK(json_bool(json_get(v, "t"), &b) && b == 1);
    CHECK(json_bool(json_get(v, "f"), &b) && b == 0);
    CHECK(json_int(json_get(v, "i"), &i) && i == -42);
    CHECK(!json_uint(json_get(v, "i"), &u));
    CHECK(json_int(json_get(v, "big"), &i) && i == INT64_MAX);
    CHECK(!json_int(json_get(v, "huge"), &i));
    CHECK(!json_uint(json_get(v, "huge"), &u));      /* 2^64: too big */
    CHECK(json_uint(json_get(v, "big"), &u) && u == INT64_MAX);
    CHECK(json_get(v, "huge")->u.num.d > 1.8e19);
    CHECK(!json_int(json_get(v, "d"), &i) && json_get(v, "d")->u.num.d == 1500.0);
    CHECK(json_uint(json_get(v, "z"), &u) && u == 0);
    CHECK_STR(json_str(json_get(v, "s"), &len), "a\xC3\xA9\xF0\x9F\x98\x80");
    CHECK(len == 7);
    CHECK(json_count(json_get(v, "a")) == 2);
    CHECK(json_int(json_at(json_at(json_get(v, "a"), 1), 0), &i) && i == 2);
    CHECK(json_at(json_get(v, "a"), 2) == NULL);
    CHECK(json_int(json_get(v, "dup"), &i) && i == 1);   /* first wins */
    CHECK_STR(json_key_at(v, 11), "dup");
    CHECK(json_get(v, "missing") == NULL);
    CHECK(json_get(json_get(v, "missing"), "x") == NULL);  /* chains */
    CHECK(json_str(json_get(v, "i"), NULL) == NULL);
    json_free(v);
}

static void test_uint64(void)
{
    struct json_value *v = parse("[18446744073709551615,-0,0.0,1e2]");
    uint64_t u;
    int64_t i;

    CHECK(json_uint(json_at(v, 0), &u) && u == UINT64_MAX);
    CHECK(!json_int(json_at(v, 0), &i));
    CHECK(!json_uint(json_at(v, 1), &u) && json_int(json_at(v, 1), &i) && i == 0);
    CHECK(!json_uint(json_at(v, 2), &u) && !json_uint(json_at(v, 3), &u));
    json_free(v);
}

static void test_strings(void)
{
    struct json_value *v = parse("[\"\\u0000x\",\"\\ud800\",\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]");
    size_t len;
    const char *s;

    CHECK(v != NULL);
    s = json_str(json_at(v, 0), &len);
    CHECK(s && len == 2 && s[0] == '\0' && s[1] == 'x');
    CHECK_STR(json_str(json_at(v, 1), NULL), "\xEF\xBF\xBD");   /* lone surrogate */
    CHECK_STR(json_str(json_at(v, 2), NULL), "\"\\/\b\f\n\r\t");
    json_free(v);
}

/* Strings of every length up to 40 with one special byte at every
** position: the 8-bytes-a-step scan of plain text must hand each escape,
** control byte and quote to the exact path wherever it falls in a word
** (and high bytes, which are plain, must stay plain). */
static void test_string_runs(void)
{
    static const struct { const char *in, *out; int ok; } special[] = {
        { "\\n", "\n", 1 }, { "\\\"", "\"", 1 }, { "\\\\", "\\", 1 },
        { "\xC3\xA9", "\xC3\xA9", 1 }, { "\xFF", "\xFF", 1 },
        { "\x01", NULL, 0 }, { "\x1F", NULL, 0 }, { "\t", NULL, 0 },
    };
    char text[128], want[64];
    size_t len, k, pos, n, bad = 0;

    for (k = 0; k < sizeof special / sizeof special[0]; k++) {
        for (n = 0; n <= 40; n++) {
            for (pos = 0; pos <= n; pos++) {
                struct json_value *v;
                const char *got;
                size_t il = strlen(special[k].in);
                memset(want, 'a', pos);
                strcpy(want + pos, special[k].out ? special[k].out : "");
                memset(want + strlen(want), 'b', n - pos);
                want[pos + (special[k].out ? strlen(special[k].out) : 0) +
                     n - pos] = '\0';
                text[0] = '"';
                memset(text + 1, 'a', pos);
                memcpy(text + 1 + pos, special[k].in, il);
                memset(text + 1 + pos + il, 'b', n - pos);
                text[1 + n + il] = '"';
                v = json_parse(text, 2 + n + il, NULL, 0);
                got = v ? json_str(v, &len) : NULL;
                if (special[k].ok ? !got || len != strlen(want) ||
                                    memcmp(got, want, len) != 0
                                  : v != NULL)
                    bad++;
                json_free(v);
            }
        }
    }
    CHECK(bad == 0);
}

static void test_rejects(void)
{
    static const char *bad[] = {
        "", " ", "{", "[1,]", "{\"a\":1,}", "{a:1}", "[1 2]", "01", "-",
        "1.", "1e", ".5", "+1", "tru", "nul", "\"abc", "\"a\\x\"",
        "\"\\u12\"", "\"tab\there\"", "[1]x", "{\"a\" 1}", "[\"a\\\"]",
        "NaN", "'a'", "\"a\\",
    };
    char err[128];
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct json_value *v;

        err[0] = '\0';
        v = json_parse(bad[i], strlen(bad[i]), err, sizeof err);
        if (!CHECK(v == NULL && strstr(err, "at byte") != NULL))
            printf("#   input: %s\n", bad[i]);
        json_free(v);
    }
}

/* Depth is limited so hostile input cannot exhaust the stack. */
static void test_depth(void)
{
    char buf[2 * (JSON_MAX_DEPTH + 2) + 1];
    struct json_value *v;
    int n;

    for (n = JSON_MAX_DEPTH; n <= JSON_MAX_DEPTH + 1; n++) {
        memset(buf, '[', (size_t)n);
        memset(buf + n, ']', (size_t)n);
        v = json_parse(buf, 2 * (size_t)n, NULL, 0);
        CHECK((v != NULL) == (n == JSON_MAX_DEPTH));
        json_free(v);
    }
}

/* The input need not be NUL-terminated: only len bytes are read. */
static void test_not_terminated(void)
{
    const char text[] = { '[', '1', '2', ']', '9' };
    struct json_value *v = json_parse(text, 4, NULL, 0);
    int64_t i;

    CHECK(v && json_int(json_at(v, 0), &i) && i == 12);
    json_free(v);
    v = json_parse(text, 2, NULL, 0);
    CHECK(v == NULL);
}

int main(void)
{
    test_values();
    test_uint64();
    test_string_runs();
    test_strings();
    test_rejects();
    test_depth();
    test_not_terminated();
    return check_done();
}
