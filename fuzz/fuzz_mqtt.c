/* fuzz_mqtt.c - libFuzzer target for the MQTT packet codec (layer: broker,
 * test only).
 *
 * The input is a byte stream as a client would send it: it is cut into
 * packets with mqtt_frame_size, exactly as the connection does, and each
 * packet is decoded as 3.1.1 and as 5 by the decoder its type names; every
 * decoded string and payload is touched, SUBSCRIBE lists and user
 * properties are walked, topic names and filters go through validation and
 * matching, and a decoded PUBLISH is re-encoded and decoded again to the
 * same fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "broker/mqtt_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void touch(struct slice s)
{
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < s.len; i++)
        sink ^= s.ptr[i];
    (void)sink;
}

static void walk_props(const struct mqtt_props *p)
{
    struct mqtt_user_prop_iter it;
    mqtt_user_prop_iter_init(&it, p);
    struct slice k, v;
    uint32_t n = 0;
    while (mqtt_user_prop_next(&it, &k, &v) == 1) {
        touch(k);
        touch(v);
        n++;
    }
    if (n != p->user_props)
        abort();
}

static void publish_again(const struct mqtt_publish *p, uint8_t version)
{
    struct buf b;
    buf_init(&b);
    struct mqtt_publish_out po;
    memset(&po, 0, sizeof po);
    po.topic = p->topic;
    po.qos = p->qos;
    po.packet_id = p->packet_id;
    po.retain = p->retain;
    po.payload = p->payload;
    mqtt_publish_encode(&b, version, &po);
    if (b.len != mqtt_publish_size(version, &po))
        abort();
    uint8_t type, flags;
    const uint8_t *body;
    size_t blen;
    struct mqtt_publish q;
    if (mqtt_packet_split(b.data, b.len, &type, &flags, &body, &blen) != 0 ||
        mqtt_publish_decode(body, blen, flags, version, &q) != 0 ||
        q.qos != p->qos || q.packet_id != p->packet_id ||
        q.payload.len != p->payload.len ||
        (p->payload.len &&
         memcmp(q.payload.ptr, p->payload.ptr, p->payload.len) != 0))
        abort();
    buf_fini(&b);
}

static void one_packet(const uint8_t *pkt, size_t len, uint8_t version)
{
    uint8_t type, flags;
    const uint8_t *body;
    size_t blen;
    if (mqtt_packet_split(pkt, len, &type, &flags, &body, &blen) != 0)
        return;
    switch (type) {
    case MQTT_CONNECT: {
        struct mqtt_connect c;
        if (mqtt_connect_decode(body, blen, flags, &c) == 0) {
            touch(c.client_id);
            touch(c.will_topic);
            touch(c.will_payload);
            touch(c.username);
            touch(c.password);
            walk_props(&c.props);
            walk_props(&c.will_props);
        }
        break;
    }
    case MQTT_PUBLISH: {
        struct mqtt_publish p;
        if (mqtt_publish_decode(body, blen, flags, version, &p) == 0) {
            touch(p.payload);
            walk_props(&p.props);
            if (p.topic.len) {
                if (!mqtt_topic_name_valid(p.topic))
                    abort();
                (void)mqtt_topic_match(slice_make("a/+/#", 5), p.topic);
                publish_again(&p, version);
            }
        }
        break;
    }
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP: {
        struct mqtt_ack a;
        (void)mqtt_ack_decode(body, blen, type, flags, version, &a);
        break;
    }
    case MQTT_SUBSCRIBE:
    case MQTT_UNSUBSCRIBE: {
        struct mqtt_subscribe s;
        if (mqtt_subscribe_decode(body, blen, type, flags, version, &s) != 0)
            break;
        struct mqtt_sub_iter it;
        struct mqtt_sub_entry e;
        mqtt_sub_iter_init(&it, &s, type == MQTT_UNSUBSCRIBE);
        while (mqtt_sub_next(&it, &e) == 1) {
            touch(e.filter);
            if (mqtt_topic_filter_valid(e.filter, true)) {
                struct slice g, f;
                if (!mqtt_share_split(e.filter, &g, &f))
                    f = e.filter;
                (void)mqtt_topic_match(f, slice_make("a/b/c", 5));
                (void)mqtt_filters_overlap(f, slice_make("a/+/c", 5));
            }
        }
        break;
    }
    case MQTT_DISCONNECT: {
        struct mqtt_disconnect d;
        (void)mqtt_disconnect_decode(body, blen, flags, version, &d);
        break;
    }
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0;
    while (pos < size) {
        size_t total;
        int rc = mqtt_frame_size(data + pos, size - pos, &total);
        if (rc <= 0 || total > size - pos)
            break;
        one_packet(data + pos, total, MQTT_V311);
        one_packet(data + pos, total, MQTT_V5);
        pos += total;
    }
    return 0;
}
