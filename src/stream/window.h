/* window.h - window assigners: which windows an event time belongs to
 * (layer: stream).
 *
 * Windows are half-open [start, end) in milliseconds of event time, as in
 * Flink's window table functions:
 *   TUMBLE(size, offset)   one window; start = ts - ((ts - offset) mod size)
 *   HOP(slide, size)       size/slide windows (size a multiple of slide)
 *   CUMULATE(step, max)    windows [s, s+step), [s, s+2*step) ... [s, s+max)
 *                          with s the max-sized tumble start; a row goes in
 *                          every one whose end is past it
 *   SESSION(gap)           per key, [first ts, last ts + gap); merged by the
 *                          window operator (window_agg.c), not here
 *   NONE                   no window: a plain GROUP BY (an updating table)
 * Pure functions; any thread.
 */
#ifndef RILL_WINDOW_H
#define RILL_WINDOW_H

#include <stdint.h>

enum window_kind {
    WINDOW_NONE,
    WINDOW_TUMBLE,
    WINDOW_HOP,
    WINDOW_CUMULATE,
    WINDOW_SESSION,
};

struct window_spec {
    enum window_kind kind;
    int64_t size_ms;   /* TUMBLE, HOP: window size; CUMULATE: max size */
    int64_t slide_ms;  /* HOP: slide; CUMULATE: step */
    int64_t offset_ms; /* TUMBLE: start offset (may be negative) */
    int64_t gap_ms;    /* SESSION */
};

/* Most windows one row can fall in (HOP size/slide, CUMULATE max/step). */
#define WINDOW_MAX_PER_ROW 256

/* Checks sizes: positive, HOP/CUMULATE size a multiple of slide/step and at
 * most WINDOW_MAX_PER_ROW windows per row. Returns 0 or ERR_INVALID. */
int window_spec_check(const struct window_spec *s);

/* Writes the windows containing ts (at most WINDOW_MAX_PER_ROW) into
 * starts/ends, oldest start first; returns how many. SESSION gives
 * [ts, ts + gap); NONE gives [0, 0). */
int window_assign(const struct window_spec *s, int64_t ts, int64_t *starts,
                  int64_t *ends);

/* "TUMBLE", "HOP", ... */
const char *window_kind_name(enum window_kind k);

#endif
