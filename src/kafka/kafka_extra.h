/* kafka_extra.h - codecs of the APIs Kafka 3.9 serves on a single broker
 * that need little of the log: OffsetForLeaderEpoch (23), AlterReplicaLogDirs
 * (34), the delegation-token APIs (38-41), AlterPartitionReassignments (45),
 * UpdateFeatures (57), GetTelemetrySubscriptions (71), PushTelemetry (72),
 * ListClientMetricsResources (74) and DescribeTopicPartitions (75)
 * (layer: kafka; pure codec, no I/O).
 *
 * Same conventions as kafka_proto.h: decoders read the request body into
 * arena memory and return 0, ERR_PARSE or ERR_UNSUPPORTED; encoders append
 * the body and cannot fail. Where a response has the request's shape the
 * request struct carries the answer fields and is answered in place.
 * Field lists are Kafka 3.9's message schemas; flexible versions per
 * kafka_api_flexible().
 */
#ifndef RILL_KAFKA_EXTRA_H
#define RILL_KAFKA_EXTRA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "kafka/kafka_proto.h"

/* =================== OffsetForLeaderEpoch (23) v0-4 ======================= */
/* req: replica_id int32 (v3+), topics[topic, partitions[partition int32,
 * current_leader_epoch int32 (v2+), leader_epoch int32]]. resp: throttle
 * int32 (v2+), topics[topic, partitions[error_code int16, partition int32,
 * leader_epoch int32 (v1+), end_offset int64]]. v4+ flexible. */
struct kafka_ofle_partition {
    int32_t partition;
    int32_t current_leader_epoch; /* -1 when absent (v0-1) */
    int32_t leader_epoch;
    /* answer */
    int16_t error_code;
    int32_t end_epoch;
    int64_t end_offset;
};
struct kafka_ofle_topic {
    struct slice name;
    size_t npartitions;
    struct kafka_ofle_partition *partitions;
};
struct kafka_ofle_request {
    int32_t replica_id; /* -2 (debugging) when absent (v0-2) */
    size_t ntopics;
    struct kafka_ofle_topic *topics;
};
int kafka_ofle_request_decode(struct buf_reader *r, int16_t version,
                              struct arena *a, struct kafka_ofle_request *out);
void kafka_ofle_request_encode(struct buf *out, int16_t version,
                               const struct kafka_ofle_request *req);
void kafka_ofle_response_encode(struct buf *out, int16_t version,
                                const struct kafka_ofle_request *answered);

/* =================== AlterReplicaLogDirs (34) v0-2 ======================== */
/* req: dirs[path, topics[name, partitions []int32]]. resp: throttle,
 * results[topic_name, partitions[partition_index, error_code]]. v2+
 * flexible. */
struct kafka_alter_log_dir {
    struct slice path;
    size_t ntopics;
    struct kafka_topic_partitions *topics;
};
struct kafka_alter_log_dirs_request {
    size_t ndirs;
    struct kafka_alter_log_dir *dirs;
};
int kafka_alter_log_dirs_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_alter_log_dirs_request *out);
void kafka_alter_log_dirs_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_alter_log_dirs_request *req);
void kafka_alter_log_dirs_response_encode(struct buf *out, int16_t version,
                                          const struct kafka_topic_errors *t,
                                          size_t n);

/* ============= AlterPartitionReassignments (45) v0, flexible ============== */
/* req: timeout_ms int32, topics[name, partitions[partition_index int32,
 * replicas nullable []int32]]. resp: throttle, error_code, error_message
 * nullable, responses[name, partitions[partition_index, error_code,
 * error_message nullable]]. */
struct kafka_reassign_partition {
    int32_t partition_index;
    bool replicas_null; /* null: cancel a reassignment */
    size_t nreplicas;
    int32_t *replicas;
    /* answer */
    int16_t error_code;
    struct slice error_message;
};
struct kafka_reassign_topic {
    struct slice name;
    size_t npartitions;
    struct kafka_reassign_partition *partitions;
};
struct kafka_alter_reassignments_request {
    int32_t timeout_ms;
    size_t ntopics;
    struct kafka_reassign_topic *topics;
};
int kafka_alter_reassignments_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_alter_reassignments_request *out);
void kafka_alter_reassignments_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_alter_reassignments_request *req);
void kafka_alter_reassignments_response_encode(
    struct buf *out, int16_t version, int16_t error_code,
    struct slice error_message,
    const struct kafka_alter_reassignments_request *answered);

/* ================ delegation tokens (38-41), v2+ flexible ================= */
/* CreateDelegationToken v0-3 req: owner_principal_type nullable (v3+),
 *   owner_principal_name nullable (v3+), renewers[principal_type,
 *   principal_name], max_lifetime_ms int64.
 *   resp: error_code, principal_type, principal_name,
 *   token_requester_principal_type (v3+), token_requester_principal_name
 *   (v3+), issue_timestamp_ms, expiry_timestamp_ms, max_timestamp_ms int64,
 *   token_id STRING, hmac BYTES, throttle int32.
 * Renew (39) / Expire (40) v0-2 req: hmac BYTES, period_ms int64.
 *   resp: error_code, expiry_timestamp_ms int64, throttle int32.
 * DescribeDelegationToken (41) v0-3 req: owners nullable[principal_type,
 *   principal_name]. resp: error_code, tokens[...] (rill keeps none: always
 *   written empty), throttle int32. */
struct kafka_principal {
    struct slice type, name;
};
struct kafka_token_request {
    int16_t api_key; /* which of the four */
    /* Create */
    struct slice owner_type, owner_name; /* v3+, nullable */
    size_t nrenewers;
    struct kafka_principal *renewers;
    int64_t max_lifetime_ms;
    /* Renew / Expire */
    struct slice hmac;
    int64_t period_ms;
    /* Describe */
    bool owners_null;
    size_t nowners;
    struct kafka_principal *owners;
};
struct kafka_token_response {
    int16_t error_code;
    struct kafka_principal owner, requester; /* Create */
    int64_t issue_ms, expiry_ms, max_ms;     /* expiry_ms: also Renew/Expire */
    struct slice token_id, hmac;             /* Create */
};
int kafka_token_request_decode(struct buf_reader *r, int16_t api_key,
                               int16_t version, struct arena *a,
                               struct kafka_token_request *out);
void kafka_token_request_encode(struct buf *out, int16_t version,
                                const struct kafka_token_request *req);
void kafka_token_response_encode(struct buf *out, int16_t api_key,
                                 int16_t version,
                                 const struct kafka_token_response *resp);

/* ===================== UpdateFeatures (57) v0-1, flexible ================= */
/* req: timeout_ms int32, feature_updates[feature, max_version_level int16,
 * allow_downgrade bool (v0 only), upgrade_type int8 (v1+)], validate_only
 * bool (v1+). resp: throttle, error_code, error_message nullable,
 * results[feature, error_code, error_message nullable]. Upgrade types:
 * 1 upgrade, 2 safe downgrade, 3 unsafe downgrade. */
struct kafka_feature_update {
    struct slice feature;
    int16_t max_version_level;
    bool allow_downgrade; /* v0 */
    int8_t upgrade_type;  /* v1+; v0 decodes as 2 if allow_downgrade else 1 */
    /* answer */
    int16_t error_code;
    struct slice error_message;
};
struct kafka_update_features_request {
    int32_t timeout_ms;
    size_t nupdates;
    struct kafka_feature_update *updates;
    bool validate_only; /* v1+ */
};
int kafka_update_features_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_update_features_request *out);
void kafka_update_features_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_update_features_request *req);
void kafka_update_features_response_encode(
    struct buf *out, int16_t version, int16_t error_code,
    struct slice error_message,
    const struct kafka_update_features_request *answered);

/* ============ client telemetry (KIP-714: 71, 72, 74), v0 flexible ========= */
/* GetTelemetrySubscriptions req: client_instance_id uuid. resp: throttle,
 *   error_code, client_instance_id uuid, subscription_id int32,
 *   accepted_compression_types []int8, push_interval_ms int32,
 *   telemetry_max_bytes int32, delta_temporality bool, requested_metrics
 *   []string.
 * PushTelemetry req: client_instance_id uuid, subscription_id int32,
 *   terminating bool, compression_type int8, metrics BYTES.
 *   resp: throttle, error_code.
 * ListClientMetricsResources req: (tags only). resp: throttle, error_code,
 *   client_metrics_resources[name]. */
struct kafka_telemetry_request {
    int16_t api_key; /* which of the three */
    struct kafka_uuid client_instance_id;
    int32_t subscription_id;
    bool terminating;
    int8_t compression_type;
    struct slice metrics;
};
struct kafka_telemetry_subscription {
    int16_t error_code;
    struct kafka_uuid client_instance_id;
    int32_t subscription_id;
    size_t ncompression;
    const int8_t *compression;
    int32_t push_interval_ms;
    int32_t telemetry_max_bytes;
    bool delta_temporality;
    size_t nmetrics;
    const struct slice *metrics;
};
int kafka_telemetry_request_decode(struct buf_reader *r, int16_t api_key,
                                   int16_t version, struct arena *a,
                                   struct kafka_telemetry_request *out);
void kafka_telemetry_request_encode(struct buf *out, int16_t version,
                                    const struct kafka_telemetry_request *req);
void kafka_telemetry_subscription_encode(
    struct buf *out, int16_t version,
    const struct kafka_telemetry_subscription *resp);
/* PushTelemetry's answer (throttle, error_code) and
 * ListClientMetricsResources' (throttle, error_code, names). */
void kafka_push_telemetry_response_encode(struct buf *out, int16_t version,
                                          int16_t error_code);
void kafka_list_client_metrics_response_encode(struct buf *out, int16_t version,
                                               int16_t error_code,
                                               const struct slice *names,
                                               size_t n);

/* ============== DescribeTopicPartitions (75) v0, flexible ================= */
/* req: topics[name, tags], response_partition_limit int32, cursor nullable
 * {topic_name, partition_index int32, tags} (int8 -1 = null, 1 = present).
 * resp: throttle, topics[error_code, name nullable, topic_id uuid,
 * is_internal bool, partitions[error_code, partition_index, leader_id,
 * leader_epoch, replica_nodes []int32, isr_nodes []int32,
 * eligible_leader_replicas nullable []int32, last_known_elr nullable
 * []int32, offline_replicas []int32], topic_authorized_operations int32],
 * next_cursor nullable {topic_name, partition_index}. The ELR lists are
 * written empty (not null) and offline_replicas empty, as Kafka answers a
 * partition without eligible leader replicas. */
struct kafka_dtp_request {
    size_t ntopics;
    struct slice *topics;
    int32_t response_partition_limit;
    bool cursor_null;
    struct slice cursor_topic;
    int32_t cursor_partition;
};
struct kafka_dtp_partition {
    int16_t error_code;
    int32_t partition_index, leader_id, leader_epoch;
    size_t nreplicas;
    const int32_t *replicas;
    size_t nisr;
    const int32_t *isr;
};
struct kafka_dtp_topic {
    int16_t error_code;
    struct slice name; /* nullable */
    struct kafka_uuid topic_id;
    bool is_internal;
    size_t npartitions;
    struct kafka_dtp_partition *partitions;
    int32_t topic_authorized_operations;
};
struct kafka_dtp_response {
    size_t ntopics;
    struct kafka_dtp_topic *topics;
    bool next_cursor_null;
    struct slice next_topic;
    int32_t next_partition;
};
int kafka_dtp_request_decode(struct buf_reader *r, int16_t version,
                             struct arena *a, struct kafka_dtp_request *out);
void kafka_dtp_request_encode(struct buf *out, int16_t version,
                              const struct kafka_dtp_request *req);
void kafka_dtp_response_encode(struct buf *out, int16_t version,
                               const struct kafka_dtp_response *resp);

/* For kafka_request_decode / kafka_request_encode (and the fuzzer): the
 * struct above matching api_key, allocated from `a`. ERR_UNSUPPORTED for
 * other keys; the encoder appends nothing for them. */
int kafka_extra_request_decode(struct buf_reader *r, int16_t api_key,
                               int16_t version, struct arena *a, void **out);
void kafka_extra_request_encode(struct buf *out, int16_t api_key,
                                int16_t version, const void *req);
/* Whether api_key is one of this file's. */
bool kafka_extra_api(int16_t api_key);

#endif
