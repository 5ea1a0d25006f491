/*
** file_watch.h: noticing that rule files or modules changed (inotify).
**
** Folders are watched, not files: editors save by writing a temporary file
** and renaming it over the old one, which a watch on the file would lose.
** Only changes to files a reload cares about count (.lua rules and
** modules, .txt lists they read); editor swap and backup files do not.
*/
#ifndef CERTMON_FILE_WATCH_H
#define CERTMON_FILE_WATCH_H

#include <stddef.h>

struct file_watch;

struct file_watch *file_watch_new(char *err, size_t errlen);
void file_watch_free(struct file_watch *fw);

/* Watches dir (and with recursive, its subfolders, also ones created
** later). Returns 0, or -1 with a reason in err. */
int file_watch_add(struct file_watch *fw, const char *dir, int recursive,
                   char *err, size_t errlen);

/* The descriptor to poll for readability. */
int file_watch_fd(const struct file_watch *fw);

/* Reads the events that are ready without blocking. Returns 1 if any of
** them calls for a reload (a relevant file created, written, moved or
** removed; a watched folder gone; the kernel queue overflowed), else 0. */
int file_watch_read(struct file_watch *fw);

#endif
