/* cli_logtool.c - `rill log dump PATH`: print the batches (and with
 * --records the records) of segment files, checking every CRC, like Kafka's
 * DumpLogSegments (layer: cli).
 *
 * PATH is a .log segment (or an explicit .index / .timeindex, whose
 * entries are listed), a partition directory, a topic directory or a
 * whole data directory (directories are searched a few levels deep, in name
 * order). Reads the files directly (mmap, read-only), so it works on a copy
 * and while nothing else runs; it never writes. Exit status: 0 all CRCs
 * good, 1 a bad CRC, a corrupt header or an unreadable file, 2 usage.
 */
#include "cli/cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "log/record_batch.h"

static const char usage_text[] =
    "rill log dump PATH... [--records] [--max-bytes N]\n"
    "  PATH: a .log segment, a partition/topic directory or a data directory";

struct dump {
    bool records;
    size_t max_bytes; /* of a key or value to print */
    struct buf scratch;
    uint64_t files, batches, record_count, bad_crc, corrupt;
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Prints bytes with non-printables escaped, at most max bytes. */
static void print_bytes(struct slice s, size_t max)
{
    size_t n = s.len < max ? s.len : max;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s.ptr[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            putchar(c);
        else
            printf("\\x%02x", c);
    }
    if (n < s.len)
        printf("...(%zu bytes)", s.len);
}

static void dump_records(struct dump *d, const uint8_t *p, size_t n)
{
    struct record_iter it;
    struct record r;
    int rc = record_iter_init(&it, p, n, &d->scratch);
    if (rc) {
        printf("| records unreadable: %s\n", err_str(rc));
        d->corrupt++;
        return;
    }
    bool lat = record_batch_attr_log_append_time(it.hdr.attributes);
    while ((rc = record_iter_next(&it, &r)) == 1) {
        printf("| offset: %" PRId64 " %s: %" PRId64 " keySize: %d valueSize: %d"
               " headerCount: %d",
               r.offset, lat ? "LogAppendTime" : "CreateTime", r.timestamp,
               r.key_null ? -1 : (int)r.key.len,
               r.value_null ? -1 : (int)r.value.len, r.header_count);
        struct record_header_iter hi;
        struct slice hk, hv;
        bool hnull;
        record_header_iter_init(&hi, &r);
        if (r.header_count > 0) {
            printf(" headers: [");
            bool first = true;
            while (record_header_iter_next(&hi, &hk, &hv, &hnull) == 1) {
                printf("%s", first ? "" : ", ");
                print_bytes(hk, d->max_bytes);
                printf("=");
                if (hnull)
                    printf("null");
                else
                    print_bytes(hv, d->max_bytes);
                first = false;
            }
            printf("]");
        }
        printf(" key: ");
        if (r.key_null)
            printf("null");
        else
            print_bytes(r.key, d->max_bytes);
        printf(" payload: ");
        if (r.value_null)
            printf("null");
        else
            print_bytes(r.value, d->max_bytes);
        printf("\n");
        d->record_count++;
    }
    if (rc < 0) {
        printf("| record %d of %d is corrupt\n", it.index, it.hdr.record_count);
        d->corrupt++;
    }
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* A .index (8-byte entries: relative offset, position) or .timeindex
 * (12-byte: timestamp, relative offset) given explicitly: its entries with
 * absolute offsets. A damaged index is not data loss (recovery rebuilds it
 * from the .log), so it is reported but does not change the exit status. */
static void dump_index(const char *path, const uint8_t *map, size_t size,
                       bool time)
{
    const char *base_name = strrchr(path, '/');
    base_name = base_name ? base_name + 1 : path;
    int64_t base = strtoll(base_name, NULL, 10);
    size_t esz = time ? 12 : 8, n = size / esz;
    int64_t prev = -1;
    bool ok = size % esz == 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *e = map + i * esz;
        if (time) {
            int64_t ts = (int64_t)be64_load(e);
            uint32_t rel = be32_load(e + 8);
            printf("timestamp: %" PRId64 " offset: %" PRId64 "\n", ts,
                   base + rel);
            ok = ok && ts > prev;
            prev = ts;
        } else {
            uint32_t rel = be32_load(e), pos = be32_load(e + 4);
            printf("offset: %" PRId64 " position: %u\n", base + rel, pos);
            ok = ok && (int64_t)rel > prev;
            prev = rel;
        }
    }
    printf("%zu index entries%s\n", n,
           ok ? ""
              : "; NOT a valid index (recovery rebuilds it from the .log)");
}

static int dump_file(struct dump *d, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "rill log dump: %s: %s\n", path, strerror(errno));
        return 1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        fprintf(stderr, "rill log dump: %s: %s\n", path, strerror(errno));
        close(fd);
        return 1;
    }
    size_t size = (size_t)st.st_size;
    const uint8_t *map = NULL;
    if (size > 0) {
        void *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            fprintf(stderr, "rill log dump: mmap %s: %s\n", path,
                    strerror(errno));
            close(fd);
            return 1;
        }
        map = (const uint8_t *)m;
    }
    close(fd);
    d->files++;
    printf("Dumping %s (%zu bytes)\n", path, size);
    if (ends_with(path, ".index") || ends_with(path, ".timeindex")) {
        dump_index(path, map, size, ends_with(path, ".timeindex"));
        if (map)
            munmap((void *)(uintptr_t)map, size);
        return 0;
    }

    int status = 0;
    struct record_batch_walk w;
    struct record_batch_header h;
    const uint8_t *p;
    size_t n;
    int rc;
    record_batch_walk_init(&w, map, size);
    while ((rc = record_batch_walk_next(&w, &h, &p, &n)) == 1) {
        size_t position = (size_t)(p - map);
        int v = record_batch_verify(p, n);
        bool crc_ok = v == 0;
        printf("baseOffset: %" PRId64 " lastOffset: %" PRId64 " count: %d"
               " baseTimestamp: %" PRId64 " maxTimestamp: %" PRId64
               " producerId: %" PRId64 " producerEpoch: %d baseSequence: %d"
               " isTransactional: %s isControl: %s compresscodec: %s"
               " timestampType: %s position: %zu size: %zu crc: 0x%08x"
               " crcValid: %s\n",
               h.base_offset, record_batch_last_offset(&h), h.record_count,
               h.base_timestamp, h.max_timestamp, h.producer_id,
               h.producer_epoch, h.base_sequence,
               record_batch_attr_transactional(h.attributes) ? "true" : "false",
               record_batch_attr_control(h.attributes) ? "true" : "false",
               compress_codec_name(record_batch_attr_codec(h.attributes)),
               record_batch_attr_log_append_time(h.attributes) ? "LogAppendTime"
                                                               : "CreateTime",
               position, n, h.crc, crc_ok ? "true" : "BAD");
        d->batches++;
        if (!d->records)
            d->record_count +=
                (uint64_t)(h.record_count > 0 ? h.record_count : 0);
        if (!crc_ok) {
            d->bad_crc++;
            status = 1;
        }
        if (d->records)
            dump_records(d, p, n);
    }
    if (rc < 0) {
        printf("CORRUPT batch header at position %zu; %zu bytes not read\n",
               w.pos, size - w.pos);
        d->corrupt++;
        status = 1;
    } else if (w.truncated) {
        if (all_zero(map + w.pos, size - w.pos))
            printf("zero padding from position %zu (%zu bytes)\n", w.pos,
                   size - w.pos);
        else
            printf("PARTIAL batch at position %zu (%zu bytes): a torn write, "
                   "recovery truncates it\n",
                   w.pos, size - w.pos);
    }
    if (map)
        munmap((void *)(uintptr_t)map, size);
    return status;
}

static int filter_entry(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

static int dump_path(struct dump *d, const char *path, int depth)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        fprintf(stderr, "rill log dump: %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (!S_ISDIR(st.st_mode))
        return dump_file(d, path);
    if (depth > 4)
        return 0;
    struct dirent **names;
    int count = scandir(path, &names, filter_entry, alphasort);
    if (count < 0) {
        fprintf(stderr, "rill log dump: %s: %s\n", path, strerror(errno));
        return 1;
    }
    int status = 0;
    for (int i = 0; i < count; i++) {
        char child[4096];
        snprintf(child, sizeof child, "%s/%s", path, names[i]->d_name);
        struct stat cst;
        if (stat(child, &cst) == 0) {
            if (S_ISDIR(cst.st_mode)) {
                if (dump_path(d, child, depth + 1))
                    status = 1;
            } else if (ends_with(names[i]->d_name, ".log")) {
                if (dump_file(d, child))
                    status = 1;
            }
        }
        free(names[i]);
    }
    free(names);
    return status;
}

int cli_logtool(int argc, char **argv)
{
    struct cli_args a;
    cli_args_init(&a, argc, argv);
    struct dump d;
    memset(&d, 0, sizeof d);
    d.records = cli_flag(&a, "records");
    d.max_bytes = 256;
    const char *max = cli_opt(&a, "max-bytes");
    if (max) {
        int64_t v;
        if (cli_parse_i64("max-bytes", max, &v) || v < 0)
            return 2;
        d.max_bytes = (size_t)v;
    }
    (void)cli_opt(&a, "data"); /* accepted for uniformity, PATH is explicit */
    const char *verb = cli_positional(&a, 0);
    const char *paths[64];
    int npaths = 0;
    while (npaths < 64 && (paths[npaths] = cli_positional(&a, 0)) != NULL)
        npaths++;
    int rc = cli_check_unused(&a, usage_text);
    if (rc)
        return rc;
    if (!verb || strcmp(verb, "dump") != 0 || npaths == 0) {
        fprintf(stderr, "usage: %s\n", usage_text);
        return 2;
    }
    buf_init(&d.scratch);
    int status = 0;
    for (int i = 0; i < npaths; i++)
        if (dump_path(&d, paths[i], 0))
            status = 1;
    printf("Summary: %" PRIu64 " files, %" PRIu64 " batches, %" PRIu64
           " records, %" PRIu64 " bad CRCs, %" PRIu64 " corrupt\n",
           d.files, d.batches, d.record_count, d.bad_crc, d.corrupt);
    buf_fini(&d.scratch);
    if (d.bad_crc || d.corrupt)
        status = 1;
    if (fflush(stdout) != 0)
        status = 1;
    return status;
}
