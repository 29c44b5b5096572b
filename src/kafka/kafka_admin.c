/* kafka_admin.c - tooling/admin API codecs: DescribeGroups (15) v0-4,
 * ListGroups (16) v0-2, CreateTopics (19) v0-4, DeleteTopics (20) v0-1
 * (layer: kafka; no I/O).
 *
 * DescribeGroups req: groups ARRAY[STRING], include_authorized_operations
 *   bool (v3+)
 *   resp: throttle int32 (v1+), groups ARRAY[error_code int16, group_id
 *   STRING, group_state STRING, protocol_type STRING, protocol_data STRING,
 *   members ARRAY[member_id STRING, group_instance_id nullable STRING (v4+),
 *   client_id STRING, client_host STRING, member_metadata BYTES,
 *   member_assignment BYTES], authorized_operations int32 (v3+)]
 * ListGroups req: (empty in v0-2)
 *   resp: throttle int32 (v1+), error_code int16, groups ARRAY[group_id
 *   STRING, protocol_type STRING]
 * CreateTopics req: topics ARRAY[name STRING, num_partitions int32,
 *   replication_factor int16, assignments ARRAY[partition_index int32,
 *   broker_ids ARRAY[int32]], configs ARRAY[name STRING, value nullable
 *   STRING]], timeout_ms int32, validate_only bool (v1+)
 *   resp: throttle int32 (v2+), topics ARRAY[name STRING, error_code int16,
 *   error_message nullable STRING (v1+)]
 * DeleteTopics req: topic_names ARRAY[STRING], timeout_ms int32
 *   resp: throttle int32 (v1+), responses ARRAY[name STRING, error_code]
 */
#include "kafka/kafka_proto.h"
#include "kafka/kafka_wire.h"

/* --- DescribeGroups ------------------------------------------------------ */

int kafka_describe_groups_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_describe_groups_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_DESCRIBE_GROUPS, version);
    if (rc)
        return rc;
    out->groups = kafka_wire_read_string_array(&d, &out->ngroups);
    out->include_authorized_operations =
        version >= 3 ? kafka_wire_read_bool(&d) : false;
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_describe_groups_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_groups_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DESCRIBE_GROUPS, version);
    kafka_wire_put_string_array(&e, req->groups, req->ngroups);
    if (version >= 3)
        kafka_wire_put_bool(&e, req->include_authorized_operations);
    kafka_wire_put_tags(&e);
}

void kafka_describe_groups_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_groups_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DESCRIBE_GROUPS, version);
    if (version >= 1)
        buf_put_i32(out, resp->throttle_time_ms);
    kafka_wire_put_array(&e, resp->ngroups, false);
    for (size_t i = 0; i < resp->ngroups; i++) {
        const struct kafka_describe_groups_group *g = &resp->groups[i];
        buf_put_i16(out, g->error_code);
        kafka_wire_put_string(&e, g->group_id, false);
        kafka_wire_put_string(&e, g->group_state, false);
        kafka_wire_put_string(&e, g->protocol_type, false);
        kafka_wire_put_string(&e, g->protocol_data, false);
        kafka_wire_put_array(&e, g->nmembers, false);
        for (size_t j = 0; j < g->nmembers; j++) {
            const struct kafka_describe_groups_member *m = &g->members[j];
            kafka_wire_put_string(&e, m->member_id, false);
            if (version >= 4)
                kafka_wire_put_string(&e, m->group_instance_id, true);
            kafka_wire_put_string(&e, m->client_id, false);
            kafka_wire_put_string(&e, m->client_host, false);
            kafka_wire_put_bytes(&e, m->member_metadata, false);
            kafka_wire_put_bytes(&e, m->member_assignment, false);
            kafka_wire_put_tags(&e);
        }
        if (version >= 3)
            buf_put_i32(out, g->authorized_operations);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

int kafka_describe_groups_response_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_describe_groups_response *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_DESCRIBE_GROUPS, version);
    if (rc)
        return rc;
    out->throttle_time_ms = version >= 1 ? buf_read_i32(r) : 0;
    out->ngroups = kafka_wire_read_array(&d, 14, false, NULL);
    out->groups = kafka_wire_alloc(&d, out->ngroups, sizeof(*out->groups));
    for (size_t i = 0; i < out->ngroups; i++) {
        struct kafka_describe_groups_group *g = &out->groups[i];
        g->error_code = buf_read_i16(r);
        g->group_id = kafka_wire_read_string(&d, false);
        g->group_state = kafka_wire_read_string(&d, false);
        g->protocol_type = kafka_wire_read_string(&d, false);
        g->protocol_data = kafka_wire_read_string(&d, false);
        g->nmembers = kafka_wire_read_array(&d, 14, false, NULL);
        g->members = kafka_wire_alloc(&d, g->nmembers, sizeof(*g->members));
        for (size_t j = 0; j < g->nmembers; j++) {
            struct kafka_describe_groups_member *m = &g->members[j];
            m->member_id = kafka_wire_read_string(&d, false);
            m->group_instance_id = slice_make(NULL, 0);
            if (version >= 4)
                m->group_instance_id = kafka_wire_read_string(&d, true);
            m->client_id = kafka_wire_read_string(&d, false);
            m->client_host = kafka_wire_read_string(&d, false);
            m->member_metadata = kafka_wire_read_bytes(&d, false);
            m->member_assignment = kafka_wire_read_bytes(&d, false);
            kafka_wire_read_tags(&d);
        }
        g->authorized_operations = version >= 3 ? buf_read_i32(r) : INT32_MIN;
        kafka_wire_read_tags(&d);
    }
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

/* --- ListGroups ---------------------------------------------------------- */

int kafka_list_groups_request_decode(struct buf_reader *r, int16_t version,
                                     struct arena *a,
                                     struct kafka_list_groups_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_LIST_GROUPS, version);
    if (rc)
        return rc;
    out->unused = 0;
    out->nstates = out->ntypes = 0;
    out->states = out->types = NULL;
    if (version >= 4)
        out->states = kafka_wire_read_string_array(&d, &out->nstates);
    if (version >= 5)
        out->types = kafka_wire_read_string_array(&d, &out->ntypes);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_list_groups_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_list_groups_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_LIST_GROUPS, version);
    if (version >= 4)
        kafka_wire_put_string_array(&e, req->states, req->nstates);
    if (version >= 5)
        kafka_wire_put_string_array(&e, req->types, req->ntypes);
    kafka_wire_put_tags(&e);
}

void kafka_list_groups_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_list_groups_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_LIST_GROUPS, version);
    if (version >= 1)
        buf_put_i32(out, resp->throttle_time_ms);
    buf_put_i16(out, resp->error_code);
    kafka_wire_put_array(&e, resp->ngroups, false);
    for (size_t i = 0; i < resp->ngroups; i++) {
        kafka_wire_put_string(&e, resp->groups[i].group_id, false);
        kafka_wire_put_string(&e, resp->groups[i].protocol_type, false);
        if (version >= 4)
            kafka_wire_put_string(&e, resp->groups[i].group_state, false);
        if (version >= 5)
            kafka_wire_put_string(&e, resp->groups[i].group_type, false);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

int kafka_list_groups_response_decode(struct buf_reader *r, int16_t version,
                                      struct arena *a,
                                      struct kafka_list_groups_response *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_LIST_GROUPS, version);
    if (rc)
        return rc;
    out->throttle_time_ms = version >= 1 ? buf_read_i32(r) : 0;
    out->error_code = buf_read_i16(r);
    out->ngroups = kafka_wire_read_array(&d, 4, false, NULL);
    out->groups = kafka_wire_alloc(&d, out->ngroups, sizeof(*out->groups));
    for (size_t i = 0; i < out->ngroups; i++) {
        out->groups[i].group_id = kafka_wire_read_string(&d, false);
        out->groups[i].protocol_type = kafka_wire_read_string(&d, false);
        out->groups[i].group_state = slice_make(NULL, 0);
        out->groups[i].group_type = slice_make(NULL, 0);
        if (version >= 4)
            out->groups[i].group_state = kafka_wire_read_string(&d, false);
        if (version >= 5)
            out->groups[i].group_type = kafka_wire_read_string(&d, false);
        kafka_wire_read_tags(&d);
    }
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

/* --- CreateTopics -------------------------------------------------------- */

int kafka_create_topics_request_decode(struct buf_reader *r, int16_t version,
                                       struct arena *a,
                                       struct kafka_create_topics_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_CREATE_TOPICS, version);
    if (rc)
        return rc;
    out->ntopics = kafka_wire_read_array(&d, d.flex ? 10 : 16, false, NULL);
    out->topics = kafka_wire_alloc(&d, out->ntopics, sizeof(*out->topics));
    for (size_t i = 0; i < out->ntopics; i++) {
        struct kafka_create_topics_topic *t = &out->topics[i];
        t->name = kafka_wire_read_string(&d, false);
        t->num_partitions = buf_read_i32(r);
        t->replication_factor = buf_read_i16(r);
        t->nassignments =
            kafka_wire_read_array(&d, d.flex ? 6 : 8, false, NULL);
        t->assignments =
            kafka_wire_alloc(&d, t->nassignments, sizeof(*t->assignments));
        for (size_t j = 0; j < t->nassignments; j++) {
            struct kafka_create_topics_assignment *as = &t->assignments[j];
            as->partition_index = buf_read_i32(r);
            as->broker_ids = kafka_wire_read_i32_array(&d, &as->nbroker_ids);
            kafka_wire_read_tags(&d);
        }
        t->nconfigs = kafka_wire_read_array(&d, d.flex ? 3 : 4, false, NULL);
        t->configs = kafka_wire_alloc(&d, t->nconfigs, sizeof(*t->configs));
        for (size_t j = 0; j < t->nconfigs; j++) {
            t->configs[j].name = kafka_wire_read_string(&d, false);
            t->configs[j].value = kafka_wire_read_string(&d, true);
            kafka_wire_read_tags(&d);
        }
        kafka_wire_read_tags(&d);
    }
    out->timeout_ms = buf_read_i32(r);
    out->validate_only = version >= 1 ? kafka_wire_read_bool(&d) : false;
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_create_topics_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_create_topics_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_CREATE_TOPICS, version);
    kafka_wire_put_array(&e, req->ntopics, false);
    for (size_t i = 0; i < req->ntopics; i++) {
        const struct kafka_create_topics_topic *t = &req->topics[i];
        kafka_wire_put_string(&e, t->name, false);
        buf_put_i32(out, t->num_partitions);
        buf_put_i16(out, t->replication_factor);
        kafka_wire_put_array(&e, t->nassignments, false);
        for (size_t j = 0; j < t->nassignments; j++) {
            buf_put_i32(out, t->assignments[j].partition_index);
            kafka_wire_put_i32_array(&e, t->assignments[j].broker_ids,
                                     t->assignments[j].nbroker_ids);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_array(&e, t->nconfigs, false);
        for (size_t j = 0; j < t->nconfigs; j++) {
            kafka_wire_put_string(&e, t->configs[j].name, false);
            kafka_wire_put_string(&e, t->configs[j].value, true);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    buf_put_i32(out, req->timeout_ms);
    if (version >= 1)
        kafka_wire_put_bool(&e, req->validate_only);
    kafka_wire_put_tags(&e);
}

void kafka_create_topics_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_create_topics_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_CREATE_TOPICS, version);
    if (version >= 2)
        buf_put_i32(out, resp->throttle_time_ms);
    kafka_wire_put_array(&e, resp->ntopics, false);
    for (size_t i = 0; i < resp->ntopics; i++) {
        kafka_wire_put_string(&e, resp->topics[i].name, false);
        if (version >= 7)
            buf_put(out, resp->topics[i].topic_id.b,
                    sizeof resp->topics[i].topic_id.b);
        buf_put_i16(out, resp->topics[i].error_code);
        if (version >= 1)
            kafka_wire_put_string(&e, resp->topics[i].error_message, true);
        if (version >= 5) {
            /* Configs null: rill does not echo them (Kafka allows null). */
            buf_put_i32(out, resp->topics[i].num_partitions);
            buf_put_i16(out, resp->topics[i].replication_factor);
            kafka_wire_put_array(&e, 0, true);
        }
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

/* --- DeleteTopics -------------------------------------------------------- */

int kafka_delete_topics_request_decode(struct buf_reader *r, int16_t version,
                                       struct arena *a,
                                       struct kafka_delete_topics_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_DELETE_TOPICS, version);
    if (rc)
        return rc;
    out->topic_ids = NULL;
    if (version >= 6) {
        out->ntopics = kafka_wire_read_array(&d, 18, false, NULL);
        out->topic_names =
            kafka_wire_alloc(&d, out->ntopics, sizeof(*out->topic_names));
        out->topic_ids =
            kafka_wire_alloc(&d, out->ntopics, sizeof(*out->topic_ids));
        for (size_t i = 0; i < out->ntopics; i++) {
            out->topic_names[i] = kafka_wire_read_string(&d, true);
            for (size_t k = 0; k < sizeof(out->topic_ids[i].b); k++)
                out->topic_ids[i].b[k] = buf_read_u8(r);
            kafka_wire_read_tags(&d);
        }
    } else {
        out->topic_names = kafka_wire_read_string_array(&d, &out->ntopics);
    }
    out->timeout_ms = buf_read_i32(r);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_delete_topics_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_delete_topics_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DELETE_TOPICS, version);
    if (version >= 6) {
        static const struct kafka_uuid zero;
        kafka_wire_put_array(&e, req->ntopics, false);
        for (size_t i = 0; i < req->ntopics; i++) {
            kafka_wire_put_string(&e, req->topic_names[i], true);
            const struct kafka_uuid *u =
                req->topic_ids ? &req->topic_ids[i] : &zero;
            buf_put(out, u->b, sizeof u->b);
            kafka_wire_put_tags(&e);
        }
    } else {
        kafka_wire_put_string_array(&e, req->topic_names, req->ntopics);
    }
    buf_put_i32(out, req->timeout_ms);
    kafka_wire_put_tags(&e);
}

void kafka_delete_topics_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_delete_topics_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DELETE_TOPICS, version);
    if (version >= 1)
        buf_put_i32(out, resp->throttle_time_ms);
    kafka_wire_put_array(&e, resp->ntopics, false);
    for (size_t i = 0; i < resp->ntopics; i++) {
        kafka_wire_put_string(&e, resp->topics[i].name, version >= 6);
        if (version >= 6)
            buf_put(out, resp->topics[i].topic_id.b,
                    sizeof resp->topics[i].topic_id.b);
        buf_put_i16(out, resp->topics[i].error_code);
        if (version >= 5)
            kafka_wire_put_string(&e, resp->topics[i].error_message, true);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}
