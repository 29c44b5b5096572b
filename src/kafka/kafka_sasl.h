/* kafka_sasl.h - codecs of the security APIs: SaslHandshake (17) v1,
 * SaslAuthenticate (36) v0-2, DescribeUserScramCredentials (50) v0,
 * AlterUserScramCredentials (51) v0, DescribeAcls (29), CreateAcls (30) and
 * DeleteAcls (31) v0-3 (layer: kafka; pure codec, no I/O).
 *
 * Same conventions as kafka_proto.h: decoders read the request body into
 * arena memory and return 0 or ERR_PARSE; encoders append the response
 * body. Only the server side (request decode, response encode) is here;
 * the round-trip tests and clients build requests by hand.
 */
#ifndef RILL_KAFKA_SASL_H
#define RILL_KAFKA_SASL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"

/* ======================= SaslHandshake (17) v0-1 ========================== */
/* req: mechanism STRING. resp: error_code int16, mechanisms ARRAY[STRING].
 * v0 is answered (librdkafka needs it advertised) but the raw SASL tokens
 * a v0 client then sends are not Kafka requests: such a connection closes. */
struct kafka_sasl_handshake_response {
    int16_t error_code;
    size_t nmechanisms;
    const struct slice *mechanisms;
};
int kafka_sasl_handshake_request_decode(struct buf_reader *r, int16_t version,
                                        struct arena *a, struct slice *mech);
void kafka_sasl_handshake_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_sasl_handshake_response *resp);

/* ======================= SaslAuthenticate (36) v0-2 ======================= */
/* req: auth_bytes BYTES. resp: error_code int16, error_message nullable
 * STRING, auth_bytes BYTES, session_lifetime_ms int64 (v1+). v2 flexible. */
struct kafka_sasl_authenticate_response {
    int16_t error_code;
    struct slice error_message; /* nullable */
    struct slice auth_bytes;
    int64_t session_lifetime_ms;
};
int kafka_sasl_authenticate_request_decode(struct buf_reader *r,
                                           int16_t version, struct arena *a,
                                           struct slice *auth_bytes);
void kafka_sasl_authenticate_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_sasl_authenticate_response *resp);

/* ============== DescribeUserScramCredentials (50) v0, flexible ============ */
/* req: users nullable ARRAY[name STRING]. resp: throttle int32, error_code
 * int16, error_message nullable STRING, results ARRAY[user STRING,
 * error_code int16, error_message nullable STRING, credential_infos
 * ARRAY[mechanism int8, iterations int32]]. */
struct kafka_scram_info {
    int8_t mechanism; /* 1 SCRAM-SHA-256, 2 SCRAM-SHA-512 */
    int32_t iterations;
};
struct kafka_describe_scram_result {
    struct slice user;
    int16_t error_code;
    struct slice error_message;
    size_t ninfos;
    struct kafka_scram_info *infos;
};
struct kafka_describe_scram_response {
    int16_t error_code;
    struct slice error_message;
    size_t nresults;
    struct kafka_describe_scram_result *results;
};
/* users_null: all users; else users[0..nusers). */
int kafka_describe_scram_request_decode(struct buf_reader *r, int16_t version,
                                        struct arena *a, bool *users_null,
                                        struct slice **users, size_t *nusers);
void kafka_describe_scram_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_scram_response *resp);

/* ============== AlterUserScramCredentials (51) v0, flexible =============== */
/* req: deletions ARRAY[name STRING, mechanism int8], upsertions ARRAY[name
 * STRING, mechanism int8, iterations int32, salt BYTES, salted_password
 * BYTES]. resp: throttle int32, results ARRAY[user STRING, error_code
 * int16, error_message nullable STRING]. */
struct kafka_scram_alteration {
    struct slice name;
    int8_t mechanism;
    bool upsert;
    int32_t iterations;
    struct slice salt, salted_password;
};
struct kafka_scram_result {
    struct slice user;
    int16_t error_code;
    struct slice error_message;
};
int kafka_alter_scram_request_decode(struct buf_reader *r, int16_t version,
                                     struct arena *a,
                                     struct kafka_scram_alteration **out,
                                     size_t *n);
void kafka_alter_scram_response_encode(struct buf *out, int16_t version,
                                       const struct kafka_scram_result *res,
                                       size_t n);

/* ======================= ACLs (29, 30, 31) v0-3 =========================== */
/* An ACL binding or filter. resource_type: 1 ANY, 2 TOPIC, 3 GROUP,
 * 4 CLUSTER, 5 TRANSACTIONAL_ID; pattern_type: 1 ANY, 2 MATCH, 3 LITERAL,
 * 4 PREFIXED (v0: LITERAL); operation: 1 ANY, 2 ALL, 3 READ, 4 WRITE,
 * 5 CREATE, 6 DELETE, 7 ALTER, 8 DESCRIBE, 9 CLUSTER_ACTION,
 * 10 DESCRIBE_CONFIGS, 11 ALTER_CONFIGS, 12 IDEMPOTENT_WRITE; permission:
 * 1 ANY, 2 DENY, 3 ALLOW. In filters a null string matches any. v2+ are
 * flexible.
 * DescribeAcls req: one filter. resp: throttle int32, error_code int16,
 *   error_message nullable STRING, resources ARRAY[resource_type int8,
 *   resource_name STRING, pattern_type int8 (v1+), acls ARRAY[principal
 *   STRING, host STRING, operation int8, permission_type int8]]
 * CreateAcls req: creations ARRAY[binding]. resp: throttle int32, results
 *   ARRAY[error_code int16, error_message nullable STRING]
 * DeleteAcls req: filters ARRAY[filter]. resp: throttle int32,
 *   filter_results ARRAY[error_code, error_message, matching_acls
 *   ARRAY[error_code int16, error_message nullable STRING, binding]] */
struct kafka_acl {
    int8_t resource_type;
    struct slice resource_name; /* nullable in filters */
    int8_t pattern_type;
    struct slice principal; /* nullable in filters */
    struct slice host;      /* nullable in filters */
    int8_t operation;
    int8_t permission;
};
struct kafka_acl_error {
    int16_t error_code;
    struct slice error_message;
};
struct kafka_delete_acls_result {
    int16_t error_code;
    struct slice error_message;
    size_t nmatches;
    const struct kafka_acl *matches;
};
int kafka_describe_acls_request_decode(struct buf_reader *r, int16_t version,
                                       struct arena *a, struct kafka_acl *out);
/* acls[0..n) are grouped by resource (type, name, pattern) as they come:
 * consecutive entries of the same resource share one resources entry. */
void kafka_describe_acls_response_encode(struct buf *out, int16_t version,
                                         int16_t error_code,
                                         struct slice error_message,
                                         const struct kafka_acl *acls,
                                         size_t n);
int kafka_create_acls_request_decode(struct buf_reader *r, int16_t version,
                                     struct arena *a, struct kafka_acl **out,
                                     size_t *n);
void kafka_create_acls_response_encode(struct buf *out, int16_t version,
                                       const struct kafka_acl_error *res,
                                       size_t n);
int kafka_delete_acls_request_decode(struct buf_reader *r, int16_t version,
                                     struct arena *a, struct kafka_acl **out,
                                     size_t *n);
void kafka_delete_acls_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_delete_acls_result *res, size_t n);

/* For kafka_request_decode (and the fuzzer): decodes any of the APIs above
 * into arena memory (the struct is private to this file). ERR_UNSUPPORTED
 * for other keys. */
int kafka_sasl_request_decode(struct buf_reader *r, int16_t api_key,
                              int16_t version, struct arena *a, void **out);
/* Encodes what kafka_sasl_request_decode made (kafka_request_encode). */
void kafka_sasl_request_encode(struct buf *out, int16_t api_key,
                               int16_t version, const void *req);

#endif
