/* test_log_crash.c - kill -9 a producing process at random points, many
 * times; after each kill, reopen and check that every record acknowledged
 * as durable is present, in order, exactly once, and nothing invalid is
 * served. Some rounds also leave a torn or garbage tail behind, as a crash
 * in the middle of a write (or a power cut) would, and some flip a byte in
 * the last batch when it was not acknowledged: recovery must cut there.
 *
 * The child appends batches of 1..40 records whose values name their own
 * offset ("v<offset>"), waits for durability every few batches, and writes
 * each acknowledged end offset to a pipe; the parent keeps the largest. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/os.h"
#include "log_testlib.h"
#include "../../harness.h"

#define ROUNDS 30
#define TOTAL_BUDGET_MS 20000

static struct logdir_options opts(void)
{
    struct logdir_options o;
    logdir_options_init(&o);
    o.flush_interval_ms = 5;
    o.recovery_point_ms = 15; /* checkpoints race with the kills too */
    return o;
}

static void child(const char *dir, int wfd, unsigned seed)
{
    struct logdir_options o = opts();
    struct logdir *ld;
    if (logdir_open(dir, &o, &ld) != 0)
        _exit(3);
    struct partition *p = logdir_partition(ld, "crash", 0);
    if (!p)
        _exit(4);
    struct buf b;
    buf_init(&b);
    int64_t start = clock_mono_ms();
    for (int i = 0; clock_mono_ms() - start < 3000; i++) {
        int n = 1 + (int)(rand_r(&seed) % 40);
        int64_t first = partition_high_watermark(p);
        buf_reset(&b);
        tl_batch(&b, first, n, 1000 + first, (size_t)(rand_r(&seed) % 300));
        if (partition_append(p, b.data, b.len, NULL) != 0)
            _exit(5);
        if (i % 3 == 2) {
            int64_t end = partition_high_watermark(p);
            if (partition_wait_durable(p, end, -1) != 0)
                _exit(6);
            if (write(wfd, &end, sizeof end) != sizeof end)
                _exit(7);
        }
    }
    _exit(0);
}

/* Leaves junk after the last segment's valid bytes. */
static void damage_tail(const char *dir, int kind, unsigned *seed)
{
    char pd[4200], last[4400] = "";
    snprintf(pd, sizeof pd, "%s/crash-0", dir);
    DIR *d = opendir(pd);
    struct dirent *e;
    char best[64] = "";
    while (d && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l == 24 && !strcmp(e->d_name + 20, ".log") &&
            strcmp(e->d_name, best) > 0)
            memcpy(best, e->d_name, 25); /* 24 chars + NUL */
    }
    if (d)
        closedir(d);
    snprintf(last, sizeof last, "%s/%s", pd, best);
    int fd = open(last, O_WRONLY | O_APPEND);
    if (fd < 0)
        return;
    uint8_t junk[700];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)rand_r(seed);
    size_t n = 1 + rand_r(seed) % sizeof junk;
    if (kind == 1) {
        /* A plausible header promising more bytes than follow. */
        struct buf b;
        buf_init(&b);
        tl_batch(&b, 0, 20, 1, 20);
        n = b.len / 2;
        memcpy(junk, b.data, n < sizeof junk ? n : sizeof junk);
        n = n < sizeof junk ? n : sizeof junk;
        buf_fini(&b);
    }
    if (write(fd, junk, n) < 0)
        perror("write junk");
    close(fd);
}

/* Flips a byte inside the last whole batch of the newest segment if that
 * batch was not acknowledged; returns its base offset (recovery must cut
 * the log there) or -1 when there is no such batch. */
static int64_t corrupt_unacked(const char *dir, int64_t acked, unsigned *seed)
{
    char pd[4200], path[4400];
    snprintf(pd, sizeof pd, "%s/crash-0", dir);
    DIR *d = opendir(pd);
    struct dirent *e;
    char best[64] = "";
    while (d && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l == 24 && !strcmp(e->d_name + 20, ".log") &&
            strcmp(e->d_name, best) > 0)
            memcpy(best, e->d_name, 25);
    }
    if (d)
        closedir(d);
    snprintf(path, sizeof path, "%s/%s", pd, best);
    long size = tl_file_size(path);
    if (size <= 0)
        return -1;
    uint8_t *buf = malloc((size_t)size);
    int fd = open(path, O_RDWR);
    int64_t cut = -1;
    if (fd < 0 || pread(fd, buf, (size_t)size, 0) != size)
        goto out;
    struct record_batch_walk w;
    record_batch_walk_init(&w, buf, (size_t)size);
    struct record_batch_header h;
    const uint8_t *bp;
    size_t bl;
    size_t last_pos = 0, last_len = 0;
    int64_t last_base = -1;
    while (record_batch_walk_next(&w, &h, &bp, &bl) == 1) {
        last_pos = (size_t)(bp - buf);
        last_len = bl;
        last_base = h.base_offset;
    }
    /* Below the recovery point the log trusts what it fsynced (bodies are
     * not re-read), so only a batch beyond it is fair game. */
    char cpath[4300], *text = NULL;
    size_t tlen;
    long long rp = 0;
    snprintf(cpath, sizeof cpath, "%s/recovery-point-offset-checkpoint", dir);
    if (os_read_file(cpath, 1 << 20, &text, &tlen) == 0) {
        char *at_rp = strstr(text, "crash 0 ");
        if (at_rp)
            rp = atoll(at_rp + 8);
        mem_free(text);
    }
    if (last_base < acked || last_base < rp || last_len <= 61)
        goto out;
    size_t at = last_pos + 61 + rand_r(seed) % (last_len - 61);
    uint8_t x = buf[at] ^ 0x5a;
    if (pwrite(fd, &x, 1, (off_t)at) == 1)
        cut = last_base;
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    return cut;
}

TEST(test_kill9_rounds)
{
    char *dir = tl_tmpdir();
    struct logdir_options o = opts();
    struct logdir *ld;
    CHECK_EQ_INT(logdir_open(dir, &o, &ld), 0);
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.segment_bytes = 48 * 1024; /* many rolls */
    c.index_interval_bytes = 512;
    CHECK_EQ_INT(logdir_topic_create(ld, "crash", &c), 0);
    logdir_close(ld);

    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    fprintf(stderr, "  crash test seed %u\n", seed);
    int64_t acked = 0, t0 = clock_mono_ms();
    int rounds = 0, acks_total = 0, corrupted = 0;
    for (int r = 0; r < ROUNDS && clock_mono_ms() - t0 < TOTAL_BUDGET_MS; r++) {
        int pfd[2];
        CHECK_EQ_INT(pipe(pfd), 0);
        pid_t pid = fork();
        if (pid == 0) {
            close(pfd[0]);
            child(dir, pfd[1], seed + (unsigned)r);
        }
        close(pfd[1]);
        usleep((useconds_t)(20000 + rand_r(&seed) % 150000));
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        if (!WIFSIGNALED(st))
            fprintf(stderr, "  child exited with %d\n", WEXITSTATUS(st));
        int64_t end;
        ssize_t k;
        while ((k = read(pfd[0], &end, sizeof end)) == sizeof end) {
            CHECK(end >= acked);
            acked = end;
            acks_total++;
        }
        close(pfd[0]);
        int64_t cut = -1;
        if (r % 5 == 4)
            damage_tail(dir, (r / 5) % 2, &seed);
        else if (r % 5 == 2)
            cut = corrupt_unacked(dir, acked, &seed);

        CHECK_EQ_INT(logdir_open(dir, &o, &ld), 0);
        struct partition *p = logdir_partition(ld, "crash", 0);
        CHECK(p != NULL);
        if (!p)
            break;
        int64_t hwm = partition_high_watermark(p);
        if (hwm < acked)
            fprintf(stderr, "  round %d: hwm %lld < acknowledged %lld\n", r,
                    (long long)hwm, (long long)acked);
        CHECK(hwm >= acked);
        if (cut >= 0) {
            /* The flipped batch (and anything after it) is gone. */
            CHECK_EQ_INT(hwm, cut);
            corrupted++;
        }
        CHECK_EQ_INT(tl_check_all(p, 0), hwm);
        CHECK_EQ_INT(partition_durable_offset(p), hwm);
        acked = hwm; /* recovered data is durable now */
        logdir_close(ld);
        rounds++;
    }
    fprintf(stderr,
            "  %d rounds, %d acknowledgements, %lld records, %d unacknowledged "
            "batches corrupted and cut\n",
            rounds, acks_total, (long long)acked, corrupted);
    CHECK(rounds >= 10);
    CHECK(acks_total > 0);
    tl_rmrf(dir);
    free(dir);
}

int main(void)
{
    RUN(test_kill9_rounds);
    return harness_summary("test_log_crash");
}
