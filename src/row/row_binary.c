/* row_binary.c - encode and decode the binary row of repartition topics
 * (layer: row). The layout is in row_binary.h. No allocation: encoding
 * appends to the caller's buf, decoding fills the caller's batch with
 * slices of the value.
 */
#include "row/row_binary.h"

#include <string.h>

#include "base/err.h"

uint32_t row_binary_schema_id(const struct schema *s)
{
    uint32_t h = 2166136261u;
    uint8_t head[2] = {ROW_BINARY_VERSION, (uint8_t)s->ncolumns};
    for (size_t i = 0; i < sizeof head; i++)
        h = (h ^ head[i]) * 16777619u;
    for (int c = 0; c < s->ncolumns; c++) {
        h = (h ^ (uint8_t)s->columns[c].type) * 16777619u;
        for (const char *n = s->columns[c].name; *n; n++)
            h = (h ^ (uint8_t)*n) * 16777619u;
        h = (h ^ 0xffu) * 16777619u;
    }
    return h;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_LE 1
#else
#define HOST_LE 0
#endif

static inline void put_le(uint8_t *d, uint64_t v, int n)
{
    if (HOST_LE) {
        if (n == 8)
            memcpy(d, &v, 8);
        else {
            uint32_t w = (uint32_t)v;
            memcpy(d, &w, 4);
        }
        return;
    }
    for (int i = 0; i < n; i++)
        d[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t get_le(const uint8_t *s, int n)
{
    if (HOST_LE) {
        if (n == 8) {
            uint64_t v;
            memcpy(&v, s, 8);
            return v;
        }
        uint32_t w;
        memcpy(&w, s, 4);
        return w;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)s[i] << (8 * i);
    return v;
}

void row_binary_block_begin(struct buf *out, uint32_t id)
{
    buf_reset(out);
    uint8_t *d = buf_extend(out, ROW_BINARY_HEADER);
    d[0] = ROW_BINARY_VERSION;
    put_le(d + 1, id, 4);
    d[5] = d[6] = 0;
}

int row_binary_block_count(const struct buf *out)
{
    if (out->len < ROW_BINARY_HEADER)
        return 0;
    return out->data[5] | out->data[6] << 8;
}

void row_binary_block_add(struct buf *out, const struct row_batch *b, int row,
                          int64_t event_ts, int32_t partition)
{
    int nc = b->ncolumns;
    size_t nb = ((size_t)nc + 7) / 8;
    size_t max = 12 + nb;
    for (int c = 0; c < nc; c++)
        max += b->columns[c].type == SCHEMA_STRING
                   ? 5 + b->columns[c].data.str[row].len
                   : 8;
    uint8_t *d = buf_extend(out, max);
    size_t k = 0;
    put_le(d + k, (uint64_t)event_ts, 8);
    k += 8;
    put_le(d + k, (uint32_t)partition, 4);
    k += 4;
    uint8_t *bits = d + k;
    memset(bits, 0, nb);
    k += nb;
    for (int c = 0; c < nc; c++) {
        const struct row_column *col = &b->columns[c];
        if (col->nulls[row]) {
            bits[c / 8] |= (uint8_t)(1u << (c % 8));
            continue;
        }
        switch (col->type) {
        case SCHEMA_BOOLEAN:
            d[k++] = col->data.b[row] ? 1 : 0;
            break;
        case SCHEMA_INT:
            put_le(d + k, (uint32_t)col->data.i32[row], 4);
            k += 4;
            break;
        case SCHEMA_DOUBLE: {
            uint64_t v;
            memcpy(&v, &col->data.f64[row], 8);
            put_le(d + k, v, 8);
            k += 8;
            break;
        }
        case SCHEMA_STRING: {
            uint32_t len = col->data.str[row].len;
            uint32_t v = len;
            do {
                uint8_t byte = v & 0x7f;
                v >>= 7;
                d[k++] = v ? byte | 0x80 : byte;
            } while (v);
            memcpy(d + k, col->data.str[row].ptr, len);
            k += len;
            break;
        }
        default:
            put_le(d + k, (uint64_t)col->data.i64[row], 8);
            k += 8;
            break;
        }
    }
    out->len -= max - k;
    int count = row_binary_block_count(out) + 1;
    out->data[5] = (uint8_t)count;
    out->data[6] = (uint8_t)(count >> 8);
}

static int bad(struct row_error *err, size_t at, const char *what)
{
    return row_error_set(err, ERR_PARSE, at, "binary row: %s", what);
}

/* One row at p + *k into row `row` of b: 0 or ERR_PARSE. */
static int decode_row(const struct schema *s, struct row_batch *b, int row,
                      const uint8_t *p, size_t n, size_t *kp,
                      struct row_error *err)
{
    int nc = s->ncolumns;
    size_t nb = ((size_t)nc + 7) / 8;
    size_t k = *kp;
    if (n - k < nb)
        return bad(err, k, "truncated row");
    const uint8_t *bits = p + k;
    k += nb;
    for (int c = 0; c < nc; c++) {
        struct row_column *col = &b->columns[c];
        if (bits[c / 8] & (1u << (c % 8))) {
            col->nulls[row] = 1;
            continue;
        }
        col->nulls[row] = 0;
        size_t need = col->type == SCHEMA_BOOLEAN  ? 1
                      : col->type == SCHEMA_INT    ? 4
                      : col->type == SCHEMA_STRING ? 1
                                                   : 8;
        if (n - k < need)
            return bad(err, k, "truncated value");
        switch (col->type) {
        case SCHEMA_BOOLEAN:
            if (p[k] > 1)
                return bad(err, k, "a BOOLEAN that is not 0 or 1");
            col->data.b[row] = p[k++];
            break;
        case SCHEMA_INT:
            col->data.i32[row] = (int32_t)(uint32_t)get_le(p + k, 4);
            k += 4;
            break;
        case SCHEMA_DOUBLE: {
            uint64_t v = get_le(p + k, 8);
            memcpy(&col->data.f64[row], &v, 8);
            k += 8;
            break;
        }
        case SCHEMA_STRING: {
            uint32_t len = 0;
            int shift = 0;
            for (;;) {
                if (k >= n || shift > 28)
                    return bad(err, k, "bad string length");
                uint8_t byte = p[k++];
                len |= (uint32_t)(byte & 0x7f) << shift;
                if (!(byte & 0x80))
                    break;
                shift += 7;
            }
            if (len >= (1u << 30) || n - k < len)
                return bad(err, k, "truncated string");
            col->data.str[row].ptr = (const char *)p + k;
            col->data.str[row].len = len;
            k += len;
            break;
        }
        default:
            col->data.i64[row] = (int64_t)get_le(p + k, 8);
            k += 8;
            break;
        }
    }
    *kp = k;
    return 0;
}

int row_binary_decode(const struct schema *s, uint32_t id, struct row_batch *b,
                      const uint8_t *p, size_t n, const struct row_meta *meta,
                      struct row_error *err)
{
    if (n < ROW_BINARY_HEADER)
        return bad(err, 0, "truncated header");
    if (p[0] != ROW_BINARY_VERSION)
        return bad(err, 0, "unknown version");
    if ((uint32_t)get_le(p + 1, 4) != id)
        return bad(err, 1, "written with another schema");
    int count = p[5] | p[6] << 8;
    if (count < 1 || count > ROW_BINARY_BLOCK_MAX)
        return bad(err, 5, "bad row count");
    if (b->capacity - b->nrows < count)
        return ERR_TOO_LARGE;
    int first = b->nrows;
    size_t k = ROW_BINARY_HEADER;
    struct row_meta m =
        meta ? *meta : (struct row_meta){-1, -1, -1, -1, INT64_MIN};
    for (int i = 0; i < count; i++) {
        if (n - k < 12) {
            b->nrows = first; /* all or nothing */
            return bad(err, k, "truncated row");
        }
        m.record_ts = m.event_ts = (int64_t)get_le(p + k, 8);
        m.partition = (int32_t)(uint32_t)get_le(p + k + 8, 4);
        k += 12;
        int row = row_batch_begin_row(b);
        int rc = row < 0 ? ERR_TOO_LARGE : decode_row(s, b, row, p, n, &k, err);
        if (rc) {
            b->nrows = first;
            return rc;
        }
        row_batch_commit_row(b, &m);
    }
    if (k != n) {
        b->nrows = first;
        return bad(err, k, "trailing bytes");
    }
    return count;
}
