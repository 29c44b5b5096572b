/* test_expr.c - expression typing and vectorised evaluation: three-valued
 * logic tables, arithmetic, comparison, IN/BETWEEN/LIKE/CASE/CAST and the
 * functions, over a small batch with NULLs. */
#include <math.h>
#include <string.h>

#include "../../harness.h"
#include "base/err.h"
#include "stream/expr.h"

static struct schema sch;
static struct row_batch *batch;

/* Columns: b BOOLEAN (T, F, NULL in a 3x3 grid with c), c BOOLEAN,
 * i INT, d DOUBLE, s STRING, t TIMESTAMP. 9 rows. */
static void setup(void)
{
    schema_init(&sch);
    schema_add(&sch, "b", SCHEMA_BOOLEAN, true, NULL);
    schema_add(&sch, "c", SCHEMA_BOOLEAN, true, NULL);
    schema_add(&sch, "i", SCHEMA_INT, true, NULL);
    schema_add(&sch, "d", SCHEMA_DOUBLE, true, NULL);
    schema_add(&sch, "s", SCHEMA_STRING, true, NULL);
    schema_add(&sch, "t", SCHEMA_TIMESTAMP, true, NULL);
    row_batch_create(&sch, 16, &batch);
    static const char *strs[9] = {"Apple", "banana", NULL,  "cherry", "",
                                  "héllo", "ABC",    "abc", "x_y"};
    for (int r = 0; r < 9; r++) {
        int row = row_batch_begin_row(batch);
        int bi = r / 3, ci = r % 3;
        row_batch_set(batch, row, 0,
                      bi == 2 ? value_null() : value_bool(bi == 0));
        row_batch_set(batch, row, 1,
                      ci == 2 ? value_null() : value_bool(ci == 0));
        row_batch_set(batch, row, 2, r == 4 ? value_null() : value_int(r - 2));
        row_batch_set(batch, row, 3,
                      r == 5 ? value_null() : value_double(r * 1.5));
        row_batch_set(batch, row, 4,
                      strs[r] ? value_string(strs[r], (uint32_t)strlen(strs[r]))
                              : value_null());
        row_batch_set(batch, row, 5, value_timestamp(1000 * r));
        row_batch_commit_row(batch, NULL);
    }
}

/* Evaluates e and renders row i as 'T', 'F' or 'N' (booleans). */
static char tv(struct expr_ctx *c, struct expr *e, int i)
{
    struct expr_result r;
    if (expr_eval(c, e, batch, &r) != 0)
        return '?';
    struct value v = expr_result_get(&r, i);
    if (value_is_null(v))
        return 'N';
    return v.u.b ? 'T' : 'F';
}

static struct value ev(struct expr_ctx *c, struct expr *e, int i)
{
    struct expr_result r;
    if (!e || expr_eval(c, e, batch, &r) != 0)
        return value_bigint(-999999);
    return expr_result_get(&r, i);
}

TEST(three_valued_logic)
{
    struct expr_ctx *c;
    CHECK_EQ_INT(expr_ctx_create(&sch, 16, &c), 0);
    struct expr *b = expr_column_named(c, "b"), *cc = expr_column_named(c, "c");
    struct expr *and_ = expr_binary(c, EXPR_AND, b, cc);
    struct expr *or_ = expr_binary(c, EXPR_OR, b, cc);
    struct expr *not_ = expr_unary(c, EXPR_NOT, b);
    struct expr *isn = expr_unary(c, EXPR_IS_NULL, b);
    struct expr *isnn = expr_unary(c, EXPR_IS_NOT_NULL, cc);
    /* rows: (b, c) = TT TF TN FT FF FN NT NF NN */
    const char *want_and = "TFNFFFNFN", *want_or = "TTTTFNTNN";
    const char *want_not = "FFFTTTNNN", *want_isn = "FFFFFFTTT";
    const char *want_isnn = "TTFTTFTTF";
    for (int i = 0; i < 9; i++) {
        CHECK_EQ_INT(tv(c, and_, i), want_and[i]);
        CHECK_EQ_INT(tv(c, or_, i), want_or[i]);
        CHECK_EQ_INT(tv(c, not_, i), want_not[i]);
        CHECK_EQ_INT(tv(c, isn, i), want_isn[i]);
        CHECK_EQ_INT(tv(c, isnn, i), want_isnn[i]);
    }
    CHECK(expr_ctx_error(c) == NULL);
    expr_ctx_destroy(c);
}

TEST(arithmetic_and_comparison)
{
    struct expr_ctx *c;
    expr_ctx_create(&sch, 16, &c);
    struct expr *i = expr_column_named(c, "i"), *d = expr_column_named(c, "d");
    struct expr *sum =
        expr_binary(c, EXPR_ADD, i, expr_literal(c, value_int(10)));
    CHECK_EQ_INT(expr_type(sum), SCHEMA_BIGINT);
    CHECK_EQ_INT(ev(c, sum, 0).u.i64, 8);
    CHECK(value_is_null(ev(c, sum, 4)));
    struct expr *mix = expr_binary(c, EXPR_MUL, i, d);
    CHECK_EQ_INT(expr_type(mix), SCHEMA_DOUBLE);
    CHECK(ev(c, mix, 3).u.f64 == 1 * 4.5);
    struct expr *div0 =
        expr_binary(c, EXPR_DIV, expr_literal(c, value_int(7)), i);
    CHECK(value_is_null(ev(c, div0, 2))); /* i = 0 */
    CHECK_EQ_INT(ev(c, div0, 3).u.i64, 7);
    CHECK_EQ_INT(ev(c,
                    expr_binary(c, EXPR_MOD, expr_literal(c, value_int(7)),
                                expr_literal(c, value_int(3))),
                    0)
                     .u.i64,
                 1);
    struct expr *neg = expr_unary(c, EXPR_NEG, i);
    CHECK_EQ_INT(ev(c, neg, 0).u.i64, 2);
    struct expr *lt = expr_binary(c, EXPR_LT, i, d); /* int vs double */
    CHECK_EQ_INT(tv(c, lt, 0), 'T');                 /* -2 < 0.0 */
    CHECK_EQ_INT(tv(c, lt, 1), 'T');
    CHECK_EQ_INT(tv(c, lt, 4), 'N');
    /* -2 < 0.0 */
    CHECK_EQ_INT(
        tv(c, expr_binary(c, EXPR_LT, i, expr_literal(c, value_double(0))), 0),
        'T');
    struct expr *seq = expr_binary(c, EXPR_EQ, expr_column_named(c, "s"),
                                   expr_literal(c, value_string("abc", 3)));
    CHECK_EQ_INT(tv(c, seq, 7), 'T');
    CHECK_EQ_INT(tv(c, seq, 6), 'F');
    CHECK_EQ_INT(tv(c, seq, 2), 'N');
    struct expr *ts = expr_binary(c, EXPR_ADD, expr_column_named(c, "t"),
                                  expr_literal(c, value_bigint(5)));
    CHECK_EQ_INT(expr_type(ts), SCHEMA_TIMESTAMP);
    CHECK_EQ_INT(ev(c, ts, 2).u.i64, 2005);
    /* type errors are sticky */
    CHECK(expr_binary(c, EXPR_ADD, expr_column_named(c, "s"), i) == NULL);
    CHECK(expr_ctx_error(c) != NULL);
    CHECK(expr_column_named(c, "nope") == NULL);
    expr_ctx_destroy(c);
}

TEST(in_between_like)
{
    struct expr_ctx *c;
    expr_ctx_create(&sch, 16, &c);
    struct expr *i = expr_column_named(c, "i");
    struct expr *l1[3] = {expr_literal(c, value_int(0)),
                          expr_literal(c, value_bigint(3)),
                          expr_literal(c, value_int(99))};
    struct expr *in = expr_in(c, i, l1, 3, false);
    const char *want = "FFTFNTFFF"; /* i = -2..6, row 4 NULL */
    for (int r = 0; r < 9; r++)
        CHECK_EQ_INT(tv(c, in, r), want[r]);
    struct expr *l2[2] = {expr_literal(c, value_int(0)),
                          expr_null(c, SCHEMA_INT)};
    struct expr *in2 = expr_in(c, i, l2, 2, true);
    CHECK_EQ_INT(tv(c, in2, 2), 'F'); /* 0 NOT IN (0, NULL) */
    CHECK_EQ_INT(tv(c, in2, 3), 'N'); /* 1 NOT IN (0, NULL) is unknown */
    struct expr *bt = expr_between(c, i, expr_literal(c, value_int(-1)),
                                   expr_literal(c, value_int(1)), false);
    CHECK_EQ_INT(tv(c, bt, 0), 'F');
    CHECK_EQ_INT(tv(c, bt, 1), 'T');
    CHECK_EQ_INT(tv(c, bt, 3), 'T');
    CHECK_EQ_INT(tv(c, bt, 4), 'N');
    struct expr *s = expr_column_named(c, "s");
    struct expr *lk =
        expr_like(c, s, expr_literal(c, value_string("%an%", 4)), false);
    CHECK_EQ_INT(tv(c, lk, 1), 'T');
    CHECK_EQ_INT(tv(c, lk, 0), 'F');
    CHECK_EQ_INT(tv(c, lk, 2), 'N');
    CHECK(expr_like_match("héllo", strlen("héllo"), "h_llo", 5));
    CHECK(expr_like_match("x_y", 3, "x_y", 3));
    CHECK(expr_like_match("", 0, "%", 1));
    CHECK(!expr_like_match("abc", 3, "a_", 2));
    CHECK(expr_like_match("abcabc", 6, "%b_", 3));
    expr_ctx_destroy(c);
}

TEST(case_cast_functions)
{
    struct expr_ctx *c;
    expr_ctx_create(&sch, 16, &c);
    struct expr *i = expr_column_named(c, "i"), *s = expr_column_named(c, "s");
    struct expr *w[2] = {
        expr_binary(c, EXPR_LT, i, expr_literal(c, value_int(0))),
        expr_binary(c, EXPR_EQ, i, expr_literal(c, value_int(0)))};
    struct expr *t[2] = {expr_literal(c, value_int(-1)),
                         expr_literal(c, value_double(0.5))};
    struct expr *cs =
        expr_case(c, NULL, w, t, 2, expr_literal(c, value_int(1)));
    CHECK_EQ_INT(expr_type(cs), SCHEMA_DOUBLE);
    CHECK(ev(c, cs, 0).u.f64 == -1.0);
    CHECK(ev(c, cs, 2).u.f64 == 0.5);
    CHECK(ev(c, cs, 4).u.f64 == 1.0); /* NULL condition falls to ELSE */
    struct expr *cs2 = expr_case(c, NULL, w, t, 1, NULL);
    CHECK(value_is_null(ev(c, cs2, 3)));
    struct value v = ev(c, expr_cast(c, i, SCHEMA_STRING), 0);
    CHECK(v.type == SCHEMA_STRING && v.u.str.len == 2 &&
          memcmp(v.u.str.ptr, "-2", 2) == 0);
    struct value num = ev(
        c, expr_cast(c, expr_literal(c, value_string(" 42 ", 4)), SCHEMA_INT),
        0);
    CHECK(num.type == SCHEMA_INT && num.u.i32 == 42);
    CHECK(value_is_null(ev(c, expr_cast(c, s, SCHEMA_DOUBLE), 0)));
    struct value tsv =
        ev(c,
           expr_cast(
               c, expr_literal(c, value_string("1970-01-01T00:00:01.5Z", 22)),
               SCHEMA_TIMESTAMP),
           0);
    CHECK(tsv.type == SCHEMA_TIMESTAMP && tsv.u.i64 == 1500);
    struct value up = ev(c, expr_func(c, EXPR_FN_UPPER, &s, 1), 1);
    CHECK(up.u.str.len == 6 && memcmp(up.u.str.ptr, "BANANA", 6) == 0);
    struct value lo = ev(c, expr_func(c, EXPR_FN_LOWER, &s, 1), 6);
    CHECK(lo.u.str.len == 3 && memcmp(lo.u.str.ptr, "abc", 3) == 0);
    CHECK_EQ_INT(ev(c, expr_func(c, EXPR_FN_CHAR_LENGTH, &s, 1), 5).u.i32, 5);
    struct expr *ca[3] = {s, expr_literal(c, value_string("-", 1)), s};
    struct value cat = ev(c, expr_func(c, EXPR_FN_CONCAT, ca, 3), 7);
    CHECK(cat.u.str.len == 7 && memcmp(cat.u.str.ptr, "abc-abc", 7) == 0);
    CHECK(value_is_null(ev(c, expr_func(c, EXPR_FN_CONCAT, ca, 3), 2)));
    struct value bar = ev(c, expr_binary(c, EXPR_CONCAT, s, s), 6);
    CHECK(bar.u.str.len == 6);
    struct expr *co[2] = {s, expr_literal(c, value_string("none", 4))};
    struct value coal = ev(c, expr_func(c, EXPR_FN_COALESCE, co, 2), 2);
    CHECK(coal.u.str.len == 4);
    struct expr *d = expr_column_named(c, "d");
    CHECK(ev(c, expr_func(c, EXPR_FN_ABS, &i, 1), 0).u.i64 == 2);
    CHECK(ev(c, expr_func(c, EXPR_FN_FLOOR, &d, 1), 3).u.f64 == 4.0);
    CHECK(ev(c, expr_func(c, EXPR_FN_CEIL, &d, 1), 3).u.f64 == 5.0);
    CHECK(ev(c, expr_func(c, EXPR_FN_ROUND, &d, 1), 3).u.f64 == 5.0);
    struct expr *r2[2] = {expr_literal(c, value_double(3.14159)),
                          expr_literal(c, value_int(2))};
    CHECK(fabs(ev(c, expr_func(c, EXPR_FN_ROUND, r2, 2), 0).u.f64 - 3.14) <
          1e-12);
    CHECK(ev(c, expr_func(c, EXPR_FN_SQRT, &d, 1), 6).u.f64 == 3.0);
    CHECK(value_is_null(ev(c, expr_func(c, EXPR_FN_SQRT, &i, 1), 0)));
    struct expr *pw[2] = {i, expr_literal(c, value_int(2))};
    CHECK(ev(c, expr_func(c, EXPR_FN_POWER, pw, 2), 0).u.f64 == 4.0);
    CHECK(expr_func(c, EXPR_FN_LOWER, &i, 1) == NULL);
    expr_ctx_destroy(c);
}

int main(void)
{
    setup();
    RUN(three_valued_logic);
    RUN(arithmetic_and_comparison);
    RUN(in_between_like);
    RUN(case_cast_functions);
    row_batch_destroy(batch);
    return harness_summary("test_expr");
}
