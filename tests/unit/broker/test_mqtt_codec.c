/* test_mqtt_codec.c - MQTT packets, topic rules and the topic mapping
 * (layer: broker). Tables of input -> expected output or error. */
#include <stdlib.h>
#include <string.h>

#include "../../harness.h"
#include "base/err.h"
#include "broker/mqtt_codec.h"
#include "broker/mqtt_map.h"

static struct slice S(const char *s) {
    return slice_make(s, strlen(s));
}

TEST(frame_sizes)
{
    size_t total = 0;
    CHECK_EQ_INT(mqtt_frame_size((const uint8_t *)"\x30", 1, &total), 0);
    CHECK_EQ_INT(mqtt_frame_size((const uint8_t *)"\x30\x05", 2, &total), 1);
    CHECK_EQ_INT(total, 7);
    CHECK_EQ_INT(mqtt_frame_size((const uint8_t *)"\x30\x80", 2, &total), 0);
    CHECK_EQ_INT(mqtt_frame_size((const uint8_t *)"\x30\x80\x01", 3, &total),
                 1);
    CHECK_EQ_INT(total, 3 + 128);
    CHECK_EQ_INT(
        mqtt_frame_size((const uint8_t *)"\x30\xff\xff\xff\x7f", 5, &total), 1);
    CHECK_EQ_INT(total, 5 + 268435455u);
    CHECK_EQ_INT(
        mqtt_frame_size((const uint8_t *)"\x30\xff\xff\xff\xff\x01", 6, &total),
        ERR_CORRUPT);
}

static int split(struct buf *b, uint8_t *type, uint8_t *flags,
                 const uint8_t **body, size_t *blen)
{
    return mqtt_packet_split(b->data, b->len, type, flags, body, blen);
}

TEST(connect_round_trip)
{
    for (int v = 4; v <= 5; v++) {
        struct mqtt_connect c;
        memset(&c, 0, sizeof c);
        c.version = (uint8_t)v;
        c.clean_start = true;
        c.keep_alive = 60;
        c.client_id = S("dev-1");
        c.will = true;
        c.will_qos = 1;
        c.will_topic = S("wills/dev-1");
        c.will_payload = S("gone");
        c.has_username = true;
        c.username = S("u");
        struct buf b;
        buf_init(&b);
        mqtt_connect_encode(&b, &c);
        uint8_t type, flags;
        const uint8_t *body;
        size_t blen;
        CHECK_EQ_INT(split(&b, &type, &flags, &body, &blen), 0);
        CHECK_EQ_INT(type, MQTT_CONNECT);
        struct mqtt_connect d;
        CHECK_EQ_INT(mqtt_connect_decode(body, blen, flags, &d), 0);
        CHECK_EQ_INT(d.version, v);
        CHECK(d.clean_start && d.will && d.has_username && !d.has_password);
        CHECK_EQ_INT(d.keep_alive, 60);
        CHECK_EQ_INT(d.will_qos, 1);
        CHECK(slice_eq_str(d.client_id, "dev-1"));
        CHECK(slice_eq_str(d.will_topic, "wills/dev-1"));
        CHECK(slice_eq_str(d.will_payload, "gone"));
        /* every truncation is an error, never a crash */
        for (size_t n = 0; n < blen; n++)
            CHECK(mqtt_connect_decode(body, n, flags, &d) < 0);
        buf_fini(&b);
    }
}

TEST(connect_errors)
{
    struct mqtt_connect d;
    /* protocol level 3 ("MQIsdp") and 6: unsupported, not malformed */
    static const uint8_t v3[] = {0, 6, 'M', 'Q', 'I', 's', 'd', 'p',
                                 3, 2, 0,   10,  0,   1,   'a'};
    CHECK_EQ_INT(mqtt_connect_decode(v3, sizeof v3, 0, &d), ERR_UNSUPPORTED);
    static const uint8_t v6[] = {0, 4, 'M', 'Q', 'T', 'T', 6,
                                 2, 0, 10,  0,   1,   'a'};
    CHECK_EQ_INT(mqtt_connect_decode(v6, sizeof v6, 0, &d), ERR_UNSUPPORTED);
    static const uint8_t name[] = {0, 4, 'M', 'Q', 'X', 'X', 4,
                                   2, 0, 10,  0,   1,   'a'};
    CHECK_EQ_INT(mqtt_connect_decode(name, sizeof name, 0, &d), ERR_CORRUPT);
    static const uint8_t reserved[] = {0, 4, 'M', 'Q', 'T', 'T', 4,
                                       3, 0, 10,  0,   1,   'a'};
    CHECK_EQ_INT(mqtt_connect_decode(reserved, sizeof reserved, 0, &d),
                 ERR_CORRUPT);
    static const uint8_t willqos[] = {0,    4, 'M', 'Q', 'T', 'T', 4,
                                      0x0a, 0, 10,  0,   1,   'a'};
    CHECK_EQ_INT(mqtt_connect_decode(willqos, sizeof willqos, 0, &d),
                 ERR_CORRUPT);
    static const uint8_t nul[] = {0, 4, 'M', 'Q', 'T', 'T', 4,
                                  2, 0, 10,  0,   1,   0};
    CHECK_EQ_INT(mqtt_connect_decode(nul, sizeof nul, 0, &d), ERR_CORRUPT);
    /* v5 with Receive Maximum 10 and Session Expiry 3600 */
    static const uint8_t v5[] = {0, 4,    'M',  'Q',  'T', 'T', 5,    0,
                                 0, 10,   8,    0x21, 0,   10,  0x11, 0,
                                 0, 0x0e, 0x10, 0,    1,   'a'};
    CHECK_EQ_INT(mqtt_connect_decode(v5, sizeof v5, 0, &d), 0);
    CHECK_EQ_INT(d.props.receive_max, 10);
    CHECK(d.props.has_session_expiry);
    CHECK_EQ_INT(d.props.session_expiry, 3600);
    /* a property CONNECT may not carry (Topic Alias) */
    static const uint8_t badprop[] = {0,  4, 'M',  'Q', 'T', 'T', 5, 0,  0,
                                      10, 3, 0x23, 0,   1,   0,   1, 'a'};
    CHECK_EQ_INT(mqtt_connect_decode(badprop, sizeof badprop, 0, &d),
                 ERR_CORRUPT);
}

TEST(publish_round_trip_with_user_props)
{
    struct buf props, b;
    buf_init(&props);
    buf_init(&b);
    mqtt_user_prop_put(&props, S("site"), S("north"));
    mqtt_user_prop_put(&props, S("unit"), S("C"));
    struct mqtt_publish_out po;
    memset(&po, 0, sizeof po);
    po.topic = S("a/b");
    po.qos = 1;
    po.packet_id = 7;
    po.payload = S("21.5");
    po.user_props = slice_make(props.data, props.len);
    mqtt_publish_encode(&b, MQTT_V5, &po);
    CHECK_EQ_INT(b.len, mqtt_publish_size(MQTT_V5, &po));
    uint8_t type, flags;
    const uint8_t *body;
    size_t blen;
    CHECK_EQ_INT(split(&b, &type, &flags, &body, &blen), 0);
    CHECK_EQ_INT(type, MQTT_PUBLISH);
    struct mqtt_publish p;
    CHECK_EQ_INT(mqtt_publish_decode(body, blen, flags, MQTT_V5, &p), 0);
    CHECK_EQ_INT(p.qos, 1);
    CHECK_EQ_INT(p.packet_id, 7);
    CHECK(slice_eq_str(p.topic, "a/b"));
    CHECK(slice_eq_str(p.payload, "21.5"));
    CHECK_EQ_INT(p.props.user_props, 2);
    struct mqtt_user_prop_iter it;
    mqtt_user_prop_iter_init(&it, &p.props);
    struct slice k, v;
    CHECK_EQ_INT(mqtt_user_prop_next(&it, &k, &v), 1);
    CHECK(slice_eq_str(k, "site") && slice_eq_str(v, "north"));
    CHECK_EQ_INT(mqtt_user_prop_next(&it, &k, &v), 1);
    CHECK(slice_eq_str(k, "unit") && slice_eq_str(v, "C"));
    CHECK_EQ_INT(mqtt_user_prop_next(&it, &k, &v), 0);
    /* 3.1.1 drops properties */
    buf_reset(&b);
    mqtt_publish_encode(&b, MQTT_V311, &po);
    CHECK_EQ_INT(split(&b, &type, &flags, &body, &blen), 0);
    CHECK_EQ_INT(mqtt_publish_decode(body, blen, flags, MQTT_V311, &p), 0);
    CHECK(slice_eq_str(p.payload, "21.5"));
    buf_fini(&b);
    buf_fini(&props);
}

TEST(publish_errors)
{
    struct mqtt_publish p;
    static const uint8_t wild[] = {0, 3, 'a', '/', '+', 'x'};
    CHECK_EQ_INT(mqtt_publish_decode(wild, sizeof wild, 0, MQTT_V311, &p),
                 ERR_CORRUPT);
    static const uint8_t ok[] = {0, 1, 'a', 0, 5, 'x'};
    CHECK_EQ_INT(mqtt_publish_decode(ok, sizeof ok, 2, MQTT_V311, &p), 0);
    CHECK_EQ_INT(p.packet_id, 5);
    CHECK_EQ_INT(mqtt_publish_decode(ok, sizeof ok, 6, MQTT_V311, &p),
                 ERR_CORRUPT); /* QoS 3 */
    CHECK_EQ_INT(mqtt_publish_decode(ok, sizeof ok, 8, MQTT_V311, &p),
                 ERR_CORRUPT); /* DUP on QoS 0 */
    static const uint8_t pid0[] = {0, 1, 'a', 0, 0};
    CHECK_EQ_INT(mqtt_publish_decode(pid0, sizeof pid0, 2, MQTT_V311, &p),
                 ERR_CORRUPT);
    static const uint8_t empty[] = {0, 0, 'x'};
    CHECK_EQ_INT(mqtt_publish_decode(empty, sizeof empty, 0, MQTT_V311, &p),
                 ERR_CORRUPT);
}

TEST(subscribe_decode)
{
    struct buf b;
    buf_init(&b);
    mqtt_subscribe_encode(&b, MQTT_V5, 9, "$share/g/a/#", 2);
    uint8_t type, flags;
    const uint8_t *body;
    size_t blen;
    CHECK_EQ_INT(split(&b, &type, &flags, &body, &blen), 0);
    struct mqtt_subscribe s;
    CHECK_EQ_INT(mqtt_subscribe_decode(body, blen, type, flags, MQTT_V5, &s),
                 0);
    CHECK_EQ_INT(s.packet_id, 9);
    struct mqtt_sub_iter it;
    struct mqtt_sub_entry e;
    mqtt_sub_iter_init(&it, &s, false);
    CHECK_EQ_INT(mqtt_sub_next(&it, &e), 1);
    CHECK(slice_eq_str(e.filter, "$share/g/a/#"));
    CHECK_EQ_INT(e.qos, 2);
    CHECK_EQ_INT(mqtt_sub_next(&it, &e), 0);
    CHECK_EQ_INT(mqtt_subscribe_decode(body, blen, type, 0, MQTT_V5, &s),
                 ERR_CORRUPT); /* flags must be 2 */
    buf_fini(&b);
}

TEST(acks_and_connack_bytes)
{
    struct buf b;
    buf_init(&b);
    struct mqtt_connack ca;
    memset(&ca, 0, sizeof ca);
    ca.reason = MQTT_RC_UNSUPPORTED_VERSION;
    mqtt_connack_encode(&b, MQTT_V311, &ca);
    CHECK(b.len == 4 && memcmp(b.data, "\x20\x02\x00\x01", 4) == 0);
    buf_reset(&b);
    mqtt_ack_encode(&b, MQTT_V311, MQTT_PUBREL, 0x1234, 0);
    CHECK(b.len == 4 && memcmp(b.data, "\x62\x02\x12\x34", 4) == 0);
    buf_reset(&b);
    uint8_t codes[2] = {1, MQTT_RC_TOPIC_FILTER_INVALID};
    mqtt_suback_encode(&b, MQTT_V311, MQTT_SUBACK, 3, codes, 2);
    CHECK(b.len == 6 && memcmp(b.data, "\x90\x04\x00\x03\x01\x80", 6) == 0);
    struct mqtt_ack a;
    CHECK_EQ_INT(mqtt_ack_decode((const uint8_t *)"\x00\x05", 2, MQTT_PUBACK, 0,
                                 MQTT_V311, &a),
                 0);
    CHECK_EQ_INT(a.packet_id, 5);
    CHECK_EQ_INT(mqtt_ack_decode((const uint8_t *)"\x00\x05", 2, MQTT_PUBREL, 0,
                                 MQTT_V311, &a),
                 ERR_CORRUPT); /* PUBREL flags must be 2 */
    buf_fini(&b);
}

struct match_case {
    const char *filter, *topic;
    bool match;
};

TEST(topic_matching)
{
    static const struct match_case cases[] = {
        {"a/b", "a/b", true},     {"a/+", "a/b", true},
        {"a/+", "a/b/c", false},  {"a/#", "a", true},
        {"a/#", "a/b/c", true},   {"#", "a/b", true},
        {"+/+", "a/b", true},     {"+", "a/b", false},
        {"a/+/c", "a//c", true},  {"#", "$SYS/x", false},
        {"+/x", "$SYS/x", false}, {"$SYS/#", "$SYS/x", true},
        {"a/b", "a/b/", false},   {"a/b/", "a/b/", true},
        {"+", "", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool m = mqtt_topic_match(S(cases[i].filter), S(cases[i].topic));
        if (m != cases[i].match)
            fprintf(stderr, "  match(%s, %s) = %d\n", cases[i].filter,
                    cases[i].topic, m);
        CHECK(m == cases[i].match);
    }
}

TEST(topic_validation)
{
    CHECK(mqtt_topic_name_valid(S("a/b")));
    CHECK(!mqtt_topic_name_valid(S("")));
    CHECK(!mqtt_topic_name_valid(S("a/+")));
    CHECK(!mqtt_topic_name_valid(S("a#")));
    CHECK(!mqtt_topic_name_valid(slice_make("a\0b", 3)));
    CHECK(!mqtt_topic_name_valid(S("\xc0\xaf")));     /* overlong */
    CHECK(!mqtt_topic_name_valid(S("\xed\xa0\x80"))); /* surrogate */
    CHECK(mqtt_topic_name_valid(S("caf\xc3\xa9")));
    CHECK(mqtt_topic_filter_valid(S("a/+/#"), false));
    CHECK(!mqtt_topic_filter_valid(S("a/#/b"), false));
    CHECK(!mqtt_topic_filter_valid(S("a/b+"), false));
    CHECK(!mqtt_topic_filter_valid(S("a#"), false));
    CHECK(mqtt_topic_filter_valid(S("$share/g/a/#"), true));
    CHECK(!mqtt_topic_filter_valid(S("$share/g/a/#"), false));
    CHECK(!mqtt_topic_filter_valid(S("$share/g+/a"), true));
    CHECK(!mqtt_topic_filter_valid(S("$share//a"), true));
    CHECK(!mqtt_topic_filter_valid(S("$share/g"), true));
    struct slice g, f;
    CHECK(mqtt_share_split(S("$share/grp/x/y"), &g, &f));
    CHECK(slice_eq_str(g, "grp") && slice_eq_str(f, "x/y"));
    CHECK(mqtt_filters_overlap(S("a/+/c"), S("a/b/#")));
    CHECK(mqtt_filters_overlap(S("#"), S("x")));
    CHECK(!mqtt_filters_overlap(S("a/b"), S("a/c")));
    CHECK(!mqtt_filters_overlap(S("a/+"), S("a/b/c")));
    CHECK(mqtt_filters_overlap(S("a/+"), S("+/b")));
}

TEST(mapping)
{
    struct mqtt_map *m;
    char err[200];
    CHECK_EQ_INT(mqtt_map_create("mqtt", &m), 0);
    CHECK_EQ_INT(mqtt_map_add(m,
                              "factory/+machine/+sensor/reading -> readings "
                              "key=sensor fields=json",
                              err, sizeof err),
                 0);
    CHECK_EQ_INT(mqtt_map_add(m, "home/# -> house", err, sizeof err), 0);
    CHECK_EQ_INT(mqtt_map_add(m, "x -> bad/topic", err, sizeof err),
                 ERR_INVALID);
    CHECK_EQ_INT(mqtt_map_add(m, "x/+a -> t key=b", err, sizeof err),
                 ERR_INVALID);
    CHECK_EQ_INT(mqtt_map_add(m, "x/#/y -> t", err, sizeof err), ERR_INVALID);
    CHECK_EQ_INT(mqtt_map_add(m, "x -> t color=red", err, sizeof err),
                 ERR_INVALID);
    CHECK_EQ_INT(mqtt_map_add(m, "no arrow", err, sizeof err), ERR_INVALID);
    struct mqtt_map_result r;
    mqtt_map_match(m, S("factory/m1/s7/reading"), &r);
    CHECK_EQ_STR(r.log_topic, "readings");
    CHECK(slice_eq_str(r.key, "s7"));
    CHECK_EQ_INT(r.ncaptures, 2);
    CHECK_EQ_STR(r.captures[0].name, "machine");
    CHECK(slice_eq_str(r.captures[0].value, "m1"));
    struct buf out;
    buf_init(&out);
    CHECK(mqtt_map_json_fields(&r, S(" {\"v\": 1}"), &out));
    CHECK(out.len ==
              strlen("{\"machine\":\"m1\",\"sensor\":\"s7\",\"v\": 1}") &&
          memcmp(out.data, "{\"machine\":\"m1\",\"sensor\":\"s7\",\"v\": 1}",
                 out.len) == 0);
    CHECK(mqtt_map_json_fields(&r, S("{}"), &out));
    CHECK(out.len == strlen("{\"machine\":\"m1\",\"sensor\":\"s7\"}"));
    CHECK(!mqtt_map_json_fields(&r, S("21.5"), &out));
    mqtt_map_match(m, S("factory/m\"1/s7/reading"), &r);
    CHECK(mqtt_map_json_fields(&r, S("{}"), &out));
    CHECK(memmem(out.data, out.len, "m\\\"1", 4) != NULL);
    mqtt_map_match(m, S("home/kitchen/t"), &r);
    CHECK_EQ_STR(r.log_topic, "house");
    CHECK(slice_eq_str(r.key, "home/kitchen/t"));
    mqtt_map_match(m, S("factory/m1/reading"), &r);
    CHECK_EQ_STR(r.log_topic, "mqtt");
    CHECK_EQ_INT(mqtt_map_topics(m), 2);
    CHECK_EQ_STR(mqtt_map_topic(m, 2), "mqtt");
    CHECK(mqtt_map_topic_overlaps(m, 0, S("factory/#")));
    CHECK(!mqtt_map_topic_overlaps(m, 0, S("home/#")));
    CHECK(mqtt_map_topic_overlaps(m, 2, S("anything")));
    buf_fini(&out);
    mqtt_map_destroy(m);
}

int main(void)
{
    RUN(frame_sizes);
    RUN(connect_round_trip);
    RUN(connect_errors);
    RUN(publish_round_trip_with_user_props);
    RUN(publish_errors);
    RUN(subscribe_decode);
    RUN(acks_and_connack_bytes);
    RUN(topic_matching);
    RUN(topic_validation);
    RUN(mapping);
    return harness_summary("test_mqtt_codec");
}
