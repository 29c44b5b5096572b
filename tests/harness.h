/* harness.h - the unit-test harness: one binary per module.
 *
 *   TEST(name) { CHECK(x == 1); CHECK_EQ_INT(a, b); CHECK_EQ_STR(s, "x"); }
 *   int main(void) { RUN(name); return harness_summary("test_buf"); }
 *
 * A test passes when none of its checks fail. The summary line is
 * "test_buf: N passed, N failed" and the exit status is 1 on any failure.
 */
#ifndef RILL_HARNESS_H
#define RILL_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int harness_passed, harness_failed, harness_cur_failed;

#define TEST(name) static void name(void)

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);  \
            harness_cur_failed++;                                              \
        }                                                                      \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                     \
    do {                                                                       \
        long long va_ = (long long)(a), vb_ = (long long)(b);                  \
        if (va_ != vb_) {                                                      \
            fprintf(stderr, "  FAIL %s:%d: %s == %s (%lld != %lld)\n",         \
                    __FILE__, __LINE__, #a, #b, va_, vb_);                     \
            harness_cur_failed++;                                              \
        }                                                                      \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                     \
    do {                                                                       \
        const char *sa_ = (a), *sb_ = (b);                                     \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                           \
            fprintf(stderr, "  FAIL %s:%d: %s == %s (\"%s\" != \"%s\")\n",     \
                    __FILE__, __LINE__, #a, #b, sa_ ? sa_ : "(null)",          \
                    sb_ ? sb_ : "(null)");                                     \
            harness_cur_failed++;                                              \
        }                                                                      \
    } while (0)

#define RUN(name)                                                              \
    do {                                                                       \
        harness_cur_failed = 0;                                                \
        name();                                                                \
        if (harness_cur_failed) {                                              \
            fprintf(stderr, "FAIL %s\n", #name);                               \
            harness_failed++;                                                  \
        } else {                                                               \
            harness_passed++;                                                  \
        }                                                                      \
    } while (0)

static inline int harness_summary(const char *binary)
{
    printf("%s: %d passed, %d failed\n", binary, harness_passed,
           harness_failed);
    return harness_failed ? 1 : 0;
}

#endif
