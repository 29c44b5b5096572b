/* decimal_cast.c - the cost of CAST(x AS DECIMAL(10, 2)) (stream/decimal.h)
 * next to CAST(x AS DOUBLE), over batches of 1,024 DOUBLE values.
 *
 * Two inputs: sensor readings with at most 3 decimals (what JSON input
 * mostly holds), and sums of such readings, whose shortest text needs up
 * to 17 digits (0.1 + 0.2 = 0.30000000000000004); only a value within a
 * hair of a half takes the slow path (its shortest text). One line per
 * figure: values per second per core (user+sys CPU). Usage:
 * decimal_cast [values] (default 20,000,000; the machine is shared, so
 * figures are indicative)
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "stream/expr.h"

#define BATCH 1024

static double run(struct expr_ctx *c, struct expr *e, struct row_batch *b,
                  long n, double *sink)
{
    double t0 = bench_cpu_s();
    for (long done = 0; done < n; done += BATCH) {
        struct expr_result r;
        if (expr_eval(c, e, b, &r)) {
            fprintf(stderr, "decimal_cast: eval failed\n");
            exit(1);
        }
        *sink += expr_result_get(&r, (int)(done / BATCH % BATCH)).u.f64;
    }
    return bench_cpu_s() - t0;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000000;
    struct schema sch;
    schema_init(&sch);
    schema_add(&sch, "v", SCHEMA_DOUBLE, true, NULL);
    const char *what[2] = {"readings (<= 3 decimals)",
                           "sums (17-digit binary fractions)"};
    double sink = 0;
    for (int kind = 0; kind < 2; kind++) {
        struct row_batch *b;
        row_batch_create(&sch, BATCH, &b);
        uint64_t x = 88172645463325252u;
        double acc = 0;
        for (int i = 0; i < BATCH; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* as JSON decodes "12.345": the nearest double */
            double v = (double)((int64_t)(x % 200000) - 50000) / 1000.0;
            acc += v / 7;
            int row = row_batch_begin_row(b);
            row_batch_set(b, row, 0, value_double(kind ? acc : v));
            row_batch_commit_row(b, NULL);
        }
        struct expr_ctx *c;
        expr_ctx_create(&sch, BATCH, &c);
        struct expr *dec = expr_cast_decimal(c, expr_column(c, 0), 10, 2);
        struct expr *dbl = expr_cast(c, expr_column(c, 0), SCHEMA_DOUBLE);
        double td = run(c, dec, b, n, &sink);
        double tb = run(c, dbl, b, n, &sink);
        printf("decimal_cast: CAST AS DECIMAL(10,2) of %s %.1f M values/s "
               "per core (CAST AS DOUBLE %.1f M/s)\n",
               what[kind], n / td / 1e6, n / tb / 1e6);
        expr_ctx_destroy(c);
        row_batch_destroy(b);
    }
    return sink == 12345.678 ? 1 : 0; /* keeps the results alive */
}
