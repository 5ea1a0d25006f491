/*
** redis_inflight.h: the stream entries a consumer has handed to the
** workers and not yet acknowledged, in the order they were read.
**
** The reader (the --redis source, one thread) adds each entry it queues
** and gets the seq the workers will report; workers mark seqs done (or
** undecodable) from any thread; the reader then takes the settled prefix
** -- the oldest entries, all done -- to XACK them, and releases them once
** Redis answered. So an entry is acknowledged only after every entry read
** before it is settled too, like a CT position, and what is acknowledged
** never outruns what ran. The capacity bounds how much a consumer holds
** unacknowledged (and so how much another consumer could take over while
** it is still queued here).
*/
#ifndef CERTMON_REDIS_INFLIGHT_H
#define CERTMON_REDIS_INFLIGHT_H

#include <stddef.h>
#include <stdint.h>

#define REDIS_ID_MAX 48     /* "ms-seq", two 20-digit numbers and a dash */

struct redis_inflight;

/* Room for cap entries (rounded up to a power of two). NULL on OOM. */
struct redis_inflight *redis_inflight_new(size_t cap);
void redis_inflight_free(struct redis_inflight *f);

/* Entries held now, and how many more fit. */
size_t redis_inflight_len(struct redis_inflight *f);
size_t redis_inflight_room(struct redis_inflight *f);

/* Reader: holds stream entry id (at most REDIS_ID_MAX-1 bytes) as the
** newest entry and returns its seq (> 0); 0 when full or id too long.
** The entry is live at once: a worker may report it before this returns
** to the caller's caller. */
uint64_t redis_inflight_add(struct redis_inflight *f, const char *id);

/* Reader: forgets the newest entry, added but never queued. */
void redis_inflight_unadd(struct redis_inflight *f);

/* Any thread: the entry of seq ran (done) / could not be decoded
** (invalid, reported before done). Unknown seqs are ignored. */
void redis_inflight_done(struct redis_inflight *f, uint64_t seq);
void redis_inflight_invalid(struct redis_inflight *f, uint64_t seq);

/* Reader: the ids of up to max oldest entries that are all done, and
** whether each was invalid; they stay held (pointers valid) until
** released. Returns how many. */
size_t redis_inflight_settled(struct redis_inflight *f, const char **ids,
                              unsigned char *invalid, size_t max);

/* Reader: drops the n oldest entries (acknowledged). */
void redis_inflight_release(struct redis_inflight *f, size_t n);

/* Reader: 1 if id is held now (a claim or a history read of it would
** deliver it twice). */
int redis_inflight_has(struct redis_inflight *f, const char *id);

#endif
