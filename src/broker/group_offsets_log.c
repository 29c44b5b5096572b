/* group_offsets_log.c - binds the committed-offset store to the internal
 * topic __consumer_offsets: create it, replay it at start-up, compact it,
 * append each commit (layer: broker). The map and the record format are in
 * group_offsets.c; this file is the only one that touches the log.
 *
 * The topic is compacted (cleanup.policy=compact) in the background by
 * the log's cleaner (src/log/cleaner.c), which keeps the latest record of
 * each key and drops old tombstones. A start-up rewrite remains for a
 * replay that finds most records superseded (a cleaner that was off):
 * At start-up (nothing is served yet): when the replay
 * applied at least COMPACT_MIN_RECORDS records and more than
 * COMPACT_RATIO times the live offsets, the live offsets are written as a
 * snapshot ending with a marker to __consumer_offsets_compact and flushed;
 * then __consumer_offsets is deleted, recreated with the same snapshot,
 * flushed, and the compact topic deleted. A crash at any point leaves
 * either the old topic intact (the compact topic has no marker: it is
 * dropped) or a whole snapshot in the compact topic (it wins and the
 * rebuild is redone), so no committed offset is lost.
 */
#include "broker/group_offsets.h"

#include "base/diag.h"
#include "base/err.h"
#include "log/logdir.h"
#include "log/partition.h"

#define REPLAY_CHUNK (1u << 20)
#define COMPACT_TOPIC GROUP_OFFSETS_TOPIC "_compact"
#define COMPACT_MIN_RECORDS 1000
#define COMPACT_RATIO 4

static int sink_append(void *arg, uint8_t *batch, size_t len)
{
    return partition_append(arg, batch, len, NULL);
}

static int replay_topic(struct group_offsets *go, struct partition *part,
                        const char *name)
{
    int64_t off = partition_log_start_offset(part);
    int64_t end = partition_high_watermark(part);
    struct buf chunk;
    int rc = 0, total = 0;
    buf_init(&chunk);
    while (off < end) {
        int64_t next = off;
        buf_reset(&chunk);
        rc = partition_read_copy(part, off, REPLAY_CHUNK, &chunk, &next);
        if (rc < 0)
            goto out;
        if (next <= off || chunk.len == 0)
            break;
        rc = group_offsets_replay(go, chunk.data, chunk.len);
        if (rc < 0)
            goto out;
        total += rc;
        off = next;
    }
    diag_info("groups: replayed %d committed offset record(s) from %s", total,
              name);
    rc = total;
out:
    buf_fini(&chunk);
    return rc;
}

/* Creates topic `name` (1 partition, kept forever) unless it exists. */
static struct partition *topic_open(struct logdir *ld, const char *name,
                                    int *rc)
{
    struct partition *part = logdir_partition(ld, name, 0);
    if (part)
        return part;
    struct logdir_topic_config cfg;
    logdir_topic_config_init(&cfg);
    cfg.partitions = 1;
    cfg.retention_ms = -1;
    cfg.segment_bytes = 64 << 20;
    cfg.cleanup_policy = LOGDIR_CLEANUP_COMPACT; /* the log's cleaner */
    *rc = logdir_topic_create(ld, name, &cfg);
    if (*rc < 0 && *rc != ERR_EXISTS)
        return NULL;
    part = logdir_partition(ld, name, 0);
    *rc = part ? 0 : ERR_NOT_FOUND;
    return part;
}

/* Writes go's snapshot into a fresh topic `name` and flushes it. */
static int write_fresh(struct logdir *ld, const char *name,
                       const struct group_offsets *go)
{
    int rc = logdir_topic_delete(ld, name);
    if (rc < 0 && rc != ERR_NOT_FOUND)
        return rc;
    struct partition *part = topic_open(ld, name, &rc);
    if (!part)
        return rc;
    rc = group_offsets_snapshot(go, sink_append, part);
    if (rc < 0)
        return rc;
    return logdir_flush(ld);
}

/* From a whole snapshot in go (durable in the compact topic): rebuild
 * __consumer_offsets from it, then drop the compact topic. */
static int rebuild(struct logdir *ld, const struct group_offsets *go)
{
    int rc = write_fresh(ld, GROUP_OFFSETS_TOPIC, go);
    if (rc < 0)
        return rc;
    rc = logdir_topic_delete(ld, COMPACT_TOPIC);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

/* A compact topic left by a crash: whole -> it wins; partial -> dropped.
 * Returns 0, or a negative error; *out is the store when it won. */
static int recover_compaction(struct logdir *ld, struct group_offsets **out)
{
    *out = NULL;
    struct partition *part = logdir_partition(ld, COMPACT_TOPIC, 0);
    if (!part)
        return 0;
    struct group_offsets *go;
    group_offsets_create(&go);
    int rc = replay_topic(go, part, COMPACT_TOPIC);
    if (rc >= 0 && group_offsets_snapshot_seen(go)) {
        diag_warn("groups: an interrupted compaction left a whole snapshot; "
                  "rebuilding %s from it",
                  GROUP_OFFSETS_TOPIC);
        rc = rebuild(ld, go);
        if (rc == 0) {
            *out = go;
            return 0;
        }
    } else {
        diag_warn("groups: dropping the partial snapshot of an interrupted "
                  "compaction");
        rc = logdir_topic_delete(ld, COMPACT_TOPIC);
        if (rc == ERR_NOT_FOUND)
            rc = 0;
    }
    group_offsets_close(go);
    return rc;
}

static int compact(struct logdir *ld, const struct group_offsets *go,
                   int replayed)
{
    diag_info("groups: compacting %s: %d record(s) replayed for %zu live "
              "offset(s)",
              GROUP_OFFSETS_TOPIC, replayed, group_offsets_count(go));
    int rc = write_fresh(ld, COMPACT_TOPIC, go);
    if (rc < 0) {
        /* The old topic is intact; drop what was written. */
        (void)logdir_topic_delete(ld, COMPACT_TOPIC);
        return rc;
    }
    return rebuild(ld, go);
}

int group_offsets_open(struct logdir *ld, struct group_offsets **out)
{
    struct group_offsets *go = NULL;
    struct partition *part;
    int rc = recover_compaction(ld, &go);
    if (rc < 0)
        goto out_close;
    if (!go) {
        group_offsets_create(&go);
        part = topic_open(ld, GROUP_OFFSETS_TOPIC, &rc);
        if (!part)
            goto out_close;
        rc = replay_topic(go, part, GROUP_OFFSETS_TOPIC);
        if (rc < 0)
            goto out_close;
        if (rc >= COMPACT_MIN_RECORDS &&
            (size_t)rc > COMPACT_RATIO * group_offsets_count(go)) {
            rc = compact(ld, go, rc);
            if (rc < 0)
                goto out_close;
        }
    }
    part = logdir_partition(ld, GROUP_OFFSETS_TOPIC, 0);
    if (!part) {
        rc = ERR_NOT_FOUND;
        goto out_close;
    }
    group_offsets_set_sink(go, sink_append, part);
    *out = go;
    return 0;
out_close:
    diag_error("groups: cannot open %s: %s", GROUP_OFFSETS_TOPIC, err_str(rc));
    group_offsets_close(go);
    return rc;
}
