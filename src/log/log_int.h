/* log_int.h - what logdir.c, partition.c and flusher.c share inside the log
 * layer (layer: log). Nothing outside src/log/ includes this file.
 */
#ifndef RILL_LOG_INT_H
#define RILL_LOG_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "log/logdir.h"
#include "log/partition.h"

struct flusher;

/* --- append notification (logdir.c; docs/log.md "Waiting for appends") --
 * One per logdir. An append bumps seq (one atomic add) and takes mu to
 * broadcast cv only when waiters > 0; a waiter registers in waiters before
 * it checks seq under mu, so no wake-up is lost (both are seq_cst). */
typedef void (*log_append_fn)(void *arg);

struct log_notify {
    _Atomic uint64_t seq;
    atomic_int waiters;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    /* logdir_set_append_listener: arg is stored before fn */
    _Atomic(log_append_fn) fn;
    _Atomic(void *) arg;
};

/* Called by partition_append after a successful append, and by
 * partition_flush after it advanced the durable offset; any thread. */
void log_notify_append(struct log_notify *n);
/* Makes p's appends and durable advances bump n (NULL: none). Set once, right
 * after partition_open, before p is shared. */
void partition_set_notify(struct partition *p, struct log_notify *n);

/* --- partition life cycle (logdir.c) --------------------------------- */

/* Opens the partition directory dir (created unless read_only), recovering
 * from recovery_point (offsets below it were fsynced): every segment from
 * the one containing it is walked with CRC checks and a bad tail cut off;
 * earlier segments load their indexes. flusher may be NULL. */
int partition_open(const char *dir, const char *topic, int32_t id,
                   const struct logdir_topic_config *cfg, bool read_only,
                   int64_t recovery_point, struct flusher *flusher,
                   struct partition **out);
/* Replaces p's copy of its topic's configuration (under its mutex). */
void partition_set_config(struct partition *p,
                          const struct logdir_topic_config *cfg);
void partition_ref(struct partition *p);
/* The last reference frees it (files stay unless partition_remove ran). */
void partition_unref(struct partition *p);
/* Closes for good and removes every file and the directory (topic delete):
 * later appends get ERR_CLOSED, waiters wake with ERR_CLOSED. */
int partition_remove(struct partition *p);
/* Writes the active segment's index files (clean shutdown). */
void partition_shutdown(struct partition *p);
/* Whether the flusher should sync p now (mono_ms: clock_mono_ms()). */
bool partition_flush_due(struct partition *p, int64_t mono_ms,
                         int64_t interval_ms, int64_t bytes);
/* Fsyncs what p has unflushed (data, sealed indexes, directory) and
 * advances the durable offset. Returns 1 if the durable offset advanced,
 * 0 if there was nothing to do, or the I/O error that made p FAILED. */
int partition_flush(struct partition *p);

/* --- compaction (cleaner.c, partition.c; docs/log.md "Compacted topics") */

struct segment;
struct cleaner_map;

/* The key -> latest offset map of one pass: about bytes of memory. */
struct cleaner_map *cleaner_map_create(int64_t bytes);
void cleaner_map_destroy(struct cleaner_map *m); /* NULL: no-op */
/* One pass over p if its policy compacts and it is due (or force):
 * returns 1 if it rewrote something, 0 if not, or a negative error
 * (logged; nothing changed). Adds to *st. *stop non-zero (logdir_close)
 * abandons the pass between two batches (ERR_CLOSED; what was swapped
 * stays, the segment in progress is left as it was). Cleaner thread or a
 * test. */
int cleaner_clean_partition(struct partition *p, struct cleaner_map *m,
                            int64_t io_bytes_per_sec, int64_t now_ms,
                            bool force, const atomic_int *stop,
                            struct logdir_clean_stats *st);

/* What a pass sees of a partition, taken under its mutex: its closed
 * segments (referenced, oldest first; they never change while closed),
 * offsets and configuration. */
struct partition_clean_view {
    struct segment **segs;
    size_t n;
    int64_t log_start, durable, first_dirty;
    struct logdir_topic_config cfg;
    const char *dir; /* the partition's, valid while p is */
};
/* Fills v (ERR_CLOSED / ERR_FAILED: nothing to clean). */
int partition_clean_begin(struct partition *p, struct partition_clean_view *v);
void partition_clean_end(struct partition_clean_view *v);
/* Locks p's mutex if old is still one of its segments and p is open, and
 * marks old as being replaced (retention and DeleteRecords stop before it
 * until partition_clean_swap): the caller renames the cleaned files into
 * place, then calls partition_clean_unlock. false: nothing locked. */
bool partition_clean_lock(struct partition *p, struct segment *old);
void partition_clean_unlock(struct partition *p);
/* Puts fresh in old's place (a reference moves to p) and clears the mark;
 * false (fresh not used) if old is gone meanwhile. fresh NULL: clears the
 * mark only. */
bool partition_clean_swap(struct partition *p, struct segment *old,
                          struct segment *fresh);
/* Everything below first_dirty is clean: remembered in
 * <dir>/cleaner-offset (atomic write) for the next pass and restarts. */
void partition_clean_done(struct partition *p, int64_t first_dirty);

/* --- the flusher thread (flusher.c) ---------------------------------- */

/* Runs round(arg) whenever kicked and at least every tick_ms. */
int flusher_start(int64_t tick_ms, void (*round)(void *arg), void *arg,
                  struct flusher **out);
/* Wakes the thread for a round soon; any thread, never blocks long. */
void flusher_kick(struct flusher *f);
/* Stops and joins the thread. NULL is a no-op. */
void flusher_stop(struct flusher *f);

#endif
