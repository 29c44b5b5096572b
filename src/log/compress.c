/* compress.c - gzip, snappy, lz4 and zstd for record batches (layer: log).
 *
 * Whole-buffer encode/decode over the Debian libraries (zlib, snappy's C
 * API, liblz4's frame API, libzstd). Decoders grow the output buffer in
 * steps and never beyond max_out, so the ceiling is enforced before memory
 * is committed. Snappy input may be a raw block (librdkafka) or xerial
 * framing (Java): magic "\x82SNAPPY\0", int32 version, int32 compatible
 * version, then blocks of { int32 BE length, raw snappy block }.
 */
#include "log/compress.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "base/err.h"

static const uint8_t xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
#define XERIAL_HEADER_SIZE 16

const char *compress_codec_name(int codec)
{
    switch (codec) {
    case COMPRESS_NONE:
        return "none";
    case COMPRESS_GZIP:
        return "gzip";
    case COMPRESS_SNAPPY:
        return "snappy";
    case COMPRESS_LZ4:
        return "lz4";
    case COMPRESS_ZSTD:
        return "zstd";
    default:
        return "unknown";
    }
}

int compress_codec_parse(const char *name)
{
    for (int c = COMPRESS_NONE; c <= COMPRESS_ZSTD; c++)
        if (strcmp(name, compress_codec_name(c)) == 0)
            return c;
    return ERR_INVALID;
}

/* Makes at least some free room after out->len without passing max_out
 * bytes of output (start counts what was there before this decode).
 * Returns the free bytes usable, 0 when the ceiling is reached. */
static size_t grow(struct buf *out, size_t start, size_t max_out, size_t want)
{
    /* One byte of slack: a stream that fills max_out exactly must still be
     * able to report its end; more than max_out is caught by the caller. */
    if (max_out < SIZE_MAX)
        max_out++;
    size_t produced = out->len - start;
    if (produced >= max_out)
        return 0;
    size_t room = max_out - produced;
    if (want > room)
        want = room;
    if (out->cap - out->len < want)
        buf_reserve(out, want);
    size_t avail = out->cap - out->len;
    return avail < room ? avail : room;
}

/* --- gzip ---------------------------------------------------------------- */

static int gzip_encode(const void *in, size_t n, struct buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return ERR_INVALID;
    size_t bound = deflateBound(&z, (uLong)n) + 32;
    buf_reserve(out, bound);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out->data + out->len;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    if (rc != Z_STREAM_END) {
        deflateEnd(&z);
        return ERR_INVALID;
    }
    out->len += z.total_out;
    deflateEnd(&z);
    return 0;
}

static int gzip_decode(const uint8_t *in, size_t n, size_t max_out,
                       struct buf *out)
{
    size_t start = out->len;
    z_stream z;
    memset(&z, 0, sizeof(z));
    /* 15 + 32: accept gzip or zlib headers. */
    if (inflateInit2(&z, 15 + 32) != Z_OK)
        return ERR_INVALID;
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    int err = 0;
    for (;;) {
        size_t want = out->len - start < 4096 ? n * 4 + 4096 : out->len - start;
        size_t avail = grow(out, start, max_out, want);
        if (avail == 0) {
            err = ERR_TOO_LARGE;
            break;
        }
        if (avail > UINT32_MAX)
            avail = UINT32_MAX;
        z.next_out = out->data + out->len;
        z.avail_out = (uInt)avail;
        int rc = inflate(&z, Z_NO_FLUSH);
        out->len += avail - z.avail_out;
        if (rc == Z_STREAM_END) {
            if (z.avail_in == 0)
                break;
            /* Concatenated gzip members, as GZIPInputStream reads them. */
            if (inflateReset(&z) != Z_OK) {
                err = ERR_CORRUPT;
                break;
            }
            continue;
        }
        if (rc == Z_BUF_ERROR && z.avail_out == 0)
            continue;
        if (rc != Z_OK) {
            err = ERR_CORRUPT;
            break;
        }
        if (z.avail_in == 0 && z.avail_out != 0) {
            err = ERR_CORRUPT; /* input ended inside the stream */
            break;
        }
    }
    inflateEnd(&z);
    if (!err && out->len - start > max_out)
        err = ERR_TOO_LARGE;
    if (err)
        out->len = start;
    return err;
}

/* --- snappy -------------------------------------------------------------- */

static int snappy_encode(const void *in, size_t n, struct buf *out)
{
    size_t cap = snappy_max_compressed_length(n);
    buf_reserve(out, cap);
    size_t got = cap;
    if (snappy_compress((const char *)in, n, (char *)out->data + out->len,
                        &got) != SNAPPY_OK)
        return ERR_INVALID;
    out->len += got;
    return 0;
}

static int snappy_block(const uint8_t *in, size_t n, size_t start,
                        size_t max_out, struct buf *out)
{
    size_t ulen;
    if (snappy_uncompressed_length((const char *)in, n, &ulen) != SNAPPY_OK)
        return ERR_CORRUPT;
    if (ulen > max_out - (out->len - start))
        return ERR_TOO_LARGE;
    if (snappy_validate_compressed_buffer((const char *)in, n) != SNAPPY_OK)
        return ERR_CORRUPT;
    buf_reserve(out, ulen + 1);
    size_t got = ulen;
    if (snappy_uncompress((const char *)in, n, (char *)out->data + out->len,
                          &got) != SNAPPY_OK ||
        got != ulen)
        return ERR_CORRUPT;
    out->len += got;
    return 0;
}

static int snappy_decode(const uint8_t *in, size_t n, size_t max_out,
                         struct buf *out)
{
    size_t start = out->len;
    int err = 0;
    if (n >= XERIAL_HEADER_SIZE && memcmp(in, xerial_magic, 8) == 0) {
        size_t pos = XERIAL_HEADER_SIZE;
        while (pos < n) {
            if (n - pos < 4) {
                err = ERR_CORRUPT;
                break;
            }
            uint32_t blen = be32_load(in + pos);
            pos += 4;
            if (blen > n - pos) {
                err = ERR_CORRUPT;
                break;
            }
            err = snappy_block(in + pos, blen, start, max_out, out);
            if (err)
                break;
            pos += blen;
        }
    } else {
        err = snappy_block(in, n, start, max_out, out);
    }
    if (!err && out->len - start > max_out)
        err = ERR_TOO_LARGE;
    if (err)
        out->len = start;
    return err;
}

/* --- lz4 (frame format) ------------------------------------------------ */

static int lz4_encode(const void *in, size_t n, struct buf *out)
{
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof(prefs));
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    size_t bound = LZ4F_compressFrameBound(n, &prefs);
    buf_reserve(out, bound);
    size_t got = LZ4F_compressFrame(out->data + out->len, bound, in, n, &prefs);
    if (LZ4F_isError(got))
        return ERR_INVALID;
    out->len += got;
    return 0;
}

static int lz4_decode(const uint8_t *in, size_t n, size_t max_out,
                      struct buf *out)
{
    size_t start = out->len;
    LZ4F_dctx *dctx;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
        return ERR_INVALID;
    int err = 0;
    size_t pos = 0;
    size_t hint = 1;
    while (hint != 0) {
        size_t want = out->len - start < 4096 ? n * 4 + 4096 : out->len - start;
        size_t avail = grow(out, start, max_out, want);
        if (avail == 0) {
            err = ERR_TOO_LARGE;
            break;
        }
        size_t dst = avail, src = n - pos;
        hint = LZ4F_decompress(dctx, out->data + out->len, &dst, in + pos, &src,
                               NULL);
        if (LZ4F_isError(hint)) {
            err = ERR_CORRUPT;
            break;
        }
        out->len += dst;
        pos += src;
        if (hint != 0 && pos == n && dst < avail) {
            err = ERR_CORRUPT; /* frame not finished, input exhausted */
            break;
        }
    }
    LZ4F_freeDecompressionContext(dctx);
    if (!err && out->len - start > max_out)
        err = ERR_TOO_LARGE;
    if (err)
        out->len = start;
    return err;
}

/* --- zstd ---------------------------------------------------------------- */

static int zstd_encode(const void *in, size_t n, struct buf *out)
{
    size_t bound = ZSTD_compressBound(n);
    buf_reserve(out, bound);
    size_t got = ZSTD_compress(out->data + out->len, bound, in, n, 3);
    if (ZSTD_isError(got))
        return ERR_INVALID;
    out->len += got;
    return 0;
}

static int zstd_decode(const uint8_t *in, size_t n, size_t max_out,
                       struct buf *out)
{
    size_t start = out->len;
    ZSTD_DStream *ds = ZSTD_createDStream();
    if (!ds)
        return ERR_INVALID;
    ZSTD_initDStream(ds);
    /* A frame may demand a window of up to 2^windowLog bytes before it
     * produces anything; cap it so a tiny input cannot make us allocate
     * more than 16 MiB (producers at any sane level stay far below). */
    ZSTD_DCtx_setParameter(ds, ZSTD_d_windowLogMax, 24);
    ZSTD_inBuffer ib = {in, n, 0};
    int err = 0;
    size_t rc = 1;
    for (;;) {
        size_t want = out->len - start < 4096 ? n * 4 + 4096 : out->len - start;
        size_t avail = grow(out, start, max_out, want);
        if (avail == 0) {
            err = ERR_TOO_LARGE;
            break;
        }
        ZSTD_outBuffer ob = {out->data + out->len, avail, 0};
        rc = ZSTD_decompressStream(ds, &ob, &ib);
        out->len += ob.pos;
        if (ZSTD_isError(rc)) {
            err = ERR_CORRUPT;
            break;
        }
        if (rc == 0 && ib.pos == ib.size)
            break; /* frame complete, input consumed */
        if (ib.pos == ib.size && ob.pos < ob.size) {
            /* All input consumed, room left: either a finished frame
             * followed by nothing, or a truncated frame. */
            err = rc == 0 ? 0 : ERR_CORRUPT;
            break;
        }
    }
    ZSTD_freeDStream(ds);
    if (!err && out->len - start > max_out)
        err = ERR_TOO_LARGE;
    if (err)
        out->len = start;
    return err;
}

int compress_encode(int codec, const void *in, size_t n, struct buf *out)
{
    switch (codec) {
    case COMPRESS_NONE:
        buf_put(out, in, n);
        return 0;
    case COMPRESS_GZIP:
        return gzip_encode(in, n, out);
    case COMPRESS_SNAPPY:
        return snappy_encode(in, n, out);
    case COMPRESS_LZ4:
        return lz4_encode(in, n, out);
    case COMPRESS_ZSTD:
        return zstd_encode(in, n, out);
    default:
        return ERR_INVALID;
    }
}

int compress_decode(int codec, const void *in, size_t n, size_t max_out,
                    struct buf *out)
{
    const uint8_t *p = (const uint8_t *)in;
    switch (codec) {
    case COMPRESS_NONE:
        if (n > max_out)
            return ERR_TOO_LARGE;
        buf_put(out, in, n);
        return 0;
    case COMPRESS_GZIP:
        return gzip_decode(p, n, max_out, out);
    case COMPRESS_SNAPPY:
        return snappy_decode(p, n, max_out, out);
    case COMPRESS_LZ4:
        return lz4_decode(p, n, max_out, out);
    case COMPRESS_ZSTD:
        return zstd_decode(p, n, max_out, out);
    default:
        return ERR_INVALID;
    }
}
