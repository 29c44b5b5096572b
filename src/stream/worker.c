/* worker.c - the worker pool: threads stepping their own tasks in turn,
 * sleeping on the log's append counter when a round did nothing
 * (layer: stream).
 *
 * A worker's task list is touched by that worker only. The controlling
 * thread posts additions and removals to the worker's inbox (mutex +
 * `pending` flag, read once per round); a removal waits on the inbox's
 * condition variable until the worker has dropped the task.
 *
 * Invariants:
 *  1. A task is stepped by at most one thread, and only while attached.
 *  2. worker_pool_remove returns only after the owner cleared `attached`
 *     at a round boundary, so no step of t runs after it.
 *  3. An idle worker sleeps at most max_wait_ms or until the earliest
 *     next_due_ms a task asked for, and wakes on any append to the log; one
 *     without tasks sleeps on its inbox instead (appends do not wake it).
 */
#include "stream/worker.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "stream/stream_log.h"

#define INBOX_MAX 1024

struct worker {
    struct worker_pool *pool;
    pthread_t thread;
    /* owned by the thread */
    struct worker_task **tasks;
    int ntasks, cap;
    /* inbox */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    atomic_bool pending;
    struct worker_task *add[INBOX_MAX], *del[INBOX_MAX];
    int nadd, ndel;
    int load; /* tasks assigned (controller's count) */
};

struct worker_pool {
    const struct stream_log *log; /* NULL: wake on the tick only */
    int max_wait_ms;
    atomic_bool stop;
    int n;
    struct worker *w;
};

int worker_default_threads(void)
{
    const char *e = getenv("RILL_WORKERS");
    if (e) {
        int n = atoi(e);
        if (n > 0 && n <= 256)
            return n;
    }
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c > 0 ? (int)(c > 256 ? 256 : c) : 1;
}

static void take_inbox(struct worker *w)
{
    pthread_mutex_lock(&w->mu);
    for (int i = 0; i < w->nadd; i++) {
        if (w->ntasks == w->cap) {
            w->cap = w->cap ? w->cap * 2 : 16;
            w->tasks = mem_realloc(w->tasks, (size_t)w->cap * sizeof *w->tasks);
        }
        w->tasks[w->ntasks++] = w->add[i];
    }
    w->nadd = 0;
    for (int i = 0; i < w->ndel; i++) {
        for (int j = 0; j < w->ntasks; j++)
            if (w->tasks[j] == w->del[i]) {
                w->tasks[j] = w->tasks[--w->ntasks];
                break;
            }
        atomic_store(&w->del[i]->attached, false);
    }
    w->ndel = 0;
    atomic_store(&w->pending, false);
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mu);
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct worker_pool *pool = w->pool;
    while (!atomic_load(&pool->stop)) {
        if (atomic_load(&w->pending))
            take_inbox(w);
        if (!w->ntasks) {
            /* Nothing to step: appends are none of its business; wait
             * for a task (worker_pool_add signals) or the stop. */
            pthread_mutex_lock(&w->mu);
            if (!atomic_load(&w->pending) && !atomic_load(&pool->stop)) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_nsec += (long)pool->max_wait_ms * 1000000L;
                ts.tv_sec += ts.tv_nsec / 1000000000L;
                ts.tv_nsec %= 1000000000L;
                pthread_cond_timedwait(&w->cond, &w->mu, &ts);
            }
            pthread_mutex_unlock(&w->mu);
            continue;
        }
        /* Taken before the round: an append during it ends the wait. */
        uint64_t seq = pool->log ? stream_log_append_seq(pool->log) : 0;
        int64_t now = clock_mono_ms();
        int64_t due = now + pool->max_wait_ms;
        int busy = 0;
        for (int i = 0; i < w->ntasks; i++)
            busy += w->tasks[i]->step(w->tasks[i]->arg, now, &due) > 0;
        if (busy || atomic_load(&w->pending))
            continue;
        int64_t wait = due - clock_mono_ms();
        if (wait < 1)
            wait = 1;
        if (wait > pool->max_wait_ms)
            wait = pool->max_wait_ms;
        if (pool->log)
            stream_log_wait(pool->log, seq, wait);
        else
            sleep_ms(wait);
    }
    return NULL;
}

int worker_pool_create(int nthreads, const struct stream_log *log,
                       int max_wait_ms, struct worker_pool **out)
{
    struct worker_pool *pool = mem_calloc(1, sizeof *pool);
    pool->log = log;
    pool->max_wait_ms = max_wait_ms > 0 ? max_wait_ms : 10;
    pool->n = nthreads > 0 ? nthreads : worker_default_threads();
    pool->w = mem_calloc((size_t)pool->n, sizeof *pool->w);
    for (int i = 0; i < pool->n; i++) {
        struct worker *w = &pool->w[i];
        w->pool = pool;
        pthread_mutex_init(&w->mu, NULL);
        pthread_cond_init(&w->cond, NULL);
        if (pthread_create(&w->thread, NULL, worker_main, w)) {
            atomic_store(&pool->stop, true);
            for (int j = 0; j < i; j++)
                pthread_join(pool->w[j].thread, NULL);
            for (int j = 0; j <= i; j++) {
                pthread_mutex_destroy(&pool->w[j].mu);
                pthread_cond_destroy(&pool->w[j].cond);
            }
            mem_free(pool->w);
            mem_free(pool);
            return ERR_FAILED;
        }
    }
    *out = pool;
    return 0;
}

void worker_pool_destroy(struct worker_pool *pool)
{
    if (!pool)
        return;
    atomic_store(&pool->stop, true);
    for (int i = 0; i < pool->n; i++) {
        struct worker *w = &pool->w[i];
        pthread_join(w->thread, NULL);
        for (int j = 0; j < w->ntasks; j++)
            atomic_store(&w->tasks[j]->attached, false);
        mem_free(w->tasks);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cond);
    }
    mem_free(pool->w);
    mem_free(pool);
}

int worker_pool_threads(const struct worker_pool *pool)
{
    return pool->n;
}

int worker_pool_add(struct worker_pool *pool, struct worker_task *t)
{
    int best = 0;
    for (int i = 1; i < pool->n; i++)
        if (pool->w[i].load < pool->w[best].load)
            best = i;
    struct worker *w = &pool->w[best];
    for (;;) {
        pthread_mutex_lock(&w->mu);
        if (w->nadd < INBOX_MAX)
            break;
        pthread_mutex_unlock(&w->mu);
        sleep_ms(1); /* the worker drains its inbox every round */
    }
    t->worker = best;
    atomic_store(&t->attached, true);
    w->add[w->nadd++] = t;
    w->load++;
    atomic_store(&w->pending, true);
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

void worker_pool_remove(struct worker_pool *pool, struct worker_task *t)
{
    if (!atomic_load(&t->attached))
        return;
    struct worker *w = &pool->w[t->worker];
    pthread_mutex_lock(&w->mu);
    while (w->ndel >= INBOX_MAX) {
        pthread_mutex_unlock(&w->mu);
        sleep_ms(1);
        pthread_mutex_lock(&w->mu);
    }
    w->del[w->ndel++] = t;
    w->load--;
    atomic_store(&w->pending, true);
    while (atomic_load(&t->attached) && !atomic_load(&pool->stop))
        pthread_cond_wait(&w->cond, &w->mu);
    pthread_mutex_unlock(&w->mu);
}
