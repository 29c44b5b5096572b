/* test_cleaner.c - log compaction (cleaner.c): the latest value of each key
 * stays at its offset, superseded records and old tombstones go, a
 * segment's last batch stays (empty) so segments still meet, compressed
 * batches are rebuilt, aborted transactional data goes and an open
 * transaction stops the pass, the dirty ratio and min.compaction.lag.ms
 * are honoured, the cleaned log reopens (gaps accepted), and a crash
 * leaving .cleaned or .swap files recovers (layer: log, unit test).
 */
#include <fcntl.h>

#include "base/clock.h"
#include "base/os.h"
#include "log/fd_cache.h"
#include "log/logdir.h"
#include "log_testlib.h"
#include "../../harness.h"

#define NOW 1700000000000LL

struct rec {
    int64_t offset;
    char key[32], value[64];
    bool tombstone;
};

struct recs {
    struct rec r[4096];
    int n;
};

/* Appends one batch of keyed records: keys[i] = values[i] (NULL value:
 * tombstone); codec; pid >= 0 makes it transactional. */
static int append_kv(struct partition *p, const char *const *keys,
                     const char *const *values, int n, int64_t ts, int codec,
                     int64_t pid)
{
    struct record_batch_builder b;
    record_batch_builder_init(&b, codec);
    if (pid >= 0) {
        record_batch_builder_set_producer(&b, pid, 0, 0);
        b.extra_attributes = RECORD_BATCH_ATTR_TRANSACTIONAL;
    }
    for (int i = 0; i < n; i++) {
        struct slice k = slice_make(keys[i], strlen(keys[i]));
        struct slice v = values[i] ? slice_make(values[i], strlen(values[i]))
                                   : slice_make(NULL, 0);
        record_batch_builder_add(&b, &k, values[i] ? &v : NULL, ts, NULL, 0);
    }
    struct buf out;
    buf_init(&out);
    record_batch_builder_finish(&b, &out);
    int rc = partition_append(p, out.data, out.len, NULL);
    buf_fini(&out);
    record_batch_builder_fini(&b);
    return rc;
}

static int append1(struct partition *p, const char *key, const char *value,
                   int64_t ts)
{
    return append_kv(p, &key, &value, 1, ts, 0, -1);
}

/* A COMMIT (1) or ABORT (0) marker of pid. */
static int append_marker(struct partition *p, int64_t pid, int type, int64_t ts)
{
    struct record_batch_builder b;
    record_batch_builder_init(&b, 0);
    record_batch_builder_set_producer(&b, pid, 0, -1);
    b.extra_attributes =
        RECORD_BATCH_ATTR_TRANSACTIONAL | RECORD_BATCH_ATTR_CONTROL;
    uint8_t kb[4] = {0, 0, 0, (uint8_t)type}, vb[6] = {0};
    struct slice k = slice_make(kb, 4), v = slice_make(vb, 6);
    record_batch_builder_add(&b, &k, &v, ts, NULL, 0);
    struct buf out;
    buf_init(&out);
    record_batch_builder_finish(&b, &out);
    int rc = partition_append(p, out.data, out.len, NULL);
    buf_fini(&out);
    record_batch_builder_fini(&b);
    return rc;
}

/* Every data record from the log start, CRCs checked; markers skipped.
 * Returns the count, or -1 on a bad batch. */
static int read_all(struct partition *p, struct recs *out, int *batches)
{
    struct buf data, scratch;
    buf_init(&data);
    buf_init(&scratch);
    out->n = 0;
    int nb = 0, rc = 0;
    int64_t off = partition_log_start_offset(p), last = -1;
    while (off < partition_high_watermark(p)) {
        buf_reset(&data);
        int64_t next;
        if (partition_read_copy(p, off, 1 << 20, &data, &next) < 0 ||
            data.len == 0 || next <= off) {
            rc = -1;
            break;
        }
        struct record_batch_walk w;
        struct record_batch_header h;
        const uint8_t *bp;
        size_t bl;
        record_batch_walk_init(&w, data.data, data.len);
        while (record_batch_walk_next(&w, &h, &bp, &bl) == 1) {
            nb++;
            if (record_batch_verify(bp, bl) != 0 || h.base_offset <= last)
                rc = -1;
            last = record_batch_last_offset(&h);
            if (record_batch_attr_control(h.attributes))
                continue;
            struct record_iter it;
            struct record r;
            if (record_iter_init(&it, bp, bl, &scratch) != 0) {
                rc = -1;
                continue;
            }
            while (record_iter_next(&it, &r) == 1 && out->n < 4096) {
                struct rec *x = &out->r[out->n++];
                x->offset = r.offset;
                snprintf(x->key, sizeof x->key, "%.*s", (int)r.key.len,
                         (const char *)r.key.ptr);
                x->tombstone = r.value_null;
                snprintf(x->value, sizeof x->value, "%.*s",
                         r.value_null ? 0 : (int)r.value.len,
                         r.value_null ? "" : (const char *)r.value.ptr);
            }
        }
        off = next;
    }
    buf_fini(&data);
    buf_fini(&scratch);
    if (batches)
        *batches = nb;
    return rc < 0 ? -1 : out->n;
}

static const struct rec *find_key(const struct recs *g, const char *key)
{
    const struct rec *found = NULL;
    for (int i = 0; i < g->n; i++)
        if (!strcmp(g->r[i].key, key))
            found = &g->r[i];
    return found;
}

/* The latest value / offset of key ("" / -1 when absent). */
static const char *val(const struct recs *g, const char *key)
{
    const struct rec *r = find_key(g, key);
    return r ? r->value : "";
}

static int64_t off_of(const struct recs *g, const char *key)
{
    const struct rec *r = find_key(g, key);
    return r ? r->offset : -1;
}

static int count_key(const struct recs *g, const char *key)
{
    int n = 0;
    for (int i = 0; i < g->n; i++)
        n += !strcmp(g->r[i].key, key);
    return n;
}

static struct logdir *open_ld(const char *dir)
{
    struct logdir_options o;
    logdir_options_init(&o);
    o.no_flusher = true;
    o.cleaner_backoff_ms = 0;
    o.cleaner_io_bytes_per_sec = 0;
    struct logdir *ld = NULL;
    if (logdir_open(dir, &o, &ld) != 0)
        return NULL;
    return ld;
}

/* The cleaner reads only what is durable: flush first (no flusher). */
static int clean(struct logdir *ld, int64_t now, bool force,
                 struct logdir_clean_stats *st)
{
    logdir_flush(ld);
    return logdir_clean_run(ld, now, force, st);
}

static struct partition *make_topic(struct logdir *ld, const char *name,
                                    int policy)
{
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.cleanup_policy = policy;
    c.delete_retention_ms = 60000;
    c.retention_ms = -1;
    if (logdir_topic_create(ld, name, &c) != 0)
        return NULL;
    return logdir_partition(ld, name, 0);
}

/* 10 keys written 20 times each over 5 segments, one tombstone. */
static void fill(struct partition *p, int64_t ts)
{
    char k[16], v[32];
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 10; i++) {
            snprintf(k, sizeof k, "k%d", i);
            snprintf(v, sizeof v, "r%d-k%d", round, i);
            append1(p, k, v, ts);
        }
        if (round % 4 == 3)
            partition_roll(p);
    }
    append1(p, "k3", NULL, ts); /* tombstone */
    partition_roll(p);          /* everything closed */
}

TEST(test_latest_value_per_key_offsets_kept)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir);
    struct partition *p = make_topic(ld, "t", LOGDIR_CLEANUP_COMPACT);
    CHECK(p != NULL);
    fill(p, NOW);
    static struct recs before, after;
    CHECK_EQ_INT(read_all(p, &before, NULL), 201);
    int64_t hwm = partition_high_watermark(p);
    int64_t size0 = partition_size_bytes(p);
    int segs = partition_segment_count(p);
    struct logdir_clean_stats st;
    CHECK_EQ_INT(clean(ld, NOW + 1000, true, &st), 1);
    CHECK(st.segments >= 4);
    CHECK_EQ_INT(st.records_removed, 201 - 10);
    int batches = 0;
    CHECK_EQ_INT(read_all(p, &after, &batches), 10);
    CHECK_EQ_INT(partition_high_watermark(p), hwm);
    CHECK_EQ_INT(partition_segment_count(p), segs);
    CHECK(partition_size_bytes(p) < size0 / 4);
    for (int i = 0; i < 10; i++) {
        char k[16], v[32];
        snprintf(k, sizeof k, "k%d", i);
        snprintf(v, sizeof v, "r19-k%d", i);
        const struct rec *a = find_key(&after, k);
        const struct rec *b = find_key(&before, k);
        CHECK(a != NULL && b != NULL);
        if (!a || !b)
            continue;
        CHECK_EQ_INT(count_key(&after, k), 1);
        CHECK_EQ_INT(a->offset, b->offset); /* offsets preserved */
        if (i == 3)
            CHECK(a->tombstone); /* younger than delete.retention.ms */
        else
            CHECK_EQ_STR(a->value, v);
    }
    /* Reading from an offset inside a gap gives the next record. */
    struct buf data;
    buf_init(&data);
    int64_t next;
    CHECK_EQ_INT(partition_read_copy(p, 5, 1 << 16, &data, &next), 0);
    CHECK(data.len > 0);
    buf_fini(&data);

    /* A second pass has nothing to do (clean below the cleaner offset). */
    CHECK_EQ_INT(clean(ld, NOW + 1000, true, &st), 0);
    /* After delete.retention.ms the tombstone goes too. */
    CHECK_EQ_INT(clean(ld, NOW + 120000, true, &st), 0);
    /* (nothing dirty: tombstones go when their segment is cleaned again)
     * new writes make it dirty again: */
    append1(p, "k0", "new", NOW + 120000);
    partition_roll(p);
    CHECK_EQ_INT(clean(ld, NOW + 120000, true, &st), 1);
    CHECK_EQ_INT(read_all(p, &after, NULL), 9);
    CHECK(find_key(&after, "k3") == NULL);
    CHECK_EQ_STR(val(&after, "k0"), "new");

    /* Reopen: the gaps are accepted, everything is still there. */
    logdir_close(ld);
    ld = open_ld(dir);
    CHECK(ld != NULL);
    p = logdir_partition(ld, "t", 0);
    CHECK(p != NULL);
    if (p) {
        CHECK_EQ_INT(read_all(p, &after, NULL), 9);
        CHECK_EQ_INT(partition_high_watermark(p), hwm + 1);
        CHECK_EQ_INT(append1(p, "k1", "after-reopen", NOW), 0);
    }
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

TEST(test_delete_policy_untouched_and_ratio)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir);
    struct partition *p = make_topic(ld, "plain", LOGDIR_CLEANUP_DELETE);
    fill(p, NOW);
    int64_t size0 = partition_size_bytes(p);
    CHECK_EQ_INT(clean(ld, NOW, true, NULL), 0);
    CHECK_EQ_INT(partition_size_bytes(p), size0);

    /* A compacted topic below its dirty ratio waits unless forced. */
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.cleanup_policy = LOGDIR_CLEANUP_COMPACT;
    c.min_cleanable_dirty_ratio = 0.9;
    c.retention_ms = -1;
    CHECK_EQ_INT(logdir_topic_create(ld, "c", &c), 0);
    struct partition *q = logdir_partition(ld, "c", 0);
    fill(q, NOW);
    CHECK_EQ_INT(clean(ld, NOW, false, NULL), 1); /* all dirty */
    append1(q, "k1", "x", NOW);
    partition_roll(q);
    size0 = partition_size_bytes(q);
    CHECK_EQ_INT(clean(ld, NOW, false, NULL), 0); /* ratio */
    CHECK_EQ_INT(partition_size_bytes(q), size0);
    CHECK_EQ_INT(clean(ld, NOW, true, NULL), 1);
    CHECK(partition_size_bytes(q) < size0);

    /* min.compaction.lag.ms: records younger than it are not cleaned. */
    c.min_compaction_lag_ms = 3600 * 1000;
    CHECK_EQ_INT(logdir_topic_create(ld, "lag", &c), 0);
    struct partition *r = logdir_partition(ld, "lag", 0);
    fill(r, NOW);
    size0 = partition_size_bytes(r);
    CHECK_EQ_INT(clean(ld, NOW + 1000, true, NULL), 0);
    CHECK_EQ_INT(partition_size_bytes(r), size0);
    CHECK(clean(ld, NOW + 7200 * 1000, true, NULL) >= 1);
    CHECK(partition_size_bytes(r) < size0);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

TEST(test_compressed_batches_rebuilt)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir);
    struct partition *p = make_topic(ld, "z", LOGDIR_CLEANUP_COMPACT);
    const char *keys[4] = {"a", "b", "c", "d"};
    const char *v1[4] = {"a1", "b1", "c1", "d1"};
    const char *v2[2] = {"b2", "d2"};
    const char *k2[2] = {"b", "d"};
    CHECK_EQ_INT(append_kv(p, keys, v1, 4, NOW, COMPRESS_GZIP, -1), 0);
    CHECK_EQ_INT(append_kv(p, k2, v2, 2, NOW, COMPRESS_ZSTD, -1), 0);
    partition_roll(p);
    CHECK_EQ_INT(clean(ld, NOW, true, NULL), 1);
    static struct recs g;
    CHECK_EQ_INT(read_all(p, &g, NULL), 4);
    CHECK_EQ_STR(val(&g, "a"), "a1");
    CHECK_EQ_STR(val(&g, "b"), "b2");
    CHECK_EQ_INT(off_of(&g, "c"), 2);
    CHECK_EQ_INT(off_of(&g, "d"), 5);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

TEST(test_transactions)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir);
    struct partition *p = make_topic(ld, "tx", LOGDIR_CLEANUP_COMPACT);
    /* Committed value, then an aborted overwrite, then a committed
     * transactional overwrite of another key. */
    append1(p, "a", "a-committed", NOW);
    append1(p, "b", "b-old", NOW);
    const char *ka = "a", *va = "a-aborted", *kb = "b", *vb = "b-txn";
    append_kv(p, &ka, &va, 1, NOW, 0, 7);
    append_marker(p, 7, 0, NOW); /* ABORT */
    append_kv(p, &kb, &vb, 1, NOW, 0, 8);
    append_marker(p, 8, 1, NOW); /* COMMIT */
    append1(p, "c", "c1", NOW);
    partition_roll(p);
    CHECK_EQ_INT(clean(ld, NOW + 1000, true, NULL), 1);
    static struct recs g;
    CHECK_EQ_INT(read_all(p, &g, NULL), 3);
    CHECK_EQ_STR(val(&g, "a"), "a-committed");
    CHECK_EQ_INT(count_key(&g, "a"), 1);
    CHECK_EQ_STR(val(&g, "b"), "b-txn");
    /* Markers older than delete.retention.ms whose transaction has no
     * data left go (the ABORT); the COMMIT keeps its data. */
    CHECK_EQ_INT(clean(ld, NOW + 1000, true, NULL), 0);

    /* An open transaction (no marker yet) stops the pass before it. */
    append1(p, "c", "c2", NOW);
    const char *kc = "c", *vc = "c-open";
    append_kv(p, &kc, &vc, 1, NOW, 0, 9);
    partition_roll(p);
    append1(p, "c", "c3", NOW);
    partition_roll(p);
    CHECK_EQ_INT(clean(ld, NOW + 1000, true, NULL), 1);
    CHECK_EQ_INT(read_all(p, &g, NULL), 5); /* a, b, c2, c-open, c3 */
    CHECK_EQ_INT(count_key(&g, "c"), 3);
    append_marker(p, 9, 0, NOW); /* ABORT: now all of it can go */
    partition_roll(p);
    CHECK_EQ_INT(clean(ld, NOW + 1000, true, NULL), 1);
    CHECK_EQ_INT(read_all(p, &g, NULL), 3);
    CHECK_EQ_STR(val(&g, "c"), "c3");
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

static int copy_file(const char *from, const char *to)
{
    char *text = NULL;
    size_t len = 0;
    int rc = os_read_file(from, 1 << 26, &text, &len);
    if (rc < 0)
        return rc;
    int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ssize_t w = fd >= 0 ? write(fd, text, len) : -1;
    if (fd >= 0)
        close(fd);
    free(text);
    return w == (ssize_t)len ? 0 : -1;
}

TEST(test_crash_files_recovered)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir);
    struct partition *p = make_topic(ld, "cr", LOGDIR_CLEANUP_COMPACT);
    fill(p, NOW);
    char seg[4300], old[4300], swap[4400], cleaned[4400];
    snprintf(seg, sizeof seg, "%s/cr-0/00000000000000000000.log", dir);
    snprintf(old, sizeof old, "%s/old.bak", dir);
    snprintf(swap, sizeof swap, "%s.swap", seg);
    snprintf(cleaned, sizeof cleaned, "%s.cleaned", seg);
    CHECK_EQ_INT(copy_file(seg, old), 0);
    CHECK_EQ_INT(clean(ld, NOW, true, NULL), 1);
    logdir_close(ld);
    /* A crash after the .swap rename, before the swap over .log: the
     * old .log is back with the cleaned copy beside it as .swap. */
    CHECK_EQ_INT(rename(seg, swap), 0);
    CHECK_EQ_INT(copy_file(old, seg), 0);
    /* And an unfinished .cleaned of another segment. */
    char other[4300];
    snprintf(other, sizeof other, "%s/cr-0/00000000000000000040.log.cleaned",
             dir);
    CHECK_EQ_INT(copy_file(old, other), 0);
    ld = open_ld(dir);
    CHECK(ld != NULL);
    p = ld ? logdir_partition(ld, "cr", 0) : NULL;
    CHECK(p != NULL);
    static struct recs g;
    if (p) {
        CHECK_EQ_INT(read_all(p, &g, NULL), 10);
        CHECK_EQ_STR(val(&g, "k5"), "r19-k5");
    }
    CHECK(access(swap, F_OK) != 0);
    CHECK(access(other, F_OK) != 0);
    CHECK(access(cleaned, F_OK) != 0);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

TEST(test_files_were_closed)
{
    CHECK(fd_cache_evictions() > 0);
}

int main(void)
{
    RUN(test_latest_value_per_key_offsets_kept);
    RUN(test_delete_policy_untouched_and_ratio);
    RUN(test_compressed_batches_rebuilt);
    RUN(test_transactions);
    RUN(test_crash_files_recovered);
    /* Again with the segment fd cache closing every file it can (a bound
     * of 1): the cleaner's reads, swaps and reopens must not depend on a
     * segment's file staying open (log/fd_cache.h). */
    fd_cache_set_max(1);
    RUN(test_latest_value_per_key_offsets_kept);
    RUN(test_compressed_batches_rebuilt);
    RUN(test_transactions);
    RUN(test_files_were_closed);
    fd_cache_set_max(0);
    return harness_summary("test_cleaner");
}
