/* group_consumer.h - consumer groups of the KIP-848 protocol
 * (ConsumerGroupHeartbeat, ConsumerGroupDescribe): the broker assigns
 * partitions itself and members reconcile one heartbeat at a time
 * (layer: broker).
 *
 * Rules (Kafka 3.9's GroupMetadataManager and CurrentAssignmentBuilder,
 * simplified to one node):
 *   - a join (member epoch 0) gets a member id (a UUID) and bumps the group
 *     epoch; so do a leave (-1, -2), a session expiry (45 s without a
 *     heartbeat), a changed subscription, and a change of the subscribed
 *     topics' partitions or ids (a topic created, grown or deleted);
 *   - when the group epoch passes the assignment epoch, the target
 *     assignment is computed again ("uniform": the partitions of every
 *     subscribed topic, sorted, dealt round-robin to the members
 *     subscribed to the topic, sorted by member id), and the assignment
 *     epoch becomes the group epoch;
 *   - a member is never given a partition another member still owns: a
 *     member that must give partitions up first gets its assignment minus
 *     them (its epoch unchanged), and only when its heartbeat reports that
 *     it no longer owns them does it move to the assignment epoch, with the
 *     new partitions that nobody holds; partitions still held elsewhere come
 *     with a later heartbeat;
 *   - a member that does not give up partitions within its rebalance
 *     timeout is removed; an epoch other than the member's (or its previous
 *     one) is FENCED_MEMBER_EPOCH, an unknown member UNKNOWN_MEMBER_ID;
 *   - OffsetCommit from a member carries its member epoch as the
 *     generation: an older epoch is STALE_MEMBER_EPOCH, a newer one
 *     FENCED_MEMBER_EPOCH; a commit without a member (generation -1) only
 *     to a group without members.
 * Durable as in Kafka: every change of a group is written to
 * __consumer_offsets as Kafka's consumer-group records (key versions 3-8,
 * through the offset store) and cgroups_load rebuilds the groups at
 * start-up, so after a restart members carry on with their ids, epochs
 * and partitions; committed offsets are the shared offset store's.
 * Static membership (instance ids) is kept and described, not used to
 * hand a returning member its partitions back. Loop thread only.
 */
#ifndef RILL_GROUP_CONSUMER_H
#define RILL_GROUP_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define CGROUP_SESSION_TIMEOUT_MS 45000
#define CGROUP_HEARTBEAT_INTERVAL_MS 5000

struct cgroups;
struct broker_req;

void cgroups_create(struct cgroups **out);
struct group_offsets;
struct logdir;
/* Rebuilds the groups from the store's consumer-group records and writes
 * every later change through it. Returns 0, or ERR_CORRUPT when some
 * records did not decode (logged; their members rejoin). */
int cgroups_load(struct cgroups *cg, struct group_offsets *store,
                 struct logdir *ld, int64_t now);
/* NULL is a no-op. */
void cgroups_destroy(struct cgroups *cg);

/* Whether a consumer group of this id exists, and with members. */
bool cgroups_exists(const struct cgroups *cg, struct slice group_id,
                    bool *has_members);

/* Answers a ConsumerGroupHeartbeat / ConsumerGroupDescribe request.
 * classic_busy(arg, id): a classic group of that id has members (the
 * heartbeat is then GROUP_ID_NOT_FOUND). */
int cgroups_heartbeat(struct cgroups *cg, struct broker_req *req,
                      struct buf *out,
                      bool (*classic_busy)(void *arg, struct slice id),
                      void *arg);
int cgroups_describe(struct cgroups *cg, struct broker_req *req,
                     struct buf *out);

/* OffsetCommit to a consumer group: a Kafka error code. */
int16_t cgroups_commit_check(struct cgroups *cg, struct slice group_id,
                             int32_t member_epoch, struct slice member_id,
                             int64_t now);
/* OffsetFetch v9 with a member id (ptr non-NULL): a Kafka error code. */
int16_t cgroups_fetch_check(struct cgroups *cg, struct slice group_id,
                            struct slice member_id, int32_t member_epoch);

/* DeleteGroups of a consumer group: NON_EMPTY_GROUP while it has
 * members, else its records get tombstones and it is forgotten (0);
 * GROUP_ID_NOT_FOUND, KAFKA_STORAGE_ERROR. Its offsets are the caller's. */
int16_t cgroups_delete(struct cgroups *cg, struct slice group_id);
/* Expires sessions and revocations that took too long. */
void cgroups_tick(struct cgroups *cg, int64_t now);

/* Iterate groups: id and Kafka state name ("Empty", "Reconciling",
 * "Stable"). */
bool cgroups_next(const struct cgroups *cg, size_t *it, const char **id,
                  const char **state);

#endif
