/* broker_dynconf.c - dynamic broker configs: check, persist, apply live
 * (layer: broker). See broker_dynconf.h for the rules.
 *
 * File <data>/broker-dynamic-config, rewritten whole and atomically
 * (os_write_file_atomic) before a change applies, one line per value:
 *     broker.<key>=<value>     per-broker layer
 *     default.<key>=<value>    cluster-default layer
 * '#' lines are comments. Only canonical keys are written.
 */
#include "broker/broker_dynconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/os.h"
#include "broker/broker_int.h"
#include "kafka/kafka_proto.h"
#include "log/logdir.h"
#include "log/segment.h"

#define DYN_FILE "broker-dynamic-config"
#define DYN_FILE_MAX 65536

enum { K_RETENTION_MS, K_RETENTION_BYTES, K_SEGMENT_BYTES, K_ROLL_MS, K_MMB };

static const struct {
    const char *name;
    int64_t min, max;
} keys[BROKER_DYN_NKEYS] = {
    [K_RETENTION_MS] = {"log.retention.ms", -1, INT64_MAX},
    [K_RETENTION_BYTES] = {"log.retention.bytes", -1, INT64_MAX},
    [K_SEGMENT_BYTES] = {"log.segment.bytes", 1024, INT32_MAX},
    [K_ROLL_MS] = {"log.roll.ms", 1, INT64_MAX},
    [K_MMB] = {"message.max.bytes", 64, SEGMENT_MAX_BATCH_BYTES},
};

/* Kafka's synonyms, stored under the canonical key. */
static const struct {
    const char *name;
    int key;
    int64_t mult;
} synonyms[] = {
    {"log.retention.minutes", K_RETENTION_MS, 60000},
    {"log.retention.hours", K_RETENTION_MS, 3600000},
    {"log.roll.hours", K_ROLL_MS, 3600000},
};

static int64_t *cfg_field(struct broker_config *c, int k)
{
    switch (k) {
    case K_RETENTION_MS:
        return &c->retention_ms;
    case K_RETENTION_BYTES:
        return &c->retention_bytes;
    case K_SEGMENT_BYTES:
        return &c->segment_bytes;
    case K_ROLL_MS:
        return &c->segment_ms;
    default:
        return &c->message_max_bytes;
    }
}

static int64_t effective(const struct broker_dynconf *d, int k, int *source)
{
    int src = 4;
    int64_t v = d->static_v[k];
    if (d->set[BROKER_DYN_BROKER][k]) {
        src = 2;
        v = d->v[BROKER_DYN_BROKER][k];
    } else if (d->set[BROKER_DYN_DEFAULT][k]) {
        src = 3;
        v = d->v[BROKER_DYN_DEFAULT][k];
    }
    if (source)
        *source = src;
    return v;
}

const char *broker_dynconf_key(int k)
{
    return keys[k].name;
}

int64_t broker_dynconf_value(const struct broker *b, int k, int *source)
{
    return effective(&b->dyn, k, source);
}

/* The canonical key index of name and the factor its value is in (1 for
 * canonical keys), or -1. */
static int key_of(const char *name, size_t len, int64_t *mult)
{
    for (int k = 0; k < BROKER_DYN_NKEYS; k++)
        if (strlen(keys[k].name) == len && !memcmp(keys[k].name, name, len)) {
            *mult = 1;
            return k;
        }
    for (size_t i = 0; i < sizeof synonyms / sizeof synonyms[0]; i++)
        if (strlen(synonyms[i].name) == len &&
            !memcmp(synonyms[i].name, name, len)) {
            *mult = synonyms[i].mult;
            return synonyms[i].key;
        }
    return -1;
}

/* Parses a whole decimal integer in [min, max] of key k (after the
 * synonym's factor). Returns false if it is not one. */
static bool parse_value(int k, int64_t mult, const char *s, size_t len,
                        int64_t *out)
{
    char tmp[32];
    if (len == 0 || len >= sizeof tmp)
        return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *end;
    errno = 0;
    long long v = strtoll(tmp, &end, 10);
    if (errno || *end || end == tmp)
        return false;
    if (mult > 1) {
        if (k == K_RETENTION_MS && v < 0)
            v = -1; /* Kafka: any negative retention is "forever" */
        else if (v > INT64_MAX / mult)
            return false;
        else
            v *= mult;
    }
    if (v < keys[k].min || v > keys[k].max)
        return false;
    *out = v;
    return true;
}

static int save(const struct broker *b, const struct broker_dynconf *d)
{
    struct buf out;
    buf_init(&out);
    char line[128];
    int n = snprintf(line, sizeof line,
                     "# rill dynamic broker configs (AlterConfigs on the "
                     "BROKER resource); rewritten by rill serve\n");
    buf_put(&out, line, (size_t)n);
    for (int layer = 0; layer < 2; layer++)
        for (int k = 0; k < BROKER_DYN_NKEYS; k++) {
            if (!d->set[layer][k])
                continue;
            n = snprintf(line, sizeof line, "%s.%s=%lld\n",
                         layer == BROKER_DYN_BROKER ? "broker" : "default",
                         keys[k].name, (long long)d->v[layer][k]);
            buf_put(&out, line, (size_t)n);
        }
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", b->cfg.data_dir, DYN_FILE);
    int rc = os_write_file_atomic(path, out.data, out.len);
    buf_fini(&out);
    return rc;
}

/* Topics following the old default of a changed key move to the new one,
 * live (logdir_topic_alter persists, then applies to every partition).
 * Internal topics (__*) keep their own settings. */
static void apply_topics(struct broker *b, const int64_t *old_v,
                         const int64_t *new_v)
{
    char **names = NULL;
    size_t n = 0;
    if (!b->logdir || logdir_topic_list(b->logdir, &names, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        struct logdir_topic_config c;
        if (!strncmp(names[i], "__", 2) ||
            logdir_topic_config(b->logdir, names[i], &c) < 0)
            continue;
        int64_t *f[BROKER_DYN_NKEYS] = {&c.retention_ms, &c.retention_bytes,
                                        &c.segment_bytes, &c.segment_ms, NULL};
        int64_t mmb = c.max_message_bytes;
        f[K_MMB] = &mmb;
        bool changed = false;
        for (int k = 0; k < BROKER_DYN_NKEYS; k++)
            if (old_v[k] != new_v[k] && *f[k] == old_v[k]) {
                *f[k] = new_v[k];
                changed = true;
            }
        c.max_message_bytes = (int32_t)mmb;
        if (!changed)
            continue;
        int rc = logdir_topic_alter(b->logdir, names[i], &c);
        if (rc < 0)
            diag_warn("broker: topic %s keeps its settings: %s", names[i],
                      err_str(rc));
    }
    logdir_names_free(names, n);
}

/* Installs d as the dynamic state and applies the effective values. */
static void install(struct broker *b, const struct broker_dynconf *d,
                    bool topics)
{
    int64_t old_v[BROKER_DYN_NKEYS], new_v[BROKER_DYN_NKEYS];
    for (int k = 0; k < BROKER_DYN_NKEYS; k++)
        old_v[k] = effective(&b->dyn, k, NULL);
    b->dyn = *d;
    for (int k = 0; k < BROKER_DYN_NKEYS; k++) {
        new_v[k] = effective(&b->dyn, k, NULL);
        *cfg_field(&b->cfg, k) = new_v[k];
    }
    if (topics)
        apply_topics(b, old_v, new_v);
}

int broker_dynconf_load(struct broker *b)
{
    struct broker_dynconf d;
    memset(&d, 0, sizeof d);
    for (int k = 0; k < BROKER_DYN_NKEYS; k++)
        d.static_v[k] = *cfg_field(&b->cfg, k);
    b->dyn = d;
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", b->cfg.data_dir, DYN_FILE);
    char *text = NULL;
    size_t len = 0;
    int rc = os_read_file(path, DYN_FILE_MAX, &text, &len);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0) {
        diag_error("broker: cannot read %s: %s", path, err_str(rc));
        return rc;
    }
    rc = 0;
    int lineno = 0;
    for (char *p = text, *end = text + len; p < end && rc == 0;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        lineno++;
        if (le > p && *p != '#') {
            char *eq = memchr(p, '=', (size_t)(le - p));
            int layer = -1;
            size_t pre = 0;
            if (le - p > 7 && !memcmp(p, "broker.", 7))
                layer = BROKER_DYN_BROKER, pre = 7;
            else if (le - p > 8 && !memcmp(p, "default.", 8))
                layer = BROKER_DYN_DEFAULT, pre = 8;
            int64_t mult = 0, v = 0;
            int k = layer >= 0 && eq
                        ? key_of(p + pre, (size_t)(eq - p) - pre, &mult)
                        : -1;
            if (k < 0 || mult != 1 ||
                !parse_value(k, 1, eq + 1, (size_t)(le - eq - 1), &v)) {
                diag_error("broker: %s line %d: not a dynamic config", path,
                           lineno);
                rc = ERR_CORRUPT;
            } else {
                d.set[layer][k] = true;
                d.v[layer][k] = v;
            }
        }
        p = nl ? nl + 1 : end;
    }
    free(text);
    if (rc == 0) {
        install(b, &d, false);
        for (int k = 0; k < BROKER_DYN_NKEYS; k++) {
            int src;
            int64_t v = effective(&b->dyn, k, &src);
            if (src != 4)
                diag_info("broker: %s=%lld (dynamic)", keys[k].name,
                          (long long)v);
        }
    }
    return rc;
}

int16_t broker_dynconf_alter(struct broker *b, bool incremental,
                             const struct kafka_config_resource *res,
                             bool validate_only, struct slice *msg)
{
    char id[16];
    int layer;
    snprintf(id, sizeof id, "%d", b->cfg.node_id);
    if (res->resource_name.len == 0)
        layer = BROKER_DYN_DEFAULT;
    else if (res->resource_name.len == strlen(id) &&
             !memcmp(res->resource_name.ptr, id, strlen(id)))
        layer = BROKER_DYN_BROKER;
    else {
        *msg = KAFKA_STR("no such broker id");
        return KAFKA_ERR_INVALID_REQUEST;
    }
    struct broker_dynconf d = b->dyn;
    if (!incremental) /* AlterConfigs replaces the whole layer */
        memset(d.set[layer], 0, sizeof d.set[layer]);
    for (size_t i = 0; i < res->nconfigs; i++) {
        const struct kafka_alter_config *ac = &res->configs[i];
        int64_t mult = 1, v = 0;
        int k = key_of((const char *)ac->name.ptr, ac->name.len, &mult);
        if (k < 0) {
            *msg = KAFKA_STR(
                "cannot update this config dynamically: rill's dynamic "
                "broker configs are log.retention.ms (.minutes, .hours), "
                "log.retention.bytes, log.segment.bytes, log.roll.ms "
                "(.hours) and message.max.bytes");
            return KAFKA_ERR_INVALID_REQUEST;
        }
        int8_t op = incremental ? ac->op : KAFKA_CONFIG_OP_SET;
        if (op == KAFKA_CONFIG_OP_DELETE) {
            d.set[layer][k] = false;
            continue;
        }
        if (op != KAFKA_CONFIG_OP_SET) {
            *msg = KAFKA_STR("APPEND/SUBTRACT apply to list configs only");
            return KAFKA_ERR_INVALID_REQUEST;
        }
        if (!ac->value.ptr) {
            *msg = KAFKA_STR("null value not supported");
            return KAFKA_ERR_INVALID_REQUEST;
        }
        if (!parse_value(k, mult, (const char *)ac->value.ptr, ac->value.len,
                         &v)) {
            *msg = k == K_SEGMENT_BYTES
                       ? KAFKA_STR("invalid value: log.segment.bytes must be "
                                   "an integer from 1024 to 2147483647")
                   : k == K_MMB
                       ? KAFKA_STR("invalid value: message.max.bytes must be "
                                   "an integer from 64 to 67108864")
                       : KAFKA_STR("invalid value: an integer in range");
            return KAFKA_ERR_INVALID_REQUEST;
        }
        d.set[layer][k] = true;
        d.v[layer][k] = v;
    }
    if (validate_only)
        return 0;
    int rc = save(b, &d);
    if (rc < 0) {
        diag_warn("broker: cannot write %s: %s", DYN_FILE, err_str(rc));
        *msg = KAFKA_STR("cannot write the dynamic broker config file");
        return KAFKA_ERR_KAFKA_STORAGE_ERROR;
    }
    install(b, &d, true);
    diag_info("broker: dynamic %s configs altered",
              layer == BROKER_DYN_BROKER ? "broker" : "default broker");
    return 0;
}
