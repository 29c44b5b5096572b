/* logdir.c - a data directory of topics (layer: log).
 *
 * Files it owns (partition data is partition.c's):
 *   <data>/.lock                             flock'ed while open for writing
 *   <data>/topics/<name>.properties          topic metadata (atomic write)
 *   <data>/recovery-point-offset-checkpoint  "0\n<n>\n<topic> <p> <offset>\n"
 *   <data>/<topic>-<p>/                      partition directories
 * A topic exists iff its properties file does: create writes it last,
 * delete removes it first, so a crash in between leaves at most orphan
 * partition directories, which a later create of the same name empties.
 * The recovery point of a partition is an offset below which everything
 * was fsynced when the file was written; an old one is always safe (it
 * only makes recovery walk more), so writing it may lag or fail.
 */
#include "log/logdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/config.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/hashmap.h"
#include "base/mem.h"
#include "base/os.h"
#include "log/log_int.h"
#include "log/segment.h"

#define CHECKPOINT_FILE "recovery-point-offset-checkpoint"
#define META_MAX_BYTES (64 << 10)

struct topic {
    char *name;
    struct logdir_topic_config cfg;
    struct partition **parts;
};

struct logdir {
    char *path;
    struct logdir_options opts;
    int lock_fd;
    pthread_mutex_t mu;            /* topics, listener */
    pthread_mutex_t checkpoint_mu; /* one checkpoint writer at a time */
    struct hashmap topics;         /* name -> struct topic * */
    struct hashmap ids;            /* cfg.id (16 bytes) -> struct topic * */
    struct hashmap recovery;       /* "topic p" -> offset + 1 (at open only) */
    struct flusher *flusher;
    void (*listener)(void *arg);
    void *listener_arg;
    int64_t last_checkpoint_ms, last_retention_ms; /* flusher thread only */
    /* The checkpoint on disk may name topics that no longer exist (loaded
     * at open, or deleted since): a topic created with such a name would
     * inherit their recovery point, so create rewrites it first. Snapshots
     * are numbered (ckpt_seq, under mu) and an older one never replaces a
     * newer one on disk (ckpt_stored, under checkpoint_mu). */
    bool ckpt_stale;
    uint64_t ckpt_seq, ckpt_stored;
    struct log_notify notify; /* appends to any partition */
    /* Compaction (cleaner.c): its thread (the flusher's loop, another
     * instance), one pass at a time under clean_mu, which also guards the
     * map and the totals. */
    struct flusher *cleaner;
    pthread_mutex_t clean_mu;
    struct cleaner_map *clean_map;
    struct logdir_clean_stats clean_totals;
    atomic_int clean_stop; /* logdir_close: abandon the pass */
};

void logdir_topic_config_init(struct logdir_topic_config *c)
{
    memset(c, 0, sizeof(*c));
    c->partitions = 1;
    c->retention_ms = 7 * 24 * 3600 * 1000LL;
    c->retention_bytes = -1;
    c->segment_bytes = 1LL << 30;
    c->segment_ms = 7 * 24 * 3600 * 1000LL;
    c->max_message_bytes = 1048588;
    c->index_interval_bytes = 4096;
    c->cleanup_policy = LOGDIR_CLEANUP_DELETE;
    c->delete_retention_ms = 24 * 3600 * 1000LL;
    c->min_compaction_lag_ms = 0;
    c->min_cleanable_dirty_ratio = 0.5;
}

int logdir_cleanup_policy_parse(const char *s, size_t n)
{
    int bits = 0;
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && s[j] != ',')
            j++;
        size_t a = i, b = j;
        while (a < b && s[a] == ' ')
            a++;
        while (b > a && s[b - 1] == ' ')
            b--;
        if (b - a == 6 && !memcmp(s + a, "delete", 6))
            bits |= LOGDIR_CLEANUP_DELETE;
        else if (b - a == 7 && !memcmp(s + a, "compact", 7))
            bits |= LOGDIR_CLEANUP_COMPACT;
        else
            return ERR_INVALID;
        i = j + 1;
    }
    return bits ? bits : ERR_INVALID;
}

const char *logdir_cleanup_policy_name(int32_t policy)
{
    if (policy == (LOGDIR_CLEANUP_COMPACT | LOGDIR_CLEANUP_DELETE))
        return "compact,delete";
    return policy == LOGDIR_CLEANUP_COMPACT ? "compact" : "delete";
}

void logdir_options_init(struct logdir_options *o)
{
    memset(o, 0, sizeof(*o));
    o->flush_interval_ms = 1000;
    o->flush_bytes = 0;
    o->retention_check_ms = 300000;
    o->recovery_point_ms = 1000;
    o->cleaner_backoff_ms = 15000;
    o->cleaner_dedupe_bytes = 16 << 20;
    o->cleaner_io_bytes_per_sec = 64 << 20;
}

bool logdir_topic_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > LOGDIR_TOPIC_NAME_MAX || !strcmp(name, ".") ||
        !strcmp(name, ".."))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static bool config_valid(const struct logdir_topic_config *c)
{
    return c->partitions > 0 && c->partitions <= 100000 &&
           c->retention_ms >= -1 && c->retention_bytes >= -1 &&
           c->segment_bytes >= 1024 && c->segment_bytes <= INT32_MAX &&
           c->segment_ms >= 1 && c->max_message_bytes >= 64 &&
           c->max_message_bytes <= SEGMENT_MAX_BATCH_BYTES &&
           c->index_interval_bytes >= 0 && c->cleanup_policy >= 1 &&
           c->cleanup_policy <= 3 && c->delete_retention_ms >= 0 &&
           c->min_compaction_lag_ms >= 0 && c->min_cleanable_dirty_ratio >= 0 &&
           c->min_cleanable_dirty_ratio <= 1;
}

const char *logdir_path(const struct logdir *ld)
{
    return ld->path;
}

static char *part_dir(const struct logdir *ld, const char *name, int32_t p)
{
    size_t n = strlen(ld->path) + strlen(name) + 16;
    char *d = mem_alloc(n);
    snprintf(d, n, "%s/%s-%d", ld->path, name, p);
    return d;
}

/* Longest name whose "<name>.properties.tmp" fits in NAME_MAX (255). */
#define META_NAME_DIRECT 240

/* FNV-1a, 64 bits: stable across versions (it names files). */
static uint64_t name_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
    return h;
}

/* topics/<name>.properties; a legal name longer than 240 characters (Kafka
 * allows 249) is cut to 200 and given "~" and a hash, so the file and its
 * temporary copy fit in a directory entry. The file holds the full name,
 * which is what loading reads. */
static char *meta_path(const struct logdir *ld, const char *name)
{
    size_t n = strlen(ld->path) + strlen(name) + 48;
    char *d = mem_alloc(n);
    if (strlen(name) <= META_NAME_DIRECT)
        snprintf(d, n, "%s/topics/%s.properties", ld->path, name);
    else
        snprintf(d, n, "%s/topics/%.200s~%016llx.properties", ld->path, name,
                 (unsigned long long)name_hash(name));
    return d;
}

/* Best effort: a partition directory and the files in it. */
static void dir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        os_unlink(path);
    }
    if (d)
        closedir(d);
    (void)rmdir(dir);
}

static void topic_free(struct topic *t, bool remove)
{
    if (!t)
        return;
    for (int32_t i = 0; t->parts && i < t->cfg.partitions; i++) {
        if (!t->parts[i])
            continue;
        if (remove)
            partition_remove(t->parts[i]);
        partition_unref(t->parts[i]);
    }
    mem_free(t->parts);
    mem_free(t->name);
    mem_free(t);
}

/* --- recovery points --------------------------------------------------------
 */

static void checkpoint_load(struct logdir *ld)
{
    size_t n = strlen(ld->path) + sizeof(CHECKPOINT_FILE) + 2;
    char *path = mem_alloc(n), *text = NULL;
    snprintf(path, n, "%s/%s", ld->path, CHECKPOINT_FILE);
    size_t len;
    if (os_read_file(path, 64 << 20, &text, &len) < 0)
        goto out;
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    if (!line || strcmp(line, "0") != 0)
        goto out_bad;
    line = strtok_r(NULL, "\n", &save); /* count: informative */
    while ((line = strtok_r(NULL, "\n", &save))) {
        char name[LOGDIR_TOPIC_NAME_MAX + 1];
        int32_t p;
        long long off;
        if (sscanf(line, "%249s %" SCNd32 " %lld", name, &p, &off) != 3 ||
            off < 0)
            goto out_bad;
        char key[LOGDIR_TOPIC_NAME_MAX + 16];
        int kn = snprintf(key, sizeof key, "%s %d", name, p);
        hashmap_put(&ld->recovery, key, (size_t)kn,
                    (void *)(intptr_t)(off + 1));
    }
    goto out;
out_bad:
    diag_warn("log: %s: unreadable, recovering every segment", path);
out:
    mem_free(text);
    mem_free(path);
}

static int64_t recovery_point(struct logdir *ld, const char *name, int32_t p)
{
    char key[LOGDIR_TOPIC_NAME_MAX + 16];
    int kn = snprintf(key, sizeof key, "%s %d", name, p);
    intptr_t v = (intptr_t)hashmap_get(&ld->recovery, key, (size_t)kn);
    return v ? (int64_t)v - 1 : 0;
}

/* The checkpoint text of every open topic into b; ld->mu held. Returns the
 * snapshot's sequence number. */
static uint64_t checkpoint_snapshot_locked(struct logdir *ld, struct buf *b)
{
    size_t count = 0;
    struct buf lines;
    buf_init(&lines);
    struct hashmap_entry *e;
    for (size_t it = 0; hashmap_next(&ld->topics, &it, &e);) {
        struct topic *t = e->value;
        for (int32_t i = 0; i < t->cfg.partitions; i++) {
            buf_printf(&lines, "%s %d %lld\n", t->name, i,
                       (long long)partition_durable_offset(t->parts[i]));
            count++;
        }
    }
    buf_printf(b, "0\n%zu\n", count);
    buf_put(b, lines.data, lines.len);
    buf_fini(&lines);
    return ++ld->ckpt_seq;
}

static int checkpoint_store(struct logdir *ld, const struct buf *b,
                            uint64_t seq)
{
    size_t n = strlen(ld->path) + sizeof(CHECKPOINT_FILE) + 2;
    char *path = mem_alloc(n);
    snprintf(path, n, "%s/%s", ld->path, CHECKPOINT_FILE);
    int rc = 0;
    pthread_mutex_lock(&ld->checkpoint_mu);
    if (seq > ld->ckpt_stored) {
        rc = os_write_file_atomic(path, b->data, b->len);
        if (rc == 0)
            ld->ckpt_stored = seq;
    }
    pthread_mutex_unlock(&ld->checkpoint_mu);
    if (rc < 0)
        diag_warn("log: cannot write %s: %s (recovery will walk more)", path,
                  err_str(rc));
    mem_free(path);
    return rc;
}

static int checkpoint_write(struct logdir *ld)
{
    if (ld->opts.read_only)
        return 0;
    struct buf b;
    buf_init(&b);
    pthread_mutex_lock(&ld->mu);
    uint64_t seq = checkpoint_snapshot_locked(ld, &b);
    pthread_mutex_unlock(&ld->mu);
    int rc = checkpoint_store(ld, &b, seq);
    buf_fini(&b);
    return rc;
}

/* --- topic metadata
 * ----------------------------------------------------------- */

static bool id_zero(const uint8_t id[16])
{
    for (int i = 0; i < 16; i++)
        if (id[i])
            return false;
    return true;
}

/* A fresh random topic id, as Kafka's Uuid.randomUuid: never zero, never
 * the metadata topic's id (0...01), never one whose base64 starts with
 * '-' (Kafka avoids ids that read like a command-line flag). */
static void id_new(uint8_t id[16])
{
    for (;;) {
        ssize_t n = getrandom(id, 16, 0);
        if (n != 16) {
            uint64_t a = (uint64_t)clock_now_ms() ^ ((uint64_t)getpid() << 32);
            uint64_t m = clock_mono_ns();
            for (int i = 0; i < 8; i++) {
                id[i] = (uint8_t)(a >> (8 * i));
                id[8 + i] = (uint8_t)(m >> (8 * i));
            }
        }
        bool meta = id[15] == 1;
        for (int i = 0; i < 15 && meta; i++)
            meta = id[i] == 0;
        if (!id_zero(id) && !meta && (id[0] >> 2) != 62)
            return;
    }
}

static int meta_write(struct logdir *ld, const char *name,
                      const struct logdir_topic_config *c)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b,
               "# rill topic metadata\nname=%s\npartitions=%d\n"
               "retention.ms=%lld\nretention.bytes=%lld\nsegment.bytes=%lld\n"
               "segment.ms=%lld\nmax.message.bytes=%d\n"
               "index.interval.bytes=%d\n",
               name, c->partitions, (long long)c->retention_ms,
               (long long)c->retention_bytes, (long long)c->segment_bytes,
               (long long)c->segment_ms, c->max_message_bytes,
               c->index_interval_bytes);
    buf_printf(&b,
               "cleanup.policy=%s\ndelete.retention.ms=%lld\n"
               "min.compaction.lag.ms=%lld\nmin.cleanable.dirty.ratio=%.6g\n",
               logdir_cleanup_policy_name(c->cleanup_policy),
               (long long)c->delete_retention_ms,
               (long long)c->min_compaction_lag_ms,
               c->min_cleanable_dirty_ratio);
    if (!id_zero(c->id)) {
        buf_printf(&b, "topic.id=");
        for (int i = 0; i < 16; i++)
            buf_printf(&b, "%02x", c->id[i]);
        buf_printf(&b, "\n");
    }
    char *path = meta_path(ld, name);
    int rc = os_write_file_atomic(path, b.data, b.len);
    mem_free(path);
    buf_fini(&b);
    return rc;
}

static int meta_read(const char *path, char **name_out,
                     struct logdir_topic_config *c)
{
    struct config cf;
    config_init(&cf);
    char err[128];
    int rc = config_load(&cf, path, err, sizeof err);
    if (rc < 0)
        goto out;
    logdir_topic_config_init(c);
    int64_t v[7] = {c->partitions,          c->retention_ms,
                    c->retention_bytes,     c->segment_bytes,
                    c->segment_ms,          c->max_message_bytes,
                    c->index_interval_bytes};
    static const char *const keys[7] = {
        "partitions",          "retention.ms", "retention.bytes",
        "segment.bytes",       "segment.ms",   "max.message.bytes",
        "index.interval.bytes"};
    for (int i = 0; i < 7 && rc == 0; i++)
        rc = config_get_i64(&cf, keys[i], &v[i]);
    if (rc < 0)
        goto out;
    for (int i = 0; i < 7; i++)
        if (v[i] > INT64_MAX / 2 || ((i == 0 || i >= 5) && v[i] > INT32_MAX)) {
            rc = ERR_CORRUPT;
            goto out;
        }
    c->partitions = (int32_t)v[0];
    c->retention_ms = v[1];
    c->retention_bytes = v[2];
    c->segment_bytes = v[3];
    c->segment_ms = v[4];
    c->max_message_bytes = (int32_t)v[5];
    c->index_interval_bytes = (int32_t)v[6];
    /* Compaction keys (absent in files written before compaction). */
    const char *pol = config_get(&cf, "cleanup.policy", NULL);
    if (pol) {
        int bits = logdir_cleanup_policy_parse(pol, strlen(pol));
        if (bits < 0) {
            rc = ERR_CORRUPT;
            goto out;
        }
        c->cleanup_policy = bits;
    }
    if (config_get(&cf, "delete.retention.ms", NULL))
        rc =
            config_get_i64(&cf, "delete.retention.ms", &c->delete_retention_ms);
    if (rc == 0 && config_get(&cf, "min.compaction.lag.ms", NULL))
        rc = config_get_i64(&cf, "min.compaction.lag.ms",
                            &c->min_compaction_lag_ms);
    const char *ratio = config_get(&cf, "min.cleanable.dirty.ratio", NULL);
    if (rc == 0 && ratio) {
        char *end = NULL;
        c->min_cleanable_dirty_ratio = strtod(ratio, &end);
        if (end == ratio)
            rc = ERR_CORRUPT;
    }
    if (rc < 0)
        goto out;
    const char *hex = config_get(&cf, "topic.id", NULL);
    if (hex) {
        for (int i = 0; i < 16 && rc == 0; i++) {
            unsigned byte;
            if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
                rc = ERR_CORRUPT;
            else
                c->id[i] = (uint8_t)byte;
        }
        if (rc == 0 && strlen(hex) != 32)
            rc = ERR_CORRUPT;
        if (rc < 0)
            goto out;
    }
    const char *name = config_get(&cf, "name", NULL);
    if (!name || !logdir_topic_name_valid(name) || !config_valid(c)) {
        rc = ERR_CORRUPT;
        goto out;
    }
    *name_out = mem_strdup(name);
out:
    config_fini(&cf);
    return rc;
}

/* Opens partition i of a topic; fresh: a new partition (orphan files of an
 * earlier incarnation of the name are removed, recovery from offset 0). */
static int part_open(struct logdir *ld, const char *name, int32_t i,
                     const struct logdir_topic_config *cfg, bool fresh,
                     struct partition **out)
{
    char *dir = part_dir(ld, name, i);
    if (fresh) {
        DIR *d = opendir(dir);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            os_unlink(path);
        }
        if (d)
            closedir(d);
    }
    int rc = partition_open(dir, name, i, cfg, ld->opts.read_only,
                            fresh ? 0 : recovery_point(ld, name, i),
                            ld->flusher, out);
    if (rc == 0) {
        partition_set_notify(*out, &ld->notify);
    } else {
        diag_error("log: cannot open %s: %s", dir, err_str(rc));
        /* A partition being created leaves nothing behind (the ones opened
         * before it are removed by topic_free(t, fresh)). */
        if (fresh)
            dir_remove(dir);
    }
    mem_free(dir);
    return rc;
}

static int topic_open(struct logdir *ld, const char *name,
                      const struct logdir_topic_config *cfg, bool fresh,
                      struct topic **out)
{
    struct topic *t = mem_calloc(1, sizeof(*t));
    t->name = mem_strdup(name);
    t->cfg = *cfg;
    t->parts = mem_calloc((size_t)cfg->partitions, sizeof(*t->parts));
    int rc = 0;
    for (int32_t i = 0; i < cfg->partitions && rc == 0; i++)
        rc = part_open(ld, name, i, cfg, fresh, &t->parts[i]);
    if (rc < 0) {
        topic_free(t, fresh);
        return rc;
    }
    *out = t;
    return 0;
}

static int load_topics(struct logdir *ld)
{
    size_t n = strlen(ld->path) + 16;
    char *dir = mem_alloc(n);
    snprintf(dir, n, "%s/topics", ld->path);
    DIR *d = opendir(dir);
    int rc = 0;
    if (!d) {
        rc = errno == ENOENT ? 0 : -errno;
        goto out;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 12 || strcmp(e->d_name + len - 11, ".properties") != 0)
            continue;
        char path[4096], *name = NULL;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct logdir_topic_config cfg;
        rc = meta_read(path, &name, &cfg);
        if (rc < 0) {
            diag_error("log: %s: unreadable topic metadata: %s", path,
                       err_str(rc));
            rc = ERR_CORRUPT;
            break;
        }
        if (id_zero(cfg.id) && !ld->opts.read_only) {
            /* Written before topic ids: give it one now, for good. */
            id_new(cfg.id);
            rc = meta_write(ld, name, &cfg);
            if (rc < 0) {
                diag_error("log: %s: cannot record a topic id: %s", path,
                           err_str(rc));
                mem_free(name);
                break;
            }
        }
        struct topic *t;
        rc = topic_open(ld, name, &cfg, false, &t);
        mem_free(name);
        if (rc < 0)
            break;
        pthread_mutex_lock(&ld->mu); /* the flusher may be iterating */
        hashmap_put(&ld->topics, t->name, strlen(t->name), t);
        if (!id_zero(t->cfg.id))
            hashmap_put(&ld->ids, t->cfg.id, 16, t);
        pthread_mutex_unlock(&ld->mu);
    }
    closedir(d);
out:
    mem_free(dir);
    return rc;
}

/* --- the flusher's round
 * -------------------------------------------------------- */

static struct partition **collect(struct logdir *ld, size_t *n)
{
    pthread_mutex_lock(&ld->mu);
    size_t cap = 0;
    struct hashmap_entry *e;
    for (size_t it = 0; hashmap_next(&ld->topics, &it, &e);)
        cap += (size_t)((struct topic *)e->value)->cfg.partitions;
    struct partition **v = mem_alloc((cap ? cap : 1) * sizeof(*v));
    *n = 0;
    for (size_t it = 0; hashmap_next(&ld->topics, &it, &e);) {
        struct topic *t = e->value;
        for (int32_t i = 0; i < t->cfg.partitions; i++) {
            partition_ref(t->parts[i]);
            v[(*n)++] = t->parts[i];
        }
    }
    pthread_mutex_unlock(&ld->mu);
    return v;
}

static void flush_round(void *arg)
{
    struct logdir *ld = arg;
    int64_t mono = clock_mono_ms();
    size_t n;
    struct partition **v = collect(ld, &n);
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (partition_flush_due(v[i], mono, ld->opts.flush_interval_ms,
                                ld->opts.flush_bytes) &&
            partition_flush(v[i]) != 0)
            any = true;
        partition_unref(v[i]);
    }
    mem_free(v);
    if (any) {
        pthread_mutex_lock(&ld->mu);
        void (*cb)(void *) = ld->listener;
        void *cb_arg = ld->listener_arg;
        pthread_mutex_unlock(&ld->mu);
        if (cb)
            cb(cb_arg);
    }
    if (ld->opts.recovery_point_ms > 0 &&
        mono - ld->last_checkpoint_ms >= ld->opts.recovery_point_ms) {
        ld->last_checkpoint_ms = mono;
        checkpoint_write(ld);
    }
    if (ld->opts.retention_check_ms > 0 &&
        mono - ld->last_retention_ms >= ld->opts.retention_check_ms) {
        ld->last_retention_ms = mono;
        logdir_retention_run(ld, clock_now_ms());
    }
}

/* --- compaction (cleaner.c does the work) ----------------------------- */

static void stats_add(struct logdir_clean_stats *to,
                      const struct logdir_clean_stats *from)
{
    to->partitions += from->partitions;
    to->segments += from->segments;
    to->bytes_read += from->bytes_read;
    to->bytes_before += from->bytes_before;
    to->bytes_after += from->bytes_after;
    to->records_removed += from->records_removed;
}

int logdir_clean_run(struct logdir *ld, int64_t now_ms, bool force,
                     struct logdir_clean_stats *st)
{
    struct logdir_clean_stats own = {0};
    if (ld->opts.read_only)
        return ERR_CLOSED;
    size_t n;
    struct partition **v = collect(ld, &n);
    pthread_mutex_lock(&ld->clean_mu);
    if (!ld->clean_map)
        ld->clean_map = cleaner_map_create(ld->opts.cleaner_dedupe_bytes);
    int cleaned = 0;
    for (size_t i = 0; i < n; i++) {
        int r =
            atomic_load(&ld->clean_stop)
                ? 0
                : cleaner_clean_partition(v[i], ld->clean_map,
                                          ld->opts.cleaner_io_bytes_per_sec,
                                          now_ms, force, &ld->clean_stop, &own);
        if (r > 0)
            cleaned++;
        partition_unref(v[i]);
    }
    stats_add(&ld->clean_totals, &own);
    pthread_mutex_unlock(&ld->clean_mu);
    mem_free(v);
    if (st)
        *st = own;
    return cleaned;
}

static void clean_round(void *arg)
{
    logdir_clean_run(arg, clock_now_ms(), false, NULL);
}

void logdir_clean_kick(struct logdir *ld)
{
    flusher_kick(ld->cleaner);
}

void logdir_clean_totals(struct logdir *ld, struct logdir_clean_stats *out)
{
    pthread_mutex_lock(&ld->clean_mu);
    *out = ld->clean_totals;
    pthread_mutex_unlock(&ld->clean_mu);
}

/* --- public
 * ------------------------------------------------------------------------ */

int logdir_open(const char *path, const struct logdir_options *opts,
                struct logdir **out)
{
    struct logdir *ld = mem_calloc(1, sizeof(*ld));
    if (opts)
        ld->opts = *opts;
    else
        logdir_options_init(&ld->opts);
    ld->path = mem_strdup(path);
    ld->lock_fd = -1;
    pthread_mutex_init(&ld->mu, NULL);
    pthread_mutex_init(&ld->checkpoint_mu, NULL);
    pthread_mutex_init(&ld->clean_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ld->notify.cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&ld->notify.mu, NULL);
    hashmap_init(&ld->topics);
    hashmap_init(&ld->ids);
    hashmap_init(&ld->recovery);
    ld->last_checkpoint_ms = ld->last_retention_ms = clock_mono_ms();
    /* Every segment keeps its .log open (Kafka needs the same): use the
     * hard limit on open files, not the soft default of 1024. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    int rc = 0;
    if (!ld->opts.read_only) {
        rc = os_mkdir_p(path);
        if (rc < 0)
            goto out_close;
        char lp[4096];
        snprintf(lp, sizeof lp, "%s/.lock", path);
        rc = os_open(lp, O_RDWR | O_CREAT, 0644);
        if (rc < 0)
            goto out_close;
        ld->lock_fd = rc;
        if (flock(ld->lock_fd, LOCK_EX | LOCK_NB) < 0) {
            rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
            goto out_close;
        }
        if (!ld->opts.no_flusher) {
            int64_t tick = 200;
            if (ld->opts.flush_interval_ms > 0 &&
                ld->opts.flush_interval_ms < tick)
                tick = ld->opts.flush_interval_ms;
            rc = flusher_start(tick, flush_round, ld, &ld->flusher);
            if (rc < 0)
                goto out_close;
        }
    }
    checkpoint_load(ld);
    ld->ckpt_stale = hashmap_count(&ld->recovery) > 0;
    rc = load_topics(ld);
    hashmap_fini(&ld->recovery);
    hashmap_init(&ld->recovery);
    if (rc < 0)
        goto out_close;
    if (!ld->opts.read_only && !ld->opts.no_flusher &&
        ld->opts.cleaner_backoff_ms > 0) {
        rc = flusher_start(ld->opts.cleaner_backoff_ms, clean_round, ld,
                           &ld->cleaner);
        if (rc < 0)
            goto out_close;
    }
    *out = ld;
    return 0;
out_close:
    logdir_close(ld);
    return rc;
}

void logdir_close(struct logdir *ld)
{
    if (!ld)
        return;
    atomic_store(&ld->clean_stop, 1);
    flusher_stop(ld->cleaner); /* first: a pass holds partitions */
    ld->cleaner = NULL;
    flusher_stop(ld->flusher);
    ld->flusher = NULL;
    struct hashmap_entry *e;
    if (!ld->opts.read_only) {
        for (size_t it = 0; hashmap_next(&ld->topics, &it, &e);) {
            struct topic *t = e->value;
            for (int32_t i = 0; i < t->cfg.partitions; i++) {
                partition_shutdown(t->parts[i]);
                partition_flush(t->parts[i]);
            }
        }
        if (ld->lock_fd >= 0 && hashmap_count(&ld->topics))
            checkpoint_write(ld);
    }
    for (size_t it = 0; hashmap_next(&ld->topics, &it, &e);)
        topic_free(e->value, false);
    hashmap_fini(&ld->topics);
    hashmap_fini(&ld->ids);
    hashmap_fini(&ld->recovery);
    if (ld->lock_fd >= 0)
        close(ld->lock_fd);
    pthread_mutex_destroy(&ld->mu);
    pthread_mutex_destroy(&ld->checkpoint_mu);
    pthread_mutex_destroy(&ld->clean_mu);
    cleaner_map_destroy(ld->clean_map);
    pthread_mutex_destroy(&ld->notify.mu);
    pthread_cond_destroy(&ld->notify.cv);
    mem_free(ld->path);
    mem_free(ld);
}

/* --- append notification
 * ------------------------------------------------------------------------ */

void log_notify_append(struct log_notify *n)
{
    atomic_fetch_add(&n->seq, 1);
    log_append_fn fn = atomic_load(&n->fn);
    if (fn)
        fn(atomic_load(&n->arg));
    if (atomic_load(&n->waiters) > 0) {
        pthread_mutex_lock(&n->mu);
        pthread_cond_broadcast(&n->cv);
        pthread_mutex_unlock(&n->mu);
    }
}

uint64_t logdir_append_seq(struct logdir *ld)
{
    return atomic_load(&ld->notify.seq);
}

int logdir_wait_append(struct logdir *ld, uint64_t seen_seq, int64_t timeout_ms)
{
    struct log_notify *n = &ld->notify;
    if (atomic_load(&n->seq) != seen_seq)
        return 1;
    if (timeout_ms <= 0)
        return 0;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(timeout_ms / 1000);
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    atomic_fetch_add(&n->waiters, 1);
    pthread_mutex_lock(&n->mu);
    int woke = 0, rc = 0;
    while (!(woke = atomic_load(&n->seq) != seen_seq) && rc == 0)
        rc = pthread_cond_timedwait(&n->cv, &n->mu, &ts);
    pthread_mutex_unlock(&n->mu);
    atomic_fetch_sub(&n->waiters, 1);
    return woke;
}

int logdir_topic_create(struct logdir *ld, const char *name,
                        const struct logdir_topic_config *cfg)
{
    struct logdir_topic_config own;
    if (cfg)
        own = *cfg;
    else
        logdir_topic_config_init(&own);
    id_new(own.id);
    cfg = &own;
    if (!logdir_topic_name_valid(name) || !config_valid(cfg))
        return ERR_INVALID;
    if (ld->opts.read_only)
        return ERR_CLOSED;
    pthread_mutex_lock(&ld->mu);
    int rc = 0;
    if (hashmap_get_str(&ld->topics, name)) {
        rc = ERR_EXISTS;
        goto out_unlock;
    }
    char tdir[4096];
    snprintf(tdir, sizeof tdir, "%s/topics", ld->path);
    rc = os_mkdir_p(tdir);
    if (rc < 0)
        goto out_unlock;
    struct topic *t;
    rc = topic_open(ld, name, cfg, true, &t);
    if (rc < 0)
        goto out_unlock;
    rc = os_fsync_dir(ld->path);
    if (rc == 0 && ld->ckpt_stale) {
        /* Forget recovery points an earlier topic of this name left. */
        struct buf b;
        buf_init(&b);
        rc = checkpoint_store(ld, &b, checkpoint_snapshot_locked(ld, &b));
        buf_fini(&b);
        if (rc == 0)
            ld->ckpt_stale = false;
    }
    if (rc == 0)
        rc = meta_write(ld, name, cfg); /* the commit point */
    if (rc < 0) {
        topic_free(t, true);
        goto out_unlock;
    }
    hashmap_put(&ld->topics, t->name, strlen(t->name), t);
    hashmap_put(&ld->ids, t->cfg.id, 16, t);
out_unlock:
    pthread_mutex_unlock(&ld->mu);
    return rc;
}

int logdir_topic_by_id(struct logdir *ld, const uint8_t id[16], char *name)
{
    pthread_mutex_lock(&ld->mu);
    struct topic *t = id_zero(id) ? NULL : hashmap_get(&ld->ids, id, 16);
    if (t)
        snprintf(name, LOGDIR_TOPIC_NAME_MAX + 1, "%s", t->name);
    pthread_mutex_unlock(&ld->mu);
    return t ? 0 : ERR_NOT_FOUND;
}

int64_t logdir_partition_count(struct logdir *ld)
{
    int64_t n = 0;
    struct hashmap_entry *e;
    pthread_mutex_lock(&ld->mu);
    for (size_t it = 0; hashmap_next(&ld->topics, &it, &e);)
        n += ((struct topic *)e->value)->cfg.partitions;
    pthread_mutex_unlock(&ld->mu);
    return n;
}

int logdir_topic_delete(struct logdir *ld, const char *name)
{
    if (ld->opts.read_only)
        return ERR_CLOSED;
    pthread_mutex_lock(&ld->mu);
    struct topic *t = hashmap_get_str(&ld->topics, name);
    if (!t) {
        pthread_mutex_unlock(&ld->mu);
        return ERR_NOT_FOUND;
    }
    char *path = meta_path(ld, name);
    int rc = os_unlink(path); /* the commit point */
    mem_free(path);
    if (rc < 0 && rc != -ENOENT) {
        pthread_mutex_unlock(&ld->mu);
        return rc;
    }
    char tdir[4096];
    snprintf(tdir, sizeof tdir, "%s/topics", ld->path);
    os_fsync_dir(tdir);
    hashmap_remove(&ld->topics, name, strlen(name));
    if (!id_zero(t->cfg.id))
        hashmap_remove(&ld->ids, t->cfg.id, 16);
    ld->ckpt_stale = true;
    pthread_mutex_unlock(&ld->mu);
    topic_free(t, true);
    return 0;
}

int logdir_topic_config(struct logdir *ld, const char *name,
                        struct logdir_topic_config *out)
{
    pthread_mutex_lock(&ld->mu);
    struct topic *t = hashmap_get_str(&ld->topics, name);
    if (t)
        *out = t->cfg;
    pthread_mutex_unlock(&ld->mu);
    return t ? 0 : ERR_NOT_FOUND;
}

int logdir_topic_alter(struct logdir *ld, const char *name,
                       const struct logdir_topic_config *cfg_in)
{
    struct logdir_topic_config own = *cfg_in, *cfg = &own;
    if (ld->opts.read_only)
        return ERR_CLOSED;
    pthread_mutex_lock(&ld->mu);
    struct topic *t = hashmap_get_str(&ld->topics, name);
    int rc = 0;
    if (!t) {
        rc = ERR_NOT_FOUND;
        goto out_unlock;
    }
    if (!config_valid(cfg) || cfg->partitions != t->cfg.partitions) {
        rc = ERR_INVALID;
        goto out_unlock;
    }
    memcpy(own.id, t->cfg.id, sizeof own.id); /* the id never changes */
    rc = meta_write(ld, name, cfg);           /* the commit point */
    if (rc < 0)
        goto out_unlock;
    t->cfg = *cfg;
    for (int32_t i = 0; i < cfg->partitions; i++)
        partition_set_config(t->parts[i], cfg);
out_unlock:
    pthread_mutex_unlock(&ld->mu);
    return rc;
}

int logdir_topic_add_partitions(struct logdir *ld, const char *name,
                                int32_t count)
{
    if (ld->opts.read_only)
        return ERR_CLOSED;
    pthread_mutex_lock(&ld->mu);
    struct topic *t = hashmap_get_str(&ld->topics, name);
    int rc = 0;
    if (!t) {
        rc = ERR_NOT_FOUND;
        goto out_unlock;
    }
    int32_t old = t->cfg.partitions;
    struct logdir_topic_config cfg = t->cfg;
    cfg.partitions = count;
    if (count <= old || !config_valid(&cfg)) {
        rc = ERR_INVALID;
        goto out_unlock;
    }
    struct partition **parts = mem_calloc((size_t)count, sizeof(*parts));
    memcpy(parts, t->parts, (size_t)old * sizeof(*parts));
    for (int32_t i = old; i < count && rc == 0; i++)
        rc = part_open(ld, name, i, &cfg, true, &parts[i]);
    if (rc == 0)
        rc = os_fsync_dir(ld->path);
    if (rc == 0)
        rc = meta_write(ld, name, &cfg); /* the commit point */
    if (rc < 0) {
        for (int32_t i = old; i < count; i++)
            if (parts[i]) {
                partition_remove(parts[i]);
                partition_unref(parts[i]);
            }
        mem_free(parts);
        goto out_unlock;
    }
    mem_free(t->parts);
    t->parts = parts;
    t->cfg = cfg;
    for (int32_t i = 0; i < old; i++)
        partition_set_config(t->parts[i], &cfg);
out_unlock:
    pthread_mutex_unlock(&ld->mu);
    return rc;
}

int logdir_topic_partitions(struct logdir *ld, const char *name)
{
    pthread_mutex_lock(&ld->mu);
    struct topic *t = hashmap_get_str(&ld->topics, name);
    int n = t ? t->cfg.partitions : ERR_NOT_FOUND;
    pthread_mutex_unlock(&ld->mu);
    return n;
}

struct partition *logdir_partition(struct logdir *ld, const char *name,
                                   int32_t partition)
{
    pthread_mutex_lock(&ld->mu);
    struct topic *t = hashmap_get_str(&ld->topics, name);
    struct partition *p = NULL;
    if (t && partition >= 0 && partition < t->cfg.partitions)
        p = t->parts[partition];
    pthread_mutex_unlock(&ld->mu);
    return p;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int logdir_topic_list(struct logdir *ld, char ***names, size_t *count)
{
    pthread_mutex_lock(&ld->mu);
    size_t n = hashmap_count(&ld->topics), i = 0;
    char **v = mem_alloc((n ? n : 1) * sizeof(*v));
    struct hashmap_entry *e;
    for (size_t it = 0; hashmap_next(&ld->topics, &it, &e);)
        v[i++] = mem_strdup(((struct topic *)e->value)->name);
    pthread_mutex_unlock(&ld->mu);
    qsort(v, n, sizeof(*v), cmp_str);
    *names = v;
    *count = n;
    return 0;
}

void logdir_names_free(char **names, size_t count)
{
    for (size_t i = 0; names && i < count; i++)
        mem_free(names[i]);
    mem_free(names);
}

void logdir_set_append_listener(struct logdir *ld, void (*cb)(void *arg),
                                void *arg)
{
    atomic_store(&ld->notify.fn, NULL);
    atomic_store(&ld->notify.arg, arg);
    atomic_store(&ld->notify.fn, cb);
}

void logdir_set_flush_listener(struct logdir *ld, void (*cb)(void *arg),
                               void *arg)
{
    pthread_mutex_lock(&ld->mu);
    ld->listener = cb;
    ld->listener_arg = arg;
    pthread_mutex_unlock(&ld->mu);
}

int logdir_flush(struct logdir *ld)
{
    size_t n;
    struct partition **v = collect(ld, &n);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        int r = partition_flush(v[i]);
        if (r < 0 && rc == 0)
            rc = r;
        partition_unref(v[i]);
    }
    mem_free(v);
    int c = checkpoint_write(ld);
    return rc ? rc : (c < 0 ? c : 0);
}

int logdir_retention_run(struct logdir *ld, int64_t now_ms)
{
    size_t n;
    struct partition **v = collect(ld, &n);
    int total = 0, rc = 0;
    for (size_t i = 0; i < n; i++) {
        int r = partition_retention_run(v[i], now_ms);
        if (r < 0 && rc == 0)
            rc = r;
        else if (r > 0)
            total += r;
        partition_unref(v[i]);
    }
    mem_free(v);
    return rc < 0 ? rc : total;
}
