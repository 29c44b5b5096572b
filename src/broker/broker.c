/* broker.c - connections, dispatch, in-order responses, shutdown
 * (layer: broker).
 *
 * Each connection keeps a FIFO of slots, one per request that expects an
 * answer. A slot is WAITING (handler deferred), READY (bytes known) or DROP
 * (deferred and then dropped). Only the head slot may be written, so
 * responses leave in request order even when handlers finish out of order.
 * Invariants:
 *   1. A slot is in exactly one FIFO, or orphaned (bc == NULL) and owned by
 *      whoever deferred it.
 *   2. bc->nslots counts the FIFO; above cfg.max_inflight the connection
 *      stops delivering frames until it falls back to half.
 *   3. After draining starts no frame is read; the broker stops once every
 *      FIFO is empty and output is flushed (or the drain deadline passes).
 * The handlers live in broker_<api>.c; this file knows none of the APIs
 * except how to frame their answers.
 */
#include "broker/broker_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/metrics.h"
#include "broker/broker_limits.h"
#include "broker/broker_log.h"
#include "broker/txn_coord.h"
#include "kafka/kafka_proto.h"
#include "net/tls.h"

#if __has_include("broker/group.h")
#define BROKER_HAVE_GROUPS 1
#endif

#define DRAIN_DEADLINE_MS 5000

enum slot_state { SLOT_WAITING, SLOT_READY, SLOT_DROP };

struct broker_pending {
    struct broker_pending *next;
    struct broker_conn *bc; /* NULL once orphaned */
    struct broker *b;
    int32_t correlation_id;
    int16_t api_key, api_version;
    bool flexible;
    uint64_t start_us;   /* for the latency histogram (base/metrics.h) */
    int32_t throttle_ms; /* quota: Produce's, found when it arrived */
    enum slot_state state;
    struct broker_resp resp;
    broker_cancel_fn *cancel;
    void *cancel_arg;
};

struct broker_conn {
    struct broker_conn *prev, *next;
    struct broker *b;
    struct conn *conn;
    struct broker_pending *head, *tail;
    int nslots;
    bool paused;
    bool eof;    /* the peer half-closed: close once everything is answered */
    char ip[48]; /* counted in b->conns_per_ip */
    struct broker_conn_auth auth;
    bool muted;                   /* over its quota: no request is read */
    struct loop_timer mute_timer; /* ends the mute */
    bool closed;
    uint64_t serial;              /* accept order, from 1: broker_conn_serial */
    struct loop_defer free_defer; /* callers up the stack may still use bc */
};

static void bc_free(struct loop *l, void *arg)
{
    (void)l;
    mem_free(arg);
}

/* --- responses with file ranges --------------------------------------- */

void broker_resp_init(struct broker_resp *r)
{
    buf_init(&r->body);
    r->files = NULL;
    r->nfiles = r->cap = 0;
    r->file_bytes = 0;
}

void broker_resp_fini(struct broker_resp *r)
{
    for (size_t i = 0; i < r->nfiles; i++)
        close(r->files[i].fd);
    mem_free(r->files);
    buf_fini(&r->body);
    broker_resp_init(r);
}

int broker_resp_add_file(struct broker_resp *r, int fd, int64_t off, size_t len)
{
    if (len == 0)
        return 0;
    int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dfd < 0)
        return -errno;
    if (r->nfiles == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 8;
        r->files = mem_realloc(r->files, r->cap * sizeof(*r->files));
    }
    struct broker_resp_file *f = &r->files[r->nfiles++];
    f->at = r->body.len;
    f->fd = dfd;
    f->off = off;
    f->len = len;
    r->file_bytes += len;
    return 0;
}

static void resp_move(struct broker_resp *dst, struct broker_resp *src)
{
    broker_resp_fini(dst);
    *dst = *src;
    broker_resp_init(src);
}

/* --- slots ---------------------------------------------------------------- */

static void slot_free(struct broker_pending *p)
{
    broker_resp_fini(&p->resp);
    mem_free(p);
}

static int api_slot(int16_t api_key)
{
    return api_key < 0                    ? 0
           : api_key >= METRICS_API_SLOTS ? METRICS_API_SLOTS - 1
                                          : api_key;
}

static void count_response(const struct broker_pending *p, size_t bytes)
{
    metrics_add(METRIC_BROKER_BYTES_OUT, bytes);
    metrics_observe_us(METRIC_HIST_BROKER_API + api_slot(p->api_key),
                       metrics_now_us() - p->start_us);
}

/* Kafka's quota answer (KIP-219): the client is told throttle_time_ms and
 * the broker reads nothing more from it for as long. */
static void mute_end(struct loop *l, struct loop_timer *t)
{
    struct broker_conn *bc = t->arg;
    (void)l;
    bc->muted = false;
    if (!bc->closed && !bc->paused && !bc->b->draining)
        conn_pause(bc->conn, false);
}

static void mute(struct broker_conn *bc, int32_t ms)
{
    if (bc->closed || ms <= 0)
        return;
    bc->muted = true;
    conn_pause(bc->conn, true);
    if (!loop_timer_active(&bc->mute_timer) ||
        bc->mute_timer.due_ms < loop_now_ms(bc->b->loop) + ms)
        loop_timer_start(bc->b->loop, &bc->mute_timer, ms, 0);
}

/* Writes one response: length, header, body with file ranges spliced in. */
static void slot_send(struct broker_conn *bc, struct broker_pending *p)
{
    struct broker_resp *r = &p->resp;
    int32_t throttle = p->throttle_ms;
    if (p->api_key == KAFKA_API_FETCH)
        throttle =
            broker_quota_record(bc->b, bc, false, r->body.len + r->file_bytes);
    if (throttle > 0) {
        broker_quota_patch(p->api_key, p->api_version, p->flexible, &r->body,
                           throttle);
        mute(bc, throttle);
    }
    uint8_t hdr[9];
    size_t hlen = 8;
    /* ApiVersions answers with response header v0 even when flexible. */
    bool tags = p->flexible && p->api_key != KAFKA_API_API_VERSIONS;
    if (tags)
        hdr[hlen++] = 0;
    size_t total = hlen - 4 + r->body.len + r->file_bytes;
    be32_store(hdr, (uint32_t)total);
    be32_store(hdr + 4, (uint32_t)p->correlation_id);
    count_response(p, total + 4);
    conn_send_copy(bc->conn, hdr, hlen);
    if (r->nfiles == 0) {
        conn_send_buf(bc->conn, &r->body);
        return;
    }
    size_t at = 0;
    for (size_t i = 0; i < r->nfiles; i++) {
        struct broker_resp_file *f = &r->files[i];
        conn_send_copy(bc->conn, r->body.data + at, f->at - at);
        at = f->at;
        if (conn_send_file(bc->conn, f->fd, f->off, f->len) < 0) {
            diag_warn("broker: %s: cannot queue file range; closing",
                      conn_peer(bc->conn));
            conn_close(bc->conn);
            return;
        }
    }
    conn_send_copy(bc->conn, r->body.data + at, r->body.len - at);
}

static void conn_resume_check(struct broker_conn *bc)
{
    if (bc->closed)
        return;
    if (bc->paused && bc->nslots <= bc->b->cfg.max_inflight / 2 &&
        !bc->b->draining) {
        bc->paused = false;
        if (!bc->muted)
            conn_pause(bc->conn, false);
    }
    /* Half-closed and nothing left to answer or to read: done. */
    if (bc->eof && !bc->head && !conn_has_frame(bc->conn))
        conn_close_after_flush(bc->conn);
}

/* Sends every ready slot at the head of the FIFO. */
static void flush_ready(struct broker_conn *bc)
{
    while (bc->head && bc->head->state != SLOT_WAITING) {
        struct broker_pending *p = bc->head;
        bc->head = p->next;
        if (!bc->head)
            bc->tail = NULL;
        bc->nslots--;
        if (p->state == SLOT_READY && !conn_is_closed(bc->conn))
            slot_send(bc, p);
        slot_free(p);
    }
    conn_resume_check(bc);
}

struct broker_pending *broker_defer(struct broker_req *req)
{
    return req->pending;
}

void broker_pending_set_cancel(struct broker_pending *p, broker_cancel_fn *fn,
                               void *arg)
{
    p->cancel = fn;
    p->cancel_arg = arg;
}

int16_t broker_pending_version(const struct broker_pending *p)
{
    return p->api_version;
}

bool broker_pending_orphaned(const struct broker_pending *p)
{
    return p->bc == NULL;
}

static void pending_finish(struct broker_pending *p, enum slot_state st)
{
    if (!p->bc) {
        slot_free(p);
        return;
    }
    p->state = st;
    p->cancel = NULL;
    flush_ready(p->bc);
}

void broker_pending_complete(struct broker_pending *p, struct buf *body)
{
    buf_fini(&p->resp.body);
    p->resp.body = *body;
    buf_init(body);
    pending_finish(p, SLOT_READY);
}

void broker_pending_complete_resp(struct broker_pending *p,
                                  struct broker_resp *r)
{
    resp_move(&p->resp, r);
    pending_finish(p, SLOT_READY);
}

void broker_pending_drop(struct broker_pending *p)
{
    pending_finish(p, SLOT_DROP);
}

void broker_req_set_resp(struct broker_req *req, struct broker_resp *r)
{
    resp_move(&req->pending->resp, r);
}

/* --- dispatch ------------------------------------------------------------- */

void broker_register(struct broker *b, int16_t api_key, int16_t min_v,
                     int16_t max_v, broker_handler_fn *fn)
{
    if (api_key < 0 || api_key >= BROKER_API_MAX)
        return;
    b->apis[api_key].fn = fn;
    b->apis[api_key].min_version = min_v;
    b->apis[api_key].max_version = max_v;
}

void broker_serve(struct broker *b, int16_t api_key, broker_handler_fn *fn)
{
    size_t n = 0;
    const struct kafka_api_range *t = kafka_api_table(&n);
    for (size_t i = 0; i < n; i++)
        if (t[i].api_key == api_key) {
            broker_register(b, api_key, t[i].min_version, t[i].max_version, fn);
            return;
        }
    diag_error("broker: api %d missing from the codec's table", api_key);
}

uint64_t broker_conn_serial(const struct broker_conn *bc)
{
    return bc->serial;
}

const char *broker_conn_peer(const struct broker_conn *bc)
{
    return conn_peer(bc->conn);
}

struct broker_conn_auth *broker_conn_auth(struct broker_conn *bc)
{
    return &bc->auth;
}

struct conn *broker_conn_get(struct broker_conn *bc)
{
    return bc->conn;
}

#ifndef BROKER_HAVE_GROUPS
/* Stub until the groups module lands: group APIs are simply not served. */
void group_handlers_register(struct broker *b)
{
    (void)b;
}
#endif

static void slot_append(struct broker_conn *bc, struct broker_pending *p)
{
    p->next = NULL;
    if (bc->tail)
        bc->tail->next = p;
    else
        bc->head = p;
    bc->tail = p;
    bc->nslots++;
}

/* Removes the tail slot (an acks=0 produce answered at once). */
static void slot_pop_tail(struct broker_conn *bc, struct broker_pending *p)
{
    struct broker_pending **pp = &bc->head, *prev = NULL;
    while (*pp && *pp != p) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp)
        return;
    *pp = p->next;
    if (bc->tail == p)
        bc->tail = prev;
    bc->nslots--;
    slot_free(p);
}

static int on_frame(struct conn *c, void *arg, const uint8_t *p, size_t len)
{
    struct broker_conn *bc = arg;
    struct broker *b = bc->b;
    struct kafka_request_header h;
    struct buf_reader r;
    buf_reader_init(&r, p, len);
    int rc = kafka_request_header_decode(&r, &h);
    metrics_add(METRIC_BROKER_BYTES_IN, len + 4);
    if (rc < 0) {
        b->stats.bad_frames++;
        metrics_add(METRIC_BROKER_BAD_REQUESTS, 1);
        diag_warn("broker: %s: request header does not decode (%zu bytes); "
                  "closing",
                  conn_peer(c), len);
        return rc;
    }
    b->stats.requests++;
    metrics_add(METRIC_BROKER_REQUESTS + api_slot(h.api_key), 1);
    if (!broker_auth_gate(b, bc, h.api_key))
        return ERR_INVALID;
    const struct broker_api *api = h.api_key >= 0 && h.api_key < BROKER_API_MAX
                                       ? &b->apis[h.api_key]
                                       : NULL;
    bool is_apiversions = h.api_key == KAFKA_API_API_VERSIONS;
    bool version_ok = api && api->fn && h.api_version >= api->min_version &&
                      h.api_version <= api->max_version;
    /* An unknown key or version gets Kafka's ApiVersions-style error answer
     * (error 35 in the v0 layout), not a closed connection; ApiVersions'
     * own handler writes that answer itself. */
    bool unsupported = !version_ok && !(is_apiversions && api && api->fn);
    if (unsupported) {
        b->stats.unsupported++;
        diag_warn("broker: %s: unsupported api key %d version %d (client "
                  "%.*s); answered UNSUPPORTED_VERSION",
                  conn_peer(c), h.api_key, h.api_version, (int)h.client_id.len,
                  h.client_id.ptr ? (const char *)h.client_id.ptr : "");
    }

    struct broker_pending *slot = mem_calloc(1, sizeof(*slot));
    slot->bc = bc;
    slot->b = b;
    slot->correlation_id = h.correlation_id;
    slot->api_key = h.api_key;
    slot->api_version = h.api_version;
    slot->start_us = metrics_now_us();
    slot->flexible = version_ok && h.flexible;
    slot->state = SLOT_WAITING;
    if (h.api_key == KAFKA_API_PRODUCE && version_ok)
        slot->throttle_ms = broker_quota_record(b, bc, true, len + 4);
    broker_resp_init(&slot->resp);
    slot_append(bc, slot);

    if (unsupported) {
        kafka_api_versions_unsupported_encode(&slot->resp.body);
        slot->state = SLOT_READY;
        flush_ready(bc);
        goto out_backpressure;
    }

    struct broker_req req = {0};
    req.b = b;
    req.bc = bc;
    req.api_key = h.api_key;
    req.api_version = h.api_version;
    req.correlation_id = h.correlation_id;
    req.client_id = h.client_id;
    req.flexible = slot->flexible;
    req.body = r;
    req.arena = &b->arena;
    req.pending = slot;

    struct buf out;
    buf_init(&out);
    rc = api->fn(&req, &out);
    arena_reset(&b->arena);
    if (rc < 0) {
        buf_fini(&out);
        /* Nobody will complete the slot: free it here, or it is orphaned
         * (and leaked) when the connection closes. */
        slot_pop_tail(bc, slot);
        b->stats.bad_frames++;
        metrics_add(METRIC_BROKER_BAD_REQUESTS, 1);
        diag_warn("broker: %s: malformed %s v%d request (%s); closing",
                  conn_peer(c), kafka_api_name(h.api_key), h.api_version,
                  err_str(rc));
        return rc;
    }
    if (rc == BROKER_NO_RESPONSE) {
        buf_fini(&out);
        mute(bc, slot->throttle_ms); /* acks=0: throttled all the same */
        slot_pop_tail(bc, slot);
    } else if (rc == BROKER_DEFERRED) {
        buf_fini(&out);
    } else {
        /* The body is in `out`, or in the slot (broker_req_set_resp). */
        if (slot->resp.nfiles == 0 && slot->resp.body.len == 0) {
            buf_fini(&slot->resp.body);
            slot->resp.body = out;
        } else {
            buf_fini(&out);
        }
        slot->state = SLOT_READY;
        flush_ready(bc);
    }
    if (bc->auth.close)
        conn_close_after_flush(c);
out_backpressure:
    if (!bc->paused && bc->nslots > b->cfg.max_inflight) {
        bc->paused = true;
        conn_pause(c, true);
    }
    if (bc->eof)
        conn_resume_check(bc);
    return 0;
}

static void on_closed(struct conn *c, void *arg)
{
    struct broker_conn *bc = arg;
    struct broker *b = bc->b;
    (void)c;
    struct broker_pending *p = bc->head;
    while (p) {
        struct broker_pending *next = p->next;
        if (p->state != SLOT_WAITING) {
            slot_free(p);
        } else if (p->cancel) {
            broker_cancel_fn *fn = p->cancel;
            p->bc = NULL;
            fn(p, p->cancel_arg);
            slot_free(p);
        } else {
            p->bc = NULL; /* orphan: freed when its owner completes it */
            p->next = NULL;
        }
        p = next;
    }
    if (bc->prev)
        bc->prev->next = bc->next;
    else
        b->conns = bc->next;
    if (bc->next)
        bc->next->prev = bc->prev;
    b->nconns--;
    metrics_add(METRIC_BROKER_CONNS_CLOSED, 1);
    broker_limits_ip_add(&b->conns_per_ip, bc->ip, -1);
    broker_auth_conn_fini(&bc->auth);
    loop_timer_stop(b->loop, &bc->mute_timer);
    bc->head = bc->tail = NULL;
    bc->closed = true;
    loop_defer_start(b->loop, &bc->free_defer);
}

static void on_eof(struct conn *c, void *arg)
{
    struct broker_conn *bc = arg;
    (void)c;
    bc->eof = true;
    conn_resume_check(bc);
}

static const struct conn_handler conn_handler = {on_frame, on_closed, on_eof};

/* At max.connections, the oldest connection that has sent no request at
 * all for a second makes room: connections that only hold a slot must not
 * lock out clients that work. Returns whether one was closed. */
static bool evict_unstarted(struct broker *b)
{
    int64_t now = loop_now_ms(b->loop), oldest = 1000;
    struct broker_conn *victim = NULL;
    for (struct broker_conn *bc = b->conns; bc; bc = bc->next) {
        int64_t age = conn_age_ms(bc->conn, now);
        if (conn_frames(bc->conn) == 0 && age >= oldest) {
            oldest = age;
            victim = bc;
        }
    }
    if (!victim)
        return false;
    b->stats.conns_evicted++;
    diag_debug("broker: %s: closed to make room (no request in %lld ms)",
               conn_peer(victim->conn), (long long)oldest);
    conn_close(victim->conn);
    return true;
}

static void refuse(struct broker *b, int fd, const char *peer, const char *why)
{
    static int64_t last_ms;
    int64_t now = loop_now_ms(b->loop);
    b->stats.conns_refused++;
    if (now - last_ms >= 1000) {
        last_ms = now;
        diag_warn("broker: %s: refused (%s; %d open, %llu refused so far)",
                  peer, why, b->nconns,
                  (unsigned long long)b->stats.conns_refused);
    }
    close(fd);
}

static struct broker_conn *adopt(struct broker *b, int fd, const char *peer,
                                 const char *ip, bool tls);

static void on_accept(struct listener *ls, void *arg, int fd, const char *peer)
{
    struct broker *b = arg;
    (void)ls;
    char ip[48];
    broker_limits_peer_ip(peer, ip, sizeof(ip));
    if (b->draining) {
        close(fd);
        return;
    }
    if (broker_limits_ip_count(&b->conns_per_ip, ip) >=
        b->cfg.max_conns_per_ip) {
        refuse(b, fd, peer, "max.connections.per.ip");
        return;
    }
    /* Beyond max.connections: a loopback peer (an operator on the box) may
     * use the reserve; anyone else needs a connection that never sent a
     * request to give way. */
    if (b->nconns >= b->cfg.max_connections &&
        !(broker_limits_is_loopback(ip) &&
          b->nconns <
              b->cfg.max_connections + b->cfg.conns_reserved_loopback) &&
        !evict_unstarted(b)) {
        refuse(b, fd, peer, "max.connections");
        return;
    }
    adopt(b, fd, peer, ip, b->tls != NULL);
}

/* A connection on fd, served like any accepted one (TLS if asked). */
static struct broker_conn *adopt(struct broker *b, int fd, const char *peer,
                                 const char *ip, bool tls)
{
    struct broker_conn *bc = mem_calloc(1, sizeof(*bc));
    bc->b = b;
    loop_defer_init(&bc->free_defer, bc_free, bc);
    loop_timer_init(&bc->mute_timer, mute_end, bc);
    struct conn_limits lim;
    lim.max_frame = (size_t)b->cfg.max_frame_bytes;
    lim.out_high = (size_t)b->cfg.conn_out_high;
    if (conn_create(b->loop, fd, &conn_handler, bc, &lim, &bc->conn) < 0) {
        mem_free(bc);
        return NULL;
    }
    conn_set_budget(bc->conn, b->budget);
    if (tls)
        conn_start_tls(bc->conn, b->tls);
    conn_set_peer(bc->conn, peer);
    snprintf(bc->ip, sizeof(bc->ip), "%s", ip);
    broker_limits_ip_add(&b->conns_per_ip, ip, 1);
    bc->next = b->conns;
    if (b->conns)
        b->conns->prev = bc;
    b->conns = bc;
    b->nconns++;
    b->stats.conns_accepted++;
    bc->serial = b->stats.conns_accepted;
    metrics_add(METRIC_BROKER_CONNS_OPENED, 1);
    diag_debug("broker: %s: connected", peer);
    return bc;
}

/* --- in-process clients ----------------------------------------------------
 * broker_connect_internal: one end of a socketpair, served on the broker's
 * thread as a Kafka connection that is already authenticated (no TLS, no
 * SASL: nothing leaves the process). The admin routes of the HTTP API use
 * it, so they reach the broker's one door (its handlers, checks and
 * coordinators) whatever its listeners accept. */

struct internal_conn {
    struct broker *b;
    int fd;
    char principal[320];
};

static void internal_adopt(struct loop *l, void *arg)
{
    struct internal_conn *ic = arg;
    struct broker *b = ic->b;
    (void)l;
    struct broker_conn *bc =
        b->draining ? NULL : adopt(b, ic->fd, "internal", "internal", false);
    if (!bc) {
        close(ic->fd);
    } else {
        struct broker_conn_auth *a = broker_conn_auth(bc);
        a->authenticated = true;
        snprintf(a->principal, sizeof a->principal, "%s", ic->principal);
    }
    mem_free(ic);
}

int broker_connect_internal(struct broker *b, const char *principal,
                            int *fd_out)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    struct internal_conn *ic = mem_calloc(1, sizeof *ic);
    ic->b = b;
    ic->fd = sv[0];
    snprintf(ic->principal, sizeof ic->principal, "%s",
             principal && *principal ? principal : "User:ANONYMOUS");
    loop_post(b->loop, internal_adopt, ic);
    *fd_out = sv[1];
    return 0;
}

/* connections.max.idle.ms and the handshake timeout, checked by a sweep
 * (a few times a second at most; one pass over the connections). */
static void idle_tick(struct loop *l, struct loop_timer *t)
{
    struct broker *b = t->arg;
    int64_t now = loop_now_ms(l);
    int nidle = 0, nhand = 0;
    struct broker_conn *next;
    for (struct broker_conn *bc = b->conns; bc; bc = next) {
        next = bc->next; /* conn_close unlinks bc (freed later) */
        struct conn *c = bc->conn;
        if (b->cfg.handshake_ms >= 0 && conn_frames(c) == 0 &&
            conn_age_ms(c, now) >= b->cfg.handshake_ms) {
            nhand++;
            conn_close(c);
        } else if (b->cfg.idle_ms >= 0 && !bc->head && conn_out_bytes(c) == 0 &&
                   conn_idle_ms(c, now) >= b->cfg.idle_ms) {
            nidle++;
            conn_close(c);
        }
    }
    b->stats.conns_idle_closed += (uint64_t)nidle;
    b->stats.conns_handshake_closed += (uint64_t)nhand;
    if (nidle || nhand)
        diag_info("broker: closed %d idle connection(s) "
                  "(connections.max.idle.ms) and %d that sent no request "
                  "(rill.connections.handshake.timeout.ms)",
                  nidle, nhand);
}

static int64_t idle_period(const struct broker_config *c)
{
    int64_t p = 1000;
    if (c->idle_ms >= 0 && c->idle_ms / 4 < p)
        p = c->idle_ms / 4;
    if (c->handshake_ms >= 0 && c->handshake_ms / 4 < p)
        p = c->handshake_ms / 4;
    return p < 20 ? 20 : p;
}

/* --- life cycle ------------------------------------------------------------
 */

static bool all_idle(struct broker *b)
{
    for (struct broker_conn *bc = b->conns; bc; bc = bc->next)
        if (bc->head || conn_out_bytes(bc->conn) > 0)
            return false;
    return true;
}

static void drain_tick(struct loop *l, struct loop_timer *t)
{
    struct broker *b = t->arg;
    if (b->drain_started_ms == 0)
        b->drain_started_ms = loop_now_ms(l);
    bool late = loop_now_ms(l) - b->drain_started_ms > DRAIN_DEADLINE_MS;
    if (all_idle(b) || late) {
        if (late)
            diag_warn("broker: drain deadline passed; closing %d connections",
                      b->nconns);
        while (b->conns)
            conn_close(b->conns->conn);
        loop_timer_stop(l, t);
        loop_stop(l);
    }
}

static void start_drain(struct broker *b)
{
    if (b->draining)
        return;
    b->draining = true;
    diag_info("broker: shutting down: finishing in-flight requests");
    listener_close(b->listener);
    b->listener = NULL;
    loop_timer_stop(b->loop, &b->idle_timer);
    for (struct broker_conn *bc = b->conns; bc; bc = bc->next) {
        bc->paused = true;
        conn_pause(bc->conn, true);
    }
    broker_log_drain_begin(b);
    broker_fetch_fini(b); /* parked fetches answer now with what is there */
    loop_timer_start(b->loop, &b->drain_timer, 0, 10);
}

static void shutdown_cb(struct loop *l, struct loop_io *io, uint32_t events)
{
    struct broker *b = io->arg;
    char tmp[16];
    (void)l;
    (void)events;
    while (read(io->fd, tmp, sizeof(tmp)) > 0)
        ;
    start_drain(b);
}

void broker_shutdown(struct broker *b)
{
    char c = 'x';
    ssize_t r = write(b->shutdown_pipe[1], &c, 1);
    (void)r;
}

struct logdir *broker_logdir(struct broker *b)
{
    return b->logdir;
}

int broker_port(const struct broker *b)
{
    return b->cfg.listen_port;
}

int broker_create(const struct broker_config *cfg, struct broker **out)
{
    struct broker *b = mem_calloc(1, sizeof(*b));
    b->cfg = *cfg;
    arena_init(&b->arena, 64 * 1024);
    b->shutdown_pipe[0] = b->shutdown_pipe[1] = -1;
    int rc = loop_create(&b->loop);
    if (rc < 0) {
        diag_error("broker: event loop: %s", err_str(rc));
        goto out_free;
    }
    if (pipe2(b->shutdown_pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
        rc = -errno;
        goto out_loop;
    }
    loop_io_init(&b->shutdown_io, b->shutdown_pipe[0], shutdown_cb, b);
    loop_io_set(b->loop, &b->shutdown_io, LOOP_READ);
    loop_timer_init(&b->drain_timer, drain_tick, b);
    loop_timer_init(&b->idle_timer, idle_tick, b);
    hashmap_init(&b->conns_per_ip);
    conn_budget_create((size_t)cfg->queued_max_request_bytes,
                       (size_t)cfg->max_frame_bytes, &b->budget);

    if (cfg->tls) {
        char terr[512];
        struct tls_options to = {
            .cert_file = cfg->ssl_cert,
            .key_file = cfg->ssl_key[0] ? cfg->ssl_key : NULL,
            .key_password =
                cfg->ssl_key_password[0] ? cfg->ssl_key_password : NULL,
            .ca_file = cfg->ssl_ca[0] ? cfg->ssl_ca : NULL,
            .client_auth = (enum tls_client_auth)cfg->ssl_client_auth,
        };
        rc = tls_ctx_create(&to, &b->tls, terr, sizeof(terr));
        if (rc < 0) {
            diag_error("broker: TLS: %s", terr);
            goto out_pipe;
        }
    }
    rc = broker_log_open(b);
    if (rc < 0)
        goto out_pipe;
    rc = broker_dynconf_load(b);
    if (rc == 0)
        rc = broker_features_load(b);
    if (rc < 0) {
        broker_log_close(b);
        goto out_pipe;
    }
    broker_handlers_register(b);
    group_handlers_register(b);
    rc = broker_auth_open(b);
    if (rc < 0)
        goto out_groups;
    txn_coord_register(b);

    rc = listener_open(b->loop, cfg->listen_host, cfg->listen_port, on_accept,
                       b, &b->listener);
    if (rc < 0) {
        diag_error("broker: cannot listen on %s:%d: %s", cfg->listen_host,
                   cfg->listen_port, err_str(rc));
        goto out_groups;
    }
    b->cfg.listen_port = listener_port(b->listener);
    if (b->cfg.advertised_host[0] == '\0')
        snprintf(b->cfg.advertised_host, sizeof(b->cfg.advertised_host), "%s",
                 strcmp(cfg->listen_host, "0.0.0.0") ? cfg->listen_host
                                                     : "127.0.0.1");
    if (b->cfg.advertised_port == 0)
        b->cfg.advertised_port = b->cfg.listen_port;
    loop_timer_start(b->loop, &b->idle_timer, idle_period(&b->cfg),
                     idle_period(&b->cfg));
    *out = b;
    return 0;

out_groups:
    txn_coord_fini(b);
    broker_auth_close(b);
    if (b->groups_fini)
        b->groups_fini(b);
    broker_log_close(b);
out_pipe:
    loop_io_stop(b->loop, &b->shutdown_io);
    close(b->shutdown_pipe[0]);
    close(b->shutdown_pipe[1]);
out_loop:
    loop_destroy(b->loop);
out_free:
    tls_ctx_destroy(b->tls);
    conn_budget_destroy(b->budget);
    hashmap_fini(&b->conns_per_ip);
    arena_fini(&b->arena);
    mem_free(b);
    return rc;
}

int broker_run(struct broker *b)
{
    const char *h = b->cfg.listen_host;
    if (strncmp(h, "127.", 4) != 0 && strcmp(h, "localhost") != 0 &&
        !b->cfg.sasl)
        diag_warn("broker: listening on %s:%d without authentication: "
                  "anyone who can reach it can read, write and delete "
                  "every topic%s (docs/security.md)",
                  h, b->cfg.listen_port,
                  b->tls && b->cfg.ssl_client_auth == 2
                      ? " with a client certificate"
                      : "");
    diag_info("broker: listening on %s:%d (advertised %s:%d), data %s",
              b->cfg.listen_host, b->cfg.listen_port, b->cfg.advertised_host,
              b->cfg.advertised_port, b->cfg.data_dir);
    int rc = loop_run(b->loop);
    if (rc < 0)
        diag_error("broker: event loop failed: %s", err_str(rc));
    /* Closed connections are freed by deferred callbacks. */
    loop_run_once(b->loop, 0);
    return rc;
}

void broker_destroy(struct broker *b)
{
    (void)broker_close(b);
}

int broker_close(struct broker *b)
{
    if (!b)
        return 0;
    while (b->conns)
        conn_close(b->conns->conn);
    loop_run_once(b->loop, 0);
    broker_fetch_fini(b);
    txn_coord_fini(b);
    if (b->groups_flush)
        b->groups_flush(b);
    if (b->groups_fini)
        b->groups_fini(b);
    int rc = broker_log_close(b);
    broker_auth_close(b);
    listener_close(b->listener);
    loop_timer_stop(b->loop, &b->drain_timer);
    loop_timer_stop(b->loop, &b->idle_timer);
    loop_io_stop(b->loop, &b->shutdown_io);
    close(b->shutdown_pipe[0]);
    close(b->shutdown_pipe[1]);
    loop_destroy(b->loop);
    tls_ctx_destroy(b->tls);
    conn_budget_destroy(b->budget);
    hashmap_fini(&b->conns_per_ip);
    arena_fini(&b->arena);
    diag_info("broker: stopped (%llu requests, %llu connections)",
              (unsigned long long)b->stats.requests,
              (unsigned long long)b->stats.conns_accepted);
    mem_free(b);
    return rc;
}
