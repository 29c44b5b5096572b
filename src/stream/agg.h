/* agg.h - aggregate functions as fixed-size states in a group slot
 * (layer: stream).
 *
 * Each aggregate of a query is compiled once (agg_compile) to its state
 * size; the window operator lays the states of all aggregates of a group
 * out back to back in one slot and calls agg_update_batch once per
 * aggregate per input batch with one state pointer per row (NULL: skip the
 * row), so the per-aggregate loop runs over a whole batch. NULL inputs are
 * ignored (COUNT(*) counts every row). Results follow SQL: NULL when no
 * non-NULL input was seen (COUNT gives 0).
 *
 * States that need heap memory (COUNT DISTINCT's hash set, the percentile
 * sketch, MIN/MAX/FIRST/LAST of strings) own it and release it in
 * agg_fini; everything else is plain bytes. Variance uses Welford's
 * update and Chan's merge. COUNT(DISTINCT x) is exact up to collisions of
 * 64-bit hashes. PERCENTILE is approximate: a DDSketch-style log-bucket
 * histogram with 1% relative accuracy (documented in docs/stream.md).
 * Not thread-safe; states belong to one operator.
 */
#ifndef RILL_AGG_H
#define RILL_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "row/row_batch.h"
#include "row/schema.h"

enum agg_func {
    AGG_COUNT_STAR,
    AGG_COUNT,
    AGG_COUNT_DISTINCT,
    AGG_SUM,
    AGG_AVG,
    AGG_MIN,
    AGG_MAX,
    AGG_STDDEV_POP,
    AGG_STDDEV_SAMP,
    AGG_VAR_POP,
    AGG_VAR_SAMP,
    AGG_FIRST_VALUE, /* by event time; ties keep the earlier arrival */
    AGG_LAST_VALUE,  /* by event time; ties keep the later arrival */
    AGG_PERCENTILE,  /* approximate; param = fraction in [0, 1] */
};

/* What the planner asks for. column: input column (ignored by COUNT(*)).
 * name: the output column name ("" gives the function's name). */
struct agg_spec {
    enum agg_func func;
    int column;
    double param;
    char name[SCHEMA_NAME_MAX];
};

/* A compiled aggregate. */
struct agg {
    struct agg_spec spec;
    enum schema_type in_type, out_type;
    uint32_t offset; /* of its state in the group slot (set by the caller) */
    uint32_t size;   /* state bytes, a multiple of 8 (0 when shared) */
    /* A COUNT(column) with no state of its own: it reads the count that
     * another aggregate of the slot keeps over the same column (see
     * agg_count_holder); init, update, merge and fini skip it. */
    bool shared;
};

/* Checks spec against the input schema and fills a (offset 0). Returns 0 or
 * ERR_INVALID (bad column, a numeric aggregate over a non-number, a
 * percentile outside [0, 1]). */
int agg_compile(struct agg *a, const struct agg_spec *spec,
                const struct schema *in);

/* Sets a state to "no input yet": zero bytes, except DOUBLE MIN/MAX
 * (a NaN marker), for which agg_needs_init() is true. */
void agg_init(const struct agg *a, void *slot);
bool agg_needs_init(const struct agg *a);

/* For every row i < n with slots[i] != NULL, adds cell i of col (event time
 * ts[i]) to the state at slots[i] + a->offset. col may be NULL for
 * COUNT(*). */
void agg_update_batch(const struct agg *a, const struct row_column *col, int n,
                      uint8_t *const *slots, const int64_t *ts);

/* Folds the state in src into dst (session merging); src is then finished
 * (its heap parts moved or freed). */
void agg_merge(const struct agg *a, void *dst_slot, void *src_slot);

/* Writes the result into cell (row, col) of out; strings are copied into
 * out's arena. */
void agg_result(const struct agg *a, const void *slot, struct row_batch *out,
                int row, int col);

/* Frees the state's heap parts (no-op for plain states). */
void agg_fini(const struct agg *a, void *slot);

/* Heap bytes held by the state (memory accounting). */
size_t agg_heap_bytes(const struct agg *a, const void *slot);

/* The index of an aggregate in aggs[0..n) whose state begins with int64 n,
 * the number of non-NULL inputs of `column` it has seen (SUM, AVG,
 * VAR/STDDEV, non-DOUBLE MIN/MAX, FIRST/LAST; never a COUNT), or -1. The
 * caller may then mark a COUNT(column) of the same slot shared, with size 0
 * and that aggregate's offset: 8 bytes less per group. */
int agg_count_holder(const struct agg *aggs, int n, int column);

const char *agg_func_name(enum agg_func f);

#endif
