/* txn_coord.h - the transaction coordinator of `rill serve`:
 * InitProducerId with a transactional.id, AddPartitionsToTxn,
 * AddOffsetsToTxn, TxnOffsetCommit, EndTxn, the checks a transactional
 * Produce must pass, time-outs, and the durable state in
 * __transaction_state (layer: broker). Design: docs/broker.md,
 * "Transactions"; per-partition state: txn_part.h.
 *
 * Loop thread only. txn_coord_register (after the groups module) serves
 * the APIs, replays __transaction_state if it exists and starts finishing
 * every transaction a crash left open; txn_coord_fini at shutdown.
 */
#ifndef RILL_TXN_COORD_H
#define RILL_TXN_COORD_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "broker/broker_int.h"

struct broker_part;
struct record_batch_header;

#define TXN_STATE_TOPIC "__transaction_state"

void txn_coord_register(struct broker *b);
void txn_coord_fini(struct broker *b);

/* Kafka error code for a Produce of batch h (transactional, or sent with
 * a transactional id txn_id, ptr NULL if none) to bp: 0 when pid and epoch
 * are the transaction's current ones, the transaction is ongoing and bp
 * was added to it (AddPartitionsToTxn), else 47 / 48 / 49 / 87. */
int16_t txn_coord_produce_check(struct broker *b, struct slice txn_id,
                                struct broker_part *bp,
                                const struct record_batch_header *h);

/* Whether a transaction in progress (Ongoing or Prepare*) lists bp, i.e.
 * whether bp may hold transactional data not yet ended by a marker (also
 * true when __transaction_state exists but could not be read). */
bool txn_coord_lists(struct broker *b, const struct broker_part *bp);

/* Whether a transaction in progress holds an offset of group for
 * topic-partition that it has not committed or aborted yet: an OffsetFetch
 * with require_stable answers UNSTABLE_OFFSET_COMMIT (88) for it, and the
 * client retries, as Kafka has it (KIP-447). */
bool txn_coord_offsets_pending(struct broker *b, struct slice group,
                               struct slice topic, int32_t partition);

#endif
