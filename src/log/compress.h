/* compress.h - the four Kafka record-batch codecs (layer: log).
 *
 * gzip (zlib), snappy (raw block, and xerial-framed as Java writes it, on
 * decode), lz4 (the LZ4 frame format, as Kafka uses) and zstd, through the
 * Debian libraries. Only whole-buffer calls: a record batch's records are one
 * compressed stream. Decoding never produces more than max_out bytes; the
 * limit is checked before any allocation of that size, so a small hostile
 * input cannot make us allocate gigabytes.
 */
#ifndef RILL_COMPRESS_H
#define RILL_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Values are the RecordBatch attribute bits 0-2. */
enum compress_codec {
    COMPRESS_NONE = 0,
    COMPRESS_GZIP = 1,
    COMPRESS_SNAPPY = 2,
    COMPRESS_LZ4 = 3,
    COMPRESS_ZSTD = 4
};

/* Appends the compressed form of in[0..n) to out. Returns 0, ERR_INVALID
 * for an unknown codec (COMPRESS_NONE copies). Snappy is written raw (what
 * librdkafka writes; Java and librdkafka both read it). */
int compress_encode(int codec, const void *in, size_t n, struct buf *out);

/* Appends the decompressed form of in[0..n) to out. Returns 0, ERR_CORRUPT
 * on malformed input, ERR_TOO_LARGE when the output would exceed max_out
 * bytes, ERR_INVALID for an unknown codec. On error out->len is restored. */
int compress_decode(int codec, const void *in, size_t n, size_t max_out,
                    struct buf *out);

/* "none", "gzip", "snappy", "lz4", "zstd" (or "unknown"). */
const char *compress_codec_name(int codec);
/* Parses the names above; returns the codec or ERR_INVALID. */
int compress_codec_parse(const char *name);

#endif
