/* time_index.c - the sparse `.timeindex` of a segment (layer: log).
 *
 * File format (big-endian, as Kafka's TimeIndex):
 *   off size field
 *     0  8   timestamp: largest timestamp in the segment so far (ms)
 *     8  4   relative offset: last offset of the batch that carried it
 * repeated, timestamps strictly increasing.
 */
#include "log/time_index.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/os.h"

#define MAX_LOAD_BYTES (768u << 20)

int time_index_open(struct time_index *ix, const char *path, bool read_only)
{
    ix->entries = NULL;
    ix->count = ix->cap = ix->written = 0;
    ix->fd = -1;
    int fd = os_open(path, read_only ? O_RDONLY : O_RDWR | O_CREAT, 0644);
    if (fd < 0)
        return read_only ? 0 : fd;
    ix->fd = fd;
    return 0;
}

void time_index_close(struct time_index *ix)
{
    os_close(ix->fd);
    ix->fd = -1;
    mem_free(ix->entries);
    ix->entries = NULL;
    ix->count = ix->cap = ix->written = 0;
}

static void add(struct time_index *ix, int64_t ts, uint32_t rel)
{
    if (ix->count == ix->cap) {
        ix->cap = ix->cap ? ix->cap * 2 : 64;
        ix->entries = mem_realloc(ix->entries, ix->cap * sizeof(*ix->entries));
    }
    ix->entries[ix->count].timestamp = ts;
    ix->entries[ix->count].rel_offset = rel;
    ix->count++;
}

void time_index_maybe_add(struct time_index *ix, int64_t ts, uint32_t rel)
{
    if (ix->count && ts <= ix->entries[ix->count - 1].timestamp)
        return;
    add(ix, ts, rel);
}

int time_index_load(struct time_index *ix, int64_t max_rel)
{
    ix->count = ix->written = 0;
    if (ix->fd < 0)
        return ERR_CORRUPT;
    struct stat st;
    if (fstat(ix->fd, &st) < 0)
        return -errno;
    if (st.st_size % TIME_INDEX_ENTRY_SIZE ||
        (uint64_t)st.st_size > MAX_LOAD_BYTES)
        return ERR_CORRUPT;
    size_t n = (size_t)st.st_size;
    uint8_t *raw = mem_alloc(n ? n : 1);
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(ix->fd, raw + got, n - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    int rc = got == n ? 0 : ERR_CORRUPT;
    for (size_t i = 0; rc == 0 && i < n; i += TIME_INDEX_ENTRY_SIZE) {
        int64_t ts = (int64_t)be64_load(raw + i);
        uint32_t rel = be32_load(raw + i + 8);
        if ((int64_t)rel > max_rel)
            rc = ERR_CORRUPT;
        else if (ix->count && (ts <= ix->entries[ix->count - 1].timestamp ||
                               rel < ix->entries[ix->count - 1].rel_offset))
            rc = ERR_CORRUPT;
        else
            add(ix, ts, rel);
    }
    mem_free(raw);
    if (rc)
        ix->count = 0;
    else
        ix->written = ix->count;
    return rc;
}

int time_index_write(struct time_index *ix)
{
    if (ix->fd < 0 || ix->written >= ix->count)
        return 0;
    uint8_t block[4092]; /* a multiple of 12 */
    while (ix->written < ix->count) {
        size_t k = 0, first = ix->written;
        off_t at = (off_t)(ix->written * TIME_INDEX_ENTRY_SIZE);
        while (first + k < ix->count &&
               (k + 1) * TIME_INDEX_ENTRY_SIZE <= sizeof block) {
            uint8_t *e = block + k * TIME_INDEX_ENTRY_SIZE;
            be64_store(e, (uint64_t)ix->entries[first + k].timestamp);
            be32_store(e + 8, ix->entries[first + k].rel_offset);
            k++;
        }
        ssize_t w = os_pwrite(ix->fd, block, k * TIME_INDEX_ENTRY_SIZE, at);
        if (w < 0)
            return (int)w;
        ix->written += k;
    }
    return 0;
}

int time_index_reset(struct time_index *ix)
{
    ix->count = ix->written = 0;
    return ix->fd >= 0 ? os_ftruncate(ix->fd, 0) : 0;
}

int64_t time_index_lookup(const struct time_index *ix, int64_t ts)
{
    size_t lo = 0, hi = ix->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->entries[mid].timestamp < ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? (int64_t)ix->entries[lo - 1].rel_offset : -1;
}

int64_t time_index_max_timestamp(const struct time_index *ix)
{
    return ix->count ? ix->entries[ix->count - 1].timestamp : -1;
}

int time_index_fsync(struct time_index *ix)
{
    return ix->fd >= 0 ? os_fdatasync(ix->fd) : 0;
}
