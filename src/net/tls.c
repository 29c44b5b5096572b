/* tls.c - TLS sessions over non-blocking sockets with OpenSSL
 * (layer: net). See tls.h.
 *
 * TLS 1.2 and 1.3 only; OpenSSL's default cipher lists. Writes use
 * SSL_MODE_ENABLE_PARTIAL_WRITE (a write returns what one record or a few
 * took) and SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER (a retry may come from
 * another address as long as the bytes are the same: conn.c re-reads file
 * ranges into a scratch buffer).
 */
#include "net/tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"

struct tls_ctx {
    SSL_CTX *ssl;
};

struct tls {
    SSL *ssl;
    bool wants_write;
    char subject[256];
};

static void last_error(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "";
    if (e)
        ERR_error_string_n(e, buf, sizeof(buf));
    snprintf(err, errlen, "%s: %s", what, e ? buf : "failed");
    ERR_clear_error();
}

static int password_cb(char *buf, int size, int rwflag, void *u)
{
    (void)rwflag;
    const char *pw = u;
    int n = pw ? (int)strlen(pw) : 0;
    if (n >= size)
        n = size - 1;
    if (n > 0)
        memcpy(buf, pw, (size_t)n);
    return n;
}

int tls_ctx_create(const struct tls_options *o, struct tls_ctx **out, char *err,
                   size_t errlen)
{
    SSL_CTX *s = SSL_CTX_new(TLS_server_method());
    if (!s) {
        last_error(err, errlen, "TLS context");
        return ERR_INVALID;
    }
    SSL_CTX_set_min_proto_version(s, TLS1_2_VERSION);
    SSL_CTX_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_default_passwd_cb(s, password_cb);
    SSL_CTX_set_default_passwd_cb_userdata(s,
                                           (void *)(uintptr_t)o->key_password);
    const char *key = o->key_file ? o->key_file : o->cert_file;
    if (!o->cert_file ||
        SSL_CTX_use_certificate_chain_file(s, o->cert_file) != 1) {
        last_error(err, errlen, o->cert_file ? o->cert_file : "no certificate");
        goto out_free;
    }
    if (SSL_CTX_use_PrivateKey_file(s, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(s) != 1) {
        last_error(err, errlen, key);
        goto out_free;
    }
    if (o->client_auth != TLS_CLIENT_NONE) {
        if (!o->ca_file ||
            SSL_CTX_load_verify_locations(s, o->ca_file, NULL) != 1) {
            last_error(err, errlen,
                       o->ca_file
                           ? o->ca_file
                           : "ssl.client.auth needs ssl.truststore.location");
            goto out_free;
        }
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(o->ca_file);
        if (names)
            SSL_CTX_set_client_CA_list(s, names);
        SSL_CTX_set_verify(s,
                           SSL_VERIFY_PEER |
                               (o->client_auth == TLS_CLIENT_REQUIRED
                                    ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                                    : 0),
                           NULL);
    }
    struct tls_ctx *c = mem_calloc(1, sizeof(*c));
    c->ssl = s;
    *out = c;
    return 0;
out_free:
    SSL_CTX_free(s);
    return ERR_INVALID;
}

void tls_ctx_destroy(struct tls_ctx *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->ssl);
    mem_free(ctx);
}

struct tls *tls_create(struct tls_ctx *ctx, int fd)
{
    struct tls *t = mem_calloc(1, sizeof(*t));
    t->ssl = SSL_new(ctx->ssl);
    if (!t->ssl)
        abort(); /* out of memory */
    SSL_set_fd(t->ssl, fd);
    SSL_set_accept_state(t->ssl);
    return t;
}

void tls_destroy(struct tls *t)
{
    if (!t)
        return;
    SSL_free(t->ssl);
    mem_free(t);
}

/* Maps an SSL_read/SSL_write result to the read/write convention. */
static ssize_t result(struct tls *t, int r, const char *what)
{
    if (r > 0) {
        t->wants_write = false;
        return r;
    }
    int e = SSL_get_error(t->ssl, r);
    switch (e) {
    case SSL_ERROR_WANT_READ:
        t->wants_write = false;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        t->wants_write = true;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN: /* close_notify */
        if (strcmp(what, "read") == 0)
            return 0;
        errno = EPIPE;
        return -1;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        if (r == 0 || errno == 0) {
            errno = ECONNRESET;
            return strcmp(what, "read") == 0 ? 0 : -1;
        }
        return -1;
    default: {
        unsigned long le = ERR_get_error();
        char buf[256] = "";
        if (le)
            ERR_error_string_n(le, buf, sizeof(buf));
        diag_info("tls: %s: %s", what, buf);
        ERR_clear_error();
        errno = EPROTO;
        return -1;
    }
    }
}

ssize_t tls_read(struct tls *t, void *p, size_t n)
{
    if (n > INT32_MAX)
        n = INT32_MAX;
    ERR_clear_error();
    return result(t, SSL_read(t->ssl, p, (int)n), "read");
}

ssize_t tls_write(struct tls *t, const void *p, size_t n)
{
    if (n > INT32_MAX)
        n = INT32_MAX;
    if (n == 0)
        return 0;
    ERR_clear_error();
    return result(t, SSL_write(t->ssl, p, (int)n), "write");
}

bool tls_pending(const struct tls *t)
{
    return SSL_has_pending(t->ssl) == 1; /* decrypted or not yet */
}

bool tls_wants_write(const struct tls *t)
{
    return t->wants_write;
}

const char *tls_peer_subject(const struct tls *t)
{
    struct tls *m = (struct tls *)(uintptr_t)t;
    if (m->subject[0])
        return m->subject;
    X509 *x = SSL_get1_peer_certificate(m->ssl);
    if (!x)
        return "";
    X509_NAME_oneline(X509_get_subject_name(x), m->subject,
                      (int)sizeof(m->subject));
    X509_free(x);
    return m->subject;
}
