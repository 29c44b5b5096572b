/* test_senml_decode.c - SenML decoder tests (layer: row): the RFC 8428
 * examples (multiple datapoints, multiple measurements), base value and
 * base sum resolution, relative times, the schema mapping and errors.
 */
#include <math.h>
#include <string.h>

#include "../../harness.h"
#include "base/err.h"
#include "row/row_batch.h"
#include "row/senml_decode.h"

#define NOW 1795505400123LL

enum { C_NAME, C_UNIT, C_VALUE, C_TS, C_SUM, C_VS, C_VB, C_VD, C_UT };

static struct schema schema;

static void make_schema(void)
{
    schema_init(&schema);
    schema_add(&schema, "name", SCHEMA_STRING, false, NULL);
    schema_add(&schema, "unit", SCHEMA_STRING, true, NULL);
    schema_add(&schema, "value", SCHEMA_DOUBLE, true, NULL);
    schema_add(&schema, "ts", SCHEMA_TIMESTAMP, false, NULL);
    schema_add(&schema, "sum", SCHEMA_DOUBLE, true, NULL);
    schema_add(&schema, "string_value", SCHEMA_STRING, true, NULL);
    schema_add(&schema, "VB", SCHEMA_BOOLEAN, true, NULL);
    schema_add(&schema, "data_value", SCHEMA_STRING, true, NULL);
    schema_add(&schema, "update_time", SCHEMA_DOUBLE, true, NULL);
}

static int decode(const char *json, struct row_batch *b, struct row_error *err)
{
    struct senml_decoder *d;
    if (senml_decoder_create(&schema, &d) != 0)
        return -999;
    int rc = senml_decode(d, b, json, strlen(json), NOW, NULL, err);
    senml_decoder_destroy(d);
    return rc;
}

static bool str_is(struct row_batch *b, int row, int col, const char *want)
{
    struct value v = row_batch_get(b, row, col);
    bool ok = v.type == SCHEMA_STRING && v.u.str.len == strlen(want) &&
              memcmp(v.u.str.ptr, want, v.u.str.len) == 0;
    if (!ok)
        fprintf(stderr, "    row %d col %d: got \"%.*s\" want \"%s\"\n", row,
                col, v.type == SCHEMA_STRING ? (int)v.u.str.len : 4,
                v.type == SCHEMA_STRING ? v.u.str.ptr : "NULL", want);
    return ok;
}

static bool dbl_is(struct row_batch *b, int row, int col, double want)
{
    struct value v = row_batch_get(b, row, col);
    bool ok = v.type == SCHEMA_DOUBLE && fabs(v.u.f64 - want) < 1e-9;
    if (!ok)
        fprintf(stderr, "    row %d col %d: got %.17g want %.17g\n", row, col,
                v.u.f64, want);
    return ok;
}

static bool ts_is(struct row_batch *b, int row, int64_t want)
{
    struct value v = row_batch_get(b, row, C_TS);
    bool ok = v.type == SCHEMA_TIMESTAMP && v.u.i64 == want;
    if (!ok)
        fprintf(stderr, "    row %d: got ts %lld want %lld\n", row,
                (long long)v.u.i64, (long long)want);
    return ok;
}

/* RFC 8428 section 5.1.2, "Multiple Datapoints". */
TEST(rfc_multiple_datapoints)
{
    const char *json =
        "[\n"
        "  "
        "{\"bn\":\"urn:dev:ow:10e2073a01080063:\",\"bt\":1.276020076001e+09,\n"
        "   \"bu\":\"A\",\"bver\":5,\n"
        "   \"n\":\"voltage\",\"u\":\"V\",\"v\":120.1},\n"
        "  {\"n\":\"current\",\"t\":-5,\"v\":1.2},\n"
        "  {\"n\":\"current\",\"t\":-4,\"v\":1.3},\n"
        "  {\"n\":\"current\",\"t\":-3,\"v\":1.4},\n"
        "  {\"n\":\"current\",\"t\":-2,\"v\":1.5},\n"
        "  {\"n\":\"current\",\"t\":-1,\"v\":1.6},\n"
        "  {\"n\":\"current\",\"v\":1.7}\n"
        "]\n";
    struct row_batch *b;
    struct row_error err;
    CHECK_EQ_INT(row_batch_create(&schema, 16, &b), 0);
    int rc = decode(json, b, &err);
    if (rc < 0)
        fprintf(stderr, "  %s\n", err.message);
    CHECK_EQ_INT(rc, 7);
    CHECK_EQ_INT(b->nrows, 7);
    CHECK(str_is(b, 0, C_NAME, "urn:dev:ow:10e2073a01080063:voltage"));
    CHECK(str_is(b, 0, C_UNIT, "V"));
    CHECK(dbl_is(b, 0, C_VALUE, 120.1));
    CHECK(ts_is(b, 0, 1276020076001LL));
    static const double vals[] = {1.2, 1.3, 1.4, 1.5, 1.6, 1.7};
    for (int i = 1; i < 7; i++) {
        CHECK(str_is(b, i, C_NAME, "urn:dev:ow:10e2073a01080063:current"));
        CHECK(str_is(b, i, C_UNIT, "A"));
        CHECK(dbl_is(b, i, C_VALUE, vals[i - 1]));
        CHECK(ts_is(b, i, 1276020076001LL - (6 - i) * 1000));
        CHECK(value_is_null(row_batch_get(b, i, C_SUM)));
        CHECK(value_is_null(row_batch_get(b, i, C_VS)));
    }
    row_batch_destroy(b);
}

/* RFC 8428 section 5.1.4 style: a base name and time, records without a
 * name, and relative times when no base time is given. */
TEST(rfc_multiple_measurements_and_relative_time)
{
    const char *json =
        "[{\"bn\":\"urn:dev:ow:10e2073a0108006:\",\"bt\":1.276020076001e+09,"
        "\"bu\":\"A\",\"bver\":5,\"n\":\"voltage\",\"u\":\"V\",\"v\":120.1},"
        "{\"n\":\"current\",\"t\":-5,\"v\":1.2},"
        "{\"n\":\"current\",\"t\":-4,\"v\":1.30}]";
    struct row_batch *b;
    struct row_error err;
    CHECK_EQ_INT(row_batch_create(&schema, 16, &b), 0);
    CHECK_EQ_INT(decode(json, b, &err), 3);
    row_batch_reset(b);
    /* Single datapoint (section 5.1.1): no time at all means now. */
    CHECK_EQ_INT(decode("[{\"n\":\"urn:dev:ow:10e2073a01080063\",\"u\":\"Cel\","
                        "\"v\":23.1}]",
                        b, &err),
                 1);
    CHECK(str_is(b, 0, C_NAME, "urn:dev:ow:10e2073a01080063"));
    CHECK(str_is(b, 0, C_UNIT, "Cel"));
    CHECK(ts_is(b, 0, NOW));
    row_batch_reset(b);
    /* Relative times (< 2^28 s): -5 s and +60 s from now; names = bn only. */
    CHECK_EQ_INT(
        decode("[{\"bn\":\"urn:dev:ow:10e2073a01080063\",\"bu\":\"%RH\","
               "\"t\":-5,\"v\":20},{\"u\":\"lon\",\"v\":24.30621},"
               "{\"t\":60,\"v\":20.3}]",
               b, &err),
        3);
    CHECK(ts_is(b, 0, NOW - 5000));
    CHECK(ts_is(b, 1, NOW));
    CHECK(ts_is(b, 2, NOW + 60000));
    CHECK(str_is(b, 1, C_NAME, "urn:dev:ow:10e2073a01080063"));
    CHECK(str_is(b, 1, C_UNIT, "lon"));
    CHECK(str_is(b, 2, C_UNIT, "%RH"));
    row_batch_destroy(b);
}

TEST(base_value_sum_and_other_values)
{
    const char *json =
        "[{\"bn\":\"dev1/\",\"bt\":1.7e9,\"bv\":100,\"bs\":1000,\"bu\":\"W\","
        "\"n\":\"p\",\"v\":1.5,\"s\":2},"
        "{\"n\":\"p\",\"v\":-0.5,\"t\":10.25},"
        "{\"n\":\"e\",\"s\":5,\"u\":\"Wh\"},"
        "{\"n\":\"state\",\"vs\":\"on\\u0021\"},"
        "{\"n\":\"door\",\"vb\":true,\"ut\":30},"
        "{\"n\":\"blob\",\"vd\":\"aGVsbG8=\",\"x-vendor\":{\"a\":[1]}},"
        "{\"bn\":\"dev2/\",\"bt\":1.8e9},"
        "{\"n\":\"q\",\"v\":1}]";
    struct row_batch *b;
    struct row_error err;
    CHECK_EQ_INT(row_batch_create(&schema, 16, &b), 0);
    int rc = decode(json, b, &err);
    if (rc < 0)
        fprintf(stderr, "  %s\n", err.message);
    CHECK_EQ_INT(rc, 7); /* the base-only record makes no row */
    CHECK(str_is(b, 0, C_NAME, "dev1/p"));
    CHECK(dbl_is(b, 0, C_VALUE, 101.5));
    CHECK(dbl_is(b, 0, C_SUM, 1002));
    CHECK(ts_is(b, 0, 1700000000000LL));
    CHECK(dbl_is(b, 1, C_VALUE, 99.5));
    CHECK(ts_is(b, 1, 1700000010250LL));
    CHECK(value_is_null(row_batch_get(b, 2, C_VALUE)));
    CHECK(dbl_is(b, 2, C_SUM, 1005));
    CHECK(str_is(b, 2, C_UNIT, "Wh"));
    CHECK(str_is(b, 3, C_VS, "on!"));
    CHECK(value_same(row_batch_get(b, 4, C_VB), value_bool(true)));
    CHECK(dbl_is(b, 4, C_UT, 30));
    CHECK(str_is(b, 5, C_VD, "aGVsbG8="));
    CHECK(str_is(b, 6, C_NAME, "dev2/q"));
    CHECK(dbl_is(b, 6, C_VALUE, 101)); /* bv carries over */
    CHECK(ts_is(b, 6, 1800000000000LL));
    row_batch_destroy(b);
}

TEST(errors_roll_back_the_pack)
{
    struct {
        const char *json;
        int code;
        const char *at; /* offset = first occurrence ("": end) */
        const char *message;
    } cases[] = {
        {"{\"n\":\"a\",\"v\":1}", ERR_PARSE, "{",
         "expected a SenML array, found object at byte 0"},
        {"[{\"n\":\"a\",\"v\":\"1\"}]", ERR_PARSE, "\"1\"",
         "field \"v\": expected number, found string at byte 14"},
        {"[{\"n\":\"a\",\"vb\":1}]", ERR_PARSE, "1}", NULL},
        {"[{\"n\":7,\"v\":1}]", ERR_PARSE, "7", NULL},
        {"[{\"n\":\"a\",\"v\":1},{\"n\":\"b c\",\"v\":1}]", ERR_PARSE,
         "{\"n\":\"b", NULL},
        {"[{\"n\":\"-a\",\"v\":1}]", ERR_PARSE, "{", NULL},
        {"[{\"v\":1}]", ERR_PARSE, "{",
         "record name \"\" is empty or has characters RFC 8428 does not "
         "allow at byte 1"},
        {"[{\"bver\":11,\"n\":\"a\",\"v\":1}]", ERR_PARSE, "11",
         "unsupported SenML version 11 at byte 9"},
        {"[{\"n\":\"a\",\"v\":1,\"crit_\":1}]", ERR_PARSE, "\"crit_",
         "must-understand field \"crit_\" is not supported at byte 16"},
        {"[{\"n\":\"a\",\"v\":1}", ERR_PARSE, "", NULL},
        {"[{\"n\":\"a\",\"v\":1}] x", ERR_PARSE, "x", NULL},
        {"[{\"n\":\"a\",\"v\":1},]", ERR_PARSE, "]", NULL},
        {"[1]", ERR_PARSE, "1", NULL},
        {"[{\"n\":\"a\",\"v\":1e999}]", ERR_PARSE, "1e999", NULL},
    };
    struct row_batch *b;
    CHECK_EQ_INT(row_batch_create(&schema, 16, &b), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct row_error err;
        memset(&err, 0, sizeof(err));
        row_batch_reset(b);
        int rc = decode(cases[i].json, b, &err);
        const char *at = cases[i].at[0] ? strstr(cases[i].json, cases[i].at)
                                        : cases[i].json + strlen(cases[i].json);
        size_t want_off = at ? (size_t)(at - cases[i].json) : 99999;
        bool ok =
            rc == cases[i].code && err.offset == want_off && b->nrows == 0 &&
            (!cases[i].message || strcmp(err.message, cases[i].message) == 0);
        if (!ok) {
            fprintf(stderr,
                    "  case %zu: %s\n    rc=%d off=%zu (want %d %zu): %s\n", i,
                    cases[i].json, rc, err.offset, cases[i].code, want_off,
                    err.message);
            CHECK(0);
        }
    }
    /* A pack larger than what is left: nothing is added. */
    struct row_batch *small;
    struct row_error err;
    CHECK_EQ_INT(row_batch_create(&schema, 2, &small), 0);
    CHECK_EQ_INT(decode("[{\"n\":\"a\",\"v\":1},{\"n\":\"b\",\"v\":2},"
                        "{\"n\":\"c\",\"v\":3}]",
                        small, &err),
                 ERR_TOO_LARGE);
    CHECK_EQ_INT(small->nrows, 0);
    CHECK_EQ_INT(decode("[]", small, &err), 0);
    row_batch_destroy(small);
    row_batch_destroy(b);
}

TEST(schema_mapping_is_checked)
{
    struct schema s;
    struct senml_decoder *d = NULL;
    schema_init(&s);
    schema_add(&s, "name", SCHEMA_STRING, true, NULL);
    schema_add(&s, "time", SCHEMA_BIGINT, true, NULL);
    CHECK_EQ_INT(senml_decoder_create(&s, &d), 0);
    senml_decoder_destroy(d);
    schema_add(&s, "colour", SCHEMA_STRING, true, NULL);
    CHECK_EQ_INT(senml_decoder_create(&s, &d), ERR_INVALID);
    schema_init(&s);
    schema_add(&s, "value", SCHEMA_STRING, true, NULL);
    CHECK_EQ_INT(senml_decoder_create(&s, &d), ERR_INVALID);
    schema_init(&s);
    schema_add(&s, "vs", SCHEMA_STRING, true, NULL);
    schema_add(&s, "string_value", SCHEMA_STRING, true, NULL);
    CHECK_EQ_INT(senml_decoder_create(&s, &d), ERR_INVALID);
    /* NOT NULL value column: a string-valued record does not fit. */
    schema_init(&s);
    schema_add(&s, "name", SCHEMA_STRING, true, NULL);
    schema_add(&s, "value", SCHEMA_DOUBLE, false, NULL);
    CHECK_EQ_INT(senml_decoder_create(&s, &d), 0);
    struct row_batch *b;
    struct row_error err;
    CHECK_EQ_INT(row_batch_create(&s, 4, &b), 0);
    const char *j = "[{\"n\":\"a\",\"v\":1},{\"n\":\"b\",\"vs\":\"x\"}]";
    CHECK_EQ_INT(senml_decode(d, b, j, strlen(j), 0, NULL, &err), ERR_INVALID);
    CHECK_EQ_INT(err.offset, 17);
    CHECK_EQ_INT(b->nrows, 0);
    senml_decoder_destroy(d);
    row_batch_destroy(b);
}

int main(void)
{
    make_schema();
    RUN(rfc_multiple_datapoints);
    RUN(rfc_multiple_measurements_and_relative_time);
    RUN(base_value_sum_and_other_values);
    RUN(errors_roll_back_the_pack);
    RUN(schema_mapping_is_checked);
    return harness_summary("test_senml_decode");
}
