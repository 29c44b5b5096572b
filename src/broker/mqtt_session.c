/* mqtt_session.c - MQTT sessions and subscriptions as push consumers of
 * the log; retained messages; persistence (layer: broker).
 *
 * A subscription's reader holds one cursor per log partition whose records
 * may match its filter: the default topic and every mapped topic whose
 * rule overlaps the filter, plus the log topic named by the filter's first
 * level when that level is literal (`alerts/#` reads topic `alerts`). A
 * record's MQTT topic is its `mqtt.topic` header (it came in over MQTT),
 * else the name of its log topic. Delivery reads from each cursor and
 * pushes matching records while the target has room: QoS 0 while its
 * queued output is under mqtt out_limit, QoS 1/2 while its in-flight
 * count is under the window (Receive Maximum, mqtt.max.inflight).
 * Invariants:
 *   1. A cursor's committed position (lowest in-flight offset, else next)
 *      never passes a record the client has not acknowledged (QoS 1/2).
 *   2. The saved position of a persistent session is a committed position
 *      of some earlier moment, so a restart re-delivers, never skips.
 * Files: <data>/mqtt/sessions/<hex client id>, <data>/mqtt/groups/<hex
 * group/filter>: text, written whole and renamed (docs/mqtt.md).
 */
#include "broker/mqtt_int.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/os.h"
#include "broker/broker_acl.h"
#include "log/logdir.h"
#include "log/partition.h"

#define READ_CHUNK (256u * 1024)
/* Client ids in a group file's lines: at most this many bytes (a
 * persistent session's file name, its hex, is at most 255). */
#define CID_MAX 255
/* A save is a write + fsync + rename + directory fsync on the loop thread:
 * moving positions are saved at most this often per session, and at most
 * SAVES_PER_TICK sessions or groups per second (subscription changes and
 * disconnects save at once). After a crash, a session may get again what
 * it acknowledged during the last SAVE_EVERY_MS; it never misses any. */
#define SAVE_EVERY_MS 5000
#define SAVES_PER_TICK 8

/* --- readers ----------------------------------------------------------- */

static struct mqtt_cursor *cursor_find(struct mqtt_reader *rd,
                                       const char *topic, int32_t part)
{
    for (size_t i = 0; i < rd->ncur; i++)
        if (rd->curs[i].partition == part &&
            strcmp(rd->curs[i].topic, topic) == 0)
            return &rd->curs[i];
    return NULL;
}

static struct mqtt_cursor *cursor_add(struct mqtt_reader *rd,
                                      struct broker_part *bp, int64_t next)
{
    rd->curs = mem_realloc(rd->curs, (rd->ncur + 1) * sizeof(*rd->curs));
    struct mqtt_cursor *c = &rd->curs[rd->ncur++];
    c->topic = mem_strdup(bp->topic->name);
    c->partition = bp->id;
    c->bp = bp;
    c->next = next;
    return c;
}

/* Whether the reader's subscriber may READ the log topic (ACLs on):
 * a shared group's reader was checked member by member at SUBSCRIBE; a
 * session restored at start and not yet reconnected has no principal and
 * gets no new topics until it is. */
static bool may_read(struct mqtt_server *s, struct mqtt_reader *rd,
                     const char *name)
{
    if (!broker_acls_enabled(s->b) || !rd->sub)
        return true;
    struct mqtt_session *ss = rd->sub->sess;
    return ss->principal[0] &&
           broker_acl_allow(s->b, ss->principal, ss->ip, AUTH_RES_TOPIC, name,
                            strlen(name), AUTH_OP_READ);
}

/* Adds cursors for every partition of topic not yet read; they start at
 * the end (a new subscription) or at the log start (found later). Returns
 * -1 when ACLs refuse the topic, else 0. */
static int add_topic(struct mqtt_server *s, struct mqtt_reader *rd,
                     const char *name, bool at_end)
{
    int16_t err = 0;
    struct slice nm = slice_make(name, strlen(name));
    struct broker_topic *t = broker_topic_find(s->b, nm, false, &err);
    if (!t || t->deleted)
        return 0;
    if (t->nparts > 0 && !cursor_find(rd, name, 0) && !may_read(s, rd, name))
        return -1;
    for (int32_t p = 0; p < t->nparts; p++) {
        if (cursor_find(rd, name, p))
            continue;
        struct broker_part *bp = broker_part_find(s->b, nm, p, false, &err);
        if (!bp)
            continue;
        cursor_add(rd, bp,
                   at_end ? broker_log_visible_end(s->b, bp)
                          : partition_log_start_offset(bp->p));
    }
    return 0;
}

/* Adds the log topics the reader's filter reads; returns how many of them
 * ACLs refused. */
static int resolve(struct mqtt_server *s, struct mqtt_reader *rd, bool at_end)
{
    int denied = 0;
    struct slice f = slice_make(rd->filter, strlen(rd->filter));
    size_t n = mqtt_map_topics(s->map);
    for (size_t i = 0; i <= n; i++)
        if (mqtt_map_topic_overlaps(s->map, i, f))
            denied -= add_topic(s, rd, mqtt_map_topic(s->map, i), at_end);
    /* The first level names a log topic: `alerts/#` reads `alerts`. */
    const char *slash = strchr(rd->filter, '/');
    size_t l = slash ? (size_t)(slash - rd->filter) : strlen(rd->filter);
    char first[LOGDIR_TOPIC_NAME_MAX + 1];
    if (l == 0 || l > LOGDIR_TOPIC_NAME_MAX)
        return denied;
    memcpy(first, rd->filter, l);
    first[l] = '\0';
    if (first[0] == '_' || !logdir_topic_name_valid(first))
        return denied;
    denied -= add_topic(s, rd, first, at_end);
    return denied;
}

/* A shared subscription's reader serves every member: a member must be
 * allowed to READ every existing log topic the filter reads. */
static bool may_read_all(struct mqtt_session *ss, struct slice filter)
{
    struct mqtt_server *s = ss->s;
    if (!broker_acls_enabled(s->b))
        return true;
    struct mqtt_sub tmp_sub;
    memset(&tmp_sub, 0, sizeof tmp_sub);
    tmp_sub.sess = ss;
    struct mqtt_reader rd;
    memset(&rd, 0, sizeof rd);
    rd.filter = mem_strndup((const char *)filter.ptr, filter.len);
    rd.sub = &tmp_sub;
    int denied = resolve(s, &rd, true);
    for (size_t i = 0; i < rd.ncur; i++)
        mem_free(rd.curs[i].topic);
    mem_free(rd.curs);
    mem_free(rd.filter);
    return denied == 0;
}

static void reader_init(struct mqtt_server *s, struct mqtt_reader *rd,
                        struct slice filter)
{
    memset(rd, 0, sizeof(*rd));
    rd->filter = mem_strndup((const char *)filter.ptr, filter.len);
    rd->next = s->readers;
    if (s->readers)
        s->readers->prev = rd;
    s->readers = rd;
}

static void reader_fini(struct mqtt_server *s, struct mqtt_reader *rd)
{
    if (rd->prev)
        rd->prev->next = rd->next;
    else
        s->readers = rd->next;
    if (rd->next)
        rd->next->prev = rd->prev;
    for (size_t i = 0; i < rd->ncur; i++)
        mem_free(rd->curs[i].topic);
    mem_free(rd->curs);
    mem_free(rd->filter);
}

/* --- in-flight ring --------------------------------------------------------
 */

static struct mqtt_inflight *ring_at(struct mqtt_session *ss, size_t i)
{
    return &ss->ring[(ss->ring_head + i) % ss->ring_cap];
}

static struct mqtt_inflight *ring_push(struct mqtt_session *ss)
{
    if (ss->ring_len == ss->ring_cap) {
        size_t ncap = ss->ring_cap ? 2 * ss->ring_cap : 64;
        struct mqtt_inflight *n = mem_alloc(ncap * sizeof(*n));
        for (size_t i = 0; i < ss->ring_len; i++)
            n[i] = *ring_at(ss, i);
        mem_free(ss->ring);
        ss->ring = n;
        ss->ring_cap = ncap;
        ss->ring_head = 0;
    }
    struct mqtt_inflight *e = ring_at(ss, ss->ring_len++);
    memset(e, 0, sizeof(*e));
    ss->ninflight++;
    return e;
}

static void ring_trim(struct mqtt_session *ss)
{
    while (ss->ring_len > 0 && ring_at(ss, 0)->state == INF_FREE) {
        ss->ring_head = (ss->ring_head + 1) % ss->ring_cap;
        ss->ring_len--;
    }
}

static uint16_t next_pid(struct mqtt_session *ss)
{
    if (++ss->next_pid == 0)
        ss->next_pid = 1;
    return ss->next_pid;
}

/* Forgets in-flight deliveries made through rd (unsubscribe, a shared
 * member going offline), or every unacknowledged one (rd NULL), rewinding
 * cursors so they are delivered again (to the others, for a group).
 * For a shared group, QoS 2 deliveries are never handed to another
 * member (MQTT 5 4.8.2): with keep_qos2 they stay in flight for the
 * member's return (an offline persistent member), else they are dropped
 * (the member's subscription or session ended). */
static void ring_rewind(struct mqtt_session *ss, struct mqtt_reader *only,
                        bool keep_qos2)
{
    for (size_t i = 0; i < ss->ring_len; i++) {
        struct mqtt_inflight *e = ring_at(ss, i);
        if (e->state == INF_FREE || (only && e->rd != only))
            continue;
        bool shared_qos2 = e->qos == 2 && e->rd && e->rd->group;
        if (shared_qos2 && keep_qos2)
            continue;
        if (!only && e->state == INF_RELEASED)
            continue; /* received: its PUBREL is resent instead */
        if (!shared_qos2 && e->state == INF_PUBLISHED && e->rd &&
            e->cur < e->rd->ncur && e->offset < e->rd->curs[e->cur].next)
            e->rd->curs[e->cur].next = e->offset;
        if (e->rd && e->rd->group)
            e->rd->group->dirty = true;
        e->state = INF_FREE;
        ss->ninflight--;
    }
    ring_trim(ss);
}

/* --- sessions --------------------------------------------------------------
 */

struct mqtt_session *mqtt_session_get(struct mqtt_server *s,
                                      struct slice client_id)
{
    return hashmap_get(&s->sessions, client_id.ptr, client_id.len);
}

struct mqtt_session *mqtt_session_new(struct mqtt_server *s,
                                      struct slice client_id)
{
    struct mqtt_session *ss = mem_calloc(1, sizeof(*ss));
    ss->s = s;
    ss->client_id = mem_strndup((const char *)client_id.ptr, client_id.len);
    ss->window = s->cfg.max_inflight;
    hashmap_put(&s->sessions, client_id.ptr, client_id.len, ss);
    return ss;
}

static void hex(char *out, const char *in, size_t n)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[(uint8_t)in[i] >> 4];
        out[2 * i + 1] = d[(uint8_t)in[i] & 15];
    }
    out[2 * n] = '\0';
}

static size_t unhex(char *out, const char *in)
{
    size_t n = 0;
    for (; in[0] && in[1]; in += 2) {
        int hi = in[0] <= '9' ? in[0] - '0' : in[0] - 'a' + 10;
        int lo = in[1] <= '9' ? in[1] - '0' : in[1] - 'a' + 10;
        out[n++] = (char)(hi << 4 | lo);
    }
    out[n] = '\0';
    return n;
}

static char *file_path(struct mqtt_server *s, const char *kind,
                       const char *name)
{
    size_t n = strlen(name);
    size_t cap = strlen(s->dir) + strlen(kind) + 2 * n + 4;
    char *p = mem_alloc(cap);
    int at = snprintf(p, cap, "%s/%s/", s->dir, kind);
    hex(p + at, name, n);
    return p;
}

static void group_remove_member(struct mqtt_server *s, struct mqtt_sub *sub);

static void sub_free(struct mqtt_server *s, struct mqtt_sub *sub)
{
    struct mqtt_session *ss = sub->sess;
    ring_rewind(ss, sub->reader, false);
    if (sub->group) {
        group_remove_member(s, sub);
    } else {
        reader_fini(s, sub->reader);
        mem_free(sub->reader);
    }
    mem_free(sub->filter);
    mem_free(sub);
}

void mqtt_session_destroy(struct mqtt_session *ss)
{
    struct mqtt_server *s = ss->s;
    if (ss->conn)
        ss->conn->sess = NULL;
    while (ss->subs) {
        struct mqtt_sub *sub = ss->subs;
        ss->subs = sub->next;
        sub_free(s, sub);
    }
    if (!s->stopping) {
        char *path = file_path(s, "sessions", ss->client_id);
        (void)os_unlink(path);
        mem_free(path);
    }
    hashmap_remove(&s->sessions, ss->client_id, strlen(ss->client_id));
    for (size_t i = 0; ss->wal_listed && i < s->nwal; i++)
        if (s->wal_sessions[i] == ss)
            s->wal_sessions[i] = s->wal_sessions[--s->nwal];
    buf_fini(&ss->wal);
    mem_free(ss->ring);
    mem_free(ss->qos2_in);
    mem_free(ss->client_id);
    mem_free(ss);
    mqtt_kick(s);
}

static struct slice record_topic(const struct record *rec,
                                 const struct mqtt_cursor *c);
static void headers_to_props(struct mqtt_server *s, const struct record *rec);

/* Sends in-flight entry e again, same packet id, DUP set: the record is
 * read back from the log. Returns false when it is gone (retention). */
static bool resend_publish(struct mqtt_session *ss, struct mqtt_inflight *e)
{
    struct mqtt_server *s = ss->s;
    if (!e->rd || e->cur >= e->rd->ncur)
        return false;
    struct mqtt_cursor *c = &e->rd->curs[e->cur];
    if (c->bp->topic->deleted)
        return false;
    buf_reset(&s->chunk);
    int64_t nxt;
    /* max_bytes 1: the batch holding the offset, whole (it may also hold
     * later records, so read up to the visible end, not offset + 1). */
    int64_t end = broker_log_visible_end(s->b, c->bp);
    if (e->offset >= end || partition_read_copy_upto(c->bp->p, e->offset, end,
                                                     1, &s->chunk, &nxt) < 0)
        return false;
    struct record_batch_walk w;
    record_batch_walk_init(&w, s->chunk.data, s->chunk.len);
    struct record_batch_header h;
    const uint8_t *bptr;
    size_t blen;
    while (record_batch_walk_next(&w, &h, &bptr, &blen) == 1) {
        struct record_iter it;
        if (record_iter_init(&it, bptr, blen, &s->unzip) < 0)
            return false;
        struct record rec;
        while (record_iter_next(&it, &rec) == 1) {
            if (rec.offset != e->offset)
                continue;
            struct mqtt_publish_out po;
            memset(&po, 0, sizeof po);
            po.topic = record_topic(&rec, c);
            po.payload = rec.value_null ? slice_make(NULL, 0) : rec.value;
            headers_to_props(s, &rec);
            if (ss->conn->version == MQTT_V5)
                po.user_props = slice_make(s->props.data, s->props.len);
            po.qos = e->qos;
            po.packet_id = e->pid;
            po.dup = true;
            mqtt_publish_encode(&s->pkt, ss->conn->version, &po);
            mqtt_send(ss->conn, &s->pkt);
            return true;
        }
    }
    return false;
}

/* A session resumed: what was in flight goes again, in order (MQTT's
 * rule: same packet ids, DUP set; PUBREL for what was received). */
static void resend_inflight(struct mqtt_session *ss)
{
    struct mqtt_server *s = ss->s;
    for (size_t i = 0; i < ss->ring_len; i++) {
        struct mqtt_inflight *e = ring_at(ss, i);
        if (e->state == INF_RELEASED) {
            mqtt_ack_encode(&s->pkt, ss->conn->version, MQTT_PUBREL, e->pid, 0);
            mqtt_send(ss->conn, &s->pkt);
        } else if (e->state == INF_PUBLISHED && !resend_publish(ss, e)) {
            e->state = INF_FREE; /* a retained message, or gone */
            ss->ninflight--;
        }
    }
    ring_trim(ss);
}

void mqtt_session_attach(struct mqtt_session *ss, struct mqtt_conn *mc)
{
    ss->conn = mc;
    mc->sess = ss;
    memcpy(ss->principal, mc->principal, sizeof ss->principal);
    memcpy(ss->ip, mc->ip, sizeof ss->ip);
    resend_inflight(ss);
}

void mqtt_session_detach(struct mqtt_session *ss)
{
    if (ss->conn)
        ss->conn->sess = NULL;
    ss->conn = NULL;
    ss->offline_since_ms = loop_now_ms(ss->s->loop);
    if (!ss->persistent) {
        mqtt_session_destroy(ss);
        return;
    }
    /* Offline: shared-group QoS 1 deliveries in flight go to other
     * members; QoS 2 ones wait for this member (MQTT 5 4.8.2). */
    for (struct mqtt_sub *sub = ss->subs; sub; sub = sub->next)
        if (sub->group)
            ring_rewind(ss, sub->reader, true);
    mqtt_session_save(ss);
    mqtt_kick(ss->s);
}

/* --- shared groups ---------------------------------------------------------
 */

static struct mqtt_group *group_get(struct mqtt_server *s, struct slice group,
                                    struct slice filter, bool at_end)
{
    char key[1024];
    if (group.len + filter.len + 2 > sizeof key)
        return NULL;
    memcpy(key, group.ptr, group.len);
    key[group.len] = '/';
    memcpy(key + group.len + 1, filter.ptr, filter.len);
    size_t kl = group.len + 1 + filter.len;
    key[kl] = '\0';
    struct mqtt_group *g = hashmap_get(&s->groups, key, kl);
    if (g)
        return g;
    g = mem_calloc(1, sizeof(*g));
    g->key = mem_strdup(key);
    buf_init(&g->pending);
    reader_init(s, &g->reader_storage, filter);
    g->reader_storage.group = g;
    resolve(s, &g->reader_storage, at_end);
    hashmap_put(&s->groups, key, kl, g);
    return g;
}

static void group_free(struct mqtt_server *s, struct mqtt_group *g)
{
    hashmap_remove(&s->groups, g->key, strlen(g->key));
    if (!s->stopping) {
        char *path = file_path(s, "groups", g->key);
        (void)os_unlink(path);
        mem_free(path);
    }
    for (size_t i = 0; g->wal_listed && i < s->nwalg; i++)
        if (s->wal_groups[i] == g)
            s->wal_groups[i] = s->wal_groups[--s->nwalg];
    reader_fini(s, &g->reader_storage);
    buf_fini(&g->pending);
    mem_free(g->members);
    mem_free(g->key);
    mem_free(g);
}

static void group_add_member(struct mqtt_group *g, struct mqtt_sub *sub)
{
    if (g->nmembers == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 4;
        g->members = mem_realloc(g->members, g->cap * sizeof(*g->members));
    }
    g->members[g->nmembers++] = sub;
    sub->group = g;
    sub->reader = &g->reader_storage;
}

static void group_remove_member(struct mqtt_server *s, struct mqtt_sub *sub)
{
    struct mqtt_group *g = sub->group;
    for (size_t i = 0; i < g->nmembers; i++) {
        if (g->members[i] == sub) {
            g->members[i] = g->members[--g->nmembers];
            break;
        }
    }
    g->dirty = true;
    if (g->nmembers == 0 && !s->stopping)
        group_free(s, g);
}

/* --- subscribe -------------------------------------------------------------
 */

static struct mqtt_sub *sub_find(struct mqtt_session *ss, struct slice f,
                                 struct mqtt_sub ***prev)
{
    for (struct mqtt_sub **pp = &ss->subs; *pp; pp = &(*pp)->next) {
        if (strlen((*pp)->filter) == f.len &&
            memcmp((*pp)->filter, f.ptr, f.len) == 0) {
            if (prev)
                *prev = pp;
            return *pp;
        }
    }
    return NULL;
}

static struct mqtt_sub *sub_create(struct mqtt_session *ss, struct slice f,
                                   uint8_t qos, uint32_t sub_id, bool at_end)
{
    struct mqtt_server *s = ss->s;
    struct slice group, inner;
    bool shared = mqtt_share_split(f, &group, &inner);
    struct mqtt_group *g = NULL;
    if (shared && !(g = group_get(s, group, inner, at_end)))
        return NULL;
    struct mqtt_sub *sub = mem_calloc(1, sizeof(*sub));
    sub->sess = ss;
    sub->filter = mem_strndup((const char *)f.ptr, f.len);
    sub->qos = qos;
    sub->sub_id = sub_id;
    if (shared) {
        group_add_member(g, sub);
    } else {
        sub->reader = mem_alloc(sizeof(*sub->reader));
        reader_init(s, sub->reader, f);
        sub->reader->sub = sub;
    }
    sub->next = ss->subs;
    ss->subs = sub;
    return sub;
}

uint8_t mqtt_session_subscribe(struct mqtt_session *ss,
                               const struct mqtt_sub_entry *e, uint32_t sub_id,
                               bool *retained)
{
    *retained = false;
    if (!mqtt_topic_filter_valid(e->filter, true))
        return MQTT_RC_TOPIC_FILTER_INVALID;
    struct slice group, inner;
    bool shared = mqtt_share_split(e->filter, &group, &inner);
    struct mqtt_sub *sub = sub_find(ss, e->filter, NULL);
    bool existed = sub != NULL;
    if (shared && !existed && !may_read_all(ss, inner)) {
        diag_warn("mqtt: %s may not READ every log topic of '%.*s'; "
                  "subscription refused",
                  ss->principal,
                  (int)(e->filter.len > 200 ? 200 : e->filter.len),
                  (const char *)e->filter.ptr);
        return MQTT_RC_NOT_AUTHORIZED;
    }
    if (sub) {
        sub->qos = e->qos;
        sub->sub_id = sub_id;
    } else {
        sub = sub_create(ss, e->filter, e->qos, sub_id, true);
        if (!sub)
            return MQTT_RC_TOPIC_FILTER_INVALID;
        /* ACLs: the topics refused are not read; with nothing allowed and
         * something refused the subscription is refused. */
        if (!shared && resolve(ss->s, sub->reader, true) > 0 &&
            sub->reader->ncur == 0) {
            diag_warn("mqtt: %s may not READ the log topics of '%.*s'; "
                      "subscription refused",
                      ss->principal,
                      (int)(e->filter.len > 200 ? 200 : e->filter.len),
                      (const char *)e->filter.ptr);
            ss->subs = sub->next; /* sub_create put it first */
            sub_free(ss->s, sub);
            return MQTT_RC_NOT_AUTHORIZED;
        }
    }
    ss->dirty = true;
    *retained = !shared && (e->retain_handling == 0 ||
                            (e->retain_handling == 1 && !existed));
    return e->qos;
}

uint8_t mqtt_session_unsubscribe(struct mqtt_session *ss, struct slice f)
{
    struct mqtt_sub **pp;
    struct mqtt_sub *sub = sub_find(ss, f, &pp);
    if (!sub)
        return MQTT_RC_NO_SUBSCRIPTION_EXISTED;
    *pp = sub->next;
    sub_free(ss->s, sub);
    ss->dirty = true;
    return 0;
}

/* --- delivery --------------------------------------------------------------
 */

static bool has_room(struct mqtt_server *s, struct mqtt_sub *sub, bool *blocked)
{
    struct mqtt_session *ss = sub->sess;
    struct mqtt_conn *mc = ss->conn;
    if (!mc || !mc->connected || mc->closed)
        return false;
    if (conn_out_bytes(mc->conn) >= s->cfg.out_limit) {
        *blocked = true;
        return false;
    }
    if (sub->qos > 0 &&
        (ss->ninflight >= ss->window || ss->ring_len >= MQTT_RING_MAX))
        return false;
    return true;
}

static struct mqtt_sub *pick(struct mqtt_server *s, struct mqtt_reader *rd,
                             bool *blocked)
{
    if (rd->sub)
        return has_room(s, rd->sub, blocked) ? rd->sub : NULL;
    struct mqtt_group *g = rd->group;
    for (size_t k = 0; k < g->nmembers; k++) {
        size_t i = (g->rr + k) % g->nmembers;
        if (has_room(s, g->members[i], blocked)) {
            g->rr = (i + 1) % g->nmembers;
            return g->members[i];
        }
    }
    return NULL;
}

static bool any_room(struct mqtt_server *s, struct mqtt_reader *rd,
                     bool *blocked)
{
    if (rd->sub)
        return has_room(s, rd->sub, blocked);
    for (size_t k = 0; k < rd->group->nmembers; k++)
        if (has_room(s, rd->group->members[k], blocked))
            return true;
    return false;
}

/* Encodes record headers (but mqtt.topic) as MQTT 5 user properties. */
static void headers_to_props(struct mqtt_server *s, const struct record *rec)
{
    buf_reset(&s->props);
    if (rec->header_count <= 0)
        return;
    struct record_header_iter hi;
    record_header_iter_init(&hi, rec);
    struct slice k, v;
    bool vnull;
    while (record_header_iter_next(&hi, &k, &v, &vnull) == 1) {
        if (slice_eq_str(k, MQTT_HDR_TOPIC) || vnull || !mqtt_utf8_valid(k) ||
            !mqtt_utf8_valid(v) || k.len > 65535 || v.len > 65535)
            continue;
        mqtt_user_prop_put(&s->props, k, v);
    }
}

static void wal_list(struct mqtt_server *s, struct mqtt_session *ss,
                     struct mqtt_reader *rd)
{
    if (!ss->wal_listed) {
        if (s->nwal == s->wal_cap) {
            s->wal_cap = s->wal_cap ? 2 * s->wal_cap : 16;
            s->wal_sessions = mem_realloc(
                s->wal_sessions, s->wal_cap * sizeof(*s->wal_sessions));
        }
        s->wal_sessions[s->nwal++] = ss;
        ss->wal_listed = true;
    }
    struct mqtt_group *g = rd ? rd->group : NULL;
    if (g && !g->wal_listed) {
        if (s->nwalg == s->walg_cap) {
            s->walg_cap = s->walg_cap ? 2 * s->walg_cap : 16;
            s->wal_groups = mem_realloc(s->wal_groups,
                                        s->walg_cap * sizeof(*s->wal_groups));
        }
        s->wal_groups[s->nwalg++] = g;
        g->wal_listed = true;
    }
}

static void send_publish(struct mqtt_server *s, struct mqtt_session *ss,
                         uint8_t qos, struct mqtt_publish_out *po,
                         struct mqtt_reader *rd, uint32_t cur, int64_t offset)
{
    struct mqtt_conn *mc = ss->conn;
    if (mc->version != MQTT_V5)
        po->user_props = slice_make(NULL, 0);
    po->qos = qos;
    if (mqtt_publish_size(mc->version, po) > mc->max_packet_out)
        return; /* larger than the client accepts: skipped, as MQTT 5 says */
    if (qos) {
        struct mqtt_inflight *e = ring_push(ss);
        e->pid = next_pid(ss);
        e->qos = qos;
        e->state = INF_PUBLISHED;
        e->rd = rd;
        e->cur = cur;
        e->offset = offset;
        po->packet_id = e->pid;
    }
    mqtt_publish_encode(&s->pkt, mc->version, po);
    if (qos == 2 && ss->persistent) {
        /* Sent once the session file (for a shared group: the group's
         * file) holds it (mqtt_deliver's end): a restart then resends it
         * with its packet id, never as new. */
        buf_put(&ss->wal, s->pkt.data, s->pkt.len);
        buf_reset(&s->pkt);
        wal_list(s, ss, rd);
    } else {
        mqtt_send(mc, &s->pkt);
    }
    s->delivered++;
}

static struct slice record_topic(const struct record *rec,
                                 const struct mqtt_cursor *c)
{
    if (rec->header_count > 0) {
        struct record_header_iter hi;
        record_header_iter_init(&hi, rec);
        struct slice k, v;
        bool vnull;
        while (record_header_iter_next(&hi, &k, &v, &vnull) == 1)
            if (!vnull && slice_eq_str(k, MQTT_HDR_TOPIC) &&
                mqtt_topic_name_valid(v))
                return v;
    }
    return slice_make(c->topic, strlen(c->topic));
}

static void mark_dirty(struct mqtt_reader *rd)
{
    if (rd->sub)
        rd->sub->sess->dirty = true;
    else
        rd->group->dirty = true;
}

/* Returns false when the reader stopped for lack of room. */
static bool deliver_cursor(struct mqtt_server *s, struct mqtt_reader *rd,
                           uint32_t ci, bool *blocked)
{
    struct slice filter = slice_make(rd->filter, strlen(rd->filter));
    for (;;) {
        struct mqtt_cursor *c = &rd->curs[ci];
        if (c->bp->topic->deleted)
            return true;
        int64_t end = broker_log_visible_end(s->b, c->bp);
        if (c->next >= end)
            return true;
        /* Nobody with room: leave the cursor where it is. */
        if (!any_room(s, rd, blocked))
            return false;
        buf_reset(&s->chunk);
        int64_t nxt = c->next;
        int rc = partition_read_copy_upto(c->bp->p, c->next, end, READ_CHUNK,
                                          &s->chunk, &nxt);
        if (rc == ERR_RANGE) {
            int64_t start = partition_log_start_offset(c->bp->p);
            if (c->next < start) {
                c->next = start; /* retention passed us by */
                mark_dirty(rd);
                continue;
            }
            return true;
        }
        if (rc < 0 || s->chunk.len == 0)
            return true;
        struct record_batch_walk w;
        record_batch_walk_init(&w, s->chunk.data, s->chunk.len);
        struct record_batch_header h;
        const uint8_t *bptr;
        size_t blen;
        while (record_batch_walk_next(&w, &h, &bptr, &blen) == 1) {
            int64_t last = record_batch_last_offset(&h);
            if (last < c->next)
                continue;
            struct record_iter it;
            if (!record_batch_attr_control(h.attributes) &&
                record_iter_init(&it, bptr, blen, &s->unzip) == 0) {
                struct record rec;
                while (record_iter_next(&it, &rec) == 1) {
                    if (rec.offset < c->next)
                        continue;
                    struct slice topic = record_topic(&rec, c);
                    if (!mqtt_topic_match(filter, topic)) {
                        c->next = rec.offset + 1;
                        continue;
                    }
                    struct mqtt_sub *sub = pick(s, rd, blocked);
                    if (!sub)
                        return false;
                    struct mqtt_publish_out po;
                    memset(&po, 0, sizeof po);
                    po.topic = topic;
                    po.payload =
                        rec.value_null ? slice_make(NULL, 0) : rec.value;
                    headers_to_props(s, &rec);
                    po.user_props = slice_make(s->props.data, s->props.len);
                    po.subscription_id = sub->sub_id;
                    send_publish(s, sub->sess, sub->qos, &po, rd, ci,
                                 rec.offset);
                    c->next = rec.offset + 1;
                    mark_dirty(rd);
                }
            }
            if (c->next < last + 1) {
                c->next = last + 1;
                mark_dirty(rd);
            }
        }
        if (nxt > c->next)
            c->next = nxt;
    }
}

static void group_save(struct mqtt_server *s, struct mqtt_group *g);

void mqtt_deliver(struct mqtt_server *s)
{
    if (s->stopping)
        return;
    bool blocked = false;
    for (struct mqtt_reader *rd = s->readers; rd; rd = rd->next)
        for (uint32_t ci = 0; ci < rd->ncur; ci++)
            if (!deliver_cursor(s, rd, ci, &blocked))
                break;
    for (size_t i = 0; i < s->nwalg; i++) {
        group_save(s, s->wal_groups[i]);
        s->wal_groups[i]->wal_listed = false;
    }
    s->nwalg = 0;
    for (size_t i = 0; i < s->nwal; i++) {
        struct mqtt_session *ss = s->wal_sessions[i];
        mqtt_session_save(ss);
        ss->wal_listed = false;
        if (ss->conn)
            mqtt_send(ss->conn, &ss->wal);
        buf_reset(&ss->wal);
    }
    s->nwal = 0;
    if (blocked && !loop_timer_active(&s->retry))
        loop_timer_start(s->loop, &s->retry, 2, 0);
}

void mqtt_session_ack(struct mqtt_session *ss, uint8_t type, uint16_t pid)
{
    struct mqtt_server *s = ss->s;
    for (size_t i = 0; i < ss->ring_len; i++) {
        struct mqtt_inflight *e = ring_at(ss, i);
        if (e->pid != pid || e->state == INF_FREE)
            continue;
        if (type == MQTT_PUBACK && e->qos == 1) {
            e->state = INF_FREE;
        } else if (type == MQTT_PUBREC && e->qos == 2 &&
                   e->state == INF_PUBLISHED) {
            e->state = INF_RELEASED;
            mqtt_ack_encode(&s->pkt, ss->conn->version, MQTT_PUBREL, pid, 0);
            if (ss->persistent) {
                /* Once a PUBREL left, the PUBLISH must never go again
                 * (the receiver forgets the id at PUBREL): the state is
                 * saved first, with the round's others (mqtt_deliver). */
                buf_put(&ss->wal, s->pkt.data, s->pkt.len);
                buf_reset(&s->pkt);
                ss->dirty = true;
                if (e->rd && e->rd->group)
                    e->rd->group->dirty = true;
                wal_list(s, ss, e->rd);
                mqtt_kick(s);
            } else {
                mqtt_send(ss->conn, &s->pkt);
            }
            return;
        } else if (type == MQTT_PUBCOMP && e->state == INF_RELEASED) {
            e->state = INF_FREE;
        } else {
            return;
        }
        ss->ninflight--;
        if (e->rd)
            mark_dirty(e->rd);
        ring_trim(ss);
        mqtt_kick(s);
        return;
    }
    if (type == MQTT_PUBREC) {
        /* Unknown id: release it anyway so the client can forget it. */
        mqtt_ack_encode(&s->pkt, ss->conn->version, MQTT_PUBREL, pid,
                        MQTT_RC_PACKET_ID_NOT_FOUND);
        mqtt_send(ss->conn, &s->pkt);
    }
}

/* --- retained --------------------------------------------------------------
 */

void mqtt_retained_set(struct mqtt_server *s, struct slice topic,
                       struct slice payload, uint8_t qos,
                       struct slice user_props)
{
    struct mqtt_retained *r = hashmap_get(&s->retained, topic.ptr, topic.len);
    if (payload.len == 0) {
        if (r) {
            hashmap_remove(&s->retained, topic.ptr, topic.len);
            buf_fini(&r->payload);
            buf_fini(&r->props);
            mem_free(r->topic);
            mem_free(r);
        }
        return;
    }
    if (!r) {
        r = mem_calloc(1, sizeof(*r));
        r->topic = mem_strndup((const char *)topic.ptr, topic.len);
        buf_init(&r->payload);
        buf_init(&r->props);
        hashmap_put(&s->retained, topic.ptr, topic.len, r);
    }
    buf_reset(&r->payload);
    buf_put(&r->payload, payload.ptr, payload.len);
    buf_reset(&r->props);
    if (user_props.len)
        buf_put(&r->props, user_props.ptr, user_props.len);
    r->qos = qos;
}

void mqtt_session_send_retained(struct mqtt_session *ss, struct slice filter,
                                uint8_t qos)
{
    struct mqtt_server *s = ss->s;
    if (!ss->conn)
        return;
    struct hashmap_entry *he;
    for (size_t it = 0; hashmap_next(&s->retained, &it, &he);) {
        struct mqtt_retained *r = he->value;
        struct slice t = slice_make(r->topic, strlen(r->topic));
        if (!mqtt_topic_match(filter, t))
            continue;
        struct mqtt_publish_out po;
        memset(&po, 0, sizeof po);
        po.topic = t;
        po.retain = true;
        po.payload = slice_make(r->payload.data, r->payload.len);
        po.user_props = slice_make(r->props.data, r->props.len);
        send_publish(s, ss, qos < r->qos ? qos : r->qos, &po, NULL, 0, 0);
    }
}

void mqtt_retained_load(struct mqtt_server *s)
{
    int16_t err = 0;
    struct slice rt =
        slice_make(MQTT_RETAINED_TOPIC, strlen(MQTT_RETAINED_TOPIC));
    struct broker_part *bp = broker_part_find(s->b, rt, 0, false, &err);
    if (!bp)
        return;
    int64_t off = partition_log_start_offset(bp->p);
    int64_t end = partition_high_watermark(bp->p);
    size_t n = 0;
    while (off < end) {
        buf_reset(&s->chunk);
        int64_t nxt = off;
        if (partition_read_copy_upto(bp->p, off, end, READ_CHUNK, &s->chunk,
                                     &nxt) < 0 ||
            nxt <= off)
            break;
        struct record_batch_walk w;
        record_batch_walk_init(&w, s->chunk.data, s->chunk.len);
        struct record_batch_header h;
        const uint8_t *bptr;
        size_t blen;
        while (record_batch_walk_next(&w, &h, &bptr, &blen) == 1) {
            struct record_iter it;
            if (record_iter_init(&it, bptr, blen, &s->unzip) < 0)
                continue;
            struct record rec;
            while (record_iter_next(&it, &rec) == 1) {
                if (rec.key_null || !mqtt_topic_name_valid(rec.key))
                    continue;
                uint8_t qos = 0;
                struct slice props = slice_make(NULL, 0);
                struct record_header_iter hi;
                record_header_iter_init(&hi, &rec);
                struct slice k, v;
                bool vnull;
                while (record_header_iter_next(&hi, &k, &v, &vnull) == 1) {
                    if (slice_eq_str(k, "qos") && v.len == 1 &&
                        v.ptr[0] >= '0' && v.ptr[0] <= '2')
                        qos = (uint8_t)(v.ptr[0] - '0');
                    else if (slice_eq_str(k, "mqtt.props") && !vnull)
                        props = v;
                }
                mqtt_retained_set(s, rec.key,
                                  rec.value_null ? slice_make(NULL, 0)
                                                 : rec.value,
                                  qos, props);
                n++;
            }
        }
        off = nxt;
    }
    diag_info("mqtt: %zu retained messages (%zu records replayed)",
              hashmap_count(&s->retained), n);
}

void mqtt_retained_fini(struct mqtt_server *s)
{
    struct hashmap_entry *he;
    for (size_t it = 0; hashmap_next(&s->retained, &it, &he);) {
        struct mqtt_retained *r = he->value;
        buf_fini(&r->payload);
        buf_fini(&r->props);
        mem_free(r->topic);
        mem_free(r);
    }
}

/* --- persistence -----------------------------------------------------------
 */

/* Where a group's cursor ci restarts: its next offset, or the lowest one
 * in flight to a member whose session does not survive a restart (a
 * persistent member's deliveries are saved with it, below). */
static int64_t committed(struct mqtt_reader *rd, uint32_t ci)
{
    int64_t pos = rd->curs[ci].next;
    for (size_t m = 0; m < rd->group->nmembers; m++) {
        struct mqtt_session *ss = rd->group->members[m]->sess;
        if (ss->persistent)
            continue;
        for (size_t i = 0; i < ss->ring_len; i++) {
            struct mqtt_inflight *e = ring_at(ss, i);
            if (e->state == INF_PUBLISHED && e->rd == rd && e->cur == ci &&
                e->offset < pos)
                pos = e->offset;
        }
    }
    return pos;
}

/* "inf" lines of ss's deliveries in flight through rd; with cid, the
 * session's client id first (a group's file). */
static void put_inflight(struct buf *b, struct mqtt_reader *rd,
                         struct mqtt_session *ss, bool cid)
{
    char *ch = NULL;
    for (size_t i = 0; i < ss->ring_len; i++) {
        struct mqtt_inflight *e = ring_at(ss, i);
        if (e->state == INF_FREE || e->rd != rd || e->cur >= rd->ncur)
            continue;
        if (cid && !ch) {
            size_t n = strlen(ss->client_id);
            ch = mem_alloc(2 * n + 1);
            hex(ch, ss->client_id, n);
        }
        char th[2 * LOGDIR_TOPIC_NAME_MAX + 1];
        hex(th, rd->curs[e->cur].topic, strlen(rd->curs[e->cur].topic));
        buf_printf(b, "inf %s%s%u %u %u %s %d %lld\n", ch ? ch : "",
                   ch ? " " : "", e->pid, e->qos, e->state, th,
                   rd->curs[e->cur].partition, (long long)e->offset);
    }
    mem_free(ch);
}

/* A group's cursors (committed(), above) and its persistent members'
 * deliveries in flight; a session's cursors at their next offsets and
 * its deliveries in flight through rd (resent with their packet ids
 * after a restart). */
static void put_cursors(struct buf *b, struct mqtt_reader *rd,
                        struct mqtt_session *ss)
{
    for (uint32_t i = 0; i < rd->ncur; i++) {
        char th[2 * LOGDIR_TOPIC_NAME_MAX + 1];
        hex(th, rd->curs[i].topic, strlen(rd->curs[i].topic));
        buf_printf(b, "cur %s %d %lld\n", th, rd->curs[i].partition,
                   (long long)(ss ? rd->curs[i].next : committed(rd, i)));
    }
    if (ss) {
        put_inflight(b, rd, ss, false);
        return;
    }
    for (size_t m = 0; m < rd->group->nmembers; m++)
        if (rd->group->members[m]->sess->persistent)
            put_inflight(b, rd, rd->group->members[m]->sess, true);
}

static void write_file(struct mqtt_server *s, const char *kind,
                       const char *name, struct buf *b)
{
    char sub[1200];
    snprintf(sub, sizeof sub, "%s/%s", s->dir, kind);
    (void)os_mkdir_p(sub);
    char *path = file_path(s, kind, name);
    int rc = os_write_file_atomic(path, b->data, b->len);
    if (rc < 0)
        diag_warn("mqtt: cannot save %s: %s", path, err_str(rc));
    mem_free(path);
}

void mqtt_session_save(struct mqtt_session *ss)
{
    if (!ss->persistent)
        return;
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "rill-mqtt-session 1\nexpiry %u\n", ss->expiry_s);
    for (struct mqtt_sub *sub = ss->subs; sub; sub = sub->next) {
        size_t fl = strlen(sub->filter);
        char *fh = mem_alloc(2 * fl + 1);
        hex(fh, sub->filter, fl);
        buf_printf(&b, "sub %u %u %s\n", sub->qos, sub->sub_id, fh);
        mem_free(fh);
        if (!sub->group)
            put_cursors(&b, sub->reader, ss);
    }
    for (uint32_t pid = 1; ss->qos2_in && pid < 65536; pid++)
        if (ss->qos2_in[pid >> 3] & (1u << (pid & 7)))
            buf_printf(&b, "rec %u\n", pid);
    write_file(ss->s, "sessions", ss->client_id, &b);
    buf_fini(&b);
    ss->dirty = false;
    ss->saved_ms = loop_now_ms(ss->s->loop);
}

static void group_save(struct mqtt_server *s, struct mqtt_group *g)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "rill-mqtt-group 1\n");
    put_cursors(&b, &g->reader_storage, NULL);
    write_file(s, "groups", g->key, &b);
    buf_fini(&b);
    g->dirty = false;
    g->saved_ms = loop_now_ms(s->loop);
}

static bool group_persistent(const struct mqtt_group *g)
{
    for (size_t i = 0; i < g->nmembers; i++)
        if (g->members[i]->sess->persistent)
            return true;
    return false;
}

/* Restores cursor lines into rd; returns how many were read. */
static void load_cursor(struct mqtt_server *s, struct mqtt_reader *rd,
                        char *line)
{
    char th[2 * LOGDIR_TOPIC_NAME_MAX + 2];
    int part;
    long long off;
    if (!rd || sscanf(line, "cur %499s %d %lld", th, &part, &off) != 3)
        return;
    char name[LOGDIR_TOPIC_NAME_MAX + 2];
    if (strlen(th) > 2 * LOGDIR_TOPIC_NAME_MAX)
        return;
    unhex(name, th);
    int16_t err = 0;
    struct broker_part *bp = broker_part_find(
        s->b, slice_make(name, strlen(name)), part, false, &err);
    if (!bp)
        return;
    struct mqtt_cursor *c = cursor_find(rd, name, part);
    if (c)
        c->next = off;
    else
        cursor_add(rd, bp, off);
}

/* "inf <pid> <qos> <state> <hex topic> <partition> <offset>": a delivery
 * in flight through rd when the session was saved. */
static void load_inflight(struct mqtt_session *ss, struct mqtt_reader *rd,
                          char *line)
{
    char th[2 * LOGDIR_TOPIC_NAME_MAX + 2];
    unsigned pid, qos, state;
    int part;
    long long off;
    if (!rd || sscanf(line, "inf %u %u %u %499s %d %lld", &pid, &qos, &state,
                      th, &part, &off) != 6)
        return;
    if (pid == 0 || pid > 65535 || qos < 1 || qos > 2 ||
        (state != INF_PUBLISHED && state != INF_RELEASED) ||
        strlen(th) > 2 * LOGDIR_TOPIC_NAME_MAX || off < 0)
        return;
    char name[LOGDIR_TOPIC_NAME_MAX + 2];
    unhex(name, th);
    struct mqtt_cursor *c = cursor_find(rd, name, part);
    if (!c)
        return;
    struct mqtt_inflight *e = ring_push(ss);
    e->pid = (uint16_t)pid;
    e->qos = (uint8_t)qos;
    e->state = (uint8_t)state;
    e->rd = rd;
    e->cur = (uint32_t)(c - rd->curs);
    e->offset = off;
    if (e->pid > ss->next_pid)
        ss->next_pid = e->pid;
}

static void load_dir(struct mqtt_server *s, const char *kind)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", s->dir, kind);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *de;
    bool groups = strcmp(kind, "groups") == 0;
    while ((de = readdir(d))) {
        size_t hl = strlen(de->d_name);
        if (de->d_name[0] == '.' || hl % 2 || strchr(de->d_name, '.'))
            continue;
        char file[1500];
        snprintf(file, sizeof file, "%s/%s", path, de->d_name);
        char *text = NULL;
        size_t len = 0;
        if (os_read_file(file, 16u << 20, &text, &len) < 0)
            continue;
        char *name = mem_alloc(hl / 2 + 1);
        size_t nl = unhex(name, de->d_name);
        struct mqtt_session *ss = NULL;
        struct mqtt_reader *rd = NULL;
        if (groups) {
            const char *slash = memchr(name, '/', nl);
            if (slash) {
                struct mqtt_group *g = group_get(
                    s, slice_make(name, (size_t)(slash - name)),
                    slice_make(slash + 1, nl - (size_t)(slash - name) - 1),
                    false);
                rd = g ? &g->reader_storage : NULL;
            }
        } else {
            ss = mqtt_session_new(s, slice_make(name, nl));
            ss->persistent = true;
            ss->expiry_s = UINT32_MAX;
            ss->offline_since_ms = loop_now_ms(s->loop);
        }
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
            unsigned a, b;
            char fh[2 * 65536 + 2];
            if (ss && sscanf(line, "expiry %u", &a) == 1) {
                ss->expiry_s = a;
            } else if (ss && strlen(line) < sizeof fh &&
                       sscanf(line, "sub %u %u %s", &a, &b, fh) == 3) {
                char *f = mem_alloc(strlen(fh) / 2 + 1);
                size_t fl = unhex(f, fh);
                struct slice fs = slice_make(f, fl);
                rd = NULL;
                if (a <= 2 && mqtt_topic_filter_valid(fs, true)) {
                    struct mqtt_sub *sub =
                        sub_create(ss, fs, (uint8_t)a, b, false);
                    if (sub && !sub->group)
                        rd = sub->reader;
                }
                mem_free(f);
            } else if (strncmp(line, "cur ", 4) == 0) {
                load_cursor(s, rd, line);
            } else if (ss && strncmp(line, "inf ", 4) == 0) {
                load_inflight(ss, rd, line);
            } else if (groups && rd && strncmp(line, "inf ", 4) == 0) {
                buf_put_str(&rd->group->pending, line); /* for the */
                buf_put_u8(&rd->group->pending, '\n');  /* sessions */
            } else if (ss && sscanf(line, "rec %u", &a) == 1 && a > 0 &&
                       a < 65536) {
                if (!ss->qos2_in)
                    ss->qos2_in = mem_calloc(8192, 1);
                ss->qos2_in[a >> 3] |= (uint8_t)(1u << (a & 7));
            }
        }
        /* Topics that appeared since: read from their start. */
        if (ss)
            for (struct mqtt_sub *sub = ss->subs; sub; sub = sub->next)
                if (!sub->group)
                    resolve(s, sub->reader, false);
        mem_free(name);
        free(text);
    }
    closedir(d);
}

/* A group's "inf <hex client id> ..." lines, once the sessions are
 * loaded: each goes back into its member's ring (resent with its packet
 * id when the member returns). A member that is gone: a QoS 1 delivery
 * goes to the others, a QoS 2 one is dropped (MQTT 5 4.8.2). */
static void group_restore_inflight(struct mqtt_server *s, struct mqtt_group *g)
{
    struct mqtt_reader *rd = &g->reader_storage;
    buf_put_u8(&g->pending, 0);
    char *text = (char *)g->pending.data, *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char ch[2 * CID_MAX + 2];
        int skip = 0;
        if (sscanf(line, "inf %511s %n", ch, &skip) != 1 || !skip ||
            strlen(ch) % 2)
            continue;
        char cid[CID_MAX + 1];
        size_t cl = unhex(cid, ch);
        struct mqtt_session *ss = hashmap_get(&s->sessions, cid, cl);
        struct mqtt_sub *sub = ss ? ss->subs : NULL;
        while (sub && sub->group != g)
            sub = sub->next;
        char rest[1200];
        snprintf(rest, sizeof rest, "inf %s", line + skip);
        if (sub) {
            load_inflight(ss, rd, rest);
            continue;
        }
        unsigned pid, qos, state;
        char th[2 * LOGDIR_TOPIC_NAME_MAX + 2];
        int part;
        long long off;
        if (sscanf(rest, "inf %u %u %u %499s %d %lld", &pid, &qos, &state, th,
                   &part, &off) != 6 ||
            qos != 1 || state != INF_PUBLISHED ||
            strlen(th) > 2 * LOGDIR_TOPIC_NAME_MAX)
            continue;
        char name[LOGDIR_TOPIC_NAME_MAX + 2];
        unhex(name, th);
        struct mqtt_cursor *c = cursor_find(rd, name, part);
        if (c && off >= 0 && off < c->next)
            c->next = off;
    }
    buf_fini(&g->pending);
    buf_init(&g->pending);
}

void mqtt_sessions_load(struct mqtt_server *s)
{
    load_dir(s, "groups");
    load_dir(s, "sessions");
    struct hashmap_entry *ge;
    for (size_t it = 0; hashmap_next(&s->groups, &it, &ge);)
        group_restore_inflight(s, ge->value);
    /* Groups whose members are all gone. */
    struct hashmap_entry *he;
    bool again = true;
    while (again) {
        again = false;
        for (size_t it = 0; hashmap_next(&s->groups, &it, &he);) {
            struct mqtt_group *g = he->value;
            if (g->nmembers == 0) {
                group_free(s, g);
                again = true;
                break;
            }
        }
    }
    if (hashmap_count(&s->sessions))
        diag_info("mqtt: %zu persistent sessions restored",
                  hashmap_count(&s->sessions));
}

void mqtt_sessions_tick(struct mqtt_server *s, int64_t now_ms)
{
    struct hashmap_entry *he;
    bool again = true;
    while (again) {
        again = false;
        for (size_t it = 0; hashmap_next(&s->sessions, &it, &he);) {
            struct mqtt_session *ss = he->value;
            if (!ss->conn && ss->expiry_s != UINT32_MAX &&
                now_ms - ss->offline_since_ms > (int64_t)ss->expiry_s * 1000) {
                diag_info("mqtt: session %s expired", ss->client_id);
                mqtt_session_destroy(ss);
                again = true; /* the map changed */
                break;
            }
        }
    }
    int budget = SAVES_PER_TICK;
    for (size_t it = 0; budget > 0 && hashmap_next(&s->sessions, &it, &he);) {
        struct mqtt_session *ss = he->value;
        if (ss->dirty && ss->persistent &&
            now_ms - ss->saved_ms >= SAVE_EVERY_MS) {
            mqtt_session_save(ss);
            budget--;
        }
    }
    for (size_t it = 0; budget > 0 && hashmap_next(&s->groups, &it, &he);) {
        struct mqtt_group *g = he->value;
        if (g->dirty && group_persistent(g) &&
            now_ms - g->saved_ms >= SAVE_EVERY_MS) {
            group_save(s, g);
            budget--;
        }
    }
    /* Topics and partitions created since: new cursors. */
    for (struct mqtt_reader *rd = s->readers; rd; rd = rd->next)
        resolve(s, rd, false);
    mqtt_kick(s);
}

void mqtt_sessions_fini(struct mqtt_server *s)
{
    mem_free(s->wal_sessions);
    s->wal_sessions = NULL;
    s->nwal = s->wal_cap = 0;
    mem_free(s->wal_groups);
    s->wal_groups = NULL;
    s->nwalg = s->walg_cap = 0;
    struct hashmap_entry *he;
    for (size_t it = 0; hashmap_next(&s->groups, &it, &he);) {
        struct mqtt_group *g = he->value;
        if (group_persistent(g))
            group_save(s, g);
    }
    for (size_t it = 0; hashmap_next(&s->sessions, &it, &he);) {
        struct mqtt_session *ss = he->value;
        if (ss->persistent)
            mqtt_session_save(ss);
    }
    /* Free: sessions first (they leave their groups), then the groups. */
    while (hashmap_count(&s->sessions)) {
        size_t it = 0;
        hashmap_next(&s->sessions, &it, &he);
        mqtt_session_destroy(he->value);
    }
    while (hashmap_count(&s->groups)) {
        size_t it = 0;
        hashmap_next(&s->groups, &it, &he);
        group_free(s, he->value);
    }
}
