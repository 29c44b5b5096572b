/* query_run.c - the SQL engine on the stream runtime (layer: sql): plans a
 * query (planner.h) into the runtime's specification (query_spec), builds
 * each task's pipeline for its stage when the runtime asks, and runs the
 * engine hooks of sql_exec.h on stream/query_runtime.h.
 *
 * The runtime owns tasks, threads, watermarks, progress and dead letters;
 * this file knows SQL: statements, the catalog, error positions. Signals
 * are the cli's (query_run_options.interrupted).
 */
#include "sql/query_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"
#include "connect/local_log.h"
#include "sql/planner.h"
#include "stream/query_runtime.h"

struct query_run {
    struct query_run_options o;
    struct stream_log log;
    struct query_runtime *rt; /* made with the first statement that runs */
};

int query_run_create(const struct query_run_options *o, struct query_run **out)
{
    struct query_run *qr = mem_calloc(1, sizeof *qr);
    if (o)
        qr->o = *o;
    *out = qr;
    return 0;
}

void query_run_destroy(struct query_run *qr)
{
    if (!qr)
        return;
    query_runtime_destroy(qr->rt);
    mem_free(qr);
}

int query_run_step(struct query_run *qr, int64_t wait_ms)
{
    return qr && qr->rt ? query_runtime_step(qr->rt, wait_ms) : 0;
}

int query_run_advance(struct query_run *qr, int64_t now_ms)
{
    return qr && qr->rt ? query_runtime_advance(qr->rt, now_ms) : 0;
}

const char *query_run_errmsg(const struct query_run *qr)
{
    return qr && qr->rt ? query_runtime_errmsg(qr->rt) : "";
}

bool query_run_topic_in_use(struct query_run *qr, const char *topic)
{
    return qr && qr->rt && query_runtime_topic_in_use(qr->rt, topic);
}

/* The runtime, on the statement's log (a Kafka cluster) or logdir (the
 * same for every statement of a process). */
static struct query_runtime *runtime(struct query_run *qr, struct logdir *ld,
                                     const struct stream_log *log)
{
    if (qr->rt)
        return qr->rt;
    if (log)
        qr->log = *log;
    else
        local_log_init(&qr->log, ld);
    struct query_runtime_options o = {
        .until_idle = qr->o.until_idle,
        .idle_ms = qr->o.idle_ms,
        .durable_only = qr->o.durable_only,
        .log_events = qr->o.log_events,
        .workers = qr->o.workers,
        .virtual_clock = qr->o.virtual_clock,
        .interrupted = qr->o.interrupted,
        .state_room = qr->o.state_room,
        .state_room_arg = qr->o.state_room_arg,
    };
    query_runtime_create(&qr->log, &o, &qr->rt);
    return qr->rt;
}

/* The topic a persistent query writes (INSERT's target or WITH topic). */
static const char *sink_topic(const struct sql_query_start *q)
{
    const struct catalog_relation *r =
        catalog_relation_find(q->catalog, q->sink);
    if (r)
        return r->topic; /* INSERT INTO */
    for (size_t i = 0; q->stmt && i < q->stmt->noptions; i++)
        if (!strcasecmp(q->stmt->options[i].key, "topic"))
            return q->stmt->options[i].value;
    return q->sink;
}

/* What build() needs while the runtime builds the tasks (during start or
 * select: the statement is alive). */
struct build_ctx {
    int batch_rows; /* query_run_options.batch_rows */
    struct sql_query_start *qs;
    struct sql_exec_error *err; /* the first planning error, positioned */
};

/* One task's pipeline: the plan of the statement, keeping only its
 * stage's pipeline (the other one is freed at once). */
static int build(void *arg, int stage, const struct query_task_hooks *hooks,
                 struct query_task_plan *out, char *err, size_t errlen)
{
    struct build_ctx *b = arg;
    struct planner_hooks ph = {hooks->on_late, hooks->arg, b->batch_rows};
    struct plan *p;
    int rc = planner_build(b->qs, &ph, &p, b->err);
    if (rc) {
        snprintf(err, errlen, "%s", b->err->message);
        return rc;
    }
    memset(out, 0, sizeof *out);
    if (p->repartition && stage == 0) {
        out->pipe = p->pipe0;
        pipeline_destroy(p->pipe);
        p->pipe = NULL;
        p->wa = NULL; /* the window is stage 1's */
    } else {
        out->pipe = p->pipe;
        pipeline_destroy(p->pipe0);
        p->pipe0 = NULL;
        out->wa = p->wa;
        out->cep = p->cep;
    }
    out->handle = p;
    return 0;
}

static void release(void *arg, void *handle)
{
    (void)arg;
    plan_destroy(handle);
}

/* The runtime's specification of a planned statement. */
static void make_spec(const struct plan *p, struct sql_query_start *qs,
                      struct build_ctx *b, struct query_spec *s)
{
    memset(s, 0, sizeof *s);
    if (qs->id)
        snprintf(s->id, sizeof s->id, "%s", qs->id);
    s->persistent = qs->sink != NULL;
    snprintf(s->input_topic, sizeof s->input_topic, "%s", p->topic);
    snprintf(s->input_name, sizeof s->input_name, "%s", p->input);
    s->npartitions = p->npartitions;
    s->nextra_inputs = p->nextra_inputs;
    for (int i = 0; i < p->nextra_inputs; i++)
        snprintf(s->extra_inputs[i], sizeof s->extra_inputs[i], "%s",
                 p->extra_topics[i]);
    s->startup_latest = p->startup_latest;
    s->bounded_latest = p->bounded_latest && !qs->sink;
    s->watermark_delay_ms = p->watermark_delay_ms;
    s->idle_timeout_ms = p->idle_timeout_ms;
    s->idle_advance = p->idle_advance;
    s->guarantee = (enum query_guarantee)p->guarantee;
    s->checkpoint_interval_ms = p->checkpoint_interval_ms;
    /* OVER and MATCH_RECOGNIZE keep state too: restarts rebuild it and
     * mute what was written before, as for windows */
    s->windowed = p->windowed || p->over || p->match || p->stateful;
    s->repartition = p->repartition;
    if (p->repartition) {
        s->nrep_keys = p->wcfg_run.nkeys;
        s->rep_partitions = p->repart_partitions;
        memcpy(s->rep_keys, p->wcfg_run.keys,
               (size_t)p->wcfg_run.nkeys * sizeof s->rep_keys[0]);
        s->stage0_stateful = p->stage0_stateful;
    }
    if (s->persistent)
        snprintf(s->sink_topic, sizeof s->sink_topic, "%s", sink_topic(qs));
    s->nkey_columns = p->nkey_columns;
    memcpy(s->key_columns, p->key_columns,
           (size_t)p->nkey_columns * sizeof s->key_columns[0]);
    snprintf(s->late_topic, sizeof s->late_topic, "%s", p->late_topic);
    s->late_create = p->late_create;
    s->limit = p->limit;
    s->emit = qs->emit;
    s->emit_arg = qs->emit_arg;
    s->cancel = qs->cancel;
    b->qs = qs;
    s->build = build;
    s->release = release;
    s->build_arg = b;
}

/* Plans qs once for its shape; fills the spec. */
static int plan_spec(struct sql_query_start *qs, struct build_ctx *b,
                     struct query_spec *s, struct sql_exec_error *err)
{
    struct plan *shape;
    int rc = planner_build(qs, NULL, &shape, err);
    if (rc)
        return rc;
    b->err = err;
    make_spec(shape, qs, b, s);
    qs->out_schema = shape->out_schema;
    plan_destroy(shape);
    return 0;
}

/* A runtime error (not about a position in the statement). */
static int fail(struct sql_exec_error *err, int rc, const char *msg)
{
    if (msg != err->message)
        snprintf(err->message, sizeof err->message, "%s", msg);
    err->pos.line = 0;
    return rc;
}

static int eng_start(void *ctx, struct sql_query_start *qs,
                     struct sql_exec_error *err)
{
    struct query_run *qr = ctx;
    struct build_ctx b = {.batch_rows = qr->o.batch_rows};
    struct query_spec s;
    int rc = plan_spec(qs, &b, &s, err);
    if (rc)
        return rc;
    char msg[sizeof err->message];
    rc = query_runtime_start(runtime(qr, qs->logdir, qs->log), &s, msg,
                             sizeof msg);
    return rc ? fail(err, rc, msg) : 0;
}

static int eng_stop(void *ctx, const char *id)
{
    struct query_run *qr = ctx;
    return qr->rt ? query_runtime_stop(qr->rt, id) : ERR_NOT_FOUND;
}

static void no_op(void *arg)
{
    (void)arg;
}

static int eng_select(void *ctx, struct sql_query_start *qs,
                      struct sql_exec_error *err)
{
    struct query_run *qr = ctx;
    struct build_ctx b = {.batch_rows = qr->o.batch_rows};
    struct query_spec s;
    int rc = plan_spec(qs, &b, &s, err);
    if (rc)
        return rc;
    char msg[sizeof err->message];
    struct query_runtime *rt = runtime(qr, qs->logdir, qs->log);
    if (qs->cancel) {
        /* A server session: other statements may run meanwhile; the
         * session's watcher sets *cancel. */
        rc = query_runtime_select(rt, &s, qs->detach ? qs->detach : no_op,
                                  qs->attach ? qs->attach : no_op,
                                  qs->detach_arg, msg, sizeof msg);
    } else {
        /* A new statement: an interrupt of an earlier one is over. */
        if (qr->o.interrupted)
            *qr->o.interrupted = 0;
        rc = query_runtime_select(rt, &s, NULL, NULL, NULL, msg, sizeof msg);
    }
    if (rc) {
        fail(err, rc, msg);
        err->pos = qs->select->pos;
    }
    return rc;
}

static int eng_explain(void *ctx, struct sql_query_start *q, struct buf *out,
                       struct sql_exec_error *err)
{
    (void)ctx;
    struct plan *p;
    int rc = planner_build(q, NULL, &p, err);
    if (rc)
        return rc;
    plan_explain(p, out);
    plan_destroy(p);
    return 0;
}

static int eng_stats(void *ctx, const char *id, struct buf *out)
{
    struct query_run *qr = ctx;
    return qr->rt ? query_runtime_stats(qr->rt, id, out) : ERR_NOT_FOUND;
}

static int eng_info(void *ctx, const char *id, struct query_info *out)
{
    struct query_run *qr = ctx;
    return qr->rt ? query_runtime_info(qr->rt, id, out) : ERR_NOT_FOUND;
}

static int eng_halt(void *ctx, const char *id)
{
    struct query_run *qr = ctx;
    return qr->rt ? query_runtime_halt(qr->rt, id) : ERR_NOT_FOUND;
}

static int eng_wait(void *ctx)
{
    struct query_run *qr = ctx;
    if (!qr || !qr->rt)
        return 0;
    /* SIGINT during an earlier SELECT ended that SELECT only; SIGTERM
     * ends the wait too. */
    if (qr->o.interrupted)
        *qr->o.interrupted = qr->o.terminated && *qr->o.terminated;
    int rc = query_runtime_wait(qr->rt);
    return rc;
}

const struct sql_engine_ops query_run_engine = {
    .start_query = eng_start,
    .stop_query = eng_stop,
    .run_select = eng_select,
    .explain = eng_explain,
    .query_stats = eng_stats,
    .query_info = eng_info,
    .halt_query = eng_halt,
    .wait = eng_wait,
};
