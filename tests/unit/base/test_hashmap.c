/* test_hashmap.c - insert, replace, remove (backward shift), iterate. */
#include "base/hashmap.h"

#include "../../harness.h"

#include <stdio.h>
#include <stdlib.h>

TEST(test_basic)
{
    struct hashmap m;
    hashmap_init(&m);
    CHECK(hashmap_get(&m, "a", 1) == NULL);
    CHECK(hashmap_put(&m, "a", 1, (void *)1) == NULL);
    CHECK(hashmap_put(&m, "a", 1, (void *)2) == (void *)1);
    CHECK(hashmap_get(&m, "a", 1) == (void *)2);
    CHECK(hashmap_get_str(&m, "a") == (void *)2);
    CHECK(hashmap_put(&m, "", 0, (void *)3) == NULL);
    CHECK(hashmap_get(&m, "", 0) == (void *)3);
    CHECK_EQ_INT(hashmap_count(&m), 2);
    CHECK(hashmap_remove(&m, "a", 1) == (void *)2);
    CHECK(hashmap_get(&m, "a", 1) == NULL);
    CHECK_EQ_INT(hashmap_count(&m), 1);
    hashmap_fini(&m);
}

/* Random operations against a shadow array: catches backward-shift bugs. */
TEST(test_random_vs_shadow)
{
    enum { N = 2000 };
    static long shadow[N];
    struct hashmap m;
    hashmap_init(&m);
    srand(42);
    for (int step = 0; step < 200000; step++) {
        int k = rand() % N;
        char key[16];
        int n = snprintf(key, sizeof key, "k%d", k);
        if (rand() % 3 == 0) {
            void *v = hashmap_remove(&m, key, (size_t)n);
            CHECK((long)(intptr_t)v == shadow[k]);
            shadow[k] = 0;
        } else {
            long v = step + 1;
            void *old = hashmap_put(&m, key, (size_t)n, (void *)(intptr_t)v);
            CHECK((long)(intptr_t)old == shadow[k]);
            shadow[k] = v;
        }
    }
    size_t live = 0;
    for (int k = 0; k < N; k++) {
        char key[16];
        int n = snprintf(key, sizeof key, "k%d", k);
        CHECK((long)(intptr_t)hashmap_get(&m, key, (size_t)n) == shadow[k]);
        live += shadow[k] != 0;
    }
    CHECK_EQ_INT(hashmap_count(&m), live);
    size_t seen = 0;
    struct hashmap_entry *e;
    for (size_t i = 0; hashmap_next(&m, &i, &e);)
        seen++;
    CHECK_EQ_INT(seen, live);
    hashmap_fini(&m);
}

int main(void)
{
    RUN(test_basic);
    RUN(test_random_vs_shadow);
    return harness_summary("test_hashmap");
}
