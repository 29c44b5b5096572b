/* test_kafka_wire.c - Kafka protocol primitives: classic and compact
 * strings, bytes, arrays, null handling, tag sections, hostile counts
 * (layer: kafka, unit test).
 */
#include "../../harness.h"

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "kafka/kafka_proto.h"
#include "kafka/kafka_wire.h"

struct str_case {
    const char *name;
    bool flex, nullable;
    const uint8_t *in;
    size_t len;
    int expect_ok;      /* 1 decodes, 0 fails */
    int expect_null;    /* decoded ptr NULL */
    const char *expect; /* value when ok and not null */
};

TEST(strings_table)
{
    static const uint8_t c_abc[] = {0, 3, 'a', 'b', 'c'};
    static const uint8_t c_empty[] = {0, 0};
    static const uint8_t c_null[] = {0xff, 0xff};
    static const uint8_t c_neg[] = {0xff, 0xfe};
    static const uint8_t c_short[] = {0, 4, 'a', 'b', 'c'};
    static const uint8_t c_half[] = {0};
    static const uint8_t f_abc[] = {4, 'a', 'b', 'c'};
    static const uint8_t f_null[] = {0};
    static const uint8_t f_empty[] = {1};
    static const uint8_t f_short[] = {5, 'a'};
    static const uint8_t f_badvar[] = {0x80, 0x80};
    const struct str_case cases[] = {
        {"classic abc", false, false, c_abc, sizeof c_abc, 1, 0, "abc"},
        {"classic empty", false, false, c_empty, sizeof c_empty, 1, 0, ""},
        {"classic null ok", false, true, c_null, sizeof c_null, 1, 1, NULL},
        {"classic null bad", false, false, c_null, sizeof c_null, 0, 0, NULL},
        {"classic -2", false, true, c_neg, sizeof c_neg, 0, 0, NULL},
        {"classic short", false, false, c_short, sizeof c_short, 0, 0, NULL},
        {"classic half len", false, false, c_half, sizeof c_half, 0, 0, NULL},
        {"compact abc", true, false, f_abc, sizeof f_abc, 1, 0, "abc"},
        {"compact null", true, true, f_null, sizeof f_null, 1, 1, NULL},
        {"compact null bad", true, false, f_null, sizeof f_null, 0, 0, NULL},
        {"compact empty", true, false, f_empty, sizeof f_empty, 1, 0, ""},
        {"compact short", true, false, f_short, sizeof f_short, 0, 0, NULL},
        {"compact bad varint", true, false, f_badvar, sizeof f_badvar, 0, 0,
         NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct str_case *c = &cases[i];
        struct buf_reader r;
        buf_reader_init(&r, c->in, c->len);
        struct kafka_dec d = {&r, NULL, c->flex};
        struct slice s = kafka_wire_read_string(&d, c->nullable);
        int ok = kafka_wire_done(&d) == 0;
        if (ok != c->expect_ok)
            fprintf(stderr, "  case %s\n", c->name);
        CHECK_EQ_INT(ok, c->expect_ok);
        if (ok && c->expect_null)
            CHECK(s.ptr == NULL);
        if (ok && !c->expect_null) {
            CHECK(s.ptr != NULL);
            CHECK(slice_eq_str(s, c->expect));
        }
    }
}

TEST(put_roundtrip)
{
    for (int flex = 0; flex <= 1; flex++) {
        struct buf b;
        buf_init(&b);
        struct kafka_enc e = {&b, flex != 0};
        kafka_wire_put_string(&e, KAFKA_STR("topic"), false);
        kafka_wire_put_string(&e, slice_make(NULL, 0), true);
        kafka_wire_put_string(&e, slice_make(NULL, 0), false); /* as "" */
        kafka_wire_put_bytes(&e, KAFKA_STR("\x01\x02"), true);
        kafka_wire_put_bytes(&e, slice_make(NULL, 0), true);
        int32_t v[3] = {7, -1, 1 << 30};
        kafka_wire_put_i32_array(&e, v, 3);
        kafka_wire_put_array(&e, 0, true);
        kafka_wire_put_tags(&e);

        struct arena a;
        arena_init(&a, 4096);
        struct buf_reader r;
        buf_reader_init(&r, b.data, b.len);
        struct kafka_dec d = {&r, &a, flex != 0};
        CHECK(slice_eq_str(kafka_wire_read_string(&d, false), "topic"));
        CHECK(kafka_wire_read_string(&d, true).ptr == NULL);
        struct slice empty = kafka_wire_read_string(&d, false);
        CHECK(empty.ptr != NULL && empty.len == 0);
        struct slice by = kafka_wire_read_bytes(&d, true);
        CHECK(by.len == 2 && by.ptr[0] == 1 && by.ptr[1] == 2);
        CHECK(kafka_wire_read_bytes(&d, true).ptr == NULL);
        size_t n = 0;
        int32_t *got = kafka_wire_read_i32_array(&d, &n);
        CHECK_EQ_INT(n, 3);
        if (n == 3) {
            CHECK_EQ_INT(got[0], 7);
            CHECK_EQ_INT(got[1], -1);
            CHECK_EQ_INT(got[2], 1 << 30);
        }
        bool isnull = false;
        CHECK_EQ_INT(kafka_wire_read_array(&d, 4, true, &isnull), 0);
        CHECK(isnull);
        kafka_wire_read_tags(&d);
        CHECK_EQ_INT(kafka_wire_done(&d), 0);
        CHECK_EQ_INT(buf_reader_left(&r), 0);
        arena_fini(&a);
        buf_fini(&b);
    }
}

TEST(classic_exact_bytes)
{
    struct buf b;
    buf_init(&b);
    struct kafka_enc e = {&b, false};
    kafka_wire_put_string(&e, KAFKA_STR("ab"), false);
    kafka_wire_put_string(&e, slice_make(NULL, 0), true);
    kafka_wire_put_bytes(&e, slice_make(NULL, 0), true);
    kafka_wire_put_array(&e, 2, false);
    static const uint8_t want[] = {0,    2,    'a',  'b', 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0,   0,    0,    2};
    CHECK_EQ_INT(b.len, sizeof want);
    CHECK(b.len == sizeof want && memcmp(b.data, want, b.len) == 0);
    buf_reset(&b);
    e.flex = true;
    kafka_wire_put_string(&e, KAFKA_STR("ab"), false);
    kafka_wire_put_string(&e, slice_make(NULL, 0), true);
    kafka_wire_put_array(&e, 2, false);
    kafka_wire_put_tags(&e);
    static const uint8_t wantf[] = {3, 'a', 'b', 0, 3, 0};
    CHECK(b.len == sizeof wantf && memcmp(b.data, wantf, b.len) == 0);
    buf_fini(&b);
}

TEST(hostile_counts)
{
    /* 2^31-1 elements claimed, 8 bytes present: rejected, nothing
     * allocated. */
    static const uint8_t big[] = {0x7f, 0xff, 0xff, 0xff, 0, 0,
                                  0,    0,    0,    0,    0, 0};
    struct buf_reader r;
    buf_reader_init(&r, big, sizeof big);
    struct kafka_dec d = {&r, NULL, false};
    CHECK_EQ_INT(kafka_wire_read_array(&d, 1, false, NULL), 0);
    CHECK(kafka_wire_done(&d) == ERR_PARSE);

    /* Exactly as many 4-byte elements as fit: accepted. */
    static const uint8_t fit[] = {0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8};
    buf_reader_init(&r, fit, sizeof fit);
    d.flex = false;
    CHECK_EQ_INT(kafka_wire_read_array(&d, 4, false, NULL), 2);
    CHECK_EQ_INT(kafka_wire_done(&d), 0);
    buf_reader_init(&r, fit, sizeof fit);
    CHECK_EQ_INT(kafka_wire_read_array(&d, 5, false, NULL), 0);
    CHECK(kafka_wire_done(&d) == ERR_PARSE);

    /* Negative classic count other than -1, and null when not nullable. */
    static const uint8_t neg[] = {0xff, 0xff, 0xff, 0xfe};
    buf_reader_init(&r, neg, sizeof neg);
    bool isnull;
    CHECK_EQ_INT(kafka_wire_read_array(&d, 1, true, &isnull), 0);
    CHECK(kafka_wire_done(&d) == ERR_PARSE);
    static const uint8_t null[] = {0xff, 0xff, 0xff, 0xff};
    buf_reader_init(&r, null, sizeof null);
    CHECK_EQ_INT(kafka_wire_read_array(&d, 1, false, NULL), 0);
    CHECK(kafka_wire_done(&d) == ERR_PARSE);

    /* Compact count near 2^32 in a short buffer. */
    static const uint8_t cbig[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0};
    buf_reader_init(&r, cbig, sizeof cbig);
    d.flex = true;
    CHECK_EQ_INT(kafka_wire_read_array(&d, 1, false, NULL), 0);
    CHECK(kafka_wire_done(&d) == ERR_PARSE);

    /* BYTES claiming 2 GB. */
    static const uint8_t bbig[] = {0x7f, 0xff, 0xff, 0xff, 1, 2};
    buf_reader_init(&r, bbig, sizeof bbig);
    d.flex = false;
    struct slice s = kafka_wire_read_bytes(&d, true);
    CHECK(s.len == 0);
    CHECK(kafka_wire_done(&d) == ERR_PARSE);
}

TEST(tags_skipped)
{
    /* 2 tagged fields: tag 0 size 3, tag 5 size 0; then a marker byte. */
    static const uint8_t in[] = {2, 0, 3, 9, 9, 9, 5, 0, 0x42};
    struct buf_reader r;
    buf_reader_init(&r, in, sizeof in);
    struct kafka_dec d = {&r, NULL, true};
    kafka_wire_read_tags(&d);
    CHECK_EQ_INT(kafka_wire_done(&d), 0);
    CHECK_EQ_INT(buf_read_u8(&r), 0x42);
    /* A tag claiming more bytes than remain fails. */
    static const uint8_t bad[] = {1, 0, 9, 1};
    buf_reader_init(&r, bad, sizeof bad);
    kafka_wire_read_tags(&d);
    CHECK(kafka_wire_done(&d) == ERR_PARSE);
    /* Not flexible: nothing read. */
    buf_reader_init(&r, in, sizeof in);
    d.flex = false;
    kafka_wire_read_tags(&d);
    CHECK_EQ_INT(buf_reader_left(&r), sizeof in);
}

int main(void)
{
    RUN(strings_table);
    RUN(put_roundtrip);
    RUN(classic_exact_bytes);
    RUN(hostile_counts);
    RUN(tags_skipped);
    return harness_summary("test_kafka_wire");
}
