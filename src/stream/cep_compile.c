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
 *
 * A repeated group that can match no rows, as (A? B?)+, follows Perl's and
 * Python's rule (SQL:2016 leaves it to the implementation; Flink refuses
 * such patterns): an optional iteration that matched no rows ends the
 * repetition, at its place in the preference order. The body X of such an
 * iteration is split into B | () | A (the non-empty ways of X preferred to
 * the empty one, the empty one, the others, in X's preference order), and
 * the iteration compiles as B then the next iteration | past the
 * repetition | A then the next iteration: every loop consumes a row, so the
 * Pike VM's preference is the backtracking one.
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
    void **made; /* nodes and item arrays made by split(), freed at the end */
    int nmade, madecap;
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

/* ---- splitting a nullable pattern into B | () | A ---- */

#define MAX_MADE 100000
static const struct cep_node EPS_NODE; /* the empty sequence */
#define EPS (&EPS_NODE)

static void *made(struct comp *c, size_t n)
{
    if (c->rc)
        return NULL;
    if (c->nmade >= MAX_MADE) {
        snprintf(c->err, c->errlen,
                 "the pattern is too large (its empty repetitions expand "
                 "past %d parts)",
                 MAX_MADE);
        c->rc = ERR_TOO_LARGE;
        return NULL;
    }
    if (c->nmade == c->madecap) {
        c->madecap = c->madecap ? 2 * c->madecap : 64;
        c->made = mem_realloc(c->made, (size_t)c->madecap * sizeof *c->made);
    }
    void *p = mem_calloc(1, n);
    c->made[c->nmade++] = p;
    return p;
}

static const struct cep_node *mk(struct comp *c, enum cep_node_kind kind,
                                 const struct cep_node *a,
                                 const struct cep_node *b)
{
    struct cep_node *n = made(c, sizeof *n);
    const struct cep_node **items = made(c, 2 * sizeof *items);
    if (!n || !items)
        return NULL;
    items[0] = a;
    items[1] = b;
    *n = (struct cep_node){kind, 0, items, 2, 1, 1, false};
    return n;
}

/* a then b; NULL (no way at all) absorbs, EPS is neutral */
static const struct cep_node *seq2(struct comp *c, const struct cep_node *a,
                                   const struct cep_node *b)
{
    if (!a || !b)
        return NULL;
    if (a == EPS)
        return b;
    if (b == EPS)
        return a;
    return mk(c, CEP_NODE_SEQ, a, b);
}

/* a, else b (a preferred); NULL is no alternative */
static const struct cep_node *alt2(struct comp *c, const struct cep_node *a,
                                   const struct cep_node *b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    return mk(c, CEP_NODE_ALT, a, b);
}

/* n with quantifier {min,max} (max 0: EPS) */
static const struct cep_node *requant(struct comp *c, const struct cep_node *n,
                                      int min, int max)
{
    if (max == 0)
        return EPS;
    struct cep_node *r = made(c, sizeof *r);
    if (!r)
        return NULL;
    *r = *n;
    r->min = min;
    r->max = max;
    if (min == 1 && max == 1)
        r->reluctant = false;
    return r;
}

/* items[from..] as one sequence (EPS when none) */
static const struct cep_node *
seq_from(struct comp *c, const struct cep_node *const *items, int n, int from)
{
    if (from >= n)
        return EPS;
    if (from == n - 1)
        return items[from];
    struct cep_node *r = made(c, sizeof *r);
    if (!r)
        return NULL;
    *r =
        (struct cep_node){CEP_NODE_SEQ, 0, items + from, n - from, 1, 1, false};
    return r;
}

/* PERMUTE(items) without `used`, as alternatives of sequences */
static const struct cep_node *perm_tree(struct comp *c,
                                        const struct cep_node *n, unsigned used)
{
    const struct cep_node *r = NULL;
    int left = 0;
    for (int i = 0; i < n->nitems; i++)
        left += !(used & (1u << i));
    if (left == 1)
        for (int i = 0; i < n->nitems; i++)
            if (!(used & (1u << i)))
                return n->items[i];
    for (int i = 0; i < n->nitems && !c->rc; i++)
        if (!(used & (1u << i)))
            r = alt2(c, r,
                     seq2(c, n->items[i], perm_tree(c, n, used | (1u << i))));
    return r;
}

static void split(struct comp *c, const struct cep_node *x,
                  const struct cep_node **b, const struct cep_node **a);

/* x's ways that match rows, in order (x itself when it cannot be empty) */
static const struct cep_node *nonempty(struct comp *c, const struct cep_node *x)
{
    if (!nullable(x))
        return x;
    const struct cep_node *b, *a;
    split(c, x, &b, &a);
    return alt2(c, b, a);
}

/* items[from..] in sequence, all nullable */
static void split_seq(struct comp *c, const struct cep_node *const *items,
                      int n, int from, const struct cep_node **b,
                      const struct cep_node **a)
{
    *b = *a = NULL;
    if (c->rc)
        return;
    if (from == n - 1) {
        split(c, items[from], b, a);
        return;
    }
    const struct cep_node *by, *ay, *bz, *az;
    const struct cep_node *z = seq_from(c, items, n, from + 1);
    split(c, items[from], &by, &ay);
    split_seq(c, items, n, from + 1, &bz, &az);
    /* Y Z = (BY | () | AY) Z = BY Z | BZ | () | AZ | AY Z */
    *b = alt2(c, seq2(c, by, z), bz);
    *a = alt2(c, az, seq2(c, ay, z));
}

/* x (nullable) = b | () | a, by preference; b and a match at least one row
 * (NULL: no such way). */
static void split(struct comp *c, const struct cep_node *x,
                  const struct cep_node **b, const struct cep_node **a)
{
    *b = *a = NULL;
    if (c->rc || x == EPS)
        return;
    if (++c->depth > 200) {
        snprintf(c->err, c->errlen, "the pattern nests too deeply");
        c->rc = ERR_TOO_LARGE;
        c->depth--;
        return;
    }
    int min = x->min, max = x->max;
    const struct cep_node *body = requant(c, x, 1, 1);
    if (!body) {
        c->depth--;
        return;
    }
    if (min >= 1 && !(min == 1 && max == 1)) {
        /* body^min, then the optional part: a sequence */
        int n = min + (max != min);
        if (n > 64) {
            snprintf(c->err, c->errlen,
                     "a repeated group that can match no rows repeats over "
                     "64 times");
            c->rc = ERR_TOO_LARGE;
            c->depth--;
            return;
        }
        const struct cep_node **items = made(c, (size_t)n * sizeof *items);
        if (items) {
            for (int i = 0; i < min; i++)
                items[i] = body;
            if (max != min)
                items[min] = requant(c, x, 0, max < 0 ? -1 : max - min);
            split_seq(c, items, n, 0, b, a);
        }
    } else if (min == 0) {
        /* optional iterations: the empty one ends the repetition */
        const struct cep_node *r =
            max == 1 ? EPS : requant(c, x, 0, max < 0 ? -1 : max - 1);
        if (x->reluctant) {
            *a = seq2(c, nonempty(c, body), r);
        } else if (body_nullable(x)) {
            const struct cep_node *bb, *ab;
            split(c, body, &bb, &ab);
            *b = seq2(c, bb, r);
            *a = seq2(c, ab, r);
        } else {
            *b = seq2(c, body, r);
        }
    } else {
        switch (x->kind) {
        case CEP_NODE_VAR:
            *b = x; /* never nullable */
            break;
        case CEP_NODE_SEQ:
            split_seq(c, x->items, x->nitems, 0, b, a);
            break;
        case CEP_NODE_ALT: {
            int i = 0;
            const struct cep_node *before = NULL, *after = NULL;
            while (i < x->nitems && !nullable(x->items[i]))
                before = alt2(c, before, x->items[i++]);
            const struct cep_node *bi = NULL, *ai = NULL;
            if (i < x->nitems)
                split(c, x->items[i], &bi, &ai);
            for (int j = i + 1; j < x->nitems; j++)
                after = alt2(c, after, nonempty(c, x->items[j]));
            *b = alt2(c, before, bi);
            *a = alt2(c, ai, after);
            break;
        }
        case CEP_NODE_PERMUTE:
            split(c, perm_tree(c, x, 0), b, a);
            break;
        }
    }
    c->depth--;
}

/* One optional iteration of n: where it matched no rows, a JMP past the
 * repetition (added to *past for the caller to patch). */
static void opt_body(struct comp *c, const struct cep_node *n, int *past,
                     int *npast, int maxpast)
{
    if (!body_nullable(n)) {
        body(c, n);
        return;
    }
    const struct cep_node *bb, *ab;
    split(c, requant(c, n, 1, 1), &bb, &ab);
    if (c->rc)
        return;
    if (*npast >= maxpast) {
        snprintf(c->err, c->errlen, "the pattern is too large");
        c->rc = ERR_TOO_LARGE;
        return;
    }
    int s1 = -1, j1 = -1, s2 = -1;
    if (bb) {
        s1 = emit(c, CEP_OP_SPLIT, 0, 0, 0);
        if (!c->rc)
            c->inst[s1].x = c->n;
        node(c, bb);
        j1 = emit(c, CEP_OP_JMP, 0, 0, 0); /* to the next iteration */
        if (!c->rc)
            c->inst[s1].y = c->n;
    }
    if (ab) {
        s2 = emit(c, CEP_OP_SPLIT, 0, 0, 0);
        if (!c->rc)
            c->inst[s2].x = c->n;
    }
    past[(*npast)++] = emit(c, CEP_OP_JMP, 0, 0, 0);
    if (ab) {
        if (!c->rc)
            c->inst[s2].y = c->n;
        node(c, ab);
    }
    if (j1 >= 0 && !c->rc)
        c->inst[j1].x = c->n;
}

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
    for (int i = 0; i < min && !c->rc; i++)
        body(c, n);
    if (max < 0) {
        /* L: SPLIT more, past; more: body; JMP L; past: */
        int l = c->n;
        int s = split_to(c, n->reluctant);
        int more = c->n;
        int past[1], np = 0;
        opt_body(c, n, past, &np, 1);
        emit(c, CEP_OP_JMP, 0, l, 0);
        patch(c, s, more, c->n, n->reluctant);
        for (int i = 0; i < np && !c->rc; i++)
            c->inst[past[i]].x = c->n;
    } else if (max > min) {
        int k = max - min;
        int *sp = mem_alloc((size_t)k * sizeof *sp);
        int *past = mem_alloc((size_t)k * sizeof *past);
        int ns = 0, np = 0;
        for (int i = min; i < max && !c->rc; i++) {
            sp[ns++] = split_to(c, n->reluctant);
            sp[ns - 1] = c->rc ? -1 : sp[ns - 1];
            opt_body(c, n, past, &np, k);
        }
        for (int i = 0; i < ns && !c->rc; i++)
            patch(c, sp[i], sp[i] + 1, c->n, n->reluctant);
        for (int i = 0; i < np && !c->rc; i++)
            c->inst[past[i]].x = c->n;
        mem_free(sp);
        mem_free(past);
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
    for (int i = 0; i < c.nmade; i++)
        mem_free(c.made[i]);
    mem_free(c.made);
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
