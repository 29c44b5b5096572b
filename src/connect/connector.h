/* connector.h - connectors to the world outside the log: a source appends
 * what it reads (files, an MQTT broker) to a log topic; a sink delivers a
 * log topic's records (files, MQTT, a webhook, PostgreSQL) from its
 * committed position (layer: connect).
 *
 * A connector is a task of the runtime (stream/worker.h): it runs on a
 * worker pool, each step does a bounded amount of work. Sinks are store
 * and forward: the log is the buffer. A sink whose target is down does not
 * advance; its lag grows in the log and it retries with backoff; once the
 * target answers it resumes from its committed offsets (persisted under
 * the log's state directory, _connectors/<name>.offsets, after every
 * delivered batch). Nothing is held in memory beyond one batch. Which
 * options each kind takes, and their meaning: docs/connectors.md.
 *
 * Threads: create/start/destroy from one controlling thread; the task
 * runs on a worker thread; stats from any thread.
 */
#ifndef RILL_CONNECTOR_H
#define RILL_CONNECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "row/schema.h"
#include "stream/stream_log.h"
#include "stream/worker.h"

enum connector_role {
    CONNECTOR_SOURCE = 1, /* outside -> log topic */
    CONNECTOR_SINK,       /* log topic -> outside */
};

/* Everything borrowed for the duration of connector_create (copied). */
struct connector_spec {
    const char *name; /* the stream or table; names state files, the DLQ */
    enum connector_role role;
    const char *topic;           /* the log topic */
    const struct schema *schema; /* the relation's columns */
    const char *key;             /* key column, or NULL */
    const char *const *keys;     /* WITH options, lower-case keys */
    const char *const *values;
    size_t noptions;
};

/* Whether `key` is an option some connector takes (the SQL layer accepts
 * it in WITH next to its own). */
bool connector_option_known(const char *key);
/* The value of option `key` in spec, or NULL. */
const char *connector_spec_option(const struct connector_spec *s,
                                  const char *key);
/* Which role a connector of `kind` takes for a relation that a query
 * writes (written) or not: 'connector.role' when given, else sinks for
 * sink-only kinds and for written relations, sources otherwise. 0 when
 * kind is unknown. */
enum connector_role connector_role_for(const char *kind, const char *role_opt,
                                       bool written);
/* Checks the options of spec for its kind and role: 0, or ERR_INVALID
 * with a message naming the option. */
int connector_validate(const struct connector_spec *s, char *err,
                       size_t errlen);

struct connector;

int connector_create(const struct connector_spec *s,
                     const struct stream_log *log, struct connector **out,
                     char *err, size_t errlen);
/* Adds its task to pool. */
int connector_start(struct connector *c, struct worker_pool *pool);
/* Takes the task back from the pool (if started), flushes and persists
 * what it can, closes the target. NULL is a no-op. */
void connector_destroy(struct connector *c);
const char *connector_name(const struct connector *c);

struct connector_stats {
    uint64_t records;     /* appended (source) or delivered (sink) */
    uint64_t dead_letter; /* rows sent to <name>.dlq */
    uint64_t retries;     /* failed attempts to reach the target */
    int64_t lag;          /* sink: records between committed and end */
    bool up;              /* the target is reachable */
    /* The last step found nothing to do, the target up: a sink had
     * delivered all its topic held, a source's poll brought nothing. */
    bool idle;
    uint64_t steps; /* steps finished so far */
};
void connector_get_stats(const struct connector *c, struct connector_stats *s);
enum connector_role connector_role(const struct connector *c);

#endif
