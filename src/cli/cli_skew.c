/* cli_skew.c - `rill skew`: the partition-imbalance explorer (layer: cli).
 *
 * Prints the expected per-partition load for key-based and round-robin
 * placement (cli/skew.c). With --simulate it also generates the traffic
 * with the simulator (same hot sensors, same rates) and counts where each
 * record lands, so the expectation is checked against real placement.
 */
#include "cli/cli.h"
#include "web/skew.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "connect/simulator.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "log/partitioner.h"
#include "log/record_batch.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "rill skew [--sensors N] [--hot-share F] [--hot-traffic F] "
    "[--partitions P]\n"
    "    [--rate EVENTS_PER_S] [--seed S] [--simulate [--count N] [--data "
    "DIR]]\n"
    "  defaults: the course's example (100 sensors, 10% hot carrying 90%, "
    "10\n  partitions, 100000 events/s)";

static int num(const char *flag, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) {
        fprintf(stderr, "rill skew: --%s expects a number, got '%s'\n", flag,
                s);
        return 2;
    }
    *out = v;
    return 0;
}

/* Two topics in a data directory, one placed by key and one round-robin,
 * with a batch builder per partition of each. */
struct skew_log {
    struct logdir *ld;
    struct partition **parts[2];
    struct record_batch_builder *b[2];
    int32_t np;
    struct buf batch;
};

static const char *const skew_topics[2] = {"skew-by-key", "skew-round-robin"};

static int skew_log_append(struct skew_log *l, int t, int32_t p)
{
    struct record_batch_builder *b = &l->b[t][p];
    if (record_batch_builder_count(b) == 0)
        return 0;
    buf_reset(&l->batch);
    int rc = record_batch_builder_finish(b, &l->batch);
    record_batch_builder_reset(b);
    if (rc == 0)
        rc =
            partition_append(l->parts[t][p], l->batch.data, l->batch.len, NULL);
    return rc;
}

static int skew_log_open(struct skew_log *l, const char *dir, int32_t np)
{
    memset(l, 0, sizeof *l);
    int rc = logdir_open(dir, NULL, &l->ld);
    if (rc < 0)
        return rc;
    l->np = np;
    buf_init(&l->batch);
    for (int t = 0; t < 2; t++) {
        struct logdir_topic_config tc;
        logdir_topic_config_init(&tc);
        tc.partitions = np;
        logdir_topic_delete(l->ld, skew_topics[t]); /* a fresh run */
        rc = logdir_topic_create(l->ld, skew_topics[t], &tc);
        if (rc < 0)
            return rc;
        l->parts[t] = mem_calloc((size_t)np, sizeof *l->parts[t]);
        l->b[t] = mem_calloc((size_t)np, sizeof *l->b[t]);
        for (int32_t p = 0; p < np; p++) {
            l->parts[t][p] = logdir_partition(l->ld, skew_topics[t], p);
            record_batch_builder_init(&l->b[t][p], COMPRESS_NONE);
            if (!l->parts[t][p])
                return ERR_NOT_FOUND;
        }
    }
    return 0;
}

static void skew_log_close(struct skew_log *l)
{
    for (int t = 0; t < 2; t++) {
        for (int32_t p = 0; l->b[t] && p < l->np; p++)
            record_batch_builder_fini(&l->b[t][p]);
        mem_free(l->b[t]);
        mem_free(l->parts[t]);
    }
    buf_fini(&l->batch);
    logdir_close(l->ld);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Generates count events with the simulator and counts placements: in
 * process (log_dir NULL), or by appending them to two topics of a data
 * directory (a temporary one when log_dir is "") and reading back each
 * partition's end offset. */
static int simulate_counts(const struct skew_input *in, int64_t count,
                           const char *log_dir, int64_t *key_n, int64_t *rr_n)
{
    struct sim_config c;
    sim_config_default(&c);
    sim_config_clean(&c);
    c.seed = in->seed;
    c.sensors = in->sensors;
    c.nkinds = 1;
    c.rate = in->rate;
    c.hot_share = in->hot_share;
    c.hot_traffic = in->hot_traffic;
    struct sim *s;
    int rc = sim_create(&c, &s);
    if (rc < 0)
        return rc;
    struct sim_event *ev = mem_alloc(sizeof *ev * 4096);
    int32_t *part = mem_alloc(sizeof *part * (size_t)in->sensors);
    for (int32_t i = 0; i < in->sensors; i++) {
        size_t len;
        const char *key = sim_sensor_id(s, i, &len);
        part[i] = partitioner_for_key(key, len, in->partitions);
    }
    char tmpl[] = "/tmp/rill-skew.XXXXXX";
    const char *dir = log_dir;
    struct skew_log l;
    bool use_log = log_dir != NULL;
    if (use_log && !*log_dir) {
        dir = mkdtemp(tmpl);
        if (!dir) {
            rc = -errno;
            goto out;
        }
    }
    if (use_log && (rc = skew_log_open(&l, dir, in->partitions)) < 0) {
        skew_log_close(&l);
        goto out_dir;
    }
    int64_t done = 0, rr = 0;
    char line[SIM_RECORD_MAX];
    while (done < count && rc == 0) {
        size_t want = count - done < 4096 ? (size_t)(count - done) : 4096;
        size_t n = sim_next(s, INT64_MAX, ev, want);
        if (!n)
            break;
        for (size_t i = 0; i < n && rc == 0; i++) {
            int32_t kp = part[ev[i].sensor];
            if (!use_log) {
                key_n[kp]++;
                rr_n[rr]++;
            } else {
                size_t klen, len;
                const char *key = sim_sensor_id(s, ev[i].sensor, &klen);
                len = sim_format_event(s, &ev[i], SIM_FMT_JSON, line) - 1;
                struct slice k = slice_make(key, klen),
                             v = slice_make(line, len);
                int32_t ps[2] = {kp, (int32_t)rr};
                for (int t = 0; t < 2 && rc == 0; t++) {
                    rc = record_batch_builder_add(&l.b[t][ps[t]], &k, &v,
                                                  ev[i].ts, NULL, 0);
                    if (rc == 0 &&
                        record_batch_builder_count(&l.b[t][ps[t]]) >= 1000)
                        rc = skew_log_append(&l, t, ps[t]);
                }
            }
            if (++rr == in->partitions)
                rr = 0;
        }
        done += (int64_t)n;
    }
    if (use_log) {
        for (int t = 0; t < 2; t++)
            for (int32_t p = 0; p < in->partitions && rc == 0; p++)
                rc = skew_log_append(&l, t, p);
        for (int32_t p = 0; p < in->partitions; p++) {
            key_n[p] = partition_high_watermark(l.parts[0][p]);
            rr_n[p] = partition_high_watermark(l.parts[1][p]);
        }
        skew_log_close(&l);
    }
out_dir:
    if (use_log && !*log_dir)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
out:
    mem_free(part);
    mem_free(ev);
    sim_destroy(s);
    return rc;
}

int cli_skew(int argc, char **argv)
{
    struct cli_args a;
    cli_args_init(&a, argc, argv);
    if (cli_flag(&a, "help") || cli_flag(&a, "h")) {
        printf("usage: %s\n", usage);
        return 0;
    }
    struct skew_input in = {100, 0.1, 0.9, 10, 100000, 1};
    double v;
    const char *s;
    int64_t seed = 1, count = 0;
    if ((s = cli_opt(&a, "sensors"))) {
        if (num("sensors", s, &v))
            return 2;
        in.sensors = (int32_t)v;
    }
    if ((s = cli_opt(&a, "partitions"))) {
        if (num("partitions", s, &v))
            return 2;
        in.partitions = (int32_t)v;
    }
    if ((s = cli_opt(&a, "hot-share")) && num("hot-share", s, &in.hot_share))
        return 2;
    if ((s = cli_opt(&a, "hot-traffic")) &&
        num("hot-traffic", s, &in.hot_traffic))
        return 2;
    if ((s = cli_opt(&a, "rate")) && num("rate", s, &in.rate))
        return 2;
    if ((s = cli_opt(&a, "seed")) && cli_parse_i64("seed", s, &seed))
        return 2;
    if ((s = cli_opt(&a, "count")) && cli_parse_i64("count", s, &count))
        return 2;
    bool sim = cli_flag(&a, "simulate");
    const char *data = cli_opt(&a, "data");
    int rc = cli_check_unused(&a, usage);
    if (rc)
        return rc;
    in.seed = (uint64_t)seed;

    struct skew_result r;
    if (skew_compute(&in, &r) < 0) {
        fprintf(stderr, "rill skew: inputs out of range\nusage: %s\n", usage);
        return 2;
    }
    struct buf b;
    buf_init(&b);
    skew_report(&in, &r, &b);
    if (sim) {
        if (count <= 0) {
            /* Two seconds of traffic, at most 2M records. */
            double c2 = in.rate * 2;
            count = c2 > 2e6 ? 2000000 : (int64_t)c2;
        }
        int64_t *kn = mem_calloc((size_t)in.partitions, sizeof *kn);
        int64_t *rn = mem_calloc((size_t)in.partitions, sizeof *rn);
        rc = simulate_counts(&in, count, data ? data : "", kn, rn);
        char how[512];
        snprintf(how, sizeof how,
                 "simulated traffic appended to topics skew-by-key and "
                 "skew-round-robin in %s; per-partition end offsets",
                 data ? data : "a temporary data directory");
        if (rc == 0)
            skew_report_measured(&in, &r, kn, rn, how, &b);
        mem_free(kn);
        mem_free(rn);
        if (rc < 0) {
            fprintf(stderr, "rill skew: --simulate: %s\n", err_str(rc));
            rc = 1;
        }
    }
    fwrite(b.data, 1, b.len, stdout);
    buf_fini(&b);
    skew_result_fini(&r);
    return rc;
}
