/* metrics.c - per-thread shards of counters and histograms (layer: base).
 *
 * Invariants:
 *   1. A shard is written by at most one thread at a time: the thread whose
 *      thread-local `mine` points to it (claimed under list_mu, released by
 *      the thread-exit destructor).
 *   2. Shards are never freed: the list only grows, to the largest number
 *      of counting threads alive at once.
 */
#include "base/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "base/mem.h"

const uint64_t metrics_bucket_le_us[METRICS_BUCKETS - 1] = {
    50,    100,   250,    500,    1000,   2500,    5000,   10000,
    25000, 50000, 100000, 250000, 500000, 1000000, 2500000};

struct shard {
    _Atomic uint64_t counters[METRIC_COUNTERS];
    _Atomic uint64_t buckets[METRIC_HISTS][METRICS_BUCKETS];
    _Atomic uint64_t sum_us[METRIC_HISTS];
    struct shard *next;
    bool in_use; /* under list_mu */
};

static pthread_mutex_t list_mu = PTHREAD_MUTEX_INITIALIZER;
static struct shard *_Atomic shards;
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static _Thread_local struct shard *mine;

static void release(void *arg)
{
    struct shard *s = arg;
    pthread_mutex_lock(&list_mu);
    s->in_use = false;
    pthread_mutex_unlock(&list_mu);
}

static void make_key(void)
{
    pthread_key_create(&exit_key, release);
}

/* Claims a shard for this thread: a released one, or a new one. */
static struct shard *claim(void)
{
    pthread_once(&key_once, make_key);
    pthread_mutex_lock(&list_mu);
    struct shard *s = atomic_load(&shards);
    while (s && s->in_use)
        s = s->next;
    if (!s) {
        s = mem_calloc(1, sizeof *s);
        s->next = atomic_load(&shards);
        atomic_store(&shards, s);
    }
    s->in_use = true;
    pthread_mutex_unlock(&list_mu);
    pthread_setspecific(exit_key, s);
    mine = s;
    return s;
}

static inline void bump(_Atomic uint64_t *v, uint64_t n)
{
    /* Single writer (invariant 1): no read-modify-write needed. */
    atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

void metrics_add(enum metric_counter c, uint64_t n)
{
    struct shard *s = mine ? mine : claim();
    if ((unsigned)c < METRIC_COUNTERS)
        bump(&s->counters[c], n);
}

void metrics_observe_us(enum metric_hist h, uint64_t us)
{
    struct shard *s = mine ? mine : claim();
    if ((unsigned)h >= METRIC_HISTS)
        return;
    int b = 0;
    while (b < METRICS_BUCKETS - 1 && us > metrics_bucket_le_us[b])
        b++;
    bump(&s->buckets[h][b], 1);
    bump(&s->sum_us[h], us);
}

uint64_t metrics_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void metrics_snapshot(struct metrics_snapshot *out)
{
    *out = (struct metrics_snapshot){0};
    /* The list only grows at its head (invariant 2): walk without the lock. */
    for (struct shard *s = atomic_load(&shards); s; s = s->next) {
        for (int i = 0; i < METRIC_COUNTERS; i++)
            out->counters[i] +=
                atomic_load_explicit(&s->counters[i], memory_order_relaxed);
        for (int h = 0; h < METRIC_HISTS; h++) {
            for (int b = 0; b < METRICS_BUCKETS; b++)
                out->buckets[h][b] += atomic_load_explicit(
                    &s->buckets[h][b], memory_order_relaxed);
            out->sum_us[h] +=
                atomic_load_explicit(&s->sum_us[h], memory_order_relaxed);
        }
    }
}
