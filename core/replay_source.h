/*
** replay_source.h: messages from a file or stdin, one JSON object a line.
**
** Blank lines are skipped and CRLF is accepted. A line longer than the
** size cap is counted as a parse error, reported with its line number and
** skipped without ever being held in memory whole. Replay never drops: it
** waits for the workers when the queue is full.
*/
#ifndef CERTMON_REPLAY_SOURCE_H
#define CERTMON_REPLAY_SOURCE_H

#include <stddef.h>

#include "source.h"

/* Opens path ("-" = stdin). NULL with a reason in err. */
struct source *replay_source_new(const char *path, char *err, size_t errlen);

#endif
