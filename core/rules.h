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

/* One rule file, shared by the workers that load it. */
struct rule_file {
    char *path;                     /* as found: "scripts/x.lua" */
    char *src;                      /* the text, NUL-terminated */
    size_t src_len;
    atomic_uint_fast64_t calls;     /* handler calls, all workers */
    atomic_uint_fast64_t errors;
    atomic_uint_fast64_t time_ns;
    atomic_uint logged;             /* error kinds already logged (bits) */
};

struct ruleset {
    uint64_t generation;
    struct rule_file *files;
    size_t n_files;
    char **dirs;                    /* distinct folders, for require */
    size_t n_dirs;
};

/* A rule as loaded into one state. */
struct rule {
    struct rule_file *file;
    char *name;
    int on_cert_ref;                /* registry refs, LUA_NOREF if absent */
    int on_message_ref;
};

/* Expands paths (a .lua file, or a folder: its *.lua files but *_test.lua,
** sorted) and reads every file. Returns 0 and *out, or -1 with a reason in
** err (unreadable path, no rule files at all). */
int ruleset_read(const char *const *paths, size_t n_paths,
                 struct ruleset **out, char *err, size_t errlen);
void ruleset_free(struct ruleset *rs);

/* Called once per problem with a "file:line: message" string. */
typedef void (*rules_report_fn)(void *ud, const char *problem);

/* Loads every file of rs into L. Rules that load are returned in *out
** (heap array of *n_out, free with rules_free); each file that fails is
** reported and skipped. Returns the number of files that failed.
** The stack is unchanged on return. */
size_t rules_load(lua_State *L, struct ruleset *rs, struct rule **out,
                  size_t *n_out, rules_report_fn report, void *ud);

/* Frees the array and names (the Lua refs go with the state). */
void rules_free(struct rule *rules, size_t n);

#endif
