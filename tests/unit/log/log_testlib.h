/* log_testlib.h - helpers shared by the log layer's storage tests: temp
 * directories, batch building, reading everything back. Test-only. */
#ifndef RILL_LOG_TESTLIB_H
#define RILL_LOG_TESTLIB_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "log/record_batch.h"

/* mkdtemp under /tmp; returns a static-lifetime copy the caller frees. */
static inline char *tl_tmpdir(void)
{
    char *p = strdup("/tmp/rill-logtest.XXXXXX");
    if (!mkdtemp(p)) {
        perror("mkdtemp");
        exit(2);
    }
    return p;
}

static inline void tl_rmrf(const char *path)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "rm -rf %s failed\n", path);
}

/* Builds one uncompressed batch of n records, values "v<first+i>" padded to
 * value_len bytes, timestamps ts0 + i; appends it to out. */
static inline void tl_batch(struct buf *out, int64_t first, int n, int64_t ts0,
                            size_t value_len)
{
    struct record_batch_builder b;
    record_batch_builder_init(&b, 0);
    char v[4096];
    for (int i = 0; i < n; i++) {
        int k = snprintf(v, sizeof v, "v%lld", (long long)(first + i));
        size_t len = value_len > (size_t)k ? value_len : (size_t)k;
        if (len > sizeof v)
            len = sizeof v;
        memset(v + k, '.', len - (size_t)k);
        struct slice val = slice_make(v, len);
        record_batch_builder_add(&b, NULL, &val, ts0 + i, NULL, 0);
    }
    record_batch_builder_finish(&b, out);
    record_batch_builder_fini(&b);
}

/* Appends one batch of n records; returns the append's result. */
static inline int tl_append(struct partition *p, int64_t first, int n,
                            int64_t ts0, int64_t *base)
{
    struct buf b;
    buf_init(&b);
    tl_batch(&b, first, n, ts0, 12); /* equal sizes for equal n */
    int rc = partition_append(p, b.data, b.len, base);
    buf_fini(&b);
    return rc;
}

/* Reads [from, HWM) record by record and checks every value is "v<off>"
 * for its offset, offsets contiguous. Returns records seen or -1. */
static inline long tl_check_all(struct partition *p, int64_t from)
{
    struct buf data, scratch;
    buf_init(&data);
    buf_init(&scratch);
    int64_t off = from, expect = from;
    long seen = 0;
    while (off < partition_high_watermark(p)) {
        buf_reset(&data);
        int64_t next;
        if (partition_read_copy(p, off, 1 << 20, &data, &next) < 0 ||
            data.len == 0)
            goto bad;
        struct record_batch_walk w;
        record_batch_walk_init(&w, data.data, data.len);
        struct record_batch_header h;
        const uint8_t *bp;
        size_t bl;
        while (record_batch_walk_next(&w, &h, &bp, &bl) == 1) {
            if (record_batch_verify(bp, bl) != 0)
                goto bad;
            struct record_iter it;
            struct record r;
            if (record_iter_init(&it, bp, bl, &scratch) != 0)
                goto bad;
            while (record_iter_next(&it, &r) == 1) {
                if (r.offset < expect)
                    continue; /* the batch started below `from` */
                char want[32];
                int k =
                    snprintf(want, sizeof want, "v%lld", (long long)r.offset);
                if (r.offset != expect || r.value.len < (size_t)k ||
                    memcmp(r.value.ptr, want, (size_t)k) != 0 ||
                    (r.value.len > (size_t)k && r.value.ptr[k] != '.'))
                    goto bad;
                expect++;
                seen++;
            }
        }
        off = next;
    }
    buf_fini(&data);
    buf_fini(&scratch);
    return seen;
bad:
    fprintf(stderr, "  tl_check_all: mismatch near offset %lld\n",
            (long long)expect);
    buf_fini(&data);
    buf_fini(&scratch);
    return -1;
}

static inline int tl_count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t l = strlen(e->d_name), s = strlen(suffix);
        if (l > s && !strcmp(e->d_name + l - s, suffix))
            n++;
    }
    if (d)
        closedir(d);
    return n;
}

static inline long tl_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) < 0 ? -1 : (long)st.st_size;
}

#endif
