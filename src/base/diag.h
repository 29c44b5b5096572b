/* diag.h - leveled diagnostic logging to stderr (layer: base).
 *
 * One line per message, in one of three formats (process-wide:
 * RILL_LOG_FORMAT or diag_set_format, `--log-format`):
 *   text    2026-11-24T07:30:00.123Z WARN  text [event k=v ...]
 *   logfmt  time=2026-11-24T07:30:00.123Z level=warn event=... k=v msg="text"
 *   json    {"time":"...","level":"warn","event":"...","k":"v","msg":"text"}
 * Events (diag_event) are messages with a name and fields, for machines:
 * query_start, query_stop, query_failed, dead_letters, late_rows,
 * watermark_stall, partition_failed (docs/http.md lists them). The level
 * is process-wide (RILL_LOG_LEVEL=error|warn|info|debug, default info).
 * Safe from any thread: each line is one write(2).
 */
#ifndef RILL_DIAG_H
#define RILL_DIAG_H

#include <stddef.h>
#include <stdint.h>

enum diag_level { DIAG_ERROR = 0, DIAG_WARN, DIAG_INFO, DIAG_DEBUG };
enum diag_format { DIAG_FORMAT_TEXT = 0, DIAG_FORMAT_LOGFMT, DIAG_FORMAT_JSON };

void diag_set_level(enum diag_level level);
/* Parses "error", "warn", "info", "debug"; returns 0 or ERR_INVALID. */
int diag_parse_level(const char *s, enum diag_level *out);
enum diag_level diag_get_level(void);
void diag_msg(enum diag_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "text", "logfmt", "json"; 0 or ERR_INVALID. */
int diag_parse_format(const char *s, enum diag_format *out);
void diag_set_format(enum diag_format f);
enum diag_format diag_get_format(void);

/* One field of an event: a string (str set) or a number. */
struct diag_kv {
    const char *key;
    const char *str; /* NULL: num */
    int64_t num;
};

/* A named event with fields (keys: lower case words and '_'), and a text
 * for people. */
void diag_event(enum diag_level level, const char *event,
                const struct diag_kv *kv, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define diag_error(...) diag_msg(DIAG_ERROR, __VA_ARGS__)
#define diag_warn(...) diag_msg(DIAG_WARN, __VA_ARGS__)
#define diag_info(...) diag_msg(DIAG_INFO, __VA_ARGS__)
#define diag_debug(...) diag_msg(DIAG_DEBUG, __VA_ARGS__)

#endif
