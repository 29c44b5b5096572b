/* group_coord.c - the classic consumer-group state machine (layer: broker).
 *
 * Kafka's GroupCoordinator semantics for JoinGroup, SyncGroup, Heartbeat,
 * LeaveGroup and the OffsetCommit generation check, on a clock passed in.
 * It does not touch the wire, the disk or committed offsets.
 *
 *   first join            every member rejoined,
 *  +-------+ ----------> +-----------+  or rebalance timeout +------------+
 *  | Empty |             | Preparing | --------------------> | Completing |
 *  +-------+ <---------- | Rebalance | <-------------------- | Rebalance  |
 *    |      nobody left  +-----------+  join, leave, expiry, +------------+
 *    |      (generation++)  ^      ^    sync timeout               |
 *    | delete               |      |    (parked syncs get 27)      | leader's
 *    v                      |      |                               | SyncGroup
 *  +------+                 |      |  join by a new member, the    v
 *  | Dead |                 |      +- leader or with changed -- +--------+
 *  +------+                 |         metadata                  | Stable |
 *                           +---- leave, session expiry ------- +--------+
 *
 * Invariants:
 *  1. Empty <=> no members. Dead groups are removed from the map at once.
 *  2. generation_id grows by exactly 1 each time a join phase completes,
 *     including one that ends with no members (then the group is Empty).
 *  3. In CompletingRebalance and Stable every member joined the current
 *     generation; leader_id names a member; protocol_name is one that every
 *     member listed.
 *  4. A waiter is parked at most once (join_waiter or sync_waiter of one
 *     member) and every parked waiter gets exactly one callback, unless it
 *     is cancelled or the coordinator destroyed.
 *  5. A parked JoinGroup exists only in PreparingRebalance (awaiting_join);
 *     a parked SyncGroup only in CompletingRebalance.
 *  6. Only the leader's JoinGroup answer carries the member list.
 *  7. Member ids are unique in a group: client_id "-" 36-char uuid.
 */
#include "broker/group_coord.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "base/clock.h"
#include "base/diag.h"
#include "base/hashmap.h"
#include "base/mem.h"

struct gproto {
    char *name;
    uint8_t *meta;
    size_t meta_len;
};

struct gmember {
    char *id;
    char *instance_id; /* NULL = none */
    char *client_id;
    char *client_host;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;
    struct gproto *protocols;
    size_t nprotocols;
    uint8_t *assignment;
    size_t assignment_len;
    int64_t last_seen;
    bool awaiting_join; /* rejoined in the current PreparingRebalance */
    void *join_waiter;  /* may be NULL while awaiting_join (cancelled) */
    bool awaiting_sync;
    void *sync_waiter;
};

struct gpending { /* ids handed out with MEMBER_ID_REQUIRED */
    char *id;
    int64_t expires;
};

struct group {
    char *id;
    enum group_state state;
    int32_t generation;
    char *protocol_type; /* "" when Empty */
    char *protocol_name;
    char *leader; /* "" if none */
    struct gmember **members;
    size_t nmembers, cap;
    struct gpending *pending;
    size_t npending, pending_cap;
    int64_t join_deadline; /* PreparingRebalance: phase ends by then */
    int64_t delay_until;   /* initial rebalance delay */
    int64_t sync_deadline; /* CompletingRebalance */
};

struct group_coord {
    struct group_coord_config cfg;
    struct group_coord_ops ops;
    void *ctx;
    struct hashmap groups; /* id -> struct group * */
    uint64_t rng;
};

static const char *const state_names[] = {
    "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"};

const char *group_state_name(enum group_state s)
{
    if ((unsigned)s > GROUP_DEAD)
        return "Unknown";
    return state_names[s];
}

void group_coord_config_defaults(struct group_coord_config *c)
{
    c->initial_rebalance_delay_ms = 0;
    c->min_session_timeout_ms = 6000;
    c->max_session_timeout_ms = 1800000;
    c->seed = 0;
}

/* --- small helpers ------------------------------------------------------ */

static char *sdup(struct slice s)
{
    return mem_strndup(s.ptr ? (const char *)s.ptr : "", s.len);
}

static bool seq(const char *a, struct slice s)
{
    return strlen(a) == s.len && (s.len == 0 || memcmp(a, s.ptr, s.len) == 0);
}

static uint64_t next_rand(struct group_coord *gc)
{
    /* xorshift64*: member ids need uniqueness, not secrecy. */
    uint64_t x = gc->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    gc->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static char *new_member_id(struct group_coord *gc, struct slice client_id)
{
    uint64_t a = next_rand(gc), b = next_rand(gc);
    char uuid[40];
    snprintf(uuid, sizeof uuid, "%08x-%04x-%04x-%04x-%012" PRIx64,
             (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
             (unsigned)a & 0xffff, (unsigned)(b >> 48),
             (uint64_t)(b & 0xffffffffffffULL));
    size_t n = client_id.len + 1 + strlen(uuid);
    char *id = mem_alloc(n + 1);
    if (client_id.len)
        memcpy(id, client_id.ptr, client_id.len);
    id[client_id.len] = '-';
    memcpy(id + client_id.len + 1, uuid, strlen(uuid) + 1);
    return id;
}

static void member_free_protocols(struct gmember *m)
{
    for (size_t i = 0; i < m->nprotocols; i++) {
        mem_free(m->protocols[i].name);
        mem_free(m->protocols[i].meta);
    }
    mem_free(m->protocols);
    m->protocols = NULL;
    m->nprotocols = 0;
}

static void member_destroy(struct gmember *m)
{
    member_free_protocols(m);
    mem_free(m->id);
    mem_free(m->instance_id);
    mem_free(m->client_id);
    mem_free(m->client_host);
    mem_free(m->assignment);
    mem_free(m);
}

static void member_set_assignment(struct gmember *m, struct slice a)
{
    mem_free(m->assignment);
    m->assignment = NULL;
    m->assignment_len = a.len;
    if (a.len) {
        m->assignment = mem_alloc(a.len);
        memcpy(m->assignment, a.ptr, a.len);
    }
}

/* Same protocols, same order, same metadata bytes. */
static bool member_protocols_equal(const struct gmember *m,
                                   const struct group_join_req *req)
{
    if (m->nprotocols != req->nprotocols)
        return false;
    for (size_t i = 0; i < m->nprotocols; i++) {
        const struct group_protocol *p = &req->protocols[i];
        if (!seq(m->protocols[i].name, p->name) ||
            m->protocols[i].meta_len != p->metadata.len ||
            (p->metadata.len &&
             memcmp(m->protocols[i].meta, p->metadata.ptr, p->metadata.len)))
            return false;
    }
    return true;
}

static void member_update(struct gmember *m, const struct group_join_req *req,
                          int64_t now)
{
    member_free_protocols(m);
    m->protocols =
        mem_calloc(req->nprotocols ? req->nprotocols : 1, sizeof *m->protocols);
    m->nprotocols = req->nprotocols;
    for (size_t i = 0; i < req->nprotocols; i++) {
        const struct group_protocol *p = &req->protocols[i];
        m->protocols[i].name = sdup(p->name);
        m->protocols[i].meta_len = p->metadata.len;
        if (p->metadata.len) {
            m->protocols[i].meta = mem_alloc(p->metadata.len);
            memcpy(m->protocols[i].meta, p->metadata.ptr, p->metadata.len);
        }
    }
    m->session_timeout_ms = req->session_timeout_ms;
    m->rebalance_timeout_ms = req->rebalance_timeout_ms;
    mem_free(m->client_id);
    mem_free(m->client_host);
    m->client_id = sdup(req->client_id);
    m->client_host = sdup(req->client_host);
    m->last_seen = now;
}

static const struct gproto *member_protocol(const struct gmember *m,
                                            const char *name)
{
    for (size_t i = 0; i < m->nprotocols; i++)
        if (strcmp(m->protocols[i].name, name) == 0)
            return &m->protocols[i];
    return NULL;
}

static struct gmember *group_find_member(const struct group *g, struct slice id)
{
    for (size_t i = 0; i < g->nmembers; i++)
        if (seq(g->members[i]->id, id))
            return g->members[i];
    return NULL;
}

static void group_add_member(struct group *g, struct gmember *m)
{
    if (g->nmembers == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 4;
        g->members = mem_realloc(g->members, g->cap * sizeof *g->members);
    }
    g->members[g->nmembers++] = m;
}

static void group_unlink_member(struct group *g, struct gmember *m)
{
    for (size_t i = 0; i < g->nmembers; i++) {
        if (g->members[i] == m) {
            memmove(&g->members[i], &g->members[i + 1],
                    (g->nmembers - i - 1) * sizeof *g->members);
            g->nmembers--;
            return;
        }
    }
}

static void group_set_str(char **field, const char *v)
{
    mem_free(*field);
    *field = mem_strdup(v);
}

static ssize_t pending_find(const struct group *g, struct slice id)
{
    for (size_t i = 0; i < g->npending; i++)
        if (seq(g->pending[i].id, id))
            return (ssize_t)i;
    return -1;
}

static void pending_remove(struct group *g, size_t i)
{
    mem_free(g->pending[i].id);
    g->pending[i] = g->pending[--g->npending];
}

/* Group ids are kept as C strings: an id with a NUL byte (only a hostile
 * client sends one) is the id up to the NUL, for lookups and inserts
 * alike, so the map key always matches the stored string. */
static struct slice id_cut(struct slice id)
{
    if (id.ptr)
        id.len = strnlen((const char *)id.ptr, id.len);
    return id;
}

static struct group *group_get(const struct group_coord *gc, struct slice id)
{
    id = id_cut(id);
    return hashmap_get(&gc->groups, id.ptr ? id.ptr : (const void *)"", id.len);
}

static struct group *group_new(struct group_coord *gc, struct slice id)
{
    struct group *g = mem_calloc(1, sizeof *g);
    id = id_cut(id);
    g->id = sdup(id);
    g->state = GROUP_EMPTY;
    g->protocol_type = mem_strdup("");
    g->protocol_name = mem_strdup("");
    g->leader = mem_strdup("");
    hashmap_put(&gc->groups, g->id, id.len, g);
    return g;
}

static void group_free(struct group *g)
{
    for (size_t i = 0; i < g->nmembers; i++)
        member_destroy(g->members[i]);
    for (size_t i = 0; i < g->npending; i++)
        mem_free(g->pending[i].id);
    mem_free(g->pending);
    mem_free(g->members);
    mem_free(g->id);
    mem_free(g->protocol_type);
    mem_free(g->protocol_name);
    mem_free(g->leader);
    mem_free(g);
}

/* --- answers ------------------------------------------------------------ */

static void join_error(struct group_coord *gc, void *waiter, int16_t err,
                       const char *member_id, const char *protocol_type)
{
    struct group_join_result r = {0};
    r.error = err;
    r.generation_id = -1;
    r.protocol_type = protocol_type ? protocol_type : "";
    r.protocol_name = "";
    r.leader_id = "";
    r.member_id = member_id ? member_id : "";
    if (waiter)
        gc->ops.join_done(gc->ctx, waiter, &r);
}

static void join_error_slice(struct group_coord *gc, void *waiter, int16_t err,
                             struct slice member_id)
{
    char *id = sdup(member_id);
    join_error(gc, waiter, err, id, NULL);
    mem_free(id);
}

/* Answers m's join with the current generation; the leader gets members. */
static void join_answer(struct group_coord *gc, struct group *g,
                        struct gmember *m, void *waiter)
{
    struct group_join_result r = {0};
    struct group_join_member *list = NULL;
    r.error = GROUP_ERR_NONE;
    r.generation_id = g->generation;
    r.protocol_type = g->protocol_type;
    r.protocol_name = g->protocol_name;
    r.leader_id = g->leader;
    r.member_id = m->id;
    if (strcmp(m->id, g->leader) == 0) {
        list = mem_calloc(g->nmembers, sizeof *list);
        for (size_t i = 0; i < g->nmembers; i++) {
            const struct gmember *o = g->members[i];
            const struct gproto *p = member_protocol(o, g->protocol_name);
            list[i].member_id = o->id;
            list[i].instance_id = o->instance_id;
            if (p)
                list[i].metadata = slice_make(p->meta, p->meta_len);
        }
        r.nmembers = g->nmembers;
        r.members = list;
    }
    if (waiter)
        gc->ops.join_done(gc->ctx, waiter, &r);
    mem_free(list);
}

static void sync_answer(struct group_coord *gc, void *waiter, int16_t err,
                        struct slice a)
{
    if (waiter)
        gc->ops.sync_done(gc->ctx, waiter, err, a);
}

/* --- the state machine --------------------------------------------------- */

static int32_t group_max_rebalance_timeout(const struct group *g)
{
    int32_t t = 0;
    for (size_t i = 0; i < g->nmembers; i++)
        if (g->members[i]->rebalance_timeout_ms > t)
            t = g->members[i]->rebalance_timeout_ms;
    return t;
}

/* Parked syncs of the generation being abandoned get REBALANCE_IN_PROGRESS. */
static void fail_parked_syncs(struct group_coord *gc, struct group *g)
{
    for (size_t i = 0; i < g->nmembers; i++) {
        struct gmember *m = g->members[i];
        if (m->awaiting_sync) {
            void *w = m->sync_waiter;
            m->awaiting_sync = false;
            m->sync_waiter = NULL;
            sync_answer(gc, w, GROUP_ERR_REBALANCE_IN_PROGRESS,
                        slice_make(NULL, 0));
        }
    }
}

static void prepare_rebalance(struct group_coord *gc, struct group *g,
                              int64_t now)
{
    if (g->state == GROUP_COMPLETING_REBALANCE)
        fail_parked_syncs(gc, g);
    if (g->state == GROUP_PREPARING_REBALANCE)
        return;
    int64_t timeout = group_max_rebalance_timeout(g);
    if (g->state == GROUP_EMPTY) {
        int64_t d = gc->cfg.initial_rebalance_delay_ms;
        g->delay_until = now + (d < timeout ? d : timeout);
    } else {
        g->delay_until = now;
    }
    g->join_deadline = now + timeout;
    g->state = GROUP_PREPARING_REBALANCE;
    diag_debug("group %s: preparing rebalance (generation %" PRId32 ")", g->id,
               g->generation);
}

/* Protocol every member supports, by members' first-choice votes. */
static const char *select_protocol(const struct group *g)
{
    const struct gmember *first = g->members[0];
    const char *best = NULL;
    size_t best_votes = 0;
    for (size_t c = 0; c < first->nprotocols; c++) {
        const char *cand = first->protocols[c].name;
        bool everyone = true;
        for (size_t i = 1; i < g->nmembers && everyone; i++)
            everyone = member_protocol(g->members[i], cand) != NULL;
        if (!everyone)
            continue;
        size_t votes = 0;
        for (size_t i = 0; i < g->nmembers; i++) {
            const struct gmember *m = g->members[i];
            /* m votes for its first-listed candidate. */
            for (size_t k = 0; k < m->nprotocols; k++) {
                const char *n = m->protocols[k].name;
                bool cand_ok = true;
                for (size_t j = 0; j < g->nmembers && cand_ok; j++)
                    cand_ok = member_protocol(g->members[j], n) != NULL;
                if (cand_ok) {
                    if (strcmp(n, cand) == 0)
                        votes++;
                    break;
                }
            }
        }
        if (!best || votes > best_votes) {
            best = cand;
            best_votes = votes;
        }
    }
    return best;
}

/* Would m's protocols leave the group with a common protocol? */
static bool protocols_compatible(const struct group *g,
                                 const struct group_join_req *req,
                                 const struct gmember *self)
{
    bool any_other = false;
    for (size_t i = 0; i < g->nmembers; i++)
        if (g->members[i] != self)
            any_other = true;
    if (!any_other)
        return req->nprotocols > 0;
    for (size_t p = 0; p < req->nprotocols; p++) {
        char *name = sdup(req->protocols[p].name);
        bool everyone = true;
        for (size_t i = 0; i < g->nmembers && everyone; i++)
            if (g->members[i] != self)
                everyone = member_protocol(g->members[i], name) != NULL;
        mem_free(name);
        if (everyone)
            return true;
    }
    return false;
}

static void remove_member(struct group_coord *gc, struct group *g,
                          struct gmember *m, int64_t now);

/* Ends the join phase (invariant 2): drop members that did not rejoin,
 * bump the generation, choose protocol and leader, answer every join. */
static void complete_join(struct group_coord *gc, struct group *g, int64_t now)
{
    for (size_t i = 0; i < g->nmembers;) {
        struct gmember *m = g->members[i];
        if (!m->awaiting_join) {
            group_unlink_member(g, m);
            diag_debug("group %s: member %s did not rejoin", g->id, m->id);
            member_destroy(m);
            continue;
        }
        i++;
    }
    g->generation++;
    if (g->nmembers == 0) {
        g->state = GROUP_EMPTY;
        /* Kafka keeps the protocol type of an emptied group. */
        group_set_str(&g->protocol_name, "");
        group_set_str(&g->leader, "");
        return;
    }
    const char *proto = select_protocol(g);
    group_set_str(&g->protocol_name, proto ? proto : "");
    if (!group_find_member(g, slice_make(g->leader, strlen(g->leader))))
        group_set_str(&g->leader, g->members[0]->id);
    g->state = GROUP_COMPLETING_REBALANCE;
    g->sync_deadline = now + group_max_rebalance_timeout(g);
    diag_info("group %s: generation %" PRId32 " with %zu member(s), "
              "protocol %s, leader %s",
              g->id, g->generation, g->nmembers, g->protocol_name, g->leader);
    /* Answer in member order; callbacks may not re-enter, so the member
     * array is stable while we walk it. */
    for (size_t i = 0; i < g->nmembers; i++) {
        struct gmember *m = g->members[i];
        void *w = m->join_waiter;
        m->awaiting_join = false;
        m->join_waiter = NULL;
        m->last_seen = now;
        member_set_assignment(m, slice_make(NULL, 0));
        join_answer(gc, g, m, w);
    }
}

static void try_complete_join(struct group_coord *gc, struct group *g,
                              int64_t now)
{
    if (g->state != GROUP_PREPARING_REBALANCE)
        return;
    bool all = true;
    for (size_t i = 0; i < g->nmembers && all; i++)
        all = g->members[i]->awaiting_join;
    if ((all && now >= g->delay_until) || now >= g->join_deadline)
        complete_join(gc, g, now);
}

static void remove_member(struct group_coord *gc, struct group *g,
                          struct gmember *m, int64_t now)
{
    group_unlink_member(g, m);
    if (m->awaiting_join)
        join_error(gc, m->join_waiter, GROUP_ERR_UNKNOWN_MEMBER_ID, m->id,
                   NULL);
    if (m->awaiting_sync)
        sync_answer(gc, m->sync_waiter, GROUP_ERR_UNKNOWN_MEMBER_ID,
                    slice_make(NULL, 0));
    member_destroy(m);
    switch (g->state) {
    case GROUP_STABLE:
    case GROUP_COMPLETING_REBALANCE:
        prepare_rebalance(gc, g, now);
        try_complete_join(gc, g, now);
        break;
    case GROUP_PREPARING_REBALANCE:
        try_complete_join(gc, g, now);
        break;
    default:
        break;
    }
}

void group_coord_create(const struct group_coord_config *cfg,
                        const struct group_coord_ops *ops, void *ctx,
                        struct group_coord **out)
{
    struct group_coord *gc = mem_calloc(1, sizeof *gc);
    if (cfg)
        gc->cfg = *cfg;
    else
        group_coord_config_defaults(&gc->cfg);
    gc->ops = *ops;
    gc->ctx = ctx;
    hashmap_init(&gc->groups);
    gc->rng = gc->cfg.seed ? gc->cfg.seed
                           : (uint64_t)clock_mono_ns() ^ 0x9E3779B97F4A7C15ULL;
    if (!gc->rng)
        gc->rng = 1;
    *out = gc;
}

void group_coord_destroy(struct group_coord *gc)
{
    if (!gc)
        return;
    struct hashmap_entry *e;
    for (size_t it = 0; hashmap_next(&gc->groups, &it, &e);)
        group_free(e->value);
    hashmap_fini(&gc->groups);
    mem_free(gc);
}

/* A known member (m) rejoins: answer at once when nothing changed,
 * otherwise park its join and (re)start the join phase. */
static void rejoin(struct group_coord *gc, struct group *g, struct gmember *m,
                   const struct group_join_req *req, int64_t now, void *waiter)
{
    if (m->awaiting_join) {
        /* A second join while one is parked (a client retry): the
         * newer request replaces the older, which is told to rejoin. */
        void *old = m->join_waiter;
        m->join_waiter = NULL;
        join_error(gc, old, GROUP_ERR_REBALANCE_IN_PROGRESS, m->id,
                   g->protocol_type);
    }
    bool same = member_protocols_equal(m, req);
    bool leader = strcmp(m->id, g->leader) == 0;
    if (g->state == GROUP_STABLE && same && !leader) {
        /* Kafka answers an unchanged follower with the current
         * generation, without a rebalance. */
        m->last_seen = now;
        join_answer(gc, g, m, waiter);
        return;
    }
    if (g->state == GROUP_COMPLETING_REBALANCE && same) {
        /* It lost our answer: send it again. */
        m->last_seen = now;
        join_answer(gc, g, m, waiter);
        return;
    }
    member_update(m, req, now);
    m->awaiting_join = true;
    m->join_waiter = waiter;
    prepare_rebalance(gc, g, now);
    try_complete_join(gc, g, now);
}

static struct gmember *find_instance(const struct group *g, struct slice id)
{
    for (size_t i = 0; i < g->nmembers; i++)
        if (g->members[i]->instance_id && seq(g->members[i]->instance_id, id))
            return g->members[i];
    return NULL;
}

/* A static member (group.instance.id) came back with no member id: it gets
 * a new id in place of the old one (KIP-345), keeping its assignment; the
 * old id's parked requests are fenced. */
static void static_replace(struct group_coord *gc, struct group *g,
                           struct gmember *m, struct slice client_id)
{
    char *id = new_member_id(gc, client_id);
    if (m->awaiting_join) {
        void *w = m->join_waiter;
        m->join_waiter = NULL;
        m->awaiting_join = false;
        join_error(gc, w, GROUP_ERR_FENCED_INSTANCE_ID, m->id,
                   g->protocol_type);
    }
    if (m->awaiting_sync) {
        void *w = m->sync_waiter;
        m->sync_waiter = NULL;
        m->awaiting_sync = false;
        sync_answer(gc, w, GROUP_ERR_FENCED_INSTANCE_ID, slice_make(NULL, 0));
    }
    diag_info("group %s: static member %s now %s", g->id, m->instance_id, id);
    if (strcmp(g->leader, m->id) == 0)
        group_set_str(&g->leader, id);
    mem_free(m->id);
    m->id = id;
}

void group_coord_join(struct group_coord *gc, const struct group_join_req *req,
                      int64_t now, void *waiter)
{
    if (req->group_id.len == 0) {
        join_error_slice(gc, waiter, GROUP_ERR_INVALID_GROUP_ID,
                         req->member_id);
        return;
    }
    if (req->session_timeout_ms < gc->cfg.min_session_timeout_ms ||
        req->session_timeout_ms > gc->cfg.max_session_timeout_ms) {
        join_error_slice(gc, waiter, GROUP_ERR_INVALID_SESSION_TIMEOUT,
                         req->member_id);
        return;
    }
    struct group *g = group_get(gc, req->group_id);
    if (!g) {
        if (req->member_id.len) {
            join_error_slice(gc, waiter, GROUP_ERR_UNKNOWN_MEMBER_ID,
                             req->member_id);
            return;
        }
        g = group_new(gc, req->group_id);
    }
    /* Protocol type and a common protocol (Kafka's isValidMember check). */
    struct gmember *m = group_find_member(g, req->member_id);
    if (req->nprotocols == 0 || req->protocol_type.len == 0 ||
        (g->nmembers > 0 && !seq(g->protocol_type, req->protocol_type)) ||
        !protocols_compatible(g, req, m)) {
        join_error_slice(gc, waiter, GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL,
                         req->member_id);
        return;
    }
    if (g->state == GROUP_DEAD) {
        join_error_slice(gc, waiter, GROUP_ERR_COORDINATOR_NOT_AVAILABLE,
                         req->member_id);
        return;
    }

    if (req->member_id.len == 0 && req->instance_id.ptr) {
        struct gmember *old = find_instance(g, req->instance_id);
        if (old) {
            static_replace(gc, g, old, req->client_id);
            rejoin(gc, g, old, req, now, waiter);
            return;
        }
    }
    if (req->member_id.len == 0) {
        char *id = new_member_id(gc, req->client_id);
        if (req->require_known_member_id && req->instance_id.ptr == NULL) {
            /* KIP-394: hand out the id and wait for the rejoin with it. */
            if (g->npending == g->pending_cap) {
                g->pending_cap = g->pending_cap ? g->pending_cap * 2 : 4;
                g->pending = mem_realloc(g->pending,
                                         g->pending_cap * sizeof *g->pending);
            }
            g->pending[g->npending].id = id;
            g->pending[g->npending].expires = now + req->session_timeout_ms;
            g->npending++;
            join_error(gc, waiter, GROUP_ERR_MEMBER_ID_REQUIRED, id,
                       g->protocol_type);
            return;
        }
        m = mem_calloc(1, sizeof *m);
        m->id = id;
    } else if (!m) {
        ssize_t pi = pending_find(g, req->member_id);
        if (pi < 0) {
            join_error_slice(gc, waiter, GROUP_ERR_UNKNOWN_MEMBER_ID,
                             req->member_id);
            return;
        }
        m = mem_calloc(1, sizeof *m);
        m->id = g->pending[pi].id;
        g->pending[pi].id = NULL;
        pending_remove(g, (size_t)pi);
    } else {
        rejoin(gc, g, m, req, now, waiter);
        return;
    }

    /* A new member. */
    if (req->instance_id.ptr)
        m->instance_id = sdup(req->instance_id);
    member_update(m, req, now);
    m->awaiting_join = true;
    m->join_waiter = waiter;
    if (g->nmembers == 0)
        group_set_str(&g->protocol_type, "");
    group_add_member(g, m);
    if (g->protocol_type[0] == '\0') {
        char *pt = sdup(req->protocol_type);
        group_set_str(&g->protocol_type, pt);
        mem_free(pt);
    }
    prepare_rebalance(gc, g, now);
    try_complete_join(gc, g, now);
}

void group_coord_sync(struct group_coord *gc, struct slice group_id,
                      int32_t generation_id, struct slice member_id,
                      size_t nassignments,
                      const struct group_assignment *assignments, int64_t now,
                      void *waiter)
{
    struct slice none = slice_make(NULL, 0);
    struct group *g = group_get(gc, group_id);
    if (!g) {
        sync_answer(gc, waiter, GROUP_ERR_UNKNOWN_MEMBER_ID, none);
        return;
    }
    struct gmember *m = group_find_member(g, member_id);
    if (!m) {
        sync_answer(gc, waiter, GROUP_ERR_UNKNOWN_MEMBER_ID, none);
        return;
    }
    if (generation_id != g->generation) {
        sync_answer(gc, waiter, GROUP_ERR_ILLEGAL_GENERATION, none);
        return;
    }
    m->last_seen = now;
    switch (g->state) {
    case GROUP_EMPTY:
    case GROUP_DEAD:
        sync_answer(gc, waiter, GROUP_ERR_UNKNOWN_MEMBER_ID, none);
        return;
    case GROUP_PREPARING_REBALANCE:
        sync_answer(gc, waiter, GROUP_ERR_REBALANCE_IN_PROGRESS, none);
        return;
    case GROUP_STABLE:
        sync_answer(gc, waiter, GROUP_ERR_NONE,
                    slice_make(m->assignment, m->assignment_len));
        return;
    case GROUP_COMPLETING_REBALANCE:
        break;
    }
    if (m->awaiting_sync) {
        void *old = m->sync_waiter;
        m->sync_waiter = NULL;
        sync_answer(gc, old, GROUP_ERR_REBALANCE_IN_PROGRESS, none);
    }
    m->awaiting_sync = true;
    m->sync_waiter = waiter;
    if (strcmp(m->id, g->leader) != 0)
        return;
    /* The leader: store everyone's assignment, answer every parked sync. */
    for (size_t i = 0; i < g->nmembers; i++)
        member_set_assignment(g->members[i], none);
    for (size_t a = 0; a < nassignments; a++) {
        struct gmember *o = group_find_member(g, assignments[a].member_id);
        if (o)
            member_set_assignment(o, assignments[a].assignment);
    }
    g->state = GROUP_STABLE;
    for (size_t i = 0; i < g->nmembers; i++) {
        struct gmember *o = g->members[i];
        if (o->awaiting_sync) {
            void *w = o->sync_waiter;
            o->awaiting_sync = false;
            o->sync_waiter = NULL;
            sync_answer(gc, w, GROUP_ERR_NONE,
                        slice_make(o->assignment, o->assignment_len));
        }
    }
}

int16_t group_coord_heartbeat(struct group_coord *gc, struct slice group_id,
                              int32_t generation_id, struct slice member_id,
                              int64_t now)
{
    struct group *g = group_get(gc, group_id);
    if (!g)
        return GROUP_ERR_UNKNOWN_MEMBER_ID;
    if (g->state == GROUP_DEAD)
        return GROUP_ERR_COORDINATOR_NOT_AVAILABLE;
    struct gmember *m = group_find_member(g, member_id);
    if (!m)
        return GROUP_ERR_UNKNOWN_MEMBER_ID;
    if (generation_id != g->generation)
        return GROUP_ERR_ILLEGAL_GENERATION;
    m->last_seen = now;
    switch (g->state) {
    case GROUP_PREPARING_REBALANCE:
        return GROUP_ERR_REBALANCE_IN_PROGRESS;
    case GROUP_EMPTY:
        return GROUP_ERR_UNKNOWN_MEMBER_ID;
    default:
        return GROUP_ERR_NONE;
    }
}

int16_t group_coord_leave(struct group_coord *gc, struct slice group_id,
                          struct slice member_id, int64_t now)
{
    struct group *g = group_get(gc, group_id);
    if (!g)
        return GROUP_ERR_UNKNOWN_MEMBER_ID;
    if (g->state == GROUP_DEAD)
        return GROUP_ERR_COORDINATOR_NOT_AVAILABLE;
    ssize_t pi = pending_find(g, member_id);
    if (pi >= 0) {
        pending_remove(g, (size_t)pi);
        return GROUP_ERR_NONE;
    }
    struct gmember *m = group_find_member(g, member_id);
    if (!m)
        return GROUP_ERR_UNKNOWN_MEMBER_ID;
    diag_debug("group %s: member %s leaves", g->id, m->id);
    remove_member(gc, g, m, now);
    return GROUP_ERR_NONE;
}

int16_t group_coord_leave_member(struct group_coord *gc, struct slice group_id,
                                 struct slice member_id,
                                 struct slice instance_id, int64_t now)
{
    if (!instance_id.ptr)
        return group_coord_leave(gc, group_id, member_id, now);
    struct group *g = group_get(gc, group_id);
    if (!g)
        return GROUP_ERR_UNKNOWN_MEMBER_ID;
    if (g->state == GROUP_DEAD)
        return GROUP_ERR_COORDINATOR_NOT_AVAILABLE;
    struct gmember *m = find_instance(g, instance_id);
    if (!m)
        return GROUP_ERR_UNKNOWN_MEMBER_ID;
    /* An empty member id (kafka-consumer-groups' --remove-members) leaves
     * by instance id alone; another id is a fenced old incarnation. */
    if (member_id.len && !seq(m->id, member_id))
        return GROUP_ERR_FENCED_INSTANCE_ID;
    diag_debug("group %s: static member %s leaves", g->id, m->instance_id);
    remove_member(gc, g, m, now);
    return GROUP_ERR_NONE;
}

int16_t group_coord_commit_check(struct group_coord *gc, struct slice group_id,
                                 int32_t generation_id, struct slice member_id,
                                 int64_t now)
{
    if (group_id.len == 0)
        return GROUP_ERR_INVALID_GROUP_ID;
    struct group *g = group_get(gc, group_id);
    if (!g) {
        if (generation_id < 0) {
            group_new(gc, group_id);
            return GROUP_ERR_NONE;
        }
        return GROUP_ERR_ILLEGAL_GENERATION;
    }
    if (g->state == GROUP_DEAD)
        return GROUP_ERR_COORDINATOR_NOT_AVAILABLE;
    if (generation_id < 0 && g->state == GROUP_EMPTY)
        return GROUP_ERR_NONE;
    if (g->state == GROUP_COMPLETING_REBALANCE)
        return GROUP_ERR_REBALANCE_IN_PROGRESS;
    struct gmember *m = group_find_member(g, member_id);
    if (!m)
        return GROUP_ERR_UNKNOWN_MEMBER_ID;
    if (generation_id != g->generation)
        return GROUP_ERR_ILLEGAL_GENERATION;
    m->last_seen = now;
    return GROUP_ERR_NONE;
}

void group_coord_ensure(struct group_coord *gc, struct slice group_id)
{
    if (group_id.len && !group_get(gc, group_id))
        group_new(gc, group_id);
}

static void group_tick(struct group_coord *gc, struct group *g, int64_t now)
{
    for (size_t i = 0; i < g->npending;) {
        if (now >= g->pending[i].expires)
            pending_remove(g, i);
        else
            i++;
    }
    /* Session expiry. A member parked in a join is held until the join
     * phase ends (Kafka keeps awaiting members alive). */
    for (size_t i = 0; i < g->nmembers;) {
        struct gmember *m = g->members[i];
        if (!m->awaiting_join &&
            now - m->last_seen >= (int64_t)m->session_timeout_ms) {
            diag_info("group %s: member %s session expired", g->id, m->id);
            remove_member(gc, g, m, now);
            i = 0; /* the array may have changed a lot */
            continue;
        }
        i++;
    }
    if (g->state == GROUP_PREPARING_REBALANCE)
        try_complete_join(gc, g, now);
    else if (g->state == GROUP_COMPLETING_REBALANCE &&
             now >= g->sync_deadline) {
        diag_info("group %s: leader %s did not sync in time", g->id, g->leader);
        prepare_rebalance(gc, g, now);
        try_complete_join(gc, g, now);
    }
}

void group_coord_tick(struct group_coord *gc, int64_t now)
{
    struct hashmap_entry *e;
    for (size_t it = 0; hashmap_next(&gc->groups, &it, &e);)
        group_tick(gc, e->value, now);
}

void group_coord_abort_parked(struct group_coord *gc, int16_t error)
{
    struct hashmap_entry *e;
    for (size_t it = 0; hashmap_next(&gc->groups, &it, &e);) {
        struct group *g = e->value;
        for (size_t i = 0; i < g->nmembers; i++) {
            struct gmember *m = g->members[i];
            if (m->awaiting_join && m->join_waiter) {
                void *w = m->join_waiter;
                m->join_waiter = NULL;
                join_error(gc, w, error, m->id, g->protocol_type);
            }
            if (m->awaiting_sync && m->sync_waiter) {
                void *w = m->sync_waiter;
                m->sync_waiter = NULL;
                sync_answer(gc, w, error, slice_make(NULL, 0));
            }
        }
    }
}

void group_coord_cancel(struct group_coord *gc, void *waiter)
{
    if (!waiter)
        return;
    struct hashmap_entry *e;
    for (size_t it = 0; hashmap_next(&gc->groups, &it, &e);) {
        struct group *g = e->value;
        for (size_t i = 0; i < g->nmembers; i++) {
            struct gmember *m = g->members[i];
            if (m->join_waiter == waiter)
                m->join_waiter = NULL;
            if (m->sync_waiter == waiter)
                m->sync_waiter = NULL;
        }
    }
}

int16_t group_coord_delete(struct group_coord *gc, struct slice group_id)
{
    struct group *g = group_get(gc, group_id);
    if (!g)
        return GROUP_ERR_GROUP_ID_NOT_FOUND;
    if (g->nmembers)
        return 68; /* NON_EMPTY_GROUP */
    g->state = GROUP_DEAD;
    hashmap_remove(&gc->groups, g->id, strlen(g->id));
    group_free(g);
    return GROUP_ERR_NONE;
}

/* --- views -------------------------------------------------------------- */

static void fill_info(const struct group *g, struct group_info *out)
{
    out->group_id = g->id;
    out->state = g->state;
    out->generation_id = g->generation;
    out->protocol_type = g->protocol_type;
    out->protocol_name = g->protocol_name;
    out->leader_id = g->leader;
    out->nmembers = g->nmembers;
}

bool group_coord_describe(const struct group_coord *gc, struct slice group_id,
                          struct group_info *out)
{
    const struct group *g = group_get(gc, group_id);
    if (!g)
        return false;
    fill_info(g, out);
    return true;
}

void group_coord_member(const struct group_coord *gc, struct slice group_id,
                        size_t i, struct group_member_info *out)
{
    memset(out, 0, sizeof *out);
    const struct group *g = group_get(gc, group_id);
    if (!g || i >= g->nmembers)
        return;
    const struct gmember *m = g->members[i];
    const struct gproto *p = member_protocol(m, g->protocol_name);
    out->member_id = m->id;
    out->instance_id = m->instance_id;
    out->client_id = m->client_id ? m->client_id : "";
    out->client_host = m->client_host ? m->client_host : "";
    if (p)
        out->metadata = slice_make(p->meta, p->meta_len);
    out->assignment = slice_make(m->assignment, m->assignment_len);
}

bool group_coord_next(const struct group_coord *gc, size_t *iter,
                      struct group_info *out)
{
    struct hashmap_entry *e;
    if (!hashmap_next(&gc->groups, iter, &e))
        return false;
    fill_info(e->value, out);
    return true;
}
