/*
** file_watch.c: inotify on folders.
*/
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_watch.h"
#include "log.h"

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | \
                    IN_CREATE | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | \
                    IN_MOVE_SELF | IN_ONLYDIR)

struct watched {
    int wd;
    int recursive;
    char *dir;
};

struct file_watch {
    int fd;
    struct watched *dirs;
    size_t n, cap;
};

struct file_watch *file_watch_new(char *err, size_t errlen)
{
    struct file_watch *fw = calloc(1, sizeof(*fw));

    if (!fw) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    fw->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fw->fd < 0) {
        snprintf(err, errlen, "inotify: %s", strerror(errno));
        free(fw);
        return NULL;
    }
    return fw;
}

void file_watch_free(struct file_watch *fw)
{
    if (!fw)
        return;
    close(fw->fd);
    for (size_t i = 0; i < fw->n; i++)
        free(fw->dirs[i].dir);
    free(fw->dirs);
    free(fw);
}

int file_watch_fd(const struct file_watch *fw)
{
    return fw->fd;
}

static struct watched *find_wd(struct file_watch *fw, int wd)
{
    for (size_t i = 0; i < fw->n; i++)
        if (fw->dirs[i].wd == wd)
            return &fw->dirs[i];
    return NULL;
}

int file_watch_add(struct file_watch *fw, const char *dir, int recursive,
                   char *err, size_t errlen)
{
    int wd = inotify_add_watch(fw->fd, dir, WATCH_MASK);
    DIR *d;
    struct dirent *de;

    if (wd < 0) {
        snprintf(err, errlen, "cannot watch %s: %s", dir, strerror(errno));
        return -1;
    }
    if (!find_wd(fw, wd)) {
        char *copy = strdup(dir);
        if (fw->n == fw->cap) {
            size_t cap = fw->cap ? fw->cap * 2 : 8;
            struct watched *v = realloc(fw->dirs, cap * sizeof(*v));
            if (!v) {
                free(copy);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            fw->dirs = v;
            fw->cap = cap;
        }
        if (!copy) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        fw->dirs[fw->n++] = (struct watched){ wd, recursive, copy };
    }
    if (!recursive || !(d = opendir(dir)))
        return 0;
    while ((de = readdir(d))) {
        char sub[PATH_MAX];
        struct stat st;
        if (de->d_name[0] == '.')
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
        if (de->d_type != DT_DIR && (de->d_type != DT_UNKNOWN ||
                                     stat(sub, &st) < 0 ||
                                     !S_ISDIR(st.st_mode)))
            continue;
        if (file_watch_add(fw, sub, 1, err, errlen) < 0)
            log_warn("%s", err);    /* the rest is still watched */
    }
    closedir(d);
    return 0;
}

/* Does a change to this name matter to a reload? */
static int relevant_name(const char *name)
{
    size_t n = strlen(name);

    if (name[0] == '.')
        return 0;   /* hidden, editor swap files (.x.lua.swp) */
    return (n > 4 && strcmp(name + n - 4, ".lua") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".txt") == 0);
}

int file_watch_read(struct file_watch *fw)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    int relevant = 0;
    ssize_t len;

    while ((len = read(fw->fd, buf, sizeof(buf))) > 0) {
        for (char *p = buf; p < buf + len;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            struct watched *w = find_wd(fw, ev->wd);
            p += sizeof(*ev) + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                relevant = 1;
                continue;
            }
            if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
                if (w)
                    log_warn("watched folder %s went away", w->dir);
                relevant = 1;
                continue;
            }
            if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO))
                && w && w->recursive && ev->len) {
                char sub[PATH_MAX], err[256];
                snprintf(sub, sizeof(sub), "%s/%s", w->dir, ev->name);
                if (file_watch_add(fw, sub, 1, err, sizeof(err)) < 0)
                    log_warn("%s", err);
                relevant = 1;
                continue;
            }
            if (ev->len && relevant_name(ev->name))
                relevant = 1;
        }
    }
    return relevant;
}
