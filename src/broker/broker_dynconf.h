/* broker_dynconf.h - dynamic broker configs (Kafka's KIP-226): the BROKER
 * resource of AlterConfigs / IncrementalAlterConfigs, checked, persisted in
 * <data>/broker-dynamic-config, applied live (layer: broker).
 *
 * Two layers over the static settings (config file and flags), as in
 * Kafka: per-broker values (resource name = this broker's id) override the
 * cluster-wide defaults (resource name ""), which override the static
 * value. The dynamic keys are Kafka's dynamic log defaults rill honours:
 * log.retention.ms (synonyms log.retention.minutes / .hours),
 * log.retention.bytes, log.segment.bytes, log.roll.ms (log.roll.hours) and
 * message.max.bytes. A change applies to new topics and, at once, to every
 * topic whose value was the old default (rill keeps each topic's values,
 * not which are overrides: a value equal to the default follows it, as
 * DescribeConfigs already reports it as a default).
 * Loop thread only.
 */
#ifndef RILL_BROKER_DYNCONF_H
#define RILL_BROKER_DYNCONF_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"

#define BROKER_DYN_NKEYS 5

enum broker_dyn_layer {
    BROKER_DYN_BROKER = 0,  /* resource name = broker id */
    BROKER_DYN_DEFAULT = 1, /* resource name "" (cluster default) */
};

struct broker_dynconf {
    int64_t static_v[BROKER_DYN_NKEYS]; /* from the file and flags */
    bool set[2][BROKER_DYN_NKEYS];
    int64_t v[2][BROKER_DYN_NKEYS];
};

struct broker;
struct kafka_config_resource;
struct kafka_describe_configs_result;
struct arena;

/* Reads <data>/broker-dynamic-config (if any) and applies it over the
 * static settings. Called once the log is open. Returns 0, or a negative
 * error for an unreadable or invalid file (the broker then refuses to
 * start: better than silently running other settings). */
int broker_dynconf_load(struct broker *b);

/* Name of dynamic key k (0 <= k < BROKER_DYN_NKEYS) and its effective
 * value; *source is the Kafka config source (2 dynamic broker, 3 dynamic
 * default, 4 static). */
const char *broker_dynconf_key(int k);
int64_t broker_dynconf_value(const struct broker *b, int k, int *source);

/* One BROKER resource of an (Incremental)AlterConfigs: checks every entry,
 * then (unless validate_only) persists and applies. Returns a Kafka error
 * code (INVALID_REQUEST with *msg for a key that is not dynamic or a bad
 * value, as Kafka answers) . */
int16_t broker_dynconf_alter(struct broker *b, bool incremental,
                             const struct kafka_config_resource *res,
                             bool validate_only, struct slice *msg);

#endif
