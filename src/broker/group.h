/* group.h - the consumer-group side of the broker: FindCoordinator,
 * JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
 * ListGroups and DescribeGroups (layer: broker).
 *
 * Its presence tells broker.c that the real groups module is built (else a
 * stub is compiled). group_handlers_register (declared in broker_int.h)
 * registers the handlers, opens the committed-offset store over b->logdir
 * (replaying __consumer_offsets), starts a 100 ms tick timer on b->loop,
 * and sets b->groups / b->groups_fini. The logic lives in group_coord.h
 * and group_offsets.h; see docs/groups.md. Loop thread only.
 */
#ifndef RILL_GROUP_H
#define RILL_GROUP_H

struct broker;

void group_handlers_register(struct broker *b);

/* Versions served (what ApiVersions advertises). All are classic
 * (non-flexible) encodings. */
#define GROUP_FIND_COORDINATOR_MAX 2
#define GROUP_JOIN_MAX 5
#define GROUP_SYNC_MAX 3
#define GROUP_HEARTBEAT_MAX 3
#define GROUP_LEAVE_MAX 1
#define GROUP_OFFSET_COMMIT_MIN 2
#define GROUP_OFFSET_COMMIT_MAX 7
#define GROUP_OFFSET_FETCH_MIN 1
#define GROUP_OFFSET_FETCH_MAX 5
#define GROUP_LIST_MAX 2
#define GROUP_DESCRIBE_MAX 4

#endif
