/*
** ct_issuers.c: data tiles and the issuer cache of static-ct-api logs.
**
** A tile names its entries' chains by SHA-256 fingerprint. With `full`
** each fingerprint is resolved before the tile's entries become
** messages: from the per-log cache (an open-addressing index under a
** secret seed, since the log chooses the fingerprints), from
** <state_dir>/issuers, or fetched from the log (by ct_sched, one at a
** time); until then the tile is parked. The cache and the new issuers
** per tile are bounded, and a 404 leaves the chain without that issuer.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct/ct_source_int.h"
#include "stats.h"

/* Issuer certificates of a tiled log: at most this many cached (real logs
** have tens to hundreds), at most CT_TILE_NEW_ISSUERS new per tile; the
** index has twice the slots, a power of two. */
#define CT_ISSUERS_MAX 4096u
#define CT_TILE_NEW_ISSUERS 128u
#define CT_ISSUER_SLOTS (2 * CT_ISSUERS_MAX)

/* Where fp's search starts in the issuer index: a hash of all 32 bytes
** under the log's secret seed, since a hostile log chooses the
** fingerprints and could otherwise pile them into one chain of slots. */
static size_t issuer_slot(const struct log_run *lr, const uint8_t *fp)
{
    uint64_t h = lr->iss_seed, w;

    for (int i = 0; i < 4; i++) {
        memcpy(&w, fp + 8 * i, 8);
        h ^= w;
        h *= 0x9e3779b97f4a7c15ull;
        h ^= h >> 31;
    }
    return (size_t)h & (CT_ISSUER_SLOTS - 1);
}

/* The cached issuer with fingerprint fp, or NULL: one probe sequence of
** the open-addressing index (slots hold index + 1, 0 is empty). */
static struct issuer *find_issuer(struct log_run *lr, const uint8_t *fp)
{
    size_t i;

    if (!lr->iss_slots)
        return NULL;
    for (i = issuer_slot(lr, fp); lr->iss_slots[i];
         i = (i + 1) & (CT_ISSUER_SLOTS - 1)) {
        struct issuer *is = &lr->issuers[lr->iss_slots[i] - 1];
        if (memcmp(is->fp, fp, 32) == 0)
            return is;
    }
    return NULL;
}

/* Adds fp (not yet cached) as ISS_MISSING. NULL when the cache is full
** (CT_ISSUERS_MAX) or out of memory. */
static struct issuer *add_issuer(struct log_run *lr, const uint8_t *fp)
{
    struct issuer *is;
    size_t i;

    if (lr->n_issuers >= CT_ISSUERS_MAX)
        return NULL;
    if (!lr->iss_slots &&
        !(lr->iss_slots = calloc(CT_ISSUER_SLOTS, sizeof *lr->iss_slots)))
        return NULL;
    if (lr->n_issuers == lr->cap_issuers) {
        size_t nc = lr->cap_issuers ? lr->cap_issuers * 2 : 16;
        struct issuer *p = realloc(lr->issuers, nc * sizeof *p);
        if (!p)
            return NULL;
        lr->issuers = p;
        lr->cap_issuers = nc;
    }
    is = &lr->issuers[lr->n_issuers++];
    memset(is, 0, sizeof *is);
    memcpy(is->fp, fp, 32);
    is->state = ISS_MISSING;
    for (i = issuer_slot(lr, fp); lr->iss_slots[i];
         i = (i + 1) & (CT_ISSUER_SLOTS - 1))
        ;
    lr->iss_slots[i] = (uint32_t)lr->n_issuers;
    return is;
}

/* Makes sure every chain fingerprint of tile entries [from, n) is known;
** loads cached ones from disk. *budget is how many issuers this tile may
** still add to the cache: past it (or past CT_ISSUERS_MAX for the log)
** a fingerprint is not fetched and the chain goes out without it, so a
** log naming thousands of issuers costs a bounded number of requests.
** Returns 1 if all are resolved (OK, FAILED or not cached), 0 if some
** must be fetched. */
static int need_issuers(struct log_run *lr, const struct ct_tile *t,
                        size_t from, unsigned *budget)
{
    int all = 1;

    for (size_t i = from; i < t->n; i++)
        for (size_t k = 0; k < t->entries[i].n_chain_fps; k++) {
            const uint8_t *fp = t->entries[i].chain_fps + 32 * k;
            struct issuer *is = find_issuer(lr, fp);

            if (!is) {
                if (*budget == 0 || !(is = add_issuer(lr, fp))) {
                    if (!lr->warned_issuers) {
                        lr->warned_issuers = 1;
                        stats_add(&stats.net_faults, 1);
                        log_warn("%s: tile names more issuers than %s (%u): "
                                 "chains will lack the others", lr->name,
                                 *budget ? "the cache holds" : "one tile may add",
                                 *budget ? CT_ISSUERS_MAX : CT_TILE_NEW_ISSUERS);
                    }
                    continue;
                }
                (*budget)--;
                if (lr->src->issuer_dir &&
                    ct_issuer_load(lr->src->issuer_dir, fp, &is->der,
                                   &is->len, NULL, 0) == 1)
                    is->state = ISS_OK;
            }
            if (is->state == ISS_MISSING || is->state == ISS_FETCHING)
                all = 0;
        }
    return all;
}

/* Hands tile entries for indexes [start, end] to the conversion pool,
** which takes the tile (*t is zeroed). */
static void deliver_tile(struct log_run *lr, struct ct_tile *t,
                         uint64_t start, uint64_t end)
{
    static struct log_budget conv_log = LOG_BUDGET_INIT(5, "entry errors");
    uint64_t first = start - start % CT_TILE_WIDTH;
    size_t n = (size_t)(end - start + 1);
    struct ct_conv_job *j = ct_conv_job_new(lr, CT_API_STATIC, start, n,
                                            &conv_log);

    if (!j) {
        stats_add(&stats.parse_errors, n);
        log_limited(&conv_log, LOG_WARN, "%s: entries %llu..%llu: out of "
                    "memory", lr->name, (unsigned long long)start,
                    (unsigned long long)end);
        for (uint64_t index = start; index <= end; index++)
            ct_tracker_complete(lr->tracker, index);
        ct_tile_free(t);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const struct ct_entry *e = &t->entries[start - first + i];
        size_t got = 0;

        for (size_t k = 0; k < e->n_chain_fps && got < CT_CHAIN_MAX; k++) {
            struct issuer *is = find_issuer(lr, e->chain_fps + 32 * k);
            struct ct_bytes c;
            if (!is || is->state != ISS_OK)
                continue;
            c = (struct ct_bytes){ is->der, is->len };
            if (ct_conv_job_add_chain(j, i, &c) < 0) {
                ct_tile_free(t);
                ct_conv_fail(j, "out of memory");
                return;
            }
            got++;
        }
    }
    ct_conv_submit(j, t, NULL, (size_t)(start - first));
}

/* Delivers the parked tiles whose issuers are all resolved. */
void ct_iss_unpark(struct log_run *lr)
{
    size_t i = 0;

    while (i < lr->n_parked) {
        struct parked *pk = &lr->parked[i];
        if (need_issuers(lr, &pk->tile, (size_t)(pk->start % CT_TILE_WIDTH),
                         &pk->budget) == 0) {
            i++;
            continue;
        }
        deliver_tile(lr, &pk->tile, pk->start, pk->end);
        lr->parked[i] = lr->parked[--lr->n_parked];
    }
}

void ct_iss_on_tile(struct log_run *lr, struct slot *s, const char *body,
                    size_t len)
{
    uint64_t n = s->start / CT_TILE_WIDTH;
    unsigned width = s->width, budget = CT_TILE_NEW_ISSUERS;
    struct ct_tile t;
    char err[256];
    int r;

    if (ct_tile_parse((const uint8_t *)body, len, n, width, &t, err,
                      sizeof err) < 0) {
        ct_sched_fail(lr, s, err);
        return;
    }
    ct_sched_ok(lr, s->kind);
    lr->entries += s->end - s->start + 1;
    stats_add(&stats.ct_entries, s->end - s->start + 1);
    /* only --full messages carry the chain: lite ones need no issuer */
    r = lr->src->cfg.full ? need_issuers(lr, &t, (size_t)(s->start - n *
                                                         CT_TILE_WIDTH),
                                         &budget)
                          : 1;
    if (r == 0) {
        struct parked *p = realloc(lr->parked, (lr->n_parked + 1) * sizeof *p);
        if (p) {
            lr->parked = p;
            p[lr->n_parked++] = (struct parked){ t, s->start, s->end, budget };
            return;
        }
    }
    /* all resolved (or no memory to wait: deliver what we have) */
    deliver_tile(lr, &t, s->start, s->end);
}

void ct_iss_on_issuer(struct log_run *lr, struct slot *s, const char *body,
                      size_t len)
{
    struct issuer *is = lr->iss_idx >= 0 ? &lr->issuers[lr->iss_idx] : NULL;
    char err[256];

    lr->iss_idx = -1;
    if (!is)
        return;
    ct_sched_ok(lr, s->kind);
    is->der = malloc(len ? len : 1);
    if (!is->der) {
        is->state = ISS_MISSING;
        return;
    }
    memcpy(is->der, body, len);
    is->len = len;
    is->state = ISS_OK;
    if (lr->src->issuer_dir &&
        ct_issuer_store(lr->src->issuer_dir, is->fp, is->der, len, err,
                        sizeof err) < 0) {
        /* the log served other bytes than the fingerprint names */
        log_limited(&lr->errlog, LOG_WARN, "%s: issuer: %s", lr->name, err);
        free(is->der);
        is->der = NULL;
        is->state = ISS_FAILED;
    }
    ct_iss_unpark(lr);
}
