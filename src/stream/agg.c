/* agg.c - aggregate states: update per batch, merge, result (layer: stream).
 *
 * State layouts (bytes at slot + offset; all zero initially):
 *   COUNT(*), COUNT           int64 n                                   8
 *   SUM (integers)            int64 n, int64 sum (wrapping)            16
 *   SUM (double), AVG         int64 n, double sum                      16
 *   MIN, MAX (DOUBLE)         double v (EMPTY_BITS until the first)     8
 *   MIN, MAX (integers)       int64 n, int64 v                         16
 *   MIN, MAX (strings)        int64 n, struct sbuf                     24
 *   VAR_*, STDDEV_*           int64 n, double mean, double m2          24
 *   FIRST/LAST (numbers)      int64 n, int64 ts, int64|double v        24
 *   FIRST/LAST (strings)      int64 n, int64 ts, struct sbuf           32
 *   COUNT(DISTINCT)           struct dset *                             8
 *   PERCENTILE                struct sketch *                           8
 * Integer-like inputs (BOOLEAN, INT, BIGINT, TIMESTAMP) are kept as int64.
 * DOUBLE MIN/MAX skip NaN inputs, so a NaN bit pattern can mark "no value
 * yet" and the state needs no count (8 bytes less per aggregate).
 * A shared COUNT (agg.shared) has no bytes: its offset is that of another
 * state whose first int64 counts the same column's non-NULL inputs.
 */
#include "stream/agg.h"

#include <math.h>
#include <string.h>

#include "base/err.h"
#include "base/hashmap.h"
#include "base/mem.h"

struct sbuf { /* an owned copy of a string value */
    char *ptr;
    uint32_t len, cap;
};

struct st_n {
    int64_t n;
};
struct st_sum {
    int64_t n;
    union {
        int64_t i;
        double f;
    } s;
};
struct st_minmax {
    int64_t n;
    union {
        int64_t i;
        double f;
        struct sbuf s;
    } v;
};
#define EMPTY_BITS 0x7ff4000000000badULL

static bool f_empty(const double *v)
{
    uint64_t b;
    memcpy(&b, v, 8);
    return b == EMPTY_BITS;
}

static void f_set_empty(double *v)
{
    uint64_t b = EMPTY_BITS;
    memcpy(v, &b, 8);
}

static bool compact_minmax(const struct agg *a)
{
    return (a->spec.func == AGG_MIN || a->spec.func == AGG_MAX) &&
           a->in_type == SCHEMA_DOUBLE;
}

struct st_var {
    int64_t n;
    double mean, m2;
};
struct st_fl {
    int64_t n, ts;
    union {
        int64_t i;
        double f;
        struct sbuf s;
    } v;
};

/* COUNT(DISTINCT): open addressing over 64-bit hashes (0 = empty). */
struct dset {
    uint32_t cap, count;
    uint64_t keys[];
};

/* PERCENTILE: log buckets, gamma = (1 + a) / (1 - a) with a = 0.01; bucket
 * k holds |x| in (gamma^(k-1), gamma^k]. Two dense stores (positive,
 * negative magnitudes) over [base, base + n) plus a zero count. */
#define SKETCH_ALPHA 0.01
struct store {
    int32_t base, n;
    uint64_t *counts;
};
struct sketch {
    uint64_t total, zeros;
    struct store pos, neg;
};

static bool int_like(enum schema_type t)
{
    return t == SCHEMA_BOOLEAN || t == SCHEMA_INT || t == SCHEMA_BIGINT ||
           t == SCHEMA_TIMESTAMP;
}

const char *agg_func_name(enum agg_func f)
{
    static const char *names[] = {
        "count",    "count",       "count_distinct", "sum",         "avg",
        "min",      "max",         "stddev_pop",     "stddev_samp", "var_pop",
        "var_samp", "first_value", "last_value",     "percentile"};
    return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "?";
}

int agg_compile(struct agg *a, const struct agg_spec *spec,
                const struct schema *in)
{
    memset(a, 0, sizeof(*a));
    a->spec = *spec;
    if (!a->spec.name[0])
        strcpy(a->spec.name, agg_func_name(spec->func));
    if (spec->func != AGG_COUNT_STAR) {
        if (spec->column < 0 || spec->column >= in->ncolumns)
            return ERR_INVALID;
        a->in_type = in->columns[spec->column].type;
    }
    enum schema_type t = a->in_type;
    bool num = int_like(t) || t == SCHEMA_DOUBLE;
    bool str = t == SCHEMA_STRING;
    switch (spec->func) {
    case AGG_COUNT_STAR:
    case AGG_COUNT:
        a->out_type = SCHEMA_BIGINT;
        a->size = 8;
        break;
    case AGG_COUNT_DISTINCT:
        a->out_type = SCHEMA_BIGINT;
        a->size = 8;
        break;
    case AGG_SUM:
        if (!num || t == SCHEMA_TIMESTAMP || t == SCHEMA_BOOLEAN)
            return ERR_INVALID;
        a->out_type = t == SCHEMA_DOUBLE ? SCHEMA_DOUBLE : SCHEMA_BIGINT;
        a->size = 16;
        break;
    case AGG_AVG:
        if (!num || t == SCHEMA_TIMESTAMP || t == SCHEMA_BOOLEAN)
            return ERR_INVALID;
        a->out_type = SCHEMA_DOUBLE;
        a->size = 16;
        break;
    case AGG_MIN:
    case AGG_MAX:
        if (!num && !str)
            return ERR_INVALID;
        a->out_type = t;
        a->size = str ? 24 : t == SCHEMA_DOUBLE ? 8 : 16;
        break;
    case AGG_STDDEV_POP:
    case AGG_STDDEV_SAMP:
    case AGG_VAR_POP:
    case AGG_VAR_SAMP:
    case AGG_PERCENTILE:
        if (!num || t == SCHEMA_TIMESTAMP || t == SCHEMA_BOOLEAN)
            return ERR_INVALID;
        if (spec->func == AGG_PERCENTILE &&
            !(spec->param >= 0.0 && spec->param <= 1.0))
            return ERR_INVALID;
        a->out_type = SCHEMA_DOUBLE;
        a->size = spec->func == AGG_PERCENTILE ? 8 : 24;
        break;
    case AGG_FIRST_VALUE:
    case AGG_LAST_VALUE:
        if (!num && !str)
            return ERR_INVALID;
        a->out_type = t;
        a->size = str ? 32 : 24;
        break;
    default:
        return ERR_INVALID;
    }
    return 0;
}

int agg_count_holder(const struct agg *aggs, int n, int column)
{
    for (int i = 0; i < n; i++) {
        const struct agg *a = &aggs[i];
        if (a->shared || a->spec.column != column)
            continue;
        switch (a->spec.func) {
        case AGG_SUM:
        case AGG_AVG:
        case AGG_STDDEV_POP:
        case AGG_STDDEV_SAMP:
        case AGG_VAR_POP:
        case AGG_VAR_SAMP:
        case AGG_FIRST_VALUE:
        case AGG_LAST_VALUE:
            return i;
        case AGG_MIN:
        case AGG_MAX:
            if (!compact_minmax(a))
                return i;
            break;
        default:
            break;
        }
    }
    return -1;
}

void agg_init(const struct agg *a, void *slot)
{
    if (a->shared)
        return;
    memset((uint8_t *)slot + a->offset, 0, a->size);
    if (compact_minmax(a))
        f_set_empty((double *)(void *)((uint8_t *)slot + a->offset));
}

bool agg_needs_init(const struct agg *a)
{
    return !a->shared && compact_minmax(a);
}

static void sbuf_set(struct sbuf *b, struct row_str s)
{
    if (s.len > b->cap) {
        uint32_t cap = s.len < 16 ? 16 : s.len;
        b->ptr = mem_realloc(b->ptr, cap);
        b->cap = cap;
    }
    if (s.len)
        memcpy(b->ptr, s.ptr, s.len);
    b->len = s.len;
}

static int str_cmp(const char *a, uint32_t an, const char *b, uint32_t bn)
{
    uint32_t n = an < bn ? an : bn;
    int r = n ? memcmp(a, b, n) : 0;
    if (r)
        return r;
    return an < bn ? -1 : an > bn;
}

static int64_t cell_i64(const struct row_column *c, int i)
{
    switch (c->type) {
    case SCHEMA_BOOLEAN:
        return c->data.b[i];
    case SCHEMA_INT:
        return c->data.i32[i];
    default:
        return c->data.i64[i];
    }
}

static double cell_f64(const struct row_column *c, int i)
{
    return c->type == SCHEMA_DOUBLE ? c->data.f64[i] : (double)cell_i64(c, i);
}

/* --- COUNT(DISTINCT) --------------------------------------------------- */

static uint64_t value_hash(const struct row_column *c, int i)
{
    if (c->type == SCHEMA_STRING)
        return hashmap_hash(c->data.str[i].ptr, c->data.str[i].len);
    if (c->type == SCHEMA_DOUBLE) {
        double d = c->data.f64[i];
        if (d == 0.0)
            d = 0.0; /* -0.0 and 0.0 are one value */
        return hashmap_hash(&d, sizeof(d)) ^ 0x5bd1e995u;
    }
    int64_t v = cell_i64(c, i);
    return hashmap_hash(&v, sizeof(v));
}

static struct dset *dset_add(struct dset *s, uint64_t h)
{
    if (!s) {
        s = mem_calloc(1, sizeof(*s) + 8 * sizeof(uint64_t));
        s->cap = 8;
    }
    if ((s->count + 1) * 10 > s->cap * 7) {
        uint32_t cap = s->cap * 2;
        struct dset *t = mem_calloc(1, sizeof(*t) + cap * sizeof(uint64_t));
        t->cap = cap;
        for (uint32_t i = 0; i < s->cap; i++) {
            if (!s->keys[i])
                continue;
            uint32_t j = (uint32_t)s->keys[i] & (cap - 1);
            while (t->keys[j])
                j = (j + 1) & (cap - 1);
            t->keys[j] = s->keys[i];
            t->count++;
        }
        mem_free(s);
        s = t;
    }
    uint32_t j = (uint32_t)h & (s->cap - 1);
    while (s->keys[j]) {
        if (s->keys[j] == h)
            return s;
        j = (j + 1) & (s->cap - 1);
    }
    s->keys[j] = h;
    s->count++;
    return s;
}

/* --- percentile sketch ------------------------------------------------- */

static double sketch_gamma(void)
{
    return (1.0 + SKETCH_ALPHA) / (1.0 - SKETCH_ALPHA);
}

static void store_add(struct store *s, int32_t k, uint64_t c)
{
    if (s->n == 0) {
        s->base = k - 8;
        s->n = 16;
        s->counts = mem_calloc(16, sizeof(uint64_t));
    }
    if (k < s->base || k >= s->base + s->n) {
        int32_t lo = k < s->base ? k - 8 : s->base;
        int32_t hi = k >= s->base + s->n ? k + 9 : s->base + s->n;
        uint64_t *nc = mem_calloc((size_t)(hi - lo), sizeof(uint64_t));
        memcpy(nc + (s->base - lo), s->counts, (size_t)s->n * sizeof(uint64_t));
        mem_free(s->counts);
        s->counts = nc;
        s->base = lo;
        s->n = hi - lo;
    }
    s->counts[k - s->base] += c;
}

static void sketch_add(struct sketch *sk, double x)
{
    if (isnan(x))
        return;
    sk->total++;
    double m = fabs(x);
    if (m < 1e-300) {
        sk->zeros++;
        return;
    }
    if (isinf(m))
        m = 1e300;
    int32_t k = (int32_t)ceil(log(m) / log(sketch_gamma()));
    store_add(x > 0 ? &sk->pos : &sk->neg, k, 1);
}

static double bucket_value(int32_t k)
{
    double g = sketch_gamma();
    return 2.0 * pow(g, k) / (g + 1.0);
}

static double sketch_quantile(const struct sketch *sk, double q)
{
    double rank = q * (double)(sk->total - 1);
    uint64_t seen = 0;
    for (int32_t i = sk->neg.n - 1; i >= 0; i--) {
        seen += sk->neg.counts[i];
        if ((double)seen > rank)
            return -bucket_value(sk->neg.base + i);
    }
    seen += sk->zeros;
    if ((double)seen > rank)
        return 0.0;
    for (int32_t i = 0; i < sk->pos.n; i++) {
        seen += sk->pos.counts[i];
        if ((double)seen > rank)
            return bucket_value(sk->pos.base + i);
    }
    return sk->pos.n ? bucket_value(sk->pos.base + sk->pos.n - 1) : 0.0;
}

static void sketch_free(struct sketch *sk)
{
    if (!sk)
        return;
    mem_free(sk->pos.counts);
    mem_free(sk->neg.counts);
    mem_free(sk);
}

/* --- update ------------------------------------------------------------ */

void agg_update_batch(const struct agg *a, const struct row_column *col, int n,
                      uint8_t *const *slots, const int64_t *ts)
{
    if (a->shared)
        return;
    uint32_t off = a->offset;
    const uint8_t *nulls = col ? col->nulls : NULL;
    bool isint = int_like(a->in_type);
    switch (a->spec.func) {
    case AGG_COUNT_STAR:
        for (int i = 0; i < n; i++)
            if (slots[i])
                ((struct st_n *)(slots[i] + off))->n++;
        return;
    case AGG_COUNT:
        for (int i = 0; i < n; i++)
            if (slots[i] && !nulls[i])
                ((struct st_n *)(slots[i] + off))->n++;
        return;
    case AGG_COUNT_DISTINCT:
        for (int i = 0; i < n; i++) {
            if (!slots[i] || nulls[i])
                continue;
            struct dset **s = (struct dset **)(void *)(slots[i] + off);
            *s = dset_add(*s, value_hash(col, i) | 1);
        }
        return;
    case AGG_SUM:
    case AGG_AVG:
        if (a->spec.func == AGG_SUM && isint) {
            for (int i = 0; i < n; i++) {
                if (!slots[i] || nulls[i])
                    continue;
                struct st_sum *s = (struct st_sum *)(void *)(slots[i] + off);
                s->n++;
                s->s.i =
                    (int64_t)((uint64_t)s->s.i + (uint64_t)cell_i64(col, i));
            }
        } else if (col->type == SCHEMA_DOUBLE) {
            const double *v = col->data.f64;
            for (int i = 0; i < n; i++) {
                if (!slots[i] || nulls[i])
                    continue;
                struct st_sum *s = (struct st_sum *)(void *)(slots[i] + off);
                s->n++;
                s->s.f += v[i];
            }
        } else {
            for (int i = 0; i < n; i++) {
                if (!slots[i] || nulls[i])
                    continue;
                struct st_sum *s = (struct st_sum *)(void *)(slots[i] + off);
                s->n++;
                s->s.f += cell_f64(col, i);
            }
        }
        return;
    case AGG_MIN:
    case AGG_MAX: {
        bool is_min = a->spec.func == AGG_MIN;
        if (compact_minmax(a)) {
            const double *v = col->data.f64;
            for (int i = 0; i < n; i++) {
                if (!slots[i] || nulls[i] || isnan(v[i]))
                    continue;
                double *m = (double *)(void *)(slots[i] + off);
                if (f_empty(m) || (is_min ? v[i] < *m : v[i] > *m))
                    *m = v[i];
            }
            return;
        }
        for (int i = 0; i < n; i++) {
            if (!slots[i] || nulls[i])
                continue;
            struct st_minmax *s = (struct st_minmax *)(void *)(slots[i] + off);
            if (a->in_type == SCHEMA_STRING) {
                struct row_str v = col->data.str[i];
                int c =
                    s->n ? str_cmp(v.ptr, v.len, s->v.s.ptr, s->v.s.len) : 0;
                if (!s->n || (is_min ? c < 0 : c > 0))
                    sbuf_set(&s->v.s, v);
            } else if (isint) {
                int64_t v = cell_i64(col, i);
                if (!s->n || (is_min ? v < s->v.i : v > s->v.i))
                    s->v.i = v;
            } else {
                double v = col->data.f64[i];
                if (!s->n || (is_min ? v < s->v.f : v > s->v.f))
                    s->v.f = v;
            }
            s->n++;
        }
        return;
    }
    case AGG_STDDEV_POP:
    case AGG_STDDEV_SAMP:
    case AGG_VAR_POP:
    case AGG_VAR_SAMP:
        for (int i = 0; i < n; i++) {
            if (!slots[i] || nulls[i])
                continue;
            struct st_var *s = (struct st_var *)(void *)(slots[i] + off);
            double x = cell_f64(col, i);
            s->n++;
            double d = x - s->mean;
            s->mean += d / (double)s->n;
            s->m2 += d * (x - s->mean);
        }
        return;
    case AGG_FIRST_VALUE:
    case AGG_LAST_VALUE: {
        bool first = a->spec.func == AGG_FIRST_VALUE;
        for (int i = 0; i < n; i++) {
            if (!slots[i] || nulls[i])
                continue;
            struct st_fl *s = (struct st_fl *)(void *)(slots[i] + off);
            if (s->n && (first ? ts[i] >= s->ts : ts[i] < s->ts)) {
                s->n++;
                continue;
            }
            s->n++;
            s->ts = ts[i];
            if (a->in_type == SCHEMA_STRING)
                sbuf_set(&s->v.s, col->data.str[i]);
            else if (isint)
                s->v.i = cell_i64(col, i);
            else
                s->v.f = col->data.f64[i];
        }
        return;
    }
    case AGG_PERCENTILE:
        for (int i = 0; i < n; i++) {
            if (!slots[i] || nulls[i])
                continue;
            struct sketch **sk = (struct sketch **)(void *)(slots[i] + off);
            if (!*sk)
                *sk = mem_calloc(1, sizeof(**sk));
            sketch_add(*sk, cell_f64(col, i));
        }
        return;
    }
}

/* --- merge, result, fini ----------------------------------------------- */

void agg_merge(const struct agg *a, void *dst_slot, void *src_slot)
{
    if (a->shared)
        return;
    uint8_t *d = (uint8_t *)dst_slot + a->offset;
    uint8_t *s = (uint8_t *)src_slot + a->offset;
    bool isint = int_like(a->in_type);
    switch (a->spec.func) {
    case AGG_COUNT_STAR:
    case AGG_COUNT:
        ((struct st_n *)(void *)d)->n += ((struct st_n *)(void *)s)->n;
        break;
    case AGG_COUNT_DISTINCT: {
        struct dset **ds = (struct dset **)(void *)d;
        struct dset *ss = *(struct dset **)(void *)s;
        if (ss) {
            for (uint32_t i = 0; i < ss->cap; i++)
                if (ss->keys[i])
                    *ds = dset_add(*ds, ss->keys[i]);
            mem_free(ss);
        }
        break;
    }
    case AGG_SUM:
    case AGG_AVG: {
        struct st_sum *x = (void *)d, *y = (void *)s;
        x->n += y->n;
        if (a->spec.func == AGG_SUM && isint)
            x->s.i = (int64_t)((uint64_t)x->s.i + (uint64_t)y->s.i);
        else
            x->s.f += y->s.f;
        break;
    }
    case AGG_MIN:
    case AGG_MAX: {
        if (compact_minmax(a)) {
            double *x = (void *)d, *y = (void *)s;
            bool is_min = a->spec.func == AGG_MIN;
            if (!f_empty(y) && (f_empty(x) || (is_min ? *y < *x : *y > *x)))
                *x = *y;
            f_set_empty(y);
            return;
        }
        struct st_minmax *x = (void *)d, *y = (void *)s;
        bool is_min = a->spec.func == AGG_MIN;
        if (y->n) {
            bool take;
            if (!x->n)
                take = true;
            else if (a->in_type == SCHEMA_STRING) {
                int c = str_cmp(y->v.s.ptr, y->v.s.len, x->v.s.ptr, x->v.s.len);
                take = is_min ? c < 0 : c > 0;
            } else if (isint)
                take = is_min ? y->v.i < x->v.i : y->v.i > x->v.i;
            else
                take = is_min ? y->v.f < x->v.f : y->v.f > x->v.f;
            if (take) {
                if (a->in_type == SCHEMA_STRING) {
                    struct sbuf t = x->v.s;
                    x->v.s = y->v.s;
                    y->v.s = t;
                } else {
                    x->v = y->v;
                }
            }
            x->n += y->n;
        }
        if (a->in_type == SCHEMA_STRING)
            mem_free(y->v.s.ptr);
        break;
    }
    case AGG_STDDEV_POP:
    case AGG_STDDEV_SAMP:
    case AGG_VAR_POP:
    case AGG_VAR_SAMP: {
        struct st_var *x = (void *)d, *y = (void *)s;
        if (y->n) {
            double n = (double)(x->n + y->n), delta = y->mean - x->mean;
            x->m2 += y->m2 + delta * delta * (double)x->n * (double)y->n / n;
            x->mean += delta * (double)y->n / n;
            x->n += y->n;
        }
        break;
    }
    case AGG_FIRST_VALUE:
    case AGG_LAST_VALUE: {
        struct st_fl *x = (void *)d, *y = (void *)s;
        bool first = a->spec.func == AGG_FIRST_VALUE;
        if (y->n && (!x->n || (first ? y->ts < x->ts : y->ts >= x->ts))) {
            int64_t keep = x->n;
            if (a->in_type == SCHEMA_STRING) {
                struct sbuf t = x->v.s;
                x->v.s = y->v.s;
                y->v.s = t;
            } else {
                x->v = y->v;
            }
            x->ts = y->ts;
            x->n = keep;
        }
        x->n += y->n;
        if (a->in_type == SCHEMA_STRING)
            mem_free(y->v.s.ptr);
        break;
    }
    case AGG_PERCENTILE: {
        struct sketch **xs = (void *)d, *ys = *(struct sketch **)(void *)s;
        if (!ys)
            break;
        if (!*xs) {
            *xs = ys;
            break;
        }
        struct sketch *x = *xs;
        x->total += ys->total;
        x->zeros += ys->zeros;
        for (int32_t i = 0; i < ys->pos.n; i++)
            if (ys->pos.counts[i])
                store_add(&x->pos, ys->pos.base + i, ys->pos.counts[i]);
        for (int32_t i = 0; i < ys->neg.n; i++)
            if (ys->neg.counts[i])
                store_add(&x->neg, ys->neg.base + i, ys->neg.counts[i]);
        sketch_free(ys);
        break;
    }
    }
    memset(s, 0, a->size);
}

static void put_num(const struct agg *a, struct row_batch *out, int row,
                    int col, int64_t i, double f)
{
    struct value v;
    switch (a->out_type) {
    case SCHEMA_BOOLEAN:
        v = value_bool(i != 0);
        break;
    case SCHEMA_INT:
        v = value_int((int32_t)i);
        break;
    case SCHEMA_BIGINT:
        v = value_bigint(i);
        break;
    case SCHEMA_TIMESTAMP:
        v = value_timestamp(i);
        break;
    default:
        v = value_double(f);
        break;
    }
    row_batch_set(out, row, col, v);
}

void agg_result(const struct agg *a, const void *slot, struct row_batch *out,
                int row, int col)
{
    const uint8_t *p = (const uint8_t *)slot + a->offset;
    bool isint = int_like(a->in_type);
    switch (a->spec.func) {
    case AGG_COUNT_STAR:
    case AGG_COUNT:
        row_batch_set(out, row, col,
                      value_bigint(((const struct st_n *)(const void *)p)->n));
        return;
    case AGG_COUNT_DISTINCT: {
        const struct dset *s = *(struct dset *const *)(const void *)p;
        row_batch_set(out, row, col, value_bigint(s ? s->count : 0));
        return;
    }
    case AGG_SUM:
    case AGG_AVG: {
        const struct st_sum *s = (const void *)p;
        if (!s->n)
            row_batch_set(out, row, col, value_null());
        else if (a->spec.func == AGG_AVG)
            row_batch_set(out, row, col, value_double(s->s.f / (double)s->n));
        else if (isint)
            row_batch_set(out, row, col, value_bigint(s->s.i));
        else
            row_batch_set(out, row, col, value_double(s->s.f));
        return;
    }
    case AGG_MIN:
    case AGG_MAX: {
        if (compact_minmax(a)) {
            const double *m = (const void *)p;
            row_batch_set(out, row, col,
                          f_empty(m) ? value_null() : value_double(*m));
            return;
        }
        const struct st_minmax *s = (const void *)p;
        if (!s->n)
            row_batch_set(out, row, col, value_null());
        else if (a->in_type == SCHEMA_STRING)
            row_batch_set(
                out, row, col,
                value_string(row_batch_copy(out, s->v.s.ptr, s->v.s.len),
                             s->v.s.len));
        else
            put_num(a, out, row, col, s->v.i, s->v.f);
        return;
    }
    case AGG_STDDEV_POP:
    case AGG_STDDEV_SAMP:
    case AGG_VAR_POP:
    case AGG_VAR_SAMP: {
        const struct st_var *s = (const void *)p;
        bool samp =
            a->spec.func == AGG_STDDEV_SAMP || a->spec.func == AGG_VAR_SAMP;
        if (s->n == 0 || (samp && s->n < 2)) {
            row_batch_set(out, row, col, value_null());
            return;
        }
        double var = s->m2 / (double)(samp ? s->n - 1 : s->n);
        if (var < 0)
            var = 0;
        if (a->spec.func == AGG_STDDEV_POP || a->spec.func == AGG_STDDEV_SAMP)
            var = sqrt(var);
        row_batch_set(out, row, col, value_double(var));
        return;
    }
    case AGG_FIRST_VALUE:
    case AGG_LAST_VALUE: {
        const struct st_fl *s = (const void *)p;
        if (!s->n)
            row_batch_set(out, row, col, value_null());
        else if (a->in_type == SCHEMA_STRING)
            row_batch_set(
                out, row, col,
                value_string(row_batch_copy(out, s->v.s.ptr, s->v.s.len),
                             s->v.s.len));
        else
            put_num(a, out, row, col, s->v.i, s->v.f);
        return;
    }
    case AGG_PERCENTILE: {
        const struct sketch *sk = *(struct sketch *const *)(const void *)p;
        if (!sk || !sk->total)
            row_batch_set(out, row, col, value_null());
        else
            row_batch_set(out, row, col,
                          value_double(sketch_quantile(sk, a->spec.param)));
        return;
    }
    }
}

void agg_fini(const struct agg *a, void *slot)
{
    if (a->shared)
        return;
    uint8_t *p = (uint8_t *)slot + a->offset;
    switch (a->spec.func) {
    case AGG_COUNT_DISTINCT:
        mem_free(*(struct dset **)(void *)p);
        break;
    case AGG_PERCENTILE:
        sketch_free(*(struct sketch **)(void *)p);
        break;
    case AGG_MIN:
    case AGG_MAX:
        if (a->in_type == SCHEMA_STRING)
            mem_free(((struct st_minmax *)(void *)p)->v.s.ptr);
        break;
    case AGG_FIRST_VALUE:
    case AGG_LAST_VALUE:
        if (a->in_type == SCHEMA_STRING)
            mem_free(((struct st_fl *)(void *)p)->v.s.ptr);
        break;
    default:
        return;
    }
    memset(p, 0, a->size);
}

size_t agg_heap_bytes(const struct agg *a, const void *slot)
{
    if (a->shared)
        return 0;
    const uint8_t *p = (const uint8_t *)slot + a->offset;
    switch (a->spec.func) {
    case AGG_COUNT_DISTINCT: {
        const struct dset *s = *(struct dset *const *)(const void *)p;
        return s ? sizeof(*s) + s->cap * 8 : 0;
    }
    case AGG_PERCENTILE: {
        const struct sketch *s = *(struct sketch *const *)(const void *)p;
        return s ? sizeof(*s) + (size_t)(s->pos.n + s->neg.n) * 8 : 0;
    }
    default:
        return 0;
    }
}
