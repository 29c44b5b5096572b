/* test_row_binary.c - the binary row encoding of repartition topics:
 * round trips of every type with NULLs, and a table of inputs it refuses.
 * Also the UTF-8 check and base64 of json_encode.h that dead letters use.
 */
#include <math.h>
#include <stdlib.h>

#include "../../harness.h"
#include "base/buf.h"
#include "base/err.h"
#include "row/json_encode.h"
#include "row/row_binary.h"

static void make_schema(struct schema *s)
{
    schema_init(s);
    schema_add(s, "id", SCHEMA_STRING, false, NULL);
    schema_add(s, "n", SCHEMA_INT, true, NULL);
    schema_add(s, "big", SCHEMA_BIGINT, true, NULL);
    schema_add(s, "value", SCHEMA_DOUBLE, true, NULL);
    schema_add(s, "ok", SCHEMA_BOOLEAN, true, NULL);
    schema_add(s, "ts", SCHEMA_TIMESTAMP, true, NULL);
    schema_add(s, "kind", SCHEMA_STRING, true, NULL);
    for (int c = 7; c < 10; c++) /* a second bitmap byte */
        schema_add(s,
                   c == 7   ? "x7"
                   : c == 8 ? "x8"
                            : "x9",
                   SCHEMA_INT, true, NULL);
}

TEST(round_trip)
{
    struct schema s;
    make_schema(&s);
    uint32_t id = row_binary_schema_id(&s);
    struct row_batch *a, *b;
    CHECK(row_batch_create(&s, 4, &a) == 0);
    CHECK(row_batch_create(&s, 8, &b) == 0);
    char big[300];
    memset(big, 'z', sizeof big);
    for (int v = 0; v < 3; v++) {
        int r = row_batch_begin_row(a);
        row_batch_set(
            a, r, 0,
            value_string(v == 2 ? big : "s-1", v == 2 ? sizeof big : 3));
        row_batch_set(a, r, 1, v == 1 ? value_null() : value_int(-7));
        row_batch_set(a, r, 2, value_bigint(INT64_MIN + v));
        row_batch_set(a, r, 3, value_double(v == 0 ? -0.0 : 21.25));
        row_batch_set(a, r, 4, value_bool(v == 2));
        row_batch_set(a, r, 5, value_timestamp(1764000000123LL));
        row_batch_set(a, r, 6, v == 0 ? value_null() : value_string("", 0));
        for (int c = 7; c < 10; c++)
            row_batch_set(a, r, c, c == 8 ? value_int(v) : value_null());
        row_batch_commit_row(a, NULL);
    }
    /* One block of the three rows, each with its time and partition. */
    struct buf o;
    buf_init(&o);
    row_binary_block_begin(&o, id);
    for (int r = 0; r < 3; r++)
        row_binary_block_add(&o, a, r, 1000 * (r + 1), r);
    CHECK_EQ_INT(row_binary_block_count(&o), 3);
    struct row_meta m = {5, 6, 7, 1, 42};
    struct row_error err;
    CHECK_EQ_INT(row_binary_decode(&s, id, b, o.data, o.len, &m, &err), 3);
    CHECK_EQ_INT(b->nrows, 3);
    for (int r = 0; r < 3; r++) {
        CHECK_EQ_INT(b->meta[r].event_ts, 1000 * (r + 1));
        CHECK_EQ_INT(b->meta[r].partition, r);
        CHECK_EQ_INT(b->meta[r].offset, 6);
        CHECK_EQ_INT(b->meta[r].watermark, 42);
        for (int c = 0; c < s.ncolumns; c++) {
            struct value x = row_batch_get(a, r, c), y = row_batch_get(b, r, c);
            CHECK_EQ_INT(x.type, y.type);
            if (x.type == SCHEMA_STRING)
                CHECK(x.u.str.len == y.u.str.len &&
                      !memcmp(x.u.str.ptr, y.u.str.ptr, x.u.str.len));
            else if (x.type == SCHEMA_DOUBLE)
                CHECK(x.u.f64 == y.u.f64 &&
                      signbit(x.u.f64) == signbit(y.u.f64));
            else if (x.type != SCHEMA_NULL)
                CHECK(!memcmp(&x.u, &y.u, sizeof x.u));
        }
    }
    /* All or nothing: a batch without room for the block takes none. */
    struct row_batch *small;
    CHECK(row_batch_create(&s, 2, &small) == 0);
    CHECK_EQ_INT(row_binary_decode(&s, id, small, o.data, o.len, &m, &err),
                 ERR_TOO_LARGE);
    CHECK_EQ_INT(small->nrows, 0);
    row_batch_destroy(small);
    buf_fini(&o);
    row_batch_destroy(a);
    row_batch_destroy(b);
}

TEST(refused)
{
    struct schema s;
    schema_init(&s);
    schema_add(&s, "k", SCHEMA_STRING, true, NULL);
    schema_add(&s, "ok", SCHEMA_BOOLEAN, true, NULL);
    uint32_t id = row_binary_schema_id(&s);
    /* header: version, id, count 1; then a row: ts 8, partition 4 */
    uint8_t h[19] = {1,
                     (uint8_t)id,
                     (uint8_t)(id >> 8),
                     (uint8_t)(id >> 16),
                     (uint8_t)(id >> 24),
                     1,
                     0};
    struct {
        const char *tail; /* after the header and the row's time/partition */
        size_t n;
        const char *why;
    } cases[] = {
        {"", 0, "truncated row"},
        {"\x00\x03"
         "ab",
         4, "truncated string"},
        {"\x00\x02"
         "ab"
         "\x02",
         5, "a BOOLEAN that is not 0 or 1"},
        {"\x00\x02"
         "ab"
         "\x01"
         "x",
         6, "trailing bytes"},
        {"\x00\xff\xff\xff\xff\xff\x7f", 7, "bad string length"},
        {"\x00", 1, "truncated value"},
    };
    struct row_batch *b;
    CHECK(row_batch_create(&s, 4, &b) == 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t in[48];
        memcpy(in, h, sizeof h);
        memcpy(in + sizeof h, cases[i].tail, cases[i].n);
        struct row_error err;
        int rc =
            row_binary_decode(&s, id, b, in, sizeof h + cases[i].n, NULL, &err);
        CHECK_EQ_INT(rc, ERR_PARSE);
        if (!strstr(err.message, cases[i].why))
            fprintf(stderr, "  case %zu: %s\n", i, err.message);
        CHECK(strstr(err.message, cases[i].why) != NULL);
        CHECK_EQ_INT(b->nrows, 0);
    }
    struct row_error err;
    uint8_t other[7] = {1, 0, 0, 0, 0, 1, 0};
    CHECK_EQ_INT(row_binary_decode(&s, id, b, other, 7, NULL, &err), ERR_PARSE);
    CHECK(strstr(err.message, "another schema") != NULL);
    uint8_t v2[7] = {2, h[1], h[2], h[3], h[4], 1, 0};
    CHECK_EQ_INT(row_binary_decode(&s, id, b, v2, 7, NULL, &err), ERR_PARSE);
    CHECK(strstr(err.message, "unknown version") != NULL);
    uint8_t zero[7] = {1, h[1], h[2], h[3], h[4], 0, 0};
    CHECK_EQ_INT(row_binary_decode(&s, id, b, zero, 7, NULL, &err), ERR_PARSE);
    CHECK(strstr(err.message, "bad row count") != NULL);
    CHECK_EQ_INT(b->nrows, 0);
    row_batch_destroy(b);
}

TEST(utf8_and_base64)
{
    CHECK(json_utf8_valid("plain", 5));
    CHECK(json_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
    CHECK(!json_utf8_valid("\xc3", 1));             /* cut */
    CHECK(!json_utf8_valid("\xc0\xaf", 2));         /* overlong */
    CHECK(!json_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!json_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    CHECK(!json_utf8_valid("\xff", 1));
    struct buf o;
    buf_init(&o);
    json_encode_base64(&o, "\xff\x00\x80", 3);
    json_encode_base64(&o, "ab", 2);
    json_encode_base64(&o, "a", 1);
    json_encode_base64(&o, "", 0);
    buf_put(&o, "", 1);
    CHECK_EQ_STR((char *)o.data, "\"/wCA\"\"YWI=\"\"YQ==\"\"\"");
    buf_fini(&o);
}

int main(void)
{
    RUN(round_trip);
    RUN(refused);
    RUN(utf8_and_base64);
    return harness_summary("test_row_binary");
}
