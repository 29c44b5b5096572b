/* kafka_quota.c - DescribeClientQuotas (48) and AlterClientQuotas (49)
 * codecs (layer: kafka; no I/O). Layouts in kafka_quota.h; a float64 is
 * an IEEE 754 double, big-endian, as Kafka writes it.
 */
#include "kafka/kafka_quota.h"

#include <string.h>

#include "kafka/kafka_proto.h"
#include "kafka/kafka_wire.h"

static double read_f64(struct buf_reader *r)
{
    int64_t bits = buf_read_i64(r);
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static void put_f64(struct buf *b, double v)
{
    int64_t bits;
    memcpy(&bits, &v, sizeof bits);
    buf_put_i64(b, bits);
}

static struct kafka_quota_entity *read_entity(struct kafka_dec *d, size_t *n)
{
    *n = kafka_wire_read_array(d, 3, false, NULL);
    struct kafka_quota_entity *e = kafka_wire_alloc(d, *n, sizeof(*e));
    for (size_t i = 0; i < *n; i++) {
        e[i].type = kafka_wire_read_string(d, false);
        e[i].name = kafka_wire_read_string(d, true);
        kafka_wire_read_tags(d);
    }
    return e;
}

static void put_entity(struct kafka_enc *e, const struct kafka_quota_entity *en,
                       size_t n)
{
    kafka_wire_put_array(e, n, false);
    for (size_t i = 0; i < n; i++) {
        kafka_wire_put_string(e, en[i].type, false);
        kafka_wire_put_string(e, en[i].name, true);
        kafka_wire_put_tags(e);
    }
}

int kafka_describe_quotas_request_decode(struct buf_reader *r, int16_t version,
                                         struct arena *a,
                                         struct kafka_quota_component **out,
                                         size_t *n, bool *strict)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_DESCRIBE_CLIENT_QUOTAS,
                                  version);
    if (rc)
        return rc;
    *n = kafka_wire_read_array(&d, 4, false, NULL);
    *out = kafka_wire_alloc(&d, *n, sizeof(**out));
    for (size_t i = 0; i < *n; i++) {
        struct kafka_quota_component *c = &(*out)[i];
        c->entity_type = kafka_wire_read_string(&d, false);
        c->match_type = (int8_t)buf_read_u8(r);
        c->match = kafka_wire_read_string(&d, true);
        kafka_wire_read_tags(&d);
    }
    *strict = kafka_wire_read_bool(&d);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_describe_quotas_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_quotas_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DESCRIBE_CLIENT_QUOTAS, version);
    buf_put_i32(out, 0);
    buf_put_i16(out, resp->error_code);
    kafka_wire_put_string(&e, resp->error_message, true);
    kafka_wire_put_array(&e, resp->nentries, resp->error_code != 0);
    for (size_t i = 0; resp->error_code == 0 && i < resp->nentries; i++) {
        const struct kafka_quota_entry *en = &resp->entries[i];
        put_entity(&e, en->entity, en->nentity);
        kafka_wire_put_array(&e, en->nvalues, false);
        for (size_t j = 0; j < en->nvalues; j++) {
            kafka_wire_put_string(&e, en->values[j].key, false);
            put_f64(out, en->values[j].value);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

int kafka_alter_quotas_request_decode(struct buf_reader *r, int16_t version,
                                      struct arena *a,
                                      struct kafka_quota_alteration **out,
                                      size_t *n, bool *validate_only)
{
    struct kafka_dec d;
    int rc =
        kafka_wire_dec_begin(&d, r, a, KAFKA_API_ALTER_CLIENT_QUOTAS, version);
    if (rc)
        return rc;
    *n = kafka_wire_read_array(&d, 2, false, NULL);
    *out = kafka_wire_alloc(&d, *n, sizeof(**out));
    for (size_t i = 0; i < *n; i++) {
        struct kafka_quota_alteration *al = &(*out)[i];
        al->entity = read_entity(&d, &al->nentity);
        al->nops = kafka_wire_read_array(&d, 11, false, NULL);
        al->ops = kafka_wire_alloc(&d, al->nops, sizeof(*al->ops));
        for (size_t j = 0; j < al->nops; j++) {
            al->ops[j].key = kafka_wire_read_string(&d, false);
            al->ops[j].value = read_f64(r);
            al->ops[j].remove = kafka_wire_read_bool(&d);
            kafka_wire_read_tags(&d);
        }
        kafka_wire_read_tags(&d);
    }
    *validate_only = kafka_wire_read_bool(&d);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_alter_quotas_response_encode(
    struct buf *out, int16_t version, const struct kafka_quota_alteration *alt,
    size_t n)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_ALTER_CLIENT_QUOTAS, version);
    buf_put_i32(out, 0);
    kafka_wire_put_array(&e, n, false);
    for (size_t i = 0; i < n; i++) {
        buf_put_i16(out, alt[i].error_code);
        kafka_wire_put_string(&e, alt[i].error_message, true);
        put_entity(&e, alt[i].entity, alt[i].nentity);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

/* The generic decoder and encoder (kafka_request_decode/_encode: the
 * fuzzer's fixed point and the round-trip tests). */
struct quota_request {
    struct kafka_quota_component *comps;
    struct kafka_quota_alteration *alts;
    size_t n;
    bool flag; /* strict / validate_only */
};

int kafka_quota_request_decode(struct buf_reader *r, int16_t api_key,
                               int16_t version, struct arena *a, void **out)
{
    struct quota_request *q = arena_calloc(a, sizeof(*q));
    *out = q;
    if (api_key == KAFKA_API_DESCRIBE_CLIENT_QUOTAS)
        return kafka_describe_quotas_request_decode(r, version, a, &q->comps,
                                                    &q->n, &q->flag);
    return kafka_alter_quotas_request_decode(r, version, a, &q->alts, &q->n,
                                             &q->flag);
}

void kafka_quota_request_encode(struct buf *out, int16_t api_key,
                                int16_t version, const void *req)
{
    const struct quota_request *q = req;
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, api_key, version);
    kafka_wire_put_array(&e, q->n, false);
    for (size_t i = 0; i < q->n; i++) {
        if (api_key == KAFKA_API_DESCRIBE_CLIENT_QUOTAS) {
            kafka_wire_put_string(&e, q->comps[i].entity_type, false);
            buf_put_u8(out, (uint8_t)q->comps[i].match_type);
            kafka_wire_put_string(&e, q->comps[i].match, true);
        } else {
            const struct kafka_quota_alteration *al = &q->alts[i];
            put_entity(&e, al->entity, al->nentity);
            kafka_wire_put_array(&e, al->nops, false);
            for (size_t j = 0; j < al->nops; j++) {
                kafka_wire_put_string(&e, al->ops[j].key, false);
                put_f64(out, al->ops[j].value);
                kafka_wire_put_bool(&e, al->ops[j].remove);
                kafka_wire_put_tags(&e);
            }
        }
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_bool(&e, q->flag);
    kafka_wire_put_tags(&e);
}
