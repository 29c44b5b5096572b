/* sql_server.c - the SQL socket of `rill serve`: one accept thread, one
 * thread per session, statements serialised by one mutex (layer: sql).
 *
 * Invariants:
 *   1. s->mu is held around every sql_exec_* call and every engine hook,
 *      so the catalog and the engine's query table see one statement at
 *      a time; except that a transient SELECT, once planned, releases it
 *      while it streams rows (select_detach) and takes it back before it
 *      returns (select_attach): a long SELECT does not block the other
 *      sessions. It uses nothing shared meanwhile: its tasks, plan and
 *      repartition topic are its own.
 *   2. A transient SELECT ends when its session's cancel flag turns true:
 *      its watcher sets it once the client hangs up or the server stops
 *      (no signal: two sessions' SELECTs never stop each other).
 */
#include "sql/sql_server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/hashmap.h"
#include "sql/catalog.h"
#include "sql/query_run.h"
#include "sql/sql_connect.h"
#include "sql/sql_exec.h"
#include "sql/sql_parse.h"
#include "sql/sql_wire.h"

/* Sessions open at once; one more is told so and closed. */
#define MAX_SESSIONS 64

struct sql_conn {
    struct sql_conn *next;
    struct sql_server *srv;
    int fd;
    pthread_t thread;
    atomic_bool done;
    atomic_bool in_select;
    atomic_bool cancel; /* ends the running SELECT (invariant 2) */
    struct sql_exec *exec;
};

struct sql_server {
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int lfd;
    int wake[2];
    pthread_t acceptor;
    bool accepting;
    atomic_bool stopping;
    pthread_mutex_t mu;       /* statements (invariant 1) */
    pthread_mutex_t conns_mu; /* the conns list */
    struct sql_conn *conns;
    /* Topics the catalog's streams, tables and their dead-letter topics use,
     * rebuilt after every statement; read by sql_server_topic_in_use from
     * the broker's thread, which must never wait for a statement. */
    pthread_mutex_t topics_mu;
    struct hashmap topics; /* name -> (void *)1 */
    struct catalog *catalog;
    struct logdir *ld;
    struct query_run *qr;
    struct sql_exec *exec0;      /* resume at start-up */
    struct sql_connect *connect; /* the catalog's connectors */
};

/* Rebuilds the protected-topic snapshot from the catalog. Called with
 * s->mu held (or before any session runs). */
static void topics_refresh(struct sql_server *s)
{
    struct hashmap fresh;
    hashmap_init(&fresh);
    size_t n = catalog_relation_count(s->catalog);
    for (size_t i = 0; i < n; i++) {
        const struct catalog_relation *r = catalog_relation_at(s->catalog, i);
        if (r->topic)
            hashmap_put(&fresh, r->topic, strlen(r->topic), (void *)1);
        char dlq[512];
        int w = snprintf(dlq, sizeof dlq, "%s.dlq", r->name);
        if (w > 0 && (size_t)w < sizeof dlq)
            hashmap_put(&fresh, dlq, (size_t)w, (void *)1);
    }
    pthread_mutex_lock(&s->topics_mu);
    struct hashmap old = s->topics;
    s->topics = fresh;
    pthread_mutex_unlock(&s->topics_mu);
    hashmap_fini(&old);
}

bool sql_server_topic_in_use(void *server, const char *topic)
{
    struct sql_server *s = server;
    pthread_mutex_lock(&s->topics_mu);
    bool used = hashmap_get_str(&s->topics, topic) != NULL;
    pthread_mutex_unlock(&s->topics_mu);
    /* Also what running queries use: repartition topics, raw EMIT LATE
     * INTO topics, a SELECT's input. */
    return used || query_run_topic_in_use(s->qr, topic);
}

int sql_server_socket_path(const char *dir, char *out, size_t n)
{
    size_t max = sizeof(((struct sockaddr_un *)0)->sun_path);
    if (n > max)
        n = max;
    int w = snprintf(out, n, "%s/%s", dir, SQL_SOCKET_NAME);
    return w < 0 || (size_t)w >= n ? ERR_INVALID : 0;
}

/* ---- a session ---- */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int emit_row(void *arg, const char *line, size_t len)
{
    struct sql_conn *c = arg;
    while (len && line[len - 1] == '\n')
        len--;
    return sql_wire_send(c->fd, SQL_WIRE_ROW, line, len, NULL, 0);
}

static void *watch_thread(void *arg)
{
    struct sql_conn *c = arg;
    bool gone = false;
    while (atomic_load(&c->in_select)) {
        if (!gone) {
            struct pollfd p = {.fd = c->fd, .events = POLLRDHUP};
            int n = poll(&p, 1, 50);
            if (atomic_load(&c->srv->stopping) ||
                (n > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))))
                gone = true;
            continue;
        }
        atomic_store(&c->cancel, true);
        sleep_ms(50);
    }
    return NULL;
}

static int send_error(struct sql_conn *c, const struct sql_pos *pos,
                      const char *msg)
{
    uint8_t lc[8];
    be32_store(lc, (uint32_t)(pos ? pos->line : 0));
    be32_store(lc + 4, (uint32_t)(pos ? pos->column : 0));
    return sql_wire_send(c->fd, SQL_WIRE_ERROR, lc, sizeof lc, msg,
                         strlen(msg));
}

/* Invariant 1: a planned SELECT lets the other sessions run. */
static void select_detach(void *arg)
{
    struct sql_conn *c = arg;
    pthread_mutex_unlock(&c->srv->mu);
}

static void select_attach(void *arg)
{
    struct sql_conn *c = arg;
    pthread_mutex_lock(&c->srv->mu);
}

/* Runs one statement under s->mu; a SELECT with its watcher. */
static int run_stmt(struct sql_conn *c, const struct sql_stmt *st,
                    struct buf *out, struct sql_exec_error *err)
{
    if (st->kind != SQL_STMT_SELECT)
        return sql_exec_stmt(c->exec, st, out, err);
    pthread_t w;
    atomic_store(&c->cancel, false);
    atomic_store(&c->in_select, true);
    bool watching = pthread_create(&w, NULL, watch_thread, c) == 0;
    int rc = sql_exec_stmt(c->exec, st, out, err);
    atomic_store(&c->in_select, false);
    if (watching)
        pthread_join(w, NULL);
    return rc;
}

/* Parses text whole, runs it statement by statement; answers 'T'/'R'/'E'
 * frames and the closing 'Z'. Returns a negative error when the
 * connection broke. */
static int run_request(struct sql_conn *c, const char *text, size_t len)
{
    struct sql_server *s = c->srv;
    struct arena arena;
    arena_init(&arena, 16384);
    struct sql_script script;
    struct sql_error perr;
    uint8_t status = 0;
    int io = 0;
    if (sql_parse_script(text, len, &arena, &script, &perr)) {
        struct sql_exec_error e;
        e.pos = perr.pos;
        snprintf(e.message, sizeof e.message, "%s", perr.message);
        io = send_error(c, &e.pos, sql_exec_error_detail(&e));
        status = 1;
        goto done;
    }
    struct buf out;
    buf_init(&out);
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < script.nstmts && !io; i++) {
        struct sql_exec_error err;
        memset(&err, 0, sizeof err);
        buf_reset(&out);
        int rc = run_stmt(c, script.stmts[i], &out, &err);
        if (out.len)
            io =
                sql_wire_send(c->fd, SQL_WIRE_TEXT, out.data, out.len, NULL, 0);
        if (rc) {
            if (!io)
                io = send_error(c, &err.pos, sql_exec_error_detail(&err));
            status = 1;
            break;
        }
    }
    topics_refresh(s);
    sql_connect_sync(s->connect, s->catalog);
    pthread_mutex_unlock(&s->mu);
    buf_fini(&out);
done:
    if (!io)
        io = sql_wire_send(c->fd, SQL_WIRE_DONE, &status, 1, NULL, 0);
    arena_fini(&arena);
    return io;
}

static void *conn_thread(void *arg)
{
    struct sql_conn *c = arg;
    struct buf req;
    buf_init(&req);
    for (;;) {
        int type;
        if (sql_wire_recv(c->fd, &type, &req))
            break;
        if (atomic_load(&c->srv->stopping))
            break;
        if (type != SQL_WIRE_QUERY) {
            uint8_t st = 1;
            if (send_error(c, NULL, "unexpected frame type") ||
                sql_wire_send(c->fd, SQL_WIRE_DONE, &st, 1, NULL, 0))
                break;
            continue;
        }
        if (run_request(c, (const char *)req.data, req.len))
            break;
    }
    buf_fini(&req);
    atomic_store(&c->done, true);
    return NULL;
}

static void conn_free(struct sql_conn *c)
{
    pthread_join(c->thread, NULL);
    close(c->fd);
    sql_exec_destroy(c->exec);
    mem_free(c);
}

/* Joins the sessions that ended (conns_mu held). */
static void reap(struct sql_server *s)
{
    struct sql_conn **pp = &s->conns;
    while (*pp) {
        struct sql_conn *c = *pp;
        if (atomic_load(&c->done)) {
            *pp = c->next;
            conn_free(c);
        } else {
            pp = &c->next;
        }
    }
}

static void *accept_thread(void *arg)
{
    struct sql_server *s = arg;
    while (!atomic_load(&s->stopping)) {
        struct pollfd p[2] = {{.fd = s->lfd, .events = POLLIN},
                              {.fd = s->wake[0], .events = POLLIN}};
        int n = poll(p, 2, 1000);
        pthread_mutex_lock(&s->conns_mu);
        reap(s);
        pthread_mutex_unlock(&s->conns_mu);
        if (n <= 0 || !(p[0].revents & POLLIN))
            continue;
        int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        int open = 0;
        pthread_mutex_lock(&s->conns_mu);
        for (struct sql_conn *c = s->conns; c; c = c->next)
            open++;
        pthread_mutex_unlock(&s->conns_mu);
        if (open >= MAX_SESSIONS) {
            static const char msg[] = "too many SQL sessions";
            uint8_t lc[8] = {0}, st = 1;
            sql_wire_send(fd, SQL_WIRE_ERROR, lc, sizeof lc, msg,
                          sizeof msg - 1);
            sql_wire_send(fd, SQL_WIRE_DONE, &st, 1, NULL, 0);
            close(fd);
            continue;
        }
        struct sql_conn *c = mem_calloc(1, sizeof *c);
        c->srv = s;
        c->fd = fd;
        struct sql_exec_options o = {
            .catalog = s->catalog,
            .logdir = s->ld,
            .engine = &query_run_engine,
            .engine_ctx = s->qr,
            .emit = emit_row,
            .emit_arg = c,
            .select_cancel = &c->cancel,
            .select_detach = select_detach,
            .select_attach = select_attach,
            .select_arg = c,
        };
        if (sql_exec_create(&o, &c->exec) ||
            pthread_create(&c->thread, NULL, conn_thread, c)) {
            diag_error("sql server: cannot start a session");
            sql_exec_destroy(c->exec);
            close(fd);
            mem_free(c);
            continue;
        }
        pthread_mutex_lock(&s->conns_mu);
        c->next = s->conns;
        s->conns = c;
        pthread_mutex_unlock(&s->conns_mu);
    }
    return NULL;
}

/* ---- start / stop ---- */

static int bind_socket(struct sql_server *s, char *err, size_t errlen)
{
    s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->lfd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -errno;
    }
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    memcpy(a.sun_path, s->path, strlen(s->path) + 1);
    /* The data directory is locked by the broker: a socket file left
     * here is from a process that died. */
    unlink(s->path);
    mode_t old = umask(077);
    int rc = bind(s->lfd, (struct sockaddr *)&a, sizeof a);
    umask(old);
    if (rc == 0)
        chmod(s->path, 0600);
    if (rc || listen(s->lfd, 16)) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", s->path, strerror(errno));
        return rc;
    }
    return 0;
}

int sql_server_start(const char *dir, struct logdir *ld,
                     const struct query_run_options *qo_in,
                     struct sql_server **out, char *err, size_t errlen)
{
    struct sql_server *s = mem_calloc(1, sizeof *s);
    s->lfd = -1;
    s->wake[0] = s->wake[1] = -1;
    s->ld = ld;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->conns_mu, NULL);
    pthread_mutex_init(&s->topics_mu, NULL);
    hashmap_init(&s->topics);
    /* A path too long for a Unix socket: queries still run, statements
     * cannot reach them (a warning says so). */
    bool no_socket = sql_server_socket_path(dir, s->path, sizeof s->path) != 0;
    char msg[512] = "";
    int rc;
    rc = catalog_open(dir, &s->catalog, msg, sizeof msg);
    if (rc) {
        snprintf(err, errlen, "cannot read the catalog: %s",
                 msg[0] ? msg : err_str(rc));
        goto fail;
    }
    query_run_create(qo_in, &s->qr);
    struct sql_exec_options o = {
        .catalog = s->catalog,
        .logdir = ld,
        .engine = &query_run_engine,
        .engine_ctx = s->qr,
    };
    rc = sql_exec_create(&o, &s->exec0);
    if (rc) {
        snprintf(err, errlen, "%s", err_str(rc));
        goto fail;
    }
    struct buf b;
    buf_init(&b);
    int n = sql_exec_resume(s->exec0, &b);
    topics_refresh(s);
    sql_connect_create(ld, &s->connect);
    sql_connect_sync(s->connect, s->catalog);
    buf_put_u8(&b, '\0');
    for (char *line = (char *)b.data, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl)
            nl = line + strlen(line) - 1;
        else
            *nl = '\0';
        diag_info("sql server: %s", line);
    }
    buf_fini(&b);
    if (n > 0)
        diag_info("sql server: %d persistent quer%s resumed", n,
                  n == 1 ? "y" : "ies");
    if (no_socket) {
        diag_warn("sql server: %s/%s is too long for a Unix socket path: "
                  "no SQL statements from rill run / rill sql",
                  dir, SQL_SOCKET_NAME);
        *out = s;
        return 0;
    }
    if (pipe2(s->wake, O_CLOEXEC)) {
        rc = -errno;
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        goto fail;
    }
    rc = bind_socket(s, err, errlen);
    if (rc)
        goto fail;
    if (pthread_create(&s->acceptor, NULL, accept_thread, s)) {
        rc = ERR_FAILED;
        snprintf(err, errlen, "cannot start the accept thread");
        goto fail;
    }
    s->accepting = true;
    diag_info("sql server: statements on %s", s->path);
    *out = s;
    return 0;
fail:
    sql_server_stop(s);
    return rc ? rc : ERR_FAILED;
}

void sql_server_stop(struct sql_server *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, true);
    if (s->accepting) {
        char x = 'x';
        ssize_t w = write(s->wake[1], &x, 1);
        (void)w;
        pthread_join(s->acceptor, NULL);
    }
    if (s->lfd >= 0) {
        close(s->lfd);
        unlink(s->path);
    }
    /* Sessions: a blocked read returns, a SELECT is interrupted. */
    pthread_mutex_lock(&s->conns_mu);
    for (struct sql_conn *c = s->conns; c; c = c->next)
        shutdown(c->fd, SHUT_RDWR);
    while (s->conns) {
        struct sql_conn *c = s->conns;
        s->conns = c->next;
        conn_free(c);
    }
    pthread_mutex_unlock(&s->conns_mu);
    for (int i = 0; i < 2; i++)
        if (s->wake[i] >= 0)
            close(s->wake[i]);
    sql_exec_destroy(s->exec0);
    sql_connect_destroy(s->connect); /* sinks read what queries wrote */
    query_run_destroy(s->qr); /* stops the queries before the log closes */
    catalog_close(s->catalog);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->conns_mu);
    hashmap_fini(&s->topics);
    pthread_mutex_destroy(&s->topics_mu);
    mem_free(s);
}
