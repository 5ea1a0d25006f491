/*
** test_options.c: the option table (core/options.c): every row is sound,
** defaults and ranges come from it, options are refused with the wrong
** source, and --help states every option with its range and default.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "options.h"

/* Parses the NULL-terminated words; the error, if any, in err. */
static enum options_result parse(struct options *o, char *err, size_t errlen,
                                 const char *const *words)
{
    char *argv[32];
    int argc = 0;

    argv[argc++] = "certmon";
    for (; *words && argc < 31; words++)
        argv[argc++] = (char *)*words;
    argv[argc] = NULL;
    err[0] = '\0';
    return options_parse(o, argc, argv, err, errlen);
}

static int is_numeric(const struct option_spec *s)
{
    return s->type == OPT_INT || s->type == OPT_UNSIGNED ||
           s->type == OPT_U64 || s->type == OPT_SIZE ||
           s->type == OPT_BYTES || s->type == OPT_DOUBLE ||
           s->type == OPT_SECONDS_MS;
}

/* The source words an option needs to be accepted, and the option it
** requires, if any (the first of "a|b", with a plausible value). */
static void source_for(const struct option_spec *s, const char **w, int *n)
{
    static char req[64];

    if (s->requires) {
        size_t len = strcspn(s->requires, "|");
        snprintf(req, sizeof req, "--%.*s", (int)len, s->requires);
        w[(*n)++] = req;
        if (strcmp(req, "--alert-webhook") == 0)
            w[(*n)++] = "http://127.0.0.1:1/";
        else if (strcmp(req, "--from") == 0) {
            w[(*n)++] = "0";
            w[(*n)++] = "--to";
            w[(*n)++] = "1";
        } else if (strcmp(req, "--publish") == 0)
            w[(*n)++] = "redis://127.0.0.1:1/?stream=s";
        else if (strcmp(req, "--listen") == 0)
            w[(*n)++] = "127.0.0.1:9464";
        else if (strcmp(req, "--alert-exec") == 0)
            w[(*n)++] = "/bin/true";
        else if (strcmp(req, "--alert-spool") == 0) {
            /* which itself goes with a sink */
            w[(*n)++] = "/tmp/certmon-test-spool";
            w[(*n)++] = "--alert-webhook";
            w[(*n)++] = "http://127.0.0.1:1/";
        }
    }
    if (!s->sources || (s->sources & OPTS_FROM_REPLAY)) {
        w[(*n)++] = "-r";
        w[(*n)++] = "/dev/null";
    } else if (s->sources & OPTS_FROM_WS) {
        w[(*n)++] = "-u";
        w[(*n)++] = "ws://127.0.0.1:1/";
        /* the two bounds of the backoff range are tried one at a time */
        w[(*n)++] = "--reconnect-min-ms";
        w[(*n)++] = "1";
        w[(*n)++] = "--reconnect-max-ms";
        w[(*n)++] = "3600000";
    } else if (s->sources & OPTS_FROM_REDIS) {
        w[(*n)++] = "--redis";
        w[(*n)++] = "redis://127.0.0.1:1/?stream=s&group=g";
    } else {
        w[(*n)++] = "--ct";
        if (strcmp(s->name, "ct-give-up") == 0 ||     /* a backtest's */
            strcmp(s->name, "from") == 0 || strcmp(s->name, "to") == 0) {
            w[(*n)++] = "--from";
            w[(*n)++] = "0";
            w[(*n)++] = "--to";
            w[(*n)++] = "1";
        }
    }
}

/* Every row: a unique name and letter, help, a value name exactly when
** it takes a value, and a default inside its own range. */
static void test_table_sound(void)
{
    size_t n;
    const struct option_spec *t = options_table(&n);
    int ok_names = 1, ok_help = 1, ok_arg = 1, ok_def = 1;

    CHECK(n >= 40 && n <= OPTIONS_MAX);
    for (size_t i = 0; i < n; i++) {
        int takes_value = t[i].type != OPT_FLAG && t[i].type != OPT_SET &&
                          t[i].type != OPT_HELP && t[i].type != OPT_VERSION;
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(t[i].name, t[j].name) == 0 ||
                (t[i].short_name && t[i].short_name == t[j].short_name)) {
                printf("#   %s and %s collide\n", t[i].name, t[j].name);
                ok_names = 0;
            }
        if (!t[i].help || !*t[i].help)
            ok_help = 0;
        if (takes_value != (t[i].arg != NULL)) {
            printf("#   --%s: value name does not match its type\n",
                   t[i].name);
            ok_arg = 0;
        }
        if (is_numeric(&t[i]) && t[i].def != 0 &&
            (t[i].def < t[i].min || (t[i].max > 0 && t[i].def > t[i].max))) {
            printf("#   --%s: default outside its range\n", t[i].name);
            ok_def = 0;
        }
    }
    CHECK(ok_names);
    CHECK(ok_help);
    CHECK(ok_arg);
    CHECK(ok_def);
}

/* No option: the table's defaults. */
static void test_defaults(void)
{
    struct options o;
    char err[256];
    const char *none[] = { NULL };

    CHECK(parse(&o, err, sizeof err, none) == OPTIONS_OK);
    CHECK(o.ping_interval_s == 20 && o.idle_timeout_s == 70);
    CHECK(o.reconnect_min_ms == 1000 && o.reconnect_max_ms == 60000);
    CHECK(o.queue_capacity == 65536 && o.queue_max_bytes == 64u << 20 &&
          o.max_message_bytes == 1u << 20);
    CHECK(o.on_full == FULL_DROP && o.stats_interval_s == 60);
    CHECK(o.store_max_bytes == 64u << 20 && o.rule_budget == 100000000);
    /* --rule-memory: 256 MiB shared by the workers, 32 MiB at least */
    CHECK(o.rule_memory_bytes == ((256u << 20) / (size_t)o.workers > 32u << 20
                                  ? (256u << 20) / (size_t)o.workers
                                  : 32u << 20));
    CHECK(o.rule_fail_limit == 100);
    CHECK(o.ct_poll_ms == 10000 && o.ct_partial_tile_age_ms == 300000);
    CHECK(o.ct_give_up_s == 600 && o.ct_parallel == 2 && o.ct_rate == 2.0);
    CHECK(o.workers >= 1 && o.verbose == 0);
    CHECK(!options_given(&o, "url") && !options_given(&o, "workers"));
    options_free(&o);
}

/* Every numeric option accepts its bounds and refuses what lies beyond
** them, with an error that names the option and the range. */
static void test_every_range(void)
{
    size_t n;
    const struct option_spec *t = options_table(&n);
    int ok = 1;

    for (size_t i = 0; i < n; i++) {
        const struct option_spec *s = &t[i];
        char name[64], lo[64], hi[64], below[64], above[64], err[256];
        const char *w[16];
        int k = 0;
        struct options o;
        if (!is_numeric(s))
            continue;
        snprintf(name, sizeof name, "--%s", s->name);
        snprintf(lo, sizeof lo, "%.15g", s->min);
        snprintf(hi, sizeof hi, "%.15g", s->max);
        snprintf(below, sizeof below, "%.15g",
                 s->type == OPT_DOUBLE || s->type == OPT_SECONDS_MS
                 ? s->min / 2 : s->min - 1);
        snprintf(above, sizeof above, "%.15g", s->max + 1);
        source_for(s, w, &k);
        w[k] = name;
        w[k + 2] = NULL;
        w[k + 1] = lo;
        if (parse(&o, err, sizeof err, w) != OPTIONS_OK) {
            printf("#   %s %s refused: %s\n", name, lo, err);
            ok = 0;
        }
        options_free(&o);
        if (s->max > 0) {
            w[k + 1] = hi;
            if (parse(&o, err, sizeof err, w) != OPTIONS_OK) {
                printf("#   %s %s refused: %s\n", name, hi, err);
                ok = 0;
            }
            options_free(&o);
            w[k + 1] = above;
            if (parse(&o, err, sizeof err, w) != OPTIONS_ERROR ||
                !strstr(err, name) || !strstr(err, " to ")) {
                printf("#   %s %s: %s\n", name, above, err);
                ok = 0;
            }
            options_free(&o);
        }
        if (s->zero_ok) {   /* regression: 0 refused for decimal seconds */
            w[k + 1] = "0";
            if (parse(&o, err, sizeof err, w) != OPTIONS_OK) {
                printf("#   %s 0 refused: %s\n", name, err);
                ok = 0;
            }
            options_free(&o);
        }
        if (s->min > 0 && !(s->zero_ok && s->min - 1 < 1)) {
            w[k + 1] = below;
            if (parse(&o, err, sizeof err, w) != OPTIONS_ERROR) {
                printf("#   %s %s accepted\n", name, below);
                ok = 0;
            }
            options_free(&o);
        }
        w[k + 1] = "x";
        if (parse(&o, err, sizeof err, w) != OPTIONS_ERROR) {
            printf("#   %s x accepted\n", name);
            ok = 0;
        }
        options_free(&o);
    }
    CHECK(ok);
}

/* Regression: --ct-parallel 64 was accepted and silently clamped to 16. */
static void test_ct_parallel_refused(void)
{
    struct options o;
    char err[256];
    const char *w[] = { "--ct", "--ct-parallel", "64", NULL };

    CHECK(parse(&o, err, sizeof err, w) == OPTIONS_ERROR);
    CHECK_STR(err, "--ct-parallel '64': a whole number, from 1 to 16");
    options_free(&o);
}

/* Suffixes and their limits; 0 where it means "off". */
static void test_bytes(void)
{
    struct options o;
    char err[256];
    const char *w1[] = { "--rule-memory", "0", "--store-max", "8m",
                         "--max-message-size", "2k", NULL };
    const char *w2[] = { "--store-max", "99999999999g", NULL };
    const char *w3[] = { "--queue", "4k", NULL };

    CHECK(parse(&o, err, sizeof err, w1) == OPTIONS_OK);
    CHECK(o.rule_memory_bytes == 0 && o.store_max_bytes == 8u << 20 &&
          o.max_message_bytes == 2048);
    options_free(&o);
    CHECK(parse(&o, err, sizeof err, w2) == OPTIONS_ERROR);
    options_free(&o);
    CHECK(parse(&o, err, sizeof err, w3) == OPTIONS_ERROR); /* a count */
    options_free(&o);
}

/* Regression: --insecure, --ping-interval and --on-full were accepted
** with --replay and did nothing. An option of another source is refused,
** naming the source it goes with. */
static void test_wrong_source(void)
{
    static const struct {
        const char *words[6];
        const char *want;
    } cases[] = {
        { { "-r", "x", "--insecure", NULL },
          "--insecure goes with --url or --ct, not --replay" },
        { { "-r", "x", "--ping-interval", "5", NULL },
          "--ping-interval goes with --url, not --replay" },
        { { "-r", "x", "--on-full", "drop", NULL },
          "--on-full goes with --url, not --replay" },
        { { "--ct", "--idle-timeout", "5", NULL },
          "--idle-timeout goes with --url, not --ct" },
        { { "-u", "ws://h/", "--full", NULL },
          "--full goes with --ct, not --url" },
        { { "--ct", "--on-full", "drop", NULL }, "--ct never drops" },
        { { "--check", "--test", NULL }, "choose --check" },
        { { "-u", "http://h/", NULL }, "--url 'http://h/'" },
        { { "-u", "ws://h:99999/", NULL }, "--url 'ws://h:99999/'" },
        { { "--ct", "--ct-log", "ftp://x/", NULL }, "--ct-log 'ftp://x/'" },
        { { "-r", "x", "-u", "ws://h/", NULL }, "choose one source" },
    };

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct options o;
        char err[256];
        int ok = parse(&o, err, sizeof err, cases[i].words) == OPTIONS_ERROR &&
                 strstr(err, cases[i].want) != NULL;
        if (!check_report(ok, __FILE__, __LINE__, cases[i].want))
            printf("#   got: %s\n", err);
        options_free(&o);
    }
    /* source options are harmless with --check: it reads no source */
    {
        struct options o;
        char err[256];
        const char *w[] = { "--check", "-r", "x", "--insecure", NULL };
        CHECK(parse(&o, err, sizeof err, w) == OPTIONS_OK);
        options_free(&o);
    }
}

/* --help names every option with its value, states ranges and defaults,
** and fits 79 columns. */
static void test_help(void)
{
    char *text = NULL;
    size_t len = 0, n;
    FILE *f = open_memstream(&text, &len);
    const struct option_spec *t = options_table(&n);
    int every = 1, narrow = 1;

    options_help(f);
    fclose(f);
    for (size_t i = 0; i < n; i++) {
        char want[96];
        snprintf(want, sizeof want, "--%s%s%s", t[i].name,
                 t[i].arg ? " " : "", t[i].arg ? t[i].arg : "");
        if (!strstr(text, want)) {
            printf("#   --help lacks %s\n", want);
            every = 0;
        }
    }
    for (const char *p = text; *p;) {
        size_t l = strcspn(p, "\n");
        if (l > 79) {
            printf("#   long line: %.*s\n", (int)l, p);
            narrow = 0;
        }
        p += l + (p[l] == '\n');
    }
    CHECK(every);
    CHECK(narrow);
    CHECK(strstr(text, "--ct-parallel N        concurrent requests per log "
                       "(1 to 16; default 2)") != NULL);
    CHECK(strstr(text, "(0 to 3600; default 20)") != NULL);
    CHECK(strstr(text, "default 256m") != NULL);
    free(text);
}

int main(void)
{
    test_table_sound();
    test_defaults();
    test_every_range();
    test_ct_parallel_refused();
    test_bytes();
    test_wrong_source();
    test_help();
    return check_done();
}
