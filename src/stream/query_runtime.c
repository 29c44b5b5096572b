/* query_runtime.c - the stream runtime: queries as sets of tasks
 * (query_task.c), where they run, and the runtime's entry points
 * (query_runtime.h) (layer: stream).
 *
 * A query is a set of tasks. Stage 0 has one task per partition of the
 * input topic; a plan that repartitions (planner.h) adds stage 1, one
 * task per partition of its repartition topic. Tasks of a query share
 * nothing mutable but single-writer atomics: stage 0's watermark board and
 * the published offsets and watermarks the progress file is made of.
 * Persistent queries' tasks run on the worker threads (stream/worker.h);
 * a transient SELECT steps its tasks in the session's thread; on the
 * virtual clock a query's own thread steps them in stamp order.
 *
 * Virtual clock (options.virtual_clock, for golden tests): processing
 * time is not the wall clock but the arrival time stamped on each record
 * batch (its max Kafka timestamp). Each pass pushes one batch: the next
 * one, over every stage-0 task, with the earliest stamp (ties: the lower
 * partition), at that time; then every stage-0 task ticks and publishes,
 * then every one takes the new minimum, then stage 1 drains. So
 * watermarks, idle timeouts and emission follow the order and stamps the
 * producer gave, whatever the machine's speed (docs/testing.md).
 */
#include "stream/query_runtime_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/hashmap.h"
#include "base/mem.h"

#define MAX_QUERIES 256

struct query_runtime {
    struct query_runtime_options o;
    struct stream_log log; /* every query's back end */
    /* Topics running queries use (name -> count), for
     * query_run_topic_in_use from other threads. */
    pthread_mutex_t topics_mu;
    struct hashmap topics;
    struct worker_pool *pool;   /* created with the first pooled query */
    struct stream_log pool_log; /* whose appends wake the pool */
    struct query *queries[MAX_QUERIES];
    int nqueries;
    unsigned transient_seq;
    char errmsg[512]; /* query_runtime_errmsg */
    int since_room;   /* busy steps since the last check_state_room */
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- a query's own loop (transient, bounded, virtual clock) ---- */

/* Stage 1 reads what stage 0 wrote, until it is all read. */
static int drain_stage1(struct query *q, int64_t now)
{
    bool again = true;
    while (again) {
        again = false;
        for (int i = q->n0; i < q->ntasks; i++) {
            struct task *k = q->tasks[i];
            int64_t nx;
            int rc = query_task_read(k, false, &nx, NULL);
            if (rc < 0)
                return rc;
            if (rc == 0)
                continue;
            rc = query_task_push(k, nx, now);
            query_task_publish_wm(k);
            if (rc)
                return rc;
            again = true;
        }
    }
    return 0;
}

/* Virtual clock, no input: every stage-0 task ticks at vnow (idleness,
 * watermarks), then settles; stage 1 drains. */
static int pass_quiet(struct query *q)
{
    int rc = 0;
    for (int i = 0; i < q->n0 && !rc; i++) {
        struct task *t = q->tasks[i];
        rc = pipeline_tick(t->pipe, q->vnow);
        query_task_publish_board(t);
    }
    for (int i = 0; i < q->n0 && !rc; i++) {
        struct task *t = q->tasks[i];
        rc = query_task_settle(t);
        query_task_flush(t);
        query_task_publish_wm(t);
        query_task_publish(t);
    }
    if (!rc && q->repartition)
        rc = drain_stage1(q, q->vnow);
    return rc;
}

/* A virtual-clock pass: the earliest-stamped next batch over stage 0,
 * pushed at its stamp; every stage-0 task ticks, then settles; stage 1
 * drains. Returns 1 (pushed), 0 (nothing) or a negative error. */
static int pass_virtual(struct query *q)
{
    int64_t nx, ts, best_ts = INT64_MAX;
    int best = -1;
    for (int i = 0; i < q->n0; i++) {
        int rc = query_task_read(q->tasks[i], true, &nx, &ts);
        if (rc < 0)
            return rc;
        if (rc == 1 && ts < best_ts) {
            best_ts = ts;
            best = i;
        }
    }
    if (best < 0)
        return 0;
    struct task *k = q->tasks[best];
    int rc = query_task_read(k, true, &nx, &ts);
    if (rc <= 0)
        return rc;
    /* Every input was quiet for the idle timeout before this batch: the
     * time in between passes first (idleness; the watermark follows the
     * clock with 'watermark.idle-advance'), as it would have live. */
    const struct query_spec *p0 = &q->spec;
    if (p0->idle_advance && p0->idle_timeout_ms > 0 && q->vlast != INT64_MIN &&
        ts - q->vlast >= p0->idle_timeout_ms) {
        q->vnow = ts > q->vnow ? ts : q->vnow;
        if ((rc = pass_quiet(q)))
            return rc;
        rc = query_task_read(k, true, &nx, &ts);
        if (rc <= 0)
            return rc;
    }
    if (ts > q->vnow)
        q->vnow = ts;
    q->vlast = q->vnow;
    if ((rc = query_task_push(k, nx, q->vnow)))
        return rc;
    /* Input dry until the next batch: idleness and watermarks of every
     * task at vnow, then the new minimum everywhere. */
    for (int i = 0; i < q->n0; i++) {
        struct task *t = q->tasks[i];
        rc = pipeline_tick(t->pipe, q->vnow);
        query_task_publish_board(t);
        if (rc)
            return rc;
    }
    for (int i = 0; i < q->n0; i++) {
        struct task *t = q->tasks[i];
        rc = query_task_settle(t);
        query_task_flush(t);
        query_task_publish_wm(t);
        query_task_publish(t);
        if (rc)
            return rc;
    }
    if (q->repartition && (rc = drain_stage1(q, q->vnow)))
        return rc;
    return 1;
}

static int query_error(const struct query *q)
{
    for (int i = 0; i < q->ntasks; i++)
        if (q->tasks[i]->error)
            return q->tasks[i]->error;
    return 0;
}

/* Bounded input is over: stage 0 ends (every window fires), stage 1 reads
 * the rest and ends (its watermark jumps to the end of time). */
static int query_end(struct query *q)
{
    int rc = 0;
    /* Exactly-once: the state before the end of input is the one to
     * restore (a later run with more data completes those windows). */
    for (int i = 0; q->eo && i < q->ntasks && !rc; i++)
        rc = checkpoint_task_due(q->tasks[i], clock_mono_ms(), true);
    for (int s = 0; s < 2; s++) {
        if (s == 1 && q->repartition && !rc)
            rc = drain_stage1(q, query_task_now(q));
        for (int i = 0; i < q->ntasks; i++) {
            struct task *k = q->tasks[i];
            if (k->stage != s)
                continue;
            /* No end-of-time marker: it would stay in the repartition
             * topic and close every window of a later run at once;
             * stage 1 ends its own input below. */
            int r = pipeline_end_of_input(k->pipe);
            query_task_flush(k);
            if (!r)
                r = checkpoint_task_release(k);
            k->ended = true;
            query_task_publish(k);
            rc = rc ? rc : r;
        }
    }
    return rc;
}

/* Bounded mode: whether q's input is over after `quiet` ms without a
 * read. Quiet for idle ms is not enough: a task behind its partition's end
 * (a slow fetch from a cluster, a loaded machine) is lagging, not idle,
 * and ending then would leave its records out. Past IDLE_GIVE_UP times
 * idle with no read at all the query ends anyway, and says how much it
 * left unread. */
#define IDLE_GIVE_UP 40
static bool input_over(struct query *q, int64_t quiet, int64_t idle)
{
    if (quiet < idle)
        return false;
    int64_t behind = 0;
    for (int i = 0; i < q->ntasks; i++) {
        const struct task *k = q->tasks[i];
        for (int s = 0; s < k->nins; s++)
            if (k->ins[s]) {
                int64_t end = stream_reader_end(k->ins[s]);
                int64_t nx = atomic_load(&k->pub.next[s]);
                if (end > nx)
                    behind += end - nx;
            }
    }
    if (!behind)
        return true;
    if (quiet < IDLE_GIVE_UP * idle)
        return false;
    diag_warn("query %s: ends its bounded run with %lld record(s) unread: "
              "no read for %lld ms",
              q->id, (long long)behind, (long long)quiet);
    return true;
}

/* spec.bounded_latest: every stage-0 task has read its inputs up to the
 * end offsets they had at the start. */
static bool caught_up(const struct query *q)
{
    for (int i = 0; i < q->ntasks; i++) {
        const struct task *k = q->tasks[i];
        for (int s = 0; k->stage == 0 && s < k->nins; s++)
            if (k->ins[s] && k->nexts[s] < k->bounds[s])
                return false;
    }
    return true;
}

/* Steps every task of q in this thread until stop, LIMIT, an interrupt
 * (transient), idleness in bounded mode, or the start's end offsets
 * ('scan.bounded.mode'). */
static int query_loop(struct query *q, bool transient)
{
    int64_t last = clock_mono_ms();
    int64_t idle = q->rt->o.idle_ms > 0 ? q->rt->o.idle_ms : 500;
    int rc = 0;
    while (!atomic_load(&q->stop) && !q->done &&
           !(transient && (q->cancel ? atomic_load(q->cancel)
                                     : q->interrupted && *q->interrupted))) {
        /* Taken before the pass: an append after it ends the wait below. */
        uint64_t seq = stream_log_append_seq(&q->log);
        int64_t now = clock_mono_ms();
        int64_t due = now + TICK_MS;
        int got = 0;
        if (q->vclock) {
            got = pass_virtual(q);
            if (got < 0) {
                rc = got;
                break;
            }
            if (!got) {
                for (int i = 0; i < q->ntasks && !rc; i++)
                    rc = query_task_tick(q->tasks[i], q->vnow);
                if (rc)
                    break;
            }
        } else {
            for (int i = 0; i < q->ntasks; i++)
                got += query_task_step(q->tasks[i], now, &due);
        }
        if ((rc = query_error(q)))
            break;
        if (got > 0) {
            last = clock_mono_ms();
            if (q->persistent && last - q->last_save >= 1000)
                query_task_progress_save(q, query_task_progress_wm(q));
            continue;
        }
        if ((q->rt->o.until_idle &&
             input_over(q, clock_mono_ms() - last, idle)) ||
            (q->spec.bounded_latest && caught_up(q))) {
            /* Recorded before the end of input fires every window, so a
             * restart with more data does not mute later windows. */
            if (q->persistent)
                query_task_progress_save(q, query_task_progress_wm(q));
            rc = query_end(q);
            q->error = rc;
            atomic_store(&q->finished, true);
            return rc;
        }
        int64_t wait = due - clock_mono_ms();
        stream_log_wait(&q->log, seq, wait < 1 ? 1 : wait);
    }
    if (q->persistent && !rc)
        query_task_progress_save(q, query_task_progress_wm(q));
    q->error = rc;
    atomic_store(&q->finished, true);
    return rc;
}

static void *query_thread(void *arg)
{
    query_loop(arg, false);
    return NULL;
}

/* ---- queries ---- */

static void topics_change(struct query_runtime *qr, const char *name, int by)
{
    size_t n = strlen(name);
    pthread_mutex_lock(&qr->topics_mu);
    uintptr_t c = (uintptr_t)hashmap_get(&qr->topics, name, n);
    c = by > 0 ? c + 1 : c - 1;
    if (c)
        hashmap_put(&qr->topics, name, n, (void *)c);
    else
        hashmap_remove(&qr->topics, name, n);
    pthread_mutex_unlock(&qr->topics_mu);
}

/* Records the topics q reads and writes as in use. */
static void query_hold_topics(struct query *q)
{
    const struct query_spec *p = &q->spec;
    char dlq[QUERY_SPEC_NAME_MAX + 8];
    snprintf(dlq, sizeof dlq, "%s.dlq", p->input_name);
    const char *names[4 + PIPELINE_MAX_SOURCES] = {
        p->persistent ? p->sink_topic : NULL,
        p->late_topic[0] ? p->late_topic : NULL,
        q->repartition ? q->repart_topic : NULL, dlq, p->input_topic};
    for (int s = 0; s < p->nextra_inputs; s++)
        names[5 + s] = p->extra_inputs[s];
    for (int i = 0; i < 4 + PIPELINE_MAX_SOURCES; i++)
        if (names[i] && names[i][0]) {
            snprintf(q->held[q->nheld], sizeof q->held[0], "%s", names[i]);
            topics_change(q->rt, q->held[q->nheld++], 1);
        }
}

bool query_runtime_topic_in_use(struct query_runtime *qr, const char *topic)
{
    if (!qr || !topic)
        return false;
    pthread_mutex_lock(&qr->topics_mu);
    bool used = hashmap_get_str(&qr->topics, topic) != NULL;
    pthread_mutex_unlock(&qr->topics_mu);
    return used;
}

static void query_destroy(struct query *q)
{
    if (!q)
        return;
    for (int i = 0; i < q->nheld; i++)
        topics_change(q->rt, q->held[i], -1);
    for (int i = 0; i < q->ntasks; i++)
        query_task_destroy(q->tasks[i]);
    mem_free(q->tasks);
    mem_free(q->board_wm);
    mem_free(q->board_idle);
    mem_free(q->pub_next);
    mem_free(q->pub_wm);
    mem_free(q->rep_floor);
    for (int kind = 0; kind < 2; kind++)
        for (int i = 0; i < QUERY_SAMPLES; i++)
            mem_free(q->samples[kind].item[i]);
    pthread_mutex_destroy(&q->rate_mu);
    mem_free(q);
}

/* The repartition topic of a plan, with one partition per stage-1 task.
 * A transient SELECT's is its own, new each time. */
static int repart_topic_open(struct query *q, bool fresh, char *err,
                             size_t errlen)
{
    const char *name = q->repart_topic;
    int n = stream_log_partitions(&q->log, name);
    /* A global aggregate's rows all go to partition 0, so a topic with
     * more partitions (made before such plans had one) still serves. */
    if (n >= 0 && (fresh || (n != q->n1 && q->n1 != 1))) {
        stream_log_delete(&q->log, name);
        n = ERR_NOT_FOUND;
    }
    if (n == ERR_NOT_FOUND) {
        int rc = stream_log_create(&q->log, name, q->n1);
        if (rc && rc != ERR_EXISTS)
            return query_task_fail(err, errlen, rc,
                                   "create the repartition topic", name);
    }
    return 0;
}

static int query_create(struct query_runtime *qr, const struct query_spec *sp,
                        struct query **out, char *err, size_t errlen)
{
    struct query *q = mem_calloc(1, sizeof *q);
    q->rt = qr;
    q->spec = *sp;
    q->log = qr->log;
    q->mute_wm = INT64_MIN;
    q->durable_only = qr->o.durable_only;
    q->emit = sp->emit;
    q->emit_arg = sp->emit_arg;
    q->persistent = sp->persistent;
    q->log_events = sp->persistent && qr->o.log_events;
    q->stall_ms = 60000;
    const char *stall = getenv("RILL_WATERMARK_STALL_MS");
    if (stall && atoll(stall) > 0)
        q->stall_ms = atoll(stall);
    q->stall_wm = INT64_MIN;
    q->stall_since = clock_mono_ms();
    pthread_mutex_init(&q->rate_mu, NULL);
    q->cancel = sp->cancel;
    q->interrupted = qr->o.interrupted;
    q->vclock = qr->o.virtual_clock;
    q->bounded = qr->o.until_idle;
    q->vlast = INT64_MIN;
    if (sp->id[0])
        snprintf(q->id, sizeof q->id, "%s", sp->id);
    else
        snprintf(q->id, sizeof q->id, "select-%d-%u", (int)getpid(),
                 qr->transient_seq++);
    snprintf(q->repart_topic, sizeof q->repart_topic, "%s-repartition", q->id);
    q->in_topic = q->spec.input_topic;
    q->dlq_id = sp->id[0] ? q->id : "select";
    q->n0 = sp->npartitions > 0 ? sp->npartitions : 1;
    q->repartition = sp->repartition;
    q->windowed = sp->windowed;
    q->n1 = !q->repartition          ? 0
            : sp->rep_partitions > 0 ? sp->rep_partitions
                                     : q->n0;
    q->ntasks = q->n0 + q->n1;
    if (sp->nextra_inputs < 0 || sp->nextra_inputs >= PIPELINE_MAX_SOURCES) {
        snprintf(err, errlen, "a task reads at most %d inputs",
                 PIPELINE_MAX_SOURCES);
        pthread_mutex_destroy(&q->rate_mu);
        mem_free(q);
        return ERR_INVALID;
    }
    q->nslots = q->n0 * (1 + sp->nextra_inputs);
    q->tasks = mem_calloc((size_t)q->ntasks, sizeof *q->tasks);
    q->board_wm = mem_calloc((size_t)q->nslots, sizeof *q->board_wm);
    q->board_idle = mem_calloc((size_t)q->nslots, sizeof *q->board_idle);
    q->pub_next = mem_calloc((size_t)q->nslots, sizeof *q->pub_next);
    q->pub_wm = mem_calloc((size_t)(q->n1 ? q->n1 : q->n0), sizeof *q->pub_wm);
    for (int i = 0; i < q->nslots; i++)
        atomic_store(&q->board_wm[i], WATERMARK_NONE);
    for (int i = 0; i < (q->n1 ? q->n1 : q->n0); i++)
        atomic_store(&q->pub_wm[i], WATERMARK_NONE);
    int rc = 0;
    if (q->repartition &&
        (rc = repart_topic_open(q, !sp->persistent, err, errlen)))
        goto fail;
    int made = 0;
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < (s ? q->n1 : q->n0); i++) {
            struct task *t;
            rc = query_task_create(q, s, i, &t, err, errlen);
            if (rc) {
                q->ntasks = made;
                goto fail;
            }
            q->tasks[made++] = t;
        }
    bool restored = false;
    if ((rc = checkpoint_query_start(q, &restored, err, errlen)))
        goto fail;
    for (int i = 0; i < q->nslots; i++)
        atomic_store(&q->pub_next[i], q->tasks[i % q->n0]->nexts[i / q->n0]);
    if (q->persistent && !restored)
        query_task_progress_load(q);
    for (int i = 0; i < q->ntasks; i++)
        for (int s = 0; s < q->tasks[i]->nins; s++)
            atomic_store(&q->tasks[i]->pub.next[s], q->tasks[i]->nexts[s]);
    query_hold_topics(q);
    *out = q;
    return 0;
fail:
    query_destroy(q);
    return rc;
}

/* ---- the runtime's entry points ---- */

int query_runtime_create(const struct stream_log *log,
                         const struct query_runtime_options *o,
                         struct query_runtime **out)
{
    struct query_runtime *qr = mem_calloc(1, sizeof *qr);
    qr->log = *log;
    if (o)
        qr->o = *o;
    pthread_mutex_init(&qr->topics_mu, NULL);
    hashmap_init(&qr->topics);
    *out = qr;
    return 0;
}

/* Stops q's tasks (they are no longer stepped when this returns) and
 * records its progress. */
static void query_stop(struct query_runtime *qr, struct query *q)
{
    atomic_store(&q->stop, true);
    if (q->threaded)
        pthread_join(q->thread, NULL);
    if (q->pooled || q->caller) {
        for (int i = 0; q->pooled && i < q->ntasks; i++)
            worker_pool_remove(qr->pool, &q->tasks[i]->wt);
        /* Exactly-once: a last checkpoint, so a restart replays nothing. */
        for (int i = 0; q->eo && i < q->ntasks; i++)
            if (!q->tasks[i]->error &&
                checkpoint_task_due(q->tasks[i], clock_mono_ms(), true))
                q->tasks[i]->error = ERR_FAILED;
        if (q->persistent && !query_error(q))
            query_task_progress_save(q, query_task_progress_wm(q));
    }
}

void query_runtime_destroy(struct query_runtime *qr)
{
    if (!qr)
        return;
    for (int i = 0; i < qr->nqueries; i++) {
        query_stop(qr, qr->queries[i]);
        query_destroy(qr->queries[i]);
    }
    worker_pool_destroy(qr->pool);
    hashmap_fini(&qr->topics);
    pthread_mutex_destroy(&qr->topics_mu);
    mem_free(qr);
}

int query_runtime_start(struct query_runtime *qr, const struct query_spec *sp,
                        char *err, size_t errlen)
{
    if (qr->nqueries >= MAX_QUERIES) {
        snprintf(err, errlen, "too many running queries (%d)", MAX_QUERIES);
        return ERR_TOO_LARGE;
    }
    struct query *q;
    int rc = query_create(qr, sp, &q, err, errlen);
    if (rc)
        return rc;
    if (q->vclock && qr->o.workers < 0) {
        q->caller = true; /* query_runtime_step: stamp order, this thread */
    } else if (q->vclock) {
        /* Virtual clock: one thread steps every task in stamp order. */
        if (pthread_create(&q->thread, NULL, query_thread, q)) {
            snprintf(err, errlen, "cannot start a thread");
            query_destroy(q);
            return ERR_FAILED;
        }
        q->threaded = true;
    } else if (qr->o.workers < 0) {
        q->caller = true; /* query_runtime_step steps it */
    } else {
        if (!qr->pool &&
            worker_pool_create(qr->o.workers, &qr->log, TICK_MS, &qr->pool)) {
            snprintf(err, errlen, "cannot start the worker threads");
            query_destroy(q);
            return ERR_FAILED;
        }
        q->pooled = true;
        for (int i = 0; i < q->ntasks; i++) {
            q->tasks[i]->wt.step = query_task_step;
            q->tasks[i]->wt.arg = q->tasks[i];
            worker_pool_add(qr->pool, &q->tasks[i]->wt);
        }
    }
    qr->queries[qr->nqueries++] = q;
    if (q->log_events) {
        struct diag_kv kv[] = {{"query", q->id, 0},
                               {"input", q->in_topic, 0},
                               {"sink", q->spec.sink_topic, 0},
                               {"tasks", NULL, q->ntasks}};
        diag_event(DIAG_INFO, "query_start", kv, 4,
                   "query %s started: %s -> %s, %d tasks", q->id, q->in_topic,
                   q->spec.sink_topic, q->ntasks);
    }
    return 0;
}

static void log_stop(const struct query *q, const char *how)
{
    if (!q->log_events)
        return;
    struct diag_kv kv[] = {{"query", q->id, 0}, {"how", how, 0}};
    diag_event(DIAG_INFO, "query_stop", kv, 2, "query %s stopped (%s)", q->id,
               how);
}

static int find_query(struct query_runtime *qr, const char *id)
{
    for (int i = 0; i < qr->nqueries; i++)
        if (!strcasecmp(qr->queries[i]->id, id))
            return i;
    return ERR_NOT_FOUND;
}

struct query *query_runtime_find(struct query_runtime *qr, const char *id)
{
    int i = find_query(qr, id);
    return i < 0 ? NULL : qr->queries[i];
}

int query_runtime_error(const struct query *q)
{
    return query_error(q);
}

int query_runtime_halt(struct query_runtime *qr, const char *id)
{
    int i = find_query(qr, id);
    if (i < 0)
        return i;
    struct query *q = qr->queries[i];
    query_stop(qr, q); /* saves its progress */
    log_stop(q, "STOP QUERY: kept");
    query_destroy(q);
    qr->queries[i] = qr->queries[--qr->nqueries];
    return 0;
}

int query_runtime_stop(struct query_runtime *qr, const char *id)
{
    int i = find_query(qr, id);
    if (i < 0)
        return i;
    struct query *q = qr->queries[i];
    query_stop(qr, q);
    log_stop(q, "DROP QUERY");
    /* DROP QUERY: its repartition topic goes with it. */
    char name[256];
    snprintf(name, sizeof name, "%s", q->repart_topic);
    struct stream_log log = q->log;
    bool rep = q->repartition;
    query_destroy(q);
    if (rep)
        stream_log_delete(&log, name);
    checkpoint_query_forget(&log, id);
    qr->queries[i] = qr->queries[--qr->nqueries];
    return 0;
}

/* A transient SELECT writes no dead letters (no side effects): it says
 * how many records did not decode and where the first one is. */
static void report_dead_letters(const struct query *q)
{
    uint64_t n = 0;
    const struct task *first = NULL;
    for (int i = 0; i < q->ntasks; i++) {
        const struct task *k = q->tasks[i];
        n += k->dead_letters;
        if (k->dead_letters && !first)
            first = k;
    }
    if (!first)
        return;
    diag_warn("%" PRIu64 " record(s) of %s did not decode and were skipped "
              "(a SELECT writes no dead letters); the first: partition %d "
              "offset %" PRId64 "%s: %s",
              n, q->in_topic, first->first_dead_partition,
              first->first_dead_offset,
              first->stage ? " of the repartition topic" : "",
              first->first_dead_reason);
}

int query_runtime_select(struct query_runtime *qr, const struct query_spec *sp,
                         void (*detach)(void *), void (*attach)(void *),
                         void *arg, char *err, size_t errlen)
{
    struct query *q;
    int rc = query_create(qr, sp, &q, err, errlen);
    if (rc)
        return rc;
    /* Other statements may run meanwhile (a server session). */
    if (detach)
        detach(arg);
    rc = query_loop(q, true);
    if (rc)
        snprintf(err, errlen, "query failed: %s", err_str(rc));
    report_dead_letters(q);
    bool rep = q->repartition;
    char name[256];
    snprintf(name, sizeof name, "%s", q->repart_topic);
    struct stream_log log = q->log;
    query_destroy(q);
    if (rep)
        stream_log_delete(&log, name);
    if (attach)
        attach(arg);
    return rc;
}

int query_runtime_stats(struct query_runtime *qr, const char *id,
                        struct buf *out)
{
    struct query_info qi;
    int rc = query_runtime_info(qr, id, &qi);
    if (rc)
        return rc;
    buf_printf(out, "records in: %" PRIu64 "\n", qi.records_in);
    buf_printf(out, "lag: %" PRId64 " records", qi.lag[0]);
    if (qi.repartition)
        buf_printf(out, " (input), %" PRId64 " (repartition topic)", qi.lag[1]);
    buf_printf(out, "\n");
    buf_printf(out, "rows in: %" PRIu64 "\n", qi.rows_in);
    buf_printf(out, "rows out: %" PRIu64 "\n", qi.rows_out);
    buf_printf(out, "dead letters: %" PRIu64 "\n", qi.dead_letters);
    if (qi.dlq_errors)
        buf_printf(out, "dead letters not written: %" PRIu64 "\n",
                   qi.dlq_errors);
    if (qi.records_skipped)
        buf_printf(out,
                   "records skipped: %" PRIu64 " (the log dropped them "
                   "before they were read)\n",
                   qi.records_skipped);
    buf_printf(out, "corrupt batches: %" PRIu64 "\n", qi.corrupt_batches);
    buf_printf(out, "late rows: %" PRIu64 "\n", qi.late_rows);
    for (int p = 0; p < qi.nlate_partitions; p++)
        if (qi.late_partition[p])
            buf_printf(out, "late rows partition %d: %" PRIu64 "\n", p,
                       qi.late_partition[p]);
    if (qi.windowed)
        buf_printf(out, "windows fired: %" PRIu64 "\n", qi.windows_fired);
    if (qi.watermark == INT64_MIN) {
        buf_printf(out, "watermark: none\n");
    } else {
        char iso[40];
        query_info_format_time(qi.watermark, iso, sizeof iso);
        buf_printf(out, "watermark: %s (%" PRId64 " ms behind the clock)\n",
                   iso, qi.now_ms - qi.watermark);
    }
    buf_printf(out, "write errors: %" PRIu64 "\n", qi.write_errors);
    if (qi.muted)
        buf_printf(out, "rows muted on restart: %" PRIu64 "\n", qi.muted);
    buf_printf(out, "tasks: %d", qi.n0);
    if (qi.repartition)
        buf_printf(out, " + %d after the repartition topic %s-repartition",
                   qi.n1, id);
    buf_printf(out, "\n");
    uint64_t st_entries = 0, st_bytes = 0;
    bool stateful = false;
    for (int i = 0; i < qi.nops; i++) {
        const struct query_info_op *op = &qi.ops[i];
        stateful |= op->stateful;
        st_entries += op->state_entries;
        st_bytes += op->state_bytes;
        buf_printf(out,
                   "operator %d %s%s: %" PRIu64 " rows in, %" PRIu64 " out",
                   i + 1, op->name, op->stage ? " (stage 1)" : "", op->rows_in,
                   op->rows_out);
        if (op->stateful)
            buf_printf(out, ", state %" PRIu64 " entries, %" PRIu64 " bytes",
                       op->state_entries, op->state_bytes);
        buf_printf(out, "\n");
    }
    if (stateful) /* every operator's, summed (librill: "state_bytes") */
        buf_printf(out,
                   "state entries: %" PRIu64 "\nstate bytes: %" PRIu64 "\n",
                   st_entries, st_bytes);
    struct query *q = query_runtime_find(qr, id);
    if (q)
        checkpoint_describe(q, out);
    buf_printf(out, "state: %s\n", qi.running ? "running" : "finished");
    query_info_fini(&qi);
    return 0;
}

/* Bounded mode on the worker threads: once no task of q read anything
 * for idle ms, q's tasks are taken off the workers and its input ends
 * here, in the waiting thread (which then owns every task). */
static void end_if_idle(struct query_runtime *qr, struct query *q, int64_t idle)
{
    int64_t now = clock_mono_ms(), quiet = INT64_MAX;
    for (int i = 0; i < q->ntasks; i++) {
        int64_t t = now - atomic_load(&q->tasks[i]->last_input);
        if (t < idle)
            return;
        quiet = t < quiet ? t : quiet;
    }
    if (!input_over(q, quiet, idle))
        return;
    for (int i = 0; q->pooled && i < q->ntasks; i++)
        worker_pool_remove(qr->pool, &q->tasks[i]->wt);
    q->pooled = false;
    q->caller = false;
    int rc = query_error(q);
    if (!rc) {
        /* Recorded before the end of input fires every window, so a
         * restart with more data does not mute later windows. */
        if (q->persistent)
            query_task_progress_save(q, query_task_progress_wm(q));
        rc = query_end(q);
    }
    q->error = rc;
    atomic_store(&q->finished, true);
}

/* Stops q (its tasks fail with rc) and says why in qr->errmsg. */
static int fail_query(struct query_runtime *qr, struct query *q, int rc,
                      const char *why)
{
    snprintf(qr->errmsg, sizeof qr->errmsg, "query %s stopped: %s", q->id, why);
    for (int i = 0; i < q->ntasks; i++)
        if (!q->tasks[i]->error)
            query_task_failed(q->tasks[i], rc);
    return rc;
}

/* The bytes q's operators hold now (caller-stepped: this thread owns
 * every task). */
static uint64_t query_state_bytes(const struct query *q)
{
    uint64_t n = 0;
    for (int i = 0; i < q->ntasks; i++)
        for (const struct operator_node *op =
                 pipeline_operators(q->tasks[i]->pipe);
             op; op = op->next)
            if (op->ops->state) {
                struct operator_state os = {0, 0};
                op->ops->state(op, &os);
                n += os.bytes;
            }
    return n;
}

/* The state of every caller-stepped query against options.state_room:
 * the query that holds the most fails when they do not fit together.
 * Summing the state walks every operator's tables, so it is done every
 * ROOM_STEPS busy steps (at most that many reads of READ_MAX records
 * per task go by unchecked) and whenever the queries go quiet. */
#define ROOM_STEPS 8
static int check_state_room(struct query_runtime *qr, int busy)
{
    if (!qr->o.state_room)
        return 0;
    if (busy && ++qr->since_room < ROOM_STEPS)
        return 0;
    qr->since_room = 0;
    uint64_t room = qr->o.state_room(qr->o.state_room_arg), total = 0, most = 0;
    struct query *big = NULL;
    for (int i = 0; i < qr->nqueries; i++) {
        struct query *q = qr->queries[i];
        if (!q->caller || atomic_load(&q->finished) || query_error(q))
            continue;
        uint64_t n = query_state_bytes(q);
        total += n;
        if (n >= most) {
            most = n;
            big = q;
        }
    }
    if (total <= room || !big)
        return 0;
    char why[200];
    snprintf(why, sizeof why,
             "its state (%llu bytes; %llu for every query) does not fit in "
             "the %llu bytes the memory budget leaves beside the streams",
             (unsigned long long)most, (unsigned long long)total,
             (unsigned long long)room);
    return fail_query(qr, big, ERR_TOO_LARGE, why);
}

/* A caller-stepped query on the virtual clock: its next batches in stamp
 * order (at most a bounded number per step). */
static int step_virtual(struct query_runtime *qr, struct query *q,
                        int64_t now_mono)
{
    int busy = 0;
    for (int n = 0; n < 64; n++) {
        int got = pass_virtual(q);
        if (got < 0) {
            char why[128];
            snprintf(why, sizeof why, "%s", err_str(got));
            return fail_query(qr, q, got, why);
        }
        if (!got)
            break;
        busy = 1;
    }
    if (busy)
        for (int i = 0; i < q->ntasks; i++)
            atomic_store(&q->tasks[i]->last_input, now_mono);
    return busy;
}

int query_runtime_step(struct query_runtime *qr, int64_t wait_ms)
{
    if (!qr)
        return 0;
    qr->errmsg[0] = '\0';
    uint64_t seq = stream_log_append_seq(&qr->log);
    int64_t now = clock_mono_ms();
    int64_t due = now + (wait_ms > 0 ? wait_ms : 0);
    int busy = 0, err = 0;
    int64_t idle = qr->o.idle_ms > 0 ? qr->o.idle_ms : 500;
    for (int i = 0; i < qr->nqueries; i++) {
        struct query *q = qr->queries[i];
        if (!q->caller || atomic_load(&q->stop) || atomic_load(&q->finished) ||
            query_error(q))
            continue;
        if (q->vclock) {
            int rc = step_virtual(qr, q, now);
            if (rc < 0) {
                err = err ? err : rc;
                continue;
            }
            busy += rc;
        } else {
            for (int j = 0; j < q->ntasks; j++)
                busy += query_task_step(q->tasks[j], now, &due) > 0;
            if (query_error(q)) {
                char why[128];
                snprintf(why, sizeof why, "%s", err_str(query_error(q)));
                err = err ? err : fail_query(qr, q, query_error(q), why);
                continue;
            }
        }
        if (qr->o.until_idle && !busy)
            end_if_idle(qr, q, idle);
    }
    int rc = check_state_room(qr, busy);
    if (err || rc)
        return err ? err : rc;
    int64_t wait = due - clock_mono_ms();
    if (!busy && wait > 0 && wait_ms > 0)
        stream_log_wait(&qr->log, seq, wait < wait_ms ? wait : wait_ms);
    return busy;
}

int query_runtime_advance(struct query_runtime *qr, int64_t now_ms)
{
    if (!qr)
        return 0;
    int rc;
    while ((rc = query_runtime_step(qr, 0)) > 0)
        ;
    if (rc < 0)
        return rc;
    for (int i = 0; i < qr->nqueries; i++) {
        struct query *q = qr->queries[i];
        if (!q->caller || !q->vclock || atomic_load(&q->stop) ||
            atomic_load(&q->finished) || query_error(q) || now_ms <= q->vnow)
            continue;
        q->vnow = now_ms;
        rc = pass_quiet(q);
        if (rc) {
            char why[128];
            snprintf(why, sizeof why, "%s", err_str(rc));
            return fail_query(qr, q, rc, why);
        }
    }
    return check_state_room(qr, 0);
}

const char *query_runtime_errmsg(const struct query_runtime *qr)
{
    return qr ? qr->errmsg : "";
}

int query_runtime_wait(struct query_runtime *qr)
{
    if (!qr || !qr->nqueries)
        return 0;
    int64_t idle = qr->o.idle_ms > 0 ? qr->o.idle_ms : 500;
    while (!(qr->o.interrupted && *qr->o.interrupted)) {
        int running = 0;
        for (int i = 0; i < qr->nqueries; i++) {
            struct query *q = qr->queries[i];
            if (qr->o.until_idle && (q->pooled || q->caller) &&
                !atomic_load(&q->finished))
                end_if_idle(qr, q, idle);
            running += !atomic_load(&q->finished) && !query_error(q);
        }
        if (!running)
            break;
        if (qr->o.workers < 0)
            query_runtime_step(qr, 20);
        else
            sleep_ms(20);
    }
    int rc = 0;
    for (int i = 0; i < qr->nqueries && !rc; i++) {
        struct query *q = qr->queries[i];
        rc = q->error ? q->error : query_error(q);
    }
    return rc;
}
