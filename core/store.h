/*
** store.h: state that outlives a rule reload, shared by all workers.
**
** A key-value map owned by C: marks (for "seen"), counters and string or
** number values, each with an optional time to live. Memory is bounded:
** past the cap the least recently written entries are evicted first.
** Thread-safe; every operation is atomic with respect to the others.
*/
#ifndef CERTMON_STORE_H
#define CERTMON_STORE_H

#include <stddef.h>
#include <stdint.h>

enum store_type {
    STORE_NONE,         /* absent or expired */
    STORE_MARK,
    STORE_INT,
    STORE_NUM,
    STORE_STR,
};

struct store_value {
    enum store_type type;
    int64_t i;
    double n;
    const char *s;      /* STORE_STR: valid until the caller's next call */
    size_t len;
};

/* Sets the memory cap (bytes of keys, values and bookkeeping) of the one
** process-wide store; evicts at once if it is already larger. */
void store_set_max_bytes(size_t max_bytes);

/* Frees every entry (at exit; tests). */
void store_reset(void);

/* ttl_s <= 0 means no expiry. Keys are byte strings. The memory cap is
** hard: an entry that would not fit on its own (a 100 MB value under an
** 8 MiB cap) is refused with STORE_ERR_TOO_BIG rather than kept. */

/* Why an operation failed (all negative). */
enum store_error {
    STORE_ERR_NOMEM = -1,       /* malloc failed */
    STORE_ERR_TYPE = -2,        /* incr on a key that is not a counter */
    STORE_ERR_TOO_BIG = -3,     /* the entry alone exceeds the cap */
    STORE_ERR_OVERFLOW = -4,    /* incr would leave int64 range */
};

/* Returns 1 if key holds a live entry, else 0; either way marks it now
** with ttl_s (a new window each time it was absent). Atomic: of two
** workers asking at once, exactly one gets 0. A store_error on failure. */
int store_seen(const char *key, size_t klen, double ttl_s);

/* Adds by to the counter at key (created at 0 with ttl_s; the window is
** not extended by later increments) and returns the new value in *out.
** STORE_ERR_TYPE if key holds a non-counter value; STORE_ERR_OVERFLOW,
** the counter unchanged, if the sum would leave int64 range (an error
** rather than saturation: a counter that stops counting would mislead a
** threshold silently); STORE_ERR_NOMEM, STORE_ERR_TOO_BIG. */
int store_incr(const char *key, size_t klen, int64_t by, double ttl_s,
               int64_t *out);

/* Stores a copy of v (MARK/INT/NUM/STR) with ttl_s; STORE_NONE deletes.
** STORE_ERR_TOO_BIG (the old value kept) or STORE_ERR_NOMEM on failure. */
int store_set(const char *key, size_t klen, const struct store_value *v,
              double ttl_s);

/* Copies the live value at key into *v (strings into buf, truncated to
** buflen; v->len is the full length). v->type is STORE_NONE if absent. */
void store_get(const char *key, size_t klen, struct store_value *v,
               char *buf, size_t buflen);

/* Counts for the status line and tests, read together under the lock. */
struct store_usage {
    size_t entries;
    size_t bytes;
    uint64_t evictions;
};

struct store_usage store_usage(void);

/* SipHash-2-4 of in[0..len) under key, as the store hashes keys (under a
** random key of its own). Exposed for tests. */
uint64_t store_test_siphash(const uint64_t key[2], const void *in,
                            size_t len);

/* Length of the longest hash chain (tests: keys crafted to collide). */
size_t store_test_longest_chain(void);

/* Calls fn for each live entry, oldest write first, with its expiry on
** the store's clock (0 = never), all under the store's lock: fn must only
** copy (never call the store) and returns 0 to go on, nonzero to stop
** (that value is returned). For snapshots (store_snapshot.c). */
typedef int (*store_each_fn)(void *arg, const char *key, size_t klen,
                             const struct store_value *v, double expires_s);
int store_foreach(store_each_fn fn, void *arg);

/* Stores a copy of v (MARK/INT/NUM/STR) expiring at expires_s on the
** store's clock (0 = never), as newest; an expiry already past stores
** nothing and returns 0. For loading snapshots. Errors as store_set. */
int store_restore(const char *key, size_t klen, const struct store_value *v,
                  double expires_s);

/* The clock the store uses, in seconds; tests may advance it. */
double store_now_s(void);
void store_test_advance_s(double dt);

#endif
