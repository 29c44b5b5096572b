/* logdir.h - a data directory of topics: open (with crash recovery), topic
 * create/delete/lookup, the group-commit flusher thread, retention
 * (layer: log).
 *
 * Layout (Kafka's): <data>/<topic>-<p>/<20-digit base offset>.log, .index,
 * .timeindex; topic metadata in <data>/<topic>.topic (properties, written
 * atomically); per-partition recovery points in
 * <data>/recovery-point-offset-checkpoint. Details: docs/log.md.
 *
 * Threads: every function is thread-safe. One flusher thread per open
 * logdir fsyncs dirty partitions (group commit) and runs retention. A
 * struct partition pointer is borrowed: valid until its topic is deleted or
 * the logdir is closed (delete topics from the thread that uses them).
 */
#ifndef RILL_LOGDIR_H
#define RILL_LOGDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct logdir;
struct partition;

#define LOGDIR_TOPIC_NAME_MAX 249

/* Per-topic settings (Kafka's names in comments), persisted with the topic. */
struct logdir_topic_config {
    int32_t partitions;           /* > 0 */
    int64_t retention_ms;         /* retention.ms; -1 = keep forever (7 d) */
    int64_t retention_bytes;      /* retention.bytes per partition; -1 off */
    int64_t segment_bytes;        /* segment.bytes (1 GiB) */
    int64_t segment_ms;           /* segment.ms (7 d) */
    int32_t max_message_bytes;    /* max.message.bytes per batch (1048588) */
    int32_t index_interval_bytes; /* index.interval.bytes (4096) */
    /* Compaction (docs/log.md "Compacted topics"). cleanup.policy is a
     * set of LOGDIR_CLEANUP_* bits: DELETE alone (the default) deletes
     * whole old segments; COMPACT keeps the latest record of each key;
     * both do both. */
    int32_t cleanup_policy;
    int64_t delete_retention_ms;      /* delete.retention.ms (1 d) */
    int64_t min_compaction_lag_ms;    /* min.compaction.lag.ms (0) */
    double min_cleanable_dirty_ratio; /* min.cleanable.dirty.ratio (0.5) */
    /* Kafka's topic id (KIP-516): 16 random bytes given at creation (or
     * the first time a data directory written before ids is opened for
     * writing), kept in the topic's metadata; all zero = none. Set by the
     * log: callers' values are ignored by create and alter. */
    uint8_t id[16];
};

#define LOGDIR_CLEANUP_DELETE 1
#define LOGDIR_CLEANUP_COMPACT 2

/* Fills Kafka's defaults (partitions 1). */
void logdir_topic_config_init(struct logdir_topic_config *c);
/* "delete", "compact", "compact,delete" or "delete,compact" (Kafka's
 * list; spaces allowed): LOGDIR_CLEANUP_* bits, or ERR_INVALID. */
int logdir_cleanup_policy_parse(const char *s, size_t n);
/* "delete", "compact" or "compact,delete". */
const char *logdir_cleanup_policy_name(int32_t policy);

struct logdir_options {
    /* Group commit policy. A partition is fsynced when any of these holds:
     * flush_interval_ms passed since its oldest unflushed append (0: not
     * by time), flush_bytes unflushed bytes (0: not by size), or someone
     * asked (partition_request_sync / partition_wait_durable). */
    int64_t flush_interval_ms;  /* default 1000 */
    int64_t flush_bytes;        /* default 0 */
    int64_t retention_check_ms; /* default 300000; 0 = never automatically */
    int64_t recovery_point_ms;  /* checkpoint interval, default 1000 */
    /* The cleaner thread compacts topics with cleanup.policy compact
     * (docs/log.md "Compacted topics"): it wakes every cleaner_backoff_ms
     * (Kafka's log.cleaner.backoff.ms, 15000; 0 = no thread, call
     * logdir_clean_run), remembers at most cleaner_dedupe_bytes of keys
     * per pass (log.cleaner.dedupe.buffer.size, 16 MiB: 24 bytes a key)
     * and reads plus writes at most cleaner_io_bytes_per_sec
     * (log.cleaner.io.max.bytes.per.second; default 64 MiB/s, 0 =
     * unthrottled). */
    int64_t cleaner_backoff_ms;
    int64_t cleaner_dedupe_bytes;
    int64_t cleaner_io_bytes_per_sec;
    bool read_only;  /* no lock, no flusher, no truncation: tools (log dump) */
    bool no_flusher; /* tests: no thread; call logdir_flush yourself */
};

/* Fills the defaults above. */
void logdir_options_init(struct logdir_options *o);

/* Opens (creating it if absent, unless read_only) the data directory at
 * path, takes its lock (<data>/.lock, flock), loads every topic and
 * recovers every partition: segments after the recovery point are
 * re-validated by CRC, a torn or corrupt tail truncated, missing or damaged
 * indexes rebuilt. opts may be NULL (defaults). Returns 0, -EBUSY (another
 * process has it open for writing), ERR_CORRUPT (unreadable metadata), or a
 * negative errno. */
int logdir_open(const char *path, const struct logdir_options *opts,
                struct logdir **out);
/* Stops the flusher, fsyncs everything, writes recovery points, closes.
 * NULL is a no-op. No partition pointer may be used afterwards. */
void logdir_close(struct logdir *ld);
const char *logdir_path(const struct logdir *ld);

/* Kafka's rule: 1..249 chars of [a-zA-Z0-9._-], not "." or "..". */
bool logdir_topic_name_valid(const char *name);

/* Creates the topic with its partitions (cfg NULL: defaults, 1 partition).
 * Returns 0, ERR_EXISTS, ERR_INVALID (name or config), ERR_CLOSED
 * (read-only), or a negative errno. */
int logdir_topic_create(struct logdir *ld, const char *name,
                        const struct logdir_topic_config *cfg);
/* Deletes the topic and its files. Returns 0 or ERR_NOT_FOUND. */
int logdir_topic_delete(struct logdir *ld, const char *name);
/* Copies the topic's configuration. Returns 0 or ERR_NOT_FOUND. */
int logdir_topic_config(struct logdir *ld, const char *name,
                        struct logdir_topic_config *out);
/* The name of the topic with this id (KIP-516), copied into name (at
 * least LOGDIR_TOPIC_NAME_MAX + 1 bytes). Returns 0 or ERR_NOT_FOUND. */
int logdir_topic_by_id(struct logdir *ld, const uint8_t id[16], char *name);
/* Replaces the topic's configuration (same partition count), persisted
 * before it applies, then live on every partition: the next append checks
 * the new max.message.bytes and segment limits, the next retention pass the
 * new retention. Returns 0, ERR_NOT_FOUND, ERR_INVALID (a bad value or a
 * different partition count), ERR_CLOSED (read-only) or a negative errno
 * (nothing changed). */
int logdir_topic_alter(struct logdir *ld, const char *name,
                       const struct logdir_topic_config *cfg);
/* Grows the topic to count partitions (Kafka's CreatePartitions): the new
 * ones are created empty, then the topic's metadata names the new count
 * (the commit point; a crash before it leaves the topic as it was).
 * Existing partition pointers stay valid. Returns 0, ERR_NOT_FOUND,
 * ERR_INVALID (count not above the current one, or too many), ERR_CLOSED
 * or a negative errno. */
int logdir_topic_add_partitions(struct logdir *ld, const char *name,
                                int32_t count);
/* Partitions of every topic together (the broker's max.partitions). */
int64_t logdir_partition_count(struct logdir *ld);
/* Partition count, or ERR_NOT_FOUND. */
int logdir_topic_partitions(struct logdir *ld, const char *name);
/* The partition, or NULL if the topic or partition does not exist. */
struct partition *logdir_partition(struct logdir *ld, const char *name,
                                   int32_t partition);

/* Sorted topic names: *names is a mem_alloc'ed array of mem_strdup'ed
 * strings; free with logdir_names_free. */
int logdir_topic_list(struct logdir *ld, char ***names, size_t *count);
void logdir_names_free(char **names, size_t count);

/* Called from the flusher thread after every fsync round that advanced
 * some partition's durable offset (or failed one). Must be quick and
 * thread-safe (e.g. write an eventfd). cb NULL removes it. */
void logdir_set_flush_listener(struct logdir *ld, void (*cb)(void *arg),
                               void *arg);
/* Waiting for appends (in-process only; docs/log.md "Waiting for
 * appends"). logdir_append_seq is a counter bumped after every successful
 * partition_append on any partition of ld, and after every fsync that
 * advanced a partition's durable offset (so readers of durable data only
 * wake when it grows). logdir_wait_append blocks until
 * the counter differs from seen_seq or timeout_ms passes (monotonic);
 * returns 1 (it changed, maybe before the call) or 0 (timed out). Read the
 * seq before checking for data, then wait with it: an append in between
 * returns at once. Costs the appender one atomic add, plus a short mutex
 * and a broadcast only while someone waits. Any partition's append wakes
 * every waiter: callers re-check their own data. */
uint64_t logdir_append_seq(struct logdir *ld);
/* The one subscription to appends: cb(arg) runs in the appending thread
 * after every successful append (and durable advance) on any partition of
 * ld, whoever appended (a producer, a query, MQTT, HTTP ingest), so rill
 * serve wakes parked fetches and MQTT deliveries from one place. Must be
 * quick and thread-safe; cb NULL removes it. */
void logdir_set_append_listener(struct logdir *ld, void (*cb)(void *arg),
                                void *arg);
int logdir_wait_append(struct logdir *ld, uint64_t seen_seq,
                       int64_t timeout_ms);

/* Fsyncs every dirty partition now, in the calling thread, and writes the
 * recovery-point file. Returns 0 or the first error. */
int logdir_flush(struct logdir *ld);
/* Runs retention over every partition now (the flusher does it every
 * retention_check_ms). Returns segments deleted or a negative error.
 * Partitions whose cleanup.policy lacks delete are skipped. */
int logdir_retention_run(struct logdir *ld, int64_t now_ms);

/* What cleaning passes did (summed over partitions). */
struct logdir_clean_stats {
    int64_t partitions;      /* partitions cleaned */
    int64_t segments;        /* segments rewritten */
    int64_t bytes_read;      /* log bytes read (map building + rewrite) */
    int64_t bytes_before;    /* size of the rewritten segments before */
    int64_t bytes_after;     /* and after */
    int64_t records_removed; /* superseded, tombstones, aborted, markers */
};

/* One cleaning pass over every compacted partition now, in the calling
 * thread (the cleaner thread does the same every cleaner_backoff_ms).
 * force ignores min.cleanable.dirty.ratio (tests, tools); the other rules
 * (closed segments only, min.compaction.lag.ms, open transactions) hold.
 * st may be NULL. Returns partitions cleaned or a negative error; a
 * partition that fails to clean is logged and skipped (its data is never
 * touched: the swap is all or nothing). Thread-safe; one pass at a time. */
int logdir_clean_run(struct logdir *ld, int64_t now_ms, bool force,
                     struct logdir_clean_stats *st);
/* Wakes the cleaner thread for a pass soon (after a config change). */
void logdir_clean_kick(struct logdir *ld);
/* Totals of every pass since open (for metrics and benches). */
void logdir_clean_totals(struct logdir *ld, struct logdir_clean_stats *out);

#endif
