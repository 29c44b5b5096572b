/* kafka_log.h - the runtime's log interface (stream/stream_log.h) on a
 * Kafka cluster through librdkafka (layer: connect).
 *
 * The second implementation of stream_log.h, beside the local log: any
 * Kafka-protocol cluster (Apache Kafka, `rill serve`) holds the streams,
 * tables and the runtime's repartition topics. Readers are librdkafka's
 * per-partition consumers (no consumer group: the runtime keeps its own
 * positions, in its state directory), prefetching in librdkafka's
 * threads; a read takes what has arrived, never waits. Writers share one
 * idempotent producer (acks=all, order kept per partition); flush waits
 * for every acknowledgement. The runtime's watermark markers, which the
 * local log writes as control batches, are ordinary records here carrying
 * the header `rill.marker` (a client cannot write control batches); they
 * go only to the runtime's own repartition topics. Wake-ups: each
 * partition queue writes a byte to one pipe when it turns non-empty.
 *
 * What it does not do yet (issue 17): transactions (the writer's
 * transaction hooks are NULL), consumer-group assignment of partitions
 * among instances, changelog-backed state.
 */
#ifndef RILL_KAFKA_LOG_H
#define RILL_KAFKA_LOG_H

#include <stddef.h>

#include "stream/stream_log.h"

#define KAFKA_LOG_MARKER_HEADER "rill.marker"

struct kafka_log_options {
    const char *bootstrap; /* host:port[,host:port...], required */
    const char *state_dir; /* the runtime's own files; must exist */
    /* Prefix of the runtime's internal topics on the cluster
     * (<application id>-q_1-repartition), as Kafka Streams' application.id;
     * NULL: "rill" */
    const char *application_id;
    /* librdkafka properties "key=value" for every client, NULL-terminated
     * (e.g. security.protocol=SASL_SSL); may be NULL */
    const char *const *props;
    int timeout_ms; /* metadata and admin requests; 0: 10 s */
};

struct kafka_log;

/* Connects (the cluster must answer metadata within the timeout): 0 or a
 * negative error with err filled. */
int kafka_log_open(const struct kafka_log_options *o, struct kafka_log **out,
                   char *err, size_t errlen);
/* After every reader and writer opened from it is closed; NULL is a
 * no-op. */
void kafka_log_close(struct kafka_log *kl);
/* Fills *out with its ops (no allocation). */
void kafka_log_stream_log(struct kafka_log *kl, struct stream_log *out);
/* The topics of the cluster (internal ones, "__...", left out): 0 or an
 * error; free with stream_log_names_free. */
int kafka_log_topics(struct kafka_log *kl, char ***names, size_t *n);

#endif
