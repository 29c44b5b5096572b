/* test_diag.c - level names parse (table), messages below the level are
 * dropped, a line is "<ISO-8601 UTC ms>Z LEVEL text\n"; events in the
 * text, logfmt and JSON formats, with quotes and newlines escaped. */
#include "base/diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "../../harness.h"

TEST(test_parse_level)
{
    static const struct {
        const char *s;
        int rc;
        enum diag_level l;
    } cases[] = {
        {"error", 0, DIAG_ERROR}, {"warn", 0, DIAG_WARN},
        {"info", 0, DIAG_INFO},   {"debug", 0, DIAG_DEBUG},
        {"loud", ERR_INVALID, 0}, {"", ERR_INVALID, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum diag_level l = DIAG_INFO;
        CHECK_EQ_INT(diag_parse_level(cases[i].s, &l), cases[i].rc);
        if (cases[i].rc == 0)
            CHECK_EQ_INT(l, cases[i].l);
    }
}

TEST(test_levels_and_format)
{
    char path[] = "/tmp/rill-diag-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    int saved = dup(2);
    dup2(fd, 2);
    diag_set_level(DIAG_WARN);
    CHECK_EQ_INT(diag_get_level(), DIAG_WARN);
    diag_info("hidden %d", 1);
    diag_warn("shown %d", 2);
    diag_error("also %s", "shown");
    diag_set_level(DIAG_INFO);
    dup2(saved, 2);
    close(saved);
    char text[512] = {0};
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    close(fd);
    unlink(path);
    CHECK(n > 0);
    CHECK(strstr(text, "hidden") == NULL);
    char *l1 = strstr(text, " WARN  shown 2\n");
    CHECK(l1 != NULL);
    CHECK(strstr(text, " ERROR also shown\n") != NULL);
    /* 2026-11-24T07:30:00.123Z */
    CHECK(strlen(text) > 25 && text[4] == '-' && text[10] == 'T' &&
          text[19] == '.' && text[23] == 'Z' && text[24] == ' ');
}

/* A client-chosen string with a newline, a carriage return and an ANSI
 * escape stays on one line, escaped (issue 16: log injection). */
TEST(test_control_bytes_escaped)
{
    char path[] = "/tmp/rill-diag-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    int saved = dup(2);
    dup2(fd, 2);
    const char evil[] =
        "cli\n2026-01-01T00:00:00.000Z ERROR forged\r\x1b[2Kx\\";
    diag_warn("client %s done", evil);
    dup2(saved, 2);
    close(saved);
    char text[512] = {0};
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    close(fd);
    unlink(path);
    CHECK(n > 0);
    CHECK(strchr(text, '\n') == text + n - 1); /* exactly one line */
    CHECK(strchr(text, '\r') == NULL && strchr(text, 0x1b) == NULL);
    CHECK(strstr(text, "client cli\\n2026-01-01T00:00:00.000Z ERROR "
                       "forged\\r\\x1b[2Kx\\\\ done\n") != NULL);
}

/* Runs fn with stderr going to a file; returns what was written. */
static void capture(void (*fn)(void), char *text, size_t cap)
{
    char path[] = "/tmp/rill-diag-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    int saved = dup(2);
    dup2(fd, 2);
    fn();
    dup2(saved, 2);
    close(saved);
    memset(text, 0, cap);
    ssize_t n = pread(fd, text, cap - 1, 0);
    CHECK(n > 0);
    close(fd);
    unlink(path);
}

static void emit_event(void)
{
    struct diag_kv kv[] = {{"query", "q_1", 0},
                           {"why", "a \"quoted\"\nline", 0},
                           {"count", NULL, -42}};
    diag_event(DIAG_WARN, "late_rows", kv, 3, "query %s: %d late", "q_1", 3);
    diag_info("plain = %s", "text");
}

TEST(test_formats)
{
    enum diag_format f;
    CHECK_EQ_INT(diag_parse_format("json", &f), 0);
    CHECK_EQ_INT(f, DIAG_FORMAT_JSON);
    CHECK_EQ_INT(diag_parse_format("logfmt", &f), 0);
    CHECK_EQ_INT(f, DIAG_FORMAT_LOGFMT);
    CHECK_EQ_INT(diag_parse_format("xml", &f), ERR_INVALID);
    char text[2048];

    diag_set_format(DIAG_FORMAT_JSON);
    capture(emit_event, text, sizeof text);
    /* {"time":"2026-...Z","level":"warn",... */
    CHECK(!strncmp(text, "{\"time\":\"", 9) && text[9 + 23] == 'Z');
    CHECK(strstr(text,
                 "\",\"level\":\"warn\",\"event\":\"late_rows\","
                 "\"query\":\"q_1\",\"why\":\"a \\\"quoted\\\"\\u000aline\","
                 "\"count\":-42,\"msg\":\"query q_1: 3 late\"}\n") != NULL);
    CHECK(strstr(text, "\"level\":\"info\",\"msg\":\"plain = text\"}\n") !=
          NULL);

    diag_set_format(DIAG_FORMAT_LOGFMT);
    capture(emit_event, text, sizeof text);
    CHECK(!strncmp(text, "time=", 5));
    CHECK(strstr(text, " level=warn event=late_rows query=q_1 why=\"a "
                       "\\\"quoted\\\"\\nline\" count=-42 msg=\"query q_1: 3 "
                       "late\"\n") != NULL);
    CHECK(strstr(text, " level=info msg=\"plain = text\"\n") != NULL);

    diag_set_format(DIAG_FORMAT_TEXT);
    capture(emit_event, text, sizeof text);
    CHECK(strstr(text, " WARN  query q_1: 3 late [late_rows query=q_1 "
                       "why=\"a \\\"quoted\\\"\\nline\" count=-42]\n") != NULL);
    CHECK(strstr(text, " INFO  plain = text\n") != NULL);
}

int main(void)
{
    RUN(test_parse_level);
    RUN(test_levels_and_format);
    RUN(test_formats);
    RUN(test_control_bytes_escaped);
    return harness_summary("test_diag");
}
