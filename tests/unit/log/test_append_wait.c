/* test_append_wait.c - logdir_append_seq / logdir_wait_append: a waiter
 * wakes within a few ms of an append (or of the fsync that makes appended
 * data durable) from another thread, times out when
 * nothing comes, and loses no wake-up in a 100K-append ping-pong (every
 * append is the one the waiter is blocked on). Prints the append-to-wake
 * latency (indicative: the machine is shared). */
#include "log/logdir.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/clock.h"
#include "base/mem.h"

#include "log_testlib.h"
#include "../../harness.h"

static struct logdir *open_two(const char *dir)
{
    struct logdir_options o;
    logdir_options_init(&o);
    o.no_flusher = true;
    o.recovery_point_ms = 0;
    struct logdir *ld = NULL;
    if (logdir_open(dir, &o, &ld) != 0)
        return NULL;
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.partitions = 2;
    if (logdir_topic_create(ld, "t", &c) != 0) {
        logdir_close(ld);
        return NULL;
    }
    return ld;
}

TEST(test_seq_and_timeout)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_two(dir);
    CHECK(ld != NULL);
    if (!ld)
        return;
    uint64_t s0 = logdir_append_seq(ld);
    /* nothing comes: times out after about the timeout */
    int64_t t0 = clock_mono_ms();
    CHECK_EQ_INT(logdir_wait_append(ld, s0, 30), 0);
    int64_t dt = clock_mono_ms() - t0;
    CHECK(dt >= 29);
    CHECK(dt < 2000);
    CHECK_EQ_INT(logdir_wait_append(ld, s0, 0), 0);
    /* an append on any partition bumps the seq; a stale seq returns at
     * once */
    CHECK_EQ_INT(tl_append(logdir_partition(ld, "t", 1), 0, 3, 1, NULL), 0);
    uint64_t s1 = logdir_append_seq(ld);
    CHECK(s1 != s0);
    t0 = clock_mono_ms();
    CHECK_EQ_INT(logdir_wait_append(ld, s0, 5000), 1);
    CHECK(clock_mono_ms() - t0 < 1000);
    /* a failed append does not */
    uint8_t junk[70] = {0};
    CHECK(partition_append(logdir_partition(ld, "t", 0), junk, sizeof junk,
                           NULL) < 0);
    CHECK_EQ_INT(logdir_append_seq(ld), s1);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

/* A flush that makes data durable bumps the seq (readers of durable data
 * only wait on it); a flush with nothing new does not. A waiter blocked on
 * the seq is woken by the fsync of data appended before it started. */
struct flush_arg {
    struct logdir *ld;
    int64_t delay_ms;
};

static void *flush_later(void *arg)
{
    struct flush_arg *f = arg;
    struct timespec ts = {0, f->delay_ms * 1000000L};
    nanosleep(&ts, NULL);
    logdir_flush(f->ld);
    return NULL;
}

TEST(test_durable_advance_wakes)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_two(dir);
    CHECK(ld != NULL);
    if (!ld)
        return;
    struct partition *p = logdir_partition(ld, "t", 0);
    CHECK_EQ_INT(tl_append(p, 0, 2, 1, NULL), 0);
    CHECK_EQ_INT(partition_durable_offset(p), 0);
    uint64_t s0 = logdir_append_seq(ld);
    struct flush_arg f = {ld, 20};
    pthread_t th;
    pthread_create(&th, NULL, flush_later, &f);
    int64_t t0 = clock_mono_ms();
    CHECK_EQ_INT(logdir_wait_append(ld, s0, 5000), 1);
    CHECK(clock_mono_ms() - t0 < 2500);
    pthread_join(th, NULL);
    CHECK_EQ_INT(partition_durable_offset(p), 2);
    uint64_t s1 = logdir_append_seq(ld);
    CHECK(s1 != s0);
    /* nothing new to make durable: no bump */
    CHECK_EQ_INT(logdir_flush(ld), 0);
    CHECK_EQ_INT(logdir_append_seq(ld), s1);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

/* --- latency: one append, one blocked waiter ---------------------------- */

struct lat {
    struct logdir *ld;
    _Atomic uint64_t armed;  /* seq the waiter is about to wait on + 1 */
    _Atomic int64_t woke_ns; /* when it returned */
    atomic_int result;
    atomic_bool quit;
};

static void *lat_waiter(void *arg)
{
    struct lat *l = arg;
    while (!atomic_load(&l->quit)) {
        uint64_t s = logdir_append_seq(l->ld);
        atomic_store(&l->armed, s + 1);
        int r = logdir_wait_append(l->ld, s, 2000);
        int64_t now = clock_mono_ns();
        /* woke_ns last: the main thread reads the others once it is set */
        atomic_store(&l->armed, 0);
        atomic_store(&l->result, r);
        atomic_store(&l->woke_ns, now);
        /* wait for the main thread to take the figure */
        while (atomic_load(&l->woke_ns) && !atomic_load(&l->quit))
            sched_yield();
    }
    return NULL;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

TEST(test_wake_latency)
{
    enum { ROUNDS = 200 };
    char *dir = tl_tmpdir();
    struct logdir *ld = open_two(dir);
    CHECK(ld != NULL);
    if (!ld)
        return;
    struct partition *p = logdir_partition(ld, "t", 0);
    struct buf b;
    buf_init(&b);
    tl_batch(&b, 0, 1, 1, 12);
    struct lat l = {.ld = ld};
    pthread_t th;
    pthread_create(&th, NULL, lat_waiter, &l);
    int64_t lat_us[ROUNDS];
    int n = 0, timeouts = 0;
    for (int i = 0; i < ROUNDS; i++) {
        int64_t deadline = clock_mono_ms() + 5000;
        while (!atomic_load(&l.armed) && clock_mono_ms() < deadline)
            sched_yield();
        /* give it time to block in the wait */
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
        int64_t t0 = clock_mono_ns();
        if (partition_append(p, b.data, b.len, NULL) != 0)
            break;
        while (!atomic_load(&l.woke_ns) && clock_mono_ms() < deadline)
            sched_yield();
        int64_t w = atomic_load(&l.woke_ns);
        if (!w)
            break;
        if (atomic_load(&l.result) != 1)
            timeouts++;
        lat_us[n++] = (w - t0) / 1000;
        atomic_store(&l.woke_ns, 0);
    }
    atomic_store(&l.quit, true);
    partition_append(p, b.data, b.len, NULL); /* release the last wait */
    pthread_join(th, NULL);
    buf_fini(&b);
    CHECK_EQ_INT(n, ROUNDS);
    CHECK_EQ_INT(timeouts, 0);
    if (n > 0) {
        qsort(lat_us, (size_t)n, sizeof lat_us[0], cmp64);
        int64_t p50 = lat_us[n / 2], p99 = lat_us[(n * 99) / 100];
        printf("append_wake_latency p50_us=%lld p99_us=%lld max_us=%lld "
               "rounds=%d\n",
               (long long)p50, (long long)p99, (long long)lat_us[n - 1], n);
        CHECK(p50 < 5000); /* "within a few ms", generous: shared machine */
    }
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

/* --- no lost wake-up: ping-pong ----------------------------------------- */

enum { STRESS_APPENDS = 100000 };

struct pp {
    struct logdir *ld;
    _Atomic uint64_t acked; /* last seq the waiter saw */
    atomic_int timeouts;
    atomic_bool done;
};

static void *pp_waiter(void *arg)
{
    struct pp *s = arg;
    uint64_t seen = atomic_load(&s->acked); /* read before any append */
    while (!atomic_load(&s->done)) {
        int r = logdir_wait_append(s->ld, seen, 2000);
        if (r == 0) {
            if (!atomic_load(&s->done))
                atomic_fetch_add(&s->timeouts, 1);
            continue;
        }
        seen = logdir_append_seq(s->ld);
        atomic_store(&s->acked, seen);
    }
    return NULL;
}

TEST(test_no_lost_wakeup)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_two(dir);
    CHECK(ld != NULL);
    if (!ld)
        return;
    struct partition *ps[2] = {logdir_partition(ld, "t", 0),
                               logdir_partition(ld, "t", 1)};
    struct buf b;
    buf_init(&b);
    tl_batch(&b, 0, 1, 1, 12);
    struct pp s = {.ld = ld};
    s.acked = logdir_append_seq(ld);
    pthread_t th;
    pthread_create(&th, NULL, pp_waiter, &s);
    int64_t t0 = clock_mono_ms();
    int done = 0, stuck = 0;
    for (int i = 0; i < STRESS_APPENDS; i++) {
        if (partition_append(ps[i & 1], b.data, b.len, NULL) != 0)
            break;
        uint64_t want = logdir_append_seq(ld);
        /* the waiter must see this very append: nothing else follows
         * until it does */
        int64_t deadline = clock_mono_ms() + 1500;
        while (atomic_load(&s.acked) < want) {
            if (clock_mono_ms() > deadline) {
                stuck++;
                break;
            }
            sched_yield();
        }
        done++;
    }
    int64_t ms = clock_mono_ms() - t0;
    atomic_store(&s.done, true);
    partition_append(ps[0], b.data, b.len, NULL);
    pthread_join(th, NULL);
    buf_fini(&b);
    printf("append_wait_pingpong appends=%d ms=%lld stuck=%d timeouts=%d\n",
           done, (long long)ms, stuck, atomic_load(&s.timeouts));
    CHECK_EQ_INT(done, STRESS_APPENDS);
    CHECK_EQ_INT(stuck, 0);
    CHECK_EQ_INT(atomic_load(&s.timeouts), 0);
    CHECK_EQ_INT(partition_high_watermark(ps[0]) +
                     partition_high_watermark(ps[1]),
                 STRESS_APPENDS + 1);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

int main(void)
{
    RUN(test_seq_and_timeout);
    RUN(test_durable_advance_wakes);
    RUN(test_wake_latency);
    RUN(test_no_lost_wakeup);
    return harness_summary("test_append_wait");
}
