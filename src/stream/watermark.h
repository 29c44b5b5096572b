/* watermark.h - event-time watermarks for one query's inputs
 * (layer: stream).
 *
 * Bounded out-of-orderness per input partition: a partition's watermark is
 * the largest event time it has delivered minus `delay_ms`. The query's
 * watermark is the minimum over the partitions that are active; a
 * partition that delivered nothing for `idle_timeout_ms` of processing
 * time stops holding it back until it delivers again. The query watermark
 * never goes backwards. Processing time is passed in by the caller (the
 * pipeline's clock), so tests run on a virtual clock. State diagram and
 * invariants: top of watermark.c. Not thread-safe: one per task.
 */
#ifndef RILL_WATERMARK_H
#define RILL_WATERMARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* No watermark yet (nothing seen, or an input still holds it back). */
#define WATERMARK_NONE INT64_MIN

#define WATERMARK_MAX_PARTITIONS 65536

struct watermark;

/* npartitions input partitions (ids 0..n-1), all NEW at now_ms (now_ms < 0:
 * their idle clocks start at the first observe or advance, for callers
 * that create it before they know the time). idle_timeout_ms <= 0 disables
 * idleness. Returns 0 or ERR_INVALID. */
int watermark_create(int npartitions, int64_t delay_ms, int64_t idle_timeout_ms,
                     int64_t now_ms, struct watermark **out);
void watermark_destroy(struct watermark *w);

/* Partition p delivered rows whose largest event time is max_event_ts,
 * at processing time now_ms. Returns 0 or ERR_RANGE for a bad partition. */
int watermark_observe(struct watermark *w, int partition, int64_t max_event_ts,
                      int64_t now_ms);

/* Marks partitions idle whose last data is older than the idle timeout and
 * recomputes the query watermark. Returns it (WATERMARK_NONE if none). */
int64_t watermark_advance(struct watermark *w, int64_t now_ms);

/* The query watermark as of the last advance. */
int64_t watermark_current(const struct watermark *w);

/* Partition p's own watermark (WATERMARK_NONE before data), and whether it
 * is idle now. */
int64_t watermark_partition(const struct watermark *w, int partition);
bool watermark_partition_idle(const struct watermark *w, int partition);
/* The minimum watermark over the partitions other than `partition` that
 * are not idle: INT64_MAX if there are none, WATERMARK_NONE if one has
 * no data yet. */
int64_t watermark_others_floor(const struct watermark *w, int partition);
int64_t watermark_delay(const struct watermark *w);
int watermark_npartitions(const struct watermark *w);

/* ---- per-key watermarks ('watermark.per-key') ----
 * Each key of a partition (a device) has its own watermark: the largest
 * event time it has delivered minus the delay. The partition's watermark
 * is then the least over its keys that are not idle (a key is idle after
 * idle_timeout_ms of processing time without data), and never goes
 * backwards: it is the floor under every key of the partition. So a key
 * whose clock runs ahead moves only its own watermark, and a key that is
 * behind (backfilling) holds the partition's floor back but not the other
 * keys (the window operator fires each key's windows on its own
 * watermark, window_agg_set_per_key). */

#define WATERMARK_MAX_KEYS (1 << 20)

/* Turns per-key tracking on (before any observe). */
void watermark_set_per_key(struct watermark *w);
bool watermark_per_key(const struct watermark *w);
/* Key `key` (len bytes, copied on first sight) of partition p delivered a
 * row with event time ts at processing time now_ms. Also observes the
 * partition. Returns 0, ERR_RANGE (partition) or ERR_TOO_LARGE (more than
 * WATERMARK_MAX_KEYS keys). */
int watermark_observe_key(struct watermark *w, int partition, const void *key,
                          size_t len, int64_t ts, int64_t now_ms);
/* As of the last advance: the keys partition p has seen, and the key that
 * holds its floor (the least watermark over its keys that are not idle):
 * its bytes (borrowed until the next observe) and watermark; false when
 * there is none (per-key off, no key active). */
int watermark_partition_keys(const struct watermark *w, int partition);
bool watermark_partition_holder(const struct watermark *w, int partition,
                                const void **key, size_t *len, int64_t *wm);

#endif
