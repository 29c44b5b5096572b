/* test_compress.c - round trips, xerial snappy, limits and corrupt input
 * for every codec. */
#include "log/compress.h"

#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "../../harness.h"

static void fill(uint8_t *p, size_t n)
{
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        /* Compressible: runs of a few symbols. */
        p[i] = (uint8_t)("abcdeeee"[(x >> 16) & 7]);
        if ((i & 63) > 8 && i >= 64)
            p[i] = p[i - 64]; /* repeats, so snappy's LZ77 finds matches */
    }
}

TEST(test_round_trip_all)
{
    static uint8_t in[200000];
    fill(in, sizeof(in));
    size_t sizes[] = {0, 1, 100, 65536, 65537, sizeof(in)};
    for (int c = COMPRESS_NONE; c <= COMPRESS_ZSTD; c++) {
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            struct buf z, out;
            buf_init(&z);
            buf_init(&out);
            buf_put(&out, "pre", 3); /* decode appends */
            CHECK_EQ_INT(compress_encode(c, in, sizes[s], &z), 0);
            if (c != COMPRESS_NONE && sizes[s] == sizeof(in))
                CHECK(z.len < sizes[s] / 2);
            CHECK_EQ_INT(compress_decode(c, z.data, z.len, sizes[s], &out), 0);
            CHECK_EQ_INT(out.len, sizes[s] + 3);
            CHECK(memcmp(out.data, "pre", 3) == 0);
            CHECK(sizes[s] == 0 || memcmp(out.data + 3, in, sizes[s]) == 0);
            /* One byte under the real size must be refused, and out kept. */
            if (sizes[s] > 0) {
                out.len = 3;
                CHECK_EQ_INT(
                    compress_decode(c, z.data, z.len, sizes[s] - 1, &out),
                    ERR_TOO_LARGE);
                CHECK_EQ_INT(out.len, 3);
            }
            buf_fini(&z);
            buf_fini(&out);
        }
    }
}

TEST(test_xerial_snappy)
{
    /* Java's framing: magic, version 1, compatible 1, then two blocks. */
    const char *parts[2] = {"hello hello hello hello ", "world world world"};
    struct buf x, out;
    buf_init(&x);
    buf_init(&out);
    buf_put(&x, "\x82SNAPPY\0", 8);
    buf_put_i32(&x, 1);
    buf_put_i32(&x, 1);
    for (int i = 0; i < 2; i++) {
        size_t cap = snappy_max_compressed_length(strlen(parts[i]));
        char *tmp = malloc(cap);
        size_t got = cap;
        CHECK(snappy_compress(parts[i], strlen(parts[i]), tmp, &got) ==
              SNAPPY_OK);
        buf_put_i32(&x, (int32_t)got);
        buf_put(&x, tmp, got);
        free(tmp);
    }
    CHECK_EQ_INT(compress_decode(COMPRESS_SNAPPY, x.data, x.len, 1000, &out),
                 0);
    CHECK_EQ_INT(out.len, strlen(parts[0]) + strlen(parts[1]));
    CHECK(memcmp(out.data, "hello hello hello hello world world world",
                 out.len) == 0);
    /* A block length past the end is corrupt. */
    buf_set_i32(&x, 16, 100000);
    out.len = 0;
    CHECK_EQ_INT(compress_decode(COMPRESS_SNAPPY, x.data, x.len, 1000, &out),
                 ERR_CORRUPT);
    CHECK_EQ_INT(out.len, 0);
    buf_fini(&x);
    buf_fini(&out);
}

TEST(test_corrupt_and_truncated)
{
    static uint8_t in[50000];
    fill(in, sizeof(in));
    for (int c = COMPRESS_GZIP; c <= COMPRESS_ZSTD; c++) {
        struct buf z, out;
        buf_init(&z);
        buf_init(&out);
        CHECK_EQ_INT(compress_encode(c, in, sizeof(in), &z), 0);
        /* Truncated streams are errors, not short successes. */
        int rc = compress_decode(c, z.data, z.len / 2, sizeof(in), &out);
        CHECK(rc == ERR_CORRUPT);
        CHECK_EQ_INT(out.len, 0);
        /* Garbage. */
        uint8_t junk[64];
        memset(junk, 0xA5, sizeof(junk));
        CHECK(compress_decode(c, junk, sizeof(junk), 1 << 20, &out) < 0);
        CHECK(compress_decode(c, junk, 0, 1 << 20, &out) < 0);
        CHECK_EQ_INT(out.len, 0);
        buf_fini(&z);
        buf_fini(&out);
    }
}

TEST(test_bomb_limited)
{
    /* 32 MiB of zeros compress to a few KiB; a 1 MiB ceiling stops it. */
    size_t n = 32u << 20;
    uint8_t *zeros = calloc(1, n);
    for (int c = COMPRESS_GZIP; c <= COMPRESS_ZSTD; c++) {
        struct buf z, out;
        buf_init(&z);
        buf_init(&out);
        CHECK_EQ_INT(compress_encode(c, zeros, n, &z), 0);
        CHECK(z.len < n / 16);
        CHECK_EQ_INT(compress_decode(c, z.data, z.len, 1u << 20, &out),
                     ERR_TOO_LARGE);
        CHECK(out.cap <= (2u << 20));
        buf_fini(&z);
        buf_fini(&out);
    }
    free(zeros);
}

/* Streams written by the Debian command-line tools (lz4 with a content
 * checksum, zstd with a checksum, gzip with a header): what other
 * implementations write must decode too. */
TEST(test_external_streams)
{
    static const struct {
        int codec;
        const char *hex;
    } rows[] = {
        {COMPRESS_LZ4, "04224d186440a716000000cf68656c6c6f206b61666b61200c0000"
                       "5061666b610a000000007f925fea"},
        {COMPRESS_ZSTD, "28b52ffd04589d00006868656c6c6f206b61666b61200a0100af"
                        "4b12e8f8bc8b"},
        {COMPRESS_GZIP, "1f8b0800000000000003cb48cdc9c957c84e4ccb4e54c8c0cee6"
                        "02007956b6d824000000"},
    };
    const char *want = "hello kafka hello kafka hello kafka\n";
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        uint8_t in[128];
        size_t n = strlen(rows[i].hex) / 2;
        for (size_t j = 0; j < n; j++) {
            unsigned v;
            sscanf(rows[i].hex + 2 * j, "%2x", &v);
            in[j] = (uint8_t)v;
        }
        struct buf out;
        buf_init(&out);
        CHECK_EQ_INT(compress_decode(rows[i].codec, in, n, 1000, &out), 0);
        CHECK(out.len == strlen(want) && memcmp(out.data, want, out.len) == 0);
        /* A flipped payload byte is caught (checksums / CRC). */
        in[n - 6] ^= 0x01;
        out.len = 0;
        CHECK(compress_decode(rows[i].codec, in, n, 1000, &out) < 0);
        buf_fini(&out);
    }
}

TEST(test_names)
{
    CHECK_EQ_INT(compress_codec_parse("zstd"), COMPRESS_ZSTD);
    CHECK_EQ_INT(compress_codec_parse("gzip"), COMPRESS_GZIP);
    CHECK_EQ_INT(compress_codec_parse("none"), COMPRESS_NONE);
    CHECK_EQ_INT(compress_codec_parse("brotli"), ERR_INVALID);
    CHECK_EQ_STR(compress_codec_name(COMPRESS_LZ4), "lz4");
    CHECK_EQ_STR(compress_codec_name(9), "unknown");
    struct buf out;
    buf_init(&out);
    CHECK_EQ_INT(compress_encode(7, "x", 1, &out), ERR_INVALID);
    CHECK_EQ_INT(compress_decode(7, "x", 1, 10, &out), ERR_INVALID);
    buf_fini(&out);
}

int main(void)
{
    RUN(test_round_trip_all);
    RUN(test_xerial_snappy);
    RUN(test_corrupt_and_truncated);
    RUN(test_bomb_limited);
    RUN(test_external_streams);
    RUN(test_names);
    return harness_summary("test_compress");
}
