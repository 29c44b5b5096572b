/* row_batch.c - columnar row batches (layer: row).
 *
 * All arrays of a batch live in one allocation made at creation, so adding
 * rows never allocates; only escaped or built strings go to the arena.
 */
#include "row/row_batch.h"

#include <string.h>

#include "base/err.h"
#include "base/mem.h"

#define ALIGN16(n) (((n) + 15) & ~(size_t)15)

static size_t type_width(enum schema_type t)
{
    switch (t) {
    case SCHEMA_BOOLEAN:
        return 1;
    case SCHEMA_INT:
        return 4;
    case SCHEMA_BIGINT:
    case SCHEMA_TIMESTAMP:
    case SCHEMA_DOUBLE:
        return 8;
    case SCHEMA_STRING:
        return sizeof(struct row_str);
    case SCHEMA_NULL:
        break;
    }
    return 8;
}

int row_batch_create(const struct schema *s, int capacity,
                     struct row_batch **out)
{
    *out = NULL;
    if (capacity < 1 || capacity > ROW_BATCH_MAX_CAPACITY)
        return ERR_INVALID;
    size_t cap = (size_t)capacity;
    size_t total = ALIGN16(cap * sizeof(struct row_meta));
    for (int c = 0; c < s->ncolumns; c++)
        total += ALIGN16(cap * type_width(s->columns[c].type)) + ALIGN16(cap);
    struct row_batch *b = mem_calloc(1, sizeof(*b));
    b->schema = s;
    b->ncolumns = s->ncolumns;
    b->capacity = capacity;
    b->time_column = -1;
    b->columns = mem_calloc((size_t)(s->ncolumns ? s->ncolumns : 1),
                            sizeof(struct row_column));
    b->storage = mem_calloc(1, total);
    uint8_t *p = b->storage;
    b->meta = (struct row_meta *)(void *)p;
    p += ALIGN16(cap * sizeof(struct row_meta));
    for (int c = 0; c < s->ncolumns; c++) {
        struct row_column *col = &b->columns[c];
        col->type = s->columns[c].type;
        col->data.b = p;
        p += ALIGN16(cap * type_width(col->type));
        col->nulls = p;
        p += ALIGN16(cap);
    }
    arena_init(&b->arena, 64 * 1024);
    *out = b;
    return 0;
}

void row_batch_destroy(struct row_batch *b)
{
    if (!b)
        return;
    arena_fini(&b->arena);
    mem_free(b->storage);
    mem_free(b->columns);
    mem_free(b);
}

void row_batch_reset(struct row_batch *b)
{
    b->nrows = 0;
    arena_reset(&b->arena);
}

int row_batch_set_time_column(struct row_batch *b, int column)
{
    if (column < 0) {
        b->time_column = -1;
        return 0;
    }
    if (column >= b->ncolumns)
        return ERR_INVALID;
    enum schema_type t = b->columns[column].type;
    if (t != SCHEMA_TIMESTAMP && t != SCHEMA_BIGINT)
        return ERR_INVALID;
    b->time_column = column;
    return 0;
}

int row_batch_begin_row(struct row_batch *b)
{
    if (b->nrows >= b->capacity)
        return ERR_TOO_LARGE;
    return b->nrows;
}

void row_batch_commit_row(struct row_batch *b, const struct row_meta *meta)
{
    int r = b->nrows;
    struct row_meta *m = &b->meta[r];
    if (meta) {
        *m = *meta;
    } else {
        m->offset = m->record_ts = -1;
        m->partition = -1;
        m->watermark = INT64_MIN;
    }
    m->event_ts = m->record_ts;
    int tc = b->time_column;
    if (tc >= 0 && !b->columns[tc].nulls[r])
        m->event_ts = b->columns[tc].data.i64[r];
    b->nrows = r + 1;
}

void row_batch_view(const struct row_batch *b, int from, int n,
                    struct row_batch *out, struct row_column *cols)
{
    *out = *b;
    out->nrows = n;
    out->capacity = n;
    out->meta = b->meta + from;
    out->storage = NULL;
    for (int c = 0; c < b->ncolumns; c++) {
        const struct row_column *s = &b->columns[c];
        cols[c] = *s;
        cols[c].nulls = s->nulls + from;
        switch (s->type) {
        case SCHEMA_BOOLEAN:
            cols[c].data.b = s->data.b + from;
            break;
        case SCHEMA_INT:
            cols[c].data.i32 = s->data.i32 + from;
            break;
        case SCHEMA_DOUBLE:
            cols[c].data.f64 = s->data.f64 + from;
            break;
        case SCHEMA_STRING:
            cols[c].data.str = s->data.str + from;
            break;
        default:
            cols[c].data.i64 = s->data.i64 + from;
            break;
        }
    }
    out->columns = cols;
}

struct value row_batch_get(const struct row_batch *b, int row, int col)
{
    const struct row_column *c = &b->columns[col];
    if (c->nulls[row])
        return value_null();
    switch (c->type) {
    case SCHEMA_BOOLEAN:
        return value_bool(c->data.b[row] != 0);
    case SCHEMA_INT:
        return value_int(c->data.i32[row]);
    case SCHEMA_BIGINT:
        return value_bigint(c->data.i64[row]);
    case SCHEMA_TIMESTAMP:
        return value_timestamp(c->data.i64[row]);
    case SCHEMA_DOUBLE:
        return value_double(c->data.f64[row]);
    case SCHEMA_STRING:
        return value_string(c->data.str[row].ptr, c->data.str[row].len);
    case SCHEMA_NULL:
        break;
    }
    return value_null();
}

int row_batch_set(struct row_batch *b, int row, int col, struct value v)
{
    if (row < 0 || row >= b->capacity || col < 0 || col >= b->ncolumns)
        return ERR_INVALID;
    struct row_column *c = &b->columns[col];
    if (v.type == SCHEMA_NULL) {
        c->nulls[row] = 1;
        return 0;
    }
    if (v.type != c->type)
        return ERR_INVALID;
    c->nulls[row] = 0;
    switch (c->type) {
    case SCHEMA_BOOLEAN:
        c->data.b[row] = v.u.b ? 1 : 0;
        break;
    case SCHEMA_INT:
        c->data.i32[row] = v.u.i32;
        break;
    case SCHEMA_BIGINT:
    case SCHEMA_TIMESTAMP:
        c->data.i64[row] = v.u.i64;
        break;
    case SCHEMA_DOUBLE:
        c->data.f64[row] = v.u.f64;
        break;
    case SCHEMA_STRING:
        c->data.str[row] = v.u.str;
        break;
    case SCHEMA_NULL:
        break;
    }
    return 0;
}

int row_batch_append(struct row_batch *b, const struct value *values,
                     const struct row_meta *meta, bool copy_strings)
{
    int r = row_batch_begin_row(b);
    if (r < 0)
        return r;
    for (int c = 0; c < b->ncolumns; c++)
        if (values[c].type != SCHEMA_NULL &&
            values[c].type != b->columns[c].type)
            return ERR_INVALID;
    for (int c = 0; c < b->ncolumns; c++) {
        struct value v = values[c];
        if (copy_strings && v.type == SCHEMA_STRING)
            v.u.str.ptr = row_batch_copy(b, v.u.str.ptr, v.u.str.len);
        row_batch_set(b, r, c, v);
    }
    row_batch_commit_row(b, meta);
    return r;
}

const char *row_batch_copy(struct row_batch *b, const char *p, size_t n)
{
    char *d = arena_alloc(&b->arena, n ? n : 1);
    if (n)
        memcpy(d, p, n);
    return d;
}
