/* config.c - properties file parser (layer: base). */
#include "base/config.h"

#include "base/err.h"
#include "base/mem.h"
#include "base/os.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void config_init(struct config *c)
{
    hashmap_init(&c->map);
}

void config_fini(struct config *c)
{
    struct hashmap_entry *e;
    for (size_t i = 0; hashmap_next(&c->map, &i, &e);)
        mem_free(e->value);
    hashmap_fini(&c->map);
}

void config_set(struct config *c, const char *key, const char *value)
{
    char *old = hashmap_put(&c->map, key, strlen(key), mem_strdup(value));
    mem_free(old);
}

static char *trim(char *s, char *end)
{
    while (s < end && isspace((unsigned char)*s))
        s++;
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    *end = '\0';
    return s;
}

int config_parse(struct config *c, const char *text, char *err, int errlen)
{
    char *copy = mem_strdup(text);
    int line = 0, rc = 0;
    char *save = NULL;
    for (char *l = copy; l; l = save) {
        save = strchr(l, '\n');
        if (save)
            *save++ = '\0';
        line++;
        char *s = trim(l, l + strlen(l));
        if (!*s || *s == '#' || *s == '!')
            continue;
        char *sep = strpbrk(s, "=:");
        if (!sep) {
            snprintf(err, (size_t)errlen,
                     "line %d: expected key=value, found '%s'", line, s);
            rc = ERR_PARSE;
            break;
        }
        char *key = trim(s, sep);
        char *val = trim(sep + 1, sep + 1 + strlen(sep + 1));
        if (!*key) {
            snprintf(err, (size_t)errlen, "line %d: empty key", line);
            rc = ERR_PARSE;
            break;
        }
        config_set(c, key, val);
    }
    mem_free(copy);
    return rc;
}

int config_load(struct config *c, const char *path, char *err, int errlen)
{
    char *text;
    size_t len;
    int rc = os_read_file(path, 1 << 20, &text, &len);
    if (rc < 0) {
        snprintf(err, (size_t)errlen, "%s: %s", path, err_str(rc));
        return rc;
    }
    rc = config_parse(c, text, err, errlen);
    mem_free(text);
    return rc;
}

const char *config_get(const struct config *c, const char *key,
                       const char *dflt)
{
    const char *v = hashmap_get_str(&c->map, key);
    return v ? v : dflt;
}

int config_get_i64(const struct config *c, const char *key, int64_t *out)
{
    const char *v = config_get(c, key, NULL);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end)
        return ERR_INVALID;
    *out = x;
    return 0;
}

int config_get_bool(const struct config *c, const char *key, bool *out)
{
    const char *v = config_get(c, key, NULL);
    if (!v)
        return 0;
    if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes"))
        *out = true;
    else if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no"))
        *out = false;
    else
        return ERR_INVALID;
    return 0;
}
