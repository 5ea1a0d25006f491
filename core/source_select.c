/*
** source_select.c: options → source.
*/
#include <stdio.h>
#include <string.h>

#include "ct/ct_select.h"
#include "redis/redis_source.h"
#include "replay_source.h"
#include "source_select.h"
#include "ws/ws_source.h"

void source_done(void *arg, uint64_t seq)
{
    struct source *s = arg;
    s->done(s, seq);
}

void source_invalid(void *arg, uint64_t seq)
{
    struct source *s = arg;
    s->invalid(s, seq);
}

int source_select(const struct options *o, const char *home,
                  struct source_choice *out, char *err, size_t errlen)
{
    static const char *const default_urls[] = { OPTIONS_DEFAULT_URL };

    memset(out, 0, sizeof(*out));
    if (o->replay_path) {
        /* "FILE line N: ..." in logs: one replay source per process */
        static char replay_label[512];
        snprintf(replay_label, sizeof(replay_label), "%s line",
                 strcmp(o->replay_path, "-") ? o->replay_path : "stdin");
        out->src = replay_source_new(o->replay_path, err, errlen);
        out->on_full = FULL_BLOCK;      /* replay never drops */
        out->seq_label = replay_label;
    } else if (o->ct) {
        out->src = ct_select_source(o, home, err, errlen);
        out->on_full = FULL_BLOCK;      /* nor do CT logs: no gaps */
        out->seq_label = "entry";
    } else if (o->redis_url) {
        struct redis_source_config rc = {
            .url = o->redis_url,
            .start_oldest = o->redis_start_oldest,
            .claim_idle_ms = o->redis_claim_idle_ms,
            .max_deliveries = o->redis_max_deliveries,
            .reconnect_min_ms = o->reconnect_min_ms,
            .reconnect_max_ms = o->reconnect_max_ms,
            .stats_interval_s = o->stats_interval_s,
        };
        out->src = redis_source_new(&rc, err, errlen);
        out->on_full = FULL_BLOCK;      /* a full queue stops reading */
        out->seq_label = "stream entry";
    } else {
        struct ws_config wc = {
            .urls = o->n_urls ? o->urls : default_urls,
            .n_urls = o->n_urls ? o->n_urls : 1,
            .ca_file = o->ca_file,
            .insecure = o->insecure,
            .ping_interval_s = o->ping_interval_s,
            .idle_timeout_s = o->idle_timeout_s,
            .reconnect_min_ms = o->reconnect_min_ms,
            .reconnect_max_ms = o->reconnect_max_ms,
            .stats_interval_s = o->stats_interval_s,
        };
        out->src = ws_source_new(&wc, err, errlen);
        out->on_full = o->on_full;      /* default drop: never stall */
        out->seq_label = "message";
    }
    return out->src ? 0 : -1;
}
