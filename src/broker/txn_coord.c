/* txn_coord.c - the transaction coordinator: transactional ids, epochs,
 * the two-phase end of a transaction, time-outs and recovery from
 * __transaction_state (layer: broker). Contract: txn_coord.h.
 *
 * States (Kafka's TransactionState numbers, as stored):
 *
 *   Empty(0) --AddPartitions/AddOffsets--> Ongoing(1)
 *   Ongoing --EndTxn(commit)--> PrepareCommit(2) --markers--> CompleteCommit(4)
 *   Ongoing --EndTxn(abort) / time-out / InitProducerId / restart-->
 *           PrepareAbort(3) --markers--> CompleteAbort(5)
 *   Complete* behaves as Empty for the next transaction.
 *
 * Ending a transaction is one `op`, three durable steps, each waiting for
 * its fsync before the next:
 *   1. the Prepare record (with the pending offsets for a commit) is
 *      appended to __transaction_state: from here the outcome is decided
 *      and a restart finishes it;
 *   2. the offsets are applied (commit) and a COMMIT/ABORT marker is
 *      appended to every partition where the producer has data open;
 *   3. the Complete record (with the new epoch when fencing) is appended;
 *      then the client is answered.
 * Invariants:
 *   1. A partition holds open transactional data of pid only if pid's
 *      transaction is Ongoing or Prepare* and lists that partition
 *      durably (AddPartitionsToTxn answers after its record's fsync, and
 *      Produce refuses a partition not added): no hanging transaction.
 *   2. Complete is written only after every marker is durable, so a
 *      restart that finds Complete finds the markers too.
 *   3. An abort for any reason other than the producer's EndTxn bumps the
 *      epoch: the old producer instance is fenced and cannot add to or
 *      commit a transaction it did not see aborted (no torn transaction).
 *   4. While an op runs, every request of that transactional id gets
 *      CONCURRENT_TRANSACTIONS (51) and retries.
 *   5. A request of a transactional id arriving on an older connection
 *      than one that already sent the same API for that id is stale (a
 *      client gave up on it and went on over a new connection) and is
 *      refused with INVALID_TXN_STATE: a late EndTxn cannot end, nor a
 *      late TxnOffsetCommit rewind, a later transaction (the reordering
 *      behind the aborted reads, lost writes and torn transactions Jepsen
 *      found in Kafka, 2024). On one TCP connection requests are handled
 *      in order, so only a reordering across connections can make a
 *      request late, and a client never goes back to a connection it
 *      replaced.
 *
 * __transaction_state (one partition), records keyed as Kafka's
 * TransactionLogKey / TransactionLogValue v0:
 *   key   version int16 = 0, transactional_id STRING
 *   value version int16 = 0, producer_id int64, producer_epoch int16,
 *         transaction_timeout_ms int32, status int8,
 *         partitions nullable ARRAY[topic STRING, ARRAY[int32]],
 *         last_update_ms int64, start_ms int64
 * and rill's pending offsets of a commit (a key version Kafka skips):
 *   key   version int16 = 1000, transactional_id STRING
 *   value version int16 = 0, group STRING, n int32, n x [topic STRING,
 *         partition int32, offset int64, leader_epoch int32,
 *         metadata nullable STRING]
 * The latest record of a key wins. The topic is created on the first
 * InitProducerId with a transactional id, with cleanup.policy=compact
 * (the log's cleaner keeps the latest record of each key).
 */
#include "broker/txn_coord.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/hashmap.h"
#include "base/mem.h"
#include "broker/broker_acl.h"
#include "broker/broker_log.h"
#include "broker/group.h"
#include "broker/group_offsets.h"
#include "broker/txn_part.h"
#include "kafka/kafka_proto.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "log/record_batch.h"
#include "log/txn_index.h"

enum txn_state {
    TXN_EMPTY = 0,
    TXN_ONGOING = 1,
    TXN_PREPARE_COMMIT = 2,
    TXN_PREPARE_ABORT = 3,
    TXN_COMPLETE_COMMIT = 4,
    TXN_COMPLETE_ABORT = 5,
    TXN_DEAD = 6,
    TXN_PREPARE_EPOCH_FENCE = 7,
};

#define KEY_STATE 0
#define KEY_OFFSETS 1000
#define ERR_NOT_ATTEMPTED 55 /* OPERATION_NOT_ATTEMPTED */
#define REPLAY_CHUNK (1u << 20)

struct txn_tp {
    char *topic;
    int32_t partition;
};

struct txn_offset {
    char *topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    char *metadata; /* NULL = null */
    size_t metadata_len;
};

struct txn_op;

struct txn {
    char *id;
    size_t id_len;
    int64_t pid;
    int16_t epoch;
    int32_t timeout_ms;
    enum txn_state state;
    int64_t start_ms, update_ms;
    struct txn_tp *parts;
    size_t nparts, cap;
    char *group; /* AddOffsetsToTxn / TxnOffsetCommit, NULL if none */
    struct txn_offset *offs;
    size_t noffs, offcap;
    struct txn_op *op;
    /* Per API (enum req_kind): the newest connection that sent one for
     * this id (invariant 5). Memory only: a restart starts them over. */
    uint64_t newest_conn[5];
};

enum req_kind { RK_INIT, RK_ADD_PARTS, RK_ADD_OFFSETS, RK_OFFSETS, RK_END };

enum op_phase { PH_PREPARE, PH_MARKERS, PH_COMPLETE, PH_DONE };

struct txn_op {
    struct txn_coord *tc;
    struct txn *t;
    bool commit, fence;
    enum op_phase phase;
    struct broker_pending *pending; /* NULL: nobody waits */
    int16_t api_key;
    int16_t error;
    struct broker_durable_wait *waits;
    size_t nwaits;
    int remaining;
    /* ABORT markers written: their .txnindex entries, added once the
     * markers are durable (txn_index.h). */
    struct op_abort {
        struct broker_part *bp;
        struct txn_index_entry e;
    } * aborts;
    size_t naborts;
};

struct txn_coord {
    struct broker *b;
    struct hashmap by_id;  /* id -> struct txn */
    struct hashmap by_pid; /* pid -> struct txn */
    struct loop_timer tick;
    bool opened; /* __transaction_state exists and was replayed */
};

static struct txn_coord *coord(struct broker *b)
{
    return b->txn;
}

/* --- transactions in memory ---------------------------------------------- */

static struct txn *txn_find(struct txn_coord *tc, struct slice id)
{
    return id.len ? hashmap_get(&tc->by_id, id.ptr, id.len) : NULL;
}

static struct txn *txn_new(struct txn_coord *tc, struct slice id)
{
    struct txn *t = mem_calloc(1, sizeof(*t));
    t->id = mem_strndup((const char *)id.ptr, id.len);
    t->id_len = id.len;
    t->pid = -1;
    hashmap_put(&tc->by_id, t->id, t->id_len, t);
    return t;
}

static void set_pid(struct txn_coord *tc, struct txn *t, int64_t pid)
{
    if (t->pid >= 0 && hashmap_get(&tc->by_pid, &t->pid, sizeof(t->pid)) == t)
        hashmap_remove(&tc->by_pid, &t->pid, sizeof(t->pid));
    t->pid = pid;
    if (pid >= 0)
        hashmap_put(&tc->by_pid, &t->pid, sizeof(t->pid), t);
}

static void clear_parts(struct txn *t)
{
    for (size_t i = 0; i < t->nparts; i++)
        mem_free(t->parts[i].topic);
    t->nparts = 0;
}

static void clear_offsets(struct txn *t)
{
    for (size_t i = 0; i < t->noffs; i++) {
        mem_free(t->offs[i].topic);
        mem_free(t->offs[i].metadata);
    }
    t->noffs = 0;
    mem_free(t->group);
    t->group = NULL;
}

static bool has_part(const struct txn *t, struct slice topic, int32_t p)
{
    for (size_t i = 0; i < t->nparts; i++)
        if (t->parts[i].partition == p &&
            slice_eq_str(topic, t->parts[i].topic))
            return true;
    return false;
}

static void add_part(struct txn *t, struct slice topic, int32_t p)
{
    if (has_part(t, topic, p))
        return;
    if (t->nparts == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 8;
        t->parts = mem_realloc(t->parts, t->cap * sizeof(*t->parts));
    }
    t->parts[t->nparts].topic = mem_strndup((const char *)topic.ptr, topic.len);
    t->parts[t->nparts].partition = p;
    t->nparts++;
}

static void set_offset(struct txn *t, struct slice topic, int32_t p,
                       int64_t offset, int32_t leader_epoch, struct slice md)
{
    struct txn_offset *o = NULL;
    for (size_t i = 0; i < t->noffs && !o; i++)
        if (t->offs[i].partition == p && slice_eq_str(topic, t->offs[i].topic))
            o = &t->offs[i];
    if (!o) {
        if (t->noffs == t->offcap) {
            t->offcap = t->offcap ? t->offcap * 2 : 8;
            t->offs = mem_realloc(t->offs, t->offcap * sizeof(*t->offs));
        }
        o = &t->offs[t->noffs++];
        o->topic = mem_strndup((const char *)topic.ptr, topic.len);
        o->partition = p;
    } else {
        mem_free(o->metadata);
    }
    o->offset = offset;
    o->leader_epoch = leader_epoch;
    o->metadata = md.ptr ? mem_strndup((const char *)md.ptr, md.len) : NULL;
    o->metadata_len = md.ptr ? md.len : 0;
}

static void txn_free(struct txn *t)
{
    clear_parts(t);
    clear_offsets(t);
    mem_free(t->parts);
    mem_free(t->offs);
    mem_free(t->id);
    mem_free(t);
}

static bool in_progress(const struct txn *t)
{
    return t->state == TXN_ONGOING || t->state == TXN_PREPARE_COMMIT ||
           t->state == TXN_PREPARE_ABORT || t->state == TXN_PREPARE_EPOCH_FENCE;
}

static const char *state_name(enum txn_state s)
{
    static const char *const names[] = {"Empty",          "Ongoing",
                                        "PrepareCommit",  "PrepareAbort",
                                        "CompleteCommit", "CompleteAbort",
                                        "Dead",           "PrepareEpochFence"};
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s]
                                                          : "Unknown";
}

/* --- __transaction_state ------------------------------------------------- */

static struct broker_part *state_part(struct txn_coord *tc, bool create)
{
    struct broker *b = tc->b;
    struct slice name = slice_make(TXN_STATE_TOPIC, strlen(TXN_STATE_TOPIC));
    int16_t err = 0;
    struct broker_part *bp = broker_part_find(b, name, 0, false, &err);
    if (bp || !create)
        return bp;
    struct logdir_topic_config cfg;
    logdir_topic_config_init(&cfg);
    cfg.partitions = 1;
    cfg.retention_ms = -1;
    cfg.segment_bytes = 64 << 20;
    cfg.cleanup_policy = LOGDIR_CLEANUP_COMPACT; /* latest of a key wins */
    int rc = logdir_topic_create(b->logdir, TXN_STATE_TOPIC, &cfg);
    if (rc < 0 && rc != ERR_EXISTS) {
        diag_warn("txn: cannot create %s: %s", TXN_STATE_TOPIC, err_str(rc));
        return NULL;
    }
    return broker_part_find(b, name, 0, false, &err);
}

static void put_str16(struct buf *out, const char *s, size_t n)
{
    buf_put_i16(out, (int16_t)n);
    buf_put(out, s, n);
}

static void encode_state(struct buf *k, struct buf *v, const struct txn *t)
{
    buf_put_i16(k, KEY_STATE);
    put_str16(k, t->id, t->id_len);
    buf_put_i16(v, 0);
    buf_put_i64(v, t->pid);
    buf_put_i16(v, t->epoch);
    buf_put_i32(v, t->timeout_ms);
    buf_put_u8(v, (uint8_t)t->state);
    /* Partitions grouped by topic, in the order they were added. */
    size_t ntopics = 0;
    for (size_t i = 0; i < t->nparts; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(t->parts[j].topic, t->parts[i].topic);
        ntopics += !seen;
    }
    buf_put_i32(v, (int32_t)ntopics);
    for (size_t i = 0; i < t->nparts; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(t->parts[j].topic, t->parts[i].topic);
        if (seen)
            continue;
        put_str16(v, t->parts[i].topic, strlen(t->parts[i].topic));
        int32_t n = 0;
        for (size_t j = i; j < t->nparts; j++)
            n += !strcmp(t->parts[j].topic, t->parts[i].topic);
        buf_put_i32(v, n);
        for (size_t j = i; j < t->nparts; j++)
            if (!strcmp(t->parts[j].topic, t->parts[i].topic))
                buf_put_i32(v, t->parts[j].partition);
    }
    buf_put_i64(v, t->update_ms);
    buf_put_i64(v, t->start_ms);
}

static void encode_offsets(struct buf *k, struct buf *v, const struct txn *t)
{
    buf_put_i16(k, KEY_OFFSETS);
    put_str16(k, t->id, t->id_len);
    buf_put_i16(v, 0);
    const char *g = t->group ? t->group : "";
    put_str16(v, g, strlen(g));
    buf_put_i32(v, (int32_t)t->noffs);
    for (size_t i = 0; i < t->noffs; i++) {
        const struct txn_offset *o = &t->offs[i];
        put_str16(v, o->topic, strlen(o->topic));
        buf_put_i32(v, o->partition);
        buf_put_i64(v, o->offset);
        buf_put_i32(v, o->leader_epoch);
        if (o->metadata)
            put_str16(v, o->metadata, o->metadata_len);
        else
            buf_put_i16(v, -1);
    }
}

/* Appends t's state record (and its offsets first when with_offsets) to
 * __transaction_state; *end: the offset that must become durable. */
static int state_append(struct txn_coord *tc, struct txn *t, bool with_offsets,
                        struct broker_part **bp_out, int64_t *end)
{
    struct broker_part *bp = state_part(tc, true);
    if (!bp)
        return ERR_FAILED;
    t->update_ms = clock_now_ms();
    struct buf k, v, out;
    buf_init(&k);
    buf_init(&v);
    buf_init(&out);
    struct record_batch_builder bb;
    record_batch_builder_init(&bb, 0);
    int64_t now = t->update_ms;
    if (with_offsets) {
        encode_offsets(&k, &v, t);
        struct slice ks = slice_make(k.data, k.len);
        struct slice vs = slice_make(v.data, v.len);
        record_batch_builder_add(&bb, &ks, &vs, now, NULL, 0);
        buf_reset(&k);
        buf_reset(&v);
    }
    encode_state(&k, &v, t);
    struct slice ks = slice_make(k.data, k.len), vs = slice_make(v.data, v.len);
    int rc = record_batch_builder_add(&bb, &ks, &vs, now, NULL, 0);
    if (rc == 0)
        rc = record_batch_builder_finish(&bb, &out);
    int64_t base = -1;
    if (rc == 0)
        rc = partition_append(bp->p, out.data, out.len, &base);
    if (rc == 0) {
        *end = base + record_batch_builder_count(&bb);
        *bp_out = bp;
    } else {
        diag_warn("txn: cannot write %s: %s", TXN_STATE_TOPIC, err_str(rc));
    }
    record_batch_builder_fini(&bb);
    buf_fini(&out);
    buf_fini(&v);
    buf_fini(&k);
    return rc;
}

static struct slice read_str16(struct buf_reader *r, bool *null)
{
    int16_t n = buf_read_i16(r);
    *null = n < 0;
    if (n < 0)
        return slice_make(NULL, 0);
    return buf_read_bytes(r, (size_t)n);
}

static void replay_state(struct txn_coord *tc, struct slice id,
                         const struct record *rec)
{
    struct txn *t = txn_find(tc, id);
    if (rec->value_null) {
        if (t && !t->op) {
            hashmap_remove(&tc->by_id, t->id, t->id_len);
            set_pid(tc, t, -1);
            txn_free(t);
        }
        return;
    }
    struct buf_reader r;
    buf_reader_init(&r, rec->value.ptr, rec->value.len);
    if (buf_read_i16(&r) != 0)
        return;
    int64_t pid = buf_read_i64(&r);
    int16_t epoch = buf_read_i16(&r);
    int32_t timeout = buf_read_i32(&r);
    int8_t status = (int8_t)buf_read_u8(&r);
    if (!buf_reader_ok(&r))
        return;
    if (!t)
        t = txn_new(tc, id);
    set_pid(tc, t, pid);
    t->epoch = epoch;
    t->timeout_ms = timeout;
    t->state = (enum txn_state)status;
    clear_parts(t);
    int32_t ntopics = buf_read_i32(&r);
    for (int32_t i = 0; i < ntopics && buf_reader_ok(&r); i++) {
        bool null;
        struct slice topic = read_str16(&r, &null);
        int32_t n = buf_read_i32(&r);
        for (int32_t j = 0; j < n && buf_reader_ok(&r); j++) {
            int32_t p = buf_read_i32(&r);
            if (buf_reader_ok(&r))
                add_part(t, topic, p);
        }
    }
    t->update_ms = buf_read_i64(&r);
    t->start_ms = buf_read_i64(&r);
}

static void replay_offsets(struct txn_coord *tc, struct slice id,
                           const struct record *rec)
{
    struct txn *t = txn_find(tc, id);
    if (!t)
        t = txn_new(tc, id);
    clear_offsets(t);
    if (rec->value_null)
        return;
    struct buf_reader r;
    buf_reader_init(&r, rec->value.ptr, rec->value.len);
    if (buf_read_i16(&r) != 0)
        return;
    bool null;
    struct slice g = read_str16(&r, &null);
    t->group = mem_strndup((const char *)g.ptr, g.len);
    int32_t n = buf_read_i32(&r);
    for (int32_t i = 0; i < n && buf_reader_ok(&r); i++) {
        struct slice topic = read_str16(&r, &null);
        int32_t p = buf_read_i32(&r);
        int64_t off = buf_read_i64(&r);
        int32_t le = buf_read_i32(&r);
        struct slice md = read_str16(&r, &null);
        if (buf_reader_ok(&r))
            set_offset(t, topic, p, off, le, md);
    }
}

static int replay(struct txn_coord *tc, struct broker_part *bp)
{
    struct partition *p = bp->p;
    int64_t off = partition_log_start_offset(p);
    int64_t end = partition_high_watermark(p);
    struct buf chunk, scratch;
    buf_init(&chunk);
    buf_init(&scratch);
    int rc = 0;
    size_t nrec = 0;
    while (off < end) {
        int64_t next = off;
        buf_reset(&chunk);
        rc = partition_read_copy(p, off, REPLAY_CHUNK, &chunk, &next);
        if (rc < 0 || next <= off || chunk.len == 0)
            break;
        struct record_batch_walk w;
        struct record_batch_header h;
        const uint8_t *bat;
        size_t blen;
        record_batch_walk_init(&w, chunk.data, chunk.len);
        while (record_batch_walk_next(&w, &h, &bat, &blen) == 1) {
            struct record_iter it;
            struct record rec;
            if (record_batch_attr_control(h.attributes) ||
                record_iter_init(&it, bat, blen, &scratch) < 0)
                continue;
            while (record_iter_next(&it, &rec) == 1) {
                if (rec.offset < off || rec.key_null || rec.key.len < 4)
                    continue;
                struct buf_reader kr;
                buf_reader_init(&kr, rec.key.ptr, rec.key.len);
                int16_t ver = buf_read_i16(&kr);
                bool null;
                struct slice id = read_str16(&kr, &null);
                if (!buf_reader_ok(&kr) || null || id.len == 0)
                    continue;
                if (ver == KEY_STATE)
                    replay_state(tc, id, &rec);
                else if (ver == KEY_OFFSETS)
                    replay_offsets(tc, id, &rec);
                nrec++;
            }
        }
        off = next;
    }
    buf_fini(&scratch);
    buf_fini(&chunk);
    if (rc >= 0)
        diag_info("txn: replayed %zu record(s) of %s: %zu transactional "
                  "id(s)",
                  nrec, TXN_STATE_TOPIC, hashmap_count(&tc->by_id));
    return rc;
}

/* --- ending a transaction -------------------------------------------------
 */

/* Crash tests: RILL_TXN_CRASH_AT=prepared (the Prepare record is durable,
 * no marker written) or =marked (the markers are durable, Complete not
 * written) kills the process there, as kill -9 would. */
static void crash_point(const char *name)
{
    static const char *at;
    static bool read;
    if (!read) {
        at = getenv("RILL_TXN_CRASH_AT");
        read = true;
    }
    if (at && !strcmp(at, name)) {
        diag_warn("txn: RILL_TXN_CRASH_AT=%s: killing the process", name);
        raise(SIGKILL);
    }
}

static void op_step(struct txn_op *op);

static void op_answer(struct txn_op *op)
{
    if (!op->pending)
        return;
    struct txn *t = op->t;
    struct buf body;
    buf_init(&body);
    int16_t version = broker_pending_version(op->pending);
    if (op->api_key == KAFKA_API_INIT_PRODUCER_ID) {
        struct kafka_init_producer_id_response resp = {0};
        resp.error_code = op->error;
        resp.producer_id = op->error ? -1 : t->pid;
        resp.producer_epoch = op->error ? -1 : t->epoch;
        kafka_init_producer_id_response_encode(&body, version, &resp);
    } else if (op->api_key == KAFKA_API_END_TXN) {
        struct kafka_error_response resp = {0, op->error};
        kafka_end_txn_response_encode(&body, version, &resp);
    }
    broker_pending_complete(op->pending, &body);
    buf_fini(&body);
    op->pending = NULL;
}

static void op_free(struct txn_op *op)
{
    for (size_t i = 0; i < op->nwaits; i++)
        broker_log_wait_cancel(op->tc->b, &op->waits[i]);
    if (op->pending)
        broker_pending_set_cancel(op->pending, NULL, NULL);
    mem_free(op->waits);
    mem_free(op->aborts);
    if (op->t->op == op)
        op->t->op = NULL;
    mem_free(op);
}

static void op_cancel(struct broker_pending *p, void *arg)
{
    struct txn_op *op = arg;
    (void)p;
    op->pending = NULL; /* the op goes on: the outcome is decided */
}

static void op_durable(struct broker *b, struct broker_durable_wait *w, int err)
{
    struct txn_op *op = w->arg;
    (void)b;
    if (err < 0 && !op->error)
        op->error = KAFKA_ERR_KAFKA_STORAGE_ERROR;
    if (--op->remaining == 0) {
        /* All waits of this phase are out of the list: forget them. */
        op->nwaits = 0;
        op_step(op);
    }
}

static void op_wait(struct txn_op *op, struct broker_part *bp, int64_t end)
{
    op->waits = mem_realloc(op->waits, (op->nwaits + 1) * sizeof(*op->waits));
    struct broker_durable_wait *w = &op->waits[op->nwaits++];
    memset(w, 0, sizeof(*w));
    w->part = bp;
    w->end_offset = end;
    w->done = op_durable;
    w->arg = op;
}

/* Registers the waits of the phase (after the array stopped moving). */
static void op_arm(struct txn_op *op)
{
    op->remaining = (int)op->nwaits;
    for (size_t i = 0; i < op->nwaits; i++)
        broker_log_wait_durable(op->tc->b, &op->waits[i]);
}

static void apply_offsets(struct txn_coord *tc, struct txn *t)
{
    struct group_offsets *go = group_handlers_offsets(tc->b);
    if (!go || !t->group || t->noffs == 0)
        return;
    struct group_offset_commit *items = mem_calloc(t->noffs, sizeof(*items));
    for (size_t i = 0; i < t->noffs; i++) {
        const struct txn_offset *o = &t->offs[i];
        items[i].topic = slice_make(o->topic, strlen(o->topic));
        items[i].partition = o->partition;
        items[i].offset = o->offset;
        items[i].leader_epoch = o->leader_epoch;
        items[i].metadata = slice_make(o->metadata, o->metadata_len);
    }
    int rc = group_offsets_commit(go, slice_make(t->group, strlen(t->group)),
                                  t->noffs, items, clock_now_ms());
    if (rc < 0)
        diag_warn("txn: %s: cannot commit the offsets of group %s: %s", t->id,
                  t->group, err_str(rc));
    mem_free(items);
}

static void op_step(struct txn_op *op)
{
    struct txn_coord *tc = op->tc;
    struct broker *b = tc->b;
    struct txn *t = op->t;
    if (op->error && op->phase != PH_DONE) {
        /* An fsync failed: the outcome is on disk or not; a restart
         * finishes it. Answer with the storage error. */
        diag_warn("txn: %s: cannot end the transaction: storage error", t->id);
        op_answer(op);
        op_free(op);
        return;
    }
    switch (op->phase) {
    case PH_PREPARE: {
        t->state = op->commit ? TXN_PREPARE_COMMIT : TXN_PREPARE_ABORT;
        struct broker_part *bp = NULL;
        int64_t end = 0;
        if (state_append(tc, t, op->commit && t->noffs > 0, &bp, &end) < 0) {
            op->error = KAFKA_ERR_KAFKA_STORAGE_ERROR;
            op_answer(op);
            op_free(op);
            return;
        }
        op->phase = PH_MARKERS;
        op_wait(op, bp, end);
        op_arm(op);
        return;
    }
    case PH_MARKERS: {
        crash_point("prepared");
        if (op->commit)
            apply_offsets(tc, t);
        bool wrote = false;
        for (size_t i = 0; i < t->nparts; i++) {
            int16_t err = 0;
            struct slice topic =
                slice_make(t->parts[i].topic, strlen(t->parts[i].topic));
            struct broker_part *bp =
                broker_part_find(b, topic, t->parts[i].partition, false, &err);
            if (!bp || !txn_part_open(b, bp, t->pid))
                continue; /* deleted, or nothing of this pid open there */
            int64_t end = 0;
            struct txn_index_entry ab;
            int rc = txn_part_write_marker(b, bp, t->pid, t->epoch, op->commit,
                                           &end, &ab);
            if (rc < 0) {
                diag_warn("txn: %s: cannot write a marker to %s-%d: %s", t->id,
                          t->parts[i].topic, t->parts[i].partition,
                          err_str(rc));
                op->error = KAFKA_ERR_KAFKA_STORAGE_ERROR;
                continue;
            }
            wrote = true;
            op_wait(op, bp, end);
            if (ab.producer_id >= 0) {
                op->aborts = mem_realloc(op->aborts, (op->naborts + 1) *
                                                         sizeof(*op->aborts));
                op->aborts[op->naborts].bp = bp;
                op->aborts[op->naborts].e = ab;
                op->naborts++;
            }
        }
        if (wrote)
            broker_fetch_notify(b);
        op->phase = PH_COMPLETE;
        if (op->nwaits) {
            op_arm(op);
            return;
        }
        op_step(op);
        return;
    }
    case PH_COMPLETE: {
        /* The markers are durable: now their index entries (a restart
         * before this finds the aborts again: txn_part.c). */
        for (size_t i = 0; i < op->naborts; i++) {
            int rc = partition_txn_index_append(op->aborts[i].bp->p,
                                                &op->aborts[i].e);
            if (rc < 0) {
                diag_warn("txn: %s: cannot write the .txnindex of %s-%d: %s",
                          t->id, op->aborts[i].bp->topic->name,
                          op->aborts[i].bp->id, err_str(rc));
                op->error = KAFKA_ERR_KAFKA_STORAGE_ERROR;
                op_answer(op);
                op_free(op);
                return;
            }
        }
        op->naborts = 0;
        if (in_progress(t))
            crash_point("marked");
        if (in_progress(t))
            t->state = op->commit ? TXN_COMPLETE_COMMIT : TXN_COMPLETE_ABORT;
        clear_parts(t);
        clear_offsets(t);
        if (op->fence) {
            if (t->epoch >= INT16_MAX - 1 || t->pid < 0) {
                int64_t pid;
                if (broker_log_next_producer_id(b, &pid) < 0) {
                    op->error = KAFKA_ERR_KAFKA_STORAGE_ERROR;
                    op_answer(op);
                    op_free(op);
                    return;
                }
                set_pid(tc, t, pid);
                t->epoch = 0;
            } else {
                t->epoch++;
            }
        }
        struct broker_part *bp = NULL;
        int64_t end = 0;
        if (state_append(tc, t, false, &bp, &end) < 0) {
            op->error = KAFKA_ERR_KAFKA_STORAGE_ERROR;
            op_answer(op);
            op_free(op);
            return;
        }
        op->phase = PH_DONE;
        op_wait(op, bp, end);
        op_arm(op);
        return;
    }
    case PH_DONE:
        op_answer(op);
        op_free(op);
        return;
    }
}

/* Starts ending (or, phase PH_COMPLETE with no transaction, re-epoching)
 * t; req (may be NULL) is answered at the end. */
static void op_start(struct txn_coord *tc, struct txn *t, bool commit,
                     bool fence, enum op_phase phase, struct broker_req *req)
{
    struct txn_op *op = mem_calloc(1, sizeof(*op));
    op->tc = tc;
    op->t = t;
    op->commit = commit;
    op->fence = fence;
    op->phase = phase;
    t->op = op;
    if (req) {
        op->api_key = req->api_key;
        op->pending = broker_defer(req);
        broker_pending_set_cancel(op->pending, op_cancel, op);
    }
    op_step(op);
}

/* --- opening and recovery -------------------------------------------------
 */

static void recover(struct txn_coord *tc)
{
    struct hashmap_entry *e;
    size_t n = 0;
    for (size_t i = 0; hashmap_next(&tc->by_id, &i, &e);) {
        struct txn *t = e->value;
        if (!in_progress(t) || t->op)
            continue;
        n++;
        if (t->state == TXN_PREPARE_COMMIT) {
            diag_info("txn: %s: finishing its commit after a restart", t->id);
            op_start(tc, t, true, false, PH_MARKERS, NULL);
        } else {
            diag_info("txn: %s: aborting its %s transaction after a restart",
                      t->id, state_name(t->state));
            op_start(tc, t, false, true,
                     t->state == TXN_ONGOING ? PH_PREPARE : PH_MARKERS, NULL);
        }
    }
    (void)n;
}

/* Replays __transaction_state if it exists (and create is false) or
 * creates it. Returns false if it cannot be read. */
static bool coord_open(struct txn_coord *tc, bool create)
{
    if (tc->opened)
        return true;
    struct broker_part *bp = state_part(tc, create);
    if (!bp)
        return false;
    if (replay(tc, bp) < 0)
        return false;
    tc->opened = true;
    recover(tc);
    return true;
}

/* --- time-outs ------------------------------------------------------------ */

static void tick(struct loop *l, struct loop_timer *tm)
{
    struct txn_coord *tc = tm->arg;
    (void)l;
    int64_t now = clock_now_ms();
    struct hashmap_entry *e;
    for (size_t i = 0; hashmap_next(&tc->by_id, &i, &e);) {
        struct txn *t = e->value;
        if (t->op || t->state != TXN_ONGOING ||
            now - t->start_ms <= t->timeout_ms)
            continue;
        diag_info("txn: %s: open for more than %d ms: aborted, producer "
                  "epoch %d fenced",
                  t->id, t->timeout_ms, t->epoch);
        op_start(tc, t, false, true, PH_PREPARE, NULL);
    }
}

/* --- checks shared by the handlers --------------------------------------- */

/* The transaction the request names, or NULL with *err set. */
static struct txn *txn_check(struct txn_coord *tc, struct slice id, int64_t pid,
                             int16_t epoch, int16_t *err)
{
    *err = 0;
    if (!coord_open(tc, false)) {
        *err = KAFKA_ERR_COORDINATOR_NOT_AVAILABLE;
        return NULL;
    }
    struct txn *t = txn_find(tc, id);
    if (!t || t->pid != pid) {
        *err = KAFKA_ERR_INVALID_PRODUCER_ID_MAPPING;
        return NULL;
    }
    if (epoch != t->epoch) {
        *err = KAFKA_ERR_INVALID_PRODUCER_EPOCH;
        return NULL;
    }
    if (t->op || t->state == TXN_PREPARE_COMMIT ||
        t->state == TXN_PREPARE_ABORT || t->state == TXN_PREPARE_EPOCH_FENCE) {
        *err = KAFKA_ERR_CONCURRENT_TRANSACTIONS;
        return NULL;
    }
    return t;
}

/* Invariant 5: false (and the request is refused) when req is stale. */
static bool fresh(struct txn *t, enum req_kind kind,
                  const struct broker_req *req)
{
    uint64_t serial = broker_conn_serial(req->bc);
    if (serial < t->newest_conn[kind]) {
        diag_warn("txn: %s: a late %s on connection %llu (the client "
                  "already used connection %llu): refused",
                  t->id, kafka_api_name(req->api_key),
                  (unsigned long long)serial,
                  (unsigned long long)t->newest_conn[kind]);
        return false;
    }
    t->newest_conn[kind] = serial;
    return true;
}

static void begin(struct txn *t)
{
    if (t->state != TXN_ONGOING) {
        t->state = TXN_ONGOING;
        t->start_ms = clock_now_ms();
    }
}

/* --- InitProducerId -------------------------------------------------------
 */

static int answer_init(struct broker_req *req, struct buf *out, int16_t err,
                       int64_t pid, int16_t epoch)
{
    struct kafka_init_producer_id_response resp = {0};
    resp.error_code = err;
    resp.producer_id = err ? -1 : pid;
    resp.producer_epoch = err ? -1 : epoch;
    kafka_init_producer_id_response_encode(out, req->api_version, &resp);
    return 0;
}

static int handle_init_producer_id(struct broker_req *req, struct buf *out)
{
    struct broker *b = req->b;
    struct txn_coord *tc = coord(b);
    struct kafka_init_producer_id_request rq;
    int rc = kafka_init_producer_id_request_decode(&req->body, req->api_version,
                                                   req->arena, &rq);
    if (rc < 0)
        return rc;
    if (rq.transactional_id.ptr == NULL) {
        if (!broker_acl_idempotent(req))
            return answer_init(req, out, KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED,
                               -1, -1);
        int64_t pid = -1;
        if (broker_log_next_producer_id(b, &pid) < 0)
            return answer_init(req, out, KAFKA_ERR_KAFKA_STORAGE_ERROR, -1, -1);
        return answer_init(req, out, 0, pid, 0);
    }
    if (rq.transactional_id.len == 0)
        return answer_init(req, out, KAFKA_ERR_INVALID_REQUEST, -1, -1);
    if (!broker_acl_txn(req, rq.transactional_id, AUTH_OP_WRITE))
        return answer_init(
            req, out, KAFKA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1, -1);
    if (rq.transaction_timeout_ms <= 0 ||
        rq.transaction_timeout_ms > b->cfg.txn_max_timeout_ms)
        return answer_init(req, out, KAFKA_ERR_INVALID_TRANSACTION_TIMEOUT, -1,
                           -1);
    if (!coord_open(tc, true))
        return answer_init(req, out, KAFKA_ERR_COORDINATOR_NOT_AVAILABLE, -1,
                           -1);
    struct txn *t = txn_find(tc, rq.transactional_id);
    if (t && t->op)
        return answer_init(req, out, KAFKA_ERR_CONCURRENT_TRANSACTIONS, -1, -1);
    if (!t)
        t = txn_new(tc, rq.transactional_id);
    if (!fresh(t, RK_INIT, req))
        return answer_init(req, out, KAFKA_ERR_INVALID_TXN_STATE, -1, -1);
    t->timeout_ms = rq.transaction_timeout_ms;
    if (t->state == TXN_ONGOING) {
        /* The previous instance's transaction: abort it, then fence. */
        diag_info("txn: %s: a new producer instance: its open transaction "
                  "is aborted, epoch %d fenced",
                  t->id, t->epoch);
        op_start(tc, t, false, true, PH_PREPARE, req);
        return BROKER_DEFERRED;
    }
    if (in_progress(t))
        return answer_init(req, out, KAFKA_ERR_CONCURRENT_TRANSACTIONS, -1, -1);
    /* No transaction open: a new pid or the next epoch, made durable. */
    if (t->pid < 0) {
        t->state = TXN_EMPTY;
        t->epoch = -1; /* the fence step below makes it 0 */
        int64_t pid = -1;
        if (broker_log_next_producer_id(b, &pid) < 0)
            return answer_init(req, out, KAFKA_ERR_KAFKA_STORAGE_ERROR, -1, -1);
        set_pid(tc, t, pid);
    }
    op_start(tc, t, false, true, PH_COMPLETE, req);
    return BROKER_DEFERRED;
}

/* --- AddPartitionsToTxn ---------------------------------------------------
 */

/* An answer held until __transaction_state is durable up to an offset:
 * whatever a client was told about its transaction survives a crash
 * (invariant 1). */
struct state_wait {
    struct broker_pending *pending;
    struct buf body;
    struct broker_durable_wait w;
};

static void state_wait_done(struct broker *b, struct broker_durable_wait *w,
                            int err)
{
    struct state_wait *sw = w->arg;
    (void)b;
    (void)err; /* a failed fsync fails the partition: later writes fail */
    if (sw->pending)
        broker_pending_complete(sw->pending, &sw->body);
    buf_fini(&sw->body);
    mem_free(sw);
}

static void state_wait_cancel(struct broker_pending *p, void *arg)
{
    struct state_wait *sw = arg;
    (void)p;
    sw->pending = NULL;
}

/* Answers req with body (moved from) once bp is durable up to end. */
static int answer_when_durable(struct broker_req *req, struct buf *body,
                               struct broker_part *bp, int64_t end)
{
    struct state_wait *sw = mem_calloc(1, sizeof(*sw));
    sw->body = *body;
    buf_init(body);
    sw->pending = broker_defer(req);
    broker_pending_set_cancel(sw->pending, state_wait_cancel, sw);
    sw->w.part = bp;
    sw->w.end_offset = end;
    sw->w.done = state_wait_done;
    sw->w.arg = sw;
    broker_log_wait_durable(req->b, &sw->w);
    return BROKER_DEFERRED;
}

/* Answers req with body once everything appended to __transaction_state
 * so far is durable (a request that wrote nothing itself may rely on a
 * record an earlier request wrote and still waits for). */
static int answer_when_state_durable(struct txn_coord *tc,
                                     struct broker_req *req, struct buf *body,
                                     struct buf *out)
{
    struct broker_part *bp = state_part(tc, false);
    if (!bp) {
        buf_put(out, body->data, body->len);
        buf_fini(body);
        return 0;
    }
    return answer_when_durable(req, body, bp, partition_high_watermark(bp->p));
}

static int handle_add_partitions(struct broker_req *req, struct buf *out)
{
    struct broker *b = req->b;
    struct txn_coord *tc = coord(b);
    struct kafka_add_partitions_to_txn_request rq;
    int rc = kafka_add_partitions_to_txn_request_decode(
        &req->body, req->api_version, req->arena, &rq);
    if (rc < 0)
        return rc;
    int16_t err = 0;
    struct txn *t = NULL;
    if (!broker_acl_txn(req, rq.transactional_id, AUTH_OP_WRITE))
        err = KAFKA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    else
        t = txn_check(tc, rq.transactional_id, rq.producer_id,
                      rq.producer_epoch, &err);
    if (t && !fresh(t, RK_ADD_PARTS, req)) {
        t = NULL;
        err = KAFKA_ERR_INVALID_TXN_STATE;
    }
    struct kafka_add_partitions_to_txn_response resp = {0};
    resp.ntopics = rq.ntopics;
    resp.topics = arena_calloc(req->arena, (rq.ntopics ? rq.ntopics : 1) *
                                               sizeof(*resp.topics));
    /* Every partition must exist and be writable, else none is added. */
    bool unknown = false;
    for (size_t i = 0; !err && i < rq.ntopics; i++)
        for (size_t j = 0; j < rq.topics[i].npartitions; j++) {
            int16_t e2 = 0;
            if (!broker_part_find(b, rq.topics[i].name,
                                  rq.topics[i].partitions[j], false, &e2) ||
                !broker_acl_topic(req, rq.topics[i].name, AUTH_OP_WRITE))
                unknown = true;
        }
    bool added = false;
    for (size_t i = 0; i < rq.ntopics; i++) {
        const struct kafka_topic_partitions *tp = &rq.topics[i];
        struct kafka_topic_errors *te = &resp.topics[i];
        te->name = tp->name;
        te->npartitions = tp->npartitions;
        te->partitions =
            arena_calloc(req->arena, (tp->npartitions ? tp->npartitions : 1) *
                                         sizeof(*te->partitions));
        for (size_t j = 0; j < tp->npartitions; j++) {
            struct kafka_partition_error *pe = &te->partitions[j];
            pe->partition_index = tp->partitions[j];
            if (err) {
                pe->error_code = err;
                continue;
            }
            int16_t e2 = 0;
            bool exists =
                broker_part_find(b, tp->name, tp->partitions[j], false, &e2);
            if (unknown) {
                pe->error_code = !broker_acl_topic(req, tp->name, AUTH_OP_WRITE)
                                     ? KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED
                                 : exists
                                     ? ERR_NOT_ATTEMPTED
                                     : KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            if (!has_part(t, tp->name, tp->partitions[j])) {
                add_part(t, tp->name, tp->partitions[j]);
                added = true;
            }
        }
    }
    if (err || unknown) {
        kafka_add_partitions_to_txn_response_encode(out, req->api_version,
                                                    &resp);
        return 0;
    }
    if (!added) {
        /* Listed already, by a record that may still wait for its fsync. */
        begin(t);
        struct buf body;
        buf_init(&body);
        kafka_add_partitions_to_txn_response_encode(&body, req->api_version,
                                                    &resp);
        return answer_when_state_durable(tc, req, &body, out);
    }
    begin(t);
    /* The partitions must be durable before the producer writes to them
     * (invariant 1). */
    struct broker_part *bp = NULL;
    int64_t end = 0;
    if (state_append(tc, t, false, &bp, &end) < 0) {
        for (size_t i = 0; i < rq.ntopics; i++)
            for (size_t j = 0; j < resp.topics[i].npartitions; j++)
                resp.topics[i].partitions[j].error_code =
                    KAFKA_ERR_KAFKA_STORAGE_ERROR;
        kafka_add_partitions_to_txn_response_encode(out, req->api_version,
                                                    &resp);
        return 0;
    }
    struct buf body;
    buf_init(&body);
    kafka_add_partitions_to_txn_response_encode(&body, req->api_version, &resp);
    return answer_when_durable(req, &body, bp, end);
}

/* --- AddOffsetsToTxn, TxnOffsetCommit ------------------------------------ */

static int handle_add_offsets(struct broker_req *req, struct buf *out)
{
    struct txn_coord *tc = coord(req->b);
    struct kafka_add_offsets_to_txn_request rq;
    int rc = kafka_add_offsets_to_txn_request_decode(
        &req->body, req->api_version, req->arena, &rq);
    if (rc < 0)
        return rc;
    struct kafka_error_response resp = {0};
    struct txn *t = NULL;
    if (!broker_acl_txn(req, rq.transactional_id, AUTH_OP_WRITE))
        resp.error_code = KAFKA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    else if (!broker_acl_group(req, rq.group_id, AUTH_OP_READ))
        resp.error_code = KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
    else
        t = txn_check(tc, rq.transactional_id, rq.producer_id,
                      rq.producer_epoch, &resp.error_code);
    if (t && !fresh(t, RK_ADD_OFFSETS, req)) {
        t = NULL;
        resp.error_code = KAFKA_ERR_INVALID_TXN_STATE;
    }
    if (t && rq.group_id.len == 0)
        resp.error_code = KAFKA_ERR_INVALID_GROUP_ID;
    else if (t && t->group && !slice_eq_str(rq.group_id, t->group))
        /* One group per transaction here (a consume-transform-produce
         * loop has one). */
        resp.error_code = KAFKA_ERR_INVALID_TXN_STATE;
    else if (t) {
        if (!t->group)
            t->group =
                mem_strndup((const char *)rq.group_id.ptr, rq.group_id.len);
        /* The transaction must be durably Ongoing before the client goes
         * on: its offsets are held here until EndTxn, and a restart must
         * abort (and fence) a transaction it lost them from, never let a
         * retried EndTxn commit its records without them. */
        bool was_ongoing = t->state == TXN_ONGOING;
        begin(t);
        struct buf body;
        buf_init(&body);
        kafka_add_offsets_to_txn_response_encode(&body, req->api_version,
                                                 &resp);
        if (was_ongoing)
            return answer_when_state_durable(tc, req, &body, out);
        struct broker_part *bp = NULL;
        int64_t end = 0;
        if (state_append(tc, t, false, &bp, &end) < 0) {
            buf_fini(&body);
            resp.error_code = KAFKA_ERR_KAFKA_STORAGE_ERROR;
            kafka_add_offsets_to_txn_response_encode(out, req->api_version,
                                                     &resp);
            return 0;
        }
        return answer_when_durable(req, &body, bp, end);
    }
    kafka_add_offsets_to_txn_response_encode(out, req->api_version, &resp);
    return 0;
}

static int handle_txn_offset_commit(struct broker_req *req, struct buf *out)
{
    struct txn_coord *tc = coord(req->b);
    struct kafka_txn_offset_commit_request rq;
    int rc = kafka_txn_offset_commit_request_decode(
        &req->body, req->api_version, req->arena, &rq);
    if (rc < 0)
        return rc;
    int16_t err = 0;
    struct txn *t = NULL;
    if (!broker_acl_txn(req, rq.transactional_id, AUTH_OP_WRITE))
        err = KAFKA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    else if (!broker_acl_group(req, rq.group_id, AUTH_OP_READ))
        err = KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
    else
        t = txn_check(tc, rq.transactional_id, rq.producer_id,
                      rq.producer_epoch, &err);
    if (t && !fresh(t, RK_OFFSETS, req)) {
        t = NULL;
        err = KAFKA_ERR_INVALID_TXN_STATE;
    }
    if (t && (!t->group || !slice_eq_str(rq.group_id, t->group)))
        err = KAFKA_ERR_INVALID_TXN_STATE; /* no AddOffsetsToTxn first */
    struct kafka_txn_offset_commit_response resp = {0};
    resp.ntopics = rq.ntopics;
    resp.topics = arena_calloc(req->arena, (rq.ntopics ? rq.ntopics : 1) *
                                               sizeof(*resp.topics));
    for (size_t i = 0; i < rq.ntopics; i++) {
        const struct kafka_offset_commit_topic *ct = &rq.topics[i];
        struct kafka_topic_errors *te = &resp.topics[i];
        te->name = ct->name;
        te->npartitions = ct->npartitions;
        te->partitions =
            arena_calloc(req->arena, (ct->npartitions ? ct->npartitions : 1) *
                                         sizeof(*te->partitions));
        for (size_t j = 0; j < ct->npartitions; j++) {
            const struct kafka_offset_commit_partition *cp = &ct->partitions[j];
            te->partitions[j].partition_index = cp->partition_index;
            te->partitions[j].error_code = err;
            if (err)
                continue;
            if (!broker_acl_topic(req, ct->name, AUTH_OP_READ)) {
                te->partitions[j].error_code =
                    KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
                continue;
            }
            if (cp->committed_metadata.len > GROUP_OFFSETS_METADATA_MAX) {
                te->partitions[j].error_code =
                    12; /* OFFSET_METADATA_TOO_LARGE */
                continue;
            }
            set_offset(t, ct->name, cp->partition_index, cp->committed_offset,
                       cp->committed_leader_epoch, cp->committed_metadata);
        }
    }
    kafka_txn_offset_commit_response_encode(out, req->api_version, &resp);
    return 0;
}

/* --- EndTxn ------------------------------------------------------------- */

static int handle_end_txn(struct broker_req *req, struct buf *out)
{
    struct txn_coord *tc = coord(req->b);
    struct kafka_end_txn_request rq;
    int rc = kafka_end_txn_request_decode(&req->body, req->api_version,
                                          req->arena, &rq);
    if (rc < 0)
        return rc;
    struct kafka_error_response resp = {0};
    struct txn *t = NULL;
    if (!broker_acl_txn(req, rq.transactional_id, AUTH_OP_WRITE))
        resp.error_code = KAFKA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    else
        t = txn_check(tc, rq.transactional_id, rq.producer_id,
                      rq.producer_epoch, &resp.error_code);
    if (t && !fresh(t, RK_END, req)) {
        t = NULL;
        resp.error_code = KAFKA_ERR_INVALID_TXN_STATE;
    }
    if (t && t->state != TXN_ONGOING) {
        /* A retry of an end that completed is answered as it was. */
        bool same = (t->state == TXN_COMPLETE_COMMIT && rq.committed) ||
                    (t->state == TXN_COMPLETE_ABORT && !rq.committed);
        resp.error_code = same ? 0 : KAFKA_ERR_INVALID_TXN_STATE;
        t = NULL;
    }
    if (!t) {
        kafka_end_txn_response_encode(out, req->api_version, &resp);
        return 0;
    }
    op_start(tc, t, rq.committed, false, PH_PREPARE, req);
    return BROKER_DEFERRED;
}

/* --- Produce -------------------------------------------------------------- */

int16_t txn_coord_produce_check(struct broker *b, struct slice txn_id,
                                struct broker_part *bp,
                                const struct record_batch_header *h)
{
    struct txn_coord *tc = coord(b);
    if (!record_batch_attr_transactional(h->attributes))
        return KAFKA_ERR_INVALID_RECORD; /* sent with a transactional id */
    if (h->producer_id < 0)
        return KAFKA_ERR_INVALID_RECORD;
    if (!tc || !coord_open(tc, false))
        return KAFKA_ERR_INVALID_PRODUCER_ID_MAPPING;
    struct txn *t =
        hashmap_get(&tc->by_pid, &h->producer_id, sizeof(h->producer_id));
    if (!t || (txn_id.ptr && (txn_id.len != t->id_len ||
                              memcmp(txn_id.ptr, t->id, t->id_len))))
        return KAFKA_ERR_INVALID_PRODUCER_ID_MAPPING;
    if (h->producer_epoch != t->epoch)
        return KAFKA_ERR_INVALID_PRODUCER_EPOCH;
    if (t->op || t->state != TXN_ONGOING ||
        !has_part(t, slice_make(bp->topic->name, strlen(bp->topic->name)),
                  bp->id))
        return KAFKA_ERR_INVALID_TXN_STATE;
    if (!txn_part_get(b, bp))
        return KAFKA_ERR_KAFKA_STORAGE_ERROR;
    return 0;
}

/* --- DescribeTransactions, ListTransactions ------------------------------ */

static int handle_describe(struct broker_req *req, struct buf *out)
{
    struct txn_coord *tc = coord(req->b);
    struct kafka_describe_transactions_request rq;
    int rc = kafka_describe_transactions_request_decode(
        &req->body, req->api_version, req->arena, &rq);
    if (rc < 0)
        return rc;
    bool ok = coord_open(tc, false);
    struct kafka_describe_transactions_response resp = {0};
    resp.n = rq.nids;
    resp.states = arena_calloc(req->arena,
                               (rq.nids ? rq.nids : 1) * sizeof(*resp.states));
    for (size_t i = 0; i < rq.nids; i++) {
        struct kafka_txn_description *d = &resp.states[i];
        d->transactional_id = rq.ids[i];
        d->state = slice_make("", 0);
        d->start_ms = -1;
        d->producer_id = -1;
        d->producer_epoch = -1;
        if (!broker_acl_txn(req, rq.ids[i], AUTH_OP_DESCRIBE)) {
            d->error_code = KAFKA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
            continue;
        }
        struct txn *t = ok ? txn_find(tc, rq.ids[i]) : NULL;
        if (!t) {
            d->error_code = ok ? 105 /* TRANSACTIONAL_ID_NOT_FOUND */
                               : KAFKA_ERR_COORDINATOR_NOT_AVAILABLE;
            continue;
        }
        const char *st = state_name(t->state);
        d->state = slice_make(st, strlen(st));
        d->timeout_ms = t->timeout_ms;
        d->start_ms = in_progress(t) ? t->start_ms : -1;
        d->producer_id = t->pid;
        d->producer_epoch = t->epoch;
        /* Partitions grouped by topic, in the order they were added. */
        d->topics = arena_calloc(req->arena, (t->nparts ? t->nparts : 1) *
                                                 sizeof(*d->topics));
        for (size_t j = 0; j < t->nparts; j++) {
            struct slice name =
                slice_make(t->parts[j].topic, strlen(t->parts[j].topic));
            struct kafka_topic_partitions *tp = NULL;
            for (size_t k = 0; k < d->ntopics && !tp; k++)
                if (slice_eq_str(d->topics[k].name, t->parts[j].topic))
                    tp = &d->topics[k];
            if (!tp) {
                tp = &d->topics[d->ntopics++];
                tp->name = name;
                tp->partitions = arena_alloc(
                    req->arena, t->nparts * sizeof(*tp->partitions));
            }
            tp->partitions[tp->npartitions++] = t->parts[j].partition;
        }
    }
    kafka_describe_transactions_response_encode(out, req->api_version, &resp);
    return 0;
}

static int state_by_name(struct slice s)
{
    for (int i = TXN_EMPTY; i <= TXN_PREPARE_EPOCH_FENCE; i++)
        if (slice_eq_str(s, state_name((enum txn_state)i)))
            return i;
    return -1;
}

static int handle_list(struct broker_req *req, struct buf *out)
{
    struct txn_coord *tc = coord(req->b);
    struct kafka_list_transactions_request rq;
    int rc = kafka_list_transactions_request_decode(
        &req->body, req->api_version, req->arena, &rq);
    if (rc < 0)
        return rc;
    struct kafka_list_transactions_response resp = {0};
    resp.unknown_state_filters = arena_alloc(
        req->arena, (rq.nstates ? rq.nstates : 1) * sizeof(struct slice));
    for (size_t i = 0; i < rq.nstates; i++)
        if (state_by_name(rq.state_filters[i]) < 0)
            resp.unknown_state_filters[resp.nunknown++] = rq.state_filters[i];
    if (!coord_open(tc, false)) {
        resp.error_code = KAFKA_ERR_COORDINATOR_NOT_AVAILABLE;
        kafka_list_transactions_response_encode(out, req->api_version, &resp);
        return 0;
    }
    size_t n = hashmap_count(&tc->by_id);
    resp.states = arena_calloc(req->arena, (n ? n : 1) * sizeof(*resp.states));
    int64_t now = clock_now_ms();
    struct hashmap_entry *e;
    for (size_t it = 0; hashmap_next(&tc->by_id, &it, &e);) {
        const struct txn *t = e->value;
        bool keep = rq.nstates == 0;
        for (size_t i = 0; i < rq.nstates && !keep; i++)
            keep = state_by_name(rq.state_filters[i]) == (int)t->state;
        bool pid_ok = rq.npids == 0;
        for (size_t i = 0; i < rq.npids && !pid_ok; i++)
            pid_ok = rq.pid_filters[i] == t->pid;
        if (rq.duration_filter >= 0 &&
            (!in_progress(t) || now - t->start_ms < rq.duration_filter))
            keep = false;
        if (!keep || !pid_ok ||
            !broker_acl_txn(req, slice_make(t->id, t->id_len),
                            AUTH_OP_DESCRIBE))
            continue;
        struct kafka_txn_listing *l = &resp.states[resp.n++];
        l->transactional_id = slice_make(t->id, t->id_len);
        l->producer_id = t->pid;
        const char *st = state_name(t->state);
        l->state = slice_make(st, strlen(st));
    }
    kafka_list_transactions_response_encode(out, req->api_version, &resp);
    return 0;
}

bool txn_coord_lists(struct broker *b, const struct broker_part *bp)
{
    struct txn_coord *tc = coord(b);
    if (!tc)
        return false;
    if (!tc->opened)
        return state_part(tc, false) != NULL; /* unreadable: assume so */
    struct slice topic = slice_make(bp->topic->name, strlen(bp->topic->name));
    struct hashmap_entry *e;
    for (size_t i = 0; hashmap_next(&tc->by_id, &i, &e);) {
        const struct txn *t = e->value;
        if (in_progress(t) && has_part(t, topic, bp->id))
            return true;
    }
    return false;
}

bool txn_coord_offsets_pending(struct broker *b, struct slice group,
                               struct slice topic, int32_t partition)
{
    struct txn_coord *tc = coord(b);
    if (!tc || !tc->opened)
        return false;
    struct hashmap_entry *e;
    for (size_t i = 0; hashmap_next(&tc->by_id, &i, &e);) {
        const struct txn *t = e->value;
        if (!in_progress(t) || !t->group || !slice_eq_str(group, t->group))
            continue;
        for (size_t j = 0; j < t->noffs; j++)
            if (t->offs[j].partition == partition &&
                slice_eq_str(topic, t->offs[j].topic))
                return true;
    }
    return false;
}

/* --- registration ---------------------------------------------------------
 */

void txn_coord_register(struct broker *b)
{
    struct txn_coord *tc = mem_calloc(1, sizeof(*tc));
    tc->b = b;
    hashmap_init(&tc->by_id);
    hashmap_init(&tc->by_pid);
    b->txn = tc;
    /* After a crash: finish what was decided, abort the rest. */
    if (!coord_open(tc, false) && state_part(tc, false))
        diag_warn("txn: cannot read %s: transactional producers will be "
                  "refused",
                  TXN_STATE_TOPIC);
    loop_timer_init(&tc->tick, tick, tc);
    loop_timer_start(b->loop, &tc->tick, b->cfg.txn_abort_interval_ms,
                     b->cfg.txn_abort_interval_ms);
    broker_serve(b, KAFKA_API_INIT_PRODUCER_ID, handle_init_producer_id);
    broker_serve(b, KAFKA_API_ADD_PARTITIONS_TO_TXN, handle_add_partitions);
    broker_serve(b, KAFKA_API_ADD_OFFSETS_TO_TXN, handle_add_offsets);
    broker_serve(b, KAFKA_API_END_TXN, handle_end_txn);
    broker_serve(b, KAFKA_API_TXN_OFFSET_COMMIT, handle_txn_offset_commit);
    broker_serve(b, KAFKA_API_DESCRIBE_TRANSACTIONS, handle_describe);
    broker_serve(b, KAFKA_API_LIST_TRANSACTIONS, handle_list);
}

void txn_coord_fini(struct broker *b)
{
    struct txn_coord *tc = coord(b);
    if (!tc)
        return;
    loop_timer_stop(b->loop, &tc->tick);
    struct hashmap_entry *e;
    for (size_t i = 0; hashmap_next(&tc->by_id, &i, &e);) {
        struct txn *t = e->value;
        if (t->op)
            op_free(t->op); /* a restart finishes it */
        txn_free(t);
    }
    hashmap_fini(&tc->by_id);
    hashmap_fini(&tc->by_pid);
    mem_free(tc);
    b->txn = NULL;
}
