/* test_record_batch.c - RecordBatch v2: an external vector (built by
 * kafka-python's DefaultRecordBatchBuilder), builder round trips for every
 * codec, header decode and verify tables, malformed records, the walker. */
#include "log/record_batch.h"

#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"
#include "base/err.h"
#include "../../harness.h"

/* kafka-python 2.0.2, magic 2, no compression: records
 * (ts 1700000000000, key "kafka", value "hello", header h1=v1),
 * (ts +5, null key, "world"), (ts +2, key "k3", null value). */
static const char *kp_hex =
    "00000000000000000000005d00000000026e19bff70000000000020000018bcfe5680000"
    "00018bcfe56805ffffffffffffffffffffffffffff000000032c0000000a6b61666b610a"
    "68656c6c6f0204683104763116000a02010a776f726c640010000404046b330100";

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = strlen(h) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

TEST(test_external_vector)
{
    uint8_t b[256];
    size_t n = unhex(kp_hex, b);
    CHECK_EQ_INT(n, 105);
    struct record_batch_header h;
    CHECK_EQ_INT(record_batch_header_decode(b, n, &h), 0);
    CHECK_EQ_INT(h.batch_length, 93);
    CHECK_EQ_INT(h.magic, 2);
    CHECK_EQ_INT(h.last_offset_delta, 2);
    CHECK_EQ_INT(h.record_count, 3);
    CHECK_EQ_INT(h.base_timestamp, 1700000000000LL);
    CHECK_EQ_INT(h.max_timestamp, 1700000000005LL);
    CHECK_EQ_INT(h.producer_id, -1);
    CHECK_EQ_INT(h.producer_epoch, -1);
    CHECK_EQ_INT(h.base_sequence, -1);
    CHECK_EQ_INT(record_batch_verify(b, n), 0);

    /* Our builder produces the same bytes. */
    struct record_batch_builder bb;
    record_batch_builder_init(&bb, COMPRESS_NONE);
    bb.leader_epoch = 0; /* kafka-python writes 0, Java -1 */
    struct slice k1 = slice_make("kafka", 5), v1 = slice_make("hello", 5);
    struct slice v2 = slice_make("world", 5), k3 = slice_make("k3", 2);
    struct slice hv = slice_make("v1", 2);
    struct record_header hdr = {slice_make("h1", 2), &hv};
    CHECK_EQ_INT(
        record_batch_builder_add(&bb, &k1, &v1, 1700000000000LL, &hdr, 1), 0);
    CHECK_EQ_INT(
        record_batch_builder_add(&bb, NULL, &v2, 1700000000005LL, NULL, 0), 0);
    CHECK_EQ_INT(
        record_batch_builder_add(&bb, &k3, NULL, 1700000000002LL, NULL, 0), 0);
    struct buf out;
    buf_init(&out);
    CHECK_EQ_INT(record_batch_builder_finish(&bb, &out), 0);
    CHECK_EQ_INT(out.len, n);
    CHECK(out.len == n && memcmp(out.data, b, n) == 0);
    buf_fini(&out);
    record_batch_builder_fini(&bb);

    /* And the iterator reads it. */
    record_batch_set_base_offset(b, 100);
    CHECK_EQ_INT(record_batch_verify(b, n), 0); /* offset outside CRC */
    struct record_iter it;
    struct record r;
    CHECK_EQ_INT(record_iter_init(&it, b, n, NULL), 0);
    CHECK_EQ_INT(record_iter_next(&it, &r), 1);
    CHECK_EQ_INT(r.offset, 100);
    CHECK_EQ_INT(r.timestamp, 1700000000000LL);
    CHECK(!r.key_null && slice_eq_str(r.key, "kafka"));
    CHECK(!r.value_null && slice_eq_str(r.value, "hello"));
    CHECK_EQ_INT(r.header_count, 1);
    struct record_header_iter hi;
    struct slice hk, hval;
    bool hnull;
    record_header_iter_init(&hi, &r);
    CHECK_EQ_INT(record_header_iter_next(&hi, &hk, &hval, &hnull), 1);
    CHECK(slice_eq_str(hk, "h1") && slice_eq_str(hval, "v1") && !hnull);
    CHECK_EQ_INT(record_header_iter_next(&hi, &hk, &hval, &hnull), 0);
    CHECK_EQ_INT(record_iter_next(&it, &r), 1);
    CHECK_EQ_INT(r.offset, 101);
    CHECK_EQ_INT(r.timestamp, 1700000000005LL);
    CHECK(r.key_null && slice_eq_str(r.value, "world"));
    CHECK_EQ_INT(record_iter_next(&it, &r), 1);
    CHECK_EQ_INT(r.offset, 102);
    CHECK_EQ_INT(r.timestamp, 1700000000002LL);
    CHECK(r.value_null && slice_eq_str(r.key, "k3"));
    CHECK_EQ_INT(record_iter_next(&it, &r), 0);
    CHECK_EQ_INT(record_iter_next(&it, &r), 0);
}

TEST(test_codecs_round_trip)
{
    for (int c = COMPRESS_NONE; c <= COMPRESS_ZSTD; c++) {
        struct record_batch_builder bb;
        record_batch_builder_init(&bb, c);
        record_batch_builder_set_producer(&bb, 4242, 3, 17);
        bb.base_offset = 1000;
        char kb[32], vb[64];
        for (int i = 0; i < 500; i++) {
            int kn = snprintf(kb, sizeof(kb), "key-%d", i);
            int vn = snprintf(vb, sizeof(vb), "value number %d for codec", i);
            struct slice k = slice_make(kb, (size_t)kn);
            struct slice v = slice_make(vb, (size_t)vn);
            CHECK_EQ_INT(
                record_batch_builder_add(&bb, &k, &v, 5000 + i, NULL, 0), 0);
        }
        CHECK_EQ_INT(record_batch_builder_count(&bb), 500);
        struct buf out, scratch;
        buf_init(&out);
        buf_init(&scratch);
        CHECK_EQ_INT(record_batch_builder_finish(&bb, &out), 0);
        if (c != COMPRESS_NONE)
            CHECK(out.len < record_batch_builder_size(&bb) / 2);
        CHECK_EQ_INT(record_batch_verify(out.data, out.len), 0);
        struct record_batch_header h;
        CHECK_EQ_INT(record_batch_header_decode(out.data, out.len, &h), 0);
        CHECK_EQ_INT(record_batch_attr_codec(h.attributes), c);
        CHECK_EQ_INT(h.producer_id, 4242);
        CHECK_EQ_INT(h.producer_epoch, 3);
        CHECK_EQ_INT(h.base_sequence, 17);
        CHECK_EQ_INT(h.max_timestamp, 5499);
        CHECK_EQ_INT(record_batch_last_offset(&h), 1499);
        struct record_iter it;
        struct record r;
        int rc = record_iter_init(&it, out.data, out.len, &scratch);
        CHECK_EQ_INT(rc, 0);
        int i = 0;
        while (rc == 0 && (rc = record_iter_next(&it, &r)) == 1) {
            int kn = snprintf(kb, sizeof(kb), "key-%d", i);
            CHECK(r.key.len == (size_t)kn && memcmp(r.key.ptr, kb, kn) == 0);
            CHECK_EQ_INT(r.offset, 1000 + i);
            CHECK_EQ_INT(r.timestamp, 5000 + i);
            i++;
            rc = 0;
        }
        CHECK_EQ_INT(rc, 0);
        CHECK_EQ_INT(i, 500);
        if (c != COMPRESS_NONE) {
            /* Compressed without scratch, or above a tiny ceiling. */
            CHECK_EQ_INT(record_iter_init(&it, out.data, out.len, NULL),
                         ERR_INVALID);
            CHECK_EQ_INT(
                record_iter_init_max(&it, out.data, out.len, &scratch, 100),
                ERR_TOO_LARGE);
        }
        /* Builder reuse: reset and build a second one-record batch. */
        record_batch_builder_reset(&bb);
        struct slice v = slice_make("x", 1);
        CHECK_EQ_INT(record_batch_builder_add(&bb, NULL, &v, 9, NULL, 0), 0);
        size_t first = out.len;
        CHECK_EQ_INT(record_batch_builder_finish(&bb, &out), 0);
        CHECK_EQ_INT(record_batch_verify(out.data + first, out.len - first), 0);
        buf_fini(&out);
        buf_fini(&scratch);
        record_batch_builder_fini(&bb);
    }
}

static struct buf one_batch(int nrec)
{
    struct record_batch_builder bb;
    record_batch_builder_init(&bb, COMPRESS_NONE);
    for (int i = 0; i < nrec; i++) {
        struct slice v = slice_make("abc", 3);
        record_batch_builder_add(&bb, NULL, &v, 1, NULL, 0);
    }
    struct buf out;
    buf_init(&out);
    record_batch_builder_finish(&bb, &out);
    record_batch_builder_fini(&bb);
    return out;
}

TEST(test_header_table)
{
    struct buf b = one_batch(2);
    struct record_batch_header h;
    struct {
        size_t n;
        int expect;
        int32_t batch_length;
    } rows[] = {
        {0, ERR_AGAIN, -1},
        {11, ERR_AGAIN, -1},
        {12, ERR_AGAIN, (int32_t)b.len - 12},
        {60, ERR_AGAIN, (int32_t)b.len - 12},
        {61, ERR_AGAIN, (int32_t)b.len - 12},
        {b.len - 1, ERR_AGAIN, (int32_t)b.len - 12},
        {b.len, 0, (int32_t)b.len - 12},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        CHECK_EQ_INT(record_batch_header_decode(b.data, rows[i].n, &h),
                     rows[i].expect);
        CHECK_EQ_INT(h.batch_length, rows[i].batch_length);
    }
    CHECK_EQ_INT(record_batch_verify(b.data, b.len - 1), ERR_AGAIN);
    /* Bad magic, bad length, flipped byte, negative count. */
    struct buf c;
    buf_init(&c);
    buf_put(&c, b.data, b.len);
    c.data[16] = 1;
    CHECK_EQ_INT(record_batch_header_decode(c.data, c.len, &h), ERR_CORRUPT);
    CHECK_EQ_INT(record_batch_header_decode(c.data, 20, &h), ERR_CORRUPT);
    c.data[16] = 2;
    buf_set_i32(&c, 8, 48);
    CHECK_EQ_INT(record_batch_header_decode(c.data, c.len, &h), ERR_CORRUPT);
    buf_set_i32(&c, 8, -5);
    CHECK_EQ_INT(record_batch_verify(c.data, c.len), ERR_CORRUPT);
    buf_set_i32(&c, 8, (int32_t)b.len - 12);
    CHECK_EQ_INT(record_batch_verify(c.data, c.len), 0);
    for (size_t i = 21; i < c.len; i++) {
        c.data[i] ^= 0x10;
        CHECK_EQ_INT(record_batch_verify(c.data, c.len), ERR_CORRUPT);
        c.data[i] ^= 0x10;
    }
    /* Base offset and leader epoch are outside the CRC. */
    record_batch_set_leader_epoch(c.data, 7);
    record_batch_set_base_offset(c.data, 1LL << 40);
    CHECK_EQ_INT(record_batch_verify(c.data, c.len), 0);
    /* LogAppendTime rewrites attributes + maxTimestamp and the CRC. */
    record_batch_set_log_append_time(c.data, 777);
    CHECK_EQ_INT(record_batch_verify(c.data, c.len), 0);
    CHECK_EQ_INT(record_batch_header_decode(c.data, c.len, &h), 0);
    CHECK(record_batch_attr_log_append_time(h.attributes));
    CHECK_EQ_INT(h.max_timestamp, 777);
    struct record_iter it;
    struct record r;
    CHECK_EQ_INT(record_iter_init(&it, c.data, c.len, NULL), 0);
    CHECK_EQ_INT(record_iter_next(&it, &r), 1);
    CHECK_EQ_INT(r.timestamp, 777);
    CHECK_EQ_INT(r.offset, 1LL << 40);
    buf_fini(&c);
    buf_fini(&b);
}

/* Malformed records inside a batch whose header is fine: every one must be
 * ERR_CORRUPT, never a crash or a read past the end. */
TEST(test_malformed_records)
{
    static const struct {
        const char *name;
        const char *rec; /* hex of the records area */
        int32_t count;
    } rows[] = {
        {"length past end", "7f00", 1},
        {"negative length", "01", 1},
        {"length too long for fields", "0e000000020161", 1}, /* 7 > 6 */
        {"length too short", "08000000020161", 1},
        {"key length past record", "0c0000000e0161", 1},
        {"key length -2", "0c00000003016100", 1},
        {"bad header key -1", "10000000000202010000", 1},
        {"header count huge", "0c000000000061ffffffff07", 1},
        {"count above records", "0c00000000000200", 2},
        {"varint overlong", "ffffffffffffffffffffff", 1},
        {"empty area", "", 1},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        uint8_t recs[64];
        size_t rn = unhex(rows[i].rec, recs);
        struct buf b;
        buf_init(&b);
        uint8_t *h = buf_extend(&b, RECORD_BATCH_HEADER_SIZE);
        memset(h, 0, RECORD_BATCH_HEADER_SIZE);
        buf_put(&b, recs, rn);
        buf_set_i32(&b, 8, (int32_t)(b.len - 12));
        b.data[16] = 2;
        buf_set_i32(&b, 57, rows[i].count);
        struct record_iter it;
        struct record r;
        CHECK_EQ_INT(record_iter_init(&it, b.data, b.len, NULL), 0);
        int rc;
        int guard = 0;
        while ((rc = record_iter_next(&it, &r)) == 1 && guard++ < 10)
            ;
        if (rc != ERR_CORRUPT)
            fprintf(stderr, "  row %s: rc %d\n", rows[i].name, rc);
        CHECK_EQ_INT(rc, ERR_CORRUPT);
        CHECK_EQ_INT(record_iter_next(&it, &r), ERR_CORRUPT);
        buf_fini(&b);
    }
}

TEST(test_walk)
{
    struct buf all;
    buf_init(&all);
    for (int i = 1; i <= 3; i++) {
        struct buf b = one_batch(i);
        buf_put(&all, b.data, b.len);
        buf_fini(&b);
    }
    struct record_batch_walk w;
    struct record_batch_header h;
    const uint8_t *p;
    size_t n;
    /* Whole buffer, then with the last batch cut. */
    for (int cut = 0; cut <= 1; cut++) {
        record_batch_walk_init(&w, all.data, all.len - (size_t)cut * 5);
        int got = 0;
        while (record_batch_walk_next(&w, &h, &p, &n) == 1) {
            got++;
            CHECK_EQ_INT(h.record_count, got);
            CHECK_EQ_INT(record_batch_verify(p, n), 0);
        }
        CHECK_EQ_INT(got, cut ? 2 : 3);
        CHECK(w.truncated == (cut == 1));
    }
    /* Garbage after the first batch stops the walk with ERR_CORRUPT. */
    struct buf b = one_batch(1);
    all.len = 0;
    buf_put(&all, b.data, b.len);
    buf_put(&all, "\0\0\0\0\0\0\0\0\0\0\0\x05garbage-garbage-garbage", 35);
    record_batch_walk_init(&w, all.data, all.len);
    CHECK_EQ_INT(record_batch_walk_next(&w, &h, &p, &n), 1);
    CHECK_EQ_INT(record_batch_walk_next(&w, &h, &p, &n), ERR_CORRUPT);
    CHECK_EQ_INT(w.pos, b.len);
    buf_fini(&b);
    buf_fini(&all);
}

TEST(test_builder_edges)
{
    struct record_batch_builder bb;
    record_batch_builder_init(&bb, COMPRESS_NONE);
    struct buf out;
    buf_init(&out);
    CHECK_EQ_INT(record_batch_builder_finish(&bb, &out), ERR_INVALID);
    CHECK_EQ_INT(out.len, 0);
    /* Empty key and value are not null; a null header value survives. */
    struct slice empty = slice_make("", 0);
    struct record_header hd[2] = {{slice_make("a", 1), NULL},
                                  {slice_make("b", 1), &empty}};
    CHECK_EQ_INT(record_batch_builder_add(&bb, &empty, &empty, -1, hd, 2), 0);
    CHECK_EQ_INT(record_batch_builder_finish(&bb, &out), 0);
    struct record_iter it;
    struct record r;
    CHECK_EQ_INT(record_iter_init(&it, out.data, out.len, NULL), 0);
    CHECK_EQ_INT(record_iter_next(&it, &r), 1);
    CHECK(!r.key_null && r.key.len == 0 && !r.value_null && r.value.len == 0);
    CHECK_EQ_INT(r.timestamp, -1);
    struct record_header_iter hi;
    struct slice k, v;
    bool vnull;
    record_header_iter_init(&hi, &r);
    CHECK_EQ_INT(record_header_iter_next(&hi, &k, &v, &vnull), 1);
    CHECK(slice_eq_str(k, "a") && vnull);
    CHECK_EQ_INT(record_header_iter_next(&hi, &k, &v, &vnull), 1);
    CHECK(slice_eq_str(k, "b") && !vnull && v.len == 0);
    CHECK_EQ_INT(record_header_iter_next(&hi, &k, &v, &vnull), 0);
    buf_fini(&out);
    record_batch_builder_fini(&bb);
}

int main(void)
{
    RUN(test_external_vector);
    RUN(test_codecs_round_trip);
    RUN(test_header_table);
    RUN(test_malformed_records);
    RUN(test_walk);
    RUN(test_builder_edges);
    return harness_summary("test_record_batch");
}
