/* sql_match.c - MATCH_RECOGNIZE to the pattern operator (layer: sql).
 *
 * Expressions of DEFINE and MEASURES are rewritten before typing: a
 * navigation (PREV(x, n), FIRST(A.x, n), LAST(A.x, n), A.x for a variable
 * other than the one DEFINE defines, aggregates over a variable,
 * CLASSIFIER() and the MATCH_* functions) becomes a column "$d<i>" or
 * "$m<i>" of the operator's evaluation schema (cep_add_ref), and the
 * rewritten tree is typed by the planner like any other (planner_expr).
 * A DEFINE left with no reference is "local": evaluated once per row, over
 * the input batch, when the row arrives. The rewritten nodes live in an
 * arena freed when the build ends.
 */
#include "sql/sql_match.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/mem.h"
#include "sql/planner.h"

struct rw {
    struct cep *cep; /* NULL when only checking */
    const struct schema *in;
    const struct sql_match *m;
    const char *alias; /* the input's name or alias */
    struct arena arena;
    struct sql_exec_error *err;
    int rc;
    enum cep_scope scope;
    int defvar;     /* DEFINE: the variable defined */
    bool navigates; /* a reference was made */
    const char *vars[CEP_MAX_VARS];
    int nvars;
};

static int fail(struct rw *w, struct sql_pos pos, int code, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

static int fail(struct rw *w, struct sql_pos pos, int code, const char *fmt,
                ...)
{
    if (w->rc)
        return w->rc;
    struct sql_exec_error *err = w->err;
    int n = 0;
    err->pos = pos;
    if (pos.line > 0)
        n = snprintf(err->message, sizeof err->message,
                     "line %d, column %d: ", pos.line, pos.column);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message + n, sizeof err->message - (size_t)n, fmt, ap);
    va_end(ap);
    w->rc = code;
    return code;
}

static int var_index(const struct rw *w, const char *name)
{
    for (int i = 0; i < w->nvars; i++)
        if (!strcasecmp(w->vars[i], name))
            return i;
    return -1;
}

static int add_var(struct rw *w, const char *name, struct sql_pos pos)
{
    int v = var_index(w, name);
    if (v >= 0)
        return v;
    if (w->nvars >= CEP_MAX_VARS)
        return fail(w, pos, ERR_TOO_LARGE, "more than %d pattern variables",
                    CEP_MAX_VARS);
    w->vars[w->nvars] = name;
    return w->nvars++;
}

/* ---- the pattern ---- */

static struct cep_node *pattern(struct rw *w, const struct sql_pattern *p,
                                int depth)
{
    if (w->rc)
        return NULL;
    if (depth > 100) {
        fail(w, p->pos, ERR_TOO_LARGE, "the pattern nests too deeply");
        return NULL;
    }
    struct cep_node *n = arena_calloc(&w->arena, sizeof *n);
    n->min = p->min;
    n->max = p->max;
    n->reluctant = p->reluctant;
    if (n->min == 0 && n->max == 0) {
        fail(w, p->pos, ERR_INVALID, "a quantifier that repeats nothing");
        return NULL;
    }
    switch (p->kind) {
    case SQL_PATTERN_VAR:
        n->kind = CEP_NODE_VAR;
        n->var = add_var(w, p->name, p->pos);
        return w->rc ? NULL : n;
    case SQL_PATTERN_SEQ:
        n->kind = CEP_NODE_SEQ;
        break;
    case SQL_PATTERN_ALT:
        n->kind = CEP_NODE_ALT;
        break;
    case SQL_PATTERN_PERMUTE:
        n->kind = CEP_NODE_PERMUTE;
        if (p->nitems > CEP_MAX_PERMUTE) {
            fail(w, p->pos, ERR_TOO_LARGE, "PERMUTE of more than %d items",
                 CEP_MAX_PERMUTE);
            return NULL;
        }
        break;
    }
    if (p->nitems == 0) {
        fail(w, p->pos, ERR_INVALID, "an empty pattern");
        return NULL;
    }
    const struct cep_node **items =
        arena_calloc(&w->arena, p->nitems * sizeof *items);
    for (size_t i = 0; i < p->nitems; i++)
        if (!(items[i] = pattern(w, p->items[i], depth + 1)))
            return NULL;
    n->items = items;
    n->nitems = (int)p->nitems;
    return n;
}

/* ---- expressions ---- */

static struct sql_expr *copy(struct rw *w, const struct sql_expr *e)
{
    struct sql_expr *c = arena_alloc(&w->arena, sizeof *c);
    *c = *e;
    return c;
}

static struct sql_expr *column_node(struct rw *w, const struct sql_expr *at,
                                    const char *name)
{
    struct sql_expr *c = arena_calloc(&w->arena, sizeof *c);
    c->kind = SQL_EXPR_COLUMN;
    c->pos = at->pos;
    const char **parts = arena_alloc(&w->arena, sizeof *parts);
    parts[0] = arena_strndup(&w->arena, name, strlen(name));
    c->parts = parts;
    c->nparts = 1;
    c->height = 1;
    return c;
}

/* A reference: the column that carries it. */
static struct sql_expr *ref(struct rw *w, const struct sql_expr *at,
                            const struct cep_ref *r)
{
    w->navigates = true;
    if (!w->cep) /* checking only: any column of the right name */
        return copy(w, at);
    int col = cep_add_ref(w->cep, w->scope, r);
    if (col == ERR_TOO_LARGE) {
        fail(w, at->pos, ERR_TOO_LARGE,
             "more than %d navigations and aggregates in one clause",
             CEP_MAX_REFS);
        return NULL;
    }
    if (col < 0) {
        fail(w, at->pos, ERR_INVALID, "%s cannot be computed over this column",
             at->text ? at->text : "this expression");
        return NULL;
    }
    return column_node(w, at, cep_schema(w->cep, w->scope)->columns[col].name);
}

static int column_of(struct rw *w, const struct sql_expr *e, const char *name)
{
    int c = schema_find(w->in, name, strlen(name));
    if (c < 0)
        fail(w, e->pos, ERR_NOT_FOUND, "unknown column '%s' in %s", name,
             w->alias);
    return c;
}

/* A column argument, maybe qualified by a variable: *var (-1 if none) and
 * the input column. */
static int var_column(struct rw *w, const struct sql_expr *e, int *var,
                      int *col)
{
    *var = -1;
    if (e->kind != SQL_EXPR_COLUMN || e->nparts > 2)
        return fail(w, e->pos, ERR_INVALID,
                    "expected a column or variable.column here");
    if (e->nparts == 2) {
        *var = var_index(w, e->parts[0]);
        if (*var < 0 && strcasecmp(e->parts[0], w->alias))
            return fail(w, e->pos, ERR_NOT_FOUND,
                        "unknown pattern variable '%s'", e->parts[0]);
    }
    *col = column_of(w, e, e->parts[e->nparts - 1]);
    return *col < 0 ? w->rc : 0;
}

static int int_arg(struct rw *w, const struct sql_expr *e, int lo, int hi)
{
    if (e->kind != SQL_EXPR_INT || e->ival < lo || e->ival > hi)
        return fail(w, e->pos, ERR_INVALID,
                    "expected an integer literal from %d to %d", lo, hi);
    return (int)e->ival;
}

static struct sql_expr *rewrite(struct rw *w, const struct sql_expr *e);

static struct sql_expr *rw_call(struct rw *w, const struct sql_expr *e)
{
    const char *f = e->text ? e->text : "";
    struct cep_ref r = {.var = -1, .column = -1};
    bool define = w->scope == CEP_DEFINE;
    if (!strcmp(f, "NEXT")) {
        fail(w, e->pos, ERR_UNSUPPORTED,
             "NEXT is not supported in streaming mode (it would wait for "
             "rows after the match; use PREV, or a longer pattern)");
        return NULL;
    }
    if (!strcmp(f, "PREV") || !strcmp(f, "FIRST") || !strcmp(f, "LAST")) {
        if (e->nargs < 1 || e->nargs > 2) {
            fail(w, e->pos, ERR_INVALID, "%s(column [, offset])", f);
            return NULL;
        }
        int var, col;
        if (var_column(w, e->args[0], &var, &col))
            return NULL;
        r.column = col;
        r.kind = f[0] == 'P'   ? CEP_REF_PREV
                 : f[0] == 'F' ? CEP_REF_FIRST
                               : CEP_REF_LAST;
        r.offset = r.kind == CEP_REF_PREV ? 1 : 0;
        if (e->nargs == 2) {
            r.offset = int_arg(w, e->args[1], 0,
                               r.kind == CEP_REF_PREV ? CEP_MAX_PREV : 1000000);
            if (w->rc)
                return NULL;
        }
        if (r.kind != CEP_REF_PREV)
            r.var = var;
        if (r.kind == CEP_REF_PREV && r.offset == 0 && define)
            return column_node(w, e, w->in->columns[col].name);
        return ref(w, e, &r);
    }
    static const struct {
        const char *name;
        enum agg_func agg;
    } aggs[] = {{"SUM", AGG_SUM},
                {"AVG", AGG_AVG},
                {"MIN", AGG_MIN},
                {"MAX", AGG_MAX},
                {"COUNT", AGG_COUNT}};
    for (size_t i = 0; i < sizeof aggs / sizeof aggs[0]; i++) {
        if (strcmp(f, aggs[i].name))
            continue;
        if (e->distinct || e->filter || e->over) {
            fail(w, e->pos, ERR_UNSUPPORTED,
                 "DISTINCT, FILTER and OVER are not supported in "
                 "MATCH_RECOGNIZE");
            return NULL;
        }
        r.kind = CEP_REF_AGG;
        r.agg = aggs[i].agg;
        if (e->star && r.agg == AGG_COUNT) {
            r.agg = AGG_COUNT_STAR;
            return ref(w, e, &r);
        }
        if (e->nargs != 1) {
            fail(w, e->pos, ERR_INVALID, "%s takes one argument", f);
            return NULL;
        }
        const struct sql_expr *a = e->args[0];
        if (a->kind == SQL_EXPR_STAR && r.agg == AGG_COUNT) {
            r.agg = AGG_COUNT_STAR;
            if (a->nparts == 1) {
                r.var = var_index(w, a->parts[0]);
                if (r.var < 0) {
                    fail(w, a->pos, ERR_NOT_FOUND,
                         "unknown pattern variable '%s'", a->parts[0]);
                    return NULL;
                }
            }
            return ref(w, e, &r);
        }
        if (var_column(w, a, &r.var, &r.column))
            return NULL;
        return ref(w, e, &r);
    }
    static const struct {
        const char *name;
        enum cep_ref_kind kind;
    } fns[] = {{"CLASSIFIER", CEP_REF_CLASSIFIER},
               {"MATCH_NUMBER", CEP_REF_MATCH_NUMBER},
               {"MATCH_ROWTIME", CEP_REF_MATCH_ROWTIME},
               {"MATCH_TIMED_OUT", CEP_REF_TIMED_OUT}};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        if (strcmp(f, fns[i].name))
            continue;
        if (define) {
            fail(w, e->pos, ERR_UNSUPPORTED, "%s() is for MEASURES, not DEFINE",
                 f);
            return NULL;
        }
        if (e->nargs || e->star) {
            fail(w, e->pos, ERR_INVALID, "%s() takes no argument", f);
            return NULL;
        }
        r.kind = fns[i].kind;
        return ref(w, e, &r);
    }
    /* any other function: its arguments */
    struct sql_expr *c = copy(w, e);
    if (e->nargs) {
        c->args = arena_alloc(&w->arena, e->nargs * sizeof *c->args);
        for (size_t i = 0; i < e->nargs; i++)
            if (!(c->args[i] = rewrite(w, e->args[i])))
                return NULL;
    }
    return c;
}

static struct sql_expr *rewrite(struct rw *w, const struct sql_expr *e)
{
    if (w->rc)
        return NULL;
    if (!e)
        return NULL;
    switch (e->kind) {
    case SQL_EXPR_COLUMN: {
        int var, col;
        if (var_column(w, e, &var, &col))
            return NULL;
        const char *name = w->in->columns[col].name;
        if (var < 0 || (w->scope == CEP_DEFINE && var == w->defvar))
            return column_node(w, e, name);
        struct cep_ref r = {
            .kind = CEP_REF_LAST, .var = var, .column = col, .offset = 0};
        return ref(w, e, &r);
    }
    case SQL_EXPR_CALL:
        return rw_call(w, e);
    case SQL_EXPR_SUBQUERY:
        fail(w, e->pos, ERR_UNSUPPORTED, "subqueries are not supported here");
        return NULL;
    default:
        break;
    }
    struct sql_expr *c = copy(w, e);
    if (e->left && !(c->left = rewrite(w, e->left)))
        return NULL;
    if (e->right && !(c->right = rewrite(w, e->right)))
        return NULL;
    if (e->third && !(c->third = rewrite(w, e->third)))
        return NULL;
    if (e->nargs) {
        c->args = arena_alloc(&w->arena, e->nargs * sizeof *c->args);
        for (size_t i = 0; i < e->nargs; i++)
            if (!(c->args[i] = rewrite(w, e->args[i])))
                return NULL;
    }
    return c;
}

/* ---- the clause ---- */

static int64_t interval_ms(const struct sql_expr *e)
{
    return e && e->kind == SQL_EXPR_INTERVAL && e->ival > 0 ? e->ival : -1;
}

/* Variables, partition keys, ORDER BY, WITHIN, SKIP: shared by check and
 * build. */
static int common(struct rw *w, const struct sql_from *f, const char *timecol,
                  struct sql_match_plan *out, struct cep_node **root)
{
    const struct sql_match *m = f->match;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < m->npartition_by; i++) {
        const struct sql_expr *k = m->partition_by[i];
        if (k->kind != SQL_EXPR_COLUMN || k->nparts > 2)
            return fail(w, k->pos, ERR_UNSUPPORTED,
                        "PARTITION BY takes columns of the input");
        if (out->nkeys >= CEP_MAX_KEYS)
            return fail(w, k->pos, ERR_TOO_LARGE,
                        "more than %d PARTITION BY columns", CEP_MAX_KEYS);
        int c = column_of(w, k, k->parts[k->nparts - 1]);
        if (c < 0)
            return w->rc;
        out->keys[out->nkeys++] = c;
    }
    if (!timecol)
        return fail(w, f->pos, ERR_INVALID,
                    "MATCH_RECOGNIZE needs a stream with a WATERMARK (its "
                    "rows are matched in event-time order)");
    if (m->norder_by != 1 || m->order_by[0].desc ||
        m->order_by[0].expr->kind != SQL_EXPR_COLUMN ||
        strcasecmp(m->order_by[0].expr->parts[m->order_by[0].expr->nparts - 1],
                   timecol))
        return fail(w, m->norder_by ? m->order_by[0].expr->pos : f->pos,
                    ERR_UNSUPPORTED,
                    "MATCH_RECOGNIZE must ORDER BY the event-time column %s "
                    "(ascending)",
                    timecol);
    if (m->within) {
        out->within_ms = interval_ms(m->within);
        if (out->within_ms <= 0)
            return fail(w, m->within->pos, ERR_INVALID,
                        "WITHIN takes a positive INTERVAL");
    }
    if (m->timeout_rows && !m->within)
        return fail(w, f->pos, ERR_INVALID,
                    "WITH TIMEOUT ROWS needs WITHIN INTERVAL (the time after "
                    "which a partial match times out)");
    *root = pattern(w, m->pattern, 0);
    if (!*root)
        return w->rc ? w->rc : ERR_INVALID;
    for (size_t i = 0; i < m->ndefines; i++) {
        const struct sql_define *d = &m->defines[i];
        if (var_index(w, d->var) < 0)
            return fail(w, d->cond->pos, ERR_NOT_FOUND,
                        "DEFINE %s: the variable is not in the PATTERN",
                        d->var);
        for (size_t j = 0; j < i; j++)
            if (!strcasecmp(m->defines[j].var, d->var))
                return fail(w, d->cond->pos, ERR_INVALID, "%s is defined twice",
                            d->var);
    }
    if (m->skip == SQL_SKIP_TO_FIRST || m->skip == SQL_SKIP_TO_LAST) {
        if (var_index(w, m->skip_var) < 0)
            return fail(w, f->pos, ERR_NOT_FOUND,
                        "AFTER MATCH SKIP TO %s: unknown pattern variable",
                        m->skip_var);
    }
    return 0;
}

int sql_match_check(const struct sql_from *f, const struct schema *in,
                    const char *timecol, struct sql_match_plan *out,
                    struct sql_exec_error *err)
{
    struct rw w = {.in = in,
                   .m = f->match,
                   .alias = f->left->alias ? f->left->alias : f->left->name,
                   .err = err};
    arena_init(&w.arena, 4096);
    struct cep_node *root;
    int rc = common(&w, f, timecol, out, &root);
    arena_fini(&w.arena);
    return rc;
}

/* The terms of a chain of ANDs (e itself when it is not an AND). */
static int and_terms(const struct sql_expr *e, const struct sql_expr **out,
                     int max)
{
    if (e->kind == SQL_EXPR_BINARY && e->op == SQL_OP_AND && max > 1) {
        int n = and_terms(e->left, out, max - 1);
        return n + and_terms(e->right, out + n, max - n);
    }
    out[0] = e;
    return 1;
}

static struct sql_expr *and_node(struct rw *w, struct sql_expr *a,
                                 struct sql_expr *b)
{
    struct sql_expr *x = arena_calloc(&w->arena, sizeof *x);
    x->kind = SQL_EXPR_BINARY;
    x->op = SQL_OP_AND;
    x->pos = a->pos;
    x->left = a;
    x->right = b;
    x->height = (a->height > b->height ? a->height : b->height) + 1;
    return x;
}

static bool boolean(enum schema_type t)
{
    return t == SCHEMA_BOOLEAN || t == SCHEMA_NULL;
}

int sql_match_build(const struct sql_from *f, struct pipeline *pipe,
                    const char *timecol, int64_t lateness,
                    const struct sql_match_limits *limits, cep_late_fn late,
                    void *late_arg, struct cep **cep_out,
                    struct sql_exec_error *err)
{
    const struct sql_match *m = f->match;
    const struct schema *in = pipeline_schema(pipe);
    int cap = pipeline_capacity(pipe);
    struct rw w = {.in = in,
                   .m = m,
                   .alias = f->left->alias ? f->left->alias : f->left->name,
                   .err = err};
    arena_init(&w.arena, 4096);
    struct cep *c = NULL;
    struct expr_ctx *lctx = NULL, *gctx = NULL, *mctx = NULL;
    struct sql_match_plan mp;
    struct cep_node *root;
    int rc = common(&w, f, timecol, &mp, &root);
    if (rc)
        goto out;
    if ((rc = cep_create(in, cap, &c))) {
        fail(&w, f->pos, rc, "cannot create the MATCH_RECOGNIZE operator");
        goto out;
    }
    for (int i = 0; i < w.nvars; i++)
        cep_add_var(c, w.vars[i]);
    char msg[256];
    if ((rc = cep_set_pattern(c, root, msg, sizeof msg))) {
        fail(&w, m->pattern->pos, rc, "%s", msg);
        goto out;
    }
    struct cep_options o = {.nkeys = mp.nkeys,
                            .allowed_lateness_ms = lateness,
                            .within_ms = mp.within_ms,
                            .timeout_rows = m->timeout_rows,
                            .all_rows = m->all_rows,
                            .late = late,
                            .late_arg = late_arg};
    if (limits) {
        o.max_partial = limits->max_partial;
        o.max_rows = limits->max_rows;
    }
    memcpy(o.keys, mp.keys, sizeof o.keys);
    switch (m->skip) {
    case SQL_SKIP_PAST_LAST_ROW:
        o.skip = CEP_SKIP_PAST_LAST_ROW;
        break;
    case SQL_SKIP_TO_NEXT_ROW:
        o.skip = CEP_SKIP_TO_NEXT_ROW;
        break;
    case SQL_SKIP_TO_FIRST:
        o.skip = CEP_SKIP_TO_FIRST;
        o.skip_var = var_index(&w, m->skip_var);
        break;
    case SQL_SKIP_TO_LAST:
        o.skip = CEP_SKIP_TO_LAST;
        o.skip_var = var_index(&w, m->skip_var);
        break;
    }
    if ((rc = cep_set_options(c, &o))) {
        fail(&w, f->pos, rc, "invalid MATCH_RECOGNIZE options");
        goto out;
    }
    w.cep = c;
    /* rewrite every clause first: the evaluation schemas are complete
     * before anything is typed over them */
    /* each DEFINE's AND terms: those that read only the row (local, once
     * per row) and those that navigate the match (per partial match,
     * evaluated only where the local ones hold) */
    struct sql_expr *dl[CEP_MAX_VARS] = {0}, *dg[CEP_MAX_VARS] = {0};
    for (size_t i = 0; i < m->ndefines; i++) {
        int v = var_index(&w, m->defines[i].var);
        w.scope = CEP_DEFINE;
        w.defvar = v;
        const struct sql_expr *terms[64];
        int nt = and_terms(m->defines[i].cond, terms, 64);
        for (int t = 0; t < nt; t++) {
            w.navigates = false;
            struct sql_expr *x = rewrite(&w, terms[t]);
            if (!x) {
                rc = w.rc ? w.rc : ERR_INVALID;
                goto out;
            }
            struct sql_expr **into = w.navigates ? &dg[v] : &dl[v];
            *into = *into ? and_node(&w, *into, x) : x;
        }
    }
    struct sql_expr *mx[SCHEMA_MAX_COLUMNS];
    if (m->nmeasures + (size_t)mp.nkeys > SCHEMA_MAX_COLUMNS) {
        rc = fail(&w, f->pos, ERR_TOO_LARGE, "too many measures");
        goto out;
    }
    w.scope = CEP_MEASURE;
    w.defvar = -1;
    for (size_t i = 0; i < m->nmeasures; i++)
        if (!(mx[i] = rewrite(&w, m->measures[i].expr))) {
            rc = w.rc ? w.rc : ERR_INVALID;
            goto out;
        }
    if ((rc = expr_ctx_create(in, cap, &lctx)) ||
        (rc = expr_ctx_create(cep_schema(c, CEP_DEFINE), cap, &gctx)) ||
        (rc = expr_ctx_create(cep_schema(c, CEP_MEASURE), cap, &mctx))) {
        fail(&w, f->pos, rc, "cannot compile MATCH_RECOGNIZE");
        goto out;
    }
    struct expr *lx[CEP_MAX_VARS] = {0}, *gx[CEP_MAX_VARS] = {0};
    for (size_t i = 0; i < m->ndefines; i++) {
        int v = var_index(&w, m->defines[i].var);
        for (int part = 0; part < 2; part++) {
            struct sql_expr *d = part ? dg[v] : dl[v];
            if (!d)
                continue;
            struct expr *x = part
                                 ? planner_expr(gctx, cep_schema(c, CEP_DEFINE),
                                                w.alias, d, err, &rc)
                                 : planner_expr(lctx, in, w.alias, d, err, &rc);
            if (!x)
                goto out;
            if (!boolean(expr_type(x))) {
                rc = fail(&w, m->defines[i].cond->pos, ERR_INVALID,
                          "DEFINE %s must be BOOLEAN, not %s",
                          m->defines[i].var, schema_type_name(expr_type(x)));
                goto out;
            }
            (part ? gx : lx)[v] = x;
        }
    }
    rc = cep_set_defines(c, lctx, gctx, lx, gx);
    lctx = gctx = NULL;
    if (rc) {
        fail(&w, f->pos, rc, "cannot build DEFINE");
        goto out;
    }
    struct expr *ex[SCHEMA_MAX_COLUMNS];
    const char *names[SCHEMA_MAX_COLUMNS];
    for (size_t i = 0; i < m->nmeasures; i++) {
        ex[i] = planner_expr(mctx, cep_schema(c, CEP_MEASURE), w.alias, mx[i],
                             err, &rc);
        if (!ex[i])
            goto out;
        names[i] = m->measures[i].alias;
        for (int k = 0; k < (m->all_rows ? in->ncolumns : mp.nkeys); k++)
            if (!strcasecmp(names[i],
                            in->columns[m->all_rows ? k : mp.keys[k]].name)) {
                rc = fail(&w, m->measures[i].expr->pos, ERR_INVALID,
                          "measure %s has the name of a%s column", names[i],
                          m->all_rows ? "n input" : " PARTITION BY");
                goto out;
            }
        for (size_t j = 0; j < i; j++)
            if (!strcasecmp(names[i], names[j])) {
                rc = fail(&w, m->measures[i].expr->pos, ERR_INVALID,
                          "duplicate measure %s", names[i]);
                goto out;
            }
    }
    rc = cep_set_measures(c, mctx, (int)m->nmeasures, ex, names);
    mctx = NULL;
    if (rc) {
        fail(&w, f->pos, rc, "cannot build MEASURES");
        goto out;
    }
    struct operator_node *op;
    struct cep *keep = c;
    rc = operator_cep_create(c, &op);
    c = NULL;
    if (!rc)
        rc = pipeline_add_operator(pipe, op);
    if (rc) {
        fail(&w, f->pos, rc, "cannot build MATCH_RECOGNIZE");
        goto out;
    }
    if (cep_out)
        *cep_out = keep;
out:
    expr_ctx_destroy(lctx);
    expr_ctx_destroy(gctx);
    expr_ctx_destroy(mctx);
    cep_destroy(c);
    arena_fini(&w.arena);
    return rc;
}

int sql_match_compile_pattern(const struct sql_match *m,
                              struct cep_program *out, int *nvars,
                              struct sql_exec_error *err)
{
    struct rw w = {.m = m, .err = err};
    memset(out, 0, sizeof *out);
    arena_init(&w.arena, 4096);
    struct cep_node *root = pattern(&w, m->pattern, 0);
    int rc = w.rc;
    if (root && !rc) {
        char msg[256];
        rc = cep_program_compile(root, w.nvars, out, msg, sizeof msg);
        if (rc)
            fail(&w, m->pattern->pos, rc, "%s", msg);
    }
    if (!root && !rc)
        rc = ERR_INVALID;
    *nvars = w.nvars;
    arena_fini(&w.arena);
    return rc;
}
