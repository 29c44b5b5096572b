/* sql_lex.h - the SQL tokenizer (layer: sql).
 *
 * Splits SQL text into tokens: words (keywords are words; the parser tells
 * them apart, case-insensitively), quoted identifiers (`x` and "x"),
 * 'strings' with '' escapes, numbers, operators. Skips whitespace, -- line
 * comments and block comments (optimizer hints in comments are ignored). It
 * never reads past `len` and accepts any bytes (a NUL is a bad character).
 * Unescaped values are copied into the caller's arena.
 */
#ifndef RILL_SQL_LEX_H
#define RILL_SQL_LEX_H

#include "base/arena.h"
#include "sql/sql_ast.h"

#include <stddef.h>

enum sql_tok {
    SQL_TOK_EOF,
    SQL_TOK_WORD,    /* identifier or keyword; value = the word */
    SQL_TOK_QIDENT,  /* `quoted` or "quoted"; value unescaped */
    SQL_TOK_STRING,  /* 'text'; value unescaped */
    SQL_TOK_INTEGER, /* 123 */
    SQL_TOK_DECIMAL, /* 1.5, .5, 1. */
    SQL_TOK_DOUBLE,  /* 1e3, 1.5E-2 */
    SQL_TOK_LPAREN,
    SQL_TOK_RPAREN,
    SQL_TOK_LBRACE,
    SQL_TOK_RBRACE,
    SQL_TOK_COMMA,
    SQL_TOK_SEMI,
    SQL_TOK_DOT,
    SQL_TOK_STAR,
    SQL_TOK_PLUS,
    SQL_TOK_MINUS,
    SQL_TOK_SLASH,
    SQL_TOK_PERCENT,
    SQL_TOK_EQ,
    SQL_TOK_NE, /* <> or != */
    SQL_TOK_LT,
    SQL_TOK_LE,
    SQL_TOK_GT,
    SQL_TOK_GE,
    SQL_TOK_CONCAT, /* || */
    SQL_TOK_ARROW,  /* => */
    SQL_TOK_QUESTION,
    SQL_TOK_PIPE, /* | (pattern alternation) */
    SQL_TOK_COUNT_
};

struct sql_token {
    enum sql_tok kind;
    struct sql_pos pos;
    const char *start; /* the token's source bytes */
    size_t len;
    const char *value; /* WORD, QIDENT, STRING: NUL-terminated, in arena */
};

struct sql_lex {
    const char *text;
    size_t len;
    size_t off;
    int line;
    int column;
    struct arena *arena;
};

/* Error details of the lexer and the parser. message is complete, e.g.
 * "line 3, column 17: expected ')' after column list, found 'WATERMARK'". */
struct sql_error {
    struct sql_pos pos;
    char message[256];
};

void sql_lex_init(struct sql_lex *lx, const char *text, size_t len,
                  struct arena *arena);

/* Reads the next token into *tok. Returns 0, or ERR_PARSE with *err filled
 * (unterminated string, identifier or comment; bad character). After the
 * end of input every call returns an SQL_TOK_EOF token. */
int sql_lex_next(struct sql_lex *lx, struct sql_token *tok,
                 struct sql_error *err);

/* A short description of a token kind for messages: "')'", "a string". */
const char *sql_lex_tok_name(enum sql_tok kind);

#endif
