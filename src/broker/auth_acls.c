/* auth_acls.c - the ACL file and Kafka's decision rule (layer: broker).
 * Formats and rules are in auth_acls.h.
 */
#include "broker/auth_acls.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/os.h"
#include "broker/auth_file.h"

#define ACLS_FILE_MAX (64 << 20)

struct auth_acls {
    char dir[1024], path[1100];
    struct auth_acl *v;
    size_t n, cap;
    struct auth_file_stamp stamp; /* what was read last */
};

static const char *const res_names[] = {
    NULL, NULL, "ANY", "TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID"};
static const char *const pat_names[] = {NULL,    NULL,      "ANY",
                                        "MATCH", "LITERAL", "PREFIXED"};
static const char *const op_names[] = {NULL,
                                       NULL,
                                       "ANY",
                                       "ALL",
                                       "READ",
                                       "WRITE",
                                       "CREATE",
                                       "DELETE",
                                       "ALTER",
                                       "DESCRIBE",
                                       "CLUSTER_ACTION",
                                       "DESCRIBE_CONFIGS",
                                       "ALTER_CONFIGS",
                                       "IDEMPOTENT_WRITE"};
static const char *const perm_names[] = {NULL, NULL, "ANY", "DENY", "ALLOW"};

/* Tables are indexed by value + 1 (0 = UNKNOWN in Kafka). */
#define NAME_OF(t, v)                                                          \
    ((v) >= 1 && (size_t)(v) + 1 < sizeof(t) / sizeof(t[0]) ? t[(v) + 1] : "?")

const char *auth_resource_name(int v)
{
    return NAME_OF(res_names, v);
}
const char *auth_pattern_name(int v)
{
    return NAME_OF(pat_names, v);
}
const char *auth_op_name(int v)
{
    return NAME_OF(op_names, v);
}
const char *auth_perm_name(int v)
{
    return NAME_OF(perm_names, v);
}

static int parse_in(const char *const *t, size_t n, const char *s)
{
    for (size_t i = 2; i < n; i++)
        if (t[i] && !strcasecmp(t[i], s))
            return (int)i - 1;
    return 0;
}

#define PARSE_IN(t, s) parse_in(t, sizeof(t) / sizeof(t[0]), s)

int auth_resource_parse(const char *s)
{
    return PARSE_IN(res_names, s);
}
int auth_pattern_parse(const char *s)
{
    return PARSE_IN(pat_names, s);
}
int auth_op_parse(const char *s)
{
    return PARSE_IN(op_names, s);
}
int auth_perm_parse(const char *s)
{
    return PARSE_IN(perm_names, s);
}

const char *auth_acl_invalid(const struct auth_acl *a)
{
    if (a->resource_type < AUTH_RES_TOPIC || a->resource_type > AUTH_RES_TXN)
        return "resource type must be TOPIC, GROUP, CLUSTER or "
               "TRANSACTIONAL_ID";
    if (a->pattern_type != AUTH_PAT_LITERAL &&
        a->pattern_type != AUTH_PAT_PREFIXED)
        return "pattern type must be LITERAL or PREFIXED";
    if (a->operation < AUTH_OP_ALL || a->operation > AUTH_OP_IDEMPOTENT_WRITE)
        return "unknown operation";
    if (a->permission != AUTH_PERM_ALLOW && a->permission != AUTH_PERM_DENY)
        return "permission must be ALLOW or DENY";
    if (!a->name || !a->name[0])
        return "empty resource name";
    if (a->resource_type == AUTH_RES_CLUSTER &&
        (strcmp(a->name, "kafka-cluster") ||
         a->pattern_type != AUTH_PAT_LITERAL))
        return "the cluster resource is LITERAL kafka-cluster";
    if (a->pattern_type == AUTH_PAT_PREFIXED && !strcmp(a->name, "*"))
        return "a PREFIXED pattern cannot be *";
    if (!a->principal || !strchr(a->principal, ':') || a->principal[0] == ':')
        return "principal must be Type:name (User:alice, User:*)";
    if (!a->host || !a->host[0])
        return "empty host (use *)";
    for (const char *p = a->name; *p; p++)
        if (*p == '\n')
            return "newline in the resource name";
    return NULL;
}

/* --- file ---------------------------------------------------------------- */

static void acl_free(struct auth_acl *a)
{
    mem_free(a->name);
    mem_free(a->principal);
    mem_free(a->host);
}

void auth_acl_free_all(struct auth_acl *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        acl_free(&v[i]);
    mem_free(v);
}

static void copy_acl(struct auth_acl *dst, const struct auth_acl *src)
{
    *dst = *src;
    dst->name = mem_strdup(src->name);
    dst->principal = mem_strdup(src->principal);
    dst->host = mem_strdup(src->host);
}

static int parse_line(char *line, struct auth_acl *a)
{
    char *f[7], *save = NULL;
    int nf = 0;
    for (char *t = strtok_r(line, " \t", &save); t && nf < 7;
         t = strtok_r(NULL, " \t", &save))
        f[nf++] = t;
    if (nf != 7 || strtok_r(NULL, " \t", &save))
        return ERR_PARSE;
    struct auth_acl x = {0};
    x.permission = auth_perm_parse(f[0]);
    x.operation = auth_op_parse(f[3]);
    x.resource_type = auth_resource_parse(f[4]);
    x.pattern_type = auth_pattern_parse(f[5]);
    x.principal = auth_file_unescape(f[1]);
    x.host = auth_file_unescape(f[2]);
    x.name = auth_file_unescape(f[6]);
    if (auth_acl_invalid(&x)) {
        acl_free(&x);
        return ERR_PARSE;
    }
    *a = x;
    return 0;
}

static void clear(struct auth_acls *s)
{
    for (size_t i = 0; i < s->n; i++)
        acl_free(&s->v[i]);
    s->n = 0;
}

static void push(struct auth_acls *s, const struct auth_acl *a)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->v = mem_realloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = *a;
}

static int load(struct auth_acls *s)
{
    struct auth_file_stamp st;
    auth_file_stamp_take(s->path, &st);
    if (!st.exists) {
        clear(s);
        s->stamp = st;
        return 0;
    }
    char *text = NULL;
    size_t len = 0;
    int rc = os_read_file(s->path, ACLS_FILE_MAX, &text, &len);
    if (rc < 0)
        return rc;
    struct auth_acls tmp = {0};
    int lineno = 0;
    char *p = text, *end = text + len;
    while (p < end && rc == 0) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        *stop = '\0';
        lineno++;
        char *q = p;
        p = nl ? nl + 1 : end;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q == '\0' || *q == '#')
            continue;
        struct auth_acl a;
        if (parse_line(q, &a) < 0) {
            diag_error("acls: %s:%d does not parse", s->path, lineno);
            rc = ERR_PARSE;
            break;
        }
        push(&tmp, &a);
    }
    mem_free(text);
    if (rc < 0) {
        clear(&tmp);
        mem_free(tmp.v);
        return rc;
    }
    clear(s);
    mem_free(s->v);
    s->v = tmp.v;
    s->n = tmp.n;
    s->cap = tmp.cap;
    s->stamp = st;
    return 0;
}

int auth_acls_open(const char *dir, struct auth_acls **out)
{
    struct auth_acls *s = mem_calloc(1, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "%s/security", dir);
    snprintf(s->path, sizeof(s->path), "%s/acls", s->dir);
    int rc = load(s);
    if (rc < 0) {
        auth_acls_destroy(s);
        return rc;
    }
    *out = s;
    return 0;
}

void auth_acls_destroy(struct auth_acls *s)
{
    if (!s)
        return;
    clear(s);
    mem_free(s->v);
    mem_free(s);
}

void auth_acls_refresh(struct auth_acls *s)
{
    if (!auth_file_changed(s->path, &s->stamp))
        return;
    if (load(s) < 0)
        diag_error("acls: %s changed but does not load; keeping the ACLs "
                   "read before",
                   s->path);
    else
        diag_info("acls: %s re-read (%zu bindings)", s->path, s->n);
}

int auth_acls_save(struct auth_acls *s)
{
    struct buf b;
    buf_init(&b);
    buf_put_str(&b, "# rill ACLs (docs/security.md): PERMISSION PRINCIPAL "
                    "HOST OPERATION RESOURCE PATTERN NAME\n");
    for (size_t i = 0; i < s->n; i++) {
        const struct auth_acl *a = &s->v[i];
        buf_printf(&b, "%s ", auth_perm_name(a->permission));
        auth_file_put_escaped(&b, a->principal);
        buf_put(&b, " ", 1);
        auth_file_put_escaped(&b, a->host);
        buf_printf(&b, " %s %s %s ", auth_op_name(a->operation),
                   auth_resource_name(a->resource_type),
                   auth_pattern_name(a->pattern_type));
        auth_file_put_escaped(&b, a->name);
        buf_put(&b, "\n", 1);
    }
    int rc = auth_file_write(s->dir, s->path, &b);
    if (rc == 0)
        auth_file_stamp_take(s->path, &s->stamp);
    buf_fini(&b);
    return rc;
}

/* --- matching ------------------------------------------------------------ */

static bool same(const struct auth_acl *x, const struct auth_acl *y)
{
    return x->resource_type == y->resource_type &&
           x->pattern_type == y->pattern_type && x->operation == y->operation &&
           x->permission == y->permission && !strcmp(x->name, y->name) &&
           !strcmp(x->principal, y->principal) && !strcmp(x->host, y->host);
}

void auth_acls_add(struct auth_acls *s, const struct auth_acl *a)
{
    for (size_t i = 0; i < s->n; i++)
        if (same(&s->v[i], a))
            return;
    struct auth_acl c;
    copy_acl(&c, a);
    push(s, &c);
}

static bool name_applies(const struct auth_acl *a, const char *name, size_t len)
{
    if (a->pattern_type == AUTH_PAT_LITERAL)
        return !strcmp(a->name, "*") ||
               (strlen(a->name) == len && !memcmp(a->name, name, len));
    size_t pl = strlen(a->name);
    return pl <= len && !memcmp(a->name, name, pl);
}

bool auth_acl_matches(const struct auth_acl *a, const struct auth_acl *f)
{
    if (f->resource_type != AUTH_RES_ANY &&
        f->resource_type != a->resource_type)
        return false;
    if (f->operation != AUTH_OP_ANY && f->operation != a->operation)
        return false;
    if (f->permission != AUTH_PERM_ANY && f->permission != a->permission)
        return false;
    if (f->principal && strcmp(f->principal, a->principal))
        return false;
    if (f->host && strcmp(f->host, a->host))
        return false;
    switch (f->pattern_type) {
    case AUTH_PAT_ANY:
        return !f->name || !strcmp(f->name, a->name);
    case AUTH_PAT_MATCH:
        return !f->name || name_applies(a, f->name, strlen(f->name));
    default:
        return f->pattern_type == a->pattern_type &&
               (!f->name || !strcmp(f->name, a->name));
    }
}

size_t auth_acls_remove(struct auth_acls *s, const struct auth_acl *f,
                        struct auth_acl **removed)
{
    size_t w = 0, nr = 0;
    struct auth_acl *out = NULL;
    for (size_t i = 0; i < s->n; i++) {
        if (auth_acl_matches(&s->v[i], f)) {
            out = mem_realloc(out, (nr + 1) * sizeof(*out));
            out[nr++] = s->v[i];
            continue;
        }
        s->v[w++] = s->v[i];
    }
    s->n = w;
    *removed = out;
    return nr;
}

size_t auth_acls_count(const struct auth_acls *s)
{
    return s->n;
}

const struct auth_acl *auth_acls_at(const struct auth_acls *s, size_t i)
{
    return i < s->n ? &s->v[i] : NULL;
}

static bool is_super(const char *super_users, const char *principal)
{
    if (!super_users || !super_users[0])
        return false;
    size_t pl = strlen(principal);
    const char *p = super_users;
    while (*p) {
        while (*p == ';' || *p == ' ')
            p++;
        size_t n = strcspn(p, ";");
        size_t m = n;
        while (m > 0 && p[m - 1] == ' ')
            m--;
        if (m == pl && !memcmp(p, principal, pl))
            return true;
        p += n;
    }
    return false;
}

static bool principal_host_match(const struct auth_acl *a,
                                 const char *principal, const char *host)
{
    return (!strcmp(a->principal, principal) ||
            !strcmp(a->principal, "User:*")) &&
           (!strcmp(a->host, "*") || !strcmp(a->host, host));
}

static bool allow_implies(int acl_op, int op)
{
    if (acl_op == AUTH_OP_ALL || acl_op == op)
        return true;
    if (op == AUTH_OP_DESCRIBE)
        return acl_op == AUTH_OP_READ || acl_op == AUTH_OP_WRITE ||
               acl_op == AUTH_OP_DELETE || acl_op == AUTH_OP_ALTER;
    if (op == AUTH_OP_DESCRIBE_CONFIGS)
        return acl_op == AUTH_OP_ALTER_CONFIGS;
    return false;
}

bool auth_acls_authorize(const struct auth_acls *s, const char *super_users,
                         bool allow_if_no_acl, const char *principal,
                         const char *host, int resource_type, const char *name,
                         size_t name_len, int op)
{
    if (is_super(super_users, principal))
        return true;
    bool any = false, allowed = false;
    for (size_t i = 0; i < s->n; i++) {
        const struct auth_acl *a = &s->v[i];
        if (a->resource_type != resource_type ||
            !name_applies(a, name, name_len))
            continue;
        any = true;
        if (!principal_host_match(a, principal, host))
            continue;
        if (a->permission == AUTH_PERM_DENY &&
            (a->operation == AUTH_OP_ALL || a->operation == op))
            return false;
        if (a->permission == AUTH_PERM_ALLOW && allow_implies(a->operation, op))
            allowed = true;
    }
    return any ? allowed : allow_if_no_acl;
}

bool auth_acls_any_allowed(const struct auth_acls *s, const char *principal,
                           const char *host, int resource_type, int op)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct auth_acl *a = &s->v[i];
        if (a->resource_type == resource_type &&
            a->permission == AUTH_PERM_ALLOW &&
            (a->operation == op || a->operation == AUTH_OP_ALL) &&
            principal_host_match(a, principal, host))
            return true;
    }
    return false;
}
