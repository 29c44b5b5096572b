/* test_os.c - fault injection (Nth call, sticky ENOSPC, env syntax) and
 * atomic whole-file writes. */
#include "base/os.h"

#include "base/err.h"
#include "base/mem.h"

#include "../../harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[] = "/tmp/rill-test-os.XXXXXX";

TEST(test_nth_fsync_fails)
{
    char path[256];
    snprintf(path, sizeof path, "%s/a", dir);
    int fd = os_open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    os_fault_set(OS_OP_FSYNC, 2, EIO);
    CHECK_EQ_INT(os_fsync(fd), 0);
    CHECK_EQ_INT(os_fdatasync(fd), -EIO);
    CHECK_EQ_INT(os_fsync(fd), 0); /* EIO is not sticky */
    os_fault_clear();
    os_close(fd);
}

TEST(test_enospc_sticky)
{
    char path[256];
    snprintf(path, sizeof path, "%s/b", dir);
    int fd = os_open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    os_fault_set(OS_OP_WRITE, 3, ENOSPC);
    CHECK_EQ_INT(os_write(fd, "ab", 2), 2);
    CHECK_EQ_INT(os_pwrite(fd, "cd", 2, 2), 2);
    CHECK_EQ_INT(os_write(fd, "ef", 2), -ENOSPC);
    CHECK_EQ_INT(os_write(fd, "gh", 2), -ENOSPC);
    os_fault_clear();
    CHECK_EQ_INT(os_write(fd, "ij", 2), 2);
    os_close(fd);
}

TEST(test_env_syntax)
{
    setenv("RILL_FAULT", "fsync:3:EIO,write:10:ENOSPC", 1);
    CHECK_EQ_INT(os_fault_from_env(), 0);
    setenv("RILL_FAULT", "fsync:x:EIO", 1);
    CHECK_EQ_INT(os_fault_from_env(), ERR_INVALID);
    setenv("RILL_FAULT", "bogus:1:EIO", 1);
    CHECK_EQ_INT(os_fault_from_env(), ERR_INVALID);
    unsetenv("RILL_FAULT");
    os_fault_clear();
}

TEST(test_atomic_file)
{
    char path[256];
    snprintf(path, sizeof path, "%s/sub/dir/meta", dir);
    char sub[256];
    snprintf(sub, sizeof sub, "%s/sub/dir", dir);
    CHECK_EQ_INT(os_mkdir_p(sub), 0);
    CHECK_EQ_INT(os_mkdir_p(sub), 0);
    CHECK_EQ_INT(os_write_file_atomic(path, "v1", 2), 0);
    /* A failed rename leaves the old content in place. */
    os_fault_set(OS_OP_RENAME, 1, EIO);
    CHECK_EQ_INT(os_write_file_atomic(path, "v2-longer", 9), -EIO);
    os_fault_clear();
    char *text;
    size_t len;
    CHECK_EQ_INT(os_read_file(path, 100, &text, &len), 0);
    CHECK_EQ_STR(text, "v1");
    mem_free(text);
    CHECK_EQ_INT(os_read_file(path, 1, &text, &len), ERR_TOO_LARGE);
    CHECK(access(path, F_OK) == 0);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    RUN(test_nth_fsync_fails);
    RUN(test_enospc_sticky);
    RUN(test_env_syntax);
    RUN(test_atomic_file);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return harness_summary("test_os");
}
