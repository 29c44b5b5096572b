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
#include "base/err.h"
#include "base/hashmap.h"
#include "base/mem.h"
#include "broker/broker_acl.h"
#include "broker/broker_int.h"
#include "broker/group_offsets.h"
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
    bool has_meta;         /* cgroups_load: its key-5 record was found */
    bool bad;              /* cgroups_load: one of its records is damaged */
    int64_t last_seen, revoke_deadline;
};

/* A subscribed topic as the group's key-4 record saved it (cgroups_load). */
struct saved_topic {
    char *name;
    uint8_t id[16];
    int32_t partitions;
};

struct cgroup {
    char *id;
    int32_t epoch, assignment_epoch;
    struct member **members;
    size_t n, cap;
    uint64_t meta_hash;
    struct cgroups *cg;
    uint64_t saved_hash;       /* of the records last written (0: none) */
    struct saved_topic *saved; /* cgroups_load only */
    size_t nsaved;
    bool bad; /* cgroups_load: a group-level record is damaged */
};

struct cgroups {
    struct hashmap groups;       /* id -> struct cgroup */
    struct group_offsets *store; /* NULL: memory only */
    struct logdir *ld;
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
        for (size_t i = 0; i < g->nsaved; i++)
            mem_free(g->saved[i].name);
        mem_free(g->saved);
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

static void member_tombstones(struct cgroup *g, const char *member_id);

static void member_remove(struct cgroup *g, struct member *m, const char *why)
{
    member_tombstones(g, m->id);
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
        if (g->saved) { /* at load: the topics as the group saw them */
            for (size_t k = 0; k < g->nsaved; k++)
                if (strcmp(g->saved[k].name, names[i]) == 0) {
                    parts = g->saved[k].partitions;
                    memcpy(id, g->saved[k].id, 16);
                }
        } else if (ld && logdir_topic_config(ld, names[i], &c) == 0) {
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

/* --- durability: Kafka's consumer-group records in __consumer_offsets ------
 *
 * A group's state is written as Kafka 3.9's group coordinator writes it
 * (key: int16 version + classic strings; value: int16 version 0 + the
 * flexible encoding, tags last), through the offset store
 * (group_offsets_put_records), whenever a heartbeat, a leave or an expiry
 * changed it:
 *   key 3 {group}          ConsumerGroupMetadata        {epoch int32}
 *   key 4 {group}          ConsumerGroupPartitionMetadata {topics[id uuid,
 *                          name, partitions int32, partition_metadata[]]}
 *   key 5 {group, member}  ConsumerGroupMemberMetadata  {instance_id?,
 *                          rack_id?, client_id, client_host, topics[],
 *                          regex? (null), rebalance_timeout_ms int32,
 *                          server_assignor? (null)}
 *   key 6 {group}          ConsumerGroupTargetAssignmentMetadata
 *                          {assignment_epoch int32}
 *   key 7 {group, member}  ConsumerGroupTargetAssignmentMember
 *                          {topic_partitions[id uuid, partitions[]]}
 *   key 8 {group, member}  ConsumerGroupCurrentMemberAssignment
 *                          {member_epoch, previous_member_epoch int32,
 *                          state int8 (0 stable, 1 unrevoked, 2
 *                          unreleased), assigned[], pending_revocation[]}
 * A member that leaves gets tombstones for its keys 5, 7, 8. At start-up
 * (cgroups_load) the groups are rebuilt from the latest records: a member
 * keeps its id, epochs and partitions, its session starts again, and what
 * it owns is taken to be what it was assigned until its next heartbeat
 * says otherwise. The group's writes are skipped when nothing written
 * changed (a hash of the records).
 */

static void put_cstr(struct buf *b, const char *s, bool nullable)
{
    if (!s) {
        buf_put_uvarint(b, nullable ? 0 : 1);
        return;
    }
    size_t n = strlen(s);
    buf_put_uvarint(b, n + 1);
    buf_put(b, s, n);
}

static void put_key(struct buf *b, int16_t version, const char *group,
                    const char *member)
{
    buf_put_i16(b, version);
    buf_put_i16(b, (int16_t)strlen(group));
    buf_put(b, group, strlen(group));
    if (member) {
        buf_put_i16(b, (int16_t)strlen(member));
        buf_put(b, member, strlen(member));
    }
}

/* [topic_id uuid, partitions []int32, tags] grouped by topic id. */
static void put_tpset(struct buf *b, const struct tpset *s)
{
    struct tp *v = mem_alloc((s->n ? s->n : 1) * sizeof(*v));
    if (s->n)
        memcpy(v, s->v, s->n * sizeof(*v));
    qsort(v, s->n, sizeof(*v), tp_cmp);
    size_t nt = 0;
    for (size_t i = 0; i < s->n; i++)
        nt += i == 0 || memcmp(v[i].id, v[i - 1].id, 16) != 0;
    buf_put_uvarint(b, nt + 1);
    for (size_t i = 0; i < s->n;) {
        size_t j = i;
        while (j < s->n && memcmp(v[j].id, v[i].id, 16) == 0)
            j++;
        buf_put(b, v[i].id, 16);
        buf_put_uvarint(b, j - i + 1);
        for (size_t k = i; k < j; k++)
            buf_put_i32(b, v[k].p);
        buf_put_uvarint(b, 0);
        i = j;
    }
    mem_free(v);
}

static void skip_tags(struct buf_reader *r)
{
    uint64_t n = buf_read_uvarint(r);
    for (uint64_t i = 0; i < n && buf_reader_ok(r); i++) {
        buf_read_uvarint(r);
        uint64_t len = buf_read_uvarint(r);
        if (len > buf_reader_left(r)) {
            r->err = true;
            return;
        }
        buf_read_bytes(r, (size_t)len);
    }
}

static bool read_tpset(struct buf_reader *r, struct tpset *s)
{
    s->n = 0;
    uint64_t nt = buf_read_uvarint(r);
    if (nt == 0 || nt - 1 > buf_reader_left(r))
        return false;
    for (uint64_t i = 0; i + 1 < nt && buf_reader_ok(r); i++) {
        struct tp x;
        struct slice id = buf_read_bytes(r, 16);
        uint64_t np = buf_read_uvarint(r);
        if (!buf_reader_ok(r) || np == 0 || (np - 1) * 4 > buf_reader_left(r))
            return false;
        memcpy(x.id, id.ptr, 16);
        for (uint64_t k = 0; k + 1 < np; k++) {
            x.p = buf_read_i32(r);
            set_add(s, &x);
        }
        skip_tags(r);
    }
    return buf_reader_ok(r);
}

/* A compact string as a malloc'ed copy; *null for a null one. */
static char *read_cstr(struct buf_reader *r, bool *null)
{
    uint64_t n = buf_read_uvarint(r);
    *null = n == 0;
    if (n == 0 || n - 1 > buf_reader_left(r) || !buf_reader_ok(r))
        return NULL;
    struct slice v = buf_read_bytes(r, (size_t)(n - 1));
    return sdup(v);
}

static char *read_str16(struct buf_reader *r)
{
    int16_t n = buf_read_i16(r);
    if (n < 0 || (size_t)n > buf_reader_left(r))
        return NULL;
    return sdup(buf_read_bytes(r, (size_t)n));
}

static bool subset(const struct tpset *a, const struct tpset *b)
{
    for (size_t i = 0; i < a->n; i++)
        if (!set_has(b, &a->v[i]))
            return false;
    return true;
}

/* Kafka's MemberState of a member, for its key-8 record. */
static int8_t member_state(const struct cgroup *g, const struct member *m)
{
    if (m->revoking.n > 0)
        return 1; /* UNREVOKED_PARTITIONS */
    if (m->epoch == g->assignment_epoch && !subset(&m->target, &m->assigned))
        return 2; /* UNRELEASED_PARTITIONS */
    return 0;     /* STABLE */
}

struct recs {
    struct buf b;
    size_t n, cap;
    size_t *at; /* per record: key start, key end, value start, value end */
};

static void rec_key(struct recs *r, int16_t version, const char *group,
                    const char *member)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->at = mem_realloc(r->at, r->cap * 4 * sizeof(*r->at));
    }
    r->at[4 * r->n] = r->b.len;
    put_key(&r->b, version, group, member);
    r->at[4 * r->n + 1] = r->b.len;
    r->at[4 * r->n + 2] = r->b.len;
    r->n++;
}

/* Starts the value of the last key (version 0); rec_end closes it. */
static void rec_value(struct recs *r)
{
    buf_put_i16(&r->b, 0);
}

static void rec_end(struct recs *r, bool tombstone)
{
    if (!tombstone)
        buf_put_uvarint(&r->b, 0); /* tags */
    r->at[4 * (r->n - 1) + 3] = tombstone ? SIZE_MAX : r->b.len;
}

static int rec_write(struct recs *r, struct group_offsets *store, int64_t now)
{
    struct slice *k = mem_alloc((r->n ? r->n : 1) * sizeof(*k));
    struct slice *v = mem_alloc((r->n ? r->n : 1) * sizeof(*v));
    for (size_t i = 0; i < r->n; i++) {
        size_t *a = &r->at[4 * i];
        k[i] = slice_make(r->b.data + a[0], a[1] - a[0]);
        v[i] = a[3] == SIZE_MAX ? slice_make(NULL, 0)
                                : slice_make(r->b.data + a[2], a[3] - a[2]);
    }
    int rc = group_offsets_put_records(store, r->n, k, v, now);
    mem_free(k);
    mem_free(v);
    return rc;
}

static void rec_fini(struct recs *r)
{
    buf_fini(&r->b);
    mem_free(r->at);
}

static void member_tombstones(struct cgroup *g, const char *member_id)
{
    struct cgroups *cg = g->cg;
    if (!cg || !cg->store)
        return;
    struct recs r = {0};
    buf_init(&r.b);
    static const int16_t keys[] = {5, 7, 8};
    for (size_t i = 0; i < 3; i++) {
        rec_key(&r, keys[i], g->id, member_id);
        rec_end(&r, true);
    }
    if (rec_write(&r, cg->store, clock_now_ms()) < 0)
        diag_error("consumer group %s: the removal of member %s is not "
                   "persisted (the member returns after a restart)",
                   g->id, member_id);
    g->saved_hash = 0;
    rec_fini(&r);
}

/* Writes the group's records if they changed since the last write.
 * Returns 0 or the store's negative error. */
static int group_save(struct cgroup *g, struct logdir *ld)
{
    struct cgroups *cg = g->cg;
    if (!cg || !cg->store)
        return 0;
    struct recs r = {0};
    buf_init(&r.b);
    rec_key(&r, 3, g->id, NULL);
    rec_value(&r);
    buf_put_i32(&r.b, g->epoch);
    rec_end(&r, false);

    rec_key(&r, 4, g->id, NULL);
    rec_value(&r);
    size_t nt;
    char **names = topic_union(g, &nt);
    struct logdir_topic_config *cfg = mem_alloc((nt ? nt : 1) * sizeof(*cfg));
    size_t nexist = 0;
    bool *exists = mem_calloc(nt ? nt : 1, sizeof(*exists));
    for (size_t i = 0; i < nt; i++)
        if (ld && logdir_topic_config(ld, names[i], &cfg[i]) == 0) {
            exists[i] = true;
            nexist++;
        }
    buf_put_uvarint(&r.b, nexist + 1);
    for (size_t i = 0; i < nt; i++) {
        if (!exists[i])
            continue;
        buf_put(&r.b, cfg[i].id, 16);
        put_cstr(&r.b, names[i], false);
        buf_put_i32(&r.b, cfg[i].partitions);
        buf_put_uvarint(&r.b, 1); /* partition_metadata: no racks */
        buf_put_uvarint(&r.b, 0);
    }
    mem_free(exists);
    mem_free(cfg);
    mem_free(names);
    rec_end(&r, false);

    rec_key(&r, 6, g->id, NULL);
    rec_value(&r);
    buf_put_i32(&r.b, g->assignment_epoch);
    rec_end(&r, false);

    for (size_t i = 0; i < g->n; i++) {
        const struct member *m = g->members[i];
        rec_key(&r, 5, g->id, m->id);
        rec_value(&r);
        put_cstr(&r.b, m->instance_id, true);
        put_cstr(&r.b, m->rack_id, true);
        put_cstr(&r.b, m->client_id ? m->client_id : "", false);
        put_cstr(&r.b, m->client_host ? m->client_host : "", false);
        buf_put_uvarint(&r.b, m->ntopics + 1);
        for (size_t t = 0; t < m->ntopics; t++)
            put_cstr(&r.b, m->topics[t], false);
        put_cstr(&r.b, NULL, true); /* no regular expression */
        buf_put_i32(&r.b, m->rebalance_timeout_ms);
        put_cstr(&r.b, NULL, true); /* server assignor: the default */
        rec_end(&r, false);

        rec_key(&r, 7, g->id, m->id);
        rec_value(&r);
        put_tpset(&r.b, &m->target);
        rec_end(&r, false);

        rec_key(&r, 8, g->id, m->id);
        rec_value(&r);
        buf_put_i32(&r.b, m->epoch);
        buf_put_i32(&r.b, m->prev_epoch);
        buf_put_u8(&r.b, (uint8_t)member_state(g, m));
        put_tpset(&r.b, &m->assigned);
        put_tpset(&r.b, &m->revoking);
        rec_end(&r, false);
    }
    uint64_t h = hashmap_hash(r.b.data, r.b.len);
    int rc = 0;
    if (h != g->saved_hash) {
        rc = rec_write(&r, cg->store, clock_now_ms());
        if (rc == 0)
            g->saved_hash = h;
        else
            diag_error("consumer group %s: cannot persist its state", g->id);
    }
    rec_fini(&r);
    return rc;
}

static struct cgroup *load_group(struct cgroups *cg, const char *id)
{
    struct cgroup *g = hashmap_get(&cg->groups, id, strlen(id));
    if (!g) {
        g = mem_calloc(1, sizeof(*g));
        g->id = mem_strdup(id);
        g->cg = cg;
        hashmap_put(&cg->groups, g->id, strlen(g->id), g);
    }
    return g;
}

static struct member *load_member(struct cgroup *g, const char *id)
{
    struct member *m = member_find(g, slice_make(id, strlen(id)));
    if (m)
        return m;
    m = mem_calloc(1, sizeof(*m));
    m->id = mem_strdup(id);
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 8;
        g->members = mem_realloc(g->members, g->cap * sizeof(*g->members));
    }
    g->members[g->n++] = m;
    return m;
}

/* Applies one record; false if it does not decode. */
static bool load_record(struct cgroups *cg, struct slice key,
                        struct slice value)
{
    struct buf_reader kr, vr;
    buf_reader_init(&kr, key.ptr, key.len);
    buf_reader_init(&vr, value.ptr, value.len);
    int16_t kv = buf_read_i16(&kr);
    char *gid = read_str16(&kr);
    char *mid = kv == 5 || kv == 7 || kv == 8 ? read_str16(&kr) : NULL;
    bool ok = gid && buf_reader_ok(&kr) && buf_read_i16(&vr) == 0 &&
              (mid || !(kv == 5 || kv == 7 || kv == 8));
    if (!ok) {
        mem_free(gid);
        mem_free(mid);
        return false;
    }
    struct cgroup *g = load_group(cg, gid);
    struct member *m = mid ? load_member(g, mid) : NULL;
    bool null = false;
    switch (kv) {
    case 3:
        g->epoch = buf_read_i32(&vr);
        break;
    case 4: {
        uint64_t n = buf_read_uvarint(&vr);
        if (n == 0 || n - 1 > buf_reader_left(&vr))
            break;
        for (size_t i = 0; i < g->nsaved; i++)
            mem_free(g->saved[i].name);
        mem_free(g->saved);
        g->nsaved = 0;
        g->saved = mem_calloc(n, sizeof(*g->saved));
        for (uint64_t i = 0; i + 1 < n && buf_reader_ok(&vr); i++) {
            struct saved_topic *t = &g->saved[g->nsaved++];
            struct slice id = buf_read_bytes(&vr, 16);
            if (id.ptr)
                memcpy(t->id, id.ptr, 16);
            t->name = read_cstr(&vr, &null);
            t->partitions = buf_read_i32(&vr);
            uint64_t np = buf_read_uvarint(&vr);
            for (uint64_t k = 0; k + 1 < np && buf_reader_ok(&vr); k++) {
                buf_read_i32(&vr);
                uint64_t nr = buf_read_uvarint(&vr);
                for (uint64_t q = 0; q + 1 < nr && buf_reader_ok(&vr); q++)
                    mem_free(read_cstr(&vr, &null));
                skip_tags(&vr);
            }
            skip_tags(&vr);
            if (!t->name)
                vr.err = true;
        }
        break;
    }
    case 5: {
        m->has_meta = true;
        mem_free(m->instance_id);
        mem_free(m->rack_id);
        mem_free(m->client_id);
        mem_free(m->client_host);
        m->instance_id = read_cstr(&vr, &null);
        m->rack_id = read_cstr(&vr, &null);
        m->client_id = read_cstr(&vr, &null);
        m->client_host = read_cstr(&vr, &null);
        uint64_t n = buf_read_uvarint(&vr);
        if (n == 0 || n - 1 > buf_reader_left(&vr)) {
            vr.err = true;
            break;
        }
        for (size_t i = 0; i < m->ntopics; i++)
            mem_free(m->topics[i]);
        mem_free(m->topics);
        m->topics = mem_calloc(n, sizeof(*m->topics));
        m->ntopics = 0;
        for (uint64_t i = 0; i + 1 < n && buf_reader_ok(&vr); i++) {
            char *t = read_cstr(&vr, &null);
            if (t)
                m->topics[m->ntopics++] = t;
        }
        mem_free(read_cstr(&vr, &null)); /* regex: none written */
        m->rebalance_timeout_ms = buf_read_i32(&vr);
        mem_free(read_cstr(&vr, &null)); /* server assignor */
        break;
    }
    case 6:
        g->assignment_epoch = buf_read_i32(&vr);
        break;
    case 7:
        if (!read_tpset(&vr, &m->target))
            vr.err = true;
        break;
    case 8:
        m->epoch = buf_read_i32(&vr);
        m->prev_epoch = buf_read_i32(&vr);
        buf_read_u8(&vr); /* state: derived again */
        if (!read_tpset(&vr, &m->assigned) || !read_tpset(&vr, &m->revoking))
            vr.err = true;
        break;
    default:
        break;
    }
    if (buf_reader_ok(&vr))
        skip_tags(&vr);
    bool good = buf_reader_ok(&vr);
    if (!good && m)
        m->bad = true;
    else if (!good)
        g->bad = true;
    mem_free(gid);
    mem_free(mid);
    return good;
}

int cgroups_load(struct cgroups *cg, struct group_offsets *store,
                 struct logdir *ld, int64_t now)
{
    cg->store = store;
    cg->ld = ld;
    struct slice k, v;
    int bad = 0;
    for (size_t it = 0; group_offsets_next_record(store, &it, &k, &v);)
        if (!load_record(cg, k, v))
            bad++;
    size_t ngroups = 0, nmembers = 0;
    struct hashmap_entry *e;
    for (size_t it = 0; hashmap_next(&cg->groups, &it, &e);) {
        struct cgroup *g = e->value;
        ngroups++;
        for (size_t i = 0; i < g->n;) {
            struct member *m = g->members[i];
            if (!m->has_meta || m->bad || g->bad) {
                /* Part of it is missing or damaged: it rejoins (its next
                 * heartbeat gets UNKNOWN_MEMBER_ID) and the others are
                 * assigned again. */
                bad += !m->has_meta;
                memmove(&g->members[i], &g->members[i + 1],
                        (g->n - i - 1) * sizeof(*g->members));
                g->n--;
                member_free(m);
                g->epoch++;
                continue;
            }
            /* A new session; what it owns is what it was given until its
             * next heartbeat says; the assignment goes out again. */
            m->last_seen = now;
            m->owned.n = 0;
            for (size_t j = 0; j < m->assigned.n; j++)
                set_add(&m->owned, &m->assigned.v[j]);
            for (size_t j = 0; j < m->revoking.n; j++)
                set_add(&m->owned, &m->revoking.v[j]);
            if (m->revoking.n)
                m->revoke_deadline = now + m->rebalance_timeout_ms;
            m->send = true;
            nmembers++;
            i++;
        }
        g->meta_hash = meta_hash(g, ld);
        for (size_t i = 0; i < g->nsaved; i++)
            mem_free(g->saved[i].name);
        mem_free(g->saved);
        g->saved = NULL;
        g->nsaved = 0;
    }
    if (ngroups)
        diag_info("groups: %zu consumer group(s) with %zu member(s) "
                  "restored from %s",
                  ngroups, nmembers, GROUP_OFFSETS_TOPIC);
    if (bad)
        diag_error("groups: %d consumer-group record(s) in %s do not "
                   "decode and were ignored (those members rejoin)",
                   bad, GROUP_OFFSETS_TOPIC);
    return bad ? ERR_CORRUPT : 0;
}

/* --- the wire ------------------------------------------------------------ */

/* A set as the protocol's topic_partitions, grouped by topic id (and with
 * topic names when ld is given: ConsumerGroupDescribe). */
static struct kafka_cg_topic_partitions *
to_wire(struct arena *a, const struct tpset *s, struct logdir *ld, size_t *n)
{
    struct tp *v = arena_alloc(a, (s->n ? s->n : 1) * sizeof(*v));
    if (s->n)
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
        group_save(g, ld);
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
        g->cg = cg;
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
    if (group_save(g, ld) < 0) {
        /* Kafka answers a failed write this way; the client retries. */
        m->send = true;
        return answer(out, v, KAFKA_ERR_COORDINATOR_NOT_AVAILABLE,
                      "cannot persist the group's state");
    }
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
        size_t before = g->n;
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
        if (g->n != before)
            group_save(g, cg->ld);
    }
}

int16_t cgroups_delete(struct cgroups *cg, struct slice group_id)
{
    struct cgroup *g = group_get(cg, group_id);
    if (!g)
        return KAFKA_ERR_GROUP_ID_NOT_FOUND;
    if (g->n > 0)
        return KAFKA_ERR_NON_EMPTY_GROUP;
    if (cg->store) {
        struct recs r = {0};
        buf_init(&r.b);
        static const int16_t keys[] = {3, 4, 6};
        for (size_t i = 0; i < 3; i++) {
            rec_key(&r, keys[i], g->id, NULL);
            rec_end(&r, true);
        }
        int rc = rec_write(&r, cg->store, clock_now_ms());
        rec_fini(&r);
        if (rc < 0)
            return KAFKA_ERR_KAFKA_STORAGE_ERROR;
    }
    hashmap_remove(&cg->groups, g->id, strlen(g->id));
    mem_free(g->members);
    mem_free(g->id);
    mem_free(g);
    return 0;
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
