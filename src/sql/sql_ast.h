/* sql_ast.h - the syntax tree of rill's SQL dialect (layer: sql).
 *
 * What the parser (sql_parse.h) builds and the planner reads. Every node
 * lives in the arena the caller handed to the parser and dies with it; the
 * tree holds no pointer into the input text (names and strings are copied,
 * unescaped). Types are the parser's own enum, independent of the row
 * layer's schema types; the planner converts. The printer renders a tree as
 * an S-expression, for the parser's table-driven tests and for EXPLAIN.
 */
#ifndef RILL_SQL_AST_H
#define RILL_SQL_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A position in the source text: 1-based line and column (columns count
 * UTF-8 characters), and the 0-based byte offset. */
struct sql_pos {
    int line;
    int column;
    size_t offset;
};

/* ---- types ---- */

enum sql_type_kind {
    SQL_TYPE_STRING,
    SQL_TYPE_VARCHAR, /* length */
    SQL_TYPE_BOOLEAN,
    SQL_TYPE_TINYINT,
    SQL_TYPE_SMALLINT,
    SQL_TYPE_INT,
    SQL_TYPE_BIGINT,
    SQL_TYPE_FLOAT,
    SQL_TYPE_DOUBLE,
    SQL_TYPE_DECIMAL, /* precision, scale */
    SQL_TYPE_DATE,
    SQL_TYPE_TIMESTAMP, /* precision (default 3 in rill, see docs/sql.md) */
    SQL_TYPE_TIMESTAMP_LTZ,
    SQL_TYPE_BYTES,
    SQL_TYPE_ROW /* fields */
};

struct sql_field;

struct sql_type {
    enum sql_type_kind kind;
    int length;    /* VARCHAR(n); 0 = unbounded */
    int precision; /* DECIMAL(p, s), TIMESTAMP(p) */
    int scale;
    struct sql_field *fields; /* ROW<...> */
    size_t nfields;
};

struct sql_field {
    const char *name;
    struct sql_type *type;
};

/* ---- expressions ---- */

enum sql_expr_kind {
    SQL_EXPR_INT,     /* ival; text = source digits */
    SQL_EXPR_DECIMAL, /* text = "12.50" (exact; dval approximates) */
    SQL_EXPR_DOUBLE,  /* dval; text = source, e.g. "1.5e3" */
    SQL_EXPR_STRING,  /* text (unescaped) */
    SQL_EXPR_BOOL,    /* ival 0/1 */
    SQL_EXPR_NULL,
    SQL_EXPR_INTERVAL,  /* ival = milliseconds; unit, unit_to */
    SQL_EXPR_TIMESTAMP, /* ival = epoch milliseconds (UTC); text = source */
    SQL_EXPR_COLUMN,    /* parts[0..nparts): a, t.a, t.a.nested */
    SQL_EXPR_STAR,      /* *, or t.* with parts = {"t"} */
    SQL_EXPR_UNARY,     /* op, left */
    SQL_EXPR_BINARY,    /* op, left, right */
    SQL_EXPR_IS_NULL,   /* left; negated = IS NOT NULL */
    SQL_EXPR_IN,        /* left IN (args) or left IN (subquery) */
    SQL_EXPR_BETWEEN,   /* left BETWEEN right AND third */
    SQL_EXPR_LIKE,      /* left LIKE right [ESCAPE third] */
    SQL_EXPR_CASE,      /* [left] WHEN args[2i] THEN args[2i+1] [ELSE right] */
    SQL_EXPR_CAST,      /* CAST(left AS type) */
    SQL_EXPR_CALL,      /* text = upper-cased name (args); star; distinct;
                           filter = FILTER (WHERE ...); over = OVER (...);
                           EXTRACT(unit FROM x) has args {'UNIT', x} */
    SQL_EXPR_SUBQUERY   /* (SELECT ...) as a scalar */
};

enum sql_op {
    SQL_OP_NONE,
    SQL_OP_OR,
    SQL_OP_AND,
    SQL_OP_NOT,
    SQL_OP_EQ,
    SQL_OP_NE,
    SQL_OP_LT,
    SQL_OP_LE,
    SQL_OP_GT,
    SQL_OP_GE,
    SQL_OP_CONCAT,
    SQL_OP_ADD,
    SQL_OP_SUB,
    SQL_OP_MUL,
    SQL_OP_DIV,
    SQL_OP_MOD,
    SQL_OP_NEG,
    SQL_OP_PLUS
};

enum sql_time_unit {
    SQL_UNIT_NONE,
    SQL_UNIT_MILLISECOND,
    SQL_UNIT_SECOND,
    SQL_UNIT_MINUTE,
    SQL_UNIT_HOUR,
    SQL_UNIT_DAY
};

struct sql_select;
struct sql_order_item;

/* agg(...) OVER (PARTITION BY ... ORDER BY ts (ROWS|RANGE) BETWEEN
 * (UNBOUNDED | n) PRECEDING AND CURRENT ROW). */
struct sql_over {
    const char *name; /* OVER w: a window of the WINDOW clause (the rest
                         is then empty) */
    struct sql_expr **partition_by;
    size_t npartition_by;
    struct sql_order_item *order_by;
    size_t norder_by;
    bool has_frame;
    bool rows;                  /* ROWS (a count) or RANGE (an interval) */
    struct sql_expr *preceding; /* NULL = UNBOUNDED PRECEDING */
};

struct sql_expr {
    enum sql_expr_kind kind;
    enum sql_op op;
    struct sql_pos pos;
    bool negated;  /* NOT IN / NOT BETWEEN / NOT LIKE / IS NOT NULL */
    bool distinct; /* COUNT(DISTINCT x) */
    bool star;     /* COUNT(*) */
    int64_t ival;
    double dval;
    const char *text;
    const char **parts; /* COLUMN, STAR */
    size_t nparts;
    struct sql_expr *left, *right, *third;
    struct sql_expr **args;
    size_t nargs;
    struct sql_expr *filter;
    struct sql_over *over;    /* CALL ... OVER (...) */
    int height;               /* of this subtree (the parser bounds it) */
    struct sql_type *type;    /* CAST */
    struct sql_select *query; /* SUBQUERY, IN (SELECT ...) */
    enum sql_time_unit unit, unit_to; /* INTERVAL */
};

/* ---- queries ---- */

struct sql_select_item {
    struct sql_expr *expr;
    const char *alias; /* NULL when none */
    const char *text;  /* the expression's source text, e.g. "AVG(value)" */
};

struct sql_order_item {
    struct sql_expr *expr;
    bool desc;
};

enum sql_window_kind {
    SQL_WINDOW_TUMBLE,
    SQL_WINDOW_HOP,
    SQL_WINDOW_CUMULATE,
    SQL_WINDOW_SESSION
};

/* TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), size [, offset])) and friends. */
struct sql_window {
    enum sql_window_kind kind;
    const char *table;              /* "(subquery)" when query is set */
    struct sql_select *query;       /* TABLE (SELECT ...): a subquery */
    struct sql_expr **partition_by; /* SESSION ... PARTITION BY k */
    size_t npartition_by;
    const char *timecol;
    struct sql_expr *size;   /* TUMBLE, HOP, CUMULATE (max size) */
    struct sql_expr *slide;  /* HOP */
    struct sql_expr *step;   /* CUMULATE */
    struct sql_expr *gap;    /* SESSION */
    struct sql_expr *offset; /* optional */
};

enum sql_pattern_kind {
    SQL_PATTERN_VAR,    /* name */
    SQL_PATTERN_SEQ,    /* items in order */
    SQL_PATTERN_ALT,    /* items separated by | */
    SQL_PATTERN_PERMUTE /* PERMUTE(items): in any order */
};

/* A row pattern; every node carries its quantifier: min..max (max -1 =
 * unbounded; 1..1 = none), reluctant for a trailing '?'. A parenthesised
 * group is a SEQ or ALT node with its own quantifier. */
struct sql_pattern {
    enum sql_pattern_kind kind;
    struct sql_pos pos;
    const char *name;
    struct sql_pattern **items;
    size_t nitems;
    int min, max;
    bool reluctant;
};

enum sql_skip_kind {
    SQL_SKIP_PAST_LAST_ROW, /* the default */
    SQL_SKIP_TO_NEXT_ROW,
    SQL_SKIP_TO_FIRST,
    SQL_SKIP_TO_LAST
};

struct sql_define {
    const char *var;
    struct sql_expr *cond;
};

struct sql_match {
    struct sql_expr **partition_by;
    size_t npartition_by;
    struct sql_order_item *order_by;
    size_t norder_by;
    struct sql_select_item *measures;
    size_t nmeasures;
    bool all_rows;     /* ALL ROWS PER MATCH (parsed; Flink runs ONE) */
    bool timeout_rows; /* ONE ROW PER MATCH WITH TIMEOUT ROWS (rill) */
    enum sql_skip_kind skip;
    const char *skip_var;
    struct sql_pattern *pattern;
    struct sql_expr *within; /* WITHIN INTERVAL ... */
    struct sql_define *defines;
    size_t ndefines;
};

enum sql_from_kind {
    SQL_FROM_TABLE,    /* name */
    SQL_FROM_SUBQUERY, /* query */
    SQL_FROM_WINDOW,   /* window */
    SQL_FROM_JOIN,     /* left JOIN right ON on */
    SQL_FROM_MATCH     /* left MATCH_RECOGNIZE (match) */
};

enum sql_join_kind {
    SQL_JOIN_INNER,
    SQL_JOIN_LEFT,
    SQL_JOIN_RIGHT,
    SQL_JOIN_FULL,
    SQL_JOIN_CROSS
};

struct sql_from {
    enum sql_from_kind kind;
    struct sql_pos pos;
    const char *name;
    const char *alias;
    struct sql_select *query;
    struct sql_window *window;
    enum sql_join_kind join;
    struct sql_from *left, *right;
    struct sql_expr *on;
    struct sql_match *match;
    struct sql_expr *as_of; /* TABLE: FOR SYSTEM_TIME AS OF as_of */
};

enum sql_emit {
    SQL_EMIT_DEFAULT, /* FINAL for windows, CHANGES otherwise */
    SQL_EMIT_CHANGES,
    SQL_EMIT_FINAL
};

/* WINDOW name AS (PARTITION BY ... ORDER BY ... frame) */
struct sql_named_window {
    const char *name;
    struct sql_pos pos;
    struct sql_over *over;
};

struct sql_select {
    struct sql_pos pos;
    bool distinct;
    struct sql_select_item *items;
    size_t nitems;
    struct sql_from *from; /* NULL for SELECT without FROM */
    struct sql_expr *where;
    struct sql_expr **group_by;
    size_t ngroup_by;
    struct sql_expr *having;
    struct sql_named_window *windows; /* WINDOW w AS (...), ... */
    size_t nwindows;
    struct sql_order_item *order_by;
    size_t norder_by;
    enum sql_emit emit;
    struct sql_expr *allowed_lateness; /* an INTERVAL, or NULL */
    const char *late_into;             /* EMIT LATE INTO name, or NULL */
    int64_t limit;                     /* -1 when absent */
    struct sql_select *union_all;      /* ... UNION ALL the next branch */
};

/* ---- statements ---- */

enum sql_stmt_kind {
    SQL_STMT_CREATE_STREAM,    /* name (columns, watermark) WITH (...) */
    SQL_STMT_CREATE_TABLE,     /* the same, a changelog table */
    SQL_STMT_CREATE_STREAM_AS, /* name [WITH (...)] AS query */
    SQL_STMT_CREATE_TABLE_AS,
    SQL_STMT_INSERT,            /* INSERT INTO name query */
    SQL_STMT_SELECT,            /* query */
    SQL_STMT_DROP,              /* object, name, if_exists */
    SQL_STMT_SHOW,              /* object */
    SQL_STMT_DESCRIBE,          /* name */
    SQL_STMT_EXPLAIN,           /* inner */
    SQL_STMT_SET,               /* key = value */
    SQL_STMT_EXPLAIN_WATERMARK, /* name (a query) */
    SQL_STMT_STOP_QUERY,        /* name */
    SQL_STMT_RESUME_QUERY       /* name */
};

enum sql_object {
    SQL_OBJECT_STREAM,
    SQL_OBJECT_TABLE,
    SQL_OBJECT_QUERY,
    SQL_OBJECT_TOPIC
};

struct sql_column {
    struct sql_pos pos;
    const char *name;
    struct sql_type *type; /* NULL for a computed column */
    bool not_null;
    const char *path;          /* FROM 'payload.v', or NULL */
    bool metadata;             /* METADATA [FROM 'key'] */
    struct sql_expr *computed; /* name AS expr */
};

struct sql_option {
    const char *key;
    const char *value; /* the text of a string, number or word */
};

struct sql_stmt {
    enum sql_stmt_kind kind;
    struct sql_pos pos;
    const char *text; /* the statement's source, without the ';' */
    size_t text_len;
    const char *name;
    bool if_exists;     /* DROP ... IF EXISTS */
    bool if_not_exists; /* CREATE ... IF NOT EXISTS */
    enum sql_object object;
    struct sql_column *columns;
    size_t ncolumns;
    const char *watermark_column; /* WATERMARK FOR col AS expr */
    struct sql_expr *watermark;
    const char *watermark_text; /* expr's source, "ts - INTERVAL '5' SECOND" */
    const char *primary_key;    /* PRIMARY KEY (col) [NOT ENFORCED] */
    struct sql_pos primary_key_pos;
    struct sql_option *options;
    size_t noptions;
    struct sql_select *query;
    struct sql_stmt *inner;  /* EXPLAIN */
    bool json;               /* DESCRIBE ... FORMAT JSON */
    const char *key, *value; /* SET */
};

struct sql_script {
    struct sql_stmt **stmts;
    size_t nstmts;
};

/* ---- printing ---- */

/* S-expression renderings, e.g. "(select (items (COUNT *)) (from (table
 * t)))". The result is mem_alloc()ed; the caller mem_free()s it. */
char *sql_ast_format_stmt(const struct sql_stmt *stmt);
char *sql_ast_format_expr(const struct sql_expr *expr);
char *sql_ast_format_type(const struct sql_type *type);

/* Names for enums, for messages: "STREAM", "SECOND", "+", "TUMBLE". */
const char *sql_ast_op_name(enum sql_op op);
const char *sql_ast_unit_name(enum sql_time_unit unit);
const char *sql_ast_window_name(enum sql_window_kind kind);
const char *sql_ast_object_name(enum sql_object object);

#endif
