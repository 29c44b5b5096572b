/* window.c - window assigners (layer: stream). See window.h for the rules.
 * Floor division throughout, so negative event times (before 1970) land in
 * the right window. */
#include "stream/window.h"

#include "base/err.h"

static int64_t floor_mod(int64_t a, int64_t m)
{
    int64_t r = a % m;
    return r < 0 ? r + m : r;
}

int window_spec_check(const struct window_spec *s)
{
    switch (s->kind) {
    case WINDOW_NONE:
        return 0;
    case WINDOW_TUMBLE:
        return s->size_ms > 0 ? 0 : ERR_INVALID;
    case WINDOW_HOP:
    case WINDOW_CUMULATE:
        if (s->size_ms <= 0 || s->slide_ms <= 0 ||
            s->size_ms % s->slide_ms != 0 ||
            s->size_ms / s->slide_ms > WINDOW_MAX_PER_ROW)
            return ERR_INVALID;
        return 0;
    case WINDOW_SESSION:
        return s->gap_ms > 0 ? 0 : ERR_INVALID;
    }
    return ERR_INVALID;
}

int window_assign(const struct window_spec *s, int64_t ts, int64_t *starts,
                  int64_t *ends)
{
    switch (s->kind) {
    case WINDOW_NONE:
        starts[0] = 0;
        ends[0] = 0;
        return 1;
    case WINDOW_TUMBLE: {
        int64_t st = ts - floor_mod(ts - s->offset_ms, s->size_ms);
        starts[0] = st;
        ends[0] = st + s->size_ms;
        return 1;
    }
    case WINDOW_HOP: {
        int64_t last = ts - floor_mod(ts - s->offset_ms, s->slide_ms);
        int n = (int)(s->size_ms / s->slide_ms);
        /* starts last - (n-1)*slide .. last, oldest first */
        for (int i = 0; i < n; i++) {
            starts[i] = last - (int64_t)(n - 1 - i) * s->slide_ms;
            ends[i] = starts[i] + s->size_ms;
        }
        return n;
    }
    case WINDOW_CUMULATE: {
        int64_t st = ts - floor_mod(ts - s->offset_ms, s->size_ms);
        int64_t first = (ts - st) / s->slide_ms + 1; /* steps to cover ts */
        int n = 0;
        for (int64_t k = first; k * s->slide_ms <= s->size_ms; k++) {
            starts[n] = st;
            ends[n] = st + k * s->slide_ms;
            n++;
        }
        return n;
    }
    case WINDOW_SESSION:
        starts[0] = ts;
        ends[0] = ts + s->gap_ms;
        return 1;
    }
    return 0;
}

const char *window_kind_name(enum window_kind k)
{
    switch (k) {
    case WINDOW_NONE:
        return "NONE";
    case WINDOW_TUMBLE:
        return "TUMBLE";
    case WINDOW_HOP:
        return "HOP";
    case WINDOW_CUMULATE:
        return "CUMULATE";
    case WINDOW_SESSION:
        return "SESSION";
    }
    return "?";
}
