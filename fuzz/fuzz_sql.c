/* fuzz_sql.c - libFuzzer target for the SQL lexer, parser and printer
 * (layer: sql, test only).
 *
 * Parses the input as a script; on success prints every statement (so the
 * printer walks every node the parser built), on failure checks that the
 * message names a line and column inside the input. Also parses the input
 * as one expression. One arena per input, freed at the end: ASan's leak
 * check sees anything the parser allocated elsewhere.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/mem.h"
#include "sql/sql_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    const char *text = (const char *)data;
    struct arena a;
    arena_init(&a, 4096);
    struct sql_script sc;
    struct sql_error err;
    if (sql_parse_script(text, size, &a, &sc, &err) == 0) {
        for (size_t i = 0; i < sc.nstmts; i++) {
            char *s = sql_ast_format_stmt(sc.stmts[i]);
            if (!s || s[0] != '(')
                abort();
            mem_free(s);
            if (sc.stmts[i]->pos.offset + sc.stmts[i]->text_len > size)
                abort();
        }
    } else {
        if (strncmp(err.message, "line ", 5) != 0 || err.pos.line < 1 ||
            err.pos.column < 1 || err.pos.offset > size)
            abort();
    }
    arena_reset(&a);
    struct sql_expr *e;
    if (sql_parse_expr(text, size, &a, &e, &err) == 0) {
        char *s = sql_ast_format_expr(e);
        mem_free(s);
    }
    arena_fini(&a);
    return 0;
}
