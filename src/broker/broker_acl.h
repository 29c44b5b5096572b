/* broker_acl.h - ACL checks for the broker's handlers and the ACL APIs
 * (CreateAcls, DescribeAcls, DeleteAcls) (layer: broker; the store and
 * the decision rule are auth_acls.h).
 *
 * Every check is true when ACLs are off (cfg.acls false), so a handler
 * calls them unconditionally; when on, a check costs a scan of the
 * bindings (the file is re-read at most once a second if it changed).
 * Loop thread only.
 */
#ifndef RILL_BROKER_ACL_H
#define RILL_BROKER_ACL_H

#include <stdbool.h>

#include "base/buf.h"
#include "broker/auth_acls.h"

struct broker;
struct broker_req;

int broker_acls_open(struct broker *b, struct auth_acls **out);
void broker_acls_destroy(struct auth_acls *s);
/* Serves CreateAcls, DescribeAcls and DeleteAcls. */
void broker_acls_register(struct broker *b);
/* Whether the request's principal may do op (AUTH_OP_*) on the cluster, a
 * topic, a group or a transactional id. */
bool broker_acl_cluster(struct broker_req *req, int op);
bool broker_acl_topic(struct broker_req *req, struct slice name, int op);
bool broker_acl_group(struct broker_req *req, struct slice name, int op);
bool broker_acl_txn(struct broker_req *req, struct slice id, int op);
/* An idempotent producer id (InitProducerId without a transactional id):
 * IDEMPOTENT_WRITE on the cluster, or WRITE on some topic (Kafka 2.8+). */
bool broker_acl_idempotent(struct broker_req *req);
/* Creating a topic: CREATE on the cluster or on the topic (Kafka's rule). */
bool broker_acl_create_topic(struct broker_req *req, struct slice name);
/* The same decision for a principal outside a Kafka request (MQTT
 * publishes and subscriptions): true when ACLs are off. host: the peer's
 * IP. Loop thread only. */
bool broker_acl_allow(struct broker *b, const char *principal, const char *host,
                      int rtype, const char *name, size_t len, int op);
bool broker_acls_enabled(const struct broker *b);

#endif
