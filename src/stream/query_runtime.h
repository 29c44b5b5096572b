/* query_runtime.h - the stream runtime: queries run as tasks over the
 * runtime's log interface (layer: stream).
 *
 * A front end (the SQL engine, sql/query_run.c; later librill's C API)
 * plans a query into a specification (struct query_spec) and hands it
 * here. The runtime instantiates it: one task per input partition (stage
 * 0) and, when the plan repartitions, one per partition of its
 * repartition topic (stage 1). Each task asks the front end for its own
 * pipeline of its own stage (spec->build), reads its partition through
 * stream_log.h, and writes rows, dead letters, late rows, repartitioned
 * rows and watermark markers through writers. How tasks settle the
 * watermark across each other, progress, restarts and dead letters:
 * query_task.c, docs/planner.md.
 *
 * Where tasks run: persistent queries on worker threads (worker.h), a
 * transient query in the caller's thread (query_runtime_select), and in
 * bounded mode or on the virtual clock each query on a thread of its own
 * that steps all of its tasks. Bounded mode: a query whose tasks read
 * nothing new for idle_ms ends its input (every open window fires) and
 * stops; query_runtime_wait returns once every query stopped.
 *
 * Threads: create/destroy/start/select/stop/wait from one controlling
 * thread; query_runtime_topic_in_use and query_runtime_stats from any.
 */
#ifndef RILL_QUERY_RUNTIME_H
#define RILL_QUERY_RUNTIME_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "row/row_batch.h"
#include "row/schema.h"
#include "stream/cep.h"
#include "stream/pipeline.h"
#include "stream/stream_log.h"
#include "stream/window_agg.h"

#define QUERY_SPEC_NAME_MAX 256

struct query_runtime_options {
    bool until_idle;   /* bounded mode, see above */
    int64_t idle_ms;   /* 0: 500 ms */
    bool durable_only; /* read only fsync'ed data (rill.read.durable) */
    /* Log events of persistent queries (start, stop, failure, dead-letter
     * and late-row bursts, watermark stalls: base/diag.h). A server sets
     * it; an embedding program (`rill run`, librill) keeps stderr quiet. */
    bool log_events;
    /* worker threads; 0: RILL_WORKERS or one per core; < 0: none, the
     * caller steps the queries (query_runtime_step) */
    int workers;
    /* Processing time is the arrival stamp (Kafka timestamp) of each
     * record batch instead of the wall clock, one batch at a time in stamp
     * order over every task (golden tests, docs/testing.md). */
    bool virtual_clock;
    /* Set (by a signal handler, say) to end a running query_runtime_select
     * without its own cancel flag, and query_runtime_wait; NULL: never. */
    const volatile sig_atomic_t *interrupted;
    /* Caller-stepped runtimes (workers < 0): the bytes the operator state
     * of every query may take together, asked at each step (NULL: no
     * bound; librill's in-memory budget less what its streams hold). A
     * query whose state would take more fails with ERR_TOO_LARGE, and
     * query_runtime_errmsg names it and the figures. */
    uint64_t (*state_room)(void *arg);
    void *state_room_arg;
};

/* What the runtime gives a task's pipeline when it is built. */
struct query_task_hooks {
    /* A row too late for its window (window_agg late callback). */
    void (*on_late)(void *arg, const struct row_batch *in, int row);
    void *arg;
};

/* One task's pipeline, built by the front end: the runtime sets its sink
 * and error handler. handle is the front end's, freed by spec->release. */
struct query_task_plan {
    struct pipeline *pipe;
    struct window_agg *wa; /* for stats and late counts; may be NULL */
    struct cep *cep;       /* MATCH_RECOGNIZE: state for stats; may be NULL */
    void *handle;
};

/* 'execution.checkpointing.mode': DEFAULT is exactly-once for a query
 * whose every operator's state checkpoints save (else at least once, said
 * in DESCRIBE and the log); EXACTLY_ONCE refuses to start one that cannot
 * be; AT_LEAST_ONCE never checkpoints (the progress file, docs/planner.md). */
enum query_guarantee {
    QUERY_GUARANTEE_DEFAULT = 0,
    QUERY_GUARANTEE_EXACTLY_ONCE,
    QUERY_GUARANTEE_AT_LEAST_ONCE,
};
#define QUERY_CHECKPOINT_INTERVAL_MS 100

struct query_spec {
    char id[64]; /* a persistent query's id; "" for a transient one */
    bool persistent;
    /* stage 0 */
    char input_topic[QUERY_SPEC_NAME_MAX]; /* the topic it reads */
    char input_name[QUERY_SPEC_NAME_MAX];  /* the stream: <name>.dlq */
    int npartitions;
    /* more co-partitioned inputs of stage 0 (as many partitions): the
     * task of partition i reads partition i of each, as source 1, 2, ...
     * of its pipeline (pipeline_add_source); its watermark is the minimum
     * over all of them */
    int nextra_inputs;
    char extra_inputs[PIPELINE_MAX_SOURCES - 1][QUERY_SPEC_NAME_MAX];
    bool startup_latest; /* from the end rather than the earliest offset */
    /* 'scan.bounded.mode' = 'latest-offset' (a transient SELECT): reads
     * up to the end offsets its inputs had when it started, then ends as
     * bounded input does (every window fires): a pull query */
    bool bounded_latest;
    int64_t watermark_delay_ms;
    int64_t idle_timeout_ms; /* 0: off */
    bool idle_advance;       /* all inputs idle: the clock's watermark */
    bool windowed;
    /* a second stage, after the repartition topic <id>-repartition */
    bool repartition;
    int nrep_keys; /* the columns rows are repartitioned by */
    /* partitions of that topic = stage-1 tasks; 0: npartitions (1 for a
     * global aggregate, no key: every row to one final task) */
    int rep_partitions;
    int rep_keys[SCHEMA_MAX_COLUMNS];
    /* stage 0 holds an operator that emits rows when the watermark moves
     * (an aggregate in a subquery): its markers carry the watermark the
     * pipeline was advanced to, written after the rows that advance made,
     * so stage 1 never sees them as late */
    bool stage0_stateful;
    /* a persistent query's output: rows as JSON records, keyed by the
     * JSON of these columns (a string column: its text) */
    char sink_topic[QUERY_SPEC_NAME_MAX];
    int nkey_columns;
    int key_columns[SCHEMA_MAX_COLUMNS];
    /* EMIT LATE INTO: too-late input rows as JSON; "" none */
    char late_topic[QUERY_SPEC_NAME_MAX];
    bool late_create;
    /* checkpoints (docs/checkpoints.md): the guarantee asked for
     * ('execution.checkpointing.mode') and the interval (0: 100 ms) */
    enum query_guarantee guarantee;
    int64_t checkpoint_interval_ms;
    /* a transient query's output: one JSON line per row */
    int64_t limit; /* < 0: none */
    int (*emit)(void *arg, const char *line, size_t len);
    void *emit_arg;
    const atomic_bool *cancel; /* NULL: options.interrupted */
    /* The pipeline of one task of `stage` (0 or 1): returns 0, or an error
     * with a message in err. */
    int (*build)(void *arg, int stage, const struct query_task_hooks *hooks,
                 struct query_task_plan *out, char *err, size_t errlen);
    void (*release)(void *arg, void *handle);
    void *build_arg;
};

struct query_runtime;

/* log: the back end every query reads and writes (outlives the runtime).
 * o may be NULL (unbounded). Returns 0. */
int query_runtime_create(const struct stream_log *log,
                         const struct query_runtime_options *o,
                         struct query_runtime **out);
/* Stops every running query; NULL is a no-op. */
void query_runtime_destroy(struct query_runtime *rt);

/* Starts a persistent query; returns once it runs, or an error with a
 * message in err. The spec is copied. */
int query_runtime_start(struct query_runtime *rt, const struct query_spec *s,
                        char *err, size_t errlen);
/* Runs a transient query in the calling thread until LIMIT, the end of
 * input in bounded mode, or its cancel flag. detach/attach (may be NULL)
 * are called once it is built and before it returns. */
int query_runtime_select(struct query_runtime *rt, const struct query_spec *s,
                         void (*detach)(void *), void (*attach)(void *),
                         void *arg, char *err, size_t errlen);
/* Stops and forgets a persistent query (its repartition topic goes with
 * it); ERR_NOT_FOUND. */
int query_runtime_stop(struct query_runtime *rt, const char *id);
/* Stops a persistent query and forgets it, keeping its repartition topic
 * and progress file (STOP QUERY: a later start with the same spec goes on
 * where it stopped); ERR_NOT_FOUND. */
int query_runtime_halt(struct query_runtime *rt, const char *id);
/* Appends a query's counters as "name: value" lines; ERR_NOT_FOUND. */
int query_runtime_stats(struct query_runtime *rt, const char *id,
                        struct buf *out);
/* With options.workers < 0 (no threads: librill's in-memory engines):
 * steps every task of every running query once in this thread, then, if
 * none had work, waits up to wait_ms for an append. Returns how many
 * tasks had work (in bounded mode, a query idle for idle_ms ends here). */
int query_runtime_step(struct query_runtime *rt, int64_t wait_ms);
/* Blocks while persistent queries run (bounded mode: until they all
 * ended), or until *options.interrupted. Returns the first query error. */
int query_runtime_wait(struct query_runtime *rt);
/* Whether a running query reads or writes `topic` (its input, output,
 * late-row, dead-letter or repartition topic). Any thread. */
bool query_runtime_topic_in_use(struct query_runtime *rt, const char *topic);

/* ---- introspection (query_info.c) ----
 * A snapshot of a running query for EXPLAIN WATERMARK, DESCRIBE and the
 * HTTP API: every input partition's watermark, idleness and lag, which
 * one holds the query's watermark back and why, how late the late rows
 * were, and each operator's rows and state. Read from the tasks'
 * published counters (single-writer atomics): any thread, no lock on the
 * tasks, though a snapshot is not one instant across tasks. */

#define QUERY_INFO_OPS_MAX 8
/* Lateness of late rows (the watermark minus the row's event time, at the
 * moment it came): <= 100 ms, 1 s, 10 s, 1 min, 10 min, 1 h, more. */
#define QUERY_LATENESS_BUCKETS 7
extern const int64_t query_lateness_bounds[QUERY_LATENESS_BUCKETS - 1];

/* A key named by EXPLAIN WATERMARK (per-key watermarks): longer ones are
 * cut. */
#define QUERY_INFO_KEY_MAX 64

struct query_info_input {
    char topic[QUERY_SPEC_NAME_MAX];
    int stage;     /* 0: an input topic, 1: the repartition topic */
    int partition; /* of that topic */
    /* stage 0: this partition's own watermark; stage 1: the task's,
     * settled over the stage-0 markers. INT64_MIN: none yet */
    int64_t watermark;
    bool idle;        /* stage 0: idle, so not holding the query back */
    int64_t quiet_ms; /* since its task last read anything */
    int64_t next;     /* next offset its task reads; -1: no such partition */
    int64_t end;      /* the partition's end offset */
    /* per-key watermarks (stage 0, the first input): keys seen, and the
     * key holding this partition's floor (has_holder) */
    int nkeys;
    bool has_holder;
    char holder_key[QUERY_INFO_KEY_MAX + 1]; /* NUL-terminated, cut */
    int64_t holder_key_wm;
};

struct query_info_op {
    const char *name; /* operator_ops.name */
    int stage;
    uint64_t rows_in, rows_out; /* summed over the stage's tasks */
    bool stateful;              /* has operator_ops.state */
    uint64_t state_entries, state_bytes;
    /* rows per second over the last ~5 s (query_info.rates_known) */
    double rows_in_per_s, rows_out_per_s;
};

struct query_info {
    int64_t now_ms;    /* the wall clock of the snapshot */
    int64_t watermark; /* the query's: the least of its last stage's
                          tasks; INT64_MIN: none yet */
    int64_t delay_ms, idle_timeout_ms;
    bool idle_advance, repartition, windowed, running;
    bool per_key; /* 'watermark.per-key': the inputs carry keys */
    int ninputs;
    struct query_info_input *inputs; /* stage 0, then stage 1 */
    /* the stage-0 input that holds the watermark back (the least
     * watermark among those not idle), -1 when none does (all idle), and
     * by how much: the next least watermark minus its own (-1: no other) */
    int holder;
    int64_t holder_gap_ms;
    const char *reason; /* why, in words (static) */
    int nops;
    struct query_info_op ops[2 * QUERY_INFO_OPS_MAX];
    /* counters (DESCRIBE's) */
    int n0, n1; /* tasks per stage (n1: 0 without a repartition) */
    uint64_t records_in, rows_in, rows_out, dead_letters, dlq_errors;
    uint64_t records_skipped; /* dropped by retention (or a memory ring)
                                 before the query read them */
    uint64_t corrupt_batches, write_errors, muted, windows_fired;
    int64_t lag[2]; /* records not yet read: input, repartition topic */
    /* exactly-once checkpoints (checkpoint.c): how many tasks took one,
     * the longest of their last ones (us) and their bytes summed */
    int ckpt_tasks;
    int64_t ckpt_us_max, ckpt_bytes;
    /* Rates, computed by the runtime: the counters are sampled once a
     * second; a rate is the difference between the newest sample and the
     * one about 5 s before it (rate_span_ms apart), per second. False
     * until two samples exist (the query's first second). */
    bool rates_known;
    int64_t rate_span_ms;
    double records_in_per_s, rows_in_per_s, rows_out_per_s;
    int nlate_partitions;
    uint64_t *late_partition; /* late rows per input partition */
    uint64_t late_rows;
    /* the newest few late rows and dead letters, one JSON object each,
     * newest first: {"partition", "offset", "event_time", "lateness_ms",
     * "row"} and {"partition", "offset", "reason", "value"} */
    int nsamples[2];
    char *samples[2][5];
    uint64_t lateness[QUERY_LATENESS_BUCKETS];
    int64_t max_lateness_ms;
};

/* Fills *out; query_info_fini frees it. Returns 0 or ERR_NOT_FOUND. */
int query_runtime_info(struct query_runtime *rt, const char *id,
                       struct query_info *out);
void query_info_fini(struct query_info *qi);
/* ms as ISO-8601 UTC with milliseconds, "2026-12-07T19:03:43.120Z" (out:
 * 32 bytes or more); "none" for INT64_MIN. */
void query_info_format_time(int64_t ms, char *out, size_t n);

/* Caller-stepped runtimes on the virtual clock: steps every query through
 * what its inputs hold, then moves its processing time to now_ms (never
 * back): inputs quiet for their idle timeout turn idle, the watermark of
 * an all-idle query follows the clock ('watermark.idle-advance'), pattern
 * time-outs fire. Returns 0 or the first failing query's error. */
int query_runtime_advance(struct query_runtime *qr, int64_t now_ms);

/* Why the last query_runtime_step or query_runtime_advance failed ("" if
 * nothing failed). Controlling thread. */
const char *query_runtime_errmsg(const struct query_runtime *qr);

#endif
