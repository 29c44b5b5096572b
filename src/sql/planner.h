/* planner.h - compiles a checked SELECT into a stream pipeline: name
 * resolution against the catalog, type checking, expressions translated to
 * stream/expr, window TVFs with GROUP BY into a window aggregate
 * (layer: sql).
 *
 * The plan of one query is one stream/pipeline.h task reading every
 * partition of its single input stream:
 *   source (decode, watermark) -> [project TUMBLE bounds, no GROUP BY]
 *   -> [filter WHERE] -> [project computed aggregate arguments]
 *   -> [window_agg GROUP BY] -> [filter HAVING] -> project (SELECT list)
 *   -> sink (added by the runner, query_run.h)
 * or, with OVER calls (sql_over.h): source -> [filter WHERE] -> over_agg
 *   -> project (SELECT list) -> [filter, project: an outer query] -> sink
 * It does not run anything and does not write the log; EXPLAIN formats the
 * plan (explain.c). Errors name the line and column of the offending node
 * ("line 2, column 8: unknown column 'vaule' in readings"). What is not
 * supported yet (subqueries, ORDER BY, MATCH_RECOGNIZE,
 * DISTINCT, HOP/CUMULATE/SESSION without GROUP BY) is refused the same
 * way. docs/planner.md has the rules.
 * Any thread; a plan belongs to one thread at a time.
 */
#ifndef RILL_PLANNER_H
#define RILL_PLANNER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "row/schema.h"
#include "sql/sql_exec.h"
#include "sql/sql_over.h"
#include "stream/cep.h"
#include "stream/pipeline.h"
#include "stream/window_agg.h"

#define PLAN_TEXT_MAX 256

struct sql_join_plan;

/* 'watermark.idle-timeout' when neither SET nor the stream's WITH gives one. */
#define PLANNER_DEFAULT_IDLE_TIMEOUT_MS 30000

struct plan {
    int batch_rows; /* planner_hooks.batch_rows */
    /* input */
    char input[CATALOG_NAME_MAX + 1];
    char topic[256];
    char format[16];
    char csv_delimiter; /* WITH ('csv.delimiter' = ...); 0 = ',' */
    int npartitions;
    struct schema in_schema; /* the pipeline borrows it */
    int time_column;         /* -1: Kafka record timestamps */
    int64_t watermark_delay_ms;
    int64_t idle_timeout_ms; /* 'watermark.idle-timeout', 0: off */
    /* 'watermark.idle-advance' (default true): while every input is idle
     * the query watermark follows processing time minus the delay */
    bool idle_advance;
    /* 'execution.checkpointing.mode' (enum query_guarantee: 0 default, 1
     * EXACTLY_ONCE, 2 AT_LEAST_ONCE) and '.interval' (0: the default) */
    int guarantee;
    int64_t checkpoint_interval_ms;
    /* co-partitioned on in_key: each record's key is checked
     * (pipeline_set_key_check) */
    bool key_checked;
    bool startup_latest; /* 'scan.startup.mode' = 'latest-offset' */
    bool bounded_latest; /* 'scan.bounded.mode' = 'latest-offset' */
    /* 'watermark.per-key' on the input stream: the source tracks each
     * key's watermark (the partition's is the floor over its keys), and
     * per_key_windows: the window aggregate fires each key's windows on
     * its own (it groups by the key, in the input's own partitions) */
    bool per_key, per_key_windows;
    /* operators, as text for EXPLAIN */
    char where[PLAN_TEXT_MAX]; /* "" when none */
    bool windowed;             /* a window_agg operator */
    bool window_columns;       /* TUMBLE without GROUP BY: rows + bounds */
    struct window_agg_config wcfg;
    char agg_text[WINDOW_AGG_MAX_AGGS][PLAN_TEXT_MAX];
    char key_name[WINDOW_AGG_MAX_KEYS][PLAN_TEXT_MAX]; /* column or expr */
    bool key_expr[WINDOW_AGG_MAX_KEYS];
    char having[PLAN_TEXT_MAX];
    int npre; /* computed aggregate arguments, projected before it */
    char pre_text[WINDOW_AGG_MAX_AGGS][PLAN_TEXT_MAX];
    char late_into[CATALOG_NAME_MAX + 1]; /* EMIT LATE INTO, or "" */
    char late_topic[256];
    bool late_create; /* not a declared stream: the runner creates the topic */
    char project[SCHEMA_MAX_COLUMNS][PLAN_TEXT_MAX]; /* output exprs */
    /* output */
    struct schema out_schema;
    int nkey_columns; /* output columns forming the record key */
    int key_columns[WINDOW_AGG_MAX_KEYS];
    int64_t limit; /* -1: none */
    bool transient;
    char sink[CATALOG_NAME_MAX + 1]; /* "" for a transient SELECT */
    char id[32];
    /* Repartitioning (the Kafka Streams model): the GROUP BY keys do not
     * include the input's key, so rows with one key are spread over
     * several input partitions. Stage 0 (pipe0: source, WHERE, computed
     * arguments) runs one task per input partition and writes rows keyed
     * by the GROUP BY key to repart_topic (npartitions partitions, JSON of
     * mid_schema, record timestamp = event time, plus watermark markers);
     * stage 1 (pipe) runs one task per partition of it. */
    bool repartition;
    char in_key[SCHEMA_NAME_MAX]; /* the input stream's key, "" if none */
    char repart_topic[256];
    /* partitions of repart_topic = stage-1 tasks: npartitions, or 1 for a
     * global aggregate (no GROUP BY key: every row to one final task) */
    int repart_partitions;
    struct schema mid_schema; /* pipe's source schema when repartition */
    int nrepart_cols;         /* 0: every column crosses (EMIT LATE INTO) */
    /* wcfg numbered over mid_schema (keys, aggregate columns): what the
     * stage-1 operator and the stage-0 record key use */
    struct window_agg_config wcfg_run;
    char repart_cols[SCHEMA_MAX_COLUMNS][SCHEMA_NAME_MAX];
    struct pipeline *pipe0; /* stage 0, without its sink; NULL if none */
    /* the compiled chain (the last stage), without its sink */
    struct pipeline *pipe;
    struct window_agg *wa; /* borrowed from pipe; NULL without windows */
    /* A join (sql_join.c): more inputs of stage 0, read as sources 1, ...
     * of each task's pipeline (query_spec.extra_inputs), and the join's
     * own plan (schemas the pipelines borrow, EXPLAIN text) */
    int nextra_inputs;
    char extra_topics[PIPELINE_MAX_SOURCES - 1][256];
    struct sql_join_plan *join;
    /* OVER aggregations (sql_over.h): the operator after WHERE */
    bool over;
    struct sql_over_plan overp;
    /* SELECT ... FROM (the OVER query) WHERE ...: the outer filter */
    bool outer;
    char outer_where[PLAN_TEXT_MAX];
    /* FROM t MATCH_RECOGNIZE (...): keys in wcfg.nkeys/keys/key_name */
    bool match;
    int64_t match_lateness_ms;
    struct cep *cep; /* borrowed from pipe */
    /* FROM (SELECT ...) (sql_subq.c): the inner query's plan, whose
     * pipelines this one took over and extends (they borrow its schemas);
     * EXPLAIN prints it first. timecol: the column of in_schema carrying
     * the rows' event time ("" if none). */
    struct plan *sub;
    char timecol[SCHEMA_NAME_MAX];
    /* as an inner plan: the output column with the rows' event time, and
     * the one passing the input's record key through ("" if none) */
    char out_timecol[SCHEMA_NAME_MAX];
    char out_key[SCHEMA_NAME_MAX];
    /* DISTINCT, deduplication, Top-N (stream/rank.h): the operator at the
     * end of this plan's chain, as text; state kept like a window's */
    bool stateful;
    bool updating;        /* its rows are upserts of key_columns */
    bool stage0_stateful; /* query_spec.stage0_stateful */
    char rank_text[4 * PLAN_TEXT_MAX];
    /* UNION ALL (sql_union.c): the layout its sources decode into */
    struct sql_union_plan *uni;
};

/* What the runner plugs into the chain; may be NULL (EXPLAIN). */
struct planner_hooks {
    window_agg_late_fn late; /* too-late rows of a window aggregate */
    void *late_arg;
    /* rows per batch of every pipeline of the plan (0: the pipeline's
     * 1024); librill's in-memory engines ask for fewer (less memory per
     * operator, inside their budget). */
    int batch_rows;
};

/* Builds the plan of q (SELECT, CREATE ... AS SELECT, INSERT, or the
 * statement under EXPLAIN). q->logdir may be NULL (partition counts then
 * come from the catalog). Returns 0 or a negative error with *err filled
 * (ERR_INVALID, ERR_NOT_FOUND, ERR_UNSUPPORTED). */
int planner_build(const struct sql_query_start *q,
                  const struct planner_hooks *hooks, struct plan **out,
                  struct sql_exec_error *err);
void plan_destroy(struct plan *p); /* NULL is a no-op */
/* planner_build over an inner query's plan (sql_subq.c): q's FROM is a
 * subquery (or a window TVF over one) already planned as base, which the
 * new plan owns from now on, even on failure. */
int planner_build_on(const struct sql_query_start *q,
                     const struct planner_hooks *hooks, struct plan *base,
                     struct plan **out, struct sql_exec_error *err);

/* Steps of planner_build that the join planner (sql_join.c) reuses over
 * its own pipeline: WHERE as a filter, the SELECT list as the last
 * project (plus the output schema, record key and INSERT check), EMIT
 * LATE INTO. relation names the input in messages. */
int planner_add_where(struct plan *p, const char *relation,
                      const struct sql_expr *e, struct sql_exec_error *err);
int planner_add_output(const struct sql_query_start *q, struct plan *p,
                       const char *relation, struct sql_exec_error *err);
int planner_late_into(const struct sql_query_start *q, struct plan *p,
                      struct sql_exec_error *err);
/* Types e over schema sc in ctx, as the planner does a WHERE (for
 * sql_match.c); NULL with *rc and *err set on error. */
struct expr *planner_expr(struct expr_ctx *ctx, const struct schema *sc,
                          const char *relation, const struct sql_expr *e,
                          struct sql_exec_error *err, int *rc);

/* Appends the EXPLAIN text of p (operators top to bottom, keys, watermark
 * sources, output) to out. */
void plan_explain(const struct plan *p, struct buf *out);

#endif
