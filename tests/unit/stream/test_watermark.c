/* test_watermark.c - per-partition bounded disorder, minimum over active
 * partitions, idleness on a virtual processing clock, monotonicity. */
#include <string.h>

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

/* Per-key: the partition's watermark is the floor over its active keys;
 * a key ahead does not move it, a key that turns idle stops holding it,
 * and it never goes back (a new key with old data). */
TEST(per_key_floor)
{
    struct watermark *w;
    CHECK_EQ_INT(watermark_create(2, 100, 1000, 0, &w), 0);
    watermark_set_per_key(w);
    CHECK(watermark_per_key(w));
    CHECK_EQ_INT(watermark_observe_key(w, 0, "a", 1, 5000, 10), 0);
    CHECK_EQ_INT(watermark_observe_key(w, 0, "b", 1, 3000, 10), 0);
    CHECK_EQ_INT(watermark_observe_key(w, 0, "z", 1, 3600000, 10), 0);
    CHECK_EQ_INT(watermark_observe_key(w, 1, "c", 1, 4000, 10), 0);
    CHECK_EQ_INT(watermark_advance(w, 20), 2900); /* b holds p0 */
    CHECK_EQ_INT(watermark_partition(w, 0), 2900);
    CHECK_EQ_INT(watermark_partition(w, 1), 3900);
    CHECK_EQ_INT(watermark_partition_keys(w, 0), 3);
    const void *k;
    size_t n;
    int64_t kwm;
    CHECK(watermark_partition_holder(w, 0, &k, &n, &kwm));
    CHECK(n == 1 && !memcmp(k, "b", 1) && kwm == 2900);
    /* b catches up; a holds p0; c holds the query */
    watermark_observe_key(w, 0, "b", 1, 6000, 500);
    CHECK_EQ_INT(watermark_advance(w, 500), 3900);
    CHECK_EQ_INT(watermark_partition(w, 0), 4900);
    /* a and z go quiet: at 1010 they are idle (last data at 10), b holds */
    watermark_observe_key(w, 1, "c", 1, 9000, 1005);
    CHECK_EQ_INT(watermark_advance(w, 1010), 5900);
    CHECK(watermark_partition_holder(w, 0, &k, &n, &kwm));
    CHECK(!memcmp(k, "b", 1));
    /* a new key with old data does not pull the floor back */
    watermark_observe_key(w, 0, "old", 3, 100, 1020);
    CHECK_EQ_INT(watermark_advance(w, 1020), 5900);
    CHECK_EQ_INT(watermark_partition(w, 0), 5900);
    CHECK(watermark_partition_holder(w, 0, &k, &n, &kwm));
    CHECK(n == 3 && kwm == 0);
    CHECK_EQ_INT(watermark_observe_key(w, 2, "x", 1, 1, 1), ERR_RANGE);
    watermark_destroy(w);
    /* off: observe_key is a plain observe */
    watermark_create(1, 0, 0, 0, &w);
    watermark_observe_key(w, 0, "a", 1, 10, 1);
    watermark_observe_key(w, 0, "b", 1, 50, 1);
    CHECK_EQ_INT(watermark_advance(w, 1), 50);
    CHECK(!watermark_partition_holder(w, 0, &k, &n, &kwm));
    watermark_destroy(w);
}

int main(void)
{
    RUN(min_over_partitions);
    RUN(idle_partition_stops_holding_back);
    RUN(idleness_disabled);
    RUN(idle_clock_starts_at_first_use);
    RUN(per_key_floor);
    return harness_summary("test_watermark");
}
