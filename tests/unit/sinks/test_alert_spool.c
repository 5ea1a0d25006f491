/*
** test_alert_spool.c: a sink's spool files on a real folder: appends,
** taking the lines for a replay, putting the rest back, the folder lock.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sinks/alert_spool.h"
#include "check.h"

static char dir[] = "/tmp/certmon-spool-test.XXXXXX";

static char *slurp(const char *name)
{
    char path[512];
    static char buf[4096];
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "r");
    if (!f)
        return NULL;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

int main(void)
{
    struct alert_spool *sp;
    char err[256], *line = NULL, sub[600];
    size_t cap = 0;
    uint64_t lines = 0;
    FILE *f;
    int fd, fd2;

    if (!mkdtemp(dir))
        return 1;
    sp = alert_spool_new(dir, "webhook-1", 0);
    CHECK(sp != NULL);
    CHECK(strstr(alert_spool_path(sp), "/webhook-1.jsonl") != NULL);

    /* nothing spooled: nothing to take, and no error */
    CHECK(alert_spool_take(sp) == NULL);

    CHECK(alert_spool_append_line(sp, ALERT_SPOOL_PENDING, "{\"a\":1}", 7) == 0);
    CHECK(alert_spool_append(sp, ALERT_SPOOL_PENDING,
                             "{\"a\":2}\n{\"a\":3}\n", 16) == 0);
    CHECK(alert_spool_append_line(sp, ALERT_SPOOL_REJECTED, "{\"r\":1}", 7) == 0);
    CHECK_STR(slurp("webhook-1.jsonl"), "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n");
    CHECK_STR(slurp("webhook-1.rejected.jsonl"), "{\"r\":1}\n");

    /* take: the pending file moves aside; new alerts start a fresh one */
    f = alert_spool_take(sp);
    CHECK(f != NULL);
    CHECK(slurp("webhook-1.jsonl") == NULL);
    CHECK(alert_spool_append_line(sp, ALERT_SPOOL_PENDING, "{\"a\":4}", 7) == 0);
    /* the first line was sent; the second fails: it and the rest go back */
    CHECK(getline(&line, &cap, f) > 0);
    CHECK(getline(&line, &cap, f) > 0);
    CHECK(alert_spool_put_back(sp, "{\"a\":2}", 7, f, &lines) == 0);
    CHECK(lines == 2);
    alert_spool_finish(sp, f, 0);
    CHECK(slurp("webhook-1.replay.jsonl") == NULL);
    CHECK_STR(slurp("webhook-1.jsonl"), "{\"a\":4}\n{\"a\":2}\n{\"a\":3}\n");

    /* a replay file left by an interrupted run is taken first */
    f = alert_spool_take(sp);
    CHECK(f != NULL);
    alert_spool_finish(sp, f, 1);       /* kept */
    CHECK(alert_spool_append_line(sp, ALERT_SPOOL_PENDING, "{\"a\":5}", 7) == 0);
    f = alert_spool_take(sp);
    CHECK(f != NULL && getline(&line, &cap, f) > 0 &&
          strcmp(line, "{\"a\":4}\n") == 0);
    alert_spool_finish(sp, f, 0);
    CHECK_STR(slurp("webhook-1.jsonl"), "{\"a\":5}\n");
    free(line);
    alert_spool_free(sp);

    /* a capped spool: appends that fit are written whole, one that would
    ** pass the cap fails with EFBIG and writes nothing; each file has its
    ** own cap; putting a replay's rest back is never refused */
    sp = alert_spool_new(dir, "capped", 20);
    CHECK(alert_spool_append_line(sp, ALERT_SPOOL_PENDING, "{\"a\":1}", 7) == 0);
    CHECK(alert_spool_append_line(sp, ALERT_SPOOL_PENDING, "{\"a\":2}", 7) == 0);
    errno = 0;
    CHECK(alert_spool_append_line(sp, ALERT_SPOOL_PENDING, "{\"a\":3}", 7) < 0 &&
          errno == EFBIG);
    CHECK(alert_spool_append(sp, ALERT_SPOOL_PENDING, "{}\n{}\n", 6) < 0 &&
          errno == EFBIG);
    CHECK(alert_spool_append(sp, ALERT_SPOOL_PENDING, "{}\n", 3) == 0);
    CHECK_STR(slurp("capped.jsonl"), "{\"a\":1}\n{\"a\":2}\n{}\n");
    CHECK(alert_spool_append_line(sp, ALERT_SPOOL_REJECTED, "{\"r\":1}", 7) == 0);
    f = alert_spool_take(sp);
    CHECK(f != NULL);
    CHECK(alert_spool_append_line(sp, ALERT_SPOOL_PENDING, "0123456789abcdef",
                                  16) == 0);
    line = NULL;
    cap = 0;
    CHECK(getline(&line, &cap, f) > 0);
    CHECK(alert_spool_put_back(sp, "{\"a\":1}", 7, f, &lines) == 0 &&
          lines == 3);
    alert_spool_finish(sp, f, 0);
    CHECK_STR(slurp("capped.jsonl"),
              "0123456789abcdef\n{\"a\":1}\n{\"a\":2}\n{}\n");
    free(line);
    alert_spool_free(sp);

    /* the folder lock: one holder; a missing folder is created */
    snprintf(sub, sizeof(sub), "%s/spool", dir);
    fd = alert_spool_lock_dir(sub, err, sizeof(err));
    CHECK(fd >= 0);
    fd2 = alert_spool_lock_dir(sub, err, sizeof(err));
    CHECK(fd2 < 0 && strstr(err, "in use by another certmon"));
    close(fd);
    fd2 = alert_spool_lock_dir(sub, err, sizeof(err));
    CHECK(fd2 >= 0);
    close(fd2);
    CHECK(alert_spool_lock_dir("/proc/certmon-nope", err, sizeof(err)) < 0 &&
          strstr(err, "/proc/certmon-nope"));
    {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            printf("# could not remove %s\n", dir);
    }
    return check_done();
}
