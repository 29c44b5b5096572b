/* sql_subq.h - subqueries in FROM, SELECT DISTINCT, deduplication and
 * Top-N: plans that extend an inner query's plan (layer: sql).
 *
 * A subquery in FROM (also as a window TVF's data: TABLE(TUMBLE(TABLE
 * (SELECT ...), ...))) is planned first, as a query of its own; the outer
 * query's operators are then appended to the inner chain, in the same
 * tasks (planner_build_on). At most one repartition topic per query: an
 * outer aggregate that would need a second one is refused with its
 * position. ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...) AS rn in a
 * subquery filtered by rn = 1 / rn <= N in the outer WHERE becomes a
 * stream/rank.h operator, as Flink plans it (deduplication, Top-N, window
 * Top-N); SELECT DISTINCT too. docs/sql.md, "Subqueries", "Deduplication
 * and Top-N".
 */
#ifndef RILL_SQL_SUBQ_H
#define RILL_SQL_SUBQ_H

#include <stdbool.h>

#include "sql/planner.h"

/* Whether s is planned here (planner_build hands it over). */
bool sql_subq_wants(const struct sql_select *s);
/* planner_build for such a query. */
int sql_subq_build(const struct sql_query_start *q,
                   const struct planner_hooks *hooks, struct plan **out,
                   struct sql_exec_error *err);

/* Steps of planner_build_on over p->sub: the source fields from the
 * inner plan (*timecol: the event-time column of its rows, or NULL);
 * whether an aggregate with p's keys needs a repartition (1), not (0),
 * or an error; the key check on the input's source when the aggregate
 * trusts the input's partitioning. */
int sql_subq_source(struct plan *p, const char **timecol,
                    struct sql_exec_error *err);
int sql_subq_needs_repartition(struct plan *p, struct sql_exec_error *err);
int sql_subq_key_check(struct plan *p, struct sql_exec_error *err);

/* SELECT ... UNION ALL SELECT ... (sql_union.c): each branch reads a JSON
 * stream with a WATERMARK, filters and projects; the branches' columns
 * match by position (INT, BIGINT, DOUBLE widen). */
struct sql_union_plan;
int sql_union_build(const struct sql_query_start *q,
                    const struct planner_hooks *hooks, struct plan **out,
                    struct sql_exec_error *err);
void sql_union_plan_free(struct sql_union_plan *u); /* NULL: no-op */

#endif
