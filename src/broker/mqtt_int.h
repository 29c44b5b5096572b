/* mqtt_int.h - what the MQTT server's files share (layer: broker; only
 * src/broker/mqtt_*.c include this).
 *
 *   mqtt_server.c   listener, connections, packets, the publish path
 *   mqtt_session.c  sessions, subscriptions, push delivery from the log,
 *                   retained messages, persistence under <data>/mqtt/
 *
 * Objects: a session (client id) has subscriptions; each subscription reads
 * the log through a reader (a filter + one cursor per log partition it may
 * find matching records in). A shared subscription's reader belongs to
 * its group ($share/group/filter) and feeds every member in turn.
 * In-flight QoS 1/2 deliveries are kept per session in packet-id order
 * (a ring); a cursor's committed position is the lowest offset still in
 * flight, else its next offset. Everything runs on the broker's loop.
 */
#ifndef RILL_MQTT_INT_H
#define RILL_MQTT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/hashmap.h"
#include "broker/broker_int.h"
#include "broker/broker_log.h"
#include "broker/mqtt_codec.h"
#include "broker/mqtt_map.h"
#include "broker/mqtt_server.h"
#include "log/record_batch.h"

#define MQTT_RETAINED_TOPIC "__mqtt_retained"
#define MQTT_HDR_TOPIC "mqtt.topic"
/* At most this many entries in a session's in-flight ring, so packet ids
 * (allocated in sequence) never collide. */
#define MQTT_RING_MAX 32768

struct mqtt_session;
struct mqtt_conn;
struct mqtt_reader;

struct mqtt_cfg {
    char host[256];
    int port;
    char default_topic[256];
    uint32_t max_packet;   /* largest packet accepted */
    uint16_t max_inflight; /* outgoing QoS 1/2 window per session */
    uint16_t keep_alive_max;
    bool fsync_ack;   /* PUBACK/PUBREC only once durable */
    size_t out_limit; /* queued output above which QoS 0 delivery waits */
    bool tls;         /* mqtt.listeners=ssl://: the broker's ssl.* files */
    bool auth;        /* CONNECT needs a user of <data>/security/users */
};

struct mqtt_cursor {
    char *topic;
    int32_t partition;
    struct broker_part *bp;
    int64_t next; /* next offset to look at */
};

struct mqtt_group;

struct mqtt_sub {
    struct mqtt_sub *next; /* in the session */
    struct mqtt_session *sess;
    char *filter; /* as subscribed, "$share/..." included */
    uint8_t qos;
    uint32_t sub_id;
    struct mqtt_reader *reader; /* own, or the group's */
    struct mqtt_group *group;   /* shared subscriptions */
};

struct mqtt_reader {
    struct mqtt_reader *prev, *next; /* server list */
    char *filter;                    /* without "$share/group/" */
    struct mqtt_cursor *curs;
    size_t ncur;
    struct mqtt_sub *sub;     /* owner (not shared) */
    struct mqtt_group *group; /* owner (shared) */
};

struct mqtt_group {
    char *key; /* "group/filter" */
    struct mqtt_reader reader_storage;
    struct mqtt_sub **members;
    size_t nmembers, cap, rr;
    bool dirty;
    bool wal_listed; /* in the server's wal_groups: save before sending */
    int64_t saved_ms;
    struct buf pending; /* "inf" lines read at start, for the sessions */
};

enum { INF_FREE, INF_PUBLISHED, INF_RELEASED };

struct mqtt_inflight {
    uint16_t pid;
    uint8_t qos;
    uint8_t state;
    struct mqtt_reader *rd; /* NULL: a retained message (not tracked) */
    uint32_t cur;
    int64_t offset;
};

struct mqtt_session {
    char *client_id;
    struct mqtt_server *s;
    struct mqtt_conn *conn; /* NULL while offline */
    bool persistent;
    uint32_t expiry_s; /* after disconnect; UINT32_MAX = never */
    int64_t offline_since_ms;
    struct mqtt_sub *subs;
    struct mqtt_inflight *ring;
    size_t ring_head, ring_len, ring_cap;
    size_t ninflight; /* entries not yet completed */
    uint16_t next_pid;
    uint16_t window;
    uint8_t *qos2_in; /* bitmap of received QoS 2 ids awaiting PUBREL */
    struct buf wal;   /* QoS 2 PUBLISHes held until the session is saved */
    bool wal_listed;  /* in the server's wal_sessions */
    bool dirty;       /* persistent state changed since the last save */
    int64_t saved_ms; /* loop time of the last save */
    /* Of the connection that last attached it ("" after a restart until
     * its client connects again): its subscriptions read the log topics
     * this principal may READ. */
    char principal[320];
    char ip[48];
};

struct mqtt_retained {
    char *topic;
    struct buf payload;
    struct buf props; /* MQTT 5 user properties, encoded */
    uint8_t qos;
};

/* One PUBACK / PUBREC owed, waiting for its append (end < 0) and, with
 * fsync_ack, for durability. bp NULL: owed at once (a duplicate QoS 2). */
struct mqtt_pend_ack {
    uint8_t type;
    uint16_t pid;
    struct broker_part *bp;
    int64_t end;
    bool failed;
    uint8_t reason; /* with failed: the MQTT 5 reason (0: unspecified) */
};

struct mqtt_conn {
    struct mqtt_conn *prev, *next;
    struct mqtt_server *s;
    struct conn *conn;
    struct mqtt_session *sess;
    uint8_t version;
    bool connected, clean_disconnect, closed, no_will;
    uint16_t keep_alive;
    int64_t last_rx_ms, accepted_ms;
    uint32_t max_packet_out; /* the client's Maximum Packet Size */
    bool has_will;
    char *will_topic;
    struct buf will_payload, will_props;
    uint8_t will_qos;
    bool will_retain;
    struct mqtt_pend_ack *acks;
    size_t acks_head, acks_len, acks_cap;
    bool in_ack_list;
    struct mqtt_conn *ack_next;
    struct broker_durable_wait dw;
    bool dw_active;
    struct loop_defer free_defer;
    /* For ACLs (docs/security.md): "User:<CONNECT user name>" when users
     * are required, else "User:ANONYMOUS"; the peer's address. */
    char principal[320];
    char ip[48];
};

/* Appends staged during one loop iteration, one batch per partition. */
struct mqtt_stage {
    struct broker_part *bp;
    struct record_batch_builder bb;
    int64_t end; /* after the last flush: offset after its records */
    int err;
};

struct mqtt_server {
    struct broker *b;
    struct loop *loop;
    struct listener *ls;
    struct tls_ctx *tls; /* cfg.tls */
    struct mqtt_cfg cfg;
    struct mqtt_map *map;
    char dir[1100]; /* <data>/mqtt */
    bool stopping;

    struct mqtt_conn *conns;
    struct hashmap sessions; /* client id -> struct mqtt_session */
    struct hashmap groups;   /* "group/filter" -> struct mqtt_group */
    struct hashmap retained; /* topic -> struct mqtt_retained */
    struct mqtt_reader *readers;

    struct mqtt_stage *stages;
    size_t nstages;
    bool staged;
    struct mqtt_conn *ack_conns;
    struct loop_defer append_defer;
    struct loop_defer deliver_defer;
    struct loop_timer tick;
    struct loop_timer retry; /* QoS 0 delivery waiting for output room */
    uint64_t auto_ids;

    /* scratch, reused (no allocation per message) */
    struct buf pkt, props, chunk, unzip, json;
    struct record_header *hdrs;
    struct slice *hdr_vals;
    size_t hdrs_cap;
    uint64_t published, delivered;
    /* Persistent sessions with QoS 2 PUBLISHes to save before sending
     * (mqtt_deliver's end). */
    struct mqtt_session **wal_sessions;
    size_t nwal, wal_cap;
    /* Shared groups whose file must be saved first (QoS 2 deliveries and
     * PUBRECs of persistent members through them). */
    struct mqtt_group **wal_groups;
    size_t nwalg, walg_cap;
};

/* mqtt_server.c */
/* Stages one message for the log (and the retained store when retain);
 * ack (may be NULL) is filled with where its PUBACK must wait. */
int mqtt_publish_message(struct mqtt_server *s, struct slice topic,
                         struct slice payload, uint8_t qos, bool retain,
                         const struct mqtt_props *props,
                         struct mqtt_pend_ack *ack);
void mqtt_send(struct mqtt_conn *mc, struct buf *pkt);
void mqtt_kick(struct mqtt_server *s);

/* mqtt_session.c */
struct mqtt_session *mqtt_session_get(struct mqtt_server *s,
                                      struct slice client_id);
struct mqtt_session *mqtt_session_new(struct mqtt_server *s,
                                      struct slice client_id);
void mqtt_session_destroy(struct mqtt_session *ss);
/* The connection attached (session resumed: unacked deliveries rewound). */
void mqtt_session_attach(struct mqtt_session *ss, struct mqtt_conn *mc);
void mqtt_session_detach(struct mqtt_session *ss);
/* Returns the SUBACK code; *retained: whether retained messages are due
 * (mqtt_session_send_retained, after the SUBACK). */
uint8_t mqtt_session_subscribe(struct mqtt_session *ss,
                               const struct mqtt_sub_entry *e, uint32_t sub_id,
                               bool *retained);
void mqtt_session_send_retained(struct mqtt_session *ss, struct slice filter,
                                uint8_t qos);
uint8_t mqtt_session_unsubscribe(struct mqtt_session *ss, struct slice f);
void mqtt_session_ack(struct mqtt_session *ss, uint8_t type, uint16_t pid);
void mqtt_session_save(struct mqtt_session *ss);
void mqtt_sessions_load(struct mqtt_server *s);
void mqtt_sessions_tick(struct mqtt_server *s, int64_t now_ms);
void mqtt_sessions_fini(struct mqtt_server *s);
/* Pushes what is new in the log to every subscriber with room. */
void mqtt_deliver(struct mqtt_server *s);
void mqtt_retained_set(struct mqtt_server *s, struct slice topic,
                       struct slice payload, uint8_t qos,
                       struct slice user_props);
void mqtt_retained_load(struct mqtt_server *s);
void mqtt_retained_fini(struct mqtt_server *s);

#endif
