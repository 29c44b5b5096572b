/* test_mem.c - the never-NULL allocators: calloc zeroes, realloc keeps the
 * prefix, strdup/strndup copy and terminate, free(NULL) is fine. */
#include "base/mem.h"

#include <string.h>

#include "../../harness.h"

TEST(test_mem)
{
    unsigned char *z = mem_calloc(100, 3);
    int zero = 1;
    for (int i = 0; i < 300; i++)
        zero &= z[i] == 0;
    CHECK(zero);
    memcpy(z, "abc", 3);
    z = mem_realloc(z, 1 << 20);
    CHECK(memcmp(z, "abc", 3) == 0);
    mem_free(z);
    char *s = mem_strdup("rill");
    CHECK_EQ_STR(s, "rill");
    mem_free(s);
    s = mem_strndup("partition", 4);
    CHECK_EQ_STR(s, "part");
    mem_free(s);
    s = mem_strndup("ab", 10);
    CHECK_EQ_STR(s, "ab");
    mem_free(s);
    void *p = mem_alloc(0);
    mem_free(p);
    mem_free(NULL);
}

int main(void)
{
    RUN(test_mem);
    return harness_summary("test_mem");
}
