/* sql_connect.c - the catalog's connectors as running tasks (layer: sql).
 * See sql_connect.h.
 */
#include "sql/sql_connect.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "connect/connector.h"
#include "connect/local_log.h"
#include "stream/worker.h"

#define POOL_THREADS 2
#define MAX_RUNNING 256

struct running {
    char *name;
    char *signature;        /* role + options: a change restarts */
    struct connector *conn; /* NULL: failed to start (not retried until
                               the signature changes) */
};

struct sql_connect {
    struct stream_log log;
    struct worker_pool *pool;
    struct running run[MAX_RUNNING];
    int nrun;
};

void sql_connect_create(struct logdir *ld, struct sql_connect **out)
{
    struct sql_connect *sc = mem_calloc(1, sizeof *sc);
    local_log_init(&sc->log, ld);
    *out = sc;
}

void sql_connect_create_log(const struct stream_log *log,
                            struct sql_connect **out)
{
    struct sql_connect *sc = mem_calloc(1, sizeof *sc);
    sc->log = *log;
    *out = sc;
}

int sql_connect_running(const struct sql_connect *sc)
{
    int n = 0;
    for (int i = 0; sc && i < sc->nrun; i++)
        n += sc->run[i].conn != NULL;
    return n;
}

int sql_connect_drain(struct sql_connect *sc, int role,
                      volatile sig_atomic_t *stop)
{
    if (!sc)
        return 0;
    /* A step running now may have looked before the last append: idle
     * counts from the second step that starts after this call. */
    uint64_t from[MAX_RUNNING];
    for (int i = 0; i < sc->nrun; i++) {
        struct connector_stats st = {0};
        if (sc->run[i].conn)
            connector_get_stats(sc->run[i].conn, &st);
        from[i] = st.steps + 2;
    }
    for (;;) {
        bool all = true;
        for (int i = 0; i < sc->nrun && all; i++) {
            struct connector *c = sc->run[i].conn;
            if (!c || (int)connector_role(c) != role)
                continue;
            struct connector_stats st;
            connector_get_stats(c, &st);
            all = st.idle && st.steps >= from[i];
        }
        if (all)
            return 0;
        if (stop && *stop)
            return ERR_CLOSED;
        nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
    }
}

static bool written(const struct catalog *cat, const struct catalog_relation *r)
{
    if (r->query_id)
        return true;
    size_t n = catalog_query_count(cat);
    for (size_t i = 0; i < n; i++) {
        const struct catalog_query *q = catalog_query_at(cat, i);
        if (q->sink && !strcasecmp(q->sink, r->name))
            return true;
    }
    return false;
}

static void spec_of(const struct catalog_relation *r, enum connector_role role,
                    const char **keys, const char **values,
                    struct connector_spec *s)
{
    for (size_t i = 0; i < r->noptions; i++) {
        keys[i] = r->options[i].key;
        values[i] = r->options[i].value;
    }
    *s = (struct connector_spec){
        .name = r->name,
        .role = role,
        .topic = r->topic,
        .schema = &r->schema,
        .key = r->key,
        .keys = keys,
        .values = values,
        .noptions = r->noptions,
    };
}

int sql_connect_check(const struct catalog_relation *r, bool is_written,
                      char *err, size_t errlen)
{
    const char *kind = catalog_relation_option(r, "connector");
    if (!kind) {
        for (size_t i = 0; i < r->noptions; i++)
            if (!strncasecmp(r->options[i].key, "connector", 9) ||
                (connector_option_known(r->options[i].key) &&
                 strcasecmp(r->options[i].key, "topic"))) {
                snprintf(err, errlen,
                         "option '%s' needs a connector: add 'connector' = "
                         "'file' | 'mqtt' | 'webhook' | 'postgres'",
                         r->options[i].key);
                return ERR_INVALID;
            }
        return 0;
    }
    const char *role_opt = catalog_relation_option(r, "connector.role");
    enum connector_role role = connector_role_for(kind, role_opt, is_written);
    if (!role) {
        snprintf(err, errlen,
                 "unknown connector '%s' (known: file, mqtt, webhook, "
                 "postgres)",
                 kind);
        return ERR_INVALID;
    }
    const char **keys = mem_calloc(r->noptions + 1, sizeof *keys);
    const char **values = mem_calloc(r->noptions + 1, sizeof *values);
    struct connector_spec s;
    spec_of(r, role, keys, values, &s);
    int rc = connector_validate(&s, err, errlen);
    mem_free(keys);
    mem_free(values);
    return rc;
}

static void stop_at(struct sql_connect *sc, int i)
{
    if (sc->run[i].conn)
        diag_info("connector %s: stopped", sc->run[i].name);
    connector_destroy(sc->run[i].conn);
    mem_free(sc->run[i].name);
    mem_free(sc->run[i].signature);
    sc->run[i] = sc->run[--sc->nrun];
}

void sql_connect_sync(struct sql_connect *sc, const struct catalog *cat)
{
    if (!sc)
        return;
    bool keep[MAX_RUNNING] = {false};
    size_t n = catalog_relation_count(cat);
    for (size_t i = 0; i < n; i++) {
        const struct catalog_relation *r = catalog_relation_at(cat, i);
        const char *kind = catalog_relation_option(r, "connector");
        if (!kind)
            continue;
        enum connector_role role = connector_role_for(
            kind, catalog_relation_option(r, "connector.role"),
            written(cat, r));
        struct buf sig;
        buf_init(&sig);
        buf_printf(&sig, "%d|%s|%s", (int)role, r->topic, r->key ? r->key : "");
        for (size_t k = 0; k < r->noptions; k++)
            buf_printf(&sig, "|%s=%s", r->options[k].key, r->options[k].value);
        buf_put_u8(&sig, 0);
        int at = -1;
        for (int k = 0; k < sc->nrun; k++)
            if (!strcasecmp(sc->run[k].name, r->name))
                at = k;
        if (at >= 0 && !strcmp(sc->run[at].signature, (char *)sig.data)) {
            keep[at] = true;
            buf_fini(&sig);
            continue;
        }
        if (at >= 0) {
            stop_at(sc, at);
            keep[at] = keep[sc->nrun];
        }
        if (sc->nrun >= MAX_RUNNING) {
            diag_warn("connector %s: more than %d connectors; not started",
                      r->name, MAX_RUNNING);
            buf_fini(&sig);
            continue;
        }
        if (!sc->pool &&
            worker_pool_create(POOL_THREADS, &sc->log, 200, &sc->pool)) {
            diag_warn("connectors: cannot start their threads");
            buf_fini(&sig);
            return;
        }
        const char **keys = mem_calloc(r->noptions + 1, sizeof *keys);
        const char **values = mem_calloc(r->noptions + 1, sizeof *values);
        struct connector_spec s;
        spec_of(r, role, keys, values, &s);
        char err[512];
        struct connector *c = NULL;
        if (!role)
            diag_warn("connector %s: unknown connector '%s'", r->name, kind);
        else if (connector_create(&s, &sc->log, &c, err, sizeof err))
            diag_warn("connector %s: not started: %s", r->name, err);
        else if (connector_start(c, sc->pool)) {
            connector_destroy(c);
            c = NULL;
        } else
            diag_info("connector %s: %s %s %s topic %s", r->name, kind,
                      role == CONNECTOR_SINK ? "sink" : "source",
                      role == CONNECTOR_SINK ? "from" : "into", r->topic);
        mem_free(keys);
        mem_free(values);
        struct running *run = &sc->run[sc->nrun];
        run->name = mem_strdup(r->name);
        run->signature = (char *)sig.data; /* taken over */
        run->conn = c;
        keep[sc->nrun] = true;
        sc->nrun++;
    }
    for (int k = sc->nrun - 1; k >= 0; k--)
        if (!keep[k]) {
            stop_at(sc, k);
            keep[k] = keep[sc->nrun];
        }
}

void sql_connect_destroy(struct sql_connect *sc)
{
    if (!sc)
        return;
    while (sc->nrun)
        stop_at(sc, sc->nrun - 1);
    worker_pool_destroy(sc->pool);
    mem_free(sc);
}
