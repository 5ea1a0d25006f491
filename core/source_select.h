/*
** source_select.h: the source the command line asks for.
**
** One of: a replay file (never drops, waits for the workers), the live
** CertStream WebSocket (drops by default, never stalls the socket), or
** direct CT logs (never drops; positions committed as workers finish).
*/
#ifndef CERTMON_SOURCE_SELECT_H
#define CERTMON_SOURCE_SELECT_H

#include <stddef.h>

#include "options.h"
#include "source.h"

struct source_choice {
    struct source *src;
    enum full_policy on_full;       /* what the intake does when full */
    const char *seq_label;          /* how logs name a message's seq */
};

/* Builds the source for o. home is certmon's folder (for the shipped log
** list). Returns 0, or -1 with a reason in err. */
int source_select(const struct options *o, const char *home,
                  struct source_choice *out, char *err, size_t errlen);

/* pipeline.on_done and on_invalid for a source that has done and
** invalid (source.h); arg is the source. */
void source_done(void *arg, uint64_t seq);
void source_invalid(void *arg, uint64_t seq);

#endif
