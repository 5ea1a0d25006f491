/*
** ct_state.c: per-log positions on disk and the completion watermark.
*/
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ct/ct_state.h"
#include "file_io.h"
#include "log.h"
#include "json_buf.h"
#include "json_parse.h"

#define POS_FILE_MAX 4096      /* a position file is one short line */
#define SLUG_MAX 96

int ct_state_dir_prepare(const char *dir, char *err, size_t errlen)
{
    struct stat st;

    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        err_set(err, errlen, "state dir %s: %s", dir, strerror(errno));
        return -1;
    }
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        err_set(err, errlen, "state dir %s: not a directory", dir);
        return -1;
    }
    if (access(dir, W_OK | X_OK) < 0) {
        err_set(err, errlen, "state dir %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

int ct_state_lock(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    int fd;

    if ((size_t)snprintf(path, sizeof path, "%s/.lock", dir) >= sizeof path) {
        err_set(err, errlen, "state dir path too long");
        return -1;
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        err_set(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        err_set(err, errlen, "state dir %s is in use by another certmon "
                "(%s)", dir, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int ct_state_path(const char *dir, const char *url, char *out,
                  size_t outlen)
{
    const char *p = strstr(url, "://");
    char slug[SLUG_MAX + 1];
    uint8_t h[32];
    unsigned int hl = 0;
    size_t n = 0;

    /* readable part: host and path with anything unusual made '_' */
    for (p = p ? p + 3 : url; *p && n < SLUG_MAX; p++) {
        unsigned char c = (unsigned char)*p;
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   (c >= '0' && c <= '9') || c == '.' || c == '-';
        slug[n++] = keep ? (char)c : '_';
    }
    while (n > 0 && slug[n - 1] == '_')
        n--;
    slug[n] = '\0';
    if (!EVP_Digest(url, strlen(url), h, &hl, EVP_sha256(), NULL))
        return -1;
    if ((size_t)snprintf(out, outlen, "%s/%s-%02x%02x%02x%02x.json", dir,
                         slug, h[0], h[1], h[2], h[3]) >= outlen)
        return -1;
    return 0;
}

enum ct_pos_result ct_state_load(const char *dir, const char *url,
                                 struct ct_position *pos, char *err,
                                 size_t errlen)
{
    char path[4096], buf[POS_FILE_MAX + 1], jerr[128];
    struct json_value *v = NULL;
    const char *file_url;
    ssize_t n;
    int fd;
    enum ct_pos_result rc = CT_POS_ERROR;

    memset(pos, 0, sizeof *pos);
    if (ct_state_path(dir, url, path, sizeof path) < 0) {
        err_set(err, errlen, "state path too long");
        return CT_POS_ERROR;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return CT_POS_ABSENT;
        err_set(err, errlen, "%s: %s", path, strerror(errno));
        return CT_POS_ERROR;
    }
    n = read(fd, buf, sizeof buf);
    close(fd);
    if (n < 0 || n > POS_FILE_MAX) {
        err_set(err, errlen, "%s: %s", path,
                n < 0 ? strerror(errno) : "too large for a position file");
        return CT_POS_ERROR;
    }
    v = json_parse(buf, (size_t)n, jerr, sizeof jerr);
    file_url = json_str(json_get(v, "url"), NULL);
    if (!v || !json_uint(json_get(v, "next_index"), &pos->next_index) ||
        !json_uint(json_get(v, "tree_size"), &pos->tree_size) ||
        !json_int(json_get(v, "sth_timestamp"), &pos->sth_timestamp_ms) ||
        !file_url) {
        err_set(err, errlen, "%s: corrupt position file (%s); fix or remove "
                "it to start this log over", path, v ? "missing fields" : jerr);
        memset(pos, 0, sizeof *pos);
    } else if (strcmp(file_url, url) != 0) {
        err_set(err, errlen, "%s: holds the position of %s, not %s", path,
                file_url, url);
        memset(pos, 0, sizeof *pos);
    } else {
        rc = CT_POS_LOADED;
    }
    json_free(v);
    return rc;
}

int ct_state_save(const char *dir, const char *url,
                  const struct ct_position *pos, char *err, size_t errlen)
{
    char path[4096];
    struct json_buf b;
    int rc = -1;

    if (ct_state_path(dir, url, path, sizeof path) < 0) {
        err_set(err, errlen, "state path too long");
        return -1;
    }
    jb_init(&b);
    jb_obj_begin(&b);
    jb_key(&b, "url");
    jb_cstr(&b, url);
    jb_key(&b, "next_index");
    jb_uint(&b, pos->next_index);
    jb_key(&b, "tree_size");
    jb_uint(&b, pos->tree_size);
    jb_key(&b, "sth_timestamp");
    jb_int(&b, pos->sth_timestamp_ms);
    jb_obj_end(&b);
    jb_raw(&b, "\n", 1);
    if (jb_failed(&b) || b.len > POS_FILE_MAX) {
        err_set(err, errlen, "%s: cannot encode the position", path);
        goto out;
    }
    if (file_replace(path, b.data, b.len, err, errlen) < 0)
        goto out;
    rc = 0;
out:
    jb_free(&b);
    return rc;
}

/* ---- the completion tracker -------------------------------------- */

/* A ring of done bits for [base, base + window): bit (i % window) says
** entry i is done. base only moves over done entries, clearing their
** bits as it goes, so the ring never holds stale bits. */
struct ct_tracker {
    pthread_mutex_t lock;
    uint64_t base;
    size_t window;
    unsigned char *done;
    void (*on_advance)(void *arg, uint64_t watermark);
    void *on_advance_arg;
};

struct ct_tracker *ct_tracker_new(uint64_t start, size_t window)
{
    struct ct_tracker *t;

    if (window == 0)
        return NULL;
    t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->done = calloc((window + 7) / 8, 1);
    if (!t->done || pthread_mutex_init(&t->lock, NULL) != 0) {
        free(t->done);
        free(t);
        return NULL;
    }
    t->base = start;
    t->window = window;
    return t;
}

void ct_tracker_free(struct ct_tracker *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t->done);
    free(t);
}

static int bit_get(const struct ct_tracker *t, uint64_t i)
{
    size_t k = (size_t)(i % t->window);
    return (t->done[k / 8] >> (k % 8)) & 1;
}

static void bit_set(struct ct_tracker *t, uint64_t i, int v)
{
    size_t k = (size_t)(i % t->window);
    if (v)
        t->done[k / 8] |= (unsigned char)(1u << (k % 8));
    else
        t->done[k / 8] &= (unsigned char)~(1u << (k % 8));
}

int ct_tracker_complete(struct ct_tracker *t, uint64_t index)
{
    uint64_t before, after;

    pthread_mutex_lock(&t->lock);
    if (index < t->base || index - t->base >= t->window ||
        bit_get(t, index)) {
        pthread_mutex_unlock(&t->lock);
        return -1;
    }
    before = t->base;
    bit_set(t, index, 1);
    while (bit_get(t, t->base)) {
        bit_set(t, t->base, 0);
        t->base++;
    }
    after = t->base;
    pthread_mutex_unlock(&t->lock);
    if (after != before && t->on_advance)
        t->on_advance(t->on_advance_arg, after);
    return 0;
}

uint64_t ct_tracker_watermark(struct ct_tracker *t)
{
    uint64_t b;

    pthread_mutex_lock(&t->lock);
    b = t->base;
    pthread_mutex_unlock(&t->lock);
    return b;
}

uint64_t ct_tracker_limit(struct ct_tracker *t)
{
    return ct_tracker_watermark(t) + t->window;
}

void ct_tracker_on_advance(struct ct_tracker *t,
                           void (*fn)(void *arg, uint64_t watermark),
                           void *arg)
{
    t->on_advance = fn;
    t->on_advance_arg = arg;
}
