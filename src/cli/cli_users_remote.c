/* cli_users_remote.c - `rill users add|list|delete --bootstrap HOST:PORT`:
 * SCRAM users of a running broker (rill or Kafka) through
 * DescribeUserScramCredentials (50) and AlterUserScramCredentials (51)
 * (layer: cli).
 *
 * librdkafka 2.0 (Debian's) has no call for these two APIs, so this file
 * is a small blocking Kafka client of its own: one TCP connection, TLS
 * with OpenSSL when security.protocol is SSL or SASL_SSL (the server's
 * chain checked against ssl.ca.location, and its name or address), SASL
 * PLAIN or SCRAM-SHA-256/512 (SaslHandshake v1, SaslAuthenticate v1; the
 * server's final signature is checked) from the same client properties
 * file as `rill acls --bootstrap --command-config` (security.protocol,
 * sasl.mechanism(s), sasl.username, sasl.password, ssl.ca.location,
 * ssl.certificate.location, ssl.key.location). The password of the user
 * being added never leaves this process: only the salt, the iteration
 * count and PBKDF2's output go over the wire, as Kafka's own tool sends.
 */
#include "cli/cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/config.h"
#include "base/err.h"
#include "base/mem.h"
#include "broker/auth_scram.h"
#include "kafka/kafka_proto.h"
#include "kafka/kafka_wire.h"

#define MAX_FRAME (16 << 20)

struct kclient {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    int32_t corr;
    int timeout_ms;
};

static void ssl_reason(char *out, size_t cap)
{
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, out, cap);
    else
        snprintf(out, cap, "TLS failure");
}

static int io_wait(struct kclient *k, bool write)
{
    struct pollfd p = {.fd = k->fd, .events = write ? POLLOUT : POLLIN};
    int n = poll(&p, 1, k->timeout_ms);
    return n > 0 ? 0 : n == 0 ? -ETIMEDOUT : -errno;
}

static int send_all(struct kclient *k, const uint8_t *p, size_t n)
{
    while (n) {
        int rc = io_wait(k, true);
        if (rc < 0)
            return rc;
        ssize_t w = k->ssl ? SSL_write(k->ssl, p, (int)n)
                           : send(k->fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) {
            if (!k->ssl && errno == EINTR)
                continue;
            return -EIO;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int recv_all(struct kclient *k, uint8_t *p, size_t n)
{
    while (n) {
        if (!(k->ssl && SSL_pending(k->ssl))) {
            int rc = io_wait(k, false);
            if (rc < 0)
                return rc;
        }
        ssize_t r = k->ssl ? SSL_read(k->ssl, p, (int)n) : recv(k->fd, p, n, 0);
        if (r <= 0) {
            if (!k->ssl && r < 0 && errno == EINTR)
                continue;
            return -ECONNRESET;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* One request and its answer: resp holds the body after the response
 * header. Returns 0 or a negative error. */
static int call(struct kclient *k, int16_t key, int16_t ver,
                const struct buf *body, struct buf *resp)
{
    bool flex = kafka_api_flexible(key, ver);
    struct buf req;
    buf_init(&req);
    buf_put_i32(&req, 0);
    buf_put_i16(&req, key);
    buf_put_i16(&req, ver);
    buf_put_i32(&req, ++k->corr);
    buf_put_i16(&req, 9);
    buf_put(&req, "rill-user", 9);
    if (flex)
        buf_put_u8(&req, 0);
    buf_put(&req, body->data, body->len);
    be32_store(req.data, (uint32_t)(req.len - 4));
    int rc = send_all(k, req.data, req.len);
    buf_fini(&req);
    if (rc < 0)
        return rc;
    uint8_t hdr[4];
    rc = recv_all(k, hdr, 4);
    if (rc < 0)
        return rc;
    uint32_t n = be32_load(hdr);
    if (n < 4 || n > MAX_FRAME)
        return ERR_PARSE;
    buf_reset(resp);
    uint8_t *dst = buf_extend(resp, n);
    rc = recv_all(k, dst, n);
    if (rc < 0)
        return rc;
    if ((int32_t)be32_load(resp->data) != k->corr)
        return ERR_PARSE;
    size_t skip = 4 + (flex && key != KAFKA_API_API_VERSIONS ? 1 : 0);
    if (resp->len < skip || (skip == 5 && resp->data[4] != 0))
        return ERR_PARSE; /* no tagged fields expected in the header */
    memmove(resp->data, resp->data + skip, resp->len - skip);
    resp->len -= skip;
    return 0;
}

static int tcp_connect(struct kclient *k, const char *bootstrap, char *host,
                       size_t hcap, char *err, size_t errlen)
{
    const char *first_end = strchr(bootstrap, ',');
    size_t blen =
        first_end ? (size_t)(first_end - bootstrap) : strlen(bootstrap);
    const char *colon = memrchr(bootstrap, ':', blen);
    if (!colon || colon == bootstrap || (size_t)(colon - bootstrap) >= hcap) {
        snprintf(err, errlen, "--bootstrap HOST:PORT");
        return ERR_INVALID;
    }
    char port[16];
    snprintf(host, hcap, "%.*s", (int)(colon - bootstrap), bootstrap);
    snprintf(port, sizeof port, "%.*s",
             (int)(blen - (size_t)(colon - bootstrap) - 1), colon + 1);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int g = getaddrinfo(host, port, &hints, &res);
    if (g) {
        snprintf(err, errlen, "%s: %s", host, gai_strerror(g));
        return ERR_INVALID;
    }
    int rc = -ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            k->fd = fd;
            rc = 0;
            break;
        }
        rc = -errno;
        close(fd);
    }
    freeaddrinfo(res);
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", bootstrap, strerror(-rc));
    return rc;
}

static int tls_start(struct kclient *k, const struct config *props,
                     const char *host, char *err, size_t errlen)
{
    k->ctx = SSL_CTX_new(TLS_client_method());
    if (!k->ctx)
        goto fail;
    SSL_CTX_set_min_proto_version(k->ctx, TLS1_2_VERSION);
    const char *ca = config_get(props, "ssl.ca.location", NULL);
    if (ca ? SSL_CTX_load_verify_locations(k->ctx, ca, NULL) != 1
           : SSL_CTX_set_default_verify_paths(k->ctx) != 1)
        goto fail;
    const char *cert = config_get(props, "ssl.certificate.location", NULL);
    const char *key = config_get(props, "ssl.key.location", NULL);
    if (cert && (SSL_CTX_use_certificate_chain_file(k->ctx, cert) != 1 ||
                 SSL_CTX_use_PrivateKey_file(k->ctx, key ? key : cert,
                                             SSL_FILETYPE_PEM) != 1))
        goto fail;
    SSL_CTX_set_verify(k->ctx, SSL_VERIFY_PEER, NULL);
    k->ssl = SSL_new(k->ctx);
    if (!k->ssl)
        goto fail;
    /* The server's certificate must name what we connected to. */
    X509_VERIFY_PARAM *vp = SSL_get0_param(k->ssl);
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a6) == 1 ||
        inet_pton(AF_INET6, host, &a6) == 1)
        X509_VERIFY_PARAM_set1_ip_asc(vp, host);
    else {
        X509_VERIFY_PARAM_set1_host(vp, host, 0);
        SSL_set_tlsext_host_name(k->ssl, host);
    }
    SSL_set_fd(k->ssl, k->fd);
    if (SSL_connect(k->ssl) != 1) {
        long v = SSL_get_verify_result(k->ssl);
        if (v != X509_V_OK) {
            snprintf(err, errlen, "TLS: the server's certificate: %s",
                     X509_verify_cert_error_string(v));
            return ERR_INVALID;
        }
        goto fail;
    }
    return 0;
fail : {
    char why[256];
    ssl_reason(why, sizeof why);
    snprintf(err, errlen, "TLS: %s", why);
    return ERR_INVALID;
}
}

/* --- SASL ------------------------------------------------------------------
 */

static int sasl_step(struct kclient *k, const uint8_t *out, size_t n,
                     struct buf *in, char *err, size_t errlen)
{
    struct buf body, resp;
    buf_init(&body);
    buf_init(&resp);
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, &body, KAFKA_API_SASL_AUTHENTICATE, 1);
    kafka_wire_put_bytes(&e, slice_make(out, n), false);
    int rc = call(k, KAFKA_API_SASL_AUTHENTICATE, 1, &body, &resp);
    if (rc == 0) {
        struct arena a;
        arena_init(&a, 1024);
        struct buf_reader r;
        buf_reader_init(&r, resp.data, resp.len);
        struct kafka_dec d;
        kafka_wire_dec_begin(&d, &r, &a, KAFKA_API_SASL_AUTHENTICATE, 1);
        int16_t code = buf_read_i16(&r);
        struct slice msg = kafka_wire_read_string(&d, true);
        struct slice bytes = kafka_wire_read_bytes(&d, false);
        buf_read_i64(&r);
        if (kafka_wire_done(&d) < 0) {
            rc = ERR_PARSE;
        } else if (code) {
            snprintf(err, errlen, "SASL: %s%s%.*s", kafka_error_name(code),
                     msg.ptr ? ": " : "", (int)msg.len,
                     msg.ptr ? (const char *)msg.ptr : "");
            rc = ERR_INVALID;
        } else {
            buf_reset(in);
            buf_put(in, bytes.ptr, bytes.len);
        }
        arena_fini(&a);
    } else {
        snprintf(err, errlen, "SASL: %s", err_str(rc));
    }
    buf_fini(&body);
    buf_fini(&resp);
    return rc;
}

static void hmac(const EVP_MD *md, const uint8_t *key, size_t klen,
                 const void *msg, size_t mlen, uint8_t *out)
{
    unsigned int n = 0;
    HMAC(md, key, (int)klen, msg, mlen, out, &n);
}

/* RFC 5802 from the client's side; the server's signature is checked. */
static int scram(struct kclient *k, int mech, const char *user, const char *pw,
                 char *err, size_t errlen)
{
    const EVP_MD *md = mech == AUTH_SCRAM_SHA_512 ? EVP_sha512() : EVP_sha256();
    size_t kl = (size_t)EVP_MD_size(md);
    uint8_t raw[18];
    RAND_bytes(raw, sizeof raw);
    struct buf nonce, first, in, final, tmp;
    buf_init(&nonce);
    buf_init(&first);
    buf_init(&in);
    buf_init(&final);
    buf_init(&tmp);
    auth_base64_encode(&nonce, raw, sizeof raw);
    buf_printf(&first, "n,,n=");
    for (const char *c = user; *c; c++) { /* RFC 5802: , and = escaped */
        if (*c == ',')
            buf_printf(&first, "=2C");
        else if (*c == '=')
            buf_printf(&first, "=3D");
        else
            buf_put(&first, c, 1);
    }
    buf_printf(&first, ",r=%.*s", (int)nonce.len, (const char *)nonce.data);
    int rc = sasl_step(k, first.data, first.len, &in, err, errlen);
    uint8_t salted[64], ckey[64], skey[64], stored[64], sig[64], proof[64];
    if (rc < 0)
        goto out;
    /* server-first: r=NONCE,s=SALT,i=ITER */
    buf_put_u8(&in, 0);
    const char *sf = (const char *)in.data;
    const char *r = strstr(sf, "r="), *s = strstr(sf, ",s="),
               *i = strstr(sf, ",i=");
    rc = ERR_PARSE;
    if (r != sf || !s || !i || s > i || (size_t)(s - r - 2) < nonce.len ||
        memcmp(r + 2, nonce.data, nonce.len) != 0) {
        snprintf(err, errlen,
                 "SASL: a server-first message that does not "
                 "continue our nonce");
        goto out;
    }
    uint8_t salt[128];
    int slen =
        auth_base64_decode(s + 3, (size_t)(i - s - 3), salt, sizeof salt);
    long iter = strtol(i + 3, NULL, 10);
    if (slen <= 0 || iter < 1 || iter > 1000000) {
        snprintf(err, errlen, "SASL: a bad salt or iteration count");
        goto out;
    }
    if (auth_scram_salt_password(mech, pw, strlen(pw), salt, (size_t)slen,
                                 (int32_t)iter, salted) < 0)
        goto out;
    hmac(md, salted, kl, "Client Key", 10, ckey);
    EVP_Digest(ckey, kl, stored, NULL, md, NULL);
    buf_printf(&final, "c=biws,r=%.*s", (int)(s - r - 2), r + 2);
    /* AuthMessage = client-first-bare , server-first , final-without-proof */
    buf_put(&tmp, first.data + 3, first.len - 3);
    buf_put(&tmp, ",", 1);
    buf_put(&tmp, in.data, in.len - 1);
    buf_put(&tmp, ",", 1);
    buf_put(&tmp, final.data, final.len);
    hmac(md, stored, kl, tmp.data, tmp.len, sig);
    for (size_t j = 0; j < kl; j++)
        proof[j] = ckey[j] ^ sig[j];
    buf_printf(&final, ",p=");
    auth_base64_encode(&final, proof, kl);
    rc = sasl_step(k, final.data, final.len, &in, err, errlen);
    if (rc < 0)
        goto out;
    /* server-final: v=SIGNATURE, which proves the server knew our key */
    hmac(md, salted, kl, "Server Key", 10, skey);
    hmac(md, skey, kl, tmp.data, tmp.len, sig);
    uint8_t got[64];
    int glen = in.len > 2 && !memcmp(in.data, "v=", 2)
                   ? auth_base64_decode((const char *)in.data + 2, in.len - 2,
                                        got, sizeof got)
                   : -1;
    if (glen != (int)kl || CRYPTO_memcmp(got, sig, kl) != 0) {
        snprintf(err, errlen,
                 "SASL: the server's final signature does not "
                 "verify");
        rc = ERR_INVALID;
    }
out:
    OPENSSL_cleanse(salted, sizeof salted);
    OPENSSL_cleanse(ckey, sizeof ckey);
    buf_fini(&nonce);
    buf_fini(&first);
    buf_fini(&in);
    buf_fini(&final);
    buf_fini(&tmp);
    return rc;
}

static int sasl_login(struct kclient *k, const struct config *props, char *err,
                      size_t errlen)
{
    const char *m = config_get(props, "sasl.mechanism",
                               config_get(props, "sasl.mechanisms", "GSSAPI"));
    const char *user = config_get(props, "sasl.username", NULL);
    const char *pw = config_get(props, "sasl.password", NULL);
    bool plain = !strcmp(m, "PLAIN");
    int mech = plain ? 0 : auth_mech_parse(m, strlen(m));
    if ((!plain && !mech) || !user || !pw) {
        snprintf(err, errlen,
                 "SASL: sasl.mechanism PLAIN, SCRAM-SHA-256 or "
                 "SCRAM-SHA-512 with sasl.username and "
                 "sasl.password");
        return ERR_INVALID;
    }
    struct buf body, resp;
    buf_init(&body);
    buf_init(&resp);
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, &body, KAFKA_API_SASL_HANDSHAKE, 1);
    kafka_wire_put_string(&e, slice_make(m, strlen(m)), false);
    int rc = call(k, KAFKA_API_SASL_HANDSHAKE, 1, &body, &resp);
    if (rc == 0 && (resp.len < 2 || be16_load(resp.data) != 0)) {
        snprintf(err, errlen, "SASL: the broker does not offer %s (%s)", m,
                 resp.len >= 2 ? kafka_error_name((int16_t)be16_load(resp.data))
                               : "short answer");
        rc = ERR_INVALID;
    } else if (rc < 0) {
        snprintf(err, errlen, "SaslHandshake: %s", err_str(rc));
    }
    buf_fini(&body);
    buf_fini(&resp);
    if (rc < 0)
        return rc;
    if (!plain)
        return scram(k, mech, user, pw, err, errlen);
    struct buf tok, in;
    buf_init(&tok);
    buf_init(&in);
    buf_put_u8(&tok, 0);
    buf_put(&tok, user, strlen(user));
    buf_put_u8(&tok, 0);
    buf_put(&tok, pw, strlen(pw));
    rc = sasl_step(k, tok.data, tok.len, &in, err, errlen);
    OPENSSL_cleanse(tok.data, tok.len);
    buf_fini(&tok);
    buf_fini(&in);
    return rc;
}

static void kc_close(struct kclient *k)
{
    if (k->ssl) {
        SSL_shutdown(k->ssl);
        SSL_free(k->ssl);
    }
    SSL_CTX_free(k->ctx);
    if (k->fd >= 0)
        close(k->fd);
    k->fd = -1;
    k->ssl = NULL;
    k->ctx = NULL;
}

static int kc_open(struct kclient *k, const char *bootstrap,
                   const char *config_file, int timeout_ms)
{
    char err[600] = "", host[256];
    memset(k, 0, sizeof *k);
    k->fd = -1;
    k->timeout_ms = timeout_ms;
    struct config props;
    config_init(&props);
    int rc = 0;
    if (config_file &&
        config_load(&props, config_file, err, (int)sizeof err) < 0) {
        fprintf(stderr, "rill users: %s: %s\n", config_file, err);
        config_fini(&props);
        return ERR_INVALID;
    }
    const char *proto = config_get(&props, "security.protocol", "PLAINTEXT");
    bool tls = !strcasecmp(proto, "SSL") || !strcasecmp(proto, "SASL_SSL");
    bool sasl = !strncasecmp(proto, "SASL_", 5);
    if (!tls && !sasl && strcasecmp(proto, "PLAINTEXT")) {
        snprintf(err, sizeof err,
                 "security.protocol: PLAINTEXT, SSL, "
                 "SASL_PLAINTEXT or SASL_SSL");
        rc = ERR_INVALID;
    }
    if (!rc)
        rc = tcp_connect(k, bootstrap, host, sizeof host, err, sizeof err);
    if (!rc && tls)
        rc = tls_start(k, &props, host, err, sizeof err);
    if (!rc && sasl)
        rc = sasl_login(k, &props, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "rill users: %s\n", err[0] ? err : err_str(rc));
        kc_close(k);
    }
    config_fini(&props);
    return rc;
}

/* --- the two APIs -------------------------------------------------------- */

struct remote_user {
    char name[256];
    int mechs[2];
    int32_t iterations[2];
    int n;
};

/* DescribeUserScramCredentials of every user (name NULL) or one; prints
 * errors. Returns the count of users or a negative error. */
static int describe(struct kclient *k, const char *name,
                    struct remote_user *out, int cap)
{
    struct buf body, resp;
    buf_init(&body);
    buf_init(&resp);
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, &body, KAFKA_API_DESCRIBE_USER_SCRAM, 0);
    kafka_wire_put_array(&e, name ? 1 : 0, !name);
    if (name) {
        kafka_wire_put_string(&e, slice_make(name, strlen(name)), false);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
    int rc = call(k, KAFKA_API_DESCRIBE_USER_SCRAM, 0, &body, &resp);
    int n = 0;
    if (rc == 0) {
        struct arena a;
        arena_init(&a, 4096);
        struct buf_reader r;
        buf_reader_init(&r, resp.data, resp.len);
        struct kafka_dec d;
        kafka_wire_dec_begin(&d, &r, &a, KAFKA_API_DESCRIBE_USER_SCRAM, 0);
        buf_read_i32(&r);
        int16_t code = buf_read_i16(&r);
        struct slice msg = kafka_wire_read_string(&d, true);
        size_t nres = kafka_wire_read_array(&d, 4, false, NULL);
        for (size_t i = 0; i < nres && kafka_wire_done(&d) == 0; i++) {
            struct slice u = kafka_wire_read_string(&d, false);
            int16_t ucode = buf_read_i16(&r);
            struct slice umsg = kafka_wire_read_string(&d, true);
            size_t ninfo = kafka_wire_read_array(&d, 5, false, NULL);
            struct remote_user ru = {0};
            snprintf(ru.name, sizeof ru.name, "%.*s", (int)u.len,
                     (const char *)u.ptr);
            for (size_t j = 0; j < ninfo; j++) {
                int m = buf_read_u8(&r);
                int32_t it = buf_read_i32(&r);
                kafka_wire_read_tags(&d);
                if (ru.n < 2) {
                    ru.mechs[ru.n] = m;
                    ru.iterations[ru.n++] = it;
                }
            }
            kafka_wire_read_tags(&d);
            if (ucode == KAFKA_ERR_RESOURCE_NOT_FOUND)
                continue; /* a named user the broker does not have */
            if (ucode) {
                fprintf(stderr, "rill users: %s: %s%s%.*s\n", ru.name,
                        kafka_error_name(ucode), umsg.ptr ? ": " : "",
                        (int)umsg.len, umsg.ptr ? (const char *)umsg.ptr : "");
                rc = ERR_INVALID;
                continue;
            }
            if (n < cap)
                out[n++] = ru;
        }
        kafka_wire_read_tags(&d);
        if (rc == 0 && kafka_wire_done(&d) < 0) {
            fprintf(stderr, "rill users: a malformed answer\n");
            rc = ERR_PARSE;
        }
        if (rc == 0 && code) {
            fprintf(stderr, "rill users: %s%s%.*s\n", kafka_error_name(code),
                    msg.ptr ? ": " : "", (int)msg.len,
                    msg.ptr ? (const char *)msg.ptr : "");
            rc = ERR_INVALID;
        }
        arena_fini(&a);
    } else {
        fprintf(stderr, "rill users: DescribeUserScramCredentials: %s\n",
                err_str(rc));
    }
    buf_fini(&body);
    buf_fini(&resp);
    return rc < 0 ? rc : n;
}

/* AlterUserScramCredentials: deletions of mechs[] (pw NULL) or upserts of
 * pw under mechs[]. Prints per-user errors; returns 0 or an error. */
static int alter(struct kclient *k, const char *name, const char *pw,
                 const int *mechs, int nm, int32_t iterations)
{
    struct buf body, resp;
    buf_init(&body);
    buf_init(&resp);
    struct kafka_enc e;
    struct slice nm_s = slice_make(name, strlen(name));
    kafka_wire_enc_begin(&e, &body, KAFKA_API_ALTER_USER_SCRAM, 0);
    kafka_wire_put_array(&e, pw ? 0 : (size_t)nm, false);
    for (int i = 0; !pw && i < nm; i++) {
        kafka_wire_put_string(&e, nm_s, false);
        buf_put_u8(&body, (uint8_t)mechs[i]);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_array(&e, pw ? (size_t)nm : 0, false);
    int rc = 0;
    for (int i = 0; pw && i < nm; i++) {
        uint8_t salt[32], salted[64];
        RAND_bytes(salt, sizeof salt);
        size_t kl = mechs[i] == AUTH_SCRAM_SHA_512 ? 64 : 32;
        rc = auth_scram_salt_password(mechs[i], pw, strlen(pw), salt,
                                      sizeof salt, iterations, salted);
        kafka_wire_put_string(&e, nm_s, false);
        buf_put_u8(&body, (uint8_t)mechs[i]);
        buf_put_i32(&body, iterations);
        kafka_wire_put_bytes(&e, slice_make(salt, sizeof salt), false);
        kafka_wire_put_bytes(&e, slice_make(salted, kl), false);
        kafka_wire_put_tags(&e);
        OPENSSL_cleanse(salted, sizeof salted);
    }
    kafka_wire_put_tags(&e);
    if (rc == 0)
        rc = call(k, KAFKA_API_ALTER_USER_SCRAM, 0, &body, &resp);
    OPENSSL_cleanse(body.data, body.len);
    if (rc == 0) {
        struct arena a;
        arena_init(&a, 4096);
        struct buf_reader r;
        buf_reader_init(&r, resp.data, resp.len);
        struct kafka_dec d;
        kafka_wire_dec_begin(&d, &r, &a, KAFKA_API_ALTER_USER_SCRAM, 0);
        buf_read_i32(&r);
        size_t nres = kafka_wire_read_array(&d, 4, false, NULL);
        for (size_t i = 0; i < nres && kafka_wire_done(&d) == 0; i++) {
            struct slice u = kafka_wire_read_string(&d, false);
            int16_t code = buf_read_i16(&r);
            struct slice msg = kafka_wire_read_string(&d, true);
            kafka_wire_read_tags(&d);
            if (code) {
                fprintf(stderr, "rill users: %.*s: %s%s%.*s\n", (int)u.len,
                        (const char *)u.ptr, kafka_error_name(code),
                        msg.ptr ? ": " : "", (int)msg.len,
                        msg.ptr ? (const char *)msg.ptr : "");
                rc = ERR_INVALID;
            }
        }
        kafka_wire_read_tags(&d);
        if (rc == 0 && (kafka_wire_done(&d) < 0 || nres == 0)) {
            fprintf(stderr, "rill users: a malformed answer\n");
            rc = ERR_PARSE;
        }
        arena_fini(&a);
    } else {
        fprintf(stderr, "rill users: AlterUserScramCredentials: %s\n",
                err_str(rc));
    }
    buf_fini(&body);
    buf_fini(&resp);
    return rc;
}

int cli_users_remote(const char *bootstrap, const char *config_file,
                     const char *verb, const char *name, const char *pw,
                     int mech, int32_t iterations, int timeout_ms)
{
    struct kclient k;
    if (kc_open(&k, bootstrap, config_file, timeout_ms) < 0)
        return 1;
    int status = 0;
    if (!strcmp(verb, "list")) {
        struct remote_user *us = mem_alloc(4096 * sizeof(*us));
        int n = describe(&k, NULL, us, 4096);
        if (n < 0)
            status = 1;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < us[i].n; j++)
                printf("%s\t%s\titerations=%d\n", us[i].name,
                       auth_mech_name(us[i].mechs[j]),
                       (int)us[i].iterations[j]);
        mem_free(us);
    } else if (!strcmp(verb, "add")) {
        int mechs[2] = {AUTH_SCRAM_SHA_256, AUTH_SCRAM_SHA_512}, nm = 2;
        if (mech) {
            mechs[0] = mech;
            nm = 1;
        }
        status = alter(&k, name, pw, mechs, nm, iterations) < 0;
        if (!status)
            printf("added %s\n", name);
    } else {
        /* delete: the mechanisms the user has (or the one asked for). */
        struct remote_user u;
        int n = describe(&k, name, &u, 1);
        int mechs[2], nm = 0;
        for (int j = 0; n == 1 && j < u.n; j++)
            if (!mech || u.mechs[j] == mech)
                mechs[nm++] = u.mechs[j];
        if (n < 0) {
            status = 1;
        } else if (nm == 0) {
            fprintf(stderr, "rill users: no user %s%s%s\n", name,
                    mech ? " with " : "", mech ? auth_mech_name(mech) : "");
            status = 1;
        } else {
            status = alter(&k, name, NULL, mechs, nm, 0) < 0;
            if (!status)
                printf("deleted %s\n", name);
        }
    }
    kc_close(&k);
    return status;
}
