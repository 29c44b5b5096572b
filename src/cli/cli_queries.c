/* cli_queries.c - `rill queries list|describe ID`: the persistent queries
 * of a data directory's catalog; `rill queries watermark|stop|resume ID`:
 * EXPLAIN WATERMARK, STOP QUERY, RESUME QUERY in the running server
 * (layer: cli).
 *
 * When `rill serve` runs on the data directory, asks it (SHOW QUERIES /
 * DESCRIBE id over <data>/rill.sock), so DESCRIBE shows the run-time
 * counters of its engine. Otherwise reads the catalog file only (no data
 * directory lock), so it also works next to a running `rill run`; read
 * from the file alone, run-time counters show as not available.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/err.h"
#include "sql/catalog.h"
#include "sql/sql_client.h"
#include "sql/sql_exec.h"

static void out_text(void *arg, const char *p, size_t len, int is_row)
{
    (void)arg;
    fwrite(p, 1, len, stdout);
    if (is_row || !len || p[len - 1] != '\n')
        fputc('\n', stdout);
}

static void out_error(void *arg, const struct sql_pos *pos, const char *msg)
{
    const char *const *idp = arg;
    const char *id = *idp;
    (void)pos;
    if (id && strstr(msg, "unknown"))
        fprintf(stderr, "rill queries: unknown query '%s'\n", id);
    else
        fprintf(stderr, "rill queries: %s\n", msg);
}

static bool plain_id(const char *id)
{
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return *id != '\0';
}

/* Through a running `rill serve`: 0/1 (the exit status), or -1 when no
 * server answers. */
static int via_server(const char *dir, const char *verb, const char *id)
{
    if (id && !plain_id(id))
        return -1;
    struct sql_client *c;
    if (sql_client_connect(dir, &c))
        return -1;
    char stmt[256];
    if (!strcmp(verb, "watermark"))
        snprintf(stmt, sizeof stmt, "EXPLAIN WATERMARK %s;", id);
    else if (!strcmp(verb, "stop"))
        snprintf(stmt, sizeof stmt, "STOP QUERY %s;", id);
    else if (!strcmp(verb, "resume"))
        snprintf(stmt, sizeof stmt, "RESUME QUERY %s;", id);
    else if (id)
        snprintf(stmt, sizeof stmt, "DESCRIBE %s;", id);
    else
        snprintf(stmt, sizeof stmt, "SHOW QUERIES;");
    struct sql_client_sink sink = {out_text, out_error, &id};
    int rc = sql_client_exec(c, stmt, strlen(stmt), &sink);
    sql_client_close(c);
    if (rc < 0)
        fprintf(stderr, "rill queries: lost the connection to rill serve: %s\n",
                err_str(rc));
    return rc ? 1 : 0;
}

static const char usage_text[] =
    "rill queries list [--data DIR]\n"
    "       rill queries describe ID [--data DIR]\n"
    "       rill queries watermark|stop|resume ID [--data DIR]\n"
    "  asks rill serve when it runs on DIR (with run-time counters), else\n"
    "  reads DIR's catalog; watermark (EXPLAIN WATERMARK), stop (STOP\n"
    "  QUERY) and resume (RESUME QUERY) need rill serve";

int cli_queries(int argc, char **argv)
{
    struct cli_args a;
    cli_args_init(&a, argc, argv);
    if (cli_flag(&a, "help")) {
        printf("usage: %s\n", usage_text);
        return 0;
    }
    const char *dir = cli_data_dir(cli_opt(&a, "data"));
    const char *verb = cli_positional(&a, 0);
    bool live = verb && (!strcmp(verb, "watermark") || !strcmp(verb, "stop") ||
                         !strcmp(verb, "resume"));
    const char *id = verb && (live || !strcmp(verb, "describe"))
                         ? cli_positional(&a, 0)
                         : NULL;
    int rc = cli_check_unused(&a, usage_text);
    if (rc)
        return rc;
    if (!verb || (strcmp(verb, "list") && strcmp(verb, "describe") && !live) ||
        (strcmp(verb, "list") && !id)) {
        fprintf(stderr, "usage: %s\n", usage_text);
        return 2;
    }
    rc = via_server(dir, verb, id);
    if (rc >= 0)
        return rc;
    if (live) {
        fprintf(stderr,
                "rill queries %s: no rill serve answers on %s (the query "
                "runs there)\n",
                verb, dir);
        return 1;
    }
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "rill queries: no data directory at %s\n", dir);
        return 1;
    }
    struct catalog *cat;
    char msg[512];
    rc = catalog_open(dir, &cat, msg, sizeof msg);
    if (rc) {
        fprintf(stderr, "rill queries: cannot read the catalog: %s\n",
                msg[0] ? msg : err_str(rc));
        return 1;
    }
    struct buf out;
    buf_init(&out);
    int status = 0;
    if (!strcmp(verb, "list")) {
        sql_exec_show_queries(cat, &out);
    } else if (sql_exec_describe_query(cat, NULL, NULL, id, &out) ==
               ERR_NOT_FOUND) {
        fprintf(stderr, "rill queries: unknown query '%s'\n", id);
        status = 1;
    }
    fwrite(out.data, 1, out.len, stdout);
    buf_fini(&out);
    catalog_close(cat);
    return status;
}
