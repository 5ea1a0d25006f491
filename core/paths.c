/*
** paths.c: finding certmon's home (lua/ and scripts/); see paths.h.
*/
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"

/* What makes a folder certmon's home: the Lua library every rule needs. */
static const char home_marker[] = "lua/certmon";

struct tried {
    char *buf;
    size_t len, cap;
};

static void tried_add(struct tried *t, const char *dir)
{
    int n = snprintf(t->buf + t->len, t->cap - t->len, "%s%s",
                     t->len ? ", " : "", dir);

    if (n > 0)
        t->len = (size_t)n < t->cap - t->len ? t->len + (size_t)n
                                              : t->cap - 1;
}

/* 1 if dir holds the marker folder; records dir in t otherwise. */
static int is_home(const char *dir, struct tried *t)
{
    char probe[PATH_MAX + sizeof(home_marker) + 2];
    struct stat st;

    snprintf(probe, sizeof(probe), "%s/%s", dir, home_marker);
    if (stat(probe, &st) == 0 && S_ISDIR(st.st_mode))
        return 1;
    tried_add(t, dir);
    return 0;
}

/* dir with its last component removed, in place ("/a/b" -> "/a"). */
static void parent_in_place(char *dir)
{
    char *slash = strrchr(dir, '/');

    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
}

static int set_out(char *out, size_t outlen, const char *dir)
{
    if ((size_t)snprintf(out, outlen, "%s", dir) >= outlen)
        return -1;
    return 0;
}

int paths_find_home(const char *exe, const char *env_home, const char *prefix,
                    char *out, size_t outlen, char *err, size_t errlen)
{
    char real[PATH_MAX], dir[PATH_MAX], probe[PATH_MAX + 32];
    char tried_buf[2048];
    struct tried t = { tried_buf, 0, sizeof(tried_buf) };
    const char *self = exe ? exe : "/proc/self/exe";

    tried_buf[0] = '\0';
    if (realpath(self, real)) {
        snprintf(dir, sizeof(dir), "%s", real);
        parent_in_place(dir);                   /* the binary's folder */
        snprintf(probe, sizeof(probe), "%s/../share/certmon", dir);
        for (int up = 0; up < 3; up++) {
            if (is_home(dir, &t))
                return set_out(out, outlen, dir);
            if (strcmp(dir, "/") == 0)
                break;
            parent_in_place(dir);
        }
        if (!realpath(probe, dir))
            tried_add(&t, probe);
        else if (is_home(dir, &t))
            return set_out(out, outlen, dir);
    } else {
        tried_add(&t, "(the binary's folder: cannot resolve it)");
    }
    if (env_home && *env_home) {
        if (is_home(env_home, &t))
            return set_out(out, outlen, env_home);
    } else {
        tried_add(&t, "$CERTMON_HOME (not set)");
    }
    snprintf(probe, sizeof(probe), "%s/share/certmon",
             prefix ? prefix : PATHS_PREFIX);
    if (is_home(probe, &t))
        return set_out(out, outlen, probe);
    snprintf(err, errlen, "cannot find certmon's files (a folder with %s/ "
             "and scripts/); looked in: %s. Set CERTMON_HOME to that folder",
             home_marker, tried_buf);
    return -1;
}
