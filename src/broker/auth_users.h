/* auth_users.h - the SCRAM credentials of a data directory, in
 * <data>/security/users (layer: broker).
 *
 * One line per user and mechanism, written 0600 and replaced atomically
 * (temp file, fsync, rename):
 *     # comment
 *     NAME SCRAM-SHA-512 ITERATIONS SALT_B64 STORED_KEY_B64 SERVER_KEY_B64
 * NAME is 1-255 bytes of printable non-space characters (UTF-8 allowed).
 * No password is stored. `rill users` edits the file offline; the broker
 * re-reads it when it changes (auth_users_refresh, at each
 * authentication), so users added by the CLI apply to a running broker.
 * AlterUserScramCredentials writes it too; the last writer wins.
 * Not thread-safe: one owner (the broker loop, or the CLI).
 */
#ifndef RILL_AUTH_USERS_H
#define RILL_AUTH_USERS_H

#include <stdbool.h>
#include <stddef.h>

#include "broker/auth_scram.h"

struct auth_users;

struct auth_user_entry {
    char name[256];
    struct auth_scram_cred cred;
};

/* Loads <dir>/security/users (absent: no users). ERR_PARSE with a line
 * number logged if it does not parse. */
int auth_users_open(const char *dir, struct auth_users **out);
void auth_users_destroy(struct auth_users *u);
/* Re-reads the file if it changed since the last read (size, mtime,
 * inode). A file that no longer parses keeps the old users (logged). */
void auth_users_refresh(struct auth_users *u);
/* Writes the file. Returns 0 or -errno. */
int auth_users_save(struct auth_users *u);

/* The credential of name for mech; NULL if none. mech 0: any (512 first). */
const struct auth_scram_cred *auth_users_find(const struct auth_users *u,
                                              const char *name, size_t len,
                                              int mech);
/* Adds or replaces name's credential for cred->mech. ERR_INVALID for a
 * name that may not be stored. */
int auth_users_set(struct auth_users *u, const char *name, size_t len,
                   const struct auth_scram_cred *cred);
/* Removes name's credential for mech (0: every mechanism). ERR_NOT_FOUND
 * if there was none. */
int auth_users_remove(struct auth_users *u, const char *name, size_t len,
                      int mech);
/* Whether name may be stored (length and characters). */
bool auth_users_name_ok(const char *name, size_t len);
/* Entries, in file order. */
size_t auth_users_count(const struct auth_users *u);
const struct auth_user_entry *auth_users_at(const struct auth_users *u,
                                            size_t i);

#endif
