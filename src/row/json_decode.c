/* json_decode.c - schema-driven JSON decoder (layer: row).
 *
 * The schema's field paths are compiled into a small trie: one node per JSON
 * object level, each with the keys the schema knows at that level. Keys are
 * matched by length then bytes, trying first the key after the previously
 * matched one, so records whose fields come in a stable order (the usual
 * case) match on the first comparison. Values are parsed straight into the
 * batch's column arrays. Columns never seen become NULL, or an error when
 * the column is NOT NULL.
 */
#include "row/json_decode.h"

#include <stdint.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "row/json_scan.h"
#include "row/scalar.h"

#define KEY_SCRATCH 256

struct jfield {
    const char *name; /* points into the schema's path strings */
    uint32_t len;
    int column; /* >= 0 for a leaf */
    int child;  /* node index for a nested object, else -1 */
};

struct jnode {
    struct jfield *fields;
    int count;
};

struct json_decoder {
    const struct schema *schema;
    unsigned flags;
    struct jnode *nodes;
    int nnodes;
    uint64_t all_mask;     /* one bit per column */
    uint64_t notnull_mask; /* NOT NULL columns */
};

struct ctx {
    struct json_scan s;
    const struct json_decoder *d;
    struct row_batch *b;
    int row;
    uint64_t seen;
};

static int add_node(struct json_decoder *d)
{
    d->nodes =
        mem_realloc(d->nodes, (size_t)(d->nnodes + 1) * sizeof(*d->nodes));
    d->nodes[d->nnodes].fields = NULL;
    d->nodes[d->nnodes].count = 0;
    return d->nnodes++;
}

static struct jfield *find_field(struct jnode *n, const char *name, size_t len)
{
    for (int i = 0; i < n->count; i++)
        if (n->fields[i].len == len &&
            memcmp(n->fields[i].name, name, len) == 0)
            return &n->fields[i];
    return NULL;
}

static struct jfield *add_field(struct jnode *n, const char *name, size_t len)
{
    n->fields =
        mem_realloc(n->fields, (size_t)(n->count + 1) * sizeof(*n->fields));
    struct jfield *f = &n->fields[n->count++];
    f->name = name;
    f->len = (uint32_t)len;
    f->column = -1;
    f->child = -1;
    return f;
}

int json_decoder_create(const struct schema *s, unsigned flags,
                        struct json_decoder **out)
{
    struct json_decoder *d = mem_calloc(1, sizeof(*d));
    d->schema = s;
    d->flags = flags;
    add_node(d);
    int rc = 0;
    for (int c = 0; c < s->ncolumns; c++) {
        const char *path = s->columns[c].path;
        int node = 0, depth = 0;
        for (;;) {
            const char *dot = strchr(path, '.');
            size_t len = dot ? (size_t)(dot - path) : strlen(path);
            if (++depth > JSON_SCAN_MAX_DEPTH) {
                rc = ERR_TOO_LARGE;
                goto out_destroy;
            }
            struct jfield *f = find_field(&d->nodes[node], path, len);
            if (!f)
                f = add_field(&d->nodes[node], path, len);
            if (!dot) {
                if (f->column >= 0 || f->child >= 0) {
                    rc = ERR_INVALID;
                    goto out_destroy;
                }
                f->column = c;
                break;
            }
            if (f->column >= 0) {
                rc = ERR_INVALID;
                goto out_destroy;
            }
            if (f->child < 0) {
                int child = add_node(d); /* may move d->nodes */
                f = find_field(&d->nodes[node], path, len);
                f->child = child;
            }
            node = f->child;
            path = dot + 1;
        }
        d->all_mask |= 1ull << c;
        if (!s->columns[c].nullable)
            d->notnull_mask |= 1ull << c;
    }
    *out = d;
    return 0;
out_destroy:
    json_decoder_destroy(d);
    *out = NULL;
    return rc;
}

void json_decoder_destroy(struct json_decoder *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->nnodes; i++)
        mem_free(d->nodes[i].fields);
    mem_free(d->nodes);
    mem_free(d);
}

/* Key comparison inlined: keys are short, a libc call costs more than the
 * compare. */
static inline bool key_eq(const char *a, const char *b, size_t n)
{
    while (n >= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y)
            return false;
        a += 8;
        b += 8;
        n -= 8;
    }
    while (n--)
        if (*a++ != *b++)
            return false;
    return true;
}

static int type_error(struct ctx *x, int column, const char *expected)
{
    return row_error_set(x->s.err, ERR_INVALID, json_scan_off(&x->s),
                         "field \"%s\": expected %s, found %s",
                         x->d->schema->columns[column].path, expected,
                         json_scan_kind(&x->s));
}

static int number_into(struct ctx *x, int column, struct row_column *col)
{
    struct scalar_number num;
    const char *stop;
    const char *at = x->s.p;
    int rc = scalar_parse_number(at, x->s.end, &num, &stop);
    if (rc != 0) {
        x->s.p = rc == ERR_RANGE ? at : stop;
        return row_error_set(x->s.err, ERR_PARSE, json_scan_off(&x->s),
                             rc == ERR_RANGE ? "number out of range"
                                             : "malformed number");
    }
    const char *what = NULL;
    switch (col->type) {
    case SCHEMA_DOUBLE:
        col->data.f64[x->row] = num.d;
        break;
    case SCHEMA_INT:
        if (!num.integral)
            what = "an integer, found a number with a fraction or exponent";
        else if (!num.fits || num.i < INT32_MIN || num.i > INT32_MAX)
            what = "an integer in INT range, found one out of range";
        else
            col->data.i32[x->row] = (int32_t)num.i;
        break;
    case SCHEMA_BIGINT:
        if (!num.integral)
            what = "an integer, found a number with a fraction or exponent";
        else if (!num.fits)
            what = "an integer in BIGINT range, found one out of range";
        else
            col->data.i64[x->row] = num.i;
        break;
    case SCHEMA_TIMESTAMP:
        if (!num.integral)
            what = "integer milliseconds, found a number with a fraction or "
                   "exponent";
        else if (!num.fits || num.i < SCALAR_TS_MIN_MS ||
                 num.i > SCALAR_TS_MAX_MS)
            what = "milliseconds within years 0000-9999, found a number out "
                   "of range";
        else
            col->data.i64[x->row] = num.i;
        break;
    default:
        return type_error(x, column,
                          col->type == SCHEMA_STRING ? "string" : "boolean");
    }
    if (what)
        return row_error_set(x->s.err, ERR_INVALID, json_scan_off(&x->s),
                             "field \"%s\": expected %s",
                             x->d->schema->columns[column].path, what);
    x->s.p = stop;
    return 0;
}

static int value_into(struct ctx *x, int column)
{
    struct row_column *col = &x->b->columns[column];
    struct json_scan *s = &x->s;
    int row = x->row;
    x->seen |= 1ull << column;
    if (s->p >= s->end)
        return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                             "expected a value, found end of input");
    char c = *s->p;
    if (c == '"') {
        if (col->type == SCHEMA_STRING) {
            const char *at = s->p;
            int rc = json_scan_string(s, &col->data.str[row], NULL, 0);
            if (rc != 0)
                return rc;
            if ((x->d->flags & JSON_DECODE_COPY_STRINGS) &&
                col->data.str[row].ptr > at && col->data.str[row].ptr < s->p)
                col->data.str[row].ptr = row_batch_copy(
                    x->b, col->data.str[row].ptr, col->data.str[row].len);
            col->nulls[row] = 0;
            return 0;
        }
        if (col->type == SCHEMA_TIMESTAMP) {
            const char *at = s->p;
            struct row_str str;
            char scratch[64];
            int rc = json_scan_string(s, &str, scratch, sizeof(scratch));
            if (rc != 0)
                return rc;
            size_t bad;
            if (!str.ptr ||
                scalar_parse_timestamp(str.ptr, str.len, &col->data.i64[row],
                                       &bad) != 0) {
                s->p = at;
                return row_error_set(
                    s->err, ERR_INVALID, json_scan_off(s),
                    "field \"%s\": expected an ISO-8601 timestamp, found "
                    "\"%.*s\"",
                    x->d->schema->columns[column].path,
                    (int)(str.ptr ? (str.len > 40 ? 40 : str.len) : 0),
                    str.ptr ? str.ptr : "");
            }
            col->nulls[row] = 0;
            return 0;
        }
        return type_error(x, column,
                          col->type == SCHEMA_BOOLEAN ? "boolean" : "number");
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        int rc = number_into(x, column, col);
        if (rc == 0)
            col->nulls[row] = 0;
        return rc;
    }
    if (c == 't' || c == 'f') {
        bool v = c == 't';
        if (!(v ? json_scan_lit(s, "true", 4) : json_scan_lit(s, "false", 5)))
            return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                                 "invalid JSON value");
        if (col->type != SCHEMA_BOOLEAN) {
            s->p -= v ? 4 : 5;
            return type_error(x, column,
                              col->type == SCHEMA_STRING      ? "string"
                              : col->type == SCHEMA_TIMESTAMP ? "timestamp"
                                                              : "number");
        }
        col->data.b[row] = v;
        col->nulls[row] = 0;
        return 0;
    }
    if (c == 'n') {
        if (!json_scan_lit(s, "null", 4))
            return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                                 "invalid JSON value");
        if (!x->d->schema->columns[column].nullable) {
            s->p -= 4;
            return row_error_set(s->err, ERR_INVALID, json_scan_off(s),
                                 "field \"%s\": null in a NOT NULL column",
                                 x->d->schema->columns[column].path);
        }
        col->nulls[row] = 1;
        return 0;
    }
    if (c == '{' || c == '[')
        return type_error(x, column,
                          col->type == SCHEMA_STRING      ? "string"
                          : col->type == SCHEMA_BOOLEAN   ? "boolean"
                          : col->type == SCHEMA_TIMESTAMP ? "timestamp"
                                                          : "number");
    return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                         "invalid JSON value");
}

static int object_into(struct ctx *x, int node_index, int depth)
{
    struct json_scan *s = &x->s;
    const struct jnode *node = &x->d->nodes[node_index];
    int next = 0; /* field expected next: the one after the last match */
    int rc;
    s->p++; /* '{' */
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
        char scratch[KEY_SCRATCH];
        if ((rc = json_scan_string(s, &key, scratch, sizeof(scratch))) != 0)
            return rc;
        const struct jfield *f = NULL;
        if (key.ptr && node->count) {
            int i = next;
            for (int k = 0; k < node->count; k++) {
                const struct jfield *g = &node->fields[i];
                if (g->len == key.len && key_eq(g->name, key.ptr, key.len)) {
                    f = g;
                    next = i + 1 == node->count ? 0 : i + 1;
                    break;
                }
                i = i + 1 == node->count ? 0 : i + 1;
            }
        }
        json_scan_ws(s);
        if (s->p >= s->end || *s->p != ':')
            return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                                 "expected ':' after key");
        s->p++;
        json_scan_ws(s);
        if (!f) {
            rc = json_scan_skip(s, depth + 1);
        } else if (f->column >= 0) {
            rc = value_into(x, f->column);
        } else if (s->p < s->end && *s->p == '{') {
            if (depth + 1 > JSON_SCAN_MAX_DEPTH)
                return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                                     "nesting deeper than %d",
                                     JSON_SCAN_MAX_DEPTH);
            rc = object_into(x, f->child, depth + 1);
        } else if (json_scan_lit(s, "null", 4)) {
            rc = 0; /* every column below stays unseen: NULL */
        } else {
            return row_error_set(s->err, ERR_INVALID, json_scan_off(s),
                                 "field \"%.*s\": expected object, found %s",
                                 (int)f->len, f->name, json_scan_kind(s));
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

int json_decode(struct json_decoder *d, struct row_batch *b, const char *p,
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
    struct ctx x;
    x.s.base = p;
    x.s.p = p;
    x.s.end = p + n;
    x.s.arena = &b->arena;
    x.s.err = err;
    x.d = d;
    x.b = b;
    x.row = row;
    x.seen = 0;
    json_scan_ws(&x.s);
    if (x.s.p >= x.s.end || *x.s.p != '{')
        return row_error_set(err, ERR_PARSE, json_scan_off(&x.s),
                             "expected a JSON object, found %s",
                             json_scan_kind(&x.s));
    int rc = object_into(&x, 0, 1);
    if (rc != 0)
        return rc;
    json_scan_ws(&x.s);
    if (x.s.p != x.s.end)
        return row_error_set(err, ERR_PARSE, json_scan_off(&x.s),
                             "unexpected data after the object");
    uint64_t missing = d->all_mask & ~x.seen;
    if (missing) {
        if (missing & d->notnull_mask) {
            int c = __builtin_ctzll(missing & d->notnull_mask);
            return row_error_set(err, ERR_INVALID, n,
                                 "field \"%s\": missing in a NOT NULL column",
                                 d->schema->columns[c].path);
        }
        while (missing) {
            int c = __builtin_ctzll(missing);
            b->columns[c].nulls[row] = 1;
            missing &= missing - 1;
        }
    }
    row_batch_commit_row(b, meta);
    return 0;
}
