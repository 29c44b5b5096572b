/* csv_decode.c - CSV line decoder (layer: row).
 *
 * One pass over the line: each field is cut out (unquoted fields and quoted
 * fields without "" are slices of the input; others are unquoted into the
 * arena) and converted to its column's type with the same number and
 * timestamp rules as the JSON decoder.
 */
#include "row/csv_decode.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"
#include "row/scalar.h"

struct csv_decoder {
    const struct schema *schema;
    char delim;
    unsigned flags;
};

int csv_decoder_create(const struct schema *s, char delim, unsigned flags,
                       struct csv_decoder **out)
{
    *out = NULL;
    if (delim == '"' || delim == '\r' || delim == '\n')
        return ERR_INVALID;
    struct csv_decoder *d = mem_calloc(1, sizeof(*d));
    d->schema = s;
    d->delim = delim;
    d->flags = flags;
    *out = d;
    return 0;
}

void csv_decoder_destroy(struct csv_decoder *d)
{
    mem_free(d);
}

static int field_into(struct csv_decoder *d, struct row_batch *b, int row,
                      int c, const char *f, size_t len, bool quoted, size_t off,
                      struct row_error *err)
{
    const struct schema_column *sc = &d->schema->columns[c];
    struct row_column *col = &b->columns[c];
    if (len == 0 && !quoted) {
        if (sc->nullable) {
            col->nulls[row] = 1;
            return 0;
        }
        if (col->type != SCHEMA_STRING)
            return row_error_set(err, ERR_INVALID, off,
                                 "field \"%s\": empty in a NOT NULL column",
                                 sc->name);
    }
    col->nulls[row] = 0;
    struct scalar_number num;
    const char *stop;
    switch (col->type) {
    case SCHEMA_STRING:
        if ((d->flags & CSV_DECODE_COPY_STRINGS) && len)
            f = row_batch_copy(b, f, len);
        col->data.str[row].ptr = f;
        col->data.str[row].len = (uint32_t)len;
        return 0;
    case SCHEMA_BOOLEAN:
        if ((len == 4 && strncasecmp(f, "true", 4) == 0) ||
            (len == 1 && f[0] == '1')) {
            col->data.b[row] = 1;
            return 0;
        }
        if ((len == 5 && strncasecmp(f, "false", 5) == 0) ||
            (len == 1 && f[0] == '0')) {
            col->data.b[row] = 0;
            return 0;
        }
        return row_error_set(err, ERR_INVALID, off,
                             "field \"%s\": expected boolean, found \"%.*s\"",
                             sc->name, (int)(len > 40 ? 40 : len), f);
    case SCHEMA_TIMESTAMP:
        if (len && f[0] != '-' && memchr(f, '-', len)) {
            size_t bad;
            if (scalar_parse_timestamp(f, len, &col->data.i64[row], &bad) == 0)
                return 0;
            return row_error_set(
                err, ERR_INVALID, off + bad,
                "field \"%s\": expected an ISO-8601 timestamp, found \"%.*s\"",
                sc->name, (int)(len > 40 ? 40 : len), f);
        }
        /* epoch milliseconds: parsed below like any number */
        __attribute__((fallthrough));
    default:
        if (scalar_parse_number(f, f + len, &num, &stop) != 0 ||
            stop != f + len)
            return row_error_set(
                err, ERR_INVALID, off,
                "field \"%s\": expected number, found \"%.*s\"", sc->name,
                (int)(len > 40 ? 40 : len), f);
        break;
    }
    switch (col->type) {
    case SCHEMA_DOUBLE:
        col->data.f64[row] = num.d;
        return 0;
    case SCHEMA_INT:
        if (num.fits && num.i >= INT32_MIN && num.i <= INT32_MAX) {
            col->data.i32[row] = (int32_t)num.i;
            return 0;
        }
        break;
    case SCHEMA_TIMESTAMP:
        if (num.fits && num.i >= SCALAR_TS_MIN_MS &&
            num.i <= SCALAR_TS_MAX_MS) {
            col->data.i64[row] = num.i;
            return 0;
        }
        break;
    default: /* BIGINT */
        if (num.fits) {
            col->data.i64[row] = num.i;
            return 0;
        }
        break;
    }
    return row_error_set(err, ERR_INVALID, off,
                         "field \"%s\": expected an integer in %s range, "
                         "found \"%.*s\"",
                         sc->name, schema_type_name(col->type),
                         (int)(len > 40 ? 40 : len), f);
}

int csv_decode(struct csv_decoder *d, struct row_batch *b, const char *p,
               size_t n, const struct row_meta *meta, struct row_error *err)
{
    if (n > ROW_RECORD_MAX)
        return row_error_set(err, ERR_TOO_LARGE, 0,
                             "record larger than %zu "
                             "bytes",
                             ROW_RECORD_MAX);
    int row = row_batch_begin_row(b);
    if (row < 0)
        return row_error_set(err, ERR_TOO_LARGE, 0, "row batch is full");
    if (n && p[n - 1] == '\n')
        n--;
    if (n && p[n - 1] == '\r')
        n--;
    const char *end = p + n, *q = p;
    int ncol = d->schema->ncolumns, field = 0;
    for (;;) {
        const char *f = q;
        size_t len;
        bool quoted = false;
        size_t off = (size_t)(q - p);
        if (q < end && *q == '"') {
            quoted = true;
            const char *start = ++q;
            size_t doubled = 0;
            for (;;) {
                if (q >= end)
                    return row_error_set(err, ERR_PARSE, off,
                                         "unterminated quoted field");
                if (*q == '"') {
                    if (q + 1 < end && q[1] == '"') {
                        doubled++;
                        q += 2;
                        continue;
                    }
                    break;
                }
                q++;
            }
            len = (size_t)(q - start);
            f = start;
            q++; /* closing quote */
            if (q < end && *q != d->delim)
                return row_error_set(err, ERR_PARSE, (size_t)(q - p),
                                     "expected delimiter after quoted field");
            if (doubled) {
                char *u = arena_alloc(&b->arena, len);
                size_t k = 0;
                for (size_t i = 0; i < len; i++) {
                    u[k++] = start[i];
                    if (start[i] == '"')
                        i++;
                }
                f = u;
                len = k;
            }
        } else {
            while (q < end && *q != d->delim) {
                if (*q == '"')
                    return row_error_set(err, ERR_PARSE, (size_t)(q - p),
                                         "quote inside an unquoted field");
                q++;
            }
            len = (size_t)(q - f);
        }
        if (field >= ncol)
            return row_error_set(err, ERR_PARSE, off,
                                 "expected %d fields, found more", ncol);
        int rc = field_into(d, b, row, field, f, len, quoted, off, err);
        if (rc != 0)
            return rc;
        field++;
        if (q >= end)
            break;
        q++; /* delimiter */
    }
    if (field != ncol)
        return row_error_set(err, ERR_PARSE, n, "expected %d fields, found %d",
                             ncol, field);
    row_batch_commit_row(b, meta);
    return 0;
}
