/* schema.h - column types and schemas for rows (layer: row).
 *
 * A schema is a fixed list of typed, named columns known at plan time. Each
 * column may carry a JSON field path ("a.b.c": nested objects) used by the
 * JSON decoder; without one the column name is the path. Lookup by name is
 * case-insensitive, as in SQL. A schema is a plain value owned by its
 * creator; decoders and batches keep a pointer to it, so it must outlive them.
 */
#ifndef RILL_SCHEMA_H
#define RILL_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

enum schema_type {
    SCHEMA_NULL = 0, /* only as the tag of a NULL value, never a column */
    SCHEMA_BOOLEAN,
    SCHEMA_INT,       /* int32 */
    SCHEMA_BIGINT,    /* int64 */
    SCHEMA_DOUBLE,    /* IEEE-754 binary64 */
    SCHEMA_STRING,    /* UTF-8 bytes, a slice {ptr, len} */
    SCHEMA_TIMESTAMP, /* TIMESTAMP(3): int64 milliseconds since the epoch, UTC
                       */
};

#define SCHEMA_MAX_COLUMNS 64
#define SCHEMA_NAME_MAX 64  /* bytes including the NUL */
#define SCHEMA_PATH_MAX 128 /* bytes including the NUL */

struct schema_column {
    char name[SCHEMA_NAME_MAX];
    char path[SCHEMA_PATH_MAX]; /* JSON field path, dot separated */
    enum schema_type type;
    bool nullable;
};

struct schema {
    int ncolumns;
    struct schema_column columns[SCHEMA_MAX_COLUMNS];
};

void schema_init(struct schema *s);

/* Appends a column. path may be NULL (the name is the path). Returns the new
 * column's index, ERR_EXISTS for a duplicate name (case-insensitive),
 * ERR_TOO_LARGE past SCHEMA_MAX_COLUMNS or an over-long name/path,
 * ERR_INVALID for an empty name, a bad path ("a..b", ".a") or type. */
int schema_add(struct schema *s, const char *name, enum schema_type type,
               bool nullable, const char *path);

/* Index of the column named `name` (case-insensitive, n bytes), or
 * ERR_NOT_FOUND. */
int schema_find(const struct schema *s, const char *name, size_t n);

/* "BOOLEAN", "INT", "BIGINT", "DOUBLE", "STRING", "TIMESTAMP(3)". */
const char *schema_type_name(enum schema_type t);

/* Parses an SQL type name (case-insensitive): BOOLEAN/BOOL, INT/INTEGER,
 * BIGINT, DOUBLE/FLOAT/DOUBLE PRECISION, STRING/VARCHAR/TEXT,
 * TIMESTAMP/TIMESTAMP(3). Returns the type or ERR_INVALID. */
int schema_type_parse(const char *text, size_t n);

#endif
