/*
** test_ct_state.c: position files (atomic, durable, survive kill -9) and
** the completion watermark over out-of-order, multi-threaded completions.
*/
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ct/ct_state.h"

static char dir[256];

static void rm_rf(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", d);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_files(void)
{
    static const char *url = "https://ct.example/logs/a2025h1/";
    struct ct_position p = { 12345, 99999, 1700000000123 }, q;
    char err[512], path[4096], path2[4200], sub[300];
    struct stat st;
    int fd, fd2;

    snprintf(sub, sizeof sub, "%s/state", dir);
    CHECK(ct_state_dir_prepare(sub, err, sizeof err) == 0);
    CHECK(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700);
    CHECK(ct_state_dir_prepare(sub, err, sizeof err) == 0);   /* exists */

    /* a log seen for the first time */
    CHECK(ct_state_load(sub, url, &q, err, sizeof err) == CT_POS_ABSENT);
    CHECK(ct_state_save(sub, url, &p, err, sizeof err) == 0);
    CHECK(ct_state_load(sub, url, &q, err, sizeof err) == CT_POS_LOADED);
    CHECK(q.next_index == 12345 && q.tree_size == 99999 &&
          q.sth_timestamp_ms == 1700000000123);
    /* replaced, no temp file left behind */
    p.next_index = UINT64_MAX - 1;
    CHECK(ct_state_save(sub, url, &p, err, sizeof err) == 0);
    CHECK(ct_state_load(sub, url, &q, err, sizeof err) == CT_POS_LOADED);
    CHECK(q.next_index == UINT64_MAX - 1);
    CHECK(ct_state_path(sub, url, path, sizeof path) == 0);
    CHECK(strstr(path, "/ct.example_logs_a2025h1-") != NULL);
    snprintf(path2, sizeof path2, "%s.tmp", path);
    CHECK(access(path2, F_OK) < 0 && errno == ENOENT);
    /* distinct logs, distinct files, even when the slugs are the same */
    CHECK(ct_state_path(sub, "https://ct.example/logs/a2025h1?/", path2,
                        sizeof path2) == 0);
    CHECK(strcmp(path, path2) != 0);
    CHECK(ct_state_load(sub, "http://ct.example/logs/a2025h1/", &q, err,
                        sizeof err) == CT_POS_ABSENT);

    /* a corrupt file is an error, never "start over" */
    write_file(path, "{\"url\":\"https://ct.example/logs/a2025h1/\",\"next_in");
    CHECK(ct_state_load(sub, url, &q, err, sizeof err) == CT_POS_ERROR);
    CHECK(strstr(err, "corrupt") != NULL && q.next_index == 0);
    write_file(path, "{\"url\":\"https://ct.example/logs/a2025h1/\","
               "\"next_index\":-1,\"tree_size\":0,\"sth_timestamp\":0}");
    CHECK(ct_state_load(sub, url, &q, err, sizeof err) == CT_POS_ERROR);
    write_file(path, "");
    CHECK(ct_state_load(sub, url, &q, err, sizeof err) == CT_POS_ERROR);
    /* another log's position in this log's file */
    write_file(path, "{\"url\":\"https://other.example/\",\"next_index\":1,"
               "\"tree_size\":2,\"sth_timestamp\":0}");
    CHECK(ct_state_load(sub, url, &q, err, sizeof err) == CT_POS_ERROR);
    CHECK(strstr(err, "other.example") != NULL);

    /* one certmon per state dir */
    fd = ct_state_lock(sub, err, sizeof err);
    CHECK(fd >= 0);
    fd2 = ct_state_lock(sub, err, sizeof err);
    CHECK(fd2 < 0 && strstr(err, "in use") != NULL);
    close(fd);
    fd2 = ct_state_lock(sub, err, sizeof err);
    CHECK(fd2 >= 0);
    close(fd2);

    /* a file where the directory should be; an unwritable parent */
    snprintf(path2, sizeof path2, "%s/plainfile", dir);
    write_file(path2, "x");
    CHECK(ct_state_dir_prepare(path2, err, sizeof err) < 0);
    CHECK(ct_state_save(path2, url, &p, err, sizeof err) < 0);
    snprintf(path2, sizeof path2, "%s/no/such/dir", dir);
    CHECK(ct_state_dir_prepare(path2, err, sizeof err) < 0);
}

/* A child saves ever larger positions as fast as it can and is killed
** with SIGKILL at some point; the file must then hold one complete
** position that the child saved (not a torn or empty one). */
static void test_kill9(void)
{
    static const char *url = "http://127.0.0.1:1/log/";
    struct ct_position q;
    char err[512], sub[300];
    pid_t pid;
    int i, status, loaded = 0;

    snprintf(sub, sizeof sub, "%s/kill", dir);
    CHECK(ct_state_dir_prepare(sub, err, sizeof err) == 0);
    for (i = 0; i < 3; i++) {
        struct timespec ts = { 0, 2000000 };
        int waited;

        pid = fork();
        if (pid == 0) {
            struct ct_position p = { 0, 0, 0 };
            for (;;) {
                p.next_index++;
                p.tree_size = p.next_index * 2;
                p.sth_timestamp_ms = (int64_t)p.next_index * 3;
                if (ct_state_save(sub, url, &p, NULL, 0) < 0)
                    _exit(3);
            }
        }
        /* let it save a while (poll, no timing assumptions) */
        for (waited = 0; waited < 10000; waited++) {
            if (ct_state_load(sub, url, &q, err, sizeof err) == CT_POS_LOADED &&
                q.next_index > 20 * (uint64_t)(i + 1))
                break;
            nanosleep(&ts, NULL);
        }
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        if (ct_state_load(sub, url, &q, err, sizeof err) == CT_POS_LOADED &&
            q.next_index > 0 && q.tree_size == q.next_index * 2 &&
            q.sth_timestamp_ms == (int64_t)q.next_index * 3)
            loaded++;
        else
            printf("#   after kill -9: %s\n", err);
    }
    CHECK(loaded == 3);
}

static uint64_t last_advance;
static int advances;

static void on_advance(void *arg, uint64_t w)
{
    (void)arg;
    last_advance = w;
    advances++;
}

static void test_tracker_basic(void)
{
    struct ct_tracker *t = ct_tracker_new(100, 8);

    CHECK(ct_tracker_new(0, 0) == NULL);
    ct_tracker_on_advance(t, on_advance, NULL);
    CHECK(ct_tracker_watermark(t) == 100 && ct_tracker_limit(t) == 108);
    CHECK(ct_tracker_complete(t, 102) == 0);
    CHECK(ct_tracker_complete(t, 101) == 0);
    CHECK(ct_tracker_watermark(t) == 100 && advances == 0);
    CHECK(ct_tracker_complete(t, 102) == -1);     /* duplicate */
    CHECK(ct_tracker_complete(t, 108) == -1);     /* beyond the window */
    CHECK(ct_tracker_complete(t, 99) == -1);      /* below the watermark */
    CHECK(ct_tracker_complete(t, 100) == 0);
    CHECK(ct_tracker_watermark(t) == 103 && advances == 1 && last_advance == 103);
    CHECK(ct_tracker_limit(t) == 111);
    CHECK(ct_tracker_complete(t, 100) == -1);     /* now below */
    /* fill the whole window out of order, ring wrapping around */
    for (uint64_t i = 110; i >= 103; i--)
        CHECK(ct_tracker_complete(t, i) == 0);
    CHECK(ct_tracker_watermark(t) == 111 && last_advance == 111);
    ct_tracker_free(t);
}

/* Random orders: the watermark is always the smallest index not done. */
static void test_tracker_random(void)
{
    enum { N = 5000, W = 64 };
    static uint64_t order[N];
    static unsigned char done[N];
    struct ct_tracker *t = ct_tracker_new(0, W);
    uint64_t issued = 0, pending[W];
    size_t n_pending = 0, k;
    int bad = 0;
    unsigned seed = 12345;

    (void)order;
    while (ct_tracker_watermark(t) < N) {
        /* issue what the window allows, then complete a random one */
        while (issued < N && issued < ct_tracker_limit(t) && n_pending < W)
            pending[n_pending++] = issued++;
        seed = seed * 1103515245u + 12345u;
        k = (seed >> 8) % n_pending;
        if (ct_tracker_complete(t, pending[k]) < 0)
            bad++;
        done[pending[k]] = 1;
        pending[k] = pending[--n_pending];
        {
            uint64_t w = 0;
            while (w < N && done[w])
                w++;
            if (w != ct_tracker_watermark(t))
                bad++;
        }
    }
    CHECK(bad == 0);
    CHECK(ct_tracker_watermark(t) == N && n_pending == 0);
    ct_tracker_free(t);
}

/* Four threads complete interleaved indices concurrently. */
struct thr {
    struct ct_tracker *t;
    int id;
    int errors;
};

enum { THREADS = 4, PER_THREAD = 20000 };

static void *complete_thread(void *arg)
{
    struct thr *a = arg;

    for (uint64_t i = (uint64_t)a->id; i < THREADS * PER_THREAD; i += THREADS) {
        /* wait for room: the window is smaller than the whole range */
        while (i >= ct_tracker_limit(a->t))
            sched_yield();
        if (ct_tracker_complete(a->t, i) < 0)
            a->errors++;
    }
    return NULL;
}

static void test_tracker_threads(void)
{
    struct ct_tracker *t = ct_tracker_new(0, 1024);
    pthread_t th[THREADS];
    struct thr a[THREADS];
    int i, errors = 0;

    for (i = 0; i < THREADS; i++) {
        a[i] = (struct thr){ t, i, 0 };
        pthread_create(&th[i], NULL, complete_thread, &a[i]);
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        errors += a[i].errors;
    }
    CHECK(errors == 0);
    CHECK(ct_tracker_watermark(t) == THREADS * PER_THREAD);
    ct_tracker_free(t);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, sizeof dir, "%s/test_ct_state.XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        printf("not ok - mkdtemp\n");
        return 1;
    }
    test_files();
    test_kill9();
    test_tracker_basic();
    test_tracker_random();
    test_tracker_threads();
    rm_rf(dir);
    return check_done();
}
