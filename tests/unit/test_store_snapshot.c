/*
** test_store_snapshot.c: the store on disk: a round trip of every value
** type and of keys with any byte, expiries kept in wall time (injected
** clocks, no sleeps), and corrupt, truncated or wrong-version files set
** aside with the store left empty.
*/
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "store.h"
#include "store_snapshot.h"

#define K(s) (s), strlen(s)

static double wall_now = 1.7e9;

static double test_wall(void)
{
    return wall_now;
}

static char dir[] = "/tmp/test_store_snapshot.XXXXXX";
static char path[256];

static void write_file(const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");

    fwrite(text, 1, len, f);
    fclose(f);
}

/* How many files in dir start with "store.snap.corrupt-"; removes them. */
static int count_aside(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    int n = 0;

    while ((e = readdir(d)))
        if (!strncmp(e->d_name, "store.snap.corrupt-", 19)) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
            n++;
        }
    closedir(d);
    return n;
}

static void test_round_trip(void)
{
    struct store_value v, got;
    char buf[64], err[512];
    static const char odd[] = "a\0b\nc d\xff\r\n9 end 1\n";
    int64_t i;

    CHECK(store_seen(K("example.com"), 0) == 0);
    CHECK(store_incr(K("count"), 41, 0, &i) == 0);
    CHECK(store_incr(K("count"), 1, 0, &i) == 0 && i == 42);
    v = (struct store_value){ .type = STORE_INT, .i = INT64_MIN };
    CHECK(store_set(K("min"), &v, 0) == 0);
    v = (struct store_value){ .type = STORE_NUM, .n = 0.1 };
    CHECK(store_set(K("num"), &v, 0) == 0);
    v = (struct store_value){ .type = STORE_NUM, .n = -1e300 };
    CHECK(store_set(K("big"), &v, 0) == 0);
    v = (struct store_value){ .type = STORE_STR, .s = odd,
                              .len = sizeof(odd) - 1 };
    CHECK(store_set(odd, sizeof(odd) - 1, &v, 0) == 0);
    v = (struct store_value){ .type = STORE_STR, .s = "", .len = 0 };
    CHECK(store_set(K("empty"), &v, 0) == 0);
    CHECK(store_seen("", 0, 0) == 0);           /* the empty key */
    CHECK(store_snapshot_save(path, err, sizeof err) == 0);
    store_reset();
    CHECK(store_usage().entries == 0);

    CHECK(store_snapshot_load(path, err, sizeof err) == 8);
    CHECK(store_usage().entries == 8);
    CHECK(store_seen(K("example.com"), 0) == 1);
    CHECK(store_seen("", 0, 0) == 1);
    CHECK(store_incr(K("count"), 1, 0, &i) == 0 && i == 43);
    store_get(K("min"), &got, buf, sizeof buf);
    CHECK(got.type == STORE_INT && got.i == INT64_MIN);
    store_get(K("num"), &got, buf, sizeof buf);
    CHECK(got.type == STORE_NUM && got.n == 0.1);
    store_get(K("big"), &got, buf, sizeof buf);
    CHECK(got.type == STORE_NUM && got.n == -1e300);
    store_get(odd, sizeof(odd) - 1, &got, buf, sizeof buf);
    CHECK(got.type == STORE_STR && got.len == sizeof(odd) - 1 &&
          !memcmp(got.s, odd, got.len));
    store_get(K("empty"), &got, buf, sizeof buf);
    CHECK(got.type == STORE_STR && got.len == 0);
    store_reset();
}

/* Saved with 10 s left, loaded 2 s later (wall clock) in a process whose
** monotonic clock is elsewhere: about 8 s left. */
static void test_ttl_in_wall_time(void)
{
    char err[512];
    long rc;

    wall_now = 1.7e9;
    CHECK(store_seen(K("ten"), 10) == 0);
    CHECK(store_seen(K("one"), 1) == 0);
    CHECK(store_seen(K("forever"), 0) == 0);
    CHECK(store_snapshot_save(path, err, sizeof err) == 0);
    store_reset();
    wall_now += 2;                  /* down for 2 s */
    store_test_advance_s(1000);     /* a new process: another monotonic */
    rc = store_snapshot_load(path, err, sizeof err);
    printf("# rc %ld %s\n", rc, rc < 0 ? err : "");
    CHECK(rc == 2);     /* "one" expired while down */
    store_test_advance_s(7.5);
    CHECK(store_seen(K("ten"), -1) == 1);   /* still there at 7.5 s... */
    store_reset();
    CHECK(store_snapshot_load(path, err, sizeof err) == 2);
    store_test_advance_s(8.5);
    CHECK(store_seen(K("ten"), 10) == 0);   /* ...gone at 8.5 s */
    CHECK(store_seen(K("forever"), 0) == 1);
    store_reset();
}

static void check_corrupt(const char *what, const char *text, size_t len)
{
    char err[512] = "";
    long rc;

    write_file(text, len);
    CHECK(store_seen(K("before"), 0) == 0);
    rc = store_snapshot_load(path, err, sizeof err);
    printf("# %s: %s\n", what, err);
    CHECK(rc == STORE_SNAPSHOT_CORRUPT);
    CHECK(strstr(err, path) != NULL && strstr(err, "set aside") != NULL);
    CHECK(access(path, F_OK) != 0);     /* moved away */
    CHECK(count_aside() == 1);
    CHECK(store_usage().entries == 0);  /* an empty store */
    store_reset();
}

static void test_corrupt(void)
{
    char err[512], *good;
    size_t len;

    CHECK(store_seen(K("a.example"), 0) == 0);
    CHECK(store_seen(K("b.example"), 0) == 0);
    CHECK(store_snapshot_save(path, err, sizeof err) == 0);
    store_reset();
    good = check_slurp(path, &len);
    CHECK(good != NULL);
    if (!good)
        return;
    check_corrupt("truncated", good, len - 3);
    check_corrupt("no end line", good, len - strlen("end 2\n"));
    check_corrupt("cut in a record", good, strlen("certmon-store 1\nm 0 9 a.ex"));
    check_corrupt("wrong version", "certmon-store 2\nend 0\n", 22);
    check_corrupt("not a snapshot", "hello\n", 6);
    check_corrupt("empty file", "", 0);
    check_corrupt("bad type", "certmon-store 1\nx 0 1 a\nend 1\n", 30);
    check_corrupt("bad count", "certmon-store 1\nm 0 1 a\nend 2\n", 30);
    check_corrupt("length past the end",
                  "certmon-store 1\nm 0 99 a\nend 1\n", 31);
    check_corrupt("bad number", "certmon-store 1\ni 0 1 a 4x\nend 1\n", 33);
    check_corrupt("trailing data", "certmon-store 1\nend 0\nx", 23);
    free(good);
    /* a missing file is an empty store, not an error */
    CHECK(store_snapshot_load(path, err, sizeof err) == 0);
    CHECK(count_aside() == 0);
}

/* The thread saves at exit even with no interval; a failed save leaves
** the old file. */
static void test_snapshotter(void)
{
    char err[512], bad[300];
    struct store_snapshotter *s;

    s = store_snapshot_start(path, 0, err, sizeof err);
    CHECK(s != NULL);
    CHECK(store_seen(K("late"), 0) == 0);
    CHECK(store_snapshot_stop(s, 1) == 0);
    store_reset();
    CHECK(store_snapshot_load(path, err, sizeof err) == 1);
    store_reset();
    s = store_snapshot_start(path, 3600, err, sizeof err);
    CHECK(s != NULL);
    CHECK(store_snapshot_stop(s, 0) == 0);  /* stops without waiting */
    snprintf(bad, sizeof bad, "%s/no/such/dir/store.snap", dir);
    CHECK(store_snapshot_save(bad, err, sizeof err) < 0);
    CHECK(strstr(err, "no/such/dir") != NULL);
    unlink(path);
}

/* store_foreach: oldest write first, expired entries skipped, a nonzero
** return stops it; store_restore: an absolute expiry, a past one stores
** nothing. */
static int collect(void *arg, const char *key, size_t klen,
                   const struct store_value *v, double expires_s)
{
    char *out = arg;

    strncat(out, key, klen);
    return !strcmp(out, "abc") ? 7 : 0;
}

static void test_store_hooks(void)
{
    struct store_value mark = { .type = STORE_MARK };
    char seen[16] = "";
    double now = store_now_s();

    CHECK(store_restore(K("a"), &mark, now + 5) == 0);
    CHECK(store_restore(K("gone"), &mark, now - 1) == 0);
    CHECK(store_restore(K("b"), &mark, 0) == 0);
    CHECK(store_seen(K("x"), 1) == 0);
    CHECK(store_restore(K("c"), &mark, now + 50) == 0);
    CHECK(store_usage().entries == 4);          /* "gone" never stored */
    store_test_advance_s(2);                    /* x expires, a does not */
    CHECK(store_foreach(collect, seen) == 7);
    CHECK_STR(seen, "abc");
    store_test_advance_s(4);
    CHECK(store_seen(K("a"), 0) == 0);          /* expired at now + 5 */
    CHECK(store_seen(K("c"), 0) == 1);
    store_reset();
}

int main(void)
{
    char sub[300], out[300], err[256];

    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/%s", dir, STORE_SNAPSHOT_FILE);
    store_snapshot_test_set_wall_clock(test_wall);
    test_store_hooks();
    test_round_trip();
    test_ttl_in_wall_time();
    test_corrupt();
    test_snapshotter();
    /* the state folder is created with its parents */
    snprintf(sub, sizeof sub, "%s/x/y", dir);
    CHECK(store_snapshot_dir(sub, out, sizeof out, err, sizeof err) == 0);
    CHECK(access(sub, W_OK) == 0);
    rmdir(sub);
    snprintf(sub, sizeof sub, "%s/x", dir);
    rmdir(sub);
    rmdir(dir);
    return check_done();
}
