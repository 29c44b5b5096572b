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

int main(void)
{
    diag_set_level(DIAG_WARN);
    RUN(key_value_bytes);
    RUN(commit_get_replay);
    RUN(persist_across_reopen);
    return harness_summary("test_group_offsets");
}
