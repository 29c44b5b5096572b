/* senml_cbor.c - SenML in CBOR (RFC 8428 section 6, RFC 8949) -> rows,
 * with the same mapping and resolution as the JSON decoder (layer: row).
 *
 * A pack is a definite-length array of definite-length maps whose keys
 * are the integer labels of RFC 8428 table 6 (text keys too: unknown ones
 * are skipped unless they end in '_', must-understand). Numbers may be
 * unsigned or negative integers or half, single or double floats; vd is a
 * byte string, given to the data_value column in base64url as SenML JSON
 * carries it; text is checked as UTF-8. Indefinite lengths are refused,
 * nesting is limited to 16 levels, and every length is checked against
 * the bytes left before it is used.
 *
 *   label  field      label  field
 *   -1     bver       0      n
 *   -2     bn         1      u
 *   -3     bt         2      v
 *   -4     bu         3      vs
 *   -5     bv         4      vb
 *   -6     bs         5      s
 *                     6      t
 *                     7      ut
 *                     8      vd
 */
#include <math.h>
#include <string.h>

#include "base/arena.h"
#include "base/err.h"
#include "row/json_encode.h"
#include "row/senml_int.h"

#define MAX_DEPTH 16

struct cbor {
    const uint8_t *base, *p, *end;
    struct row_batch *b;
    struct row_error *err;
};

static size_t off(const struct cbor *c)
{
    return (size_t)(c->p - c->base);
}

static int bad(struct cbor *c, const char *what)
{
    return row_error_set(c->err, ERR_PARSE, off(c), "CBOR: %s", what);
}

/* Reads an item head: major type and argument. */
static int head(struct cbor *c, int *major, uint64_t *arg)
{
    if (c->p >= c->end)
        return bad(c, "unexpected end of data");
    uint8_t ib = *c->p++;
    *major = ib >> 5;
    uint8_t ai = ib & 31;
    if (ai < 24) {
        *arg = ai;
        return 0;
    }
    if (ai > 27)
        return bad(c, ai == 31 ? "indefinite lengths are not supported"
                               : "reserved additional information");
    size_t n = (size_t)1 << (ai - 24);
    if ((size_t)(c->end - c->p) < n)
        return bad(c, "unexpected end of data");
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | c->p[i];
    c->p += n;
    *arg = v;
    return 0;
}

static double half(uint16_t h)
{
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0    ? ldexp(m, -24)
               : e == 31 ? (m ? NAN : INFINITY)
                         : ldexp(m + 1024, e - 25);
    return (h & 0x8000) ? -v : v;
}

/* A number (integer or float; tags before it are skipped). */
static int number(struct cbor *c, double *out)
{
    for (int tags = 0;; tags++) {
        const uint8_t *at = c->p;
        int major = 0;
        uint64_t arg = 0;
        int rc = head(c, &major, &arg);
        if (rc)
            return rc;
        if (major == 6 && tags < MAX_DEPTH)
            continue;
        if (major == 0) {
            *out = (double)arg;
            return 0;
        }
        if (major == 1) {
            *out = -1.0 - (double)arg;
            return 0;
        }
        if (major == 7 && (at[0] & 31) >= 25 && (at[0] & 31) <= 27) {
            if ((at[0] & 31) == 25) {
                *out = half((uint16_t)arg);
            } else if ((at[0] & 31) == 26) {
                uint32_t u = (uint32_t)arg;
                float f;
                memcpy(&f, &u, 4);
                *out = f;
            } else {
                memcpy(out, &arg, 8);
            }
            if (!isfinite(*out)) {
                c->p = at;
                return bad(c, "a number is NaN or infinite");
            }
            return 0;
        }
        c->p = at;
        return bad(c, "expected a number");
    }
}

/* A text string (major 3) as a slice of the input. */
static int text(struct cbor *c, struct row_str *out)
{
    const uint8_t *at = c->p;
    int major = 0;
    uint64_t len = 0;
    int rc = head(c, &major, &len);
    if (rc)
        return rc;
    if (major != 3) {
        c->p = at;
        return bad(c, "expected a text string");
    }
    if (len > (uint64_t)(c->end - c->p))
        return bad(c, "text string longer than the data");
    if (!json_utf8_valid((const char *)c->p, (size_t)len))
        return bad(c, "text string is not UTF-8");
    out->ptr = (const char *)c->p;
    out->len = (uint32_t)len;
    c->p += len;
    return 0;
}

/* A byte string as base64url text (no padding) in the batch's arena. */
static int bytes_b64(struct cbor *c, struct row_str *out)
{
    static const char al[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const uint8_t *at = c->p;
    int major = 0;
    uint64_t len = 0;
    int rc = head(c, &major, &len);
    if (rc)
        return rc;
    if (major != 2) {
        c->p = at;
        return bad(c, "vd: expected a byte string");
    }
    if (len > (uint64_t)(c->end - c->p))
        return bad(c, "byte string longer than the data");
    size_t n = (size_t)len, outn = n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
    char *o = arena_alloc(&c->b->arena, outn ? outn : 1);
    size_t k = 0;
    const uint8_t *q = c->p;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)q[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)q[i + 1] << 8;
        if (i + 2 < n)
            v |= q[i + 2];
        o[k++] = al[v >> 18 & 63];
        o[k++] = al[v >> 12 & 63];
        if (i + 1 < n)
            o[k++] = al[v >> 6 & 63];
        if (i + 2 < n)
            o[k++] = al[v & 63];
    }
    out->ptr = o;
    out->len = (uint32_t)k;
    c->p += n;
    return 0;
}

static int skip(struct cbor *c, int depth)
{
    if (depth > MAX_DEPTH)
        return bad(c, "nested too deeply");
    int major = 0;
    uint64_t arg = 0;
    int rc = head(c, &major, &arg);
    if (rc)
        return rc;
    switch (major) {
    case 2:
    case 3:
        if (arg > (uint64_t)(c->end - c->p))
            return bad(c, "string longer than the data");
        c->p += arg;
        return 0;
    case 4:
    case 5: {
        uint64_t items = major == 5 ? arg * 2 : arg;
        if (arg > (uint64_t)(c->end - c->p))
            return bad(c, "more items than bytes");
        for (uint64_t i = 0; i < items; i++)
            if ((rc = skip(c, depth + 1)))
                return rc;
        return 0;
    }
    case 6:
        return skip(c, depth + 1);
    default:
        return 0;
    }
}

static int boolean(struct cbor *c, bool *out)
{
    if (c->p < c->end && (*c->p == 0xf4 || *c->p == 0xf5)) {
        *out = *c->p++ == 0xf5;
        return 0;
    }
    return bad(c, "vb: expected true or false");
}

/* One record map into r, updating base. */
static int record(struct cbor *c, struct base *base, struct rec *r)
{
    memset(r, 0, sizeof(*r));
    const uint8_t *at = c->p;
    int major = 0;
    uint64_t npairs = 0;
    int rc = head(c, &major, &npairs);
    if (rc)
        return rc;
    if (major != 5) {
        c->p = at;
        return bad(c, "expected a SenML record map");
    }
    if (npairs > (uint64_t)(c->end - c->p))
        return bad(c, "more pairs than bytes");
    for (uint64_t i = 0; i < npairs; i++) {
        const uint8_t *kat = c->p;
        uint64_t lab = 0;
        int64_t label = 0;
        if ((rc = head(c, &major, &lab)))
            return rc;
        if (major == 0 && lab <= 8) {
            label = (int64_t)lab;
        } else if (major == 1 && lab <= 5) {
            label = -1 - (int64_t)lab;
        } else if (major == 3) {
            c->p = kat;
            struct row_str k;
            if ((rc = text(c, &k)))
                return rc;
            if (k.len && k.ptr[k.len - 1] == '_')
                return row_error_set(c->err, ERR_PARSE, (size_t)(kat - c->base),
                                     "must-understand field \"%.*s\" is not "
                                     "supported",
                                     (int)(k.len > 40 ? 40 : k.len), k.ptr);
            if ((rc = skip(c, 1)))
                return rc;
            continue;
        } else if (major == 0 || major == 1) {
            if ((rc = skip(c, 1))) /* a label this version does not know */
                return rc;
            continue;
        } else {
            c->p = kat;
            return bad(c, "expected an integer or text label");
        }
        double ver;
        switch (label) {
        case -1:
            if ((rc = number(c, &ver)))
                return rc;
            if (ver != floor(ver) || ver < 1 || ver > SENML_VERSION)
                return row_error_set(c->err, ERR_PARSE, (size_t)(kat - c->base),
                                     "unsupported SenML version %g", ver);
            break;
        case -2:
            rc = text(c, &base->bn);
            break;
        case -3:
            rc = number(c, &base->bt);
            break;
        case -4:
            rc = text(c, &base->bu);
            break;
        case -5:
            rc = number(c, &base->bv);
            break;
        case -6:
            rc = number(c, &base->bs);
            break;
        case 0:
            rc = text(c, &r->n);
            r->has |= F_N;
            break;
        case 1:
            rc = text(c, &r->u);
            r->has |= F_U;
            break;
        case 2:
            rc = number(c, &r->v);
            r->has |= F_V;
            break;
        case 3:
            rc = text(c, &r->vs);
            r->has |= F_VS;
            break;
        case 4:
            rc = boolean(c, &r->vb);
            r->has |= F_VB;
            break;
        case 5:
            rc = number(c, &r->s);
            r->has |= F_S;
            break;
        case 6:
            rc = number(c, &r->t);
            r->has |= F_T;
            break;
        case 7:
            rc = number(c, &r->ut);
            r->has |= F_UT;
            break;
        case 8:
            rc = bytes_b64(c, &r->vd);
            r->has |= F_VD;
            break;
        }
        if (rc)
            return rc;
    }
    return 0;
}

int senml_decode_cbor(struct senml_decoder *d, struct row_batch *b,
                      const uint8_t *p, size_t n, int64_t now_ms,
                      const struct row_meta *meta, struct row_error *err)
{
    int first = b->nrows, rc;
    if (n > ROW_RECORD_MAX)
        return row_error_set(err, ERR_TOO_LARGE, 0,
                             "record larger than %zu bytes", ROW_RECORD_MAX);
    struct cbor c = {p, p, p + n, b, err};
    struct base base;
    memset(&base, 0, sizeof(base));
    int major = 0;
    uint64_t count = 0;
    if ((rc = head(&c, &major, &count)))
        goto out_rollback;
    if (major != 4) {
        c.p = p;
        rc = bad(&c, "expected a SenML array");
        goto out_rollback;
    }
    if (count > n) {
        rc = bad(&c, "more records than bytes");
        goto out_rollback;
    }
    for (uint64_t i = 0; i < count; i++) {
        struct rec r;
        size_t at = off(&c);
        if ((rc = record(&c, &base, &r)))
            goto out_rollback;
        if (!(r.has & (F_N | F_V | F_VS | F_VB | F_VD | F_S)))
            continue;
        int row = row_batch_begin_row(b);
        if (row < 0) {
            rc = row_error_set(err, ERR_TOO_LARGE, at, "row batch is full");
            goto out_rollback;
        }
        if ((rc = senml_write_row(d, b, row, &base, &r, now_ms, at, err)))
            goto out_rollback;
        row_batch_commit_row(b, meta);
    }
    if (c.p != c.end) {
        rc = bad(&c, "unexpected data after the SenML array");
        goto out_rollback;
    }
    return b->nrows - first;
out_rollback:
    b->nrows = first;
    return rc;
}
