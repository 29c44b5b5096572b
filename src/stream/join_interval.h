/* join_interval.h - the interval join of two streams on an equality key
 * (layer: stream).
 *
 * One operator takes the rows of both inputs, in one schema (the planner
 * lines the two streams up in it: a side column, the event time, the key
 * columns shared by both sides, then each side's own columns), and joins
 * a left row l with a right row r when their keys are equal (no NULL
 * matches) and lower <= l.ts - r.ts <= upper (event times). INNER emits
 * the pairs; LEFT/RIGHT/FULL also emit a row unmatched when the watermark
 * closes its interval (no later row of the other side can match it),
 * padded with NULLs. State is bounded by the watermark: a row is kept
 * until that moment and no longer. A row at or below the watermark it saw
 * (row_meta.watermark) is too late: counted, handed to the late callback
 * (EMIT LATE INTO) as a row of its own stream, never joined. Rules and
 * layout: docs/joins.md. Not thread-safe: one task's chain.
 */
#ifndef RILL_JOIN_INTERVAL_H
#define RILL_JOIN_INTERVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "row/row_batch.h"
#include "row/schema.h"
#include "stream/operator.h"
#include "stream/window_agg.h"

#define JOIN_MAX_KEYS 8

enum join_type { JOIN_INNER, JOIN_LEFT, JOIN_RIGHT, JOIN_FULL };

/* One input of the join, as it sits in the operator's input schema. */
struct join_side {
    int ncolumns;                    /* the stream's own columns */
    int columns[SCHEMA_MAX_COLUMNS]; /* where each is in the input */
    /* the stream's own schema (late rows are handed over in it); may be
     * NULL: late rows are handed over as input rows */
    const struct schema *schema;
};

struct interval_join_config {
    enum join_type type;
    int side_column; /* INT: 0 for a left row, 1 for a right row */
    int nkeys;
    int keys[JOIN_MAX_KEYS];    /* input columns holding the key, both sides */
    int64_t lower_ms, upper_ms; /* left.ts - right.ts in [lower, upper] */
    struct join_side side[2];   /* 0: left, 1: right */
    /* output: left's columns then right's, named here (borrowed for the
     * call), typed as the input columns they come from */
    const char *const *names;
    /* A window join (TUMBLE of window_size_ms, window_offset_ms; 0: an
     * interval join): a row's time is its window's end - 1 instead of its
     * event time (so rows pair within one window with lower = upper = 0,
     * are late once their window closed, and unmatched ones are emitted
     * when it closes), and each side's output columns end with its
     * window_start and window_end (TIMESTAMP; names follow its columns') */
    int64_t window_size_ms, window_offset_ms;
    /* A temporal join (FOR SYSTEM_TIME AS OF, INNER or LEFT): the right
     * side is a versioned table; a left row waits until the watermark
     * reaches its time, then joins the version of its key with the
     * largest time at or below its own (ties: the last to arrive); a
     * version is dropped once a newer one is at or below the watermark.
     * lower/upper are not used. */
    bool temporal;
    window_agg_late_fn late; /* too-late rows; may be NULL */
    void *late_arg;
};

struct interval_join_stats {
    uint64_t rows_late;   /* too late: not joined */
    uint64_t pairs;       /* joined rows emitted */
    uint64_t unmatched;   /* NULL-padded rows emitted (outer joins) */
    uint64_t live_rows;   /* rows held in state now */
    uint64_t state_bytes; /* bytes of row data held now */
};

struct interval_join;

/* Returns 0 or ERR_INVALID (bad columns, keys, bounds or names). *j (may
 * be NULL) borrows the operator for stats. */
int operator_interval_join_create(const struct schema *in, int capacity,
                                  const struct interval_join_config *cfg,
                                  struct operator_node **out,
                                  struct interval_join **j);
void interval_join_stats(const struct interval_join *j,
                         struct interval_join_stats *out);

#endif
