/*
** alert_spool.c: a sink's spool files (see alert_spool.h).
**
** Opened per write rather than kept open: spooling is the rare path, and
** a file that is reopened each time survives being moved aside by an
** operator or by alert_spool_take's rename.
*/
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_io.h"
#include "sinks/alert_spool.h"

struct alert_spool {
    pthread_mutex_t lock;
    char *pending, *replay, *rejected;
    size_t max_bytes;                   /* of each file; 0 = no cap */
};

static char *path_join(const char *dir, const char *name, const char *ext)
{
    size_t n = strlen(dir) + strlen(name) + strlen(ext) + 2;
    char *p = malloc(n);

    if (p)
        snprintf(p, n, "%s/%s%s", dir, name, ext);
    return p;
}

struct alert_spool *alert_spool_new(const char *dir, const char *name,
                                    size_t max_bytes)
{
    struct alert_spool *sp = calloc(1, sizeof(*sp));

    if (!sp)
        return NULL;
    sp->max_bytes = max_bytes;
    pthread_mutex_init(&sp->lock, NULL);
    sp->pending = path_join(dir, name, ".jsonl");
    sp->replay = path_join(dir, name, ".replay.jsonl");
    sp->rejected = path_join(dir, name, ".rejected.jsonl");
    if (!sp->pending || !sp->replay || !sp->rejected) {
        alert_spool_free(sp);
        return NULL;
    }
    return sp;
}

void alert_spool_free(struct alert_spool *sp)
{
    if (!sp)
        return;
    free(sp->pending);
    free(sp->replay);
    free(sp->rejected);
    pthread_mutex_destroy(&sp->lock);
    free(sp);
}

const char *alert_spool_path(const struct alert_spool *sp)
{
    return sp->pending;
}

/* Opens path for appending, with sp->lock held. */
static int open_append(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

int alert_spool_append(struct alert_spool *sp, enum alert_spool_file which,
                       const char *data, size_t len)
{
    int fd, rc = -1, saved = 0;

    pthread_mutex_lock(&sp->lock);
    fd = open_append(which == ALERT_SPOOL_REJECTED ? sp->rejected
                                                   : sp->pending);
    if (fd < 0) {
        saved = errno;
        goto done;
    }
    if (sp->max_bytes) {
        struct stat st;
        if (fstat(fd, &st) < 0) {
            saved = errno;
            goto close_fd;
        }
        if ((size_t)st.st_size > sp->max_bytes ||
            len > sp->max_bytes - (size_t)st.st_size) {
            saved = EFBIG;
            goto close_fd;
        }
    }
    if (file_write_all(fd, data, len) == 0 && fsync(fd) == 0)
        rc = 0;
    else
        saved = errno;
close_fd:
    close(fd);
done:
    pthread_mutex_unlock(&sp->lock);
    errno = saved;
    return rc;
}

const char *alert_spool_why(int errnum)
{
    return errnum == EFBIG ? "it is at its --alert-spool-max cap"
                           : strerror(errnum);
}

int alert_spool_append_line(struct alert_spool *sp,
                            enum alert_spool_file which, const char *line,
                            size_t len)
{
    char *buf = malloc(len + 1);
    int rc;

    if (!buf) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(buf, line, len);
    buf[len] = '\n';
    rc = alert_spool_append(sp, which, buf, len + 1);
    free(buf);
    return rc;
}

FILE *alert_spool_take(struct alert_spool *sp)
{
    FILE *f;

    pthread_mutex_lock(&sp->lock);
    if (access(sp->replay, F_OK) != 0 && rename(sp->pending, sp->replay) != 0) {
        int e = errno == ENOENT ? 0 : errno;
        pthread_mutex_unlock(&sp->lock);
        errno = e;
        return NULL;
    }
    pthread_mutex_unlock(&sp->lock);
    f = fopen(sp->replay, "re");
    return f;
}

int alert_spool_put_back(struct alert_spool *sp, const char *line,
                         size_t len, FILE *f, uint64_t *lines)
{
    char buf[65536];
    size_t n;
    int fd, rc = -1, saved = 0;

    *lines = 1;
    pthread_mutex_lock(&sp->lock);
    fd = open_append(sp->pending);
    if (fd < 0) {
        saved = errno;
        goto done;
    }
    if (file_write_all(fd, line, len) < 0 || file_write_all(fd, "\n", 1) < 0) {
        saved = errno;
        goto close_fd;
    }
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        for (size_t i = 0; i < n; i++)
            *lines += buf[i] == '\n';
        if (file_write_all(fd, buf, n) < 0) {
            saved = errno;
            goto close_fd;
        }
    }
    if (ferror(f)) {
        saved = EIO;
        goto close_fd;
    }
    if (fsync(fd) < 0)
        saved = errno;
    else
        rc = 0;
close_fd:
    close(fd);
done:
    pthread_mutex_unlock(&sp->lock);
    errno = saved;
    return rc;
}

void alert_spool_finish(struct alert_spool *sp, FILE *f, int keep)
{
    fclose(f);
    if (!keep)
        unlink(sp->replay);
}

int alert_spool_lock_dir(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    char *lock;
    int fd, e;

    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "--alert-spool %s: %s", dir, strerror(errno));
        return -1;
    }
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
        access(dir, W_OK | X_OK) < 0) {
        snprintf(err, errlen, "--alert-spool %s: not a writable folder",
                 dir);
        return -1;
    }
    lock = path_join(dir, ".lock", "");
    if (!lock) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    free(lock);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        return fd;
    e = errno;
    snprintf(err, errlen, "--alert-spool %s: %s", dir,
             e == EWOULDBLOCK ? "in use by another certmon" : strerror(e));
    if (fd >= 0)
        close(fd);
    return -1;
}
