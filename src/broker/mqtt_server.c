/* mqtt_server.c - the MQTT listener: connections, packets and the publish
 * path into the log (layer: broker).
 *
 * Connection states: ACCEPTED --CONNECT--> CONNECTED --DISCONNECT or
 * error or keep-alive timeout--> CLOSED. Any packet before CONNECT other
 * than CONNECT, and any malformed packet, closes that connection only.
 * Publish path: a PUBLISH is mapped (mqtt_map.h) and added to a batch
 * staged for its partition; after the current batch of events the staged
 * batches are appended, one write per partition, and the PUBACK/PUBREC
 * they owe go out (or, with mqtt.fsync.ack, once the flusher made them
 * durable). Invariants:
 *   1. A connection's owed acks leave in the order their packets came.
 *   2. No ack leaves before its record is in the log (durable with
 *      fsync_ack); a failed append answers an error (MQTT 5) or closes
 *      the connection (3.1.1 has no negative PUBACK).
 */
#include "broker/mqtt_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "broker/broker_acl.h"
#include "broker/broker_limits.h"
#include "log/partition.h"
#include "net/tls.h"
#include "log/partitioner.h"

#define STAGE_FLUSH_BYTES (256u * 1024)
#define CONNECT_TIMEOUT_MS 10000
#define TICK_MS 1000

void mqtt_send(struct mqtt_conn *mc, struct buf *pkt)
{
    if (!mc->closed)
        conn_send_copy(mc->conn, pkt->data, pkt->len);
    buf_reset(pkt);
}

void mqtt_kick(struct mqtt_server *s)
{
    if (!s->stopping)
        loop_defer_start(s->loop, &s->deliver_defer);
}

static void deliver_cb(struct loop *l, void *arg)
{
    (void)l;
    mqtt_deliver(arg);
}

static void retry_cb(struct loop *l, struct loop_timer *t)
{
    (void)l;
    mqtt_deliver(t->arg);
}

/* The broker appended (a Kafka producer, or a query via broker_fetch_wake). */
static void on_broker_append(void *arg)
{
    mqtt_kick(arg);
}

/* --- staged appends ------------------------------------------------------- */

static struct mqtt_stage *stage_for(struct mqtt_server *s,
                                    struct broker_part *bp)
{
    for (size_t i = 0; i < s->nstages; i++)
        if (s->stages[i].bp == bp)
            return &s->stages[i];
    s->stages = mem_realloc(s->stages, (s->nstages + 1) * sizeof(*s->stages));
    struct mqtt_stage *st = &s->stages[s->nstages++];
    memset(st, 0, sizeof(*st));
    st->bp = bp;
    st->end = -1;
    record_batch_builder_init(&st->bb, 0);
    return st;
}

static void acks_release(struct mqtt_conn *mc);

static void flush_stages(struct mqtt_server *s)
{
    if (!s->staged)
        return;
    s->staged = false;
    for (size_t i = 0; i < s->nstages; i++) {
        struct mqtt_stage *st = &s->stages[i];
        int32_t n = record_batch_builder_count(&st->bb);
        if (n == 0)
            continue;
        buf_reset(&s->chunk);
        int rc = record_batch_builder_finish(&st->bb, &s->chunk);
        int64_t base = -1;
        if (rc == 0)
            rc =
                partition_append(st->bp->p, s->chunk.data, s->chunk.len, &base);
        record_batch_builder_reset(&st->bb);
        st->err = rc;
        if (rc < 0) {
            diag_warn("mqtt: append to %s-%d failed: %s", st->bp->topic->name,
                      st->bp->id, err_str(rc));
            continue;
        }
        st->end = base + n;
        s->published += (uint64_t)n;
    }
    /* Every ack staged so far is covered by the appends just made. */
    for (struct mqtt_conn *mc = s->ack_conns; mc; mc = mc->ack_next) {
        for (size_t k = 0; k < mc->acks_len; k++) {
            struct mqtt_pend_ack *a =
                &mc->acks[(mc->acks_head + k) % mc->acks_cap];
            if (!a->bp || a->end >= 0 || a->failed)
                continue;
            struct mqtt_stage *st = stage_for(s, a->bp);
            if (st->err < 0)
                a->failed = true;
            else
                a->end = st->end;
        }
    }
    broker_fetch_notify(s->b); /* Kafka long polls; our hook kicks delivery */
    mqtt_kick(s);
    struct mqtt_conn *mc = s->ack_conns;
    while (mc) {
        struct mqtt_conn *next = mc->ack_next;
        acks_release(mc);
        mc = next;
    }
}

static void append_cb(struct loop *l, void *arg)
{
    (void)l;
    flush_stages(arg);
}

static void ensure_hdrs(struct mqtt_server *s, size_t n)
{
    if (n <= s->hdrs_cap)
        return;
    size_t cap = s->hdrs_cap ? s->hdrs_cap : 16;
    while (cap < n)
        cap *= 2;
    s->hdrs = mem_realloc(s->hdrs, cap * sizeof(*s->hdrs));
    s->hdr_vals = mem_realloc(s->hdr_vals, cap * sizeof(*s->hdr_vals));
    s->hdrs_cap = cap;
}

static struct broker_part *part_for(struct mqtt_server *s, const char *topic,
                                    struct slice key)
{
    int16_t err = 0;
    struct slice name = slice_make(topic, strlen(topic));
    struct broker_topic *t = broker_topic_find(s->b, name, true, &err);
    if (!t || t->nparts <= 0)
        return NULL;
    int32_t p = partitioner_for_key(key.ptr, key.len, t->nparts);
    return broker_part_find(s->b, name, p, true, &err);
}

int mqtt_publish_message(struct mqtt_server *s, struct slice topic,
                         struct slice payload, uint8_t qos, bool retain,
                         const struct mqtt_props *props,
                         struct mqtt_pend_ack *ack)
{
    struct mqtt_map_result mr;
    mqtt_map_match(s->map, topic, &mr);
    struct broker_part *bp = part_for(s, mr.log_topic, mr.key);
    if (!bp)
        return ERR_NOT_FOUND;
    /* Headers: the MQTT topic, the captures, the user properties. */
    size_t nuser = props ? props->user_props : 0;
    ensure_hdrs(s, 1 + mr.ncaptures + nuser);
    size_t nh = 0;
    s->hdr_vals[nh] = topic;
    s->hdrs[nh].key = slice_make(MQTT_HDR_TOPIC, strlen(MQTT_HDR_TOPIC));
    s->hdrs[nh].value = &s->hdr_vals[nh];
    nh++;
    for (size_t i = 0; i < mr.ncaptures; i++, nh++) {
        s->hdr_vals[nh] = mr.captures[i].value;
        s->hdrs[nh].key =
            slice_make(mr.captures[i].name, strlen(mr.captures[i].name));
        s->hdrs[nh].value = &s->hdr_vals[nh];
    }
    if (nuser) {
        struct mqtt_user_prop_iter it;
        mqtt_user_prop_iter_init(&it, props);
        struct slice k, v;
        while (nh < 1 + mr.ncaptures + nuser &&
               mqtt_user_prop_next(&it, &k, &v) == 1) {
            s->hdr_vals[nh] = v;
            s->hdrs[nh].key = k;
            s->hdrs[nh].value = &s->hdr_vals[nh];
            nh++;
        }
    }
    struct slice value = payload;
    if (mr.json_fields && mr.ncaptures &&
        mqtt_map_json_fields(&mr, payload, &s->json))
        value = slice_make(s->json.data, s->json.len);
    struct mqtt_stage *st = stage_for(s, bp);
    int64_t now = clock_now_ms();
    int rc = record_batch_builder_add(&st->bb, &mr.key, &value, now, s->hdrs,
                                      (int32_t)nh);
    if (rc < 0)
        return rc;
    if (retain) {
        /* Only the user properties travel with a retained message. */
        buf_reset(&s->props);
        if (props && props->user_props) {
            struct mqtt_user_prop_iter it;
            mqtt_user_prop_iter_init(&it, props);
            struct slice k, v;
            while (mqtt_user_prop_next(&it, &k, &v) == 1)
                mqtt_user_prop_put(&s->props, k, v);
        }
        struct slice ub = slice_make(s->props.data, s->props.len);
        mqtt_retained_set(s, topic, payload, qos, ub);
        struct slice rt =
            slice_make(MQTT_RETAINED_TOPIC, strlen(MQTT_RETAINED_TOPIC));
        int16_t err = 0;
        struct broker_part *rp = broker_part_find(s->b, rt, 0, true, &err);
        if (rp) {
            struct mqtt_stage *rs = stage_for(s, rp);
            /* An empty payload deletes: a null value (a tombstone). */
            struct slice qv = slice_make(&"012"[qos], 1);
            struct record_header h[2];
            h[0].key = slice_make("qos", 3);
            h[0].value = &qv;
            h[1].key = slice_make("mqtt.props", 10);
            h[1].value = &ub;
            record_batch_builder_add(&rs->bb, &topic,
                                     payload.len ? &payload : NULL, now, h,
                                     ub.len ? 2 : 1);
        }
    }
    if (ack) {
        ack->bp = bp;
        ack->end = -1;
        ack->failed = false;
    }
    if (!s->staged) {
        s->staged = true;
        loop_defer_start(s->loop, &s->append_defer);
    }
    st = stage_for(s, bp);
    if (record_batch_builder_size(&st->bb) >= STAGE_FLUSH_BYTES)
        flush_stages(s);
    return 0;
}

/* --- owed acknowledgements ------------------------------------------------ */

static struct mqtt_pend_ack *ack_push(struct mqtt_conn *mc)
{
    if (mc->acks_len == mc->acks_cap) {
        size_t ncap = mc->acks_cap ? 2 * mc->acks_cap : 64;
        struct mqtt_pend_ack *n = mem_alloc(ncap * sizeof(*n));
        for (size_t i = 0; i < mc->acks_len; i++)
            n[i] = mc->acks[(mc->acks_head + i) % mc->acks_cap];
        mem_free(mc->acks);
        mc->acks = n;
        mc->acks_cap = ncap;
        mc->acks_head = 0;
    }
    struct mqtt_pend_ack *a =
        &mc->acks[(mc->acks_head + mc->acks_len++) % mc->acks_cap];
    memset(a, 0, sizeof(*a));
    a->end = -1;
    if (!mc->in_ack_list) {
        mc->in_ack_list = true;
        mc->ack_next = mc->s->ack_conns;
        mc->s->ack_conns = mc;
    }
    return a;
}

static void ack_list_remove(struct mqtt_conn *mc)
{
    if (!mc->in_ack_list)
        return;
    for (struct mqtt_conn **pp = &mc->s->ack_conns; *pp;
         pp = &(*pp)->ack_next) {
        if (*pp == mc) {
            *pp = mc->ack_next;
            break;
        }
    }
    mc->in_ack_list = false;
}

static void durable_done(struct broker *b, struct broker_durable_wait *w,
                         int err)
{
    struct mqtt_conn *mc = w->arg;
    (void)b;
    mc->dw_active = false;
    if (err < 0 && mc->acks_len > 0)
        mc->acks[mc->acks_head].failed = true;
    acks_release(mc);
}

/* Sends the owed acks from the head that may leave now. */
/* QoS 2 exactly once across a restart: the ids of the messages a PUBREC
 * is about to confirm are saved with a persistent session first (one
 * write for every PUBREC ready now), so a resend after a restart is
 * recognised (docs/mqtt.md). */
static void save_received(struct mqtt_conn *mc)
{
    struct mqtt_server *s = mc->s;
    struct mqtt_session *ss = mc->sess;
    if (!ss || !ss->persistent)
        return;
    bool fresh = false;
    for (size_t i = 0; i < mc->acks_len; i++) {
        struct mqtt_pend_ack *a = &mc->acks[(mc->acks_head + i) % mc->acks_cap];
        if (a->bp && !a->failed &&
            (a->end < 0 ||
             (s->cfg.fsync_ack && partition_durable_offset(a->bp->p) < a->end)))
            break;
        if (a->type != MQTT_PUBREC || a->failed)
            continue;
        if (!ss->qos2_in)
            ss->qos2_in = mem_calloc(8192, 1);
        uint8_t bit = (uint8_t)(1u << (a->pid & 7));
        if (!(ss->qos2_in[a->pid >> 3] & bit)) {
            ss->qos2_in[a->pid >> 3] |= bit;
            fresh = true;
        }
    }
    if (fresh)
        mqtt_session_save(ss);
}

static void acks_release(struct mqtt_conn *mc)
{
    struct mqtt_server *s = mc->s;
    save_received(mc);
    while (mc->acks_len > 0 && !mc->closed) {
        struct mqtt_pend_ack *a = &mc->acks[mc->acks_head];
        if (a->bp && !a->failed) {
            if (a->end < 0)
                return; /* not appended yet */
            if (s->cfg.fsync_ack &&
                partition_durable_offset(a->bp->p) < a->end) {
                if (!mc->dw_active) {
                    mc->dw_active = true;
                    mc->dw.part = a->bp;
                    mc->dw.end_offset = a->end;
                    mc->dw.done = durable_done;
                    mc->dw.arg = mc;
                    broker_log_wait_durable(s->b, &mc->dw);
                }
                return;
            }
        }
        if (a->failed && mc->version != MQTT_V5) {
            diag_warn("mqtt: %s: %s; closing (MQTT 3.1.1 has no negative "
                      "acknowledgement)",
                      conn_peer(mc->conn),
                      a->reason == MQTT_RC_NOT_AUTHORIZED
                          ? "a publish was not authorized"
                          : "the log refused a message");
            conn_close(mc->conn);
            return;
        }
        if (a->type == MQTT_PUBREC && !a->failed && mc->sess) {
            struct mqtt_session *ss = mc->sess;
            if (!ss->qos2_in)
                ss->qos2_in = mem_calloc(8192, 1);
            ss->qos2_in[a->pid >> 3] |= (uint8_t)(1u << (a->pid & 7));
        }
        mqtt_ack_encode(&s->pkt, mc->version, a->type, a->pid,
                        !a->failed  ? 0
                        : a->reason ? a->reason
                                    : MQTT_RC_UNSPECIFIED);
        mqtt_send(mc, &s->pkt);
        mc->acks_head = (mc->acks_head + 1) % mc->acks_cap;
        mc->acks_len--;
    }
    if (mc->acks_len == 0)
        ack_list_remove(mc);
}

/* --- packets -------------------------------------------------------------- */

static int protocol_error(struct mqtt_conn *mc, uint8_t reason, const char *why)
{
    diag_warn("mqtt: %s: %s; closing", conn_peer(mc->conn), why);
    if (mc->connected && mc->version == MQTT_V5) {
        mqtt_disconnect_encode(&mc->s->pkt, reason);
        mqtt_send(mc, &mc->s->pkt);
        conn_close_after_flush(mc->conn);
        return 0;
    }
    return ERR_CORRUPT;
}

static void store_will(struct mqtt_conn *mc, const struct mqtt_connect *c)
{
    mc->has_will = c->will;
    if (!c->will)
        return;
    mc->will_topic =
        mem_strndup((const char *)c->will_topic.ptr, c->will_topic.len);
    buf_put(&mc->will_payload, c->will_payload.ptr, c->will_payload.len);
    if (c->will_props.user_props) {
        struct mqtt_user_prop_iter it;
        mqtt_user_prop_iter_init(&it, &c->will_props);
        struct slice k, v;
        while (mqtt_user_prop_next(&it, &k, &v) == 1)
            mqtt_user_prop_put(&mc->will_props, k, v);
    }
    mc->will_qos = c->will_qos;
    mc->will_retain = c->will_retain;
}

/* ACLs: WRITE on the log topic the MQTT topic maps to. */
static bool may_publish(struct mqtt_conn *mc, struct slice topic)
{
    struct mqtt_server *s = mc->s;
    if (!broker_acls_enabled(s->b))
        return true;
    struct mqtt_map_result mr;
    mqtt_map_match(s->map, topic, &mr);
    if (broker_acl_allow(s->b, mc->principal, mc->ip, AUTH_RES_TOPIC,
                         mr.log_topic, strlen(mr.log_topic), AUTH_OP_WRITE))
        return true;
    diag_warn("mqtt: %s: %s may not WRITE log topic %s (MQTT topic "
              "'%.*s'); publish refused",
              conn_peer(mc->conn), mc->principal, mr.log_topic,
              (int)(topic.len > 200 ? 200 : topic.len),
              (const char *)topic.ptr);
    return false;
}

static void publish_will(struct mqtt_conn *mc)
{
    if (!mc->has_will || mc->no_will || mc->s->stopping)
        return;
    mc->has_will = false;
    struct mqtt_server *s = mc->s;
    /* Rebuild user properties for the header path from the stored block. */
    struct mqtt_props props;
    memset(&props, 0, sizeof props);
    props.raw = slice_make(mc->will_props.data, mc->will_props.len);
    struct mqtt_user_prop_iter it;
    mqtt_user_prop_iter_init(&it, &props);
    struct slice k, v;
    while (mqtt_user_prop_next(&it, &k, &v) == 1)
        props.user_props++;
    struct slice topic = slice_make(mc->will_topic, strlen(mc->will_topic));
    if (!may_publish(mc, topic))
        return;
    int rc = mqtt_publish_message(
        s, topic, slice_make(mc->will_payload.data, mc->will_payload.len),
        mc->will_qos, mc->will_retain, &props, NULL);
    if (rc < 0)
        diag_warn("mqtt: will of %s not published: %s",
                  mc->sess ? mc->sess->client_id : "?", err_str(rc));
}

static int on_connect(struct mqtt_conn *mc, const uint8_t *body, size_t len,
                      uint8_t flags)
{
    struct mqtt_server *s = mc->s;
    struct mqtt_connect c;
    int rc = mqtt_connect_decode(body, len, flags, &c);
    struct mqtt_connack ca;
    memset(&ca, 0, sizeof ca);
    if (rc == ERR_UNSUPPORTED) {
        mc->version = c.version == MQTT_V5 ? MQTT_V5 : MQTT_V311;
        ca.reason = MQTT_RC_UNSUPPORTED_VERSION;
        mqtt_connack_encode(&s->pkt, mc->version, &ca);
        mqtt_send(mc, &s->pkt);
        conn_close_after_flush(mc->conn);
        return 0;
    }
    if (rc < 0) {
        diag_warn("mqtt: %s: malformed CONNECT (%s); closing",
                  conn_peer(mc->conn), mqtt_error_reason());
        return rc;
    }
    mc->version = c.version;
    broker_limits_peer_ip(conn_peer(mc->conn), mc->ip, sizeof mc->ip);
    snprintf(mc->principal, sizeof mc->principal, "User:%.*s",
             s->cfg.auth && c.has_username
                 ? (int)(c.username.len > 300 ? 300 : c.username.len)
                 : 9,
             s->cfg.auth && c.has_username ? (const char *)c.username.ptr
                                           : "ANONYMOUS");
    if (s->cfg.auth && (!c.has_username || !c.has_password ||
                        !broker_auth_check_password(
                            s->b, (const char *)c.username.ptr, c.username.len,
                            (const char *)c.password.ptr, c.password.len))) {
        diag_warn("mqtt: %s: CONNECT of user '%.*s' refused (%s); closing",
                  conn_peer(mc->conn),
                  (int)(c.username.len > 64 ? 64 : c.username.len),
                  c.has_username ? (const char *)c.username.ptr : "",
                  c.has_username && c.has_password
                      ? "unknown user or wrong password"
                      : "no user name and password");
        ca.reason = MQTT_RC_NOT_AUTHORIZED;
        mqtt_connack_encode(&s->pkt, mc->version, &ca);
        mqtt_send(mc, &s->pkt);
        conn_close_after_flush(mc->conn);
        return 0;
    }
    char idbuf[64];
    struct slice id = c.client_id;
    if (id.len == 0) {
        if (c.version == MQTT_V311 && !c.clean_start) {
            ca.reason = MQTT_RC_BAD_CLIENT_ID;
            mqtt_connack_encode(&s->pkt, mc->version, &ca);
            mqtt_send(mc, &s->pkt);
            conn_close_after_flush(mc->conn);
            return 0;
        }
        int n = snprintf(idbuf, sizeof idbuf, "rill-%llx-%llu",
                         (unsigned long long)clock_now_ms(),
                         (unsigned long long)++s->auto_ids);
        id = slice_make(idbuf, (size_t)n);
        if (c.version == MQTT_V5)
            ca.assigned_client_id = id;
    }
    mc->connected = true;
    mc->keep_alive = c.keep_alive;
    if (s->cfg.keep_alive_max &&
        (c.keep_alive == 0 || c.keep_alive > s->cfg.keep_alive_max)) {
        mc->keep_alive = s->cfg.keep_alive_max;
        if (c.version == MQTT_V5)
            ca.server_keep_alive = mc->keep_alive;
    }
    mc->max_packet_out =
        c.props.max_packet_size ? c.props.max_packet_size : UINT32_MAX;
    store_will(mc, &c);

    struct mqtt_session *ss = mqtt_session_get(s, id);
    if (ss && ss->conn) {
        /* Session take-over: the older connection goes (without will). */
        struct mqtt_conn *old = ss->conn;
        old->no_will = true;
        if (old->version == MQTT_V5) {
            mqtt_disconnect_encode(&s->pkt, MQTT_RC_SESSION_TAKEN_OVER);
            mqtt_send(old, &s->pkt);
        }
        mqtt_session_detach(ss);
        conn_close_after_flush(old->conn);
        ss = mqtt_session_get(s, id); /* detach may have ended it */
    }
    if (ss && c.clean_start) {
        mqtt_session_destroy(ss);
        ss = NULL;
    }
    bool present = ss != NULL;
    if (!ss)
        ss = mqtt_session_new(s, id);
    if (c.version == MQTT_V5) {
        ss->expiry_s = c.props.has_session_expiry ? c.props.session_expiry : 0;
    } else {
        ss->expiry_s = c.clean_start ? 0 : UINT32_MAX;
    }
    ss->persistent = ss->expiry_s > 0;
    uint32_t win = s->cfg.max_inflight;
    if (c.version == MQTT_V5 && c.props.receive_max &&
        c.props.receive_max < win)
        win = c.props.receive_max;
    ss->window = (uint16_t)win;
    ss->dirty = true;

    ca.session_present = present;
    ca.reason = 0;
    if (c.version == MQTT_V5) {
        ca.max_packet_size = s->cfg.max_packet;
        ca.receive_max = 65535;
    }
    mqtt_connack_encode(&s->pkt, mc->version, &ca);
    mqtt_send(mc, &s->pkt);
    mqtt_session_attach(ss, mc);
    if (ss->persistent)
        mqtt_session_save(ss);
    diag_debug("mqtt: %s: connected as %s (v%d, %s session)",
               conn_peer(mc->conn), ss->client_id, c.version,
               present ? "resumed" : "new");
    mqtt_kick(s);
    return 0;
}

static int on_publish(struct mqtt_conn *mc, const uint8_t *body, size_t len,
                      uint8_t flags)
{
    struct mqtt_server *s = mc->s;
    struct mqtt_publish p;
    int rc = mqtt_publish_decode(body, len, flags, mc->version, &p);
    if (rc < 0)
        return protocol_error(mc, MQTT_RC_MALFORMED, mqtt_error_reason());
    if (p.topic.len == 0)
        return protocol_error(mc, MQTT_RC_PROTOCOL_ERROR,
                              "topic alias used (none allowed)");
    struct mqtt_session *ss = mc->sess;
    if (p.qos == 2 && ss->qos2_in &&
        (ss->qos2_in[p.packet_id >> 3] & (1u << (p.packet_id & 7)))) {
        /* A resent QoS 2 PUBLISH we already stored: only the PUBREC. */
        struct mqtt_pend_ack *a = ack_push(mc);
        a->type = MQTT_PUBREC;
        a->pid = p.packet_id;
        acks_release(mc);
        return 0;
    }
    if (!may_publish(mc, p.topic)) {
        /* MQTT 5 refuses with reason 0x87 in the PUBACK / PUBREC, or, for
         * QoS 0, a DISCONNECT; 3.1.1 has no refusal: the connection closes
         * in its turn among the acknowledgements owed (acks_release). */
        if (mc->version == MQTT_V5 && p.qos == 0)
            return protocol_error(mc, MQTT_RC_NOT_AUTHORIZED,
                                  "publish not authorized");
        struct mqtt_pend_ack *d = ack_push(mc);
        d->type = p.qos == 2 ? MQTT_PUBREC : MQTT_PUBACK;
        d->pid = p.packet_id;
        d->failed = true;
        d->reason = MQTT_RC_NOT_AUTHORIZED;
        acks_release(mc);
        return 0;
    }
    struct mqtt_pend_ack *a = NULL;
    if (p.qos && mc->acks_len >= 65535)
        return protocol_error(mc, MQTT_RC_RECEIVE_MAX_EXCEEDED,
                              "more than 65535 unacknowledged publishes");
    if (p.qos) {
        a = ack_push(mc);
        a->type = p.qos == 1 ? MQTT_PUBACK : MQTT_PUBREC;
        a->pid = p.packet_id;
    }
    rc = mqtt_publish_message(s, p.topic, p.payload, p.qos, p.retain, &p.props,
                              a);
    if (rc < 0 && a) {
        a->failed = true;
        acks_release(mc);
    }
    return 0;
}

static int on_subscribe(struct mqtt_conn *mc, uint8_t type, const uint8_t *body,
                        size_t len, uint8_t flags)
{
    struct mqtt_server *s = mc->s;
    struct mqtt_subscribe sub;
    int rc = mqtt_subscribe_decode(body, len, type, flags, mc->version, &sub);
    if (rc < 0)
        return protocol_error(mc, MQTT_RC_MALFORMED, mqtt_error_reason());
    uint8_t codes[256];
    bool retained[256];
    size_t n = 0;
    bool subscribe = type == MQTT_SUBSCRIBE;
    struct mqtt_sub_iter it;
    mqtt_sub_iter_init(&it, &sub, !subscribe);
    struct mqtt_sub_entry e;
    while (mqtt_sub_next(&it, &e) == 1) {
        if (n == sizeof codes)
            return protocol_error(mc, MQTT_RC_IMPL_SPECIFIC,
                                  "more than 256 filters in one packet");
        retained[n] = false;
        if (subscribe)
            codes[n] = mqtt_session_subscribe(
                mc->sess, &e, sub.props.subscription_id, &retained[n]);
        else
            codes[n] = mqtt_session_unsubscribe(mc->sess, e.filter);
        n++;
    }
    mqtt_suback_encode(&s->pkt, mc->version,
                       subscribe ? MQTT_SUBACK : MQTT_UNSUBACK, sub.packet_id,
                       codes, n);
    mqtt_send(mc, &s->pkt);
    if (mc->sess->persistent)
        mqtt_session_save(mc->sess);
    /* Retained messages follow the SUBACK. */
    mqtt_sub_iter_init(&it, &sub, !subscribe);
    for (size_t i = 0; i < n && mqtt_sub_next(&it, &e) == 1; i++)
        if (retained[i])
            mqtt_session_send_retained(mc->sess, e.filter, codes[i]);
    mqtt_kick(s);
    return 0;
}

static int on_packet(struct mqtt_conn *mc, const uint8_t *pkt, size_t len)
{
    struct mqtt_server *s = mc->s;
    uint8_t type, flags;
    const uint8_t *body;
    size_t blen;
    if (mqtt_packet_split(pkt, len, &type, &flags, &body, &blen) < 0)
        return ERR_CORRUPT;
    mc->last_rx_ms = loop_now_ms(s->loop);
    if (!mc->connected) {
        if (type != MQTT_CONNECT) {
            diag_warn("mqtt: %s: packet type %d before CONNECT; closing",
                      conn_peer(mc->conn), type);
            return ERR_CORRUPT;
        }
        return on_connect(mc, body, blen, flags);
    }
    struct mqtt_ack ack;
    int rc;
    switch (type) {
    case MQTT_PUBLISH:
        return on_publish(mc, body, blen, flags);
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBCOMP:
    case MQTT_PUBREL:
        rc = mqtt_ack_decode(body, blen, type, flags, mc->version, &ack);
        if (rc < 0)
            return protocol_error(mc, MQTT_RC_MALFORMED, mqtt_error_reason());
        if (type == MQTT_PUBREL) {
            struct mqtt_session *ss = mc->sess;
            uint8_t bit = (uint8_t)(1u << (ack.packet_id & 7));
            if (ss->qos2_in && (ss->qos2_in[ack.packet_id >> 3] & bit)) {
                ss->qos2_in[ack.packet_id >> 3] &= (uint8_t)~bit;
                /* Saved before the PUBCOMP: the id is free again. */
                if (ss->persistent)
                    mqtt_session_save(ss);
            }
            /* After the PUBREC it follows, so after every owed ack. */
            struct mqtt_pend_ack *a = ack_push(mc);
            a->type = MQTT_PUBCOMP;
            a->pid = ack.packet_id;
            acks_release(mc);
            return 0;
        }
        mqtt_session_ack(mc->sess, type, ack.packet_id);
        return 0;
    case MQTT_SUBSCRIBE:
    case MQTT_UNSUBSCRIBE:
        return on_subscribe(mc, type, body, blen, flags);
    case MQTT_PINGREQ:
        if (flags != 0 || blen != 0)
            return protocol_error(mc, MQTT_RC_MALFORMED, "bad PINGREQ");
        mqtt_pingresp_encode(&s->pkt);
        mqtt_send(mc, &s->pkt);
        return 0;
    case MQTT_DISCONNECT: {
        struct mqtt_disconnect d;
        if (mqtt_disconnect_decode(body, blen, flags, mc->version, &d) < 0)
            return protocol_error(mc, MQTT_RC_MALFORMED, mqtt_error_reason());
        if (d.reason != MQTT_RC_DISCONNECT_WITH_WILL)
            mc->clean_disconnect = true;
        if (d.props.has_session_expiry && mc->sess) {
            mc->sess->expiry_s = d.props.session_expiry;
            mc->sess->persistent = d.props.session_expiry > 0;
        }
        conn_close_after_flush(mc->conn);
        return 0;
    }
    case MQTT_CONNECT:
        return protocol_error(mc, MQTT_RC_PROTOCOL_ERROR, "second CONNECT");
    default:
        return protocol_error(mc, MQTT_RC_PROTOCOL_ERROR,
                              "packet type not sent by clients");
    }
}

/* --- connections ---------------------------------------------------------- */

static int on_frame(struct conn *c, void *arg, const uint8_t *p, size_t len)
{
    struct mqtt_conn *mc = arg;
    (void)c;
    if (mc->closed)
        return 0;
    return on_packet(mc, p, len);
}

static void conn_free_cb(struct loop *l, void *arg)
{
    struct mqtt_conn *mc = arg;
    (void)l;
    mem_free(mc->acks);
    mem_free(mc->will_topic);
    buf_fini(&mc->will_payload);
    buf_fini(&mc->will_props);
    mem_free(mc);
}

static void on_closed(struct conn *c, void *arg)
{
    struct mqtt_conn *mc = arg;
    struct mqtt_server *s = mc->s;
    (void)c;
    mc->closed = true;
    if (mc->connected && !mc->clean_disconnect)
        publish_will(mc);
    if (mc->dw_active)
        broker_log_wait_cancel(s->b, &mc->dw);
    ack_list_remove(mc);
    if (mc->sess && mc->sess->conn == mc)
        mqtt_session_detach(mc->sess);
    mc->sess = NULL;
    if (mc->prev)
        mc->prev->next = mc->next;
    else
        s->conns = mc->next;
    if (mc->next)
        mc->next->prev = mc->prev;
    loop_defer_start(s->loop, &mc->free_defer);
}

static int frame_size(const uint8_t *p, size_t avail, size_t *total)
{
    return mqtt_frame_size(p, avail, total);
}

static const struct conn_handler handler = {on_frame, on_closed, NULL};

static void on_accept(struct listener *ls, void *arg, int fd, const char *peer)
{
    struct mqtt_server *s = arg;
    (void)ls;
    if (s->stopping) {
        close(fd);
        return;
    }
    struct mqtt_conn *mc = mem_calloc(1, sizeof(*mc));
    mc->s = s;
    buf_init(&mc->will_payload);
    buf_init(&mc->will_props);
    loop_defer_init(&mc->free_defer, conn_free_cb, mc);
    struct conn_limits lim = {s->cfg.max_packet, s->b->cfg.conn_out_high};
    if (conn_create(s->loop, fd, &handler, mc, &lim, &mc->conn) < 0) {
        mem_free(mc);
        return;
    }
    conn_set_framing(mc->conn, frame_size);
    if (s->tls)
        conn_start_tls(mc->conn, s->tls);
    conn_set_peer(mc->conn, peer);
    mc->accepted_ms = mc->last_rx_ms = loop_now_ms(s->loop);
    mc->next = s->conns;
    if (s->conns)
        s->conns->prev = mc;
    s->conns = mc;
}

/* Keep-alive (1.5 x the client's interval), CONNECT timeout, sessions. */
static void tick_cb(struct loop *l, struct loop_timer *t)
{
    struct mqtt_server *s = t->arg;
    int64_t now = loop_now_ms(l);
    struct mqtt_conn *mc = s->conns;
    while (mc) {
        struct mqtt_conn *next = mc->next;
        if (!mc->connected && now - mc->accepted_ms > CONNECT_TIMEOUT_MS) {
            diag_info("mqtt: %s: no CONNECT within %d ms; closing",
                      conn_peer(mc->conn), CONNECT_TIMEOUT_MS);
            conn_close(mc->conn);
        } else if (mc->connected && mc->keep_alive &&
                   now - mc->last_rx_ms > (int64_t)mc->keep_alive * 1500) {
            diag_info("mqtt: %s: keep-alive of %u s expired; closing",
                      conn_peer(mc->conn), mc->keep_alive);
            if (mc->version == MQTT_V5) {
                mqtt_disconnect_encode(&s->pkt, MQTT_RC_KEEP_ALIVE_TIMEOUT);
                mqtt_send(mc, &s->pkt);
            }
            conn_close_after_flush(mc->conn);
        }
        mc = next;
    }
    mqtt_sessions_tick(s, now);
}

/* --- configuration -------------------------------------------------------- */

static int cfg_u32(const struct config *props, const char *key, uint32_t lo,
                   uint32_t hi, uint32_t *out, char *err, int errlen)
{
    int64_t v = *out;
    if (config_get_i64(props, key, &v) < 0 || v < lo || v > hi) {
        snprintf(err, (size_t)errlen, "%s: expected an integer in [%u, %u]",
                 key, lo, hi);
        return ERR_INVALID;
    }
    *out = (uint32_t)v;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int read_config(struct mqtt_server *s, const struct config *props,
                       char *err, int errlen)
{
    struct mqtt_cfg *c = &s->cfg;
    const char *l = config_get(props, "mqtt.listeners", NULL);
    const char *addr = l;
    if (strncmp(addr, "mqtt://", 7) == 0)
        addr += 7;
    else if (strncmp(addr, "ssl://", 6) == 0 ||
             strncmp(addr, "mqtts://", 8) == 0) {
        addr = strstr(addr, "://") + 3;
        c->tls = true;
    }
    if (c->tls && !s->b->cfg.ssl_cert[0]) {
        snprintf(err, (size_t)errlen,
                 "mqtt.listeners: ssl:// needs ssl.keystore.location (the "
                 "same certificate and key as the Kafka listener's)");
        return ERR_INVALID;
    }
    /* Users: required when the Kafka listener authenticates, unless set. */
    c->auth = s->b->cfg.sasl;
    if (config_get_bool(props, "mqtt.authentication.required", &c->auth) < 0) {
        snprintf(err, (size_t)errlen,
                 "mqtt.authentication.required: true or false");
        return ERR_INVALID;
    }
    if (listener_parse_addr(addr, c->host, sizeof c->host, &c->port) < 0) {
        snprintf(err, (size_t)errlen,
                 "mqtt.listeners: expected HOST:PORT, "
                 "got %s",
                 l);
        return ERR_INVALID;
    }
    snprintf(c->default_topic, sizeof c->default_topic, "%s",
             config_get(props, "mqtt.default.topic", "mqtt"));
    uint32_t v = 1000000;
    if (cfg_u32(props, "mqtt.max.packet.bytes", 64, MQTT_MAX_REMAINING, &v, err,
                errlen) < 0)
        return ERR_INVALID;
    c->max_packet = v;
    v = 1000;
    if (cfg_u32(props, "mqtt.max.inflight", 1, 32767, &v, err, errlen) < 0)
        return ERR_INVALID;
    c->max_inflight = (uint16_t)v;
    v = 0;
    if (cfg_u32(props, "mqtt.keepalive.max", 0, 65535, &v, err, errlen) < 0)
        return ERR_INVALID;
    c->keep_alive_max = (uint16_t)v;
    c->fsync_ack = s->b->cfg.fsync_every_ack;
    if (config_get_bool(props, "mqtt.fsync.ack", &c->fsync_ack) < 0) {
        snprintf(err, (size_t)errlen,
                 "mqtt.fsync.ack: expected true or "
                 "false");
        return ERR_INVALID;
    }
    c->out_limit = 1u << 20;
    if (mqtt_map_create(c->default_topic, &s->map) < 0) {
        snprintf(err, (size_t)errlen,
                 "mqtt.default.topic: invalid topic "
                 "name %s",
                 c->default_topic);
        return ERR_INVALID;
    }
    /* mqtt.map.<name> rules, tried in the order of their names. */
    size_t n = 0, cap = 0;
    char **keys = NULL;
    struct hashmap_entry *e;
    for (size_t it = 0; hashmap_next(&props->map, &it, &e);) {
        if (e->key_len <= 9 || memcmp(e->key, "mqtt.map.", 9) != 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            keys = mem_realloc(keys, cap * sizeof(*keys));
        }
        keys[n++] = mem_strndup(e->key, e->key_len);
    }
    if (n > 1)
        qsort(keys, n, sizeof(*keys), cmp_str);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = mqtt_map_add(s->map, config_get(props, keys[i], ""), err,
                              errlen);
        mem_free(keys[i]);
    }
    mem_free(keys);
    return rc;
}

static void make_topic(struct mqtt_server *s, const char *name)
{
    int16_t rc = broker_topic_create(s->b, slice_make(name, strlen(name)), 0,
                                     false, NULL, 0);
    if (rc != 0 && rc != 36)
        diag_warn("mqtt: cannot create log topic %s (Kafka error %d)", name,
                  rc);
}

int mqtt_server_create(struct broker *b, const struct config *props, char *err,
                       int errlen, struct mqtt_server **out)
{
    *out = NULL;
    const char *l = config_get(props, "mqtt.listeners", NULL);
    if (!l || !*l)
        return 0;
    struct mqtt_server *s = mem_calloc(1, sizeof(*s));
    s->b = b;
    s->loop = b->loop;
    int rc = read_config(s, props, err, errlen);
    if (rc < 0)
        goto out_free;
    if (s->cfg.tls) {
        const struct broker_config *bc = &b->cfg;
        struct tls_options to = {
            .cert_file = bc->ssl_cert,
            .key_file = bc->ssl_key[0] ? bc->ssl_key : NULL,
            .key_password =
                bc->ssl_key_password[0] ? bc->ssl_key_password : NULL,
            .ca_file = bc->ssl_ca[0] ? bc->ssl_ca : NULL,
            .client_auth = (enum tls_client_auth)bc->ssl_client_auth,
        };
        char terr[512];
        rc = tls_ctx_create(&to, &s->tls, terr, sizeof(terr));
        if (rc < 0) {
            snprintf(err, (size_t)errlen, "mqtt: TLS: %s", terr);
            goto out_free;
        }
    }
    snprintf(s->dir, sizeof s->dir, "%s/mqtt", b->cfg.data_dir);
    hashmap_init(&s->sessions);
    hashmap_init(&s->groups);
    hashmap_init(&s->retained);
    buf_init(&s->pkt);
    buf_init(&s->props);
    buf_init(&s->chunk);
    buf_init(&s->unzip);
    buf_init(&s->json);
    loop_defer_init(&s->append_defer, append_cb, s);
    loop_defer_init(&s->deliver_defer, deliver_cb, s);
    loop_timer_init(&s->tick, tick_cb, s);
    loop_timer_init(&s->retry, retry_cb, s);
    for (size_t i = 0; i <= mqtt_map_topics(s->map); i++)
        make_topic(s, mqtt_map_topic(s->map, i));
    make_topic(s, MQTT_RETAINED_TOPIC);
    mqtt_retained_load(s);
    mqtt_sessions_load(s);
    rc = listener_open(s->loop, s->cfg.host, s->cfg.port, on_accept, s, &s->ls);
    if (rc < 0) {
        snprintf(err, (size_t)errlen, "mqtt: cannot listen on %s:%d: %s",
                 s->cfg.host, s->cfg.port, err_str(rc));
        mqtt_sessions_fini(s);
        mqtt_retained_fini(s);
        goto out_free;
    }
    s->cfg.port = listener_port(s->ls);
    b->append_hook = on_broker_append;
    b->append_hook_arg = s;
    loop_timer_start(s->loop, &s->tick, TICK_MS, TICK_MS);
    diag_info("mqtt: listening on %s%s:%d (default topic %s, %zu mapped "
              "topics, PUBACK after %s%s)",
              s->cfg.tls ? "ssl://" : "", s->cfg.host, s->cfg.port,
              s->cfg.default_topic, mqtt_map_topics(s->map),
              s->cfg.fsync_ack ? "fsync" : "append",
              s->cfg.auth ? ", users required" : "");
    *out = s;
    return 0;

out_free:
    tls_ctx_destroy(s->tls);
    mqtt_map_destroy(s->map);
    mem_free(s);
    return rc;
}

int mqtt_server_port(const struct mqtt_server *s)
{
    return s->cfg.port;
}

void mqtt_server_destroy(struct mqtt_server *s)
{
    if (!s)
        return;
    s->b->append_hook = NULL;
    flush_stages(s);
    s->stopping = true;
    listener_close(s->ls);
    while (s->conns)
        conn_close(s->conns->conn);
    loop_timer_stop(s->loop, &s->tick);
    loop_timer_stop(s->loop, &s->retry);
    loop_run_once(s->loop, 0); /* deferred frees of the connections */
    mqtt_sessions_fini(s);
    mqtt_retained_fini(s);
    for (size_t i = 0; i < s->nstages; i++)
        record_batch_builder_fini(&s->stages[i].bb);
    mem_free(s->stages);
    mem_free(s->hdrs);
    mem_free(s->hdr_vals);
    buf_fini(&s->pkt);
    buf_fini(&s->props);
    buf_fini(&s->chunk);
    buf_fini(&s->unzip);
    buf_fini(&s->json);
    hashmap_fini(&s->sessions);
    hashmap_fini(&s->groups);
    hashmap_fini(&s->retained);
    mqtt_map_destroy(s->map);
    tls_ctx_destroy(s->tls);
    diag_info("mqtt: stopped (%llu messages in, %llu out)",
              (unsigned long long)s->published,
              (unsigned long long)s->delivered);
    mem_free(s);
}
