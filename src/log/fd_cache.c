/* fd_cache.c - the bound on open segment files (layer: log). See
 * fd_cache.h for the rule.
 *
 * Invariants (ring_mu held):
 *   1. A segment is on the ring iff it has an owner and its .log fd is
 *      open; open_count is the ring's length.
 *   2. A segment's fd is closed by the bound only under its owner's mutex,
 *      with refs == 1 (the partition's own reference: no slice or flusher
 *      is using the fd, and new references are only taken under that
 *      mutex), and never the segment that is being opened. A file closed
 *      with bytes not yet fsynced is fsynced by name by the flusher
 *      (segment.c, sync_by_name), so appends to hundreds of partitions at
 *      once cannot run the process out of descriptors either.
 * Lock order: a partition mutex, then ring_mu; under ring_mu other
 * partitions' mutexes are only tried (pthread_mutex_trylock), never waited
 * for, so no cycle can form.
 */
#include "log/fd_cache.h"

#include <stdbool.h>
#include <unistd.h>

#include "log/segment.h"

static pthread_mutex_t ring_mu = PTHREAD_MUTEX_INITIALIZER;
static struct segment *hand; /* CLOCK hand; NULL when the ring is empty */
static int64_t open_count;
static int64_t max_open;
static uint64_t evictions;

void fd_cache_set_max(int64_t max)
{
    __atomic_store_n(&max_open, max < 0 ? 0 : max, __ATOMIC_RELAXED);
}

int64_t fd_cache_max(void)
{
    return __atomic_load_n(&max_open, __ATOMIC_RELAXED);
}

int64_t fd_cache_open_count(void)
{
    return __atomic_load_n(&open_count, __ATOMIC_RELAXED);
}

uint64_t fd_cache_evictions(void)
{
    return __atomic_load_n(&evictions, __ATOMIC_RELAXED);
}

static void link_locked(struct segment *s)
{
    if (s->fc_linked)
        return;
    if (!hand) {
        s->fc_next = s->fc_prev = s;
        hand = s;
    } else {
        /* Just behind the hand: the last the sweep reaches. */
        s->fc_next = hand;
        s->fc_prev = hand->fc_prev;
        hand->fc_prev->fc_next = s;
        hand->fc_prev = s;
    }
    s->fc_linked = true;
    __atomic_add_fetch(&open_count, 1, __ATOMIC_RELAXED);
}

static void unlink_locked(struct segment *s)
{
    if (!s->fc_linked)
        return;
    if (s->fc_next == s) {
        hand = NULL;
    } else {
        if (hand == s)
            hand = s->fc_next;
        s->fc_prev->fc_next = s->fc_next;
        s->fc_next->fc_prev = s->fc_prev;
    }
    s->fc_next = s->fc_prev = NULL;
    s->fc_linked = false;
    __atomic_sub_fetch(&open_count, 1, __ATOMIC_RELAXED);
}

/* Invariant 2; the owner's mutex is held. */
static bool closable(const struct segment *s)
{
    return s->fd >= 0 && __atomic_load_n(&s->refs, __ATOMIC_ACQUIRE) == 1;
}

/* Sweeps until open_count <= target or a full two turns found nothing
 * (everything in use); `force` ignores the second-chance bit. */
static int sweep_locked(int64_t target, struct segment *self,
                        pthread_mutex_t *held, bool force)
{
    int closed = 0;
    int64_t budget = 2 * open_count + 2;
    while (hand && open_count > target && budget-- > 0) {
        struct segment *s = hand;
        hand = s->fc_next;
        if (s == self || !s->owner)
            continue;
        if (!force && __atomic_exchange_n(&s->fc_used, 0, __ATOMIC_RELAXED))
            continue;
        bool mine = s->owner == held;
        if (!mine && pthread_mutex_trylock(s->owner) != 0)
            continue;
        if (closable(s)) {
            int fd = s->fd;
            __atomic_store_n(&s->fd, -1, __ATOMIC_RELEASE);
            unlink_locked(s);
            close(fd);
            closed++;
            __atomic_add_fetch(&evictions, 1, __ATOMIC_RELAXED);
        }
        if (!mine)
            pthread_mutex_unlock(s->owner);
    }
    return closed;
}

void fd_cache_opened(struct segment *s, pthread_mutex_t *held)
{
    pthread_mutex_lock(&ring_mu);
    if (s->owner && s->fd >= 0) {
        link_locked(s);
        int64_t max = fd_cache_max();
        if (max > 0 && open_count > max)
            sweep_locked(max, s, held, false);
    }
    pthread_mutex_unlock(&ring_mu);
}

void fd_cache_forget(struct segment *s)
{
    pthread_mutex_lock(&ring_mu);
    s->owner = NULL;
    unlink_locked(s);
    pthread_mutex_unlock(&ring_mu);
}

void fd_cache_set_owner(struct segment *s, pthread_mutex_t *owner,
                        pthread_mutex_t *held)
{
    pthread_mutex_lock(&ring_mu);
    s->owner = owner;
    if (!owner) {
        unlink_locked(s);
    } else if (s->fd >= 0 && !s->fc_linked) {
        link_locked(s);
        int64_t max = fd_cache_max();
        if (max > 0 && open_count > max)
            sweep_locked(max, s, held, false);
    }
    pthread_mutex_unlock(&ring_mu);
}

int fd_cache_shrink(int n, pthread_mutex_t *held)
{
    pthread_mutex_lock(&ring_mu);
    int64_t target = open_count - n;
    int closed = sweep_locked(target < 0 ? 0 : target, NULL, held, true);
    pthread_mutex_unlock(&ring_mu);
    return closed;
}
