/* fuzz_kafka_request.c - libFuzzer target for Kafka request decoding
 * (layer: kafka, test only).
 *
 * The input is one frame payload (request header + body, no size prefix).
 * It decodes the header, then the body with the API and version the header
 * names; a successful decode is re-encoded, decoded again and re-encoded,
 * and the two encodings must be identical (the codec is a fixed point after
 * one pass). Then, so every decoder sees every input, the same body (or the
 * whole input when the header fails) goes through every ApiKey and version
 * of the table, and through the client-side response decoders. Every
 * count is bounded by the input size, so the arena stays small.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "kafka/kafka_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void touch(struct slice s)
{
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < s.len; i++)
        sink ^= s.ptr[i];
    (void)sink;
}

/* Decode -> encode -> decode -> encode; the two encodings must match. */
static void fixed_point(const uint8_t *p, size_t n, int16_t key, int16_t v,
                        struct arena *a)
{
    struct buf_reader r;
    buf_reader_init(&r, p, n);
    void *q = NULL;
    if (kafka_request_decode(&r, key, v, a, &q) != 0)
        return;
    struct buf e1, e2;
    buf_init(&e1);
    buf_init(&e2);
    kafka_request_encode(&e1, key, v, q);
    buf_reader_init(&r, e1.data, e1.len);
    void *q2 = NULL;
    if (kafka_request_decode(&r, key, v, a, &q2) != 0)
        abort(); /* our own encoding must decode */
    kafka_request_encode(&e2, key, v, q2);
    if (e1.len != e2.len || (e1.len && memcmp(e1.data, e2.data, e1.len)))
        abort();
    buf_fini(&e1);
    buf_fini(&e2);
}

static void responses(const uint8_t *p, size_t n, struct arena *a)
{
    struct buf_reader r;
    for (int16_t v = 0; v <= 12; v++) {
        if (v <= 3) {
            struct kafka_api_versions_response av;
            buf_reader_init(&r, p, n);
            (void)kafka_api_versions_response_decode(&r, v, a, &av);
        }
        struct kafka_metadata_response md;
        buf_reader_init(&r, p, n);
        if (kafka_metadata_response_decode(&r, v, a, &md) == 0)
            for (size_t i = 0; i < md.nbrokers; i++)
                touch(md.brokers[i].host);
        if (v <= 4) {
            struct kafka_describe_groups_response dg;
            buf_reader_init(&r, p, n);
            (void)kafka_describe_groups_response_decode(&r, v, a, &dg);
        }
        if (v <= 2) {
            struct kafka_list_groups_response lg;
            buf_reader_init(&r, p, n);
            (void)kafka_list_groups_response_decode(&r, v, a, &lg);
        }
        if (v >= 1 && v <= 6) {
            struct kafka_list_offsets_response lo;
            buf_reader_init(&r, p, n);
            (void)kafka_list_offsets_response_decode(&r, v, a, &lo);
        }
        if (v >= 1 && v <= 7) {
            struct kafka_offset_fetch_response of;
            buf_reader_init(&r, p, n);
            (void)kafka_offset_fetch_response_decode(&r, v, a, &of);
        }
        if (v >= 3 && v <= 11) {
            struct kafka_produce_response pr;
            buf_reader_init(&r, p, n);
            (void)kafka_produce_response_decode(&r, v, a, &pr);
        }
        if (v >= 4 && v <= 12) {
            struct kafka_fetch_response fr;
            buf_reader_init(&r, p, n);
            if (kafka_fetch_response_decode(&r, v, a, &fr) == 0)
                for (size_t i = 0; i < fr.ntopics; i++)
                    for (size_t j = 0; j < fr.topics[i].npartitions; j++)
                        touch(fr.topics[i].partitions[j].records);
        }
        arena_reset(a);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    arena_init(&a, 16384);
    struct buf_reader r;
    buf_reader_init(&r, data, size);
    struct kafka_request_header h;
    const uint8_t *body = data;
    size_t body_len = size;
    if (kafka_request_header_decode(&r, &h) == 0) {
        touch(h.client_id);
        body_len = buf_reader_left(&r);
        body = data + (size - body_len);
        fixed_point(body, body_len, h.api_key, h.api_version, &a);
        arena_reset(&a);
    }
    size_t n;
    const struct kafka_api_range *t = kafka_api_table(&n);
    for (size_t i = 0; i < n; i++) {
        for (int16_t v = t[i].min_version; v <= t[i].max_version; v++) {
            fixed_point(body, body_len, t[i].api_key, v, &a);
            arena_reset(&a);
        }
    }
    responses(body, body_len, &a);
    arena_fini(&a);
    return 0;
}
