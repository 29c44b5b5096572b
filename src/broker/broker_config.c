/* broker_config.c - `rill serve` settings from Kafka-style properties
 * (layer: broker).
 *
 * Keys follow Kafka's server.properties names where one exists, so an
 * operator's file mostly works unchanged; docs/broker.md lists them. Flags
 * are applied by the CLI as config_set() calls before this runs.
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "broker/broker.h"
#include "broker/broker_limits.h"
#include "net/listener.h"

void broker_config_defaults(struct broker_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->data_dir, sizeof(c->data_dir), "./rill-data");
    snprintf(c->listen_host, sizeof(c->listen_host), "127.0.0.1");
    c->listen_port = 9092;
    c->advertised_host[0] = '\0';
    c->advertised_port = 0;
    c->node_id = 0;
    c->num_partitions = 1;
    c->auto_create_topics = true;
    c->retention_ms = 7LL * 24 * 3600 * 1000;
    c->flush_interval_ms = 1000;
    c->flush_bytes = 0;
    c->retention_bytes = -1;
    c->retention_check_ms = 300000;
    c->cleaner_backoff_ms = 15000;
    c->cleaner_dedupe_bytes = 16 << 20;
    c->cleaner_io_bytes = 64 << 20;
    c->segment_bytes = 1LL << 30;
    c->segment_ms = 7LL * 24 * 3600 * 1000;
    c->message_max_bytes = 1048588;
    c->max_frame_bytes = 100LL * 1024 * 1024;
    c->max_connections = 1000;
    c->max_inflight = 1000;
    c->conn_out_high = 16LL * 1024 * 1024;
    c->fsync_every_ack = false;
    c->read_durable = false;
    c->txn_max_timeout_ms = 900000;
    c->txn_abort_interval_ms = 10000;
    broker_limits_defaults(c);
}

/* "PLAINTEXT://host:port" or "host:port" (first entry of a list). */
static int parse_listener(const char *v, char *host, int hostlen, int *port)
{
    char tmp[512];
    const char *p = strstr(v, "://");
    p = p ? p + 3 : v;
    size_t n = strcspn(p, ",");
    if (n >= sizeof(tmp))
        return ERR_INVALID;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    return listener_parse_addr(tmp, host, hostlen, port);
}

static int get_i64(const struct config *props, const char *key, int64_t *v,
                   int64_t min, int64_t max, char *err, int errlen)
{
    int64_t x = *v;
    if (config_get_i64(props, key, &x) < 0 || x < min || x > max) {
        snprintf(err, (size_t)errlen, "%s: expected an integer in [%lld, %lld]",
                 key, (long long)min, (long long)max);
        return ERR_INVALID;
    }
    *v = x;
    return 0;
}

int broker_config_apply(struct broker_config *c, const struct config *props,
                        char *err, int errlen)
{
    const char *v;
    int64_t x;
    if ((v = config_get(props, "log.dirs", NULL)) ||
        (v = config_get(props, "log.dir", NULL))) {
        size_t n = strcspn(v, ",");
        if (n == 0 || n >= sizeof(c->data_dir)) {
            snprintf(err, (size_t)errlen, "log.dirs: bad value");
            return ERR_INVALID;
        }
        memcpy(c->data_dir, v, n);
        c->data_dir[n] = '\0';
    }
    if ((v = config_get(props, "listeners", NULL)) &&
        parse_listener(v, c->listen_host, sizeof(c->listen_host),
                       &c->listen_port) < 0) {
        snprintf(err, (size_t)errlen, "listeners: expected host:port, got %s",
                 v);
        return ERR_INVALID;
    }
    if ((v = config_get(props, "advertised.listeners", NULL)) &&
        parse_listener(v, c->advertised_host, sizeof(c->advertised_host),
                       &c->advertised_port) < 0) {
        snprintf(err, (size_t)errlen,
                 "advertised.listeners: expected host:port, got %s", v);
        return ERR_INVALID;
    }
    x = c->node_id;
    if (get_i64(props, "broker.id", &x, 0, INT32_MAX, err, errlen) < 0 ||
        get_i64(props, "node.id", &x, 0, INT32_MAX, err, errlen) < 0)
        return ERR_INVALID;
    c->node_id = (int32_t)x;
    x = c->num_partitions;
    if (get_i64(props, "num.partitions", &x, 1, 100000, err, errlen) < 0)
        return ERR_INVALID;
    c->num_partitions = (int32_t)x;
    if (config_get_bool(props, "auto.create.topics.enable",
                        &c->auto_create_topics) < 0) {
        snprintf(err, (size_t)errlen,
                 "auto.create.topics.enable: expected true or false");
        return ERR_INVALID;
    }
    bool cleaner = true;
    if (config_get_bool(props, "log.cleaner.enable", &cleaner) < 0) {
        snprintf(err, (size_t)errlen,
                 "log.cleaner.enable: expected true or false");
        return ERR_INVALID;
    }
    if (get_i64(props, "log.cleaner.backoff.ms", &c->cleaner_backoff_ms, 1,
                INT32_MAX, err, errlen) < 0 ||
        get_i64(props, "log.cleaner.dedupe.buffer.size",
                &c->cleaner_dedupe_bytes, 1 << 16, 1LL << 34, err,
                errlen) < 0 ||
        get_i64(props, "log.cleaner.io.max.bytes.per.second",
                &c->cleaner_io_bytes, 0, INT64_MAX, err, errlen) < 0)
        return ERR_INVALID;
    if (!cleaner)
        c->cleaner_backoff_ms = 0;
    if (config_get_bool(props, "rill.fsync.every.ack", &c->fsync_every_ack) <
        0) {
        snprintf(err, (size_t)errlen,
                 "rill.fsync.every.ack: expected true or false");
        return ERR_INVALID;
    }
    if (get_i64(props, "group.initial.rebalance.delay.ms",
                &c->group_initial_rebalance_delay_ms, 0, 3600000, err,
                errlen) < 0)
        return ERR_INVALID;
    if (get_i64(props, "transaction.max.timeout.ms", &c->txn_max_timeout_ms, 1,
                INT32_MAX, err, errlen) < 0 ||
        get_i64(props,
                "transaction.abort.timed.out.transaction.cleanup.interval.ms",
                &c->txn_abort_interval_ms, 1, 3600000, err, errlen) < 0)
        return ERR_INVALID;
    if (config_get_bool(props, "rill.read.durable", &c->read_durable) < 0) {
        snprintf(err, (size_t)errlen,
                 "rill.read.durable: expected true or false");
        return ERR_INVALID;
    }
    if ((v = config_get(props, "log.retention.hours", NULL))) {
        x = c->retention_ms / 3600000;
        if (get_i64(props, "log.retention.hours", &x, -1, INT32_MAX, err,
                    errlen) < 0)
            return ERR_INVALID;
        c->retention_ms = x < 0 ? -1 : x * 3600000;
    }
    if (get_i64(props, "log.retention.ms", &c->retention_ms, -1, INT64_MAX, err,
                errlen) < 0 ||
        get_i64(props, "log.flush.interval.ms", &c->flush_interval_ms, 1,
                3600000, err, errlen) < 0 ||
        get_i64(props, "rill.log.flush.bytes", &c->flush_bytes, 0, 1LL << 40,
                err, errlen) < 0 ||
        get_i64(props, "log.retention.bytes", &c->retention_bytes, -1,
                INT64_MAX, err, errlen) < 0 ||
        get_i64(props, "log.retention.check.interval.ms",
                &c->retention_check_ms, 1, INT64_MAX, err, errlen) < 0 ||
        get_i64(props, "log.segment.bytes", &c->segment_bytes, 1024, INT32_MAX,
                err, errlen) < 0 ||
        get_i64(props, "log.segment.ms", &c->segment_ms, 1, INT64_MAX, err,
                errlen) < 0 ||
        get_i64(props, "message.max.bytes", &c->message_max_bytes, 128,
                1LL << 30, err, errlen) < 0 ||
        get_i64(props, "socket.request.max.bytes", &c->max_frame_bytes, 1024,
                INT32_MAX, err, errlen) < 0 ||
        get_i64(props, "rill.connection.max.output.bytes", &c->conn_out_high,
                65536, 1LL << 32, err, errlen) < 0)
        return ERR_INVALID;
    x = c->max_connections;
    if (get_i64(props, "max.connections", &x, 1, 1000000, err, errlen) < 0)
        return ERR_INVALID;
    c->max_connections = (int)x;
    x = c->max_inflight;
    if (get_i64(props, "rill.max.inflight.requests", &x, 1, 100000, err,
                errlen) < 0)
        return ERR_INVALID;
    c->max_inflight = (int)x;
    if (c->max_frame_bytes < c->message_max_bytes + 1024)
        c->max_frame_bytes = c->message_max_bytes + 1024;
    return broker_limits_apply(c, props, err, errlen);
}
