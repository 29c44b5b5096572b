/* mem_log.h - the runtime's log interface (stream/stream_log.h) in memory,
 * within a budget set at open (layer: connect).
 *
 * The third implementation, beside the local log and a Kafka cluster: for
 * librill's in-memory engines (devices, tests) where nothing touches a
 * disk. Every partition is a ring of records of a fixed size (as the
 * course's ESP32 lab keeps a circular buffer per stream): when a record
 * does not fit, the oldest records are dropped and the partition's start
 * offset moves past them; a reader behind it gets ERR_RANGE, as on a log
 * whose retention removed what it wanted. A topic whose rings would take
 * the total over the budget is refused (ERR_TOO_LARGE), so memory is
 * bounded at open and never grows with the data.
 *
 * Reads copy the records of a chunk into the reader's own buffer (a
 * writer may reuse the ring's bytes at once); writers append at once,
 * one short critical section per record. Markers are control records.
 */
#ifndef RILL_MEM_LOG_H
#define RILL_MEM_LOG_H

#include <stddef.h>

#include "stream/stream_log.h"

struct mem_log_options {
    size_t budget_bytes;    /* every ring together; 0: 64 MiB */
    size_t partition_bytes; /* one partition's ring; 0: 1 MiB */
};

struct mem_log;

void mem_log_create(const struct mem_log_options *o, struct mem_log **out);
/* After every reader and writer opened from it; NULL is a no-op. */
void mem_log_destroy(struct mem_log *ml);
void mem_log_stream_log(struct mem_log *ml, struct stream_log *out);
/* Bytes the rings of every topic take (what the budget counts). */
size_t mem_log_reserved(const struct mem_log *ml);
/* The budget (options.budget_bytes, or its default). */
size_t mem_log_budget(const struct mem_log *ml);

#endif
