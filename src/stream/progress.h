/* progress.h - the progress file of a persistent query (layer: stream).
 *
 * <state dir>/_queries/<id>.progress, rewritten atomically at most once a
 * second and when the query stops (query_task.c says what it promises):
 *
 *   rill-query-progress 1
 *   watermark <ms>|none        the query watermark then
 *   partition <i> <offset>     next input offset, one line per partition
 *
 * Lines end with '\n'; numbers are decimal int64, partitions 0..n-1.
 * Pure functions, any thread.
 */
#ifndef RILL_PROGRESS_H
#define RILL_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Appends the file for watermark wm (INT64_MIN: none) and next[0..n). */
void progress_format(struct buf *out, int64_t wm, const int64_t *next, int n);
/* Parses text[0..len) for a query of n input partitions: *wm (INT64_MIN
 * for none) and next[i] (-1 where no line names partition i). Returns 0
 * or ERR_PARSE (another header, a malformed line, a partition out of
 * range); nothing is trusted on error. */
int progress_parse(const char *text, size_t len, int n, int64_t *wm,
                   int64_t *next);

#endif
