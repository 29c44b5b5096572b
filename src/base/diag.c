/* diag.c - leveled logging (layer: base). */
#include "base/diag.h"

#include "base/err.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int level = -1;
static int format = -1;

static const char *names[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};
static const char *lower[] = {"error", "warn", "info", "debug"};

int diag_parse_format(const char *s, enum diag_format *out)
{
    static const char *words[] = {"text", "logfmt", "json"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(s, words[i]) == 0) {
            *out = (enum diag_format)i;
            return 0;
        }
    }
    return ERR_INVALID;
}

enum diag_format diag_get_format(void)
{
    int f = __atomic_load_n(&format, __ATOMIC_RELAXED);
    if (f < 0) {
        enum diag_format parsed = DIAG_FORMAT_TEXT;
        const char *env = getenv("RILL_LOG_FORMAT");
        if (env)
            diag_parse_format(env, &parsed);
        f = (int)parsed;
        __atomic_store_n(&format, f, __ATOMIC_RELAXED);
    }
    return (enum diag_format)f;
}

void diag_set_format(enum diag_format f)
{
    __atomic_store_n(&format, (int)f, __ATOMIC_RELAXED);
}

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

/* A line being built: bounded, never more than one write. */
struct line {
    char b[2048];
    size_t n;
};

static void put(struct line *o, const char *s, size_t n)
{
    if (n > sizeof o->b - 2 - o->n)
        n = sizeof o->b - 2 - o->n;
    memcpy(o->b + o->n, s, n);
    o->n += n;
}

static void puts_(struct line *o, const char *s)
{
    put(o, s, strlen(s));
}

/* A JSON string's contents (quotes not included). */
static void put_json(struct line *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n && o->n < sizeof o->b - 8; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            o->b[o->n++] = '\\';
            o->b[o->n++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(o->b + o->n, "\\u00", 4);
            o->b[o->n + 4] = hex[c >> 4];
            o->b[o->n + 5] = hex[c & 15];
            o->n += 6;
        } else {
            o->b[o->n++] = (char)c;
        }
    }
}

/* A logfmt value: bare when it is plain, else quoted with \" and \\ (and
 * control bytes escaped as in text). */
static void put_logfmt(struct line *o, const char *s, size_t n)
{
    bool plain = n > 0;
    for (size_t i = 0; i < n && plain; i++)
        plain = s[i] > ' ' && s[i] != '"' && s[i] != '=' && s[i] != '\\' &&
                s[i] != 0x7f;
    if (plain)
        return put(o, s, n);
    put(o, "\"", 1);
    for (size_t i = 0; i < n && o->n < sizeof o->b - 8; i++) {
        if (s[i] == '"') {
            put(o, "\\\"", 2);
        } else {
            o->n += escape_into(o->b + o->n, sizeof o->b - 8 - o->n, s + i, 1);
        }
    }
    put(o, "\"", 1);
}

static void emit(enum diag_level l, const char *event, const struct diag_kv *kv,
                 size_t nkv, const char *text, size_t tn)
{
    struct line o = {.n = 0};
    char t[96], num[24];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(t, sizeof t, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (long)(ts.tv_nsec / 1000000 % 1000));
    enum diag_format f = diag_get_format();
    if (f == DIAG_FORMAT_JSON) {
        puts_(&o, "{\"time\":\"");
        puts_(&o, t);
        puts_(&o, "\",\"level\":\"");
        puts_(&o, lower[l]);
        puts_(&o, "\"");
        if (event) {
            puts_(&o, ",\"event\":\"");
            put_json(&o, event, strlen(event));
            puts_(&o, "\"");
        }
        for (size_t i = 0; i < nkv; i++) {
            puts_(&o, ",\"");
            put_json(&o, kv[i].key, strlen(kv[i].key));
            puts_(&o, "\":");
            if (kv[i].str) {
                puts_(&o, "\"");
                put_json(&o, kv[i].str, strlen(kv[i].str));
                puts_(&o, "\"");
            } else {
                snprintf(num, sizeof num, "%lld", (long long)kv[i].num);
                puts_(&o, num);
            }
        }
        puts_(&o, ",\"msg\":\"");
        put_json(&o, text, tn);
        puts_(&o, "\"}");
    } else if (f == DIAG_FORMAT_LOGFMT) {
        puts_(&o, "time=");
        puts_(&o, t);
        puts_(&o, " level=");
        puts_(&o, lower[l]);
        if (event) {
            puts_(&o, " event=");
            put_logfmt(&o, event, strlen(event));
        }
        for (size_t i = 0; i < nkv; i++) {
            puts_(&o, " ");
            puts_(&o, kv[i].key);
            puts_(&o, "=");
            if (kv[i].str) {
                put_logfmt(&o, kv[i].str, strlen(kv[i].str));
            } else {
                snprintf(num, sizeof num, "%lld", (long long)kv[i].num);
                puts_(&o, num);
            }
        }
        puts_(&o, " msg=");
        put_logfmt(&o, text, tn);
    } else {
        puts_(&o, t);
        puts_(&o, " ");
        puts_(&o, names[l]);
        puts_(&o, " ");
        o.n += escape_into(o.b + o.n, sizeof o.b - 2 - o.n, text, tn);
        if (event) {
            puts_(&o, " [");
            o.n += escape_into(o.b + o.n, sizeof o.b - 2 - o.n, event,
                               strlen(event));
            for (size_t i = 0; i < nkv; i++) {
                puts_(&o, " ");
                puts_(&o, kv[i].key);
                puts_(&o, "=");
                if (kv[i].str)
                    put_logfmt(&o, kv[i].str, strlen(kv[i].str));
                else {
                    snprintf(num, sizeof num, "%lld", (long long)kv[i].num);
                    puts_(&o, num);
                }
            }
            puts_(&o, "]");
        }
    }
    o.b[o.n++] = '\n';
    ssize_t w = write(2, o.b, o.n);
    (void)w;
}

void diag_event(enum diag_level l, const char *event, const struct diag_kv *kv,
                size_t n, const char *fmt, ...)
{
    if ((int)l > (int)diag_get_level())
        return;
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    if ((size_t)m >= sizeof text)
        m = (int)sizeof text - 1;
    emit(l, event, kv, n, text, (size_t)m);
}

void diag_msg(enum diag_level l, const char *fmt, ...)
{
    if ((int)l > (int)diag_get_level())
        return;
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    if ((size_t)m >= sizeof text)
        m = (int)sizeof text - 1;
    emit(l, NULL, NULL, 0, text, (size_t)m);
}
