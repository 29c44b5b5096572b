/* test_iot_formats.c - SenML CBOR, InfluxDB line protocol (in and out) and
 * Sparkplug B: tables of input -> rows (as JSON) or error, through
 * row_decoder (the runtime's one entry point), plus the CBOR and JSON
 * SenML decoders agreeing on the same pack.
 */
#include <stdio.h>
#include <string.h>

#include "../../harness.h"
#include "base/buf.h"
#include "base/err.h"
#include "row/influx.h"
#include "row/json_encode.h"
#include "row/row_decoder.h"

struct tcase {
    const char *in;
    size_t len;       /* 0: strlen(in) */
    const char *want; /* rows as JSON, one per line; NULL: error */
    const char *error;
};

static void run_cases(const char *format, const struct schema *s,
                      const struct tcase *cases, size_t n)
{
    struct row_decoder *d;
    int f = row_format_parse(format, strlen(format));
    CHECK(f > 0);
    CHECK_EQ_INT(row_decoder_create((enum row_format)f, s, NULL, &d), 0);
    struct row_batch *b;
    CHECK_EQ_INT(row_batch_create(s, 64, &b), 0);
    for (size_t i = 0; i < n; i++) {
        const struct tcase *t = &cases[i];
        row_batch_reset(b);
        struct row_error err;
        memset(&err, 0, sizeof err);
        size_t len = t->len ? t->len : strlen(t->in);
        int rc = row_decoder_decode(d, b, t->in, len, 1000000, NULL, &err);
        if (!t->want) {
            if (rc >= 0 || !strstr(err.message, t->error))
                fprintf(stderr, "  %s case %zu: rc %d, \"%s\" lacks \"%s\"\n",
                        format, i, rc, err.message, t->error);
            CHECK(rc < 0);
            CHECK(strstr(err.message, t->error) != NULL);
            CHECK_EQ_INT(b->nrows, 0);
            continue;
        }
        if (rc < 0)
            fprintf(stderr, "  %s case %zu: %s at %zu\n", format, i,
                    err.message, err.offset);
        struct buf out;
        buf_init(&out);
        for (int r = 0; r < b->nrows; r++) {
            json_encode_row(b, r, &out);
            buf_put_u8(&out, '\n');
        }
        buf_put_u8(&out, 0);
        if (strcmp((char *)out.data, t->want))
            fprintf(stderr, "  %s case %zu:\n  got  %s  want %s", format, i,
                    (char *)out.data, t->want);
        CHECK_EQ_STR((char *)out.data, t->want);
        buf_fini(&out);
    }
    row_batch_destroy(b);
    row_decoder_destroy(d);
}

/* ---- SenML CBOR ---- */

/* [{-2: "dev:", -3: 1.5e9 (double), 0: "t", 2: 21.5 (double), 1: "Cel"},
 *  {0: "on", 4: true}, {0: "b", 8: h'0102ff'}] */
static const char cbor_pack[] = "\x83"
                                "\xa5\x21\x64"
                                "dev:"
                                "\x22\xfb\x41\xd6\x5a\x0b\xc0\x00\x00\x00"
                                "\x00\x61t"
                                "\x02\xfb\x40\x35\x80\x00\x00\x00\x00\x00"
                                "\x01\x63"
                                "Cel"
                                "\xa2\x00\x62on\x04\xf5"
                                "\xa2\x00\x61"
                                "b\x08\x43\x01\x02\xff";

static const struct tcase cbor_cases[] = {
    {cbor_pack, sizeof cbor_pack - 1,
     "{\"name\":\"dev:t\",\"unit\":\"Cel\",\"value\":21.5,\"vb\":null,\"vd\":"
     "null,\"ts\":\"2017-07-14T02:40:00.000Z\"}\n"
     "{\"name\":\"dev:on\",\"unit\":null,\"value\":null,\"vb\":true,\"vd\":"
     "null,"
     "\"ts\":\"2017-07-14T02:40:00.000Z\"}\n"
     "{\"name\":\"dev:b\",\"unit\":null,\"value\":null,\"vb\":null,\"vd\":"
     "\"AQL_\",\"ts\":\"2017-07-14T02:40:00.000Z\"}\n",
     NULL},
    /* integers, a negative one, a half float (1.0), relative time */
    {"\x81\xa3\x00\x61x\x02\x24\x06\xf9\x3c\x00", 11,
     "{\"name\":\"x\",\"unit\":null,\"value\":-5.0,\"vb\":null,\"vd\":null,"
     "\"ts\":\"1970-01-01T00:16:41.000Z\"}\n",
     NULL},
    {"\x80", 1, "", NULL},
    {"\x9f\xff", 2, NULL, "indefinite lengths"},
    {"\xa1\x00\x61x", 4, NULL, "expected a SenML array"},
    {"\x81\xa2\x00\x61x\x02", 6, NULL, "unexpected end"},
    {"\x81\xa2\x00\x61x\x02\x61y", 8, NULL, "expected a number"},
    {"\x81\xa2\x00\x62\xc3\x28\x02\x01", 8, NULL, "not UTF-8"},
    {"\x81\xa2\x00\x61x\x62z_\x01", 8, NULL, "must-understand"},
    {"\x81\xa1\x00\x61x\x00", 6, NULL, "after the SenML array"},
    {"\x81\xa1\x20\x0b", 4, NULL, "unsupported SenML version"},
    {"\x9b\xff\xff\xff\xff\xff\xff\xff\xff", 9, NULL, "more records"},
};

TEST(senml_cbor)
{
    struct schema s;
    schema_init(&s);
    schema_add(&s, "name", SCHEMA_STRING, false, NULL);
    schema_add(&s, "unit", SCHEMA_STRING, true, NULL);
    schema_add(&s, "value", SCHEMA_DOUBLE, true, NULL);
    schema_add(&s, "vb", SCHEMA_BOOLEAN, true, NULL);
    schema_add(&s, "vd", SCHEMA_STRING, true, NULL);
    schema_add(&s, "ts", SCHEMA_TIMESTAMP, false, NULL);
    run_cases("senml-cbor", &s, cbor_cases,
              sizeof cbor_cases / sizeof cbor_cases[0]);
    /* The same pack in JSON decodes to the same rows. */
    static const struct tcase json_same[] = {
        {"[{\"bn\":\"dev:\",\"bt\":1.5e9,\"n\":\"t\",\"v\":21.5,\"u\":\"Cel\"},"
         "{\"n\":\"on\",\"vb\":true},{\"n\":\"b\",\"vd\":\"AQL_\"}]",
         0, cbor_cases[0].want, NULL},
    };
    run_cases("senml", &s, json_same, 1);
}

/* ---- InfluxDB line protocol ---- */

static const struct tcase lp_cases[] = {
    {"cpu,host=a,zone=z value=0.5,count=3i,ok=t,msg=\"hi \\\"x\\\"\" "
     "1434055562000000000\n",
     0,
     "{\"measurement\":\"cpu\",\"host\":\"a\",\"value\":0.5,\"count\":3,"
     "\"small\":null,\"ok\":true,\"msg\":\"hi \\\"x\\\"\",\"time\":"
     "\"2015-06-11T20:46:02.000Z\"}\n",
     NULL},
    {"# c\nm value=1\n\nm,host=b value=2,small=7i,ok=FALSE 1000000\r\n", 0,
     "{\"measurement\":\"m\",\"host\":null,\"value\":1.0,\"count\":null,"
     "\"small\":null,\"ok\":null,\"msg\":null,\"time\":null}\n"
     "{\"measurement\":\"m\",\"host\":\"b\",\"value\":2.0,\"count\":null,"
     "\"small\":7,\"ok\":false,\"msg\":null,\"time\":"
     "\"1970-01-01T00:00:00.001Z\"}\n",
     NULL},
    {"my\\ m,host=a\\,b\\=c value=1,unknown=\"x\" -1000000", 0,
     "{\"measurement\":\"my m\",\"host\":\"a,b=c\",\"value\":1.0,\"count\":"
     "null,\"small\":null,\"ok\":null,\"msg\":null,\"time\":"
     "\"1969-12-31T23:59:59.999Z\"}\n",
     NULL},
    {"m count=1.5", 0, NULL, "the field is a float"},
    {"m value=\"x\"", 0, NULL, "the field is a string"},
    {"m,host=a", 0, NULL, "expected a space before the fields"},
    {"m msg=\"open", 0, NULL, "unterminated string"},
    {"m small=9999999999i", 0, NULL, "out of INT range"},
    {"m value=1 12x", 0, NULL, "malformed timestamp"},
    {"m value=abc", 0, NULL, "malformed field value"},
    {",host=a value=1", 0, NULL, "missing measurement"},
    {"m value=1\nm value=", 0, NULL, "empty field value"},
};

static struct schema lp_schema(void)
{
    struct schema s;
    schema_init(&s);
    schema_add(&s, "measurement", SCHEMA_STRING, false, NULL);
    schema_add(&s, "host", SCHEMA_STRING, true, NULL);
    schema_add(&s, "value", SCHEMA_DOUBLE, true, NULL);
    schema_add(&s, "count", SCHEMA_BIGINT, true, NULL);
    schema_add(&s, "small", SCHEMA_INT, true, NULL);
    schema_add(&s, "ok", SCHEMA_BOOLEAN, true, NULL);
    schema_add(&s, "msg", SCHEMA_STRING, true, NULL);
    schema_add(&s, "time", SCHEMA_TIMESTAMP, true, NULL);
    return s;
}

TEST(influx_in)
{
    struct schema s = lp_schema();
    run_cases("influx", &s, lp_cases, sizeof lp_cases / sizeof lp_cases[0]);
}

TEST(influx_out_round_trip)
{
    struct schema s = lp_schema();
    struct row_decoder *d;
    CHECK_EQ_INT(row_decoder_create(ROW_FORMAT_INFLUX, &s, NULL, &d), 0);
    struct row_batch *b;
    CHECK_EQ_INT(row_batch_create(&s, 8, &b), 0);
    const char *in = "cpu\\,x,host=a\\ b value=0.25,count=-3i,ok=true,"
                     "msg=\"q\\\"\" 1434055562123000000\n";
    struct row_error err;
    CHECK_EQ_INT(row_decoder_decode(d, b, in, strlen(in), 0, NULL, &err), 1);
    int tags[] = {1};
    struct influx_encoding e = {NULL, 0, tags, 1, 7};
    struct buf out;
    buf_init(&out);
    CHECK_EQ_INT(influx_encode_row(b, 0, &e, &out), 0);
    buf_put_u8(&out, 0);
    CHECK_EQ_STR((char *)out.data,
                 "cpu\\,x,host=a\\ b value=0.25,count=-3i,ok=true,"
                 "msg=\"q\\\"\" 1434055562123000000\n");
    /* What it wrote decodes to the same row. */
    struct row_batch *b2;
    CHECK_EQ_INT(row_batch_create(&s, 8, &b2), 0);
    CHECK_EQ_INT(
        row_decoder_decode(d, b2, (char *)out.data, out.len - 1, 0, NULL, &err),
        1);
    struct buf j1, j2;
    buf_init(&j1);
    buf_init(&j2);
    json_encode_row(b, 0, &j1);
    json_encode_row(b2, 0, &j2);
    CHECK(j1.len == j2.len && !memcmp(j1.data, j2.data, j1.len));
    /* A fixed measurement; a row with nothing but tags has no line. */
    struct influx_encoding fixed = {"plant", -1, tags, 1, -1};
    buf_reset(&out);
    CHECK_EQ_INT(influx_encode_row(b, 0, &fixed, &out), 0);
    CHECK(!strncmp((char *)out.data, "plant,host=a\\ b measurement=\"cpu,x\"",
                   35));
    row_batch_reset(b);
    CHECK_EQ_INT(
        row_decoder_decode(d, b, "m,host=h value=1", 16, 0, NULL, &err), 1);
    int all[] = {1, 2};
    struct influx_encoding none = {"m", 0, all, 2, 7};
    buf_reset(&out);
    CHECK_EQ_INT(influx_encode_row(b, 0, &none, &out), ERR_INVALID);
    CHECK_EQ_INT(out.len, 0);
    buf_fini(&out);
    buf_fini(&j1);
    buf_fini(&j2);
    row_batch_destroy(b);
    row_batch_destroy(b2);
    row_decoder_destroy(d);
}

/* ---- Sparkplug B ---- */

/* timestamp 1700000000000, metrics: temp (Double 21.5, alias 3), rpm
 * (Int32 -5, own timestamp), label (String "ok"), a null one by alias,
 * seq 42 after the metrics. */
static const char spb[] =
    "\x08\x80\xd0\x95\xff\xbc\x31\x12\x13\x0a\x04\x74\x65\x6d\x70\x10\x03"
    "\x20\x0a\x69\x00\x00\x00\x00\x00\x80\x35\x40\x12\x14\x0a\x03\x72\x70"
    "\x6d\x18\xf4\xd3\x95\xff\xbc\x31\x20\x03\x50\xfb\xff\xff\xff\x0f\x12"
    "\x0d\x0a\x05\x6c\x61\x62\x65\x6c\x20\x0c\x7a\x02\x6f\x6b\x12\x06\x10"
    "\x07\x20\x0a\x38\x01\x18\x2a";

static const struct tcase spb_cases[] = {
    {spb, sizeof spb - 1,
     "{\"name\":\"temp\",\"alias\":3,\"ts\":\"2023-11-14T22:13:20.000Z\","
     "\"datatype\":10,\"value\":21.5,\"int_value\":null,\"string_value\":"
     "null,\"bool_value\":null,\"seq\":42}\n"
     "{\"name\":\"rpm\",\"alias\":null,\"ts\":\"2023-11-14T22:13:20.500Z\","
     "\"datatype\":3,\"value\":-5.0,\"int_value\":-5,\"string_value\":null,"
     "\"bool_value\":null,\"seq\":42}\n"
     "{\"name\":\"label\",\"alias\":null,\"ts\":\"2023-11-14T22:13:20.000Z\","
     "\"datatype\":12,\"value\":null,\"int_value\":null,\"string_value\":"
     "\"ok\",\"bool_value\":null,\"seq\":42}\n"
     "{\"name\":null,\"alias\":7,\"ts\":\"2023-11-14T22:13:20.000Z\","
     "\"datatype\":10,\"value\":null,\"int_value\":null,\"string_value\":"
     "null,\"bool_value\":null,\"seq\":42}\n",
     NULL},
    {"", 0, "", NULL},
    /* libprotobuf-c refuses: a group, a varint of 11 bytes, a length
     * past the end, a known field of the wrong wire type */
    {"\x0b\x0c", 2, NULL, "not a valid protobuf Payload"},
    {"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12, NULL,
     "not a valid protobuf Payload"},
    {"\x12\x05\x0a\x09", 4, NULL, "not a valid protobuf Payload"},
    {"\x10\x05", 2, NULL, "not a valid protobuf Payload"},
    {"\x12\x03\x0a\x01\xff", 5, NULL, "not UTF-8"},
    {"\x12\x02\x20\x0a", 4,
     "{\"name\":null,\"alias\":null,\"ts\":null,\"datatype\":10,\"value\":"
     "null,\"int_value\":null,\"string_value\":null,\"bool_value\":null,"
     "\"seq\":null}\n",
     NULL}, /* a metric with a type and no value, no payload time */
    {"\x28\x01\x12\x00", 4,
     "{\"name\":null,\"alias\":null,\"ts\":null,\"datatype\":null,\"value\":"
     "null,\"int_value\":null,\"string_value\":null,\"bool_value\":null,"
     "\"seq\":null}\n",
     NULL}, /* an unknown field is skipped */
};

TEST(sparkplug)
{
    struct schema s;
    schema_init(&s);
    schema_add(&s, "name", SCHEMA_STRING, true, NULL);
    schema_add(&s, "alias", SCHEMA_BIGINT, true, NULL);
    schema_add(&s, "ts", SCHEMA_TIMESTAMP, true, NULL);
    schema_add(&s, "datatype", SCHEMA_INT, true, NULL);
    schema_add(&s, "value", SCHEMA_DOUBLE, true, NULL);
    schema_add(&s, "int_value", SCHEMA_BIGINT, true, NULL);
    schema_add(&s, "string_value", SCHEMA_STRING, true, NULL);
    schema_add(&s, "bool_value", SCHEMA_BOOLEAN, true, NULL);
    schema_add(&s, "seq", SCHEMA_BIGINT, true, NULL);
    run_cases("sparkplug", &s, spb_cases,
              sizeof spb_cases / sizeof spb_cases[0]);
    struct schema bad;
    schema_init(&bad);
    schema_add(&bad, "nope", SCHEMA_STRING, true, NULL);
    struct row_decoder *d;
    CHECK_EQ_INT(row_decoder_create(ROW_FORMAT_SPARKPLUG, &bad, NULL, &d),
                 ERR_INVALID);
}

int main(void)
{
    RUN(senml_cbor);
    RUN(influx_in);
    RUN(influx_out_round_trip);
    RUN(sparkplug);
    return harness_summary("test_iot_formats");
}
