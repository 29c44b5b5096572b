/* web_queries.c - queries as JSON: GET /queries, GET /queries/{id}, and
 * the query figures of /metrics and the dashboard (layer: web).
 *
 * The one file that knows how queries are described: it asks the SQL
 * server what `rill queries list|describe` asks (SHOW QUERIES, DESCRIBE
 * id, over the socket) and turns the text into JSON. DESCRIBE's lines are
 * "name: value"; each becomes a field (spaces to '_'), a number when the
 * value is one. Known lines get more: "lag: 5 records (input), 2
 * (repartition topic)" also gives "stages": [{"stage", "lag"}], and
 * "watermark: <ms>" also "watermark_iso" (ISO-8601) and "watermark_lag_ms"
 * (the wall clock minus the watermark).
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
    (void)msg;
    (void)n;
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

static const char *query_id(const char *text, char *id, size_t n)
{
    size_t k = strcspn(text + 6, "\n");
    snprintf(id, n, "%.*s", (int)k, text + 6);
    return id;
}

/* The colon of a field line ("rows in: 5": lower-case words, a colon,
 * then a space or the end), or NULL for any other line (the text of a
 * statement that spans lines). */
static const char *field_colon(const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && i < 48 &&
           ((line[i] >= 'a' && line[i] <= 'z') ||
            (line[i] >= '0' && line[i] <= '9') || line[i] == ' '))
        i++;
    if (i == 0 || i >= len || line[i] != ':' || line[0] == ' ')
        return NULL;
    return i + 1 == len || line[i + 1] == ' ' ? line + i : NULL;
}

/* One DESCRIBE text (lines "name: value") as a JSON object. */
static void describe_json(const char *text, struct buf *out)
{
    char id[128];
    buf_put_str(out, "{\"id\":");
    web_json_cstr(out, query_id(text, id, sizeof id));
    /* DESCRIBE has two "state:" lines: the catalog's, then the tasks'. */
    bool had_state = false;
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        const char *colon = field_colon(line, len);
        if (!strncmp(line, "QUERY ", 6) || !colon) {
            line += len + (nl ? 1 : 0);
            continue;
        }
        if (colon - line == 3 && !memcmp(line, "sql", 3)) {
            /* The statement's text runs on until the next field line. */
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            const char *e = nl ? nl : line + len;
            while (*e == '\n') {
                const char *n2 = strchr(e + 1, '\n');
                size_t l2 = n2 ? (size_t)(n2 - e - 1) : strlen(e + 1);
                if (!l2 || field_colon(e + 1, l2))
                    break;
                e = e + 1 + l2;
            }
            buf_put_str(out, ",\"sql\":");
            web_json_str(out, v, (size_t)(e - v));
            line = *e ? e + 1 : e;
            continue;
        }
        char key[64];
        size_t k = 0;
        for (const char *p = line; p < colon && k + 1 < sizeof key; p++)
            key[k++] = *p == ' ' ? '_' : (char)tolower((unsigned char)*p);
        key[k] = '\0';
        if (!strcmp(key, "state") && had_state)
            snprintf(key, sizeof key, "runtime_state");
        else if (!strcmp(key, "state"))
            had_state = true;
        const char *v = colon + 1;
        while (v < line + len && *v == ' ')
            v++;
        size_t vn = (size_t)(line + len - v);
        buf_put_u8(out, ',');
        web_json_cstr(out, key);
        buf_put_u8(out, ':');
        if (vn && is_int(v, vn))
            buf_put(out, v, vn);
        else
            web_json_str(out, v, vn);
        if (!strcmp(key, "watermark") && vn && is_int(v, vn)) {
            int64_t wm = strtoll(v, NULL, 10);
            char iso[40];
            web_iso8601(wm, iso, sizeof iso);
            buf_printf(
                out, ",\"watermark_iso\":\"%s\",\"watermark_lag_ms\":%" PRId64,
                iso, clock_now_ms() - wm);
        }
        if (!strcmp(key, "lag")) {
            /* "5 records (input), 2 (repartition topic)" */
            char *end;
            long long a = strtoll(v, &end, 10);
            buf_printf(out, ",\"stages\":[{\"stage\":\"input\",\"lag\":%lld}",
                       a);
            const char *comma = memchr(v, ',', vn);
            if (comma)
                buf_printf(out, ",{\"stage\":\"repartition\",\"lag\":%lld}",
                           strtoll(comma + 1, NULL, 10));
            buf_put_u8(out, ']');
            buf_printf(out, ",\"lag_records\":%lld", a);
        }
        line += len + (nl ? 1 : 0);
    }
    buf_put_u8(out, '}');
}

/* The DESCRIBE texts of every query (id NULL) or of one, back to back,
 * each starting with "QUERY ". Returns 0, ERR_NOT_FOUND or an exec error. */
static int describe_all(struct web_job *j, const char *id, struct collect *c)
{
    int rc;
    if (id) {
        if (!plain_id(id))
            return ERR_NOT_FOUND;
        char sql[300];
        snprintf(sql, sizeof sql, "DESCRIBE %s;", id);
        rc = run(j, sql, c);
        if (rc == 1 || (rc == 0 && strncmp((char *)c->text.data, "QUERY ", 6)))
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
        buf_printf(&ids, "DESCRIBE %.*s;", (int)n, line);
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

/* Calls fn for each DESCRIBE text in all (NUL-terminated copies). */
static void each_query(const char *all, void (*fn)(void *, const char *),
                       void *arg)
{
    const char *t = all;
    while ((t = strstr(t, "QUERY ")) != NULL) {
        const char *next = strstr(t + 6, "\nQUERY ");
        size_t n = next ? (size_t)(next - t) + 1 : strlen(t);
        struct buf one;
        buf_init(&one);
        buf_put(&one, t, n);
        buf_put_u8(&one, '\0');
        fn(arg, (const char *)one.data);
        buf_fini(&one);
        t += n;
    }
}

struct json_list {
    struct buf *out;
    bool first;
};

static void list_one(void *arg, const char *text)
{
    struct json_list *l = arg;
    if (!l->first)
        buf_put_u8(l->out, ',');
    l->first = false;
    describe_json(text, l->out);
}

int web_queries_json(struct web_job *j, const char *id, struct buf *out)
{
    struct collect c = {.failed = false};
    buf_init(&c.text);
    int rc = describe_all(j, id, &c);
    if (rc == 0 && id) {
        describe_json((const char *)c.text.data, out);
    } else if (rc == 0) {
        struct json_list l = {out, true};
        buf_put_u8(out, '[');
        each_query((const char *)c.text.data, list_one, &l);
        buf_put_u8(out, ']');
    }
    buf_fini(&c.text);
    return rc;
}

/* --- Prometheus ----------------------------------------------------------- */

/* The value of line `key: ...` in a DESCRIBE text. */
static bool find_value(const char *text, const char *key, const char **v)
{
    size_t kn = strlen(key);
    for (const char *line = text; line && *line;) {
        if (!strncmp(line, key, kn) && line[kn] == ':') {
            *v = line + kn + 1;
            while (**v == ' ')
                (*v)++;
            return true;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return false;
}

struct family {
    const char *key;  /* DESCRIBE line */
    const char *name; /* metric */
    const char *type;
    const char *help;
};

static const struct family families[] = {
    {"records in", "rill_query_records_in_total", "counter",
     "Input records read by the query's tasks."},
    {"rows in", "rill_query_rows_in_total", "counter",
     "Rows decoded from the query's input."},
    {"rows out", "rill_query_rows_out_total", "counter",
     "Rows the query wrote to its sink."},
    {"dead letters", "rill_query_dead_letters_total", "counter",
     "Input records sent to the dead-letter topic."},
    {"late rows", "rill_query_late_rows_total", "counter",
     "Rows that arrived after their window closed."},
    {"windows fired", "rill_query_windows_fired_total", "counter",
     "Windows the query closed and emitted."},
    {"write errors", "rill_query_write_errors_total", "counter",
     "Failed appends to the query's outputs."},
    {"corrupt batches", "rill_query_corrupt_batches_total", "counter",
     "Input record batches that failed to decode."},
};

struct prom {
    struct buf *out;
    const struct family *f;
    int pass; /* 0: families, 1: lag, 2: watermark, 3: lag seconds,
                 4: late per partition, 5: up */
};

static void prom_one(void *arg, const char *text)
{
    struct prom *p = arg;
    char id[128];
    query_id(text, id, sizeof id);
    const char *v;
    switch (p->pass) {
    case 0:
        if (find_value(text, p->f->key, &v) && isdigit((unsigned char)*v))
            buf_printf(p->out, "%s{query=\"%s\"} %lld\n", p->f->name, id,
                       strtoll(v, NULL, 10));
        break;
    case 1:
        if (find_value(text, "lag", &v) && isdigit((unsigned char)*v)) {
            buf_printf(p->out,
                       "rill_query_lag_records{query=\"%s\",stage=\"input\"} "
                       "%lld\n",
                       id, strtoll(v, NULL, 10));
            const char *comma = strchr(v, ',');
            const char *eol = strchr(v, '\n');
            if (comma && (!eol || comma < eol))
                buf_printf(p->out,
                           "rill_query_lag_records{query=\"%s\",stage="
                           "\"repartition\"} %lld\n",
                           id, strtoll(comma + 1, NULL, 10));
        }
        break;
    case 2:
    case 3:
        if (find_value(text, "watermark", &v) &&
            (isdigit((unsigned char)*v) || *v == '-')) {
            long long wm = strtoll(v, NULL, 10);
            if (p->pass == 2)
                buf_printf(p->out,
                           "rill_query_watermark_seconds{query=\"%s\"} "
                           "%.3f\n",
                           id, (double)wm / 1000.0);
            else
                buf_printf(p->out,
                           "rill_query_watermark_lag_seconds{query=\"%s\"} "
                           "%.3f\n",
                           id, (double)(clock_now_ms() - wm) / 1000.0);
        }
        break;
    case 4:
        for (const char *line = text; line && *line;) {
            int part;
            long long n;
            if (sscanf(line, "late rows partition %d: %lld", &part, &n) == 2)
                buf_printf(p->out,
                           "rill_query_late_rows_partition_total{query=\"%s\","
                           "partition=\"%d\"} %lld\n",
                           id, part, n);
            line = strchr(line, '\n');
            if (line)
                line++;
        }
        break;
    case 5:
        if (find_value(text, "state", &v))
            buf_printf(p->out, "rill_query_running{query=\"%s\"} %d\n", id,
                       !strncmp(v, "RUNNING", 7));
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
        };
        for (int k = 0; k < 5; k++) {
            size_t nl = strcspn(extra[k][0], " ");
            buf_printf(out, "# HELP %.*s %s\n# TYPE %s\n", (int)nl, extra[k][0],
                       extra[k][1], extra[k][0]);
            p.pass = k + 1;
            each_query(all, prom_one, &p);
        }
    }
    buf_fini(&c.text);
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
    if (rc)
        return rc == 1 ? ERR_FAILED : rc;
    return found ? 0 : ERR_NOT_FOUND;
}

struct get_arg {
    char id[256];
    bool one;
    bool streams;
    bool drop;
};

/* DELETE /queries/{id}: DROP QUERY id, as `rill sql` would run it. */
static void drop_job(struct web_job *j, struct get_arg *a)
{
    struct buf b;
    buf_init(&b);
    struct collect c = {.failed = false};
    buf_init(&c.text);
    int rc = ERR_NOT_FOUND;
    if (plain_id(a->id)) {
        char sql[300];
        snprintf(sql, sizeof sql, "DROP QUERY %s;", a->id);
        rc = run(j, sql, &c);
    }
    if (rc == ERR_CLOSED)
        goto out;
    if (rc == 0) {
        buf_put_str(&b, "{\"dropped\":");
        web_json_cstr(&b, a->id);
        buf_put_str(&b, ",\"text\":");
        web_json_str(&b, (const char *)c.text.data, c.text.len);
        buf_put_str(&b, "}\n");
    } else {
        buf_put_str(&b, "{\"error\":");
        web_json_cstr(&b, rc == 1 || rc == ERR_NOT_FOUND
                              ? "no such query"
                              : "the SQL server does not answer");
        buf_put_str(&b, "}\n");
    }
    web_job_respond(j,
                    rc == 0                          ? 200
                    : rc == 1 || rc == ERR_NOT_FOUND ? 404
                                                     : 503,
                    "application/json", &b);
out:
    buf_fini(&c.text);
    buf_fini(&b);
}

static void get_job(struct web_job *j, void *arg)
{
    struct get_arg *a = arg;
    if (a->drop) {
        drop_job(j, a);
        mem_free(a);
        return;
    }
    struct buf b;
    buf_init(&b);
    int rc = a->streams ? web_streams_json(j, &b)
                        : web_queries_json(j, a->one ? a->id : NULL, &b);
    if (rc == 0) {
        buf_put_u8(&b, '\n');
        web_job_respond(j, 200, "application/json", &b);
    } else if (rc != ERR_CLOSED) {
        buf_reset(&b);
        buf_put_str(&b, "{\"error\":");
        web_json_cstr(&b, rc == ERR_NOT_FOUND && a->one
                              ? "no such query"
                              : "the SQL server does not answer");
        buf_put_str(&b, "}\n");
        web_job_respond(j, rc == ERR_NOT_FOUND && a->one ? 404 : 503,
                        "application/json", &b);
    }
    buf_fini(&b);
    mem_free(a);
}

void web_queries_get(struct web *w, struct http_conn *c, const char *id)
{
    struct get_arg *a = mem_calloc(1, sizeof *a);
    if (id) {
        snprintf(a->id, sizeof a->id, "%s", id);
        a->one = true;
    }
    if (web_job_start(w, c, get_job, a))
        mem_free(a);
}

void web_streams_get(struct web *w, struct http_conn *c)
{
    struct get_arg *a = mem_calloc(1, sizeof *a);
    a->streams = true;
    if (web_job_start(w, c, get_job, a))
        mem_free(a);
}

void web_queries_delete(struct web *w, struct http_conn *c, const char *id)
{
    struct get_arg *a = mem_calloc(1, sizeof *a);
    snprintf(a->id, sizeof a->id, "%s", id);
    a->one = true;
    a->drop = true;
    if (web_job_start(w, c, get_job, a))
        mem_free(a);
}
