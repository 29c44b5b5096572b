/* mqtt_server.h - the MQTT 3.1.1 / 5.0 listener of `rill serve`
 * (layer: broker).
 *
 * Runs on the broker's event loop (same thread, same log directory).
 * PUBLISH appends to log topics through the mapping of mqtt_map.h;
 * SUBSCRIBE is a push consumer of log topics, so rows the queries append
 * reach MQTT subscribers as soon as they are written. Sessions with
 * clean start = 0 survive disconnects and restarts (their positions in the
 * log are saved under <data>/mqtt/). Settings: docs/mqtt.md.
 * Loop thread only, except where said.
 */
#ifndef RILL_MQTT_SERVER_H
#define RILL_MQTT_SERVER_H

#include "base/config.h"

struct broker;
struct mqtt_server;

/* Reads the mqtt.* keys of props. With no mqtt.listeners set, returns 0
 * and *out = NULL (MQTT off). Otherwise opens the listener on the
 * broker's loop (call after broker_create, before broker_run), creates
 * the mapped log topics, loads retained messages and saved sessions.
 * Returns 0, or ERR_INVALID with a message in err (bad setting), or a
 * negative errno (cannot listen). */
int mqtt_server_create(struct broker *b, const struct config *props, char *err,
                       int errlen, struct mqtt_server **out);
/* The bound port. */
int mqtt_server_port(const struct mqtt_server *s);
/* After broker_run returned, before broker_destroy: closes every MQTT
 * connection (no wills: the server is stopping), writes appends still
 * staged and saves the persistent sessions. NULL is a no-op. */
void mqtt_server_destroy(struct mqtt_server *s);

#endif
