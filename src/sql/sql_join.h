/* sql_join.h - planning a join of two streams (layer: sql).
 *
 * planner_build hands a SELECT whose FROM is a JOIN here. Today: interval
 * joins (INNER, LEFT, RIGHT, FULL OUTER) of two JSON streams with a
 * WATERMARK each, on at least one key equality and a time bound on both
 * sides (a.ts BETWEEN b.ts - INTERVAL ... AND b.ts + INTERVAL ..., or the
 * same with >=, >, <=, <), and window joins of two TUMBLE TVFs on
 * window_start, window_end and keys, and temporal joins (INNER or LEFT
 * JOIN t FOR SYSTEM_TIME AS OF a.ts, on t's key); then WHERE and the
 * SELECT list.
 * Everything else (other windows, other table joins, regular joins, more
 * than two inputs, GROUP BY over a join) is refused with its position and
 * what is supported. docs/joins.md has the rules.
 */
#ifndef RILL_SQL_JOIN_H
#define RILL_SQL_JOIN_H

#include "base/buf.h"
#include "sql/planner.h"

/* Same contract as planner_build. */
int sql_join_build(const struct sql_query_start *q,
                   const struct planner_hooks *hooks, struct plan **out,
                   struct sql_exec_error *err);
void sql_join_plan_free(struct sql_join_plan *j); /* NULL is a no-op */
/* EXPLAIN of a plan with p->join set. */
void sql_join_explain(const struct plan *p, struct buf *out);

#endif
