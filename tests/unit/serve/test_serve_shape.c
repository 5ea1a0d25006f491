/*
** test_serve_shape.c: lite and domains-only cut out of full messages,
** checked by reading the results back with json_parse (an independent
** reader) and comparing with the full message's own fields.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json_buf.h"
#include "json_parse.h"
#include "serve/serve_shape.h"

/* Every element of a and b equal as strings, in order. */
static int same_strings(const struct json_value *a, const struct json_value *b)
{
    if (!a || !b || a->type != JSON_ARRAY || json_count(a) != json_count(b))
        return 0;
    for (size_t i = 0; i < json_count(a); i++) {
        size_t la, lb;
        const char *sa = json_str(json_at(a, i), &la);
        const char *sb = json_str(json_at(b, i), &lb);
        if (!sa || !sb || la != lb || memcmp(sa, sb, la))
            return 0;
    }
    return 1;
}

/* The shapes of one full message from a fixture file. */
static void check_file(const char *path)
{
    size_t len = 0;
    char *text = check_slurp(path, &len);
    struct json_buf b;
    struct json_value *full, *lite, *dns;
    const struct json_value *fleaf, *lleaf;

    printf("# %s\n", path);
    if (!CHECK(text != NULL))
        return;
    jb_init(&b);
    full = json_parse(text, len, NULL, 0);
    CHECK(serve_shape_is_cert(text, len) == 1);

    CHECK(serve_shape_write(SERVE_LITE, text, len, &b) == 0);
    CHECK(b.len > 0 && b.data[b.len - 1] == '\n');
    lite = json_parse(b.data, b.len, NULL, 0);
    CHECK(lite != NULL);
    CHECK(json_get(json_get(lite, "data"), "chain") == NULL);
    lleaf = json_get(json_get(lite, "data"), "leaf_cert");
    fleaf = json_get(json_get(full, "data"), "leaf_cert");
    CHECK(lleaf && json_get(lleaf, "as_der") == NULL);
    CHECK(same_strings(json_get(lleaf, "all_domains"),
                       json_get(fleaf, "all_domains")));
    /* every member but the two cut ones is still there */
    CHECK(json_count(lleaf) + (json_get(fleaf, "as_der") != NULL) ==
          json_count(fleaf));
    CHECK(json_count(json_get(lite, "data")) +
          (json_get(json_get(full, "data"), "chain") != NULL) ==
          json_count(json_get(full, "data")));

    jb_reset(&b);
    CHECK(serve_shape_write(SERVE_DOMAINS, text, len, &b) == 0);
    dns = json_parse(b.data, b.len, NULL, 0);
    CHECK(dns != NULL);
    CHECK_STR(json_str(json_get(dns, "message_type"), NULL), "dns_entries");
    CHECK(same_strings(json_get(dns, "data"), json_get(fleaf, "all_domains")));

    jb_reset(&b);
    CHECK(serve_shape_write(SERVE_FULL, text, len, &b) == 0);
    CHECK(b.len > 0 && b.data[b.len - 1] == '\n');
    json_free(lite);
    lite = json_parse(b.data, b.len, NULL, 0);
    CHECK(lite && json_count(json_get(lite, "data")) ==
          json_count(json_get(full, "data")));

    json_free(full);
    json_free(lite);
    json_free(dns);
    jb_free(&b);
    free(text);
}

/* The cut members at every position: first, middle, last, alone. */
static void test_positions(void)
{
    static const struct {
        const char *in, *lite;
    } cases[] = {
        { "{\"message_type\":\"certificate_update\",\"data\":{\"chain\":[{\"a\":1}],"
          "\"leaf_cert\":{\"as_der\":\"QQ==\",\"all_domains\":[\"a.b\"]}}}",
          "{\"message_type\":\"certificate_update\",\"data\":{"
          "\"leaf_cert\":{\"all_domains\":[\"a.b\"]}}}\n" },
        { "{\"message_type\":\"certificate_update\",\"data\":{"
          "\"leaf_cert\":{\"all_domains\":[],\"as_der\":\"QQ==\"},\"chain\":[]}}",
          "{\"message_type\":\"certificate_update\",\"data\":{"
          "\"leaf_cert\":{\"all_domains\":[]}}}\n" },
        { "{ \"data\" : { \"x\" : 1 , \"chain\" : [ ] , \"leaf_cert\" : { "
          "\"as_der\" : \"\" } } , \"message_type\" : \"certificate_update\" }\n",
          "{ \"data\" : { \"x\" : 1 , \"leaf_cert\" : {  } } , "
          "\"message_type\" : \"certificate_update\" }\n" },
        { "{\"message_type\":\"certificate_update\",\"data\":{\"leaf_cert\":{}}}",
          "{\"message_type\":\"certificate_update\",\"data\":{\"leaf_cert\":{}}}\n" },
    };
    struct json_buf b;

    jb_init(&b);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        jb_reset(&b);
        CHECK(serve_shape_write(SERVE_LITE, cases[i].in, strlen(cases[i].in),
                                &b) == 0);
        CHECK_STR(b.data, cases[i].lite);
    }
    jb_reset(&b);
    CHECK(serve_shape_write(SERVE_DOMAINS, cases[3].in, strlen(cases[3].in),
                            &b) == 0);
    CHECK_STR(b.data, "{\"message_type\":\"dns_entries\",\"data\":[]}");
    jb_free(&b);
}

static void test_refused(void)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{\"message_type\":\"heartbeat\",\"timestamp\":1.5}",
        "{\"message_type\":\"certificate_update\",\"data\":{",
        "{\"message_type\":\"certificate_update\",\"data\":{\"leaf_cert\":{}}} x",
        "{\"message_type\":\"certificate_update\",\"data\":{\"leaf_cert\":{\"a\":\"\x01\"}}}",
        "{\"message_type\":\"certificate_update\"}",
        "{\"message_type\":\"certificate_update\",\"data\":{\"leaf_cert\":[1,]}}",
    };
    struct json_buf b;

    jb_init(&b);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        jb_reset(&b);
        CHECK(serve_shape_write(SERVE_LITE, bad[i], strlen(bad[i]), &b) < 0);
    }
    CHECK(serve_shape_is_cert(bad[2], strlen(bad[2])) == 0);
    CHECK(serve_shape_is_cert(bad[1], strlen(bad[1])) == -1);
    /* nesting deeper than the scanner follows is refused, not a crash */
    {
        char deep[4096];
        size_t n = 0;
        n += (size_t)sprintf(deep, "{\"message_type\":\"certificate_update\","
                             "\"data\":{\"leaf_cert\":{\"x\":");
        for (int i = 0; i < 1000; i++)
            deep[n++] = '[';
        for (int i = 0; i < 1000; i++)
            deep[n++] = ']';
        n += (size_t)sprintf(deep + n, "}}}");
        jb_reset(&b);
        CHECK(serve_shape_write(SERVE_LITE, deep, n, &b) < 0);
    }
    jb_free(&b);
}

int main(void)
{
    static const char *const files[] = {
        "tests/fixtures/certstream/certstream-analytics_samples_0_full_2018.json",
        "tests/fixtures/certstream/certstream-analytics_samples_1_full_2018.json",
        "tests/fixtures/certstream/certstream-go_README_full_2017.json",
        "tests/fixtures/certstream/certstream-server_frontend_example_full_2020.json",
        "tests/fixtures/certstream/certstream-server-go_README_lite_precert_2022.json",
    };

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        check_file(files[i]);
    test_positions();
    test_refused();
    return check_done();
}
