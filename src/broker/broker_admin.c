/* broker_admin.c - handlers for the admin APIs of a single node:
 * CreatePartitions, DeleteRecords, DescribeConfigs, AlterConfigs,
 * IncrementalAlterConfigs, DescribeCluster, DescribeLogDirs,
 * ListPartitionReassignments and ElectLeaders (layer: broker).
 *
 * Topic configs are the log's (logdir_topic_config): an alter is checked,
 * persisted in the topic's metadata file, then applied live to every
 * partition (logdir_topic_alter). Broker configs: the dynamic ones
 * (broker_dynconf.c) are altered live, the rest described read-only from
 * the config file. One node is the leader of every
 * partition, so there is nothing to elect or reassign. All answer at once.
 */
#include <stdio.h>
#include <string.h>

#include "base/diag.h"
#include "base/err.h"
#include "broker/broker_acl.h"
#include "broker/broker_int.h"
#include "broker/broker_log.h"
#include "kafka/kafka_proto.h"
#include "log/logdir.h"
#include "log/partition.h"

static struct slice arena_str(struct arena *a, const char *s)
{
    size_t n = strlen(s);
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n + 1);
    return slice_make(p, n);
}

static struct slice arena_i64(struct arena *a, long long v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%lld", v);
    return arena_str(a, tmp);
}

static bool slice_is(struct slice s, const char *lit)
{
    return s.len == strlen(lit) && (s.len == 0 || !memcmp(s.ptr, lit, s.len));
}

/* --- topic config keys ---------------------------------------------------- */

/* Every topic-level key Kafka 3.9 knows (TopicConfig). rill honours those
 * of topic_keys below and accepts the others without effect. */
static const char *const kafka_topic_keys[] = {
    "cleanup.policy",
    "compression.type",
    "delete.retention.ms",
    "file.delete.delay.ms",
    "flush.messages",
    "flush.ms",
    "follower.replication.throttled.replicas",
    "index.interval.bytes",
    "leader.replication.throttled.replicas",
    "local.retention.bytes",
    "local.retention.ms",
    "max.compaction.lag.ms",
    "max.message.bytes",
    "message.downconversion.enable",
    "message.format.version",
    "message.timestamp.after.max.ms",
    "message.timestamp.before.max.ms",
    "message.timestamp.difference.max.ms",
    "message.timestamp.type",
    "min.cleanable.dirty.ratio",
    "min.compaction.lag.ms",
    "min.insync.replicas",
    "preallocate",
    "remote.log.copy.disable",
    "remote.log.delete.on.disable",
    "remote.storage.enable",
    "retention.bytes",
    "retention.ms",
    "segment.bytes",
    "segment.index.bytes",
    "segment.jitter.ms",
    "segment.ms",
    "unclean.leader.election.enable",
};

static bool slice_is(struct slice s, const char *lit);

int16_t broker_topic_config_check(const struct broker_topic_kv *kv, size_t n,
                                  struct slice *msg)
{
    for (size_t i = 0; i < n; i++) {
        bool known = false;
        for (size_t k = 0;
             k < sizeof(kafka_topic_keys) / sizeof(kafka_topic_keys[0]); k++)
            if (slice_is(kv[i].key, kafka_topic_keys[k]))
                known = true;
        if (!known) {
            *msg = KAFKA_STR("unknown topic config key");
            return KAFKA_ERR_INVALID_CONFIG;
        }
    }
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    if (broker_topic_config_apply(&c, kv, n)) {
        *msg = KAFKA_STR("invalid value");
        return KAFKA_ERR_INVALID_CONFIG;
    }
    return 0;
}

/* --- DescribeConfigs -------------------------------------------------------
 */

/* The topic keys rill keeps per topic (cleanup.policy and
 * min.cleanable.dirty.ratio are not integers: describe_topic). */
static const char *const topic_keys[] = {
    "cleanup.policy",        "max.message.bytes",
    "retention.bytes",       "retention.ms",
    "segment.bytes",         "segment.ms",
    "index.interval.bytes",  "delete.retention.ms",
    "min.compaction.lag.ms", "min.cleanable.dirty.ratio",
};
#define NTOPIC_KEYS (sizeof(topic_keys) / sizeof(topic_keys[0]))

static long long topic_value(const struct logdir_topic_config *c, size_t k)
{
    switch (k) {
    case 1:
        return c->max_message_bytes;
    case 2:
        return c->retention_bytes;
    case 3:
        return c->retention_ms;
    case 4:
        return c->segment_bytes;
    case 5:
        return c->segment_ms;
    case 6:
        return c->index_interval_bytes;
    case 7:
        return c->delete_retention_ms;
    case 8:
        return c->min_compaction_lag_ms;
    default:
        return 0;
    }
}

static bool wanted(const struct kafka_config_resource *res, const char *key)
{
    if (res->keys_null)
        return true;
    for (size_t i = 0; i < res->nkeys; i++)
        if (slice_is(res->keys[i], key))
            return true;
    return false;
}

static void describe_topic(struct broker_req *req,
                           const struct kafka_config_resource *res,
                           struct kafka_describe_configs_result *out)
{
    char name[LOGDIR_TOPIC_NAME_MAX + 1];
    struct logdir_topic_config c, def;
    if (res->resource_name.len == 0 ||
        res->resource_name.len > LOGDIR_TOPIC_NAME_MAX) {
        out->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        return;
    }
    memcpy(name, res->resource_name.ptr, res->resource_name.len);
    name[res->resource_name.len] = '\0';
    if (logdir_topic_config(req->b->logdir, name, &c) < 0) {
        out->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        out->error_message = KAFKA_STR("topic does not exist");
        return;
    }
    broker_topic_config_defaults(req->b, &def, c.partitions);
    out->configs =
        arena_calloc(req->arena, NTOPIC_KEYS * sizeof(*out->configs));
    for (size_t k = 0; k < NTOPIC_KEYS; k++) {
        if (!wanted(res, topic_keys[k]))
            continue;
        struct kafka_config_entry *e = &out->configs[out->nconfigs++];
        e->name = arena_str(req->arena, topic_keys[k]);
        e->documentation = slice_make(NULL, 0);
        if (k == 0) {
            e->value = arena_str(req->arena,
                                 logdir_cleanup_policy_name(c.cleanup_policy));
            e->is_default = c.cleanup_policy == def.cleanup_policy;
            e->source = e->is_default ? KAFKA_CONFIG_SOURCE_DEFAULT
                                      : KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC;
            e->config_type = 7; /* LIST */
            continue;
        }
        if (k == 9) {
            char tmp[32];
            snprintf(tmp, sizeof tmp, "%g", c.min_cleanable_dirty_ratio);
            e->value = arena_str(req->arena, tmp);
            e->is_default =
                c.min_cleanable_dirty_ratio == def.min_cleanable_dirty_ratio;
            e->source = e->is_default ? KAFKA_CONFIG_SOURCE_DEFAULT
                                      : KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC;
            e->config_type = 6; /* DOUBLE */
            continue;
        }
        long long v = topic_value(&c, k);
        e->value = arena_i64(req->arena, v);
        e->is_default = v == topic_value(&def, k);
        e->source = e->is_default ? KAFKA_CONFIG_SOURCE_DEFAULT
                                  : KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC;
        e->config_type = k == 1 || k == 6 ? 3 /* INT */ : 5 /* LONG */;
    }
}

/* The BROKER resource: this broker's id (every config, the dynamic ones
 * with their source) or "" (the cluster defaults: only the dynamic
 * default values set, as Kafka describes them). */
static void describe_broker(struct broker_req *req,
                            const struct kafka_config_resource *res,
                            struct kafka_describe_configs_result *out)
{
    const struct broker_config *cfg = &req->b->cfg;
    char id[16];
    snprintf(id, sizeof id, "%d", cfg->node_id);
    bool defaults = res->resource_name.len == 0;
    if (!defaults && !slice_is(res->resource_name, id)) {
        out->error_code = KAFKA_ERR_INVALID_REQUEST;
        out->error_message = KAFKA_STR("no such broker id");
        return;
    }
    const struct {
        const char *key;
        long long v;
    } kv[] = {
        {"broker.id", cfg->node_id},
        {"num.partitions", cfg->num_partitions},
        {"log.retention.check.interval.ms", (long long)cfg->retention_check_ms},
        {"socket.request.max.bytes", (long long)cfg->max_frame_bytes},
    };
    size_t n = sizeof(kv) / sizeof(kv[0]);
    out->configs = arena_calloc(req->arena,
                                (n + BROKER_DYN_NKEYS) * sizeof(*out->configs));
    for (int k = 0; k < BROKER_DYN_NKEYS; k++) {
        const char *key = broker_dynconf_key(k);
        int src;
        long long v = (long long)broker_dynconf_value(req->b, k, &src);
        if (defaults) {
            const struct broker_dynconf *d = &req->b->dyn;
            if (!d->set[BROKER_DYN_DEFAULT][k])
                continue;
            v = (long long)d->v[BROKER_DYN_DEFAULT][k];
            src = KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER;
        }
        if (!wanted(res, key))
            continue;
        struct kafka_config_entry *e = &out->configs[out->nconfigs++];
        e->name = arena_str(req->arena, key);
        e->value = arena_i64(req->arena, v);
        e->source = (int8_t)src;
        e->config_type = k == 2 || k == 4 ? 3 /* INT */ : 5 /* LONG */;
        e->documentation = slice_make(NULL, 0);
    }
    for (size_t k = 0; k < n && !defaults; k++) {
        if (!wanted(res, kv[k].key))
            continue;
        struct kafka_config_entry *e = &out->configs[out->nconfigs++];
        e->name = arena_str(req->arena, kv[k].key);
        e->value = arena_i64(req->arena, kv[k].v);
        e->read_only = true;
        e->source = KAFKA_CONFIG_SOURCE_STATIC_BROKER;
        e->config_type = 5; /* LONG */
        e->documentation = slice_make(NULL, 0);
    }
}

/* DESCRIBE_CONFIGS / ALTER_CONFIGS on the topic, or on the cluster for
 * broker configs. */
static bool config_allowed(struct broker_req *req,
                           const struct kafka_config_resource *res, int op)
{
    return res->resource_type == KAFKA_RESOURCE_TOPIC
               ? broker_acl_topic(req, res->resource_name, op)
               : broker_acl_cluster(req, op);
}

static int handle_describe_configs(struct broker_req *req, struct buf *out)
{
    struct kafka_describe_configs_request rq;
    int rc = kafka_describe_configs_request_decode(&req->body, req->api_version,
                                                   req->arena, &rq);
    if (rc < 0)
        return rc;
    struct kafka_describe_configs_response resp = {0};
    resp.nresults = rq.nresources;
    resp.results =
        arena_calloc(req->arena, (rq.nresources ? rq.nresources : 1) *
                                     sizeof(*resp.results));
    for (size_t i = 0; i < rq.nresources; i++) {
        const struct kafka_config_resource *res = &rq.resources[i];
        struct kafka_describe_configs_result *r = &resp.results[i];
        r->resource_type = res->resource_type;
        r->resource_name = res->resource_name;
        r->error_message = slice_make(NULL, 0);
        if (!config_allowed(req, res, AUTH_OP_DESCRIBE_CONFIGS)) {
            r->error_code = res->resource_type == KAFKA_RESOURCE_TOPIC
                                ? KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED
                                : KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
        } else if (res->resource_type == KAFKA_RESOURCE_TOPIC) {
            describe_topic(req, res, r);
        } else if (res->resource_type == KAFKA_RESOURCE_BROKER) {
            describe_broker(req, res, r);
        } else {
            r->error_code = KAFKA_ERR_INVALID_REQUEST;
            r->error_message = KAFKA_STR("unsupported resource type");
        }
    }
    kafka_describe_configs_response_encode(out, req->api_version, &resp);
    return 0;
}

/* --- AlterConfigs / IncrementalAlterConfigs -------------------------------
 */

static bool topic_key_known(struct slice key)
{
    for (size_t k = 0; k < NTOPIC_KEYS; k++)
        if (slice_is(key, topic_keys[k]))
            return true;
    return false;
}

/* Computes and (unless validate_only) applies one topic's new config.
 * Returns a Kafka error code and sets *msg. */
static int16_t alter_topic(struct broker_req *req, bool incremental,
                           const struct kafka_config_resource *res,
                           bool validate_only, struct slice *msg)
{
    char name[LOGDIR_TOPIC_NAME_MAX + 1];
    struct logdir_topic_config c, def;
    if (res->resource_name.len == 0 ||
        res->resource_name.len > LOGDIR_TOPIC_NAME_MAX)
        return KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    memcpy(name, res->resource_name.ptr, res->resource_name.len);
    name[res->resource_name.len] = '\0';
    if (logdir_topic_config(req->b->logdir, name, &c) < 0)
        return KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    broker_topic_config_defaults(req->b, &def, c.partitions);
    def.index_interval_bytes = c.index_interval_bytes;
    /* AlterConfigs replaces the whole set: what is not named reverts to
     * the default. IncrementalAlterConfigs changes only what it names. */
    struct logdir_topic_config next = incremental ? c : def;
    for (size_t j = 0; j < res->nconfigs; j++) {
        const struct kafka_alter_config *ac = &res->configs[j];
        if (!topic_key_known(ac->name)) {
            *msg = KAFKA_STR("unknown or unsupported topic config key");
            return KAFKA_ERR_INVALID_CONFIG;
        }
        if (slice_is(ac->name, "index.interval.bytes")) {
            *msg = KAFKA_STR("index.interval.bytes cannot be altered");
            return KAFKA_ERR_INVALID_CONFIG;
        }
        struct broker_topic_kv kv = {ac->name, ac->value};
        if (ac->op == KAFKA_CONFIG_OP_DELETE) {
            /* Back to the default: apply the default's value. */
            struct logdir_topic_config tmp = next;
            if (slice_is(ac->name, "retention.ms"))
                tmp.retention_ms = def.retention_ms;
            else if (slice_is(ac->name, "retention.bytes"))
                tmp.retention_bytes = def.retention_bytes;
            else if (slice_is(ac->name, "segment.bytes"))
                tmp.segment_bytes = def.segment_bytes;
            else if (slice_is(ac->name, "segment.ms"))
                tmp.segment_ms = def.segment_ms;
            else if (slice_is(ac->name, "max.message.bytes"))
                tmp.max_message_bytes = def.max_message_bytes;
            else if (slice_is(ac->name, "cleanup.policy"))
                tmp.cleanup_policy = def.cleanup_policy;
            else if (slice_is(ac->name, "delete.retention.ms"))
                tmp.delete_retention_ms = def.delete_retention_ms;
            else if (slice_is(ac->name, "min.compaction.lag.ms"))
                tmp.min_compaction_lag_ms = def.min_compaction_lag_ms;
            else if (slice_is(ac->name, "min.cleanable.dirty.ratio"))
                tmp.min_cleanable_dirty_ratio = def.min_cleanable_dirty_ratio;
            next = tmp;
            continue;
        }
        if (ac->op != KAFKA_CONFIG_OP_SET) {
            *msg = KAFKA_STR("APPEND/SUBTRACT apply to list configs only");
            return KAFKA_ERR_INVALID_CONFIG;
        }
        if (!ac->value.ptr) {
            *msg = KAFKA_STR("null value");
            return KAFKA_ERR_INVALID_CONFIG;
        }
        /* apply ignores values it cannot parse: detect that. */
        struct logdir_topic_config probe = next;
        int16_t err = broker_topic_config_apply(&probe, &kv, 1);
        if (err || ac->value.len == 0 || ac->value.len >= 32) {
            *msg = KAFKA_STR("invalid value");
            return KAFKA_ERR_INVALID_CONFIG;
        }
        next = probe;
    }
    /* The internal topics' latest record of a key is their state: they
     * stay compacted (an AlterConfigs that does not name cleanup.policy
     * would otherwise put them back to delete, and retention would drop
     * committed offsets). */
    if (broker_topic_is_internal(res->resource_name) &&
        !(next.cleanup_policy & LOGDIR_CLEANUP_COMPACT)) {
        bool named = false;
        for (size_t j = 0; j < res->nconfigs; j++)
            named |= slice_is(res->configs[j].name, "cleanup.policy");
        if (named) {
            *msg = KAFKA_STR("internal topics stay compacted");
            return KAFKA_ERR_INVALID_CONFIG;
        }
        next.cleanup_policy = c.cleanup_policy;
    }
    if (validate_only)
        return 0;
    int rc = logdir_topic_alter(req->b->logdir, name, &next);
    if (rc == ERR_INVALID) {
        *msg = KAFKA_STR("value out of range");
        return KAFKA_ERR_INVALID_CONFIG;
    }
    if (rc < 0) {
        diag_warn("broker: cannot alter topic %s: %s", name, err_str(rc));
        *msg = KAFKA_STR("cannot write the topic's metadata");
        return KAFKA_ERR_KAFKA_STORAGE_ERROR;
    }
    if (next.cleanup_policy & LOGDIR_CLEANUP_COMPACT)
        logdir_clean_kick(req->b->logdir);
    diag_info("broker: altered the configuration of topic %s", name);
    return 0;
}

static int handle_alter_configs(struct broker_req *req, struct buf *out)
{
    struct kafka_alter_configs_request rq;
    int rc = kafka_alter_configs_request_decode(
        &req->body, req->api_key, req->api_version, req->arena, &rq);
    if (rc < 0)
        return rc;
    bool incremental = req->api_key == KAFKA_API_INCREMENTAL_ALTER_CONFIGS;
    struct kafka_alter_configs_response resp = {0};
    resp.nresults = rq.nresources;
    resp.results =
        arena_calloc(req->arena, (rq.nresources ? rq.nresources : 1) *
                                     sizeof(*resp.results));
    for (size_t i = 0; i < rq.nresources; i++) {
        const struct kafka_config_resource *res = &rq.resources[i];
        struct kafka_alter_configs_result *r = &resp.results[i];
        r->resource_type = res->resource_type;
        r->resource_name = res->resource_name;
        r->error_message = slice_make(NULL, 0);
        if (!config_allowed(req, res, AUTH_OP_ALTER_CONFIGS)) {
            r->error_code = res->resource_type == KAFKA_RESOURCE_TOPIC
                                ? KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED
                                : KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
        } else if (res->resource_type == KAFKA_RESOURCE_TOPIC) {
            r->error_code = alter_topic(req, incremental, res, rq.validate_only,
                                        &r->error_message);
        } else if (res->resource_type == KAFKA_RESOURCE_BROKER) {
            r->error_code = broker_dynconf_alter(
                req->b, incremental, res, rq.validate_only, &r->error_message);
        } else {
            r->error_code = KAFKA_ERR_INVALID_REQUEST;
            r->error_message = KAFKA_STR("unsupported resource type");
        }
    }
    kafka_alter_configs_response_encode(out, req->api_key, req->api_version,
                                        &resp);
    return 0;
}

/* --- DescribeCluster -------------------------------------------------------
 */

static int handle_describe_cluster(struct broker_req *req, struct buf *out)
{
    struct broker *b = req->b;
    struct kafka_describe_cluster_request rq;
    int rc = kafka_describe_cluster_request_decode(&req->body, req->api_version,
                                                   req->arena, &rq);
    if (rc < 0)
        return rc;
    struct kafka_metadata_broker me = {0};
    me.node_id = b->cfg.node_id;
    me.host =
        slice_make(b->cfg.advertised_host, strlen(b->cfg.advertised_host));
    me.port = b->cfg.advertised_port;
    me.rack = slice_make(NULL, 0);
    struct kafka_describe_cluster_response resp = {0};
    resp.error_message = slice_make(NULL, 0);
    resp.endpoint_type = 1;
    resp.cluster_id = KAFKA_STR("rill-cluster");
    resp.controller_id = b->cfg.node_id;
    resp.nbrokers = 1;
    resp.brokers = &me;
    resp.cluster_authorized_operations = INT32_MIN;
    if (rq.endpoint_type != 1) {
        /* A single node has no separate controller endpoints. */
        resp.error_code = KAFKA_ERR_UNSUPPORTED_VERSION;
        resp.error_message = KAFKA_STR("only broker endpoints");
        resp.nbrokers = 0;
    }
    kafka_describe_cluster_response_encode(out, req->api_version, &resp);
    return 0;
}

/* --- DescribeLogDirs ---------------------------------------------------------
 */

static void log_dir_topic(struct broker_req *req, const char *name,
                          const int32_t *want, size_t nwant, bool all,
                          struct kafka_log_dir_topic *out)
{
    int nparts = logdir_topic_partitions(req->b->logdir, name);
    out->name = arena_str(req->arena, name);
    if (nparts <= 0)
        return;
    size_t n = all ? (size_t)nparts : nwant;
    out->partitions =
        arena_calloc(req->arena, (n ? n : 1) * sizeof(*out->partitions));
    for (size_t i = 0; i < n; i++) {
        int32_t id = all ? (int32_t)i : want[i];
        struct partition *p = logdir_partition(req->b->logdir, name, id);
        if (!p)
            continue; /* Kafka leaves unknown partitions out */
        struct kafka_log_dir_partition *lp =
            &out->partitions[out->npartitions++];
        lp->partition_index = id;
        lp->size = partition_size_bytes(p);
    }
}

static int handle_describe_log_dirs(struct broker_req *req, struct buf *out)
{
    struct broker *b = req->b;
    struct kafka_topics_request rq;
    int rc = kafka_topics_request_decode(&req->body, req->api_key,
                                         req->api_version, req->arena, &rq);
    if (rc < 0)
        return rc;
    struct kafka_describe_log_dirs_response resp = {0};
    resp.log_dir = slice_make(b->cfg.data_dir, strlen(b->cfg.data_dir));
    resp.total_bytes = -1;
    resp.usable_bytes = -1;
    if (!broker_acl_cluster(req, AUTH_OP_DESCRIBE)) {
        /* v3+ say why; before, an empty answer (Kafka's behaviour). */
        resp.error_code = KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
        kafka_describe_log_dirs_response_encode(out, req->api_version, &resp);
        return 0;
    }
    if (rq.topics_null) {
        char **names = NULL;
        size_t count = 0;
        if (logdir_topic_list(b->logdir, &names, &count) < 0)
            count = 0;
        resp.topics = arena_calloc(req->arena,
                                   (count ? count : 1) * sizeof(*resp.topics));
        for (size_t i = 0; i < count; i++)
            log_dir_topic(req, names[i], NULL, 0, true,
                          &resp.topics[resp.ntopics++]);
        logdir_names_free(names, count);
    } else {
        resp.topics = arena_calloc(req->arena, (rq.ntopics ? rq.ntopics : 1) *
                                                   sizeof(*resp.topics));
        for (size_t i = 0; i < rq.ntopics; i++) {
            const struct kafka_topic_partitions *t = &rq.topics[i];
            char name[LOGDIR_TOPIC_NAME_MAX + 1];
            if (t->name.len == 0 || t->name.len > LOGDIR_TOPIC_NAME_MAX)
                continue;
            memcpy(name, t->name.ptr, t->name.len);
            name[t->name.len] = '\0';
            log_dir_topic(req, name, t->partitions, t->npartitions, false,
                          &resp.topics[resp.ntopics++]);
        }
    }
    kafka_describe_log_dirs_response_encode(out, req->api_version, &resp);
    return 0;
}

/* --- ListPartitionReassignments / ElectLeaders --------------------------- */

static int handle_list_reassignments(struct broker_req *req, struct buf *out)
{
    struct kafka_topics_request rq;
    int rc = kafka_topics_request_decode(&req->body, req->api_key,
                                         req->api_version, req->arena, &rq);
    if (rc < 0)
        return rc;
    struct kafka_list_reassignments_response resp = {0};
    resp.error_message = slice_make(NULL, 0);
    if (!broker_acl_cluster(req, AUTH_OP_DESCRIBE))
        resp.error_code = KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
    kafka_list_reassignments_response_encode(out, req->api_version, &resp);
    return 0;
}

static int handle_elect_leaders(struct broker_req *req, struct buf *out)
{
    struct kafka_topics_request rq;
    int rc = kafka_topics_request_decode(&req->body, req->api_key,
                                         req->api_version, req->arena, &rq);
    if (rc < 0)
        return rc;
    /* Every partition already has its only replica as leader: asked
     * partitions get ELECTION_NOT_NEEDED (or UNKNOWN_TOPIC_OR_PARTITION);
     * "all partitions" (null) gets an empty list, as Kafka answers when
     * nothing needed electing. */
    struct kafka_elect_leaders_response resp = {0};
    resp.ntopics = rq.topics_null ? 0 : rq.ntopics;
    if (!broker_acl_cluster(req, AUTH_OP_ALTER)) {
        resp.error_code = KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
        resp.ntopics = 0;
    }
    resp.topics = arena_calloc(req->arena, (rq.ntopics ? rq.ntopics : 1) *
                                               sizeof(*resp.topics));
    for (size_t i = 0; i < resp.ntopics; i++) {
        const struct kafka_topic_partitions *t = &rq.topics[i];
        struct kafka_topic_results *tr = &resp.topics[i];
        tr->name = t->name;
        tr->npartitions = t->npartitions;
        tr->partitions =
            arena_calloc(req->arena, (t->npartitions ? t->npartitions : 1) *
                                         sizeof(*tr->partitions));
        for (size_t j = 0; j < t->npartitions; j++) {
            int16_t err = 0;
            struct kafka_partition_result *pr = &tr->partitions[j];
            pr->partition_index = t->partitions[j];
            pr->error_message = slice_make(NULL, 0);
            if (!broker_part_find(req->b, t->name, t->partitions[j], false,
                                  &err)) {
                pr->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            } else {
                pr->error_code = KAFKA_ERR_ELECTION_NOT_NEEDED;
                pr->error_message = KAFKA_STR("a single node leads every "
                                              "partition");
            }
        }
    }
    kafka_elect_leaders_response_encode(out, req->api_version, &resp);
    return 0;
}

/* --- CreatePartitions ------------------------------------------------------
 */

static int handle_create_partitions(struct broker_req *req, struct buf *out)
{
    struct kafka_create_partitions_request rq;
    int rc = kafka_create_partitions_request_decode(
        &req->body, req->api_version, req->arena, &rq);
    if (rc < 0)
        return rc;
    struct kafka_create_partitions_response resp = {0};
    resp.nresults = rq.ntopics;
    resp.results = arena_calloc(req->arena, (rq.ntopics ? rq.ntopics : 1) *
                                                sizeof(*resp.results));
    for (size_t i = 0; i < rq.ntopics; i++) {
        const struct kafka_create_partitions_topic *t = &rq.topics[i];
        struct kafka_name_error *r = &resp.results[i];
        r->name = t->name;
        r->error_message = slice_make(NULL, 0);
        if (!broker_acl_topic(req, t->name, AUTH_OP_ALTER)) {
            r->error_code = KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
            continue;
        }
        bool bad_assignment = false;
        for (size_t j = 0; j < t->nassignments; j++)
            if (t->assignments[j].n != 1 ||
                t->assignments[j].v[0] != req->b->cfg.node_id)
                bad_assignment = true;
        if (bad_assignment) {
            r->error_code = KAFKA_ERR_INVALID_REPLICA_ASSIGNMENT;
            r->error_message = KAFKA_STR("a single node: every partition's "
                                         "only replica is this broker");
            continue;
        }
        r->error_code = broker_topic_add_partitions(req->b, t->name, t->count,
                                                    rq.validate_only);
        if (r->error_code == KAFKA_ERR_INVALID_PARTITIONS)
            r->error_message = KAFKA_STR("the new count must be above the "
                                         "current one (partitions are never "
                                         "removed)");
    }
    kafka_create_partitions_response_encode(out, req->api_version, &resp);
    return 0;
}

/* --- DeleteRecords -----------------------------------------------------------
 */

static int handle_delete_records(struct broker_req *req, struct buf *out)
{
    struct broker *b = req->b;
    struct kafka_delete_records_request rq;
    int rc = kafka_delete_records_request_decode(&req->body, req->api_version,
                                                 req->arena, &rq);
    if (rc < 0)
        return rc;
    struct kafka_delete_records_response resp = {0};
    resp.ntopics = rq.ntopics;
    resp.topics = rq.topics; /* answered in place */
    for (size_t i = 0; i < rq.ntopics; i++) {
        struct kafka_delete_records_topic *t = &rq.topics[i];
        bool denied = !broker_acl_topic(req, t->name, AUTH_OP_DELETE);
        for (size_t j = 0; j < t->npartitions; j++) {
            struct kafka_delete_records_partition *dp = &t->partitions[j];
            int16_t err = 0;
            dp->low_watermark = -1;
            if (denied) {
                dp->error_code = KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
                continue;
            }
            struct broker_part *bp =
                broker_part_find(b, t->name, dp->partition_index, false, &err);
            if (!bp) {
                dp->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            if (broker_topic_is_internal(t->name)) {
                /* The group coordinator replays it: deleting would lose
                 * committed offsets at the next start. */
                dp->error_code = KAFKA_ERR_POLICY_VIOLATION;
                continue;
            }
            int64_t hwm = broker_log_visible_end(b, bp);
            int64_t upto = dp->offset == -1 ? hwm : dp->offset;
            if (upto < 0 || upto > hwm) {
                dp->error_code = KAFKA_ERR_OFFSET_OUT_OF_RANGE;
                dp->low_watermark = partition_log_start_offset(bp->p);
                continue;
            }
            rc = partition_delete_records(bp->p, upto, &dp->low_watermark);
            if (rc == ERR_RANGE)
                dp->error_code = KAFKA_ERR_OFFSET_OUT_OF_RANGE;
            else if (rc < 0)
                dp->error_code = KAFKA_ERR_KAFKA_STORAGE_ERROR;
            else
                dp->error_code = 0;
        }
    }
    kafka_delete_records_response_encode(out, req->api_version, &resp);
    return 0;
}

/* --- DescribeProducers -------------------------------------------------------
 */

static int handle_describe_producers(struct broker_req *req, struct buf *out)
{
    struct kafka_topics_request rq;
    int rc = kafka_topics_request_decode(&req->body, req->api_key,
                                         req->api_version, req->arena, &rq);
    if (rc < 0)
        return rc;
    struct kafka_describe_producers_response resp = {0};
    resp.ntopics = rq.ntopics;
    resp.topics = arena_calloc(req->arena, (rq.ntopics ? rq.ntopics : 1) *
                                               sizeof(*resp.topics));
    for (size_t i = 0; i < rq.ntopics; i++) {
        const struct kafka_topic_partitions *t = &rq.topics[i];
        struct kafka_producers_topic *tr = &resp.topics[i];
        tr->name = t->name;
        tr->npartitions = t->npartitions;
        tr->partitions =
            arena_calloc(req->arena, (t->npartitions ? t->npartitions : 1) *
                                         sizeof(*tr->partitions));
        for (size_t j = 0; j < t->npartitions; j++) {
            struct kafka_producers_partition *pr = &tr->partitions[j];
            int16_t err = 0;
            pr->partition_index = t->partitions[j];
            pr->error_message = slice_make(NULL, 0);
            if (!broker_acl_topic(req, t->name, AUTH_OP_READ)) {
                pr->error_code = KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
                continue;
            }
            struct broker_part *bp = broker_part_find(
                req->b, t->name, t->partitions[j], false, &err);
            if (!bp) {
                pr->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            size_t n = hashmap_count(&bp->producers.by_pid), k = 0;
            pr->producers =
                arena_calloc(req->arena, (n ? n : 1) * sizeof(*pr->producers));
            int64_t pid, last_offset;
            int16_t epoch;
            int32_t last_seq;
            for (size_t it = 0; k < n && broker_producer_next(
                                             &bp->producers, &it, &pid, &epoch,
                                             &last_seq, &last_offset);) {
                struct kafka_producer_state *s = &pr->producers[k++];
                s->producer_id = pid;
                s->producer_epoch = epoch;
                s->last_sequence = last_seq;
                s->last_timestamp = -1; /* not kept */
                s->coordinator_epoch = -1;
                s->current_txn_start_offset = -1; /* no transactions */
            }
            pr->nproducers = k;
        }
    }
    kafka_describe_producers_response_encode(out, req->api_version, &resp);
    return 0;
}

void broker_admin_register(struct broker *b)
{
    broker_serve(b, KAFKA_API_DESCRIBE_PRODUCERS, handle_describe_producers);
    broker_serve(b, KAFKA_API_DELETE_RECORDS, handle_delete_records);
    broker_serve(b, KAFKA_API_CREATE_PARTITIONS, handle_create_partitions);
    broker_serve(b, KAFKA_API_DESCRIBE_CONFIGS, handle_describe_configs);
    broker_serve(b, KAFKA_API_ALTER_CONFIGS, handle_alter_configs);
    broker_serve(b, KAFKA_API_INCREMENTAL_ALTER_CONFIGS, handle_alter_configs);
    broker_serve(b, KAFKA_API_DESCRIBE_CLUSTER, handle_describe_cluster);
    broker_serve(b, KAFKA_API_DESCRIBE_LOG_DIRS, handle_describe_log_dirs);
    broker_serve(b, KAFKA_API_LIST_PARTITION_REASSIGNMENTS,
                 handle_list_reassignments);
    broker_serve(b, KAFKA_API_ELECT_LEADERS, handle_elect_leaders);
}
