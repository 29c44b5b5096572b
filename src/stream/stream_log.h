/* stream_log.h - the runtime's log interface: how tasks read and write
 * topics, whatever holds them (layer: stream).
 *
 * The runtime never sees a log implementation: the local log
 * (connect/local_log.h: the embedded default, read as zero-copy views)
 * implements these ops today; a librdkafka back end (any Kafka cluster)
 * implements the same ones. Operators see rows only; the pipeline sees
 * records (struct stream_record) through an iterator; tasks see readers,
 * writers and the log.
 *
 *   log      topics (count, create, delete), readers, writers, append
 *            wake-ups, a directory for the runtime's own files
 *   reader   one partition of one topic, read forward from an offset in
 *            chunks of whole batches; a chunk stays valid until release
 *   writer   one topic: records buffered per partition, appended by
 *            flush; markers (the runtime's watermark records) after them;
 *            for exactly-once, held output: batches kept back until
 *            the task's checkpoint names them, then appended, and
 *            appended again after a crash only where they are missing
 *            (docs/checkpoints.md)
 *
 * Threads: a reader or writer belongs to one task, stepped by one thread
 * at a time; the log's own ops may be called from any thread.
 */
#ifndef RILL_STREAM_LOG_H
#define RILL_STREAM_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

/* One record as the runtime sees it. Borrowed: valid until the next
 * record of the same chunk that has fresh_buffer set, or the chunk's
 * release. */
struct stream_record {
    const uint8_t *key, *value;
    uint32_t key_len, value_len;
    bool key_null, value_null;
    bool control;      /* not data: the runtime's markers ride on these */
    bool fresh_buffer; /* bytes of the records before it may be gone (a new
                          decompression): anything borrowed from them must
                          be used up before this one is read */
    int64_t offset;
    int64_t timestamp; /* ms since the epoch */
};

/* The records of one chunk, in offset order. */
struct stream_records;
struct stream_records_ops {
    /* Up to max records into out[] (one call per many records: the
     * pipeline's loop stays tight); 0 when there are no more; never an
     * error: a corrupt batch is skipped and counted in corrupt. A record
     * with fresh_buffer is only ever the first of a call, so the records
     * of one call borrow at most the current buffer and the previous
     * one. */
    int (*next_many)(struct stream_records *it, struct stream_record *out,
                     int max);
};
struct stream_records {
    const struct stream_records_ops *ops;
    uint64_t corrupt; /* batches skipped as corrupt (CRC, framing) */
};

static inline int stream_records_next(struct stream_records *it,
                                      struct stream_record *out)
{
    return it->ops->next_many(it, out, 1);
}

/* A chunk read by stream_reader_read. */
struct stream_chunk {
    struct stream_records *records; /* owned by the reader */
    int64_t next_offset;            /* after the chunk's last record */
    int64_t max_timestamp;          /* largest record timestamp in it */
};

struct stream_reader;
struct stream_reader_ops {
    int (*read)(struct stream_reader *r, int64_t offset, size_t max_bytes,
                struct stream_chunk *out);
    void (*release)(struct stream_reader *r);
    int64_t (*start_offset)(struct stream_reader *r);
    int64_t (*end_offset)(struct stream_reader *r);
    int (*offset_for_time)(struct stream_reader *r, int64_t ts,
                           int64_t *offset);
    void (*close)(struct stream_reader *r);
    /* NULL: cannot (see stream_reader_purge) */
    int (*purge)(struct stream_reader *r, int64_t offset);
};
struct stream_reader {
    const struct stream_reader_ops *ops;
};

/* Reads whole batches from `offset`, at most max_bytes (at least one
 * batch; max_bytes 1: exactly one): 1 (*out filled), 0 (nothing new),
 * ERR_RANGE (offset below the start: see stream_reader_start) or a
 * negative error. The chunk stays valid until stream_reader_release or the
 * next read. A reader opened STREAM_READ_DURABLE reads only what is on
 * disk (and asks the log to make the rest durable soon). */
static inline int stream_reader_read(struct stream_reader *r, int64_t offset,
                                     size_t max_bytes, struct stream_chunk *out)
{
    return r->ops->read(r, offset, max_bytes, out);
}
static inline void stream_reader_release(struct stream_reader *r)
{
    r->ops->release(r);
}
/* The first offset retained, and the end (the next offset to be written,
 * or the durable end for durable_only readers). */
static inline int64_t stream_reader_start(struct stream_reader *r)
{
    return r->ops->start_offset(r);
}
static inline int64_t stream_reader_end(struct stream_reader *r)
{
    return r->ops->end_offset(r);
}
/* Seek by time: the first offset whose record timestamp is >= ts (Kafka
 * ListOffsets by time), or the end when none is; 0 or an error. */
static inline int stream_reader_offset_for_time(struct stream_reader *r,
                                                int64_t ts, int64_t *offset)
{
    return r->ops->offset_for_time(r, ts, offset);
}
/* Lets the log drop the records below offset (Kafka's DeleteRecords):
 * for a topic only this reader reads (a repartition partition), once what
 * is below is committed. 0, ERR_UNSUPPORTED or an error. */
static inline int stream_reader_purge(struct stream_reader *r, int64_t offset)
{
    return r->ops->purge ? r->ops->purge(r, offset) : ERR_UNSUPPORTED;
}
static inline void stream_reader_close(struct stream_reader *r)
{
    if (r)
        r->ops->close(r);
}

struct stream_writer;
struct stream_writer_ops {
    int (*partitions)(struct stream_writer *w);
    int (*add)(struct stream_writer *w, int partition, const void *key,
               size_t klen, bool has_key, const void *value, size_t vlen,
               int64_t ts);
    int (*flush)(struct stream_writer *w, uint64_t *lost);
    int (*marker)(struct stream_writer *w, const void *value, size_t n);
    void (*close)(struct stream_writer *w);
    /* Exactly-once (docs/checkpoints.md); NULL: the back end cannot. */
    int (*hold)(struct stream_writer *w, int64_t producer_id);
    int (*prepare)(struct stream_writer *w, struct buf *out);
    int (*commit)(struct stream_writer *w);
    int (*redo)(struct stream_writer *w, const uint8_t *p, size_t n);
};
struct stream_writer {
    const struct stream_writer_ops *ops;
};

static inline int stream_writer_partitions(struct stream_writer *w)
{
    return w->ops->partitions(w);
}
/* Buffers a record for `partition` (appended by flush, or at once when the
 * partition's buffer is full): 0 or an error (the record is not kept). */
static inline int stream_writer_add(struct stream_writer *w, int partition,
                                    const void *key, size_t klen, bool has_key,
                                    const void *value, size_t vlen, int64_t ts)
{
    return w->ops->add(w, partition, key, klen, has_key, value, vlen, ts);
}
/* Appends every buffered record: 0 or the first error; *lost (may be
 * NULL) adds the records that could not be written. */
static inline int stream_writer_flush(struct stream_writer *w, uint64_t *lost)
{
    return w->ops->flush(w, lost);
}
/* Flushes, then writes a marker (value: the runtime's bytes) to every
 * partition, after the records before it; readers see it as a control
 * record, other consumers do not see it. */
static inline int stream_writer_marker(struct stream_writer *w,
                                       const void *value, size_t n)
{
    return w->ops->marker(w, value, n);
}
static inline void stream_writer_close(struct stream_writer *w)
{
    if (w)
        w->ops->close(w);
}

/* Reader flags. */
#define STREAM_READ_DURABLE 1u /* only what is on disk (rill.read.durable) */
#define STREAM_READ_TRUSTED                                                    \
    2u /* written by the runtime itself a moment                               \
          ago (repartition topics): no CRC check */

/* Exactly-once output (docs/checkpoints.md). stream_writer_hold: from now
 * on flush, marker and a full buffer finish batches (tagged with
 * producer_id, a number no Kafka producer is given) and keep them back
 * instead of appending them. stream_writer_prepare: finishes what is
 * buffered and appends to out a description of every batch held since the
 * last commit (opaque: the back end's; the caller stores it in its
 * checkpoint). stream_writer_commit: appends the held batches, in order,
 * and forgets them. stream_writer_redo: after a restart, with a
 * description a checkpoint stored: appends the batches of it that the log
 * does not hold (those a crash between the checkpoint and the commit left
 * out), so each is in the log exactly once. Each returns 0 or an error
 * (ERR_UNSUPPORTED: the back end has no held output). */
static inline bool stream_writer_can_hold(const struct stream_writer *w)
{
    return w->ops->hold != NULL;
}
static inline int stream_writer_hold(struct stream_writer *w, int64_t pid)
{
    return w->ops->hold ? w->ops->hold(w, pid) : ERR_UNSUPPORTED;
}
static inline int stream_writer_prepare(struct stream_writer *w,
                                        struct buf *out)
{
    return w->ops->prepare(w, out);
}
static inline int stream_writer_commit(struct stream_writer *w)
{
    return w->ops->commit(w);
}
static inline int stream_writer_redo(struct stream_writer *w, const uint8_t *p,
                                     size_t n)
{
    return w->ops->redo(w, p, n);
}

struct stream_log_ops {
    /* The partition count of a topic, or ERR_NOT_FOUND. */
    int (*topic_partitions)(void *ctx, const char *topic);
    /* 0, ERR_EXISTS or an error. */
    int (*topic_create)(void *ctx, const char *topic, int partitions);
    int (*topic_delete)(void *ctx, const char *topic);
    int (*reader_open)(void *ctx, const char *topic, int partition,
                       unsigned flags, struct stream_reader **out);
    /* create: make the topic (one partition) when it does not exist */
    int (*writer_open)(void *ctx, const char *topic, bool create,
                       struct stream_writer **out);
    /* Wake-ups: a counter that grows with every append (and durable
     * progress); wait returns when it differs from seq or after
     * timeout_ms. */
    uint64_t (*append_seq)(void *ctx);
    void (*wait_append)(void *ctx, uint64_t seq, int64_t timeout_ms);
    /* A directory for the runtime's own files (query progress), or NULL. */
    const char *(*state_dir)(void *ctx);
    /* Sorted topic names: a mem_alloc'ed
     * array of mem_strdup'ed names, freed with stream_log_names_free. */
    int (*topic_list)(void *ctx, char ***names, size_t *n);
};

struct stream_log {
    const struct stream_log_ops *ops;
    void *ctx;
};

static inline int stream_log_partitions(const struct stream_log *l,
                                        const char *topic)
{
    return l->ops->topic_partitions(l->ctx, topic);
}
static inline int stream_log_create(const struct stream_log *l,
                                    const char *topic, int partitions)
{
    return l->ops->topic_create(l->ctx, topic, partitions);
}
static inline int stream_log_delete(const struct stream_log *l,
                                    const char *topic)
{
    return l->ops->topic_delete(l->ctx, topic);
}
static inline int stream_log_reader(const struct stream_log *l,
                                    const char *topic, int partition,
                                    unsigned flags, struct stream_reader **out)
{
    return l->ops->reader_open(l->ctx, topic, partition, flags, out);
}
static inline int stream_log_writer(const struct stream_log *l,
                                    const char *topic, bool create,
                                    struct stream_writer **out)
{
    return l->ops->writer_open(l->ctx, topic, create, out);
}
static inline uint64_t stream_log_append_seq(const struct stream_log *l)
{
    return l->ops->append_seq(l->ctx);
}
static inline void stream_log_wait(const struct stream_log *l, uint64_t seq,
                                   int64_t timeout_ms)
{
    l->ops->wait_append(l->ctx, seq, timeout_ms);
}
static inline const char *stream_log_state_dir(const struct stream_log *l)
{
    return l->ops->state_dir(l->ctx);
}
static inline int stream_log_topics(const struct stream_log *l, char ***names,
                                    size_t *n)
{
    return l->ops->topic_list(l->ctx, names, n);
}
void stream_log_names_free(char **names, size_t n);

#endif
