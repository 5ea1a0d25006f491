/*
** reload.h: hot reload of the rules while certmon runs.
**
** A thread of its own watches the rule folders and lua/ (and takes SIGHUP
** requests), waits for a burst of changes to settle, then builds the next
** generation beside the running one: it reads every rule file, validates
** each in a scratch state, keeps the previous version of each file that
** fails (a new file that fails stays unloaded), builds one state per
** worker and hands them over. Workers switch between two messages, so no
** message is lost or processed twice. If the generation cannot be built
** at all, the running one stays.
*/
#ifndef CERTMON_RELOAD_H
#define CERTMON_RELOAD_H

#include <stddef.h>

#include "rules/rules.h"
#include "rules/sandbox.h"
#include "worker.h"

struct reload_config {
    const char *const *rule_paths;      /* as given on the command line */
    size_t n_rule_paths;
    const struct sandbox_config *sandbox;
    int watch;                          /* inotify; 0 = SIGHUP only */
    unsigned settle_ms;                 /* quiet time before reloading */
};

struct reloader;

/* Starts the reload thread for these workers, which run current (a
** reference is taken). NULL with a reason in err. */
struct reloader *reload_start(const struct reload_config *cfg,
                              struct worker **workers, int n_workers,
                              struct ruleset *current,
                              char *err, size_t errlen);

/* Asks for a reload now (SIGHUP). Async-signal-safe. */
void reload_request(struct reloader *r);

/* pipeline.retire: takes an instance a worker stopped using and frees it
** on the reload thread (or at once after reload_stop). */
void reload_retire(void *arg, struct rules_instance *ri);

/* The ruleset of the newest generation (owned by the reloader). */
struct ruleset *reload_current(struct reloader *r);

/* Stops and joins the thread; retire still works afterwards. */
void reload_stop(struct reloader *r);

/* Frees everything; call after the workers are gone. */
void reload_free(struct reloader *r);

#endif
