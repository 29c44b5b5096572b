/* cli_advise.c - `rill advise`: flags in, the step-by-step architecture
 * advice out (layer: cli). The reasoning lives in cli/advise.c. */
#include "web/advise.h"
#include "cli/cli.h"

#include "base/buf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "rill advise [--events-per-s N | --sensors N [--hz HZ]] [--latency-ms MS]\n"
    "    [--cep-patterns N] [--ml yes|no] [--team-kafka-experience "
    "none|some|expert]\n"
    "    [--team-flink-experience none|some|expert] [--team-size N]\n"
    "    [--budget-usd USD_PER_MONTH] [--record-bytes B] [--grow]\n"
    "  defaults: the course's smart factory (20K events/s, 5000 ms, 1 "
    "pattern,\n  no ML, 3 engineers new to Kafka, $3,000/month)";

static int num(const char *flag, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) {
        fprintf(stderr, "rill advise: --%s expects a number, got '%s'\n", flag,
                s);
        return 2;
    }
    *out = v;
    return 0;
}

int cli_advise(int argc, char **argv)
{
    struct cli_args a;
    cli_args_init(&a, argc, argv);
    if (cli_flag(&a, "help") || cli_flag(&a, "h")) {
        printf("usage: %s\n", usage);
        return 0;
    }
    struct advise_input in;
    advise_input_default(&in);
    double v, sensors = -1, hz = 10;
    const char *s;
    if ((s = cli_opt(&a, "events-per-s")) &&
        num("events-per-s", s, &in.events_per_s))
        return 2;
    if ((s = cli_opt(&a, "sensors")) && num("sensors", s, &sensors))
        return 2;
    if ((s = cli_opt(&a, "hz")) && num("hz", s, &hz))
        return 2;
    if ((s = cli_opt(&a, "latency-ms")) && num("latency-ms", s, &in.latency_ms))
        return 2;
    if ((s = cli_opt(&a, "cep-patterns"))) {
        if (num("cep-patterns", s, &v))
            return 2;
        in.cep_patterns = (int32_t)v;
    }
    if ((s = cli_opt(&a, "team-size"))) {
        if (num("team-size", s, &v))
            return 2;
        in.engineers = (int32_t)v;
    }
    if ((s = cli_opt(&a, "budget-usd")) && num("budget-usd", s, &in.budget_usd))
        return 2;
    if ((s = cli_opt(&a, "record-bytes")) &&
        num("record-bytes", s, &in.record_bytes))
        return 2;
    if ((s = cli_opt(&a, "ml"))) {
        if (!strcmp(s, "yes") || !strcmp(s, "true"))
            in.ml = true;
        else if (!strcmp(s, "no") || !strcmp(s, "false"))
            in.ml = false;
        else {
            fprintf(stderr, "rill advise: --ml is yes or no\n");
            return 2;
        }
    }
    if ((s = cli_opt(&a, "team-kafka-experience")) &&
        advise_experience_parse(s, &in.kafka_exp) < 0) {
        fprintf(stderr, "rill advise: experience is none, some or expert\n");
        return 2;
    }
    if ((s = cli_opt(&a, "team-flink-experience")) &&
        advise_experience_parse(s, &in.flink_exp) < 0) {
        fprintf(stderr, "rill advise: experience is none, some or expert\n");
        return 2;
    }
    bool grow = cli_flag(&a, "grow");
    int rc = cli_check_unused(&a, usage);
    if (rc)
        return rc;
    if (sensors > 0)
        in.events_per_s = sensors * hz;

    struct advise_result r;
    if (advise_compute(&in, &r) < 0) {
        fprintf(stderr, "rill advise: inputs out of range\nusage: %s\n", usage);
        return 2;
    }
    struct buf b;
    buf_init(&b);
    advise_report(&in, &r, &b);
    if (grow)
        advise_grow(&in, &b);
    fwrite(b.data, 1, b.len, stdout);
    buf_fini(&b);
    return 0;
}
