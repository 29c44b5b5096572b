/* test_buf.c - byte buffers, varints, zig-zag (Kafka's encodings). */
#include "base/buf.h"

#include "../../harness.h"

TEST(test_be_roundtrip)
{
    struct buf b;
    buf_init(&b);
    buf_put_i16(&b, -2);
    buf_put_i32(&b, 0x01020304);
    buf_put_i64(&b, -1234567890123LL);
    CHECK_EQ_INT(b.len, 14);
    CHECK_EQ_INT(b.data[2], 1);
    CHECK_EQ_INT(b.data[5], 4);
    struct buf_reader r;
    buf_reader_init(&r, b.data, b.len);
    CHECK_EQ_INT(buf_read_i16(&r), -2);
    CHECK_EQ_INT(buf_read_i32(&r), 0x01020304);
    CHECK_EQ_INT(buf_read_i64(&r), -1234567890123LL);
    CHECK(buf_reader_ok(&r));
    buf_read_u8(&r);
    CHECK(!buf_reader_ok(&r));
    CHECK_EQ_INT(buf_read_i32(&r), 0); /* sticky */
    buf_fini(&b);
}

/* Vectors from Kafka's ByteUtilsTest (zig-zag varint encodings). */
TEST(test_varint_vectors)
{
    static const struct {
        int64_t v;
        uint8_t bytes[10];
        size_t n;
    } cases[] = {
        {0, {0x00}, 1},
        {-1, {0x01}, 1},
        {1, {0x02}, 1},
        {-64, {0x7f}, 1},
        {64, {0x80, 0x01}, 2},
        {300, {0xd8, 0x04}, 2},
        {INT32_MAX, {0xfe, 0xff, 0xff, 0xff, 0x0f}, 5},
        {INT32_MIN, {0xff, 0xff, 0xff, 0xff, 0x0f}, 5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf b;
        buf_init(&b);
        buf_put_varlong(&b, cases[i].v);
        CHECK_EQ_INT(b.len, cases[i].n);
        CHECK(memcmp(b.data, cases[i].bytes, cases[i].n) == 0);
        CHECK_EQ_INT(buf_varlong_size(cases[i].v), cases[i].n);
        struct buf_reader r;
        buf_reader_init(&r, b.data, b.len);
        CHECK_EQ_INT(buf_read_varlong(&r), cases[i].v);
        if (cases[i].v >= INT32_MIN && cases[i].v <= INT32_MAX) {
            buf_reader_init(&r, b.data, b.len);
            CHECK_EQ_INT(buf_read_varint(&r), cases[i].v);
        }
        CHECK(buf_reader_ok(&r));
        buf_fini(&b);
    }
}

TEST(test_varlong_extremes)
{
    struct buf b;
    buf_init(&b);
    buf_put_varlong(&b, INT64_MIN);
    buf_put_varlong(&b, INT64_MAX);
    CHECK_EQ_INT(b.len, 20);
    struct buf_reader r;
    buf_reader_init(&r, b.data, b.len);
    CHECK(buf_read_varlong(&r) == INT64_MIN);
    CHECK(buf_read_varlong(&r) == INT64_MAX);
    CHECK(buf_reader_ok(&r));
    buf_fini(&b);
}

TEST(test_varint_malformed)
{
    /* 11 continuation bytes: never terminates within 64 bits. */
    uint8_t bad[11];
    memset(bad, 0xff, sizeof bad);
    struct buf_reader r;
    buf_reader_init(&r, bad, sizeof bad);
    buf_read_uvarint(&r);
    CHECK(!buf_reader_ok(&r));
    /* Truncated: continuation bit set on the last byte. */
    uint8_t trunc[2] = {0x80, 0x80};
    buf_reader_init(&r, trunc, 2);
    buf_read_uvarint(&r);
    CHECK(!buf_reader_ok(&r));
    /* A varint above 32 bits is an error for buf_read_varint. */
    uint8_t big[6] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    buf_reader_init(&r, big, 6);
    buf_read_varint(&r);
    CHECK(!buf_reader_ok(&r));
}

TEST(test_bytes_and_printf)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "%s-%d", "abc", 42);
    for (int i = 0; i < 100; i++)
        buf_printf(&b, "%0300d", i); /* long path */
    CHECK_EQ_INT(b.len, 6 + 100 * 300);
    CHECK(memcmp(b.data, "abc-42", 6) == 0);
    struct buf_reader r;
    buf_reader_init(&r, b.data, b.len);
    struct slice s = buf_read_bytes(&r, 3);
    CHECK(slice_eq_str(s, "abc"));
    s = buf_read_bytes(&r, b.len);
    CHECK(s.len == 0 && !buf_reader_ok(&r));
    buf_fini(&b);
}

int main(void)
{
    RUN(test_be_roundtrip);
    RUN(test_varint_vectors);
    RUN(test_varlong_extremes);
    RUN(test_varint_malformed);
    RUN(test_bytes_and_printf);
    return harness_summary("test_buf");
}
