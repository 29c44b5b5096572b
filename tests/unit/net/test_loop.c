/* test_loop.c - event loop: timers, io watches, deferred and posted calls. */
#include <pthread.h>
#include <unistd.h>

#include "base/clock.h"
#include "net/loop.h"
#include "../../harness.h"

static int fired[8];

static void timer_cb(struct loop *l, struct loop_timer *t)
{
    (void)l;
    fired[(intptr_t)t->arg]++;
}

TEST(timers_fire_in_order_and_periodic_repeat)
{
    struct loop *l = NULL;
    CHECK_EQ_INT(loop_create(&l), 0);
    memset(fired, 0, sizeof(fired));
    struct loop_timer a, b, c;
    loop_timer_init(&a, timer_cb, (void *)0);
    loop_timer_init(&b, timer_cb, (void *)1);
    loop_timer_init(&c, timer_cb, (void *)2);
    loop_timer_start(l, &a, 30, 0);
    loop_timer_start(l, &b, 5, 5);
    loop_timer_start(l, &c, 1000, 0);
    CHECK(loop_timer_active(&c));
    loop_timer_stop(l, &c);
    CHECK(!loop_timer_active(&c));
    /* At least 60 ms, and until the periodic timer fired 5 times (a
     * loaded machine may not run this thread for tens of ms): 2 s at most. */
    int64_t t0 = clock_mono_ms();
    while ((clock_mono_ms() - t0 < 60 || fired[1] < 5) &&
           clock_mono_ms() - t0 < 2000)
        loop_run_once(l, 10);
    CHECK_EQ_INT(fired[0], 1);
    CHECK(fired[1] >= 5);
    CHECK_EQ_INT(fired[2], 0);
    CHECK(!loop_timer_active(&a));
    CHECK(loop_timer_active(&b));
    loop_timer_stop(l, &b);
    loop_destroy(l);
}

TEST(many_timers_heap_order)
{
    struct loop *l = NULL;
    CHECK_EQ_INT(loop_create(&l), 0);
    struct loop_timer t[100];
    for (int i = 0; i < 100; i++) {
        loop_timer_init(&t[i], timer_cb, (void *)3);
        loop_timer_start(l, &t[i], (i * 37) % 100 + 1000, 0);
    }
    for (int i = 0; i < 100; i += 2)
        loop_timer_stop(l, &t[i]);
    int n = 0;
    for (int i = 0; i < 100; i++)
        n += loop_timer_active(&t[i]);
    CHECK_EQ_INT(n, 50);
    for (int i = 1; i < 100; i += 2)
        loop_timer_stop(l, &t[i]);
    loop_destroy(l);
}

static int io_reads;
static void io_cb(struct loop *l, struct loop_io *io, uint32_t ev)
{
    char b[16];
    (void)l;
    if (ev & LOOP_READ) {
        ssize_t r = read(io->fd, b, sizeof(b));
        if (r > 0)
            io_reads++;
    }
}

TEST(io_watch_reads_pipe)
{
    struct loop *l = NULL;
    CHECK_EQ_INT(loop_create(&l), 0);
    int p[2];
    CHECK_EQ_INT(pipe(p), 0);
    struct loop_io io;
    loop_io_init(&io, p[0], io_cb, NULL);
    CHECK_EQ_INT(loop_io_set(l, &io, LOOP_READ), 0);
    io_reads = 0;
    CHECK_EQ_INT(write(p[1], "x", 1), 1);
    loop_run_once(l, 100);
    CHECK_EQ_INT(io_reads, 1);
    loop_io_stop(l, &io);
    CHECK_EQ_INT(write(p[1], "y", 1), 1);
    loop_run_once(l, 10);
    CHECK_EQ_INT(io_reads, 1);
    close(p[0]);
    close(p[1]);
    loop_destroy(l);
}

static int posted;
static void post_cb(struct loop *l, void *arg)
{
    (void)arg;
    posted++;
    if (posted == 1000)
        loop_stop(l);
}

static void *poster(void *arg)
{
    for (int i = 0; i < 1000; i++)
        loop_post(arg, post_cb, NULL);
    return NULL;
}

TEST(post_from_other_thread_wakes_loop)
{
    struct loop *l = NULL;
    CHECK_EQ_INT(loop_create(&l), 0);
    posted = 0;
    pthread_t th;
    pthread_create(&th, NULL, poster, l);
    struct loop_timer guard;
    loop_timer_init(&guard, timer_cb, (void *)4);
    loop_timer_start(l, &guard, 5000, 0); /* bounded if something breaks */
    CHECK_EQ_INT(loop_run(l), 0);
    pthread_join(th, NULL);
    CHECK_EQ_INT(posted, 1000);
    loop_timer_stop(l, &guard);
    loop_destroy(l);
}

static int defer_order[4], defer_n;
static void defer_cb(struct loop *l, void *arg)
{
    (void)l;
    defer_order[defer_n++] = (int)(intptr_t)arg;
}

TEST(defer_runs_once_in_order)
{
    struct loop *l = NULL;
    CHECK_EQ_INT(loop_create(&l), 0);
    struct loop_defer a, b;
    loop_defer_init(&a, defer_cb, (void *)1);
    loop_defer_init(&b, defer_cb, (void *)2);
    defer_n = 0;
    loop_defer_start(l, &a);
    loop_defer_start(l, &b);
    loop_defer_start(l, &a); /* already queued: no-op */
    loop_run_once(l, 0);
    CHECK_EQ_INT(defer_n, 2);
    CHECK_EQ_INT(defer_order[0], 1);
    CHECK_EQ_INT(defer_order[1], 2);
    loop_destroy(l);
}

int main(void)
{
    RUN(timers_fire_in_order_and_periodic_repeat);
    RUN(many_timers_heap_order);
    RUN(io_watch_reads_pipe);
    RUN(post_from_other_thread_wakes_loop);
    RUN(defer_runs_once_in_order);
    return harness_summary("test_loop");
}
