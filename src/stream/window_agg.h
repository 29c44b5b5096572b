/* window_agg.h - the window aggregate operator: GROUP BY key columns and a
 * window, with event-time emission and late-data handling (layer: stream).
 *
 * Input: row batches whose meta.event_ts is the event time and
 * meta.partition the input partition. Output: rows of
 *   key columns..., window_start, window_end (TIMESTAMP), aggregates...
 * (no window columns for WINDOW_NONE, a plain GROUP BY) into output
 * batches handed to the emit callback when full or on window_agg_flush().
 *
 * Emission (Flink's rules, docs/stream.md has a timeline):
 *  - A window [start, end) fires when the watermark >= end - 1.
 *  - Its state is kept until the watermark >= end - 1 + allowed_lateness,
 *    then purged.
 *  - A row is too late for a window when end - 1 + allowed_lateness <=
 *    watermark at its arrival. Too-late rows go to the late callback and
 *    are counted per operator and per input partition; never dropped
 *    silently. A HOP/CUMULATE row that is too late for some of its windows
 *    but not others updates those still open and is reported late once.
 *  - EMIT FINAL: one row per window when it fires; a later row within the
 *    allowed lateness updates the fired window and re-emits it (an updated
 *    final row) at the end of that input batch.
 *  - EMIT FINAL with final_after_lateness: one row per window, when the
 *    watermark >= end - 1 + allowed_lateness, and nothing after.
 *  - EMIT CHANGES: after each input batch, one updated row per window that
 *    changed in it (including by late rows); nothing more when it fires.
 *    WINDOW_NONE always emits changes and never purges.
 * Sessions (WINDOW_SESSION) are kept per key and merged when a row's
 * [ts, ts + gap) touches or overlaps two or more (Flink's rule).
 *
 * State: one slot per (key, window) in a dense array with a free list;
 * (key id, window start) -> slot in an open-addressing table; keys are
 * interned once in a per-operator arena (a key id per distinct key); a
 * min-heap of timers, one per distinct due time (a bucket chaining the
 * windows due then; sessions have one per slot). No allocation per row in
 * steady state.
 * Not thread-safe: one operator per task.
 */
#ifndef RILL_WINDOW_AGG_H
#define RILL_WINDOW_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "row/row_batch.h"
#include "row/schema.h"
#include "stream/agg.h"
#include "stream/window.h"

#define WINDOW_AGG_MAX_KEYS 8
#define WINDOW_AGG_MAX_AGGS 32

enum emit_mode { EMIT_FINAL, EMIT_CHANGES };

/* Called with one too-late input row (the batch is borrowed). */
typedef void (*window_agg_late_fn)(void *arg, const struct row_batch *in,
                                   int row);
/* Called with a full (or flushed) output batch, borrowed for the call.
 * A negative return stops the operator's call and is returned by it. */
typedef int (*window_agg_emit_fn)(void *arg, const struct row_batch *out);

struct window_agg_config {
    struct window_spec window;
    int nkeys;
    int keys[WINDOW_AGG_MAX_KEYS]; /* input column indexes */
    int naggs;
    struct agg_spec aggs[WINDOW_AGG_MAX_AGGS];
    int64_t allowed_lateness_ms;
    enum emit_mode emit;
    /* EMIT FINAL only: fire once, when the watermark >= end - 1 +
     * allowed_lateness (rows within the lateness update the window before
     * it fires; exactly one row per window, never an update). Default
     * false: Flink's early firing at end - 1 plus updated final rows. */
    bool final_after_lateness;
    int output_capacity; /* rows per output batch; 0 = 1024 */
    window_agg_late_fn late;
    void *late_arg;
};

struct window_agg_stats {
    uint64_t rows_in;
    uint64_t rows_late;        /* too late: sent to the late output */
    uint64_t rows_late_within; /* rows that updated a fired window */
    uint64_t windows_fired;
    uint64_t windows_fired_by_key; /* of those, on a key's own watermark */
    uint64_t windows_purged;
    uint64_t rows_emitted;
    uint64_t sessions_merged;
    uint64_t groups_live; /* (key, window) states held now */
    uint64_t keys;        /* distinct keys interned */
    size_t state_bytes;   /* slots + table + timers + key arena + heap */
};

struct window_agg;

/* in: input schema (borrowed, outlives the operator). Returns 0 or
 * ERR_INVALID (bad window, key column or aggregate; windows and session
 * gaps are at most 2^32 - 1 ms, about 49.7 days, and a session stops
 * growing at that length: later rows start a new one). */
int window_agg_create(const struct schema *in,
                      const struct window_agg_config *cfg,
                      window_agg_emit_fn emit, void *emit_arg,
                      struct window_agg **out);
void window_agg_destroy(struct window_agg *wa);

/* The output schema (owned by the operator). */
const struct schema *window_agg_schema(const struct window_agg *wa);

/* Adds a batch (meta.event_ts, meta.partition are used). Returns 0, an
 * emit error, ERR_INVALID (wrong schema) or ERR_TOO_LARGE (more than
 * 2^29 - 1 distinct keys in one operator; rows before the first new key
 * past the limit are not aggregated either). */
int window_agg_push(struct window_agg *wa, const struct row_batch *in);
/* The watermark moved to wm: fires and purges windows. Monotonic; a
 * smaller wm is ignored. */
int window_agg_advance(struct window_agg *wa, int64_t wm);
/* Hands the partly filled output batch to the emit callback. */
int window_agg_flush(struct window_agg *wa);

/* Per-key watermarks ('watermark.per-key'; the group keys include the
 * stream's key, so every group is one device): each group has its own
 * watermark, its largest event time minus delay_ms. A group's window fires
 * when max(its own watermark, the operator's) passes it, and a row is late
 * only against that same maximum: another group's clock neither makes it
 * late nor holds its windows back; the operator's watermark (the floor,
 * from window_agg_advance) still fires and purges everything. TUMBLE, HOP
 * and CUMULATE; before the first push. Returns 0 or ERR_INVALID. */
int window_agg_set_per_key(struct window_agg *wa, int64_t delay_ms);

int64_t window_agg_watermark(const struct window_agg *wa);
void window_agg_stats(const struct window_agg *wa,
                      struct window_agg_stats *out);
/* Too-late rows from one input partition. */
uint64_t window_agg_late_count(const struct window_agg *wa, int partition);

/* Checkpoints (docs/checkpoints.md). Whether the state can be written
 * (not with COUNT(DISTINCT), PERCENTILE, or MIN/MAX/FIRST/LAST of strings,
 * whose states own heap memory: *why says which); the snapshot appended
 * to out (ERR_UNSUPPORTED when not); restore into an operator that holds
 * nothing yet (ERR_CORRUPT: not a snapshot of this configuration). */
bool window_agg_checkpointable(const struct window_agg *wa, const char **why);
int window_agg_snapshot(const struct window_agg *wa, struct buf *out);
int window_agg_restore(struct window_agg *wa, const uint8_t *p, size_t n);

#endif
