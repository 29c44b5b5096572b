/* test_kafka_api.c - the version table, request/response headers, framing,
 * ApiVersions (v0-4, flexible v3+, the unsupported-version answer) and
 * request bytes captured from the real Debian clients (kcat / librdkafka
 * 2.0.2 and kafka-python 2.0.2) against a fake broker on loopback
 * (layer: kafka, unit test).
 */
#include "../../harness.h"

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "kafka/kafka_proto.h"
#include "captured_frames.h"

/* Request payloads (frame minus the size prefix), captured with a Python
 * fake broker: kcat -L, kcat -P -X client.id=rillcap, and a kafka-python
 * KafkaConsumer probing the broker. */
static const uint8_t kcat_api_versions_v3[] = {
    0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x72, 0x64,
    0x6b, 0x61, 0x66, 0x6b, 0x61, 0x00, 0x0b, 0x6c, 0x69, 0x62, 0x72, 0x64,
    0x6b, 0x61, 0x66, 0x6b, 0x61, 0x06, 0x32, 0x2e, 0x30, 0x2e, 0x32, 0x00,
};

static const uint8_t kcat_api_versions_v0[] = {
    0x00, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
    0x07, 0x72, 0x64, 0x6b, 0x61, 0x66, 0x6b, 0x61,
};

static const uint8_t kcat_metadata_v4_brokers[] = {
    0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03, 0x00, 0x07, 0x72,
    0x64, 0x6b, 0x61, 0x66, 0x6b, 0x61, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t kcat_metadata_v4_topic[] = {
    0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03, 0x00,
    0x07, 0x72, 0x69, 0x6c, 0x6c, 0x63, 0x61, 0x70, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x03, 0x63, 0x61, 0x70, 0x01,
};

static const uint8_t kcat_produce_v7[] = {
    0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x04, 0x00, 0x07, 0x72, 0x69,
    0x6c, 0x6c, 0x63, 0x61, 0x70, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x75,
    0x30, 0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 0x63, 0x61, 0x70, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x49, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3d, 0x00, 0x00,
    0x00, 0x00, 0x02, 0x5c, 0x03, 0x4e, 0x5a, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0xa2, 0x0c, 0x96, 0x03, 0x54, 0x00, 0x00, 0x01,
    0xa2, 0x0c, 0x96, 0x03, 0x54, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x16,
    0x00, 0x00, 0x00, 0x01, 0x0a, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
};

static const uint8_t kpy_api_versions_v0[] = {
    0x00, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x12,
    0x6b, 0x61, 0x66, 0x6b, 0x61, 0x2d, 0x70, 0x79, 0x74, 0x68,
    0x6f, 0x6e, 0x2d, 0x32, 0x2e, 0x30, 0x2e, 0x32,
};

static const uint8_t kpy_metadata_v0[] = {
    0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x12, 0x6b,
    0x61, 0x66, 0x6b, 0x61, 0x2d, 0x70, 0x79, 0x74, 0x68, 0x6f, 0x6e,
    0x2d, 0x32, 0x2e, 0x30, 0x2e, 0x32, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t kpy_metadata_v1[] = {
    0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x12, 0x6b,
    0x61, 0x66, 0x6b, 0x61, 0x2d, 0x70, 0x79, 0x74, 0x68, 0x6f, 0x6e,
    0x2d, 0x32, 0x2e, 0x30, 0x2e, 0x32, 0xff, 0xff, 0xff, 0xff,
};

#define BYTES_EQ(b, arr)                                                       \
    ((b)->len == sizeof(arr) && memcmp((b)->data, (arr), sizeof(arr)) == 0)

static void dump(const char *what, const struct buf *b)
{
    fprintf(stderr, "  %s (%zu):", what, b->len);
    for (size_t i = 0; i < b->len; i++)
        fprintf(stderr, " %02x", b->data[i]);
    fprintf(stderr, "\n");
}

TEST(table_matches_reference)
{
    size_t n;
    const struct kafka_api_range *t = kafka_api_table(&n);
    CHECK_EQ_INT(n, 58);
    /* The traps of the reference: minimums that gate librdkafka features
     * and kafka-python's version inference. */
    CHECK(kafka_api_supported(KAFKA_API_PRODUCE, 3));
    CHECK(!kafka_api_supported(KAFKA_API_PRODUCE, 2));
    CHECK(kafka_api_supported(KAFKA_API_PRODUCE, 7));
    CHECK(kafka_api_supported(KAFKA_API_PRODUCE, 11));
    CHECK(!kafka_api_supported(KAFKA_API_PRODUCE, 12));
    CHECK(kafka_api_supported(KAFKA_API_FETCH, 4));
    CHECK(!kafka_api_supported(KAFKA_API_FETCH, 3));
    CHECK(kafka_api_supported(KAFKA_API_FETCH, 11));
    CHECK(kafka_api_supported(KAFKA_API_FETCH, 12));
    CHECK(!kafka_api_supported(KAFKA_API_FETCH, 18));
    CHECK(kafka_api_supported(KAFKA_API_FIND_COORDINATOR, 0));
    CHECK(kafka_api_supported(KAFKA_API_METADATA, 4));
    CHECK(kafka_api_supported(KAFKA_API_METADATA, 12));
    CHECK(!kafka_api_supported(KAFKA_API_METADATA, 13));
    CHECK(kafka_api_supported(KAFKA_API_OFFSET_COMMIT, 0));
    CHECK(kafka_api_supported(KAFKA_API_API_VERSIONS, 3));
    CHECK(kafka_api_supported(KAFKA_API_API_VERSIONS, 4));
    CHECK(!kafka_api_supported(KAFKA_API_API_VERSIONS, 5));
    CHECK(kafka_api_supported(KAFKA_API_INIT_PRODUCER_ID, 0));
    CHECK(kafka_api_supported(17, 0)); /* SaslHandshake */
    CHECK(!kafka_api_supported(17, 2));
    CHECK(!kafka_api_supported(27, 0));
    CHECK(!kafka_api_supported(-1, 0));
    CHECK(kafka_api_supported(KAFKA_API_LIST_GROUPS, 3));
    CHECK(kafka_api_supported(KAFKA_API_LIST_GROUPS, 5));
    CHECK(!kafka_api_supported(KAFKA_API_LIST_GROUPS, 6));
    /* Sorted and sane; flexibility as Kafka 3.9 has it. */
    for (size_t i = 0; i < n; i++) {
        if (i)
            CHECK(t[i - 1].api_key < t[i].api_key);
        CHECK(t[i].min_version <= t[i].max_version);
        CHECK(strcmp(kafka_api_name(t[i].api_key), "Unknown") != 0);
    }
    CHECK(kafka_api_flexible(KAFKA_API_FETCH, 12));
    CHECK(!kafka_api_flexible(KAFKA_API_METADATA, 8));
    CHECK(kafka_api_flexible(KAFKA_API_METADATA, 9));
    CHECK(kafka_api_flexible(KAFKA_API_API_VERSIONS, 3));
    CHECK(!kafka_api_flexible(KAFKA_API_API_VERSIONS, 2));
    CHECK(!kafka_api_flexible(17, 1)); /* SaslHandshake: never */
    CHECK(!kafka_api_flexible(47, 0)); /* OffsetDelete: never */
    CHECK(kafka_api_flexible(60, 0));  /* DescribeCluster: always */
    CHECK(kafka_api_flexible(87, 0));  /* the last key of Kafka 3.9 */
    CHECK(kafka_api_flexible(KAFKA_API_OFFSET_FETCH, 6));
    CHECK(!kafka_api_flexible(KAFKA_API_DESCRIBE_GROUPS, 4));
    CHECK(!kafka_api_flexible(99, 50));
    CHECK_EQ_STR(kafka_error_name(KAFKA_ERR_UNSUPPORTED_VERSION),
                 "UNSUPPORTED_VERSION");
    CHECK_EQ_STR(kafka_error_name(3), "UNKNOWN_TOPIC_OR_PARTITION");
    CHECK_EQ_STR(kafka_error_name(1234), "UNKNOWN");
}

struct header_case {
    const char *name;
    const uint8_t *in;
    size_t len;
    int rc;
    int16_t key, version;
    int32_t corr;
    const char *client_id; /* NULL: null client id */
    bool flexible;
    size_t body_at; /* where the body starts */
};

TEST(request_header_table)
{
    static const uint8_t v1_null[] = {0, 3, 0, 1, 0, 0, 0, 9, 0xff, 0xff};
    static const uint8_t v2_tags[] = {0, 18, 0,   3, 0, 0, 0, 1,
                                      0, 1,  'x', 1, 0, 1, 7, 0xaa};
    static const uint8_t v2_bad_tag[] = {0, 18, 0,   3, 0, 0, 0, 1,
                                         0, 1,  'x', 1, 0, 9, 7};
    static const uint8_t short_id[] = {0, 3, 0, 1, 0, 0, 0, 9, 0, 5, 'a'};
    static const uint8_t unknown[] = {0, 99, 0, 9, 0, 0, 0, 2, 0, 0};
    static const uint8_t future_av[] = {0, 18, 0, 9, 0, 0, 0, 5, 0, 0, 0};
    const struct header_case cases[] = {
        {"kcat ApiVersions v3", kcat_api_versions_v3,
         sizeof kcat_api_versions_v3, 0, 18, 3, 1, "rdkafka", true, 18},
        {"kcat ApiVersions v0", kcat_api_versions_v0,
         sizeof kcat_api_versions_v0, 0, 18, 0, 2, "rdkafka", false, 17},
        {"kafka-python Metadata v0", kpy_metadata_v0, sizeof kpy_metadata_v0, 0,
         3, 0, 2, "kafka-python-2.0.2", false, 28},
        {"null client id", v1_null, sizeof v1_null, 0, 3, 1, 9, NULL, false,
         10},
        {"v2 with a tag", v2_tags, sizeof v2_tags, 0, 18, 3, 1, "x", true, 15},
        {"v2 tag overruns", v2_bad_tag, sizeof v2_bad_tag, ERR_PARSE, 0, 0, 0,
         NULL, false, 0},
        {"client id overruns", short_id, sizeof short_id, ERR_PARSE, 0, 0, 0,
         NULL, false, 0},
        {"unknown key decodes", unknown, sizeof unknown, 0, 99, 9, 2, "", false,
         10},
        {"ApiVersions v9 is flexible", future_av, sizeof future_av, 0, 18, 9, 5,
         "", true, 11},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct header_case *c = &cases[i];
        struct buf_reader r;
        buf_reader_init(&r, c->in, c->len);
        struct kafka_request_header h;
        int rc = kafka_request_header_decode(&r, &h);
        if (rc != c->rc)
            fprintf(stderr, "  case %s\n", c->name);
        CHECK_EQ_INT(rc, c->rc);
        if (rc || c->rc)
            continue;
        CHECK_EQ_INT(h.api_key, c->key);
        CHECK_EQ_INT(h.api_version, c->version);
        CHECK_EQ_INT(h.correlation_id, c->corr);
        CHECK(h.flexible == c->flexible);
        if (c->client_id)
            CHECK(h.client_id.ptr && slice_eq_str(h.client_id, c->client_id));
        else
            CHECK(h.client_id.ptr == NULL);
        CHECK_EQ_INT(c->len - buf_reader_left(&r), c->body_at);
    }
    /* Every truncation of a valid header fails. */
    for (size_t n = 0; n < 18; n++) {
        struct buf_reader r;
        buf_reader_init(&r, kcat_api_versions_v3, n);
        struct kafka_request_header h;
        CHECK_EQ_INT(kafka_request_header_decode(&r, &h), ERR_PARSE);
    }
}

TEST(header_encode_roundtrip)
{
    struct buf b;
    buf_init(&b);
    struct kafka_request_header h = {KAFKA_API_API_VERSIONS, 3, 1,
                                     KAFKA_STR("rdkafka"), false};
    kafka_request_header_encode(&b, &h);
    struct kafka_api_versions_request av = {KAFKA_STR("librdkafka"),
                                            KAFKA_STR("2.0.2")};
    kafka_api_versions_request_encode(&b, 3, &av);
    /* Byte for byte what kcat sends. */
    CHECK(BYTES_EQ(&b, kcat_api_versions_v3));

    buf_reset(&b);
    kafka_response_header_encode(&b, KAFKA_API_API_VERSIONS, 3, 0x01020304);
    static const uint8_t v0[] = {1, 2, 3, 4};
    CHECK(BYTES_EQ(&b, v0)); /* ApiVersions: always header v0 */
    buf_reset(&b);
    kafka_response_header_encode(&b, KAFKA_API_METADATA, 4, 0x01020304);
    CHECK(BYTES_EQ(&b, v0));
    buf_reset(&b);
    kafka_response_header_encode(&b, KAFKA_API_FIND_COORDINATOR, 3, 0x01020304);
    static const uint8_t v1[] = {1, 2, 3, 4, 0};
    CHECK(BYTES_EQ(&b, v1));
    struct buf_reader r;
    buf_reader_init(&r, b.data, b.len);
    int32_t corr = 0;
    CHECK_EQ_INT(
        kafka_response_header_decode(&r, KAFKA_API_FIND_COORDINATOR, 3, &corr),
        0);
    CHECK_EQ_INT(corr, 0x01020304);
    CHECK_EQ_INT(buf_reader_left(&r), 0);

    buf_reset(&b);
    size_t start = kafka_frame_begin(&b);
    buf_put_i16(&b, 7);
    kafka_frame_end(&b, start);
    static const uint8_t fr[] = {0, 0, 0, 2, 0, 7};
    CHECK(BYTES_EQ(&b, fr));
    buf_fini(&b);
}

TEST(api_versions_requests)
{
    struct arena a;
    arena_init(&a, 4096);
    struct buf_reader r;
    struct kafka_request_header h;
    struct kafka_api_versions_request req;

    buf_reader_init(&r, kcat_api_versions_v3, sizeof kcat_api_versions_v3);
    CHECK_EQ_INT(kafka_request_header_decode(&r, &h), 0);
    CHECK_EQ_INT(kafka_api_versions_request_decode(&r, h.api_version, &a, &req),
                 0);
    CHECK(slice_eq_str(req.client_software_name, "librdkafka"));
    CHECK(slice_eq_str(req.client_software_version, "2.0.2"));
    CHECK_EQ_INT(buf_reader_left(&r), 0);

    buf_reader_init(&r, kpy_api_versions_v0, sizeof kpy_api_versions_v0);
    CHECK_EQ_INT(kafka_request_header_decode(&r, &h), 0);
    CHECK(slice_eq_str(h.client_id, "kafka-python-2.0.2"));
    CHECK_EQ_INT(kafka_api_versions_request_decode(&r, h.api_version, &a, &req),
                 0);
    CHECK(req.client_software_name.ptr == NULL);

    /* Truncated v3 bodies fail. */
    for (size_t n = 18; n < sizeof kcat_api_versions_v3; n++) {
        buf_reader_init(&r, kcat_api_versions_v3 + 18, n - 18);
        CHECK_EQ_INT(kafka_api_versions_request_decode(&r, 3, &a, &req),
                     ERR_PARSE);
    }
    /* Unsupported version. */
    buf_reader_init(&r, NULL, 0);
    CHECK_EQ_INT(kafka_api_versions_request_decode(&r, 5, &a, &req),
                 ERR_UNSUPPORTED);
    arena_fini(&a);
}

TEST(api_versions_responses)
{
    static const struct kafka_api_range two[] = {{0, 3, 7}, {18, 0, 3}};
    struct kafka_api_versions_response resp = {0, 2, two, 0x11, 0, NULL, 0};
    struct buf b;
    buf_init(&b);

    kafka_api_versions_response_encode(&b, 3, &resp);
    static const uint8_t v3[] = {
        0, 0,                    /* error_code */
        3,                       /* compact array: 2 entries */
        0, 0,  0, 3,    0, 7, 0, /* Produce 3-7, tags */
        0, 18, 0, 0,    0, 3, 0, /* ApiVersions 0-3, tags */
        0, 0,  0, 0x11,          /* throttle_time_ms */
        0,                       /* tags */
    };
    if (!BYTES_EQ(&b, v3))
        dump("v3", &b);
    CHECK(BYTES_EQ(&b, v3));

    buf_reset(&b);
    kafka_api_versions_response_encode(&b, 0, &resp);
    static const uint8_t v0[] = {0, 0, 0, 0, 0,  2, 0, 0, 0,
                                 3, 0, 7, 0, 18, 0, 0, 0, 3};
    CHECK(BYTES_EQ(&b, v0));

    buf_reset(&b);
    kafka_api_versions_response_encode(&b, 2, &resp);
    static const uint8_t v2[] = {0, 0, 0,  0, 0, 2, 0, 0, 0, 3, 0,
                                 7, 0, 18, 0, 0, 0, 3, 0, 0, 0, 0x11};
    CHECK(BYTES_EQ(&b, v2));

    buf_reset(&b);
    kafka_api_versions_unsupported_encode(&b);
    static const uint8_t unsup[] = {0, 35, 0, 0, 0, 1, 0, 18, 0, 0, 0, 4};
    CHECK(BYTES_EQ(&b, unsup));

    /* The client side reads all of them back, including the v0-layout
     * error answer to a v3 request. */
    struct arena a;
    arena_init(&a, 4096);
    for (int16_t v = 0; v <= 4; v++) {
        buf_reset(&b);
        size_t n;
        const struct kafka_api_range *t = kafka_api_table(&n);
        struct kafka_api_versions_response full = {0, n, t, 5, 0, NULL, 0};
        kafka_api_versions_response_encode(&b, v, &full);
        struct buf_reader r;
        buf_reader_init(&r, b.data, b.len);
        struct kafka_api_versions_response got;
        CHECK_EQ_INT(kafka_api_versions_response_decode(&r, v, &a, &got), 0);
        CHECK_EQ_INT(got.napis, n);
        CHECK_EQ_INT(buf_reader_left(&r), 0);
        for (size_t i = 0; i < n && i < got.napis; i++) {
            CHECK_EQ_INT(got.apis[i].api_key, t[i].api_key);
            CHECK_EQ_INT(got.apis[i].max_version, t[i].max_version);
        }
        CHECK_EQ_INT(got.throttle_time_ms, v >= 1 ? 5 : 0);
    }
    struct buf_reader r;
    buf_reader_init(&r, unsup, sizeof unsup);
    struct kafka_api_versions_response got;
    CHECK_EQ_INT(kafka_api_versions_response_decode(&r, 3, &a, &got), 0);
    CHECK_EQ_INT(got.error_code, 35);
    CHECK_EQ_INT(got.napis, 1);
    arena_fini(&a);
    buf_fini(&b);
}

TEST(captured_metadata_and_produce)
{
    struct arena a;
    arena_init(&a, 4096);
    struct buf_reader r;
    struct kafka_request_header h;

    struct kafka_metadata_request md;
    buf_reader_init(&r, kcat_metadata_v4_brokers,
                    sizeof kcat_metadata_v4_brokers);
    CHECK_EQ_INT(kafka_request_header_decode(&r, &h), 0);
    CHECK_EQ_INT(h.api_version, 4);
    CHECK_EQ_INT(kafka_metadata_request_decode(&r, 4, &a, &md), 0);
    CHECK(!md.topics_null);
    CHECK_EQ_INT(md.ntopics, 0); /* brokers only */
    CHECK(!md.allow_auto_topic_creation);

    buf_reader_init(&r, kcat_metadata_v4_topic, sizeof kcat_metadata_v4_topic);
    CHECK_EQ_INT(kafka_request_header_decode(&r, &h), 0);
    CHECK(slice_eq_str(h.client_id, "rillcap"));
    CHECK_EQ_INT(kafka_metadata_request_decode(&r, 4, &a, &md), 0);
    CHECK_EQ_INT(md.ntopics, 1);
    CHECK(md.ntopics == 1 && slice_eq_str(md.topics[0], "cap"));
    CHECK(md.allow_auto_topic_creation);

    buf_reader_init(&r, kpy_metadata_v0, sizeof kpy_metadata_v0);
    CHECK_EQ_INT(kafka_request_header_decode(&r, &h), 0);
    CHECK_EQ_INT(kafka_metadata_request_decode(&r, 0, &a, &md), 0);
    CHECK_EQ_INT(md.ntopics, 0); /* v0: empty = all topics */
    CHECK(md.allow_auto_topic_creation);

    buf_reader_init(&r, kpy_metadata_v1, sizeof kpy_metadata_v1);
    CHECK_EQ_INT(kafka_request_header_decode(&r, &h), 0);
    CHECK_EQ_INT(h.api_version, 1);
    CHECK_EQ_INT(kafka_metadata_request_decode(&r, 1, &a, &md), 0);

    struct kafka_produce_request pr;
    buf_reader_init(&r, kcat_produce_v7, sizeof kcat_produce_v7);
    CHECK_EQ_INT(kafka_request_header_decode(&r, &h), 0);
    CHECK_EQ_INT(h.api_key, KAFKA_API_PRODUCE);
    CHECK_EQ_INT(h.api_version, 7);
    CHECK_EQ_INT(kafka_produce_request_decode(&r, 7, &a, &pr), 0);
    CHECK(pr.transactional_id.ptr == NULL);
    CHECK_EQ_INT(pr.acks, -1);
    CHECK_EQ_INT(pr.timeout_ms, 30000);
    CHECK_EQ_INT(pr.ntopics, 1);
    if (pr.ntopics == 1) {
        CHECK(slice_eq_str(pr.topics[0].name, "cap"));
        CHECK_EQ_INT(pr.topics[0].npartitions, 1);
        struct slice rec = pr.topics[0].partitions[0].records;
        CHECK_EQ_INT(rec.len, 73);
        /* RecordBatch v2: magic byte at offset 16. */
        CHECK(rec.len > 16 && rec.ptr[16] == 2);
        CHECK(rec.ptr + rec.len == kcat_produce_v7 + sizeof kcat_produce_v7);
    }
    /* Every truncation of the captured produce body fails cleanly. */
    size_t body = 17;
    for (size_t n = body; n < sizeof kcat_produce_v7; n++) {
        buf_reader_init(&r, kcat_produce_v7 + body, n - body);
        CHECK_EQ_INT(kafka_produce_request_decode(&r, 7, &a, &pr), ERR_PARSE);
    }
    arena_fini(&a);
}

/* Every frame the real clients sent through rill serve decodes (header and
 * body, nothing left over), and re-encoding the decoded struct gives the
 * client's exact bytes back: our encoders are the clients' encoders. */
TEST(captured_client_frames)
{
    struct arena a;
    arena_init(&a, 8192);
    struct buf b;
    buf_init(&b);
    size_t n = sizeof captured_frames / sizeof captured_frames[0];
    CHECK(n >= 40);
    int apis_seen[32] = {0};
    for (size_t i = 0; i < n; i++) {
        const struct captured_frame *f = &captured_frames[i];
        struct buf_reader r;
        buf_reader_init(&r, f->data, f->len);
        struct kafka_request_header h;
        int rc = kafka_request_header_decode(&r, &h);
        CHECK_EQ_INT(rc, 0);
        if (rc)
            continue;
        CHECK(kafka_api_supported(h.api_key, h.api_version));
        size_t body_at = f->len - buf_reader_left(&r);
        void *q = NULL;
        rc = kafka_request_decode(&r, h.api_key, h.api_version, &a, &q);
        if (rc || buf_reader_left(&r))
            fprintf(stderr, "  %s: rc %d, %zu left\n", f->name, rc,
                    buf_reader_left(&r));
        CHECK_EQ_INT(rc, 0);
        CHECK_EQ_INT(buf_reader_left(&r), 0);
        if (rc == 0) {
            buf_reset(&b);
            kafka_request_header_encode(&b, &h);
            kafka_request_encode(&b, h.api_key, h.api_version, q);
            bool same = b.len == f->len && memcmp(b.data, f->data, b.len) == 0;
            if (!same) {
                fprintf(stderr, "  %s re-encodes differently\n", f->name);
                dump("re-encoded", &b);
            }
            CHECK(same);
            if (h.api_key >= 0 && h.api_key < 32)
                apis_seen[h.api_key] = 1;
        }
        /* And every truncation of the body fails. */
        for (size_t len = body_at; len < f->len; len++) {
            buf_reader_init(&r, f->data + body_at, len - body_at);
            CHECK_EQ_INT(
                kafka_request_decode(&r, h.api_key, h.api_version, &a, &q),
                ERR_PARSE);
            arena_reset(&a);
        }
        arena_reset(&a);
    }
    const int want[] = {0,  1,  2,  3,  8,  9,  10, 11, 12,
                        13, 14, 15, 16, 18, 19, 20, 22};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECK(apis_seen[want[i]]);
    buf_fini(&b);
    arena_fini(&a);
}

int main(void)
{
    RUN(table_matches_reference);
    RUN(request_header_table);
    RUN(header_encode_roundtrip);
    RUN(api_versions_requests);
    RUN(api_versions_responses);
    RUN(captured_metadata_and_produce);
    RUN(captured_client_frames);
    return harness_summary("test_kafka_api");
}
