/* json_decode.c - benchmark: 150-byte sensor JSON record -> typed row
 * (layer: row, bench only; target G6 in BENCHMARKS.md: >= 8M records/s/core).
 *
 * Decodes 4,096 distinct pre-built records into a 4,096-row batch, resets,
 * repeats for about 2 s of CPU time, and reports records per CPU second
 * (getrusage, user + system) on one thread. Also measures the SenML and CSV
 * decoders and the JSON encoder on similar rows, each for about 1 s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench_util.h"
#include "base/buf.h"
#include "row/csv_decode.h"
#include "row/json_decode.h"
#include "row/json_encode.h"
#include "row/row_batch.h"
#include "row/schema.h"
#include "row/senml_decode.h"

#define NREC 4096

static const char *kinds[] = {"vibration", "temperature", "pressure", "rpm"};

int main(void)
{
    static char recs[NREC][200], csv[NREC][120];
    static size_t lens[NREC], csvlens[NREC];
    size_t total_bytes = 0;
    for (int i = 0; i < NREC; i++) {
        int n =
            snprintf(recs[i], sizeof(recs[i]),
                     "{\"sensor_id\":\"s-%04d\",\"machine_id\":\"m-%03d\","
                     "\"kind\":\"%s\",\"value\":%d.%04d,\"unit\":\"g\","
                     "\"ts\":%lld,\"seq\":%d,\"site\":\"plant-01\","
                     "\"quality\":\"good\"}",
                     i % 2000, i % 50, kinds[i % 4], i % 7, (i * 37) % 10000,
                     1764000000123LL + i * 10, 123456 + i);
        lens[i] = (size_t)n;
        total_bytes += (size_t)n;
        n = snprintf(csv[i], sizeof(csv[i]),
                     "s-%04d,m-%03d,%s,%d.%04d,g,%lld,%d", i % 2000, i % 50,
                     kinds[i % 4], i % 7, (i * 37) % 10000,
                     1764000000123LL + i * 10, 123456 + i);
        csvlens[i] = (size_t)n;
    }
    struct schema s;
    schema_init(&s);
    schema_add(&s, "sensor_id", SCHEMA_STRING, false, NULL);
    schema_add(&s, "machine_id", SCHEMA_STRING, true, NULL);
    schema_add(&s, "kind", SCHEMA_STRING, true, NULL);
    schema_add(&s, "value", SCHEMA_DOUBLE, true, NULL);
    schema_add(&s, "unit", SCHEMA_STRING, true, NULL);
    schema_add(&s, "ts", SCHEMA_TIMESTAMP, false, NULL);
    schema_add(&s, "seq", SCHEMA_BIGINT, true, NULL);
    struct row_batch *b;
    struct json_decoder *d;
    struct row_error err;
    if (row_batch_create(&s, NREC, &b) != 0 ||
        json_decoder_create(&s, 0, &d) != 0)
        return 1;
    row_batch_set_time_column(b, 5);

    /* JSON decode. */
    long long count = 0;
    double c0 = bench_cpu_s(), w0 = bench_wall_s(), c1;
    do {
        for (int k = 0; k < 64; k++) {
            row_batch_reset(b);
            for (int i = 0; i < NREC; i++)
                if (json_decode(d, b, recs[i], lens[i], NULL, &err) != 0) {
                    fprintf(stderr, "json_decode: %s\n", err.message);
                    return 1;
                }
            count += NREC;
        }
        c1 = bench_cpu_s();
    } while (c1 - c0 < 2.0);
    double w1 = bench_wall_s();
    printf("json_decode records_per_s=%.0f cpu_s=%.2f wall_s=%.2f "
           "record_bytes=%zu MB_per_s=%.0f\n",
           count / (c1 - c0), c1 - c0, w1 - w0, total_bytes / NREC,
           count * (double)(total_bytes / NREC) / (c1 - c0) / 1e6);

    /* JSON encode of the decoded rows. */
    struct buf out;
    buf_init(&out);
    count = 0;
    c0 = bench_cpu_s();
    w0 = bench_wall_s();
    do {
        for (int k = 0; k < 16; k++) {
            for (int i = 0; i < b->nrows; i++) {
                buf_reset(&out);
                json_encode_row(b, i, &out);
            }
            count += b->nrows;
        }
        c1 = bench_cpu_s();
    } while (c1 - c0 < 1.0);
    w1 = bench_wall_s();
    printf("json_encode records_per_s=%.0f cpu_s=%.2f wall_s=%.2f "
           "record_bytes=%zu\n",
           count / (c1 - c0), c1 - c0, w1 - w0, out.len);
    buf_fini(&out);

    /* CSV decode, same columns in order. */
    struct csv_decoder *cd;
    if (csv_decoder_create(&s, ',', 0, &cd) != 0)
        return 1;
    count = 0;
    c0 = bench_cpu_s();
    w0 = bench_wall_s();
    do {
        for (int k = 0; k < 16; k++) {
            row_batch_reset(b);
            for (int i = 0; i < NREC; i++)
                if (csv_decode(cd, b, csv[i], csvlens[i], NULL, &err) != 0) {
                    fprintf(stderr, "csv_decode: %s\n", err.message);
                    return 1;
                }
            count += NREC;
        }
        c1 = bench_cpu_s();
    } while (c1 - c0 < 1.0);
    w1 = bench_wall_s();
    printf("csv_decode records_per_s=%.0f cpu_s=%.2f wall_s=%.2f\n",
           count / (c1 - c0), c1 - c0, w1 - w0);
    csv_decoder_destroy(cd);

    /* SenML: packs of 8 records sharing bn/bt/bu. */
    struct schema ss;
    schema_init(&ss);
    schema_add(&ss, "name", SCHEMA_STRING, false, NULL);
    schema_add(&ss, "unit", SCHEMA_STRING, true, NULL);
    schema_add(&ss, "value", SCHEMA_DOUBLE, true, NULL);
    schema_add(&ss, "ts", SCHEMA_TIMESTAMP, false, NULL);
    struct row_batch *sb;
    struct senml_decoder *sd;
    if (row_batch_create(&ss, 4096, &sb) != 0 ||
        senml_decoder_create(&ss, &sd) != 0)
        return 1;
    const char *pack =
        "[{\"bn\":\"urn:dev:ow:10e2073a01080063:\",\"bt\":1.764e+09,"
        "\"bu\":\"Cel\",\"n\":\"t0\",\"v\":23.1},{\"n\":\"t1\",\"v\":23.2,"
        "\"t\":1},{\"n\":\"t2\",\"v\":23.3,\"t\":2},{\"n\":\"t3\",\"v\":23.4,"
        "\"t\":3},{\"n\":\"t4\",\"v\":23.5,\"t\":4},{\"n\":\"t5\",\"v\":23.6,"
        "\"t\":5},{\"n\":\"t6\",\"v\":23.7,\"t\":6},{\"n\":\"t7\",\"v\":23.8,"
        "\"t\":7}]";
    size_t plen = strlen(pack);
    count = 0;
    c0 = bench_cpu_s();
    w0 = bench_wall_s();
    do {
        for (int k = 0; k < 64; k++) {
            row_batch_reset(sb);
            for (int i = 0; i < 512; i++)
                if (senml_decode(sd, sb, pack, plen, 0, NULL, &err) < 0) {
                    fprintf(stderr, "senml_decode: %s\n", err.message);
                    return 1;
                }
            count += 4096;
        }
        c1 = bench_cpu_s();
    } while (c1 - c0 < 1.0);
    w1 = bench_wall_s();
    printf("senml_decode rows_per_s=%.0f cpu_s=%.2f wall_s=%.2f "
           "records_per_pack=8\n",
           count / (c1 - c0), c1 - c0, w1 - w0);
    senml_decoder_destroy(sd);
    row_batch_destroy(sb);
    json_decoder_destroy(d);
    row_batch_destroy(b);
    return 0;
}
