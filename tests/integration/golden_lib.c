/* golden_lib.c - one golden case (tests/golden/<case>/) run through
 * librill's public API instead of `rill run`: an in-memory engine on the
 * virtual clock, input.txt's records pushed one by one with their
 * arrival stamps (rill_topic_create, rill_push_partition, rill_flush),
 * query.sql run with rill_exec until every query drained its input
 * (until_idle, rill_wait), then each `-- consume: TOPIC` read back with
 * rill_subscribe. It prints what test_golden.sh's `rill run` path prints,
 * so the same expected.txt must match (test_golden_lib.sh).
 *
 * usage: golden_lib CASE_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rill.h"

#define BASE_MS 1000000000000LL /* test_golden.sh's first arrival */

static char *slurp(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(s);
        return NULL;
    }
    s[n] = '\0';
    fclose(f);
    return s;
}

static void on_text(void *arg, const char *t, size_t len)
{
    (void)arg;
    fwrite(t, 1, len, stdout);
    if (len && t[len - 1] != '\n')
        putchar('\n');
}

static void on_record(void *arg, const struct rill_record *r)
{
    (void)arg;
    if (r->value)
        fwrite(r->value, 1, r->value_len, stdout);
    putchar('\n');
}

/* input.txt: `topic NAME [PARTITIONS]`, `wait SECONDS`, and records
 * `PARTITION<TAB>JSON`, each arriving 1 s after the one before. */
static int push_input(struct rill *db, char *input)
{
    char topic[256] = "";
    long long now = BASE_MS;
    for (char *line = strtok(input, "\n"); line; line = strtok(NULL, "\n")) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[--n] = '\0';
        if (!n || line[0] == '#')
            continue;
        if (!strncmp(line, "topic ", 6)) {
            int parts = 1;
            if (sscanf(line + 6, "%255s %d", topic, &parts) < 1)
                return -1;
            int rc = rill_topic_create(db, topic, parts);
            if (rc && rc != RILL_EEXISTS) {
                fprintf(stderr, "topic %s: %s\n", topic, rill_errmsg(db));
                return -1;
            }
            continue;
        }
        if (!strncmp(line, "wait ", 5)) {
            now += atoll(line + 5) * 1000;
            continue;
        }
        char *tab = strchr(line, '\t');
        if (!tab || !topic[0]) {
            fprintf(stderr, "input.txt: cannot read: %s\n", line);
            return -1;
        }
        *tab = '\0';
        now += 1000;
        const char *json = tab + 1;
        /* One record per append: its own batch and arrival stamp, as
         * test_golden.sh's one `rill produce` per record. */
        if (rill_push_partition(db, topic, atoi(line), NULL, 0, json,
                                strlen(json), now) ||
            rill_flush(db)) {
            fprintf(stderr, "push: %s\n", rill_errmsg(db));
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: golden_lib CASE_DIR\n");
        return 2;
    }
    char *input = slurp(argv[1], "input.txt");
    char *sql = slurp(argv[1], "query.sql");
    if (!input || !sql) {
        fprintf(stderr, "golden_lib: cannot read %s\n", argv[1]);
        return 2;
    }
    struct rill_options o = {0};
    o.until_idle = 1;
    o.virtual_clock = 1;
    struct rill *db;
    if (rill_open(NULL, &o, &db)) {
        fprintf(stderr, "golden_lib: %s\n", rill_errmsg(db));
        return 1;
    }
    int status = 0;
    if (push_input(db, input)) {
        printf("(input failed)\n");
        goto out;
    }
    if (rill_exec(db, sql, on_text, NULL) || rill_wait(db)) {
        fflush(stdout);
        fprintf(stderr, "golden_lib: %s\n", rill_errmsg(db));
        status = 1;
        goto out;
    }
    for (const char *p = strstr(sql, "-- consume:"); p;
         p = strstr(p + 1, "-- consume:")) {
        char topic[256];
        if (sscanf(p + 11, " %255s", topic) != 1)
            continue;
        printf("--- %s\n", topic);
        struct rill_sub *sub;
        if (rill_subscribe(db, topic, RILL_FROM_BEGINNING, on_record, NULL,
                           &sub)) {
            printf("(consume %s failed)\n", topic);
            continue;
        }
        while (rill_poll(db, 0) > 0)
            ;
        rill_unsubscribe(sub);
    }
out:
    fflush(stdout);
    rill_close(db);
    free(input);
    free(sql);
    return status;
}
