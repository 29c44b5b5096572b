/* diag.h - leveled diagnostic logging to stderr (layer: base).
 *
 * One line per message: "2026-11-24T07:30:00.123Z WARN  text". The level is
 * process-wide (RILL_LOG_LEVEL=error|warn|info|debug, default info). Safe
 * from any thread: each line is one write(2).
 */
#ifndef RILL_DIAG_H
#define RILL_DIAG_H

enum diag_level { DIAG_ERROR = 0, DIAG_WARN, DIAG_INFO, DIAG_DEBUG };

void diag_set_level(enum diag_level level);
/* Parses "error", "warn", "info", "debug"; returns 0 or ERR_INVALID. */
int diag_parse_level(const char *s, enum diag_level *out);
enum diag_level diag_get_level(void);
void diag_msg(enum diag_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define diag_error(...) diag_msg(DIAG_ERROR, __VA_ARGS__)
#define diag_warn(...) diag_msg(DIAG_WARN, __VA_ARGS__)
#define diag_info(...) diag_msg(DIAG_INFO, __VA_ARGS__)
#define diag_debug(...) diag_msg(DIAG_DEBUG, __VA_ARGS__)

#endif
