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
struct group_offsets;

void group_handlers_register(struct broker *b);
/* The committed-offset store (NULL before registration): the transaction
 * coordinator commits a transaction's offsets through it. */
struct group_offsets *group_handlers_offsets(struct broker *b);

/* The versions served are the codec's ApiKey table (kafka_api_table),
 * registered with broker_serve: ApiVersions advertises that one table. */

#endif
