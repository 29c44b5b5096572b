/* diag.c - leveled logging (layer: base). */
#include "base/diag.h"

#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int level = -1;

static const char *names[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};

int diag_parse_level(const char *s, enum diag_level *out)
{
    static const char *words[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, words[i]) == 0) {
            *out = (enum diag_level)i;
            return 0;
        }
    }
    return ERR_INVALID;
}

enum diag_level diag_get_level(void)
{
    int l = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (l < 0) {
        enum diag_level parsed = DIAG_INFO;
        const char *env = getenv("RILL_LOG_LEVEL");
        if (env)
            diag_parse_level(env, &parsed);
        l = (int)parsed;
        __atomic_store_n(&level, l, __ATOMIC_RELAXED);
    }
    return (enum diag_level)l;
}

void diag_set_level(enum diag_level l)
{
    __atomic_store_n(&level, (int)l, __ATOMIC_RELAXED);
}

/* Copies the formatted message, escaping control bytes: messages carry
 * strings that clients chose (client ids, group and member ids), and a
 * newline or an ANSI escape in one must not forge or hide a log line. */
static size_t escape_into(char *out, size_t cap, const char *in, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n && o < cap; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c >= 0x20 && c != 0x7f && c != '\\') {
            out[o++] = (char)c;
            continue;
        }
        if (o + 4 > cap)
            break;
        out[o++] = '\\';
        if (c == '\\') {
            out[o++] = '\\';
        } else if (c == '\n') {
            out[o++] = 'n';
        } else if (c == '\t') {
            out[o++] = 't';
        } else if (c == '\r') {
            out[o++] = 'r';
        } else {
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    return o;
}

void diag_msg(enum diag_level l, const char *fmt, ...)
{
    if ((int)l > (int)diag_get_level())
        return;
    char line[1024], text[1024];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n =
        snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, names[l]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    if ((size_t)m >= sizeof text)
        m = (int)sizeof text - 1;
    size_t len = (size_t)n + escape_into(line + n, sizeof line - (size_t)n - 1,
                                         text, (size_t)m);
    line[len++] = '\n';
    ssize_t w = write(2, line, len);
    (void)w;
}
