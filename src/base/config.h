/* config.h - Kafka-style `key=value` properties files (layer: base).
 *
 * Lines are `key=value` or `key: value`; `#` and `!` start comments; blank
 * lines are ignored; whitespace around keys and values is trimmed. Later
 * keys override earlier ones; config_set() (command-line flags) overrides
 * the file. Values are returned as NUL-terminated strings owned by the
 * config. Errors name the line.
 */
#ifndef RILL_CONFIG_H
#define RILL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/hashmap.h"

struct config {
    struct hashmap map; /* key -> char* value */
};

void config_init(struct config *c);
void config_fini(struct config *c);
/* Parses text; on error returns ERR_PARSE and writes "line N: ..." to err. */
int config_parse(struct config *c, const char *text, char *err, int errlen);
int config_load(struct config *c, const char *path, char *err, int errlen);
void config_set(struct config *c, const char *key, const char *value);
const char *config_get(const struct config *c, const char *key,
                       const char *dflt);
/* Parses an integer value; ERR_INVALID (with no change to *out) if the key
 * is present but not a number. Absent keys leave *out alone and return 0. */
int config_get_i64(const struct config *c, const char *key, int64_t *out);
int config_get_bool(const struct config *c, const char *key, bool *out);

#endif
