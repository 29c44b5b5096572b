/* sql_client.h - the CLI side of the SQL socket of `rill serve`
 * (layer: sql). Protocol: sql_server.h.
 */
#ifndef RILL_SQL_CLIENT_H
#define RILL_SQL_CLIENT_H

#include <stddef.h>

#include "sql/sql_ast.h"

struct sql_client;

/* Connects to <dir>/rill.sock. Returns 0, ERR_NOT_FOUND when no server
 * answers there (no socket, or a stale one), or another negative error. */
int sql_client_connect(const char *dir, struct sql_client **out);
void sql_client_close(struct sql_client *c); /* NULL is a no-op */

/* Async-signal-safe (a SIGINT handler calls it): shuts the connection
 * down, so that an exec blocked on it returns ERR_CLOSED at once; the
 * server ends a SELECT whose client hung up. Close c afterwards (connect
 * again for a new session: the server forgets the old one's SETs). */
void sql_client_interrupt(struct sql_client *c);

/* What a request returns, frame by frame. */
struct sql_client_sink {
    /* 'T' text and 'R' rows (a row has no trailing newline). */
    void (*text)(void *arg, const char *s, size_t len, int is_row);
    /* 'E': pos.line 0 when the error has no position. */
    void (*error)(void *arg, const struct sql_pos *pos, const char *msg);
    void *arg;
};

/* Sends text (one or more statements) and reads the answer to its end.
 * Returns 0 (all ran), 1 (a statement failed, reported through
 * sink->error) or a negative error (the connection broke). */
int sql_client_exec(struct sql_client *c, const char *text, size_t len,
                    const struct sql_client_sink *sink);

#endif
