/* rank.c - the deduplication and Top-N operators alone (stream/rank.h):
 * rows per second per core, each figure checked against an offline
 * recount.
 *
 *   dedup_first   keep the first row of each of 100,000 message ids, each
 *                 sent ~50 times, up to 1 s out of order (IoT resends)
 *   dedup_last    keep the last reading of each of 2,000 sensors (every
 *                 row an upsert)
 *   topn          the 3 largest values per sensor, 2,000 sensors
 *   window_topn   the 3 largest values per 10 s TUMBLE window (rows with
 *                 their window_end, as from the TVF)
 *
 * Rows come in 1,024-row batches with the watermark 1 s behind the newest
 * row after each batch; user+sys CPU of push + advance on one core.
 * Usage: rank [rows]   (default 5,000,000; the machine is shared, so
 * figures are indicative: run A B A B, report medians)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "base/err.h"
#include "stream/operator.h"
#include "stream/rank.h"

#define BASE_TS 1700000000000LL
#define BATCH 1024
#define SENSORS 2000
#define IDS 100000

static struct schema sc; /* k STRING, v DOUBLE, ts TIMESTAMP, we, rn */
static char keytext[IDS][16];
static long long out_rows;
static double *final_top; /* topn: [sensor][rank] of the last upsert */
static long long *win_count;

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char *cur_mode;

static int sink(void *arg, const struct row_batch *b)
{
    (void)arg;
    const char *mode = cur_mode;
    out_rows += b->nrows;
    if (!strcmp(mode, "topn"))
        for (int i = 0; i < b->nrows; i++) {
            const struct row_str *ks = &b->columns[0].data.str[i];
            int k = 0; /* "s%05d", not NUL-terminated */
            for (uint32_t c = 1; c < ks->len; c++)
                k = k * 10 + (ks->ptr[c] - '0');
            int64_t rn = b->columns[4].data.i64[i];
            final_top[k * 3 + rn - 1] = b->columns[1].data.f64[i];
        }
    if (!strcmp(mode, "window_topn"))
        for (int i = 0; i < b->nrows; i++)
            win_count[(b->columns[3].data.i64[i] - BASE_TS) / 10000]++;
    return 0;
}

struct gen {
    int key;
    double v;
    int64_t ts;
};

static struct gen row_of(const char *mode, long i)
{
    struct gen g;
    if (!strcmp(mode, "dedup_first")) {
        g.key = (int)(next_rand() % IDS);
        g.ts = BASE_TS + i / 5 - (int64_t)(next_rand() % 1000);
    } else {
        g.key = (int)((i * 7919) % SENSORS);
        g.ts = BASE_TS + i / 2;
    }
    g.v = (double)(next_rand() % 1000000) / 100.0;
    return g;
}

static int run(const char *mode, long n)
{
    struct rank_config cfg = {.rank_column = 4, .window_end = -1};
    cfg.nkeys = 1;
    cfg.keys[0] = 0;
    if (!strcmp(mode, "dedup_first")) {
        cfg.mode = RANK_FIRST;
    } else if (!strcmp(mode, "dedup_last")) {
        cfg.mode = RANK_LAST;
    } else if (!strcmp(mode, "topn")) {
        cfg.mode = RANK_TOPN;
        cfg.n = 3;
        cfg.norder = 1;
        cfg.order[0] = 1;
        cfg.desc[0] = true;
    } else {
        cfg.mode = RANK_WINDOW_TOPN;
        cfg.n = 3;
        cfg.norder = 1;
        cfg.order[0] = 1;
        cfg.desc[0] = true;
        cfg.keys[0] = 3; /* window_end only: one Top-N per window */
        cfg.window_end = 3;
    }
    struct operator_node *op, *snk;
    char msg[128];
    cur_mode = mode;
    if (rank_create(&sc, &cfg, &op, msg, sizeof msg) ||
        operator_sink_create(&sc, sink, NULL, &snk)) {
        fprintf(stderr, "rank_create: %s\n", msg);
        return 1;
    }
    op->next = snk;
    struct row_batch *b;
    row_batch_create(&sc, BATCH, &b);
    out_rows = 0;
    long nwin = n / 2 / 10000 + 2;
    final_top = calloc(SENSORS * 3, sizeof *final_top);
    win_count = calloc((size_t)nwin, sizeof *win_count);
    /* offline recount, kept beside the run */
    unsigned char *seen = calloc(IDS, 1);
    double *top = calloc(SENSORS * 3, sizeof *top);
    for (int i = 0; i < SENSORS * 3; i++)
        top[i] = -1;
    long long distinct = 0;
    rng = 88172645463325252ULL;
    int64_t newest = 0;
    double cpu0 = bench_cpu_s(), wall0 = bench_wall_s();
    for (long i = 0; i < n;) {
        row_batch_reset(b);
        for (int j = 0; j < BATCH && i < n; j++, i++) {
            struct gen g = row_of(mode, i);
            int r = row_batch_begin_row(b);
            const char *kt = keytext[g.key];
            row_batch_set(b, r, 0, value_string(kt, (uint32_t)strlen(kt)));
            row_batch_set(b, r, 1, value_double(g.v));
            row_batch_set(b, r, 2, value_timestamp(g.ts));
            int64_t we = g.ts - (g.ts - BASE_TS) % 10000 + 10000;
            row_batch_set(b, r, 3, value_timestamp(we));
            row_batch_set(b, r, 4, value_bigint(0));
            struct row_meta m = {g.ts, i, g.ts, 0, INT64_MIN};
            row_batch_commit_row(b, &m);
            if (g.ts > newest)
                newest = g.ts;
            if (!seen[g.key]) {
                seen[g.key] = 1;
                distinct++;
            }
            if (!strcmp(mode, "topn")) {
                double *t = &top[g.key * 3];
                for (int p = 0; p < 3; p++)
                    if (g.v > t[p]) {
                        memmove(t + p + 1, t + p, (size_t)(2 - p) * sizeof *t);
                        t[p] = g.v;
                        break;
                    }
            }
        }
        if (op->ops->push(op, b) || op->ops->advance(op, newest - 1000)) {
            fprintf(stderr, "push failed\n");
            return 1;
        }
    }
    op->ops->advance(op, INT64_MAX);
    double cpu = bench_cpu_s() - cpu0, wall = bench_wall_s() - wall0;
    struct rank_stats st;
    rank_stats(op, &st);
    bool ok;
    long long want;
    if (!strcmp(mode, "dedup_first")) {
        want = distinct;
        ok = out_rows == want;
    } else if (!strcmp(mode, "dedup_last")) {
        want = n; /* times only grow: every row is the newest */
        ok = out_rows == want;
    } else if (!strcmp(mode, "topn")) {
        want = out_rows;
        ok = !memcmp(top, final_top, SENSORS * 3 * sizeof *top);
    } else {
        want = 0;
        ok = true;
        for (long w = 0; w < nwin; w++)
            if (win_count[w])
                want += 3, ok = ok && win_count[w] == 3;
        ok = ok && out_rows == want;
    }
    printf("rank_%s rows_per_s_per_core=%.0f cpu_s=%.3f wall_s=%.3f "
           "rows=%ld out=%lld expected=%lld keys_held=%llu state_bytes=%llu "
           "check=%s\n",
           mode, n / cpu, cpu, wall, n, out_rows, want,
           (unsigned long long)st.keys, (unsigned long long)st.bytes,
           ok ? "ok" : "FAILED");
    free(seen);
    free(top);
    free(final_top);
    free(win_count);
    row_batch_destroy(b);
    operator_destroy_chain(op);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 5000000;
    schema_init(&sc);
    schema_add(&sc, "k", SCHEMA_STRING, false, NULL);
    schema_add(&sc, "v", SCHEMA_DOUBLE, false, NULL);
    schema_add(&sc, "ts", SCHEMA_TIMESTAMP, false, NULL);
    schema_add(&sc, "window_end", SCHEMA_TIMESTAMP, false, NULL);
    schema_add(&sc, "rn", SCHEMA_BIGINT, false, NULL);
    for (int i = 0; i < IDS; i++)
        snprintf(keytext[i], sizeof keytext[i], "s%05d", i);
    const char *modes[] = {"dedup_first", "dedup_last", "topn", "window_topn"};
    int rc = 0;
    for (int m = 0; m < 4; m++)
        if (argc <= 2 || !strcmp(argv[2], modes[m]))
            rc |= run(modes[m], n);
    return rc;
}
