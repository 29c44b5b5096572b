/* web_queries.c - queries as JSON: GET /queries, GET /queries/{id},
 * stop, resume, drop, EXPLAIN WATERMARK, and the query figures of /metrics
 * and the dashboard (layer: web).
 *
 * The one file that knows how the SQL server describes queries: it asks
 * over the socket what `rill sql` would (SHOW QUERIES, then DESCRIBE id
 * FORMAT JSON: one JSON object a query, written by sql_exec_control.c,
 * passed on as it is), and runs STOP QUERY, RESUME QUERY, DROP QUERY and
 * EXPLAIN WATERMARK for the routes that steer and explain.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "web/web_int.h"

struct collect {
    struct buf text;
    struct buf message; /* the error's, when a statement failed */
    bool failed;
};

static void on_text(void *arg, const char *s, size_t n)
{
    struct collect *c = arg;
    buf_put(&c->text, s, n);
    if (n && s[n - 1] != '\n')
        buf_put_u8(&c->text, '\n');
}

static void on_error(void *arg, int line, int column, const char *msg, size_t n)
{
    struct collect *c = arg;
    (void)line;
    (void)column;
    buf_reset(&c->message);
    buf_put(&c->message, msg, n);
    c->failed = true;
}

static int run(struct web_job *j, const char *sql, struct collect *c)
{
    buf_reset(&c->text);
    c->failed = false;
    struct web_sql_sink sink = {.text = on_text, .error = on_error, .arg = c};
    int rc = web_sql_exec(j, sql, strlen(sql), &sink);
    buf_put_u8(&c->text, '\0');
    c->text.len--;
    return rc;
}

static bool plain_id(const char *id)
{
    for (const char *p = id; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    return *id != '\0';
}

static bool is_int(const char *s, size_t n)
{
    size_t i = s[0] == '-' ? 1 : 0;
    if (i >= n)
        return false;
    for (; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return n < 19;
}

/* The DESCRIBE ... FORMAT JSON objects of every query (id NULL) or of
 * one, one a line. Returns 0, ERR_NOT_FOUND or an exec error. */
static int describe_all(struct web_job *j, const char *id, struct collect *c)
{
    int rc;
    if (id) {
        if (!plain_id(id))
            return ERR_NOT_FOUND;
        char sql[300];
        snprintf(sql, sizeof sql, "DESCRIBE %s FORMAT JSON;", id);
        rc = run(j, sql, c);
        if (rc == 1 || (rc == 0 && c->text.data[0] != '{'))
            rc = ERR_NOT_FOUND;
        return rc;
    }
    rc = run(j, "SHOW QUERIES;", c);
    if (rc)
        return rc == 1 ? ERR_FAILED : rc;
    /* The table: a header line, one line a query, "(N queries)". */
    struct buf ids;
    buf_init(&ids);
    const char *line = strchr((const char *)c->text.data, '\n');
    while (line && line[1] && line[1] != '(') {
        line++;
        size_t n = strcspn(line, " \n");
        buf_printf(&ids, "DESCRIBE %.*s FORMAT JSON;", (int)n, line);
        line = strchr(line, '\n');
    }
    if (ids.len) {
        rc = run(j, (const char *)ids.data, c);
        rc = rc == 1 ? ERR_FAILED : rc;
    } else {
        buf_reset(&c->text);
        buf_put_u8(&c->text, '\0');
        c->text.len = 0;
    }
    buf_fini(&ids);
    return rc;
}

/* Calls fn for each object line of all (NUL-terminated copies). */
static void each_query(const char *all, void (*fn)(void *, const char *),
                       void *arg)
{
    for (const char *t = all; *t;) {
        size_t n = strcspn(t, "\n");
        if (n && t[0] == '{') {
            struct buf one;
            buf_init(&one);
            buf_put(&one, t, n);
            buf_put_u8(&one, '\0');
            fn(arg, (const char *)one.data);
            buf_fini(&one);
        }
        t += n + (t[n] ? 1 : 0);
    }
}

struct json_list {
    struct buf *out;
    bool first;
};

static void list_one(void *arg, const char *obj)
{
    struct json_list *l = arg;
    if (!l->first)
        buf_put_u8(l->out, ',');
    l->first = false;
    buf_put_str(l->out, obj);
}

int web_queries_json(struct web_job *j, const char *id, struct buf *out)
{
    struct collect c = {.failed = false};
    buf_init(&c.text);
    int rc = describe_all(j, id, &c);
    if (rc == 0 && id) {
        size_t n = strcspn((const char *)c.text.data, "\n");
        buf_put(out, c.text.data, n);
    } else if (rc == 0) {
        struct json_list l = {out, true};
        buf_put_u8(out, '[');
        each_query((const char *)c.text.data, list_one, &l);
        buf_put_u8(out, ']');
    }
    buf_fini(&c.text);
    buf_fini(&c.message);
    return rc;
}

/* --- Prometheus -----------------------------------------------------------
 * From the DESCRIBE ... FORMAT JSON objects (sql/sql_exec_control.c
 * writes them): top-level numbers by name, and the arrays
 * "late_partitions" and "operators" in the shape that file writes. */

struct family {
    const char *key;  /* JSON field */
    const char *name; /* metric */
    const char *type;
    const char *help;
};

static const struct family families[] = {
    {"records_in", "rill_query_records_in_total", "counter",
     "Input records read by the query's tasks."},
    {"rows_in", "rill_query_rows_in_total", "counter",
     "Rows decoded from the query's input."},
    {"rows_out", "rill_query_rows_out_total", "counter",
     "Rows the query wrote to its sink."},
    {"dead_letters", "rill_query_dead_letters_total", "counter",
     "Input records sent to the dead-letter topic."},
    {"late_rows", "rill_query_late_rows_total", "counter",
     "Rows that arrived after their window closed."},
    {"windows_fired", "rill_query_windows_fired_total", "counter",
     "Windows the query closed and emitted."},
    {"write_errors", "rill_query_write_errors_total", "counter",
     "Failed appends to the query's outputs."},
    {"corrupt_batches", "rill_query_corrupt_batches_total", "counter",
     "Input record batches that failed to decode."},
    {"checkpoint_duration_us", "rill_query_checkpoint_duration_seconds",
     "gauge",
     "The longest of the tasks' last exactly-once checkpoints "
     "(docs/checkpoints.md)."},
    {"checkpoint_bytes", "rill_query_checkpoint_bytes", "gauge",
     "Bytes of the tasks' last checkpoints together."},
};

struct prom {
    struct buf *out;
    const struct family *f;
    int pass; /* 0: families, 1: lag, 2: watermark, 3: lag seconds,
                 4: late per partition, 5: up, 6/7: operator rows in/out,
                 8/9: operator state entries/bytes, 10/11: operator rates
                 in/out, 12-14: the query's rates */
};

/* A top-level integer field; false when absent or not a number. */
static bool num_field(const char *obj, const char *key, long long *v)
{
    struct buf b;
    buf_init(&b);
    bool ok = web_json_scalar(obj, strlen(obj), key, &b) == 0 && b.len &&
              is_int((const char *)b.data, b.len);
    if (ok) {
        buf_put_u8(&b, '\0');
        *v = strtoll((const char *)b.data, NULL, 10);
    }
    buf_fini(&b);
    return ok;
}

/* Each operator of "operators": [{"stage":S,"name":"N","rows_in":A,
 * "rows_out":B[,"state_entries":C,"state_bytes":D]}, ...]. */
static void prom_operators(struct prom *p, const char *id, const char *obj)
{
    const char *o = strstr(obj, "\"operators\":[");
    if (!o)
        return;
    o += 13;
    for (int i = 1; *o == '{'; i++) {
        int stage;
        char name[64];
        unsigned long long in, out, ent = 0, bytes = 0;
        int used = 0;
        if (sscanf(o,
                   "{\"stage\":%d,\"name\":\"%63[a-z_0-9]\",\"rows_in\":%llu,"
                   "\"rows_out\":%llu%n",
                   &stage, name, &in, &out, &used) != 4)
            return;
        o += used;
        double rin = 0, rout = 0;
        bool rates =
            sscanf(o, ",\"rows_in_per_s\":%lf,\"rows_out_per_s\":%lf%n", &rin,
                   &rout, &used) == 2;
        static const char nulls[] =
            ",\"rows_in_per_s\":null,\"rows_out_per_s\":null";
        if (rates)
            o += used;
        else if (!strncmp(o, nulls, sizeof nulls - 1))
            o += sizeof nulls - 1;
        bool state = sscanf(o, ",\"state_entries\":%llu,\"state_bytes\":%llu",
                            &ent, &bytes) == 2;
        const char *metric = NULL;
        unsigned long long v = 0;
        if (p->pass == 6)
            metric = "rill_query_operator_rows_in_total", v = in;
        else if (p->pass == 7)
            metric = "rill_query_operator_rows_out_total", v = out;
        else if (p->pass == 8 && state)
            metric = "rill_query_operator_state_entries", v = ent;
        else if (p->pass == 9 && state)
            metric = "rill_query_operator_state_bytes", v = bytes;
        if (metric)
            buf_printf(p->out,
                       "%s{query=\"%s\",stage=\"%d\",operator=\"%d\","
                       "name=\"%s\"} %llu\n",
                       metric, id, stage, i, name, v);
        if ((p->pass == 10 || p->pass == 11) && rates)
            buf_printf(p->out,
                       "rill_query_operator_rows_%s_per_second{query=\"%s\","
                       "stage=\"%d\",operator=\"%d\",name=\"%s\"} %.1f\n",
                       p->pass == 10 ? "in" : "out", id, stage, i, name,
                       p->pass == 10 ? rin : rout);
        o = strchr(o, '}');
        if (!o)
            return;
        o += *(o + 1) == ',' ? 2 : 1;
    }
}

static void prom_one(void *arg, const char *obj)
{
    struct prom *p = arg;
    char id[128];
    struct buf b;
    buf_init(&b);
    if (web_json_scalar(obj, strlen(obj), "id", &b) || !b.len ||
        b.len >= sizeof id) {
        buf_fini(&b);
        return;
    }
    snprintf(id, sizeof id, "%.*s", (int)b.len, (const char *)b.data);
    buf_fini(&b);
    if (!plain_id(id))
        return;
    long long v, wm;
    switch (p->pass) {
    case 0:
        if (!num_field(obj, p->f->key, &v))
            break;
        if (strstr(p->f->key, "_us")) /* microseconds, exposed in seconds */
            buf_printf(p->out, "%s{query=\"%s\"} %.6f\n", p->f->name, id,
                       (double)v / 1e6);
        else
            buf_printf(p->out, "%s{query=\"%s\"} %lld\n", p->f->name, id, v);
        break;
    case 1: {
        const char *s = strstr(obj, "\"stages\":[");
        long long lag;
        for (int k = 0; s && k < 2; k++) {
            const char *e = strstr(s, k ? "{\"stage\":\"repartition\","
                                        : "{\"stage\":\"input\",");
            if (!e || !(e = strstr(e, "\"lag\":")) ||
                sscanf(e, "\"lag\":%lld", &lag) != 1)
                break;
            buf_printf(p->out,
                       "rill_query_lag_records{query=\"%s\",stage=\"%s\"} "
                       "%lld\n",
                       id, k ? "repartition" : "input", lag);
        }
        break;
    }
    case 2:
    case 3:
        if (num_field(obj, "watermark", &wm)) {
            if (p->pass == 2)
                buf_printf(p->out,
                           "rill_query_watermark_seconds{query=\"%s\"} "
                           "%.3f\n",
                           id, (double)wm / 1000.0);
            else if (num_field(obj, "watermark_lag_ms", &v))
                buf_printf(p->out,
                           "rill_query_watermark_lag_seconds{query=\"%s\"} "
                           "%.3f\n",
                           id, (double)v / 1000.0);
        }
        break;
    case 4: {
        const char *s = strstr(obj, "\"late_partitions\":[");
        if (!s)
            break;
        s += 19;
        for (int part = 0; *s && *s != ']'; part++) {
            char *end;
            long long n = strtoll(s, &end, 10);
            if (end == s)
                break;
            if (n)
                buf_printf(p->out,
                           "rill_query_late_rows_partition_total{query=\"%s\","
                           "partition=\"%d\"} %lld\n",
                           id, part, n);
            s = *end == ',' ? end + 1 : end;
        }
        break;
    }
    case 5: {
        struct buf st;
        buf_init(&st);
        bool run =
            web_json_scalar(obj, strlen(obj), "runtime_state", &st) == 0 &&
            st.len == 7 && !memcmp(st.data, "running", 7);
        buf_printf(p->out, "rill_query_running{query=\"%s\"} %d\n", id, run);
        buf_fini(&st);
        break;
    }
    case 12:
    case 13:
    case 14: {
        static const char *const keys[] = {"records_in_per_s", "rows_in_per_s",
                                           "rows_out_per_s"};
        static const char *const names[] = {"rill_query_records_in_per_second",
                                            "rill_query_rows_in_per_second",
                                            "rill_query_rows_out_per_second"};
        struct buf r;
        buf_init(&r);
        if (web_json_scalar(obj, strlen(obj), keys[p->pass - 12], &r) == 0 &&
            r.len && r.len < 32 && r.data[0] != 'n')
            buf_printf(p->out, "%s{query=\"%s\"} %.*s\n", names[p->pass - 12],
                       id, (int)r.len, (const char *)r.data);
        buf_fini(&r);
        break;
    }
    default:
        prom_operators(p, id, obj);
        break;
    }
}

int web_queries_metrics(struct web_job *j, struct buf *out)
{
    struct collect c = {.failed = false};
    buf_init(&c.text);
    int rc = describe_all(j, NULL, &c);
    if (rc == 0) {
        const char *all = (const char *)c.text.data;
        struct prom p = {.out = out};
        for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
            p.f = &families[i];
            buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", p.f->name,
                       p.f->help, p.f->name, p.f->type);
            each_query(all, prom_one, &p);
        }
        static const char *const extra[][2] = {
            {"rill_query_lag_records gauge",
             "Records of the stage's input not yet read, per stage."},
            {"rill_query_watermark_seconds gauge",
             "The query's event-time watermark (seconds since the epoch)."},
            {"rill_query_watermark_lag_seconds gauge",
             "Wall clock minus the query's watermark."},
            {"rill_query_late_rows_partition_total counter",
             "Late rows per input partition."},
            {"rill_query_running gauge",
             "1 while the query runs in this process."},
            {"rill_query_operator_rows_in_total counter",
             "Rows into each operator of the query's pipeline (summed over "
             "the stage's tasks)."},
            {"rill_query_operator_rows_out_total counter",
             "Rows out of each operator."},
            {"rill_query_operator_state_entries gauge",
             "Entries (groups, rows) a stateful operator holds."},
            {"rill_query_operator_state_bytes gauge",
             "Bytes of a stateful operator's state."},
            {"rill_query_operator_rows_in_per_second gauge",
             "Rows into each operator per second over the last ~5 s, "
             "computed by the server."},
            {"rill_query_operator_rows_out_per_second gauge",
             "Rows out of each operator per second over the last ~5 s."},
            {"rill_query_records_in_per_second gauge",
             "Input records read per second over the last ~5 s."},
            {"rill_query_rows_in_per_second gauge",
             "Rows decoded per second over the last ~5 s."},
            {"rill_query_rows_out_per_second gauge",
             "Rows written to the sink per second over the last ~5 s."},
        };
        for (int k = 0; k < 14; k++) {
            size_t nl = strcspn(extra[k][0], " ");
            buf_printf(out, "# HELP %.*s %s\n# TYPE %s\n", (int)nl, extra[k][0],
                       extra[k][1], extra[k][0]);
            p.pass = k + 1;
            each_query(all, prom_one, &p);
        }
    }
    buf_fini(&c.text);
    buf_fini(&c.message);
    return rc;
}

/* --- streams and tables (SHOW STREAMS / SHOW TABLES tables) -------------- */

/* Appends {"name", "kind", "topic", "format", "partitions", "key",
 * "watermark"} per line of a SHOW table (header first, "(N ...)" last). */
static void relations_json(const char *text, const char *kind, bool *first,
                           struct buf *out)
{
    const char *line = strchr(text, '\n');
    while (line && line[1] && line[1] != '(') {
        line++;
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        static const char *const keys[] = {"name", "topic", "format",
                                           "partitions", "key"};
        size_t i = 0;
        buf_put_str(out, *first ? "{" : ",{");
        *first = false;
        buf_printf(out, "\"kind\":\"%s\"", kind);
        for (int k = 0; k < 5; k++) {
            while (i < len && line[i] == ' ')
                i++;
            size_t st = i;
            while (i < len && line[i] != ' ')
                i++;
            buf_printf(out, ",\"%s\":", keys[k]);
            if (k == 3 && is_int(line + st, i - st))
                buf_put(out, line + st, i - st);
            else
                web_json_str(out, line + st, i - st);
        }
        while (i < len && line[i] == ' ')
            i++;
        buf_put_str(out, ",\"watermark\":");
        web_json_str(out, line + i, len - i);
        buf_put_u8(out, '}');
        line = eol;
    }
}

int web_streams_json(struct web_job *j, struct buf *out)
{
    struct collect c = {.failed = false};
    buf_init(&c.text);
    bool first = true;
    buf_put_u8(out, '[');
    int rc = run(j, "SHOW STREAMS;", &c);
    if (rc == 0)
        relations_json((const char *)c.text.data, "stream", &first, out);
    if (rc == 0)
        rc = run(j, "SHOW TABLES;", &c);
    if (rc == 0)
        relations_json((const char *)c.text.data, "table", &first, out);
    buf_put_u8(out, ']');
    buf_fini(&c.text);
    buf_fini(&c.message);
    return rc == 1 ? ERR_FAILED : rc;
}

/* Finds topic's line in a SHOW table; copies its key column. */
static bool key_in_table(const char *text, const char *topic, char *key,
                         size_t n)
{
    const char *line = strchr(text, '\n');
    while (line && line[1] && line[1] != '(') {
        line++;
        char name[256], top[256], fmt[64], parts[32], k[256];
        if (sscanf(line, "%255s %255s %63s %31s %255s", name, top, fmt, parts,
                   k) == 5 &&
            !strcmp(top, topic) && strcmp(k, "-")) {
            snprintf(key, n, "%s", k);
            return true;
        }
        line = strchr(line, '\n');
    }
    return false;
}

int web_stream_key(struct web_job *j, const char *topic, char *key, size_t n)
{
    struct collect c = {.failed = false};
    buf_init(&c.text);
    int rc = run(j, "SHOW STREAMS;", &c);
    bool found =
        rc == 0 && key_in_table((const char *)c.text.data, topic, key, n);
    if (rc == 0 && !found) {
        rc = run(j, "SHOW TABLES;", &c);
        found =
            rc == 0 && key_in_table((const char *)c.text.data, topic, key, n);
    }
    buf_fini(&c.text);
    buf_fini(&c.message);
    if (rc)
        return rc == 1 ? ERR_FAILED : rc;
    return found ? 0 : ERR_NOT_FOUND;
}

enum action { GET_ONE, GET_ALL, GET_STREAMS, DROP, STOP, RESUME, EXPLAIN };

struct get_arg {
    char id[256];
    enum action act;
};

/* DELETE /queries/{id}, POST /queries/{id}/stop|resume, GET
 * /queries/{id}/watermark: the statement, as `rill sql` would run it. */
static void control_job(struct web_job *j, struct get_arg *a)
{
    static const char *const stmt[] = {[DROP] = "DROP QUERY",
                                       [STOP] = "STOP QUERY",
                                       [RESUME] = "RESUME QUERY",
                                       [EXPLAIN] = "EXPLAIN WATERMARK"};
    static const char *const done[] = {
        [DROP] = "dropped", [STOP] = "stopped", [RESUME] = "resumed"};
    struct buf b;
    buf_init(&b);
    struct collect c = {.failed = false};
    buf_init(&c.text);
    buf_init(&c.message);
    int rc = ERR_NOT_FOUND;
    if (plain_id(a->id)) {
        char sql[300];
        snprintf(sql, sizeof sql, "%s %s;", stmt[a->act], a->id);
        rc = run(j, sql, &c);
    }
    if (rc == ERR_CLOSED)
        goto out;
    buf_put_u8(&c.message, '\0');
    c.message.len--;
    const char *msg = (const char *)c.message.data;
    bool missing =
        rc == ERR_NOT_FOUND || (rc == 1 && strstr(msg, "unknown query"));
    if (rc == 0 && a->act == EXPLAIN) {
        buf_put(&b, c.text.data, c.text.len);
        web_job_respond(j, 200, "text/plain; charset=utf-8", &b);
        goto out;
    }
    if (rc == 0) {
        buf_printf(&b, "{\"%s\":", done[a->act]);
        web_json_cstr(&b, a->id);
        buf_put_str(&b, ",\"text\":");
        web_json_str(&b, (const char *)c.text.data, c.text.len);
        buf_put_str(&b, "}\n");
    } else {
        buf_put_str(&b, "{\"error\":");
        if (missing)
            web_json_cstr(&b, "no such query");
        else if (rc == 1)
            web_json_cstr(&b, msg);
        else
            web_json_cstr(&b, "the SQL server does not answer");
        buf_put_str(&b, "}\n");
    }
    web_job_respond(j,
                    rc == 0   ? 200
                    : missing ? 404
                    : rc == 1 ? 409
                              : 503,
                    "application/json", &b);
out:
    buf_fini(&c.text);
    buf_fini(&c.message);
    buf_fini(&b);
}

static void get_job(struct web_job *j, void *arg)
{
    struct get_arg *a = arg;
    if (a->act >= DROP) {
        control_job(j, a);
        mem_free(a);
        return;
    }
    struct buf b;
    buf_init(&b);
    int rc = a->act == GET_STREAMS
                 ? web_streams_json(j, &b)
                 : web_queries_json(j, a->act == GET_ONE ? a->id : NULL, &b);
    if (rc == 0) {
        buf_put_u8(&b, '\n');
        web_job_respond(j, 200, "application/json", &b);
    } else if (rc != ERR_CLOSED) {
        buf_reset(&b);
        buf_put_str(&b, "{\"error\":");
        web_json_cstr(&b, rc == ERR_NOT_FOUND && a->act == GET_ONE
                              ? "no such query"
                              : "the SQL server does not answer");
        buf_put_str(&b, "}\n");
        web_job_respond(j, rc == ERR_NOT_FOUND && a->act == GET_ONE ? 404 : 503,
                        "application/json", &b);
    }
    buf_fini(&b);
    mem_free(a);
}

static void start(struct web *w, struct http_conn *c, const char *id,
                  enum action act)
{
    struct get_arg *a = mem_calloc(1, sizeof *a);
    if (id)
        snprintf(a->id, sizeof a->id, "%s", id);
    a->act = act;
    if (web_job_start(w, c, get_job, a))
        mem_free(a);
}

void web_queries_get(struct web *w, struct http_conn *c, const char *id)
{
    start(w, c, id, id ? GET_ONE : GET_ALL);
}

void web_streams_get(struct web *w, struct http_conn *c)
{
    start(w, c, NULL, GET_STREAMS);
}

void web_queries_delete(struct web *w, struct http_conn *c, const char *id)
{
    start(w, c, id, DROP);
}

void web_queries_action(struct web *w, struct http_conn *c, const char *id,
                        const char *action, bool post)
{
    if (!strcmp(action, "watermark")) {
        if (post)
            return web_error(c, 405, "use GET");
        return start(w, c, id, EXPLAIN);
    }
    enum action act = !strcmp(action, "stop")     ? STOP
                      : !strcmp(action, "resume") ? RESUME
                                                  : GET_ONE;
    if (act == GET_ONE)
        return web_error(c, 404, "no such resource");
    if (!post)
        return web_error(c, 405, "use POST");
    start(w, c, id, act);
}
