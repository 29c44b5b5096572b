/* mqtt_codec.c - MQTT 3.1.1 / 5.0 packet decode and encode (layer: broker).
 *
 * Fixed header of every packet:
 *   offset size  field
 *   0      1     type (high 4 bits) | flags (low 4 bits)
 *   1      1..4  remaining length (7 bits per byte, low group first,
 *                high bit = more; at most 4 bytes)
 * Strings are a big-endian uint16 length then UTF-8 bytes; binary data the
 * same without the UTF-8 rule. MQTT 5 adds a property block (a remaining-
 * length-style varint size, then id byte + value) after the variable
 * header of most packets. Nothing here allocates or does I/O.
 */
#include "broker/mqtt_codec.h"

#include <string.h>

#include "base/err.h"

static _Thread_local const char *last_reason = "";

const char *mqtt_error_reason(void)
{
    return last_reason;
}

static int bad(const char *why)
{
    last_reason = why;
    return ERR_CORRUPT;
}

/* --- primitives ------------------------------------------------------------
 */

static int read_vbi(struct buf_reader *r, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        if (buf_reader_left(r) < 1)
            return bad("truncated variable byte integer");
        uint8_t b = buf_read_u8(r);
        v |= (uint32_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return bad("variable byte integer longer than 4 bytes");
}

static size_t vbi_size(uint32_t v)
{
    return v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : 4;
}

static void put_vbi(struct buf *b, uint32_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        if (v)
            byte |= 0x80;
        buf_put_u8(b, byte);
    } while (v);
}

static uint16_t read_u16(struct buf_reader *r)
{
    return (uint16_t)buf_read_i16(r);
}

static uint32_t read_u32(struct buf_reader *r)
{
    return (uint32_t)buf_read_i32(r);
}

static int read_bin(struct buf_reader *r, struct slice *out)
{
    if (buf_reader_left(r) < 2)
        return bad("truncated length");
    uint16_t n = read_u16(r);
    if (buf_reader_left(r) < n)
        return bad("string longer than the packet");
    *out = buf_read_bytes(r, n);
    return 0;
}

static int read_str(struct buf_reader *r, struct slice *out)
{
    int rc = read_bin(r, out);
    if (rc < 0)
        return rc;
    if (!mqtt_utf8_valid(*out))
        return bad("string is not valid UTF-8");
    return 0;
}

static void put_u16(struct buf *b, uint16_t v)
{
    buf_put_i16(b, (int16_t)v);
}

static void put_bin(struct buf *b, struct slice s)
{
    put_u16(b, (uint16_t)s.len);
    if (s.len)
        buf_put(b, s.ptr, s.len);
}

bool mqtt_utf8_valid(struct slice s)
{
    const uint8_t *p = s.ptr, *end = p + s.len;
    while (p < end) {
        uint8_t c = *p;
        if (c < 0x80) {
            if (c == 0)
                return false;
            p++;
            continue;
        }
        int n;
        uint32_t cp;
        if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (end - p <= n)
            return false;
        for (int i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        p += n + 1;
    }
    return true;
}

/* --- framing ---------------------------------------------------------------
 */

int mqtt_frame_size(const uint8_t *p, size_t n, size_t *total)
{
    uint32_t v = 0;
    for (size_t i = 0; i < 4; i++) {
        if (n < i + 2)
            return 0;
        uint8_t b = p[1 + i];
        v |= (uint32_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *total = 2 + i + (size_t)v;
            return 1;
        }
    }
    return bad("remaining length longer than 4 bytes");
}

int mqtt_packet_split(const uint8_t *pkt, size_t len, uint8_t *type,
                      uint8_t *flags, const uint8_t **body, size_t *body_len)
{
    size_t total;
    int rc = mqtt_frame_size(pkt, len, &total);
    if (rc <= 0 || total != len)
        return bad("packet length does not match its header");
    *type = pkt[0] >> 4;
    *flags = pkt[0] & 0x0f;
    size_t vb = 1;
    while (pkt[vb] & 0x80)
        vb++;
    *body = pkt + vb + 1;
    *body_len = len - vb - 1;
    return 0;
}

/* --- properties ------------------------------------------------------------
 */

enum {
    P_PAYLOAD_FORMAT = 0x01,
    P_MESSAGE_EXPIRY = 0x02,
    P_CONTENT_TYPE = 0x03,
    P_RESPONSE_TOPIC = 0x08,
    P_CORRELATION = 0x09,
    P_SUB_ID = 0x0B,
    P_SESSION_EXPIRY = 0x11,
    P_ASSIGNED_ID = 0x12,
    P_SERVER_KEEP_ALIVE = 0x13,
    P_AUTH_METHOD = 0x15,
    P_AUTH_DATA = 0x16,
    P_REQ_PROBLEM = 0x17,
    P_WILL_DELAY = 0x18,
    P_REQ_RESPONSE = 0x19,
    P_RESPONSE_INFO = 0x1A,
    P_SERVER_REF = 0x1C,
    P_REASON_STRING = 0x1F,
    P_RECEIVE_MAX = 0x21,
    P_TOPIC_ALIAS_MAX = 0x22,
    P_TOPIC_ALIAS = 0x23,
    P_MAX_QOS = 0x24,
    P_RETAIN_AVAILABLE = 0x25,
    P_USER = 0x26,
    P_MAX_PACKET = 0x27,
    P_WILDCARD_AVAILABLE = 0x28,
    P_SUB_ID_AVAILABLE = 0x29,
    P_SHARED_AVAILABLE = 0x2A,
};

/* Reads a property block; `allowed` is a bitmask over ids < 64 of what this
 * packet may carry (the spec's per-packet tables). */
static int read_props(struct buf_reader *r, uint64_t allowed,
                      struct mqtt_props *p)
{
    memset(p, 0, sizeof(*p));
    uint32_t n;
    int rc = read_vbi(r, &n);
    if (rc < 0)
        return rc;
    if (buf_reader_left(r) < n)
        return bad("property block longer than the packet");
    p->raw = buf_read_bytes(r, n);
    struct buf_reader pr;
    buf_reader_init(&pr, p->raw.ptr, p->raw.len);
    uint64_t seen = 0;
    while (buf_reader_left(&pr) > 0) {
        uint32_t id;
        if ((rc = read_vbi(&pr, &id)) < 0)
            return rc;
        if (id >= 64 || !(allowed & ((uint64_t)1 << id)))
            return bad("property not allowed in this packet");
        uint64_t bit = (uint64_t)1 << id;
        if (id != P_USER && id != P_SUB_ID && (seen & bit))
            return bad("property repeated");
        seen |= bit;
        struct slice s, s2;
        switch (id) {
        case P_PAYLOAD_FORMAT:
        case P_REQ_PROBLEM:
        case P_REQ_RESPONSE:
        case P_MAX_QOS:
        case P_RETAIN_AVAILABLE:
        case P_WILDCARD_AVAILABLE:
        case P_SUB_ID_AVAILABLE:
        case P_SHARED_AVAILABLE: {
            if (buf_reader_left(&pr) < 1)
                return bad("truncated property");
            uint8_t v = buf_read_u8(&pr);
            if (v > 1)
                return bad("byte property out of range");
            if (id == P_PAYLOAD_FORMAT)
                p->payload_format = v;
            break;
        }
        case P_MESSAGE_EXPIRY:
        case P_SESSION_EXPIRY:
        case P_WILL_DELAY:
        case P_MAX_PACKET: {
            if (buf_reader_left(&pr) < 4)
                return bad("truncated property");
            uint32_t v = read_u32(&pr);
            if (id == P_MESSAGE_EXPIRY) {
                p->message_expiry = v;
                p->has_message_expiry = true;
            } else if (id == P_SESSION_EXPIRY) {
                p->session_expiry = v;
                p->has_session_expiry = true;
            } else if (id == P_WILL_DELAY) {
                p->will_delay = v;
            } else {
                if (v == 0)
                    return bad("maximum packet size 0");
                p->max_packet_size = v;
            }
            break;
        }
        case P_SERVER_KEEP_ALIVE:
        case P_RECEIVE_MAX:
        case P_TOPIC_ALIAS_MAX:
        case P_TOPIC_ALIAS: {
            if (buf_reader_left(&pr) < 2)
                return bad("truncated property");
            uint16_t v = read_u16(&pr);
            if (id == P_RECEIVE_MAX) {
                if (v == 0)
                    return bad("receive maximum 0");
                p->receive_max = v;
            } else if (id == P_TOPIC_ALIAS_MAX) {
                p->topic_alias_max = v;
            } else if (id == P_TOPIC_ALIAS) {
                if (v == 0)
                    return bad("topic alias 0");
                p->topic_alias = v;
            }
            break;
        }
        case P_SUB_ID: {
            uint32_t v;
            if ((rc = read_vbi(&pr, &v)) < 0)
                return rc;
            if (v == 0)
                return bad("subscription identifier 0");
            p->subscription_id = v;
            break;
        }
        case P_CONTENT_TYPE:
        case P_RESPONSE_TOPIC:
        case P_ASSIGNED_ID:
        case P_AUTH_METHOD:
        case P_RESPONSE_INFO:
        case P_SERVER_REF:
        case P_REASON_STRING:
            if ((rc = read_str(&pr, &s)) < 0)
                return rc;
            if (id == P_CONTENT_TYPE)
                p->content_type = s;
            else if (id == P_RESPONSE_TOPIC)
                p->response_topic = s;
            break;
        case P_CORRELATION:
        case P_AUTH_DATA:
            if ((rc = read_bin(&pr, &s)) < 0)
                return rc;
            if (id == P_CORRELATION)
                p->correlation_data = s;
            break;
        case P_USER:
            if ((rc = read_str(&pr, &s)) < 0 || (rc = read_str(&pr, &s2)) < 0)
                return rc;
            p->user_props++;
            break;
        default:
            return bad("unknown property");
        }
    }
    return 0;
}

#define B(id) ((uint64_t)1 << (id))
#define PROPS_CONNECT                                                          \
    (B(P_SESSION_EXPIRY) | B(P_RECEIVE_MAX) | B(P_MAX_PACKET) |                \
     B(P_TOPIC_ALIAS_MAX) | B(P_REQ_RESPONSE) | B(P_REQ_PROBLEM) | B(P_USER) | \
     B(P_AUTH_METHOD) | B(P_AUTH_DATA))
#define PROPS_WILL                                                             \
    (B(P_WILL_DELAY) | B(P_PAYLOAD_FORMAT) | B(P_MESSAGE_EXPIRY) |             \
     B(P_CONTENT_TYPE) | B(P_RESPONSE_TOPIC) | B(P_CORRELATION) | B(P_USER))
#define PROPS_PUBLISH                                                          \
    (B(P_PAYLOAD_FORMAT) | B(P_MESSAGE_EXPIRY) | B(P_TOPIC_ALIAS) |            \
     B(P_RESPONSE_TOPIC) | B(P_CORRELATION) | B(P_USER) | B(P_SUB_ID) |        \
     B(P_CONTENT_TYPE))
#define PROPS_ACK (B(P_REASON_STRING) | B(P_USER))
#define PROPS_SUBSCRIBE (B(P_SUB_ID) | B(P_USER))
#define PROPS_DISCONNECT                                                       \
    (B(P_SESSION_EXPIRY) | B(P_REASON_STRING) | B(P_USER) | B(P_SERVER_REF))

void mqtt_user_prop_iter_init(struct mqtt_user_prop_iter *it,
                              const struct mqtt_props *props)
{
    buf_reader_init(&it->r, props->raw.ptr, props->raw.len);
}

int mqtt_user_prop_next(struct mqtt_user_prop_iter *it, struct slice *key,
                        struct slice *value)
{
    /* Walks a block read_props accepted, skipping other properties. */
    struct buf_reader *r = &it->r;
    while (buf_reader_left(r) > 0) {
        uint32_t id;
        if (read_vbi(r, &id) < 0)
            return 0;
        struct slice s;
        switch (id) {
        case P_USER:
            if (read_bin(r, key) < 0 || read_bin(r, value) < 0)
                return 0;
            return 1;
        case P_PAYLOAD_FORMAT:
        case P_REQ_PROBLEM:
        case P_REQ_RESPONSE:
        case P_MAX_QOS:
        case P_RETAIN_AVAILABLE:
        case P_WILDCARD_AVAILABLE:
        case P_SUB_ID_AVAILABLE:
        case P_SHARED_AVAILABLE:
            buf_read_skip(r, 1);
            break;
        case P_MESSAGE_EXPIRY:
        case P_SESSION_EXPIRY:
        case P_WILL_DELAY:
        case P_MAX_PACKET:
            buf_read_skip(r, 4);
            break;
        case P_SERVER_KEEP_ALIVE:
        case P_RECEIVE_MAX:
        case P_TOPIC_ALIAS_MAX:
        case P_TOPIC_ALIAS:
            buf_read_skip(r, 2);
            break;
        case P_SUB_ID: {
            uint32_t v;
            if (read_vbi(r, &v) < 0)
                return 0;
            break;
        }
        default:
            if (read_bin(r, &s) < 0)
                return 0;
            break;
        }
        if (!buf_reader_ok(r))
            return 0;
    }
    return 0;
}

/* --- decoders --------------------------------------------------------------
 */

int mqtt_connect_decode(const uint8_t *body, size_t len, uint8_t flags,
                        struct mqtt_connect *out)
{
    struct buf_reader r;
    buf_reader_init(&r, body, len);
    memset(out, 0, sizeof(*out));
    if (flags != 0)
        return bad("CONNECT flags not 0");
    struct slice name;
    int rc = read_bin(&r, &name);
    if (rc < 0)
        return rc;
    if (buf_reader_left(&r) < 1)
        return bad("truncated CONNECT");
    out->version = buf_read_u8(&r);
    bool named_mqtt = slice_eq_str(name, "MQTT");
    if (!named_mqtt && !slice_eq_str(name, "MQIsdp"))
        return bad("protocol name is not MQTT");
    if (!named_mqtt || (out->version != MQTT_V311 && out->version != MQTT_V5)) {
        last_reason = "unsupported protocol level";
        return ERR_UNSUPPORTED;
    }
    if (buf_reader_left(&r) < 3)
        return bad("truncated CONNECT");
    uint8_t cf = buf_read_u8(&r);
    out->keep_alive = read_u16(&r);
    if (cf & 0x01)
        return bad("CONNECT reserved flag set");
    out->clean_start = (cf & 0x02) != 0;
    out->will = (cf & 0x04) != 0;
    out->will_qos = (cf >> 3) & 3;
    out->will_retain = (cf & 0x20) != 0;
    out->has_password = (cf & 0x40) != 0;
    out->has_username = (cf & 0x80) != 0;
    if (out->will_qos == 3)
        return bad("will QoS 3");
    if (!out->will && (out->will_qos || out->will_retain))
        return bad("will QoS or retain without a will");
    if (out->version == MQTT_V311 && out->has_password && !out->has_username)
        return bad("password without user name");
    if (out->version == MQTT_V5 &&
        (rc = read_props(&r, PROPS_CONNECT, &out->props)) < 0)
        return rc;
    if ((rc = read_str(&r, &out->client_id)) < 0)
        return rc;
    if (out->will) {
        if (out->version == MQTT_V5 &&
            (rc = read_props(&r, PROPS_WILL, &out->will_props)) < 0)
            return rc;
        if ((rc = read_str(&r, &out->will_topic)) < 0)
            return rc;
        if (!mqtt_topic_name_valid(out->will_topic))
            return bad("invalid will topic");
        if ((rc = read_bin(&r, &out->will_payload)) < 0)
            return rc;
    }
    if (out->has_username && (rc = read_str(&r, &out->username)) < 0)
        return rc;
    if (out->has_password && (rc = read_bin(&r, &out->password)) < 0)
        return rc;
    if (buf_reader_left(&r) != 0)
        return bad("bytes after CONNECT payload");
    return 0;
}

int mqtt_publish_decode(const uint8_t *body, size_t len, uint8_t flags,
                        uint8_t version, struct mqtt_publish *out)
{
    struct buf_reader r;
    buf_reader_init(&r, body, len);
    memset(out, 0, sizeof(*out));
    out->dup = (flags & 0x08) != 0;
    out->qos = (flags >> 1) & 3;
    out->retain = (flags & 0x01) != 0;
    if (out->qos == 3)
        return bad("PUBLISH QoS 3");
    if (out->qos == 0 && out->dup)
        return bad("DUP set on a QoS 0 PUBLISH");
    int rc = read_str(&r, &out->topic);
    if (rc < 0)
        return rc;
    if (out->qos > 0) {
        if (buf_reader_left(&r) < 2)
            return bad("truncated packet identifier");
        out->packet_id = read_u16(&r);
        if (out->packet_id == 0)
            return bad("packet identifier 0");
    }
    if (version == MQTT_V5 &&
        (rc = read_props(&r, PROPS_PUBLISH, &out->props)) < 0)
        return rc;
    if (out->props.subscription_id)
        return bad("subscription identifier from a client");
    if (out->topic.len == 0 ? out->props.topic_alias == 0
                            : !mqtt_topic_name_valid(out->topic))
        return bad("invalid topic name");
    out->payload = slice_make(r.p, buf_reader_left(&r));
    if (out->props.payload_format == 1 && !mqtt_utf8_valid(out->payload))
        return bad("payload marked UTF-8 is not");
    return 0;
}

int mqtt_ack_decode(const uint8_t *body, size_t len, uint8_t type,
                    uint8_t flags, uint8_t version, struct mqtt_ack *out)
{
    struct buf_reader r;
    buf_reader_init(&r, body, len);
    memset(out, 0, sizeof(*out));
    if (flags != (type == MQTT_PUBREL ? 2 : 0))
        return bad("acknowledgement flags");
    if (len < 2)
        return bad("truncated acknowledgement");
    out->packet_id = read_u16(&r);
    if (out->packet_id == 0)
        return bad("packet identifier 0");
    if (version == MQTT_V5 && buf_reader_left(&r) > 0) {
        out->reason = buf_read_u8(&r);
        if (buf_reader_left(&r) > 0) {
            struct mqtt_props p;
            int rc = read_props(&r, PROPS_ACK, &p);
            if (rc < 0)
                return rc;
        }
    }
    if (buf_reader_left(&r) != 0)
        return bad("bytes after acknowledgement");
    return 0;
}

static int read_sub_entry(struct buf_reader *r, bool unsub, uint8_t version,
                          struct mqtt_sub_entry *e)
{
    memset(e, 0, sizeof(*e));
    int rc = read_str(r, &e->filter);
    if (rc < 0)
        return rc;
    if (unsub)
        return 0;
    if (buf_reader_left(r) < 1)
        return bad("truncated subscription options");
    uint8_t o = buf_read_u8(r);
    e->qos = o & 3;
    if (e->qos == 3)
        return bad("subscription QoS 3");
    if (version == MQTT_V5) {
        e->no_local = (o & 0x04) != 0;
        e->retain_as_published = (o & 0x08) != 0;
        e->retain_handling = (o >> 4) & 3;
        if (e->retain_handling == 3 || (o & 0xc0))
            return bad("subscription options reserved bits");
    } else if (o & 0xfc) {
        return bad("subscription options reserved bits");
    }
    return 0;
}

int mqtt_subscribe_decode(const uint8_t *body, size_t len, uint8_t type,
                          uint8_t flags, uint8_t version,
                          struct mqtt_subscribe *out)
{
    struct buf_reader r;
    buf_reader_init(&r, body, len);
    memset(out, 0, sizeof(*out));
    if (flags != 2)
        return bad("SUBSCRIBE/UNSUBSCRIBE flags not 2");
    if (len < 2)
        return bad("truncated packet identifier");
    out->packet_id = read_u16(&r);
    if (out->packet_id == 0)
        return bad("packet identifier 0");
    int rc;
    if (version == MQTT_V5 &&
        (rc = read_props(&r,
                         type == MQTT_SUBSCRIBE ? PROPS_SUBSCRIBE : B(P_USER),
                         &out->props)) < 0)
        return rc;
    out->list = slice_make(r.p, buf_reader_left(&r));
    if (out->list.len == 0)
        return bad("no topic filter");
    bool unsub = type == MQTT_UNSUBSCRIBE;
    while (buf_reader_left(&r) > 0) {
        struct mqtt_sub_entry e;
        if ((rc = read_sub_entry(&r, unsub, version, &e)) < 0)
            return rc;
    }
    return 0;
}

void mqtt_sub_iter_init(struct mqtt_sub_iter *it,
                        const struct mqtt_subscribe *s, bool unsubscribe)
{
    buf_reader_init(&it->r, s->list.ptr, s->list.len);
    it->unsubscribe = unsubscribe;
}

int mqtt_sub_next(struct mqtt_sub_iter *it, struct mqtt_sub_entry *e)
{
    if (buf_reader_left(&it->r) == 0)
        return 0;
    /* Version 5 only adds option bits, which were checked at decode. */
    return read_sub_entry(&it->r, it->unsubscribe, MQTT_V5, e) < 0 ? 0 : 1;
}

int mqtt_disconnect_decode(const uint8_t *body, size_t len, uint8_t flags,
                           uint8_t version, struct mqtt_disconnect *out)
{
    struct buf_reader r;
    buf_reader_init(&r, body, len);
    memset(out, 0, sizeof(*out));
    if (flags != 0)
        return bad("DISCONNECT flags not 0");
    if (version != MQTT_V5)
        return len == 0 ? 0 : bad("bytes in a 3.1.1 DISCONNECT");
    if (len >= 1)
        out->reason = buf_read_u8(&r);
    if (len >= 2) {
        int rc = read_props(&r, PROPS_DISCONNECT, &out->props);
        if (rc < 0)
            return rc;
    }
    if (buf_reader_left(&r) != 0)
        return bad("bytes after DISCONNECT");
    return 0;
}

/* --- encoders --------------------------------------------------------------
 */

static void put_header(struct buf *out, uint8_t first, size_t remaining)
{
    buf_put_u8(out, first);
    put_vbi(out, (uint32_t)remaining);
}

void mqtt_connack_encode(struct buf *out, uint8_t version,
                         const struct mqtt_connack *c)
{
    if (version != MQTT_V5) {
        uint8_t code = 0;
        switch (c->reason) {
        case MQTT_RC_SUCCESS:
            code = 0;
            break;
        case MQTT_RC_UNSUPPORTED_VERSION:
            code = 1;
            break;
        case MQTT_RC_BAD_CLIENT_ID:
            code = 2;
            break;
        case MQTT_RC_NOT_AUTHORIZED:
            code = 5;
            break;
        default:
            code = 3; /* server unavailable */
            break;
        }
        put_header(out, MQTT_CONNACK << 4, 2);
        buf_put_u8(out, c->session_present && code == 0 ? 1 : 0);
        buf_put_u8(out, code);
        return;
    }
    struct buf p;
    buf_init(&p);
    if (c->has_session_expiry) {
        buf_put_u8(&p, P_SESSION_EXPIRY);
        buf_put_i32(&p, (int32_t)c->session_expiry);
    }
    if (c->receive_max) {
        buf_put_u8(&p, P_RECEIVE_MAX);
        put_u16(&p, c->receive_max);
    }
    if (c->max_packet_size) {
        buf_put_u8(&p, P_MAX_PACKET);
        buf_put_i32(&p, (int32_t)c->max_packet_size);
    }
    if (c->assigned_client_id.len) {
        buf_put_u8(&p, P_ASSIGNED_ID);
        put_bin(&p, c->assigned_client_id);
    }
    if (c->server_keep_alive) {
        buf_put_u8(&p, P_SERVER_KEEP_ALIVE);
        put_u16(&p, c->server_keep_alive);
    }
    /* No topic aliases from the server, no subscription identifiers. */
    buf_put_u8(&p, P_TOPIC_ALIAS_MAX);
    put_u16(&p, 0);
    if (c->no_wildcard_subs) {
        buf_put_u8(&p, P_WILDCARD_AVAILABLE);
        buf_put_u8(&p, 0);
    }
    if (c->no_shared_subs) {
        buf_put_u8(&p, P_SHARED_AVAILABLE);
        buf_put_u8(&p, 0);
    }
    put_header(out, MQTT_CONNACK << 4, 2 + vbi_size((uint32_t)p.len) + p.len);
    buf_put_u8(out, c->session_present ? 1 : 0);
    buf_put_u8(out, c->reason);
    put_vbi(out, (uint32_t)p.len);
    buf_put(out, p.data, p.len);
    buf_fini(&p);
}

static size_t publish_props_len(const struct mqtt_publish_out *p)
{
    size_t n = p->user_props.len;
    if (p->subscription_id)
        n += 1 + vbi_size(p->subscription_id);
    return n;
}

size_t mqtt_publish_size(uint8_t version, const struct mqtt_publish_out *p)
{
    size_t rem = 2 + p->topic.len + (p->qos ? 2 : 0) + p->payload.len;
    if (version == MQTT_V5) {
        size_t pl = publish_props_len(p);
        rem += vbi_size((uint32_t)pl) + pl;
    }
    return 1 + vbi_size((uint32_t)rem) + rem;
}

void mqtt_publish_encode(struct buf *out, uint8_t version,
                         const struct mqtt_publish_out *p)
{
    size_t rem = 2 + p->topic.len + (p->qos ? 2 : 0) + p->payload.len;
    size_t pl = 0;
    if (version == MQTT_V5) {
        pl = publish_props_len(p);
        rem += vbi_size((uint32_t)pl) + pl;
    }
    uint8_t first = (uint8_t)(MQTT_PUBLISH << 4 | (p->dup ? 0x08 : 0) |
                              p->qos << 1 | (p->retain ? 1 : 0));
    buf_reserve(out, 5 + rem);
    put_header(out, first, rem);
    put_bin(out, p->topic);
    if (p->qos)
        put_u16(out, p->packet_id);
    if (version == MQTT_V5) {
        put_vbi(out, (uint32_t)pl);
        if (p->subscription_id) {
            buf_put_u8(out, P_SUB_ID);
            put_vbi(out, p->subscription_id);
        }
        if (p->user_props.len)
            buf_put(out, p->user_props.ptr, p->user_props.len);
    }
    if (p->payload.len)
        buf_put(out, p->payload.ptr, p->payload.len);
}

void mqtt_user_prop_put(struct buf *block, struct slice key, struct slice value)
{
    buf_put_u8(block, P_USER);
    put_bin(block, key);
    put_bin(block, value);
}

void mqtt_ack_encode(struct buf *out, uint8_t version, uint8_t type,
                     uint16_t packet_id, uint8_t reason)
{
    uint8_t first = (uint8_t)(type << 4 | (type == MQTT_PUBREL ? 2 : 0));
    if (version == MQTT_V5 && reason != 0) {
        put_header(out, first, 3);
        put_u16(out, packet_id);
        buf_put_u8(out, reason);
        return;
    }
    put_header(out, first, 2);
    put_u16(out, packet_id);
}

void mqtt_suback_encode(struct buf *out, uint8_t version, uint8_t type,
                        uint16_t packet_id, const uint8_t *codes, size_t n)
{
    bool v5 = version == MQTT_V5;
    bool codes_sent = v5 || type == MQTT_SUBACK;
    size_t rem = 2 + (v5 ? 1 : 0) + (codes_sent ? n : 0);
    put_header(out, (uint8_t)(type << 4), rem);
    put_u16(out, packet_id);
    if (v5)
        buf_put_u8(out, 0); /* no properties */
    if (!codes_sent)
        return;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = codes[i];
        if (!v5 && c >= 0x80)
            c = 0x80;
        buf_put_u8(out, c);
    }
}

void mqtt_pingresp_encode(struct buf *out)
{
    put_header(out, MQTT_PINGRESP << 4, 0);
}

void mqtt_disconnect_encode(struct buf *out, uint8_t reason)
{
    put_header(out, MQTT_DISCONNECT << 4, 2);
    buf_put_u8(out, reason);
    buf_put_u8(out, 0);
}

void mqtt_connect_encode(struct buf *out, const struct mqtt_connect *c)
{
    struct buf v;
    buf_init(&v);
    put_bin(&v, slice_make("MQTT", 4));
    buf_put_u8(&v, c->version);
    uint8_t cf =
        (uint8_t)((c->clean_start ? 0x02 : 0) | (c->will ? 0x04 : 0) |
                  c->will_qos << 3 | (c->will_retain ? 0x20 : 0) |
                  (c->has_password ? 0x40 : 0) | (c->has_username ? 0x80 : 0));
    buf_put_u8(&v, cf);
    put_u16(&v, c->keep_alive);
    if (c->version == MQTT_V5)
        buf_put_u8(&v, 0);
    put_bin(&v, c->client_id);
    if (c->will) {
        if (c->version == MQTT_V5)
            buf_put_u8(&v, 0);
        put_bin(&v, c->will_topic);
        put_bin(&v, c->will_payload);
    }
    if (c->has_username)
        put_bin(&v, c->username);
    if (c->has_password)
        put_bin(&v, c->password);
    put_header(out, MQTT_CONNECT << 4, v.len);
    buf_put(out, v.data, v.len);
    buf_fini(&v);
}

void mqtt_subscribe_encode(struct buf *out, uint8_t version, uint16_t pid,
                           const char *filter, uint8_t qos)
{
    size_t fl = strlen(filter);
    size_t rem = 2 + (version == MQTT_V5 ? 1 : 0) + 2 + fl + 1;
    put_header(out, MQTT_SUBSCRIBE << 4 | 2, rem);
    put_u16(out, pid);
    if (version == MQTT_V5)
        buf_put_u8(out, 0);
    put_bin(out, slice_make(filter, fl));
    buf_put_u8(out, qos);
}

/* --- topics ----------------------------------------------------------------
 */

bool mqtt_topic_name_valid(struct slice t)
{
    if (t.len == 0 || t.len > 65535 || !mqtt_utf8_valid(t))
        return false;
    return memchr(t.ptr, '+', t.len) == NULL &&
           memchr(t.ptr, '#', t.len) == NULL;
}

bool mqtt_share_split(struct slice f, struct slice *group, struct slice *filter)
{
    static const char pre[] = "$share/";
    size_t pl = sizeof(pre) - 1;
    if (f.len <= pl || memcmp(f.ptr, pre, pl) != 0)
        return false;
    const uint8_t *g = f.ptr + pl;
    const uint8_t *slash = memchr(g, '/', f.len - pl);
    if (!slash)
        return false;
    *group = slice_make(g, (size_t)(slash - g));
    *filter = slice_make(slash + 1, f.len - pl - group->len - 1);
    return true;
}

bool mqtt_topic_filter_valid(struct slice f, bool share)
{
    if (f.len == 0 || f.len > 65535 || !mqtt_utf8_valid(f))
        return false;
    struct slice group, inner;
    if (mqtt_share_split(f, &group, &inner)) {
        if (!share || group.len == 0 || inner.len == 0)
            return false;
        if (memchr(group.ptr, '+', group.len) ||
            memchr(group.ptr, '#', group.len))
            return false;
        f = inner;
    } else if (f.len >= 6 && memcmp(f.ptr, "$share", 6) == 0 &&
               (f.len == 6 || f.ptr[6] == '/')) {
        return false; /* "$share" or "$share/group" without a filter */
    }
    const uint8_t *p = f.ptr;
    size_t n = f.len;
    for (size_t i = 0; i < n; i++) {
        bool start = i == 0 || p[i - 1] == '/';
        bool end = i + 1 == n || p[i + 1] == '/';
        if (p[i] == '+' && !(start && end))
            return false;
        if (p[i] == '#' && !(start && i + 1 == n))
            return false;
    }
    return true;
}

/* Next level of s from *pos; returns false past the end. */
static bool next_level(struct slice s, size_t *pos, bool *done,
                       struct slice *lvl)
{
    if (*done)
        return false;
    const uint8_t *p = s.ptr + *pos;
    size_t left = s.len - *pos;
    const uint8_t *slash = memchr(p, '/', left);
    if (slash) {
        *lvl = slice_make(p, (size_t)(slash - p));
        *pos += lvl->len + 1;
    } else {
        *lvl = slice_make(p, left);
        *pos = s.len;
        *done = true;
    }
    return true;
}

static bool level_eq(struct slice a, struct slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

bool mqtt_topic_match(struct slice filter, struct slice topic)
{
    if (topic.len > 0 && topic.ptr[0] == '$' && filter.len > 0 &&
        (filter.ptr[0] == '+' || filter.ptr[0] == '#'))
        return false;
    size_t fp = 0, tp = 0;
    bool fd = false, td = false;
    struct slice fl, tl;
    for (;;) {
        bool hf = next_level(filter, &fp, &fd, &fl);
        if (hf && fl.len == 1 && fl.ptr[0] == '#')
            return true; /* also matches the parent level */
        bool ht = next_level(topic, &tp, &td, &tl);
        if (!hf || !ht)
            return hf == ht;
        if (fl.len == 1 && fl.ptr[0] == '+')
            continue;
        if (!level_eq(fl, tl))
            return false;
    }
}

bool mqtt_filters_overlap(struct slice a, struct slice b)
{
    size_t ap = 0, bp = 0;
    bool ad = false, bd = false;
    struct slice al, bl;
    for (;;) {
        bool ha = next_level(a, &ap, &ad, &al);
        bool hb = next_level(b, &bp, &bd, &bl);
        bool ahash = ha && al.len == 1 && al.ptr[0] == '#';
        bool bhash = hb && bl.len == 1 && bl.ptr[0] == '#';
        if (ahash || bhash)
            return true;
        if (!ha || !hb)
            return ha == hb;
        bool aplus = al.len == 1 && al.ptr[0] == '+';
        bool bplus = bl.len == 1 && bl.ptr[0] == '+';
        if (!aplus && !bplus && !level_eq(al, bl))
            return false;
    }
}
