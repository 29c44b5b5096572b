/* operator.h - the operator interface of a pipeline and its built-in
 * operators: filter, project, window aggregate, sink (layer: stream).
 *
 * Operators form a chain; each receives a batch with push(), does its
 * work and hands its own output batch to the next with operator_emit(),
 * synchronously, so a batch (and the strings it borrows) only has to live
 * for the duration of the call. advance() carries the watermark down the
 * chain; tick() the processing time (for operators that time out on the
 * wall clock); flush() pushes anything held back (partial output batches)
 * when the input runs dry; snapshot()/restore() write and read the
 * operator's state (checkpoints, issue 10: NULL today, meaning stateless
 * or not yet checkpointable). A new operator (CEP, joins, OVER) is one
 * more struct operator_ops. An operator owns its output batch and schema.
 * Not thread-safe: a chain runs on one task thread.
 */
#ifndef RILL_OPERATOR_H
#define RILL_OPERATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#include "row/row_batch.h"
#include "row/schema.h"
#include "stream/expr.h"
#include "stream/window_agg.h"

struct operator_node;

/* What an operator holds (operator_ops.state): rows or groups kept for
 * later, and the bytes they take. */
struct operator_state {
    uint64_t entries;
    uint64_t bytes;
};

struct operator_ops {
    const char *name;
    int (*push)(struct operator_node *op, const struct row_batch *in);
    int (*advance)(struct operator_node *op,
                   int64_t watermark);      /* may be NULL */
    int (*flush)(struct operator_node *op); /* may be NULL */
    void (*destroy)(struct operator_node *op);
    /* may be NULL */
    int (*tick)(struct operator_node *op, int64_t now_ms);
    int (*snapshot)(struct operator_node *op, struct buf *out);
    int (*restore)(struct operator_node *op, const uint8_t *p, size_t n);
    /* The state it holds now (DESCRIBE, /metrics): NULL for a stateless
     * operator. Rows in and out are counted for every operator by
     * operator_emit; this is the only stats hook an operator implements. */
    void (*state)(const struct operator_node *op, struct operator_state *out);
    /* May be NULL: snapshot != NULL then means it can always write its
     * state; else whether it can now, and why not (docs/checkpoints.md). */
    bool (*checkpointable)(const struct operator_node *op, const char **why);
};

struct operator_node {
    const struct operator_ops *ops;
    const struct schema *out_schema; /* what it emits */
    struct operator_node *next;      /* downstream, or NULL */
    uint64_t rows_in, rows_out;
    int64_t watermark; /* last one carried down the chain, or INT64_MIN */
};

/* Hands b to the next operator (no-op at the end of the chain). */
int operator_emit(struct operator_node *op, const struct row_batch *b);
/* Pushes the watermark and then a flush through op and everything after. */
int operator_advance_chain(struct operator_node *op, int64_t watermark);
int operator_flush_chain(struct operator_node *op);
/* Processing time now_ms through op and everything after. */
int operator_tick_chain(struct operator_node *op, int64_t now_ms);
void operator_destroy_chain(struct operator_node *op);

/* Keeps the rows where pred is TRUE (not FALSE, not NULL). Takes
 * ownership of ctx (whose schema is `in`). pred must be BOOLEAN.
 * Returns 0 or ERR_INVALID. */
int operator_filter_create(const struct schema *in, int capacity,
                           struct expr_ctx *ctx, struct expr *pred,
                           struct operator_node **out);

/* Computes n expressions into a new schema with the given names. Takes
 * ownership of ctx. Returns 0 or ERR_INVALID (bad name, duplicate name,
 * more than SCHEMA_MAX_COLUMNS). */
int operator_project_create(const struct schema *in, int capacity,
                            struct expr_ctx *ctx, int n,
                            struct expr *const *exprs, const char *const *names,
                            struct operator_node **out);

/* Wraps a window aggregate (window_agg.h). *wa_out (may be NULL) gets the
 * operator's window_agg for stats. */
int operator_window_create(const struct schema *in,
                           const struct window_agg_config *cfg,
                           struct operator_node **out,
                           struct window_agg **wa_out);

/* Calls fn with every batch that reaches it. */
typedef int (*operator_sink_fn)(void *arg, const struct row_batch *rows);
int operator_sink_create(const struct schema *in, operator_sink_fn fn,
                         void *arg, struct operator_node **out);

#endif
