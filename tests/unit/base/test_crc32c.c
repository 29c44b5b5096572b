/* test_crc32c.c - CRC-32C known answers; hardware and portable agree. */
#include "base/crc32c.h"

#include "../../harness.h"

#include <stdlib.h>

TEST(test_known_answers)
{
    /* RFC 3720 B.4 and the standard check value. */
    CHECK(crc32c(0, "123456789", 9) == 0xE3069283u);
    uint8_t zeros[32] = {0};
    CHECK(crc32c(0, zeros, 32) == 0x8A9136AAu);
    uint8_t ones[32];
    memset(ones, 0xff, 32);
    CHECK(crc32c(0, ones, 32) == 0x62A8AB43u);
    uint8_t inc[32];
    for (int i = 0; i < 32; i++)
        inc[i] = (uint8_t)i;
    CHECK(crc32c(0, inc, 32) == 0x46DD794Eu);
    CHECK(crc32c(0, "", 0) == 0);
}

TEST(test_hw_matches_portable)
{
    uint8_t buf[4099];
    srand(7);
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)rand();
    for (size_t off = 0; off < 9; off++)
        for (size_t n = 0; n < 300; n += 7)
            CHECK(crc32c(0, buf + off, n) == crc32c_portable(0, buf + off, n));
    CHECK(crc32c(0, buf, sizeof buf) == crc32c_portable(0, buf, sizeof buf));
}

TEST(test_incremental)
{
    const char *s = "hello, rill: the log is the database";
    size_t n = strlen(s);
    uint32_t whole = crc32c(0, s, n);
    for (size_t k = 0; k <= n; k++)
        CHECK(crc32c(crc32c(0, s, k), s + k, n - k) == whole);
}

int main(void)
{
    RUN(test_known_answers);
    RUN(test_hw_matches_portable);
    RUN(test_incremental);
    return harness_summary("test_crc32c");
}
