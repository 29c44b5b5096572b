/* broker_extra.c - the APIs Kafka 3.9 serves on a single broker that rill
 * answers without new log machinery: OffsetForLeaderEpoch,
 * AlterReplicaLogDirs, AlterPartitionReassignments, the delegation-token
 * APIs, UpdateFeatures (and the feature levels ApiVersions reports), the
 * client-telemetry APIs of KIP-714 and DescribeTopicPartitions
 * (layer: broker). Codecs: kafka/kafka_extra.h. What each answers, and
 * why, is in docs/kafka-protocol.md ("The cluster-management APIs").
 *
 * Feature levels (UpdateFeatures, ApiVersions v3+): one feature,
 * group.version (0-1, as Kafka 4 names it): 1 serves the KIP-848 consumer
 * group protocol, 0 answers its heartbeat UNSUPPORTED_VERSION. Kept in
 * <data>/broker-features ("group.version=N\nepoch=N\n", written with
 * os_write_file_atomic before a change applies); epoch counts changes.
 * Loop thread only.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/os.h"
#include "broker/broker_acl.h"
#include "broker/broker_int.h"
#include "broker/broker_log.h"
#include "kafka/kafka_extra.h"
#include "kafka/kafka_proto.h"
#include "log/logdir.h"
#include "log/partition.h"

#define FEATURES_FILE "broker-features"
#define FEATURES_FILE_MAX 4096

/* Kafka's telemetry defaults (telemetry.max.bytes, the push interval of a
 * client without a matching subscription). */
#define TELEMETRY_MAX_BYTES (1024 * 1024)
#define TELEMETRY_PUSH_INTERVAL_MS (5 * 60 * 1000)
/* The subscription rill hands out requests no metrics; its id is fixed
 * (Kafka derives it from the subscribed metrics, here none). */
#define TELEMETRY_SUBSCRIPTION_ID 0x72696c6c

static bool slice_eq(struct slice a, struct slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Kafka's two reasons for refusing a manual replica list, naming a broker. */
static struct slice replica_msg(struct arena *a, int32_t broker, bool twice)
{
    char *m = arena_alloc(a, 160);
    int n = twice ? snprintf(m, 160,
                             "The manual partition assignment includes the "
                             "broker %d more than once.",
                             (int)broker)
                  : snprintf(m, 160,
                             "The manual partition assignment includes "
                             "broker %d, but no such broker is registered.",
                             (int)broker);
    return slice_make(m, n < 0 ? 0 : (size_t)(n < 160 ? n : 159));
}

/* --- feature levels ------------------------------------------------------- */

static int features_store(const struct broker *b, int16_t group_version,
                          int64_t epoch)
{
    char text[128], path[1100];
    int n = snprintf(text, sizeof text, "group.version=%d\nepoch=%lld\n",
                     (int)group_version, (long long)epoch);
    snprintf(path, sizeof path, "%s/%s", b->cfg.data_dir, FEATURES_FILE);
    return os_write_file_atomic(path, text, (size_t)n);
}

int broker_features_load(struct broker *b)
{
    b->group_version = BROKER_GROUP_VERSION_MAX;
    b->features_epoch = 0;
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", b->cfg.data_dir, FEATURES_FILE);
    char *text = NULL;
    size_t len = 0;
    int rc = os_read_file(path, FEATURES_FILE_MAX, &text, &len);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0) {
        diag_error("broker: cannot read %s: %s", path, err_str(rc));
        return rc;
    }
    rc = 0;
    for (char *p = text, *end = text + len; p < end && rc == 0;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        char line[64];
        size_t n = (size_t)(le - p);
        if (n > 0 && n < sizeof line) {
            memcpy(line, p, n);
            line[n] = 0;
            long long v = 0;
            char *tail = NULL;
            char *eq = strchr(line, '=');
            if (eq) {
                errno = 0;
                v = strtoll(eq + 1, &tail, 10);
            }
            if (!eq || errno || tail == eq + 1 || *tail) {
                rc = ERR_CORRUPT;
            } else if (!strncmp(line, "group.version=", 14) && v >= 0 &&
                       v <= BROKER_GROUP_VERSION_MAX) {
                b->group_version = (int16_t)v;
            } else if (!strncmp(line, "epoch=", 6) && v >= 0) {
                b->features_epoch = v;
            } else {
                rc = ERR_CORRUPT;
            }
        } else if (n > 0) {
            rc = ERR_CORRUPT;
        }
        p = nl ? nl + 1 : end;
    }
    free(text);
    if (rc < 0)
        diag_error("broker: %s is damaged (expected group.version=0..%d and "
                   "epoch=N lines): refusing to start",
                   path, BROKER_GROUP_VERSION_MAX);
    return rc;
}

static int handle_update_features(struct broker_req *req, struct buf *out)
{
    struct broker *b = req->b;
    struct kafka_update_features_request rq;
    int rc = kafka_update_features_request_decode(&req->body, req->api_version,
                                                  req->arena, &rq);
    if (rc < 0)
        return rc;
    int16_t top = 0;
    struct slice top_msg = slice_make(NULL, 0);
    if (!broker_acl_cluster(req, AUTH_OP_ALTER)) {
        top = KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
        for (size_t i = 0; i < rq.nupdates; i++) {
            rq.updates[i].error_code = top;
            rq.updates[i].error_message = slice_make(NULL, 0);
        }
        kafka_update_features_response_encode(out, req->api_version, top,
                                              top_msg, &rq);
        return 0;
    }
    /* Checked one by one as Kafka's FeatureControlManager does; the valid
     * ones apply together (atomically: one file write). */
    int16_t new_gv = b->group_version;
    bool changed = false;
    for (size_t i = 0; i < rq.nupdates; i++) {
        struct kafka_feature_update *u = &rq.updates[i];
        const char *why = NULL;
        u->error_code = 0;
        u->error_message = slice_make(NULL, 0);
        bool dup = false;
        for (size_t j = 0; j < i; j++)
            dup |= slice_eq(rq.updates[j].feature, u->feature);
        int16_t cur = b->group_version;
        if (dup) {
            why = "The feature is named twice in the request.";
        } else if (u->upgrade_type < 1 || u->upgrade_type > 3) {
            why = "The controller does not support the given upgrade type.";
        } else if (u->max_version_level < 0) {
            why = "A feature version cannot be less than 0.";
        } else if (!slice_eq_str(u->feature, "group.version")) {
            why = "This node does not support this feature (rill has one: "
                  "group.version).";
        } else if (u->max_version_level > BROKER_GROUP_VERSION_MAX) {
            why = "This node supports group.version 0 to 1.";
        } else if (u->max_version_level < cur && u->upgrade_type == 1) {
            why = "Can't downgrade the version of this feature without "
                  "setting the upgrade type to either safe or unsafe "
                  "downgrade.";
        } else if (u->max_version_level > cur && u->upgrade_type != 1) {
            why = "Can't downgrade to a newer version.";
        }
        if (why) {
            u->error_code = KAFKA_ERR_INVALID_UPDATE_VERSION;
            char *m = arena_alloc(req->arena, 400);
            int n = snprintf(m, 400,
                             "Invalid update version %d for feature "
                             "%.*s. %s",
                             (int)u->max_version_level,
                             (int)(u->feature.len < 100 ? u->feature.len : 100),
                             (const char *)u->feature.ptr, why);
            u->error_message = slice_make(m, n < 400 ? (size_t)n : 399);
            continue;
        }
        if (u->max_version_level != cur) {
            new_gv = u->max_version_level;
            changed = true;
        }
    }
    if (changed && !rq.validate_only) {
        rc = features_store(b, new_gv, b->features_epoch + 1);
        if (rc < 0) {
            diag_error("broker: cannot write %s: %s", FEATURES_FILE,
                       err_str(rc));
            for (size_t i = 0; i < rq.nupdates; i++)
                if (rq.updates[i].error_code == 0) {
                    rq.updates[i].error_code = KAFKA_ERR_KAFKA_STORAGE_ERROR;
                    rq.updates[i].error_message =
                        KAFKA_STR("cannot persist the feature level");
                }
        } else {
            diag_info("broker: group.version %d -> %d (features epoch %lld)",
                      (int)b->group_version, (int)new_gv,
                      (long long)(b->features_epoch + 1));
            b->group_version = new_gv;
            b->features_epoch++;
        }
    }
    kafka_update_features_response_encode(out, req->api_version, top, top_msg,
                                          &rq);
    return 0;
}

/* --- OffsetForLeaderEpoch ------------------------------------------------- */

/* rill has no leader epochs (Metadata answers -1: a single node is never
 * re-elected), so it answers as Kafka does for a log without an epoch
 * cache: no error, epoch -1 and end offset -1 ("undefined"), which sends a
 * validating client to its offset-reset policy. Clients only ask after
 * Metadata gave them an epoch, which rill never does. */
static int handle_offset_for_leader_epoch(struct broker_req *req,
                                          struct buf *out)
{
    struct kafka_ofle_request rq;
    int rc = kafka_ofle_request_decode(&req->body, req->api_version, req->arena,
                                       &rq);
    if (rc < 0)
        return rc;
    /* A replica id >= 0 is a follower: CLUSTER_ACTION, as in Kafka. */
    bool cluster_denied =
        rq.replica_id >= 0 && !broker_acl_cluster(req, AUTH_OP_CLUSTER_ACTION);
    for (size_t i = 0; i < rq.ntopics; i++) {
        struct kafka_ofle_topic *t = &rq.topics[i];
        bool denied =
            cluster_denied || !broker_acl_topic(req, t->name, AUTH_OP_DESCRIBE);
        for (size_t j = 0; j < t->npartitions; j++) {
            struct kafka_ofle_partition *p = &t->partitions[j];
            int16_t err = 0;
            p->end_epoch = -1;
            p->end_offset = -1;
            if (denied)
                p->error_code = cluster_denied
                                    ? KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED
                                    : KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
            else if (!broker_part_find(req->b, t->name, p->partition, false,
                                       &err))
                p->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            else
                p->error_code = 0;
        }
    }
    kafka_ofle_response_encode(out, req->api_version, &rq);
    return 0;
}

/* --- AlterReplicaLogDirs -------------------------------------------------- */

/* One log directory (the data directory): moving a replica there is a
 * no-op, any other path is LOG_DIR_NOT_FOUND, as Kafka answers a path
 * that is not in its log.dirs. Paths compare by realpath. */
static bool same_dir(struct broker *b, struct slice path)
{
    if (path.len == 0 || path.len >= PATH_MAX)
        return false;
    char want[PATH_MAX], have[PATH_MAX], buf[PATH_MAX];
    memcpy(buf, path.ptr, path.len);
    buf[path.len] = 0;
    if (!realpath(buf, want) || !realpath(b->cfg.data_dir, have))
        return false;
    return strcmp(want, have) == 0;
}

static int handle_alter_replica_log_dirs(struct broker_req *req,
                                         struct buf *out)
{
    struct kafka_alter_log_dirs_request rq;
    int rc = kafka_alter_log_dirs_request_decode(&req->body, req->api_version,
                                                 req->arena, &rq);
    if (rc < 0)
        return rc;
    bool denied = !broker_acl_cluster(req, AUTH_OP_ALTER);
    size_t n = 0;
    for (size_t i = 0; i < rq.ndirs; i++)
        n += rq.dirs[i].ntopics;
    struct kafka_topic_errors *res =
        arena_calloc(req->arena, (n ? n : 1) * sizeof(*res));
    size_t k = 0;
    for (size_t i = 0; i < rq.ndirs; i++) {
        const struct kafka_alter_log_dir *dir = &rq.dirs[i];
        bool here = same_dir(req->b, dir->path);
        for (size_t j = 0; j < dir->ntopics; j++) {
            const struct kafka_topic_partitions *t = &dir->topics[j];
            struct kafka_topic_errors *r = &res[k++];
            r->name = t->name;
            r->npartitions = t->npartitions;
            r->partitions =
                arena_calloc(req->arena, (t->npartitions ? t->npartitions : 1) *
                                             sizeof(*r->partitions));
            for (size_t p = 0; p < t->npartitions; p++) {
                int16_t err = 0;
                r->partitions[p].partition_index = t->partitions[p];
                if (denied)
                    err = KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
                else if (!here)
                    err = KAFKA_ERR_LOG_DIR_NOT_FOUND;
                else if (!broker_part_find(req->b, t->name, t->partitions[p],
                                           false, &err))
                    err = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                else
                    err = 0; /* already there */
                r->partitions[p].error_code = err;
            }
        }
    }
    kafka_alter_log_dirs_response_encode(out, req->api_version, res, k);
    return 0;
}

/* --- AlterPartitionReassignments ------------------------------------------ */

/* Every partition's only replica is this node: a target of exactly [this
 * node] is already reached (NONE), other targets are refused with Kafka's
 * reasons, a cancel (null replicas) finds nothing in progress. */
static int handle_alter_reassignments(struct broker_req *req, struct buf *out)
{
    struct broker *b = req->b;
    struct kafka_alter_reassignments_request rq;
    int rc = kafka_alter_reassignments_request_decode(
        &req->body, req->api_version, req->arena, &rq);
    if (rc < 0)
        return rc;
    int16_t top = 0;
    if (!broker_acl_cluster(req, AUTH_OP_ALTER))
        top = KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
    for (size_t i = 0; i < rq.ntopics; i++) {
        struct kafka_reassign_topic *t = &rq.topics[i];
        for (size_t j = 0; j < t->npartitions; j++) {
            struct kafka_reassign_partition *p = &t->partitions[j];
            int16_t err = 0;
            p->error_message = slice_make(NULL, 0);
            p->error_code = top;
            if (top)
                continue;
            if (!broker_part_find(b, t->name, p->partition_index, false,
                                  &err)) {
                p->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            if (p->replicas_null) {
                p->error_code = KAFKA_ERR_NO_REASSIGNMENT_IN_PROGRESS;
                continue;
            }
            if (p->nreplicas == 0) {
                p->error_code = KAFKA_ERR_INVALID_REPLICA_ASSIGNMENT;
                p->error_message = KAFKA_STR("The manual partition assignment "
                                             "includes an empty replica list.");
                continue;
            }
            for (size_t r = 0; r < p->nreplicas && !p->error_code; r++) {
                for (size_t s = 0; s < r; s++)
                    if (p->replicas[s] == p->replicas[r]) {
                        p->error_code = KAFKA_ERR_INVALID_REPLICA_ASSIGNMENT;
                        p->error_message =
                            replica_msg(req->arena, p->replicas[r], true);
                        break;
                    }
                if (!p->error_code && p->replicas[r] != b->cfg.node_id) {
                    p->error_code = KAFKA_ERR_INVALID_REPLICA_ASSIGNMENT;
                    p->error_message =
                        replica_msg(req->arena, p->replicas[r], false);
                }
            }
        }
    }
    kafka_alter_reassignments_response_encode(out, req->api_version, top,
                                              slice_make(NULL, 0), &rq);
    return 0;
}

/* --- delegation tokens ---------------------------------------------------- */

/* rill has no delegation.token.secret.key: it answers as Kafka 3.9 does
 * without one. A connection that did not authenticate (PLAINTEXT, or TLS
 * without a client certificate) first gets
 * DELEGATION_TOKEN_REQUEST_NOT_ALLOWED, as in Kafka's allowTokenRequests;
 * any other gets DELEGATION_TOKEN_AUTH_DISABLED. */
static int handle_token(struct broker_req *req, struct buf *out)
{
    struct broker *b = req->b;
    struct kafka_token_request rq;
    int rc = kafka_token_request_decode(&req->body, req->api_key,
                                        req->api_version, req->arena, &rq);
    if (rc < 0)
        return rc;
    const char *principal = broker_conn_auth(req->bc)->principal;
    bool allowed =
        b->cfg.sasl || (b->tls && strcmp(principal, "User:ANONYMOUS") != 0);
    struct kafka_token_response resp = {0};
    resp.error_code = allowed ? KAFKA_ERR_DELEGATION_TOKEN_AUTH_DISABLED
                              : KAFKA_ERR_DELEGATION_TOKEN_REQUEST_NOT_ALLOWED;
    const char *colon = strchr(principal, ':');
    struct kafka_principal me = {KAFKA_STR("User"), KAFKA_STR("ANONYMOUS")};
    if (colon)
        me = (struct kafka_principal){
            slice_make(principal, (size_t)(colon - principal)),
            slice_make(colon + 1, strlen(colon + 1))};
    resp.requester = me;
    resp.owner = me;
    if (rq.owner_name.ptr && rq.owner_name.len)
        resp.owner = (struct kafka_principal){rq.owner_type, rq.owner_name};
    resp.issue_ms = resp.expiry_ms = resp.max_ms = -1;
    resp.token_id = KAFKA_STR("");
    resp.hmac = KAFKA_STR("");
    kafka_token_response_encode(out, req->api_key, req->api_version, &resp);
    return 0;
}

/* --- client telemetry (KIP-714) ------------------------------------------- */

/* rill has no telemetry receiver and no client-metrics subscriptions, so
 * every client gets the subscription Kafka hands out when none matches:
 * no requested metrics (the client then pushes nothing, only re-asks
 * after the push interval). A push is still checked as Kafka checks it
 * (subscription id, compression type, size) and then dropped. */
static const int8_t accepted_compression[] = {4, 3, 1, 2}; /* zstd lz4 gzip
                                                              snappy */

static int handle_telemetry(struct broker_req *req, struct buf *out)
{
    struct kafka_telemetry_request rq;
    int rc = kafka_telemetry_request_decode(&req->body, req->api_key,
                                            req->api_version, req->arena, &rq);
    if (rc < 0)
        return rc;
    static const struct kafka_uuid zero;
    if (req->api_key == KAFKA_API_LIST_CLIENT_METRICS_RESOURCES) {
        int16_t err = broker_acl_cluster(req, AUTH_OP_DESCRIBE_CONFIGS)
                          ? 0
                          : KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
        kafka_list_client_metrics_response_encode(out, req->api_version, err,
                                                  NULL, 0);
        return 0;
    }
    if (req->api_key == KAFKA_API_GET_TELEMETRY_SUBSCRIPTIONS) {
        struct kafka_telemetry_subscription s = {0};
        s.client_instance_id = rq.client_instance_id;
        if (!memcmp(&s.client_instance_id, &zero, sizeof zero)) {
            /* A new client: give it an id (a version-4 UUID). */
            if (getrandom(s.client_instance_id.b, 16, 0) != 16)
                for (int i = 0; i < 16; i++)
                    s.client_instance_id.b[i] = (uint8_t)rand();
            s.client_instance_id.b[6] =
                (s.client_instance_id.b[6] & 0x0f) | 0x40;
            s.client_instance_id.b[8] =
                (s.client_instance_id.b[8] & 0x3f) | 0x80;
        }
        s.subscription_id = TELEMETRY_SUBSCRIPTION_ID;
        s.compression = accepted_compression;
        s.ncompression = sizeof accepted_compression;
        s.push_interval_ms = TELEMETRY_PUSH_INTERVAL_MS;
        s.telemetry_max_bytes = TELEMETRY_MAX_BYTES;
        s.delta_temporality = true;
        kafka_telemetry_subscription_encode(out, req->api_version, &s);
        return 0;
    }
    int16_t err = 0;
    bool known_codec = rq.compression_type == 0;
    for (size_t i = 0; i < sizeof accepted_compression; i++)
        known_codec |= rq.compression_type == accepted_compression[i];
    if (!memcmp(&rq.client_instance_id, &zero, sizeof zero))
        err = KAFKA_ERR_INVALID_REQUEST;
    else if (rq.subscription_id != TELEMETRY_SUBSCRIPTION_ID)
        err = KAFKA_ERR_UNKNOWN_SUBSCRIPTION_ID;
    else if (!known_codec)
        err = KAFKA_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    else if (rq.metrics.len > TELEMETRY_MAX_BYTES)
        err = KAFKA_ERR_TELEMETRY_TOO_LARGE;
    kafka_push_telemetry_response_encode(out, req->api_version, err);
    return 0;
}

/* --- DescribeTopicPartitions ---------------------------------------------- */

#define DTP_PARTITION_LIMIT 2000 /* max.request.partition.size.limit */

static int cmp_slice(const void *a, const void *b)
{
    const struct slice *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->ptr, y->ptr, n) : 0;
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int handle_describe_topic_partitions(struct broker_req *req,
                                            struct buf *out)
{
    struct broker *b = req->b;
    struct kafka_dtp_request rq;
    int rc =
        kafka_dtp_request_decode(&req->body, req->api_version, req->arena, &rq);
    if (rc < 0)
        return rc;
    bool all = rq.ntopics == 0;
    struct slice cursor = rq.cursor_null ? KAFKA_STR("") : rq.cursor_topic;
    struct kafka_dtp_response resp = {0};
    resp.next_cursor_null = true;

    /* The candidate names, sorted, from the cursor's topic on. */
    char **names = NULL;
    size_t count = 0;
    struct slice *cand;
    size_t ncand = 0;
    if (all) {
        if (logdir_topic_list(b->logdir, &names, &count) < 0)
            count = 0;
        cand = arena_calloc(req->arena, (count ? count : 1) * sizeof(*cand));
        for (size_t i = 0; i < count; i++) {
            size_t len = strlen(names[i]);
            struct slice s =
                slice_make(arena_strndup(req->arena, names[i], len), len);
            if (cmp_slice(&s, &cursor) >= 0)
                cand[ncand++] = s;
        }
        logdir_names_free(names, count);
    } else {
        cand = arena_calloc(req->arena, rq.ntopics * sizeof(*cand));
        for (size_t i = 0; i < rq.ntopics; i++) {
            bool dup = false;
            for (size_t j = 0; j < ncand; j++)
                dup |= slice_eq(cand[j], rq.topics[i]);
            if (!dup && cmp_slice(&rq.topics[i], &cursor) >= 0)
                cand[ncand++] = rq.topics[i];
        }
    }
    qsort(cand, ncand, sizeof(*cand), cmp_slice);
    bool bad_cursor = !rq.cursor_null && rq.cursor_partition < 0;
    if (!rq.cursor_null && !all) {
        bool found = false;
        for (size_t i = 0; i < ncand; i++)
            found |= slice_eq(cand[i], rq.cursor_topic);
        bad_cursor |= !found;
    }
    resp.topics = arena_calloc(req->arena,
                               (ncand + rq.ntopics + 1) * sizeof(*resp.topics));
    if (bad_cursor) {
        /* Kafka's InvalidRequestException: every asked topic gets
         * INVALID_REQUEST. */
        for (size_t i = 0; i < rq.ntopics; i++) {
            struct kafka_dtp_topic *t = &resp.topics[resp.ntopics++];
            t->error_code = KAFKA_ERR_INVALID_REQUEST;
            t->name = rq.topics[i];
            t->topic_authorized_operations = INT32_MIN;
        }
        kafka_dtp_response_encode(out, req->api_version, &resp);
        return 0;
    }
    int32_t limit = rq.response_partition_limit;
    if (limit > DTP_PARTITION_LIMIT)
        limit = DTP_PARTITION_LIMIT;
    if (limit < 1)
        limit = 1;
    int32_t remaining = limit;
    int32_t *me = arena_alloc(req->arena, sizeof(int32_t));
    *me = b->cfg.node_id;
    struct kafka_dtp_topic *denied =
        arena_calloc(req->arena, (ncand ? ncand : 1) * sizeof(*denied));
    size_t ndenied = 0;
    for (size_t i = 0; i < ncand; i++) {
        struct slice name = cand[i];
        if (!broker_acl_topic(req, name, AUTH_OP_DESCRIBE)) {
            if (!all) { /* listed after the others, without an id */
                struct kafka_dtp_topic *t = &denied[ndenied++];
                t->error_code = KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
                t->name = name;
                t->topic_authorized_operations = INT32_MIN;
            }
            continue;
        }
        if (remaining == 0) {
            resp.next_cursor_null = false;
            resp.next_topic = name;
            resp.next_partition = 0;
            break;
        }
        int16_t err = 0;
        struct broker_topic *bt = broker_topic_find(b, name, false, &err);
        if (!bt) {
            if (!all) {
                struct kafka_dtp_topic *t = &resp.topics[resp.ntopics++];
                t->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                t->name = name;
                t->is_internal = broker_topic_is_internal(name);
                t->topic_authorized_operations = INT32_MIN;
            }
            continue;
        }
        struct kafka_dtp_topic *t = &resp.topics[resp.ntopics++];
        t->name = name;
        t->is_internal = broker_topic_is_internal(name);
        t->topic_authorized_operations = INT32_MIN;
        struct logdir_topic_config c;
        if (logdir_topic_config(b->logdir, bt->name, &c) == 0)
            memcpy(t->topic_id.b, c.id, sizeof c.id);
        int32_t start =
            slice_eq(name, cursor) && !rq.cursor_null ? rq.cursor_partition : 0;
        int32_t upper = bt->nparts;
        if ((int64_t)start + remaining < upper)
            upper = start + remaining;
        t->npartitions = upper > start ? (size_t)(upper - start) : 0;
        t->partitions =
            arena_calloc(req->arena, (t->npartitions ? t->npartitions : 1) *
                                         sizeof(*t->partitions));
        for (int32_t p = start; p < upper; p++) {
            struct kafka_dtp_partition *dp = &t->partitions[p - start];
            dp->partition_index = p;
            dp->leader_id = b->cfg.node_id;
            dp->leader_epoch = -1; /* as Metadata: no elections */
            dp->nreplicas = dp->nisr = 1;
            dp->replicas = dp->isr = me;
        }
        if (upper < bt->nparts) {
            resp.next_cursor_null = false;
            resp.next_topic = name;
            resp.next_partition = upper;
            break;
        }
        remaining -= (int32_t)t->npartitions;
    }
    for (size_t i = 0; i < ndenied; i++)
        resp.topics[resp.ntopics++] = denied[i];
    kafka_dtp_response_encode(out, req->api_version, &resp);
    return 0;
}

/* --- registration --------------------------------------------------------- */

void broker_extra_register(struct broker *b)
{
    broker_serve(b, KAFKA_API_OFFSET_FOR_LEADER_EPOCH,
                 handle_offset_for_leader_epoch);
    broker_serve(b, KAFKA_API_ALTER_REPLICA_LOG_DIRS,
                 handle_alter_replica_log_dirs);
    broker_serve(b, KAFKA_API_ALTER_PARTITION_REASSIGNMENTS,
                 handle_alter_reassignments);
    broker_serve(b, KAFKA_API_CREATE_DELEGATION_TOKEN, handle_token);
    broker_serve(b, KAFKA_API_RENEW_DELEGATION_TOKEN, handle_token);
    broker_serve(b, KAFKA_API_EXPIRE_DELEGATION_TOKEN, handle_token);
    broker_serve(b, KAFKA_API_DESCRIBE_DELEGATION_TOKEN, handle_token);
    broker_serve(b, KAFKA_API_UPDATE_FEATURES, handle_update_features);
    broker_serve(b, KAFKA_API_GET_TELEMETRY_SUBSCRIPTIONS, handle_telemetry);
    broker_serve(b, KAFKA_API_PUSH_TELEMETRY, handle_telemetry);
    broker_serve(b, KAFKA_API_LIST_CLIENT_METRICS_RESOURCES, handle_telemetry);
    broker_serve(b, KAFKA_API_DESCRIBE_TOPIC_PARTITIONS,
                 handle_describe_topic_partitions);
}
