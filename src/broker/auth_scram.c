/* auth_scram.c - SCRAM-SHA-256/512 credentials and the server side of the
 * exchange (RFC 5802), on OpenSSL (layer: broker). Nothing here hand-rolls
 * a primitive: PKCS5_PBKDF2_HMAC, HMAC, EVP digests, RAND_bytes,
 * CRYPTO_memcmp and EVP base64.
 *
 *   SaltedPassword  = PBKDF2-HMAC-H(password, salt, i)
 *   ClientKey       = HMAC(SaltedPassword, "Client Key")
 *   StoredKey       = H(ClientKey)
 *   ServerKey       = HMAC(SaltedPassword, "Server Key")
 *   AuthMessage     = client-first-bare "," server-first "," client-final
 *                     without ",p=..."
 *   ClientSignature = HMAC(StoredKey, AuthMessage)
 *   ClientProof     = ClientKey XOR ClientSignature   (sent by the client)
 *   the server checks H(ClientProof XOR ClientSignature) == StoredKey and
 *   answers v = base64(HMAC(ServerKey, AuthMessage)).
 */
#include "broker/auth_scram.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "base/err.h"

const char *auth_mech_name(int mech)
{
    return mech == AUTH_SCRAM_SHA_256   ? "SCRAM-SHA-256"
           : mech == AUTH_SCRAM_SHA_512 ? "SCRAM-SHA-512"
                                        : "?";
}

int auth_mech_parse(const char *name, size_t len)
{
    if (len == 13 && !memcmp(name, "SCRAM-SHA-256", 13))
        return AUTH_SCRAM_SHA_256;
    if (len == 13 && !memcmp(name, "SCRAM-SHA-512", 13))
        return AUTH_SCRAM_SHA_512;
    return 0;
}

static const EVP_MD *md_of(int mech)
{
    return mech == AUTH_SCRAM_SHA_256   ? EVP_sha256()
           : mech == AUTH_SCRAM_SHA_512 ? EVP_sha512()
                                        : NULL;
}

static void hmac(const EVP_MD *md, const uint8_t *key, size_t klen,
                 const void *p, size_t n, uint8_t *out)
{
    unsigned int olen = 0;
    HMAC(md, key, (int)klen, p, n, out, &olen);
}

int auth_scram_salt_password(int mech, const char *password, size_t pwlen,
                             const uint8_t *salt, size_t salt_len,
                             int32_t iterations, uint8_t *out)
{
    const EVP_MD *md = md_of(mech);
    if (!md || iterations < 1)
        return ERR_INVALID;
    if (!PKCS5_PBKDF2_HMAC(password, (int)pwlen, salt, (int)salt_len,
                           iterations, md, EVP_MD_size(md), out))
        return ERR_INVALID;
    return 0;
}

int auth_scram_cred_from_salted(int mech, const uint8_t *salt, size_t salt_len,
                                const uint8_t *salted, size_t salted_len,
                                int32_t iterations, struct auth_scram_cred *out)
{
    const EVP_MD *md = md_of(mech);
    if (!md || salt_len == 0 || salt_len > AUTH_SCRAM_SALT_MAX ||
        salted_len != (size_t)EVP_MD_size(md) ||
        iterations < AUTH_SCRAM_MIN_ITERATIONS ||
        iterations > AUTH_SCRAM_MAX_ITERATIONS)
        return ERR_INVALID;
    memset(out, 0, sizeof(*out));
    out->mech = mech;
    out->iterations = iterations;
    out->salt_len = salt_len;
    memcpy(out->salt, salt, salt_len);
    out->key_len = salted_len;
    uint8_t client_key[AUTH_SCRAM_KEY_MAX];
    hmac(md, salted, salted_len, "Client Key", 10, client_key);
    EVP_Digest(client_key, salted_len, out->stored_key, NULL, md, NULL);
    hmac(md, salted, salted_len, "Server Key", 10, out->server_key);
    OPENSSL_cleanse(client_key, sizeof(client_key));
    return 0;
}

int auth_scram_cred_make(int mech, const char *password, size_t pwlen,
                         int32_t iterations, struct auth_scram_cred *out)
{
    uint8_t salt[32], salted[AUTH_SCRAM_KEY_MAX];
    if (!md_of(mech) || iterations < AUTH_SCRAM_MIN_ITERATIONS ||
        iterations > AUTH_SCRAM_MAX_ITERATIONS)
        return ERR_INVALID;
    if (RAND_bytes(salt, sizeof(salt)) != 1)
        return ERR_INVALID;
    int rc = auth_scram_salt_password(mech, password, pwlen, salt, sizeof(salt),
                                      iterations, salted);
    if (rc == 0)
        rc = auth_scram_cred_from_salted(mech, salt, sizeof(salt), salted,
                                         (size_t)EVP_MD_size(md_of(mech)),
                                         iterations, out);
    OPENSSL_cleanse(salted, sizeof(salted));
    return rc;
}

bool auth_scram_check_password(const struct auth_scram_cred *c,
                               const char *password, size_t pwlen)
{
    uint8_t salted[AUTH_SCRAM_KEY_MAX];
    struct auth_scram_cred tmp;
    if (auth_scram_salt_password(c->mech, password, pwlen, c->salt, c->salt_len,
                                 c->iterations, salted) < 0)
        return false;
    bool ok =
        auth_scram_cred_from_salted(c->mech, c->salt, c->salt_len, salted,
                                    c->key_len, c->iterations, &tmp) == 0 &&
        CRYPTO_memcmp(tmp.stored_key, c->stored_key, c->key_len) == 0;
    OPENSSL_cleanse(salted, sizeof(salted));
    OPENSSL_cleanse(&tmp, sizeof(tmp));
    return ok;
}

void auth_base64_encode(struct buf *out, const uint8_t *p, size_t n)
{
    size_t need = 4 * ((n + 2) / 3) + 1;
    uint8_t *dst = buf_extend(out, need);
    int w = EVP_EncodeBlock(dst, p, (int)n);
    out->len -= need - (size_t)w;
}

int auth_base64_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
    if (n % 4 != 0 || n > 4096)
        return -1;
    if (n == 0)
        return 0;
    /* EVP_DecodeBlock writes n / 4 * 3 bytes, the padding as zeros. */
    uint8_t tmp[3072];
    int w = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n);
    if (w < 0)
        return -1;
    if (s[n - 1] == '=')
        w--;
    if (s[n - 2] == '=')
        w--;
    if ((size_t)w > cap)
        return -1;
    memcpy(out, tmp, (size_t)w);
    OPENSSL_cleanse(tmp, sizeof(tmp));
    return w;
}

/* --- the server exchange ------------------------------------------------ */

void auth_scram_server_init(struct auth_scram_server *s, int mech)
{
    memset(s, 0, sizeof(*s));
    s->mech = mech;
    buf_init(&s->client_first_bare);
    buf_init(&s->server_first);
    buf_init(&s->gs2_header);
}

void auth_scram_server_fini(struct auth_scram_server *s)
{
    buf_fini(&s->client_first_bare);
    buf_fini(&s->server_first);
    buf_fini(&s->gs2_header);
    OPENSSL_cleanse(&s->cred, sizeof(s->cred));
}

/* The next comma-separated attribute of [*p, end): "x=value". */
static bool next_attr(const char **p, const char *end, char *name,
                      const char **v, size_t *vlen)
{
    const char *q = *p;
    if (q >= end)
        return false;
    const char *comma = memchr(q, ',', (size_t)(end - q));
    const char *stop = comma ? comma : end;
    if (stop - q < 2 || q[1] != '=')
        return false;
    *name = q[0];
    *v = q + 2;
    *vlen = (size_t)(stop - q - 2);
    *p = comma ? comma + 1 : end;
    return true;
}

/* saslname: "=2C" is ',', "=3D" is '='; anything else after '=' is bad. */
static int unescape_name(const char *v, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (c == '=') {
            if (i + 3 <= n && !memcmp(v + i, "=2C", 3))
                c = ',';
            else if (i + 3 <= n && !memcmp(v + i, "=3D", 3))
                c = '=';
            else
                return ERR_INVALID;
            i += 2;
        }
        if (c == '\0' || o + 1 >= cap)
            return ERR_INVALID;
        out[o++] = c;
    }
    out[o] = '\0';
    return o ? 0 : ERR_INVALID;
}

int auth_scram_server_first(struct auth_scram_server *s, const uint8_t *in,
                            size_t n, const char **why)
{
    const char *p = (const char *)in, *end = p + n;
    *why = "malformed client-first message";
    if (s->step != 0 || n < 3 || memchr(in, '\0', n))
        return ERR_INVALID;
    if (p[0] == 'p') {
        *why = "channel binding is not supported";
        return ERR_INVALID;
    }
    if ((p[0] != 'n' && p[0] != 'y') || p[1] != ',')
        return ERR_INVALID;
    const char *authz = p + 2;
    const char *comma = memchr(authz, ',', (size_t)(end - authz));
    if (!comma)
        return ERR_INVALID;
    char authzid[256] = "";
    if (comma > authz) {
        if (comma - authz < 2 || authz[0] != 'a' || authz[1] != '=' ||
            unescape_name(authz + 2, (size_t)(comma - authz - 2), authzid,
                          sizeof(authzid)) < 0)
            return ERR_INVALID;
    }
    buf_put(&s->gs2_header, p, (size_t)(comma + 1 - p));
    const char *bare = comma + 1;
    buf_put(&s->client_first_bare, bare, (size_t)(end - bare));
    const char *q = bare, *v;
    size_t vlen;
    char name;
    if (!next_attr(&q, end, &name, &v, &vlen) || name != 'n' ||
        unescape_name(v, vlen, s->user, sizeof(s->user)) < 0)
        return ERR_INVALID;
    if (!next_attr(&q, end, &name, &v, &vlen) || name != 'r' || vlen == 0 ||
        vlen > 64)
        return ERR_INVALID;
    for (size_t i = 0; i < vlen; i++)
        if (v[i] < 0x21 || v[i] > 0x7e || v[i] == ',')
            return ERR_INVALID;
    memcpy(s->nonce, v, vlen);
    s->nonce[vlen] = '\0';
    while (q < end) {
        /* Extensions: Kafka's tokenauth (delegation tokens) is not
         * served; others are ignored as RFC 5802 says. */
        const char *ext = q;
        const char *c2 = memchr(q, ',', (size_t)(end - q));
        q = c2 ? c2 + 1 : end;
        if ((size_t)(end - ext) >= 9 && !memcmp(ext, "tokenauth", 9)) {
            *why = "delegation tokens are not supported";
            return ERR_INVALID;
        }
    }
    if (authzid[0] && strcmp(authzid, s->user) != 0) {
        *why = "the authorization id is not the user name";
        return ERR_INVALID;
    }
    return 0;
}

void auth_scram_server_challenge(struct auth_scram_server *s,
                                 const struct auth_scram_cred *cred,
                                 struct buf *out)
{
    uint8_t rnd[24];
    s->cred = *cred;
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        memset(rnd, 0, sizeof(rnd)); /* only fails without entropy */
    size_t nl = strlen(s->nonce);
    struct buf tmp;
    buf_init(&tmp);
    auth_base64_encode(&tmp, rnd, sizeof(rnd));
    memcpy(s->nonce + nl, tmp.data, tmp.len);
    s->nonce[nl + tmp.len] = '\0';
    buf_reset(&tmp);
    buf_printf(&s->server_first, "r=%s,s=", s->nonce);
    auth_base64_encode(&s->server_first, cred->salt, cred->salt_len);
    buf_printf(&s->server_first, ",i=%d", (int)cred->iterations);
    buf_put(out, s->server_first.data, s->server_first.len);
    buf_fini(&tmp);
    s->step = 1;
}

int auth_scram_server_final(struct auth_scram_server *s, const uint8_t *in,
                            size_t n, struct buf *out, const char **why)
{
    const char *p = (const char *)in, *end = p + n, *v;
    size_t vlen;
    char name;
    *why = "malformed client-final message";
    if (s->step != 1 || memchr(in, '\0', n))
        return ERR_INVALID;
    /* c=base64(gs2 header) */
    if (!next_attr(&p, end, &name, &v, &vlen) || name != 'c')
        return ERR_INVALID;
    struct buf cb;
    buf_init(&cb);
    auth_base64_encode(&cb, s->gs2_header.data, s->gs2_header.len);
    bool cb_ok = cb.len == vlen && !memcmp(cb.data, v, vlen);
    buf_fini(&cb);
    if (!cb_ok) {
        *why = "channel binding data differs from the first message";
        return ERR_INVALID;
    }
    /* RFC 5802 wants the nonce echoed; librdkafka sends its own nonce in
     * front of it again, which Kafka accepts (it checks the ending), so
     * the whole nonce must end the client's. */
    size_t nl = strlen(s->nonce);
    if (!next_attr(&p, end, &name, &v, &vlen) || name != 'r' || vlen < nl ||
        memcmp(v + vlen - nl, s->nonce, nl)) {
        *why = "nonce differs from the server's";
        return ERR_INVALID;
    }
    const char *proof = NULL;
    size_t prooflen = 0;
    const char *without_proof_end = NULL;
    while (p < end) {
        const char *attr = p;
        if (!next_attr(&p, end, &name, &v, &vlen))
            return ERR_INVALID;
        if (name == 'p') {
            proof = v;
            prooflen = vlen;
            without_proof_end = attr - 1; /* the comma before p= */
            if (p != end)
                return ERR_INVALID; /* p= is last */
        }
    }
    if (!proof)
        return ERR_INVALID;
    const EVP_MD *md = md_of(s->mech);
    size_t klen = s->cred.key_len;
    uint8_t got[AUTH_SCRAM_KEY_MAX + 4];
    if (auth_base64_decode(proof, prooflen, got, sizeof(got)) != (int)klen)
        return ERR_INVALID;
    struct buf msg;
    buf_init(&msg);
    buf_put(&msg, s->client_first_bare.data, s->client_first_bare.len);
    buf_put(&msg, ",", 1);
    buf_put(&msg, s->server_first.data, s->server_first.len);
    buf_put(&msg, ",", 1);
    buf_put(&msg, in, (size_t)(without_proof_end - (const char *)in));
    uint8_t sig[AUTH_SCRAM_KEY_MAX], key[AUTH_SCRAM_KEY_MAX],
        stored[AUTH_SCRAM_KEY_MAX];
    hmac(md, s->cred.stored_key, klen, msg.data, msg.len, sig);
    for (size_t i = 0; i < klen; i++)
        key[i] = got[i] ^ sig[i];
    EVP_Digest(key, klen, stored, NULL, md, NULL);
    int rc = 0;
    if (CRYPTO_memcmp(stored, s->cred.stored_key, klen) != 0) {
        *why = "wrong password";
        rc = ERR_INVALID;
    } else {
        hmac(md, s->cred.server_key, klen, msg.data, msg.len, sig);
        buf_put(out, "v=", 2);
        auth_base64_encode(out, sig, klen);
        s->step = 2;
    }
    buf_fini(&msg);
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}
