/*
** options.c: command-line parsing and --help.
*/
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "version.h"

static const struct options option_defaults = {
    .ping_interval_s = 20,
    .idle_timeout_s = 70,
    .reconnect_min_ms = 1000,
    .reconnect_max_ms = 60000,
    .queue_capacity = 1024,
    .max_message_bytes = 1u << 20,
    .on_full = FULL_DROP,
    .stats_interval_s = 60,
    .store_max_bytes = 64u << 20,
    .rule_budget = 100000000,
    .rule_memory_bytes = 256u << 20,
    .rule_fail_limit = 100,
};

static const char usage_text[] =
"Usage: certmon [OPTIONS] [RULE ...]\n"
"\n"
"Watches Certificate Transparency in real time and runs Lua rules on every\n"
"certificate. RULE is a .lua file or a folder of them (default: the\n"
"scripts/ folder shipped with certmon). Alerts are JSON lines.\n"
"\n"
"Sources:\n"
"  -r, --replay FILE          read messages from FILE, one JSON object a\n"
"                             line ('-' = stdin); never drops\n"
"\n"
"Rules:\n"
"      --check                load and validate the rules, print every\n"
"                             problem as file:line: message, exit 0 or 1\n"
"      --test                 run the test cases of the rules, exit 0 if\n"
"                             all pass\n"
"      --no-reload            do not reload rules when their files change\n"
"                             (and ignore SIGHUP)\n"
"      --rule-budget N        instructions a rule may run per call\n"
"                             (default 100000000)\n"
"      --rule-memory B        memory of each worker's Lua state (default\n"
"                             256m; k/m/g suffixes; 0 = no cap)\n"
"      --rule-fail-limit K    disable a rule that fails K calls in a row\n"
"                             until its file changes (default 100, 0 = never)\n"
"      --unsafe               give rules the full Lua standard library\n"
"                             (io, os, debug, C modules); limits still apply\n"
"\n"
"Pipeline:\n"
"  -w, --workers N            Lua worker threads (default: CPUs)\n"
"  -n, --max-messages N       exit after N certificate messages were\n"
"                             processed\n"
"      --queue N              messages buffered between source and\n"
"                             workers (default 1024)\n"
"      --max-message-size B   larger messages are counted as parse errors\n"
"                             and skipped (default 1048576; k/m suffixes)\n"
"      --on-full drop|block   when the queue is full: drop the message\n"
"                             (counted) or wait; replay always waits\n"
"      --store-max B          memory for certmon.store, oldest entries\n"
"                             evicted past it (default 64m)\n"
"\n"
"Output:\n"
"  -o, --output FILE          append alerts to FILE (default: stdout)\n"
"  -v, --verbose              debug logging\n"
"  -q, --quiet                errors only\n"
"  -h, --help                 this text\n"
"      --version              the version\n"
"\n"
"At exit certmon prints one line to stderr:\n"
"  certmon: certs=N messages=N alerts=N parse_errors=N rule_errors=N\n"
"           dropped=N reconnects=N errors=N bytes=N elapsed_s=S\n"
"Exit status: 0 done, 1 a rule or source failed to start, 2 bad usage.\n";

enum {
    OPT_CHECK = 256,
    OPT_QUEUE,
    OPT_MAX_SIZE,
    OPT_ON_FULL,
    OPT_VERSION,
    OPT_STORE_MAX,
    OPT_TEST,
    OPT_NO_RELOAD,
    OPT_UNSAFE,
    OPT_RULE_BUDGET,
    OPT_RULE_MEMORY,
    OPT_RULE_FAIL_LIMIT,
};

static const struct option long_options[] = {
    { "replay", required_argument, NULL, 'r' },
    { "workers", required_argument, NULL, 'w' },
    { "max-messages", required_argument, NULL, 'n' },
    { "output", required_argument, NULL, 'o' },
    { "verbose", no_argument, NULL, 'v' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { "check", no_argument, NULL, OPT_CHECK },
    { "queue", required_argument, NULL, OPT_QUEUE },
    { "max-message-size", required_argument, NULL, OPT_MAX_SIZE },
    { "on-full", required_argument, NULL, OPT_ON_FULL },
    { "version", no_argument, NULL, OPT_VERSION },
    { "store-max", required_argument, NULL, OPT_STORE_MAX },
    { "test", no_argument, NULL, OPT_TEST },
    { "no-reload", no_argument, NULL, OPT_NO_RELOAD },
    { "unsafe", no_argument, NULL, OPT_UNSAFE },
    { "rule-budget", required_argument, NULL, OPT_RULE_BUDGET },
    { "rule-memory", required_argument, NULL, OPT_RULE_MEMORY },
    { "rule-fail-limit", required_argument, NULL, OPT_RULE_FAIL_LIMIT },
    { NULL, 0, NULL, 0 }
};

/* "--name" of the option whose getopt value is c, for messages. */
static const char *opt_name(int c)
{
    static char buf[64];

    for (const struct option *lo = long_options; lo->name; lo++)
        if (lo->val == c) {
            snprintf(buf, sizeof(buf), "--%s", lo->name);
            return buf;
        }
    return "option";
}

/* Parses a whole number in [min, max] with an optional k/m/g suffix
** (powers of 1024) when suffixes is set. */
static int parse_count(const char *s, unsigned long long min,
                       unsigned long long max, int suffixes,
                       unsigned long long *out)
{
    char *end;
    unsigned long long v;

    if (!s || !*s || *s == '-')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    if (suffixes && *end) {
        unsigned shift = (*end == 'k' || *end == 'K') ? 10
                       : (*end == 'm' || *end == 'M') ? 20
                       : (*end == 'g' || *end == 'G') ? 30 : 0;
        if (!shift || end[1] || v > (max >> shift))
            return -1;
        v <<= shift;
        end++;
    }
    if (*end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
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

enum options_result options_parse(struct options *o, int argc, char **argv,
                                  char *err, size_t errlen)
{
    unsigned long long v;
    int c = 0;

    *o = option_defaults;
    {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        o->workers = cpus > 0 ? (int)cpus : 1;
    }
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":r:w:n:o:vqh", long_options,
                            NULL)) != -1) {
        switch (c) {
        case 'r':
            o->replay_path = optarg;
            break;
        case 'w':
            if (parse_count(optarg, 1, 256, 0, &v) < 0)
                goto bad_value;
            o->workers = (int)v;
            break;
        case 'n':
            if (parse_count(optarg, 1, UINT64_MAX, 0, &v) < 0)
                goto bad_value;
            o->max_messages = v;
            break;
        case 'o':
            o->output_path = optarg;
            break;
        case 'v':
            o->verbose = 1;
            break;
        case 'q':
            o->verbose = -1;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return OPTIONS_EXIT;
        case OPT_VERSION:
            printf("certmon %s\n", CERTMON_VERSION);
            return OPTIONS_EXIT;
        case OPT_CHECK:
            o->check = 1;
            break;
        case OPT_QUEUE:
            if (parse_count(optarg, 1, 1u << 24, 0, &v) < 0)
                goto bad_value;
            o->queue_capacity = (size_t)v;
            break;
        case OPT_MAX_SIZE:
            if (parse_count(optarg, 64, 1ull << 30, 1, &v) < 0)
                goto bad_value;
            o->max_message_bytes = (size_t)v;
            break;
        case OPT_ON_FULL:
            if (strcmp(optarg, "drop") == 0)
                o->on_full = FULL_DROP;
            else if (strcmp(optarg, "block") == 0)
                o->on_full = FULL_BLOCK;
            else
                goto bad_value;
            o->on_full_given = 1;
            break;
        case OPT_STORE_MAX:
            if (parse_count(optarg, 4096, 1ull << 40, 1, &v) < 0)
                goto bad_value;
            o->store_max_bytes = (size_t)v;
            break;
        case OPT_TEST:
            o->test = 1;
            break;
        case OPT_NO_RELOAD:
            o->no_reload = 1;
            break;
        case OPT_UNSAFE:
            o->unsafe = 1;
            break;
        case OPT_RULE_BUDGET:
            if (parse_count(optarg, 1000, UINT64_MAX, 0, &v) < 0)
                goto bad_value;
            o->rule_budget = v;
            break;
        case OPT_RULE_MEMORY:
            if (strcmp(optarg, "0") != 0 &&
                parse_count(optarg, 1u << 20, 1ull << 40, 1, &v) < 0)
                goto bad_value;
            o->rule_memory_bytes = strcmp(optarg, "0") ? (size_t)v : 0;
            break;
        case OPT_RULE_FAIL_LIMIT:
            if (parse_count(optarg, 0, 1u << 30, 0, &v) < 0)
                goto bad_value;
            o->rule_fail_limit = (unsigned)v;
            break;
        case ':':
            snprintf(err, errlen, "option %s needs a value", argv[optind - 1]);
            return OPTIONS_ERROR;
        default:
            snprintf(err, errlen, "unknown option %s (see --help)",
                     argv[optind - 1]);
            return OPTIONS_ERROR;
        }
    }
    for (int i = optind; i < argc; i++)
        if (push_str(&o->rule_paths, &o->n_rule_paths, argv[i]) < 0) {
            snprintf(err, errlen, "out of memory");
            return OPTIONS_ERROR;
        }
    return OPTIONS_OK;
bad_value:
    snprintf(err, errlen, "invalid value '%s' for %s (see --help)", optarg,
             opt_name(c));
    return OPTIONS_ERROR;
}

void options_free(struct options *o)
{
    free(o->rule_paths);
    free(o->urls);
    o->rule_paths = o->urls = NULL;
    o->n_rule_paths = o->n_urls = 0;
}
