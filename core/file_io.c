/*
** file_io.c: whole writes and atomic replaces (see file_io.h).
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "file_io.h"
#include "log.h"

int file_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* The folder part of path ("." if none) into out. */
static void dir_of(const char *path, char *out, size_t outlen)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        snprintf(out, outlen, ".");
    else if (slash == path)
        snprintf(out, outlen, "/");
    else
        snprintf(out, outlen, "%.*s", (int)(slash - path), path);
}

int file_replace(const char *path, const void *data, size_t len, char *err,
                 size_t errlen)
{
    char tmp[4200], dir[4096];
    int fd, dfd, rc = -1;

    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path,
                         (long)getpid()) >= sizeof tmp) {
        err_set(err, errlen, "%s: path too long", path);
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        err_set(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    if (file_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        err_set(err, errlen, "%s: %s", tmp, strerror(errno));
        close(fd);
        goto done;
    }
    if (close(fd) < 0) {
        err_set(err, errlen, "%s: %s", tmp, strerror(errno));
        goto done;
    }
    if (rename(tmp, path) < 0) {
        err_set(err, errlen, "rename %s: %s", tmp, strerror(errno));
        goto done;
    }
    /* the rename itself must reach the disk too */
    dir_of(path, dir, sizeof dir);
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) < 0) {
        err_set(err, errlen, "fsync %s: %s", dir, strerror(errno));
        if (dfd >= 0)
            close(dfd);
        return -1;              /* renamed: path is the new file */
    }
    close(dfd);
    return 0;
done:
    unlink(tmp);
    return rc;
}
