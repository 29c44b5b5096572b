/* loop.c - epoll event loop, timer heap, deferred and posted callbacks
 * (layer: net).
 *
 * One iteration: compute the wait from the earliest timer, epoll_wait, run
 * io callbacks, run due timers, run deferred callbacks, drain posted ones.
 * The OS back end is four static functions (be_*) so the rest reads as
 * plain logic. Invariants:
 *   1. heap[i]->heap_idx == i for every started timer; a stopped timer has
 *      heap_idx == SIZE_MAX.
 *   2. A timer callback may stop or restart any timer, itself included.
 *   3. The posted-callback queue is the only state shared between threads;
 *      it is guarded by post_mu and drained by swapping arrays.
 */
#include "net/loop.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"

#define LOOP_MAX_EVENTS 256

struct posted {
    loop_defer_fn *fn;
    void *arg;
};

struct loop {
    int epfd;
    int wakefd;
    struct loop_io wake_io;
    atomic_bool stopping;
    int64_t now_ms;

    struct loop_timer **heap;
    size_t heap_len, heap_cap;

    struct loop_defer *defer_head, *defer_tail;

    pthread_mutex_t post_mu;
    struct posted *posts, *posts_spare;
    size_t posts_len, posts_cap, spare_cap;
};

/* --- OS back end ------------------------------------------------------- */

static int be_create(void)
{
    int fd = epoll_create1(EPOLL_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

static int be_ctl(struct loop *l, int op, struct loop_io *io, uint32_t ev)
{
    struct epoll_event e = {0};
    e.events = ev;
    e.data.ptr = io;
    return epoll_ctl(l->epfd, op, io->fd, &e) < 0 ? -errno : 0;
}

static int be_wait(struct loop *l, struct epoll_event *evs, int timeout)
{
    int n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, timeout);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    return n;
}

static void be_close(struct loop *l)
{
    close(l->epfd);
}

/* --- timer heap ---------------------------------------------------------- */

static void heap_swap(struct loop *l, size_t a, size_t b)
{
    struct loop_timer *t = l->heap[a];
    l->heap[a] = l->heap[b];
    l->heap[b] = t;
    l->heap[a]->heap_idx = a;
    l->heap[b]->heap_idx = b;
}

static void heap_up(struct loop *l, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (l->heap[p]->due_ms <= l->heap[i]->due_ms)
            break;
        heap_swap(l, p, i);
        i = p;
    }
}

static void heap_down(struct loop *l, size_t i)
{
    for (;;) {
        size_t c = 2 * i + 1, m = i;
        if (c < l->heap_len && l->heap[c]->due_ms < l->heap[m]->due_ms)
            m = c;
        if (c + 1 < l->heap_len && l->heap[c + 1]->due_ms < l->heap[m]->due_ms)
            m = c + 1;
        if (m == i)
            return;
        heap_swap(l, i, m);
        i = m;
    }
}

void loop_timer_init(struct loop_timer *t, loop_timer_fn *cb, void *arg)
{
    t->due_ms = 0;
    t->period_ms = 0;
    t->cb = cb;
    t->arg = arg;
    t->heap_idx = SIZE_MAX;
}

void loop_timer_stop(struct loop *l, struct loop_timer *t)
{
    size_t i = t->heap_idx;
    if (i == SIZE_MAX)
        return;
    t->heap_idx = SIZE_MAX;
    l->heap_len--;
    if (i == l->heap_len)
        return;
    l->heap[i] = l->heap[l->heap_len];
    l->heap[i]->heap_idx = i;
    heap_up(l, i);
    heap_down(l, l->heap[i]->heap_idx);
}

void loop_timer_start(struct loop *l, struct loop_timer *t, int64_t delay_ms,
                      int64_t period_ms)
{
    loop_timer_stop(l, t);
    if (delay_ms < 0)
        delay_ms = 0;
    t->due_ms = clock_mono_ms() + delay_ms;
    t->period_ms = period_ms > 0 ? period_ms : 0;
    if (l->heap_len == l->heap_cap) {
        l->heap_cap = l->heap_cap ? 2 * l->heap_cap : 16;
        l->heap = mem_realloc(l->heap, l->heap_cap * sizeof(*l->heap));
    }
    t->heap_idx = l->heap_len;
    l->heap[l->heap_len++] = t;
    heap_up(l, t->heap_idx);
}

static int run_timers(struct loop *l)
{
    int n = 0;
    /* Bound the work so a periodic 0 ms timer cannot starve io. */
    size_t budget = l->heap_len + 1;
    while (l->heap_len > 0 && budget-- > 0) {
        struct loop_timer *t = l->heap[0];
        if (t->due_ms > l->now_ms)
            break;
        loop_timer_stop(l, t);
        if (t->period_ms > 0) {
            /* Re-arm before the callback so it may stop the timer. */
            t->due_ms += t->period_ms;
            if (t->due_ms <= l->now_ms)
                t->due_ms = l->now_ms + t->period_ms;
            if (l->heap_len == l->heap_cap) {
                l->heap_cap = l->heap_cap ? 2 * l->heap_cap : 16;
                l->heap = mem_realloc(l->heap, l->heap_cap * sizeof(*l->heap));
            }
            t->heap_idx = l->heap_len;
            l->heap[l->heap_len++] = t;
            heap_up(l, t->heap_idx);
        }
        t->cb(l, t);
        n++;
    }
    return n;
}

/* --- deferred and posted callbacks --------------------------------------- */

void loop_defer_init(struct loop_defer *d, loop_defer_fn *cb, void *arg)
{
    d->next = NULL;
    d->cb = cb;
    d->arg = arg;
    d->queued = false;
}

void loop_defer_start(struct loop *l, struct loop_defer *d)
{
    if (d->queued)
        return;
    d->queued = true;
    d->next = NULL;
    if (l->defer_tail)
        l->defer_tail->next = d;
    else
        l->defer_head = d;
    l->defer_tail = d;
}

static int run_defers(struct loop *l)
{
    int n = 0;
    while (l->defer_head) {
        struct loop_defer *d = l->defer_head;
        l->defer_head = d->next;
        if (!l->defer_head)
            l->defer_tail = NULL;
        d->queued = false;
        d->next = NULL;
        d->cb(l, d->arg); /* may free d */
        n++;
    }
    return n;
}

static void wake_signal(struct loop *l)
{
    uint64_t one = 1;
    ssize_t r = write(l->wakefd, &one, sizeof(one));
    (void)r; /* EAGAIN means the counter is already non-zero: awake */
}

void loop_post(struct loop *l, loop_defer_fn *fn, void *arg)
{
    pthread_mutex_lock(&l->post_mu);
    if (l->posts_len == l->posts_cap) {
        l->posts_cap = l->posts_cap ? 2 * l->posts_cap : 64;
        l->posts = mem_realloc(l->posts, l->posts_cap * sizeof(*l->posts));
    }
    l->posts[l->posts_len].fn = fn;
    l->posts[l->posts_len].arg = arg;
    bool first = l->posts_len++ == 0;
    pthread_mutex_unlock(&l->post_mu);
    if (first)
        wake_signal(l);
}

static int run_posts(struct loop *l)
{
    pthread_mutex_lock(&l->post_mu);
    struct posted *batch = l->posts;
    size_t n = l->posts_len, cap = l->posts_cap;
    l->posts = l->posts_spare;
    l->posts_cap = l->spare_cap;
    l->posts_len = 0;
    pthread_mutex_unlock(&l->post_mu);
    for (size_t i = 0; i < n; i++)
        batch[i].fn(l, batch[i].arg);
    /* Only this thread touches the spare array. */
    pthread_mutex_lock(&l->post_mu);
    l->posts_spare = batch;
    l->spare_cap = cap;
    pthread_mutex_unlock(&l->post_mu);
    return (int)n;
}

static void wake_cb(struct loop *l, struct loop_io *io, uint32_t events)
{
    (void)events;
    uint64_t v;
    ssize_t r = read(io->fd, &v, sizeof(v));
    (void)r;
    (void)l;
}

/* --- fd watches ------------------------------------------------------------
 */

void loop_io_init(struct loop_io *io, int fd, loop_io_fn *cb, void *arg)
{
    io->fd = fd;
    io->events = 0;
    io->cb = cb;
    io->arg = arg;
    io->registered = false;
}

int loop_io_set(struct loop *l, struct loop_io *io, uint32_t events)
{
    int rc = 0;
    if (events == io->events && io->registered)
        return 0;
    if (events == 0) {
        loop_io_stop(l, io);
        return 0;
    }
    uint32_t ev = (events & LOOP_READ ? EPOLLIN : 0) |
                  (events & LOOP_WRITE ? EPOLLOUT : 0);
    rc = be_ctl(l, io->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, io, ev);
    if (rc == 0) {
        io->registered = true;
        io->events = events;
    }
    return rc;
}

void loop_io_stop(struct loop *l, struct loop_io *io)
{
    if (!io->registered)
        return;
    (void)be_ctl(l, EPOLL_CTL_DEL, io, 0);
    io->registered = false;
    io->events = 0;
}

/* --- the loop ------------------------------------------------------------- */

int loop_create(struct loop **out)
{
    struct loop *l = mem_calloc(1, sizeof(*l));
    int rc = be_create();
    if (rc < 0)
        goto out_free;
    l->epfd = rc;
    l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (l->wakefd < 0) {
        rc = -errno;
        goto out_close_ep;
    }
    pthread_mutex_init(&l->post_mu, NULL);
    atomic_init(&l->stopping, false);
    l->now_ms = clock_mono_ms();
    loop_io_init(&l->wake_io, l->wakefd, wake_cb, NULL);
    rc = loop_io_set(l, &l->wake_io, LOOP_READ);
    if (rc < 0)
        goto out_close_wake;
    *out = l;
    return 0;

out_close_wake:
    pthread_mutex_destroy(&l->post_mu);
    close(l->wakefd);
out_close_ep:
    be_close(l);
out_free:
    mem_free(l);
    return rc;
}

void loop_destroy(struct loop *l)
{
    if (!l)
        return;
    loop_io_stop(l, &l->wake_io);
    close(l->wakefd);
    be_close(l);
    pthread_mutex_destroy(&l->post_mu);
    mem_free(l->posts);
    mem_free(l->posts_spare);
    mem_free(l->heap);
    mem_free(l);
}

int64_t loop_now_ms(const struct loop *l)
{
    return l->now_ms;
}

void loop_stop(struct loop *l)
{
    atomic_store(&l->stopping, true);
    wake_signal(l);
}

int loop_run_once(struct loop *l, int timeout_ms)
{
    struct epoll_event evs[LOOP_MAX_EVENTS];
    int64_t now = clock_mono_ms();
    if (l->heap_len > 0) {
        int64_t wait = l->heap[0]->due_ms - now;
        if (wait < 0)
            wait = 0;
        if (timeout_ms < 0 || wait < timeout_ms)
            timeout_ms = (int)(wait > 1000000 ? 1000000 : wait);
    }
    if (l->defer_head)
        timeout_ms = 0;
    int n = be_wait(l, evs, timeout_ms);
    if (n < 0)
        return n;
    l->now_ms = clock_mono_ms();
    int ran = 0;
    for (int i = 0; i < n; i++) {
        struct loop_io *io = evs[i].data.ptr;
        uint32_t e = evs[i].events, ready = 0;
        if (e & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))
            ready |= LOOP_READ;
        if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            ready |= LOOP_WRITE;
        /* Stopped earlier in this batch: skip (memory still valid, see
         * loop.h). Deliver only what is watched. */
        if (!io->registered)
            continue;
        ready &= io->events | ((e & (EPOLLERR | EPOLLHUP)) ? io->events : 0);
        if (!ready)
            continue;
        io->cb(l, io, ready);
        ran++;
    }
    ran += run_timers(l);
    ran += run_defers(l);
    ran += run_posts(l);
    ran += run_defers(l);
    return ran;
}

int loop_run(struct loop *l)
{
    while (!atomic_load(&l->stopping)) {
        int rc = loop_run_once(l, -1);
        if (rc < 0)
            return rc;
    }
    atomic_store(&l->stopping, false);
    return 0;
}
