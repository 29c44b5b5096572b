/* test_err.c - err_str: every rill code and negated errno values have a
 * distinct, non-empty text; unknown codes never give NULL. */
#include "base/err.h"

#include <errno.h>
#include <string.h>

#include "../../harness.h"

TEST(test_every_code_has_text)
{
    const char *seen[ERR_BASE - ERR_LAST];
    int n = 0;
    for (int e = ERR_BASE; e > ERR_LAST; e--) {
        const char *s = err_str(e);
        CHECK(s != NULL && s[0] != '\0');
        for (int i = 0; i < n; i++)
            CHECK(strcmp(seen[i], s) != 0);
        seen[n++] = s;
    }
    CHECK_EQ_STR(err_str(0), "success");
    CHECK(strstr(err_str(ERR_FAILED), "I/O error") != NULL);
}

TEST(test_errno_and_unknown)
{
    CHECK_EQ_STR(err_str(-ENOSPC), strerror(ENOSPC));
    CHECK_EQ_STR(err_str(-EIO), strerror(EIO));
    CHECK(err_str(ERR_LAST) != NULL);
    CHECK(err_str(-30000) != NULL);
    CHECK(err_str(12345) != NULL);
}

int main(void)
{
    RUN(test_every_code_has_text);
    RUN(test_errno_and_unknown);
    return harness_summary("test_err");
}
