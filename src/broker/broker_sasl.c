/* broker_sasl.c - authentication on the Kafka listener: SaslHandshake,
 * SaslAuthenticate (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512),
 * DescribeUserScramCredentials and AlterUserScramCredentials, the gate
 * that refuses other requests before authentication, and the settings
 * (layer: broker).
 *
 * A connection on a SASL listener:
 *   NEW --SaslHandshake(mech)--> MECH --SaslAuthenticate...--> AUTHENTICATED
 *    |                             |
 *    +--any other API but ApiVersions: closed
 *                                  +--bad credentials: SASL_AUTHENTICATION_
 *                                     FAILED (58) answered, then closed
 * Invariants:
 *   1. Before AUTHENTICATED only ApiVersions, SaslHandshake and
 *      SaslAuthenticate are served; nothing else reaches a handler.
 *   2. The principal is set once: "User:<name>" after SASL; on a listener
 *      without SASL, "User:<certificate subject>" for a TLS client
 *      certificate, else "User:ANONYMOUS".
 *   3. A failed authentication is answered and the connection closes; the
 *      log says who (peer, user, mechanism) but never a password.
 */
#include <stdio.h>
#include <string.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "broker/auth_scram.h"
#include "broker/auth_users.h"
#include "broker/broker_acl.h"
#include "broker/broker_int.h"
#include "broker/broker_limits.h"
#include "kafka/kafka_proto.h"
#include "kafka/kafka_sasl.h"
#include "net/conn.h"

/* --- settings ------------------------------------------------------------ */

static int parse_mechanisms(const char *v, unsigned *out)
{
    unsigned m = 0;
    const char *p = v;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ", ");
        if (n == 0)
            break;
        if (n == 5 && !memcmp(p, "PLAIN", 5))
            m |= BROKER_SASL_PLAIN;
        else if (auth_mech_parse(p, n) == AUTH_SCRAM_SHA_256)
            m |= BROKER_SASL_SCRAM_SHA_256;
        else if (auth_mech_parse(p, n) == AUTH_SCRAM_SHA_512)
            m |= BROKER_SASL_SCRAM_SHA_512;
        else
            return ERR_INVALID;
        p += n;
    }
    *out = m;
    return m ? 0 : ERR_INVALID;
}

int broker_auth_config_apply(struct broker_config *c,
                             const struct config *props, char *err, int errlen)
{
    const char *v;
    c->sasl_mechanisms = BROKER_SASL_PLAIN | BROKER_SASL_SCRAM_SHA_256 |
                         BROKER_SASL_SCRAM_SHA_512;
    if ((v = config_get(props, "sasl.enabled.mechanisms", NULL)) &&
        parse_mechanisms(v, &c->sasl_mechanisms) < 0) {
        snprintf(err, (size_t)errlen,
                 "sasl.enabled.mechanisms: a list of PLAIN, SCRAM-SHA-256 "
                 "and SCRAM-SHA-512, got %s",
                 v);
        return ERR_INVALID;
    }
    /* Kafka's anonymous auto-creation would let anyone who authenticates
     * create topics without limit: off under authentication unless set. */
    if (c->sasl && !config_get(props, "auto.create.topics.enable", NULL))
        c->auto_create_topics = false;
    /* ACLs: Kafka checks them once an authorizer is configured; rill has
     * one, on by default whenever the listener authenticates. */
    c->acls = c->sasl;
    if ((v = config_get(props, "authorizer.class.name", NULL)))
        c->acls = v[0] != '\0';
    if (config_get_bool(props, "rill.acls.enable", &c->acls) < 0 ||
        config_get_bool(props, "allow.everyone.if.no.acl.found",
                        &c->allow_if_no_acl) < 0) {
        snprintf(err, (size_t)errlen,
                 "rill.acls.enable / allow.everyone.if.no.acl.found: true or "
                 "false");
        return ERR_INVALID;
    }
    int64_t qp = -1, qc = -1;
    if (((v = config_get(props, "quota.producer.default", NULL)) &&
         (config_get_i64(props, "quota.producer.default", &qp) < 0 || qp == 0 ||
          qp < -1)) ||
        ((v = config_get(props, "quota.consumer.default", NULL)) &&
         (config_get_i64(props, "quota.consumer.default", &qc) < 0 || qc == 0 ||
          qc < -1))) {
        snprintf(err, (size_t)errlen,
                 "quota.producer.default / quota.consumer.default: bytes "
                 "per second (> 0), or -1 for none");
        return ERR_INVALID;
    }
    c->quota_producer_default = qp > 0 ? qp : 0;
    c->quota_consumer_default = qc > 0 ? qc : 0;
    if ((v = config_get(props, "super.users", NULL))) {
        if (strlen(v) >= sizeof(c->super_users)) {
            snprintf(err, (size_t)errlen, "super.users: too long");
            return ERR_INVALID;
        }
        snprintf(c->super_users, sizeof(c->super_users), "%s", v);
    }
    return 0;
}

/* --- broker state -------------------------------------------------------- */

struct broker_auth {
    struct auth_users *users;
    struct auth_acls *acls;
    int64_t acls_checked_ms; /* last look at the ACL file */
    struct broker_quotas *quotas;
};

static int handle_handshake(struct broker_req *req, struct buf *out);
static int handle_authenticate(struct broker_req *req, struct buf *out);
static int handle_describe_scram(struct broker_req *req, struct buf *out);
static int handle_alter_scram(struct broker_req *req, struct buf *out);

int broker_auth_open(struct broker *b)
{
    struct broker_auth *a = mem_calloc(1, sizeof(*a));
    int rc = auth_users_open(b->cfg.data_dir, &a->users);
    if (rc < 0) {
        diag_error("broker: users of %s/security do not load: %s",
                   b->cfg.data_dir, err_str(rc));
        mem_free(a);
        return rc;
    }
    rc = broker_acls_open(b, &a->acls);
    if (rc < 0) {
        auth_users_destroy(a->users);
        mem_free(a);
        return rc;
    }
    rc = broker_quotas_create(b, &a->quotas);
    if (rc < 0) {
        diag_error("broker: quotas of %s/security do not load: %s",
                   b->cfg.data_dir, err_str(rc));
        broker_acls_destroy(a->acls);
        auth_users_destroy(a->users);
        mem_free(a);
        return rc;
    }
    b->auth = a;
    broker_serve(b, KAFKA_API_SASL_HANDSHAKE, handle_handshake);
    broker_serve(b, KAFKA_API_SASL_AUTHENTICATE, handle_authenticate);
    broker_serve(b, KAFKA_API_DESCRIBE_USER_SCRAM, handle_describe_scram);
    broker_serve(b, KAFKA_API_ALTER_USER_SCRAM, handle_alter_scram);
    broker_acls_register(b);
    broker_quotas_register(b);
    if (b->cfg.sasl && auth_users_count(a->users) == 0)
        diag_warn("broker: SASL listener and no users yet: add some with "
                  "`rill users add NAME --data %s`",
                  b->cfg.data_dir);
    if (b->cfg.sasl && !b->tls && (b->cfg.sasl_mechanisms & BROKER_SASL_PLAIN))
        diag_warn("broker: SASL/PLAIN on a SASL_PLAINTEXT listener sends "
                  "passwords in the clear; use SASL_SSL or SCRAM");
    return 0;
}

void broker_auth_close(struct broker *b)
{
    if (!b->auth)
        return;
    auth_users_destroy(b->auth->users);
    broker_acls_destroy(b->auth->acls);
    broker_quotas_destroy(b->auth->quotas);
    mem_free(b->auth);
    b->auth = NULL;
}

struct broker_quotas *broker_auth_quotas(struct broker *b)
{
    return b->auth ? b->auth->quotas : NULL;
}

struct auth_acls *broker_auth_acls(struct broker *b)
{
    struct broker_auth *a = b->auth;
    int64_t now = loop_now_ms(b->loop);
    if (now - a->acls_checked_ms >= 1000) {
        a->acls_checked_ms = now;
        auth_acls_refresh(a->acls);
    }
    return a->acls;
}

void broker_auth_conn_fini(struct broker_conn_auth *a)
{
    if (a->scram) {
        auth_scram_server_fini(a->scram);
        mem_free(a->scram);
        a->scram = NULL;
    }
}

bool broker_auth_gate(struct broker *b, struct broker_conn *bc, int16_t api_key)
{
    struct broker_conn_auth *a = broker_conn_auth(bc);
    if (a->principal[0])
        return true;
    if (!b->cfg.sasl) {
        const char *subj = NULL;
        if (b->tls)
            subj = conn_tls_subject(broker_conn_get(bc));
        snprintf(a->principal, sizeof(a->principal), "User:%s",
                 subj && subj[0] ? subj : "ANONYMOUS");
        a->authenticated = true;
        return true;
    }
    if (api_key == KAFKA_API_API_VERSIONS ||
        api_key == KAFKA_API_SASL_HANDSHAKE ||
        api_key == KAFKA_API_SASL_AUTHENTICATE)
        return true;
    diag_warn("broker: %s: %s request before SASL authentication; closing",
              broker_conn_peer(bc), kafka_api_name(api_key));
    return false;
}

/* --- SaslHandshake ------------------------------------------------------- */

static const struct {
    unsigned bit;
    int mech;
    const char *name;
} mechs[] = {
    {BROKER_SASL_SCRAM_SHA_512, AUTH_SCRAM_SHA_512, "SCRAM-SHA-512"},
    {BROKER_SASL_SCRAM_SHA_256, AUTH_SCRAM_SHA_256, "SCRAM-SHA-256"},
    {BROKER_SASL_PLAIN, -1, "PLAIN"},
};

static int handle_handshake(struct broker_req *req, struct buf *out)
{
    struct broker *b = req->b;
    struct broker_conn_auth *a = broker_conn_auth(req->bc);
    struct slice mech;
    int rc = kafka_sasl_handshake_request_decode(&req->body, req->api_version,
                                                 req->arena, &mech);
    if (rc < 0)
        return rc;
    struct slice names[3];
    struct kafka_sasl_handshake_response resp = {0, 0, names};
    int chosen = 0;
    for (size_t i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
        if (!(b->cfg.sasl_mechanisms & mechs[i].bit))
            continue;
        struct slice name = slice_make(mechs[i].name, strlen(mechs[i].name));
        names[resp.nmechanisms++] = name;
        if (mech.len == name.len && !memcmp(mech.ptr, name.ptr, mech.len))
            chosen = mechs[i].mech;
    }
    if (!b->cfg.sasl || a->authenticated || a->mech != 0) {
        resp.error_code = KAFKA_ERR_ILLEGAL_SASL_STATE;
        a->close = b->cfg.sasl;
    } else if (!chosen) {
        resp.error_code = KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM;
        diag_warn("broker: %s: SASL mechanism %.*s not enabled",
                  broker_conn_peer(req->bc),
                  (int)(mech.len > 64 ? 64 : mech.len),
                  mech.ptr ? (const char *)mech.ptr : "");
    } else {
        a->mech = chosen;
    }
    kafka_sasl_handshake_response_encode(out, req->api_version, &resp);
    return 0;
}

/* --- SaslAuthenticate ---------------------------------------------------- */

static void authenticated(struct broker_req *req, const char *user, size_t len)
{
    struct broker_conn_auth *a = broker_conn_auth(req->bc);
    a->authenticated = true;
    snprintf(a->principal, sizeof(a->principal), "User:%.*s", (int)len, user);
    diag_debug("broker: %s: authenticated as %s", broker_conn_peer(req->bc),
               a->principal);
}

static void fail(struct broker_req *req,
                 struct kafka_sasl_authenticate_response *resp,
                 const char *user, const char *why)
{
    struct broker_conn_auth *a = broker_conn_auth(req->bc);
    const char *mname = a->mech == -1 ? "PLAIN" : auth_mech_name(a->mech);
    resp->error_code = KAFKA_ERR_SASL_AUTHENTICATION_FAILED;
    resp->error_message =
        slice_make("Authentication failed: invalid username or password", 51);
    a->close = true;
    diag_warn("broker: %s: SASL/%s authentication of user '%.64s' failed "
              "(%s); closing",
              broker_conn_peer(req->bc), mname, user, why);
}

bool broker_auth_check_password(struct broker *b, const char *user, size_t ulen,
                                const char *pw, size_t pwlen)
{
    if (!b->auth)
        return false;
    auth_users_refresh(b->auth->users);
    const struct auth_scram_cred *c =
        auth_users_find(b->auth->users, user, ulen, 0);
    return c && auth_scram_check_password(c, pw, pwlen);
}

static void plain(struct broker_req *req, struct slice in,
                  struct kafka_sasl_authenticate_response *resp)
{
    /* authzid NUL authcid NUL passwd (RFC 4616) */
    const char *p = (const char *)in.ptr, *end = p + in.len;
    const char *z1 = in.len ? memchr(p, '\0', in.len) : NULL;
    const char *z2 = z1 ? memchr(z1 + 1, '\0', (size_t)(end - z1 - 1)) : NULL;
    if (!z2) {
        fail(req, resp, "", "malformed PLAIN message");
        return;
    }
    const char *user = z1 + 1, *pw = z2 + 1;
    size_t ulen = (size_t)(z2 - user), zlen = (size_t)(z1 - p);
    char name[256];
    snprintf(name, sizeof(name), "%.*s", (int)(ulen < 255 ? ulen : 255), user);
    if (zlen && (zlen != ulen || memcmp(p, user, ulen))) {
        fail(req, resp, name, "the authorization id is not the user name");
        return;
    }
    auth_users_refresh(req->b->auth->users);
    const struct auth_scram_cred *c =
        auth_users_find(req->b->auth->users, user, ulen, 0);
    if (!c || !auth_scram_check_password(c, pw, (size_t)(end - pw))) {
        fail(req, resp, name, c ? "wrong password" : "unknown user");
        return;
    }
    authenticated(req, user, ulen);
}

static void scram(struct broker_req *req, struct slice in,
                  struct kafka_sasl_authenticate_response *resp,
                  struct buf *token)
{
    struct broker_conn_auth *a = broker_conn_auth(req->bc);
    const char *why = NULL;
    if (!a->scram) {
        a->scram = mem_alloc(sizeof(*a->scram));
        auth_scram_server_init(a->scram, a->mech);
        if (auth_scram_server_first(a->scram, in.ptr, in.len, &why) < 0) {
            fail(req, resp, a->scram->user, why);
            return;
        }
        auth_users_refresh(req->b->auth->users);
        const struct auth_scram_cred *c =
            auth_users_find(req->b->auth->users, a->scram->user,
                            strlen(a->scram->user), a->mech);
        if (!c) {
            fail(req, resp, a->scram->user, "unknown user for this mechanism");
            return;
        }
        auth_scram_server_challenge(a->scram, c, token);
        return;
    }
    if (auth_scram_server_final(a->scram, in.ptr, in.len, token, &why) < 0) {
        fail(req, resp, a->scram->user, why);
        return;
    }
    authenticated(req, a->scram->user, strlen(a->scram->user));
    broker_auth_conn_fini(a);
}

static int handle_authenticate(struct broker_req *req, struct buf *out)
{
    struct broker_conn_auth *a = broker_conn_auth(req->bc);
    struct slice in;
    int rc = kafka_sasl_authenticate_request_decode(
        &req->body, req->api_version, req->arena, &in);
    if (rc < 0)
        return rc;
    struct kafka_sasl_authenticate_response resp = {0};
    struct buf token;
    buf_init(&token);
    if (!req->b->cfg.sasl || a->authenticated || a->mech == 0) {
        resp.error_code = KAFKA_ERR_ILLEGAL_SASL_STATE;
        resp.error_message = KAFKA_STR("SaslAuthenticate before "
                                       "SaslHandshake or after authentication");
        a->close = req->b->cfg.sasl;
    } else if (a->mech == -1) {
        plain(req, in, &resp);
    } else {
        scram(req, in, &resp, &token);
    }
    resp.auth_bytes = slice_make(token.data, token.len);
    kafka_sasl_authenticate_response_encode(out, req->api_version, &resp);
    buf_fini(&token);
    return 0;
}

/* --- Describe/AlterUserScramCredentials ---------------------------------- */

static int handle_describe_scram(struct broker_req *req, struct buf *out)
{
    struct auth_users *u = req->b->auth->users;
    bool all = false;
    struct slice *names;
    size_t n;
    int rc = kafka_describe_scram_request_decode(&req->body, req->api_version,
                                                 req->arena, &all, &names, &n);
    if (rc < 0)
        return rc;
    struct kafka_describe_scram_response resp = {0};
    if (!broker_acl_cluster(req, AUTH_OP_DESCRIBE)) {
        resp.error_code = KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
        kafka_describe_scram_response_encode(out, req->api_version, &resp);
        return 0;
    }
    auth_users_refresh(u);
    size_t total = auth_users_count(u);
    if (all || n == 0) {
        /* Every user once, in file order. */
        names = arena_alloc(req->arena, (total ? total : 1) * sizeof(*names));
        n = 0;
        for (size_t i = 0; i < total; i++) {
            const struct auth_user_entry *e = auth_users_at(u, i);
            bool seen = false;
            for (size_t j = 0; j < n && !seen; j++)
                seen = slice_eq_str(names[j], e->name);
            if (!seen)
                names[n++] = slice_make(e->name, strlen(e->name));
        }
    }
    resp.results =
        arena_calloc(req->arena, (n ? n : 1) * sizeof(*resp.results));
    resp.nresults = n;
    for (size_t i = 0; i < n; i++) {
        struct kafka_describe_scram_result *r = &resp.results[i];
        r->user = names[i];
        r->infos = arena_alloc(req->arena, 2 * sizeof(*r->infos));
        for (size_t j = 0; j < total && r->ninfos < 2; j++) {
            const struct auth_user_entry *e = auth_users_at(u, j);
            if (slice_eq_str(names[i], e->name)) {
                r->infos[r->ninfos].mechanism = (int8_t)e->cred.mech;
                r->infos[r->ninfos].iterations = e->cred.iterations;
                r->ninfos++;
            }
        }
        if (r->ninfos == 0) {
            r->error_code = KAFKA_ERR_RESOURCE_NOT_FOUND;
            r->error_message = KAFKA_STR("no SCRAM credential for this user");
        }
    }
    kafka_describe_scram_response_encode(out, req->api_version, &resp);
    return 0;
}

static int handle_alter_scram(struct broker_req *req, struct buf *out)
{
    struct auth_users *u = req->b->auth->users;
    struct kafka_scram_alteration *alt;
    size_t n;
    int rc = kafka_alter_scram_request_decode(&req->body, req->api_version,
                                              req->arena, &alt, &n);
    if (rc < 0)
        return rc;
    struct kafka_scram_result *res =
        arena_calloc(req->arena, (n ? n : 1) * sizeof(*res));
    bool allowed = broker_acl_cluster(req, AUTH_OP_ALTER);
    bool changed = false;
    auth_users_refresh(u);
    for (size_t i = 0; i < n; i++) {
        struct kafka_scram_alteration *x = &alt[i];
        res[i].user = x->name;
        if (!allowed) {
            res[i].error_code = KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
            continue;
        }
        if (x->mechanism != AUTH_SCRAM_SHA_256 &&
            x->mechanism != AUTH_SCRAM_SHA_512) {
            res[i].error_code = 95; /* UNSUPPORTED_SASL_MECHANISM for SCRAM */
            res[i].error_message = KAFKA_STR("unknown SCRAM mechanism");
            continue;
        }
        if (!auth_users_name_ok((const char *)x->name.ptr, x->name.len)) {
            res[i].error_code = 93; /* UNACCEPTABLE_CREDENTIAL */
            res[i].error_message = KAFKA_STR(
                "user names are 1-255 bytes without spaces or controls");
            continue;
        }
        if (!x->upsert) {
            if (auth_users_remove(u, (const char *)x->name.ptr, x->name.len,
                                  x->mechanism) < 0) {
                res[i].error_code = KAFKA_ERR_RESOURCE_NOT_FOUND;
                res[i].error_message =
                    KAFKA_STR("no credential of that mechanism to delete");
            } else {
                changed = true;
            }
            continue;
        }
        struct auth_scram_cred c;
        if (auth_scram_cred_from_salted(
                x->mechanism, x->salt.ptr, x->salt.len, x->salted_password.ptr,
                x->salted_password.len, x->iterations, &c) < 0) {
            res[i].error_code = 93; /* UNACCEPTABLE_CREDENTIAL */
            res[i].error_message = KAFKA_STR(
                "iterations must be 4096-16384 and the salted password the "
                "mechanism's hash size");
            continue;
        }
        auth_users_set(u, (const char *)x->name.ptr, x->name.len, &c);
        changed = true;
    }
    if (changed) {
        rc = auth_users_save(u);
        if (rc < 0) {
            diag_error("broker: users file not written: %s", err_str(rc));
            for (size_t i = 0; i < n; i++)
                if (res[i].error_code == 0) {
                    res[i].error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
                    res[i].error_message = KAFKA_STR("users file not written");
                }
        } else {
            diag_info("broker: %s changed SCRAM credentials (%zu)",
                      broker_conn_auth(req->bc)->principal, n);
        }
    }
    kafka_alter_scram_response_encode(out, req->api_version, res, n);
    return 0;
}
