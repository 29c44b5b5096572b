/* marker.c - encode and decode watermark markers (layer: stream); the
 * layout is in marker.h.
 */
#include "stream/marker.h"

#include "base/buf.h"
#include "base/err.h"

void marker_encode(const struct marker *m, uint8_t out[MARKER_SIZE])
{
    be32_store(out, (uint32_t)m->task);
    be64_store(out + 4, (uint64_t)m->watermark);
    out[12] = m->idle ? 1 : 0;
}

int marker_decode(const uint8_t *p, size_t n, struct marker *out)
{
    if (!p || n != MARKER_SIZE || p[12] > 1)
        return ERR_PARSE;
    int32_t task = (int32_t)be32_load(p);
    if (task < 0)
        return ERR_PARSE;
    out->task = task;
    out->watermark = (int64_t)be64_load(p + 4);
    out->idle = p[12] == 1;
    return 0;
}
