/* kafka_txn.c - producer-id and transaction API codecs: InitProducerId (22)
 * v0-1, AddPartitionsToTxn (24) v0, AddOffsetsToTxn (25) v0, EndTxn (26)
 * v0-1, TxnOffsetCommit (28) v0-2, DescribeTransactions (65) v0,
 * ListTransactions (66) v0-1 (layer: kafka; no I/O). The transaction
 * coordinator itself lives in src/broker/.
 *
 * InitProducerId req: transactional_id nullable STRING,
 *   transaction_timeout_ms int32
 *   resp: throttle int32, error_code int16, producer_id int64,
 *   producer_epoch int16
 * AddPartitionsToTxn req: transactional_id STRING, producer_id int64,
 *   producer_epoch int16, topics ARRAY[name STRING, partitions ARRAY[int32]]
 *   resp: throttle int32, results ARRAY[name STRING, results ARRAY[
 *   partition_index int32, error_code int16]]
 * AddOffsetsToTxn req: transactional_id, producer_id int64, producer_epoch
 *   int16, group_id STRING; resp: throttle int32, error_code int16
 * EndTxn req: transactional_id, producer_id int64, producer_epoch int16,
 *   committed bool; resp: throttle int32, error_code int16
 * TxnOffsetCommit req: transactional_id, group_id, producer_id int64,
 *   producer_epoch int16, topics ARRAY[name, partitions ARRAY[
 *   partition_index int32, committed_offset int64, committed_leader_epoch
 *   int32 (v2+), committed_metadata nullable STRING]]
 *   resp: throttle int32, topics ARRAY[name, partitions ARRAY[index, error]]
 * DescribeTransactions (65) v0, flexible: req transactional_ids
 *   ARRAY[STRING]; resp: throttle int32, transaction_states ARRAY[
 *   error_code int16, transactional_id STRING, transaction_state STRING,
 *   transaction_timeout_ms int32, transaction_start_time_ms int64,
 *   producer_id int64, producer_epoch int32, topics ARRAY[name STRING,
 *   partition_indexes ARRAY[int32]]]
 * ListTransactions (66) v0-1, flexible: req state_filters ARRAY[STRING],
 *   producer_id_filters ARRAY[int64], duration_filter int64 (v1+);
 *   resp: throttle int32, error_code int16, unknown_state_filters
 *   ARRAY[STRING], transaction_states ARRAY[transactional_id STRING,
 *   producer_id int64, transaction_state STRING]
 */
#include "kafka/kafka_proto.h"
#include "kafka/kafka_wire.h"

/* --- InitProducerId ------------------------------------------------------ */

int kafka_init_producer_id_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_init_producer_id_request *out)
{
    struct kafka_dec d;
    int rc =
        kafka_wire_dec_begin(&d, r, a, KAFKA_API_INIT_PRODUCER_ID, version);
    if (rc)
        return rc;
    out->transactional_id = kafka_wire_read_string(&d, true);
    out->transaction_timeout_ms = buf_read_i32(r);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_init_producer_id_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_init_producer_id_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_INIT_PRODUCER_ID, version);
    kafka_wire_put_string(&e, req->transactional_id, true);
    buf_put_i32(out, req->transaction_timeout_ms);
    kafka_wire_put_tags(&e);
}

void kafka_init_producer_id_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_init_producer_id_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_INIT_PRODUCER_ID, version);
    buf_put_i32(out, resp->throttle_time_ms);
    buf_put_i16(out, resp->error_code);
    buf_put_i64(out, resp->producer_id);
    buf_put_i16(out, resp->producer_epoch);
    kafka_wire_put_tags(&e);
}

/* --- AddPartitionsToTxn -------------------------------------------------- */

int kafka_add_partitions_to_txn_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_add_partitions_to_txn_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_ADD_PARTITIONS_TO_TXN,
                                  version);
    if (rc)
        return rc;
    out->transactional_id = kafka_wire_read_string(&d, false);
    out->producer_id = buf_read_i64(r);
    out->producer_epoch = buf_read_i16(r);
    out->topics = kafka_wire_read_topic_partitions(&d, &out->ntopics);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_add_partitions_to_txn_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_add_partitions_to_txn_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_ADD_PARTITIONS_TO_TXN, version);
    kafka_wire_put_string(&e, req->transactional_id, false);
    buf_put_i64(out, req->producer_id);
    buf_put_i16(out, req->producer_epoch);
    kafka_wire_put_topic_partitions(&e, req->topics, req->ntopics);
    kafka_wire_put_tags(&e);
}

void kafka_add_partitions_to_txn_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_add_partitions_to_txn_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_ADD_PARTITIONS_TO_TXN, version);
    buf_put_i32(out, resp->throttle_time_ms);
    kafka_wire_put_topic_errors(&e, resp->topics, resp->ntopics);
    kafka_wire_put_tags(&e);
}

/* --- AddOffsetsToTxn ----------------------------------------------------- */

int kafka_add_offsets_to_txn_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_add_offsets_to_txn_request *out)
{
    struct kafka_dec d;
    int rc =
        kafka_wire_dec_begin(&d, r, a, KAFKA_API_ADD_OFFSETS_TO_TXN, version);
    if (rc)
        return rc;
    out->transactional_id = kafka_wire_read_string(&d, false);
    out->producer_id = buf_read_i64(r);
    out->producer_epoch = buf_read_i16(r);
    out->group_id = kafka_wire_read_string(&d, false);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_add_offsets_to_txn_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_add_offsets_to_txn_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_ADD_OFFSETS_TO_TXN, version);
    kafka_wire_put_string(&e, req->transactional_id, false);
    buf_put_i64(out, req->producer_id);
    buf_put_i16(out, req->producer_epoch);
    kafka_wire_put_string(&e, req->group_id, false);
    kafka_wire_put_tags(&e);
}

void kafka_add_offsets_to_txn_response_encode(
    struct buf *out, int16_t version, const struct kafka_error_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_ADD_OFFSETS_TO_TXN, version);
    buf_put_i32(out, resp->throttle_time_ms);
    buf_put_i16(out, resp->error_code);
    kafka_wire_put_tags(&e);
}

/* --- EndTxn -------------------------------------------------------------- */

int kafka_end_txn_request_decode(struct buf_reader *r, int16_t version,
                                 struct arena *a,
                                 struct kafka_end_txn_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_END_TXN, version);
    if (rc)
        return rc;
    out->transactional_id = kafka_wire_read_string(&d, false);
    out->producer_id = buf_read_i64(r);
    out->producer_epoch = buf_read_i16(r);
    out->committed = kafka_wire_read_bool(&d);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_end_txn_request_encode(struct buf *out, int16_t version,
                                  const struct kafka_end_txn_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_END_TXN, version);
    kafka_wire_put_string(&e, req->transactional_id, false);
    buf_put_i64(out, req->producer_id);
    buf_put_i16(out, req->producer_epoch);
    kafka_wire_put_bool(&e, req->committed);
    kafka_wire_put_tags(&e);
}

void kafka_end_txn_response_encode(struct buf *out, int16_t version,
                                   const struct kafka_error_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_END_TXN, version);
    buf_put_i32(out, resp->throttle_time_ms);
    buf_put_i16(out, resp->error_code);
    kafka_wire_put_tags(&e);
}

/* --- TxnOffsetCommit ----------------------------------------------------- */

int kafka_txn_offset_commit_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_txn_offset_commit_request *out)
{
    struct kafka_dec d;
    int rc =
        kafka_wire_dec_begin(&d, r, a, KAFKA_API_TXN_OFFSET_COMMIT, version);
    if (rc)
        return rc;
    out->transactional_id = kafka_wire_read_string(&d, false);
    out->group_id = kafka_wire_read_string(&d, false);
    out->producer_id = buf_read_i64(r);
    out->producer_epoch = buf_read_i16(r);
    out->topics =
        kafka_wire_read_commit_topics(&d, version >= 2, false, &out->ntopics);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_txn_offset_commit_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_txn_offset_commit_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_TXN_OFFSET_COMMIT, version);
    kafka_wire_put_string(&e, req->transactional_id, false);
    kafka_wire_put_string(&e, req->group_id, false);
    buf_put_i64(out, req->producer_id);
    buf_put_i16(out, req->producer_epoch);
    kafka_wire_put_commit_topics(&e, version >= 2, false, req->topics,
                                 req->ntopics);
    kafka_wire_put_tags(&e);
}

void kafka_txn_offset_commit_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_txn_offset_commit_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_TXN_OFFSET_COMMIT, version);
    buf_put_i32(out, resp->throttle_time_ms);
    kafka_wire_put_topic_errors(&e, resp->topics, resp->ntopics);
    kafka_wire_put_tags(&e);
}

/* --- DescribeTransactions ------------------------------------------------ */

int kafka_describe_transactions_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_describe_transactions_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_DESCRIBE_TRANSACTIONS,
                                  version);
    if (rc)
        return rc;
    out->ids = kafka_wire_read_string_array(&d, &out->nids);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_describe_transactions_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_transactions_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DESCRIBE_TRANSACTIONS, version);
    kafka_wire_put_string_array(&e, req->ids, req->nids);
    kafka_wire_put_tags(&e);
}

void kafka_describe_transactions_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_transactions_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DESCRIBE_TRANSACTIONS, version);
    buf_put_i32(out, resp->throttle_time_ms);
    kafka_wire_put_array(&e, resp->n, false);
    for (size_t i = 0; i < resp->n; i++) {
        const struct kafka_txn_description *s = &resp->states[i];
        buf_put_i16(out, s->error_code);
        kafka_wire_put_string(&e, s->transactional_id, false);
        kafka_wire_put_string(&e, s->state, false);
        buf_put_i32(out, s->timeout_ms);
        buf_put_i64(out, s->start_ms);
        buf_put_i64(out, s->producer_id);
        buf_put_i32(out, s->producer_epoch);
        kafka_wire_put_topic_partitions(&e, s->topics, s->ntopics);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

/* --- ListTransactions ---------------------------------------------------- */

int kafka_list_transactions_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_list_transactions_request *out)
{
    struct kafka_dec d;
    int rc =
        kafka_wire_dec_begin(&d, r, a, KAFKA_API_LIST_TRANSACTIONS, version);
    if (rc)
        return rc;
    out->state_filters = kafka_wire_read_string_array(&d, &out->nstates);
    out->npids = kafka_wire_read_array(&d, 8, false, NULL);
    out->pid_filters = kafka_wire_alloc(&d, out->npids, sizeof(int64_t));
    for (size_t i = 0; i < out->npids; i++)
        out->pid_filters[i] = buf_read_i64(r);
    out->duration_filter = version >= 1 ? buf_read_i64(r) : -1;
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_list_transactions_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_list_transactions_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_LIST_TRANSACTIONS, version);
    kafka_wire_put_string_array(&e, req->state_filters, req->nstates);
    kafka_wire_put_array(&e, req->npids, false);
    for (size_t i = 0; i < req->npids; i++)
        buf_put_i64(out, req->pid_filters[i]);
    if (version >= 1)
        buf_put_i64(out, req->duration_filter);
    kafka_wire_put_tags(&e);
}

void kafka_list_transactions_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_list_transactions_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_LIST_TRANSACTIONS, version);
    buf_put_i32(out, resp->throttle_time_ms);
    buf_put_i16(out, resp->error_code);
    kafka_wire_put_string_array(&e, resp->unknown_state_filters,
                                resp->nunknown);
    kafka_wire_put_array(&e, resp->n, false);
    for (size_t i = 0; i < resp->n; i++) {
        kafka_wire_put_string(&e, resp->states[i].transactional_id, false);
        buf_put_i64(out, resp->states[i].producer_id);
        kafka_wire_put_string(&e, resp->states[i].state, false);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}
