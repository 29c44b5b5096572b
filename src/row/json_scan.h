/* json_scan.h - JSON lexing shared by the JSON and SenML decoders
 * (layer: row, private to src/row/).
 *
 * A struct json_scan walks one JSON text [base, end) with a cursor p. The
 * hot pieces (whitespace, unescaped strings) are inline; escapes, UTF-8
 * checks and skipping unknown values live in json_scan.c. Every function
 * returns 0 or a negative error and fills s->err with the byte offset.
 */
#ifndef RILL_JSON_SCAN_H
#define RILL_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "row/row_error.h"
#include "row/value.h"

#define JSON_SCAN_MAX_DEPTH 64

struct json_scan {
    const char *base; /* start of the record: offsets are relative to it */
    const char *p;
    const char *end;
    struct arena *arena; /* for escaped strings; NULL: validate only */
    struct row_error *err;
};

/* 1 for bytes that end the fast string scan: '"', '\\', < 0x20, >= 0x80. */
extern const uint8_t json_scan_special[256];

static inline void json_scan_ws(struct json_scan *s)
{
    while (s->p < s->end &&
           (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static inline size_t json_scan_off(const struct json_scan *s)
{
    return (size_t)(s->p - s->base);
}

/* "string", "number", "object", "array", "boolean", "null" or "invalid
 * character" for the value starting with c; "end of input" at the end. */
const char *json_scan_kind(const struct json_scan *s);

int json_scan_string_slow(struct json_scan *s, const char *start,
                          struct row_str *out, char *scratch, size_t cap);

/* Reads the string whose opening quote is at s->p; leaves p after the
 * closing quote. Unescaped strings are slices into the input. Escaped ones
 * are decoded into scratch (if cap suffices) or else the arena; with
 * neither, out->ptr is NULL (validated only). */
static inline int json_scan_string(struct json_scan *s, struct row_str *out,
                                   char *scratch, size_t cap)
{
    const char *start = ++s->p;
    const char *q = start, *end = s->end;
    while (q < end && !json_scan_special[(uint8_t)*q])
        q++;
    if (q < end && *q == '"') {
        out->ptr = start;
        out->len = (uint32_t)(q - start);
        s->p = q + 1;
        return 0;
    }
    return json_scan_string_slow(s, start, out, scratch, cap);
}

/* Skips one value of any type (validating it) starting at s->p. */
int json_scan_skip(struct json_scan *s, int depth);

/* Matches the literal lit (e.g. "true") at p; advances on success. */
static inline bool json_scan_lit(struct json_scan *s, const char *lit, size_t n)
{
    if ((size_t)(s->end - s->p) < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s->p[i] != lit[i])
            return false;
    s->p += n;
    return true;
}

#endif
