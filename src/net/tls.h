/* tls.h - TLS for connections, on OpenSSL (layer: net).
 *
 * A tls_ctx holds the server's certificate chain and key (PEM) and, for
 * client certificates, the CA it trusts. A tls session wraps one
 * non-blocking socket: tls_read and tls_write behave like read and write
 * (bytes or -1 with errno EAGAIN), whatever the TLS engine needs underneath
 * (the handshake, records in both directions); tls_wants_write says the
 * engine waits for the socket to become writable even though the caller
 * only wanted to read. sendfile cannot go through TLS: file ranges are read
 * and written as records (conn.c does that). Loop thread only.
 */
#ifndef RILL_TLS_H
#define RILL_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tls_ctx;
struct tls;

enum tls_client_auth {
    TLS_CLIENT_NONE,
    TLS_CLIENT_REQUESTED,
    TLS_CLIENT_REQUIRED
};

struct tls_options {
    const char *cert_file;    /* PEM chain; may also hold the key */
    const char *key_file;     /* PEM key; NULL: in cert_file */
    const char *key_password; /* NULL if none */
    const char *ca_file;      /* PEM CAs for client certificates; NULL none */
    enum tls_client_auth client_auth;
};

/* Loads and checks everything (the key matches the certificate). Returns 0
 * or ERR_INVALID with a reason (OpenSSL's) in err. */
int tls_ctx_create(const struct tls_options *o, struct tls_ctx **out, char *err,
                   size_t errlen);
void tls_ctx_destroy(struct tls_ctx *ctx);

/* Server side of one connection on fd (not owned). */
struct tls *tls_create(struct tls_ctx *ctx, int fd);
void tls_destroy(struct tls *t);
/* Like read(2)/write(2) on a non-blocking socket: > 0 bytes, 0 = the peer
 * closed (read), -1 with errno (EAGAIN: try again when the socket is ready;
 * EPROTO: TLS failed, the reason is logged). */
ssize_t tls_read(struct tls *t, void *p, size_t n);
ssize_t tls_write(struct tls *t, const void *p, size_t n);
/* Decrypted bytes buffered inside the engine (no socket event will come
 * for them). */
bool tls_pending(const struct tls *t);
/* The last EAGAIN was the engine needing to write (even from tls_read). */
bool tls_wants_write(const struct tls *t);
/* The client certificate's subject ("CN=..."), or "" when none. */
const char *tls_peer_subject(const struct tls *t);

#endif
