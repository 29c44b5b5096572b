/* test_watermark.c - per-partition bounded disorder, minimum over active
 * partitions, idleness on a virtual processing clock, monotonicity. */
#include "../../harness.h"
#include "base/err.h"
#include "stream/watermark.h"

TEST(min_over_partitions)
{
    struct watermark *w;
    CHECK_EQ_INT(watermark_create(3, 100, 0, 0, &w), 0);
    CHECK(watermark_advance(w, 0) == WATERMARK_NONE);
    watermark_observe(w, 0, 1000, 1);
    watermark_observe(w, 1, 2000, 1);
    /* partition 2 has said nothing: it holds the watermark back */
    CHECK(watermark_advance(w, 1) == WATERMARK_NONE);
    watermark_observe(w, 2, 1500, 2);
    CHECK_EQ_INT(watermark_advance(w, 2), 900);
    watermark_observe(w, 0, 5000, 3);
    CHECK_EQ_INT(watermark_advance(w, 3), 1400);
    CHECK_EQ_INT(watermark_partition(w, 0), 4900);
    /* a late row does not lower a partition's maximum */
    watermark_observe(w, 2, 10, 4);
    CHECK_EQ_INT(watermark_advance(w, 4), 1400);
    CHECK_EQ_INT(watermark_observe(w, 3, 1, 4), ERR_RANGE);
    CHECK_EQ_INT(watermark_create(0, 0, 0, 0, &(struct watermark *){NULL}),
                 ERR_INVALID);
    watermark_destroy(w);
}

TEST(idle_partition_stops_holding_back)
{
    struct watermark *w;
    watermark_create(2, 0, 1000, 0, &w);
    watermark_observe(w, 0, 5000, 10);
    CHECK(watermark_advance(w, 500) == WATERMARK_NONE); /* p1 still NEW */
    CHECK(!watermark_partition_idle(w, 1));
    CHECK_EQ_INT(watermark_advance(w, 1000), 5000); /* p1 idle since 0 */
    CHECK(watermark_partition_idle(w, 1));
    watermark_observe(w, 0, 8000, 1005);
    CHECK_EQ_INT(watermark_advance(w, 1005), 8000);
    /* p1 rejoins with old data: the watermark does not go back */
    watermark_observe(w, 1, 2000, 1100);
    CHECK(!watermark_partition_idle(w, 1));
    CHECK_EQ_INT(watermark_advance(w, 1100), 8000);
    watermark_observe(w, 1, 9000, 1200);
    watermark_observe(w, 0, 12000, 1200);
    CHECK_EQ_INT(watermark_advance(w, 1200), 9000); /* held by p1 again */
    /* p0 goes idle, p1 keeps going */
    watermark_observe(w, 1, 11000, 2100);
    CHECK_EQ_INT(watermark_advance(w, 2300), 11000);
    CHECK(watermark_partition_idle(w, 0));
    /* everyone idle: the watermark stays */
    CHECK_EQ_INT(watermark_advance(w, 9000), 11000);
    CHECK_EQ_INT(watermark_current(w), 11000);
    watermark_destroy(w);
}

TEST(idleness_disabled)
{
    struct watermark *w;
    watermark_create(2, 5, 0, 0, &w);
    watermark_observe(w, 0, 100, 0);
    CHECK(watermark_advance(w, 1000000) == WATERMARK_NONE);
    watermark_observe(w, 1, 50, 1000000);
    CHECK_EQ_INT(watermark_advance(w, 1000000), 45);
    watermark_destroy(w);
}

/* Created before the time is known (now < 0): a partition that has not
 * delivered yet is not idle "since 1970"; its idle clock starts at the first
 * observe, so it holds the watermark back for a whole idle timeout. */
TEST(idle_clock_starts_at_first_use)
{
    struct watermark *w;
    CHECK_EQ_INT(watermark_create(2, 0, 5000, -1, &w), 0);
    CHECK_EQ_INT(watermark_observe(w, 0, 20000, 1000000), 0);
    CHECK(watermark_advance(w, 1000000) == WATERMARK_NONE);
    CHECK_EQ_INT(watermark_observe(w, 0, 21000, 1004000), 0);
    CHECK(watermark_advance(w, 1004999) == WATERMARK_NONE);
    CHECK(!watermark_partition_idle(w, 1));
    CHECK_EQ_INT(watermark_advance(w, 1005000), 21000);
    CHECK(watermark_partition_idle(w, 1));
    watermark_destroy(w);
}

int main(void)
{
    RUN(min_over_partitions);
    RUN(idle_partition_stops_holding_back);
    RUN(idleness_disabled);
    RUN(idle_clock_starts_at_first_use);
    return harness_summary("test_watermark");
}
