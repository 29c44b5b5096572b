/* group_coord.h - the classic consumer-group coordinator as pure logic
 * (layer: broker).
 *
 * No sockets, no clock, no disk: time comes in as a parameter (`now`, ms)
 * and answers to JoinGroup/SyncGroup, which may come much later, go out
 * through callbacks with an opaque `waiter` the caller passed in. This is
 * what makes the state machine unit-testable on a virtual clock; the wire
 * side lives in group_handlers.c and committed offsets in group_offsets.c.
 *
 * Errors returned and delivered are Kafka error codes (int16, 0 = none),
 * because this module *is* the protocol edge of the group coordinator.
 * Not thread-safe: the broker's loop thread only.
 */
#ifndef RILL_GROUP_COORD_H
#define RILL_GROUP_COORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Kafka error codes used by the coordinator. */
enum {
    GROUP_ERR_NONE = 0,
    GROUP_ERR_COORDINATOR_NOT_AVAILABLE = 15,
    GROUP_ERR_NOT_COORDINATOR = 16,
    GROUP_ERR_ILLEGAL_GENERATION = 22,
    GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL = 23,
    GROUP_ERR_INVALID_GROUP_ID = 24,
    GROUP_ERR_UNKNOWN_MEMBER_ID = 25,
    GROUP_ERR_INVALID_SESSION_TIMEOUT = 26,
    GROUP_ERR_REBALANCE_IN_PROGRESS = 27,
    GROUP_ERR_GROUP_ID_NOT_FOUND = 69,
    GROUP_ERR_MEMBER_ID_REQUIRED = 79,
    GROUP_ERR_FENCED_INSTANCE_ID = 82,
};

enum group_state {
    GROUP_EMPTY = 0,
    GROUP_PREPARING_REBALANCE,
    GROUP_COMPLETING_REBALANCE,
    GROUP_STABLE,
    GROUP_DEAD,
};

/* Kafka's names: "Empty", "PreparingRebalance", "CompletingRebalance",
 * "Stable", "Dead". */
const char *group_state_name(enum group_state s);

struct group_coord_config {
    int64_t initial_rebalance_delay_ms; /* Kafka: 3000; rill default 0 */
    int32_t min_session_timeout_ms;     /* Kafka: 6000 */
    int32_t max_session_timeout_ms;     /* Kafka: 1800000 */
    uint64_t seed;                      /* member-id randomness; 0 = clock */
};

void group_coord_config_defaults(struct group_coord_config *c);

/* One (name, metadata) protocol of a JoinGroup; borrowed during the call. */
struct group_protocol {
    struct slice name;
    struct slice metadata;
};

struct group_join_req {
    struct slice group_id;
    struct slice member_id;   /* empty on a first join */
    struct slice instance_id; /* group.instance.id; ptr NULL = absent */
    struct slice client_id;
    struct slice client_host;
    struct slice protocol_type;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms; /* v0: pass the session timeout */
    bool require_known_member_id; /* JoinGroup v4+: KIP-394 handshake */
    size_t nprotocols;
    const struct group_protocol *protocols;
};

/* What a JoinGroup answers. Pointers are borrowed for the callback only.
 * Only the leader gets members (nmembers > 0). */
struct group_join_member {
    const char *member_id;
    const char *instance_id; /* NULL = none */
    struct slice metadata;   /* for the chosen protocol */
};

struct group_join_result {
    int16_t error;
    int32_t generation_id; /* -1 on error */
    const char *protocol_type;
    const char *protocol_name; /* "" on error */
    const char *leader_id;     /* "" on error */
    const char *member_id;     /* the member's id (the new one for 79) */
    size_t nmembers;
    const struct group_join_member *members;
};

struct group_assignment {
    struct slice member_id;
    struct slice assignment;
};

/* Completion callbacks, run on the caller's thread, possibly from inside
 * group_coord_join/sync/leave/tick. They must not call back into the
 * coordinator. */
struct group_coord_ops {
    void (*join_done)(void *ctx, void *waiter,
                      const struct group_join_result *r);
    void (*sync_done)(void *ctx, void *waiter, int16_t error,
                      struct slice assignment);
};

struct group_coord;

void group_coord_create(const struct group_coord_config *cfg,
                        const struct group_coord_ops *ops, void *ctx,
                        struct group_coord **out);
/* Parked waiters are dropped without callbacks. NULL is a no-op. */
void group_coord_destroy(struct group_coord *gc);

/* JoinGroup: the answer always comes through ops->join_done(waiter), either
 * before this returns (errors, MEMBER_ID_REQUIRED, a join that completes
 * the phase) or later from another call or group_coord_tick. */
void group_coord_join(struct group_coord *gc, const struct group_join_req *req,
                      int64_t now, void *waiter);

/* SyncGroup: the answer always comes through ops->sync_done(waiter). */
void group_coord_sync(struct group_coord *gc, struct slice group_id,
                      int32_t generation_id, struct slice member_id,
                      size_t nassignments,
                      const struct group_assignment *assignments, int64_t now,
                      void *waiter);

/* Heartbeat and LeaveGroup answer at once (Kafka error code). */
int16_t group_coord_heartbeat(struct group_coord *gc, struct slice group_id,
                              int32_t generation_id, struct slice member_id,
                              int64_t now);
int16_t group_coord_leave(struct group_coord *gc, struct slice group_id,
                          struct slice member_id, int64_t now);
/* LeaveGroup v3+ member: with a group.instance.id (ptr non-NULL) the
 * static member leaves, FENCED_INSTANCE_ID if member_id is non-empty and
 * not its id; without one, as group_coord_leave. */
int16_t group_coord_leave_member(struct group_coord *gc, struct slice group_id,
                                 struct slice member_id,
                                 struct slice instance_id, int64_t now);

/* May an OffsetCommit from (generation, member) be stored now? Returns a
 * Kafka error code; creates an Empty group for a "simple" commit
 * (generation < 0) to an unknown group, as Kafka does. Refreshes the
 * member's session on success. */
int16_t group_coord_commit_check(struct group_coord *gc, struct slice group_id,
                                 int32_t generation_id, struct slice member_id,
                                 int64_t now);

/* Makes sure an (Empty) group exists, e.g. one known only from committed
 * offsets replayed at start-up, so ListGroups shows it. */
void group_coord_ensure(struct group_coord *gc, struct slice group_id);

/* Expires sessions, pending member ids and rebalance deadlines. Call it
 * every few hundred ms (and in tests whenever the virtual clock moves). */
void group_coord_tick(struct group_coord *gc, int64_t now);

/* Answers every parked JoinGroup and SyncGroup now with `error` (e.g.
 * NOT_COORDINATOR when the broker shuts down); members stay. */
void group_coord_abort_parked(struct group_coord *gc, int16_t error);

/* Forget a waiter whose connection closed: no callback will name it. */
void group_coord_cancel(struct group_coord *gc, void *waiter);

/* Deletes an Empty group (-> Dead, then gone). Returns a Kafka error:
 * 69 GROUP_ID_NOT_FOUND, or 68 NON_EMPTY_GROUP if it has members. */
int16_t group_coord_delete(struct group_coord *gc, struct slice group_id);

/* --- read-only views for ListGroups / DescribeGroups --------------------
 * Pointers are borrowed until the next mutating call. */
struct group_member_info {
    const char *member_id;
    const char *instance_id; /* NULL = none */
    const char *client_id;
    const char *client_host;
    struct slice metadata;   /* for the group's protocol ("" if none) */
    struct slice assignment; /* last SyncGroup assignment */
};

struct group_info {
    const char *group_id;
    enum group_state state;
    int32_t generation_id;
    const char *protocol_type; /* "" if none */
    const char *protocol_name; /* "" if none */
    const char *leader_id;     /* "" if none */
    size_t nmembers;
};

/* Returns false if there is no such group. */
bool group_coord_describe(const struct group_coord *gc, struct slice group_id,
                          struct group_info *out);
/* i-th member of a group described above (0 <= i < nmembers). */
void group_coord_member(const struct group_coord *gc, struct slice group_id,
                        size_t i, struct group_member_info *out);
/* Iterate groups: for (size_t it = 0; group_coord_next(gc, &it, &info);) */
bool group_coord_next(const struct group_coord *gc, size_t *iter,
                      struct group_info *out);

#endif
