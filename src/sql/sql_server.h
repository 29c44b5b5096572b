/* sql_server.h - runs SQL statements for clients of a local socket, next
 * to `rill serve`'s broker (layer: sql).
 *
 * The server owns the catalog of the data directory and a query_run
 * engine over the broker's open logdir: at start it restarts the
 * catalog's RUNNING queries (sql_exec_resume), and it stops them at
 * sql_server_stop, before the caller closes the log. Clients connect to
 * the Unix socket <data>/rill.sock (mode 0600, removed at stop) and speak
 * the framed protocol of docs/broker.md ("SQL over the local socket"):
 * every frame is a u32 big-endian length L, then L bytes: a type byte and
 * a payload.
 *   client -> server  'Q' script text (one or more ';'-separated
 *                     statements; parsed whole first, then run one by one,
 *                     stopping at the first error)
 *   server -> client  'T' result text of a statement (table, EXPLAIN, ...)
 *                     'R' one row of a transient SELECT (JSON, no newline)
 *                     'E' error: i32 line, i32 column (0: none), message
 *                     'Z' end of the request: u8 status (0 ok, 1 failed)
 * Each connection is a session (its own SET settings) on its own thread,
 * at most 64 at once (one more gets an 'E' "too many SQL sessions").
 * Statements of all sessions run one at a time (one mutex around each);
 * a transient SELECT streams rows until its LIMIT, its client disconnects
 * or the server stops, and releases that mutex once it is planned, so
 * other sessions' statements (and SELECTs) run meanwhile.
 *
 * Signals: the server sends none; a SELECT ends on its session's cancel
 * flag. The process should still block SIGINT and SIGTERM in every thread
 * (and take them with sigwait) before sql_server_start, so that a signal
 * never lands in a session or query thread.
 */
#ifndef RILL_SQL_SERVER_H
#define RILL_SQL_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "sql/query_run.h"

struct logdir;
struct sql_server;

/* Frame types. */
#define SQL_WIRE_QUERY 'Q'
#define SQL_WIRE_TEXT 'T'
#define SQL_WIRE_ROW 'R'
#define SQL_WIRE_ERROR 'E'
#define SQL_WIRE_DONE 'Z'
#define SQL_WIRE_MAX_FRAME (16u << 20)
#define SQL_SOCKET_NAME "rill.sock"

/* <dir>/rill.sock into out; ERR_INVALID when it does not fit (a Unix
 * socket path is at most 107 bytes). */
int sql_server_socket_path(const char *dir, char *out, size_t n);

/* Opens the catalog of dir, creates the engine over ld (the broker's),
 * resumes the recorded queries (one log line each), binds the socket
 * (a file left there by a crash is replaced: the caller holds the data
 * directory's lock) and starts accepting. When <dir>/rill.sock is too long
 * for a socket path (107 bytes) the queries run but no socket is bound
 * (a warning). qo (may be NULL) is the engine's options: durable_only
 * (queries read only fsync'ed data: the broker's rill.read.durable) and
 * on_append (the broker's fetch wake-up). Returns 0 or a negative error with a
 * message in err. */
int sql_server_start(const char *dir, struct logdir *ld,
                     const struct query_run_options *qo,
                     struct sql_server **out, char *err, size_t errlen);
/* Stops accepting, ends the sessions (interrupting a running SELECT),
 * stops every persistent query, closes the catalog and removes the
 * socket. NULL is a no-op. */
void sql_server_stop(struct sql_server *s);

/* Whether a stream, table, query sink or dead-letter topic of the catalog
 * uses topic (so deleting it would pull partitions from under a running
 * query). Any thread; never waits for a running statement. server is a
 * struct sql_server * (void * to fit broker_set_topic_guard). */
bool sql_server_topic_in_use(void *server, const char *topic);

#endif
