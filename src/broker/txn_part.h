/* txn_part.h - one partition's transactions: which producers have a
 * transaction open on it (and from which offset), the last stable offset,
 * the aborted transactions readers must filter, and the COMMIT/ABORT
 * control batches that close them (layer: broker).
 *
 * The state is built on first use (a transactional produce, a marker, a
 * read_committed Fetch or ListOffsets) from the partition's .txnindex
 * files (a walk of its batch headers only after a crash left a
 * transaction open on it: top of txn_part.c), and kept up to date by every
 * append after that; a partition no transactional client touches never
 * pays for it. Loop thread only.
 *
 * Invariants:
 *   1. pid is open here  <=>  a transactional data batch of pid lies after
 *      pid's last control batch on this partition; first = the base offset
 *      of the oldest such batch.
 *   2. LSO = min(first of every open pid, end): nothing at or after the
 *      first offset of an open transaction is visible to read_committed.
 *   3. The aborted list is in marker (= offset) order: entry i's last
 *      offset is the ABORT marker's offset, first its transaction's first.
 */
#ifndef RILL_TXN_PART_H
#define RILL_TXN_PART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "broker/broker_log.h"

struct txn_part;
struct kafka_fetch_aborted;

/* The state of bp, built now if needed (NULL only if the partition could
 * not be read: then the caller refuses with a storage error). */
struct txn_part *txn_part_get(struct broker *b, struct broker_part *bp);
/* NULL is a no-op (called when the broker's topic wrapper is freed). */
void txn_part_destroy(struct txn_part *tp);

/* The last stable offset, at most end (the offset readers may see). */
int64_t txn_part_lso(struct broker *b, struct broker_part *bp, int64_t end);
/* Whether pid has a transaction open on bp (loads the state). */
bool txn_part_open(struct broker *b, struct broker_part *bp, int64_t pid);
/* A transactional data batch of pid was appended at base_offset. */
void txn_part_on_append(struct broker *b, struct broker_part *bp, int64_t pid,
                        int64_t base_offset);
/* Appends the control batch that ends pid's transaction here (COMMIT or
 * ABORT; ABORT also adds the transaction to the aborted list) and closes
 * it. *end_offset: the offset after the marker (what must become durable).
 * *aborted: the entry the caller must add to the partition's .txnindex
 * (partition_txn_index_append) once the marker is durable, or producer id
 * -1 when nothing was aborted. Returns 0 or a partition_append error. */
struct txn_index_entry;
int txn_part_write_marker(struct broker *b, struct broker_part *bp, int64_t pid,
                          int16_t epoch, bool commit, int64_t *end_offset,
                          struct txn_index_entry *aborted);
/* The aborted transactions a read_committed Fetch from `from` whose data
 * ends before `upto` must filter: every entry with last >= from and
 * first < upto, as (pid, first) pairs in a (arena) array. */
size_t txn_part_aborted(struct broker *b, struct broker_part *bp, int64_t from,
                        int64_t upto, struct arena *a,
                        struct kafka_fetch_aborted **out);

#endif
