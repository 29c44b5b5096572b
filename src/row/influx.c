/* influx.c - InfluxDB line protocol decoder and encoder (layer: row).
 * See influx.h for the mapping. One pass per line; a record is all or
 * nothing (rows added by a failing call are taken back).
 */
#include "row/influx.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"
#include "row/json_encode.h"
#include "row/scalar.h"

struct influx_decoder {
    const struct schema *schema;
    int measurement; /* column, or -1 */
    int time;        /* column, or -1 */
};

int influx_decoder_create(const struct schema *s, struct influx_decoder **out)
{
    *out = NULL;
    int m = schema_find(s, "measurement", 11);
    int t = schema_find(s, "time", 4);
    if (t < 0)
        t = schema_find(s, "ts", 2);
    if (m >= 0 && s->columns[m].type != SCHEMA_STRING)
        return ERR_INVALID;
    if (t >= 0 && s->columns[t].type != SCHEMA_TIMESTAMP &&
        s->columns[t].type != SCHEMA_BIGINT)
        return ERR_INVALID;
    struct influx_decoder *d = mem_calloc(1, sizeof(*d));
    d->schema = s;
    d->measurement = m < 0 ? -1 : m;
    d->time = t < 0 ? -1 : t;
    *out = d;
    return 0;
}

void influx_decoder_destroy(struct influx_decoder *d)
{
    mem_free(d);
}

struct lp {
    const char *base, *p, *end; /* end: the end of the line */
    struct row_batch *b;
    struct row_error *err;
};

static int perr(struct lp *l, const char *what)
{
    return row_error_set(l->err, ERR_PARSE, (size_t)(l->p - l->base),
                         "line protocol: %s", what);
}

/* A name or tag value up to an unescaped byte of `stops`; escapes removed
 * (into the arena) when present. */
static int token(struct lp *l, const char *stops, struct row_str *out)
{
    const char *s = l->p;
    bool escaped = false;
    while (l->p < l->end && !strchr(stops, *l->p)) {
        if (*l->p == '\\' && l->p + 1 < l->end) {
            escaped = true;
            l->p++;
        }
        l->p++;
    }
    size_t n = (size_t)(l->p - s);
    if (!escaped) {
        out->ptr = s;
        out->len = (uint32_t)n;
        return 0;
    }
    char *o = arena_alloc(&l->b->arena, n ? n : 1);
    size_t k = 0;
    for (const char *q = s; q < l->p; q++) {
        if (*q == '\\' && q + 1 < l->p &&
            (q[1] == ',' || q[1] == ' ' || q[1] == '=' || q[1] == '\\'))
            q++;
        o[k++] = *q;
    }
    out->ptr = o;
    out->len = (uint32_t)k;
    return 0;
}

static int set(struct lp *l, int row, int col, struct value v, size_t at)
{
    if (row_batch_set(l->b, row, col, v))
        return row_error_set(l->err, ERR_INVALID, at,
                             "column \"%s\": wrong type",
                             l->b->schema->columns[col].name);
    return 0;
}

static int type_err(struct lp *l, int col, size_t at, const char *found)
{
    return row_error_set(
        l->err, ERR_INVALID, at, "column \"%s\" is %s, the field is %s",
        l->b->schema->columns[col].name,
        schema_type_name(l->b->schema->columns[col].type), found);
}

/* One field value for column col (or skipped when col < 0). */
static int field_value(struct lp *l, int row, int col)
{
    size_t at = (size_t)(l->p - l->base);
    if (l->p < l->end && *l->p == '"') {
        const char *s = ++l->p;
        bool escaped = false;
        while (l->p < l->end && *l->p != '"') {
            if (*l->p == '\\' && l->p + 1 < l->end) {
                escaped = true;
                l->p++;
            }
            l->p++;
        }
        if (l->p >= l->end)
            return perr(l, "unterminated string field");
        size_t n = (size_t)(l->p - s);
        l->p++;
        if (col < 0)
            return 0;
        if (l->b->schema->columns[col].type != SCHEMA_STRING)
            return type_err(l, col, at, "a string");
        const char *v = s;
        if (escaped) {
            char *o = arena_alloc(&l->b->arena, n ? n : 1);
            size_t k = 0;
            for (const char *q = s; q < s + n; q++) {
                if (*q == '\\' && q + 1 < s + n &&
                    (q[1] == '"' || q[1] == '\\'))
                    q++;
                o[k++] = *q;
            }
            v = o;
            n = k;
        }
        if (!json_utf8_valid(v, n))
            return row_error_set(l->err, ERR_PARSE, at,
                                 "string field is not UTF-8");
        return set(l, row, col, value_string(v, (uint32_t)n), at);
    }
    const char *s = l->p;
    while (l->p < l->end && *l->p != ',' && *l->p != ' ')
        l->p++;
    size_t n = (size_t)(l->p - s);
    if (n == 0)
        return perr(l, "empty field value");
    if (col < 0)
        return 0;
    enum schema_type t = l->b->schema->columns[col].type;
    static const char *const yes[] = {"t", "T", "true", "True", "TRUE"};
    static const char *const no[] = {"f", "F", "false", "False", "FALSE"};
    for (int i = 0; i < 5; i++) {
        bool y = strlen(yes[i]) == n && !memcmp(s, yes[i], n);
        bool f = strlen(no[i]) == n && !memcmp(s, no[i], n);
        if (y || f) {
            if (t != SCHEMA_BOOLEAN)
                return type_err(l, col, at, "a boolean");
            return set(l, row, col, value_bool(y), at);
        }
    }
    char tmp[72];
    if (n >= sizeof tmp)
        return row_error_set(l->err, ERR_PARSE, at, "number too long");
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *endp;
    errno = 0;
    if (tmp[n - 1] == 'i' || tmp[n - 1] == 'u') {
        tmp[n - 1] = '\0';
        long long v = strtoll(tmp, &endp, 10);
        if (*endp || endp == tmp || errno || (s[n - 1] == 'u' && tmp[0] == '-'))
            return row_error_set(l->err, ERR_PARSE, at, "malformed integer");
        if (t == SCHEMA_BIGINT)
            return set(l, row, col, value_bigint(v), at);
        if (t == SCHEMA_INT) {
            if (v < INT32_MIN || v > INT32_MAX)
                return row_error_set(l->err, ERR_INVALID, at,
                                     "column \"%s\": %lld is out of INT range",
                                     l->b->schema->columns[col].name, v);
            return set(l, row, col, value_int((int32_t)v), at);
        }
        if (t == SCHEMA_DOUBLE)
            return set(l, row, col, value_double((double)v), at);
        return type_err(l, col, at, "an integer");
    }
    double d = strtod(tmp, &endp);
    if (*endp || endp == tmp || !isfinite(d) ||
        !(tmp[0] == '-' || tmp[0] == '.' || (tmp[0] >= '0' && tmp[0] <= '9')))
        return row_error_set(l->err, ERR_PARSE, at, "malformed field value");
    if (t != SCHEMA_DOUBLE)
        return type_err(l, col, at, "a float");
    return set(l, row, col, value_double(d), at);
}

static int decode_line(const struct influx_decoder *d, struct lp *l,
                       const struct row_meta *meta)
{
    int row = row_batch_begin_row(l->b);
    if (row < 0)
        return row_error_set(l->err, ERR_TOO_LARGE, (size_t)(l->p - l->base),
                             "row batch is full");
    struct row_batch *b = l->b;
    for (int c = 0; c < b->ncolumns; c++)
        b->columns[c].nulls[row] = 1;
    struct row_str m;
    token(l, ", ", &m);
    if (m.len == 0)
        return perr(l, "missing measurement");
    if (d->measurement >= 0) {
        if (!json_utf8_valid(m.ptr, m.len))
            return perr(l, "measurement is not UTF-8");
        set(l, row, d->measurement, value_string(m.ptr, m.len), 0);
    }
    while (l->p < l->end && *l->p == ',') {
        l->p++;
        struct row_str k, v;
        size_t at = (size_t)(l->p - l->base);
        token(l, "=, ", &k);
        if (l->p >= l->end || *l->p != '=' || k.len == 0)
            return perr(l, "expected tag=value");
        l->p++;
        token(l, ", ", &v);
        if (v.len == 0)
            return perr(l, "empty tag value");
        int col = schema_find(b->schema, k.ptr, k.len);
        if (col < 0 || col == d->measurement || col == d->time)
            continue;
        if (b->schema->columns[col].type != SCHEMA_STRING)
            return type_err(l, col, at, "a tag (text)");
        if (!json_utf8_valid(v.ptr, v.len))
            return perr(l, "tag value is not UTF-8");
        int rc = set(l, row, col, value_string(v.ptr, v.len), at);
        if (rc)
            return rc;
    }
    if (l->p >= l->end || *l->p != ' ')
        return perr(l, "expected a space before the fields");
    l->p++;
    for (;;) {
        struct row_str k;
        token(l, "=, ", &k);
        if (l->p >= l->end || *l->p != '=' || k.len == 0)
            return perr(l, "expected field=value");
        l->p++;
        int col = schema_find(b->schema, k.ptr, k.len);
        if (col == d->measurement || col == d->time)
            col = -1;
        int rc = field_value(l, row, col);
        if (rc)
            return rc;
        if (l->p < l->end && *l->p == ',') {
            l->p++;
            continue;
        }
        break;
    }
    if (l->p < l->end && *l->p == ' ') {
        l->p++;
        const char *s = l->p;
        char tmp[32];
        size_t n = (size_t)(l->end - s);
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\r'))
            n--;
        if (n == 0 || n >= sizeof tmp)
            return perr(l, "malformed timestamp");
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        char *endp;
        errno = 0;
        long long ns = strtoll(tmp, &endp, 10);
        if (*endp || errno)
            return perr(l, "malformed timestamp");
        long long ms = ns / 1000000 - (ns % 1000000 < 0 ? 1 : 0);
        if (d->time >= 0) {
            if (ms < SCALAR_TS_MIN_MS || ms > SCALAR_TS_MAX_MS)
                return perr(l, "timestamp out of range");
            struct value v = b->schema->columns[d->time].type == SCHEMA_BIGINT
                                 ? value_bigint(ms)
                                 : value_timestamp(ms);
            set(l, row, d->time, v, 0);
        }
        l->p = l->end;
    } else if (l->p < l->end && *l->p != '\r') {
        return perr(l, "unexpected text after the fields");
    }
    for (int c = 0; c < b->ncolumns; c++)
        if (b->columns[c].nulls[row] && !d->schema->columns[c].nullable)
            return row_error_set(l->err, ERR_INVALID, (size_t)(l->p - l->base),
                                 "column \"%s\": the line has no value for a "
                                 "NOT NULL column",
                                 d->schema->columns[c].name);
    row_batch_commit_row(b, meta);
    return 0;
}

int influx_decode(const struct influx_decoder *d, struct row_batch *b,
                  const char *p, size_t n, const struct row_meta *meta,
                  struct row_error *err)
{
    int first = b->nrows, rc = 0;
    if (n > ROW_RECORD_MAX)
        return row_error_set(err, ERR_TOO_LARGE, 0,
                             "record larger than %zu bytes", ROW_RECORD_MAX);
    const char *q = p, *end = p + n;
    while (q < end) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        const char *le = nl ? nl : end;
        const char *s = q;
        while (s < le && (*s == ' ' || *s == '\t'))
            s++;
        if (s < le && *s != '#' && !(le - s == 1 && *s == '\r')) {
            struct lp l = {p, s, le, b, err};
            if ((rc = decode_line(d, &l, meta)))
                goto out_rollback;
        }
        q = nl ? nl + 1 : end;
    }
    return b->nrows - first;
out_rollback:
    b->nrows = first;
    return rc;
}

/* ---- encoding ---- */

static void put_escaped(struct buf *out, const char *p, size_t n,
                        const char *specials)
{
    for (size_t i = 0; i < n; i++) {
        if (strchr(specials, p[i]))
            buf_put_u8(out, '\\');
        buf_put_u8(out, (uint8_t)p[i]);
    }
}

static void put_text(struct buf *out, struct value v)
{
    char tmp[64];
    size_t n = 0;
    switch (v.type) {
    case SCHEMA_STRING:
        put_escaped(out, v.u.str.ptr, v.u.str.len, ", =");
        return;
    case SCHEMA_BOOLEAN:
        buf_put_str(out, v.u.b ? "true" : "false");
        return;
    case SCHEMA_INT:
        n = scalar_format_int(v.u.i32, tmp);
        break;
    case SCHEMA_BIGINT:
        n = scalar_format_int(v.u.i64, tmp);
        break;
    case SCHEMA_DOUBLE:
        n = scalar_format_double(v.u.f64, tmp);
        break;
    case SCHEMA_TIMESTAMP:
        n = scalar_format_timestamp(v.u.i64, tmp);
        break;
    default:
        return;
    }
    put_escaped(out, tmp, n, ", =");
}

int influx_encode_row(const struct row_batch *b, int row,
                      const struct influx_encoding *e, struct buf *out)
{
    size_t start = out->len;
    const struct schema *s = b->schema;
    if (e->measurement) {
        put_escaped(out, e->measurement, strlen(e->measurement), ", ");
    } else if (e->measurement_column >= 0) {
        struct value v = row_batch_get(b, row, e->measurement_column);
        if (v.type != SCHEMA_STRING || v.u.str.len == 0)
            return ERR_INVALID;
        put_escaped(out, v.u.str.ptr, v.u.str.len, ", ");
    } else {
        return ERR_INVALID;
    }
    for (int i = 0; i < e->ntags; i++) {
        struct value v = row_batch_get(b, row, e->tag_columns[i]);
        if (v.type == SCHEMA_NULL)
            continue;
        buf_put_u8(out, ',');
        const char *name = s->columns[e->tag_columns[i]].name;
        put_escaped(out, name, strlen(name), ", =");
        buf_put_u8(out, '=');
        put_text(out, v);
    }
    int nfields = 0;
    for (int c = 0; c < b->ncolumns; c++) {
        bool skip = c == e->measurement_column || c == e->time_column;
        for (int i = 0; i < e->ntags; i++)
            skip |= c == e->tag_columns[i];
        struct value v = row_batch_get(b, row, c);
        if (skip || v.type == SCHEMA_NULL)
            continue;
        if (v.type == SCHEMA_DOUBLE && !isfinite(v.u.f64))
            continue;
        buf_put_u8(out, nfields++ ? ',' : ' ');
        put_escaped(out, s->columns[c].name, strlen(s->columns[c].name), ", =");
        buf_put_u8(out, '=');
        char tmp[64];
        size_t n;
        switch (v.type) {
        case SCHEMA_STRING:
            buf_put_u8(out, '"');
            put_escaped(out, v.u.str.ptr, v.u.str.len, "\"\\");
            buf_put_u8(out, '"');
            break;
        case SCHEMA_INT:
        case SCHEMA_BIGINT:
            n = scalar_format_int(v.type == SCHEMA_INT ? v.u.i32 : v.u.i64,
                                  tmp);
            buf_put(out, tmp, n);
            buf_put_u8(out, 'i');
            break;
        case SCHEMA_TIMESTAMP: /* a field: ms since the epoch */
            n = scalar_format_int(v.u.i64, tmp);
            buf_put(out, tmp, n);
            buf_put_u8(out, 'i');
            break;
        default:
            put_text(out, v);
            break;
        }
    }
    if (nfields == 0) {
        out->len = start;
        return ERR_INVALID;
    }
    if (e->time_column >= 0) {
        struct value v = row_batch_get(b, row, e->time_column);
        if (v.type == SCHEMA_TIMESTAMP || v.type == SCHEMA_BIGINT)
            buf_printf(out, " %lld000000", (long long)v.u.i64);
    }
    buf_put_u8(out, '\n');
    return 0;
}
