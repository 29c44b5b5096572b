/* group_offsets.h - committed consumer-group offsets: an in-memory map
 * backed by the internal topic __consumer_offsets (layer: broker).
 *
 * Every OffsetCommit becomes one RecordBatch appended to partition 0 of
 * __consumer_offsets, one record per partition committed, keyed by
 * (group, topic, partition); the latest record for a key wins. At start-up
 * the topic is replayed to rebuild the map. Record formats: docs/groups.md
 * and the top of group_offsets.c. It does not check generations (that is
 * group_coord_commit_check); the topic is compacted at start-up only
 * (group_offsets_log.c).
 * Not thread-safe: the broker's loop thread only.
 */
#ifndef RILL_GROUP_OFFSETS_H
#define RILL_GROUP_OFFSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct logdir;
struct group_offsets;

#define GROUP_OFFSETS_TOPIC "__consumer_offsets"
#define GROUP_OFFSETS_METADATA_MAX 4096 /* offset.metadata.max.bytes */

/* One committed offset. metadata is NULL when the client sent null. */
struct group_offset {
    int64_t offset;
    int32_t leader_epoch; /* -1 = unknown */
    /* Byte for byte as committed (zero bytes included), NUL-terminated for
     * convenience; metadata_len is its length. */
    const char *metadata;
    size_t metadata_len;
    int64_t commit_ts; /* ms */
};

/* One partition of an OffsetCommit, borrowed during the call. */
struct group_offset_commit {
    struct slice topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    struct slice metadata; /* ptr NULL = null */
};

/* A memory-only store (tests); group_offsets_open adds the log. */
void group_offsets_create(struct group_offsets **out);
/* Opens the store over ld (group_offsets_log.c): creates
 * __consumer_offsets (1 partition, kept forever) if absent, replays it,
 * compacts it when most of it is superseded, and appends every later
 * commit to it. Returns 0 or a negative error (the
 * topic cannot be created or read). */
int group_offsets_open(struct logdir *ld, struct group_offsets **out);
/* NULL is a no-op. The log itself stays open (the logdir owns it). */
void group_offsets_close(struct group_offsets *go);

/* Where commits are persisted: fn appends one batch (rewriting its base
 * offset in place) and returns 0 or a negative error. */
typedef int group_offsets_sink_fn(void *arg, uint8_t *batch, size_t len);
void group_offsets_set_sink(struct group_offsets *go, group_offsets_sink_fn *fn,
                            void *arg);

/* Persists n offsets of one group as one batch, then updates the map.
 * Returns 0, or a negative error from the log (ERR_FAILED...), in which
 * case nothing changed in memory. */
int group_offsets_commit(struct group_offsets *go, struct slice group, size_t n,
                         const struct group_offset_commit *items, int64_t now);

/* The committed offset, or NULL. Valid until the next commit. */
const struct group_offset *group_offsets_get(const struct group_offsets *go,
                                             struct slice group,
                                             struct slice topic,
                                             int32_t partition);

/* Every committed partition of a group:
 *   for (size_t it = 0; group_offsets_next(go, g, &it, &t, &p, &o);) */
bool group_offsets_next(const struct group_offsets *go, struct slice group,
                        size_t *iter, const char **topic, int32_t *partition,
                        const struct group_offset **out);

/* Every group with at least one committed offset. */
bool group_offsets_next_group(const struct group_offsets *go, size_t *iter,
                              const char **group);

/* --- record codec (exposed for tests and tools) -------------------------
 * Appends key/value bytes; decode applies one record to the map. */
void group_offsets_encode_key(struct buf *out, struct slice group,
                              struct slice topic, int32_t partition);
void group_offsets_encode_value(struct buf *out, int64_t offset,
                                int32_t leader_epoch, struct slice metadata,
                                int64_t commit_ts);
/* Applies every record of the RecordBatch bytes in [p, p+n) (as read from
 * the topic). Unknown key versions are skipped. Returns records applied or
 * ERR_CORRUPT. */
int group_offsets_replay(struct group_offsets *go, const uint8_t *p, size_t n);
/* --- compaction (group_offsets_log.c runs it at start-up) ---------------
 * Writes every live offset (one batch each, its own commit timestamp) and
 * then a snapshot-end marker record (key version 32767, skipped by replay
 * as an unknown key) through fn. Returns the number of offsets written or
 * a negative error from fn. */
int group_offsets_snapshot(const struct group_offsets *go,
                           group_offsets_sink_fn *fn, void *arg);
/* Whether a replay met a snapshot-end marker (the snapshot is whole). */
bool group_offsets_snapshot_seen(const struct group_offsets *go);
/* Live (group, topic, partition) offsets plus live consumer-group
 * records (what a compaction keeps). */
size_t group_offsets_count(const struct group_offsets *go);

/* Deletes every committed offset of group (tombstones in the log first)
 * and forgets the group. Returns 0 or the sink's negative error (then
 * nothing is forgotten). */
int group_offsets_delete_group(struct group_offsets *go, struct slice group,
                               int64_t now);

/* Deletes the committed offsets of the given partitions (OffsetDelete;
 * offset, epoch and metadata of items are ignored; absent ones are
 * skipped), tombstones first. Returns 0 or the sink's negative error. */
int group_offsets_delete(struct group_offsets *go, struct slice group, size_t n,
                         const struct group_offset_commit *items, int64_t now);

/* --- consumer-group records (KIP-848, group_consumer.c) ------------------
 * Records whose key version is GROUP_RECORD_KEY_MIN..MAX (Kafka's
 * consumer-group records) are kept as they are, the latest value per key
 * (a null value removes the key): replayed at start-up, rewritten by
 * compaction, decoded by group_consumer.c (cgroups_load). */
#define GROUP_RECORD_KEY_MIN 3
#define GROUP_RECORD_KEY_MAX 8
/* Appends one batch of n such records through the sink (values[i].ptr
 * NULL = tombstone), then updates the map. 0, ERR_INVALID for a key of
 * another version, or the sink's negative error (nothing changed). */
int group_offsets_put_records(struct group_offsets *go, size_t n,
                              const struct slice *keys,
                              const struct slice *values, int64_t now);
/* Every live record:
 *   for (size_t it = 0; group_offsets_next_record(go, &it, &k, &v);) */
bool group_offsets_next_record(const struct group_offsets *go, size_t *iter,
                               struct slice *key, struct slice *value);

/* Builds the batch group_offsets_commit would append (for tests). */
int group_offsets_build_batch(struct buf *out, struct slice group, size_t n,
                              const struct group_offset_commit *items,
                              int64_t now);

#endif
