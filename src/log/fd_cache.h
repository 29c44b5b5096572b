/* fd_cache.h - a bound on the segment files a process keeps open (layer:
 * log, used by segment.c and partition.c; the bound is set by whoever owns
 * the process: `rill serve` from rill.log.open.files.max).
 *
 * Every segment whose partition owns it (segment_set_owner) and whose .log
 * file is open is on one process-wide ring. When more than the bound are
 * open, the one that opened a file closes cold ones: a CLOCK sweep (a
 * segment read or written since the hand last passed gets a second chance)
 * over segments that nobody else holds (no reader slice, no flusher: refs
 * == 1) and whose partition's mutex it holds or can take without waiting
 * (bytes not yet fsynced are fsynced later through a new descriptor). A closed
 * file is opened again by the next read or append (segment.c, seg_fd). The
 * bound is soft: when every open file is in use it is exceeded until one is
 * not.
 *
 * The hit path is a relaxed atomic store; the ring's mutex is taken only
 * to open, close or disown, never per record. Thread-safe.
 */
#ifndef RILL_FD_CACHE_H
#define RILL_FD_CACHE_H

#include <pthread.h>
#include <stdint.h>

struct segment;

/* Bound on open segment files (0: none, the default). Any thread. */
void fd_cache_set_max(int64_t max);
int64_t fd_cache_max(void);
/* Segment files open now and owned by a partition; files closed by the
 * bound since the process started. */
int64_t fd_cache_open_count(void);
uint64_t fd_cache_evictions(void);

/* segment.c: s->fd was just opened; `held` is a partition mutex the caller
 * holds (or NULL). Evicts cold files above the bound, never s itself. */
void fd_cache_opened(struct segment *s, pthread_mutex_t *held);
/* segment.c: s is being freed (its last reference); takes it off the ring. */
void fd_cache_forget(struct segment *s);
/* Sets the mutex that guards s (its partition's; NULL: disowned, as when its
 * files are unlinked or its partition goes away). Only owned segments are
 * on the ring and can be closed by the bound. `held` as above. */
void fd_cache_set_owner(struct segment *s, pthread_mutex_t *owner,
                        pthread_mutex_t *held);
/* Closes up to n cold files regardless of the bound (after EMFILE), held as
 * above. Returns how many it closed. */
int fd_cache_shrink(int n, pthread_mutex_t *held);

#endif
