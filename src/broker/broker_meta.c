/* broker_meta.c - handlers for ApiVersions, Metadata, ListOffsets,
 * CreateTopics, DeleteTopics and InitProducerId, and the registration of
 * every non-group handler (layer: broker).
 *
 * All of these answer at once. Decoding and encoding are kafka-codec's
 * (kafka/kafka_proto.h); this file only maps requests onto the log.
 */
#include <string.h>

#include "base/diag.h"
#include "base/err.h"
#include "broker/broker_acl.h"
#include "broker/broker_int.h"
#include "broker/broker_log.h"
#include "broker/txn_part.h"
#include "kafka/kafka_proto.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "log/record_batch.h"

/* --- ApiVersions ------------------------------------------------------------
 */

static int handle_api_versions(struct broker_req *req, struct buf *out)
{
    struct broker *b = req->b;
    size_t n = 0;
    const struct kafka_api_range *table = kafka_api_table(&n);
    if (!kafka_api_supported(req->api_key, req->api_version)) {
        kafka_api_versions_unsupported_encode(out);
        return 0;
    }
    struct kafka_api_versions_request rq;
    int rc = kafka_api_versions_request_decode(&req->body, req->api_version,
                                               req->arena, &rq);
    if (rc < 0)
        return rc;
    /* Advertise exactly what is registered, in the codec table's order. */
    struct kafka_api_range *apis = arena_alloc(req->arena, n * sizeof(*apis));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct broker_api *api = &b->apis[table[i].api_key];
        if (!api->fn)
            continue;
        apis[k].api_key = table[i].api_key;
        apis[k].min_version = api->min_version;
        apis[k].max_version = api->max_version;
        k++;
    }
    struct kafka_api_versions_response resp = {0};
    resp.error_code = 0;
    resp.napis = k;
    resp.apis = apis;
    /* Feature levels (broker_extra.c): group.version, 1 = KIP-848. */
    struct kafka_feature_level features[] = {{KAFKA_STR("group.version"), 0,
                                              BROKER_GROUP_VERSION_MAX,
                                              b->group_version}};
    resp.nfeatures = 1;
    resp.features = features;
    resp.finalized_features_epoch = b->features_epoch;
    kafka_api_versions_response_encode(out, req->api_version, &resp);
    return 0;
}

/* --- Metadata ------------------------------------------------------------- */

static void fill_topic(struct broker_req *req, struct kafka_metadata_topic *mt,
                       struct broker_topic *t)
{
    int32_t *me = arena_alloc(req->arena, sizeof(int32_t));
    *me = req->b->cfg.node_id;
    mt->error_code = 0;
    mt->name = slice_make(t->name, strlen(t->name));
    mt->is_internal = broker_topic_is_internal(mt->name);
    mt->npartitions = (size_t)t->nparts;
    mt->partitions =
        arena_calloc(req->arena, (size_t)t->nparts * sizeof(*mt->partitions));
    for (int32_t i = 0; i < t->nparts; i++) {
        struct kafka_metadata_partition *mp = &mt->partitions[i];
        mp->partition_index = i;
        mp->leader_id = req->b->cfg.node_id;
        mp->leader_epoch = -1; /* no leader elections: "unknown" */
        mp->nreplicas = mp->nisr = 1;
        mp->replicas = mp->isr = me;
    }
    mt->topic_authorized_operations = INT32_MIN; /* no ACLs */
    struct logdir_topic_config c;
    if (logdir_topic_config(req->b->logdir, t->name, &c) == 0)
        memcpy(mt->topic_id.b, c.id, sizeof c.id); /* KIP-516 */
}

static int handle_metadata(struct broker_req *req, struct buf *out)
{
    struct broker *b = req->b;
    struct kafka_metadata_request rq;
    int rc = kafka_metadata_request_decode(&req->body, req->api_version,
                                           req->arena, &rq);
    if (rc < 0)
        return rc;
    struct kafka_metadata_response resp = {0};
    struct kafka_metadata_broker me = {0};
    me.node_id = b->cfg.node_id;
    me.host =
        slice_make(b->cfg.advertised_host, strlen(b->cfg.advertised_host));
    me.port = b->cfg.advertised_port;
    me.rack = slice_make(NULL, 0);
    resp.nbrokers = 1;
    resp.brokers = &me;
    resp.cluster_id = KAFKA_STR("rill-cluster");
    resp.controller_id = b->cfg.node_id;
    resp.cluster_authorized_operations = INT32_MIN;

    bool all = rq.topics_null || (req->api_version == 0 && rq.ntopics == 0);
    if (all) {
        char **names = NULL;
        size_t count = 0;
        if (logdir_topic_list(b->logdir, &names, &count) < 0)
            count = 0;
        resp.topics = arena_calloc(req->arena,
                                   (count ? count : 1) * sizeof(*resp.topics));
        for (size_t i = 0; i < count; i++) {
            int16_t err = 0;
            struct slice name = slice_make(names[i], strlen(names[i]));
            if (!broker_acl_topic(req, name, AUTH_OP_DESCRIBE))
                continue; /* not shown to this principal (Kafka's rule) */
            struct broker_topic *t = broker_topic_find(b, name, false, &err);
            if (!t)
                continue;
            fill_topic(req, &resp.topics[resp.ntopics++], t);
        }
        logdir_names_free(names, count);
    } else {
        resp.topics = arena_calloc(req->arena, (rq.ntopics ? rq.ntopics : 1) *
                                                   sizeof(*resp.topics));
        for (size_t i = 0; i < rq.ntopics; i++) {
            int16_t err = 0;
            struct kafka_metadata_topic *mt = &resp.topics[resp.ntopics++];
            mt->topic_authorized_operations = INT32_MIN;
            struct slice name = rq.topics[i];
            bool create = rq.allow_auto_topic_creation;
            if (name.ptr == NULL) {
                /* Asked by topic id (v10+): never auto-created. */
                char *n = arena_alloc(req->arena, LOGDIR_TOPIC_NAME_MAX + 1);
                if (!rq.topic_ids ||
                    logdir_topic_by_id(b->logdir, rq.topic_ids[i].b, n) < 0) {
                    mt->error_code = KAFKA_ERR_UNKNOWN_TOPIC_ID;
                    mt->name = name;
                    if (rq.topic_ids)
                        mt->topic_id = rq.topic_ids[i];
                    continue;
                }
                name = slice_make(n, strlen(n));
                create = false;
            }
            if (!broker_acl_topic(req, name, AUTH_OP_DESCRIBE)) {
                mt->error_code = KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
                mt->name = name;
                continue;
            }
            struct broker_topic *t = broker_topic_find(
                b, name, create && broker_acl_create_topic(req, name), &err);
            if (!t) {
                mt->error_code = err;
                mt->name = name;
                continue;
            }
            fill_topic(req, mt, t);
        }
    }
    kafka_metadata_response_encode(out, req->api_version, &resp);
    return 0;
}

/* --- ListOffsets ------------------------------------------------------------
 */

/* The timestamp of the record at offset, as Kafka answers a lookup by time:
 * the batch's max timestamp under LogAppendTime, else the record's own.
 * -1 if it cannot be read. Reads one batch (ListOffsets by time is rare). */
static int64_t record_timestamp_at(struct partition *p, int64_t offset)
{
    int64_t ts = -1;
    struct buf bytes, scratch;
    buf_init(&bytes);
    buf_init(&scratch);
    if (partition_read_copy(p, offset, 1, &bytes, NULL) < 0)
        goto out;
    struct record_batch_walk w;
    struct record_batch_header h;
    const uint8_t *bp;
    size_t blen;
    record_batch_walk_init(&w, bytes.data, bytes.len);
    while (record_batch_walk_next(&w, &h, &bp, &blen) == 1) {
        if (record_batch_last_offset(&h) < offset)
            continue;
        if (record_batch_attr_log_append_time(h.attributes)) {
            ts = h.max_timestamp;
            goto out;
        }
        struct record_iter it;
        struct record rec;
        if (record_iter_init(&it, bp, blen, &scratch) < 0)
            goto out;
        while (record_iter_next(&it, &rec) == 1)
            if (rec.offset >= offset) {
                ts = rec.timestamp;
                goto out;
            }
        goto out;
    }
out:
    buf_fini(&scratch);
    buf_fini(&bytes);
    return ts;
}

static int handle_list_offsets(struct broker_req *req, struct buf *out)
{
    struct broker *b = req->b;
    struct kafka_list_offsets_request rq;
    int rc = kafka_list_offsets_request_decode(&req->body, req->api_version,
                                               req->arena, &rq);
    if (rc < 0)
        return rc;
    struct kafka_list_offsets_response resp = {0};
    resp.ntopics = rq.ntopics;
    resp.topics = arena_calloc(req->arena, (rq.ntopics ? rq.ntopics : 1) *
                                               sizeof(*resp.topics));
    for (size_t i = 0; i < rq.ntopics; i++) {
        const struct kafka_list_offsets_topic *t = &rq.topics[i];
        struct kafka_list_offsets_topic_response *tr = &resp.topics[i];
        tr->name = t->name;
        tr->npartitions = t->npartitions;
        tr->partitions =
            arena_calloc(req->arena, (t->npartitions ? t->npartitions : 1) *
                                         sizeof(*tr->partitions));
        for (size_t j = 0; j < t->npartitions; j++) {
            const struct kafka_list_offsets_partition *p = &t->partitions[j];
            struct kafka_list_offsets_partition_response *pr =
                &tr->partitions[j];
            pr->partition_index = p->partition_index;
            pr->timestamp = -1;
            pr->offset = -1;
            pr->leader_epoch = -1; /* as Metadata: no leader elections */
            if (!broker_acl_topic(req, t->name, AUTH_OP_DESCRIBE)) {
                pr->error_code = KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
                continue;
            }
            int16_t err = 0;
            struct broker_part *bp =
                broker_part_find(b, t->name, p->partition_index, false, &err);
            if (!bp) {
                pr->error_code = err;
                continue;
            }
            if (p->timestamp == KAFKA_OFFSET_LATEST) {
                pr->offset = broker_log_visible_end(b, bp);
                /* read_committed: the last stable offset (txn_part.h). */
                if (rq.isolation_level == 1)
                    pr->offset = txn_part_lso(b, bp, pr->offset);
            } else if (p->timestamp == KAFKA_OFFSET_EARLIEST ||
                       p->timestamp == KAFKA_OFFSET_EARLIEST_LOCAL) {
                /* No tiered storage: the local log start is the start. */
                pr->offset = partition_log_start_offset(bp->p);
            } else if (p->timestamp == KAFKA_OFFSET_LATEST_TIERED) {
                /* Nothing tiered: Kafka answers -1 (and epoch -1). */
                pr->offset = -1;
            } else if (p->timestamp == KAFKA_OFFSET_MAX_TIMESTAMP) {
                int64_t ts = -1, off = -1;
                if (partition_max_timestamp(bp->p, &ts, &off) < 0) {
                    pr->error_code = KAFKA_ERR_KAFKA_STORAGE_ERROR;
                    continue;
                }
                /* Not past what readers may see (read_committed: the last
                 * stable offset), nor below the log start (DeleteRecords):
                 * then the answer is "none" (-1). */
                int64_t lim = broker_log_visible_end(b, bp);
                if (rq.isolation_level == 1)
                    lim = txn_part_lso(b, bp, lim);
                if (off >= lim || off < partition_log_start_offset(bp->p))
                    off = ts = -1;
                pr->offset = off;
                pr->timestamp = ts;
            } else {
                int64_t off = -1;
                rc = partition_offset_for_timestamp(bp->p, p->timestamp, &off);
                if (rc < 0) {
                    pr->error_code = KAFKA_ERR_KAFKA_STORAGE_ERROR;
                    continue;
                }
                /* Nothing past what readers may see (rill.read.durable). */
                if (off >= broker_log_visible_end(b, bp))
                    off = -1;
                pr->offset = off;
                if (off >= 0)
                    pr->timestamp = record_timestamp_at(bp->p, off);
            }
        }
    }
    kafka_list_offsets_response_encode(out, req->api_version, &resp);
    return 0;
}

/* --- CreateTopics / DeleteTopics -------------------------------------------
 */

/* The topic's id (KIP-516), zero if there is no such topic. */
static void topic_id_of(struct broker_req *req, struct slice name,
                        struct kafka_uuid *out)
{
    struct logdir_topic_config c;
    memset(out, 0, sizeof(*out));
    if (!name.ptr || name.len == 0 || name.len > LOGDIR_TOPIC_NAME_MAX)
        return;
    char *n = arena_strndup(req->arena, (const char *)name.ptr, name.len);
    if (logdir_topic_config(req->b->logdir, n, &c) == 0)
        memcpy(out->b, c.id, sizeof c.id);
}

static int handle_create_topics(struct broker_req *req, struct buf *out)
{
    struct kafka_create_topics_request rq;
    int rc = kafka_create_topics_request_decode(&req->body, req->api_version,
                                                req->arena, &rq);
    if (rc < 0)
        return rc;
    struct kafka_create_topics_response resp = {0};
    resp.ntopics = rq.ntopics;
    resp.topics = arena_calloc(req->arena, (rq.ntopics ? rq.ntopics : 1) *
                                               sizeof(*resp.topics));
    for (size_t i = 0; i < rq.ntopics; i++) {
        const struct kafka_create_topics_topic *t = &rq.topics[i];
        struct kafka_create_topics_topic_response *tr = &resp.topics[i];
        tr->name = t->name;
        tr->error_message = slice_make(NULL, 0);
        tr->num_partitions = -1;
        tr->replication_factor = -1;
        if (!broker_acl_create_topic(req, t->name)) {
            tr->error_code = KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
            continue;
        }
        if (t->replication_factor != -1 && t->replication_factor != 1 &&
            t->nassignments == 0) {
            tr->error_code = KAFKA_ERR_INVALID_REPLICATION_FACTOR;
            tr->error_message = KAFKA_STR("a single node: replication "
                                          "factor must be 1");
            continue;
        }
        int32_t parts = t->num_partitions;
        if (t->nassignments > 0)
            parts = (int32_t)t->nassignments;
        if (parts == 0 || parts < -1) {
            tr->error_code = KAFKA_ERR_INVALID_PARTITIONS;
            continue;
        }
        struct broker_topic_kv *kv = arena_alloc(
            req->arena, (t->nconfigs ? t->nconfigs : 1) * sizeof(*kv));
        for (size_t c = 0; c < t->nconfigs; c++) {
            kv[c].key = t->configs[c].name;
            kv[c].value = t->configs[c].value;
        }
        tr->error_code =
            broker_topic_config_check(kv, t->nconfigs, &tr->error_message);
        if (tr->error_code)
            continue;
        tr->error_code = broker_topic_create(req->b, t->name, parts,
                                             rq.validate_only, kv, t->nconfigs);
        if (tr->error_code == 0) {
            tr->num_partitions = parts > 0 ? parts : req->b->cfg.num_partitions;
            tr->replication_factor = 1;
            topic_id_of(req, t->name, &tr->topic_id); /* v7+ */
        }
    }
    kafka_create_topics_response_encode(out, req->api_version, &resp);
    return 0;
}

static int handle_delete_topics(struct broker_req *req, struct buf *out)
{
    struct kafka_delete_topics_request rq;
    int rc = kafka_delete_topics_request_decode(&req->body, req->api_version,
                                                req->arena, &rq);
    if (rc < 0)
        return rc;
    struct kafka_delete_topics_response resp = {0};
    resp.ntopics = rq.ntopics;
    resp.topics = arena_calloc(req->arena, (rq.ntopics ? rq.ntopics : 1) *
                                               sizeof(*resp.topics));
    for (size_t i = 0; i < rq.ntopics; i++) {
        struct kafka_delete_topics_topic_response *tr = &resp.topics[i];
        struct slice name = rq.topic_names[i];
        tr->error_message = slice_make(NULL, 0);
        if (!name.ptr && rq.topic_ids) {
            /* v6+: by topic id (KIP-516); the answer names both. */
            char *n = arena_alloc(req->arena, LOGDIR_TOPIC_NAME_MAX + 1);
            tr->topic_id = rq.topic_ids[i];
            if (logdir_topic_by_id(req->b->logdir, rq.topic_ids[i].b, n) < 0) {
                tr->name = name;
                tr->error_code = KAFKA_ERR_UNKNOWN_TOPIC_ID;
                continue;
            }
            name = slice_make(n, strlen(n));
        } else {
            topic_id_of(req, name, &tr->topic_id);
        }
        tr->name = name;
        tr->error_code = !broker_acl_topic(req, name, AUTH_OP_DELETE)
                             ? KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED
                             : broker_topic_delete(req->b, name);
    }
    kafka_delete_topics_response_encode(out, req->api_version, &resp);
    return 0;
}

/* --- registration ----------------------------------------------------------
 */

void broker_handlers_register(struct broker *b)
{
    broker_serve(b, KAFKA_API_API_VERSIONS, handle_api_versions);
    broker_serve(b, KAFKA_API_METADATA, handle_metadata);
    broker_serve(b, KAFKA_API_LIST_OFFSETS, handle_list_offsets);
    broker_serve(b, KAFKA_API_CREATE_TOPICS, handle_create_topics);
    broker_serve(b, KAFKA_API_DELETE_TOPICS, handle_delete_topics);
    broker_serve(b, KAFKA_API_PRODUCE, broker_handle_produce);
    broker_serve(b, KAFKA_API_FETCH, broker_handle_fetch);
    broker_admin_register(b);
    broker_extra_register(b);
}
