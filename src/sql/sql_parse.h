/* sql_parse.h - SQL text to syntax trees (layer: sql).
 *
 * A recursive-descent parser for rill's dialect (Flink SQL plus EMIT,
 * ALLOWED LATENESS and EMIT LATE INTO; docs/sql.md is the reference). It
 * builds sql_ast.h trees in the caller's arena and does no name resolution
 * or type checking: that is the planner's. It never crashes on any input,
 * bounds its recursion, and reports the first error with line, column and
 * what was expected. Pure functions of their input, any thread.
 */
#ifndef RILL_SQL_PARSE_H
#define RILL_SQL_PARSE_H

#include "base/arena.h"
#include "sql/sql_ast.h"
#include "sql/sql_lex.h"

#include <stddef.h>

/* Nesting limit (parentheses, subqueries, NOT/minus chains, ROW types,
 * pattern groups) and the height limit of one expression tree. */
#define SQL_PARSE_MAX_NESTING 200
#define SQL_PARSE_MAX_HEIGHT 1000
#define SQL_PARSE_MAX_JOINS 64

/* Parses a script: statements separated by ';' (empty statements are
 * skipped; the last ';' is optional). On success returns 0 and fills *out;
 * each statement carries its position and source text. On error returns
 * ERR_PARSE with *err filled; *out is then empty. Everything allocated
 * lives in `arena`: the caller frees it all at once (arena_reset/fini),
 * also after an error. `text` need not be NUL-terminated. */
int sql_parse_script(const char *text, size_t len, struct arena *arena,
                     struct sql_script *out, struct sql_error *err);

/* Parses exactly one statement (an optional trailing ';' is allowed). */
int sql_parse_stmt(const char *text, size_t len, struct arena *arena,
                   struct sql_stmt **out, struct sql_error *err);

/* Parses one expression (for tests and tools). */
int sql_parse_expr(const char *text, size_t len, struct arena *arena,
                   struct sql_expr **out, struct sql_error *err);

#endif
