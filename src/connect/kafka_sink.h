/* kafka_sink.h - a keyed record producer to any Kafka-protocol broker,
 * through librdkafka (layer: connect).
 *
 * Used by `rill simulate --bootstrap`; loads rill serve or a real Kafka
 * cluster alike. Keys are placed with murmur2 (librdkafka's
 * "murmur2_random" partitioner), as the Java client places them, so a
 * sensor lands on the same partition whichever path wrote it. Payloads are
 * copied; the caller's buffers are free again when send returns. One
 * thread per sink.
 */
#ifndef RILL_KAFKA_SINK_H
#define RILL_KAFKA_SINK_H

#include <stddef.h>
#include <stdint.h>

struct kafka_sink;

struct kafka_sink_stats {
    uint64_t sent;      /* accepted by send */
    uint64_t delivered; /* acknowledged by the broker */
    uint64_t failed;    /* delivery reports with an error */
};

/* props: NULL or a NULL-terminated list of "key=value" librdkafka settings
 * applied after rill's defaults (acks=all, linger.ms=5, murmur2). Returns
 * 0 or ERR_INVALID with a message in err. */
int kafka_sink_create(const char *bootstrap, const char *topic,
                      const char *const *props, struct kafka_sink **out,
                      char *err, size_t errlen);
/* Queues one record; when librdkafka's queue is full it serves delivery
 * reports and retries (backpressure) for up to 30 s, then ERR_TIMEOUT. */
int kafka_sink_send(struct kafka_sink *k, const void *key, size_t klen,
                    const void *value, size_t vlen, int64_t ts_ms);
/* Serves delivery reports without blocking. */
void kafka_sink_poll(struct kafka_sink *k);
/* Waits up to timeout_ms for every queued record; 0 or ERR_TIMEOUT; a
 * failed delivery makes it return ERR_FAILED. */
int kafka_sink_flush(struct kafka_sink *k, int timeout_ms);
void kafka_sink_get_stats(const struct kafka_sink *k,
                          struct kafka_sink_stats *out);
/* Per-partition end offsets acknowledged so far (last offset + 1; 0 for a
 * partition with nothing acknowledged yet), for partitions 0..n-1 where n,
 * returned, is at most max (partitions beyond 1024 are not tracked). */
int32_t kafka_sink_end_offsets(const struct kafka_sink *k, int64_t *out,
                               int32_t max);
/* The last delivery error text ("" if none). */
const char *kafka_sink_last_error(const struct kafka_sink *k);
void kafka_sink_destroy(struct kafka_sink *k);

#endif
