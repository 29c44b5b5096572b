/* group_handlers.c - the group APIs on the wire: decode each request, ask
 * group_coord / group_offsets, encode the answer; park JoinGroup and
 * SyncGroup as deferred responses (layer: broker).
 *
 * Bodies are decoded and encoded by the kafka layer (kafka/kafka_proto.h);
 * this file only maps them onto the coordinator and the offset store.
 * Waiters: a JoinGroup/SyncGroup gets a struct gwait. If the coordinator
 * answers during the call the body goes straight into `out`; otherwise the
 * request is deferred and the answer completes the broker_pending later.
 * A closed connection cancels its waiter (group_coord_cancel).
 */
#include "broker/group.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "broker/broker_acl.h"
#include "broker/broker_int.h"
#include "broker/group_consumer.h"
#include "broker/group_coord.h"
#include "broker/group_offsets.h"
#include "broker/txn_coord.h"
#include "kafka/kafka_proto.h"
#include "log/logdir.h"

#define TICK_MS 100

struct groups {
    struct broker *b;
    struct group_coord *coord;
    struct group_offsets *offsets;
    struct loop_timer tick;
    bool aborted;       /* parked requests answered at drain start */
    struct cgroups *cg; /* KIP-848 consumer groups (group_consumer.c) */
};

struct gwait {
    struct groups *gs;
    struct broker_pending *pending; /* NULL while the handler runs */
    int16_t version;
    struct buf *out; /* the handler's `out` while it runs */
    bool done;
    /* SyncGroup v5+: the group's protocol type and name for the answer
     * (mem_alloc'ed, NULL = null). */
    char *ptype, *pname;
};

static struct slice cstr(const char *s)
{
    return slice_make(s ? s : "", s ? strlen(s) : 0);
}

static struct slice nstr(const char *s)
{
    return s ? slice_make(s, strlen(s)) : slice_make(NULL, 0);
}

static int64_t now_ms(const struct groups *gs)
{
    (void)gs;
    return clock_mono_ms();
}

/* The client's address as Kafka shows it: "/ip", without the port. */
static struct slice client_host(const struct broker_req *req)
{
    const char *peer = broker_conn_peer(req->bc);
    const char *colon = strrchr(peer, ':');
    size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
    char *s = arena_alloc(req->arena, n + 1);
    s[0] = '/';
    memcpy(s + 1, peer, n);
    return slice_make(s, n + 1);
}

static struct groups *groups_of(const struct broker_req *req)
{
    return req->b->groups;
}

static bool classic_busy(void *arg, struct slice id);

/* --- deferred answers ----------------------------------------------------- */

static void wait_free(struct gwait *w)
{
    mem_free(w->ptype);
    mem_free(w->pname);
    mem_free(w);
}

static void wait_finish(struct gwait *w, struct buf *body)
{
    if (!w->pending) {
        buf_put(w->out, body->data, body->len);
        w->done = true;
        return;
    }
    broker_pending_complete(w->pending, body);
    wait_free(w);
}

static void on_cancel(struct broker_pending *p, void *arg)
{
    struct gwait *w = arg;
    (void)p;
    group_coord_cancel(w->gs->coord, w);
    wait_free(w);
}

/* Parks the request unless the coordinator already answered. */
static int wait_park(struct broker_req *req, struct gwait *w)
{
    if (w->done) {
        wait_free(w);
        return 0;
    }
    w->out = NULL;
    w->pending = broker_defer(req);
    broker_pending_set_cancel(w->pending, on_cancel, w);
    return BROKER_DEFERRED;
}

static void join_done(void *ctx, void *waiter,
                      const struct group_join_result *r)
{
    struct gwait *w = waiter;
    struct kafka_join_group_response resp = {0};
    struct kafka_join_group_member *ms = NULL;
    struct buf body;
    (void)ctx;
    resp.error_code = r->error;
    resp.generation_id = r->generation_id;
    resp.protocol_name = cstr(r->protocol_name);
    /* v7+: null type and name when there is none (an error answer). */
    resp.protocol_type = r->protocol_type && *r->protocol_type
                             ? cstr(r->protocol_type)
                             : slice_make(NULL, 0);
    if (w->version >= 7 && (!r->protocol_name || !*r->protocol_name))
        resp.protocol_name = slice_make(NULL, 0);
    resp.leader = cstr(r->leader_id);
    resp.member_id = cstr(r->member_id);
    if (r->nmembers) {
        ms = mem_calloc(r->nmembers, sizeof *ms);
        for (size_t i = 0; i < r->nmembers; i++) {
            ms[i].member_id = cstr(r->members[i].member_id);
            ms[i].group_instance_id = nstr(r->members[i].instance_id);
            ms[i].metadata = r->members[i].metadata;
        }
    }
    resp.nmembers = r->nmembers;
    resp.members = ms;
    buf_init(&body);
    kafka_join_group_response_encode(&body, w->version, &resp);
    mem_free(ms);
    wait_finish(w, &body);
    buf_fini(&body);
}

static void sync_done(void *ctx, void *waiter, int16_t error,
                      struct slice assignment)
{
    struct gwait *w = waiter;
    struct kafka_sync_group_response resp = {0};
    struct buf body;
    (void)ctx;
    resp.error_code = error;
    resp.assignment = assignment.len ? assignment : slice_make("", 0);
    resp.protocol_type = nstr(w->ptype);
    resp.protocol_name = nstr(w->pname);
    buf_init(&body);
    kafka_sync_group_response_encode(&body, w->version, &resp);
    wait_finish(w, &body);
    buf_fini(&body);
}

static struct gwait *wait_new(struct broker_req *req, struct buf *out)
{
    struct gwait *w = mem_calloc(1, sizeof *w);
    w->gs = groups_of(req);
    w->version = req->api_version;
    w->out = out;
    return w;
}

/* --- FindCoordinator 0-6 ------------------------------------------------ */

/* One node coordinates every group and transactional id; share groups
 * (key type 2, KIP-932) and unknown key types are INVALID_REQUEST, with
 * Kafka's "no node" (-1, "", -1). */
static void coordinator_for(struct broker_req *req, int8_t key_type,
                            struct slice key,
                            struct kafka_find_coordinator_coord *c)
{
    struct broker *b = req->b;
    int16_t denied = 0;
    if (key_type == 1 && !broker_acl_txn(req, key, AUTH_OP_DESCRIBE))
        denied = KAFKA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    else if (key_type == 0 && !broker_acl_group(req, key, AUTH_OP_DESCRIBE))
        denied = KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
    if (denied) {
        c->error_code = denied;
        c->error_message = slice_make(NULL, 0);
        c->node_id = -1;
        c->host = cstr("");
        c->port = -1;
        return;
    }
    if (key_type != 0 && key_type != 1) {
        c->error_code = KAFKA_ERR_INVALID_REQUEST;
        c->error_message = cstr(key_type == 2 ? "share groups are not served"
                                              : "unknown coordinator key type");
        c->node_id = -1;
        c->host = cstr("");
        c->port = -1;
        return;
    }
    const char *host =
        b->cfg.advertised_host[0] ? b->cfg.advertised_host : b->cfg.listen_host;
    c->error_code = KAFKA_ERR_NONE;
    c->error_message = slice_make(NULL, 0);
    c->node_id = b->cfg.node_id;
    c->host = cstr(host);
    c->port = b->cfg.advertised_port ? b->cfg.advertised_port : broker_port(b);
}

static int handle_find_coordinator(struct broker_req *req, struct buf *out)
{
    struct kafka_find_coordinator_request fr;
    struct kafka_find_coordinator_response resp = {0};
    int rc = kafka_find_coordinator_request_decode(&req->body, req->api_version,
                                                   req->arena, &fr);
    if (rc < 0)
        return rc;
    if (req->api_version >= 4) {
        /* KIP-699: one answer per key. */
        resp.ncoordinators = fr.nkeys;
        resp.coordinators = arena_calloc(
            req->arena, (fr.nkeys ? fr.nkeys : 1) * sizeof *resp.coordinators);
        for (size_t i = 0; i < fr.nkeys; i++) {
            resp.coordinators[i].key = fr.keys[i];
            coordinator_for(req, fr.key_type, fr.keys[i],
                            &resp.coordinators[i]);
        }
    } else {
        struct kafka_find_coordinator_coord c = {0};
        coordinator_for(req, fr.key_type, fr.key, &c);
        resp.error_code = c.error_code;
        resp.error_message = c.error_message;
        resp.node_id = c.node_id;
        resp.host = c.host;
        resp.port = c.port;
    }
    kafka_find_coordinator_response_encode(out, req->api_version, &resp);
    return 0;
}

/* --- JoinGroup 0-5, SyncGroup 0-3 ----------------------------------------- */

static int handle_join(struct broker_req *req, struct buf *out)
{
    struct groups *gs = groups_of(req);
    struct kafka_join_group_request kr;
    int rc = kafka_join_group_request_decode(&req->body, req->api_version,
                                             req->arena, &kr);
    if (rc < 0)
        return rc;
    if (!broker_acl_group(req, kr.group_id, AUTH_OP_READ)) {
        struct kafka_join_group_response no = {0};
        no.error_code = KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
        no.generation_id = -1;
        kafka_join_group_response_encode(out, req->api_version, &no);
        return 0;
    }
    struct group_protocol *ps = arena_alloc(
        req->arena, (kr.nprotocols ? kr.nprotocols : 1) * sizeof *ps);
    for (size_t i = 0; i < kr.nprotocols; i++) {
        ps[i].name = kr.protocols[i].name;
        ps[i].metadata = kr.protocols[i].metadata;
    }
    struct group_join_req jr = {0};
    jr.group_id = kr.group_id;
    jr.member_id = kr.member_id;
    jr.instance_id =
        req->api_version >= 5 ? kr.group_instance_id : slice_make(NULL, 0);
    jr.client_id = req->client_id;
    jr.client_host = client_host(req);
    jr.protocol_type = kr.protocol_type;
    jr.session_timeout_ms = kr.session_timeout_ms;
    jr.rebalance_timeout_ms =
        req->api_version >= 1 ? kr.rebalance_timeout_ms : kr.session_timeout_ms;
    jr.require_known_member_id = req->api_version >= 4;
    jr.nprotocols = kr.nprotocols;
    jr.protocols = ps;
    struct gwait *w = wait_new(req, out);
    bool cg_members = false;
    if (cgroups_exists(gs->cg, kr.group_id, &cg_members) && cg_members) {
        /* A KIP-848 group with members: a classic member cannot join. */
        struct group_join_result r = {0};
        r.error = KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL;
        r.generation_id = -1;
        r.protocol_type = "";
        r.protocol_name = "";
        r.leader_id = "";
        r.member_id =
            kr.member_id.len
                ? arena_strndup(req->arena, (const char *)kr.member_id.ptr,
                                kr.member_id.len)
                : "";
        join_done(gs, w, &r);
        return wait_park(req, w);
    }
    group_coord_join(gs->coord, &jr, now_ms(gs), w);
    return wait_park(req, w);
}

static int handle_sync(struct broker_req *req, struct buf *out)
{
    struct groups *gs = groups_of(req);
    struct kafka_sync_group_request kr;
    int rc = kafka_sync_group_request_decode(&req->body, req->api_version,
                                             req->arena, &kr);
    if (rc < 0)
        return rc;
    if (!broker_acl_group(req, kr.group_id, AUTH_OP_READ)) {
        struct kafka_sync_group_response no = {0};
        no.error_code = KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
        no.assignment = slice_make("", 0);
        kafka_sync_group_response_encode(out, req->api_version, &no);
        return 0;
    }
    struct group_assignment *as = arena_alloc(
        req->arena, (kr.nassignments ? kr.nassignments : 1) * sizeof *as);
    for (size_t i = 0; i < kr.nassignments; i++) {
        as[i].member_id = kr.assignments[i].member_id;
        as[i].assignment = kr.assignments[i].assignment;
    }
    struct gwait *w = wait_new(req, out);
    struct group_info gi;
    if (req->api_version >= 5 &&
        group_coord_describe(gs->coord, kr.group_id, &gi)) {
        /* KIP-559: a protocol type or name that is not the group's is
         * INCONSISTENT_GROUP_PROTOCOL; the answer names the group's. */
        bool bad = (kr.protocol_type.ptr &&
                    !slice_eq_str(kr.protocol_type, gi.protocol_type)) ||
                   (kr.protocol_name.ptr && *gi.protocol_name &&
                    !slice_eq_str(kr.protocol_name, gi.protocol_name));
        if (bad) {
            struct kafka_sync_group_response resp = {0};
            resp.error_code = KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL;
            resp.assignment = slice_make("", 0);
            wait_free(w);
            kafka_sync_group_response_encode(out, req->api_version, &resp);
            return 0;
        }
        if (*gi.protocol_type)
            w->ptype = mem_strdup(gi.protocol_type);
        if (*gi.protocol_name)
            w->pname = mem_strdup(gi.protocol_name);
    }
    group_coord_sync(gs->coord, kr.group_id, kr.generation_id, kr.member_id,
                     kr.nassignments, as, now_ms(gs), w);
    return wait_park(req, w);
}

/* --- Heartbeat 0-3, LeaveGroup 0-1 ---------------------------------------- */

static int handle_heartbeat(struct broker_req *req, struct buf *out)
{
    struct groups *gs = groups_of(req);
    struct kafka_heartbeat_request kr;
    struct kafka_error_response resp = {0};
    int rc = kafka_heartbeat_request_decode(&req->body, req->api_version,
                                            req->arena, &kr);
    if (rc < 0)
        return rc;
    resp.error_code =
        !broker_acl_group(req, kr.group_id, AUTH_OP_READ)
            ? KAFKA_ERR_GROUP_AUTHORIZATION_FAILED
            : group_coord_heartbeat(gs->coord, kr.group_id, kr.generation_id,
                                    kr.member_id, now_ms(gs));
    kafka_heartbeat_response_encode(out, req->api_version, &resp);
    return 0;
}

static int handle_leave(struct broker_req *req, struct buf *out)
{
    struct groups *gs = groups_of(req);
    struct kafka_leave_group_request kr;
    struct kafka_leave_group_response resp = {0};
    int rc = kafka_leave_group_request_decode(&req->body, req->api_version,
                                              req->arena, &kr);
    if (rc < 0)
        return rc;
    if (!broker_acl_group(req, kr.group_id, AUTH_OP_READ)) {
        resp.error_code = KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
    } else if (req->api_version <= 2) {
        resp.error_code =
            group_coord_leave(gs->coord, kr.group_id, kr.member_id, now_ms(gs));
    } else {
        /* v3+ (KIP-345): a batch of members, each by member id and/or
         * group.instance.id, each with its own error; an unknown group is
         * a top-level UNKNOWN_MEMBER_ID, a dead one
         * COORDINATOR_NOT_AVAILABLE, as in Kafka. */
        struct group_info gi;
        if (!group_coord_describe(gs->coord, kr.group_id, &gi))
            resp.error_code = KAFKA_ERR_UNKNOWN_MEMBER_ID;
        else if (gi.state == GROUP_DEAD)
            resp.error_code = KAFKA_ERR_COORDINATOR_NOT_AVAILABLE;
        if (resp.error_code) {
            kafka_leave_group_response_encode(out, req->api_version, &resp);
            return 0;
        }
        resp.nmembers = kr.nmembers;
        resp.members = arena_calloc(
            req->arena, (kr.nmembers ? kr.nmembers : 1) * sizeof *resp.members);
        for (size_t i = 0; i < kr.nmembers; i++) {
            const struct kafka_leave_group_member *m = &kr.members[i];
            resp.members[i].member_id = m->member_id;
            resp.members[i].group_instance_id = m->group_instance_id;
            resp.members[i].error_code =
                group_coord_leave_member(gs->coord, kr.group_id, m->member_id,
                                         m->group_instance_id, now_ms(gs));
        }
    }
    kafka_leave_group_response_encode(out, req->api_version, &resp);
    return 0;
}

/* --- OffsetCommit 2-7 ----------------------------------------------------- */

#define ERR_OFFSET_METADATA_TOO_LARGE 12

static bool partition_exists(struct broker *b, struct arena *a,
                             struct slice topic, int32_t partition)
{
    if (!b->logdir || topic.len == 0 || topic.len > LOGDIR_TOPIC_NAME_MAX)
        return false;
    char *name = arena_strndup(a, (const char *)topic.ptr, topic.len);
    return logdir_partition(b->logdir, name, partition) != NULL;
}

static int handle_offset_commit(struct broker_req *req, struct buf *out)
{
    struct groups *gs = groups_of(req);
    struct kafka_offset_commit_request kr;
    struct kafka_offset_commit_response resp = {0};
    int rc = kafka_offset_commit_request_decode(&req->body, req->api_version,
                                                req->arena, &kr);
    if (rc < 0)
        return rc;
    size_t n = 0, k = 0;
    for (size_t t = 0; t < kr.ntopics; t++)
        n += kr.topics[t].npartitions;
    struct group_offset_commit *items =
        arena_alloc(req->arena, (n ? n : 1) * sizeof *items);
    resp.ntopics = kr.ntopics;
    resp.topics = arena_calloc(req->arena, (kr.ntopics ? kr.ntopics : 1) *
                                               sizeof *resp.topics);
    /* Per-partition problems first; the generation check applies to the
     * rest. */
    bool gdenied = !broker_acl_group(req, kr.group_id, AUTH_OP_READ);
    for (size_t t = 0; t < kr.ntopics; t++) {
        const struct kafka_offset_commit_topic *kt = &kr.topics[t];
        struct kafka_topic_errors *rt = &resp.topics[t];
        int16_t aerr = gdenied ? KAFKA_ERR_GROUP_AUTHORIZATION_FAILED
                       : !broker_acl_topic(req, kt->name, AUTH_OP_READ)
                           ? KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED
                           : 0;
        rt->name = kt->name;
        rt->npartitions = kt->npartitions;
        rt->partitions =
            arena_calloc(req->arena, (kt->npartitions ? kt->npartitions : 1) *
                                         sizeof *rt->partitions);
        for (size_t p = 0; p < kt->npartitions; p++) {
            const struct kafka_offset_commit_partition *kp = &kt->partitions[p];
            rt->partitions[p].partition_index = kp->partition_index;
            if (aerr) {
                rt->partitions[p].error_code = aerr;
            } else if (kp->committed_metadata.len >
                       GROUP_OFFSETS_METADATA_MAX) {
                rt->partitions[p].error_code = ERR_OFFSET_METADATA_TOO_LARGE;
            } else if (!partition_exists(req->b, req->arena, kt->name,
                                         kp->partition_index)) {
                rt->partitions[p].error_code =
                    KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            } else {
                items[k].topic = kt->name;
                items[k].partition = kp->partition_index;
                items[k].offset = kp->committed_offset;
                items[k].leader_epoch =
                    req->api_version >= 6 ? kp->committed_leader_epoch : -1;
                items[k].metadata = kp->committed_metadata;
                k++;
                rt->partitions[p].error_code = -1; /* filled below */
            }
        }
    }
    /* A KIP-848 group (unless a classic group of that id has members):
     * the generation is the member epoch. */
    bool cg = cgroups_exists(gs->cg, kr.group_id, NULL) &&
              !classic_busy(gs, kr.group_id);
    int16_t gerr =
        cg ? cgroups_commit_check(gs->cg, kr.group_id, kr.generation_id,
                                  kr.member_id, now_ms(gs))
           : group_coord_commit_check(gs->coord, kr.group_id, kr.generation_id,
                                      kr.member_id, now_ms(gs));
    if (gerr == 0 && k > 0 &&
        group_offsets_commit(gs->offsets, kr.group_id, k, items,
                             clock_now_ms()) < 0)
        gerr = KAFKA_ERR_KAFKA_STORAGE_ERROR;
    for (size_t t = 0; t < resp.ntopics; t++)
        for (size_t p = 0; p < resp.topics[t].npartitions; p++)
            if (resp.topics[t].partitions[p].error_code == -1)
                resp.topics[t].partitions[p].error_code = gerr;
    kafka_offset_commit_response_encode(out, req->api_version, &resp);
    return 0;
}

/* --- OffsetFetch 1-5 ------------------------------------------------------ */

static void fetch_fill(struct kafka_offset_fetch_partition_response *rp,
                       int32_t partition, const struct group_offset *o)
{
    rp->partition_index = partition;
    rp->committed_offset = o ? o->offset : -1;
    rp->committed_leader_epoch = o ? o->leader_epoch : -1;
    rp->metadata =
        o && o->metadata ? slice_make(o->metadata, o->metadata_len) : cstr("");
    rp->error_code = KAFKA_ERR_NONE;
}

/* A transaction holds an offset of this partition not yet ended. */
static void unstable(struct kafka_offset_fetch_partition_response *rp)
{
    rp->committed_offset = -1;
    rp->committed_leader_epoch = -1;
    rp->metadata = cstr("");
    rp->error_code = KAFKA_ERR_UNSTABLE_OFFSET_COMMIT;
}

struct fetch_ent {
    const char *topic;
    int32_t partition;
    const struct group_offset *o;
};

static int fetch_ent_cmp(const void *a, const void *b)
{
    const struct fetch_ent *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    if (c)
        return c;
    return (x->partition > y->partition) - (x->partition < y->partition);
}

/* One group's committed offsets: the partitions asked, or (topics_null)
 * every committed partition grouped by topic; with require_stable (v7+),
 * a partition with a transactional offset pending is UNSTABLE_OFFSET_COMMIT. */
static void fetch_group(struct broker_req *req, struct slice group_id,
                        bool topics_null,
                        const struct kafka_topic_partitions *topics,
                        size_t ntopics, bool require_stable,
                        struct kafka_offset_fetch_topic_response **rts,
                        size_t *nrts)
{
    struct groups *gs = groups_of(req);
    if (!topics_null) {
        struct kafka_offset_fetch_topic_response *r =
            arena_calloc(req->arena, (ntopics ? ntopics : 1) * sizeof *r);
        for (size_t t = 0; t < ntopics; t++) {
            const struct kafka_topic_partitions *kt = &topics[t];
            struct kafka_offset_fetch_topic_response *rt = &r[t];
            rt->name = kt->name;
            rt->npartitions = kt->npartitions;
            rt->partitions = arena_calloc(
                req->arena, (kt->npartitions ? kt->npartitions : 1) *
                                sizeof *rt->partitions);
            for (size_t p = 0; p < kt->npartitions; p++) {
                fetch_fill(&rt->partitions[p], kt->partitions[p],
                           group_offsets_get(gs->offsets, group_id, kt->name,
                                             kt->partitions[p]));
                if (require_stable &&
                    txn_coord_offsets_pending(req->b, group_id, kt->name,
                                              kt->partitions[p]))
                    unstable(&rt->partitions[p]);
            }
        }
        *rts = r;
        *nrts = ntopics;
        return;
    }
    size_t n = 0, cap = 16, it = 0, nr = 0;
    struct fetch_ent *e = mem_alloc(cap * sizeof *e);
    const char *topic;
    int32_t part;
    const struct group_offset *o;
    while (group_offsets_next(gs->offsets, group_id, &it, &topic, &part, &o)) {
        if (n == cap)
            e = mem_realloc(e, (cap *= 2) * sizeof *e);
        e[n].topic = topic;
        e[n].partition = part;
        e[n].o = o;
        n++;
    }
    qsort(e, n, sizeof *e, fetch_ent_cmp);
    struct kafka_offset_fetch_topic_response *r =
        arena_calloc(req->arena, (n ? n : 1) * sizeof *r);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && strcmp(e[j].topic, e[i].topic) == 0)
            j++;
        struct kafka_offset_fetch_topic_response *rt = &r[nr++];
        rt->name = slice_make(
            arena_strndup(req->arena, e[i].topic, strlen(e[i].topic)),
            strlen(e[i].topic));
        rt->npartitions = j - i;
        rt->partitions =
            arena_calloc(req->arena, (j - i) * sizeof *rt->partitions);
        for (size_t q = i; q < j; q++) {
            fetch_fill(&rt->partitions[q - i], e[q].partition, e[q].o);
            if (require_stable &&
                txn_coord_offsets_pending(req->b, group_id, rt->name,
                                          e[q].partition))
                unstable(&rt->partitions[q - i]);
        }
        i = j;
    }
    mem_free(e);
    *rts = r;
    *nrts = nr;
}

static int handle_offset_fetch(struct broker_req *req, struct buf *out)
{
    struct kafka_offset_fetch_request kr;
    struct kafka_offset_fetch_response resp = {0};
    int rc = kafka_offset_fetch_request_decode(&req->body, req->api_version,
                                               req->arena, &kr);
    if (rc < 0)
        return rc;
    if (req->api_version <= 7 &&
        !broker_acl_group(req, kr.group_id, AUTH_OP_DESCRIBE)) {
        resp.error_code = KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
        if (!kr.topics_null) {
            /* v0-1 carry the error per partition only. */
            resp.ntopics = kr.ntopics;
            resp.topics =
                arena_calloc(req->arena, (kr.ntopics ? kr.ntopics : 1) *
                                             sizeof *resp.topics);
            for (size_t t = 0; t < kr.ntopics; t++) {
                const struct kafka_topic_partitions *kt = &kr.topics[t];
                struct kafka_offset_fetch_topic_response *rt = &resp.topics[t];
                rt->name = kt->name;
                rt->npartitions = kt->npartitions;
                rt->partitions = arena_calloc(
                    req->arena, (kt->npartitions ? kt->npartitions : 1) *
                                    sizeof *rt->partitions);
                for (size_t p = 0; p < kt->npartitions; p++) {
                    fetch_fill(&rt->partitions[p], kt->partitions[p], NULL);
                    rt->partitions[p].error_code =
                        KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
                }
            }
        }
        kafka_offset_fetch_response_encode(out, req->api_version, &resp);
        return 0;
    }
    if (req->api_version >= 8) {
        /* v8+ (KIP-709): several groups, each answered on its own (a group
         * the principal may not describe: GROUP_AUTHORIZATION_FAILED). v9's
         * member id and epoch belong to KIP-848 groups; a classic group
         * ignores them, as Kafka does. */
        resp.ngroups = kr.ngroups;
        resp.groups = arena_calloc(req->arena, (kr.ngroups ? kr.ngroups : 1) *
                                                   sizeof *resp.groups);
        for (size_t g = 0; g < kr.ngroups; g++) {
            const struct kafka_offset_fetch_group *kg = &kr.groups[g];
            resp.groups[g].group_id = kg->group_id;
            if (!broker_acl_group(req, kg->group_id, AUTH_OP_DESCRIBE)) {
                resp.groups[g].error_code =
                    KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
                continue;
            }
            /* v9: a KIP-848 member names itself and its epoch. */
            resp.groups[g].error_code =
                cgroups_fetch_check(groups_of(req)->cg, kg->group_id,
                                    kg->member_id, kg->member_epoch);
            if (resp.groups[g].error_code)
                continue;
            fetch_group(req, kg->group_id, kg->topics_null, kg->topics,
                        kg->ntopics, kr.require_stable, &resp.groups[g].topics,
                        &resp.groups[g].ntopics);
        }
    } else {
        fetch_group(req, kr.group_id, kr.topics_null, kr.topics, kr.ntopics,
                    kr.require_stable, &resp.topics, &resp.ntopics);
    }
    kafka_offset_fetch_response_encode(out, req->api_version, &resp);
    return 0;
}

/* --- ListGroups 0-2, DescribeGroups 0-4 ----------------------------------- */

static bool slice_eq_nocase(struct slice s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char a = ((const char *)s.ptr)[i], b = lit[i];
        if ((a | 0x20) != (b | 0x20))
            return false;
    }
    return true;
}

static int handle_list_groups(struct broker_req *req, struct buf *out)
{
    struct groups *gs = groups_of(req);
    struct kafka_list_groups_request kr;
    struct kafka_list_groups_response resp = {0};
    int rc = kafka_list_groups_request_decode(&req->body, req->api_version,
                                              req->arena, &kr);
    if (rc < 0)
        return rc;
    size_t n = 0, it = 0;
    struct group_info gi;
    while (group_coord_next(gs->coord, &it, &gi))
        n++;
    resp.groups = arena_calloc(req->arena, (n ? n : 1) * sizeof *resp.groups);
    /* v5 type filter: every group here is a "classic" one. */
    bool classic = kr.ntypes == 0;
    for (size_t k = 0; k < kr.ntypes; k++)
        if (slice_eq_nocase(kr.types[k], "classic"))
            classic = true;
    it = 0;
    while (classic && resp.ngroups < n &&
           group_coord_next(gs->coord, &it, &gi)) {
        const char *state = group_state_name(gi.state);
        bool want = kr.nstates == 0;
        for (size_t k = 0; k < kr.nstates; k++)
            if (slice_eq_nocase(kr.states[k], state))
                want = true;
        /* Kafka lists only the groups one may describe; one group per
         * id: an idle classic group under a KIP-848 one of the same id is
         * listed as the latter. */
        if (!want ||
            !broker_acl_group(req, cstr(gi.group_id), AUTH_OP_DESCRIBE) ||
            (gi.nmembers == 0 &&
             cgroups_exists(gs->cg, cstr(gi.group_id), NULL)))
            continue;
        resp.groups[resp.ngroups].group_id = cstr(gi.group_id);
        resp.groups[resp.ngroups].protocol_type = cstr(gi.protocol_type);
        resp.groups[resp.ngroups].group_state = cstr(state);
        resp.groups[resp.ngroups].group_type = KAFKA_STR("classic");
        resp.ngroups++;
    }
    /* KIP-848 groups: protocol type "consumer", type "consumer". */
    bool consumer = kr.ntypes == 0;
    for (size_t k = 0; k < kr.ntypes; k++)
        if (slice_eq_nocase(kr.types[k], "consumer"))
            consumer = true;
    size_t nc = 0;
    const char *cid, *cstate;
    for (it = 0; consumer && cgroups_next(gs->cg, &it, &cid, &cstate);)
        nc++;
    if (nc) {
        struct kafka_list_groups_group *all =
            arena_calloc(req->arena, (resp.ngroups + nc) * sizeof *resp.groups);
        memcpy(all, resp.groups, resp.ngroups * sizeof *resp.groups);
        resp.groups = all;
    }
    for (it = 0; nc && cgroups_next(gs->cg, &it, &cid, &cstate);) {
        bool want = kr.nstates == 0;
        for (size_t k = 0; k < kr.nstates; k++)
            if (slice_eq_nocase(kr.states[k], cstate))
                want = true;
        if (!want || classic_busy(gs, cstr(cid)) ||
            !broker_acl_group(req, cstr(cid), AUTH_OP_DESCRIBE))
            continue;
        resp.groups[resp.ngroups].group_id = cstr(cid);
        resp.groups[resp.ngroups].protocol_type = KAFKA_STR("consumer");
        resp.groups[resp.ngroups].group_state = cstr(cstate);
        resp.groups[resp.ngroups].group_type = KAFKA_STR("consumer");
        resp.ngroups++;
    }
    kafka_list_groups_response_encode(out, req->api_version, &resp);
    return 0;
}

/* DeleteGroups: an Empty group (or one known only by its offsets) loses
 * its committed offsets (tombstones in __consumer_offsets) and is gone;
 * a group with members gets NON_EMPTY_GROUP, an unknown one
 * GROUP_ID_NOT_FOUND. */
static int handle_delete_groups(struct broker_req *req, struct buf *out)
{
    struct groups *gs = groups_of(req);
    struct kafka_delete_groups_request rq;
    int rc = kafka_delete_groups_request_decode(&req->body, req->api_version,
                                                req->arena, &rq);
    if (rc < 0)
        return rc;
    struct kafka_delete_groups_response resp = {0};
    resp.nresults = rq.ngroups;
    resp.results = arena_calloc(req->arena, (rq.ngroups ? rq.ngroups : 1) *
                                                sizeof *resp.results);
    for (size_t i = 0; i < rq.ngroups; i++) {
        struct slice g = rq.groups[i];
        resp.results[i].group_id = g;
        if (!broker_acl_group(req, g, AUTH_OP_DELETE)) {
            resp.results[i].error_code = KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
            continue;
        }
        /* A KIP-848 consumer group (Kafka deletes an empty one, refuses
         * one with members), else a classic group. */
        int16_t err = cgroups_exists(gs->cg, g, NULL)
                          ? cgroups_delete(gs->cg, g)
                          : group_coord_delete(gs->coord, g);
        if (err == 0 &&
            group_offsets_delete_group(gs->offsets, g, clock_now_ms()) < 0)
            err = KAFKA_ERR_KAFKA_STORAGE_ERROR;
        if (err == 0)
            diag_info("groups: deleted group %.*s", (int)g.len,
                      (const char *)g.ptr);
        resp.results[i].error_code = err;
    }
    kafka_delete_groups_response_encode(out, req->api_version, &resp);
    return 0;
}

/* OffsetDelete: the committed offsets of some partitions of a group go
 * (tombstones). Kafka refuses a partition whose topic a live member
 * subscribes to; rill does not decode subscriptions, so while the group
 * has members every partition gets GROUP_SUBSCRIBED_TO_TOPIC (stricter
 * than Kafka, never wrong). */
static int handle_offset_delete(struct broker_req *req, struct buf *out)
{
    struct groups *gs = groups_of(req);
    struct kafka_offset_delete_request rq;
    int rc = kafka_offset_delete_request_decode(&req->body, req->api_version,
                                                req->arena, &rq);
    if (rc < 0)
        return rc;
    struct kafka_offset_delete_response resp = {0};
    if (!broker_acl_group(req, rq.group_id, AUTH_OP_DELETE)) {
        resp.error_code = KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
        kafka_offset_delete_response_encode(out, req->api_version, &resp);
        return 0;
    }
    struct group_info gi;
    bool known = group_coord_describe(gs->coord, rq.group_id, &gi);
    bool consumer_members = false;
    if (cgroups_exists(gs->cg, rq.group_id, &consumer_members)) {
        /* A KIP-848 consumer group: busy while it has members. */
        known = true;
        gi.state = GROUP_EMPTY;
        gi.nmembers = consumer_members ? 1 : 0;
    }
    if (!known || gi.state == GROUP_DEAD) {
        resp.error_code = KAFKA_ERR_GROUP_ID_NOT_FOUND;
        kafka_offset_delete_response_encode(out, req->api_version, &resp);
        return 0;
    }
    bool busy = gi.nmembers > 0;
    size_t n = 0, k = 0;
    for (size_t t = 0; t < rq.ntopics; t++)
        n += rq.topics[t].npartitions;
    struct group_offset_commit *items =
        arena_calloc(req->arena, (n ? n : 1) * sizeof *items);
    resp.ntopics = rq.ntopics;
    resp.topics = arena_calloc(req->arena, (rq.ntopics ? rq.ntopics : 1) *
                                               sizeof *resp.topics);
    for (size_t t = 0; t < rq.ntopics; t++) {
        const struct kafka_topic_partitions *kt = &rq.topics[t];
        struct kafka_topic_errors *rt = &resp.topics[t];
        rt->name = kt->name;
        rt->npartitions = kt->npartitions;
        rt->partitions =
            arena_calloc(req->arena, (kt->npartitions ? kt->npartitions : 1) *
                                         sizeof *rt->partitions);
        for (size_t p = 0; p < kt->npartitions; p++) {
            rt->partitions[p].partition_index = kt->partitions[p];
            if (!broker_acl_topic(req, kt->name, AUTH_OP_READ)) {
                rt->partitions[p].error_code =
                    KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
            } else if (busy) {
                rt->partitions[p].error_code =
                    KAFKA_ERR_GROUP_SUBSCRIBED_TO_TOPIC;
            } else if (!partition_exists(req->b, req->arena, kt->name,
                                         kt->partitions[p])) {
                rt->partitions[p].error_code =
                    KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            } else {
                items[k].topic = kt->name;
                items[k].partition = kt->partitions[p];
                k++;
            }
        }
    }
    if (k > 0 && group_offsets_delete(gs->offsets, rq.group_id, k, items,
                                      clock_now_ms()) < 0)
        resp.error_code = KAFKA_ERR_KAFKA_STORAGE_ERROR;
    kafka_offset_delete_response_encode(out, req->api_version, &resp);
    return 0;
}

static int handle_describe_groups(struct broker_req *req, struct buf *out)
{
    struct groups *gs = groups_of(req);
    struct kafka_describe_groups_request kr;
    struct kafka_describe_groups_response resp = {0};
    int rc = kafka_describe_groups_request_decode(&req->body, req->api_version,
                                                  req->arena, &kr);
    if (rc < 0)
        return rc;
    resp.ngroups = kr.ngroups;
    resp.groups = arena_calloc(req->arena, (kr.ngroups ? kr.ngroups : 1) *
                                               sizeof *resp.groups);
    for (size_t i = 0; i < kr.ngroups; i++) {
        struct kafka_describe_groups_group *rg = &resp.groups[i];
        struct group_info gi;
        rg->authorized_operations = INT32_MIN;
        rg->group_id = kr.groups[i];
        if (!broker_acl_group(req, kr.groups[i], AUTH_OP_DESCRIBE)) {
            rg->error_code = KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
            continue;
        }
        if (!group_coord_describe(gs->coord, kr.groups[i], &gi)) {
            /* Kafka describes an unknown group as Dead, without error. */
            rg->error_code =
                kr.groups[i].len ? KAFKA_ERR_NONE : KAFKA_ERR_INVALID_GROUP_ID;
            rg->group_state = cstr("Dead");
            continue;
        }
        rg->group_state = cstr(group_state_name(gi.state));
        rg->protocol_type = cstr(gi.protocol_type);
        rg->protocol_data = cstr(gi.protocol_name);
        rg->nmembers = gi.nmembers;
        rg->members = arena_calloc(req->arena, (gi.nmembers ? gi.nmembers : 1) *
                                                   sizeof *rg->members);
        for (size_t m = 0; m < gi.nmembers; m++) {
            struct group_member_info mi;
            struct kafka_describe_groups_member *rm = &rg->members[m];
            group_coord_member(gs->coord, kr.groups[i], m, &mi);
            rm->member_id = cstr(mi.member_id);
            rm->group_instance_id = nstr(mi.instance_id);
            rm->client_id = cstr(mi.client_id);
            rm->client_host = cstr(mi.client_host);
            rm->member_metadata =
                mi.metadata.len ? mi.metadata : slice_make("", 0);
            rm->member_assignment =
                mi.assignment.len ? mi.assignment : slice_make("", 0);
        }
    }
    kafka_describe_groups_response_encode(out, req->api_version, &resp);
    return 0;
}

/* --- wiring --------------------------------------------------------------- */

/* --- KIP-848 consumer groups (group_consumer.c) -------------------------- */

static bool classic_busy(void *arg, struct slice id)
{
    struct groups *gs = arg;
    struct group_info gi;
    return group_coord_describe(gs->coord, id, &gi) && gi.nmembers > 0;
}

static int handle_cg_heartbeat(struct broker_req *req, struct buf *out)
{
    struct groups *gs = groups_of(req);
    return cgroups_heartbeat(gs->cg, req, out, classic_busy, gs);
}

static int handle_cg_describe(struct broker_req *req, struct buf *out)
{
    return cgroups_describe(groups_of(req)->cg, req, out);
}

static void on_tick(struct loop *l, struct loop_timer *t)
{
    struct groups *gs = t->arg;
    (void)l;
    if (gs->b->draining && !gs->aborted) {
        /* Shutting down: parked Join/Sync must not hold the drain until
         * its deadline. NOT_COORDINATOR sends clients to look again. */
        group_coord_abort_parked(gs->coord, KAFKA_ERR_NOT_COORDINATOR);
        gs->aborted = true;
    }
    group_coord_tick(gs->coord, now_ms(gs));
    cgroups_tick(gs->cg, now_ms(gs));
}

static void groups_fini(struct broker *b)
{
    struct groups *gs = b->groups;
    if (!gs)
        return;
    if (b->loop)
        loop_timer_stop(b->loop, &gs->tick);
    group_coord_destroy(gs->coord);
    cgroups_destroy(gs->cg);
    group_offsets_close(gs->offsets);
    mem_free(gs);
    b->groups = NULL;
}

void group_handlers_register(struct broker *b)
{
    struct groups *gs = mem_calloc(1, sizeof *gs);
    static const struct group_coord_ops ops = {join_done, sync_done};
    struct group_coord_config cfg;
    gs->b = b;
    group_coord_config_defaults(&cfg);
    cfg.initial_rebalance_delay_ms = b->cfg.group_initial_rebalance_delay_ms;
    group_coord_create(&cfg, &ops, gs, &gs->coord);
    cgroups_create(&gs->cg);
    if (!b->logdir || group_offsets_open(b->logdir, &gs->offsets) < 0) {
        diag_warn("groups: committed offsets kept in memory only");
        group_offsets_create(&gs->offsets);
    }
    cgroups_load(gs->cg, gs->offsets, b->logdir, clock_now_ms());
    /* Groups known only from their committed offsets are listed Empty. */
    const char *g;
    for (size_t it = 0; group_offsets_next_group(gs->offsets, &it, &g);)
        group_coord_ensure(gs->coord, slice_make(g, strlen(g)));
    b->groups = gs;
    b->groups_fini = groups_fini;
    loop_timer_init(&gs->tick, on_tick, gs);
    if (b->loop)
        loop_timer_start(b->loop, &gs->tick, TICK_MS, TICK_MS);

    /* Versions come from the codec's one ApiKey table. */
    broker_serve(b, KAFKA_API_FIND_COORDINATOR, handle_find_coordinator);
    broker_serve(b, KAFKA_API_JOIN_GROUP, handle_join);
    broker_serve(b, KAFKA_API_SYNC_GROUP, handle_sync);
    broker_serve(b, KAFKA_API_HEARTBEAT, handle_heartbeat);
    broker_serve(b, KAFKA_API_LEAVE_GROUP, handle_leave);
    broker_serve(b, KAFKA_API_OFFSET_COMMIT, handle_offset_commit);
    broker_serve(b, KAFKA_API_OFFSET_FETCH, handle_offset_fetch);
    broker_serve(b, KAFKA_API_LIST_GROUPS, handle_list_groups);
    broker_serve(b, KAFKA_API_DESCRIBE_GROUPS, handle_describe_groups);
    broker_serve(b, KAFKA_API_DELETE_GROUPS, handle_delete_groups);
    broker_serve(b, KAFKA_API_OFFSET_DELETE, handle_offset_delete);
    broker_serve(b, KAFKA_API_CONSUMER_GROUP_HEARTBEAT, handle_cg_heartbeat);
    broker_serve(b, KAFKA_API_CONSUMER_GROUP_DESCRIBE, handle_cg_describe);
}

struct group_offsets *group_handlers_offsets(struct broker *b)
{
    struct groups *gs = b->groups;
    return gs ? gs->offsets : NULL;
}
