/* sql_exec_int.h - internals shared by the executor's files: sql_exec.c
 * (statements), sql_exec_check.c (name checks), sql_exec_show.c (SHOW,
 * DESCRIBE) (layer: sql). Nothing outside them includes it.
 */
#ifndef RILL_SQL_EXEC_INT_H
#define RILL_SQL_EXEC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sql/sql_exec.h"

struct sql_exec {
    struct sql_exec_options o;
    struct catalog_option *settings; /* the session's SET options */
    size_t nsettings;
};

/* Fills *err with "line L, column C: <fmt>" (no prefix when pos.line is
 * 0) and returns code. */
__attribute__((format(printf, 4, 5))) int
sql_exec_fail(struct sql_exec_error *err, struct sql_pos pos, int code,
              const char *fmt, ...);
/* The position of the first case-insensitive, whole-word occurrence of
 * needle in the statement's text at or after byte `from` (a quoted one: its
 * opening quote); the statement's own position when absent. */
struct sql_pos sql_exec_locate(const struct sql_stmt *st, const char *needle,
                               size_t from);
/* The byte offset in the statement just past the word `needle`. */
size_t sql_exec_find_off(const struct sql_stmt *st, const char *needle);
/* ISO-8601 UTC with milliseconds: 2026-11-24T07:30:00.123Z. */
void sql_exec_fmt_time(int64_t ms, char *out, size_t n);

/* Name checks (sql_exec_check.c). inputs collects the relations read
 * (catalog spelling, borrowed from the catalog). */
#define SQL_EXEC_MAX_INPUTS 80
struct sql_exec_checker {
    struct sql_exec *ex;
    struct sql_exec_error *err;
    const char *inputs[SQL_EXEC_MAX_INPUTS];
    size_t ninputs;
};
int sql_exec_check_select(struct sql_exec_checker *ck,
                          const struct sql_select *sel);

/* Starts the catalog's query id again from its saved statement, going on
 * from its progress (a restart, RESUME QUERY). Returns 0, ERR_PARSE or
 * ERR_INVALID when its statement no longer parses or checks (*bad set),
 * or the engine's error; err says why. */
int sql_exec_start_saved(struct sql_exec *ex, const char *id, bool *bad,
                         struct sql_exec_error *err);

/* EXPLAIN WATERMARK, STOP QUERY, RESUME QUERY, DESCRIBE <query> FORMAT
 * JSON (sql_exec_control.c). */
int sql_exec_run_control(struct sql_exec *ex, const struct sql_stmt *st,
                         struct buf *out, struct sql_exec_error *err);
int sql_exec_describe_query_json(struct sql_exec *ex, const char *id,
                                 struct buf *out);

/* SHOW and DESCRIBE (sql_exec_show.c). */
int sql_exec_run_show(struct sql_exec *ex, const struct sql_stmt *st,
                      struct buf *out, struct sql_exec_error *err);
int sql_exec_run_describe(struct sql_exec *ex, const struct sql_stmt *st,
                          struct buf *out, struct sql_exec_error *err);

#endif
