/* test_window.c - window assigners, aggregates and the window operator's
 * golden outputs on a virtual clock: in-order, out-of-order, late within
 * the allowed lateness (re-emission), late beyond it (side output and
 * per-partition counters), EMIT CHANGES, sessions merging, HOP, CUMULATE,
 * plain GROUP BY and every aggregate function. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../harness.h"
#include "base/err.h"
#include "row/scalar.h"
#include "stream/watermark.h"
#include "stream/window_agg.h"

static struct schema in_schema;

/* Rendered output rows, "k|start|end|agg1|agg2..." (times in seconds). */
static char out_rows[256][160];
static int nout;
static int late_rows[64];
static int nlate;

static void render(const struct row_batch *b, int r, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = 0;
    for (int c = 0; c < b->ncolumns && at < n; c++) {
        struct value v = row_batch_get(b, r, c);
        const char *sep = c ? "|" : "";
        switch (v.type) {
        case SCHEMA_NULL:
            at += (size_t)snprintf(buf + at, n - at, "%sNULL", sep);
            break;
        case SCHEMA_STRING:
            at += (size_t)snprintf(buf + at, n - at, "%s%.*s", sep,
                                   (int)v.u.str.len, v.u.str.ptr);
            break;
        case SCHEMA_TIMESTAMP:
            at += (size_t)snprintf(buf + at, n - at, "%s%lld", sep,
                                   (long long)(v.u.i64 / 1000));
            break;
        case SCHEMA_DOUBLE:
            at += (size_t)snprintf(buf + at, n - at, "%s%g", sep, v.u.f64);
            break;
        case SCHEMA_BOOLEAN:
            at += (size_t)snprintf(buf + at, n - at, "%s%d", sep, v.u.b);
            break;
        case SCHEMA_INT:
            at += (size_t)snprintf(buf + at, n - at, "%s%d", sep, v.u.i32);
            break;
        case SCHEMA_BIGINT:
            at += (size_t)snprintf(buf + at, n - at, "%s%lld", sep,
                                   (long long)v.u.i64);
            break;
        }
    }
}

static int collect(void *arg, const struct row_batch *b)
{
    (void)arg;
    for (int r = 0; r < b->nrows && nout < 256; r++)
        render(b, r, out_rows[nout++], sizeof(out_rows[0]));
    return 0;
}

static void on_late(void *arg, const struct row_batch *in, int row)
{
    (void)arg;
    if (nlate < 64)
        late_rows[nlate++] = (int)(in->meta[row].event_ts / 1000);
}

static void reset_out(void)
{
    nout = 0;
    nlate = 0;
}

/* One input row: key, value, event time in seconds, partition. */
struct in_row {
    const char *key;
    double v;
    int64_t ts_s;
    int part;
};

static void feed(struct window_agg *wa, const struct in_row *rows, int n)
{
    struct row_batch *b;
    row_batch_create(&in_schema, 64, &b);
    for (int i = 0; i < n; i++) {
        int r = row_batch_begin_row(b);
        row_batch_set(b, r, 0,
                      value_string(rows[i].key, (uint32_t)strlen(rows[i].key)));
        row_batch_set(b, r, 1, value_double(rows[i].v));
        struct row_meta m = {rows[i].ts_s * 1000, i, rows[i].ts_s * 1000,
                             rows[i].part, INT64_MIN};
        row_batch_commit_row(b, &m);
    }
    CHECK_EQ_INT(window_agg_push(wa, b), 0);
    row_batch_destroy(b);
}

static struct window_agg *make(enum window_kind k, int64_t size_s,
                               int64_t slide_s, int64_t lateness_s,
                               enum emit_mode emit)
{
    struct window_agg_config c;
    memset(&c, 0, sizeof(c));
    c.window.kind = k;
    c.window.size_ms = size_s * 1000;
    c.window.slide_ms = slide_s * 1000;
    c.window.gap_ms = size_s * 1000;
    c.nkeys = 1;
    c.keys[0] = 0;
    c.naggs = 2;
    c.aggs[0].func = AGG_COUNT_STAR;
    c.aggs[1].func = AGG_SUM;
    c.aggs[1].column = 1;
    c.allowed_lateness_ms = lateness_s * 1000;
    c.emit = emit;
    c.late = on_late;
    struct window_agg *wa = NULL;
    CHECK_EQ_INT(window_agg_create(&in_schema, &c, collect, NULL, &wa), 0);
    return wa;
}

static void advance(struct window_agg *wa, int64_t wm_s)
{
    CHECK_EQ_INT(window_agg_advance(wa, wm_s * 1000), 0);
    CHECK_EQ_INT(window_agg_flush(wa), 0);
}

static bool has_row(const char *want)
{
    for (int i = 0; i < nout; i++)
        if (strcmp(out_rows[i], want) == 0)
            return true;
    fprintf(stderr, "  missing row %s; have:", want);
    for (int i = 0; i < nout; i++)
        fprintf(stderr, " [%s]", out_rows[i]);
    fprintf(stderr, "\n");
    return false;
}

TEST(assigners)
{
    int64_t s[WINDOW_MAX_PER_ROW], e[WINDOW_MAX_PER_ROW];
    struct window_spec t = {WINDOW_TUMBLE, 10, 0, 0, 0};
    CHECK_EQ_INT(window_assign(&t, 25, s, e), 1);
    CHECK(s[0] == 20 && e[0] == 30);
    CHECK_EQ_INT(window_assign(&t, -1, s, e), 1);
    CHECK(s[0] == -10 && e[0] == 0);
    t.offset_ms = 3;
    window_assign(&t, 25, s, e);
    CHECK(s[0] == 23 && e[0] == 33);
    window_assign(&t, 22, s, e);
    CHECK(s[0] == 13);
    struct window_spec h = {WINDOW_HOP, 10, 5, 0, 0};
    CHECK_EQ_INT(window_assign(&h, 12, s, e), 2);
    CHECK(s[0] == 5 && e[0] == 15 && s[1] == 10 && e[1] == 20);
    struct window_spec c = {WINDOW_CUMULATE, 10, 2, 0, 0};
    CHECK_EQ_INT(window_assign(&c, 13, s, e), 4);
    CHECK(s[0] == 10 && e[0] == 14 && e[3] == 20);
    CHECK_EQ_INT(window_assign(&c, 10, s, e), 5);
    struct window_spec bad = {WINDOW_HOP, 10, 3, 0, 0};
    CHECK_EQ_INT(window_spec_check(&bad), ERR_INVALID);
    struct window_spec bad2 = {WINDOW_TUMBLE, 0, 0, 0, 0};
    CHECK_EQ_INT(window_spec_check(&bad2), ERR_INVALID);
}

TEST(tumble_in_order_and_out_of_order)
{
    reset_out();
    struct window_agg *wa = make(WINDOW_TUMBLE, 10, 0, 0, EMIT_FINAL);
    struct in_row r[] = {{"a", 1, 1, 0},
                         {"b", 2, 3, 0},
                         {"a", 3, 9, 0},
                         {"a", 4, 12, 0},
                         {"a", 5, 5, 0} /* out of order */};
    feed(wa, r, 5);
    CHECK_EQ_INT(nout, 0); /* FINAL: nothing before the watermark */
    advance(wa, 9);        /* 9.000 < end - 1 = 9.999 */
    CHECK_EQ_INT(nout, 0);
    CHECK_EQ_INT(window_agg_advance(wa, 9999), 0);
    window_agg_flush(wa);
    CHECK_EQ_INT(nout, 2);
    CHECK(has_row("a|0|10|3|9"));
    CHECK(has_row("b|0|10|1|2"));
    advance(wa, 30);
    CHECK_EQ_INT(nout, 3);
    CHECK(has_row("a|10|20|1|4"));
    struct window_agg_stats st;
    window_agg_stats(wa, &st);
    CHECK_EQ_INT(st.rows_in, 5);
    CHECK_EQ_INT(st.windows_fired, 3);
    CHECK_EQ_INT(st.groups_live, 0);
    CHECK_EQ_INT(st.rows_late, 0);
    window_agg_destroy(wa);
}

TEST(late_within_lateness_reemits)
{
    reset_out();
    struct window_agg *wa = make(WINDOW_TUMBLE, 10, 0, 5, EMIT_FINAL);
    struct in_row r1[] = {{"a", 1, 1, 0}, {"a", 2, 2, 0}};
    feed(wa, r1, 2);
    advance(wa, 10); /* fires [0,10) */
    CHECK_EQ_INT(nout, 1);
    CHECK(has_row("a|0|10|2|3"));
    /* within lateness (end - 1 + 5 = 14.999 > wm 10): updated final row */
    struct in_row r2[] = {{"a", 10, 4, 1}, {"a", 20, 8, 1}};
    feed(wa, r2, 2);
    window_agg_flush(wa);
    CHECK_EQ_INT(nout, 2); /* one re-emission per batch */
    CHECK(strcmp(out_rows[1], "a|0|10|4|33") == 0);
    struct window_agg_stats st;
    window_agg_stats(wa, &st);
    CHECK_EQ_INT(st.rows_late_within, 2);
    CHECK_EQ_INT(st.rows_late, 0);
    CHECK_EQ_INT(st.groups_live, 1);
    advance(wa, 15); /* purged now */
    window_agg_stats(wa, &st);
    CHECK_EQ_INT(st.groups_live, 0);
    CHECK_EQ_INT(st.windows_purged, 1);
    /* beyond lateness: side output, counted per partition */
    struct in_row r3[] = {{"a", 100, 3, 2}, {"b", 1, 9, 3}, {"a", 7, 16, 2}};
    feed(wa, r3, 3);
    CHECK_EQ_INT(nlate, 2);
    CHECK_EQ_INT(late_rows[0], 3);
    CHECK_EQ_INT(late_rows[1], 9);
    window_agg_stats(wa, &st);
    CHECK_EQ_INT(st.rows_late, 2);
    CHECK_EQ_INT(window_agg_late_count(wa, 2), 1);
    CHECK_EQ_INT(window_agg_late_count(wa, 3), 1);
    CHECK_EQ_INT(window_agg_late_count(wa, 0), 0);
    CHECK_EQ_INT(nout, 2); /* the late rows changed nothing */
    advance(wa, 40);
    CHECK(has_row("a|10|20|1|7"));
    window_agg_destroy(wa);
}

TEST(late_beyond_zero_lateness)
{
    reset_out();
    struct window_agg *wa = make(WINDOW_TUMBLE, 10, 0, 0, EMIT_FINAL);
    struct in_row r1[] = {{"a", 1, 1, 0}};
    feed(wa, r1, 1);
    advance(wa, 10);
    struct in_row r2[] = {{"a", 1, 9, 4}};
    feed(wa, r2, 1);
    CHECK_EQ_INT(nlate, 1);
    CHECK_EQ_INT(window_agg_late_count(wa, 4), 1);
    CHECK_EQ_INT(nout, 1);
    window_agg_destroy(wa);
}

TEST(emit_changes)
{
    reset_out();
    struct window_agg *wa = make(WINDOW_TUMBLE, 10, 0, 0, EMIT_CHANGES);
    struct in_row r1[] = {{"a", 1, 1, 0}, {"a", 2, 2, 0}, {"b", 5, 3, 0}};
    feed(wa, r1, 3);
    window_agg_flush(wa);
    CHECK_EQ_INT(nout, 2);
    CHECK(has_row("a|0|10|2|3"));
    CHECK(has_row("b|0|10|1|5"));
    struct in_row r2[] = {{"a", 4, 5, 0}};
    feed(wa, r2, 1);
    window_agg_flush(wa);
    CHECK_EQ_INT(nout, 3);
    CHECK(strcmp(out_rows[2], "a|0|10|3|7") == 0);
    advance(wa, 20); /* no final row in CHANGES mode */
    CHECK_EQ_INT(nout, 3);
    window_agg_destroy(wa);
}

TEST(session_merging)
{
    reset_out();
    /* gap 5 s */
    struct window_agg *wa = make(WINDOW_SESSION, 5, 0, 0, EMIT_FINAL);
    struct in_row r1[] = {{"a", 1, 0, 0}, {"a", 1, 10, 0}, {"b", 1, 1, 0}};
    feed(wa, r1, 3);
    struct window_agg_stats st;
    window_agg_stats(wa, &st);
    CHECK_EQ_INT(st.groups_live, 3); /* a:[0,5) a:[10,15) b:[1,6) */
    /* a row at 5 bridges a's two sessions: [0,5] touches [5,10] touches
     * [10,15) */
    struct in_row r2[] = {{"a", 1, 5, 0}};
    feed(wa, r2, 1);
    window_agg_stats(wa, &st);
    CHECK_EQ_INT(st.groups_live, 2);
    CHECK_EQ_INT(st.sessions_merged, 1);
    advance(wa, 14);
    CHECK_EQ_INT(nout, 1);
    CHECK(has_row("b|1|6|1|1"));
    advance(wa, 15);
    CHECK_EQ_INT(nout, 2);
    CHECK(has_row("a|0|15|3|3"));
    window_agg_destroy(wa);
}

TEST(hop_and_cumulate)
{
    reset_out();
    struct window_agg *wa = make(WINDOW_HOP, 10, 5, 0, EMIT_FINAL);
    struct in_row r[] = {{"a", 1, 3, 0}, {"a", 2, 7, 0}, {"a", 4, 12, 0}};
    feed(wa, r, 3);
    advance(wa, 100);
    CHECK_EQ_INT(nout, 4);
    CHECK(has_row("a|-5|5|1|1"));
    CHECK(has_row("a|0|10|2|3"));
    CHECK(has_row("a|5|15|2|6"));
    CHECK(has_row("a|10|20|1|4"));
    window_agg_destroy(wa);

    reset_out();
    wa = make(WINDOW_CUMULATE, 10, 5, 0, EMIT_FINAL);
    feed(wa, r, 3);
    advance(wa, 100);
    CHECK_EQ_INT(nout, 4);
    CHECK(has_row("a|0|5|1|1"));
    CHECK(has_row("a|0|10|2|3"));
    CHECK(has_row("a|10|15|1|4"));
    CHECK(has_row("a|10|20|1|4"));
    window_agg_destroy(wa);
}

TEST(hop_partly_late_row)
{
    reset_out();
    struct window_agg *wa = make(WINDOW_HOP, 10, 5, 0, EMIT_FINAL);
    struct in_row r[] = {{"a", 1, 12, 0}};
    feed(wa, r, 1);
    advance(wa, 10); /* [0,10) would be too late, [5,15) is open */
    struct in_row r2[] = {{"a", 2, 7, 1}};
    feed(wa, r2, 1);
    CHECK_EQ_INT(nlate, 1);
    advance(wa, 100);
    CHECK(has_row("a|5|15|2|3"));
    window_agg_destroy(wa);
}

TEST(plain_group_by)
{
    reset_out();
    struct window_agg *wa = make(WINDOW_NONE, 0, 0, 0, EMIT_CHANGES);
    CHECK_EQ_INT(window_agg_schema(wa)->ncolumns, 3);
    struct in_row r[] = {{"a", 1, 3, 0}, {"b", 2, 7, 0}, {"a", 4, 12, 0}};
    feed(wa, r, 3);
    window_agg_flush(wa);
    CHECK_EQ_INT(nout, 2);
    CHECK(has_row("a|2|5"));
    feed(wa, r, 1);
    window_agg_flush(wa);
    CHECK(strcmp(out_rows[2], "a|3|6") == 0);
    advance(wa, 1000000); /* never purged */
    struct window_agg_stats st;
    window_agg_stats(wa, &st);
    CHECK_EQ_INT(st.groups_live, 2);
    window_agg_destroy(wa);
}

TEST(all_aggregates)
{
    reset_out();
    struct window_agg_config c;
    memset(&c, 0, sizeof(c));
    c.window.kind = WINDOW_TUMBLE;
    c.window.size_ms = 10000;
    c.nkeys = 1;
    enum agg_func fs[] = {
        AGG_COUNT,       AGG_COUNT_DISTINCT, AGG_AVG,        AGG_MIN,
        AGG_MAX,         AGG_VAR_POP,        AGG_VAR_SAMP,   AGG_STDDEV_POP,
        AGG_STDDEV_SAMP, AGG_FIRST_VALUE,    AGG_LAST_VALUE, AGG_PERCENTILE,
        AGG_MIN,         AGG_LAST_VALUE};
    int n = (int)(sizeof(fs) / sizeof(fs[0]));
    for (int i = 0; i < n; i++) {
        c.aggs[i].func = fs[i];
        c.aggs[i].column = i >= 12 ? 0 : 1;
        c.aggs[i].param = 0.5;
    }
    c.naggs = n;
    struct window_agg *wa;
    CHECK_EQ_INT(window_agg_create(&in_schema, &c, collect, NULL, &wa), 0);
    CHECK_EQ_INT(window_agg_schema(wa)->ncolumns, 3 + n);
    /* values 2,4,4,4,5,5,7,9 (mean 5, var_pop 4) at times out of order */
    struct in_row r[] = {{"k", 4, 3, 0}, {"k", 2, 1, 0}, {"k", 4, 2, 0},
                         {"k", 5, 5, 0}, {"k", 4, 4, 0}, {"k", 7, 7, 0},
                         {"k", 9, 6, 0}, {"k", 5, 8, 0}};
    feed(wa, r, 8);
    advance(wa, 10);
    CHECK_EQ_INT(nout, 1);
    CHECK(has_row("k|0|10|8|5|5|2|9|4|4.57143|2|2.13809|2|5|4.01484|k|k"));
    struct agg_spec bad = {AGG_SUM, 0, 0, ""};
    struct agg a;
    CHECK_EQ_INT(agg_compile(&a, &bad, &in_schema), ERR_INVALID);
    window_agg_destroy(wa);
}

TEST(percentile_accuracy)
{
    struct agg_spec sp = {AGG_PERCENTILE, 1, 0.9, ""};
    struct agg a;
    CHECK_EQ_INT(agg_compile(&a, &sp, &in_schema), 0);
    uint8_t slot[64] = {0};
    struct row_batch *b;
    row_batch_create(&in_schema, 1000, &b);
    for (int i = 1; i <= 1000; i++) {
        int r = row_batch_begin_row(b);
        row_batch_set(b, r, 0, value_string("k", 1));
        row_batch_set(b, r, 1, value_double(i));
        row_batch_commit_row(b, NULL);
    }
    uint8_t *ptrs[1000];
    int64_t ts[1000] = {0};
    for (int i = 0; i < 1000; i++)
        ptrs[i] = slot;
    agg_update_batch(&a, &b->columns[1], 1000, ptrs, ts);
    struct schema os;
    schema_init(&os);
    schema_add(&os, "p", SCHEMA_DOUBLE, true, NULL);
    struct row_batch *o;
    row_batch_create(&os, 1, &o);
    int r = row_batch_begin_row(o);
    agg_result(&a, slot, o, r, 0);
    row_batch_commit_row(o, NULL);
    double p90 = row_batch_get(o, 0, 0).u.f64;
    CHECK(fabs(p90 - 900.0) / 900.0 < 0.021);
    agg_fini(&a, slot);
    row_batch_destroy(o);
    row_batch_destroy(b);
}

/* The timeline of docs/stream.md, driven by a watermark tracker: TUMBLE
 * 10 s, delay 2 s, lateness 5 s, EMIT FINAL. */
TEST(doc_timeline)
{
    reset_out();
    struct window_agg *wa = make(WINDOW_TUMBLE, 10, 0, 5, EMIT_FINAL);
    struct watermark *w;
    watermark_create(1, 2000, 0, 0, &w);
    struct in_row steps[] = {{"a", 1, 1, 0}, {"a", 1, 4, 0},  {"a", 1, 12, 0},
                             {"a", 1, 7, 0}, {"a", 1, 17, 0}, {"a", 1, 8, 0},
                             {"a", 1, 21, 0}};
    int want_out[] = {0, 0, 1, 2, 2, 2, 2};
    int want_late[] = {0, 0, 0, 0, 0, 1, 1};
    for (int i = 0; i < 7; i++) {
        feed(wa, &steps[i], 1);
        watermark_observe(w, 0, steps[i].ts_s * 1000, i);
        window_agg_advance(wa, watermark_advance(w, i));
        window_agg_flush(wa);
        CHECK_EQ_INT(nout, want_out[i]);
        CHECK_EQ_INT(nlate, want_late[i]);
    }
    CHECK_EQ_STR(out_rows[0], "a|0|10|2|2");
    CHECK_EQ_STR(out_rows[1], "a|0|10|3|3");
    CHECK_EQ_INT(watermark_current(w), 19000);
    window_agg_advance(wa, 19999);
    window_agg_flush(wa);
    CHECK_EQ_INT(nout, 3);
    CHECK_EQ_STR(out_rows[2], "a|10|20|2|2");
    watermark_destroy(w);
    window_agg_destroy(wa);
}

TEST(changes_with_late_rows_and_session_lateness)
{
    reset_out();
    struct window_agg *wa = make(WINDOW_TUMBLE, 10, 0, 5, EMIT_CHANGES);
    struct in_row r1[] = {{"a", 1, 1, 0}};
    feed(wa, r1, 1);
    advance(wa, 12);
    feed(wa, r1, 1); /* late but within lateness: another change */
    window_agg_flush(wa);
    CHECK_EQ_INT(nout, 2);
    CHECK_EQ_STR(out_rows[1], "a|0|10|2|2");
    advance(wa, 20);
    feed(wa, r1, 1); /* too late */
    CHECK_EQ_INT(nlate, 1);
    window_agg_destroy(wa);

    reset_out();
    wa = make(WINDOW_SESSION, 5, 0, 0, EMIT_FINAL);
    struct in_row s1[] = {{"a", 1, 10, 0}};
    feed(wa, s1, 1);
    advance(wa, 30);
    CHECK_EQ_INT(nout, 1);
    struct in_row s2[] = {{"a", 1, 12, 3}, {"a", 1, 40, 3}};
    feed(wa, s2, 2); /* [12,17) is too late; [40,45) opens */
    CHECK_EQ_INT(nlate, 1);
    CHECK_EQ_INT(window_agg_late_count(wa, 3), 1);
    advance(wa, 45);
    CHECK_EQ_INT(nout, 2);
    CHECK_EQ_STR(out_rows[1], "a|40|45|1|1");
    window_agg_destroy(wa);
}

/* A fired session within its lateness grows when a row touches it: it is
 * re-timed and fires again with the new end; a stale timer must not purge
 * it early. */
TEST(session_grows_after_firing)
{
    reset_out();
    struct window_agg *wa = make(WINDOW_SESSION, 5, 0, 10, EMIT_FINAL);
    struct in_row r1[] = {{"a", 1, 10, 0}};
    feed(wa, r1, 1);
    advance(wa, 15); /* [10,15) fires */
    CHECK_EQ_INT(nout, 1);
    CHECK_EQ_STR(out_rows[0], "a|10|15|1|1");
    struct in_row r2[] = {{"a", 2, 15, 0}}; /* touches: [10,20) */
    feed(wa, r2, 1);
    window_agg_flush(wa);
    CHECK_EQ_INT(nout, 1); /* it grew past the watermark: not re-emitted */
    advance(wa, 19);       /* 19.000 < 19.999 */
    CHECK_EQ_INT(nout, 1);
    advance(wa, 20);
    CHECK_EQ_INT(nout, 2);
    CHECK_EQ_STR(out_rows[1], "a|10|20|2|3");
    advance(wa, 25); /* the old purge time (14 + 10 = 24) passed: kept */
    struct window_agg_stats st;
    window_agg_stats(wa, &st);
    CHECK_EQ_INT(st.groups_live, 1);
    struct in_row r3[] = {{"a", 4, 12, 0}}; /* late, within lateness */
    feed(wa, r3, 1);
    window_agg_flush(wa);
    CHECK_EQ_INT(nout, 3);
    CHECK_EQ_STR(out_rows[2], "a|10|20|3|7");
    advance(wa, 29); /* 29.000 < 19.999 + 10 */
    window_agg_stats(wa, &st);
    CHECK_EQ_INT(st.groups_live, 1);
    advance(wa, 30);
    window_agg_stats(wa, &st);
    CHECK_EQ_INT(st.groups_live, 0);
    CHECK_EQ_INT(st.rows_late, 0);
    window_agg_destroy(wa);
}

TEST(final_after_lateness_fires_once)
{
    reset_out();
    struct window_agg_config c;
    memset(&c, 0, sizeof(c));
    c.window.kind = WINDOW_TUMBLE;
    c.window.size_ms = 10000;
    c.nkeys = 1;
    c.naggs = 1;
    c.aggs[0].func = AGG_COUNT_STAR;
    c.allowed_lateness_ms = 5000;
    c.final_after_lateness = true;
    c.late = on_late;
    struct window_agg *wa;
    CHECK_EQ_INT(window_agg_create(&in_schema, &c, collect, NULL, &wa), 0);
    struct in_row r[] = {{"a", 1, 1, 0}};
    feed(wa, r, 1);
    advance(wa, 12); /* past end - 1, within lateness: nothing yet */
    CHECK_EQ_INT(nout, 0);
    struct in_row late[] = {{"a", 1, 8, 0}};
    feed(wa, late, 1);
    window_agg_flush(wa);
    CHECK_EQ_INT(nout, 0);
    advance(wa, 15); /* 15.000 >= 9.999 + 5 */
    CHECK_EQ_INT(nout, 1);
    CHECK_EQ_STR(out_rows[0], "a|0|10|2");
    feed(wa, late, 1);
    CHECK_EQ_INT(nlate, 1);
    CHECK_EQ_INT(nout, 1);
    window_agg_destroy(wa);
}

/* COUNT(v) next to AVG(v) keeps no state of its own (it reads AVG's
 * count): NULLs are not counted, and merging sessions adds the count
 * once. */
TEST(shared_count_with_nulls_and_merging)
{
    reset_out();
    struct window_agg_config c;
    memset(&c, 0, sizeof(c));
    c.window.kind = WINDOW_SESSION;
    c.window.gap_ms = 5000;
    c.nkeys = 1;
    c.naggs = 4;
    enum agg_func fs[4] = {AGG_COUNT, AGG_AVG, AGG_COUNT_STAR, AGG_COUNT};
    for (int i = 0; i < 4; i++) {
        c.aggs[i].func = fs[i];
        c.aggs[i].column = 1;
    }
    struct window_agg *wa;
    CHECK_EQ_INT(window_agg_create(&in_schema, &c, collect, NULL, &wa), 0);
    struct row_batch *b;
    row_batch_create(&in_schema, 8, &b);
    double vs[4] = {2, 0, 4, 6};
    int64_t ts[4] = {0, 10, 5, 30};
    for (int i = 0; i < 4; i++) {
        int r = row_batch_begin_row(b);
        row_batch_set(b, r, 0, value_string("a", 1));
        row_batch_set(b, r, 1, i == 1 ? value_null() : value_double(vs[i]));
        struct row_meta m = {ts[i] * 1000, i, ts[i] * 1000, 0, INT64_MIN};
        row_batch_commit_row(b, &m);
    }
    CHECK_EQ_INT(window_agg_push(wa, b), 0);
    row_batch_destroy(b);
    struct window_agg_stats st;
    window_agg_stats(wa, &st);
    CHECK_EQ_INT(st.sessions_merged, 1);
    advance(wa, 100);
    CHECK_EQ_INT(nout, 2);
    CHECK(has_row("a|0|15|2|3|3|2"));
    CHECK(has_row("a|30|35|1|6|1|1"));
    window_agg_destroy(wa);
}

/* Per-key watermarks: each key's windows fire on its own watermark (its
 * newest event time minus the delay, 1 s here); a key whose clock is ahead
 * makes no other key's row late; the operator's watermark (the floor)
 * still fires and purges everything, without a second row; a row is late
 * against its own key's watermark, record by record within a batch. With
 * allowed lateness a key's fired window takes rows within it. */
TEST(per_key_watermarks)
{
    reset_out();
    struct window_agg *wa = make(WINDOW_HOP, 10, 5, 0, EMIT_FINAL);
    CHECK_EQ_INT(window_agg_set_per_key(wa, 1000), 0);
    struct in_row r1[] = {{"a", 1, 1, 0}, {"z", 100, 3600, 0}, {"b", 2, 2, 0}};
    feed(wa, r1, 3);
    CHECK_EQ_INT(nout, 0);
    /* z at 3611: its watermark 3610 passes [3595,3605) and [3600,3610) */
    struct in_row r2[] = {{"z", 101, 3611, 0}, {"a", 3, 7, 0}};
    feed(wa, r2, 2);
    window_agg_flush(wa);
    /* and a's row at 7 (a's watermark 6) fires a's [-5,5); not late */
    CHECK_EQ_INT(nout, 3);
    CHECK(has_row("z|3595|3605|1|100"));
    CHECK(has_row("z|3600|3610|1|100"));
    CHECK(has_row("a|-5|5|1|1"));
    CHECK_EQ_INT(nlate, 0);
    /* a at 12 then a at 4 in one batch: a's watermark 11 fires a's
     * [0,10); the row at 4 came after the row at 12: late */
    struct in_row r3[] = {{"a", 12, 12, 0}, {"a", 4, 4, 1}};
    feed(wa, r3, 2);
    window_agg_flush(wa);
    CHECK(has_row("a|0|10|2|4"));
    CHECK_EQ_INT(nlate, 1);
    CHECK_EQ_INT(late_rows[0], 4);
    CHECK_EQ_INT(window_agg_late_count(wa, 1), 1);
    int before = nout;
    /* the floor reaches 20: b's windows fire, a's and z's fired ones are
     * purged without a second row */
    advance(wa, 20);
    CHECK(has_row("b|-5|5|1|2"));
    CHECK(has_row("b|0|10|1|2"));
    CHECK(has_row("a|5|15|2|15"));
    CHECK(has_row("a|10|20|1|12"));
    CHECK_EQ_INT(nout, before + 4);
    struct window_agg_stats st;
    window_agg_stats(wa, &st);
    CHECK_EQ_INT(st.windows_fired_by_key, 4);
    CHECK_EQ_INT(st.rows_late, 1);
    advance(wa, 4000);
    CHECK(has_row("z|3605|3615|1|101"));
    CHECK(has_row("z|3610|3620|1|101"));
    window_agg_stats(wa, &st);
    CHECK_EQ_INT(st.groups_live, 0);
    CHECK_EQ_INT(st.windows_fired, st.rows_emitted);
    window_agg_destroy(wa);

    /* refused: sessions, plain GROUP BY */
    wa = make(WINDOW_SESSION, 10, 0, 0, EMIT_FINAL);
    CHECK_EQ_INT(window_agg_set_per_key(wa, 0), ERR_INVALID);
    window_agg_destroy(wa);

    /* allowed lateness 5 s: a's [0,10) fires at a's watermark 10, takes a
     * row within the lateness (an updated final row), then is late */
    reset_out();
    wa = make(WINDOW_TUMBLE, 10, 0, 5, EMIT_FINAL);
    CHECK_EQ_INT(window_agg_set_per_key(wa, 0), 0);
    struct in_row r4[] = {{"a", 1, 1, 0}, {"a", 2, 10, 0}};
    feed(wa, r4, 2);
    window_agg_flush(wa);
    CHECK_EQ_INT(nout, 1);
    CHECK(has_row("a|0|10|1|1"));
    struct in_row r5[] = {{"a", 5, 8, 0}};
    feed(wa, r5, 1);
    window_agg_flush(wa);
    CHECK_EQ_INT(nout, 2);
    CHECK(strcmp(out_rows[1], "a|0|10|2|6") == 0);
    struct in_row r6[] = {{"a", 9, 20, 0}, {"a", 7, 9, 0}};
    feed(wa, r6, 2);
    CHECK_EQ_INT(nlate, 1);
    window_agg_destroy(wa);
}

int main(void)
{
    schema_init(&in_schema);
    schema_add(&in_schema, "k", SCHEMA_STRING, false, NULL);
    schema_add(&in_schema, "v", SCHEMA_DOUBLE, true, NULL);
    RUN(assigners);
    RUN(tumble_in_order_and_out_of_order);
    RUN(per_key_watermarks);
    RUN(late_within_lateness_reemits);
    RUN(late_beyond_zero_lateness);
    RUN(emit_changes);
    RUN(session_merging);
    RUN(hop_and_cumulate);
    RUN(hop_partly_late_row);
    RUN(plain_group_by);
    RUN(all_aggregates);
    RUN(percentile_accuracy);
    RUN(doc_timeline);
    RUN(changes_with_late_rows_and_session_lateness);
    RUN(session_grows_after_firing);
    RUN(final_after_lateness_fires_once);
    RUN(shared_count_with_nulls_and_merging);
    return harness_summary("test_window");
}
