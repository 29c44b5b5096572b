/* kafka_fetch.c - Fetch (1) v4-17 and ListOffsets (2) v1-9 codecs
 * (layer: kafka; no I/O). The Fetch response encoder leaves each spliced
 * partition's records out of the buffer and reports where they go, so the
 * broker can send segment file ranges with sendfile in between.
 *
 * Fetch request:
 *   replica_id int32, max_wait_ms int32, min_bytes int32, max_bytes int32
 *   (v3+), isolation_level int8 (v4+), session_id int32 (v7+),
 *   session_epoch int32 (v7+), topics ARRAY[topic STRING, partitions
 *   ARRAY[partition int32, current_leader_epoch int32 (v9+), fetch_offset
 *   int64, last_fetched_epoch int32 (v12+), log_start_offset int64 (v5+),
 *   partition_max_bytes int32]], forgotten_topics ARRAY[topic STRING,
 *   partitions ARRAY[int32]] (v7+), rack_id STRING (v11+)
 *   v12+ is flexible; its tagged fields (cluster_id; in the response
 *   diverging_epoch, current_leader, snapshot_id) are skipped / never sent:
 *   with one node and no leader epochs nothing ever diverges.
 *   v13+ name topics (and forgotten topics) by topic_id UUID instead of the
 *   name, in the response too; v15 moves replica_id into a tagged
 *   replica_state (skipped: consumers send -1); v16's node_endpoints and
 *   v17's replica_directory_id are tagged (never needed by one node).
 * Fetch response:
 *   throttle_time_ms int32, error_code int16 (v7+), session_id int32 (v7+),
 *   responses ARRAY[topic STRING, partitions ARRAY[partition int32,
 *   error_code int16, high_watermark int64, last_stable_offset int64,
 *   log_start_offset int64 (v5+), aborted_transactions nullable
 *   ARRAY[producer_id int64, first_offset int64], preferred_read_replica
 *   int32 (v11+), records nullable BYTES]]
 * ListOffsets request:
 *   replica_id int32, isolation_level int8 (v2+), topics ARRAY[name STRING,
 *   partitions ARRAY[partition_index int32, current_leader_epoch int32
 *   (v4+), timestamp int64]]
 * ListOffsets response:
 *   throttle_time_ms int32 (v2+), topics ARRAY[name STRING, partitions
 *   ARRAY[partition_index int32, error_code int16, timestamp int64,
 *   offset int64, leader_epoch int32 (v4+)]]; flexible from v6
 */
#include "kafka/kafka_proto.h"
#include "kafka/kafka_wire.h"

static void read_uuid(struct kafka_dec *d, struct kafka_uuid *u)
{
    for (size_t i = 0; i < sizeof(u->b); i++)
        u->b[i] = buf_read_u8(d->r);
}

int kafka_fetch_request_decode(struct buf_reader *r, int16_t version,
                               struct arena *a, struct kafka_fetch_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_FETCH, version);
    if (rc)
        return rc;
    out->replica_id = version <= 14 ? buf_read_i32(r) : -1; /* v15: a tag */
    out->max_wait_ms = buf_read_i32(r);
    out->min_bytes = buf_read_i32(r);
    out->max_bytes = buf_read_i32(r);
    out->isolation_level = (int8_t)buf_read_u8(r);
    out->session_id = 0;
    out->session_epoch = -1;
    if (version >= 7) {
        out->session_id = buf_read_i32(r);
        out->session_epoch = buf_read_i32(r);
    }
    size_t psize = 16 + (version >= 5 ? 8 : 0) + (version >= 9 ? 4 : 0);
    out->ntopics = kafka_wire_read_array(&d, d.flex ? 3 : 6, false, NULL);
    out->topics = kafka_wire_alloc(&d, out->ntopics, sizeof(*out->topics));
    for (size_t i = 0; i < out->ntopics; i++) {
        struct kafka_fetch_topic *t = &out->topics[i];
        if (version >= 13)
            read_uuid(&d, &t->topic_id);
        else
            t->name = kafka_wire_read_string(&d, false);
        t->npartitions = kafka_wire_read_array(&d, psize, false, NULL);
        t->partitions =
            kafka_wire_alloc(&d, t->npartitions, sizeof(*t->partitions));
        for (size_t j = 0; j < t->npartitions; j++) {
            struct kafka_fetch_partition *p = &t->partitions[j];
            p->partition_index = buf_read_i32(r);
            p->current_leader_epoch = version >= 9 ? buf_read_i32(r) : -1;
            p->fetch_offset = buf_read_i64(r);
            p->last_fetched_epoch = version >= 12 ? buf_read_i32(r) : -1;
            p->log_start_offset = version >= 5 ? buf_read_i64(r) : -1;
            p->partition_max_bytes = buf_read_i32(r);
            kafka_wire_read_tags(&d);
        }
        kafka_wire_read_tags(&d);
    }
    out->nforgotten = 0;
    out->forgotten = NULL;
    out->forgotten_ids = NULL;
    if (version >= 7) {
        out->nforgotten =
            kafka_wire_read_array(&d, d.flex ? 3 : 6, false, NULL);
        out->forgotten =
            kafka_wire_alloc(&d, out->nforgotten, sizeof(*out->forgotten));
        if (version >= 13)
            out->forgotten_ids = kafka_wire_alloc(&d, out->nforgotten,
                                                  sizeof(*out->forgotten_ids));
        for (size_t i = 0; i < out->nforgotten; i++) {
            struct kafka_topic_partitions *t = &out->forgotten[i];
            if (version >= 13)
                read_uuid(&d, &out->forgotten_ids[i]);
            else
                t->name = kafka_wire_read_string(&d, false);
            t->partitions = kafka_wire_read_i32_array(&d, &t->npartitions);
            kafka_wire_read_tags(&d);
        }
    }
    out->rack_id = slice_make(NULL, 0);
    if (version >= 11)
        out->rack_id = kafka_wire_read_string(&d, false);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_fetch_request_encode(struct buf *out, int16_t version,
                                const struct kafka_fetch_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_FETCH, version);
    if (version <= 14)
        buf_put_i32(out, req->replica_id);
    buf_put_i32(out, req->max_wait_ms);
    buf_put_i32(out, req->min_bytes);
    buf_put_i32(out, req->max_bytes);
    buf_put_u8(out, (uint8_t)req->isolation_level);
    if (version >= 7) {
        buf_put_i32(out, req->session_id);
        buf_put_i32(out, req->session_epoch);
    }
    kafka_wire_put_array(&e, req->ntopics, false);
    for (size_t i = 0; i < req->ntopics; i++) {
        const struct kafka_fetch_topic *t = &req->topics[i];
        if (version >= 13)
            buf_put(out, t->topic_id.b, sizeof t->topic_id.b);
        else
            kafka_wire_put_string(&e, t->name, false);
        kafka_wire_put_array(&e, t->npartitions, false);
        for (size_t j = 0; j < t->npartitions; j++) {
            const struct kafka_fetch_partition *p = &t->partitions[j];
            buf_put_i32(out, p->partition_index);
            if (version >= 9)
                buf_put_i32(out, p->current_leader_epoch);
            buf_put_i64(out, p->fetch_offset);
            if (version >= 12)
                buf_put_i32(out, p->last_fetched_epoch);
            if (version >= 5)
                buf_put_i64(out, p->log_start_offset);
            buf_put_i32(out, p->partition_max_bytes);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    if (version >= 7) {
        kafka_wire_put_array(&e, req->nforgotten, false);
        for (size_t i = 0; i < req->nforgotten; i++) {
            if (version >= 13) {
                static const struct kafka_uuid zero;
                const struct kafka_uuid *u =
                    req->forgotten_ids ? &req->forgotten_ids[i] : &zero;
                buf_put(out, u->b, sizeof u->b);
            } else {
                kafka_wire_put_string(&e, req->forgotten[i].name, false);
            }
            kafka_wire_put_i32_array(&e, req->forgotten[i].partitions,
                                     req->forgotten[i].npartitions);
            kafka_wire_put_tags(&e);
        }
    }
    if (version >= 11)
        kafka_wire_put_string(&e, req->rack_id, false);
    kafka_wire_put_tags(&e);
}

void kafka_fetch_response_encode(struct buf *out, int16_t version,
                                 const struct kafka_fetch_response *resp,
                                 kafka_fetch_splice_fn *splice, void *arg)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_FETCH, version);
    buf_put_i32(out, resp->throttle_time_ms);
    if (version >= 7) {
        buf_put_i16(out, resp->error_code);
        buf_put_i32(out, resp->session_id);
    }
    kafka_wire_put_array(&e, resp->ntopics, false);
    for (size_t i = 0; i < resp->ntopics; i++) {
        const struct kafka_fetch_topic_response *t = &resp->topics[i];
        if (version >= 13)
            buf_put(out, t->topic_id.b, sizeof t->topic_id.b);
        else
            kafka_wire_put_string(&e, t->name, false);
        kafka_wire_put_array(&e, t->npartitions, false);
        for (size_t j = 0; j < t->npartitions; j++) {
            const struct kafka_fetch_partition_response *p = &t->partitions[j];
            buf_put_i32(out, p->partition_index);
            buf_put_i16(out, p->error_code);
            buf_put_i64(out, p->high_watermark);
            buf_put_i64(out, p->last_stable_offset);
            if (version >= 5)
                buf_put_i64(out, p->log_start_offset);
            kafka_wire_put_array(&e, p->naborted, p->aborted_null);
            for (size_t k = 0; !p->aborted_null && k < p->naborted; k++) {
                buf_put_i64(out, p->aborted[k].producer_id);
                buf_put_i64(out, p->aborted[k].first_offset);
                kafka_wire_put_tags(&e);
            }
            if (version >= 11)
                buf_put_i32(out, p->preferred_read_replica);
            if (p->records_splice) {
                if (e.flex)
                    buf_put_uvarint(out, (uint64_t)p->records_splice_len + 1);
                else
                    buf_put_i32(out, (int32_t)p->records_splice_len);
                if (splice)
                    splice(arg, i, j, out->len, p->records_splice_len);
            } else {
                kafka_wire_put_bytes(&e, p->records, true);
            }
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

size_t kafka_fetch_response_splice_bytes(const struct kafka_fetch_response *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->ntopics; i++)
        for (size_t j = 0; j < r->topics[i].npartitions; j++)
            if (r->topics[i].partitions[j].records_splice)
                n += r->topics[i].partitions[j].records_splice_len;
    return n;
}

int kafka_fetch_response_decode(struct buf_reader *r, int16_t version,
                                struct arena *a,
                                struct kafka_fetch_response *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_FETCH, version);
    if (rc)
        return rc;
    out->throttle_time_ms = buf_read_i32(r);
    out->error_code = 0;
    out->session_id = 0;
    if (version >= 7) {
        out->error_code = buf_read_i16(r);
        out->session_id = buf_read_i32(r);
    }
    out->ntopics = kafka_wire_read_array(&d, 6, false, NULL);
    out->topics = kafka_wire_alloc(&d, out->ntopics, sizeof(*out->topics));
    for (size_t i = 0; i < out->ntopics; i++) {
        struct kafka_fetch_topic_response *t = &out->topics[i];
        if (version >= 13)
            read_uuid(&d, &t->topic_id);
        else
            t->name = kafka_wire_read_string(&d, false);
        t->npartitions = kafka_wire_read_array(&d, 30, false, NULL);
        t->partitions =
            kafka_wire_alloc(&d, t->npartitions, sizeof(*t->partitions));
        for (size_t j = 0; j < t->npartitions; j++) {
            struct kafka_fetch_partition_response *p = &t->partitions[j];
            p->partition_index = buf_read_i32(r);
            p->error_code = buf_read_i16(r);
            p->high_watermark = buf_read_i64(r);
            p->last_stable_offset = buf_read_i64(r);
            p->log_start_offset = version >= 5 ? buf_read_i64(r) : -1;
            p->naborted = kafka_wire_read_array(&d, 16, true, &p->aborted_null);
            p->aborted = kafka_wire_alloc(&d, p->naborted, sizeof(*p->aborted));
            for (size_t k = 0; k < p->naborted; k++) {
                p->aborted[k].producer_id = buf_read_i64(r);
                p->aborted[k].first_offset = buf_read_i64(r);
                kafka_wire_read_tags(&d);
            }
            p->preferred_read_replica = version >= 11 ? buf_read_i32(r) : -1;
            p->records = kafka_wire_read_bytes(&d, true);
            p->records_splice = false;
            p->records_splice_len = 0;
            kafka_wire_read_tags(&d);
        }
        kafka_wire_read_tags(&d);
    }
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

/* --- ListOffsets --------------------------------------------------------- */

int kafka_list_offsets_request_decode(struct buf_reader *r, int16_t version,
                                      struct arena *a,
                                      struct kafka_list_offsets_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_LIST_OFFSETS, version);
    if (rc)
        return rc;
    out->replica_id = buf_read_i32(r);
    out->isolation_level = version >= 2 ? (int8_t)buf_read_u8(r) : 0;
    out->ntopics = kafka_wire_read_array(&d, d.flex ? 3 : 6, false, NULL);
    out->topics = kafka_wire_alloc(&d, out->ntopics, sizeof(*out->topics));
    for (size_t i = 0; i < out->ntopics; i++) {
        struct kafka_list_offsets_topic *t = &out->topics[i];
        t->name = kafka_wire_read_string(&d, false);
        t->npartitions = kafka_wire_read_array(&d, 12, false, NULL);
        t->partitions =
            kafka_wire_alloc(&d, t->npartitions, sizeof(*t->partitions));
        for (size_t j = 0; j < t->npartitions; j++) {
            t->partitions[j].partition_index = buf_read_i32(r);
            t->partitions[j].current_leader_epoch =
                version >= 4 ? buf_read_i32(r) : -1;
            t->partitions[j].timestamp = buf_read_i64(r);
            kafka_wire_read_tags(&d);
        }
        kafka_wire_read_tags(&d);
    }
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_list_offsets_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_list_offsets_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_LIST_OFFSETS, version);
    buf_put_i32(out, req->replica_id);
    if (version >= 2)
        buf_put_u8(out, (uint8_t)req->isolation_level);
    kafka_wire_put_array(&e, req->ntopics, false);
    for (size_t i = 0; i < req->ntopics; i++) {
        const struct kafka_list_offsets_topic *t = &req->topics[i];
        kafka_wire_put_string(&e, t->name, false);
        kafka_wire_put_array(&e, t->npartitions, false);
        for (size_t j = 0; j < t->npartitions; j++) {
            buf_put_i32(out, t->partitions[j].partition_index);
            if (version >= 4)
                buf_put_i32(out, t->partitions[j].current_leader_epoch);
            buf_put_i64(out, t->partitions[j].timestamp);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

void kafka_list_offsets_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_list_offsets_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_LIST_OFFSETS, version);
    if (version >= 2)
        buf_put_i32(out, resp->throttle_time_ms);
    kafka_wire_put_array(&e, resp->ntopics, false);
    for (size_t i = 0; i < resp->ntopics; i++) {
        const struct kafka_list_offsets_topic_response *t = &resp->topics[i];
        kafka_wire_put_string(&e, t->name, false);
        kafka_wire_put_array(&e, t->npartitions, false);
        for (size_t j = 0; j < t->npartitions; j++) {
            const struct kafka_list_offsets_partition_response *p =
                &t->partitions[j];
            buf_put_i32(out, p->partition_index);
            buf_put_i16(out, p->error_code);
            buf_put_i64(out, p->timestamp);
            buf_put_i64(out, p->offset);
            if (version >= 4)
                buf_put_i32(out, p->leader_epoch);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

int kafka_list_offsets_response_decode(struct buf_reader *r, int16_t version,
                                       struct arena *a,
                                       struct kafka_list_offsets_response *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_LIST_OFFSETS, version);
    if (rc)
        return rc;
    out->throttle_time_ms = version >= 2 ? buf_read_i32(r) : 0;
    out->ntopics = kafka_wire_read_array(&d, 6, false, NULL);
    out->topics = kafka_wire_alloc(&d, out->ntopics, sizeof(*out->topics));
    for (size_t i = 0; i < out->ntopics; i++) {
        struct kafka_list_offsets_topic_response *t = &out->topics[i];
        t->name = kafka_wire_read_string(&d, false);
        t->npartitions = kafka_wire_read_array(&d, 22, false, NULL);
        t->partitions =
            kafka_wire_alloc(&d, t->npartitions, sizeof(*t->partitions));
        for (size_t j = 0; j < t->npartitions; j++) {
            struct kafka_list_offsets_partition_response *p = &t->partitions[j];
            p->partition_index = buf_read_i32(r);
            p->error_code = buf_read_i16(r);
            p->timestamp = buf_read_i64(r);
            p->offset = buf_read_i64(r);
            p->leader_epoch = version >= 4 ? buf_read_i32(r) : -1;
            kafka_wire_read_tags(&d);
        }
        kafka_wire_read_tags(&d);
    }
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}
