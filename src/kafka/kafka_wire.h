/* kafka_wire.h - Kafka protocol primitives over base/buf: classic and
 * compact (flexible) strings, bytes and arrays, tagged-field sections, and
 * array counts checked against the bytes left (layer: kafka, used by the
 * kafka_*.c codec files; no I/O).
 *
 * A decoder carries {reader, arena, flex}; every read is sticky-error like
 * buf_reader, so an API decoder reads a whole structure and calls
 * kafka_wire_done() once at the end.
 */
#ifndef RILL_KAFKA_WIRE_H
#define RILL_KAFKA_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"

struct kafka_dec {
    struct buf_reader *r;
    struct arena *arena;
    bool flex; /* compact strings/arrays/bytes and tag sections */
};

struct kafka_enc {
    struct buf *out;
    bool flex;
};

/* Starts decoding api_key at version: ERR_UNSUPPORTED if outside the
 * table, else 0 with d set up (flex from kafka_api_flexible). */
int kafka_wire_dec_begin(struct kafka_dec *d, struct buf_reader *r,
                         struct arena *a, int16_t api_key, int16_t version);
void kafka_wire_enc_begin(struct kafka_enc *e, struct buf *out, int16_t api_key,
                          int16_t version);

/* Marks the reader failed (sticky). */
static inline void kafka_wire_fail(struct kafka_dec *d)
{
    d->r->err = true;
}

/* 0 if every read so far succeeded, else ERR_PARSE. */
int kafka_wire_done(const struct kafka_dec *d);

bool kafka_wire_read_bool(struct kafka_dec *d);
/* STRING / COMPACT_STRING. A null string is an error unless nullable; null
 * comes back as a slice with ptr NULL. */
struct slice kafka_wire_read_string(struct kafka_dec *d, bool nullable);
/* BYTES / COMPACT_BYTES (also RECORDS), same null rule. */
struct slice kafka_wire_read_bytes(struct kafka_dec *d, bool nullable);
/* ARRAY / COMPACT_ARRAY count. Fails (returns 0) if the count is negative
 * (and not a permitted null) or if count * min_elem_bytes exceeds the bytes
 * left, so callers may allocate count elements right away. */
size_t kafka_wire_read_array(struct kafka_dec *d, size_t min_elem_bytes,
                             bool nullable, bool *is_null);
/* Zeroed n * size bytes from the arena; NULL when n is 0. */
void *kafka_wire_alloc(struct kafka_dec *d, size_t n, size_t size);
/* Skips a tagged-field section when flexible (no-op otherwise). */
void kafka_wire_read_tags(struct kafka_dec *d);
/* ARRAY[INT32] and ARRAY[STRING] (non-nullable arrays). */
int32_t *kafka_wire_read_i32_array(struct kafka_dec *d, size_t *n);
struct slice *kafka_wire_read_string_array(struct kafka_dec *d, size_t *n);

void kafka_wire_put_bool(struct kafka_enc *e, bool v);
/* A slice with ptr NULL is written as null if nullable, else as "". */
void kafka_wire_put_string(struct kafka_enc *e, struct slice s, bool nullable);
void kafka_wire_put_bytes(struct kafka_enc *e, struct slice s, bool nullable);
void kafka_wire_put_array(struct kafka_enc *e, size_t n, bool is_null);
/* An empty tagged-field section when flexible (no-op otherwise). */
void kafka_wire_put_tags(struct kafka_enc *e);
void kafka_wire_put_i32_array(struct kafka_enc *e, const int32_t *v, size_t n);
void kafka_wire_put_string_array(struct kafka_enc *e, const struct slice *v,
                                 size_t n);

/* topics ARRAY[name STRING, partitions ARRAY[index int32, error_code
 * int16]] and topics ARRAY[name STRING, partitions ARRAY[int32]], shared by
 * several APIs. */
struct kafka_topic_errors;
struct kafka_topic_partitions;
void kafka_wire_put_topic_errors(struct kafka_enc *e,
                                 const struct kafka_topic_errors *t, size_t n);
struct kafka_topic_errors *kafka_wire_read_topic_errors(struct kafka_dec *d,
                                                        size_t *n);
void kafka_wire_put_topic_partitions(struct kafka_enc *e,
                                     const struct kafka_topic_partitions *t,
                                     size_t n);
struct kafka_topic_partitions *
kafka_wire_read_topic_partitions(struct kafka_dec *d, size_t *n);
/* topics of OffsetCommit / TxnOffsetCommit; with_epoch: the version has
 * committed_leader_epoch; with_timestamp: commit_timestamp (OffsetCommit
 * v1 only). */
struct kafka_offset_commit_topic;
struct kafka_offset_commit_topic *
kafka_wire_read_commit_topics(struct kafka_dec *d, bool with_epoch,
                              bool with_timestamp, size_t *n);
void kafka_wire_put_commit_topics(struct kafka_enc *e, bool with_epoch,
                                  bool with_timestamp,
                                  const struct kafka_offset_commit_topic *t,
                                  size_t n);

#endif
