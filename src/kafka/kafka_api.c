/* kafka_api.c - the one ApiKey/version table (what dispatch serves and what
 * ApiVersions advertises), API and error names, request/response headers,
 * framing, the ApiVersions codec and a generic request-body decoder
 * (layer: kafka; no I/O).
 *
 * The ranges are the reference's "advertise" column (see
 * docs/kafka-protocol.md): Produce min 3 and Fetch min 4 keep librdkafka on
 * RecordBatch v2, FindCoordinator min 0 turns on its group coordinator
 * feature, Metadata max 4 stops kafka-python inferring a pre-0.11 broker.
 *
 * ApiVersions v3 layout (the only flexible version advertised):
 *   request body:  client_software_name COMPACT_STRING,
 *                  client_software_version COMPACT_STRING, tags
 *   response body: error_code int16, api_keys COMPACT_ARRAY[{api_key int16,
 *                  min int16, max int16, tags}], throttle_time_ms int32, tags
 *   response header: v0 (correlation id only), whatever the version.
 */
#include "kafka/kafka_proto.h"

#include "base/err.h"
#include "kafka/kafka_extra.h"
#include "kafka/kafka_quota.h"
#include "kafka/kafka_sasl.h"
#include "kafka/kafka_wire.h"

static const struct kafka_api_range api_table[] = {
    {KAFKA_API_PRODUCE, 3, 11},
    {KAFKA_API_FETCH, 4, 17},
    {KAFKA_API_LIST_OFFSETS, 1, 9},
    {KAFKA_API_METADATA, 0, 12},
    {KAFKA_API_OFFSET_COMMIT, 0, 9},
    {KAFKA_API_OFFSET_FETCH, 0, 9},
    {KAFKA_API_FIND_COORDINATOR, 0, 6},
    {KAFKA_API_JOIN_GROUP, 0, 9},
    {KAFKA_API_HEARTBEAT, 0, 4},
    {KAFKA_API_LEAVE_GROUP, 0, 5},
    {KAFKA_API_SYNC_GROUP, 0, 5},
    {KAFKA_API_DESCRIBE_GROUPS, 0, 5},
    {KAFKA_API_LIST_GROUPS, 0, 5},
    {KAFKA_API_SASL_HANDSHAKE, 0, 1},
    {KAFKA_API_API_VERSIONS, 0, 4},
    {KAFKA_API_CREATE_TOPICS, 0, 7},
    {KAFKA_API_DELETE_TOPICS, 0, 6},
    {KAFKA_API_DELETE_RECORDS, 0, 2},
    {KAFKA_API_INIT_PRODUCER_ID, 0, 1},
    {KAFKA_API_OFFSET_FOR_LEADER_EPOCH, 0, 4},
    {KAFKA_API_ADD_PARTITIONS_TO_TXN, 0, 0},
    {KAFKA_API_ADD_OFFSETS_TO_TXN, 0, 0},
    {KAFKA_API_END_TXN, 0, 1},
    {KAFKA_API_TXN_OFFSET_COMMIT, 0, 2},
    {KAFKA_API_DESCRIBE_ACLS, 0, 3},
    {KAFKA_API_CREATE_ACLS, 0, 3},
    {KAFKA_API_DELETE_ACLS, 0, 3},
    {KAFKA_API_DESCRIBE_CONFIGS, 0, 4},
    {KAFKA_API_ALTER_CONFIGS, 0, 2},
    {KAFKA_API_ALTER_REPLICA_LOG_DIRS, 0, 2},
    {KAFKA_API_DESCRIBE_LOG_DIRS, 0, 4},
    {KAFKA_API_SASL_AUTHENTICATE, 0, 2},
    {KAFKA_API_CREATE_PARTITIONS, 0, 3},
    {KAFKA_API_CREATE_DELEGATION_TOKEN, 0, 3},
    {KAFKA_API_RENEW_DELEGATION_TOKEN, 0, 2},
    {KAFKA_API_EXPIRE_DELEGATION_TOKEN, 0, 2},
    {KAFKA_API_DESCRIBE_DELEGATION_TOKEN, 0, 3},
    {KAFKA_API_DELETE_GROUPS, 0, 2},
    {KAFKA_API_ELECT_LEADERS, 0, 2},
    {KAFKA_API_INCREMENTAL_ALTER_CONFIGS, 0, 1},
    {KAFKA_API_ALTER_PARTITION_REASSIGNMENTS, 0, 0},
    {KAFKA_API_LIST_PARTITION_REASSIGNMENTS, 0, 0},
    {KAFKA_API_OFFSET_DELETE, 0, 0},
    {KAFKA_API_DESCRIBE_CLIENT_QUOTAS, 0, 1},
    {KAFKA_API_ALTER_CLIENT_QUOTAS, 0, 1},
    {KAFKA_API_DESCRIBE_USER_SCRAM, 0, 0},
    {KAFKA_API_ALTER_USER_SCRAM, 0, 0},
    {KAFKA_API_UPDATE_FEATURES, 0, 1},
    {KAFKA_API_DESCRIBE_CLUSTER, 0, 1},
    {KAFKA_API_DESCRIBE_PRODUCERS, 0, 0},
    {KAFKA_API_DESCRIBE_TRANSACTIONS, 0, 0},
    {KAFKA_API_LIST_TRANSACTIONS, 0, 1},
    {KAFKA_API_CONSUMER_GROUP_HEARTBEAT, 0, 0},
    {KAFKA_API_CONSUMER_GROUP_DESCRIBE, 0, 0},
    {KAFKA_API_GET_TELEMETRY_SUBSCRIPTIONS, 0, 0},
    {KAFKA_API_PUSH_TELEMETRY, 0, 0},
    {KAFKA_API_LIST_CLIENT_METRICS_RESOURCES, 0, 0},
    {KAFKA_API_DESCRIBE_TOPIC_PARTITIONS, 0, 0},
};

#define NAPIS (sizeof(api_table) / sizeof(api_table[0]))

const struct kafka_api_range *kafka_api_table(size_t *n)
{
    *n = NAPIS;
    return api_table;
}

bool kafka_api_supported(int16_t api_key, int16_t version)
{
    for (size_t i = 0; i < NAPIS; i++)
        if (api_table[i].api_key == api_key)
            return version >= api_table[i].min_version &&
                   version <= api_table[i].max_version;
    return false;
}

/* First flexible version of every ApiKey 0-87 in Kafka 3.9 (-1: never
 * flexible), also for keys rill does not serve, so a request header of any
 * known API decodes and gets its UNSUPPORTED_VERSION answer. */
static const int8_t first_flexible_v[] = {
    9, 12, 6, 9,  4, 2, 6, 3, 8, 6, 3, 6, 4, 4, 4, 5, 3, -1, 3, 5, 4, 2,
    2, 4,  3, 3,  3, 1, 3, 2, 2, 2, 4, 2, 2, 2, 2, 2, 2, 2,  2, 2, 2, 2,
    1, 0,  0, -1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0,
    0, 0,  0, 0,  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0,
};

static int16_t first_flexible(int16_t api_key)
{
    if (api_key < 0 || (size_t)api_key >= sizeof(first_flexible_v) /
                                              sizeof(first_flexible_v[0]))
        return -1;
    return first_flexible_v[api_key];
}

bool kafka_api_flexible(int16_t api_key, int16_t version)
{
    int16_t f = first_flexible(api_key);
    return f >= 0 && version >= f;
}

const char *kafka_api_name(int16_t api_key)
{
    switch (api_key) {
    case KAFKA_API_PRODUCE:
        return "Produce";
    case KAFKA_API_FETCH:
        return "Fetch";
    case KAFKA_API_LIST_OFFSETS:
        return "ListOffsets";
    case KAFKA_API_METADATA:
        return "Metadata";
    case KAFKA_API_OFFSET_COMMIT:
        return "OffsetCommit";
    case KAFKA_API_OFFSET_FETCH:
        return "OffsetFetch";
    case KAFKA_API_FIND_COORDINATOR:
        return "FindCoordinator";
    case KAFKA_API_JOIN_GROUP:
        return "JoinGroup";
    case KAFKA_API_HEARTBEAT:
        return "Heartbeat";
    case KAFKA_API_LEAVE_GROUP:
        return "LeaveGroup";
    case KAFKA_API_SYNC_GROUP:
        return "SyncGroup";
    case KAFKA_API_DESCRIBE_GROUPS:
        return "DescribeGroups";
    case KAFKA_API_LIST_GROUPS:
        return "ListGroups";
    case KAFKA_API_API_VERSIONS:
        return "ApiVersions";
    case KAFKA_API_CREATE_TOPICS:
        return "CreateTopics";
    case KAFKA_API_DELETE_TOPICS:
        return "DeleteTopics";
    case KAFKA_API_INIT_PRODUCER_ID:
        return "InitProducerId";
    case KAFKA_API_ADD_PARTITIONS_TO_TXN:
        return "AddPartitionsToTxn";
    case KAFKA_API_ADD_OFFSETS_TO_TXN:
        return "AddOffsetsToTxn";
    case KAFKA_API_END_TXN:
        return "EndTxn";
    case KAFKA_API_TXN_OFFSET_COMMIT:
        return "TxnOffsetCommit";
    case KAFKA_API_DELETE_RECORDS:
        return "DeleteRecords";
    case KAFKA_API_DESCRIBE_CONFIGS:
        return "DescribeConfigs";
    case KAFKA_API_ALTER_CONFIGS:
        return "AlterConfigs";
    case KAFKA_API_DESCRIBE_LOG_DIRS:
        return "DescribeLogDirs";
    case KAFKA_API_CREATE_PARTITIONS:
        return "CreatePartitions";
    case KAFKA_API_DELETE_GROUPS:
        return "DeleteGroups";
    case KAFKA_API_ELECT_LEADERS:
        return "ElectLeaders";
    case KAFKA_API_INCREMENTAL_ALTER_CONFIGS:
        return "IncrementalAlterConfigs";
    case KAFKA_API_LIST_PARTITION_REASSIGNMENTS:
        return "ListPartitionReassignments";
    case KAFKA_API_OFFSET_DELETE:
        return "OffsetDelete";
    case KAFKA_API_DESCRIBE_CLUSTER:
        return "DescribeCluster";
    case KAFKA_API_DESCRIBE_PRODUCERS:
        return "DescribeProducers";
    case KAFKA_API_SASL_HANDSHAKE:
        return "SaslHandshake";
    case KAFKA_API_SASL_AUTHENTICATE:
        return "SaslAuthenticate";
    case KAFKA_API_DESCRIBE_ACLS:
        return "DescribeAcls";
    case KAFKA_API_CREATE_ACLS:
        return "CreateAcls";
    case KAFKA_API_DELETE_ACLS:
        return "DeleteAcls";
    case KAFKA_API_DESCRIBE_CLIENT_QUOTAS:
        return "DescribeClientQuotas";
    case KAFKA_API_ALTER_CLIENT_QUOTAS:
        return "AlterClientQuotas";
    case KAFKA_API_DESCRIBE_USER_SCRAM:
        return "DescribeUserScramCredentials";
    case KAFKA_API_ALTER_USER_SCRAM:
        return "AlterUserScramCredentials";
    case KAFKA_API_DESCRIBE_TRANSACTIONS:
        return "DescribeTransactions";
    case KAFKA_API_LIST_TRANSACTIONS:
        return "ListTransactions";
    case KAFKA_API_CONSUMER_GROUP_HEARTBEAT:
        return "ConsumerGroupHeartbeat";
    case KAFKA_API_CONSUMER_GROUP_DESCRIBE:
        return "ConsumerGroupDescribe";
    case KAFKA_API_OFFSET_FOR_LEADER_EPOCH:
        return "OffsetForLeaderEpoch";
    case KAFKA_API_ALTER_REPLICA_LOG_DIRS:
        return "AlterReplicaLogDirs";
    case KAFKA_API_CREATE_DELEGATION_TOKEN:
        return "CreateDelegationToken";
    case KAFKA_API_RENEW_DELEGATION_TOKEN:
        return "RenewDelegationToken";
    case KAFKA_API_EXPIRE_DELEGATION_TOKEN:
        return "ExpireDelegationToken";
    case KAFKA_API_DESCRIBE_DELEGATION_TOKEN:
        return "DescribeDelegationToken";
    case KAFKA_API_ALTER_PARTITION_REASSIGNMENTS:
        return "AlterPartitionReassignments";
    case KAFKA_API_UPDATE_FEATURES:
        return "UpdateFeatures";
    case KAFKA_API_GET_TELEMETRY_SUBSCRIPTIONS:
        return "GetTelemetrySubscriptions";
    case KAFKA_API_PUSH_TELEMETRY:
        return "PushTelemetry";
    case KAFKA_API_LIST_CLIENT_METRICS_RESOURCES:
        return "ListClientMetricsResources";
    case KAFKA_API_DESCRIBE_TOPIC_PARTITIONS:
        return "DescribeTopicPartitions";
    default:
        return "Unknown";
    }
}

const char *kafka_error_name(int16_t code)
{
    switch (code) {
    case KAFKA_ERR_UNKNOWN_SERVER_ERROR:
        return "UNKNOWN_SERVER_ERROR";
    case KAFKA_ERR_NONE:
        return "NONE";
    case KAFKA_ERR_OFFSET_OUT_OF_RANGE:
        return "OFFSET_OUT_OF_RANGE";
    case KAFKA_ERR_CORRUPT_MESSAGE:
        return "CORRUPT_MESSAGE";
    case KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION:
        return "UNKNOWN_TOPIC_OR_PARTITION";
    case KAFKA_ERR_LEADER_NOT_AVAILABLE:
        return "LEADER_NOT_AVAILABLE";
    case KAFKA_ERR_NOT_LEADER_OR_FOLLOWER:
        return "NOT_LEADER_OR_FOLLOWER";
    case KAFKA_ERR_REQUEST_TIMED_OUT:
        return "REQUEST_TIMED_OUT";
    case KAFKA_ERR_MESSAGE_TOO_LARGE:
        return "MESSAGE_TOO_LARGE";
    case KAFKA_ERR_COORDINATOR_LOAD_IN_PROGRESS:
        return "COORDINATOR_LOAD_IN_PROGRESS";
    case KAFKA_ERR_COORDINATOR_NOT_AVAILABLE:
        return "COORDINATOR_NOT_AVAILABLE";
    case KAFKA_ERR_NOT_COORDINATOR:
        return "NOT_COORDINATOR";
    case KAFKA_ERR_INVALID_TOPIC_EXCEPTION:
        return "INVALID_TOPIC_EXCEPTION";
    case KAFKA_ERR_RECORD_LIST_TOO_LARGE:
        return "RECORD_LIST_TOO_LARGE";
    case KAFKA_ERR_NOT_ENOUGH_REPLICAS:
        return "NOT_ENOUGH_REPLICAS";
    case KAFKA_ERR_INVALID_REQUIRED_ACKS:
        return "INVALID_REQUIRED_ACKS";
    case KAFKA_ERR_ILLEGAL_GENERATION:
        return "ILLEGAL_GENERATION";
    case KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL:
        return "INCONSISTENT_GROUP_PROTOCOL";
    case KAFKA_ERR_INVALID_GROUP_ID:
        return "INVALID_GROUP_ID";
    case KAFKA_ERR_UNKNOWN_MEMBER_ID:
        return "UNKNOWN_MEMBER_ID";
    case KAFKA_ERR_INVALID_SESSION_TIMEOUT:
        return "INVALID_SESSION_TIMEOUT";
    case KAFKA_ERR_REBALANCE_IN_PROGRESS:
        return "REBALANCE_IN_PROGRESS";
    case KAFKA_ERR_INVALID_COMMIT_OFFSET_SIZE:
        return "INVALID_COMMIT_OFFSET_SIZE";
    case KAFKA_ERR_UNSUPPORTED_VERSION:
        return "UNSUPPORTED_VERSION";
    case KAFKA_ERR_TOPIC_ALREADY_EXISTS:
        return "TOPIC_ALREADY_EXISTS";
    case KAFKA_ERR_INVALID_PARTITIONS:
        return "INVALID_PARTITIONS";
    case KAFKA_ERR_INVALID_REPLICATION_FACTOR:
        return "INVALID_REPLICATION_FACTOR";
    case KAFKA_ERR_INVALID_CONFIG:
        return "INVALID_CONFIG";
    case KAFKA_ERR_INVALID_REQUEST:
        return "INVALID_REQUEST";
    case KAFKA_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
        return "UNSUPPORTED_FOR_MESSAGE_FORMAT";
    case KAFKA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER:
        return "OUT_OF_ORDER_SEQUENCE_NUMBER";
    case KAFKA_ERR_DUPLICATE_SEQUENCE_NUMBER:
        return "DUPLICATE_SEQUENCE_NUMBER";
    case KAFKA_ERR_INVALID_PRODUCER_EPOCH:
        return "INVALID_PRODUCER_EPOCH";
    case KAFKA_ERR_INVALID_TXN_STATE:
        return "INVALID_TXN_STATE";
    case KAFKA_ERR_INVALID_PRODUCER_ID_MAPPING:
        return "INVALID_PRODUCER_ID_MAPPING";
    case KAFKA_ERR_INVALID_TRANSACTION_TIMEOUT:
        return "INVALID_TRANSACTION_TIMEOUT";
    case KAFKA_ERR_CONCURRENT_TRANSACTIONS:
        return "CONCURRENT_TRANSACTIONS";
    case KAFKA_ERR_TRANSACTION_COORDINATOR_FENCED:
        return "TRANSACTION_COORDINATOR_FENCED";
    case KAFKA_ERR_KAFKA_STORAGE_ERROR:
        return "KAFKA_STORAGE_ERROR";
    case KAFKA_ERR_UNKNOWN_PRODUCER_ID:
        return "UNKNOWN_PRODUCER_ID";
    case KAFKA_ERR_NON_EMPTY_GROUP:
        return "NON_EMPTY_GROUP";
    case KAFKA_ERR_GROUP_ID_NOT_FOUND:
        return "GROUP_ID_NOT_FOUND";
    case KAFKA_ERR_MEMBER_ID_REQUIRED:
        return "MEMBER_ID_REQUIRED";
    case KAFKA_ERR_FENCED_INSTANCE_ID:
        return "FENCED_INSTANCE_ID";
    case KAFKA_ERR_INVALID_RECORD:
        return "INVALID_RECORD";
    case KAFKA_ERR_UNSTABLE_OFFSET_COMMIT:
        return "UNSTABLE_OFFSET_COMMIT";
    case KAFKA_ERR_PRODUCER_FENCED:
        return "PRODUCER_FENCED";
    case KAFKA_ERR_UNKNOWN_TOPIC_ID:
        return "UNKNOWN_TOPIC_ID";
    case KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED:
        return "TOPIC_AUTHORIZATION_FAILED";
    case KAFKA_ERR_GROUP_AUTHORIZATION_FAILED:
        return "GROUP_AUTHORIZATION_FAILED";
    case KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED:
        return "CLUSTER_AUTHORIZATION_FAILED";
    case KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM:
        return "UNSUPPORTED_SASL_MECHANISM";
    case KAFKA_ERR_ILLEGAL_SASL_STATE:
        return "ILLEGAL_SASL_STATE";
    case KAFKA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
        return "TRANSACTIONAL_ID_AUTHORIZATION_FAILED";
    case KAFKA_ERR_SECURITY_DISABLED:
        return "SECURITY_DISABLED";
    case KAFKA_ERR_SASL_AUTHENTICATION_FAILED:
        return "SASL_AUTHENTICATION_FAILED";
    case KAFKA_ERR_RESOURCE_NOT_FOUND:
        return "RESOURCE_NOT_FOUND";
    case KAFKA_ERR_UNSUPPORTED_BY_AUTHENTICATION_MECHANISM:
        return "UNSUPPORTED_BY_AUTHENTICATION_MECHANISM";
    case KAFKA_ERR_REPLICA_NOT_AVAILABLE:
        return "REPLICA_NOT_AVAILABLE";
    case KAFKA_ERR_LOG_DIR_NOT_FOUND:
        return "LOG_DIR_NOT_FOUND";
    case KAFKA_ERR_DELEGATION_TOKEN_AUTH_DISABLED:
        return "DELEGATION_TOKEN_AUTH_DISABLED";
    case KAFKA_ERR_DELEGATION_TOKEN_REQUEST_NOT_ALLOWED:
        return "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED";
    case KAFKA_ERR_UNSUPPORTED_COMPRESSION_TYPE:
        return "UNSUPPORTED_COMPRESSION_TYPE";
    case KAFKA_ERR_INVALID_UPDATE_VERSION:
        return "INVALID_UPDATE_VERSION";
    case KAFKA_ERR_UNKNOWN_SUBSCRIPTION_ID:
        return "UNKNOWN_SUBSCRIPTION_ID";
    case KAFKA_ERR_TELEMETRY_TOO_LARGE:
        return "TELEMETRY_TOO_LARGE";
    default:
        return "UNKNOWN";
    }
}

/* --- headers and frames ---------------------------------------------------
 * Request header v1: api_key int16, api_version int16, correlation_id int32,
 *                    client_id nullable STRING (classic int16 length)
 * Request header v2: v1 + tag section.
 * Response header v0: correlation_id int32; v1: + tag section.           */

int kafka_request_header_decode(struct buf_reader *r,
                                struct kafka_request_header *out)
{
    struct kafka_dec d = {r, NULL, false};
    out->api_key = buf_read_i16(r);
    out->api_version = buf_read_i16(r);
    out->correlation_id = buf_read_i32(r);
    out->client_id = kafka_wire_read_string(&d, true);
    out->flexible = kafka_api_flexible(out->api_key, out->api_version);
    if (out->flexible) {
        d.flex = true;
        kafka_wire_read_tags(&d);
    }
    return kafka_wire_done(&d);
}

void kafka_request_header_encode(struct buf *out,
                                 const struct kafka_request_header *h)
{
    struct kafka_enc e = {out, false};
    buf_put_i16(out, h->api_key);
    buf_put_i16(out, h->api_version);
    buf_put_i32(out, h->correlation_id);
    kafka_wire_put_string(&e, h->client_id, true);
    e.flex = kafka_api_flexible(h->api_key, h->api_version);
    kafka_wire_put_tags(&e);
}

static bool response_header_v1(int16_t api_key, int16_t version)
{
    return api_key != KAFKA_API_API_VERSIONS &&
           kafka_api_flexible(api_key, version);
}

void kafka_response_header_encode(struct buf *out, int16_t api_key,
                                  int16_t version, int32_t correlation_id)
{
    buf_put_i32(out, correlation_id);
    if (response_header_v1(api_key, version))
        buf_put_uvarint(out, 0);
}

int kafka_response_header_decode(struct buf_reader *r, int16_t api_key,
                                 int16_t version, int32_t *correlation_id)
{
    struct kafka_dec d = {r, NULL, true};
    *correlation_id = buf_read_i32(r);
    if (response_header_v1(api_key, version))
        kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

size_t kafka_frame_begin(struct buf *out)
{
    size_t start = out->len;
    buf_put_i32(out, 0);
    return start;
}

void kafka_frame_end(struct buf *out, size_t start)
{
    buf_set_i32(out, start, (int32_t)(out->len - start - 4));
}

/* --- ApiVersions --------------------------------------------------------- */

int kafka_api_versions_request_decode(struct buf_reader *r, int16_t version,
                                      struct arena *a,
                                      struct kafka_api_versions_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_API_VERSIONS, version);
    if (rc)
        return rc;
    out->client_software_name = slice_make(NULL, 0);
    out->client_software_version = slice_make(NULL, 0);
    if (version >= 3) {
        out->client_software_name = kafka_wire_read_string(&d, false);
        out->client_software_version = kafka_wire_read_string(&d, false);
        kafka_wire_read_tags(&d);
    }
    return kafka_wire_done(&d);
}

void kafka_api_versions_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_api_versions_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_API_VERSIONS, version);
    if (version >= 3) {
        kafka_wire_put_string(&e, req->client_software_name, false);
        kafka_wire_put_string(&e, req->client_software_version, false);
        kafka_wire_put_tags(&e);
    }
}

void kafka_api_versions_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_api_versions_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_API_VERSIONS, version);
    buf_put_i16(out, resp->error_code);
    kafka_wire_put_array(&e, resp->napis, false);
    for (size_t i = 0; i < resp->napis; i++) {
        buf_put_i16(out, resp->apis[i].api_key);
        buf_put_i16(out, resp->apis[i].min_version);
        buf_put_i16(out, resp->apis[i].max_version);
        kafka_wire_put_tags(&e);
    }
    if (version >= 1)
        buf_put_i32(out, resp->throttle_time_ms);
    if (version < 3 || resp->nfeatures == 0) {
        kafka_wire_put_tags(&e);
        return;
    }
    /* Tagged fields, in tag order: 0 SupportedFeatures [name, min, max,
     * tags], 1 FinalizedFeaturesEpoch int64, 2 FinalizedFeatures [name,
     * max_level, min_level, tags] (both levels the finalized one, as Kafka
     * writes them; level 0 is not finalized and not listed). */
    size_t nfinal = 0;
    for (size_t i = 0; i < resp->nfeatures; i++)
        nfinal += resp->features[i].level > 0;
    buf_put_uvarint(out, 3);
    for (int tag = 0; tag < 3; tag++) {
        struct buf field;
        buf_init(&field);
        struct kafka_enc fe = {&field, true};
        if (tag == 0) {
            kafka_wire_put_array(&fe, resp->nfeatures, false);
            for (size_t i = 0; i < resp->nfeatures; i++) {
                const struct kafka_feature_level *f = &resp->features[i];
                kafka_wire_put_string(&fe, f->name, false);
                buf_put_i16(&field, f->min_version);
                buf_put_i16(&field, f->max_version);
                kafka_wire_put_tags(&fe);
            }
        } else if (tag == 1) {
            buf_put_i64(&field, resp->finalized_features_epoch);
        } else {
            kafka_wire_put_array(&fe, nfinal, false);
            for (size_t i = 0; i < resp->nfeatures; i++) {
                const struct kafka_feature_level *f = &resp->features[i];
                if (f->level <= 0)
                    continue;
                kafka_wire_put_string(&fe, f->name, false);
                buf_put_i16(&field, f->level);
                buf_put_i16(&field, f->level);
                kafka_wire_put_tags(&fe);
            }
        }
        buf_put_uvarint(out, (uint64_t)tag);
        buf_put_uvarint(out, field.len);
        buf_put(out, field.data, field.len);
        buf_fini(&field);
    }
}

int kafka_api_versions_response_decode(struct buf_reader *r, int16_t version,
                                       struct arena *a,
                                       struct kafka_api_versions_response *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_API_VERSIONS, version);
    if (rc)
        return rc;
    out->error_code = buf_read_i16(r);
    /* Java answers an unsupported version in the v0 layout whatever was
     * asked: read it that way. */
    if (out->error_code == KAFKA_ERR_UNSUPPORTED_VERSION) {
        d.flex = false;
        version = 0;
    }
    out->napis = kafka_wire_read_array(&d, 6, false, NULL);
    struct kafka_api_range *apis =
        kafka_wire_alloc(&d, out->napis, sizeof(*apis));
    for (size_t i = 0; i < out->napis; i++) {
        apis[i].api_key = buf_read_i16(r);
        apis[i].min_version = buf_read_i16(r);
        apis[i].max_version = buf_read_i16(r);
        kafka_wire_read_tags(&d);
    }
    out->apis = apis;
    out->throttle_time_ms = version >= 1 ? buf_read_i32(r) : 0;
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_api_versions_unsupported_encode(struct buf *out)
{
    static const struct kafka_api_range own = {KAFKA_API_API_VERSIONS, 0, 4};
    struct kafka_api_versions_response resp = {0};
    resp.error_code = KAFKA_ERR_UNSUPPORTED_VERSION;
    resp.napis = 1;
    resp.apis = &own;
    kafka_api_versions_response_encode(out, 0, &resp);
}

/* --- generic body decode ------------------------------------------------- */

int kafka_request_decode(struct buf_reader *r, int16_t api_key, int16_t version,
                         struct arena *a, void **out)
{
    *out = NULL;
    if (!kafka_api_supported(api_key, version))
        return ERR_UNSUPPORTED;
    switch (api_key) {
    case KAFKA_API_PRODUCE: {
        struct kafka_produce_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_produce_request_decode(r, version, a, q);
    }
    case KAFKA_API_FETCH: {
        struct kafka_fetch_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_fetch_request_decode(r, version, a, q);
    }
    case KAFKA_API_LIST_OFFSETS: {
        struct kafka_list_offsets_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_list_offsets_request_decode(r, version, a, q);
    }
    case KAFKA_API_METADATA: {
        struct kafka_metadata_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_metadata_request_decode(r, version, a, q);
    }
    case KAFKA_API_OFFSET_COMMIT: {
        struct kafka_offset_commit_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_offset_commit_request_decode(r, version, a, q);
    }
    case KAFKA_API_OFFSET_FETCH: {
        struct kafka_offset_fetch_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_offset_fetch_request_decode(r, version, a, q);
    }
    case KAFKA_API_FIND_COORDINATOR: {
        struct kafka_find_coordinator_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_find_coordinator_request_decode(r, version, a, q);
    }
    case KAFKA_API_JOIN_GROUP: {
        struct kafka_join_group_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_join_group_request_decode(r, version, a, q);
    }
    case KAFKA_API_HEARTBEAT: {
        struct kafka_heartbeat_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_heartbeat_request_decode(r, version, a, q);
    }
    case KAFKA_API_LEAVE_GROUP: {
        struct kafka_leave_group_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_leave_group_request_decode(r, version, a, q);
    }
    case KAFKA_API_SYNC_GROUP: {
        struct kafka_sync_group_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_sync_group_request_decode(r, version, a, q);
    }
    case KAFKA_API_DESCRIBE_GROUPS: {
        struct kafka_describe_groups_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_describe_groups_request_decode(r, version, a, q);
    }
    case KAFKA_API_LIST_GROUPS: {
        struct kafka_list_groups_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_list_groups_request_decode(r, version, a, q);
    }
    case KAFKA_API_API_VERSIONS: {
        struct kafka_api_versions_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_api_versions_request_decode(r, version, a, q);
    }
    case KAFKA_API_CREATE_TOPICS: {
        struct kafka_create_topics_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_create_topics_request_decode(r, version, a, q);
    }
    case KAFKA_API_DELETE_TOPICS: {
        struct kafka_delete_topics_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_delete_topics_request_decode(r, version, a, q);
    }
    case KAFKA_API_INIT_PRODUCER_ID: {
        struct kafka_init_producer_id_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_init_producer_id_request_decode(r, version, a, q);
    }
    case KAFKA_API_ADD_PARTITIONS_TO_TXN: {
        struct kafka_add_partitions_to_txn_request *q =
            arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_add_partitions_to_txn_request_decode(r, version, a, q);
    }
    case KAFKA_API_ADD_OFFSETS_TO_TXN: {
        struct kafka_add_offsets_to_txn_request *q =
            arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_add_offsets_to_txn_request_decode(r, version, a, q);
    }
    case KAFKA_API_END_TXN: {
        struct kafka_end_txn_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_end_txn_request_decode(r, version, a, q);
    }
    case KAFKA_API_TXN_OFFSET_COMMIT: {
        struct kafka_txn_offset_commit_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_txn_offset_commit_request_decode(r, version, a, q);
    }
    case KAFKA_API_CREATE_PARTITIONS: {
        struct kafka_create_partitions_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_create_partitions_request_decode(r, version, a, q);
    }
    case KAFKA_API_DESCRIBE_CONFIGS: {
        struct kafka_describe_configs_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_describe_configs_request_decode(r, version, a, q);
    }
    case KAFKA_API_ALTER_CONFIGS:
    case KAFKA_API_INCREMENTAL_ALTER_CONFIGS: {
        struct kafka_alter_configs_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_alter_configs_request_decode(r, api_key, version, a, q);
    }
    case KAFKA_API_DELETE_RECORDS: {
        struct kafka_delete_records_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_delete_records_request_decode(r, version, a, q);
    }
    case KAFKA_API_DELETE_GROUPS: {
        struct kafka_delete_groups_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_delete_groups_request_decode(r, version, a, q);
    }
    case KAFKA_API_OFFSET_DELETE: {
        struct kafka_offset_delete_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_offset_delete_request_decode(r, version, a, q);
    }
    case KAFKA_API_DESCRIBE_CLUSTER: {
        struct kafka_describe_cluster_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_describe_cluster_request_decode(r, version, a, q);
    }
    case KAFKA_API_DESCRIBE_LOG_DIRS:
    case KAFKA_API_LIST_PARTITION_REASSIGNMENTS:
    case KAFKA_API_ELECT_LEADERS:
    case KAFKA_API_DESCRIBE_PRODUCERS: {
        struct kafka_topics_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_topics_request_decode(r, api_key, version, a, q);
    }
    case KAFKA_API_DESCRIBE_TRANSACTIONS: {
        struct kafka_describe_transactions_request *q =
            arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_describe_transactions_request_decode(r, version, a, q);
    }
    case KAFKA_API_LIST_TRANSACTIONS: {
        struct kafka_list_transactions_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_list_transactions_request_decode(r, version, a, q);
    }
    case KAFKA_API_CONSUMER_GROUP_HEARTBEAT: {
        struct kafka_cg_heartbeat_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_cg_heartbeat_request_decode(r, version, a, q);
    }
    case KAFKA_API_CONSUMER_GROUP_DESCRIBE: {
        struct kafka_cg_describe_request *q = arena_calloc(a, sizeof(*q));
        *out = q;
        return kafka_cg_describe_request_decode(r, version, a, q);
    }
    case KAFKA_API_DESCRIBE_CLIENT_QUOTAS:
    case KAFKA_API_ALTER_CLIENT_QUOTAS:
        return kafka_quota_request_decode(r, api_key, version, a, out);
    default:
        if (kafka_extra_api(api_key))
            return kafka_extra_request_decode(r, api_key, version, a, out);
        return kafka_sasl_request_decode(r, api_key, version, a, out);
    }
}

void kafka_request_encode(struct buf *out, int16_t api_key, int16_t version,
                          const void *q)
{
    switch (api_key) {
    case KAFKA_API_PRODUCE:
        kafka_produce_request_encode(out, version, q);
        break;
    case KAFKA_API_FETCH:
        kafka_fetch_request_encode(out, version, q);
        break;
    case KAFKA_API_LIST_OFFSETS:
        kafka_list_offsets_request_encode(out, version, q);
        break;
    case KAFKA_API_METADATA:
        kafka_metadata_request_encode(out, version, q);
        break;
    case KAFKA_API_OFFSET_COMMIT:
        kafka_offset_commit_request_encode(out, version, q);
        break;
    case KAFKA_API_OFFSET_FETCH:
        kafka_offset_fetch_request_encode(out, version, q);
        break;
    case KAFKA_API_FIND_COORDINATOR:
        kafka_find_coordinator_request_encode(out, version, q);
        break;
    case KAFKA_API_JOIN_GROUP:
        kafka_join_group_request_encode(out, version, q);
        break;
    case KAFKA_API_HEARTBEAT:
        kafka_heartbeat_request_encode(out, version, q);
        break;
    case KAFKA_API_LEAVE_GROUP:
        kafka_leave_group_request_encode(out, version, q);
        break;
    case KAFKA_API_SYNC_GROUP:
        kafka_sync_group_request_encode(out, version, q);
        break;
    case KAFKA_API_DESCRIBE_GROUPS:
        kafka_describe_groups_request_encode(out, version, q);
        break;
    case KAFKA_API_LIST_GROUPS:
        kafka_list_groups_request_encode(out, version, q);
        break;
    case KAFKA_API_API_VERSIONS:
        kafka_api_versions_request_encode(out, version, q);
        break;
    case KAFKA_API_CREATE_TOPICS:
        kafka_create_topics_request_encode(out, version, q);
        break;
    case KAFKA_API_DELETE_TOPICS:
        kafka_delete_topics_request_encode(out, version, q);
        break;
    case KAFKA_API_INIT_PRODUCER_ID:
        kafka_init_producer_id_request_encode(out, version, q);
        break;
    case KAFKA_API_ADD_PARTITIONS_TO_TXN:
        kafka_add_partitions_to_txn_request_encode(out, version, q);
        break;
    case KAFKA_API_ADD_OFFSETS_TO_TXN:
        kafka_add_offsets_to_txn_request_encode(out, version, q);
        break;
    case KAFKA_API_END_TXN:
        kafka_end_txn_request_encode(out, version, q);
        break;
    case KAFKA_API_TXN_OFFSET_COMMIT:
        kafka_txn_offset_commit_request_encode(out, version, q);
        break;
    case KAFKA_API_CREATE_PARTITIONS:
        kafka_create_partitions_request_encode(out, version, q);
        break;
    case KAFKA_API_DESCRIBE_CONFIGS:
        kafka_describe_configs_request_encode(out, version, q);
        break;
    case KAFKA_API_ALTER_CONFIGS:
    case KAFKA_API_INCREMENTAL_ALTER_CONFIGS:
        kafka_alter_configs_request_encode(out, api_key, version, q);
        break;
    case KAFKA_API_DELETE_RECORDS:
        kafka_delete_records_request_encode(out, version, q);
        break;
    case KAFKA_API_DELETE_GROUPS:
        kafka_delete_groups_request_encode(out, version, q);
        break;
    case KAFKA_API_OFFSET_DELETE:
        kafka_offset_delete_request_encode(out, version, q);
        break;
    case KAFKA_API_DESCRIBE_CLUSTER:
        kafka_describe_cluster_request_encode(out, version, q);
        break;
    case KAFKA_API_DESCRIBE_LOG_DIRS:
    case KAFKA_API_LIST_PARTITION_REASSIGNMENTS:
    case KAFKA_API_ELECT_LEADERS:
    case KAFKA_API_DESCRIBE_PRODUCERS:
        kafka_topics_request_encode(out, api_key, version, q);
        break;
    case KAFKA_API_DESCRIBE_TRANSACTIONS:
        kafka_describe_transactions_request_encode(out, version, q);
        break;
    case KAFKA_API_LIST_TRANSACTIONS:
        kafka_list_transactions_request_encode(out, version, q);
        break;
    case KAFKA_API_CONSUMER_GROUP_HEARTBEAT:
        kafka_cg_heartbeat_request_encode(out, version, q);
        break;
    case KAFKA_API_CONSUMER_GROUP_DESCRIBE:
        kafka_cg_describe_request_encode(out, version, q);
        break;
    case KAFKA_API_DESCRIBE_CLIENT_QUOTAS:
    case KAFKA_API_ALTER_CLIENT_QUOTAS:
        kafka_quota_request_encode(out, api_key, version, q);
        break;
    default:
        if (kafka_extra_api(api_key))
            kafka_extra_request_encode(out, api_key, version, q);
        else
            kafka_sasl_request_encode(out, api_key, version, q);
        break;
    }
}
