/* kafka_extra.c - codecs of OffsetForLeaderEpoch, AlterReplicaLogDirs, the
 * delegation-token APIs, AlterPartitionReassignments, UpdateFeatures, the
 * client-telemetry APIs and DescribeTopicPartitions (layer: kafka; no I/O).
 * The layouts are in kafka_extra.h beside each struct; this file only
 * walks them. Nothing here knows what the broker answers.
 */
#include "kafka/kafka_extra.h"

#include "base/err.h"
#include "kafka/kafka_wire.h"

static void read_uuid(struct kafka_dec *d, struct kafka_uuid *u)
{
    for (size_t i = 0; i < sizeof(u->b); i++)
        u->b[i] = buf_read_u8(d->r);
}

static void put_uuid(struct buf *out, const struct kafka_uuid *u)
{
    buf_put(out, u->b, sizeof(u->b));
}

static struct kafka_principal *
read_principals(struct kafka_dec *d, bool nullable, bool *is_null, size_t *n)
{
    *n = kafka_wire_read_array(d, 2, nullable, is_null);
    struct kafka_principal *p = kafka_wire_alloc(d, *n, sizeof(*p));
    for (size_t i = 0; i < *n; i++) {
        p[i].type = kafka_wire_read_string(d, false);
        p[i].name = kafka_wire_read_string(d, false);
        kafka_wire_read_tags(d);
    }
    return p;
}

static void put_principals(struct kafka_enc *e, bool is_null,
                           const struct kafka_principal *p, size_t n)
{
    kafka_wire_put_array(e, n, is_null);
    for (size_t i = 0; i < n && !is_null; i++) {
        kafka_wire_put_string(e, p[i].type, false);
        kafka_wire_put_string(e, p[i].name, false);
        kafka_wire_put_tags(e);
    }
}

/* --- OffsetForLeaderEpoch ------------------------------------------------- */

int kafka_ofle_request_decode(struct buf_reader *r, int16_t version,
                              struct arena *a, struct kafka_ofle_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_OFFSET_FOR_LEADER_EPOCH,
                                  version);
    if (rc)
        return rc;
    out->replica_id = version >= 3 ? buf_read_i32(r) : -2;
    out->ntopics = kafka_wire_read_array(&d, 2, false, NULL);
    out->topics = kafka_wire_alloc(&d, out->ntopics, sizeof(*out->topics));
    for (size_t i = 0; i < out->ntopics; i++) {
        struct kafka_ofle_topic *t = &out->topics[i];
        t->name = kafka_wire_read_string(&d, false);
        t->npartitions = kafka_wire_read_array(&d, 8, false, NULL);
        t->partitions =
            kafka_wire_alloc(&d, t->npartitions, sizeof(*t->partitions));
        for (size_t j = 0; j < t->npartitions; j++) {
            struct kafka_ofle_partition *p = &t->partitions[j];
            p->partition = buf_read_i32(r);
            p->current_leader_epoch = version >= 2 ? buf_read_i32(r) : -1;
            p->leader_epoch = buf_read_i32(r);
            kafka_wire_read_tags(&d);
        }
        kafka_wire_read_tags(&d);
    }
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_ofle_request_encode(struct buf *out, int16_t version,
                               const struct kafka_ofle_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_OFFSET_FOR_LEADER_EPOCH, version);
    if (version >= 3)
        buf_put_i32(out, req->replica_id);
    kafka_wire_put_array(&e, req->ntopics, false);
    for (size_t i = 0; i < req->ntopics; i++) {
        const struct kafka_ofle_topic *t = &req->topics[i];
        kafka_wire_put_string(&e, t->name, false);
        kafka_wire_put_array(&e, t->npartitions, false);
        for (size_t j = 0; j < t->npartitions; j++) {
            buf_put_i32(out, t->partitions[j].partition);
            if (version >= 2)
                buf_put_i32(out, t->partitions[j].current_leader_epoch);
            buf_put_i32(out, t->partitions[j].leader_epoch);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

void kafka_ofle_response_encode(struct buf *out, int16_t version,
                                const struct kafka_ofle_request *answered)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_OFFSET_FOR_LEADER_EPOCH, version);
    if (version >= 2)
        buf_put_i32(out, 0);
    kafka_wire_put_array(&e, answered->ntopics, false);
    for (size_t i = 0; i < answered->ntopics; i++) {
        const struct kafka_ofle_topic *t = &answered->topics[i];
        kafka_wire_put_string(&e, t->name, false);
        kafka_wire_put_array(&e, t->npartitions, false);
        for (size_t j = 0; j < t->npartitions; j++) {
            const struct kafka_ofle_partition *p = &t->partitions[j];
            buf_put_i16(out, p->error_code);
            buf_put_i32(out, p->partition);
            if (version >= 1)
                buf_put_i32(out, p->end_epoch);
            buf_put_i64(out, p->end_offset);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

/* --- AlterReplicaLogDirs -------------------------------------------------- */

int kafka_alter_log_dirs_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_alter_log_dirs_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_ALTER_REPLICA_LOG_DIRS,
                                  version);
    if (rc)
        return rc;
    out->ndirs = kafka_wire_read_array(&d, 2, false, NULL);
    out->dirs = kafka_wire_alloc(&d, out->ndirs, sizeof(*out->dirs));
    for (size_t i = 0; i < out->ndirs; i++) {
        struct kafka_alter_log_dir *dir = &out->dirs[i];
        dir->path = kafka_wire_read_string(&d, false);
        dir->ntopics = kafka_wire_read_array(&d, 2, false, NULL);
        dir->topics = kafka_wire_alloc(&d, dir->ntopics, sizeof(*dir->topics));
        for (size_t j = 0; j < dir->ntopics; j++) {
            dir->topics[j].name = kafka_wire_read_string(&d, false);
            dir->topics[j].partitions =
                kafka_wire_read_i32_array(&d, &dir->topics[j].npartitions);
            kafka_wire_read_tags(&d);
        }
        kafka_wire_read_tags(&d);
    }
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_alter_log_dirs_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_alter_log_dirs_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_ALTER_REPLICA_LOG_DIRS, version);
    kafka_wire_put_array(&e, req->ndirs, false);
    for (size_t i = 0; i < req->ndirs; i++) {
        const struct kafka_alter_log_dir *dir = &req->dirs[i];
        kafka_wire_put_string(&e, dir->path, false);
        kafka_wire_put_topic_partitions(&e, dir->topics, dir->ntopics);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

void kafka_alter_log_dirs_response_encode(struct buf *out, int16_t version,
                                          const struct kafka_topic_errors *t,
                                          size_t n)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_ALTER_REPLICA_LOG_DIRS, version);
    buf_put_i32(out, 0);
    kafka_wire_put_topic_errors(&e, t, n);
    kafka_wire_put_tags(&e);
}

/* --- AlterPartitionReassignments ------------------------------------------ */

int kafka_alter_reassignments_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_alter_reassignments_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(
        &d, r, a, KAFKA_API_ALTER_PARTITION_REASSIGNMENTS, version);
    if (rc)
        return rc;
    out->timeout_ms = buf_read_i32(r);
    out->ntopics = kafka_wire_read_array(&d, 2, false, NULL);
    out->topics = kafka_wire_alloc(&d, out->ntopics, sizeof(*out->topics));
    for (size_t i = 0; i < out->ntopics; i++) {
        struct kafka_reassign_topic *t = &out->topics[i];
        t->name = kafka_wire_read_string(&d, false);
        t->npartitions = kafka_wire_read_array(&d, 5, false, NULL);
        t->partitions =
            kafka_wire_alloc(&d, t->npartitions, sizeof(*t->partitions));
        for (size_t j = 0; j < t->npartitions; j++) {
            struct kafka_reassign_partition *p = &t->partitions[j];
            p->partition_index = buf_read_i32(r);
            p->nreplicas =
                kafka_wire_read_array(&d, 4, true, &p->replicas_null);
            p->replicas = kafka_wire_alloc(&d, p->nreplicas, sizeof(int32_t));
            for (size_t k = 0; k < p->nreplicas; k++)
                p->replicas[k] = buf_read_i32(r);
            kafka_wire_read_tags(&d);
        }
        kafka_wire_read_tags(&d);
    }
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_alter_reassignments_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_alter_reassignments_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_ALTER_PARTITION_REASSIGNMENTS,
                         version);
    buf_put_i32(out, req->timeout_ms);
    kafka_wire_put_array(&e, req->ntopics, false);
    for (size_t i = 0; i < req->ntopics; i++) {
        const struct kafka_reassign_topic *t = &req->topics[i];
        kafka_wire_put_string(&e, t->name, false);
        kafka_wire_put_array(&e, t->npartitions, false);
        for (size_t j = 0; j < t->npartitions; j++) {
            const struct kafka_reassign_partition *p = &t->partitions[j];
            buf_put_i32(out, p->partition_index);
            kafka_wire_put_array(&e, p->nreplicas, p->replicas_null);
            for (size_t k = 0; k < p->nreplicas && !p->replicas_null; k++)
                buf_put_i32(out, p->replicas[k]);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

void kafka_alter_reassignments_response_encode(
    struct buf *out, int16_t version, int16_t error_code,
    struct slice error_message,
    const struct kafka_alter_reassignments_request *answered)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_ALTER_PARTITION_REASSIGNMENTS,
                         version);
    buf_put_i32(out, 0);
    buf_put_i16(out, error_code);
    kafka_wire_put_string(&e, error_message, true);
    kafka_wire_put_array(&e, answered->ntopics, false);
    for (size_t i = 0; i < answered->ntopics; i++) {
        const struct kafka_reassign_topic *t = &answered->topics[i];
        kafka_wire_put_string(&e, t->name, false);
        kafka_wire_put_array(&e, t->npartitions, false);
        for (size_t j = 0; j < t->npartitions; j++) {
            const struct kafka_reassign_partition *p = &t->partitions[j];
            buf_put_i32(out, p->partition_index);
            buf_put_i16(out, p->error_code);
            kafka_wire_put_string(&e, p->error_message, true);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

/* --- delegation tokens ---------------------------------------------------- */

int kafka_token_request_decode(struct buf_reader *r, int16_t api_key,
                               int16_t version, struct arena *a,
                               struct kafka_token_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, api_key, version);
    if (rc)
        return rc;
    out->api_key = api_key;
    switch (api_key) {
    case KAFKA_API_CREATE_DELEGATION_TOKEN:
        out->owner_type = out->owner_name = slice_make(NULL, 0);
        if (version >= 3) {
            out->owner_type = kafka_wire_read_string(&d, true);
            out->owner_name = kafka_wire_read_string(&d, true);
        }
        out->renewers = read_principals(&d, false, NULL, &out->nrenewers);
        out->max_lifetime_ms = buf_read_i64(r);
        break;
    case KAFKA_API_RENEW_DELEGATION_TOKEN:
    case KAFKA_API_EXPIRE_DELEGATION_TOKEN:
        out->hmac = kafka_wire_read_bytes(&d, false);
        out->period_ms = buf_read_i64(r);
        break;
    case KAFKA_API_DESCRIBE_DELEGATION_TOKEN:
        out->owners =
            read_principals(&d, true, &out->owners_null, &out->nowners);
        break;
    default:
        return ERR_UNSUPPORTED;
    }
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_token_request_encode(struct buf *out, int16_t version,
                                const struct kafka_token_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, req->api_key, version);
    switch (req->api_key) {
    case KAFKA_API_CREATE_DELEGATION_TOKEN:
        if (version >= 3) {
            kafka_wire_put_string(&e, req->owner_type, true);
            kafka_wire_put_string(&e, req->owner_name, true);
        }
        put_principals(&e, false, req->renewers, req->nrenewers);
        buf_put_i64(out, req->max_lifetime_ms);
        break;
    case KAFKA_API_RENEW_DELEGATION_TOKEN:
    case KAFKA_API_EXPIRE_DELEGATION_TOKEN:
        kafka_wire_put_bytes(&e, req->hmac, false);
        buf_put_i64(out, req->period_ms);
        break;
    case KAFKA_API_DESCRIBE_DELEGATION_TOKEN:
        put_principals(&e, req->owners_null, req->owners, req->nowners);
        break;
    default:
        return;
    }
    kafka_wire_put_tags(&e);
}

void kafka_token_response_encode(struct buf *out, int16_t api_key,
                                 int16_t version,
                                 const struct kafka_token_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, api_key, version);
    buf_put_i16(out, resp->error_code);
    switch (api_key) {
    case KAFKA_API_CREATE_DELEGATION_TOKEN:
        kafka_wire_put_string(&e, resp->owner.type, false);
        kafka_wire_put_string(&e, resp->owner.name, false);
        if (version >= 3) {
            kafka_wire_put_string(&e, resp->requester.type, false);
            kafka_wire_put_string(&e, resp->requester.name, false);
        }
        buf_put_i64(out, resp->issue_ms);
        buf_put_i64(out, resp->expiry_ms);
        buf_put_i64(out, resp->max_ms);
        kafka_wire_put_string(&e, resp->token_id, false);
        kafka_wire_put_bytes(&e, resp->hmac, false);
        break;
    case KAFKA_API_RENEW_DELEGATION_TOKEN:
    case KAFKA_API_EXPIRE_DELEGATION_TOKEN:
        buf_put_i64(out, resp->expiry_ms);
        break;
    default: /* Describe: no tokens */
        kafka_wire_put_array(&e, 0, false);
        break;
    }
    buf_put_i32(out, 0);
    kafka_wire_put_tags(&e);
}

/* --- UpdateFeatures ------------------------------------------------------- */

int kafka_update_features_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_update_features_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_UPDATE_FEATURES, version);
    if (rc)
        return rc;
    out->timeout_ms = buf_read_i32(r);
    out->nupdates = kafka_wire_read_array(&d, 4, false, NULL);
    out->updates = kafka_wire_alloc(&d, out->nupdates, sizeof(*out->updates));
    for (size_t i = 0; i < out->nupdates; i++) {
        struct kafka_feature_update *u = &out->updates[i];
        u->feature = kafka_wire_read_string(&d, false);
        u->max_version_level = buf_read_i16(r);
        if (version == 0) {
            u->allow_downgrade = kafka_wire_read_bool(&d);
            u->upgrade_type = u->allow_downgrade ? 2 : 1;
        } else {
            u->upgrade_type = (int8_t)buf_read_u8(r);
        }
        kafka_wire_read_tags(&d);
    }
    out->validate_only = version >= 1 ? kafka_wire_read_bool(&d) : false;
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_update_features_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_update_features_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_UPDATE_FEATURES, version);
    buf_put_i32(out, req->timeout_ms);
    kafka_wire_put_array(&e, req->nupdates, false);
    for (size_t i = 0; i < req->nupdates; i++) {
        const struct kafka_feature_update *u = &req->updates[i];
        kafka_wire_put_string(&e, u->feature, false);
        buf_put_i16(out, u->max_version_level);
        if (version == 0)
            kafka_wire_put_bool(&e, u->allow_downgrade);
        else
            buf_put_u8(out, (uint8_t)u->upgrade_type);
        kafka_wire_put_tags(&e);
    }
    if (version >= 1)
        kafka_wire_put_bool(&e, req->validate_only);
    kafka_wire_put_tags(&e);
}

void kafka_update_features_response_encode(
    struct buf *out, int16_t version, int16_t error_code,
    struct slice error_message,
    const struct kafka_update_features_request *answered)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_UPDATE_FEATURES, version);
    buf_put_i32(out, 0);
    buf_put_i16(out, error_code);
    kafka_wire_put_string(&e, error_message, true);
    kafka_wire_put_array(&e, answered->nupdates, false);
    for (size_t i = 0; i < answered->nupdates; i++) {
        const struct kafka_feature_update *u = &answered->updates[i];
        kafka_wire_put_string(&e, u->feature, false);
        buf_put_i16(out, u->error_code);
        kafka_wire_put_string(&e, u->error_message, true);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

/* --- client telemetry ----------------------------------------------------- */

int kafka_telemetry_request_decode(struct buf_reader *r, int16_t api_key,
                                   int16_t version, struct arena *a,
                                   struct kafka_telemetry_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, api_key, version);
    if (rc)
        return rc;
    out->api_key = api_key;
    switch (api_key) {
    case KAFKA_API_GET_TELEMETRY_SUBSCRIPTIONS:
        read_uuid(&d, &out->client_instance_id);
        break;
    case KAFKA_API_PUSH_TELEMETRY:
        read_uuid(&d, &out->client_instance_id);
        out->subscription_id = buf_read_i32(r);
        out->terminating = kafka_wire_read_bool(&d);
        out->compression_type = (int8_t)buf_read_u8(r);
        out->metrics = kafka_wire_read_bytes(&d, false);
        break;
    case KAFKA_API_LIST_CLIENT_METRICS_RESOURCES:
        break;
    default:
        return ERR_UNSUPPORTED;
    }
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_telemetry_request_encode(struct buf *out, int16_t version,
                                    const struct kafka_telemetry_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, req->api_key, version);
    switch (req->api_key) {
    case KAFKA_API_GET_TELEMETRY_SUBSCRIPTIONS:
        put_uuid(out, &req->client_instance_id);
        break;
    case KAFKA_API_PUSH_TELEMETRY:
        put_uuid(out, &req->client_instance_id);
        buf_put_i32(out, req->subscription_id);
        kafka_wire_put_bool(&e, req->terminating);
        buf_put_u8(out, (uint8_t)req->compression_type);
        kafka_wire_put_bytes(&e, req->metrics, false);
        break;
    case KAFKA_API_LIST_CLIENT_METRICS_RESOURCES:
        break;
    default:
        return;
    }
    kafka_wire_put_tags(&e);
}

void kafka_telemetry_subscription_encode(
    struct buf *out, int16_t version,
    const struct kafka_telemetry_subscription *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_GET_TELEMETRY_SUBSCRIPTIONS,
                         version);
    buf_put_i32(out, 0);
    buf_put_i16(out, resp->error_code);
    put_uuid(out, &resp->client_instance_id);
    buf_put_i32(out, resp->subscription_id);
    kafka_wire_put_array(&e, resp->ncompression, false);
    for (size_t i = 0; i < resp->ncompression; i++)
        buf_put_u8(out, (uint8_t)resp->compression[i]);
    buf_put_i32(out, resp->push_interval_ms);
    buf_put_i32(out, resp->telemetry_max_bytes);
    kafka_wire_put_bool(&e, resp->delta_temporality);
    kafka_wire_put_string_array(&e, resp->metrics, resp->nmetrics);
    kafka_wire_put_tags(&e);
}

void kafka_push_telemetry_response_encode(struct buf *out, int16_t version,
                                          int16_t error_code)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_PUSH_TELEMETRY, version);
    buf_put_i32(out, 0);
    buf_put_i16(out, error_code);
    kafka_wire_put_tags(&e);
}

void kafka_list_client_metrics_response_encode(struct buf *out, int16_t version,
                                               int16_t error_code,
                                               const struct slice *names,
                                               size_t n)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_LIST_CLIENT_METRICS_RESOURCES,
                         version);
    buf_put_i32(out, 0);
    buf_put_i16(out, error_code);
    kafka_wire_put_array(&e, n, false);
    for (size_t i = 0; i < n; i++) {
        kafka_wire_put_string(&e, names[i], false);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

/* --- DescribeTopicPartitions ---------------------------------------------- */

int kafka_dtp_request_decode(struct buf_reader *r, int16_t version,
                             struct arena *a, struct kafka_dtp_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_DESCRIBE_TOPIC_PARTITIONS,
                                  version);
    if (rc)
        return rc;
    out->ntopics = kafka_wire_read_array(&d, 2, false, NULL);
    out->topics = kafka_wire_alloc(&d, out->ntopics, sizeof(*out->topics));
    for (size_t i = 0; i < out->ntopics; i++) {
        out->topics[i] = kafka_wire_read_string(&d, false);
        kafka_wire_read_tags(&d);
    }
    out->response_partition_limit = buf_read_i32(r);
    int8_t present = (int8_t)buf_read_u8(r);
    out->cursor_null = present < 0;
    out->cursor_topic = slice_make(NULL, 0);
    out->cursor_partition = 0;
    if (!out->cursor_null) {
        out->cursor_topic = kafka_wire_read_string(&d, false);
        out->cursor_partition = buf_read_i32(r);
        kafka_wire_read_tags(&d);
    }
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_dtp_request_encode(struct buf *out, int16_t version,
                              const struct kafka_dtp_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DESCRIBE_TOPIC_PARTITIONS, version);
    kafka_wire_put_array(&e, req->ntopics, false);
    for (size_t i = 0; i < req->ntopics; i++) {
        kafka_wire_put_string(&e, req->topics[i], false);
        kafka_wire_put_tags(&e);
    }
    buf_put_i32(out, req->response_partition_limit);
    if (req->cursor_null) {
        buf_put_u8(out, 0xff);
    } else {
        buf_put_u8(out, 1);
        kafka_wire_put_string(&e, req->cursor_topic, false);
        buf_put_i32(out, req->cursor_partition);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

void kafka_dtp_response_encode(struct buf *out, int16_t version,
                               const struct kafka_dtp_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DESCRIBE_TOPIC_PARTITIONS, version);
    buf_put_i32(out, 0);
    kafka_wire_put_array(&e, resp->ntopics, false);
    for (size_t i = 0; i < resp->ntopics; i++) {
        const struct kafka_dtp_topic *t = &resp->topics[i];
        buf_put_i16(out, t->error_code);
        kafka_wire_put_string(&e, t->name, true);
        put_uuid(out, &t->topic_id);
        kafka_wire_put_bool(&e, t->is_internal);
        kafka_wire_put_array(&e, t->npartitions, false);
        for (size_t j = 0; j < t->npartitions; j++) {
            const struct kafka_dtp_partition *p = &t->partitions[j];
            buf_put_i16(out, p->error_code);
            buf_put_i32(out, p->partition_index);
            buf_put_i32(out, p->leader_id);
            buf_put_i32(out, p->leader_epoch);
            kafka_wire_put_i32_array(&e, p->replicas, p->nreplicas);
            kafka_wire_put_i32_array(&e, p->isr, p->nisr);
            kafka_wire_put_array(&e, 0, false); /* eligible leaders */
            kafka_wire_put_array(&e, 0, false); /* last known ELR */
            kafka_wire_put_array(&e, 0, false); /* offline replicas */
            kafka_wire_put_tags(&e);
        }
        buf_put_i32(out, t->topic_authorized_operations);
        kafka_wire_put_tags(&e);
    }
    if (resp->next_cursor_null) {
        buf_put_u8(out, 0xff);
    } else {
        buf_put_u8(out, 1);
        kafka_wire_put_string(&e, resp->next_topic, false);
        buf_put_i32(out, resp->next_partition);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

/* --- generic entry points ------------------------------------------------- */

bool kafka_extra_api(int16_t api_key)
{
    switch (api_key) {
    case KAFKA_API_OFFSET_FOR_LEADER_EPOCH:
    case KAFKA_API_ALTER_REPLICA_LOG_DIRS:
    case KAFKA_API_CREATE_DELEGATION_TOKEN:
    case KAFKA_API_RENEW_DELEGATION_TOKEN:
    case KAFKA_API_EXPIRE_DELEGATION_TOKEN:
    case KAFKA_API_DESCRIBE_DELEGATION_TOKEN:
    case KAFKA_API_ALTER_PARTITION_REASSIGNMENTS:
    case KAFKA_API_UPDATE_FEATURES:
    case KAFKA_API_GET_TELEMETRY_SUBSCRIPTIONS:
    case KAFKA_API_PUSH_TELEMETRY:
    case KAFKA_API_LIST_CLIENT_METRICS_RESOURCES:
    case KAFKA_API_DESCRIBE_TOPIC_PARTITIONS:
        return true;
    default:
        return false;
    }
}

int kafka_extra_request_decode(struct buf_reader *r, int16_t api_key,
                               int16_t version, struct arena *a, void **out)
{
    switch (api_key) {
    case KAFKA_API_OFFSET_FOR_LEADER_EPOCH: {
        struct kafka_ofle_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_ofle_request_decode(r, version, a, q);
    }
    case KAFKA_API_ALTER_REPLICA_LOG_DIRS: {
        struct kafka_alter_log_dirs_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_alter_log_dirs_request_decode(r, version, a, q);
    }
    case KAFKA_API_CREATE_DELEGATION_TOKEN:
    case KAFKA_API_RENEW_DELEGATION_TOKEN:
    case KAFKA_API_EXPIRE_DELEGATION_TOKEN:
    case KAFKA_API_DESCRIBE_DELEGATION_TOKEN: {
        struct kafka_token_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_token_request_decode(r, api_key, version, a, q);
    }
    case KAFKA_API_ALTER_PARTITION_REASSIGNMENTS: {
        struct kafka_alter_reassignments_request *q =
            arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_alter_reassignments_request_decode(r, version, a, q);
    }
    case KAFKA_API_UPDATE_FEATURES: {
        struct kafka_update_features_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_update_features_request_decode(r, version, a, q);
    }
    case KAFKA_API_GET_TELEMETRY_SUBSCRIPTIONS:
    case KAFKA_API_PUSH_TELEMETRY:
    case KAFKA_API_LIST_CLIENT_METRICS_RESOURCES: {
        struct kafka_telemetry_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_telemetry_request_decode(r, api_key, version, a, q);
    }
    case KAFKA_API_DESCRIBE_TOPIC_PARTITIONS: {
        struct kafka_dtp_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_dtp_request_decode(r, version, a, q);
    }
    default:
        return ERR_UNSUPPORTED;
    }
}

void kafka_extra_request_encode(struct buf *out, int16_t api_key,
                                int16_t version, const void *req)
{
    switch (api_key) {
    case KAFKA_API_OFFSET_FOR_LEADER_EPOCH:
        kafka_ofle_request_encode(out, version, req);
        break;
    case KAFKA_API_ALTER_REPLICA_LOG_DIRS:
        kafka_alter_log_dirs_request_encode(out, version, req);
        break;
    case KAFKA_API_CREATE_DELEGATION_TOKEN:
    case KAFKA_API_RENEW_DELEGATION_TOKEN:
    case KAFKA_API_EXPIRE_DELEGATION_TOKEN:
    case KAFKA_API_DESCRIBE_DELEGATION_TOKEN:
        kafka_token_request_encode(out, version, req);
        break;
    case KAFKA_API_ALTER_PARTITION_REASSIGNMENTS:
        kafka_alter_reassignments_request_encode(out, version, req);
        break;
    case KAFKA_API_UPDATE_FEATURES:
        kafka_update_features_request_encode(out, version, req);
        break;
    case KAFKA_API_GET_TELEMETRY_SUBSCRIPTIONS:
    case KAFKA_API_PUSH_TELEMETRY:
    case KAFKA_API_LIST_CLIENT_METRICS_RESOURCES:
        kafka_telemetry_request_encode(out, version, req);
        break;
    case KAFKA_API_DESCRIBE_TOPIC_PARTITIONS:
        kafka_dtp_request_encode(out, version, req);
        break;
    default:
        break;
    }
}
