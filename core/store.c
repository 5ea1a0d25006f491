/*
** store.c: the shared store, a chained hash table with an age list.
**
** One mutex guards everything: store calls are short (a hash, a compare, a
** copy) and rare next to message decoding, so contention stays low at two
** workers; shard the table if profiles ever say otherwise. Entries sit on
** a doubly linked list in order of last write; eviction takes from the
** old end. Expired entries are dropped when met and when evicting.
**
** Keys are certificate names, which anyone can choose, so chains are
** indexed by SipHash-2-4 under a key drawn at start (as Redis and Lua seed
** theirs): a crafted stream cannot pile its names into one chain.
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "mono_clock.h"
#include "store.h"

#define STORE_DEFAULT_MAX_BYTES (64u << 20)
#define STORE_MIN_BUCKETS 1024

struct entry {
    struct entry *next;             /* hash chain */
    struct entry *older, *newer;    /* age list */
    uint64_t hash;
    double expires;                 /* 0 = never */
    enum store_type type;
    int64_t i;
    double n;
    char *s;
    size_t slen;
    size_t klen;
    char key[];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry **buckets;
static size_t n_buckets, n_entries, used_bytes;
static size_t max_bytes = STORE_DEFAULT_MAX_BYTES;
static struct entry *oldest, *newest;
static uint64_t evictions;
static double clock_offset_s;

double store_now_s(void)
{
    return mono_s() + clock_offset_s;
}

void store_test_advance_s(double dt)
{
    pthread_mutex_lock(&lock);
    clock_offset_s += dt;
    pthread_mutex_unlock(&lock);
}

/* ===== keyed hash ===== */

static uint64_t sip_key[2];
static pthread_once_t sip_once = PTHREAD_ONCE_INIT;

/* Draws the hash key. getrandom can only fail on a kernel without it;
** then time and pid still make the key differ between runs. */
static void sip_seed(void)
{
    struct timespec ts;

    if (getrandom(sip_key, sizeof(sip_key), 0) == (ssize_t)sizeof(sip_key))
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    sip_key[0] = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^
                 (uint64_t)ts.tv_sec;
    sip_key[1] = (uint64_t)getpid() * 0xC2B2AE3D27D4EB4Full ^
                 (uint64_t)(uintptr_t)&ts;
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
    } while (0)

/* SipHash-2-4 of in[0..len) under k (the reference algorithm of Aumasson
** and Bernstein, little-endian words). */
static uint64_t siphash24(const uint64_t k[2], const unsigned char *in,
                          size_t len)
{
    uint64_t v0 = 0x736f6d6570736575ull ^ k[0];
    uint64_t v1 = 0x646f72616e646f6dull ^ k[1];
    uint64_t v2 = 0x6c7967656e657261ull ^ k[0];
    uint64_t v3 = 0x7465646279746573ull ^ k[1];
    uint64_t b = (uint64_t)len << 56, m;
    size_t i, tail = len & 7;

    for (i = 0; i + 8 <= len; i += 8) {
        m = 0;
        for (int j = 7; j >= 0; j--)
            m = m << 8 | in[i + (size_t)j];
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    for (size_t j = 0; j < tail; j++)
        b |= (uint64_t)in[i + j] << (8 * j);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t store_test_siphash(const uint64_t key[2], const void *in,
                            size_t len)
{
    return siphash24(key, in, len);
}

static uint64_t hash_key(const char *k, size_t len)
{
    pthread_once(&sip_once, sip_seed);
    return siphash24(sip_key, (const unsigned char *)k, len);
}

static size_t entry_bytes(const struct entry *e)
{
    return sizeof(*e) + e->klen + e->slen + sizeof(struct entry *);
}

static void age_unlink(struct entry *e)
{
    if (e->older)
        e->older->newer = e->newer;
    else
        oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        newest = e->older;
    e->older = e->newer = NULL;
}

static void age_push_newest(struct entry *e)
{
    e->older = newest;
    e->newer = NULL;
    if (newest)
        newest->newer = e;
    else
        oldest = e;
    newest = e;
}

/* Unlinks e from its chain and the age list and frees it. */
static void remove_entry(struct entry *e)
{
    struct entry **p = &buckets[e->hash % n_buckets];

    while (*p != e)
        p = &(*p)->next;
    *p = e->next;
    age_unlink(e);
    used_bytes -= entry_bytes(e);
    n_entries--;
    free(e->s);
    free(e);
}

static int grow_table(void)
{
    size_t nb = n_buckets ? n_buckets * 2 : STORE_MIN_BUCKETS;
    struct entry **nt = calloc(nb, sizeof(*nt));

    if (!nt)
        return -1;
    for (size_t i = 0; i < n_buckets; i++) {
        struct entry *e = buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            e->next = nt[e->hash % nb];
            nt[e->hash % nb] = e;
        }
    }
    used_bytes += (nb - n_buckets) * sizeof(*nt);
    free(buckets);
    buckets = nt;
    n_buckets = nb;
    return 0;
}

static int expired(const struct entry *e, double now)
{
    return e->expires > 0 && e->expires <= now;
}

/* The live entry for key, or NULL; drops it if it has expired. */
static struct entry *find(const char *key, size_t klen, uint64_t h,
                          double now)
{
    struct entry *e;

    if (!n_buckets)
        return NULL;
    for (e = buckets[h % n_buckets]; e; e = e->next)
        if (e->hash == h && e->klen == klen && !memcmp(e->key, key, klen))
            break;
    if (e && expired(e, now)) {
        remove_entry(e);
        return NULL;
    }
    return e;
}

/* Evicts oldest entries until the store fits its cap, keeping keep if it
** can stay: when keep alone (with the bucket array) is over the cap, it
** goes too, and the result is STORE_ERR_TOO_BIG; else 0. The cap is hard:
** on return the store is within it. */
static int evict(struct entry *keep)
{
    while (used_bytes > max_bytes && oldest) {
        struct entry *victim = oldest == keep ? keep->newer : oldest;
        if (!victim)
            break;
        remove_entry(victim);
        evictions++;
    }
    if (keep && used_bytes > max_bytes) {
        remove_entry(keep);
        return STORE_ERR_TOO_BIG;
    }
    return 0;
}

/* Would an entry with a klen-byte key and a vlen-byte value be over the
** cap on its own? Checked before anything changes, so a refused write
** leaves the old value in place. */
static int too_big(size_t klen, size_t vlen)
{
    size_t fixed = sizeof(struct entry) + sizeof(struct entry *);

    return klen > max_bytes || vlen > max_bytes ||
           fixed + klen + vlen > max_bytes;
}

/* A new entry for key, linked as newest. NULL on OOM. */
static struct entry *insert(const char *key, size_t klen, uint64_t h)
{
    struct entry *e;

    if ((n_entries + 1) * 4 > n_buckets * 3 && grow_table() < 0 &&
        !n_buckets)
        return NULL;
    e = calloc(1, sizeof(*e) + klen + 1);
    if (!e)
        return NULL;
    memcpy(e->key, key, klen);
    e->klen = klen;
    e->hash = h;
    e->next = buckets[h % n_buckets];
    buckets[h % n_buckets] = e;
    age_push_newest(e);
    n_entries++;
    used_bytes += entry_bytes(e);
    return e;
}

static void touch(struct entry *e, double ttl_s, double now)
{
    e->expires = ttl_s > 0 ? now + ttl_s : 0;
    age_unlink(e);
    age_push_newest(e);
}

static void clear_value(struct entry *e)
{
    used_bytes -= e->slen;
    free(e->s);
    e->s = NULL;
    e->slen = 0;
}

int store_seen(const char *key, size_t klen, double ttl_s)
{
    uint64_t h = hash_key(key, klen);
    int rc = 1;
    struct entry *e;
    double now;

    pthread_mutex_lock(&lock);
    now = store_now_s();
    e = find(key, klen, h, now);
    if (!e) {
        rc = 0;
        if (too_big(klen, 0)) {
            rc = STORE_ERR_TOO_BIG;
            goto done;
        }
        e = insert(key, klen, h);
        if (!e) {
            rc = STORE_ERR_NOMEM;
            goto done;
        }
        e->type = STORE_MARK;
    }
    touch(e, ttl_s, now);
    if (evict(e) < 0)
        rc = STORE_ERR_TOO_BIG;
done:
    pthread_mutex_unlock(&lock);
    return rc;
}

int store_incr(const char *key, size_t klen, int64_t by, double ttl_s,
               int64_t *out)
{
    uint64_t h = hash_key(key, klen);
    int64_t sum;
    int rc = 0;
    struct entry *e;
    double now;

    pthread_mutex_lock(&lock);
    now = store_now_s();
    e = find(key, klen, h, now);
    if (!e) {
        if (too_big(klen, 0)) {
            rc = STORE_ERR_TOO_BIG;
            goto done;
        }
        e = insert(key, klen, h);
        if (!e) {
            rc = STORE_ERR_NOMEM;
            goto done;
        }
        e->type = STORE_INT;
        touch(e, ttl_s, now);
    } else if (e->type != STORE_INT) {
        rc = STORE_ERR_TYPE;
        goto done;
    } else if (__builtin_add_overflow(e->i, by, &sum)) {
        rc = STORE_ERR_OVERFLOW;        /* the counter keeps its value */
        goto done;
    } else {
        double expires = e->expires;    /* a fixed window */
        touch(e, 0, now);
        e->expires = expires;
    }
    e->i += by;         /* a new counter is 0; an old one was checked */
    *out = e->i;
    rc = evict(e);
done:
    pthread_mutex_unlock(&lock);
    return rc;
}

int store_set(const char *key, size_t klen, const struct store_value *v,
              double ttl_s)
{
    uint64_t h = hash_key(key, klen);
    int rc = 0;
    struct entry *e;
    double now;

    pthread_mutex_lock(&lock);
    now = store_now_s();
    e = find(key, klen, h, now);
    if (v->type == STORE_NONE) {
        if (e)
            remove_entry(e);
        goto done;
    }
    if (too_big(klen, v->type == STORE_STR ? v->len : 0)) {
        rc = STORE_ERR_TOO_BIG;         /* the old value stays */
        goto done;
    }
    if (!e && !(e = insert(key, klen, h))) {
        rc = STORE_ERR_NOMEM;
        goto done;
    }
    clear_value(e);
    e->type = v->type;
    e->i = v->i;
    e->n = v->n;
    if (v->type == STORE_STR) {
        e->s = malloc(v->len + 1);
        if (!e->s) {
            remove_entry(e);
            rc = STORE_ERR_NOMEM;
            goto done;
        }
        memcpy(e->s, v->s, v->len);
        e->s[v->len] = '\0';
        e->slen = v->len;
        used_bytes += v->len;
    }
    touch(e, ttl_s, now);
    rc = evict(e);
done:
    pthread_mutex_unlock(&lock);
    return rc;
}

void store_get(const char *key, size_t klen, struct store_value *v,
               char *buf, size_t buflen)
{
    uint64_t h = hash_key(key, klen);
    struct entry *e;

    memset(v, 0, sizeof(*v));
    pthread_mutex_lock(&lock);
    e = find(key, klen, h, store_now_s());
    if (e) {
        v->type = e->type;
        v->i = e->i;
        v->n = e->n;
        if (e->type == STORE_STR) {
            size_t n = e->slen < buflen ? e->slen : buflen;
            memcpy(buf, e->s, n);
            v->s = buf;
            v->len = e->slen;
        }
    }
    pthread_mutex_unlock(&lock);
}

int store_foreach(store_each_fn fn, void *arg)
{
    struct store_value v;
    struct entry *e;
    int rc = 0;
    double now;

    pthread_mutex_lock(&lock);
    now = store_now_s();
    for (e = oldest; e && !rc; e = e->newer) {
        if (expired(e, now))
            continue;           /* dropped when met; no need to here */
        v = (struct store_value){ .type = e->type, .i = e->i, .n = e->n,
                                  .s = e->s, .len = e->slen };
        rc = fn(arg, e->key, e->klen, &v, e->expires);
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

int store_restore(const char *key, size_t klen, const struct store_value *v,
                  double expires_s)
{
    uint64_t h = hash_key(key, klen);
    int rc = 0;
    struct entry *e;
    double now;

    if (v->type == STORE_NONE)
        return 0;
    pthread_mutex_lock(&lock);
    now = store_now_s();
    if (expires_s > 0 && expires_s <= now)
        goto done;
    if (too_big(klen, v->type == STORE_STR ? v->len : 0)) {
        rc = STORE_ERR_TOO_BIG;
        goto done;
    }
    e = find(key, klen, h, now);
    if (!e && !(e = insert(key, klen, h))) {
        rc = STORE_ERR_NOMEM;
        goto done;
    }
    clear_value(e);
    e->type = v->type;
    e->i = v->i;
    e->n = v->n;
    if (v->type == STORE_STR) {
        e->s = malloc(v->len + 1);
        if (!e->s) {
            remove_entry(e);
            rc = STORE_ERR_NOMEM;
            goto done;
        }
        memcpy(e->s, v->s, v->len);
        e->s[v->len] = '\0';
        e->slen = v->len;
        used_bytes += v->len;
    }
    touch(e, 0, now);
    e->expires = expires_s;
    rc = evict(e);
done:
    pthread_mutex_unlock(&lock);
    return rc;
}

void store_set_max_bytes(size_t bytes)
{
    pthread_mutex_lock(&lock);
    max_bytes = bytes;
    evict(NULL);
    pthread_mutex_unlock(&lock);
}

void store_reset(void)
{
    pthread_mutex_lock(&lock);
    while (oldest)
        remove_entry(oldest);
    free(buckets);
    buckets = NULL;
    n_buckets = n_entries = used_bytes = 0;
    evictions = 0;
    pthread_mutex_unlock(&lock);
}

struct store_usage store_usage(void)
{
    struct store_usage u;

    pthread_mutex_lock(&lock);
    u.entries = n_entries;
    u.bytes = used_bytes;
    u.evictions = evictions;
    pthread_mutex_unlock(&lock);
    return u;
}

size_t store_test_longest_chain(void)
{
    size_t longest = 0;

    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n_buckets; i++) {
        size_t n = 0;
        for (struct entry *e = buckets[i]; e; e = e->next)
            n++;
        if (n > longest)
            longest = n;
    }
    pthread_mutex_unlock(&lock);
    return longest;
}
