/* test_json_encode.c - row -> JSON tests (layer: row): exact output for
 * every type, string escaping, timestamps in UTC, shortest doubles, and
 * round trips through the JSON decoder.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../harness.h"
#include "base/buf.h"
#include "row/json_decode.h"
#include "row/json_encode.h"
#include "row/row_batch.h"
#include "row/scalar.h"

static struct schema schema;

static void make_schema(void)
{
    schema_init(&schema);
    schema_add(&schema, "id", SCHEMA_STRING, true, NULL);
    schema_add(&schema, "n", SCHEMA_INT, true, NULL);
    schema_add(&schema, "big", SCHEMA_BIGINT, true, NULL);
    schema_add(&schema, "d", SCHEMA_DOUBLE, true, NULL);
    schema_add(&schema, "flag", SCHEMA_BOOLEAN, true, NULL);
    schema_add(&schema, "ts", SCHEMA_TIMESTAMP, true, NULL);
}

static char *text(struct buf *b)
{
    buf_put_u8(b, 0);
    b->len--;
    return (char *)b->data;
}

TEST(exact_output)
{
    struct row_batch *b;
    struct buf out;
    buf_init(&out);
    CHECK_EQ_INT(row_batch_create(&schema, 4, &b), 0);
    int r = row_batch_begin_row(b);
    row_batch_set(b, r, 0, value_string("a\"b\\c\n\x01\xc3\xa9", 9));
    row_batch_set(b, r, 1, value_int(-42));
    row_batch_set(b, r, 2, value_bigint(INT64_MIN));
    row_batch_set(b, r, 3, value_double(0.8731));
    row_batch_set(b, r, 4, value_bool(true));
    row_batch_set(b, r, 5, value_timestamp(1795505400123LL));
    row_batch_commit_row(b, NULL);
    json_encode_row(b, 0, &out);
    CHECK_EQ_STR(text(&out),
                 "{\"id\":\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\",\"n\":-42,"
                 "\"big\":-9223372036854775808,\"d\":0.8731,\"flag\":true,"
                 "\"ts\":\"2026-11-24T07:30:00.123Z\"}");
    r = row_batch_begin_row(b);
    for (int c = 0; c < 6; c++)
        row_batch_set(b, r, c, value_null());
    row_batch_commit_row(b, NULL);
    buf_reset(&out);
    json_encode_row(b, 1, &out);
    CHECK_EQ_STR(text(&out), "{\"id\":null,\"n\":null,\"big\":null,\"d\":null,"
                             "\"flag\":null,\"ts\":null}");
    /* Type mismatches are refused by row_batch_set. */
    CHECK(row_batch_set(b, 0, 1, value_double(1)) != 0);
    row_batch_destroy(b);
    buf_fini(&out);
}

TEST(doubles_and_timestamps)
{
    struct {
        double d;
        const char *want;
    } dcases[] = {
        {0.0, "0.0"},
        {-0.0, "-0.0"},
        {1.0, "1.0"},
        {-3.0, "-3.0"},
        {0.1, "0.1"},
        {1e308, "1e+308"},
        {1.5e15, "1.5e+15"},
        {123456.789, "123456.789"},
        {0.1 + 0.2, "0.30000000000000004"},
        {NAN, "null"},
        {INFINITY, "null"},
        {1e21, "1e+21"},
        {5e-324, "4.94065645841247e-324"},
    };
    for (size_t i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
        char out[SCALAR_DOUBLE_MAX];
        scalar_format_double(dcases[i].d, out);
        if (strcmp(out, dcases[i].want) != 0) {
            fprintf(stderr, "  double case %zu: %s != %s\n", i, out,
                    dcases[i].want);
            CHECK(0);
        }
    }
    struct {
        int64_t ms;
        const char *want;
    } tcases[] = {
        {0, "1970-01-01T00:00:00.000Z"},
        {-1, "1969-12-31T23:59:59.999Z"},
        {1795505400123LL, "2026-11-24T07:30:00.123Z"},
        {951782400000LL, "2000-02-29T00:00:00.000Z"},
        {253402300799999LL, "9999-12-31T23:59:59.999Z"},
    };
    for (size_t i = 0; i < sizeof(tcases) / sizeof(tcases[0]); i++) {
        char out[SCALAR_TIMESTAMP_MAX];
        scalar_format_timestamp(tcases[i].ms, out);
        CHECK_EQ_STR(out, tcases[i].want);
    }
}

/* Every formatted double reads back to itself, and sensor-like values come
 * out as written. */
TEST(doubles_read_back)
{
    srand(11);
    int bad = 0;
    for (int i = 0; i < 300000; i++) {
        double d;
        if (i % 3 == 0) {
            d = (double)(rand() % 2000000 - 1000000) / 10000.0;
        } else if (i % 3 == 1) {
            d = (double)rand() / (double)(1 + rand() % 1000000) *
                (i % 2 ? 1 : -1);
        } else {
            uint64_t bits = ((uint64_t)rand() << 42) ^
                            ((uint64_t)rand() << 21) ^ (uint64_t)rand();
            memcpy(&d, &bits, sizeof(d));
            if (!isfinite(d))
                continue;
        }
        char out[SCALAR_DOUBLE_MAX];
        scalar_format_double(d, out);
        double back = strtod(out, NULL);
        if (memcmp(&back, &d, sizeof(d)) != 0 && bad++ < 5)
            fprintf(stderr, "  %.17g -> %s -> %.17g\n", d, out, back);
    }
    CHECK_EQ_INT(bad, 0);
    struct {
        double d;
        const char *want;
    } cases[] = {
        {0.8731, "0.8731"}, {-12.5, "-12.5"},
        {0.0001, "0.0001"}, {23.1, "23.1"},
        {101.5, "101.5"},   {1764.000123, "1764.000123"},
        {0.3, "0.3"},       {99999.9999, "99999.9999"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[SCALAR_DOUBLE_MAX];
        scalar_format_double(cases[i].d, out);
        CHECK_EQ_STR(out, cases[i].want);
    }
}

/* Random rows: encode, decode with the same schema, compare cell by cell. */
TEST(round_trip)
{
    struct row_batch *b, *back;
    struct json_decoder *d;
    struct row_error err;
    struct buf out;
    buf_init(&out);
    CHECK_EQ_INT(row_batch_create(&schema, 256, &b), 0);
    CHECK_EQ_INT(row_batch_create(&schema, 256, &back), 0);
    CHECK_EQ_INT(json_decoder_create(&schema, 0, &d), 0);
    srand(7);
    static char strs[256][16];
    for (int i = 0; i < 256; i++) {
        int r = row_batch_begin_row(b);
        for (int k = 0; k < 15; k++)
            strs[i][k] = (char)(1 + rand() % 126); /* controls, quotes too */
        row_batch_set(b, r, 0, value_string(strs[i], (uint32_t)(i % 16)));
        row_batch_set(b, r, 1, value_int(rand() - RAND_MAX / 2));
        row_batch_set(b, r, 2,
                      value_bigint((int64_t)(((uint64_t)rand() << 33) ^
                                             (uint64_t)rand())));
        uint64_t bits = ((uint64_t)rand() << 42) ^ ((uint64_t)rand() << 21) ^
                        (uint64_t)rand();
        double dv;
        memcpy(&dv, &bits, sizeof(dv));
        if (!isfinite(dv))
            dv = 1.0 / (i + 1);
        row_batch_set(b, r, 3, i % 5 == 0 ? value_null() : value_double(dv));
        row_batch_set(b, r, 4, value_bool(i & 1));
        row_batch_set(b, r, 5,
                      value_timestamp(((int64_t)rand() * 1000 + i) -
                                      (int64_t)RAND_MAX * 300));
        row_batch_commit_row(b, NULL);
        buf_reset(&out);
        json_encode_row(b, r, &out);
        int rc =
            json_decode(d, back, (const char *)out.data, out.len, NULL, &err);
        if (rc != 0) {
            fprintf(stderr, "  row %d: %s: %.*s\n", i, err.message,
                    (int)out.len, out.data);
            CHECK(0);
            continue;
        }
        for (int c = 0; c < 6; c++)
            if (!value_same(row_batch_get(b, r, c),
                            row_batch_get(back, r, c))) {
                fprintf(stderr, "  row %d col %d differs: %.*s\n", i, c,
                        (int)out.len, out.data);
                CHECK(0);
            }
    }
    json_decoder_destroy(d);
    row_batch_destroy(b);
    row_batch_destroy(back);
    buf_fini(&out);
}

int main(void)
{
    make_schema();
    RUN(exact_output);
    RUN(doubles_and_timestamps);
    RUN(doubles_read_back);
    RUN(round_trip);
    return harness_summary("test_json_encode");
}
