/* test_checkpoint.c - operator state for checkpoints (issue 10): a window
 * aggregate snapshotted mid-stream and restored into a fresh operator goes
 * on exactly as the original (TUMBLE with lateness, HOP, SESSION, plain
 * GROUP BY with EMIT CHANGES); states that own heap memory are refused;
 * every truncation or corruption of a snapshot is refused, never trusted.
 */
#include <stdio.h>
#include <string.h>

#include "../../harness.h"
#include "base/buf.h"
#include "base/err.h"
#include "stream/watermark.h"
#include "stream/window_agg.h"

static struct schema in_schema;

/* Output rows rendered "k|start|end|count|sum", per operator. */
struct out {
    char rows[512][96];
    int n;
};

static int collect(void *arg, const struct row_batch *b)
{
    struct out *o = arg;
    for (int r = 0; r < b->nrows && o->n < 512; r++) {
        char *s = o->rows[o->n++];
        size_t at = 0;
        for (int c = 0; c < b->ncolumns; c++) {
            struct value v = row_batch_get(b, r, c);
            const char *sep = c ? "|" : "";
            if (v.type == SCHEMA_STRING)
                at += (size_t)snprintf(s + at, 96 - at, "%s%.*s", sep,
                                       (int)v.u.str.len, v.u.str.ptr);
            else if (v.type == SCHEMA_DOUBLE)
                at += (size_t)snprintf(s + at, 96 - at, "%s%g", sep, v.u.f64);
            else if (v.type == SCHEMA_NULL)
                at += (size_t)snprintf(s + at, 96 - at, "%sNULL", sep);
            else
                at += (size_t)snprintf(s + at, 96 - at, "%s%lld", sep,
                                       (long long)v.u.i64);
        }
    }
    return 0;
}

static struct window_agg *make(enum window_kind k, int64_t lateness_ms,
                               enum emit_mode emit, enum agg_func f,
                               struct out *o)
{
    struct window_agg_config c;
    memset(&c, 0, sizeof(c));
    c.window.kind = k;
    c.window.size_ms = 10000;
    c.window.slide_ms = 5000;
    c.window.gap_ms = 3000;
    c.nkeys = 1;
    c.naggs = 2;
    c.aggs[0].func = AGG_COUNT_STAR;
    c.aggs[1].func = f;
    c.aggs[1].column = 1;
    c.allowed_lateness_ms = lateness_ms;
    c.emit = emit;
    struct window_agg *wa = NULL;
    CHECK_EQ_INT(window_agg_create(&in_schema, &c, collect, o, &wa), 0);
    return wa;
}

/* Row i of a deterministic stream: 7 keys, times wandering forward with
 * some disorder. */
static void feed(struct window_agg *wa, int from, int to)
{
    struct row_batch *b;
    row_batch_create(&in_schema, 64, &b);
    for (int i = from; i < to; i++) {
        char key[8];
        snprintf(key, sizeof key, "k%d", (i * 5) % 7);
        int r = row_batch_begin_row(b);
        row_batch_set(b, r, 0, value_string(key, (uint32_t)strlen(key)));
        row_batch_set(b, r, 1, value_double((i * 37) % 101 / 4.0));
        int64_t ts = (int64_t)i * 700 - (i % 5) * 900;
        struct row_meta m = {ts, i, ts, 0, INT64_MIN};
        row_batch_commit_row(b, &m);
        if (row_batch_full(b) || i == to - 1) {
            CHECK_EQ_INT(window_agg_push(wa, b), 0);
            CHECK_EQ_INT(window_agg_flush(wa), 0);
            row_batch_reset(b);
        }
    }
    row_batch_destroy(b);
}

static void step(struct window_agg *wa, int64_t wm)
{
    CHECK_EQ_INT(window_agg_advance(wa, wm), 0);
    CHECK_EQ_INT(window_agg_flush(wa), 0);
}

/* Runs the stream through a, snapshots at row `cut`, restores into b and
 * runs the rest through both: equal outputs after the cut. */
static void roundtrip(enum window_kind k, int64_t lateness, enum emit_mode em)
{
    static struct out oa, ob;
    memset(&oa, 0, sizeof oa);
    memset(&ob, 0, sizeof ob);
    struct window_agg *a = make(k, lateness, em, AGG_SUM, &oa);
    feed(a, 0, 60);
    step(a, 60 * 700 - 6000);
    struct buf snap;
    buf_init(&snap);
    CHECK_EQ_INT(window_agg_snapshot(a, &snap), 0);
    int before = oa.n;
    struct window_agg *b = make(k, lateness, em, AGG_SUM, &ob);
    CHECK_EQ_INT(window_agg_restore(b, snap.data, snap.len), 0);
    CHECK_EQ_INT(window_agg_watermark(b), window_agg_watermark(a));
    struct window_agg_stats sa, sb;
    window_agg_stats(a, &sa);
    window_agg_stats(b, &sb);
    CHECK_EQ_INT(sa.groups_live, sb.groups_live);
    CHECK_EQ_INT(sa.keys, sb.keys);
    for (int i = 60; i < 120; i += 15) {
        feed(a, i, i + 15);
        feed(b, i, i + 15);
        step(a, (i + 15) * 700 - 6000);
        step(b, (i + 15) * 700 - 6000);
    }
    step(a, INT64_MAX - 1);
    step(b, INT64_MAX - 1);
    CHECK(oa.n > before);
    CHECK_EQ_INT(oa.n - before, ob.n);
    for (int i = 0; i < ob.n && i + before < oa.n; i++)
        CHECK_EQ_STR(oa.rows[before + i], ob.rows[i]);
    buf_fini(&snap);
    window_agg_destroy(a);
    window_agg_destroy(b);
}

TEST(tumble_with_lateness)
{
    roundtrip(WINDOW_TUMBLE, 4000, EMIT_FINAL);
}

TEST(hop)
{
    roundtrip(WINDOW_HOP, 0, EMIT_FINAL);
}

TEST(session)
{
    roundtrip(WINDOW_SESSION, 1000, EMIT_FINAL);
}

TEST(group_by_changes)
{
    roundtrip(WINDOW_NONE, 0, EMIT_CHANGES);
}

TEST(heap_states_refused)
{
    static struct out o;
    struct window_agg *wa =
        make(WINDOW_TUMBLE, 0, EMIT_FINAL, AGG_COUNT_DISTINCT, &o);
    const char *why = NULL;
    CHECK(!window_agg_checkpointable(wa, &why));
    CHECK(why && strstr(why, "DISTINCT"));
    struct buf b;
    buf_init(&b);
    CHECK_EQ_INT(window_agg_snapshot(wa, &b), ERR_UNSUPPORTED);
    buf_fini(&b);
    window_agg_destroy(wa);
}

TEST(damaged_snapshots_refused)
{
    static struct out o;
    struct window_agg *a = make(WINDOW_TUMBLE, 0, EMIT_FINAL, AGG_SUM, &o);
    feed(a, 0, 40);
    struct buf snap;
    buf_init(&snap);
    CHECK_EQ_INT(window_agg_snapshot(a, &snap), 0);
    for (size_t n = 0; n < snap.len; n++) {
        struct window_agg *b = make(WINDOW_TUMBLE, 0, EMIT_FINAL, AGG_SUM, &o);
        CHECK(window_agg_restore(b, snap.data, n) != 0);
        window_agg_destroy(b);
    }
    /* Another configuration's snapshot. */
    struct window_agg *h = make(WINDOW_HOP, 0, EMIT_FINAL, AGG_SUM, &o);
    CHECK_EQ_INT(window_agg_restore(h, snap.data, snap.len), ERR_CORRUPT);
    window_agg_destroy(h);
    /* A restore into an operator that holds state already. */
    CHECK_EQ_INT(window_agg_restore(a, snap.data, snap.len), ERR_INVALID);
    buf_fini(&snap);
    window_agg_destroy(a);
}

int main(void)
{
    schema_init(&in_schema);
    schema_add(&in_schema, "k", SCHEMA_STRING, false, NULL);
    schema_add(&in_schema, "v", SCHEMA_DOUBLE, true, NULL);
    RUN(tumble_with_lateness);
    RUN(hop);
    RUN(session);
    RUN(group_by_changes);
    RUN(heap_states_refused);
    RUN(damaged_snapshots_refused);
    return harness_summary("test_checkpoint");
}
