/*
** ct_commit.c: from finished messages to a saved position.
**
** Workers report each finished seq (ct_source_done, any thread) to the
** log's ct_tracker; when its watermark moves the tracker pokes the loop,
** which saves the watermark to the state directory at most every
** commit_interval_ms (and always when the source is destroyed). Entries
** past the watermark are never saved as read.
*/
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>

#include "ct/ct_source_int.h"
#include "mono_clock.h"

static void commit_cb(lws_sorted_usec_list_t *sul)
{
    ct_commit_maybe(lws_container_of(sul, struct log_run, commit_timer), 0);
}

/* Saves the watermark if it moved and the interval passed (or force);
** if it moved too soon, arranges to save it when the interval is over. */
void ct_commit_maybe(struct log_run *lr, int force)
{
    struct ct_src *src = lr->src;
    struct ct_position pos;
    char err[512];
    uint64_t w;
    int64_t now = mono_ms();

    /* a retired log's file may belong to a newer slot of the same URL */
    if (!src->state_dir || src->cfg.backtest || !lr->started || lr->retired)
        return;
    w = ct_tracker_watermark(lr->tracker);
    if (w == lr->committed && lr->has_saved)
        return;
    /* the "now" start point is the log's word, not something read: saved
    ** only once entries past it were, so a false tree head is not kept */
    if (lr->start_unread && w == lr->committed)
        return;
    lr->start_unread = 0;
    if (!force && now - lr->last_commit_ms < (int64_t)src->cfg.commit_interval_ms) {
        if (src->ctx && !src->destroying)
            lws_sul_schedule(src->ctx, 0, &lr->commit_timer, commit_cb,
                             (lws_usec_t)(lr->last_commit_ms +
                                          src->cfg.commit_interval_ms - now + 1)
                             * LWS_US_PER_MS);
        return;
    }
    pos.next_index = w;
    pos.tree_size = lr->target;
    pos.sth_timestamp_ms = lr->sth_timestamp_ms;
    if (ct_state_save(src->state_dir, lr->url, &pos, err, sizeof err) < 0) {
        log_limited(&lr->errlog, LOG_ERROR, "%s: cannot save position: %s",
                    lr->name, err);
        return;
    }
    lr->committed = w;
    lr->has_saved = 1;
    lr->last_commit_ms = now;
}

/* The tracker moved: tell the loop, once until it looks. */
void ct_commit_on_advance(void *arg, uint64_t watermark)
{
    struct ct_src *src = arg;

    (void)watermark;
    if (!atomic_exchange(&src->poked, 1) && src->ctx)
        lws_cancel_service(src->ctx);
}

void ct_commit_on_room(void *arg)
{
    ct_commit_on_advance(arg, 0);
}

void ct_source_done(struct source *s, uint64_t seq)
{
    struct ct_src *src = (struct ct_src *)s;
    unsigned slot = ct_seq_slot(seq);
    struct log_run *lr;

    /* the acquire pairs with the release that published a new slot */
    if (slot >= atomic_load_explicit(&src->n_pub, memory_order_acquire))
        return;
    lr = src->logs[slot];
    if (!lr->tracker || ct_tracker_complete(lr->tracker,
                                            ct_seq_index(seq)) < 0)
        return;
    /* a retiring log is retired once its last message is done */
    if (atomic_fetch_sub(&lr->pending, 1) == 1 && atomic_load(&lr->retiring))
        ct_commit_on_advance(src, 0);
}
