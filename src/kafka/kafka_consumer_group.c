/* kafka_consumer_group.c - the consumer group protocol of KIP-848:
 * ConsumerGroupHeartbeat (68) v0 and ConsumerGroupDescribe (69) v0, both
 * flexible (layer: kafka; no I/O).
 *
 * ConsumerGroupHeartbeat req: group_id STRING, member_id STRING,
 *   member_epoch int32, instance_id nullable STRING, rack_id nullable
 *   STRING, rebalance_timeout_ms int32, subscribed_topic_names nullable
 *   ARRAY[STRING], server_assignor nullable STRING, topic_partitions
 *   nullable ARRAY[topic_id UUID, partitions ARRAY[int32]]
 *   resp: throttle int32, error_code int16, error_message nullable STRING,
 *   member_id nullable STRING, member_epoch int32, heartbeat_interval_ms
 *   int32, assignment nullable STRUCT{topic_partitions ARRAY[topic_id,
 *   partitions]} (a nullable struct: int8 -1 null / 1 present)
 * ConsumerGroupDescribe req: group_ids ARRAY[STRING],
 *   include_authorized_operations bool
 *   resp: throttle, groups ARRAY[error_code, error_message nullable,
 *   group_id, group_state STRING, group_epoch int32, assignment_epoch int32,
 *   assignor_name STRING, members ARRAY[member_id, instance_id nullable,
 *   rack_id nullable, member_epoch, client_id, client_host,
 *   subscribed_topic_names ARRAY[STRING], subscribed_topic_regex nullable,
 *   assignment STRUCT, target_assignment STRUCT], authorized_operations
 *   int32], the STRUCTs {topic_partitions ARRAY[topic_id, topic_name,
 *   partitions]}
 */
#include "kafka/kafka_proto.h"
#include "kafka/kafka_wire.h"

static void read_uuid(struct kafka_dec *d, struct kafka_uuid *u)
{
    for (size_t i = 0; i < sizeof(u->b); i++)
        u->b[i] = buf_read_u8(d->r);
}

/* ARRAY[topic_id, (topic_name,) partitions ARRAY[int32], tags] */
static struct kafka_cg_topic_partitions *
read_tps(struct kafka_dec *d, bool nullable, bool *is_null, size_t *n)
{
    *n = kafka_wire_read_array(d, 18, nullable, is_null);
    struct kafka_cg_topic_partitions *tps =
        kafka_wire_alloc(d, *n, sizeof(*tps));
    for (size_t i = 0; i < *n; i++) {
        read_uuid(d, &tps[i].topic_id);
        tps[i].partitions = kafka_wire_read_i32_array(d, &tps[i].npartitions);
        kafka_wire_read_tags(d);
    }
    return tps;
}

static void put_tps(struct kafka_enc *e, bool with_names,
                    const struct kafka_cg_topic_partitions *tps, size_t n)
{
    kafka_wire_put_array(e, n, false);
    for (size_t i = 0; i < n; i++) {
        buf_put(e->out, tps[i].topic_id.b, sizeof tps[i].topic_id.b);
        if (with_names)
            kafka_wire_put_string(e, tps[i].topic_name, false);
        kafka_wire_put_i32_array(e, tps[i].partitions, tps[i].npartitions);
        kafka_wire_put_tags(e);
    }
}

int kafka_cg_heartbeat_request_decode(struct buf_reader *r, int16_t version,
                                      struct arena *a,
                                      struct kafka_cg_heartbeat_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_CONSUMER_GROUP_HEARTBEAT,
                                  version);
    if (rc)
        return rc;
    out->group_id = kafka_wire_read_string(&d, false);
    out->member_id = kafka_wire_read_string(&d, false);
    out->member_epoch = buf_read_i32(r);
    out->instance_id = kafka_wire_read_string(&d, true);
    out->rack_id = kafka_wire_read_string(&d, true);
    out->rebalance_timeout_ms = buf_read_i32(r);
    out->ntopics = kafka_wire_read_array(&d, 1, true, &out->topics_null);
    out->subscribed_topic_names = kafka_wire_alloc(
        &d, out->ntopics, sizeof(*out->subscribed_topic_names));
    for (size_t i = 0; i < out->ntopics; i++)
        out->subscribed_topic_names[i] = kafka_wire_read_string(&d, false);
    out->server_assignor = kafka_wire_read_string(&d, true);
    out->owned = read_tps(&d, true, &out->owned_null, &out->nowned);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_cg_heartbeat_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_cg_heartbeat_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_CONSUMER_GROUP_HEARTBEAT, version);
    kafka_wire_put_string(&e, req->group_id, false);
    kafka_wire_put_string(&e, req->member_id, false);
    buf_put_i32(out, req->member_epoch);
    kafka_wire_put_string(&e, req->instance_id, true);
    kafka_wire_put_string(&e, req->rack_id, true);
    buf_put_i32(out, req->rebalance_timeout_ms);
    if (req->topics_null)
        kafka_wire_put_array(&e, 0, true);
    else
        kafka_wire_put_string_array(&e, req->subscribed_topic_names,
                                    req->ntopics);
    kafka_wire_put_string(&e, req->server_assignor, true);
    if (req->owned_null)
        kafka_wire_put_array(&e, 0, true);
    else
        put_tps(&e, false, req->owned, req->nowned);
    kafka_wire_put_tags(&e);
}

void kafka_cg_heartbeat_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_cg_heartbeat_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_CONSUMER_GROUP_HEARTBEAT, version);
    buf_put_i32(out, resp->throttle_time_ms);
    buf_put_i16(out, resp->error_code);
    kafka_wire_put_string(&e, resp->error_message, true);
    kafka_wire_put_string(&e, resp->member_id, true);
    buf_put_i32(out, resp->member_epoch);
    buf_put_i32(out, resp->heartbeat_interval_ms);
    if (!resp->has_assignment) {
        buf_put_u8(out, 0xff); /* null struct */
    } else {
        buf_put_u8(out, 1);
        put_tps(&e, false, resp->assigned, resp->nassigned);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

int kafka_cg_describe_request_decode(struct buf_reader *r, int16_t version,
                                     struct arena *a,
                                     struct kafka_cg_describe_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_CONSUMER_GROUP_DESCRIBE,
                                  version);
    if (rc)
        return rc;
    out->group_ids = kafka_wire_read_string_array(&d, &out->ngroups);
    out->include_authorized_operations = kafka_wire_read_bool(&d);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_cg_describe_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_cg_describe_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_CONSUMER_GROUP_DESCRIBE, version);
    kafka_wire_put_string_array(&e, req->group_ids, req->ngroups);
    kafka_wire_put_bool(&e, req->include_authorized_operations);
    kafka_wire_put_tags(&e);
}

void kafka_cg_describe_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_cg_describe_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_CONSUMER_GROUP_DESCRIBE, version);
    buf_put_i32(out, resp->throttle_time_ms);
    kafka_wire_put_array(&e, resp->ngroups, false);
    for (size_t i = 0; i < resp->ngroups; i++) {
        const struct kafka_cg_described_group *g = &resp->groups[i];
        buf_put_i16(out, g->error_code);
        kafka_wire_put_string(&e, g->error_message, true);
        kafka_wire_put_string(&e, g->group_id, false);
        kafka_wire_put_string(&e, g->group_state, false);
        buf_put_i32(out, g->group_epoch);
        buf_put_i32(out, g->assignment_epoch);
        kafka_wire_put_string(&e, g->assignor_name, false);
        kafka_wire_put_array(&e, g->nmembers, false);
        for (size_t j = 0; j < g->nmembers; j++) {
            const struct kafka_cg_member *m = &g->members[j];
            kafka_wire_put_string(&e, m->member_id, false);
            kafka_wire_put_string(&e, m->instance_id, true);
            kafka_wire_put_string(&e, m->rack_id, true);
            buf_put_i32(out, m->member_epoch);
            kafka_wire_put_string(&e, m->client_id, false);
            kafka_wire_put_string(&e, m->client_host, false);
            kafka_wire_put_string_array(&e, m->subscribed_topic_names,
                                        m->ntopics);
            kafka_wire_put_string(&e, m->subscribed_topic_regex, true);
            put_tps(&e, true, m->assigned, m->nassigned);
            kafka_wire_put_tags(&e);
            put_tps(&e, true, m->target, m->ntarget);
            kafka_wire_put_tags(&e);
            kafka_wire_put_tags(&e);
        }
        buf_put_i32(out, g->authorized_operations);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}
