/* kafka_admin_ext.c - codecs of the admin APIs a single broker serves
 * beyond topics and groups: CreatePartitions, DescribeConfigs,
 * AlterConfigs, IncrementalAlterConfigs, DeleteRecords, DeleteGroups,
 * OffsetDelete, DescribeCluster, DescribeLogDirs, ListPartitionReassignments,
 * ElectLeaders, DescribeProducers (layer: kafka; no I/O).
 *
 * Layouts are Kafka 3.9's message schemas; "tags" is the tag section of
 * flexible versions (kafka_api_flexible), absent otherwise:
 *   CreatePartitions  req topics[name, count int32, assignments nullable
 *                     [broker_ids []int32, tags], tags], timeout_ms int32,
 *                     validate_only bool, tags
 *                     resp throttle int32, results[name, error_code int16,
 *                     error_message nullable, tags], tags
 *   DescribeConfigs   req resources[type int8, name, keys nullable []string,
 *                     tags], include_synonyms bool (v1+),
 *                     include_documentation bool (v3+), tags
 *                     resp throttle, results[error_code, error_message
 *                     nullable, type int8, name, configs[name, value
 *                     nullable, read_only bool, is_default bool (v0),
 *                     source int8 (v1+), is_sensitive bool, synonyms[] (v1+,
 *                     always empty here), config_type int8 (v3+),
 *                     documentation nullable (v3+), tags], tags], tags
 *   AlterConfigs      req resources[type int8, name, configs[name,
 *   (Incremental..)   op int8 (incremental only), value nullable, tags],
 *                     tags], validate_only bool, tags
 *                     resp throttle, responses[error_code, error_message
 *                     nullable, type int8, name, tags], tags
 *   DeleteRecords     req topics[name, partitions[index int32, offset int64,
 *                     tags], tags], timeout_ms, tags
 *                     resp throttle, topics[name, partitions[index,
 *                     low_watermark int64, error_code, tags], tags], tags
 *   DeleteGroups      req groups []string, tags; resp throttle,
 *                     results[group_id, error_code, tags], tags
 *   OffsetDelete      req group_id, topics[name, partitions[index]]
 *                     resp error_code, throttle, topics[name,
 *                     partitions[index, error_code]] (never flexible)
 *   DescribeCluster   req include_cluster_authorized_operations bool,
 *                     endpoint_type int8 (v1+), tags
 *                     resp throttle, error_code, error_message nullable,
 *                     endpoint_type int8 (v1+), cluster_id, controller_id,
 *                     brokers[id, host, port, rack nullable, tags],
 *                     cluster_authorized_operations int32, tags
 *   DescribeLogDirs   req topics nullable[topic, partitions []int32, tags]
 *                     resp throttle, error_code (v3+), results[error_code,
 *                     log_dir, topics[name, partitions[index, size int64,
 *                     offset_lag int64, is_future bool, tags], tags],
 *                     total_bytes int64 (v4+), usable_bytes (v4+), tags]
 *   ListPartition-    req timeout_ms, topics nullable[name, []int32, tags]
 *   Reassignments     resp throttle, error_code, error_message nullable,
 *                     topics[] (always empty here), tags
 *   ElectLeaders      req election_type int8 (v1+), topic_partitions
 *                     nullable[topic, []int32, tags], timeout_ms, tags
 *                     resp throttle, error_code (v1+), results[topic,
 *                     partitions[id, error_code, error_message nullable,
 *                     tags], tags], tags
 *   DescribeProducers req topics[name, []int32, tags], tags
 *                     resp throttle, topics[name, partitions[index,
 *                     error_code, error_message nullable, producers[id
 *                     int64, epoch int32, last_sequence int32,
 *                     last_timestamp int64, coordinator_epoch int32,
 *                     txn_start_offset int64, tags], tags], tags], tags
 */
#include "kafka/kafka_proto.h"

#include "base/err.h"
#include "kafka/kafka_wire.h"

/* --- shared pieces -------------------------------------------------------- */

static struct kafka_topic_partitions *
read_topic_parts(struct kafka_dec *d, bool nullable, bool *is_null, size_t *n)
{
    bool null = false;
    *n = kafka_wire_read_array(d, 3, nullable, &null);
    if (is_null)
        *is_null = null;
    struct kafka_topic_partitions *t = kafka_wire_alloc(d, *n, sizeof(*t));
    for (size_t i = 0; i < *n; i++) {
        t[i].name = kafka_wire_read_string(d, false);
        t[i].partitions = kafka_wire_read_i32_array(d, &t[i].npartitions);
        kafka_wire_read_tags(d);
    }
    return t;
}

static void put_topic_parts(struct kafka_enc *e, bool is_null,
                            const struct kafka_topic_partitions *t, size_t n)
{
    kafka_wire_put_array(e, n, is_null);
    for (size_t i = 0; i < n && !is_null; i++) {
        kafka_wire_put_string(e, t[i].name, false);
        kafka_wire_put_i32_array(e, t[i].partitions, t[i].npartitions);
        kafka_wire_put_tags(e);
    }
}

/* --- CreatePartitions ----------------------------------------------------- */

int kafka_create_partitions_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_create_partitions_request *out)
{
    struct kafka_dec d;
    int rc =
        kafka_wire_dec_begin(&d, r, a, KAFKA_API_CREATE_PARTITIONS, version);
    if (rc)
        return rc;
    out->ntopics = kafka_wire_read_array(&d, 4, false, NULL);
    out->topics = kafka_wire_alloc(&d, out->ntopics, sizeof(*out->topics));
    for (size_t i = 0; i < out->ntopics; i++) {
        struct kafka_create_partitions_topic *t = &out->topics[i];
        t->name = kafka_wire_read_string(&d, false);
        t->count = buf_read_i32(r);
        t->nassignments =
            kafka_wire_read_array(&d, 1, true, &t->assignments_null);
        t->assignments =
            kafka_wire_alloc(&d, t->nassignments, sizeof(*t->assignments));
        for (size_t j = 0; j < t->nassignments; j++) {
            t->assignments[j].v =
                kafka_wire_read_i32_array(&d, &t->assignments[j].n);
            kafka_wire_read_tags(&d);
        }
        kafka_wire_read_tags(&d);
    }
    out->timeout_ms = buf_read_i32(r);
    out->validate_only = kafka_wire_read_bool(&d);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_create_partitions_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_create_partitions_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_CREATE_PARTITIONS, version);
    kafka_wire_put_array(&e, req->ntopics, false);
    for (size_t i = 0; i < req->ntopics; i++) {
        const struct kafka_create_partitions_topic *t = &req->topics[i];
        kafka_wire_put_string(&e, t->name, false);
        buf_put_i32(out, t->count);
        kafka_wire_put_array(&e, t->nassignments, t->assignments_null);
        for (size_t j = 0; j < t->nassignments && !t->assignments_null; j++) {
            kafka_wire_put_i32_array(&e, t->assignments[j].v,
                                     t->assignments[j].n);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    buf_put_i32(out, req->timeout_ms);
    kafka_wire_put_bool(&e, req->validate_only);
    kafka_wire_put_tags(&e);
}

void kafka_create_partitions_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_create_partitions_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_CREATE_PARTITIONS, version);
    buf_put_i32(out, resp->throttle_time_ms);
    kafka_wire_put_array(&e, resp->nresults, false);
    for (size_t i = 0; i < resp->nresults; i++) {
        kafka_wire_put_string(&e, resp->results[i].name, false);
        buf_put_i16(out, resp->results[i].error_code);
        kafka_wire_put_string(&e, resp->results[i].error_message, true);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

/* --- DescribeConfigs ------------------------------------------------------ */

int kafka_describe_configs_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_describe_configs_request *out)
{
    struct kafka_dec d;
    int rc =
        kafka_wire_dec_begin(&d, r, a, KAFKA_API_DESCRIBE_CONFIGS, version);
    if (rc)
        return rc;
    out->nresources = kafka_wire_read_array(&d, 4, false, NULL);
    out->resources =
        kafka_wire_alloc(&d, out->nresources, sizeof(*out->resources));
    for (size_t i = 0; i < out->nresources; i++) {
        struct kafka_config_resource *res = &out->resources[i];
        res->resource_type = (int8_t)buf_read_u8(r);
        res->resource_name = kafka_wire_read_string(&d, false);
        res->nkeys = kafka_wire_read_array(&d, 1, true, &res->keys_null);
        res->keys = kafka_wire_alloc(&d, res->nkeys, sizeof(*res->keys));
        for (size_t j = 0; j < res->nkeys; j++)
            res->keys[j] = kafka_wire_read_string(&d, false);
        kafka_wire_read_tags(&d);
    }
    out->include_synonyms = version >= 1 ? kafka_wire_read_bool(&d) : false;
    out->include_documentation =
        version >= 3 ? kafka_wire_read_bool(&d) : false;
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_describe_configs_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_configs_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DESCRIBE_CONFIGS, version);
    kafka_wire_put_array(&e, req->nresources, false);
    for (size_t i = 0; i < req->nresources; i++) {
        const struct kafka_config_resource *res = &req->resources[i];
        buf_put_u8(out, (uint8_t)res->resource_type);
        kafka_wire_put_string(&e, res->resource_name, false);
        kafka_wire_put_array(&e, res->nkeys, res->keys_null);
        for (size_t j = 0; j < res->nkeys && !res->keys_null; j++)
            kafka_wire_put_string(&e, res->keys[j], false);
        kafka_wire_put_tags(&e);
    }
    if (version >= 1)
        kafka_wire_put_bool(&e, req->include_synonyms);
    if (version >= 3)
        kafka_wire_put_bool(&e, req->include_documentation);
    kafka_wire_put_tags(&e);
}

void kafka_describe_configs_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_configs_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DESCRIBE_CONFIGS, version);
    buf_put_i32(out, resp->throttle_time_ms);
    kafka_wire_put_array(&e, resp->nresults, false);
    for (size_t i = 0; i < resp->nresults; i++) {
        const struct kafka_describe_configs_result *res = &resp->results[i];
        buf_put_i16(out, res->error_code);
        kafka_wire_put_string(&e, res->error_message, true);
        buf_put_u8(out, (uint8_t)res->resource_type);
        kafka_wire_put_string(&e, res->resource_name, false);
        kafka_wire_put_array(&e, res->nconfigs, false);
        for (size_t j = 0; j < res->nconfigs; j++) {
            const struct kafka_config_entry *c = &res->configs[j];
            kafka_wire_put_string(&e, c->name, false);
            kafka_wire_put_string(&e, c->value, true);
            kafka_wire_put_bool(&e, c->read_only);
            if (version == 0)
                kafka_wire_put_bool(&e, c->is_default);
            else
                buf_put_u8(out, (uint8_t)c->source);
            kafka_wire_put_bool(&e, c->is_sensitive);
            if (version >= 1)
                kafka_wire_put_array(&e, 0, false); /* synonyms */
            if (version >= 3) {
                buf_put_u8(out, (uint8_t)c->config_type);
                kafka_wire_put_string(&e, c->documentation, true);
            }
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

/* --- AlterConfigs / IncrementalAlterConfigs --------------------------------
 */

int kafka_alter_configs_request_decode(struct buf_reader *r, int16_t api_key,
                                       int16_t version, struct arena *a,
                                       struct kafka_alter_configs_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, api_key, version);
    if (rc)
        return rc;
    bool incremental = api_key == KAFKA_API_INCREMENTAL_ALTER_CONFIGS;
    out->nresources = kafka_wire_read_array(&d, 4, false, NULL);
    out->resources =
        kafka_wire_alloc(&d, out->nresources, sizeof(*out->resources));
    for (size_t i = 0; i < out->nresources; i++) {
        struct kafka_config_resource *res = &out->resources[i];
        res->resource_type = (int8_t)buf_read_u8(r);
        res->resource_name = kafka_wire_read_string(&d, false);
        res->nconfigs = kafka_wire_read_array(&d, 2, false, NULL);
        res->configs =
            kafka_wire_alloc(&d, res->nconfigs, sizeof(*res->configs));
        for (size_t j = 0; j < res->nconfigs; j++) {
            struct kafka_alter_config *c = &res->configs[j];
            c->name = kafka_wire_read_string(&d, false);
            c->op = incremental ? (int8_t)buf_read_u8(r) : KAFKA_CONFIG_OP_SET;
            c->value = kafka_wire_read_string(&d, true);
            kafka_wire_read_tags(&d);
        }
        kafka_wire_read_tags(&d);
    }
    out->validate_only = kafka_wire_read_bool(&d);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_alter_configs_request_encode(
    struct buf *out, int16_t api_key, int16_t version,
    const struct kafka_alter_configs_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, api_key, version);
    bool incremental = api_key == KAFKA_API_INCREMENTAL_ALTER_CONFIGS;
    kafka_wire_put_array(&e, req->nresources, false);
    for (size_t i = 0; i < req->nresources; i++) {
        const struct kafka_config_resource *res = &req->resources[i];
        buf_put_u8(out, (uint8_t)res->resource_type);
        kafka_wire_put_string(&e, res->resource_name, false);
        kafka_wire_put_array(&e, res->nconfigs, false);
        for (size_t j = 0; j < res->nconfigs; j++) {
            const struct kafka_alter_config *c = &res->configs[j];
            kafka_wire_put_string(&e, c->name, false);
            if (incremental)
                buf_put_u8(out, (uint8_t)c->op);
            kafka_wire_put_string(&e, c->value, true);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_bool(&e, req->validate_only);
    kafka_wire_put_tags(&e);
}

void kafka_alter_configs_response_encode(
    struct buf *out, int16_t api_key, int16_t version,
    const struct kafka_alter_configs_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, api_key, version);
    buf_put_i32(out, resp->throttle_time_ms);
    kafka_wire_put_array(&e, resp->nresults, false);
    for (size_t i = 0; i < resp->nresults; i++) {
        const struct kafka_alter_configs_result *res = &resp->results[i];
        buf_put_i16(out, res->error_code);
        kafka_wire_put_string(&e, res->error_message, true);
        buf_put_u8(out, (uint8_t)res->resource_type);
        kafka_wire_put_string(&e, res->resource_name, false);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

/* --- DeleteRecords -------------------------------------------------------- */

int kafka_delete_records_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_delete_records_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_DELETE_RECORDS, version);
    if (rc)
        return rc;
    out->ntopics = kafka_wire_read_array(&d, 3, false, NULL);
    out->topics = kafka_wire_alloc(&d, out->ntopics, sizeof(*out->topics));
    for (size_t i = 0; i < out->ntopics; i++) {
        struct kafka_delete_records_topic *t = &out->topics[i];
        t->name = kafka_wire_read_string(&d, false);
        t->npartitions = kafka_wire_read_array(&d, 12, false, NULL);
        t->partitions =
            kafka_wire_alloc(&d, t->npartitions, sizeof(*t->partitions));
        for (size_t j = 0; j < t->npartitions; j++) {
            t->partitions[j].partition_index = buf_read_i32(r);
            t->partitions[j].offset = buf_read_i64(r);
            kafka_wire_read_tags(&d);
        }
        kafka_wire_read_tags(&d);
    }
    out->timeout_ms = buf_read_i32(r);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_delete_records_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_delete_records_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DELETE_RECORDS, version);
    kafka_wire_put_array(&e, req->ntopics, false);
    for (size_t i = 0; i < req->ntopics; i++) {
        const struct kafka_delete_records_topic *t = &req->topics[i];
        kafka_wire_put_string(&e, t->name, false);
        kafka_wire_put_array(&e, t->npartitions, false);
        for (size_t j = 0; j < t->npartitions; j++) {
            buf_put_i32(out, t->partitions[j].partition_index);
            buf_put_i64(out, t->partitions[j].offset);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    buf_put_i32(out, req->timeout_ms);
    kafka_wire_put_tags(&e);
}

void kafka_delete_records_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_delete_records_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DELETE_RECORDS, version);
    buf_put_i32(out, resp->throttle_time_ms);
    kafka_wire_put_array(&e, resp->ntopics, false);
    for (size_t i = 0; i < resp->ntopics; i++) {
        const struct kafka_delete_records_topic *t = &resp->topics[i];
        kafka_wire_put_string(&e, t->name, false);
        kafka_wire_put_array(&e, t->npartitions, false);
        for (size_t j = 0; j < t->npartitions; j++) {
            buf_put_i32(out, t->partitions[j].partition_index);
            buf_put_i64(out, t->partitions[j].low_watermark);
            buf_put_i16(out, t->partitions[j].error_code);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

/* --- DeleteGroups --------------------------------------------------------- */

int kafka_delete_groups_request_decode(struct buf_reader *r, int16_t version,
                                       struct arena *a,
                                       struct kafka_delete_groups_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_DELETE_GROUPS, version);
    if (rc)
        return rc;
    out->groups = kafka_wire_read_string_array(&d, &out->ngroups);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_delete_groups_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_delete_groups_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DELETE_GROUPS, version);
    kafka_wire_put_string_array(&e, req->groups, req->ngroups);
    kafka_wire_put_tags(&e);
}

void kafka_delete_groups_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_delete_groups_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DELETE_GROUPS, version);
    buf_put_i32(out, resp->throttle_time_ms);
    kafka_wire_put_array(&e, resp->nresults, false);
    for (size_t i = 0; i < resp->nresults; i++) {
        kafka_wire_put_string(&e, resp->results[i].group_id, false);
        buf_put_i16(out, resp->results[i].error_code);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

/* --- OffsetDelete --------------------------------------------------------- */

int kafka_offset_delete_request_decode(struct buf_reader *r, int16_t version,
                                       struct arena *a,
                                       struct kafka_offset_delete_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_OFFSET_DELETE, version);
    if (rc)
        return rc;
    out->group_id = kafka_wire_read_string(&d, false);
    out->topics = read_topic_parts(&d, false, NULL, &out->ntopics);
    return kafka_wire_done(&d);
}

void kafka_offset_delete_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_offset_delete_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_OFFSET_DELETE, version);
    kafka_wire_put_string(&e, req->group_id, false);
    put_topic_parts(&e, false, req->topics, req->ntopics);
}

void kafka_offset_delete_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_offset_delete_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_OFFSET_DELETE, version);
    buf_put_i16(out, resp->error_code);
    buf_put_i32(out, resp->throttle_time_ms);
    kafka_wire_put_topic_errors(&e, resp->topics, resp->ntopics);
}

/* --- DescribeCluster ------------------------------------------------------ */

int kafka_describe_cluster_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_describe_cluster_request *out)
{
    struct kafka_dec d;
    int rc =
        kafka_wire_dec_begin(&d, r, a, KAFKA_API_DESCRIBE_CLUSTER, version);
    if (rc)
        return rc;
    out->include_cluster_authorized_operations = kafka_wire_read_bool(&d);
    out->endpoint_type = version >= 1 ? (int8_t)buf_read_u8(r) : 1;
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_describe_cluster_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_cluster_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DESCRIBE_CLUSTER, version);
    kafka_wire_put_bool(&e, req->include_cluster_authorized_operations);
    if (version >= 1)
        buf_put_u8(out, (uint8_t)req->endpoint_type);
    kafka_wire_put_tags(&e);
}

void kafka_describe_cluster_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_cluster_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DESCRIBE_CLUSTER, version);
    buf_put_i32(out, resp->throttle_time_ms);
    buf_put_i16(out, resp->error_code);
    kafka_wire_put_string(&e, resp->error_message, true);
    if (version >= 1)
        buf_put_u8(out, (uint8_t)resp->endpoint_type);
    kafka_wire_put_string(&e, resp->cluster_id, false);
    buf_put_i32(out, resp->controller_id);
    kafka_wire_put_array(&e, resp->nbrokers, false);
    for (size_t i = 0; i < resp->nbrokers; i++) {
        const struct kafka_metadata_broker *b = &resp->brokers[i];
        buf_put_i32(out, b->node_id);
        kafka_wire_put_string(&e, b->host, false);
        buf_put_i32(out, b->port);
        kafka_wire_put_string(&e, b->rack, true);
        kafka_wire_put_tags(&e);
    }
    buf_put_i32(out, resp->cluster_authorized_operations);
    kafka_wire_put_tags(&e);
}

/* --- the topic-list requests ---------------------------------------------- */

int kafka_topics_request_decode(struct buf_reader *r, int16_t api_key,
                                int16_t version, struct arena *a,
                                struct kafka_topics_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, api_key, version);
    if (rc)
        return rc;
    out->timeout_ms = 60000;
    out->election_type = 0;
    out->topics_null = false;
    switch (api_key) {
    case KAFKA_API_DESCRIBE_LOG_DIRS:
        out->topics =
            read_topic_parts(&d, true, &out->topics_null, &out->ntopics);
        break;
    case KAFKA_API_LIST_PARTITION_REASSIGNMENTS:
        out->timeout_ms = buf_read_i32(r);
        out->topics =
            read_topic_parts(&d, true, &out->topics_null, &out->ntopics);
        break;
    case KAFKA_API_ELECT_LEADERS:
        if (version >= 1)
            out->election_type = (int8_t)buf_read_u8(r);
        out->topics =
            read_topic_parts(&d, true, &out->topics_null, &out->ntopics);
        out->timeout_ms = buf_read_i32(r);
        break;
    case KAFKA_API_DESCRIBE_PRODUCERS:
        out->topics = read_topic_parts(&d, false, NULL, &out->ntopics);
        break;
    default:
        return ERR_UNSUPPORTED;
    }
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_topics_request_encode(struct buf *out, int16_t api_key,
                                 int16_t version,
                                 const struct kafka_topics_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, api_key, version);
    switch (api_key) {
    case KAFKA_API_DESCRIBE_LOG_DIRS:
        put_topic_parts(&e, req->topics_null, req->topics, req->ntopics);
        break;
    case KAFKA_API_LIST_PARTITION_REASSIGNMENTS:
        buf_put_i32(out, req->timeout_ms);
        put_topic_parts(&e, req->topics_null, req->topics, req->ntopics);
        break;
    case KAFKA_API_ELECT_LEADERS:
        if (version >= 1)
            buf_put_u8(out, (uint8_t)req->election_type);
        put_topic_parts(&e, req->topics_null, req->topics, req->ntopics);
        buf_put_i32(out, req->timeout_ms);
        break;
    case KAFKA_API_DESCRIBE_PRODUCERS:
        put_topic_parts(&e, false, req->topics, req->ntopics);
        break;
    default:
        return;
    }
    kafka_wire_put_tags(&e);
}

void kafka_describe_log_dirs_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_log_dirs_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DESCRIBE_LOG_DIRS, version);
    buf_put_i32(out, resp->throttle_time_ms);
    if (version >= 3)
        buf_put_i16(out, resp->error_code);
    kafka_wire_put_array(&e, 1, false);
    buf_put_i16(out, resp->dir_error_code);
    kafka_wire_put_string(&e, resp->log_dir, false);
    kafka_wire_put_array(&e, resp->ntopics, false);
    for (size_t i = 0; i < resp->ntopics; i++) {
        const struct kafka_log_dir_topic *t = &resp->topics[i];
        kafka_wire_put_string(&e, t->name, false);
        kafka_wire_put_array(&e, t->npartitions, false);
        for (size_t j = 0; j < t->npartitions; j++) {
            const struct kafka_log_dir_partition *p = &t->partitions[j];
            buf_put_i32(out, p->partition_index);
            buf_put_i64(out, p->size);
            buf_put_i64(out, p->offset_lag);
            kafka_wire_put_bool(&e, p->is_future);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    if (version >= 4) {
        buf_put_i64(out, resp->total_bytes);
        buf_put_i64(out, resp->usable_bytes);
    }
    kafka_wire_put_tags(&e);
    kafka_wire_put_tags(&e);
}

void kafka_elect_leaders_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_elect_leaders_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_ELECT_LEADERS, version);
    buf_put_i32(out, resp->throttle_time_ms);
    if (version >= 1)
        buf_put_i16(out, resp->error_code);
    kafka_wire_put_array(&e, resp->ntopics, false);
    for (size_t i = 0; i < resp->ntopics; i++) {
        const struct kafka_topic_results *t = &resp->topics[i];
        kafka_wire_put_string(&e, t->name, false);
        kafka_wire_put_array(&e, t->npartitions, false);
        for (size_t j = 0; j < t->npartitions; j++) {
            buf_put_i32(out, t->partitions[j].partition_index);
            buf_put_i16(out, t->partitions[j].error_code);
            kafka_wire_put_string(&e, t->partitions[j].error_message, true);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

void kafka_list_reassignments_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_list_reassignments_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_LIST_PARTITION_REASSIGNMENTS,
                         version);
    buf_put_i32(out, resp->throttle_time_ms);
    buf_put_i16(out, resp->error_code);
    kafka_wire_put_string(&e, resp->error_message, true);
    kafka_wire_put_array(&e, 0, false);
    kafka_wire_put_tags(&e);
}

void kafka_describe_producers_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_producers_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DESCRIBE_PRODUCERS, version);
    buf_put_i32(out, resp->throttle_time_ms);
    kafka_wire_put_array(&e, resp->ntopics, false);
    for (size_t i = 0; i < resp->ntopics; i++) {
        const struct kafka_producers_topic *t = &resp->topics[i];
        kafka_wire_put_string(&e, t->name, false);
        kafka_wire_put_array(&e, t->npartitions, false);
        for (size_t j = 0; j < t->npartitions; j++) {
            const struct kafka_producers_partition *p = &t->partitions[j];
            buf_put_i32(out, p->partition_index);
            buf_put_i16(out, p->error_code);
            kafka_wire_put_string(&e, p->error_message, true);
            kafka_wire_put_array(&e, p->nproducers, false);
            for (size_t k = 0; k < p->nproducers; k++) {
                const struct kafka_producer_state *s = &p->producers[k];
                buf_put_i64(out, s->producer_id);
                buf_put_i32(out, s->producer_epoch);
                buf_put_i32(out, s->last_sequence);
                buf_put_i64(out, s->last_timestamp);
                buf_put_i32(out, s->coordinator_epoch);
                buf_put_i64(out, s->current_txn_start_offset);
                kafka_wire_put_tags(&e);
            }
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}
