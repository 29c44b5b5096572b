/* connector_int.h - what a connector kind implements, and the services
 * the driver (connector.c) gives it (layer: connect, private to the
 * connector files: connect_file.c, connect_mqtt.c, connect_webhook.c,
 * connect_pg.c).
 *
 * A kind is one declarative struct: its name, its roles, its options
 * (validated and documented in one table) and a few functions. The driver
 * owns the loop, the offsets, the backoff, the log's readers and writers;
 * a kind only talks to its target.
 */
#ifndef RILL_CONNECTOR_INT_H
#define RILL_CONNECTOR_INT_H

#include "base/buf.h"
#include "connect/connector.h"
#include "row/influx.h"
#include "row/row_batch.h"
#include "row/row_decoder.h"

/* One record handed to a sink (copied out of the log: valid during the
 * write call). */
struct connector_row {
    const uint8_t *key, *value;
    uint32_t key_len, value_len;
    bool key_null, value_null;
    int partition;
    int64_t offset;
    int64_t timestamp;
};

struct connector_option_def {
    const char *key;
    unsigned roles; /* 1 << CONNECTOR_SOURCE | 1 << CONNECTOR_SINK */
    bool required;
    const char *help;
};

#define CONNECTOR_BOTH ((1u << CONNECTOR_SOURCE) | (1u << CONNECTOR_SINK))
#define CONNECTOR_SRC (1u << CONNECTOR_SOURCE)
#define CONNECTOR_SNK (1u << CONNECTOR_SINK)

struct connector_kind {
    const char *name;
    unsigned roles;
    const struct connector_option_def *options; /* ends with key NULL */
    /* Extra checks beyond the table (values); may be NULL. */
    int (*validate)(const struct connector_spec *s, char *err, size_t errlen);
    int (*create)(struct connector *c, void **state, char *err, size_t errlen);
    void (*destroy)(void *state);
    /* Sinks. open: reach the target (0, or negative: down, retried with
     * backoff). write: deliver rows in order; returns how many were
     * delivered (or dead-lettered with connector_dead_letter) from the
     * first: n means all; fewer means the target went down after those
     * (the driver closes it and retries the rest); a negative error is
     * the same as 0. */
    int (*open)(void *state);
    void (*close)(void *state);
    int (*write)(void *state, const struct connector_row *rows, int n);
    /* Optional: one line of text (no '\n') saved atomically with the
     * offsets after each delivered batch (sinks) or appended batch
     * (sources); read back at create with connector_restored(). */
    void (*checkpoint)(void *state, struct buf *out);
    /* Sources. poll: read a bounded amount and connector_emit it: 1 if
     * it emitted, 0 if nothing came, negative when the source is down
     * (retried with backoff). A source's position is its checkpoint
     * line (above), saved after each append with the topic's end
     * offsets (_connectors/<name>.source); at create the driver hands
     * it back, and drops the first records the kind emits again that a
     * crash had already appended (counted from the end offsets: exact
     * while the connector is the topic's only writer). */
    int (*poll)(void *state, int64_t now_ms);
    /* Exactly-once sinks, reserved for the runtime's checkpoints (issues
     * 7 and 10), NULL in every kind today (the driver delivers at least
     * once from committed offsets; the file sink cuts a replay, the
     * PostgreSQL sink upserts it). The plan: at a checkpoint barrier the
     * driver calls pre_commit with the checkpoint id once the batches
     * before the barrier are written: the kind makes them recoverable
     * but invisible (a PostgreSQL PREPARE TRANSACTION named after the
     * id, a file kept under a temporary name), and its checkpoint line
     * records that; commit, once the checkpoint is complete everywhere,
     * makes them visible (COMMIT PREPARED, a rename); abort drops them.
     * After a crash the driver commits or aborts what the last
     * checkpoint says. A kind without them stays at least once. */
    int (*pre_commit)(void *state, uint64_t checkpoint_id);
    int (*commit)(void *state, uint64_t checkpoint_id);
    void (*abort)(void *state, uint64_t checkpoint_id);
};

extern const struct connector_kind connector_kind_file;
extern const struct connector_kind connector_kind_mqtt;
extern const struct connector_kind connector_kind_webhook;
extern const struct connector_kind connector_kind_pg;

/* InfluxDB line protocol out (connect_influx.c), for the file and webhook
 * sinks; options 'influx.measurement', 'influx.tags', 'influx.time'. */
struct connector_influx {
    struct influx_encoding enc;
    int tags[16];
    int ntags;
    char measurement[256];
    struct row_decoder *dec;
    struct row_batch *batch;
};
int connector_influx_check(const struct connector_spec *s, char *err,
                           size_t errlen);
int connector_influx_init(struct connector *c, struct connector_influx *ci,
                          char *err, size_t errlen);
void connector_influx_fini(struct connector_influx *ci);
/* Appends the row's line to out: NULL, or why it cannot be written. */
const char *connector_influx_row(struct connector_influx *ci,
                                 const struct connector_row *row,
                                 struct buf *out);

/* Services for kinds. */
const char *connector_option(const struct connector *c, const char *key);
/* An option as an integer with a default; ERR_INVALID-free: validated. */
int64_t connector_option_i64(const struct connector *c, const char *key,
                             int64_t dflt);
bool connector_is_sink(const struct connector *c);
/* The sink's checkpoint line saved with its offsets, or NULL. */
const char *connector_restored(const struct connector *c);
const struct schema *connector_schema(const struct connector *c);
const char *connector_key_column(const struct connector *c);
const char *connector_topic(const struct connector *c);
/* <state dir>/_connectors/<name><suffix> into out; ERR_INVALID if it does
 * not fit or there is no state directory. */
int connector_state_path(const struct connector *c, const char *suffix,
                         char *out, size_t n);
/* Sources: one record for the log topic (partition by key, murmur2, or
 * round-robin without one). 0 or an error. */
int connector_emit(struct connector *c, const void *key, size_t klen,
                   bool has_key, const void *value, size_t vlen, int64_t ts);
/* Sinks: row failed for good; it goes to <name>.dlq as {"reason",
 * "response", "topic", "partition", "offset", "value"}. */
int connector_dead_letter(struct connector *c, const struct connector_row *row,
                          const char *reason, const char *response,
                          size_t response_len);
/* Parses "HOST:PORT" (port required); 0 or ERR_INVALID. */
int connector_parse_hostport(const char *s, char *host, size_t hn, int *port);
/* Parses a duration ("500 ms", "2 s", "1 min", a bare number: ms). */
int connector_parse_ms(const char *s, int64_t *ms);
/* Parses a size ("64 MB", "1024", "1 KB"). */
int connector_parse_bytes(const char *s, int64_t *n);

#endif
