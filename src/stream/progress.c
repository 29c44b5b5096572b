/* progress.c - format and parse query progress files (layer: stream);
 * the format is in progress.h. The parser reads within len only: the
 * text need not end with a NUL.
 */
#include "stream/progress.h"

#include <inttypes.h>
#include <string.h>

#include "base/err.h"

#define HEADER "rill-query-progress 1\n"

void progress_format(struct buf *out, int64_t wm, const int64_t *next, int n)
{
    buf_put_str(out, HEADER);
    if (wm == INT64_MIN)
        buf_printf(out, "watermark none\n");
    else
        buf_printf(out, "watermark %" PRId64 "\n", wm);
    for (int i = 0; i < n; i++)
        buf_printf(out, "partition %d %" PRId64 "\n", i, next[i]);
}

/* A decimal int64 at *p (optional '-'), then the cursor after it. */
static int parse_i64(const char **p, const char *end, int64_t *out)
{
    const char *s = *p;
    bool neg = s < end && *s == '-';
    if (neg)
        s++;
    if (s >= end || *s < '0' || *s > '9')
        return ERR_PARSE;
    uint64_t v = 0;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return ERR_PARSE;
        v = v * 10 + d;
    }
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
        return ERR_PARSE;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    *p = s;
    return 0;
}

static bool take(const char **p, const char *end, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(end - *p) < n || memcmp(*p, word, n))
        return false;
    *p += n;
    return true;
}

int progress_parse(const char *text, size_t len, int n, int64_t *wm,
                   int64_t *next)
{
    const char *p = text, *end = text + len;
    if (!take(&p, end, HEADER))
        return ERR_PARSE;
    *wm = INT64_MIN;
    for (int i = 0; i < n; i++)
        next[i] = -1;
    while (p < end) {
        int64_t a, b;
        if (take(&p, end, "watermark ")) {
            if (!take(&p, end, "none")) {
                if (parse_i64(&p, end, &a))
                    return ERR_PARSE;
                *wm = a;
            }
        } else if (take(&p, end, "partition ")) {
            if (parse_i64(&p, end, &a) || !take(&p, end, " ") ||
                parse_i64(&p, end, &b) || a < 0 || a >= n)
                return ERR_PARSE;
            next[a] = b;
        } else {
            return ERR_PARSE;
        }
        if (!take(&p, end, "\n"))
            return ERR_PARSE;
    }
    return 0;
}
