/* sql_exec_check.c - name checks of queries against the catalog
 * (layer: sql).
 *
 * Resolves every stream, table and column a SELECT names, with scopes for
 * FROM sources, aliases, window columns and subqueries, and collects the
 * relations it reads. Conservative: a name is an error only when it
 * resolves nowhere (the columns of subqueries in FROM and of
 * MATCH_RECOGNIZE are not known here, so any name resolves there; the
 * planner checks those). Types are the planner's.
 */
#include "sql/sql_exec_int.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"

struct source {
    const char *qual; /* alias, or the relation's name */
    const struct catalog_relation *rel;
    bool window; /* window_start, window_end, window_time */
    bool open;   /* columns unknown here: any name resolves */
};

struct scope {
    struct source src[SQL_EXEC_MAX_INPUTS];
    size_t n;
    bool overflow;
    const struct sql_select *sel; /* for item aliases */
    const struct scope *parent;
};

static int check_select(struct sql_exec_checker *ck,
                        const struct sql_select *sel,
                        const struct scope *parent);

static void add_input(struct sql_exec_checker *ck, const char *name)
{
    for (size_t i = 0; i < ck->ninputs; i++)
        if (strcasecmp(ck->inputs[i], name) == 0)
            return;
    if (ck->ninputs < SQL_EXEC_MAX_INPUTS)
        ck->inputs[ck->ninputs++] = name;
}

static void add_source(struct scope *sc, const char *qual,
                       const struct catalog_relation *rel, bool window,
                       bool open)
{
    if (sc->n == SQL_EXEC_MAX_INPUTS) {
        sc->overflow = true;
        return;
    }
    struct source *s = &sc->src[sc->n++];
    s->qual = qual;
    s->rel = rel;
    s->window = window;
    s->open = open;
}

static bool source_has(const struct source *s, const char *name)
{
    if (s->open)
        return true;
    if (s->window &&
        (!strcasecmp(name, "window_start") || !strcasecmp(name, "window_end") ||
         !strcasecmp(name, "window_time")))
        return true;
    return s->rel && schema_find(&s->rel->schema, name, strlen(name)) >= 0;
}

static const struct catalog_relation *
find_rel(struct sql_exec_checker *ck, const char *name, struct sql_pos pos)
{
    const struct catalog_relation *r =
        catalog_relation_find(ck->ex->o.catalog, name);
    if (!r)
        sql_exec_fail(ck->err, pos, ERR_NOT_FOUND,
                      "unknown stream or table '%s' (SHOW STREAMS lists them)",
                      name);
    else
        add_input(ck, r->name);
    return r;
}

static int check_expr(struct sql_exec_checker *ck, const struct sql_expr *e,
                      const struct scope *sc, bool aliases);

static int add_from(struct sql_exec_checker *ck, const struct sql_from *f,
                    struct scope *sc)
{
    if (!f)
        return 0;
    switch (f->kind) {
    case SQL_FROM_TABLE: {
        const struct catalog_relation *r = find_rel(ck, f->name, f->pos);
        if (!r)
            return ERR_NOT_FOUND;
        add_source(sc, f->alias ? f->alias : f->name, r, false, false);
        return 0;
    }
    case SQL_FROM_SUBQUERY: {
        int rc = check_select(ck, f->query, sc->parent);
        if (rc)
            return rc;
        add_source(sc, f->alias, NULL, false, true);
        return 0;
    }
    case SQL_FROM_WINDOW: {
        const struct sql_window *w = f->window;
        if (w->query) {
            /* TABLE (SELECT ...): its columns are the planner's to check */
            int rc = check_select(ck, w->query, sc->parent);
            if (rc)
                return rc;
            add_source(sc, f->alias, NULL, true, true);
            return 0;
        }
        const struct catalog_relation *r = find_rel(ck, w->table, f->pos);
        if (!r)
            return ERR_NOT_FOUND;
        int idx = schema_find(&r->schema, w->timecol, strlen(w->timecol));
        if (idx < 0)
            return sql_exec_fail(ck->err, f->pos, ERR_NOT_FOUND,
                                 "%s: DESCRIPTOR(%s) is not a column of %s",
                                 sql_ast_window_name(w->kind), w->timecol,
                                 r->name);
        if (r->schema.columns[idx].type != SCHEMA_TIMESTAMP)
            return sql_exec_fail(
                ck->err, f->pos, ERR_INVALID,
                "%s: DESCRIPTOR(%s) must be a TIMESTAMP(3) column, "
                "not %s",
                sql_ast_window_name(w->kind), w->timecol,
                schema_type_name(r->schema.columns[idx].type));
        struct scope inner;
        memset(&inner, 0, sizeof inner);
        add_source(&inner, w->table, r, false, false);
        for (size_t i = 0; i < w->npartition_by; i++) {
            int rc = check_expr(ck, w->partition_by[i], &inner, false);
            if (rc)
                return rc;
        }
        add_source(sc, f->alias ? f->alias : w->table, r, true, false);
        return 0;
    }
    case SQL_FROM_JOIN: {
        int rc = add_from(ck, f->left, sc);
        if (!rc)
            rc = add_from(ck, f->right, sc);
        return rc;
    }
    case SQL_FROM_MATCH: {
        struct scope inner;
        memset(&inner, 0, sizeof inner);
        inner.parent = sc->parent;
        int rc = add_from(ck, f->left, &inner);
        if (rc)
            return rc;
        add_source(sc, f->alias, NULL, false, true);
        return 0;
    }
    }
    return 0;
}

static int check_join_conditions(struct sql_exec_checker *ck,
                                 const struct sql_from *f,
                                 const struct scope *sc)
{
    if (!f || f->kind != SQL_FROM_JOIN)
        return 0;
    int rc = check_join_conditions(ck, f->left, sc);
    if (!rc)
        rc = check_join_conditions(ck, f->right, sc);
    if (!rc && f->on)
        rc = check_expr(ck, f->on, sc, false);
    return rc;
}

static bool scope_has(const struct scope *sc, const char *name, bool aliases)
{
    for (; sc; sc = sc->parent, aliases = false) {
        if (sc->overflow)
            return true;
        for (size_t i = 0; i < sc->n; i++)
            if (source_has(&sc->src[i], name))
                return true;
        if (aliases && sc->sel)
            for (size_t i = 0; i < sc->sel->nitems; i++)
                if (sc->sel->items[i].alias &&
                    !strcasecmp(sc->sel->items[i].alias, name))
                    return true;
    }
    return false;
}

static const struct source *scope_qual(const struct scope *sc, const char *qual)
{
    for (; sc; sc = sc->parent)
        for (size_t i = 0; i < sc->n; i++)
            if (sc->src[i].qual && !strcasecmp(sc->src[i].qual, qual))
                return &sc->src[i];
    return NULL;
}

static int unknown_column(struct sql_exec_checker *ck, const struct sql_expr *e,
                          const struct scope *sc, const char *name)
{
    char list[256] = "";
    size_t n = 0;
    for (size_t i = 0; i < sc->n && n + 2 < sizeof list; i++)
        if (sc->src[i].rel)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%s",
                                  n ? ", " : "", sc->src[i].rel->name);
    if (n >= sizeof list)
        n = sizeof list - 1;
    if (!sc->n)
        return sql_exec_fail(ck->err, e->pos, ERR_NOT_FOUND,
                             "unknown column '%s' (the query has no FROM)",
                             name);
    return sql_exec_fail(ck->err, e->pos, ERR_NOT_FOUND,
                         "unknown column '%s' (not in %s)", name, list);
}

static int check_column(struct sql_exec_checker *ck, const struct sql_expr *e,
                        const struct scope *sc, bool aliases)
{
    const char *first = e->parts[0];
    if (e->nparts >= 2) {
        const struct source *s = scope_qual(sc, first);
        if (s) {
            if (source_has(s, e->parts[1]))
                return 0;
            return sql_exec_fail(ck->err, e->pos, ERR_NOT_FOUND,
                                 "unknown column '%s' in %s", e->parts[1],
                                 first);
        }
        /* col.field: a nested field of a column. */
        if (scope_has(sc, first, aliases))
            return 0;
        return sql_exec_fail(ck->err, e->pos, ERR_NOT_FOUND,
                             "unknown stream, alias or column '%s'", first);
    }
    if (scope_has(sc, first, aliases))
        return 0;
    return unknown_column(ck, e, sc, first);
}

static int check_exprs(struct sql_exec_checker *ck, struct sql_expr *const *v,
                       size_t n, const struct scope *sc, bool aliases)
{
    for (size_t i = 0; i < n; i++) {
        int rc = check_expr(ck, v[i], sc, aliases);
        if (rc)
            return rc;
    }
    return 0;
}

static int check_expr(struct sql_exec_checker *ck, const struct sql_expr *e,
                      const struct scope *sc, bool aliases)
{
    if (!e)
        return 0;
    int rc = 0;
    switch (e->kind) {
    case SQL_EXPR_COLUMN:
        return check_column(ck, e, sc, aliases);
    case SQL_EXPR_STAR:
        if (e->nparts && !scope_qual(sc, e->parts[0]))
            return sql_exec_fail(ck->err, e->pos, ERR_NOT_FOUND,
                                 "unknown stream or alias '%s' in %s.*",
                                 e->parts[0], e->parts[0]);
        return 0;
    case SQL_EXPR_SUBQUERY:
        return check_select(ck, e->query, sc);
    case SQL_EXPR_CALL:
        /* EXTRACT(unit FROM x): the unit is a word, not a column. */
        if (e->text && !strcmp(e->text, "EXTRACT") && e->nargs == 2)
            return check_expr(ck, e->args[1], sc, aliases);
        break;
    default:
        break;
    }
    if (e->query)
        rc = check_select(ck, e->query, sc);
    if (!rc)
        rc = check_expr(ck, e->left, sc, aliases);
    if (!rc)
        rc = check_expr(ck, e->right, sc, aliases);
    if (!rc)
        rc = check_expr(ck, e->third, sc, aliases);
    if (!rc)
        rc = check_exprs(ck, e->args, e->nargs, sc, aliases);
    if (!rc)
        rc = check_expr(ck, e->filter, sc, aliases);
    if (!rc && e->over) {
        rc = check_exprs(ck, e->over->partition_by, e->over->npartition_by, sc,
                         aliases);
        for (size_t i = 0; !rc && i < e->over->norder_by; i++)
            rc = check_expr(ck, e->over->order_by[i].expr, sc, aliases);
    }
    return rc;
}

static int check_select(struct sql_exec_checker *ck,
                        const struct sql_select *sel,
                        const struct scope *parent)
{
    if (!sel)
        return 0;
    struct scope *sc = mem_calloc(1, sizeof(*sc));
    sc->parent = parent;
    sc->sel = sel;
    if (sel->union_all) {
        /* UNION ALL: each branch is a query of its own */
        int urc = check_select(ck, sel->union_all, parent);
        if (urc)
            return urc;
    }
    int rc = add_from(ck, sel->from, sc);
    if (!rc)
        rc = check_join_conditions(ck, sel->from, sc);
    for (size_t i = 0; !rc && i < sel->nitems; i++)
        rc = check_expr(ck, sel->items[i].expr, sc, false);
    if (!rc)
        rc = check_expr(ck, sel->where, sc, false);
    if (!rc)
        rc = check_exprs(ck, sel->group_by, sel->ngroup_by, sc, true);
    if (!rc)
        rc = check_expr(ck, sel->having, sc, true);
    for (size_t i = 0; !rc && i < sel->norder_by; i++)
        rc = check_expr(ck, sel->order_by[i].expr, sc, true);
    mem_free(sc);
    return rc;
}

int sql_exec_check_select(struct sql_exec_checker *ck,
                          const struct sql_select *sel)
{
    return check_select(ck, sel, NULL);
}
