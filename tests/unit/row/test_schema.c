/* test_schema.c - schemas, type names, number and timestamp text
 * conversions, and row batch basics (layer: row).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../harness.h"
#include "base/err.h"
#include "row/row_batch.h"
#include "row/scalar.h"
#include "row/schema.h"

TEST(add_and_find)
{
    struct schema s;
    schema_init(&s);
    CHECK_EQ_INT(schema_add(&s, "Sensor_ID", SCHEMA_STRING, false, NULL), 0);
    CHECK_EQ_INT(schema_add(&s, "temp", SCHEMA_DOUBLE, true, "data.temp"), 1);
    CHECK_EQ_INT(schema_add(&s, "SENSOR_id", SCHEMA_INT, true, NULL),
                 ERR_EXISTS);
    CHECK_EQ_INT(schema_add(&s, "", SCHEMA_INT, true, NULL), ERR_INVALID);
    CHECK_EQ_INT(schema_add(&s, "x", SCHEMA_NULL, true, NULL), ERR_INVALID);
    CHECK_EQ_INT(schema_add(&s, "x", SCHEMA_INT, true, "a..b"), ERR_INVALID);
    CHECK_EQ_INT(schema_add(&s, "x", SCHEMA_INT, true, ".a"), ERR_INVALID);
    CHECK_EQ_INT(schema_add(&s, "x", SCHEMA_INT, true, "a."), ERR_INVALID);
    CHECK_EQ_INT(schema_find(&s, "sensor_id", 9), 0);
    CHECK_EQ_INT(schema_find(&s, "TEMP", 4), 1);
    CHECK_EQ_INT(schema_find(&s, "tem", 3), ERR_NOT_FOUND);
    CHECK_EQ_STR(s.columns[0].path, "Sensor_ID");
    CHECK_EQ_STR(s.columns[1].path, "data.temp");
    char name[16];
    for (int i = 2; i < SCHEMA_MAX_COLUMNS; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        CHECK_EQ_INT(schema_add(&s, name, SCHEMA_INT, true, NULL), i);
    }
    CHECK_EQ_INT(schema_add(&s, "more", SCHEMA_INT, true, NULL), ERR_TOO_LARGE);
}

TEST(type_names)
{
    struct {
        const char *text;
        int type;
    } cases[] = {
        {"BOOLEAN", SCHEMA_BOOLEAN},
        {"bool", SCHEMA_BOOLEAN},
        {"INT", SCHEMA_INT},
        {"integer", SCHEMA_INT},
        {"BIGINT", SCHEMA_BIGINT},
        {"double", SCHEMA_DOUBLE},
        {"FLOAT", SCHEMA_DOUBLE},
        {"STRING", SCHEMA_STRING},
        {"varchar", SCHEMA_STRING},
        {"TIMESTAMP(3)", SCHEMA_TIMESTAMP},
        {" timestamp ", SCHEMA_TIMESTAMP},
        {"DECIMAL", ERR_INVALID},
        {"", ERR_INVALID},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CHECK_EQ_INT(schema_type_parse(cases[i].text, strlen(cases[i].text)),
                     cases[i].type);
    CHECK_EQ_STR(schema_type_name(SCHEMA_TIMESTAMP), "TIMESTAMP(3)");
    CHECK_EQ_STR(schema_type_name(SCHEMA_INT), "INT");
}

TEST(civil_days_round_trip)
{
    for (int64_t day = -800000; day <= 800000; day += 7) {
        int64_t y;
        unsigned m, d;
        scalar_civil_from_days(day, &y, &m, &d);
        if (scalar_days_from_civil(y, m, d) != day) {
            CHECK(0);
            break;
        }
    }
    CHECK_EQ_INT(scalar_days_from_civil(1970, 1, 1), 0);
    CHECK_EQ_INT(scalar_days_from_civil(2000, 3, 1), 11017);
}

/* The fast path must agree with strtod on every number it accepts. */
TEST(numbers_agree_with_strtod)
{
    srand(42);
    char text[64];
    int bad = 0;
    for (int i = 0; i < 200000; i++) {
        int kind = i % 4;
        if (kind == 0) {
            snprintf(text, sizeof(text), "%d.%0*d", rand() % 100000,
                     1 + rand() % 9, rand() % 1000000000);
        } else if (kind == 1) {
            snprintf(text, sizeof(text), "%de%d", rand(), rand() % 60 - 30);
        } else if (kind == 2) {
            uint64_t bits = ((uint64_t)rand() << 42) ^
                            ((uint64_t)rand() << 21) ^ (uint64_t)rand();
            double d;
            memcpy(&d, &bits, sizeof(d));
            if (d != d || d - d != 0)
                d = 1.5;
            snprintf(text, sizeof(text), "%.*g", 1 + rand() % 17, d);
        } else {
            snprintf(text, sizeof(text), "-%d.%de-%d", rand() % 1000, rand(),
                     rand() % 25);
        }
        struct scalar_number num;
        const char *stop;
        size_t n = strlen(text);
        int rc = scalar_parse_number(text, text + n, &num, &stop);
        if (strchr(text, 'n') || strchr(text, 'i'))
            continue;
        double want = strtod(text, NULL);
        if (rc != 0 || stop != text + n ||
            memcmp(&num.d, &want, sizeof(want)) != 0) {
            if (bad++ < 5)
                fprintf(stderr, "  %s: rc=%d got %.17g want %.17g\n", text, rc,
                        num.d, want);
        }
    }
    CHECK_EQ_INT(bad, 0);
}

TEST(batch_capacity_and_get_set)
{
    struct schema s;
    schema_init(&s);
    schema_add(&s, "a", SCHEMA_INT, true, NULL);
    schema_add(&s, "t", SCHEMA_TIMESTAMP, true, NULL);
    struct row_batch *b = (struct row_batch *)&s;
    CHECK_EQ_INT(row_batch_create(&s, 0, &b), ERR_INVALID);
    CHECK(b == NULL);
    CHECK_EQ_INT(row_batch_create(&s, ROW_BATCH_MAX_CAPACITY + 1, &b),
                 ERR_INVALID);
    CHECK_EQ_INT(row_batch_create(&s, 3, &b), 0);
    CHECK_EQ_INT(row_batch_set_time_column(b, 0), ERR_INVALID);
    CHECK_EQ_INT(row_batch_set_time_column(b, 1), 0);
    for (int i = 0; i < 3; i++) {
        int r = row_batch_begin_row(b);
        CHECK_EQ_INT(r, i);
        row_batch_set(b, r, 0, value_int(i * 10));
        row_batch_set(b, r, 1, value_timestamp(1000 + i));
        row_batch_commit_row(b, NULL);
    }
    CHECK(row_batch_full(b));
    CHECK_EQ_INT(row_batch_begin_row(b), ERR_TOO_LARGE);
    CHECK_EQ_INT(b->columns[0].data.i32[2], 20);
    CHECK_EQ_INT(b->meta[2].event_ts, 1002);
    CHECK_EQ_INT(b->meta[2].partition, -1);
    const char *copy = row_batch_copy(b, "hello", 5);
    CHECK(memcmp(copy, "hello", 5) == 0);
    row_batch_reset(b);
    CHECK_EQ_INT(b->nrows, 0);
    CHECK_EQ_INT(b->arena.used_total, 0);
    row_batch_destroy(b);
    row_batch_destroy(NULL);
}

TEST(batch_append)
{
    struct schema s;
    schema_init(&s);
    schema_add(&s, "k", SCHEMA_STRING, false, NULL);
    schema_add(&s, "v", SCHEMA_DOUBLE, true, NULL);
    struct row_batch *b;
    CHECK_EQ_INT(row_batch_create(&s, 2, &b), 0);
    char key[] = "sensor-1";
    struct value vals[2] = {value_string(key, 8), value_null()};
    struct row_meta meta = {0, 5, 700, 1, INT64_MIN};
    CHECK_EQ_INT(row_batch_append(b, vals, &meta, true), 0);
    memset(key, 'x', 8); /* the copy does not depend on the source */
    CHECK(value_same(row_batch_get(b, 0, 0), value_string("sensor-1", 8)));
    CHECK(value_is_null(row_batch_get(b, 0, 1)));
    CHECK_EQ_INT(b->meta[0].event_ts, 700);
    vals[1] = value_int(3); /* wrong type for DOUBLE */
    CHECK_EQ_INT(row_batch_append(b, vals, NULL, false), ERR_INVALID);
    CHECK_EQ_INT(b->nrows, 1);
    vals[1] = value_double(2.5);
    CHECK_EQ_INT(row_batch_append(b, vals, NULL, false), 1);
    CHECK(row_batch_get(b, 1, 0).u.str.ptr == key); /* borrowed */
    CHECK_EQ_INT(row_batch_append(b, vals, NULL, false), ERR_TOO_LARGE);
    row_batch_destroy(b);
}

int main(void)
{
    RUN(add_and_find);
    RUN(type_names);
    RUN(civil_days_round_trip);
    RUN(numbers_agree_with_strtod);
    RUN(batch_capacity_and_get_set);
    RUN(batch_append);
    return harness_summary("test_schema");
}
