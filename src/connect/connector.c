/* connector.c - the connector driver: options, the task's step, sink
 * offsets and backoff, source flushing, dead letters (layer: connect).
 *
 * Sink states (one task, one thread at a time):
 *
 *   DOWN --open ok--> UP --write all--> UP (commit offsets)
 *     ^                |
 *     +--- backoff ----+ (open failed, or write delivered fewer rows)
 *
 * Invariants:
 *  1. pos[p] is the next offset of partition p to deliver; the offsets
 *     file holds pos as of the last delivered batch. Only a write that
 *     reports rows delivered moves pos, so a target that is down never
 *     loses a row: on restart delivery resumes from the file (a row
 *     delivered but not yet recorded may come again: sinks that must not
 *     duplicate are idempotent, e.g. PostgreSQL upserts).
 *  2. Memory is one batch (sink.batch-size rows, at most BATCH_BYTES
 *     bytes of copies) whatever the lag: the log is the buffer.
 *  3. A source's position is saved only after its records are flushed
 *     to the log, with the topic's end offsets; records past those ends
 *     at restart were appended after the last save, and as many records
 *     the source emits again are dropped (exactly once while the
 *     connector is the topic's only writer).
 */
#include "connect/connector.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/murmur2.h"
#include "base/os.h"
#include "connect/connector_int.h"
#include "row/json_encode.h"

#define BATCH_BYTES (1u << 20)
#define READ_BYTES (256u << 10)
#define BACKOFF_MAX_MS 5000
#define MAX_PARTS 4096

static const struct connector_kind *const kinds[] = {
    &connector_kind_file,
    &connector_kind_mqtt,
    &connector_kind_webhook,
    &connector_kind_pg,
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* Options every kind takes. */
static const struct connector_option_def common_options[] = {
    {"connector", CONNECTOR_BOTH, true, "a connector name"},
    {"connector.role", CONNECTOR_BOTH, false, "'source' or 'sink'"},
    {"sink.batch-size", CONNECTOR_SNK, false, "rows per delivery, 1..10000"},
    {"sink.retry-backoff", CONNECTOR_SNK, false,
     "first retry delay, like '200 ms'"},
    {NULL, 0, false, NULL},
};

struct connector {
    char *name, *topic, *key;
    char *restored;
    struct schema schema;
    char **okeys, **ovalues;
    size_t noptions;
    const struct connector_kind *kind;
    enum connector_role role;
    void *state;
    struct stream_log log;
    struct worker_task task;
    struct worker_pool *pool;
    bool started;
    /* sink */
    int nparts;
    struct stream_reader **readers;
    int64_t *pos;
    int next_part;
    bool up;
    int64_t retry_at, backoff_ms, backoff_min;
    int batch_rows;
    struct connector_row *rows;
    size_t *at;
    struct buf copies;
    struct stream_writer *dlq;
    bool down_logged;
    /* source */
    struct stream_writer *out;
    int out_parts;
    uint32_t rr;
    bool emitted;
    int64_t skip; /* records already appended before a crash */
    /* stats */
    atomic_uint_fast64_t n_records, n_dead, n_retries;
    atomic_int_fast64_t lag;
    atomic_bool st_up;
    /* idle: the last step found nothing to do (a sink: nothing left to
     * deliver; a source: nothing came), its target up; steps: finished */
    atomic_bool st_idle;
    atomic_uint_fast64_t n_steps;
};

/* ---- options ---- */

static const struct connector_kind *find_kind(const char *name)
{
    for (size_t i = 0; name && i < NKINDS; i++)
        if (!strcasecmp(kinds[i]->name, name))
            return kinds[i];
    return NULL;
}

static const struct connector_option_def *
find_def(const struct connector_option_def *defs, const char *key)
{
    for (; defs->key; defs++)
        if (!strcasecmp(defs->key, key))
            return defs;
    return NULL;
}

bool connector_option_known(const char *key)
{
    if (find_def(common_options, key))
        return true;
    for (size_t i = 0; i < NKINDS; i++)
        if (find_def(kinds[i]->options, key))
            return true;
    return false;
}

const char *connector_spec_option(const struct connector_spec *s,
                                  const char *key)
{
    for (size_t i = 0; i < s->noptions; i++)
        if (!strcasecmp(s->keys[i], key))
            return s->values[i];
    return NULL;
}

enum connector_role connector_role_for(const char *kind, const char *role_opt,
                                       bool written)
{
    const struct connector_kind *k = find_kind(kind);
    if (!k)
        return 0;
    if (role_opt && !strcasecmp(role_opt, "source"))
        return CONNECTOR_SOURCE;
    if (role_opt && !strcasecmp(role_opt, "sink"))
        return CONNECTOR_SINK;
    if (!(k->roles & CONNECTOR_SRC) || written)
        return CONNECTOR_SINK;
    return CONNECTOR_SOURCE;
}

int connector_parse_ms(const char *s, int64_t *ms)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0)
        return ERR_INVALID;
    while (*end == ' ')
        end++;
    double mul;
    if (!*end || !strcasecmp(end, "ms"))
        mul = 1;
    else if (!strcasecmp(end, "s") || !strcasecmp(end, "second") ||
             !strcasecmp(end, "seconds"))
        mul = 1000;
    else if (!strcasecmp(end, "min") || !strcasecmp(end, "minute") ||
             !strcasecmp(end, "minutes"))
        mul = 60000;
    else if (!strcasecmp(end, "h") || !strcasecmp(end, "hour"))
        mul = 3600000;
    else
        return ERR_INVALID;
    if (v * mul > 1e15)
        return ERR_INVALID;
    *ms = (int64_t)(v * mul);
    return 0;
}

int connector_parse_bytes(const char *s, int64_t *n)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0)
        return ERR_INVALID;
    while (*end == ' ')
        end++;
    double mul;
    if (!*end || !strcasecmp(end, "b"))
        mul = 1;
    else if (!strcasecmp(end, "kb"))
        mul = 1024;
    else if (!strcasecmp(end, "mb"))
        mul = 1024.0 * 1024;
    else if (!strcasecmp(end, "gb"))
        mul = 1024.0 * 1024 * 1024;
    else
        return ERR_INVALID;
    if (v * mul > 1e15)
        return ERR_INVALID;
    *n = (int64_t)(v * mul);
    return 0;
}

int connector_parse_hostport(const char *s, char *host, size_t hn, int *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= hn)
        return ERR_INVALID;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 1 || p > 65535)
        return ERR_INVALID;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    *port = (int)p;
    return 0;
}

int connector_validate(const struct connector_spec *s, char *err, size_t errlen)
{
    const char *kname = connector_spec_option(s, "connector");
    const struct connector_kind *k = find_kind(kname);
    if (!k) {
        snprintf(err, errlen,
                 "unknown connector '%s' (known: file, mqtt, webhook, "
                 "postgres)",
                 kname ? kname : "");
        return ERR_INVALID;
    }
    const char *role = connector_spec_option(s, "connector.role");
    if (role && strcasecmp(role, "source") && strcasecmp(role, "sink")) {
        snprintf(err, errlen,
                 "invalid value '%s' for option 'connector.role': expected "
                 "'source' or 'sink'",
                 role);
        return ERR_INVALID;
    }
    unsigned rbit = 1u << s->role;
    if (!(k->roles & rbit)) {
        snprintf(err, errlen, "connector '%s' cannot be a %s", k->name,
                 s->role == CONNECTOR_SOURCE ? "source" : "sink");
        return ERR_INVALID;
    }
    for (size_t i = 0; i < s->noptions; i++) {
        const char *key = s->keys[i];
        const struct connector_option_def *d = find_def(common_options, key);
        if (!d)
            d = find_def(k->options, key);
        if (!d) {
            if (connector_option_known(key)) {
                snprintf(err, errlen,
                         "option '%s' does not apply to connector '%s'", key,
                         k->name);
                return ERR_INVALID;
            }
            continue; /* the SQL layer's own (topic, format, ...) */
        }
        if (!(d->roles & rbit)) {
            snprintf(err, errlen, "option '%s' does not apply to a %s", key,
                     s->role == CONNECTOR_SOURCE ? "source" : "sink");
            return ERR_INVALID;
        }
        int64_t v;
        if (!strcmp(d->key, "sink.batch-size")) {
            char *end;
            long long n = strtoll(s->values[i], &end, 10);
            if (*end || n < 1 || n > 10000) {
                snprintf(err, errlen,
                         "invalid value '%s' for option '%s': expected %s",
                         s->values[i], key, d->help);
                return ERR_INVALID;
            }
        } else if (!strcmp(d->key, "sink.retry-backoff") &&
                   connector_parse_ms(s->values[i], &v)) {
            snprintf(err, errlen,
                     "invalid value '%s' for option '%s': expected %s",
                     s->values[i], key, d->help);
            return ERR_INVALID;
        }
    }
    for (const struct connector_option_def *d = k->options; d->key; d++)
        if (d->required && (d->roles & rbit) &&
            !connector_spec_option(s, d->key)) {
            snprintf(err, errlen, "connector '%s' needs option '%s' (%s)",
                     k->name, d->key, d->help);
            return ERR_INVALID;
        }
    return k->validate ? k->validate(s, err, errlen) : 0;
}

/* ---- services ---- */

const char *connector_option(const struct connector *c, const char *key)
{
    for (size_t i = 0; i < c->noptions; i++)
        if (!strcasecmp(c->okeys[i], key))
            return c->ovalues[i];
    return NULL;
}

int64_t connector_option_i64(const struct connector *c, const char *key,
                             int64_t dflt)
{
    const char *v = connector_option(c, key);
    return v ? strtoll(v, NULL, 10) : dflt;
}

bool connector_is_sink(const struct connector *c)
{
    return c->role == CONNECTOR_SINK;
}

const char *connector_restored(const struct connector *c)
{
    return c->restored;
}

const struct schema *connector_schema(const struct connector *c)
{
    return &c->schema;
}

const char *connector_key_column(const struct connector *c)
{
    return c->key;
}

const char *connector_topic(const struct connector *c)
{
    return c->topic;
}

const char *connector_name(const struct connector *c)
{
    return c->name;
}

int connector_state_path(const struct connector *c, const char *suffix,
                         char *out, size_t n)
{
    const char *dir = stream_log_state_dir(&c->log);
    if (!dir)
        return ERR_INVALID;
    int w = snprintf(out, n, "%s/_connectors/%s%s", dir, c->name, suffix);
    return w < 0 || (size_t)w >= n ? ERR_INVALID : 0;
}

int connector_emit(struct connector *c, const void *key, size_t klen,
                   bool has_key, const void *value, size_t vlen, int64_t ts)
{
    if (c->skip > 0) {
        c->skip--;
        c->emitted = true; /* the position moves on */
        return 0;
    }
    int p = 0;
    if (c->out_parts > 1)
        p = has_key ? murmur2_partition(key, klen, c->out_parts)
                    : (int)(c->rr++ % (uint32_t)c->out_parts);
    int rc = stream_writer_add(c->out, p, key, klen, has_key, value, vlen, ts);
    if (!rc) {
        c->emitted = true;
        atomic_fetch_add(&c->n_records, 1);
    }
    return rc;
}

int connector_dead_letter(struct connector *c, const struct connector_row *row,
                          const char *reason, const char *response,
                          size_t response_len)
{
    if (!c->dlq) {
        char topic[512];
        snprintf(topic, sizeof topic, "%s.dlq", c->name);
        int rc = stream_log_writer(&c->log, topic, true, &c->dlq);
        if (rc)
            return rc;
    }
    struct buf b;
    buf_init(&b);
    buf_put_str(&b, "{\"reason\":");
    json_encode_string(&b, reason, strlen(reason));
    buf_put_str(&b, ",\"response\":");
    if (response && json_utf8_valid(response, response_len))
        json_encode_string(&b, response, response_len);
    else
        buf_put_str(&b, "null");
    buf_put_str(&b, ",\"topic\":");
    json_encode_string(&b, c->topic, strlen(c->topic));
    buf_printf(&b,
               ",\"partition\":%d,\"offset\":%lld,\"value\":", row->partition,
               (long long)row->offset);
    if (row->value_null ||
        !json_utf8_valid((const char *)row->value, row->value_len))
        buf_put_str(&b, "null");
    else
        json_encode_string(&b, (const char *)row->value, row->value_len);
    buf_put_u8(&b, '}');
    int rc = stream_writer_add(c->dlq, 0, row->key, row->key_len,
                               !row->key_null, b.data, b.len, clock_now_ms());
    if (!rc)
        rc = stream_writer_flush(c->dlq, NULL);
    buf_fini(&b);
    if (!rc)
        atomic_fetch_add(&c->n_dead, 1);
    return rc;
}

/* ---- sink offsets ---- */

/* File format (text): "rill-connector-offsets 1\n" then one
 * "<partition> <next offset>\n" per partition, then the kind's
 * "state <checkpoint>\n" if it keeps one. */
static void load_offsets(struct connector *c)
{
    char path[1024];
    if (connector_state_path(c, ".offsets", path, sizeof path))
        return;
    char *text;
    size_t len;
    if (os_read_file(path, 1u << 20, &text, &len))
        return;
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    if (line && !strcmp(line, "rill-connector-offsets 1"))
        while ((line = strtok_r(NULL, "\n", &save))) {
            int p;
            long long off;
            if (!strncmp(line, "state ", 6)) {
                mem_free(c->restored);
                c->restored = mem_strdup(line + 6);
                continue;
            }
            if (sscanf(line, "%d %lld", &p, &off) == 2 && p >= 0 &&
                p < c->nparts && off >= 0)
                c->pos[p] = off;
        }
    mem_free(text);
}

static int save_offsets(struct connector *c)
{
    char path[1024];
    if (connector_state_path(c, ".offsets", path, sizeof path))
        return ERR_INVALID;
    struct buf b;
    buf_init(&b);
    buf_put_str(&b, "rill-connector-offsets 1\n");
    for (int p = 0; p < c->nparts; p++)
        buf_printf(&b, "%d %lld\n", p, (long long)c->pos[p]);
    if (c->kind->checkpoint) {
        buf_put_str(&b, "state ");
        c->kind->checkpoint(c->state, &b);
        buf_put_u8(&b, '\n');
    }
    int rc = os_write_file_atomic(path, b.data, b.len);
    buf_fini(&b);
    if (rc)
        diag_warn("connector %s: cannot write %s: %s", c->name, path,
                  err_str(rc));
    return rc;
}

/* Source state file: "rill-connector-source 1\n", "<partition> <end
 * offset>\n" per partition of the topic, "state <checkpoint>\n". */
static void load_source(struct connector *c)
{
    char path[1024];
    if (connector_state_path(c, ".source", path, sizeof path))
        return;
    char *text;
    size_t len;
    if (os_read_file(path, 1u << 20, &text, &len))
        return;
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    if (line && !strcmp(line, "rill-connector-source 1"))
        while ((line = strtok_r(NULL, "\n", &save))) {
            int p;
            long long end;
            if (!strncmp(line, "state ", 6)) {
                mem_free(c->restored);
                c->restored = mem_strdup(line + 6);
            } else if (sscanf(line, "%d %lld", &p, &end) == 2 && p >= 0 &&
                       p < c->nparts) {
                int64_t now = stream_reader_end(c->readers[p]);
                if (now > end)
                    c->skip += now - end;
            }
        }
    mem_free(text);
    if (c->skip)
        diag_info("connector %s: %lld record(s) were appended after the "
                  "last saved position; they are not read twice",
                  c->name, (long long)c->skip);
}

static int save_source(struct connector *c)
{
    char path[1024];
    if (!c->kind->checkpoint ||
        connector_state_path(c, ".source", path, sizeof path))
        return 0;
    struct buf b;
    buf_init(&b);
    buf_put_str(&b, "rill-connector-source 1\n");
    for (int p = 0; p < c->nparts; p++)
        buf_printf(&b, "%d %lld\n", p,
                   (long long)stream_reader_end(c->readers[p]));
    buf_put_str(&b, "state ");
    c->kind->checkpoint(c->state, &b);
    buf_put_u8(&b, '\n');
    int rc = os_write_file_atomic(path, b.data, b.len);
    buf_fini(&b);
    if (rc)
        diag_warn("connector %s: cannot write %s: %s", c->name, path,
                  err_str(rc));
    return rc;
}

/* ---- the task ---- */

static void went_down(struct connector *c, int64_t now, const char *why)
{
    if (c->up && c->kind->close)
        c->kind->close(c->state);
    c->up = false;
    atomic_store(&c->st_up, false);
    atomic_fetch_add(&c->n_retries, 1);
    c->retry_at = now + c->backoff_ms;
    if (!c->down_logged)
        diag_warn("connector %s: %s; retrying (the log keeps what is not "
                  "delivered)",
                  c->name, why);
    c->down_logged = true;
    c->backoff_ms *= 2;
    if (c->backoff_ms > BACKOFF_MAX_MS)
        c->backoff_ms = BACKOFF_MAX_MS;
}

static void update_lag(struct connector *c)
{
    int64_t lag = 0;
    for (int p = 0; p < c->nparts; p++) {
        int64_t end = stream_reader_end(c->readers[p]);
        if (end > c->pos[p])
            lag += end - c->pos[p];
    }
    atomic_store(&c->lag, lag);
}

/* Reads the next batch of partition p into c->rows: how many rows; sets
 * *skip_to when the chunk held nothing to deliver past pos. */
static int gather(struct connector *c, int p, int64_t *skip_to)
{
    struct stream_chunk ch;
    *skip_to = -1;
    int64_t start = stream_reader_start(c->readers[p]);
    if (c->pos[p] < start) {
        diag_warn("connector %s: partition %d: offsets %lld..%lld were "
                  "deleted by retention before delivery",
                  c->name, p, (long long)c->pos[p], (long long)start - 1);
        c->pos[p] = start;
    }
    int rc = stream_reader_read(c->readers[p], c->pos[p], READ_BYTES, &ch);
    if (rc <= 0)
        return 0;
    buf_reset(&c->copies);
    struct stream_record recs[64];
    int n = 0;
    bool all = true;
    size_t *at = c->at; /* key at at[2i], value at at[2i+1] */
    for (;;) {
        int got = ch.records->ops->next_many(ch.records, recs, 64);
        if (got <= 0)
            break;
        int i;
        for (i = 0; i < got; i++) {
            const struct stream_record *r = &recs[i];
            if (r->offset < c->pos[p] || r->control)
                continue;
            if (n >= c->batch_rows || c->copies.len >= BATCH_BYTES) {
                all = false;
                break;
            }
            struct connector_row *row = &c->rows[n];
            row->partition = p;
            row->offset = r->offset;
            row->timestamp = r->timestamp;
            row->key_null = r->key_null;
            row->value_null = r->value_null;
            row->key_len = r->key_null ? 0 : r->key_len;
            row->value_len = r->value_null ? 0 : r->value_len;
            at[2 * n] = c->copies.len;
            buf_put(&c->copies, r->key, row->key_len);
            at[2 * n + 1] = c->copies.len;
            buf_put(&c->copies, r->value, row->value_len);
            buf_put_u8(&c->copies, 0);
            n++;
        }
        if (i < got)
            break;
    }
    if (all)
        *skip_to = ch.next_offset;
    stream_reader_release(c->readers[p]);
    for (int i = 0; i < n; i++) {
        c->rows[i].key = c->copies.data + at[2 * i];
        c->rows[i].value = c->copies.data + at[2 * i + 1];
    }
    return n;
}

static int sink_step(struct connector *c, int64_t now, int64_t *next_due)
{
    atomic_store(&c->st_idle, false);
    if (now < c->retry_at) {
        if (c->retry_at < *next_due)
            *next_due = c->retry_at;
        return 0;
    }
    if (!c->up) {
        int rc = c->kind->open ? c->kind->open(c->state) : 0;
        if (rc) {
            went_down(c, now, "target unreachable");
            if (c->retry_at < *next_due)
                *next_due = c->retry_at;
            return 0;
        }
        if (c->down_logged)
            diag_info("connector %s: target is back; resuming", c->name);
        c->down_logged = false;
        c->up = true;
        atomic_store(&c->st_up, true);
        c->backoff_ms = c->backoff_min;
    }
    bool did = false;
    for (int k = 0; k < c->nparts; k++) {
        int p = (c->next_part + k) % c->nparts;
        int64_t skip_to;
        int n = gather(c, p, &skip_to);
        if (n == 0) {
            if (skip_to > c->pos[p]) {
                c->pos[p] = skip_to; /* markers or control records only */
                did = true;
            }
            continue;
        }
        int done = c->kind->write(c->state, c->rows, n);
        if (done < 0)
            done = 0;
        if (done > 0) {
            c->pos[p] = c->rows[done - 1].offset + 1;
            if (done == n && skip_to > c->pos[p])
                c->pos[p] = skip_to;
            atomic_fetch_add(&c->n_records, (uint64_t)done);
            save_offsets(c);
            did = true;
        }
        if (done < n) {
            went_down(c, now, "delivery failed");
            if (c->retry_at < *next_due)
                *next_due = c->retry_at;
            break;
        }
        c->next_part = (p + 1) % c->nparts;
        break; /* one batch per step */
    }
    update_lag(c);
    if (!did && c->up && !atomic_load(&c->lag))
        atomic_store(&c->st_idle, true);
    if (!did && now + 1000 < *next_due)
        *next_due = now + 1000; /* new partitions' data, lag figures */
    return did;
}

static int source_step(struct connector *c, int64_t now, int64_t *next_due)
{
    atomic_store(&c->st_idle, false);
    if (now < c->retry_at) {
        if (c->retry_at < *next_due)
            *next_due = c->retry_at;
        return 0;
    }
    c->emitted = false;
    int rc = c->kind->poll(c->state, clock_now_ms());
    if (c->emitted) {
        uint64_t lost = 0;
        int f = stream_writer_flush(c->out, &lost);
        if (f) {
            diag_warn("connector %s: append failed: %s", c->name, err_str(f));
            rc = f;
        } else {
            save_source(c);
        }
    }
    if (rc < 0) {
        atomic_store(&c->st_up, false);
        atomic_fetch_add(&c->n_retries, 1);
        c->retry_at = now + c->backoff_ms;
        c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                           : c->backoff_ms * 2;
        if (c->retry_at < *next_due)
            *next_due = c->retry_at;
        return 0;
    }
    atomic_store(&c->st_up, true);
    atomic_store(&c->st_idle, rc == 0);
    c->backoff_ms = c->backoff_min;
    if (rc == 0 && now + 100 < *next_due)
        *next_due = now + 100; /* sources poll the outside world */
    return rc > 0;
}

static int step(void *arg, int64_t now, int64_t *next_due)
{
    struct connector *c = arg;
    int rc = c->role == CONNECTOR_SINK ? sink_step(c, now, next_due)
                                       : source_step(c, now, next_due);
    atomic_fetch_add(&c->n_steps, 1);
    return rc;
}

/* ---- lifecycle ---- */

int connector_create(const struct connector_spec *s,
                     const struct stream_log *log, struct connector **out,
                     char *err, size_t errlen)
{
    int rc = connector_validate(s, err, errlen);
    if (rc)
        return rc;
    struct connector *c = mem_calloc(1, sizeof *c);
    c->name = mem_strdup(s->name);
    c->topic = mem_strdup(s->topic);
    c->key = s->key ? mem_strdup(s->key) : NULL;
    c->schema = *s->schema;
    c->noptions = s->noptions;
    c->okeys = mem_calloc(s->noptions + 1, sizeof(char *));
    c->ovalues = mem_calloc(s->noptions + 1, sizeof(char *));
    for (size_t i = 0; i < s->noptions; i++) {
        c->okeys[i] = mem_strdup(s->keys[i]);
        c->ovalues[i] = mem_strdup(s->values[i]);
    }
    c->kind = find_kind(connector_spec_option(s, "connector"));
    c->role = s->role;
    c->log = *log;
    c->backoff_min = 200;
    const char *bo = connector_option(c, "sink.retry-backoff");
    if (bo)
        connector_parse_ms(bo, &c->backoff_min);
    if (c->backoff_min < 1)
        c->backoff_min = 1;
    c->backoff_ms = c->backoff_min;
    buf_init(&c->copies);
    char dir[1024];
    if (!connector_state_path(c, "", dir, sizeof dir)) {
        char *slash = strrchr(dir, '/');
        *slash = '\0';
        os_mkdir_p(dir);
    }
    if (c->role == CONNECTOR_SINK) {
        int n = stream_log_partitions(log, c->topic);
        if (n <= 0 || n > MAX_PARTS) {
            snprintf(err, errlen, "topic '%s' has no partitions", c->topic);
            rc = n < 0 ? n : ERR_NOT_FOUND;
            goto fail;
        }
        c->nparts = n;
        c->readers = mem_calloc((size_t)n, sizeof *c->readers);
        c->pos = mem_calloc((size_t)n, sizeof *c->pos);
        for (int p = 0; p < n; p++) {
            rc = stream_log_reader(log, c->topic, p, 0, &c->readers[p]);
            if (rc) {
                snprintf(err, errlen, "cannot read %s/%d: %s", c->topic, p,
                         err_str(rc));
                goto fail;
            }
            c->pos[p] = stream_reader_start(c->readers[p]);
        }
        load_offsets(c);
        c->batch_rows = (int)connector_option_i64(c, "sink.batch-size", 500);
        c->rows = mem_calloc((size_t)c->batch_rows, sizeof *c->rows);
        c->at = mem_calloc(2 * (size_t)c->batch_rows, sizeof *c->at);
    } else {
        rc = stream_log_writer(log, c->topic, false, &c->out);
        if (rc) {
            snprintf(err, errlen, "cannot write topic '%s': %s", c->topic,
                     err_str(rc));
            goto fail;
        }
        c->out_parts = stream_writer_partitions(c->out);
        if (c->kind->checkpoint) {
            c->nparts = c->out_parts > 0 ? c->out_parts : 1;
            c->readers = mem_calloc((size_t)c->nparts, sizeof *c->readers);
            for (int p = 0; p < c->nparts; p++) {
                rc = stream_log_reader(log, c->topic, p, 0, &c->readers[p]);
                if (rc) {
                    snprintf(err, errlen, "cannot read %s/%d: %s", c->topic, p,
                             err_str(rc));
                    goto fail;
                }
            }
            load_source(c);
        }
    }
    rc = c->kind->create(c, &c->state, err, errlen);
    if (rc)
        goto fail;
    c->task.step = step;
    c->task.arg = c;
    *out = c;
    return 0;
fail:
    connector_destroy(c);
    return rc ? rc : ERR_FAILED;
}

int connector_start(struct connector *c, struct worker_pool *pool)
{
    int rc = worker_pool_add(pool, &c->task);
    if (!rc)
        c->started = true;
    c->pool = pool;
    return rc;
}

void connector_destroy(struct connector *c)
{
    if (!c)
        return;
    if (c->started)
        worker_pool_remove(c->pool, &c->task);
    if (c->out) {
        if (c->emitted) {
            if (!stream_writer_flush(c->out, NULL))
                save_source(c);
        }
        stream_writer_close(c->out);
    }
    if (c->state) {
        if (c->up && c->kind->close)
            c->kind->close(c->state);
        c->kind->destroy(c->state);
    }
    for (int p = 0; c->readers && p < c->nparts; p++)
        stream_reader_close(c->readers[p]);
    mem_free(c->readers);
    mem_free(c->pos);
    mem_free(c->rows);
    mem_free(c->at);
    stream_writer_close(c->dlq);
    buf_fini(&c->copies);
    for (size_t i = 0; i < c->noptions; i++) {
        mem_free(c->okeys[i]);
        mem_free(c->ovalues[i]);
    }
    mem_free(c->okeys);
    mem_free(c->ovalues);
    mem_free(c->name);
    mem_free(c->topic);
    mem_free(c->key);
    mem_free(c->restored);
    mem_free(c);
}

void connector_get_stats(const struct connector *c, struct connector_stats *s)
{
    const struct connector *m = c;
    s->records = atomic_load(&m->n_records);
    s->dead_letter = atomic_load(&m->n_dead);
    s->retries = atomic_load(&m->n_retries);
    s->lag = atomic_load(&m->lag);
    s->up = atomic_load(&m->st_up);
    s->idle = atomic_load(&m->st_idle);
    s->steps = atomic_load(&m->n_steps);
}

enum connector_role connector_role(const struct connector *c)
{
    return c->role;
}
