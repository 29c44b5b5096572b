/* sql_lex.c - the SQL tokenizer (layer: sql).
 *
 * A hand-written scanner over a byte range. Positions count lines from 1
 * and columns in UTF-8 characters from 1, so an error points where an
 * editor shows the cursor. Does not know keywords: that is the parser's.
 */
#include "sql/sql_lex.h"

#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sql_lex_init(struct sql_lex *lx, const char *text, size_t len,
                  struct arena *arena)
{
    lx->text = text;
    lx->len = len;
    lx->off = 0;
    lx->line = 1;
    lx->column = 1;
    lx->arena = arena;
}

static int peekc(const struct sql_lex *lx, size_t ahead)
{
    if (lx->off + ahead >= lx->len)
        return -1;
    return (unsigned char)lx->text[lx->off + ahead];
}

static void advance(struct sql_lex *lx)
{
    unsigned char c = (unsigned char)lx->text[lx->off++];
    if (c == '\n') {
        lx->line++;
        lx->column = 1;
    } else if ((c & 0xC0) != 0x80) {
        lx->column++;
    }
}

static struct sql_pos here(const struct sql_lex *lx)
{
    struct sql_pos p = {lx->line, lx->column, lx->off};
    return p;
}

static int fail(struct sql_error *err, struct sql_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct sql_error *err, struct sql_pos pos, const char *fmt, ...)
{
    if (err) {
        int n = snprintf(err->message, sizeof err->message,
                         "line %d, column %d: ", pos.line, pos.column);
        va_list ap;
        va_start(ap, fmt);
        if (n > 0 && (size_t)n < sizeof err->message)
            vsnprintf(err->message + n, sizeof err->message - (size_t)n, fmt,
                      ap);
        va_end(ap);
        err->pos = pos;
    }
    return ERR_PARSE;
}

static bool word_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c >= 0x80;
}

static bool word_char(int c)
{
    return word_start(c) || (c >= '0' && c <= '9') || c == '$';
}

static bool digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Skips whitespace and comments; fails on an unterminated block comment. */
static int skip_space(struct sql_lex *lx, struct sql_error *err)
{
    for (;;) {
        int c = peekc(lx, 0);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
            c == '\v') {
            advance(lx);
        } else if (c == '-' && peekc(lx, 1) == '-') {
            while (peekc(lx, 0) >= 0 && peekc(lx, 0) != '\n')
                advance(lx);
        } else if (c == '/' && peekc(lx, 1) == '*') {
            struct sql_pos start = here(lx);
            advance(lx);
            advance(lx);
            for (;;) {
                if (peekc(lx, 0) < 0)
                    return fail(err, start, "unterminated comment");
                if (peekc(lx, 0) == '*' && peekc(lx, 1) == '/') {
                    advance(lx);
                    advance(lx);
                    break;
                }
                advance(lx);
            }
        } else {
            return 0;
        }
    }
}

/* Reads a quoted run closed by `quote`, where a doubled quote stands for
 * one; stores the unescaped value in the arena. */
static int quoted(struct sql_lex *lx, struct sql_token *tok, int quote,
                  const char *what, struct sql_error *err)
{
    advance(lx); /* the opening quote */
    size_t start = lx->off, n = 0;
    /* First pass: find the end and the unescaped length. */
    for (;;) {
        int c = peekc(lx, 0);
        if (c < 0)
            return fail(err, tok->pos, "unterminated %s", what);
        if (c == quote) {
            if (peekc(lx, 1) == quote) {
                advance(lx);
                advance(lx);
                n++;
                continue;
            }
            break;
        }
        advance(lx);
        n++;
    }
    size_t end = lx->off;
    advance(lx); /* the closing quote */
    char *v = arena_alloc(lx->arena, n + 1);
    size_t j = 0;
    for (size_t i = start; i < end; i++) {
        v[j++] = lx->text[i];
        if (lx->text[i] == quote)
            i++;
    }
    v[j] = '\0';
    tok->value = v;
    return 0;
}

static int number(struct sql_lex *lx, struct sql_token *tok,
                  struct sql_error *err)
{
    tok->kind = SQL_TOK_INTEGER;
    while (digit(peekc(lx, 0)))
        advance(lx);
    if (peekc(lx, 0) == '.') {
        tok->kind = SQL_TOK_DECIMAL;
        advance(lx);
        while (digit(peekc(lx, 0)))
            advance(lx);
    }
    int c = peekc(lx, 0);
    if (c == 'e' || c == 'E') {
        size_t k = 1;
        if (peekc(lx, 1) == '+' || peekc(lx, 1) == '-')
            k = 2;
        if (!digit(peekc(lx, k)))
            return fail(err, tok->pos,
                        "malformed number: exponent without digits");
        while (k--)
            advance(lx);
        while (digit(peekc(lx, 0)))
            advance(lx);
        tok->kind = SQL_TOK_DOUBLE;
    }
    if (word_start(peekc(lx, 0)))
        return fail(err, tok->pos,
                    "malformed number: letters right after digits");
    return 0;
}

int sql_lex_next(struct sql_lex *lx, struct sql_token *tok,
                 struct sql_error *err)
{
    memset(tok, 0, sizeof *tok);
    int rc = skip_space(lx, err);
    tok->pos = here(lx);
    tok->start = lx->text + lx->off;
    if (rc < 0)
        return rc;
    int c = peekc(lx, 0);
    if (c < 0) {
        tok->kind = SQL_TOK_EOF;
        return 0;
    }
    if (word_start(c)) {
        while (word_char(peekc(lx, 0)))
            advance(lx);
        tok->kind = SQL_TOK_WORD;
        tok->len = (size_t)(lx->text + lx->off - tok->start);
        tok->value = arena_strndup(lx->arena, tok->start, tok->len);
        return 0;
    }
    if (digit(c) || (c == '.' && digit(peekc(lx, 1)))) {
        rc = number(lx, tok, err);
        tok->len = (size_t)(lx->text + lx->off - tok->start);
        return rc;
    }
    if (c == '\'' || c == '"' || c == '`') {
        tok->kind = c == '\'' ? SQL_TOK_STRING : SQL_TOK_QIDENT;
        rc = quoted(lx, tok, c,
                    c == '\'' ? "string literal" : "quoted identifier", err);
        tok->len = (size_t)(lx->text + lx->off - tok->start);
        if (rc == 0 && tok->kind == SQL_TOK_QIDENT && !tok->value[0])
            return fail(err, tok->pos, "empty quoted identifier");
        return rc;
    }
    int c1 = peekc(lx, 1);
    enum sql_tok k;
    size_t n = 1;
    switch (c) {
    case '(':
        k = SQL_TOK_LPAREN;
        break;
    case ')':
        k = SQL_TOK_RPAREN;
        break;
    case '{':
        k = SQL_TOK_LBRACE;
        break;
    case '}':
        k = SQL_TOK_RBRACE;
        break;
    case ',':
        k = SQL_TOK_COMMA;
        break;
    case ';':
        k = SQL_TOK_SEMI;
        break;
    case '.':
        k = SQL_TOK_DOT;
        break;
    case '*':
        k = SQL_TOK_STAR;
        break;
    case '+':
        k = SQL_TOK_PLUS;
        break;
    case '-':
        k = SQL_TOK_MINUS;
        break;
    case '/':
        k = SQL_TOK_SLASH;
        break;
    case '%':
        k = SQL_TOK_PERCENT;
        break;
    case '?':
        k = SQL_TOK_QUESTION;
        break;
    case '=':
        if (c1 == '>') {
            k = SQL_TOK_ARROW;
            n = 2;
        } else {
            k = SQL_TOK_EQ;
        }
        break;
    case '<':
        if (c1 == '>' || c1 == '=') {
            k = c1 == '>' ? SQL_TOK_NE : SQL_TOK_LE;
            n = 2;
        } else {
            k = SQL_TOK_LT;
        }
        break;
    case '>':
        if (c1 == '=') {
            k = SQL_TOK_GE;
            n = 2;
        } else {
            k = SQL_TOK_GT;
        }
        break;
    case '!':
        if (c1 != '=')
            return fail(err, tok->pos,
                        "unexpected character '!' (did you "
                        "mean '!=' or NOT?)");
        k = SQL_TOK_NE;
        n = 2;
        break;
    case '|':
        if (c1 == '|') {
            k = SQL_TOK_CONCAT;
            n = 2;
        } else {
            k = SQL_TOK_PIPE;
        }
        break;
    default:
        if (c >= 0x21 && c < 0x7f)
            return fail(err, tok->pos, "unexpected character '%c'", c);
        return fail(err, tok->pos, "unexpected byte 0x%02x", c);
    }
    while (n--)
        advance(lx);
    tok->kind = k;
    tok->len = (size_t)(lx->text + lx->off - tok->start);
    return 0;
}

const char *sql_lex_tok_name(enum sql_tok kind)
{
    static const char *const names[SQL_TOK_COUNT_] = {
        [SQL_TOK_EOF] = "end of input",
        [SQL_TOK_WORD] = "a name",
        [SQL_TOK_QIDENT] = "a quoted name",
        [SQL_TOK_STRING] = "a string",
        [SQL_TOK_INTEGER] = "an integer",
        [SQL_TOK_DECIMAL] = "a number",
        [SQL_TOK_DOUBLE] = "a number",
        [SQL_TOK_LPAREN] = "'('",
        [SQL_TOK_RPAREN] = "')'",
        [SQL_TOK_LBRACE] = "'{'",
        [SQL_TOK_RBRACE] = "'}'",
        [SQL_TOK_COMMA] = "','",
        [SQL_TOK_SEMI] = "';'",
        [SQL_TOK_DOT] = "'.'",
        [SQL_TOK_STAR] = "'*'",
        [SQL_TOK_PLUS] = "'+'",
        [SQL_TOK_MINUS] = "'-'",
        [SQL_TOK_SLASH] = "'/'",
        [SQL_TOK_PERCENT] = "'%'",
        [SQL_TOK_EQ] = "'='",
        [SQL_TOK_NE] = "'<>'",
        [SQL_TOK_LT] = "'<'",
        [SQL_TOK_LE] = "'<='",
        [SQL_TOK_GT] = "'>'",
        [SQL_TOK_GE] = "'>='",
        [SQL_TOK_CONCAT] = "'||'",
        [SQL_TOK_ARROW] = "'=>'",
        [SQL_TOK_QUESTION] = "'?'",
        [SQL_TOK_PIPE] = "'|'",
    };
    if ((int)kind < 0 || kind >= SQL_TOK_COUNT_ || !names[kind])
        return "a token";
    return names[kind];
}
