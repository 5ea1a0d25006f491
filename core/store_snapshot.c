/*
** store_snapshot.c: the store saved to and loaded from the state dir.
**
** Saving copies the entries into one flat buffer under the store's lock
** (memcpy only, so workers wait no longer than that), then encodes and
** writes with the lock released. See store_snapshot.h for the format.
*/
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file_io.h"
#include "log.h"
#include "store.h"
#include "store_snapshot.h"

#define SNAP_HEADER "certmon-store 1\n"
#define SNAP_MAGIC "certmon-store "

static double real_wall_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double (*wall_clock)(void) = real_wall_s;

void store_snapshot_test_set_wall_clock(double (*wall_s)(void))
{
    wall_clock = wall_s ? wall_s : real_wall_s;
}

/* ===== a growable byte buffer ===== */

struct buf {
    char *data;
    size_t len, cap;
    int failed;
};

static void buf_add(struct buf *b, const void *p, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *d;
        while (cap < b->len + n)
            cap *= 2;
        if (!(d = realloc(b->data, cap))) {
            b->failed = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void buf_printf(struct buf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        b->failed = 1;
    else
        buf_add(b, tmp, (size_t)n);
}

/* ===== save ===== */

/* One copied entry in the flat buffer, followed by key and string bytes. */
struct raw {
    enum store_type type;
    int64_t i;
    double n;
    double expires_s;
    size_t klen, slen;
};

/* store_each_fn: copies one entry (under the store's lock). */
static int copy_entry(void *arg, const char *key, size_t klen,
                      const struct store_value *v, double expires_s)
{
    struct buf *b = arg;
    struct raw r = { .type = v->type, .i = v->i, .n = v->n,
                     .expires_s = expires_s, .klen = klen,
                     .slen = v->type == STORE_STR ? v->len : 0 };

    buf_add(b, &r, sizeof r);
    buf_add(b, key, klen);
    if (r.slen)
        buf_add(b, v->s, r.slen);
    return b->failed;
}

/* Encodes the copied entries as the file's text into out. */
static void encode(const struct buf *raw, struct buf *out)
{
    double now = store_now_s(), wall = wall_clock();
    size_t off = 0, count = 0;

    buf_add(out, SNAP_HEADER, strlen(SNAP_HEADER));
    while (off < raw->len) {
        struct raw r;
        const char *key, *s;
        double exp;
        static const char tag[] = { [STORE_MARK] = 'm', [STORE_INT] = 'i',
                                    [STORE_NUM] = 'n', [STORE_STR] = 's' };

        memcpy(&r, raw->data + off, sizeof r);
        key = raw->data + off + sizeof r;
        s = key + r.klen;
        off += sizeof r + r.klen + r.slen;
        if (r.type < STORE_MARK || r.type > STORE_STR)
            continue;
        exp = r.expires_s > 0 ? r.expires_s - now + wall : 0;
        if (r.expires_s > 0 && exp <= 0)
            exp = 0.001;        /* about to expire; 0 would mean never */
        buf_printf(out, "%c %.3f %zu ", tag[r.type], exp, r.klen);
        buf_add(out, key, r.klen);
        if (r.type == STORE_INT)
            buf_printf(out, " %" PRId64, r.i);
        else if (r.type == STORE_NUM)
            buf_printf(out, " %.17g", r.n);
        else if (r.type == STORE_STR) {
            buf_printf(out, " %zu ", r.slen);
            buf_add(out, s, r.slen);
        }
        buf_add(out, "\n", 1);
        count++;
    }
    buf_printf(out, "end %zu\n", count);
}

int store_snapshot_save(const char *path, char *err, size_t errlen)
{
    struct buf raw = { 0 }, text = { 0 };
    int rc = -1;

    store_foreach(copy_entry, &raw);
    if (!raw.failed)
        encode(&raw, &text);
    if (raw.failed || text.failed) {
        err_set(err, errlen, "%s: out of memory encoding the store", path);
        goto done;
    }
    if (file_replace(path, text.data, text.len, err, errlen) < 0)
        goto done;
    rc = 0;
done:
    free(raw.data);
    free(text.data);
    return rc;
}

/* ===== load ===== */

struct cursor {
    const char *p, *end;
    size_t line;
    const char *why;
};

static int expect(struct cursor *c, char ch)
{
    if (c->p >= c->end || *c->p != ch) {
        c->why = ch == '\n' ? "a record runs past its end"
                            : "a field is missing";
        return -1;
    }
    c->p++;
    return 0;
}

/* A decimal byte count that fits in what is left of the file. */
static int read_len(struct cursor *c, size_t *out)
{
    size_t v = 0;
    const char *start = c->p;

    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        if (v > (SIZE_MAX - 9) / 10) {
            c->why = "a length is too large";
            return -1;
        }
        v = v * 10 + (size_t)(*c->p++ - '0');
    }
    if (c->p == start || c->p - start > 20) {
        c->why = "a length is not a number";
        return -1;
    }
    if (v > (size_t)(c->end - c->p)) {
        c->why = "a length runs past the end of the file";
        return -1;
    }
    *out = v;
    return 0;
}

/* A number up to the next space or newline (the buffer ends in a NUL). */
static int read_num(struct cursor *c, double *out, int64_t *iout)
{
    char *e;
    const char *q = c->p;

    if (q >= c->end || *q == ' ' || *q == '\n' || *q == '\t') {
        c->why = "a number is missing";
        return -1;
    }
    errno = 0;
    if (iout)
        *iout = strtoll(q, &e, 10);
    else
        *out = strtod(q, &e);
    if (e == q || errno == ERANGE || e > c->end ||
        (e < c->end && *e != ' ' && *e != '\n')) {
        c->why = "a number does not parse";
        return -1;
    }
    c->p = e;
    return 0;
}

/* Parses (and with insert, stores) every record; 0 with the number of
** records stored (without insert: read) in *count, or -1 with c->why. */
static int parse(struct cursor *c, int insert, size_t *count)
{
    double now = store_now_s(), wall = wall_clock();
    size_t n = 0, stored = 0;

    c->line = 1;
    if ((size_t)(c->end - c->p) < strlen(SNAP_HEADER) ||
        memcmp(c->p, SNAP_HEADER, strlen(SNAP_HEADER)) != 0) {
        c->why = (size_t)(c->end - c->p) >= strlen(SNAP_MAGIC) &&
                 !memcmp(c->p, SNAP_MAGIC, strlen(SNAP_MAGIC))
                 ? "an unsupported version" : "not a certmon store snapshot";
        return -1;
    }
    c->p += strlen(SNAP_HEADER);
    for (;;) {
        struct store_value v = { 0 };
        const char *key;
        size_t klen;
        double exp;
        char tag;

        c->line++;
        if (c->p >= c->end) {
            c->why = "truncated (no end line)";
            return -1;
        }
        if (c->end - c->p >= 4 && !memcmp(c->p, "end ", 4)) {
            int64_t want;
            c->p += 4;
            if (read_num(c, NULL, &want) < 0 || expect(c, '\n') < 0)
                return -1;
            if (want < 0 || (uint64_t)want != n) {
                c->why = "the end line's count differs from the records";
                return -1;
            }
            if (c->p != c->end) {
                c->why = "data after the end line";
                return -1;
            }
            *count = insert ? stored : n;
            return 0;
        }
        tag = *c->p++;
        if (expect(c, ' ') < 0 || read_num(c, &exp, NULL) < 0 ||
            expect(c, ' ') < 0 || read_len(c, &klen) < 0 ||
            expect(c, ' ') < 0)
            return -1;
        if (!isfinite(exp) || exp < 0) {
            c->why = "a bad expiry";
            return -1;
        }
        key = c->p;
        c->p += klen;
        switch (tag) {
        case 'm':
            v.type = STORE_MARK;
            break;
        case 'i':
            v.type = STORE_INT;
            if (expect(c, ' ') < 0 || read_num(c, NULL, &v.i) < 0)
                return -1;
            break;
        case 'n':
            v.type = STORE_NUM;
            if (expect(c, ' ') < 0 || read_num(c, &v.n, NULL) < 0)
                return -1;
            break;
        case 's':
            v.type = STORE_STR;
            if (expect(c, ' ') < 0 || read_len(c, &v.len) < 0 ||
                expect(c, ' ') < 0)
                return -1;
            v.s = c->p;
            c->p += v.len;
            break;
        default:
            c->why = "an unknown record type";
            return -1;
        }
        if (expect(c, '\n') < 0)
            return -1;
        n++;
        if (insert) {
            double at = exp > 0 ? exp - wall + now : 0;
            int rc;
            if (exp > 0 && at <= now)
                continue;       /* expired while certmon was down */
            rc = store_restore(key, klen, &v, at);
            if (rc == STORE_ERR_NOMEM) {
                c->why = "out of memory";
                return -1;
            }
            /* TOO_BIG: a smaller --store-max than last time; skipped */
            stored += rc == 0;
        }
    }
}

long store_snapshot_load(const char *path, char *err, size_t errlen)
{
    struct stat st;
    struct cursor c = { 0 };
    char *data = NULL, aside[4200];
    size_t count = 0, got = 0;
    long rc = -1;
    int fd;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        err_set(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        err_set(err, errlen, "%s: not a regular file", path);
        goto done;
    }
    if (!(data = malloc((size_t)st.st_size + 1))) {
        err_set(err, errlen, "%s: out of memory", path);
        goto done;
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, data + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            err_set(err, errlen, "%s: %s", path, strerror(errno));
            goto done;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    data[got] = '\0';
    c.p = data;
    c.end = data + got;
    /* check it all before storing anything: a bad file adds nothing */
    if (parse(&c, 0, &count) == 0) {
        c.p = data;
        if (parse(&c, 1, &count) == 0) {
            rc = (long)count;
            goto done;
        }
    }
    store_reset();
    snprintf(aside, sizeof aside, "%s.corrupt-%lld", path,
             (long long)time(NULL));
    if (rename(path, aside) < 0)
        err_set(err, errlen, "%s: corrupt store snapshot (line %zu: %s); "
                "cannot set it aside (%s); starting with an empty store",
                path, c.line, c.why, strerror(errno));
    else
        err_set(err, errlen, "%s: corrupt store snapshot (line %zu: %s); "
                "set aside as %s, starting with an empty store", path,
                c.line, c.why, aside);
    rc = STORE_SNAPSHOT_CORRUPT;
done:
    close(fd);
    free(data);
    return rc;
}

/* ===== the folder ===== */

int store_snapshot_dir(const char *dir, char *out, size_t outlen, char *err,
                       size_t errlen)
{
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    int n;

    if (dir)
        n = snprintf(out, outlen, "%s", dir);
    else if (xdg && *xdg)
        n = snprintf(out, outlen, "%s/certmon", xdg);
    else
        n = snprintf(out, outlen, "%s/.local/state/certmon",
                     home && *home ? home : ".");
    if (n < 0 || (size_t)n >= outlen) {
        err_set(err, errlen, "state dir path too long");
        return -1;
    }
    for (char *p = out + 1;; p++) {
        char c = *p;
        if (c != '/' && c != '\0')
            continue;
        *p = '\0';
        if (mkdir(out, 0700) < 0 && errno != EEXIST) {
            err_set(err, errlen, "cannot create %s: %s", out,
                    strerror(errno));
            *p = c;
            return -1;
        }
        *p = c;
        if (!c)
            break;
    }
    return 0;
}

/* ===== the periodic thread ===== */

struct store_snapshotter {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, started;
    unsigned interval_s;
    int failing;            /* the last save failed (logged once) */
    char *path;
};

/* Saves and logs a failure once, until a save works again. */
static int save_logged(struct store_snapshotter *s)
{
    char err[512];
    int rc = store_snapshot_save(s->path, err, sizeof err);

    if (rc < 0 && !s->failing)
        log_warn("store snapshot: %s (retried every %u s)", err,
                 s->interval_s);
    else if (rc == 0 && s->failing)
        log_info("store snapshot: %s written again", s->path);
    s->failing = rc < 0;
    return rc;
}

static void *snap_thread(void *arg)
{
    struct store_snapshotter *s = arg;
    struct timespec at;

    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        clock_gettime(CLOCK_MONOTONIC, &at);
        at.tv_sec += s->interval_s;
        while (!s->stop &&
               pthread_cond_timedwait(&s->cv, &s->mu, &at) != ETIMEDOUT)
            ;
        if (s->stop)
            break;
        pthread_mutex_unlock(&s->mu);
        save_logged(s);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

struct store_snapshotter *store_snapshot_start(const char *path,
                                               unsigned interval_s,
                                               char *err, size_t errlen)
{
    struct store_snapshotter *s = calloc(1, sizeof(*s));
    pthread_condattr_t ca;

    if (!s || !(s->path = strdup(path))) {
        free(s);
        err_set(err, errlen, "out of memory");
        return NULL;
    }
    s->interval_s = interval_s;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (interval_s > 0) {
        if (pthread_create(&s->thread, NULL, snap_thread, s) != 0) {
            err_set(err, errlen, "store snapshot: cannot start a thread");
            store_snapshot_stop(s, 0);
            return NULL;
        }
        s->started = 1;
    }
    return s;
}

int store_snapshot_stop(struct store_snapshotter *s, int final_save)
{
    int rc = 0;

    if (!s)
        return 0;
    if (s->started) {
        pthread_mutex_lock(&s->mu);
        s->stop = 1;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
    }
    if (final_save) {
        s->failing = 0;     /* the last word: always logged */
        rc = save_logged(s);
    }
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s->path);
    free(s);
    return rc;
}

struct store_snapshotter *store_snapshot_begin(const char *state_dir,
                                               unsigned interval_s,
                                               char *err, size_t errlen)
{
    char dir[4096], path[4200], lerr[4600];
    long n;

    if (store_snapshot_dir(state_dir, dir, sizeof dir, err, errlen) < 0)
        return NULL;
    snprintf(path, sizeof path, "%s/" STORE_SNAPSHOT_FILE, dir);
    n = store_snapshot_load(path, lerr, sizeof lerr);
    if (n == STORE_SNAPSHOT_CORRUPT)
        log_warn("%s", lerr);
    else if (n < 0) {
        err_set(err, errlen, "%s", lerr);
        return NULL;
    } else
        log_info("certmon.store: %ld entr%s from %s", n,
                 n == 1 ? "y" : "ies", path);
    return store_snapshot_start(path, interval_s, err, errlen);
}
