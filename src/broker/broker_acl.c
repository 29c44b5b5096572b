/* broker_acl.c - the ACL checks handlers call, and CreateAcls,
 * DescribeAcls, DeleteAcls (layer: broker). The store and the decision
 * rule are in auth_acls.c; which API checks what is in docs/security.md.
 *
 * ACL APIs need ALTER (create, delete) or DESCRIBE on the cluster; with
 * ACLs off they answer SECURITY_DISABLED (54), as Kafka does without an
 * authorizer. Changes are written to <data>/security/acls before the
 * answer; a failed write answers UNKNOWN_SERVER_ERROR and keeps the file
 * as it was on disk (the in-memory set is re-read from it).
 */
#include "broker/broker_acl.h"

#include <stdio.h>
#include <string.h>

#include "base/diag.h"
#include "base/err.h"
#include "broker/broker_int.h"
#include "broker/broker_limits.h"
#include "kafka/kafka_proto.h"
#include "kafka/kafka_sasl.h"

int broker_acls_open(struct broker *b, struct auth_acls **out)
{
    int rc = auth_acls_open(b->cfg.data_dir, out);
    if (rc < 0)
        diag_error("broker: ACLs of %s/security do not load: %s",
                   b->cfg.data_dir, err_str(rc));
    return rc;
}

void broker_acls_destroy(struct auth_acls *s)
{
    auth_acls_destroy(s);
}

static bool check(struct broker_req *req, int rtype, const char *name,
                  size_t len, int op)
{
    struct broker *b = req->b;
    if (!b->cfg.acls)
        return true;
    struct broker_conn_auth *a = broker_conn_auth(req->bc);
    char ip[48];
    broker_limits_peer_ip(broker_conn_peer(req->bc), ip, sizeof(ip));
    bool ok = auth_acls_authorize(broker_auth_acls(b), b->cfg.super_users,
                                  b->cfg.allow_if_no_acl, a->principal, ip,
                                  rtype, name, len, op);
    if (!ok)
        diag_debug("broker: %s denied %s on %s %.*s", a->principal,
                   auth_op_name(op), auth_resource_name(rtype),
                   (int)(len > 255 ? 255 : len), name);
    return ok;
}

bool broker_acl_cluster(struct broker_req *req, int op)
{
    return check(req, AUTH_RES_CLUSTER, "kafka-cluster", 13, op);
}

bool broker_acl_topic(struct broker_req *req, struct slice name, int op)
{
    return check(req, AUTH_RES_TOPIC, (const char *)name.ptr, name.len, op);
}

bool broker_acl_group(struct broker_req *req, struct slice name, int op)
{
    return check(req, AUTH_RES_GROUP, (const char *)name.ptr, name.len, op);
}

bool broker_acl_txn(struct broker_req *req, struct slice id, int op)
{
    return check(req, AUTH_RES_TXN, (const char *)id.ptr, id.len, op);
}

bool broker_acl_idempotent(struct broker_req *req)
{
    struct broker *b = req->b;
    if (!b->cfg.acls || broker_acl_cluster(req, AUTH_OP_IDEMPOTENT_WRITE))
        return true;
    char ip[48];
    broker_limits_peer_ip(broker_conn_peer(req->bc), ip, sizeof(ip));
    return auth_acls_any_allowed(broker_auth_acls(b),
                                 broker_conn_auth(req->bc)->principal, ip,
                                 AUTH_RES_TOPIC, AUTH_OP_WRITE);
}

bool broker_acl_create_topic(struct broker_req *req, struct slice name)
{
    return broker_acl_cluster(req, AUTH_OP_CREATE) ||
           broker_acl_topic(req, name, AUTH_OP_CREATE);
}

bool broker_acls_enabled(const struct broker *b)
{
    return b->cfg.acls;
}

bool broker_acl_allow(struct broker *b, const char *principal, const char *host,
                      int rtype, const char *name, size_t len, int op)
{
    if (!b->cfg.acls)
        return true;
    bool ok = auth_acls_authorize(broker_auth_acls(b), b->cfg.super_users,
                                  b->cfg.allow_if_no_acl, principal,
                                  host ? host : "", rtype, name, len, op);
    if (!ok)
        diag_debug("broker: %s denied %s on %s %.*s", principal,
                   auth_op_name(op), auth_resource_name(rtype),
                   (int)(len > 255 ? 255 : len), name);
    return ok;
}

/* --- the ACL APIs -------------------------------------------------------- */

static char *cstr(struct arena *a, struct slice s)
{
    if (!s.ptr)
        return NULL;
    char *p = arena_alloc(a, s.len + 1);
    memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    return p;
}

static void to_auth(struct arena *ar, const struct kafka_acl *k,
                    struct auth_acl *a)
{
    a->resource_type = k->resource_type;
    a->pattern_type = k->pattern_type;
    a->operation = k->operation;
    a->permission = k->permission;
    a->name = cstr(ar, k->resource_name);
    a->principal = cstr(ar, k->principal);
    a->host = cstr(ar, k->host);
}

static void to_kafka(const struct auth_acl *a, struct kafka_acl *k)
{
    k->resource_type = (int8_t)a->resource_type;
    k->pattern_type = (int8_t)a->pattern_type;
    k->operation = (int8_t)a->operation;
    k->permission = (int8_t)a->permission;
    k->resource_name = slice_make(a->name, strlen(a->name));
    k->principal = slice_make(a->principal, strlen(a->principal));
    k->host = slice_make(a->host, strlen(a->host));
}

/* A filter's fields must be known values (Kafka: INVALID_REQUEST). */
static bool filter_ok(const struct auth_acl *f)
{
    return f->resource_type >= AUTH_RES_ANY &&
           f->resource_type <= AUTH_RES_TXN &&
           f->pattern_type >= AUTH_PAT_ANY &&
           f->pattern_type <= AUTH_PAT_PREFIXED &&
           f->operation >= AUTH_OP_ANY &&
           f->operation <= AUTH_OP_IDEMPOTENT_WRITE &&
           f->permission >= AUTH_PERM_ANY && f->permission <= AUTH_PERM_ALLOW;
}

static int16_t precheck(struct broker_req *req, int op, struct slice *msg)
{
    if (!req->b->cfg.acls) {
        *msg = KAFKA_STR("ACLs are off on this broker (rill.acls.enable)");
        return KAFKA_ERR_SECURITY_DISABLED;
    }
    if (!broker_acl_cluster(req, op)) {
        *msg = KAFKA_STR("not authorized on the cluster");
        return KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
    }
    return 0;
}

static int handle_describe(struct broker_req *req, struct buf *out)
{
    struct kafka_acl kf;
    int rc = kafka_describe_acls_request_decode(&req->body, req->api_version,
                                                req->arena, &kf);
    if (rc < 0)
        return rc;
    struct slice msg = {0};
    int16_t err = precheck(req, AUTH_OP_DESCRIBE, &msg);
    struct auth_acl f;
    to_auth(req->arena, &kf, &f);
    if (!err && !filter_ok(&f)) {
        err = KAFKA_ERR_INVALID_REQUEST;
        msg = KAFKA_STR("unknown value in the filter");
    }
    if (err) {
        kafka_describe_acls_response_encode(out, req->api_version, err, msg,
                                            NULL, 0);
        return 0;
    }
    struct auth_acls *s = broker_auth_acls(req->b);
    size_t total = auth_acls_count(s), n = 0;
    struct kafka_acl *v =
        arena_alloc(req->arena, (total ? total : 1) * sizeof(*v));
    /* Grouped by resource: one pass per distinct resource, in order. */
    bool *done = arena_calloc(req->arena, total ? total : 1);
    for (size_t i = 0; i < total; i++) {
        const struct auth_acl *a = auth_acls_at(s, i);
        if (done[i] || !auth_acl_matches(a, &f))
            continue;
        for (size_t j = i; j < total; j++) {
            const struct auth_acl *b = auth_acls_at(s, j);
            if (done[j] || b->resource_type != a->resource_type ||
                b->pattern_type != a->pattern_type ||
                strcmp(b->name, a->name) || !auth_acl_matches(b, &f))
                continue;
            done[j] = true;
            to_kafka(b, &v[n++]);
        }
    }
    kafka_describe_acls_response_encode(out, req->api_version, 0, msg, v, n);
    return 0;
}

static int save(struct auth_acls *s)
{
    int rc = auth_acls_save(s);
    if (rc < 0) {
        diag_error("broker: ACL file not written: %s", err_str(rc));
        auth_acls_refresh(s);
    }
    return rc;
}

static int handle_create(struct broker_req *req, struct buf *out)
{
    struct kafka_acl *kv;
    size_t n;
    int rc = kafka_create_acls_request_decode(&req->body, req->api_version,
                                              req->arena, &kv, &n);
    if (rc < 0)
        return rc;
    struct kafka_acl_error *res =
        arena_calloc(req->arena, (n ? n : 1) * sizeof(*res));
    struct slice msg = {0};
    int16_t err = precheck(req, AUTH_OP_ALTER, &msg);
    struct auth_acls *s = err ? NULL : broker_auth_acls(req->b);
    bool changed = false;
    for (size_t i = 0; i < n; i++) {
        if (err) {
            res[i].error_code = err;
            res[i].error_message = msg;
            continue;
        }
        struct auth_acl a;
        to_auth(req->arena, &kv[i], &a);
        const char *why = auth_acl_invalid(&a);
        if (why) {
            res[i].error_code = KAFKA_ERR_INVALID_REQUEST;
            res[i].error_message = slice_make(why, strlen(why));
            continue;
        }
        auth_acls_add(s, &a);
        changed = true;
    }
    if (changed && save(s) < 0)
        for (size_t i = 0; i < n; i++)
            if (!res[i].error_code) {
                res[i].error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
                res[i].error_message = KAFKA_STR("ACL file not written");
            }
    if (changed)
        diag_info("broker: %s created ACLs (%zu bindings now)",
                  broker_conn_auth(req->bc)->principal, auth_acls_count(s));
    kafka_create_acls_response_encode(out, req->api_version, res, n);
    return 0;
}

static int handle_delete(struct broker_req *req, struct buf *out)
{
    struct kafka_acl *kv;
    size_t n;
    int rc = kafka_delete_acls_request_decode(&req->body, req->api_version,
                                              req->arena, &kv, &n);
    if (rc < 0)
        return rc;
    struct kafka_delete_acls_result *res =
        arena_calloc(req->arena, (n ? n : 1) * sizeof(*res));
    struct slice msg = {0};
    int16_t err = precheck(req, AUTH_OP_ALTER, &msg);
    struct auth_acls *s = err ? NULL : broker_auth_acls(req->b);
    struct auth_acl **removed =
        arena_calloc(req->arena, (n ? n : 1) * sizeof(*removed));
    size_t *nremoved = arena_calloc(req->arena, (n ? n : 1) * sizeof(size_t));
    bool changed = false;
    for (size_t i = 0; i < n; i++) {
        if (err) {
            res[i].error_code = err;
            res[i].error_message = msg;
            continue;
        }
        struct auth_acl f;
        to_auth(req->arena, &kv[i], &f);
        if (!filter_ok(&f)) {
            res[i].error_code = KAFKA_ERR_INVALID_REQUEST;
            res[i].error_message = KAFKA_STR("unknown value in the filter");
            continue;
        }
        nremoved[i] = auth_acls_remove(s, &f, &removed[i]);
        struct kafka_acl *m = arena_alloc(
            req->arena, (nremoved[i] ? nremoved[i] : 1) * sizeof(*m));
        for (size_t j = 0; j < nremoved[i]; j++)
            to_kafka(&removed[i][j], &m[j]);
        res[i].matches = m;
        res[i].nmatches = nremoved[i];
        changed |= nremoved[i] > 0;
    }
    if (changed && save(s) < 0)
        for (size_t i = 0; i < n; i++)
            if (!res[i].error_code) {
                res[i].error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
                res[i].error_message = KAFKA_STR("ACL file not written");
                res[i].nmatches = 0;
            }
    kafka_delete_acls_response_encode(out, req->api_version, res, n);
    for (size_t i = 0; i < n; i++)
        auth_acl_free_all(removed[i], nremoved[i]);
    return 0;
}

void broker_acls_register(struct broker *b)
{
    broker_serve(b, KAFKA_API_DESCRIBE_ACLS, handle_describe);
    broker_serve(b, KAFKA_API_CREATE_ACLS, handle_create);
    broker_serve(b, KAFKA_API_DELETE_ACLS, handle_delete);
}
