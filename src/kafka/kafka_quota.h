/* kafka_quota.h - codecs of the client quota APIs: DescribeClientQuotas
 * (48) and AlterClientQuotas (49), v0-1 (v1 flexible) (layer: kafka; pure
 * codec, no I/O). Same conventions as kafka_sasl.h: request decode and
 * response encode (the server side); decoders return 0 or ERR_PARSE.
 */
#ifndef RILL_KAFKA_QUOTA_H
#define RILL_KAFKA_QUOTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"

/* An entity component: entity_type STRING ("user", "client-id", "ip"),
 * entity_name nullable STRING (null: the default entity). */
struct kafka_quota_entity {
    struct slice type;
    struct slice name; /* ptr NULL: the default */
};

/* ===================== DescribeClientQuotas (48) v0-1 ===================== */
/* req: components ARRAY[entity_type STRING, match_type int8 (0 exact, 1
 * default, 2 any), match nullable STRING], strict bool.
 * resp: throttle int32, error_code int16, error_message nullable STRING,
 * entries nullable ARRAY[entity ARRAY[entity_type STRING, entity_name
 * nullable STRING], values ARRAY[key STRING, value float64]]. */
struct kafka_quota_component {
    struct slice entity_type;
    int8_t match_type;
    struct slice match; /* nullable */
};
struct kafka_quota_value {
    struct slice key;
    double value;
};
struct kafka_quota_entry {
    const struct kafka_quota_entity *entity;
    size_t nentity;
    const struct kafka_quota_value *values;
    size_t nvalues;
};
struct kafka_describe_quotas_response {
    int16_t error_code;
    struct slice error_message; /* nullable */
    const struct kafka_quota_entry *entries;
    size_t nentries;
};
int kafka_describe_quotas_request_decode(struct buf_reader *r, int16_t version,
                                         struct arena *a,
                                         struct kafka_quota_component **out,
                                         size_t *n, bool *strict);
void kafka_describe_quotas_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_quotas_response *resp);

/* ====================== AlterClientQuotas (49) v0-1 ======================= */
/* req: entries ARRAY[entity ARRAY[entity_type STRING, entity_name nullable
 * STRING], ops ARRAY[key STRING, value float64, remove bool]],
 * validate_only bool.
 * resp: throttle int32, entries ARRAY[error_code int16, error_message
 * nullable STRING, entity ARRAY[entity_type STRING, entity_name nullable
 * STRING]]. */
struct kafka_quota_op {
    struct slice key;
    double value;
    bool remove;
};
struct kafka_quota_alteration {
    struct kafka_quota_entity *entity;
    size_t nentity;
    struct kafka_quota_op *ops;
    size_t nops;
    /* filled by the handler for the answer */
    int16_t error_code;
    struct slice error_message; /* nullable */
};
int kafka_alter_quotas_request_decode(struct buf_reader *r, int16_t version,
                                      struct arena *a,
                                      struct kafka_quota_alteration **out,
                                      size_t *n, bool *validate_only);
void kafka_alter_quotas_response_encode(
    struct buf *out, int16_t version, const struct kafka_quota_alteration *alt,
    size_t n);

/* For kafka_request_decode / kafka_request_encode (either API). */
int kafka_quota_request_decode(struct buf_reader *r, int16_t api_key,
                               int16_t version, struct arena *a, void **out);
void kafka_quota_request_encode(struct buf *out, int16_t api_key,
                                int16_t version, const void *req);

#endif
