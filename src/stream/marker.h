/* marker.h - the watermark marker of repartition topics (layer: stream).
 *
 * Every stage-0 task of a repartitioning query writes one to every
 * partition of the repartition topic after its rows whenever its
 * watermark or idleness changes (stream_writer_marker: the log back end
 * makes it a record consumers skip). Value, 13 bytes, big-endian:
 *
 *   offset  size  field
 *   0       4     stage-0 task (its input partition), int32
 *   4       8     its watermark, int64 (INT64_MIN: none yet)
 *   12      1     1 if its input is idle, else 0
 *
 * Pure functions, any thread.
 */
#ifndef RILL_MARKER_H
#define RILL_MARKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MARKER_SIZE 13

struct marker {
    int32_t task;
    int64_t watermark;
    bool idle;
};

void marker_encode(const struct marker *m, uint8_t out[MARKER_SIZE]);
/* 0, or ERR_PARSE (not MARKER_SIZE bytes, a negative task, an idle byte
 * other than 0 or 1). */
int marker_decode(const uint8_t *p, size_t n, struct marker *out);

#endif
