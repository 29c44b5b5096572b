/* test_advise.c - `rill advise` reproduces the course's worked example and
 * its "move to Flink" rules. */
#include "web/advise.h"

#include "base/err.h"
#include "../../harness.h"

static bool report_has(const struct advise_input *in,
                       const struct advise_result *r, const char *needle)
{
    struct buf b;
    buf_init(&b);
    advise_report(in, r, &b);
    buf_put_u8(&b, 0);
    bool found = strstr((const char *)b.data, needle) != NULL;
    if (!found)
        fprintf(stderr, "  report lacks \"%s\"\n", needle);
    buf_fini(&b);
    return found;
}

/* The course's smart factory: 2,000 sensors x 10/s = 20K events/s, alerts
 * within 5 s, one CEP pattern, 3 engineers new to Kafka, $3,000/month.
 * The course decides: Kafka Streams with custom pattern detection; 20K/s
 * is 4-20% of its capacity; ~$400 / ~$1,800 / ~$1,500 a month; year one
 * ~$5,000 + 6 / ~$22,000 + 5 / ~$18,000 + 7 engineer-weeks; ~$17,000 a
 * year saved. */
TEST(factory_picks_kafka_streams_with_custom_cep)
{
    struct advise_input in;
    advise_input_default(&in);
    struct advise_result r;
    CHECK_EQ_INT(advise_compute(&in, &r), 0);
    CHECK_EQ_INT(r.engine, ADVISE_KAFKA_STREAMS);
    CHECK(r.custom_cep);
    CHECK(!r.over_budget);
    CHECK(r.rill_embedded);
    for (int e = 0; e < ADVISE_ENGINE_N; e++)
        CHECK(r.feasible[e]);
    CHECK_EQ_INT((int)r.infra_usd[ADVISE_KAFKA_STREAMS], 400);
    CHECK_EQ_INT((int)r.infra_usd[ADVISE_FLINK], 1800);
    CHECK_EQ_INT((int)r.infra_usd[ADVISE_SPARK], 1500);
    CHECK_EQ_INT((int)r.year_one_usd[ADVISE_KAFKA_STREAMS], 5000);
    CHECK_EQ_INT((int)r.year_one_usd[ADVISE_FLINK], 22000);
    CHECK_EQ_INT((int)r.year_one_usd[ADVISE_SPARK], 18000);
    CHECK_EQ_INT((int)r.eng_weeks[ADVISE_KAFKA_STREAMS], 6);
    CHECK_EQ_INT((int)r.eng_weeks[ADVISE_FLINK], 5);
    CHECK_EQ_INT((int)r.eng_weeks[ADVISE_SPARK], 7);
    CHECK(report_has(&in, &r,
                     "Recommendation: Kafka Streams-style processing "
                     "with custom pattern detection"));
    CHECK(report_has(&in, &r, "uses 4-20% of one Kafka Streams instance"));
    CHECK(report_has(&in, &r, "saves ~$17,000/year"));
    CHECK(report_has(&in, &r, "Reconsider at ~200K events/s"));
    CHECK(report_has(&in, &r, "embedded mode covers this"));
    CHECK(report_has(&in, &r, "MATCH_RECOGNIZE for the pattern"));
}

/* Past one node, it says what rill does on a cluster today and what it
 * does not do yet (several instances sharing one application, state
 * moving through changelog topics: docs/cluster.md), never promises it. */
TEST(beyond_one_node_says_what_is_not_there)
{
    struct advise_input in;
    advise_input_default(&in);
    in.events_per_s = 2000000;
    struct advise_result r;
    CHECK_EQ_INT(advise_compute(&in, &r), 0);
    CHECK(!r.rill_embedded);
    CHECK(report_has(&in, &r, "rill run --bootstrap"));
    CHECK(report_has(&in, &r, "one instance per application today"));
    CHECK(report_has(&in, &r, "are not there yet (docs/cluster.md)"));
    CHECK(!report_has(&in, &r, "state restored from changelog"));
}

/* Ten plants: 200K events/s with many (12) patterns -> Flink. */
TEST(ten_plants_many_patterns_picks_flink)
{
    struct advise_input in;
    advise_input_default(&in);
    in.events_per_s = 200000;
    in.cep_patterns = 12;
    struct advise_result r;
    CHECK_EQ_INT(advise_compute(&in, &r), 0);
    CHECK_EQ_INT(r.engine, ADVISE_FLINK);
    CHECK(!r.custom_cep);
    CHECK(report_has(&in, &r, "Recommendation: Apache Flink-style"));
    /* And at 200K with one pattern, given the budget for it. */
    in.cep_patterns = 1;
    in.budget_usd = 30000;
    CHECK_EQ_INT(advise_compute(&in, &r), 0);
    CHECK_EQ_INT(r.engine, ADVISE_FLINK);
}

TEST(rules_latency_ml_throughput_budget)
{
    struct advise_input in;
    struct advise_result r;
    /* Sub-10 ms: only Flink. */
    advise_input_default(&in);
    in.latency_ms = 5;
    CHECK_EQ_INT(advise_compute(&in, &r), 0);
    CHECK_EQ_INT(r.engine, ADVISE_FLINK);
    CHECK(!r.feasible[ADVISE_KAFKA_STREAMS] && !r.feasible[ADVISE_SPARK]);
    /* ML essential and 1 s is fine: Spark. */
    advise_input_default(&in);
    in.ml = true;
    in.latency_ms = 1000;
    CHECK_EQ_INT(advise_compute(&in, &r), 0);
    CHECK_EQ_INT(r.engine, ADVISE_SPARK);
    /* ML but 50 ms: micro-batches cannot; not Spark. */
    in.latency_ms = 50;
    CHECK_EQ_INT(advise_compute(&in, &r), 0);
    CHECK(r.engine != ADVISE_SPARK);
    /* Past one Kafka Streams instance (~500K/s): Flink, rill on a cluster. */
    advise_input_default(&in);
    in.events_per_s = 800000;
    in.cep_patterns = 0;
    CHECK_EQ_INT(advise_compute(&in, &r), 0);
    CHECK_EQ_INT(r.engine, ADVISE_FLINK);
    CHECK(!r.rill_embedded);
    CHECK(r.partitions >= 8);
    /* No patterns, modest load: Kafka Streams, nothing custom. */
    advise_input_default(&in);
    in.cep_patterns = 0;
    CHECK_EQ_INT(advise_compute(&in, &r), 0);
    CHECK_EQ_INT(r.engine, ADVISE_KAFKA_STREAMS);
    CHECK(!r.custom_cep);
    /* 200K with one pattern but a $3,000 budget: Flink's estimate does not
     * fit, Kafka Streams still carries the load, and the report says so. */
    advise_input_default(&in);
    in.events_per_s = 200000;
    CHECK_EQ_INT(advise_compute(&in, &r), 0);
    CHECK_EQ_INT(r.engine, ADVISE_KAFKA_STREAMS);
    CHECK(report_has(&in, &r, "over the budget"));
    /* Bad input. */
    advise_input_default(&in);
    in.events_per_s = 0;
    CHECK_EQ_INT(advise_compute(&in, &r), ERR_INVALID);
    advise_input_default(&in);
    in.cep_patterns = -1;
    CHECK_EQ_INT(advise_compute(&in, &r), ERR_INVALID);
}

TEST(grow_moves_to_flink_at_ten_plants)
{
    struct advise_input in;
    advise_input_default(&in);
    struct buf b;
    buf_init(&b);
    advise_grow(&in, &b);
    buf_put_u8(&b, 0);
    const char *t = (const char *)b.data;
    const char *one = strstr(t, "\n       1 ");
    const char *ten = strstr(t, "\n      10 ");
    CHECK(one && ten);
    if (one && ten) {
        const char *eol1 = strchr(one + 1, '\n');
        const char *eol10 = strchr(ten + 1, '\n');
        CHECK(strstr(one, "Kafka Streams+custom") < eol1);
        const char *f = strstr(ten, "Flink");
        CHECK(f && f < eol10);
    }
    buf_fini(&b);
}

TEST(experience_parse)
{
    enum advise_experience e;
    CHECK_EQ_INT(advise_experience_parse("none", &e), 0);
    CHECK_EQ_INT(e, ADVISE_EXP_NONE);
    CHECK_EQ_INT(advise_experience_parse("expert", &e), 0);
    CHECK_EQ_INT(e, ADVISE_EXP_EXPERT);
    CHECK_EQ_INT(advise_experience_parse("guru", &e), ERR_PARSE);
    /* Experience shortens the learning part. */
    struct advise_input in;
    struct advise_result r1, r2;
    advise_input_default(&in);
    advise_compute(&in, &r1);
    in.kafka_exp = ADVISE_EXP_EXPERT;
    advise_compute(&in, &r2);
    CHECK(r2.eng_weeks[ADVISE_KAFKA_STREAMS] <
          r1.eng_weeks[ADVISE_KAFKA_STREAMS]);
}

int main(void)
{
    RUN(factory_picks_kafka_streams_with_custom_cep);
    RUN(ten_plants_many_patterns_picks_flink);
    RUN(rules_latency_ml_throughput_budget);
    RUN(grow_moves_to_flink_at_ten_plants);
    RUN(experience_parse);
    RUN(beyond_one_node_says_what_is_not_there);
    return harness_summary("test_advise");
}
