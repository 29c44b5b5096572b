/* sql_match.h - MATCH_RECOGNIZE compiled into the stream layer's pattern
 * operator (stream/cep.h) (layer: sql).
 *
 * The planner calls it for FROM t MATCH_RECOGNIZE (...): names resolve
 * against the input stream and the pattern variables, navigation
 * (PREV, FIRST, LAST, A.col) and aggregates over variables become
 * references of the operator, DEFINE and MEASURES expressions are typed
 * like any other (planner_expr), and errors name their line and column.
 * docs/sql.md "MATCH_RECOGNIZE" has the rules.
 */
#ifndef RILL_SQL_MATCH_H
#define RILL_SQL_MATCH_H

#include <stdint.h>

#include "row/schema.h"
#include "sql/sql_ast.h"
#include "sql/sql_exec.h"
#include "stream/cep.h"
#include "stream/pipeline.h"

struct sql_match_plan {
    int64_t within_ms;
    int nkeys;
    int keys[CEP_MAX_KEYS]; /* PARTITION BY input columns */
    char text[256];         /* the pattern, for EXPLAIN */
};

/* Checks f (a SQL_FROM_MATCH over the stream whose schema is in, event
 * time column timecol) without building anything: the partition columns
 * and WITHIN go to *out. */
int sql_match_check(const struct sql_from *f, const struct schema *in,
                    const char *timecol, struct sql_match_plan *out,
                    struct sql_exec_error *err);

/* Adds the operator to pipe (whose schema is the stream's columns).
 * lateness: ALLOWED LATENESS in ms; late/late_arg: EMIT LATE INTO (may be
 * NULL). *cep_out borrows the operator's state for stats. */
struct sql_match_limits {
    int max_partial;  /* SET 'match.max-partial-matches'; 0: default */
    int64_t max_rows; /* SET 'match.max-rows'; 0: default */
};

int sql_match_build(const struct sql_from *f, struct pipeline *pipe,
                    const char *timecol, int64_t lateness,
                    const struct sql_match_limits *limits, cep_late_fn late,
                    void *late_arg, struct cep **cep_out,
                    struct sql_exec_error *err);

/* Compiles the PATTERN of m alone, variables numbered in order of
 * appearance (*nvars): the fuzz target's entry. *out is the caller's to
 * cep_program_fini. */
int sql_match_compile_pattern(const struct sql_match *m,
                              struct cep_program *out, int *nvars,
                              struct sql_exec_error *err);

#endif
