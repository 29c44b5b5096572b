/* auth_acls.h - ACLs in Kafka's model and the decision rule, stored in
 * <data>/security/acls (layer: broker).
 *
 * A binding: (resource type, pattern type, resource name) x (principal,
 * host, operation, ALLOW|DENY). Numbers are Kafka's (kafka_sasl.h). One
 * line per binding, written 0600 and replaced atomically:
 *     ALLOW|DENY PRINCIPAL HOST OPERATION TOPIC|GROUP|CLUSTER|
 *     TRANSACTIONAL_ID LITERAL|PREFIXED NAME
 * (one line), with bytes <= 0x20, '%' and 0x7f of PRINCIPAL, HOST and NAME
 * written %XX. The broker re-reads the file when it changes, so `rill acls`
 * on the data directory applies to a running broker.
 *
 * Decision (Kafka's AclAuthorizer): a super user may do anything; the ACLs
 * of a resource are the LITERAL ones of its name or of "*" and the
 * PREFIXED ones whose name starts it; with none, allow iff
 * allow_if_no_acl; else a matching DENY refuses, then a matching ALLOW
 * allows, else refused. A binding matches a request when its principal is
 * the request's or "User:*", its host the peer's IP or "*", and its
 * operation the requested one or ALL; an ALLOW of READ, WRITE, DELETE or
 * ALTER also allows DESCRIBE, and ALTER_CONFIGS allows DESCRIBE_CONFIGS.
 * Not thread-safe (one owner).
 */
#ifndef RILL_AUTH_ACLS_H
#define RILL_AUTH_ACLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum auth_resource {
    AUTH_RES_ANY = 1,
    AUTH_RES_TOPIC = 2,
    AUTH_RES_GROUP = 3,
    AUTH_RES_CLUSTER = 4,
    AUTH_RES_TXN = 5,
};
enum auth_pattern {
    AUTH_PAT_ANY = 1,
    AUTH_PAT_MATCH = 2,
    AUTH_PAT_LITERAL = 3,
    AUTH_PAT_PREFIXED = 4,
};
enum auth_op {
    AUTH_OP_ANY = 1,
    AUTH_OP_ALL = 2,
    AUTH_OP_READ = 3,
    AUTH_OP_WRITE = 4,
    AUTH_OP_CREATE = 5,
    AUTH_OP_DELETE = 6,
    AUTH_OP_ALTER = 7,
    AUTH_OP_DESCRIBE = 8,
    AUTH_OP_CLUSTER_ACTION = 9,
    AUTH_OP_DESCRIBE_CONFIGS = 10,
    AUTH_OP_ALTER_CONFIGS = 11,
    AUTH_OP_IDEMPOTENT_WRITE = 12,
};
enum auth_perm {
    AUTH_PERM_ANY = 1,
    AUTH_PERM_DENY = 2,
    AUTH_PERM_ALLOW = 3,
};

/* A binding, or a filter when fields are ANY / strings NULL. Strings are
 * owned by the store for stored bindings. */
struct auth_acl {
    int resource_type, pattern_type, operation, permission;
    char *name, *principal, *host;
};

struct auth_acls;

int auth_acls_open(const char *dir, struct auth_acls **out);
void auth_acls_destroy(struct auth_acls *s);
void auth_acls_refresh(struct auth_acls *s);
int auth_acls_save(struct auth_acls *s);

/* Names of the enums ("TOPIC", "READ", ...) and back (0 if unknown,
 * case-insensitive). */
const char *auth_resource_name(int v);
const char *auth_pattern_name(int v);
const char *auth_op_name(int v);
const char *auth_perm_name(int v);
int auth_resource_parse(const char *s);
int auth_pattern_parse(const char *s);
int auth_op_parse(const char *s);
int auth_perm_parse(const char *s);

/* Checks a binding to be stored: concrete types (no ANY/MATCH), a
 * principal "Type:name", a name. NULL if fine, else why. */
const char *auth_acl_invalid(const struct auth_acl *a);
/* Adds a copy (an identical binding is not added twice). */
void auth_acls_add(struct auth_acls *s, const struct auth_acl *a);
/* Whether stored binding a matches filter f (Kafka's filter rules: ANY and
 * NULL match all; pattern MATCH matches the LITERAL, "*" and PREFIXED
 * bindings that would apply to f's name). */
bool auth_acl_matches(const struct auth_acl *a, const struct auth_acl *f);
/* Removes every binding matching f; copies of the removed ones (caller
 * frees with auth_acl_free_all) in *removed. Returns how many. */
size_t auth_acls_remove(struct auth_acls *s, const struct auth_acl *f,
                        struct auth_acl **removed);
void auth_acl_free_all(struct auth_acl *v, size_t n);
size_t auth_acls_count(const struct auth_acls *s);
const struct auth_acl *auth_acls_at(const struct auth_acls *s, size_t i);

/* The decision above. super_users: "User:a;User:b" (may be NULL). */
bool auth_acls_authorize(const struct auth_acls *s, const char *super_users,
                         bool allow_if_no_acl, const char *principal,
                         const char *host, int resource_type, const char *name,
                         size_t name_len, int op);
/* Whether some ALLOW binding of resource_type gives principal (or
 * User:*) op from host, whatever the name (DENY ignored): Kafka's test for
 * idempotent producers (WRITE on any topic). */
bool auth_acls_any_allowed(const struct auth_acls *s, const char *principal,
                           const char *host, int resource_type, int op);

#endif
