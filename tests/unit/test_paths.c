/*
** test_paths.c: finding certmon's home (core/paths.c) in real folders:
** a source tree, an install under a prefix, a copied binary with and
** without CERTMON_HOME.
*/
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "paths.h"

static char top[PATH_MAX];

/* Creates top/rel (folders) and, with file, an empty file in it. */
static void make(const char *rel, const char *file)
{
    char path[PATH_MAX * 2], cmd[PATH_MAX * 3];
    FILE *f;

    snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", top, rel);
    if (system(cmd) != 0)
        printf("# mkdir failed: %s\n", cmd);
    if (file) {
        snprintf(path, sizeof(path), "%s/%s/%s", top, rel, file);
        if ((f = fopen(path, "w")))
            fclose(f);
    }
}

static const char *at(const char *rel)
{
    static char buf[4][PATH_MAX * 2];
    static int i;

    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", top, rel);
    return buf[i];
}

static void test_layouts(void)
{
    char home[PATH_MAX], err[4096];

    /* source tree: ./certmon and build/san/certmon find the top */
    make("src/lua/certmon", "domain.lua");
    make("src/build/san", "certmon");
    make("src", "certmon");
    CHECK(paths_find_home(at("src/certmon"), NULL, at("none"), home,
                          sizeof(home), err, sizeof(err)) == 0);
    CHECK_STR(home, at("src"));
    CHECK(paths_find_home(at("src/build/san/certmon"), NULL, at("none"), home,
                          sizeof(home), err, sizeof(err)) == 0);
    CHECK_STR(home, at("src"));

    /* an install: PREFIX/bin/certmon finds PREFIX/share/certmon, also
    ** when the whole prefix was moved (nothing compiled in is used) */
    make("pfx/bin", "certmon");
    make("pfx/share/certmon/lua/certmon", "domain.lua");
    CHECK(paths_find_home(at("pfx/bin/certmon"), NULL, at("none"), home,
                          sizeof(home), err, sizeof(err)) == 0);
    CHECK_STR(home, at("pfx/share/certmon"));

    /* a copied binary: CERTMON_HOME, then the prefix */
    make("copy", "certmon");
    CHECK(paths_find_home(at("copy/certmon"), at("src"), at("none"), home,
                          sizeof(home), err, sizeof(err)) == 0);
    CHECK_STR(home, at("src"));
    CHECK(paths_find_home(at("copy/certmon"), NULL, at("pfx"), home,
                          sizeof(home), err, sizeof(err)) == 0);
    CHECK_STR(home, at("pfx/share/certmon"));

    /* the binary's own folder wins over CERTMON_HOME (issue order) */
    CHECK(paths_find_home(at("pfx/bin/certmon"), at("src"), NULL, home,
                          sizeof(home), err, sizeof(err)) == 0);
    CHECK_STR(home, at("pfx/share/certmon"));
}

/* Nothing found: the error names each place looked at, in order. */
static void test_not_found_says_where(void)
{
    char home[PATH_MAX], err[4096];
    const char *p;

    CHECK(paths_find_home(at("copy/certmon"), at("nohome"), at("nopfx"), home,
                          sizeof(home), err, sizeof(err)) < 0);
    printf("# %s\n", err);
    CHECK(strstr(err, at("copy")) != NULL);
    CHECK((p = strstr(err, at("nohome"))) != NULL);
    CHECK(p && strstr(p, at("nopfx/share/certmon")) != NULL);
    CHECK(strstr(err, "CERTMON_HOME") != NULL);
    CHECK(paths_find_home(at("copy/certmon"), NULL, at("nopfx"), home,
                          sizeof(home), err, sizeof(err)) < 0);
    CHECK(strstr(err, "$CERTMON_HOME (not set)") != NULL);
}

int main(void)
{
    char tmpl[] = "/tmp/certmon-paths.XXXXXX", cmd[PATH_MAX + 16];

    if (!mkdtemp(tmpl) || !realpath(tmpl, top)) {
        printf("not ok - mkdtemp\n");
        return 1;
    }
    test_layouts();
    test_not_found_says_where();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
    if (system(cmd) != 0)
        printf("# cleanup failed\n");
    return check_done();
}
