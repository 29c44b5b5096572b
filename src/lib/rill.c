/* rill.c - librill's public API (include/rill.h) over the engine's layers
 * (layer: lib).
 *
 * An engine is what `rill run` builds for an embedded session: the
 * logdir, the catalog, the query runner (sql/query_run.h) as the
 * executor's engine, and the executor (sql/sql_exec.h). Pushes go through
 * the runtime's log interface (a local_log writer per topic, flushed in
 * batches); subscriptions are log readers, one per partition, started at
 * the end, read by rill_poll in the caller's thread.
 */
#include "rill.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/murmur2.h"
#include "connect/local_log.h"
#include "connect/mem_log.h"
#include "row/json_encode.h"
#include "row/value.h"
#include "log/logdir.h"
#include "sql/catalog.h"
#include "sql/query_run.h"
#include "sql/sql_exec.h"
#include "sql/sql_parse.h"

#define PUSH_FLUSH_BYTES (256u << 10)
#define MAX_WRITERS 64

struct push_writer {
    char *topic;
    struct stream_writer *w;
    int n;
    uint32_t next; /* round robin for records without a key */
};

struct rill_sub {
    struct rill *db;
    struct rill_sub *next;
    rill_record_fn fn; /* NULL: pulled with rill_sub_next only */
    void *arg;
    int n;
    struct stream_reader **r;
    int64_t *pos;
    /* rill_sub_next: the chunk being pulled (of partition cur) */
    int cur;
    bool held;
    struct stream_chunk chunk;
    struct stream_record recs[64];
    int nrec, at;
};

struct rill {
    struct logdir *ld;
    struct mem_log *mem; /* in memory (rill_open with dir NULL) */
    struct stream_log log;
    struct catalog *catalog;
    struct query_run *qr;
    struct sql_exec *exec;
    bool until_idle;
    bool vclock; /* in memory, rill_options.virtual_clock */
    bool broken; /* rill_open failed: only rill_errmsg and rill_close */
    volatile sig_atomic_t interrupted, terminated;
    struct push_writer writers[MAX_WRITERS];
    int nwriters;
    size_t pending; /* bytes pushed since the last flush */
    struct rill_sub *subs;
    /* rill_exec's text callback, for SELECT rows */
    rill_text_fn on_text;
    void *on_text_arg;
    char errmsg[600];
};

const char *rill_version(void)
{
    return RILL_VERSION;
}

const char *rill_errmsg(const struct rill *db)
{
    return db ? db->errmsg : "no engine";
}

static int code(int rc)
{
    switch (rc) {
    case 0:
        return 0;
    case ERR_NOT_FOUND:
        return RILL_ENOTFOUND;
    case ERR_EXISTS:
        return RILL_EEXISTS;
    case ERR_INVALID:
    case ERR_PARSE:
    case ERR_RANGE:
        return RILL_EINVAL;
    case ERR_TOO_LARGE:
        return RILL_ETOOLARGE;
    case ERR_TIMEOUT:
        return RILL_ETIMEOUT;
    case ERR_CLOSED:
        return RILL_ECLOSED;
    case ERR_FAILED:
    case ERR_CORRUPT:
        return RILL_EIO;
    default:
        if (rc == -EBUSY)
            return RILL_EBUSY;
        if (rc == -ENOSPC || rc == -EIO || rc == -EDQUOT)
            return RILL_EIO;
        return RILL_EINTERNAL;
    }
}

__attribute__((format(printf, 3, 4))) static int fail(struct rill *db, int rc,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(db->errmsg, sizeof db->errmsg, fmt, ap);
    va_end(ap);
    return rc;
}

static int emit_row(void *arg, const char *line, size_t len)
{
    struct rill *db = arg;
    if (db->on_text)
        db->on_text(db->on_text_arg, line, len);
    return 0;
}

/* Frees what rill_open made so far, keeping db (and its message). */
static void teardown(struct rill *db);

/* What the queries' operator state may take: the budget less the rings. */
static uint64_t state_room(void *arg)
{
    const struct rill *db = arg;
    size_t budget = mem_log_budget(db->mem), rings = mem_log_reserved(db->mem);
    return budget > rings ? budget - rings : 0;
}

/* rill_open(NULL): the log and the catalog in memory, no threads. */
static int open_memory(struct rill *db, const struct rill_options *opts)
{
    struct mem_log_options mo = {
        .budget_bytes = opts ? opts->memory_bytes : 0,
        .partition_bytes = opts ? opts->partition_bytes : 0,
    };
    if (mo.partition_bytes > 0 && mo.budget_bytes > 0 &&
        mo.partition_bytes > mo.budget_bytes) {
        db->broken = true;
        return fail(db, RILL_EINVAL, "partition_bytes above memory_bytes");
    }
    mem_log_create(&mo, &db->mem);
    mem_log_stream_log(db->mem, &db->log);
    char msg[128] = "";
    catalog_open(NULL, &db->catalog, msg, sizeof msg);
    db->until_idle = opts && opts->until_idle;
    db->vclock = opts && opts->virtual_clock;
    struct query_run_options qo = {.until_idle = db->until_idle,
                                   .workers = -1,
                                   .virtual_clock = db->vclock,
                                   .interrupted = &db->interrupted,
                                   .terminated = &db->terminated,
                                   .state_room = state_room,
                                   .state_room_arg = db,
                                   .batch_rows = 128};
    query_run_create(&qo, &db->qr);
    struct sql_exec_options o = {
        .catalog = db->catalog,
        .log = &db->log,
        .engine = &query_run_engine,
        .engine_ctx = db->qr,
        .emit = emit_row,
        .emit_arg = db,
    };
    int rc = sql_exec_create(&o, &db->exec);
    if (rc) {
        teardown(db);
        return fail(db, code(rc), "cannot start the engine: %s", err_str(rc));
    }
    return 0;
}

int rill_open(const char *dir, const struct rill_options *opts,
              struct rill **out)
{
    if (!out)
        return RILL_EINVAL;
    struct rill *db = mem_calloc(1, sizeof *db);
    *out = db;
    if (!dir)
        return open_memory(db, opts);
    if (!*dir) {
        db->broken = true;
        return fail(db, RILL_EINVAL, "no data directory");
    }
    if (opts && opts->virtual_clock) {
        db->broken = true;
        return fail(db, RILL_EINVAL,
                    "virtual_clock is for in-memory engines (rill_open with "
                    "no directory): on a data directory the queries run on "
                    "their own threads, on the wall clock");
    }
    int rc = logdir_open(dir, NULL, &db->ld);
    if (rc) {
        db->broken = true;
        return fail(db, code(rc), "cannot open %s: %s", dir,
                    rc == -EBUSY ? "in use by another rill engine or rill serve"
                                 : err_str(rc));
    }
    char msg[512] = "";
    rc = catalog_open(dir, &db->catalog, msg, sizeof msg);
    if (rc) {
        teardown(db);
        return fail(db, code(rc), "cannot read the catalog of %s: %s", dir,
                    msg[0] ? msg : err_str(rc));
    }
    local_log_init(&db->log, db->ld);
    db->until_idle = opts && opts->until_idle;
    struct query_run_options qo = {.until_idle = db->until_idle,
                                   .workers = opts ? opts->workers : 0,
                                   .interrupted = &db->interrupted,
                                   .terminated = &db->terminated};
    query_run_create(&qo, &db->qr);
    struct sql_exec_options o = {
        .catalog = db->catalog,
        .logdir = db->ld,
        .engine = &query_run_engine,
        .engine_ctx = db->qr,
        .emit = emit_row,
        .emit_arg = db,
    };
    rc = sql_exec_create(&o, &db->exec);
    if (rc) {
        teardown(db);
        return fail(db, code(rc), "cannot start the engine: %s", err_str(rc));
    }
    /* The catalog's running queries resume now, as `rill run` does. */
    struct buf b;
    buf_init(&b);
    sql_exec_resume(db->exec, &b);
    buf_fini(&b);
    return 0;
}

static void sub_free(struct rill_sub *s)
{
    if (s->held)
        stream_reader_release(s->r[s->cur]);
    for (int i = 0; i < s->n; i++)
        stream_reader_close(s->r[i]);
    mem_free(s->r);
    mem_free(s->pos);
    mem_free(s);
}

static int flush_writers(struct rill *db)
{
    int first = 0;
    for (int i = 0; i < db->nwriters; i++) {
        uint64_t lost = 0;
        int rc = stream_writer_flush(db->writers[i].w, &lost);
        if (rc && !first)
            first = fail(db, code(rc), "pushing to %s: %s (%llu records lost)",
                         db->writers[i].topic, err_str(rc),
                         (unsigned long long)lost);
    }
    db->pending = 0;
    return first;
}

static void teardown(struct rill *db)
{
    if (db->nwriters)
        flush_writers(db);
    while (db->subs) {
        struct rill_sub *sub = db->subs;
        db->subs = sub->next;
        sub_free(sub);
    }
    db->interrupted = db->terminated = 1;
    sql_exec_destroy(db->exec);
    query_run_destroy(db->qr); /* stops the queries before the log */
    for (int i = 0; i < db->nwriters; i++) {
        stream_writer_close(db->writers[i].w);
        mem_free(db->writers[i].topic);
    }
    db->nwriters = 0;
    catalog_close(db->catalog);
    logdir_close(db->ld);
    mem_log_destroy(db->mem);
    db->mem = NULL;
    db->exec = NULL;
    db->qr = NULL;
    db->catalog = NULL;
    db->ld = NULL;
    db->broken = true;
}

void rill_close(struct rill *db)
{
    if (!db)
        return;
    teardown(db);
    mem_free(db);
}

/* Calls on an engine whose rill_open failed. */
#define CHECK_OPEN(db)                                                         \
    do {                                                                       \
        if (!(db))                                                             \
            return RILL_EINVAL;                                                \
        if ((db)->broken)                                                      \
            return RILL_ECLOSED;                                               \
    } while (0)

int rill_exec(struct rill *db, const char *sql, rill_text_fn on_text, void *arg)
{
    CHECK_OPEN(db);
    if (!sql)
        return RILL_EINVAL;
    db->errmsg[0] = '\0';
    int rc = flush_writers(db);
    if (rc)
        return rc;
    struct arena arena;
    arena_init(&arena, 16384);
    struct sql_script script;
    struct sql_error perr;
    int status = 0;
    if (sql_parse_script(sql, strlen(sql), &arena, &script, &perr)) {
        status = fail(db, RILL_ESQL, "line %d, column %d: %s", perr.pos.line,
                      perr.pos.column, perr.message);
        goto out;
    }
    db->on_text = on_text;
    db->on_text_arg = arg;
    db->interrupted = 0;
    struct buf b;
    buf_init(&b);
    for (size_t i = 0; i < script.nstmts; i++) {
        struct sql_exec_error err;
        buf_reset(&b);
        rc = sql_exec_stmt(db->exec, script.stmts[i], &b, &err);
        if (b.len && on_text)
            on_text(arg, (const char *)b.data, b.len);
        if (rc) {
            snprintf(db->errmsg, sizeof db->errmsg, "%s", err.message);
            /* Limits and I/O keep their own codes; the rest is the SQL's. */
            int c = code(rc);
            status = c == RILL_ETOOLARGE || c == RILL_EIO || c == RILL_EBUSY
                         ? c
                         : RILL_ESQL;
            break;
        }
    }
    buf_fini(&b);
    db->on_text = NULL;
out:
    arena_fini(&arena);
    return status;
}

/* The topic of a stream or table, else name itself. */
static const char *topic_of(struct rill *db, const char *name)
{
    const struct catalog_relation *r = catalog_relation_find(db->catalog, name);
    return r ? r->topic : name;
}

static struct push_writer *writer_for(struct rill *db, const char *topic,
                                      int *rc)
{
    for (int i = 0; i < db->nwriters; i++)
        if (!strcmp(db->writers[i].topic, topic))
            return &db->writers[i];
    if (db->nwriters == MAX_WRITERS) {
        *rc = fail(db, RILL_ETOOLARGE, "pushing to more than %d topics",
                   MAX_WRITERS);
        return NULL;
    }
    struct stream_writer *w;
    int r = stream_log_writer(&db->log, topic, false, &w);
    if (r) {
        *rc = fail(db, code(r), "cannot push to '%s': %s", topic,
                   r == ERR_NOT_FOUND ? "no such stream or topic" : err_str(r));
        return NULL;
    }
    struct push_writer *p = &db->writers[db->nwriters++];
    p->topic = mem_strdup(topic);
    p->w = w;
    p->n = stream_writer_partitions(w);
    p->next = 0;
    return p;
}

/* rill_push and rill_push_partition: part < 0 places by key. */
static int push_to(struct rill *db, const char *stream, int part,
                   const void *key, size_t klen, const void *value, size_t vlen,
                   int64_t ts_ms)
{
    CHECK_OPEN(db);
    if (!stream || (!value && vlen))
        return RILL_EINVAL;
    int rc = 0;
    struct push_writer *p = writer_for(db, topic_of(db, stream), &rc);
    if (!p)
        return rc;
    if (part >= p->n)
        return fail(db, RILL_EINVAL, "'%s' has %d partition(s), not %d",
                    p->topic, p->n, part + 1);
    if (part < 0)
        part = key ? murmur2_partition(key, klen, p->n)
                   : (int)(p->next++ % (uint32_t)p->n);
    if (ts_ms < 0)
        ts_ms = clock_now_ms();
    rc = stream_writer_add(p->w, part, key, klen, key != NULL, value, vlen,
                           ts_ms);
    if (rc)
        return fail(db, code(rc), "cannot push to '%s': %s", p->topic,
                    err_str(rc));
    db->pending += klen + vlen + 32;
    if (db->pending >= PUSH_FLUSH_BYTES)
        return flush_writers(db);
    return 0;
}

int rill_push(struct rill *db, const char *stream, const void *key, size_t klen,
              const void *value, size_t vlen, int64_t ts_ms)
{
    return push_to(db, stream, -1, key, klen, value, vlen, ts_ms);
}

int rill_push_partition(struct rill *db, const char *stream, int partition,
                        const void *key, size_t klen, const void *value,
                        size_t vlen, int64_t ts_ms)
{
    if (partition < 0)
        return db ? fail(db, RILL_EINVAL, "partition %d", partition)
                  : RILL_EINVAL;
    return push_to(db, stream, partition, key, klen, value, vlen, ts_ms);
}

int rill_topic_create(struct rill *db, const char *name, int partitions)
{
    CHECK_OPEN(db);
    if (!name || !*name || partitions < 1 || partitions > 10000)
        return fail(db, RILL_EINVAL,
                    "a topic needs a name and 1 to 10000 "
                    "partitions");
    int rc = stream_log_create(&db->log, name, partitions);
    if (rc)
        return fail(db, code(rc), "cannot create topic '%s': %s", name,
                    rc == ERR_EXISTS ? "it exists" : err_str(rc));
    return 0;
}

/* The JSON of one value of column c, and whether it fits the type. */
static bool encode_value(struct buf *b, const struct schema_column *c,
                         const struct rill_value *v)
{
    if (v->type == RILL_NULL) {
        buf_put_str(b, "null");
        return c->nullable;
    }
    switch (c->type) {
    case SCHEMA_BOOLEAN:
        if (v->type != RILL_BOOL)
            return false;
        buf_put_str(b, v->v.b ? "true" : "false");
        return true;
    case SCHEMA_INT:
        if (v->type != RILL_INT || v->v.i < INT32_MIN || v->v.i > INT32_MAX)
            return false;
        buf_printf(b, "%lld", (long long)v->v.i);
        return true;
    case SCHEMA_BIGINT:
    case SCHEMA_TIMESTAMP:
        if (v->type != RILL_INT && v->type != RILL_TIMESTAMP)
            return false;
        buf_printf(b, "%lld", (long long)v->v.i);
        return true;
    case SCHEMA_DOUBLE: {
        double d = v->type == RILL_DOUBLE ? v->v.d
                   : v->type == RILL_INT  ? (double)v->v.i
                                          : 0;
        if (v->type != RILL_DOUBLE && v->type != RILL_INT)
            return false;
        struct value x = value_null();
        x.type = SCHEMA_DOUBLE;
        x.u.f64 = d;
        json_encode_value(b, x);
        return true;
    }
    case SCHEMA_STRING:
        if (v->type != RILL_STRING || (!v->v.s.p && v->v.s.n) ||
            !json_utf8_valid(v->v.s.p ? v->v.s.p : "", v->v.s.n))
            return false;
        json_encode_string(b, v->v.s.p ? v->v.s.p : "", v->v.s.n);
        return true;
    default:
        return false;
    }
}

int rill_push_row(struct rill *db, const char *stream,
                  const struct rill_value *values, size_t n)
{
    CHECK_OPEN(db);
    if (!stream || (!values && n))
        return RILL_EINVAL;
    const struct catalog_relation *r =
        catalog_relation_find(db->catalog, stream);
    if (!r)
        return fail(db, RILL_ENOTFOUND, "no stream '%s'", stream);
    if (strcmp(r->format, "json"))
        return fail(db, RILL_EINVAL,
                    "%s has format '%s': push its records with rill_push",
                    stream, r->format);
    const struct schema *s = &r->schema;
    if (n != (size_t)s->ncolumns)
        return fail(db, RILL_EINVAL, "%s has %d columns, the row %zu values",
                    stream, s->ncolumns, n);
    struct buf b;
    buf_init(&b);
    buf_put_u8(&b, '{');
    const void *key = NULL;
    size_t klen = 0;
    char kbuf[32];
    int64_t ts = -1;
    for (int i = 0; i < s->ncolumns; i++) {
        const struct schema_column *c = &s->columns[i];
        if (strcmp(c->path, c->name)) {
            buf_fini(&b);
            return fail(db, RILL_EINVAL,
                        "%s.%s is read from the JSON path '%s': push its "
                        "records with rill_push",
                        stream, c->name, c->path);
        }
        if (i)
            buf_put_u8(&b, ',');
        json_encode_string(&b, c->name, strlen(c->name));
        buf_put_u8(&b, ':');
        if (!encode_value(&b, c, &values[i])) {
            buf_fini(&b);
            return fail(db, RILL_EINVAL,
                        "%s.%s: the value's type (%d) does not fit the "
                        "column%s",
                        stream, c->name, values[i].type,
                        values[i].type == RILL_NULL ? " (NOT NULL)" : "");
        }
        const struct rill_value *v = &values[i];
        if (r->key && !strcasecmp(r->key, c->name) && v->type != RILL_NULL) {
            if (v->type == RILL_STRING) {
                key = v->v.s.p ? v->v.s.p : "";
                klen = v->v.s.n;
            } else if (v->type == RILL_DOUBLE) {
                int kl = snprintf(kbuf, sizeof kbuf, "%.17g", v->v.d);
                key = kbuf;
                klen = (size_t)kl;
            } else {
                int kl = snprintf(
                    kbuf, sizeof kbuf, "%lld",
                    (long long)(v->type == RILL_BOOL ? v->v.b : v->v.i));
                key = kbuf;
                klen = (size_t)kl;
            }
        }
        if (r->time_column && !strcasecmp(r->time_column, c->name) &&
            v->type != RILL_NULL)
            ts = v->v.i;
    }
    buf_put_u8(&b, '}');
    int rc = rill_push(db, stream, key, klen, b.data, b.len, ts);
    buf_fini(&b);
    return rc;
}

int rill_flush(struct rill *db)
{
    CHECK_OPEN(db);
    return flush_writers(db);
}

int rill_subscribe(struct rill *db, const char *name, int from,
                   rill_record_fn fn, void *arg, struct rill_sub **out)
{
    if (!out)
        return RILL_EINVAL;
    *out = NULL;
    CHECK_OPEN(db);
    if (!name || (from != RILL_FROM_END && from != RILL_FROM_BEGINNING))
        return RILL_EINVAL;
    const char *topic = topic_of(db, name);
    int n = stream_log_partitions(&db->log, topic);
    if (n <= 0)
        return fail(db, RILL_ENOTFOUND, "cannot subscribe to '%s': %s", name,
                    "no such stream, table or topic");
    struct rill_sub *s = mem_calloc(1, sizeof *s);
    s->db = db;
    s->fn = fn;
    s->arg = arg;
    s->n = n;
    s->r = mem_calloc((size_t)n, sizeof *s->r);
    s->pos = mem_calloc((size_t)n, sizeof *s->pos);
    for (int i = 0; i < n; i++) {
        int rc = stream_log_reader(&db->log, topic, i, 0, &s->r[i]);
        if (rc) {
            s->n = i;
            sub_free(s);
            return fail(db, code(rc), "cannot subscribe to '%s': %s", name,
                        err_str(rc));
        }
        s->pos[i] = from == RILL_FROM_END ? stream_reader_end(s->r[i])
                                          : stream_reader_start(s->r[i]);
    }
    s->next = db->subs;
    db->subs = s;
    *out = s;
    return 0;
}

void rill_unsubscribe(struct rill_sub *sub)
{
    if (!sub)
        return;
    struct rill_sub **pp = &sub->db->subs;
    while (*pp && *pp != sub)
        pp = &(*pp)->next;
    if (*pp)
        *pp = sub->next;
    sub_free(sub);
}

/* One pass over every subscription: the records delivered, or an error. */
static int poll_once(struct rill *db)
{
    int delivered = 0;
    for (struct rill_sub *s = db->subs; s; s = s->next)
        for (int i = 0; s->fn && i < s->n; i++) {
            struct stream_chunk c;
            int rc = stream_reader_read(s->r[i], s->pos[i], 1u << 20, &c);
            if (rc == ERR_RANGE) {
                s->pos[i] = stream_reader_start(s->r[i]);
                continue;
            }
            if (rc < 0)
                return fail(db, code(rc), "reading a subscription: %s",
                            err_str(rc));
            if (rc == 0)
                continue;
            struct stream_record recs[64];
            int k;
            while ((k = c.records->ops->next_many(c.records, recs, 64)) > 0)
                for (int j = 0; j < k; j++) {
                    if (recs[j].control)
                        continue;
                    struct rill_record r = {
                        .key = recs[j].key_null ? NULL : recs[j].key,
                        .key_len = recs[j].key_len,
                        .value = recs[j].value_null ? NULL : recs[j].value,
                        .value_len = recs[j].value_len,
                        .timestamp = recs[j].timestamp,
                        .partition = i,
                        .offset = recs[j].offset,
                    };
                    s->fn(s->arg, &r);
                    delivered++;
                }
            s->pos[i] = c.next_offset;
            stream_reader_release(s->r[i]);
        }
    return delivered;
}

/* In memory: steps the queries until none has work; a query that failed
 * (its state over the budget) is the error. */
static int step_all(struct rill *db)
{
    int rc;
    while ((rc = query_run_step(db->qr, 0)) > 0)
        ;
    if (rc < 0)
        return fail(db, code(rc), "%s", query_run_errmsg(db->qr));
    return 0;
}

int rill_advance(struct rill *db, int64_t now_ms)
{
    CHECK_OPEN(db);
    if (!db->mem || !db->vclock)
        return fail(db, RILL_EINVAL,
                    "rill_advance needs an in-memory engine opened with "
                    "rill_options.virtual_clock");
    int rc = flush_writers(db);
    if (rc)
        return rc;
    rc = query_run_advance(db->qr, now_ms);
    if (rc < 0)
        return fail(db, code(rc), "%s", query_run_errmsg(db->qr));
    return step_all(db);
}

/* The next record of s's held chunk, else the next chunk of any partition
 * (round robin from the one after the last): 1, 0 (nothing), or an error. */
static int pull_once(struct rill_sub *s, struct rill_record *out)
{
    for (int tries = 0; tries <= s->n;) {
        while (s->at < s->nrec) {
            const struct stream_record *r = &s->recs[s->at++];
            if (r->control)
                continue;
            *out = (struct rill_record){
                .key = r->key_null ? NULL : r->key,
                .key_len = r->key_len,
                .value = r->value_null ? NULL : r->value,
                .value_len = r->value_len,
                .timestamp = r->timestamp,
                .partition = s->cur,
                .offset = r->offset,
            };
            return 1;
        }
        if (s->held) {
            int k =
                s->chunk.records->ops->next_many(s->chunk.records, s->recs, 64);
            if (k > 0) {
                s->nrec = k;
                s->at = 0;
                continue;
            }
            s->pos[s->cur] = s->chunk.next_offset;
            stream_reader_release(s->r[s->cur]);
            s->held = false;
            s->nrec = s->at = 0;
            s->cur = (s->cur + 1) % s->n;
        }
        int rc = stream_reader_read(s->r[s->cur], s->pos[s->cur], 1u << 20,
                                    &s->chunk);
        if (rc == ERR_RANGE) {
            s->pos[s->cur] = stream_reader_start(s->r[s->cur]);
            continue;
        }
        if (rc < 0)
            return fail(s->db, code(rc), "reading a subscription: %s",
                        err_str(rc));
        if (rc == 1) {
            s->held = true;
            continue;
        }
        s->cur = (s->cur + 1) % s->n;
        tries++;
    }
    return 0;
}

int rill_sub_next(struct rill_sub *sub, struct rill_record *out, int timeout_ms)
{
    if (!sub || !out)
        return RILL_EINVAL;
    struct rill *db = sub->db;
    CHECK_OPEN(db);
    int rc = flush_writers(db);
    if (rc)
        return rc;
    int64_t deadline = clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        uint64_t seq = stream_log_append_seq(&db->log);
        rc = pull_once(sub, out);
        if (rc != 0)
            return rc;
        if (db->mem && (rc = step_all(db)) < 0)
            return rc;
        if (db->mem && (rc = pull_once(sub, out)) != 0)
            return rc;
        int64_t left = deadline - clock_mono_ms();
        if (left <= 0)
            return 0;
        stream_log_wait(&db->log, seq, db->mem && left > 10 ? 10 : left);
    }
}

int rill_poll(struct rill *db, int timeout_ms)
{
    CHECK_OPEN(db);
    int rc = flush_writers(db);
    if (rc)
        return rc;
    int64_t deadline = clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        uint64_t seq = stream_log_append_seq(&db->log);
        /* In memory, the queries run here: until they have nothing left. */
        if (db->mem && (rc = step_all(db)) < 0)
            return rc;
        int got = poll_once(db);
        if (got != 0)
            return got;
        int64_t left = deadline - clock_mono_ms();
        if (left <= 0)
            return 0;
        /* In memory nobody else appends: step again soon (timers, the
         * idle watermark) rather than wait for an append. */
        stream_log_wait(&db->log, seq, db->mem && left > 10 ? 10 : left);
    }
}

/* The first n characters of line and name are equal, '_' matching ' '. */
static bool same_name(const char *line, const char *name, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char a = line[i] == ' ' ? '_' : line[i];
        char b = name[i] == ' ' ? '_' : name[i];
        if (a != b || !a)
            return false;
    }
    return true;
}

int rill_query_counter(struct rill *db, const char *id, const char *name,
                       int64_t *value)
{
    CHECK_OPEN(db);
    if (!id || !name || !value)
        return RILL_EINVAL;
    struct buf b;
    buf_init(&b);
    int rc = query_run_engine.query_stats(db->qr, id, &b);
    if (rc) {
        buf_fini(&b);
        return fail(db, code(rc), "no query '%s' runs here", id);
    }
    buf_put_u8(&b, '\0');
    size_t nl = strlen(name);
    rc = fail(db, RILL_ENOTFOUND, "query %s has no counter '%s'", id, name);
    for (const char *l = (const char *)b.data; l && *l;) {
        while (*l == ' ')
            l++;
        if (same_name(l, name, nl) && l[nl] == ':') {
            char *end;
            long long v = strtoll(l + nl + 1, &end, 10);
            if (end != l + nl + 1) {
                *value = v;
                db->errmsg[0] = '\0';
                rc = 0;
            }
            break;
        }
        l = strchr(l, '\n');
        if (l)
            l++;
    }
    buf_fini(&b);
    /* Counters describe shows only once they are not zero. */
    if (rc == RILL_ENOTFOUND && (!strcmp(name, "records_skipped") ||
                                 !strcmp(name, "dead_letters_not_written"))) {
        *value = 0;
        db->errmsg[0] = '\0';
        rc = 0;
    }
    return rc;
}

int rill_wait(struct rill *db)
{
    CHECK_OPEN(db);
    if (!db->until_idle)
        return fail(db, RILL_EINVAL,
                    "rill_wait needs rill_options.until_idle (queries "
                    "otherwise run until rill_close)");
    int rc = flush_writers(db);
    if (rc)
        return rc;
    db->interrupted = 0;
    rc = query_run_engine.wait(db->qr);
    if (rc && *query_run_errmsg(db->qr))
        return fail(db, code(rc), "%s", query_run_errmsg(db->qr));
    return rc ? fail(db, code(rc), "a query failed: %s", err_str(rc)) : 0;
}

void rill_interrupt(struct rill *db)
{
    if (db)
        db->interrupted = 1;
}
