/* advise.h - the architecture calculator behind `rill advise` (layer: web).
 *
 * Reproduces the course's worked-example reasoning (throughput, latency,
 * pattern needs, ML, team and cost) to pick between Kafka Streams-style,
 * Flink-style and Spark Structured Streaming-style processing, and says
 * what rill's embedded mode covers and when to move to rill on a Kafka
 * cluster. Every figure comes from docs/planning.md (the course's numbers);
 * the few extrapolations beyond the worked example are labelled as such in
 * the report. Pure functions: no I/O, any thread.
 *
 * The dashboard's advisor (GET /advise, web_calc.c) and `rill advise`
 * (cli_advise.c) both use it: it sits in the web layer, the lower of the two.
 */
#ifndef RILL_ADVISE_H
#define RILL_ADVISE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"

enum advise_engine {
    ADVISE_KAFKA_STREAMS = 0,
    ADVISE_FLINK,
    ADVISE_SPARK,
    ADVISE_ENGINE_N
};

enum advise_experience {
    ADVISE_EXP_NONE = 0,
    ADVISE_EXP_SOME,
    ADVISE_EXP_EXPERT
};

struct advise_input {
    double events_per_s;
    double latency_ms;    /* the tightest alert latency required */
    int32_t cep_patterns; /* temporal patterns to detect */
    bool ml;              /* ML on the stream is essential */
    enum advise_experience kafka_exp;
    enum advise_experience flink_exp;
    double budget_usd; /* per month, for the processing infrastructure */
    int32_t engineers;
    double record_bytes;
};

struct advise_result {
    enum advise_engine engine;
    bool custom_cep;                   /* patterns written by hand */
    bool over_budget;                  /* the pick costs more than budget */
    bool feasible[ADVISE_ENGINE_N];    /* meets the hard constraints */
    double infra_usd[ADVISE_ENGINE_N]; /* per month, estimated */
    double year_one_usd[ADVISE_ENGINE_N];
    double eng_weeks[ADVISE_ENGINE_N]; /* learning + pattern work */
    double ks_use_lo, ks_use_hi;       /* share of one KS instance, 0..n */
    double mb_per_s;
    bool rill_embedded; /* one rill node is enough */
    int32_t partitions; /* suggested topic partitions */
};

/* The course's factory: 20K events/s, 5 s, 1 pattern, no ML, a 3-person
 * team new to Kafka and Flink, $3,000/month, 200-byte readings. */
void advise_input_default(struct advise_input *in);
const char *advise_engine_name(enum advise_engine e);
/* Parses none|some|expert; ERR_PARSE otherwise. */
int advise_experience_parse(const char *s, enum advise_experience *out);

/* ERR_INVALID for negative or absurd inputs. */
int advise_compute(const struct advise_input *in, struct advise_result *out);
/* The step-by-step explanation (appends text to out). */
void advise_report(const struct advise_input *in, const struct advise_result *r,
                   struct buf *out);
/* How the answer changes as the factory grows to 2, 5 and 10 plants. */
void advise_grow(const struct advise_input *in, struct buf *out);

#endif
