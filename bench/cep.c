/* cep.c - G9: the bearing-failure MATCH_RECOGNIZE end to end from the
 * embedded log.
 *
 * Writes N JSON readings (~150 B: 2,000 sensors on 500 machines, one
 * vibration, temperature, current and acoustic sensor each, 10 readings
 * per second per sensor, up to 200 ms of disorder) into one partition (not
 * timed). Bearing faults are injected on random machines: vibration +3 g
 * for 5 s, then 10-50 s later the temperature ramps up 20 C over 20 s.
 * Then times: the local log's reader (views, CRC-32C per batch) -> JSON
 * decode -> the pattern operator with examples/factory.sql's bearing
 * pattern, PARTITION BY machine_id:
 *   PATTERN (V N*? T0 M*? T) WITHIN INTERVAL '60' SECOND
 *   V AS kind = 'vibration' AND value > 2.0, N AS kind <> 'temperature',
 *   T0 AS kind = 'temperature', T AS kind = 'temperature' AND
 *   value >= T0.value + 3.0
 * (watermark 5 s behind) -> a sink that counts the matches and checks each
 * against an injected fault. Reports events per second per core (user+sys
 * CPU of the timed phase), matches found / injected, and the state per
 * machine (key) as the operator accounts it (rows held until the
 * watermark passes them, partial matches, their nodes), at its largest.
 * (RSS says little here: the log is read through a mapping.)
 * Usage: cep [records]   (default 4,000,000 = 200 s of the factory; the
 * machine is shared, so figures are indicative)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "connect/local_log.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "log/record_batch.h"
#include "stream/cep.h"
#include "stream/pipeline.h"

#define MACHINES 500
#define KINDS 4
#define SENSORS (MACHINES * KINDS)
#define HZ 10
#define BASE_TS 1700000000000LL
#define BATCH_RECORDS 1000
#define MAX_FAULTS 4096

static uint64_t rng = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char *const kind_names[KINDS] = {"vibration", "temperature",
                                              "current", "acoustic"};
static const double base_value[KINDS] = {0.5, 45.0, 12.0, 70.0};

struct fault {
    int machine;
    int64_t spike_ms, rise_ms; /* spike start, temperature ramp start */
    bool found;
};
static struct fault faults[MAX_FAULTS];
static int nfaults;
static long matches, unexplained;
static uint64_t max_state_bytes, max_keys;
static struct cep *cep_handle;

static int sink(void *arg, const struct row_batch *b)
{
    (void)arg;
    for (int r = 0; r < b->nrows; r++) {
        struct row_str m = b->columns[0].data.str[r];
        int machine = atoi(m.ptr + 2); /* "m-0042" */
        int64_t spike = b->columns[1].data.i64[r];
        matches++;
        bool ok = false;
        for (int f = 0; f < nfaults; f++)
            if (faults[f].machine == machine && spike >= faults[f].spike_ms &&
                spike < faults[f].spike_ms + 5000) {
                ok = !faults[f].found;
                faults[f].found = true;
            }
        unexplained += !ok;
    }
    struct cep_stats st;
    cep_stats(cep_handle, &st);
    if (st.state_bytes > max_state_bytes)
        max_state_bytes = st.state_bytes;
    if (st.keys > max_keys)
        max_keys = st.keys;
    return 0;
}

static void schema_make(struct schema *s)
{
    schema_init(s);
    schema_add(s, "sensor_id", SCHEMA_STRING, false, NULL);
    schema_add(s, "machine_id", SCHEMA_STRING, true, NULL);
    schema_add(s, "kind", SCHEMA_STRING, true, NULL);
    schema_add(s, "value", SCHEMA_DOUBLE, true, NULL);
    schema_add(s, "ts", SCHEMA_TIMESTAMP, false, NULL);
}

static struct expr *kind_is(struct expr_ctx *c, const char *k, bool eq)
{
    return expr_binary(c, eq ? EXPR_EQ : EXPR_NE, expr_column(c, 2),
                       expr_literal(c, value_string(k, (uint32_t)strlen(k))));
}

/* The bearing pattern, as sql_match.c builds it from factory.sql. */
static int add_pattern(struct pipeline *pl)
{
    const struct schema *in = pipeline_schema(pl);
    struct cep *c;
    if (cep_create(in, pipeline_capacity(pl), &c))
        return -1;
    int V = cep_add_var(c, "V"), N = cep_add_var(c, "N"),
        T0 = cep_add_var(c, "T0"), M = cep_add_var(c, "M"),
        T = cep_add_var(c, "T");
    struct cep_node nv = {CEP_NODE_VAR, V, NULL, 0, 1, 1, false};
    struct cep_node nn = {CEP_NODE_VAR, N, NULL, 0, 0, -1, true};
    struct cep_node nt0 = {CEP_NODE_VAR, T0, NULL, 0, 1, 1, false};
    struct cep_node nm = {CEP_NODE_VAR, M, NULL, 0, 0, -1, true};
    struct cep_node nt = {CEP_NODE_VAR, T, NULL, 0, 1, 1, false};
    const struct cep_node *items[] = {&nv, &nn, &nt0, &nm, &nt};
    struct cep_node seq = {CEP_NODE_SEQ, 0, items, 5, 1, 1, false};
    char err[256];
    if (cep_set_pattern(c, &seq, err, sizeof err))
        return -1;
    struct cep_options o = {.nkeys = 1, .keys = {1}, .within_ms = 60000};
    if (cep_set_options(c, &o))
        return -1;
    struct cep_ref last_t0 = {.kind = CEP_REF_LAST, .var = T0, .column = 3};
    int lt0 = cep_add_ref(c, CEP_DEFINE, &last_t0);
    struct expr_ctx *lctx, *gctx, *mctx;
    expr_ctx_create(in, pipeline_capacity(pl), &lctx);
    expr_ctx_create(cep_schema(c, CEP_DEFINE), pipeline_capacity(pl), &gctx);
    struct expr *local[CEP_MAX_VARS] = {0}, *general[CEP_MAX_VARS] = {0};
    local[V] = expr_binary(lctx, EXPR_AND, kind_is(lctx, "vibration", true),
                           expr_binary(lctx, EXPR_GT, expr_column(lctx, 3),
                                       expr_literal(lctx, value_double(2.0))));
    local[N] = kind_is(lctx, "temperature", false);
    local[T0] = kind_is(lctx, "temperature", true);
    /* T's AND terms split as sql_match.c splits them: the row's own
     * (once per row) and the navigating one (per partial match) */
    local[T] = kind_is(lctx, "temperature", true);
    general[T] =
        expr_binary(gctx, EXPR_GE, expr_column(gctx, 3),
                    expr_binary(gctx, EXPR_ADD, expr_column(gctx, lt0),
                                expr_literal(gctx, value_double(3.0))));
    if (cep_set_defines(c, lctx, gctx, local, general))
        return -1;
    struct cep_ref vts = {.kind = CEP_REF_LAST, .var = V, .column = 4};
    struct cep_ref tts = {.kind = CEP_REF_LAST, .var = T, .column = 4};
    struct cep_ref tv = {.kind = CEP_REF_LAST, .var = T, .column = 3};
    struct cep_ref t0v = {.kind = CEP_REF_LAST, .var = T0, .column = 3};
    int m0 = cep_add_ref(c, CEP_MEASURE, &vts),
        m1 = cep_add_ref(c, CEP_MEASURE, &tts),
        m2 = cep_add_ref(c, CEP_MEASURE, &tv),
        m3 = cep_add_ref(c, CEP_MEASURE, &t0v);
    expr_ctx_create(cep_schema(c, CEP_MEASURE), pipeline_capacity(pl), &mctx);
    struct expr *ms[3] = {expr_column(mctx, m0), expr_column(mctx, m1),
                          expr_binary(mctx, EXPR_SUB, expr_column(mctx, m2),
                                      expr_column(mctx, m3))};
    const char *names[3] = {"spike_ts", "rise_ts", "rise_c"};
    if (cep_set_measures(c, mctx, 3, ms, names))
        return -1;
    struct operator_node *op;
    cep_handle = c;
    if (operator_cep_create(c, &op) || pipeline_add_operator(pl, op))
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    long total = argc > 1 ? atol(argv[1]) : 4000000;
    total -= total % SENSORS;
    if (total <= 0)
        return 1;
    diag_set_level(DIAG_WARN);
    struct schema sch;
    schema_make(&sch);
    long seconds = total / SENSORS / HZ;

    /* Faults: about 2 a minute per 100 machines, each on its own machine
     * and far enough from the end to be detectable. */
    int64_t *busy_until = calloc(MACHINES, sizeof *busy_until);
    for (long sec = 5; sec + 80 < seconds && nfaults < MAX_FAULTS; sec++) {
        if (rnd() % 6 != 0)
            continue;
        int m = (int)(rnd() % MACHINES);
        int64_t spike = BASE_TS + sec * 1000 + (int64_t)(rnd() % 1000);
        if (busy_until[m] > spike)
            continue;
        int64_t rise = spike + 10000 + (int64_t)(rnd() % 40000);
        faults[nfaults++] = (struct fault){m, spike, rise, false};
        busy_until[m] = rise + 30000;
    }

    char dir[] = "/tmp/rill-bench-cep.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    struct logdir_options lo;
    logdir_options_init(&lo);
    lo.no_flusher = true;
    lo.flush_interval_ms = 0;
    lo.recovery_point_ms = 0;
    struct logdir *ld;
    if (logdir_open(dir, &lo, &ld) != 0)
        return 1;
    struct logdir_topic_config tc;
    logdir_topic_config_init(&tc);
    tc.segment_bytes = 256 << 20;
    tc.max_message_bytes = 4 << 20;
    logdir_topic_create(ld, "readings", &tc);
    struct partition *p = logdir_partition(ld, "readings", 0);

    /* Write (not timed): tick by tick, every sensor once per 100 ms. */
    struct record_batch_builder rb;
    record_batch_builder_init(&rb, 0);
    struct buf batch;
    buf_init(&batch);
    long bytes = 0, n = 0;
    for (long tick = 0; n < total; tick++) {
        for (int s = 0; s < SENSORS && n < total; s++, n++) {
            int m = s / KINDS, k = s % KINDS;
            int64_t ts = BASE_TS + tick * (1000 / HZ) + (int64_t)(rnd() % 200);
            double v = base_value[k] + (double)(rnd() % 1000) / 1000.0 * 0.2;
            for (int f = 0; f < nfaults; f++) {
                if (faults[f].machine != m)
                    continue;
                if (k == 0 && ts >= faults[f].spike_ms &&
                    ts < faults[f].spike_ms + 5000)
                    v += 3.0;
                if (k == 1 && ts >= faults[f].rise_ms &&
                    ts < faults[f].rise_ms + 60000) {
                    int64_t into = ts - faults[f].rise_ms;
                    v += 20.0 * (into >= 20000 ? 1.0 : (double)into / 20000.0);
                }
            }
            char val[200], key[16];
            int kn = snprintf(key, sizeof key, "s-%04d", s);
            int vn = snprintf(val, sizeof val,
                              "{\"sensor_id\":\"%s\",\"machine_id\":\"m-%04d\","
                              "\"kind\":\"%s\",\"value\":%.4f,\"unit\":\"x\","
                              "\"ts\":%lld}",
                              key, m, kind_names[k], v, (long long)ts);
            bytes += vn;
            struct slice ks = slice_make(key, (size_t)kn);
            struct slice vs = slice_make(val, (size_t)vn);
            record_batch_builder_add(&rb, &ks, &vs, ts, NULL, 0);
            if (record_batch_builder_count(&rb) == BATCH_RECORDS ||
                n + 1 == total) {
                buf_reset(&batch);
                record_batch_builder_finish(&rb, &batch);
                record_batch_builder_reset(&rb);
                if (partition_append(p, batch.data, batch.len, NULL) != 0) {
                    fprintf(stderr, "append failed\n");
                    return 1;
                }
            }
        }
    }
    record_batch_builder_fini(&rb);
    int64_t hwm = partition_high_watermark(p);

    struct pipeline_source_config src;
    memset(&src, 0, sizeof src);
    src.schema = &sch;
    src.time_column = 4;
    src.npartitions = 1;
    src.watermark_delay_ms = 5000;
    src.batch_capacity = 1024;
    struct pipeline *pl;
    if (pipeline_create(&src, &pl) != 0 || add_pattern(pl) != 0 ||
        pipeline_set_sink(pl, sink, NULL) != 0) {
        fprintf(stderr, "cannot build the pattern\n");
        return 1;
    }
    struct stream_log log;
    local_log_init(&log, ld);
    struct stream_reader *rd;
    if (stream_log_reader(&log, "readings", 0, 0, &rd) != 0)
        return 1;
    double c0 = bench_cpu_s();
    int64_t t0 = clock_mono_ns(), off = 0;
    while (off < hwm) {
        struct stream_chunk ch;
        int rc = stream_reader_read(rd, off, 1 << 20, &ch);
        if (rc <= 0) {
            fprintf(stderr, "read: %s\n", err_str(rc));
            return 1;
        }
        rc = pipeline_push(pl, 0, ch.records, 0, NULL, NULL);
        if (rc) {
            fprintf(stderr, "push: %s\n", err_str(rc));
            return 1;
        }
        off = ch.next_offset;
        stream_reader_release(rd);
    }
    pipeline_end_of_input(pl);
    double wall = (double)(clock_mono_ns() - t0) / 1e9;
    double cpu = bench_cpu_s() - c0;
    int found = 0;
    for (int f = 0; f < nfaults; f++)
        found += faults[f].found;
    bool ok = found == nfaults && unexplained == 0;
    printf("cep events_per_s_per_core=%.0f events_per_s=%.0f cpu_s=%.2f "
           "wall_s=%.2f events=%ld avg_record_bytes=%ld machines=%d "
           "sensors=%d faults=%d matches=%ld found=%d unexplained=%ld "
           "state_bytes_per_key_max=%.0f crc_checked=1 check=%s\n",
           (double)total / cpu, (double)total / wall, cpu, wall, total,
           bytes / total, MACHINES, SENSORS, nfaults, matches, found,
           unexplained,
           max_keys ? (double)max_state_bytes / (double)max_keys : 0,
           ok ? "ok" : "MISMATCH");
    stream_reader_close(rd);
    buf_fini(&batch);
    pipeline_destroy(pl);
    free(busy_until);
    logdir_close(ld);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return ok ? 0 : 1;
}
