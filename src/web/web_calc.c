/* web_calc.c - the course's two calculators over HTTP: GET /skew (the
 * partition-skew explorer, web/skew.h) and GET /advise (the architecture
 * advisor, web/advise.h), for the dashboard's pages that recompute as a
 * slider moves (layer: web).
 *
 * Parameters come from the query string, defaults are the CLI's (`rill
 * skew`, `rill advise`); an unparsable or out-of-range one is a 400 that
 * names it. Both are pure computation bounded by their inputs' limits
 * (at most SKEW_WEB_MAX_SENSORS sensors, 1024 partitions), so they run on
 * the loop thread: a few milliseconds at most.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "web/advise.h"
#include "web/skew.h"
#include "web/web_int.h"

/* Bounds for a request (the CLI takes more: a slider needs less). */
#define SKEW_WEB_MAX_SENSORS 100000
#define SKEW_WEB_MAX_PARTITIONS 1024

/* Query parameter `name` as a number into *v (left as is when absent).
 * Returns false, after answering 400, when it is not a finite number. */
static bool num_param(struct http_conn *c, const struct http_request *req,
                      const char *name, double *v)
{
    struct http_str s;
    if (!http_query_param(req->query, name, &s))
        return true;
    char tmp[64], *end;
    if (s.n == 0 || s.n >= sizeof tmp)
        goto bad;
    memcpy(tmp, s.p, s.n);
    tmp[s.n] = '\0';
    errno = 0;
    double d = strtod(tmp, &end);
    if (errno || *end || !isfinite(d))
        goto bad;
    *v = d;
    return true;
bad:;
    char msg[128];
    snprintf(msg, sizeof msg, "parameter '%s' must be a number", name);
    web_error(c, 400, msg);
    return false;
}

static void json_num(struct buf *b, const char *key, double v, bool comma)
{
    buf_printf(b, "%s\"%s\":%.6g", comma ? "," : "", key, v);
}

static void side_json(struct buf *b, const char *name,
                      const struct skew_side *s, int32_t partitions)
{
    buf_printf(b, ",\"%s\":{", name);
    json_num(b, "max", s->max, false);
    json_num(b, "mean", s->mean, true);
    json_num(b, "min", s->min, true);
    json_num(b, "stddev", s->stddev, true);
    json_num(b, "imbalance", s->imbalance, true);
    json_num(b, "hottest_share", s->hottest_share, true);
    buf_printf(b, ",\"hottest\":%d,\"idle\":%d,\"load\":[", s->hottest,
               s->idle);
    for (int32_t p = 0; p < partitions; p++)
        buf_printf(b, "%s%.6g", p ? "," : "", s->load[p]);
    buf_put_str(b, "],\"sensors\":[");
    for (int32_t p = 0; p < partitions; p++)
        buf_printf(b, "%s%d", p ? "," : "", s->sensors[p]);
    buf_put_str(b, "],\"hot\":[");
    for (int32_t p = 0; p < partitions; p++)
        buf_printf(b, "%s%d", p ? "," : "", s->hot[p]);
    buf_put_str(b, "]}");
}

void web_skew_get(struct http_conn *c, const struct http_request *req)
{
    double sensors = 100, partitions = 10, seed = 1;
    struct skew_input in = {
        .hot_share = 0.1, .hot_traffic = 0.9, .rate = 100000};
    if (!num_param(c, req, "sensors", &sensors) ||
        !num_param(c, req, "partitions", &partitions) ||
        !num_param(c, req, "hot_share", &in.hot_share) ||
        !num_param(c, req, "hot_traffic", &in.hot_traffic) ||
        !num_param(c, req, "rate", &in.rate) ||
        !num_param(c, req, "seed", &seed))
        return;
    if (sensors < 1 || sensors > SKEW_WEB_MAX_SENSORS || partitions < 1 ||
        partitions > SKEW_WEB_MAX_PARTITIONS || seed < 0 || seed > 1e15)
        return web_error(c, 400,
                         "sensors must be 1..100000, partitions 1..1024");
    in.sensors = (int32_t)sensors;
    in.partitions = (int32_t)partitions;
    in.seed = (uint64_t)seed;
    struct skew_result r;
    if (skew_compute(&in, &r))
        return web_error(c, 400,
                         "out of range: hot_share and hot_traffic are "
                         "0..1, rate above 0");
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "{\"sensors\":%d,\"partitions\":%d,\"hot_sensors\":%d",
               in.sensors, in.partitions, r.hot_sensors);
    json_num(&b, "hot_share", in.hot_share, true);
    json_num(&b, "hot_traffic", in.hot_traffic, true);
    json_num(&b, "rate", in.rate, true);
    json_num(&b, "hot_rate", r.hot_rate, true);
    json_num(&b, "cold_rate", r.cold_rate, true);
    side_json(&b, "key", &r.key, r.partitions);
    side_json(&b, "round_robin", &r.rr, r.partitions);
    struct buf text;
    buf_init(&text);
    skew_report(&in, &r, &text);
    buf_put_str(&b, ",\"report\":");
    web_json_str(&b, (const char *)text.data, text.len);
    buf_put_str(&b, "}\n");
    http_respond(c, 200, "application/json", b.data, b.len);
    buf_fini(&text);
    buf_fini(&b);
    skew_result_fini(&r);
}

static bool exp_param(struct http_conn *c, const struct http_request *req,
                      const char *name, enum advise_experience *e)
{
    struct http_str s;
    if (!http_query_param(req->query, name, &s))
        return true;
    char tmp[16];
    if (s.n < sizeof tmp) {
        memcpy(tmp, s.p, s.n);
        tmp[s.n] = '\0';
        if (advise_experience_parse(tmp, e) == 0)
            return true;
    }
    char msg[128];
    snprintf(msg, sizeof msg, "parameter '%s' is none, some or expert", name);
    web_error(c, 400, msg);
    return false;
}

void web_advise_get(struct http_conn *c, const struct http_request *req)
{
    struct advise_input in;
    advise_input_default(&in);
    double patterns = in.cep_patterns, engineers = in.engineers, ml = in.ml;
    if (!num_param(c, req, "events_per_s", &in.events_per_s) ||
        !num_param(c, req, "latency_ms", &in.latency_ms) ||
        !num_param(c, req, "cep_patterns", &patterns) ||
        !num_param(c, req, "ml", &ml) ||
        !num_param(c, req, "budget_usd", &in.budget_usd) ||
        !num_param(c, req, "engineers", &engineers) ||
        !num_param(c, req, "record_bytes", &in.record_bytes) ||
        !exp_param(c, req, "kafka_exp", &in.kafka_exp) ||
        !exp_param(c, req, "flink_exp", &in.flink_exp))
        return;
    if (patterns < 0 || patterns > 1000 || engineers < 0 || engineers > 10000)
        return web_error(c, 400, "cep_patterns 0..1000, engineers 0..10000");
    in.cep_patterns = (int32_t)patterns;
    in.engineers = (int32_t)engineers;
    in.ml = ml != 0;
    struct advise_result r;
    if (advise_compute(&in, &r))
        return web_error(c, 400, "inputs out of range");
    struct buf b;
    buf_init(&b);
    buf_put_str(&b, "{\"engine\":");
    web_json_cstr(&b, advise_engine_name(r.engine));
    buf_printf(&b,
               ",\"custom_cep\":%s,\"over_budget\":%s,\"rill_embedded\":%s,"
               "\"partitions\":%d",
               r.custom_cep ? "true" : "false",
               r.over_budget ? "true" : "false",
               r.rill_embedded ? "true" : "false", r.partitions);
    json_num(&b, "mb_per_s", r.mb_per_s, true);
    json_num(&b, "ks_use_lo", r.ks_use_lo, true);
    json_num(&b, "ks_use_hi", r.ks_use_hi, true);
    buf_put_str(&b, ",\"engines\":[");
    for (int e = 0; e < ADVISE_ENGINE_N; e++) {
        buf_put_str(&b, e ? ",{\"name\":" : "{\"name\":");
        web_json_cstr(&b, advise_engine_name((enum advise_engine)e));
        buf_printf(&b, ",\"feasible\":%s", r.feasible[e] ? "true" : "false");
        json_num(&b, "infra_usd", r.infra_usd[e], true);
        json_num(&b, "year_one_usd", r.year_one_usd[e], true);
        json_num(&b, "eng_weeks", r.eng_weeks[e], true);
        buf_put_str(&b, "}");
    }
    struct buf text;
    buf_init(&text);
    advise_report(&in, &r, &text);
    buf_put_str(&b, "],\"report\":");
    web_json_str(&b, (const char *)text.data, text.len);
    buf_reset(&text);
    advise_grow(&in, &text);
    buf_put_str(&b, ",\"grow\":");
    web_json_str(&b, (const char *)text.data, text.len);
    buf_put_str(&b, "}\n");
    http_respond(c, 200, "application/json", b.data, b.len);
    buf_fini(&text);
    buf_fini(&b);
}
