/* sql_exec.h - executes parsed SQL statements against the catalog and the
 * log (layer: sql).
 *
 * Catalog statements run here in full: CREATE STREAM|TABLE (with the topic
 * created if missing), DROP, SHOW, DESCRIBE, SET. Statements that run a
 * query (CREATE ... AS SELECT, INSERT INTO, SELECT, EXPLAIN) are checked
 * against the catalog here (unknown streams and columns are errors with
 * line and column), then handed to the query engine through
 * struct sql_engine_ops: the one place the planner and the stream runtime
 * plug in. sql_engine_none is the engine used until they land: it refuses
 * every query with ERR_UNSUPPORTED, "query execution is not implemented
 * yet". A statement either succeeds whole or changes nothing.
 *
 * Threads: one executor per session, used by one thread at a time.
 */
#ifndef RILL_SQL_EXEC_H
#define RILL_SQL_EXEC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "row/schema.h"
#include "sql/catalog.h"
#include "sql/sql_ast.h"

struct logdir;
struct stream_log;
struct query_info; /* stream/query_runtime.h */

/* An error of a statement. message is complete, e.g. "line 3, column 17:
 * unknown column 'vaule' in readings"; pos is that position (line 0 when
 * the error has none, e.g. an I/O error). */
struct sql_exec_error {
    struct sql_pos pos;
    char message[512];
};

/* The message without its "line L, column C: " prefix. */
const char *sql_exec_error_detail(const struct sql_exec_error *err);

/* What the engine gets for one query. */
struct sql_query_start {
    const struct sql_stmt *stmt;     /* CREATE ... AS, INSERT, SELECT */
    const struct sql_select *select; /* the query itself */
    const struct catalog *catalog;   /* names are already checked */
    struct logdir *logdir;
    const struct stream_log *log; /* set: topics live there (a Kafka
                                     cluster), not in logdir */
    const char *id;   /* the persistent query's id ("q_3"); NULL: transient */
    const char *sink; /* the relation written; NULL for a transient SELECT */
    const struct catalog_option *settings; /* SET options in force */
    size_t nsettings;
    bool resume; /* restarted from the catalog at start-up */
    /* Transient SELECT: where result rows go, one line each. */
    int (*emit)(void *arg, const char *line, size_t len);
    void *emit_arg;
    /* Transient SELECT in a server with many sessions (sql_exec_options):
     * NULL, or it ends when *cancel turns true (not on SIGINT), and the
     * engine calls detach once the query is planned and attach before it
     * returns. */
    atomic_bool *cancel;
    void (*detach)(void *arg);
    void (*attach)(void *arg);
    void *detach_arg;
    /* Out, CREATE ... AS only: the columns of the query's output, which
     * become the new stream's or table's columns. */
    struct schema out_schema;
};

/* The query engine. Every hook returns 0 or a negative error with *err
 * filled (name the position in the statement when there is one). */
struct sql_engine_ops {
    /* Compiles and starts a persistent query (id and sink set) writing the
     * sink's topic, which exists by then. Returns once it runs. */
    int (*start_query)(void *ctx, struct sql_query_start *q,
                       struct sql_exec_error *err);
    /* Stops a persistent query; ERR_NOT_FOUND when it does not run. */
    int (*stop_query)(void *ctx, const char *id);
    /* Runs a transient SELECT, emitting rows until LIMIT or interruption. */
    int (*run_select)(void *ctx, struct sql_query_start *q,
                      struct sql_exec_error *err);
    /* Appends the plan of q (an EXPLAINed statement) to out. */
    int (*explain)(void *ctx, struct sql_query_start *q, struct buf *out,
                   struct sql_exec_error *err);
    /* Appends run-time counters of a query (rows in/out, late rows per
     * input partition, ...) as "name: value" lines; ERR_NOT_FOUND when it
     * does not run here. */
    int (*query_stats)(void *ctx, const char *id, struct buf *out);
    /* A snapshot of a running query (EXPLAIN WATERMARK, DESCRIBE ...
     * FORMAT JSON); query_info_fini frees it. ERR_NOT_FOUND when it does
     * not run here. NULL: none. */
    int (*query_info)(void *ctx, const char *id, struct query_info *out);
    /* Stops a persistent query keeping what a restart needs (its
     * repartition topic, its progress): STOP QUERY. NULL: stop_query. */
    int (*halt_query)(void *ctx, const char *id);
    /* `rill run`'s embedded mode, after the script: blocks while
     * persistent queries run here, until the process is told to stop
     * (SIGINT/SIGTERM). NULL, or nothing running: returns 0 at once. */
    int (*wait)(void *ctx);
};

/* The engine until the planner lands: every hook fails with
 * ERR_UNSUPPORTED ("query execution is not implemented yet"), stop_query
 * and query_stats with ERR_NOT_FOUND. */
extern const struct sql_engine_ops sql_engine_none;
#define SQL_EXEC_NOT_IMPLEMENTED "query execution is not implemented yet"

struct sql_exec_options {
    struct catalog *catalog; /* required */
    struct logdir *logdir;   /* required for CREATE/DESCRIBE/SHOW TOPICS */
    /* Set: topics are the ones of this log (`rill run --bootstrap`: a
     * Kafka cluster) and logdir is NULL. The log outlives the executor. */
    const struct stream_log *log;
    const struct sql_engine_ops *engine; /* NULL: sql_engine_none */
    void *engine_ctx;
    int (*emit)(void *arg, const char *line, size_t len); /* SELECT rows */
    void *emit_arg;
    int64_t (*now_ms)(void); /* NULL: clock_now_ms (tests fix it) */
    /* A server with many sessions: a transient SELECT ends when
     * *select_cancel turns true instead of on SIGINT, and runs between
     * select_detach (called once it is planned: the caller may let other
     * statements run) and select_attach (called before it returns). All
     * NULL for a single session (the CLI). */
    atomic_bool *select_cancel;
    void (*select_detach)(void *arg);
    void (*select_attach)(void *arg);
    void *select_arg;
};

struct sql_exec;

int sql_exec_create(const struct sql_exec_options *opts, struct sql_exec **out);
void sql_exec_destroy(struct sql_exec *ex); /* NULL is a no-op */

/* Executes one statement; its result text (a table, "created stream x",
 * ...) is appended to out, ending with a newline. Returns 0 or a negative
 * error with *err filled; on error the catalog and the log are unchanged. */
int sql_exec_stmt(struct sql_exec *ex, const struct sql_stmt *stmt,
                  struct buf *out, struct sql_exec_error *err);

/* Parses and executes a script, statement by statement, stopping at the
 * first error (parse errors included: nothing runs then). Returns 0 or the
 * first error. */
int sql_exec_script(struct sql_exec *ex, const char *text, size_t len,
                    struct buf *out, struct sql_exec_error *err);

/* Starts every RUNNING query of the catalog (after a restart). A query
 * that no longer parses or checks is marked STOPPED with the reason; one
 * the engine refuses stays RUNNING. One line per query goes to out.
 * Returns the number of queries started. */
int sql_exec_resume(struct sql_exec *ex, struct buf *out);

/* The session value of a SET key, or NULL. */
const char *sql_exec_setting(const struct sql_exec *ex, const char *key);

/* SHOW QUERIES and DESCRIBE of a query, for `rill queries list|describe`
 * (which read the catalog without an executor). engine may be NULL.
 * describe returns ERR_NOT_FOUND for an unknown id. */
void sql_exec_show_queries(const struct catalog *c, struct buf *out);
int sql_exec_describe_query(const struct catalog *c,
                            const struct sql_engine_ops *engine,
                            void *engine_ctx, const char *id, struct buf *out);

/* Text helpers shared with the CLI. Formats rows as an aligned table:
 * cells is nrows * ncols strings, row 0 the header. */
void sql_exec_format_table(struct buf *out, const char *const *cells,
                           size_t nrows, size_t ncols);
/* Parses a duration option ('500 ms', '30 s', '2 min', '1 h', '0');
 * returns 0 or ERR_INVALID. */
int sql_exec_parse_duration(const char *text, int64_t *ms);

#endif
