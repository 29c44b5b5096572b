/* row_batch.h - a bounded batch of rows, stored by column (layer: row).
 *
 * Layout: one array per column (values of one type, packed) plus one byte
 * per cell for NULL, plus one struct row_meta per row (event time, Kafka
 * partition, offset, record timestamp). Operators read column `c` of rows
 * [0, nrows) in a tight loop: `b->columns[c].data.f64[i]`. See
 * docs/formats.md for why columns.
 *
 * Ownership: the batch owns its arrays and an arena. String cells are slices
 * either into the caller's input buffer (which must stay valid until the
 * batch is reset) or into the arena. row_batch_reset() is the one point
 * where rows and arena memory are released. Capacity is fixed at creation.
 * A batch belongs to one thread at a time.
 */
#ifndef RILL_ROW_BATCH_H
#define RILL_ROW_BATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "row/schema.h"
#include "row/value.h"

#define ROW_BATCH_MAX_CAPACITY 65536
/* Decoders refuse larger record values (string lengths are 32-bit). */
#define ROW_RECORD_MAX ((size_t)1 << 30)

struct row_meta {
    int64_t event_ts;  /* event time (ms): time column, else record_ts */
    int64_t offset;    /* Kafka offset of the source record, -1 if none */
    int64_t record_ts; /* Kafka record timestamp (ms), -1 if none */
    int32_t partition; /* Kafka partition of the source record, -1 if none */
    /* The watermark this row saw: the query's, advanced record by record
     * in offset order over the records before it (docs/planner.md,
     * "Watermarks record by record"); INT64_MIN if none. */
    int64_t watermark;
};

struct row_column {
    enum schema_type type;
    uint8_t *nulls; /* nulls[i] != 0: row i is NULL in this column */
    union {
        uint8_t *b; /* BOOLEAN, 0 or 1 */
        int32_t *i32;
        int64_t *i64; /* BIGINT, TIMESTAMP */
        double *f64;
        struct row_str *str;
    } data;
};

struct row_batch {
    const struct schema *schema; /* borrowed; outlives the batch */
    int ncolumns;
    int nrows;
    int capacity;
    int time_column; /* column giving event_ts, or -1 (use record_ts) */
    struct row_column *columns;
    struct row_meta *meta;
    struct arena arena;
    void *storage;
};

/* Allocates a batch for `capacity` rows (1..ROW_BATCH_MAX_CAPACITY) of
 * schema s; ERR_INVALID otherwise. */
int row_batch_create(const struct schema *s, int capacity,
                     struct row_batch **out);
void row_batch_destroy(struct row_batch *b);

/* Forgets every row and frees the arena: the one visible release point. */
void row_batch_reset(struct row_batch *b);

/* Column whose value becomes meta.event_ts on commit (TIMESTAMP or BIGINT),
 * or -1. Returns ERR_INVALID for another type. */
int row_batch_set_time_column(struct row_batch *b, int column);

static inline bool row_batch_full(const struct row_batch *b)
{
    return b->nrows >= b->capacity;
}

/* Decoder protocol: row_batch_begin_row() returns the index of the next
 * row (== nrows) or ERR_TOO_LARGE when the batch is full; the decoder
 * writes every column of that row, then row_batch_commit_row() copies meta
 * (may be NULL: all -1), derives event_ts and makes the row visible. An
 * abandoned row is simply never committed. */
int row_batch_begin_row(struct row_batch *b);
void row_batch_commit_row(struct row_batch *b, const struct row_meta *meta);

/* Reads cell (row, col) as a value. */
struct value row_batch_get(const struct row_batch *b, int row, int col);

/* Writes cell (row, col); v must be NULL or the column's type. A string
 * slice is stored as is (see ownership above). Returns 0 or ERR_INVALID. */
int row_batch_set(struct row_batch *b, int row, int col, struct value v);

/* Appends one row from values[0..ncolumns) (each NULL or of its column's
 * type) and commits it with meta: how operators emit rows. With
 * copy_strings, string values are copied into this batch's arena so they
 * outlive the batch they came from. Returns the row index, ERR_TOO_LARGE
 * when full, or ERR_INVALID for a type mismatch (nothing added). */
int row_batch_append(struct row_batch *b, const struct value *values,
                     const struct row_meta *meta, bool copy_strings);

/* A view of rows [from, from + n) of b, for an operator that handles a
 * batch in parts: *out shares b's cells (cols, SCHEMA_MAX_COLUMNS
 * entries, holds the column pointers); never reset or write a view. */
void row_batch_view(const struct row_batch *b, int from, int n,
                    struct row_batch *out, struct row_column *cols);

/* Copies n bytes into the batch's arena and returns the copy. */
const char *row_batch_copy(struct row_batch *b, const char *p, size_t n);

#endif
