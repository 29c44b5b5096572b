/* test_kafka_codec.c - every API's request decode / encode and response
 * encode / decode: hand-built byte vectors from the reference's field
 * lists, round trips for every ApiKey and version of the table, every
 * truncation of every sample request, hostile counts, and the Fetch
 * response splice positions (layer: kafka, unit test).
 *
 * With RILL_KAFKA_CORPUS=dir set it also writes one sample request frame
 * payload per ApiKey/version into dir (the fuzz seed corpus).
 */
#include "../../harness.h"

#include <stdlib.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "kafka/kafka_proto.h"
#include "kafka_samples.h"

static void dump(const char *what, const uint8_t *p, size_t n)
{
    fprintf(stderr, "  %s (%zu):", what, n);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %02x", p[i]);
    fprintf(stderr, "\n");
}

TEST(roundtrip_every_request)
{
    size_t n;
    const struct kafka_api_range *t = kafka_api_table(&n);
    struct arena a;
    arena_init(&a, 8192);
    struct buf b1, b2;
    buf_init(&b1);
    buf_init(&b2);
    int checked = 0;
    for (size_t i = 0; i < n; i++) {
        for (int16_t v = t[i].min_version; v <= t[i].max_version; v++) {
            int16_t key = t[i].api_key;
            buf_reset(&b1);
            buf_reset(&b2);
            sample_request(&b1, key, v, 1000 + v);
            struct buf_reader r;
            buf_reader_init(&r, b1.data, b1.len);
            struct kafka_request_header h;
            CHECK_EQ_INT(kafka_request_header_decode(&r, &h), 0);
            CHECK_EQ_INT(h.api_key, key);
            CHECK_EQ_INT(h.correlation_id, 1000 + v);
            size_t body_at = b1.len - buf_reader_left(&r);
            void *q = NULL;
            int rc = kafka_request_decode(&r, key, v, &a, &q);
            if (rc != 0)
                fprintf(stderr, "  %s v%d: rc %d\n", kafka_api_name(key), v,
                        rc);
            CHECK_EQ_INT(rc, 0);
            CHECK_EQ_INT(buf_reader_left(&r), 0);
            if (rc == 0) {
                kafka_request_encode(&b2, key, v, q);
                bool same = b2.len == b1.len - body_at &&
                            memcmp(b2.data, b1.data + body_at, b2.len) == 0;
                if (!same) {
                    fprintf(stderr, "  %s v%d differs\n", kafka_api_name(key),
                            v);
                    dump("first", b1.data + body_at, b1.len - body_at);
                    dump("again", b2.data, b2.len);
                }
                CHECK(same);
            }
            arena_reset(&a);
            checked++;
        }
    }
    CHECK(checked >= 75);
    buf_fini(&b1);
    buf_fini(&b2);
    arena_fini(&a);
}

/* Every proper prefix of every sample body fails with ERR_PARSE. The
 * prefix lives in a heap block of exactly its size, so ASan catches any
 * read past it. Trailing bytes after a whole body are accepted. */
TEST(truncations_fail_cleanly)
{
    size_t n;
    const struct kafka_api_range *t = kafka_api_table(&n);
    struct arena a;
    arena_init(&a, 8192);
    struct buf b;
    buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        for (int16_t v = t[i].min_version; v <= t[i].max_version; v++) {
            int16_t key = t[i].api_key;
            buf_reset(&b);
            sample_request_body(&b, key, v);
            if (b.len == 0) /* ListGroups v0-2, ApiVersions v0-2 */
                continue;
            for (size_t len = 0; len < b.len; len++) {
                uint8_t *copy = malloc(len ? len : 1);
                memcpy(copy, b.data, len);
                struct buf_reader r;
                buf_reader_init(&r, copy, len);
                void *q;
                int rc = kafka_request_decode(&r, key, v, &a, &q);
                if (rc != ERR_PARSE)
                    fprintf(stderr, "  %s v%d prefix %zu/%zu: rc %d\n",
                            kafka_api_name(key), v, len, b.len, rc);
                CHECK_EQ_INT(rc, ERR_PARSE);
                free(copy);
                arena_reset(&a);
            }
            buf_put_u8(&b, 0xee);
            struct buf_reader r;
            buf_reader_init(&r, b.data, b.len);
            void *q;
            CHECK_EQ_INT(kafka_request_decode(&r, key, v, &a, &q), 0);
            CHECK_EQ_INT(buf_reader_left(&r), 1);
            arena_reset(&a);
        }
    }
    buf_fini(&b);
    arena_fini(&a);
}

TEST(unsupported_versions)
{
    struct arena a;
    arena_init(&a, 1024);
    static const uint8_t body[64];
    struct buf_reader r;
    void *q;
    const int16_t bad[][2] = {{0, 2},  {0, 12}, {1, 3},  {2, 10}, {3, 13},
                              {10, 7}, {17, 2}, {18, 5}, {1, 18}, {27, 0},
                              {-1, 0}, {16, 6}, {2, 0}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf_reader_init(&r, body, sizeof body);
        CHECK_EQ_INT(kafka_request_decode(&r, bad[i][0], bad[i][1], &a, &q),
                     ERR_UNSUPPORTED);
    }
    buf_reader_init(&r, body, sizeof body);
    struct kafka_produce_request pr;
    CHECK_EQ_INT(kafka_produce_request_decode(&r, 2, &a, &pr), ERR_UNSUPPORTED);
    arena_fini(&a);
}

struct vec_case {
    const char *name;
    int16_t key, version;
    const uint8_t *want;
    size_t len;
};

#define VEC(name, key, v, arr)                                                 \
    {                                                                          \
        name, key, v, arr, sizeof(arr)                                         \
    }

/* Hand-built from the reference's field lists (section 1.6); the sample
 * values are those of kafka_samples.h. */
TEST(request_vectors)
{
    static const uint8_t find0[] = {0, 2, 'g', '1'};
    static const uint8_t find1[] = {0, 2, 'g', '1', 1};
    static const uint8_t hb0[] = {0, 2, 'g', '1', 0,   0,  0,
                                  3, 0, 3,   'm', '-', '1'};
    static const uint8_t hb3[] = {0, 2, 'g', '1', 0,   0,    0,   3,
                                  0, 3, 'm', '-', '1', 0xff, 0xff};
    static const uint8_t leave1[] = {0, 2, 'g', '1', 0, 3, 'm', '-', '1'};
    static const uint8_t md0[] = {0,   0,   0,   2,   0, 6, 'e', 'v',
                                  'e', 'n', 't', 's', 0, 2, 't', '2'};
    static const uint8_t md4[] = {0,   0,   0,   2, 0, 6,   'e', 'v', 'e',
                                  'n', 't', 's', 0, 2, 't', '2', 0};
    static const uint8_t lo1[] = {
        0xff, 0xff, 0xff, 0xff, /* replica_id */
        0,    0,    0,    1,    0,    6,    'e',  'v',  'e',
        'n',  't',  's',     /* topics[1] */
        0,    0,    0,    3, /* partitions[3] */
        0,    0,    0,    0,    0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0,    0,    0,    1,    0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0,    0,    0,
        2,    0,    0,    0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00};
    static const uint8_t lo2[] = {
        0xff, 0xff, 0xff, 0xff, 1, /* + isolation_level */
        0,    0,    0,    1,    0, 6, 'e',  'v',  'e',  'n',  't',  's',  0,
        0,    0,    3,    0,    0, 0, 0,    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0,    0,    0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xfe, 0,    0,    0,    2, 0, 0,    0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00};
    static const uint8_t end1[] = {0, 5, 't', 'x', 'n',  '-',  '1', 0, 0,
                                   0, 0, 0,   0,   0x03, 0xe8, 0,   2, 1};
    static const uint8_t ipid0[] = {0,   5, 't', 'x',  'n', '-',
                                    '1', 0, 0,   0xea, 0x60};
    static const uint8_t dg3[] = {0,   0, 0, 2,   0,   2, 'g',
                                  '1', 0, 2, 'g', '2', 1};
    static const uint8_t dt1[] = {0,   0,   0,   1, 0, 4,    'o',
                                  'l', 'd', '1', 0, 0, 0x13, 0x88};
    static const uint8_t of1[] = {0,   2,   'g', '1', 0,   0, 0, 2, 0, 6, 'e',
                                  'v', 'e', 'n', 't', 's', 0, 0, 0, 3, 0, 0,
                                  0,   0,   0,   0,   0,   1, 0, 0, 0, 7, 0,
                                  2,   't', '2', 0,   0,   0, 1, 0, 0, 0, 0};
    static const uint8_t oc2[] = {0,    2,    'g',  '1',  0,    0,
                                  0,    4,    0,    3,    'm',  '-',
                                  '1',  0,    0,    0,    0,    0x05,
                                  0x26, 0x5c, 0x00, /* retention 86400000 */
                                  0,    0,    0,    1,    0,    6,
                                  'e',  'v',  'e',  'n',  't',  's',
                                  0,    0,    0,    2,    0,    0,
                                  0,    0,    0,    0,    0,    0,
                                  0,    0,    0,    42,   0,    4,
                                  'm',  'e',  't',  'a',  0,    0,
                                  0,    5,    0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t oc7[] = {
        0,    2,    'g',  '1',  0,    0,    0,    4,    0,    3,    'm',  '-',
        '1',  0,    4,    'i',  'n',  's',  't', /* group_instance_id */
        0,    0,    0,    1,    0,    6,    'e',  'v',  'e',  'n',  't',  's',
        0,    0,    0,    2,    0,    0,    0,    0,    0,    0,    0,    0,
        0,    0,    0,    42,   0,    0,    0,    3,    0,    4,    'm',  'e',
        't',  'a',  0,    0,    0,    5,    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t fetch4[] = {
        0xff, 0xff, 0xff, 0xff, 0, 0,    0x01, 0xf4, 0,   0,   0,   1,
        0x03, 0x20, 0,    0,    1, /* max_bytes, isolation */
        0,    0,    0,    1,    0, 6,    'e',  'v',  'e', 'n', 't', 's',
        0,    0,    0,    2,    0, 0,    0,    0,    0,   0,   0,   0,
        0,    0,    0,    100,  0, 0x10, 0,    0,    0,   0,   0,   2,
        0,    0,    0,    0,    0, 0,    0,    0,    0,   1,   0,   0};
    static const uint8_t produce3[] = {
        0, 5, 't', 'x', 'n', '-', '1', 0xff, 0xff, 0,    0,   0x75, 0x30, 0, 0,
        0, 1, 0,   6,   'e', 'v', 'e', 'n',  't',  's',  0,   0,    0,    2, 0,
        0, 0, 0,   0,   0,   0,   26,  0,    0,    0,    0,   0,    0,    0, 0,
        0, 0, 0,   1,   0,   0,   0,   0,    2,    1,    2,   3,    4,    5, 6,
        7, 8, 9,   0,   0,   0,   3,   0xff, 0xff, 0xff, 0xff};
    static const uint8_t av3[] = {11,  'l', 'i', 'b', 'r', 'd', 'k', 'a', 'f',
                                  'k', 'a', 6,   '2', '.', '0', '.', '2', 0};
    const struct vec_case cases[] = {
        VEC("FindCoordinator v0", 10, 0, find0),
        VEC("FindCoordinator v1", 10, 1, find1),
        VEC("Heartbeat v0", 12, 0, hb0),
        VEC("Heartbeat v3", 12, 3, hb3),
        VEC("LeaveGroup v1", 13, 1, leave1),
        VEC("Metadata v0", 3, 0, md0),
        VEC("Metadata v4", 3, 4, md4),
        VEC("ListOffsets v1", 2, 1, lo1),
        VEC("ListOffsets v2", 2, 2, lo2),
        VEC("EndTxn v1", 26, 1, end1),
        VEC("InitProducerId v0", 22, 0, ipid0),
        VEC("DescribeGroups v3", 15, 3, dg3),
        VEC("DeleteTopics v1", 20, 1, dt1),
        VEC("OffsetFetch v1", 9, 1, of1),
        VEC("OffsetCommit v2", 8, 2, oc2),
        VEC("OffsetCommit v7", 8, 7, oc7),
        VEC("Fetch v4", 1, 4, fetch4),
        VEC("Produce v3", 0, 3, produce3),
        VEC("ApiVersions v3", 18, 3, av3),
    };
    struct buf b;
    buf_init(&b);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct vec_case *c = &cases[i];
        buf_reset(&b);
        sample_request_body(&b, c->key, c->version);
        bool same = b.len == c->len && memcmp(b.data, c->want, c->len) == 0;
        if (!same) {
            fprintf(stderr, "  case %s\n", c->name);
            dump("got ", b.data, b.len);
            dump("want", c->want, c->len);
        }
        CHECK(same);
    }
    buf_fini(&b);
}

TEST(produce_response_bytes)
{
    struct kafka_record_error re[] = {{3, KAFKA_STR("no key")}};
    struct kafka_produce_partition_response pp[] = {
        {1, 0, 0x0102, -1, 7, 1, re, KAFKA_STR("bad")}};
    struct kafka_produce_topic_response pt[] = {{KAFKA_STR("t"), 1, pp}};
    struct kafka_produce_response resp = {1, pt, 9};
    struct buf b;
    buf_init(&b);
    kafka_produce_response_encode(&b, 7, &resp);
    static const uint8_t v7[] = {
        0,    0,    0,    1,    0,    1,    't',  0,    0,
        0,    1,    0,    0,    0,    1,    0,    0,    /* err */
        0,    0,    0,    0,    0,    0,    1,    2,    /* base */
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* append */
        0,    0,    0,    0,    0,    0,    0,    7,    /* start */
        0,    0,    0,    9};                           /* throttle */
    CHECK(b.len == sizeof v7 && memcmp(b.data, v7, b.len) == 0);
    buf_reset(&b);
    kafka_produce_response_encode(&b, 3, &resp);
    CHECK_EQ_INT(b.len, sizeof v7 - 8); /* no log_start_offset before v5 */
    struct arena a;
    arena_init(&a, 1024);
    for (int16_t v = 3; v <= 11; v++) {
        buf_reset(&b);
        kafka_produce_response_encode(&b, v, &resp);
        struct buf_reader r;
        buf_reader_init(&r, b.data, b.len);
        struct kafka_produce_response got;
        CHECK_EQ_INT(kafka_produce_response_decode(&r, v, &a, &got), 0);
        CHECK_EQ_INT(got.throttle_time_ms, 9);
        CHECK(got.ntopics == 1 &&
              got.topics[0].partitions[0].base_offset == 0x0102);
        const struct kafka_produce_partition_response *gp =
            &got.topics[0].partitions[0];
        if (v >= 8)
            CHECK(gp->nrecord_errors == 1 &&
                  gp->record_errors[0].batch_index == 3 &&
                  slice_eq_str(gp->record_errors[0].message, "no key") &&
                  slice_eq_str(gp->error_message, "bad"));
        else
            CHECK(gp->nrecord_errors == 0 && gp->error_message.ptr == NULL);
    }
    /* v8 appends record_errors [{3, "no key"}] and "bad" to v7's. */
    buf_reset(&b);
    kafka_produce_response_encode(&b, 8, &resp);
    static const uint8_t v8tail[] = {0,   0,   0, 1,   0,   0,   0,
                                     3,   0,   6, 'n', 'o', ' ', 'k',
                                     'e', 'y', 0, 3,   'b', 'a', 'd'};
    CHECK(b.len == sizeof v7 + sizeof v8tail &&
          memcmp(b.data + sizeof v7 - 4, v8tail, sizeof v8tail) == 0);
    arena_fini(&a);
    buf_fini(&b);
}

TEST(metadata_response_bytes_and_roundtrip)
{
    int32_t reps[] = {0};
    struct kafka_metadata_partition mp[] = {
        {0, 0, 0, 1, reps, 1, reps, -1, 0, NULL}};
    struct kafka_metadata_topic mt[] = {
        {0, KAFKA_STR("t"), false, 1, mp, {{0}}, INT32_MIN},
        {3, KAFKA_STR("nope"), false, 0, NULL, {{0}}, INT32_MIN}};
    struct kafka_metadata_broker mb[] = {
        {0, KAFKA_STR("127.0.0.1"), 9092, {NULL, 0}}};
    struct kafka_metadata_response resp = {0, 1, mb, KAFKA_STR("rill"),
                                           0, 2, mt, INT32_MIN};
    struct buf b;
    buf_init(&b);
    kafka_metadata_response_encode(&b, 1, &resp);
    static const uint8_t v1[] = {0,    0,   0,   1,    0,    0,
                                 0,    0,   0,   9,    '1',  '2',
                                 '7',  '.', '0', '.',  '0',  '.',
                                 '1',  0,   0,   0x23, 0x84, 0xff,
                                 0xff,              /* rack null */
                                 0,    0,   0,   0, /* controller */
                                 0,    0,   0,   2,    0,    0,
                                 0,    1,   't', 0,    0,    0,
                                 0,    1, /* topic t, 1 part */
                                 0,    0,   0,   0,    0,    0,
                                 0,    0,   0,   0, /* err, idx, leader */
                                 0,    0,   0,   1,    0,    0,
                                 0,    0,   0,   0,    0,    1,
                                 0,    0,   0,   0, /* replicas, isr */
                                 0,    3,   0,   4,    'n',  'o',
                                 'p',  'e', 0,   0,    0,    0,
                                 0};
    bool same = b.len == sizeof v1 && memcmp(b.data, v1, b.len) == 0;
    if (!same)
        dump("md v1", b.data, b.len);
    CHECK(same);
    struct arena a;
    arena_init(&a, 4096);
    struct buf b2;
    buf_init(&b2);
    for (int16_t v = 0; v <= 4; v++) {
        buf_reset(&b);
        buf_reset(&b2);
        kafka_metadata_response_encode(&b, v, &resp);
        struct buf_reader r;
        buf_reader_init(&r, b.data, b.len);
        struct kafka_metadata_response got;
        CHECK_EQ_INT(kafka_metadata_response_decode(&r, v, &a, &got), 0);
        CHECK_EQ_INT(buf_reader_left(&r), 0);
        kafka_metadata_response_encode(&b2, v, &got);
        CHECK(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0);
        CHECK(got.ntopics == 2 && slice_eq_str(got.topics[1].name, "nope"));
        for (size_t len = 0; len < b.len; len++) {
            buf_reader_init(&r, b.data, len);
            CHECK_EQ_INT(kafka_metadata_response_decode(&r, v, &a, &got),
                         ERR_PARSE);
        }
    }
    buf_fini(&b2);
    buf_fini(&b);
    arena_fini(&a);
}

struct splice_log {
    size_t n;
    size_t topic[4], part[4], pos[4], len[4];
};

static void on_splice(void *arg, size_t ti, size_t pi, size_t pos, size_t len)
{
    struct splice_log *l = arg;
    if (l->n < 4) {
        l->topic[l->n] = ti;
        l->part[l->n] = pi;
        l->pos[l->n] = pos;
        l->len[l->n] = len;
    }
    l->n++;
}

/* Fetch: spliced partitions leave their bytes out; inserting them at the
 * reported positions gives exactly the inline encoding. */
TEST(fetch_response_splice)
{
    static const uint8_t rec0[] = "0123456789";
    static const uint8_t rec2[] = "abcdef";
    struct kafka_fetch_aborted ab[] = {{1000, 5}};
    struct kafka_fetch_partition_response inl[3] = {
        {0, 0, 100, 100, 0, false, 0, NULL, -1, slice_make(rec0, 10), false, 0},
        {1, 1, 5, 5, 0, true, 0, NULL, -1, {NULL, 0}, false, 0},
        {2, 0, 50, 40, 3, false, 1, ab, -1, slice_make(rec2, 6), false, 0}};
    struct kafka_fetch_partition_response spl[3];
    memcpy(spl, inl, sizeof spl);
    spl[0].records = slice_make(NULL, 0);
    spl[0].records_splice = true;
    spl[0].records_splice_len = 10;
    spl[2].records = slice_make(NULL, 0);
    spl[2].records_splice = true;
    spl[2].records_splice_len = 6;
    struct kafka_fetch_topic_response ti[] = {
        {KAFKA_STR("events"), 3, inl, {{0xab, 1, 2}}}};
    struct kafka_fetch_topic_response ts[] = {
        {KAFKA_STR("events"), 3, spl, {{0xab, 1, 2}}}};
    struct kafka_fetch_response ri = {0, 0, 0, 1, ti};
    struct kafka_fetch_response rs = {0, 0, 0, 1, ts};
    CHECK_EQ_INT(kafka_fetch_response_splice_bytes(&rs), 16);
    CHECK_EQ_INT(kafka_fetch_response_splice_bytes(&ri), 0);

    struct arena a;
    arena_init(&a, 4096);
    struct buf bi, bs, joined;
    buf_init(&bi);
    buf_init(&bs);
    buf_init(&joined);
    for (int16_t v = 4; v <= 17; v++) {
        buf_reset(&bi);
        buf_reset(&bs);
        buf_reset(&joined);
        buf_put(&bs, "HDR", 3); /* the encoder appends: positions count it */
        kafka_fetch_response_encode(&bi, v, &ri, NULL, NULL);
        struct splice_log log = {0};
        kafka_fetch_response_encode(&bs, v, &rs, on_splice, &log);
        CHECK_EQ_INT(log.n, 2);
        CHECK_EQ_INT(bs.len + 16 - 3, bi.len);
        if (log.n != 2)
            continue;
        CHECK_EQ_INT(log.topic[0], 0);
        CHECK_EQ_INT(log.part[0], 0);
        CHECK_EQ_INT(log.part[1], 2);
        CHECK_EQ_INT(log.len[0], 10);
        CHECK_EQ_INT(log.len[1], 6);
        CHECK(log.pos[0] < log.pos[1] && log.pos[1] <= bs.len);
        /* Splice: buffer, file bytes, buffer, file bytes, buffer. */
        buf_put(&joined, bs.data + 3, log.pos[0] - 3);
        buf_put(&joined, rec0, 10);
        buf_put(&joined, bs.data + log.pos[0], log.pos[1] - log.pos[0]);
        buf_put(&joined, rec2, 6);
        buf_put(&joined, bs.data + log.pos[1], bs.len - log.pos[1]);
        CHECK(joined.len == bi.len &&
              memcmp(joined.data, bi.data, bi.len) == 0);
        /* The client side decodes it. */
        struct buf_reader r;
        buf_reader_init(&r, joined.data, joined.len);
        struct kafka_fetch_response got;
        CHECK_EQ_INT(kafka_fetch_response_decode(&r, v, &a, &got), 0);
        CHECK_EQ_INT(buf_reader_left(&r), 0);
        /* v13+: the topic by id, not by name. */
        CHECK(got.ntopics == 1 &&
              (v >= 13 ? got.topics[0].topic_id.b[0] == 0xab &&
                             got.topics[0].name.len == 0
                       : slice_eq_str(got.topics[0].name, "events")));
        if (got.ntopics == 1 && got.topics[0].npartitions == 3) {
            struct kafka_fetch_partition_response *p = got.topics[0].partitions;
            CHECK(p[0].records.len == 10 &&
                  memcmp(p[0].records.ptr, rec0, 10) == 0);
            CHECK(p[1].aborted_null && p[1].records.ptr == NULL);
            CHECK_EQ_INT(p[1].error_code, 1);
            CHECK_EQ_INT(p[2].naborted, 1);
            CHECK_EQ_INT(p[2].log_start_offset, v >= 5 ? 3 : -1);
            CHECK(p[2].naborted == 1 && p[2].aborted[0].producer_id == 1000);
        }
        arena_reset(&a);
    }
    /* v4 exact bytes of a small inline response. */
    struct kafka_fetch_partition_response one[] = {
        {0, 0, 7, 7, 0, true, 0, NULL, -1, KAFKA_STR("xy"), false, 0}};
    struct kafka_fetch_topic_response t1[] = {{KAFKA_STR("t"), 1, one, {{0}}}};
    struct kafka_fetch_response r1 = {5, 0, 0, 1, t1};
    buf_reset(&bi);
    kafka_fetch_response_encode(&bi, 4, &r1, NULL, NULL);
    static const uint8_t v4[] = {
        0, 0, 0, 5, 0, 0,    0,    1,    0,    1, 't', 0, 0, 0,   1,  0,
        0, 0, 0, 0, 0, 0,    0,    0,    0,    0, 0,   0, 7, 0,   0,  0,
        0, 0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff, 0, 0,   0, 2, 'x', 'y'};
    CHECK(bi.len == sizeof v4 && memcmp(bi.data, v4, bi.len) == 0);
    buf_reset(&bi);
    kafka_fetch_response_encode(&bi, 7, &r1, NULL, NULL);
    CHECK_EQ_INT(bi.len, sizeof v4 + 6 + 8); /* +error,session +log_start */
    buf_reset(&bi);
    kafka_fetch_response_encode(&bi, 11, &r1, NULL, NULL);
    CHECK_EQ_INT(bi.len, sizeof v4 + 6 + 8 + 4); /* +preferred replica */
    buf_fini(&bi);
    buf_fini(&bs);
    buf_fini(&joined);
    arena_fini(&a);
}

TEST(group_response_bytes)
{
    struct buf b;
    buf_init(&b);
    struct kafka_find_coordinator_response fc = {
        0, 0, {NULL, 0}, 0, KAFKA_STR("h"), 9092, 0, NULL};
    kafka_find_coordinator_response_encode(&b, 0, &fc);
    static const uint8_t fc0[] = {0, 0,   0, 0, 0,    0,   0,
                                  1, 'h', 0, 0, 0x23, 0x84};
    CHECK(b.len == sizeof fc0 && memcmp(b.data, fc0, b.len) == 0);
    buf_reset(&b);
    kafka_find_coordinator_response_encode(&b, 1, &fc);
    static const uint8_t fc1[] = {0, 0, 0, 0, 0,   0, 0xff, 0xff, 0,   0,
                                  0, 0, 0, 1, 'h', 0, 0,    0x23, 0x84};
    CHECK(b.len == sizeof fc1 && memcmp(b.data, fc1, b.len) == 0);

    struct kafka_join_group_member m[] = {
        {KAFKA_STR("m1"), {NULL, 0}, KAFKA_STR("\1")}};
    struct kafka_join_group_response jg = {0,
                                           0,
                                           1,
                                           KAFKA_STR("range"),
                                           KAFKA_STR("m1"),
                                           KAFKA_STR("m1"),
                                           1,
                                           m,
                                           KAFKA_STR("consumer"),
                                           false};
    buf_reset(&b);
    kafka_join_group_response_encode(&b, 5, &jg);
    static const uint8_t jg5[] = {
        0,   0,   0,   0,   0,   0,    0,    0, 0, 1,   0,   5, 'r', 'a',
        'n', 'g', 'e', 0,   2,   'm',  '1',  0, 2, 'm', '1', 0, 0,   0,
        1,   0,   2,   'm', '1', 0xff, 0xff, 0, 0, 0,   1,   1};
    CHECK(b.len == sizeof jg5 && memcmp(b.data, jg5, b.len) == 0);
    buf_reset(&b);
    kafka_join_group_response_encode(&b, 0, &jg);
    CHECK_EQ_INT(b.len, sizeof jg5 - 4 - 2);
    /* v7 puts protocol_type (nullable) before the name; v9 adds
     * skip_assignment after the leader. */
    buf_reset(&b);
    kafka_join_group_response_encode(&b, 7, &jg);
    static const uint8_t jg7_head[] = {
        0,   0,   0,   0,   0,   0,   0, 0,   0,   1,   9,   'c', 'o',
        'n', 's', 'u', 'm', 'e', 'r', 6, 'r', 'a', 'n', 'g', 'e'};
    CHECK(b.len > sizeof jg7_head &&
          memcmp(b.data, jg7_head, sizeof jg7_head) == 0);
    size_t len7 = b.len;
    buf_reset(&b);
    kafka_join_group_response_encode(&b, 9, &jg);
    CHECK_EQ_INT(b.len, len7 + 1);
    CHECK_EQ_INT(b.data[sizeof jg7_head + 3], 0); /* skip_assignment */

    struct kafka_sync_group_response sg = {
        0, 27, KAFKA_STR(""), {NULL, 0}, KAFKA_STR("range")};
    buf_reset(&b);
    kafka_sync_group_response_encode(&b, 0, &sg);
    static const uint8_t sg0[] = {0, 27, 0, 0, 0, 0};
    CHECK(b.len == sizeof sg0 && memcmp(b.data, sg0, b.len) == 0);
    buf_reset(&b);
    kafka_sync_group_response_encode(&b, 5, &sg);
    static const uint8_t sg5[] = {0,   0,   0,   0,   0,   27, 0, 6,
                                  'r', 'a', 'n', 'g', 'e', 1,  0};
    CHECK(b.len == sizeof sg5 && memcmp(b.data, sg5, b.len) == 0);

    struct kafka_error_response er = {0, 25};
    buf_reset(&b);
    kafka_heartbeat_response_encode(&b, 0, &er);
    CHECK_EQ_INT(b.len, 2);
    buf_reset(&b);
    kafka_heartbeat_response_encode(&b, 1, &er);
    CHECK_EQ_INT(b.len, 6);
    struct kafka_leave_group_response lr = {0, 25, 0, NULL};
    buf_reset(&b);
    kafka_leave_group_response_encode(&b, 1, &lr);
    CHECK_EQ_INT(b.len, 6);
    /* v3: members with their own errors; v4 flexible; v5 as v4. */
    struct kafka_leave_group_member_response lm[] = {
        {KAFKA_STR("m"), {NULL, 0}, 0}, {KAFKA_STR(""), KAFKA_STR("i"), 82}};
    lr.error_code = 0;
    lr.nmembers = 2;
    lr.members = lm;
    buf_reset(&b);
    kafka_leave_group_response_encode(&b, 3, &lr);
    static const uint8_t lg3[] = {0, 0, 0, 0, 0,   0,    0,    0,
                                  0, 2, 0, 1, 'm', 0xff, 0xff, 0,
                                  0, 0, 0, 0, 1,   'i',  0,    82};
    CHECK(b.len == sizeof lg3 && memcmp(b.data, lg3, b.len) == 0);
    buf_reset(&b);
    kafka_leave_group_response_encode(&b, 5, &lr);
    static const uint8_t lg5[] = {0, 0, 0, 0, 0, 0,   3, 2,  'm', 0,
                                  0, 0, 0, 1, 2, 'i', 0, 82, 0,   0};
    CHECK(b.len == sizeof lg5 && memcmp(b.data, lg5, b.len) == 0);
    /* FindCoordinator v4: coordinators per key, no top-level error. */
    struct kafka_find_coordinator_coord fcc[] = {
        {KAFKA_STR("g"), 7, KAFKA_STR("h"), 9092, 0, {NULL, 0}}};
    struct kafka_find_coordinator_response fc4 = {0};
    fc4.ncoordinators = 1;
    fc4.coordinators = fcc;
    buf_reset(&b);
    kafka_find_coordinator_response_encode(&b, 4, &fc4);
    static const uint8_t fcv4[] = {0, 0,   0, 0, 2,    2,    'g', 0, 0, 0, 7,
                                   2, 'h', 0, 0, 0x23, 0x84, 0,   0, 0, 0, 0};
    CHECK(b.len == sizeof fcv4 && memcmp(b.data, fcv4, b.len) == 0);
    buf_reset(&b);
    kafka_end_txn_response_encode(&b, 0, &er);
    CHECK_EQ_INT(b.len, 6);
    buf_reset(&b);
    kafka_add_offsets_to_txn_response_encode(&b, 0, &er);
    CHECK_EQ_INT(b.len, 6);

    struct kafka_partition_error pe[] = {{0, 0}, {1, 3}};
    struct kafka_topic_errors te[] = {{KAFKA_STR("t"), 2, pe}};
    struct kafka_offset_commit_response oc = {0, 1, te};
    buf_reset(&b);
    kafka_offset_commit_response_encode(&b, 2, &oc);
    static const uint8_t oc2[] = {0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 2, 0,
                                  0, 0, 0, 0, 0, 0, 0,   0, 1, 0, 3};
    CHECK(b.len == sizeof oc2 && memcmp(b.data, oc2, b.len) == 0);
    buf_reset(&b);
    kafka_offset_commit_response_encode(&b, 3, &oc);
    CHECK_EQ_INT(b.len, sizeof oc2 + 4);
    struct kafka_txn_offset_commit_response toc = {0, 1, te};
    buf_reset(&b);
    kafka_txn_offset_commit_response_encode(&b, 0, &toc);
    CHECK_EQ_INT(b.len, sizeof oc2 + 4);
    struct kafka_add_partitions_to_txn_response apt = {0, 1, te};
    buf_reset(&b);
    kafka_add_partitions_to_txn_response_encode(&b, 0, &apt);
    CHECK_EQ_INT(b.len, sizeof oc2 + 4);

    struct kafka_init_producer_id_response ip = {0, 0, 1000, 0};
    buf_reset(&b);
    kafka_init_producer_id_response_encode(&b, 1, &ip);
    static const uint8_t ip1[] = {0, 0, 0, 0, 0,    0,    0, 0,
                                  0, 0, 0, 0, 0x03, 0xe8, 0, 0};
    CHECK(b.len == sizeof ip1 && memcmp(b.data, ip1, b.len) == 0);

    struct kafka_create_topics_topic_response ct[] = {
        {KAFKA_STR("a"), 36, KAFKA_STR("exists"), -1, -1, {{0}}}};
    struct kafka_create_topics_response cr = {0, 1, ct};
    buf_reset(&b);
    kafka_create_topics_response_encode(&b, 0, &cr);
    static const uint8_t ct0[] = {0, 0, 0, 1, 0, 1, 'a', 0, 36};
    CHECK(b.len == sizeof ct0 && memcmp(b.data, ct0, b.len) == 0);
    buf_reset(&b);
    kafka_create_topics_response_encode(&b, 4, &cr);
    CHECK_EQ_INT(b.len, sizeof ct0 + 4 + 8);
    /* v7 carries the topic id after the name. */
    ct[0].topic_id.b[0] = 0x5a;
    buf_reset(&b);
    kafka_create_topics_response_encode(&b, 7, &cr);
    static const uint8_t ct7[] = {0,    0,    0,    0,    2,    2,
                                  'a', /* throttle, name */
                                  0x5a, 0,    0,    0,    0,    0,
                                  0,    0,    0,    0,    0,    0,
                                  0,    0,    0,    0, /* id */
                                  0,    36,   7,    'e',  'x',  'i',
                                  's',  't',  's', /* error, msg */
                                  0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                  0,    0,    0}; /* -1, -1, null, tags */
    CHECK(b.len == sizeof ct7 && memcmp(b.data, ct7, b.len) == 0);
    struct kafka_delete_topics_topic_response dt[] = {
        {KAFKA_STR("a"), 3, {NULL, 0}, {{0}}}};
    struct kafka_delete_topics_response dr = {0, 1, dt};
    buf_reset(&b);
    kafka_delete_topics_response_encode(&b, 1, &dr);
    CHECK_EQ_INT(b.len, 4 + 4 + 3 + 2);
    /* v6: the name nullable, then the id. */
    dt[0].name = slice_make(NULL, 0);
    dt[0].topic_id.b[15] = 9;
    dt[0].error_code = 100;
    buf_reset(&b);
    kafka_delete_topics_response_encode(&b, 6, &dr);
    static const uint8_t dt6[] = {0, 0, 0, 0, 2, 0, 0, 0, 0, 0,   0, 0, 0, 0,
                                  0, 0, 0, 0, 0, 0, 0, 9, 0, 100, 0, 0, 0};
    CHECK(b.len == sizeof dt6 && memcmp(b.data, dt6, b.len) == 0);
    buf_fini(&b);
}

TEST(client_side_roundtrips)
{
    struct arena a;
    arena_init(&a, 4096);
    struct buf b, b2;
    buf_init(&b);
    buf_init(&b2);
    struct buf_reader r;

    struct kafka_offset_fetch_partition_response op[] = {
        {0, 42, 3, KAFKA_STR("meta"), 0}, {1, -1, -1, KAFKA_STR(""), 0}};
    struct kafka_offset_fetch_topic_response ot[] = {
        {KAFKA_STR("events"), 2, op}};
    struct kafka_offset_fetch_response of = {0, 1, ot, 0, 0, NULL};
    for (int16_t v = 1; v <= 5; v++) {
        buf_reset(&b);
        buf_reset(&b2);
        kafka_offset_fetch_response_encode(&b, v, &of);
        buf_reader_init(&r, b.data, b.len);
        struct kafka_offset_fetch_response got;
        CHECK_EQ_INT(kafka_offset_fetch_response_decode(&r, v, &a, &got), 0);
        CHECK_EQ_INT(buf_reader_left(&r), 0);
        kafka_offset_fetch_response_encode(&b2, v, &got);
        CHECK(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0);
        CHECK(got.ntopics == 1 &&
              got.topics[0].partitions[0].committed_offset == 42);
    }
    /* v8-9: one answer per group, each with its own error. */
    struct kafka_offset_fetch_group_response ogr[] = {
        {KAFKA_STR("g1"), 1, ot, 0}, {KAFKA_STR("g2"), 0, NULL, 69}};
    struct kafka_offset_fetch_response of8 = {0, 0, NULL, 0, 2, ogr};
    for (int16_t v = 8; v <= 9; v++) {
        buf_reset(&b);
        buf_reset(&b2);
        kafka_offset_fetch_response_encode(&b, v, &of8);
        buf_reader_init(&r, b.data, b.len);
        struct kafka_offset_fetch_response got;
        CHECK_EQ_INT(kafka_offset_fetch_response_decode(&r, v, &a, &got), 0);
        CHECK_EQ_INT(buf_reader_left(&r), 0);
        kafka_offset_fetch_response_encode(&b2, v, &got);
        CHECK(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0);
        CHECK(got.ngroups == 2 && got.groups[0].ntopics == 1 &&
              got.groups[0].topics[0].partitions[0].committed_leader_epoch ==
                  3 &&
              got.groups[1].error_code == 69);
    }

    struct kafka_list_offsets_partition_response lp[] = {{0, 0, -1, 17, 4},
                                                         {1, 3, -1, -1, -1}};
    struct kafka_list_offsets_topic_response lt[] = {{KAFKA_STR("t"), 2, lp}};
    struct kafka_list_offsets_response lo = {0, 1, lt};
    for (int16_t v = 1; v <= 6; v++) {
        buf_reset(&b);
        buf_reset(&b2);
        kafka_list_offsets_response_encode(&b, v, &lo);
        buf_reader_init(&r, b.data, b.len);
        struct kafka_list_offsets_response got;
        CHECK_EQ_INT(kafka_list_offsets_response_decode(&r, v, &a, &got), 0);
        kafka_list_offsets_response_encode(&b2, v, &got);
        CHECK(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0);
        CHECK(got.ntopics == 1 && got.topics[0].partitions[0].offset == 17);
        CHECK_EQ_INT(got.topics[0].partitions[0].leader_epoch, v >= 4 ? 4 : -1);
    }
    buf_reset(&b);
    kafka_list_offsets_response_encode(&b, 1, &lo);
    static const uint8_t lo1[] = {
        0,    0,    0,    1,    0,    1,    't',  0,    0,    0,    2,
        0,    0,    0,    0,    0,    0,    0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0,    0,    0,    0,    0,    0,    0,    17,
        0,    0,    0,    1,    0,    3,    0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    CHECK(b.len == sizeof lo1 && memcmp(b.data, lo1, b.len) == 0);

    struct kafka_list_groups_group lg[] = {
        {KAFKA_STR("g1"), KAFKA_STR("consumer"), KAFKA_STR("Stable"),
         KAFKA_STR("classic")}};
    struct kafka_list_groups_response lgr = {0, 0, 1, lg};
    for (int16_t v = 0; v <= 5; v++) {
        buf_reset(&b);
        buf_reset(&b2);
        kafka_list_groups_response_encode(&b, v, &lgr);
        buf_reader_init(&r, b.data, b.len);
        struct kafka_list_groups_response got;
        CHECK_EQ_INT(kafka_list_groups_response_decode(&r, v, &a, &got), 0);
        kafka_list_groups_response_encode(&b2, v, &got);
        CHECK(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0);
        CHECK(got.ngroups == 1 && slice_eq_str(got.groups[0].group_id, "g1"));
        if (v >= 5)
            CHECK(slice_eq_str(got.groups[0].group_state, "Stable") &&
                  slice_eq_str(got.groups[0].group_type, "classic"));
    }
    buf_reset(&b);
    kafka_list_groups_response_encode(&b, 0, &lgr);
    static const uint8_t lg0[] = {0, 0, 0,   0,   0,   1,   0,   2,   'g', '1',
                                  0, 8, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r'};
    CHECK(b.len == sizeof lg0 && memcmp(b.data, lg0, b.len) == 0);

    struct kafka_describe_groups_member dm[] = {
        {KAFKA_STR("m1"), KAFKA_STR("inst"), KAFKA_STR("rdkafka"),
         KAFKA_STR("/127.0.0.1"), KAFKA_STR("\0\1"), KAFKA_STR("\0\1\0")}};
    struct kafka_describe_groups_group dg[] = {
        {0, KAFKA_STR("g1"), KAFKA_STR("Stable"), KAFKA_STR("consumer"),
         KAFKA_STR("range"), 1, dm, 0},
        {69, KAFKA_STR("g2"), KAFKA_STR("Dead"), KAFKA_STR(""), KAFKA_STR(""),
         0, NULL, 0}};
    struct kafka_describe_groups_response dgr = {0, 2, dg};
    for (int16_t v = 0; v <= 4; v++) {
        buf_reset(&b);
        buf_reset(&b2);
        kafka_describe_groups_response_encode(&b, v, &dgr);
        buf_reader_init(&r, b.data, b.len);
        struct kafka_describe_groups_response got;
        CHECK_EQ_INT(kafka_describe_groups_response_decode(&r, v, &a, &got), 0);
        CHECK_EQ_INT(buf_reader_left(&r), 0);
        kafka_describe_groups_response_encode(&b2, v, &got);
        CHECK(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0);
        CHECK(got.ngroups == 2 && got.groups[0].nmembers == 1 &&
              slice_eq_str(got.groups[0].members[0].client_id, "rdkafka"));
        for (size_t len = 0; len < b.len; len++) {
            buf_reader_init(&r, b.data, len);
            CHECK_EQ_INT(kafka_describe_groups_response_decode(&r, v, &a, &got),
                         ERR_PARSE);
        }
    }
    buf_fini(&b);
    buf_fini(&b2);
    arena_fini(&a);
}

/* Counts near 2^31 with a few bytes behind them are rejected before any
 * allocation: the arena stays untouched. */
TEST(huge_counts_rejected)
{
    struct arena a;
    arena_init(&a, 4096);
    static const uint8_t produce[] = {0xff, 0xff, 0,    1,    0, 0, 0,  0,
                                      0x7f, 0xff, 0xff, 0xff, 0, 1, 't'};
    struct buf_reader r;
    buf_reader_init(&r, produce, sizeof produce);
    struct kafka_produce_request pr;
    CHECK_EQ_INT(kafka_produce_request_decode(&r, 3, &a, &pr), ERR_PARSE);
    CHECK_EQ_INT(a.used_total, 0);
    /* Topic count 1 but partition count 2^31-1. */
    static const uint8_t produce2[] = {0xff, 0xff, 0,    1, 0, 0, 0,   0,
                                       0,    0,    0,    1, 0, 1, 't', 0x7f,
                                       0xff, 0xff, 0xff, 0, 0, 0, 0};
    buf_reader_init(&r, produce2, sizeof produce2);
    CHECK_EQ_INT(kafka_produce_request_decode(&r, 3, &a, &pr), ERR_PARSE);
    CHECK(a.used_total < 256);
    arena_reset(&a);
    static const uint8_t md[] = {0x40, 0, 0, 0, 0, 1, 'x'};
    buf_reader_init(&r, md, sizeof md);
    struct kafka_metadata_request mr;
    CHECK_EQ_INT(kafka_metadata_request_decode(&r, 1, &a, &mr), ERR_PARSE);
    CHECK_EQ_INT(a.used_total, 0);
    /* Records claiming 2 GB. */
    static const uint8_t produce3[] = {
        0xff, 0xff, 0, 1, 0, 0, 0, 0, 0,    0,    0,    1,    0, 1, 't',
        0,    0,    0, 1, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 1, 2};
    buf_reader_init(&r, produce3, sizeof produce3);
    CHECK_EQ_INT(kafka_produce_request_decode(&r, 3, &a, &pr), ERR_PARSE);
    arena_fini(&a);
}

/* Writes the seed corpus when RILL_KAFKA_CORPUS names a directory. */
static void write_corpus(const char *dir)
{
    size_t n;
    const struct kafka_api_range *t = kafka_api_table(&n);
    struct buf b;
    buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        for (int16_t v = t[i].min_version; v <= t[i].max_version; v++) {
            buf_reset(&b);
            sample_request(&b, t[i].api_key, v, 7);
            char path[512];
            snprintf(path, sizeof path, "%s/%s_v%d", dir,
                     kafka_api_name(t[i].api_key), v);
            FILE *f = fopen(path, "wb");
            if (!f) {
                perror(path);
                continue;
            }
            fwrite(b.data, 1, b.len, f);
            fclose(f);
        }
    }
    buf_fini(&b);
}

int main(void)
{
    const char *dir = getenv("RILL_KAFKA_CORPUS");
    if (dir && *dir)
        write_corpus(dir);
    RUN(roundtrip_every_request);
    RUN(truncations_fail_cleanly);
    RUN(unsupported_versions);
    RUN(request_vectors);
    RUN(produce_response_bytes);
    RUN(metadata_response_bytes_and_roundtrip);
    RUN(fetch_response_splice);
    RUN(group_response_bytes);
    RUN(client_side_roundtrips);
    RUN(huge_counts_rejected);
    return harness_summary("test_kafka_codec");
}
