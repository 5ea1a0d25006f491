/*
** test_file_io.c: whole writes and the atomic replace of file_io.c.
*/
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "file_io.h"

static char dir[] = "/tmp/certmon-file-io.XXXXXX";

static int read_back(const char *path, char *out, size_t outlen)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    if (!f)
        return -1;
    n = fread(out, 1, outlen - 1, f);
    out[n] = '\0';
    fclose(f);
    return (int)n;
}

/* Files in dir besides the one named keep (a left-over temporary). */
static int others_in_dir(const char *keep)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
            strcmp(e->d_name, keep))
            n++;
    if (d)
        closedir(d);
    return n;
}

int main(void)
{
    char path[256], missing[256], err[256] = "", got[64];
    struct stat st;
    int fd;

    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/state", dir);
    snprintf(missing, sizeof missing, "%s/no/such/state", dir);

    CHECK(file_replace(path, "first\n", 6, err, sizeof err) == 0);
    CHECK(read_back(path, got, sizeof got) == 6);
    CHECK_STR(got, "first\n");
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(file_replace(path, "second", 6, err, sizeof err) == 0);
    CHECK(read_back(path, got, sizeof got) == 6);
    CHECK_STR(got, "second");
    CHECK(others_in_dir("state") == 0);     /* no temporary left */

    /* a failure names the file and leaves nothing behind */
    CHECK(file_replace(missing, "x", 1, err, sizeof err) == -1);
    CHECK(strstr(err, "no/such/state.tmp.") != NULL);
    CHECK(others_in_dir("state") == 0);

    /* whole writes: every byte arrives */
    snprintf(path, sizeof path, "%s/big", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    {
        static char big[1 << 20];
        memset(big, 'z', sizeof big);
        CHECK(file_write_all(fd, big, sizeof big) == 0);
    }
    close(fd);
    CHECK(stat(path, &st) == 0 && st.st_size == 1 << 20);
    unlink(path);
    snprintf(path, sizeof path, "%s/state", dir);
    unlink(path);
    rmdir(dir);
    return check_done();
}
