/* auth_users.c - the users file of a data directory: parse, look up,
 * change, write atomically with mode 0600 (layer: broker). The format is
 * in auth_users.h.
 */
#include "broker/auth_users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/os.h"
#include "broker/auth_file.h"

#define USERS_FILE_MAX (16 << 20)

struct auth_users {
    char dir[1024];  /* <data>/security */
    char path[1100]; /* <data>/security/users */
    struct auth_user_entry *v;
    size_t n, cap;
    struct auth_file_stamp stamp; /* what was read last */
};

bool auth_users_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > 255)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

static bool same_name(const struct auth_user_entry *e, const char *name,
                      size_t len)
{
    return strlen(e->name) == len && !memcmp(e->name, name, len);
}

static int b64_field(const char *s, uint8_t *out, size_t cap, size_t *n)
{
    int w = auth_base64_decode(s, strlen(s), out, cap);
    if (w <= 0)
        return ERR_PARSE;
    *n = (size_t)w;
    return 0;
}

static int parse_line(char *line, struct auth_user_entry *e)
{
    char *f[6], *save = NULL;
    int nf = 0;
    for (char *t = strtok_r(line, " \t", &save); t && nf < 6;
         t = strtok_r(NULL, " \t", &save))
        f[nf++] = t;
    if (nf != 6 || strtok_r(NULL, " \t", &save))
        return ERR_PARSE;
    memset(e, 0, sizeof(*e));
    size_t nl = strlen(f[0]);
    if (!auth_users_name_ok(f[0], nl))
        return ERR_PARSE;
    memcpy(e->name, f[0], nl + 1);
    e->cred.mech = auth_mech_parse(f[1], strlen(f[1]));
    char *endp;
    long it = strtol(f[2], &endp, 10);
    if (!e->cred.mech || *endp || it < 1 || it > 1000000)
        return ERR_PARSE;
    e->cred.iterations = (int32_t)it;
    size_t klen = e->cred.mech == AUTH_SCRAM_SHA_256 ? 32 : 64, a, b;
    if (b64_field(f[3], e->cred.salt, sizeof(e->cred.salt), &e->cred.salt_len) <
            0 ||
        b64_field(f[4], e->cred.stored_key, sizeof(e->cred.stored_key), &a) <
            0 ||
        b64_field(f[5], e->cred.server_key, sizeof(e->cred.server_key), &b) <
            0 ||
        a != klen || b != klen)
        return ERR_PARSE;
    e->cred.key_len = klen;
    return 0;
}

/* Parses text into u->v (replacing it only if the whole file parses). */
static int parse(struct auth_users *u, char *text, size_t len)
{
    struct auth_user_entry *v = NULL;
    size_t n = 0, cap = 0;
    int lineno = 0;
    char *p = text, *end = text + len;
    while (p < end) {
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
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            v = mem_realloc(v, cap * sizeof(*v));
        }
        if (parse_line(q, &v[n]) < 0) {
            diag_error("users: %s:%d does not parse", u->path, lineno);
            mem_free(v);
            return ERR_PARSE;
        }
        n++;
    }
    mem_free(u->v);
    u->v = v;
    u->n = n;
    u->cap = cap;
    return 0;
}

static int load(struct auth_users *u)
{
    struct auth_file_stamp st;
    auth_file_stamp_take(u->path, &st);
    if (!st.exists) {
        u->n = 0;
        u->stamp = st;
        return 0;
    }
    char *text = NULL;
    size_t len = 0;
    int rc = os_read_file(u->path, USERS_FILE_MAX, &text, &len);
    if (rc < 0)
        return rc;
    rc = parse(u, text, len);
    mem_free(text);
    if (rc == 0)
        u->stamp = st;
    return rc;
}

int auth_users_open(const char *dir, struct auth_users **out)
{
    struct auth_users *u = mem_calloc(1, sizeof(*u));
    snprintf(u->dir, sizeof(u->dir), "%s/security", dir);
    snprintf(u->path, sizeof(u->path), "%s/users", u->dir);
    int rc = load(u);
    if (rc < 0) {
        auth_users_destroy(u);
        return rc;
    }
    *out = u;
    return 0;
}

void auth_users_destroy(struct auth_users *u)
{
    if (!u)
        return;
    if (u->v)
        memset(u->v, 0, u->cap * sizeof(*u->v));
    mem_free(u->v);
    mem_free(u);
}

void auth_users_refresh(struct auth_users *u)
{
    if (!auth_file_changed(u->path, &u->stamp))
        return;
    if (load(u) < 0)
        diag_error("users: %s changed but does not load; keeping the users "
                   "read before",
                   u->path);
    else
        diag_info("users: %s re-read (%zu credentials)", u->path, u->n);
}

int auth_users_save(struct auth_users *u)
{
    struct buf b;
    buf_init(&b);
    buf_put_str(&b, "# rill users: SCRAM credentials, salted and hashed "
                    "(docs/security.md). Edit with `rill users`.\n");
    for (size_t i = 0; i < u->n; i++) {
        const struct auth_user_entry *e = &u->v[i];
        buf_printf(&b, "%s %s %d ", e->name, auth_mech_name(e->cred.mech),
                   (int)e->cred.iterations);
        auth_base64_encode(&b, e->cred.salt, e->cred.salt_len);
        buf_put(&b, " ", 1);
        auth_base64_encode(&b, e->cred.stored_key, e->cred.key_len);
        buf_put(&b, " ", 1);
        auth_base64_encode(&b, e->cred.server_key, e->cred.key_len);
        buf_put(&b, "\n", 1);
    }
    int rc = auth_file_write(u->dir, u->path, &b);
    if (rc == 0)
        auth_file_stamp_take(u->path, &u->stamp);
    memset(b.data, 0, b.len);
    buf_fini(&b);
    return rc;
}

const struct auth_scram_cred *auth_users_find(const struct auth_users *u,
                                              const char *name, size_t len,
                                              int mech)
{
    const struct auth_scram_cred *any = NULL;
    for (size_t i = 0; i < u->n; i++) {
        if (!same_name(&u->v[i], name, len))
            continue;
        if (u->v[i].cred.mech == mech)
            return &u->v[i].cred;
        if (mech == 0 && (!any || u->v[i].cred.mech == AUTH_SCRAM_SHA_512))
            any = &u->v[i].cred;
    }
    return mech == 0 ? any : NULL;
}

int auth_users_set(struct auth_users *u, const char *name, size_t len,
                   const struct auth_scram_cred *cred)
{
    if (!auth_users_name_ok(name, len))
        return ERR_INVALID;
    for (size_t i = 0; i < u->n; i++)
        if (same_name(&u->v[i], name, len) && u->v[i].cred.mech == cred->mech) {
            u->v[i].cred = *cred;
            return 0;
        }
    if (u->n == u->cap) {
        u->cap = u->cap ? 2 * u->cap : 16;
        u->v = mem_realloc(u->v, u->cap * sizeof(*u->v));
    }
    struct auth_user_entry *e = &u->v[u->n++];
    memset(e, 0, sizeof(*e));
    memcpy(e->name, name, len);
    e->cred = *cred;
    return 0;
}

int auth_users_remove(struct auth_users *u, const char *name, size_t len,
                      int mech)
{
    size_t w = 0;
    for (size_t i = 0; i < u->n; i++) {
        if (same_name(&u->v[i], name, len) &&
            (mech == 0 || u->v[i].cred.mech == mech))
            continue;
        u->v[w++] = u->v[i];
    }
    bool found = w != u->n;
    u->n = w;
    return found ? 0 : ERR_NOT_FOUND;
}

size_t auth_users_count(const struct auth_users *u)
{
    return u->n;
}

const struct auth_user_entry *auth_users_at(const struct auth_users *u,
                                            size_t i)
{
    return i < u->n ? &u->v[i] : NULL;
}
