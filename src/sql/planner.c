/* planner.c - SELECT syntax trees to a stream pipeline (layer: sql).
 *
 * Two translation modes for expressions: over the input schema (WHERE,
 * the SELECT list of a plain query), and over the window aggregate's
 * output (HAVING, the SELECT list of a GROUP BY query), where a column must
 * be a GROUP BY key or window_start/window_end and an aggregate call names
 * one of the aggregates collected beforehand. Typing is the expression
 * constructors' (stream/expr.h); their first error is reported at the
 * position of the node that failed. Not the executor's job: names of
 * relations are already checked by sql_exec.c.
 */
#include "sql/planner.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"
#include "log/logdir.h"
#include "stream/stream_log.h"
#include "sql/catalog.h"
#include "sql/sql_join.h"
#include "sql/sql_over.h"
#include "sql/sql_match.h"
#include "sql/sql_subq.h"
#include "stream/decimal.h"

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
    size_t l = src ? strlen(src) : 0;
    if (l >= n)
        l = n - 1;
    if (l)
        memmove(dst, src, l);
    dst[l] = '\0';
}

/* An S-expression of e, bounded, for EXPLAIN. */
static void expr_text(char *dst, size_t n, const struct sql_expr *e)
{
    char *s = sql_ast_format_expr(e);
    copy_str(dst, n, s);
    mem_free(s);
}

/* ---- aggregates ---- */

struct aggref {
    enum agg_func func;
    int column; /* input column, -1 for COUNT(*) */
    double param;
};

struct tr {
    struct expr_ctx *ctx;
    const struct schema *schema; /* what columns resolve against */
    const char *relation;        /* for messages */
    struct sql_exec_error *err;
    int rc;
    /* aggregate mode: the input schema and the collected aggregates */
    bool agg_mode;
    const struct schema *in_schema;
    struct window_agg_config *wcfg;
    int agg_col0; /* output column of the first aggregate */
    /* aggregate arguments that are expressions: computed by a project
     * before the window operator, as columns in_schema->ncolumns + i */
    struct expr_ctx *pre_ctx;
    int npre;
    struct expr *pre[WINDOW_AGG_MAX_AGGS];
    char pre_text[WINDOW_AGG_MAX_AGGS][PLAN_TEXT_MAX];
    /* GROUP BY expressions: text -> key index (output column) */
    int ngexpr;
    char gexpr_text[WINDOW_AGG_MAX_KEYS][PLAN_TEXT_MAX];
    int gexpr_key[WINDOW_AGG_MAX_KEYS];
    /* OVER calls are columns of the OVER operator's output */
    const struct sql_over_plan *over;
};

static struct expr *tr_expr(struct tr *t, const struct sql_expr *e);

/* The pre-projected column computing aggregate argument a (the same text
 * gives the same column); its type in *ty. */
static int pre_slot(struct tr *t, const struct sql_expr *a,
                    enum schema_type *ty)
{
    char text[PLAN_TEXT_MAX];
    char *s = sql_ast_format_expr(a);
    snprintf(text, sizeof text, "%s", s);
    mem_free(s);
    for (int i = 0; i < t->npre; i++)
        if (!strcmp(t->pre_text[i], text)) {
            *ty = expr_type(t->pre[i]);
            return t->in_schema->ncolumns + i;
        }
    if (t->npre >= WINDOW_AGG_MAX_AGGS ||
        t->in_schema->ncolumns + t->npre >= SCHEMA_MAX_COLUMNS)
        return fail(t->err, a->pos, ERR_TOO_LARGE,
                    "too many computed aggregate arguments");
    if (!t->pre_ctx && expr_ctx_create(t->in_schema, 1024, &t->pre_ctx))
        return fail(t->err, a->pos, ERR_INVALID, "cannot compile %s", text);
    struct tr sub = {.ctx = t->pre_ctx,
                     .schema = t->in_schema,
                     .relation = t->relation,
                     .err = t->err,
                     .in_schema = t->in_schema};
    struct expr *x = tr_expr(&sub, a);
    if (!x)
        return sub.rc ? sub.rc : ERR_INVALID;
    t->pre[t->npre] = x;
    snprintf(t->pre_text[t->npre], PLAN_TEXT_MAX, "%s", text);
    *ty = expr_type(x);
    return t->in_schema->ncolumns + t->npre++;
}

static const char *col_name(const struct sql_expr *e)
{
    return e->parts[e->nparts - 1];
}

/* Recognises an aggregate call; returns 1 (ref filled), 0 (not an
 * aggregate) or a negative error. */
static int agg_of(struct tr *t, const struct sql_expr *e, struct aggref *ref)
{
    static const struct {
        const char *name;
        enum agg_func func;
    } names[] = {
        {"COUNT", AGG_COUNT},
        {"SUM", AGG_SUM},
        {"AVG", AGG_AVG},
        {"MIN", AGG_MIN},
        {"MAX", AGG_MAX},
        {"STDDEV_POP", AGG_STDDEV_POP},
        {"STDDEV_SAMP", AGG_STDDEV_SAMP},
        {"STDDEV", AGG_STDDEV_SAMP},
        {"VAR_POP", AGG_VAR_POP},
        {"VAR_SAMP", AGG_VAR_SAMP},
        {"VARIANCE", AGG_VAR_SAMP},
        {"FIRST_VALUE", AGG_FIRST_VALUE},
        {"LAST_VALUE", AGG_LAST_VALUE},
        {"APPROX_PERCENTILE", AGG_PERCENTILE},
        {"PERCENTILE_APPROX", AGG_PERCENTILE},
    };
    if (e->kind != SQL_EXPR_CALL || !e->text)
        return 0;
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcasecmp(e->text, names[i].name))
            break;
    if (i == sizeof names / sizeof names[0])
        return 0;
    memset(ref, 0, sizeof *ref);
    ref->func = names[i].func;
    ref->column = -1;
    if (e->over)
        return 0; /* an OVER call: sql_over.c, tr_expr */
    if (e->filter)
        return fail(t->err, e->pos, ERR_UNSUPPORTED,
                    "FILTER (WHERE ...) on aggregates is not supported yet");
    if (e->star) {
        if (ref->func != AGG_COUNT)
            return fail(t->err, e->pos, ERR_INVALID, "%s(*) is not allowed",
                        e->text);
        ref->func = AGG_COUNT_STAR;
        return 1;
    }
    size_t want = ref->func == AGG_PERCENTILE ? 2 : 1;
    if (e->nargs != want)
        return fail(t->err, e->pos, ERR_INVALID,
                    "%s takes %zu argument%s, got %zu", e->text, want,
                    want == 1 ? "" : "s", e->nargs);
    if (e->distinct) {
        if (ref->func != AGG_COUNT)
            return fail(t->err, e->pos, ERR_UNSUPPORTED,
                        "DISTINCT is only supported in COUNT(DISTINCT x)");
        ref->func = AGG_COUNT_DISTINCT;
    }
    const struct sql_expr *a = e->args[0];
    const char *n = "the argument";
    int c;
    enum schema_type ty;
    if (a->kind == SQL_EXPR_COLUMN) {
        n = col_name(a);
        c = schema_find(t->in_schema, n, strlen(n));
        if (c < 0)
            return fail(t->err, a->pos, ERR_NOT_FOUND,
                        "unknown column '%s' in %s", n, t->relation);
        ty = t->in_schema->columns[c].type;
    } else if ((c = pre_slot(t, a, &ty)) < 0) {
        return c;
    }
    bool numeric =
        ty == SCHEMA_INT || ty == SCHEMA_BIGINT || ty == SCHEMA_DOUBLE;
    switch (ref->func) {
    case AGG_SUM:
    case AGG_AVG:
    case AGG_STDDEV_POP:
    case AGG_STDDEV_SAMP:
    case AGG_VAR_POP:
    case AGG_VAR_SAMP:
    case AGG_PERCENTILE:
        if (!numeric)
            return fail(t->err, a->pos, ERR_INVALID,
                        "%s needs a number, but %s%s%s is %s", e->text,
                        a->kind == SQL_EXPR_COLUMN ? "'" : "", n,
                        a->kind == SQL_EXPR_COLUMN ? "'" : "",
                        schema_type_name(ty));
        break;
    default:
        break;
    }
    ref->column = c;
    if (ref->func == AGG_PERCENTILE) {
        const struct sql_expr *p = e->args[1];
        if (p->kind != SQL_EXPR_DOUBLE && p->kind != SQL_EXPR_DECIMAL &&
            p->kind != SQL_EXPR_INT)
            return fail(t->err, p->pos, ERR_INVALID,
                        "the percentile must be a number literal in [0, 1]");
        ref->param = p->kind == SQL_EXPR_INT ? (double)p->ival : p->dval;
        if (ref->param < 0 || ref->param > 1)
            return fail(t->err, p->pos, ERR_INVALID,
                        "the percentile must be in [0, 1]");
    }
    return 1;
}

/* Index of ref among the collected aggregates, adding it if asked. */
static int agg_index(struct tr *t, const struct aggref *ref, bool add,
                     const struct sql_expr *e, struct plan *p)
{
    for (int i = 0; i < t->wcfg->naggs; i++) {
        const struct agg_spec *s = &t->wcfg->aggs[i];
        if (s->func == ref->func && s->column == ref->column &&
            s->param == ref->param)
            return i;
    }
    if (!add)
        return ERR_NOT_FOUND;
    if (t->wcfg->naggs >= WINDOW_AGG_MAX_AGGS)
        return fail(t->err, e->pos, ERR_TOO_LARGE, "more than %d aggregates",
                    WINDOW_AGG_MAX_AGGS);
    int i = t->wcfg->naggs++;
    struct agg_spec *s = &t->wcfg->aggs[i];
    memset(s, 0, sizeof *s);
    s->func = ref->func;
    s->column = ref->column;
    s->param = ref->param;
    snprintf(s->name, sizeof s->name, "$agg%d", i);
    expr_text(p->agg_text[i], sizeof p->agg_text[i], e);
    return i;
}

/* Collects the aggregates under e (not nested in one another). */
static int collect_aggs(struct tr *t, const struct sql_expr *e, struct plan *p,
                        bool inside)
{
    if (!e)
        return 0;
    struct aggref ref;
    int rc = agg_of(t, e, &ref);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        if (inside)
            return fail(t->err, e->pos, ERR_INVALID,
                        "aggregates cannot be nested");
        rc = agg_index(t, &ref, true, e, p);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < e->nargs; i++) {
            rc = collect_aggs(t, e->args[i], p, true);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    const struct sql_expr *kids[3] = {e->left, e->right, e->third};
    for (int i = 0; i < 3; i++)
        if ((rc = collect_aggs(t, kids[i], p, inside)) < 0)
            return rc;
    for (size_t i = 0; i < e->nargs; i++)
        if ((rc = collect_aggs(t, e->args[i], p, inside)) < 0)
            return rc;
    return 0;
}

/* ---- expressions ---- */

static struct expr *tr_expr(struct tr *t, const struct sql_expr *e);

/* A constructor returned NULL: report its message at e. */
static struct expr *built(struct tr *t, const struct sql_expr *e,
                          struct expr *x)
{
    if (x || t->rc)
        return x;
    const char *m = expr_ctx_error(t->ctx);
    t->rc =
        fail(t->err, e->pos, ERR_INVALID, "%s", m ? m : "invalid expression");
    return NULL;
}

static struct expr *refuse(struct tr *t, const struct sql_expr *e, int code,
                           const char *what)
{
    if (!t->rc)
        t->rc = fail(t->err, e->pos, code, "%s", what);
    return NULL;
}

static int type_of(const struct sql_type *ty)
{
    switch (ty->kind) {
    case SQL_TYPE_STRING:
    case SQL_TYPE_VARCHAR:
        return SCHEMA_STRING;
    case SQL_TYPE_BOOLEAN:
        return SCHEMA_BOOLEAN;
    case SQL_TYPE_TINYINT:
    case SQL_TYPE_SMALLINT:
    case SQL_TYPE_INT:
        return SCHEMA_INT;
    case SQL_TYPE_BIGINT:
        return SCHEMA_BIGINT;
    case SQL_TYPE_FLOAT:
    case SQL_TYPE_DOUBLE:
    case SQL_TYPE_DECIMAL:
        return SCHEMA_DOUBLE;
    case SQL_TYPE_TIMESTAMP:
    case SQL_TYPE_TIMESTAMP_LTZ:
        return SCHEMA_TIMESTAMP;
    default:
        return ERR_UNSUPPORTED;
    }
}

/* A column of sc by the name e gives. A join's columns are named
 * "q.col" (sql_join.c): a qualified name finds its own, a bare one the
 * only column of that name (*ambiguous when two sides have it). */
static int find_column(const struct schema *sc, const struct sql_expr *e,
                       bool *ambiguous)
{
    const char *n = col_name(e);
    *ambiguous = false;
    if (e->nparts >= 2) {
        char q[2 * SCHEMA_NAME_MAX];
        snprintf(q, sizeof q, "%s.%s", e->parts[e->nparts - 2], n);
        int c = schema_find(sc, q, strlen(q));
        if (c >= 0)
            return c;
    }
    int c = schema_find(sc, n, strlen(n));
    if (c >= 0)
        return c;
    size_t nl = strlen(n);
    for (int i = 0; i < sc->ncolumns; i++) {
        const char *cn = sc->columns[i].name;
        const char *dot = strrchr(cn, '.');
        if (!dot || strlen(dot + 1) != nl || strncasecmp(dot + 1, n, nl))
            continue;
        if (c >= 0) {
            *ambiguous = true;
            return ERR_NOT_FOUND;
        }
        c = i;
    }
    return c;
}

static struct expr *tr_column(struct tr *t, const struct sql_expr *e)
{
    const char *n = col_name(e);
    bool amb;
    int we;
    if (t->agg_mode && t->wcfg->window.kind != WINDOW_NONE &&
        !strcasecmp(n, "window_time") &&
        (we = schema_find(t->schema, "window_end", 10)) >= 0)
        /* Flink's window_time: the window's end - 1 ms, the event time of
         * the aggregate's rows (a window over them: sql_subq.c) */
        return built(t, e,
                     expr_binary(t->ctx, EXPR_SUB, expr_column(t->ctx, we),
                                 expr_literal(t->ctx, value_bigint(1))));
    int c = find_column(t->schema, e, &amb);
    if (amb) {
        t->rc = fail(t->err, e->pos, ERR_INVALID,
                     "column '%s' is ambiguous (qualify it: a.%s or b.%s)", n,
                     n, n);
        return NULL;
    }
    if (t->agg_mode && (c < 0 || c >= t->agg_col0)) {
        /* Not a key or window bound of the aggregate's output. */
        if (schema_find(t->in_schema, n, strlen(n)) >= 0) {
            t->rc = fail(t->err, e->pos, ERR_INVALID,
                         "column '%s' must appear in GROUP BY or be used in "
                         "an aggregate function",
                         n);
            return NULL;
        }
        c = -1;
    }
    if (c < 0) {
        t->rc = fail(t->err, e->pos, ERR_NOT_FOUND, "unknown column '%s' in %s",
                     n, t->relation);
        return NULL;
    }
    return built(t, e, expr_column(t->ctx, c));
}

static struct expr *tr_call(struct tr *t, const struct sql_expr *e)
{
    struct aggref ref;
    int rc = agg_of(t, e, &ref);
    if (rc < 0) {
        t->rc = rc;
        return NULL;
    }
    if (rc == 1) {
        if (!t->agg_mode)
            return refuse(t, e, ERR_INVALID,
                          "aggregate functions need GROUP BY (or a window "
                          "table function with GROUP BY window_start, "
                          "window_end)");
        int i = agg_index(t, &ref, false, e, NULL);
        if (i < 0)
            return refuse(t, e, ERR_INVALID, "aggregate not collected");
        return built(t, e, expr_column(t->ctx, t->agg_col0 + i));
    }
    static const struct {
        const char *name;
        enum expr_func fn;
    } fns[] = {
        {"ABS", EXPR_FN_ABS},
        {"ROUND", EXPR_FN_ROUND},
        {"FLOOR", EXPR_FN_FLOOR},
        {"CEIL", EXPR_FN_CEIL},
        {"CEILING", EXPR_FN_CEIL},
        {"SQRT", EXPR_FN_SQRT},
        {"POWER", EXPR_FN_POWER},
        {"POW", EXPR_FN_POWER},
        {"LOWER", EXPR_FN_LOWER},
        {"UPPER", EXPR_FN_UPPER},
        {"CHAR_LENGTH", EXPR_FN_CHAR_LENGTH},
        {"CHARACTER_LENGTH", EXPR_FN_CHAR_LENGTH},
        {"CONCAT", EXPR_FN_CONCAT},
        {"COALESCE", EXPR_FN_COALESCE},
        {"CURRENT_WATERMARK", EXPR_FN_CURRENT_WATERMARK},
        {"IF", EXPR_FN_IF},
        {"NULLIF", EXPR_FN_NULLIF},
        {"SUBSTRING", EXPR_FN_SUBSTRING},
        {"SUBSTR", EXPR_FN_SUBSTRING},
        {"REPLACE", EXPR_FN_REPLACE},
        {"TRIM", EXPR_FN_TRIM},
        {"LTRIM", EXPR_FN_LTRIM},
        {"RTRIM", EXPR_FN_RTRIM},
        {"EXTRACT", EXPR_FN_EXTRACT},
        {"TIMESTAMPDIFF", EXPR_FN_TIMESTAMPDIFF},
        {"DATE_FORMAT", EXPR_FN_DATE_FORMAT},
        {"TO_TIMESTAMP_LTZ", EXPR_FN_TO_TIMESTAMP_LTZ},
    };
    size_t i;
    for (i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (e->text && !strcasecmp(e->text, fns[i].name))
            break;
    if (i == sizeof fns / sizeof fns[0]) {
        if (!t->rc)
            t->rc = fail(t->err, e->pos, ERR_UNSUPPORTED,
                         "unknown or unsupported function %s",
                         e->text ? e->text : "?");
        return NULL;
    }
    if (e->over || e->filter || e->distinct || e->star)
        return refuse(t, e, ERR_INVALID, "not an aggregate function");
    if (e->nargs > 16)
        return refuse(t, e, ERR_INVALID, "too many arguments");
    struct expr *args[16];
    for (size_t k = 0; k < e->nargs; k++)
        if (!(args[k] = tr_expr(t, e->args[k])))
            return NULL;
    enum expr_func fn = fns[i].fn;
    /* FLOOR|CEIL(ts TO unit): the parser's FLOOR(ts, 'UNIT') */
    if (e->nargs == 2 && (fn == EXPR_FN_FLOOR || fn == EXPR_FN_CEIL))
        fn = fn == EXPR_FN_FLOOR ? EXPR_FN_FLOOR_TO : EXPR_FN_CEIL_TO;
    return built(t, e, expr_func(t->ctx, fn, args, (int)e->nargs));
}

static struct expr *tr_literal(struct tr *t, const struct sql_expr *e)
{
    switch (e->kind) {
    case SQL_EXPR_INT:
        if (e->ival >= INT32_MIN && e->ival <= INT32_MAX)
            return built(t, e,
                         expr_literal(t->ctx, value_int((int32_t)e->ival)));
        return built(t, e, expr_literal(t->ctx, value_bigint(e->ival)));
    case SQL_EXPR_DECIMAL:
    case SQL_EXPR_DOUBLE:
        return built(t, e, expr_literal(t->ctx, value_double(e->dval)));
    case SQL_EXPR_STRING:
        return built(
            t, e,
            expr_literal(t->ctx,
                         value_string(e->text, (uint32_t)strlen(e->text))));
    case SQL_EXPR_BOOL:
        return built(t, e, expr_literal(t->ctx, value_bool(e->ival != 0)));
    case SQL_EXPR_NULL:
        return built(t, e, expr_null(t->ctx, SCHEMA_NULL));
    case SQL_EXPR_INTERVAL:
        return built(t, e, expr_literal(t->ctx, value_bigint(e->ival)));
    case SQL_EXPR_TIMESTAMP:
        return built(t, e, expr_literal(t->ctx, value_timestamp(e->ival)));
    default:
        return refuse(t, e, ERR_INVALID, "not a literal");
    }
}

static enum expr_op bin_op(enum sql_op op, bool *ok)
{
    *ok = true;
    switch (op) {
    case SQL_OP_OR:
        return EXPR_OR;
    case SQL_OP_AND:
        return EXPR_AND;
    case SQL_OP_EQ:
        return EXPR_EQ;
    case SQL_OP_NE:
        return EXPR_NE;
    case SQL_OP_LT:
        return EXPR_LT;
    case SQL_OP_LE:
        return EXPR_LE;
    case SQL_OP_GT:
        return EXPR_GT;
    case SQL_OP_GE:
        return EXPR_GE;
    case SQL_OP_CONCAT:
        return EXPR_CONCAT;
    case SQL_OP_ADD:
        return EXPR_ADD;
    case SQL_OP_SUB:
        return EXPR_SUB;
    case SQL_OP_MUL:
        return EXPR_MUL;
    case SQL_OP_DIV:
        return EXPR_DIV;
    case SQL_OP_MOD:
        return EXPR_MOD;
    default:
        *ok = false;
        return EXPR_ADD;
    }
}

static struct expr *tr_expr(struct tr *t, const struct sql_expr *e)
{
    if (t->rc)
        return NULL;
    struct expr *a, *b, *c;
    bool ok;
    if (t->agg_mode && t->ngexpr && e->kind != SQL_EXPR_COLUMN) {
        /* A GROUP BY expression is its key column. */
        char text[PLAN_TEXT_MAX];
        expr_text(text, sizeof text, e);
        for (int i = 0; i < t->ngexpr; i++)
            if (!strcmp(text, t->gexpr_text[i]))
                return built(t, e, expr_column(t->ctx, t->gexpr_key[i]));
    }
    switch (e->kind) {
    case SQL_EXPR_INT:
    case SQL_EXPR_DECIMAL:
    case SQL_EXPR_DOUBLE:
    case SQL_EXPR_STRING:
    case SQL_EXPR_BOOL:
    case SQL_EXPR_NULL:
    case SQL_EXPR_INTERVAL:
    case SQL_EXPR_TIMESTAMP:
        return tr_literal(t, e);
    case SQL_EXPR_COLUMN:
        return tr_column(t, e);
    case SQL_EXPR_STAR:
        return refuse(t, e, ERR_INVALID, "'*' is not an expression");
    case SQL_EXPR_UNARY:
        if (!(a = tr_expr(t, e->left)))
            return NULL;
        if (e->op == SQL_OP_PLUS)
            return a;
        return built(
            t, e,
            expr_unary(t->ctx, e->op == SQL_OP_NOT ? EXPR_NOT : EXPR_NEG, a));
    case SQL_EXPR_BINARY: {
        enum expr_op op = bin_op(e->op, &ok);
        if (!ok)
            return refuse(t, e, ERR_INVALID, "unknown operator");
        if (!(a = tr_expr(t, e->left)) || !(b = tr_expr(t, e->right)))
            return NULL;
        struct expr *x = expr_binary(t->ctx, op, a, b);
        if (!x && !t->rc) {
            const char *m = expr_ctx_error(t->ctx);
            t->rc =
                fail(t->err, e->pos, ERR_INVALID, "%s (%s %s %s)",
                     m ? m : "invalid operands", schema_type_name(expr_type(a)),
                     sql_ast_op_name(e->op), schema_type_name(expr_type(b)));
        }
        return x;
    }
    case SQL_EXPR_IS_NULL:
        if (!(a = tr_expr(t, e->left)))
            return NULL;
        return built(t, e,
                     expr_unary(t->ctx,
                                e->negated ? EXPR_IS_NOT_NULL : EXPR_IS_NULL,
                                a));
    case SQL_EXPR_IN: {
        if (e->query)
            return refuse(t, e, ERR_UNSUPPORTED,
                          "IN (SELECT ...) is not supported yet");
        if (e->nargs > 256)
            return refuse(t, e, ERR_UNSUPPORTED, "IN lists over 256 items");
        struct expr *list[256];
        if (!(a = tr_expr(t, e->left)))
            return NULL;
        for (size_t i = 0; i < e->nargs; i++)
            if (!(list[i] = tr_expr(t, e->args[i])))
                return NULL;
        return built(t, e, expr_in(t->ctx, a, list, (int)e->nargs, e->negated));
    }
    case SQL_EXPR_BETWEEN:
        if (!(a = tr_expr(t, e->left)) || !(b = tr_expr(t, e->right)) ||
            !(c = tr_expr(t, e->third)))
            return NULL;
        return built(t, e, expr_between(t->ctx, a, b, c, e->negated));
    case SQL_EXPR_LIKE:
        if (e->third)
            return refuse(t, e->third, ERR_UNSUPPORTED,
                          "LIKE ... ESCAPE is not supported yet");
        if (!(a = tr_expr(t, e->left)) || !(b = tr_expr(t, e->right)))
            return NULL;
        return built(t, e, expr_like(t->ctx, a, b, e->negated));
    case SQL_EXPR_CASE: {
        size_t n = e->nargs / 2;
        if (n > 64)
            return refuse(t, e, ERR_UNSUPPORTED, "CASE with over 64 WHENs");
        struct expr *whens[64], *thens[64], *op = NULL, *other = NULL;
        if (e->left && !(op = tr_expr(t, e->left)))
            return NULL;
        for (size_t i = 0; i < n; i++)
            if (!(whens[i] = tr_expr(t, e->args[2 * i])) ||
                !(thens[i] = tr_expr(t, e->args[2 * i + 1])))
                return NULL;
        if (e->right && !(other = tr_expr(t, e->right)))
            return NULL;
        return built(t, e, expr_case(t->ctx, op, whens, thens, (int)n, other));
    }
    case SQL_EXPR_CAST: {
        int to = type_of(e->type);
        if (to < 0) {
            char *s = sql_ast_format_type(e->type);
            t->rc = fail(t->err, e->pos, ERR_UNSUPPORTED,
                         "CAST to %s is not supported", s);
            mem_free(s);
            return NULL;
        }
        if (e->type->kind == SQL_TYPE_DECIMAL &&
            e->type->precision > DECIMAL_MAX_PRECISION) {
            char *ts = sql_ast_format_type(e->type);
            char msg[256];
            snprintf(msg, sizeof msg,
                     "CAST to %s: a precision above %d is not supported "
                     "(rill computes DECIMAL as DOUBLE, exact to %d digits; "
                     "CAST to DOUBLE, or ROUND(x, s))",
                     ts, DECIMAL_MAX_PRECISION, DECIMAL_MAX_PRECISION);
            mem_free(ts);
            return refuse(t, e, ERR_UNSUPPORTED, msg);
        }
        if (e->left->kind == SQL_EXPR_NULL)
            return built(t, e, expr_null(t->ctx, (enum schema_type)to));
        if (!(a = tr_expr(t, e->left)))
            return NULL;
        if (e->type->kind == SQL_TYPE_DECIMAL)
            return built(t, e,
                         expr_cast_decimal(t->ctx, a, e->type->precision,
                                           e->type->scale));
        return built(t, e, expr_cast(t->ctx, a, (enum schema_type)to));
    }
    case SQL_EXPR_CALL:
        if (e->over) {
            int oc = t->over ? sql_over_column(t->over, e) : -1;
            if (oc < 0)
                return refuse(t, e, ERR_UNSUPPORTED,
                              "OVER is allowed in the SELECT list only");
            return built(t, e, expr_column(t->ctx, oc));
        }
        return tr_call(t, e);
    case SQL_EXPR_SUBQUERY:
        return refuse(t, e, ERR_UNSUPPORTED,
                      "subqueries are not supported yet");
    }
    return refuse(t, e, ERR_INVALID, "unknown expression");
}

/* ---- the query ---- */

static int64_t interval_ms(const struct sql_expr *e, bool *ok)
{
    *ok = e && e->kind == SQL_EXPR_INTERVAL && e->ival > 0;
    return *ok ? e->ival : 0;
}

/* Output column name: the alias, a column's name, else the item's text
 * when it is a usable name, else EXPR$i (Flink's spelling). */
static void item_name(const struct sql_select_item *it, int i, char *out,
                      size_t n)
{
    if (it->alias) {
        copy_str(out, n, it->alias);
        return;
    }
    if (it->expr->kind == SQL_EXPR_COLUMN) {
        copy_str(out, n, col_name(it->expr));
        return;
    }
    if (it->text && strlen(it->text) < n && !strchr(it->text, '.') &&
        it->text[0]) {
        copy_str(out, n, it->text);
        return;
    }
    snprintf(out, n, "EXPR$%d", i);
}

static int check_shape(const struct sql_select *s, bool sub,
                       struct sql_exec_error *err)
{
    if (!s->from)
        return fail(err, s->pos, ERR_UNSUPPORTED,
                    "a query needs FROM a stream");
    if (s->from->kind == SQL_FROM_JOIN)
        return fail(err, s->from->pos, ERR_UNSUPPORTED,
                    "joins are not supported yet");
    if (s->from->kind == SQL_FROM_SUBQUERY && !sub)
        return fail(err, s->from->pos, ERR_UNSUPPORTED,
                    "subqueries in FROM are not supported yet");
    if (s->from->kind == SQL_FROM_MATCH &&
        s->from->left->kind != SQL_FROM_TABLE)
        return fail(err, s->from->pos, ERR_UNSUPPORTED,
                    "MATCH_RECOGNIZE reads a stream (not a subquery, a "
                    "window or a join) for now");
    if (s->distinct)
        return fail(err, s->pos, ERR_UNSUPPORTED,
                    "SELECT DISTINCT is not supported yet");
    if (s->norder_by)
        return fail(err, s->order_by[0].expr->pos, ERR_UNSUPPORTED,
                    "ORDER BY is not supported on streams yet");
    return 0;
}

static const struct catalog_option *setting(const struct sql_query_start *q,
                                            const char *key)
{
    for (size_t i = 0; i < q->nsettings; i++)
        if (!strcasecmp(q->settings[i].key, key))
            return &q->settings[i];
    return NULL;
}

/* The source: relation, schema, time column, watermark, settings. */
static int plan_source(const struct sql_query_start *q, struct plan *p,
                       const char **timecol, struct sql_exec_error *err)
{
    const struct sql_select *s = q->select;
    const struct sql_from *f = s->from;
    const char *name = f->kind == SQL_FROM_WINDOW  ? f->window->table
                       : f->kind == SQL_FROM_MATCH ? f->left->name
                                                   : f->name;
    const struct catalog_relation *r = catalog_relation_find(q->catalog, name);
    if (!r)
        return fail(err, f->pos, ERR_NOT_FOUND, "unknown stream '%s'", name);
    copy_str(p->input, sizeof p->input, r->name);
    copy_str(p->topic, sizeof p->topic, r->topic);
    copy_str(p->format, sizeof p->format, r->format);
    p->in_schema = r->schema;
    p->npartitions = r->partitions;
    copy_str(p->in_key, sizeof p->in_key, r->key);
    if (q->log || q->logdir) {
        int n = q->log ? stream_log_partitions(q->log, r->topic)
                       : logdir_topic_partitions(q->logdir, r->topic);
        if (n < 0)
            return fail(err, f->pos, ERR_NOT_FOUND,
                        "the topic '%s' of %s does not exist", r->topic,
                        r->name);
        p->npartitions = n;
    }
    if (p->npartitions <= 0)
        p->npartitions = 1;
    p->time_column = -1;
    if (r->time_column) {
        p->time_column =
            schema_find(&p->in_schema, r->time_column, strlen(r->time_column));
        p->watermark_delay_ms = r->watermark_delay_ms;
    }
    *timecol = r->time_column;
    const struct catalog_option *o = setting(q, "scan.startup.mode");
    p->startup_latest = o && !strcasecmp(o->value, "latest-offset");
    o = setting(q, "scan.bounded.mode");
    p->bounded_latest = o && !strcasecmp(o->value, "latest-offset");
    /* The idle timeout: SET overrides the stream's WITH option, which
     * overrides the documented default of 30 s (a sensor partition that
     * goes quiet must not stall every window forever). */
    p->idle_timeout_ms = PLANNER_DEFAULT_IDLE_TIMEOUT_MS;
    const char *idle = catalog_relation_option(r, "watermark.idle-timeout");
    o = setting(q, "watermark.idle-timeout");
    if (o)
        idle = o->value;
    if (idle && sql_exec_parse_duration(idle, &p->idle_timeout_ms))
        p->idle_timeout_ms = 0;
    /* Quiet inputs still close their windows: while every input is idle
     * the watermark follows processing time (query_task.c). */
    const char *adv = catalog_relation_option(r, "watermark.idle-advance");
    o = setting(q, "watermark.idle-advance");
    if (o)
        adv = o->value;
    p->idle_advance = !adv || strcasecmp(adv, "false");
    o = setting(q, "execution.checkpointing.mode");
    p->guarantee = !o ? 0 : !strcasecmp(o->value, "EXACTLY_ONCE") ? 1 : 2;
    o = setting(q, "execution.checkpointing.interval");
    if (!o || sql_exec_parse_duration(o->value, &p->checkpoint_interval_ms))
        p->checkpoint_interval_ms = 0;
    const char *pk = catalog_relation_option(r, "watermark.per-key");
    p->per_key =
        pk && !strcasecmp(pk, "true") && p->in_key[0] && p->time_column >= 0;
    const char *delim = catalog_relation_option(r, "csv.delimiter");
    p->csv_delimiter = delim && delim[0] ? delim[0] : 0;
    return 0;
}

static int build_window(const struct sql_select *s, struct plan *p,
                        const char *timecol, struct sql_exec_error *err)
{
    const struct sql_window *w = s->from->window;
    struct sql_pos pos = s->from->pos;
    struct window_spec *ws = &p->wcfg.window;
    bool ok = true, ok2 = true;
    int c = schema_find(&p->in_schema, w->timecol, strlen(w->timecol));
    if (c < 0)
        return fail(err, pos, ERR_NOT_FOUND, "unknown column '%s' in %s",
                    w->timecol, p->input);
    if (p->in_schema.columns[c].type != SCHEMA_TIMESTAMP)
        return fail(err, pos, ERR_INVALID,
                    "DESCRIPTOR(%s) must name a TIMESTAMP column, not %s",
                    w->timecol, schema_type_name(p->in_schema.columns[c].type));
    if (p->sub && (!timecol || strcasecmp(timecol, w->timecol)))
        return fail(err, pos, ERR_UNSUPPORTED,
                    "DESCRIPTOR(%s) must be the subquery's event-time "
                    "column%s%s%s (a window over another time is not "
                    "supported yet)",
                    w->timecol, timecol ? " (" : "", timecol ? timecol : "",
                    timecol ? ")" : "");
    if (!timecol || strcasecmp(timecol, w->timecol)) {
        /* Not the watermarked column: event time without delay. */
        p->time_column = c;
        p->watermark_delay_ms = 0;
    }
    memset(ws, 0, sizeof *ws);
    switch (w->kind) {
    case SQL_WINDOW_TUMBLE:
        ws->kind = WINDOW_TUMBLE;
        ws->size_ms = interval_ms(w->size, &ok);
        if (w->offset)
            ws->offset_ms = w->offset->ival;
        break;
    case SQL_WINDOW_HOP:
        ws->kind = WINDOW_HOP;
        ws->slide_ms = interval_ms(w->slide, &ok);
        ws->size_ms = interval_ms(w->size, &ok2);
        break;
    case SQL_WINDOW_CUMULATE:
        ws->kind = WINDOW_CUMULATE;
        ws->slide_ms = interval_ms(w->step, &ok);
        ws->size_ms = interval_ms(w->size, &ok2);
        break;
    case SQL_WINDOW_SESSION:
        ws->kind = WINDOW_SESSION;
        ws->gap_ms = interval_ms(w->gap, &ok);
        break;
    }
    if (!ok || !ok2)
        return fail(err, pos, ERR_INVALID, "%s needs positive INTERVAL sizes",
                    sql_ast_window_name(w->kind));
    if (window_spec_check(ws))
        return fail(err, pos, ERR_INVALID,
                    "bad %s sizes (HOP/CUMULATE size must be a multiple of "
                    "the slide/step, at most %d windows per row)",
                    sql_ast_window_name(w->kind), WINDOW_MAX_PER_ROW);
    return 0;
}

/* GROUP BY keys into p->wcfg; window_start/window_end are the window's. */
static int build_keys(const struct sql_select *s, struct plan *p, struct tr *t,
                      struct sql_exec_error *err)
{
    bool windowed = s->from->kind == SQL_FROM_WINDOW;
    int nbounds = 0;
    for (size_t i = 0; i < s->ngroup_by; i++) {
        const struct sql_expr *g = s->group_by[i];
        if (g->kind != SQL_EXPR_COLUMN) {
            /* An expression: computed before the window operator. */
            enum schema_type ty;
            struct aggref ref;
            int rc = agg_of(t, g, &ref);
            if (rc)
                return rc < 0 ? rc
                              : fail(err, g->pos, ERR_INVALID,
                                     "aggregates are not allowed in GROUP "
                                     "BY");
            int c = pre_slot(t, g, &ty);
            if (c < 0)
                return c;
            if (p->wcfg.nkeys >= WINDOW_AGG_MAX_KEYS)
                return fail(err, g->pos, ERR_TOO_LARGE,
                            "more than %d GROUP BY keys", WINDOW_AGG_MAX_KEYS);
            int k = p->wcfg.nkeys++;
            p->wcfg.keys[k] = c;
            p->key_expr[k] = true;
            expr_text(p->key_name[k], sizeof p->key_name[k], g);
            copy_str(t->gexpr_text[t->ngexpr], PLAN_TEXT_MAX, p->key_name[k]);
            t->gexpr_key[t->ngexpr++] = k;
            continue;
        }
        const char *n = col_name(g);
        if (windowed &&
            (!strcasecmp(n, "window_start") || !strcasecmp(n, "window_end"))) {
            nbounds++;
            continue;
        }
        if (windowed && !strcasecmp(n, "window_time"))
            continue; /* window_end - 1: one per window */
        int c = schema_find(&p->in_schema, n, strlen(n));
        if (c < 0)
            return fail(err, g->pos, ERR_NOT_FOUND, "unknown column '%s' in %s",
                        n, p->input);
        if (p->wcfg.nkeys >= WINDOW_AGG_MAX_KEYS)
            return fail(err, g->pos, ERR_TOO_LARGE,
                        "more than %d GROUP BY keys", WINDOW_AGG_MAX_KEYS);
        copy_str(p->key_name[p->wcfg.nkeys], PLAN_TEXT_MAX,
                 p->in_schema.columns[c].name);
        p->wcfg.keys[p->wcfg.nkeys++] = c;
    }
    if (windowed && nbounds < 2)
        return fail(err, s->from->pos, ERR_INVALID,
                    "a window table function needs GROUP BY window_start, "
                    "window_end");
    if (!windowed && !s->ngroup_by)
        return 0;
    return 0;
}

static bool has_agg(struct tr *t, const struct sql_select *s)
{
    for (size_t i = 0; i < s->nitems; i++) {
        struct aggref ref;
        const struct sql_expr *e = s->items[i].expr;
        /* A shallow look is enough to pick the mode; nested ones are
         * found by collect_aggs. */
        if (e->kind == SQL_EXPR_CALL && agg_of(t, e, &ref) == 1)
            return true;
    }
    return false;
}

/* The SELECT list as a project operator over `schema` (the pipeline's). */
static int build_project(const struct sql_select *s, struct plan *p,
                         struct tr *t)
{
    const struct schema *sc = pipeline_schema(p->pipe);
    struct expr *exprs[SCHEMA_MAX_COLUMNS];
    char names[SCHEMA_MAX_COLUMNS][SCHEMA_NAME_MAX];
    const char *np[SCHEMA_MAX_COLUMNS];
    int n = 0;
    int rc = expr_ctx_create(sc, pipeline_capacity(p->pipe), &t->ctx);
    if (rc)
        return fail(t->err, s->pos, rc, "cannot compile the SELECT list");
    t->schema = sc;
    for (size_t i = 0; i < s->nitems; i++) {
        const struct sql_select_item *it = &s->items[i];
        if (it->expr->kind == SQL_EXPR_STAR) {
            int last = t->agg_mode ? sc->ncolumns - t->wcfg->naggs
                       : t->over   ? t->over->col0
                                   : sc->ncolumns;
            for (int c = 0; c < last; c++) {
                if (n >= SCHEMA_MAX_COLUMNS)
                    break;
                const char *cn = sc->columns[c].name;
                const char *dot = strrchr(cn, '.');
                if (dot && it->expr->nparts &&
                    ((size_t)(dot - cn) !=
                         strlen(it->expr->parts[it->expr->nparts - 1]) ||
                     strncasecmp(cn, it->expr->parts[it->expr->nparts - 1],
                                 (size_t)(dot - cn))))
                    continue; /* q.* of a join: q's columns only */
                exprs[n] = expr_column(t->ctx, c);
                /* A join's "q.col" is output as col, as Flink does, and
                 * col0, col1... when another side has it too. */
                copy_str(names[n], sizeof names[n], dot ? dot + 1 : cn);
                for (int k = 0, d = 0; k < n; k++)
                    if (!strcasecmp(names[k], names[n])) {
                        snprintf(names[n], sizeof names[n], "%.50s%d",
                                 dot ? dot + 1 : cn, d++);
                        k = -1;
                    }
                copy_str(p->project[n], sizeof p->project[n],
                         sc->columns[c].name);
                n++;
            }
            continue;
        }
        if (n >= SCHEMA_MAX_COLUMNS) {
            rc = fail(t->err, it->expr->pos, ERR_TOO_LARGE,
                      "more than %d output columns", SCHEMA_MAX_COLUMNS);
            goto out;
        }
        exprs[n] = tr_expr(t, it->expr);
        if (!exprs[n]) {
            rc = t->rc ? t->rc : ERR_INVALID;
            goto out;
        }
        item_name(it, n, names[n], sizeof names[n]);
        for (int k = 0; k < n; k++)
            if (!strcasecmp(names[k], names[n])) {
                rc = fail(t->err, it->expr->pos, ERR_INVALID,
                          "duplicate output column '%s' (add AS name)",
                          names[n]);
                goto out;
            }
        if (it->text)
            copy_str(p->project[n], sizeof p->project[n], it->text);
        else
            expr_text(p->project[n], sizeof p->project[n], it->expr);
        n++;
    }
    for (int k = 0; k < n; k++)
        np[k] = names[k];
    rc = pipeline_add_project(p->pipe, t->ctx, n, exprs, np);
    t->ctx = NULL;
    if (rc)
        return fail(t->err, s->pos, rc, "cannot build the SELECT list");
    return 0;
out:
    expr_ctx_destroy(t->ctx);
    t->ctx = NULL;
    return rc;
}

static int build_filter(struct plan *p, struct tr *t, const struct sql_expr *e,
                        char *text, size_t tn)
{
    const struct schema *sc = pipeline_schema(p->pipe);
    int rc = expr_ctx_create(sc, pipeline_capacity(p->pipe), &t->ctx);
    if (rc)
        return fail(t->err, e->pos, rc, "cannot compile the condition");
    t->schema = sc;
    struct expr *x = tr_expr(t, e);
    if (!x) {
        expr_ctx_destroy(t->ctx);
        t->ctx = NULL;
        return t->rc ? t->rc : ERR_INVALID;
    }
    enum schema_type ty = expr_type(x);
    if (ty != SCHEMA_BOOLEAN && ty != SCHEMA_NULL) {
        expr_ctx_destroy(t->ctx);
        t->ctx = NULL;
        return fail(t->err, e->pos, ERR_INVALID,
                    "the condition must be BOOLEAN, not %s",
                    schema_type_name(ty));
    }
    expr_text(text, tn, e);
    rc = pipeline_add_filter(p->pipe, t->ctx, x);
    t->ctx = NULL;
    if (rc)
        return fail(t->err, e->pos, rc, "cannot build the filter");
    return 0;
}

/* The record key: WITH (key = 'col') of CREATE ... AS, the key of INSERT
 * INTO's target, else the output columns that carry the GROUP BY keys. */
static int find_key_columns(const struct sql_query_start *q,
                            const struct sql_select *s, struct plan *p,
                            struct sql_exec_error *err)
{
    const char *key = NULL;
    if (q->stmt && q->stmt->kind == SQL_STMT_INSERT) {
        const struct catalog_relation *r =
            catalog_relation_find(q->catalog, q->sink);
        key = r ? r->key : NULL;
    } else if (q->stmt && q->sink) {
        for (size_t i = 0; i < q->stmt->noptions; i++)
            if (!strcasecmp(q->stmt->options[i].key, "key"))
                key = q->stmt->options[i].value;
    }
    if (key) {
        int c = schema_find(&p->out_schema, key, strlen(key));
        if (c < 0)
            return fail(err, q->stmt->pos, ERR_NOT_FOUND,
                        "key '%s' is not an output column", key);
        p->key_columns[0] = c;
        p->nkey_columns = 1;
        return 0;
    }
    for (int k = 0; k < p->wcfg.nkeys; k++) {
        const char *kn = p->key_name[k];
        for (size_t i = 0; i < s->nitems && (int)i < p->out_schema.ncolumns;
             i++) {
            const struct sql_expr *e = s->items[i].expr;
            char text[PLAN_TEXT_MAX];
            if (p->key_expr[k])
                expr_text(text, sizeof text, e);
            if (p->key_expr[k] ? !strcmp(text, kn)
                               : e->kind == SQL_EXPR_COLUMN &&
                                     !strcasecmp(col_name(e), kn)) {
                p->key_columns[p->nkey_columns++] = (int)i;
                break;
            }
        }
    }
    return 0;
}

/* Input columns + window_start, window_end of a TUMBLE for every row:
 * start = ts - (ts - offset) mod size (C's mod: right for ts >= offset). */
static int build_window_columns(struct plan *p, const char *timecol,
                                struct sql_exec_error *err)
{
    const struct schema *sc = pipeline_schema(p->pipe);
    const struct window_spec *w = &p->wcfg.window;
    int tc = schema_find(sc, timecol, strlen(timecol));
    struct expr_ctx *ctx;
    if (tc < 0 || expr_ctx_create(sc, pipeline_capacity(p->pipe), &ctx))
        return fail(err, (struct sql_pos){0, 0, 0}, ERR_INVALID,
                    "cannot compute the window columns");
    struct expr *ex[SCHEMA_MAX_COLUMNS];
    const char *names[SCHEMA_MAX_COLUMNS];
    int n = 0;
    for (int c = 0; c < sc->ncolumns && n < SCHEMA_MAX_COLUMNS - 2; c++) {
        ex[n] = expr_column(ctx, c);
        names[n++] = sc->columns[c].name;
    }
    struct expr *bound[2];
    for (int i = 0; i < 2; i++) {
        struct expr *ts = expr_column(ctx, tc);
        struct expr *tsb = expr_cast(ctx, expr_column(ctx, tc), SCHEMA_BIGINT);
        struct expr *rel = expr_binary(
            ctx, EXPR_SUB, tsb, expr_literal(ctx, value_bigint(w->offset_ms)));
        struct expr *mod = expr_binary(
            ctx, EXPR_MOD, rel, expr_literal(ctx, value_bigint(w->size_ms)));
        bound[i] = expr_binary(ctx, EXPR_SUB, ts, mod);
        if (i == 1)
            bound[i] = expr_binary(ctx, EXPR_ADD, bound[i],
                                   expr_literal(ctx, value_bigint(w->size_ms)));
    }
    ex[n] = bound[0];
    names[n++] = "window_start";
    ex[n] = bound[1];
    names[n++] = "window_end";
    if (!bound[0] || !bound[1]) {
        int rc = fail(err, (struct sql_pos){0, 0, 0}, ERR_INVALID,
                      "cannot compute the window columns: %s",
                      expr_ctx_error(ctx) ? expr_ctx_error(ctx) : "?");
        expr_ctx_destroy(ctx);
        return rc;
    }
    int rc = pipeline_add_project(p->pipe, ctx, n, ex, names);
    if (rc)
        return fail(err, (struct sql_pos){0, 0, 0}, rc,
                    "cannot add the window columns (a column named "
                    "window_start or window_end already?)");
    return 0;
}

static bool assignable(enum schema_type from, enum schema_type to)
{
    if (from == to || from == SCHEMA_NULL)
        return true;
    if (to == SCHEMA_BIGINT)
        return from == SCHEMA_INT;
    if (to == SCHEMA_DOUBLE)
        return from == SCHEMA_INT || from == SCHEMA_BIGINT;
    return false;
}

/* INSERT INTO x: every output column must be a column of x, of a type
 * its decoder reads back (rows are written as JSON by column name). */
static int check_insert(const struct sql_query_start *q, struct plan *p,
                        struct sql_exec_error *err)
{
    const struct catalog_relation *r =
        catalog_relation_find(q->catalog, q->sink);
    if (!r)
        return 0;
    const struct sql_select *s = q->select;
    for (int c = 0; c < p->out_schema.ncolumns; c++) {
        const struct schema_column *oc = &p->out_schema.columns[c];
        struct sql_pos pos =
            (size_t)c < s->nitems ? s->items[c].expr->pos : s->pos;
        int t = schema_find(&r->schema, oc->name, strlen(oc->name));
        if (t < 0)
            return fail(err, pos, ERR_NOT_FOUND,
                        "%s has no column '%s' (name the output columns "
                        "like its columns)",
                        r->name, oc->name);
        if (!assignable(oc->type, r->schema.columns[t].type))
            return fail(err, pos, ERR_INVALID, "'%s' is %s but %s.%s is %s",
                        oc->name, schema_type_name(oc->type), r->name,
                        r->schema.columns[t].name,
                        schema_type_name(r->schema.columns[t].type));
    }
    return 0;
}

/* Rows of one GROUP BY key are all in one input partition when the keys
 * include the input's record key as a plain column (producers place keys
 * by murmur2), or when there is one partition: then each task aggregates
 * its own partition. Otherwise the plan repartitions by the GROUP BY key. */
static bool needs_repartition(const struct plan *p)
{
    if (p->npartitions <= 1)
        return false;
    if (!p->in_key[0])
        return true;
    for (int k = 0; k < p->wcfg.nkeys; k++)
        if (!p->key_expr[k] && !strcasecmp(p->key_name[k], p->in_key))
            return false;
    return true;
}

/* Only what stage 1 reads crosses the repartition topic: the GROUP BY
 * keys and the aggregate arguments (event time travels as the record
 * timestamp). A project at the end of stage 0 keeps those columns, in
 * input order, and the window config is renumbered to match. Not with
 * EMIT LATE INTO, whose late rows carry every input column. */
static int prune_for_repartition(struct plan *p, const struct sql_select *s,
                                 struct sql_exec_error *err)
{
    const struct schema *sc = pipeline_schema(p->pipe);
    bool used[SCHEMA_MAX_COLUMNS] = {false};
    int map[SCHEMA_MAX_COLUMNS];
    for (int k = 0; k < p->wcfg.nkeys; k++)
        used[p->wcfg.keys[k]] = true;
    for (int a = 0; a < p->wcfg.naggs; a++)
        if (p->wcfg.aggs[a].func != AGG_COUNT_STAR &&
            p->wcfg.aggs[a].column >= 0 &&
            p->wcfg.aggs[a].column < sc->ncolumns)
            used[p->wcfg.aggs[a].column] = true;
    struct expr_ctx *ctx;
    if (expr_ctx_create(sc, pipeline_capacity(p->pipe), &ctx))
        return fail(err, s->pos, ERR_INVALID,
                    "cannot plan the repartition (out of expression space)");
    struct expr *ex[SCHEMA_MAX_COLUMNS];
    const char *names[SCHEMA_MAX_COLUMNS];
    int n = 0;
    for (int c = 0; c < sc->ncolumns; c++) {
        map[c] = -1;
        if (!used[c])
            continue;
        map[c] = n;
        ex[n] = expr_column(ctx, c);
        names[n] = sc->columns[c].name;
        copy_str(p->repart_cols[n], sizeof p->repart_cols[n], names[n]);
        n++;
    }
    if (n == 0) {
        /* Only COUNT(*), no key: a row still needs one column to cross
         * (a project has at least one); a constant costs a few bytes. */
        ex[n] = expr_literal(ctx, value_bool(true));
        names[n] = "$row";
        copy_str(p->repart_cols[n], sizeof p->repart_cols[n], names[n]);
        n++;
    }
    p->nrepart_cols = n;
    int rc = pipeline_add_project(p->pipe, ctx, n, ex, names);
    if (rc)
        return fail(err, s->pos, rc, "cannot plan the repartition (%s)",
                    err_str(rc));
    /* p->wcfg keeps the input's numbering (the planner finds aggregates
     * by it); the operator and the repartition key get the new one. */
    p->wcfg_run = p->wcfg;
    for (int k = 0; k < p->wcfg.nkeys; k++)
        p->wcfg_run.keys[k] = map[p->wcfg.keys[k]];
    for (int a = 0; a < p->wcfg.naggs; a++)
        if (p->wcfg.aggs[a].func != AGG_COUNT_STAR &&
            p->wcfg.aggs[a].column >= 0 &&
            p->wcfg.aggs[a].column < sc->ncolumns)
            p->wcfg_run.aggs[a].column = map[p->wcfg.aggs[a].column];
    return 0;
}

/* The source of the plan's input (stage 0). */
/* 'watermark.per-key': the source pipeline tracks each key's watermark. */
static int set_per_key(struct plan *p, struct sql_exec_error *err)
{
    if (!p->per_key)
        return 0;
    int kc = schema_find(&p->in_schema, p->in_key, strlen(p->in_key));
    int rc =
        kc < 0 ? ERR_INVALID : pipeline_set_per_key_watermarks(p->pipe, kc);
    if (rc)
        return fail(err, (struct sql_pos){0}, rc,
                    "cannot track per-key watermarks of %s on '%s'", p->input,
                    p->in_key);
    return 0;
}

static void source_config(const struct plan *p,
                          struct pipeline_source_config *src)
{
    enum pipeline_format fmt = PIPELINE_FORMAT_JSON;
    if (!strcasecmp(p->format, "csv"))
        fmt = PIPELINE_FORMAT_CSV;
    else if (!strcasecmp(p->format, "senml"))
        fmt = PIPELINE_FORMAT_SENML;
    else if (!strcasecmp(p->format, "senml-cbor"))
        fmt = PIPELINE_FORMAT_SENML_CBOR;
    else if (!strcasecmp(p->format, "influx"))
        fmt = PIPELINE_FORMAT_INFLUX;
    else if (!strcasecmp(p->format, "sparkplug"))
        fmt = PIPELINE_FORMAT_SPARKPLUG;
    *src = (struct pipeline_source_config){
        .batch_capacity = p->batch_rows,
        .schema = &p->in_schema,
        .format = fmt,
        .time_column = p->time_column,
        .npartitions = p->npartitions,
        .watermark_delay_ms = p->watermark_delay_ms,
        .idle_timeout_ms = p->idle_timeout_ms,
        .csv_delimiter = p->csv_delimiter,
        .external_watermark = true, /* tasks: query_run.c */
    };
}

/* EMIT LATE INTO: a declared stream's topic, or a topic of that name
 * (created by the runner). */
int planner_late_into(const struct sql_query_start *q, struct plan *p,
                      struct sql_exec_error *err)
{
    const struct sql_select *s = q->select;
    const struct catalog_relation *lr =
        catalog_relation_find(q->catalog, s->late_into);
    if (lr) {
        copy_str(p->late_into, sizeof p->late_into, lr->name);
        copy_str(p->late_topic, sizeof p->late_topic, lr->topic);
    } else if (logdir_topic_name_valid(s->late_into)) {
        /* Not declared: the topic of that name (created by the runner if
         * missing), rows in the input's JSON. */
        copy_str(p->late_into, sizeof p->late_into, s->late_into);
        copy_str(p->late_topic, sizeof p->late_topic, s->late_into);
        p->late_create = true;
    } else {
        return fail(err, s->pos, ERR_INVALID,
                    "EMIT LATE INTO '%s': not a stream nor a valid "
                    "topic name",
                    s->late_into);
    }
    return 0;
}

int planner_add_where(struct plan *p, const char *relation,
                      const struct sql_expr *e, struct sql_exec_error *err)
{
    struct tr t = {.err = err,
                   .relation = relation,
                   .in_schema = &p->in_schema,
                   .wcfg = &p->wcfg};
    return build_filter(p, &t, e, p->where, sizeof p->where);
}

int planner_add_output(const struct sql_query_start *q, struct plan *p,
                       const char *relation, struct sql_exec_error *err)
{
    struct tr t = {.err = err,
                   .relation = relation,
                   .in_schema = &p->in_schema,
                   .wcfg = &p->wcfg};
    int rc = build_project(q->select, p, &t);
    if (rc)
        return rc;
    p->out_schema = *pipeline_schema(p->pipe);
    if ((rc = find_key_columns(q, q->select, p, err)))
        return rc;
    if (q->stmt && q->stmt->kind == SQL_STMT_INSERT)
        return check_insert(q, p, err);
    return 0;
}

/* The OVER operator after WHERE (sql_over.h); its calls become columns
 * for the SELECT list (t->over). */
static int build_over(const struct sql_query_start *q,
                      const struct sql_select *s, struct plan *p, struct tr *t,
                      const char *timecol, const struct planner_hooks *hooks,
                      struct sql_exec_error *err)
{
    const struct schema *sc = pipeline_schema(p->pipe);
    int rc = sql_over_plan(s, sc, timecol, &p->overp, err);
    if (rc)
        return rc;
    if (s->late_into && (rc = planner_late_into(q, p, err)))
        return rc;
    if (p->npartitions > 1) {
        /* Each task computes the frames of its own partition's keys when
         * they follow the input's record key; otherwise the rows go
         * through a repartition topic by the PARTITION BY columns (every
         * column crosses: the calls, the SELECT list and late rows read
         * them), as for GROUP BY and MATCH_RECOGNIZE. */
        int kc =
            p->in_key[0] ? schema_find(sc, p->in_key, strlen(p->in_key)) : -1;
        bool keyed = false;
        for (int k = 0; k < p->overp.cfg.nkeys; k++)
            keyed = keyed || (kc >= 0 && p->overp.cfg.keys[k] == kc);
        if (keyed) {
            if (pipeline_set_key_check(p->pipe, kc) == 0)
                p->key_checked = true;
        } else {
            p->repartition = true;
            p->repart_partitions = p->overp.cfg.nkeys ? p->npartitions : 1;
            memset(&p->wcfg_run, 0, sizeof p->wcfg_run);
            p->wcfg_run.nkeys = p->overp.cfg.nkeys;
            for (int k = 0; k < p->overp.cfg.nkeys; k++)
                p->wcfg_run.keys[k] = p->overp.cfg.keys[k];
            p->mid_schema = *sc;
            snprintf(p->repart_topic, sizeof p->repart_topic, "%s-repartition",
                     q->id ? q->id : "select");
            struct pipeline_source_config src1 = {
                .schema = &p->mid_schema,
                .format = PIPELINE_FORMAT_ROW,
                .time_column = -1,
                .npartitions = p->npartitions,
                .external_watermark = true,
            };
            p->pipe0 = p->pipe;
            p->pipe = NULL;
            if ((rc = pipeline_create(&src1, &p->pipe)))
                return fail(err, s->pos, rc,
                            "cannot create the repartition stage");
            sc = pipeline_schema(p->pipe);
        }
    }
    if (hooks) {
        p->overp.cfg.late = hooks->late;
        p->overp.cfg.late_arg = hooks->late_arg;
    }
    /* Output batches of the pipeline's size (the next operator's). */
    p->overp.cfg.output_capacity = pipeline_capacity(p->pipe);
    struct operator_node *op;
    char msg[200];
    rc = over_agg_create(sc, &p->overp.cfg, &op, msg, sizeof msg);
    if (rc)
        return fail(err, s->pos, rc, "%s", msg);
    rc = pipeline_add_operator(p->pipe, op);
    if (rc)
        return fail(err, s->pos, rc, "cannot add the OVER operator");
    p->over = true;
    t->over = &p->overp;
    return 0;
}

/* The outer query over an OVER query may only filter and project. */
static int check_outer(const struct sql_select *o, struct sql_exec_error *err)
{
    if (o->ngroup_by || o->having || o->nwindows || o->distinct ||
        o->norder_by || o->emit != SQL_EMIT_DEFAULT || o->allowed_lateness ||
        o->late_into || sql_over_in_select(o))
        return fail(err, o->pos, ERR_UNSUPPORTED,
                    "a query over an OVER subquery may only filter (WHERE) "
                    "and project its rows");
    return 0;
}

/* FROM t MATCH_RECOGNIZE (...): source -> [repartition by PARTITION BY]
 * -> the pattern operator (sql_match.c). WHERE and the SELECT list apply
 * to its output, built by the caller. */
static int plan_match(const struct sql_query_start *q, struct plan *p,
                      const char *timecol, const struct planner_hooks *hooks,
                      struct pipeline_source_config *src,
                      struct sql_exec_error *err)
{
    const struct sql_select *s = q->select;
    struct sql_match_plan mp;
    int rc = sql_match_check(s->from, &p->in_schema, timecol, &mp, err);
    if (rc)
        return rc;
    if (s->ngroup_by || s->having)
        return fail(err, s->ngroup_by ? s->group_by[0]->pos : s->having->pos,
                    ERR_UNSUPPORTED,
                    "GROUP BY over MATCH_RECOGNIZE is not supported yet");
    if (s->emit != SQL_EMIT_DEFAULT)
        return fail(err, s->pos, ERR_INVALID,
                    "MATCH_RECOGNIZE emits one row per match: no EMIT mode");
    p->match = true;
    p->wcfg.nkeys = mp.nkeys;
    for (int k = 0; k < mp.nkeys; k++) {
        p->wcfg.keys[k] = mp.keys[k];
        copy_str(p->key_name[k], sizeof p->key_name[k],
                 p->in_schema.columns[mp.keys[k]].name);
    }
    bool ok;
    if (s->allowed_lateness)
        p->match_lateness_ms = interval_ms(s->allowed_lateness, &ok);
    if (s->late_into && (rc = planner_late_into(q, p, err)))
        return rc;
    rc = pipeline_create(src, &p->pipe);
    if (rc)
        return fail(err, s->from->pos, rc, "cannot create the source of %s",
                    p->input);
    if ((rc = set_per_key(p, err)))
        return rc;
    if (needs_repartition(p)) {
        /* rows of one partition key meet in one stage-1 task; every column
         * crosses (the DEFINEs, MEASURES and late rows read them) */
        p->repartition = true;
        p->repart_partitions = mp.nkeys ? p->npartitions : 1;
        p->wcfg_run = p->wcfg;
        p->mid_schema = *pipeline_schema(p->pipe);
        snprintf(p->repart_topic, sizeof p->repart_topic, "%s-repartition",
                 q->id ? q->id : "select");
        struct pipeline_source_config src1 = {
            .batch_capacity = p->batch_rows,
            .schema = &p->mid_schema,
            .format = PIPELINE_FORMAT_ROW,
            .time_column = -1,
            .npartitions = p->npartitions,
            .external_watermark = true,
        };
        p->pipe0 = p->pipe;
        p->pipe = NULL;
        if ((rc = pipeline_create(&src1, &p->pipe)))
            return fail(err, s->pos, rc, "cannot create the repartition stage");
    } else if (p->npartitions > 1 && p->in_key[0]) {
        int kc = schema_find(&p->in_schema, p->in_key, strlen(p->in_key));
        if (kc >= 0 && pipeline_set_key_check(p->pipe, kc) == 0)
            p->key_checked = true;
    }
    struct sql_match_limits lim = {0};
    const struct catalog_option *o = setting(q, "match.max-partial-matches");
    if (o)
        lim.max_partial = atoi(o->value);
    if ((o = setting(q, "match.max-rows")))
        lim.max_rows = atoll(o->value);
    if (lim.max_partial < 0 || lim.max_rows < 0)
        return fail(err, s->from->pos, ERR_INVALID,
                    "'match.max-partial-matches' and 'match.max-rows' take "
                    "positive numbers");
    return sql_match_build(s->from, p->pipe, timecol, p->match_lateness_ms,
                           &lim, hooks ? hooks->late : NULL,
                           hooks ? hooks->late_arg : NULL, &p->cep, err);
}

int planner_build(const struct sql_query_start *q,
                  const struct planner_hooks *hooks, struct plan **out,
                  struct sql_exec_error *err)
{
    if (sql_subq_wants(q->select))
        return sql_subq_build(q, hooks, out, err);
    return planner_build_on(q, hooks, NULL, out, err);
}

int planner_build_on(const struct sql_query_start *q,
                     const struct planner_hooks *hooks, struct plan *base,
                     struct plan **out, struct sql_exec_error *err)
{
    /* SELECT ... FROM (a query with OVER) WHERE ...: the inner query is
     * planned, then the outer filter and projection over its rows. */
    const struct sql_select *outer = NULL;
    struct sql_query_start qi;
    if (!base && sql_over_inner(q->select)) {
        outer = q->select;
        int orc = check_outer(outer, err);
        if (orc)
            return orc;
        qi = *q;
        qi.select = sql_over_inner(outer);
        q = &qi;
    }
    const struct sql_select *s = q->select;
    if (!base && s->from && s->from->kind == SQL_FROM_JOIN)
        return sql_join_build(q, hooks, out, err);
    int rc = check_shape(s, base != NULL, err);
    if (rc) {
        plan_destroy(base);
        return rc;
    }
    struct plan *p = mem_calloc(1, sizeof *p);
    p->batch_rows = hooks ? hooks->batch_rows : 0;
    p->sub = base;
    p->limit = s->limit;
    p->transient = q->sink == NULL;
    copy_str(p->sink, sizeof p->sink, q->sink);
    copy_str(p->id, sizeof p->id, q->id);
    const char *timecol = NULL;
    rc = base ? sql_subq_source(p, &timecol, err)
              : plan_source(q, p, &timecol, err);
    if (rc)
        goto fail;
    struct tr t = {.err = err,
                   .relation = p->input,
                   .in_schema = &p->in_schema,
                   .wcfg = &p->wcfg};
    bool windowed = s->from->kind == SQL_FROM_WINDOW;
    if (s->from->kind == SQL_FROM_MATCH) {
        struct pipeline_source_config msrc;
        source_config(p, &msrc);
        if ((rc = plan_match(q, p, timecol, hooks, &msrc, err)))
            goto fail;
        goto select_list;
    }
    if (windowed && (rc = build_window(s, p, timecol, err)))
        goto fail;
    p->windowed = windowed || s->ngroup_by > 0 || has_agg(&t, s);
    if (windowed && !s->ngroup_by && !has_agg(&t, s)) {
        /* SELECT ... FROM TABLE(TUMBLE(...)) without GROUP BY: every row
         * with its window's bounds. */
        if (p->wcfg.window.kind != WINDOW_TUMBLE) {
            rc = fail(err, s->from->pos, ERR_UNSUPPORTED,
                      "%s without GROUP BY is not supported yet (TUMBLE is)",
                      sql_ast_window_name(s->from->window->kind));
            goto fail;
        }
        p->windowed = false;
        p->window_columns = true;
    }
    if (p->windowed) {
        if (!windowed)
            p->wcfg.window.kind = WINDOW_NONE;
        if ((rc = build_keys(s, p, &t, err)))
            goto fail;
        for (size_t i = 0; i < s->nitems; i++)
            if ((rc = collect_aggs(&t, s->items[i].expr, p, false)))
                goto fail;
        if ((rc = collect_aggs(&t, s->having, p, false)))
            goto fail;
        bool ok;
        if (s->allowed_lateness)
            p->wcfg.allowed_lateness_ms = interval_ms(s->allowed_lateness, &ok);
        p->wcfg.emit = s->emit == SQL_EMIT_CHANGES || !windowed ? EMIT_CHANGES
                                                                : EMIT_FINAL;
        /* EMIT FINAL is one row per window, once the watermark passes its
         * end plus the allowed lateness (ksqlDB's rule, the issue's); late
         * rows within the lateness fold into that one row. Updates as late
         * rows arrive are what EMIT CHANGES is for. */
        p->wcfg.final_after_lateness = p->wcfg.emit == EMIT_FINAL;
        if (s->emit == SQL_EMIT_FINAL && !windowed) {
            rc = fail(err, s->pos, ERR_INVALID,
                      "EMIT FINAL needs a window table function");
            goto fail;
        }
        if (s->late_into && (rc = planner_late_into(q, p, err)))
            goto fail;
    } else if (s->having) {
        rc = fail(err, s->having->pos, ERR_INVALID, "HAVING needs GROUP BY");
        goto fail;
    } else if ((s->allowed_lateness || s->late_into) &&
               !sql_over_in_select(s)) {
        rc = fail(err, s->pos, ERR_INVALID,
                  "ALLOWED LATENESS and EMIT LATE INTO need a window "
                  "aggregate");
        goto fail;
    }
    struct pipeline_source_config src;
    source_config(p, &src);
    if (base) {
        /* the inner query's chain, extended */
        p->pipe = base->pipe;
        p->pipe0 = base->pipe0;
        base->pipe = base->pipe0 = NULL;
        rc = 0;
    } else {
        rc = pipeline_create(&src, &p->pipe);
    }
    if (rc) {
        rc = fail(err, s->from->pos, rc, "cannot create the source of %s",
                  p->input);
        goto fail;
    }
    if ((rc = set_per_key(p, err)))
        goto fail;
    if (p->window_columns &&
        (rc = build_window_columns(p, s->from->window->timecol, err)))
        goto fail;
    if (s->where &&
        (rc = build_filter(p, &t, s->where, p->where, sizeof p->where)))
        goto fail;
    if (sql_over_in_select(s) &&
        (rc = build_over(q, s, p, &t, timecol, hooks, err)))
        goto fail;
    if (p->windowed && t.npre) {
        /* Computed aggregate arguments: input columns + the expressions. */
        struct expr *ex[SCHEMA_MAX_COLUMNS];
        char names[SCHEMA_MAX_COLUMNS][SCHEMA_NAME_MAX];
        const char *np[SCHEMA_MAX_COLUMNS];
        int n = 0;
        for (int c2 = 0; c2 < p->in_schema.ncolumns; c2++, n++) {
            ex[n] = expr_column(t.pre_ctx, c2);
            copy_str(names[n], sizeof names[n], p->in_schema.columns[c2].name);
        }
        for (int i = 0; i < t.npre; i++, n++) {
            ex[n] = t.pre[i];
            snprintf(names[n], sizeof names[n], "$arg%d", i);
        }
        for (int i = 0; i < n; i++)
            np[i] = names[i];
        rc = pipeline_add_project(p->pipe, t.pre_ctx, n, ex, np);
        t.pre_ctx = NULL;
        if (rc) {
            rc = fail(err, s->pos, rc, "cannot compute aggregate arguments");
            goto fail;
        }
        p->npre = t.npre;
        for (int i = 0; i < t.npre; i++)
            copy_str(p->pre_text[i], sizeof p->pre_text[i], t.pre_text[i]);
    }
    int need = !p->windowed ? 0
               : base       ? sql_subq_needs_repartition(p, err)
                            : needs_repartition(p);
    if (need < 0) {
        rc = need;
        goto fail;
    }
    if (need) {
        if (p->pipe0) {
            rc = fail(err, s->pos, ERR_UNSUPPORTED,
                      "this aggregate over the subquery needs its rows "
                      "repartitioned by its GROUP BY keys, and the "
                      "subquery is repartitioned already (a second "
                      "repartition is not supported yet)");
            goto fail;
        }
        /* Stage 1 reads the repartition topic: the columns so far, event
         * time = the record timestamp the writer stamps, watermark from the
         * writers' markers (no delay, no idleness of its own). */
        p->repartition = true;
        /* No GROUP BY key (a global aggregate, windowed or not): every row
         * goes to the one partition of the repartition topic, and one
         * stage-1 task computes the result. */
        p->repart_partitions = p->wcfg.nkeys ? p->npartitions : 1;
        p->wcfg_run = p->wcfg;
        if (!p->late_topic[0] && (rc = prune_for_repartition(p, s, err)))
            goto fail;
        p->mid_schema = *pipeline_schema(p->pipe);
        snprintf(p->repart_topic, sizeof p->repart_topic, "%s-repartition",
                 q->id ? q->id : "select");
        struct pipeline_source_config src1 = {
            .batch_capacity = p->batch_rows,
            .schema = &p->mid_schema,
            .format = PIPELINE_FORMAT_ROW,
            .time_column = -1,
            /* the input partitions (the record key of a row): late rows
             * count against them; a stage-1 task's own index is below it
             * too (repart_partitions <= npartitions) */
            .npartitions = p->npartitions,
            .external_watermark = true,
        };
        p->pipe0 = p->pipe;
        p->pipe = NULL;
        rc = pipeline_create(&src1, &p->pipe);
        if (rc) {
            rc = fail(err, s->pos, rc, "cannot create the repartition stage");
            goto fail;
        }
    }
    if (p->windowed && !p->repartition && p->npartitions > 1 && p->in_key[0] &&
        base) {
        if ((rc = sql_subq_key_check(p, err)))
            goto fail;
    } else if (p->windowed && !p->repartition && p->npartitions > 1 &&
               p->in_key[0]) {
        /* Co-partitioned on the declared key: trusted only record by
         * record (a record that does not follow it would make two final
         * rows for one window and key). */
        int kc = schema_find(&p->in_schema, p->in_key, strlen(p->in_key));
        if (kc >= 0 && (rc = pipeline_set_key_check(p->pipe, kc)) == 0)
            p->key_checked = true;
        rc = 0;
    }
    if (p->windowed) {
        if (hooks) {
            p->wcfg.late = hooks->late;
            p->wcfg.late_arg = hooks->late_arg;
        }
        struct window_agg_config wc = p->wcfg;
        if (p->repartition && !(base && base->repartition)) {
            memcpy(wc.keys, p->wcfg_run.keys, sizeof wc.keys);
            for (int a = 0; a < wc.naggs; a++)
                wc.aggs[a].column = p->wcfg_run.aggs[a].column;
        }
        rc = pipeline_add_window_agg(p->pipe, &wc, &p->wa);
        if (rc) {
            rc = fail(err, s->pos, rc, "cannot build the window aggregate");
            goto fail;
        }
        /* Per-key firing needs every group to be one key of the input:
         * the GROUP BY holds the stream's key, in the input's own
         * partitions (no repartition); else the floor alone fires. */
        int kc = p->per_key
                     ? schema_find(&p->in_schema, p->in_key, strlen(p->in_key))
                     : -1;
        bool by_key = false;
        for (int k = 0; kc >= 0 && k < wc.nkeys; k++)
            by_key = by_key || wc.keys[k] == kc;
        if (by_key && !p->repartition &&
            window_agg_set_per_key(p->wa, p->watermark_delay_ms) == 0)
            p->per_key_windows = true;
        t.agg_mode = true;
        t.agg_col0 = pipeline_schema(p->pipe)->ncolumns - p->wcfg.naggs;
        if (s->having &&
            (rc = build_filter(p, &t, s->having, p->having, sizeof p->having)))
            goto fail;
    }
select_list:
    if (p->match && s->where &&
        (rc = build_filter(p, &t, s->where, p->where, sizeof p->where)))
        goto fail;
    if ((rc = build_project(s, p, &t)))
        goto fail;
    if (outer) {
        struct tr to = {.err = err,
                        .relation = "the subquery",
                        .in_schema = pipeline_schema(p->pipe)};
        if (outer->where &&
            (rc = build_filter(p, &to, outer->where, p->outer_where,
                               sizeof p->outer_where)))
            goto fail;
        if ((rc = build_project(outer, p, &to)))
            goto fail;
        p->outer = true;
        if (outer->limit >= 0)
            p->limit = outer->limit;
    }
    p->out_schema = *pipeline_schema(p->pipe);
    if ((rc = find_key_columns(q, s, p, err)))
        goto fail;
    if (q->stmt && q->stmt->kind == SQL_STMT_INSERT &&
        (rc = check_insert(q, p, err)))
        goto fail;
    expr_ctx_destroy(t.pre_ctx);
    *out = p;
    return 0;
fail:
    expr_ctx_destroy(t.pre_ctx);
    plan_destroy(p);
    return rc;
}

void plan_destroy(struct plan *p)
{
    if (!p)
        return;
    plan_destroy(p->sub);
    sql_union_plan_free(p->uni);
    pipeline_destroy(p->pipe);
    pipeline_destroy(p->pipe0);
    sql_join_plan_free(p->join);
    mem_free(p);
}

struct expr *planner_expr(struct expr_ctx *ctx, const struct schema *sc,
                          const char *relation, const struct sql_expr *e,
                          struct sql_exec_error *err, int *rc)
{
    struct tr t = {.ctx = ctx,
                   .schema = sc,
                   .relation = relation,
                   .err = err,
                   .in_schema = sc};
    struct expr *x = tr_expr(&t, e);
    *rc = x ? 0 : t.rc ? t.rc : ERR_INVALID;
    if (!x && !t.rc)
        fail(err, e->pos, ERR_INVALID, "invalid expression");
    return x;
}
