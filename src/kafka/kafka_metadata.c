/* kafka_metadata.c - Metadata (3) v0-12 request/response codec
 * (layer: kafka; no I/O).
 *
 * Request: topics ARRAY[{topic_id UUID (v10+), name STRING (nullable v10+),
 *   tags}] (v1+: null = all topics; v0: empty = all topics),
 *   allow_auto_topic_creation bool (v4+),
 *   include_cluster_authorized_operations bool (v8-10),
 *   include_topic_authorized_operations bool (v8+), tags
 * Response: throttle_time_ms int32 (v3+), brokers ARRAY[node_id int32,
 *   host STRING, port int32, rack nullable STRING (v1+), tags],
 *   cluster_id nullable STRING (v2+), controller_id int32 (v1+),
 *   topics ARRAY[error_code int16, name STRING (nullable v12+),
 *   topic_id UUID (v10+), is_internal bool (v1+), partitions ARRAY[
 *   error_code int16, partition_index int32, leader_id int32,
 *   leader_epoch int32 (v7+), replica_nodes ARRAY[int32],
 *   isr_nodes ARRAY[int32], offline_replicas ARRAY[int32] (v5+), tags],
 *   topic_authorized_operations int32 (v8+), tags],
 *   cluster_authorized_operations int32 (v8-10), tags
 * Flexible (compact, tagged) from v9. A UUID is 16 raw bytes.
 */
#include <string.h>

#include "kafka/kafka_proto.h"
#include "kafka/kafka_wire.h"

static void read_uuid(struct kafka_dec *d, struct kafka_uuid *u)
{
    for (size_t i = 0; i < sizeof(u->b); i++)
        u->b[i] = buf_read_u8(d->r);
}

static void put_uuid(struct buf *out, const struct kafka_uuid *u)
{
    static const struct kafka_uuid zero;
    buf_put(out, u ? u->b : zero.b, sizeof(zero.b));
}

int kafka_metadata_request_decode(struct buf_reader *r, int16_t version,
                                  struct arena *a,
                                  struct kafka_metadata_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_METADATA, version);
    if (rc)
        return rc;
    size_t min_elem = version >= 10 ? 17 : 1 + (version < 9);
    out->ntopics =
        kafka_wire_read_array(&d, min_elem, version >= 1, &out->topics_null);
    out->topics = kafka_wire_alloc(&d, out->ntopics, sizeof(*out->topics));
    out->topic_ids = NULL;
    if (version >= 10)
        out->topic_ids =
            kafka_wire_alloc(&d, out->ntopics, sizeof(*out->topic_ids));
    for (size_t i = 0; i < out->ntopics; i++) {
        if (version >= 10)
            read_uuid(&d, &out->topic_ids[i]);
        out->topics[i] = kafka_wire_read_string(&d, version >= 10);
        kafka_wire_read_tags(&d);
    }
    out->allow_auto_topic_creation = true;
    if (version >= 4)
        out->allow_auto_topic_creation = kafka_wire_read_bool(&d);
    out->include_cluster_authorized_operations = false;
    out->include_topic_authorized_operations = false;
    if (version >= 8 && version <= 10)
        out->include_cluster_authorized_operations = kafka_wire_read_bool(&d);
    if (version >= 8)
        out->include_topic_authorized_operations = kafka_wire_read_bool(&d);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_metadata_request_encode(struct buf *out, int16_t version,
                                   const struct kafka_metadata_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_METADATA, version);
    bool null = version >= 1 && req->topics_null;
    kafka_wire_put_array(&e, req->ntopics, null);
    for (size_t i = 0; i < req->ntopics && !null; i++) {
        if (version >= 10)
            put_uuid(out, req->topic_ids ? &req->topic_ids[i] : NULL);
        kafka_wire_put_string(&e, req->topics[i], version >= 10);
        kafka_wire_put_tags(&e);
    }
    if (version >= 4)
        kafka_wire_put_bool(&e, req->allow_auto_topic_creation);
    if (version >= 8 && version <= 10)
        kafka_wire_put_bool(&e, req->include_cluster_authorized_operations);
    if (version >= 8)
        kafka_wire_put_bool(&e, req->include_topic_authorized_operations);
    kafka_wire_put_tags(&e);
}

void kafka_metadata_response_encode(struct buf *out, int16_t version,
                                    const struct kafka_metadata_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_METADATA, version);
    if (version >= 3)
        buf_put_i32(out, resp->throttle_time_ms);
    kafka_wire_put_array(&e, resp->nbrokers, false);
    for (size_t i = 0; i < resp->nbrokers; i++) {
        const struct kafka_metadata_broker *b = &resp->brokers[i];
        buf_put_i32(out, b->node_id);
        kafka_wire_put_string(&e, b->host, false);
        buf_put_i32(out, b->port);
        if (version >= 1)
            kafka_wire_put_string(&e, b->rack, true);
        kafka_wire_put_tags(&e);
    }
    if (version >= 2)
        kafka_wire_put_string(&e, resp->cluster_id, true);
    if (version >= 1)
        buf_put_i32(out, resp->controller_id);
    kafka_wire_put_array(&e, resp->ntopics, false);
    for (size_t i = 0; i < resp->ntopics; i++) {
        const struct kafka_metadata_topic *t = &resp->topics[i];
        buf_put_i16(out, t->error_code);
        kafka_wire_put_string(&e, t->name, version >= 12);
        if (version >= 10)
            put_uuid(out, &t->topic_id);
        if (version >= 1)
            kafka_wire_put_bool(&e, t->is_internal);
        kafka_wire_put_array(&e, t->npartitions, false);
        for (size_t j = 0; j < t->npartitions; j++) {
            const struct kafka_metadata_partition *p = &t->partitions[j];
            buf_put_i16(out, p->error_code);
            buf_put_i32(out, p->partition_index);
            buf_put_i32(out, p->leader_id);
            if (version >= 7)
                buf_put_i32(out, p->leader_epoch);
            kafka_wire_put_i32_array(&e, p->replicas, p->nreplicas);
            kafka_wire_put_i32_array(&e, p->isr, p->nisr);
            if (version >= 5)
                kafka_wire_put_i32_array(&e, p->offline, p->noffline);
            kafka_wire_put_tags(&e);
        }
        if (version >= 8)
            buf_put_i32(out, t->topic_authorized_operations);
        kafka_wire_put_tags(&e);
    }
    if (version >= 8 && version <= 10)
        buf_put_i32(out, resp->cluster_authorized_operations);
    kafka_wire_put_tags(&e);
}

int kafka_metadata_response_decode(struct buf_reader *r, int16_t version,
                                   struct arena *a,
                                   struct kafka_metadata_response *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_METADATA, version);
    if (rc)
        return rc;
    out->throttle_time_ms = version >= 3 ? buf_read_i32(r) : 0;
    out->nbrokers = kafka_wire_read_array(&d, 10, false, NULL);
    out->brokers = kafka_wire_alloc(&d, out->nbrokers, sizeof(*out->brokers));
    for (size_t i = 0; i < out->nbrokers; i++) {
        struct kafka_metadata_broker *b = &out->brokers[i];
        b->node_id = buf_read_i32(r);
        b->host = kafka_wire_read_string(&d, false);
        b->port = buf_read_i32(r);
        b->rack = slice_make(NULL, 0);
        if (version >= 1)
            b->rack = kafka_wire_read_string(&d, true);
        kafka_wire_read_tags(&d);
    }
    out->cluster_id = slice_make(NULL, 0);
    if (version >= 2)
        out->cluster_id = kafka_wire_read_string(&d, true);
    out->controller_id = version >= 1 ? buf_read_i32(r) : -1;
    out->ntopics = kafka_wire_read_array(&d, 8, false, NULL);
    out->topics = kafka_wire_alloc(&d, out->ntopics, sizeof(*out->topics));
    for (size_t i = 0; i < out->ntopics; i++) {
        struct kafka_metadata_topic *t = &out->topics[i];
        t->error_code = buf_read_i16(r);
        t->name = kafka_wire_read_string(&d, version >= 12);
        memset(&t->topic_id, 0, sizeof(t->topic_id));
        if (version >= 10)
            read_uuid(&d, &t->topic_id);
        t->is_internal = version >= 1 ? kafka_wire_read_bool(&d) : false;
        t->npartitions = kafka_wire_read_array(&d, 18, false, NULL);
        t->partitions =
            kafka_wire_alloc(&d, t->npartitions, sizeof(*t->partitions));
        for (size_t j = 0; j < t->npartitions; j++) {
            struct kafka_metadata_partition *p = &t->partitions[j];
            p->error_code = buf_read_i16(r);
            p->partition_index = buf_read_i32(r);
            p->leader_id = buf_read_i32(r);
            p->leader_epoch = version >= 7 ? buf_read_i32(r) : -1;
            p->replicas = kafka_wire_read_i32_array(&d, &p->nreplicas);
            p->isr = kafka_wire_read_i32_array(&d, &p->nisr);
            p->noffline = 0;
            p->offline = NULL;
            if (version >= 5)
                p->offline = kafka_wire_read_i32_array(&d, &p->noffline);
            kafka_wire_read_tags(&d);
        }
        t->topic_authorized_operations =
            version >= 8 ? buf_read_i32(r) : INT32_MIN;
        kafka_wire_read_tags(&d);
    }
    out->cluster_authorized_operations =
        version >= 8 && version <= 10 ? buf_read_i32(r) : INT32_MIN;
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}
