/* worker.h - worker threads that run tasks cooperatively (layer: stream).
 *
 * A pool of N threads (one per core by default), shared-nothing: each
 * thread owns a set of tasks and steps them in turn; a task is stepped by
 * one thread only, so a task needs no lock of its own on the data path.
 * When a whole round of steps did no work the thread sleeps until some
 * partition of the log gets an append (stream_log_wait) or the
 * earliest time a task asked to be stepped again, whichever comes first.
 * Adding and removing tasks goes through a small per-thread inbox (a
 * mutex taken only then, never per step). Not here: what a step does (a
 * query task reads its partition, pushes, writes; sql/query_run.c).
 *
 * Threads: create/add/remove/destroy from any one controlling thread;
 * step() runs on the owning worker thread.
 */
#ifndef RILL_WORKER_H
#define RILL_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct stream_log;

/* One step of a task: do a bounded amount of work (read one buffer,
 * push it, write the outputs; or a tick when due). Returns 1 if it did
 * work (step again soon), 0 if it had nothing to do; may lower
 * *next_due_ms (monotonic ms) to be stepped again by then without an
 * append. A task that failed records its error and returns 0. */
typedef int (*worker_step_fn)(void *arg, int64_t now_mono_ms,
                              int64_t *next_due_ms);

struct worker_task {
    worker_step_fn step;
    void *arg;
    /* owned by the pool */
    int worker;
    atomic_bool attached;
};

struct worker_pool;

/* nthreads <= 0: one per online core. log: the log whose appends wake
 * idle workers (may be NULL: they then poll every max_wait_ms; it must
 * outlive the pool).
 * Returns 0 or ERR_FAILED (no thread). */
int worker_pool_create(int nthreads, const struct stream_log *log,
                       int max_wait_ms, struct worker_pool **out);
/* Stops and joins every thread; tasks still attached are dropped (not
 * freed: they are the caller's). NULL is a no-op. */
void worker_pool_destroy(struct worker_pool *pool);
int worker_pool_threads(const struct worker_pool *pool);

/* Hands t (the caller's memory, kept until removed) to the least loaded
 * thread. Returns 0. */
int worker_pool_add(struct worker_pool *pool, struct worker_task *t);
/* Takes t back; returns once no thread steps it any more. */
void worker_pool_remove(struct worker_pool *pool, struct worker_task *t);

/* The default thread count: online cores (at least 1), or RILL_WORKERS
 * from the environment when set to a positive number. */
int worker_default_threads(void);

#endif
