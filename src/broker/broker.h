/* broker.h - the Kafka-protocol server: `rill serve` (layer: broker).
 *
 * A broker owns one event loop (net/loop.h) on the calling thread, a
 * listener, its connections, and the open log directory. broker_run blocks
 * until broker_shutdown (any thread, e.g. a signal handler via a pipe) and
 * then drains: it stops accepting, finishes in-flight requests, flushes
 * the log and closes everything.
 *
 * Configuration comes from Kafka-style properties (base/config.h); see
 * docs/broker.md for every key.
 */
#ifndef RILL_BROKER_H
#define RILL_BROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"

struct broker;
struct logdir;

struct broker_config {
    char data_dir[1024];
    char listen_host[256];
    int listen_port;
    char advertised_host[256];
    int advertised_port;    /* 0 = the listening port */
    int32_t node_id;        /* broker.id / node.id, default 0 */
    int32_t num_partitions; /* default for auto-created topics */
    bool auto_create_topics;
    int64_t retention_ms;       /* -1 = keep forever */
    int64_t flush_interval_ms;  /* group-commit period for acks=1 */
    int64_t flush_bytes;        /* also fsync after this many bytes; 0 off */
    int64_t retention_bytes;    /* per partition, -1 = no limit */
    int64_t retention_check_ms; /* how often retention runs */
    /* log.cleaner.backoff.ms (0: log.cleaner.enable=false), .dedupe.
     * buffer.size, .io.max.bytes.per.second: logdir_options */
    int64_t cleaner_backoff_ms, cleaner_dedupe_bytes, cleaner_io_bytes;
    int64_t segment_bytes;     /* default segment.bytes for new topics */
    int64_t segment_ms;        /* default segment.ms for new topics */
    int64_t message_max_bytes; /* largest batch accepted */
    int64_t max_frame_bytes;   /* socket.request.max.bytes */
    int max_connections;
    int max_inflight;      /* requests queued per connection */
    int64_t conn_out_high; /* per-connection output bound, bytes */
    bool fsync_every_ack;  /* acks=1 also waits for fsync */
    bool read_durable;     /* readers see only fsync'ed data (HW = durable) */
    /* group.initial.rebalance.delay.ms: a new group's first join phase
     * waits this long for more members (Kafka 3000; rill 0). */
    int64_t group_initial_rebalance_delay_ms;
    /* Transactions (txn_coord.h): transaction.max.timeout.ms bounds a
     * producer's transaction.timeout.ms; open transactions older than
     * their timeout are aborted every
     * transaction.abort.timed.out.transaction.cleanup.interval.ms. */
    int64_t txn_max_timeout_ms, txn_abort_interval_ms;
    /* Limits against hostile or broken clients (broker_limits.h). */
    int64_t idle_ms;                  /* connections.max.idle.ms; -1 never */
    int64_t handshake_ms;             /* first request within; -1 never */
    int32_t max_conns_per_ip;         /* max.connections.per.ip */
    int32_t conns_reserved_loopback;  /* above max.connections, 127/8 only */
    int64_t queued_max_request_bytes; /* request bytes being received */
    int32_t max_partitions;           /* partitions of all topics */
    int64_t open_files_max;           /* rill.log.open.files.max */
    bool delete_topic_enable;         /* delete.topic.enable */
    /* TLS on the Kafka listener (listeners=SSL://host:port). */
    bool tls;
    char ssl_cert[1024];        /* ssl.keystore.location (PEM) */
    char ssl_key[1024];         /* ssl.key.location; "" = in ssl_cert */
    char ssl_key_password[256]; /* ssl.key.password */
    char ssl_ca[1024];          /* ssl.truststore.location (PEM CAs) */
    int ssl_client_auth;        /* ssl.client.auth: 0 none, 1 requested,
                                   2 required */
    /* Authentication and authorization (docs/security.md). */
    bool sasl;                /* SASL_PLAINTEXT:// or SASL_SSL:// */
    unsigned sasl_mechanisms; /* BROKER_SASL_* bits */
    bool acls;                /* ACLs checked on every API */
    bool allow_if_no_acl;     /* allow.everyone.if.no.acl.found */
    char super_users[2048];   /* super.users: "User:a;User:b" */
    /* quota.producer.default / quota.consumer.default: bytes/s per
     * principal; 0 = none (docs/security.md, "Quotas"). */
    int64_t quota_producer_default, quota_consumer_default;
};

enum {
    BROKER_SASL_PLAIN = 1,
    BROKER_SASL_SCRAM_SHA_256 = 2,
    BROKER_SASL_SCRAM_SHA_512 = 4,
};

/* Defaults, then every known key of props (unknown keys are ignored with a
 * debug line). Returns 0 or ERR_INVALID with a message in err. */
void broker_config_defaults(struct broker_config *c);
int broker_config_apply(struct broker_config *c, const struct config *props,
                        char *err, int errlen);

/* Opens the log directory and binds the listener (so the port is known when
 * this returns). Returns 0 or a negative error (with a log line). */
int broker_create(const struct broker_config *cfg, struct broker **out);
/* Serves until broker_shutdown, then drains and returns 0. */
int broker_run(struct broker *b);
/* Asks a running broker to shut down cleanly. Any thread. */
void broker_shutdown(struct broker *b);
/* The open log directory, for in-process writers next to the broker (the
 * queries `rill serve` runs). Valid from broker_create to broker_destroy;
 * the logdir is thread-safe, the broker's own state is not touched. */
struct logdir *broker_logdir(struct broker *b);
/* While long-polling Fetch requests are parked, re-check them every ms
 * milliseconds (0, the default: only the broker's own appends and
 * broker_fetch_wake wake them): a safety net for appends made by
 * in-process writers, which the loop does not see. Call before
 * broker_run. */
void broker_set_fetch_poll_ms(struct broker *b, int ms);
/* An in-process writer (a query `rill serve` runs) appended to the log:
 * parked fetches are re-checked on the broker's thread soon (one re-check
 * in flight at a time, however many calls). Any thread, from broker_create
 * until broker_destroy; cheap (an atomic, then a loop post). */
void broker_fetch_wake(struct broker *b);
/* DeleteTopics answers POLICY_VIOLATION (44) for a topic in_use() reports
 * as used elsewhere in the process (called on the broker's thread; must not
 * block). Set before broker_run. */
void broker_set_topic_guard(struct broker *b,
                            bool (*in_use)(void *arg, const char *topic),
                            void *arg);
/* An in-process client of the Kafka API (the HTTP admin routes): returns
 * in *fd_out a connected stream socket (a socketpair) whose other end the
 * broker serves on its own thread as a Kafka connection authenticated as
 * `principal` ("User:alice"; NULL: User:ANONYMOUS), without TLS or SASL
 * whatever the listener demands, under the same ACLs. The caller speaks
 * the protocol on it and closes it. Any thread, from broker_create until
 * broker_destroy. Returns 0 or -errno. */
int broker_connect_internal(struct broker *b, const char *principal,
                            int *fd_out);
/* The bound listening port (useful with port 0). */
int broker_port(const struct broker *b);
void broker_destroy(struct broker *b);
/* Like broker_destroy, and returns 0 or the error of the final flush (data
 * acknowledged but not made durable): `rill serve` then exits non-zero. */
int broker_close(struct broker *b);

#endif
