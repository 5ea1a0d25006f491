/*
** alert.h: alerts as JSON lines, from any worker, never interleaved.
**
** A worker encodes each alert into its own buffer, a json_buf (the rule's
** table is turned into text at once, so later changes to it do not
** matter) and flushes the buffer to the shared output in whole lines
** under one lock. The buffer is freed with jb_free.
*/
#ifndef CERTMON_ALERT_H
#define CERTMON_ALERT_H

#include <lua.h>
#include <stddef.h>

#include "json_buf.h"

/* Opens the output: path NULL or "-" = stdout, else appended to (created
** 0644). Returns 0, or -1 with a reason in err. */
int alert_output_open(const char *path, char *err, size_t errlen);
void alert_output_close(void);

/* Asks the writer to reopen the -o file before its next write (SIGHUP,
** for log rotation). Async-signal-safe. */
void alert_output_request_reopen(void);

/* Appends one line {"rule":RULE,"time":TIME,<fields of the table at idx>}
** to b. Fields named rule or time in the table are ignored: the core's
** values win. Keys are written in byte order; a table whose keys are
** 1..n is an array, an empty table is []; string values are escaped and
** invalid UTF-8 in them is replaced by U+FFFD, so the line is always
** valid JSON with no key twice in an object. The line starts afresh
** whatever b holds (jb_rewind: no comma, no failure carried in). Returns
** 0, or -1 with a reason in err and b's text unchanged: a function or
** userdata value, NaN or infinity, a cycle or nesting deeper than 32, a
** key that is neither string nor number or is not valid UTF-8, two keys
** with the same text (1 and "1"), or running out of memory (the rule
** state's cap, or the buffer's) anywhere in between. Does not raise: the
** work runs under lua_pcall.
** [-0, +0, -] */
int alert_encode(lua_State *L, int idx, const char *rule, double time_s,
                 struct json_buf *b, char *err, size_t errlen);

/* Writes b's whole lines to the output under the output lock and empties
** b; counts the alerts written (stats.alerts_written). Returns 0, or -1 if
** the write failed (logged once); then b holds the bytes not written, for
** the caller to retry or to drop with alert_buf_drop. */
int alert_flush(struct json_buf *b);

/* Gives up on the alerts in b: counts them as lost (stats.alerts_lost;
** logged once) and empties b. */
void alert_buf_drop(struct json_buf *b);

/* Also hands every flushed buffer (whole JSON lines) to fn(arg, ...),
** under the output lock, e.g. for --serve-alerts; NULL to stop. */
void alert_set_tap(void (*fn)(void *arg, const char *lines, size_t len),
                   void *arg);

#endif
