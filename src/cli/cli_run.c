/* cli_run.c - `rill run FILE.sql`, and the SQL session it shares with
 * `rill sql` (layer: cli).
 *
 * A session first tries the SQL socket of a `rill serve` running on the
 * data directory (<data>/rill.sock, sql/sql_client.h): when one answers,
 * every statement runs inside the server (its persistent queries too, so
 * `rill run` returns after the script). Otherwise the session is embedded:
 * it opens the data directory for writing (its lock keeps a second
 * writer, e.g. `rill serve`, out), the catalog in it, and an executor whose
 * engine is the query runner (sql/query_run.h). `rill run` restarts
 * the catalog's RUNNING queries before its script; `rill sql` only at its
 * first statement that is not read-only (SELECT, SHOW, DESCRIBE, EXPLAIN,
 * SET change nothing, so a session of those starts nothing). A script is parsed
 * whole first (a syntax error anywhere runs nothing), then executed statement
 * by statement, stopping at the first error, printed as FILE:line:column:
 * message.
 */
#include "cli/cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/os.h"
#include "connect/connector.h"
#include "connect/kafka_log.h"
#include "log/logdir.h"
#include "sql/catalog.h"
#include "sql/sql_connect.h"
#include "sql/sql_client.h"
#include "sql/query_run.h"
#include "sql/sql_exec.h"
#include "sql/sql_parse.h"

#define SCRIPT_MAX (16u << 20)

/* rill run --until-idle: queries stop once their input is drained. */
static bool run_until_idle;
/* rill run --bootstrap: the streams are topics of that Kafka cluster, the
 * data directory holds only the catalog and the queries' progress;
 * -X key=value librdkafka properties (NULL-terminated). */
static const char *run_bootstrap;
static const char *run_app_id; /* --application-id (default: DIR's name) */
static const char *run_props[33];

struct cli_sql_session {
    struct sql_client *client; /* set: statements go to rill serve */
    const char *prog;
    const char *dir;
    /* Remote: SETs that ran (sent again after a reconnect), and the
     * interruption state shared with the SIGINT handler. */
    struct buf sets;
    volatile sig_atomic_t busy, interrupted;
    /* Local: SIGTERM seen (the engine's wait ends too) */
    volatile sig_atomic_t terminated;
    /* Local: the handlers this session replaced */
    struct sigaction old_int, old_term;
    bool handlers;
    struct logdir *logdir;
    struct kafka_log *klog; /* --bootstrap: the cluster, instead of logdir */
    struct stream_log klog_ops;
    struct catalog *catalog;
    struct sql_exec *exec;
    const struct sql_engine_ops *engine; /* the one place it is chosen */
    void *engine_ctx;
    bool resume_pending; /* the catalog's RUNNING queries not started yet */
    /* The catalog's connectors (WITH ('connector' = ...)), run here as
     * in rill serve once the session hosts the queries. */
    struct sql_connect *connect;
};

/* The local session whose engine the signals go to: SIGINT ends the
 * running SELECT (or `rill run`'s wait), SIGTERM also the wait that
 * follows. The engine installs no handler; these flags are its. */
static struct cli_sql_session *signal_session;

static void on_signal(int sig)
{
    struct cli_sql_session *s = signal_session;
    if (!s)
        return;
    if (sig == SIGTERM)
        s->terminated = 1;
    s->interrupted = 1;
}

static void signals_install(struct cli_sql_session *s)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    signal_session = s;
    sigaction(SIGINT, &sa, &s->old_int);
    sigaction(SIGTERM, &sa, &s->old_term);
    s->handlers = true;
}

static void signals_restore(struct cli_sql_session *s)
{
    if (!s->handlers)
        return;
    sigaction(SIGINT, &s->old_int, NULL);
    sigaction(SIGTERM, &s->old_term, NULL);
    signal_session = NULL;
    s->handlers = false;
}

static int emit_row(void *arg, const char *line, size_t len)
{
    (void)arg;
    fwrite(line, 1, len, stdout);
    if (!len || line[len - 1] != '\n')
        fputc('\n', stdout);
    fflush(stdout);
    return 0;
}

int cli_sql_session_open(const char *dir, const char *prog,
                         struct cli_sql_session **out)
{
    struct cli_sql_session *s = mem_calloc(1, sizeof(*s));
    s->prog = prog;
    s->dir = dir;
    buf_init(&s->sets);
    int rc;
    if (run_bootstrap) {
        char msg[512] = "";
        rc = os_mkdir_p(dir);
        if (rc) {
            fprintf(stderr, "%s: cannot create %s: %s\n", prog, dir,
                    err_str(rc));
            goto fail;
        }
        const char *base = strrchr(dir, '/');
        base = base && base[1] ? base + 1 : dir;
        struct kafka_log_options ko = {.bootstrap = run_bootstrap,
                                       .state_dir = dir,
                                       .application_id =
                                           run_app_id ? run_app_id : base,
                                       .props = run_props};
        rc = kafka_log_open(&ko, &s->klog, msg, sizeof msg);
        if (rc) {
            fprintf(stderr, "%s: %s\n", prog, msg[0] ? msg : err_str(rc));
            goto fail;
        }
        kafka_log_stream_log(s->klog, &s->klog_ops);
        goto catalog;
    }
    rc = sql_client_connect(dir, &s->client);
    if (rc == 0) {
        *out = s;
        return 0;
    }
    if (rc != ERR_NOT_FOUND) {
        fprintf(stderr, "%s: cannot reach rill serve on %s/rill.sock: %s\n",
                prog, dir, err_str(rc));
        goto fail;
    }
    s->client = NULL;
    rc = logdir_open(dir, NULL, &s->logdir);
    if (rc == -EBUSY) {
        fprintf(stderr,
                "%s: %s is in use by another rill process (rill serve?)\n",
                prog, dir);
        goto fail;
    }
    if (rc) {
        fprintf(stderr, "%s: cannot open %s: %s\n", prog, dir, err_str(rc));
        goto fail;
    }
catalog:;
    char msg[512];
    rc = catalog_open(dir, &s->catalog, msg, sizeof msg);
    if (rc) {
        fprintf(stderr, "%s: cannot read the catalog: %s\n", prog,
                msg[0] ? msg : err_str(rc));
        goto fail;
    }
    /* The virtual clock of golden tests (docs/testing.md). */
    const char *vc = getenv("RILL_VIRTUAL_CLOCK");
    struct query_run_options qo = {.until_idle = run_until_idle,
                                   .virtual_clock = vc && !strcmp(vc, "1"),
                                   .interrupted = &s->interrupted,
                                   .terminated = &s->terminated};
    signals_install(s);
    struct query_run *qr;
    query_run_create(&qo, &qr);
    s->engine = &query_run_engine;
    s->engine_ctx = qr;
    struct sql_exec_options o = {
        .catalog = s->catalog,
        .logdir = s->logdir,
        .log = s->klog ? &s->klog_ops : NULL,
        .engine = s->engine,
        .engine_ctx = s->engine_ctx,
        .emit = emit_row,
    };
    rc = sql_exec_create(&o, &s->exec);
    if (rc) {
        fprintf(stderr, "%s: %s\n", prog, err_str(rc));
        goto fail;
    }
    if (s->klog)
        sql_connect_create_log(&s->klog_ops, &s->connect);
    else
        sql_connect_create(s->logdir, &s->connect);
    s->resume_pending = true;
    *out = s;
    return 0;
fail:
    cli_sql_session_close(s);
    return 1;
}

void cli_sql_session_close(struct cli_sql_session *s)
{
    if (!s)
        return;
    signals_restore(s);
    sql_client_close(s->client);
    buf_fini(&s->sets);
    sql_connect_destroy(s->connect); /* before the log closes */
    sql_exec_destroy(s->exec);
    if (s->engine == &query_run_engine)
        query_run_destroy(s->engine_ctx); /* stops queries before the log */
    catalog_close(s->catalog);
    logdir_close(s->logdir);
    kafka_log_close(s->klog);
    mem_free(s);
}

/* Restarts the catalog's RUNNING queries in this process, once. */
static void session_resume(struct cli_sql_session *s)
{
    if (!s->resume_pending)
        return;
    s->resume_pending = false;
    struct buf b;
    buf_init(&b);
    sql_exec_resume(s->exec, &b);
    if (b.len)
        fprintf(stderr, "%.*s", (int)b.len, (const char *)b.data);
    buf_fini(&b);
    sql_connect_sync(s->connect, s->catalog);
}

/* Statements that change nothing: they never start the catalog's
 * queries (a transient SELECT reads the log and prints). */
static bool read_only(const struct sql_stmt *st)
{
    switch (st->kind) {
    case SQL_STMT_SELECT:
    case SQL_STMT_SHOW:
    case SQL_STMT_DESCRIBE:
    case SQL_STMT_EXPLAIN:
    case SQL_STMT_SET:
        return true;
    default:
        return false;
    }
}

static void print_error(const char *where, const struct sql_pos *pos,
                        const char *detail)
{
    if (pos->line > 0)
        fprintf(stderr, "%s:%d:%d: %s\n", where, pos->line, pos->column,
                detail);
    else
        fprintf(stderr, "%s: %s\n", where, detail);
}

struct remote_ctx {
    const char *where;
};

static void remote_text(void *arg, const char *p, size_t len, int is_row)
{
    (void)arg;
    fwrite(p, 1, len, stdout);
    if (is_row || !len || p[len - 1] != '\n')
        fputc('\n', stdout);
    fflush(stdout);
}

static void remote_error(void *arg, const struct sql_pos *pos, const char *msg)
{
    struct remote_ctx *r = arg;
    print_error(r->where, pos, msg);
}

static void quiet_text(void *arg, const char *p, size_t len, int is_row)
{
    (void)arg, (void)p, (void)len, (void)is_row;
}

/* The SET statements of text (which ran), kept to be sent again. */
static void remember_sets(struct cli_sql_session *s, const char *text,
                          size_t len)
{
    struct arena arena;
    arena_init(&arena, 16384);
    struct sql_script script;
    struct sql_error perr;
    if (!sql_parse_script(text, len, &arena, &script, &perr))
        for (size_t i = 0; i < script.nstmts; i++) {
            const struct sql_stmt *st = script.stmts[i];
            if (st->kind != SQL_STMT_SET)
                continue;
            buf_put(&s->sets, st->text, st->text_len);
            buf_put_str(&s->sets, ";\n");
        }
    arena_fini(&arena);
}

/* After Ctrl-C hung up on the server: a new session with the old SETs. */
static int reconnect(struct cli_sql_session *s, const char *where)
{
    sql_client_close(s->client);
    s->client = NULL;
    int rc = sql_client_connect(s->dir, &s->client);
    if (rc) {
        fprintf(stderr, "%s: cannot reach rill serve again: %s\n", s->prog,
                err_str(rc));
        return 1;
    }
    if (!s->sets.len)
        return 0;
    struct remote_ctx r = {where};
    struct sql_client_sink sink = {quiet_text, remote_error, &r};
    return sql_client_exec(s->client, (const char *)s->sets.data, s->sets.len,
                           &sink)
               ? 1
               : 0;
}

void cli_sql_session_interrupt(struct cli_sql_session *s)
{
    if (!s)
        return;
    s->interrupted = 1; /* local: the engine's running SELECT ends */
    if (!s->client)
        return;
    if (s->busy)
        sql_client_interrupt(s->client);
}

static int remote_exec(struct cli_sql_session *s, const char *where,
                       const char *text, size_t len)
{
    struct remote_ctx r = {where};
    struct sql_client_sink sink = {remote_text, remote_error, &r};
    s->interrupted = 0;
    s->busy = 1;
    int rc = sql_client_exec(s->client, text, len, &sink);
    s->busy = 0;
    if (rc < 0 && s->interrupted)
        return reconnect(s, where); /* the statement ended on Ctrl-C */
    if (rc == 0)
        remember_sets(s, text, len);
    if (rc < 0) {
        fprintf(stderr, "%s: lost the connection to rill serve: %s\n", s->prog,
                err_str(rc));
        return 1;
    }
    return rc;
}

bool cli_sql_session_remote(const struct cli_sql_session *s)
{
    return s->client != NULL;
}

int cli_sql_session_exec(struct cli_sql_session *s, const char *where,
                         const char *text, size_t len)
{
    if (s->client)
        return remote_exec(s, where, text, len);
    struct arena arena;
    arena_init(&arena, 16384);
    struct sql_script script;
    struct sql_error perr;
    int status = 0;
    if (sql_parse_script(text, len, &arena, &script, &perr)) {
        struct sql_exec_error e;
        e.pos = perr.pos;
        snprintf(e.message, sizeof e.message, "%s", perr.message);
        print_error(where, &e.pos, sql_exec_error_detail(&e));
        status = 1;
        goto out;
    }
    struct buf b;
    buf_init(&b);
    for (size_t i = 0; i < script.nstmts; i++) {
        struct sql_exec_error err;
        buf_reset(&b);
        /* `rill sql` hosts the catalog's queries from its first statement
         * that changes something; a read-only session starts none. */
        if (!read_only(script.stmts[i]))
            session_resume(s);
        int rc = sql_exec_stmt(s->exec, script.stmts[i], &b, &err);
        if (!s->resume_pending)
            sql_connect_sync(s->connect, s->catalog);
        if (b.len) {
            fwrite(b.data, 1, b.len, stdout);
            fflush(stdout);
        }
        if (rc) {
            print_error(where, &err.pos, sql_exec_error_detail(&err));
            status = 1;
            break;
        }
    }
    buf_fini(&b);
out:
    arena_fini(&arena);
    return status;
}

/* After the script, embedded: the queries and connectors run until
 * SIGINT/SIGTERM; with --until-idle, sources read what their input has,
 * then the queries drain their input, then sinks deliver all their
 * topics hold (docs/connectors.md). */
static int run_wait(struct cli_sql_session *s)
{
    bool conns = sql_connect_running(s->connect) > 0;
    /* SIGINT during a SELECT of the script ended that SELECT only. */
    s->interrupted = s->terminated;
    if (run_until_idle && conns &&
        sql_connect_drain(s->connect, CONNECTOR_SOURCE, &s->interrupted))
        return 1;
    int status = s->engine->wait && s->engine->wait(s->engine_ctx) ? 1 : 0;
    if (status || !conns)
        return status;
    if (run_until_idle)
        return sql_connect_drain(s->connect, CONNECTOR_SINK, &s->interrupted)
                   ? 1
                   : 0;
    while (!s->interrupted)
        nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
    return 0;
}

static const char usage_text[] =
    "rill run FILE.sql [--data DIR] [--until-idle]\n"
    "         [--bootstrap HOST:PORT[,...] [--application-id ID]\n"
    "          [-X key=value]...]\n"
    "  executes the statements of FILE.sql (';'-separated) and prints each "
    "result;\n  stops at the first error (FILE:line:column: message, exit "
    "1);\n  then keeps persistent queries running until SIGINT/SIGTERM, or "
    "with\n  --until-idle until every query has drained its input (windows "
    "fire\n  at the end of the data). When `rill serve` runs on DIR the "
    "script runs\n  inside it (its queries keep running there) and rill run "
    "returns at once.\n  --bootstrap: streams and tables are topics of that "
    "Kafka cluster "
    "(any\n  Kafka-protocol broker, rill serve included), read and written "
    "through\n  librdkafka; DIR keeps only the catalog and the queries' "
    "progress;\n  internal topics there are ID-q_N-repartition (ID: "
    "--application-id,\n  else DIR's name);\n  -X passes a librdkafka property "
    "(security.protocol=..., "
    "...)";

int cli_run(int argc, char **argv)
{
    struct cli_args a;
    cli_args_init(&a, argc, argv);
    if (cli_flag(&a, "help")) {
        printf("usage: %s\n", usage_text);
        return 0;
    }
    const char *dir = cli_data_dir(cli_opt(&a, "data"));
    const char *file = cli_positional(&a, 0);
    run_until_idle = cli_flag(&a, "until-idle");
    run_bootstrap = cli_opt(&a, "bootstrap");
    run_app_id = cli_opt(&a, "application-id");
    if (run_app_id && !run_bootstrap) {
        fprintf(stderr, "rill run: --application-id goes with --bootstrap\n");
        return 2;
    }
    for (int i = 1, k = 0; i + 1 < a.argc; i++)
        if (!strcmp(argv[i], "-X")) {
            if (k == 32) {
                fprintf(stderr, "rill run: at most 32 -X properties\n");
                return 2;
            }
            a.used[i] = a.used[i + 1] = true;
            run_props[k++] = argv[++i];
        }
    int rc = cli_check_unused(&a, usage_text);
    if (rc)
        return rc;
    if (!file) {
        fprintf(stderr, "usage: %s\n", usage_text);
        return 2;
    }
    char *text = NULL;
    size_t len = 0;
    rc = os_read_file(file, SCRIPT_MAX, &text, &len);
    if (rc) {
        fprintf(stderr, "rill run: cannot read %s: %s\n", file,
                rc == -ENOENT ? "no such file" : err_str(rc));
        return 1;
    }
    struct cli_sql_session *s;
    if (cli_sql_session_open(dir, "rill run", &s)) {
        free(text);
        return 1;
    }
    if (s->client && run_until_idle) {
        fprintf(stderr,
                "rill run: --until-idle needs the data directory to itself; "
                "rill serve runs on %s (its queries never stop on idle)\n",
                dir);
        cli_sql_session_close(s);
        free(text);
        return 2;
    }
    /* rill run hosts the catalog's queries whatever the script holds
     * (a script of SHOW QUERIES; resumes them until idle). */
    if (!s->client)
        session_resume(s);
    int status = cli_sql_session_exec(s, file, text, len);
    /* The embedded mode: keep the persistent queries running. */
    if (!status && !s->client)
        status = run_wait(s);
    cli_sql_session_close(s);
    free(text);
    return status;
}
