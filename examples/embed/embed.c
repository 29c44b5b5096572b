/* embed.c - rill inside a C program (librill, include/rill.h).
 *
 * Feeds simulated machine readings into an engine on a data directory,
 * runs a 10 s window per machine, a vibration alert and the
 * bearing-failure pattern (a vibration spike, then the machine's
 * temperature 3 C above it within 60 s: MATCH_RECOGNIZE) in SQL, and
 * prints what the queries write. No server, no socket: the program is the
 * engine. Build: cc embed.c $(pkg-config --cflags --libs rill)
 *
 * usage: embed DATA_DIR     (a fresh directory; prints a last line
 *                            "windows W alerts A" that `make test` checks)
 *        embed :memory:     (the same in memory: no file, no thread; the
 *                            queries run inside rill_wait and rill_poll)
 */
#include <rill.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MACHINES 5
#define SECONDS 60
#define BASE_MS 1767225600000LL /* 2026-01-01T00:00:00Z */

static const char *setup =
    "CREATE STREAM readings (machine STRING, vibration DOUBLE, "
    "  temperature DOUBLE, ts TIMESTAMP(3), "
    "  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND) "
    "WITH (topic = 'readings', format = 'json', key = 'machine', "
    "      partitions = 2);";

static const char *queries =
    "CREATE TABLE per_machine AS "
    "  SELECT machine, window_start, COUNT(*) AS n, "
    "         AVG(temperature) AS avg_temp, MAX(vibration) AS max_vib "
    "  FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), "
    "                    INTERVAL '10' SECOND)) "
    "  GROUP BY machine, window_start, window_end;"
    "CREATE STREAM alerts AS "
    "  SELECT machine, vibration, ts FROM readings WHERE vibration > 8.0;"
    "CREATE STREAM bearing AS "
    "  SELECT machine, spike_ts, spike_g, rise_ts, temperature "
    "  FROM readings MATCH_RECOGNIZE ("
    "    PARTITION BY machine ORDER BY ts"
    "    MEASURES V.ts AS spike_ts, V.vibration AS spike_g,"
    "             T.ts AS rise_ts, T.temperature AS temperature"
    "    ONE ROW PER MATCH AFTER MATCH SKIP PAST LAST ROW"
    "    PATTERN (V N*? T) WITHIN INTERVAL '60' SECOND"
    "    DEFINE V AS vibration > 8.0,"
    "           N AS TRUE,"
    "           T AS temperature >= V.temperature + 3.0);";

struct counts {
    int windows, alerts, bearing;
};

static void on_window(void *arg, const struct rill_record *r)
{
    struct counts *c = arg;
    c->windows++;
    printf("window %.*s\n", (int)r->value_len, (const char *)r->value);
}

static void on_alert(void *arg, const struct rill_record *r)
{
    struct counts *c = arg;
    c->alerts++;
    printf("ALERT  %.*s\n", (int)r->value_len, (const char *)r->value);
}

static void on_bearing(void *arg, const struct rill_record *r)
{
    struct counts *c = arg;
    c->bearing++;
    printf("BEARING %.*s\n", (int)r->value_len, (const char *)r->value);
}

static void print_text(void *arg, const char *text, size_t len)
{
    (void)arg;
    fwrite(text, 1, len, stdout);
}

static int fail(struct rill *db, const char *what, int rc)
{
    fprintf(stderr, "embed: %s: %d %s\n", what, rc, rill_errmsg(db));
    rill_close(db);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: embed DATA_DIR\n");
        return 2;
    }
    struct rill_options o = {0};
    o.until_idle = 1; /* run the queries over what was pushed, then end */
    struct rill *db;
    bool memory = !strcmp(argv[1], ":memory:");
    o.memory_bytes = 16u << 20; /* in memory: every stream within 16 MiB */
    int rc = rill_open(memory ? NULL : argv[1], &o, &db);
    if (rc)
        return fail(db, "open", rc);
    if ((rc = rill_exec(db, setup, print_text, NULL)))
        return fail(db, "setup", rc);

    /* A deterministic factory: machine 3's bearing fails at 40 s. */
    char key[16], json[160];
    int64_t spikes = 0;
    for (int s = 0; s < SECONDS * 10; s++)
        for (int m = 0; m < MACHINES; m++) {
            int64_t ts = BASE_MS + (int64_t)s * 100;
            double vib = 2.0 + (double)((s * 7 + m * 13) % 10) / 10.0;
            double temp = 45.0 + m + (double)(s % 20) / 10.0;
            if (m == 3 && s >= 400) {
                temp += (double)(s - 400) * 0.05; /* the bearing heats */
                if (s % 25 == 0) {
                    vib = 9.5;
                    spikes++;
                }
            }
            int kl = snprintf(key, sizeof key, "m%d", m);
            int vl = snprintf(json, sizeof json,
                              "{\"machine\":\"m%d\",\"vibration\":%.2f,"
                              "\"temperature\":%.2f,\"ts\":%" PRId64 "}",
                              m, vib, temp, ts);
            if ((rc = rill_push(db, "readings", key, (size_t)kl, json,
                                (size_t)vl, ts)))
                return fail(db, "push", rc);
        }
    if ((rc = rill_flush(db)))
        return fail(db, "flush", rc);

    if ((rc = rill_exec(db, queries, print_text, NULL)))
        return fail(db, "queries", rc);
    if ((rc = rill_wait(db)))
        return fail(db, "wait", rc);
    /* The queries ended (until_idle): read what they wrote. */
    struct counts c = {0, 0, 0};
    struct rill_sub *sw, *sa, *sb;
    if ((rc = rill_subscribe(db, "per_machine", RILL_FROM_BEGINNING, on_window,
                             &c, &sw)) ||
        (rc = rill_subscribe(db, "alerts", RILL_FROM_BEGINNING, on_alert, &c,
                             &sa)) ||
        (rc = rill_subscribe(db, "bearing", RILL_FROM_BEGINNING, on_bearing, &c,
                             &sb)))
        return fail(db, "subscribe", rc);
    while ((rc = rill_poll(db, 200)) > 0)
        ;
    if (rc < 0)
        return fail(db, "poll", rc);
    int64_t rows_in = -1;
    rill_query_counter(db, "q_1", "rows_in", &rows_in);
    printf("rows_in %" PRId64 " spikes %" PRId64 "\n", rows_in, spikes);
    printf("windows %d alerts %d bearing %d\n", c.windows, c.alerts, c.bearing);
    rill_close(db);
    return 0;
}
