/*
** rule_test.h: certmon --test, the test cases rules carry.
**
** A rule's cases are its table's `tests` list and the list returned by a
** sibling NAME_test.lua. Each case gives the input (a message table, a
** JSON string, a fixture file of messages, or just the domains of a
** certificate) and the alerts expected; the rule runs on it exactly as in
** production (same sandbox, same limits, same encoder), with an empty
** store, and the alerts are compared field by field.
*/
#ifndef CERTMON_RULE_TEST_H
#define CERTMON_RULE_TEST_H

#include <stdio.h>

#include "rules/rules.h"
#include "rules/sandbox.h"

/* Runs every case of every rule in rs, printing PASS/FAIL lines and a
** summary to out. Returns 0 if all passed and there was at least one
** case, 1 otherwise. */
int rule_test_run(const struct sandbox_config *sc, struct ruleset *rs,
                  FILE *out);

#endif
