/* group_consumer.c - KIP-848 consumer groups: membership, the "uniform"
 * server-side assignor and per-member reconciliation (layer: broker). The
 * rules are in group_consumer.h.
 *
 * Invariants:
 *   1. A partition is in at most one member's `assigned` or `revoking`
 *      set: a member only gets a partition no other member holds in either
 *      (owned_elsewhere), and `revoking` empties only when the member's
 *      heartbeat no longer lists those partitions as owned.
 *   2. assignment_epoch <= epoch; every member's target is the assignor's
 *      answer at assignment_epoch; a member's epoch is at most it.
 *   3. A member's epoch moves to the assignment epoch only once nothing it
 *      was told to give up is still owned by it (its `assigned` is then a
 *      subset of its target).
 */
#include "broker/group_consumer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/clock.h"
#include "base/diag.h"
#include "base/hashmap.h"
#include "base/mem.h"
#include "broker/broker_acl.h"
#include "broker/broker_int.h"
#include "kafka/kafka_proto.h"
#include "log/logdir.h"

struct tp {
    uint8_t id[16];
    int32_t p;
};

struct tpset {
    struct tp *v;
    size_t n, cap;
};

struct member {
    char *id, *instance_id, *rack_id, *client_id, *client_host;
    int32_t epoch, prev_epoch;
    int32_t rebalance_timeout_ms;
    char **topics;
    size_t ntopics;
    struct tpset assigned; /* what it was last told it owns */
    struct tpset revoking; /* taken away, not yet acknowledged */
    struct tpset target;   /* the assignor's, at the assignment epoch */
    struct tpset owned;    /* as its last heartbeat reported */
    bool send;             /* the next answer carries the assignment */
    int64_t last_seen, revoke_deadline;
};

struct cgroup {
    char *id;
    int32_t epoch, assignment_epoch;
    struct member **members;
    size_t n, cap;
    uint64_t meta_hash;
};

struct cgroups {
    struct hashmap groups; /* id -> struct cgroup */
};

/* --- partition sets ------------------------------------------------------ */

static bool tp_eq(const struct tp *a, const struct tp *b)
{
    return a->p == b->p && memcmp(a->id, b->id, 16) == 0;
}

static bool set_has(const struct tpset *s, const struct tp *t)
{
    for (size_t i = 0; i < s->n; i++)
        if (tp_eq(&s->v[i], t))
            return true;
    return false;
}

static void set_add(struct tpset *s, const struct tp *t)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 8;
        s->v = mem_realloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = *t;
}

static void set_free(struct tpset *s)
{
    mem_free(s->v);
    memset(s, 0, sizeof(*s));
}

static int tp_cmp(const void *a, const void *b)
{
    const struct tp *x = a, *y = b;
    int c = memcmp(x->id, y->id, 16);
    return c ? c : (x->p > y->p) - (x->p < y->p);
}

/* --- groups and members -------------------------------------------------- */

void cgroups_create(struct cgroups **out)
{
    struct cgroups *cg = mem_calloc(1, sizeof(*cg));
    hashmap_init(&cg->groups);
    *out = cg;
}

static void member_free(struct member *m)
{
    mem_free(m->id);
    mem_free(m->instance_id);
    mem_free(m->rack_id);
    mem_free(m->client_id);
    mem_free(m->client_host);
    for (size_t i = 0; i < m->ntopics; i++)
        mem_free(m->topics[i]);
    mem_free(m->topics);
    set_free(&m->assigned);
    set_free(&m->revoking);
    set_free(&m->target);
    set_free(&m->owned);
    mem_free(m);
}

void cgroups_destroy(struct cgroups *cg)
{
    if (!cg)
        return;
    struct hashmap_entry *e;
    for (size_t it = 0; hashmap_next(&cg->groups, &it, &e);) {
        struct cgroup *g = e->value;
        for (size_t i = 0; i < g->n; i++)
            member_free(g->members[i]);
        mem_free(g->members);
        mem_free(g->id);
        mem_free(g);
    }
    hashmap_fini(&cg->groups);
    mem_free(cg);
}

static struct cgroup *group_get(const struct cgroups *cg, struct slice id)
{
    return hashmap_get(&cg->groups, id.ptr ? id.ptr : (const uint8_t *)"",
                       id.len);
}

bool cgroups_exists(const struct cgroups *cg, struct slice group_id,
                    bool *has_members)
{
    struct cgroup *g = group_get(cg, group_id);
    if (has_members)
        *has_members = g && g->n > 0;
    return g != NULL;
}

static struct member *member_find(const struct cgroup *g, struct slice id)
{
    for (size_t i = 0; i < g->n; i++)
        if (strlen(g->members[i]->id) == id.len &&
            memcmp(g->members[i]->id, id.ptr, id.len) == 0)
            return g->members[i];
    return NULL;
}

static void member_remove(struct cgroup *g, struct member *m, const char *why)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->members[i] == m) {
            memmove(&g->members[i], &g->members[i + 1],
                    (g->n - i - 1) * sizeof(*g->members));
            g->n--;
            break;
        }
    diag_info("consumer group %s: member %s %s", g->id, m->id, why);
    member_free(m);
    g->epoch++;
}

static char *sdup(struct slice s)
{
    if (!s.ptr)
        return NULL;
    char *p = mem_alloc(s.len + 1);
    memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    return p;
}

static bool subscribed(const struct member *m, const char *topic)
{
    for (size_t i = 0; i < m->ntopics; i++)
        if (strcmp(m->topics[i], topic) == 0)
            return true;
    return false;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int member_cmp(const void *a, const void *b)
{
    return strcmp((*(struct member *const *)a)->id,
                  (*(struct member *const *)b)->id);
}

/* The sorted union of the members' subscriptions (borrowed strings). */
static char **topic_union(const struct cgroup *g, size_t *n)
{
    size_t total = 0;
    for (size_t i = 0; i < g->n; i++)
        total += g->members[i]->ntopics;
    char **v = mem_alloc((total ? total : 1) * sizeof(*v));
    size_t k = 0;
    for (size_t i = 0; i < g->n; i++)
        for (size_t j = 0; j < g->members[i]->ntopics; j++)
            v[k++] = g->members[i]->topics[j];
    qsort(v, k, sizeof(*v), str_cmp);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || strcmp(v[u - 1], v[i]) != 0)
            v[u++] = v[i];
    *n = u;
    return v;
}

/* A hash of the subscribed topics' ids and partition counts: a topic
 * created, grown or deleted changes it. */
static uint64_t meta_hash(const struct cgroup *g, struct logdir *ld)
{
    size_t n;
    char **names = topic_union(g, &n);
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        struct logdir_topic_config c;
        int32_t parts = -1;
        uint8_t id[16] = {0};
        if (ld && logdir_topic_config(ld, names[i], &c) == 0) {
            parts = c.partitions;
            memcpy(id, c.id, 16);
        }
        h = (h ^ hashmap_hash(names[i], strlen(names[i]))) * 1099511628211ULL;
        h = (h ^ hashmap_hash(id, 16)) * 1099511628211ULL;
        h = (h ^ (uint64_t)(uint32_t)parts) * 1099511628211ULL;
    }
    mem_free(names);
    return h;
}

/* The "uniform" assignor: every partition of the subscribed topics (topics
 * by name, partitions in order) dealt round-robin over the members
 * subscribed to its topic, sorted by member id. */
static void compute_target(struct cgroup *g, struct logdir *ld)
{
    size_t nt;
    char **names = topic_union(g, &nt);
    struct member **ms = mem_alloc((g->n ? g->n : 1) * sizeof(*ms));
    memcpy(ms, g->members, g->n * sizeof(*ms));
    qsort(ms, g->n, sizeof(*ms), member_cmp);
    struct member **elig = mem_alloc((g->n ? g->n : 1) * sizeof(*elig));
    for (size_t i = 0; i < g->n; i++)
        ms[i]->target.n = 0;
    size_t rr = 0;
    for (size_t t = 0; t < nt; t++) {
        struct logdir_topic_config c;
        if (!ld || logdir_topic_config(ld, names[t], &c) < 0)
            continue;
        size_t ne = 0;
        for (size_t i = 0; i < g->n; i++)
            if (subscribed(ms[i], names[t]))
                elig[ne++] = ms[i];
        for (int32_t p = 0; ne && p < c.partitions; p++) {
            struct tp x;
            memcpy(x.id, c.id, 16);
            x.p = p;
            set_add(&elig[rr++ % ne]->target, &x);
        }
    }
    mem_free(elig);
    mem_free(ms);
    mem_free(names);
    g->assignment_epoch = g->epoch;
}

static bool owned_elsewhere(const struct cgroup *g, const struct member *m,
                            const struct tp *x)
{
    for (size_t i = 0; i < g->n; i++) {
        const struct member *o = g->members[i];
        if (o != m && (set_has(&o->assigned, x) || set_has(&o->revoking, x)))
            return true;
    }
    return false;
}

/* One step of the member towards its target (CurrentAssignmentBuilder). */
static void reconcile(struct cgroup *g, struct member *m, int64_t now)
{
    if (m->revoking.n > 0) {
        for (size_t i = 0; i < m->revoking.n; i++)
            if (set_has(&m->owned, &m->revoking.v[i]))
                return; /* still owned: wait for the next heartbeat */
        m->revoking.n = 0;
    }
    if (m->epoch != g->assignment_epoch) {
        struct tpset keep = {0};
        for (size_t i = 0; i < m->assigned.n; i++) {
            if (set_has(&m->target, &m->assigned.v[i]))
                set_add(&keep, &m->assigned.v[i]);
            else
                set_add(&m->revoking, &m->assigned.v[i]);
        }
        set_free(&m->assigned);
        m->assigned = keep;
        if (m->revoking.n > 0) {
            /* Give these up first (the epoch stays). */
            m->send = true;
            m->revoke_deadline = now + m->rebalance_timeout_ms;
            return;
        }
        m->prev_epoch = m->epoch;
        m->epoch = g->assignment_epoch;
        m->send = true;
    }
    for (size_t i = 0; i < m->target.n; i++) {
        const struct tp *x = &m->target.v[i];
        if (!set_has(&m->assigned, x) && !owned_elsewhere(g, m, x)) {
            set_add(&m->assigned, x);
            m->send = true;
        }
    }
}

static void random_uuid(char out[37])
{
    uint8_t b[16];
    if (getrandom(b, sizeof b, 0) != sizeof b) {
        uint64_t a = (uint64_t)clock_mono_ns(), c = (uint64_t)clock_now_ms();
        memcpy(b, &a, 8);
        memcpy(b + 8, &c, 8);
    }
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
}

static const char *state_name(const struct cgroup *g)
{
    if (g->n == 0)
        return "Empty";
    if (g->epoch > g->assignment_epoch)
        return "Assigning";
    for (size_t i = 0; i < g->n; i++)
        if (g->members[i]->epoch != g->assignment_epoch ||
            g->members[i]->revoking.n > 0)
            return "Reconciling";
    return "Stable";
}

/* --- the wire ------------------------------------------------------------ */

/* A set as the protocol's topic_partitions, grouped by topic id (and with
 * topic names when ld is given: ConsumerGroupDescribe). */
static struct kafka_cg_topic_partitions *
to_wire(struct arena *a, const struct tpset *s, struct logdir *ld, size_t *n)
{
    struct tp *v = arena_alloc(a, (s->n ? s->n : 1) * sizeof(*v));
    memcpy(v, s->v, s->n * sizeof(*v));
    qsort(v, s->n, sizeof(*v), tp_cmp);
    size_t nt = 0;
    for (size_t i = 0; i < s->n; i++)
        if (i == 0 || memcmp(v[i].id, v[i - 1].id, 16))
            nt++;
    struct kafka_cg_topic_partitions *out =
        arena_calloc(a, (nt ? nt : 1) * sizeof(*out));
    int32_t *parts = arena_alloc(a, (s->n ? s->n : 1) * sizeof(*parts));
    size_t t = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (i > 0 && memcmp(v[i].id, v[i - 1].id, 16))
            t++;
        struct kafka_cg_topic_partitions *tp = &out[t];
        if (tp->npartitions == 0) {
            memcpy(tp->topic_id.b, v[i].id, 16);
            tp->partitions = &parts[i];
            tp->topic_name = slice_make("", 0);
            char *name = arena_alloc(a, LOGDIR_TOPIC_NAME_MAX + 1);
            if (ld && logdir_topic_by_id(ld, v[i].id, name) == 0)
                tp->topic_name = slice_make(name, strlen(name));
        }
        tp->partitions[tp->npartitions++] = v[i].p;
    }
    *n = nt;
    return out;
}

static struct slice client_host_of(struct broker_req *req)
{
    const char *peer = broker_conn_peer(req->bc);
    const char *colon = strrchr(peer, ':');
    size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
    char *s = arena_alloc(req->arena, n + 2);
    s[0] = '/';
    memcpy(s + 1, peer, n);
    s[n + 1] = '\0';
    return slice_make(s, n + 1);
}

static bool topics_equal(const struct member *m, const struct slice *names,
                         size_t n)
{
    if (m->ntopics != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < m->ntopics && !found; j++)
            found = strlen(m->topics[j]) == names[i].len &&
                    memcmp(m->topics[j], names[i].ptr, names[i].len) == 0;
        if (!found)
            return false;
    }
    return true;
}

static void set_topics(struct member *m, const struct slice *names, size_t n)
{
    for (size_t i = 0; i < m->ntopics; i++)
        mem_free(m->topics[i]);
    mem_free(m->topics);
    m->topics = mem_alloc((n ? n : 1) * sizeof(*m->topics));
    m->ntopics = 0;
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        for (size_t j = 0; j < m->ntopics && !dup; j++)
            dup = strlen(m->topics[j]) == names[i].len &&
                  memcmp(m->topics[j], names[i].ptr, names[i].len) == 0;
        if (!dup)
            m->topics[m->ntopics++] = sdup(names[i]);
    }
}

static void set_owned(struct member *m,
                      const struct kafka_cg_heartbeat_request *kr)
{
    m->owned.n = 0;
    for (size_t i = 0; i < kr->nowned; i++)
        for (size_t j = 0; j < kr->owned[i].npartitions; j++) {
            struct tp x;
            memcpy(x.id, kr->owned[i].topic_id.b, 16);
            x.p = kr->owned[i].partitions[j];
            set_add(&m->owned, &x);
        }
}

static bool owned_subset(const struct member *m,
                         const struct kafka_cg_heartbeat_request *kr)
{
    if (kr->owned_null)
        return true;
    for (size_t i = 0; i < kr->nowned; i++)
        for (size_t j = 0; j < kr->owned[i].npartitions; j++) {
            struct tp x;
            memcpy(x.id, kr->owned[i].topic_id.b, 16);
            x.p = kr->owned[i].partitions[j];
            if (!set_has(&m->assigned, &x) && !set_has(&m->revoking, &x))
                return false;
        }
    return true;
}

static int answer(struct buf *out, int16_t version, int16_t err,
                  const char *msg)
{
    struct kafka_cg_heartbeat_response resp = {0};
    resp.error_code = err;
    resp.error_message =
        msg ? slice_make(msg, strlen(msg)) : slice_make(NULL, 0);
    resp.member_id = slice_make(NULL, 0);
    resp.member_epoch = -1;
    kafka_cg_heartbeat_response_encode(out, version, &resp);
    return 0;
}

int cgroups_heartbeat(struct cgroups *cg, struct broker_req *req,
                      struct buf *out,
                      bool (*classic_busy)(void *arg, struct slice id),
                      void *arg)
{
    struct kafka_cg_heartbeat_request kr;
    int rc = kafka_cg_heartbeat_request_decode(&req->body, req->api_version,
                                               req->arena, &kr);
    if (rc < 0)
        return rc;
    int16_t v = req->api_version;
    int64_t now = clock_mono_ms();
    struct logdir *ld = req->b->logdir;
    if (req->b->group_version < 1) /* UpdateFeatures turned it off */
        return answer(out, v, KAFKA_ERR_UNSUPPORTED_VERSION,
                      "The consumer group protocol is off (group.version 0): "
                      "use group.protocol=classic.");
    if (kr.group_id.len == 0)
        return answer(out, v, KAFKA_ERR_INVALID_REQUEST,
                      "GroupId can't be empty.");
    if (!broker_acl_group(req, kr.group_id, AUTH_OP_READ))
        return answer(out, v, KAFKA_ERR_GROUP_AUTHORIZATION_FAILED, NULL);
    if (kr.member_epoch == 0 && kr.topics_null)
        return answer(out, v, KAFKA_ERR_INVALID_REQUEST,
                      "SubscribedTopicNames must be set in first request.");
    if (kr.member_epoch == 0 && kr.rebalance_timeout_ms <= 0)
        return answer(out, v, KAFKA_ERR_INVALID_REQUEST,
                      "RebalanceTimeoutMs must be provided in first request.");
    if (kr.member_epoch < -2 || (kr.member_epoch != 0 && kr.member_id.len == 0))
        return answer(out, v, KAFKA_ERR_INVALID_REQUEST,
                      "MemberId and MemberEpoch do not go together.");
    if (kr.server_assignor.ptr &&
        !slice_eq_str(kr.server_assignor, "uniform") &&
        !slice_eq_str(kr.server_assignor, "range"))
        return answer(out, v, KAFKA_ERR_UNSUPPORTED_ASSIGNOR,
                      "rill's server assignor is 'uniform'.");
    if (classic_busy(arg, kr.group_id))
        return answer(out, v, KAFKA_ERR_GROUP_ID_NOT_FOUND,
                      "the group is a classic group with members.");
    struct cgroup *g = group_get(cg, kr.group_id);
    struct kafka_cg_heartbeat_response resp = {0};
    resp.heartbeat_interval_ms = CGROUP_HEARTBEAT_INTERVAL_MS;
    resp.error_message = slice_make(NULL, 0);
    if (kr.member_epoch < 0) { /* -1 leave, -2 static leave */
        struct member *m = g ? member_find(g, kr.member_id) : NULL;
        if (!m)
            return answer(out, v, KAFKA_ERR_UNKNOWN_MEMBER_ID, NULL);
        member_remove(g, m, "left");
        resp.member_id = kr.member_id;
        resp.member_epoch = kr.member_epoch;
        kafka_cg_heartbeat_response_encode(out, v, &resp);
        return 0;
    }
    if (!g && kr.member_epoch != 0)
        return answer(out, v, KAFKA_ERR_GROUP_ID_NOT_FOUND, NULL);
    if (!g) {
        g = mem_calloc(1, sizeof(*g));
        g->id = sdup(kr.group_id);
        hashmap_put(&cg->groups, g->id, strlen(g->id), g);
    }
    struct member *m = kr.member_id.len ? member_find(g, kr.member_id) : NULL;
    if (kr.member_epoch == 0) {
        if (m) /* a rejoin: start over */
            member_remove(g, m, "rejoins");
        m = mem_calloc(1, sizeof(*m));
        char uuid[37];
        random_uuid(uuid);
        m->id = kr.member_id.len ? sdup(kr.member_id) : mem_strdup(uuid);
        if (g->n == g->cap) {
            g->cap = g->cap ? 2 * g->cap : 8;
            g->members = mem_realloc(g->members, g->cap * sizeof(*g->members));
        }
        g->members[g->n++] = m;
        set_topics(m, kr.subscribed_topic_names, kr.ntopics);
        m->send = true;
        g->epoch++;
        diag_info("consumer group %s: member %s joins", g->id, m->id);
    } else if (!m) {
        return answer(out, v, KAFKA_ERR_UNKNOWN_MEMBER_ID, NULL);
    } else if (kr.member_epoch != m->epoch &&
               !(kr.member_epoch == m->prev_epoch && owned_subset(m, &kr))) {
        return answer(out, v, KAFKA_ERR_FENCED_MEMBER_EPOCH,
                      "The consumer group member has a smaller member epoch "
                      "than expected or a larger one.");
    } else if (!kr.topics_null &&
               !topics_equal(m, kr.subscribed_topic_names, kr.ntopics)) {
        set_topics(m, kr.subscribed_topic_names, kr.ntopics);
        g->epoch++;
    }
    if (kr.rebalance_timeout_ms > 0)
        m->rebalance_timeout_ms = kr.rebalance_timeout_ms;
    if (kr.instance_id.ptr) {
        mem_free(m->instance_id);
        m->instance_id = sdup(kr.instance_id);
    }
    if (kr.rack_id.ptr) {
        mem_free(m->rack_id);
        m->rack_id = sdup(kr.rack_id);
    }
    mem_free(m->client_id);
    m->client_id =
        sdup(req->client_id.ptr ? req->client_id : slice_make("", 0));
    mem_free(m->client_host);
    m->client_host = sdup(client_host_of(req));
    if (!kr.owned_null)
        set_owned(m, &kr);
    m->last_seen = now;
    uint64_t h = meta_hash(g, ld);
    if (h != g->meta_hash) {
        g->meta_hash = h;
        g->epoch++;
    }
    if (g->epoch > g->assignment_epoch)
        compute_target(g, ld);
    reconcile(g, m, now);
    resp.member_id = slice_make(m->id, strlen(m->id));
    resp.member_epoch = m->epoch;
    if (m->send) {
        resp.has_assignment = true;
        resp.assigned =
            to_wire(req->arena, &m->assigned, NULL, &resp.nassigned);
        m->send = false;
    }
    kafka_cg_heartbeat_response_encode(out, v, &resp);
    return 0;
}

int cgroups_describe(struct cgroups *cg, struct broker_req *req,
                     struct buf *out)
{
    struct kafka_cg_describe_request kr;
    int rc = kafka_cg_describe_request_decode(&req->body, req->api_version,
                                              req->arena, &kr);
    if (rc < 0)
        return rc;
    struct logdir *ld = req->b->logdir;
    struct kafka_cg_describe_response resp = {0};
    resp.ngroups = kr.ngroups;
    resp.groups = arena_calloc(req->arena, (kr.ngroups ? kr.ngroups : 1) *
                                               sizeof(*resp.groups));
    for (size_t i = 0; i < kr.ngroups; i++) {
        struct kafka_cg_described_group *d = &resp.groups[i];
        struct cgroup *g = group_get(cg, kr.group_ids[i]);
        d->group_id = kr.group_ids[i];
        d->error_message = slice_make(NULL, 0);
        d->authorized_operations = INT32_MIN;
        d->assignor_name = KAFKA_STR("uniform");
        if (!broker_acl_group(req, kr.group_ids[i], AUTH_OP_DESCRIBE)) {
            d->error_code = KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
            d->group_state = KAFKA_STR("");
            continue;
        }
        if (!g) {
            d->error_code = KAFKA_ERR_GROUP_ID_NOT_FOUND;
            d->error_message = KAFKA_STR("not a consumer group");
            d->group_state = KAFKA_STR("Dead");
            continue;
        }
        const char *st = state_name(g);
        d->group_state = slice_make(st, strlen(st));
        d->group_epoch = g->epoch;
        d->assignment_epoch = g->assignment_epoch;
        d->nmembers = g->n;
        d->members =
            arena_calloc(req->arena, (g->n ? g->n : 1) * sizeof(*d->members));
        for (size_t j = 0; j < g->n; j++) {
            const struct member *m = g->members[j];
            struct kafka_cg_member *dm = &d->members[j];
            dm->member_id = slice_make(m->id, strlen(m->id));
            dm->instance_id =
                m->instance_id
                    ? slice_make(m->instance_id, strlen(m->instance_id))
                    : slice_make(NULL, 0);
            dm->rack_id = m->rack_id
                              ? slice_make(m->rack_id, strlen(m->rack_id))
                              : slice_make(NULL, 0);
            dm->member_epoch = m->epoch;
            dm->client_id = slice_make(m->client_id ? m->client_id : "",
                                       m->client_id ? strlen(m->client_id) : 0);
            dm->client_host =
                slice_make(m->client_host ? m->client_host : "",
                           m->client_host ? strlen(m->client_host) : 0);
            dm->ntopics = m->ntopics;
            dm->subscribed_topic_names =
                arena_alloc(req->arena, (m->ntopics ? m->ntopics : 1) *
                                            sizeof(struct slice));
            for (size_t t = 0; t < m->ntopics; t++)
                dm->subscribed_topic_names[t] =
                    slice_make(m->topics[t], strlen(m->topics[t]));
            dm->subscribed_topic_regex = slice_make(NULL, 0);
            dm->assigned =
                to_wire(req->arena, &m->assigned, ld, &dm->nassigned);
            dm->target = to_wire(req->arena, &m->target, ld, &dm->ntarget);
        }
    }
    kafka_cg_describe_response_encode(out, req->api_version, &resp);
    return 0;
}

int16_t cgroups_commit_check(struct cgroups *cg, struct slice group_id,
                             int32_t member_epoch, struct slice member_id,
                             int64_t now)
{
    struct cgroup *g = group_get(cg, group_id);
    if (!g)
        return KAFKA_ERR_GROUP_ID_NOT_FOUND;
    if (member_epoch < 0 && member_id.len == 0)
        return g->n == 0 ? 0 : KAFKA_ERR_UNKNOWN_MEMBER_ID;
    struct member *m = member_find(g, member_id);
    if (!m)
        return KAFKA_ERR_UNKNOWN_MEMBER_ID;
    if (member_epoch < m->epoch)
        return KAFKA_ERR_STALE_MEMBER_EPOCH;
    if (member_epoch > m->epoch)
        return KAFKA_ERR_FENCED_MEMBER_EPOCH;
    m->last_seen = now;
    return 0;
}

int16_t cgroups_fetch_check(struct cgroups *cg, struct slice group_id,
                            struct slice member_id, int32_t member_epoch)
{
    struct cgroup *g = group_get(cg, group_id);
    if (!g || !member_id.ptr)
        return 0;
    struct member *m = member_find(g, member_id);
    if (!m)
        return KAFKA_ERR_UNKNOWN_MEMBER_ID;
    if (member_epoch != m->epoch)
        return KAFKA_ERR_STALE_MEMBER_EPOCH;
    return 0;
}

void cgroups_tick(struct cgroups *cg, int64_t now)
{
    struct hashmap_entry *e;
    for (size_t it = 0; hashmap_next(&cg->groups, &it, &e);) {
        struct cgroup *g = e->value;
        for (size_t i = 0; i < g->n;) {
            struct member *m = g->members[i];
            if (now - m->last_seen > CGROUP_SESSION_TIMEOUT_MS)
                member_remove(g, m, "expired (session timeout)");
            else if (m->revoking.n > 0 && now > m->revoke_deadline)
                member_remove(g, m,
                              "did not revoke within its rebalance "
                              "timeout");
            else
                i++;
        }
    }
}

bool cgroups_next(const struct cgroups *cg, size_t *it, const char **id,
                  const char **state)
{
    struct hashmap_entry *e;
    if (!hashmap_next(&cg->groups, it, &e))
        return false;
    const struct cgroup *g = e->value;
    *id = g->id;
    *state = state_name(g);
    return true;
}
