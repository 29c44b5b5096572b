/* test_row_decoder.c - the format dispatch (layer: row): names, one record
 * per format through one call, and schema checks per format.
 */
#include <string.h>

#include "../../harness.h"
#include "base/err.h"
#include "row/row_decoder.h"

TEST(format_names)
{
    CHECK_EQ_INT(row_format_parse("json", 4), ROW_FORMAT_JSON);
    CHECK_EQ_INT(row_format_parse("CSV", 3), ROW_FORMAT_CSV);
    CHECK_EQ_INT(row_format_parse("SenML", 5), ROW_FORMAT_SENML);
    CHECK_EQ_INT(row_format_parse("avro", 4), ERR_INVALID);
    CHECK_EQ_STR(row_format_name(ROW_FORMAT_SENML), "senml");
}

TEST(each_format_through_one_call)
{
    struct schema s;
    schema_init(&s);
    schema_add(&s, "name", SCHEMA_STRING, false, NULL);
    schema_add(&s, "value", SCHEMA_DOUBLE, true, NULL);
    schema_add(&s, "ts", SCHEMA_TIMESTAMP, false, NULL);
    struct row_batch *b;
    CHECK_EQ_INT(row_batch_create(&s, 16, &b), 0);
    struct {
        enum row_format f;
        const char *input;
        int rows;
    } cases[] = {
        {ROW_FORMAT_JSON, "{\"name\":\"a\",\"value\":1.5,\"ts\":1000}", 1},
        {ROW_FORMAT_CSV, "b;2.5;2000\n", 1},
        {ROW_FORMAT_SENML,
         "[{\"bn\":\"c/"
         "\",\"bt\":1.7e9,\"n\":\"x\",\"v\":3},{\"n\":\"y\",\"v\":4}]",
         2},
    };
    struct row_decoder_options opts = {';', true};
    struct row_error err;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct row_decoder *d;
        CHECK_EQ_INT(row_decoder_create(cases[i].f, &s, &opts, &d), 0);
        int rc = row_decoder_decode(d, b, cases[i].input,
                                    strlen(cases[i].input), 0, NULL, &err);
        if (rc < 0)
            fprintf(stderr, "  case %zu: %s\n", i, err.message);
        CHECK_EQ_INT(rc, cases[i].rows);
        CHECK_EQ_INT(row_decoder_decode(d, b, "", 0, 0, NULL, &err) < 0, 1);
        row_decoder_destroy(d);
    }
    CHECK_EQ_INT(b->nrows, 4);
    /* Oversized record values are refused before a byte is read. */
    for (int f = ROW_FORMAT_JSON; f <= ROW_FORMAT_SENML; f++) {
        struct row_decoder *d;
        CHECK_EQ_INT(row_decoder_create((enum row_format)f, &s, NULL, &d), 0);
        CHECK_EQ_INT(
            row_decoder_decode(d, b, "{", ROW_RECORD_MAX + 1, 0, NULL, &err),
            ERR_TOO_LARGE);
        row_decoder_destroy(d);
    }
    CHECK_EQ_INT(b->nrows, 4);
    CHECK(value_same(row_batch_get(b, 1, 1), value_double(2.5)));
    CHECK(value_same(row_batch_get(b, 3, 0), value_string("c/y", 3)));
    CHECK(value_same(row_batch_get(b, 3, 2), value_timestamp(1700000000000LL)));
    row_batch_destroy(b);

    /* SenML refuses a schema it cannot fill; JSON accepts it. */
    schema_add(&s, "colour", SCHEMA_STRING, true, NULL);
    struct row_decoder *d = (struct row_decoder *)&s;
    CHECK_EQ_INT(row_decoder_create(ROW_FORMAT_SENML, &s, NULL, &d),
                 ERR_INVALID);
    CHECK(d == NULL);
    CHECK_EQ_INT(row_decoder_create(ROW_FORMAT_JSON, &s, NULL, &d), 0);
    row_decoder_destroy(d);
    CHECK_EQ_INT(row_decoder_create((enum row_format)99, &s, NULL, &d),
                 ERR_INVALID);
    row_decoder_destroy(NULL);
}

int main(void)
{
    RUN(format_names);
    RUN(each_format_through_one_call);
    return harness_summary("test_row_decoder");
}
