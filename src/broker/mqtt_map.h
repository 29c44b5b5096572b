/* mqtt_map.h - which log topic an MQTT PUBLISH goes to, and what of its
 * topic name becomes the record key and fields (layer: broker).
 *
 * A rule is one line of text, e.g.
 *     factory/+machine/+sensor/reading -> readings key=sensor fields=json
 * an MQTT filter whose '+' levels may carry a name (a capture), '->', the
 * log topic, then options: key=<capture> (the record key; default: the
 * whole MQTT topic name), fields=headers (default: each capture becomes a
 * record header) or fields=json (also written into a JSON object payload
 * as string fields, in front of the publisher's own). Rules are tried in
 * the order they were added; a name no rule matches goes to the default
 * topic with the MQTT topic name as key. Pure: no I/O. Docs: docs/mqtt.md.
 */
#ifndef RILL_MQTT_MAP_H
#define RILL_MQTT_MAP_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

#define MQTT_MAP_MAX_CAPTURES 16

struct mqtt_map;

struct mqtt_map_capture {
    const char *name;   /* owned by the map */
    struct slice value; /* a level of the topic name */
};

struct mqtt_map_result {
    const char *log_topic; /* owned by the map */
    struct slice key;      /* into the topic name */
    bool json_fields;
    size_t ncaptures;
    struct mqtt_map_capture captures[MQTT_MAP_MAX_CAPTURES];
};

int mqtt_map_create(const char *default_topic, struct mqtt_map **out);
void mqtt_map_destroy(struct mqtt_map *m);
/* Parses and adds one rule. Returns 0 or ERR_INVALID with a reason. */
int mqtt_map_add(struct mqtt_map *m, const char *rule, char *err, int errlen);
/* Fills r for a valid topic name; always succeeds (the default topic). */
void mqtt_map_match(const struct mqtt_map *m, struct slice topic,
                    struct mqtt_map_result *r);
/* The log topics rules point to (0..n-1) and the default one (n). */
size_t mqtt_map_topics(const struct mqtt_map *m);
const char *mqtt_map_topic(const struct mqtt_map *m, size_t i);
/* Whether a subscription filter could see records of log topic i: some
 * rule into it has a filter overlapping f (the default topic: always). */
bool mqtt_map_topic_overlaps(const struct mqtt_map *m, size_t i,
                             struct slice f);
/* Writes payload with the captures as leading JSON string fields into
 * out (reset first) when payload is a JSON object; returns false (out
 * untouched) when it is not. */
bool mqtt_map_json_fields(const struct mqtt_map_result *r, struct slice payload,
                          struct buf *out);

#endif
