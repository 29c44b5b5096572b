/* os.c - OS call wrappers with fault injection (layer: base).
 *
 * A fault is {nth, err, sticky}: the per-op counter is incremented on each
 * call; when it reaches nth the call fails with err, and for sticky faults
 * (ENOSPC: a full disk stays full) every later call fails as well.
 */
#include "base/os.h"

#include "base/err.h"
#include "base/mem.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fault {
    long nth;
    int err;
    long count;
    long times; /* ENOSPC, EMFILE: calls that fail; 0 = every one from nth on */
};

static struct fault faults[OS_OP_N];

void os_fault_set(enum os_op op, long nth, int err)
{
    __atomic_store_n(&faults[op].times, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&faults[op].count, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&faults[op].err, err, __ATOMIC_SEQ_CST);
    __atomic_store_n(&faults[op].nth, nth, __ATOMIC_SEQ_CST);
}

void os_fault_clear(void)
{
    for (int i = 0; i < OS_OP_N; i++)
        os_fault_set((enum os_op)i, 0, 0);
}

/* Returns 0 to proceed or a positive errno to fail with. */
static int fault_hit(enum os_op op)
{
    long nth = __atomic_load_n(&faults[op].nth, __ATOMIC_RELAXED);
    if (!nth)
        return 0;
    long c = __atomic_add_fetch(&faults[op].count, 1, __ATOMIC_SEQ_CST);
    int err = __atomic_load_n(&faults[op].err, __ATOMIC_RELAXED);
    long times = __atomic_load_n(&faults[op].times, __ATOMIC_RELAXED);
    bool lasting = err == ENOSPC || err == EMFILE; /* a state, not a blip */
    if (c == nth || (c > nth && lasting && (!times || c < nth + times)))
        return err;
    return 0;
}

int os_fault_from_env(void)
{
    const char *env = getenv("RILL_FAULT");
    if (!env || !*env)
        return 0;
    char *copy = mem_strdup(env), *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char op[16], errname[16];
        long nth, times = 0;
        int got =
            sscanf(tok, "%15[a-z]:%ld:%15[A-Z]:%ld", op, &nth, errname, &times);
        if (got < 3 || times < 0) {
            rc = ERR_INVALID;
            break;
        }
        enum os_op o;
        if (!strcmp(op, "write"))
            o = OS_OP_WRITE;
        else if (!strcmp(op, "fsync"))
            o = OS_OP_FSYNC;
        else if (!strcmp(op, "rename"))
            o = OS_OP_RENAME;
        else if (!strcmp(op, "open"))
            o = OS_OP_OPEN;
        else {
            rc = ERR_INVALID;
            break;
        }
        int e;
        if (!strcmp(errname, "EIO"))
            e = EIO;
        else if (!strcmp(errname, "ENOSPC"))
            e = ENOSPC;
        else if (!strcmp(errname, "EDQUOT"))
            e = EDQUOT;
        else if (!strcmp(errname, "EMFILE"))
            e = EMFILE;
        else {
            rc = ERR_INVALID;
            break;
        }
        os_fault_set(o, nth, e);
        __atomic_store_n(&faults[o].times, times, __ATOMIC_SEQ_CST);
    }
    mem_free(copy);
    return rc;
}

int os_open(const char *path, int flags, mode_t mode)
{
    int e = fault_hit(OS_OP_OPEN);
    if (e)
        return -e;
    int fd;
    do
        fd = open(path, flags | O_CLOEXEC, mode);
    while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

ssize_t os_write(int fd, const void *p, size_t n)
{
    int e = fault_hit(OS_OP_WRITE);
    if (e)
        return -e;
    const char *c = (const char *)p;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, c + done, n - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        done += (size_t)w;
    }
    return (ssize_t)done;
}

ssize_t os_pwrite(int fd, const void *p, size_t n, off_t off)
{
    int e = fault_hit(OS_OP_WRITE);
    if (e)
        return -e;
    const char *c = (const char *)p;
    size_t done = 0;
    while (done < n) {
        ssize_t w = pwrite(fd, c + done, n - done, off + (off_t)done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        done += (size_t)w;
    }
    return (ssize_t)done;
}

ssize_t os_writev(int fd, const struct iovec *iov, int iovcnt)
{
    int e = fault_hit(OS_OP_WRITE);
    if (e)
        return -e;
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++)
        total += iov[i].iov_len;
    /* Fast path: one writev; on a short write fall back to os_write. */
    ssize_t w;
    do
        w = writev(fd, iov, iovcnt);
    while (w < 0 && errno == EINTR);
    if (w < 0)
        return -errno;
    size_t done = (size_t)w;
    for (int i = 0; i < iovcnt && done < total; i++) {
        size_t start = 0, acc = 0;
        for (int k = 0; k < i; k++)
            acc += iov[k].iov_len;
        if (done >= acc + iov[i].iov_len)
            continue;
        start = done > acc ? done - acc : 0;
        const char *base = (const char *)iov[i].iov_base + start;
        size_t left = iov[i].iov_len - start;
        while (left) {
            ssize_t x = write(fd, base, left);
            if (x < 0) {
                if (errno == EINTR)
                    continue;
                return -errno;
            }
            base += x;
            left -= (size_t)x;
            done += (size_t)x;
        }
    }
    return (ssize_t)done;
}

int os_fsync(int fd)
{
    int e = fault_hit(OS_OP_FSYNC);
    if (e)
        return -e;
    return fsync(fd) < 0 ? -errno : 0;
}

int os_fdatasync(int fd)
{
    int e = fault_hit(OS_OP_FSYNC);
    if (e)
        return -e;
    return fdatasync(fd) < 0 ? -errno : 0;
}

int os_rename(const char *from, const char *to)
{
    int e = fault_hit(OS_OP_RENAME);
    if (e)
        return -e;
    return rename(from, to) < 0 ? -errno : 0;
}

int os_ftruncate(int fd, off_t len)
{
    return ftruncate(fd, len) < 0 ? -errno : 0;
}

int os_close(int fd)
{
    if (fd < 0)
        return 0;
    return close(fd) < 0 && errno != EINTR ? -errno : 0;
}

int os_unlink(const char *path)
{
    return unlink(path) < 0 ? -errno : 0;
}

int os_mkdir_p(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp)
        return -ENAMETOOLONG;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

int os_fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = os_fsync(fd);
    close(fd);
    return rc;
}

int os_write_file_atomic(const char *path, const void *p, size_t n)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    int fd = os_open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return fd;
    ssize_t w = os_write(fd, p, n);
    int rc = w < 0 ? (int)w : os_fsync(fd);
    close(fd);
    if (rc < 0)
        goto out_unlink;
    rc = os_rename(tmp, path);
    if (rc < 0)
        goto out_unlink;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        rc = os_fsync_dir(slash == dir ? "/" : dir);
    } else {
        rc = os_fsync_dir(".");
    }
    return rc;
out_unlink:
    unlink(tmp);
    return rc;
}

int os_read_file(const char *path, size_t max, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    if ((size_t)st.st_size > max) {
        close(fd);
        return ERR_TOO_LARGE;
    }
    char *p = mem_alloc((size_t)st.st_size + 1);
    size_t done = 0;
    while (done < (size_t)st.st_size) {
        ssize_t r = read(fd, p + done, (size_t)st.st_size - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        done += (size_t)r;
    }
    close(fd);
    p[done] = '\0';
    *out = p;
    *len = done;
    return 0;
}
