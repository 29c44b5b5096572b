/* sql_join.c - a join of two streams to a plan: the ON clause split into
 * key equalities, time bounds and the rest; both streams decoded into
 * one schema; the interval join operator; repartitioning by the key
 * (layer: sql). What is supported: sql_join.h; the rules: docs/joins.md.
 *
 * The join's input schema (u), in which both streams' rows travel, down
 * the chain and through the repartition topic:
 *   0 $side INT (0: left, 1: right; set by the pipeline per source)
 *   1 $ts   TIMESTAMP (each stream's WATERMARK column: the event time)
 *   2..     $k0.. the key columns (a.k0 = b.k0 ...), shared by both sides
 *   then the left stream's columns, then the right's (a side's time and
 *   key columns stay NULL there: the join reads them from 1 and 2..).
 * Each stream is decoded straight into that layout by a schema of its
 * own (src[s]): the same columns and types, JSON paths of its fields
 * where it has them, a path no record carries elsewhere.
 */
#include "sql/sql_join.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"
#include "log/logdir.h"
#include "sql/catalog.h"
#include "stream/join_interval.h"
#include "stream/stream_log.h"

/* No record has a field of this name (the placeholder columns' path). */
#define NO_FIELD "$rill$none"

struct sql_join_plan {
    struct schema u;      /* the join's input */
    struct schema src[2]; /* each stream decoded into u's layout */
    struct schema own[2]; /* each stream's columns, typed as in u */
    struct interval_join_config cfg;
    const char *names[SCHEMA_MAX_COLUMNS];
    char name_buf[SCHEMA_MAX_COLUMNS][SCHEMA_NAME_MAX];
    char rel[2][CATALOG_NAME_MAX + 1];
    char qual[2][CATALOG_NAME_MAX + 1];
    char topic[2][256];
    int parts[2];
    int64_t delay[2];
    char tcol[2][SCHEMA_NAME_MAX]; /* each stream's WATERMARK column */
    char keys_text[PLAN_TEXT_MAX];
    char relation[2 * CATALOG_NAME_MAX + 16]; /* "r JOIN m", messages */
    bool repartition;
    bool cross; /* FROM a, b WHERE ...: the WHERE is the condition */
    /* a window join: both inputs TUMBLE(size, offset) */
    bool windowed;
    bool temporal;  /* b FOR SYSTEM_TIME AS OF a.ts */
    int64_t ttl_ms; /* a regular join bounded by 'table.exec.state.ttl' */
    int64_t win_size, win_offset;
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

static const char *SUPPORTED =
    "supported: an interval join of two streams, [INNER | LEFT | RIGHT | "
    "FULL] JOIN ... ON a.k = b.k AND a.ts BETWEEN b.ts - INTERVAL ... AND "
    "b.ts + INTERVAL ..., and a window join of two TUMBLE windows on "
    "a.window_start = b.window_start AND a.window_end = b.window_end AND "
    "a.k = b.k";

static const struct catalog_option *setting(const struct sql_query_start *q,
                                            const char *key)
{
    for (size_t i = 0; i < q->nsettings; i++)
        if (!strcasecmp(q->settings[i].key, key))
            return &q->settings[i];
    return NULL;
}

/* ---- the ON clause ---- */

struct cond {
    const struct sql_query_start *q;
    bool windowed;                 /* a window join: no time bounds */
    bool win_start_eq, win_end_eq; /* a.window_start = b.window_start ... */
    const struct catalog_relation *r[2];
    const struct sql_join_plan *j;
    int time_col[2];
    int nkeys;
    int key[2][JOIN_MAX_KEYS]; /* columns of each stream */
    struct sql_pos key_pos[JOIN_MAX_KEYS];
    bool has_lower, has_upper;
    int64_t lower, upper; /* left.ts - right.ts in [lower, upper] */
    int nrest;            /* conjuncts that are neither */
    struct sql_pos rest_pos;
    struct sql_exec_error *err;
};

/* The stream (0, 1) and column a COLUMN expression names, or -1 (not a
 * column of either; ambiguity is an error: *rc). */
static int side_of(struct cond *c, const struct sql_expr *e, int *col, int *rc)
{
    *rc = 0;
    if (e->kind != SQL_EXPR_COLUMN)
        return -1;
    const char *n = e->parts[e->nparts - 1];
    if (e->nparts >= 2) {
        const char *qn = e->parts[e->nparts - 2];
        for (int s = 0; s < 2; s++)
            if (!strcasecmp(qn, c->j->qual[s])) {
                *col = schema_find(&c->r[s]->schema, n, strlen(n));
                return *col >= 0 ? s : -1;
            }
        return -1;
    }
    int found = -1;
    for (int s = 0; s < 2; s++) {
        int k = schema_find(&c->r[s]->schema, n, strlen(n));
        if (k < 0)
            continue;
        if (found >= 0) {
            *rc = fail(c->err, e->pos, ERR_INVALID,
                       "column '%s' is ambiguous (qualify it: %s.%s or "
                       "%s.%s)",
                       n, c->j->qual[0], n, c->j->qual[1], n);
            return -1;
        }
        found = s;
        *col = k;
    }
    return found;
}

/* e as "stream s's event time + off" (INTERVAL literals added or
 * subtracted); returns s or -1. */
static int time_of(struct cond *c, const struct sql_expr *e, int64_t *off,
                   int *rc)
{
    *rc = 0;
    if (e->kind == SQL_EXPR_BINARY &&
        (e->op == SQL_OP_ADD || e->op == SQL_OP_SUB) &&
        e->right->kind == SQL_EXPR_INTERVAL) {
        int s = time_of(c, e->left, off, rc);
        if (s >= 0)
            *off += e->op == SQL_OP_ADD ? e->right->ival : -e->right->ival;
        return s;
    }
    if (e->kind == SQL_EXPR_BINARY && e->op == SQL_OP_ADD &&
        e->left->kind == SQL_EXPR_INTERVAL) {
        int s = time_of(c, e->right, off, rc);
        if (s >= 0)
            *off += e->left->ival;
        return s;
    }
    int col;
    int s = side_of(c, e, &col, rc);
    if (s < 0 || col != c->time_col[s])
        return -1;
    *off = 0;
    return s;
}

/* Whether e is q.window_start (1) or q.window_end (2) of the left
 * stream, or minus that of the right one; 0 otherwise. */
static int window_col(const struct cond *c, const struct sql_expr *e)
{
    if (e->kind != SQL_EXPR_COLUMN || e->nparts < 2)
        return 0;
    const char *n = e->parts[e->nparts - 1];
    int which = !strcasecmp(n, "window_start") ? 1
                : !strcasecmp(n, "window_end") ? 2
                                               : 0;
    for (int s = 0; which && s < 2; s++)
        if (!strcasecmp(e->parts[e->nparts - 2], c->j->qual[s]))
            return s ? -which : which;
    return 0;
}

/* x op y over event times; op one of < <= > >= =. Returns 1 (a bound),
 * 0 (not one) or an error. */
static int bound(struct cond *c, enum sql_op op, const struct sql_expr *x,
                 const struct sql_expr *y)
{
    int64_t ox, oy;
    int rc;
    if (c->windowed || c->j->temporal)
        return 0; /* rows meet by window or by version, not by bounds */
    int sx = time_of(c, x, &ox, &rc);
    if (rc)
        return rc;
    int sy = time_of(c, y, &oy, &rc);
    if (rc)
        return rc;
    if (sx < 0 || sy < 0 || sx == sy)
        return 0;
    /* l.ts + ox op r.ts + oy, i.e. d = l.ts - r.ts op oy - ox; written
     * the other way round, the operator flips. */
    int64_t k = oy - ox;
    if (sx == 1) {
        k = ox - oy;
        op = op == SQL_OP_LT   ? SQL_OP_GT
             : op == SQL_OP_LE ? SQL_OP_GE
             : op == SQL_OP_GT ? SQL_OP_LT
             : op == SQL_OP_GE ? SQL_OP_LE
                               : op;
        /* r.ts + ox op l.ts + oy: -d op oy - ox, d op' ox - oy */
    }
    if (op == SQL_OP_GE || op == SQL_OP_GT || op == SQL_OP_EQ) {
        int64_t lo = op == SQL_OP_GT ? k + 1 : k;
        if (!c->has_lower || lo > c->lower)
            c->lower = lo;
        c->has_lower = true;
    }
    if (op == SQL_OP_LE || op == SQL_OP_LT || op == SQL_OP_EQ) {
        int64_t hi = op == SQL_OP_LT ? k - 1 : k;
        if (!c->has_upper || hi < c->upper)
            c->upper = hi;
        c->has_upper = true;
    }
    return 1;
}

static bool key_types_join(enum schema_type a, enum schema_type b,
                           enum schema_type *out)
{
    if (a == b) {
        *out = a;
        return true;
    }
    if ((a == SCHEMA_INT && b == SCHEMA_BIGINT) ||
        (a == SCHEMA_BIGINT && b == SCHEMA_INT)) {
        *out = SCHEMA_BIGINT;
        return true;
    }
    return false;
}

/* One conjunct of the condition. */
static int conjunct(struct cond *c, const struct sql_expr *e)
{
    int rc;
    if (e->kind == SQL_EXPR_BINARY && e->op == SQL_OP_AND) {
        if ((rc = conjunct(c, e->left)))
            return rc;
        return conjunct(c, e->right);
    }
    if (c->windowed && e->kind == SQL_EXPR_BINARY && e->op == SQL_OP_EQ) {
        int wa = window_col(c, e->left), wb = window_col(c, e->right);
        if (wa && wa == -wb) {
            /* the same bound of both sides (window_col: 1 start, 2 end,
             * negative for the right side) */
            if (wa == 1 || wa == -1)
                c->win_start_eq = true;
            else
                c->win_end_eq = true;
            return 0;
        }
    }
    if (e->kind == SQL_EXPR_BINARY && e->op == SQL_OP_EQ) {
        int ca, cb;
        int sa = side_of(c, e->left, &ca, &rc);
        if (rc)
            return rc;
        int sb = side_of(c, e->right, &cb, &rc);
        if (rc)
            return rc;
        if (sa >= 0 && sb >= 0 && sa != sb) {
            int l = sa == 0 ? ca : cb, r = sa == 0 ? cb : ca;
            if (l == c->time_col[0] && r == c->time_col[1]) {
                rc = bound(c, SQL_OP_EQ, e->left, e->right);
                return rc < 0 ? rc : 0;
            }
            enum schema_type t;
            if (!key_types_join(c->r[0]->schema.columns[l].type,
                                c->r[1]->schema.columns[r].type, &t))
                return fail(c->err, e->pos, ERR_INVALID,
                            "the join key columns differ in type: %s.%s is "
                            "%s, %s.%s is %s",
                            c->j->qual[0], c->r[0]->schema.columns[l].name,
                            schema_type_name(c->r[0]->schema.columns[l].type),
                            c->j->qual[1], c->r[1]->schema.columns[r].name,
                            schema_type_name(c->r[1]->schema.columns[r].type));
            for (int k = 0; k < c->nkeys; k++)
                if (c->key[0][k] == l || c->key[1][k] == r)
                    return fail(c->err, e->pos, ERR_UNSUPPORTED,
                                "a column may be in one key equality only");
            if (l == c->time_col[0] || r == c->time_col[1])
                return fail(c->err, e->pos, ERR_UNSUPPORTED,
                            "an event-time column cannot be a join key");
            if (c->nkeys >= JOIN_MAX_KEYS)
                return fail(c->err, e->pos, ERR_TOO_LARGE,
                            "more than %d join keys", JOIN_MAX_KEYS);
            c->key[0][c->nkeys] = l;
            c->key[1][c->nkeys] = r;
            c->key_pos[c->nkeys++] = e->pos;
            return 0;
        }
    }
    if (e->kind == SQL_EXPR_BINARY &&
        (e->op == SQL_OP_LT || e->op == SQL_OP_LE || e->op == SQL_OP_GT ||
         e->op == SQL_OP_GE)) {
        rc = bound(c, e->op, e->left, e->right);
        if (rc)
            return rc < 0 ? rc : 0;
    }
    if (e->kind == SQL_EXPR_BETWEEN && !e->negated) {
        int64_t o;
        int s = time_of(c, e->left, &o, &rc);
        if (rc)
            return rc;
        if (s >= 0) {
            int r1 = bound(c, SQL_OP_GE, e->left, e->right);
            if (r1 < 0)
                return r1;
            int r2 = bound(c, SQL_OP_LE, e->left, e->third);
            if (r2 < 0)
                return r2;
            if (r1 == 1 && r2 == 1)
                return 0;
            /* half a bound: the other half is a plain condition */
        }
    }
    if (!c->nrest++)
        c->rest_pos = e->pos;
    return 0;
}

/* ---- the plan ---- */

static int add_col(struct schema *s, const char *name, enum schema_type t,
                   bool nullable, const char *path)
{
    return schema_add(s, name, t, nullable, path);
}

/* u, src[0..1] and own[0..1] from the streams and the keys. */
static int build_schemas(struct sql_join_plan *j, const struct cond *c)
{
    schema_init(&j->u);
    int rc = 0;
    rc |= add_col(&j->u, "$side", SCHEMA_INT, true, NULL) < 0;
    rc |= add_col(&j->u, "$ts", SCHEMA_TIMESTAMP, true, NULL) < 0;
    enum schema_type kt[JOIN_MAX_KEYS];
    for (int k = 0; k < c->nkeys; k++) {
        char n[16];
        snprintf(n, sizeof n, "$k%d", k);
        key_types_join(c->r[0]->schema.columns[c->key[0][k]].type,
                       c->r[1]->schema.columns[c->key[1][k]].type, &kt[k]);
        rc |= add_col(&j->u, n, kt[k], true, NULL) < 0;
    }
    int base[2];
    for (int s = 0; s < 2; s++) {
        base[s] = j->u.ncolumns;
        const struct schema *rs = &c->r[s]->schema;
        for (int i = 0; i < rs->ncolumns; i++) {
            char n[24];
            snprintf(n, sizeof n, "$%c%d", s ? 'r' : 'l', i);
            rc |= add_col(&j->u, n, rs->columns[i].type, true, NULL) < 0;
        }
    }
    if (rc)
        return ERR_TOO_LARGE;
    /* Where each stream's columns are, and their types there. */
    for (int s = 0; s < 2; s++) {
        const struct schema *rs = &c->r[s]->schema;
        struct join_side *sd = &j->cfg.side[s];
        sd->ncolumns = rs->ncolumns;
        schema_init(&j->own[s]);
        for (int i = 0; i < rs->ncolumns; i++) {
            int at = base[s] + i;
            if (i == c->time_col[s])
                at = 1;
            for (int k = 0; k < c->nkeys; k++)
                if (c->key[s][k] == i)
                    at = 2 + k;
            sd->columns[i] = at;
            add_col(&j->own[s], rs->columns[i].name, j->u.columns[at].type,
                    true, NULL);
        }
        sd->schema = &j->own[s];
    }
    /* Each stream's decoding schema: u's columns, its own fields' paths
     * where it has them. */
    for (int s = 0; s < 2; s++) {
        const struct schema *rs = &c->r[s]->schema;
        struct schema *d = &j->src[s];
        schema_init(d);
        for (int i = 0; i < j->u.ncolumns; i++) {
            const struct schema_column *uc = &j->u.columns[i];
            char n[24], path[SCHEMA_PATH_MAX];
            snprintf(n, sizeof n, "$c%d", i);
            snprintf(path, sizeof path, NO_FIELD "%d", i);
            bool nullable = true;
            for (int k = 0; k < rs->ncolumns; k++)
                if (j->cfg.side[s].columns[k] == i) {
                    const struct schema_column *oc = &rs->columns[k];
                    snprintf(path, sizeof path, "%s",
                             oc->path[0] ? oc->path : oc->name);
                    nullable = oc->nullable;
                }
            if (add_col(d, n, uc->type, nullable, path) < 0)
                return ERR_INVALID;
        }
    }
    return 0;
}

static int64_t idle_timeout(const struct sql_query_start *q,
                            const struct catalog_relation *r)
{
    int64_t ms = PLANNER_DEFAULT_IDLE_TIMEOUT_MS;
    const char *idle = catalog_relation_option(r, "watermark.idle-timeout");
    const struct catalog_option *o = setting(q, "watermark.idle-timeout");
    if (o)
        idle = o->value;
    if (idle && sql_exec_parse_duration(idle, &ms))
        ms = 0;
    return ms;
}

/* The window TVF of a join input: TABLE(TUMBLE(...)) [alias], or Flink's
 * (SELECT * FROM TABLE(TUMBLE(...))) alias; NULL for a stream. */
static const struct sql_window *window_of(const struct sql_from *x)
{
    if (x->kind == SQL_FROM_WINDOW)
        return x->window;
    if (x->kind != SQL_FROM_SUBQUERY || !x->query)
        return NULL;
    const struct sql_select *q = x->query;
    if (q->nitems != 1 || q->items[0].expr->kind != SQL_EXPR_STAR ||
        q->items[0].expr->nparts || !q->from ||
        q->from->kind != SQL_FROM_WINDOW || q->where || q->ngroup_by ||
        q->having || q->distinct || q->norder_by || q->limit >= 0 ||
        q->late_into || q->allowed_lateness)
        return NULL;
    return q->from->window;
}

/* Refuses what the join planner does not do, at its position. */
static int check_query(const struct sql_select *s, struct sql_exec_error *err)
{
    const struct sql_from *f = s->from;
    for (int i = 0; i < 2; i++) {
        const struct sql_from *x = i ? f->right : f->left;
        if (x->kind == SQL_FROM_JOIN)
            return fail(err, x->pos, ERR_UNSUPPORTED,
                        "joins of more than two streams are not supported "
                        "yet (%s)",
                        SUPPORTED);
        if (x->kind == SQL_FROM_SUBQUERY && !window_of(x))
            return fail(err, x->pos, ERR_UNSUPPORTED,
                        "subqueries in FROM are not supported yet (in a "
                        "join: (SELECT * FROM TABLE(TUMBLE(...))) alias, a "
                        "window join)");
        if (x->kind == SQL_FROM_MATCH)
            return fail(err, x->pos, ERR_UNSUPPORTED,
                        "MATCH_RECOGNIZE in a join is not supported yet");
    }
    if (s->ngroup_by || s->having)
        return fail(err, s->ngroup_by ? s->group_by[0]->pos : s->having->pos,
                    ERR_UNSUPPORTED,
                    "GROUP BY over a join is not supported yet (write the "
                    "join into a stream with CREATE STREAM ... AS, then "
                    "aggregate that stream)");
    if (s->distinct)
        return fail(err, s->pos, ERR_UNSUPPORTED,
                    "SELECT DISTINCT is not supported yet");
    if (s->norder_by)
        return fail(err, s->order_by[0].expr->pos, ERR_UNSUPPORTED,
                    "ORDER BY is not supported on streams yet");
    if (s->allowed_lateness)
        return fail(err, s->pos, ERR_UNSUPPORTED,
                    "ALLOWED LATENESS is not supported for joins (a row at "
                    "or below the watermark is late)");
    return 0;
}

static int side_info(const struct sql_query_start *q, const struct sql_from *x,
                     int s, struct sql_join_plan *j,
                     const struct catalog_relation **out,
                     struct sql_exec_error *err)
{
    const struct sql_window *w = window_of(x);
    const char *name = w ? w->table : x->name;
    const struct catalog_relation *r = catalog_relation_find(q->catalog, name);
    if (!r)
        return fail(err, x->pos, ERR_NOT_FOUND, "unknown stream '%s'", name);
    if (strcasecmp(r->format, "json"))
        return fail(err, x->pos, ERR_UNSUPPORTED,
                    "joins read JSON streams only for now (%s is %s)", r->name,
                    r->format);
    if (!r->time_column)
        return fail(err, x->pos, ERR_UNSUPPORTED,
                    "%s has no WATERMARK: an interval join needs the event "
                    "time of both streams (joins with a table are not "
                    "supported yet; %s)",
                    r->name, SUPPORTED);
    snprintf(j->rel[s], sizeof j->rel[s], "%s", r->name);
    snprintf(j->qual[s], sizeof j->qual[s], "%s", x->alias ? x->alias : name);
    if (w) {
        if (w->kind != SQL_WINDOW_TUMBLE)
            return fail(err, x->pos, ERR_UNSUPPORTED,
                        "window joins of %s windows are not supported yet "
                        "(TUMBLE is)",
                        sql_ast_window_name(w->kind));
        if (strcasecmp(w->timecol, r->time_column))
            return fail(err, x->pos, ERR_UNSUPPORTED,
                        "a window join's DESCRIPTOR must be the WATERMARK "
                        "column of %s (%s)",
                        r->name, r->time_column);
        int64_t size =
            w->size && w->size->kind == SQL_EXPR_INTERVAL ? w->size->ival : 0;
        int64_t off = w->offset && w->offset->kind == SQL_EXPR_INTERVAL
                          ? w->offset->ival
                          : 0;
        if (size <= 0)
            return fail(err, x->pos, ERR_INVALID,
                        "TUMBLE needs a positive INTERVAL size");
        if (s == 1 &&
            (!j->windowed || size != j->win_size || off != j->win_offset))
            return fail(err, x->pos, ERR_UNSUPPORTED,
                        "a window join needs the same TUMBLE window on both "
                        "sides");
        j->windowed = true;
        j->win_size = size;
        j->win_offset = off;
    } else if (s == 1 && j->windowed) {
        return fail(err, x->pos, ERR_UNSUPPORTED,
                    "a window join needs the same TUMBLE window on both "
                    "sides");
    }
    snprintf(j->topic[s], sizeof j->topic[s], "%s", r->topic);
    j->parts[s] = r->partitions > 0 ? r->partitions : 1;
    if (q->log || q->logdir) {
        int n = q->log ? stream_log_partitions(q->log, r->topic)
                       : logdir_topic_partitions(q->logdir, r->topic);
        if (n < 0)
            return fail(err, x->pos, ERR_NOT_FOUND,
                        "the topic '%s' of %s does not exist", r->topic,
                        r->name);
        j->parts[s] = n > 0 ? n : 1;
    }
    if (x->kind == SQL_FROM_TABLE && x->as_of) {
        if (s == 0)
            return fail(err, x->as_of->pos, ERR_UNSUPPORTED,
                        "FOR SYSTEM_TIME AS OF belongs to the right side of "
                        "a join (the versioned table)");
        const struct sql_expr *a = x->as_of;
        const char *want = j->tcol[0];
        if (a->kind != SQL_EXPR_COLUMN || a->nparts < 1 ||
            strcasecmp(a->parts[a->nparts - 1], want) ||
            (a->nparts >= 2 && strcasecmp(a->parts[a->nparts - 2], j->qual[0])))
            return fail(err, a->pos, ERR_UNSUPPORTED,
                        "FOR SYSTEM_TIME AS OF must name the event-time "
                        "column of the left stream (%s.%s): processing-time "
                        "temporal joins are not supported",
                        j->qual[0], want);
        if (!r->key)
            return fail(err, x->pos, ERR_UNSUPPORTED,
                        "%s needs a key to be a versioned table (WITH (key "
                        "= 'column'), its PRIMARY KEY)",
                        r->name);
        j->temporal = true;
    }
    j->delay[s] = r->watermark_delay_ms;
    snprintf(j->tcol[s], sizeof j->tcol[s], "%s", r->time_column);
    *out = r;
    return 0;
}

int sql_join_build(const struct sql_query_start *q,
                   const struct planner_hooks *hooks, struct plan **out,
                   struct sql_exec_error *err)
{
    const struct sql_select *s = q->select;
    const struct sql_from *f = s->from;
    int rc = check_query(s, err);
    if (rc)
        return rc;
    struct plan *p = mem_calloc(1, sizeof *p);
    struct sql_join_plan *j = mem_calloc(1, sizeof *j);
    p->batch_rows = hooks ? hooks->batch_rows : 0;
    p->join = j;
    p->limit = s->limit;
    p->transient = q->sink == NULL;
    snprintf(p->sink, sizeof p->sink, "%s", q->sink ? q->sink : "");
    snprintf(p->id, sizeof p->id, "%s", q->id ? q->id : "");
    struct cond c = {.q = q, .j = j, .err = err};
    if ((rc = side_info(q, f->left, 0, j, &c.r[0], err)) ||
        (rc = side_info(q, f->right, 1, j, &c.r[1], err)))
        goto fail;
    c.windowed = j->windowed;
    if (!strcasecmp(j->qual[0], j->qual[1])) {
        rc = fail(err, f->right->pos, ERR_INVALID,
                  "both sides of the join are called %s: give them aliases "
                  "(FROM %s a JOIN %s b ON ...)",
                  j->qual[0], j->rel[0], j->rel[1]);
        goto fail;
    }
    snprintf(j->relation, sizeof j->relation, "%s JOIN %s", j->rel[0],
             j->rel[1]);
    for (int i = 0; i < 2; i++)
        c.time_col[i] = schema_find(&c.r[i]->schema, c.r[i]->time_column,
                                    strlen(c.r[i]->time_column));
    enum join_type type = JOIN_INNER;
    switch (f->join) {
    case SQL_JOIN_LEFT:
        type = JOIN_LEFT;
        break;
    case SQL_JOIN_RIGHT:
        type = JOIN_RIGHT;
        break;
    case SQL_JOIN_FULL:
        type = JOIN_FULL;
        break;
    case SQL_JOIN_CROSS:
        j->cross = true;
        break;
    default:
        break;
    }
    const struct sql_expr *on = j->cross ? s->where : f->on;
    if (!on) {
        rc = fail(err, f->pos, ERR_UNSUPPORTED,
                  "a join of two streams needs a join condition (%s)",
                  SUPPORTED);
        goto fail;
    }
    if ((rc = conjunct(&c, on)))
        goto fail;
    if (!c.nkeys) {
        rc = fail(err, on->pos, ERR_UNSUPPORTED,
                  "the join condition needs an equality between a column of "
                  "%s and one of %s (%s)",
                  j->qual[0], j->qual[1], SUPPORTED);
        goto fail;
    }
    if (j->temporal) {
        int kc = schema_find(&c.r[1]->schema, c.r[1]->key, strlen(c.r[1]->key));
        if (type != JOIN_INNER && type != JOIN_LEFT) {
            rc = fail(err, f->pos, ERR_UNSUPPORTED,
                      "a temporal join is INNER or LEFT");
            goto fail;
        }
        if (c.nkeys != 1 || c.key[1][0] != kc) {
            rc = fail(err, on->pos, ERR_UNSUPPORTED,
                      "a temporal join's condition must be an equality "
                      "with %s.%s, the key of %s (its versions are by key)",
                      j->qual[1], c.r[1]->key, j->rel[1]);
            goto fail;
        }
        c.has_lower = c.has_upper = true;
        c.lower = c.upper = 0;
    }
    if (j->windowed && (!c.win_start_eq || !c.win_end_eq)) {
        rc = fail(err, on->pos, ERR_UNSUPPORTED,
                  "a window join needs %s.window_start = %s.window_start AND "
                  "%s.window_end = %s.window_end in its condition",
                  j->qual[0], j->qual[1], j->qual[0], j->qual[1]);
        goto fail;
    }
    if (j->windowed) {
        c.has_lower = c.has_upper = true;
        c.lower = c.upper = 0;
    }
    const struct catalog_option *ttl = setting(q, "table.exec.state.ttl");
    int64_t ttl_ms = 0;
    if (ttl && (!c.has_lower || !c.has_upper) &&
        (sql_exec_parse_duration(ttl->value, &ttl_ms) || ttl_ms <= 0)) {
        rc = fail(err, on->pos, ERR_INVALID,
                  "'table.exec.state.ttl' = '%s' is not a positive duration",
                  ttl->value);
        goto fail;
    }
    if (ttl_ms > 0 && (!c.has_lower || !c.has_upper)) {
        /* A regular join with a state TTL, read in event time: each row is
         * kept ttl past its time, so rows at most ttl apart join. Only
         * INNER: an outer row emitted unmatched could be matched later,
         * which needs a retraction (Flink's updating result). */
        if (type != JOIN_INNER) {
            rc = fail(err, f->pos, ERR_UNSUPPORTED,
                      "a regular outer join is not supported (its result "
                      "would be retracted when a partner arrives); INNER "
                      "with 'table.exec.state.ttl' is, or an interval "
                      "join");
            goto fail;
        }
        if (!c.has_lower)
            c.lower = -ttl_ms;
        if (!c.has_upper)
            c.upper = ttl_ms;
        c.has_lower = c.has_upper = true;
        j->ttl_ms = ttl_ms;
    }
    if (!c.has_lower || !c.has_upper) {
        rc = fail(err, on->pos, ERR_UNSUPPORTED,
                  "the join condition needs a time bound on both sides of "
                  "%s.%s - %s.%s, e.g. %s.%s BETWEEN %s.%s - INTERVAL '1' "
                  "MINUTE AND %s.%s (regular joins with "
                  "'table.exec.state.ttl' are not supported yet)",
                  j->qual[0], c.r[0]->time_column, j->qual[1],
                  c.r[1]->time_column, j->qual[0], c.r[0]->time_column,
                  j->qual[1], c.r[1]->time_column, j->qual[1],
                  c.r[1]->time_column);
        goto fail;
    }
    if (c.nrest && type != JOIN_INNER) {
        rc = fail(err, c.rest_pos, ERR_UNSUPPORTED,
                  "the ON clause of an outer join may hold only key "
                  "equalities and the time bounds for now");
        goto fail;
    }
    if ((rc = build_schemas(j, &c))) {
        rc = fail(err, f->pos, rc, "too many columns in the join (at most %d)",
                  SCHEMA_MAX_COLUMNS);
        goto fail;
    }
    /* The operator. */
    j->cfg.type = type;
    j->cfg.side_column = 0;
    j->cfg.nkeys = c.nkeys;
    for (int k = 0; k < c.nkeys; k++)
        j->cfg.keys[k] = 2 + k;
    j->cfg.lower_ms = c.lower;
    j->cfg.upper_ms = c.upper;
    if (j->windowed) {
        j->cfg.window_size_ms = j->win_size;
        j->cfg.window_offset_ms = j->win_offset;
    }
    j->cfg.temporal = j->temporal;
    int n = 0;
    for (int sd = 0; sd < 2; sd++)
        for (int i = 0; i < c.r[sd]->schema.ncolumns + (j->windowed ? 2 : 0);
             i++, n++) {
            if (i >= c.r[sd]->schema.ncolumns) {
                char wq[sizeof j->qual[0]];
                memcpy(wq, j->qual[sd], sizeof wq);
                snprintf(j->name_buf[n], SCHEMA_NAME_MAX, "%.40s.%s", wq,
                         i == c.r[sd]->schema.ncolumns ? "window_start"
                                                       : "window_end");
                j->names[n] = j->name_buf[n];
                continue;
            }
            char qual[sizeof j->qual[0]];
            memcpy(qual, j->qual[sd], sizeof qual);
            int w = snprintf(j->name_buf[n], SCHEMA_NAME_MAX, "%s.%s", qual,
                             c.r[sd]->schema.columns[i].name);
            if (w >= SCHEMA_NAME_MAX) {
                rc = fail(err, f->pos, ERR_TOO_LARGE,
                          "the name %s.%s is too long", j->qual[sd],
                          c.r[sd]->schema.columns[i].name);
                goto fail;
            }
            j->names[n] = j->name_buf[n];
        }
    j->cfg.names = j->names;
    if (hooks) {
        j->cfg.late = hooks->late;
        j->cfg.late_arg = hooks->late_arg;
    }
    {
        size_t o = 0;
        for (int k = 0; k < c.nkeys && o < sizeof j->keys_text; k++)
            o += (size_t)snprintf(j->keys_text + o, sizeof j->keys_text - o,
                                  "%s%s.%s = %s.%s", k ? ", " : "", j->qual[0],
                                  c.r[0]->schema.columns[c.key[0][k]].name,
                                  j->qual[1],
                                  c.r[1]->schema.columns[c.key[1][k]].name);
    }
    /* The plan's input fields: the left stream's (dead letters of both go
     * to <left>.dlq), the right one an extra input. */
    snprintf(p->input, sizeof p->input, "%s", j->rel[0]);
    snprintf(p->topic, sizeof p->topic, "%s", j->topic[0]);
    snprintf(p->format, sizeof p->format, "json");
    p->nextra_inputs = 1;
    snprintf(p->extra_topics[0], sizeof p->extra_topics[0], "%s", j->topic[1]);
    p->npartitions = j->parts[0] > j->parts[1] ? j->parts[0] : j->parts[1];
    p->in_schema = j->u;
    p->time_column = 1;
    /* One delay for both inputs (the pipeline has one): the larger, so no
     * row that either stream declares in time is late. */
    p->watermark_delay_ms =
        j->delay[0] > j->delay[1] ? j->delay[0] : j->delay[1];
    int64_t i0 = idle_timeout(q, c.r[0]), i1 = idle_timeout(q, c.r[1]);
    p->idle_timeout_ms = i0 > i1 ? i0 : i1;
    if (!i0 || !i1)
        p->idle_timeout_ms = 0;
    const struct catalog_option *o = setting(q, "watermark.idle-advance");
    const char *adv =
        o ? o->value
          : catalog_relation_option(c.r[0], "watermark.idle-advance");
    p->idle_advance = !adv || strcasecmp(adv, "false");
    o = setting(q, "scan.startup.mode");
    p->startup_latest = o && !strcasecmp(o->value, "latest-offset");
    /* State to rebuild on restart, rows muted up to the recorded
     * watermark (each output row's event time says when it was final). */
    p->windowed = true;
    if (s->late_into && (rc = planner_late_into(q, p, err)))
        goto fail;
    /* Rows of one key meet in one task: with one partition each, the one
     * task; otherwise both streams go through the repartition topic by
     * the key (stage 0 reads partition i of each, where it exists). */
    j->repartition = p->npartitions > 1;
    struct pipeline_source_config src = {
        .batch_capacity = p->batch_rows,
        .schema = &j->src[0],
        .format = PIPELINE_FORMAT_JSON,
        .time_column = 1,
        .npartitions = p->npartitions,
        .watermark_delay_ms = p->watermark_delay_ms,
        .idle_timeout_ms = p->idle_timeout_ms,
        .external_watermark = true,
    };
    struct pipeline *first;
    if ((rc = pipeline_create(&src, &first))) {
        rc = fail(err, f->pos, rc, "cannot create the sources of the join");
        goto fail;
    }
    p->pipe = first;
    src.schema = &j->src[1];
    if ((rc = pipeline_add_source(first, &src)) ||
        (rc = pipeline_set_source_tag(first, 0))) {
        rc = fail(err, f->pos, rc, "cannot create the sources of the join");
        goto fail;
    }
    if (j->repartition) {
        p->repartition = true;
        p->repart_partitions = p->npartitions;
        /* the rows cross in the first source's schema (the schema id
         * of the binary rows is its names' and types') */
        p->mid_schema = j->src[0];
        /* the repartition key (query_run.c reads wcfg_run) */
        p->wcfg_run.nkeys = c.nkeys;
        for (int k = 0; k < c.nkeys; k++)
            p->wcfg_run.keys[k] = 2 + k;
        snprintf(p->repart_topic, sizeof p->repart_topic, "%s-repartition",
                 q->id ? q->id : "select");
        struct pipeline_source_config src1 = {
            .batch_capacity = p->batch_rows,
            .schema = &j->src[0],
            .format = PIPELINE_FORMAT_ROW,
            .time_column = -1,
            .npartitions = p->npartitions,
            .external_watermark = true,
        };
        p->pipe0 = first;
        p->pipe = NULL;
        if ((rc = pipeline_create(&src1, &p->pipe))) {
            rc = fail(err, f->pos, rc, "cannot create the repartition stage");
            goto fail;
        }
    }
    struct operator_node *op;
    rc = operator_interval_join_create(pipeline_schema(p->pipe),
                                       pipeline_capacity(p->pipe), &j->cfg, &op,
                                       NULL);
    if (!rc)
        rc = pipeline_add_operator(p->pipe, op);
    if (rc) {
        rc = fail(err, f->pos, rc, "cannot build the join");
        goto fail;
    }
    /* An inner join's whole condition holds for every pair; its other
     * conjuncts (not keys, not bounds) filter the pairs. */
    if (type == JOIN_INNER && c.nrest &&
        (rc = planner_add_where(p, j->relation, on, err)))
        goto fail;
    if (!j->cross && s->where &&
        (rc = planner_add_where(p, j->relation, s->where, err)))
        goto fail;
    if ((rc = planner_add_output(q, p, j->relation, err)))
        goto fail;
    *out = p;
    return 0;
fail:
    plan_destroy(p);
    return rc;
}

void sql_join_plan_free(struct sql_join_plan *j)
{
    mem_free(j);
}

static const char *type_name(enum join_type t)
{
    switch (t) {
    case JOIN_LEFT:
        return "LEFT OUTER";
    case JOIN_RIGHT:
        return "RIGHT OUTER";
    case JOIN_FULL:
        return "FULL OUTER";
    default:
        return "INNER";
    }
}

void sql_join_explain(const struct plan *p, struct buf *out)
{
    const struct sql_join_plan *j = p->join;
    if (p->transient)
        buf_printf(out, "query: transient SELECT (rows to the terminal)\n");
    else
        buf_printf(out, "query: persistent, writes %s\n", p->sink);
    buf_printf(out,
               "%s%d task%s, task i reads partition i of topic %s and of "
               "topic %s (where it exists)\n",
               j->repartition ? "stage 0: " : "", p->npartitions,
               p->npartitions == 1 ? "" : "s", j->topic[0], j->topic[1]);
    for (int s = 0; s < 2; s++)
        buf_printf(out,
                   "source %d: %s AS %s (topic %s, %d partition%s, format "
                   "json), event time %s\n",
                   s, j->rel[s], j->qual[s], j->topic[s], j->parts[s],
                   j->parts[s] == 1 ? "" : "s", j->tcol[s]);
    buf_printf(out,
               "  watermark per partition = max(event time) - %" PRId64
               " ms (the larger delay of the two); query watermark = min "
               "over both streams' partitions\n",
               p->watermark_delay_ms);
    buf_printf(out, "  bad records: to topic %s.dlq, counted\n", p->input);
    if (j->repartition)
        buf_printf(out,
                   "repartition: both streams by the join key to topic %s "
                   "(%d partitions, binary rows)\nstage 1: %d tasks, one "
                   "per partition of topic %s; watermark = min over the "
                   "stage-0 tasks' markers\n",
                   p->repart_topic[0] ? p->repart_topic : "<id>-repartition",
                   p->npartitions, p->npartitions,
                   p->repart_topic[0] ? p->repart_topic : "<id>-repartition");
    if (j->temporal)
        buf_printf(out,
                   "temporal join: %s, keys %s; each %s row waits until the "
                   "watermark reaches its %s, then joins the version of %s "
                   "valid then (FOR SYSTEM_TIME AS OF); versions older than "
                   "one at or below the watermark are dropped\n",
                   type_name(j->cfg.type), j->keys_text, j->qual[0], j->tcol[0],
                   j->qual[1]);
    else if (j->windowed)
        buf_printf(out,
                   "window join: TUMBLE(size %" PRId64 " ms, offset %" PRId64
                   " ms) on both sides, %s, keys %s; rows meet within one "
                   "window, unmatched ones are emitted when it closes\n",
                   j->win_size, j->win_offset, type_name(j->cfg.type),
                   j->keys_text);
    else
        buf_printf(out,
                   "interval join: %s, keys %s; %s.%s - %s.%s in [%" PRId64
                   ", %" PRId64 "] ms\n",
                   type_name(j->cfg.type), j->keys_text, j->qual[0], j->tcol[0],
                   j->qual[1], j->tcol[1], j->cfg.lower_ms, j->cfg.upper_ms);
    if (j->ttl_ms)
        buf_printf(out,
                   "  a regular join with 'table.exec.state.ttl' = %" PRId64
                   " ms, read in event time: rows at most that far apart "
                   "join\n",
                   j->ttl_ms);
    buf_printf(out,
               "  state: each row until the watermark passes its interval; "
               "late rows (at or below the watermark): %s\n",
               p->late_topic[0] ? "to the late topic, counted" : "counted");
    if (p->where[0])
        buf_printf(out, "filter: %s\n", p->where);
    buf_printf(out, "project:");
    for (int c = 0; c < p->out_schema.ncolumns; c++)
        buf_printf(
            out, "%s %s %s = %s", c ? "," : "", p->out_schema.columns[c].name,
            schema_type_name(p->out_schema.columns[c].type), p->project[c]);
    buf_printf(out, "\n");
    if (p->transient)
        buf_printf(out, "sink: terminal, one JSON object per row\n");
    else
        buf_printf(out, "sink: topic of %s, JSON rows\n", p->sink);
}
