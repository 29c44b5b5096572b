/* skew.c - `rill skew`: key-based vs round-robin partition load (layer:
 * web).
 *
 * The course's example: 100 sensors, 10% of them carrying 90% of the
 * traffic, 10 partitions. Key-based placement puts 2-3 hot sensors on some
 * partitions while others idle; round-robin gives every partition the
 * mean (10,000 msg/s at 100K/s). Key placement keeps per-sensor order and
 * lets one consumer own a sensor's state; round-robin loses order but
 * scales linearly. A consumer group is capped by the partition count, and
 * its throughput by the hottest partition.
 */
#include "web/skew.h"

#include "base/err.h"
#include "base/mem.h"
#include "connect/simulator.h"
#include "log/partitioner.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void side_alloc(struct skew_side *s, int32_t partitions)
{
    memset(s, 0, sizeof *s);
    s->load = mem_calloc((size_t)partitions, sizeof *s->load);
    s->sensors = mem_calloc((size_t)partitions, sizeof *s->sensors);
    s->hot = mem_calloc((size_t)partitions, sizeof *s->hot);
}

void skew_side_summarise(struct skew_side *s, int32_t partitions)
{
    double sum = 0, sq = 0;
    s->max = -1;
    s->min = INFINITY;
    s->idle = 0;
    for (int32_t p = 0; p < partitions; p++) {
        double l = s->load[p];
        sum += l;
        if (l > s->max) {
            s->max = l;
            s->hottest = p;
        }
        if (l < s->min)
            s->min = l;
        if (l <= 0)
            s->idle++;
    }
    s->mean = sum / partitions;
    for (int32_t p = 0; p < partitions; p++)
        sq += (s->load[p] - s->mean) * (s->load[p] - s->mean);
    s->stddev = sqrt(sq / partitions);
    s->imbalance = s->mean > 0 ? s->max / s->mean : 0;
    s->hottest_share = sum > 0 ? s->max / sum : 0;
}

void skew_place_keys(const double *rate, const uint8_t *is_hot, int32_t n,
                     int32_t partitions, struct skew_side *side)
{
    side_alloc(side, partitions);
    char key[16];
    for (int32_t i = 0; i < n; i++) {
        size_t len = sim_format_sensor_id(i, key);
        int32_t p = partitioner_for_key(key, len, partitions);
        side->load[p] += rate[i];
        side->sensors[p]++;
        if (is_hot && is_hot[i])
            side->hot[p]++;
    }
    skew_side_summarise(side, partitions);
}

int skew_compute(const struct skew_input *in, struct skew_result *r)
{
    memset(r, 0, sizeof *r);
    if (in->sensors <= 0 || in->sensors > SIM_MAX_SENSORS ||
        in->partitions <= 0 || in->partitions > 200000 || !(in->rate > 0) ||
        in->hot_share < 0 || in->hot_share > 1 || in->hot_traffic < 0 ||
        in->hot_traffic > 1)
        return ERR_INVALID;
    int32_t n = in->sensors;
    uint8_t *hot = mem_alloc((size_t)n);
    double *rate = mem_alloc(sizeof *rate * (size_t)n);
    sim_pick_hot(in->seed, n, in->hot_share, hot);
    int32_t nhot = 0;
    for (int32_t i = 0; i < n; i++)
        nhot += hot[i];
    r->hot_sensors = nhot;
    r->partitions = in->partitions;
    /* The same split the simulator uses (simulator.c, sim_create). */
    r->cold_rate = in->rate / n;
    r->hot_rate = 0;
    if (nhot > 0 && nhot < n && in->hot_traffic > 0) {
        r->hot_rate = in->rate * in->hot_traffic / nhot;
        r->cold_rate = in->rate * (1.0 - in->hot_traffic) / (n - nhot);
    }
    for (int32_t i = 0; i < n; i++)
        rate[i] = hot[i] && r->hot_rate > 0 ? r->hot_rate : r->cold_rate;
    skew_place_keys(rate, hot, n, in->partitions, &r->key);
    side_alloc(&r->rr, in->partitions);
    for (int32_t p = 0; p < in->partitions; p++) {
        r->rr.load[p] = in->rate / in->partitions;
        r->rr.sensors[p] = n; /* every sensor reaches every partition */
        r->rr.hot[p] = nhot;
    }
    skew_side_summarise(&r->rr, in->partitions);
    mem_free(rate);
    mem_free(hot);
    return 0;
}

void skew_side_fini(struct skew_side *s)
{
    mem_free(s->load);
    mem_free(s->sensors);
    mem_free(s->hot);
    memset(s, 0, sizeof *s);
}

void skew_result_fini(struct skew_result *r)
{
    skew_side_fini(&r->key);
    skew_side_fini(&r->rr);
}

static void bar(struct buf *b, double share, double max_share)
{
    int w = max_share > 0 ? (int)lround(12.0 * share / max_share) : 0;
    for (int i = 0; i < w; i++)
        buf_put_u8(b, '#');
}

void skew_report(const struct skew_input *in, const struct skew_result *r,
                 struct buf *b)
{
    int32_t P = r->partitions;
    double total = in->rate;
    buf_printf(b,
               "%d sensors, %d hot (%.0f%%) carrying %.0f%% of %.0f "
               "events/s, %d partitions (seed %llu)\n",
               in->sensors, r->hot_sensors, 100 * in->hot_share,
               r->hot_sensors ? 100 * in->hot_traffic : 0.0, total, P,
               (unsigned long long)in->seed);
    if (r->hot_sensors)
        buf_printf(b, "a hot sensor sends %.1f events/s, a cold one %.1f\n\n",
                   r->hot_rate, r->cold_rate);
    else
        buf_printf(b, "every sensor sends %.1f events/s\n\n", r->cold_rate);
    buf_printf(b, "partition  key-based (murmur2 of sensor_id)              "
                  "  round-robin\n");
    buf_printf(b, "           events/s   share  sensors  hot               "
                  "  events/s   share\n");
    int32_t shown = P <= 64 ? P : 64;
    for (int32_t p = 0; p < shown; p++) {
        double ks = total > 0 ? r->key.load[p] / total : 0;
        buf_printf(b, "%9d  %9.0f  %5.1f%%  %7d  %3d  ", p, r->key.load[p],
                   100 * ks, r->key.sensors[p], r->key.hot[p]);
        size_t before = b->len;
        bar(b, ks, r->key.hottest_share);
        int pad = 14 - (int)(b->len - before);
        buf_printf(b, "%*s  %9.0f  %5.1f%%\n", pad > 0 ? pad : 0, "",
                   r->rr.load[p], 100 * r->rr.load[p] / total);
    }
    if (shown < P)
        buf_printf(b, "   ... (%d more partitions)\n", P - shown);
    buf_printf(b, "\n                 key-based   round-robin\n");
    buf_printf(b, "max/mean         %9.2f   %11.2f\n", r->key.imbalance,
               r->rr.imbalance);
    buf_printf(b, "hottest share    %8.1f%%   %10.1f%%   (partition %d)\n",
               100 * r->key.hottest_share, 100 * r->rr.hottest_share,
               r->key.hottest);
    buf_printf(b, "min..max         %.0f..%.0f   %.0f..%.0f events/s\n",
               r->key.min, r->key.max, r->rr.min, r->rr.max);
    buf_printf(b, "stddev           %9.0f   %11.0f events/s\n", r->key.stddev,
               r->rr.stddev);
    buf_printf(b, "idle partitions  %9d   %11d\n", r->key.idle, r->rr.idle);

    double eff = r->key.max > 0 ? total / r->key.max : 0;
    buf_printf(b,
               "\nWhat it means for a consumer group:\n"
               "- At most %d consumers do work (one per partition); "
               "consumer %d and beyond sit idle.\n",
               P, P + 1);
    buf_printf(b,
               "- Key-based: the consumer of partition %d must keep up with "
               "%.0f events/s, %.1fx the mean; the group behaves like %.1f "
               "fully used consumers out of %d. It falls behind on that "
               "partition first (its lag grows while others idle).\n",
               r->key.hottest, r->key.max, r->key.imbalance, eff, P);
    buf_printf(b,
               "- Round-robin: every consumer gets %.0f events/s, so the "
               "group scales linearly with partitions, but a sensor's "
               "readings are spread over all partitions: per-sensor order "
               "is lost and per-sensor state (windows, patterns) needs a "
               "repartition by key first. Fit for stateless work.\n",
               r->rr.max);
    buf_printf(b, "- Key-based keeps per-sensor order and state local; to "
                  "tame hot keys add partitions, split hot sensors' keys "
                  "(sensor + sub-key) or pre-aggregate them.\n");
}

void skew_report_measured(const struct skew_input *in,
                          const struct skew_result *r, const int64_t *key_n,
                          const int64_t *rr_n, const char *how, struct buf *b)
{
    (void)in;
    int64_t tk = 0, tr = 0;
    for (int32_t p = 0; p < r->partitions; p++) {
        tk += key_n[p];
        tr += rr_n[p];
    }
    buf_printf(b, "\nMeasured (%s):\n", how);
    buf_printf(b, "partition  key-based  share  expected   round-robin  "
                  "share\n");
    double kmax = 0, rmax = 0;
    for (int32_t p = 0; p < r->partitions; p++) {
        double ks = tk ? (double)key_n[p] / (double)tk : 0;
        double rs = tr ? (double)rr_n[p] / (double)tr : 0;
        if (ks > kmax)
            kmax = ks;
        if (rs > rmax)
            rmax = rs;
        if (p < 64)
            buf_printf(b, "%9d  %9lld  %5.1f%%  %6.1f%%   %11lld  %5.1f%%\n", p,
                       (long long)key_n[p], 100 * ks,
                       100 * r->key.load[p] / (r->key.mean * r->partitions),
                       (long long)rr_n[p], 100 * rs);
    }
    buf_printf(b,
               "hottest share: key-based %.1f%% (expected %.1f%%), "
               "round-robin %.1f%%; records: %lld + %lld\n",
               100 * kmax, 100 * r->key.hottest_share, 100 * rmax,
               (long long)tk, (long long)tr);
}
