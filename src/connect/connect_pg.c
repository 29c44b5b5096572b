/* connect_pg.c - the PostgreSQL sink: batched, idempotent upserts through
 * libpq (layer: connect).
 *
 * 'url' is a libpq connection string or URI; 'table-name' the table,
 * created when missing with the stream's columns (BOOLEAN boolean, INT
 * integer, BIGINT bigint, DOUBLE double precision, STRING text,
 * TIMESTAMP timestamptz) and PRIMARY KEY 'sink.primary-key' (default: the
 * stream's key column, then window_start when there is one: key +
 * window). A batch is one statement in one transaction:
 *
 *   INSERT INTO t (cols) SELECT DISTINCT ON (pk) cols
 *     FROM jsonb_populate_recordset(NULL::t, $1::jsonb) WITH ORDINALITY
 *     ORDER BY pk, ordinality DESC
 *   ON CONFLICT (pk) DO UPDATE SET c = EXCLUDED.c, ...
 *
 * with $1 the JSON array of the batch's rows: the last row of a key wins,
 * and replaying rows after a crash (offsets are recorded after COMMIT)
 * rewrites the same rows instead of adding any. A lost connection is the
 * target being down (store and forward); a batch PostgreSQL refuses is
 * retried row by row, and the rows it refuses go to the dead-letter topic
 * with its message.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "connect/connector_int.h"

static const struct connector_option_def pg_options[] = {
    {"url", CONNECTOR_SNK, true,
     "a libpq connection string, like 'host=/tmp port=5432 dbname=rill'"},
    {"table-name", CONNECTOR_SNK, true, "a table name"},
    {"sink.primary-key", CONNECTOR_SNK, false,
     "columns separated by commas (default: key column, window_start)"},
    {NULL, 0, false, NULL},
};

struct pg {
    struct connector *c;
    PGconn *conn;
    char *url, *table;
    int pk[16];
    int npk;
    struct buf create_sql, upsert_sql, json;
    bool logged;
};

/* The primary key columns into pk; 0 or ERR_INVALID. */
static int primary_key(const struct schema *s, const char *opt, const char *key,
                       int *pk, int *npk, char *err, size_t errlen)
{
    *npk = 0;
    if (opt) {
        char *copy = mem_strdup(opt), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t;
             t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ')
                t++;
            size_t n = strlen(t);
            while (n && t[n - 1] == ' ')
                n--;
            int col = schema_find(s, t, n);
            if (col < 0 || *npk >= 16) {
                snprintf(err, errlen,
                         "option 'sink.primary-key': '%.*s' is not a column",
                         (int)n, t);
                mem_free(copy);
                return ERR_INVALID;
            }
            pk[(*npk)++] = col;
        }
        mem_free(copy);
    } else {
        int col = key ? schema_find(s, key, strlen(key)) : -1;
        if (col >= 0)
            pk[(*npk)++] = col;
        col = schema_find(s, "window_start", 12);
        if (col >= 0)
            pk[(*npk)++] = col;
    }
    if (*npk == 0) {
        snprintf(err, errlen,
                 "the postgres sink needs a primary key for its upserts: "
                 "add WITH ('sink.primary-key' = 'col, ...') or a key");
        return ERR_INVALID;
    }
    return 0;
}

static int pg_validate(const struct connector_spec *s, char *err, size_t errlen)
{
    int pk[16], npk;
    return primary_key(s->schema, connector_spec_option(s, "sink.primary-key"),
                       s->key, pk, &npk, err, errlen);
}

static const char *pg_type(enum schema_type t)
{
    switch (t) {
    case SCHEMA_BOOLEAN:
        return "boolean";
    case SCHEMA_INT:
        return "integer";
    case SCHEMA_BIGINT:
        return "bigint";
    case SCHEMA_DOUBLE:
        return "double precision";
    case SCHEMA_TIMESTAMP:
        return "timestamptz";
    default:
        return "text";
    }
}

/* Appends "name" quoted as an SQL identifier. */
static void ident(struct buf *b, const char *name)
{
    buf_put_u8(b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            buf_put_u8(b, '"');
        buf_put_u8(b, (uint8_t)*p);
    }
    buf_put_u8(b, '"');
}

static void build_sql(struct pg *g)
{
    const struct schema *s = connector_schema(g->c);
    struct buf *b = &g->create_sql;
    buf_put_str(b, "CREATE TABLE IF NOT EXISTS ");
    ident(b, g->table);
    buf_put_str(b, " (");
    for (int i = 0; i < s->ncolumns; i++) {
        if (i)
            buf_put_str(b, ", ");
        ident(b, s->columns[i].name);
        buf_printf(b, " %s", pg_type(s->columns[i].type));
    }
    buf_put_str(b, ", PRIMARY KEY (");
    for (int i = 0; i < g->npk; i++) {
        if (i)
            buf_put_str(b, ", ");
        ident(b, s->columns[g->pk[i]].name);
    }
    buf_put_str(b, "))");
    buf_put_u8(b, 0);

    struct buf cols, pkl;
    buf_init(&cols);
    buf_init(&pkl);
    for (int i = 0; i < s->ncolumns; i++) {
        if (i)
            buf_put_str(&cols, ", ");
        ident(&cols, s->columns[i].name);
    }
    buf_put_u8(&cols, 0);
    for (int i = 0; i < g->npk; i++) {
        if (i)
            buf_put_str(&pkl, ", ");
        ident(&pkl, s->columns[g->pk[i]].name);
    }
    buf_put_u8(&pkl, 0);
    b = &g->upsert_sql;
    buf_put_str(b, "INSERT INTO ");
    ident(b, g->table);
    buf_printf(b,
               " (%s) SELECT DISTINCT ON (%s) %s FROM "
               "jsonb_populate_recordset(NULL::",
               (char *)cols.data, (char *)pkl.data, (char *)cols.data);
    ident(b, g->table);
    buf_printf(b,
               ", $1::jsonb) WITH ORDINALITY ORDER BY %s, ordinality "
               "DESC ON CONFLICT (%s) DO ",
               (char *)pkl.data, (char *)pkl.data);
    int set = 0;
    for (int i = 0; i < s->ncolumns; i++) {
        bool in_pk = false;
        for (int k = 0; k < g->npk; k++)
            in_pk |= g->pk[k] == i;
        if (in_pk)
            continue;
        buf_put_str(b, set++ ? ", " : "UPDATE SET ");
        ident(b, s->columns[i].name);
        buf_put_str(b, " = EXCLUDED.");
        ident(b, s->columns[i].name);
    }
    if (!set)
        buf_put_str(b, "NOTHING");
    buf_put_u8(b, 0);
    buf_fini(&cols);
    buf_fini(&pkl);
}

static bool exec_ok(struct pg *g, const char *sql, const char *what)
{
    PGresult *r = PQexec(g->conn, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        diag_warn("connector %s: %s: %s", connector_name(g->c), what,
                  PQresultErrorMessage(r));
    PQclear(r);
    return ok;
}

static void no_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* "relation already exists, skipping" and the like */
}

/* libpq's message without its trailing newline. */
static void warn_conn(struct pg *g)
{
    const char *m = PQerrorMessage(g->conn);
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
        n--;
    diag_warn("connector %s: %.*s", connector_name(g->c), (int)n, m);
}

static void pg_close(void *state)
{
    struct pg *g = state;
    PQfinish(g->conn);
    g->conn = NULL;
}

static int pg_open(void *state)
{
    struct pg *g = state;
    g->conn = PQconnectdb(g->url);
    if (PQstatus(g->conn) != CONNECTION_OK) {
        if (!g->logged)
            warn_conn(g);
        g->logged = true;
        pg_close(g);
        return ERR_FAILED;
    }
    g->logged = false;
    PQsetNoticeProcessor(g->conn, no_notice, NULL);
    if (!exec_ok(g, (const char *)g->create_sql.data, "CREATE TABLE")) {
        pg_close(g);
        return ERR_FAILED;
    }
    PGresult *r = PQprepare(g->conn, "rill_upsert",
                            (const char *)g->upsert_sql.data, 1, NULL);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        diag_warn("connector %s: prepare: %s", connector_name(g->c),
                  PQresultErrorMessage(r));
    PQclear(r);
    if (!ok) {
        pg_close(g);
        return ERR_FAILED;
    }
    return 0;
}

/* One upsert of rows[0..n): 1 done, 0 refused (message in *msg, which the
 * caller frees), -1 the connection is gone. */
static int upsert(struct pg *g, const struct connector_row *rows, int n,
                  char **msg)
{
    buf_reset(&g->json);
    buf_put_u8(&g->json, '[');
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (rows[i].value_null)
            continue;
        if (k++)
            buf_put_u8(&g->json, ',');
        buf_put(&g->json, rows[i].value, rows[i].value_len);
    }
    buf_put_str(&g->json, "]");
    buf_put_u8(&g->json, 0);
    if (k == 0)
        return 1;
    const char *params[1] = {(const char *)g->json.data};
    PGresult *r =
        PQexecPrepared(g->conn, "rill_upsert", 1, params, NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 1 : 0;
    if (!rc) {
        if (PQstatus(g->conn) != CONNECTION_OK)
            rc = -1;
        else
            *msg = mem_strdup(PQresultErrorMessage(r));
    }
    PQclear(r);
    return rc;
}

static int pg_write(void *state, const struct connector_row *rows, int n)
{
    struct pg *g = state;
    char *msg = NULL;
    int rc = upsert(g, rows, n, &msg);
    if (rc > 0)
        return n;
    if (rc < 0)
        return 0;
    mem_free(msg);
    /* Find the rows PostgreSQL refuses; the others go in. */
    for (int i = 0; i < n; i++) {
        msg = NULL;
        rc = upsert(g, rows + i, 1, &msg);
        if (rc < 0)
            return i;
        if (rc == 0) {
            int d = connector_dead_letter(g->c, &rows[i],
                                          "PostgreSQL refused "
                                          "the row",
                                          msg, strlen(msg));
            mem_free(msg);
            if (d)
                return i;
        }
    }
    return n;
}

static int pg_create(struct connector *c, void **state, char *err,
                     size_t errlen)
{
    struct pg *g = mem_calloc(1, sizeof *g);
    g->c = c;
    if (primary_key(connector_schema(c),
                    connector_option(c, "sink.primary-key"),
                    connector_key_column(c), g->pk, &g->npk, err, errlen)) {
        mem_free(g);
        return ERR_INVALID;
    }
    g->url = mem_strdup(connector_option(c, "url"));
    g->table = mem_strdup(connector_option(c, "table-name"));
    buf_init(&g->create_sql);
    buf_init(&g->upsert_sql);
    buf_init(&g->json);
    build_sql(g);
    *state = g;
    return 0;
}

static void pg_destroy(void *state)
{
    struct pg *g = state;
    pg_close(g);
    buf_fini(&g->create_sql);
    buf_fini(&g->upsert_sql);
    buf_fini(&g->json);
    mem_free(g->url);
    mem_free(g->table);
    mem_free(g);
}

const struct connector_kind connector_kind_pg = {
    .name = "postgres",
    .roles = CONNECTOR_SNK,
    .options = pg_options,
    .validate = pg_validate,
    .create = pg_create,
    .destroy = pg_destroy,
    .open = pg_open,
    .close = pg_close,
    .write = pg_write,
};
