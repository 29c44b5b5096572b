/* kafka_proto.h - the Kafka wire protocol as rill speaks it: API keys, error
 * codes, the one ApiKey/version table, request/response headers and, for
 * every API, a request struct with its decoder and a response struct with its
 * encoder (layer: kafka; pure codec, no I/O, no sockets, no log access).
 *
 * Conventions (every function below follows them):
 *  - Decoders read from a struct buf_reader positioned at the start of the
 *    structure (the request body after the header, say). They return 0, or
 *    ERR_PARSE for short / malformed input, or ERR_UNSUPPORTED for an ApiKey
 *    or version outside the table. Trailing bytes after the structure are
 *    left unread (not an error). On error *out is partially filled garbage.
 *  - Arrays are allocated from the arena `a` (one arena per request, reset
 *    by the caller); every count is checked against the bytes left before
 *    anything is allocated, so a hostile count cannot allocate more than a
 *    small multiple of the frame size.
 *  - Strings and byte fields are struct slice views borrowed from the
 *    reader's buffer: valid as long as the frame is. A NULL `ptr` means the
 *    protocol's null (nullable string / bytes); an empty but non-null value
 *    has a non-NULL ptr and len 0. Encoders write a non-nullable field whose
 *    ptr is NULL as the empty string. KAFKA_STR("x") builds a slice.
 *  - Encoders append to `out` (never reset it) and cannot fail: the caller
 *    built the struct (classic strings must stay under 32 KiB, bytes under
 *    2 GiB; longer values are not checked). They write the body only; the
 *    frame length and the response header are written by the caller
 *    (kafka_response_header_encode).
 *  - Flexible (compact) encodings are used exactly when kafka_api_flexible()
 *    says so. In the advertised table only ApiVersions v3 is flexible.
 *  - Requests also have encoders and responses decoders (the client side,
 *    used by `rill groups` / the CLI and by round-trip tests).
 *  All functions are pure and thread-safe (no global mutable state).
 */
#ifndef RILL_KAFKA_PROTO_H
#define RILL_KAFKA_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"

#define KAFKA_STR(s) slice_make((s), sizeof(s) - 1)

/* Largest frame (size prefix excluded) the codec is designed for. */
#define KAFKA_FRAME_MAX (100 * 1024 * 1024)

enum kafka_api_key {
    KAFKA_API_PRODUCE = 0,
    KAFKA_API_FETCH = 1,
    KAFKA_API_LIST_OFFSETS = 2,
    KAFKA_API_METADATA = 3,
    KAFKA_API_OFFSET_COMMIT = 8,
    KAFKA_API_OFFSET_FETCH = 9,
    KAFKA_API_FIND_COORDINATOR = 10,
    KAFKA_API_JOIN_GROUP = 11,
    KAFKA_API_HEARTBEAT = 12,
    KAFKA_API_LEAVE_GROUP = 13,
    KAFKA_API_SYNC_GROUP = 14,
    KAFKA_API_DESCRIBE_GROUPS = 15,
    KAFKA_API_LIST_GROUPS = 16,
    KAFKA_API_API_VERSIONS = 18,
    KAFKA_API_CREATE_TOPICS = 19,
    KAFKA_API_DELETE_TOPICS = 20,
    KAFKA_API_INIT_PRODUCER_ID = 22,
    KAFKA_API_ADD_PARTITIONS_TO_TXN = 24,
    KAFKA_API_ADD_OFFSETS_TO_TXN = 25,
    KAFKA_API_END_TXN = 26,
    KAFKA_API_TXN_OFFSET_COMMIT = 28,
    KAFKA_API_DELETE_RECORDS = 21,
    KAFKA_API_DESCRIBE_CONFIGS = 32,
    KAFKA_API_ALTER_CONFIGS = 33,
    KAFKA_API_DESCRIBE_LOG_DIRS = 35,
    KAFKA_API_CREATE_PARTITIONS = 37,
    KAFKA_API_DELETE_GROUPS = 42,
    KAFKA_API_ELECT_LEADERS = 43,
    KAFKA_API_INCREMENTAL_ALTER_CONFIGS = 44,
    KAFKA_API_LIST_PARTITION_REASSIGNMENTS = 46,
    KAFKA_API_OFFSET_DELETE = 47,
    KAFKA_API_DESCRIBE_CLIENT_QUOTAS = 48,
    KAFKA_API_ALTER_CLIENT_QUOTAS = 49,
    KAFKA_API_DESCRIBE_CLUSTER = 60,
    KAFKA_API_DESCRIBE_PRODUCERS = 61,
    /* security (kafka_sasl.h) */
    KAFKA_API_SASL_HANDSHAKE = 17,
    KAFKA_API_DESCRIBE_ACLS = 29,
    KAFKA_API_CREATE_ACLS = 30,
    KAFKA_API_DELETE_ACLS = 31,
    KAFKA_API_SASL_AUTHENTICATE = 36,
    KAFKA_API_DESCRIBE_USER_SCRAM = 50,
    KAFKA_API_ALTER_USER_SCRAM = 51,
    KAFKA_API_DESCRIBE_TRANSACTIONS = 65,
    KAFKA_API_LIST_TRANSACTIONS = 66,
    KAFKA_API_CONSUMER_GROUP_HEARTBEAT = 68,
    KAFKA_API_CONSUMER_GROUP_DESCRIBE = 69,
    /* kafka_extra.h */
    KAFKA_API_OFFSET_FOR_LEADER_EPOCH = 23,
    KAFKA_API_ALTER_REPLICA_LOG_DIRS = 34,
    KAFKA_API_CREATE_DELEGATION_TOKEN = 38,
    KAFKA_API_RENEW_DELEGATION_TOKEN = 39,
    KAFKA_API_EXPIRE_DELEGATION_TOKEN = 40,
    KAFKA_API_DESCRIBE_DELEGATION_TOKEN = 41,
    KAFKA_API_ALTER_PARTITION_REASSIGNMENTS = 45,
    KAFKA_API_UPDATE_FEATURES = 57,
    KAFKA_API_GET_TELEMETRY_SUBSCRIPTIONS = 71,
    KAFKA_API_PUSH_TELEMETRY = 72,
    KAFKA_API_LIST_CLIENT_METRICS_RESOURCES = 74,
    KAFKA_API_DESCRIBE_TOPIC_PARTITIONS = 75,
};

/* Kafka protocol error codes (int16 on the wire). */
enum kafka_error {
    KAFKA_ERR_UNKNOWN_SERVER_ERROR = -1,
    KAFKA_ERR_NONE = 0,
    KAFKA_ERR_OFFSET_OUT_OF_RANGE = 1,
    KAFKA_ERR_CORRUPT_MESSAGE = 2,
    KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION = 3,
    KAFKA_ERR_LEADER_NOT_AVAILABLE = 5,
    KAFKA_ERR_NOT_LEADER_OR_FOLLOWER = 6,
    KAFKA_ERR_REQUEST_TIMED_OUT = 7,
    KAFKA_ERR_MESSAGE_TOO_LARGE = 10,
    KAFKA_ERR_COORDINATOR_LOAD_IN_PROGRESS = 14,
    KAFKA_ERR_COORDINATOR_NOT_AVAILABLE = 15,
    KAFKA_ERR_NOT_COORDINATOR = 16,
    KAFKA_ERR_INVALID_TOPIC_EXCEPTION = 17,
    KAFKA_ERR_RECORD_LIST_TOO_LARGE = 18,
    KAFKA_ERR_NOT_ENOUGH_REPLICAS = 19,
    KAFKA_ERR_INVALID_REQUIRED_ACKS = 21,
    KAFKA_ERR_ILLEGAL_GENERATION = 22,
    KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL = 23,
    KAFKA_ERR_INVALID_GROUP_ID = 24,
    KAFKA_ERR_UNKNOWN_MEMBER_ID = 25,
    KAFKA_ERR_INVALID_SESSION_TIMEOUT = 26,
    KAFKA_ERR_REBALANCE_IN_PROGRESS = 27,
    KAFKA_ERR_INVALID_COMMIT_OFFSET_SIZE = 28,
    KAFKA_ERR_UNSUPPORTED_VERSION = 35,
    KAFKA_ERR_TOPIC_ALREADY_EXISTS = 36,
    KAFKA_ERR_INVALID_PARTITIONS = 37,
    KAFKA_ERR_INVALID_REPLICATION_FACTOR = 38,
    KAFKA_ERR_INVALID_CONFIG = 40,
    KAFKA_ERR_INVALID_REQUEST = 42,
    KAFKA_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT = 43,
    KAFKA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER = 45,
    KAFKA_ERR_DUPLICATE_SEQUENCE_NUMBER = 46,
    KAFKA_ERR_INVALID_PRODUCER_EPOCH = 47,
    KAFKA_ERR_INVALID_TXN_STATE = 48,
    KAFKA_ERR_INVALID_PRODUCER_ID_MAPPING = 49,
    KAFKA_ERR_INVALID_TRANSACTION_TIMEOUT = 50,
    KAFKA_ERR_CONCURRENT_TRANSACTIONS = 51,
    KAFKA_ERR_TRANSACTION_COORDINATOR_FENCED = 52,
    KAFKA_ERR_UNKNOWN_PRODUCER_ID = 59,
    KAFKA_ERR_GROUP_ID_NOT_FOUND = 69,
    KAFKA_ERR_NON_EMPTY_GROUP = 68,
    KAFKA_ERR_KAFKA_STORAGE_ERROR = 56,
    KAFKA_ERR_MEMBER_ID_REQUIRED = 79,
    KAFKA_ERR_FENCED_INSTANCE_ID = 82,
    KAFKA_ERR_INVALID_RECORD = 87,
    KAFKA_ERR_UNSTABLE_OFFSET_COMMIT = 88,
    KAFKA_ERR_PRODUCER_FENCED = 90,
    KAFKA_ERR_POLICY_VIOLATION = 44,
    KAFKA_ERR_INVALID_REPLICA_ASSIGNMENT = 39,
    KAFKA_ERR_GROUP_SUBSCRIBED_TO_TOPIC = 86,
    KAFKA_ERR_ELECTION_NOT_NEEDED = 84,
    KAFKA_ERR_NO_REASSIGNMENT_IN_PROGRESS = 85,
    KAFKA_ERR_UNKNOWN_TOPIC_ID = 100,
    /* security */
    KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED = 29,
    KAFKA_ERR_GROUP_AUTHORIZATION_FAILED = 30,
    KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED = 31,
    KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM = 33,
    KAFKA_ERR_ILLEGAL_SASL_STATE = 34,
    KAFKA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53,
    KAFKA_ERR_SECURITY_DISABLED = 54,
    KAFKA_ERR_SASL_AUTHENTICATION_FAILED = 58,
    KAFKA_ERR_RESOURCE_NOT_FOUND = 91,
    KAFKA_ERR_UNSUPPORTED_BY_AUTHENTICATION_MECHANISM = 98,
    KAFKA_ERR_FENCED_MEMBER_EPOCH = 110,
    KAFKA_ERR_UNSUPPORTED_ASSIGNOR = 112,
    KAFKA_ERR_STALE_MEMBER_EPOCH = 113,
    /* kafka_extra.h */
    KAFKA_ERR_REPLICA_NOT_AVAILABLE = 9,
    KAFKA_ERR_LOG_DIR_NOT_FOUND = 57,
    KAFKA_ERR_DELEGATION_TOKEN_AUTH_DISABLED = 61,
    KAFKA_ERR_DELEGATION_TOKEN_REQUEST_NOT_ALLOWED = 64,
    KAFKA_ERR_UNSUPPORTED_COMPRESSION_TYPE = 76,
    KAFKA_ERR_INVALID_UPDATE_VERSION = 95,
    KAFKA_ERR_UNKNOWN_SUBSCRIPTION_ID = 117,
    KAFKA_ERR_TELEMETRY_TOO_LARGE = 118,
};

/* "UNKNOWN_TOPIC_OR_PARTITION" etc.; "UNKNOWN" for codes not listed above. */
const char *kafka_error_name(int16_t code);
/* "Produce", "ApiVersions", ...; "Unknown" for keys not in the enum. */
const char *kafka_api_name(int16_t api_key);

/* --- the ApiKey/version table (kafka_api.c) ------------------------------ */

struct kafka_api_range {
    int16_t api_key, min_version, max_version;
};

/* The advertised table, in ApiKey order (the ApiVersions answer). */
const struct kafka_api_range *kafka_api_table(size_t *n);
/* Whether rill implements api_key at version (inside the table). */
bool kafka_api_supported(int16_t api_key, int16_t version);
/* Whether api_key at version uses the flexible (compact, tagged) encoding,
 * i.e. request header v2 / response header v1. Uses Kafka 3.4's first
 * flexible version per API, also for versions outside the table; false for
 * unknown keys. */
bool kafka_api_flexible(int16_t api_key, int16_t version);

/* --- headers ------------------------------------------------------------- */

struct kafka_request_header {
    int16_t api_key;
    int16_t api_version;
    int32_t correlation_id;
    struct slice client_id; /* classic nullable string; ptr NULL = null */
    bool flexible;          /* header v2 (tags read and skipped) */
};

/* Decodes request header v1 or v2 (v2 iff kafka_api_flexible(key, version);
 * client_id is always a classic string). Leaves r at the body. Unknown keys
 * and versions decode fine (as v1 / by the flexible rule) so the caller can
 * answer UNSUPPORTED_VERSION. Returns 0 or ERR_PARSE. */
int kafka_request_header_decode(struct buf_reader *r,
                                struct kafka_request_header *out);
/* Client side: writes header v1/v2 (flexible decided from key/version; the
 * `flexible` field is ignored). */
void kafka_request_header_encode(struct buf *out,
                                 const struct kafka_request_header *h);
/* Response header v0 (correlation id) or v1 (plus an empty tag section) for
 * flexible versions, except ApiVersions which always gets v0. */
void kafka_response_header_encode(struct buf *out, int16_t api_key,
                                  int16_t version, int32_t correlation_id);
int kafka_response_header_decode(struct buf_reader *r, int16_t api_key,
                                 int16_t version, int32_t *correlation_id);

/* Frames: 4-byte big-endian size, not counting itself. These reserve the
 * size at `start = out->len` and patch it once the frame is complete. */
size_t kafka_frame_begin(struct buf *out);
void kafka_frame_end(struct buf *out, size_t start);

/* Decodes the body of any request of the table into a struct allocated from
 * `a` (the struct type matching api_key, e.g. struct kafka_produce_request).
 * For dispatchers and the fuzzer. Returns 0, ERR_PARSE or ERR_UNSUPPORTED. */
int kafka_request_decode(struct buf_reader *r, int16_t api_key, int16_t version,
                         struct arena *a, void **out);

/* The reverse: encodes a request struct of api_key's type (as produced by
 * kafka_request_decode) with that API's request encoder. Unknown keys
 * append nothing. */
void kafka_request_encode(struct buf *out, int16_t api_key, int16_t version,
                          const void *req);

/* Shared small structs. */
struct kafka_topic_partitions { /* {name, partitions ARRAY[int32]} */
    struct slice name;
    size_t npartitions;
    int32_t *partitions;
};

struct kafka_partition_error {
    int32_t partition_index;
    int16_t error_code;
};

struct kafka_topic_errors { /* {name, partitions[{index, error_code}]} */
    struct slice name;
    size_t npartitions;
    struct kafka_partition_error *partitions;
};

/* ======================= ApiVersions (18) v0-4 =========================== */
/* v3 is flexible: request carries two compact strings and tags; the response
 * body uses a compact array and tags but the response header stays v0. */

struct kafka_api_versions_request {
    struct slice client_software_name;    /* v3+ */
    struct slice client_software_version; /* v3+ */
};

/* A feature rill supports (ApiVersions v3+ SupportedFeatures) and its
 * finalized level (FinalizedFeatures; 0 = not finalized, not listed). */
struct kafka_feature_level {
    struct slice name;
    int16_t min_version, max_version;
    int16_t level;
};

struct kafka_api_versions_response {
    int16_t error_code;
    size_t napis;
    const struct kafka_api_range *apis;
    int32_t throttle_time_ms; /* v1+ */
    /* v3+ tagged fields 0-2, written only when nfeatures > 0 */
    size_t nfeatures;
    const struct kafka_feature_level *features;
    int64_t finalized_features_epoch;
};

int kafka_api_versions_request_decode(struct buf_reader *r, int16_t version,
                                      struct arena *a,
                                      struct kafka_api_versions_request *out);
void kafka_api_versions_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_api_versions_request *req);
void kafka_api_versions_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_api_versions_response *resp);
int kafka_api_versions_response_decode(struct buf_reader *r, int16_t version,
                                       struct arena *a,
                                       struct kafka_api_versions_response *out);
/* The answer to an ApiVersions request of an unsupported version: a v0
 * layout body with error 35 and ApiVersions' own range (Java's behaviour;
 * librdkafka then retries with v0). Send it with a v0 response header. */
void kafka_api_versions_unsupported_encode(struct buf *out);

/* ======================= Metadata (3) v0-12 ============================== */
/* v9+ flexible; v10+ topic ids (rill has none: it answers the zero id and
 * UNKNOWN_TOPIC_ID for a topic asked by id only). */

struct kafka_uuid {
    uint8_t b[16];
};

struct kafka_metadata_request {
    bool topics_null; /* v1+: null = all topics (v0: empty = all) */
    size_t ntopics;
    struct slice *topics;           /* v10+: an entry may be null (by id) */
    bool allow_auto_topic_creation; /* v4+, true before v4 */
    struct kafka_uuid *topic_ids;   /* v10+, ntopics of them; NULL = zeros */
    bool include_cluster_authorized_operations; /* v8-10 */
    bool include_topic_authorized_operations;   /* v8+ */
};

struct kafka_metadata_broker {
    int32_t node_id;
    struct slice host;
    int32_t port;
    struct slice rack; /* v1+, nullable */
};

struct kafka_metadata_partition {
    int16_t error_code;
    int32_t partition_index;
    int32_t leader_id;
    size_t nreplicas;
    int32_t *replicas;
    size_t nisr;
    int32_t *isr;
    int32_t leader_epoch; /* v7+ */
    size_t noffline;      /* v5+ */
    int32_t *offline;
};

struct kafka_metadata_topic {
    int16_t error_code;
    struct slice name;
    bool is_internal; /* v1+ */
    size_t npartitions;
    struct kafka_metadata_partition *partitions;
    struct kafka_uuid topic_id;          /* v10+ */
    int32_t topic_authorized_operations; /* v8+, INT32_MIN = not computed */
};

struct kafka_metadata_response {
    int32_t throttle_time_ms; /* v3+ */
    size_t nbrokers;
    struct kafka_metadata_broker *brokers;
    struct slice cluster_id; /* v2+, nullable */
    int32_t controller_id;   /* v1+ */
    size_t ntopics;
    struct kafka_metadata_topic *topics;
    int32_t cluster_authorized_operations; /* v8-10 */
};

int kafka_metadata_request_decode(struct buf_reader *r, int16_t version,
                                  struct arena *a,
                                  struct kafka_metadata_request *out);
void kafka_metadata_request_encode(struct buf *out, int16_t version,
                                   const struct kafka_metadata_request *req);
void kafka_metadata_response_encode(struct buf *out, int16_t version,
                                    const struct kafka_metadata_response *resp);
int kafka_metadata_response_decode(struct buf_reader *r, int16_t version,
                                   struct arena *a,
                                   struct kafka_metadata_response *out);

/* ======================= Produce (0) v3-7 ================================ */
/* The request is the same for v3-v7. `records` is the raw RecordBatch bytes
 * as sent (stored as-is by the log); ptr NULL = null records. acks=0 means
 * the broker sends no response at all. */

struct kafka_produce_partition {
    int32_t partition_index;
    struct slice records;
};

struct kafka_produce_topic {
    struct slice name;
    size_t npartitions;
    struct kafka_produce_partition *partitions;
};

struct kafka_produce_request {
    struct slice transactional_id; /* nullable */
    int16_t acks;
    int32_t timeout_ms;
    size_t ntopics;
    struct kafka_produce_topic *topics;
};

/* KIP-467: which record of the batch made it fail (v8+). */
struct kafka_record_error {
    int32_t batch_index;
    struct slice message; /* nullable */
};

struct kafka_produce_partition_response {
    int32_t partition_index;
    int16_t error_code;
    int64_t base_offset;
    int64_t log_append_time_ms; /* -1 unless LogAppendTime */
    int64_t log_start_offset;   /* v5+ */
    size_t nrecord_errors;      /* v8+ */
    struct kafka_record_error *record_errors;
    struct slice error_message; /* v8+, nullable */
};

struct kafka_produce_topic_response {
    struct slice name;
    size_t npartitions;
    struct kafka_produce_partition_response *partitions;
};

struct kafka_produce_response {
    size_t ntopics;
    struct kafka_produce_topic_response *topics;
    int32_t throttle_time_ms; /* at the END of the body */
};

int kafka_produce_request_decode(struct buf_reader *r, int16_t version,
                                 struct arena *a,
                                 struct kafka_produce_request *out);
void kafka_produce_request_encode(struct buf *out, int16_t version,
                                  const struct kafka_produce_request *req);
void kafka_produce_response_encode(struct buf *out, int16_t version,
                                   const struct kafka_produce_response *resp);
int kafka_produce_response_decode(struct buf_reader *r, int16_t version,
                                  struct arena *a,
                                  struct kafka_produce_response *out);

/* ======================= Fetch (1) v4-17 ================================= */

struct kafka_fetch_partition {
    int32_t partition_index;
    int32_t current_leader_epoch; /* v9+, -1 before */
    int64_t fetch_offset;
    int64_t log_start_offset; /* v5+, -1 before */
    int32_t partition_max_bytes;
    int32_t last_fetched_epoch; /* v12+, -1 before */
};

struct kafka_fetch_topic {
    struct slice name; /* v4-12 */
    size_t npartitions;
    struct kafka_fetch_partition *partitions;
    struct kafka_uuid topic_id; /* v13+ (KIP-516), instead of the name */
};

struct kafka_fetch_request {
    int32_t replica_id;
    int32_t max_wait_ms;
    int32_t min_bytes;
    int32_t max_bytes;
    int8_t isolation_level; /* 0 read_uncommitted, 1 read_committed */
    int32_t session_id;     /* v7+, 0 before */
    int32_t session_epoch;  /* v7+, -1 before */
    size_t ntopics;
    struct kafka_fetch_topic *topics;
    size_t nforgotten; /* v7+ */
    struct kafka_topic_partitions *forgotten;
    struct slice rack_id;             /* v11+ */
    struct kafka_uuid *forgotten_ids; /* v13+: nforgotten ids, no names */
};

struct kafka_fetch_aborted {
    int64_t producer_id;
    int64_t first_offset;
};

/* Records of one partition, three ways:
 *  - records_splice false, records.ptr NULL: null records (length -1);
 *  - records_splice false, records.ptr set: the bytes are copied inline;
 *  - records_splice true: the encoder writes the int32 length
 *    records_splice_len and then NOTHING: it calls the splice callback with
 *    pos == out->len at that moment, and the caller must send
 *    records_splice_len bytes (e.g. a segment file range with sendfile) at
 *    exactly that position of the output stream. */
struct kafka_fetch_partition_response {
    int32_t partition_index;
    int16_t error_code;
    int64_t high_watermark;
    int64_t last_stable_offset;
    int64_t log_start_offset; /* v5+ */
    bool aborted_null;        /* aborted_transactions null (-1) */
    size_t naborted;
    struct kafka_fetch_aborted *aborted;
    int32_t preferred_read_replica; /* v11+, -1 */
    struct slice records;
    bool records_splice;
    size_t records_splice_len;
};

struct kafka_fetch_topic_response {
    struct slice name; /* v4-12 */
    size_t npartitions;
    struct kafka_fetch_partition_response *partitions;
    struct kafka_uuid topic_id; /* v13+ */
};

struct kafka_fetch_response {
    int32_t throttle_time_ms;
    int16_t error_code; /* v7+ */
    int32_t session_id; /* v7+ */
    size_t ntopics;
    struct kafka_fetch_topic_response *topics;
};

/* Called once per spliced partition, in output order, when out->len == pos
 * is where its len bytes go. topic_index / partition_index are indexes into
 * resp->topics / topics[i].partitions (not partition ids). */
typedef void kafka_fetch_splice_fn(void *arg, size_t topic_index,
                                   size_t partition_index, size_t pos,
                                   size_t len);

int kafka_fetch_request_decode(struct buf_reader *r, int16_t version,
                               struct arena *a,
                               struct kafka_fetch_request *out);
void kafka_fetch_request_encode(struct buf *out, int16_t version,
                                const struct kafka_fetch_request *req);
/* splice may be NULL only if no partition has records_splice set. The
 * final frame is out's bytes with each spliced range inserted at its pos;
 * the frame size must count the spliced bytes too (sum of
 * kafka_fetch_response_splice_bytes()). */
void kafka_fetch_response_encode(struct buf *out, int16_t version,
                                 const struct kafka_fetch_response *resp,
                                 kafka_fetch_splice_fn *splice, void *arg);
size_t kafka_fetch_response_splice_bytes(const struct kafka_fetch_response *r);
/* Client side: records come back as a slice of the response (inline). */
int kafka_fetch_response_decode(struct buf_reader *r, int16_t version,
                                struct arena *a,
                                struct kafka_fetch_response *out);

/* ======================= ListOffsets (2) v1-9 ============================ */

enum {
    KAFKA_OFFSET_LATEST = -1,         /* timestamp: the HWM (or LSO) */
    KAFKA_OFFSET_EARLIEST = -2,       /* timestamp: the log start offset */
    KAFKA_OFFSET_MAX_TIMESTAMP = -3,  /* v7+: the largest timestamp */
    KAFKA_OFFSET_EARLIEST_LOCAL = -4, /* v8+: the local log start */
    KAFKA_OFFSET_LATEST_TIERED = -5,  /* v9+: the last tiered offset */
};

struct kafka_list_offsets_partition {
    int32_t partition_index;
    int64_t timestamp;
    int32_t current_leader_epoch; /* v4+, -1 */
};

struct kafka_list_offsets_topic {
    struct slice name;
    size_t npartitions;
    struct kafka_list_offsets_partition *partitions;
};

struct kafka_list_offsets_request {
    int32_t replica_id;
    int8_t isolation_level; /* v2+ */
    size_t ntopics;
    struct kafka_list_offsets_topic *topics;
};

struct kafka_list_offsets_partition_response {
    int32_t partition_index;
    int16_t error_code;
    int64_t timestamp;
    int64_t offset;
    int32_t leader_epoch; /* v4+ */
};

struct kafka_list_offsets_topic_response {
    struct slice name;
    size_t npartitions;
    struct kafka_list_offsets_partition_response *partitions;
};

struct kafka_list_offsets_response {
    int32_t throttle_time_ms; /* v2+ */
    size_t ntopics;
    struct kafka_list_offsets_topic_response *topics;
};

int kafka_list_offsets_request_decode(struct buf_reader *r, int16_t version,
                                      struct arena *a,
                                      struct kafka_list_offsets_request *out);
void kafka_list_offsets_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_list_offsets_request *req);
void kafka_list_offsets_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_list_offsets_response *resp);
int kafka_list_offsets_response_decode(struct buf_reader *r, int16_t version,
                                       struct arena *a,
                                       struct kafka_list_offsets_response *out);

/* ======================= OffsetCommit (8) v2-7 =========================== */

struct kafka_offset_commit_partition {
    int32_t partition_index;
    int64_t committed_offset;
    int32_t committed_leader_epoch;  /* v6+, -1 before */
    struct slice committed_metadata; /* nullable */
    int64_t commit_timestamp;        /* OffsetCommit v1 only, else -1 */
};

struct kafka_offset_commit_topic {
    struct slice name;
    size_t npartitions;
    struct kafka_offset_commit_partition *partitions;
};

struct kafka_offset_commit_request {
    struct slice group_id;
    int32_t generation_id;
    struct slice member_id;
    int64_t retention_time_ms;      /* v2-4, -1 otherwise */
    struct slice group_instance_id; /* v7+, nullable */
    size_t ntopics;
    struct kafka_offset_commit_topic *topics;
};

struct kafka_offset_commit_response {
    int32_t throttle_time_ms; /* v3+ */
    size_t ntopics;
    struct kafka_topic_errors *topics;
};

int kafka_offset_commit_request_decode(struct buf_reader *r, int16_t version,
                                       struct arena *a,
                                       struct kafka_offset_commit_request *out);
void kafka_offset_commit_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_offset_commit_request *req);
void kafka_offset_commit_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_offset_commit_response *resp);

/* ======================= OffsetFetch (9) v0-9 ============================ */

/* v8+: one group of a batched request. */
struct kafka_offset_fetch_group {
    struct slice group_id;
    struct slice member_id; /* v9+, nullable (KIP-848 groups) */
    int32_t member_epoch;   /* v9+, -1 = none */
    bool topics_null;       /* null = all committed topics */
    size_t ntopics;
    struct kafka_topic_partitions *topics;
};

struct kafka_offset_fetch_request {
    struct slice group_id; /* v0-7 */
    bool topics_null;      /* v2-7: null = all committed topics */
    size_t ntopics;        /* v0-7 */
    struct kafka_topic_partitions *topics;
    bool require_stable; /* v7+ */
    size_t ngroups;      /* v8+: the groups instead of the fields above */
    struct kafka_offset_fetch_group *groups;
};

struct kafka_offset_fetch_partition_response {
    int32_t partition_index;
    int64_t committed_offset;       /* -1 = none */
    int32_t committed_leader_epoch; /* v5+ */
    struct slice metadata;          /* nullable */
    int16_t error_code;
};

struct kafka_offset_fetch_topic_response {
    struct slice name;
    size_t npartitions;
    struct kafka_offset_fetch_partition_response *partitions;
};

struct kafka_offset_fetch_group_response {
    struct slice group_id;
    size_t ntopics;
    struct kafka_offset_fetch_topic_response *topics;
    int16_t error_code;
};

struct kafka_offset_fetch_response {
    int32_t throttle_time_ms; /* v3+ */
    size_t ntopics;           /* v0-7 */
    struct kafka_offset_fetch_topic_response *topics;
    int16_t error_code; /* v2-7 */
    size_t ngroups;     /* v8+: one answer per group */
    struct kafka_offset_fetch_group_response *groups;
};

int kafka_offset_fetch_request_decode(struct buf_reader *r, int16_t version,
                                      struct arena *a,
                                      struct kafka_offset_fetch_request *out);
void kafka_offset_fetch_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_offset_fetch_request *req);
void kafka_offset_fetch_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_offset_fetch_response *resp);
int kafka_offset_fetch_response_decode(struct buf_reader *r, int16_t version,
                                       struct arena *a,
                                       struct kafka_offset_fetch_response *out);

/* ======================= FindCoordinator (10) v0-6 ======================= */

struct kafka_find_coordinator_request {
    struct slice key; /* v0-3 */
    int8_t key_type;  /* v1+: 0 group, 1 transaction, 2 share group (v6) */
    size_t nkeys;     /* v4+ (KIP-699): the keys instead of `key` */
    struct slice *keys;
};

/* v4+: one coordinator per key. */
struct kafka_find_coordinator_coord {
    struct slice key;
    int32_t node_id;
    struct slice host;
    int32_t port;
    int16_t error_code;
    struct slice error_message; /* nullable */
};

struct kafka_find_coordinator_response {
    int32_t throttle_time_ms;   /* v1+ */
    int16_t error_code;         /* v0-3 */
    struct slice error_message; /* v1-3, nullable */
    int32_t node_id;            /* v0-3 */
    struct slice host;
    int32_t port;
    size_t ncoordinators; /* v4+ */
    struct kafka_find_coordinator_coord *coordinators;
};

int kafka_find_coordinator_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_find_coordinator_request *out);
void kafka_find_coordinator_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_find_coordinator_request *req);
void kafka_find_coordinator_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_find_coordinator_response *resp);

/* ======================= JoinGroup (11) v0-5 ============================= */

struct kafka_join_group_protocol {
    struct slice name;
    struct slice metadata; /* opaque ConsumerProtocolSubscription bytes */
};

struct kafka_join_group_request {
    struct slice group_id;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms; /* v1+; v0: = session_timeout_ms */
    struct slice member_id;
    struct slice group_instance_id; /* v5+, nullable */
    struct slice protocol_type;
    size_t nprotocols;
    struct kafka_join_group_protocol *protocols;
    struct slice reason; /* v8+, nullable */
};

struct kafka_join_group_member {
    struct slice member_id;
    struct slice group_instance_id; /* v5+, nullable */
    struct slice metadata;
};

struct kafka_join_group_response {
    int32_t throttle_time_ms; /* v2+ */
    int16_t error_code;
    int32_t generation_id;
    struct slice protocol_name; /* nullable from v7 */
    struct slice leader;
    struct slice member_id;
    size_t nmembers; /* only the leader gets members */
    struct kafka_join_group_member *members;
    struct slice protocol_type; /* v7+, nullable */
    bool skip_assignment;       /* v9+ */
};

int kafka_join_group_request_decode(struct buf_reader *r, int16_t version,
                                    struct arena *a,
                                    struct kafka_join_group_request *out);
void kafka_join_group_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_join_group_request *req);
void kafka_join_group_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_join_group_response *resp);

/* ======================= Heartbeat (12) v0-3 ============================= */

struct kafka_heartbeat_request {
    struct slice group_id;
    int32_t generation_id;
    struct slice member_id;
    struct slice group_instance_id; /* v3+, nullable */
};

/* Also the response of LeaveGroup, AddOffsetsToTxn and EndTxn. */
struct kafka_error_response {
    int32_t throttle_time_ms;
    int16_t error_code;
};

int kafka_heartbeat_request_decode(struct buf_reader *r, int16_t version,
                                   struct arena *a,
                                   struct kafka_heartbeat_request *out);
void kafka_heartbeat_request_encode(struct buf *out, int16_t version,
                                    const struct kafka_heartbeat_request *req);
void kafka_heartbeat_response_encode(struct buf *out, int16_t version,
                                     const struct kafka_error_response *resp);

/* ======================= LeaveGroup (13) v0-5 ============================ */

/* v3+: one leaving member (KIP-345 batch). */
struct kafka_leave_group_member {
    struct slice member_id;
    struct slice group_instance_id; /* nullable */
    struct slice reason;            /* v5+, nullable */
};

struct kafka_leave_group_request {
    struct slice group_id;
    struct slice member_id; /* v0-2 */
    size_t nmembers;        /* v3+ */
    struct kafka_leave_group_member *members;
};

struct kafka_leave_group_member_response {
    struct slice member_id;
    struct slice group_instance_id; /* nullable */
    int16_t error_code;
};

struct kafka_leave_group_response {
    int32_t throttle_time_ms; /* v1+ */
    int16_t error_code;
    size_t nmembers; /* v3+ */
    struct kafka_leave_group_member_response *members;
};

int kafka_leave_group_request_decode(struct buf_reader *r, int16_t version,
                                     struct arena *a,
                                     struct kafka_leave_group_request *out);
void kafka_leave_group_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_leave_group_request *req);
void kafka_leave_group_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_leave_group_response *resp);

/* ======================= SyncGroup (14) v0-3 ============================= */

struct kafka_sync_group_assignment {
    struct slice member_id;
    struct slice assignment; /* opaque ConsumerProtocolAssignment bytes */
};

struct kafka_sync_group_request {
    struct slice group_id;
    int32_t generation_id;
    struct slice member_id;
    struct slice group_instance_id; /* v3+, nullable */
    size_t nassignments;            /* only the leader sends them */
    struct kafka_sync_group_assignment *assignments;
    struct slice protocol_type; /* v5+, nullable */
    struct slice protocol_name; /* v5+, nullable */
};

struct kafka_sync_group_response {
    int32_t throttle_time_ms; /* v1+ */
    int16_t error_code;
    struct slice assignment;
    struct slice protocol_type; /* v5+, nullable */
    struct slice protocol_name; /* v5+, nullable */
};

int kafka_sync_group_request_decode(struct buf_reader *r, int16_t version,
                                    struct arena *a,
                                    struct kafka_sync_group_request *out);
void kafka_sync_group_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_sync_group_request *req);
void kafka_sync_group_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_sync_group_response *resp);

/* ======================= DescribeGroups (15) v0-4 ======================== */

struct kafka_describe_groups_request {
    size_t ngroups;
    struct slice *groups;
    bool include_authorized_operations; /* v3+ */
};

struct kafka_describe_groups_member {
    struct slice member_id;
    struct slice group_instance_id; /* v4+, nullable */
    struct slice client_id;
    struct slice client_host;
    struct slice member_metadata;
    struct slice member_assignment;
};

struct kafka_describe_groups_group {
    int16_t error_code;
    struct slice group_id;
    struct slice group_state; /* "Stable", "Empty", ... */
    struct slice protocol_type;
    struct slice protocol_data; /* the chosen assignor, e.g. "range" */
    size_t nmembers;
    struct kafka_describe_groups_member *members;
    int32_t authorized_operations; /* v3+, INT32_MIN = not computed */
};

struct kafka_describe_groups_response {
    int32_t throttle_time_ms; /* v1+ */
    size_t ngroups;
    struct kafka_describe_groups_group *groups;
};

int kafka_describe_groups_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_describe_groups_request *out);
void kafka_describe_groups_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_groups_request *req);
void kafka_describe_groups_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_groups_response *resp);
int kafka_describe_groups_response_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_describe_groups_response *out);

/* ======================= ListGroups (16) v0-2 ============================ */

struct kafka_list_groups_request {
    int unused;     /* the body is empty in v0-3 */
    size_t nstates; /* v4+: only groups in these states (none: all) */
    struct slice *states;
    size_t ntypes; /* v5+: only groups of these types (none: all) */
    struct slice *types;
};

struct kafka_list_groups_group {
    struct slice group_id;
    struct slice protocol_type;
    struct slice group_state; /* v4+ */
    struct slice group_type;  /* v5+: "classic" */
};

struct kafka_list_groups_response {
    int32_t throttle_time_ms; /* v1+ */
    int16_t error_code;
    size_t ngroups;
    struct kafka_list_groups_group *groups;
};

int kafka_list_groups_request_decode(struct buf_reader *r, int16_t version,
                                     struct arena *a,
                                     struct kafka_list_groups_request *out);
void kafka_list_groups_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_list_groups_request *req);
void kafka_list_groups_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_list_groups_response *resp);
int kafka_list_groups_response_decode(struct buf_reader *r, int16_t version,
                                      struct arena *a,
                                      struct kafka_list_groups_response *out);

/* ======================= CreateTopics (19) v0-4 ========================== */

struct kafka_create_topics_assignment {
    int32_t partition_index;
    size_t nbroker_ids;
    int32_t *broker_ids;
};

struct kafka_create_topics_config {
    struct slice name;
    struct slice value; /* nullable */
};

struct kafka_create_topics_topic {
    struct slice name;
    int32_t num_partitions;     /* -1 = broker default (v4+) */
    int16_t replication_factor; /* -1 = broker default (v4+) */
    size_t nassignments;
    struct kafka_create_topics_assignment *assignments;
    size_t nconfigs;
    struct kafka_create_topics_config *configs;
};

struct kafka_create_topics_request {
    size_t ntopics;
    struct kafka_create_topics_topic *topics;
    int32_t timeout_ms;
    bool validate_only; /* v1+ */
};

struct kafka_create_topics_topic_response {
    struct slice name;
    int16_t error_code;
    struct slice error_message; /* v1+, nullable */
    int32_t num_partitions;     /* v5+, -1 on error */
    int16_t replication_factor; /* v5+, -1 on error */
    struct kafka_uuid topic_id; /* v7+ (KIP-516), zero on error */
};

struct kafka_create_topics_response {
    int32_t throttle_time_ms; /* v2+ */
    size_t ntopics;
    struct kafka_create_topics_topic_response *topics;
};

int kafka_create_topics_request_decode(struct buf_reader *r, int16_t version,
                                       struct arena *a,
                                       struct kafka_create_topics_request *out);
void kafka_create_topics_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_create_topics_request *req);
void kafka_create_topics_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_create_topics_response *resp);

/* ======================= DeleteTopics (20) v0-6 ========================== */

struct kafka_delete_topics_request {
    size_t ntopics;
    struct slice *topic_names; /* v6+: nullable (then by id) */
    int32_t timeout_ms;
    struct kafka_uuid *topic_ids; /* v6+ (KIP-516): ntopics of them */
};

struct kafka_delete_topics_topic_response {
    struct slice name; /* nullable v6+ */
    int16_t error_code;
    struct slice error_message; /* v5+, nullable */
    struct kafka_uuid topic_id; /* v6+ */
};

struct kafka_delete_topics_response {
    int32_t throttle_time_ms; /* v1+ */
    size_t ntopics;
    struct kafka_delete_topics_topic_response *topics;
};

int kafka_delete_topics_request_decode(struct buf_reader *r, int16_t version,
                                       struct arena *a,
                                       struct kafka_delete_topics_request *out);
void kafka_delete_topics_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_delete_topics_request *req);
void kafka_delete_topics_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_delete_topics_response *resp);

/* ======================= InitProducerId (22) v0-1 ======================== */

struct kafka_init_producer_id_request {
    struct slice transactional_id; /* nullable: null = idempotent only */
    int32_t transaction_timeout_ms;
};

struct kafka_init_producer_id_response {
    int32_t throttle_time_ms;
    int16_t error_code;
    int64_t producer_id;
    int16_t producer_epoch;
};

int kafka_init_producer_id_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_init_producer_id_request *out);
void kafka_init_producer_id_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_init_producer_id_request *req);
void kafka_init_producer_id_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_init_producer_id_response *resp);

/* ======================= AddPartitionsToTxn (24) v0 ====================== */

struct kafka_add_partitions_to_txn_request {
    struct slice transactional_id;
    int64_t producer_id;
    int16_t producer_epoch;
    size_t ntopics;
    struct kafka_topic_partitions *topics;
};

struct kafka_add_partitions_to_txn_response {
    int32_t throttle_time_ms;
    size_t ntopics;
    struct kafka_topic_errors *topics;
};

int kafka_add_partitions_to_txn_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_add_partitions_to_txn_request *out);
void kafka_add_partitions_to_txn_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_add_partitions_to_txn_request *req);
void kafka_add_partitions_to_txn_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_add_partitions_to_txn_response *resp);

/* ======================= AddOffsetsToTxn (25) v0 ========================= */

struct kafka_add_offsets_to_txn_request {
    struct slice transactional_id;
    int64_t producer_id;
    int16_t producer_epoch;
    struct slice group_id;
};

int kafka_add_offsets_to_txn_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_add_offsets_to_txn_request *out);
void kafka_add_offsets_to_txn_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_add_offsets_to_txn_request *req);
void kafka_add_offsets_to_txn_response_encode(
    struct buf *out, int16_t version, const struct kafka_error_response *resp);

/* ======================= EndTxn (26) v0-1 ================================ */

struct kafka_end_txn_request {
    struct slice transactional_id;
    int64_t producer_id;
    int16_t producer_epoch;
    bool committed; /* true commit, false abort */
};

int kafka_end_txn_request_decode(struct buf_reader *r, int16_t version,
                                 struct arena *a,
                                 struct kafka_end_txn_request *out);
void kafka_end_txn_request_encode(struct buf *out, int16_t version,
                                  const struct kafka_end_txn_request *req);
void kafka_end_txn_response_encode(struct buf *out, int16_t version,
                                   const struct kafka_error_response *resp);

/* ======================= TxnOffsetCommit (28) v0-2 ======================= */

struct kafka_txn_offset_commit_request {
    struct slice transactional_id;
    struct slice group_id;
    int64_t producer_id;
    int16_t producer_epoch;
    size_t ntopics;
    struct kafka_offset_commit_topic *topics; /* leader epoch v2+ */
};

struct kafka_txn_offset_commit_response {
    int32_t throttle_time_ms;
    size_t ntopics;
    struct kafka_topic_errors *topics;
};

int kafka_txn_offset_commit_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_txn_offset_commit_request *out);
void kafka_txn_offset_commit_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_txn_offset_commit_request *req);
void kafka_txn_offset_commit_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_txn_offset_commit_response *resp);

/* ======================= DescribeTransactions (65) v0 ====================
 * Flexible. req: transactional_ids COMPACT_ARRAY[COMPACT_STRING]. */

struct kafka_describe_transactions_request {
    size_t nids;
    struct slice *ids;
};

struct kafka_txn_description {
    int16_t error_code;
    struct slice transactional_id;
    struct slice state; /* Kafka's state name: "Ongoing", "Empty"... */
    int32_t timeout_ms;
    int64_t start_ms; /* -1 when no transaction is open */
    int64_t producer_id;
    int32_t producer_epoch;
    size_t ntopics;
    struct kafka_topic_partitions *topics;
};

struct kafka_describe_transactions_response {
    int32_t throttle_time_ms;
    size_t n;
    struct kafka_txn_description *states;
};

int kafka_describe_transactions_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_describe_transactions_request *out);
void kafka_describe_transactions_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_transactions_request *req);
void kafka_describe_transactions_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_transactions_response *resp);

/* ======================= ListTransactions (66) v0-1 ======================
 * Flexible. req: state_filters COMPACT_ARRAY[STRING], producer_id_filters
 * COMPACT_ARRAY[int64], duration_filter int64 (v1+). */

struct kafka_list_transactions_request {
    size_t nstates;
    struct slice *state_filters;
    size_t npids;
    int64_t *pid_filters;
    int64_t duration_filter; /* v1+, -1: none */
};

struct kafka_txn_listing {
    struct slice transactional_id;
    int64_t producer_id;
    struct slice state;
};

struct kafka_list_transactions_response {
    int32_t throttle_time_ms;
    int16_t error_code;
    size_t nunknown;
    struct slice *unknown_state_filters;
    size_t n;
    struct kafka_txn_listing *states;
};

int kafka_list_transactions_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_list_transactions_request *out);
void kafka_list_transactions_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_list_transactions_request *req);
void kafka_list_transactions_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_list_transactions_response *resp);

/* ======================= admin APIs (kafka_admin_ext.c) ====================
 * CreatePartitions (37) v0-3, DescribeConfigs (32) v0-4, AlterConfigs (33)
 * v0-2, IncrementalAlterConfigs (44) v0-1, DeleteRecords (21) v0-2,
 * DeleteGroups (42) v0-2, OffsetDelete (47) v0, DescribeCluster (60) v0-1,
 * DescribeLogDirs (35) v0-4, ListPartitionReassignments (46) v0,
 * ElectLeaders (43) v0-2, DescribeProducers (61) v0. Field layouts are
 * Kafka 3.9's (docs/kafka-protocol.md). */

/* Config resource types (int8 on the wire). */
enum {
    KAFKA_RESOURCE_TOPIC = 2,
    KAFKA_RESOURCE_BROKER = 4,
};

/* DescribeConfigs config_source (v1+). */
enum {
    KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC = 1,
    KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER = 2,
    KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER = 3,
    KAFKA_CONFIG_SOURCE_STATIC_BROKER = 4,
    KAFKA_CONFIG_SOURCE_DEFAULT = 5,
};

/* IncrementalAlterConfigs operations. */
enum {
    KAFKA_CONFIG_OP_SET = 0,
    KAFKA_CONFIG_OP_DELETE = 1,
    KAFKA_CONFIG_OP_APPEND = 2,
    KAFKA_CONFIG_OP_SUBTRACT = 3,
};

/* {name, error_code, error_message nullable}: CreatePartitions results. */
struct kafka_name_error {
    struct slice name;
    int16_t error_code;
    struct slice error_message;
};

struct kafka_i32_list {
    size_t n;
    int32_t *v;
};

struct kafka_create_partitions_topic {
    struct slice name;
    int32_t count;
    bool assignments_null;
    size_t nassignments;
    struct kafka_i32_list *assignments; /* broker ids per new partition */
};

struct kafka_create_partitions_request {
    size_t ntopics;
    struct kafka_create_partitions_topic *topics;
    int32_t timeout_ms;
    bool validate_only;
};

struct kafka_create_partitions_response {
    int32_t throttle_time_ms;
    size_t nresults;
    struct kafka_name_error *results;
};

struct kafka_config_resource {
    int8_t resource_type;
    struct slice resource_name;
    bool keys_null;     /* DescribeConfigs: null = every key */
    size_t nkeys;       /* DescribeConfigs */
    struct slice *keys; /* DescribeConfigs */
    size_t nconfigs;    /* Alter / IncrementalAlter */
    struct kafka_alter_config *configs;
};

struct kafka_alter_config {
    struct slice name;
    int8_t op;          /* IncrementalAlterConfigs only */
    struct slice value; /* nullable */
};

struct kafka_describe_configs_request {
    size_t nresources;
    struct kafka_config_resource *resources;
    bool include_synonyms;      /* v1+ */
    bool include_documentation; /* v3+ */
};

struct kafka_config_entry {
    struct slice name;
    struct slice value; /* nullable */
    bool read_only;
    bool is_default; /* v0 */
    int8_t source;   /* v1+ */
    bool is_sensitive;
    int8_t config_type;         /* v3+ */
    struct slice documentation; /* v3+, nullable */
};

struct kafka_describe_configs_result {
    int16_t error_code;
    struct slice error_message; /* nullable */
    int8_t resource_type;
    struct slice resource_name;
    size_t nconfigs;
    struct kafka_config_entry *configs;
};

struct kafka_describe_configs_response {
    int32_t throttle_time_ms;
    size_t nresults;
    struct kafka_describe_configs_result *results;
};

/* AlterConfigs and IncrementalAlterConfigs share these. */
struct kafka_alter_configs_request {
    size_t nresources;
    struct kafka_config_resource *resources;
    bool validate_only;
};

struct kafka_alter_configs_result {
    int16_t error_code;
    struct slice error_message; /* nullable */
    int8_t resource_type;
    struct slice resource_name;
};

struct kafka_alter_configs_response {
    int32_t throttle_time_ms;
    size_t nresults;
    struct kafka_alter_configs_result *results;
};

struct kafka_delete_records_partition {
    int32_t partition_index;
    int64_t offset;        /* request: delete below this (-1 = high wm) */
    int64_t low_watermark; /* response */
    int16_t error_code;    /* response */
};

struct kafka_delete_records_topic {
    struct slice name;
    size_t npartitions;
    struct kafka_delete_records_partition *partitions;
};

struct kafka_delete_records_request {
    size_t ntopics;
    struct kafka_delete_records_topic *topics;
    int32_t timeout_ms;
};

struct kafka_delete_records_response {
    int32_t throttle_time_ms;
    size_t ntopics;
    struct kafka_delete_records_topic *topics;
};

struct kafka_delete_groups_request {
    size_t ngroups;
    struct slice *groups;
};

struct kafka_group_error {
    struct slice group_id;
    int16_t error_code;
};

struct kafka_delete_groups_response {
    int32_t throttle_time_ms;
    size_t nresults;
    struct kafka_group_error *results;
};

struct kafka_offset_delete_request {
    struct slice group_id;
    size_t ntopics;
    struct kafka_topic_partitions *topics;
};

struct kafka_offset_delete_response {
    int16_t error_code;
    int32_t throttle_time_ms;
    size_t ntopics;
    struct kafka_topic_errors *topics;
};

struct kafka_describe_cluster_request {
    bool include_cluster_authorized_operations;
    int8_t endpoint_type; /* v1+, 1 = brokers */
};

struct kafka_describe_cluster_response {
    int32_t throttle_time_ms;
    int16_t error_code;
    struct slice error_message; /* nullable */
    int8_t endpoint_type;       /* v1+ */
    struct slice cluster_id;
    int32_t controller_id;
    size_t nbrokers;
    struct kafka_metadata_broker *brokers;
    int32_t cluster_authorized_operations;
};

/* DescribeLogDirs, ListPartitionReassignments, ElectLeaders and
 * DescribeProducers requests: a (nullable) list of topics with
 * partitions, plus a few scalars. */
struct kafka_topics_request {
    bool topics_null; /* null = every topic (where nullable) */
    size_t ntopics;
    struct kafka_topic_partitions *topics;
    int32_t timeout_ms;   /* ListPartitionReassignments, ElectLeaders */
    int8_t election_type; /* ElectLeaders v1+ */
};

struct kafka_log_dir_partition {
    int32_t partition_index;
    int64_t size;
    int64_t offset_lag;
    bool is_future;
};

struct kafka_log_dir_topic {
    struct slice name;
    size_t npartitions;
    struct kafka_log_dir_partition *partitions;
};

struct kafka_describe_log_dirs_response {
    int32_t throttle_time_ms;
    int16_t error_code; /* v3+ */
    /* One log directory. */
    int16_t dir_error_code;
    struct slice log_dir;
    size_t ntopics;
    struct kafka_log_dir_topic *topics;
    int64_t total_bytes;  /* v4+ */
    int64_t usable_bytes; /* v4+ */
};

struct kafka_partition_result {
    int32_t partition_index;
    int16_t error_code;
    struct slice error_message; /* nullable */
};

struct kafka_topic_results {
    struct slice name;
    size_t npartitions;
    struct kafka_partition_result *partitions;
};

/* ElectLeaders: results per topic; error_code v1+. */
struct kafka_elect_leaders_response {
    int32_t throttle_time_ms;
    int16_t error_code;
    size_t ntopics;
    struct kafka_topic_results *topics;
};

/* ListPartitionReassignments: a single node never reassigns, so the
 * answer carries no topics. */
struct kafka_list_reassignments_response {
    int32_t throttle_time_ms;
    int16_t error_code;
    struct slice error_message; /* nullable */
};

struct kafka_producer_state {
    int64_t producer_id;
    int32_t producer_epoch;
    int32_t last_sequence;
    int64_t last_timestamp;
    int32_t coordinator_epoch;
    int64_t current_txn_start_offset;
};

struct kafka_producers_partition {
    int32_t partition_index;
    int16_t error_code;
    struct slice error_message;
    size_t nproducers;
    struct kafka_producer_state *producers;
};

struct kafka_producers_topic {
    struct slice name;
    size_t npartitions;
    struct kafka_producers_partition *partitions;
};

struct kafka_describe_producers_response {
    int32_t throttle_time_ms;
    size_t ntopics;
    struct kafka_producers_topic *topics;
};

int kafka_create_partitions_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_create_partitions_request *out);
void kafka_create_partitions_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_create_partitions_request *req);
void kafka_create_partitions_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_create_partitions_response *resp);

int kafka_describe_configs_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_describe_configs_request *out);
void kafka_describe_configs_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_configs_request *req);
void kafka_describe_configs_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_configs_response *resp);

/* api_key: KAFKA_API_ALTER_CONFIGS or KAFKA_API_INCREMENTAL_ALTER_CONFIGS. */
int kafka_alter_configs_request_decode(struct buf_reader *r, int16_t api_key,
                                       int16_t version, struct arena *a,
                                       struct kafka_alter_configs_request *out);
void kafka_alter_configs_request_encode(
    struct buf *out, int16_t api_key, int16_t version,
    const struct kafka_alter_configs_request *req);
void kafka_alter_configs_response_encode(
    struct buf *out, int16_t api_key, int16_t version,
    const struct kafka_alter_configs_response *resp);

int kafka_delete_records_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_delete_records_request *out);
void kafka_delete_records_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_delete_records_request *req);
void kafka_delete_records_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_delete_records_response *resp);

int kafka_delete_groups_request_decode(struct buf_reader *r, int16_t version,
                                       struct arena *a,
                                       struct kafka_delete_groups_request *out);
void kafka_delete_groups_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_delete_groups_request *req);
void kafka_delete_groups_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_delete_groups_response *resp);

int kafka_offset_delete_request_decode(struct buf_reader *r, int16_t version,
                                       struct arena *a,
                                       struct kafka_offset_delete_request *out);
void kafka_offset_delete_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_offset_delete_request *req);
void kafka_offset_delete_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_offset_delete_response *resp);

int kafka_describe_cluster_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_describe_cluster_request *out);
void kafka_describe_cluster_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_cluster_request *req);
void kafka_describe_cluster_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_cluster_response *resp);

/* api_key: DescribeLogDirs, ListPartitionReassignments, ElectLeaders or
 * DescribeProducers. */
int kafka_topics_request_decode(struct buf_reader *r, int16_t api_key,
                                int16_t version, struct arena *a,
                                struct kafka_topics_request *out);
void kafka_topics_request_encode(struct buf *out, int16_t api_key,
                                 int16_t version,
                                 const struct kafka_topics_request *req);
void kafka_describe_log_dirs_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_log_dirs_response *resp);
void kafka_elect_leaders_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_elect_leaders_response *resp);
void kafka_list_reassignments_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_list_reassignments_response *resp);
void kafka_describe_producers_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_producers_response *resp);

/* ============ ConsumerGroupHeartbeat (68) v0, ConsumerGroupDescribe (69) v0
 * (KIP-848, kafka_consumer_group.c; flexible) ============================== */

struct kafka_cg_topic_partitions {
    struct kafka_uuid topic_id;
    struct slice topic_name; /* ConsumerGroupDescribe only */
    size_t npartitions;
    int32_t *partitions;
};

struct kafka_cg_heartbeat_request {
    struct slice group_id;
    struct slice member_id;       /* "" on a first join (the broker names it) */
    int32_t member_epoch;         /* 0 join, -1 leave, -2 static leave */
    struct slice instance_id;     /* nullable */
    struct slice rack_id;         /* nullable */
    int32_t rebalance_timeout_ms; /* -1: unchanged */
    bool topics_null;             /* subscription unchanged */
    size_t ntopics;
    struct slice *subscribed_topic_names;
    struct slice server_assignor; /* nullable */
    bool owned_null;              /* owned partitions unchanged */
    size_t nowned;
    struct kafka_cg_topic_partitions *owned;
};

struct kafka_cg_heartbeat_response {
    int32_t throttle_time_ms;
    int16_t error_code;
    struct slice error_message; /* nullable */
    struct slice member_id;     /* nullable */
    int32_t member_epoch;
    int32_t heartbeat_interval_ms;
    bool has_assignment; /* false: null (unchanged) */
    size_t nassigned;
    struct kafka_cg_topic_partitions *assigned;
};

struct kafka_cg_describe_request {
    size_t ngroups;
    struct slice *group_ids;
    bool include_authorized_operations;
};

struct kafka_cg_member {
    struct slice member_id;
    struct slice instance_id; /* nullable */
    struct slice rack_id;     /* nullable */
    int32_t member_epoch;
    struct slice client_id;
    struct slice client_host;
    size_t ntopics;
    struct slice *subscribed_topic_names;
    struct slice subscribed_topic_regex; /* nullable */
    size_t nassigned;
    struct kafka_cg_topic_partitions *assigned;
    size_t ntarget;
    struct kafka_cg_topic_partitions *target;
};

struct kafka_cg_described_group {
    int16_t error_code;
    struct slice error_message; /* nullable */
    struct slice group_id;
    struct slice group_state;
    int32_t group_epoch;
    int32_t assignment_epoch;
    struct slice assignor_name;
    size_t nmembers;
    struct kafka_cg_member *members;
    int32_t authorized_operations;
};

struct kafka_cg_describe_response {
    int32_t throttle_time_ms;
    size_t ngroups;
    struct kafka_cg_described_group *groups;
};

int kafka_cg_heartbeat_request_decode(struct buf_reader *r, int16_t version,
                                      struct arena *a,
                                      struct kafka_cg_heartbeat_request *out);
void kafka_cg_heartbeat_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_cg_heartbeat_request *req);
void kafka_cg_heartbeat_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_cg_heartbeat_response *resp);
int kafka_cg_describe_request_decode(struct buf_reader *r, int16_t version,
                                     struct arena *a,
                                     struct kafka_cg_describe_request *out);
void kafka_cg_describe_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_cg_describe_request *req);
void kafka_cg_describe_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_cg_describe_response *resp);

#endif
