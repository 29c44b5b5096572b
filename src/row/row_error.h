/* row_error.h - the reason a record did not decode (layer: row).
 *
 * Every decoder fills a struct row_error on failure (STYLE rule 9): the
 * error code, the byte offset into the record where the problem was found,
 * and a one-line message that already ends in "at byte N". The runtime puts
 * the message on the dead-letter record (`<stream>.dlq`) as its reason.
 */
#ifndef RILL_ROW_ERROR_H
#define RILL_ROW_ERROR_H

#include <stddef.h>

#define ROW_ERROR_MESSAGE_MAX 160

struct row_error {
    int code;      /* ERR_PARSE (malformed input) or ERR_INVALID (schema) */
    size_t offset; /* byte offset in the record */
    char message[ROW_ERROR_MESSAGE_MAX];
};

/* Fills e (if not NULL) with code, offset and a formatted message followed by
 * " at byte <offset>". Returns code, so a parser can `return
 * row_error_set(..)`.
 */
int row_error_set(struct row_error *e, int code, size_t offset, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));

#endif
