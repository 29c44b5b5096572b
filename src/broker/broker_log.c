/* broker_log.c - topics, partitions, idempotence rebuild and durable
 * waiters on top of logdir (layer: broker).
 *
 * Idempotence after a restart: the first time a partition is used, the
 * batch headers of its tail (the last REBUILD_RECORDS offsets, at most
 * REBUILD_BYTES) are read back and fed to the producer windows, so a
 * producer retrying a batch that was written just before a crash gets its
 * original offset instead of a second copy.
 * Invariants:
 *   1. Every broker_topic ever created stays allocated until close; a
 *      deleted one is unlinked from `topics` and kept on `dead`.
 *   2. `waiters` holds exactly the durable waits not yet completed.
 */
#include "broker/broker_log.h"
#include "broker/txn_part.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "log/fd_cache.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "log/record_batch.h"

#define REBUILD_RECORDS 100000
#define REBUILD_BYTES (16u << 20)

struct broker_logstate {
    struct hashmap topics; /* name -> struct broker_topic */
    struct broker_topic *dead;
    struct broker_durable_wait *waiters;
    struct broker_pid_alloc pids;
    struct buf scratch;
    /* Topics something else in the process still uses (the SQL engine's
     * streams): DeleteTopics refuses them. Set once before serving. */
    bool (*guard)(void *arg, const char *topic);
    void *guard_arg;
};

void broker_set_topic_guard(struct broker *b,
                            bool (*in_use)(void *arg, const char *topic),
                            void *arg)
{
    b->ls->guard = in_use;
    b->ls->guard_arg = arg;
}

static void topic_free(struct broker_topic *t)
{
    for (int32_t i = 0; i < t->nparts; i++) {
        broker_producer_map_fini(&t->parts[i].producers);
        txn_part_destroy(t->parts[i].txn);
    }
    mem_free(t->parts);
    mem_free(t->name);
    mem_free(t);
}

/* --- flush listener: flusher thread -> loop ------------------------------ */

static void durable_round(struct loop *l, void *arg)
{
    struct broker *b = arg;
    struct broker_logstate *ls = b->ls;
    (void)l;
    if (!ls)
        return;
    struct broker_durable_wait **pp = &ls->waiters;
    /* Detach the ready ones first: done() may register new waits. */
    struct broker_durable_wait *ready = NULL, **rtail = &ready;
    while (*pp) {
        struct broker_durable_wait *w = *pp;
        struct partition *p = w->part->p;
        int failed = w->part->topic->deleted ? ERR_CLOSED : partition_failed(p);
        if (failed || partition_durable_offset(p) >= w->end_offset) {
            *pp = w->next;
            w->next = NULL;
            *rtail = w;
            rtail = &w->next;
            w->end_offset = failed; /* carry the error to the loop below */
            continue;
        }
        pp = &w->next;
    }
    while (ready) {
        struct broker_durable_wait *w = ready;
        ready = w->next;
        int err = w->end_offset < 0 ? (int)w->end_offset : 0;
        w->done(b, w, err);
    }
    /* rill.read.durable: what readers may see just grew. */
    if (b->cfg.read_durable)
        broker_fetch_notify(b);
}

int64_t broker_log_visible_end(const struct broker *b,
                               const struct broker_part *bp)
{
    return b->cfg.read_durable ? partition_durable_offset(bp->p)
                               : partition_high_watermark(bp->p);
}

static void flush_listener(void *arg)
{
    struct broker *b = arg;
    loop_post(b->loop, durable_round, b);
}

void broker_log_wait_durable(struct broker *b, struct broker_durable_wait *w)
{
    struct broker_logstate *ls = b->ls;
    w->next = ls->waiters;
    ls->waiters = w;
    partition_request_sync(w->part->p);
    /* Already durable (an earlier round covered it): answer soon. */
    if (partition_durable_offset(w->part->p) >= w->end_offset)
        loop_post(b->loop, durable_round, b);
}

void broker_log_wait_cancel(struct broker *b, struct broker_durable_wait *w)
{
    for (struct broker_durable_wait **pp = &b->ls->waiters; *pp;
         pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            return;
        }
    }
}

void broker_log_drain_begin(struct broker *b)
{
    for (struct broker_durable_wait *w = b->ls->waiters; w; w = w->next)
        partition_request_sync(w->part->p);
}

/* --- open / close -----------------------------------------------------------
 */

/* Kafka's internal topics are compacted (their latest record of a key
 * wins); a data directory written before rill compacted gets the policy
 * now. New ones are created with it (group_offsets_log.c, txn_coord.c). */
static void ensure_compacted(struct logdir *ld, const char *name)
{
    struct logdir_topic_config c;
    if (logdir_topic_config(ld, name, &c) < 0 ||
        (c.cleanup_policy & LOGDIR_CLEANUP_COMPACT))
        return;
    c.cleanup_policy = LOGDIR_CLEANUP_COMPACT;
    if (logdir_topic_alter(ld, name, &c) == 0)
        diag_info("broker: %s is now compacted (cleanup.policy=compact)", name);
}

int broker_log_open(struct broker *b)
{
    struct logdir_options o;
    logdir_options_init(&o);
    o.flush_interval_ms = b->cfg.flush_interval_ms;
    o.flush_bytes = b->cfg.flush_bytes;
    o.retention_check_ms = b->cfg.retention_check_ms;
    o.cleaner_backoff_ms = b->cfg.cleaner_backoff_ms;
    o.cleaner_dedupe_bytes = b->cfg.cleaner_dedupe_bytes;
    o.cleaner_io_bytes_per_sec = b->cfg.cleaner_io_bytes;
    /* Before the logdir opens its partitions: recovery already keeps only
     * this many segment files open. */
    fd_cache_set_max(b->cfg.open_files_max);
    int rc = logdir_open(b->cfg.data_dir, &o, &b->logdir);
    if (rc < 0) {
        diag_error("broker: cannot open data directory %s: %s", b->cfg.data_dir,
                   rc == -EBUSY ? "in use by another process" : err_str(rc));
        return rc;
    }
    struct broker_logstate *ls = mem_calloc(1, sizeof(*ls));
    hashmap_init(&ls->topics);
    buf_init(&ls->scratch);
    rc = broker_pid_alloc_open(&ls->pids, b->cfg.data_dir);
    if (rc < 0) {
        diag_error("broker: producer id counter: %s", err_str(rc));
        hashmap_fini(&ls->topics);
        buf_fini(&ls->scratch);
        mem_free(ls);
        logdir_close(b->logdir);
        b->logdir = NULL;
        return rc;
    }
    b->ls = ls;
    logdir_set_flush_listener(b->logdir, flush_listener, b);
    ensure_compacted(b->logdir, "__consumer_offsets");
    ensure_compacted(b->logdir, "__transaction_state");
    return 0;
}

int broker_log_close(struct broker *b)
{
    struct broker_logstate *ls = b->ls;
    int flush_rc = 0;
    if (b->logdir) {
        logdir_set_flush_listener(b->logdir, NULL, NULL);
        flush_rc = logdir_flush(b->logdir);
        if (flush_rc < 0)
            diag_error("broker: final flush failed: %s; records acknowledged "
                       "since the last fsync may be lost",
                       err_str(flush_rc));
    }
    if (ls) {
        /* Anyone still waiting learns the log is closing. */
        while (ls->waiters) {
            struct broker_durable_wait *w = ls->waiters;
            ls->waiters = w->next;
            int err = w->part->p && partition_durable_offset(w->part->p) >=
                                        w->end_offset
                          ? 0
                          : ERR_CLOSED;
            w->done(b, w, err);
        }
        struct hashmap_entry *e;
        for (size_t i = 0; hashmap_next(&ls->topics, &i, &e);)
            topic_free(e->value);
        hashmap_fini(&ls->topics);
        while (ls->dead) {
            struct broker_topic *t = ls->dead;
            ls->dead = t->next_dead;
            topic_free(t);
        }
        buf_fini(&ls->scratch);
        mem_free(ls);
        b->ls = NULL;
    }
    logdir_close(b->logdir);
    b->logdir = NULL;
    return flush_rc;
}

bool broker_topic_client_writable(struct broker *b, struct slice name)
{
    static const char suffix[] = "-repartition";
    const size_t sl = sizeof(suffix) - 1;
    if (name.len >= 2 && memcmp(name.ptr, "__", 2) == 0)
        return false;
    if (name.len > sl && name.len <= LOGDIR_TOPIC_NAME_MAX &&
        memcmp(name.ptr + name.len - sl, suffix, sl) == 0 && b->ls->guard) {
        char tmp[LOGDIR_TOPIC_NAME_MAX + 1];
        memcpy(tmp, name.ptr, name.len);
        tmp[name.len] = '\0';
        return !b->ls->guard(b->ls->guard_arg, tmp);
    }
    return true;
}

struct buf *broker_log_scratch(struct broker *b)
{
    return &b->ls->scratch;
}

int broker_log_next_producer_id(struct broker *b, int64_t *out)
{
    return broker_pid_alloc_next(&b->ls->pids, out);
}

/* --- topics and partitions ----------------------------------------------- */

static void topic_config(struct broker *b, struct logdir_topic_config *c,
                         int32_t partitions)
{
    logdir_topic_config_init(c);
    c->partitions = partitions;
    c->retention_ms = b->cfg.retention_ms;
    c->retention_bytes = b->cfg.retention_bytes;
    c->segment_bytes = b->cfg.segment_bytes;
    c->segment_ms = b->cfg.segment_ms;
    c->max_message_bytes = (int32_t)b->cfg.message_max_bytes;
}

/* max.partitions: whether n more partitions fit (logs when not, once a
 * second at most: auto-creation can be attempted by anyone, in a loop). */
static bool partitions_fit(struct broker *b, const char *name, int32_t n)
{
    int64_t have = logdir_partition_count(b->logdir);
    if (have + n <= b->cfg.max_partitions)
        return true;
    static int64_t last_ms;
    int64_t now = loop_now_ms(b->loop);
    if (now - last_ms >= 1000) {
        last_ms = now;
        diag_warn("broker: topic %s not created: %lld partitions exist, "
                  "max.partitions is %d",
                  name, (long long)have, b->cfg.max_partitions);
    }
    return false;
}

static bool name_copy(struct slice name, char *out)
{
    /* A NUL inside would make "t\0x" the C string "t": a second wrapper
     * for a topic already wrapped. */
    if (name.len == 0 || name.len > LOGDIR_TOPIC_NAME_MAX ||
        memchr(name.ptr, 0, name.len))
        return false;
    memcpy(out, name.ptr, name.len);
    out[name.len] = '\0';
    return logdir_topic_name_valid(out);
}

/* Wraps an existing logdir topic. */
static struct broker_topic *topic_wrap(struct broker *b, const char *name)
{
    int n = logdir_topic_partitions(b->logdir, name);
    if (n <= 0)
        return NULL;
    struct broker_topic *t = mem_calloc(1, sizeof(*t));
    t->name = mem_strdup(name);
    t->nparts = n;
    t->parts = mem_calloc((size_t)n, sizeof(*t->parts));
    for (int32_t i = 0; i < n; i++) {
        t->parts[i].p = logdir_partition(b->logdir, name, i);
        t->parts[i].topic = t;
        t->parts[i].id = i;
        broker_producer_map_init(&t->parts[i].producers);
    }
    hashmap_put(&b->ls->topics, name, strlen(name), t);
    return t;
}

struct broker_topic *broker_topic_find(struct broker *b, struct slice name,
                                       bool create, int16_t *err)
{
    char tmp[LOGDIR_TOPIC_NAME_MAX + 1];
    struct broker_topic *t = NULL;
    if (name.len > 0 && name.len <= LOGDIR_TOPIC_NAME_MAX) {
        t = hashmap_get(&b->ls->topics, name.ptr, name.len);
        if (t)
            return t;
    }
    if (!name_copy(name, tmp)) {
        *err = create ? 17 : 3; /* INVALID_TOPIC_EXCEPTION / UNKNOWN */
        return NULL;
    }
    t = topic_wrap(b, tmp);
    if (t)
        return t;
    /* Internal topics are created by the broker itself, never on demand. */
    if (!create || !b->cfg.auto_create_topics ||
        broker_topic_is_internal(name)) {
        *err = 3;
        return NULL;
    }
    if (!partitions_fit(b, tmp, b->cfg.num_partitions)) {
        *err = 44; /* POLICY_VIOLATION */
        return NULL;
    }
    struct logdir_topic_config c;
    topic_config(b, &c, b->cfg.num_partitions);
    int rc = logdir_topic_create(b->logdir, tmp, &c);
    if (rc < 0 && rc != ERR_EXISTS) {
        diag_warn("broker: cannot create topic %s: %s", tmp, err_str(rc));
        *err = rc == ERR_INVALID ? 17 : 5; /* LEADER_NOT_AVAILABLE: retry */
        return NULL;
    }
    diag_info("broker: created topic %s (%d partitions)", tmp, c.partitions);
    t = topic_wrap(b, tmp);
    if (!t)
        *err = 5;
    return t;
}

/* Rebuilds the partition's idempotence windows from its tail. */
static void producers_load(struct broker *b, struct broker_part *bp)
{
    bp->producers_loaded = true;
    struct partition *p = bp->p;
    int64_t hwm = partition_high_watermark(p);
    int64_t start = partition_log_start_offset(p);
    int64_t from =
        hwm - REBUILD_RECORDS > start ? hwm - REBUILD_RECORDS : start;
    struct buf *sc = &b->ls->scratch;
    size_t total = 0;
    int nbatches = 0;
    while (from < hwm && total < REBUILD_BYTES) {
        buf_reset(sc);
        int64_t next = from;
        int rc = partition_read_copy(p, from, 1u << 20, sc, &next);
        if (rc < 0 || sc->len == 0 || next <= from)
            break;
        struct record_batch_walk w;
        struct record_batch_header h;
        const uint8_t *bat;
        size_t blen;
        record_batch_walk_init(&w, sc->data, sc->len);
        while (record_batch_walk_next(&w, &h, &bat, &blen) == 1) {
            if (h.producer_id < 0 || h.base_sequence < 0)
                continue;
            int64_t last_seq = (int64_t)h.base_sequence + h.last_offset_delta;
            if (last_seq > INT32_MAX)
                last_seq -= (int64_t)INT32_MAX + 1;
            broker_producer_record(&bp->producers, h.producer_id,
                                   h.producer_epoch, h.base_sequence,
                                   (int32_t)last_seq, h.base_offset,
                                   record_batch_last_offset(&h));
            nbatches++;
        }
        total += sc->len;
        from = next;
    }
    buf_reset(sc);
    if (nbatches > 0)
        diag_debug("broker: %s-%d: idempotence state from %d batches",
                   bp->topic->name, bp->id, nbatches);
}

struct broker_part *broker_part_find(struct broker *b, struct slice topic,
                                     int32_t partition, bool create,
                                     int16_t *err)
{
    struct broker_topic *t = broker_topic_find(b, topic, create, err);
    if (!t)
        return NULL;
    if (partition < 0 || partition >= t->nparts || !t->parts[partition].p) {
        *err = 3;
        return NULL;
    }
    struct broker_part *bp = &t->parts[partition];
    if (!bp->producers_loaded)
        producers_load(b, bp);
    return bp;
}

/* Kafka topic-level keys we honour; others are accepted and ignored. */
static int16_t apply_topic_config(struct logdir_topic_config *c,
                                  const struct broker_topic_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char key[64], val[32];
        if (kv[i].key.len >= sizeof(key) || !kv[i].value.ptr ||
            kv[i].value.len >= sizeof(val))
            continue;
        memcpy(key, kv[i].key.ptr, kv[i].key.len);
        key[kv[i].key.len] = '\0';
        memcpy(val, kv[i].value.ptr, kv[i].value.len);
        val[kv[i].value.len] = '\0';
        char *end = NULL;
        long long v = strtoll(val, &end, 10);
        bool num = end != val && *end == '\0';
        if (!strcmp(key, "cleanup.policy")) {
            int bits = logdir_cleanup_policy_parse(val, strlen(val));
            if (bits < 0)
                return 40;
            c->cleanup_policy = bits;
        } else if (!strcmp(key, "delete.retention.ms") ||
                   !strcmp(key, "min.compaction.lag.ms")) {
            if (!num || v < 0)
                return 40;
            if (key[0] == 'd')
                c->delete_retention_ms = v;
            else
                c->min_compaction_lag_ms = v;
        } else if (!strcmp(key, "min.cleanable.dirty.ratio")) {
            double r = strtod(val, &end);
            if (end == val || *end != '\0' || !(r >= 0 && r <= 1))
                return 40;
            c->min_cleanable_dirty_ratio = r;
        } else if (!strcmp(key, "retention.ms") && num && v >= -1)
            c->retention_ms = v;
        else if (!strcmp(key, "retention.bytes") && num && v >= -1)
            c->retention_bytes = v;
        else if (!strcmp(key, "segment.bytes") && num && v >= 14)
            c->segment_bytes = v;
        else if (!strcmp(key, "segment.ms") && num && v >= 1)
            c->segment_ms = v;
        else if (!strcmp(key, "max.message.bytes") && num && v >= 0 &&
                 v <= INT32_MAX)
            c->max_message_bytes = (int32_t)v;
        else if (!strcmp(key, "retention.ms") ||
                 !strcmp(key, "retention.bytes") ||
                 !strcmp(key, "segment.bytes") || !strcmp(key, "segment.ms") ||
                 !strcmp(key, "max.message.bytes"))
            return 40; /* INVALID_CONFIG */
    }
    return 0;
}

int16_t broker_topic_create(struct broker *b, struct slice name,
                            int32_t partitions, bool validate_only,
                            const struct broker_topic_kv *configs,
                            size_t nconfigs)
{
    char tmp[LOGDIR_TOPIC_NAME_MAX + 1];
    if (!name_copy(name, tmp) || broker_topic_is_internal(name))
        return 17; /* INVALID_TOPIC_EXCEPTION */
    if (partitions <= 0)
        partitions = b->cfg.num_partitions;
    if (partitions > 100000)
        return 37;
    if (logdir_topic_partitions(b->logdir, tmp) > 0)
        return 36;
    if (!partitions_fit(b, tmp, partitions))
        return 44; /* POLICY_VIOLATION */
    struct logdir_topic_config c;
    topic_config(b, &c, partitions);
    int16_t cerr = apply_topic_config(&c, configs, nconfigs);
    if (cerr)
        return cerr;
    if (validate_only)
        return 0;
    int rc = logdir_topic_create(b->logdir, tmp, &c);
    if (rc == ERR_EXISTS)
        return 36;
    if (rc == ERR_INVALID)
        return 40;
    if (rc < 0) {
        diag_warn("broker: cannot create topic %s: %s", tmp, err_str(rc));
        return -1; /* UNKNOWN_SERVER_ERROR */
    }
    diag_info("broker: created topic %s (%d partitions)", tmp, partitions);
    return 0;
}

int16_t broker_topic_delete(struct broker *b, struct slice name)
{
    char tmp[LOGDIR_TOPIC_NAME_MAX + 1];
    if (!name_copy(name, tmp))
        return 3;
    /* Internal topics (__consumer_offsets) are held open by the group
     * coordinator; deleting them under it is refused, as in Kafka. */
    if (broker_topic_is_internal(name) || !b->cfg.delete_topic_enable)
        return 73; /* TOPIC_DELETION_DISABLED (also delete.topic.enable) */
    if (b->ls->guard && b->ls->guard(b->ls->guard_arg, tmp)) {
        diag_info("broker: refused to delete topic %s: a SQL stream or "
                  "query uses it (DROP it first)",
                  tmp);
        return 44; /* POLICY_VIOLATION */
    }
    struct broker_topic *t = hashmap_remove(&b->ls->topics, tmp, strlen(tmp));
    if (t) {
        t->deleted = true;
        t->next_dead = b->ls->dead;
        b->ls->dead = t;
        /* Waiters on it are failed by the next durable round. */
        loop_post(b->loop, durable_round, b);
    }
    int rc = logdir_topic_delete(b->logdir, tmp);
    if (rc == ERR_NOT_FOUND)
        return 3;
    if (rc < 0) {
        diag_warn("broker: cannot delete topic %s: %s", tmp, err_str(rc));
        return -1;
    }
    if (t)
        for (int32_t i = 0; i < t->nparts; i++)
            t->parts[i].p = NULL;
    diag_info("broker: deleted topic %s", tmp);
    return 0;
}

void broker_topic_config_defaults(struct broker *b,
                                  struct logdir_topic_config *c,
                                  int32_t partitions)
{
    topic_config(b, c, partitions);
}

int16_t broker_topic_config_apply(struct logdir_topic_config *c,
                                  const struct broker_topic_kv *kv, size_t n)
{
    return apply_topic_config(c, kv, n);
}

int16_t broker_topic_add_partitions(struct broker *b, struct slice name,
                                    int32_t count, bool validate_only)
{
    char tmp[LOGDIR_TOPIC_NAME_MAX + 1];
    if (!name_copy(name, tmp))
        return 3;
    if (broker_topic_is_internal(name))
        return 37; /* INVALID_PARTITIONS: the broker owns their layout */
    int n = logdir_topic_partitions(b->logdir, tmp);
    if (n <= 0)
        return 3;
    if (count <= n || count > 100000)
        return 37;
    if (!partitions_fit(b, tmp, count - n))
        return 44; /* POLICY_VIOLATION: max.partitions */
    if (validate_only)
        return 0;
    int rc = logdir_topic_add_partitions(b->logdir, tmp, count);
    if (rc == ERR_INVALID)
        return 37;
    if (rc < 0) {
        diag_warn("broker: cannot add partitions to %s: %s", tmp, err_str(rc));
        return rc == ERR_NOT_FOUND ? 3 : -1;
    }
    /* The wrapper's partition array has the old size, and waiters may
     * point into it: retire it (kept until close, like a deleted topic's,
     * but not deleted, so its waiters complete normally); the next lookup
     * wraps the topic anew, idempotence state rebuilt from the log. */
    struct broker_topic *t = hashmap_remove(&b->ls->topics, tmp, strlen(tmp));
    if (t) {
        t->next_dead = b->ls->dead;
        b->ls->dead = t;
    }
    diag_info("broker: topic %s now has %d partitions", tmp, count);
    return 0;
}
