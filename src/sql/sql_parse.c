/* sql_parse.c - recursive-descent parser for rill's SQL: tokens and
 * errors, statements, SELECT, FROM (window functions, joins,
 * MATCH_RECOGNIZE), and the entry points (layer: sql).
 *
 * Reads tokens on demand (up to four of lookahead) and builds sql_ast.h
 * nodes in the caller's arena. Errors are sticky: the first one is kept,
 * after it every lookahead is end-of-input, so each rule unwinds through
 * its ordinary loops without a check after every call, and nodes are never
 * NULL where the tree promises a node. Expressions and types are in
 * sql_parse_expr.c. Name resolution is not done here.
 */
#include "sql/sql_parse.h"
#include "sql/sql_parse_int.h"

#include "base/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Words that cannot be bare names (aliases, columns); quote them to use
 * them as names. Kept short: `value`, `key`, `timestamp` stay usable. */
static const char *const reserved[] = {
    "ALL",      "ALLOWED",  "AND",    "AS",     "ASC",      "BETWEEN",
    "BY",       "CASE",     "CAST",   "CREATE", "CROSS",    "DESC",
    "DESCRIBE", "DISTINCT", "DROP",   "ELSE",   "EMIT",     "END",
    "ESCAPE",   "EXPLAIN",  "FALSE",  "FROM",   "FULL",     "GROUP",
    "HAVING",   "IN",       "INNER",  "INSERT", "INTERVAL", "INTO",
    "IS",       "JOIN",     "LEFT",   "LIKE",   "LIMIT",    "MATCH_RECOGNIZE",
    "NOT",      "NULL",     "ON",     "OR",     "ORDER",    "OUTER",
    "OVER",     "RIGHT",    "SELECT", "SET",    "SHOW",     "TABLE",
    "THEN",     "TRUE",     "UNION",  "WHEN",   "WHERE",    "WINDOW",
    "WITH",
};

/* ---- errors and tokens ---- */

static void verror(struct parser *p, struct sql_pos pos, const char *fmt,
                   va_list ap)
{
    if (p->failed)
        return;
    p->failed = true;
    p->eof.pos = pos;
    struct sql_error *e = p->err;
    int n = snprintf(e->message, sizeof e->message,
                     "line %d, column %d: ", pos.line, pos.column);
    if (n > 0 && (size_t)n < sizeof e->message)
        vsnprintf(e->message + n, sizeof e->message - (size_t)n, fmt, ap);
    e->pos = pos;
}

void sql_parse_error_at(struct parser *p, struct sql_pos pos, const char *fmt,
                        ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(p, pos, fmt, ap);
    va_end(ap);
}

const struct sql_token *sql_parse_peek(struct parser *p, int k)
{
    if (p->failed)
        return &p->eof;
    while (p->nlook <= k) {
        struct sql_token *t = &p->look[p->nlook];
        if (sql_lex_next(&p->lx, t, p->err) < 0) {
            p->failed = true;
            p->eof.pos = p->err->pos;
            return &p->eof;
        }
        p->nlook++;
    }
    return &p->look[k];
}

struct sql_token sql_parse_next(struct parser *p)
{
    struct sql_token t = *peek(p, 0);
    if (p->failed)
        return t;
    if (t.kind != SQL_TOK_EOF) {
        memmove(&p->look[0], &p->look[1],
                (size_t)(p->nlook - 1) * sizeof p->look[0]);
        p->nlook--;
        p->last_end = t.pos.offset + t.len;
    }
    return t;
}

/* "'WATERMARK'", "end of input", "string 'abc'". */
static void describe(const struct sql_token *t, char *out, size_t cap)
{
    if (t->kind == SQL_TOK_EOF) {
        snprintf(out, cap, "end of input");
        return;
    }
    int n = t->len > 40 ? 40 : (int)t->len;
    const char *more = t->len > 40 ? "..." : "";
    if (t->kind == SQL_TOK_STRING)
        snprintf(out, cap, "string %.*s%s", n, t->start, more);
    else
        snprintf(out, cap, "'%.*s%s'", n, t->start, more);
}

void sql_parse_expected(struct parser *p, const char *what)
{
    const struct sql_token *t = peek(p, 0);
    if (p->failed)
        return;
    char found[64];
    describe(t, found, sizeof found);
    sql_parse_error_at(p, t->pos, "expected %s, found %s", what, found);
}

bool sql_parse_enter(struct parser *p)
{
    if (++p->nesting > SQL_PARSE_MAX_NESTING) {
        sql_parse_error_at(p, peek(p, 0)->pos,
                           "nesting too deep (more than %d levels)",
                           SQL_PARSE_MAX_NESTING);
        return false;
    }
    return !p->failed;
}

bool sql_parse_is_reserved(const char *w)
{
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcasecmp(w, reserved[i]) == 0)
            return true;
    return false;
}

/* A bare word that is not reserved, or a quoted identifier. */
bool sql_parse_is_name(struct parser *p, int k)
{
    const struct sql_token *t = peek(p, k);
    return t->kind == SQL_TOK_QIDENT ||
           (t->kind == SQL_TOK_WORD && !is_reserved(t->value));
}

const char *sql_parse_name(struct parser *p, const char *what)
{
    if (is_name(p, 0))
        return next(p).value;
    expected(p, what);
    return "";
}

/* The source text from byte `start` to the end of the last token. */
static const char *source(struct parser *p, size_t start)
{
    size_t end = p->last_end > start ? p->last_end : start;
    return arena_strndup(p->arena, p->lx.text + start, end - start);
}

/* Grows an arena array of n elements to hold one more. */
void *sql_parse_grow(struct parser *p, void *arr, size_t n, size_t *cap,
                     size_t elsize)
{
    if (n < *cap)
        return arr;
    size_t nc = *cap ? *cap * 2 : 4;
    void *na = arena_alloc(p->arena, nc * elsize);
    if (n)
        memcpy(na, arr, n * elsize);
    *cap = nc;
    return na;
}

/* The value of an INTEGER token; false above INT64_MAX. The token's bytes
 * are not NUL-terminated, so strtol() is not an option. */
bool sql_parse_tok_int(const struct sql_token *t, int64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < t->len; i++) {
        unsigned d = (unsigned)(t->start[i] - '0');
        if (d > 9 || x > ((uint64_t)INT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *v = (int64_t)x;
    return true;
}

/* ---- SELECT ---- */

static const char *opt_alias(struct parser *p)
{
    if (accept_kw(p, "AS"))
        return name(p, "an alias after AS");
    if (is_name(p, 0))
        return next(p).value;
    return NULL;
}

struct sql_order_item *sql_parse_rule_order_list(struct parser *p, size_t *n)
{
    struct sql_order_item *list = NULL;
    size_t cap = 0;
    *n = 0;
    do {
        list = grow(p, list, *n, &cap, sizeof *list);
        struct sql_order_item *o = &list[(*n)++];
        o->expr = parse_expr(p);
        o->desc = false;
        if (accept_kw(p, "DESC"))
            o->desc = true;
        else
            accept_kw(p, "ASC");
    } while (accept(p, SQL_TOK_COMMA));
    return list;
}

enum win_arg {
    ARG_DATA,
    ARG_TIMECOL,
    ARG_SIZE,
    ARG_SLIDE,
    ARG_STEP,
    ARG_GAP,
    ARG_OFFSET,
    ARG_NONE
};

static const char *const win_arg_names[] = {"DATA", "TIMECOL", "SIZE",  "SLIDE",
                                            "STEP", "GAP",     "OFFSET"};

static void window_data(struct parser *p, struct sql_window *w)
{
    expect_kw(p, "TABLE",
              "TABLE before the input name, e.g. TABLE "
              "readings");
    if (accept(p, SQL_TOK_LPAREN)) {
        /* TABLE (SELECT ...): a window over a subquery (cascaded windows) */
        if (!is_kw(p, 0, "SELECT"))
            expected(p, "SELECT in a subquery");
        w->query = parse_query(p);
        expect(p, SQL_TOK_RPAREN, "')' after the subquery");
        w->table = "(subquery)";
    } else {
        w->table = name(p, "a stream name after TABLE");
    }
    if (accept_kw(p, "PARTITION")) {
        expect_kw(p, "BY", "BY after PARTITION");
        if (accept(p, SQL_TOK_LPAREN)) {
            w->partition_by = expr_list(p, &w->npartition_by);
            expect(p, SQL_TOK_RPAREN, "',' or ')' after PARTITION BY keys");
        } else {
            w->partition_by = alloc(p, sizeof *w->partition_by);
            w->partition_by[0] = parse_expr(p);
            w->npartition_by = 1;
        }
    }
}

static struct sql_window *parse_window(struct parser *p)
{
    static const enum win_arg order[4][5] = {
        [SQL_WINDOW_TUMBLE] = {ARG_DATA, ARG_TIMECOL, ARG_SIZE, ARG_OFFSET,
                               ARG_NONE},
        [SQL_WINDOW_HOP] = {ARG_DATA, ARG_TIMECOL, ARG_SLIDE, ARG_SIZE,
                            ARG_OFFSET},
        [SQL_WINDOW_CUMULATE] = {ARG_DATA, ARG_TIMECOL, ARG_STEP, ARG_SIZE,
                                 ARG_OFFSET},
        [SQL_WINDOW_SESSION] = {ARG_DATA, ARG_TIMECOL, ARG_GAP, ARG_NONE,
                                ARG_NONE},
    };
    struct sql_window *w = alloc(p, sizeof *w);
    const struct sql_token *t = peek(p, 0);
    struct sql_pos fpos = t->pos;
    int k = -1;
    for (int i = 0; i < 4 && t->kind == SQL_TOK_WORD; i++)
        if (strcasecmp(t->value, sql_ast_window_name(i)) == 0)
            k = i;
    if (k < 0) {
        expected(p, "a window function (TUMBLE, HOP, CUMULATE or SESSION)");
        return w;
    }
    w->kind = (enum sql_window_kind)k;
    const char *fname = sql_ast_window_name(w->kind);
    next(p);
    expect(p, SQL_TOK_LPAREN, "'(' after the window function");
    bool seen[ARG_NONE] = {false};
    size_t idx = 0;
    do {
        if (p->failed)
            break;
        const struct sql_token *a = peek(p, 0);
        struct sql_pos apos = a->pos;
        enum win_arg arg = ARG_NONE;
        if ((a->kind == SQL_TOK_WORD || a->kind == SQL_TOK_QIDENT) &&
            is(p, 1, SQL_TOK_ARROW)) {
            for (int i = 0; i < ARG_NONE; i++)
                if (strcasecmp(a->value, win_arg_names[i]) == 0)
                    arg = (enum win_arg)i;
            bool valid = false;
            for (int i = 0; i < 5 && arg != ARG_NONE; i++)
                valid |= order[k][i] == arg;
            if (!valid) {
                sql_parse_error_at(p, apos, "%s has no argument named %.40s",
                                   fname, a->value);
                break;
            }
            next(p);
            next(p);
        } else {
            if (idx >= 5 || order[k][idx] == ARG_NONE) {
                sql_parse_error_at(p, apos, "too many arguments to %s", fname);
                break;
            }
            arg = order[k][idx];
        }
        idx++;
        if (seen[arg]) {
            sql_parse_error_at(p, apos, "%s argument %s given twice", fname,
                               win_arg_names[arg]);
            break;
        }
        seen[arg] = true;
        switch (arg) {
        case ARG_DATA:
            window_data(p, w);
            break;
        case ARG_TIMECOL:
            expect_kw(p, "DESCRIPTOR",
                      "DESCRIPTOR(time column) as the second argument");
            expect(p, SQL_TOK_LPAREN, "'(' after DESCRIPTOR");
            w->timecol = name(p, "a time column in DESCRIPTOR");
            expect(p, SQL_TOK_RPAREN, "')' after the DESCRIPTOR column");
            break;
        case ARG_SIZE:
            w->size = parse_expr(p);
            break;
        case ARG_SLIDE:
            w->slide = parse_expr(p);
            break;
        case ARG_STEP:
            w->step = parse_expr(p);
            break;
        case ARG_GAP:
            w->gap = parse_expr(p);
            break;
        case ARG_OFFSET:
            w->offset = parse_expr(p);
            break;
        case ARG_NONE:
            break;
        }
    } while (accept(p, SQL_TOK_COMMA));
    struct sql_pos close = peek(p, 0)->pos;
    expect(p, SQL_TOK_RPAREN, "',' or ')' after the window arguments");
    for (int i = 0; i < 5 && !p->failed; i++) {
        enum win_arg need = order[k][i];
        if (need == ARG_NONE || need == ARG_OFFSET || seen[need])
            continue;
        sql_parse_error_at(p, close, "%s needs its %s argument%s", fname,
                           win_arg_names[need],
                           need == ARG_DATA      ? " (TABLE name)"
                           : need == ARG_TIMECOL ? " (DESCRIPTOR(time column))"
                                                 : " (an INTERVAL)");
    }
    (void)fpos;
    return w;
}

static struct sql_pattern *parse_pattern_alt(struct parser *p);

static void quantifier(struct parser *p, struct sql_pattern *n)
{
    n->min = n->max = 1;
    if (accept(p, SQL_TOK_STAR)) {
        n->min = 0;
        n->max = -1;
    } else if (accept(p, SQL_TOK_PLUS)) {
        n->max = -1;
    } else if (accept(p, SQL_TOK_QUESTION)) {
        n->min = 0;
    } else if (accept(p, SQL_TOK_LBRACE)) {
        n->min = 0;
        n->max = -1;
        if (is(p, 0, SQL_TOK_INTEGER))
            n->min = n->max = int_arg(p, 0, 1000000, "a repeat count");
        if (accept(p, SQL_TOK_COMMA)) {
            n->max = -1;
            if (is(p, 0, SQL_TOK_INTEGER))
                n->max = int_arg(p, 0, 1000000, "a repeat count");
        }
        if (n->max >= 0 && n->max < n->min)
            sql_parse_error_at(p, peek(p, 0)->pos,
                               "quantifier maximum below its minimum");
        expect(p, SQL_TOK_RBRACE, "'}' after the quantifier");
    } else {
        return;
    }
    if (accept(p, SQL_TOK_QUESTION))
        n->reluctant = true;
}

static struct sql_pattern *parse_pattern_seq(struct parser *p)
{
    struct sql_pattern *seq = alloc(p, sizeof *seq);
    seq->kind = SQL_PATTERN_SEQ;
    seq->pos = peek(p, 0)->pos;
    seq->min = seq->max = 1;
    size_t cap = 0;
    while (!p->failed) {
        struct sql_pattern *n;
        struct sql_pos pos = peek(p, 0)->pos;
        if (accept(p, SQL_TOK_LPAREN)) {
            n = parse_pattern_alt(p);
            expect(p, SQL_TOK_RPAREN, "')' after the pattern group");
        } else if (is_kw(p, 0, "PERMUTE") && is(p, 1, SQL_TOK_LPAREN)) {
            /* PERMUTE(a, b, ...): each item a pattern */
            next(p);
            next(p);
            n = alloc(p, sizeof *n);
            n->kind = SQL_PATTERN_PERMUTE;
            size_t pcap = 0;
            do {
                n->items =
                    grow(p, n->items, n->nitems, &pcap, sizeof *n->items);
                n->items[n->nitems++] = parse_pattern_alt(p);
            } while (!p->failed && accept(p, SQL_TOK_COMMA));
            expect(p, SQL_TOK_RPAREN, "')' after PERMUTE's items");
        } else if (is_name(p, 0)) {
            n = alloc(p, sizeof *n);
            n->kind = SQL_PATTERN_VAR;
            n->name = next(p).value;
        } else {
            break;
        }
        n->pos = pos;
        quantifier(p, n);
        seq->items = grow(p, seq->items, seq->nitems, &cap, sizeof *seq->items);
        seq->items[seq->nitems++] = n;
    }
    if (seq->nitems == 0) {
        const struct sql_token *t = peek(p, 0);
        if (t->kind == SQL_TOK_STAR || t->kind == SQL_TOK_PLUS ||
            t->kind == SQL_TOK_QUESTION || t->kind == SQL_TOK_LBRACE)
            sql_parse_error_at(p, t->pos,
                               "a quantifier on nothing (it follows a "
                               "pattern variable or a group)");
        else
            expected(p, "a pattern variable");
    }
    return seq;
}

static struct sql_pattern *parse_pattern_alt(struct parser *p)
{
    struct sql_pattern *first = NULL, *alt = NULL;
    size_t cap = 0;
    if (!enter(p)) {
        leave(p);
        first = alloc(p, sizeof *first);
        first->kind = SQL_PATTERN_SEQ;
        return first;
    }
    first = parse_pattern_seq(p);
    while (accept(p, SQL_TOK_PIPE)) {
        if (!alt) {
            alt = alloc(p, sizeof *alt);
            alt->kind = SQL_PATTERN_ALT;
            alt->pos = first->pos;
            alt->min = alt->max = 1;
            alt->items = grow(p, NULL, 0, &cap, sizeof *alt->items);
            alt->items[alt->nitems++] = first;
        }
        alt->items = grow(p, alt->items, alt->nitems, &cap, sizeof *alt->items);
        alt->items[alt->nitems++] = parse_pattern_seq(p);
    }
    leave(p);
    return alt ? alt : first;
}

static struct sql_match *parse_match(struct parser *p)
{
    struct sql_match *m = alloc(p, sizeof *m);
    expect(p, SQL_TOK_LPAREN, "'(' after MATCH_RECOGNIZE");
    if (accept_kw(p, "PARTITION")) {
        expect_kw(p, "BY", "BY after PARTITION");
        m->partition_by = expr_list(p, &m->npartition_by);
    }
    if (accept_kw(p, "ORDER")) {
        expect_kw(p, "BY", "BY after ORDER");
        m->order_by = order_list(p, &m->norder_by);
    }
    if (accept_kw(p, "MEASURES")) {
        size_t cap = 0;
        do {
            m->measures =
                grow(p, m->measures, m->nmeasures, &cap, sizeof *m->measures);
            struct sql_select_item *it = &m->measures[m->nmeasures++];
            size_t start = peek(p, 0)->pos.offset;
            it->expr = parse_expr(p);
            it->text = source(p, start);
            expect_kw(p, "AS", "AS name after a measure");
            it->alias = name(p, "a measure name");
        } while (accept(p, SQL_TOK_COMMA));
    }
    if (accept_kw(p, "ONE")) {
        expect_kw(p, "ROW", "ROW in ONE ROW PER MATCH");
        expect_kw(p, "PER", "PER in ONE ROW PER MATCH");
        expect_kw(p, "MATCH", "MATCH in ONE ROW PER MATCH");
        if (accept_kw(p, "WITH")) {
            expect_kw(p, "TIMEOUT", "TIMEOUT in WITH TIMEOUT ROWS");
            expect_kw(p, "ROWS", "ROWS in WITH TIMEOUT ROWS");
            m->timeout_rows = true;
        }
    } else if (accept_kw(p, "ALL")) {
        expect_kw(p, "ROWS", "ROWS in ALL ROWS PER MATCH");
        expect_kw(p, "PER", "PER in ALL ROWS PER MATCH");
        expect_kw(p, "MATCH", "MATCH in ALL ROWS PER MATCH");
        m->all_rows = true;
    }
    if (accept_kw(p, "AFTER")) {
        expect_kw(p, "MATCH", "MATCH in AFTER MATCH SKIP");
        expect_kw(p, "SKIP", "SKIP in AFTER MATCH SKIP");
        if (accept_kw(p, "PAST")) {
            expect_kw(p, "LAST", "LAST in SKIP PAST LAST ROW");
            expect_kw(p, "ROW", "ROW in SKIP PAST LAST ROW");
            m->skip = SQL_SKIP_PAST_LAST_ROW;
        } else if (expect_kw(p, "TO", "PAST LAST ROW or TO after SKIP")) {
            if (accept_kw(p, "NEXT")) {
                expect_kw(p, "ROW", "ROW in SKIP TO NEXT ROW");
                m->skip = SQL_SKIP_TO_NEXT_ROW;
            } else if (accept_kw(p, "FIRST")) {
                m->skip = SQL_SKIP_TO_FIRST;
                m->skip_var = name(p, "a pattern variable");
            } else {
                accept_kw(p, "LAST");
                m->skip = SQL_SKIP_TO_LAST;
                m->skip_var = name(p, "NEXT ROW, FIRST v or LAST v");
            }
        }
    }
    expect_kw(p, "PATTERN", "PATTERN (...) in MATCH_RECOGNIZE");
    expect(p, SQL_TOK_LPAREN, "'(' after PATTERN");
    m->pattern = parse_pattern_alt(p);
    expect(p, SQL_TOK_RPAREN, "')' after the pattern");
    if (accept_kw(p, "WITHIN"))
        m->within = parse_expr(p);
    if (accept_kw(p, "DEFINE")) {
        size_t cap = 0;
        do {
            m->defines =
                grow(p, m->defines, m->ndefines, &cap, sizeof *m->defines);
            struct sql_define *d = &m->defines[m->ndefines++];
            d->var = name(p, "a pattern variable");
            expect_kw(p, "AS", "AS after the pattern variable");
            d->cond = parse_expr(p);
        } while (accept(p, SQL_TOK_COMMA));
    }
    expect(p, SQL_TOK_RPAREN, "')' after MATCH_RECOGNIZE clauses");
    return m;
}

static struct sql_from *parse_table_primary(struct parser *p)
{
    struct sql_from *f = alloc(p, sizeof *f);
    f->pos = peek(p, 0)->pos;
    if (accept_kw(p, "TABLE")) {
        f->kind = SQL_FROM_WINDOW;
        expect(p, SQL_TOK_LPAREN, "'(' after TABLE");
        f->window = parse_window(p);
        expect(p, SQL_TOK_RPAREN, "')' closing TABLE(...)");
        f->alias = opt_alias(p);
    } else if (accept(p, SQL_TOK_LPAREN)) {
        f->kind = SQL_FROM_SUBQUERY;
        if (!is_kw(p, 0, "SELECT"))
            expected(p, "SELECT in a subquery");
        f->query = parse_query(p);
        expect(p, SQL_TOK_RPAREN, "')' after the subquery");
        f->alias = opt_alias(p);
    } else {
        f->kind = SQL_FROM_TABLE;
        f->name = name(p, "a stream or table name, a subquery or "
                          "TABLE(window function)");
        if (is_kw(p, 0, "FOR") && is_kw(p, 1, "SYSTEM_TIME")) {
            /* a temporal join's versioned table (sql_join.c) */
            next(p);
            next(p);
            expect_kw(p, "AS", "AS after FOR SYSTEM_TIME");
            expect_kw(p, "OF", "OF after FOR SYSTEM_TIME AS");
            f->as_of = parse_expr(p);
        }
        f->alias = opt_alias(p);
    }
    if (is_kw(p, 0, "MATCH_RECOGNIZE")) {
        struct sql_from *m = alloc(p, sizeof *m);
        m->kind = SQL_FROM_MATCH;
        m->pos = next(p).pos;
        m->left = f;
        m->match = parse_match(p);
        m->alias = opt_alias(p);
        f = m;
    }
    return f;
}

static struct sql_from *parse_from(struct parser *p)
{
    struct sql_from *f = parse_table_primary(p);
    int joins = 0;
    for (;;) {
        struct sql_pos pos = peek(p, 0)->pos;
        enum sql_join_kind kind;
        bool bare = false; /* JOIN without INNER/LEFT/... before it */
        if (accept_kw(p, "JOIN")) {
            kind = SQL_JOIN_INNER;
            bare = true;
        } else if (accept_kw(p, "INNER")) {
            kind = SQL_JOIN_INNER;
        } else if (accept_kw(p, "LEFT")) {
            kind = SQL_JOIN_LEFT;
            accept_kw(p, "OUTER");
        } else if (accept_kw(p, "RIGHT")) {
            kind = SQL_JOIN_RIGHT;
            accept_kw(p, "OUTER");
        } else if (accept_kw(p, "FULL")) {
            kind = SQL_JOIN_FULL;
            accept_kw(p, "OUTER");
        } else if (accept_kw(p, "CROSS")) {
            kind = SQL_JOIN_CROSS;
        } else if (accept(p, SQL_TOK_COMMA)) {
            kind = SQL_JOIN_CROSS; /* FROM a, b */
            bare = true;
        } else {
            return f;
        }
        if (!bare)
            expect_kw(p, "JOIN", "JOIN");
        if (++joins > SQL_PARSE_MAX_JOINS) {
            sql_parse_error_at(p, pos, "too many joins (more than %d)",
                               SQL_PARSE_MAX_JOINS);
            return f;
        }
        struct sql_from *j = alloc(p, sizeof *j);
        j->kind = SQL_FROM_JOIN;
        j->pos = pos;
        j->join = kind;
        j->left = f;
        f = j;
        j->right = parse_table_primary(p);
        if (kind != SQL_JOIN_CROSS) {
            expect_kw(p, "ON", "ON after the joined stream");
            j->on = parse_expr(p);
        }
    }
}

/* The error for a token where a SELECT may continue or end: lists the
 * clauses that may still come after the one seen last (stage). */
static void clause_expected(struct parser *p, int stage)
{
    static const struct {
        const char *text;
        int below; /* allowed while stage < below */
        int only;  /* or only at this stage (-1: no) */
    } clauses[] = {
        {"','", 1, -1},      {"FROM", 1, -1},     {"JOIN", 0, 1},
        {"WHERE", 2, -1},    {"GROUP BY", 3, -1}, {"HAVING", 4, -1},
        {"ORDER BY", 5, -1}, {"EMIT", 7, -1},     {"ALLOWED LATENESS", 7, -1},
        {"LIMIT", 7, -1},
    };
    char what[200];
    size_t n = 0;
    for (size_t i = 0; i < sizeof clauses / sizeof clauses[0]; i++) {
        if (stage >= clauses[i].below && stage != clauses[i].only)
            continue;
        int w = snprintf(what + n, sizeof what - n, "%s%s", n ? ", " : "",
                         clauses[i].text);
        if (w > 0 && (size_t)w < sizeof what - n)
            n += (size_t)w;
    }
    snprintf(what + n, sizeof what - n, "%sthe end of the statement",
             n ? " or " : "");
    expected(p, what);
}

struct sql_select *sql_parse_rule_query(struct parser *p)
{
    struct sql_select *s = alloc(p, sizeof *s);
    s->limit = -1;
    s->pos = peek(p, 0)->pos;
    if (!enter(p)) {
        leave(p);
        return s;
    }
    expect_kw(p, "SELECT", "SELECT");
    if (accept_kw(p, "DISTINCT"))
        s->distinct = true;
    else
        accept_kw(p, "ALL");
    size_t cap = 0;
    do {
        s->items = grow(p, s->items, s->nitems, &cap, sizeof *s->items);
        struct sql_select_item *it = &s->items[s->nitems++];
        it->alias = NULL;
        it->text = "";
        struct sql_pos pos = peek(p, 0)->pos;
        if (accept(p, SQL_TOK_STAR)) {
            it->expr = new_expr(p, SQL_EXPR_STAR, pos);
            it->text = "*";
        } else if (is_name(p, 0) && is(p, 1, SQL_TOK_DOT) &&
                   is(p, 2, SQL_TOK_STAR)) {
            it->expr = new_expr(p, SQL_EXPR_STAR, pos);
            it->expr->parts = alloc(p, sizeof *it->expr->parts);
            it->expr->parts[0] = next(p).value;
            it->expr->nparts = 1;
            next(p);
            next(p);
            it->text = source(p, pos.offset);
        } else {
            size_t start = peek(p, 0)->pos.offset;
            it->expr = parse_expr(p);
            it->text = source(p, start);
            it->alias = opt_alias(p);
        }
    } while (accept(p, SQL_TOK_COMMA));
    int stage = 0; /* the last clause seen, for the error at the end */
    if (accept_kw(p, "FROM")) {
        s->from = parse_from(p);
        stage = 1;
    }
    if (accept_kw(p, "WHERE")) {
        s->where = parse_expr(p);
        stage = 2;
    }
    if (accept_kw(p, "GROUP")) {
        expect_kw(p, "BY", "BY after GROUP");
        s->group_by = expr_list(p, &s->ngroup_by);
        stage = 3;
    }
    if (accept_kw(p, "HAVING")) {
        s->having = parse_expr(p);
        stage = 4;
    }
    if (accept_kw(p, "WINDOW")) {
        size_t wcap = 0;
        do {
            s->windows =
                grow(p, s->windows, s->nwindows, &wcap, sizeof *s->windows);
            struct sql_named_window *w = &s->windows[s->nwindows++];
            w->pos = peek(p, 0)->pos;
            w->name = name(p, "a window name after WINDOW");
            for (size_t i = 0; i + 1 < s->nwindows; i++)
                if (!strcasecmp(s->windows[i].name, w->name))
                    sql_parse_error_at(p, w->pos, "window '%s' defined twice",
                                       w->name);
            expect_kw(p, "AS", "AS after the window name");
            if (!is(p, 0, SQL_TOK_LPAREN))
                expected(p, "'(' and a window specification after AS");
            w->over = sql_parse_rule_over(p);
        } while (accept(p, SQL_TOK_COMMA));
        stage = 4;
    }
    if (accept_kw(p, "ORDER")) {
        expect_kw(p, "BY", "BY after ORDER");
        s->order_by = order_list(p, &s->norder_by);
        stage = 5;
    }
    /* rill's emission clauses, in any order, each at most once. */
    for (;;) {
        struct sql_pos pos = peek(p, 0)->pos;
        if (is_kw(p, 0, "EMIT") && is_kw(p, 1, "LATE")) {
            next(p);
            next(p);
            if (s->late_into)
                sql_parse_error_at(p, pos, "EMIT LATE INTO given twice");
            expect_kw(p, "INTO", "INTO after EMIT LATE");
            s->late_into = name(p, "a stream name after EMIT LATE INTO");
        } else if (accept_kw(p, "EMIT")) {
            if (s->emit != SQL_EMIT_DEFAULT)
                sql_parse_error_at(p, pos, "EMIT given twice");
            if (accept_kw(p, "CHANGES"))
                s->emit = SQL_EMIT_CHANGES;
            else if (accept_kw(p, "FINAL"))
                s->emit = SQL_EMIT_FINAL;
            else
                expected(p, "CHANGES, FINAL or LATE INTO after EMIT");
        } else if (accept_kw(p, "ALLOWED")) {
            if (s->allowed_lateness)
                sql_parse_error_at(p, pos, "ALLOWED LATENESS given twice");
            expect_kw(p, "LATENESS", "LATENESS after ALLOWED");
            if (!is_kw(p, 0, "INTERVAL"))
                expected(p, "an INTERVAL after ALLOWED LATENESS");
            s->allowed_lateness = parse_primary(p);
        } else {
            break;
        }
        stage = 6;
    }
    if (accept_kw(p, "LIMIT")) {
        stage = 7;
        const struct sql_token *t = peek(p, 0);
        if (t->kind != SQL_TOK_INTEGER) {
            expected(p, "a row count after LIMIT");
        } else {
            if (!tok_int(t, &s->limit))
                sql_parse_error_at(p, t->pos, "LIMIT too large");
            next(p);
        }
    }
    if (is_kw(p, 0, "UNION")) {
        /* SELECT ... UNION ALL SELECT ...: the next branch (sql_union.c);
         * the last branch's LIMIT is the union's */
        struct sql_pos upos = next(p).pos;
        if (!accept_kw(p, "ALL"))
            sql_parse_error_at(p, upos,
                               "UNION without ALL (distinct rows) is not "
                               "supported: write UNION ALL");
        else if (!is_kw(p, 0, "SELECT"))
            expected(p, "SELECT after UNION ALL");
        else
            s->union_all = sql_parse_rule_query(p);
        leave(p);
        return s;
    }
    if (!is(p, 0, SQL_TOK_SEMI) && !is(p, 0, SQL_TOK_EOF) &&
        !is(p, 0, SQL_TOK_RPAREN))
        clause_expected(p, stage);
    leave(p);
    return s;
}

/* ---- statements ---- */

/* 'text', a number, TRUE/FALSE or a (dotted) word, as text. */
static const char *option_value(struct parser *p, const char *what)
{
    const struct sql_token *t = peek(p, 0);
    switch (t->kind) {
    case SQL_TOK_STRING:
        return next(p).value;
    case SQL_TOK_INTEGER:
    case SQL_TOK_DECIMAL:
    case SQL_TOK_DOUBLE:
    case SQL_TOK_WORD: {
        struct sql_token v = next(p);
        return arena_strndup(p->arena, v.start, v.len);
    }
    default:
        expected(p, what);
        return "";
    }
}

/* 'quoted.key' or a dotted word key like scan.startup.mode. */
static const char *option_key(struct parser *p, const char *what)
{
    if (is(p, 0, SQL_TOK_STRING))
        return next(p).value;
    if (!is(p, 0, SQL_TOK_WORD) && !is(p, 0, SQL_TOK_QIDENT)) {
        expected(p, what);
        return "";
    }
    struct sql_token first = next(p);
    const struct sql_token *t = &first;
    size_t start = t->pos.offset;
    while (is(p, 0, SQL_TOK_DOT) &&
           (is(p, 1, SQL_TOK_WORD) || is(p, 1, SQL_TOK_QIDENT))) {
        next(p);
        next(p);
    }
    if (t->kind == SQL_TOK_QIDENT && p->last_end == start + t->len)
        return t->value;
    return arena_strndup(p->arena, p->lx.text + start, p->last_end - start);
}

static void parse_with(struct parser *p, struct sql_stmt *s)
{
    expect(p, SQL_TOK_LPAREN, "'(' after WITH");
    size_t cap = 0;
    do {
        s->options = grow(p, s->options, s->noptions, &cap, sizeof *s->options);
        struct sql_option *o = &s->options[s->noptions++];
        o->key = option_key(p, "an option name, e.g. 'topic'");
        expect(p, SQL_TOK_EQ, "'=' after the option name");
        o->value = option_value(p, "an option value, e.g. 'readings'");
    } while (accept(p, SQL_TOK_COMMA));
    expect(p, SQL_TOK_RPAREN, "',' or ')' after WITH options");
}

static void parse_column(struct parser *p, struct sql_column *c)
{
    c->pos = peek(p, 0)->pos;
    c->name = name(p, "a column name or WATERMARK FOR");
    if (accept_kw(p, "AS")) {
        c->computed = parse_expr(p);
        return;
    }
    c->type = parse_type(p);
    for (;;) {
        if (accept_kw(p, "NOT")) {
            expect_kw(p, "NULL", "NULL after NOT");
            c->not_null = true;
        } else if (accept_kw(p, "NULL")) {
            c->not_null = false;
        } else if (accept_kw(p, "FROM")) {
            if (!is(p, 0, SQL_TOK_STRING))
                expected(p, "a quoted field path after FROM, e.g. "
                            "'payload.v'");
            else
                c->path = next(p).value;
        } else if (accept_kw(p, "METADATA")) {
            c->metadata = true;
            if (accept_kw(p, "FROM")) {
                if (!is(p, 0, SQL_TOK_STRING))
                    expected(p, "a quoted metadata key after METADATA FROM");
                else
                    c->path = next(p).value;
            }
            accept_kw(p, "VIRTUAL");
        } else {
            return;
        }
    }
}

static void parse_columns(struct parser *p, struct sql_stmt *s)
{
    size_t cap = 0;
    next(p); /* ( */
    do {
        if (is_kw(p, 0, "WATERMARK") && is_kw(p, 1, "FOR")) {
            struct sql_pos pos = next(p).pos;
            next(p);
            if (s->watermark_column)
                sql_parse_error_at(p, pos, "only one WATERMARK per stream");
            s->watermark_column = name(p, "a time column after WATERMARK "
                                          "FOR");
            expect_kw(p, "AS", "AS after WATERMARK FOR column");
            size_t start = peek(p, 0)->pos.offset;
            s->watermark = parse_expr(p);
            s->watermark_text = source(p, start);
            continue;
        }
        if (is_kw(p, 0, "PRIMARY") && is_kw(p, 1, "KEY")) {
            /* Flink's table constraint: one column, the record key of a
             * TABLE (its topic is compacted on it). */
            struct sql_pos pos = next(p).pos;
            next(p);
            if (s->primary_key)
                sql_parse_error_at(p, pos, "only one PRIMARY KEY");
            s->primary_key_pos = pos;
            expect(p, SQL_TOK_LPAREN, "'(' after PRIMARY KEY");
            s->primary_key = name(p, "a column name in PRIMARY KEY (...)");
            expect(p, SQL_TOK_RPAREN,
                   "')' after the PRIMARY KEY column (one column only)");
            if (accept_kw(p, "NOT"))
                expect_kw(p, "ENFORCED",
                          "ENFORCED after PRIMARY KEY (...) "
                          "NOT");
            continue;
        }
        s->columns = grow(p, s->columns, s->ncolumns, &cap, sizeof *s->columns);
        struct sql_column *c = &s->columns[s->ncolumns++];
        memset(c, 0, sizeof *c);
        parse_column(p, c);
    } while (accept(p, SQL_TOK_COMMA));
    expect(p, SQL_TOK_RPAREN, "',' or ')' after the column definition");
}

static void parse_create(struct parser *p, struct sql_stmt *s)
{
    bool table;
    if (accept_kw(p, "STREAM")) {
        table = false;
    } else if (accept_kw(p, "TABLE")) {
        table = true;
    } else {
        expected(p, "STREAM or TABLE after CREATE");
        return;
    }
    if (accept_kw(p, "IF")) {
        expect_kw(p, "NOT", "NOT in IF NOT EXISTS");
        expect_kw(p, "EXISTS", "EXISTS in IF NOT EXISTS");
        s->if_not_exists = true;
    }
    s->name = name(p, table ? "a table name" : "a stream name");
    if (is(p, 0, SQL_TOK_LPAREN)) {
        s->kind = table ? SQL_STMT_CREATE_TABLE : SQL_STMT_CREATE_STREAM;
        parse_columns(p, s);
        if (accept_kw(p, "WITH"))
            parse_with(p, s);
        return;
    }
    s->kind = table ? SQL_STMT_CREATE_TABLE_AS : SQL_STMT_CREATE_STREAM_AS;
    if (accept_kw(p, "WITH"))
        parse_with(p, s);
    if (!accept_kw(p, "AS")) {
        expected(p, s->noptions ? "AS SELECT ..."
                                : "'(' column list, WITH (...) or AS "
                                  "SELECT ...");
        return;
    }
    if (!is_kw(p, 0, "SELECT"))
        expected(p, "SELECT after AS");
    s->query = parse_query(p);
}

static bool parse_object(struct parser *p, struct sql_stmt *s, bool plural,
                         const char *what)
{
    static const struct {
        const char *one, *many;
        enum sql_object object;
    } objs[] = {
        {"STREAM", "STREAMS", SQL_OBJECT_STREAM},
        {"TABLE", "TABLES", SQL_OBJECT_TABLE},
        {"QUERY", "QUERIES", SQL_OBJECT_QUERY},
        {"TOPIC", "TOPICS", SQL_OBJECT_TOPIC},
    };
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) {
        if (accept_kw(p, plural ? objs[i].many : objs[i].one)) {
            s->object = objs[i].object;
            return true;
        }
    }
    expected(p, what);
    return false;
}

static struct sql_stmt *parse_stmt(struct parser *p);

static struct sql_stmt *parse_stmt_body(struct parser *p, struct sql_stmt *s)
{
    const struct sql_token *t = peek(p, 0);
    if (is_kw(p, 0, "SELECT")) {
        s->kind = SQL_STMT_SELECT;
        s->query = parse_query(p);
    } else if (accept_kw(p, "CREATE")) {
        parse_create(p, s);
    } else if (accept_kw(p, "INSERT")) {
        s->kind = SQL_STMT_INSERT;
        expect_kw(p, "INTO", "INTO after INSERT");
        s->name = name(p, "a stream or table name after INSERT INTO");
        if (!is_kw(p, 0, "SELECT"))
            expected(p, "SELECT after INSERT INTO name");
        s->query = parse_query(p);
    } else if (accept_kw(p, "DROP")) {
        s->kind = SQL_STMT_DROP;
        if (parse_object(p, s, false, "STREAM, TABLE or QUERY after DROP")) {
            if (accept_kw(p, "IF")) {
                expect_kw(p, "EXISTS", "EXISTS after IF");
                s->if_exists = true;
            }
            s->name = name(p, "a name to drop");
        }
    } else if (accept_kw(p, "SHOW")) {
        s->kind = SQL_STMT_SHOW;
        parse_object(p, s, true,
                     "STREAMS, TABLES, QUERIES or TOPICS after SHOW");
    } else if (accept_kw(p, "DESCRIBE")) {
        s->kind = SQL_STMT_DESCRIBE;
        s->name = name(p, "a stream, table or query name after DESCRIBE");
        if (accept_kw(p, "FORMAT"))
            s->json = accept_kw(p, "JSON") ||
                      (expected(p, "JSON after FORMAT"), false);
    } else if (is_kw(p, 0, "EXPLAIN") && is_kw(p, 1, "WATERMARK")) {
        next(p);
        next(p);
        accept_kw(p, "FOR");
        s->kind = SQL_STMT_EXPLAIN_WATERMARK;
        s->name = name(p, "a query id after EXPLAIN WATERMARK (SHOW QUERIES "
                          "lists them)");
    } else if ((is_kw(p, 0, "STOP") || is_kw(p, 0, "RESUME")) &&
               is_kw(p, 1, "QUERY")) {
        s->kind =
            is_kw(p, 0, "STOP") ? SQL_STMT_STOP_QUERY : SQL_STMT_RESUME_QUERY;
        next(p);
        next(p);
        s->name = name(p, "a query id (SHOW QUERIES lists them)");
    } else if (accept_kw(p, "EXPLAIN")) {
        s->kind = SQL_STMT_EXPLAIN;
        if (!is_kw(p, 0, "SELECT") && !is_kw(p, 0, "INSERT") &&
            !is_kw(p, 0, "CREATE")) {
            expected(p, "SELECT, INSERT or CREATE ... AS after EXPLAIN");
        } else {
            s->inner = parse_stmt(p);
            if (!p->failed && s->inner->kind != SQL_STMT_SELECT &&
                s->inner->kind != SQL_STMT_INSERT &&
                s->inner->kind != SQL_STMT_CREATE_STREAM_AS &&
                s->inner->kind != SQL_STMT_CREATE_TABLE_AS)
                sql_parse_error_at(
                    p, s->inner->pos,
                    "EXPLAIN takes a query: SELECT, INSERT or CREATE "
                    "... AS SELECT");
        }
    } else if (accept_kw(p, "SET")) {
        s->kind = SQL_STMT_SET;
        s->key = option_key(p, "a quoted key after SET, e.g. "
                               "'scan.startup.mode'");
        expect(p, SQL_TOK_EQ, "'=' after the SET key");
        s->value = option_value(p, "a value after '='");
    } else {
        (void)t;
        expected(p, "a statement (SELECT, CREATE, INSERT, DROP, SHOW, "
                    "DESCRIBE, EXPLAIN, SET, STOP QUERY or RESUME QUERY)");
    }
    return s;
}

static struct sql_stmt *parse_stmt(struct parser *p)
{
    struct sql_stmt *s = alloc(p, sizeof *s);
    const struct sql_token *t = peek(p, 0);
    s->pos = t->pos;
    size_t start = t->pos.offset;
    parse_stmt_body(p, s);
    size_t end = p->last_end > start ? p->last_end : start;
    s->text = arena_strndup(p->arena, p->lx.text + start, end - start);
    s->text_len = end - start;
    return s;
}

static void parser_init(struct parser *p, const char *text, size_t len,
                        struct arena *arena, struct sql_error *err)
{
    memset(p, 0, sizeof *p);
    sql_lex_init(&p->lx, text, len, arena);
    p->arena = arena;
    p->err = err;
    p->eof.kind = SQL_TOK_EOF;
    p->eof.start = text + len;
    memset(err, 0, sizeof *err);
}

int sql_parse_script(const char *text, size_t len, struct arena *arena,
                     struct sql_script *out, struct sql_error *err)
{
    struct parser p;
    struct sql_error scratch;
    parser_init(&p, text, len, arena, err ? err : &scratch);
    struct sql_stmt **stmts = NULL;
    size_t n = 0, cap = 0;
    out->stmts = NULL;
    out->nstmts = 0;
    for (;;) {
        while (accept(&p, SQL_TOK_SEMI))
            ;
        if (p.failed || is(&p, 0, SQL_TOK_EOF))
            break;
        struct sql_stmt *s = parse_stmt(&p);
        if (!accept(&p, SQL_TOK_SEMI) && !is(&p, 0, SQL_TOK_EOF))
            expected(&p, "';' or end of input after the statement");
        stmts = grow(&p, stmts, n, &cap, sizeof *stmts);
        stmts[n++] = s;
    }
    if (p.failed)
        return ERR_PARSE;
    out->stmts = stmts;
    out->nstmts = n;
    return 0;
}

int sql_parse_stmt(const char *text, size_t len, struct arena *arena,
                   struct sql_stmt **out, struct sql_error *err)
{
    struct sql_script script;
    struct sql_error scratch;
    if (!err)
        err = &scratch;
    *out = NULL;
    int rc = sql_parse_script(text, len, arena, &script, err);
    if (rc < 0)
        return rc;
    if (script.nstmts != 1) {
        struct sql_pos pos = {1, 1, 0};
        if (script.nstmts > 1)
            pos = script.stmts[1]->pos;
        snprintf(err->message, sizeof err->message,
                 "line %d, column %d: expected exactly one statement, "
                 "found %zu",
                 pos.line, pos.column, script.nstmts);
        err->pos = pos;
        return ERR_PARSE;
    }
    *out = script.stmts[0];
    return 0;
}

int sql_parse_expr(const char *text, size_t len, struct arena *arena,
                   struct sql_expr **out, struct sql_error *err)
{
    struct parser p;
    struct sql_error scratch;
    parser_init(&p, text, len, arena, err ? err : &scratch);
    struct sql_expr *e = parse_expr(&p);
    if (!is(&p, 0, SQL_TOK_EOF))
        expected(&p, "an operator or end of input");
    *out = p.failed ? NULL : e;
    return p.failed ? ERR_PARSE : 0;
}
