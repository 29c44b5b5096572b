/* sql_over.c - OVER calls to an over_agg configuration (layer: sql).
 *
 * The planner (planner.c) asks for the plan once it has the schema the
 * operator reads (after WHERE), adds the operator, and translates the
 * SELECT list with each OVER call as a column of the operator's output
 * (sql_over_column). Nothing here touches the pipeline.
 */
#include "sql/sql_over.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"

static int fail(struct sql_exec_error *err, struct sql_pos pos, int code,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct sql_exec_error *err, struct sql_pos pos, int code,
                const char *fmt, ...)
{
    int n = 0;
    err->pos = pos;
    if (pos.line > 0)
        n = snprintf(err->message, sizeof err->message,
                     "line %d, column %d: ", pos.line, pos.column);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message + n, sizeof err->message - (size_t)n, fmt, ap);
    va_end(ap);
    return code;
}

static bool has_over(const struct sql_expr *e)
{
    if (!e)
        return false;
    if (e->kind == SQL_EXPR_CALL && e->over)
        return true;
    if (has_over(e->left) || has_over(e->right) || has_over(e->third))
        return true;
    for (size_t i = 0; i < e->nargs; i++)
        if (has_over(e->args[i]))
            return true;
    return false;
}

bool sql_over_in_select(const struct sql_select *s)
{
    for (size_t i = 0; s && i < s->nitems; i++)
        if (has_over(s->items[i].expr))
            return true;
    return false;
}

const struct sql_select *sql_over_inner(const struct sql_select *s)
{
    if (!s || !s->from || s->from->kind != SQL_FROM_SUBQUERY)
        return NULL;
    return sql_over_in_select(s->from->query) ? s->from->query : NULL;
}

static void text_of(const struct sql_expr *e, char *out, size_t n)
{
    char *s = sql_ast_format_expr(e);
    snprintf(out, n, "%s", s ? s : "?");
    mem_free(s);
}

int sql_over_column(const struct sql_over_plan *op, const struct sql_expr *e)
{
    char t[SQL_OVER_TEXT_MAX];
    text_of(e, t, sizeof t);
    for (int i = 0; i < op->cfg.naggs; i++)
        if (!strcmp(op->text[i], t))
            return op->col0 + i;
    return -1;
}

static const struct {
    const char *name;
    enum over_func func;
    int nparams; /* number literals after the column */
} funcs[] = {
    {"COUNT", OVER_COUNT, 0},
    {"SUM", OVER_SUM, 0},
    {"AVG", OVER_AVG, 0},
    {"MIN", OVER_MIN, 0},
    {"MAX", OVER_MAX, 0},
    {"STDDEV_POP", OVER_STDDEV_POP, 0},
    {"STDDEV_SAMP", OVER_STDDEV_SAMP, 0},
    {"STDDEV", OVER_STDDEV_SAMP, 0},
    {"VAR_POP", OVER_VAR_POP, 0},
    {"VAR_SAMP", OVER_VAR_SAMP, 0},
    {"VARIANCE", OVER_VAR_SAMP, 0},
    {"FIRST_VALUE", OVER_FIRST_VALUE, 0},
    {"LAST_VALUE", OVER_LAST_VALUE, 0},
    {"EWMA", OVER_EWMA, 1},
    {"EWM_STDDEV", OVER_EWM_STDDEV, 1},
    {"ZSCORE", OVER_ZSCORE, 0},
    {"MAD_SCORE", OVER_MAD_SCORE, 0},
    {"CUSUM", OVER_CUSUM, 2},
};

static bool number(const struct sql_expr *e, double *v)
{
    double sign = 1;
    if (e->kind == SQL_EXPR_UNARY && e->op == SQL_OP_NEG) {
        sign = -1;
        e = e->left;
    }
    if (e->kind == SQL_EXPR_INT)
        *v = sign * (double)e->ival;
    else if (e->kind == SQL_EXPR_DECIMAL || e->kind == SQL_EXPR_DOUBLE)
        *v = sign * e->dval;
    else
        return false;
    return true;
}

/* The window of call e: its own, or the named one. */
static const struct sql_over *window_of(const struct sql_select *s,
                                        const struct sql_expr *e,
                                        struct sql_exec_error *err, int *rc)
{
    if (!e->over->name)
        return e->over;
    for (size_t i = 0; i < s->nwindows; i++)
        if (!strcasecmp(s->windows[i].name, e->over->name))
            return s->windows[i].over;
    *rc = fail(err, e->pos, ERR_NOT_FOUND,
               "unknown window '%s' (define it with WINDOW %s AS (...))",
               e->over->name, e->over->name);
    return NULL;
}

static const char *col_name(const struct sql_expr *e)
{
    return e->parts[e->nparts - 1];
}

/* PARTITION BY and ORDER BY of w; the first window fixes them, later ones
 * must agree. */
static int keys_of(const struct sql_over *w, const struct sql_expr *at,
                   const struct schema *in, const char *timecol,
                   struct sql_over_plan *op, bool first,
                   struct sql_exec_error *err)
{
    int keys[OVER_AGG_MAX_KEYS];
    if (w->npartition_by > OVER_AGG_MAX_KEYS)
        return fail(err, at->pos, ERR_UNSUPPORTED,
                    "more than %d PARTITION BY columns", OVER_AGG_MAX_KEYS);
    for (size_t k = 0; k < w->npartition_by; k++) {
        const struct sql_expr *c = w->partition_by[k];
        if (c->kind != SQL_EXPR_COLUMN)
            return fail(err, c->pos, ERR_UNSUPPORTED,
                        "PARTITION BY of OVER takes columns, not expressions");
        const char *n = col_name(c);
        keys[k] = schema_find(in, n, strlen(n));
        if (keys[k] < 0)
            return fail(err, c->pos, ERR_NOT_FOUND, "unknown column '%s'", n);
    }
    if (w->norder_by != 1)
        return fail(err, at->pos, ERR_UNSUPPORTED,
                    "OVER needs ORDER BY the event-time column%s%s",
                    timecol ? " " : "", timecol ? timecol : "");
    const struct sql_order_item *o = &w->order_by[0];
    if (!timecol)
        return fail(err, o->expr->pos, ERR_UNSUPPORTED,
                    "OVER is ordered by event time: ORDER BY the stream's "
                    "WATERMARK column, and this stream declares none");
    if (o->expr->kind != SQL_EXPR_COLUMN ||
        strcasecmp(col_name(o->expr), timecol) || o->desc)
        return fail(err, o->expr->pos, ERR_UNSUPPORTED,
                    "OVER is ordered by event time: ORDER BY %s (ascending)",
                    timecol);
    if (first) {
        op->cfg.nkeys = (int)w->npartition_by;
        memcpy(op->cfg.keys, keys, sizeof keys);
        size_t at_ = 0;
        op->keys[0] = 0;
        for (size_t k = 0; k < w->npartition_by; k++)
            at_ +=
                (size_t)snprintf(op->keys + at_, sizeof op->keys - at_, "%s%s",
                                 k ? ", " : "", in->columns[keys[k]].name);
        return 0;
    }
    bool same = op->cfg.nkeys == (int)w->npartition_by;
    for (int k = 0; same && k < op->cfg.nkeys; k++)
        same = op->cfg.keys[k] == keys[k];
    if (!same)
        return fail(err, at->pos, ERR_UNSUPPORTED,
                    "every OVER window of a query must have the same "
                    "PARTITION BY (here: %s)",
                    op->keys[0] ? op->keys : "none");
    return 0;
}

static int add_call(const struct sql_select *s, const struct sql_expr *e,
                    const struct schema *in, const char *timecol,
                    struct sql_over_plan *op, struct sql_exec_error *err)
{
    char text[SQL_OVER_TEXT_MAX];
    text_of(e, text, sizeof text);
    for (int i = 0; i < op->cfg.naggs; i++)
        if (!strcmp(op->text[i], text))
            return 0; /* the same call twice: one column */
    size_t f;
    for (f = 0; f < sizeof funcs / sizeof funcs[0]; f++)
        if (e->text && !strcasecmp(e->text, funcs[f].name))
            break;
    if (f == sizeof funcs / sizeof funcs[0])
        return fail(err, e->pos, ERR_UNSUPPORTED,
                    "%s is not an OVER aggregate (COUNT, SUM, AVG, MIN, MAX, "
                    "STDDEV_POP/SAMP, VAR_POP/SAMP, FIRST_VALUE, LAST_VALUE, "
                    "EWMA, EWM_STDDEV, ZSCORE, MAD_SCORE, CUSUM)",
                    e->text ? e->text : "?");
    if (e->distinct || e->filter)
        return fail(err, e->pos, ERR_UNSUPPORTED,
                    "DISTINCT and FILTER are not supported with OVER");
    if (op->cfg.naggs >= OVER_AGG_MAX_AGGS)
        return fail(err, e->pos, ERR_TOO_LARGE, "more than %d OVER calls",
                    OVER_AGG_MAX_AGGS);
    int rc = 0;
    const struct sql_over *w = window_of(s, e, err, &rc);
    if (!w)
        return rc;
    if ((rc = keys_of(w, e, in, timecol, op, op->cfg.naggs == 0, err)))
        return rc;
    struct over_agg_spec *sp = &op->cfg.aggs[op->cfg.naggs];
    memset(sp, 0, sizeof *sp);
    sp->func = funcs[f].func;
    sp->column = -1;
    if (e->star) {
        if (sp->func != OVER_COUNT)
            return fail(err, e->pos, ERR_INVALID, "%s(*) is not allowed",
                        e->text);
        sp->func = OVER_COUNT_STAR;
    } else {
        size_t want = 1 + (size_t)funcs[f].nparams;
        if (e->nargs != want)
            return fail(err, e->pos, ERR_INVALID,
                        "%s takes %zu argument%s, got %zu", funcs[f].name, want,
                        want == 1 ? "" : "s", e->nargs);
        const struct sql_expr *a = e->args[0];
        if (a->kind != SQL_EXPR_COLUMN)
            return fail(err, a->pos, ERR_UNSUPPORTED,
                        "the argument of %s OVER must be a column", e->text);
        const char *n = col_name(a);
        sp->column = schema_find(in, n, strlen(n));
        if (sp->column < 0)
            return fail(err, a->pos, ERR_NOT_FOUND, "unknown column '%s'", n);
        double *params[2] = {&sp->p1, &sp->p2};
        for (int k = 0; k < funcs[f].nparams; k++)
            if (!number(e->args[1 + k], params[k]))
                return fail(err, e->args[1 + k]->pos, ERR_INVALID,
                            "the parameters of %s must be number literals",
                            funcs[f].name);
    }
    bool recursive = sp->func == OVER_EWMA || sp->func == OVER_EWM_STDDEV;
    char *fr = op->frame[op->cfg.naggs];
    if (!w->has_frame || !w->preceding) {
        /* No frame is RANGE UNBOUNDED (SQL's default, which includes
         * peers); rill computes unbounded frames row by row, so it takes
         * ROWS BETWEEN UNBOUNDED PRECEDING, and the recursive functions,
         * which have no frame. */
        if (!recursive && (!w->has_frame || !w->rows))
            return fail(err, e->pos, ERR_UNSUPPORTED,
                        "%s OVER needs a frame: ROWS BETWEEN n PRECEDING, "
                        "RANGE BETWEEN INTERVAL ... PRECEDING or ROWS "
                        "BETWEEN UNBOUNDED PRECEDING (AND CURRENT ROW)",
                        funcs[f].name);
        sp->frame = OVER_FRAME_UNBOUNDED;
        snprintf(fr, 64, "%s",
                 recursive && !w->has_frame ? "every row of the key"
                                            : "ROWS UNBOUNDED PRECEDING");
    } else if (w->rows) {
        const struct sql_expr *n = w->preceding;
        if (n->kind != SQL_EXPR_INT || n->ival < 0 ||
            n->ival >= OVER_AGG_FRAME_MAX)
            return fail(err, n->pos, ERR_INVALID,
                        "ROWS BETWEEN n PRECEDING takes an integer n in "
                        "0..%d",
                        OVER_AGG_FRAME_MAX - 1);
        sp->frame = OVER_FRAME_ROWS;
        sp->preceding = n->ival;
        snprintf(fr, 64, "ROWS %lld PRECEDING", (long long)n->ival);
    } else {
        const struct sql_expr *n = w->preceding;
        if (n->kind != SQL_EXPR_INTERVAL || n->ival < 0)
            return fail(err, n->pos, ERR_INVALID,
                        "RANGE BETWEEN takes INTERVAL '...' unit PRECEDING");
        sp->frame = OVER_FRAME_RANGE;
        sp->preceding = n->ival;
        snprintf(fr, 64, "RANGE %lld ms PRECEDING", (long long)n->ival);
    }
    char msg[200];
    struct operator_node *probe;
    struct over_agg_config one = {.nkeys = 0, .naggs = 1};
    one.aggs[0] = *sp;
    if (over_agg_create(in, &one, &probe, msg, sizeof msg))
        return fail(err, e->pos, ERR_INVALID, "%s", msg);
    probe->ops->destroy(probe);
    snprintf(op->text[op->cfg.naggs], SQL_OVER_TEXT_MAX, "%s", text);
    snprintf(sp->name, sizeof sp->name, "$over%d", op->cfg.naggs);
    op->cfg.naggs++;
    return 0;
}

static int collect(const struct sql_select *s, const struct sql_expr *e,
                   const struct schema *in, const char *timecol,
                   struct sql_over_plan *op, struct sql_exec_error *err)
{
    if (!e)
        return 0;
    if (e->kind == SQL_EXPR_CALL && e->over) {
        for (size_t i = 0; i < e->nargs; i++)
            if (has_over(e->args[i]))
                return fail(err, e->args[i]->pos, ERR_INVALID,
                            "OVER calls cannot be nested");
        return add_call(s, e, in, timecol, op, err);
    }
    const struct sql_expr *kids[3] = {e->left, e->right, e->third};
    int rc;
    for (int i = 0; i < 3; i++)
        if ((rc = collect(s, kids[i], in, timecol, op, err)))
            return rc;
    for (size_t i = 0; i < e->nargs; i++)
        if ((rc = collect(s, e->args[i], in, timecol, op, err)))
            return rc;
    return 0;
}

int sql_over_plan(const struct sql_select *s, const struct schema *in,
                  const char *timecol, struct sql_over_plan *out,
                  struct sql_exec_error *err)
{
    memset(out, 0, sizeof *out);
    out->col0 = in->ncolumns;
    if (s->ngroup_by || (s->from && s->from->kind == SQL_FROM_WINDOW))
        return fail(err, s->pos, ERR_UNSUPPORTED,
                    "OVER cannot be combined with GROUP BY or a window "
                    "table function in one query");
    if (s->allowed_lateness)
        return fail(err, s->allowed_lateness->pos, ERR_UNSUPPORTED,
                    "ALLOWED LATENESS does not apply to OVER: a row is "
                    "computed once the watermark passes it, and rows after "
                    "that are late (EMIT LATE INTO keeps them)");
    if (s->emit != SQL_EMIT_DEFAULT)
        return fail(err, s->pos, ERR_UNSUPPORTED,
                    "EMIT CHANGES/FINAL does not apply to OVER (one row out "
                    "per row in)");
    for (size_t i = 0; i < s->nitems; i++) {
        int rc = collect(s, s->items[i].expr, in, timecol, out, err);
        if (rc)
            return rc;
    }
    if (has_over(s->where))
        return fail(err, s->where->pos, ERR_INVALID,
                    "OVER results cannot be used in WHERE: filter them in "
                    "an outer query, SELECT ... FROM (SELECT ..., f(x) OVER "
                    "w AS s ...) WHERE s > ...");
    return 0;
}
