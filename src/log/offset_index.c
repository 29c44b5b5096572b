/* offset_index.c - the sparse `.index` of a segment (layer: log).
 *
 * File format (big-endian, as Kafka's OffsetIndex):
 *   off size field
 *     0  4   relative offset: last offset of the batch - segment base
 *     4  4   position: byte offset in the .log where that batch starts
 * repeated; an entry is added after more than index.interval.bytes of log
 * since the previous one. Lookups are binary searches in memory.
 */
#include "log/offset_index.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/os.h"

/* Entries a single load may hold: 2^32 bytes of log / 8-byte minimum. */
#define MAX_LOAD_BYTES (512u << 20)

int offset_index_open(struct offset_index *ix, const char *path, bool read_only)
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

void offset_index_close(struct offset_index *ix)
{
    os_close(ix->fd);
    ix->fd = -1;
    mem_free(ix->entries);
    ix->entries = NULL;
    ix->count = ix->cap = ix->written = 0;
}

void offset_index_add(struct offset_index *ix, uint32_t rel, uint32_t pos)
{
    if (ix->count == ix->cap) {
        ix->cap = ix->cap ? ix->cap * 2 : 64;
        ix->entries = mem_realloc(ix->entries, ix->cap * sizeof(*ix->entries));
    }
    ix->entries[ix->count].rel_offset = rel;
    ix->entries[ix->count].position = pos;
    ix->count++;
}

int offset_index_load(struct offset_index *ix, int64_t log_size,
                      int64_t max_rel)
{
    ix->count = ix->written = 0;
    if (ix->fd < 0)
        return ERR_CORRUPT;
    struct stat st;
    if (fstat(ix->fd, &st) < 0)
        return -errno;
    if (st.st_size % OFFSET_INDEX_ENTRY_SIZE ||
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
    for (size_t i = 0; rc == 0 && i < n; i += OFFSET_INDEX_ENTRY_SIZE) {
        uint32_t rel = be32_load(raw + i), pos = be32_load(raw + i + 4);
        if ((int64_t)rel > max_rel || (int64_t)pos >= log_size)
            rc = ERR_CORRUPT;
        else if (ix->count && (rel <= ix->entries[ix->count - 1].rel_offset ||
                               pos <= ix->entries[ix->count - 1].position))
            rc = ERR_CORRUPT;
        else
            offset_index_add(ix, rel, pos);
    }
    mem_free(raw);
    if (rc)
        ix->count = 0;
    else
        ix->written = ix->count;
    return rc;
}

int offset_index_write(struct offset_index *ix)
{
    if (ix->fd < 0 || ix->written >= ix->count)
        return 0;
    uint8_t block[4096];
    while (ix->written < ix->count) {
        size_t k = 0;
        off_t at = (off_t)(ix->written * OFFSET_INDEX_ENTRY_SIZE);
        size_t first = ix->written;
        while (first + k < ix->count && (k + 1) * 8 <= sizeof block) {
            be32_store(block + k * 8, ix->entries[first + k].rel_offset);
            be32_store(block + k * 8 + 4, ix->entries[first + k].position);
            k++;
        }
        ssize_t w = os_pwrite(ix->fd, block, k * 8, at);
        if (w < 0)
            return (int)w;
        ix->written += k;
    }
    return 0;
}

int offset_index_reset(struct offset_index *ix)
{
    ix->count = ix->written = 0;
    return ix->fd >= 0 ? os_ftruncate(ix->fd, 0) : 0;
}

uint32_t offset_index_lookup(const struct offset_index *ix, uint32_t rel)
{
    /* Largest entry with rel_offset < rel: that batch ends before rel, so
     * the batch containing rel starts at or after its position. */
    size_t lo = 0, hi = ix->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->entries[mid].rel_offset < rel)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? ix->entries[lo - 1].position : 0;
}

bool offset_index_lookup_pos(const struct offset_index *ix, uint32_t after,
                             uint32_t pos, uint32_t *out)
{
    size_t lo = 0, hi = ix->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->entries[mid].position <= pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!lo || ix->entries[lo - 1].position <= after)
        return false;
    *out = ix->entries[lo - 1].position;
    return true;
}

int offset_index_fsync(struct offset_index *ix)
{
    return ix->fd >= 0 ? os_fdatasync(ix->fd) : 0;
}
