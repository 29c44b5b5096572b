/* query_runtime_int.h - what the runtime's files share (layer: stream):
 * the task and query structures, and the task functions (query_task.c)
 * the query loops and the runtime's entry points (query_runtime.c) call.
 * Nothing else includes it.
 *
 * A task: one input partition of one stage of a query, with its own
 * pipeline (built by the front end for its stage), reader and writers;
 * stepped by one thread at a time (a worker, the query's own thread, or
 * the caller's). No lock on the data path: after each push, tick or end
 * the task publishes its counters (struct task_pub, single-writer
 * atomics), which query_runtime_stats reads from any thread.
 */
#ifndef RILL_QUERY_RUNTIME_INT_H
#define RILL_QUERY_RUNTIME_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "stream/query_runtime.h"
#include "stream/stream_log.h"
#include "stream/worker.h"

#define READ_MAX (1u << 20)
/* The bytes of a bad record's value kept in its dead letter (escaped, at
 * most 6x: a dead letter always fits a batch under max.message.bytes). */
#define DLQ_VALUE_MAX (64u << 10)
/* Longest wait for input between ticks (watermark, idle partitions). */
#define TICK_MS 10

struct query;

/* What a task publishes for readers on other threads: written by the
 * task's thread only (query_task_publish), read by anyone. */
struct task_pub {
    _Atomic uint64_t records_in, rows_in, corrupt, dead, dlq_errors, late;
    _Atomic uint64_t skipped; /* records retention dropped before a read */
    _Atomic uint64_t write_errors, muted, fired, emitted;
    _Atomic int64_t watermark;
    _Atomic int64_t next[PIPELINE_MAX_SOURCES];
    int nlate;                   /* input partitions counted */
    _Atomic uint64_t *late_part; /* late rows per input partition */
    /* how late the late rows were (query_info.c's buckets), and the most */
    _Atomic uint64_t lateness[QUERY_LATENESS_BUCKETS];
    _Atomic int64_t max_lateness;
    /* the pipeline's operators, in chain order (names fixed once built) */
    int nops;
    const char *op_name[QUERY_INFO_OPS_MAX];
    bool op_stateful[QUERY_INFO_OPS_MAX];
    _Atomic uint64_t op_in[QUERY_INFO_OPS_MAX], op_out[QUERY_INFO_OPS_MAX];
    _Atomic uint64_t op_entries[QUERY_INFO_OPS_MAX];
    _Atomic uint64_t op_bytes[QUERY_INFO_OPS_MAX];
    /* the last checkpoint (checkpoint.c): wall ms, how long it took (us),
     * its file's bytes, the operator state's bytes in it, how many */
    _Atomic int64_t ckpt_at, ckpt_us, ckpt_bytes, ckpt_state;
    _Atomic uint64_t ckpts;
    /* per-key watermarks of its first input's partition: the keys seen
     * and the one holding the partition's floor (its bytes, at most
     * QUERY_INFO_KEY_MAX, and watermark); key_mu guards the key, written
     * only when the holder changes */
    _Atomic int nkeys;
    pthread_mutex_t key_mu;
    bool has_holder;
    char holder_key[QUERY_INFO_KEY_MAX];
    size_t holder_key_len;
    int64_t holder_key_wm;
};

struct task {
    struct query *q;
    struct worker_task wt;
    int stage; /* 0: the input topic; 1: the repartition topic */
    int part;  /* the partition it reads */
    struct query_task_plan plan; /* its pipeline, built for its stage */
    struct pipeline *pipe;       /* plan.pipe */
    /* its inputs: one, or (stage 0) the spec's input and extra inputs,
     * source s of its pipeline and board slot s * n0 + part */
    int nins;
    struct stream_reader *ins[PIPELINE_MAX_SOURCES];
    /* input s has no partition `part` (a join of inputs with different
     * partition counts): its watermark slot never holds the query's */
    bool absent[PIPELINE_MAX_SOURCES];
    int64_t nexts[PIPELINE_MAX_SOURCES]; /* next offset per input */
    /* spec.bounded_latest: the end offset per input at the start */
    int64_t bounds[PIPELINE_MAX_SOURCES];
    int cur;                   /* the input k->chunk came from */
    int rr;                    /* where the next read starts looking */
    struct stream_chunk chunk; /* what query_task_read read */
    /* outputs */
    struct stream_writer *sink, *dlq, *late, *rep; /* NULL: none */
    struct buf enc, key;
    uint64_t dead_letters, late_rows, write_errors, muted;
    uint64_t lateness[QUERY_LATENESS_BUCKETS]; /* of the late rows */
    int64_t max_lateness;
    /* log events (query_task.c): what the last burst line reported */
    int64_t burst_at; /* monotonic ms */
    uint64_t dead_reported, late_reported;
    uint64_t dlq_errors; /* dead letters that could not be written */
    uint64_t skipped; /* records the log dropped before this task read them */
    /* a transient SELECT's first dead letter (it writes none) */
    int64_t first_dead_offset;
    int first_dead_partition;
    char first_dead_reason[160];
    int64_t emitted;
    uint32_t row_id; /* stage 0 of a repartition: its rows' schema id */
    /* stage 0 of a repartition: a block of rows being built per
     * repartition partition (row_binary.h), and its latest event time */
    int rep_n;
    struct buf *rep_blocks;
    int64_t *rep_block_ts;
    /* stage 0 of a repartition: the last marker written */
    int64_t marker_wm;
    int marker_idle; /* -1: none written yet */
    /* stage 1: the latest marker of every stage-0 task */
    int64_t *up_wm;
    bool *up_idle;
    /* loop */
    int64_t last_tick;          /* monotonic ms */
    bool fresh;                 /* read something since the last tick */
    _Atomic int64_t last_input; /* monotonic ms of its last read */
    int64_t last_sample[2];     /* monotonic ms: late row, dead letter */
    bool ended;                 /* end of input done (bounded mode) */
    int error;
    /* exactly-once (checkpoint.c) */
    int64_t ckpt_id;    /* the last checkpoint's number (0: none yet) */
    int64_t ckpt_mono;  /* monotonic ms it was taken */
    int64_t ckpt_cost;  /* how long it took, ms */
    uint64_t ckpt_sig;  /* what the task had done then (checkpoint.c) */
    int64_t purge_mono; /* stage 1: when the repartition topic was purged */
    struct buf ckpt;    /* the file being built, kept for its memory */
    int ckpt_fd[2];     /* its two files, open once written (-1: not) */
    struct task_pub pub;
};

/* Samples of late rows and dead letters kept per query (query_info.c):
 * the newest few, one JSON object each, at most one per task every
 * QUERY_SAMPLE_MS once the ring is full, taken with a trylock (the data
 * path never waits for a reader). */
#define QUERY_SAMPLES 5
#define QUERY_SAMPLE_MS 250
#define QUERY_SAMPLE_MAX 1024 /* bytes of one sample's JSON */
struct query_samples {
    char *item[QUERY_SAMPLES]; /* mem_strdup'ed JSON, or NULL */
    int next, n;
};

/* Counters at one moment (monotonic ms), for rates. */
#define QUERY_RATE_SAMPLES 8
#define QUERY_RATE_SPAN_MS 5000 /* rates are over the last ~5 s */
struct query_rate_sample {
    int64_t mono;
    uint64_t records_in, rows_in, rows_out;
    uint64_t op_in[2 * QUERY_INFO_OPS_MAX], op_out[2 * QUERY_INFO_OPS_MAX];
};

struct query {
    struct query_runtime *rt;
    struct query_spec spec; /* a copy */
    struct stream_log log;  /* the log back end its tasks read and write */
    char id[64];
    const char *in_topic;   /* spec.input_topic */
    char repart_topic[256]; /* <id>-repartition */
    bool repartition, windowed, durable_only;
    bool persistent;    /* writes a topic (else a transient SELECT) */
    const char *dlq_id; /* "query" of its dead letters */
    int n0, n1;         /* tasks per stage */
    int nslots;         /* stage-0 inputs x partitions: board, progress */
    int ntasks;
    struct task **tasks; /* stage 0, then stage 1 */
    /* the stage-0 board: single writer per slot */
    _Atomic int64_t *board_wm;
    atomic_int *board_idle;
    /* progress (see progress_save): single writer per slot */
    _Atomic int64_t *pub_next; /* stage 0 next offsets */
    _Atomic int64_t *pub_wm;   /* last-stage watermarks, after output */
    int64_t last_save;         /* monotonic ms; stage-0 task 0 writes */
    int64_t mute_wm;           /* replaying: window rows up to this muted */
    /* exactly-once: checkpoints every ckpt_interval ms (checkpoint.c);
     * else why not, for DESCRIBE */
    bool eo;
    bool bounded; /* options.until_idle */
    /* stage 0 task t, repartition partition p: [t * n1 + p] an offset
     * below which the task has nothing held (checkpoint.c): stage 1
     * purges no further */
    _Atomic int64_t *rep_floor;
    int64_t ckpt_interval;
    char eo_why[200];
    /* transient SELECT */
    int (*emit)(void *arg, const char *line, size_t len);
    void *emit_arg;
    int64_t emitted;
    bool done;                 /* LIMIT reached */
    const atomic_bool *cancel; /* a server session's SELECT: set to end */
    const volatile sig_atomic_t *interrupted; /* else this (options) */
    bool vclock;
    int64_t vnow;
    int64_t vlast; /* vnow of the last push (INT64_MIN: none yet) */
    /* topics it holds in qr->topics */
    /* the names, "<input>.dlq" too */
    char held[4 + PIPELINE_MAX_SOURCES][QUERY_SPEC_NAME_MAX + 8];
    int nheld;
    /* how it runs */
    bool pooled;   /* its tasks are on the engine's worker threads */
    bool threaded; /* its own thread steps its tasks */
    bool caller;   /* query_runtime_step steps its tasks (workers < 0) */
    pthread_t thread;
    atomic_bool stop;
    atomic_bool finished;
    int error;
    /* log events (query_task.c): one failure line; watermark stalls, kept
     * by stage-0 task 0 */
    bool log_events; /* options.log_events, for a persistent query */
    atomic_bool failed_logged;
    int64_t stall_ms; /* RILL_WATERMARK_STALL_MS, default 60 s */
    int64_t stall_wm, stall_since;
    bool stall_logged;
    /* rates (query_info.c): stage-0 task 0 samples the counters once a
     * second into this ring; query_runtime_info reads it. The lock is
     * taken once a second and by readers, never per row. */
    pthread_mutex_t rate_mu;
    /* samples: 0 late rows, 1 dead letters (guarded by rate_mu) */
    struct query_samples samples[2];
    struct query_rate_sample rates[QUERY_RATE_SAMPLES];
    int nrates, rate_next; /* samples held; the slot written next */
};

/* ---- query_runtime.c ---- */

/* The running persistent query `id`, or NULL. */
struct query *query_runtime_find(struct query_runtime *qr, const char *id);
/* A task's error, the first of the query's, or 0. */
int query_runtime_error(const struct query *q);

/* ---- query_task.c ---- */

/* A task's step failed with rc: records it, and logs the query's first
 * failure (event query_failed). */
void query_task_failed(struct task *k, int rc);

/* Builds task `part` of `stage` of q: its own pipeline, its input, its
 * outputs. Returns 0 or an error with a message in err. */
int query_task_create(struct query *q, int stage, int part, struct task **out,
                      char *err, size_t errlen);
void query_task_destroy(struct task *k); /* NULL is a no-op */
/* Reads from the task's next offset into k->chunk: 1 (next offset in
 * *nx), 0 (nothing new) or a negative error; one_batch: only the first
 * batch (its largest timestamp in *max_ts, which may be NULL). */
int query_task_read(struct task *k, bool one_batch, int64_t *nx,
                    int64_t *max_ts);
/* Pushes what query_task_read copied at processing time now, settles
 * (except stage 0 on the virtual clock), appends the outputs, moves the
 * next offset to nx. */
int query_task_push(struct task *k, int64_t nx, int64_t now);
/* Input dry: idleness, watermark, flush. */
int query_task_tick(struct task *k, int64_t now);
/* The worker_step_fn of a task: a read and push, or a tick when due. */
int query_task_step(void *arg, int64_t now_mono, int64_t *next_due);
/* Publishes the task's watermark and takes the query's (board or
 * markers); appends markers (stage 0 of a repartition). */
int query_task_settle(struct task *k);
/* Stage 0: publishes the task's partition watermark and idleness on the
 * query's board (no settling: pass_virtual settles after every task). */
void query_task_publish_board(struct task *k);
/* Appends every output builder's records. */
void query_task_flush(struct task *k);
/* Publishes the task's counters (struct task_pub); the task's thread. */
void query_task_publish(struct task *k);
/* The last stage's watermark slot for the progress file. */
void query_task_publish_wm(struct task *k);
/* Processing time: the wall clock, or the virtual one. */
int64_t query_task_now(const struct query *q);
/* Fills err with "cannot <what> '<name>': <error>"; returns rc. */
int query_task_fail(char *err, size_t errlen, int rc, const char *what,
                    const char *name);

/* Stage-0 task 0, once a second: samples the query's counters for the
 * rates query_runtime_info reports (query_info.c). */
void query_info_sample(struct query *q, int64_t now_mono);

/* Keeps json (len bytes) as the newest sample of kind 0 (late rows) or 1
 * (dead letters) of k's query, unless this task sampled less than
 * QUERY_SAMPLE_MS ago with the ring full, or a reader holds the lock. */
void query_info_keep_sample(struct task *k, int kind, const char *json,
                            size_t len);

/* The lateness bucket of a row `ms` behind the watermark (query_info.c). */
int query_info_bucket(int64_t ms);

/* ---- checkpoint.c (docs/checkpoints.md) ---- */

/* Decides whether q runs exactly-once (q->eo, else q->eo_why) and, if so,
 * holds its tasks' output and restores each task from its checkpoint
 * (appending the output a crash left out). *restored: some task had one.
 * Returns 0, or an error with a message in err (EXACTLY_ONCE asked for
 * and impossible, a checkpoint that cannot be read or applied). Called
 * before any task runs. */
int checkpoint_query_start(struct query *q, bool *restored, char *err,
                           size_t errlen);
/* Holds a writer opened later (dead letters) when q is exactly-once. */
int checkpoint_hold(struct task *k, struct stream_writer *w, const char *topic);
/* Takes a checkpoint of k if one is due (force: now). 0 or an error. */
int checkpoint_task_due(struct task *k, int64_t now_mono, bool force);
/* Closes a task's checkpoint files (query_task_destroy). */
void checkpoint_task_close(struct task *k);
/* Bounded mode's end of input: appends what k holds without a checkpoint
 * (the windows the end closed early are not part of any state). */
int checkpoint_task_release(struct task *k);
/* DESCRIBE: the guarantee and every task's last checkpoint. */
void checkpoint_describe(const struct query *q, struct buf *out);
/* DROP QUERY: removes q's checkpoint files. */
void checkpoint_query_forget(const struct stream_log *log, const char *id);

/* Progress file of a persistent query (format: query_task.c). */
int64_t query_task_progress_wm(const struct query *q);
void query_task_progress_save(struct query *q, int64_t wm);
void query_task_progress_load(struct query *q);

#endif
