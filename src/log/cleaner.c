/* cleaner.c - log compaction: keeps the latest record of each key in the
 * closed segments of a partition whose cleanup.policy includes compact
 * (layer: log). It does not decide when a transaction commits (the
 * broker's coordinator writes the markers; this file only reads them) nor
 * run a thread (logdir.c runs passes on the flusher's loop, another
 * instance). Rules and their reasons: docs/log.md "Compacted topics".
 *
 * One pass over a partition:
 *   1. Range. Closed segments only. The dirty range starts at the cleaner
 *      offset (everything below it was cleaned) and ends at the first
 *      segment younger than min.compaction.lag.ms, or at the active one.
 *      Skipped when dirty bytes / all closed bytes < min.cleanable.dirty.
 *      ratio (unless forced).
 *   2. Transactions. The batch headers from the cleaner offset on (up to
 *      the durable offset, through the active segment if need be) give
 *      each transaction's outcome from its COMMIT/ABORT marker; the range
 *      ends before the first transaction still open (Kafka cleans below
 *      the last stable offset only). Aborted data is never a key's latest
 *      value and is removed.
 *   3. Map. key (128-bit hash) -> largest offset, over the dirty range;
 *      if the map fills up, the range ends at that batch.
 *   4. Rewrite, segment by segment from the oldest: a record goes when a
 *      later offset of its key is in the map, when it belongs to an
 *      aborted transaction, or when it is a tombstone (null value) whose
 *      batch is older than delete.retention.ms; a COMMIT/ABORT marker goes
 *      when no batch of its transaction is left and it is older than
 *      delete.retention.ms. Batches keep their base offset, last offset,
 *      timestamps and producer fields (the records keep their offsets:
 *      gaps, as Kafka); a batch left empty is dropped, except a segment's
 *      last batch, kept empty so every segment still ends where the next
 *      begins. A segment with nothing to remove is not rewritten.
 *   5. Swap (crash-safe, Kafka's names): <base>.log.cleaned written and
 *      fdatasynced; under the partition mutex renamed to .log.swap (the
 *      decision), the old .index/.timeindex removed, .swap renamed over
 *      .log; the directory fsynced; indexes rebuilt from the new file and
 *      written; the segment replaced in memory (readers of the old one
 *      keep their open file). Recovery removes a .cleaned and completes a
 *      .swap (partition.c finish_swaps), so kill -9 at any point leaves
 *      either the old segment or the new one, both whole.
 *   6. The cleaner offset moves to the end of the mapped range
 *      (<dir>/cleaner-offset).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/hashmap.h"
#include "base/mem.h"
#include "base/os.h"
#include "log/compress.h"
#include "log/log_int.h"
#include "log/record_batch.h"
#include "log/segment.h"

/* --- the offset map ------------------------------------------------------
 * Open addressing over 24-byte slots {h1, h2, offset}; a key is its two
 * independent 64-bit hashes (h1 never 0, so h1 == 0 is an empty slot).
 * Two different keys with the same 128 bits would lose the older one's
 * value: about 2^-64 per pair, as Kafka accepts with MD5 (its
 * SkimpyOffsetMap). Filled to 75% at most. */
struct map_slot {
    uint64_t h1, h2;
    int64_t offset;
};

struct cleaner_map {
    struct map_slot *slots;
    size_t mask, count, limit;
};

struct cleaner_map *cleaner_map_create(int64_t bytes)
{
    size_t n = 1024;
    while ((int64_t)(n * 2 * sizeof(struct map_slot)) <= bytes)
        n *= 2;
    struct cleaner_map *m = mem_calloc(1, sizeof(*m));
    m->slots = mem_calloc(n, sizeof(*m->slots));
    m->mask = n - 1;
    m->limit = n / 4 * 3;
    return m;
}

void cleaner_map_destroy(struct cleaner_map *m)
{
    if (!m)
        return;
    mem_free(m->slots);
    mem_free(m);
}

static void map_clear(struct cleaner_map *m)
{
    memset(m->slots, 0, (m->mask + 1) * sizeof(*m->slots));
    m->count = 0;
}

static void key_hash(struct slice k, uint64_t *h1, uint64_t *h2)
{
    *h1 = hashmap_hash(k.ptr, k.len); /* never 0 */
    /* FNV-1a 64, then the murmur3 finalizer: unrelated to h1. */
    uint64_t h = 0xcbf29ce484222325ull ^ k.len;
    const uint8_t *p = k.ptr;
    for (size_t i = 0; i < k.len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    *h2 = h;
}

static struct map_slot *map_find(struct cleaner_map *m, uint64_t h1,
                                 uint64_t h2)
{
    size_t i = (size_t)(h1 ^ (h2 >> 7)) & m->mask;
    for (;;) {
        struct map_slot *s = &m->slots[i];
        if (s->h1 == 0 || (s->h1 == h1 && s->h2 == h2))
            return s;
        i = (i + 1) & m->mask;
    }
}

static void map_put(struct cleaner_map *m, struct slice k, int64_t offset)
{
    uint64_t h1, h2;
    key_hash(k, &h1, &h2);
    struct map_slot *s = map_find(m, h1, h2);
    if (s->h1 == 0) {
        s->h1 = h1;
        s->h2 = h2;
        m->count++;
    }
    s->offset = offset; /* offsets only grow during a scan */
}

static int64_t map_get(struct cleaner_map *m, struct slice k)
{
    uint64_t h1, h2;
    key_hash(k, &h1, &h2);
    struct map_slot *s = map_find(m, h1, h2);
    return s->h1 ? s->offset : -1;
}

/* --- transactions --------------------------------------------------------
 * Aborted transactions of the scanned range: {pid, first data offset,
 * marker offset}, sorted by (pid, first) for lookups. */
struct txn_range {
    int64_t pid, first, last;
};

struct txns {
    struct txn_range *ab;
    size_t nab, cap;
    struct hashmap open; /* pid -> int64_t* first offset */
    int64_t first_open;  /* smallest first offset still open, or -1 */
};

static int cmp_range(const void *a, const void *b)
{
    const struct txn_range *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

static void txns_fini(struct txns *t)
{
    struct hashmap_entry *e;
    for (size_t it = 0; hashmap_next(&t->open, &it, &e);)
        mem_free(e->value);
    hashmap_fini(&t->open);
    mem_free(t->ab);
}

/* Whether the transactional batch of pid at offset was aborted. */
static bool txns_aborted(const struct txns *t, int64_t pid, int64_t offset)
{
    size_t lo = 0, hi = t->nab;
    while (lo < hi) { /* the last range with (pid, first) <= (pid, offset) */
        size_t mid = lo + (hi - lo) / 2;
        const struct txn_range *r = &t->ab[mid];
        if (r->pid < pid || (r->pid == pid && r->first <= offset))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return false;
    const struct txn_range *r = &t->ab[lo - 1];
    return r->pid == pid && r->first <= offset && offset <= r->last;
}

/* The marker type of a control batch: 0 ABORT, 1 COMMIT, -1 unreadable. */
static int control_type(const uint8_t *batch, size_t len)
{
    struct record_iter it;
    struct record rec;
    if (record_iter_init(&it, batch, len, NULL) < 0 ||
        record_iter_next(&it, &rec) != 1 || rec.key_null || rec.key.len < 4)
        return -1;
    return (int)be16_load((const uint8_t *)rec.key.ptr + 2);
}

/* --- reading and throttling -------------------------------------------- */

struct pass {
    struct partition *p;
    struct partition_clean_view v;
    struct cleaner_map *map;
    int64_t now_ms, horizon_ms; /* tombstones/markers older than horizon go */
    int64_t map_end;            /* records below it are in the map's scope */
    int64_t rate;               /* bytes/s, 0 = unthrottled */
    int64_t io_bytes, t0_us;
    const atomic_int *stop;
    struct txns tx;
    struct buf win, scratch, recs, out, enc;
    struct logdir_clean_stats *st;
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Bounded I/O: after every chunk, sleeps until the bytes read and written
 * so far fit the rate (log.cleaner.io.max.bytes.per.second). */
static void throttle(struct pass *ps, size_t bytes)
{
    ps->io_bytes += (int64_t)bytes;
    if (ps->rate <= 0)
        return;
    int64_t due_us = ps->io_bytes * 1000000 / ps->rate;
    int64_t ahead = due_us - (mono_us() - ps->t0_us);
    if (ahead > 1000) {
        struct timespec ts = {ahead / 1000000, (ahead % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
}

/* Reads whole batches of a closed segment in windows of about 1 MiB:
 * calls fn for each with its position; stops when fn returns non-zero.
 * Returns 0, fn's value, or an error (a batch that does not decode in a
 * closed segment is ERR_CORRUPT: the pass stops, nothing is changed). */
typedef int batch_fn(struct pass *ps, struct segment *s, int64_t pos,
                     const struct record_batch_header *h, const uint8_t *b,
                     size_t len, void *arg);

static int walk_segment(struct pass *ps, struct segment *s, int64_t from_pos,
                        batch_fn *fn, void *arg)
{
    int64_t pos = from_pos;
    while (pos < s->size) {
        if (atomic_load(ps->stop))
            return ERR_CLOSED;
        size_t want = 1u << 20;
        if ((int64_t)want > s->size - pos)
            want = (size_t)(s->size - pos);
        buf_reset(&ps->win);
        uint8_t *dst = buf_extend(&ps->win, want);
        size_t got = 0;
        while (got < want) {
            ssize_t r = pread(s->fd, dst + got, want - got,
                              (off_t)(pos + (int64_t)got));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return r < 0 ? -errno : ERR_CORRUPT;
            got += (size_t)r;
        }
        ps->st->bytes_read += (int64_t)got;
        throttle(ps, got);
        size_t off = 0;
        for (;;) {
            struct record_batch_header h;
            int rc = record_batch_header_decode(ps->win.data + off,
                                                ps->win.len - off, &h);
            if (rc == ERR_AGAIN) {
                if (off == 0) {
                    /* One batch larger than the window: read it whole. */
                    if (h.batch_length < 0 ||
                        record_batch_size(&h) > SEGMENT_MAX_BATCH_BYTES ||
                        pos + (int64_t)record_batch_size(&h) > s->size)
                        return ERR_CORRUPT;
                    size_t need = record_batch_size(&h);
                    buf_reset(&ps->win);
                    dst = buf_extend(&ps->win, need);
                    got = 0;
                    while (got < need) {
                        ssize_t r = pread(s->fd, dst + got, need - got,
                                          (off_t)(pos + (int64_t)got));
                        if (r < 0 && errno == EINTR)
                            continue;
                        if (r <= 0)
                            return r < 0 ? -errno : ERR_CORRUPT;
                        got += (size_t)r;
                    }
                    ps->st->bytes_read += (int64_t)got;
                    throttle(ps, got);
                    continue;
                }
                break;
            }
            if (rc < 0)
                return ERR_CORRUPT;
            size_t len = record_batch_size(&h);
            rc =
                fn(ps, s, pos + (int64_t)off, &h, ps->win.data + off, len, arg);
            if (rc != 0)
                return rc;
            off += len;
            if (off == ps->win.len)
                break;
        }
        pos += (int64_t)off;
    }
    return 0;
}

/* --- 2. transaction outcomes ------------------------------------------- */

static void txn_note(struct txns *t, const struct record_batch_header *h,
                     const uint8_t *b, size_t len)
{
    if (!record_batch_attr_transactional(h->attributes))
        return;
    int64_t pid = h->producer_id;
    if (!record_batch_attr_control(h->attributes)) {
        if (!hashmap_get(&t->open, &pid, sizeof(pid))) {
            int64_t *v = mem_alloc(sizeof(*v));
            *v = h->base_offset;
            hashmap_put(&t->open, &pid, sizeof(pid), v);
        }
        return;
    }
    int64_t *v = hashmap_remove(&t->open, &pid, sizeof(pid));
    if (!v)
        return; /* its data lies below the scan: already resolved */
    if (control_type(b, len) == 0) {
        if (t->nab == t->cap) {
            t->cap = t->cap ? t->cap * 2 : 16;
            t->ab = mem_realloc(t->ab, t->cap * sizeof(*t->ab));
        }
        t->ab[t->nab++] = (struct txn_range){pid, *v, h->base_offset};
    }
    mem_free(v);
}

/* Walks batch headers from `from` up to the durable offset, going past
 * `end` only while a transaction begun below `end` has no marker yet.
 * Leaves tx.first_open at the first offset of the earliest transaction
 * still open (the range must end before it), or -1. */
static int scan_txns(struct pass *ps, int64_t from, int64_t end)
{
    struct txns *t = &ps->tx;
    int64_t off = from;
    int rc = 0;
    while (off < ps->v.durable) {
        if (off >= end && hashmap_count(&t->open) == 0)
            break;
        if (atomic_load(ps->stop)) {
            rc = ERR_CLOSED;
            break;
        }
        buf_reset(&ps->out);
        int64_t next = off;
        rc = partition_read_copy_upto(ps->p, off, ps->v.durable, 4u << 20,
                                      &ps->out, &next);
        if (rc < 0 || ps->out.len == 0 || next <= off)
            break;
        ps->st->bytes_read += (int64_t)ps->out.len;
        throttle(ps, ps->out.len);
        struct record_batch_walk w;
        struct record_batch_header h;
        const uint8_t *b;
        size_t len;
        record_batch_walk_init(&w, ps->out.data, ps->out.len);
        while (record_batch_walk_next(&w, &h, &b, &len) == 1)
            txn_note(t, &h, b, len);
        off = next;
    }
    buf_reset(&ps->out);
    t->first_open = -1;
    struct hashmap_entry *e;
    for (size_t it = 0; hashmap_next(&t->open, &it, &e);) {
        int64_t first = *(int64_t *)e->value;
        if (t->first_open < 0 || first < t->first_open)
            t->first_open = first;
    }
    if (t->nab)
        qsort(t->ab, t->nab, sizeof(*t->ab), cmp_range);
    return rc == ERR_RANGE ? 0 : rc;
}

/* --- 3. the map ------------------------------------------------------- */

struct map_arg {
    int64_t from, end;
    int64_t stopped; /* the batch offset where the map filled, or -1 */
};

static int map_batch(struct pass *ps, struct segment *s, int64_t pos,
                     const struct record_batch_header *h, const uint8_t *b,
                     size_t len, void *arg)
{
    (void)s;
    (void)pos;
    struct map_arg *a = arg;
    if (h->base_offset >= a->end)
        return 1;
    if (record_batch_last_offset(h) < a->from ||
        record_batch_attr_control(h->attributes))
        return 0;
    if (record_batch_attr_transactional(h->attributes) &&
        txns_aborted(&ps->tx, h->producer_id, h->base_offset))
        return 0;
    if (ps->map->count + (size_t)h->record_count > ps->map->limit) {
        a->stopped = h->base_offset;
        return 1;
    }
    struct record_iter it;
    struct record rec;
    int rc = record_iter_init(&it, b, len, &ps->scratch);
    if (rc < 0)
        return rc;
    while ((rc = record_iter_next(&it, &rec)) == 1)
        if (!rec.key_null && rec.offset >= a->from)
            map_put(ps->map, rec.key, rec.offset);
    return rc < 0 ? rc : 0;
}

/* --- 4. rewriting one segment ------------------------------------------ */

struct seg_out {
    struct segment *s;
    int fd;                   /* the .cleaned file, -1 until the first change */
    char path[4096];          /* its name */
    int64_t written;          /* bytes in it */
    int64_t removed;          /* records removed */
    struct hashmap *has_data; /* pid -> non-NULL: its open txn kept data */
};

static int out_flush(struct pass *ps, struct seg_out *o)
{
    if (ps->out.len == 0)
        return 0;
    ssize_t w = os_pwrite(o->fd, ps->out.data, ps->out.len, (off_t)o->written);
    if (w < 0)
        return (int)w;
    o->written += (int64_t)ps->out.len;
    throttle(ps, ps->out.len);
    buf_reset(&ps->out);
    return 0;
}

static int out_emit(struct pass *ps, struct seg_out *o, const uint8_t *b,
                    size_t len)
{
    if (o->fd < 0)
        return 0; /* unchanged so far: the prefix is copied on a change */
    memcpy(buf_extend(&ps->out, len), b, len);
    return ps->out.len >= (1u << 20) ? out_flush(ps, o) : 0;
}

/* The first change at pos: creates the .cleaned file with the segment's
 * bytes before pos (kept verbatim). */
static int out_start(struct pass *ps, struct seg_out *o, int64_t pos)
{
    snprintf(o->path, sizeof o->path, "%s.log.cleaned", o->s->stem);
    int fd = os_open(o->path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return fd;
    o->fd = fd;
    struct buf tmp;
    buf_init(&tmp);
    int rc = 0;
    for (int64_t at = 0; at < pos && rc == 0;) {
        size_t n = pos - at > (1 << 20) ? (1u << 20) : (size_t)(pos - at);
        buf_reset(&tmp);
        uint8_t *d = buf_extend(&tmp, n);
        ssize_t r = pread(o->s->fd, d, n, (off_t)at);
        if (r <= 0) {
            rc = r < 0 ? -errno : ERR_CORRUPT;
            break;
        }
        ssize_t w = os_pwrite(fd, d, (size_t)r, (off_t)at);
        if (w < 0)
            rc = (int)w;
        ps->st->bytes_read += r;
        throttle(ps, 2 * (size_t)r);
        at += r;
    }
    buf_fini(&tmp);
    o->written = pos;
    return rc;
}

/* Writes the batch h/b again with only the records in ps->recs (count of
 * them; none: an empty batch with no codec). Header fields that the
 * records' deltas depend on (base offset, base timestamp) and the last
 * offset, max timestamp and producer fields stay. */
static int emit_rebuilt(struct pass *ps, struct seg_out *o,
                        const struct record_batch_header *h, const uint8_t *b,
                        int32_t count)
{
    int codec = count ? record_batch_attr_codec(h->attributes) : 0;
    buf_reset(&ps->enc);
    if (ps->recs.len) {
        int rc = compress_encode(codec, ps->recs.data, ps->recs.len, &ps->enc);
        if (rc < 0)
            return rc;
    }
    size_t size = RECORD_BATCH_HEADER_SIZE + ps->enc.len;
    uint8_t *nb = buf_extend(&ps->out, size);
    memcpy(nb, b, RECORD_BATCH_HEADER_SIZE);
    if (ps->enc.len) /* a batch left empty: no body (enc.data may be NULL) */
        memcpy(nb + RECORD_BATCH_HEADER_SIZE, ps->enc.data, ps->enc.len);
    be32_store(nb + 8, (uint32_t)(size - RECORD_BATCH_LOG_OVERHEAD));
    int16_t attrs =
        (int16_t)((h->attributes & ~RECORD_BATCH_ATTR_CODEC_MASK) | codec);
    be16_store(nb + RECORD_BATCH_ATTRIBUTES_OFFSET, (uint16_t)attrs);
    be32_store(nb + 57, (uint32_t)count);
    be32_store(nb + RECORD_BATCH_CRC_OFFSET,
               record_batch_compute_crc(nb, size));
    return ps->out.len >= (1u << 20) ? out_flush(ps, o) : 0;
}

static int clean_batch(struct pass *ps, struct segment *s, int64_t pos,
                       const struct record_batch_header *h, const uint8_t *b,
                       size_t len, void *arg)
{
    struct seg_out *o = arg;
    bool last = pos + (int64_t)len == s->size;
    bool in_scope = h->base_offset < ps->map_end;
    int64_t pid = h->producer_id;
    bool txnl = record_batch_attr_transactional(h->attributes);
    if (record_batch_attr_control(h->attributes)) {
        bool keep = true;
        if (txnl) {
            bool data = hashmap_remove(o->has_data, &pid, sizeof(pid)) != NULL;
            keep =
                !in_scope || data || last || h->max_timestamp >= ps->horizon_ms;
        }
        if (keep)
            return out_emit(ps, o, b, len);
        int rc = o->fd < 0 ? out_start(ps, o, pos) : 0;
        o->removed += h->record_count;
        return rc;
    }
    bool aborted = in_scope && txnl && h->base_offset >= ps->v.first_dirty &&
                   txns_aborted(&ps->tx, pid, h->base_offset);
    /* Which records stay: their raw bytes go to ps->recs. */
    struct record_iter it;
    struct record rec;
    int rc = record_iter_init(&it, b, len, &ps->scratch);
    if (rc < 0)
        return rc;
    buf_reset(&ps->recs);
    int32_t kept = 0;
    for (;;) {
        const uint8_t *start = it.r.p;
        rc = record_iter_next(&it, &rec);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        bool keep;
        if (aborted)
            keep = false;
        else if (rec.offset >= ps->map_end || rec.key_null)
            keep = true;
        else if (map_get(ps->map, rec.key) > rec.offset)
            keep = false; /* superseded */
        else
            keep = !rec.value_null || h->max_timestamp >= ps->horizon_ms;
        if (keep) {
            size_t n = (size_t)(it.r.p - start);
            memcpy(buf_extend(&ps->recs, n), start, n);
            kept++;
        }
    }
    if (txnl && (kept > 0 || last)) {
        static char yes;
        hashmap_put(o->has_data, &pid, sizeof(pid), &yes);
    }
    if (kept == h->record_count)
        return out_emit(ps, o, b, len);
    if (o->fd < 0) {
        rc = out_start(ps, o, pos);
        if (rc < 0)
            return rc;
    }
    o->removed += h->record_count - kept;
    if (kept == 0 && !last)
        return 0;
    return emit_rebuilt(ps, o, h, b, kept);
}

/* Crash tests: RILL_CLEANER_CRASH_AT=cleaned (the .cleaned file is
 * durable), =swap (renamed to .swap), =replaced (renamed over .log, the
 * directory not yet fsynced, indexes not rebuilt) kills the process there
 * as kill -9 would. */
static void crash_point(const char *name)
{
    static const char *at;
    static int read;
    if (!__atomic_load_n(&read, __ATOMIC_ACQUIRE)) {
        at = getenv("RILL_CLEANER_CRASH_AT");
        __atomic_store_n(&read, 1, __ATOMIC_RELEASE);
    }
    if (at && !strcmp(at, name)) {
        diag_warn("log: RILL_CLEANER_CRASH_AT=%s: killing the process", name);
        raise(SIGKILL);
    }
}

static int swap_in(struct pass *ps, struct seg_out *o)
{
    struct segment *s = o->s;
    int rc = os_fdatasync(o->fd);
    os_close(o->fd);
    o->fd = -1;
    if (rc < 0)
        goto out_unlink;
    crash_point("cleaned");
    char swap[4096], log[4096], idx[4096], tix[4096];
    snprintf(swap, sizeof swap, "%s.log.swap", s->stem);
    snprintf(log, sizeof log, "%s.log", s->stem);
    snprintf(idx, sizeof idx, "%s.index", s->stem);
    snprintf(tix, sizeof tix, "%s.timeindex", s->stem);
    if (!partition_clean_lock(ps->p, s)) {
        rc = ERR_CLOSED; /* deleted by retention or the topic meanwhile */
        goto out_unlink;
    }
    rc = os_rename(o->path, swap);
    if (rc == 0) {
        crash_point("swap");
        os_unlink(idx);
        os_unlink(tix);
        rc = os_rename(swap, log);
    }
    partition_clean_unlock(ps->p);
    if (rc < 0) {
        os_unlink(swap);
        goto out_unlink;
    }
    crash_point("replaced");
    rc = os_fsync_dir(ps->v.dir);
    struct segment *fresh = NULL;
    if (rc == 0)
        rc = segment_open(ps->v.dir, s->base_offset, false, &fresh);
    if (rc == 0) {
        bool cut;
        fresh->allow_gaps = true;
        rc = segment_recover(fresh, ps->v.cfg.index_interval_bytes, INT64_MAX,
                             &cut);
        if (rc == 0 && (cut || fresh->next_offset != s->next_offset))
            rc = ERR_CORRUPT;
        if (rc == 0)
            rc = segment_seal(fresh);
        if (rc == 0)
            rc = segment_sync(fresh, true);
        if (rc == 0)
            segment_close_index_files(fresh);
    }
    if (rc < 0) {
        /* The new file is in place and whole: a restart loads it. */
        diag_error("log: %s: cleaned segment swapped but not reopened: %s",
                   s->stem, err_str(rc));
        segment_unref(fresh);
        partition_clean_swap(ps->p, s, NULL); /* clears the mark only */
        return rc;
    }
    ps->st->segments++;
    ps->st->bytes_before += s->size;
    ps->st->bytes_after += fresh->size;
    ps->st->records_removed += o->removed;
    if (!partition_clean_swap(ps->p, s, fresh))
        segment_unref(fresh);
    return 0;
out_unlink:
    os_unlink(o->path);
    return rc;
}

static int clean_segment(struct pass *ps, struct segment *s,
                         struct hashmap *has_data)
{
    struct seg_out o = {.s = s, .fd = -1, .has_data = has_data};
    buf_reset(&ps->out);
    int rc = walk_segment(ps, s, 0, clean_batch, &o);
    if (rc == 0 && o.fd >= 0)
        rc = out_flush(ps, &o);
    if (rc < 0 || o.fd < 0) {
        if (o.fd >= 0) {
            os_close(o.fd);
            os_unlink(o.path);
        }
        return rc < 0 ? rc : 0;
    }
    if (o.written == s->size && o.removed == 0) {
        os_close(o.fd);
        os_unlink(o.path);
        return 0;
    }
    return swap_in(ps, &o);
}

/* --- one pass ----------------------------------------------------------- */

int cleaner_clean_partition(struct partition *p, struct cleaner_map *m,
                            int64_t io_bytes_per_sec, int64_t now_ms,
                            bool force, const atomic_int *stop,
                            struct logdir_clean_stats *st)
{
    struct pass ps = {
        .p = p, .map = m, .now_ms = now_ms, .stop = stop, .st = st};
    int rc = partition_clean_begin(p, &ps.v);
    if (rc < 0)
        return rc == ERR_CLOSED ? 0 : rc;
    const struct logdir_topic_config *c = &ps.v.cfg;
    if (!(c->cleanup_policy & LOGDIR_CLEANUP_COMPACT) || ps.v.n == 0) {
        partition_clean_end(&ps.v);
        return 0;
    }
    ps.rate = io_bytes_per_sec;
    ps.t0_us = mono_us();
    ps.horizon_ms = now_ms - c->delete_retention_ms;
    hashmap_init(&ps.tx.open);
    buf_init(&ps.win);
    buf_init(&ps.scratch);
    buf_init(&ps.recs);
    buf_init(&ps.out);
    buf_init(&ps.enc);
    struct hashmap has_data;
    hashmap_init(&has_data);

    /* 1. The range [first_dirty, end) and whether it is worth a pass. */
    int64_t end = ps.v.segs[ps.v.n - 1]->next_offset, dirty = 0, total = 0;
    for (size_t i = 0; i < ps.v.n; i++) {
        struct segment *s = ps.v.segs[i];
        if (c->min_compaction_lag_ms > 0 &&
            s->max_timestamp > now_ms - c->min_compaction_lag_ms) {
            end = s->base_offset;
            break;
        }
        total += s->size;
        if (s->next_offset > ps.v.first_dirty)
            dirty += s->size;
    }
    /* Only what is durable: a marker a crash could take back must not
     * decide anything. */
    if (end > ps.v.durable)
        end = ps.v.durable;
    double ratio = total ? (double)dirty / (double)total : 0;
    if (end <= ps.v.first_dirty || dirty == 0 ||
        (!force && ratio < c->min_cleanable_dirty_ratio))
        goto out;

    /* 2. Transactions: end before the first one still open. */
    rc = scan_txns(&ps, ps.v.first_dirty, end);
    if (rc < 0)
        goto out;
    if (ps.tx.first_open >= 0 && ps.tx.first_open < end)
        end = ps.tx.first_open;
    if (end <= ps.v.first_dirty)
        goto out;

    /* 3. The map over [first_dirty, end). */
    map_clear(m);
    struct map_arg ma = {ps.v.first_dirty, end, -1};
    for (size_t i = 0; i < ps.v.n && rc == 0; i++) {
        struct segment *s = ps.v.segs[i];
        if (s->next_offset <= ps.v.first_dirty)
            continue;
        if (s->base_offset >= end)
            break;
        int64_t pos = 0, base;
        if (ps.v.first_dirty > s->base_offset)
            rc = segment_find_offset(s, ps.v.first_dirty, &pos, &base);
        if (rc == 0)
            rc = walk_segment(&ps, s, pos, map_batch, &ma);
        if (rc == 1)
            rc = 0;
        if (ma.stopped >= 0)
            break;
    }
    if (rc < 0)
        goto out;
    ps.map_end = ma.stopped >= 0 ? ma.stopped : end;
    if (ps.map_end <= ps.v.first_dirty) {
        diag_warn("log: %s: the cleaner's map (log.cleaner.dedupe.buffer."
                  "size) cannot hold one batch's keys",
                  ps.v.dir);
        goto out;
    }

    /* 4 and 5. Rewrite every segment with records below map_end. */
    int64_t before = st->segments;
    for (size_t i = 0; i < ps.v.n && rc == 0; i++) {
        struct segment *s = ps.v.segs[i];
        if (s->base_offset >= ps.map_end)
            break;
        rc = clean_segment(&ps, s, &has_data);
    }
    if (rc < 0) {
        if (rc != ERR_CLOSED)
            diag_warn("log: %s: cleaning stopped: %s (what was swapped "
                      "stays valid; the next pass starts again)",
                      ps.v.dir, err_str(rc));
        goto out;
    }
    /* 6. */
    partition_clean_done(p, ps.map_end);
    st->partitions++;
    rc = st->segments > before ? 1 : 0;
    if (rc)
        diag_info("log: %s: cleaned up to offset %lld", ps.v.dir,
                  (long long)ps.map_end);
out:
    hashmap_fini(&has_data);
    txns_fini(&ps.tx);
    buf_fini(&ps.win);
    buf_fini(&ps.scratch);
    buf_fini(&ps.recs);
    buf_fini(&ps.out);
    buf_fini(&ps.enc);
    partition_clean_end(&ps.v);
    return rc;
}
