/* row_error.c - formatting of decoder errors (layer: row).
 *
 * Only runs on the error path, so it may use snprintf freely.
 */
#include "row/row_error.h"

#include <stdarg.h>
#include <stdio.h>

int row_error_set(struct row_error *e, int code, size_t offset, const char *fmt,
                  ...)
{
    if (!e)
        return code;
    e->code = code;
    e->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n < sizeof(e->message))
        snprintf(e->message + n, sizeof(e->message) - (size_t)n, " at byte %zu",
                 offset);
    return code;
}
