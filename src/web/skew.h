/* skew.h - the partition-imbalance explorer behind `rill skew` (layer: web).
 *
 * Compares key-based placement (murmur2 of the sensor key "s-0042", as the
 * Java client and rill place keys) with round-robin: per-partition load,
 * max/mean imbalance, the hottest partition's share, and what that means
 * for a consumer group. Hot sensors are the ones sim_pick_hot() picks for
 * the same seed, so `rill simulate` with the same flags produces exactly
 * this traffic. Pure computation: no I/O, any thread.
 *
 * The dashboard's skew explorer (GET /skew, web_calc.c) and `rill skew`
 * (cli_skew.c) both use it: it sits in the web layer, the lower of the two.
 */
#ifndef RILL_SKEW_H
#define RILL_SKEW_H

#include <stdint.h>

#include "base/buf.h"

struct skew_input {
    int32_t sensors;
    double hot_share;   /* fraction of sensors that are hot */
    double hot_traffic; /* fraction of the events they carry */
    int32_t partitions;
    double rate; /* total events/s */
    uint64_t seed;
};

/* One placement's figures; arrays have `partitions` entries. */
struct skew_side {
    double *load;     /* events/s per partition */
    int32_t *sensors; /* sensors per partition (key placement) */
    int32_t *hot;     /* hot sensors per partition */
    double max, mean, min, stddev;
    double imbalance; /* max / mean */
    double hottest_share;
    int32_t hottest; /* index of the hottest partition */
    int32_t idle;    /* partitions with no traffic */
};

struct skew_result {
    int32_t partitions;
    int32_t hot_sensors;
    double hot_rate, cold_rate; /* per sensor, events/s */
    struct skew_side key, rr;
};

/* Places sensors with the given per-sensor rates by key (murmur2 of
 * "s-%04d" of the index); fills side (arrays allocated here). */
void skew_place_keys(const double *rate, const uint8_t *is_hot, int32_t n,
                     int32_t partitions, struct skew_side *side);
/* ERR_INVALID on out-of-range input. Free with skew_result_fini. */
int skew_compute(const struct skew_input *in, struct skew_result *out);
void skew_side_fini(struct skew_side *side);
void skew_result_fini(struct skew_result *r);
/* Recomputes max/mean/... of a side from its load array. */
void skew_side_summarise(struct skew_side *side, int32_t partitions);
void skew_report(const struct skew_input *in, const struct skew_result *r,
                 struct buf *out);
/* Appends measured counts (key and round-robin) next to the expected. */
void skew_report_measured(const struct skew_input *in,
                          const struct skew_result *r, const int64_t *key_n,
                          const int64_t *rr_n, const char *how,
                          struct buf *out);

#endif
