/* broker_log.h - the broker's view of the log directory: topics and
 * partitions with their idempotence windows, auto-creation, and waiting
 * for durability without blocking the loop (layer: broker).
 *
 * Topic and partition wrappers are created on first use and live until the
 * broker closes (a deleted topic's wrapper is kept, marked deleted, so a
 * waiter holding it never dangles). Waiting for fsync: the log's flusher
 * thread calls our flush listener, which posts one message to the loop; the
 * loop then completes every durable waiter whose offsets are now on disk.
 * Loop thread only, except the flush listener.
 */
#ifndef RILL_BROKER_LOG_H
#define RILL_BROKER_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/buf.h"
#include "broker/broker_int.h"
#include "broker/broker_producer.h"

struct partition;
struct broker_topic;
struct txn_part;

/* Kafka's internal topics, and rill's start-up compaction of the offsets
 * topic: written by the broker only, never created or deleted by clients,
 * reported with is_internal. Other "__" names are ordinary. */
static inline bool broker_topic_is_internal(struct slice name)
{
    static const char *const internal[] = {"__consumer_offsets",
                                           "__consumer_offsets_compact",
                                           "__transaction_state"};
    for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
        if (name.len == strlen(internal[i]) &&
            memcmp(name.ptr, internal[i], name.len) == 0)
            return true;
    return false;
}

/* Whether a client may write (Produce) to the topic: not the internal
 * topics, not any other "__" name, and not a "-repartition" topic that a
 * query of this process uses (rows there are rill's own; a forged one
 * would be read as a query's intermediate result). */
bool broker_topic_client_writable(struct broker *b, struct slice name);

struct broker_part {
    struct partition *p;
    struct broker_topic *topic;
    int32_t id;
    struct broker_producer_map producers;
    bool producers_loaded;
    struct txn_part *txn; /* transactions on it: txn_part.h (lazy) */
};

struct broker_topic {
    char *name;
    int32_t nparts;
    struct broker_part *parts;
    bool deleted;
    struct broker_topic *next_dead;
};

/* A wait for partition offsets below end_offset to be durable. */
struct broker_durable_wait;
typedef void broker_durable_fn(struct broker *b, struct broker_durable_wait *w,
                               int err);
struct broker_durable_wait {
    struct broker_durable_wait *next;
    struct broker_part *part;
    int64_t end_offset;
    broker_durable_fn *done;
    void *arg;
};

int broker_log_open(struct broker *b);
/* Flushes and closes; returns 0 or the final flush's error. */
int broker_log_close(struct broker *b);
/* Shutdown began: ask for an fsync of everything waited on. */
void broker_log_drain_begin(struct broker *b);

/* Looks a topic up (NULL if absent). With create and auto-creation on, an
 * absent topic with a valid name is created with num.partitions.
 * *err is a Kafka error code when NULL is returned (3 unknown, 17 invalid
 * name, or another). */
struct broker_topic *broker_topic_find(struct broker *b, struct slice name,
                                       bool create, int16_t *err);
/* The partition, or NULL (*err = 3). Loads its idempotence state. */
struct broker_part *broker_part_find(struct broker *b, struct slice topic,
                                     int32_t partition, bool create,
                                     int16_t *err);
/* A topic-level setting from CreateTopics (value ptr NULL = null). */
struct broker_topic_kv {
    struct slice key, value;
};
/* Creates a topic; partitions <= 0 means num.partitions. Honours
 * retention.ms, retention.bytes, segment.bytes, segment.ms and
 * max.message.bytes; other keys are ignored. Returns a Kafka error code
 * (0, 36 exists, 17 invalid name, 37 invalid partitions, 40 bad config). */
int16_t broker_topic_create(struct broker *b, struct slice name,
                            int32_t partitions, bool validate_only,
                            const struct broker_topic_kv *configs,
                            size_t nconfigs);
/* A new topic's configuration from the broker's defaults. */
struct logdir_topic_config;
void broker_topic_config_defaults(struct broker *b,
                                  struct logdir_topic_config *c,
                                  int32_t partitions);
/* Applies the honoured keys of kv to c (others are ignored); 40
 * INVALID_CONFIG for a bad value of an honoured key, else 0. */
int16_t broker_topic_config_apply(struct logdir_topic_config *c,
                                  const struct broker_topic_kv *kv, size_t n);
/* CreatePartitions: grows the topic to count partitions. Returns a Kafka
 * error code: 0, 3 unknown topic, 37 INVALID_PARTITIONS (not more than
 * now, too many, or an internal topic), -1 on an I/O error. */
int16_t broker_topic_add_partitions(struct broker *b, struct slice name,
                                    int32_t count, bool validate_only);
/* Returns 0, 3 unknown, or 73 for internal (__*) topics. */
int16_t broker_topic_delete(struct broker *b, struct slice name);

/* Registers w (caller's memory) and asks for a sync; w->done runs on the
 * loop thread once durable (err 0) or when the partition fails (err < 0). */
void broker_log_wait_durable(struct broker *b, struct broker_durable_wait *w);
/* Removes w if still waiting (cancel). */
void broker_log_wait_cancel(struct broker *b, struct broker_durable_wait *w);

/* The end of what readers may see of bp (Fetch, ListOffsets latest, the
 * high watermark they are told): the log end, or with rill.read.durable
 * the durable offset (every offset below it is fsync'ed). */
int64_t broker_log_visible_end(const struct broker *b,
                               const struct broker_part *bp);

/* A scratch buffer for the loop thread (batch validation); its contents
 * are only valid until the next call that uses it. */
struct buf *broker_log_scratch(struct broker *b);

/* Producer ids for InitProducerId. */
int broker_log_next_producer_id(struct broker *b, int64_t *out);

/* Called after every append so parked fetches can be re-checked. */
void broker_fetch_notify(struct broker *b);

#endif
