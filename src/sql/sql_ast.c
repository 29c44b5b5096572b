/* sql_ast.c - S-expression printer for the SQL syntax tree (layer: sql).
 *
 * One canonical rendering per tree, used by the parser's table-driven tests
 * and by EXPLAIN: every operator is explicit, so precedence is visible,
 * e.g. "1 + 2 * 3" prints as "(+ 1 (* 2 3))". Intervals and timestamp
 * literals print their value in milliseconds. Not a SQL pretty-printer.
 */
#include "sql/sql_ast.h"

#include "base/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct out {
    char *p;
    size_t len, cap;
};

static void put(struct out *o, const char *s)
{
    size_t n = strlen(s);
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 128;
        while (cap < o->len + n + 1)
            cap *= 2;
        o->p = mem_realloc(o->p, cap);
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, n + 1);
    o->len += n;
}

static void putf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void putf(struct out *o, const char *fmt, ...)
{
    char small[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        put(o, small);
        return;
    }
    char *big = mem_alloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    put(o, big);
    mem_free(big);
}

static void put_quoted(struct out *o, const char *s)
{
    put(o, "'");
    for (const char *c = s; *c; c++) {
        char ch[2] = {*c, 0};
        put(o, *c == '\'' ? "''" : ch);
    }
    put(o, "'");
}

const char *sql_ast_op_name(enum sql_op op)
{
    switch (op) {
    case SQL_OP_OR:
        return "OR";
    case SQL_OP_AND:
        return "AND";
    case SQL_OP_NOT:
        return "NOT";
    case SQL_OP_EQ:
        return "=";
    case SQL_OP_NE:
        return "<>";
    case SQL_OP_LT:
        return "<";
    case SQL_OP_LE:
        return "<=";
    case SQL_OP_GT:
        return ">";
    case SQL_OP_GE:
        return ">=";
    case SQL_OP_CONCAT:
        return "||";
    case SQL_OP_ADD:
        return "+";
    case SQL_OP_SUB:
        return "-";
    case SQL_OP_MUL:
        return "*";
    case SQL_OP_DIV:
        return "/";
    case SQL_OP_MOD:
        return "%";
    case SQL_OP_NEG:
        return "-";
    case SQL_OP_PLUS:
        return "+";
    default:
        return "?";
    }
}

const char *sql_ast_unit_name(enum sql_time_unit unit)
{
    switch (unit) {
    case SQL_UNIT_MILLISECOND:
        return "MILLISECOND";
    case SQL_UNIT_SECOND:
        return "SECOND";
    case SQL_UNIT_MINUTE:
        return "MINUTE";
    case SQL_UNIT_HOUR:
        return "HOUR";
    case SQL_UNIT_DAY:
        return "DAY";
    default:
        return "";
    }
}

const char *sql_ast_window_name(enum sql_window_kind kind)
{
    switch (kind) {
    case SQL_WINDOW_TUMBLE:
        return "TUMBLE";
    case SQL_WINDOW_HOP:
        return "HOP";
    case SQL_WINDOW_CUMULATE:
        return "CUMULATE";
    case SQL_WINDOW_SESSION:
        return "SESSION";
    default:
        return "?";
    }
}

const char *sql_ast_object_name(enum sql_object object)
{
    switch (object) {
    case SQL_OBJECT_STREAM:
        return "STREAM";
    case SQL_OBJECT_TABLE:
        return "TABLE";
    case SQL_OBJECT_QUERY:
        return "QUERY";
    case SQL_OBJECT_TOPIC:
        return "TOPIC";
    default:
        return "?";
    }
}

static void type_out(struct out *o, const struct sql_type *t)
{
    static const char *const names[] = {
        [SQL_TYPE_STRING] = "STRING",
        [SQL_TYPE_VARCHAR] = "VARCHAR",
        [SQL_TYPE_BOOLEAN] = "BOOLEAN",
        [SQL_TYPE_TINYINT] = "TINYINT",
        [SQL_TYPE_SMALLINT] = "SMALLINT",
        [SQL_TYPE_INT] = "INT",
        [SQL_TYPE_BIGINT] = "BIGINT",
        [SQL_TYPE_FLOAT] = "FLOAT",
        [SQL_TYPE_DOUBLE] = "DOUBLE",
        [SQL_TYPE_DECIMAL] = "DECIMAL",
        [SQL_TYPE_DATE] = "DATE",
        [SQL_TYPE_TIMESTAMP] = "TIMESTAMP",
        [SQL_TYPE_TIMESTAMP_LTZ] = "TIMESTAMP_LTZ",
        [SQL_TYPE_BYTES] = "BYTES",
        [SQL_TYPE_ROW] = "ROW",
    };
    if (!t) {
        put(o, "?");
        return;
    }
    put(o, names[t->kind]);
    switch (t->kind) {
    case SQL_TYPE_VARCHAR:
        if (t->length)
            putf(o, "(%d)", t->length);
        break;
    case SQL_TYPE_DECIMAL:
        putf(o, "(%d,%d)", t->precision, t->scale);
        break;
    case SQL_TYPE_TIMESTAMP:
    case SQL_TYPE_TIMESTAMP_LTZ:
        putf(o, "(%d)", t->precision);
        break;
    case SQL_TYPE_ROW:
        put(o, "<");
        for (size_t i = 0; i < t->nfields; i++) {
            if (i)
                put(o, ", ");
            put(o, t->fields[i].name);
            put(o, " ");
            type_out(o, t->fields[i].type);
        }
        put(o, ">");
        break;
    default:
        break;
    }
}

static void select_out(struct out *o, const struct sql_select *s);

/* A name as is, or in backticks when it is not a plain word. */
static void name_out(struct out *o, const char *n)
{
    bool plain = *n && !(*n >= '0' && *n <= '9');
    for (const char *c = n; *c && plain; c++)
        plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                (*c >= '0' && *c <= '9') || *c == '_' ||
                (unsigned char)*c >= 0x80;
    if (plain) {
        put(o, n);
        return;
    }
    put(o, "`");
    for (const char *c = n; *c; c++) {
        char ch[2] = {*c, 0};
        put(o, *c == '`' ? "``" : ch);
    }
    put(o, "`");
}

static void expr_list_out(struct out *o, const char *tag,
                          struct sql_expr *const *list, size_t n);
static void order_out(struct out *o, const struct sql_order_item *list,
                      size_t n);
static void expr_out(struct out *o, const struct sql_expr *e);

static void over_out(struct out *o, const struct sql_over *w)
{
    put(o, " (over");
    if (w->name)
        putf(o, " %s", w->name);
    if (w->npartition_by)
        expr_list_out(o, "partition-by", w->partition_by, w->npartition_by);
    if (w->norder_by)
        order_out(o, w->order_by, w->norder_by);
    if (w->has_frame) {
        putf(o, " (%s ", w->rows ? "rows" : "range");
        if (w->preceding)
            expr_out(o, w->preceding);
        else
            put(o, "unbounded");
        put(o, ")");
    }
    put(o, ")");
}

static void expr_out(struct out *o, const struct sql_expr *e)
{
    if (!e) {
        put(o, "?");
        return;
    }
    switch (e->kind) {
    case SQL_EXPR_INT:
    case SQL_EXPR_DECIMAL:
    case SQL_EXPR_DOUBLE:
        put(o, e->text ? e->text : "?");
        break;
    case SQL_EXPR_STRING:
        put_quoted(o, e->text ? e->text : "");
        break;
    case SQL_EXPR_BOOL:
        put(o, e->ival ? "TRUE" : "FALSE");
        break;
    case SQL_EXPR_NULL:
        put(o, "NULL");
        break;
    case SQL_EXPR_INTERVAL:
        putf(o, "(interval %lld)", (long long)e->ival);
        break;
    case SQL_EXPR_TIMESTAMP:
        putf(o, "(timestamp %lld)", (long long)e->ival);
        break;
    case SQL_EXPR_COLUMN:
        for (size_t i = 0; i < e->nparts; i++) {
            if (i)
                put(o, ".");
            name_out(o, e->parts[i]);
        }
        break;
    case SQL_EXPR_STAR:
        if (e->nparts) {
            put(o, e->parts[0]);
            put(o, ".");
        }
        put(o, "*");
        break;
    case SQL_EXPR_UNARY:
        putf(o, "(%s ", sql_ast_op_name(e->op));
        expr_out(o, e->left);
        put(o, ")");
        break;
    case SQL_EXPR_BINARY:
        putf(o, "(%s ", sql_ast_op_name(e->op));
        expr_out(o, e->left);
        put(o, " ");
        expr_out(o, e->right);
        put(o, ")");
        break;
    case SQL_EXPR_IS_NULL:
        put(o, e->negated ? "(is-not-null " : "(is-null ");
        expr_out(o, e->left);
        put(o, ")");
        break;
    case SQL_EXPR_IN:
        put(o, e->negated ? "(not-in " : "(in ");
        expr_out(o, e->left);
        if (e->query) {
            put(o, " ");
            select_out(o, e->query);
        }
        for (size_t i = 0; i < e->nargs; i++) {
            put(o, " ");
            expr_out(o, e->args[i]);
        }
        put(o, ")");
        break;
    case SQL_EXPR_BETWEEN:
        put(o, e->negated ? "(not-between " : "(between ");
        expr_out(o, e->left);
        put(o, " ");
        expr_out(o, e->right);
        put(o, " ");
        expr_out(o, e->third);
        put(o, ")");
        break;
    case SQL_EXPR_LIKE:
        put(o, e->negated ? "(not-like " : "(like ");
        expr_out(o, e->left);
        put(o, " ");
        expr_out(o, e->right);
        if (e->third) {
            put(o, " ");
            expr_out(o, e->third);
        }
        put(o, ")");
        break;
    case SQL_EXPR_CASE:
        put(o, "(case");
        if (e->left) {
            put(o, " ");
            expr_out(o, e->left);
        }
        for (size_t i = 0; i + 1 < e->nargs; i += 2) {
            put(o, " (when ");
            expr_out(o, e->args[i]);
            put(o, " ");
            expr_out(o, e->args[i + 1]);
            put(o, ")");
        }
        if (e->right) {
            put(o, " (else ");
            expr_out(o, e->right);
            put(o, ")");
        }
        put(o, ")");
        break;
    case SQL_EXPR_CAST:
        put(o, e->negated ? "(try-cast " : "(cast ");
        expr_out(o, e->left);
        put(o, " ");
        type_out(o, e->type);
        put(o, ")");
        break;
    case SQL_EXPR_CALL:
        putf(o, "(%s", e->text ? e->text : "?");
        if (e->star)
            put(o, " *");
        if (e->distinct)
            put(o, " distinct");
        for (size_t i = 0; i < e->nargs; i++) {
            put(o, " ");
            expr_out(o, e->args[i]);
        }
        if (e->filter) {
            put(o, " (filter ");
            expr_out(o, e->filter);
            put(o, ")");
        }
        if (e->over)
            over_out(o, e->over);
        put(o, ")");
        break;
    case SQL_EXPR_SUBQUERY:
        put(o, "(subquery ");
        select_out(o, e->query);
        put(o, ")");
        break;
    }
}

static void expr_list_out(struct out *o, const char *tag,
                          struct sql_expr *const *list, size_t n)
{
    putf(o, " (%s", tag);
    for (size_t i = 0; i < n; i++) {
        put(o, " ");
        expr_out(o, list[i]);
    }
    put(o, ")");
}

static void order_out(struct out *o, const struct sql_order_item *list,
                      size_t n)
{
    put(o, " (order-by");
    for (size_t i = 0; i < n; i++) {
        put(o, " (");
        expr_out(o, list[i].expr);
        put(o, list[i].desc ? " desc)" : " asc)");
    }
    put(o, ")");
}

static void item_out(struct out *o, const struct sql_select_item *it)
{
    if (it->alias) {
        put(o, "(as ");
        expr_out(o, it->expr);
        put(o, " ");
        name_out(o, it->alias);
        put(o, ")");
    } else {
        expr_out(o, it->expr);
    }
}

static void pattern_out(struct out *o, const struct sql_pattern *pt, bool top)
{
    if (!pt) {
        put(o, "?");
        return;
    }
    bool quant = pt->min != 1 || pt->max != 1;
    if (pt->kind == SQL_PATTERN_VAR) {
        put(o, pt->name);
    } else if (pt->kind == SQL_PATTERN_PERMUTE) {
        put(o, "PERMUTE(");
        for (size_t i = 0; i < pt->nitems; i++) {
            if (i)
                put(o, ", ");
            pattern_out(o, pt->items[i], true);
        }
        put(o, ")");
    } else {
        bool parens = !top || quant;
        if (parens)
            put(o, "(");
        for (size_t i = 0; i < pt->nitems; i++) {
            if (i)
                put(o, pt->kind == SQL_PATTERN_ALT ? " | " : " ");
            pattern_out(o, pt->items[i],
                        pt->kind == SQL_PATTERN_ALT &&
                            pt->items[i]->kind == SQL_PATTERN_SEQ &&
                            pt->items[i]->min == 1 && pt->items[i]->max == 1);
        }
        if (parens)
            put(o, ")");
    }
    if (!quant)
        return;
    if (pt->min == 0 && pt->max == -1)
        put(o, "*");
    else if (pt->min == 1 && pt->max == -1)
        put(o, "+");
    else if (pt->min == 0 && pt->max == 1)
        put(o, "?");
    else if (pt->max == -1)
        putf(o, "{%d,}", pt->min);
    else if (pt->min == pt->max)
        putf(o, "{%d}", pt->min);
    else
        putf(o, "{%d,%d}", pt->min, pt->max);
    if (pt->reluctant)
        put(o, "?");
}

static void match_out(struct out *o, const struct sql_match *m)
{
    if (m->npartition_by)
        expr_list_out(o, "partition-by", m->partition_by, m->npartition_by);
    if (m->norder_by)
        order_out(o, m->order_by, m->norder_by);
    if (m->nmeasures) {
        put(o, " (measures");
        for (size_t i = 0; i < m->nmeasures; i++) {
            put(o, " ");
            item_out(o, &m->measures[i]);
        }
        put(o, ")");
    }
    if (m->all_rows)
        put(o, " (rows all)");
    else if (m->timeout_rows)
        put(o, " (rows one-with-timeout)");
    static const char *const skips[] = {"past-last-row", "to-next-row",
                                        "to-first", "to-last"};
    putf(o, " (skip %s", skips[m->skip]);
    if (m->skip_var)
        putf(o, " %s", m->skip_var);
    put(o, ") (pattern ");
    pattern_out(o, m->pattern, true);
    put(o, ")");
    if (m->within) {
        put(o, " (within ");
        expr_out(o, m->within);
        put(o, ")");
    }
    if (m->ndefines) {
        put(o, " (define");
        for (size_t i = 0; i < m->ndefines; i++) {
            putf(o, " (%s ", m->defines[i].var);
            expr_out(o, m->defines[i].cond);
            put(o, ")");
        }
        put(o, ")");
    }
}

static void from_out(struct out *o, const struct sql_from *f)
{
    if (!f) {
        put(o, "?");
        return;
    }
    if (f->alias)
        put(o, "(as ");
    switch (f->kind) {
    case SQL_FROM_TABLE:
        put(o, "(table ");
        name_out(o, f->name);
        if (f->as_of) {
            put(o, " (as-of ");
            expr_out(o, f->as_of);
            put(o, ")");
        }
        put(o, ")");
        break;
    case SQL_FROM_SUBQUERY:
        select_out(o, f->query);
        break;
    case SQL_FROM_WINDOW: {
        const struct sql_window *w = f->window;
        putf(o, "(%s %s", sql_ast_window_name(w->kind),
             w->table ? w->table : "?");
        if (w->npartition_by)
            expr_list_out(o, "partition-by", w->partition_by, w->npartition_by);
        putf(o, " (timecol %s)", w->timecol ? w->timecol : "?");
        const struct {
            const char *tag;
            const struct sql_expr *e;
        } args[] = {{"slide", w->slide},
                    {"step", w->step},
                    {"size", w->size},
                    {"gap", w->gap},
                    {"offset", w->offset}};
        for (size_t i = 0; i < sizeof args / sizeof args[0]; i++) {
            if (!args[i].e)
                continue;
            putf(o, " (%s ", args[i].tag);
            expr_out(o, args[i].e);
            put(o, ")");
        }
        put(o, ")");
        break;
    }
    case SQL_FROM_JOIN: {
        static const char *const kinds[] = {"inner", "left", "right", "full",
                                            "cross"};
        putf(o, "(join %s ", kinds[f->join]);
        from_out(o, f->left);
        put(o, " ");
        from_out(o, f->right);
        if (f->on) {
            put(o, " ");
            expr_out(o, f->on);
        }
        put(o, ")");
        break;
    }
    case SQL_FROM_MATCH:
        put(o, "(match-recognize ");
        from_out(o, f->left);
        match_out(o, f->match);
        put(o, ")");
        break;
    }
    if (f->alias) {
        put(o, " ");
        name_out(o, f->alias);
        put(o, ")");
    }
}

static void select_out(struct out *o, const struct sql_select *s)
{
    if (!s) {
        put(o, "?");
        return;
    }
    put(o, s->distinct ? "(select distinct (items" : "(select (items");
    for (size_t i = 0; i < s->nitems; i++) {
        put(o, " ");
        item_out(o, &s->items[i]);
    }
    put(o, ")");
    if (s->from) {
        put(o, " (from ");
        from_out(o, s->from);
        put(o, ")");
    }
    if (s->where) {
        put(o, " (where ");
        expr_out(o, s->where);
        put(o, ")");
    }
    if (s->ngroup_by)
        expr_list_out(o, "group-by", s->group_by, s->ngroup_by);
    if (s->having) {
        put(o, " (having ");
        expr_out(o, s->having);
        put(o, ")");
    }
    for (size_t i = 0; i < s->nwindows; i++) {
        putf(o, " (window %s", s->windows[i].name);
        over_out(o, s->windows[i].over);
        put(o, ")");
    }
    if (s->norder_by)
        order_out(o, s->order_by, s->norder_by);
    if (s->emit == SQL_EMIT_CHANGES)
        put(o, " (emit changes)");
    else if (s->emit == SQL_EMIT_FINAL)
        put(o, " (emit final)");
    if (s->allowed_lateness) {
        put(o, " (lateness ");
        expr_out(o, s->allowed_lateness);
        put(o, ")");
    }
    if (s->late_into)
        putf(o, " (late-into %s)", s->late_into);
    if (s->limit >= 0)
        putf(o, " (limit %lld)", (long long)s->limit);
    put(o, ")");
}

static void options_out(struct out *o, const struct sql_stmt *s)
{
    if (!s->noptions)
        return;
    put(o, " (with");
    for (size_t i = 0; i < s->noptions; i++) {
        put(o, " (");
        put_quoted(o, s->options[i].key);
        put(o, " ");
        put_quoted(o, s->options[i].value);
        put(o, ")");
    }
    put(o, ")");
}

static void stmt_out(struct out *o, const struct sql_stmt *s)
{
    if (!s) {
        put(o, "?");
        return;
    }
    switch (s->kind) {
    case SQL_STMT_CREATE_STREAM:
    case SQL_STMT_CREATE_TABLE:
        putf(o, "(%s %s",
             s->kind == SQL_STMT_CREATE_STREAM ? "create-stream"
                                               : "create-table",
             s->name);
        if (s->if_not_exists)
            put(o, " if-not-exists");
        put(o, " (columns");
        for (size_t i = 0; i < s->ncolumns; i++) {
            const struct sql_column *c = &s->columns[i];
            putf(o, " (%s ", c->name);
            if (c->computed) {
                put(o, "(as ");
                expr_out(o, c->computed);
                put(o, ")");
            } else {
                type_out(o, c->type);
            }
            if (c->not_null)
                put(o, " not-null");
            if (c->metadata)
                put(o, " metadata");
            if (c->path) {
                put(o, " (from ");
                put_quoted(o, c->path);
                put(o, ")");
            }
            put(o, ")");
        }
        put(o, ")");
        if (s->watermark_column) {
            putf(o, " (watermark %s ", s->watermark_column);
            expr_out(o, s->watermark);
            put(o, ")");
        }
        options_out(o, s);
        put(o, ")");
        break;
    case SQL_STMT_CREATE_STREAM_AS:
    case SQL_STMT_CREATE_TABLE_AS:
        putf(o, "(%s %s",
             s->kind == SQL_STMT_CREATE_STREAM_AS ? "create-stream-as"
                                                  : "create-table-as",
             s->name);
        if (s->if_not_exists)
            put(o, " if-not-exists");
        options_out(o, s);
        put(o, " ");
        select_out(o, s->query);
        put(o, ")");
        break;
    case SQL_STMT_INSERT:
        putf(o, "(insert %s ", s->name);
        select_out(o, s->query);
        put(o, ")");
        break;
    case SQL_STMT_SELECT:
        select_out(o, s->query);
        break;
    case SQL_STMT_DROP:
        putf(o, "(drop %s %s%s)", sql_ast_object_name(s->object), s->name,
             s->if_exists ? " if-exists" : "");
        break;
    case SQL_STMT_SHOW:
        putf(o, "(show %s)",
             s->object == SQL_OBJECT_QUERY   ? "QUERIES"
             : s->object == SQL_OBJECT_TABLE ? "TABLES"
             : s->object == SQL_OBJECT_TOPIC ? "TOPICS"
                                             : "STREAMS");
        break;
    case SQL_STMT_DESCRIBE:
        putf(o, "(describe %s%s)", s->name, s->json ? " json" : "");
        break;
    case SQL_STMT_EXPLAIN_WATERMARK:
        putf(o, "(explain-watermark %s)", s->name);
        break;
    case SQL_STMT_STOP_QUERY:
        putf(o, "(stop-query %s)", s->name);
        break;
    case SQL_STMT_RESUME_QUERY:
        putf(o, "(resume-query %s)", s->name);
        break;
    case SQL_STMT_EXPLAIN:
        put(o, "(explain ");
        stmt_out(o, s->inner);
        put(o, ")");
        break;
    case SQL_STMT_SET:
        put(o, "(set ");
        put_quoted(o, s->key);
        put(o, " ");
        put_quoted(o, s->value);
        put(o, ")");
        break;
    }
}

char *sql_ast_format_stmt(const struct sql_stmt *stmt)
{
    struct out o = {NULL, 0, 0};
    put(&o, "");
    stmt_out(&o, stmt);
    return o.p;
}

char *sql_ast_format_expr(const struct sql_expr *expr)
{
    struct out o = {NULL, 0, 0};
    put(&o, "");
    expr_out(&o, expr);
    return o.p;
}

char *sql_ast_format_type(const struct sql_type *type)
{
    struct out o = {NULL, 0, 0};
    put(&o, "");
    type_out(&o, type);
    return o.p;
}
