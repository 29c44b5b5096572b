/* value.h - one typed value: a tagged union including NULL (layer: row).
 *
 * Values are small and passed by value. A string value is a borrowed slice
 * {ptr, len} into a row batch's input buffer or arena; whoever holds the
 * value must not outlive the batch's next reset. Not NUL-terminated.
 */
#ifndef RILL_VALUE_H
#define RILL_VALUE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "row/schema.h"

struct row_str {
    const char *ptr;
    uint32_t len;
};

struct value {
    enum schema_type type; /* SCHEMA_NULL for a NULL of any column type */
    union {
        bool b;
        int32_t i32;
        int64_t i64; /* BIGINT and TIMESTAMP (ms since the epoch) */
        double f64;
        struct row_str str;
    } u;
};

static inline struct value value_null(void)
{
    struct value v;
    memset(&v, 0, sizeof(v));
    return v;
}

static inline struct value value_bool(bool b)
{
    struct value v = value_null();
    v.type = SCHEMA_BOOLEAN;
    v.u.b = b;
    return v;
}

static inline struct value value_int(int32_t i)
{
    struct value v = value_null();
    v.type = SCHEMA_INT;
    v.u.i32 = i;
    return v;
}

static inline struct value value_bigint(int64_t i)
{
    struct value v = value_null();
    v.type = SCHEMA_BIGINT;
    v.u.i64 = i;
    return v;
}

static inline struct value value_double(double d)
{
    struct value v = value_null();
    v.type = SCHEMA_DOUBLE;
    v.u.f64 = d;
    return v;
}

static inline struct value value_timestamp(int64_t ms)
{
    struct value v = value_null();
    v.type = SCHEMA_TIMESTAMP;
    v.u.i64 = ms;
    return v;
}

static inline struct value value_string(const char *p, uint32_t n)
{
    struct value v = value_null();
    v.type = SCHEMA_STRING;
    v.u.str.ptr = p;
    v.u.str.len = n;
    return v;
}

static inline bool value_is_null(struct value v)
{
    return v.type == SCHEMA_NULL;
}

/* Same type and same contents (doubles compared bitwise, so -0.0 != 0.0 and
 * a NaN equals itself; strings by bytes). NULL equals NULL here: this is
 * identity for tests and keys, not SQL's three-valued `=`. */
static inline bool value_same(struct value a, struct value b)
{
    if (a.type != b.type)
        return false;
    switch (a.type) {
    case SCHEMA_NULL:
        return true;
    case SCHEMA_BOOLEAN:
        return a.u.b == b.u.b;
    case SCHEMA_INT:
        return a.u.i32 == b.u.i32;
    case SCHEMA_BIGINT:
    case SCHEMA_TIMESTAMP:
        return a.u.i64 == b.u.i64;
    case SCHEMA_DOUBLE:
        return memcmp(&a.u.f64, &b.u.f64, sizeof(double)) == 0;
    case SCHEMA_STRING:
        return a.u.str.len == b.u.str.len &&
               (a.u.str.len == 0 ||
                memcmp(a.u.str.ptr, b.u.str.ptr, a.u.str.len) == 0);
    }
    return false;
}

#endif
