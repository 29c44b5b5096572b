/* test_logdir.c - the data directory: topic name rules (table), create /
 * list / config / delete surviving reopen, the Kafka file layout, the
 * exclusive lock and read-only opens. */
#include "log/logdir.h"

#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/os.h"

#include "log_testlib.h"
#include "../../harness.h"

TEST(test_topic_names)
{
    static const struct {
        const char *name;
        bool ok;
    } cases[] = {
        {"a", true},
        {"sensor.readings", true},
        {"A-b_c.9", true},
        {"", false},
        {".", false},
        {"..", false},
        {"a/b", false},
        {"a b", false},
        {"caf\xc3\xa9", false},
        {"x:y", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_EQ_INT(logdir_topic_name_valid(cases[i].name), cases[i].ok);
    char longname[300];
    memset(longname, 'x', sizeof longname);
    longname[249] = '\0';
    CHECK(logdir_topic_name_valid(longname));
    longname[249] = 'x';
    longname[250] = '\0';
    CHECK(!logdir_topic_name_valid(longname));
}

TEST(test_create_list_delete_reopen)
{
    char *dir = tl_tmpdir();
    struct logdir *ld;
    CHECK_EQ_INT(logdir_open(dir, NULL, &ld), 0);
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.partitions = 3;
    c.retention_ms = 12345;
    c.retention_bytes = 1 << 20;
    c.segment_bytes = 65536;
    CHECK_EQ_INT(logdir_topic_create(ld, "b-topic", &c), 0);
    CHECK_EQ_INT(logdir_topic_create(ld, "a.topic", NULL), 0);
    CHECK_EQ_INT(logdir_topic_create(ld, "a.topic", NULL), ERR_EXISTS);
    CHECK_EQ_INT(logdir_topic_create(ld, "bad/name", NULL), ERR_INVALID);
    c.partitions = 0;
    CHECK_EQ_INT(logdir_topic_create(ld, "zero", &c), ERR_INVALID);
    CHECK_EQ_INT(logdir_topic_partitions(ld, "b-topic"), 3);
    CHECK_EQ_INT(logdir_topic_partitions(ld, "nope"), ERR_NOT_FOUND);
    CHECK(logdir_partition(ld, "nope", 0) == NULL);
    struct partition *p = logdir_partition(ld, "b-topic", 2);
    CHECK(p != NULL);
    CHECK_EQ_INT(tl_append(p, 0, 7, 1, NULL), 0);
    char path[4300];
    snprintf(path, sizeof path, "%s/b-topic-2/00000000000000000000.log", dir);
    CHECK(tl_file_size(path) > 0);
    snprintf(path, sizeof path, "%s/b-topic-0/00000000000000000000.index", dir);
    CHECK(tl_file_size(path) == 0);
    char **names;
    size_t n;
    CHECK_EQ_INT(logdir_topic_list(ld, &names, &n), 0);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_STR(names[0], "a.topic");
        CHECK_EQ_STR(names[1], "b-topic");
    }
    logdir_names_free(names, n);
    logdir_close(ld);

    CHECK_EQ_INT(logdir_open(dir, NULL, &ld), 0);
    struct logdir_topic_config got;
    CHECK_EQ_INT(logdir_topic_config(ld, "b-topic", &got), 0);
    CHECK_EQ_INT(got.partitions, 3);
    CHECK_EQ_INT(got.retention_ms, 12345);
    CHECK_EQ_INT(got.retention_bytes, 1 << 20);
    CHECK_EQ_INT(got.segment_bytes, 65536);
    p = logdir_partition(ld, "b-topic", 2);
    CHECK_EQ_INT(partition_high_watermark(p), 7);
    CHECK_EQ_INT(tl_check_all(p, 0), 7);
    CHECK_EQ_INT(logdir_topic_delete(ld, "b-topic"), 0);
    CHECK_EQ_INT(logdir_topic_delete(ld, "b-topic"), ERR_NOT_FOUND);
    snprintf(path, sizeof path, "%s/b-topic-2", dir);
    CHECK_EQ_INT(tl_file_size(path), -1);
    /* Same name again: a fresh, empty topic. */
    CHECK_EQ_INT(logdir_topic_create(ld, "b-topic", NULL), 0);
    CHECK_EQ_INT(logdir_topic_partitions(ld, "b-topic"), 1);
    CHECK_EQ_INT(partition_high_watermark(logdir_partition(ld, "b-topic", 0)),
                 0);
    logdir_close(ld);
    CHECK_EQ_INT(logdir_open(dir, NULL, &ld), 0);
    CHECK_EQ_INT(logdir_topic_partitions(ld, "b-topic"), 1);
    CHECK_EQ_INT(logdir_topic_partitions(ld, "a.topic"), 1);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

/* logdir_topic_alter and logdir_topic_add_partitions: checked, live,
 * persisted; existing partitions and their data untouched. */
TEST(test_alter_and_add_partitions)
{
    char *dir = tl_tmpdir();
    struct logdir *ld;
    CHECK_EQ_INT(logdir_open(dir, NULL, &ld), 0);
    CHECK_EQ_INT(logdir_topic_create(ld, "t", NULL), 0);
    struct partition *p0 = logdir_partition(ld, "t", 0);
    CHECK_EQ_INT(tl_append(p0, 0, 5, 1, NULL), 0);
    struct logdir_topic_config c;
    CHECK_EQ_INT(logdir_topic_config(ld, "t", &c), 0);
    c.max_message_bytes = 100; /* smaller than one test batch */
    c.retention_ms = 60000;
    CHECK_EQ_INT(logdir_topic_alter(ld, "t", &c), 0);
    CHECK_EQ_INT(tl_append(p0, 5, 5, 1, NULL), ERR_TOO_LARGE); /* live */
    c.segment_bytes = 1;
    CHECK_EQ_INT(logdir_topic_alter(ld, "t", &c), ERR_INVALID);
    c.segment_bytes = 1 << 20;
    c.partitions = 2;
    CHECK_EQ_INT(logdir_topic_alter(ld, "t", &c), ERR_INVALID);
    CHECK_EQ_INT(logdir_topic_alter(ld, "nope", &c), ERR_NOT_FOUND);

    CHECK_EQ_INT(logdir_topic_add_partitions(ld, "t", 1), ERR_INVALID);
    CHECK_EQ_INT(logdir_topic_add_partitions(ld, "nope", 3), ERR_NOT_FOUND);
    CHECK_EQ_INT(logdir_topic_add_partitions(ld, "t", 3), 0);
    CHECK_EQ_INT(logdir_topic_partitions(ld, "t"), 3);
    CHECK(logdir_partition(ld, "t", 0) == p0); /* pointers stay valid */
    struct partition *p2 = logdir_partition(ld, "t", 2);
    CHECK(p2 != NULL);
    CHECK_EQ_INT(partition_high_watermark(p2), 0);
    logdir_close(ld);

    CHECK_EQ_INT(logdir_open(dir, NULL, &ld), 0);
    struct logdir_topic_config got;
    CHECK_EQ_INT(logdir_topic_config(ld, "t", &got), 0);
    CHECK_EQ_INT(got.partitions, 3);
    CHECK_EQ_INT(got.max_message_bytes, 100);
    CHECK_EQ_INT(got.retention_ms, 60000);
    CHECK_EQ_INT(partition_high_watermark(logdir_partition(ld, "t", 0)), 5);
    CHECK_EQ_INT(tl_append(logdir_partition(ld, "t", 1), 0, 5, 1, NULL),
                 ERR_TOO_LARGE); /* new partitions share the config */
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

TEST(test_lock_and_read_only)
{
    char *dir = tl_tmpdir();
    struct logdir *ld, *ld2;
    CHECK_EQ_INT(logdir_open(dir, NULL, &ld), 0);
    CHECK_EQ_INT(logdir_topic_create(ld, "t", NULL), 0);
    struct partition *p = logdir_partition(ld, "t", 0);
    CHECK_EQ_INT(tl_append(p, 0, 5, 1, NULL), 0);
    CHECK_EQ_INT(logdir_open(dir, NULL, &ld2), -EBUSY);
    struct logdir_options o;
    logdir_options_init(&o);
    o.read_only = true;
    CHECK_EQ_INT(logdir_open(dir, &o, &ld2), 0);
    struct partition *rp = logdir_partition(ld2, "t", 0);
    CHECK(rp != NULL);
    if (rp) {
        CHECK_EQ_INT(partition_high_watermark(rp), 5);
        CHECK_EQ_INT(tl_check_all(rp, 0), 5);
        CHECK_EQ_INT(tl_append(rp, 5, 1, 1, NULL), ERR_CLOSED);
    }
    CHECK_EQ_INT(logdir_topic_create(ld2, "u", NULL), ERR_CLOSED);
    logdir_close(ld2);
    logdir_close(ld);
    /* Read-only on a directory that does not exist: empty, no mkdir. */
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/none", dir);
    ld2 = NULL;
    CHECK_EQ_INT(logdir_open(missing, &o, &ld2), 0);
    CHECK_EQ_INT(tl_file_size(missing), -1);
    CHECK_EQ_INT(logdir_topic_partitions(ld2, "t"), ERR_NOT_FOUND);
    logdir_close(ld2);
    tl_rmrf(dir);
    free(dir);
}

TEST(test_orphan_dirs_ignored)
{
    /* A crash between partition dirs and the metadata file of a create:
     * the orphan directory is not a topic, and a later create empties it. */
    char *dir = tl_tmpdir();
    char path[4300];
    snprintf(path, sizeof path, "%s/ghost-0", dir);
    CHECK_EQ_INT(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/ghost-0/00000000000000000000.log", dir);
    FILE *f = fopen(path, "w");
    fputs("garbage", f);
    fclose(f);
    struct logdir *ld;
    CHECK_EQ_INT(logdir_open(dir, NULL, &ld), 0);
    CHECK_EQ_INT(logdir_topic_partitions(ld, "ghost"), ERR_NOT_FOUND);
    CHECK_EQ_INT(logdir_topic_create(ld, "ghost", NULL), 0);
    CHECK_EQ_INT(tl_file_size(path), 0);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

TEST(test_flusher_checkpoint_and_retention)
{
    char *dir = tl_tmpdir();
    struct logdir_options o;
    logdir_options_init(&o);
    o.flush_interval_ms = 10;
    o.recovery_point_ms = 10;
    o.retention_check_ms = 10;
    struct logdir *ld;
    CHECK_EQ_INT(logdir_open(dir, &o, &ld), 0);
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.partitions = 2;
    c.segment_bytes = 1024;
    c.retention_bytes = 2048;
    CHECK_EQ_INT(logdir_topic_create(ld, "cp", &c), 0);
    struct partition *p = logdir_partition(ld, "cp", 1);
    for (int i = 0; i < 60; i++)
        CHECK_EQ_INT(tl_append(p, i * 5, 5, clock_now_ms(), NULL), 0);
    /* The flusher syncs, checkpoints and enforces retention by itself. */
    char path[4300], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/recovery-point-offset-checkpoint", dir);
    bool seen = false;
    for (int i = 0; i < 500 && !seen; i++) {
        usleep(2000);
        /* Retention may have run once mid-way through the appends:
         * wait for the round that sees all of them. */
        if (partition_log_start_offset(p) == 0 ||
            partition_size_bytes(p) > 2048 + 1024)
            continue;
        mem_free(text);
        text = NULL;
        if (os_read_file(path, 4096, &text, &len) == 0)
            seen = strstr(text, "cp 1 300\n") != NULL;
    }
    CHECK(seen);
    if (text) {
        CHECK(strncmp(text, "0\n2\n", 4) == 0);
        CHECK(strstr(text, "cp 0 0\n") != NULL);
    }
    mem_free(text);
    CHECK(partition_log_start_offset(p) > 0);
    CHECK(partition_size_bytes(p) <= 2048 + 1024);
    CHECK_EQ_INT(tl_check_all(p, partition_log_start_offset(p)),
                 300 - partition_log_start_offset(p));
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

/* A topic deleted and created again must not inherit the old topic's
 * recovery point: recovery skips the CRC of batches below it, so a stale
 * "x 0 100" would let a damaged batch of the new x-0 at offsets 5..9 be
 * served after a crash. The child plays a process killed before it ever
 * wrote a checkpoint. */
static struct logdir *open_plain(const char *dir)
{
    struct logdir_options o;
    logdir_options_init(&o);
    o.no_flusher = true;
    o.recovery_point_ms = 0;
    struct logdir *ld = NULL;
    return logdir_open(dir, &o, &ld) == 0 ? ld : NULL;
}

TEST(test_recreated_topic_no_stale_recovery_point)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_plain(dir);
    CHECK_EQ_INT(logdir_topic_create(ld, "x", NULL), 0);
    for (int i = 0; i < 10; i++)
        CHECK_EQ_INT(
            tl_append(logdir_partition(ld, "x", 0), i * 10, 10, 1, NULL), 0);
    logdir_close(ld); /* checkpoint: x 0 100 */
    ld = open_plain(dir);
    CHECK_EQ_INT(logdir_topic_delete(ld, "x"), 0);
    logdir_close(ld);
    pid_t pid = fork();
    if (pid == 0) {
        ld = open_plain(dir);
        if (!ld || logdir_topic_create(ld, "x", NULL) != 0)
            _exit(2);
        struct partition *p = logdir_partition(ld, "x", 0);
        if (tl_append(p, 0, 5, 1, NULL) || tl_append(p, 5, 5, 1, NULL))
            _exit(3);
        _exit(0); /* a crash: no close, no checkpoint */
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* Damage the second batch's last record (the CRC no longer matches). */
    char path[4300];
    snprintf(path, sizeof path, "%s/x-0/%020d.log", dir, 0);
    long size = tl_file_size(path);
    CHECK(size > 0);
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (f) {
        fseek(f, size - 3, SEEK_SET);
        fputc('X', f);
        fclose(f);
    }
    ld = open_plain(dir);
    struct partition *p = logdir_partition(ld, "x", 0);
    CHECK_EQ_INT(partition_high_watermark(p), 5);
    CHECK_EQ_INT(tl_check_all(p, 0), 5);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

/* KIP-516 topic ids: random at creation, found by id, kept by alter and
 * add-partitions and across a reopen, new for a recreated topic. */
TEST(test_topic_ids)
{
    char *dir = tl_tmpdir();
    struct logdir *ld;
    CHECK_EQ_INT(logdir_open(dir, NULL, &ld), 0);
    struct logdir_topic_config c, d;
    logdir_topic_config_init(&c);
    memset(c.id, 0x11, sizeof c.id); /* ignored: the log gives the id */
    CHECK_EQ_INT(logdir_topic_create(ld, "a", &c), 0);
    CHECK_EQ_INT(logdir_topic_create(ld, "b", NULL), 0);
    struct logdir_topic_config a, b;
    CHECK_EQ_INT(logdir_topic_config(ld, "a", &a), 0);
    CHECK_EQ_INT(logdir_topic_config(ld, "b", &b), 0);
    uint8_t zero[16] = {0}, ones[16];
    memset(ones, 0x11, sizeof ones);
    CHECK(memcmp(a.id, zero, 16) && memcmp(a.id, ones, 16) &&
          memcmp(a.id, b.id, 16));
    char name[LOGDIR_TOPIC_NAME_MAX + 1];
    CHECK_EQ_INT(logdir_topic_by_id(ld, a.id, name), 0);
    CHECK(strcmp(name, "a") == 0);
    CHECK_EQ_INT(logdir_topic_by_id(ld, zero, name), ERR_NOT_FOUND);
    d = a;
    d.retention_ms = 1000;
    memset(d.id, 0, sizeof d.id);
    CHECK_EQ_INT(logdir_topic_alter(ld, "a", &d), 0);
    CHECK_EQ_INT(logdir_topic_add_partitions(ld, "a", 3), 0);
    CHECK_EQ_INT(logdir_topic_config(ld, "a", &d), 0);
    CHECK(memcmp(d.id, a.id, 16) == 0 && d.retention_ms == 1000);
    logdir_close(ld);
    CHECK_EQ_INT(logdir_open(dir, NULL, &ld), 0);
    CHECK_EQ_INT(logdir_topic_config(ld, "a", &d), 0);
    CHECK(memcmp(d.id, a.id, 16) == 0);
    CHECK_EQ_INT(logdir_topic_by_id(ld, a.id, name), 0);
    CHECK_EQ_INT(logdir_topic_delete(ld, "a"), 0);
    CHECK_EQ_INT(logdir_topic_by_id(ld, a.id, name), ERR_NOT_FOUND);
    CHECK_EQ_INT(logdir_topic_create(ld, "a", NULL), 0);
    CHECK_EQ_INT(logdir_topic_config(ld, "a", &d), 0);
    CHECK(memcmp(d.id, a.id, 16) != 0);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

int main(void)
{
    RUN(test_topic_names);
    RUN(test_create_list_delete_reopen);
    RUN(test_alter_and_add_partitions);
    RUN(test_lock_and_read_only);
    RUN(test_orphan_dirs_ignored);
    RUN(test_flusher_checkpoint_and_retention);
    RUN(test_recreated_topic_no_stale_recovery_point);
    RUN(test_topic_ids);
    return harness_summary("test_logdir");
}
