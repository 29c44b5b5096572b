/* test_config.c - properties parsing: comments, separators, overrides,
 * errors with line numbers, typed getters. */
#include "base/config.h"

#include "base/err.h"

#include "../../harness.h"

TEST(test_parse)
{
    struct config c;
    config_init(&c);
    char err[128] = "";
    const char *text = "# comment\n! also\n\n listeners = 127.0.0.1:9092 \n"
                       "num.partitions: 8\nauto.create=false\nx=a=b\n";
    CHECK_EQ_INT(config_parse(&c, text, err, sizeof err), 0);
    CHECK_EQ_STR(config_get(&c, "listeners", NULL), "127.0.0.1:9092");
    CHECK_EQ_STR(config_get(&c, "x", NULL), "a=b");
    CHECK_EQ_STR(config_get(&c, "missing", "dflt"), "dflt");
    int64_t n = 1;
    CHECK_EQ_INT(config_get_i64(&c, "num.partitions", &n), 0);
    CHECK_EQ_INT(n, 8);
    CHECK_EQ_INT(config_get_i64(&c, "listeners", &n), ERR_INVALID);
    CHECK_EQ_INT(n, 8);
    bool b = true;
    CHECK_EQ_INT(config_get_bool(&c, "auto.create", &b), 0);
    CHECK(!b);
    config_set(&c, "num.partitions", "3"); /* a flag overrides the file */
    CHECK_EQ_INT(config_get_i64(&c, "num.partitions", &n), 0);
    CHECK_EQ_INT(n, 3);
    config_fini(&c);
}

TEST(test_errors)
{
    struct config c;
    config_init(&c);
    char err[128] = "";
    CHECK_EQ_INT(config_parse(&c, "a=1\nno separator here\n", err, sizeof err),
                 ERR_PARSE);
    CHECK(strstr(err, "line 2") != NULL);
    CHECK_EQ_INT(config_parse(&c, "=1\n", err, sizeof err), ERR_PARSE);
    CHECK(strstr(err, "line 1: empty key") != NULL);
    CHECK_EQ_INT(
        config_load(&c, "/nonexistent/rill.properties", err, sizeof err), -2);
    config_fini(&c);
}

int main(void)
{
    RUN(test_parse);
    RUN(test_errors);
    return harness_summary("test_config");
}
