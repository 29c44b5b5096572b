/* loop.h - a single-threaded epoll event loop with timers (layer: net).
 *
 * One loop runs on one thread. It watches file descriptors (struct loop_io),
 * fires one-shot and periodic timers (struct loop_timer, a binary min-heap on
 * the monotonic clock), runs "deferred" callbacks after the current batch of
 * events (struct loop_defer, for freeing objects an event in the same batch
 * may still point to), and accepts callbacks posted from other threads
 * (loop_post, woken through an eventfd). It does no I/O of its own besides
 * epoll_wait and the eventfd.
 *
 * Ownership: loop_io, loop_timer and loop_defer live in the caller's memory
 * (libuv style: init, start, stop). The loop never frees them. An io may be
 * stopped from inside any callback; its memory must then stay valid until
 * the current batch ends (use loop_defer_start to free it).
 * Threads: every function is loop-thread only, except loop_post and
 * loop_stop, which any thread may call.
 */
#ifndef RILL_LOOP_H
#define RILL_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;

/* Event bits for loop_io (same values as EPOLLIN / EPOLLOUT). */
enum { LOOP_READ = 0x1, LOOP_WRITE = 0x4 };

struct loop_io;
/* events: LOOP_READ / LOOP_WRITE that are ready; errors and hang-ups are
 * reported as both (the next read or write returns the error). */
typedef void loop_io_fn(struct loop *l, struct loop_io *io, uint32_t events);

struct loop_io {
    int fd;
    uint32_t events; /* what is being watched (0 = not registered) */
    loop_io_fn *cb;
    void *arg;
    bool registered;
};

struct loop_timer;
typedef void loop_timer_fn(struct loop *l, struct loop_timer *t);

struct loop_timer {
    int64_t due_ms;    /* monotonic ms */
    int64_t period_ms; /* 0 = one-shot */
    loop_timer_fn *cb;
    void *arg;
    size_t heap_idx; /* SIZE_MAX when not started */
};

struct loop_defer;
typedef void loop_defer_fn(struct loop *l, void *arg);

struct loop_defer {
    struct loop_defer *next;
    loop_defer_fn *cb;
    void *arg;
    bool queued;
};

/* Creates a loop (epoll fd + eventfd). Returns 0 or -errno. */
int loop_create(struct loop **out);
/* Frees the loop. Watched fds are not closed; posted callbacks not yet run
 * are dropped. NULL is a no-op. */
void loop_destroy(struct loop *l);
/* Runs until loop_stop. Returns 0, or -errno if epoll fails. */
int loop_run(struct loop *l);
/* Runs one iteration, waiting at most timeout_ms (-1 = until an event or
 * the next timer). Returns the number of callbacks run, or -errno. */
int loop_run_once(struct loop *l, int timeout_ms);
/* Asks loop_run to return after the current iteration. Any thread. */
void loop_stop(struct loop *l);
/* Monotonic time in ms, cached at the start of each iteration. */
int64_t loop_now_ms(const struct loop *l);

/* --- fd watches --- */
void loop_io_init(struct loop_io *io, int fd, loop_io_fn *cb, void *arg);
/* Sets the watched events (LOOP_READ | LOOP_WRITE); 0 unregisters the fd.
 * Returns 0 or -errno. */
int loop_io_set(struct loop *l, struct loop_io *io, uint32_t events);
/* Unregisters the fd (call before closing it). */
void loop_io_stop(struct loop *l, struct loop_io *io);

/* --- timers --- */
void loop_timer_init(struct loop_timer *t, loop_timer_fn *cb, void *arg);
/* (Re)arms the timer to fire after delay_ms, then every period_ms if > 0. */
void loop_timer_start(struct loop *l, struct loop_timer *t, int64_t delay_ms,
                      int64_t period_ms);
void loop_timer_stop(struct loop *l, struct loop_timer *t);
static inline bool loop_timer_active(const struct loop_timer *t)
{
    return t->heap_idx != SIZE_MAX;
}

/* --- deferred callbacks: run once, after the current batch of events --- */
void loop_defer_init(struct loop_defer *d, loop_defer_fn *cb, void *arg);
/* Queues d (no-op if already queued). */
void loop_defer_start(struct loop *l, struct loop_defer *d);

/* --- cross-thread messages --- */
/* Runs fn(l, arg) on the loop thread soon. Any thread; never blocks on the
 * loop (a short mutex-protected queue). */
void loop_post(struct loop *l, loop_defer_fn *fn, void *arg);

#endif
