/*
** ct_select.h: options -> the CT source (--ct).
*/
#ifndef CERTMON_CT_SELECT_H
#define CERTMON_CT_SELECT_H

#include "options.h"
#include "source.h"

/* The CT source for o: its state folder made, its log list current and
** verified (or the one named), its logs chosen. home is certmon's folder
** (for the shipped list and key). NULL with a reason in err. */
struct source *ct_select_source(const struct options *o, const char *home,
                                char *err, size_t errlen);

#endif
