/* broker_producer.h - idempotent-producer state: producer id allocation and
 * the per-partition sequence windows (layer: broker).
 *
 * Per partition and producer id the broker remembers the epoch and the last
 * BROKER_PRODUCER_WINDOW batches {firstSeq, lastSeq, baseOffset}. A batch
 * whose (epoch, firstSeq, lastSeq) matches a remembered one is a duplicate
 * and is answered with the original offset; a sequence gap is refused
 * (Kafka's OUT_OF_ORDER_SEQUENCE_NUMBER); an older epoch is fenced.
 * The windows are rebuilt after a restart from the batch headers at the
 * tail of each partition (broker_topics.c feeds them through
 * broker_producer_record), so no snapshot file is needed.
 * Producer ids come from a counter persisted in <data>/producer-id-block in
 * blocks of 1000 (one fsync per block), so ids are never reused.
 * Loop thread only.
 */
#ifndef RILL_BROKER_PRODUCER_H
#define RILL_BROKER_PRODUCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/hashmap.h"

#define BROKER_PRODUCER_WINDOW 5

/* The windows of one partition: producer id -> state. */
struct broker_producer_map {
    struct hashmap by_pid;
};

struct broker_producer_batch {
    int32_t first_seq, last_seq;
    int64_t base_offset, last_offset;
};

void broker_producer_map_init(struct broker_producer_map *m);
void broker_producer_map_fini(struct broker_producer_map *m);

enum broker_seq_result {
    BROKER_SEQ_APPEND = 0,   /* new batch, in order (or no state yet) */
    BROKER_SEQ_DUPLICATE,    /* *dup holds the original placement */
    BROKER_SEQ_OUT_OF_ORDER, /* gap or wrong start: Kafka error 45 */
    BROKER_SEQ_FENCED,       /* older epoch: Kafka error 47 */
};

/* Checks a batch's (pid, epoch, first sequence, last sequence) against the
 * window. pid < 0 (not idempotent) is always APPEND. */
enum broker_seq_result broker_producer_check(struct broker_producer_map *m,
                                             int64_t pid, int16_t epoch,
                                             int32_t first_seq,
                                             int32_t last_seq,
                                             struct broker_producer_batch *dup);
/* Remembers an appended batch (also used to rebuild at open). */
void broker_producer_record(struct broker_producer_map *m, int64_t pid,
                            int16_t epoch, int32_t first_seq, int32_t last_seq,
                            int64_t base_offset, int64_t last_offset);

/* Iterates the producers of a partition (DescribeProducers): for
 * (size_t it = 0; broker_producer_next(m, &it, ...);). last_seq and
 * last_offset are those of the newest batch remembered. */
bool broker_producer_next(const struct broker_producer_map *m, size_t *iter,
                          int64_t *pid, int16_t *epoch, int32_t *last_seq,
                          int64_t *last_offset);

/* Producer id allocation. */
struct broker_pid_alloc {
    char path[1100];
    int64_t next, block_end;
};
int broker_pid_alloc_open(struct broker_pid_alloc *a, const char *data_dir);
/* Returns 0 with a fresh id, or a negative error if the counter could not
 * be made durable. */
int broker_pid_alloc_next(struct broker_pid_alloc *a, int64_t *out);

#endif
