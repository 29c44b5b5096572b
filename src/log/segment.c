/* segment.c - one log segment and its indexes (layer: log).
 *
 * The .log file is batches back to back, exactly as on the wire (see
 * record_batch.c for the 61-byte header table): nothing else, no framing of
 * ours. Invariants, with the partition mutex held:
 *   1. [0, size) holds whole batches, each passing record_batch_verify,
 *      with base offsets following on from base_offset without gaps
 *      (forward gaps only in a compacted segment, allow_gaps: its last
 *      batch is always kept, so it still ends at the next segment's
 *      base); next_offset is the offset after the last one.
 *   2. The file may be longer than size only while an append is failing
 *      (then it is truncated back) or after a crash (recovery truncates).
 *   3. Index entries point at batch starts inside [0, size); index files
 *      are written when the segment is sealed or closed, never on the
 *      append path; the active segment's are rebuilt by recovery.
 */
#include "log/segment.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/os.h"
#include "log/fd_cache.h"

static char *path_of(const struct segment *s, const char *suffix)
{
    size_t n = strlen(s->stem) + strlen(suffix) + 1;
    char *p = mem_alloc(n);
    snprintf(p, n, "%s%s", s->stem, suffix);
    return p;
}

static int read_full(int fd, void *p, size_t n, int64_t at, size_t *got)
{
    size_t done = 0;
    *got = 0;
    while (done < n) {
        ssize_t r = pread(fd, (uint8_t *)p + done, n - done,
                          (off_t)(at + (int64_t)done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            break;
        done += (size_t)r;
    }
    *got = done;
    return 0;
}

static int log_flags(const struct segment *s)
{
    return s->read_only ? O_RDONLY : O_RDWR;
}

/* os_open; out of descriptors, it asks the fd cache to close cold segment
 * files and tries once more. */
static int open_retry(const struct segment *s, const char *path, int flags)
{
    int fd = os_open(path, flags, 0644);
    if ((fd == -EMFILE || fd == -ENFILE) && fd_cache_shrink(8, s->owner) > 0)
        fd = os_open(path, flags, 0644);
    return fd;
}

int segment_fd(struct segment *s)
{
    if (s->fd >= 0) {
        __atomic_store_n(&s->fc_used, 1, __ATOMIC_RELAXED);
        return s->fd;
    }
    char *log = path_of(s, ".log");
    int fd = open_retry(s, log, log_flags(s));
    mem_free(log);
    if (fd < 0)
        return fd;
    /* Atomic: the flusher reads it without the mutex (segment_sync). */
    __atomic_store_n(&s->fd, fd, __ATOMIC_RELEASE);
    __atomic_store_n(&s->fc_used, 1, __ATOMIC_RELAXED);
    fd_cache_opened(s, s->owner);
    return fd;
}

void segment_set_owner(struct segment *s, pthread_mutex_t *owner,
                       pthread_mutex_t *held)
{
    fd_cache_set_owner(s, owner, held);
}

/* The index files, opened again for writing (read-only segments never
 * write them). */
static int index_files_open(struct segment *s)
{
    if (s->read_only || (s->oix.fd >= 0 && s->tix.fd >= 0))
        return 0;
    char *ix = path_of(s, ".index"), *tix = path_of(s, ".timeindex");
    int rc = 0;
    if (s->oix.fd < 0) {
        rc = open_retry(s, ix, O_RDWR | O_CREAT);
        if (rc >= 0)
            s->oix.fd = rc;
    }
    if (rc >= 0 && s->tix.fd < 0) {
        rc = open_retry(s, tix, O_RDWR | O_CREAT);
        if (rc >= 0)
            s->tix.fd = rc;
    }
    mem_free(ix);
    mem_free(tix);
    return rc < 0 ? rc : 0;
}

int segment_write_indexes(struct segment *s)
{
    int rc = index_files_open(s);
    if (rc == 0)
        rc = offset_index_write(&s->oix);
    if (rc == 0)
        rc = time_index_write(&s->tix);
    segment_close_index_files(s);
    return rc;
}

static int open_files(struct segment *s, bool create)
{
    char *log = path_of(s, ".log"), *ix = path_of(s, ".index"),
         *tix = path_of(s, ".timeindex");
    int flags = log_flags(s);
    if (create)
        flags |= O_CREAT | O_TRUNC;
    int rc = open_retry(s, log, flags);
    if (rc < 0)
        goto out;
    s->fd = rc;
    rc = offset_index_open(&s->oix, ix, s->read_only);
    if ((rc == -EMFILE || rc == -ENFILE) && fd_cache_shrink(8, s->owner) > 0)
        rc = offset_index_open(&s->oix, ix, s->read_only);
    if (rc < 0)
        goto out;
    rc = time_index_open(&s->tix, tix, s->read_only);
    if ((rc == -EMFILE || rc == -ENFILE) && fd_cache_shrink(8, s->owner) > 0)
        rc = time_index_open(&s->tix, tix, s->read_only);
    if (rc < 0)
        goto out;
    if (create) {
        rc = offset_index_reset(&s->oix);
        if (rc == 0)
            rc = time_index_reset(&s->tix);
    }
out:
    mem_free(log);
    mem_free(ix);
    mem_free(tix);
    return rc;
}

static struct segment *alloc_segment(const char *dir, int64_t base,
                                     bool read_only)
{
    struct segment *s = mem_calloc(1, sizeof(*s));
    s->base_offset = base;
    s->next_offset = base;
    s->max_timestamp = -1;
    s->created_ms = clock_now_ms();
    s->fd = -1;
    s->oix.fd = -1;
    s->tix.fd = -1;
    s->refs = 1;
    s->read_only = read_only;
    size_t n = strlen(dir) + 32;
    s->stem = mem_alloc(n);
    snprintf(s->stem, n, "%s/%020lld", dir, (long long)base);
    return s;
}

static void free_segment(struct segment *s)
{
    fd_cache_forget(s);
    if (s->map)
        munmap((void *)(uintptr_t)s->map, s->map_len);
    os_close(s->fd);
    offset_index_close(&s->oix);
    time_index_close(&s->tix);
    mem_free(s->stem);
    mem_free(s);
}

const uint8_t *segment_map(struct segment *s, size_t need, size_t reserve)
{
    if (s->map)
        return need <= s->map_len ? s->map : NULL;
    if (reserve < need)
        reserve = need;
    int fd = segment_fd(s);
    if (fd < 0)
        return NULL;
    /* Pages past the end of the file are never touched: readers stay
     * below the bytes written (the mapping is coherent with write()). The
     * mapping outlives the fd if the fd cache closes it. */
    void *m = mmap(NULL, reserve, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        return NULL;
    s->map = m;
    s->map_len = reserve;
    return s->map;
}

int segment_create(const char *dir, int64_t base_offset, struct segment **out)
{
    struct segment *s = alloc_segment(dir, base_offset, false);
    int rc = open_files(s, true);
    if (rc < 0) {
        free_segment(s);
        return rc;
    }
    /* Empty index files now exist; they are written when it is sealed. */
    segment_close_index_files(s);
    *out = s;
    return 0;
}

int segment_open(const char *dir, int64_t base_offset, bool read_only,
                 struct segment **out)
{
    struct segment *s = alloc_segment(dir, base_offset, read_only);
    int rc = open_files(s, false);
    if (rc < 0)
        goto out_free;
    struct stat st;
    if (fstat(s->fd, &st) < 0) {
        rc = -errno;
        goto out_free;
    }
    s->size = st.st_size;
    *out = s;
    return 0;
out_free:
    free_segment(s);
    return rc;
}

/* Index bookkeeping shared by append and recovery for one batch at pos. */
static void note_batch(struct segment *s, const struct record_batch_header *h,
                       int64_t pos, int32_t index_interval)
{
    int64_t last = record_batch_last_offset(h);
    uint32_t rel = (uint32_t)(last - s->base_offset);
    if (h->max_timestamp > s->max_timestamp)
        s->max_timestamp = h->max_timestamp;
    s->bytes_since_index += (int64_t)record_batch_size(h);
    if (s->bytes_since_index > index_interval) {
        offset_index_add(&s->oix, rel, (uint32_t)pos);
        time_index_maybe_add(&s->tix, s->max_timestamp, rel);
        s->bytes_since_index = 0;
    }
    s->next_offset = last + 1;
}

int segment_recover(struct segment *s, int32_t index_interval,
                    int64_t trusted_below, bool *truncated)
{
    *truncated = false;
    struct stat st;
    int fd = segment_fd(s);
    if (fd < 0)
        return fd;
    if (fstat(fd, &st) < 0)
        return -errno;
    int64_t file_size = st.st_size;
    if (!s->read_only) {
        int irc = index_files_open(s);
        if (irc < 0)
            return irc;
    }
    s->oix.count = 0;
    s->tix.count = 0;
    s->max_timestamp = -1;
    s->bytes_since_index = 0;
    s->next_offset = s->base_offset;

    size_t cap = 1 << 20;
    uint8_t *win = mem_alloc(cap);
    int64_t win_at = 0;
    size_t win_len = 0;
    int64_t pos = 0;
    int rc = 0;
    while (pos < file_size) {
        struct record_batch_header h;
        if (pos + RECORD_BATCH_HEADER_SIZE > win_at + (int64_t)win_len) {
            size_t want = (size_t)(file_size - pos) < cap
                              ? (size_t)(file_size - pos)
                              : cap;
            rc = read_full(fd, win, want, pos, &win_len);
            if (rc < 0)
                goto out;
            win_at = pos;
        }
        size_t avail = (size_t)(win_at + (int64_t)win_len - pos);
        const uint8_t *p = win + (pos - win_at);
        int hrc = record_batch_header_decode(p, avail, &h);
        if (hrc == ERR_CORRUPT || h.batch_length < 0)
            break;
        size_t bsize = record_batch_size(&h);
        if (bsize > SEGMENT_MAX_BATCH_BYTES || pos + (int64_t)bsize > file_size)
            break;
        /* Below the recovery point every batch was verified before it was
         * fsynced: check the header chain only, without reading bodies. */
        bool trusted = hrc != ERR_CORRUPT &&
                       avail >= RECORD_BATCH_HEADER_SIZE &&
                       h.last_offset_delta >= 0 &&
                       record_batch_last_offset(&h) < trusted_below;
        if (avail < bsize && !trusted) {
            if (bsize > cap) {
                cap = bsize;
                win = mem_realloc(win, cap);
            }
            rc = read_full(fd, win, bsize, pos, &win_len);
            if (rc < 0)
                goto out;
            win_at = pos;
            p = win;
            if (win_len < bsize)
                break;
        }
        if (!trusted && record_batch_verify(p, bsize) != 0)
            break;
        if (h.base_offset < s->next_offset ||
            (!s->allow_gaps && h.base_offset != s->next_offset) ||
            record_batch_last_offset(&h) - s->base_offset > INT32_MAX ||
            pos + (int64_t)bsize > UINT32_MAX)
            break;
        note_batch(s, &h, pos, index_interval);
        pos += (int64_t)bsize;
    }
    s->size = pos;
    if (pos < file_size) {
        *truncated = true;
        diag_warn("log: %s.log: dropped %lld bytes of torn or corrupt tail "
                  "at position %lld (next offset %lld)",
                  s->stem, (long long)(file_size - pos), (long long)pos,
                  (long long)s->next_offset);
        if (!s->read_only) {
            rc = os_ftruncate(fd, pos);
            if (rc < 0)
                goto out;
        }
    }
    if (!s->read_only) {
        /* Rewrite the index files from scratch to match the walk. */
        /* (They are written again when the segment is sealed or closed;
         * an old file must not outlive the walk.) */
        size_t oc = s->oix.count, tc = s->tix.count;
        if (offset_index_reset(&s->oix) < 0 || time_index_reset(&s->tix) < 0)
            diag_warn("log: %s: cannot reset index files", s->stem);
        s->oix.count = oc;
        s->tix.count = tc;
    }
out:
    mem_free(win);
    return rc;
}

/* Reads and checks the header at pos (inside [0, size)). */
static int header_at(struct segment *s, int64_t pos,
                     struct record_batch_header *h)
{
    uint8_t b[RECORD_BATCH_HEADER_SIZE];
    size_t got = 0;
    if (pos < 0 || pos + RECORD_BATCH_HEADER_SIZE > s->size)
        return ERR_CORRUPT;
    int fd = segment_fd(s);
    if (fd < 0)
        return fd;
    int rc = read_full(fd, b, sizeof b, pos, &got);
    if (rc < 0)
        return rc;
    if (got < sizeof b)
        return ERR_CORRUPT;
    rc = record_batch_header_decode(b, sizeof b, h);
    if (rc == ERR_CORRUPT)
        return ERR_CORRUPT;
    if (pos + (int64_t)record_batch_size(h) > s->size)
        return ERR_CORRUPT;
    return 0;
}

/* A header scanner reading 8 KiB at a time, for walks over many batches. */
struct scan {
    struct segment *s;
    int64_t at;
    size_t len;
    uint8_t buf[8192];
};

static int scan_header(struct scan *sc, int64_t pos,
                       struct record_batch_header *h)
{
    struct segment *s = sc->s;
    if (pos < 0 || pos + RECORD_BATCH_HEADER_SIZE > s->size)
        return ERR_CORRUPT;
    if (pos < sc->at ||
        pos + RECORD_BATCH_HEADER_SIZE > sc->at + (int64_t)sc->len) {
        size_t want = sizeof sc->buf;
        if ((int64_t)want > s->size - pos)
            want = (size_t)(s->size - pos);
        int fd = segment_fd(s);
        if (fd < 0)
            return fd;
        int rc = read_full(fd, sc->buf, want, pos, &sc->len);
        if (rc < 0)
            return rc;
        sc->at = pos;
        if (sc->len < RECORD_BATCH_HEADER_SIZE)
            return ERR_CORRUPT;
    }
    int rc = record_batch_header_decode(sc->buf + (pos - sc->at),
                                        RECORD_BATCH_HEADER_SIZE, h);
    if (rc == ERR_CORRUPT || pos + (int64_t)record_batch_size(h) > s->size)
        return ERR_CORRUPT;
    return 0;
}

int segment_load(struct segment *s, int64_t next_offset, int32_t index_interval)
{
    int64_t max_rel = next_offset - 1 - s->base_offset;
    s->next_offset = next_offset;
    bool ok = max_rel >= 0 && s->size > 0 &&
              offset_index_load(&s->oix, s->size, max_rel) == 0 &&
              time_index_load(&s->tix, max_rel) == 0 && s->tix.count > 0;
    if (ok) {
        /* The last entries must point at real batches. */
        struct record_batch_header h;
        if (s->oix.count) {
            const struct offset_index_entry *e =
                &s->oix.entries[s->oix.count - 1];
            ok = header_at(s, e->position, &h) == 0 &&
                 record_batch_last_offset(&h) == s->base_offset + e->rel_offset;
        }
        s->max_timestamp = time_index_max_timestamp(&s->tix);
    }
    if (ok) {
        /* The batches after the last entry must end exactly at the end of
         * the file with next_offset - 1: a short scan (one index
         * interval), which catches a log cut short or a wrong neighbour. */
        struct scan sc;
        sc.s = s;
        sc.at = 0;
        sc.len = 0;
        int64_t p =
            s->oix.count ? s->oix.entries[s->oix.count - 1].position : 0;
        int64_t last = -1;
        while (ok && p < s->size) {
            struct record_batch_header h;
            ok = scan_header(&sc, p, &h) == 0;
            last = record_batch_last_offset(&h);
            p += (int64_t)record_batch_size(&h);
        }
        ok = ok && p == s->size && last == next_offset - 1;
    }
    if (ok)
        return 0;
    diag_info("log: %s: rebuilding indexes", s->stem);
    bool truncated;
    int rc = segment_recover(s, index_interval, s->base_offset, &truncated);
    if (rc == 0 && !s->read_only) {
        /* A closed segment: its index files are final. */
        rc = segment_seal(s);
    }
    return rc;
}

int segment_append(struct segment *s, const uint8_t *p, size_t len,
                   int32_t index_interval)
{
    int fd = segment_fd(s);
    if (fd < 0)
        return fd;
    ssize_t w = os_pwrite(fd, p, len, (off_t)s->size);
    if (w < 0) {
        /* Invariant 2: never leave a partial batch past size. */
        if (os_ftruncate(fd, s->size) < 0)
            diag_error("log: %s.log: cannot truncate after failed write",
                       s->stem);
        return (int)w;
    }
    size_t off = 0;
    while (off < len) {
        struct record_batch_header h;
        record_batch_header_decode(p + off, len - off, &h);
        note_batch(s, &h, s->size + (int64_t)off, index_interval);
        off += record_batch_size(&h);
    }
    s->size += (int64_t)len;
    s->dirty = true;
    return 0;
}

int segment_seal(struct segment *s)
{
    if (s->max_timestamp >= 0 && s->next_offset > s->base_offset)
        time_index_maybe_add(&s->tix, s->max_timestamp,
                             (uint32_t)(s->next_offset - 1 - s->base_offset));
    if (s->read_only)
        return 0;
    /* Final once written: the flusher fsyncs them by name (segment_sync). */
    int rc = segment_write_indexes(s);
    if (rc < 0) {
        /* Indexes are rebuilt from the log when they fail to load; a
         * short write only costs a rebuild, so it is not an I/O failure
         * of the partition. */
        diag_warn("log: %s: cannot write index files: %s", s->stem,
                  err_str(rc));
        return 0;
    }
    s->index_dirty = true;
    return 0;
}

void segment_close_index_files(struct segment *s)
{
    os_close(s->oix.fd);
    s->oix.fd = -1;
    os_close(s->tix.fd);
    s->tix.fd = -1;
}

/* fdatasync through a descriptor of its own: for a file the fd cache
 * closed while it had unsynced bytes, or a sealed segment's index files.
 * Linux keeps the dirty pages with the file and reports a write-back error
 * no descriptor has seen yet to the next one opened (since 4.16), so this
 * is the same fsync the closed descriptor would have done. A file already
 * deleted (retention) has nothing to make durable. */
static int sync_by_name(const struct segment *s, const char *suffix)
{
    char *path = path_of(s, suffix);
    int fd = os_open(path, O_RDONLY, 0);
    /* The flusher holds no partition mutex: the cache may only try them. */
    if ((fd == -EMFILE || fd == -ENFILE) && fd_cache_shrink(8, NULL) > 0)
        fd = os_open(path, O_RDONLY, 0);
    mem_free(path);
    if (fd == -ENOENT)
        return 0;
    if (fd < 0)
        return fd;
    int rc = os_fdatasync(fd);
    os_close(fd);
    return rc;
}

int segment_sync(struct segment *s, bool with_indexes)
{
    /* The caller's reference keeps an open fd open (fd_cache.c,
     * invariant 2); one closed before it took it is synced by name. */
    int fd = __atomic_load_n(&s->fd, __ATOMIC_ACQUIRE);
    int rc = fd >= 0 ? os_fdatasync(fd) : sync_by_name(s, ".log");
    if (rc == 0 && with_indexes) {
        if (sync_by_name(s, ".index") < 0 || sync_by_name(s, ".timeindex") < 0)
            diag_warn("log: %s: index fsync failed (rebuilt on recovery)",
                      s->stem);
    }
    return rc;
}

int segment_find_offset(struct segment *s, int64_t offset, int64_t *pos,
                        int64_t *batch_base)
{
    *pos = s->size;
    *batch_base = s->next_offset;
    if (offset >= s->next_offset)
        return 0;
    int64_t rel = offset - s->base_offset;
    struct scan sc;
    sc.s = s;
    sc.at = 0;
    sc.len = 0;
    int64_t p = rel > 0 ? offset_index_lookup(&s->oix, (uint32_t)rel) : 0;
    while (p < s->size) {
        struct record_batch_header h;
        int rc = scan_header(&sc, p, &h);
        if (rc < 0)
            return rc;
        if (record_batch_last_offset(&h) >= offset) {
            *pos = p;
            *batch_base = h.base_offset;
            return 0;
        }
        p += (int64_t)record_batch_size(&h);
    }
    return 0;
}

int segment_find_bound(struct segment *s, int64_t from, int64_t limit,
                       int64_t *pos, int64_t *offset)
{
    struct scan sc;
    sc.s = s;
    sc.at = 0;
    sc.len = 0;
    struct record_batch_header h;
    int rc = scan_header(&sc, from, &h);
    if (rc < 0)
        return rc;
    int64_t b = from + (int64_t)record_batch_size(&h);
    if (b <= limit) {
        uint32_t ip;
        if (limit <= UINT32_MAX &&
            offset_index_lookup_pos(&s->oix, (uint32_t)b, (uint32_t)limit, &ip))
            b = ip;
        while (b < s->size) {
            rc = scan_header(&sc, b, &h);
            if (rc < 0)
                return rc;
            int64_t e = b + (int64_t)record_batch_size(&h);
            if (e > limit)
                break;
            b = e;
        }
    }
    *pos = b;
    if (b >= s->size) {
        *offset = s->next_offset;
        return 0;
    }
    rc = scan_header(&sc, b, &h);
    if (rc < 0)
        return rc;
    *offset = h.base_offset;
    return 0;
}

int segment_find_timestamp(struct segment *s, int64_t ts, struct buf *scratch,
                           int64_t *offset)
{
    *offset = -1;
    if (s->max_timestamp < ts || s->size == 0)
        return 0;
    int64_t rel = time_index_lookup(&s->tix, ts);
    int64_t p = rel >= 0 ? offset_index_lookup(&s->oix, (uint32_t)rel + 1) : 0;
    struct buf batch, dec;
    buf_init(&batch);
    buf_init(&dec);
    int rc = 0;
    while (p < s->size) {
        struct record_batch_header h;
        rc = header_at(s, p, &h);
        if (rc < 0)
            break;
        size_t bsize = record_batch_size(&h);
        if (h.max_timestamp >= ts) {
            if (record_batch_attr_log_append_time(h.attributes)) {
                *offset = h.base_offset;
                break;
            }
            buf_reset(&batch);
            uint8_t *dst = buf_extend(&batch, bsize);
            size_t got = 0;
            int fd = segment_fd(s);
            rc = fd < 0 ? fd : read_full(fd, dst, bsize, p, &got);
            if (rc < 0)
                break;
            struct record_iter it;
            struct record rec;
            if (got == bsize &&
                record_iter_init(&it, dst, bsize, scratch ? scratch : &dec) ==
                    0) {
                while (record_iter_next(&it, &rec) == 1) {
                    if (rec.timestamp >= ts) {
                        *offset = rec.offset;
                        break;
                    }
                }
            }
            if (*offset >= 0)
                break;
        }
        p += (int64_t)bsize;
    }
    buf_fini(&batch);
    buf_fini(&dec);
    return rc;
}

void segment_ref(struct segment *s)
{
    __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
}

void segment_unref(struct segment *s)
{
    if (!s)
        return;
    if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free_segment(s);
}

int segment_unlink(struct segment *s)
{
    static const char *const suffixes[] = {".log", ".index", ".timeindex",
                                           ".txnindex"};
    int rc = 0;
    segment_set_owner(s, NULL, NULL);
    for (size_t i = 0; i < 4; i++) {
        char *p = path_of(s, suffixes[i]);
        int r = os_unlink(p);
        if (r < 0 && r != -ENOENT && rc == 0)
            rc = r;
        mem_free(p);
    }
    return rc;
}

int64_t segment_parse_name(const char *name)
{
    if (strlen(name) != 24 || strcmp(name + 20, ".log") != 0)
        return -1;
    int64_t v = 0;
    for (int i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
        int d = name[i] - '0';
        if (v > (INT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    return v;
}
