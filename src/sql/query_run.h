/* query_run.h - the query engine behind sql_exec.h: plans queries
 * (planner.h) and runs them as tasks over the log (layer: sql).
 *
 * A query runs as tasks, one per input partition: each reads its
 * partition from the earliest retained offset (or the end, with
 * 'scan.startup.mode' = 'latest-offset'), pushes the record batches
 * through its own copy of the plan's pipeline and writes what reaches the
 * sink: JSON lines to the session (a transient SELECT, until LIMIT,
 * Ctrl-C, or the end of the data in bounded mode) or JSON records to the
 * sink's topic (a persistent query). A plan that repartitions (planner.h)
 * has a second stage of tasks, one per partition of its repartition
 * topic. Records that fail to decode go to `<stream>.dlq` (created on
 * first use) as {"reason", "query", "topic", "partition", "offset",
 * "value"}; too-late rows of EMIT LATE INTO go to that stream's topic.
 *
 * Where tasks run: persistent queries on the engine's worker threads
 * (stream/worker.h; one per core, RILL_WORKERS or options.workers), a
 * transient SELECT in the session's thread, and in bounded mode
 * (`rill run --until-idle`) or on the virtual clock each query on a
 * thread of its own that steps all of its tasks. Bounded mode: a query
 * whose tasks read nothing new for idle_ms ends its input (every open
 * window fires) and stops; wait() returns once every query stopped.
 * Otherwise wait() blocks until SIGINT or SIGTERM. With
 * RILL_VIRTUAL_CLOCK=1 in the environment, processing time is the arrival
 * stamp (Kafka timestamp) of each record batch instead of the wall clock,
 * one batch at a time in stamp order over every task (golden tests,
 * docs/testing.md).
 * Threads: engine hooks from the session's thread.
 */
#ifndef RILL_QUERY_RUN_H
#define RILL_QUERY_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "sql/sql_exec.h"

struct query_run_options {
    bool until_idle;   /* bounded mode, see above */
    int64_t idle_ms;   /* 0: 500 ms */
    bool durable_only; /* read only fsync'ed data (rill.read.durable) */
    bool log_events;   /* query events in the log (rill serve) */
    int workers;       /* worker threads; 0: RILL_WORKERS or one per core; < 0:
                          none, query_run_step steps the queries */
    /* Processing time from the records' arrival stamps, batch by batch
     * in stamp order (golden tests: `rill run` sets it from the
     * environment's RILL_VIRTUAL_CLOCK=1, docs/testing.md). */
    bool virtual_clock;
    /* Set by the process's signal handlers (the cli's): *interrupted ends
     * a running SELECT that has no cancel flag, and the wait of `rill
     * run`; *terminated also ends the wait that follows an interrupted
     * SELECT. NULL: never (a SELECT runs until LIMIT or its end). The
     * engine installs no handler of its own. */
    volatile sig_atomic_t *interrupted;
    volatile sig_atomic_t *terminated;
    /* workers < 0: the bytes every query's operator state may take
     * together (query_runtime_options.state_room); NULL: no bound. */
    uint64_t (*state_room)(void *arg);
    void *state_room_arg;
    /* Rows per batch of the queries' pipelines (0: 1024): fewer take less
     * memory per operator (librill in memory: 128). */
    int batch_rows;
};

struct query_run;

/* o may be NULL (unbounded). Returns 0. */
int query_run_create(const struct query_run_options *o, struct query_run **out);
/* Stops every running query; NULL is a no-op. */
void query_run_destroy(struct query_run *qr);

/* Whether a running query (persistent or a transient SELECT) reads or
 * writes `topic`: its input, output, late-row, dead-letter or repartition
 * topic. Any thread (the broker asks before DeleteTopics). */
bool query_run_topic_in_use(struct query_run *qr, const char *topic);

/* With options.workers < 0 (no threads): steps the running queries once
 * in this thread, waiting up to wait_ms for input when none had work;
 * returns how many tasks had work, or the error of a query that failed
 * (its operator state over options.state_room, say: query_run_errmsg). */
int query_run_step(struct query_run *qr, int64_t wait_ms);

/* With options.workers < 0 and virtual_clock: steps the queries through
 * their input, then moves their processing time to now_ms
 * (query_runtime_advance). */
int query_run_advance(struct query_run *qr, int64_t now_ms);

/* Why the last query_run_step or query_run_advance failed ("" if not). */
const char *query_run_errmsg(const struct query_run *qr);

/* The engine; its ctx is a struct query_run. */
extern const struct sql_engine_ops query_run_engine;

#endif
