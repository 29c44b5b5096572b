/* sql_union.c - UNION ALL of streams to a plan: every branch's stream is
 * a source of one pipeline, decoded into a shared layout, tagged with its
 * branch; one filter and one project evaluate each row with its own
 * branch's WHERE and SELECT list (layer: sql).
 *
 * The layout u (what every source decodes into, as joins do):
 *   0 $branch INT (set by the pipeline per source)
 *   1 $ts     TIMESTAMP (each stream's WATERMARK column: the event time)
 *   then each branch's stream columns in order (its time column stays
 *   NULL there: 1 holds it).
 * A branch's expressions resolve against a view of u in which its own
 * columns carry their names (same indexes, same types), so they compile
 * over u directly. The watermark is the least over every partition of
 * every branch (one delay: the largest declared).
 */
#include "sql/sql_subq.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"
#include "log/logdir.h"
#include "sql/catalog.h"
#include "stream/stream_log.h"

#define NO_FIELD "$rill$none" /* a field no record has (sql_join.c) */

struct sql_union_plan {
    struct schema u;
    struct schema src[PIPELINE_MAX_SOURCES];
    struct schema view[PIPELINE_MAX_SOURCES];
};

static int fail(struct sql_exec_error *err, struct sql_pos pos, int code,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct sql_exec_error *err, struct sql_pos pos, int code,
                const char *fmt, ...)
{
    int n = 0;
    err->pos = pos;
    if (pos.line > 0)
        n = snprintf(err->message, sizeof err->message,
                     "line %d, column %d: ", pos.line, pos.column);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message + n, sizeof err->message - (size_t)n, fmt, ap);
    va_end(ap);
    return code;
}

static const struct catalog_option *setting(const struct sql_query_start *q,
                                            const char *key)
{
    for (size_t i = 0; i < q->nsettings; i++)
        if (!strcasecmp(q->settings[i].key, key))
            return &q->settings[i];
    return NULL;
}

static bool widens(enum schema_type from, enum schema_type to)
{
    return from == to || from == SCHEMA_NULL ||
           (to == SCHEMA_BIGINT && from == SCHEMA_INT) ||
           (to == SCHEMA_DOUBLE &&
            (from == SCHEMA_INT || from == SCHEMA_BIGINT));
}

/* A branch may only read a stream, filter and project. */
static int check_branch(const struct sql_select *b, int i,
                        struct sql_exec_error *err)
{
    if (!b->from || b->from->kind != SQL_FROM_TABLE || b->from->as_of)
        return fail(err, b->from ? b->from->pos : b->pos, ERR_UNSUPPORTED,
                    "a UNION ALL branch reads a stream (FROM name): "
                    "subqueries, windows and joins in a branch are not "
                    "supported yet (put them around the union)");
    if (b->ngroup_by || b->having || b->distinct || b->nwindows ||
        b->norder_by || b->emit != SQL_EMIT_DEFAULT || b->allowed_lateness ||
        b->late_into || sql_over_in_select(b) ||
        (b->limit >= 0 && b->union_all))
        return fail(err, b->pos, ERR_UNSUPPORTED,
                    "UNION ALL branch %d may only filter and project its "
                    "stream (aggregate, rank or order the union in an "
                    "outer query: SELECT ... FROM (... UNION ALL ...))",
                    i + 1);
    return 0;
}

int sql_union_build(const struct sql_query_start *q,
                    const struct planner_hooks *hooks, struct plan **out,
                    struct sql_exec_error *err)
{
    const struct sql_select *br[PIPELINE_MAX_SOURCES];
    const struct catalog_relation *rel[PIPELINE_MAX_SOURCES];
    int nb = 0, rc;
    for (const struct sql_select *b = q->select; b; b = b->union_all) {
        if (nb == PIPELINE_MAX_SOURCES)
            return fail(err, b->pos, ERR_UNSUPPORTED,
                        "UNION ALL of more than %d branches",
                        PIPELINE_MAX_SOURCES);
        if ((rc = check_branch(b, nb, err)))
            return rc;
        rel[nb] = catalog_relation_find(q->catalog, b->from->name);
        if (!rel[nb])
            return fail(err, b->from->pos, ERR_NOT_FOUND, "unknown stream '%s'",
                        b->from->name);
        if (strcasecmp(rel[nb]->format, "json"))
            return fail(err, b->from->pos, ERR_UNSUPPORTED,
                        "UNION ALL reads JSON streams (%s is %s)",
                        rel[nb]->name, rel[nb]->format);
        if (!rel[nb]->time_column)
            return fail(err, b->from->pos, ERR_UNSUPPORTED,
                        "UNION ALL needs a WATERMARK on every stream (%s "
                        "has none)",
                        rel[nb]->name);
        br[nb++] = b;
    }
    struct plan *p = mem_calloc(1, sizeof *p);
    struct sql_union_plan *un = mem_calloc(1, sizeof *un);
    p->uni = un;
    p->batch_rows = hooks ? hooks->batch_rows : 0;
    p->limit = br[nb - 1]->limit;
    p->transient = q->sink == NULL;
    snprintf(p->sink, sizeof p->sink, "%s", q->sink ? q->sink : "");
    snprintf(p->id, sizeof p->id, "%s", q->id ? q->id : "");
    /* the layout */
    int base[PIPELINE_MAX_SOURCES], tcol[PIPELINE_MAX_SOURCES];
    schema_init(&un->u);
    rc = schema_add(&un->u, "$branch", SCHEMA_INT, true, NULL) < 0;
    rc |= schema_add(&un->u, "$ts", SCHEMA_TIMESTAMP, true, NULL) < 0;
    for (int b = 0; b < nb; b++) {
        const struct schema *rs = &rel[b]->schema;
        base[b] = un->u.ncolumns;
        tcol[b] =
            schema_find(rs, rel[b]->time_column, strlen(rel[b]->time_column));
        for (int i = 0; i < rs->ncolumns && !rc; i++) {
            char n[40];
            snprintf(n, sizeof n, "$b%d_%d", b, i);
            rc = schema_add(&un->u, n, rs->columns[i].type, true, NULL) < 0;
        }
    }
    if (rc) {
        rc = fail(err, q->select->pos, ERR_TOO_LARGE,
                  "UNION ALL of more than %d columns in all",
                  SCHEMA_MAX_COLUMNS - 2);
        goto fail;
    }
    for (int b = 0; b < nb; b++) {
        const struct schema *rs = &rel[b]->schema;
        struct schema *d = &un->src[b], *v = &un->view[b];
        schema_init(d);
        schema_init(v);
        for (int c = 0; c < un->u.ncolumns; c++) {
            const struct schema_column *uc = &un->u.columns[c];
            char n[40], path[SCHEMA_PATH_MAX];
            const char *vname = uc->name;
            snprintf(n, sizeof n, "$c%d", c);
            snprintf(path, sizeof path, NO_FIELD "%d", c);
            int own = c == 1                                       ? tcol[b]
                      : c >= base[b] && c < base[b] + rs->ncolumns ? c - base[b]
                                                                   : -1;
            if (own >= 0 && !(c != 1 && own == tcol[b])) {
                const struct schema_column *oc = &rs->columns[own];
                snprintf(path, sizeof path, "%s",
                         oc->path[0] ? oc->path : oc->name);
                vname = oc->name;
            }
            if (schema_add(d, n, uc->type, true, path) < 0 ||
                schema_add(v, vname, uc->type, true, NULL) < 0) {
                rc = fail(err, br[b]->pos, ERR_INVALID,
                          "cannot lay out the union's columns");
                goto fail;
            }
        }
    }
    /* the plan's input fields: the first branch's stream; the others are
     * extra inputs (dead letters of every one go to <first>.dlq) */
    snprintf(p->input, sizeof p->input, "%s", rel[0]->name);
    snprintf(p->topic, sizeof p->topic, "%s", rel[0]->topic);
    snprintf(p->format, sizeof p->format, "json");
    p->nextra_inputs = nb - 1;
    p->npartitions = 1;
    for (int b = 0; b < nb; b++) {
        int n = rel[b]->partitions;
        if (q->log || q->logdir) {
            n = q->log ? stream_log_partitions(q->log, rel[b]->topic)
                       : logdir_topic_partitions(q->logdir, rel[b]->topic);
            if (n < 0) {
                rc = fail(err, br[b]->from->pos, ERR_NOT_FOUND,
                          "the topic '%s' of %s does not exist", rel[b]->topic,
                          rel[b]->name);
                goto fail;
            }
        }
        if (n > p->npartitions)
            p->npartitions = n;
        if (b)
            snprintf(p->extra_topics[b - 1], sizeof p->extra_topics[0], "%s",
                     rel[b]->topic);
        if (rel[b]->watermark_delay_ms > p->watermark_delay_ms)
            p->watermark_delay_ms = rel[b]->watermark_delay_ms;
    }
    p->in_schema = un->u;
    p->time_column = 1;
    p->idle_timeout_ms = PLANNER_DEFAULT_IDLE_TIMEOUT_MS;
    const struct catalog_option *o = setting(q, "watermark.idle-timeout");
    if (o && sql_exec_parse_duration(o->value, &p->idle_timeout_ms))
        p->idle_timeout_ms = 0;
    o = setting(q, "watermark.idle-advance");
    p->idle_advance = !o || strcasecmp(o->value, "false");
    o = setting(q, "scan.startup.mode");
    p->startup_latest = o && !strcasecmp(o->value, "latest-offset");
    struct pipeline_source_config src = {
        .schema = &un->src[0],
        .format = PIPELINE_FORMAT_JSON,
        .time_column = 1,
        .npartitions = p->npartitions,
        .watermark_delay_ms = p->watermark_delay_ms,
        .idle_timeout_ms = p->idle_timeout_ms,
        .batch_capacity = p->batch_rows,
        .external_watermark = true,
    };
    if ((rc = pipeline_create(&src, &p->pipe))) {
        rc = fail(err, q->select->pos, rc, "cannot create the union's sources");
        goto fail;
    }
    for (int b = 1; b < nb; b++) {
        src.schema = &un->src[b];
        if ((rc = pipeline_add_source(p->pipe, &src))) {
            rc = fail(err, br[b]->pos, rc, "cannot add the union's sources");
            goto fail;
        }
    }
    if ((rc = pipeline_set_source_tag(p->pipe, 0))) {
        rc = fail(err, q->select->pos, rc, "cannot tag the union's sources");
        goto fail;
    }
    /* WHERE: ($branch = 0 AND where0) OR ($branch = 1 AND where1) ... */
    const struct schema *sc = pipeline_schema(p->pipe);
    struct expr_ctx *ctx;
    if ((rc = expr_ctx_create(sc, pipeline_capacity(p->pipe), &ctx))) {
        rc = fail(err, q->select->pos, rc, "cannot compile the union");
        goto fail;
    }
    bool any_where = false;
    struct expr *pred = NULL;
    for (int b = 0; b < nb; b++)
        any_where = any_where || br[b]->where;
    for (int b = 0; any_where && b < nb; b++) {
        struct expr *is = expr_binary(ctx, EXPR_EQ, expr_column(ctx, 0),
                                      expr_literal(ctx, value_int(b)));
        if (br[b]->where) {
            struct expr *w = planner_expr(ctx, &un->view[b], rel[b]->name,
                                          br[b]->where, err, &rc);
            if (!w) {
                expr_ctx_destroy(ctx);
                goto fail;
            }
            if (expr_type(w) != SCHEMA_BOOLEAN) {
                expr_ctx_destroy(ctx);
                rc = fail(err, br[b]->where->pos, ERR_INVALID,
                          "the condition must be BOOLEAN, not %s",
                          schema_type_name(expr_type(w)));
                goto fail;
            }
            is = expr_binary(ctx, EXPR_AND, is, w);
        }
        pred = pred ? expr_binary(ctx, EXPR_OR, pred, is) : is;
    }
    if (pred) {
        snprintf(p->where, sizeof p->where, "each row with its branch's WHERE");
        rc = pipeline_add_filter(p->pipe, ctx, pred);
        if (rc) {
            rc = fail(err, q->select->pos, rc, "cannot build the filter");
            goto fail;
        }
        if ((rc = expr_ctx_create(sc, pipeline_capacity(p->pipe), &ctx))) {
            rc = fail(err, q->select->pos, rc, "cannot compile the union");
            goto fail;
        }
    }
    /* The SELECT lists: column j is CASE $branch WHEN 0 THEN e0j ... */
    struct expr *col[PIPELINE_MAX_SOURCES][SCHEMA_MAX_COLUMNS];
    char names[SCHEMA_MAX_COLUMNS][SCHEMA_NAME_MAX];
    int ncol[PIPELINE_MAX_SOURCES] = {0};
    /* is_time[j]: column j is every branch's event-time column as it is
     * (a window over the union may use it) */
    bool is_time[SCHEMA_MAX_COLUMNS];
    for (int j = 0; j < SCHEMA_MAX_COLUMNS; j++)
        is_time[j] = true;
    for (int b = 0; b < nb; b++) {
        const struct schema *rs = &rel[b]->schema;
        for (size_t i = 0; i < br[b]->nitems; i++) {
            const struct sql_select_item *it = &br[b]->items[i];
            if (it->expr->kind == SQL_EXPR_STAR) {
                for (int c = 0; c < rs->ncolumns; c++) {
                    if (ncol[b] >= SCHEMA_MAX_COLUMNS)
                        break;
                    int at = c == tcol[b] ? 1 : base[b] + c;
                    is_time[ncol[b]] = is_time[ncol[b]] && c == tcol[b];
                    if (!b)
                        snprintf(names[ncol[b]], SCHEMA_NAME_MAX, "%s",
                                 rs->columns[c].name);
                    col[b][ncol[b]++] = expr_column(ctx, at);
                }
                continue;
            }
            if (ncol[b] >= SCHEMA_MAX_COLUMNS) {
                rc = fail(err, it->expr->pos, ERR_TOO_LARGE,
                          "more than %d output columns", SCHEMA_MAX_COLUMNS);
                break;
            }
            struct expr *x = planner_expr(ctx, &un->view[b], rel[b]->name,
                                          it->expr, err, &rc);
            if (!x)
                break;
            is_time[ncol[b]] =
                is_time[ncol[b]] && it->expr->kind == SQL_EXPR_COLUMN &&
                !strcasecmp(it->expr->parts[it->expr->nparts - 1],
                            rel[b]->time_column);
            if (!b) {
                if (it->alias)
                    snprintf(names[ncol[b]], SCHEMA_NAME_MAX, "%s", it->alias);
                else if (it->expr->kind == SQL_EXPR_COLUMN)
                    snprintf(names[ncol[b]], SCHEMA_NAME_MAX, "%s",
                             it->expr->parts[it->expr->nparts - 1]);
                else
                    snprintf(names[ncol[b]], SCHEMA_NAME_MAX, "EXPR$%d",
                             ncol[b]);
            }
            col[b][ncol[b]++] = x;
        }
        if (!rc && ncol[b] != ncol[0])
            rc = fail(err, br[b]->pos, ERR_INVALID,
                      "UNION ALL branch %d has %d columns, the first %d", b + 1,
                      ncol[b], ncol[0]);
        if (rc) {
            expr_ctx_destroy(ctx);
            goto fail;
        }
    }
    struct expr *ex[SCHEMA_MAX_COLUMNS];
    const char *np[SCHEMA_MAX_COLUMNS];
    for (int j = 0; j < ncol[0]; j++) {
        /* one type: each branch's, widened to the first's (INT to BIGINT
         * to DOUBLE), else refused */
        enum schema_type t = expr_type(col[0][j]);
        for (int b = 1; b < nb; b++) {
            enum schema_type tb = expr_type(col[b][j]);
            if (widens(t, tb) && t != tb && t != SCHEMA_NULL)
                t = tb;
            else if (t == SCHEMA_NULL)
                t = tb;
        }
        struct expr *whens[PIPELINE_MAX_SOURCES], *thens[PIPELINE_MAX_SOURCES];
        for (int b = 0; b < nb; b++) {
            enum schema_type tb = expr_type(col[b][j]);
            if (!widens(tb, t)) {
                expr_ctx_destroy(ctx);
                rc = fail(err, br[b]->pos, ERR_INVALID,
                          "UNION ALL column %d ('%s') is %s in branch %d but "
                          "%s in another",
                          j + 1, names[j], schema_type_name(tb), b + 1,
                          schema_type_name(t));
                goto fail;
            }
            whens[b] = expr_literal(ctx, value_int(b));
            thens[b] = tb == t ? col[b][j] : expr_cast(ctx, col[b][j], t);
        }
        ex[j] = nb == 1 ? thens[0]
                        : expr_case(ctx, expr_column(ctx, 0), whens, thens, nb,
                                    NULL);
        np[j] = names[j];
        snprintf(p->project[j], sizeof p->project[j],
                 "the column %d of each row's branch", j + 1);
        if (!ex[j]) {
            rc = fail(err, q->select->pos, ERR_INVALID, "%s",
                      expr_ctx_error(ctx) ? expr_ctx_error(ctx) : "?");
            expr_ctx_destroy(ctx);
            goto fail;
        }
    }
    rc = pipeline_add_project(p->pipe, ctx, ncol[0], ex, np);
    if (rc) {
        rc = fail(err, q->select->pos, rc,
                  "cannot build the SELECT list (duplicate names? add AS)");
        goto fail;
    }
    p->out_schema = *pipeline_schema(p->pipe);
    for (int j = 0; j < ncol[0]; j++)
        if (is_time[j] && p->out_schema.columns[j].type == SCHEMA_TIMESTAMP) {
            snprintf(p->out_timecol, sizeof p->out_timecol, "%s", names[j]);
            break;
        }
    {
        size_t at = 0;
        at += (size_t)snprintf(p->rank_text, sizeof p->rank_text,
                               "union all: %d branches (", nb);
        for (int b = 0; b < nb && at < sizeof p->rank_text; b++)
            at += (size_t)snprintf(p->rank_text + at, sizeof p->rank_text - at,
                                   "%s%s", b ? ", " : "", rel[b]->name);
        if (at < sizeof p->rank_text)
            snprintf(p->rank_text + at, sizeof p->rank_text - at,
                     "), read by the same tasks, each row tagged with its "
                     "branch; watermark = min over every partition of "
                     "every branch, delay %lld ms",
                     (long long)p->watermark_delay_ms);
    }
    /* the record key: WITH (key = ...), or INSERT INTO's target's key */
    const char *key = NULL;
    if (q->stmt && q->stmt->kind == SQL_STMT_INSERT) {
        const struct catalog_relation *r =
            catalog_relation_find(q->catalog, q->sink);
        key = r && r->key && r->key[0] ? r->key : NULL;
    } else if (q->stmt && q->sink) {
        for (size_t i = 0; i < q->stmt->noptions; i++)
            if (!strcasecmp(q->stmt->options[i].key, "key"))
                key = q->stmt->options[i].value;
    }
    if (key) {
        int c = schema_find(&p->out_schema, key, strlen(key));
        if (c < 0) {
            rc = fail(err, q->stmt->pos, ERR_NOT_FOUND,
                      "key '%s' is not an output column", key);
            goto fail;
        }
        p->key_columns[0] = c;
        p->nkey_columns = 1;
    }
    /* INSERT INTO x: x's columns by name, types that widen */
    if (q->stmt && q->stmt->kind == SQL_STMT_INSERT) {
        const struct catalog_relation *r =
            catalog_relation_find(q->catalog, q->sink);
        for (int c = 0; r && c < p->out_schema.ncolumns; c++) {
            const struct schema_column *oc = &p->out_schema.columns[c];
            int t = schema_find(&r->schema, oc->name, strlen(oc->name));
            if (t < 0 || !widens(oc->type, r->schema.columns[t].type)) {
                rc = fail(err, q->select->pos, ERR_INVALID,
                          "%s has no column '%s' of type %s", r->name, oc->name,
                          schema_type_name(oc->type));
                goto fail;
            }
        }
    }
    *out = p;
    return 0;
fail:
    plan_destroy(p);
    return rc;
}

void sql_union_plan_free(struct sql_union_plan *u)
{
    mem_free(u);
}
