/* json_encode.c - rows to JSON objects (layer: row).
 *
 * Writes into a caller's growable buf; the only formatting call that is not
 * hand-written is snprintf for non-integral doubles.
 */
#include "row/json_encode.h"

#include <stdint.h>
#include <string.h>

#include "row/scalar.h"

void json_encode_string(struct buf *out, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* Worst case every byte becomes \u00XX (6 bytes). */
    uint8_t *d = buf_extend(out, n * 6 + 2);
    size_t k = 0;
    d[k++] = '"';
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)p[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            d[k++] = c;
            continue;
        }
        d[k++] = '\\';
        switch (c) {
        case '"':
            d[k++] = '"';
            break;
        case '\\':
            d[k++] = '\\';
            break;
        case '\n':
            d[k++] = 'n';
            break;
        case '\r':
            d[k++] = 'r';
            break;
        case '\t':
            d[k++] = 't';
            break;
        case '\b':
            d[k++] = 'b';
            break;
        case '\f':
            d[k++] = 'f';
            break;
        default:
            d[k++] = 'u';
            d[k++] = '0';
            d[k++] = '0';
            d[k++] = (uint8_t)hex[c >> 4];
            d[k++] = (uint8_t)hex[c & 15];
            break;
        }
    }
    d[k++] = '"';
    out->len -= n * 6 + 2 - k; /* give back what was not used */
}

void json_encode_value(struct buf *out, struct value v)
{
    char tmp[SCALAR_DOUBLE_MAX > 24 ? SCALAR_DOUBLE_MAX : 24];
    size_t n;
    switch (v.type) {
    case SCHEMA_NULL:
        buf_put(out, "null", 4);
        return;
    case SCHEMA_BOOLEAN:
        if (v.u.b)
            buf_put(out, "true", 4);
        else
            buf_put(out, "false", 5);
        return;
    case SCHEMA_INT:
        n = scalar_format_int(v.u.i32, tmp);
        buf_put(out, tmp, n);
        return;
    case SCHEMA_BIGINT:
        n = scalar_format_int(v.u.i64, tmp);
        buf_put(out, tmp, n);
        return;
    case SCHEMA_DOUBLE:
        n = scalar_format_double(v.u.f64, tmp);
        buf_put(out, tmp, n);
        return;
    case SCHEMA_STRING:
        json_encode_string(out, v.u.str.ptr, v.u.str.len);
        return;
    case SCHEMA_TIMESTAMP: {
        char ts[SCALAR_TIMESTAMP_MAX + 2];
        ts[0] = '"';
        n = scalar_format_timestamp(v.u.i64, ts + 1);
        ts[n + 1] = '"';
        buf_put(out, ts, n + 2);
        return;
    }
    }
}

void json_encode_row(const struct row_batch *b, int row, struct buf *out)
{
    const struct schema *s = b->schema;
    buf_put_u8(out, '{');
    for (int c = 0; c < b->ncolumns; c++) {
        if (c)
            buf_put_u8(out, ',');
        const char *name = s->columns[c].name;
        json_encode_string(out, name, strlen(name));
        buf_put_u8(out, ':');
        json_encode_value(out, row_batch_get(b, row, c));
    }
    buf_put_u8(out, '}');
}

bool json_utf8_valid(const char *p, size_t n)
{
    const uint8_t *s = (const uint8_t *)p;
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

void json_encode_base64(struct buf *out, const void *p, size_t n)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const uint8_t *s = p;
    size_t want = (n + 2) / 3 * 4 + 2;
    uint8_t *d = buf_extend(out, want);
    size_t k = 0, i = 0;
    d[k++] = '"';
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        d[k++] = (uint8_t)tab[v >> 18];
        d[k++] = (uint8_t)tab[(v >> 12) & 63];
        d[k++] = (uint8_t)tab[(v >> 6) & 63];
        d[k++] = (uint8_t)tab[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        d[k++] = (uint8_t)tab[v >> 18];
        d[k++] = (uint8_t)tab[(v >> 12) & 63];
        d[k++] = '=';
        d[k++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        d[k++] = (uint8_t)tab[v >> 18];
        d[k++] = (uint8_t)tab[(v >> 12) & 63];
        d[k++] = (uint8_t)tab[(v >> 6) & 63];
        d[k++] = '=';
    }
    d[k++] = '"';
    out->len -= want - k;
}
