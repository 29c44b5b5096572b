/* test_cep.c - the pattern compiler (program shapes, refusals) and the
 * MATCH_RECOGNIZE operator driven from C: rows out of order sorted by
 * event time before matching, late rows to the callback and counted, a
 * navigating DEFINE (LAST of another variable), measures, timeouts with
 * WITHIN, the partial-match limit, state accounting and release. */
#include <stdio.h>
#include <string.h>

#include "../../harness.h"
#include "base/err.h"
#include "stream/cep.h"
#include "stream/operator.h"

static struct schema in_schema; /* k STRING, v INT */
static char out_rows[64][128];
static int nout;
static int nlate;

static void render(const struct row_batch *b, int r, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = 0;
    for (int c = 0; c < b->ncolumns && at < n; c++) {
        struct value v = row_batch_get(b, r, c);
        const char *sep = c ? "|" : "";
        switch (v.type) {
        case SCHEMA_STRING:
            at += (size_t)snprintf(buf + at, n - at, "%s%.*s", sep,
                                   (int)v.u.str.len, v.u.str.ptr);
            break;
        case SCHEMA_INT:
            at += (size_t)snprintf(buf + at, n - at, "%s%d", sep, v.u.i32);
            break;
        case SCHEMA_BIGINT:
        case SCHEMA_TIMESTAMP:
            at += (size_t)snprintf(buf + at, n - at, "%s%lld", sep,
                                   (long long)v.u.i64);
            break;
        case SCHEMA_BOOLEAN:
            at += (size_t)snprintf(buf + at, n - at, "%s%s", sep,
                                   v.u.b ? "true" : "false");
            break;
        default:
            at += (size_t)snprintf(buf + at, n - at, "%sNULL", sep);
            break;
        }
    }
}

static int collect(void *arg, const struct row_batch *b)
{
    (void)arg;
    for (int r = 0; r < b->nrows && nout < 64; r++)
        render(b, r, out_rows[nout++], sizeof out_rows[0]);
    return 0;
}

static void on_late(void *arg, const struct row_batch *in, int row)
{
    (void)arg;
    (void)in;
    (void)row;
    nlate++;
}

static const struct cep_node *const *items(const struct cep_node **a)
{
    return a;
}

TEST(compile_shapes)
{
    char err[256];
    struct cep_program p;
    struct cep_node a = {.kind = CEP_NODE_VAR, .var = 0, .min = 1, .max = 1};
    struct cep_node b = {.kind = CEP_NODE_VAR, .var = 1, .min = 2, .max = 4};
    const struct cep_node *ab[] = {&a, &b};
    struct cep_node seq = {.kind = CEP_NODE_SEQ,
                           .items = items(ab),
                           .nitems = 2,
                           .min = 1,
                           .max = 1};
    /* A B{2,4}: VAR A, VAR B, VAR B, (SPLIT VAR B) x2, MATCH = 8 */
    CHECK_EQ_INT(cep_program_compile(&seq, 2, &p, err, sizeof err), 0);
    CHECK_EQ_INT(p.n, 8);
    CHECK(!p.nullable);
    CHECK_EQ_INT(p.inst[p.n - 1].op, CEP_OP_MATCH);
    cep_program_fini(&p);
    /* A* alone matches nothing: nullable */
    struct cep_node star = {
        .kind = CEP_NODE_VAR, .var = 0, .min = 0, .max = -1};
    CHECK_EQ_INT(cep_program_compile(&star, 1, &p, err, sizeof err), 0);
    CHECK(p.nullable);
    cep_program_fini(&p);
    /* unknown variable, too large */
    CHECK_EQ_INT(cep_program_compile(&a, 0, &p, err, sizeof err), ERR_INVALID);
    struct cep_node big = {.kind = CEP_NODE_VAR, .min = 5000, .max = 5000};
    CHECK_EQ_INT(cep_program_compile(&big, 1, &p, err, sizeof err),
                 ERR_TOO_LARGE);
    CHECK(strstr(err, "too large") != NULL);
    const struct cep_node *st[] = {&star};
    struct cep_node grp = {.kind = CEP_NODE_SEQ,
                           .items = items(st),
                           .nitems = 1,
                           .min = 1,
                           .max = -1};
    /* (A*)+: a repetition of a group that can match no rows compiles (an
     * empty iteration ends it); the whole can match no rows */
    CHECK_EQ_INT(cep_program_compile(&grp, 1, &p, err, sizeof err), 0);
    CHECK(p.nullable);
    cep_program_fini(&p);
    /* PERMUTE(A, B): A B | B A */
    struct cep_node b1 = {.kind = CEP_NODE_VAR, .var = 1, .min = 1, .max = 1};
    const struct cep_node *pm[] = {&a, &b1};
    struct cep_node perm = {.kind = CEP_NODE_PERMUTE,
                            .items = items(pm),
                            .nitems = 2,
                            .min = 1,
                            .max = 1};
    CHECK_EQ_INT(cep_program_compile(&perm, 2, &p, err, sizeof err), 0);
    CHECK_EQ_INT(p.inst[0].op, CEP_OP_SPLIT);
    CHECK_EQ_INT(p.inst[1].op, CEP_OP_VAR);
    CHECK_EQ_INT(p.inst[1].var, 0); /* A first: lexicographic preference */
    cep_program_fini(&p);
}

static void feed(struct operator_node *op, const char *const *keys,
                 const int *vals, const int *ts_s, int n)
{
    struct row_batch *b;
    row_batch_create(&in_schema, 64, &b);
    for (int i = 0; i < n; i++) {
        int r = row_batch_begin_row(b);
        row_batch_set(b, r, 0,
                      value_string(keys[i], (uint32_t)strlen(keys[i])));
        row_batch_set(b, r, 1, value_int(vals[i]));
        struct row_meta m = {(int64_t)ts_s[i] * 1000, i,
                             (int64_t)ts_s[i] * 1000, 0, INT64_MIN};
        row_batch_commit_row(b, &m);
    }
    CHECK_EQ_INT(op->ops->push(op, b), 0);
    row_batch_destroy(b);
}

/* PATTERN (A B+) PARTITION BY k: A a positive v, B a v below LAST(A.v);
 * MEASURES COUNT(*), LAST(B.v), MATCH_TIMED_OUT(); WITHIN within_s. */
static struct operator_node *make(struct cep **cep_out, int64_t within_s,
                                  int max_partial)
{
    struct cep *c;
    CHECK_EQ_INT(cep_create(&in_schema, 64, &c), 0);
    CHECK_EQ_INT(cep_add_var(c, "A"), 0);
    CHECK_EQ_INT(cep_add_var(c, "B"), 1);
    struct cep_node a = {.kind = CEP_NODE_VAR, .var = 0, .min = 1, .max = 1};
    struct cep_node b = {.kind = CEP_NODE_VAR, .var = 1, .min = 1, .max = -1};
    const struct cep_node *ab[] = {&a, &b};
    struct cep_node seq = {.kind = CEP_NODE_SEQ,
                           .items = items(ab),
                           .nitems = 2,
                           .min = 1,
                           .max = 1};
    char err[128];
    CHECK_EQ_INT(cep_set_pattern(c, &seq, err, sizeof err), 0);
    struct cep_options o = {.nkeys = 1,
                            .keys = {0},
                            .allowed_lateness_ms = 0,
                            .within_ms = within_s * 1000,
                            .timeout_rows = within_s > 0,
                            .max_partial = max_partial,
                            .late = on_late};
    CHECK_EQ_INT(cep_set_options(c, &o), 0);
    struct cep_ref last_a = {.kind = CEP_REF_LAST, .var = 0, .column = 1};
    int la = cep_add_ref(c, CEP_DEFINE, &last_a);
    CHECK_EQ_INT(la, 2);
    struct expr_ctx *lctx, *gctx, *mctx;
    expr_ctx_create(&in_schema, 64, &lctx);
    expr_ctx_create(cep_schema(c, CEP_DEFINE), 64, &gctx);
    struct expr *local[2] = {expr_binary(lctx, EXPR_GT, expr_column(lctx, 1),
                                         expr_literal(lctx, value_int(0))),
                             NULL};
    struct expr *general[2] = {NULL,
                               expr_binary(gctx, EXPR_LT, expr_column(gctx, 1),
                                           expr_column(gctx, la))};
    CHECK_EQ_INT(cep_set_defines(c, lctx, gctx, local, general), 0);
    struct cep_ref cnt = {
        .kind = CEP_REF_AGG, .var = -1, .column = -1, .agg = AGG_COUNT_STAR};
    struct cep_ref last_b = {.kind = CEP_REF_LAST, .var = 1, .column = 1};
    struct cep_ref tmo = {.kind = CEP_REF_TIMED_OUT, .var = -1, .column = -1};
    int m0 = cep_add_ref(c, CEP_MEASURE, &cnt);
    int m1 = cep_add_ref(c, CEP_MEASURE, &last_b);
    int m2 = cep_add_ref(c, CEP_MEASURE, &tmo);
    CHECK_EQ_INT(cep_add_ref(c, CEP_MEASURE, &cnt), m0); /* shared */
    expr_ctx_create(cep_schema(c, CEP_MEASURE), 64, &mctx);
    struct expr *ms[3] = {expr_column(mctx, m0), expr_column(mctx, m1),
                          expr_column(mctx, m2)};
    const char *names[3] = {"n", "last_b", "timed_out"};
    CHECK_EQ_INT(cep_set_measures(c, mctx, 3, ms, names), 0);
    struct operator_node *op, *sink;
    CHECK_EQ_INT(operator_cep_create(c, &op), 0);
    CHECK_EQ_INT(operator_sink_create(op->out_schema, collect, NULL, &sink), 0);
    op->next = sink;
    *cep_out = c;
    nout = nlate = 0;
    return op;
}

TEST(operator_order_late_navigation)
{
    struct cep *c;
    struct operator_node *op = make(&c, 0, 0);
    /* x: 1:5 2:3 3:1 4:7 (arrives 3, 1, 2, 4), y: 1:2 2:9 */
    const char *k1[] = {"x", "x", "y", "x", "y"};
    int v1[] = {1, 5, 2, 3, 9};
    int t1[] = {3, 1, 1, 2, 2};
    feed(op, k1, v1, t1, 5);
    CHECK_EQ_INT(nout, 0); /* nothing released before the watermark */
    CHECK_EQ_INT(operator_advance_chain(op, 3000), 0);
    /* x: 5 3 1 = A B B, still open (B+ greedy) */
    CHECK_EQ_INT(nout, 0);
    const char *k2[] = {"x", "x"};
    int v2[] = {7, 4};
    int t2[] = {4, 2}; /* ts 2 <= watermark 3: late */
    feed(op, k2, v2, t2, 2);
    CHECK_EQ_INT(nlate, 1);
    CHECK_EQ_INT(operator_advance_chain(op, 4000), 0);
    /* 7 > 1 (LAST(A.v) = 5): not B, so x's match is 5 3 1 */
    CHECK_EQ_INT(nout, 1);
    CHECK_EQ_STR(out_rows[0], "x|3|1|false");
    struct cep_stats st;
    cep_stats(c, &st);
    CHECK_EQ_INT(st.rows_late, 1);
    CHECK_EQ_INT(cep_late_count(c, 0), 1);
    CHECK(st.state_bytes > 0);
    /* end of input: y's 2 9 is A then 9 > 2: no B: nothing; x's 7 alone */
    CHECK_EQ_INT(operator_advance_chain(op, INT64_MAX), 0);
    CHECK_EQ_INT(nout, 1);
    cep_stats(c, &st);
    CHECK_EQ_INT(st.matches, 1);
    CHECK_EQ_INT(st.partial_matches, 0);
    operator_destroy_chain(op);
}

TEST(operator_timeout)
{
    struct cep *c;
    struct operator_node *op = make(&c, 10, 0);
    const char *k[] = {"x", "x", "x"};
    int v[] = {5, 4, 6};
    int t[] = {1, 2, 30};
    feed(op, k, v, t, 2);
    CHECK_EQ_INT(operator_advance_chain(op, 5000), 0);
    CHECK_EQ_INT(nout, 0); /* A B+ still growing, deadline 11 s */
    CHECK_EQ_INT(operator_advance_chain(op, 10999), 0);
    /* the next row could be at 11 s = 1 + 10: too late for WITHIN: the
     * attempt ends with its match 5 4 (not a timeout: it had matched) */
    CHECK_EQ_INT(nout, 1);
    CHECK_EQ_STR(out_rows[0], "x|2|4|false");
    feed(op, k + 2, v + 2, t + 2, 1);
    CHECK_EQ_INT(operator_advance_chain(op, 40000), 0);
    /* 6 at 30 s: an A alone, timed out at 39.999 s */
    CHECK_EQ_INT(nout, 2);
    CHECK_EQ_STR(out_rows[1], "x|1|NULL|true");
    struct cep_stats st;
    cep_stats(c, &st);
    CHECK_EQ_INT(st.timeouts, 1);
    CHECK_EQ_INT(st.rows_buffered, 0);
    operator_destroy_chain(op);
}

TEST(operator_limit)
{
    struct cep *c;
    struct operator_node *op = make(&c, 0, 3);
    /* 9 8 7 6 5: A B B B B ..., each row also starts an A: with the
     * navigating B (no merge), more than 3 threads */
    const char *k[] = {"x", "x", "x", "x", "x", "x"};
    int v[] = {9, 8, 7, 6, 5, 4};
    int t[] = {1, 2, 3, 4, 5, 6};
    feed(op, k, v, t, 6);
    CHECK_EQ_INT(operator_advance_chain(op, 10000), ERR_TOO_LARGE);
    /* the operator stays failed */
    CHECK_EQ_INT(op->ops->push(op, NULL), ERR_TOO_LARGE);
    operator_destroy_chain(op);
}

int main(void)
{
    schema_init(&in_schema);
    schema_add(&in_schema, "k", SCHEMA_STRING, true, NULL);
    schema_add(&in_schema, "v", SCHEMA_INT, true, NULL);
    RUN(compile_shapes);
    RUN(operator_order_late_navigation);
    RUN(operator_timeout);
    RUN(operator_limit);
    return harness_summary("test_cep");
}
