/* txn_index.h - the aborted-transaction index of a segment,
 * `<dir>/<20-digit base>.txnindex`, in Kafka's TransactionIndex layout
 * (layer: log; partition.c owns the files, the broker decides what goes
 * in them: src/broker/txn_part.c).
 *
 * One entry per transaction aborted by a marker in that segment, appended
 * in marker order, each 34 bytes, big-endian:
 *   off  size  field
 *     0     2  version (0)
 *     2     8  producer_id
 *    10     8  first_offset        first offset of the transaction's data
 *    18     8  last_offset         offset of its ABORT marker
 *    26     8  last_stable_offset  the partition's LSO after the marker
 * Entries are written only for markers already durable and are fsynced,
 * so a recovered index never names a marker the log lost. A torn trailing
 * entry (a crash mid-write) is ignored. The file goes with its segment
 * (retention, DeleteRecords, truncation).
 */
#ifndef RILL_TXN_INDEX_H
#define RILL_TXN_INDEX_H

#include <stdint.h>

#define TXN_INDEX_ENTRY_SIZE 34
#define TXN_INDEX_SUFFIX ".txnindex"

struct txn_index_entry {
    int64_t producer_id;
    int64_t first_offset;
    int64_t last_offset;
    int64_t last_stable_offset;
};

typedef void txn_index_fn(void *arg, const struct txn_index_entry *e);

/* Appends e to `<stem>.txnindex` (created if absent) and fdatasyncs it.
 * Returns 0 or a negative errno. */
int txn_index_append(const char *stem, const struct txn_index_entry *e);
/* Calls fn for every whole entry of `<stem>.txnindex`, in file order.
 * Returns the number of entries, 0 if there is no file, or a negative
 * errno; ERR_CORRUPT for an entry of an unknown version. */
int txn_index_read(const char *stem, txn_index_fn *fn, void *arg);

#endif
