/* cep_compile.c - row patterns to Pike VM programs (layer: stream).
 *
 * A pattern tree (cep.h) becomes a program of four instructions: VAR v
 * (consume one row that satisfies v), SPLIT x, y (try x first, then y),
 * JMP x and MATCH. Preference follows the SQL standard (as Perl's regular
 * expressions): alternatives left to right, greedy quantifiers prefer one
 * more repetition, reluctant ones one fewer. Bounded repetitions are
 * unrolled: e{2,4} is e e (e (e)?)?; PERMUTE(a, b, c) is the alternation of
 * its permutations in lexicographic order, as a tree of alternatives.
 * Programs are bounded by CEP_MAX_PROGRAM instructions.
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "stream/cep.h"

struct comp {
    struct cep_inst *inst;
    int n, cap;
    int depth;
    char *err;
    size_t errlen;
    int rc;
};

static int emit(struct comp *c, uint8_t op, int var, int x, int y)
{
    if (c->rc)
        return 0;
    if (c->n >= CEP_MAX_PROGRAM) {
        snprintf(c->err, c->errlen,
                 "the pattern is too large (over %d states once its "
                 "repetitions are unrolled)",
                 CEP_MAX_PROGRAM);
        c->rc = ERR_TOO_LARGE;
        return 0;
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->inst = mem_realloc(c->inst, (size_t)c->cap * sizeof *c->inst);
    }
    c->inst[c->n] = (struct cep_inst){op, (int16_t)var, x, y};
    return c->n++;
}

static void node(struct comp *c, const struct cep_node *n);

static void permute(struct comp *c, const struct cep_node *n, unsigned used)
{
    int left = 0;
    for (int i = 0; i < n->nitems; i++)
        left += !(used & (1u << i));
    if (left == 0)
        return;
    int jumps[CEP_MAX_PERMUTE], nj = 0;
    for (int i = 0; i < n->nitems && !c->rc; i++) {
        if (used & (1u << i))
            continue;
        int split = -1;
        if (--left > 0)
            split = emit(c, CEP_OP_SPLIT, 0, 0, 0);
        if (split >= 0)
            c->inst[split].x = c->n;
        node(c, n->items[i]);
        permute(c, n, used | (1u << i));
        if (split >= 0) {
            jumps[nj++] = emit(c, CEP_OP_JMP, 0, 0, 0);
            if (!c->rc)
                c->inst[split].y = c->n;
        }
    }
    for (int j = 0; j < nj && !c->rc; j++)
        c->inst[jumps[j]].x = c->n;
}

/* The body of n once, without its quantifier. */
static void body(struct comp *c, const struct cep_node *n)
{
    switch (n->kind) {
    case CEP_NODE_VAR:
        emit(c, CEP_OP_VAR, n->var, 0, 0);
        return;
    case CEP_NODE_SEQ:
        for (int i = 0; i < n->nitems && !c->rc; i++)
            node(c, n->items[i]);
        return;
    case CEP_NODE_ALT: {
        int jumps[256], nj = 0;
        if (n->nitems > 256) {
            snprintf(c->err, c->errlen, "more than 256 alternatives");
            c->rc = ERR_TOO_LARGE;
            return;
        }
        for (int i = 0; i < n->nitems && !c->rc; i++) {
            int split = -1;
            if (i + 1 < n->nitems)
                split = emit(c, CEP_OP_SPLIT, 0, 0, 0);
            if (split >= 0)
                c->inst[split].x = c->n;
            node(c, n->items[i]);
            if (split >= 0) {
                jumps[nj++] = emit(c, CEP_OP_JMP, 0, 0, 0);
                if (!c->rc)
                    c->inst[split].y = c->n;
            }
        }
        for (int j = 0; j < nj && !c->rc; j++)
            c->inst[jumps[j]].x = c->n;
        return;
    }
    case CEP_NODE_PERMUTE:
        if (n->nitems > CEP_MAX_PERMUTE) {
            snprintf(c->err, c->errlen, "PERMUTE of more than %d items",
                     CEP_MAX_PERMUTE);
            c->rc = ERR_TOO_LARGE;
            return;
        }
        permute(c, n, 0);
        return;
    }
}

/* A SPLIT to `then` (one more repetition) or past it, by preference. */
static int split_to(struct comp *c, bool reluctant)
{
    int s = emit(c, CEP_OP_SPLIT, 0, 0, 0);
    (void)reluctant;
    return s;
}

static void patch(struct comp *c, int split, int more, int past, bool reluctant)
{
    if (c->rc || split < 0)
        return;
    c->inst[split].x = reluctant ? past : more;
    c->inst[split].y = reluctant ? more : past;
}

static bool nullable(const struct cep_node *n);
static bool body_nullable(const struct cep_node *n);

static void node(struct comp *c, const struct cep_node *n)
{
    if (c->rc)
        return;
    if (++c->depth > 200) {
        snprintf(c->err, c->errlen, "the pattern nests too deeply");
        c->rc = ERR_TOO_LARGE;
        c->depth--;
        return;
    }
    if (n->nitems == 0 && n->kind != CEP_NODE_VAR) {
        snprintf(c->err, c->errlen, "an empty pattern group");
        c->rc = ERR_INVALID;
        c->depth--;
        return;
    }
    int min = n->min, max = n->max;
    if (min < 0 || (max >= 0 && max < min) || (min == 0 && max == 0)) {
        snprintf(c->err, c->errlen, "a quantifier that repeats nothing");
        c->rc = ERR_INVALID;
        c->depth--;
        return;
    }
    if ((max < 0 || max > min) && !(min == 0 && max == 1) && body_nullable(n)) {
        /* Perl and Python end a repetition at an iteration that matched
         * nothing; the VM cannot tell (refused rather than answered
         * differently) */
        snprintf(c->err, c->errlen,
                 "a repeated group that can match no rows (make part of it "
                 "mandatory, or quantify its items instead)");
        c->rc = ERR_UNSUPPORTED;
        c->depth--;
        return;
    }
    for (int i = 0; i < min && !c->rc; i++)
        body(c, n);
    if (max < 0) {
        /* L: SPLIT more, past; more: body; JMP L; past: */
        int l = c->n;
        int s = split_to(c, n->reluctant);
        int more = c->n;
        body(c, n);
        emit(c, CEP_OP_JMP, 0, l, 0);
        patch(c, s, more, c->n, n->reluctant);
    } else if (max > min) {
        int splits[64], ns = 0;
        int *sp = splits;
        if (max - min > 64)
            sp = mem_alloc((size_t)(max - min) * sizeof *sp);
        for (int i = min; i < max && !c->rc; i++) {
            sp[ns++] = split_to(c, n->reluctant);
            sp[ns - 1] = c->rc ? -1 : sp[ns - 1];
            int more = c->n;
            body(c, n);
            if (!c->rc && sp[ns - 1] >= 0)
                c->inst[sp[ns - 1]].x = more; /* patched below */
        }
        for (int i = 0; i < ns && !c->rc; i++)
            patch(c, sp[i], sp[i] + 1, c->n, n->reluctant);
        if (sp != splits)
            mem_free(sp);
    }
    c->depth--;
}

static bool nullable(const struct cep_node *n)
{
    return n->min == 0 || body_nullable(n);
}

/* Whether one repetition of n can match no rows. */
static bool body_nullable(const struct cep_node *n)
{
    switch (n->kind) {
    case CEP_NODE_VAR:
        return false;
    case CEP_NODE_ALT:
        for (int i = 0; i < n->nitems; i++)
            if (nullable(n->items[i]))
                return true;
        return false;
    default:
        for (int i = 0; i < n->nitems; i++)
            if (!nullable(n->items[i]))
                return false;
        return true;
    }
}

static int check_vars(const struct cep_node *n, int nvars, int depth)
{
    if (depth > 200)
        return ERR_TOO_LARGE;
    if (n->kind == CEP_NODE_VAR)
        return n->var >= 0 && n->var < nvars ? 0 : ERR_INVALID;
    for (int i = 0; i < n->nitems; i++) {
        int rc = check_vars(n->items[i], nvars, depth + 1);
        if (rc)
            return rc;
    }
    return 0;
}

int cep_program_compile(const struct cep_node *root, int nvars,
                        struct cep_program *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!root || check_vars(root, nvars, 0)) {
        snprintf(err, errlen, "a pattern over unknown variables");
        return ERR_INVALID;
    }
    struct comp c = {.err = err, .errlen = errlen};
    node(&c, root);
    emit(&c, CEP_OP_MATCH, 0, 0, 0);
    if (c.rc) {
        mem_free(c.inst);
        return c.rc;
    }
    out->inst = c.inst;
    out->n = c.n;
    out->nullable = nullable(root);
    return 0;
}

void cep_program_fini(struct cep_program *p)
{
    mem_free(p->inst);
    memset(p, 0, sizeof *p);
}
