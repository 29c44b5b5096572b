/* pipeline.h - one query task: a source that decodes log record batches
 * into row batches, a chain of operators, watermarks, and a sink: the
 * plan API the SQL planner (and C users) build queries with
 * (layer: stream).
 *
 *   struct pipeline_source_config src = {...schema, time column, delay...};
 *   pipeline_create(&src, &p);
 *   ctx = expr_ctx create over pipeline_schema(p); pred = expr_...(ctx,..);
 *   pipeline_add_filter(p, ctx, pred);              (optional, repeatable)
 *   pipeline_add_project(p, ctx2, n, exprs, names); (optional)
 *   pipeline_add_window_agg(p, &window_cfg);        (optional)
 *   pipeline_set_sink(p, fn, arg);                  (last)
 *   loop: pipeline_push(p, partition, records, now_ms, NULL, NULL);
 *         pipeline_tick(p, now_ms);  -- when the input runs dry
 *
 * The source decodes record values with the schema-driven JSON, CSV or
 * SenML decoder (row layer);
 * event time is the schema's time column, else the Kafka record
 * timestamp. Each row's meta gets the record's partition, offset and
 * timestamp. A record that fails to decode goes to the error callback
 * (the dead-letter path) and is counted; the query continues. Batches are
 * pushed downstream at the end of every push_records call, and as soon as
 * one fills: light traffic, low latency; heavy traffic, full batches.
 * The watermark (watermark.h) is advanced after each push and each tick;
 * processing time is always the caller's now_ms, so tests use a virtual
 * clock. Not thread-safe: a pipeline is one task on one thread.
 */
#ifndef RILL_PIPELINE_H
#define RILL_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "row/row_batch.h"
#include "row/row_error.h"
#include "row/schema.h"
#include "stream/expr.h"
#include "stream/operator.h"
#include "stream/stream_log.h"
#include "stream/watermark.h"
#include "stream/window_agg.h"

enum pipeline_format {
    PIPELINE_FORMAT_JSON = 0,   /* one object per record (json_decode.h) */
    PIPELINE_FORMAT_CSV,        /* one line per record (csv_decode.h) */
    PIPELINE_FORMAT_SENML,      /* one SenML pack per record, 0..n rows */
    PIPELINE_FORMAT_ROW,        /* one binary row (row_binary.h): repartition */
    PIPELINE_FORMAT_SENML_CBOR, /* one SenML CBOR pack per record */
    PIPELINE_FORMAT_INFLUX,     /* InfluxDB line protocol, a row per line */
    PIPELINE_FORMAT_SPARKPLUG,  /* a Sparkplug B payload, a row per metric */
};

struct pipeline_source_config {
    const struct schema *schema; /* borrowed; outlives the pipeline */
    enum pipeline_format format;
    char csv_delimiter;         /* CSV only; 0 = ',' */
    int time_column;            /* event-time column, -1: record time */
    int npartitions;            /* input partitions 0..n-1 */
    int64_t watermark_delay_ms; /* bounded out-of-orderness */
    int64_t idle_timeout_ms;    /* <= 0: partitions never idle */
    int batch_capacity;         /* rows per batch, 0 = 1024 */
    /* One task of a query that runs as several (pipeline_set_watermark):
     * the input's per-partition watermarks are still tracked
     * (pipeline_partition_watermark), but the operators advance only to
     * the watermark the caller computes over every task's inputs. */
    bool external_watermark;
};

/* A record that did not decode, in hand (borrowed for the call). */
typedef void (*pipeline_error_fn)(void *arg, int partition,
                                  const struct stream_record *rec,
                                  const struct row_error *err);
/* A control record met among the records (the runtime's markers): the
 * rows before it have gone down the chain. Returns 0 or an error that
 * ends the push. */
typedef int (*pipeline_control_fn)(void *arg, const struct stream_record *rec);

struct pipeline_stats {
    uint64_t records_in; /* records read from record batches */
    uint64_t rows_in;    /* rows decoded (or pushed) */
    uint64_t decode_errors;
    uint64_t corrupt_batches; /* failed CRC or malformed: skipped */
    uint64_t rows_out;        /* rows that reached the sink */
    int64_t watermark;
};

struct pipeline;

/* Returns 0 or ERR_INVALID (no schema, bad time column, partitions). */
int pipeline_create(const struct pipeline_source_config *src,
                    struct pipeline **out);
void pipeline_destroy(struct pipeline *p);

/* The schema at the end of the chain so far (build expressions on it). */
const struct schema *pipeline_schema(const struct pipeline *p);
/* Batch capacity (for expr_ctx_create). */
int pipeline_capacity(const struct pipeline *p);

/* Chain building; each takes ownership of ctx even on failure. Returns 0,
 * ERR_INVALID, or ERR_CLOSED once the sink is set. */
int pipeline_add_filter(struct pipeline *p, struct expr_ctx *ctx,
                        struct expr *pred);
int pipeline_add_project(struct pipeline *p, struct expr_ctx *ctx, int n,
                         struct expr *const *exprs, const char *const *names);
/* *wa_out (may be NULL) borrows the operator for stats / late counts. */
int pipeline_add_window_agg(struct pipeline *p,
                            const struct window_agg_config *cfg,
                            struct window_agg **wa_out);
/* Any operator (joins, ...): the pipeline owns it from now on, even on
 * failure. Its input schema must be pipeline_schema(p). */
int pipeline_add_operator(struct pipeline *p, struct operator_node *op);
/* Every decoded row gets the index of its source (0, 1, ...;
 * pipeline_add_source) in INT column `column` (a join tells its sides
 * apart by it). Returns 0 or ERR_INVALID. */
int pipeline_set_source_tag(struct pipeline *p, int column);
int pipeline_set_sink(struct pipeline *p, operator_sink_fn fn, void *arg);
void pipeline_set_error_handler(struct pipeline *p, pipeline_error_fn fn,
                                void *arg);

/* Inputs a pipeline can take (pipeline_add_source). */
#define PIPELINE_MAX_SOURCES 4

/* Another input into the same chain (UNION ALL; a task that owns
 * partition i of several co-partitioned inputs): the same partition
 * count, time column and column types as the first (a project in front
 * aligns them), its own format. Its partitions get their own watermark
 * slots (source s, partition i: slot s * npartitions + i); the
 * pipeline's watermark is the minimum over every slot. Before the chain
 * is built. Returns 0, ERR_INVALID or ERR_CLOSED. */
int pipeline_add_source(struct pipeline *p,
                        const struct pipeline_source_config *src);
/* Watermark slots: sources x partitions. */
int pipeline_nslots(const struct pipeline *p);

/* Decodes the records of a chunk read from `partition` (stream_log.h) and
 * runs the rows through the chain. Control records go to on_control
 * (NULL: skipped). Returns 0, ERR_RANGE (partition), ERR_CLOSED (no sink
 * yet), or an operator's or on_control's error. */
int pipeline_push(struct pipeline *p, int partition,
                  struct stream_records *recs, int64_t now_ms,
                  pipeline_control_fn on_control, void *arg);
/* The same for source `source` (0: the first; pipeline_add_source). */
int pipeline_push_source(struct pipeline *p, int source, int partition,
                         struct stream_records *recs, int64_t now_ms,
                         pipeline_control_fn on_control, void *arg);
/* Runs already decoded rows (meta filled) through the chain. */
int pipeline_push_rows(struct pipeline *p, const struct row_batch *rows,
                       int64_t now_ms);
/* The input ran dry (or time passed): idle detection, watermark, firing,
 * flush of partial output batches. */
int pipeline_tick(struct pipeline *p, int64_t now_ms);

/* Bounded input is over: the watermark jumps to the end of time (every
 * window fires and is purged) and everything is flushed. Later pushes
 * are all late. */
int pipeline_end_of_input(struct pipeline *p);

/* External watermark mode: the query watermark over every task is now wm
 * (monotonic: a smaller one is ignored): windows fire, output is flushed.
 * Returns 0 or an operator's error; ERR_INVALID without the mode. */
int pipeline_set_watermark(struct pipeline *p, int64_t wm);
/* A query that aggregates each input partition on its own, trusting the
 * stream's declared key: every record's key is checked against column
 * `column` (same bytes: a string's, else its JSON text) and against its
 * partition (murmur2, as Java producers place keys). A record that fails
 * is not pushed: it goes to the error handler with the reason. Returns 0
 * or ERR_INVALID. */
int pipeline_set_key_check(struct pipeline *p, int column);
/* external_watermark: the minimum watermark over the query's other input
 * partitions (not idle), so that rows of the next push see the query
 * watermark record by record; INT64_MIN (the default): rows see the
 * watermark of the push's start. */
void pipeline_set_peer_floor(struct pipeline *p, int64_t floor);
/* Slot `partition`'s own watermark (WATERMARK_NONE before data) and
 * whether it is idle, as of the last push or tick (a slot is a partition
 * of the first source, or pipeline_add_source's numbering). */
int64_t pipeline_partition_watermark(const struct pipeline *p, int partition);
bool pipeline_partition_idle(const struct pipeline *p, int partition);

/* Per-key watermarks ('watermark.per-key', watermark.h): every row is
 * observed under the value of column `column` (the stream's key), and a
 * slot's watermark is the floor over its keys. Rows carry that floor as
 * of the push's start in meta.watermark; a window operator grouped by
 * the key fires each key's windows on the key's own watermark
 * (window_agg_set_per_key). Before the first push. Returns 0 or
 * ERR_INVALID (bad column, no event-time column). */
int pipeline_set_per_key_watermarks(struct pipeline *p, int column);
bool pipeline_per_key_watermarks(const struct pipeline *p);
/* Per-key: slot `partition`'s keys seen, and the key holding its floor
 * (bytes borrowed until the next push; false when none). */
int pipeline_partition_keys(const struct pipeline *p, int partition);
bool pipeline_partition_holder(const struct pipeline *p, int partition,
                               const void **key, size_t *len, int64_t *wm);

void pipeline_stats(const struct pipeline *p, struct pipeline_stats *out);
/* The chain's first operator (operator_node.next walks it), or NULL: for
 * per-operator counters (rows in and out, operator_ops.state). */
const struct operator_node *pipeline_operators(const struct pipeline *p);
int64_t pipeline_watermark(const struct pipeline *p);

/* Checkpoints (docs/checkpoints.md). Whether every operator of the chain
 * can write its state (a stateless one can): false with the first one
 * that cannot and why in why[0..n). The state (the watermark, each input
 * slot's own watermark, each operator's snapshot) appended to out: 0 or
 * an operator's error. Restore into a pipeline just built the same way,
 * before anything was pushed, at processing time now_ms: 0 or ERR_CORRUPT
 * (then the pipeline must not be used). */
/* Pushes what the operators hold back (partial output batches) down the
 * chain now: 0 or an operator's error. */
int pipeline_flush(struct pipeline *p);
bool pipeline_checkpointable(const struct pipeline *p, char *why, size_t n);
int pipeline_snapshot(struct pipeline *p, struct buf *out);
int pipeline_restore(struct pipeline *p, const uint8_t *data, size_t n,
                     int64_t now_ms);

#endif
