/* broker_limits.c - limit settings and the per-IP connection table
 * (layer: broker). See broker_limits.h.
 *
 * Segment files are open only while used: rill.log.open.files.max (the
 * fd cache, log/fd_cache.h) defaults to half the descriptors left after
 * connections and a spare, so partitions no longer cost a descriptor each
 * and max.partitions is a plain cap (10,000 unless set) against topic
 * floods, not a descriptor budget.
 */
#include "broker/broker_limits.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "base/err.h"

#define FDS_SPARE 256 /* listener, logs, segment rolls, fetch dups */
#define MAX_PARTITIONS_DEFAULT 10000

void broker_limits_defaults(struct broker_config *c)
{
    c->idle_ms = 600000;
    c->handshake_ms = 10000;
    c->max_conns_per_ip = INT32_MAX;
    c->conns_reserved_loopback = 8;
    c->queued_max_request_bytes = 0; /* auto: see below */
    c->max_partitions = MAX_PARTITIONS_DEFAULT;
    c->open_files_max = 0; /* auto: see below */
    c->delete_topic_enable = true;
}

static int get(const struct config *props, const char *key, int64_t *v,
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

/* Raises the soft descriptor limit to the hard one (as servers do) and
 * returns how many segment files may be open: half of what connections and
 * the spare leave (the other half for fetch answers' duplicated fds and
 * index files between a roll and their fsync). */
static int64_t files_for_fds(int max_connections)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 1000;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        (void)getrlimit(RLIMIT_NOFILE, &rl);
    }
    int64_t fds = rl.rlim_cur == RLIM_INFINITY ? 1000000 : (int64_t)rl.rlim_cur;
    int64_t n = (fds - FDS_SPARE - max_connections) / 2;
    return n < 16 ? 16 : n;
}

int broker_limits_apply(struct broker_config *c, const struct config *props,
                        char *err, int errlen)
{
    int64_t x;
    if (get(props, "connections.max.idle.ms", &c->idle_ms, -1, INT64_MAX, err,
            errlen) < 0 ||
        get(props, "rill.connections.handshake.timeout.ms", &c->handshake_ms,
            -1, INT64_MAX, err, errlen) < 0)
        return ERR_INVALID;
    x = c->max_conns_per_ip;
    if (get(props, "max.connections.per.ip", &x, 1, INT32_MAX, err, errlen) < 0)
        return ERR_INVALID;
    c->max_conns_per_ip = (int32_t)x;
    x = c->conns_reserved_loopback;
    if (get(props, "rill.connections.reserved.loopback", &x, 0, 10000, err,
            errlen) < 0)
        return ERR_INVALID;
    c->conns_reserved_loopback = (int32_t)x;
    x = c->queued_max_request_bytes;
    if (get(props, "queued.max.request.bytes", &x, -1, INT64_MAX, err, errlen) <
        0)
        return ERR_INVALID;
    if (x <= 0) /* Kafka's -1 (unbounded) becomes our default bound */
        x = c->max_frame_bytes > (128LL << 20) ? c->max_frame_bytes
                                               : 128LL << 20;
    if (x < c->max_frame_bytes) {
        snprintf(err, (size_t)errlen,
                 "queued.max.request.bytes (%lld) must be at least "
                 "socket.request.max.bytes (%lld)",
                 (long long)x, (long long)c->max_frame_bytes);
        return ERR_INVALID;
    }
    c->queued_max_request_bytes = x;
    x = c->max_partitions;
    if (get(props, "max.partitions", &x, 0, INT32_MAX, err, errlen) < 0)
        return ERR_INVALID;
    if (x == 0)
        x = MAX_PARTITIONS_DEFAULT;
    c->max_partitions = (int32_t)x;
    x = c->open_files_max;
    if (get(props, "rill.log.open.files.max", &x, 0, INT32_MAX, err, errlen) <
        0)
        return ERR_INVALID;
    if (x == 0)
        x = files_for_fds(c->max_connections);
    c->open_files_max = x;
    if (config_get_bool(props, "delete.topic.enable", &c->delete_topic_enable) <
        0) {
        snprintf(err, (size_t)errlen, "delete.topic.enable: true or false");
        return ERR_INVALID;
    }
    return broker_tls_apply(c, props, err, errlen);
}

static int get_path(const struct config *props, const char *key, char *out,
                    size_t cap, char *err, int errlen)
{
    const char *v = config_get(props, key, NULL);
    if (!v)
        return 0;
    if (strlen(v) >= cap) {
        snprintf(err, (size_t)errlen, "%s: too long", key);
        return ERR_INVALID;
    }
    snprintf(out, cap, "%s", v);
    return 0;
}

int broker_tls_apply(struct broker_config *c, const struct config *props,
                     char *err, int errlen)
{
    const char *v = config_get(props, "listeners", NULL);
    if (v && strncmp(v, "SSL://", 6) == 0)
        c->tls = true;
    else if (v && strncmp(v, "SASL_SSL://", 11) == 0)
        c->tls = c->sasl = true;
    else if (v && strncmp(v, "SASL_PLAINTEXT://", 17) == 0)
        c->sasl = true;
    else if (v && strstr(v, "://") && strncmp(v, "PLAINTEXT://", 12) != 0) {
        snprintf(err, (size_t)errlen,
                 "listeners: PLAINTEXT://, SSL://, SASL_PLAINTEXT:// or "
                 "SASL_SSL://, got %s",
                 v);
        return ERR_INVALID;
    }
    if (broker_auth_config_apply(c, props, err, errlen) < 0)
        return ERR_INVALID;
    if (get_path(props, "ssl.keystore.location", c->ssl_cert,
                 sizeof(c->ssl_cert), err, errlen) < 0 ||
        get_path(props, "ssl.certificate.location", c->ssl_cert,
                 sizeof(c->ssl_cert), err, errlen) < 0 ||
        get_path(props, "ssl.key.location", c->ssl_key, sizeof(c->ssl_key), err,
                 errlen) < 0 ||
        get_path(props, "ssl.key.password", c->ssl_key_password,
                 sizeof(c->ssl_key_password), err, errlen) < 0 ||
        get_path(props, "ssl.truststore.location", c->ssl_ca, sizeof(c->ssl_ca),
                 err, errlen) < 0)
        return ERR_INVALID;
    if ((v = config_get(props, "ssl.client.auth", NULL))) {
        if (!strcmp(v, "none"))
            c->ssl_client_auth = 0;
        else if (!strcmp(v, "requested"))
            c->ssl_client_auth = 1;
        else if (!strcmp(v, "required"))
            c->ssl_client_auth = 2;
        else {
            snprintf(err, (size_t)errlen,
                     "ssl.client.auth: none, requested or required");
            return ERR_INVALID;
        }
    }
    if (c->tls && !c->ssl_cert[0]) {
        snprintf(err, (size_t)errlen,
                 "an SSL:// listener needs ssl.keystore.location (a PEM file "
                 "with the certificate chain and, or ssl.key.location, the "
                 "key)");
        return ERR_INVALID;
    }
    return 0;
}

void broker_limits_peer_ip(const char *peer, char *ip, size_t cap)
{
    const char *colon = strrchr(peer, ':');
    size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
    if (n >= cap)
        n = cap - 1;
    memcpy(ip, peer, n);
    ip[n] = '\0';
}

bool broker_limits_is_loopback(const char *ip)
{
    return strncmp(ip, "127.", 4) == 0;
}

int broker_limits_ip_count(const struct hashmap *m, const char *ip)
{
    return (int)(intptr_t)hashmap_get(m, ip, strlen(ip));
}

void broker_limits_ip_add(struct hashmap *m, const char *ip, int delta)
{
    size_t n = strlen(ip);
    intptr_t v = (intptr_t)hashmap_get(m, ip, n) + delta;
    if (v <= 0)
        hashmap_remove(m, ip, n);
    else
        hashmap_put(m, ip, n, (void *)v);
}
