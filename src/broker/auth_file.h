/* auth_file.h - what the security files of a data directory share
 * (<data>/security/users, acls, quotas): private atomic writes and
 * noticing that another process changed a file (layer: broker).
 */
#ifndef RILL_AUTH_FILE_H
#define RILL_AUTH_FILE_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "base/buf.h"

/* Identity of a file's content as far as stat(2) tells. */
struct auth_file_stamp {
    bool exists;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

/* Stamps path as it is now. */
void auth_file_stamp_take(const char *path, struct auth_file_stamp *st);
/* Whether path differs from the stamp (appeared, vanished, replaced,
 * resized or touched). */
bool auth_file_changed(const char *path, const struct auth_file_stamp *st);
/* Replaces path with b's bytes: dir made 0700, a temp file 0600, fsync,
 * rename, fsync of dir. Returns 0 or -errno. */
int auth_file_write(const char *dir, const char *path, const struct buf *b);
/* %XX for bytes <= 0x20, '%' and 0x7f (one field of a line), and back
 * (into malloc'ed memory). */
void auth_file_put_escaped(struct buf *b, const char *s);
char *auth_file_unescape(const char *s);

#endif
