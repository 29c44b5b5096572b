/* sparkplug.c - Sparkplug B Payload decoder over the protobuf wire format
 * (layer: row). See sparkplug.h for the mapping.
 *
 *   Payload  1 timestamp (varint), 2 metrics (Metric, repeated), 3 seq
 *            (varint), 4 uuid, 5 body
 *   Metric   1 name, 2 alias, 3 timestamp, 4 datatype, 7 is_null,
 *            10 int_value (uint32), 11 long_value (uint64), 12 float_value
 *            (fixed32), 13 double_value (fixed64), 14 boolean_value,
 *            15 string_value; 5, 6, 8, 9, 16..19 skipped
 */
#include "row/sparkplug.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"
#include "row/json_encode.h"
#include "row/scalar.h"

enum spb_col {
    C_NAME,
    C_ALIAS,
    C_TIME,
    C_TYPE,
    C_VALUE,
    C_INT,
    C_STRING,
    C_BOOL,
    C_SEQ,
    C_COUNT
};

static const struct {
    const char *name;
    enum spb_col col;
    enum schema_type type, alt;
} spb_cols[] = {
    {"name", C_NAME, SCHEMA_STRING, SCHEMA_STRING},
    {"alias", C_ALIAS, SCHEMA_BIGINT, SCHEMA_BIGINT},
    {"ts", C_TIME, SCHEMA_TIMESTAMP, SCHEMA_BIGINT},
    {"time", C_TIME, SCHEMA_TIMESTAMP, SCHEMA_BIGINT},
    {"datatype", C_TYPE, SCHEMA_INT, SCHEMA_BIGINT},
    {"value", C_VALUE, SCHEMA_DOUBLE, SCHEMA_DOUBLE},
    {"int_value", C_INT, SCHEMA_BIGINT, SCHEMA_BIGINT},
    {"string_value", C_STRING, SCHEMA_STRING, SCHEMA_STRING},
    {"bool_value", C_BOOL, SCHEMA_BOOLEAN, SCHEMA_BOOLEAN},
    {"seq", C_SEQ, SCHEMA_BIGINT, SCHEMA_BIGINT},
};

struct sparkplug_decoder {
    const struct schema *schema;
    int col[C_COUNT];
};

int sparkplug_decoder_create(const struct schema *s,
                             struct sparkplug_decoder **out)
{
    *out = NULL;
    int col[C_COUNT];
    for (int i = 0; i < C_COUNT; i++)
        col[i] = -1;
    for (int c = 0; c < s->ncolumns; c++) {
        size_t k, nk = sizeof spb_cols / sizeof spb_cols[0];
        for (k = 0; k < nk; k++)
            if (!strcasecmp(spb_cols[k].name, s->columns[c].name))
                break;
        if (k == nk || col[spb_cols[k].col] >= 0 ||
            (s->columns[c].type != spb_cols[k].type &&
             s->columns[c].type != spb_cols[k].alt))
            return ERR_INVALID;
        col[spb_cols[k].col] = c;
    }
    struct sparkplug_decoder *d = mem_calloc(1, sizeof(*d));
    d->schema = s;
    memcpy(d->col, col, sizeof col);
    *out = d;
    return 0;
}

void sparkplug_decoder_destroy(struct sparkplug_decoder *d)
{
    mem_free(d);
}

struct pb {
    const uint8_t *base, *p, *end;
    struct row_error *err;
};

static int pberr(struct pb *r, const char *what)
{
    return row_error_set(r->err, ERR_PARSE, (size_t)(r->p - r->base),
                         "Sparkplug: %s", what);
}

static int varint(struct pb *r, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (r->p >= r->end)
            return pberr(r, "truncated varint");
        uint8_t byte = *r->p++;
        v |= (uint64_t)(byte & 0x7f) << (7 * i);
        if (!(byte & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return pberr(r, "varint longer than 10 bytes");
}

/* One field's key; the value is read or skipped by the caller. */
static int key(struct pb *r, uint32_t *field, int *wire)
{
    uint64_t k = 0;
    int rc = varint(r, &k);
    if (rc)
        return rc;
    *field = (uint32_t)(k >> 3);
    *wire = (int)(k & 7);
    if (*field == 0 || k >> 32)
        return pberr(r, "invalid field number");
    return 0;
}

/* A length-delimited value: [*p, *p + *n). */
static int bytes(struct pb *r, const uint8_t **p, size_t *n)
{
    uint64_t len = 0;
    int rc = varint(r, &len);
    if (rc)
        return rc;
    if (len > (uint64_t)(r->end - r->p))
        return pberr(r, "length beyond the data");
    *p = r->p;
    *n = (size_t)len;
    r->p += len;
    return 0;
}

static int fixed(struct pb *r, size_t n, uint64_t *out)
{
    if ((size_t)(r->end - r->p) < n)
        return pberr(r, "truncated fixed-size value");
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)r->p[i] << (8 * i);
    r->p += n;
    *out = v;
    return 0;
}

static int skip(struct pb *r, int wire)
{
    uint64_t v;
    const uint8_t *p;
    size_t n;
    switch (wire) {
    case 0:
        return varint(r, &v);
    case 1:
        return fixed(r, 8, &v);
    case 2:
        return bytes(r, &p, &n);
    case 5:
        return fixed(r, 4, &v);
    default:
        return pberr(r, "unsupported wire type (groups)");
    }
}

struct metric {
    const uint8_t *name;
    size_t name_len;
    bool has_name, has_alias, has_ts, has_type, is_null;
    bool has_int, has_long, has_float, has_double, has_bool, has_string;
    uint64_t alias, ts, type, ival, lval;
    double fval, dval;
    bool bval;
    const uint8_t *str;
    size_t str_len;
};

static int want_wire(struct pb *r, int wire, int expected)
{
    return wire == expected ? 0 : pberr(r, "field has the wrong wire type");
}

static int read_metric(struct pb *r, struct metric *m)
{
    memset(m, 0, sizeof *m);
    while (r->p < r->end) {
        uint32_t f = 0;
        int w, rc = key(r, &f, &w);
        if (rc)
            return rc;
        uint64_t v = 0;
        switch (f) {
        case 1:
            if (!(rc = want_wire(r, w, 2)))
                rc = bytes(r, &m->name, &m->name_len);
            m->has_name = true;
            break;
        case 2:
        case 3:
        case 4:
        case 7:
        case 10:
        case 11:
        case 14:
            if ((rc = want_wire(r, w, 0)) || (rc = varint(r, &v)))
                break;
            if (f == 2)
                m->alias = v, m->has_alias = true;
            else if (f == 3)
                m->ts = v, m->has_ts = true;
            else if (f == 4)
                m->type = v, m->has_type = true;
            else if (f == 7)
                m->is_null = v != 0;
            else if (f == 10)
                m->ival = v, m->has_int = true;
            else if (f == 11)
                m->lval = v, m->has_long = true;
            else
                m->bval = v != 0, m->has_bool = true;
            break;
        case 12:
            if (!(rc = want_wire(r, w, 5)) && !(rc = fixed(r, 4, &v))) {
                uint32_t u = (uint32_t)v;
                float fl;
                memcpy(&fl, &u, 4);
                m->fval = fl;
                m->has_float = true;
            }
            break;
        case 13:
            if (!(rc = want_wire(r, w, 1)) && !(rc = fixed(r, 8, &v))) {
                memcpy(&m->dval, &v, 8);
                m->has_double = true;
            }
            break;
        case 15:
            if (!(rc = want_wire(r, w, 2)))
                rc = bytes(r, &m->str, &m->str_len);
            m->has_string = true;
            break;
        default:
            rc = skip(r, w);
            break;
        }
        if (rc)
            return rc;
    }
    return 0;
}

static void put(struct row_batch *b, int col, int row, struct value v)
{
    if (col >= 0)
        row_batch_set(b, row, col, v);
}

static int write_metric(const struct sparkplug_decoder *d, struct row_batch *b,
                        const struct metric *m, bool has_pts, uint64_t pts,
                        bool has_seq, uint64_t seq, size_t at,
                        struct row_error *err)
{
    int row = row_batch_begin_row(b);
    if (row < 0)
        return row_error_set(err, ERR_TOO_LARGE, at, "row batch is full");
    for (int c = 0; c < b->ncolumns; c++)
        b->columns[c].nulls[row] = 1;
    const int *col = d->col;
    if (m->has_name) {
        if (!json_utf8_valid((const char *)m->name, m->name_len))
            return row_error_set(err, ERR_PARSE, at,
                                 "Sparkplug: metric name is not UTF-8");
        put(b, col[C_NAME], row,
            value_string((const char *)m->name, (uint32_t)m->name_len));
    }
    if (m->has_alias && m->alias <= INT64_MAX)
        put(b, col[C_ALIAS], row, value_bigint((int64_t)m->alias));
    if (m->has_ts || has_pts) {
        uint64_t ts = m->has_ts ? m->ts : pts;
        if (ts > (uint64_t)SCALAR_TS_MAX_MS)
            return row_error_set(err, ERR_PARSE, at,
                                 "Sparkplug: timestamp out of range");
        if (col[C_TIME] >= 0)
            put(b, col[C_TIME], row,
                d->schema->columns[col[C_TIME]].type == SCHEMA_BIGINT
                    ? value_bigint((int64_t)ts)
                    : value_timestamp((int64_t)ts));
    }
    if (m->has_type && col[C_TYPE] >= 0 && m->type <= INT32_MAX)
        put(b, col[C_TYPE], row,
            d->schema->columns[col[C_TYPE]].type == SCHEMA_INT
                ? value_int((int32_t)m->type)
                : value_bigint((int64_t)m->type));
    if (has_seq && seq <= INT64_MAX)
        put(b, col[C_SEQ], row, value_bigint((int64_t)seq));
    if (!m->is_null) {
        uint64_t t = m->type;
        bool have_int = false;
        int64_t iv = 0;
        if (t >= 1 && t <= 3 && m->has_int) { /* Int8, Int16, Int32 */
            int bits = t == 1 ? 8 : t == 2 ? 16 : 32;
            uint32_t u = (uint32_t)m->ival;
            if (bits < 32)
                u &= (1u << bits) - 1;
            int32_t sv = bits == 32 ? (int32_t)u
                                    : (int32_t)(u ^ (1u << (bits - 1))) -
                                          (int32_t)(1u << (bits - 1));
            iv = sv, have_int = true;
        } else if (t >= 5 && t <= 7 && m->has_int) { /* UInt8..UInt32 */
            iv = (int64_t)(uint32_t)m->ival, have_int = true;
        } else if ((t == 4 || t == 13) && m->has_long) { /* Int64, DateTime */
            iv = (int64_t)m->lval, have_int = true;
        } else if (t == 8 && m->has_long) { /* UInt64 */
            put(b, col[C_VALUE], row, value_double((double)m->lval));
            if (m->lval <= INT64_MAX)
                put(b, col[C_INT], row, value_bigint((int64_t)m->lval));
        } else if (t == 9 && m->has_float && isfinite(m->fval)) {
            put(b, col[C_VALUE], row, value_double(m->fval));
        } else if (t == 10 && m->has_double && isfinite(m->dval)) {
            put(b, col[C_VALUE], row, value_double(m->dval));
        } else if (t == 11 && m->has_bool) {
            put(b, col[C_BOOL], row, value_bool(m->bval));
        } else if ((t == 12 || t == 14 || t == 15) && m->has_string) {
            if (!json_utf8_valid((const char *)m->str, m->str_len))
                return row_error_set(err, ERR_PARSE, at,
                                     "Sparkplug: string value is not UTF-8");
            put(b, col[C_STRING], row,
                value_string((const char *)m->str, (uint32_t)m->str_len));
        }
        if (have_int) {
            if (t != 13)
                put(b, col[C_VALUE], row, value_double((double)iv));
            put(b, col[C_INT], row, value_bigint(iv));
        }
    }
    for (int c = 0; c < b->ncolumns; c++)
        if (b->columns[c].nulls[row] && !d->schema->columns[c].nullable)
            return row_error_set(err, ERR_INVALID, at,
                                 "column \"%s\": the metric has no value for "
                                 "a NOT NULL column",
                                 d->schema->columns[c].name);
    return 0;
}

int sparkplug_decode(const struct sparkplug_decoder *d, struct row_batch *b,
                     const uint8_t *p, size_t n, const struct row_meta *meta,
                     struct row_error *err)
{
    int first = b->nrows, rc = 0;
    if (n > ROW_RECORD_MAX)
        return row_error_set(err, ERR_TOO_LARGE, 0,
                             "record larger than %zu bytes", ROW_RECORD_MAX);
    /* Pass 1: the payload's timestamp and seq (they may follow the
     * metrics) and the validity of the whole message. */
    struct pb r = {p, p, p + n, err};
    bool has_pts = false, has_seq = false;
    uint64_t pts = 0, seq = 0;
    while (r.p < r.end) {
        uint32_t f = 0;
        int w = 0;
        if ((rc = key(&r, &f, &w)))
            goto out_rollback;
        if ((f == 1 || f == 3) && w == 0) {
            uint64_t v;
            if ((rc = varint(&r, &v)))
                goto out_rollback;
            if (f == 1)
                pts = v, has_pts = true;
            else
                seq = v, has_seq = true;
        } else if (f == 2 && w != 2) {
            rc = pberr(&r, "metrics: wrong wire type");
            goto out_rollback;
        } else if ((rc = skip(&r, w))) {
            goto out_rollback;
        }
    }
    /* Pass 2: one row per metric. */
    r.p = p;
    while (r.p < r.end) {
        uint32_t f = 0;
        int w = 0;
        key(&r, &f, &w);
        if (f != 2) {
            skip(&r, w);
            continue;
        }
        const uint8_t *mp = NULL;
        size_t mn = 0;
        size_t at = (size_t)(r.p - p);
        bytes(&r, &mp, &mn);
        struct pb mr = {p, mp, mp + mn, err};
        struct metric m;
        if ((rc = read_metric(&mr, &m)))
            goto out_rollback;
        if ((rc = write_metric(d, b, &m, has_pts, pts, has_seq, seq, at, err)))
            goto out_rollback;
        row_batch_commit_row(b, meta);
    }
    return b->nrows - first;
out_rollback:
    b->nrows = first;
    return rc;
}
