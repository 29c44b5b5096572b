/* auth_file.c - private atomic writes and change stamps for the security
 * files of a data directory (layer: broker).
 */
#include "broker/auth_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/os.h"

void auth_file_stamp_take(const char *path, struct auth_file_stamp *st)
{
    struct stat s;
    memset(st, 0, sizeof(*st));
    if (stat(path, &s) < 0)
        return;
    st->exists = true;
    st->dev = s.st_dev;
    st->ino = s.st_ino;
    st->size = s.st_size;
    st->mtime = s.st_mtim;
}

bool auth_file_changed(const char *path, const struct auth_file_stamp *st)
{
    struct auth_file_stamp now;
    auth_file_stamp_take(path, &now);
    if (now.exists != st->exists)
        return true;
    return now.exists &&
           (now.dev != st->dev || now.ino != st->ino || now.size != st->size ||
            now.mtime.tv_sec != st->mtime.tv_sec ||
            now.mtime.tv_nsec != st->mtime.tv_nsec);
}

int auth_file_write(const char *dir, const char *path, const struct buf *b)
{
    int rc = os_mkdir_p(dir);
    if (rc < 0)
        return rc;
    (void)chmod(dir, 0700);
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
        return -ENAMETOOLONG;
    int fd = os_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return fd;
    (void)fchmod(fd, 0600);
    size_t off = 0;
    while (off < b->len) {
        ssize_t w = write(fd, b->data + off, b->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = w < 0 ? -errno : -EIO;
            break;
        }
        off += (size_t)w;
    }
    if (rc == 0)
        rc = os_fsync(fd);
    os_close(fd);
    if (rc == 0)
        rc = os_rename(tmp, path);
    if (rc == 0)
        rc = os_fsync_dir(dir);
    if (rc < 0)
        (void)unlink(tmp);
    return rc;
}

void auth_file_put_escaped(struct buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p <= 0x20 || *p == '%' || *p == 0x7f)
            buf_printf(b, "%%%02X", *p);
        else
            buf_put(b, p, 1);
    }
}

char *auth_file_unescape(const char *s)
{
    size_t n = strlen(s);
    char *out = mem_alloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (s[i] == '%' && i + 2 < n && sscanf(s + i + 1, "%2x", &v) == 1) {
            *o++ = (char)v;
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}
