/* buf.c - growable buffers and sticky-error readers (layer: base). */
#include "base/buf.h"

#include "base/mem.h"

#include <stdarg.h>
#include <stdio.h>

size_t buf_uvarint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

void buf_init(struct buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_fini(struct buf *b)
{
    mem_free(b->data);
    buf_init(b);
}

void buf_reserve(struct buf *b, size_t n)
{
    if (b->cap - b->len >= n + 1)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len < n + 1)
        cap *= 2;
    b->data = mem_realloc(b->data, cap);
    b->cap = cap;
}

uint8_t *buf_extend(struct buf *b, size_t n)
{
    buf_reserve(b, n);
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}

void buf_put(struct buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    memcpy(buf_extend(b, n), p, n);
}

void buf_put_str(struct buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

void buf_put_u8(struct buf *b, uint8_t v)
{
    *buf_extend(b, 1) = v;
}

void buf_put_i16(struct buf *b, int16_t v)
{
    be16_store(buf_extend(b, 2), (uint16_t)v);
}

void buf_put_i32(struct buf *b, int32_t v)
{
    be32_store(buf_extend(b, 4), (uint32_t)v);
}

void buf_put_i64(struct buf *b, int64_t v)
{
    be64_store(buf_extend(b, 8), (uint64_t)v);
}

void buf_put_uvarint(struct buf *b, uint64_t v)
{
    buf_reserve(b, 10);
    uint8_t *p = b->data + b->len;
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    b->len = (size_t)(p - b->data);
}

void buf_put_varint(struct buf *b, int32_t v)
{
    buf_put_uvarint(b, zigzag32_encode(v));
}

void buf_put_varlong(struct buf *b, int64_t v)
{
    buf_put_uvarint(b, zigzag64_encode(v));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        buf_put(b, tmp, (size_t)n);
    } else {
        buf_reserve(b, (size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
    }
    b->data[b->len] = '\0';
}

static inline bool need(struct buf_reader *r, size_t n)
{
    if (r->err || (size_t)(r->end - r->p) < n) {
        r->err = true;
        return false;
    }
    return true;
}

uint8_t buf_read_u8_slow(struct buf_reader *r)
{
    if (!need(r, 1))
        return 0;
    return *r->p++;
}

int16_t buf_read_i16(struct buf_reader *r)
{
    if (!need(r, 2))
        return 0;
    int16_t v = (int16_t)be16_load(r->p);
    r->p += 2;
    return v;
}

int32_t buf_read_i32(struct buf_reader *r)
{
    if (!need(r, 4))
        return 0;
    int32_t v = (int32_t)be32_load(r->p);
    r->p += 4;
    return v;
}

int64_t buf_read_i64(struct buf_reader *r)
{
    if (!need(r, 8))
        return 0;
    int64_t v = (int64_t)be64_load(r->p);
    r->p += 8;
    return v;
}

uint64_t buf_read_uvarint_slow(struct buf_reader *r)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (!need(r, 1))
            return 0;
        uint8_t byte = *r->p++;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return v;
    }
    r->err = true; /* more than 10 bytes: malformed */
    return 0;
}

int32_t buf_read_varint_slow(struct buf_reader *r)
{
    uint64_t v = buf_read_uvarint_slow(r);
    if (v > UINT32_MAX) {
        r->err = true;
        return 0;
    }
    return zigzag32_decode((uint32_t)v);
}

int64_t buf_read_varlong_slow(struct buf_reader *r)
{
    return zigzag64_decode(buf_read_uvarint_slow(r));
}

struct slice buf_read_bytes_slow(struct buf_reader *r, size_t n)
{
    struct slice s = {NULL, 0};
    if (!need(r, n))
        return s;
    s.ptr = r->p;
    s.len = n;
    r->p += n;
    return s;
}

void buf_read_skip(struct buf_reader *r, size_t n)
{
    if (need(r, n))
        r->p += n;
}
