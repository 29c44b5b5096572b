/* test_partitioner.c - murmur2 against Java's values (reference section 7). */
#include "log/partitioner.h"

#include <string.h>

#include "../../harness.h"

static const struct {
    const char *key;
    uint32_t murmur2;
    int32_t partition_of_3;
} vectors[] = {
    {"kafka", 0xd067cf64u, 1},
    {"giberish123456789", 0x8f552b0cu, 2},
    {"1234", 0x9fc97b14u, 0},
    {"", 0x106e08d9u, 0},
};

TEST(test_vectors)
{
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        const char *k = vectors[i].key;
        CHECK_EQ_INT((uint32_t)partitioner_murmur2(k, strlen(k)),
                     vectors[i].murmur2);
        CHECK_EQ_INT(partitioner_for_key(k, strlen(k), 3),
                     vectors[i].partition_of_3);
    }
}

/* kafka-python / Java placement observed in the reference: key0 -> 1,
 * key1 -> 2, k1 -> 2 on three partitions. */
TEST(test_observed_placement)
{
    CHECK_EQ_INT(partitioner_for_key("key0", 4, 3), 1);
    CHECK_EQ_INT(partitioner_for_key("key1", 4, 3), 2);
    CHECK_EQ_INT(partitioner_for_key("k1", 2, 3), 2);
}

TEST(test_range_and_tails)
{
    /* Every tail length 0..3 and many partition counts stay in range. */
    const char *s = "abcdefghijklmnop";
    for (size_t n = 0; n <= strlen(s); n++)
        for (int32_t p = 1; p < 40; p++) {
            int32_t got = partitioner_for_key(s, n, p);
            CHECK(got >= 0 && got < p);
        }
    CHECK_EQ_INT(partitioner_for_key("x", 1, 0), 0);
    /* High bytes are unsigned: differ from the sign-extended result. */
    const uint8_t hi[3] = {0xff, 0x80, 0x81};
    CHECK(partitioner_murmur2(hi, 3) != partitioner_murmur2("\x7f\x00\x01", 3));
}

int main(void)
{
    RUN(test_vectors);
    RUN(test_observed_placement);
    RUN(test_range_and_tails);
    return harness_summary("test_partitioner");
}
