/*
** ct_state.h: where certmon is in every CT log, across restarts.
**
** Two parts:
**  - position files: one small JSON file per log in the state directory,
**    replaced atomically (temp file, fsync, rename, fsync of the
**    directory), so after a crash or kill -9 a file holds either the old
**    or the new position, never a mix;
**  - the completion tracker: entries are fetched and processed out of
**    order (parallel fetchers, N workers), but a position may only be
**    committed when every entry before it was processed and its alerts
**    written. The tracker keeps that contiguous watermark.
*/
#ifndef CERTMON_CT_STATE_H
#define CERTMON_CT_STATE_H

#include <stddef.h>
#include <stdint.h>

struct ct_position {
    uint64_t next_index;        /* first entry not yet processed */
    uint64_t tree_size;         /* largest tree size seen (never lowered) */
    int64_t sth_timestamp_ms;   /* timestamp of that tree head, 0 unknown */
};

/* Creates the state directory (mode 0700) if it does not exist and checks
** that it is a writable directory. */
int ct_state_dir_prepare(const char *dir, char *err, size_t errlen);

/* Takes an exclusive lock on the state directory so two certmon processes
** never write the same positions. Returns a descriptor to keep open for
** the run (close it to release), or -1 with err set (already locked). */
int ct_state_lock(const char *dir, char *err, size_t errlen);

/* The position file of a log: "<dir>/<host_path>-<8 hex of SHA-256 of
** url>.json", readable and collision-safe. Returns 0 or -1 if too long. */
int ct_state_path(const char *dir, const char *url, char *out,
                  size_t outlen);

enum ct_pos_result {
    CT_POS_ABSENT = 0,          /* no file: a log seen for the first time */
    CT_POS_LOADED = 1,
    CT_POS_ERROR = -1,          /* unreadable, corrupt, or another log's */
};

/* Reads the position of the log at url. A corrupt file is an error, not
** "absent": starting over silently would skip or repeat entries. */
enum ct_pos_result ct_state_load(const char *dir, const char *url,
                                 struct ct_position *pos, char *err,
                                 size_t errlen);

/* Replaces the position of the log at url atomically and durably. */
int ct_state_save(const char *dir, const char *url,
                  const struct ct_position *pos, char *err, size_t errlen);

/* ---- the completion tracker -------------------------------------- */

struct ct_tracker;

/* A tracker whose watermark starts at start; at most window entries at
** or above the watermark may be outstanding (window >= 1). NULL on OOM. */
struct ct_tracker *ct_tracker_new(uint64_t start, size_t window);
void ct_tracker_free(struct ct_tracker *t);

/* Marks entry index as processed; thread-safe. Returns 0, or -1 if index
** is below the watermark or was already completed (a duplicate), or
** beyond the window (the scheduler issued too far ahead). When the
** watermark moves, the on_advance callback runs (outside the lock). */
int ct_tracker_complete(struct ct_tracker *t, uint64_t index);

/* Every entry below the watermark has been processed: the position that
** may be committed. */
uint64_t ct_tracker_watermark(struct ct_tracker *t);

/* Entries at or above this index must not be handed out yet. */
uint64_t ct_tracker_limit(struct ct_tracker *t);

/* fn(arg, watermark) after each advance, from the completing thread;
** must be cheap and thread-safe (e.g. lws_cancel_service). Set before
** completions start. */
void ct_tracker_on_advance(struct ct_tracker *t,
                           void (*fn)(void *arg, uint64_t watermark),
                           void *arg);

#endif
