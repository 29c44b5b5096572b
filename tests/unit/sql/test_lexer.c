/* test_lexer.c - table-driven tests of the SQL tokenizer (layer: sql).
 *
 * Each case lists the tokens of an input as "KIND:text" words (the value
 * for words, quoted names and strings, the source text otherwise), or the
 * exact error. Then positions (lines, UTF-8 columns, offsets).
 */
#include "base/arena.h"
#include "base/err.h"
#include "base/mem.h"
#include "sql/sql_lex.h"

#include "../../harness.h"

#include <stdlib.h>

static const char *kind_tag(enum sql_tok k)
{
    switch (k) {
    case SQL_TOK_WORD:
        return "W";
    case SQL_TOK_QIDENT:
        return "Q";
    case SQL_TOK_STRING:
        return "S";
    case SQL_TOK_INTEGER:
        return "I";
    case SQL_TOK_DECIMAL:
        return "D";
    case SQL_TOK_DOUBLE:
        return "F";
    default:
        return "P";
    }
}

/* Tokens as "W:select I:1 P:, S:it's", or "error: <message>". */
static void lex_all(const char *text, char *out, size_t cap)
{
    struct arena a;
    arena_init(&a, 0);
    struct sql_lex lx;
    sql_lex_init(&lx, text, strlen(text), &a);
    size_t n = 0;
    out[0] = '\0';
    for (;;) {
        struct sql_token t;
        struct sql_error err;
        if (sql_lex_next(&lx, &t, &err) < 0) {
            snprintf(out, cap, "error: %s", err.message);
            break;
        }
        if (t.kind == SQL_TOK_EOF)
            break;
        int w;
        if (t.value)
            w = snprintf(out + n, cap - n, "%s%s:%s", n ? " " : "",
                         kind_tag(t.kind), t.value);
        else
            w = snprintf(out + n, cap - n, "%s%s:%.*s", n ? " " : "",
                         kind_tag(t.kind), (int)t.len, t.start);
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
    arena_fini(&a);
}

static const struct {
    const char *input;
    const char *tokens;
} cases[] = {
    {"", ""},
    {"   \t\n  ", ""},
    {"SELECT a, b FROM t;", "W:SELECT W:a P:, W:b W:FROM W:t P:;"},
    {"select_1 $x", "error: line 1, column 10: unexpected character '$'"},
    {"a$b _x", "W:a$b W:_x"},
    {"42 3.14 .5 1. 1e3 2.5E-2 7e+1",
     "I:42 D:3.14 D:.5 D:1. F:1e3 F:2.5E-2 F:7e+1"},
    {"'it''s' '' 'a\"b'", "S:it's S: S:a\"b"},
    {"`weird col` \"Dq\"\"x\" `a``b`", "Q:weird col Q:Dq\"x Q:a`b"},
    {"( ) { } , ; . * + - / % ?",
     "P:( P:) P:{ P:} P:, P:; P:. P:* P:+ P:- P:/ P:% P:?"},
    {"= <> != < <= > >= || => |",
     "P:= P:<> P:!= P:< P:<= P:> P:>= P:|| P:=> P:|"},
    {"a<>b", "W:a P:<> W:b"},
    {"a-1--comment\nb", "W:a P:- I:1 W:b"},
    {"a/*x*/b /* multi\nline */ c", "W:a W:b W:c"},
    {"/*+ OPTIONS('k'='v') */ SELECT", "W:SELECT"},
    {"x -- only a comment", "W:x"},
    {"t.a.b", "W:t P:. W:a P:. W:b"},
    {"ROW<a INT>", "W:ROW P:< W:a W:INT P:>"},
    {"B+ X*? C{2,3}", "W:B P:+ W:X P:* P:? W:C P:{ I:2 P:, I:3 P:}"},
    {"température µs", "W:température W:µs"},
    {"'unterminated", "error: line 1, column 1: unterminated string literal"},
    {"x 'it''s", "error: line 1, column 3: unterminated string literal"},
    {"`abc", "error: line 1, column 1: unterminated quoted identifier"},
    {"\"abc", "error: line 1, column 1: unterminated quoted identifier"},
    {"``", "error: line 1, column 1: empty quoted identifier"},
    {"a /* never", "error: line 1, column 3: unterminated comment"},
    {"1e",
     "error: line 1, column 1: malformed number: exponent without digits"},
    {"1e+",
     "error: line 1, column 1: malformed number: exponent without digits"},
    {"5s",
     "error: line 1, column 1: malformed number: letters right after digits"},
    {"a ! b", "error: line 1, column 3: unexpected character '!' (did you mean "
              "'!=' or NOT?)"},
    {"a # b", "error: line 1, column 3: unexpected character '#'"},
    {"a \x01", "error: line 1, column 3: unexpected byte 0x01"},
    {"a\n  b\n\t@", "error: line 3, column 2: unexpected character '@'"},
    {"'é' @", "error: line 1, column 5: unexpected character '@'"},
};

TEST(table)
{
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[512];
        lex_all(cases[i].input, got, sizeof got);
        if (strcmp(got, cases[i].tokens) != 0) {
            fprintf(stderr, "  input:    %s\n  expected: %s\n  got:      %s\n",
                    cases[i].input, cases[i].tokens, got);
            bad++;
        }
    }
    CHECK_EQ_INT(bad, 0);
}

TEST(positions)
{
    const char *text = "SELECT\n  'ä', x\r\n/* c */ y";
    struct arena a;
    arena_init(&a, 0);
    struct sql_lex lx;
    sql_lex_init(&lx, text, strlen(text), &a);
    struct sql_token t;
    struct sql_error err;
    const struct {
        enum sql_tok kind;
        int line, column;
        size_t offset;
    } want[] = {
        {SQL_TOK_WORD, 1, 1, 0},   {SQL_TOK_STRING, 2, 3, 9},
        {SQL_TOK_COMMA, 2, 6, 13}, {SQL_TOK_WORD, 2, 8, 15},
        {SQL_TOK_WORD, 3, 9, 26},  {SQL_TOK_EOF, 3, 10, 27},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        CHECK_EQ_INT(sql_lex_next(&lx, &t, &err), 0);
        CHECK_EQ_INT(t.kind, want[i].kind);
        CHECK_EQ_INT(t.pos.line, want[i].line);
        CHECK_EQ_INT(t.pos.column, want[i].column);
        CHECK_EQ_INT(t.pos.offset, want[i].offset);
    }
    /* EOF repeats. */
    CHECK_EQ_INT(sql_lex_next(&lx, &t, &err), 0);
    CHECK_EQ_INT(t.kind, SQL_TOK_EOF);
    arena_fini(&a);
}

/* A length shorter than the text: the lexer stops there. */
TEST(bounded)
{
    struct arena a;
    arena_init(&a, 0);
    struct sql_lex lx;
    const char *text = "abc 'xyz'";
    struct sql_token t;
    struct sql_error err;
    sql_lex_init(&lx, text, 2, &a);
    CHECK_EQ_INT(sql_lex_next(&lx, &t, &err), 0);
    CHECK_EQ_STR(t.value, "ab");
    CHECK_EQ_INT(sql_lex_next(&lx, &t, &err), 0);
    CHECK_EQ_INT(t.kind, SQL_TOK_EOF);
    sql_lex_init(&lx, text, 8, &a);
    CHECK_EQ_INT(sql_lex_next(&lx, &t, &err), 0);
    CHECK_EQ_INT(sql_lex_next(&lx, &t, &err), ERR_PARSE);
    CHECK_EQ_STR(err.message, "line 1, column 5: unterminated string literal");
    CHECK_EQ_STR(sql_lex_tok_name(SQL_TOK_RPAREN), "')'");
    CHECK_EQ_STR(sql_lex_tok_name(SQL_TOK_EOF), "end of input");
    arena_fini(&a);
}

int main(void)
{
    RUN(table);
    RUN(positions);
    RUN(bounded);
    return harness_summary("test_lexer");
}
