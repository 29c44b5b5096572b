/* record_batch.c - RecordBatch v2: header decode, CRC, record iteration and
 * the batch builder (layer: log). No I/O, no global state, no allocation per
 * record: records are slices into the batch or the caller's scratch buffer.
 *
 * Batch header (big-endian, 61 bytes):
 *   off size field                 off size field
 *     0  8   baseOffset             27  8   baseTimestamp
 *     8  4   batchLength (= n-12)   35  8   maxTimestamp
 *    12  4   partitionLeaderEpoch   43  8   producerId
 *    16  1   magic (2)              51  2   producerEpoch
 *    17  4   crc (CRC-32C [21,end)) 53  4   baseSequence
 *    21  2   attributes             57  4   recordCount
 *    23  4   lastOffsetDelta        61  ... records (maybe compressed)
 *
 * Record (zig-zag varints): length, attributes int8, timestampDelta varlong,
 * offsetDelta, keyLength (-1 null), key, valueLength (-1 null), value,
 * headerCount, then per header keyLength, key, valueLength (-1 null), value.
 * length must cover the fields exactly.
 */
#include "log/record_batch.h"

#include <string.h>

#include "base/crc32c.h"
#include "base/err.h"

/* Wrapping adds: offsets and timestamps come from untrusted bytes. */
static int64_t add_wrap(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

int record_batch_header_decode(const uint8_t *p, size_t n,
                               struct record_batch_header *out)
{
    memset(out, 0, sizeof(*out));
    out->batch_length = -1;
    if (n < RECORD_BATCH_LOG_OVERHEAD)
        return ERR_AGAIN;
    out->base_offset = (int64_t)be64_load(p);
    out->batch_length = (int32_t)be32_load(p + 8);
    if (out->batch_length < RECORD_BATCH_MIN_LENGTH)
        return ERR_CORRUPT;
    if (n >= 17) {
        out->leader_epoch = (int32_t)be32_load(p + 12);
        out->magic = (int8_t)p[16];
        if (out->magic != RECORD_BATCH_MAGIC)
            return ERR_CORRUPT;
    }
    if (n < RECORD_BATCH_HEADER_SIZE)
        return ERR_AGAIN;
    out->crc = be32_load(p + 17);
    out->attributes = (int16_t)be16_load(p + 21);
    out->last_offset_delta = (int32_t)be32_load(p + 23);
    out->base_timestamp = (int64_t)be64_load(p + 27);
    out->max_timestamp = (int64_t)be64_load(p + 35);
    out->producer_id = (int64_t)be64_load(p + 43);
    out->producer_epoch = (int16_t)be16_load(p + 51);
    out->base_sequence = (int32_t)be32_load(p + 53);
    out->record_count = (int32_t)be32_load(p + 57);
    if (n < record_batch_size(out))
        return ERR_AGAIN;
    return 0;
}

uint32_t record_batch_compute_crc(const uint8_t *p, size_t batch_size)
{
    return crc32c(0, p + RECORD_BATCH_ATTRIBUTES_OFFSET,
                  batch_size - RECORD_BATCH_ATTRIBUTES_OFFSET);
}

int record_batch_verify(const uint8_t *p, size_t n)
{
    struct record_batch_header h;
    int rc = record_batch_header_decode(p, n, &h);
    if (rc)
        return rc;
    if (h.record_count < 0 || h.last_offset_delta < 0)
        return ERR_CORRUPT;
    if (record_batch_compute_crc(p, record_batch_size(&h)) != h.crc)
        return ERR_CORRUPT;
    return 0;
}

void record_batch_set_base_offset(uint8_t *p, int64_t base_offset)
{
    be64_store(p, (uint64_t)base_offset);
}

void record_batch_set_leader_epoch(uint8_t *p, int32_t leader_epoch)
{
    be32_store(p + 12, (uint32_t)leader_epoch);
}

void record_batch_set_log_append_time(uint8_t *p, int64_t timestamp_ms)
{
    uint16_t attrs = be16_load(p + RECORD_BATCH_ATTRIBUTES_OFFSET);
    be16_store(p + RECORD_BATCH_ATTRIBUTES_OFFSET,
               (uint16_t)(attrs | RECORD_BATCH_ATTR_LOG_APPEND_TIME));
    be64_store(p + 35, (uint64_t)timestamp_ms);
    size_t size = RECORD_BATCH_LOG_OVERHEAD + be32_load(p + 8);
    be32_store(p + RECORD_BATCH_CRC_OFFSET, record_batch_compute_crc(p, size));
}

/* --- walk ------------------------------------------------------------- */

void record_batch_walk_init(struct record_batch_walk *w, const void *p,
                            size_t n)
{
    w->p = (const uint8_t *)p;
    w->n = n;
    w->pos = 0;
    w->truncated = false;
}

int record_batch_walk_next(struct record_batch_walk *w,
                           struct record_batch_header *hdr,
                           const uint8_t **batch, size_t *len)
{
    if (w->pos >= w->n)
        return 0;
    int rc = record_batch_header_decode(w->p + w->pos, w->n - w->pos, hdr);
    if (rc == ERR_AGAIN) {
        w->truncated = true;
        return 0;
    }
    if (rc)
        return rc;
    *batch = w->p + w->pos;
    *len = record_batch_size(hdr);
    w->pos += *len;
    return 1;
}

/* --- iterate ---------------------------------------------------------- */

int record_iter_init_max(struct record_iter *it, const uint8_t *batch,
                         size_t len, struct buf *scratch, size_t max_out)
{
    memset(it, 0, sizeof(*it));
    int rc = record_batch_header_decode(batch, len, &it->hdr);
    if (rc)
        return rc;
    if (it->hdr.record_count < 0)
        return ERR_CORRUPT;
    const uint8_t *recs = batch + RECORD_BATCH_HEADER_SIZE;
    size_t n = record_batch_size(&it->hdr) - RECORD_BATCH_HEADER_SIZE;
    int codec = record_batch_attr_codec(it->hdr.attributes);
    if (codec == COMPRESS_NONE) {
        buf_reader_init(&it->r, recs, n);
        return 0;
    }
    if (!scratch || codec > COMPRESS_ZSTD)
        return ERR_INVALID;
    buf_reset(scratch);
    rc = compress_decode(codec, recs, n, max_out, scratch);
    if (rc)
        return rc;
    /* An empty decompressed stream leaves data NULL; never offset NULL. */
    static const uint8_t empty[1];
    buf_reader_init(&it->r, scratch->data ? scratch->data : empty,
                    scratch->len);
    return 0;
}

int record_iter_init(struct record_iter *it, const uint8_t *batch, size_t len,
                     struct buf *scratch)
{
    return record_iter_init_max(it, batch, len, scratch,
                                RECORD_BATCH_MAX_DECOMPRESSED);
}

/* Reads a varint length followed by that many bytes; -1 means null when
 * nullable. Returns false on malformed input. */
static bool read_bytes(struct buf_reader *r, bool nullable, struct slice *s,
                       bool *is_null)
{
    int32_t n = buf_read_varint(r);
    if (!buf_reader_ok(r))
        return false;
    if (n < 0) {
        if (n != -1 || !nullable)
            return false;
        s->ptr = NULL;
        s->len = 0;
        *is_null = true;
        return true;
    }
    *is_null = false;
    *s = buf_read_bytes(r, (size_t)n);
    return buf_reader_ok(r);
}

int record_iter_next(struct record_iter *it, struct record *out)
{
    if (it->r.err)
        return ERR_CORRUPT;
    if (it->index >= it->hdr.record_count)
        return 0;
    int32_t len = buf_read_varint(&it->r);
    if (!buf_reader_ok(&it->r) || len < 0 ||
        (size_t)len > buf_reader_left(&it->r))
        goto corrupt;
    struct buf_reader rr;
    buf_reader_init(&rr, it->r.p, (size_t)len);
    it->r.p += len;

    (void)buf_read_u8(&rr); /* record attributes: unused */
    int64_t ts_delta = buf_read_varlong(&rr);
    int32_t off_delta = buf_read_varint(&rr);
    if (!buf_reader_ok(&rr))
        goto corrupt;
    if (!read_bytes(&rr, true, &out->key, &out->key_null) ||
        !read_bytes(&rr, true, &out->value, &out->value_null))
        goto corrupt;
    int32_t hcount = buf_read_varint(&rr);
    if (!buf_reader_ok(&rr) || hcount < 0)
        goto corrupt;
    const uint8_t *hstart = rr.p;
    for (int32_t i = 0; i < hcount; i++) {
        struct slice k, v;
        bool knull, vnull;
        if (!read_bytes(&rr, false, &k, &knull) ||
            !read_bytes(&rr, true, &v, &vnull))
            goto corrupt;
    }
    if (buf_reader_left(&rr) != 0)
        goto corrupt; /* length must cover the fields exactly */
    out->headers = slice_make(hstart, (size_t)(rr.p - hstart));
    out->header_count = hcount;
    out->offset = add_wrap(it->hdr.base_offset, off_delta);
    if (record_batch_attr_log_append_time(it->hdr.attributes))
        out->timestamp = it->hdr.max_timestamp;
    else
        out->timestamp = add_wrap(it->hdr.base_timestamp, ts_delta);
    it->index++;
    return 1;
corrupt:
    it->r.err = true;
    return ERR_CORRUPT;
}

void record_header_iter_init(struct record_header_iter *hi,
                             const struct record *rec)
{
    static const uint8_t empty[1];
    buf_reader_init(&hi->r, rec->headers.ptr ? rec->headers.ptr : empty,
                    rec->headers.len);
    hi->left = rec->header_count;
}

int record_header_iter_next(struct record_header_iter *hi, struct slice *key,
                            struct slice *value, bool *value_null)
{
    if (hi->r.err)
        return ERR_CORRUPT;
    if (hi->left <= 0)
        return 0;
    bool knull;
    if (!read_bytes(&hi->r, false, key, &knull) ||
        !read_bytes(&hi->r, true, value, value_null)) {
        hi->r.err = true;
        return ERR_CORRUPT;
    }
    hi->left--;
    return 1;
}

/* --- build ------------------------------------------------------------ */

void record_batch_builder_init(struct record_batch_builder *b, int codec)
{
    memset(b, 0, sizeof(*b));
    buf_init(&b->records);
    b->codec = codec;
    b->producer_id = -1;
    b->producer_epoch = -1;
    b->base_sequence = -1;
    b->leader_epoch = -1;
}

void record_batch_builder_fini(struct record_batch_builder *b)
{
    buf_fini(&b->records);
}

void record_batch_builder_reset(struct record_batch_builder *b)
{
    buf_reset(&b->records);
    b->count = 0;
    b->base_timestamp = 0;
    b->max_timestamp = 0;
}

void record_batch_builder_set_producer(struct record_batch_builder *b,
                                       int64_t producer_id, int16_t epoch,
                                       int32_t base_sequence)
{
    b->producer_id = producer_id;
    b->producer_epoch = epoch;
    b->base_sequence = base_sequence;
}

static size_t varint_size(int32_t v)
{
    return buf_uvarint_size(zigzag32_encode(v));
}

static size_t bytes_size(const struct slice *s)
{
    return s ? varint_size((int32_t)s->len) + s->len : varint_size(-1);
}

/* Writers into space the caller reserved (record_batch_builder_add
 * reserves a record's whole size once). */
static inline uint8_t *put_uv(uint8_t *d, uint64_t v)
{
    while (v >= 0x80) {
        *d++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *d++ = (uint8_t)v;
    return d;
}

static inline uint8_t *put_bytes(uint8_t *d, const struct slice *s)
{
    if (!s)
        return put_uv(d, zigzag32_encode(-1));
    d = put_uv(d, zigzag32_encode((int32_t)s->len));
    if (s->len)
        memcpy(d, s->ptr, s->len);
    return d + s->len;
}

int record_batch_builder_add(struct record_batch_builder *b,
                             const struct slice *key, const struct slice *value,
                             int64_t timestamp,
                             const struct record_header *headers,
                             int32_t header_count)
{
    if (b->count == INT32_MAX || header_count < 0 ||
        (key && key->len > INT32_MAX) || (value && value->len > INT32_MAX))
        return ERR_TOO_LARGE;
    if (b->count == 0) {
        b->base_timestamp = timestamp;
        b->max_timestamp = timestamp;
    } else if (timestamp > b->max_timestamp) {
        b->max_timestamp = timestamp;
    }
    int64_t ts_delta =
        (int64_t)((uint64_t)timestamp - (uint64_t)b->base_timestamp);
    size_t body = 1 + buf_varlong_size(ts_delta) + varint_size(b->count) +
                  bytes_size(key) + bytes_size(value) +
                  varint_size(header_count);
    for (int32_t i = 0; i < header_count; i++) {
        if (headers[i].key.len > INT32_MAX ||
            (headers[i].value && headers[i].value->len > INT32_MAX))
            return ERR_TOO_LARGE;
        body += bytes_size(&headers[i].key) + bytes_size(headers[i].value);
    }
    if (body > INT32_MAX || b->records.len + body > INT32_MAX - 100)
        return ERR_TOO_LARGE;
    uint8_t *start = buf_extend(&b->records, body + 5), *d = start;
    d = put_uv(d, zigzag32_encode((int32_t)body));
    *d++ = 0;
    d = put_uv(d, zigzag64_encode(ts_delta));
    d = put_uv(d, zigzag32_encode(b->count));
    d = put_bytes(d, key);
    d = put_bytes(d, value);
    d = put_uv(d, zigzag32_encode(header_count));
    for (int32_t i = 0; i < header_count; i++) {
        d = put_bytes(d, &headers[i].key);
        d = put_bytes(d, headers[i].value);
    }
    b->records.len -= body + 5 - (size_t)(d - start);
    b->count++;
    return 0;
}

int record_batch_builder_finish(struct record_batch_builder *b, struct buf *out)
{
    if (b->count == 0)
        return ERR_INVALID;
    size_t start = out->len;
    uint8_t *h = buf_extend(out, RECORD_BATCH_HEADER_SIZE);
    memset(h, 0, RECORD_BATCH_HEADER_SIZE);
    int rc = compress_encode(b->codec, b->records.data, b->records.len, out);
    if (rc) {
        out->len = start;
        return rc;
    }
    size_t size = out->len - start;
    if (size - RECORD_BATCH_LOG_OVERHEAD > INT32_MAX) {
        out->len = start;
        return ERR_TOO_LARGE;
    }
    h = out->data + start; /* the buffer may have moved */
    int16_t attrs = (int16_t)((b->codec & RECORD_BATCH_ATTR_CODEC_MASK) |
                              b->extra_attributes);
    be64_store(h, (uint64_t)b->base_offset);
    be32_store(h + 8, (uint32_t)(size - RECORD_BATCH_LOG_OVERHEAD));
    be32_store(h + 12, (uint32_t)b->leader_epoch);
    h[16] = RECORD_BATCH_MAGIC;
    be16_store(h + 21, (uint16_t)attrs);
    be32_store(h + 23, (uint32_t)(b->count - 1));
    be64_store(h + 27, (uint64_t)b->base_timestamp);
    be64_store(h + 35, (uint64_t)b->max_timestamp);
    be64_store(h + 43, (uint64_t)b->producer_id);
    be16_store(h + 51, (uint16_t)b->producer_epoch);
    be32_store(h + 53, (uint32_t)b->base_sequence);
    be32_store(h + 57, (uint32_t)b->count);
    be32_store(h + 17, record_batch_compute_crc(h, size));
    return 0;
}
