/* over_agg.c - the OVER operator alone: rows per second per core and state
 * per key.
 *
 * 2,000 sensors, one reading each per 100 ms (10/s, the factory's rate)
 * with up to 200 ms of disorder, in 1,024-row batches that carry a
 * watermark 500 ms behind the largest event time so far (the factory's
 * readings_fast); the operator computes the factory's vibration rule
 * aggregates per row: ZSCORE and AVG over ROWS 50 PRECEDING and
 * FIRST_VALUE over ROWS 1 PRECEDING, then a sink counts the rows and
 * checks they come out in event-time order per sensor. Rows are decoded
 * already (no JSON): this is the operator's cost, not the pipeline's.
 * Reports rows/s per core (user+sys CPU of the timed loop) and the
 * operator's state bytes per sensor at the end (frames of 51 readings).
 * Usage: over_agg [rows]   (default 5,000,000; the machine is shared, so
 * figures are indicative)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "stream/over_agg.h"

#define SENSORS 2000
#define BASE_TS 1700000000000LL

static uint64_t rng = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static long long rows_out, out_of_order;
static int64_t last_ts[SENSORS];

static int sink(void *arg, const struct row_batch *b)
{
    (void)arg;
    for (int r = 0; r < b->nrows; r++) {
        struct row_str s = b->columns[0].data.str[r];
        long sensor = 0;
        for (uint32_t k = 7; k < s.len; k++)
            sensor = sensor * 10 + (s.ptr[k] - '0');
        int64_t ts = b->meta[r].event_ts;
        if (sensor < 0 || sensor >= SENSORS || ts < last_ts[sensor])
            out_of_order++;
        else
            last_ts[sensor] = ts;
        rows_out++;
    }
    return 0;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 5000000;
    struct schema s;
    schema_init(&s);
    schema_add(&s, "sensor_id", SCHEMA_STRING, false, NULL);
    schema_add(&s, "value", SCHEMA_DOUBLE, true, NULL);
    struct over_agg_config c = {.nkeys = 1, .keys = {0}, .naggs = 3};
    c.aggs[0] = (struct over_agg_spec){.func = OVER_ZSCORE,
                                       .column = 1,
                                       .frame = OVER_FRAME_ROWS,
                                       .preceding = 50};
    c.aggs[1] = c.aggs[0];
    c.aggs[1].func = OVER_AVG;
    c.aggs[2] = c.aggs[0];
    c.aggs[2].func = OVER_FIRST_VALUE;
    c.aggs[2].preceding = 1;
    struct operator_node *op, *sk;
    char err[200];
    if (over_agg_create(&s, &c, &op, err, sizeof err)) {
        fprintf(stderr, "over_agg: %s\n", err);
        return 1;
    }
    operator_sink_create(op->out_schema, sink, NULL, &sk);
    op->next = sk;
    static char names[SENSORS][24];
    for (int i = 0; i < SENSORS; i++)
        snprintf(names[i], sizeof names[i], "sensor-%05d", i);
    struct row_batch *b;
    row_batch_create(&s, 1024, &b);
    int64_t max_ts = 0;
    double cpu0 = bench_cpu_s(), wall0 = bench_wall_s();
    for (long i = 0; i < n;) {
        row_batch_reset(b);
        for (int r = 0; r < 1024 && i < n; r++, i++) {
            int sensor = (int)(i % SENSORS);
            int64_t ts = BASE_TS + (i / SENSORS) * 100 +
                         (int64_t)(rnd() % 200); /* disorder */
            if (ts > max_ts)
                max_ts = ts;
            struct value v[2] = {
                value_string(names[sensor], (uint32_t)strlen(names[sensor])),
                value_double(0.5 + (double)(rnd() % 1000) / 25000.0)};
            struct row_meta m = {.event_ts = ts,
                                 .offset = i,
                                 .record_ts = ts,
                                 .partition = 0,
                                 .watermark = max_ts - 500};
            row_batch_append(b, v, &m, false);
            b->meta[b->nrows - 1] = m;
        }
        if (op->ops->push(op, b))
            return 1;
        op->ops->flush(op);
    }
    op->ops->advance(op, INT64_MAX);
    op->ops->flush(op);
    double cpu = bench_cpu_s() - cpu0, wall = bench_wall_s() - wall0;
    struct over_agg_stats st;
    over_agg_stats(op, &st);
    printf("over_agg rows=%ld rows_per_s_per_core=%.2fM wall_s=%.2f "
           "late=%llu out=%lld out_of_order=%lld state_bytes_per_key=%zu\n",
           n, (double)n / cpu / 1e6, wall, (unsigned long long)st.rows_late,
           rows_out, out_of_order, st.state_bytes / SENSORS);
    operator_destroy_chain(op);
    row_batch_destroy(b);
    return rows_out + (long long)st.rows_late == n && !out_of_order ? 0 : 1;
}
