/* join_interval.c - the interval join operator alone: throughput and
 * memory per live row.
 *
 * Rows of two sides (readings 80%, events 20% of each key's rows) over
 * 2,000 machine keys, one row per key per second of event time (2,000
 * rows per second), in order, in 1,024-row batches
 * with the watermark 1 s behind after each: readings r JOIN events e ON
 * the key AND r.ts BETWEEN e.ts - 5 s AND e.ts. Times push + advance on
 * one core (user+sys CPU) and checks the pair count against an offline
 * recount. Second figure: RSS per live row while 1,000,000 rows are held
 * (no watermark), against the operator's own count of state bytes.
 * Usage: join_interval [rows]   (default 5,000,000; the machine is
 * shared, so figures are indicative)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "base/err.h"
#include "stream/join_interval.h"
#include "stream/operator.h"

#define KEYS 2000
#define BASE_TS 1700000000000LL

static struct schema in_schema, ls, rs;
static const char *names[] = {"r.ts", "r.k", "r.v", "e.ts", "e.k", "e.a"};
static char keytext[KEYS][24];
static long long pairs_seen;

static int count_sink(void *arg, const struct row_batch *b)
{
    (void)arg;
    pairs_seen += b->nrows;
    return 0;
}

/* Every key's fifth row is an event (keys come back every KEYS rows). */
static int side_of(long i)
{
    return (i / KEYS) % 5 == 0;
}

static int key_of(long i)
{
    return (int)((i * 7919) % KEYS);
}

static int64_t ts_of(long i)
{
    return BASE_TS + i / 2; /* 2,000 rows per second */
}

/* Offline: pairs of (reading, event) of one key with r.ts - e.ts in
 * [-5000, 0]. Rows come in time order, so per key a window of the last
 * events is enough: count, for every event, the readings of its key in
 * [e.ts - 5000, e.ts], from a per-key ring of reading times. */
static long long recount(long n)
{
    enum { RING = 64 };
    static int64_t ring[KEYS][RING];
    static int head[KEYS], cnt[KEYS];
    long long pairs = 0;
    for (long i = 0; i < n; i++) {
        int k = key_of(i);
        int64_t t = ts_of(i);
        if (!side_of(i)) {
            ring[k][head[k]] = t;
            head[k] = (head[k] + 1) % RING;
            if (cnt[k] < RING)
                cnt[k]++;
            continue;
        }
        for (int j = 0; j < cnt[k]; j++) {
            int64_t rt = ring[k][(head[k] - 1 - j + RING) % RING];
            if (rt >= t - 5000 && rt <= t)
                pairs++;
        }
    }
    return pairs;
}

static void fill(struct row_batch *b, long from, long n, int64_t wm)
{
    row_batch_reset(b);
    for (long i = from; i < from + n; i++) {
        int s = side_of(i);
        int k = key_of(i);
        struct value v[5] = {
            value_int(s), value_timestamp(ts_of(i)),
            value_string(keytext[k], (uint32_t)strlen(keytext[k])),
            s ? value_null() : value_double((double)(i % 100)),
            s ? value_string("inspect", 7) : value_null()};
        struct row_meta m = {ts_of(i), i, ts_of(i), 0, wm};
        row_batch_append(b, v, &m, false);
    }
}

static struct operator_node *make(struct interval_join **j)
{
    struct interval_join_config c = {
        .type = JOIN_INNER,
        .side_column = 0,
        .nkeys = 1,
        .keys = {2},
        .lower_ms = -5000,
        .upper_ms = 0,
        .side = {{3, {1, 2, 3}, &ls}, {3, {1, 2, 4}, &rs}},
        .names = names,
    };
    struct operator_node *op, *sink;
    if (operator_interval_join_create(&in_schema, 1024, &c, &op, j) ||
        operator_sink_create(op->out_schema, count_sink, NULL, &sink)) {
        fprintf(stderr, "cannot create the join\n");
        exit(1);
    }
    op->next = sink;
    return op;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 5000000;
    schema_init(&in_schema);
    schema_add(&in_schema, "$side", SCHEMA_INT, true, NULL);
    schema_add(&in_schema, "$ts", SCHEMA_TIMESTAMP, true, NULL);
    schema_add(&in_schema, "$k", SCHEMA_STRING, true, NULL);
    schema_add(&in_schema, "v", SCHEMA_DOUBLE, true, NULL);
    schema_add(&in_schema, "a", SCHEMA_STRING, true, NULL);
    schema_init(&ls);
    schema_add(&ls, "ts", SCHEMA_TIMESTAMP, true, NULL);
    schema_add(&ls, "k", SCHEMA_STRING, true, NULL);
    schema_add(&ls, "v", SCHEMA_DOUBLE, true, NULL);
    schema_init(&rs);
    schema_add(&rs, "ts", SCHEMA_TIMESTAMP, true, NULL);
    schema_add(&rs, "k", SCHEMA_STRING, true, NULL);
    schema_add(&rs, "a", SCHEMA_STRING, true, NULL);
    for (int k = 0; k < KEYS; k++)
        snprintf(keytext[k], sizeof keytext[k], "machine-%04d", k);
    struct row_batch *b;
    row_batch_create(&in_schema, 1024, &b);

    /* throughput; batches are filled outside the timed part */
    struct interval_join *j;
    struct operator_node *op = make(&j);
    double cpu = 0;
    for (long i = 0; i < n; i += 1024) {
        long m = n - i < 1024 ? n - i : 1024;
        int64_t wm = ts_of(i) - 1000;
        fill(b, i, m, wm);
        double c0 = bench_cpu_s();
        if (op->ops->push(op, b) || op->ops->advance(op, wm)) {
            fprintf(stderr, "join failed\n");
            return 1;
        }
        cpu += bench_cpu_s() - c0;
    }
    op->ops->advance(op, INT64_MAX);
    long long want = recount(n);
    printf("join_interval rows_per_s_per_core=%.2fM rows=%ld pairs=%lld "
           "recount=%s\n",
           cpu > 0 ? n / cpu / 1e6 : 0.0, n, pairs_seen,
           pairs_seen == want ? "ok" : "MISMATCH");
    operator_destroy_chain(op);

    /* memory: 1,000,000 live rows, no watermark */
    long live = 1000000;
    long rss0 = bench_rss_bytes();
    op = make(&j);
    for (long i = 0; i < live; i += 1024) {
        long m = live - i < 1024 ? live - i : 1024;
        fill(b, i, m, INT64_MIN);
        op->ops->push(op, b);
    }
    long rss1 = bench_rss_bytes();
    struct interval_join_stats st;
    interval_join_stats(j, &st);
    printf("join_interval bytes_per_live_row=%.0f (rss) state_bytes_per_row="
           "%.1f live_rows=%llu\n",
           (double)(rss1 - rss0) / (double)st.live_rows,
           (double)st.state_bytes / (double)st.live_rows,
           (unsigned long long)st.live_rows);
    operator_destroy_chain(op);
    row_batch_destroy(b);
    return pairs_seen == want ? 0 : 1;
}
