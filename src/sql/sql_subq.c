/* sql_subq.c - subqueries in FROM, SELECT DISTINCT, deduplication and
 * Top-N (layer: sql).
 *
 * How a query over a subquery is planned: the inner SELECT is planned on
 * its own (planner_build, recursively), then the outer one continues its
 * chain (planner_build_on): the outer plan takes the inner pipelines and
 * keeps the inner plan alive (the pipelines borrow its schemas). What the
 * outer resolves against is the inner output schema; the event-time
 * column is the one the inner passes through (its input's time column,
 * or window_time of a window aggregate). Where the rows of one key are:
 * in one task when the inner ran on one, or when they follow the input's
 * key (passed through by name, every record's key checked), else a
 * repartition topic is needed, which a query has at most one of.
 */
#include "sql/sql_subq.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"
#include "sql/sql_over.h"
#include "stream/rank.h"

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

static void copy_str(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

static const char *last_part(const struct sql_expr *e)
{
    return e->parts[e->nparts - 1];
}

static int rn_item(const struct sql_select *s)
{
    for (size_t i = 0; s && i < s->nitems; i++) {
        const struct sql_expr *e = s->items[i].expr;
        if (e->kind == SQL_EXPR_CALL && e->over && e->text &&
            !strcasecmp(e->text, "ROW_NUMBER"))
            return (int)i;
    }
    return -1;
}

bool sql_subq_wants(const struct sql_select *s)
{
    if (!s)
        return false;
    if (s->distinct || s->union_all)
        return true;
    if (!s->from)
        return false;
    if (s->from->kind == SQL_FROM_WINDOW)
        return s->from->window->query != NULL;
    if (s->from->kind != SQL_FROM_SUBQUERY)
        return false;
    if (rn_item(s->from->query) >= 0)
        return true;
    return sql_over_inner(s) == NULL; /* that one: planner.c, sql_over.c */
}

/* 'table.exec.state.ttl' in ms, 0 when not set. */
static int64_t state_ttl(const struct sql_query_start *q)
{
    for (size_t i = 0; i < q->nsettings; i++)
        if (!strcasecmp(q->settings[i].key, "table.exec.state.ttl")) {
            int64_t ms = 0;
            if (sql_exec_parse_duration(q->settings[i].value, &ms) == 0)
                return ms;
        }
    return 0;
}

/* The output column of `sel` that passes input column `name` through
 * unchanged (a plain column item, or `*`), in out; false if none. */
static bool passed_through(const struct sql_select *sel, const char *name,
                           const struct schema *outs, char *out, size_t n)
{
    if (!name || !name[0])
        return false;
    for (size_t i = 0; i < sel->nitems; i++) {
        const struct sql_select_item *it = &sel->items[i];
        const struct sql_expr *e = it->expr;
        if (e->kind == SQL_EXPR_STAR && e->nparts == 0 &&
            schema_find(outs, name, strlen(name)) >= 0) {
            copy_str(out, n, name);
            return true;
        }
        if (e->kind == SQL_EXPR_COLUMN && !strcasecmp(last_part(e), name)) {
            copy_str(out, n, it->alias ? it->alias : last_part(e));
            return true;
        }
    }
    return false;
}

/* The name of the event-time column at b's input (its select list's). */
static const char *input_timecol(const struct plan *b)
{
    if (b->sub)
        return b->timecol[0] ? b->timecol : NULL;
    if (b->join || b->match || b->time_column < 0)
        return NULL;
    return b->in_schema.columns[b->time_column].name;
}

/* The column of b's output carrying its rows' event time, in out. */
static void output_timecol(const struct plan *b, const struct sql_select *sel,
                           char *out, size_t n)
{
    out[0] = '\0';
    if (b->windowed) {
        if (b->wcfg.window.kind == WINDOW_NONE || b->wcfg.emit != EMIT_FINAL)
            return; /* updates: no event time of their own */
        passed_through(sel, "window_time", &b->out_schema, out, n);
        return;
    }
    passed_through(sel, input_timecol(b), &b->out_schema, out, n);
}

/* Whether b's last stage runs as a single task. */
static bool one_task(const struct plan *b)
{
    return b->repartition ? b->repart_partitions == 1 : b->npartitions <= 1;
}

/* The innermost plan (the one reading the stream). */
static const struct plan *innermost(const struct plan *p)
{
    while (p->sub)
        p = p->sub;
    return p;
}

/* The key check on the stream's source, when the last stage trusts the
 * input's record key. */
static int key_check(struct plan *p, struct sql_exec_error *err)
{
    const struct plan *b = innermost(p);
    int kc = schema_find(&b->in_schema, b->in_key, strlen(b->in_key));
    struct pipeline *src = p->pipe0 ? p->pipe0 : p->pipe;
    if (kc < 0 || b->join || pipeline_set_key_check(src, kc))
        return fail(err, (struct sql_pos){0, 0, 0}, ERR_INVALID,
                    "cannot check the key '%s' of %s", b->in_key, b->input);
    p->key_checked = true;
    return 0;
}

int sql_subq_key_check(struct plan *p, struct sql_exec_error *err)
{
    return key_check(p, err);
}

int sql_subq_source(struct plan *p, const char **timecol,
                    struct sql_exec_error *err)
{
    (void)err;
    const struct plan *b = p->sub;
    copy_str(p->input, sizeof p->input, b->input);
    copy_str(p->topic, sizeof p->topic, b->topic);
    copy_str(p->format, sizeof p->format, b->format);
    p->csv_delimiter = b->csv_delimiter;
    p->npartitions = b->npartitions;
    p->time_column = b->time_column;
    p->watermark_delay_ms = b->watermark_delay_ms;
    p->idle_timeout_ms = b->idle_timeout_ms;
    p->idle_advance = b->idle_advance;
    p->key_checked = b->key_checked;
    p->startup_latest = b->startup_latest;
    p->nextra_inputs = b->nextra_inputs;
    memcpy(p->extra_topics, b->extra_topics, sizeof p->extra_topics);
    p->repartition = b->repartition;
    copy_str(p->repart_topic, sizeof p->repart_topic, b->repart_topic);
    p->repart_partitions = b->repart_partitions;
    p->mid_schema = b->mid_schema;
    p->nrepart_cols = b->nrepart_cols;
    memcpy(p->repart_cols, b->repart_cols, sizeof p->repart_cols);
    p->wcfg_run = b->wcfg_run;
    copy_str(p->late_into, sizeof p->late_into, b->late_into);
    copy_str(p->late_topic, sizeof p->late_topic, b->late_topic);
    p->late_create = b->late_create;
    p->stage0_stateful = b->stage0_stateful;
    p->in_schema = b->out_schema;
    copy_str(p->timecol, sizeof p->timecol, b->out_timecol);
    copy_str(p->in_key, sizeof p->in_key, b->out_key);
    p->stateful = b->stateful || b->windowed || b->over || b->match;
    p->wa = b->wa;
    p->cep = b->cep;
    *timecol = p->timecol[0] ? p->timecol : NULL;
    return 0;
}

/* b and the plans under it: the repartition topic gets one partition,
 * so everything after it runs in one task. */
static void one_final_task(struct plan *b)
{
    for (; b; b = b->sub)
        if (b->repartition)
            b->repart_partitions = 1;
}

int sql_subq_needs_repartition(struct plan *p, struct sql_exec_error *err)
{
    (void)err;
    if (p->pipe0) {
        /* The subquery repartitioned already (its GROUP BY): one final
         * task for both, rather than a second repartition topic. */
        one_final_task(p);
        return 0;
    }
    if (p->npartitions <= 1)
        return 0;
    for (int k = 0; p->in_key[0] && k < p->wcfg.nkeys; k++)
        if (!p->key_expr[k] && !strcasecmp(p->key_name[k], p->in_key))
            return 0;
    if (p->stateful)
        p->stage0_stateful = true;
    return 1;
}

/* Plans the inner select of q as a query of its own. */
static int plan_inner(const struct sql_query_start *q,
                      const struct sql_select *inner,
                      const struct planner_hooks *hooks, struct plan **out,
                      struct sql_exec_error *err)
{
    if (inner->limit >= 0)
        return fail(err, inner->pos, ERR_UNSUPPORTED,
                    "LIMIT in a subquery is not supported (put it on the "
                    "outer query)");
    struct sql_query_start qi = *q;
    qi.select = inner;
    qi.sink = NULL;
    qi.stmt = NULL;
    return planner_build(&qi, hooks, out, err);
}

/* Repartitions b's rows by columns keys (none: all to one task) before
 * what is added next: b's chain becomes stage 0. */
static int split(const struct sql_query_start *q, struct plan *b,
                 const int *keys, int nkeys, struct sql_pos pos,
                 struct sql_exec_error *err)
{
    if (b->pipe0 || b->repartition) {
        /* repartitioned already (a GROUP BY): rather than a second
         * repartition topic, the first one gets one partition */
        one_final_task(b);
        return 0;
    }
    if (nkeys > WINDOW_AGG_MAX_KEYS)
        return fail(err, pos, ERR_UNSUPPORTED,
                    "more than %d key columns to repartition by",
                    WINDOW_AGG_MAX_KEYS);
    b->repartition = true;
    b->stage0_stateful = b->stateful || b->windowed;
    b->repart_partitions = nkeys ? b->npartitions : 1;
    b->mid_schema = *pipeline_schema(b->pipe);
    b->wcfg_run.nkeys = nkeys;
    b->wcfg.nkeys = nkeys;
    for (int k = 0; k < nkeys; k++) {
        b->wcfg_run.keys[k] = b->wcfg.keys[k] = keys[k];
        copy_str(b->key_name[k], sizeof b->key_name[k],
                 b->mid_schema.columns[keys[k]].name);
        b->key_expr[k] = false;
    }
    snprintf(b->repart_topic, sizeof b->repart_topic, "%s-repartition",
             q->id ? q->id : "select");
    struct pipeline_source_config src1 = {
        .schema = &b->mid_schema,
        .format = PIPELINE_FORMAT_ROW,
        .time_column = -1,
        .npartitions = b->npartitions,
        .batch_capacity = b->batch_rows,
        .external_watermark = true,
    };
    b->pipe0 = b->pipe;
    b->pipe = NULL;
    /* operators the runner reads counters of belong to the last stage:
     * these are stage 0's now (their late rows are still counted) */
    b->wa = NULL;
    b->cep = NULL;
    int rc = pipeline_create(&src1, &b->pipe);
    if (rc)
        return fail(err, pos, rc, "cannot create the repartition stage");
    return 0;
}

/* Makes the rows of each key (columns keys of b's output) meet in one
 * task: one task already, the input's key among them (checked record by
 * record), or a repartition. */
static int colocate(const struct sql_query_start *q, struct plan *b,
                    const struct sql_select *sel, const int *keys, int nkeys,
                    struct sql_pos pos, struct sql_exec_error *err)
{
    if (one_task(b))
        return 0;
    const struct schema *sc = pipeline_schema(b->pipe);
    char kn[SCHEMA_NAME_MAX];
    const struct plan *in = innermost(b);
    if (!b->repartition && !b->windowed && !in->join && b == in &&
        passed_through(sel, b->in_key, sc, kn, sizeof kn)) {
        for (int k = 0; k < nkeys; k++)
            if (!strcasecmp(sc->columns[keys[k]].name, kn))
                return key_check(b, err);
    }
    return split(q, b, keys, nkeys, pos, err);
}

static struct operator_node *add_rank(struct plan *b,
                                      const struct rank_config *cfg,
                                      struct sql_pos pos, int *rc,
                                      struct sql_exec_error *err)
{
    struct operator_node *op;
    char msg[160];
    *rc = rank_create(pipeline_schema(b->pipe), cfg, &op, msg, sizeof msg);
    if (*rc) {
        fail(err, pos, *rc, "%s", msg);
        return NULL;
    }
    *rc = pipeline_add_operator(b->pipe, op);
    if (*rc) {
        fail(err, pos, *rc, "cannot add the %s operator", op->ops->name);
        return NULL;
    }
    b->stateful = true;
    return op;
}

/* After an inner window aggregate: its rows reach what follows before
 * the watermark that fired them, as on-time rows (rank_barrier_create). */
static int add_barrier(struct plan *b, struct sql_pos pos,
                       struct sql_exec_error *err)
{
    const struct operator_node *last = pipeline_operators(b->pipe);
    /* the chain is b's to change: pipeline_operators is a const view */
    struct operator_node *op, *up;
    memcpy(&up, &last, sizeof up);
    if (rank_barrier_create(pipeline_schema(b->pipe),
                            pipeline_capacity(b->pipe), up, &op) ||
        pipeline_add_operator(b->pipe, op))
        return fail(err, pos, ERR_INVALID,
                    "cannot plan the subquery's boundary");
    return 0;
}

static void ttl_text(char *out, size_t n, int64_t ttl)
{
    if (ttl > 0)
        snprintf(out, n,
                 "; state of a key kept %lld ms of event time after "
                 "its newest row ('table.exec.state.ttl')",
                 (long long)ttl);
    else
        snprintf(out, n,
                 "; state kept for every key (no "
                 "'table.exec.state.ttl')");
}

static bool has_agg_call(const struct sql_select *s);

/* ---- SELECT DISTINCT ---- */

static int build_distinct(const struct sql_query_start *q,
                          const struct planner_hooks *hooks, struct plan **out,
                          struct sql_exec_error *err)
{
    const struct sql_select *s = q->select;
    if (s->ngroup_by || s->having)
        return fail(err, s->pos, ERR_UNSUPPORTED,
                    "SELECT DISTINCT with GROUP BY is not supported (the "
                    "groups are distinct already)");
    struct sql_select s2 = *s;
    s2.distinct = false;
    s2.limit = -1;
    struct sql_query_start qi = *q;
    qi.select = &s2;
    struct plan *p;
    int rc = planner_build(&qi, hooks, &p, err);
    if (rc)
        return rc;
    if (p->updating || (p->windowed && p->wcfg.emit != EMIT_FINAL) || p->over ||
        p->match) {
        rc = fail(err, s->pos, ERR_UNSUPPORTED,
                  "SELECT DISTINCT over updating rows (an aggregate without "
                  "a window, OVER, MATCH_RECOGNIZE) is not supported");
        goto fail;
    }
    struct rank_config cfg = {.mode = RANK_DISTINCT, .rank_column = -1};
    const struct schema *sc = pipeline_schema(p->pipe);
    cfg.nkeys = sc->ncolumns;
    for (int c = 0; c < sc->ncolumns; c++)
        cfg.keys[c] = c;
    cfg.ttl_ms = state_ttl(q);
    if (!one_task(p)) {
        /* The rows of one value meet in one task: the input's key is
         * among the columns, or every column is the repartition key. */
        char kn[SCHEMA_NAME_MAX];
        if (!p->repartition && !p->sub && !p->join &&
            passed_through(s, p->in_key, sc, kn, sizeof kn)) {
            if ((rc = key_check(p, err)))
                goto fail;
        } else if ((rc = split(q, p, cfg.keys, cfg.nkeys, s->pos, err))) {
            goto fail;
        }
    }
    if (!add_rank(p, &cfg, s->pos, &rc, err))
        goto fail;
    char t[PLAN_TEXT_MAX];
    ttl_text(t, sizeof t, cfg.ttl_ms);
    snprintf(p->rank_text, sizeof p->rank_text,
             "distinct: each row the first time its value is seen (%d "
             "column%s; insert-only)%.200s",
             sc->ncolumns, sc->ncolumns == 1 ? "" : "s", t);
    p->limit = s->limit;
    *out = p;
    return 0;
fail:
    plan_destroy(p);
    return rc;
}

/* ---- ROW_NUMBER(): deduplication, Top-N ---- */

static void conjuncts(struct sql_expr *e, struct sql_expr **v, int *n, int max)
{
    if (!e)
        return;
    if (e->kind == SQL_EXPR_BINARY && e->op == SQL_OP_AND) {
        conjuncts(e->left, v, n, max);
        conjuncts(e->right, v, n, max);
        return;
    }
    if (*n < max)
        v[(*n)++] = e;
}

static bool is_col(const struct sql_expr *e, const char *name)
{
    return e && e->kind == SQL_EXPR_COLUMN && !strcasecmp(last_part(e), name);
}

/* A bound on rn in e: *n = the largest row number kept; 0: not one. */
static int rank_bound(const struct sql_expr *e, const char *rn, int64_t *n,
                      struct sql_exec_error *err)
{
    *n = 0;
    if (e->kind == SQL_EXPR_BETWEEN && !e->negated && is_col(e->left, rn) &&
        e->right->kind == SQL_EXPR_INT && e->third->kind == SQL_EXPR_INT) {
        if (e->right->ival != 1)
            return fail(err, e->pos, ERR_UNSUPPORTED,
                        "%s BETWEEN must start at 1 (Top-N)", rn);
        *n = e->third->ival;
        return 0;
    }
    if (e->kind != SQL_EXPR_BINARY)
        return 0;
    enum sql_op op = e->op;
    const struct sql_expr *c = e->left, *k = e->right;
    if (is_col(k, rn) && c->kind == SQL_EXPR_INT) {
        const struct sql_expr *x = c;
        c = k;
        k = x;
        op = op == SQL_OP_LT   ? SQL_OP_GT
             : op == SQL_OP_LE ? SQL_OP_GE
             : op == SQL_OP_GT ? SQL_OP_LT
             : op == SQL_OP_GE ? SQL_OP_LE
                               : op;
    }
    if (!is_col(c, rn) || k->kind != SQL_EXPR_INT)
        return 0;
    switch (op) {
    case SQL_OP_EQ:
        if (k->ival != 1)
            return fail(err, e->pos, ERR_UNSUPPORTED,
                        "%s = %lld: only %s = 1 (deduplication) or %s <= N "
                        "(Top-N) is supported",
                        rn, (long long)k->ival, rn, rn);
        *n = 1;
        return 0;
    case SQL_OP_LE:
        *n = k->ival;
        return 0;
    case SQL_OP_LT:
        *n = k->ival - 1;
        return 0;
    default:
        return fail(err, e->pos, ERR_UNSUPPORTED,
                    "a filter on %s must bound it from above (%s = 1, "
                    "%s <= N, %s < N)",
                    rn, rn, rn, rn);
    }
}

static struct sql_expr *and_of(struct sql_expr **v, int n)
{
    if (n == 0)
        return NULL;
    struct sql_expr *e = v[0];
    for (int i = 1; i < n; i++) {
        struct sql_expr *a = mem_calloc(1, sizeof *a);
        a->kind = SQL_EXPR_BINARY;
        a->op = SQL_OP_AND;
        a->pos = v[i]->pos;
        a->left = e;
        a->right = v[i];
        a->height = 1;
        e = a;
    }
    return e;
}

static void free_and(struct sql_expr *e, int n)
{
    for (int i = 1; i < n; i++) {
        struct sql_expr *l = e->left;
        mem_free(e);
        e = l;
    }
}

static int column_of(const struct schema *sc, const struct sql_expr *e,
                     const char *what, struct sql_exec_error *err)
{
    if (e->kind != SQL_EXPR_COLUMN)
        return fail(err, e->pos, ERR_UNSUPPORTED,
                    "%s must be a column (compute it in a subquery)", what);
    const char *n = last_part(e);
    int c = schema_find(sc, n, strlen(n));
    if (c < 0)
        return fail(err, e->pos, ERR_NOT_FOUND, "unknown column '%s' in %s", n,
                    what);
    return c;
}

static int build_rank(const struct sql_query_start *q,
                      const struct sql_select *inner, int rn,
                      const struct planner_hooks *hooks, struct plan **out,
                      struct sql_exec_error *err)
{
    const struct sql_select *s = q->select;
    const struct sql_select_item *ri = &inner->items[rn];
    const struct sql_expr *re = ri->expr;
    const struct sql_over *ov = re->over;
    struct sql_pos pos = re->pos;
    if (ov->name)
        return fail(err, pos, ERR_UNSUPPORTED,
                    "ROW_NUMBER() OVER %s: write the window inline, "
                    "OVER (PARTITION BY ... ORDER BY ...)",
                    ov->name);
    if (re->nargs || re->star || ov->has_frame)
        return fail(err, pos, ERR_INVALID,
                    "ROW_NUMBER() takes no argument and no frame");
    if (!ov->norder_by)
        return fail(err, pos, ERR_INVALID, "ROW_NUMBER() needs ORDER BY");
    if (ov->norder_by > RANK_MAX_ORDER)
        return fail(err, pos, ERR_UNSUPPORTED, "more than %d ORDER BY columns",
                    RANK_MAX_ORDER);
    if (!ri->alias)
        return fail(err, pos, ERR_INVALID,
                    "name the row number (ROW_NUMBER() OVER (...) AS rn) "
                    "to filter on it");
    if (inner->ngroup_by || inner->having || inner->distinct)
        return fail(err, pos, ERR_UNSUPPORTED,
                    "ROW_NUMBER() over GROUP BY in the same SELECT: put the "
                    "aggregate in a subquery, FROM (SELECT ... GROUP BY ...)");
    for (size_t i = 0; i < inner->nitems; i++)
        if ((int)i != rn && inner->items[i].expr->kind == SQL_EXPR_CALL &&
            inner->items[i].expr->over)
            return fail(err, pos, ERR_UNSUPPORTED,
                        "ROW_NUMBER() with other OVER calls in one SELECT "
                        "is not supported");
    /* The outer WHERE: the bound on rn, and the rest. */
    struct sql_expr *cs[64];
    int nc = 0, nrest = 0;
    struct sql_expr *rest[64];
    int64_t n = 0;
    conjuncts(s->where, cs, &nc, 64);
    for (int i = 0; i < nc; i++) {
        int64_t b;
        int rc = rank_bound(cs[i], ri->alias, &b, err);
        if (rc)
            return rc;
        if (b && (!n || b < n))
            n = b;
        else if (!b)
            rest[nrest++] = cs[i];
    }
    if (n <= 0)
        return fail(err, s->where ? s->where->pos : s->pos, ERR_UNSUPPORTED,
                    "ROW_NUMBER() needs a filter on %s in the outer WHERE "
                    "(%s = 1: deduplication; %s <= N: Top-N): a rank over "
                    "an unbounded stream is not computed otherwise",
                    ri->alias, ri->alias, ri->alias);
    if (n > RANK_MAX_N)
        return fail(err, pos, ERR_UNSUPPORTED, "Top-N above %d", RANK_MAX_N);
    /* The middle query: its rn item is a BIGINT placeholder the operator
     * writes. */
    struct sql_select mid = *inner;
    mid.items = mem_alloc(inner->nitems * sizeof *mid.items);
    memcpy(mid.items, inner->items, inner->nitems * sizeof *mid.items);
    /* CAST(NULL AS BIGINT): the operator writes the row number (a late
     * row shows it NULL) */
    struct sql_type bigint = {.kind = SQL_TYPE_BIGINT};
    struct sql_expr null = {.kind = SQL_EXPR_NULL, .pos = pos};
    struct sql_expr zero = {
        .kind = SQL_EXPR_CAST, .pos = pos, .left = &null, .type = &bigint};
    mid.items[rn].expr = &zero;
    mid.items[rn].text = "ROW_NUMBER() (the rank operator sets it)";
    struct plan *b;
    int rc = plan_inner(q, &mid, hooks, &b, err);
    if (rc) {
        mem_free(mid.items);
        return rc;
    }
    char tcol[SCHEMA_NAME_MAX];
    output_timecol(b, &mid, tcol, sizeof tcol);
    mem_free(mid.items);
    if (b->updating || (b->windowed && b->wcfg.emit != EMIT_FINAL)) {
        rc = fail(err, pos, ERR_UNSUPPORTED,
                  "ROW_NUMBER() over updating rows (an aggregate without a "
                  "window, or a Top-N) is not supported");
        goto fail;
    }
    const struct schema *sc = pipeline_schema(b->pipe);
    struct rank_config cfg = {.n = n, .window_end = -1};
    cfg.rank_column = schema_find(sc, ri->alias, strlen(ri->alias));
    int ws = -1;
    char keys_text[PLAN_TEXT_MAX] = "", order_text[PLAN_TEXT_MAX] = "";
    size_t kl = 0, ol = 0;
    if (ov->npartition_by > RANK_MAX_KEYS) {
        rc = fail(err, pos, ERR_UNSUPPORTED, "too many PARTITION BY columns");
        goto fail;
    }
    for (size_t k = 0; k < ov->npartition_by; k++) {
        int c = column_of(sc, ov->partition_by[k], "PARTITION BY", err);
        if (c < 0) {
            rc = c;
            goto fail;
        }
        cfg.keys[cfg.nkeys++] = c;
        if (!strcasecmp(sc->columns[c].name, "window_start"))
            ws = c;
        if (!strcasecmp(sc->columns[c].name, "window_end"))
            cfg.window_end = c;
        kl += (size_t)snprintf(keys_text + kl, sizeof keys_text - kl, "%s%s",
                               k ? ", " : "", sc->columns[c].name);
        if (kl >= sizeof keys_text)
            kl = sizeof keys_text - 1;
    }
    for (size_t k = 0; k < ov->norder_by; k++) {
        int c = column_of(sc, ov->order_by[k].expr, "ORDER BY", err);
        if (c < 0) {
            rc = c;
            goto fail;
        }
        cfg.order[cfg.norder] = c;
        cfg.desc[cfg.norder++] = ov->order_by[k].desc;
        ol += (size_t)snprintf(order_text + ol, sizeof order_text - ol,
                               "%s%s%s", k ? ", " : "", sc->columns[c].name,
                               ov->order_by[k].desc ? " DESC" : "");
        if (ol >= sizeof order_text)
            ol = sizeof order_text - 1;
    }
    bool by_time = cfg.norder == 1 && tcol[0] &&
                   !strcasecmp(sc->columns[cfg.order[0]].name, tcol);
    bool window = ws >= 0 && cfg.window_end >= 0;
    if (window)
        cfg.mode = RANK_WINDOW_TOPN;
    else if (by_time && n == 1)
        cfg.mode = cfg.desc[0] ? RANK_LAST : RANK_FIRST;
    else
        cfg.mode = RANK_TOPN;
    if (cfg.mode != RANK_WINDOW_TOPN)
        cfg.ttl_ms = state_ttl(q);
    if (hooks && (cfg.mode == RANK_FIRST || cfg.mode == RANK_WINDOW_TOPN)) {
        cfg.late = hooks->late;
        cfg.late_arg = hooks->late_arg;
    }
    if (s->late_into) {
        /* EMIT LATE INTO on the outer query: the rank operator's late
         * rows (deduplication keeping the first row, window Top-N) */
        if (b->late_topic[0]) {
            rc = fail(err, s->pos, ERR_UNSUPPORTED,
                      "EMIT LATE INTO in both the query and its subquery");
            goto fail;
        }
        if (cfg.mode != RANK_FIRST && cfg.mode != RANK_WINDOW_TOPN) {
            rc = fail(err, s->pos, ERR_INVALID,
                      "EMIT LATE INTO: this %s has no late rows (it takes "
                      "every row)",
                      cfg.mode == RANK_LAST ? "deduplication" : "Top-N");
            goto fail;
        }
        if ((rc = planner_late_into(q, b, err)))
            goto fail;
    }
    if ((rc = colocate(q, b, inner, cfg.keys, cfg.nkeys, pos, err)))
        goto fail;
    if ((b->windowed || b->stateful) && (rc = add_barrier(b, pos, err)))
        goto fail;
    if (!add_rank(b, &cfg, pos, &rc, err))
        goto fail;
    b->updating = cfg.mode == RANK_LAST || cfg.mode == RANK_TOPN;
    char t[PLAN_TEXT_MAX];
    ttl_text(t, sizeof t, cfg.ttl_ms);
    switch (cfg.mode) {
    case RANK_FIRST:
        snprintf(
            b->rank_text, sizeof b->rank_text,
            "deduplicate: per %.100s the row with the least %.100s, emitted "
            "once the watermark passes it (insert-only; an earlier row "
            "after that is late)%.150s",
            keys_text[0] ? keys_text : "(everything)", tcol, t);
        break;
    case RANK_LAST:
        snprintf(
            b->rank_text, sizeof b->rank_text,
            "deduplicate: per %.100s the row with the greatest %.100s, emitted "
            "as it arrives (upserts keyed by %.100s)%.150s",
            keys_text[0] ? keys_text : "(everything)", tcol,
            keys_text[0] ? keys_text : "nothing", t);
        break;
    case RANK_TOPN:
        snprintf(
            b->rank_text, sizeof b->rank_text,
            "top-n: per %.100s the first %lld by %.100s; a row entering at "
            "rank "
            "r re-emits ranks r..%lld (upserts keyed by %.100s%s%.60s)%.150s",
            keys_text[0] ? keys_text : "(everything)", (long long)n, order_text,
            (long long)n, keys_text, keys_text[0] ? ", " : "", ri->alias, t);
        break;
    default:
        snprintf(
            b->rank_text, sizeof b->rank_text,
            "window top-n: per %.100s the first %lld by %.100s, emitted when "
            "the watermark passes window_end - 1 (insert-only; rows of "
            "a closed window are late)",
            keys_text, (long long)n, order_text);
        break;
    }
    if (b->updating &&
        (s->ngroup_by || s->having || has_agg_call(s) || s->distinct)) {
        rc = fail(err, s->pos, ERR_UNSUPPORTED,
                  "an aggregate over updating rows (%s) is not supported: "
                  "it would need retractions",
                  cfg.mode == RANK_LAST ? "deduplication keeping the last row"
                                        : "Top-N");
        goto fail;
    }
    /* The outer query over it: the rest of the WHERE, the SELECT list. */
    struct sql_select outer = *s;
    outer.where = and_of(rest, nrest);
    outer.late_into = NULL; /* the rank operator's (above) */
    struct sql_query_start qo = *q;
    qo.select = &outer;
    if (cfg.mode == RANK_FIRST)
        copy_str(b->out_timecol, sizeof b->out_timecol, tcol);
    struct plan *p;
    bool updating = b->updating;
    rc = planner_build_on(&qo, hooks, b, &p, err);
    free_and(outer.where, nrest);
    if (rc)
        return rc;
    if (updating) {
        /* The key of the upserts: the PARTITION BY columns (and rn for
         * Top-N), which the output must keep. */
        p->updating = true;
        p->nkey_columns = 0;
        const struct schema *os = &p->out_schema;
        int need = cfg.nkeys + (cfg.mode == RANK_TOPN);
        for (int k = 0; k < need; k++) {
            const char *kn =
                k < cfg.nkeys ? sc->columns[cfg.keys[k]].name : ri->alias;
            int c = schema_find(os, kn, strlen(kn));
            if (c < 0) {
                rc = fail(err, s->pos, ERR_UNSUPPORTED,
                          "keep '%s' in the SELECT list: %s emits updates, "
                          "keyed by %s%s%s",
                          kn, cfg.mode == RANK_TOPN ? "Top-N" : "deduplication",
                          keys_text, cfg.mode == RANK_TOPN ? ", " : "",
                          cfg.mode == RANK_TOPN ? ri->alias : "");
                plan_destroy(p);
                return rc;
            }
            if (p->nkey_columns < WINDOW_AGG_MAX_KEYS)
                p->key_columns[p->nkey_columns++] = c;
        }
    }
    *out = p;
    return 0;
fail:
    plan_destroy(b);
    return rc;
}

/* ---- the entry ---- */

static bool has_agg_call(const struct sql_select *s)
{
    static const char *const names[] = {"COUNT",
                                        "SUM",
                                        "AVG",
                                        "MIN",
                                        "MAX",
                                        "STDDEV_POP",
                                        "STDDEV_SAMP",
                                        "STDDEV",
                                        "VAR_POP",
                                        "VAR_SAMP",
                                        "VARIANCE",
                                        "FIRST_VALUE",
                                        "LAST_VALUE",
                                        "APPROX_PERCENTILE",
                                        "PERCENTILE_APPROX"};
    for (size_t i = 0; i < s->nitems; i++) {
        const struct sql_expr *e = s->items[i].expr;
        if (e->kind != SQL_EXPR_CALL || e->over || !e->text)
            continue;
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
            if (!strcasecmp(e->text, names[k]))
                return true;
    }
    return false;
}

int sql_subq_build(const struct sql_query_start *q,
                   const struct planner_hooks *hooks, struct plan **out,
                   struct sql_exec_error *err)
{
    const struct sql_select *s = q->select;
    if (s->union_all)
        return sql_union_build(q, hooks, out, err);
    if (s->distinct)
        return build_distinct(q, hooks, out, err);
    bool tvf = s->from->kind == SQL_FROM_WINDOW;
    const struct sql_select *inner =
        tvf ? s->from->window->query : s->from->query;
    int rn = rn_item(inner);
    if (rn >= 0) {
        if (tvf)
            return fail(err, inner->items[rn].expr->pos, ERR_UNSUPPORTED,
                        "ROW_NUMBER() in a window function's input is not "
                        "supported");
        return build_rank(q, inner, rn, hooks, out, err);
    }
    if (sql_over_in_select(s))
        return fail(err, s->pos, ERR_UNSUPPORTED,
                    "OVER over a subquery is not supported yet");
    bool aggregates = tvf || s->ngroup_by || s->having || has_agg_call(s);
    struct plan *b;
    int rc = plan_inner(q, inner, hooks, &b, err);
    if (rc)
        return rc;
    if (aggregates &&
        (b->updating || (b->windowed && b->wcfg.emit != EMIT_FINAL))) {
        plan_destroy(b);
        return fail(err, s->from->pos, ERR_UNSUPPORTED,
                    "an aggregate over updating rows (an aggregate without a "
                    "window, deduplication keeping the last row, Top-N) is "
                    "not supported: it would need retractions");
    }
    if (s->late_into && b->late_topic[0]) {
        plan_destroy(b);
        return fail(err, s->pos, ERR_UNSUPPORTED,
                    "EMIT LATE INTO in both the query and its subquery");
    }
    if (aggregates && (b->windowed || b->stateful) &&
        (rc = add_barrier(b, s->pos, err))) {
        plan_destroy(b);
        return rc;
    }
    /* What the outer query sees of the inner rows: the column with their
     * event time, and the input's key if it passes through (rows of one
     * value of it are in one task). */
    if (!b->uni) /* a union sets its own */
        output_timecol(b, inner, b->out_timecol, sizeof b->out_timecol);
    if (!b->repartition && !b->join && !b->match && !b->uni && b->in_key[0])
        passed_through(inner, b->in_key, &b->out_schema, b->out_key,
                       sizeof b->out_key);
    return planner_build_on(q, hooks, b, out, err);
}
