/* test_csv_decode.c - CSV line decoder tests (layer: row): quoting, doubled
 * quotes, delimiters, NULLs, types, and errors with offsets.
 */
#include <string.h>

#include "../../harness.h"
#include "base/err.h"
#include "row/csv_decode.h"
#include "row/row_batch.h"

enum { C_ID, C_N, C_D, C_FLAG, C_TS, C_NOTE };

static struct schema schema;

static void make_schema(void)
{
    schema_init(&schema);
    schema_add(&schema, "id", SCHEMA_STRING, false, NULL);
    schema_add(&schema, "n", SCHEMA_INT, true, NULL);
    schema_add(&schema, "d", SCHEMA_DOUBLE, true, NULL);
    schema_add(&schema, "flag", SCHEMA_BOOLEAN, true, NULL);
    schema_add(&schema, "ts", SCHEMA_TIMESTAMP, true, NULL);
    schema_add(&schema, "note", SCHEMA_STRING, true, NULL);
}

static struct row_batch *batch;

static int decode(const char *line, char delim, struct row_error *err)
{
    struct csv_decoder *d;
    if (csv_decoder_create(&schema, delim, 0, &d) != 0)
        return -999;
    row_batch_reset(batch);
    int rc = csv_decode(d, batch, line, strlen(line), NULL, err);
    csv_decoder_destroy(d);
    return rc;
}

TEST(values)
{
    struct {
        const char *line;
        char delim;
        int col;
        struct value want;
    } cases[] = {
        {"a,1,2.5,true,1764000000123,hello", ',', C_ID, value_string("a", 1)},
        {"a,1,2.5,true,1764000000123,hello", ',', C_N, value_int(1)},
        {"a,1,2.5,true,1764000000123,hello", ',', C_D, value_double(2.5)},
        {"a,1,2.5,true,1764000000123,hello", ',', C_FLAG, value_bool(true)},
        {"a,1,2.5,true,1764000000123,hello", ',', C_TS,
         value_timestamp(1764000000123LL)},
        {"a,1,2.5,true,1764000000123,hello\r\n", ',', C_NOTE,
         value_string("hello", 5)},
        {"a,1,2.5,true,1764000000123,hello\n", ',', C_NOTE,
         value_string("hello", 5)},
        {"\"a,b\",1,2.5,FALSE,1,x", ',', C_ID, value_string("a,b", 3)},
        {"a,1,2.5,0,1,\"say \"\"hi\"\"\"", ',', C_NOTE,
         value_string("say \"hi\"", 8)},
        {"a,1,2.5,0,1,\"two\nlines\"", ',', C_NOTE,
         value_string("two\nlines", 9)},
        {"a,1,2.5,0,2026-11-24T07:30:00.123Z,x", ',', C_TS,
         value_timestamp(1795505400123LL)},
        {"a,1,2.5,0,2026-11-24T07:30:00.123+01:00,x", ',', C_TS,
         value_timestamp(1795501800123LL)},
        {"a,-7,-0,1,-1,x", ',', C_N, value_int(-7)},
        {"a,-7,-0,1,-1,x", ',', C_D, value_double(-0.0)},
        {"a,-7,1e3,1,-1,x", ',', C_D, value_double(1000.0)},
        {"a,,,,,", ',', C_N, value_null()},
        {"a,,,,,", ',', C_D, value_null()},
        {"a,,,,,", ',', C_FLAG, value_null()},
        {"a,,,,,", ',', C_TS, value_null()},
        {"a,,,,,", ',', C_NOTE, value_null()},
        {"a,,,,,\"\"", ',', C_NOTE, value_string("", 0)},
        {",,,,,", ',', C_ID, value_string("", 0)}, /* NOT NULL STRING */
        {"a;1;2.5;true;5;x,y", ';', C_NOTE, value_string("x,y", 3)},
        {"a\t1\t2.5\ttrue\t5\t x ", '\t', C_NOTE, value_string(" x ", 3)},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct row_error err;
        int rc = decode(cases[i].line, cases[i].delim, &err);
        if (rc != 0)
            fprintf(stderr, "  case %zu: %s\n", i, err.message);
        CHECK_EQ_INT(rc, 0);
        if (rc == 0 &&
            !value_same(row_batch_get(batch, 0, cases[i].col), cases[i].want)) {
            fprintf(stderr, "  case %zu: %s col %d\n", i, cases[i].line,
                    cases[i].col);
            CHECK(0);
        }
    }
}

TEST(errors)
{
    struct {
        const char *line;
        int code;
        size_t offset;
        const char *message;
    } cases[] = {
        {"a,1,2.5,true,5", ERR_PARSE, 14,
         "expected 6 fields, found 5 at byte 14"},
        {"a,1,2.5,true,5,x,extra", ERR_PARSE, 17,
         "expected 6 fields, found more at byte 17"},
        {"a,x,2.5,true,5,x", ERR_INVALID, 2,
         "field \"n\": expected number, found \"x\" at byte 2"},
        {"a,1.5,2.5,true,5,x", ERR_INVALID, 2, NULL},
        {"a,99999999999,2.5,true,5,x", ERR_INVALID, 2, NULL},
        {"a,1,2.5x,true,5,x", ERR_INVALID, 4, NULL},
        {"a,1, 2.5,true,5,x", ERR_INVALID, 4, NULL},
        {"a,1,2.5,yes,5,x", ERR_INVALID, 8,
         "field \"flag\": expected boolean, found \"yes\" at byte 8"},
        {"a,1,2.5,true,2026-13-01,x", ERR_INVALID, 18, NULL},
        {"a,1,2.5,true,5.5,x", ERR_INVALID, 13, NULL},
        {"\"a,1,2.5,true,5,x", ERR_PARSE, 0,
         "unterminated quoted field at byte 0"},
        {"\"a\"b,1,2.5,true,5,x", ERR_PARSE, 3,
         "expected delimiter after quoted field at byte 3"},
        {"a\"b,1,2.5,true,5,x", ERR_PARSE, 1,
         "quote inside an unquoted field at byte 1"},
        {"a,\"\",2.5,true,5,x", ERR_INVALID, 2, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct row_error err;
        memset(&err, 0, sizeof(err));
        int rc = decode(cases[i].line, ',', &err);
        bool ok =
            rc == cases[i].code && err.offset == cases[i].offset &&
            batch->nrows == 0 &&
            (!cases[i].message || strcmp(err.message, cases[i].message) == 0);
        if (!ok) {
            fprintf(stderr, "  case %zu: %s\n    rc=%d off=%zu: %s\n", i,
                    cases[i].line, rc, err.offset, err.message);
            CHECK(0);
        }
    }
    struct csv_decoder *d;
    CHECK_EQ_INT(csv_decoder_create(&schema, '"', 0, &d), ERR_INVALID);
    CHECK_EQ_INT(csv_decoder_create(&schema, '\n', 0, &d), ERR_INVALID);
}

TEST(copy_strings_and_full_batch)
{
    struct csv_decoder *d;
    struct row_batch *b;
    struct row_error err;
    char line[] = "abc,1,2,true,3,def";
    CHECK_EQ_INT(csv_decoder_create(&schema, ',', CSV_DECODE_COPY_STRINGS, &d),
                 0);
    CHECK_EQ_INT(row_batch_create(&schema, 1, &b), 0);
    CHECK_EQ_INT(csv_decode(d, b, line, strlen(line), NULL, &err), 0);
    memset(line, 'z', strlen(line)); /* the input may now be reused */
    CHECK(value_same(row_batch_get(b, 0, C_ID), value_string("abc", 3)));
    CHECK(value_same(row_batch_get(b, 0, C_NOTE), value_string("def", 3)));
    CHECK_EQ_INT(csv_decode(d, b, "a,1,2,1,3,x", 11, NULL, &err),
                 ERR_TOO_LARGE);
    csv_decoder_destroy(d);
    row_batch_destroy(b);
}

int main(void)
{
    make_schema();
    row_batch_create(&schema, 4, &batch);
    RUN(values);
    RUN(errors);
    RUN(copy_strings_and_full_batch);
    row_batch_destroy(batch);
    return harness_summary("test_csv_decode");
}
