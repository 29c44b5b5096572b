/* test_json_decode.c - table-driven tests of the schema-driven JSON decoder
 * (layer: row): values per type, nested paths, escapes, every timestamp
 * variant, number edge cases, and errors with their byte offsets.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../harness.h"
#include "base/err.h"
#include "row/json_decode.h"
#include "row/json_scan.h"
#include "row/row_batch.h"

enum { C_ID, C_N, C_BIG, C_D, C_FLAG, C_TS, C_CITY, C_LAT, C_NAME };

static struct schema schema;

static void make_schema(void)
{
    schema_init(&schema);
    schema_add(&schema, "id", SCHEMA_STRING, false, NULL);
    schema_add(&schema, "n", SCHEMA_INT, true, NULL);
    schema_add(&schema, "big", SCHEMA_BIGINT, true, NULL);
    schema_add(&schema, "d", SCHEMA_DOUBLE, true, NULL);
    schema_add(&schema, "flag", SCHEMA_BOOLEAN, true, NULL);
    schema_add(&schema, "ts", SCHEMA_TIMESTAMP, true, NULL);
    schema_add(&schema, "city", SCHEMA_STRING, true, "loc.city");
    schema_add(&schema, "lat", SCHEMA_DOUBLE, true, "loc.geo.lat");
    schema_add(&schema, "name", SCHEMA_STRING, true, NULL);
}

/* Decodes one record into a fresh one-row batch and returns cell col. */
static int decode1(const char *json, int col, struct value *out,
                   struct row_error *err, struct row_batch **keep)
{
    struct json_decoder *d;
    struct row_batch *b;
    if (json_decoder_create(&schema, 0, &d) != 0 ||
        row_batch_create(&schema, 4, &b) != 0)
        return -999;
    int rc = json_decode(d, b, json, strlen(json), NULL, err);
    if (rc == 0 && out)
        *out = row_batch_get(b, 0, col);
    json_decoder_destroy(d);
    /* Values borrow from the batch: keep the last one alive until the
     * next call (or hand it to the caller). */
    static struct row_batch *last;
    row_batch_destroy(last);
    last = NULL;
    if (keep)
        *keep = b;
    else
        last = b;
    return rc;
}

static bool same_value(struct value got, struct value want)
{
    if (value_same(got, want))
        return true;
    fprintf(stderr, "    got type %d i64=%lld f64=%.17g str=%.*s\n", got.type,
            (long long)got.u.i64, got.u.f64,
            got.type == SCHEMA_STRING ? (int)got.u.str.len : 0,
            got.type == SCHEMA_STRING ? got.u.str.ptr : "");
    return false;
}

TEST(values_per_type)
{
    struct {
        const char *json;
        int col;
        struct value want;
    } cases[] = {
        {"{\"id\":\"s-1\"}", C_ID, value_string("s-1", 3)},
        {"{\"id\":\"\"}", C_ID, value_string("", 0)},
        {"{\"id\":\"x\",\"n\":42}", C_N, value_int(42)},
        {"{\"id\":\"x\",\"n\":-2147483648}", C_N, value_int(INT32_MIN)},
        {"{\"id\":\"x\",\"n\":2147483647}", C_N, value_int(INT32_MAX)},
        {"{\"id\":\"x\",\"n\":-0}", C_N, value_int(0)},
        {"{\"id\":\"x\",\"big\":9223372036854775807}", C_BIG,
         value_bigint(INT64_MAX)},
        {"{\"id\":\"x\",\"big\":-9223372036854775808}", C_BIG,
         value_bigint(INT64_MIN)},
        {"{\"id\":\"x\",\"big\":1764000000123}", C_BIG,
         value_bigint(1764000000123LL)},
        {"{\"id\":\"x\",\"d\":0.8731}", C_D, value_double(0.8731)},
        {"{\"id\":\"x\",\"d\":42}", C_D, value_double(42.0)},
        {"{\"id\":\"x\",\"d\":-0}", C_D, value_double(-0.0)},
        {"{\"id\":\"x\",\"d\":-0.0}", C_D, value_double(-0.0)},
        {"{\"id\":\"x\",\"d\":1e308}", C_D, value_double(1e308)},
        {"{\"id\":\"x\",\"d\":1.7976931348623157e308}", C_D,
         value_double(1.7976931348623157e308)},
        {"{\"id\":\"x\",\"d\":1e-320}", C_D,
         value_double(strtod("1e-320", NULL))},
        {"{\"id\":\"x\",\"d\":5e-324}", C_D, value_double(5e-324)},
        {"{\"id\":\"x\",\"d\":1e-400}", C_D, value_double(0.0)},
        {"{\"id\":\"x\",\"d\":2.5E+3}", C_D, value_double(2500.0)},
        {"{\"id\":\"x\",\"d\":0.1}", C_D, value_double(0.1)},
        {"{\"id\":\"x\",\"d\":0.000001234}", C_D, value_double(0.000001234)},
        {"{\"id\":\"x\",\"d\":9007199254740993}", C_D,
         value_double(9007199254740992.0)},
        {"{\"id\":\"x\",\"d\":123456789012345678901234567890}", C_D,
         value_double(1.2345678901234568e+29)},
        {"{\"id\":\"x\",\"d\":3.141592653589793238462643383279}", C_D,
         value_double(3.141592653589793)},
        {"{\"id\":\"x\",\"d\":null}", C_D, value_null()},
        {"{\"id\":\"x\"}", C_D, value_null()},
        {"{\"id\":\"x\",\"flag\":true}", C_FLAG, value_bool(true)},
        {"{\"id\":\"x\",\"flag\":false}", C_FLAG, value_bool(false)},
        {" \t\r\n{ \"id\" : \"x\" , \"n\" : 7 } \n", C_N, value_int(7)},
        /* Last duplicate wins. */
        {"{\"id\":\"x\",\"n\":1,\"n\":2}", C_N, value_int(2)},
        /* Keys are case-sensitive JSON; "ID" is an unknown field. */
        {"{\"ID\":\"y\",\"id\":\"x\"}", C_ID, value_string("x", 1)},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct value got;
        struct row_error err;
        int rc = decode1(cases[i].json, cases[i].col, &got, &err, NULL);
        if (rc != 0)
            fprintf(stderr, "  case %zu: %s: %s\n", i, cases[i].json,
                    err.message);
        CHECK_EQ_INT(rc, 0);
        if (rc == 0 && !same_value(got, cases[i].want)) {
            fprintf(stderr, "  case %zu: %s\n", i, cases[i].json);
            CHECK(0);
        }
    }
}

TEST(timestamps)
{
    struct {
        const char *text;
        int64_t ms;
    } cases[] = {
        {"1764000000123", 1764000000123LL},
        {"0", 0},
        {"-1", -1},
        {"\"2026-11-24T07:30:00.123Z\"", 1795505400123LL},
        {"\"2026-11-24T07:30:00Z\"", 1795505400000LL},
        {"\"2026-11-24T07:30:00.123+01:00\"", 1795501800123LL},
        {"\"2026-11-24T07:30:00.123+0100\"", 1795501800123LL},
        {"\"2026-11-24T07:30:00.123+01\"", 1795501800123LL},
        {"\"2026-11-24T07:30:00.123-05:30\"", 1795525200123LL},
        {"\"2026-11-24T07:30:00\"", 1795505400000LL},
        {"\"2026-11-24T07:30:00.123\"", 1795505400123LL},
        {"\"2026-11-24T07:30:00.1Z\"", 1795505400100LL},
        {"\"2026-11-24T07:30:00.123456789Z\"", 1795505400123LL},
        {"\"2026-11-24 07:30:00.123Z\"", 1795505400123LL},
        {"\"2026-11-24t07:30:00.123z\"", 1795505400123LL},
        {"\"2026-11-24T07:30Z\"", 1795505400000LL},
        {"\"2026-11-24\"", 1795478400000LL},
        {"\"2024-02-29T00:00:00Z\"", 1709164800000LL},
        {"\"1969-12-31T23:59:59.999Z\"", -1},
        {"\"1970-01-01T00:00:00Z\"", 0},
        {"\"9999-12-31T23:59:59.999Z\"", 253402300799999LL},
        {"\"0000-01-01T00:00:00Z\"", -62167219200000LL},
        {"253402300799999", 253402300799999LL},
        {"\"2026-11-24T07:30:00.123\\u005a\"", 1795505400123LL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char json[128];
        snprintf(json, sizeof(json), "{\"id\":\"x\",\"ts\":%s}", cases[i].text);
        struct value got;
        struct row_error err;
        int rc = decode1(json, C_TS, &got, &err, NULL);
        if (rc != 0)
            fprintf(stderr, "  case %zu: %s: %s\n", i, json, err.message);
        CHECK_EQ_INT(rc, 0);
        if (rc == 0 && !same_value(got, value_timestamp(cases[i].ms))) {
            fprintf(stderr, "  case %zu: %s\n", i, json);
            CHECK(0);
        }
    }
}

TEST(nested_paths_and_skipping)
{
    struct row_batch *b;
    struct row_error err;
    const char *json =
        "{\"junk\":{\"a\":[1,2,{\"b\":null,\"c\":[[],{}]}],\"s\":\"\\u1234\"},"
        "\"loc\":{\"x\":[true,false,null,-1.5e3],\"city\":\"Berlin\","
        "\"geo\":{\"lon\":13.4,\"lat\":52.52}},\"id\":\"x\",\"arr\":[],"
        "\"obj\":{}}";
    CHECK_EQ_INT(decode1(json, 0, NULL, &err, &b), 0);
    CHECK(value_same(row_batch_get(b, 0, C_CITY), value_string("Berlin", 6)));
    CHECK(value_same(row_batch_get(b, 0, C_LAT), value_double(52.52)));
    CHECK(value_same(row_batch_get(b, 0, C_ID), value_string("x", 1)));
    CHECK(value_is_null(row_batch_get(b, 0, C_N)));
    CHECK_EQ_INT(b->nrows, 1);
    row_batch_destroy(b);

    /* A null object makes every column below it NULL. */
    CHECK_EQ_INT(decode1("{\"id\":\"x\",\"loc\":null}", 0, NULL, &err, &b), 0);
    CHECK(value_is_null(row_batch_get(b, 0, C_CITY)));
    CHECK(value_is_null(row_batch_get(b, 0, C_LAT)));
    row_batch_destroy(b);
    CHECK_EQ_INT(
        decode1("{\"id\":\"x\",\"loc\":{\"geo\":{}}}", 0, NULL, &err, &b), 0);
    CHECK(value_is_null(row_batch_get(b, 0, C_LAT)));
    row_batch_destroy(b);
}

TEST(strings_and_escapes)
{
    struct {
        const char *json_string; /* the JSON text of the value */
        const char *want;
        size_t want_len;
        bool slice; /* expect a slice of the input (no escapes) */
    } cases[] = {
        {"\"plain\"", "plain", 5, true},
        {"\"a\\\"b\"", "a\"b", 3, false},
        {"\"\\\\\\/\\b\\f\\n\\r\\t\"", "\\/\b\f\n\r\t", 7, false},
        {"\"caf\\u00e9\"", "caf\xc3\xa9", 5, false},
        {"\"\\u20AC\"", "\xe2\x82\xac", 3, false},
        {"\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4, false},
        {"\"\\u0000x\"", "\0x", 2, false},
        {"\"\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80\"",
         "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80", 10, true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char json[128];
        snprintf(json, sizeof(json), "{\"id\":%s}", cases[i].json_string);
        struct value got;
        struct row_error err;
        int rc = decode1(json, C_ID, &got, &err, NULL);
        if (rc != 0)
            fprintf(stderr, "  case %zu: %s: %s\n", i, json, err.message);
        CHECK_EQ_INT(rc, 0);
        if (rc == 0 &&
            !same_value(got, value_string(cases[i].want,
                                          (uint32_t)cases[i].want_len))) {
            fprintf(stderr, "  case %zu: %s\n", i, json);
            CHECK(0);
        }
    }
    /* Unescaped strings are slices into the input; escaped ones are not. */
    const char *in = "{\"id\":\"abc\",\"name\":\"a\\nb\"}";
    struct json_decoder *d;
    struct row_batch *b;
    struct row_error err;
    CHECK_EQ_INT(json_decoder_create(&schema, 0, &d), 0);
    CHECK_EQ_INT(row_batch_create(&schema, 2, &b), 0);
    CHECK_EQ_INT(json_decode(d, b, in, strlen(in), NULL, &err), 0);
    CHECK(b->columns[C_ID].data.str[0].ptr == in + 7);
    CHECK(b->columns[C_NAME].data.str[0].ptr < in ||
          b->columns[C_NAME].data.str[0].ptr > in + strlen(in));
    json_decoder_destroy(d);
    /* With COPY_STRINGS, nothing points into the input. */
    CHECK_EQ_INT(json_decoder_create(&schema, JSON_DECODE_COPY_STRINGS, &d), 0);
    CHECK_EQ_INT(json_decode(d, b, in, strlen(in), NULL, &err), 0);
    const char *p = b->columns[C_ID].data.str[1].ptr;
    CHECK(p < in || p > in + strlen(in));
    CHECK(b->columns[C_ID].data.str[1].len == 3 && memcmp(p, "abc", 3) == 0);
    json_decoder_destroy(d);
    row_batch_destroy(b);
}

TEST(errors_with_offsets)
{
    struct {
        const char *json;
        int code;
        const char *at; /* offset = first occurrence of this text ("": end) */
        const char *message; /* exact, or NULL: only code and offset */
    } cases[] = {
        {"{\"id\":\"x\",\"d\":\"str\"}", ERR_INVALID, "\"str\"",
         "field \"d\": expected number, found string at byte 14"},
        {"{\"id\":\"x\",\"n\":1.5}", ERR_INVALID, "1.5", NULL},
        {"{\"id\":\"x\",\"n\":1e2}", ERR_INVALID, "1e2", NULL},
        {"{\"id\":\"x\",\"n\":2147483648}", ERR_INVALID, "2147483648", NULL},
        {"{\"id\":\"x\",\"big\":9223372036854775808}", ERR_INVALID, "922",
         NULL},
        {"{\"id\":\"x\",\"big\":1.0}", ERR_INVALID, "1.0", NULL},
        {"{\"id\":\"x\",\"d\":1e309}", ERR_PARSE, "1e309",
         "number out of range at byte 14"},
        {"{\"id\":\"x\",\"d\":-}", ERR_PARSE, "}",
         "malformed number at byte 15"},
        {"{\"id\":\"x\",\"d\":1.}", ERR_PARSE, "}", NULL},
        {"{\"id\":\"x\",\"d\":1e}", ERR_PARSE, "}", NULL},
        {"{\"id\":\"x\",\"d\":.5}", ERR_PARSE, ".5", NULL},
        {"{\"id\":\"x\",\"d\":01}", ERR_PARSE, "1}", NULL},
        {"{\"id\":\"x\",\"d\":+1}", ERR_PARSE, "+1", NULL},
        {"{\"id\":\"x\",\"d\":NaN}", ERR_PARSE, "NaN", NULL},
        {"{\"id\":\"x\",\"d\":true}", ERR_INVALID, "true",
         "field \"d\": expected number, found boolean at byte 14"},
        {"{\"id\":\"x\",\"flag\":1}", ERR_INVALID, "1}", NULL},
        {"{\"id\":\"x\",\"flag\":tru}", ERR_PARSE, "tru", NULL},
        {"{\"id\":7}", ERR_INVALID, "7",
         "field \"id\": expected string, found number at byte 6"},
        {"{\"id\":null}", ERR_INVALID, "null",
         "field \"id\": null in a NOT NULL column at byte 6"},
        {"{\"n\":1}", ERR_INVALID, "",
         "field \"id\": missing in a NOT NULL column at byte 7"},
        {"{\"id\":{}}", ERR_INVALID, "{}", NULL},
        {"{\"id\":[\"x\"]}", ERR_INVALID, "[", NULL},
        {"{\"id\":\"x\",\"ts\":\"yesterday\"}", ERR_INVALID, "\"yes",
         "field \"ts\": expected an ISO-8601 timestamp, found \"yesterday\" "
         "at byte 15"},
        {"{\"id\":\"x\",\"ts\":\"2026-13-01T00:00:00Z\"}", ERR_INVALID, "\"20",
         NULL},
        {"{\"id\":\"x\",\"ts\":\"2026-02-29\"}", ERR_INVALID, "\"20", NULL},
        {"{\"id\":\"x\",\"ts\":\"2026-11-24T24:00:00Z\"}", ERR_INVALID, "\"20",
         NULL},
        {"{\"id\":\"x\",\"ts\":\"2026-11-24T07:30:00+25:00\"}", ERR_INVALID,
         "\"20", NULL},
        {"{\"id\":\"x\",\"ts\":\"2026-11-24T07:30:00.Z\"}", ERR_INVALID, "\"20",
         NULL},
        {"{\"id\":\"x\",\"ts\":\"2026-11-24T07:30:00Zjunk\"}", ERR_INVALID,
         "\"20", NULL},
        {"{\"id\":\"x\",\"ts\":1.5}", ERR_INVALID, "1.5", NULL},
        {"{\"id\":\"x\",\"ts\":253402300800000}", ERR_INVALID, "253", NULL},
        {"{\"id\":\"x\",\"ts\":-62167219200001}", ERR_INVALID, "-62", NULL},
        {"{\"id\":\"x\",\"ts\":\"9999-12-31T23:59:59-01:00\"}", ERR_INVALID,
         "\"99", NULL},
        {"{\"id\":\"x\",\"ts\":\"0000-01-01T00:00:00+01:00\"}", ERR_INVALID,
         "\"00", NULL},
        {"{\"id\":\"x\",\"ts\":true}", ERR_INVALID, "true", NULL},
        {"{\"id\":\"x\",\"loc\":5}", ERR_INVALID, "5",
         "field \"loc\": expected object, found number at byte 16"},
        {"{\"id\":\"x\",}", ERR_PARSE, "}",
         "expected a string key in object at byte 10"},
        {"{\"id\":\"x\"", ERR_PARSE, "",
         "expected ',' or '}' in object at byte 9"},
        {"{\"id\":\"x\" \"n\":1}", ERR_PARSE, "\"n", NULL},
        {"{\"id\" \"x\"}", ERR_PARSE, "\"x",
         "expected ':' after key at byte 6"},
        {"{\"id\":}", ERR_PARSE, "}", NULL},
        {"{\"id\":\"x\"} z", ERR_PARSE, "z",
         "unexpected data after the object at byte 11"},
        {"", ERR_PARSE, "",
         "expected a JSON object, found end of input at "
         "byte 0"},
        {"[1]", ERR_PARSE, "[",
         "expected a JSON object, found array at byte 0"},
        {"{\"id\":\"x", ERR_PARSE, "", "unterminated string at byte 8"},
        {"{\"id\":\"a\nb\"}", ERR_PARSE, "\n",
         "control character in string at byte 8"},
        {"{\"id\":\"a\\x\"}", ERR_PARSE, "\\x",
         "invalid escape in string at byte 8"},
        {"{\"id\":\"a\\u12G4\"}", ERR_PARSE, "\\u", NULL},
        {"{\"id\":\"\\ud83d\"}", ERR_PARSE, "\\u",
         "unpaired UTF-16 surrogate in string at byte 7"},
        {"{\"id\":\"\\ude00\"}", ERR_PARSE, "\\u", NULL},
        {"{\"id\":\"\\ud83d\\u0041\"}", ERR_PARSE, "\\u", NULL},
        {"{\"id\":\"\xff\"}", ERR_PARSE, "\xff",
         "invalid UTF-8 in string at byte 7"},
        {"{\"id\":\"\xc0\xaf\"}", ERR_PARSE, "\xc0", NULL},     /* overlong */
        {"{\"id\":\"\xed\xa0\x80\"}", ERR_PARSE, "\xed", NULL}, /* surrogate */
        {"{\"id\":\"\xe2\x82\"}", ERR_PARSE, "\xe2", NULL},     /* truncated */
        {"{\"id\":\"x\",\"junk\":[1,}", ERR_PARSE, "}", NULL},
        {"{\"id\":\"x\",\"junk\":{\"a\" 1}}", ERR_PARSE, "1}", NULL},
        {"{\"id\":\"x\",\"junk\":[1 2]}", ERR_PARSE, "2]", NULL},
        {"{\"id\":\"x\",\"junk\":nul}", ERR_PARSE, "nul", NULL},
        {"{\"id\":\"x\",\"j\\qunk\":1}", ERR_PARSE, "\\q", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct row_error err;
        memset(&err, 0, sizeof(err));
        int rc = decode1(cases[i].json, 0, NULL, &err, NULL);
        const char *at = cases[i].at[0] ? strstr(cases[i].json, cases[i].at)
                                        : cases[i].json + strlen(cases[i].json);
        size_t want_off = at ? (size_t)(at - cases[i].json) : 99999;
        bool ok =
            rc == cases[i].code && err.code == rc && err.offset == want_off &&
            (!cases[i].message || strcmp(err.message, cases[i].message) == 0);
        if (!ok) {
            fprintf(stderr,
                    "  case %zu: %s\n    rc=%d off=%zu (want %d %zu): %s\n", i,
                    cases[i].json, rc, err.offset, cases[i].code, want_off,
                    err.message);
            CHECK(0);
        }
    }
}

TEST(deep_nesting_is_an_error)
{
    char json[400];
    size_t n = 0;
    n += (size_t)sprintf(json, "{\"id\":\"x\",\"junk\":");
    for (int i = 0; i < 100; i++)
        json[n++] = '[';
    for (int i = 0; i < 100; i++)
        json[n++] = ']';
    json[n++] = '}';
    json[n] = 0;
    struct row_error err;
    CHECK_EQ_INT(decode1(json, 0, NULL, &err, NULL), ERR_PARSE);
    CHECK(strstr(err.message, "nesting deeper") != NULL);
}

TEST(batch_fill_meta_and_failed_rows)
{
    struct json_decoder *d;
    struct row_batch *b;
    struct row_error err;
    CHECK_EQ_INT(json_decoder_create(&schema, 0, &d), 0);
    CHECK_EQ_INT(row_batch_create(&schema, 2, &b), 0);
    CHECK_EQ_INT(row_batch_set_time_column(b, C_TS), 0);
    struct row_meta meta = {0, 17, 1000, 3, INT64_MIN};
    const char *a = "{\"id\":\"a\",\"ts\":5000}";
    const char *bad = "{\"id\":1}";
    const char *c = "{\"id\":\"c\"}";
    CHECK_EQ_INT(json_decode(d, b, a, strlen(a), &meta, &err), 0);
    CHECK_EQ_INT(json_decode(d, b, bad, strlen(bad), &meta, &err), ERR_INVALID);
    CHECK_EQ_INT(b->nrows, 1); /* the failed record added nothing */
    CHECK_EQ_INT(json_decode(d, b, c, strlen(c), &meta, &err), 0);
    CHECK_EQ_INT(json_decode(d, b, c, strlen(c), &meta, &err), ERR_TOO_LARGE);
    CHECK_EQ_INT(b->nrows, 2);
    CHECK_EQ_INT(b->meta[0].event_ts, 5000); /* from the time column */
    CHECK_EQ_INT(b->meta[1].event_ts, 1000); /* NULL ts: the record time */
    CHECK_EQ_INT(b->meta[1].offset, 17);
    CHECK_EQ_INT(b->meta[1].partition, 3);
    CHECK(value_same(row_batch_get(b, 1, C_ID), value_string("c", 1)));
    row_batch_reset(b);
    CHECK_EQ_INT(b->nrows, 0);
    CHECK_EQ_INT(json_decode(d, b, c, strlen(c), NULL, &err), 0);
    CHECK_EQ_INT(b->meta[0].offset, -1);
    json_decoder_destroy(d);
    row_batch_destroy(b);
}

TEST(create_rejects_conflicting_paths)
{
    struct schema s;
    struct json_decoder *d = (struct json_decoder *)&s;
    schema_init(&s);
    schema_add(&s, "a", SCHEMA_INT, true, NULL);
    schema_add(&s, "ab", SCHEMA_INT, true, "a.b");
    CHECK_EQ_INT(json_decoder_create(&s, 0, &d), ERR_INVALID);
    CHECK(d == NULL);
    schema_init(&s);
    schema_add(&s, "x", SCHEMA_INT, true, "p.q");
    schema_add(&s, "y", SCHEMA_INT, true, "p.q");
    CHECK_EQ_INT(json_decoder_create(&s, 0, &d), ERR_INVALID);
    schema_init(&s);
    schema_add(&s, "x", SCHEMA_INT, true, "p.q");
    schema_add(&s, "y", SCHEMA_INT, true, "p.r.s");
    schema_add(&s, "z", SCHEMA_INT, true, "p");
    CHECK_EQ_INT(json_decoder_create(&s, 0, &d), ERR_INVALID);
    json_decoder_destroy(NULL);
}

/* The eight-bytes-at-a-time string scan finds the same first special
 * byte as the byte loop, at every length and alignment, with specials
 * ('"', '\\', < 0x20, >= 0x80) anywhere, several, or none. */
TEST(plain_scan_matches_byte_loop)
{
    static const uint8_t pool[] = {'a',  'Z',  '0',  ' ',  '~',  '"',  '\\',
                                   0x00, 0x1f, 0x20, 0x21, 0x7f, 0x80, 0xff,
                                   0xc3, '!',  '#',  '[',  ']',  0x5b, 0x5d};
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    char buf[64];
    int bad = 0;
    for (int iter = 0; iter < 200000 && bad < 5; iter++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        size_t len = (size_t)(rng % 40), off = (size_t)((rng >> 8) % 8);
        /* Mostly plain bytes, so the first special lands anywhere. */
        for (size_t i = 0; i < len; i++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            buf[off + i] = (rng % 16) ? (char)('a' + rng % 26)
                                      : (char)pool[(rng >> 5) % sizeof pool];
        }
        const char *b = buf + off, *e = b + len, *want = b;
        while (want < e && !json_scan_special[(uint8_t)*want])
            want++;
        const char *got = json_scan_plain(b, e);
        if (got != want) {
            fprintf(stderr, "  len %zu off %zu: got %td want %td\n", len, off,
                    got - b, want - b);
            bad++;
        }
    }
    CHECK_EQ_INT(bad, 0);
}

int main(void)
{
    make_schema();
    RUN(plain_scan_matches_byte_loop);
    RUN(values_per_type);
    RUN(timestamps);
    RUN(nested_paths_and_skipping);
    RUN(strings_and_escapes);
    RUN(errors_with_offsets);
    RUN(deep_nesting_is_an_error);
    RUN(batch_fill_meta_and_failed_rows);
    RUN(create_rejects_conflicting_paths);
    return harness_summary("test_json_decode");
}
