/* test_worker.c - the worker pool: tasks are spread over the threads,
 * each task is stepped by one thread only, an idle pool still steps tasks
 * by their due time, and removal waits until no thread steps the task. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "../../harness.h"
#include "base/clock.h"
#include "stream/worker.h"

struct counter {
    struct worker_task wt;
    atomic_int steps;
    int work;          /* steps that report work */
    pthread_t thread;  /* the thread of the first step */
    atomic_bool moved; /* stepped by another thread later */
    atomic_bool seen;
};

static int step(void *arg, int64_t now, int64_t *due)
{
    struct counter *c = arg;
    if (!atomic_load(&c->seen)) {
        c->thread = pthread_self();
        atomic_store(&c->seen, true);
    } else if (!pthread_equal(c->thread, pthread_self())) {
        atomic_store(&c->moved, true);
    }
    int n = atomic_fetch_add(&c->steps, 1) + 1;
    if (n <= c->work)
        return 1;
    if (now + 2 < *due)
        *due = now + 2; /* idle: step me again in 2 ms */
    return 0;
}

static void wait_ms(int ms)
{
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

TEST(spread_and_stepped)
{
    struct worker_pool *pool;
    CHECK_EQ_INT(worker_pool_create(2, NULL, 20, &pool), 0);
    CHECK_EQ_INT(worker_pool_threads(pool), 2);
    struct counter c[8];
    memset(c, 0, sizeof c);
    for (int i = 0; i < 8; i++) {
        c[i].work = 1000;
        c[i].wt.step = step;
        c[i].wt.arg = &c[i];
        CHECK_EQ_INT(worker_pool_add(pool, &c[i].wt), 0);
    }
    int64_t end = clock_mono_ms() + 5000;
    bool all = false;
    while (!all && clock_mono_ms() < end) {
        all = true;
        for (int i = 0; i < 8; i++)
            all = all && atomic_load(&c[i].steps) > 1000;
        wait_ms(1);
    }
    CHECK(all);
    /* Four tasks per thread, each always on the same thread. */
    int on_first = 0;
    for (int i = 0; i < 8; i++) {
        CHECK(!atomic_load(&c[i].moved));
        on_first += pthread_equal(c[i].thread, c[0].thread) != 0;
    }
    CHECK_EQ_INT(on_first, 4);
    /* Idle tasks are still stepped by their due time (2 ms), not only
     * every max_wait (20 ms): ~100 steps in 250 ms, at least 20. */
    int before = atomic_load(&c[0].steps);
    wait_ms(250);
    int idle_steps = atomic_load(&c[0].steps) - before;
    CHECK(idle_steps >= 20);
    /* Removed: never stepped again. */
    worker_pool_remove(pool, &c[3].wt);
    CHECK(!atomic_load(&c[3].wt.attached));
    int frozen = atomic_load(&c[3].steps);
    wait_ms(50);
    CHECK_EQ_INT(atomic_load(&c[3].steps), frozen);
    CHECK(atomic_load(&c[4].steps) > 1000);
    worker_pool_remove(pool, &c[3].wt); /* twice: a no-op */
    /* Added again: stepped again. */
    CHECK_EQ_INT(worker_pool_add(pool, &c[3].wt), 0);
    end = clock_mono_ms() + 2000;
    while (atomic_load(&c[3].steps) == frozen && clock_mono_ms() < end)
        wait_ms(1);
    CHECK(atomic_load(&c[3].steps) > frozen);
    worker_pool_destroy(pool);
    worker_pool_destroy(NULL);
}

TEST(default_threads)
{
    CHECK(worker_default_threads() >= 1);
    setenv("RILL_WORKERS", "3", 1);
    CHECK_EQ_INT(worker_default_threads(), 3);
    struct worker_pool *pool;
    CHECK_EQ_INT(worker_pool_create(0, NULL, 0, &pool), 0);
    CHECK_EQ_INT(worker_pool_threads(pool), 3);
    worker_pool_destroy(pool);
    setenv("RILL_WORKERS", "junk", 1);
    CHECK(worker_default_threads() >= 1);
    unsetenv("RILL_WORKERS");
}

int main(void)
{
    RUN(spread_and_stepped);
    RUN(default_threads);
    return harness_summary("test_worker");
}
