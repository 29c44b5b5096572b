/* broker_int.h - what the broker's own files share: the server context, the
 * request handler signature, the dispatch table and deferred responses
 * (layer: broker; nothing outside src/broker/ includes this).
 *
 * Request life cycle, on the loop thread:
 *   frame -> request header decoded -> slot appended to the connection's
 *   FIFO -> handler(req, out) -> one of
 *     0                   the response body is in `out`: the slot is ready;
 *     BROKER_NO_RESPONSE  nothing is sent (Produce acks=0): slot dropped;
 *     BROKER_DEFERRED     the handler called broker_defer(req) and will call
 *                         broker_pending_complete() later (acks=-1 fsync,
 *                         Fetch long poll, JoinGroup/SyncGroup parking);
 *     < 0                 malformed request: logged, the connection closes.
 * Responses leave strictly in request order: a ready slot waits behind an
 * earlier deferred one. The broker writes the frame length and the response
 * header (correlation id, plus the tag byte for flexible versions except
 * ApiVersions); handlers write only the body.
 *
 * Memory: req->arena is reset after the handler returns, and the request
 * bytes (req->body) are only valid during the call. A deferring handler
 * copies what it needs. A broker_pending stays valid until it is completed
 * or, if the connection closes first, until its cancel callback returns
 * (no cancel callback: until it is completed; completing an orphan only
 * frees it).
 *
 * Groups: the groups module (src/broker/group_*.c) defines
 *     void group_handlers_register(struct broker *b);
 * which calls broker_register() for FindCoordinator, JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, ListGroups and
 * DescribeGroups, keeps its state in b->groups, and sets b->groups_fini
 * (called at shutdown, after the last request, before the log closes) and
 * optionally b->groups_flush. Until src/broker/group.h exists, broker.c
 * compiles a stub so the build links.
 */
#ifndef RILL_BROKER_INT_H
#define RILL_BROKER_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/hashmap.h"
#include "broker/broker.h"
#include "broker/broker_dynconf.h"
#include "net/conn.h"
#include "net/listener.h"
#include "net/loop.h"

struct logdir;
struct broker_conn;
struct broker_pending;
struct broker_req;
struct broker_logstate;
struct broker_fetchwait;
struct txn_coord;

enum {
    BROKER_NO_RESPONSE = 1,
    BROKER_DEFERRED = 2,
};

/* Fills `out` with the response body (no header). See the life cycle. */
typedef int broker_handler_fn(struct broker_req *req, struct buf *out);

#define BROKER_API_MAX 128 /* ApiKeys 0..127 */

struct broker_api {
    broker_handler_fn *fn; /* NULL = not served (not advertised) */
    int16_t min_version, max_version;
};

/* One decoded request, valid during the handler call. */
struct broker_req {
    struct broker *b;
    struct broker_conn *bc;
    int16_t api_key;
    int16_t api_version;
    int32_t correlation_id;
    struct slice client_id;
    bool flexible;                  /* request header v2 / response header v1 */
    struct buf_reader body;         /* positioned after the request header */
    struct arena *arena;            /* reset after the handler returns */
    struct broker_pending *pending; /* set by broker_defer */
};

struct broker_stats {
    uint64_t requests, produce_batches, produce_bytes, fetch_bytes;
    uint64_t conns_accepted, conns_refused, bad_frames, bad_batches;
    uint64_t unsupported; /* answered UNSUPPORTED_VERSION */
    uint64_t conns_idle_closed, conns_handshake_closed, conns_evicted;
};

struct broker {
    struct broker_config cfg;
    struct loop *loop;
    /* broker_fetch_wake from other threads: one re-check posted at a time */
    atomic_bool wake_pending;
    struct listener *listener;
    struct logdir *logdir;
    struct broker_api apis[BROKER_API_MAX];
    struct arena arena; /* per request, reset after each handler */

    struct broker_conn *conns; /* doubly linked list */
    int nconns;
    struct hashmap conns_per_ip;  /* ip -> open connections */
    struct conn_budget *budget;   /* queued.max.request.bytes */
    struct loop_timer idle_timer; /* idle and handshake timeouts */
    struct tls_ctx *tls;          /* SSL:// listener, else NULL */
    bool draining;
    struct loop_timer drain_timer;
    int64_t drain_started_ms;
    int shutdown_pipe[2]; /* written by broker_shutdown, any thread */
    struct loop_io shutdown_io;

    struct broker_dynconf dyn; /* dynamic broker configs (KIP-226) */
    int16_t group_version;     /* feature level (broker_extra.c): 1 = KIP-848 */
    int64_t features_epoch;    /* changes of the feature levels */
    struct broker_logstate *ls;         /* topics, waiters, producer ids */
    struct broker_fetchwait *fetchwait; /* parked long-poll fetches */
    struct broker_stats stats;

    /* Optional: told (on the loop thread) whenever parked fetches are
     * re-checked for new data; the MQTT server pushes to subscribers. */
    void (*append_hook)(void *arg);
    void *append_hook_arg;

    /* Authentication and ACLs (broker_sasl.c, broker_acl.c); NULL when
     * the listener needs none and no ACL is checked. */
    struct broker_auth *auth;

    /* The transaction coordinator (txn_coord.h). */
    struct txn_coord *txn;

    /* Owned by the groups module. */
    void *groups;
    void (*groups_fini)(struct broker *b);
    void (*groups_flush)(struct broker *b); /* optional, at shutdown */
};

/* --- dispatch table --- */
/* Serve api_key with fn for versions [min_v, max_v]; these ranges are what
 * ApiVersions advertises. Replaces an earlier entry. */
void broker_register(struct broker *b, int16_t api_key, int16_t min_v,
                     int16_t max_v, broker_handler_fn *fn);
/* Serve api_key with fn for exactly the versions of the codec's ApiKey
 * table (kafka_api_table), the one table ApiVersions advertises. */
void broker_serve(struct broker *b, int16_t api_key, broker_handler_fn *fn);
/* Defined by the groups module (see above). */
void group_handlers_register(struct broker *b);
/* The connection's number in accept order (from 1): a connection accepted
 * later has a larger one. */
uint64_t broker_conn_serial(const struct broker_conn *bc);
/* The connection's peer address, "ip:port" (as accepted). */
const char *broker_conn_peer(const struct broker_conn *bc);

/* --- authentication (broker_sasl.c) --- */
struct auth_scram_server;
/* A connection's SASL state and principal. */
struct broker_conn_auth {
    bool authenticated; /* SASL done, or the listener needs none */
    bool close;         /* authentication failed: close after the answer */
    int mech;           /* chosen by SaslHandshake: 0 none, -1 PLAIN, else
                           enum auth_mech */
    struct auth_scram_server *scram;
    char principal[320]; /* "User:alice", "User:ANONYMOUS"; "" = not yet */
};
struct broker_conn_auth *broker_conn_auth(struct broker_conn *bc);
/* Opens the users and ACL files when the configuration needs them;
 * registers SaslHandshake, SaslAuthenticate, Describe/Alter
 * UserScramCredentials and the ACL APIs. Returns 0 or a negative error. */
int broker_auth_open(struct broker *b);
void broker_auth_close(struct broker *b);
/* Before each request: false means the connection must close (a request
 * other than ApiVersions/SaslHandshake/SaslAuthenticate before
 * authentication on a SASL listener; logged). Also settles the principal
 * of a connection without SASL (its TLS client certificate's subject, or
 * ANONYMOUS). */
bool broker_auth_gate(struct broker *b, struct broker_conn *bc,
                      int16_t api_key);
/* The ACL store (re-read at most once a second if the file changed). */
struct auth_acls *broker_auth_acls(struct broker *b);
/* Quotas (broker_quota.c); NULL before broker_auth_open. */
struct broker_quotas;
struct broker_quotas *broker_auth_quotas(struct broker *b);
int broker_quotas_create(struct broker *b, struct broker_quotas **out);
void broker_quotas_destroy(struct broker_quotas *q);
/* Serves DescribeClientQuotas and AlterClientQuotas. */
void broker_quotas_register(struct broker *b);
/* Counts bytes of a Produce request (produce) or a Fetch answer against
 * the connection's principal; returns the throttle time in ms (0: under
 * its quota, or none). */
int32_t broker_quota_record(struct broker *b, struct broker_conn *bc,
                            bool produce, size_t bytes);
/* Writes ms into the throttle_time_ms field of a Produce or Fetch
 * response body (no-op for other APIs). */
void broker_quota_patch(int16_t api_key, int16_t version, bool flexible,
                        struct buf *body, int32_t ms);
/* Whether user/password is a user of <data>/security/users (re-read if
 * it changed), as SASL/PLAIN checks it: for MQTT and HTTP logins. */
bool broker_auth_check_password(struct broker *b, const char *user, size_t ulen,
                                const char *pw, size_t pwlen);
/* The connection's socket. */
struct conn *broker_conn_get(struct broker_conn *bc);
/* At close: frees the connection's SASL state. */
void broker_auth_conn_fini(struct broker_conn_auth *a);

/* --- deferred responses --- */
typedef void broker_cancel_fn(struct broker_pending *p, void *arg);

/* Marks req as answered later; returns the handle the owner completes.
 * The handler must then return BROKER_DEFERRED. */
struct broker_pending *broker_defer(struct broker_req *req);
/* Optional: called (once) if the connection closes before completion; the
 * owner must forget p, which is freed when the callback returns. */
void broker_pending_set_cancel(struct broker_pending *p, broker_cancel_fn *fn,
                               void *arg);
/* Supplies the response body (takes body's memory; body is left empty) and
 * sends it as soon as every earlier response on the connection is out.
 * Loop thread only. */
void broker_pending_complete(struct broker_pending *p, struct buf *body);
/* Like complete, but with file ranges spliced into the body: see
 * broker_resp below. Takes r's contents. */
struct broker_resp;
void broker_pending_complete_resp(struct broker_pending *p,
                                  struct broker_resp *r);
/* Completes with no response at all (the slot is dropped). */
void broker_pending_drop(struct broker_pending *p);
/* The API and version the pending request was made with. */
int16_t broker_pending_version(const struct broker_pending *p);
/* Whether its connection closed (completion then only frees it). */
bool broker_pending_orphaned(const struct broker_pending *p);

/* --- responses with file ranges (Fetch, sendfile) --- */
struct broker_resp_file {
    size_t at; /* position in body.len terms where the range goes */
    int fd;    /* dup'ed, owned by the response */
    int64_t off;
    size_t len;
};

struct broker_resp {
    struct buf body;
    struct broker_resp_file *files;
    size_t nfiles, cap;
    size_t file_bytes;
};

void broker_resp_init(struct broker_resp *r);
void broker_resp_fini(struct broker_resp *r);
/* Inserts len bytes of fd at off at the current end of body. The fd is
 * dup'ed. Returns 0 or -errno. */
int broker_resp_add_file(struct broker_resp *r, int fd, int64_t off,
                         size_t len);

/* For handlers that answer at once with file ranges (Fetch without
 * waiting): copy r into the request's slot and return 0 with `out` empty. */
void broker_req_set_resp(struct broker_req *req, struct broker_resp *r);

/* --- handlers in broker_*.c --- */
void broker_handlers_register(struct broker *b);
/* broker_admin.c: configs, cluster, log dirs, reassignments, elections. */
void broker_admin_register(struct broker *b);
/* broker_extra.c: OffsetForLeaderEpoch, AlterReplicaLogDirs,
 * AlterPartitionReassignments, delegation tokens, UpdateFeatures,
 * telemetry, DescribeTopicPartitions. */
void broker_extra_register(struct broker *b);
/* The feature levels of <data>/broker-features (defaults when absent);
 * a negative error for a damaged file (the broker refuses to start). */
#define BROKER_GROUP_VERSION_MAX 1
int broker_features_load(struct broker *b);
/* CreateTopics' check of its configs: an unknown key, a bad value of an
 * honoured one, or cleanup.policy=compact is INVALID_CONFIG (*msg says
 * why); 0 if they are fine. */
struct broker_topic_kv;
int16_t broker_topic_config_check(const struct broker_topic_kv *kv, size_t n,
                                  struct slice *msg);
int broker_handle_produce(struct broker_req *req, struct buf *out);
int broker_handle_fetch(struct broker_req *req, struct buf *out);
/* Parked fetches: answered at shutdown, freed at close. */
void broker_fetch_fini(struct broker *b);

#endif
