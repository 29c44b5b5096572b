/* web_acl.c - Kafka's ACLs on the HTTP routes (layer: web). Which route
 * needs what is the table in docs/security.md ("HTTP"); the decision is
 * auth_acls.c's, the same as on the Kafka and MQTT listeners.
 *
 * The web thread keeps its own copy of <data>/security/acls, re-read at
 * most once a second when the file changed (as web_auth.c does with the
 * users), so it shares nothing with the broker's loop. A refusal answers
 * 403 with the principal, the operation and the resource, and is logged.
 */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/diag.h"
#include "base/mem.h"
#include "broker/auth_acls.h"
#include "broker/broker_limits.h"
#include "web/web_int.h"

struct web_acl {
    struct auth_acls *acls;
    int64_t checked_ms;
};

int web_acl_create(const char *data_dir, struct web_acl **out)
{
    struct web_acl *a = mem_calloc(1, sizeof(*a));
    int rc = auth_acls_open(data_dir, &a->acls);
    if (rc < 0) {
        mem_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

void web_acl_destroy(struct web_acl *a)
{
    if (!a)
        return;
    auth_acls_destroy(a->acls);
    mem_free(a);
}

static bool decide(struct web *w, struct http_conn *c, int rtype,
                   const char *name, int op)
{
    struct web_acl *a = w->acl;
    int64_t now = clock_now_ms();
    if (now - a->checked_ms >= 1000) {
        a->checked_ms = now;
        auth_acls_refresh(a->acls);
    }
    char ip[48];
    broker_limits_peer_ip(http_conn_peer(c), ip, sizeof ip);
    return auth_acls_authorize(a->acls, w->super_users, w->o.allow_if_no_acl,
                               w->principal, ip, rtype, name, strlen(name), op);
}

static void refuse(struct web *w, struct http_conn *c, int rtype,
                   const char *name, int op)
{
    char msg[1024];
    snprintf(msg, sizeof msg, "not authorized: %s may not %s %s %.255s",
             w->principal, auth_op_name(op), auth_resource_name(rtype), name);
    diag_warn("http: %s: %s", http_conn_peer(c), msg);
    web_error(c, 403, msg);
}

bool web_acl_allow(struct web *w, struct http_conn *c, int rtype,
                   const char *name, int op)
{
    if (!w->acl)
        return true;
    if (rtype == AUTH_RES_CLUSTER)
        name = "kafka-cluster";
    if (decide(w, c, rtype, name, op))
        return true;
    refuse(w, c, rtype, name, op);
    return false;
}

bool web_acl_allow_create(struct web *w, struct http_conn *c, const char *topic)
{
    if (!w->acl ||
        decide(w, c, AUTH_RES_CLUSTER, "kafka-cluster", AUTH_OP_CREATE) ||
        decide(w, c, AUTH_RES_TOPIC, topic, AUTH_OP_CREATE))
        return true;
    refuse(w, c, AUTH_RES_TOPIC, topic, AUTH_OP_CREATE);
    return false;
}
