/* web_sql.c - POST /sql and POST /query: SQL through the SQL server's
 * socket, one session per request (layer: web).
 *
 * Statements take the same path as `rill sql` (sql/sql_server.h: parsed
 * whole, run one by one under the server's statement lock, errors with
 * line and column); nothing here executes SQL. The text is parsed here too,
 * only to route: SELECT belongs to /query (it runs until its client
 * leaves), everything else to /sql.
 *   /sql   answers {"ok", "statements", "results": [{"text"}], "error":
 *          {"line", "column", "message"}} once the script ends.
 *   /query streams the SELECT's rows as NDJSON (one JSON object a line) or
 *          server-sent events ("data: {...}"), until LIMIT or the client
 *          leaves (the session then cancels the SELECT).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/mem.h"
#include "sql/sql_exec.h"
#include "sql/sql_parse.h"
#include "sql/sql_server.h"
#include "sql/sql_wire.h"
#include "web/web_int.h"

/* A /query that produced nothing this long begins its stream anyway, so a
 * browser sees the response start; then SSE comments keep it alive. */
#define FIRST_WAIT_MS 300
#define KEEPALIVE_MS 15000
#define BATCH_BYTES 65536

static int sql_connect(const char *dir)
{
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    if (sql_server_socket_path(dir, path, sizeof path))
        return ERR_NOT_FOUND;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    memcpy(a.sun_path, path, strlen(path) + 1);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        int e = errno;
        close(fd);
        return e == ENOENT || e == ECONNREFUSED ? ERR_NOT_FOUND : -e;
    }
    return fd;
}

int web_sql_exec(struct web_job *j, const char *text, size_t len,
                 const struct web_sql_sink *sink)
{
    int fd = sql_connect(web_job_web(j)->data_dir);
    if (fd < 0)
        return fd;
    web_job_set_fd(j, fd);
    int rc = sql_wire_send(fd, SQL_WIRE_QUERY, text, len, NULL, 0);
    struct buf frame;
    buf_init(&frame);
    while (rc == 0) {
        if (web_job_gone(j)) {
            rc = ERR_CLOSED;
            break;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 0) == 0) {
            if (sink->flush && sink->flush(sink->arg) < 0) {
                rc = ERR_CLOSED;
                break;
            }
            int n = poll(&p, 1, sink->idle ? sink->idle_ms : -1);
            if (n < 0 && errno == EINTR)
                continue;
            if (n == 0) {
                if (sink->idle(sink->arg) < 0)
                    rc = ERR_CLOSED;
                continue;
            }
        }
        int type;
        int r = sql_wire_recv(fd, &type, &frame);
        if (r) {
            rc = web_job_gone(j) ? ERR_CLOSED : r > 0 ? ERR_CORRUPT : r;
            break;
        }
        const char *d = (const char *)frame.data;
        if (type == SQL_WIRE_TEXT) {
            if (sink->text)
                sink->text(sink->arg, d, frame.len);
        } else if (type == SQL_WIRE_ROW) {
            if (sink->row && sink->row(sink->arg, d, frame.len) < 0)
                rc = ERR_CLOSED;
        } else if (type == SQL_WIRE_ERROR && frame.len >= 8) {
            if (sink->error)
                sink->error(sink->arg, (int)be32_load(d), (int)be32_load(d + 4),
                            d + 8, frame.len - 8);
        } else if (type == SQL_WIRE_DONE && frame.len == 1) {
            rc = frame.data[0] ? 1 : 0;
            break;
        } else {
            rc = ERR_CORRUPT;
        }
    }
    if (rc == 0 || rc == 1) {
        if (sink->flush && sink->flush(sink->arg) < 0)
            rc = ERR_CLOSED;
    }
    web_job_set_fd(j, -1);
    close(fd);
    buf_fini(&frame);
    return rc;
}

/* --- the request's SQL text ---------------------------------------------- */

struct sql_req {
    struct buf text;
    bool sse;
    int mode; /* /query ?mode=: 0 by the relation, 1 pull, 2 push */
};

/* The SQL of a body: raw text, or {"sql": "..."} (also "ksql", ksqlDB's
 * name) when the body is JSON. Returns 0 or answers c itself. */
static int take_text(struct http_conn *c, const struct http_request *req,
                     const char *body, size_t len, struct buf *out)
{
    const struct http_str *ct = http_request_header(req, "content-type");
    bool json = ct && ct->n >= 16 && !strncmp(ct->p, "application/json", 16);
    if (!json) {
        buf_put(out, body, len);
        buf_put_u8(out, '\0');
        out->len--;
        return 0;
    }
    int rc = web_json_field(body, len, "sql", out);
    if (rc == ERR_NOT_FOUND)
        rc = web_json_field(body, len, "ksql", out);
    if (rc == 0)
        return 0;
    web_error(c, 400,
              rc == ERR_NOT_FOUND
                  ? "the JSON body has no \"sql\" string field"
                  : "the body is not a JSON object with a \"sql\" string");
    return -1;
}

static void error_json(struct buf *b, int line, int column, const char *msg,
                       size_t n)
{
    buf_printf(b, "{\"line\":%d,\"column\":%d,\"message\":", line, column);
    web_json_str(b, msg, n);
    buf_put_u8(b, '}');
}

/* Parses text: 0 with *nstmts and *selects, or answers the job (400 with
 * the parse error's position) and returns -1. */
static int classify(struct web_job *j, const char *text, size_t len,
                    size_t *nstmts, size_t *selects, char *from, size_t nfrom)
{
    struct arena arena;
    arena_init(&arena, 16384);
    struct sql_script script;
    struct sql_error perr;
    int rc = 0;
    if (sql_parse_script(text, len, &arena, &script, &perr)) {
        struct buf b;
        buf_init(&b);
        buf_put_str(&b, "{\"ok\":false,\"statements\":0,\"results\":[],"
                        "\"error\":");
        /* The message without its "line L, column C: " prefix, as the
         * SQL server sends it. */
        struct sql_exec_error e;
        e.pos = perr.pos;
        snprintf(e.message, sizeof e.message, "%s", perr.message);
        const char *msg = sql_exec_error_detail(&e);
        error_json(&b, perr.pos.line, perr.pos.column, msg, strlen(msg));
        buf_put_str(&b, "}\n");
        web_job_respond(j, 400, "application/json", &b);
        buf_fini(&b);
        rc = -1;
    } else {
        *nstmts = script.nstmts;
        *selects = 0;
        if (from)
            from[0] = '\0';
        for (size_t i = 0; i < script.nstmts; i++)
            if (script.stmts[i]->kind == SQL_STMT_SELECT) {
                (*selects)++;
                /* a plain FROM name, read without EMIT CHANGES: maybe a
                 * pull query (a table) */
                const struct sql_select *q = script.stmts[i]->query;
                if (from && q && q->from && q->from->kind == SQL_FROM_TABLE &&
                    q->from->name && q->emit != SQL_EMIT_CHANGES)
                    snprintf(from, nfrom, "%s", q->from->name);
            }
    }
    arena_fini(&arena);
    return rc;
}

static void respond_error(struct web_job *j, int status, const char *msg)
{
    struct buf b;
    buf_init(&b);
    buf_put_str(&b, "{\"error\":");
    web_json_cstr(&b, msg);
    buf_put_str(&b, "}\n");
    web_job_respond(j, status, "application/json", &b);
    buf_fini(&b);
}

static const char *exec_failure(int rc)
{
    return rc == ERR_NOT_FOUND
               ? "the SQL server does not answer on <data>/rill.sock"
               : "lost the connection to the SQL server";
}

/* --- POST /sql ------------------------------------------------------------ */

struct script_out {
    struct buf results;
    struct buf error;
    size_t nresults;
};

static void script_text(void *arg, const char *s, size_t n)
{
    struct script_out *o = arg;
    buf_put_str(&o->results, o->nresults++ ? ",{\"text\":" : "{\"text\":");
    web_json_str(&o->results, s, n);
    buf_put_u8(&o->results, '}');
}

static void script_error(void *arg, int line, int column, const char *msg,
                         size_t n)
{
    struct script_out *o = arg;
    buf_reset(&o->error);
    error_json(&o->error, line, column, msg, n);
}

static void sql_job(struct web_job *j, void *arg)
{
    struct sql_req *r = arg;
    size_t n, selects;
    if (classify(j, (const char *)r->text.data, r->text.len, &n, &selects, NULL,
                 0))
        goto out;
    if (n == 0) {
        respond_error(j, 400, "no SQL statement in the body");
        goto out;
    }
    if (selects) {
        respond_error(j, 422,
                      "a SELECT is a push query that runs until its client "
                      "leaves: POST it to /query");
        goto out;
    }
    struct script_out o = {.nresults = 0};
    buf_init(&o.results);
    buf_init(&o.error);
    struct web_sql_sink sink = {
        .text = script_text, .error = script_error, .arg = &o};
    int rc = web_sql_exec(j, (const char *)r->text.data, r->text.len, &sink);
    if (rc < 0) {
        if (rc != ERR_CLOSED)
            respond_error(j, 503, exec_failure(rc));
    } else {
        struct buf b;
        buf_init(&b);
        buf_printf(&b, "{\"ok\":%s,\"statements\":%zu,\"results\":[",
                   rc == 0 ? "true" : "false", n);
        buf_put(&b, o.results.data, o.results.len);
        buf_put_u8(&b, ']');
        if (o.error.len) {
            buf_put_str(&b, ",\"error\":");
            buf_put(&b, o.error.data, o.error.len);
        }
        buf_put_str(&b, "}\n");
        web_job_respond(j, rc == 0 ? 200 : 400, "application/json", &b);
        buf_fini(&b);
    }
    buf_fini(&o.results);
    buf_fini(&o.error);
out:
    buf_fini(&r->text);
    mem_free(r);
}

static struct sql_req *new_req(struct http_conn *c,
                               const struct http_request *req, const char *body,
                               size_t len)
{
    struct sql_req *r = mem_calloc(1, sizeof *r);
    buf_init(&r->text);
    if (take_text(c, req, body, len, &r->text)) {
        buf_fini(&r->text);
        mem_free(r);
        return NULL;
    }
    return r;
}

void web_sql_post(struct web *w, struct http_conn *c,
                  const struct http_request *req, const char *body, size_t len)
{
    struct sql_req *r = new_req(c, req, body, len);
    if (r && web_job_start(w, c, sql_job, r)) {
        buf_fini(&r->text);
        mem_free(r);
    }
}

/* --- POST /query ---------------------------------------------------------- */

struct push {
    struct web_job *j;
    struct web_sql_sink sink;
    bool sse;
    bool begun;
    bool failed;
    struct buf pending; /* rows not yet handed to the loop */
};

static void push_begin(struct push *p)
{
    if (p->begun)
        return;
    p->begun = true;
    web_job_begin(p->j, 200,
                  p->sse ? "text/event-stream" : "application/x-ndjson");
    p->sink.idle_ms = KEEPALIVE_MS;
}

static int push_flush(void *arg)
{
    struct push *p = arg;
    if (!p->pending.len)
        return 0;
    push_begin(p);
    int rc = web_job_write(p->j, p->pending.data, p->pending.len);
    buf_reset(&p->pending);
    return rc;
}

static int push_row(void *arg, const char *s, size_t n)
{
    struct push *p = arg;
    if (p->sse)
        buf_put_str(&p->pending, "data: ");
    buf_put(&p->pending, s, n);
    buf_put_str(&p->pending, p->sse ? "\n\n" : "\n");
    return p->pending.len >= BATCH_BYTES ? push_flush(p) : 0;
}

static void push_error(void *arg, int line, int column, const char *msg,
                       size_t n)
{
    struct push *p = arg;
    p->failed = true;
    struct buf b;
    buf_init(&b);
    buf_put_str(&b, "{\"error\":");
    error_json(&b, line, column, msg, n);
    buf_put_str(&b, "}\n");
    if (!p->begun) {
        p->begun = true;
        web_job_respond(p->j, 400, "application/json", &b);
    } else {
        push_flush(p);
        if (p->sse)
            buf_put_str(&p->pending, "event: error\ndata: ");
        buf_put(&p->pending, b.data, b.len);
        if (p->sse)
            buf_put_u8(&p->pending, '\n');
        push_flush(p);
    }
    buf_fini(&b);
}

static int push_idle(void *arg)
{
    struct push *p = arg;
    if (!p->begun) {
        push_begin(p);
        return 0;
    }
    if (!p->sse)
        return 0;
    static const char ka[] = ": keep-alive\n\n";
    return web_job_write(p->j, ka, sizeof ka - 1);
}

/* Whether `name` is a table of the catalog (SHOW TABLES, first column). */
static void table_text(void *arg, const char *s, size_t n)
{
    buf_put(arg, s, n);
}

static bool is_table(struct web_job *j, const char *name)
{
    struct buf text;
    buf_init(&text);
    struct web_sql_sink sink = {.text = table_text, .arg = &text};
    static const char show[] = "SHOW TABLES;";
    int rc = web_sql_exec(j, show, sizeof show - 1, &sink);
    bool found = false;
    size_t nl = strlen(name);
    const char *line = (const char *)text.data;
    const char *end = line ? line + text.len : NULL;
    while (rc == 0 && line && line < end) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        size_t len = eol ? (size_t)(eol - line) : (size_t)(end - line);
        if (len > nl && !strncasecmp(line, name, nl) && line[nl] == ' ')
            found = true;
        line = eol ? eol + 1 : end;
    }
    buf_fini(&text);
    return found;
}

static void query_job(struct web_job *j, void *arg)
{
    struct sql_req *r = arg;
    size_t n, selects;
    char from[256];
    if (classify(j, (const char *)r->text.data, r->text.len, &n, &selects, from,
                 sizeof from))
        goto out;
    if (n != 1 || selects != 1) {
        respond_error(j, 422,
                      "POST /query takes exactly one SELECT; other "
                      "statements go to /sql");
        goto out;
    }
    /* A pull query: a SELECT on a table (or ?mode=pull) answers what the
     * topic holds now and ends ('scan.bounded.mode' = 'latest-offset'). */
    bool pull = r->mode == 1 || (r->mode == 0 && from[0] && is_table(j, from));
    if (pull) {
        static const char set[] =
            "SET 'scan.bounded.mode' = 'latest-offset';\n";
        struct buf t;
        buf_init(&t);
        buf_put(&t, set, sizeof set - 1);
        buf_put(&t, r->text.data, r->text.len);
        buf_fini(&r->text);
        r->text = t;
    }
    struct push p = {.j = j, .sse = r->sse};
    buf_init(&p.pending);
    p.sink = (struct web_sql_sink){.row = push_row,
                                   .error = push_error,
                                   .idle = push_idle,
                                   .idle_ms = FIRST_WAIT_MS,
                                   .flush = push_flush,
                                   .arg = &p};
    int rc = web_sql_exec(j, (const char *)r->text.data, r->text.len, &p.sink);
    if (rc < 0 && rc != ERR_CLOSED && !p.begun)
        respond_error(j, 503, exec_failure(rc));
    else if (!p.begun)
        push_begin(&p); /* ended with no row: an empty stream */
    buf_fini(&p.pending);
out:
    atomic_fetch_sub(&web_job_web(j)->pushes, 1);
    buf_fini(&r->text);
    mem_free(r);
}

void web_query_post(struct web *w, struct http_conn *c,
                    const struct http_request *req, const char *body,
                    size_t len)
{
    if (atomic_fetch_add(&w->pushes, 1) >= WEB_MAX_PUSHES) {
        atomic_fetch_sub(&w->pushes, 1);
        return web_error(c, 503, "too many push queries open (40)");
    }
    struct sql_req *r = new_req(c, req, body, len);
    if (!r) {
        atomic_fetch_sub(&w->pushes, 1);
        return;
    }
    struct http_str v;
    const struct http_str *acc = http_request_header(req, "accept");
    if (http_query_param(req->query, "mode", &v))
        r->mode = http_str_ieq(v, "pull") ? 1 : http_str_ieq(v, "push") ? 2 : 0;
    r->sse = (http_query_param(req->query, "format", &v) &&
              http_str_ieq(v, "sse")) ||
             (acc && acc->n >= 17 && !strncmp(acc->p, "text/event-stream", 17));
    if (web_job_start(w, c, query_job, r)) {
        atomic_fetch_sub(&w->pushes, 1);
        buf_fini(&r->text);
        mem_free(r);
    }
}
