/*
** file_io.h: writing files so that a crash never leaves half of one.
**
** Positions (ct/ct_state.c), the store snapshot (store_snapshot.c) and
** alert spools (sinks/alert_spool.c) must survive kill -9 and power loss
** in a known state: whole writes, fsync, and a replace that is either
** the old file or the new one.
*/
#ifndef CERTMON_FILE_IO_H
#define CERTMON_FILE_IO_H

#include <stddef.h>

/* Writes all len bytes of data to fd, retrying short writes and EINTR.
** Returns 0, or -1 with errno set (ENOSPC for a write of 0 bytes). */
int file_write_all(int fd, const void *data, size_t len);

/* Replaces path with data[0..len) atomically: writes path.tmp.PID (mode
** 0600), fsyncs it, renames it over path and fsyncs the folder, so that
** after a crash path is the old file or the new one, whole. On failure
** the temporary file is removed and path is untouched. Returns 0, or -1
** with the reason in err. */
int file_replace(const char *path, const void *data, size_t len, char *err,
                 size_t errlen);

#endif
