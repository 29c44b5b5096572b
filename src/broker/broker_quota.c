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
 * Limits: the principal's line in <data>/security/quotas, else the
 * default user's line (<default>), else quota.producer.default /
 * quota.consumer.default; with none, nothing is counted. The file is
 * looked at at most once a second.
 *
 * DescribeClientQuotas (48) and AlterClientQuotas (49) read and write the
 * same file, in Kafka's terms: the entity {user: NAME} is the principal
 * User:NAME, {user: null} the default user; keys producer_byte_rate and
 * consumer_byte_rate (unlimited is Long.MAX_VALUE, as Kafka's default).
 * Other entities (client-id, ip) and keys answer INVALID_REQUEST: rill
 * keeps byte-rate quotas per user only. They need DESCRIBE_CONFIGS /
 * ALTER_CONFIGS on the cluster, as in Kafka.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/diag.h"
#include "base/hashmap.h"
#include "base/mem.h"
#include "broker/auth_quotas.h"
#include "broker/broker_acl.h"
#include "broker/broker_int.h"
#include "kafka/kafka_proto.h"
#include "kafka/kafka_quota.h"

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
    int64_t limit = def > 0 ? def : -1;
    const struct auth_quota_entry *d =
        auth_quotas_find(q->file, AUTH_QUOTA_DEFAULT_USER);
    const struct auth_quota_entry *e = auth_quotas_find(q->file, principal);
    for (int k = 0; k < 2; k++) {
        const struct auth_quota_entry *x = k == 0 ? d : e;
        int64_t v = !x        ? AUTH_QUOTA_DEFAULT
                    : produce ? x->producer_byte_rate
                              : x->consumer_byte_rate;
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

/* --- DescribeClientQuotas, AlterClientQuotas ------------------------------ */

#define UNLIMITED 9223372036854775807.0 /* Long.MAX_VALUE, Kafka's "none" */

static const char PRODUCER_KEY[] = "producer_byte_rate";
static const char CONSUMER_KEY[] = "consumer_byte_rate";

static bool slice_is(struct slice s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && memcmp(s.ptr, lit, n) == 0;
}

/* The file's principal for a user entity: "User:NAME" or "<default>". */
static void entity_principal(struct slice name, char *out, size_t cap)
{
    if (!name.ptr)
        snprintf(out, cap, "%s", AUTH_QUOTA_DEFAULT_USER);
    else
        snprintf(out, cap, "User:%.*s", (int)(name.len > 300 ? 300 : name.len),
                 (const char *)name.ptr);
}

static double to_wire(int64_t v)
{
    return v < 0 ? UNLIMITED : (double)v;
}

/* Whether the entry's entity (one user component) passes the filter. */
static bool entry_matches(const struct auth_quota_entry *e,
                          const struct kafka_quota_component *c, size_t n,
                          bool strict)
{
    bool is_default = !strcmp(e->principal, AUTH_QUOTA_DEFAULT_USER);
    if (!is_default && strncmp(e->principal, "User:", 5) != 0)
        return false;
    const char *name = is_default ? NULL : e->principal + 5;
    bool user_seen = false;
    for (size_t i = 0; i < n; i++) {
        if (!slice_is(c[i].entity_type, "user"))
            return false; /* our entities have only a user component */
        user_seen = true;
        if (c[i].match_type == 0) {
            if (is_default || !c[i].match.ptr ||
                strlen(name) != c[i].match.len ||
                memcmp(name, c[i].match.ptr, c[i].match.len) != 0)
                return false;
        } else if (c[i].match_type == 1) {
            if (!is_default)
                return false;
        } else if (is_default) {
            return false; /* 2: any specified name */
        }
    }
    return !strict || user_seen || n == 0;
}

static int handle_describe_quotas(struct broker_req *req, struct buf *out)
{
    struct kafka_quota_component *comps;
    size_t n;
    bool strict;
    int rc = kafka_describe_quotas_request_decode(
        &req->body, req->api_version, req->arena, &comps, &n, &strict);
    if (rc < 0)
        return rc;
    struct kafka_describe_quotas_response resp = {0};
    for (size_t i = 0; i < n; i++)
        if (comps[i].match_type < 0 || comps[i].match_type > 2) {
            resp.error_code = KAFKA_ERR_INVALID_REQUEST;
            resp.error_message = slice_make("match_type 0, 1 or 2", 20);
        }
    if (!broker_acl_cluster(req, AUTH_OP_DESCRIBE_CONFIGS)) {
        resp.error_code = KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
        resp.error_message = slice_make(NULL, 0);
    }
    struct broker_quotas *q = broker_auth_quotas(req->b);
    if (resp.error_code || !q) {
        kafka_describe_quotas_response_encode(out, req->api_version, &resp);
        return 0;
    }
    auth_quotas_refresh(q->file);
    size_t total = auth_quotas_count(q->file), k = 0;
    struct kafka_quota_entry *entries =
        arena_calloc(req->arena, (total ? total : 1) * sizeof(*entries));
    for (size_t i = 0; i < total; i++) {
        const struct auth_quota_entry *e = auth_quotas_at(q->file, i);
        if (!entry_matches(e, comps, n, strict))
            continue;
        struct kafka_quota_entity *en = arena_calloc(req->arena, sizeof(*en));
        en->type = slice_make("user", 4);
        if (strcmp(e->principal, AUTH_QUOTA_DEFAULT_USER) != 0)
            en->name = slice_make(e->principal + 5, strlen(e->principal) - 5);
        struct kafka_quota_value *v = arena_calloc(req->arena, 2 * sizeof(*v));
        size_t nv = 0;
        if (e->producer_byte_rate != AUTH_QUOTA_DEFAULT) {
            v[nv].key = slice_make(PRODUCER_KEY, sizeof PRODUCER_KEY - 1);
            v[nv++].value = to_wire(e->producer_byte_rate);
        }
        if (e->consumer_byte_rate != AUTH_QUOTA_DEFAULT) {
            v[nv].key = slice_make(CONSUMER_KEY, sizeof CONSUMER_KEY - 1);
            v[nv++].value = to_wire(e->consumer_byte_rate);
        }
        entries[k].entity = en;
        entries[k].nentity = 1;
        entries[k].values = v;
        entries[k].nvalues = nv;
        k++;
    }
    resp.entries = entries;
    resp.nentries = k;
    kafka_describe_quotas_response_encode(out, req->api_version, &resp);
    return 0;
}

static void refuse(struct kafka_quota_alteration *al, int16_t code,
                   const char *msg)
{
    al->error_code = code;
    al->error_message = slice_make(msg, msg ? strlen(msg) : 0);
}

/* A byte rate: a whole number of bytes/s >= 1 (Long.MAX_VALUE and above:
 * unlimited, -1 in the file). */
static bool rate_of(double v, int64_t *out)
{
    if (!(v >= 1.0) || v != floor(v))
        return false;
    *out = v >= UNLIMITED ? -1 : (int64_t)v;
    return true;
}

static int handle_alter_quotas(struct broker_req *req, struct buf *out)
{
    struct kafka_quota_alteration *alt;
    size_t n;
    bool validate_only;
    int rc = kafka_alter_quotas_request_decode(
        &req->body, req->api_version, req->arena, &alt, &n, &validate_only);
    if (rc < 0)
        return rc;
    bool allowed = broker_acl_cluster(req, AUTH_OP_ALTER_CONFIGS);
    struct broker_quotas *q = broker_auth_quotas(req->b);
    if (q)
        auth_quotas_refresh(q->file);
    bool changed = false;
    for (size_t i = 0; i < n; i++) {
        struct kafka_quota_alteration *al = &alt[i];
        if (!allowed) {
            refuse(al, KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED, NULL);
            continue;
        }
        if (!q || al->nentity != 1 || !slice_is(al->entity[0].type, "user")) {
            refuse(al, KAFKA_ERR_INVALID_REQUEST,
                   "rill keeps quotas per user only (entity {user: NAME} "
                   "or {user: null}, the default user)");
            continue;
        }
        char principal[320];
        entity_principal(al->entity[0].name, principal, sizeof principal);
        const struct auth_quota_entry *e = auth_quotas_find(q->file, principal);
        int64_t prod = e ? e->producer_byte_rate : AUTH_QUOTA_DEFAULT;
        int64_t cons = e ? e->consumer_byte_rate : AUTH_QUOTA_DEFAULT;
        for (size_t j = 0; j < al->nops && !al->error_code; j++) {
            const struct kafka_quota_op *op = &al->ops[j];
            int64_t *dst = slice_is(op->key, PRODUCER_KEY)   ? &prod
                           : slice_is(op->key, CONSUMER_KEY) ? &cons
                                                             : NULL;
            if (!dst)
                refuse(al, KAFKA_ERR_INVALID_REQUEST,
                       "unsupported quota key: rill has producer_byte_rate "
                       "and consumer_byte_rate");
            else if (op->remove)
                *dst = AUTH_QUOTA_DEFAULT;
            else if (!rate_of(op->value, dst))
                refuse(al, KAFKA_ERR_INVALID_REQUEST,
                       "a byte rate is a whole number of bytes/s, at least 1");
        }
        if (al->error_code || validate_only)
            continue;
        auth_quotas_replace(q->file, principal, prod, cons);
        changed = true;
        diag_info("broker: %s set quotas of %s: producer %lld, consumer %lld "
                  "(-2 default, -1 unlimited)",
                  broker_conn_auth(req->bc)->principal, principal,
                  (long long)prod, (long long)cons);
    }
    if (changed && auth_quotas_save(q->file) < 0) {
        diag_error("broker: cannot write %s/security/quotas",
                   req->b->cfg.data_dir);
        for (size_t i = 0; i < n; i++)
            if (!alt[i].error_code)
                refuse(&alt[i], KAFKA_ERR_UNKNOWN_SERVER_ERROR,
                       "cannot write the quotas file");
        auth_quotas_refresh(q->file);
    }
    kafka_alter_quotas_response_encode(out, req->api_version, alt, n);
    return 0;
}

void broker_quotas_register(struct broker *b)
{
    broker_serve(b, KAFKA_API_DESCRIBE_CLIENT_QUOTAS, handle_describe_quotas);
    broker_serve(b, KAFKA_API_ALTER_CLIENT_QUOTAS, handle_alter_quotas);
}
