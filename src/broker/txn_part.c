/* txn_part.c - per-partition transaction state: open transactions, LSO,
 * aborted list, control batches (layer: broker). Contract and invariants:
 * txn_part.h.
 *
 * Building the state: the aborted list is read from the partition's
 * `.txnindex` files (src/log/txn_index.h), and no transaction is open
 * unless the coordinator has a transaction in progress that lists the
 * partition (txn_coord_lists: its invariants 1 and 2 make that exact). Only
 * then, which happens at recovery after a crash, every batch header from
 * the log start to the log end is walked once (through read-only segment
 * views when the segment can be mapped, so only the header pages are
 * touched), and the aborts the walk finds that the index lacks are added
 * to it. After that every append keeps the state current; an ABORT
 * marker's index entry is written by the coordinator once the marker is
 * durable (txn_coord.c), so an index never names a marker the log lost. A
 * control batch (Kafka's layout, docs/record-batch.md): attributes
 * transactional | control, producerId/epoch of the transaction, baseSequence
 * -1, one record: key   version int16 = 0, type int16 (0 ABORT, 1 COMMIT) value
 * version int16 = 0, coordinator_epoch int32
 */
#include "broker/txn_part.h"

#include <stdlib.h>

#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/hashmap.h"
#include "base/mem.h"
#include "broker/txn_coord.h"
#include "kafka/kafka_proto.h"
#include "log/partition.h"
#include "log/record_batch.h"
#include "log/txn_index.h"

#define SCAN_CHUNK (8u << 20)

struct aborted {
    int64_t pid, first, last;
};

struct txn_part {
    struct hashmap open; /* pid -> int64_t* first offset */
    struct aborted *ab;
    size_t nab, cap;
};

static void set_open(struct txn_part *tp, int64_t pid, int64_t first)
{
    if (hashmap_get(&tp->open, &pid, sizeof(pid)))
        return;
    int64_t *v = mem_alloc(sizeof(*v));
    *v = first;
    hashmap_put(&tp->open, &pid, sizeof(pid), v);
}

static void add_aborted(struct txn_part *tp, int64_t pid, int64_t first,
                        int64_t last)
{
    if (tp->nab == tp->cap) {
        tp->cap = tp->cap ? tp->cap * 2 : 16;
        tp->ab = mem_realloc(tp->ab, tp->cap * sizeof(*tp->ab));
    }
    tp->ab[tp->nab++] = (struct aborted){pid, first, last};
}

/* Closes pid's transaction at the marker at offset `at`. */
static void close_open(struct txn_part *tp, int64_t pid, bool commit,
                       int64_t at)
{
    int64_t *v = hashmap_remove(&tp->open, &pid, sizeof(pid));
    if (!v)
        return;
    if (!commit)
        add_aborted(tp, pid, *v, at);
    mem_free(v);
}

/* The control type of a control batch (0 abort, 1 commit), -1 if it is
 * not a transaction marker (rill's own runtime markers, a bad key). */
static int marker_type(const uint8_t *batch, size_t len)
{
    struct record_iter it;
    struct record rec;
    if (record_iter_init(&it, batch, len, NULL) < 0 ||
        record_iter_next(&it, &rec) != 1 || rec.key_null || rec.key.len < 4)
        return -1;
    if (be16_load(rec.key.ptr) != 0)
        return -1;
    int type = be16_load(rec.key.ptr + 2);
    return type == 0 || type == 1 ? type : -1;
}

static void apply_batch(struct txn_part *tp,
                        const struct record_batch_header *h,
                        const uint8_t *batch, size_t len)
{
    if (!record_batch_attr_transactional(h->attributes) || h->producer_id < 0)
        return;
    if (!record_batch_attr_control(h->attributes)) {
        set_open(tp, h->producer_id, h->base_offset);
        return;
    }
    int type = marker_type(batch, len);
    if (type >= 0)
        close_open(tp, h->producer_id, type == 1, h->base_offset);
}

static void on_entry(void *arg, const struct txn_index_entry *e)
{
    add_aborted(arg, e->producer_id, e->first_offset, e->last_offset);
}

static int cmp_last(const void *a, const void *b)
{
    const struct aborted *x = a, *y = b;
    return x->last < y->last ? -1 : x->last > y->last;
}

/* After a walk: the aborts it found that no index names yet. */
static int reconcile(struct partition *p, const struct txn_part *tp)
{
    struct txn_part idx = {0};
    int rc = partition_txn_index_read(p, on_entry, &idx);
    for (size_t i = 0; rc >= 0 && i < tp->nab; i++) {
        bool known = false;
        for (size_t j = 0; j < idx.nab && !known; j++)
            known = idx.ab[j].pid == tp->ab[i].pid &&
                    idx.ab[j].last == tp->ab[i].last;
        if (known)
            continue;
        struct txn_index_entry e = {tp->ab[i].pid, tp->ab[i].first,
                                    tp->ab[i].last, tp->ab[i].last + 1};
        rc = partition_txn_index_append(p, &e);
    }
    mem_free(idx.ab);
    return rc < 0 ? rc : 0;
}

static int walk(struct broker *b, struct broker_part *bp, struct txn_part *tp);

static int load(struct broker *b, struct broker_part *bp, struct txn_part *tp)
{
    if (!txn_coord_lists(b, bp)) {
        int rc = partition_txn_index_read(bp->p, on_entry, tp);
        if (rc < 0)
            return rc;
        if (tp->nab > 1)
            qsort(tp->ab, tp->nab, sizeof(*tp->ab), cmp_last);
        return 0;
    }
    int rc = walk(b, bp, tp);
    return rc < 0 ? rc : reconcile(bp->p, tp);
}

/* Every batch header from the log start to the end. */
static int walk(struct broker *b, struct broker_part *bp, struct txn_part *tp)
{
    struct partition *p = bp->p;
    int64_t off = partition_log_start_offset(p);
    int64_t end = partition_high_watermark(p);
    struct buf *copy = broker_log_scratch(b);
    int64_t t0 = clock_now_ms();
    while (off < end) {
        struct partition_slice s = {0};
        int rc = partition_read_view_upto(p, off, end, SCAN_CHUNK, &s);
        if (rc < 0)
            return rc;
        if (s.len == 0 || s.next_offset <= off) {
            partition_slice_release(&s);
            break;
        }
        const uint8_t *bytes = s.view;
        if (!bytes) {
            buf_reset(copy);
            int64_t next = off;
            rc = partition_read_copy_upto(p, off, end, s.len, copy, &next);
            if (rc < 0) {
                partition_slice_release(&s);
                return rc;
            }
            bytes = copy->data;
            s.len = copy->len;
        }
        struct record_batch_walk w;
        struct record_batch_header h;
        const uint8_t *bat;
        size_t blen;
        record_batch_walk_init(&w, bytes, s.len);
        while (record_batch_walk_next(&w, &h, &bat, &blen) == 1)
            if (record_batch_last_offset(&h) >= off)
                apply_batch(tp, &h, bat, blen);
        off = s.next_offset;
        partition_slice_release(&s);
    }
    int64_t ms = clock_now_ms() - t0;
    if (ms >= 100 || hashmap_count(&tp->open) || tp->nab)
        diag_info("txn: %s-%d: %zu open, %zu aborted transaction(s) found "
                  "in %lld ms",
                  partition_topic(p), bp->id, hashmap_count(&tp->open), tp->nab,
                  (long long)ms);
    return 0;
}

struct txn_part *txn_part_get(struct broker *b, struct broker_part *bp)
{
    if (bp->txn)
        return bp->txn;
    struct txn_part *tp = mem_calloc(1, sizeof(*tp));
    hashmap_init(&tp->open);
    int rc = load(b, bp, tp);
    if (rc < 0) {
        diag_warn("txn: %s-%d: cannot read the log: %s", partition_topic(bp->p),
                  bp->id, err_str(rc));
        txn_part_destroy(tp);
        return NULL;
    }
    bp->txn = tp;
    return tp;
}

void txn_part_destroy(struct txn_part *tp)
{
    if (!tp)
        return;
    struct hashmap_entry *e;
    for (size_t i = 0; hashmap_next(&tp->open, &i, &e);)
        mem_free(e->value);
    hashmap_fini(&tp->open);
    mem_free(tp->ab);
    mem_free(tp);
}

int64_t txn_part_lso(struct broker *b, struct broker_part *bp, int64_t end)
{
    struct txn_part *tp = txn_part_get(b, bp);
    if (!tp)
        return partition_log_start_offset(bp->p);
    int64_t lso = end;
    struct hashmap_entry *e;
    for (size_t i = 0; hashmap_next(&tp->open, &i, &e);) {
        int64_t first = *(const int64_t *)e->value;
        if (first < lso)
            lso = first;
    }
    return lso;
}

bool txn_part_open(struct broker *b, struct broker_part *bp, int64_t pid)
{
    struct txn_part *tp = txn_part_get(b, bp);
    return tp && hashmap_get(&tp->open, &pid, sizeof(pid)) != NULL;
}

void txn_part_on_append(struct broker *b, struct broker_part *bp, int64_t pid,
                        int64_t base_offset)
{
    struct txn_part *tp = txn_part_get(b, bp);
    if (tp)
        set_open(tp, pid, base_offset);
}

int txn_part_write_marker(struct broker *b, struct broker_part *bp, int64_t pid,
                          int16_t epoch, bool commit, int64_t *end_offset,
                          struct txn_index_entry *aborted)
{
    struct txn_part *tp = txn_part_get(b, bp);
    aborted->producer_id = -1;
    if (!tp)
        return ERR_FAILED;
    const int64_t *first = hashmap_get(&tp->open, &pid, sizeof(pid));
    if (first && !commit) {
        aborted->producer_id = pid;
        aborted->first_offset = *first;
    }
    uint8_t key[4], val[6];
    be16_store(key, 0);
    be16_store(key + 2, commit ? 1 : 0);
    be16_store(val, 0);
    be32_store(val + 2, 0);
    struct slice ks = slice_make(key, sizeof key), vs = slice_make(val, 6);
    struct record_batch_builder bb;
    record_batch_builder_init(&bb, 0);
    bb.extra_attributes =
        RECORD_BATCH_ATTR_TRANSACTIONAL | RECORD_BATCH_ATTR_CONTROL;
    record_batch_builder_set_producer(&bb, pid, epoch, -1);
    record_batch_builder_add(&bb, &ks, &vs, clock_now_ms(), NULL, 0);
    struct buf *out = broker_log_scratch(b);
    buf_reset(out);
    int rc = record_batch_builder_finish(&bb, out);
    record_batch_builder_fini(&bb);
    if (rc < 0)
        return rc;
    int64_t base = -1;
    rc = partition_append(bp->p, out->data, out->len, &base);
    if (rc < 0)
        return rc;
    close_open(tp, pid, commit, base);
    *end_offset = base + 1;
    if (aborted->producer_id >= 0) {
        aborted->last_offset = base;
        aborted->last_stable_offset = txn_part_lso(b, bp, base + 1);
    }
    return 0;
}

size_t txn_part_aborted(struct broker *b, struct broker_part *bp, int64_t from,
                        int64_t upto, struct arena *a,
                        struct kafka_fetch_aborted **out)
{
    struct txn_part *tp = txn_part_get(b, bp);
    *out = NULL;
    if (!tp || tp->nab == 0)
        return 0;
    /* Entries wholly below the log start are gone with their data. */
    int64_t start = partition_log_start_offset(bp->p);
    size_t drop = 0;
    while (drop < tp->nab && tp->ab[drop].last < start)
        drop++;
    if (drop) {
        memmove(tp->ab, tp->ab + drop, (tp->nab - drop) * sizeof(*tp->ab));
        tp->nab -= drop;
    }
    /* First entry with last >= from (the list is in `last` order). */
    size_t lo = 0, hi = tp->nab;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tp->ab[mid].last < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    for (size_t i = lo; i < tp->nab; i++)
        n += tp->ab[i].first < upto;
    if (n == 0)
        return 0;
    struct kafka_fetch_aborted *v = arena_alloc(a, n * sizeof(*v));
    size_t k = 0;
    for (size_t i = lo; i < tp->nab; i++)
        if (tp->ab[i].first < upto) {
            v[k].producer_id = tp->ab[i].pid;
            v[k].first_offset = tp->ab[i].first;
            k++;
        }
    *out = v;
    return n;
}
