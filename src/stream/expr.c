/* expr.c - typing and vectorised evaluation of expression trees
 * (layer: stream).
 *
 * Every node owns a scratch column sized for the context's capacity; a node
 * evaluates its children, then fills its column in one loop per operator.
 * Numeric operands of mixed types are widened into per-node temporary
 * arrays first, so the inner loops run over packed arrays of one type.
 * NULL cells hold arbitrary data; every loop that could trap (division)
 * checks the NULL byte or the divisor. Integer arithmetic wraps (done in
 * uint64), never undefined behaviour. Nothing here allocates per row except
 * string results, which bump the context's per-batch arena.
 */
#include "stream/expr.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/mem.h"
#include "row/scalar.h"
#include "stream/decimal.h"

enum kind { K_COL, K_LIT, K_BIN, K_UN, K_IN, K_LIKE, K_CASE, K_CAST, K_FUNC };

struct expr {
    enum kind kind;
    int op; /* enum expr_op or enum expr_func */
    enum schema_type type;
    enum schema_type cmp; /* comparison / operand type for binary nodes */
    int column;
    bool negated;
    bool has_else;
    int nargs;
    int dec_precision, dec_scale; /* CAST to DECIMAL(p, s); p 0: not one */
    int unit;                     /* EXTRACT, FLOOR/CEIL TO, TIMESTAMPDIFF */
    int trim;                     /* TRIM: 1 leading, 2 trailing, 3 both */
    const char *fmt;              /* DATE_FORMAT's pattern (validated) */
    struct expr **args;
    const struct row_column **argres; /* children's results during eval */
    struct row_column out;
    int64_t *tmp[2];
};

struct expr_ctx {
    const struct schema *schema;
    int capacity;
    int nnodes;
    struct arena nodes;   /* nodes, scratch, literal strings: lifetime */
    struct arena strings; /* per-batch string results */
    int64_t watermark;    /* for CURRENT_WATERMARK */
    char error[160];
};

int expr_ctx_create(const struct schema *schema, int capacity,
                    struct expr_ctx **out)
{
    if (!schema || capacity <= 0 || capacity > ROW_BATCH_MAX_CAPACITY)
        return ERR_INVALID;
    struct expr_ctx *c = mem_calloc(1, sizeof(*c));
    c->schema = schema;
    c->capacity = capacity;
    c->watermark = INT64_MIN;
    arena_init(&c->nodes, 256 * 1024);
    arena_init(&c->strings, 256 * 1024);
    *out = c;
    return 0;
}

void expr_ctx_destroy(struct expr_ctx *c)
{
    if (!c)
        return;
    arena_fini(&c->nodes);
    arena_fini(&c->strings);
    mem_free(c);
}

const char *expr_ctx_error(const struct expr_ctx *c)
{
    return c->error[0] ? c->error : NULL;
}

void expr_ctx_reset(struct expr_ctx *c)
{
    arena_reset(&c->strings);
}

void expr_ctx_set_watermark(struct expr_ctx *c, int64_t watermark)
{
    c->watermark = watermark;
}

static struct expr *fail(struct expr_ctx *c, const char *msg)
{
    if (!c->error[0])
        snprintf(c->error, sizeof(c->error), "%s", msg);
    return NULL;
}

static bool is_int(enum schema_type t)
{
    return t == SCHEMA_INT || t == SCHEMA_BIGINT;
}
static bool is_num(enum schema_type t)
{
    return is_int(t) || t == SCHEMA_DOUBLE;
}

/* Common type of two operands for comparison, CASE and COALESCE, or
 * SCHEMA_NULL when there is none. SCHEMA_NULL (an untyped NULL) unifies
 * with anything. */
static enum schema_type unify(enum schema_type a, enum schema_type b, bool *ok)
{
    *ok = true;
    if (a == SCHEMA_NULL)
        return b;
    if (b == SCHEMA_NULL || a == b)
        return a;
    if (is_num(a) && is_num(b))
        return (a == SCHEMA_DOUBLE || b == SCHEMA_DOUBLE) ? SCHEMA_DOUBLE
                                                          : SCHEMA_BIGINT;
    if ((a == SCHEMA_TIMESTAMP && is_int(b)) ||
        (b == SCHEMA_TIMESTAMP && is_int(a)))
        return SCHEMA_TIMESTAMP;
    *ok = false;
    return SCHEMA_NULL;
}

static struct expr *node(struct expr_ctx *c, enum kind k, int nargs,
                         struct expr *const *args)
{
    if (c->nnodes >= EXPR_CTX_MAX_NODES)
        return fail(c, "expression too large");
    for (int i = 0; i < nargs; i++)
        if (!args[i])
            return NULL; /* an argument failed: error already recorded */
    struct expr *e = arena_calloc(&c->nodes, sizeof(*e));
    c->nnodes++;
    e->kind = k;
    e->column = -1;
    e->nargs = nargs;
    if (nargs) {
        e->args = arena_alloc(&c->nodes, sizeof(*e->args) * (size_t)nargs);
        memcpy(e->args, args, sizeof(*e->args) * (size_t)nargs);
        e->argres = arena_alloc(&c->nodes, sizeof(*e->argres) * (size_t)nargs);
    }
    size_t cap = (size_t)c->capacity;
    e->out.nulls = arena_calloc(&c->nodes, cap);
    e->out.data.str = arena_calloc(&c->nodes, cap * sizeof(struct row_str));
    return e;
}

static void need_tmp(struct expr_ctx *c, struct expr *e)
{
    for (int i = 0; i < 2; i++)
        e->tmp[i] = arena_alloc(&c->nodes, (size_t)c->capacity * 8);
}

enum schema_type expr_type(const struct expr *e)
{
    return e->type;
}

struct expr *expr_column(struct expr_ctx *c, int column)
{
    if (column < 0 || column >= c->schema->ncolumns)
        return fail(c, "column index out of range");
    struct expr *e = node(c, K_COL, 0, NULL);
    if (!e)
        return NULL;
    e->column = column;
    e->type = c->schema->columns[column].type;
    e->out.type = e->type;
    return e;
}

struct expr *expr_column_named(struct expr_ctx *c, const char *name)
{
    int i = schema_find(c->schema, name, strlen(name));
    if (i < 0) {
        char m[120];
        snprintf(m, sizeof(m), "unknown column '%.60s'", name);
        return fail(c, m);
    }
    return expr_column(c, i);
}

/* Writes v into cell i of a scratch column of type t. */
static void put(struct row_column *o, enum schema_type t, int i, struct value v)
{
    if (v.type == SCHEMA_NULL) {
        o->nulls[i] = 1;
        return;
    }
    o->nulls[i] = 0;
    switch (t) {
    case SCHEMA_BOOLEAN:
        o->data.b[i] = v.u.b;
        break;
    case SCHEMA_INT:
        o->data.i32[i] = v.u.i32;
        break;
    case SCHEMA_BIGINT:
    case SCHEMA_TIMESTAMP:
        o->data.i64[i] = v.u.i64;
        break;
    case SCHEMA_DOUBLE:
        o->data.f64[i] = v.u.f64;
        break;
    case SCHEMA_STRING:
        o->data.str[i] = v.u.str;
        break;
    case SCHEMA_NULL:
        o->nulls[i] = 1;
        break;
    }
}

struct expr *expr_literal(struct expr_ctx *c, struct value v)
{
    struct expr *e = node(c, K_LIT, 0, NULL);
    if (!e)
        return NULL;
    if (v.type == SCHEMA_STRING) {
        char *p = arena_alloc(&c->nodes, v.u.str.len + 1);
        if (v.u.str.len)
            memcpy(p, v.u.str.ptr, v.u.str.len);
        v.u.str.ptr = p;
    }
    e->type = v.type;
    e->out.type = v.type;
    /* A literal's column is filled once for every row it may ever see. */
    for (int i = 0; i < c->capacity; i++)
        put(&e->out, v.type, i, v);
    return e;
}

struct expr *expr_null(struct expr_ctx *c, enum schema_type t)
{
    struct expr *e = expr_literal(c, value_null());
    if (e) {
        e->type = t;
        e->out.type = t;
    }
    return e;
}

struct expr *expr_binary(struct expr_ctx *c, enum expr_op op, struct expr *a,
                         struct expr *b)
{
    struct expr *args[2] = {a, b};
    struct expr *e = node(c, K_BIN, 2, args);
    if (!e)
        return NULL;
    e->op = op;
    enum schema_type ta = a->type, tb = b->type;
    bool ok = true;
    switch (op) {
    case EXPR_ADD:
    case EXPR_SUB:
    case EXPR_MUL:
    case EXPR_DIV:
    case EXPR_MOD:
        if (ta == SCHEMA_NULL)
            ta = is_num(tb) ? tb : SCHEMA_BIGINT;
        if (tb == SCHEMA_NULL)
            tb = is_num(ta) ? ta : SCHEMA_BIGINT;
        if ((op == EXPR_ADD || op == EXPR_SUB) && ta == SCHEMA_TIMESTAMP &&
            is_int(tb)) {
            e->type = SCHEMA_TIMESTAMP;
            e->cmp = SCHEMA_BIGINT;
        } else if (op == EXPR_ADD && is_int(ta) && tb == SCHEMA_TIMESTAMP) {
            e->type = SCHEMA_TIMESTAMP;
            e->cmp = SCHEMA_BIGINT;
        } else if (op == EXPR_SUB && ta == SCHEMA_TIMESTAMP &&
                   tb == SCHEMA_TIMESTAMP) {
            e->type = SCHEMA_BIGINT;
            e->cmp = SCHEMA_BIGINT;
        } else if (is_num(ta) && is_num(tb)) {
            e->type = (ta == SCHEMA_DOUBLE || tb == SCHEMA_DOUBLE)
                          ? SCHEMA_DOUBLE
                          : SCHEMA_BIGINT;
            e->cmp = e->type;
        } else {
            return fail(c, "arithmetic needs numeric operands");
        }
        break;
    case EXPR_EQ:
    case EXPR_NE:
    case EXPR_LT:
    case EXPR_LE:
    case EXPR_GT:
    case EXPR_GE:
        e->cmp = unify(ta, tb, &ok);
        if (!ok)
            return fail(c, "cannot compare these types");
        if (is_int(e->cmp) || e->cmp == SCHEMA_TIMESTAMP ||
            e->cmp == SCHEMA_BOOLEAN || e->cmp == SCHEMA_NULL)
            e->cmp = SCHEMA_BIGINT;
        e->type = SCHEMA_BOOLEAN;
        break;
    case EXPR_AND:
    case EXPR_OR:
        if ((ta != SCHEMA_BOOLEAN && ta != SCHEMA_NULL) ||
            (tb != SCHEMA_BOOLEAN && tb != SCHEMA_NULL))
            return fail(c, "AND/OR need BOOLEAN operands");
        e->type = SCHEMA_BOOLEAN;
        break;
    case EXPR_CONCAT:
        if ((ta != SCHEMA_STRING && ta != SCHEMA_NULL) ||
            (tb != SCHEMA_STRING && tb != SCHEMA_NULL))
            return fail(c, "|| needs STRING operands");
        e->kind = K_FUNC;
        e->op = EXPR_FN_CONCAT;
        e->type = SCHEMA_STRING;
        break;
    default:
        return fail(c, "not a binary operator");
    }
    e->out.type = e->type;
    if (e->kind == K_BIN && op != EXPR_AND && op != EXPR_OR)
        need_tmp(c, e);
    return e;
}

struct expr *expr_unary(struct expr_ctx *c, enum expr_op op, struct expr *a)
{
    struct expr *e = node(c, K_UN, 1, &a);
    if (!e)
        return NULL;
    e->op = op;
    switch (op) {
    case EXPR_NEG:
        if (!is_num(a->type) && a->type != SCHEMA_NULL)
            return fail(c, "unary minus needs a number");
        e->type = a->type == SCHEMA_DOUBLE ? SCHEMA_DOUBLE : SCHEMA_BIGINT;
        need_tmp(c, e);
        break;
    case EXPR_NOT:
        if (a->type != SCHEMA_BOOLEAN && a->type != SCHEMA_NULL)
            return fail(c, "NOT needs a BOOLEAN");
        e->type = SCHEMA_BOOLEAN;
        break;
    case EXPR_IS_NULL:
    case EXPR_IS_NOT_NULL:
        e->type = SCHEMA_BOOLEAN;
        break;
    default:
        return fail(c, "not a unary operator");
    }
    e->out.type = e->type;
    return e;
}

struct expr *expr_in(struct expr_ctx *c, struct expr *x,
                     struct expr *const *list, int n, bool negated)
{
    if (n <= 0 || n > 1000)
        return fail(c, "IN list must have 1..1000 items");
    struct expr *args[1001];
    args[0] = x;
    for (int i = 0; i < n; i++)
        args[i + 1] = list[i];
    struct expr *e = node(c, K_IN, n + 1, args);
    if (!e)
        return NULL;
    enum schema_type t = x->type;
    bool ok;
    for (int i = 0; i < n; i++) {
        t = unify(t, list[i]->type, &ok);
        if (!ok)
            return fail(c, "IN list items do not match the tested type");
    }
    e->cmp = t;
    e->negated = negated;
    e->type = e->out.type = SCHEMA_BOOLEAN;
    return e;
}

struct expr *expr_between(struct expr_ctx *c, struct expr *x, struct expr *lo,
                          struct expr *hi, bool negated)
{
    struct expr *r = expr_binary(c, EXPR_AND, expr_binary(c, EXPR_GE, x, lo),
                                 expr_binary(c, EXPR_LE, x, hi));
    return negated ? expr_unary(c, EXPR_NOT, r) : r;
}

struct expr *expr_like(struct expr_ctx *c, struct expr *x, struct expr *pattern,
                       bool negated)
{
    struct expr *args[2] = {x, pattern};
    struct expr *e = node(c, K_LIKE, 2, args);
    if (!e)
        return NULL;
    if ((x->type != SCHEMA_STRING && x->type != SCHEMA_NULL) ||
        (pattern->type != SCHEMA_STRING && pattern->type != SCHEMA_NULL))
        return fail(c, "LIKE needs STRING operands");
    e->negated = negated;
    e->type = e->out.type = SCHEMA_BOOLEAN;
    return e;
}

struct expr *expr_case(struct expr_ctx *c, struct expr *operand,
                       struct expr *const *whens, struct expr *const *thens,
                       int n, struct expr *otherwise)
{
    if (n <= 0 || n > 256)
        return fail(c, "CASE needs 1..256 WHEN branches");
    struct expr *args[513];
    for (int i = 0; i < n; i++) {
        args[2 * i] =
            operand ? expr_binary(c, EXPR_EQ, operand, whens[i]) : whens[i];
        args[2 * i + 1] = thens[i];
    }
    int na = 2 * n;
    if (otherwise)
        args[na++] = otherwise;
    struct expr *e = node(c, K_CASE, na, args);
    if (!e)
        return NULL;
    e->has_else = otherwise != NULL;
    enum schema_type t = SCHEMA_NULL;
    bool ok;
    for (int i = 0; i < n; i++) {
        if (args[2 * i]->type != SCHEMA_BOOLEAN &&
            args[2 * i]->type != SCHEMA_NULL)
            return fail(c, "CASE WHEN needs a BOOLEAN condition");
        t = unify(t, thens[i]->type, &ok);
        if (!ok)
            return fail(c, "CASE branches have different types");
    }
    if (otherwise) {
        t = unify(t, otherwise->type, &ok);
        if (!ok)
            return fail(c, "CASE ELSE has a different type");
    }
    if (t == SCHEMA_INT)
        t = SCHEMA_BIGINT;
    e->type = e->out.type = t;
    return e;
}

struct expr *expr_cast(struct expr_ctx *c, struct expr *x, enum schema_type to)
{
    struct expr *e = node(c, K_CAST, 1, &x);
    if (!e)
        return NULL;
    if (to == SCHEMA_NULL)
        return fail(c, "cannot CAST to NULL");
    e->type = e->out.type = to;
    return e;
}

struct expr *expr_cast_decimal(struct expr_ctx *c, struct expr *x,
                               int precision, int scale)
{
    if (precision < 1 || precision > DECIMAL_MAX_PRECISION || scale < 0 ||
        scale > precision) {
        char msg[96];
        snprintf(msg, sizeof msg,
                 "DECIMAL(%d, %d) is not supported (precision "
                 "1 to %d, scale 0 to precision)",
                 precision, scale, DECIMAL_MAX_PRECISION);
        return fail(c, msg);
    }
    if (x && !is_num(x->type) && x->type != SCHEMA_STRING &&
        x->type != SCHEMA_BOOLEAN && x->type != SCHEMA_NULL)
        return fail(c, "cannot CAST this type to DECIMAL");
    struct expr *e = expr_cast(c, x, SCHEMA_DOUBLE);
    if (!e)
        return NULL;
    e->dec_precision = precision;
    e->dec_scale = scale;
    return e;
}

/* Time units of EXTRACT, FLOOR/CEIL ... TO and TIMESTAMPDIFF. */
enum unit {
    U_MILLISECOND,
    U_SECOND,
    U_MINUTE,
    U_HOUR,
    U_DAY,
    U_DOW,
    U_DOY,
    U_WEEK,
    U_MONTH,
    U_QUARTER,
    U_YEAR,
    U_EPOCH,
};

/* The text of a string literal argument, or NULL. */
static const char *lit_str(const struct expr *a)
{
    if (a->kind != K_LIT || a->type != SCHEMA_STRING || a->out.nulls[0])
        return NULL;
    return a->out.data.str[0].ptr;
}

/* The value of an integer literal argument. */
static int64_t cell_i64_lit(const struct expr *a)
{
    return a->type == SCHEMA_INT ? a->out.data.i32[0] : a->out.data.i64[0];
}

static int unit_of(const struct expr *a)
{
    static const char *const names[] = {
        "MILLISECOND", "SECOND", "MINUTE", "HOUR",    "DAY",  "DOW",
        "DOY",         "WEEK",   "MONTH",  "QUARTER", "YEAR", "EPOCH"};
    const char *s = lit_str(a);
    for (int i = 0; s && i < (int)(sizeof names / sizeof names[0]); i++)
        if (!strcasecmp(s, names[i]))
            return i;
    return -1;
}

/* DATE_FORMAT patterns: the letters y M d H m s S (Java's meaning), text
 * in single quotes, and any other character as it is. */
static bool date_format_valid(const char *f)
{
    for (const char *p = f; *p; p++) {
        if (*p == '\'') {
            p = strchr(p + 1, '\'');
            if (!p)
                return false;
            continue;
        }
        if (((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) &&
            !strchr("yMdHmsS", *p))
            return false;
    }
    return true;
}

struct expr *expr_func(struct expr_ctx *c, enum expr_func fn,
                       struct expr *const *args, int n)
{
    struct expr *e = node(c, K_FUNC, n, args);
    if (!e)
        return NULL;
    e->op = fn;
    enum schema_type a0 = n > 0 ? args[0]->type : SCHEMA_NULL;
    bool ok = true;
    switch (fn) {
    case EXPR_FN_ABS:
    case EXPR_FN_FLOOR:
    case EXPR_FN_CEIL:
    case EXPR_FN_ROUND:
        if ((fn == EXPR_FN_ROUND ? (n != 1 && n != 2) : n != 1) ||
            (!is_num(a0) && a0 != SCHEMA_NULL) ||
            (n == 2 && !is_int(args[1]->type)))
            return fail(c, "ABS/ROUND/FLOOR/CEIL need a number");
        e->type = a0 == SCHEMA_DOUBLE ? SCHEMA_DOUBLE : SCHEMA_BIGINT;
        break;
    case EXPR_FN_SQRT:
    case EXPR_FN_POWER:
        if (n != (fn == EXPR_FN_SQRT ? 1 : 2))
            return fail(c, "SQRT takes 1 argument, POWER 2");
        for (int i = 0; i < n; i++)
            if (!is_num(args[i]->type) && args[i]->type != SCHEMA_NULL)
                return fail(c, "SQRT/POWER need numbers");
        e->type = SCHEMA_DOUBLE;
        break;
    case EXPR_FN_LOWER:
    case EXPR_FN_UPPER:
    case EXPR_FN_CHAR_LENGTH:
        if (n != 1 || (a0 != SCHEMA_STRING && a0 != SCHEMA_NULL))
            return fail(c, "LOWER/UPPER/CHAR_LENGTH need one STRING");
        e->type = fn == EXPR_FN_CHAR_LENGTH ? SCHEMA_INT : SCHEMA_STRING;
        break;
    case EXPR_FN_CONCAT:
        if (n < 1)
            return fail(c, "CONCAT needs arguments");
        for (int i = 0; i < n; i++)
            if (args[i]->type != SCHEMA_STRING && args[i]->type != SCHEMA_NULL)
                return fail(c, "CONCAT needs STRING arguments");
        e->type = SCHEMA_STRING;
        break;
    case EXPR_FN_COALESCE:
        if (n < 1)
            return fail(c, "COALESCE needs arguments");
        e->type = SCHEMA_NULL;
        for (int i = 0; i < n && ok; i++)
            e->type = unify(e->type, args[i]->type, &ok);
        if (!ok)
            return fail(c, "COALESCE arguments have different types");
        if (e->type == SCHEMA_INT)
            e->type = SCHEMA_BIGINT;
        break;
    case EXPR_FN_CURRENT_WATERMARK:
        if (n > 1 || (n == 1 && a0 != SCHEMA_TIMESTAMP))
            return fail(c, "CURRENT_WATERMARK takes a TIMESTAMP column");
        e->type = SCHEMA_TIMESTAMP;
        break;
    case EXPR_FN_IF:
        if (n != 3 || (a0 != SCHEMA_BOOLEAN && a0 != SCHEMA_NULL))
            return fail(c, "IF takes a condition and two values");
        e->type = unify(args[1]->type, args[2]->type, &ok);
        if (!ok)
            return fail(c, "IF's two values have different types");
        if (e->type == SCHEMA_INT)
            e->type = SCHEMA_BIGINT;
        break;
    case EXPR_FN_NULLIF:
        if (n != 2)
            return fail(c, "NULLIF takes two values");
        e->cmp = unify(a0, args[1]->type, &ok);
        if (!ok)
            return fail(c, "NULLIF's two values have different types");
        e->type = a0 == SCHEMA_INT ? SCHEMA_BIGINT : a0;
        break;
    case EXPR_FN_SUBSTRING:
        if (n < 2 || n > 3 || (a0 != SCHEMA_STRING && a0 != SCHEMA_NULL) ||
            !is_int(args[1]->type) || (n == 3 && !is_int(args[2]->type)))
            return fail(c, "SUBSTRING takes a STRING, a start and a length "
                           "(integers)");
        e->type = SCHEMA_STRING;
        break;
    case EXPR_FN_REPLACE:
        for (int i = 0; i < n; i++)
            if (args[i]->type != SCHEMA_STRING && args[i]->type != SCHEMA_NULL)
                ok = false;
        if (n != 3 || !ok)
            return fail(c, "REPLACE takes three STRINGs");
        e->type = SCHEMA_STRING;
        break;
    case EXPR_FN_TRIM:
    case EXPR_FN_LTRIM:
    case EXPR_FN_RTRIM:
        e->trim = fn == EXPR_FN_LTRIM ? 1 : fn == EXPR_FN_RTRIM ? 2 : 3;
        if (fn == EXPR_FN_TRIM && n == 3) {
            const char *m = lit_str(args[0]);
            e->trim = !m                           ? 0
                      : !strcasecmp(m, "LEADING")  ? 1
                      : !strcasecmp(m, "TRAILING") ? 2
                      : !strcasecmp(m, "BOTH")     ? 3
                                                   : 0;
            if (!e->trim || (args[1]->type != SCHEMA_STRING &&
                             args[1]->type != SCHEMA_NULL))
                return fail(c, "TRIM([BOTH|LEADING|TRAILING] [chars] FROM s)");
        } else if (n != 1) {
            return fail(c, "TRIM/LTRIM/RTRIM take one STRING");
        }
        if (args[n - 1]->type != SCHEMA_STRING &&
            args[n - 1]->type != SCHEMA_NULL)
            return fail(c, "TRIM/LTRIM/RTRIM take a STRING");
        e->type = SCHEMA_STRING;
        break;
    case EXPR_FN_EXTRACT:
        if (n != 2 || (e->unit = unit_of(args[0])) < 0 ||
            (args[1]->type != SCHEMA_TIMESTAMP && args[1]->type != SCHEMA_NULL))
            return fail(c, "EXTRACT(unit FROM a TIMESTAMP)");
        e->type = SCHEMA_BIGINT;
        break;
    case EXPR_FN_FLOOR_TO:
    case EXPR_FN_CEIL_TO:
        if (n != 2 || (a0 != SCHEMA_TIMESTAMP && a0 != SCHEMA_NULL) ||
            (e->unit = unit_of(args[1])) < 0 || e->unit == U_DOW ||
            e->unit == U_DOY || e->unit == U_EPOCH)
            return fail(c, "FLOOR/CEIL(a TIMESTAMP TO MILLISECOND, SECOND, "
                           "MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER or YEAR)");
        e->type = SCHEMA_TIMESTAMP;
        break;
    case EXPR_FN_TIMESTAMPDIFF:
        if (n != 3 || (e->unit = unit_of(args[0])) < 0 || e->unit == U_DOW ||
            e->unit == U_DOY || e->unit == U_EPOCH || e->unit == U_MILLISECOND)
            return fail(c, "TIMESTAMPDIFF(SECOND, MINUTE, HOUR, DAY, WEEK, "
                           "MONTH, QUARTER or YEAR, a, b)");
        for (int i = 1; i < 3; i++)
            if (args[i]->type != SCHEMA_TIMESTAMP &&
                args[i]->type != SCHEMA_NULL)
                return fail(c, "TIMESTAMPDIFF compares two TIMESTAMPs");
        e->type = SCHEMA_INT;
        break;
    case EXPR_FN_DATE_FORMAT:
        if (n != 2 || (a0 != SCHEMA_TIMESTAMP && a0 != SCHEMA_NULL) ||
            !(e->fmt = lit_str(args[1])) || !date_format_valid(e->fmt))
            return fail(c, "DATE_FORMAT(a TIMESTAMP, a pattern of y M d H m "
                           "s S and quoted text)");
        e->type = SCHEMA_STRING;
        break;
    case EXPR_FN_TO_TIMESTAMP_LTZ: {
        int64_t prec = -1;
        if (n == 2 && args[1]->kind == K_LIT && is_int(args[1]->type))
            prec = cell_i64_lit(args[1]);
        if ((n != 1 && n != 2) || (!is_num(a0) && a0 != SCHEMA_NULL) ||
            (n == 2 && prec != 0 && prec != 3))
            return fail(c, "TO_TIMESTAMP_LTZ(epoch, 0 (seconds) or 3 "
                           "(milliseconds))");
        e->unit = n == 2 && prec == 0 ? U_SECOND : U_MILLISECOND;
        e->type = SCHEMA_TIMESTAMP;
        break;
    }
    default:
        return fail(c, "unknown function");
    }
    e->out.type = e->type;
    return e;
}

/* --- evaluation helpers ------------------------------------------------ */

static int64_t cell_i64(const struct row_column *c, int i)
{
    switch (c->type) {
    case SCHEMA_BOOLEAN:
        return c->data.b[i];
    case SCHEMA_INT:
        return c->data.i32[i];
    case SCHEMA_BIGINT:
    case SCHEMA_TIMESTAMP:
        return c->data.i64[i];
    case SCHEMA_DOUBLE:
        return (int64_t)c->data.f64[i];
    default:
        return 0;
    }
}

static double cell_f64(const struct row_column *c, int i)
{
    switch (c->type) {
    case SCHEMA_DOUBLE:
        return c->data.f64[i];
    default:
        return (double)cell_i64(c, i);
    }
}

/* The column as packed int64 (widened into buf when needed). */
static const int64_t *as_i64(const struct row_column *c, int n, int64_t *buf)
{
    if (c->type == SCHEMA_BIGINT || c->type == SCHEMA_TIMESTAMP)
        return c->data.i64;
    if (c->type == SCHEMA_INT) {
        for (int i = 0; i < n; i++)
            buf[i] = c->data.i32[i];
    } else if (c->type == SCHEMA_DOUBLE) {
        for (int i = 0; i < n; i++) /* NULL cells may hold anything */
            buf[i] = (c->nulls[i] || !(fabs(c->data.f64[i]) < 9.2e18))
                         ? 0
                         : (int64_t)c->data.f64[i];
    } else if (c->type == SCHEMA_BOOLEAN) {
        for (int i = 0; i < n; i++)
            buf[i] = c->data.b[i];
    } else {
        memset(buf, 0, (size_t)n * 8);
    }
    return buf;
}

static const double *as_f64(const struct row_column *c, int n, double *buf)
{
    if (c->type == SCHEMA_DOUBLE)
        return c->data.f64;
    if (c->type == SCHEMA_INT) {
        for (int i = 0; i < n; i++)
            buf[i] = c->data.i32[i];
    } else if (c->type == SCHEMA_BIGINT || c->type == SCHEMA_TIMESTAMP) {
        for (int i = 0; i < n; i++)
            buf[i] = (double)c->data.i64[i];
    } else {
        memset(buf, 0, (size_t)n * 8);
    }
    return buf;
}

static int str_cmp(struct row_str a, struct row_str b)
{
    uint32_t n = a.len < b.len ? a.len : b.len;
    int r = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (r)
        return r;
    return a.len < b.len ? -1 : a.len > b.len;
}

/* Compares cells in common type t (not NULL). */
static int cell_cmp(enum schema_type t, const struct row_column *a,
                    const struct row_column *b, int i)
{
    if (t == SCHEMA_STRING)
        return str_cmp(a->data.str[i], b->data.str[i]);
    if (t == SCHEMA_DOUBLE) {
        double x = cell_f64(a, i), y = cell_f64(b, i);
        return x < y ? -1 : x > y;
    }
    int64_t x = cell_i64(a, i), y = cell_i64(b, i);
    return x < y ? -1 : x > y;
}

static struct row_str str_dup(struct expr_ctx *c, const char *p, size_t n)
{
    struct row_str s;
    char *d = arena_alloc(&c->strings, n ? n : 1);
    if (n)
        memcpy(d, p, n);
    s.ptr = d;
    s.len = (uint32_t)n;
    return s;
}

/* Converts cell i of src into cell i of dst (type dst->type); strings are
 * formatted or parsed as CAST does. A failed conversion gives NULL. */
static void convert(struct expr_ctx *c, struct row_column *dst,
                    const struct row_column *src, int i)
{
    enum schema_type to = dst->type, from = src->type;
    if (src->nulls[i] || from == SCHEMA_NULL) {
        dst->nulls[i] = 1;
        return;
    }
    dst->nulls[i] = 0;
    if (from == SCHEMA_STRING && to != SCHEMA_STRING) {
        struct row_str s = src->data.str[i];
        const char *end = s.ptr + s.len;
        struct scalar_number num;
        const char *stop;
        int64_t ms;
        size_t bad;
        while (s.len && (*s.ptr == ' ' || *s.ptr == '\t'))
            s.ptr++, s.len--;
        while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
            s.len--, end--;
        switch (to) {
        case SCHEMA_BOOLEAN:
            if (s.len == 4 && strncasecmp(s.ptr, "true", 4) == 0)
                dst->data.b[i] = 1;
            else if (s.len == 5 && strncasecmp(s.ptr, "false", 5) == 0)
                dst->data.b[i] = 0;
            else
                dst->nulls[i] = 1;
            return;
        case SCHEMA_TIMESTAMP:
            if (scalar_parse_timestamp(s.ptr, s.len, &ms, &bad) == 0)
                dst->data.i64[i] = ms;
            else
                dst->nulls[i] = 1;
            return;
        default:
            if (s.len == 0 ||
                scalar_parse_number(s.ptr, s.ptr + s.len, &num, &stop) != 0 ||
                stop != s.ptr + s.len) {
                dst->nulls[i] = 1;
                return;
            }
            if (to == SCHEMA_DOUBLE)
                dst->data.f64[i] = num.d;
            else if (!num.fits || (to == SCHEMA_INT &&
                                   (num.i < INT32_MIN || num.i > INT32_MAX)))
                dst->nulls[i] = 1;
            else if (to == SCHEMA_INT)
                dst->data.i32[i] = (int32_t)num.i;
            else
                dst->data.i64[i] = num.i;
            (void)end;
            return;
        }
    }
    if (to == SCHEMA_STRING) {
        char buf[48];
        size_t n = 0;
        if (from == SCHEMA_STRING) {
            dst->data.str[i] = src->data.str[i];
            return;
        }
        switch (from) {
        case SCHEMA_BOOLEAN:
            n = (size_t)snprintf(buf, sizeof(buf), "%s",
                                 src->data.b[i] ? "TRUE" : "FALSE");
            break;
        case SCHEMA_DOUBLE:
            n = scalar_format_double(src->data.f64[i], buf);
            break;
        case SCHEMA_TIMESTAMP:
            n = scalar_format_timestamp(src->data.i64[i], buf);
            break;
        default:
            n = scalar_format_int(cell_i64(src, i), buf);
            break;
        }
        dst->data.str[i] = str_dup(c, buf, n);
        return;
    }
    switch (to) {
    case SCHEMA_BOOLEAN:
        dst->data.b[i] = from == SCHEMA_DOUBLE ? src->data.f64[i] != 0
                                               : cell_i64(src, i) != 0;
        break;
    case SCHEMA_INT:
        if (from == SCHEMA_DOUBLE) {
            double d = src->data.f64[i];
            if (!(d > -2147483649.0 && d < 2147483648.0))
                dst->nulls[i] = 1;
            else
                dst->data.i32[i] = (int32_t)d;
        } else {
            int64_t v = cell_i64(src, i);
            if (v < INT32_MIN || v > INT32_MAX)
                dst->nulls[i] = 1;
            else
                dst->data.i32[i] = (int32_t)v;
        }
        break;
    case SCHEMA_BIGINT:
    case SCHEMA_TIMESTAMP:
        if (from == SCHEMA_DOUBLE) {
            double d = src->data.f64[i];
            if (!(fabs(d) < 9.2e18))
                dst->nulls[i] = 1;
            else
                dst->data.i64[i] = (int64_t)d;
        } else {
            dst->data.i64[i] = cell_i64(src, i);
        }
        break;
    case SCHEMA_DOUBLE:
        dst->data.f64[i] = cell_f64(src, i);
        break;
    default:
        dst->nulls[i] = 1;
        break;
    }
}

static int eval(struct expr_ctx *c, struct expr *e, const struct row_batch *b,
                const struct row_column **res);

static void eval_arith(struct expr *e, const struct row_column *x,
                       const struct row_column *y, int n)
{
    uint8_t *nl = e->out.nulls;
    for (int i = 0; i < n; i++)
        nl[i] = x->nulls[i] | y->nulls[i];
    if (e->cmp == SCHEMA_DOUBLE) {
        const double *a = as_f64(x, n, (double *)e->tmp[0]);
        const double *p = as_f64(y, n, (double *)e->tmp[1]);
        double *o = e->out.data.f64;
        switch (e->op) {
        case EXPR_ADD:
            for (int i = 0; i < n; i++)
                o[i] = a[i] + p[i];
            break;
        case EXPR_SUB:
            for (int i = 0; i < n; i++)
                o[i] = a[i] - p[i];
            break;
        case EXPR_MUL:
            for (int i = 0; i < n; i++)
                o[i] = a[i] * p[i];
            break;
        case EXPR_DIV:
            for (int i = 0; i < n; i++) {
                if (p[i] == 0.0)
                    nl[i] = 1;
                else
                    o[i] = a[i] / p[i];
            }
            break;
        case EXPR_MOD:
            for (int i = 0; i < n; i++) {
                if (p[i] == 0.0)
                    nl[i] = 1;
                else
                    o[i] = fmod(a[i], p[i]);
            }
            break;
        }
        return;
    }
    const int64_t *a = as_i64(x, n, e->tmp[0]);
    const int64_t *p = as_i64(y, n, e->tmp[1]);
    int64_t *o = e->out.data.i64;
    switch (e->op) {
    case EXPR_ADD:
        for (int i = 0; i < n; i++)
            o[i] = (int64_t)((uint64_t)a[i] + (uint64_t)p[i]);
        break;
    case EXPR_SUB:
        for (int i = 0; i < n; i++)
            o[i] = (int64_t)((uint64_t)a[i] - (uint64_t)p[i]);
        break;
    case EXPR_MUL:
        for (int i = 0; i < n; i++)
            o[i] = (int64_t)((uint64_t)a[i] * (uint64_t)p[i]);
        break;
    case EXPR_DIV:
    case EXPR_MOD:
        for (int i = 0; i < n; i++) {
            if (nl[i] || p[i] == 0 || (p[i] == -1 && a[i] == INT64_MIN)) {
                nl[i] = 1;
                o[i] = 0;
            } else {
                o[i] = e->op == EXPR_DIV ? a[i] / p[i] : a[i] % p[i];
            }
        }
        break;
    }
}

#define CMP_LOOP(A, B)                                                         \
    switch (e->op) {                                                           \
    case EXPR_EQ:                                                              \
        for (int i = 0; i < n; i++)                                            \
            o[i] = A == B;                                                     \
        break;                                                                 \
    case EXPR_NE:                                                              \
        for (int i = 0; i < n; i++)                                            \
            o[i] = A != B;                                                     \
        break;                                                                 \
    case EXPR_LT:                                                              \
        for (int i = 0; i < n; i++)                                            \
            o[i] = A < B;                                                      \
        break;                                                                 \
    case EXPR_LE:                                                              \
        for (int i = 0; i < n; i++)                                            \
            o[i] = A <= B;                                                     \
        break;                                                                 \
    case EXPR_GT:                                                              \
        for (int i = 0; i < n; i++)                                            \
            o[i] = A > B;                                                      \
        break;                                                                 \
    case EXPR_GE:                                                              \
        for (int i = 0; i < n; i++)                                            \
            o[i] = A >= B;                                                     \
        break;                                                                 \
    }

static void eval_cmp(struct expr *e, const struct row_column *x,
                     const struct row_column *y, int n)
{
    uint8_t *nl = e->out.nulls, *o = e->out.data.b;
    for (int i = 0; i < n; i++)
        nl[i] = x->nulls[i] | y->nulls[i];
    if (e->cmp == SCHEMA_DOUBLE) {
        const double *a = as_f64(x, n, (double *)e->tmp[0]);
        const double *p = as_f64(y, n, (double *)e->tmp[1]);
        CMP_LOOP(a[i], p[i]);
    } else if (e->cmp == SCHEMA_STRING) {
        for (int i = 0; i < n; i++) {
            int r = nl[i] ? 0 : str_cmp(x->data.str[i], y->data.str[i]);
            switch (e->op) {
            case EXPR_EQ:
                o[i] = r == 0;
                break;
            case EXPR_NE:
                o[i] = r != 0;
                break;
            case EXPR_LT:
                o[i] = r < 0;
                break;
            case EXPR_LE:
                o[i] = r <= 0;
                break;
            case EXPR_GT:
                o[i] = r > 0;
                break;
            case EXPR_GE:
                o[i] = r >= 0;
                break;
            }
        }
    } else {
        const int64_t *a = as_i64(x, n, e->tmp[0]);
        const int64_t *p = as_i64(y, n, e->tmp[1]);
        CMP_LOOP(a[i], p[i]);
    }
}

static size_t utf8_len(struct row_str s)
{
    size_t n = 0;
    for (uint32_t i = 0; i < s.len; i++)
        n += ((uint8_t)s.ptr[i] & 0xC0) != 0x80;
    return n;
}

bool expr_like_match(const char *s, size_t n, const char *p, size_t pn)
{
    size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0;
    while (si < n) {
        if (pi < pn && p[pi] == '%') {
            star_p = ++pi;
            star_s = si;
        } else if (pi < pn && p[pi] == '_') {
            pi++;
            si++;
            while (si < n && ((uint8_t)s[si] & 0xC0) == 0x80)
                si++;
        } else if (pi < pn && p[pi] == s[si]) {
            pi++;
            si++;
        } else if (star_p != (size_t)-1) {
            pi = star_p;
            si = ++star_s;
            while (si < n && ((uint8_t)s[si] & 0xC0) == 0x80)
                si = ++star_s;
        } else {
            return false;
        }
    }
    while (pi < pn && p[pi] == '%')
        pi++;
    return pi == pn;
}

/* ---- time and string helpers of the scalar functions ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

struct civil {
    int64_t y;
    unsigned mo, d, h, mi, s, ms;
    int64_t days; /* since 1970-01-01 */
};

static void civil_of(int64_t ts, struct civil *t)
{
    t->days = floor_div(ts, 86400000);
    int64_t in = ts - t->days * 86400000;
    scalar_civil_from_days(t->days, &t->y, &t->mo, &t->d);
    t->h = (unsigned)(in / 3600000);
    t->mi = (unsigned)(in / 60000 % 60);
    t->s = (unsigned)(in / 1000 % 60);
    t->ms = (unsigned)(in % 1000);
}

static int64_t extract(int unit, int64_t ts)
{
    struct civil t;
    civil_of(ts, &t);
    switch (unit) {
    case U_MILLISECOND:
        return t.s * 1000 + t.ms; /* Flink: the seconds field in ms */
    case U_SECOND:
        return t.s;
    case U_MINUTE:
        return t.mi;
    case U_HOUR:
        return t.h;
    case U_DAY:
        return t.d;
    case U_DOW: /* 1 = Sunday ... 7 = Saturday, as Flink */
        return (t.days % 7 + 7 + 4) % 7 + 1;
    case U_DOY:
        return t.days - scalar_days_from_civil(t.y, 1, 1) + 1;
    case U_WEEK: { /* ISO-8601 week of the year */
        int64_t wd = ((t.days % 7 + 7 + 3) % 7) + 1; /* 1 Monday..7 */
        int64_t thursday = t.days - wd + 4;
        int64_t ty;
        unsigned tm, td;
        scalar_civil_from_days(thursday, &ty, &tm, &td);
        return (thursday - scalar_days_from_civil(ty, 1, 1)) / 7 + 1;
    }
    case U_MONTH:
        return t.mo;
    case U_QUARTER:
        return (t.mo - 1) / 3 + 1;
    case U_YEAR:
        return t.y;
    default: /* EPOCH: seconds */
        return floor_div(ts, 1000);
    }
}

static int64_t floor_to(int unit, int64_t ts)
{
    static const int64_t fixed[] = {1, 1000, 60000, 3600000, 86400000};
    if (unit <= U_DAY)
        return floor_div(ts, fixed[unit]) * fixed[unit];
    struct civil t;
    civil_of(ts, &t);
    switch (unit) {
    case U_WEEK: {                             /* Monday 00:00 */
        int64_t wd = (t.days % 7 + 7 + 3) % 7; /* 0 Monday */
        return (t.days - wd) * 86400000;
    }
    case U_MONTH:
        return scalar_days_from_civil(t.y, t.mo, 1) * 86400000;
    case U_QUARTER:
        return scalar_days_from_civil(t.y, (t.mo - 1) / 3 * 3 + 1, 1) *
               86400000;
    default: /* YEAR */
        return scalar_days_from_civil(t.y, 1, 1) * 86400000;
    }
}

static int64_t ceil_to(int unit, int64_t ts)
{
    int64_t f = floor_to(unit, ts);
    if (f == ts)
        return ts;
    static const int64_t fixed[] = {1, 1000, 60000, 3600000, 86400000};
    if (unit <= U_DAY)
        return f + fixed[unit];
    if (unit == U_WEEK)
        return f + 7 * 86400000LL;
    struct civil t;
    civil_of(f, &t);
    unsigned add = unit == U_MONTH ? 1 : unit == U_QUARTER ? 3 : 12;
    int64_t y = t.y + (t.mo - 1 + add) / 12;
    unsigned m = (t.mo - 1 + add) % 12 + 1;
    return scalar_days_from_civil(y, m, 1) * 86400000;
}

/* Whole units from a to b (negative when b is before a), as Flink. */
static int64_t timestampdiff(int unit, int64_t a, int64_t b)
{
    static const int64_t fixed[] = {1,        1000, 60000, 3600000,
                                    86400000, 0,    0,     604800000};
    if (unit <= U_DAY || unit == U_WEEK)
        return (b - a) / fixed[unit];
    struct civil x, y;
    civil_of(a, &x);
    civil_of(b, &y);
    int64_t months = (y.y - x.y) * 12 + ((int64_t)y.mo - (int64_t)x.mo);
    /* A month is whole once the day and time of day reach a's. */
    int64_t xr = a - floor_to(U_MONTH, a), yr = b - floor_to(U_MONTH, b);
    if (months > 0 && yr < xr)
        months--;
    else if (months < 0 && yr > xr)
        months++;
    return unit == U_MONTH     ? months
           : unit == U_QUARTER ? months / 3
                               : months / 12;
}

/* DATE_FORMAT: the pattern's letters in runs (yyyy, MM, ...). */
static struct row_str date_format(struct expr_ctx *c, const char *f, int64_t ts)
{
    struct civil t;
    civil_of(ts, &t);
    char out[256];
    size_t k = 0;
    for (const char *p = f; *p && k < sizeof out - 24;) {
        if (*p == '\'') {
            const char *q = strchr(p + 1, '\'');
            size_t len = (size_t)(q - p - 1);
            if (len == 0 && k < sizeof out - 1)
                out[k++] = '\''; /* '' is a quote */
            for (size_t i = 0; i < len && k < sizeof out - 1; i++)
                out[k++] = p[1 + i];
            p = q + 1;
            continue;
        }
        if (!strchr("yMdHmsS", *p)) {
            out[k++] = *p++;
            continue;
        }
        char ch = *p;
        int run = 0;
        while (*p == ch) {
            p++;
            run++;
        }
        int64_t v = ch == 'y'   ? (run == 2 ? t.y % 100 : t.y)
                    : ch == 'M' ? t.mo
                    : ch == 'd' ? t.d
                    : ch == 'H' ? t.h
                    : ch == 'm' ? t.mi
                    : ch == 's' ? t.s
                                : t.ms;
        char tmp[24];
        int w = ch == 'S' ? 3 : run;
        int len =
            snprintf(tmp, sizeof tmp, "%0*lld", w > 9 ? 9 : w, (long long)v);
        memcpy(out + k, tmp, (size_t)len);
        k += (size_t)len;
    }
    return str_dup(c, out, k);
}

/* Byte offset of character k (0-based) of s, or s.len past the end. */
static uint32_t char_at(struct row_str s, int64_t k)
{
    uint32_t i = 0;
    for (int64_t ch = 0; i < s.len; i++)
        if (((uint8_t)s.ptr[i] & 0xC0) != 0x80 && ch++ == k)
            return i;
    return s.len;
}

/* SUBSTRING on characters (UTF-8) as Flink: 1-based; a negative start
 * counts from the end; 0 is the first character; a negative length is
 * NULL (false). */
static bool substring(struct row_str s, int64_t pos, bool has_len, int64_t len,
                      struct row_str *out)
{
    if (has_len && len < 0)
        return false;
    int64_t nch = (int64_t)utf8_len(s);
    int64_t start = pos > 0 ? pos - 1 : pos < 0 ? nch + pos : 0;
    if (start < 0 || start >= nch) {
        out->ptr = s.ptr;
        out->len = 0;
        return true;
    }
    int64_t end = !has_len || nch - start < len ? nch : start + len;
    uint32_t b0 = char_at(s, start), b1 = end >= nch ? s.len : char_at(s, end);
    out->ptr = s.ptr + b0;
    out->len = b1 - b0;
    return true;
}

static bool is_null(const struct row_column *c, int i)
{
    return c->type == SCHEMA_NULL || c->nulls[i];
}

/* Whether one of the n arguments of row i is NULL. */
static bool any_null(const struct row_column **a, int nargs, int i)
{
    for (int k = 0; k < nargs; k++)
        if (is_null(a[k], i))
            return true;
    return false;
}

/* Flink's scalar functions (EXPR_FN_IF and after). */
static void eval_func_more(struct expr_ctx *c, struct expr *e,
                           const struct row_column **a, int n)
{
    struct row_column *o = &e->out;
    uint8_t *nl = o->nulls;
    for (int i = 0; i < n; i++) {
        nl[i] = 0;
        switch (e->op) {
        case EXPR_FN_IF: {
            bool yes = !is_null(a[0], i) && a[0]->data.b[i];
            convert(c, o, a[yes ? 1 : 2], i);
            break;
        }
        case EXPR_FN_NULLIF:
            if (is_null(a[0], i) ||
                (!is_null(a[1], i) && cell_cmp(e->cmp, a[0], a[1], i) == 0))
                nl[i] = 1;
            else
                convert(c, o, a[0], i);
            break;
        case EXPR_FN_SUBSTRING: {
            struct row_str r;
            if (any_null(a, e->nargs, i) ||
                !substring(a[0]->data.str[i], cell_i64(a[1], i), e->nargs == 3,
                           e->nargs == 3 ? cell_i64(a[2], i) : 0, &r))
                nl[i] = 1;
            else
                o->data.str[i] = r;
            break;
        }
        case EXPR_FN_REPLACE: {
            if (any_null(a, 3, i)) {
                nl[i] = 1;
                break;
            }
            struct row_str s = a[0]->data.str[i], f = a[1]->data.str[i],
                           t = a[2]->data.str[i];
            if (!f.len) {
                o->data.str[i] = s;
                break;
            }
            size_t hits = 0;
            for (uint32_t k = 0; k + f.len <= s.len;)
                if (!memcmp(s.ptr + k, f.ptr, f.len)) {
                    hits++;
                    k += f.len;
                } else {
                    k++;
                }
            size_t total = s.len + hits * t.len - hits * f.len;
            char *d = arena_alloc(&c->strings, total ? total : 1);
            size_t at = 0;
            for (uint32_t k = 0; k < s.len;)
                if (k + f.len <= s.len && !memcmp(s.ptr + k, f.ptr, f.len)) {
                    if (t.len)
                        memcpy(d + at, t.ptr, t.len);
                    at += t.len;
                    k += f.len;
                } else {
                    d[at++] = s.ptr[k++];
                }
            o->data.str[i].ptr = d;
            o->data.str[i].len = (uint32_t)total;
            break;
        }
        case EXPR_FN_TRIM:
        case EXPR_FN_LTRIM:
        case EXPR_FN_RTRIM: {
            const struct row_column *sc = a[e->nargs - 1];
            if (is_null(sc, i) || (e->nargs == 3 && is_null(a[1], i))) {
                nl[i] = 1;
                break;
            }
            struct row_str s = sc->data.str[i];
            struct row_str chars = {" ", 1};
            if (e->nargs == 3)
                chars = a[1]->data.str[i];
            uint32_t b = 0, end = s.len;
            if (e->trim & 1)
                while (b < end && memchr(chars.ptr, s.ptr[b], chars.len))
                    b++;
            if (e->trim & 2)
                while (end > b && memchr(chars.ptr, s.ptr[end - 1], chars.len))
                    end--;
            o->data.str[i].ptr = s.ptr + b;
            o->data.str[i].len = end - b;
            break;
        }
        case EXPR_FN_EXTRACT:
            if (is_null(a[1], i))
                nl[i] = 1;
            else
                o->data.i64[i] = extract(e->unit, a[1]->data.i64[i]);
            break;
        case EXPR_FN_FLOOR_TO:
        case EXPR_FN_CEIL_TO:
            if (is_null(a[0], i))
                nl[i] = 1;
            else
                o->data.i64[i] = e->op == EXPR_FN_FLOOR_TO
                                     ? floor_to(e->unit, a[0]->data.i64[i])
                                     : ceil_to(e->unit, a[0]->data.i64[i]);
            break;
        case EXPR_FN_TIMESTAMPDIFF: {
            if (is_null(a[1], i) || is_null(a[2], i)) {
                nl[i] = 1;
                break;
            }
            int64_t d =
                timestampdiff(e->unit, a[1]->data.i64[i], a[2]->data.i64[i]);
            if (d < INT32_MIN || d > INT32_MAX)
                nl[i] = 1; /* an INT cannot hold it: never a wrapped value */
            else
                o->data.i32[i] = (int32_t)d;
            break;
        }
        case EXPR_FN_DATE_FORMAT:
            if (is_null(a[0], i))
                nl[i] = 1;
            else
                o->data.str[i] = date_format(c, e->fmt, a[0]->data.i64[i]);
            break;
        case EXPR_FN_TO_TIMESTAMP_LTZ: {
            if (is_null(a[0], i)) {
                nl[i] = 1;
                break;
            }
            double v = cell_f64(a[0], i);
            double ms = e->unit == U_SECOND ? v * 1000.0 : v;
            /* The years TIMESTAMP(3) holds (0000-9999), else NULL. */
            if (!(ms >= -62167219200000.0 && ms < 253402300800000.0))
                nl[i] = 1;
            else
                o->data.i64[i] = (int64_t)floor(ms);
            break;
        }
        default:
            nl[i] = 1;
        }
    }
}

static void eval_func(struct expr_ctx *c, struct expr *e,
                      const struct row_column **a, const struct row_meta *meta,
                      int n)
{
    struct row_column *o = &e->out;
    uint8_t *nl = o->nulls;
    switch (e->op) {
    case EXPR_FN_ABS:
    case EXPR_FN_FLOOR:
    case EXPR_FN_CEIL:
    case EXPR_FN_ROUND:
        for (int i = 0; i < n; i++) {
            nl[i] = a[0]->nulls[i] | (e->nargs == 2 ? a[1]->nulls[i] : 0);
            if (nl[i])
                continue;
            if (e->type == SCHEMA_DOUBLE) {
                double v = a[0]->data.f64[i];
                switch (e->op) {
                case EXPR_FN_ABS:
                    v = fabs(v);
                    break;
                case EXPR_FN_FLOOR:
                    v = floor(v);
                    break;
                case EXPR_FN_CEIL:
                    v = ceil(v);
                    break;
                default: {
                    int64_t d = e->nargs == 2 ? cell_i64(a[1], i) : 0;
                    if (d > 15)
                        d = 15;
                    if (d < -15)
                        d = -15;
                    double m = pow(10.0, (double)d);
                    v = round(v * m) / m;
                }
                }
                o->data.f64[i] = v;
            } else {
                int64_t v = cell_i64(a[0], i);
                if (e->op == EXPR_FN_ABS && v < 0)
                    v = (int64_t)(0 - (uint64_t)v);
                if (e->op == EXPR_FN_ROUND && e->nargs == 2) {
                    int64_t d = cell_i64(a[1], i);
                    if (d < 0 && d > -19) {
                        int64_t m = 1;
                        for (int64_t k = 0; k < -d; k++)
                            m *= 10;
                        int64_t r = v % m;
                        v -= r;
                        if (r * 2 >= m)
                            v += m;
                        else if (r * 2 <= -m)
                            v -= m;
                    }
                }
                o->data.i64[i] = v;
            }
        }
        break;
    case EXPR_FN_SQRT:
    case EXPR_FN_POWER:
        for (int i = 0; i < n; i++) {
            nl[i] = a[0]->nulls[i] | (e->nargs == 2 ? a[1]->nulls[i] : 0);
            if (nl[i])
                continue;
            double x = cell_f64(a[0], i);
            if (e->op == EXPR_FN_SQRT) {
                if (x < 0)
                    nl[i] = 1;
                else
                    o->data.f64[i] = sqrt(x);
            } else {
                o->data.f64[i] = pow(x, cell_f64(a[1], i));
            }
        }
        break;
    case EXPR_FN_LOWER:
    case EXPR_FN_UPPER:
        for (int i = 0; i < n; i++) {
            nl[i] = a[0]->nulls[i];
            if (nl[i])
                continue;
            struct row_str s = a[0]->data.str[i];
            struct row_str d = str_dup(c, s.ptr, s.len);
            char *w = (char *)(uintptr_t)d.ptr;
            for (uint32_t k = 0; k < d.len; k++) {
                char ch = w[k];
                if (e->op == EXPR_FN_LOWER && ch >= 'A' && ch <= 'Z')
                    w[k] = (char)(ch + 32);
                else if (e->op == EXPR_FN_UPPER && ch >= 'a' && ch <= 'z')
                    w[k] = (char)(ch - 32);
            }
            o->data.str[i] = d;
        }
        break;
    case EXPR_FN_CHAR_LENGTH:
        for (int i = 0; i < n; i++) {
            nl[i] = a[0]->nulls[i];
            o->data.i32[i] = nl[i] ? 0 : (int32_t)utf8_len(a[0]->data.str[i]);
        }
        break;
    case EXPR_FN_CONCAT:
        for (int i = 0; i < n; i++) {
            size_t total = 0;
            nl[i] = 0;
            for (int k = 0; k < e->nargs; k++) {
                nl[i] |= a[k]->nulls[i] | (a[k]->type == SCHEMA_NULL);
                if (!nl[i])
                    total += a[k]->data.str[i].len;
            }
            if (nl[i])
                continue;
            char *d = arena_alloc(&c->strings, total ? total : 1);
            size_t at = 0;
            for (int k = 0; k < e->nargs; k++) {
                struct row_str s = a[k]->data.str[i];
                if (s.len)
                    memcpy(d + at, s.ptr, s.len);
                at += s.len;
            }
            o->data.str[i].ptr = d;
            o->data.str[i].len = (uint32_t)total;
        }
        break;
    case EXPR_FN_CURRENT_WATERMARK:
        /* The later of the operator's and the row's own (record by
         * record, row_batch.h). */
        for (int i = 0; i < n; i++) {
            int64_t w = meta[i].watermark > c->watermark ? meta[i].watermark
                                                         : c->watermark;
            nl[i] = w == INT64_MIN;
            o->data.i64[i] = w;
        }
        break;
    case EXPR_FN_COALESCE:
        for (int i = 0; i < n; i++) {
            nl[i] = 1;
            for (int k = 0; k < e->nargs; k++) {
                if (!a[k]->nulls[i] && a[k]->type != SCHEMA_NULL) {
                    convert(c, o, a[k], i);
                    break;
                }
            }
        }
        break;
    default:
        eval_func_more(c, e, a, n);
        break;
    }
}

static int eval(struct expr_ctx *c, struct expr *e, const struct row_batch *b,
                const struct row_column **res)
{
    int n = b->nrows;
    if (e->kind == K_COL) {
        *res = &b->columns[e->column];
        return 0;
    }
    if (e->kind == K_LIT) {
        *res = &e->out;
        return 0;
    }
    const struct row_column **args = e->argres;
    for (int k = 0; k < e->nargs; k++) {
        int rc = eval(c, e->args[k], b, &args[k]);
        if (rc)
            return rc;
    }
    struct row_column *o = &e->out;
    uint8_t *nl = o->nulls;
    switch (e->kind) {
    case K_BIN:
        if (e->op == EXPR_AND || e->op == EXPR_OR) {
            bool is_and = e->op == EXPR_AND;
            const struct row_column *x = args[0], *y = args[1];
            bool xn_all = x->type == SCHEMA_NULL,
                 yn_all = y->type == SCHEMA_NULL;
            for (int i = 0; i < n; i++) {
                bool xn = xn_all || x->nulls[i], yn = yn_all || y->nulls[i];
                bool xv = !xn && x->data.b[i], yv = !yn && y->data.b[i];
                /* The dominant value: FALSE for AND, TRUE for OR. */
                bool xd = !xn && (is_and ? !xv : xv);
                bool yd = !yn && (is_and ? !yv : yv);
                if (xd || yd) {
                    nl[i] = 0;
                    o->data.b[i] = !is_and;
                } else if (xn || yn) {
                    nl[i] = 1;
                    o->data.b[i] = 0;
                } else {
                    nl[i] = 0;
                    o->data.b[i] = is_and;
                }
            }
        } else if (e->type == SCHEMA_BOOLEAN) {
            eval_cmp(e, args[0], args[1], n);
        } else {
            eval_arith(e, args[0], args[1], n);
        }
        break;
    case K_UN: {
        const struct row_column *x = args[0];
        bool all_null = x->type == SCHEMA_NULL;
        switch (e->op) {
        case EXPR_NEG:
            for (int i = 0; i < n; i++)
                nl[i] = x->nulls[i];
            if (e->type == SCHEMA_DOUBLE) {
                for (int i = 0; i < n; i++)
                    o->data.f64[i] = -x->data.f64[i];
            } else {
                const int64_t *v = as_i64(x, n, e->tmp[0]);
                for (int i = 0; i < n; i++)
                    o->data.i64[i] = (int64_t)(0 - (uint64_t)v[i]);
            }
            break;
        case EXPR_NOT:
            for (int i = 0; i < n; i++) {
                nl[i] = all_null || x->nulls[i];
                o->data.b[i] = !nl[i] && !x->data.b[i];
            }
            break;
        case EXPR_IS_NULL:
        case EXPR_IS_NOT_NULL:
            for (int i = 0; i < n; i++) {
                nl[i] = 0;
                o->data.b[i] = (uint8_t)((all_null || x->nulls[i]) ==
                                         (e->op == EXPR_IS_NULL));
            }
            break;
        }
        break;
    }
    case K_IN:
        for (int i = 0; i < n; i++) {
            nl[i] = 0;
            o->data.b[i] = 0;
            if (args[0]->nulls[i] || args[0]->type == SCHEMA_NULL) {
                nl[i] = 1;
                continue;
            }
            bool saw_null = false, hit = false;
            for (int k = 1; k < e->nargs && !hit; k++) {
                if (args[k]->nulls[i] || args[k]->type == SCHEMA_NULL)
                    saw_null = true;
                else if (cell_cmp(e->cmp, args[0], args[k], i) == 0)
                    hit = true;
            }
            if (hit)
                o->data.b[i] = !e->negated;
            else if (saw_null)
                nl[i] = 1;
            else
                o->data.b[i] = e->negated;
        }
        break;
    case K_LIKE:
        for (int i = 0; i < n; i++) {
            nl[i] = args[0]->nulls[i] | args[1]->nulls[i] |
                    (args[0]->type == SCHEMA_NULL) |
                    (args[1]->type == SCHEMA_NULL);
            if (nl[i]) {
                o->data.b[i] = 0;
                continue;
            }
            struct row_str s = args[0]->data.str[i], p = args[1]->data.str[i];
            bool m = expr_like_match(s.ptr, s.len, p.ptr, p.len);
            o->data.b[i] = m != e->negated;
        }
        break;
    case K_CASE: {
        int nw = (e->nargs - (e->has_else ? 1 : 0)) / 2;
        for (int i = 0; i < n; i++) {
            int k = 0;
            for (; k < nw; k++) {
                const struct row_column *w = args[2 * k];
                if (w->type != SCHEMA_NULL && !w->nulls[i] && w->data.b[i])
                    break;
            }
            if (k < nw)
                convert(c, o, args[2 * k + 1], i);
            else if (e->has_else)
                convert(c, o, args[e->nargs - 1], i);
            else
                nl[i] = 1;
        }
        break;
    }
    case K_CAST:
        for (int i = 0; i < n; i++) {
            convert(c, o, args[0], i);
            if (e->dec_precision && !nl[i] &&
                decimal_round(o->data.f64[i], e->dec_precision, e->dec_scale,
                              &o->data.f64[i]))
                nl[i] = 1; /* overflow: NULL, as Flink's CAST */
        }
        break;
    case K_FUNC:
        eval_func(c, e, args, b->meta, n);
        break;
    default:
        break;
    }
    *res = o;
    return 0;
}

int expr_eval(struct expr_ctx *c, struct expr *e, const struct row_batch *b,
              struct expr_result *out)
{
    if (!e || b->nrows > c->capacity || b->schema != c->schema)
        return ERR_INVALID;
    const struct row_column *col;
    int rc = eval(c, e, b, &col);
    if (rc)
        return rc;
    out->type = e->type;
    out->col = col;
    return 0;
}

uint64_t expr_columns_read(const struct expr *e)
{
    if (!e)
        return 0;
    uint64_t m = 0;
    if (e->kind == K_COL && e->column >= 0 && e->column < 64)
        m |= (uint64_t)1 << e->column;
    for (int i = 0; i < e->nargs; i++)
        m |= expr_columns_read(e->args[i]);
    return m;
}

bool expr_same(const struct expr *a, const struct expr *b)
{
    if (a == b)
        return true;
    if (!a || !b || a->kind != b->kind || a->op != b->op ||
        a->type != b->type || a->cmp != b->cmp || a->column != b->column ||
        a->negated != b->negated || a->has_else != b->has_else ||
        a->nargs != b->nargs || a->dec_precision != b->dec_precision ||
        a->dec_scale != b->dec_scale || a->unit != b->unit ||
        a->trim != b->trim)
        return false;
    if ((a->fmt || b->fmt) && (!a->fmt || !b->fmt || strcmp(a->fmt, b->fmt)))
        return false;
    if (a->kind == K_LIT) {
        struct expr_result ra = {a->type, &a->out}, rb = {b->type, &b->out};
        struct value va = expr_result_get(&ra, 0), vb = expr_result_get(&rb, 0);
        if (va.type != vb.type)
            return false;
        switch (va.type) {
        case SCHEMA_NULL:
            break;
        case SCHEMA_STRING:
            if (va.u.str.len != vb.u.str.len ||
                (va.u.str.len &&
                 memcmp(va.u.str.ptr, vb.u.str.ptr, va.u.str.len)))
                return false;
            break;
        case SCHEMA_BOOLEAN:
            if (va.u.b != vb.u.b)
                return false;
            break;
        case SCHEMA_INT:
            if (va.u.i32 != vb.u.i32)
                return false;
            break;
        default: /* doubles bit for bit */
            if (memcmp(&va.u.i64, &vb.u.i64, sizeof va.u.i64))
                return false;
            break;
        }
    }
    for (int i = 0; i < a->nargs; i++)
        if (!expr_same(a->args[i], b->args[i]))
            return false;
    return true;
}

struct value expr_result_get(const struct expr_result *r, int i)
{
    const struct row_column *c = r->col;
    if (r->type == SCHEMA_NULL || c->type == SCHEMA_NULL || c->nulls[i])
        return value_null();
    switch (r->type) {
    case SCHEMA_BOOLEAN:
        return value_bool(c->data.b[i]);
    case SCHEMA_INT:
        return value_int(c->data.i32[i]);
    case SCHEMA_BIGINT:
        return value_bigint(c->data.i64[i]);
    case SCHEMA_TIMESTAMP:
        return value_timestamp(c->data.i64[i]);
    case SCHEMA_DOUBLE:
        return value_double(c->data.f64[i]);
    case SCHEMA_STRING:
        return value_string(c->data.str[i].ptr, c->data.str[i].len);
    default:
        return value_null();
    }
}
