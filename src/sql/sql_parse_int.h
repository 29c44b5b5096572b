/* sql_parse_int.h - state and helpers shared by the parser's two files,
 * sql_parse.c (statements, queries) and sql_parse_expr.c (expressions,
 * types) (layer: sql). Nothing outside them includes it.
 *
 * Errors are sticky: the first one is kept in *err, and from then on every
 * lookahead is end-of-input, so rules unwind through their ordinary loops.
 * The short unprefixed names below are inline aliases of the prefixed
 * functions, so the grammar reads like the grammar.
 */
#ifndef RILL_SQL_PARSE_INT_H
#define RILL_SQL_PARSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "sql/sql_ast.h"
#include "sql/sql_lex.h"
#include "sql/sql_parse.h"

#define LOOKAHEAD 4

struct parser {
    struct sql_lex lx;
    struct arena *arena;
    struct sql_token look[LOOKAHEAD];
    int nlook;
    struct sql_token eof;
    bool failed;
    struct sql_error *err;
    int nesting;
    size_t last_end; /* byte offset after the last consumed token */
};

/* Tokens and errors (sql_parse.c). */
const struct sql_token *sql_parse_peek(struct parser *p, int k);
struct sql_token sql_parse_next(struct parser *p);
void sql_parse_error_at(struct parser *p, struct sql_pos pos, const char *fmt,
                        ...) __attribute__((format(printf, 3, 4)));
/* "expected <what>, found <the current token>". */
void sql_parse_expected(struct parser *p, const char *what);
/* Counts one nesting level; false (and an error) past the limit. Every
 * call is paired with leave(). */
bool sql_parse_enter(struct parser *p);
bool sql_parse_is_reserved(const char *w);
bool sql_parse_is_name(struct parser *p, int k);
const char *sql_parse_name(struct parser *p, const char *what);
void *sql_parse_grow(struct parser *p, void *arr, size_t n, size_t *cap,
                     size_t elsize);
bool sql_parse_tok_int(const struct sql_token *t, int64_t *v);

/* Rules used across the two files. */
struct sql_select *sql_parse_rule_query(struct parser *p);
struct sql_order_item *sql_parse_rule_order_list(struct parser *p, size_t *n);
struct sql_expr *sql_parse_rule_expr(struct parser *p);
struct sql_expr *sql_parse_rule_primary(struct parser *p);
struct sql_expr **sql_parse_rule_expr_list(struct parser *p, size_t *n);
struct sql_type *sql_parse_rule_type(struct parser *p);
/* After OVER: a window name, or ( window specification ). */
struct sql_over *sql_parse_rule_over(struct parser *p);
int sql_parse_rule_int(struct parser *p, int lo, int hi, const char *what);
struct sql_expr *sql_parse_new_expr(struct parser *p, enum sql_expr_kind kind,
                                    struct sql_pos pos);

static inline const struct sql_token *peek(struct parser *p, int k)
{
    return sql_parse_peek(p, k);
}

static inline struct sql_token next(struct parser *p)
{
    return sql_parse_next(p);
}

static inline void expected(struct parser *p, const char *what)
{
    sql_parse_expected(p, what);
}

static inline bool enter(struct parser *p)
{
    return sql_parse_enter(p);
}

static inline bool is_reserved(const char *w)
{
    return sql_parse_is_reserved(w);
}

static inline bool is_name(struct parser *p, int k)
{
    return sql_parse_is_name(p, k);
}

static inline const char *name(struct parser *p, const char *what)
{
    return sql_parse_name(p, what);
}

static inline void *grow(struct parser *p, void *arr, size_t n, size_t *cap,
                         size_t elsize)
{
    return sql_parse_grow(p, arr, n, cap, elsize);
}

static inline bool tok_int(const struct sql_token *t, int64_t *v)
{
    return sql_parse_tok_int(t, v);
}

static inline struct sql_select *parse_query(struct parser *p)
{
    return sql_parse_rule_query(p);
}

static inline struct sql_order_item *order_list(struct parser *p, size_t *n)
{
    return sql_parse_rule_order_list(p, n);
}

static inline struct sql_expr *parse_expr(struct parser *p)
{
    return sql_parse_rule_expr(p);
}

static inline struct sql_expr *parse_primary(struct parser *p)
{
    return sql_parse_rule_primary(p);
}

static inline struct sql_expr **expr_list(struct parser *p, size_t *n)
{
    return sql_parse_rule_expr_list(p, n);
}

static inline struct sql_type *parse_type(struct parser *p)
{
    return sql_parse_rule_type(p);
}

static inline int int_arg(struct parser *p, int lo, int hi, const char *what)
{
    return sql_parse_rule_int(p, lo, hi, what);
}

static inline struct sql_expr *
new_expr(struct parser *p, enum sql_expr_kind kind, struct sql_pos pos)
{
    return sql_parse_new_expr(p, kind, pos);
}

static inline bool is(struct parser *p, int k, enum sql_tok kind)
{
    return peek(p, k)->kind == kind;
}

static inline bool is_kw(struct parser *p, int k, const char *kw)
{
    const struct sql_token *t = peek(p, k);
    return t->kind == SQL_TOK_WORD && strcasecmp(t->value, kw) == 0;
}

static inline bool accept(struct parser *p, enum sql_tok kind)
{
    if (!is(p, 0, kind))
        return false;
    next(p);
    return true;
}

static inline bool accept_kw(struct parser *p, const char *kw)
{
    if (!is_kw(p, 0, kw))
        return false;
    next(p);
    return true;
}

static inline bool expect(struct parser *p, enum sql_tok kind, const char *what)
{
    if (accept(p, kind))
        return true;
    expected(p, what);
    return false;
}

static inline bool expect_kw(struct parser *p, const char *kw, const char *what)
{
    if (accept_kw(p, kw))
        return true;
    expected(p, what);
    return false;
}

static inline void leave(struct parser *p)
{
    p->nesting--;
}

static inline void *alloc(struct parser *p, size_t n)
{
    return arena_calloc(p->arena, n);
}

#endif
