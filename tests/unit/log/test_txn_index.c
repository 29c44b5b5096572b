/* test_txn_index.c - aborted-transaction indexes: the 34-byte entry bytes,
 * a torn trailing entry ignored and overwritten, an unknown version
 * refused, and a partition's indexes: an entry goes to the segment holding
 * its marker, reads come back in segment order, retention deletes them
 * with their segment (layer: log, unit test).
 */
#include <fcntl.h>

#include "base/clock.h"
#include "base/os.h"
#include "log/logdir.h"
#include "log/txn_index.h"
#include "log_testlib.h"
#include "../../harness.h"

struct got {
    struct txn_index_entry e[16];
    int n;
};

static void collect(void *arg, const struct txn_index_entry *e)
{
    struct got *g = arg;
    if (g->n < 16)
        g->e[g->n] = *e;
    g->n++;
}

static int64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

TEST(test_entry_bytes_and_torn_tail)
{
    char *dir = tl_tmpdir();
    char stem[4200], path[4300];
    snprintf(stem, sizeof stem, "%s/00000000000000000000", dir);
    snprintf(path, sizeof path, "%s.txnindex", stem);
    struct got g = {0};
    CHECK_EQ_INT(txn_index_read(stem, collect, &g), 0); /* no file */
    struct txn_index_entry e1 = {1000, 5, 9, 10}, e2 = {1001, 12, 20, 21};
    CHECK_EQ_INT(txn_index_append(stem, &e1), 0);
    CHECK_EQ_INT(file_size(path), TXN_INDEX_ENTRY_SIZE);
    char *raw = NULL;
    size_t len = 0;
    CHECK_EQ_INT(os_read_file(path, 1024, &raw, &len), 0);
    static const uint8_t want[34] = {
        0, 0,                         /* version */
        0, 0, 0, 0, 0, 0, 0x03, 0xe8, /* producer id 1000 */
        0, 0, 0, 0, 0, 0, 0,    5,    /* first offset */
        0, 0, 0, 0, 0, 0, 0,    9,    /* last offset */
        0, 0, 0, 0, 0, 0, 0,    10};  /* last stable offset */
    CHECK(len == 34 && memcmp(raw, want, 34) == 0);
    free(raw);
    /* A crash left half an entry: reads skip it, the next append
     * starts on the boundary. */
    int fd = open(path, O_WRONLY | O_APPEND);
    CHECK(fd >= 0 && write(fd, "\0\0\0\0\0", 5) == 5);
    close(fd);
    g.n = 0;
    CHECK_EQ_INT(txn_index_read(stem, collect, &g), 1);
    CHECK_EQ_INT(txn_index_append(stem, &e2), 0);
    CHECK_EQ_INT(file_size(path), 2 * TXN_INDEX_ENTRY_SIZE);
    g.n = 0;
    CHECK_EQ_INT(txn_index_read(stem, collect, &g), 2);
    CHECK(g.e[0].producer_id == 1000 && g.e[0].first_offset == 5 &&
          g.e[0].last_offset == 9 && g.e[0].last_stable_offset == 10);
    CHECK(g.e[1].producer_id == 1001 && g.e[1].last_offset == 20);
    /* An unknown version is refused, not guessed at. */
    fd = open(path, O_WRONLY | O_APPEND);
    uint8_t bad[34] = {0, 7};
    CHECK(fd >= 0 && write(fd, bad, sizeof bad) == (ssize_t)sizeof bad);
    close(fd);
    CHECK_EQ_INT(txn_index_read(stem, collect, &g), ERR_CORRUPT);
    tl_rmrf(dir);
    free(dir);
}

TEST(test_partition_indexes_follow_segments)
{
    char *dir = tl_tmpdir();
    struct logdir_options o;
    logdir_options_init(&o);
    struct logdir *ld = NULL;
    CHECK_EQ_INT(logdir_open(dir, &o, &ld), 0);
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.partitions = 1;
    c.retention_ms = 1;
    CHECK_EQ_INT(logdir_topic_create(ld, "t", &c), 0);
    struct partition *p = logdir_partition(ld, "t", 0);
    int64_t base = -1;
    CHECK_EQ_INT(tl_append(p, 0, 3, clock_now_ms() - 100000, &base), 0);
    struct txn_index_entry a = {7, 0, 2, 3};
    CHECK_EQ_INT(partition_txn_index_append(p, &a), 0);
    CHECK_EQ_INT(partition_roll(p), 0);
    CHECK_EQ_INT(tl_append(p, 3, 3, clock_now_ms(), &base), 0);
    struct txn_index_entry b = {8, 3, 5, 6};
    CHECK_EQ_INT(partition_txn_index_append(p, &b), 0);
    char path[4300];
    snprintf(path, sizeof path, "%s/t-0/00000000000000000000.txnindex", dir);
    CHECK_EQ_INT(file_size(path), TXN_INDEX_ENTRY_SIZE);
    snprintf(path, sizeof path, "%s/t-0/00000000000000000003.txnindex", dir);
    CHECK_EQ_INT(file_size(path), TXN_INDEX_ENTRY_SIZE);
    struct got g = {0};
    CHECK_EQ_INT(partition_txn_index_read(p, collect, &g), 2);
    CHECK(g.e[0].producer_id == 7 && g.e[1].producer_id == 8);
    /* Retention takes the old segment and its index. */
    CHECK_EQ_INT(partition_retention_run(p, clock_now_ms()), 1);
    snprintf(path, sizeof path, "%s/t-0/00000000000000000000.txnindex", dir);
    CHECK_EQ_INT(file_size(path), -1);
    g.n = 0;
    CHECK_EQ_INT(partition_txn_index_read(p, collect, &g), 1);
    CHECK(g.e[0].producer_id == 8);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

int main(void)
{
    RUN(test_entry_bytes_and_torn_tail);
    RUN(test_partition_indexes_follow_segments);
    return harness_summary("test_txn_index");
}
