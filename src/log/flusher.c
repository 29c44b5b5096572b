/* flusher.c - the group-commit thread of a logdir (layer: log).
 *
 * One thread sleeps on a condition variable until kicked (an append asked
 * for durability, or crossed flush.bytes) or a tick passes, then runs one
 * round: the logdir fsyncs every partition that is due. Appends arriving
 * during a round's fsyncs are covered by the next round: one fsync per
 * partition per round, however many appends wait (group commit). The
 * thread never touches partition data itself; it only calls the round.
 */
#include <pthread.h>
#include <time.h>

#include "base/err.h"
#include "base/mem.h"
#include "log/log_int.h"

struct flusher {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    uint64_t kicks;
    int64_t tick_ms;
    void (*round)(void *arg);
    void *arg;
};

static void *run(void *arg)
{
    struct flusher *f = arg;
    uint64_t seen = 0;
    pthread_mutex_lock(&f->mu);
    while (!f->stop) {
        if (f->kicks == seen) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            int64_t ns = ts.tv_nsec + (f->tick_ms % 1000) * 1000000;
            ts.tv_sec += f->tick_ms / 1000 + ns / 1000000000;
            ts.tv_nsec = ns % 1000000000;
            pthread_cond_timedwait(&f->cv, &f->mu, &ts);
            if (f->stop)
                break;
        }
        seen = f->kicks;
        pthread_mutex_unlock(&f->mu);
        f->round(f->arg);
        pthread_mutex_lock(&f->mu);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

int flusher_start(int64_t tick_ms, void (*round)(void *arg), void *arg,
                  struct flusher **out)
{
    struct flusher *f = mem_calloc(1, sizeof(*f));
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&f->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&f->mu, NULL);
    f->tick_ms = tick_ms > 0 ? tick_ms : 100;
    f->round = round;
    f->arg = arg;
    int rc = pthread_create(&f->thread, NULL, run, f);
    if (rc) {
        pthread_cond_destroy(&f->cv);
        pthread_mutex_destroy(&f->mu);
        mem_free(f);
        return -rc;
    }
    *out = f;
    return 0;
}

void flusher_kick(struct flusher *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    f->kicks++;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

void flusher_stop(struct flusher *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    f->stop = true;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->thread, NULL);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    mem_free(f);
}
