/* rill.h - librill: the rill engine inside your own program.
 *
 * One engine (struct rill) holds a data directory: its log (streams and
 * tables are topics), its catalog and its persistent queries, exactly as
 * `rill run` does. The same SQL gives the same results. A program
 *
 *   1. opens an engine             rill_open("./data", NULL, &db)
 *   2. runs SQL                    rill_exec(db, "CREATE STREAM ...; "
 *                                                "CREATE TABLE t AS ...", ...)
 *   3. pushes records              rill_push(db, "readings", key, klen,
 *                                            json, len, ts_ms)
 *   4. receives output rows        rill_subscribe(db, "t", RILL_FROM_END,
 *                                                 on_row, arg, &sub)
 *                                  rill_poll(db, 100)   (calls on_row)
 *   5. closes                      rill_close(db)
 *
 * No socket and no other process: records go straight into the log, the
 * queries run on the engine's worker threads (one per core unless
 * rill_options.workers says), output rows are read back from the log.
 *
 * Errors: every function returning int returns 0 (or a count) on success
 * and a negative RILL_E* code on failure; rill_errmsg(db) then says what
 * failed (for SQL: "line L, column C: ..."). The message is the engine's
 * and stays valid until the next call on the same engine.
 *
 * Ownership: strings and buffers passed in are copied before the call
 * returns; pointers passed to callbacks are valid only during the call.
 * Handles (struct rill, struct rill_sub) are opaque and freed by their
 * close function; closing the engine closes its subscriptions.
 *
 * Threads: an engine may be used from one thread at a time (serialize
 * your calls); callbacks run in the thread that calls rill_poll or
 * rill_exec. Distinct engines are independent (each on its own data
 * directory: a directory is locked by the engine or `rill serve` that has
 * it open).
 *
 * Version: RILL_VERSION_NUMBER (major * 10000 + minor * 100 + patch);
 * rill_version() is the library's, which may be newer than the header.
 */
#ifndef RILL_H
#define RILL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RILL_VERSION "0.9.0"
#define RILL_VERSION_NUMBER 900

#if defined(__GNUC__)
#define RILL_API __attribute__((visibility("default")))
#else
#define RILL_API
#endif

/* Error codes (negative). */
#define RILL_EINVAL (-1)     /* an argument is wrong */
#define RILL_ENOTFOUND (-2)  /* no such stream, topic or query */
#define RILL_EEXISTS (-3)    /* already exists */
#define RILL_ESQL (-4)       /* the SQL did not parse or check */
#define RILL_EBUSY (-5)      /* the data directory is in use */
#define RILL_EIO (-6)        /* the disk failed, or is full */
#define RILL_ETOOLARGE (-7)  /* above a configured limit */
#define RILL_ETIMEOUT (-8)   /* the deadline passed */
#define RILL_ECLOSED (-9)    /* the engine is closing */
#define RILL_EINTERNAL (-10) /* anything else (see rill_errmsg) */

struct rill;
struct rill_sub;

/* Options of rill_open; NULL means all defaults. Zero-initialise it
 * (`struct rill_options o = {0};`) and set what you need: fields may be
 * added at the end in later versions, never reordered. */
struct rill_options {
    int workers; /* query worker threads; 0: one per core */
    /* Queries stop once every input is drained (rill run --until-idle):
     * rill_wait returns then. 0: queries run until rill_close. */
    int until_idle;
    /* In-memory engines (rill_open with dir NULL): the bytes every stream,
     * table and internal topic may take together (0: 64 MiB), and one
     * partition's ring (0: 1 MiB; the oldest records of a full ring are
     * dropped, as retention drops them from a log). */
    size_t memory_bytes;
    size_t partition_bytes;
    /* In-memory engines: processing time is virtual. It is the timestamp
     * of the pushed records (the queries read them in timestamp order, as
     * if they had arrived then) and moves on only when the application
     * says: rill_advance. Everything that waits for time (an idle input
     * that stops holding the watermark back, the last windows of a quiet
     * stream, a pattern's time-out) then happens at the same point of the
     * input on every run, however fast the device is. 0: the wall clock. */
    int virtual_clock;
    int reserved[7];
};

/* Opens (creating if needed) the engine on data directory dir, resuming
 * the catalog's running queries. dir NULL: an engine in memory, with no
 * file, no log and no thread of its own: streams are rings within
 * rill_options.memory_bytes (a CREATE that would go over it fails with
 * RILL_ETOOLARGE), and the queries run in the calling thread, inside
 * rill_poll and rill_wait (workers is ignored). *out is set even when it fails
 * (as sqlite3_open does), so rill_errmsg(*out) can say why: rill_close it
 * either way. */
RILL_API int rill_open(const char *dir, const struct rill_options *opts,
                       struct rill **out);

/* Stops the queries (each records its progress), flushes and closes the
 * log. NULL is a no-op. */
RILL_API void rill_close(struct rill *db);

/* Runs a script of ';'-separated statements, statement by statement,
 * stopping at the first error (RILL_ESQL, or the failure's own code).
 * on_text, if not NULL, gets each statement's result text ("created
 * stream readings ...", a table for SHOW); a transient SELECT's rows also
 * arrive there, one JSON object per call, until its LIMIT, the end of
 * the input with until_idle, or rill_interrupt. */
typedef void (*rill_text_fn)(void *arg, const char *text, size_t len);
RILL_API int rill_exec(struct rill *db, const char *sql, rill_text_fn on_text,
                       void *arg);

/* Appends one record to a stream (its name in the catalog) or topic:
 * key may be NULL (klen 0) for no key; value is the record as the
 * stream's format has it (JSON for format = 'json'); ts_ms is its
 * timestamp (ms since the epoch; < 0: now). Records are placed on
 * partitions by key as Kafka's producers do (murmur2) and are durable
 * as the topic's settings say. */
RILL_API int rill_push(struct rill *db, const char *stream, const void *key,
                       size_t klen, const void *value, size_t vlen,
                       int64_t ts_ms);

/* rill_push to one partition of the topic (0 .. its partitions - 1)
 * instead of the key's (replaying a log, a device that owns a partition).
 * RILL_EINVAL for a partition the topic does not have. */
RILL_API int rill_push_partition(struct rill *db, const char *stream,
                                 int partition, const void *key, size_t klen,
                                 const void *value, size_t vlen, int64_t ts_ms);

/* Creates a topic of `partitions` partitions (1 to 10000), as `rill topics
 * create` does: a stream's topic made before its CREATE STREAM, or a topic
 * read and written with rill_push and rill_subscribe only. RILL_EEXISTS if
 * it exists; RILL_ETOOLARGE if an in-memory engine's budget has no room. */
RILL_API int rill_topic_create(struct rill *db, const char *name,
                               int partitions);

/* A typed value for rill_push_row. */
#define RILL_NULL 0
#define RILL_BOOL 1
#define RILL_INT 2       /* INT, BIGINT, or a TIMESTAMP in ms */
#define RILL_DOUBLE 3    /* DOUBLE (an INT value is taken too) */
#define RILL_STRING 4    /* STRING / VARCHAR, UTF-8 */
#define RILL_TIMESTAMP 5 /* ms since the epoch */
struct rill_value {
    int type;
    union {
        int b;
        int64_t i;
        double d;
        struct {
            const char *p;
            size_t n;
        } s;
    } v;
};

/* Appends one row to a stream of format 'json', its values in the order of
 * the stream's columns (n of them): rill encodes the record, takes its key
 * from the stream's key column and its timestamp from the WATERMARK
 * column (else now). RILL_EINVAL, with the column named, for a count or a
 * type that does not match or a stream of another format. */
RILL_API int rill_push_row(struct rill *db, const char *stream,
                           const struct rill_value *values, size_t n);

/* Pushed records are buffered (no system call per record) and appended
 * together: at rill_flush, rill_poll, rill_exec, rill_wait, rill_close, or
 * once 256 KiB are waiting. rill_flush says whether the append failed
 * (RILL_EIO: a full disk; the records of that append are not kept). */
RILL_API int rill_flush(struct rill *db);

/* Receives the records of a stream, table or topic, from its beginning
 * (RILL_FROM_BEGINNING: what is retained) or its end (RILL_FROM_END: what
 * is written after the call). Callbacks run inside rill_poll; with
 * on_record NULL the records are pulled with rill_sub_next. */
#define RILL_FROM_END 0
#define RILL_FROM_BEGINNING 1
struct rill_record {
    const void *key; /* NULL: no key */
    size_t key_len;
    const void *value; /* NULL: a tombstone */
    size_t value_len;
    int64_t timestamp; /* ms since the epoch */
    int32_t partition;
    int64_t offset;
};
typedef void (*rill_record_fn)(void *arg, const struct rill_record *rec);
RILL_API int rill_subscribe(struct rill *db, const char *name, int from,
                            rill_record_fn on_record, void *arg,
                            struct rill_sub **out);

/* Pulls the next record of sub instead of receiving it in a callback
 * (subscribe with on_record NULL: rill_poll then leaves sub alone): 1 with
 * *out filled (its pointers valid until the next call on sub), 0 when none
 * came within timeout_ms, or an error. Partitions are read in turn, each
 * in offset order. An in-memory engine runs its queries here too. */
RILL_API int rill_sub_next(struct rill_sub *sub, struct rill_record *out,
                           int timeout_ms);
RILL_API void rill_unsubscribe(struct rill_sub *sub);

/* Delivers what the subscriptions have (calling their callbacks in this
 * thread), waiting up to timeout_ms for the first record when none is
 * there: the number of records delivered, or an error. An in-memory
 * engine runs its queries here first, until they have nothing left; a
 * query whose operator state (windows, OVER frames, pattern runs, join
 * rows) would not fit in memory_bytes beside the streams' rings is
 * stopped and its error returned (RILL_ETOOLARGE; rill_errmsg names the
 * query and the figures), never left to grow past the budget. */
RILL_API int rill_poll(struct rill *db, int timeout_ms);

/* A counter of a query that runs or ran in this engine: "records_in",
 * "rows_in", "rows_out", "late_rows", "dead_letters", "windows_fired",
 * "write_errors", "records_skipped", "state_entries" and "state_bytes"
 * (what its operators hold now), "lag", "watermark" (ms; absent before
 * the first), as
 * `rill queries describe` names them with '_' for ' '; the query's id as
 * rill_exec reported it ("started query q_1"). */
RILL_API int rill_query_counter(struct rill *db, const char *query_id,
                                const char *name, int64_t *value);

/* An in-memory engine with rill_options.virtual_clock: runs the queries
 * through what was pushed, then moves processing time to now_ms (ms since
 * the epoch; never backwards). With the defaults of 'watermark.idle-timeout'
 * (30 s) and 'watermark.idle-advance', rill_advance(db, last_ts + 30000)
 * fires the windows a quiet stream left open. RILL_EINVAL on other engines;
 * a query that fails meanwhile (its state over the budget, say) is
 * returned as by rill_poll. */
RILL_API int rill_advance(struct rill *db, int64_t now_ms);

/* With until_idle: blocks until every query has drained its input and
 * fired its windows. Otherwise RILL_EINVAL. */
RILL_API int rill_wait(struct rill *db);

/* Ends a running SELECT of rill_exec (which then returns 0): callable
 * from another thread or a signal handler (it only sets a flag). */
RILL_API void rill_interrupt(struct rill *db);

/* What the last failing call on db said ("" when none). */
RILL_API const char *rill_errmsg(const struct rill *db);
RILL_API const char *rill_version(void);

#ifdef __cplusplus
}
#endif

#endif
