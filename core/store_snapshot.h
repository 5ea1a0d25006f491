/*
** store_snapshot.h: certmon.store on disk, so it survives a restart.
**
** The store is written to one file (temp + fsync + rename, so a crash
** leaves the old snapshot or the new one, never half of one) periodically
** and at exit, and read back at start. Expiries are kept as wall-clock
** epoch seconds: a mark with 10 s left, saved and loaded 2 s later, has
** 8 s left, whatever the monotonic clock of the new process says.
**
** Format (version 1), bytes exactly:
**   certmon-store 1\n
**   then per live entry, oldest write first, one of
**     m EXP KLEN KEY\n                 a mark (seen, set to true)
**     i EXP KLEN KEY INT\n             a counter or integer
**     n EXP KLEN KEY NUM\n             a number (%.17g)
**     s EXP KLEN KEY VLEN VALUE\n      a string
**   end COUNT\n
** EXP is the expiry in epoch seconds (0 = never), KLEN and VLEN decimal
** byte counts, so a key or value may hold any byte. A file that differs
** from this anywhere (a missing end line = truncated) is corrupt.
*/
#ifndef CERTMON_STORE_SNAPSHOT_H
#define CERTMON_STORE_SNAPSHOT_H

#include <stddef.h>

#define STORE_SNAPSHOT_FILE "store.snap"

/* store_snapshot_load's result for a file that is not a valid snapshot. */
#define STORE_SNAPSHOT_CORRUPT (-2)

/* Writes every live entry to path. 0, or -1 with err (the old file is
** left as it was). Holds the store's lock only while copying entries. */
int store_snapshot_save(const char *path, char *err, size_t errlen);

/* Loads path into the store (meant for an empty store, at start). Returns
** the number of entries loaded (0 when the file does not exist), -1 with
** err when it cannot be read, or STORE_SNAPSHOT_CORRUPT with err naming
** the file and why: the file is then renamed to PATH.corrupt-<epoch> and
** the store emptied. Entries whose expiry has passed are skipped. */
long store_snapshot_load(const char *path, char *err, size_t errlen);

/* The state folder: dir if given, else $XDG_STATE_HOME/certmon, else
** ~/.local/state/certmon; created (0700) with its parents. 0 with the
** folder in out, or -1 with err. */
int store_snapshot_dir(const char *dir, char *out, size_t outlen, char *err,
                       size_t errlen);

/* A thread that saves to path every interval_s seconds (0 = none: only
** store_snapshot_stop saves). NULL with err on failure. */
struct store_snapshotter;
struct store_snapshotter *store_snapshot_start(const char *path,
                                               unsigned interval_s,
                                               char *err, size_t errlen);

/* Stops the thread, then saves once more if final_save (at exit, after
** the workers are gone); frees s. NULL is a no-op. Returns the final
** save's result (0 when none was asked for). */
int store_snapshot_stop(struct store_snapshotter *s, int final_save);

/* At start: the state folder as store_snapshot_dir, its store.snap
** loaded (logged: how many entries, or why the file was set aside) and
** the thread started. NULL with err only when the folder cannot be made
** or the file cannot be read; a corrupt file is not an error. */
struct store_snapshotter *store_snapshot_begin(const char *state_dir,
                                               unsigned interval_s,
                                               char *err, size_t errlen);

/* Tests: the wall clock in epoch seconds (NULL = the real one). */
void store_snapshot_test_set_wall_clock(double (*wall_s)(void));

#endif
