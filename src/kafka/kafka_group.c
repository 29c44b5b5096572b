/* kafka_group.c - consumer-group API codecs: FindCoordinator (10) v0-6,
 * JoinGroup (11) v0-9, Heartbeat (12) v0-4, LeaveGroup (13) v0-5,
 * SyncGroup (14) v0-5, OffsetCommit (8) v0-9, OffsetFetch (9) v0-9
 * (layer: kafka; no I/O). Protocol metadata and assignments are opaque bytes
 * here; the coordinator in src/broker/ gives them meaning.
 *
 * FindCoordinator req: key STRING (v0-3), key_type int8 (v1+),
 *   coordinator_keys ARRAY[STRING] (v4+)
 *   resp: throttle int32 (v1+); v0-3: error_code int16, error_message
 *   nullable STRING (v1+), node_id int32, host STRING, port int32; v4+:
 *   coordinators ARRAY[key, node_id, host, port, error_code, error_message]
 * JoinGroup req: group_id STRING, session_timeout_ms int32,
 *   rebalance_timeout_ms int32 (v1+), member_id STRING, group_instance_id
 *   nullable STRING (v5+), protocol_type STRING, protocols ARRAY[name
 *   STRING, metadata BYTES]
 *   resp: throttle int32 (v2+), error_code int16, generation_id int32,
 *   protocol_name STRING, leader STRING, member_id STRING, members ARRAY[
 *   member_id STRING, group_instance_id nullable STRING (v5+), metadata BYTES]
 * Heartbeat req: group_id, generation_id int32, member_id,
 *   group_instance_id nullable (v3+); resp: throttle (v1+), error_code
 * LeaveGroup req: group_id, member_id (v0-2) | members ARRAY[member_id,
 *   group_instance_id nullable, reason nullable (v5+)] (v3+)
 *   resp: throttle (v1+), error_code, members ARRAY[member_id,
 *   group_instance_id nullable, error_code] (v3+)
 * SyncGroup req: group_id, generation_id, member_id, group_instance_id
 *   nullable (v3+), assignments ARRAY[member_id STRING, assignment BYTES]
 *   resp: throttle (v1+), error_code, assignment BYTES
 * OffsetCommit req: group_id, generation_id int32, member_id,
 *   retention_time_ms int64 (v2-4), group_instance_id nullable (v7+),
 *   topics ARRAY[name, partitions ARRAY[partition_index int32,
 *   committed_offset int64, committed_leader_epoch int32 (v6+),
 *   committed_metadata nullable STRING]]
 *   resp: throttle (v3+), topics ARRAY[name, partitions ARRAY[index, error]]
 * OffsetFetch req: group_id, topics ARRAY[name, partition_indexes
 *   ARRAY[int32]] (nullable v2+ = all); v8+ instead groups ARRAY[group_id,
 *   member_id nullable (v9+), member_epoch int32 (v9+), topics (nullable)];
 *   require_stable bool (v7+)
 *   resp: throttle (v3+), topics ARRAY[name, partitions ARRAY[
 *   partition_index int32, committed_offset int64, committed_leader_epoch
 *   int32 (v5+), metadata nullable STRING, error_code int16]],
 *   error_code int16 (v2-7); v8+ groups ARRAY[group_id, topics (as v5+),
 *   error_code]
 */
#include "kafka/kafka_proto.h"
#include "kafka/kafka_wire.h"

/* --- FindCoordinator ----------------------------------------------------- */

int kafka_find_coordinator_request_decode(
    struct buf_reader *r, int16_t version, struct arena *a,
    struct kafka_find_coordinator_request *out)
{
    struct kafka_dec d;
    int rc =
        kafka_wire_dec_begin(&d, r, a, KAFKA_API_FIND_COORDINATOR, version);
    if (rc)
        return rc;
    if (version <= 3)
        out->key = kafka_wire_read_string(&d, false);
    out->key_type = version >= 1 ? (int8_t)buf_read_u8(r) : 0;
    if (version >= 4)
        out->keys = kafka_wire_read_string_array(&d, &out->nkeys);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_find_coordinator_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_find_coordinator_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_FIND_COORDINATOR, version);
    if (version <= 3)
        kafka_wire_put_string(&e, req->key, false);
    if (version >= 1)
        buf_put_u8(out, (uint8_t)req->key_type);
    if (version >= 4)
        kafka_wire_put_string_array(&e, req->keys, req->nkeys);
    kafka_wire_put_tags(&e);
}

void kafka_find_coordinator_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_find_coordinator_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_FIND_COORDINATOR, version);
    if (version >= 1)
        buf_put_i32(out, resp->throttle_time_ms);
    if (version >= 4) {
        kafka_wire_put_array(&e, resp->ncoordinators, false);
        for (size_t i = 0; i < resp->ncoordinators; i++) {
            const struct kafka_find_coordinator_coord *c =
                &resp->coordinators[i];
            kafka_wire_put_string(&e, c->key, false);
            buf_put_i32(out, c->node_id);
            kafka_wire_put_string(&e, c->host, false);
            buf_put_i32(out, c->port);
            buf_put_i16(out, c->error_code);
            kafka_wire_put_string(&e, c->error_message, true);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
        return;
    }
    buf_put_i16(out, resp->error_code);
    if (version >= 1)
        kafka_wire_put_string(&e, resp->error_message, true);
    buf_put_i32(out, resp->node_id);
    kafka_wire_put_string(&e, resp->host, false);
    buf_put_i32(out, resp->port);
    kafka_wire_put_tags(&e);
}

/* --- JoinGroup ----------------------------------------------------------- */

int kafka_join_group_request_decode(struct buf_reader *r, int16_t version,
                                    struct arena *a,
                                    struct kafka_join_group_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_JOIN_GROUP, version);
    if (rc)
        return rc;
    out->group_id = kafka_wire_read_string(&d, false);
    out->session_timeout_ms = buf_read_i32(r);
    out->rebalance_timeout_ms =
        version >= 1 ? buf_read_i32(r) : out->session_timeout_ms;
    out->member_id = kafka_wire_read_string(&d, false);
    out->group_instance_id = slice_make(NULL, 0);
    if (version >= 5)
        out->group_instance_id = kafka_wire_read_string(&d, true);
    out->protocol_type = kafka_wire_read_string(&d, false);
    out->nprotocols = kafka_wire_read_array(&d, d.flex ? 3 : 6, false, NULL);
    out->protocols =
        kafka_wire_alloc(&d, out->nprotocols, sizeof(*out->protocols));
    for (size_t i = 0; i < out->nprotocols; i++) {
        out->protocols[i].name = kafka_wire_read_string(&d, false);
        out->protocols[i].metadata = kafka_wire_read_bytes(&d, false);
        kafka_wire_read_tags(&d);
    }
    out->reason = slice_make(NULL, 0);
    if (version >= 8)
        out->reason = kafka_wire_read_string(&d, true);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_join_group_request_encode(struct buf *out, int16_t version,
                                     const struct kafka_join_group_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_JOIN_GROUP, version);
    kafka_wire_put_string(&e, req->group_id, false);
    buf_put_i32(out, req->session_timeout_ms);
    if (version >= 1)
        buf_put_i32(out, req->rebalance_timeout_ms);
    kafka_wire_put_string(&e, req->member_id, false);
    if (version >= 5)
        kafka_wire_put_string(&e, req->group_instance_id, true);
    kafka_wire_put_string(&e, req->protocol_type, false);
    kafka_wire_put_array(&e, req->nprotocols, false);
    for (size_t i = 0; i < req->nprotocols; i++) {
        kafka_wire_put_string(&e, req->protocols[i].name, false);
        kafka_wire_put_bytes(&e, req->protocols[i].metadata, false);
        kafka_wire_put_tags(&e);
    }
    if (version >= 8)
        kafka_wire_put_string(&e, req->reason, true);
    kafka_wire_put_tags(&e);
}

void kafka_join_group_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_join_group_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_JOIN_GROUP, version);
    if (version >= 2)
        buf_put_i32(out, resp->throttle_time_ms);
    buf_put_i16(out, resp->error_code);
    buf_put_i32(out, resp->generation_id);
    if (version >= 7)
        kafka_wire_put_string(&e, resp->protocol_type, true);
    kafka_wire_put_string(&e, resp->protocol_name, version >= 7);
    kafka_wire_put_string(&e, resp->leader, false);
    if (version >= 9)
        kafka_wire_put_bool(&e, resp->skip_assignment);
    kafka_wire_put_string(&e, resp->member_id, false);
    kafka_wire_put_array(&e, resp->nmembers, false);
    for (size_t i = 0; i < resp->nmembers; i++) {
        const struct kafka_join_group_member *m = &resp->members[i];
        kafka_wire_put_string(&e, m->member_id, false);
        if (version >= 5)
            kafka_wire_put_string(&e, m->group_instance_id, true);
        kafka_wire_put_bytes(&e, m->metadata, false);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

/* --- Heartbeat, LeaveGroup ----------------------------------------------- */

int kafka_heartbeat_request_decode(struct buf_reader *r, int16_t version,
                                   struct arena *a,
                                   struct kafka_heartbeat_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_HEARTBEAT, version);
    if (rc)
        return rc;
    out->group_id = kafka_wire_read_string(&d, false);
    out->generation_id = buf_read_i32(r);
    out->member_id = kafka_wire_read_string(&d, false);
    out->group_instance_id = slice_make(NULL, 0);
    if (version >= 3)
        out->group_instance_id = kafka_wire_read_string(&d, true);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_heartbeat_request_encode(struct buf *out, int16_t version,
                                    const struct kafka_heartbeat_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_HEARTBEAT, version);
    kafka_wire_put_string(&e, req->group_id, false);
    buf_put_i32(out, req->generation_id);
    kafka_wire_put_string(&e, req->member_id, false);
    if (version >= 3)
        kafka_wire_put_string(&e, req->group_instance_id, true);
    kafka_wire_put_tags(&e);
}

/* throttle (from throttle_from), error_code, tags. */
static void put_error_response(struct buf *out, int16_t api_key,
                               int16_t version, int16_t throttle_from,
                               const struct kafka_error_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, api_key, version);
    if (version >= throttle_from)
        buf_put_i32(out, resp->throttle_time_ms);
    buf_put_i16(out, resp->error_code);
    kafka_wire_put_tags(&e);
}

void kafka_heartbeat_response_encode(struct buf *out, int16_t version,
                                     const struct kafka_error_response *resp)
{
    put_error_response(out, KAFKA_API_HEARTBEAT, version, 1, resp);
}

int kafka_leave_group_request_decode(struct buf_reader *r, int16_t version,
                                     struct arena *a,
                                     struct kafka_leave_group_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_LEAVE_GROUP, version);
    if (rc)
        return rc;
    out->group_id = kafka_wire_read_string(&d, false);
    if (version <= 2) {
        out->member_id = kafka_wire_read_string(&d, false);
    } else {
        out->nmembers = kafka_wire_read_array(&d, d.flex ? 2 : 4, false, NULL);
        out->members =
            kafka_wire_alloc(&d, out->nmembers, sizeof(*out->members));
        for (size_t i = 0; i < out->nmembers; i++) {
            struct kafka_leave_group_member *m = &out->members[i];
            m->member_id = kafka_wire_read_string(&d, false);
            m->group_instance_id = kafka_wire_read_string(&d, true);
            m->reason = version >= 5 ? kafka_wire_read_string(&d, true)
                                     : slice_make(NULL, 0);
            kafka_wire_read_tags(&d);
        }
    }
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_leave_group_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_leave_group_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_LEAVE_GROUP, version);
    kafka_wire_put_string(&e, req->group_id, false);
    if (version <= 2) {
        kafka_wire_put_string(&e, req->member_id, false);
    } else {
        kafka_wire_put_array(&e, req->nmembers, false);
        for (size_t i = 0; i < req->nmembers; i++) {
            const struct kafka_leave_group_member *m = &req->members[i];
            kafka_wire_put_string(&e, m->member_id, false);
            kafka_wire_put_string(&e, m->group_instance_id, true);
            if (version >= 5)
                kafka_wire_put_string(&e, m->reason, true);
            kafka_wire_put_tags(&e);
        }
    }
    kafka_wire_put_tags(&e);
}

void kafka_leave_group_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_leave_group_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_LEAVE_GROUP, version);
    if (version >= 1)
        buf_put_i32(out, resp->throttle_time_ms);
    buf_put_i16(out, resp->error_code);
    if (version >= 3) {
        kafka_wire_put_array(&e, resp->nmembers, false);
        for (size_t i = 0; i < resp->nmembers; i++) {
            const struct kafka_leave_group_member_response *m =
                &resp->members[i];
            kafka_wire_put_string(&e, m->member_id, false);
            kafka_wire_put_string(&e, m->group_instance_id, true);
            buf_put_i16(out, m->error_code);
            kafka_wire_put_tags(&e);
        }
    }
    kafka_wire_put_tags(&e);
}

/* --- SyncGroup ----------------------------------------------------------- */

int kafka_sync_group_request_decode(struct buf_reader *r, int16_t version,
                                    struct arena *a,
                                    struct kafka_sync_group_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_SYNC_GROUP, version);
    if (rc)
        return rc;
    out->group_id = kafka_wire_read_string(&d, false);
    out->generation_id = buf_read_i32(r);
    out->member_id = kafka_wire_read_string(&d, false);
    out->group_instance_id = slice_make(NULL, 0);
    if (version >= 3)
        out->group_instance_id = kafka_wire_read_string(&d, true);
    out->protocol_type = slice_make(NULL, 0);
    out->protocol_name = slice_make(NULL, 0);
    if (version >= 5) {
        out->protocol_type = kafka_wire_read_string(&d, true);
        out->protocol_name = kafka_wire_read_string(&d, true);
    }
    out->nassignments = kafka_wire_read_array(&d, d.flex ? 3 : 6, false, NULL);
    out->assignments =
        kafka_wire_alloc(&d, out->nassignments, sizeof(*out->assignments));
    for (size_t i = 0; i < out->nassignments; i++) {
        out->assignments[i].member_id = kafka_wire_read_string(&d, false);
        out->assignments[i].assignment = kafka_wire_read_bytes(&d, false);
        kafka_wire_read_tags(&d);
    }
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_sync_group_request_encode(struct buf *out, int16_t version,
                                     const struct kafka_sync_group_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_SYNC_GROUP, version);
    kafka_wire_put_string(&e, req->group_id, false);
    buf_put_i32(out, req->generation_id);
    kafka_wire_put_string(&e, req->member_id, false);
    if (version >= 3)
        kafka_wire_put_string(&e, req->group_instance_id, true);
    if (version >= 5) {
        kafka_wire_put_string(&e, req->protocol_type, true);
        kafka_wire_put_string(&e, req->protocol_name, true);
    }
    kafka_wire_put_array(&e, req->nassignments, false);
    for (size_t i = 0; i < req->nassignments; i++) {
        kafka_wire_put_string(&e, req->assignments[i].member_id, false);
        kafka_wire_put_bytes(&e, req->assignments[i].assignment, false);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

void kafka_sync_group_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_sync_group_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_SYNC_GROUP, version);
    if (version >= 1)
        buf_put_i32(out, resp->throttle_time_ms);
    buf_put_i16(out, resp->error_code);
    if (version >= 5) {
        kafka_wire_put_string(&e, resp->protocol_type, true);
        kafka_wire_put_string(&e, resp->protocol_name, true);
    }
    kafka_wire_put_bytes(&e, resp->assignment, false);
    kafka_wire_put_tags(&e);
}

/* --- OffsetCommit -------------------------------------------------------- */

int kafka_offset_commit_request_decode(struct buf_reader *r, int16_t version,
                                       struct arena *a,
                                       struct kafka_offset_commit_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_OFFSET_COMMIT, version);
    if (rc)
        return rc;
    out->group_id = kafka_wire_read_string(&d, false);
    /* v0 commits outside any generation (a "simple" consumer). */
    out->generation_id = -1;
    out->member_id = KAFKA_STR("");
    if (version >= 1) {
        out->generation_id = buf_read_i32(r);
        out->member_id = kafka_wire_read_string(&d, false);
    }
    out->retention_time_ms = -1;
    if (version >= 2 && version <= 4)
        out->retention_time_ms = buf_read_i64(r);
    out->group_instance_id = slice_make(NULL, 0);
    if (version >= 7)
        out->group_instance_id = kafka_wire_read_string(&d, true);
    out->topics = kafka_wire_read_commit_topics(&d, version >= 6, version == 1,
                                                &out->ntopics);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_offset_commit_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_offset_commit_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_OFFSET_COMMIT, version);
    kafka_wire_put_string(&e, req->group_id, false);
    if (version >= 1) {
        buf_put_i32(out, req->generation_id);
        kafka_wire_put_string(&e, req->member_id, false);
    }
    if (version >= 2 && version <= 4)
        buf_put_i64(out, req->retention_time_ms);
    if (version >= 7)
        kafka_wire_put_string(&e, req->group_instance_id, true);
    kafka_wire_put_commit_topics(&e, version >= 6, version == 1, req->topics,
                                 req->ntopics);
    kafka_wire_put_tags(&e);
}

void kafka_offset_commit_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_offset_commit_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_OFFSET_COMMIT, version);
    if (version >= 3)
        buf_put_i32(out, resp->throttle_time_ms);
    kafka_wire_put_topic_errors(&e, resp->topics, resp->ntopics);
    kafka_wire_put_tags(&e);
}

/* --- OffsetFetch --------------------------------------------------------- */

/* topics ARRAY[name, partition_indexes ARRAY[int32]] of OffsetFetch. */
static struct kafka_topic_partitions *
read_fetch_topics(struct kafka_dec *d, bool nullable, size_t *n, bool *null)
{
    *n = kafka_wire_read_array(d, d->flex ? 3 : 6, nullable, null);
    struct kafka_topic_partitions *ts = kafka_wire_alloc(d, *n, sizeof(*ts));
    for (size_t i = 0; i < *n; i++) {
        ts[i].name = kafka_wire_read_string(d, false);
        ts[i].partitions = kafka_wire_read_i32_array(d, &ts[i].npartitions);
        kafka_wire_read_tags(d);
    }
    return ts;
}

static void put_fetch_topics(struct kafka_enc *e, bool null,
                             const struct kafka_topic_partitions *ts, size_t n)
{
    if (null)
        kafka_wire_put_array(e, 0, true);
    else
        kafka_wire_put_topic_partitions(e, ts, n);
}

int kafka_offset_fetch_request_decode(struct buf_reader *r, int16_t version,
                                      struct arena *a,
                                      struct kafka_offset_fetch_request *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_OFFSET_FETCH, version);
    if (rc)
        return rc;
    if (version >= 8) {
        out->ngroups = kafka_wire_read_array(&d, 3, false, NULL);
        out->groups = kafka_wire_alloc(&d, out->ngroups, sizeof(*out->groups));
        for (size_t g = 0; g < out->ngroups; g++) {
            struct kafka_offset_fetch_group *gr = &out->groups[g];
            gr->group_id = kafka_wire_read_string(&d, false);
            gr->member_id = version >= 9 ? kafka_wire_read_string(&d, true)
                                         : slice_make(NULL, 0);
            gr->member_epoch = version >= 9 ? buf_read_i32(r) : -1;
            gr->topics =
                read_fetch_topics(&d, true, &gr->ntopics, &gr->topics_null);
            kafka_wire_read_tags(&d);
        }
    } else {
        out->group_id = kafka_wire_read_string(&d, false);
        out->topics = read_fetch_topics(&d, version >= 2, &out->ntopics,
                                        &out->topics_null);
    }
    out->require_stable = version >= 7 ? kafka_wire_read_bool(&d) : false;
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_offset_fetch_request_encode(
    struct buf *out, int16_t version,
    const struct kafka_offset_fetch_request *req)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_OFFSET_FETCH, version);
    if (version >= 8) {
        kafka_wire_put_array(&e, req->ngroups, false);
        for (size_t g = 0; g < req->ngroups; g++) {
            const struct kafka_offset_fetch_group *gr = &req->groups[g];
            kafka_wire_put_string(&e, gr->group_id, false);
            if (version >= 9) {
                kafka_wire_put_string(&e, gr->member_id, true);
                buf_put_i32(out, gr->member_epoch);
            }
            put_fetch_topics(&e, gr->topics_null, gr->topics, gr->ntopics);
            kafka_wire_put_tags(&e);
        }
    } else {
        kafka_wire_put_string(&e, req->group_id, false);
        put_fetch_topics(&e, version >= 2 && req->topics_null, req->topics,
                         req->ntopics);
    }
    if (version >= 7)
        kafka_wire_put_bool(&e, req->require_stable);
    kafka_wire_put_tags(&e);
}

static void put_fetch_answer(struct kafka_enc *e, bool with_epoch,
                             const struct kafka_offset_fetch_topic_response *ts,
                             size_t n)
{
    kafka_wire_put_array(e, n, false);
    for (size_t i = 0; i < n; i++) {
        const struct kafka_offset_fetch_topic_response *t = &ts[i];
        kafka_wire_put_string(e, t->name, false);
        kafka_wire_put_array(e, t->npartitions, false);
        for (size_t j = 0; j < t->npartitions; j++) {
            const struct kafka_offset_fetch_partition_response *p =
                &t->partitions[j];
            buf_put_i32(e->out, p->partition_index);
            buf_put_i64(e->out, p->committed_offset);
            if (with_epoch)
                buf_put_i32(e->out, p->committed_leader_epoch);
            kafka_wire_put_string(e, p->metadata, true);
            buf_put_i16(e->out, p->error_code);
            kafka_wire_put_tags(e);
        }
        kafka_wire_put_tags(e);
    }
}

void kafka_offset_fetch_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_offset_fetch_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_OFFSET_FETCH, version);
    if (version >= 3)
        buf_put_i32(out, resp->throttle_time_ms);
    if (version >= 8) {
        kafka_wire_put_array(&e, resp->ngroups, false);
        for (size_t g = 0; g < resp->ngroups; g++) {
            const struct kafka_offset_fetch_group_response *gr =
                &resp->groups[g];
            kafka_wire_put_string(&e, gr->group_id, false);
            put_fetch_answer(&e, true, gr->topics, gr->ntopics);
            buf_put_i16(out, gr->error_code);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
        return;
    }
    put_fetch_answer(&e, version >= 5, resp->topics, resp->ntopics);
    if (version >= 2)
        buf_put_i16(out, resp->error_code);
    kafka_wire_put_tags(&e);
}

static struct kafka_offset_fetch_topic_response *
read_fetch_answer(struct kafka_dec *d, bool with_epoch, size_t *n)
{
    *n = kafka_wire_read_array(d, d->flex ? 3 : 6, false, NULL);
    struct kafka_offset_fetch_topic_response *ts =
        kafka_wire_alloc(d, *n, sizeof(*ts));
    for (size_t i = 0; i < *n; i++) {
        struct kafka_offset_fetch_topic_response *t = &ts[i];
        t->name = kafka_wire_read_string(d, false);
        t->npartitions = kafka_wire_read_array(d, 16, false, NULL);
        t->partitions =
            kafka_wire_alloc(d, t->npartitions, sizeof(*t->partitions));
        for (size_t j = 0; j < t->npartitions; j++) {
            struct kafka_offset_fetch_partition_response *p = &t->partitions[j];
            p->partition_index = buf_read_i32(d->r);
            p->committed_offset = buf_read_i64(d->r);
            p->committed_leader_epoch = with_epoch ? buf_read_i32(d->r) : -1;
            p->metadata = kafka_wire_read_string(d, true);
            p->error_code = buf_read_i16(d->r);
            kafka_wire_read_tags(d);
        }
        kafka_wire_read_tags(d);
    }
    return ts;
}

int kafka_offset_fetch_response_decode(struct buf_reader *r, int16_t version,
                                       struct arena *a,
                                       struct kafka_offset_fetch_response *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_OFFSET_FETCH, version);
    if (rc)
        return rc;
    out->throttle_time_ms = version >= 3 ? buf_read_i32(r) : 0;
    if (version >= 8) {
        out->ngroups = kafka_wire_read_array(&d, 5, false, NULL);
        out->groups = kafka_wire_alloc(&d, out->ngroups, sizeof(*out->groups));
        for (size_t g = 0; g < out->ngroups; g++) {
            struct kafka_offset_fetch_group_response *gr = &out->groups[g];
            gr->group_id = kafka_wire_read_string(&d, false);
            gr->topics = read_fetch_answer(&d, true, &gr->ntopics);
            gr->error_code = buf_read_i16(r);
            kafka_wire_read_tags(&d);
        }
    } else {
        out->topics = read_fetch_answer(&d, version >= 5, &out->ntopics);
        out->error_code = version >= 2 ? buf_read_i16(r) : 0;
    }
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}
