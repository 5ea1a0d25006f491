/*
** options_parse.c: argv → struct options, and --help, both read from the
** one table of options in options.c.
**
** Each argument is found in the table (long name, or short letter), its
** value parsed by its type and checked against the row's range; then the
** defaults of what was not given are set, and the combinations checked:
** an option that goes with another ("requires"), an option of a source
** that is not the one chosen. The errors name the option and what it
** accepts, in the words --help uses.
*/
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ct/ct_loglist.h"
#include "options.h"
#include "version.h"
#include "ws/ws_url.h"

#define N_OPTIONS option_count

/* The default --rule-memory: one budget for the rules' states of the
** whole process, split among the workers, so that more workers do not
** mean more memory (a memory-bomb rule fills every worker's state at
** once: with 256 MiB per state, two workers reached 644 MB RSS). */
static const struct {
    size_t total_bytes;         /* shared by all workers' states */
    size_t min_bytes;           /* no state gets less */
} rule_memory_auto = {
    .total_bytes = 256u << 20,
    .min_bytes = 32u << 20,
};
static const char *const section_titles[] = {
    [OPTS_SOURCE] = "Sources (one of them; default: --url "
                    OPTIONS_DEFAULT_URL ")",
    [OPTS_WS] = "Live WebSocket source (--url)",
    [OPTS_CT] = "CT logs (--ct)",
    [OPTS_REDIS] = "Redis Streams consumer (--redis)",
    [OPTS_RULES] = "Rules",
    [OPTS_PIPELINE] = "Pipeline",
    [OPTS_OUTPUT] = "Output",
    [OPTS_ALERTS] = ("Alert delivery (besides -o; each sink has its own "
                     "queue and thread)"),
    [OPTS_SERVICE] = "Metrics, health and progress",
    [OPTS_SERVE] = "CertStream server (--serve)",
};

static const char usage_head[] =
"Usage: certmon [OPTIONS] [RULE ...]\n"
"\n"
"Watches Certificate Transparency in real time and runs Lua rules on every\n"
"certificate. RULE is a .lua file or a folder of them (default: the\n"
"scripts/ folder shipped with certmon). Alerts are JSON lines.\n";

static const char usage_tail[] =
"\n"
"B takes k, m and g suffixes (powers of 1024). At exit certmon prints one\n"
"line to stderr, also with -q:\n"
"  certmon: certs=N messages=N alerts=N parse_errors=N rule_errors=N ...\n"
"(every field is described in the README; alerts= counts the alerts\n"
"written to -o or stdout). Exit status: 0 done, 1 a rule or source failed\n"
"to start, a backtest gave up on a log or alerts were lost, 2 bad usage.\n"
"\n"
"Environment: CERTMON_HOME is the folder with lua/ and scripts/ when they\n"
"are not found relative to the binary; CERTMON_LUA_DIR overrides lua/.\n";

/* Whether any option of names ("a|b") was given; --a|--b in messages. */
static int any_given(const struct options *o, const char *names)
{
    const char *p = names;

    while (*p) {
        size_t len = strcspn(p, "|");
        for (size_t i = 0; i < N_OPTIONS; i++)
            if (o->given[i] && strlen(option_table[i].name) == len &&
                strncmp(option_table[i].name, p, len) == 0)
                return 1;
        p += len + (p[len] == '|');
    }
    return 0;
}

/* ---- values ------------------------------------------------------------ */

/* A byte count as --help shows it: "256m", "4k", "1500". */
static void format_bytes(double v, char *out, size_t outlen)
{
    unsigned long long b = (unsigned long long)v;

    if (b && b % (1ull << 30) == 0)
        snprintf(out, outlen, "%llug", b >> 30);
    else if (b && b % (1ull << 20) == 0)
        snprintf(out, outlen, "%llum", b >> 20);
    else if (b && b % (1ull << 10) == 0)
        snprintf(out, outlen, "%lluk", b >> 10);
    else
        snprintf(out, outlen, "%llu", b);
}

static void format_value(const struct option_spec *s, double v, char *out,
                         size_t outlen)
{
    if (s->type == OPT_BYTES)
        format_bytes(v, out, outlen);
    else
        snprintf(out, outlen, "%.15g", v);
}

/* "from 1 to 256" / "at least 1000" / "" for the option's range. */
static void format_range(const struct option_spec *s, char *out,
                         size_t outlen)
{
    char lo[32], hi[32];

    format_value(s, s->min, lo, sizeof(lo));
    format_value(s, s->max, hi, sizeof(hi));
    if (s->max > 0)
        snprintf(out, outlen, "%s%s to %s", s->zero_ok ? "0, or from " : "",
                 lo, hi);
    else if (s->min > 0)
        snprintf(out, outlen, "at least %s", lo);
    else
        out[0] = '\0';
}

/* Parses a whole number with an optional k/m/g suffix (powers of 1024)
** when suffixes is set. 0 and *out, or -1. */
int options_parse_whole(const char *s, int suffixes, unsigned long long *out)
{
    char *end;
    unsigned long long v;
    unsigned shift = 0;

    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    if (suffixes && *end && !end[1])
        shift = (*end == 'k' || *end == 'K') ? 10
              : (*end == 'm' || *end == 'M') ? 20
              : (*end == 'g' || *end == 'G') ? 30 : 0;
    if (shift) {
        if (v > (~0ull >> shift))
            return -1;
        v <<= shift;
        end++;
    }
    if (*end)
        return -1;
    *out = v;
    return 0;
}

static int parse_decimal(const char *s, double *out)
{
    char *end;

    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    errno = 0;
    *out = strtod(s, &end);
    return errno || end == s || *end || *out != *out ? -1 : 0;
}

/* The error for a value outside what s accepts. */
static void bad_value(const struct option_spec *s, const char *v, char *err,
                      size_t errlen)
{
    char range[96];
    const char *what = s->unit ? s->unit
                     : s->type == OPT_BYTES ? "bytes (k/m/g suffixes)"
                     : s->type == OPT_DOUBLE ? "a number"
                     : "a whole number";

    format_range(s, range, sizeof(range));
    snprintf(err, errlen, "--%s '%s': %s%s%s", s->name, v, what,
             !range[0] ? "" : s->zero_ok || range[0] == 'a' ? ", " : ", from ",
             range);
}

static int push_str(const char ***v, size_t *n, const char *s)
{
    const char **nv = realloc(*v, (*n + 1) * sizeof(**v));

    if (!nv)
        return -1;
    nv[(*n)++] = s;
    *v = nv;
    return 0;
}

/* Stores value v (NULL for options without one) as spec s says. */
static int apply(struct options *o, const struct option_spec *s,
                 const char *v, char *err, size_t errlen)
{
    char *field = (char *)o + s->offset;
    unsigned long long n = 0;
    double d = 0;

    switch (s->type) {
    case OPT_FLAG:
        *(int *)field = 1;
        return 0;
    case OPT_SET:
        *(int *)field = (int)s->def;
        return 0;
    case OPT_STRING:
        *(const char **)field = v;
        return 0;
    case OPT_LIST:
        if (push_str((const char ***)field,
                     (size_t *)((char *)o + s->count_offset), v) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        return 0;
    case OPT_CHOICE:
        return s->parse(o, v, err, errlen);
    case OPT_INT: case OPT_UNSIGNED: case OPT_U64: case OPT_SIZE:
    case OPT_BYTES:
        if (options_parse_whole(v, s->type == OPT_BYTES, &n) < 0 ||
            !((s->zero_ok && n == 0) ||
              ((double)n >= s->min && (s->max == 0 || (double)n <= s->max))))
            goto bad;
        if (s->type == OPT_INT)
            *(int *)field = (int)n;
        else if (s->type == OPT_UNSIGNED)
            *(unsigned *)field = (unsigned)n;
        else if (s->type == OPT_U64)
            *(uint64_t *)field = (uint64_t)n;
        else
            *(size_t *)field = (size_t)n;
        return 0;
    case OPT_DOUBLE: case OPT_SECONDS_MS:
        if (parse_decimal(v, &d) < 0 ||
            !((s->zero_ok && d == 0) || (d >= s->min && d <= s->max)))
            goto bad;
        if (s->type == OPT_DOUBLE)
            *(double *)field = d;
        else
            *(unsigned *)field = (unsigned)(d * 1000.0 + 0.5);
        return 0;
    case OPT_HELP: case OPT_VERSION:
        return 0;
    }
bad:
    bad_value(s, v, err, errlen);
    return -1;
}

/* Every default of the table, then the ones that depend on the machine. */
static void set_defaults(struct options *o)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    memset(o, 0, sizeof(*o));
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option_spec *s = &option_table[i];
        char *field = (char *)o + s->offset;
        if (s->def == 0 || s->type == OPT_SET)
            continue;
        switch (s->type) {
        case OPT_INT: *(int *)field = (int)s->def; break;
        case OPT_UNSIGNED: *(unsigned *)field = (unsigned)s->def; break;
        case OPT_U64: *(uint64_t *)field = (uint64_t)s->def; break;
        case OPT_SIZE: case OPT_BYTES: *(size_t *)field = (size_t)s->def;
            break;
        case OPT_DOUBLE: *(double *)field = s->def; break;
        case OPT_SECONDS_MS:
            *(unsigned *)field = (unsigned)(s->def * 1000.0 + 0.5);
            break;
        default: break;
        }
    }
    o->on_full = FULL_DROP;
    o->workers = cpus > 0 ? (int)cpus : 1;
}

/* ---- --help ------------------------------------------------------------- */

#define HELP_COL 29
#define HELP_WIDTH 79

/* Writes text from column col, wrapped at HELP_WIDTH, continuation lines
** indented to HELP_COL. */
static void wrap(FILE *out, const char *text, int col)
{
    const char *p = text;

    while (*p) {
        const char *word = p;
        int len;
        while (*p && *p != ' ')
            p++;
        len = (int)(p - word);
        if (col > HELP_COL && col + 1 + len > HELP_WIDTH) {
            fprintf(out, "\n%*s", HELP_COL, "");
            col = HELP_COL;
        } else if (col > HELP_COL) {
            fputc(' ', out);
            col++;
        }
        fprintf(out, "%.*s", len, word);
        col += len;
        while (*p == ' ')
            p++;
    }
    fputc('\n', out);
}

void options_help(FILE *out)
{
    fputs(usage_head, out);
    for (int sec = 0; sec < OPTS_N_SECTIONS; sec++) {
        fprintf(out, "\n%s:\n", section_titles[sec]);
        for (size_t i = 0; i < N_OPTIONS; i++) {
            const struct option_spec *s = &option_table[i];
            char left[64], text[768], def[64] = "", range[96];
            int col;
            if ((int)s->section != sec)
                continue;
            if (s->short_name)
                snprintf(left, sizeof(left), "  -%c, --%s%s%s", s->short_name,
                         s->name, s->arg ? " " : "", s->arg ? s->arg : "");
            else
                snprintf(left, sizeof(left), "      --%s%s%s", s->name,
                         s->arg ? " " : "", s->arg ? s->arg : "");
            format_range(s, range, sizeof(range));
            if (s->def_text)
                snprintf(def, sizeof(def), "%s", s->def_text);
            else if (s->def != 0 && s->type != OPT_SET)
                format_value(s, s->def, def, sizeof(def));
            snprintf(text, sizeof(text), "%s%s%s%s%s%s%s", s->help,
                     range[0] || def[0] ? " (" : "",
                     range[0] ? range : "",
                     range[0] && def[0] ? "; " : "",
                     def[0] ? "default " : "", def,
                     range[0] || def[0] ? ")" : "");
            fputs(left, out);
            col = (int)strlen(left);
            if (col >= HELP_COL - 1) {
                fprintf(out, "\n%*s", HELP_COL, "");
                col = HELP_COL;
            } else {
                fprintf(out, "%*s", HELP_COL - col, "");
                col = HELP_COL;
            }
            wrap(out, text, col);
        }
    }
    fputs(usage_tail, out);
}

/* ---- combinations ------------------------------------------------------- */

static const char *source_name(unsigned src)
{
    return src == OPTS_FROM_CT ? "--ct"
         : src == OPTS_FROM_REPLAY ? "--replay"
         : src == OPTS_FROM_REDIS ? "--redis" : "--url";
}

/* What an option that does not apply to the chosen source goes with. */
static void describe_sources(unsigned mask, char *out, size_t outlen)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        { OPTS_FROM_WS, "--url" }, { OPTS_FROM_CT, "--ct" },
        { OPTS_FROM_REPLAY, "--replay" }, { OPTS_FROM_REDIS, "--redis" },
    };
    size_t w = 0;

    out[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if ((mask & names[i].bit) && w < outlen)
            w += (size_t)snprintf(out + w, outlen - w, "%s%s",
                                  w ? " or " : "", names[i].name);
}

/* Options that make no sense together, caught before anything starts. */
static enum options_result check_combination(struct options *o, char *err,
                                             size_t errlen)
{
    int sources = (o->replay_path != NULL) + (o->n_urls > 0) + o->ct +
                  (o->redis_url != NULL);
    unsigned src = o->ct ? OPTS_FROM_CT
                 : o->replay_path ? OPTS_FROM_REPLAY
                 : o->redis_url ? OPTS_FROM_REDIS : OPTS_FROM_WS;
    int from_given = options_given(o, "from");
    int to_given = options_given(o, "to");
    char why[256];

    if (sources > 1) {
        snprintf(err, errlen, "choose one source: --replay, --url, --ct or "
                 "--redis");
        return OPTIONS_ERROR;
    }
    if (o->ordered && options_given(o, "workers") && o->workers != 1) {
        snprintf(err, errlen, "--ordered runs one worker: drop -w %d",
                 o->workers);
        return OPTIONS_ERROR;
    }
    if (o->check && o->test) {
        snprintf(err, errlen, "choose --check (validate) or --test (run "
                 "the rules' test cases), not both");
        return OPTIONS_ERROR;
    }
    if (o->ct && o->on_full == FULL_DROP && options_given(o, "on-full")) {
        snprintf(err, errlen, "--ct never drops: --on-full drop does not "
                 "apply");
        return OPTIONS_ERROR;
    }
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (o->given[i] && option_table[i].requires &&
            !any_given(o, option_table[i].requires)) {
            char with[256];
            size_t w = 0;
            for (const char *p = option_table[i].requires; *p && w < 200;) {
                size_t len = strcspn(p, "|");
                w += (size_t)snprintf(with + w, sizeof(with) - w, "%s--%.*s",
                                      w ? " or " : "", (int)len, p);
                p += len + (p[len] == '|');
            }
            snprintf(err, errlen, "--%s goes with %s", option_table[i].name,
                     option_table[i].requires_text
                     ? option_table[i].requires_text : with);
            return OPTIONS_ERROR;
        }
    /* --check and --test read no source: source options are harmless */
    for (size_t i = 0; !o->check && !o->test && i < N_OPTIONS; i++) {
        const struct option_spec *s = &option_table[i];
        char with[64];
        if (!o->given[i] || !s->sources || (s->sources & src) ||
            (s->or_with && any_given(o, s->or_with)))
            continue;
        if (o->ct && strcmp(s->name, "on-full") == 0)
            continue;       /* "block" is what --ct does anyway */
        describe_sources(s->sources, with, sizeof(with));
        snprintf(err, errlen, "--%s goes with %s, not %s", s->name, with,
                 source_name(src));
        return OPTIONS_ERROR;
    }
    if ((options_given(o, "log-list-url") || options_given(o, "log-list-key"))
        && options_given(o, "log-list")) {
        snprintf(err, errlen, "--log-list-url and --log-list-key go with "
                 "--ct, without --log-list");
        return OPTIONS_ERROR;
    }
    if (options_given(o, "log-list-refresh") &&
        (options_given(o, "log-list") || options_given(o, "ct-log") ||
         from_given)) {
        snprintf(err, errlen, "--log-list-refresh applies when following "
                 "the fetched list: not with --log-list, --ct-log or a "
                 "backtest");
        return OPTIONS_ERROR;
    }
    if (options_given(o, "ct-give-up") && !from_given) {
        snprintf(err, errlen, "--ct-give-up applies to a backtest (--from N "
                 "--to M): a followed log is retried until it answers");
        return OPTIONS_ERROR;
    }
    if (from_given != to_given || (from_given && o->from > o->to)) {
        snprintf(err, errlen, "a backtest needs --from N --to M with N <= M");
        return OPTIONS_ERROR;
    }
    o->backtest = from_given;
    if (o->reconnect_min_ms > o->reconnect_max_ms) {
        snprintf(err, errlen, "--reconnect-min-ms is above "
                 "--reconnect-max-ms");
        return OPTIONS_ERROR;
    }
    for (size_t i = 0; i < o->n_urls; i++) {
        struct ws_url u;
        int rc = ws_url_parse(&u, o->urls[i], why, sizeof(why));
        ws_url_free(&u);
        if (rc < 0) {
            snprintf(err, errlen, "--url '%s': %s", o->urls[i], why);
            return OPTIONS_ERROR;
        }
    }
    for (size_t i = 0; i < o->n_ct_logs; i++) {
        char norm[1024];
        if (ct_url_normalize(o->ct_logs[i], norm, sizeof(norm), why,
                             sizeof(why)) < 0) {
            snprintf(err, errlen, "--ct-log '%s': %s", o->ct_logs[i], why);
            return OPTIONS_ERROR;
        }
    }
    return OPTIONS_OK;
}

/* ---- parsing ------------------------------------------------------------ */

enum options_result options_parse(struct options *o, int argc, char **argv,
                                  char *err, size_t errlen)
{
    struct option long_options[OPTIONS_MAX + 1];
    char short_options[3 * OPTIONS_MAX + 2];
    size_t ns = 0;
    int c, idx;

    set_defaults(o);
    short_options[ns++] = ':';
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option_spec *s = &option_table[i];
        int has_arg = s->arg != NULL;
        long_options[i] = (struct option){ s->name,
            has_arg ? required_argument : no_argument, NULL, 256 + (int)i };
        if (s->short_name) {
            short_options[ns++] = s->short_name;
            if (has_arg)
                short_options[ns++] = ':';
        }
    }
    memset(&long_options[N_OPTIONS], 0, sizeof(long_options[0]));
    short_options[ns] = '\0';
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, short_options, long_options,
                            &idx)) != -1) {
        const struct option_spec *s = NULL;
        if (c >= 256 && c < 256 + (int)N_OPTIONS)
            s = &option_table[c - 256];
        else
            for (size_t i = 0; i < N_OPTIONS && !s; i++)
                if (option_table[i].short_name && option_table[i].short_name == c)
                    s = &option_table[i];
        if (c == ':') {
            snprintf(err, errlen, "option %s needs a value",
                     argv[optind - 1]);
            return OPTIONS_ERROR;
        }
        if (!s) {
            snprintf(err, errlen, "unknown option %s (see --help)",
                     argv[optind - 1]);
            return OPTIONS_ERROR;
        }
        if (s->type == OPT_HELP) {
            options_help(stdout);
            return OPTIONS_EXIT;
        }
        if (s->type == OPT_VERSION) {
            printf("certmon %s\n", CERTMON_VERSION);
            return OPTIONS_EXIT;
        }
        o->given[s - option_table] = 1;
        if (apply(o, s, optarg, err, errlen) < 0)
            return OPTIONS_ERROR;
    }
    for (int i = optind; i < argc; i++)
        if (push_str(&o->rule_paths, &o->n_rule_paths, argv[i]) < 0) {
            snprintf(err, errlen, "out of memory");
            return OPTIONS_ERROR;
        }
    if (o->ordered && !options_given(o, "workers"))
        o->workers = 1;
    if (!options_given(o, "rule-memory")) {
        size_t each = rule_memory_auto.total_bytes /
                      (size_t)(o->workers > 0 ? o->workers : 1);
        o->rule_memory_bytes = each > rule_memory_auto.min_bytes ?
                               each : rule_memory_auto.min_bytes;
    }
    return check_combination(o, err, errlen);
}

void options_free(struct options *o)
{
    for (size_t i = 0; i < N_OPTIONS; i++)       /* the repeatable ones */
        if (option_table[i].type == OPT_LIST) {
            const char ***v = (const char ***)((char *)o +
                                               option_table[i].offset);
            free(*v);
            *v = NULL;
            *(size_t *)((char *)o + option_table[i].count_offset) = 0;
        }
    free(o->rule_paths);
    o->rule_paths = NULL;
    o->n_rule_paths = 0;
}
