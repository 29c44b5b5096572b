/* mqtt_codec.h - MQTT 3.1.1 and 5.0 packets: framing, decode, encode,
 * topic name / filter validation and matching (layer: broker).
 *
 * No I/O and no allocation on decode: every decoded string or payload is a
 * slice into the packet bytes, valid as long as they are. Variable-length
 * parts (a SUBSCRIBE's filters, user properties) are walked with iterators
 * over the raw bytes. Every length read is checked against what is left;
 * a malformed packet returns ERR_CORRUPT with a reason (mqtt_error_reason)
 * and the caller closes that connection. Byte layout: docs/mqtt.md and the
 * OASIS specifications (MQTT 3.1.1, 5.0).
 * Encoders append one whole packet (fixed header included) to a struct buf.
 */
#ifndef RILL_MQTT_CODEC_H
#define RILL_MQTT_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

enum mqtt_type {
    MQTT_CONNECT = 1,
    MQTT_CONNACK = 2,
    MQTT_PUBLISH = 3,
    MQTT_PUBACK = 4,
    MQTT_PUBREC = 5,
    MQTT_PUBREL = 6,
    MQTT_PUBCOMP = 7,
    MQTT_SUBSCRIBE = 8,
    MQTT_SUBACK = 9,
    MQTT_UNSUBSCRIBE = 10,
    MQTT_UNSUBACK = 11,
    MQTT_PINGREQ = 12,
    MQTT_PINGRESP = 13,
    MQTT_DISCONNECT = 14,
    MQTT_AUTH = 15,
};

#define MQTT_V311 4
#define MQTT_V5 5
/* The largest packet the encoding can express (remaining length < 2^28). */
#define MQTT_MAX_REMAINING 268435455u

/* Reason codes used here (MQTT 5; 3.1.1 CONNACK codes are mapped). */
enum {
    MQTT_RC_SUCCESS = 0x00,
    MQTT_RC_GRANTED_QOS1 = 0x01,
    MQTT_RC_GRANTED_QOS2 = 0x02,
    MQTT_RC_DISCONNECT_WITH_WILL = 0x04,
    MQTT_RC_NO_MATCHING_SUBSCRIBERS = 0x10,
    MQTT_RC_NO_SUBSCRIPTION_EXISTED = 0x11,
    MQTT_RC_UNSPECIFIED = 0x80,
    MQTT_RC_MALFORMED = 0x81,
    MQTT_RC_PROTOCOL_ERROR = 0x82,
    MQTT_RC_IMPL_SPECIFIC = 0x83,
    MQTT_RC_UNSUPPORTED_VERSION = 0x84,
    MQTT_RC_BAD_CLIENT_ID = 0x85,
    MQTT_RC_NOT_AUTHORIZED = 0x87,
    MQTT_RC_SERVER_UNAVAILABLE = 0x88,
    MQTT_RC_SERVER_BUSY = 0x89,
    MQTT_RC_SHUTTING_DOWN = 0x8B,
    MQTT_RC_KEEP_ALIVE_TIMEOUT = 0x8D,
    MQTT_RC_SESSION_TAKEN_OVER = 0x8E,
    MQTT_RC_TOPIC_FILTER_INVALID = 0x8F,
    MQTT_RC_TOPIC_NAME_INVALID = 0x90,
    MQTT_RC_PACKET_ID_NOT_FOUND = 0x92,
    MQTT_RC_RECEIVE_MAX_EXCEEDED = 0x93,
    MQTT_RC_PACKET_TOO_LARGE = 0x95,
    MQTT_RC_QUOTA_EXCEEDED = 0x97,
    MQTT_RC_QOS_NOT_SUPPORTED = 0x9B,
    MQTT_RC_SHARED_SUB_NOT_SUPPORTED = 0x9E,
};

/* --- framing ------------------------------------------------------------ */

/* Looks at the first n buffered bytes: returns 1 with *total (fixed header
 * + remaining length) once the fixed header is complete, 0 if more bytes
 * are needed, ERR_CORRUPT for a remaining length over 4 bytes. */
int mqtt_frame_size(const uint8_t *p, size_t n, size_t *total);

/* --- properties (MQTT 5) ------------------------------------------------ */

/* The properties this server reads; absent ones stay 0 / empty. The raw
 * block is kept for walking user properties (mqtt_user_prop_next). */
struct mqtt_props {
    struct slice raw;
    uint32_t session_expiry;
    bool has_session_expiry;
    uint16_t receive_max;     /* 0 = absent */
    uint32_t max_packet_size; /* 0 = absent */
    uint16_t topic_alias_max; /* CONNECT */
    uint16_t topic_alias;     /* PUBLISH, 0 = absent */
    uint32_t message_expiry;  /* PUBLISH / will */
    bool has_message_expiry;
    uint32_t will_delay;      /* will properties */
    uint32_t subscription_id; /* SUBSCRIBE, 0 = absent */
    uint8_t payload_format;   /* 0 bytes, 1 UTF-8 */
    struct slice content_type, response_topic, correlation_data;
    uint32_t user_props; /* how many user properties */
};

struct mqtt_user_prop_iter {
    struct buf_reader r;
};
void mqtt_user_prop_iter_init(struct mqtt_user_prop_iter *it,
                              const struct mqtt_props *props);
/* Returns 1 with the next user property, 0 at the end. (The block was
 * validated when it was decoded.) */
int mqtt_user_prop_next(struct mqtt_user_prop_iter *it, struct slice *key,
                        struct slice *value);

/* --- decoded packets ---------------------------------------------------- */

struct mqtt_connect {
    uint8_t version; /* 4 or 5; 3 and others: see mqtt_connect_decode */
    bool clean_start;
    uint16_t keep_alive; /* seconds */
    struct mqtt_props props;
    struct slice client_id;
    bool will;
    uint8_t will_qos;
    bool will_retain;
    struct mqtt_props will_props;
    struct slice will_topic, will_payload;
    bool has_username, has_password;
    struct slice username, password;
};

struct mqtt_publish {
    bool dup, retain;
    uint8_t qos;
    struct slice topic; /* may be empty in MQTT 5 with a topic alias */
    uint16_t packet_id; /* 0 when qos == 0 */
    struct mqtt_props props;
    struct slice payload;
};

/* PUBACK, PUBREC, PUBREL, PUBCOMP */
struct mqtt_ack {
    uint16_t packet_id;
    uint8_t reason;
};

struct mqtt_subscribe {
    uint16_t packet_id;
    struct mqtt_props props;
    struct slice list; /* filters + options, walk with mqtt_sub_next */
};

struct mqtt_sub_iter {
    struct buf_reader r;
    bool unsubscribe;
};

struct mqtt_sub_entry {
    struct slice filter;
    uint8_t qos;   /* maximum QoS */
    bool no_local; /* MQTT 5 options */
    bool retain_as_published;
    uint8_t retain_handling;
};

struct mqtt_disconnect {
    uint8_t reason;
    struct mqtt_props props;
};

/* Human-readable reason for the last ERR_CORRUPT / ERR_INVALID of this
 * thread's decoders (static text). */
const char *mqtt_error_reason(void);

/* The packet's type (first byte >> 4) and flags (low 4 bits); pkt holds a
 * whole packet as framed by mqtt_frame_size. *body / *body_len: after the
 * fixed header. Returns 0 or ERR_CORRUPT. */
int mqtt_packet_split(const uint8_t *pkt, size_t len, uint8_t *type,
                      uint8_t *flags, const uint8_t **body, size_t *body_len);

/* CONNECT: returns 0, ERR_UNSUPPORTED (protocol name/level not 3.1.1 or
 * 5: the caller answers CONNACK 0x01 / 0x84 with out->version set to what
 * was asked) or ERR_CORRUPT. */
int mqtt_connect_decode(const uint8_t *body, size_t len, uint8_t flags,
                        struct mqtt_connect *out);
int mqtt_publish_decode(const uint8_t *body, size_t len, uint8_t flags,
                        uint8_t version, struct mqtt_publish *out);
int mqtt_ack_decode(const uint8_t *body, size_t len, uint8_t type,
                    uint8_t flags, uint8_t version, struct mqtt_ack *out);
/* SUBSCRIBE and UNSUBSCRIBE (type tells); every entry is checked here, so
 * walking the list afterwards cannot fail. */
int mqtt_subscribe_decode(const uint8_t *body, size_t len, uint8_t type,
                          uint8_t flags, uint8_t version,
                          struct mqtt_subscribe *out);
void mqtt_sub_iter_init(struct mqtt_sub_iter *it,
                        const struct mqtt_subscribe *s, bool unsubscribe);
int mqtt_sub_next(struct mqtt_sub_iter *it, struct mqtt_sub_entry *e);
int mqtt_disconnect_decode(const uint8_t *body, size_t len, uint8_t flags,
                           uint8_t version, struct mqtt_disconnect *out);

/* --- encoders ----------------------------------------------------------- */

struct mqtt_connack {
    bool session_present;
    uint8_t reason;           /* MQTT 5 code; mapped for 3.1.1 */
    uint16_t receive_max;     /* 0: not sent */
    uint32_t max_packet_size; /* 0: not sent */
    uint32_t session_expiry;  /* sent when has_session_expiry */
    bool has_session_expiry;
    struct slice assigned_client_id;       /* empty: not sent */
    uint16_t server_keep_alive;            /* 0: not sent */
    bool no_wildcard_subs, no_shared_subs; /* availability flags */
};
void mqtt_connack_encode(struct buf *out, uint8_t version,
                         const struct mqtt_connack *c);

/* One outgoing PUBLISH. User properties come as a pre-encoded block (pairs
 * of UTF-8 strings, each with a 0x26 identifier) so the caller can build
 * them straight from record headers; it is dropped for 3.1.1. */
struct mqtt_publish_out {
    struct slice topic;
    uint16_t packet_id;
    uint8_t qos;
    bool retain, dup;
    struct slice payload;
    struct slice user_props;  /* encoded 0x26 entries, MQTT 5 only */
    uint32_t subscription_id; /* 0: none */
};
/* The encoded size (for the client's Maximum Packet Size check). */
size_t mqtt_publish_size(uint8_t version, const struct mqtt_publish_out *p);
void mqtt_publish_encode(struct buf *out, uint8_t version,
                         const struct mqtt_publish_out *p);
/* Appends one user property (0x26 key value) to a block for the above. */
void mqtt_user_prop_put(struct buf *block, struct slice key,
                        struct slice value);
/* PUBACK / PUBREC / PUBREL / PUBCOMP. */
void mqtt_ack_encode(struct buf *out, uint8_t version, uint8_t type,
                     uint16_t packet_id, uint8_t reason);
/* SUBACK / UNSUBACK with one reason code per filter (3.1.1 UNSUBACK has
 * none; SUBACK failures become 0x80). */
void mqtt_suback_encode(struct buf *out, uint8_t version, uint8_t type,
                        uint16_t packet_id, const uint8_t *codes, size_t n);
void mqtt_pingresp_encode(struct buf *out);
/* MQTT 5 only (3.1.1 has no server DISCONNECT: the caller just closes). */
void mqtt_disconnect_encode(struct buf *out, uint8_t reason);
/* Client side, for tests, benchmarks and the fuzz corpus. */
void mqtt_connect_encode(struct buf *out, const struct mqtt_connect *c);
void mqtt_subscribe_encode(struct buf *out, uint8_t version, uint16_t pid,
                           const char *filter, uint8_t qos);

/* --- topics ------------------------------------------------------------- */

/* A topic name: 1..65535 bytes of UTF-8 without U+0000, '+' or '#'. */
bool mqtt_topic_name_valid(struct slice t);
/* A filter: like a name, but '+' may fill a whole level and '#' may fill
 * the last level. "$share/{group}/{filter}" is accepted when share is true
 * (group non-empty, without '/', '+', '#'). */
bool mqtt_topic_filter_valid(struct slice f, bool share);
/* Whether filter (valid, not $share) matches the topic name. Wildcards at
 * the first level do not match names that start with '$'. */
bool mqtt_topic_match(struct slice filter, struct slice topic);
/* Whether some topic name could match both filters. */
bool mqtt_filters_overlap(struct slice a, struct slice b);
/* Splits "$share/group/filter": returns true and sets group and filter. */
bool mqtt_share_split(struct slice f, struct slice *group,
                      struct slice *filter);
/* Validates UTF-8 as MQTT requires (no U+0000, no surrogates, no
 * overlongs). */
bool mqtt_utf8_valid(struct slice s);

#endif
