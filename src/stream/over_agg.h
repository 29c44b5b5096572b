/* over_agg.h - the OVER aggregate operator: per-row aggregates over a frame
 * of the rows before it with the same key, in event-time order, and the
 * per-key anomaly functions (layer: stream).
 *
 * SQL: agg(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN n PRECEDING
 * AND CURRENT ROW | RANGE BETWEEN INTERVAL 'd' PRECEDING AND CURRENT ROW |
 * ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW). Like Flink, rows are
 * held until the watermark passes their event time, then released in
 * event-time order (ties: arrival order), each with its aggregates appended
 * as new columns. A row whose event time is at or below the watermark when
 * it arrives is too late (its frame was computed already): it goes to the
 * late callback (EMIT LATE INTO) and is counted, never silently dropped.
 * RANGE frames include the current row's peers (rows of the same key with
 * the same event time). The formulas of the anomaly functions are in
 * docs/sql.md ("OVER aggregations").
 *
 * Output schema: the input columns, then one column per aggregate.
 * Not thread-safe: one operator per task.
 */
#ifndef RILL_OVER_AGG_H
#define RILL_OVER_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "row/row_batch.h"
#include "row/schema.h"
#include "stream/operator.h"

#define OVER_AGG_MAX_KEYS 8
#define OVER_AGG_MAX_AGGS 32
/* Rows a frame may hold per key (ROWS n: n + 1 at most this; RANGE: the
 * push fails with ERR_TOO_LARGE past it, naming the limit). */
#define OVER_AGG_FRAME_MAX 65536

enum over_func {
    OVER_COUNT_STAR,
    OVER_COUNT,
    OVER_SUM,
    OVER_AVG,
    OVER_MIN,
    OVER_MAX,
    OVER_STDDEV_POP,
    OVER_STDDEV_SAMP,
    OVER_VAR_POP,
    OVER_VAR_SAMP,
    OVER_FIRST_VALUE,
    OVER_LAST_VALUE,
    /* anomaly functions (docs/sql.md has the formulas) */
    OVER_EWMA,       /* p1 = alpha in (0, 1]; recursive, no frame */
    OVER_EWM_STDDEV, /* p1 = alpha */
    OVER_ZSCORE,     /* against the frame's other rows */
    OVER_MAD_SCORE,  /* robust: median and MAD of the frame's other rows */
    OVER_CUSUM,      /* p1 = k (slack), p2 = h (threshold) */
};

enum over_frame {
    OVER_FRAME_ROWS,      /* preceding = n rows before the current one */
    OVER_FRAME_RANGE,     /* preceding = milliseconds of event time */
    OVER_FRAME_UNBOUNDED, /* every row of the key so far (ROWS) */
};

struct over_agg_spec {
    enum over_func func;
    int column; /* input column; -1 for COUNT(*) */
    enum over_frame frame;
    int64_t preceding;
    double p1, p2;
    char name[SCHEMA_NAME_MAX]; /* output column */
};

/* Called with one too-late input row (the batch is borrowed). */
typedef void (*over_agg_late_fn)(void *arg, const struct row_batch *in,
                                 int row);

struct over_agg_config {
    int nkeys;
    int keys[OVER_AGG_MAX_KEYS]; /* PARTITION BY input columns */
    int naggs;
    struct over_agg_spec aggs[OVER_AGG_MAX_AGGS];
    int output_capacity; /* rows per output batch; 0 = 1024 */
    over_agg_late_fn late;
    void *late_arg;
};

struct over_agg_stats {
    uint64_t rows_in;
    uint64_t rows_late;    /* too late: sent to the late callback */
    uint64_t rows_emitted; /* released with their aggregates */
    uint64_t rows_pending; /* held until the watermark passes them */
    uint64_t keys;
    size_t state_bytes; /* frames, key states, pending rows */
};

/* Checks cfg against the input schema (aggregates over numbers, except
 * COUNT; parameters in range; ROWS n + 1 <= OVER_AGG_FRAME_MAX) and makes
 * the operator. Returns 0 or ERR_INVALID with a reason in err (may be
 * NULL). in is borrowed and must outlive the operator. */
int over_agg_create(const struct schema *in, const struct over_agg_config *cfg,
                    struct operator_node **out, char *err, size_t errlen);

/* Counters of an operator made by over_agg_create. */
void over_agg_stats(const struct operator_node *op, struct over_agg_stats *out);

const char *over_func_name(enum over_func f);

#endif
