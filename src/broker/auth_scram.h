/* auth_scram.h - SCRAM-SHA-256/512 (RFC 5802, RFC 7677) credentials and the
 * server side of the exchange, on OpenSSL's PBKDF2, HMAC and SHA-2
 * (layer: broker; no I/O, no state besides one exchange).
 *
 * A credential never holds the password: salt, iterations, StoredKey =
 * H(HMAC(SaltedPassword, "Client Key")) and ServerKey =
 * HMAC(SaltedPassword, "Server Key"), as Kafka stores them. SASL/PLAIN
 * checks a password against the same credential (PBKDF2 again, then a
 * constant-time compare of StoredKey).
 */
#ifndef RILL_AUTH_SCRAM_H
#define RILL_AUTH_SCRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Kafka's ids (AlterUserScramCredentials' mechanism int8). */
enum auth_mech {
    AUTH_SCRAM_SHA_256 = 1,
    AUTH_SCRAM_SHA_512 = 2,
};

#define AUTH_SCRAM_MIN_ITERATIONS 4096
#define AUTH_SCRAM_MAX_ITERATIONS 16384
#define AUTH_SCRAM_KEY_MAX 64
#define AUTH_SCRAM_SALT_MAX 64

struct auth_scram_cred {
    int mech; /* enum auth_mech */
    int32_t iterations;
    size_t salt_len, key_len;
    uint8_t salt[AUTH_SCRAM_SALT_MAX];
    uint8_t stored_key[AUTH_SCRAM_KEY_MAX];
    uint8_t server_key[AUTH_SCRAM_KEY_MAX];
};

/* "SCRAM-SHA-256" / "SCRAM-SHA-512"; mechanism from such a name (0 if
 * none). */
const char *auth_mech_name(int mech);
int auth_mech_parse(const char *name, size_t len);

/* A new credential for password with a random 32-byte salt. Returns 0 or
 * ERR_INVALID (bad mechanism or iterations). */
int auth_scram_cred_make(int mech, const char *password, size_t pwlen,
                         int32_t iterations, struct auth_scram_cred *out);
/* From a salted password (AlterUserScramCredentials sends PBKDF2's output,
 * never the password). ERR_INVALID if a size is wrong. */
int auth_scram_cred_from_salted(int mech, const uint8_t *salt, size_t salt_len,
                                const uint8_t *salted, size_t salted_len,
                                int32_t iterations,
                                struct auth_scram_cred *out);
/* Whether password matches the credential (SASL/PLAIN). */
bool auth_scram_check_password(const struct auth_scram_cred *c,
                               const char *password, size_t pwlen);

/* Base64 (standard alphabet, padded). decode returns the byte count or -1;
 * out must hold 3/4 of the input. */
void auth_base64_encode(struct buf *out, const uint8_t *p, size_t n);
int auth_base64_decode(const char *s, size_t n, uint8_t *out, size_t cap);

/* --- the server side of one exchange ------------------------------------
 * step 1: client-first ("n,,n=user,r=nonce") -> auth_scram_server_first
 *         parses it and returns the user name; the caller looks up the
 *         credential and calls auth_scram_server_challenge, which writes
 *         server-first ("r=nonce+ours,s=salt,i=iterations").
 * step 2: client-final ("c=biws,r=...,p=proof") -> auth_scram_server_final
 *         checks the proof and writes server-final ("v=signature").
 * Every error is a short reason for the log (never sent as is). */
struct auth_scram_server {
    int mech;
    int step; /* 0 before the first message, 1 challenge sent, 2 done */
    struct auth_scram_cred cred;
    char user[256];
    struct buf client_first_bare, server_first, gs2_header;
    char nonce[128]; /* client nonce + server nonce */
};

void auth_scram_server_init(struct auth_scram_server *s, int mech);
void auth_scram_server_fini(struct auth_scram_server *s);
/* Parses client-first; copies the (unescaped) user name into s->user.
 * Returns 0 or ERR_INVALID (*why says why). */
int auth_scram_server_first(struct auth_scram_server *s, const uint8_t *in,
                            size_t n, const char **why);
/* Appends server-first to out, remembering cred. */
void auth_scram_server_challenge(struct auth_scram_server *s,
                                 const struct auth_scram_cred *cred,
                                 struct buf *out);
/* Checks client-final; on success appends server-final to out and returns
 * 0; else ERR_INVALID with *why. */
int auth_scram_server_final(struct auth_scram_server *s, const uint8_t *in,
                            size_t n, struct buf *out, const char **why);

/* The client side, for `rill` itself and tests: the proof for
 * client_final_without_proof given the exchange so far. salted is
 * PBKDF2(password, salt, iterations). Writes key_len bytes. */
int auth_scram_salt_password(int mech, const char *password, size_t pwlen,
                             const uint8_t *salt, size_t salt_len,
                             int32_t iterations, uint8_t *out);

#endif
