/* test_sql_server.c - the SQL socket: sql_server.h and sql_client.h over a
 * real Unix socket in a temporary data directory (no broker).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "../../harness.h"
#include "log/logdir.h"
#include "sql/sql_client.h"
#include "sql/sql_server.h"

struct env {
    char dir[64];
    char sock[96];
    struct logdir *ld;
    struct sql_server *srv;
};

struct got {
    struct buf text;
    int nerr;
    struct sql_pos pos;
    char msg[512];
};

static void on_text(void *arg, const char *s, size_t len, int is_row)
{
    struct got *g = arg;
    buf_put(&g->text, s, len);
    if (is_row)
        buf_put_u8(&g->text, '\n');
}

static void on_error(void *arg, const struct sql_pos *pos, const char *msg)
{
    struct got *g = arg;
    g->nerr++;
    g->pos = *pos;
    snprintf(g->msg, sizeof g->msg, "%s", msg);
}

static void env_open(struct env *e)
{
    memset(e, 0, sizeof *e);
    snprintf(e->dir, sizeof e->dir, "/tmp/rill-sqlsrv-XXXXXX");
    if (!mkdtemp(e->dir)) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(e->sock, sizeof e->sock, "%s/rill.sock", e->dir);
    struct logdir_options lo;
    logdir_options_init(&lo);
    lo.no_flusher = true;
    if (logdir_open(e->dir, &lo, &e->ld)) {
        fprintf(stderr, "cannot open %s\n", e->dir);
        exit(1);
    }
}

static int env_start(struct env *e)
{
    char err[256];
    int rc = sql_server_start(e->dir, e->ld, NULL, &e->srv, err, sizeof err);
    if (rc)
        fprintf(stderr, "sql_server_start: %s\n", err);
    return rc;
}

static void env_close(struct env *e)
{
    sql_server_stop(e->srv);
    logdir_close(e->ld);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "rm failed\n");
}

/* Runs text on a new connection; returns sql_client_exec's result. */
static int run(struct env *e, const char *text, struct got *g)
{
    struct sql_client *c;
    memset(g, 0, sizeof *g);
    buf_init(&g->text);
    int rc = sql_client_connect(e->dir, &c);
    if (rc)
        return rc;
    struct sql_client_sink sink = {on_text, on_error, g};
    rc = sql_client_exec(c, text, strlen(text), &sink);
    buf_put_u8(&g->text, '\0');
    sql_client_close(c);
    return rc;
}

TEST(no_server_is_not_found)
{
    struct env e;
    env_open(&e);
    struct sql_client *c = NULL;
    CHECK_EQ_INT(sql_client_connect(e.dir, &c), ERR_NOT_FOUND);
    /* A stale socket (no one listening) is "no server" too. */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", e.sock);
    CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    close(fd);
    CHECK(access(e.sock, F_OK) == 0);
    CHECK_EQ_INT(sql_client_connect(e.dir, &c), ERR_NOT_FOUND);
    /* The server replaces it. */
    CHECK_EQ_INT(env_start(&e), 0);
    CHECK_EQ_INT(sql_client_connect(e.dir, &c), 0);
    sql_client_close(c);
    env_close(&e);
}

TEST(statements_and_results)
{
    struct env e;
    env_open(&e);
    CHECK_EQ_INT(env_start(&e), 0);
    struct stat sb;
    CHECK(stat(e.sock, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
          (sb.st_mode & 0777) == 0600);
    struct got g;
    CHECK_EQ_INT(run(&e,
                     "CREATE STREAM r (v DOUBLE) WITH (topic = 'r', format = "
                     "'json');\nSHOW STREAMS;",
                     &g),
                 0);
    CHECK_EQ_INT(g.nerr, 0);
    CHECK(strstr((char *)g.text.data, "created stream r") != NULL);
    CHECK(strstr((char *)g.text.data, "(1 stream)") != NULL ||
          strstr((char *)g.text.data, "\nr ") != NULL);
    buf_fini(&g.text);
    /* A second connection sees the catalog change. */
    CHECK_EQ_INT(run(&e, "DESCRIBE r;", &g), 0);
    CHECK(strstr((char *)g.text.data, "DOUBLE") != NULL);
    buf_fini(&g.text);
    env_close(&e);
}

TEST(errors_have_positions)
{
    struct env e;
    env_open(&e);
    CHECK_EQ_INT(env_start(&e), 0);
    struct got g;
    CHECK_EQ_INT(run(&e,
                     "CREATE STREAM r (v DOUBLE) WITH (topic = 'r', format = "
                     "'json');",
                     &g),
                 0);
    buf_fini(&g.text);
    /* Checked against the catalog: the second statement fails. */
    CHECK_EQ_INT(run(&e, "SHOW STREAMS;\nSELECT nope FROM r;", &g), 1);
    CHECK_EQ_INT(g.nerr, 1);
    CHECK_EQ_INT(g.pos.line, 2);
    CHECK_EQ_INT(g.pos.column, 8);
    CHECK(strstr(g.msg, "nope") != NULL);
    CHECK(strstr((char *)g.text.data, "r") != NULL); /* the first ran */
    buf_fini(&g.text);
    /* A syntax error anywhere runs nothing. */
    CHECK_EQ_INT(run(&e, "DROP STREAM r;\nSELEC 1;", &g), 1);
    CHECK_EQ_INT(g.nerr, 1);
    CHECK_EQ_INT(g.pos.line, 2);
    CHECK_EQ_INT((int)g.text.len, 1); /* just the NUL */
    buf_fini(&g.text);
    CHECK_EQ_INT(run(&e, "DESCRIBE r;", &g), 0);
    buf_fini(&g.text);
    env_close(&e);
}

TEST(stop_removes_socket)
{
    struct env e;
    env_open(&e);
    CHECK_EQ_INT(env_start(&e), 0);
    struct sql_client *idle;
    CHECK_EQ_INT(sql_client_connect(e.dir, &idle), 0); /* stays open */
    sql_server_stop(e.srv);
    e.srv = NULL;
    CHECK(access(e.sock, F_OK) != 0);
    struct got g;
    memset(&g, 0, sizeof g);
    struct sql_client_sink sink = {on_text, on_error, &g};
    CHECK(sql_client_exec(idle, "SHOW STREAMS;", 13, &sink) < 0);
    sql_client_close(idle);
    buf_fini(&g.text);
    env_close(&e);
}

TEST(session_limit)
{
    struct env e;
    env_open(&e);
    CHECK_EQ_INT(env_start(&e), 0);
    struct sql_client *c[64];
    struct got g;
    for (int i = 0; i < 64; i++) {
        CHECK_EQ_INT(sql_client_connect(e.dir, &c[i]), 0);
        /* A round trip: the session thread is running. */
        memset(&g, 0, sizeof g);
        struct sql_client_sink sink = {on_text, on_error, &g};
        CHECK_EQ_INT(sql_client_exec(c[i], "SHOW STREAMS;", 13, &sink), 0);
        buf_fini(&g.text);
    }
    CHECK_EQ_INT(run(&e, "SHOW STREAMS;", &g), 1);
    if (!strstr(g.msg, "too many"))
        fprintf(stderr, "  session_limit: got \"%s\"\n", g.msg);
    CHECK(strstr(g.msg, "too many") != NULL);
    buf_fini(&g.text);
    for (int i = 0; i < 64; i++)
        sql_client_close(c[i]);
    env_close(&e);
}

int main(void)
{
    RUN(no_server_is_not_found);
    RUN(statements_and_results);
    RUN(errors_have_positions);
    RUN(stop_removes_socket);
    RUN(session_limit);
    return harness_summary("test_sql_server");
}
