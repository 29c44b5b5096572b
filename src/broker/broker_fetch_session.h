/* broker_fetch_session.h - incremental fetch sessions (KIP-227) for Fetch
 * v7+ (layer: broker).
 *
 * A consumer that sends session_id 0 and epoch 0 gets a session: the
 * broker remembers its partitions with their fetch offsets and limits, and
 * answers its id. Later requests (that id, epoch 1, 2, ...) name only the
 * partitions that changed (and forgotten ones); the broker fetches every
 * partition of the session and answers only those with something new:
 * records, an error, or a changed high watermark, last stable offset or log
 * start. Epoch -1 closes a session (that request is sessionless). An
 * unknown id is FETCH_SESSION_ID_NOT_FOUND (70), a wrong epoch
 * INVALID_FETCH_SESSION_EPOCH (71), both top-level with session id 0.
 * At most FSESS_MAX sessions (Kafka's max.incremental.fetch.session.cache
 * .slots); a new one evicts the least recently used idle for FSESS_IDLE_MS
 * (min.incremental.fetch.session.eviction.ms), else none is created
 * (session id 0: the client keeps sending full requests).
 * Partitions that returned records move to the end of their session, so
 * max_bytes is shared fairly over successive fetches, as Kafka does.
 * Loop thread only.
 */
#ifndef RILL_BROKER_FETCH_SESSION_H
#define RILL_BROKER_FETCH_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "kafka/kafka_proto.h"

#define FSESS_MAX 1000
#define FSESS_IDLE_MS 120000

struct fetch_sessions;
struct partition_slice;

void fsess_create(struct fetch_sessions **out);
/* NULL is a no-op. */
void fsess_free(struct fetch_sessions *fs);

struct fsess_result {
    int16_t error;      /* top-level error: answer it, nothing fetched */
    int32_t session_id; /* for the answer (0: sessionless) */
    bool from_session;  /* fetch the session's partitions (fsess_parts) */
    bool incremental;   /* answer only what changed (fsess_filter) */
};

/* Applies a Fetch request's session fields (v7+; names already resolved
 * for v13+ topic ids, "" for an unknown id). */
struct fsess_result fsess_begin(struct fetch_sessions *fs,
                                const struct kafka_fetch_request *rq,
                                int16_t version, int64_t now_ms);

/* A session's partitions, in fetch order. */
struct fsess_part {
    struct slice name;
    struct kafka_uuid id;
    int32_t partition;
    int64_t fetch_offset;
    int32_t max_bytes;
};
/* Copies session id's partitions into an arena array; returns the count
 * (0 if the session is gone). */
size_t fsess_parts(struct fetch_sessions *fs, int32_t id, struct arena *a,
                   struct fsess_part **out);

/* At answer time: updates the session's cached high watermark, last stable
 * offset and log start of every partition, and (incremental) compacts the
 * answer to the partitions with something new: resp->topics,
 * resp->ntopics, the flat prs array, slices and flat_base are rewritten
 * together (a dropped partition never holds a slice). nparts is the flat
 * count. A session that is gone or no longer matches leaves the answer
 * whole. */
void fsess_filter(struct fetch_sessions *fs, int32_t id, bool incremental,
                  struct kafka_fetch_response *resp,
                  struct kafka_fetch_partition_response *prs,
                  struct partition_slice *slices, size_t *flat_base,
                  size_t nparts);

#endif
