/* expr.h - compiled expressions over a row batch's columns, evaluated one
 * batch at a time (layer: stream).
 *
 * An expression tree is built once against an input schema (the planner or
 * a C user calls the constructors below) inside a struct expr_ctx, which
 * owns every node and every node's scratch column (sized for `capacity`
 * rows at creation, so evaluation never allocates per row). Strings made
 * by LOWER/UPPER/CONCAT/CAST live in the context's arena until the next
 * expr_ctx_reset(), which the operator calls once per batch.
 *
 * Typing is static and done by the constructors: INT/BIGINT arithmetic
 * gives BIGINT, anything with DOUBLE gives DOUBLE, TIMESTAMP +/- BIGINT
 * (an interval in ms) gives TIMESTAMP. Errors are sticky: a constructor
 * that cannot type its arguments (or gets a NULL argument) returns NULL and
 * records the first message, read with expr_ctx_error(). SQL three-valued
 * logic throughout; division or modulo by zero and failed CASTs from
 * strings give NULL (Flink raises an error; rill keeps the query running).
 * Not thread-safe: a context belongs to one operator.
 */
#ifndef RILL_EXPR_H
#define RILL_EXPR_H

#include <stdbool.h>

#include "row/row_batch.h"
#include "row/schema.h"
#include "row/value.h"

struct expr;
struct expr_ctx;

enum expr_op {
    /* binary */
    EXPR_ADD,
    EXPR_SUB,
    EXPR_MUL,
    EXPR_DIV,
    EXPR_MOD,
    EXPR_EQ,
    EXPR_NE,
    EXPR_LT,
    EXPR_LE,
    EXPR_GT,
    EXPR_GE,
    EXPR_AND,
    EXPR_OR,
    EXPR_CONCAT, /* || */
    /* unary */
    EXPR_NEG,
    EXPR_NOT,
    EXPR_IS_NULL,
    EXPR_IS_NOT_NULL,
};

enum expr_func {
    EXPR_FN_ABS,
    EXPR_FN_ROUND, /* ROUND(x) or ROUND(x, digits) */
    EXPR_FN_FLOOR,
    EXPR_FN_CEIL,
    EXPR_FN_SQRT,
    EXPR_FN_POWER,
    EXPR_FN_LOWER,
    EXPR_FN_UPPER,
    EXPR_FN_CHAR_LENGTH,
    EXPR_FN_CONCAT,   /* any number of strings; NULL if one is NULL */
    EXPR_FN_COALESCE, /* first non-NULL argument */
    /* CURRENT_WATERMARK(ts): the operator's watermark as a TIMESTAMP, NULL
     * before the first one. The argument only names the time attribute. */
    EXPR_FN_CURRENT_WATERMARK,
    /* Flink's scalar functions (docs/sql.md lists each with its NULLs). */
    EXPR_FN_IF,        /* IF(cond, a, b) */
    EXPR_FN_NULLIF,    /* NULLIF(a, b): NULL when a = b */
    EXPR_FN_SUBSTRING, /* SUBSTRING(s, start[, length]), 1-based chars */
    EXPR_FN_REPLACE,   /* REPLACE(s, from, to) */
    EXPR_FN_TRIM,      /* TRIM(s) or TRIM('BOTH'|..., chars, s) */
    EXPR_FN_LTRIM,
    EXPR_FN_RTRIM,
    EXPR_FN_EXTRACT,          /* EXTRACT('UNIT', ts): BIGINT */
    EXPR_FN_FLOOR_TO,         /* FLOOR(ts TO unit): FLOOR_TO(ts, 'UNIT') */
    EXPR_FN_CEIL_TO,          /* CEIL(ts TO unit) */
    EXPR_FN_TIMESTAMPDIFF,    /* TIMESTAMPDIFF('UNIT', a, b): INT */
    EXPR_FN_DATE_FORMAT,      /* DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss') */
    EXPR_FN_TO_TIMESTAMP_LTZ, /* TO_TIMESTAMP_LTZ(n, 0|3) */
};

/* The result of evaluating an expression: a column of batch->nrows values,
 * borrowed from the context (or from the input batch for a column
 * reference) until the next evaluation or reset. */
struct expr_result {
    enum schema_type type;
    const struct row_column *col;
};

#define EXPR_CTX_MAX_NODES 4096

/* A context for expressions over `schema` (borrowed; must outlive the
 * context) and batches of at most `capacity` rows. Returns 0 or
 * ERR_INVALID. */
int expr_ctx_create(const struct schema *schema, int capacity,
                    struct expr_ctx **out);
void expr_ctx_destroy(struct expr_ctx *ctx);
/* First construction error, or NULL. */
const char *expr_ctx_error(const struct expr_ctx *ctx);
/* Releases the strings made by the last evaluations (once per batch). */
void expr_ctx_reset(struct expr_ctx *ctx);
/* The watermark CURRENT_WATERMARK() returns (INT64_MIN: none yet). */
void expr_ctx_set_watermark(struct expr_ctx *ctx, int64_t watermark);

/* Constructors. Return NULL on error (see expr_ctx_error). */
struct expr *expr_column(struct expr_ctx *ctx, int column);
struct expr *expr_column_named(struct expr_ctx *ctx, const char *name);
/* String literals are copied into the context. */
struct expr *expr_literal(struct expr_ctx *ctx, struct value v);
/* A typed NULL literal (CAST(NULL AS t)). */
struct expr *expr_null(struct expr_ctx *ctx, enum schema_type t);
struct expr *expr_binary(struct expr_ctx *ctx, enum expr_op op, struct expr *a,
                         struct expr *b);
struct expr *expr_unary(struct expr_ctx *ctx, enum expr_op op, struct expr *a);
/* x [NOT] IN (list[0..n)) */
struct expr *expr_in(struct expr_ctx *ctx, struct expr *x,
                     struct expr *const *list, int n, bool negated);
/* x [NOT] BETWEEN lo AND hi (inclusive) */
struct expr *expr_between(struct expr_ctx *ctx, struct expr *x, struct expr *lo,
                          struct expr *hi, bool negated);
/* x [NOT] LIKE pattern: '%' any run, '_' one character, no escape. */
struct expr *expr_like(struct expr_ctx *ctx, struct expr *x,
                       struct expr *pattern, bool negated);
/* CASE [operand] WHEN whens[i] THEN thens[i] ... [ELSE otherwise] END.
 * operand NULL: searched CASE (whens are BOOLEAN). otherwise may be NULL. */
struct expr *expr_case(struct expr_ctx *ctx, struct expr *operand,
                       struct expr *const *whens, struct expr *const *thens,
                       int n, struct expr *otherwise);
struct expr *expr_cast(struct expr_ctx *ctx, struct expr *x,
                       enum schema_type to);
/* CAST(x AS DECIMAL(precision, scale)): a DOUBLE rounded half up to scale
 * places, NULL when it needs more than precision - scale integer digits
 * (stream/decimal.h). precision is 1..DECIMAL_MAX_PRECISION (15). */
struct expr *expr_cast_decimal(struct expr_ctx *ctx, struct expr *x,
                               int precision, int scale);
struct expr *expr_func(struct expr_ctx *ctx, enum expr_func fn,
                       struct expr *const *args, int n);

/* The static result type of e. */
enum schema_type expr_type(const struct expr *e);

/* Evaluates e over rows [0, b->nrows) of b (b->schema must be the
 * context's schema, b->nrows <= capacity). Returns 0 or ERR_INVALID. */
int expr_eval(struct expr_ctx *ctx, struct expr *e, const struct row_batch *b,
              struct expr_result *out);

/* The input columns e reads: bit i for column i (columns 64 and above
 * are not reported: SCHEMA_MAX_COLUMNS is 64). */
uint64_t expr_columns_read(const struct expr *e);

/* Whether a and b compute the same thing (same tree, same literals): an
 * operator may evaluate one of them and use the result for both. */
bool expr_same(const struct expr *a, const struct expr *b);

/* Reads row i of a result as a value (tests, slow paths). */
struct value expr_result_get(const struct expr_result *r, int i);

/* SQL LIKE on UTF-8 bytes ('_' matches one code point). */
bool expr_like_match(const char *s, size_t n, const char *p, size_t pn);

#endif
