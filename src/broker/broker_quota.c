/* broker_quota.c - per-principal produce and fetch byte-rate quotas
 * answered as Kafka answers them (layer: broker).
 *
 * Produce bytes (the request size) are counted when the request arrives,
 * fetch bytes (the response size) when the answer leaves. Over its quota,
 * a principal's answer carries throttle_time_ms (KIP-219: the client then
 * waits) and broker.c mutes that connection for as long: no further
 * request of it is read. Unlike Kafka, a throttled Fetch still carries its
 * records (the bytes are counted and the wait comes after); so a consumer
 * may exceed its quota by one answer.
 * Limits: the principal's line in <data>/security/quotas, else
 * quota.producer.default / quota.consumer.default; with neither, nothing
 * is counted. The file is looked at at most once a second.
 */
#include <string.h>

#include "base/hashmap.h"
#include "base/mem.h"
#include "broker/auth_quotas.h"
#include "broker/broker_int.h"
#include "kafka/kafka_proto.h"

struct broker_quotas {
    struct auth_quotas *file;
    int64_t checked_ms;
    struct hashmap rates; /* principal -> struct principal_rates */
};

struct principal_rates {
    struct auth_quota_rate produce, fetch;
};

int broker_quotas_create(struct broker *b, struct broker_quotas **out)
{
    struct broker_quotas *q = mem_calloc(1, sizeof(*q));
    int rc = auth_quotas_open(b->cfg.data_dir, &q->file);
    if (rc < 0) {
        mem_free(q);
        return rc;
    }
    hashmap_init(&q->rates);
    *out = q;
    return 0;
}

void broker_quotas_destroy(struct broker_quotas *q)
{
    if (!q)
        return;
    struct hashmap_entry *e;
    for (size_t i = 0; hashmap_next(&q->rates, &i, &e);)
        mem_free(e->value);
    hashmap_fini(&q->rates);
    auth_quotas_destroy(q->file);
    mem_free(q);
}

int32_t broker_quota_record(struct broker *b, struct broker_conn *bc,
                            bool produce, size_t bytes)
{
    struct broker_quotas *q = broker_auth_quotas(b);
    if (!q)
        return 0;
    int64_t now = loop_now_ms(b->loop);
    if (now - q->checked_ms >= 1000) {
        q->checked_ms = now;
        auth_quotas_refresh(q->file);
    }
    int64_t def =
        produce ? b->cfg.quota_producer_default : b->cfg.quota_consumer_default;
    if (def <= 0 && auth_quotas_count(q->file) == 0)
        return 0; /* no quota anywhere: count nothing */
    const char *principal = broker_conn_auth(bc)->principal;
    const struct auth_quota_entry *e = auth_quotas_find(q->file, principal);
    int64_t limit = def > 0 ? def : -1;
    if (e) {
        int64_t v = produce ? e->producer_byte_rate : e->consumer_byte_rate;
        if (v != AUTH_QUOTA_DEFAULT)
            limit = v;
    }
    if (limit < 0)
        return 0;
    size_t plen = strlen(principal);
    struct principal_rates *r = hashmap_get(&q->rates, principal, plen);
    if (!r) {
        r = mem_calloc(1, sizeof(*r));
        hashmap_put(&q->rates, principal, plen, r);
    }
    return auth_quota_record(produce ? &r->produce : &r->fetch, now,
                             (int64_t)bytes, limit);
}

void broker_quota_patch(int16_t api_key, int16_t version, bool flexible,
                        struct buf *body, int32_t ms)
{
    /* Produce v1+: throttle_time_ms ends the body (before the empty tag
     * section when flexible); Fetch v1+: it begins the body. */
    size_t at;
    if (api_key == KAFKA_API_PRODUCE && version >= 1) {
        size_t tail = 4 + (flexible ? 1 : 0);
        if (body->len < tail)
            return;
        at = body->len - tail;
    } else if (api_key == KAFKA_API_FETCH && version >= 1) {
        if (body->len < 4)
            return;
        at = 0;
    } else {
        return;
    }
    be32_store(body->data + at, (uint32_t)ms);
}
