/* test_catalog.c - the SQL catalog: persistence across reopen, drops,
 * case-insensitive names, odd bytes in values, corrupt files, failed
 * writes leaving memory unchanged. */
#include "../../harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/os.h"
#include "sql/catalog.h"

static char *tmpdir(void)
{
    char p[] = "/tmp/rill-catalog-XXXXXX";
    if (!mkdtemp(p)) {
        perror("mkdtemp");
        exit(1);
    }
    return mem_strdup(p);
}

static void rmdir_all(char *p)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
    if (system(cmd) != 0)
        fprintf(stderr, "rm -rf %s failed\n", p);
    mem_free(p);
}

/* A stream with two columns, a watermark and options; name as given. */
static void make_rel(struct catalog_relation *r, const char *name)
{
    memset(r, 0, sizeof *r);
    r->name = mem_strdup(name);
    r->kind = CATALOG_STREAM;
    schema_init(&r->schema);
    schema_add(&r->schema, "sensor_id", SCHEMA_STRING, true, NULL);
    schema_add(&r->schema, "value", SCHEMA_DOUBLE, false, "payload.v");
    schema_add(&r->schema, "ts", SCHEMA_TIMESTAMP, true, NULL);
    r->sql_types[0] = mem_strdup("VARCHAR(20)");
    r->sql_types[1] = mem_strdup("DOUBLE");
    r->sql_types[2] = mem_strdup("TIMESTAMP(3)");
    r->time_column = mem_strdup("ts");
    r->watermark_delay_ms = 5000;
    r->watermark = mem_strdup("ts - INTERVAL '5' SECOND");
    r->options = mem_calloc(2, sizeof(*r->options));
    r->options[0].key = mem_strdup("topic");
    r->options[0].value = mem_strdup("t 1=%\n2");
    r->options[1].key = mem_strdup("partitions");
    r->options[1].value = mem_strdup("8");
    r->noptions = 2;
    r->topic = mem_strdup("readings");
    r->format = mem_strdup("json");
    r->key = mem_strdup("sensor_id");
    r->partitions = 8;
    r->created_ms = 1764000000123;
}

static int add_query(struct catalog *c, const char *sink, char *id)
{
    struct catalog_query q;
    memset(&q, 0, sizeof q);
    char in0[] = "Readings", skey[] = "scan.startup.mode",
         sval[] = "latest-offset", kind[] = "CREATE STREAM AS",
         sql[] = "CREATE STREAM alerts AS\nSELECT * FROM readings WHERE v > 1";
    char sinkbuf[64];
    snprintf(sinkbuf, sizeof sinkbuf, "%s", sink);
    char *inputs[] = {in0};
    struct catalog_option set = {skey, sval};
    q.kind = kind;
    q.sql = sql;
    q.sink = sinkbuf;
    q.inputs = inputs;
    q.ninputs = 1;
    q.settings = &set;
    q.nsettings = 1;
    q.created_ms = 42;
    return catalog_query_add(c, &q, id, 32);
}

TEST(empty_then_persisted)
{
    char *dir = tmpdir();
    struct catalog *c;
    char err[256];
    CHECK_EQ_INT(catalog_open(dir, &c, err, sizeof err), 0);
    CHECK_EQ_INT(catalog_relation_count(c), 0);
    CHECK_EQ_INT(catalog_query_count(c), 0);
    struct catalog_relation r;
    make_rel(&r, "Readings");
    CHECK_EQ_INT(catalog_relation_add(c, &r), 0);
    CHECK_EQ_INT(catalog_relation_add(c, &r), ERR_EXISTS);
    catalog_relation_fini(&r);
    make_rel(&r, "READINGS");
    CHECK_EQ_INT(catalog_relation_add(c, &r), ERR_EXISTS);
    catalog_relation_fini(&r);
    make_rel(&r, "alpha");
    r.kind = CATALOG_TABLE;
    CHECK_EQ_INT(catalog_relation_add(c, &r), 0);
    catalog_relation_fini(&r);
    char id[32];
    CHECK_EQ_INT(add_query(c, "alerts", id), 0);
    CHECK_EQ_STR(id, "q_1");
    catalog_close(c);

    CHECK_EQ_INT(catalog_open(dir, &c, err, sizeof err), 0);
    CHECK_EQ_INT(catalog_relation_count(c), 2);
    CHECK_EQ_STR(catalog_relation_at(c, 0)->name, "alpha"); /* sorted */
    CHECK_EQ_INT(catalog_relation_at(c, 0)->kind, CATALOG_TABLE);
    const struct catalog_relation *g = catalog_relation_find(c, "rEaDiNgS");
    CHECK(g != NULL);
    if (g) {
        CHECK_EQ_STR(g->name, "Readings");
        CHECK_EQ_INT(g->schema.ncolumns, 3);
        CHECK_EQ_STR(g->schema.columns[1].path, "payload.v");
        CHECK_EQ_INT(g->schema.columns[1].type, SCHEMA_DOUBLE);
        CHECK(!g->schema.columns[1].nullable);
        CHECK_EQ_INT(g->schema.columns[2].type, SCHEMA_TIMESTAMP);
        CHECK_EQ_STR(g->sql_types[0], "VARCHAR(20)");
        CHECK_EQ_STR(g->time_column, "ts");
        CHECK_EQ_INT(g->watermark_delay_ms, 5000);
        CHECK_EQ_STR(g->watermark, "ts - INTERVAL '5' SECOND");
        CHECK_EQ_STR(catalog_relation_option(g, "TOPIC"), "t 1=%\n2");
        CHECK_EQ_STR(g->topic, "readings");
        CHECK_EQ_STR(g->key, "sensor_id");
        CHECK_EQ_INT(g->partitions, 8);
        CHECK_EQ_INT(g->created_ms, 1764000000123);
        CHECK(g->query_id == NULL);
    }
    const struct catalog_query *q = catalog_query_find(c, "Q_1");
    CHECK(q != NULL);
    if (q) {
        CHECK_EQ_STR(q->sql,
                     "CREATE STREAM alerts AS\nSELECT * FROM readings WHERE "
                     "v > 1");
        CHECK_EQ_STR(q->sink, "alerts");
        CHECK_EQ_INT(q->ninputs, 1);
        CHECK_EQ_STR(q->inputs[0], "Readings");
        CHECK_EQ_INT(q->nsettings, 1);
        CHECK_EQ_STR(q->settings[0].value, "latest-offset");
        CHECK_EQ_INT(q->state, CATALOG_QUERY_RUNNING);
        CHECK_EQ_INT(q->created_ms, 42);
    }
    char used[32];
    CHECK(catalog_relation_in_use(c, "READINGS", used, sizeof used));
    CHECK_EQ_STR(used, "q_1");
    CHECK(catalog_relation_in_use(c, "alerts", NULL, 0));
    CHECK(!catalog_relation_in_use(c, "alpha", NULL, 0));
    CHECK_EQ_INT(
        catalog_query_set_state(c, "q_1", CATALOG_QUERY_STOPPED, "input gone"),
        0);
    CHECK(!catalog_relation_in_use(c, "readings", NULL, 0));
    catalog_close(c);

    CHECK_EQ_INT(catalog_open(dir, &c, err, sizeof err), 0);
    q = catalog_query_find(c, "q_1");
    CHECK(q && q->state == CATALOG_QUERY_STOPPED);
    if (q)
        CHECK_EQ_STR(q->error, "input gone");
    CHECK_EQ_INT(catalog_relation_drop(c, "READINGS"), 0);
    CHECK_EQ_INT(catalog_relation_drop(c, "readings"), ERR_NOT_FOUND);
    CHECK_EQ_INT(catalog_query_drop(c, "q_1"), 0);
    CHECK_EQ_INT(catalog_query_drop(c, "q_1"), ERR_NOT_FOUND);
    catalog_close(c);

    /* Drops persist; query ids are never reused. */
    CHECK_EQ_INT(catalog_open(dir, &c, err, sizeof err), 0);
    CHECK_EQ_INT(catalog_relation_count(c), 1);
    CHECK(catalog_relation_find(c, "readings") == NULL);
    CHECK_EQ_INT(catalog_query_count(c), 0);
    CHECK_EQ_INT(add_query(c, "x", id), 0);
    CHECK_EQ_STR(id, "q_2");
    catalog_close(c);
    rmdir_all(dir);
}

static void write_file(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    fwrite(text, 1, n, f);
    fclose(f);
}

TEST(corrupt_files_are_refused)
{
    char *dir = tmpdir();
    struct catalog *c;
    char err[256];
    CHECK_EQ_INT(catalog_open(dir, &c, err, sizeof err), 0);
    struct catalog_relation r;
    make_rel(&r, "readings");
    CHECK_EQ_INT(catalog_relation_add(c, &r), 0);
    catalog_relation_fini(&r);
    char path[512];
    snprintf(path, sizeof path, "%s", catalog_path(c));
    catalog_close(c);
    char *text;
    size_t len;
    CHECK_EQ_INT(os_read_file(path, 1 << 20, &text, &len), 0);

    /* One flipped byte: the crc catches it. */
    text[20] ^= 1;
    write_file(path, text, len);
    CHECK_EQ_INT(catalog_open(dir, &c, err, sizeof err), ERR_CORRUPT);
    CHECK(strstr(err, "crc mismatch") != NULL);
    text[20] ^= 1;

    /* Truncated: no crc line. */
    write_file(path, text, len / 2);
    CHECK_EQ_INT(catalog_open(dir, &c, err, sizeof err), ERR_CORRUPT);
    CHECK(strstr(err, "no crc line") != NULL);

    /* Intact again: opens. */
    write_file(path, text, len);
    CHECK_EQ_INT(catalog_open(dir, &c, err, sizeof err), 0);
    catalog_close(c);
    free(text);
    rmdir_all(dir);
}

/* Random byte changes with the crc fixed up, so the line parser itself
 * sees them: every result is 0 or ERR_CORRUPT, never a crash (the
 * sanitizer build checks the memory side). */
TEST(mutated_files_never_crash)
{
    char *dir = tmpdir();
    struct catalog *c;
    CHECK_EQ_INT(catalog_open(dir, &c, NULL, 0), 0);
    struct catalog_relation r;
    make_rel(&r, "readings");
    CHECK_EQ_INT(catalog_relation_add(c, &r), 0);
    catalog_relation_fini(&r);
    char id[32];
    CHECK_EQ_INT(add_query(c, "alerts", id), 0);
    char path[512];
    snprintf(path, sizeof path, "%s", catalog_path(c));
    catalog_close(c);
    char *orig;
    size_t len;
    CHECK_EQ_INT(os_read_file(path, 1 << 20, &orig, &len), 0);
    char *crcline = strstr(orig, "\ncrc ");
    CHECK(crcline != NULL);
    if (!crcline) {
        free(orig);
        rmdir_all(dir);
        return;
    }
    size_t body = (size_t)(crcline - orig) + 1;
    static const char alphabet[] = " =%\n0a-_Z9\x01\x80";
    uint32_t seed = 12345;
    int opened = 0, corrupt = 0;
    for (int iter = 0; iter < 1500; iter++) {
        char *t = mem_alloc(body + 16);
        memcpy(t, orig, body);
        int changes = 1 + iter % 4;
        for (int k = 0; k < changes; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % body;
            seed = seed * 1103515245u + 12345u;
            t[at] = alphabet[(seed >> 8) % (sizeof alphabet - 1)];
        }
        int n =
            snprintf(t + body, 16, "crc %08x\n", (unsigned)crc32c(0, t, body));
        write_file(path, t, body + (size_t)n);
        mem_free(t);
        int rc = catalog_open(dir, &c, NULL, 0);
        CHECK(rc == 0 || rc == ERR_CORRUPT);
        if (rc == 0) {
            opened++;
            catalog_close(c);
        } else {
            corrupt++;
        }
    }
    CHECK(opened > 0 && corrupt > 0);
    free(orig);
    rmdir_all(dir);
}

TEST(failed_write_changes_nothing)
{
    char *dir = tmpdir();
    struct catalog *c;
    CHECK_EQ_INT(catalog_open(dir, &c, NULL, 0), 0);
    struct catalog_relation r;
    make_rel(&r, "readings");
    os_fault_set(OS_OP_RENAME, 1, EIO);
    CHECK_EQ_INT(catalog_relation_add(c, &r), -EIO);
    os_fault_clear();
    CHECK_EQ_INT(catalog_relation_count(c), 0);
    CHECK_EQ_INT(catalog_relation_add(c, &r), 0);
    catalog_relation_fini(&r);
    char id[32];
    os_fault_set(OS_OP_FSYNC, 1, EIO);
    CHECK(add_query(c, "alerts", id) < 0);
    os_fault_clear();
    CHECK_EQ_INT(catalog_query_count(c), 0);
    os_fault_set(OS_OP_RENAME, 1, EIO);
    CHECK_EQ_INT(catalog_relation_drop(c, "readings"), -EIO);
    os_fault_clear();
    CHECK(catalog_relation_find(c, "readings") != NULL);
    CHECK_EQ_INT(add_query(c, "alerts", id), 0);
    CHECK_EQ_STR(id, "q_1"); /* the failed add did not use up an id */
    catalog_close(c);
    CHECK_EQ_INT(catalog_open(dir, &c, NULL, 0), 0);
    CHECK_EQ_INT(catalog_relation_count(c), 1);
    CHECK_EQ_INT(catalog_query_count(c), 1);
    catalog_close(c);
    rmdir_all(dir);
}

TEST(names_checked)
{
    char *dir = tmpdir();
    struct catalog *c;
    CHECK_EQ_INT(catalog_open(dir, &c, NULL, 0), 0);
    struct catalog_relation r;
    make_rel(&r, "");
    CHECK_EQ_INT(catalog_relation_add(c, &r), ERR_INVALID);
    catalog_relation_fini(&r);
    char long_name[CATALOG_NAME_MAX + 2];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    make_rel(&r, long_name);
    CHECK_EQ_INT(catalog_relation_add(c, &r), ERR_INVALID);
    catalog_relation_fini(&r);
    CHECK_EQ_INT(catalog_relation_count(c), 0);
    catalog_close(c);
    catalog_close(NULL);
    rmdir_all(dir);
}

int main(void)
{
    RUN(empty_then_persisted);
    RUN(corrupt_files_are_refused);
    RUN(mutated_files_never_crash);
    RUN(failed_write_changes_nothing);
    RUN(names_checked);
    return harness_summary("test_catalog");
}
