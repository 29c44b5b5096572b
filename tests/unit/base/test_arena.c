/* test_arena.c - bump allocation, alignment, reset keeps one chunk. */
#include "base/arena.h"

#include "../../harness.h"

#include <stdint.h>

TEST(test_alloc_align)
{
    struct arena a;
    arena_init(&a, 256);
    for (int i = 1; i < 100; i++) {
        uint8_t *p = arena_alloc(&a, (size_t)i);
        CHECK(((uintptr_t)p & 15) == 0);
        memset(p, 0xab, (size_t)i); /* ASan catches overlap or overflow */
    }
    char *big = arena_alloc(&a, 10000); /* larger than a chunk */
    memset(big, 1, 10000);
    char *s = arena_strndup(&a, "hello world", 5);
    CHECK_EQ_STR(s, "hello");
    uint8_t *z = arena_calloc(&a, 64);
    int zero = 1;
    for (int i = 0; i < 64; i++)
        zero &= z[i] == 0;
    CHECK(zero);
    arena_reset(&a);
    CHECK_EQ_INT(a.used_total, 0);
    CHECK(a.head != NULL);
    arena_fini(&a);
    CHECK(a.head == NULL);
}

int main(void)
{
    RUN(test_alloc_align);
    return harness_summary("test_arena");
}
