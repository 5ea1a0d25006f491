/*
** redis_inflight.c: a ring of unacknowledged stream entries (see
** redis_inflight.h).
**
** head is the seq of the oldest held entry, next the seq the next add
** gets; slot seq & mask holds seq for head <= seq < next. Only the reader
** moves head and next, but workers read them to check a seq, so both live
** under the lock with the flags.
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "redis/redis_inflight.h"

struct slot {
    char id[REDIS_ID_MAX];
    unsigned char done;
    unsigned char invalid;
};

struct redis_inflight {
    pthread_mutex_t lock;
    struct slot *slots;
    size_t mask;
    uint64_t head, next;
};

struct redis_inflight *redis_inflight_new(size_t cap)
{
    struct redis_inflight *f = calloc(1, sizeof(*f));
    size_t n = 1;

    while (n < cap)
        n <<= 1;
    if (!f || !(f->slots = calloc(n, sizeof(*f->slots)))) {
        free(f);
        return NULL;
    }
    pthread_mutex_init(&f->lock, NULL);
    f->mask = n - 1;
    f->head = f->next = 1;
    return f;
}

void redis_inflight_free(struct redis_inflight *f)
{
    if (!f)
        return;
    pthread_mutex_destroy(&f->lock);
    free(f->slots);
    free(f);
}

size_t redis_inflight_len(struct redis_inflight *f)
{
    size_t n;

    pthread_mutex_lock(&f->lock);
    n = (size_t)(f->next - f->head);
    pthread_mutex_unlock(&f->lock);
    return n;
}

size_t redis_inflight_room(struct redis_inflight *f)
{
    return f->mask + 1 - redis_inflight_len(f);
}

uint64_t redis_inflight_add(struct redis_inflight *f, const char *id)
{
    size_t len = strlen(id);
    uint64_t seq = 0;

    if (len >= REDIS_ID_MAX)
        return 0;
    pthread_mutex_lock(&f->lock);
    if (f->next - f->head <= f->mask) {
        struct slot *s = &f->slots[f->next & f->mask];
        memcpy(s->id, id, len + 1);
        s->done = s->invalid = 0;
        seq = f->next++;
    }
    pthread_mutex_unlock(&f->lock);
    return seq;
}

void redis_inflight_unadd(struct redis_inflight *f)
{
    pthread_mutex_lock(&f->lock);
    if (f->next > f->head)
        f->next--;
    pthread_mutex_unlock(&f->lock);
}

/* Sets a flag of seq's slot if seq is held. */
static void mark(struct redis_inflight *f, uint64_t seq, int invalid)
{
    pthread_mutex_lock(&f->lock);
    if (seq >= f->head && seq < f->next) {
        struct slot *s = &f->slots[seq & f->mask];
        if (invalid)
            s->invalid = 1;
        else
            s->done = 1;
    }
    pthread_mutex_unlock(&f->lock);
}

void redis_inflight_done(struct redis_inflight *f, uint64_t seq)
{
    mark(f, seq, 0);
}

void redis_inflight_invalid(struct redis_inflight *f, uint64_t seq)
{
    mark(f, seq, 1);
}

size_t redis_inflight_settled(struct redis_inflight *f, const char **ids,
                              unsigned char *invalid, size_t max)
{
    size_t n = 0;

    pthread_mutex_lock(&f->lock);
    for (uint64_t seq = f->head; seq < f->next && n < max; seq++, n++) {
        struct slot *s = &f->slots[seq & f->mask];
        if (!s->done)
            break;
        ids[n] = s->id;
        invalid[n] = s->invalid;
    }
    pthread_mutex_unlock(&f->lock);
    return n;
}

void redis_inflight_release(struct redis_inflight *f, size_t n)
{
    pthread_mutex_lock(&f->lock);
    if (n > f->next - f->head)
        n = (size_t)(f->next - f->head);
    f->head += n;
    pthread_mutex_unlock(&f->lock);
}

int redis_inflight_has(struct redis_inflight *f, const char *id)
{
    int found = 0;

    pthread_mutex_lock(&f->lock);
    for (uint64_t seq = f->head; seq < f->next && !found; seq++)
        found = strcmp(f->slots[seq & f->mask].id, id) == 0;
    pthread_mutex_unlock(&f->lock);
    return found;
}
