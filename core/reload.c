/*
** reload.c: the reload controller thread.
**
** Building a generation happens here, never on a worker: workers only
** swap a pointer between two messages (worker_offer), and the states they
** drop come back here to be closed (reload_retire), so a reload costs the
** message path nothing but that swap.
*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file_watch.h"
#include "log.h"
#include "mono_clock.h"
#include "reload.h"
#include "stats.h"

struct retired {
    struct retired *next;
    struct rules_instance *ri;
};

struct reloader {
    struct reload_config cfg;
    struct worker **workers;
    int n_workers;
    struct ruleset *current;
    struct file_watch *watch;
    int wake[2];                /* self-pipe: 'h' reload, 'q' quit, 'r' */
    pthread_t thread;
    int started;
    pthread_mutex_t lock;       /* guards graveyard and stopped */
    struct retired *graveyard;
    int stopped;
};

static void poke(struct reloader *r, char c)
{
    ssize_t rc;

    do
        rc = write(r->wake[1], &c, 1);
    while (rc < 0 && errno == EINTR);
}

void reload_request(struct reloader *r)
{
    if (r)
        poke(r, 'h');
}

void reload_retire(void *arg, struct rules_instance *ri)
{
    struct reloader *r = arg;
    struct retired *node = malloc(sizeof(*node));

    pthread_mutex_lock(&r->lock);
    if (r->stopped || !node) {
        pthread_mutex_unlock(&r->lock);
        free(node);
        rules_instance_free(ri);
        return;
    }
    node->ri = ri;
    node->next = r->graveyard;
    r->graveyard = node;
    pthread_mutex_unlock(&r->lock);
    poke(r, 'r');
}

static void bury(struct reloader *r)
{
    struct retired *list;

    pthread_mutex_lock(&r->lock);
    list = r->graveyard;
    r->graveyard = NULL;
    pthread_mutex_unlock(&r->lock);
    while (list) {
        struct retired *next = list->next;
        rules_instance_free(list->ri);
        free(list);
        list = next;
    }
}

/* What validation said about each file of a candidate ruleset. */
struct verdicts {
    char **problem;             /* per file: NULL = loads */
    size_t n;
};

static void record_problem(void *ud, size_t index, const char *problem)
{
    struct verdicts *v = ud;

    if (index < v->n && !v->problem[index])
        v->problem[index] = strdup(problem);
}

static void verdicts_free(struct verdicts *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->problem[i]);
    free(v->problem);
}

/* Loads rs in a scratch state and fills v. Returns -1 if no state could
** be built at all. */
static int validate(struct reloader *r, struct ruleset *rs,
                    struct verdicts *v)
{
    char err[512];
    struct rule *rules;
    size_t n;
    lua_State *L;

    v->n = rs->n_files;
    v->problem = calloc(rs->n_files ? rs->n_files : 1, sizeof(*v->problem));
    if (!v->problem)
        return -1;
    L = sandbox_new_state(r->cfg.sandbox, err, sizeof(err));
    if (!L) {
        log_error("reload: %s", err);
        return -1;
    }
    rules_load(L, rs, &rules, &n, record_problem, v);
    rules_free(rules, n);
    sandbox_close(L);
    return 0;
}

/* The next generation: each file's new version where it loads, else its
** previous version, else nothing. NULL if there is nothing to switch to. */
static struct ruleset *choose_versions(struct reloader *r,
                                       struct ruleset *fresh,
                                       struct verdicts *v, size_t *failed,
                                       size_t *kept)
{
    const struct rule_file **pick;
    struct ruleset *next;
    size_t n = 0;

    *failed = *kept = 0;
    pick = calloc(fresh->n_files ? fresh->n_files : 1, sizeof(*pick));
    if (!pick)
        return NULL;
    for (size_t i = 0; i < fresh->n_files; i++) {
        struct rule_file *old = ruleset_find(r->current,
                                             fresh->files[i].path);
        if (!v->problem[i]) {
            pick[n++] = &fresh->files[i];
            continue;
        }
        (*failed)++;
        if (old) {
            (*kept)++;
            pick[n++] = old;
            log_error("reload: %s; keeping its previous version",
                      v->problem[i]);
        } else {
            log_error("reload: %s; not loaded", v->problem[i]);
        }
    }
    next = ruleset_from(pick, n);
    free(pick);
    return next;
}

/* A file disabled for failing stays disabled while its text is the same. */
static void carry_disabled(struct ruleset *from, struct ruleset *to)
{
    for (size_t i = 0; i < to->n_files; i++) {
        struct rule_file *old = ruleset_find(from, to->files[i].path);
        if (old && atomic_load(&old->disabled) &&
            old->src_len == to->files[i].src_len &&
            memcmp(old->src, to->files[i].src, old->src_len) == 0)
            atomic_store(&to->files[i].disabled, 1);
    }
}

static void do_reload(struct reloader *r)
{
    double t0 = mono_s() * 1e3;
    char err[512];
    struct ruleset *fresh = NULL, *next = NULL;
    struct rules_instance **built = NULL;
    struct verdicts v = { 0 };
    size_t failed = 0, kept = 0, removed = 0;
    int i;

    if (ruleset_read(r->cfg.rule_paths, r->cfg.n_rule_paths, 1, &fresh, err,
                     sizeof(err)) < 0) {
        log_error("reload: %s; keeping generation %llu", err,
                  (unsigned long long)r->current->generation);
        return;
    }
    if (validate(r, fresh, &v) < 0)
        goto keep;
    next = choose_versions(r, fresh, &v, &failed, &kept);
    if (!next)
        goto keep;
    for (size_t k = 0; k < r->current->n_files; k++)
        if (!ruleset_find(next, r->current->files[k].path))
            removed++;
    next->generation = r->current->generation + 1;
    carry_disabled(r->current, next);
    built = calloc((size_t)r->n_workers, sizeof(*built));
    if (!built)
        goto keep;
    for (i = 0; i < r->n_workers; i++) {
        built[i] = rules_instantiate(r->cfg.sandbox, next, NULL, NULL, err,
                                     sizeof(err));
        if (!built[i]) {
            /* e.g. a previous version that needs a module that changed */
            log_error("reload: %s", err);
            goto keep;
        }
    }
    for (i = 0; i < r->n_workers; i++)
        rules_instance_free(worker_offer(r->workers[i], built[i]));
    free(built);
    ruleset_unref(r->current);
    r->current = next;
    ruleset_unref(fresh);
    verdicts_free(&v);
    stats_add(&stats.reloads, 1);
    log_info("reload: generation %llu: %zu rules loaded, %zu failed "
             "(%zu kept at their previous version), %zu removed, %.1f ms",
             (unsigned long long)next->generation, next->n_files - kept,
             failed, kept, removed, mono_s() * 1e3 - t0);
    return;
keep:
    if (built)
        for (i = 0; i < r->n_workers; i++)
            rules_instance_free(built[i]);
    free(built);
    log_error("reload: could not build the new rules; keeping generation "
              "%llu", (unsigned long long)r->current->generation);
    ruleset_unref(next);
    ruleset_unref(fresh);
    verdicts_free(&v);
}

static void *reload_main(void *arg)
{
    struct reloader *r = arg;
    struct pollfd pfd[2];
    double due = 0;         /* when a pending reload runs; 0 = none */
    int nfds = 1;

    pfd[0] = (struct pollfd){ .fd = r->wake[0], .events = POLLIN };
    if (r->watch) {
        pfd[1] = (struct pollfd){ .fd = file_watch_fd(r->watch),
                                  .events = POLLIN };
        nfds = 2;
    }
    for (;;) {
        int timeout = -1;
        if (due > 0) {
            double left = due - mono_s() * 1e3;
            timeout = left > 0 ? (int)left + 1 : 0;
        }
        if (poll(pfd, (nfds_t)nfds, timeout) < 0 && errno != EINTR)
            break;
        if (pfd[0].revents & POLLIN) {
            char cmd[64];
            ssize_t n = read(r->wake[0], cmd, sizeof(cmd));
            for (ssize_t k = 0; k < n; k++) {
                if (cmd[k] == 'q')
                    goto out;
                if (cmd[k] == 'h')
                    due = mono_s() * 1e3;     /* an explicit request: no wait */
            }
        }
        if (nfds == 2 && (pfd[1].revents & POLLIN) &&
            file_watch_read(r->watch))
            due = mono_s() * 1e3 + r->cfg.settle_ms;  /* restart the quiet time */
        bury(r);
        if (due > 0 && mono_s() * 1e3 >= due) {
            due = 0;
            do_reload(r);
        }
    }
out:
    bury(r);
    return NULL;
}

struct reloader *reload_start(const struct reload_config *cfg,
                              struct worker **workers, int n_workers,
                              struct ruleset *current,
                              char *err, size_t errlen)
{
    struct reloader *r = calloc(1, sizeof(*r));

    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->cfg = *cfg;
    r->workers = workers;
    r->n_workers = n_workers;
    r->current = ruleset_ref(current);
    r->wake[0] = r->wake[1] = -1;
    pthread_mutex_init(&r->lock, NULL);
    if (pipe2(r->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        goto fail;
    }
    if (cfg->watch) {
        r->watch = file_watch_new(err, errlen);
        if (!r->watch)
            goto fail;
        for (size_t i = 0; i < cfg->sandbox->n_rule_dirs; i++)
            if (file_watch_add(r->watch, cfg->sandbox->rule_dirs[i], 0, err,
                               errlen) < 0)
                goto fail;
        if (file_watch_add(r->watch, cfg->sandbox->lua_dir, 1, err,
                           errlen) < 0)
            log_warn("%s; changes to lua/ modules need a SIGHUP", err);
    }
    if (pthread_create(&r->thread, NULL, reload_main, r) != 0) {
        snprintf(err, errlen, "cannot start the reload thread");
        goto fail;
    }
    r->started = 1;
    return r;
fail:
    reload_free(r);
    return NULL;
}

struct ruleset *reload_current(struct reloader *r)
{
    return r->current;
}

void reload_stop(struct reloader *r)
{
    if (!r || !r->started)
        return;
    poke(r, 'q');
    pthread_join(r->thread, NULL);
    r->started = 0;
    pthread_mutex_lock(&r->lock);
    r->stopped = 1;
    pthread_mutex_unlock(&r->lock);
    bury(r);
}

void reload_free(struct reloader *r)
{
    if (!r)
        return;
    reload_stop(r);
    bury(r);
    file_watch_free(r->watch);
    if (r->wake[0] >= 0)
        close(r->wake[0]);
    if (r->wake[1] >= 0)
        close(r->wake[1]);
    pthread_mutex_destroy(&r->lock);
    ruleset_unref(r->current);
    free(r);
}
