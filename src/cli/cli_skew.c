/* cli_skew.c - `rill skew`: the partition-imbalance explorer (layer: cli).
 *
 * Prints the expected per-partition load for key-based and round-robin
 * placement (cli/skew.c). With --simulate it also generates the traffic
 * with the simulator (same hot sensors, same rates) and counts where each
 * record lands, so the expectation is checked against real placement.
 */
#include "cli/cli.h"
#include "cli/skew.h"

#include "base/buf.h"
#include "base/mem.h"
#include "connect/simulator.h"
#include "log/partitioner.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "rill skew [--sensors N] [--hot-share F] [--hot-traffic F] "
    "[--partitions P]\n"
    "    [--rate EVENTS_PER_S] [--seed S] [--simulate [--count N]]\n"
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

/* Generates count events with the simulator and counts placements. */
static int simulate_counts(const struct skew_input *in, int64_t count,
                           int64_t *key_n, int64_t *rr_n)
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
    int64_t done = 0, rr = 0;
    while (done < count) {
        size_t want = count - done < 4096 ? (size_t)(count - done) : 4096;
        size_t n = sim_next(s, INT64_MAX, ev, want);
        if (!n)
            break;
        for (size_t i = 0; i < n; i++) {
            key_n[part[ev[i].sensor]]++;
            rr_n[rr]++;
            if (++rr == in->partitions)
                rr = 0;
        }
        done += (int64_t)n;
    }
    mem_free(part);
    mem_free(ev);
    sim_destroy(s);
    return 0;
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
        rc = simulate_counts(&in, count, kn, rn);
        if (rc == 0)
            skew_report_measured(&in, &r, kn, rn,
                                 "simulated traffic, murmur2 placement, "
                                 "counted in process",
                                 &b);
        mem_free(kn);
        mem_free(rn);
        if (rc < 0) {
            fprintf(stderr, "rill skew: --simulate: invalid settings\n");
            rc = 1;
        }
    }
    fwrite(b.data, 1, b.len, stdout);
    buf_fini(&b);
    skew_result_fini(&r);
    return rc;
}
