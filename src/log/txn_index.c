/* txn_index.c - `<base>.txnindex` files: append one fsynced entry, read
 * them all (layer: log). Format and contract: txn_index.h.
 */
#include "log/txn_index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/os.h"

/* An index holds one entry per aborted transaction of one segment. */
#define TXN_INDEX_MAX_BYTES (256u << 20)

int txn_index_append(const char *stem, const struct txn_index_entry *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s%s", stem, TXN_INDEX_SUFFIX);
    uint8_t b[TXN_INDEX_ENTRY_SIZE];
    be16_store(b, 0);
    be64_store(b + 2, (uint64_t)e->producer_id);
    be64_store(b + 10, (uint64_t)e->first_offset);
    be64_store(b + 18, (uint64_t)e->last_offset);
    be64_store(b + 26, (uint64_t)e->last_stable_offset);
    int fd = os_open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return fd;
    /* A torn entry from an earlier crash would shift every later one:
     * start this one on an entry boundary. */
    off_t end = lseek(fd, 0, SEEK_END);
    int rc = 0;
    if (end < 0)
        rc = -errno;
    else if (end % TXN_INDEX_ENTRY_SIZE)
        rc = os_ftruncate(fd, end - end % TXN_INDEX_ENTRY_SIZE);
    if (rc == 0) {
        ssize_t n = os_write(fd, b, sizeof b);
        rc = n < 0 ? (int)n : 0;
    }
    if (rc == 0)
        rc = os_fdatasync(fd);
    os_close(fd);
    return rc;
}

int txn_index_read(const char *stem, txn_index_fn *fn, void *arg)
{
    char path[4096];
    snprintf(path, sizeof path, "%s%s", stem, TXN_INDEX_SUFFIX);
    char *data = NULL;
    size_t len = 0;
    int rc = os_read_file(path, TXN_INDEX_MAX_BYTES, &data, &len);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        return rc;
    const uint8_t *p = (const uint8_t *)data;
    int n = 0;
    for (size_t at = 0; at + TXN_INDEX_ENTRY_SIZE <= len;
         at += TXN_INDEX_ENTRY_SIZE) {
        if (be16_load(p + at) != 0) {
            n = ERR_CORRUPT;
            break;
        }
        struct txn_index_entry e;
        e.producer_id = (int64_t)be64_load(p + at + 2);
        e.first_offset = (int64_t)be64_load(p + at + 10);
        e.last_offset = (int64_t)be64_load(p + at + 18);
        e.last_stable_offset = (int64_t)be64_load(p + at + 26);
        fn(arg, &e);
        n++;
    }
    mem_free(data);
    return n;
}
