/*
** rules.h: reading rule files and loading them into a state.
**
** A ruleset is a snapshot of the rule files' text, taken once, so every
** worker loads exactly the same rules and no worker reads files. Loading
** compiles each file as text, runs it in its own environment and checks
** the returned table; the same code serves start-up, --check and (later)
** reload, so they can never disagree about what a valid rule is.
*/
#ifndef CERTMON_RULES_H
#define CERTMON_RULES_H

#include <lua.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

struct stats_rule;

#define RULE_FAIL_KINDS 4           /* enum sandbox_failure without OK */

/* One rule file, shared by the workers that load it. */
struct rule_file {
    char *path;                     /* as found: "scripts/x.lua" */
    char *src;                      /* the text, NUL-terminated */
    size_t src_len;
    atomic_uint_fast64_t calls;     /* handler calls, all workers */
    atomic_uint_fast64_t errors;
    atomic_uint_fast64_t time_ns;
    /* one log allowance per failure kind (runtime, memory, budget,
    ** timeout), renewed every status interval: a rule failing on every
    ** message logs its error once a window, then how many were not */
    struct log_budget fail_log[RULE_FAIL_KINDS];
    char fail_what[RULE_FAIL_KINDS][96];    /* the budgets' "what" */
    atomic_uint failures_in_row;    /* reset by a successful call */
    atomic_int disabled;            /* too many failures in a row */
    struct stats_rule *stats;       /* for /metrics; outlives reloads */
};

/* An immutable snapshot of rule files; reference-counted because worker
** states of an old generation may outlive its replacement for a while. */
struct ruleset {
    uint64_t generation;
    struct rule_file *files;
    size_t n_files;
    char **dirs;                    /* distinct folders, for require */
    size_t n_dirs;
    atomic_int refs;
};

/* A rule as loaded into one state. */
struct rule {
    struct rule_file *file;
    char *name;
    int on_cert_ref;                /* registry refs, LUA_NOREF if absent */
    int on_message_ref;
    int table_ref;                  /* the table the file returned */
};

/* Expands paths (a .lua file, or a folder: its *.lua files but *_test.lua,
** sorted) and reads every file. Returns 0 and *out (one reference), or -1
** with a reason in err (unreadable path, no rule files at all). With
** allow_empty, finding no rule file is not an error (a reload after the
** last file was removed). */
int ruleset_read(const char *const *paths, size_t n_paths, int allow_empty,
                 struct ruleset **out, char *err, size_t errlen);

/* A ruleset of the given files (copied), for reload's mixes of old and
** new versions. NULL on OOM. */
struct ruleset *ruleset_from(const struct rule_file *const *files, size_t n);

struct ruleset *ruleset_ref(struct ruleset *rs);
void ruleset_unref(struct ruleset *rs);

/* The file of rs with this path, or NULL. */
struct rule_file *ruleset_find(struct ruleset *rs, const char *path);

/* Called once per problem with the index of the file in its ruleset and a
** "file:line: message" string. */
typedef void (*rules_report_fn)(void *ud, size_t file_index,
                                const char *problem);

/* Loads every file of rs into L (a sandbox state). Rules that load are
** returned in *out (heap array of *n_out, free with rules_free); each
** file that fails is reported and skipped. Returns the number of files
** that failed. The stack is unchanged on return. */
size_t rules_load(lua_State *L, struct ruleset *rs, struct rule **out,
                  size_t *n_out, rules_report_fn report, void *ud);

/* Frees the array and names (the Lua refs go with the state). */
void rules_free(struct rule *rules, size_t n);

struct sandbox_config;

/* A ruleset loaded into a state of its own: what one worker runs. */
struct rules_instance {
    lua_State *L;
    struct rule *rules;
    size_t n_rules;
    struct ruleset *rs;             /* holds a reference */
};

/* Builds a sandbox state and loads rs into it. Returns NULL with a reason
** in err if the state cannot be built or any file fails (each failure is
** also reported when report is set). */
struct rules_instance *rules_instantiate(const struct sandbox_config *sc,
                                         struct ruleset *rs,
                                         rules_report_fn report, void *ud,
                                         char *err, size_t errlen);
void rules_instance_free(struct rules_instance *ri);

#endif
