/*
** rule_sample.h: --check with --sample: every rule's handlers run once on
** real messages.
**
** Loading a rule proves its syntax and its returned table; a misspelled
** field (msg.data.laef_cert) or API call (certmon.alrt) shows only when a
** handler runs. So --check also runs every handler on each message of a
** sample file (the bundled demo feed by default) in a sandbox state like
** a worker's, alerts discarded, and reports the first failure of each
** rule file with the file and line Lua gives.
*/
#ifndef CERTMON_RULE_SAMPLE_H
#define CERTMON_RULE_SAMPLE_H

#include <stddef.h>

#include "rules/rules.h"
#include "rules/sandbox.h"

/* Runs rs's handlers on every message of the JSON-lines file path. Each
** rule file that fails is reported once through report, as "file:line:
** message (HANDLER on PATH line N)". Returns the number of rule files
** that failed, or -1 with err set when the sample cannot be read or the
** rules cannot be loaded. */
int rule_sample_run(const struct sandbox_config *sc, struct ruleset *rs,
                    const char *path, rules_report_fn report, void *ud,
                    char *err, size_t errlen);

#endif
