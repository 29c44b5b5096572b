/* operator.c - filter, project, window aggregate and sink operators and
 * the chain helpers (layer: stream).
 *
 * Filter and project write into their own output batch: filter copies the
 * selected rows' cells column by column (string slices are copied as
 * slices, still borrowed from the input), project copies each
 * expression's result column. Both keep each row's meta (event time,
 * partition, offset), so event time survives projection.
 */
#include "stream/operator.h"

#include <string.h>

#include "base/err.h"
#include "base/mem.h"

int operator_emit(struct operator_node *op, const struct row_batch *b)
{
    op->rows_out += (uint64_t)b->nrows;
    if (!op->next || b->nrows == 0)
        return 0;
    op->next->rows_in += (uint64_t)b->nrows;
    return op->next->ops->push(op->next, b);
}

int operator_advance_chain(struct operator_node *op, int64_t watermark)
{
    for (; op; op = op->next) {
        if (watermark > op->watermark)
            op->watermark = watermark;
        if (op->ops->advance) {
            int rc = op->ops->advance(op, watermark);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int operator_flush_chain(struct operator_node *op)
{
    for (; op; op = op->next) {
        if (op->ops->flush) {
            int rc = op->ops->flush(op);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int operator_tick_chain(struct operator_node *op, int64_t now_ms)
{
    for (; op; op = op->next) {
        if (op->ops->tick) {
            int rc = op->ops->tick(op, now_ms);
            if (rc)
                return rc;
        }
    }
    return 0;
}

void operator_destroy_chain(struct operator_node *op)
{
    while (op) {
        struct operator_node *next = op->next;
        op->ops->destroy(op);
        op = next;
    }
}

static size_t type_size(enum schema_type t)
{
    switch (t) {
    case SCHEMA_BOOLEAN:
        return 1;
    case SCHEMA_INT:
        return 4;
    case SCHEMA_STRING:
        return sizeof(struct row_str);
    default:
        return 8;
    }
}

/* --- filter ------------------------------------------------------------ */

struct filter_op {
    struct operator_node base;
    struct expr_ctx *ctx;
    struct expr *pred;
    struct row_batch *out;
};

static int filter_push(struct operator_node *op, const struct row_batch *in)
{
    struct filter_op *f = (struct filter_op *)op;
    struct expr_result r;
    expr_ctx_reset(f->ctx);
    expr_ctx_set_watermark(f->ctx, op->watermark);
    int rc = expr_eval(f->ctx, f->pred, in, &r);
    if (rc)
        return rc;
    const uint8_t *nl = r.col->nulls, *v = r.col->data.b;
    struct row_batch *o = f->out;
    row_batch_reset(o);
    int n = 0;
    bool all_null = r.col->type == SCHEMA_NULL;
    for (int i = 0; i < in->nrows; i++) {
        if (all_null || nl[i] || !v[i])
            continue;
        for (int c = 0; c < in->ncolumns; c++) {
            const struct row_column *src = &in->columns[c];
            struct row_column *dst = &o->columns[c];
            size_t sz = type_size(src->type);
            dst->nulls[n] = src->nulls[i];
            memcpy((uint8_t *)dst->data.b + (size_t)n * sz,
                   (const uint8_t *)src->data.b + (size_t)i * sz, sz);
        }
        o->meta[n] = in->meta[i];
        n++;
    }
    o->nrows = n;
    return operator_emit(op, o);
}

static void filter_destroy(struct operator_node *op)
{
    struct filter_op *f = (struct filter_op *)op;
    expr_ctx_destroy(f->ctx);
    row_batch_destroy(f->out);
    mem_free(f);
}

static const struct operator_ops filter_ops = {
    .name = "filter", .push = filter_push, .destroy = filter_destroy};

int operator_filter_create(const struct schema *in, int capacity,
                           struct expr_ctx *ctx, struct expr *pred,
                           struct operator_node **out)
{
    if (!ctx || !pred ||
        (expr_type(pred) != SCHEMA_BOOLEAN && expr_type(pred) != SCHEMA_NULL)) {
        expr_ctx_destroy(ctx);
        return ERR_INVALID;
    }
    struct filter_op *f = mem_calloc(1, sizeof(*f));
    if (row_batch_create(in, capacity, &f->out) != 0) {
        expr_ctx_destroy(ctx);
        mem_free(f);
        return ERR_INVALID;
    }
    f->base.ops = &filter_ops;
    f->base.watermark = INT64_MIN;
    f->base.out_schema = in;
    f->ctx = ctx;
    f->pred = pred;
    *out = &f->base;
    return 0;
}

/* --- project ----------------------------------------------------------- */

struct project_op {
    struct operator_node base;
    struct expr_ctx *ctx;
    int n;
    struct expr *exprs[SCHEMA_MAX_COLUMNS];
    struct schema schema;
    struct row_batch *out;
};

static int project_push(struct operator_node *op, const struct row_batch *in)
{
    struct project_op *p = (struct project_op *)op;
    struct row_batch *o = p->out;
    row_batch_reset(o);
    expr_ctx_reset(p->ctx);
    expr_ctx_set_watermark(p->ctx, op->watermark);
    int n = in->nrows;
    for (int c = 0; c < p->n; c++) {
        struct expr_result r;
        int rc = expr_eval(p->ctx, p->exprs[c], in, &r);
        if (rc)
            return rc;
        struct row_column *dst = &o->columns[c];
        if (r.col->type == SCHEMA_NULL || r.type == SCHEMA_NULL) {
            memset(dst->nulls, 1, (size_t)n);
            continue;
        }
        memcpy(dst->nulls, r.col->nulls, (size_t)n);
        memcpy(dst->data.b, r.col->data.b, (size_t)n * type_size(dst->type));
    }
    memcpy(o->meta, in->meta, (size_t)n * sizeof(*o->meta));
    o->nrows = n;
    return operator_emit(op, o);
}

static void project_destroy(struct operator_node *op)
{
    struct project_op *p = (struct project_op *)op;
    expr_ctx_destroy(p->ctx);
    row_batch_destroy(p->out);
    mem_free(p);
}

static const struct operator_ops project_ops = {
    .name = "project", .push = project_push, .destroy = project_destroy};

int operator_project_create(const struct schema *in, int capacity,
                            struct expr_ctx *ctx, int n,
                            struct expr *const *exprs, const char *const *names,
                            struct operator_node **out)
{
    (void)in;
    if (!ctx || n <= 0 || n > SCHEMA_MAX_COLUMNS) {
        expr_ctx_destroy(ctx);
        return ERR_INVALID;
    }
    struct project_op *p = mem_calloc(1, sizeof(*p));
    schema_init(&p->schema);
    for (int c = 0; c < n; c++) {
        if (!exprs[c] || !names[c])
            goto out_free;
        enum schema_type t = expr_type(exprs[c]);
        if (t == SCHEMA_NULL)
            t = SCHEMA_BIGINT;
        if (schema_add(&p->schema, names[c], t, true, NULL) < 0)
            goto out_free;
        p->exprs[c] = exprs[c];
    }
    p->n = n;
    if (row_batch_create(&p->schema, capacity, &p->out) != 0)
        goto out_free;
    p->base.ops = &project_ops;
    p->base.watermark = INT64_MIN;
    p->base.out_schema = &p->schema;
    p->ctx = ctx;
    *out = &p->base;
    return 0;
out_free:
    expr_ctx_destroy(ctx);
    mem_free(p);
    return ERR_INVALID;
}

/* --- window aggregate -------------------------------------------------- */

struct window_op {
    struct operator_node base;
    struct window_agg *wa;
};

static int window_emit(void *arg, const struct row_batch *out)
{
    return operator_emit(arg, out);
}

static int window_push(struct operator_node *op, const struct row_batch *in)
{
    return window_agg_push(((struct window_op *)op)->wa, in);
}

static int window_advance(struct operator_node *op, int64_t wm)
{
    return window_agg_advance(((struct window_op *)op)->wa, wm);
}

static int window_flush(struct operator_node *op)
{
    return window_agg_flush(((struct window_op *)op)->wa);
}

static void window_destroy(struct operator_node *op)
{
    window_agg_destroy(((struct window_op *)op)->wa);
    mem_free(op);
}

static void window_state(const struct operator_node *op,
                         struct operator_state *out)
{
    struct window_agg_stats st;
    window_agg_stats(((const struct window_op *)op)->wa, &st);
    out->entries = st.groups_live;
    out->bytes = st.state_bytes;
}

static int window_snapshot(struct operator_node *op, struct buf *out)
{
    return window_agg_snapshot(((struct window_op *)op)->wa, out);
}

static int window_restore(struct operator_node *op, const uint8_t *p, size_t n)
{
    return window_agg_restore(((struct window_op *)op)->wa, p, n);
}

static bool window_checkpointable(const struct operator_node *op,
                                  const char **why)
{
    return window_agg_checkpointable(((const struct window_op *)op)->wa, why);
}

static const struct operator_ops window_ops = {.name = "window_agg",
                                               .checkpointable =
                                                   window_checkpointable,
                                               .snapshot = window_snapshot,
                                               .restore = window_restore,
                                               .push = window_push,
                                               .advance = window_advance,
                                               .flush = window_flush,
                                               .destroy = window_destroy,
                                               .state = window_state};

int operator_window_create(const struct schema *in,
                           const struct window_agg_config *cfg,
                           struct operator_node **out,
                           struct window_agg **wa_out)
{
    struct window_op *w = mem_calloc(1, sizeof(*w));
    int rc = window_agg_create(in, cfg, window_emit, &w->base, &w->wa);
    if (rc) {
        mem_free(w);
        return rc;
    }
    w->base.ops = &window_ops;
    w->base.watermark = INT64_MIN;
    w->base.out_schema = window_agg_schema(w->wa);
    if (wa_out)
        *wa_out = w->wa;
    *out = &w->base;
    return 0;
}

/* --- sink -------------------------------------------------------------- */

struct sink_op {
    struct operator_node base;
    operator_sink_fn fn;
    void *arg;
};

static int sink_push(struct operator_node *op, const struct row_batch *in)
{
    struct sink_op *s = (struct sink_op *)op;
    op->rows_out += (uint64_t)in->nrows;
    return s->fn ? s->fn(s->arg, in) : 0;
}

static void sink_destroy(struct operator_node *op)
{
    mem_free(op);
}

static const struct operator_ops sink_ops = {
    .name = "sink", .push = sink_push, .destroy = sink_destroy};

int operator_sink_create(const struct schema *in, operator_sink_fn fn,
                         void *arg, struct operator_node **out)
{
    struct sink_op *s = mem_calloc(1, sizeof(*s));
    s->base.ops = &sink_ops;
    s->base.watermark = INT64_MIN;
    s->base.out_schema = in;
    s->fn = fn;
    s->arg = arg;
    *out = &s->base;
    return 0;
}
