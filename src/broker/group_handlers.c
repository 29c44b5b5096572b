/* group_handlers.c - the group APIs on the wire: decode each request, ask
 * group_coord / group_offsets, encode the answer; park JoinGroup and
 * SyncGroup as deferred responses (layer: broker).
 *
 * Every version served is a classic (non-flexible) encoding, so the bodies
 * are read and written here with buf_reader/buf in small functions, one per
 * API; they follow [AK] msg/<Api>Request.json field by field ("vN+" = added in vN).
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
#include "broker/broker_int.h"
#include "broker/group_coord.h"
#include "broker/group_offsets.h"
#include "log/logdir.h"

enum {
    API_OFFSET_COMMIT = 8,
    API_OFFSET_FETCH = 9,
    API_FIND_COORDINATOR = 10,
    API_JOIN_GROUP = 11,
    API_HEARTBEAT = 12,
    API_LEAVE_GROUP = 13,
    API_SYNC_GROUP = 14,
    API_DESCRIBE_GROUPS = 15,
    API_LIST_GROUPS = 16,
};

enum {
    KERR_UNKNOWN_TOPIC_OR_PARTITION = 3,
    KERR_OFFSET_METADATA_TOO_LARGE = 12,
    KERR_COORDINATOR_LOAD_IN_PROGRESS = 14,
    KERR_INVALID_GROUP_ID = 24,
    KERR_KAFKA_STORAGE_ERROR = 56,
};

#define TICK_MS 100
#define MAX_ARRAY 100000 /* bound on any array count read from a request */

struct groups {
    struct broker *b;
    struct group_coord *coord;
    struct group_offsets *offsets;
    struct loop_timer tick;
};

struct gwait {
    struct groups *gs;
    struct broker_pending *pending; /* NULL while the handler runs */
    int16_t version;
    struct buf *out; /* the handler's `out` while it runs */
    bool done;
};

/* --- classic primitives --------------------------------------------------- */

/* STRING / nullable STRING: *null (may be NULL) set for length -1. */
static struct slice rd_str(struct buf_reader *r, bool *null)
{
    int16_t n = buf_read_i16(r);
    if (null)
        *null = n < 0;
    if (n < 0)
        return slice_make(NULL, 0);
    return buf_read_bytes(r, (size_t)n);
}

static struct slice rd_bytes(struct buf_reader *r)
{
    int32_t n = buf_read_i32(r);
    if (n < 0)
        return slice_make(NULL, 0);
    return buf_read_bytes(r, (size_t)n);
}

/* Array count; negative = null (-1). Counts above what the bytes left could
 * hold (each element >= min_elem bytes) poison the reader. */
static int32_t rd_count(struct buf_reader *r, size_t min_elem)
{
    int32_t n = buf_read_i32(r);
    if (n > 0 && ((size_t)n > MAX_ARRAY ||
                  (size_t)n * min_elem > buf_reader_left(r)))
        r->err = true;
    return buf_reader_ok(r) ? n : 0;
}

static void wr_str(struct buf *o, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    buf_put_i16(o, (int16_t)n);
    if (n)
        buf_put(o, s, n);
}

static void wr_slice(struct buf *o, struct slice s)
{
    buf_put_i16(o, (int16_t)s.len);
    if (s.len)
        buf_put(o, s.ptr, s.len);
}

static void wr_nstr(struct buf *o, const char *s)
{
    if (!s)
        buf_put_i16(o, -1);
    else
        wr_str(o, s);
}

static void wr_bytes(struct buf *o, struct slice s)
{
    buf_put_i32(o, (int32_t)s.len);
    if (s.len)
        buf_put(o, s.ptr, s.len);
}

static int64_t now_ms(const struct groups *gs)
{
    (void)gs;
    return clock_mono_ms();
}

/* The client's address as Kafka shows it ("/ip"). The broker does not
 * expose the connection's peer to this module yet; rill listens on
 * loopback, so this is what every client is. */
static struct slice client_host(const struct broker_req *req)
{
    (void)req;
    return slice_make("/127.0.0.1", 10);
}

static struct groups *groups_of(const struct broker_req *req)
{
    return req->b->groups;
}

/* --- deferred answers ------------------------------------------------------ */

static void wait_finish(struct gwait *w, struct buf *body)
{
    if (!w->pending) {
        buf_put(w->out, body->data, body->len);
        w->done = true;
        return;
    }
    broker_pending_set_cancel(w->pending, NULL, NULL);
    broker_pending_complete(w->pending, body);
    mem_free(w);
}

static void on_cancel(struct broker_pending *p, void *arg)
{
    struct gwait *w = arg;
    (void)p;
    group_coord_cancel(w->gs->coord, w);
    mem_free(w);
}

/* Parks the request unless the coordinator already answered. */
static int wait_park(struct broker_req *req, struct gwait *w)
{
    if (w->done) {
        mem_free(w);
        return 0;
    }
    w->out = NULL;
    w->pending = broker_defer(req);
    broker_pending_set_cancel(w->pending, on_cancel, w);
    return BROKER_DEFERRED;
}

static void join_done(void *ctx, void *waiter, const struct group_join_result *r)
{
    struct gwait *w = waiter;
    struct buf body;
    (void)ctx;
    buf_init(&body);
    if (w->version >= 2)
        buf_put_i32(&body, 0); /* throttle_time_ms */
    buf_put_i16(&body, r->error);
    buf_put_i32(&body, r->generation_id);
    wr_str(&body, r->protocol_name);
    wr_str(&body, r->leader_id);
    wr_str(&body, r->member_id);
    buf_put_i32(&body, (int32_t)r->nmembers);
    for (size_t i = 0; i < r->nmembers; i++) {
        wr_str(&body, r->members[i].member_id);
        if (w->version >= 5)
            wr_nstr(&body, r->members[i].instance_id);
        wr_bytes(&body, r->members[i].metadata);
    }
    wait_finish(w, &body);
    buf_fini(&body);
}

static void sync_done(void *ctx, void *waiter, int16_t error,
                      struct slice assignment)
{
    struct gwait *w = waiter;
    struct buf body;
    (void)ctx;
    buf_init(&body);
    if (w->version >= 1)
        buf_put_i32(&body, 0);
    buf_put_i16(&body, error);
    wr_bytes(&body, assignment);
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

/* --- FindCoordinator 0-2 ---------------------------------------------------- */

static int handle_find_coordinator(struct broker_req *req, struct buf *out)
{
    struct broker *b = req->b;
    struct buf_reader *r = &req->body;
    int16_t v = req->api_version;
    rd_str(r, NULL); /* key */
    int8_t key_type = v >= 1 ? (int8_t)buf_read_u8(r) : 0;
    if (!buf_reader_ok(r))
        return ERR_PARSE;
    (void)key_type; /* one node coordinates groups and transactions */
    const char *host =
        b->cfg.advertised_host[0] ? b->cfg.advertised_host : b->cfg.listen_host;
    int32_t port = b->cfg.advertised_port ? b->cfg.advertised_port
                                          : broker_port(b);
    if (v >= 1)
        buf_put_i32(out, 0);
    buf_put_i16(out, 0);
    if (v >= 1)
        wr_nstr(out, NULL);
    buf_put_i32(out, b->cfg.node_id);
    wr_str(out, host);
    buf_put_i32(out, port);
    return 0;
}

/* --- JoinGroup 0-5 ------------------------------------------------------------ */

static int handle_join(struct broker_req *req, struct buf *out)
{
    struct groups *gs = groups_of(req);
    struct buf_reader *r = &req->body;
    int16_t v = req->api_version;
    struct group_join_req jr = {0};
    bool null = false;
    jr.group_id = rd_str(r, NULL);
    jr.session_timeout_ms = buf_read_i32(r);
    jr.rebalance_timeout_ms =
        v >= 1 ? buf_read_i32(r) : jr.session_timeout_ms;
    jr.member_id = rd_str(r, NULL);
    if (v >= 5) {
        jr.instance_id = rd_str(r, &null);
        if (null)
            jr.instance_id = slice_make(NULL, 0);
        else if (!jr.instance_id.ptr)
            jr.instance_id = slice_make("", 0);
    }
    jr.protocol_type = rd_str(r, NULL);
    int32_t n = rd_count(r, 6);
    struct group_protocol *ps =
        arena_alloc(req->arena, (n > 0 ? (size_t)n : 1) * sizeof *ps);
    for (int32_t i = 0; i < n; i++) {
        ps[i].name = rd_str(r, NULL);
        ps[i].metadata = rd_bytes(r);
    }
    if (!buf_reader_ok(r))
        return ERR_PARSE;
    jr.nprotocols = n > 0 ? (size_t)n : 0;
    jr.protocols = ps;
    jr.client_id = req->client_id;
    jr.client_host = client_host(req);
    jr.require_known_member_id = v >= 4;
    struct gwait *w = wait_new(req, out);
    group_coord_join(gs->coord, &jr, now_ms(gs), w);
    return wait_park(req, w);
}

/* --- SyncGroup 0-3 ------------------------------------------------------------ */

static int handle_sync(struct broker_req *req, struct buf *out)
{
    struct groups *gs = groups_of(req);
    struct buf_reader *r = &req->body;
    int16_t v = req->api_version;
    struct slice group = rd_str(r, NULL);
    int32_t gen = buf_read_i32(r);
    struct slice member = rd_str(r, NULL);
    if (v >= 3)
        rd_str(r, NULL); /* group_instance_id */
    int32_t n = rd_count(r, 6);
    struct group_assignment *as =
        arena_alloc(req->arena, (n > 0 ? (size_t)n : 1) * sizeof *as);
    for (int32_t i = 0; i < n; i++) {
        as[i].member_id = rd_str(r, NULL);
        as[i].assignment = rd_bytes(r);
    }
    if (!buf_reader_ok(r))
        return ERR_PARSE;
    struct gwait *w = wait_new(req, out);
    group_coord_sync(gs->coord, group, gen, member, n > 0 ? (size_t)n : 0, as,
                     now_ms(gs), w);
    return wait_park(req, w);
}

/* --- Heartbeat 0-3, LeaveGroup 0-1 ---------------------------------------------- */

static int handle_heartbeat(struct broker_req *req, struct buf *out)
{
    struct groups *gs = groups_of(req);
    struct buf_reader *r = &req->body;
    struct slice group = rd_str(r, NULL);
    int32_t gen = buf_read_i32(r);
    struct slice member = rd_str(r, NULL);
    if (req->api_version >= 3)
        rd_str(r, NULL);
    if (!buf_reader_ok(r))
        return ERR_PARSE;
    int16_t err =
        group_coord_heartbeat(gs->coord, group, gen, member, now_ms(gs));
    if (req->api_version >= 1)
        buf_put_i32(out, 0);
    buf_put_i16(out, err);
    return 0;
}

static int handle_leave(struct broker_req *req, struct buf *out)
{
    struct groups *gs = groups_of(req);
    struct buf_reader *r = &req->body;
    struct slice group = rd_str(r, NULL);
    struct slice member = rd_str(r, NULL);
    if (!buf_reader_ok(r))
        return ERR_PARSE;
    int16_t err = group_coord_leave(gs->coord, group, member, now_ms(gs));
    if (req->api_version >= 1)
        buf_put_i32(out, 0);
    buf_put_i16(out, err);
    return 0;
}

/* --- OffsetCommit 2-7 ------------------------------------------------------------ */

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
    struct buf_reader *r = &req->body;
    int16_t v = req->api_version;
    struct slice group = rd_str(r, NULL);
    int32_t gen = buf_read_i32(r);
    struct slice member = rd_str(r, NULL);
    if (v >= 2 && v <= 4)
        buf_read_i64(r); /* retention_time_ms: offsets are kept forever */
    if (v >= 7)
        rd_str(r, NULL); /* group_instance_id */
    int32_t nt = rd_count(r, 6);
    if (!buf_reader_ok(r))
        return ERR_PARSE;

    /* First pass: read everything (so a malformed request fails as a
     * whole), and the per-partition error. */
    struct tpart {
        int32_t partition;
        int16_t error;
    };
    struct ttopic {
        struct slice name;
        int32_t n;
        struct tpart *parts;
    } *topics = arena_alloc(req->arena, (nt > 0 ? (size_t)nt : 1) *
                                            sizeof *topics);
    size_t total = 0;
    struct group_offset_commit *items = NULL;
    size_t items_cap = 0;
    for (int32_t t = 0; t < nt; t++) {
        topics[t].name = rd_str(r, NULL);
        int32_t np = rd_count(r, 14);
        topics[t].n = np > 0 ? np : 0;
        topics[t].parts = arena_alloc(req->arena, (np > 0 ? (size_t)np : 1) *
                                                      sizeof *topics[t].parts);
        if (total + (size_t)topics[t].n > items_cap) {
            size_t cap = (total + (size_t)topics[t].n) * 2 + 4;
            struct group_offset_commit *ni =
                arena_alloc(req->arena, cap * sizeof *ni);
            if (total)
                memcpy(ni, items, total * sizeof *ni);
            items = ni;
            items_cap = cap;
        }
        for (int32_t p = 0; p < np; p++) {
            struct group_offset_commit *c = &items[total];
            bool mnull = false;
            c->topic = topics[t].name;
            c->partition = buf_read_i32(r);
            c->offset = buf_read_i64(r);
            c->leader_epoch = v >= 6 ? buf_read_i32(r) : -1;
            c->metadata = rd_str(r, &mnull);
            if (!mnull && !c->metadata.ptr)
                c->metadata = slice_make("", 0);
            topics[t].parts[p].partition = c->partition;
            topics[t].parts[p].error = 0;
            if (!buf_reader_ok(r))
                return ERR_PARSE;
            if (c->metadata.len > GROUP_OFFSETS_METADATA_MAX)
                topics[t].parts[p].error = KERR_OFFSET_METADATA_TOO_LARGE;
            else if (!partition_exists(req->b, req->arena, c->topic,
                                       c->partition))
                topics[t].parts[p].error = KERR_UNKNOWN_TOPIC_OR_PARTITION;
            else
                total++; /* kept */
        }
    }
    if (!buf_reader_ok(r))
        return ERR_PARSE;

    int16_t gerr = group_coord_commit_check(gs->coord, group, gen, member,
                                            now_ms(gs));
    if (gerr == 0 && total > 0) {
        int rc = group_offsets_commit(gs->offsets, group, total, items,
                                      clock_now_ms());
        if (rc < 0)
            gerr = KERR_KAFKA_STORAGE_ERROR;
    }
    if (v >= 3)
        buf_put_i32(out, 0);
    buf_put_i32(out, nt > 0 ? nt : 0);
    for (int32_t t = 0; t < nt; t++) {
        wr_slice(out, topics[t].name);
        buf_put_i32(out, topics[t].n);
        for (int32_t p = 0; p < topics[t].n; p++) {
            buf_put_i32(out, topics[t].parts[p].partition);
            buf_put_i16(out, topics[t].parts[p].error ? topics[t].parts[p].error
                                                      : gerr);
        }
    }
    return 0;
}

/* --- OffsetFetch 1-5 -------------------------------------------------------------- */

static void fetch_part(struct buf *out, int16_t v, int32_t partition,
                       const struct group_offset *o)
{
    buf_put_i32(out, partition);
    buf_put_i64(out, o ? o->offset : -1);
    if (v >= 5)
        buf_put_i32(out, o ? o->leader_epoch : -1);
    wr_str(out, o && o->metadata ? o->metadata : "");
    buf_put_i16(out, 0);
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

static int handle_offset_fetch(struct broker_req *req, struct buf *out)
{
    struct groups *gs = groups_of(req);
    struct buf_reader *r = &req->body;
    int16_t v = req->api_version;
    struct slice group = rd_str(r, NULL);
    int32_t nt = rd_count(r, 6);
    if (!buf_reader_ok(r))
        return ERR_PARSE;
    if (v >= 3)
        buf_put_i32(out, 0);
    if (nt >= 0) {
        buf_put_i32(out, nt);
        for (int32_t t = 0; t < nt; t++) {
            struct slice topic = rd_str(r, NULL);
            int32_t np = rd_count(r, 4);
            if (!buf_reader_ok(r))
                return ERR_PARSE;
            wr_slice(out, topic);
            buf_put_i32(out, np > 0 ? np : 0);
            for (int32_t p = 0; p < np; p++) {
                int32_t part = buf_read_i32(r);
                fetch_part(out, v, part,
                           group_offsets_get(gs->offsets, group, topic, part));
            }
        }
        if (!buf_reader_ok(r))
            return ERR_PARSE;
    } else {
        /* Null topics (v2+): every committed partition, grouped by topic. */
        size_t n = 0, cap = 16, it = 0;
        struct fetch_ent *e = mem_alloc(cap * sizeof *e);
        const char *topic;
        int32_t part;
        const struct group_offset *o;
        while (group_offsets_next(gs->offsets, group, &it, &topic, &part, &o)) {
            if (n == cap)
                e = mem_realloc(e, (cap *= 2) * sizeof *e);
            e[n].topic = topic;
            e[n].partition = part;
            e[n].o = o;
            n++;
        }
        qsort(e, n, sizeof *e, fetch_ent_cmp);
        size_t count_at = out->len, ntopics = 0;
        buf_put_i32(out, 0);
        for (size_t i = 0; i < n;) {
            size_t j = i;
            while (j < n && strcmp(e[j].topic, e[i].topic) == 0)
                j++;
            wr_str(out, e[i].topic);
            buf_put_i32(out, (int32_t)(j - i));
            for (size_t k = i; k < j; k++)
                fetch_part(out, v, e[k].partition, e[k].o);
            ntopics++;
            i = j;
        }
        buf_set_i32(out, count_at, (int32_t)ntopics);
        mem_free(e);
    }
    if (v >= 2)
        buf_put_i16(out, 0);
    return 0;
}

/* --- ListGroups 0-2, DescribeGroups 0-4 --------------------------------------------- */

static int handle_list_groups(struct broker_req *req, struct buf *out)
{
    struct groups *gs = groups_of(req);
    if (req->api_version >= 1)
        buf_put_i32(out, 0);
    buf_put_i16(out, 0);
    size_t count_at = out->len, n = 0, it = 0;
    struct group_info gi;
    buf_put_i32(out, 0);
    while (group_coord_next(gs->coord, &it, &gi)) {
        wr_str(out, gi.group_id);
        wr_str(out, gi.protocol_type);
        n++;
    }
    buf_set_i32(out, count_at, (int32_t)n);
    return 0;
}

static int handle_describe_groups(struct broker_req *req, struct buf *out)
{
    struct groups *gs = groups_of(req);
    struct buf_reader *r = &req->body;
    int16_t v = req->api_version;
    int32_t n = rd_count(r, 2);
    if (!buf_reader_ok(r))
        return ERR_PARSE;
    /* The names come before include_authorized_operations: read them
     * first. */
    struct slice *names =
        arena_alloc(req->arena, (n > 0 ? (size_t)n : 1) * sizeof *names);
    for (int32_t i = 0; i < n; i++)
        names[i] = rd_str(r, NULL);
    if (v >= 3)
        buf_read_u8(r); /* include_authorized_operations */
    if (!buf_reader_ok(r))
        return ERR_PARSE;
    if (v >= 1)
        buf_put_i32(out, 0);
    buf_put_i32(out, n > 0 ? n : 0);
    for (int32_t i = 0; i < n; i++) {
        struct group_info gi;
        if (!group_coord_describe(gs->coord, names[i], &gi)) {
            /* Kafka: an unknown group is described as Dead, no error. */
            buf_put_i16(out, names[i].len ? 0 : KERR_INVALID_GROUP_ID);
            wr_slice(out, names[i]);
            wr_str(out, "Dead");
            wr_str(out, "");
            wr_str(out, "");
            buf_put_i32(out, 0);
        } else {
            buf_put_i16(out, 0);
            wr_str(out, gi.group_id);
            wr_str(out, group_state_name(gi.state));
            wr_str(out, gi.protocol_type);
            wr_str(out, gi.protocol_name);
            buf_put_i32(out, (int32_t)gi.nmembers);
            for (size_t m = 0; m < gi.nmembers; m++) {
                struct group_member_info mi;
                group_coord_member(gs->coord, names[i], m, &mi);
                wr_str(out, mi.member_id);
                if (v >= 4)
                    wr_nstr(out, mi.instance_id);
                wr_str(out, mi.client_id);
                wr_str(out, mi.client_host);
                wr_bytes(out, mi.metadata);
                wr_bytes(out, mi.assignment);
            }
        }
        if (v >= 3)
            buf_put_i32(out, INT32_MIN); /* authorized_operations omitted */
    }
    return 0;
}

/* --- wiring ------------------------------------------------------------------------- */

static void on_tick(struct loop *l, struct loop_timer *t)
{
    struct groups *gs = t->arg;
    (void)l;
    group_coord_tick(gs->coord, now_ms(gs));
}

static void groups_fini(struct broker *b)
{
    struct groups *gs = b->groups;
    if (!gs)
        return;
    if (b->loop)
        loop_timer_stop(b->loop, &gs->tick);
    group_coord_destroy(gs->coord);
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
    group_coord_create(&cfg, &ops, gs, &gs->coord);
    if (!b->logdir || group_offsets_open(b->logdir, &gs->offsets) < 0) {
        diag_warn("groups: committed offsets kept in memory only");
        group_offsets_create(&gs->offsets);
    }
    /* Groups known only from their committed offsets are listed Empty. */
    const char *g;
    for (size_t it = 0; group_offsets_next_group(gs->offsets, &it, &g);)
        group_coord_ensure(gs->coord, slice_make(g, strlen(g)));
    b->groups = gs;
    b->groups_fini = groups_fini;
    loop_timer_init(&gs->tick, on_tick, gs);
    if (b->loop)
        loop_timer_start(b->loop, &gs->tick, TICK_MS, TICK_MS);

    broker_register(b, API_FIND_COORDINATOR, 0, GROUP_FIND_COORDINATOR_MAX,
                    handle_find_coordinator);
    broker_register(b, API_JOIN_GROUP, 0, GROUP_JOIN_MAX, handle_join);
    broker_register(b, API_SYNC_GROUP, 0, GROUP_SYNC_MAX, handle_sync);
    broker_register(b, API_HEARTBEAT, 0, GROUP_HEARTBEAT_MAX,
                    handle_heartbeat);
    broker_register(b, API_LEAVE_GROUP, 0, GROUP_LEAVE_MAX, handle_leave);
    broker_register(b, API_OFFSET_COMMIT, GROUP_OFFSET_COMMIT_MIN,
                    GROUP_OFFSET_COMMIT_MAX, handle_offset_commit);
    broker_register(b, API_OFFSET_FETCH, GROUP_OFFSET_FETCH_MIN,
                    GROUP_OFFSET_FETCH_MAX, handle_offset_fetch);
    broker_register(b, API_LIST_GROUPS, 0, GROUP_LIST_MAX, handle_list_groups);
    broker_register(b, API_DESCRIBE_GROUPS, 0, GROUP_DESCRIBE_MAX,
                    handle_describe_groups);
}
