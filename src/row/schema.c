/* schema.c - column types and schemas (layer: row).
 *
 * Building and looking up schemas; no parsing of records happens here.
 */
#include "row/schema.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"

void schema_init(struct schema *s)
{
    memset(s, 0, sizeof(*s));
}

static bool path_valid(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || p[0] == '.' || p[n - 1] == '.')
        return false;
    for (size_t i = 1; i < n; i++)
        if (p[i] == '.' && p[i - 1] == '.')
            return false;
    return true;
}

int schema_add(struct schema *s, const char *name, enum schema_type type,
               bool nullable, const char *path)
{
    size_t n = strlen(name);
    if (n == 0 || type <= SCHEMA_NULL || type > SCHEMA_TIMESTAMP)
        return ERR_INVALID;
    if (s->ncolumns >= SCHEMA_MAX_COLUMNS || n >= SCHEMA_NAME_MAX)
        return ERR_TOO_LARGE;
    if (!path)
        path = name;
    if (strlen(path) >= SCHEMA_PATH_MAX)
        return ERR_TOO_LARGE;
    if (!path_valid(path))
        return ERR_INVALID;
    if (schema_find(s, name, n) >= 0)
        return ERR_EXISTS;
    struct schema_column *c = &s->columns[s->ncolumns];
    memcpy(c->name, name, n + 1);
    memcpy(c->path, path, strlen(path) + 1);
    c->type = type;
    c->nullable = nullable;
    return s->ncolumns++;
}

int schema_find(const struct schema *s, const char *name, size_t n)
{
    for (int i = 0; i < s->ncolumns; i++) {
        const char *c = s->columns[i].name;
        if (strlen(c) == n && strncasecmp(c, name, n) == 0)
            return i;
    }
    return ERR_NOT_FOUND;
}

const char *schema_type_name(enum schema_type t)
{
    switch (t) {
    case SCHEMA_NULL:
        return "NULL";
    case SCHEMA_BOOLEAN:
        return "BOOLEAN";
    case SCHEMA_INT:
        return "INT";
    case SCHEMA_BIGINT:
        return "BIGINT";
    case SCHEMA_DOUBLE:
        return "DOUBLE";
    case SCHEMA_STRING:
        return "STRING";
    case SCHEMA_TIMESTAMP:
        return "TIMESTAMP(3)";
    }
    return "?";
}

int schema_type_parse(const char *text, size_t n)
{
    static const struct {
        const char *name;
        enum schema_type type;
    } names[] = {
        {"BOOLEAN", SCHEMA_BOOLEAN},
        {"BOOL", SCHEMA_BOOLEAN},
        {"INT", SCHEMA_INT},
        {"INTEGER", SCHEMA_INT},
        {"BIGINT", SCHEMA_BIGINT},
        {"DOUBLE", SCHEMA_DOUBLE},
        {"FLOAT", SCHEMA_DOUBLE},
        {"DOUBLE PRECISION", SCHEMA_DOUBLE},
        {"STRING", SCHEMA_STRING},
        {"VARCHAR", SCHEMA_STRING},
        {"TEXT", SCHEMA_STRING},
        {"TIMESTAMP", SCHEMA_TIMESTAMP},
        {"TIMESTAMP(3)", SCHEMA_TIMESTAMP},
    };
    while (n > 0 && isspace((unsigned char)text[n - 1]))
        n--;
    while (n > 0 && isspace((unsigned char)*text)) {
        text++;
        n--;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i].name) == n &&
            strncasecmp(names[i].name, text, n) == 0)
            return (int)names[i].type;
    return ERR_INVALID;
}
