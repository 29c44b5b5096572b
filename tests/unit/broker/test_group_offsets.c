/* test_group_offsets.c - committed offsets: the map, the record codec
 * (Kafka's key v1 / value v3 bytes), and replay (latest wins) into a
 * fresh store, as at a broker restart. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/err.h"
#include "broker/group_offsets.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "../../harness.h"

static struct slice S(const char *s) {
    return slice_make(s, strlen(s));
}

/* Captures what would be appended to __consumer_offsets. */
static struct buf logbytes;
static int fail_next;

static int sink(void *arg, uint8_t *batch, size_t len)
{
    (void)arg;
    if (fail_next) {
        fail_next = 0;
        return ERR_FAILED;
    }
    buf_put(&logbytes, batch, len);
    return 0;
}

TEST(key_value_bytes)
{
    struct buf b;
    buf_init(&b);
    group_offsets_encode_key(&b, S("g"), S("t"), 3);
    static const uint8_t want_key[] = {0, 1, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 3};
    CHECK_EQ_INT(b.len, sizeof want_key);
    CHECK(memcmp(b.data, want_key, sizeof want_key) == 0);
    buf_reset(&b);
    group_offsets_encode_value(&b, 258, -1, slice_make(NULL, 0), 5);
    static const uint8_t want_val[] = {0, 3, 0,    0,    0,    0,    0,    0,
                                       1, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                       0, 0, 0,    0,    0,    0,    0,    5};
    CHECK_EQ_INT(b.len, sizeof want_val);
    CHECK(memcmp(b.data, want_val, sizeof want_val) == 0);
    buf_fini(&b);
}

TEST(commit_get_replay)
{
    struct group_offsets *go, *go2;
    buf_init(&logbytes);
    group_offsets_create(&go);
    group_offsets_set_sink(go, sink, NULL);
    CHECK(group_offsets_get(go, S("g"), S("t"), 0) == NULL);
    struct group_offset_commit c[3] = {
        {S("t"), 0, 10, -1, S("m0")},
        {S("t"), 1, 20, 5, slice_make(NULL, 0)},
        {S("u"), 0, 30, -1, S("")},
    };
    CHECK_EQ_INT(group_offsets_commit(go, S("g"), 3, c, 1000), 0);
    c[0].offset = 11; /* a later commit of t/0 wins */
    CHECK_EQ_INT(group_offsets_commit(go, S("g"), 1, c, 2000), 0);
    CHECK_EQ_INT(group_offsets_commit(go, S("h"), 1, &c[2], 3000), 0);
    /* A failed append changes nothing in memory. */
    fail_next = 1;
    c[0].offset = 99;
    CHECK_EQ_INT(group_offsets_commit(go, S("g"), 1, c, 4000), ERR_FAILED);

    const struct group_offset *o = group_offsets_get(go, S("g"), S("t"), 0);
    CHECK(o && o->offset == 11 && o->commit_ts == 2000);
    CHECK_EQ_STR(o->metadata, "m0");
    o = group_offsets_get(go, S("g"), S("t"), 1);
    CHECK(o && o->offset == 20 && o->leader_epoch == 5 && !o->metadata);

    group_offsets_create(&go2);
    CHECK_EQ_INT(group_offsets_replay(go2, logbytes.data, logbytes.len), 5);
    const char *groups[4];
    size_t ng = 0, it = 0;
    while (ng < 4 && group_offsets_next_group(go2, &it, &groups[ng]))
        ng++;
    CHECK_EQ_INT(ng, 2);
    o = group_offsets_get(go2, S("g"), S("t"), 0);
    CHECK(o && o->offset == 11);
    CHECK_EQ_STR(o->metadata, "m0");
    o = group_offsets_get(go2, S("g"), S("u"), 0);
    CHECK(o && o->offset == 30);
    CHECK_EQ_STR(o->metadata, "");
    o = group_offsets_get(go2, S("h"), S("u"), 0);
    CHECK(o && o->offset == 30 && o->commit_ts == 3000);
    CHECK(group_offsets_get(go2, S("h"), S("t"), 0) == NULL);
    size_t n = 0;
    const char *topic;
    int32_t part;
    it = 0;
    while (group_offsets_next(go2, S("g"), &it, &topic, &part, &o))
        n++;
    CHECK_EQ_INT(n, 3);
    /* Garbage is refused, not half-applied silently past the error. */
    uint8_t junk[80];
    memset(junk, 0x5a, sizeof junk);
    CHECK(group_offsets_replay(go2, junk, sizeof junk) < 0);
    group_offsets_close(go2);
    group_offsets_close(go);
    group_offsets_close(NULL);
    buf_fini(&logbytes);
}

/* Commit metadata is kept byte for byte, zero bytes included, also
 * through the log. */
TEST(metadata_with_zero_bytes)
{
    struct group_offsets *go, *go2;
    buf_init(&logbytes);
    group_offsets_create(&go);
    group_offsets_set_sink(go, sink, NULL);
    static const char meta[] = {'a', 0, 'b', 0, 0, 'c'};
    struct group_offset_commit c = {S("t"), 0, 5, -1,
                                    slice_make(meta, sizeof meta)};
    CHECK_EQ_INT(group_offsets_commit(go, S("g"), 1, &c, 1000), 0);
    const struct group_offset *o = group_offsets_get(go, S("g"), S("t"), 0);
    CHECK(o && o->metadata_len == sizeof meta &&
          memcmp(o->metadata, meta, sizeof meta) == 0);
    group_offsets_create(&go2);
    CHECK_EQ_INT(group_offsets_replay(go2, logbytes.data, logbytes.len), 1);
    o = group_offsets_get(go2, S("g"), S("t"), 0);
    CHECK(o && o->metadata_len == sizeof meta &&
          memcmp(o->metadata, meta, sizeof meta) == 0);
    group_offsets_close(go2);
    group_offsets_close(go);
    buf_fini(&logbytes);
}

/* OffsetDelete and DeleteGroups: tombstones first, then memory; a replay
 * of the log agrees; a group with nothing left is gone. */
TEST(delete_offsets_and_groups)
{
    struct group_offsets *go, *go2;
    buf_init(&logbytes);
    group_offsets_create(&go);
    group_offsets_set_sink(go, sink, NULL);
    struct group_offset_commit c[3] = {
        {S("t"), 0, 10, -1, S("m0")},
        {S("t"), 1, 20, -1, S("")},
        {S("u"), 0, 30, -1, S("")},
    };
    CHECK_EQ_INT(group_offsets_commit(go, S("g"), 3, c, 1000), 0);
    CHECK_EQ_INT(group_offsets_commit(go, S("h"), 1, c, 1000), 0);
    fail_next = 1;
    CHECK_EQ_INT(group_offsets_delete(go, S("g"), 1, c, 2000), ERR_FAILED);
    CHECK(group_offsets_get(go, S("g"), S("t"), 0) != NULL);
    struct group_offset_commit del[2] = {c[0], {S("zz"), 9, 0, -1, S("")}};
    CHECK_EQ_INT(group_offsets_delete(go, S("g"), 2, del, 2000), 0);
    CHECK(group_offsets_get(go, S("g"), S("t"), 0) == NULL);
    CHECK(group_offsets_get(go, S("g"), S("t"), 1) != NULL);
    CHECK_EQ_INT(group_offsets_delete_group(go, S("g"), 3000), 0);
    CHECK(group_offsets_get(go, S("g"), S("u"), 0) == NULL);
    CHECK_EQ_INT(group_offsets_delete_group(go, S("nope"), 3000), 0);
    const char *gid = NULL;
    size_t it = 0, ng = 0;
    while (group_offsets_next_group(go, &it, &gid))
        ng++;
    CHECK_EQ_INT(ng, 1);
    CHECK_EQ_STR(gid, "h");

    group_offsets_create(&go2);
    CHECK(group_offsets_replay(go2, logbytes.data, logbytes.len) > 0);
    it = ng = 0;
    while (group_offsets_next_group(go2, &it, &gid))
        ng++;
    CHECK_EQ_INT(ng, 1);
    CHECK(group_offsets_get(go2, S("h"), S("t"), 0) != NULL);
    CHECK(group_offsets_get(go2, S("g"), S("t"), 1) == NULL);
    group_offsets_close(go2);
    group_offsets_close(go);
    buf_fini(&logbytes);
}

/* Through a real data directory: commit, close, reopen, replay. */
TEST(persist_across_reopen)
{
    char dir[] = "/tmp/rill-test-goffs-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct logdir_options o;
    logdir_options_init(&o);
    o.no_flusher = true;
    struct logdir *ld = NULL;
    CHECK_EQ_INT(logdir_open(dir, &o, &ld), 0);
    struct group_offsets *go = NULL;
    CHECK_EQ_INT(group_offsets_open(ld, &go), 0);
    CHECK(logdir_partition(ld, GROUP_OFFSETS_TOPIC, 0) != NULL);
    for (int i = 0; i < 50; i++) {
        struct group_offset_commit c = {S("t"), i % 4, 100 + i, -1, S("x")};
        CHECK_EQ_INT(group_offsets_commit(go, S(i % 2 ? "odd" : "even"), 1, &c,
                                          1000 + i),
                     0);
    }
    CHECK_EQ_INT(
        partition_high_watermark(logdir_partition(ld, GROUP_OFFSETS_TOPIC, 0)),
        50);
    group_offsets_close(go);
    logdir_close(ld);

    CHECK_EQ_INT(logdir_open(dir, &o, &ld), 0);
    CHECK_EQ_INT(group_offsets_open(ld, &go), 0);
    /* even: i = 0,2,..,48 -> partitions 0 and 2; the last of each wins. */
    const struct group_offset *g = group_offsets_get(go, S("even"), S("t"), 0);
    CHECK(g && g->offset == 148);
    g = group_offsets_get(go, S("even"), S("t"), 2);
    CHECK(g && g->offset == 146);
    g = group_offsets_get(go, S("odd"), S("t"), 3);
    CHECK(g && g->offset == 147 && g->commit_ts == 1047);
    CHECK(group_offsets_get(go, S("odd"), S("t"), 0) == NULL);
    /* And it keeps appending after the replay. */
    struct group_offset_commit c = {S("t"), 0, 999, -1, S("")};
    CHECK_EQ_INT(group_offsets_commit(go, S("odd"), 1, &c, 5000), 0);
    group_offsets_close(go);
    logdir_close(ld);
    CHECK_EQ_INT(logdir_open(dir, &o, &ld), 0);
    CHECK_EQ_INT(group_offsets_open(ld, &go), 0);
    g = group_offsets_get(go, S("odd"), S("t"), 0);
    CHECK(g && g->offset == 999);
    group_offsets_close(go);
    logdir_close(ld);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

static int part_sink(void *arg, uint8_t *batch, size_t len)
{
    return partition_append(arg, batch, len, NULL);
}

static int64_t topic_end(struct logdir *ld, const char *name)
{
    struct partition *p = logdir_partition(ld, name, 0);
    return p ? partition_high_watermark(p) : -1;
}

/* Start-up compaction: 2,000 commits over 10 keys shrink to 10 records
 * (+ the marker) at the next open, values and timestamps intact; an
 * interrupted compaction is dropped when its snapshot is partial and wins
 * when it is whole. */
TEST(compaction_at_open)
{
    char dir[] = "/tmp/rill-test-gcompact-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct logdir_options o;
    logdir_options_init(&o);
    o.no_flusher = true;
    struct logdir *ld = NULL;
    CHECK_EQ_INT(logdir_open(dir, &o, &ld), 0);
    struct group_offsets *go = NULL;
    CHECK_EQ_INT(group_offsets_open(ld, &go), 0);
    for (int i = 0; i < 2000; i++) {
        struct group_offset_commit c = {S("t"), i % 10, i, 7, S("m")};
        CHECK_EQ_INT(group_offsets_commit(go, S("g"), 1, &c, 10000 + i), 0);
    }
    group_offsets_close(go);
    logdir_close(ld);

    CHECK_EQ_INT(logdir_open(dir, &o, &ld), 0);
    CHECK_EQ_INT(group_offsets_open(ld, &go), 0);
    CHECK_EQ_INT(topic_end(ld, GROUP_OFFSETS_TOPIC), 11);
    CHECK_EQ_INT(topic_end(ld, GROUP_OFFSETS_TOPIC "_compact"), -1);
    CHECK_EQ_INT(group_offsets_count(go), 10);
    for (int p = 0; p < 10; p++) {
        const struct group_offset *g = group_offsets_get(go, S("g"), S("t"), p);
        CHECK(g && g->offset == 1990 + p && g->commit_ts == 11990 + p &&
              g->leader_epoch == 7 && g->metadata &&
              strcmp(g->metadata, "m") == 0);
    }
    /* Commits after the compaction land in the new topic. */
    struct group_offset_commit c = {S("t"), 3, 5000, -1, S("")};
    CHECK_EQ_INT(group_offsets_commit(go, S("g"), 1, &c, 20000), 0);
    group_offsets_close(go);
    logdir_close(ld);

    /* A partial snapshot (no marker) left by a crash: dropped, the topic
     * stays as it was (no new compaction: 12 records for 10 offsets). */
    CHECK_EQ_INT(logdir_open(dir, &o, &ld), 0);
    struct logdir_topic_config cfg;
    logdir_topic_config_init(&cfg);
    cfg.partitions = 1;
    CHECK_EQ_INT(logdir_topic_create(ld, GROUP_OFFSETS_TOPIC "_compact", &cfg),
                 0);
    struct group_offsets *other;
    group_offsets_create(&other);
    group_offsets_set_sink(
        other, part_sink,
        logdir_partition(ld, GROUP_OFFSETS_TOPIC "_compact", 0));
    struct group_offset_commit bogus = {S("t"), 3, 1, -1, S("")};
    CHECK_EQ_INT(group_offsets_commit(other, S("g"), 1, &bogus, 1), 0);
    CHECK_EQ_INT(group_offsets_open(ld, &go), 0);
    CHECK_EQ_INT(topic_end(ld, GROUP_OFFSETS_TOPIC "_compact"), -1);
    CHECK_EQ_INT(topic_end(ld, GROUP_OFFSETS_TOPIC), 12);
    const struct group_offset *g = group_offsets_get(go, S("g"), S("t"), 3);
    CHECK(g && g->offset == 5000);
    group_offsets_close(go);

    /* A whole snapshot (with its marker) left by a crash after the old
     * topic was deleted: it wins and the topic is rebuilt from it. */
    CHECK_EQ_INT(logdir_topic_create(ld, GROUP_OFFSETS_TOPIC "_compact", &cfg),
                 0);
    CHECK_EQ_INT(group_offsets_snapshot(
                     other, part_sink,
                     logdir_partition(ld, GROUP_OFFSETS_TOPIC "_compact", 0)),
                 1);
    CHECK_EQ_INT(logdir_topic_delete(ld, GROUP_OFFSETS_TOPIC), 0);
    CHECK_EQ_INT(group_offsets_open(ld, &go), 0);
    CHECK_EQ_INT(topic_end(ld, GROUP_OFFSETS_TOPIC "_compact"), -1);
    CHECK_EQ_INT(topic_end(ld, GROUP_OFFSETS_TOPIC), 2);
    g = group_offsets_get(go, S("g"), S("t"), 3);
    CHECK(g && g->offset == 1 && g->commit_ts == 1);
    CHECK_EQ_INT(group_offsets_count(go), 1);
    group_offsets_close(go);
    group_offsets_close(other);
    logdir_close(ld);
    /* And survives a plain reopen. */
    CHECK_EQ_INT(logdir_open(dir, &o, &ld), 0);
    CHECK_EQ_INT(group_offsets_open(ld, &go), 0);
    g = group_offsets_get(go, S("g"), S("t"), 3);
    CHECK(g && g->offset == 1);
    group_offsets_close(go);
    logdir_close(ld);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

/* KIP-848 group records (key versions 3-8): latest per key, a tombstone
 * removes, replay and snapshot keep them; other versions are refused. */
TEST(consumer_group_records)
{
    struct group_offsets *go, *again, *snap;
    group_offsets_create(&go);
    buf_reset(&logbytes);
    group_offsets_set_sink(go, sink, NULL);
    uint8_t k3[] = {0, 3, 0, 1, 'g'}, k5[] = {0, 5, 0, 1, 'g', 0, 1, 'm'};
    uint8_t k1[] = {0, 1, 0, 1, 'g'};
    struct slice keys[] = {slice_make(k3, sizeof k3),
                           slice_make(k5, sizeof k5)};
    struct slice vals[] = {S("epoch-1"), S("member")};
    CHECK_EQ_INT(group_offsets_put_records(go, 2, keys, vals, 7), 0);
    vals[0] = S("epoch-2");
    CHECK_EQ_INT(group_offsets_put_records(go, 1, keys, vals, 8), 0);
    struct slice bad = slice_make(k1, sizeof k1);
    CHECK_EQ_INT(group_offsets_put_records(go, 1, &bad, vals, 8), ERR_INVALID);
    struct slice tomb = slice_make(NULL, 0);
    CHECK_EQ_INT(group_offsets_put_records(go, 1, &keys[1], &tomb, 9), 0);
    CHECK_EQ_INT(group_offsets_count(go), 1);
    struct slice k, v;
    size_t it = 0, n = 0;
    while (group_offsets_next_record(go, &it, &k, &v)) {
        CHECK(k.len == sizeof k3 && v.len == 7 && !memcmp(v.ptr, "epoch-2", 7));
        n++;
    }
    CHECK_EQ_INT(n, 1);
    /* The same from the log bytes. */
    group_offsets_create(&again);
    CHECK_EQ_INT(group_offsets_replay(again, logbytes.data, logbytes.len), 4);
    CHECK_EQ_INT(group_offsets_count(again), 1);
    it = 0;
    CHECK(group_offsets_next_record(again, &it, &k, &v) && v.len == 7 &&
          !memcmp(v.ptr, "epoch-2", 7));
    /* A snapshot carries it (and its marker). */
    buf_reset(&logbytes);
    CHECK_EQ_INT(group_offsets_snapshot(again, sink, NULL), 1);
    group_offsets_create(&snap);
    group_offsets_replay(snap, logbytes.data, logbytes.len);
    CHECK(group_offsets_snapshot_seen(snap));
    CHECK_EQ_INT(group_offsets_count(snap), 1);
    group_offsets_close(snap);
    group_offsets_close(again);
    group_offsets_close(go);
}

int main(void)
{
    diag_set_level(DIAG_WARN);
    RUN(key_value_bytes);
    RUN(commit_get_replay);
    RUN(delete_offsets_and_groups);
    RUN(metadata_with_zero_bytes);
    RUN(persist_across_reopen);
    RUN(compaction_at_open);
    RUN(consumer_group_records);
    return harness_summary("test_group_offsets");
}
