/* cep.h - row pattern recognition (MATCH_RECOGNIZE) as a stream operator
 * (layer: stream).
 *
 * Rows are partitioned by key columns, buffered per key and released to a
 * matcher in event-time order as the watermark passes them (plus the
 * allowed lateness); rows later than that go to the late callback and are
 * counted, as for windows (window_agg.h). The matcher runs a compiled
 * regular expression over the pattern variables (a Pike VM whose threads
 * are the partial matches, ordered by preference: leftmost start first,
 * then greedy/reluctant priority), with DEFINE conditions evaluated per
 * row, or per (partial match, row) when they navigate the match (FIRST,
 * LAST, aggregates). Partial matches share their rows: a match is a chain
 * of history nodes, shared by the threads that branched from it (FlinkCEP's
 * shared buffer). Output: one row per match (key columns + measures), or a
 * timed-out partial match when WITHIN expires (WITH TIMEOUT ROWS).
 *
 * The caller (sql/sql_match.c, or a C program) builds a cep handle:
 * variables, the pattern tree, references (navigation and aggregates, each
 * one a column of an evaluation schema), DEFINE and MEASURES expressions
 * over those schemas, options; then wraps it in an operator. docs/sql.md
 * "MATCH_RECOGNIZE" has the semantics. Not thread-safe: one task.
 */
#ifndef RILL_CEP_H
#define RILL_CEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "row/row_batch.h"
#include "row/schema.h"
#include "stream/agg.h"
#include "stream/expr.h"
#include "stream/operator.h"

#define CEP_MAX_VARS 32
#define CEP_MAX_REFS 64
#define CEP_MAX_KEYS 8
#define CEP_MAX_PROGRAM 4096 /* compiled instructions */
#define CEP_MAX_PREV 64      /* PREV(x, n): n at most this */
#define CEP_MAX_PERMUTE 5    /* PERMUTE(a, b, ...): 5! alternatives */
/* Partial matches (threads) of one key, and buffered rows of the whole
 * operator, before the query fails with ERR_TOO_LARGE (defaults). */
#define CEP_DEFAULT_MAX_PARTIAL 10000
#define CEP_DEFAULT_MAX_ROWS 4000000

/* A pattern tree, as the front end parsed it. min..max repetitions (max
 * -1: unbounded), reluctant for the '?' forms. */
enum cep_node_kind {
    CEP_NODE_VAR,    /* var */
    CEP_NODE_SEQ,    /* items in order */
    CEP_NODE_ALT,    /* items, the first preferred */
    CEP_NODE_PERMUTE /* items in any order, lexicographic preference */
};

struct cep_node {
    enum cep_node_kind kind;
    int var;
    const struct cep_node *const *items;
    int nitems;
    int min, max;
    bool reluctant;
};

/* A compiled pattern: a program for the Pike VM. */
enum cep_op { CEP_OP_VAR, CEP_OP_SPLIT, CEP_OP_JMP, CEP_OP_MATCH };

struct cep_inst {
    uint8_t op;
    int16_t var;  /* CEP_OP_VAR */
    int32_t x, y; /* SPLIT: x preferred; JMP: x */
};

struct cep_program {
    int n;
    struct cep_inst *inst; /* mem_alloc()ed; cep_program_fini */
    bool nullable;         /* matches no rows at all */
};

/* Compiles root (variables < nvars). Returns 0, or ERR_TOO_LARGE /
 * ERR_INVALID with a message in err. */
int cep_program_compile(const struct cep_node *root, int nvars,
                        struct cep_program *out, char *err, size_t errlen);
void cep_program_fini(struct cep_program *p);

/* A reference: a value computed from the match (a column of an evaluation
 * schema). var -1: every row of the match (the universal variable). */
enum cep_ref_kind {
    CEP_REF_PREV,       /* column of the row `offset` rows before the current */
    CEP_REF_FIRST,      /* column of the offset-th row of var from the start */
    CEP_REF_LAST,       /* ... from the end */
    CEP_REF_AGG,        /* agg over var's rows: SUM AVG MIN MAX COUNT(_STAR) */
    CEP_REF_CLASSIFIER, /* the variable of the last row (STRING) */
    CEP_REF_MATCH_NUMBER,  /* 1, 2, ... per key (BIGINT) */
    CEP_REF_MATCH_ROWTIME, /* the last row's event time (TIMESTAMP) */
    CEP_REF_TIMED_OUT      /* a timed-out partial match (BOOLEAN) */
};

struct cep_ref {
    enum cep_ref_kind kind;
    int var;
    int column; /* input column; -1 for COUNT(*) */
    int offset;
    enum agg_func agg;
};

/* Which evaluation schema a reference or expression belongs to. DEFINE:
 * the input's columns are the current row's; MEASURES: the last row's. */
enum cep_scope { CEP_DEFINE = 0, CEP_MEASURE = 1 };

enum cep_skip {
    CEP_SKIP_PAST_LAST_ROW,
    CEP_SKIP_TO_NEXT_ROW,
    CEP_SKIP_TO_FIRST,
    CEP_SKIP_TO_LAST
};

typedef void (*cep_late_fn)(void *arg, const struct row_batch *in, int row);

struct cep_options {
    int nkeys;
    int keys[CEP_MAX_KEYS]; /* PARTITION BY input columns */
    int64_t allowed_lateness_ms;
    int64_t within_ms; /* 0: none */
    enum cep_skip skip;
    int skip_var;
    bool timeout_rows; /* WITH TIMEOUT ROWS */
    /* ALL ROWS PER MATCH: a row per matched row (every input column, then
     * the measures over the match up to that row) */
    bool all_rows;
    int max_partial;  /* 0: CEP_DEFAULT_MAX_PARTIAL */
    int64_t max_rows; /* 0: CEP_DEFAULT_MAX_ROWS */
    cep_late_fn late;
    void *late_arg;
};

struct cep_stats {
    uint64_t rows_in, rows_late, matches, timeouts;
    uint64_t partial_matches; /* live threads now */
    uint64_t rows_buffered;   /* rows held (pending or in a partial match) */
    uint64_t keys;
    uint64_t state_bytes; /* an estimate of the memory held */
};

struct cep;

/* in: the operator's input schema (borrowed, outlives it); capacity: rows
 * per output batch. Returns 0 or ERR_INVALID. */
int cep_create(const struct schema *in, int capacity, struct cep **out);
void cep_destroy(struct cep *c);

/* Declares variable `name`; returns its index or ERR_TOO_LARGE. */
int cep_add_var(struct cep *c, const char *name);
int cep_nvars(const struct cep *c);
const char *cep_var_name(const struct cep *c, int var);
/* The pattern over the declared variables. */
int cep_set_pattern(struct cep *c, const struct cep_node *root, char *err,
                    size_t errlen);
/* Adds a reference to a scope's evaluation schema (input columns first,
 * then one column per reference, named "$<scope><i>"); returns its column,
 * the same one for an equal reference, or an error. */
int cep_add_ref(struct cep *c, enum cep_scope scope, const struct cep_ref *r);
/* The schema expressions of a scope are built over. */
const struct schema *cep_schema(const struct cep *c, enum cep_scope scope);
/* DEFINE var: local[var] AND general[var], either NULL (TRUE): local over
 * the input schema (evaluated once per row, when it arrives), general over
 * cep_schema(CEP_DEFINE) (per partial match, only where local holds).
 * Takes ownership of both contexts. */
int cep_set_defines(struct cep *c, struct expr_ctx *local_ctx,
                    struct expr_ctx *ctx, struct expr *const *local,
                    struct expr *const *general);
/* MEASURES over cep_schema(CEP_MEASURE); the output is the key columns
 * (ALL ROWS PER MATCH: every input column), then the measures named
 * names[i]. Call after cep_set_options. Takes ownership of ctx. */
int cep_set_measures(struct cep *c, struct expr_ctx *ctx, int n,
                     struct expr *const *exprs, const char *const *names);
int cep_set_options(struct cep *c, const struct cep_options *o);

/* The operator (takes ownership of c; destroyed with it). */
int operator_cep_create(struct cep *c, struct operator_node **out);

void cep_stats(const struct cep *c, struct cep_stats *out);
/* Late rows of input partition p. */
uint64_t cep_late_count(const struct cep *c, int partition);

#endif
