/* fuzz_match.c - libFuzzer target for the MATCH_RECOGNIZE pattern compiler
 * (layer: sql, test only).
 *
 * The input is the text inside PATTERN ( ... ): it is parsed within a
 * whole statement, then compiled (sql_match_compile_pattern: variables,
 * quantifiers unrolled, PERMUTE expanded, bounds checked). A compiled
 * program must be well formed: every jump inside it, every variable
 * declared, MATCH last; a refusal must carry a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/mem.h"
#include "sql/sql_match.h"
#include "sql/sql_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    static const char head[] =
        "SELECT * FROM t MATCH_RECOGNIZE (ORDER BY ts PATTERN (";
    static const char tail[] = "))";
    size_t n = sizeof head - 1 + size + sizeof tail - 1;
    char *text = mem_alloc(n);
    memcpy(text, head, sizeof head - 1);
    memcpy(text + sizeof head - 1, data, size);
    memcpy(text + sizeof head - 1 + size, tail, sizeof tail - 1);
    struct arena a;
    arena_init(&a, 4096);
    struct sql_script sc;
    struct sql_error perr;
    if (sql_parse_script(text, n, &a, &sc, &perr) == 0 && sc.nstmts == 1 &&
        sc.stmts[0]->query && sc.stmts[0]->query->from &&
        sc.stmts[0]->query->from->kind == SQL_FROM_MATCH) {
        const struct sql_match *m = sc.stmts[0]->query->from->match;
        struct cep_program prog;
        struct sql_exec_error err;
        int nvars = 0;
        memset(&err, 0, sizeof err);
        if (sql_match_compile_pattern(m, &prog, &nvars, &err) == 0) {
            if (prog.n < 1 || prog.inst[prog.n - 1].op != CEP_OP_MATCH)
                abort();
            for (int i = 0; i < prog.n; i++) {
                const struct cep_inst *in = &prog.inst[i];
                if (in->op == CEP_OP_VAR && (in->var < 0 || in->var >= nvars))
                    abort();
                if ((in->op == CEP_OP_SPLIT || in->op == CEP_OP_JMP) &&
                    (in->x < 0 || in->x >= prog.n))
                    abort();
                if (in->op == CEP_OP_SPLIT && (in->y < 0 || in->y >= prog.n))
                    abort();
            }
            cep_program_fini(&prog);
        } else if (!err.message[0]) {
            abort();
        }
    }
    arena_fini(&a);
    mem_free(text);
    return 0;
}
