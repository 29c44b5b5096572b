/* kafka_produce.c - Produce (0) v3-11 request/response codec (layer:
 * kafka; no I/O). The records field is handed out as the raw RecordBatch
 * bytes; validating and storing them is the log's and broker's job.
 *
 * Request v3-11 (identical but for the compact encoding from v9):
 *   transactional_id nullable STRING, acks int16, timeout_ms int32,
 *   topics ARRAY[name STRING, partitions ARRAY[index int32,
 *                                             records nullable BYTES]]
 * Response:
 *   topics ARRAY[name STRING, partitions ARRAY[index int32, error_code int16,
 *     base_offset int64, log_append_time_ms int64 (v2+),
 *     log_start_offset int64 (v5+), record_errors ARRAY[batch_index int32,
 *     message nullable STRING] (v8+), error_message nullable STRING (v8+)]],
 *   throttle_time_ms int32 (LAST)
 * v10-11 add tagged fields (the new leader after NOT_LEADER_OR_FOLLOWER)
 * that a single node never sends.
 */
#include "kafka/kafka_proto.h"
#include "kafka/kafka_wire.h"

int kafka_produce_request_decode(struct buf_reader *r, int16_t version,
                                 struct arena *a,
                                 struct kafka_produce_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_PRODUCE, version);
    if (rc)
        return rc;
    out->transactional_id = kafka_wire_read_string(&d, true);
    out->acks = buf_read_i16(r);
    out->timeout_ms = buf_read_i32(r);
    out->ntopics = kafka_wire_read_array(&d, d.flex ? 3 : 6, false, NULL);
    out->topics = kafka_wire_alloc(&d, out->ntopics, sizeof(*out->topics));
    for (size_t i = 0; i < out->ntopics; i++) {
        struct kafka_produce_topic *t = &out->topics[i];
        t->name = kafka_wire_read_string(&d, false);
        t->npartitions = kafka_wire_read_array(&d, d.flex ? 6 : 8, false, NULL);
        t->partitions =
            kafka_wire_alloc(&d, t->npartitions, sizeof(*t->partitions));
        for (size_t j = 0; j < t->npartitions; j++) {
            t->partitions[j].partition_index = buf_read_i32(r);
            t->partitions[j].records = kafka_wire_read_bytes(&d, true);
            kafka_wire_read_tags(&d);
        }
        kafka_wire_read_tags(&d);
    }
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_produce_request_encode(struct buf *out, int16_t version,
                                  const struct kafka_produce_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_PRODUCE, version);
    kafka_wire_put_string(&e, req->transactional_id, true);
    buf_put_i16(out, req->acks);
    buf_put_i32(out, req->timeout_ms);
    kafka_wire_put_array(&e, req->ntopics, false);
    for (size_t i = 0; i < req->ntopics; i++) {
        const struct kafka_produce_topic *t = &req->topics[i];
        kafka_wire_put_string(&e, t->name, false);
        kafka_wire_put_array(&e, t->npartitions, false);
        for (size_t j = 0; j < t->npartitions; j++) {
            buf_put_i32(out, t->partitions[j].partition_index);
            kafka_wire_put_bytes(&e, t->partitions[j].records, true);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

void kafka_produce_response_encode(struct buf *out, int16_t version,
                                   const struct kafka_produce_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_PRODUCE, version);
    kafka_wire_put_array(&e, resp->ntopics, false);
    for (size_t i = 0; i < resp->ntopics; i++) {
        const struct kafka_produce_topic_response *t = &resp->topics[i];
        kafka_wire_put_string(&e, t->name, false);
        kafka_wire_put_array(&e, t->npartitions, false);
        for (size_t j = 0; j < t->npartitions; j++) {
            const struct kafka_produce_partition_response *p =
                &t->partitions[j];
            buf_put_i32(out, p->partition_index);
            buf_put_i16(out, p->error_code);
            buf_put_i64(out, p->base_offset);
            if (version >= 2)
                buf_put_i64(out, p->log_append_time_ms);
            if (version >= 5)
                buf_put_i64(out, p->log_start_offset);
            if (version >= 8) {
                kafka_wire_put_array(&e, p->nrecord_errors, false);
                for (size_t k = 0; k < p->nrecord_errors; k++) {
                    buf_put_i32(out, p->record_errors[k].batch_index);
                    kafka_wire_put_string(&e, p->record_errors[k].message,
                                          true);
                    kafka_wire_put_tags(&e);
                }
                kafka_wire_put_string(&e, p->error_message, true);
            }
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    buf_put_i32(out, resp->throttle_time_ms);
    kafka_wire_put_tags(&e);
}

int kafka_produce_response_decode(struct buf_reader *r, int16_t version,
                                  struct arena *a,
                                  struct kafka_produce_response *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_PRODUCE, version);
    if (rc)
        return rc;
    out->ntopics = kafka_wire_read_array(&d, 6, false, NULL);
    out->topics = kafka_wire_alloc(&d, out->ntopics, sizeof(*out->topics));
    for (size_t i = 0; i < out->ntopics; i++) {
        struct kafka_produce_topic_response *t = &out->topics[i];
        t->name = kafka_wire_read_string(&d, false);
        t->npartitions = kafka_wire_read_array(&d, 14, false, NULL);
        t->partitions =
            kafka_wire_alloc(&d, t->npartitions, sizeof(*t->partitions));
        for (size_t j = 0; j < t->npartitions; j++) {
            struct kafka_produce_partition_response *p = &t->partitions[j];
            p->partition_index = buf_read_i32(r);
            p->error_code = buf_read_i16(r);
            p->base_offset = buf_read_i64(r);
            p->log_append_time_ms = version >= 2 ? buf_read_i64(r) : -1;
            p->log_start_offset = version >= 5 ? buf_read_i64(r) : -1;
            p->nrecord_errors = 0;
            p->record_errors = NULL;
            p->error_message = slice_make(NULL, 0);
            if (version >= 8) {
                p->nrecord_errors = kafka_wire_read_array(&d, 2, false, NULL);
                p->record_errors = kafka_wire_alloc(&d, p->nrecord_errors,
                                                    sizeof(*p->record_errors));
                for (size_t k = 0; k < p->nrecord_errors; k++) {
                    p->record_errors[k].batch_index = buf_read_i32(r);
                    p->record_errors[k].message =
                        kafka_wire_read_string(&d, true);
                    kafka_wire_read_tags(&d);
                }
                p->error_message = kafka_wire_read_string(&d, true);
            }
            kafka_wire_read_tags(&d);
        }
        kafka_wire_read_tags(&d);
    }
    out->throttle_time_ms = buf_read_i32(r);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}
