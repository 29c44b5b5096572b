/* senml_decode.c - SenML JSON decoder (layer: row).
 *
 * One pass over the pack: each record object is read into a small struct of
 * the fields it carries, base fields update the running base state, and the
 * resolved record is written as one row. On any error the rows this call
 * added are taken back (nrows restored), so a pack is all or nothing.
 */
#include "row/senml_decode.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"
#include "row/json_scan.h"
#include "row/scalar.h"
#include "row/senml_int.h"

enum senml_col {
    COL_NAME,
    COL_UNIT,
    COL_VALUE,
    COL_STRING,
    COL_BOOL,
    COL_DATA,
    COL_SUM,
    COL_TIME,
    COL_UPDATE,
    COL_COUNT
};

struct senml_decoder {
    const struct schema *schema;
    int col[COL_COUNT]; /* schema column per SenML field, or -1 */
};

static const struct {
    const char *name;
    enum senml_col col;
} col_names[] = {
    {"name", COL_NAME},
    {"unit", COL_UNIT},
    {"value", COL_VALUE},
    {"string_value", COL_STRING},
    {"vs", COL_STRING},
    {"bool_value", COL_BOOL},
    {"vb", COL_BOOL},
    {"data_value", COL_DATA},
    {"vd", COL_DATA},
    {"sum", COL_SUM},
    {"ts", COL_TIME},
    {"time", COL_TIME},
    {"update_time", COL_UPDATE},
    {"ut", COL_UPDATE},
};

static bool type_ok(enum senml_col c, enum schema_type t)
{
    switch (c) {
    case COL_NAME:
    case COL_UNIT:
    case COL_STRING:
    case COL_DATA:
        return t == SCHEMA_STRING;
    case COL_VALUE:
    case COL_SUM:
    case COL_UPDATE:
        return t == SCHEMA_DOUBLE;
    case COL_BOOL:
        return t == SCHEMA_BOOLEAN;
    case COL_TIME:
        return t == SCHEMA_TIMESTAMP || t == SCHEMA_BIGINT;
    case COL_COUNT:
        break;
    }
    return false;
}

int senml_decoder_create(const struct schema *s, struct senml_decoder **out)
{
    *out = NULL;
    int col[COL_COUNT];
    for (int i = 0; i < COL_COUNT; i++)
        col[i] = -1;
    for (int c = 0; c < s->ncolumns; c++) {
        const struct schema_column *sc = &s->columns[c];
        size_t k, nk = sizeof(col_names) / sizeof(col_names[0]);
        for (k = 0; k < nk; k++)
            if (strcasecmp(col_names[k].name, sc->name) == 0)
                break;
        if (k == nk || col[col_names[k].col] >= 0 ||
            !type_ok(col_names[k].col, sc->type))
            return ERR_INVALID;
        col[col_names[k].col] = c;
    }
    struct senml_decoder *d = mem_calloc(1, sizeof(*d));
    d->schema = s;
    memcpy(d->col, col, sizeof(col));
    *out = d;
    return 0;
}

void senml_decoder_destroy(struct senml_decoder *d)
{
    mem_free(d);
}

#define KEY1(a) ((1ull << 32) | (uint64_t)(a))
#define KEY2(a, b) ((2ull << 32) | (uint64_t)(a) | ((uint64_t)(b) << 8))
#define KEY4(a, b, c, d)                                                       \
    ((4ull << 32) | (uint64_t)(a) | ((uint64_t)(b) << 8) |                     \
     ((uint64_t)(c) << 16) | ((uint64_t)(d) << 24))

static bool name_valid(const char *p, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9');
        if (i == 0 ? !alnum
                   : !(alnum || c == '-' || c == ':' || c == '.' || c == '/' ||
                       c == '_'))
            return false;
    }
    return true;
}

static int want(struct json_scan *s, const char *key, char first,
                const char *expected)
{
    if (s->p < s->end && *s->p == first)
        return 0;
    return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                         "field \"%s\": expected %s, found %s", key, expected,
                         json_scan_kind(s));
}

static int get_number(struct json_scan *s, const char *key, double *out)
{
    struct scalar_number num;
    const char *stop;
    if (s->p >= s->end || !(*s->p == '-' || (*s->p >= '0' && *s->p <= '9')))
        return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                             "field \"%s\": expected number, found %s", key,
                             json_scan_kind(s));
    int rc = scalar_parse_number(s->p, s->end, &num, &stop);
    if (rc != 0) {
        if (rc == ERR_PARSE)
            s->p = stop;
        return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                             rc == ERR_RANGE ? "number out of range"
                                             : "malformed number");
    }
    s->p = stop;
    *out = num.d;
    return 0;
}

static int get_string(struct json_scan *s, const char *key, struct row_str *out)
{
    int rc = want(s, key, '"', "string");
    if (rc == 0)
        rc = json_scan_string(s, out, NULL, 0);
    return rc;
}

/* Reads one record object into r, updating base. */
static int read_record(struct json_scan *s, struct base *base, struct rec *r)
{
    int rc;
    memset(r, 0, sizeof(*r));
    if (s->p >= s->end || *s->p != '{')
        return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                             "expected a SenML record object, found %s",
                             json_scan_kind(s));
    s->p++;
    json_scan_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return 0;
    }
    for (;;) {
        if (s->p >= s->end || *s->p != '"')
            return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                                 "expected a string key in object");
        struct row_str key;
        char scratch[64];
        size_t key_off = json_scan_off(s);
        if ((rc = json_scan_string(s, &key, scratch, sizeof(scratch))) != 0)
            return rc;
        json_scan_ws(s);
        if (s->p >= s->end || *s->p != ':')
            return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                                 "expected ':' after key");
        s->p++;
        json_scan_ws(s);
        /* Dispatch on (length, bytes) packed into one integer. */
        uint64_t code = 0;
        if (key.ptr && key.len <= 4) {
            for (uint32_t i = 0; i < key.len; i++)
                code |= (uint64_t)(uint8_t)key.ptr[i] << (8 * i);
            code |= (uint64_t)key.len << 32;
        }
        double ver;
        switch (code) {
        case KEY2('b', 'n'):
            rc = get_string(s, "bn", &base->bn);
            break;
        case KEY2('b', 't'):
            rc = get_number(s, "bt", &base->bt);
            break;
        case KEY2('b', 'u'):
            rc = get_string(s, "bu", &base->bu);
            break;
        case KEY2('b', 'v'):
            rc = get_number(s, "bv", &base->bv);
            break;
        case KEY2('b', 's'):
            rc = get_number(s, "bs", &base->bs);
            break;
        case KEY4('b', 'v', 'e', 'r'): {
            size_t at = json_scan_off(s);
            if ((rc = get_number(s, "bver", &ver)) == 0 &&
                (ver != floor(ver) || ver < 1 || ver > SENML_VERSION))
                rc = row_error_set(s->err, ERR_PARSE, at,
                                   "unsupported SenML version %g", ver);
            break;
        }
        case KEY1('n'):
            rc = get_string(s, "n", &r->n);
            r->has |= F_N;
            break;
        case KEY1('u'):
            rc = get_string(s, "u", &r->u);
            r->has |= F_U;
            break;
        case KEY1('v'):
            rc = get_number(s, "v", &r->v);
            r->has |= F_V;
            break;
        case KEY2('v', 's'):
            rc = get_string(s, "vs", &r->vs);
            r->has |= F_VS;
            break;
        case KEY2('v', 'd'):
            rc = get_string(s, "vd", &r->vd);
            r->has |= F_VD;
            break;
        case KEY2('v', 'b'):
            if (json_scan_lit(s, "true", 4))
                r->vb = true;
            else if (json_scan_lit(s, "false", 5))
                r->vb = false;
            else
                rc = row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                                   "field \"vb\": expected boolean, found %s",
                                   json_scan_kind(s));
            r->has |= F_VB;
            break;
        case KEY1('s'):
            rc = get_number(s, "s", &r->s);
            r->has |= F_S;
            break;
        case KEY1('t'):
            rc = get_number(s, "t", &r->t);
            r->has |= F_T;
            break;
        case KEY2('u', 't'):
            rc = get_number(s, "ut", &r->ut);
            r->has |= F_UT;
            break;
        default:
            if (key.ptr && key.len > 0 && key.ptr[key.len - 1] == '_')
                return row_error_set(s->err, ERR_PARSE, key_off,
                                     "must-understand field \"%.*s\" is not "
                                     "supported",
                                     (int)(key.len > 40 ? 40 : key.len),
                                     key.ptr);
            rc = json_scan_skip(s, 3);
            break;
        }
        if (rc != 0)
            return rc;
        json_scan_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            json_scan_ws(s);
            continue;
        }
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            return 0;
        }
        return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                             "expected ',' or '}' in object");
    }
}

static void put_str(struct row_batch *b, int col, int row, struct row_str v)
{
    b->columns[col].nulls[row] = 0;
    b->columns[col].data.str[row] = v;
}

static void put_f64(struct row_batch *b, int col, int row, double v)
{
    b->columns[col].nulls[row] = 0;
    b->columns[col].data.f64[row] = v;
}

int senml_write_row(struct senml_decoder *d, struct row_batch *b, int row,
                    const struct base *base, const struct rec *r,
                    int64_t now_ms, size_t off, struct row_error *err)
{
    const int *col = d->col;
    for (int c = 0; c < b->ncolumns; c++)
        b->columns[c].nulls[row] = 1;
    struct row_str name = r->n;
    if (!(r->has & F_N))
        name.len = 0;
    if (base->bn.len && name.len) {
        char *cat = arena_alloc(&b->arena, base->bn.len + name.len);
        memcpy(cat, base->bn.ptr, base->bn.len);
        memcpy(cat + base->bn.len, name.ptr, name.len);
        name.ptr = cat;
        name.len += base->bn.len;
    } else if (base->bn.len) {
        name = base->bn;
    }
    if (!name_valid(name.ptr, name.len))
        return row_error_set(err, ERR_PARSE, off,
                             "record name \"%.*s\" is empty or has characters "
                             "RFC 8428 does not allow",
                             (int)(name.len > 40 ? 40 : name.len), name.ptr);
    if (col[COL_NAME] >= 0)
        put_str(b, col[COL_NAME], row, name);
    if (col[COL_UNIT] >= 0 && ((r->has & F_U) || base->bu.len))
        put_str(b, col[COL_UNIT], row, (r->has & F_U) ? r->u : base->bu);
    if (((r->has & F_V) && !isfinite(base->bv + r->v)) ||
        ((r->has & F_S) && !isfinite(base->bs + r->s)))
        return row_error_set(err, ERR_PARSE, off,
                             "resolved value out of range");
    if (col[COL_VALUE] >= 0 && (r->has & F_V))
        put_f64(b, col[COL_VALUE], row, base->bv + r->v);
    if (col[COL_SUM] >= 0 && (r->has & F_S))
        put_f64(b, col[COL_SUM], row, base->bs + r->s);
    if (col[COL_UPDATE] >= 0 && (r->has & F_UT))
        put_f64(b, col[COL_UPDATE], row, r->ut);
    if (col[COL_STRING] >= 0 && (r->has & F_VS))
        put_str(b, col[COL_STRING], row, r->vs);
    if (col[COL_DATA] >= 0 && (r->has & F_VD))
        put_str(b, col[COL_DATA], row, r->vd);
    if (col[COL_BOOL] >= 0 && (r->has & F_VB)) {
        b->columns[col[COL_BOOL]].nulls[row] = 0;
        b->columns[col[COL_BOOL]].data.b[row] = r->vb;
    }
    if (col[COL_TIME] >= 0) {
        double t = base->bt + r->t;
        double ms = t * 1000.0;
        if (t < SENML_RELATIVE_LIMIT)
            ms += (double)now_ms;
        if (!(ms >= (double)SCALAR_TS_MIN_MS && ms <= (double)SCALAR_TS_MAX_MS))
            return row_error_set(err, ERR_PARSE, off,
                                 "record time out of range");
        b->columns[col[COL_TIME]].nulls[row] = 0;
        b->columns[col[COL_TIME]].data.i64[row] = llround(ms);
    }
    for (int c = 0; c < b->ncolumns; c++)
        if (b->columns[c].nulls[row] && !d->schema->columns[c].nullable)
            return row_error_set(err, ERR_INVALID, off,
                                 "column \"%s\": record has no value for a "
                                 "NOT NULL column",
                                 d->schema->columns[c].name);
    return 0;
}

int senml_decode(struct senml_decoder *d, struct row_batch *b, const char *p,
                 size_t n, int64_t now_ms, const struct row_meta *meta,
                 struct row_error *err)
{
    int first = b->nrows, rc;
    if (n > ROW_RECORD_MAX)
        return row_error_set(err, ERR_TOO_LARGE, 0,
                             "record larger than %zu bytes", ROW_RECORD_MAX);
    struct json_scan s = {p, p, p + n, &b->arena, err};
    struct base base;
    memset(&base, 0, sizeof(base));
    json_scan_ws(&s);
    if (s.p >= s.end || *s.p != '[') {
        rc = row_error_set(err, ERR_PARSE, json_scan_off(&s),
                           "expected a SenML array, found %s",
                           json_scan_kind(&s));
        goto out_rollback;
    }
    s.p++;
    json_scan_ws(&s);
    if (s.p < s.end && *s.p == ']') {
        s.p++;
    } else {
        for (;;) {
            struct rec r;
            size_t off = json_scan_off(&s);
            if ((rc = read_record(&s, &base, &r)) != 0)
                goto out_rollback;
            if (r.has & (F_N | F_V | F_VS | F_VB | F_VD | F_S)) {
                int row = row_batch_begin_row(b);
                if (row < 0) {
                    rc = row_error_set(err, ERR_TOO_LARGE, off,
                                       "row batch is full");
                    goto out_rollback;
                }
                rc = senml_write_row(d, b, row, &base, &r, now_ms, off, err);
                if (rc != 0)
                    goto out_rollback;
                row_batch_commit_row(b, meta);
            }
            json_scan_ws(&s);
            if (s.p < s.end && *s.p == ',') {
                s.p++;
                json_scan_ws(&s);
                continue;
            }
            if (s.p < s.end && *s.p == ']') {
                s.p++;
                break;
            }
            rc = row_error_set(err, ERR_PARSE, json_scan_off(&s),
                               "expected ',' or ']' in SenML array");
            goto out_rollback;
        }
    }
    json_scan_ws(&s);
    if (s.p != s.end) {
        rc = row_error_set(err, ERR_PARSE, json_scan_off(&s),
                           "unexpected data after the SenML array");
        goto out_rollback;
    }
    return b->nrows - first;
out_rollback:
    b->nrows = first;
    return rc;
}
