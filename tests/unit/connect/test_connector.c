/* test_connector.c - connector options (a table of specs: accepted, or
 * refused with the reason), roles, the value parsers, and the driver end
 * to end on the local log: a file source feeding a topic and a file sink
 * draining it, restarted without a row read or written twice.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../harness.h"
#include "../log/log_testlib.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/os.h"
#include "connect/connector.h"
#include "connect/connector_int.h"
#include "connect/local_log.h"
#include "log/logdir.h"
#include "stream/worker.h"

static struct schema test_schema(void)
{
    struct schema s;
    schema_init(&s);
    schema_add(&s, "machine_id", SCHEMA_STRING, true, NULL);
    schema_add(&s, "window_start", SCHEMA_TIMESTAMP, true, NULL);
    schema_add(&s, "n", SCHEMA_BIGINT, true, NULL);
    return s;
}

struct vcase {
    enum connector_role role;
    const char *opts[16]; /* key, value, key, value, ..., NULL */
    const char *error;    /* substring, or NULL: accepted */
};

static const struct vcase vcases[] = {
    {CONNECTOR_SOURCE, {"connector", "file", "path", "/tmp/x", NULL}, NULL},
    {CONNECTOR_SOURCE, {"connector", "file", NULL}, "needs option 'path'"},
    {CONNECTOR_SOURCE, {"connector", "nope", NULL}, "unknown connector"},
    {CONNECTOR_SINK,
     {"connector", "file", "path", "/x", "file.format", "xml", NULL},
     "'ndjson', 'csv' or 'influx'"},
    {CONNECTOR_SINK,
     {"connector", "file", "path", "/x", "sink.rolling-policy.file-size",
      "12 parsecs", NULL},
     "file-size"},
    {CONNECTOR_SOURCE,
     {"connector", "file", "path", "/x", "file.format", "csv", NULL},
     "does not apply to a source"},
    {CONNECTOR_SOURCE,
     {"connector", "webhook", "url", "http://h/", NULL},
     "cannot be a source"},
    {CONNECTOR_SINK, {"connector", "webhook", "url", "http://h/", NULL}, NULL},
    {CONNECTOR_SINK,
     {"connector", "webhook", "url", "http://h/", "sink.batch-size", "0", NULL},
     "sink.batch-size"},
    {CONNECTOR_SINK,
     {"connector", "webhook", "url", "http://h/", "mqtt.qos", "1", NULL},
     "does not apply to connector 'webhook'"},
    {CONNECTOR_SINK,
     {"connector", "mqtt", "mqtt.broker", "h:1883", "mqtt.topic",
      "alerts/{machine_id}", NULL},
     NULL},
    {CONNECTOR_SINK,
     {"connector", "mqtt", "mqtt.broker", "h:1883", "mqtt.topic",
      "alerts/{nope}", NULL},
     "{nope} is not a column"},
    {CONNECTOR_SINK,
     {"connector", "mqtt", "mqtt.broker", "h:1883", "mqtt.topic", "a/+", NULL},
     "no wildcards"},
    {CONNECTOR_SOURCE,
     {"connector", "mqtt", "mqtt.broker", "h:1883", "mqtt.topic", "a/#/b",
      NULL},
     "not a valid MQTT filter"},
    {CONNECTOR_SOURCE,
     {"connector", "mqtt", "mqtt.broker", "h", "mqtt.topic", "a", NULL},
     "HOST:PORT"},
    {CONNECTOR_SINK,
     {"connector", "mqtt", "mqtt.broker", "h:1", "mqtt.topic", "a", "mqtt.qos",
      "3", NULL},
     "0, 1 or 2"},
    {CONNECTOR_SINK,
     {"connector", "mqtt", "mqtt.broker", "h:1", "mqtt.topic", "a",
      "mqtt.max-inflight", "0", NULL},
     "1..65535"},
    {CONNECTOR_SINK,
     {"connector", "mqtt", "mqtt.broker", "h:1", "mqtt.topic", "a",
      "mqtt.max-inflight", "1000", NULL},
     NULL},
    {CONNECTOR_SOURCE,
     {"connector", "mqtt", "mqtt.broker", "h:1", "mqtt.topic", "a",
      "mqtt.max-inflight", "100", NULL},
     "does not apply to a source"},
    {CONNECTOR_SINK,
     {"connector", "mqtt", "mqtt.broker", "h:1", "mqtt.topic", "a",
      "mqtt.tls.ca", "/etc/hostname", NULL},
     "needs TLS"},
    {CONNECTOR_SINK,
     {"connector", "mqtt", "mqtt.broker", "ssl://h:8883", "mqtt.topic", "a",
      "mqtt.tls.ca", "/nonexistent/ca.pem", NULL},
     "cannot read"},
    {CONNECTOR_SOURCE,
     {"connector", "mqtt", "mqtt.broker", "mqtts://h:8883", "mqtt.topic", "a",
      "mqtt.tls.insecure", "true", NULL},
     NULL},
    {CONNECTOR_SOURCE,
     {"connector", "mqtt", "mqtt.broker", "ssl://h", "mqtt.topic", "a", NULL},
     "ssl://HOST:PORT"},
    {CONNECTOR_SINK,
     {"connector", "postgres", "url", "host=x", "table-name", "t", NULL},
     NULL}, /* key machine_id + window_start */
    {CONNECTOR_SINK,
     {"connector", "postgres", "url", "host=x", "table-name", "t",
      "sink.primary-key", "machine_id, nope", NULL},
     "'nope' is not a column"},
};

TEST(validate_table)
{
    struct schema s = test_schema();
    for (size_t i = 0; i < sizeof vcases / sizeof vcases[0]; i++) {
        const struct vcase *v = &vcases[i];
        const char *keys[8], *values[8];
        size_t n = 0;
        while (v->opts[2 * n]) {
            keys[n] = v->opts[2 * n];
            values[n] = v->opts[2 * n + 1];
            n++;
        }
        struct connector_spec spec = {
            .name = "t",
            .role = v->role,
            .topic = "t",
            .schema = &s,
            .key = "machine_id",
            .keys = keys,
            .values = values,
            .noptions = n,
        };
        char err[256] = "";
        int rc = connector_validate(&spec, err, sizeof err);
        if (!v->error) {
            if (rc)
                fprintf(stderr, "  case %zu: %s\n", i, err);
            CHECK_EQ_INT(rc, 0);
        } else {
            CHECK_EQ_INT(rc, ERR_INVALID);
            if (!strstr(err, v->error))
                fprintf(stderr, "  case %zu: \"%s\" lacks \"%s\"\n", i, err,
                        v->error);
            CHECK(strstr(err, v->error) != NULL);
        }
    }
}

TEST(roles_and_parsers)
{
    CHECK_EQ_INT(connector_role_for("file", NULL, false), CONNECTOR_SOURCE);
    CHECK_EQ_INT(connector_role_for("file", NULL, true), CONNECTOR_SINK);
    CHECK_EQ_INT(connector_role_for("mqtt", "sink", false), CONNECTOR_SINK);
    CHECK_EQ_INT(connector_role_for("mqtt", "source", true), CONNECTOR_SOURCE);
    CHECK_EQ_INT(connector_role_for("webhook", NULL, false), CONNECTOR_SINK);
    CHECK_EQ_INT(connector_role_for("postgres", NULL, false), CONNECTOR_SINK);
    CHECK_EQ_INT(connector_role_for("nope", NULL, false), 0);
    CHECK(connector_option_known("mqtt.topic"));
    CHECK(connector_option_known("connector"));
    CHECK(!connector_option_known("topic"));
    int64_t v;
    CHECK_EQ_INT(connector_parse_ms("250 ms", &v), 0);
    CHECK_EQ_INT(v, 250);
    CHECK_EQ_INT(connector_parse_ms("2 s", &v), 0);
    CHECK_EQ_INT(v, 2000);
    CHECK_EQ_INT(connector_parse_ms("1.5 min", &v), 0);
    CHECK_EQ_INT(v, 90000);
    CHECK_EQ_INT(connector_parse_ms("soon", &v), ERR_INVALID);
    CHECK_EQ_INT(connector_parse_bytes("64 MB", &v), 0);
    CHECK_EQ_INT(v, 64 << 20);
    CHECK_EQ_INT(connector_parse_bytes("-1", &v), ERR_INVALID);
    char host[64];
    int port;
    CHECK_EQ_INT(
        connector_parse_hostport("127.0.0.1:1883", host, sizeof host, &port),
        0);
    CHECK_EQ_STR(host, "127.0.0.1");
    CHECK_EQ_INT(port, 1883);
    CHECK_EQ_INT(connector_parse_hostport(":1", host, sizeof host, &port),
                 ERR_INVALID);
    CHECK_EQ_INT(connector_parse_hostport("h:99999", host, sizeof host, &port),
                 ERR_INVALID);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Lines of every part-* file in dir, concatenated. */
static size_t read_parts(const char *dir, char *out, size_t cap)
{
    size_t len = 0;
    for (unsigned seq = 1; seq < 100; seq++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/part-%08u.ndjson", dir, seq);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        len += fread(out + len, 1, cap - len - 1, f);
        fclose(f);
    }
    out[len] = '\0';
    return len;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "a");
    fputs(text, f);
    fclose(f);
}

static struct connector *start(const struct stream_log *log,
                               struct worker_pool *pool, const char *name,
                               enum connector_role role, const char *dir,
                               const struct schema *s)
{
    const char *keys[] = {"connector", "path", "sink.rolling-policy.file-size"};
    const char *values[] = {"file", dir, "20"};
    struct connector_spec spec = {
        .name = name,
        .role = role,
        .topic = "lines",
        .schema = s,
        .keys = keys,
        .values = values,
        .noptions = role == CONNECTOR_SINK ? 3 : 2,
    };
    char err[256];
    struct connector *c = NULL;
    int rc = connector_create(&spec, log, &c, err, sizeof err);
    if (rc)
        fprintf(stderr, "  connector_create: %s\n", err);
    CHECK_EQ_INT(rc, 0);
    if (c)
        CHECK_EQ_INT(connector_start(c, pool), 0);
    return c;
}

static bool wait_text(const char *dir, const char *want)
{
    static char got[65536];
    for (int i = 0; i < 300; i++) {
        read_parts(dir, got, sizeof got);
        if (!strcmp(got, want))
            return true;
        sleep_ms(10);
    }
    fprintf(stderr, "  got \"%s\"\n  want \"%s\"\n", got, want);
    return false;
}

TEST(file_source_to_file_sink)
{
    char *dir = tl_tmpdir();
    char logpath[1024], in[1024], out[1024];
    snprintf(logpath, sizeof logpath, "%s/log", dir);
    snprintf(in, sizeof in, "%s/in", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    CHECK_EQ_INT(os_mkdir_p(in), 0);
    struct logdir_options o;
    logdir_options_init(&o);
    o.no_flusher = true;
    struct logdir *ld;
    CHECK_EQ_INT(logdir_open(logpath, &o, &ld), 0);
    struct logdir_topic_config tc;
    logdir_topic_config_init(&tc);
    tc.partitions = 1;
    CHECK_EQ_INT(logdir_topic_create(ld, "lines", &tc), 0);
    struct stream_log log;
    local_log_init(&log, ld);
    struct worker_pool *pool;
    CHECK_EQ_INT(worker_pool_create(1, &log, 20, &pool), 0);
    struct schema s;
    schema_init(&s);
    schema_add(&s, "a", SCHEMA_INT, true, NULL);

    char path[1100];
    snprintf(path, sizeof path, "%s/f1", in);
    write_file(path, "{\"a\":1}\n{\"a\":2}\n{\"a\":3"); /* 3: not yet whole */
    struct connector *src = start(&log, pool, "src", CONNECTOR_SOURCE, in, &s);
    struct connector *snk = start(&log, pool, "snk", CONNECTOR_SINK, out, &s);
    CHECK(wait_text(out, "{\"a\":1}\n{\"a\":2}\n"));
    write_file(path, "}\n");
    CHECK(wait_text(out, "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n"));
    struct connector_stats st;
    for (int i = 0; i < 300; i++) { /* counted once write() returned */
        connector_get_stats(snk, &st);
        if (st.records == 3 && st.lag == 0)
            break;
        sleep_ms(10);
    }
    CHECK_EQ_INT(st.records, 3);
    CHECK_EQ_INT(st.lag, 0);
    connector_destroy(src);
    connector_destroy(snk);

    /* Restarted: only what is new comes through; the sink rolled past 20
     * bytes into a second file. */
    snprintf(path, sizeof path, "%s/f2", in);
    write_file(path, "{\"a\":4}\n");
    src = start(&log, pool, "src", CONNECTOR_SOURCE, in, &s);
    snk = start(&log, pool, "snk", CONNECTOR_SINK, out, &s);
    CHECK(wait_text(out, "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n{\"a\":4}\n"));
    char p2[1100];
    snprintf(p2, sizeof p2, "%s/part-00000002.ndjson", out);
    FILE *f = fopen(p2, "r");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    connector_destroy(src);
    connector_destroy(snk);
    worker_pool_destroy(pool);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

int main(void)
{
    diag_set_level(DIAG_WARN);
    RUN(validate_table);
    RUN(roles_and_parsers);
    RUN(file_source_to_file_sink);
    return harness_summary("test_connector");
}
