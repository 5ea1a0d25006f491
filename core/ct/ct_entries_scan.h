/*
** ct_entries_scan.h: the fast path for get-entries bodies. Logs answer
** {"entries":[{"leaf_input":"...","extra_data":"..."},...]} and nothing
** else; this reads exactly that shape in place, base64 straight from the
** body, with no JSON tree and no copies of the strings. Anything else,
** and any entry that does not decode, is left to ct_entries_parse_json,
** which gives the same entries and the same errors as before.
*/
#ifndef CERTMON_CT_ENTRIES_SCAN_H
#define CERTMON_CT_ENTRIES_SCAN_H

#include <stddef.h>

#include "ct/ct_entry.h"

/* Fills out (zeroed first) from body when it has the exact shape above
** and every entry decodes: returns 1. Otherwise returns 0 with out empty
** and nothing else done: parse the body with ct_entries_parse_json. */
int ct_entries_scan(const char *body, size_t len, struct ct_entry_list *out);

#endif
