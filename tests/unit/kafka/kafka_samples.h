/* kafka_samples.h - one populated request per ApiKey and version, encoded
 * with the codec's request encoders (layer: kafka, test support shared by
 * test_kafka_codec.c; also used to write fuzz/corpus/kafka_request/).
 * Every optional field is set to a non-default value so a round trip would
 * notice a field read or written at the wrong version.
 */
#ifndef RILL_KAFKA_SAMPLES_H
#define RILL_KAFKA_SAMPLES_H

#include "kafka/kafka_extra.h"
#include "kafka/kafka_proto.h"
#include "kafka/kafka_wire.h"

/* The security APIs (kafka_sasl.h keeps their request structs private):
 * written field by field. */
static void sample_acl(struct kafka_enc *e, int16_t v, bool filter)
{
    buf_put_u8(e->out, 2);
    kafka_wire_put_string(e, filter ? slice_make(NULL, 0) : KAFKA_STR("t1"),
                          filter);
    if (v >= 1)
        buf_put_u8(e->out, filter ? 1 : 3);
    kafka_wire_put_string(e, KAFKA_STR("User:alice"), filter);
    kafka_wire_put_string(e, KAFKA_STR("*"), filter);
    buf_put_u8(e->out, 3);
    buf_put_u8(e->out, 3);
}

static void sample_security_body(struct buf *out, int16_t key, int16_t v)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, key, v);
    switch (key) {
    case KAFKA_API_SASL_HANDSHAKE:
        kafka_wire_put_string(&e, KAFKA_STR("SCRAM-SHA-512"), false);
        break;
    case KAFKA_API_SASL_AUTHENTICATE:
        kafka_wire_put_bytes(&e, KAFKA_STR("n,,n=alice,r=abc"), false);
        kafka_wire_put_tags(&e);
        break;
    case KAFKA_API_DESCRIBE_USER_SCRAM:
        kafka_wire_put_array(&e, 1, false);
        kafka_wire_put_string(&e, KAFKA_STR("alice"), false);
        kafka_wire_put_tags(&e);
        kafka_wire_put_tags(&e);
        break;
    case KAFKA_API_ALTER_USER_SCRAM:
        kafka_wire_put_array(&e, 1, false);
        kafka_wire_put_string(&e, KAFKA_STR("bob"), false);
        buf_put_u8(out, 1);
        kafka_wire_put_tags(&e);
        kafka_wire_put_array(&e, 1, false);
        kafka_wire_put_string(&e, KAFKA_STR("alice"), false);
        buf_put_u8(out, 2);
        buf_put_i32(out, 4096);
        kafka_wire_put_bytes(&e, KAFKA_STR("salt"), false);
        kafka_wire_put_bytes(&e, KAFKA_STR("0123456789"), false);
        kafka_wire_put_tags(&e);
        kafka_wire_put_tags(&e);
        break;
    case KAFKA_API_DESCRIBE_CLIENT_QUOTAS:
        kafka_wire_put_array(&e, 2, false);
        kafka_wire_put_string(&e, KAFKA_STR("user"), false);
        buf_put_u8(out, 0);
        kafka_wire_put_string(&e, KAFKA_STR("alice"), true);
        kafka_wire_put_tags(&e);
        kafka_wire_put_string(&e, KAFKA_STR("client-id"), false);
        buf_put_u8(out, 2);
        kafka_wire_put_string(&e, slice_make(NULL, 0), true);
        kafka_wire_put_tags(&e);
        kafka_wire_put_bool(&e, true);
        kafka_wire_put_tags(&e);
        break;
    case KAFKA_API_ALTER_CLIENT_QUOTAS:
        kafka_wire_put_array(&e, 1, false);
        kafka_wire_put_array(&e, 1, false);
        kafka_wire_put_string(&e, KAFKA_STR("user"), false);
        kafka_wire_put_string(&e, slice_make(NULL, 0), true);
        kafka_wire_put_tags(&e);
        kafka_wire_put_array(&e, 2, false);
        kafka_wire_put_string(&e, KAFKA_STR("producer_byte_rate"), false);
        buf_put_i64(out, 0x4130000000000000LL); /* 1048576.0 */
        kafka_wire_put_bool(&e, false);
        kafka_wire_put_tags(&e);
        kafka_wire_put_string(&e, KAFKA_STR("consumer_byte_rate"), false);
        buf_put_i64(out, 0);
        kafka_wire_put_bool(&e, true);
        kafka_wire_put_tags(&e);
        kafka_wire_put_tags(&e);
        kafka_wire_put_bool(&e, true);
        kafka_wire_put_tags(&e);
        break;
    case KAFKA_API_DESCRIBE_ACLS:
        sample_acl(&e, v, true);
        kafka_wire_put_tags(&e);
        break;
    case KAFKA_API_CREATE_ACLS:
    case KAFKA_API_DELETE_ACLS:
        kafka_wire_put_array(&e, 2, false);
        for (int i = 0; i < 2; i++) {
            sample_acl(&e, v, key == KAFKA_API_DELETE_ACLS);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
        break;
    default:
        break;
    }
}

/* Appends the body of a sample request for api_key at version to out. */
/* The APIs of kafka_extra.h. */
static void sample_extra_body(struct buf *out, int16_t key, int16_t v)
{
    static int32_t parts[] = {0, 2};
    static struct kafka_topic_partitions tps[] = {
        {{(const uint8_t *)"events", 6}, 2, parts},
        {{(const uint8_t *)"t2", 2}, 1, parts}};
    switch (key) {
    case KAFKA_API_OFFSET_FOR_LEADER_EPOCH: {
        struct kafka_ofle_partition p[] = {{0, v >= 2 ? 5 : -1, 4, 0, 0, 0},
                                           {3, v >= 2 ? 6 : -1, 1, 0, 0, 0}};
        struct kafka_ofle_topic t[] = {{KAFKA_STR("events"), 2, p}};
        struct kafka_ofle_request r = {v >= 3 ? -1 : -2, 1, t};
        kafka_ofle_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_ALTER_REPLICA_LOG_DIRS: {
        struct kafka_alter_log_dir d[] = {{KAFKA_STR("/data/a"), 2, tps},
                                          {KAFKA_STR("/data/b"), 0, NULL}};
        struct kafka_alter_log_dirs_request r = {2, d};
        kafka_alter_log_dirs_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_CREATE_DELEGATION_TOKEN:
    case KAFKA_API_RENEW_DELEGATION_TOKEN:
    case KAFKA_API_EXPIRE_DELEGATION_TOKEN:
    case KAFKA_API_DESCRIBE_DELEGATION_TOKEN: {
        struct kafka_principal pr[] = {{KAFKA_STR("User"), KAFKA_STR("bob")},
                                       {KAFKA_STR("User"), KAFKA_STR("eve")}};
        struct kafka_token_request r = {0};
        r.api_key = key;
        r.owner_type = v >= 3 ? KAFKA_STR("User") : slice_make(NULL, 0);
        r.owner_name = slice_make(NULL, 0);
        r.nrenewers = 2;
        r.renewers = pr;
        r.max_lifetime_ms = 86400000;
        r.hmac = KAFKA_STR("0123456789abcdef");
        r.period_ms = 3600000;
        r.owners_null = false;
        r.nowners = 1;
        r.owners = pr;
        kafka_token_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_ALTER_PARTITION_REASSIGNMENTS: {
        static int32_t reps[] = {0, 1};
        struct kafka_reassign_partition p[] = {
            {0, false, 2, reps, 0, {NULL, 0}},
            {1, true, 0, NULL, 0, {NULL, 0}}};
        struct kafka_reassign_topic t[] = {{KAFKA_STR("events"), 2, p}};
        struct kafka_alter_reassignments_request r = {30000, 1, t};
        kafka_alter_reassignments_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_UPDATE_FEATURES: {
        struct kafka_feature_update u[] = {
            {KAFKA_STR("group.version"), 1, false, 1, 0, {NULL, 0}},
            {KAFKA_STR("x.version"), 0, true, 2, 0, {NULL, 0}}};
        struct kafka_update_features_request r = {30000, 2, u, v >= 1};
        kafka_update_features_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_GET_TELEMETRY_SUBSCRIPTIONS:
    case KAFKA_API_PUSH_TELEMETRY:
    case KAFKA_API_LIST_CLIENT_METRICS_RESOURCES: {
        struct kafka_telemetry_request r = {
            key,  {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}},
            1234, true,
            4,    KAFKA_STR("otlp-bytes")};
        kafka_telemetry_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_DESCRIBE_TOPIC_PARTITIONS: {
        struct slice names[] = {KAFKA_STR("events"), KAFKA_STR("t2")};
        struct kafka_dtp_request r = {2, names, 100, false, KAFKA_STR("t2"), 3};
        kafka_dtp_request_encode(out, v, &r);
        break;
    }
    default:
        break;
    }
}

static void sample_request_body(struct buf *out, int16_t key, int16_t v)
{
    static int32_t parts[] = {0, 1, 7};
    static struct kafka_topic_partitions tps[] = {
        {{(const uint8_t *)"events", 6}, 3, parts},
        {{(const uint8_t *)"t2", 2}, 1, parts},
    };
    static struct kafka_offset_commit_partition ocp[] = {
        {0, 42, 3, {(const uint8_t *)"meta", 4}, 1700000000000},
        {5, -1, -1, {NULL, 0}, -1},
    };
    static struct kafka_offset_commit_topic oct[] = {
        {{(const uint8_t *)"events", 6}, 2, ocp}};
    /* A tiny fake batch; the codec treats records as opaque bytes. */
    static const uint8_t batch[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0,
                                    0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9};

    switch (key) {
    case KAFKA_API_PRODUCE: {
        struct kafka_produce_partition pp[] = {
            {0, slice_make(batch, sizeof batch)}, {3, {NULL, 0}}};
        struct kafka_produce_topic pt[] = {{KAFKA_STR("events"), 2, pp}};
        struct kafka_produce_request r = {KAFKA_STR("txn-1"), -1, 30000, 1, pt};
        kafka_produce_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_FETCH: {
        struct kafka_fetch_partition fp[] = {{0, 5, 100, 7, 1048576, 4},
                                             {2, 5, 0, 0, 65536, -1}};
        struct kafka_fetch_topic ft[] = {
            {KAFKA_STR("events"), 2, fp, {{1, 2, 3, 4, 5, 6, 7, 8, 9}}}};
        struct kafka_uuid fids[] = {{{9, 8, 7}}};
        struct kafka_fetch_request r = {
            -1,  500, 1, 52428800, 1, 9, 2, 1, ft, 1, tps, KAFKA_STR("rack-a"),
            fids};
        kafka_fetch_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_LIST_OFFSETS: {
        struct kafka_list_offsets_partition lp[] = {
            {0, -1, 5}, {1, -2, -1}, {2, 1700000000000, 7}};
        struct kafka_list_offsets_topic lt[] = {{KAFKA_STR("events"), 3, lp}};
        struct kafka_list_offsets_request r = {-1, 1, 1, lt};
        kafka_list_offsets_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_METADATA: {
        struct slice names[] = {KAFKA_STR("events"), KAFKA_STR("t2")};
        struct kafka_uuid ids[] = {{{1, 2, 3}}, {{0}}};
        struct kafka_metadata_request r = {false, 2,    names, false,
                                           ids,   true, true};
        kafka_metadata_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_OFFSET_COMMIT: {
        struct kafka_offset_commit_request r = {KAFKA_STR("g1"),
                                                4,
                                                KAFKA_STR("m-1"),
                                                86400000,
                                                KAFKA_STR("inst"),
                                                1,
                                                oct};
        kafka_offset_commit_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_OFFSET_FETCH: {
        struct kafka_offset_fetch_group og[] = {
            {KAFKA_STR("g1"), KAFKA_STR("m-1"), 5, false, 2, tps},
            {KAFKA_STR("g2"), {NULL, 0}, -1, true, 0, NULL}};
        struct kafka_offset_fetch_request r = {
            KAFKA_STR("g1"), false, 2, tps, true, 2, og};
        kafka_offset_fetch_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_FIND_COORDINATOR: {
        struct slice keys[] = {KAFKA_STR("g1"), KAFKA_STR("g2")};
        struct kafka_find_coordinator_request r = {KAFKA_STR("g1"), 1, 2, keys};
        kafka_find_coordinator_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_JOIN_GROUP: {
        struct kafka_join_group_protocol p[] = {
            {KAFKA_STR("range"), KAFKA_STR("\0\1\0\0\0\1\0\6events\0\0\0\0")},
            {KAFKA_STR("roundrobin"), KAFKA_STR("\0\1")}};
        struct kafka_join_group_request r = {KAFKA_STR("g1"),
                                             10000,
                                             300000,
                                             KAFKA_STR(""),
                                             KAFKA_STR("inst"),
                                             KAFKA_STR("consumer"),
                                             2,
                                             p,
                                             KAFKA_STR("rebalance")};
        kafka_join_group_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_HEARTBEAT: {
        struct kafka_heartbeat_request r = {
            KAFKA_STR("g1"), 3, KAFKA_STR("m-1"), {NULL, 0}};
        kafka_heartbeat_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_LEAVE_GROUP: {
        struct kafka_leave_group_member lm[] = {
            {KAFKA_STR("m-1"), {NULL, 0}, KAFKA_STR("bye")},
            {KAFKA_STR(""), KAFKA_STR("inst"), {NULL, 0}}};
        struct kafka_leave_group_request r = {KAFKA_STR("g1"), KAFKA_STR("m-1"),
                                              2, lm};
        kafka_leave_group_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_SYNC_GROUP: {
        struct kafka_sync_group_assignment as[] = {
            {KAFKA_STR("m-1"), KAFKA_STR("\0\1\0\0\0\1")},
            {KAFKA_STR("m-2"), KAFKA_STR("")}};
        struct kafka_sync_group_request r = {KAFKA_STR("g1"),
                                             3,
                                             KAFKA_STR("m-1"),
                                             KAFKA_STR("inst"),
                                             2,
                                             as,
                                             KAFKA_STR("consumer"),
                                             KAFKA_STR("range")};
        kafka_sync_group_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_DESCRIBE_GROUPS: {
        struct slice g[] = {KAFKA_STR("g1"), KAFKA_STR("g2")};
        struct kafka_describe_groups_request r = {2, g, true};
        kafka_describe_groups_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_LIST_GROUPS: {
        struct slice st[] = {KAFKA_STR("Stable"), KAFKA_STR("Empty")};
        struct slice ty[] = {KAFKA_STR("classic")};
        struct kafka_list_groups_request r = {0, 2, st, 1, ty};
        kafka_list_groups_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_API_VERSIONS: {
        struct kafka_api_versions_request r = {KAFKA_STR("librdkafka"),
                                               KAFKA_STR("2.0.2")};
        kafka_api_versions_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_CREATE_TOPICS: {
        int32_t ids[] = {0};
        struct kafka_create_topics_assignment as[] = {{0, 1, ids}};
        struct kafka_create_topics_config cf[] = {
            {KAFKA_STR("retention.ms"), KAFKA_STR("60000")},
            {KAFKA_STR("cleanup.policy"), {NULL, 0}}};
        struct kafka_create_topics_topic t[] = {
            {KAFKA_STR("new1"), 3, 1, 0, NULL, 2, cf},
            {KAFKA_STR("new2"), -1, -1, 1, as, 0, NULL}};
        struct kafka_create_topics_request r = {2, t, 5000, true};
        kafka_create_topics_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_DELETE_TOPICS: {
        struct slice n[] = {KAFKA_STR("old1"), {NULL, 0}};
        struct kafka_uuid ids[] = {{{0}}, {{7, 7, 7}}};
        /* v6+: one by name, one by id (null name) */
        struct kafka_delete_topics_request r = {v >= 6 ? 2 : 1, n, 5000, ids};
        kafka_delete_topics_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_INIT_PRODUCER_ID: {
        struct kafka_init_producer_id_request r = {KAFKA_STR("txn-1"), 60000};
        kafka_init_producer_id_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_ADD_PARTITIONS_TO_TXN: {
        struct kafka_add_partitions_to_txn_request r = {KAFKA_STR("txn-1"),
                                                        1000, 2, 2, tps};
        kafka_add_partitions_to_txn_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_ADD_OFFSETS_TO_TXN: {
        struct kafka_add_offsets_to_txn_request r = {KAFKA_STR("txn-1"), 1000,
                                                     2, KAFKA_STR("g1")};
        kafka_add_offsets_to_txn_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_END_TXN: {
        struct kafka_end_txn_request r = {KAFKA_STR("txn-1"), 1000, 2, true};
        kafka_end_txn_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_TXN_OFFSET_COMMIT: {
        struct kafka_txn_offset_commit_request r = {
            KAFKA_STR("txn-1"), KAFKA_STR("g1"), 1000, 2, 1, oct};
        kafka_txn_offset_commit_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_CREATE_PARTITIONS: {
        static int32_t ids[] = {0};
        static struct kafka_i32_list asg[] = {{1, ids}, {1, ids}};
        struct kafka_create_partitions_topic t[] = {
            {KAFKA_STR("events"), 6, false, 2, asg},
            {KAFKA_STR("t2"), 3, true, 0, NULL}};
        struct kafka_create_partitions_request r = {2, t, 30000, true};
        kafka_create_partitions_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_DESCRIBE_CONFIGS: {
        static struct slice keys[] = {{(const uint8_t *)"retention.ms", 12}};
        struct kafka_config_resource res[] = {
            {2, KAFKA_STR("events"), false, 1, keys, 0, NULL},
            {4, KAFKA_STR("0"), true, 0, NULL, 0, NULL}};
        struct kafka_describe_configs_request r = {2, res, true, true};
        kafka_describe_configs_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_ALTER_CONFIGS:
    case KAFKA_API_INCREMENTAL_ALTER_CONFIGS: {
        static struct kafka_alter_config cfg[] = {
            {{(const uint8_t *)"retention.ms", 12},
             0,
             {(const uint8_t *)"1000", 4}},
            {{(const uint8_t *)"segment.bytes", 13}, 1, {NULL, 0}}};
        struct kafka_config_resource res[] = {
            {2, KAFKA_STR("events"), false, 0, NULL, 2, cfg}};
        struct kafka_alter_configs_request r = {1, res, true};
        if (key == KAFKA_API_ALTER_CONFIGS)
            cfg[1].op = 0;
        kafka_alter_configs_request_encode(out, key, v, &r);
        break;
    }
    case KAFKA_API_DELETE_RECORDS: {
        struct kafka_delete_records_partition dp[] = {{0, 42, 0, 0},
                                                      {3, -1, 0, 0}};
        struct kafka_delete_records_topic dt[] = {{KAFKA_STR("events"), 2, dp}};
        struct kafka_delete_records_request r = {1, dt, 5000};
        kafka_delete_records_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_DELETE_GROUPS: {
        struct slice g[] = {KAFKA_STR("g1"), KAFKA_STR("g2")};
        struct kafka_delete_groups_request r = {2, g};
        kafka_delete_groups_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_OFFSET_DELETE: {
        struct kafka_offset_delete_request r = {KAFKA_STR("g1"), 2, tps};
        kafka_offset_delete_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_DESCRIBE_CLUSTER: {
        struct kafka_describe_cluster_request r = {true, 1};
        kafka_describe_cluster_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_DESCRIBE_LOG_DIRS:
    case KAFKA_API_LIST_PARTITION_REASSIGNMENTS:
    case KAFKA_API_ELECT_LEADERS:
    case KAFKA_API_DESCRIBE_PRODUCERS: {
        struct kafka_topics_request r = {false, 2, tps, 1234, 1};
        if (key != KAFKA_API_ELECT_LEADERS || v == 0)
            r.election_type = 0;
        if (key == KAFKA_API_DESCRIBE_LOG_DIRS ||
            key == KAFKA_API_DESCRIBE_PRODUCERS)
            r.timeout_ms = 60000;
        kafka_topics_request_encode(out, key, v, &r);
        break;
    }
    case KAFKA_API_DESCRIBE_TRANSACTIONS: {
        static struct slice ids[] = {{(const uint8_t *)"txn-1", 5},
                                     {(const uint8_t *)"txn-2", 5}};
        struct kafka_describe_transactions_request r = {2, ids};
        kafka_describe_transactions_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_LIST_TRANSACTIONS: {
        static struct slice states[] = {{(const uint8_t *)"Ongoing", 7}};
        static int64_t pids[] = {1000, 1001};
        struct kafka_list_transactions_request r = {1, states, 2, pids,
                                                    v >= 1 ? 60000 : -1};
        kafka_list_transactions_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_CONSUMER_GROUP_HEARTBEAT: {
        static int32_t own[] = {0, 2};
        struct slice topics[] = {KAFKA_STR("events"), KAFKA_STR("t2")};
        struct kafka_cg_topic_partitions tp[] = {
            {{{1, 2, 3}}, {NULL, 0}, 2, own}};
        struct kafka_cg_heartbeat_request r = {KAFKA_STR("g1"),
                                               KAFKA_STR("m-1"),
                                               3,
                                               KAFKA_STR("inst"),
                                               {NULL, 0},
                                               300000,
                                               false,
                                               2,
                                               topics,
                                               KAFKA_STR("uniform"),
                                               false,
                                               1,
                                               tp};
        kafka_cg_heartbeat_request_encode(out, v, &r);
        break;
    }
    case KAFKA_API_CONSUMER_GROUP_DESCRIBE: {
        struct slice ids[] = {KAFKA_STR("g1"), KAFKA_STR("g2")};
        struct kafka_cg_describe_request r = {2, ids, true};
        kafka_cg_describe_request_encode(out, v, &r);
        break;
    }
    default:
        if (kafka_extra_api(key))
            sample_extra_body(out, key, v);
        else
            sample_security_body(out, key, v);
        break;
    }
}

/* Appends header + body (a frame payload, no size prefix). */
static void sample_request(struct buf *out, int16_t key, int16_t v,
                           int32_t corr)
{
    struct kafka_request_header h = {key, v, corr, KAFKA_STR("rill-test"),
                                     false};
    kafka_request_header_encode(out, &h);
    sample_request_body(out, key, v);
}

#endif
