/* web_auth.c - HTTP Basic authentication against the users of the data
 * directory (<data>/security/users, `rill users`) (layer: web).
 *
 * On when web_options.require_auth (http.authentication.required, on by
 * itself under a SASL Kafka listener). Every route but /healthz and
 * /readyz needs `Authorization: Basic base64(user:password)`; others get
 * 401 with `WWW-Authenticate: Basic realm="rill"`. The web thread keeps
 * its own copy of the users (re-read at most once a second when the file
 * changed), so it shares nothing with the broker's loop. A password check
 * costs a PBKDF2 run: the SHA-256 of the last few accepted header values
 * is remembered, until the users file changes.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "broker/auth_scram.h"
#include "broker/auth_users.h"
#include "web/web_int.h"

#define SEEN_MAX 8

struct web_auth {
    struct auth_users *users;
    int64_t checked_ms;
    uint8_t seen[SEEN_MAX][32];
    char seen_user[SEEN_MAX][256]; /* the user of each remembered value */
    int nseen, next;
};

int web_auth_create(const char *data_dir, struct web_auth **out)
{
    struct web_auth *a = mem_calloc(1, sizeof(*a));
    int rc = auth_users_open(data_dir, &a->users);
    if (rc < 0) {
        mem_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

void web_auth_destroy(struct web_auth *a)
{
    if (!a)
        return;
    auth_users_destroy(a->users);
    OPENSSL_cleanse(a, sizeof(*a));
    mem_free(a);
}

/* On success, user receives the user name (for the principal). */
static bool check(struct web_auth *a, const struct http_str *h, char *user,
                  size_t cap)
{
    int64_t now = clock_now_ms();
    if (now - a->checked_ms >= 1000) {
        a->checked_ms = now;
        /* A re-read may have removed or changed a user: forget what was
         * accepted (cheap: only a changed file is re-read). */
        auth_users_refresh(a->users);
        a->nseen = 0;
    }
    if (h->n < 7 || strncasecmp(h->p, "Basic ", 6) != 0)
        return false;
    const char *b64 = h->p + 6;
    size_t n = h->n - 6;
    while (n && b64[n - 1] == ' ')
        n--;
    uint8_t digest[32];
    EVP_Digest(b64, n, digest, NULL, EVP_sha256(), NULL);
    for (int i = 0; i < a->nseen; i++)
        if (CRYPTO_memcmp(a->seen[i], digest, 32) == 0) {
            snprintf(user, cap, "%s", a->seen_user[i]);
            return true;
        }
    uint8_t plain[600];
    int len = auth_base64_decode(b64, n, plain, sizeof(plain) - 1);
    if (len <= 0)
        return false;
    const uint8_t *colon = memchr(plain, ':', (size_t)len);
    bool ok = false;
    if (colon) {
        size_t ulen = (size_t)(colon - plain);
        snprintf(user, cap, "%.*s", (int)(ulen > 255 ? 255 : ulen),
                 (const char *)plain);
        const struct auth_scram_cred *c =
            auth_users_find(a->users, (const char *)plain, ulen, 0);
        ok = c && auth_scram_check_password(c, (const char *)colon + 1,
                                            (size_t)len - ulen - 1);
        if (!ok)
            diag_warn("http: login of user '%.*s' refused",
                      (int)(ulen > 64 ? 64 : ulen), (const char *)plain);
    }
    OPENSSL_cleanse(plain, sizeof(plain));
    if (ok) {
        memcpy(a->seen[a->next], digest, 32);
        snprintf(a->seen_user[a->next], sizeof a->seen_user[0], "%s", user);
        a->next = (a->next + 1) % SEEN_MAX;
        if (a->nseen < SEEN_MAX)
            a->nseen++;
    }
    return ok;
}

bool web_auth_allow(struct web *w, struct http_conn *c,
                    const struct http_request *req)
{
    snprintf(w->principal, sizeof w->principal, "User:ANONYMOUS");
    if (!w->auth)
        return true;
    const struct http_str *h = http_request_header(req, "Authorization");
    char user[256];
    if (h && check(w->auth, h, user, sizeof user)) {
        snprintf(w->principal, sizeof w->principal, "User:%s", user);
        return true;
    }
    static const char body[] =
        "{\"error\":\"authentication required: HTTP Basic with a user of "
        "rill users\"}\n";
    http_respond_h(c, 401, "application/json",
                   "WWW-Authenticate: Basic realm=\"rill\"\r\n", body,
                   sizeof(body) - 1);
    return false;
}
