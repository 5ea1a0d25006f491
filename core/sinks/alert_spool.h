/*
** alert_spool.h: a sink's spool: alerts waiting for delivery, on disk.
**
** Each sink NAME has, in the --alert-spool folder, NAME.jsonl (alerts to
** send again), NAME.replay.jsonl (the lines a replay is sending; left
** behind only by a run that stopped mid-replay) and NAME.rejected.jsonl
** (alerts the receiver refused, kept for inspection, never sent again).
** Every write is whole lines, appended and fsync'd before it returns.
** Each file may be capped: an append that would take it past the cap
** fails with EFBIG and writes nothing (putting a replay's rest back is
** never refused: those alerts were in the spool already).
** Thread-safe: one lock per spool.
*/
#ifndef CERTMON_ALERT_SPOOL_H
#define CERTMON_ALERT_SPOOL_H

#include <stdint.h>
#include <stdio.h>

enum alert_spool_file { ALERT_SPOOL_PENDING, ALERT_SPOOL_REJECTED };

struct alert_spool;

/* The spool of sink name in dir (not touched yet), each file capped at
** max_bytes (0 = no cap). NULL on OOM. */
struct alert_spool *alert_spool_new(const char *dir, const char *name,
                                    size_t max_bytes);
void alert_spool_free(struct alert_spool *sp);

/* The path of the pending file, for messages. */
const char *alert_spool_path(const struct alert_spool *sp);

/* Appends data[0..len) (whole lines, each with its '\n') to the file.
** Returns 0, or -1 with errno set (EFBIG: it would pass the cap). */
int alert_spool_append(struct alert_spool *sp, enum alert_spool_file which,
                       const char *data, size_t len);

/* Why an append failed with errnum, for the sink's loss line: the cap,
** or strerror(errnum). */
const char *alert_spool_why(int errnum);

/* The same for one line given without its '\n'. */
int alert_spool_append_line(struct alert_spool *sp,
                            enum alert_spool_file which, const char *line,
                            size_t len);

/* Takes the lines to replay: a replay file left by an interrupted replay,
** else the pending file, renamed so that new alerts start a fresh one.
** Returns it open for reading, or NULL when there is nothing to replay
** (errno 0) or it cannot be read (errno set). */
FILE *alert_spool_take(struct alert_spool *sp);

/* A replay stopped at line (given without its '\n'): appends it and the
** rest of f to the pending file, streaming, one fsync; *lines = how many.
** Returns 0, or -1 with errno set. */
int alert_spool_put_back(struct alert_spool *sp, const char *line,
                         size_t len, FILE *f, uint64_t *lines);

/* Ends a replay: closes f and removes the replay file, unless keep (then
** its lines are sent again, some twice, at the next replay). */
void alert_spool_finish(struct alert_spool *sp, FILE *f, int keep);

/* Creates dir if missing, checks it is a writable folder and locks it
** for this process (one certmon per spool folder: two would replay the
** same alerts twice). Returns the lock's descriptor (close it to
** unlock), or -1 with a reason in err. */
int alert_spool_lock_dir(const char *dir, char *err, size_t errlen);

#endif
