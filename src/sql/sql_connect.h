/* sql_connect.h - runs the connectors the catalog declares: each stream or
 * table WITH ('connector' = ...) gets a connector task (connect/
 * connector.h) on a small worker pool of its own, so a slow target never
 * holds up a query (layer: sql).
 *
 * Role: 'connector.role' when given; else a relation some query writes
 * (CREATE ... AS, INSERT INTO) is a sink, and one nothing writes is a
 * source (sink-only connectors, webhook and postgres, are always sinks).
 * sync() compares the catalog with what runs: new connectors start,
 * dropped ones stop, one whose role or options changed restarts.
 *
 * Threads: every call from the thread that changes the catalog (the SQL
 * server holds its statement mutex).
 */
#ifndef RILL_SQL_CONNECT_H
#define RILL_SQL_CONNECT_H

#include <stdbool.h>
#include <signal.h>
#include <stddef.h>

#include "sql/catalog.h"
#include "stream/stream_log.h"

struct logdir;
struct sql_connect;

void sql_connect_create(struct logdir *ld, struct sql_connect **out);
/* The same over any log (`rill run --bootstrap`: a Kafka cluster); log
 * is copied, its context must outlive sc. */
void sql_connect_create_log(const struct stream_log *log,
                            struct sql_connect **out);
/* How many connectors run. */
int sql_connect_running(const struct sql_connect *sc);
/* Bounded runs (`rill run --until-idle`): blocks until every running
 * connector of role (enum connector_role: 1 source, 2 sink) found
 * nothing to do on a step that began after the call: sources read all
 * their input had, sinks delivered everything their topic holds (a sink
 * whose target is down keeps it waiting). 0, or ERR_CLOSED once *stop
 * is set. */
int sql_connect_drain(struct sql_connect *sc, int role,
                      volatile sig_atomic_t *stop);
void sql_connect_sync(struct sql_connect *sc, const struct catalog *cat);
/* Stops every connector (before the log closes). NULL is a no-op. */
void sql_connect_destroy(struct sql_connect *sc);

/* Checks r's connector options (if it has a 'connector') for the role it
 * would take (written: a query writes it): 0, or ERR_INVALID with the
 * reason in err. */
int sql_connect_check(const struct catalog_relation *r, bool written, char *err,
                      size_t errlen);

#endif
