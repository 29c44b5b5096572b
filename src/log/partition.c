/* partition.c - a topic partition: segments, append, read, lookup, roll,
 * retention, durability bookkeeping and the FAILED state (layer: log).
 *
 * It does not parse records (record_batch.c does) nor run threads (the
 * logdir's flusher calls partition_flush). States:
 *
 *      open ──append/read──> OPEN ──write, fsync or roll error──> FAILED
 *                             │  ^                                 │
 *                             │  └─ full disk on a write or roll, ─┤
 *                        topic delete  space free: try_recover     │
 *                             v                               reads only;
 *                           CLOSED (appends ERR_CLOSED,     reopen recovers
 *                                   waiters woken)
 *
 * Invariants (mutex held):
 *   1. segs[0..n) are ordered, contiguous: segs[i]->next_offset ==
 *      segs[i+1]->base_offset; the last one is active (appends go there).
 *   2. segs[0]->base_offset <= log_start <= durable <= leo ==
 *      segs[n-1]->next_offset; leo is the high watermark (one node).
 *      log_start is above the first segment's base only after
 *      DeleteRecords (partition_delete_records), which persists it in
 *      <dir>/log-start-offset before it applies; every segment but the
 *      active one lies at least partly at or above it.
 *   3. Every offset < durable is in a batch that was fdatasync'ed, and the
 *      directory entry of its segment file too.
 *   4. Once failed != 0 nothing is written again through this handle; the
 *      data on disk is what recovery will find (a partial write is
 *      truncated back or, if that fails too, cut by recovery's CRC walk).
 *   5. A slice handed to a reader holds a segment reference, so retention
 *      may unlink files while a sendfile is still reading them.
 *   6. Compaction (cleaner.c) replaces a closed segment by a cleaned copy
 *      with the same base and next offset (partition_clean_swap); while
 *      its files are being swapped (cleaning != NULL) retention and
 *      DeleteRecords stop before it. Offsets below first_dirty are clean.
 */
#include "log/partition.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/metrics.h"
#include "base/mem.h"
#include "base/os.h"
#include "log/log_int.h"
#include "log/record_batch.h"
#include "log/segment.h"
#include "log/txn_index.h"

struct partition {
    pthread_mutex_t mu;
    /* One partition_flush at a time (taken before mu, never on the append
     * path): a second flusher finding the dirty segments already taken
     * must wait for the first one's fdatasyncs before it may report their
     * offsets durable. */
    pthread_mutex_t flush_mu;
    pthread_cond_t durable_cv;
    char *dir;
    char *topic;
    int32_t id;
    struct logdir_topic_config cfg;
    bool read_only;
    bool closed;
    bool dir_dirty; /* a segment file was created since last sync */
    struct segment **segs;
    size_t nsegs, cap;
    int64_t leo;              /* atomic reads */
    int64_t log_start;        /* atomic reads */
    int64_t durable;          /* atomic reads */
    int64_t size_bytes;       /* atomic reads */
    int failed;               /* atomic reads; negative errno */
    int failed_space;         /* atomic: failed by ENOSPC/EDQUOT on a write or
                                 roll, so it may reopen itself (try_recover) */
    int64_t recover_tried_ms; /* atomic: last attempt, monotonic */
    int sync_requested;       /* atomic */
    int refs;                 /* atomic */
    int64_t fetched_records;  /* atomic: partition_note_fetch */
    int64_t fetched_bytes;    /* atomic */
    int64_t unflushed_bytes;
    int64_t first_unflushed_mono_ms;
    struct flusher *flusher;
    struct log_notify *notify; /* the logdir's; NULL: nobody to wake */
    struct segment *cleaning;  /* being swapped by the cleaner */
    int compacted;             /* atomic: cfg.cleanup_policy has COMPACT */
    int64_t first_dirty;       /* cleaner offset (cleaner thread) */
};

/* segment.ms counts from when the active segment was created, also across
 * restarts (a CLI producer opens and closes the log each run): the .log
 * file's birth time where the filesystem records one, else now. */
static int64_t segment_birth_ms(const struct segment *s)
{
    int64_t now = clock_now_ms();
    char path[4096];
    snprintf(path, sizeof path, "%s.log", s->stem);
    struct statx stx;
    if (statx(AT_FDCWD, path, 0, STATX_BTIME, &stx) != 0 ||
        !(stx.stx_mask & STATX_BTIME))
        return now;
    int64_t born =
        (int64_t)stx.stx_btime.tv_sec * 1000 + stx.stx_btime.tv_nsec / 1000000;
    return born < now ? born : now;
}

static int64_t load64(const int64_t *v)
{
    return __atomic_load_n(v, __ATOMIC_ACQUIRE);
}

static void store64(int64_t *v, int64_t x)
{
    __atomic_store_n(v, x, __ATOMIC_RELEASE);
}

static struct segment *active(struct partition *p)
{
    return p->nsegs ? p->segs[p->nsegs - 1] : NULL;
}

/* held: whether the caller holds p->mu (the fd cache may then close the
 * partition's other cold files without taking it). */
static void push_segment(struct partition *p, struct segment *s, bool held)
{
    if (p->nsegs == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->segs = mem_realloc(p->segs, p->cap * sizeof(*p->segs));
    }
    p->segs[p->nsegs++] = s;
    segment_set_owner(s, &p->mu, held ? &p->mu : NULL);
}

static void fail_locked(struct partition *p, int err, const char *what)
{
    if (p->failed)
        return;
    struct diag_kv kv[] = {{"topic", p->topic, 0},
                           {"partition", NULL, p->id},
                           {"operation", what, 0},
                           {"error", err_str(err), 0}};
    diag_event(DIAG_ERROR, "partition_failed", kv, 4,
               "log: %s-%d: %s failed (%s); partition is FAILED: appends "
               "are refused until reopen, reads continue",
               p->topic, p->id, what, err_str(err));
    __atomic_store_n(&p->failed, err < 0 ? err : -EIO, __ATOMIC_RELEASE);
    if ((err == -ENOSPC || err == -EDQUOT) && strcmp(what, "fsync") != 0)
        __atomic_store_n(&p->failed_space, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&p->durable_cv);
}

/* --- open and recovery ---------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int list_bases(const char *dir, int64_t **out, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    size_t cap = 16;
    int64_t *v = mem_alloc(cap * sizeof(*v));
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        int64_t b = segment_parse_name(e->d_name);
        if (b < 0)
            continue;
        if (*n == cap) {
            cap *= 2;
            v = mem_realloc(v, cap * sizeof(*v));
        }
        v[(*n)++] = b;
    }
    closedir(d);
    qsort(v, *n, sizeof(*v), cmp_i64);
    *out = v;
    return 0;
}

/* Drops the segment files at bases[from..n) (after a truncation). */
static void drop_from(struct partition *p, const int64_t *bases, size_t from,
                      size_t n)
{
    for (size_t i = from; i < n; i++) {
        struct segment *s;
        diag_warn("log: %s-%d: dropping segment %lld after a truncated one",
                  p->topic, p->id, (long long)bases[i]);
        if (p->read_only)
            continue;
        if (segment_open(p->dir, bases[i], false, &s) == 0) {
            segment_unlink(s);
            segment_unref(s);
        }
    }
    if (!p->read_only)
        p->dir_dirty = true;
}

/* A crash in the middle of a cleaner swap (cleaner.c): a `.log.cleaned`
 * is an unfinished copy (removed); a `.log.swap` is a whole, fsynced
 * cleaned segment whose swap was decided, so it replaces its `.log` (the
 * old index files go first: they are rebuilt). */
static int finish_swaps(struct partition *p)
{
    DIR *d = opendir(p->dir);
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    struct dirent *e;
    int rc = 0;
    bool changed = false;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        char path[4096], to[4096], logname[25];
        if (len < 24)
            continue;
        memcpy(logname, e->d_name, 24);
        logname[24] = '\0';
        if (segment_parse_name(logname) < 0)
            continue;
        if (len == 24 + 8 && !strcmp(e->d_name + 24, ".cleaned")) {
            snprintf(path, sizeof path, "%s/%s", p->dir, e->d_name);
            diag_info("log: %s: removing an unfinished cleaned segment", path);
            os_unlink(path);
            changed = true;
        } else if (len == 24 + 5 && !strcmp(e->d_name + 24, ".swap")) {
            char stem[32];
            memcpy(stem, e->d_name, 20);
            stem[20] = '\0';
            snprintf(path, sizeof path, "%s/%s", p->dir, e->d_name);
            snprintf(to, sizeof to, "%s/%s.index", p->dir, stem);
            os_unlink(to);
            snprintf(to, sizeof to, "%s/%s.timeindex", p->dir, stem);
            os_unlink(to);
            snprintf(to, sizeof to, "%s/%s.log", p->dir, stem);
            diag_info("log: %s: completing an interrupted cleaner swap", path);
            int r = os_rename(path, to);
            if (r < 0 && rc == 0)
                rc = r;
            changed = true;
        }
    }
    closedir(d);
    if (changed && rc == 0)
        rc = os_fsync_dir(p->dir);
    return rc;
}

static int recover(struct partition *p, int64_t recovery_point)
{
    int64_t *bases = NULL;
    size_t n = 0;
    int rc = p->read_only ? 0 : finish_swaps(p);
    if (rc < 0)
        return rc;
    rc = list_bases(p->dir, &bases, &n);
    if (rc < 0)
        return rc;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (bases[i] <= recovery_point)
            k = i;
    for (size_t i = 0; i < n; i++) {
        struct segment *s;
        rc = segment_open(p->dir, bases[i], p->read_only, &s);
        if (rc == -ENOENT && p->read_only && p->nsegs == 0)
            continue; /* retention of the writing process got there first */
        if (rc < 0)
            goto out;
        bool has_next = i + 1 < n, cut = false;
        s->allow_gaps = has_next; /* maybe compacted: never the active one */
        if (p->nsegs && bases[i] != active(p)->next_offset) {
            /* A gap or overlap: nothing from here on is trustworthy. */
            segment_unref(s);
            drop_from(p, bases, i, n);
            break;
        }
        if (i < k && has_next) {
            rc = segment_load(s, bases[i + 1], p->cfg.index_interval_bytes);
            cut = s->next_offset != bases[i + 1];
        } else {
            rc = segment_recover(s, p->cfg.index_interval_bytes, recovery_point,
                                 &cut);
            if (rc == 0 && !p->read_only)
                rc = segment_sync(s, false);
            if (has_next && s->next_offset != bases[i + 1])
                cut = true;
            if (rc == 0 && has_next && !cut && !p->read_only)
                rc = segment_seal(s);
        }
        /* Closed segments' index files are final (an unsynced one is
         * validated, or rebuilt, at the next open); the active one's are
         * written when it is sealed or at shutdown. */
        if (rc == 0)
            segment_close_index_files(s);
        if (rc < 0) {
            segment_unref(s);
            goto out;
        }
        push_segment(p, s, false);
        p->size_bytes += s->size;
        if (cut && has_next) {
            drop_from(p, bases, i + 1, n);
            break;
        }
    }
    rc = 0;
out:
    mem_free(bases);
    return rc;
}

/* <dir>/log-start-offset: the offset DeleteRecords moved the log start to
 * (decimal text, written atomically); absent = the first segment's base. */
#define LOG_START_FILE "log-start-offset"

/* <dir>/cleaner-offset: everything below it is compacted (cleaner.c);
 * absent = nothing is. */
#define CLEANER_OFFSET_FILE "cleaner-offset"

static int64_t read_offset_file(const struct partition *p, const char *name)
{
    char path[4096], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/%s", p->dir, name);
    if (os_read_file(path, 64, &text, &len) < 0)
        return -1;
    char *end = NULL;
    long long v = strtoll(text, &end, 10);
    int64_t out = end != text ? v : -1;
    mem_free(text);
    return out;
}

static int64_t read_log_start(const struct partition *p)
{
    return read_offset_file(p, LOG_START_FILE);
}

int partition_open(const char *dir, const char *topic, int32_t id,
                   const struct logdir_topic_config *cfg, bool read_only,
                   int64_t recovery_point, struct flusher *flusher,
                   struct partition **out)
{
    struct partition *p = mem_calloc(1, sizeof(*p));
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->durable_cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&p->mu, NULL);
    pthread_mutex_init(&p->flush_mu, NULL);
    p->dir = mem_strdup(dir);
    p->topic = mem_strdup(topic);
    p->id = id;
    p->cfg = *cfg;
    p->compacted = (cfg->cleanup_policy & LOGDIR_CLEANUP_COMPACT) != 0;
    p->read_only = read_only;
    p->flusher = flusher;
    p->refs = 1;
    int rc = 0;
    if (!read_only) {
        rc = os_mkdir_p(dir);
        if (rc < 0)
            goto out_free;
    }
    rc = recover(p, recovery_point);
    if (rc < 0 && !(read_only && rc == -ENOENT))
        goto out_free;
    rc = 0;
    if (!p->nsegs && !read_only) {
        struct segment *s;
        rc = segment_create(dir, 0, &s);
        if (rc < 0)
            goto out_free;
        push_segment(p, s, false);
        p->dir_dirty = true;
    }
    if (p->dir_dirty && !read_only) {
        rc = os_fsync_dir(dir);
        if (rc < 0)
            goto out_free;
        p->dir_dirty = false;
    }
    if (p->nsegs) {
        p->log_start = p->segs[0]->base_offset;
        p->leo = active(p)->next_offset;
        active(p)->created_ms = segment_birth_ms(active(p));
        int64_t deleted_below = read_log_start(p);
        if (deleted_below > p->log_start)
            p->log_start = deleted_below < p->leo ? deleted_below : p->leo;
        p->first_dirty = read_offset_file(p, CLEANER_OFFSET_FILE);
    }
    /* Everything recovered was fsynced above (or is read-only). */
    p->durable = p->leo;
    *out = p;
    return 0;
out_free:
    partition_unref(p);
    return rc;
}

/* A partition FAILED by a full disk on a write or a segment roll reopens
 * itself in place once space is free: the next append (at most once a
 * second) runs recovery on its directory from the durable offset, exactly
 * what a restart would do (a torn tail is cut by the CRC walk, what remains
 * is fsynced before it counts as durable), and swaps the recovered
 * segments in. A failed fsync never recovers this way (invariant 4 and
 * the style rule: an fsync is never retried): that needs a restart. */
static void try_recover(struct partition *p)
{
    int64_t now = clock_mono_ms();
    int64_t last = load64(&p->recover_tried_ms);
    if (now - last < 1000 ||
        !__atomic_compare_exchange_n(&p->recover_tried_ms, &last, now, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return;
    pthread_mutex_lock(&p->flush_mu);
    pthread_mutex_lock(&p->mu);
    struct partition *q = NULL;
    int rc = -1;
    if (p->failed && __atomic_load_n(&p->failed_space, __ATOMIC_ACQUIRE) &&
        !p->closed && !p->read_only)
        rc = partition_open(p->dir, p->topic, p->id, &p->cfg, false, p->durable,
                            p->flusher, &q);
    if (rc == 0) {
        struct segment **segs = p->segs;
        size_t nsegs = p->nsegs, cap = p->cap;
        p->segs = q->segs;
        p->nsegs = q->nsegs;
        p->cap = q->cap;
        q->segs = segs; /* the old ones go with q */
        q->nsegs = nsegs;
        q->cap = cap;
        for (size_t i = 0; i < p->nsegs; i++)
            segment_set_owner(p->segs[i], &p->mu, &p->mu);
        store64(&p->log_start, q->log_start);
        store64(&p->size_bytes, q->size_bytes);
        store64(&p->leo, q->leo);
        store64(&p->durable, q->durable);
        p->unflushed_bytes = 0;
        p->dir_dirty = false;
        __atomic_store_n(&p->failed_space, 0, __ATOMIC_RELEASE);
        __atomic_store_n(&p->failed, 0, __ATOMIC_RELEASE);
        diag_info("log: %s-%d: recovered after a full disk (end offset "
                  "%lld); appends accepted again",
                  p->topic, p->id, (long long)q->leo);
    }
    pthread_mutex_unlock(&p->mu);
    pthread_mutex_unlock(&p->flush_mu);
    if (q)
        partition_unref(q);
}

void partition_ref(struct partition *p)
{
    __atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
}

void partition_unref(struct partition *p)
{
    if (!p || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    for (size_t i = 0; i < p->nsegs; i++) {
        /* Slices may keep a segment alive after p->mu is gone. */
        segment_set_owner(p->segs[i], NULL, NULL);
        segment_unref(p->segs[i]);
    }
    mem_free(p->segs);
    pthread_cond_destroy(&p->durable_cv);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->flush_mu);
    mem_free(p->dir);
    mem_free(p->topic);
    mem_free(p);
}

int partition_remove(struct partition *p)
{
    pthread_mutex_lock(&p->mu);
    p->closed = true;
    pthread_cond_broadcast(&p->durable_cv);
    int rc = 0;
    for (size_t i = 0; i < p->nsegs; i++) {
        int r = segment_unlink(p->segs[i]);
        if (r < 0 && !rc)
            rc = r;
    }
    /* Anything else left in the directory (temp files) goes too. */
    DIR *d = opendir(p->dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", p->dir, e->d_name);
        os_unlink(path);
    }
    if (d)
        closedir(d);
    if (rmdir(p->dir) < 0 && errno != ENOENT && !rc)
        rc = -errno;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

void partition_shutdown(struct partition *p)
{
    pthread_mutex_lock(&p->mu);
    struct segment *s = active(p);
    if (s && !p->read_only && !p->closed && !p->failed) {
        if (segment_write_indexes(s) < 0)
            diag_warn("log: %s-%d: cannot write index files at close", p->topic,
                      p->id);
    }
    pthread_mutex_unlock(&p->mu);
}

/* --- append ------------------------------------------------------------ */

static int roll_locked(struct partition *p)
{
    struct segment *old = active(p), *s;
    int rc = segment_seal(old);
    if (rc < 0)
        return rc;
    rc = segment_create(p->dir, p->leo, &s);
    if (rc < 0)
        return rc;
    push_segment(p, s, true);
    p->dir_dirty = true;
    return 0;
}

int partition_append(struct partition *p, uint8_t *batch, size_t len,
                     int64_t *base_offset_out)
{
    if (len == 0)
        return ERR_INVALID;
    if (len > INT32_MAX)
        return ERR_TOO_LARGE;
    if (__atomic_load_n(&p->failed_space, __ATOMIC_ACQUIRE))
        try_recover(p);
    /* Verify outside the lock: the CRC is the expensive part. */
    int64_t count = 0;
    size_t off = 0, largest = 0;
    while (off < len) {
        struct record_batch_header h;
        int rc = record_batch_verify(batch + off, len - off);
        if (rc == ERR_AGAIN)
            return ERR_INVALID;
        if (rc < 0)
            return ERR_CORRUPT;
        record_batch_header_decode(batch + off, len - off, &h);
        if ((int64_t)h.last_offset_delta + 1 != h.record_count)
            return ERR_CORRUPT;
        if (record_batch_size(&h) > largest)
            largest = record_batch_size(&h);
        count += h.record_count;
        off += record_batch_size(&h);
    }

    pthread_mutex_lock(&p->mu);
    int rc = 0;
    if (p->closed || p->read_only) {
        rc = ERR_CLOSED;
        goto out_unlock;
    }
    /* Under the lock: partition_set_config changes cfg under it. */
    if (largest > (size_t)p->cfg.max_message_bytes) {
        rc = ERR_TOO_LARGE;
        goto out_unlock;
    }
    if (p->failed) {
        rc = ERR_FAILED;
        goto out_unlock;
    }
    struct segment *s = active(p);
    int64_t now = clock_now_ms();
    if (s->size > 0 &&
        (s->size + (int64_t)len > p->cfg.segment_bytes ||
         (p->cfg.segment_ms >= 0 && now - s->created_ms >= p->cfg.segment_ms) ||
         p->leo + count - s->base_offset > INT32_MAX ||
         s->size + (int64_t)len > UINT32_MAX)) {
        rc = roll_locked(p);
        if (rc < 0) {
            fail_locked(p, rc, "segment roll");
            rc = ERR_FAILED;
            goto out_unlock;
        }
        s = active(p);
    }
    int64_t base = p->leo, next = base;
    for (off = 0; off < len;) {
        record_batch_set_base_offset(batch + off, next);
        next += (int64_t)be32_load(batch + off + 23) + 1;
        off += RECORD_BATCH_LOG_OVERHEAD + be32_load(batch + off + 8);
    }
    /* Out of descriptors (the fd cache found nothing to close) is not an
     * I/O failure of the partition: refuse this append only. */
    int fd = segment_fd(s);
    if (fd < 0) {
        rc = fd;
        goto out_unlock;
    }
    rc = segment_append(s, batch, len, p->cfg.index_interval_bytes);
    if (rc < 0) {
        fail_locked(p, rc, "write");
        rc = ERR_FAILED;
        goto out_unlock;
    }
    store64(&p->leo, next);
    store64(&p->size_bytes, p->size_bytes + (int64_t)len);
    if (p->unflushed_bytes == 0)
        p->first_unflushed_mono_ms = clock_mono_ms();
    p->unflushed_bytes += (int64_t)len;
    if (base_offset_out)
        *base_offset_out = base;
out_unlock:
    pthread_mutex_unlock(&p->mu);
    if (rc == 0) {
        metrics_add(METRIC_LOG_APPENDS, 1);
        metrics_add(METRIC_LOG_APPEND_BYTES, len);
    } else {
        metrics_add(METRIC_LOG_APPEND_ERRORS, 1);
    }
    if (rc == 0 && p->notify)
        log_notify_append(p->notify);
    return rc;
}

void partition_set_notify(struct partition *p, struct log_notify *n)
{
    p->notify = n;
}

/* --- durability --------------------------------------------------------- */

bool partition_flush_due(struct partition *p, int64_t mono_ms,
                         int64_t interval_ms, int64_t bytes)
{
    pthread_mutex_lock(&p->mu);
    bool due = false;
    if (!p->closed && !p->failed && !p->read_only) {
        bool pending = p->durable < p->leo || p->dir_dirty;
        due =
            pending && (__atomic_load_n(&p->sync_requested, __ATOMIC_ACQUIRE) ||
                        (bytes > 0 && p->unflushed_bytes >= bytes) ||
                        (interval_ms > 0 &&
                         mono_ms - p->first_unflushed_mono_ms >= interval_ms));
        if (!pending)
            __atomic_store_n(&p->sync_requested, 0, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&p->mu);
    return due;
}

int partition_flush(struct partition *p)
{
    pthread_mutex_lock(&p->flush_mu);
    pthread_mutex_lock(&p->mu);
    if (p->failed || p->closed || p->read_only) {
        int rc = p->failed;
        pthread_mutex_unlock(&p->mu);
        pthread_mutex_unlock(&p->flush_mu);
        return rc;
    }
    int64_t target = p->leo;
    bool dir = p->dir_dirty;
    __atomic_store_n(&p->sync_requested, 0, __ATOMIC_RELEASE);
    struct segment *stack[8], **todo = stack;
    bool idx_stack[8], *with_idx = idx_stack;
    size_t n = 0;
    if (p->nsegs > 8) {
        todo = mem_alloc(p->nsegs * sizeof(*todo));
        with_idx = mem_alloc(p->nsegs * sizeof(*with_idx));
    }
    for (size_t i = 0; i < p->nsegs; i++) {
        struct segment *s = p->segs[i];
        if (!s->dirty && !s->index_dirty)
            continue;
        segment_ref(s);
        todo[n] = s;
        with_idx[n] = s->index_dirty;
        s->dirty = s->index_dirty = false;
        n++;
    }
    p->dir_dirty = false;
    p->unflushed_bytes = 0;
    pthread_mutex_unlock(&p->mu);

    int rc = 0;
    uint64_t t0 = n ? metrics_now_us() : 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = segment_sync(todo[i], with_idx[i]);
    if (rc == 0 && dir)
        rc = os_fsync_dir(p->dir);
    if (n)
        metrics_observe_us(METRIC_HIST_LOG_FSYNC, metrics_now_us() - t0);

    pthread_mutex_lock(&p->mu);
    int ret = 0;
    if (rc < 0) {
        fail_locked(p, rc, "fsync");
        ret = rc;
    } else if (target > p->durable) {
        store64(&p->durable, target);
        ret = 1;
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (with_idx[i] && todo[i] != active(p))
            segment_close_index_files(todo[i]);
    pthread_cond_broadcast(&p->durable_cv);
    pthread_mutex_unlock(&p->mu);
    pthread_mutex_unlock(&p->flush_mu);
    /* Readers of durable data only (rill.read.durable) wait on the same
     * seq as readers of appends: a durable offset that moved is news. */
    if (ret == 1 && p->notify)
        log_notify_append(p->notify);
    for (size_t i = 0; i < n; i++)
        segment_unref(todo[i]);
    if (todo != stack) {
        mem_free(todo);
        mem_free(with_idx);
    }
    return ret;
}

void partition_request_sync(struct partition *p)
{
    __atomic_store_n(&p->sync_requested, 1, __ATOMIC_RELEASE);
    flusher_kick(p->flusher);
}

int partition_wait_durable(struct partition *p, int64_t end_offset,
                           int timeout_ms)
{
    partition_ref(p);
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    if (timeout_ms >= 0) {
        int64_t ns = dl.tv_nsec + (int64_t)(timeout_ms % 1000) * 1000000;
        dl.tv_sec += timeout_ms / 1000 + ns / 1000000000;
        dl.tv_nsec = ns % 1000000000;
    }
    int rc = 0;
    bool kicked = false;
    pthread_mutex_lock(&p->mu);
    while (p->durable < end_offset) {
        if (p->failed) {
            rc = ERR_FAILED;
            break;
        }
        if (p->closed) {
            rc = ERR_CLOSED;
            break;
        }
        if (end_offset > p->leo || p->read_only) {
            rc = ERR_RANGE;
            break;
        }
        if (!p->flusher) {
            pthread_mutex_unlock(&p->mu);
            int f = partition_flush(p);
            pthread_mutex_lock(&p->mu);
            if (f < 0) {
                rc = ERR_FAILED;
                break;
            }
            continue;
        }
        if (!kicked) {
            /* One kick is enough: the flusher runs another round for a
             * kick that arrives during a round. Re-check after relocking,
             * the round may have finished (or failed) meanwhile. */
            __atomic_store_n(&p->sync_requested, 1, __ATOMIC_RELEASE);
            pthread_mutex_unlock(&p->mu);
            flusher_kick(p->flusher);
            pthread_mutex_lock(&p->mu);
            kicked = true;
            continue;
        }
        int w = timeout_ms < 0
                    ? pthread_cond_wait(&p->durable_cv, &p->mu)
                    : pthread_cond_timedwait(&p->durable_cv, &p->mu, &dl);
        if (w == ETIMEDOUT && p->durable < end_offset) {
            rc = ERR_TIMEOUT;
            break;
        }
    }
    pthread_mutex_unlock(&p->mu);
    partition_unref(p);
    return rc;
}

/* --- offsets and state ---------------------------------------------------- */

int64_t partition_log_start_offset(struct partition *p)
{
    return load64(&p->log_start);
}

int64_t partition_high_watermark(struct partition *p)
{
    return load64(&p->leo);
}

int64_t partition_durable_offset(struct partition *p)
{
    return load64(&p->durable);
}

int64_t partition_size_bytes(struct partition *p)
{
    return load64(&p->size_bytes);
}

void partition_note_fetch(struct partition *p, int64_t records, int64_t bytes)
{
    __atomic_fetch_add(&p->fetched_records, records, __ATOMIC_RELAXED);
    __atomic_fetch_add(&p->fetched_bytes, bytes, __ATOMIC_RELAXED);
}

void partition_fetched(struct partition *p, int64_t *records, int64_t *bytes)
{
    *records = __atomic_load_n(&p->fetched_records, __ATOMIC_RELAXED);
    *bytes = __atomic_load_n(&p->fetched_bytes, __ATOMIC_RELAXED);
}

int partition_failed(struct partition *p)
{
    return __atomic_load_n(&p->failed, __ATOMIC_ACQUIRE);
}

bool partition_compacted(struct partition *p)
{
    return __atomic_load_n(&p->compacted, __ATOMIC_ACQUIRE) != 0;
}

int32_t partition_id(const struct partition *p)
{
    return p->id;
}

const char *partition_topic(const struct partition *p)
{
    return p->topic;
}

int partition_segment_count(struct partition *p)
{
    pthread_mutex_lock(&p->mu);
    int n = (int)p->nsegs;
    pthread_mutex_unlock(&p->mu);
    return n;
}

/* --- reads ---------------------------------------------------------------- */

/* Index of the segment holding offset: the last with base <= offset. */
static size_t find_segment(struct partition *p, int64_t offset)
{
    size_t lo = 0, hi = p->nsegs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->segs[mid]->base_offset <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? lo - 1 : 0;
}

static int read_upto(struct partition *p, int64_t offset, int64_t upto,
                     size_t max_bytes, bool view, struct partition_slice *out)
{
    memset(out, 0, sizeof(*out));
    out->fd = -1;
    pthread_mutex_lock(&p->mu);
    int rc = 0;
    int64_t hwm = p->leo;
    if (upto < 0 || upto > hwm)
        upto = hwm;
    out->first_offset = out->next_offset = offset;
    if (offset < p->log_start || offset > hwm) {
        rc = ERR_RANGE;
        goto out_unlock;
    }
    if (offset >= upto || !p->nsegs)
        goto out_unlock;
    size_t i = find_segment(p, offset);
    while (i + 1 < p->nsegs && offset >= p->segs[i]->next_offset)
        i++;
    struct segment *s = p->segs[i];
    int64_t pos, first, end, next;
    rc = segment_find_offset(s, offset, &pos, &first);
    if (rc < 0)
        goto out_unlock;
    /* A compacted segment ends with its last batch kept empty (a header,
     * no records: cleaner.c). A slice of nothing but that batch gives a
     * reader no record (librdkafka 2.0 then reports "too large to fetch"
     * and stops), so start at the next segment instead: the offsets in
     * between hold nothing. */
    while (i + 1 < p->nsegs && s->size - pos == RECORD_BATCH_HEADER_SIZE) {
        s = p->segs[++i];
        if (s->base_offset >= upto)
            goto out_unlock;
        rc = segment_find_offset(s, s->base_offset, &pos, &first);
        if (rc < 0)
            goto out_unlock;
    }
    if (upto >= s->next_offset) {
        end = s->size;
        next = s->next_offset;
    } else {
        rc = segment_find_offset(s, upto, &end, &next);
        if (rc < 0)
            goto out_unlock;
    }
    if (end <= pos)
        goto out_unlock;
    if ((uint64_t)(end - pos) > max_bytes) {
        int64_t b, bo;
        rc = segment_find_bound(s, pos, pos + (int64_t)max_bytes, &b, &bo);
        if (rc < 0)
            goto out_unlock;
        if (b < end) {
            end = b;
            next = bo;
        }
    }
    int fd = segment_fd(s);
    if (fd < 0) {
        rc = fd;
        goto out_unlock;
    }
    segment_ref(s);
    out->segment = s;
    out->fd = fd;
    out->file_pos = pos;
    out->len = (size_t)(end - pos);
    out->first_offset = first;
    out->next_offset = next;
    if (view) {
        /* Reserve the most a segment can grow to: segment.bytes plus one
         * batch past it (the append that rolls comes after). */
        size_t reserve = (size_t)p->cfg.segment_bytes +
                         (size_t)p->cfg.max_message_bytes + 4096;
        const uint8_t *m = segment_map(s, (size_t)end, reserve);
        out->view = m ? m + pos : NULL;
    }
out_unlock:
    pthread_mutex_unlock(&p->mu);
    return rc;
}

int partition_read_upto(struct partition *p, int64_t offset, int64_t upto,
                        size_t max_bytes, struct partition_slice *out)
{
    return read_upto(p, offset, upto, max_bytes, false, out);
}

int partition_read_view_upto(struct partition *p, int64_t offset, int64_t upto,
                             size_t max_bytes, struct partition_slice *out)
{
    return read_upto(p, offset, upto, max_bytes, true, out);
}

int partition_read(struct partition *p, int64_t offset, size_t max_bytes,
                   struct partition_slice *out)
{
    return partition_read_upto(p, offset, -1, max_bytes, out);
}

void partition_slice_release(struct partition_slice *s)
{
    if (s->segment)
        segment_unref(s->segment);
    s->segment = NULL;
    s->fd = -1;
    s->len = 0;
    s->view = NULL;
}

int partition_read_copy_upto(struct partition *p, int64_t offset, int64_t upto,
                             size_t max_bytes, struct buf *out,
                             int64_t *next_offset)
{
    size_t copied = 0;
    int rc = 0;
    for (;;) {
        struct partition_slice sl;
        size_t left = max_bytes > copied ? max_bytes - copied : 0;
        if (copied && left == 0)
            break;
        rc = partition_read_upto(p, offset, upto, left, &sl);
        if (rc < 0) {
            if (copied)
                rc = 0;
            break;
        }
        if (sl.len == 0)
            break;
        if (copied && sl.len > left) {
            partition_slice_release(&sl);
            break;
        }
        uint8_t *dst = buf_extend(out, sl.len);
        size_t done = 0;
        while (done < sl.len) {
            ssize_t r = pread(sl.fd, dst + done, sl.len - done,
                              (off_t)(sl.file_pos + (int64_t)done));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                rc = r < 0 ? -errno : ERR_CORRUPT;
                break;
            }
            done += (size_t)r;
        }
        size_t got = sl.len;
        partition_slice_release(&sl);
        if (rc < 0) {
            out->len -= got;
            break;
        }
        copied += got;
        offset = sl.next_offset;
    }
    if (next_offset)
        *next_offset = offset;
    return rc;
}

int partition_read_copy(struct partition *p, int64_t offset, size_t max_bytes,
                        struct buf *out, int64_t *next_offset)
{
    return partition_read_copy_upto(p, offset, -1, max_bytes, out, next_offset);
}

int partition_delete_records(struct partition *p, int64_t offset,
                             int64_t *low_watermark)
{
    pthread_mutex_lock(&p->mu);
    int rc = 0;
    if (offset == -1)
        offset = p->leo;
    if (p->closed || p->read_only) {
        rc = ERR_CLOSED;
    } else if (p->failed) {
        rc = ERR_FAILED;
    } else if (offset < 0 || offset > p->leo) {
        rc = ERR_RANGE;
    } else if (offset > p->log_start) {
        char path[4096], text[32];
        snprintf(path, sizeof path, "%s/%s", p->dir, LOG_START_FILE);
        int n = snprintf(text, sizeof text, "%lld\n", (long long)offset);
        rc = os_write_file_atomic(path, text, (size_t)n); /* commit point */
        if (rc == 0) {
            store64(&p->log_start, offset);
            if (p->durable < offset)
                store64(&p->durable, offset);
            /* Whole segments below it go now; the active one stays (and
             * one the cleaner is swapping, until the next call). */
            while (p->nsegs > 1 && p->segs[0]->next_offset <= offset &&
                   p->segs[0] != p->cleaning) {
                struct segment *s = p->segs[0];
                memmove(p->segs, p->segs + 1,
                        (p->nsegs - 1) * sizeof(*p->segs));
                p->nsegs--;
                store64(&p->size_bytes, p->size_bytes - s->size);
                segment_unlink(s);
                segment_unref(s);
            }
            diag_info("log: %s-%d: records below %lld deleted", p->topic, p->id,
                      (long long)offset);
        }
    }
    if (low_watermark)
        *low_watermark = p->log_start;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

int partition_offset_for_timestamp(struct partition *p, int64_t ts,
                                   int64_t *offset)
{
    *offset = -1;
    struct buf scratch;
    buf_init(&scratch);
    pthread_mutex_lock(&p->mu);
    int rc = 0;
    for (size_t i = 0; i < p->nsegs && *offset < 0; i++) {
        rc = segment_find_timestamp(p->segs[i], ts, &scratch, offset);
        if (rc < 0)
            break;
    }
    if (rc == 0 && *offset >= 0 && *offset < p->log_start)
        *offset = p->log_start; /* below it was deleted (DeleteRecords) */
    pthread_mutex_unlock(&p->mu);
    buf_fini(&scratch);
    return rc;
}

int partition_max_timestamp(struct partition *p, int64_t *timestamp,
                            int64_t *offset)
{
    *timestamp = -1;
    *offset = -1;
    struct buf scratch;
    buf_init(&scratch);
    pthread_mutex_lock(&p->mu);
    struct segment *best = NULL;
    for (size_t i = 0; i < p->nsegs; i++)
        if (p->segs[i]->size > 0 && p->segs[i]->max_timestamp >= 0 &&
            (!best || p->segs[i]->max_timestamp > best->max_timestamp))
            best = p->segs[i];
    int rc = 0;
    if (best) {
        rc =
            segment_find_timestamp(best, best->max_timestamp, &scratch, offset);
        if (rc == 0 && *offset >= 0)
            *timestamp = best->max_timestamp;
    }
    pthread_mutex_unlock(&p->mu);
    buf_fini(&scratch);
    return rc;
}

/* --- roll and retention -----------------------------------------------------
 */

int partition_roll(struct partition *p)
{
    pthread_mutex_lock(&p->mu);
    int rc = 0;
    if (p->closed || p->read_only)
        rc = ERR_CLOSED;
    else if (p->failed)
        rc = ERR_FAILED;
    else if (active(p)->size > 0) {
        rc = roll_locked(p);
        if (rc < 0) {
            fail_locked(p, rc, "segment roll");
            rc = ERR_FAILED;
        }
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

void partition_set_config(struct partition *p,
                          const struct logdir_topic_config *cfg)
{
    pthread_mutex_lock(&p->mu);
    p->cfg = *cfg;
    __atomic_store_n(&p->compacted,
                     (cfg->cleanup_policy & LOGDIR_CLEANUP_COMPACT) != 0,
                     __ATOMIC_RELEASE);
    pthread_mutex_unlock(&p->mu);
}

int partition_retention_run(struct partition *p, int64_t now_ms)
{
    pthread_mutex_lock(&p->mu);
    int deleted = 0;
    if (p->closed || p->read_only ||
        !(p->cfg.cleanup_policy & LOGDIR_CLEANUP_DELETE)) {
        pthread_mutex_unlock(&p->mu);
        return 0;
    }
    while (p->nsegs > 1 && p->segs[0] != p->cleaning) {
        struct segment *s = p->segs[0];
        bool by_time = p->cfg.retention_ms >= 0 && s->max_timestamp >= 0 &&
                       now_ms - s->max_timestamp > p->cfg.retention_ms;
        bool by_size = p->cfg.retention_bytes >= 0 &&
                       p->size_bytes - s->size >= p->cfg.retention_bytes;
        if (!by_time && !by_size)
            break;
        memmove(p->segs, p->segs + 1, (p->nsegs - 1) * sizeof(*p->segs));
        p->nsegs--;
        store64(&p->size_bytes, p->size_bytes - s->size);
        if (p->segs[0]->base_offset > p->log_start)
            store64(&p->log_start, p->segs[0]->base_offset);
        if (p->durable < p->log_start)
            store64(&p->durable, p->log_start);
        diag_info("log: %s-%d: retention deletes segment %lld (%s)", p->topic,
                  p->id, (long long)s->base_offset, by_time ? "time" : "size");
        segment_unlink(s);
        segment_unref(s);
        deleted++;
    }
    pthread_mutex_unlock(&p->mu);
    return deleted;
}

/* --- aborted-transaction indexes (txn_index.h) -------------------------- */

int partition_txn_index_append(struct partition *p,
                               const struct txn_index_entry *e)
{
    pthread_mutex_lock(&p->mu);
    if (p->closed || p->nsegs == 0) {
        pthread_mutex_unlock(&p->mu);
        return ERR_CLOSED;
    }
    struct segment *s = p->segs[find_segment(p, e->last_offset)];
    segment_ref(s);
    pthread_mutex_unlock(&p->mu);
    /* The I/O without the mutex: appends go on meanwhile. */
    int rc = txn_index_append(s->stem, e);
    segment_unref(s);
    return rc;
}

int partition_txn_index_read(struct partition *p, txn_index_fn *fn, void *arg)
{
    pthread_mutex_lock(&p->mu);
    size_t n = p->nsegs;
    struct segment **segs = mem_alloc((n ? n : 1) * sizeof(*segs));
    for (size_t i = 0; i < n; i++) {
        segs[i] = p->segs[i];
        segment_ref(segs[i]);
    }
    pthread_mutex_unlock(&p->mu);
    int total = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = total < 0 ? 0 : txn_index_read(segs[i]->stem, fn, arg);
        if (rc < 0)
            total = rc;
        else if (total >= 0)
            total += rc;
        segment_unref(segs[i]);
    }
    mem_free(segs);
    return total;
}

/* --- compaction (cleaner.c does the reading and writing) ---------------- */

int partition_clean_begin(struct partition *p, struct partition_clean_view *v)
{
    memset(v, 0, sizeof(*v));
    pthread_mutex_lock(&p->mu);
    int rc = 0;
    if (p->closed || p->read_only)
        rc = ERR_CLOSED;
    else if (p->failed)
        rc = ERR_FAILED;
    if (rc == 0) {
        v->n = p->nsegs ? p->nsegs - 1 : 0;
        v->segs = mem_alloc((v->n ? v->n : 1) * sizeof(*v->segs));
        /* The cleaner reads them without the mutex: their files are
         * opened here, under it, and the references keep the fd cache
         * from closing them until partition_clean_end. */
        for (size_t i = 0; i < v->n && rc == 0; i++) {
            rc = segment_fd(p->segs[i]);
            if (rc >= 0) {
                rc = 0;
                v->segs[i] = p->segs[i];
                segment_ref(v->segs[i]);
            } else {
                v->n = i;
            }
        }
        if (rc < 0) {
            pthread_mutex_unlock(&p->mu);
            partition_clean_end(v);
            return rc;
        }
        v->log_start = p->log_start;
        v->durable = p->durable;
        v->first_dirty =
            p->first_dirty > p->log_start ? p->first_dirty : p->log_start;
        v->cfg = p->cfg;
        v->dir = p->dir;
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

void partition_clean_end(struct partition_clean_view *v)
{
    for (size_t i = 0; i < v->n; i++)
        segment_unref(v->segs[i]);
    mem_free(v->segs);
    v->segs = NULL;
    v->n = 0;
}

static bool has_segment(const struct partition *p, const struct segment *s)
{
    for (size_t i = 0; i + 1 < p->nsegs; i++)
        if (p->segs[i] == s)
            return true;
    return false;
}

bool partition_clean_lock(struct partition *p, struct segment *old)
{
    pthread_mutex_lock(&p->mu);
    if (p->closed || p->read_only || !has_segment(p, old)) {
        pthread_mutex_unlock(&p->mu);
        return false;
    }
    p->cleaning = old;
    return true;
}

void partition_clean_unlock(struct partition *p)
{
    pthread_mutex_unlock(&p->mu);
}

bool partition_clean_swap(struct partition *p, struct segment *old,
                          struct segment *fresh)
{
    pthread_mutex_lock(&p->mu);
    bool done = false;
    for (size_t i = 0; fresh && i + 1 < p->nsegs; i++) {
        if (p->segs[i] != old)
            continue;
        p->segs[i] = fresh;
        store64(&p->size_bytes, p->size_bytes - old->size + fresh->size);
        segment_set_owner(fresh, &p->mu, &p->mu);
        segment_set_owner(old, NULL, &p->mu); /* going: its file was replaced */
        done = true;
        break;
    }
    if (p->cleaning == old)
        p->cleaning = NULL;
    pthread_mutex_unlock(&p->mu);
    if (done)
        segment_unref(old); /* the partition's reference */
    return done;
}

void partition_clean_done(struct partition *p, int64_t first_dirty)
{
    char path[4096], text[32];
    pthread_mutex_lock(&p->mu);
    bool closed = p->closed;
    pthread_mutex_unlock(&p->mu);
    if (closed)
        return;
    snprintf(path, sizeof path, "%s/%s", p->dir, CLEANER_OFFSET_FILE);
    int n = snprintf(text, sizeof text, "%lld\n", (long long)first_dirty);
    /* An older value on disk only costs a pass more after a restart. */
    if (os_write_file_atomic(path, text, (size_t)n) < 0)
        diag_warn("log: %s-%d: cannot write %s", p->topic, p->id, path);
    pthread_mutex_lock(&p->mu);
    p->first_dirty = first_dirty;
    pthread_mutex_unlock(&p->mu);
}
