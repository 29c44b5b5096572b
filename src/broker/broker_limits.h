/* broker_limits.h - the limits that keep one client from hurting the
 * others: their settings, and the per-IP connection count (layer: broker).
 *
 * Settings (docs/broker.md, "Limits"): connections.max.idle.ms,
 * rill.connections.handshake.timeout.ms, max.connections.per.ip,
 * rill.connections.reserved.loopback, queued.max.request.bytes,
 * max.partitions, delete.topic.enable. They live in struct broker_config; this
 * module fills their defaults and parses them, so broker_config.c only calls
 * it. Loop thread only (the IP table).
 */
#ifndef RILL_BROKER_LIMITS_H
#define RILL_BROKER_LIMITS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/config.h"
#include "base/hashmap.h"
#include "broker/broker.h"

void broker_limits_defaults(struct broker_config *c);
/* Parses the keys above (after the rest of the configuration, whose
 * socket.request.max.bytes it checks against). Returns 0 or ERR_INVALID
 * with a message in err. */
int broker_limits_apply(struct broker_config *c, const struct config *props,
                        char *err, int errlen);

/* listeners=SSL://... and the ssl.* keys (docs/security.md). Called by
 * broker_limits_apply. */
/* sasl.enabled.mechanisms, super.users, allow.everyone.if.no.acl.found,
 * the authorizer switch, and auto.create.topics.enable's default under
 * authentication (broker_sasl.c). */
int broker_auth_config_apply(struct broker_config *c,
                             const struct config *props, char *err, int errlen);
int broker_tls_apply(struct broker_config *c, const struct config *props,
                     char *err, int errlen);

/* "1.2.3.4:5678" -> "1.2.3.4" into ip (cap bytes). */
void broker_limits_peer_ip(const char *peer, char *ip, size_t cap);
/* 127.0.0.0/8. */
bool broker_limits_is_loopback(const char *ip);

/* Open connections per IP address. */
int broker_limits_ip_count(const struct hashmap *m, const char *ip);
void broker_limits_ip_add(struct hashmap *m, const char *ip, int delta);

#endif
