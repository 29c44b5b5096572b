/* checkpoint.c - exactly-once for persistent queries: per-task checkpoints
 * that commit, in one file, a task's input offsets, its operator state
 * and its held output (layer: stream). The design, and why it is not
 * Kafka's transaction markers here: docs/checkpoints.md.
 *
 * A task of an exactly-once query holds its output (stream_writer_hold):
 * rows, repartitioned rows, watermark markers, dead letters and late rows
 * are batches kept back in memory. Every interval (after a push or tick,
 * between two records, never inside one) it takes a checkpoint:
 *
 *   1. flush the chain (no output row left inside an operator) and the
 *      writers' buffers into held batches;
 *   2. build the file: input offsets, the task's own watermark state, the
 *      pipeline's state, and each writer's description of its held
 *      batches (stream_writer_prepare);
 *   3. write it over the older of its two files (the newer one stays
 *      whole): once written, this is the commit point;
 *   4. append the held batches (stream_writer_commit).
 *
 * Invariants:
 *   1. A batch is appended only after the checkpoint naming it is written
 *      (it survives a crash of the process; a power loss is another
 *      matter: docs/checkpoints.md, "Durability"), so every output batch
 *      in the log belongs to the state of some checkpoint: nothing is
 *      visible that a restart would undo.
 *   2. The batches of checkpoint n are all appended (step 4) before
 *      checkpoint n + 1 is prepared, so after a crash only the newest
 *      checkpoint's batches can be missing, and a writer finds which by
 *      counting its own batches after the offset it recorded (redo).
 *   3. A restart restores the state and offsets of the newest checkpoint,
 *      so each input record is reflected in the state and output once.
 *
 * Files <state dir>/_queries/<id>.ckpt/<stage>-<partition>.a and .b, in
 * turn (checkpoint n in .a when n is even, .b when odd), written in
 * place; big-endian:
 *   off size field
 *     0    4 "RCK1"
 *     4    8 length of the checkpoint (to the CRC's end; the file may be
 *            longer: an older checkpoint's tail)
 *    12    8 checkpoint number (1, 2, ...)
 *    20    8 wall time ms when taken
 *    28    4 stage, 4 partition, 4 inputs n
 *    40  8*n next offset per input
 *     .    8 marker watermark, 4 marker idle (stage 0 of a repartition)
 *     .    4 stage-0 tasks m, then m x (8 watermark, 1 idle) (stage 1)
 *     .   24 rows emitted, dead letters, late rows (counters)
 *     .  4+n the pipeline's state (pipeline_snapshot)
 *     .    4 writers w (4: repartition, sink, dead letters, late rows),
 *            each 4+n: its held batches' description (0 bytes: none)
 *   end    4 CRC-32C of everything before it
 */
#include "stream/query_runtime_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/crc32c.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/hashmap.h"
#include "base/mem.h"
#include "base/os.h"

#define MAGIC "RCK1"
#define NWRITERS 4
/* A checkpoint never takes more than 1/COST_SHARE of a task's CPU: the
 * next one waits COST_SHARE times the CPU the last one took, if that is
 * longer than the interval (big state: fewer, larger checkpoints). */
#define COST_SHARE 20
#define FILE_MAX (1u << 30)
#define PURGE_MS 10000

static struct stream_writer **writer_slot(struct task *k, int i)
{
    struct stream_writer **w[NWRITERS] = {&k->rep, &k->sink, &k->dlq, &k->late};
    return w[i];
}

/* The folder (stage < 0) or one of a task's two files (slot 0: .a, 1:
 * .b). */
static bool ckpt_path(const struct stream_log *log, const char *id, int stage,
                      int part, int slot, char *out, size_t n)
{
    const char *d = stream_log_state_dir(log);
    if (!d)
        return false;
    if (stage < 0)
        snprintf(out, n, "%s/_queries/%s.ckpt", d, id);
    else
        snprintf(out, n, "%s/_queries/%s.ckpt/%d-%d.%c", d, id, stage, part,
                 slot ? 'b' : 'a');
    return true;
}

/* The producer id of a task's writer of `topic`: stable across restarts
 * (a redo finds its batches by it), in a range the broker never hands out
 * (its ids count up from 1000). */
static int64_t writer_pid(const struct task *k, const char *topic)
{
    char key[512];
    int n = snprintf(key, sizeof key, "%s/%d/%d/%s", k->q->id, k->stage,
                     k->part, topic);
    uint64_t h = hashmap_hash(key, (size_t)n);
    return (int64_t)((1ull << 62) | (h & ((1ull << 48) - 1)));
}

int checkpoint_hold(struct task *k, struct stream_writer *w, const char *topic)
{
    if (!k->q->eo || !w)
        return 0;
    return stream_writer_hold(w, writer_pid(k, topic));
}

static const char *writer_topic(const struct task *k, int i, char *buf,
                                size_t n)
{
    switch (i) {
    case 0:
        return k->q->repart_topic;
    case 1:
        return k->q->spec.sink_topic;
    case 2:
        snprintf(buf, n, "%s.dlq", k->q->spec.input_name);
        return buf;
    default:
        return k->q->spec.late_topic;
    }
}

/* ---- taking one ---- */

static int64_t thread_cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Writes checkpoint n over the older of the task's two files, in place
 * (its length is in its header; a longer old tail is ignored). The newer
 * file, checkpoint n - 1, stays whole whatever happens to this write: a
 * torn one fails its CRC and restore takes the other. No new file, no
 * rename, no fsync: a process crash keeps the page cache, and the log's
 * own data is not fsynced before its append either (docs/checkpoints.md,
 * "Durability"); creating, fsyncing and renaming a file per checkpoint
 * cost a third of a repartitioning query's throughput. */
static int write_file(struct task *k, const void *p, size_t n)
{
    int slot = (int)((k->ckpt_id + 1) & 1);
    if (k->ckpt_fd[slot] < 0) {
        char path[1024];
        ckpt_path(&k->q->log, k->q->id, k->stage, k->part, slot, path,
                  sizeof path);
        k->ckpt_fd[slot] = os_open(path, O_WRONLY | O_CREAT, 0644);
        if (k->ckpt_fd[slot] < 0)
            return k->ckpt_fd[slot];
    }
    ssize_t w = os_pwrite(k->ckpt_fd[slot], p, n, 0);
    return w < 0 ? (int)w : (size_t)w != n ? -EIO : 0;
}

void checkpoint_task_close(struct task *k)
{
    for (int i = 0; i < 2; i++)
        if (k->ckpt_fd[i] >= 0) {
            os_close(k->ckpt_fd[i]);
            k->ckpt_fd[i] = -1;
        }
}

/* Stage 0 of a repartition: nothing this task holds or will prepare can
 * lie below the repartition topic's end now (its batches are appended at
 * or after it), so stage 1 may purge up to it. */
static void publish_floor(struct task *k)
{
    struct query *q = k->q;
    if (k->stage != 0 || !q->rep_floor)
        return;
    for (int p = 0; p < q->n1; p++) {
        struct stream_reader *r = q->tasks[q->n0 + p]->ins[0];
        if (r)
            atomic_store(&q->rep_floor[k->part * q->n1 + p],
                         stream_reader_end(r));
    }
}

/* Stage 1: the offset its repartition partition may be purged below. */
static int64_t purge_to(const struct task *k)
{
    const struct query *q = k->q;
    int64_t m = k->nexts[0];
    for (int t = 0; t < q->n0; t++) {
        int64_t f = atomic_load(&q->rep_floor[t * q->n1 + k->part]);
        m = f < m ? f : m;
    }
    return m;
}

static int take(struct task *k)
{
    struct query *q = k->q;
    int64_t t0 = clock_mono_ns() / 1000, cpu0 = thread_cpu_us();
    int rc = pipeline_flush(k->pipe);
    if (rc)
        return rc;
    query_task_flush(k);
    publish_floor(k);
    struct buf *b = &k->ckpt;
    buf_reset(b);
    buf_put(b, MAGIC, 4);
    buf_put_i64(b, 0); /* the length, set below */
    buf_put_i64(b, k->ckpt_id + 1);
    buf_put_i64(b, clock_now_ms());
    buf_put_i32(b, k->stage);
    buf_put_i32(b, k->part);
    buf_put_i32(b, k->nins);
    for (int s = 0; s < k->nins; s++)
        buf_put_i64(b, k->nexts[s]);
    buf_put_i64(b, k->marker_wm);
    buf_put_i32(b, k->marker_idle);
    int m = k->stage == 1 ? q->n0 : 0;
    buf_put_i32(b, m);
    for (int i = 0; i < m; i++) {
        buf_put_i64(b, k->up_wm[i]);
        buf_put_u8(b, k->up_idle[i]);
    }
    buf_put_i64(b, k->emitted);
    buf_put_i64(b, (int64_t)k->dead_letters);
    buf_put_i64(b, (int64_t)k->late_rows);
    size_t at = b->len;
    buf_put_i32(b, 0);
    if ((rc = pipeline_snapshot(k->pipe, b)))
        return rc;
    int64_t state = (int64_t)(b->len - at - 4);
    buf_set_i32(b, at, (int32_t)state);
    buf_put_i32(b, NWRITERS);
    for (int i = 0; i < NWRITERS; i++) {
        struct stream_writer *w = *writer_slot(k, i);
        at = b->len;
        buf_put_i32(b, 0);
        if (!w)
            continue;
        if ((rc = stream_writer_prepare(w, b)))
            return rc;
        buf_set_i32(b, at, (int32_t)(b->len - at - 4));
    }
    be64_store(b->data + 4, (uint64_t)b->len + 4);
    buf_put_i32(b, (int32_t)crc32c(0, b->data, b->len));
    if ((rc = write_file(k, b->data, b->len)))
        return rc;
    /* Committed: the held batches go to the log. */
    for (int i = 0; i < NWRITERS; i++) {
        struct stream_writer *w = *writer_slot(k, i);
        if (w && (rc = stream_writer_commit(w)))
            return rc;
    }
    k->ckpt_id++;
    /* Stage 1 owns its repartition partition: below the committed offset
     * nothing will be read again (every PURGE_MS at most). */
    int64_t now = clock_mono_ms();
    if (k->stage == 1 && k->ins[0] && q->rep_floor &&
        now - k->purge_mono >= PURGE_MS) {
        k->purge_mono = now;
        int pr = stream_reader_purge(k->ins[0], purge_to(k));
        if (pr && pr != ERR_UNSUPPORTED)
            diag_warn("query %s: cannot purge %s partition %d: %s", q->id,
                      q->repart_topic, k->part, err_str(pr));
    }
    int64_t us = clock_mono_ns() / 1000 - t0;
    /* The CPU it took, not the wall time: on a busy machine a preempted
     * write must not stretch the interval (and the output's wait). */
    k->ckpt_cost = (thread_cpu_us() - cpu0) / 1000;
    atomic_store(&k->pub.ckpt_at, clock_now_ms());
    atomic_store(&k->pub.ckpt_us, us);
    atomic_store(&k->pub.ckpt_bytes, (int64_t)b->len);
    atomic_store(&k->pub.ckpt_state, state);
    atomic_fetch_add(&k->pub.ckpts, 1);
    return 0;
}

/* A digest of what a checkpoint must commit: input offsets, markers and
 * rows written (a watermark that moved on the clock alone is not: it is
 * computed again after a restart). Equal: nothing to commit, so none is taken
 * (an idle query writes no files), and the next input is committed as soon as
 * it is processed instead of waiting for the interval. */
static uint64_t signature(const struct task *k)
{
    uint64_t h = (uint64_t)k->marker_wm * 7 + (uint64_t)k->marker_idle;
    for (int s = 0; s < k->nins; s++)
        h = h * 1000003 + (uint64_t)k->nexts[s];
    h = h * 1000003 + (uint64_t)k->emitted;
    h = h * 1000003 + k->dead_letters;
    h = h * 1000003 + k->late_rows;
    if (k->stage == 1)
        for (int i = 0; i < k->q->n0; i++)
            h = h * 31 + (uint64_t)k->up_wm[i] + k->up_idle[i];
    return h;
}

int checkpoint_task_due(struct task *k, int64_t now_mono, bool force)
{
    struct query *q = k->q;
    if (!q->eo || k->error || k->ended)
        return 0;
    uint64_t sig = signature(k);
    if (sig == k->ckpt_sig && k->ckpt_id) {
        publish_floor(k); /* nothing held */
        return 0;
    }
    int64_t wait = q->ckpt_interval;
    if (k->ckpt_cost * COST_SHARE > wait)
        wait = k->ckpt_cost * COST_SHARE;
    if (!force && now_mono - k->ckpt_mono < wait)
        return 0;
    k->ckpt_mono = now_mono;
    k->ckpt_sig = sig;
    int rc = take(k);
    if (rc)
        diag_warn("query %s: checkpoint of task %d of stage %d failed: %s",
                  q->id, k->part, k->stage, err_str(rc));
    return rc;
}

int checkpoint_task_release(struct task *k)
{
    if (!k->q->eo)
        return 0;
    int rc = 0;
    for (int i = 0; i < NWRITERS; i++) {
        struct stream_writer *w = *writer_slot(k, i);
        if (!w)
            continue;
        buf_reset(&k->ckpt);
        int r = stream_writer_prepare(w, &k->ckpt);
        if (!r)
            r = stream_writer_commit(w);
        rc = rc ? rc : r;
    }
    return rc;
}

/* ---- restoring ---- */

/* The checkpoint number of a whole file (its length and CRC check out:
 * *n becomes its length), else 0. */
static int64_t file_ok(const uint8_t *p, size_t *n)
{
    if (*n < 24 || memcmp(p, MAGIC, 4))
        return 0;
    uint64_t len = be64_load(p + 4);
    if (len < 24 || len > *n ||
        crc32c(0, p, (size_t)len - 4) != be32_load(p + len - 4))
        return 0;
    *n = (size_t)len;
    int64_t id = (int64_t)be64_load(p + 12);
    return id > 0 ? id : 0;
}

static int restore(struct task *k, const uint8_t *p, size_t n, char *err,
                   size_t errlen)
{
    struct query *q = k->q;
    struct buf_reader r;
    buf_reader_init(&r, p, n - 4);
    struct slice magic = buf_read_bytes(&r, 4);
    buf_read_i64(&r); /* length: checked by file_ok */
    int64_t id = buf_read_i64(&r);
    buf_read_i64(&r); /* time */
    int stage = buf_read_i32(&r), part = buf_read_i32(&r);
    int nins = buf_read_i32(&r);
    if (r.err || memcmp(magic.ptr, MAGIC, 4) || stage != k->stage ||
        part != k->part || nins != k->nins)
        goto mismatch;
    int64_t nexts[PIPELINE_MAX_SOURCES];
    for (int s = 0; s < nins; s++)
        nexts[s] = buf_read_i64(&r);
    int64_t marker_wm = buf_read_i64(&r);
    int marker_idle = buf_read_i32(&r);
    int m = buf_read_i32(&r);
    if (r.err || m != (k->stage == 1 ? q->n0 : 0))
        goto mismatch;
    for (int i = 0; i < m; i++) {
        k->up_wm[i] = buf_read_i64(&r);
        k->up_idle[i] = buf_read_u8(&r) != 0;
    }
    int64_t emitted = buf_read_i64(&r);
    uint64_t dead = (uint64_t)buf_read_i64(&r);
    uint64_t late = (uint64_t)buf_read_i64(&r);
    uint32_t plen = (uint32_t)buf_read_i32(&r);
    struct slice pst = buf_read_bytes(&r, plen);
    if (r.err)
        goto mismatch;
    int rc = pipeline_restore(k->pipe, pst.ptr, pst.len, clock_now_ms());
    if (rc) {
        snprintf(err, errlen,
                 "checkpoint of task %d-%d does not fit the query's plan "
                 "(%s): was the query changed? DROP it to start over",
                 k->stage, k->part, err_str(rc));
        return rc;
    }
    int nw = buf_read_i32(&r);
    if (r.err || nw != NWRITERS)
        goto mismatch;
    for (int i = 0; i < NWRITERS; i++) {
        uint32_t len = (uint32_t)buf_read_i32(&r);
        struct slice d = buf_read_bytes(&r, len);
        if (r.err)
            goto mismatch;
        struct stream_writer *w = *writer_slot(k, i);
        if (!len)
            continue;
        if (!w && i == 2) {
            /* dead letters: opened on first use */
            char name[QUERY_SPEC_NAME_MAX + 8];
            writer_topic(k, 2, name, sizeof name);
            if ((rc = stream_log_writer(&q->log, name, true, &k->dlq)) ||
                (rc = checkpoint_hold(k, k->dlq, name)))
                goto redo_failed;
            w = k->dlq;
        }
        if (!w)
            goto mismatch;
        if ((rc = stream_writer_redo(w, d.ptr, d.len)))
            goto redo_failed;
    }
    if (buf_reader_left(&r))
        goto mismatch;
    for (int s = 0; s < nins; s++)
        if (k->ins[s])
            k->nexts[s] = nexts[s];
    k->marker_wm = marker_wm;
    k->marker_idle = marker_idle;
    k->emitted = emitted;
    k->dead_letters = k->dead_reported = dead;
    k->late_rows = k->late_reported = late;
    k->ckpt_id = id;
    return 0;
redo_failed : {
    char name[QUERY_SPEC_NAME_MAX + 8];
    snprintf(err, errlen,
             "cannot append the output of checkpoint %" PRId64
             " of task %d-%d to '%s': %s",
             id, k->stage, k->part, writer_topic(k, 0, name, sizeof name),
             err_str(rc));
    return rc;
}
mismatch:
    snprintf(err, errlen,
             "checkpoint of task %d-%d does not fit the query's plan: was "
             "the query changed? DROP it to start over",
             k->stage, k->part);
    return ERR_CORRUPT;
}

/* Why q cannot run exactly-once (q->eo_why), or "" if it can. */
static void check(struct query *q)
{
    q->eo_why[0] = 0;
    if (!q->persistent)
        snprintf(q->eo_why, sizeof q->eo_why, "a transient SELECT");
    else if (q->vclock)
        snprintf(q->eo_why, sizeof q->eo_why, "virtual-clock runs");
    else if (!stream_log_state_dir(&q->log))
        snprintf(q->eo_why, sizeof q->eo_why,
                 "the log has no directory for checkpoints");
    for (int i = 0; i < q->ntasks && !q->eo_why[0]; i++) {
        struct task *k = q->tasks[i];
        char why[160];
        if (!pipeline_checkpointable(k->pipe, why, sizeof why)) {
            snprintf(q->eo_why, sizeof q->eo_why, "%s", why);
            break;
        }
        for (int w = 0; w < NWRITERS; w++) {
            struct stream_writer *wr = *writer_slot(k, w);
            if (wr && !stream_writer_can_hold(wr)) {
                snprintf(q->eo_why, sizeof q->eo_why,
                         "this log back end cannot hold output back "
                         "(a Kafka cluster: Kafka transactions, not yet)");
                break;
            }
        }
    }
}

int checkpoint_query_start(struct query *q, bool *restored, char *err,
                           size_t errlen)
{
    *restored = false;
    q->eo = false;
    q->ckpt_interval = q->spec.checkpoint_interval_ms > 0
                           ? q->spec.checkpoint_interval_ms
                           : QUERY_CHECKPOINT_INTERVAL_MS;
    if (q->spec.guarantee == QUERY_GUARANTEE_AT_LEAST_ONCE) {
        snprintf(q->eo_why, sizeof q->eo_why,
                 "'execution.checkpointing.mode' = 'AT_LEAST_ONCE'");
        return 0;
    }
    check(q);
    if (q->eo_why[0]) {
        if (q->spec.guarantee == QUERY_GUARANTEE_EXACTLY_ONCE) {
            snprintf(err, errlen,
                     "query %s cannot run exactly-once: %s (SET "
                     "'execution.checkpointing.mode' = 'AT_LEAST_ONCE' to "
                     "run it at least once)",
                     q->id, q->eo_why);
            return ERR_UNSUPPORTED;
        }
        if (q->log_events)
            diag_warn("query %s runs at least once, not exactly-once: %s",
                      q->id, q->eo_why);
        return 0;
    }
    q->eo = true;
    int64_t t0 = clock_mono_ms();
    size_t bytes = 0;
    if (q->repartition && q->n1 > 0)
        q->rep_floor =
            mem_calloc((size_t)(q->n0 * q->n1), sizeof *q->rep_floor);
    char path[1024];
    ckpt_path(&q->log, q->id, -1, 0, 0, path, sizeof path);
    int rc = os_mkdir_p(path);
    if (rc) {
        snprintf(err, errlen, "cannot create %s: %s", path, err_str(rc));
        return rc;
    }
    for (int i = 0; i < q->ntasks; i++) {
        struct task *k = q->tasks[i];
        for (int w = 0; w < NWRITERS; w++) {
            char name[QUERY_SPEC_NAME_MAX + 8];
            if ((rc = checkpoint_hold(k, *writer_slot(k, w),
                                      writer_topic(k, w, name, sizeof name)))) {
                snprintf(err, errlen, "cannot hold the output of %s: %s", q->id,
                         err_str(rc));
                return rc;
            }
        }
    }
    for (int i = 0; i < q->ntasks; i++) {
        struct task *k = q->tasks[i];
        char *text[2] = {NULL, NULL};
        size_t len[2] = {0, 0};
        int64_t num[2] = {0, 0};
        bool any = false;
        for (int slot = 0; slot < 2; slot++) {
            ckpt_path(&q->log, q->id, k->stage, k->part, slot, path,
                      sizeof path);
            rc = os_read_file(path, FILE_MAX, &text[slot], &len[slot]);
            if (rc == -ENOENT)
                continue;
            if (rc) {
                snprintf(err, errlen, "cannot read %s: %s", path, err_str(rc));
                free(text[0]);
                return rc;
            }
            any = true;
            num[slot] = file_ok((const uint8_t *)text[slot], &len[slot]);
        }
        /* The newer whole file; a torn one was never committed. */
        int use = num[1] > num[0] ? 1 : 0;
        rc = 0;
        if (num[use] > 0) {
            bytes += len[use];
            rc = restore(k, (const uint8_t *)text[use], len[use], err, errlen);
            if (!rc) {
                *restored = true;
                k->ckpt_mono = clock_mono_ms();
            }
        } else if (any) {
            snprintf(err, errlen,
                     "no whole checkpoint of task %d-%d in %s (both copies "
                     "damaged)",
                     k->stage, k->part, path);
            rc = ERR_CORRUPT;
        }
        free(text[0]);
        free(text[1]);
        if (rc)
            return rc;
    }
    if (*restored && q->log_events)
        diag_info("query %s: restored from its checkpoints (%zu bytes) in "
                  "%" PRId64 " ms",
                  q->id, bytes, clock_mono_ms() - t0);
    return 0;
}

void checkpoint_query_forget(const struct stream_log *log, const char *id)
{
    char dir[1024], path[1100];
    if (!ckpt_path(log, id, -1, 0, 0, dir, sizeof dir))
        return;
    /* Task files are <stage>-<partition>: stage 0 and 1, partitions
     * below the largest count a query can have. */
    for (int s = 0; s < 2; s++)
        for (int p = 0; p < 65536; p++) {
            snprintf(path, sizeof path, "%s/%d-%d.b", dir, s, p);
            unlink(path);
            snprintf(path, sizeof path, "%s/%d-%d.a", dir, s, p);
            if (unlink(path) && errno == ENOENT && p > 0)
                break;
        }
    rmdir(dir);
}

/* ---- DESCRIBE ---- */

void checkpoint_describe(const struct query *q, struct buf *out)
{
    if (!q->eo) {
        buf_printf(out, "guarantee: at least once (%s)\n",
                   q->eo_why[0] ? q->eo_why : "not checkpointed");
        return;
    }
    buf_printf(out,
               "guarantee: exactly-once (checkpoints every %" PRId64 " ms)\n",
               q->ckpt_interval);
    for (int i = 0; i < q->ntasks; i++) {
        const struct task_pub *p = &q->tasks[i]->pub;
        int64_t at = atomic_load(&p->ckpt_at);
        buf_printf(out, "checkpoint task %d-%d: ", q->tasks[i]->stage,
                   q->tasks[i]->part);
        if (!at) {
            buf_printf(out, "none yet\n");
            continue;
        }
        char iso[40];
        query_info_format_time(at, iso, sizeof iso);
        buf_printf(out,
                   "%s, %" PRId64 " us, %" PRId64 " bytes, state %" PRId64
                   " bytes, %" PRIu64 " taken\n",
                   iso, atomic_load(&p->ckpt_us), atomic_load(&p->ckpt_bytes),
                   atomic_load(&p->ckpt_state), atomic_load(&p->ckpts));
    }
}
