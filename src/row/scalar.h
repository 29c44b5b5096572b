/* scalar.h - text <-> scalar conversions shared by the decoders and the
 * encoder (layer: row): JSON numbers, ISO-8601 timestamps, shortest doubles.
 *
 * Nothing here allocates on the common path and nothing depends on the
 * locale except the strtod fallback (rill never calls setlocale, so the
 * decimal point is '.').
 */
#ifndef RILL_SCALAR_H
#define RILL_SCALAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct scalar_number {
    bool integral; /* the literal has no fraction and no exponent */
    bool fits;     /* integral and within int64: `i` is exact */
    int64_t i;
    double d; /* the value as a double (correctly rounded), always set */
};

/* Parses a JSON number (RFC 8259 grammar: -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?)
 * starting at p, not reading at or past end. On success returns 0 and sets
 * *stop to the first byte after the number. Returns ERR_PARSE if p does not
 * start a well-formed number (*stop = the offending byte), ERR_RANGE if its
 * magnitude overflows a double. Doubles take an exact fast path (Clinger:
 * <= 19 significant digits, mantissa <= 2^53, |exp10| <= 22) and fall back
 * to strtod otherwise. */
int scalar_parse_number(const char *p, const char *end,
                        struct scalar_number *out, const char **stop);

/* Parses an ISO-8601 / RFC 3339 timestamp occupying exactly n bytes:
 * YYYY-MM-DD, optionally followed by 'T' (or 't' or ' ') HH:MM[:SS[.f...]]
 * and an optional zone Z | +HH:MM | -HH:MM | +HHMM | +HH. No zone means UTC.
 * Fractions beyond milliseconds are truncated. The result must lie within
 * [SCALAR_TS_MIN_MS, SCALAR_TS_MAX_MS]. Returns 0 and *ms, or
 * ERR_PARSE with *bad = offset of the first offending byte. */
int scalar_parse_timestamp(const char *p, size_t n, int64_t *ms, size_t *bad);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t scalar_days_from_civil(int64_t y, unsigned m, unsigned d);
void scalar_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* TIMESTAMP(3) values decoders accept: years 0000 to 9999, as in SQL, so
 * every accepted value has a 4-digit ISO-8601 spelling. */
#define SCALAR_TS_MIN_MS (-62167219200000LL) /* 0000-01-01T00:00:00.000Z */
#define SCALAR_TS_MAX_MS 253402300799999LL   /* 9999-12-31T23:59:59.999Z */

#define SCALAR_TIMESTAMP_MAX 32
/* Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC); returns its length. */
size_t scalar_format_timestamp(int64_t ms, char out[SCALAR_TIMESTAMP_MAX]);

#define SCALAR_DOUBLE_MAX 32
/* Writes the shortest of %.15g/%.16g/%.17g that reads back to the same
 * double, with ".0" added to integral values; NaN and infinities are
 * written as "null" (JSON has no spelling for them). Returns the length. */
size_t scalar_format_double(double d, char out[SCALAR_DOUBLE_MAX]);

/* Decimal int64; returns the length (at most 20). */
size_t scalar_format_int(int64_t v, char out[24]);

#endif
