/* os.h - fault-injectable wrappers around the OS calls that persist data
 * (layer: base).
 *
 * Every durable write in rill goes through these so tests can make the Nth
 * call of a kind fail with a chosen errno, in-process (os_fault_set) or in
 * the real binary through the environment:
 *     RILL_FAULT="fsync:3:EIO,write:10:ENOSPC"
 * means: the 3rd os_fsync/os_fdatasync call fails with EIO, and from the
 * 10th os_write/os_pwrite/os_writev on every write fails with ENOSPC (a full
 * disk stays full). "write:10:ENOSPC:50" makes only calls 10 to 59 fail:
 * then space is free again. EMFILE lasts the same way ("open:60:EMFILE:400":
 * descriptors short for a while). Counting is process-wide and thread-safe.
 * All functions return 0 (or a byte count / fd) on success and -errno on error.
 */
#ifndef RILL_OS_H
#define RILL_OS_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

enum os_op { OS_OP_WRITE = 0, OS_OP_FSYNC, OS_OP_RENAME, OS_OP_OPEN, OS_OP_N };

/* Fail the nth call (1-based) of op with err (positive errno); for ENOSPC
 * and EMFILE every later call fails too. nth = 0 clears. */
void os_fault_set(enum os_op op, long nth, int err);
void os_fault_clear(void);
/* Reads RILL_FAULT once; called by the CLI at start-up. Returns 0 or
 * ERR_INVALID when the variable does not parse. */
int os_fault_from_env(void);

int os_open(const char *path, int flags, mode_t mode);
/* Writes all n bytes (retrying short writes and EINTR). */
ssize_t os_write(int fd, const void *p, size_t n);
ssize_t os_pwrite(int fd, const void *p, size_t n, off_t off);
ssize_t os_writev(int fd, const struct iovec *iov, int iovcnt);
int os_fsync(int fd);
int os_fdatasync(int fd);
int os_rename(const char *from, const char *to);
int os_ftruncate(int fd, off_t len);
int os_close(int fd);
int os_unlink(const char *path);
/* mkdir -p; EEXIST is success. */
int os_mkdir_p(const char *path);
/* fsync a directory so entries created or renamed in it are durable. */
int os_fsync_dir(const char *path);
/* Write a whole file atomically: temp file, fsync, rename, fsync dir. */
int os_write_file_atomic(const char *path, const void *p, size_t n);
/* Read a whole file (at most max bytes) into a malloc'ed buffer. */
int os_read_file(const char *path, size_t max, char **out, size_t *len);

#endif
