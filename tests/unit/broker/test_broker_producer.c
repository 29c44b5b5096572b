/* test_broker_producer.c - idempotence windows and producer id blocks. */
#include <stdlib.h>
#include <unistd.h>

#include "broker/broker_producer.h"
#include "../../harness.h"

TEST(window_rules)
{
    struct broker_producer_map m;
    broker_producer_map_init(&m);
    struct broker_producer_batch d;
    /* Not idempotent, and unknown pids, always append. */
    CHECK_EQ_INT(broker_producer_check(&m, -1, -1, -1, -1, &d),
                 BROKER_SEQ_APPEND);
    CHECK_EQ_INT(broker_producer_check(&m, 7, 0, 42, 50, &d),
                 BROKER_SEQ_APPEND);
    /* Seven batches of 10 records; only the last five are remembered. */
    for (int i = 0; i < 7; i++) {
        CHECK_EQ_INT(broker_producer_check(&m, 7, 0, i * 10, i * 10 + 9, &d),
                     i == 0 ? BROKER_SEQ_APPEND : BROKER_SEQ_APPEND);
        broker_producer_record(&m, 7, 0, i * 10, i * 10 + 9, 100 + i * 10,
                               109 + i * 10);
    }
    CHECK_EQ_INT(broker_producer_check(&m, 7, 0, 60, 69, &d),
                 BROKER_SEQ_DUPLICATE);
    CHECK_EQ_INT(d.base_offset, 160);
    CHECK_EQ_INT(broker_producer_check(&m, 7, 0, 20, 29, &d),
                 BROKER_SEQ_DUPLICATE);
    CHECK_EQ_INT(d.base_offset, 120);
    /* Fell out of the window: no longer a duplicate, and not in order. */
    CHECK_EQ_INT(broker_producer_check(&m, 7, 0, 10, 19, &d),
                 BROKER_SEQ_OUT_OF_ORDER);
    /* Gap. */
    CHECK_EQ_INT(broker_producer_check(&m, 7, 0, 71, 79, &d),
                 BROKER_SEQ_OUT_OF_ORDER);
    CHECK_EQ_INT(broker_producer_check(&m, 7, 0, 70, 79, &d),
                 BROKER_SEQ_APPEND);
    /* Older epoch fenced; newer epoch must start at 0. */
    CHECK_EQ_INT(broker_producer_check(&m, 7, -1, 70, 79, &d),
                 BROKER_SEQ_FENCED);
    CHECK_EQ_INT(broker_producer_check(&m, 7, 1, 5, 9, &d),
                 BROKER_SEQ_OUT_OF_ORDER);
    CHECK_EQ_INT(broker_producer_check(&m, 7, 1, 0, 9, &d), BROKER_SEQ_APPEND);
    broker_producer_record(&m, 7, 1, 0, 9, 500, 509);
    CHECK_EQ_INT(broker_producer_check(&m, 7, 1, 60, 69, &d),
                 BROKER_SEQ_OUT_OF_ORDER);
    /* Wrap-around at INT32_MAX. */
    broker_producer_record(&m, 8, 0, INT32_MAX - 4, INT32_MAX, 0, 4);
    CHECK_EQ_INT(broker_producer_check(&m, 8, 0, 0, 3, &d), BROKER_SEQ_APPEND);
    broker_producer_map_fini(&m);
}

TEST(pid_blocks_survive_reopen)
{
    char dir[] = "/tmp/rill-test-pid-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct broker_pid_alloc a;
    CHECK_EQ_INT(broker_pid_alloc_open(&a, dir), 0);
    int64_t first, x = 0;
    CHECK_EQ_INT(broker_pid_alloc_next(&a, &first), 0);
    for (int i = 0; i < 1500; i++)
        CHECK_EQ_INT(broker_pid_alloc_next(&a, &x), 0);
    CHECK_EQ_INT(x, first + 1500);
    struct broker_pid_alloc b;
    CHECK_EQ_INT(broker_pid_alloc_open(&b, dir), 0);
    int64_t y;
    CHECK_EQ_INT(broker_pid_alloc_next(&b, &y), 0);
    CHECK(y > x); /* never reused after a restart, clean or not */
    char path[1200];
    snprintf(path, sizeof(path), "%s/producer-id-block", dir);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    RUN(window_rules);
    RUN(pid_blocks_survive_reopen);
    return harness_summary("test_broker_producer");
}
