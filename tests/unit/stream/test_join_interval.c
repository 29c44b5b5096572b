/* test_join_interval.c - the interval join operator on its own: pairs
 * within the bounds only, outer rows exactly when the watermark closes
 * their interval, late rows (counted, handed over in their stream's
 * schema, never joined), NULL keys, state that drains to nothing, big
 * rows, and many keys coming and going (the key table's deletions). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../../harness.h"
#include "base/err.h"
#include "stream/join_interval.h"
#include "stream/operator.h"

/* input: $side, $ts, $k, lv (left's), rv (right's) */
static struct schema in_schema, left_schema, right_schema;
static const char *names[] = {"l.ts", "l.k", "l.lv", "r.ts", "r.k", "r.rv"};

static char out_rows[4096][96];
static int nout, nall;
static char late_rows[64][96];
static int nlate;

static void render(const struct row_batch *b, int r, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = 0;
    for (int c = 0; c < b->ncolumns && at < n; c++) {
        struct value v = row_batch_get(b, r, c);
        const char *sep = c ? "|" : "";
        if (v.type == SCHEMA_NULL)
            at += (size_t)snprintf(buf + at, n - at, "%sNULL", sep);
        else if (v.type == SCHEMA_STRING)
            at += (size_t)snprintf(buf + at, n - at, "%s%.*s", sep,
                                   v.u.str.len > 20 ? 20 : (int)v.u.str.len,
                                   v.u.str.ptr);
        else if (v.type == SCHEMA_TIMESTAMP)
            at += (size_t)snprintf(buf + at, n - at, "%s%lld", sep,
                                   (long long)(v.u.i64 / 1000));
        else
            at += (size_t)snprintf(buf + at, n - at, "%s%d", sep, v.u.i32);
    }
}

static int collect(void *arg, const struct row_batch *b)
{
    (void)arg;
    nall += b->nrows;
    for (int i = 0; i < b->nrows; i++)
        if (nout < 4096)
            render(b, i, out_rows[nout++], sizeof out_rows[0]);
    return 0;
}

static void on_late(void *arg, const struct row_batch *b, int row)
{
    (void)arg;
    if (nlate < 64)
        render(b, row, late_rows[nlate++], sizeof late_rows[0]);
}

struct fixture {
    struct operator_node *op, *sink;
    struct interval_join *j;
    struct row_batch *b;
};

static const char *wnames[] = {"l.ts", "l.k", "l.lv", "l.ws", "l.we",
                               "r.ts", "r.k", "r.rv", "r.ws", "r.we"};

static bool temporal;

static void setup_w(struct fixture *f, enum join_type type, int64_t lower_s,
                    int64_t upper_s, int64_t window_s)
{
    nout = nall = nlate = 0;
    struct interval_join_config c = {
        .type = type,
        .side_column = 0,
        .nkeys = 1,
        .keys = {2},
        .lower_ms = lower_s * 1000,
        .upper_ms = upper_s * 1000,
        .side = {{3, {1, 2, 3}, &left_schema}, {3, {1, 2, 4}, &right_schema}},
        .names = window_s ? wnames : names,
        .window_size_ms = window_s * 1000,
        .temporal = temporal,
        .late = on_late,
    };
    CHECK_EQ_INT(
        operator_interval_join_create(&in_schema, 256, &c, &f->op, &f->j), 0);
    CHECK_EQ_INT(
        operator_sink_create(f->op->out_schema, collect, NULL, &f->sink), 0);
    f->op->next = f->sink;
    CHECK_EQ_INT(row_batch_create(&in_schema, 256, &f->b), 0);
}

static void setup(struct fixture *f, enum join_type type, int64_t lower_s,
                  int64_t upper_s)
{
    setup_w(f, type, lower_s, upper_s, 0);
}

static void teardown(struct fixture *f)
{
    operator_destroy_chain(f->op);
    row_batch_destroy(f->b);
}

/* One row: side 0 (left, payload lv = n) or 1 (right, payload rv = s). */
static void add(struct fixture *f, int side, int64_t ts_s, const char *k,
                int lv, const char *rv, int64_t wm_s)
{
    struct value v[5] = {
        value_int(side), value_timestamp(ts_s * 1000),
        k ? value_string(k, (uint32_t)strlen(k)) : value_null(),
        side ? value_null() : value_int(lv),
        side ? value_string(rv, (uint32_t)strlen(rv)) : value_null()};
    struct row_meta m = {ts_s * 1000, 7, ts_s * 1000, 0,
                         wm_s == INT64_MIN ? INT64_MIN : wm_s * 1000};
    CHECK(row_batch_append(f->b, v, &m, true) >= 0);
}

static void push(struct fixture *f)
{
    CHECK_EQ_INT(f->op->ops->push(f->op, f->b), 0);
    row_batch_reset(f->b);
}

static void advance(struct fixture *f, int64_t wm_s)
{
    CHECK_EQ_INT(
        f->op->ops->advance(f->op, wm_s == INT64_MAX ? INT64_MAX : wm_s * 1000),
        0);
}

TEST(inner_pairs_within_bounds)
{
    struct fixture f;
    setup(&f, JOIN_INNER, -60, 0); /* l.ts in [r.ts - 60 s, r.ts] */
    add(&f, 0, 10, "a", 1, NULL, INT64_MIN);
    add(&f, 0, 10, "b", 2, NULL, INT64_MIN);
    push(&f);
    CHECK_EQ_INT(nout, 0);
    add(&f, 1, 40, "a", 0, "x", INT64_MIN); /* 10 - 40 = -30: pair */
    add(&f, 1, 71, "a", 0, "y", INT64_MIN); /* -61: none */
    add(&f, 1, 9, "a", 0, "z", INT64_MIN);  /* +1: none */
    add(&f, 1, 10, "b", 0, "w", INT64_MIN); /* 0: pair (bound included) */
    push(&f);
    CHECK_EQ_INT(nout, 2);
    CHECK_EQ_STR(out_rows[0], "10|a|1|40|a|x");
    CHECK_EQ_STR(out_rows[1], "10|b|2|10|b|w");
    /* a left row arriving later finds the stored right rows */
    add(&f, 0, 70, "a", 3, NULL, INT64_MIN); /* 70-40=30 no; 70-71=-1 yes */
    push(&f);
    CHECK_EQ_INT(nout, 3);
    CHECK_EQ_STR(out_rows[2], "70|a|3|71|a|y");
    struct interval_join_stats st;
    interval_join_stats(f.j, &st);
    CHECK_EQ_INT(st.pairs, 3);
    CHECK_EQ_INT(st.live_rows, 7);
    advance(&f, INT64_MAX);
    interval_join_stats(f.j, &st);
    CHECK_EQ_INT(st.live_rows, 0);
    CHECK_EQ_INT(st.state_bytes, 0);
    CHECK_EQ_INT(nout, 3); /* inner: nothing more */
    teardown(&f);
}

TEST(outer_rows_when_their_interval_closes)
{
    struct fixture f;
    setup(&f, JOIN_FULL, -60, 5); /* l.ts - r.ts in [-60 s, 5 s] */
    add(&f, 0, 100, "a", 1, NULL, INT64_MIN);
    add(&f, 1, 100, "b", 0, "x", INT64_MIN);
    push(&f);
    /* a right row can still match left rows up to r.ts + 5: due 105 */
    advance(&f, 104);
    CHECK_EQ_INT(nout, 0);
    advance(&f, 105);
    CHECK_EQ_INT(nout, 1);
    CHECK_EQ_STR(out_rows[0], "NULL|NULL|NULL|100|b|x");
    /* a left row can still match right rows up to l.ts + 60: due 160 */
    advance(&f, 159);
    CHECK_EQ_INT(nout, 1);
    advance(&f, 160);
    CHECK_EQ_INT(nout, 2);
    CHECK_EQ_STR(out_rows[1], "100|a|1|NULL|NULL|NULL");
    /* matched rows are not emitted again */
    add(&f, 0, 200, "c", 2, NULL, 170);
    add(&f, 1, 230, "c", 0, "y", 170);
    push(&f);
    CHECK_EQ_INT(nout, 3);
    advance(&f, INT64_MAX);
    CHECK_EQ_INT(nout, 3);
    teardown(&f);
}

TEST(late_rows_counted_and_handed_over)
{
    struct fixture f;
    setup(&f, JOIN_LEFT, -60, 0);
    add(&f, 1, 50, "a", 0, "x", 10);
    push(&f);
    /* at or below the watermark it saw: late, even though it would match */
    add(&f, 0, 20, "a", 1, NULL, 20);
    add(&f, 1, 5, "a", 0, "old", 20);
    add(&f, 0, 21, "a", 2, NULL, 20); /* above: pairs with x */
    push(&f);
    CHECK_EQ_INT(nlate, 2);
    CHECK_EQ_STR(late_rows[0], "20|a|1");
    CHECK_EQ_STR(late_rows[1], "5|a|old");
    CHECK_EQ_INT(nout, 1);
    CHECK_EQ_STR(out_rows[0], "21|a|2|50|a|x");
    struct interval_join_stats st;
    interval_join_stats(f.j, &st);
    CHECK_EQ_INT(st.rows_late, 2);
    advance(&f, INT64_MAX);
    CHECK_EQ_INT(nout, 1); /* the late left row is never emitted */
    teardown(&f);
}

TEST(null_keys_match_nothing)
{
    struct fixture f;
    setup(&f, JOIN_LEFT, -10, 10);
    add(&f, 0, 10, NULL, 1, NULL, INT64_MIN);
    add(&f, 1, 10, NULL, 0, "x", INT64_MIN);
    push(&f);
    /* left: final at once, NULL-padded; right (inner side): dropped */
    CHECK_EQ_INT(nout, 1);
    CHECK_EQ_STR(out_rows[0], "10|NULL|1|NULL|NULL|NULL");
    advance(&f, INT64_MAX);
    CHECK_EQ_INT(nout, 1);
    teardown(&f);
}

TEST(state_drains_and_big_rows)
{
    struct fixture f;
    setup(&f, JOIN_INNER, -2, 2);
    static char big[40000];
    memset(big, 'q', sizeof big - 1);
    for (int64_t t = 0; t < 20000; t++) {
        char k[8];
        snprintf(k, sizeof k, "k%d", (int)(t / 2 % 5));
        add(&f, (int)(t & 1), t, k, (int)t, t % 1000 == 1 ? big : "r", t - 1);
        if (f.b->nrows == 200) {
            push(&f);
            advance(&f, t - 1);
            struct interval_join_stats st;
            interval_join_stats(f.j, &st);
            CHECK(st.live_rows < 400); /* bounded by the watermark */
        }
    }
    push(&f);
    advance(&f, INT64_MAX);
    struct interval_join_stats st;
    interval_join_stats(f.j, &st);
    CHECK_EQ_INT(st.live_rows, 0);
    CHECK_EQ_INT(st.state_bytes, 0);
    /* rows 2m (left) and 2m + 1 (right) share a key, which comes back
     * only 10 s later: one pair each */
    CHECK_EQ_INT(st.pairs, 10000);
    CHECK_EQ_INT(nall, 10000);
    teardown(&f);
}

TEST(many_keys_come_and_go)
{
    struct fixture f;
    setup(&f, JOIN_INNER, 0, 0); /* same second only */
    /* 3000 keys, stored left rows at staggered times, so keys leave the
     * table in an order unrelated to their slots; the right rows of the
     * keys still live must all find their partner. */
    char k[16];
    for (int i = 0; i < 3000; i++) {
        snprintf(k, sizeof k, "key%d", (i * 7919) % 3000);
        add(&f, 0, 1000 + (i % 50), k, i, NULL, INT64_MIN);
        if (f.b->nrows == 256)
            push(&f);
    }
    push(&f);
    advance(&f, 1024); /* rows at 1000..1024 go */
    struct interval_join_stats st;
    interval_join_stats(f.j, &st);
    CHECK_EQ_INT(st.live_rows, 3000 - 25 * 60);
    for (int i = 0; i < 3000; i++) {
        snprintf(k, sizeof k, "key%d", (i * 7919) % 3000);
        add(&f, 1, 1000 + (i % 50), k, 0, "r", 1024);
        if (f.b->nrows == 256)
            push(&f);
    }
    push(&f);
    interval_join_stats(f.j, &st);
    CHECK_EQ_INT(st.pairs, 3000 - 25 * 60);
    CHECK_EQ_INT(st.rows_late, 25 * 60);
    teardown(&f);
}

TEST(window_join_tumble)
{
    struct fixture f;
    setup_w(&f, JOIN_LEFT, 0, 0, 60); /* TUMBLE 60 s */
    add(&f, 0, 10, "a", 1, NULL, INT64_MIN);
    add(&f, 0, 20, "b", 2, NULL, INT64_MIN);
    add(&f, 1, 50, "a", 0, "x", INT64_MIN); /* same window: pair */
    add(&f, 1, 70, "a", 0, "y", INT64_MIN); /* next window: none */
    push(&f);
    CHECK_EQ_INT(nout, 1);
    CHECK_EQ_STR(out_rows[0], "10|a|1|0|60|50|a|x|0|60");
    /* at or below the watermark, but its window is open: not late */
    add(&f, 0, 30, "a", 3, NULL, 40);
    push(&f);
    CHECK_EQ_INT(nlate, 0);
    CHECK_EQ_INT(nout, 2);
    CHECK_EQ_STR(out_rows[1], "30|a|3|0|60|50|a|x|0|60");
    /* b never matched: emitted when [0, 60) closes (watermark 59.999) */
    advance(&f, 58);
    CHECK_EQ_INT(nout, 2);
    CHECK_EQ_INT(f.op->ops->advance(f.op, 59999), 0);
    CHECK_EQ_INT(nout, 3);
    CHECK_EQ_STR(out_rows[2], "20|b|2|0|60|NULL|NULL|NULL|NULL|NULL");
    /* its window closed: late */
    add(&f, 0, 45, "a", 4, NULL, 60);
    push(&f);
    CHECK_EQ_INT(nlate, 1);
    CHECK_EQ_STR(late_rows[0], "45|a|4");
    advance(&f, INT64_MAX);
    CHECK_EQ_INT(nout, 3); /* the right row y is on the inner side */
    teardown(&f);
}

TEST(temporal_versions)
{
    struct fixture f;
    temporal = true;
    setup_w(&f, JOIN_LEFT, 0, 0, 0);
    temporal = false;
    add(&f, 1, 0, "a", 0, "A", INT64_MIN);
    add(&f, 0, 10, "a", 1, NULL, INT64_MIN);
    add(&f, 1, 30, "a", 0, "C", INT64_MIN);
    add(&f, 0, 25, "a", 2, NULL, INT64_MIN);
    add(&f, 0, 30, "a", 3, NULL, INT64_MIN);
    add(&f, 0, 12, "b", 4, NULL, INT64_MIN);
    push(&f);
    CHECK_EQ_INT(nout, 0); /* rows wait for the watermark */
    advance(&f, 25);
    CHECK_EQ_INT(nout, 3);
    CHECK_EQ_STR(out_rows[0], "10|a|1|0|a|A");
    CHECK_EQ_STR(out_rows[1], "12|b|4|NULL|NULL|NULL");
    CHECK_EQ_STR(out_rows[2], "25|a|2|0|a|A");
    /* a version at or below the watermark is late */
    add(&f, 1, 20, "a", 0, "late", 25);
    push(&f);
    CHECK_EQ_INT(nlate, 1);
    advance(&f, 30);
    CHECK_EQ_INT(nout, 4);
    CHECK_EQ_STR(out_rows[3], "30|a|3|30|a|C");
    /* A is gone (C is at or below the watermark), C stays */
    struct interval_join_stats st;
    interval_join_stats(f.j, &st);
    CHECK_EQ_INT(st.live_rows, 1);
    add(&f, 0, 40, "a", 5, NULL, 30);
    push(&f);
    advance(&f, INT64_MAX);
    CHECK_EQ_INT(nout, 5);
    CHECK_EQ_STR(out_rows[4], "40|a|5|30|a|C");
    teardown(&f);
}

int main(void)
{
    schema_init(&in_schema);
    schema_add(&in_schema, "$side", SCHEMA_INT, true, NULL);
    schema_add(&in_schema, "$ts", SCHEMA_TIMESTAMP, true, NULL);
    schema_add(&in_schema, "$k", SCHEMA_STRING, true, NULL);
    schema_add(&in_schema, "lv", SCHEMA_INT, true, NULL);
    schema_add(&in_schema, "rv", SCHEMA_STRING, true, NULL);
    schema_init(&left_schema);
    schema_add(&left_schema, "ts", SCHEMA_TIMESTAMP, true, NULL);
    schema_add(&left_schema, "k", SCHEMA_STRING, true, NULL);
    schema_add(&left_schema, "lv", SCHEMA_INT, true, NULL);
    schema_init(&right_schema);
    schema_add(&right_schema, "ts", SCHEMA_TIMESTAMP, true, NULL);
    schema_add(&right_schema, "k", SCHEMA_STRING, true, NULL);
    schema_add(&right_schema, "rv", SCHEMA_STRING, true, NULL);
    RUN(inner_pairs_within_bounds);
    RUN(outer_rows_when_their_interval_closes);
    RUN(late_rows_counted_and_handed_over);
    RUN(null_keys_match_nothing);
    RUN(state_drains_and_big_rows);
    RUN(many_keys_come_and_go);
    RUN(window_join_tumble);
    RUN(temporal_versions);
    return harness_summary("test_join_interval");
}
