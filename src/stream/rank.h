/* rank.h - the ROW_NUMBER operators of Flink's streaming SQL: SELECT
 * DISTINCT, deduplication (keep the first or the last row per key), Top-N
 * (per key, updating) and window Top-N (per window, final), plus the
 * barrier a subquery's aggregate hands its rows through (layer: stream).
 *
 * Modes, and what each emits (docs/sql.md, "Deduplication and Top-N"):
 *
 *   DISTINCT     a row the first time its columns are seen; insert-only
 *   FIRST        per key, the row with the least event time, once the
 *                watermark passes it (final: no earlier row can come but
 *                a late one); insert-only, rn = 1
 *   LAST         per key, each row whose event time is at or above the
 *                kept one's, at once: an upsert of the key (rn = 1)
 *   TOPN         per key, the N least (ASC) / greatest (DESC) rows by the
 *                ORDER BY columns; a row entering at rank r re-emits ranks
 *                r..N: upserts of (key, rn)
 *   WINDOW_TOPN  per key and window (window_end among the keys), the N
 *                first rows by the ORDER BY columns, when the watermark
 *                passes window_end - 1; insert-only
 *
 * Invariants:
 *  1. A FIRST key is pending (its least row so far, ts > watermark) or
 *     emitted (its row went out; a row below its ts is late, counted).
 *  2. A WINDOW_TOPN group lives until the watermark passes its end - 1;
 *     a row of a closed window is late (counted, to the late callback).
 *  3. With a TTL, a key whose newest row is more than ttl behind the
 *     watermark is forgotten (event time: 'table.exec.state.ttl').
 * Not thread-safe: one task's chain.
 */
#ifndef RILL_RANK_H
#define RILL_RANK_H

#include <stdbool.h>
#include <stdint.h>

#include "row/schema.h"
#include "stream/operator.h"
#include "stream/window_agg.h"

#define RANK_MAX_KEYS SCHEMA_MAX_COLUMNS
#define RANK_MAX_ORDER 8
#define RANK_MAX_N 10000

enum rank_mode {
    RANK_DISTINCT,
    RANK_FIRST,
    RANK_LAST,
    RANK_TOPN,
    RANK_WINDOW_TOPN
};

struct rank_config {
    enum rank_mode mode;
    int nkeys; /* PARTITION BY columns (DISTINCT: every column) */
    int keys[RANK_MAX_KEYS];
    int norder; /* TOPN, WINDOW_TOPN: ORDER BY columns */
    int order[RANK_MAX_ORDER];
    bool desc[RANK_MAX_ORDER];
    int64_t n;               /* rows kept per key (TOPN, WINDOW_TOPN) */
    int window_end;          /* WINDOW_TOPN: the window_end column */
    int64_t ttl_ms;          /* 0: keys are kept for ever */
    int rank_column;         /* BIGINT column set to the row number; -1 */
    int capacity;            /* output batch rows; 0 = 1024 */
    window_agg_late_fn late; /* too-late rows (FIRST, WINDOW_TOPN) */
    void *late_arg;
};

struct rank_stats {
    uint64_t keys;    /* keys (groups) held */
    uint64_t rows;    /* rows held */
    uint64_t bytes;   /* their bytes */
    uint64_t late;    /* rows refused as late */
    uint64_t expired; /* keys forgotten by the TTL */
};

/* Makes the operator over `in` (borrowed, outlives it). Returns 0 or
 * ERR_INVALID with a reason in err. */
int rank_create(const struct schema *in, const struct rank_config *cfg,
                struct operator_node **out, char *err, size_t errlen);
void rank_stats(const struct operator_node *op, struct rank_stats *out);

/* Passes rows on unchanged but forgets the watermark each row saw
 * (meta.watermark = none): rows an aggregate emitted when the watermark
 * passed their window were produced before that watermark, so the next
 * windowed operator judges them by its own (older) watermark, as Flink
 * forwards a watermark after the rows it fired. up is the first operator
 * of the chain (may be NULL): the output held by it and every operator
 * up to this one is flushed before the watermark goes on
 * (operator_advance_chain advances every operator before it flushes any). */
int rank_barrier_create(const struct schema *in, int capacity,
                        struct operator_node *up, struct operator_node **out);

#endif
