/* test_fd_cache.c - the bound on open segment files (log/fd_cache.h): many
 * partitions with many segments under a small descriptor limit append, read
 * and reopen with the process's open descriptors staying under the bound;
 * a slice keeps its fd while the cache closes others; startup (recovery)
 * of more segments than descriptors works. */
#include "log/fd_cache.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log/logdir.h"
#include "log/partition.h"
#include "log_testlib.h"
#include "../../harness.h"

#define NPARTS 200
#define BOUND 32
#define NOFILE 128

static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    if (d)
        closedir(d);
    return n - 1; /* opendir's own */
}

static struct logdir *open_ld(const char *dir)
{
    struct logdir_options o;
    logdir_options_init(&o);
    o.flush_interval_ms = 20;
    struct logdir *ld = NULL;
    int rc = logdir_open(dir, &o, &ld);
    if (rc)
        fprintf(stderr, "logdir_open: %s\n", err_str(rc));
    return ld;
}

static int max_seen;

static void note_fds(void)
{
    int n = open_fds();
    if (n > max_seen)
        max_seen = n;
}

TEST(test_many_partitions_under_a_small_limit)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max = NOFILE; /* logdir_open raises cur to max */
    CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    fd_cache_set_max(BOUND);
    int base = open_fds();
    max_seen = 0;

    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir);
    CHECK(ld != NULL);
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.partitions = NPARTS;
    c.segment_bytes = 1024; /* a roll every few batches */
    c.index_interval_bytes = 256;
    CHECK_EQ_INT(logdir_topic_create(ld, "many", &c), 0);
    note_fds();

    /* 200 partitions x ~3 segments: far more files than NOFILE. */
    int failed = 0;
    for (int round = 0; round < 12; round++) {
        for (int i = 0; i < NPARTS; i++) {
            struct partition *p = logdir_partition(ld, "many", i);
            if (tl_append(p, round * 10, 10, 1000 + round, NULL) != 0)
                failed++;
        }
        note_fds();
    }
    CHECK_EQ_INT(failed, 0);
    /* Files closed with bytes not yet fsynced are fsynced by name. */
    long late = 0;
    for (int i = 0; i < NPARTS; i++)
        if (partition_wait_durable(logdir_partition(ld, "many", i), 120,
                                   30000) != 0)
            late++;
    CHECK_EQ_INT(late, 0);
    long total_segs = 0;
    for (int i = 0; i < NPARTS; i++)
        total_segs +=
            (long)partition_segment_count(logdir_partition(ld, "many", i));
    CHECK(total_segs > 3 * NOFILE);
    /* Every record reads back, from the first segment of each partition. */
    long bad = 0;
    for (int i = 0; i < NPARTS; i++) {
        if (tl_check_all(logdir_partition(ld, "many", i), 0) != 120)
            bad++;
        note_fds();
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(fd_cache_open_count() <= BOUND);
    CHECK(fd_cache_evictions() > 0);

    /* A slice keeps its file while reads of everything else cycle the
     * cache: its fd still reads its bytes. */
    struct partition *p0 = logdir_partition(ld, "many", 0);
    struct partition_slice sl;
    CHECK_EQ_INT(partition_read(p0, 0, 1 << 20, &sl), 0);
    CHECK(sl.len > 0);
    for (int i = 1; i < NPARTS; i++)
        CHECK_EQ_INT(tl_check_all(logdir_partition(ld, "many", i), 0), 120);
    uint8_t hdr[12];
    CHECK_EQ_INT(pread(sl.fd, hdr, sizeof hdr, (off_t)sl.file_pos),
                 (long)sizeof hdr);
    CHECK_EQ_INT(be64_load(hdr), 0); /* baseOffset of the first batch */
    partition_slice_release(&sl);
    logdir_close(ld);
    CHECK(open_fds() <= base);

    /* Reopen: recovery walks every segment of every partition. */
    ld = open_ld(dir);
    CHECK(ld != NULL);
    note_fds();
    bad = 0;
    for (int i = 0; ld && i < NPARTS; i++) {
        struct partition *p = logdir_partition(ld, "many", i);
        if (!p || tl_check_all(p, 0) != 120 ||
            tl_append(p, 120, 10, 5000, NULL) != 0 || tl_check_all(p, 0) != 130)
            bad++;
    }
    note_fds();
    CHECK_EQ_INT(bad, 0);
    fprintf(stderr, "  %ld segments, %d fds at most (%d before, bound %d)\n",
            total_segs, max_seen, base, BOUND);
    /* The bound holds the segment files; index files between a roll and
     * its fsync, the logdir's own and the flusher come on top. */
    CHECK(max_seen - base <= BOUND + 40);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
    fd_cache_set_max(0);
}

int main(void)
{
    RUN(test_many_partitions_under_a_small_limit);
    return harness_summary("test_fd_cache");
}
