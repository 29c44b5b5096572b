/* sql_over.h - planning of OVER aggregations: the OVER calls of a SELECT
 * list (inline windows or WINDOW w AS (...)) into one over_agg operator
 * configuration, and the one subquery shape OVER needs (layer: sql).
 *
 * Rules (docs/sql.md, "OVER aggregations"): every OVER call of a query
 * has the same PARTITION BY (plain columns) and ORDER BY the stream's
 * event-time column ascending; frames may differ per call. An aggregate's
 * argument is a column; the anomaly functions take number literals as
 * parameters. A filter on OVER results is written as Flink writes it, an
 * outer query over the OVER query: SELECT ... FROM (SELECT ..., f(x) OVER
 * w AS s FROM t WINDOW w AS (...)) WHERE s > 3; the outer query may only
 * filter and project. Errors name line and column.
 * Any thread; the result belongs to the caller.
 */
#ifndef RILL_SQL_OVER_H
#define RILL_SQL_OVER_H

#include <stdbool.h>

#include "row/schema.h"
#include "sql/sql_ast.h"
#include "sql/sql_exec.h"
#include "stream/over_agg.h"

#define SQL_OVER_TEXT_MAX 256

struct sql_over_plan {
    struct over_agg_config cfg;
    /* each call's S-expression (how the SELECT list finds its column) */
    char text[OVER_AGG_MAX_AGGS][SQL_OVER_TEXT_MAX];
    char frame[OVER_AGG_MAX_AGGS][64]; /* "ROWS 29 PRECEDING", for EXPLAIN */
    char keys[SQL_OVER_TEXT_MAX];      /* "sensor_id", for EXPLAIN */
    int col0; /* output column of the first call (= input columns) */
};

/* Whether any SELECT item of s holds an OVER call. */
bool sql_over_in_select(const struct sql_select *s);

/* s is SELECT ... FROM (a SELECT with OVER calls): the inner SELECT,
 * else NULL. */
const struct sql_select *sql_over_inner(const struct sql_select *s);

/* Collects the OVER calls of s's SELECT list over `in` (the schema the
 * operator will read; timecol its event-time column's name, NULL when the
 * stream has none) into *out. Returns 0 or a negative error with err
 * filled. */
int sql_over_plan(const struct sql_select *s, const struct schema *in,
                  const char *timecol, struct sql_over_plan *out,
                  struct sql_exec_error *err);

/* The output column of OVER call e (matched by its text), or -1. */
int sql_over_column(const struct sql_over_plan *op, const struct sql_expr *e);

#endif
