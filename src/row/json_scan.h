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
#include <string.h>

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

/* The first byte at or after q that json_scan_special flags, or end.
 * Eight bytes at a time (SWAR, little-endian loads): a byte is flagged
 * when >= 0x80, < 0x20, '"' or '\\'. The subtractions borrow only
 * upwards, from a byte that is itself flagged, so the lowest flagged byte
 * is always a true one: its position is exact; bytes after it may be
 * false positives, which no one looks at. */
static inline const char *json_scan_plain(const char *q, const char *end)
{
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (end - q >= 8) {
        uint64_t v, qt, bs;
        memcpy(&v, q, 8);
        qt = v ^ (ones * '"');
        bs = v ^ (ones * '\\');
        uint64_t m = (v | ((v - ones * 0x20) & ~v) | ((qt - ones) & ~qt) |
                      ((bs - ones) & ~bs)) &
                     highs;
        if (m)
            return q + (__builtin_ctzll(m) >> 3);
        q += 8;
    }
#endif
    while (q < end && !json_scan_special[(uint8_t)*q])
        q++;
    return q;
}

/* Reads the string whose opening quote is at s->p; leaves p after the
 * closing quote. Unescaped strings are slices into the input. Escaped ones
 * are decoded into scratch (if cap suffices) or else the arena; with
 * neither, out->ptr is NULL (validated only). */
static inline int json_scan_string(struct json_scan *s, struct row_str *out,
                                   char *scratch, size_t cap)
{
    const char *start = ++s->p;
    const char *end = s->end;
    const char *q = json_scan_plain(start, end);
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
