/* buf.h - growable byte buffers and bounds-checked readers (layer: base).
 *
 * Encodings are Kafka's: big-endian fixed-width integers, unsigned LEB128
 * varints, and zig-zag signed varints / varlongs. A struct buf owns its
 * bytes; a struct buf_reader and a struct slice only borrow them.
 *
 * Readers have a sticky error: after the first short or malformed read every
 * later read returns 0 and buf_reader_ok() is false, so a decoder can read a
 * whole structure and check once at the end. Nothing here allocates while
 * reading, so parsing never copies.
 */
#ifndef RILL_BUF_H
#define RILL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A borrowed view of bytes. */
struct slice {
    const uint8_t *ptr;
    size_t len;
};

static inline struct slice slice_make(const void *p, size_t n)
{
    struct slice s = {(const uint8_t *)p, n};
    return s;
}

static inline bool slice_eq_str(struct slice s, const char *str)
{
    size_t n = strlen(str);
    return s.len == n && (n == 0 || memcmp(s.ptr, str, n) == 0);
}

/* --- fixed-width big-endian loads and stores -------------------------- */

static inline uint16_t be16_load(const void *p)
{
    const uint8_t *b = (const uint8_t *)p;
    return (uint16_t)((b[0] << 8) | b[1]);
}

static inline uint32_t be32_load(const void *p)
{
    const uint8_t *b = (const uint8_t *)p;
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
           ((uint32_t)b[2] << 8) | b[3];
}

static inline uint64_t be64_load(const void *p)
{
    const uint8_t *b = (const uint8_t *)p;
    return ((uint64_t)be32_load(b) << 32) | be32_load(b + 4);
}

static inline void be16_store(void *p, uint16_t v)
{
    uint8_t *b = (uint8_t *)p;
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static inline void be32_store(void *p, uint32_t v)
{
    uint8_t *b = (uint8_t *)p;
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

static inline void be64_store(void *p, uint64_t v)
{
    be32_store(p, (uint32_t)(v >> 32));
    be32_store((uint8_t *)p + 4, (uint32_t)v);
}

static inline uint32_t zigzag32_encode(int32_t v)
{
    return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31);
}

static inline int32_t zigzag32_decode(uint32_t v)
{
    return (int32_t)((v >> 1) ^ (~(v & 1) + 1));
}

static inline uint64_t zigzag64_encode(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t zigzag64_decode(uint64_t v)
{
    return (int64_t)((v >> 1) ^ (~(v & 1) + 1));
}

/* Bytes a uvarint / zig-zag varlong takes when encoded. */
size_t buf_uvarint_size(uint64_t v);
static inline size_t buf_varlong_size(int64_t v)
{
    return buf_uvarint_size(zigzag64_encode(v));
}

/* --- growable writer --------------------------------------------------- */

struct buf {
    uint8_t *data;
    size_t len;
    size_t cap;
};

void buf_init(struct buf *b);
void buf_fini(struct buf *b);
/* Forget the contents, keep the memory. */
static inline void buf_reset(struct buf *b)
{
    b->len = 0;
}
/* Make room for n more bytes. */
void buf_reserve(struct buf *b, size_t n);
/* Append n uninitialised bytes and return a pointer to them. */
uint8_t *buf_extend(struct buf *b, size_t n);
void buf_put(struct buf *b, const void *p, size_t n);
void buf_put_str(struct buf *b, const char *s); /* raw bytes, no length */
void buf_put_u8(struct buf *b, uint8_t v);
void buf_put_i16(struct buf *b, int16_t v);
void buf_put_i32(struct buf *b, int32_t v);
void buf_put_i64(struct buf *b, int64_t v);
void buf_put_uvarint(struct buf *b, uint64_t v);
void buf_put_varint(struct buf *b, int32_t v);  /* zig-zag */
void buf_put_varlong(struct buf *b, int64_t v); /* zig-zag */
/* printf-style text append (no NUL counted in len; data stays terminated). */
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Overwrite 4 bytes at offset off (for length prefixes filled in later). */
static inline void buf_set_i32(struct buf *b, size_t off, int32_t v)
{
    be32_store(b->data + off, (uint32_t)v);
}

/* --- bounds-checked reader -------------------------------------------- */

struct buf_reader {
    const uint8_t *p;
    const uint8_t *end;
    bool err;
};

static inline void buf_reader_init(struct buf_reader *r, const void *p,
                                   size_t n)
{
    r->p = (const uint8_t *)p;
    r->end = r->p + n;
    r->err = false;
}

static inline bool buf_reader_ok(const struct buf_reader *r)
{
    return !r->err;
}

static inline size_t buf_reader_left(const struct buf_reader *r)
{
    return r->err ? 0 : (size_t)(r->end - r->p);
}

/* The out-of-line halves of the readers below (and their slow paths). */
uint8_t buf_read_u8_slow(struct buf_reader *r);
uint64_t buf_read_uvarint_slow(struct buf_reader *r);
int32_t buf_read_varint_slow(struct buf_reader *r);
int64_t buf_read_varlong_slow(struct buf_reader *r);

/* Record iteration reads several of these per record: a one-byte value
 * (the usual case) is read inline. */
static inline uint8_t buf_read_u8(struct buf_reader *r)
{
    if (!r->err && r->p < r->end)
        return *r->p++;
    return buf_read_u8_slow(r);
}
int16_t buf_read_i16(struct buf_reader *r);
int32_t buf_read_i32(struct buf_reader *r);
int64_t buf_read_i64(struct buf_reader *r);
static inline uint64_t buf_read_uvarint(struct buf_reader *r)
{
    if (!r->err && r->p < r->end && !(*r->p & 0x80))
        return *r->p++;
    return buf_read_uvarint_slow(r);
}
static inline int32_t buf_read_varint(struct buf_reader *r)
{
    if (!r->err && r->end - r->p >= 2) {
        if (!(r->p[0] & 0x80))
            return zigzag32_decode(*r->p++);
        if (!(r->p[1] & 0x80)) {
            uint32_t v = (uint32_t)(r->p[0] & 0x7f) | (uint32_t)r->p[1] << 7;
            r->p += 2;
            return zigzag32_decode(v);
        }
    }
    return buf_read_varint_slow(r);
}
static inline int64_t buf_read_varlong(struct buf_reader *r)
{
    if (!r->err && r->end - r->p >= 2) {
        if (!(r->p[0] & 0x80))
            return zigzag64_decode(*r->p++);
        if (!(r->p[1] & 0x80)) {
            uint64_t v = (uint64_t)(r->p[0] & 0x7f) | (uint64_t)r->p[1] << 7;
            r->p += 2;
            return zigzag64_decode(v);
        }
    }
    return buf_read_varlong_slow(r);
}
/* Borrow n bytes; on a short read the slice is empty and the error set. */
struct slice buf_read_bytes_slow(struct buf_reader *r, size_t n);
static inline struct slice buf_read_bytes(struct buf_reader *r, size_t n)
{
    if (!r->err && (size_t)(r->end - r->p) >= n) {
        struct slice s = {r->p, n};
        r->p += n;
        return s;
    }
    return buf_read_bytes_slow(r, n);
}
/* Skip n bytes. */
void buf_read_skip(struct buf_reader *r, size_t n);

#endif
