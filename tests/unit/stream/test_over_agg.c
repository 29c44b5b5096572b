/* test_over_agg.c - the OVER operator's golden outputs on a virtual clock:
 * rows held until the watermark passes them and released in event-time
 * order, ROWS / RANGE (with peers) / UNBOUNDED frames, late rows to the
 * late callback, every aggregate and anomaly function against values
 * computed by hand, the frame limit, and snapshot/restore giving the same
 * output as an uninterrupted run. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../harness.h"
#include "base/buf.h"
#include "base/err.h"
#include "stream/over_agg.h"
#include "stream/watermark.h"

static struct schema in_schema; /* k STRING, v DOUBLE, n INT */

static char out_rows[512][200];
static int nout;
static int late_ts[64];
static int nlate;

static void render(const struct row_batch *b, int r, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = 0;
    at += (size_t)snprintf(buf, n, "%lld", (long long)b->meta[r].event_ts);
    for (int c = 0; c < b->ncolumns && at < n; c++) {
        struct value v = row_batch_get(b, r, c);
        switch (v.type) {
        case SCHEMA_NULL:
            at += (size_t)snprintf(buf + at, n - at, "|NULL");
            break;
        case SCHEMA_STRING:
            at += (size_t)snprintf(buf + at, n - at, "|%.*s", (int)v.u.str.len,
                                   v.u.str.ptr);
            break;
        case SCHEMA_DOUBLE:
            at += (size_t)snprintf(buf + at, n - at, "|%.4g", v.u.f64);
            break;
        case SCHEMA_INT:
            at += (size_t)snprintf(buf + at, n - at, "|%d", v.u.i32);
            break;
        default:
            at +=
                (size_t)snprintf(buf + at, n - at, "|%lld", (long long)v.u.i64);
            break;
        }
    }
}

static int collect(void *arg, const struct row_batch *b)
{
    (void)arg;
    for (int r = 0; r < b->nrows && nout < 512; r++)
        render(b, r, out_rows[nout++], sizeof(out_rows[0]));
    return 0;
}

static void on_late(void *arg, const struct row_batch *in, int row)
{
    (void)arg;
    if (nlate < 64)
        late_ts[nlate++] = (int)in->meta[row].event_ts;
}

static struct operator_node *sink;

static struct operator_node *make(const struct over_agg_config *cfg)
{
    struct operator_node *op;
    char err[200];
    int rc = over_agg_create(&in_schema, cfg, &op, err, sizeof err);
    if (rc) {
        fprintf(stderr, "over_agg_create: %s\n", err);
        return NULL;
    }
    operator_sink_create(op->out_schema, collect, NULL, &sink);
    op->next = sink;
    nout = nlate = 0;
    return op;
}

/* Pushes one row (k, v, n) at event time ts that saw watermark wm. */
static int push(struct operator_node *op, const char *k, double v, int n,
                int64_t ts, int64_t wm)
{
    struct row_batch *b;
    row_batch_create(&in_schema, 4, &b);
    struct value vals[3] = {
        k ? value_string(k, (uint32_t)strlen(k)) : value_null(),
        isnan(v) ? value_null() : value_double(v), value_int(n)};
    struct row_meta m = {.event_ts = ts,
                         .offset = -1,
                         .record_ts = ts,
                         .partition = 0,
                         .watermark = wm};
    row_batch_append(b, vals, &m, false);
    b->meta[0] = m;
    int rc = op->ops->push(op, b);
    row_batch_destroy(b);
    return rc;
}

static void advance(struct operator_node *op, int64_t wm)
{
    operator_advance_chain(op, wm);
    operator_flush_chain(op);
}

static struct over_agg_config cfg_one(enum over_func f, enum over_frame fr,
                                      int64_t preceding)
{
    struct over_agg_config c = {.nkeys = 1, .keys = {0}, .naggs = 1};
    c.aggs[0] = (struct over_agg_spec){.func = f,
                                       .column = f == OVER_COUNT_STAR ? -1 : 1,
                                       .frame = fr,
                                       .preceding = preceding};
    c.late = on_late;
    return c;
}

TEST(rows_released_in_event_time_order)
{
    struct over_agg_config c = cfg_one(OVER_SUM, OVER_FRAME_ROWS, 1);
    c.naggs = 2;
    c.aggs[1] = (struct over_agg_spec){.func = OVER_COUNT_STAR,
                                       .column = -1,
                                       .frame = OVER_FRAME_ROWS,
                                       .preceding = 2,
                                       .name = "cnt"};
    struct operator_node *op = make(&c);
    CHECK(op != NULL);
    CHECK_EQ_INT(op->out_schema->ncolumns, 5);
    CHECK_EQ_STR(op->out_schema->columns[3].name, "SUM");
    CHECK_EQ_STR(op->out_schema->columns[4].name, "cnt");
    push(op, "a", 1, 0, 1000, WATERMARK_NONE);
    push(op, "a", 3, 0, 3000, WATERMARK_NONE);
    push(op, "a", 2, 0, 2000, WATERMARK_NONE); /* out of order */
    push(op, "b", 10, 0, 1500, WATERMARK_NONE);
    CHECK_EQ_INT(nout, 0); /* nothing before the watermark */
    advance(op, 2000);
    CHECK_EQ_INT(nout, 3);
    CHECK_EQ_STR(out_rows[0], "1000|a|1|0|1|1");
    CHECK_EQ_STR(out_rows[1], "1500|b|10|0|10|1");
    CHECK_EQ_STR(out_rows[2], "2000|a|2|0|3|2");
    advance(op, 5000);
    CHECK_EQ_INT(nout, 4);
    CHECK_EQ_STR(out_rows[3], "3000|a|3|0|5|3");
    struct over_agg_stats st;
    over_agg_stats(op, &st);
    CHECK_EQ_INT(st.rows_in, 4);
    CHECK_EQ_INT(st.rows_emitted, 4);
    CHECK_EQ_INT(st.rows_pending, 0);
    CHECK_EQ_INT(st.keys, 2);
    /* held: no row waits; the frames keep 3 rows of a (ROWS 2 needs the
     * 2 before the next one) and 1 of b */
    struct operator_state os;
    op->ops->state(op, &os);
    CHECK_EQ_INT(os.entries, 4);
    CHECK(os.bytes == st.state_bytes && os.bytes > 0);
    operator_destroy_chain(op);
}

TEST(late_rows_go_to_the_late_callback)
{
    struct over_agg_config c = cfg_one(OVER_COUNT_STAR, OVER_FRAME_ROWS, 5);
    struct operator_node *op = make(&c);
    push(op, "a", 1, 0, 1000, WATERMARK_NONE);
    push(op, "a", 1, 0, 2000, WATERMARK_NONE);
    advance(op, 2000);
    CHECK_EQ_INT(nout, 2);
    push(op, "a", 1, 0, 2000, 2000); /* at the watermark: late */
    push(op, "a", 1, 0, 1500, 2000);
    push(op, "a", 1, 0, 2001, 2000); /* in time */
    /* a row that saw a later watermark releases the rows before it first,
     * then is itself late */
    push(op, "a", 1, 0, 2500, 3000);
    CHECK_EQ_INT(nlate, 3);
    CHECK_EQ_INT(late_ts[0], 2000);
    CHECK_EQ_INT(late_ts[1], 1500);
    CHECK_EQ_INT(late_ts[2], 2500);
    operator_flush_chain(op);
    CHECK_EQ_INT(nout, 3);
    CHECK_EQ_STR(out_rows[2], "2001|a|1|0|3");
    struct over_agg_stats st;
    over_agg_stats(op, &st);
    CHECK_EQ_INT(st.rows_late, 3);
    operator_destroy_chain(op);
}

TEST(range_frame_includes_peers)
{
    /* RANGE 2 s: rows with ts in [t - 2000, t], same-ts rows included */
    struct over_agg_config c = cfg_one(OVER_SUM, OVER_FRAME_RANGE, 2000);
    c.naggs = 2;
    c.aggs[1] = (struct over_agg_spec){.func = OVER_SUM,
                                       .column = 1,
                                       .frame = OVER_FRAME_ROWS,
                                       .preceding = 0,
                                       .name = "self"};
    struct operator_node *op = make(&c);
    push(op, "a", 1, 0, 1000, WATERMARK_NONE);
    push(op, "a", 2, 0, 2000, WATERMARK_NONE);
    push(op, "a", 4, 0, 3000, WATERMARK_NONE);
    push(op, "a", 8, 0, 3000, WATERMARK_NONE); /* a peer */
    push(op, "a", 16, 0, 5500, WATERMARK_NONE);
    advance(op, 10000);
    CHECK_EQ_INT(nout, 5);
    CHECK_EQ_STR(out_rows[0], "1000|a|1|0|1|1");
    CHECK_EQ_STR(out_rows[1], "2000|a|2|0|3|2");
    CHECK_EQ_STR(out_rows[2], "3000|a|4|0|15|4");
    CHECK_EQ_STR(out_rows[3], "3000|a|8|0|15|8");
    CHECK_EQ_STR(out_rows[4], "5500|a|16|0|16|16");
    operator_destroy_chain(op);
}

TEST(unbounded_and_every_function)
{
    enum over_func fs[] = {OVER_COUNT,       OVER_AVG,        OVER_MIN,
                           OVER_MAX,         OVER_STDDEV_POP, OVER_VAR_SAMP,
                           OVER_FIRST_VALUE, OVER_LAST_VALUE};
    for (int fr = 0; fr < 2; fr++) {
        struct over_agg_config c = {.nkeys = 1, .keys = {0}};
        for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++)
            c.aggs[c.naggs++] = (struct over_agg_spec){
                .func = fs[i],
                .column = 1,
                .frame = fr ? OVER_FRAME_ROWS : OVER_FRAME_UNBOUNDED,
                .preceding = 100};
        struct operator_node *op = make(&c);
        push(op, "a", 2, 0, 1000, WATERMARK_NONE);
        push(op, "a", NAN, 0, 2000, WATERMARK_NONE); /* NULL */
        push(op, "a", 4, 0, 3000, WATERMARK_NONE);
        push(op, "a", 9, 0, 4000, WATERMARK_NONE);
        advance(op, 10000);
        CHECK_EQ_INT(nout, 4);
        /* COUNT AVG MIN MAX STDDEV_POP VAR_SAMP FIRST LAST */
        CHECK_EQ_STR(out_rows[0], "1000|a|2|0|1|2|2|2|0|NULL|2|2");
        if (fr) /* the frame's last row is the NULL one */
            CHECK_EQ_STR(out_rows[1], "2000|a|NULL|0|1|2|2|2|0|NULL|2|NULL");
        else /* running: LAST_VALUE of the row itself */
            CHECK_EQ_STR(out_rows[1], "2000|a|NULL|0|1|2|2|2|0|NULL|2|NULL");
        CHECK_EQ_STR(out_rows[3], "4000|a|9|0|3|5|2|9|2.944|13|2|9");
        operator_destroy_chain(op);
    }
}

TEST(ewma_and_ewm_stddev)
{
    struct over_agg_config c = cfg_one(OVER_EWMA, OVER_FRAME_UNBOUNDED, 0);
    c.aggs[0].p1 = 0.5;
    c.naggs = 2;
    c.aggs[1] = c.aggs[0];
    c.aggs[1].func = OVER_EWM_STDDEV;
    struct operator_node *op = make(&c);
    push(op, "a", 10, 0, 1000, WATERMARK_NONE);
    push(op, "a", 20, 0, 2000, WATERMARK_NONE);
    push(op, "a", 20, 0, 3000, WATERMARK_NONE);
    advance(op, 5000);
    CHECK_EQ_INT(nout, 3);
    /* m: 10, 15, 17.5; var: 0, 0.5*(0+10*5)=25, 0.5*(25+5*2.5)=18.75 */
    CHECK_EQ_STR(out_rows[0], "1000|a|10|0|10|0");
    CHECK_EQ_STR(out_rows[1], "2000|a|20|0|15|5");
    CHECK_EQ_STR(out_rows[2], "3000|a|20|0|17.5|4.33");
    operator_destroy_chain(op);
}

TEST(zscore_mad_and_cusum)
{
    struct over_agg_config c = cfg_one(OVER_ZSCORE, OVER_FRAME_ROWS, 4);
    c.naggs = 3;
    c.aggs[1] = c.aggs[0];
    c.aggs[1].func = OVER_MAD_SCORE;
    c.aggs[2] = c.aggs[0];
    c.aggs[2].func = OVER_CUSUM;
    c.aggs[2].p1 = 0.5;
    c.aggs[2].p2 = 4;
    struct operator_node *op = make(&c);
    double xs[] = {1, 2, 3, 4, 12, 5};
    for (int i = 0; i < 6; i++)
        push(op, "a", xs[i], 0, 1000 * (i + 1), WATERMARK_NONE);
    advance(op, 10000);
    CHECK_EQ_INT(nout, 6);
    /* row 1: no reference rows; row 2: one (sd undefined) */
    CHECK_EQ_STR(out_rows[0], "1000|a|1|0|NULL|NULL|NULL");
    CHECK_EQ_STR(out_rows[1], "2000|a|2|0|NULL|NULL|NULL");
    /* row 3: ref {1,2}: mean 1.5, sd 0.7071, z = 2.121; median 1.5,
     * MAD 0.5: 0.6745 * 1.5 / 0.5 = 2.0235; CUSUM S+ = 2.121 - 0.5 */
    CHECK_EQ_STR(out_rows[2], "3000|a|3|0|2.121|2.023|1.621");
    /* row 5: ref {1,2,3,4}: mean 2.5, sd 1.291, z = 7.359; median 2.5,
     * MAD 1: 6.408; row 4 (ref {1,2,3}: z = 2, median 2, MAD 1: 1.349)
     * made S+ 1.621 + 1.5 = 3.121; 3.121 + 6.859 = 9.98 > h = 4:
     * reported, then reset */
    CHECK_EQ_STR(out_rows[3], "4000|a|4|0|2|1.349|3.121");
    CHECK_EQ_STR(out_rows[4], "5000|a|12|0|7.359|6.408|9.98");
    /* row 6: ref {2,3,4,12}: mean 5.25, sd 4.5735, z = -0.05466; median
     * 3.5, MAD median{1.5,0.5,0.5,8.5} = 1: 1.012; CUSUM from 0: S- =
     * 0.05466 - 0.5 < 0 -> 0 */
    CHECK_EQ_STR(out_rows[5], "6000|a|5|0|-0.05466|1.012|0");
    operator_destroy_chain(op);
}

TEST(bad_configs_are_refused_with_a_reason)
{
    struct operator_node *op;
    char err[200];
    struct over_agg_config c = cfg_one(OVER_ZSCORE, OVER_FRAME_UNBOUNDED, 0);
    CHECK_EQ_INT(over_agg_create(&in_schema, &c, &op, err, sizeof err),
                 ERR_INVALID);
    CHECK(strstr(err, "bounded frame") != NULL);
    c = cfg_one(OVER_AVG, OVER_FRAME_ROWS, 0);
    c.aggs[0].column = 0; /* a string */
    CHECK_EQ_INT(over_agg_create(&in_schema, &c, &op, err, sizeof err),
                 ERR_INVALID);
    c = cfg_one(OVER_EWMA, OVER_FRAME_UNBOUNDED, 0);
    c.aggs[0].p1 = 1.5;
    CHECK_EQ_INT(over_agg_create(&in_schema, &c, &op, err, sizeof err),
                 ERR_INVALID);
    CHECK(strstr(err, "alpha") != NULL);
    c = cfg_one(OVER_SUM, OVER_FRAME_ROWS, OVER_AGG_FRAME_MAX);
    CHECK_EQ_INT(over_agg_create(&in_schema, &c, &op, err, sizeof err),
                 ERR_INVALID);
}

TEST(range_frame_limit_is_an_error)
{
    struct over_agg_config c =
        cfg_one(OVER_COUNT_STAR, OVER_FRAME_RANGE, 1000000000);
    struct operator_node *op = make(&c);
    int rc = 0;
    for (int i = 0; i < OVER_AGG_FRAME_MAX + 1 && !rc; i++)
        rc = push(op, "a", 1, 0, 1000 + i, WATERMARK_NONE);
    CHECK_EQ_INT(rc, 0);
    rc = op->ops->advance(op, INT64_MAX);
    CHECK_EQ_INT(rc, ERR_TOO_LARGE);
    operator_destroy_chain(op);
}

/* Many rows with strings through the chunk store: values intact. */
TEST(strings_survive_the_pending_store)
{
    struct over_agg_config c = cfg_one(OVER_COUNT_STAR, OVER_FRAME_ROWS, 3);
    struct operator_node *op = make(&c);
    char key[64];
    int bad = 0;
    for (int round = 0; round < 20; round++) {
        nout = 0;
        for (int i = 0; i < 400; i++) {
            snprintf(key, sizeof key, "sensor-%d-%0*d", i % 7, 40, i);
            push(op, key, i, i, 100000 * round + 1000 + (399 - i) * 10,
                 WATERMARK_NONE);
        }
        advance(op, 100000 * round + 99999);
        CHECK_EQ_INT(nout, 400);
        for (int r = 0; r < nout && r < 400; r++) {
            int i = 399 - r; /* released in event-time order */
            snprintf(key, sizeof key, "sensor-%d-%0*d", i % 7, 40, i);
            if (!strstr(out_rows[r], key))
                bad++;
        }
    }
    CHECK_EQ_INT(bad, 0);
    operator_destroy_chain(op);
}

TEST(snapshot_restore_continues_exactly)
{
    struct over_agg_config c = cfg_one(OVER_CUSUM, OVER_FRAME_ROWS, 5);
    c.aggs[0].p1 = 0.2;
    c.aggs[0].p2 = 3;
    c.naggs = 3;
    c.aggs[1] = (struct over_agg_spec){.func = OVER_EWMA,
                                       .column = 1,
                                       .frame = OVER_FRAME_UNBOUNDED,
                                       .p1 = 0.3};
    c.aggs[2] = (struct over_agg_spec){.func = OVER_AVG,
                                       .column = 1,
                                       .frame = OVER_FRAME_RANGE,
                                       .preceding = 3000};
    /* the reference run */
    char want[64][200];
    int nwant;
    struct operator_node *op = make(&c);
    for (int i = 0; i < 40; i++)
        push(op, i % 3 ? "x" : "y", (i * 7919) % 13, 0, 1000 * i + (i % 4),
             WATERMARK_NONE);
    advance(op, 100000);
    nwant = nout;
    for (int i = 0; i < nout; i++)
        memcpy(want[i], out_rows[i], sizeof want[i]);
    operator_destroy_chain(op);
    /* the same, snapshot after 25 rows and watermark 12 s */
    op = make(&c);
    for (int i = 0; i < 25; i++)
        push(op, i % 3 ? "x" : "y", (i * 7919) % 13, 0, 1000 * i + (i % 4),
             WATERMARK_NONE);
    advance(op, 12000);
    int first = nout;
    struct buf b;
    buf_init(&b);
    CHECK_EQ_INT(op->ops->snapshot(op, &b), 0);
    operator_destroy_chain(op);
    op = make(&c);
    nout = first;
    CHECK_EQ_INT(op->ops->restore(op, b.data, b.len), 0);
    CHECK_EQ_INT(op->ops->restore(op, b.data, b.len), ERR_INVALID);
    for (int i = 25; i < 40; i++)
        push(op, i % 3 ? "x" : "y", (i * 7919) % 13, 0, 1000 * i + (i % 4),
             WATERMARK_NONE);
    advance(op, 100000);
    CHECK_EQ_INT(nout, nwant);
    for (int i = 0; i < nout && i < nwant; i++)
        CHECK_EQ_STR(out_rows[i], want[i]);
    operator_destroy_chain(op);
    /* truncated snapshots are refused */
    for (size_t cut = 0; cut < b.len; cut += 7) {
        op = make(&c);
        CHECK(op->ops->restore(op, b.data, cut) == ERR_CORRUPT);
        operator_destroy_chain(op);
    }
    buf_fini(&b);
}

int main(void)
{
    schema_init(&in_schema);
    schema_add(&in_schema, "k", SCHEMA_STRING, true, NULL);
    schema_add(&in_schema, "v", SCHEMA_DOUBLE, true, NULL);
    schema_add(&in_schema, "n", SCHEMA_INT, true, NULL);
    RUN(rows_released_in_event_time_order);
    RUN(late_rows_go_to_the_late_callback);
    RUN(range_frame_includes_peers);
    RUN(unbounded_and_every_function);
    RUN(ewma_and_ewm_stddev);
    RUN(zscore_mad_and_cusum);
    RUN(bad_configs_are_refused_with_a_reason);
    RUN(range_frame_limit_is_an_error);
    RUN(strings_survive_the_pending_store);
    RUN(snapshot_restore_continues_exactly);
    return harness_summary("test_over_agg");
}
