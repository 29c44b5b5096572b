/* sql_parse_expr.c - expressions, literals and types of the SQL parser
 * (layer: sql).
 *
 * The expression grammar by precedence (lowest first: OR, AND, NOT,
 * comparisons and predicates, ||, + -, * / %, unary - +), literals
 * (numbers, strings, INTERVAL and TIMESTAMP with their values computed
 * here), CASE, CAST, calls with DISTINCT/FILTER/OVER, and column types.
 * Statements and queries are in sql_parse.c; shared state in
 * sql_parse_int.h.
 */
#include "sql/sql_parse_int.h"

#include "base/err.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- expressions ---- */

static char *upper(struct parser *p, const char *s)
{
    size_t n = strlen(s);
    char *u = arena_strndup(p->arena, s, n);
    for (size_t i = 0; i < n; i++)
        u[i] = (char)toupper((unsigned char)u[i]);
    return u;
}

static struct sql_expr *parse_concat(struct parser *p);

struct sql_expr *sql_parse_new_expr(struct parser *p, enum sql_expr_kind kind,
                                    struct sql_pos pos)
{
    struct sql_expr *e = alloc(p, sizeof *e);
    e->kind = kind;
    e->pos = pos;
    e->height = 1;
    return e;
}

static void child(struct parser *p, struct sql_expr *e, struct sql_expr *c)
{
    if (c && c->height + 1 > e->height) {
        e->height = c->height + 1;
        if (e->height > SQL_PARSE_MAX_HEIGHT)
            sql_parse_error_at(p, e->pos,
                               "expression too complex (deeper than %d levels)",
                               SQL_PARSE_MAX_HEIGHT);
    }
}

static struct sql_expr *binary(struct parser *p, enum sql_op op,
                               struct sql_expr *l, struct sql_expr *r,
                               struct sql_pos pos)
{
    struct sql_expr *e = new_expr(p, SQL_EXPR_BINARY, pos);
    e->op = op;
    e->left = l;
    e->right = r;
    child(p, e, l);
    child(p, e, r);
    return e;
}

/* Comma-separated expressions up to (not including) the closing token. */
struct sql_expr **sql_parse_rule_expr_list(struct parser *p, size_t *n)
{
    struct sql_expr **list = NULL;
    size_t cap = 0;
    *n = 0;
    do {
        list = grow(p, list, *n, &cap, sizeof *list);
        list[(*n)++] = parse_expr(p);
    } while (accept(p, SQL_TOK_COMMA));
    return list;
}

static void add_args(struct parser *p, struct sql_expr *e)
{
    for (size_t i = 0; i < e->nargs; i++)
        child(p, e, e->args[i]);
}

static bool unit_word(const char *w, enum sql_time_unit *unit)
{
    static const struct {
        const char *name;
        enum sql_time_unit unit;
    } units[] = {
        {"MILLISECOND", SQL_UNIT_MILLISECOND},
        {"MILLISECONDS", SQL_UNIT_MILLISECOND},
        {"SECOND", SQL_UNIT_SECOND},
        {"SECONDS", SQL_UNIT_SECOND},
        {"MINUTE", SQL_UNIT_MINUTE},
        {"MINUTES", SQL_UNIT_MINUTE},
        {"HOUR", SQL_UNIT_HOUR},
        {"HOURS", SQL_UNIT_HOUR},
        {"DAY", SQL_UNIT_DAY},
        {"DAYS", SQL_UNIT_DAY},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcasecmp(w, units[i].name) == 0) {
            *unit = units[i].unit;
            return true;
        }
    }
    return false;
}

static int64_t unit_ms(enum sql_time_unit u)
{
    switch (u) {
    case SQL_UNIT_MILLISECOND:
        return 1;
    case SQL_UNIT_SECOND:
        return 1000;
    case SQL_UNIT_MINUTE:
        return 60 * 1000;
    case SQL_UNIT_HOUR:
        return 3600 * 1000;
    case SQL_UNIT_DAY:
        return 86400 * 1000;
    default:
        return 0;
    }
}

/* Reads up to 12 digits; returns false when there are none or too many. */
static bool read_uint(const char **s, int64_t *v)
{
    int n = 0;
    *v = 0;
    while (**s >= '0' && **s <= '9') {
        if (++n > 12)
            return false;
        *v = *v * 10 + (**s - '0');
        (*s)++;
    }
    return n > 0;
}

/* Milliseconds from an interval's text: '5', '-5', '1.5' (SECOND),
 * '1:30' (MINUTE TO SECOND), '2 03:04:05.5' (DAY TO SECOND). */
static bool interval_value(const char *s, enum sql_time_unit from,
                           enum sql_time_unit to, int64_t *ms)
{
    while (*s == ' ')
        s++;
    bool neg = false;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (to == SQL_UNIT_NONE)
        to = from;
    int64_t total = 0;
    for (enum sql_time_unit u = from;; u--) {
        int64_t v;
        /* v < 10^12, so v * ms fits; the sum is checked too. */
        if (!read_uint(&s, &v) || v > (INT64_MAX - total) / unit_ms(u))
            return false;
        total += v * unit_ms(u);
        if (u == to)
            break;
        if (u == SQL_UNIT_DAY ? *s != ' ' : *s != ':')
            return false;
        s++;
    }
    if (to == SQL_UNIT_SECOND && *s == '.') {
        s++;
        int64_t frac = 0, scale = 100;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        for (int i = 0; *s >= '0' && *s <= '9'; i++, s++) {
            if (i > 8)
                return false;
            frac += (*s - '0') * scale;
            scale /= 10;
        }
        if (frac > INT64_MAX - total)
            return false;
        total += frac;
    }
    while (*s == ' ')
        s++;
    if (*s)
        return false;
    *ms = neg ? -total : total;
    return true;
}

static struct sql_expr *parse_interval(struct parser *p, struct sql_pos pos)
{
    struct sql_expr *e = new_expr(p, SQL_EXPR_INTERVAL, pos);
    bool neg = accept(p, SQL_TOK_MINUS);
    const struct sql_token *t = peek(p, 0);
    struct sql_pos vpos = t->pos;
    const char *text;
    if (t->kind == SQL_TOK_STRING) {
        text = next(p).value;
    } else if (t->kind == SQL_TOK_INTEGER) {
        struct sql_token v = next(p);
        text = arena_strndup(p->arena, v.start, v.len);
    } else {
        expected(p, "a quoted value after INTERVAL, e.g. INTERVAL '5' "
                    "SECOND");
        return e;
    }
    if (!is(p, 0, SQL_TOK_WORD) || !unit_word(peek(p, 0)->value, &e->unit)) {
        expected(p, "a time unit (DAY, HOUR, MINUTE, SECOND or "
                    "MILLISECOND)");
        return e;
    }
    next(p);
    if (accept_kw(p, "TO")) {
        if (!is(p, 0, SQL_TOK_WORD) ||
            !unit_word(peek(p, 0)->value, &e->unit_to) ||
            e->unit_to >= e->unit || e->unit_to == SQL_UNIT_MILLISECOND) {
            expected(p, "a smaller unit after TO (HOUR, MINUTE or SECOND)");
            return e;
        }
        next(p);
    }
    int64_t ms = 0;
    if (!interval_value(text, e->unit, e->unit_to, &ms)) {
        sql_parse_error_at(p, vpos, "invalid interval value '%.40s' for %s%s%s",
                           text, sql_ast_unit_name(e->unit),
                           e->unit_to ? " TO " : "",
                           e->unit_to ? sql_ast_unit_name(e->unit_to) : "");
        return e;
    }
    e->ival = neg ? -ms : ms;
    e->text = text;
    return e;
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool fixed_digits(const char **s, int n, int64_t *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*s)[i];
        if (c < '0' || c > '9')
            return false;
        *v = *v * 10 + (c - '0');
    }
    *s += n;
    return true;
}

/* 'YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z]' as UTC epoch milliseconds. */
static bool timestamp_value(const char *s, int64_t *ms)
{
    int64_t y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
    if (!fixed_digits(&s, 4, &y) || *s++ != '-' || !fixed_digits(&s, 2, &mo) ||
        *s++ != '-' || !fixed_digits(&s, 2, &d))
        return false;
    if (*s == ' ' || *s == 'T') {
        s++;
        if (!fixed_digits(&s, 2, &h) || *s++ != ':' ||
            !fixed_digits(&s, 2, &mi))
            return false;
        if (*s == ':') {
            s++;
            if (!fixed_digits(&s, 2, &sec))
                return false;
            if (*s == '.') {
                s++;
                int64_t scale = 100;
                if (!(*s >= '0' && *s <= '9'))
                    return false;
                for (int i = 0; *s >= '0' && *s <= '9'; i++, s++) {
                    if (i > 8)
                        return false;
                    frac += (*s - '0') * scale;
                    scale /= 10;
                }
            }
        }
    }
    if (*s == 'Z')
        s++;
    if (*s)
        return false;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
        sec > 59)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return false;
    int64_t days = days_from_civil(y, mo, d);
    *ms = ((days * 24 + h) * 60 + mi) * 60000 + sec * 1000 + frac;
    return true;
}

static struct sql_expr *parse_case(struct parser *p, struct sql_pos pos)
{
    struct sql_expr *e = new_expr(p, SQL_EXPR_CASE, pos);
    size_t cap = 0;
    if (!is_kw(p, 0, "WHEN")) {
        e->left = parse_expr(p);
        child(p, e, e->left);
    }
    if (!is_kw(p, 0, "WHEN")) {
        expected(p, "WHEN in CASE");
        return e;
    }
    while (accept_kw(p, "WHEN")) {
        e->args = grow(p, e->args, e->nargs, &cap, sizeof *e->args);
        e->args[e->nargs++] = parse_expr(p);
        expect_kw(p, "THEN", "THEN after the WHEN condition");
        e->args = grow(p, e->args, e->nargs, &cap, sizeof *e->args);
        e->args[e->nargs++] = parse_expr(p);
    }
    if (accept_kw(p, "ELSE")) {
        e->right = parse_expr(p);
        child(p, e, e->right);
    }
    add_args(p, e);
    expect_kw(p, "END", "WHEN, ELSE or END in CASE");
    return e;
}

struct sql_over *sql_parse_rule_over(struct parser *p)
{
    struct sql_over *o = alloc(p, sizeof *o);
    if (is_name(p, 0)) { /* OVER w */
        o->name = name(p, "a window name");
        return o;
    }
    expect(p, SQL_TOK_LPAREN, "'(' or a window name after OVER");
    if (accept_kw(p, "PARTITION")) {
        expect_kw(p, "BY", "BY after PARTITION");
        o->partition_by = expr_list(p, &o->npartition_by);
    }
    if (accept_kw(p, "ORDER")) {
        expect_kw(p, "BY", "BY after ORDER");
        o->order_by = order_list(p, &o->norder_by);
    }
    if (is_kw(p, 0, "ROWS") || is_kw(p, 0, "RANGE")) {
        o->has_frame = true;
        o->rows = is_kw(p, 0, "ROWS");
        next(p);
        bool between = accept_kw(p, "BETWEEN");
        if (!accept_kw(p, "UNBOUNDED"))
            o->preceding = parse_concat(p);
        expect_kw(p, "PRECEDING", "PRECEDING in the window frame");
        if (between) {
            expect_kw(p, "AND", "AND CURRENT ROW in the window frame");
            expect_kw(p, "CURRENT", "CURRENT ROW as the frame's end");
            expect_kw(p, "ROW", "ROW after CURRENT");
        }
    }
    expect(p, SQL_TOK_RPAREN, "')' after the OVER window");
    return o;
}

/* EXTRACT(unit FROM expr) as the call EXTRACT('UNIT', expr). */
static void parse_extract(struct parser *p, struct sql_expr *e)
{
    static const char *const units[] = {
        "MILLISECOND", "SECOND", "MINUTE", "HOUR",    "DAY",  "DOW",
        "DOY",         "WEEK",   "MONTH",  "QUARTER", "YEAR", "EPOCH"};
    const struct sql_token *t = peek(p, 0);
    size_t i = 0, n = sizeof units / sizeof units[0];
    if (t->kind == SQL_TOK_WORD)
        for (; i < n; i++)
            if (strcasecmp(t->value, units[i]) == 0)
                break;
    if (t->kind != SQL_TOK_WORD || i == n) {
        expected(p, "a unit in EXTRACT (YEAR, MONTH, DAY, HOUR, MINUTE, "
                    "SECOND, ...)");
        return;
    }
    struct sql_expr *u = new_expr(p, SQL_EXPR_STRING, next(p).pos);
    u->text = units[i];
    expect_kw(p, "FROM", "FROM in EXTRACT(unit FROM value)");
    e->args = alloc(p, 2 * sizeof *e->args);
    e->args[0] = u;
    e->args[1] = parse_expr(p);
    e->nargs = 2;
    add_args(p, e);
}

/* A word argument of a special call (a time unit, BOTH ...) as a string
 * literal, upper-cased. */
static struct sql_expr *word_arg(struct parser *p, const char *what)
{
    const struct sql_token *t = peek(p, 0);
    if (t->kind != SQL_TOK_WORD) {
        expected(p, what);
        return new_expr(p, SQL_EXPR_NULL, t->pos);
    }
    struct sql_expr *u = new_expr(p, SQL_EXPR_STRING, t->pos);
    u->text = upper(p, next(p).value);
    return u;
}

static void set_args(struct parser *p, struct sql_expr *e,
                     struct sql_expr *const *v, size_t n)
{
    e->args = alloc(p, n * sizeof *e->args);
    for (size_t i = 0; i < n; i++)
        e->args[i] = v[i];
    e->nargs = n;
    add_args(p, e);
}

/* The SQL-standard spellings that are not a plain argument list, as
 * ordinary calls: FLOOR|CEIL(ts TO unit) -> FLOOR(ts, 'UNIT');
 * TIMESTAMPDIFF(unit, a, b) -> TIMESTAMPDIFF('UNIT', a, b);
 * SUBSTRING(s FROM a [FOR n]) -> SUBSTRING(s, a[, n]);
 * TRIM([BOTH|LEADING|TRAILING] [chars] FROM s) -> TRIM('MODE', chars, s).
 * Returns false when e is a plain call (nothing consumed). */
static bool parse_special_args(struct parser *p, struct sql_expr *e)
{
    const char *f = e->text;
    if (!strcmp(f, "TIMESTAMPDIFF") && is(p, 0, SQL_TOK_WORD) &&
        is(p, 1, SQL_TOK_COMMA)) {
        struct sql_expr *v[3];
        v[0] = word_arg(p, "a time unit");
        next(p);
        v[1] = parse_expr(p);
        expect(p, SQL_TOK_COMMA, "',' between TIMESTAMPDIFF's timestamps");
        v[2] = parse_expr(p);
        set_args(p, e, v, 3);
        return true;
    }
    if (!strcmp(f, "TRIM")) {
        struct sql_expr *v[3] = {NULL, NULL, NULL};
        bool mode = is_kw(p, 0, "BOTH") || is_kw(p, 0, "LEADING") ||
                    is_kw(p, 0, "TRAILING");
        if (mode)
            v[0] = word_arg(p, "BOTH, LEADING or TRAILING");
        if (!(mode && is_kw(p, 0, "FROM")))
            v[1] = parse_expr(p);
        if (!accept_kw(p, "FROM")) {
            if (mode)
                expected(p, "FROM in TRIM(... FROM value)");
            set_args(p, e, &v[1], 1); /* TRIM(s) */
            return true;
        }
        if (!v[0]) {
            v[0] = new_expr(p, SQL_EXPR_STRING, e->pos);
            v[0]->text = "BOTH";
        }
        if (!v[1]) {
            v[1] = new_expr(p, SQL_EXPR_STRING, e->pos);
            v[1]->text = " ";
        }
        v[2] = parse_expr(p);
        set_args(p, e, v, 3);
        return true;
    }
    bool floor =
        !strcmp(f, "FLOOR") || !strcmp(f, "CEIL") || !strcmp(f, "CEILING");
    if (!floor && strcmp(f, "SUBSTRING") && strcmp(f, "SUBSTR"))
        return false;
    struct sql_expr *v[3];
    size_t n = 1;
    v[0] = parse_expr(p);
    if (floor && accept_kw(p, "TO")) {
        v[n++] = word_arg(p, "a time unit after TO");
    } else if (!floor && accept_kw(p, "FROM")) {
        v[n++] = parse_expr(p);
        if (accept_kw(p, "FOR"))
            v[n++] = parse_expr(p);
    } else {
        while (n < 3 && accept(p, SQL_TOK_COMMA))
            v[n++] = parse_expr(p);
    }
    set_args(p, e, v, n);
    return true;
}

static struct sql_expr *parse_call(struct parser *p, const char *fname,
                                   struct sql_pos pos)
{
    struct sql_expr *e = new_expr(p, SQL_EXPR_CALL, pos);
    e->text = upper(p, fname);
    next(p); /* ( */
    if (strcmp(e->text, "EXTRACT") == 0) {
        parse_extract(p, e);
    } else if (!is(p, 0, SQL_TOK_RPAREN) && parse_special_args(p, e)) {
        /* FLOOR(ts TO unit), SUBSTRING(s FROM a FOR n), TRIM(... FROM s) */
    } else if (accept(p, SQL_TOK_STAR)) {
        e->star = true;
    } else if (!is(p, 0, SQL_TOK_RPAREN)) {
        if (accept_kw(p, "DISTINCT"))
            e->distinct = true;
        else
            accept_kw(p, "ALL");
        e->args = expr_list(p, &e->nargs);
        add_args(p, e);
    }
    expect(p, SQL_TOK_RPAREN, "',' or ')' after function arguments");
    if (is_kw(p, 0, "FILTER") && is(p, 1, SQL_TOK_LPAREN)) {
        next(p);
        next(p);
        expect_kw(p, "WHERE", "WHERE after FILTER (");
        e->filter = parse_expr(p);
        child(p, e, e->filter);
        expect(p, SQL_TOK_RPAREN, "')' after the FILTER condition");
    }
    if (accept_kw(p, "OVER"))
        e->over = sql_parse_rule_over(p);
    return e;
}

static struct sql_expr *parse_number(struct parser *p)
{
    struct sql_token t = next(p);
    char *text = arena_strndup(p->arena, t.start, t.len);
    struct sql_expr *e;
    if (t.kind == SQL_TOK_INTEGER) {
        e = new_expr(p, SQL_EXPR_INT, t.pos);
        errno = 0;
        char *end;
        unsigned long long v = strtoull(text, &end, 10);
        if (errno == 0 && v <= INT64_MAX) {
            e->ival = (int64_t)v;
        } else {
            /* Too large for BIGINT: an exact DECIMAL, as in Flink. */
            e->kind = SQL_EXPR_DECIMAL;
        }
    } else {
        e = new_expr(
            p, t.kind == SQL_TOK_DOUBLE ? SQL_EXPR_DOUBLE : SQL_EXPR_DECIMAL,
            t.pos);
    }
    e->text = text;
    e->dval = strtod(text, NULL);
    return e;
}

struct sql_expr *sql_parse_rule_primary(struct parser *p)
{
    const struct sql_token *t = peek(p, 0);
    struct sql_pos pos = t->pos;
    struct sql_expr *e;
    switch (t->kind) {
    case SQL_TOK_INTEGER:
    case SQL_TOK_DECIMAL:
    case SQL_TOK_DOUBLE:
        return parse_number(p);
    case SQL_TOK_STRING:
        e = new_expr(p, SQL_EXPR_STRING, pos);
        e->text = next(p).value;
        return e;
    case SQL_TOK_LPAREN:
        next(p);
        if (is_kw(p, 0, "SELECT")) {
            e = new_expr(p, SQL_EXPR_SUBQUERY, pos);
            e->query = parse_query(p);
        } else {
            e = parse_expr(p);
        }
        expect(p, SQL_TOK_RPAREN, "')'");
        return e;
    case SQL_TOK_WORD:
    case SQL_TOK_QIDENT:
        break;
    default:
        expected(p, "an expression");
        return new_expr(p, SQL_EXPR_NULL, pos);
    }
    if (t->kind == SQL_TOK_WORD) {
        if (is_kw(p, 0, "TRUE") || is_kw(p, 0, "FALSE")) {
            e = new_expr(p, SQL_EXPR_BOOL, pos);
            e->ival = strcasecmp(next(p).value, "TRUE") == 0;
            return e;
        }
        if (accept_kw(p, "NULL"))
            return new_expr(p, SQL_EXPR_NULL, pos);
        if (accept_kw(p, "CASE"))
            return parse_case(p, pos);
        if (accept_kw(p, "INTERVAL"))
            return parse_interval(p, pos);
        if (is_kw(p, 0, "TIMESTAMP") && is(p, 1, SQL_TOK_STRING)) {
            next(p);
            struct sql_token s = next(p);
            e = new_expr(p, SQL_EXPR_TIMESTAMP, pos);
            e->text = s.value;
            if (!timestamp_value(s.value, &e->ival))
                sql_parse_error_at(
                    p, s.pos,
                    "invalid TIMESTAMP literal '%.40s', expected "
                    "'YYYY-MM-DD HH:MM:SS[.fff]'",
                    s.value);
            return e;
        }
        if (is_kw(p, 0, "CAST") || is_kw(p, 0, "TRY_CAST")) {
            e = new_expr(p, SQL_EXPR_CAST, pos);
            e->negated = is_kw(p, 0, "TRY_CAST"); /* NULL on failure */
            next(p);
            expect(p, SQL_TOK_LPAREN, "'(' after CAST");
            e->left = parse_expr(p);
            child(p, e, e->left);
            expect_kw(p, "AS", "AS in CAST(value AS type)");
            e->type = parse_type(p);
            expect(p, SQL_TOK_RPAREN, "')' after the type in CAST");
            return e;
        }
    }
    if (t->kind == SQL_TOK_WORD && is(p, 1, SQL_TOK_LPAREN) &&
        (!is_reserved(t->value) || is_kw(p, 0, "LEFT") || is_kw(p, 0, "RIGHT")))
        return parse_call(p, next(p).value, pos);
    if (!is_name(p, 0)) {
        expected(p, "an expression");
        return new_expr(p, SQL_EXPR_NULL, pos);
    }
    e = new_expr(p, SQL_EXPR_COLUMN, pos);
    size_t cap = 0;
    do {
        if (e->nparts == 1 && accept(p, SQL_TOK_STAR)) {
            /* v.*: COUNT(A.*) in MATCH_RECOGNIZE */
            e->kind = SQL_EXPR_STAR;
            return e;
        }
        e->parts = grow(p, e->parts, e->nparts, &cap, sizeof *e->parts);
        e->parts[e->nparts++] = name(p, "a name after '.'");
    } while (!p->failed && accept(p, SQL_TOK_DOT));
    return e;
}

static struct sql_expr *parse_unary(struct parser *p)
{
    const struct sql_token *t = peek(p, 0);
    if (t->kind != SQL_TOK_MINUS && t->kind != SQL_TOK_PLUS)
        return parse_primary(p);
    struct sql_pos pos = t->pos;
    enum sql_op op = t->kind == SQL_TOK_MINUS ? SQL_OP_NEG : SQL_OP_PLUS;
    next(p);
    struct sql_expr *e = new_expr(p, SQL_EXPR_UNARY, pos);
    e->op = op;
    if (enter(p))
        e->left = parse_unary(p);
    leave(p);
    child(p, e, e->left);
    return e;
}

static struct sql_expr *parse_mul(struct parser *p)
{
    struct sql_expr *e = parse_unary(p);
    for (;;) {
        const struct sql_token *t = peek(p, 0);
        enum sql_op op;
        if (t->kind == SQL_TOK_STAR)
            op = SQL_OP_MUL;
        else if (t->kind == SQL_TOK_SLASH)
            op = SQL_OP_DIV;
        else if (t->kind == SQL_TOK_PERCENT)
            op = SQL_OP_MOD;
        else
            return e;
        struct sql_pos pos = next(p).pos;
        e = binary(p, op, e, parse_unary(p), pos);
    }
}

static struct sql_expr *parse_add(struct parser *p)
{
    struct sql_expr *e = parse_mul(p);
    for (;;) {
        const struct sql_token *t = peek(p, 0);
        enum sql_op op;
        if (t->kind == SQL_TOK_PLUS)
            op = SQL_OP_ADD;
        else if (t->kind == SQL_TOK_MINUS)
            op = SQL_OP_SUB;
        else
            return e;
        struct sql_pos pos = next(p).pos;
        e = binary(p, op, e, parse_mul(p), pos);
    }
}

static struct sql_expr *parse_concat(struct parser *p)
{
    struct sql_expr *e = parse_add(p);
    while (is(p, 0, SQL_TOK_CONCAT)) {
        struct sql_pos pos = next(p).pos;
        e = binary(p, SQL_OP_CONCAT, e, parse_add(p), pos);
    }
    return e;
}

static bool cmp_op(enum sql_tok kind, enum sql_op *op)
{
    switch (kind) {
    case SQL_TOK_EQ:
        *op = SQL_OP_EQ;
        return true;
    case SQL_TOK_NE:
        *op = SQL_OP_NE;
        return true;
    case SQL_TOK_LT:
        *op = SQL_OP_LT;
        return true;
    case SQL_TOK_LE:
        *op = SQL_OP_LE;
        return true;
    case SQL_TOK_GT:
        *op = SQL_OP_GT;
        return true;
    case SQL_TOK_GE:
        *op = SQL_OP_GE;
        return true;
    default:
        return false;
    }
}

static struct sql_expr *parse_comparison(struct parser *p)
{
    struct sql_expr *e = parse_concat(p);
    for (;;) {
        const struct sql_token *t = peek(p, 0);
        struct sql_pos pos = t->pos;
        enum sql_op op;
        if (cmp_op(t->kind, &op)) {
            next(p);
            e = binary(p, op, e, parse_concat(p), pos);
            continue;
        }
        if (accept_kw(p, "IS")) {
            struct sql_expr *n = new_expr(p, SQL_EXPR_IS_NULL, pos);
            n->negated = accept_kw(p, "NOT");
            expect_kw(p, "NULL", "NULL after IS or IS NOT");
            n->left = e;
            child(p, n, e);
            e = n;
            continue;
        }
        bool negated = false;
        if (is_kw(p, 0, "NOT") &&
            (is_kw(p, 1, "IN") || is_kw(p, 1, "BETWEEN") ||
             is_kw(p, 1, "LIKE"))) {
            next(p);
            negated = true;
        }
        struct sql_expr *n;
        if (accept_kw(p, "IN")) {
            n = new_expr(p, SQL_EXPR_IN, pos);
            expect(p, SQL_TOK_LPAREN, "'(' after IN");
            if (is_kw(p, 0, "SELECT")) {
                n->query = parse_query(p);
            } else {
                n->args = expr_list(p, &n->nargs);
                add_args(p, n);
            }
            expect(p, SQL_TOK_RPAREN, "',' or ')' after the IN list");
        } else if (accept_kw(p, "BETWEEN")) {
            n = new_expr(p, SQL_EXPR_BETWEEN, pos);
            n->right = parse_concat(p);
            expect_kw(p, "AND", "AND in BETWEEN low AND high");
            n->third = parse_concat(p);
        } else if (accept_kw(p, "LIKE")) {
            n = new_expr(p, SQL_EXPR_LIKE, pos);
            n->right = parse_concat(p);
            if (accept_kw(p, "ESCAPE"))
                n->third = parse_concat(p);
        } else {
            return e;
        }
        n->negated = negated;
        n->left = e;
        child(p, n, e);
        child(p, n, n->right);
        child(p, n, n->third);
        e = n;
    }
}

static struct sql_expr *parse_not(struct parser *p)
{
    if (!is_kw(p, 0, "NOT"))
        return parse_comparison(p);
    struct sql_expr *e = new_expr(p, SQL_EXPR_UNARY, next(p).pos);
    e->op = SQL_OP_NOT;
    if (enter(p))
        e->left = parse_not(p);
    leave(p);
    child(p, e, e->left);
    return e;
}

static struct sql_expr *parse_and(struct parser *p)
{
    struct sql_expr *e = parse_not(p);
    while (is_kw(p, 0, "AND")) {
        struct sql_pos pos = next(p).pos;
        e = binary(p, SQL_OP_AND, e, parse_not(p), pos);
    }
    return e;
}

struct sql_expr *sql_parse_rule_expr(struct parser *p)
{
    struct sql_expr *e = NULL;
    if (enter(p)) {
        e = parse_and(p);
        while (is_kw(p, 0, "OR")) {
            struct sql_pos pos = next(p).pos;
            e = binary(p, SQL_OP_OR, e, parse_and(p), pos);
        }
    }
    leave(p);
    if (!e)
        e = new_expr(p, SQL_EXPR_NULL, peek(p, 0)->pos);
    return e;
}

/* ---- types ---- */

int sql_parse_rule_int(struct parser *p, int lo, int hi, const char *what)
{
    const struct sql_token *t = peek(p, 0);
    if (t->kind != SQL_TOK_INTEGER) {
        expected(p, what);
        return lo;
    }
    struct sql_pos pos = t->pos;
    int64_t v;
    if (!tok_int(t, &v))
        v = -1;
    next(p);
    if (v < lo || v > hi) {
        sql_parse_error_at(p, pos, "%s must be between %d and %d", what, lo,
                           hi);
        return lo;
    }
    return (int)v;
}

static void row_fields(struct parser *p, struct sql_type *ty,
                       enum sql_tok close)
{
    size_t cap = 0;
    do {
        ty->fields = grow(p, ty->fields, ty->nfields, &cap, sizeof *ty->fields);
        struct sql_field *f = &ty->fields[ty->nfields++];
        f->name = name(p, "a field name in ROW");
        f->type = parse_type(p);
    } while (accept(p, SQL_TOK_COMMA));
    expect(p, close,
           close == SQL_TOK_GT ? "',' or '>' after ROW fields"
                               : "',' or ')' after ROW fields");
}

struct sql_type *sql_parse_rule_type(struct parser *p)
{
    struct sql_type *ty = alloc(p, sizeof *ty);
    if (!enter(p)) {
        leave(p);
        return ty;
    }
    const struct sql_token *t = peek(p, 0);
    static const struct {
        const char *name;
        enum sql_type_kind kind;
    } simple[] = {
        {"STRING", SQL_TYPE_STRING},
        {"VARCHAR", SQL_TYPE_VARCHAR},
        {"CHAR", SQL_TYPE_VARCHAR},
        {"BOOLEAN", SQL_TYPE_BOOLEAN},
        {"BOOL", SQL_TYPE_BOOLEAN},
        {"TINYINT", SQL_TYPE_TINYINT},
        {"SMALLINT", SQL_TYPE_SMALLINT},
        {"INT", SQL_TYPE_INT},
        {"INTEGER", SQL_TYPE_INT},
        {"BIGINT", SQL_TYPE_BIGINT},
        {"FLOAT", SQL_TYPE_FLOAT},
        {"REAL", SQL_TYPE_FLOAT},
        {"DOUBLE", SQL_TYPE_DOUBLE},
        {"DECIMAL", SQL_TYPE_DECIMAL},
        {"DEC", SQL_TYPE_DECIMAL},
        {"NUMERIC", SQL_TYPE_DECIMAL},
        {"DATE", SQL_TYPE_DATE},
        {"TIMESTAMP", SQL_TYPE_TIMESTAMP},
        {"TIMESTAMP_LTZ", SQL_TYPE_TIMESTAMP_LTZ},
        {"BYTES", SQL_TYPE_BYTES},
        {"ROW", SQL_TYPE_ROW},
    };
    size_t i = 0, n = sizeof simple / sizeof simple[0];
    if (t->kind == SQL_TOK_WORD)
        for (; i < n; i++)
            if (strcasecmp(t->value, simple[i].name) == 0)
                break;
    if (t->kind != SQL_TOK_WORD || i == n) {
        expected(p, "a type (STRING, VARCHAR(n), BOOLEAN, INT, BIGINT, "
                    "DOUBLE, DECIMAL(p, s), TIMESTAMP(3), ...)");
        leave(p);
        return ty;
    }
    next(p);
    ty->kind = simple[i].kind;
    switch (ty->kind) {
    case SQL_TYPE_VARCHAR:
        if (accept(p, SQL_TOK_LPAREN)) {
            ty->length = int_arg(p, 1, 1 << 30, "a length");
            expect(p, SQL_TOK_RPAREN, "')' after the length");
        }
        break;
    case SQL_TYPE_DOUBLE:
        accept_kw(p, "PRECISION");
        break;
    case SQL_TYPE_DECIMAL:
        ty->precision = 10;
        if (accept(p, SQL_TOK_LPAREN)) {
            ty->precision = int_arg(p, 1, 38, "a precision");
            if (accept(p, SQL_TOK_COMMA))
                ty->scale = int_arg(p, 0, ty->precision, "a scale");
            expect(p, SQL_TOK_RPAREN, "',' or ')' after the precision");
        }
        break;
    case SQL_TYPE_TIMESTAMP:
    case SQL_TYPE_TIMESTAMP_LTZ:
        ty->precision = 3;
        if (accept(p, SQL_TOK_LPAREN)) {
            ty->precision = int_arg(p, 0, 9, "a precision");
            expect(p, SQL_TOK_RPAREN, "')' after the precision");
        }
        if (ty->kind == SQL_TYPE_TIMESTAMP && is_kw(p, 0, "WITH")) {
            next(p);
            expect_kw(p, "LOCAL", "LOCAL in WITH LOCAL TIME ZONE");
            expect_kw(p, "TIME", "TIME in WITH LOCAL TIME ZONE");
            expect_kw(p, "ZONE", "ZONE in WITH LOCAL TIME ZONE");
            ty->kind = SQL_TYPE_TIMESTAMP_LTZ;
        } else if (ty->kind == SQL_TYPE_TIMESTAMP && accept_kw(p, "WITHOUT")) {
            expect_kw(p, "TIME", "TIME in WITHOUT TIME ZONE");
            expect_kw(p, "ZONE", "ZONE in WITHOUT TIME ZONE");
        }
        break;
    case SQL_TYPE_ROW:
        if (accept(p, SQL_TOK_LT))
            row_fields(p, ty, SQL_TOK_GT);
        else if (expect(p, SQL_TOK_LPAREN, "'<' or '(' after ROW"))
            row_fields(p, ty, SQL_TOK_RPAREN);
        break;
    default:
        break;
    }
    leave(p);
    return ty;
}
