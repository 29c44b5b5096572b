/* group_offsets.c - committed offsets in memory and in __consumer_offsets
 * (layer: broker).
 *
 * The records use Kafka's own offset-commit key (version 1) and value
 * (version 3) layouts, so a Kafka tool reading the topic would understand
 * them; all integers big-endian, STRING = int16 length + bytes (-1 null):
 *
 *   key                              value (version 3)
 *   off size field                   off size field
 *   0   2    version = 1             0   2    version = 3
 *   2   2+g  group STRING            2   8    offset int64
 *   .   2+t  topic STRING            10  4    leader_epoch int32 (-1)
 *   .   4    partition int32         14  2+m  metadata nullable STRING
 *                                    .   8    commit_timestamp int64 (ms)
 *
 * A record with a null value deletes the key (Kafka's tombstone; rill
 * writes them when a group is deleted). Replay applies records in offset order,
 * so the latest commit for a key wins. Other key versions (Kafka's group
 * metadata, version 2) are skipped; Kafka's consumer-group records (key
 * versions 3-8, KIP-848) are kept as opaque key/value bytes, latest per key,
 * for group_consumer.c. Batches are uncompressed, producer id -1.
 */
#include "broker/group_offsets.h"

#include <stdio.h>
#include <string.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/hashmap.h"
#include "base/mem.h"
#include "log/record_batch.h"

#define KEY_VERSION_OFFSET 1
#define KEY_VERSION_SNAPSHOT_END 32767 /* rill's own marker */
#define VALUE_VERSION 3

struct oentry {
    char *topic;
    int32_t partition;
    char *metadata; /* NULL = null */
    struct group_offset o;
};

struct ogroup {
    char *id;
    struct hashmap parts; /* topic '\0' be32(partition) -> struct oentry */
};

/* A consumer-group record: value bytes (the key is the map's). */
struct grec {
    uint8_t *value;
    size_t len;
};

struct group_offsets {
    group_offsets_sink_fn *sink; /* NULL: memory only */
    struct hashmap records;      /* key bytes -> struct grec */
    void *sink_arg;
    struct hashmap groups; /* id -> struct ogroup */
    struct buf scratch;
    size_t count;      /* live entries */
    bool snapshot_end; /* a replay met the snapshot-end marker */
};

/* --- codec --------------------------------------------------------------- */

static void put_string(struct buf *out, struct slice s, bool null)
{
    if (null) {
        buf_put_i16(out, -1);
        return;
    }
    buf_put_i16(out, (int16_t)s.len);
    if (s.len)
        buf_put(out, s.ptr, s.len);
}

void group_offsets_encode_key(struct buf *out, struct slice group,
                              struct slice topic, int32_t partition)
{
    buf_put_i16(out, KEY_VERSION_OFFSET);
    put_string(out, group, false);
    put_string(out, topic, false);
    buf_put_i32(out, partition);
}

void group_offsets_encode_value(struct buf *out, int64_t offset,
                                int32_t leader_epoch, struct slice metadata,
                                int64_t commit_ts)
{
    buf_put_i16(out, VALUE_VERSION);
    buf_put_i64(out, offset);
    buf_put_i32(out, leader_epoch);
    put_string(out, metadata, metadata.ptr == NULL);
    buf_put_i64(out, commit_ts);
}

/* Reads a STRING; *null set for length -1. */
static struct slice read_string(struct buf_reader *r, bool *null)
{
    int16_t n = buf_read_i16(r);
    *null = n < 0;
    if (n < 0)
        return slice_make(NULL, 0);
    return buf_read_bytes(r, (size_t)n);
}

/* --- the map ------------------------------------------------------------- */

static struct ogroup *find_group(const struct group_offsets *go,
                                 struct slice group)
{
    /* As in group_coord.c: an id is cut at a NUL byte. */
    if (group.ptr)
        group.len = strnlen((const char *)group.ptr, group.len);
    return hashmap_get(&go->groups, group.ptr ? group.ptr : (const void *)"",
                       group.len);
}

/* Builds the partition key into buf k; returns its length. */
static size_t part_key(struct buf *k, struct slice topic, int32_t partition)
{
    buf_reset(k);
    if (topic.len)
        buf_put(k, topic.ptr, topic.len);
    buf_put_u8(k, 0);
    buf_put_i32(k, partition);
    return k->len;
}

static void entry_free(struct oentry *e)
{
    mem_free(e->topic);
    mem_free(e->metadata);
    mem_free(e);
}

static void apply(struct group_offsets *go, struct slice group,
                  struct slice topic, int32_t partition, bool tombstone,
                  int64_t offset, int32_t leader_epoch, struct slice metadata,
                  bool metadata_null, int64_t ts)
{
    if (group.ptr)
        group.len = strnlen((const char *)group.ptr, group.len);
    struct ogroup *g = find_group(go, group);
    size_t klen = part_key(&go->scratch, topic, partition);
    if (tombstone) {
        if (g) {
            struct oentry *e =
                hashmap_remove(&g->parts, go->scratch.data, klen);
            if (e) {
                entry_free(e);
                go->count--;
            }
            if (hashmap_count(&g->parts) == 0) {
                /* A group with no offsets left is gone (DeleteGroups). */
                hashmap_remove(&go->groups, g->id, strlen(g->id));
                hashmap_fini(&g->parts);
                mem_free(g->id);
                mem_free(g);
            }
        }
        return;
    }
    if (!g) {
        g = mem_calloc(1, sizeof *g);
        g->id =
            mem_strndup(group.len ? (const char *)group.ptr : "", group.len);
        hashmap_init(&g->parts);
        hashmap_put(&go->groups, g->id, group.len, g);
    }
    struct oentry *e = hashmap_get(&g->parts, go->scratch.data, klen);
    if (!e) {
        e = mem_calloc(1, sizeof *e);
        e->topic =
            mem_strndup(topic.len ? (const char *)topic.ptr : "", topic.len);
        e->partition = partition;
        hashmap_put(&g->parts, go->scratch.data, klen, e);
        go->count++;
    }
    mem_free(e->metadata);
    e->metadata = NULL;
    e->o.metadata_len = 0;
    if (!metadata_null) {
        /* A copy of every byte: metadata may hold zero bytes. */
        e->metadata = mem_alloc(metadata.len + 1);
        if (metadata.len)
            memcpy(e->metadata, metadata.ptr, metadata.len);
        e->metadata[metadata.len] = '\0';
        e->o.metadata_len = metadata.len;
    }
    e->o.offset = offset;
    e->o.leader_epoch = leader_epoch;
    e->o.metadata = e->metadata;
    e->o.commit_ts = ts;
}

static void record_set(struct group_offsets *go, struct slice key,
                       struct slice value)
{
    struct grec *r = value.ptr ? mem_alloc(sizeof(*r)) : NULL;
    if (r) {
        r->len = value.len;
        r->value = mem_alloc(value.len ? value.len : 1);
        if (value.len)
            memcpy(r->value, value.ptr, value.len);
    }
    struct grec *old = r ? hashmap_put(&go->records, key.ptr, key.len, r)
                         : hashmap_remove(&go->records, key.ptr, key.len);
    if (old) {
        mem_free(old->value);
        mem_free(old);
    }
}

/* Applies one record; returns 1 applied, 0 skipped, ERR_CORRUPT. */
static int apply_record(struct group_offsets *go, const struct record *rec)
{
    if (rec->key_null)
        return 0;
    struct buf_reader kr;
    buf_reader_init(&kr, rec->key.ptr, rec->key.len);
    int16_t kv = buf_read_i16(&kr);
    if (kv == KEY_VERSION_SNAPSHOT_END && buf_reader_ok(&kr))
        go->snapshot_end = true;
    if (kv >= GROUP_RECORD_KEY_MIN && kv <= GROUP_RECORD_KEY_MAX &&
        buf_reader_ok(&kr)) {
        record_set(go, rec->key,
                   rec->value_null ? slice_make(NULL, 0) : rec->value);
        return 1;
    }
    if (kv != 0 && kv != KEY_VERSION_OFFSET)
        return 0; /* group metadata or a future key: not ours */
    bool null;
    struct slice group = read_string(&kr, &null);
    struct slice topic = read_string(&kr, &null);
    int32_t partition = buf_read_i32(&kr);
    if (!buf_reader_ok(&kr))
        return ERR_CORRUPT;
    if (rec->value_null) {
        apply(go, group, topic, partition, true, 0, 0, slice_make(NULL, 0),
              true, 0);
        return 1;
    }
    struct buf_reader vr;
    buf_reader_init(&vr, rec->value.ptr, rec->value.len);
    int16_t vv = buf_read_i16(&vr);
    int64_t offset = buf_read_i64(&vr);
    int32_t epoch = -1;
    if (vv >= 3)
        epoch = buf_read_i32(&vr);
    bool mnull;
    struct slice meta = read_string(&vr, &mnull);
    int64_t ts = buf_read_i64(&vr);
    if (!buf_reader_ok(&vr) || vv < 0 || vv > 3)
        return ERR_CORRUPT;
    apply(go, group, topic, partition, false, offset, epoch, meta, mnull, ts);
    return 1;
}

int group_offsets_replay(struct group_offsets *go, const uint8_t *p, size_t n)
{
    struct record_batch_walk w;
    struct record_batch_header h;
    const uint8_t *batch;
    size_t len;
    struct buf dec;
    int applied = 0, rc = 0;
    buf_init(&dec);
    record_batch_walk_init(&w, p, n);
    while ((rc = record_batch_walk_next(&w, &h, &batch, &len)) > 0) {
        if (record_batch_attr_control(h.attributes))
            continue;
        struct record_iter it;
        rc = record_iter_init(&it, batch, len, &dec);
        if (rc < 0)
            goto out;
        struct record rec;
        while ((rc = record_iter_next(&it, &rec)) > 0) {
            int a = apply_record(go, &rec);
            if (a < 0) {
                rc = a;
                goto out;
            }
            applied += a;
        }
        if (rc < 0)
            goto out;
    }
    rc = rc < 0 ? rc : 0;
out:
    buf_fini(&dec);
    return rc < 0 ? ERR_CORRUPT : applied;
}

int group_offsets_build_batch(struct buf *out, struct slice group, size_t n,
                              const struct group_offset_commit *items,
                              int64_t now)
{
    struct record_batch_builder b;
    struct buf key, value;
    int rc = 0;
    record_batch_builder_init(&b, COMPRESS_NONE);
    buf_init(&key);
    buf_init(&value);
    for (size_t i = 0; i < n; i++) {
        buf_reset(&key);
        buf_reset(&value);
        group_offsets_encode_key(&key, group, items[i].topic,
                                 items[i].partition);
        group_offsets_encode_value(&value, items[i].offset,
                                   items[i].leader_epoch, items[i].metadata,
                                   now);
        struct slice ks = slice_make(key.data, key.len);
        struct slice vs = slice_make(value.data, value.len);
        rc = record_batch_builder_add(&b, &ks, &vs, now, NULL, 0);
        if (rc < 0)
            goto out;
    }
    rc = record_batch_builder_finish(&b, out);
out:
    buf_fini(&value);
    buf_fini(&key);
    record_batch_builder_fini(&b);
    return rc;
}

/* --- store --------------------------------------------------------------- */

void group_offsets_create(struct group_offsets **out)
{
    struct group_offsets *go = mem_calloc(1, sizeof *go);
    hashmap_init(&go->groups);
    hashmap_init(&go->records);
    buf_init(&go->scratch);
    *out = go;
}

void group_offsets_set_sink(struct group_offsets *go, group_offsets_sink_fn *fn,
                            void *arg)
{
    go->sink = fn;
    go->sink_arg = arg;
}

void group_offsets_close(struct group_offsets *go)
{
    if (!go)
        return;
    struct hashmap_entry *e, *pe;
    for (size_t it = 0; hashmap_next(&go->groups, &it, &e);) {
        struct ogroup *g = e->value;
        for (size_t jt = 0; hashmap_next(&g->parts, &jt, &pe);)
            entry_free(pe->value);
        hashmap_fini(&g->parts);
        mem_free(g->id);
        mem_free(g);
    }
    hashmap_fini(&go->groups);
    for (size_t it = 0; hashmap_next(&go->records, &it, &e);) {
        struct grec *r = e->value;
        mem_free(r->value);
        mem_free(r);
    }
    hashmap_fini(&go->records);
    buf_fini(&go->scratch);
    mem_free(go);
}

int group_offsets_commit(struct group_offsets *go, struct slice group, size_t n,
                         const struct group_offset_commit *items, int64_t now)
{
    if (n == 0)
        return 0;
    if (go->sink) {
        struct buf batch;
        buf_init(&batch);
        int rc = group_offsets_build_batch(&batch, group, n, items, now);
        if (rc == 0)
            rc = go->sink(go->sink_arg, batch.data, batch.len);
        buf_fini(&batch);
        if (rc < 0) {
            diag_warn("groups: cannot persist offsets of %.*s: %s",
                      (int)group.len, (const char *)group.ptr, err_str(rc));
            return rc;
        }
    }
    for (size_t i = 0; i < n; i++)
        apply(go, group, items[i].topic, items[i].partition, false,
              items[i].offset, items[i].leader_epoch, items[i].metadata,
              items[i].metadata.ptr == NULL, now);
    return 0;
}

static int delete_items(struct group_offsets *go, struct slice group,
                        const struct group_offset_commit *items, size_t k,
                        int64_t now);

int group_offsets_delete_group(struct group_offsets *go, struct slice group,
                               int64_t now)
{
    struct ogroup *g = find_group(go, group);
    if (!g)
        return 0;
    size_t n = hashmap_count(&g->parts), k = 0;
    struct group_offset_commit *items = mem_calloc(n ? n : 1, sizeof *items);
    struct hashmap_entry *e;
    for (size_t it = 0; hashmap_next(&g->parts, &it, &e) && k < n;) {
        struct oentry *oe = e->value;
        items[k].topic = slice_make(oe->topic, strlen(oe->topic));
        items[k].partition = oe->partition;
        k++;
    }
    int rc = delete_items(go, group, items, k, now);
    mem_free(items);
    return rc;
}

int group_offsets_delete(struct group_offsets *go, struct slice group, size_t n,
                         const struct group_offset_commit *items, int64_t now)
{
    /* Only what is there gets a tombstone. */
    struct group_offset_commit *have = mem_calloc(n ? n : 1, sizeof *have);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (group_offsets_get(go, group, items[i].topic, items[i].partition))
            have[k++] = items[i];
    int rc = delete_items(go, group, have, k, now);
    mem_free(have);
    return rc;
}

static int delete_items(struct group_offsets *go, struct slice group,
                        const struct group_offset_commit *items, size_t k,
                        int64_t now)
{
    int rc = 0;
    if (go->sink && k > 0) {
        struct record_batch_builder b;
        struct buf key, batch;
        record_batch_builder_init(&b, COMPRESS_NONE);
        buf_init(&key);
        buf_init(&batch);
        for (size_t i = 0; i < k && rc == 0; i++) {
            buf_reset(&key);
            group_offsets_encode_key(&key, group, items[i].topic,
                                     items[i].partition);
            struct slice ks = slice_make(key.data, key.len);
            rc = record_batch_builder_add(&b, &ks, NULL, now, NULL, 0);
        }
        if (rc == 0)
            rc = record_batch_builder_finish(&b, &batch);
        if (rc == 0)
            rc = go->sink(go->sink_arg, batch.data, batch.len);
        buf_fini(&batch);
        buf_fini(&key);
        record_batch_builder_fini(&b);
        if (rc < 0)
            diag_warn("groups: cannot persist the deletion of %.*s: %s",
                      (int)group.len, (const char *)group.ptr, err_str(rc));
    }
    /* The last tombstone frees the group (and the topics items point to
     * belong to entries freed one by one, each after its own use). */
    for (size_t i = 0; i < k && rc == 0; i++)
        apply(go, group, items[i].topic, items[i].partition, true, 0, -1,
              slice_make(NULL, 0), true, now);
    return rc;
}

const struct group_offset *group_offsets_get(const struct group_offsets *go,
                                             struct slice group,
                                             struct slice topic,
                                             int32_t partition)
{
    struct ogroup *g = find_group(go, group);
    if (!g)
        return NULL;
    /* A key on the stack: topic names are at most 249 bytes. */
    uint8_t k[512];
    if (topic.len + 5 > sizeof k)
        return NULL;
    if (topic.len)
        memcpy(k, topic.ptr, topic.len);
    k[topic.len] = 0;
    be32_store(k + topic.len + 1, (uint32_t)partition);
    struct oentry *e = hashmap_get(&g->parts, k, topic.len + 5);
    return e ? &e->o : NULL;
}

bool group_offsets_next(const struct group_offsets *go, struct slice group,
                        size_t *iter, const char **topic, int32_t *partition,
                        const struct group_offset **out)
{
    struct ogroup *g = find_group(go, group);
    struct hashmap_entry *e;
    if (!g || !hashmap_next(&g->parts, iter, &e))
        return false;
    struct oentry *oe = e->value;
    *topic = oe->topic;
    *partition = oe->partition;
    *out = &oe->o;
    return true;
}

bool group_offsets_next_group(const struct group_offsets *go, size_t *iter,
                              const char **group)
{
    struct hashmap_entry *e;
    if (!hashmap_next(&go->groups, iter, &e))
        return false;
    *group = ((struct ogroup *)e->value)->id;
    return true;
}

/* --- consumer-group records ------------------------------------------------
 */

static int records_batch(struct buf *out, size_t n, const struct slice *keys,
                         const struct slice *values, int64_t now)
{
    struct record_batch_builder b;
    record_batch_builder_init(&b, COMPRESS_NONE);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = record_batch_builder_add(
            &b, &keys[i], values[i].ptr ? &values[i] : NULL, now, NULL, 0);
    if (rc == 0)
        rc = record_batch_builder_finish(&b, out);
    record_batch_builder_fini(&b);
    return rc;
}

int group_offsets_put_records(struct group_offsets *go, size_t n,
                              const struct slice *keys,
                              const struct slice *values, int64_t now)
{
    for (size_t i = 0; i < n; i++) {
        int16_t kv = keys[i].len >= 2 ? (int16_t)be16_load(keys[i].ptr) : -1;
        if (kv < GROUP_RECORD_KEY_MIN || kv > GROUP_RECORD_KEY_MAX)
            return ERR_INVALID;
    }
    if (n == 0)
        return 0;
    if (go->sink) {
        struct buf batch;
        buf_init(&batch);
        int rc = records_batch(&batch, n, keys, values, now);
        if (rc == 0)
            rc = go->sink(go->sink_arg, batch.data, batch.len);
        buf_fini(&batch);
        if (rc < 0) {
            diag_warn("groups: cannot persist consumer-group records: %s",
                      err_str(rc));
            return rc;
        }
    }
    for (size_t i = 0; i < n; i++)
        record_set(go, keys[i], values[i]);
    return 0;
}

bool group_offsets_next_record(const struct group_offsets *go, size_t *iter,
                               struct slice *key, struct slice *value)
{
    struct hashmap_entry *e;
    if (!hashmap_next(&go->records, iter, &e))
        return false;
    const struct grec *r = e->value;
    *key = slice_make(e->key, e->key_len);
    *value = slice_make(r->value, r->len);
    return true;
}

/* --- compaction ----------------------------------------------------------- */

static int snapshot_end_batch(struct buf *out)
{
    struct record_batch_builder b;
    struct buf key;
    buf_init(&key);
    buf_put_i16(&key, KEY_VERSION_SNAPSHOT_END);
    struct slice ks = slice_make(key.data, key.len);
    struct slice vs = slice_make("snapshot end", 12);
    record_batch_builder_init(&b, COMPRESS_NONE);
    int rc = record_batch_builder_add(&b, &ks, &vs, 0, NULL, 0);
    if (rc == 0)
        rc = record_batch_builder_finish(&b, out);
    record_batch_builder_fini(&b);
    buf_fini(&key);
    return rc;
}

int group_offsets_snapshot(const struct group_offsets *go,
                           group_offsets_sink_fn *fn, void *arg)
{
    struct buf batch;
    struct hashmap_entry *ge, *pe;
    int rc = 0, n = 0;
    buf_init(&batch);
    for (size_t it = 0; hashmap_next(&go->groups, &it, &ge);) {
        const struct ogroup *g = ge->value;
        struct slice group = slice_make(g->id, strlen(g->id));
        for (size_t jt = 0; hashmap_next(&g->parts, &jt, &pe);) {
            const struct oentry *e = pe->value;
            struct group_offset_commit item;
            item.topic = slice_make(e->topic, strlen(e->topic));
            item.partition = e->partition;
            item.offset = e->o.offset;
            item.leader_epoch = e->o.leader_epoch;
            item.metadata = e->metadata
                                ? slice_make(e->metadata, e->o.metadata_len)
                                : slice_make(NULL, 0);
            buf_reset(&batch);
            rc = group_offsets_build_batch(&batch, group, 1, &item,
                                           e->o.commit_ts);
            if (rc == 0)
                rc = fn(arg, batch.data, batch.len);
            if (rc < 0)
                goto out;
            n++;
        }
    }
    struct hashmap_entry *re;
    for (size_t it = 0; hashmap_next(&go->records, &it, &re);) {
        const struct grec *r = re->value;
        struct slice k = slice_make(re->key, re->key_len);
        struct slice v = slice_make(r->value, r->len);
        buf_reset(&batch);
        rc = records_batch(&batch, 1, &k, &v, 0);
        if (rc == 0)
            rc = fn(arg, batch.data, batch.len);
        if (rc < 0)
            goto out;
        n++;
    }
    buf_reset(&batch);
    rc = snapshot_end_batch(&batch);
    if (rc == 0)
        rc = fn(arg, batch.data, batch.len);
out:
    buf_fini(&batch);
    return rc < 0 ? rc : n;
}

bool group_offsets_snapshot_seen(const struct group_offsets *go)
{
    return go->snapshot_end;
}

size_t group_offsets_count(const struct group_offsets *go)
{
    return go->count + hashmap_count(&go->records);
}
