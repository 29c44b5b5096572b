/* kafka_wire.c - Kafka protocol primitives: classic / compact strings, bytes,
 * arrays and tagged fields (layer: kafka; no I/O).
 *
 * Classic: STRING int16 len (-1 null), BYTES int32 len (-1 null), ARRAY
 * int32 count (-1 null). Compact: uvarint(N+1), 0 = null. A tag section is
 * uvarint count, then {uvarint tag, uvarint size, size bytes} per field.
 */
#include "kafka/kafka_wire.h"

#include <string.h>

#include "base/err.h"
#include "kafka/kafka_proto.h"

int kafka_wire_dec_begin(struct kafka_dec *d, struct buf_reader *r,
                         struct arena *a, int16_t api_key, int16_t version)
{
    d->r = r;
    d->arena = a;
    d->flex = kafka_api_flexible(api_key, version);
    return kafka_api_supported(api_key, version) ? 0 : ERR_UNSUPPORTED;
}

void kafka_wire_enc_begin(struct kafka_enc *e, struct buf *out, int16_t api_key,
                          int16_t version)
{
    e->out = out;
    e->flex = kafka_api_flexible(api_key, version);
}

int kafka_wire_done(const struct kafka_dec *d)
{
    return buf_reader_ok(d->r) ? 0 : ERR_PARSE;
}

bool kafka_wire_read_bool(struct kafka_dec *d)
{
    return buf_read_u8(d->r) != 0;
}

/* Reads a length: classic width `wide` (int16 or int32) or compact uvarint.
 * Returns -1 for null, -2 on error. */
static int64_t read_len(struct kafka_dec *d, bool wide)
{
    if (d->flex) {
        uint64_t v = buf_read_uvarint(d->r);
        if (!buf_reader_ok(d->r) || v > INT32_MAX) {
            kafka_wire_fail(d);
            return -2;
        }
        return (int64_t)v - 1;
    }
    int64_t n = wide ? buf_read_i32(d->r) : buf_read_i16(d->r);
    if (!buf_reader_ok(d->r) || n < -1) {
        kafka_wire_fail(d);
        return -2;
    }
    return n;
}

static struct slice read_blob(struct kafka_dec *d, bool wide, bool nullable)
{
    struct slice s = {NULL, 0};
    int64_t n = read_len(d, wide);
    if (n == -2)
        return s;
    if (n == -1) {
        if (!nullable)
            kafka_wire_fail(d);
        return s;
    }
    if ((uint64_t)n > buf_reader_left(d->r)) {
        kafka_wire_fail(d);
        return s;
    }
    return buf_read_bytes(d->r, (size_t)n);
}

struct slice kafka_wire_read_string(struct kafka_dec *d, bool nullable)
{
    return read_blob(d, false, nullable);
}

struct slice kafka_wire_read_bytes(struct kafka_dec *d, bool nullable)
{
    return read_blob(d, true, nullable);
}

size_t kafka_wire_read_array(struct kafka_dec *d, size_t min_elem_bytes,
                             bool nullable, bool *is_null)
{
    if (is_null)
        *is_null = false;
    int64_t n = read_len(d, true);
    if (n == -2)
        return 0;
    if (n == -1) {
        if (nullable && is_null)
            *is_null = true;
        else
            kafka_wire_fail(d);
        return 0;
    }
    if (min_elem_bytes == 0)
        min_elem_bytes = 1;
    if ((uint64_t)n > buf_reader_left(d->r) / min_elem_bytes) {
        kafka_wire_fail(d);
        return 0;
    }
    return (size_t)n;
}

void *kafka_wire_alloc(struct kafka_dec *d, size_t n, size_t size)
{
    if (n == 0)
        return NULL;
    return arena_calloc(d->arena, n * size);
}

void kafka_wire_read_tags(struct kafka_dec *d)
{
    if (!d->flex)
        return;
    uint64_t n = buf_read_uvarint(d->r);
    for (uint64_t i = 0; i < n && buf_reader_ok(d->r); i++) {
        (void)buf_read_uvarint(d->r); /* tag */
        uint64_t size = buf_read_uvarint(d->r);
        if (size > buf_reader_left(d->r)) {
            kafka_wire_fail(d);
            return;
        }
        buf_read_skip(d->r, (size_t)size);
    }
}

int32_t *kafka_wire_read_i32_array(struct kafka_dec *d, size_t *n)
{
    *n = kafka_wire_read_array(d, 4, false, NULL);
    int32_t *v = kafka_wire_alloc(d, *n, sizeof(*v));
    for (size_t i = 0; i < *n; i++)
        v[i] = buf_read_i32(d->r);
    return v;
}

struct slice *kafka_wire_read_string_array(struct kafka_dec *d, size_t *n)
{
    *n = kafka_wire_read_array(d, d->flex ? 1 : 2, false, NULL);
    struct slice *v = kafka_wire_alloc(d, *n, sizeof(*v));
    for (size_t i = 0; i < *n; i++)
        v[i] = kafka_wire_read_string(d, false);
    return v;
}

void kafka_wire_put_bool(struct kafka_enc *e, bool v)
{
    buf_put_u8(e->out, v ? 1 : 0);
}

static void put_blob(struct kafka_enc *e, struct slice s, bool nullable,
                     bool wide)
{
    if (s.ptr == NULL && nullable) {
        if (e->flex)
            buf_put_uvarint(e->out, 0);
        else if (wide)
            buf_put_i32(e->out, -1);
        else
            buf_put_i16(e->out, -1);
        return;
    }
    size_t n = s.ptr ? s.len : 0;
    if (e->flex)
        buf_put_uvarint(e->out, (uint64_t)n + 1);
    else if (wide)
        buf_put_i32(e->out, (int32_t)n);
    else
        buf_put_i16(e->out, (int16_t)n);
    if (n)
        buf_put(e->out, s.ptr, n);
}

void kafka_wire_put_string(struct kafka_enc *e, struct slice s, bool nullable)
{
    put_blob(e, s, nullable, false);
}

void kafka_wire_put_bytes(struct kafka_enc *e, struct slice s, bool nullable)
{
    put_blob(e, s, nullable, true);
}

void kafka_wire_put_array(struct kafka_enc *e, size_t n, bool is_null)
{
    if (e->flex)
        buf_put_uvarint(e->out, is_null ? 0 : (uint64_t)n + 1);
    else
        buf_put_i32(e->out, is_null ? -1 : (int32_t)n);
}

void kafka_wire_put_tags(struct kafka_enc *e)
{
    if (e->flex)
        buf_put_uvarint(e->out, 0);
}

void kafka_wire_put_i32_array(struct kafka_enc *e, const int32_t *v, size_t n)
{
    kafka_wire_put_array(e, n, false);
    for (size_t i = 0; i < n; i++)
        buf_put_i32(e->out, v[i]);
}

void kafka_wire_put_string_array(struct kafka_enc *e, const struct slice *v,
                                 size_t n)
{
    kafka_wire_put_array(e, n, false);
    for (size_t i = 0; i < n; i++)
        kafka_wire_put_string(e, v[i], false);
}

void kafka_wire_put_topic_errors(struct kafka_enc *e,
                                 const struct kafka_topic_errors *t, size_t n)
{
    kafka_wire_put_array(e, n, false);
    for (size_t i = 0; i < n; i++) {
        kafka_wire_put_string(e, t[i].name, false);
        kafka_wire_put_array(e, t[i].npartitions, false);
        for (size_t j = 0; j < t[i].npartitions; j++) {
            buf_put_i32(e->out, t[i].partitions[j].partition_index);
            buf_put_i16(e->out, t[i].partitions[j].error_code);
            kafka_wire_put_tags(e);
        }
        kafka_wire_put_tags(e);
    }
}

struct kafka_topic_errors *kafka_wire_read_topic_errors(struct kafka_dec *d,
                                                        size_t *n)
{
    *n = kafka_wire_read_array(d, 6, false, NULL);
    struct kafka_topic_errors *t = kafka_wire_alloc(d, *n, sizeof(*t));
    for (size_t i = 0; i < *n; i++) {
        t[i].name = kafka_wire_read_string(d, false);
        t[i].npartitions = kafka_wire_read_array(d, 6, false, NULL);
        t[i].partitions =
            kafka_wire_alloc(d, t[i].npartitions, sizeof(*t[i].partitions));
        for (size_t j = 0; j < t[i].npartitions; j++) {
            t[i].partitions[j].partition_index = buf_read_i32(d->r);
            t[i].partitions[j].error_code = buf_read_i16(d->r);
            kafka_wire_read_tags(d);
        }
        kafka_wire_read_tags(d);
    }
    return t;
}

void kafka_wire_put_topic_partitions(struct kafka_enc *e,
                                     const struct kafka_topic_partitions *t,
                                     size_t n)
{
    kafka_wire_put_array(e, n, false);
    for (size_t i = 0; i < n; i++) {
        kafka_wire_put_string(e, t[i].name, false);
        kafka_wire_put_i32_array(e, t[i].partitions, t[i].npartitions);
        kafka_wire_put_tags(e);
    }
}

struct kafka_topic_partitions *
kafka_wire_read_topic_partitions(struct kafka_dec *d, size_t *n)
{
    *n = kafka_wire_read_array(d, d->flex ? 3 : 6, false, NULL);
    struct kafka_topic_partitions *t = kafka_wire_alloc(d, *n, sizeof(*t));
    for (size_t i = 0; i < *n; i++) {
        t[i].name = kafka_wire_read_string(d, false);
        t[i].partitions = kafka_wire_read_i32_array(d, &t[i].npartitions);
        kafka_wire_read_tags(d);
    }
    return t;
}

struct kafka_offset_commit_topic *
kafka_wire_read_commit_topics(struct kafka_dec *d, bool with_epoch,
                              bool with_timestamp, size_t *n)
{
    *n = kafka_wire_read_array(d, d->flex ? 3 : 6, false, NULL);
    struct kafka_offset_commit_topic *t = kafka_wire_alloc(d, *n, sizeof(*t));
    for (size_t i = 0; i < *n; i++) {
        t[i].name = kafka_wire_read_string(d, false);
        t[i].npartitions = kafka_wire_read_array(d, 14, false, NULL);
        t[i].partitions =
            kafka_wire_alloc(d, t[i].npartitions, sizeof(*t[i].partitions));
        for (size_t j = 0; j < t[i].npartitions; j++) {
            struct kafka_offset_commit_partition *p = &t[i].partitions[j];
            p->partition_index = buf_read_i32(d->r);
            p->committed_offset = buf_read_i64(d->r);
            p->committed_leader_epoch = with_epoch ? buf_read_i32(d->r) : -1;
            p->commit_timestamp = with_timestamp ? buf_read_i64(d->r) : -1;
            p->committed_metadata = kafka_wire_read_string(d, true);
            kafka_wire_read_tags(d);
        }
        kafka_wire_read_tags(d);
    }
    return t;
}

void kafka_wire_put_commit_topics(struct kafka_enc *e, bool with_epoch,
                                  bool with_timestamp,
                                  const struct kafka_offset_commit_topic *t,
                                  size_t n)
{
    kafka_wire_put_array(e, n, false);
    for (size_t i = 0; i < n; i++) {
        kafka_wire_put_string(e, t[i].name, false);
        kafka_wire_put_array(e, t[i].npartitions, false);
        for (size_t j = 0; j < t[i].npartitions; j++) {
            const struct kafka_offset_commit_partition *p = &t[i].partitions[j];
            buf_put_i32(e->out, p->partition_index);
            buf_put_i64(e->out, p->committed_offset);
            if (with_epoch)
                buf_put_i32(e->out, p->committed_leader_epoch);
            if (with_timestamp)
                buf_put_i64(e->out, p->commit_timestamp);
            kafka_wire_put_string(e, p->committed_metadata, true);
            kafka_wire_put_tags(e);
        }
        kafka_wire_put_tags(e);
    }
}
